"""Tests for skrnn._threads: BLAS at one thread, and the setting restored."""

import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info

import skrnn._base as base_module
from skrnn import RNNTextClassifier
from skrnn.datasets import load_toy_sentiment


def _blas_threads():
    return {
        info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"
    }


def test_blas_threads_are_restored_after_overlapping_calls_from_threads(monkeypatch):
    # Regression: each call set and restored the process-wide setting, so
    # calls overlapping in several threads left BLAS at one thread.
    X, y = load_toy_sentiment(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RNNTextClassifier(max_iter=2, random_state=0).fit(X, y)
    before = _blas_threads()
    if before == {1}:
        pytest.skip("BLAS runs one thread already: nothing to restore")
    n_threads = 4
    overlap = threading.Barrier(n_threads, timeout=30)
    seen = []
    original = base_module.predict_logits

    def overlapping(*args, **kwargs):
        overlap.wait()  # every call is inside the context at once
        seen.append(_blas_threads())
        overlap.wait()  # ... until all have looked
        return original(*args, **kwargs)

    monkeypatch.setattr(base_module, "predict_logits", overlapping)
    with ThreadPoolExecutor(n_threads) as pool:
        results = list(pool.map(lambda _: clf.predict_proba(X), range(n_threads)))
    assert seen == [{1}] * n_threads
    assert _blas_threads() == before
    for proba in results:
        assert_array_equal(proba, results[0])
