"""Warnings point at the caller's line, whichever way skrnn was reached."""

import inspect
import pickle
import threading
import warnings

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from skrnn import RNNTextClassifier, RNNTextRegressor, SequenceVectorizer
from skrnn._versioning import SkrnnVersionWarning
from skrnn.datasets import load_toy_sentiment

X, Y = load_toy_sentiment(return_X_y=True)
FAST = {"max_iter": 1, "random_state": 0, "ngram_range": None}
UPPER = {"vocabulary": ["Good", "bad"]}


def _where(record, category, match):
    """The files that the warnings of this category and text point at."""
    files = {
        w.filename
        for w in record
        if issubclass(w.category, category) and match in str(w.message)
    }
    assert files, "no such warning"
    return files


def _vectorizer_directly():
    SequenceVectorizer(**UPPER).fit(X)


def _vectorizer_in_the_estimator():
    RNNTextClassifier(**FAST, **UPPER).fit(X, Y)


def _vectorizer_in_a_pipeline():
    make_pipeline(RNNTextClassifier(**FAST, **UPPER)).fit(X, Y)


def _vectorizer_in_cross_validation():
    cross_val_score(RNNTextClassifier(**FAST, **UPPER), X, Y, cv=2)


@pytest.mark.parametrize(
    "call",
    [
        _vectorizer_directly,
        _vectorizer_in_the_estimator,
        _vectorizer_in_a_pipeline,
        _vectorizer_in_cross_validation,
    ],
)
def test_the_vectorizer_warns_at_the_caller(call):
    # Regression: a fixed stacklevel pointed into skrnn or scikit-learn on
    # every path but one.
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        call()
    assert _where(record, UserWarning, "Upper case characters") == {__file__}


@pytest.mark.parametrize("estimator", [RNNTextClassifier, RNNTextRegressor])
def test_a_column_vector_y_warns_at_the_caller(estimator):
    y = np.asarray(Y, dtype=float)[:, None]
    with pytest.warns(DataConversionWarning, match="column-vector y") as record:
        fitted = estimator(max_iter=1, random_state=0).fit(X, y)
    assert _where(record, DataConversionWarning, "column-vector") == {__file__}
    assert fitted.predict(X[:3]).shape == (3,)


def test_the_convergence_warning_points_at_the_caller():
    clf = RNNTextClassifier(**FAST, learning_rate="constant")
    with pytest.warns(ConvergenceWarning) as record:
        make_pipeline(clf).fit(X, Y)
    assert _where(record, ConvergenceWarning, "Maximum iterations") == {__file__}


def test_unpickling_another_version_warns_at_the_caller():
    clf = RNNTextClassifier(**FAST).fit(X, Y)
    data = pickle.dumps(clf).replace(b"0.1.0", b"0.0.9")
    with pytest.warns(SkrnnVersionWarning) as record:
        pickle.loads(data)
    assert _where(record, SkrnnVersionWarning, "0.0.9") == {__file__}


def _vectorizer_on_a_thread():
    # No caller of the user's on the thread: threading's frames, then skrnn's.
    thread = threading.Thread(target=SequenceVectorizer(**UPPER).fit, args=(X,))
    thread.start()
    thread.join()


def _vectorizer_in_a_threaded_search():
    # joblib's threads: multiprocessing.pool's and threading's frames, then
    # joblib's, scikit-learn's and skrnn's (a process worker is the same but
    # for its frames, of multiprocessing and runpy).
    with parallel_config(backend="threading"):
        cross_val_score(RNNTextClassifier(**FAST, **UPPER), X, Y, cv=2, n_jobs=2)


@pytest.mark.parametrize(
    "call", [_vectorizer_on_a_thread, _vectorizer_in_a_threaded_search]
)
def test_a_warning_without_a_caller_outside_is_at_the_line_that_warns(call):
    # Regression: the first frame outside the libraries was the standard
    # library's (threading.py, multiprocessing/pool.py or process.py), whose
    # line, "self._target(*self._args, **self._kwargs)", says nothing.
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        call()
    assert _where(record, UserWarning, "Upper case characters") == {
        inspect.getsourcefile(SequenceVectorizer)
    }
