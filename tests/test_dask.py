"""Grid search over skrnn on a Dask cluster gives the local results exactly.

Needs the optional ``dask`` extra (``pip install "skrnn[dask]"``); skipped
without it.
"""

import warnings

import joblib
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skrnn import RNNTextClassifier
from skrnn.datasets import load_toy_sentiment


def grid_search(n_jobs):
    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    search = GridSearchCV(
        RNNTextClassifier(max_iter=3, random_state=0),
        {"hidden_size": [4, 8]},
        cv=3,
        n_jobs=n_jobs,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return search.fit(X, y)


@pytest.mark.slow  # starting the worker processes takes a while
def test_grid_search_on_a_local_dask_cluster_matches_one_process():
    # Imported here, not at collection: importing distributed is slow.
    distributed = pytest.importorskip("dask.distributed")
    local = grid_search(n_jobs=1)
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        workers = list(client.scheduler_info()["workers"])
        assert len(workers) == 2
        with (
            distributed.get_task_stream(client) as tasks,
            joblib.parallel_backend("dask"),
        ):
            remote = grid_search(n_jobs=-1)
    # The fits ran on the cluster's workers, not in this process.
    assert len(tasks.data) > 0
    assert {task["worker"] for task in tasks.data} <= set(workers)
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(
        remote.cv_results_["split0_test_score"], local.cv_results_["split0_test_score"]
    )
    assert remote.best_params_ == local.best_params_
    X_test, _ = load_toy_sentiment(subset="test", return_X_y=True)
    np.testing.assert_array_equal(
        remote.best_estimator_.predict_proba(X_test),
        local.best_estimator_.predict_proba(X_test),
    )
