"""Tests for skrnn._classifier: the behaviour of RNNTextClassifier.

Fitted state first, then predictions and their consistency, learning,
input handling and errors, reproducibility and invariances, persistence,
warm starts and partial_fit, stopping rules, divergence and sample weights.
The networks are tiny and the corpora a few documents, so that the whole file
runs in seconds.
"""

import contextlib
import copy
import dataclasses
import io
import math
import os
import pickle
import sys
import threading
import types
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import recall_score
from sklearn.utils._param_validation import InvalidParameterError

import skrnn
import skrnn._base as base_module
import skrnn._classifier as classifier_module
import skrnn._prediction as prediction_module
import skrnn._training as training
from skrnn import RNNTextClassifier, SequenceVectorizer
from skrnn import _ngrams as ngrams_module
from skrnn._ngrams import fit_ngrams
from skrnn._optimizers import (
    OPTIMIZERS,
    AdamOptimizer,
    SGDOptimizer,
    cosine_learning_rate,
)
from skrnn._training import TrainingDivergedError, fit_epochs
from skrnn.datasets import (
    load_movie_reviews,
    load_sst2,
    load_sst5,
    load_toy_sentiment,
    load_trec,
)
from skrnn.nn import CELLS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X_BIN = [
    "good film",
    "bad film",
    "a good story",
    "a bad story",
    "very good acting",
    "very bad acting",
    "good",
    "bad",
]
Y_BIN = ["pos", "neg"] * 4

X_MULTI = [
    "red apple",
    "green leaf",
    "blue sky",
    "a red car",
    "a green tree",
    "a blue sea",
    "red",
    "green",
    "blue",
]
Y_MULTI = ["red", "green", "blue"] * 3

#: Tiny network, few epochs; the seed's cell, no dropout and no n-gram
#: companion, so that tests of the training machinery do not depend on the
#: defaults.
FAST = {
    "cell": "rnn",
    "ngram_range": None,
    "dropout": 0.0,
    "input_dropout": 0.0,
    "hidden_size": 8,
    "embedding_dim": 8,
    "max_iter": 5,
    "random_state": 0,
}


def _fit(X=X_BIN, y=Y_BIN, **params):
    return RNNTextClassifier(**{**FAST, **params}).fit(X, y)


def _copy_weights(clf):
    return {name: value.copy() for name, value in clf.weights_.items()}


def _assert_weights_equal(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        assert_array_equal(a[name], b[name], err_msg=name)


def _assert_same_state(a, b, path="clf"):
    """Recursively compare two snapshots of an object's state, exactly."""
    assert type(a) is type(b), path
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, np.random.Generator):
        assert a.bit_generator.state == b.bit_generator.state, path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            _assert_same_state(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            _assert_same_state(u, v, f"{path}[{i}]")
    elif hasattr(a, "__dict__") and not isinstance(a, type) and not callable(a):
        _assert_same_state(vars(a), vars(b), path)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), path
    else:
        assert a == b, path


# ------------------------------------------------------------- fitted state


def test_fit_returns_self_and_sets_fitted_attributes():
    clf = RNNTextClassifier(**FAST)
    assert clf.fit(X_BIN, Y_BIN) is clf

    assert isinstance(clf.classes_, np.ndarray)
    assert_array_equal(clf.classes_, ["neg", "pos"])
    assert isinstance(clf.vectorizer_, SequenceVectorizer)
    assert {"good", "bad", "film"} <= set(clf.vectorizer_.vocabulary_)

    assert isinstance(clf.weights_, dict)
    assert all(isinstance(k, str) for k in clf.weights_)
    assert all(isinstance(v, np.ndarray) for v in clf.weights_.values())
    assert clf.weights_["embed.E"].shape == (clf.vectorizer_.n_vocab_, 8)
    assert clf.weights_["head.W_hy"].shape == (8, 2)
    assert clf.weights_["head.b_y"].shape == (2,)

    assert isinstance(clf.n_iter_, int)
    assert 1 <= clf.n_iter_ <= FAST["max_iter"]
    assert clf.t_ == clf.n_iter_ * len(X_BIN)
    assert len(clf.loss_curve_) == clf.n_iter_
    assert all(np.isfinite(clf.loss_curve_))
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None
    assert clf.best_validation_score_ is None


def test_fitted_attribute_shapes_follow_the_architecture():
    clf = _fit(
        X_MULTI, Y_MULTI, cell="lstm", bidirectional=True, num_layers=2, hidden_size=4
    )
    # LSTM: 4 gates; the second layer reads both directions of the first.
    assert clf.weights_["layer0.fwd.W_xh"].shape == (8, 16)
    assert clf.weights_["layer1.bwd.W_xh"].shape == (8, 16)
    assert clf.weights_["layer1.bwd.W_hh"].shape == (4, 16)
    assert clf.weights_["head.W_hy"].shape == (8, 3)


# ------------------------------------------------------------- predictions

LABEL_CASES = {
    "str-binary": (X_BIN, Y_BIN),
    "int-binary": (X_BIN, [1, 0] * 4),
    "pm1-binary": (X_BIN, np.array([1, -1] * 4)),
    "str-3-classes": (X_MULTI, Y_MULTI),
    "int-3-classes": (X_MULTI, np.array([7, 2, 5] * 3)),
    "object-3-classes": (X_MULTI, np.array(Y_MULTI, dtype=object)),
}


@pytest.mark.parametrize("X, y", LABEL_CASES.values(), ids=LABEL_CASES.keys())
def test_prediction_methods_are_consistent(X, y):
    clf = _fit(X, y)
    y = np.asarray(y)
    n_classes = len(np.unique(y))
    assert_array_equal(clf.classes_, np.unique(y))

    test = [*X, "unseen words here", "good red"]
    pred = clf.predict(test)
    assert pred.shape == (len(test),)
    assert pred.dtype == y.dtype
    assert set(pred) <= set(clf.classes_)

    proba = clf.predict_proba(test)
    assert proba.shape == (len(test), n_classes)
    assert np.all((proba >= 0) & (proba <= 1))
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert_allclose(clf.predict_log_proba(test), np.log(proba), rtol=1e-5, atol=1e-6)
    assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])

    scores = clf.decision_function(test)
    if n_classes == 2:
        assert scores.shape == (len(test),)
        assert_array_equal(pred == clf.classes_[1], scores > 0)
        # the binary score is the log-odds of classes_[1]
        assert_allclose(scores, np.log(proba[:, 1] / proba[:, 0]), rtol=1e-4, atol=1e-5)
    else:
        assert scores.shape == (len(test), n_classes)
        assert_array_equal(scores.argmax(axis=1), proba.argmax(axis=1))


def test_predict_on_no_documents_gives_empty_outputs():
    clf = _fit(X_MULTI, Y_MULTI)
    assert clf.predict([]).shape == (0,)
    assert clf.predict_proba([]).shape == (0, 3)
    assert clf.decision_function([]).shape == (0, 3)


# ------------------------------------------------------------- it learns


@pytest.mark.parametrize("embedding_dim", [8, None], ids=["embedding", "one-hot"])
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_learns_the_toy_sentiment_training_set(cell, embedding_dim):
    X, y = load_toy_sentiment(return_X_y=True)
    clf = RNNTextClassifier(
        cell=cell,
        hidden_size=16,
        embedding_dim=embedding_dim,
        learning_rate_init=0.03,
        dropout=0.0,
        input_dropout=0.0,
        batch_size=10,
        max_iter=200,
        random_state=0,
    ).fit(X, y)
    assert clf.score(X, y) == 1.0
    assert clf.loss_curve_[-1] < 0.1 * clf.loss_curve_[0]


# ------------------------------------------------------------- input types


def _containers(docs):
    return {
        "list": list(docs),
        "tuple": tuple(docs),
        "str-array": np.array(docs),
        "object-array": np.array(docs, dtype=object),
        "series": pd.Series(docs, index=np.arange(len(docs)) * 10 + 3),
        # one column of 2-D input: a DataFrame's, a ColumnTransformer's output
        "one-column-frame": pd.DataFrame(
            {"text": docs}, index=np.arange(len(docs))[::-1]
        ),
        "column-array": np.array(docs, dtype=object).reshape(-1, 1),
    }


def test_list_array_and_series_give_identical_predictions():
    test = ["good story", "bad acting film", "unknown"]
    reference = _fit().predict_proba(test)
    for name, X in _containers(X_BIN).items():
        clf = _fit(X, pd.Series(Y_BIN, index=np.arange(8)[::-1]))
        for test_name, T in _containers(test).items():
            assert_array_equal(
                clf.predict_proba(T), reference, err_msg=(name, test_name)
            )


def test_unseen_words_and_empty_documents_predict():
    clf = _fit(X_MULTI, Y_MULTI)
    test = ["zebra quartz", "", "   ", "\n\t", "!!!", "red zebra"]
    proba = clf.predict_proba(test)
    assert np.isfinite(proba).all()
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert np.isfinite(clf.decision_function(test)).all()
    assert set(clf.predict(test)) <= set(clf.classes_)
    # whitespace leaves no token: all three are the empty sequence
    assert_array_equal(proba[2], proba[1])
    assert_array_equal(proba[3], proba[1])


def test_empty_documents_in_training_data():
    clf = _fit([*X_BIN, "", " "], [*Y_BIN, "pos", "neg"])
    assert np.isfinite(clf.predict_proba(["", "good"])).all()


@pytest.mark.parametrize(
    ("params", "X"),
    [
        ({}, ["", "  ", "\u00a0", "\t"]),
        ({"stop_words": "english"}, ["the", "and it is", "it", "is the"]),
        ({"token_pattern": r"\d+"}, ["no", "digits", "at", "all"]),
    ],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_training_documents_without_any_token_raise(params, X, method):
    # Regression: such a fit trained on nothing and predicted one class for
    # any text, with no warning (CountVectorizer raises "empty vocabulary").
    clf = RNNTextClassifier(**FAST, **params)
    kwargs = {"classes": [0, 1]} if method == "partial_fit" else {}
    with pytest.raises(ValueError, match="hold no tokens once tokenized"):
        getattr(clf, method)(X, [0, 1, 0, 1], **kwargs)
    assert not hasattr(clf, "weights_")


def test_empty_learned_vocabulary_warns_and_learns_from_lengths():
    X = ["one", "two two two", "three", "four four four"] * 3
    y = ["short", "long"] * 6
    with pytest.warns(UserWarning, match="learned vocabulary is empty"):
        clf = _fit(X, y, min_df=4, max_iter=60, learning_rate_init=0.05)
    assert clf.vectorizer_.vocabulary_ == {}
    assert_array_equal(clf.predict(["x", "x y z"]), ["short", "long"])


def test_a_given_vocabulary_that_no_training_token_is_in_warns():
    # Regression (a prober's): a fixed vocabulary none of whose words the
    # training documents hold trained on unknown words alone, silently.
    X = ["good film", "bad film", "great plot", "awful plot"] * 3
    y = ["pos", "neg"] * 6
    with pytest.warns(UserWarning, match="No token of the training documents"):
        _fit(X, y, vocabulary=["excellent", "terrible"], max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        _fit(X, y, vocabulary=["good", "bad"], max_iter=2)


def test_some_documents_without_tokens_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        _fit([*X_BIN, "", "!!!"], [*Y_BIN, "pos", "neg"], token_pattern=r"\w+")


def test_refit_forgets_the_old_vocabulary():
    clf = _fit(X_BIN, Y_BIN)
    old = set(clf.vectorizer_.vocabulary_)
    old_vectorizer = clf.vectorizer_
    clf.fit(X_MULTI, Y_MULTI)
    new = set(clf.vectorizer_.vocabulary_)
    assert clf.vectorizer_ is not old_vectorizer
    assert new != old
    assert not (old - {"a"}) & new
    assert {"red", "green", "blue"} <= new
    assert_array_equal(clf.classes_, ["blue", "green", "red"])
    assert clf.weights_["embed.E"].shape[0] == clf.vectorizer_.n_vocab_


def test_refit_without_embeddings_forgets_their_coverage():
    vectors = {"good": [0.5] * 8, "bad": [-0.5] * 8}
    clf = _fit(embeddings=vectors)
    assert 0 < clf.embeddings_coverage_ < 1
    clf.set_params(embeddings=None).fit(X_BIN, Y_BIN)
    assert not hasattr(clf, "embeddings_coverage_")


# ------------------------------------------------------------- reproducibility


@pytest.mark.parametrize("cell", list(CELLS))
def test_same_seed_gives_identical_models(cell):
    params = {"cell": cell, "dropout": 0.2, "num_layers": 2, "batch_size": 3}
    a = _fit(**params)
    b = _fit(**params)
    _assert_weights_equal(a.weights_, b.weights_)
    assert_array_equal(a.predict_proba(X_BIN), b.predict_proba(X_BIN))
    assert a.loss_curve_ == b.loss_curve_

    c = _fit(**params, random_state=1)
    assert any(
        not np.array_equal(a.weights_[name], c.weights_[name]) for name in a.weights_
    )


def test_random_state_instance_is_accepted():
    a = _fit(random_state=np.random.RandomState(3))
    b = _fit(random_state=np.random.RandomState(3))
    _assert_weights_equal(a.weights_, b.weights_)


# ------------------------------------------------------------- batching


ARCHITECTURES = [
    {"cell": "rnn"},
    {"cell": "gru", "bidirectional": True},
    {"cell": "lstm", "pooling": "mean", "num_layers": 2},
    {"cell": "gru", "pooling": "max", "embedding_dim": None},
    {"cell": "lstm", "bidirectional": True, "pooling": "last", "num_layers": 2},
]


@pytest.mark.parametrize(
    "dtype, rtol", [(np.float32, 1e-5), (np.float64, 1e-12)], ids=["f32", "f64"]
)
@pytest.mark.parametrize(
    "arch", ARCHITECTURES, ids=lambda arch: "-".join(map(str, arch.values()))
)
def test_padding_and_batching_change_nothing(arch, dtype, rtol):
    clf = _fit(X_BIN, Y_BIN, max_iter=2, dtype=dtype, **arch)
    docs = [
        "good",
        "a very good good good story film , not a bad acting at all " * 3,
        "",
        "bad film",
        "film",
        "a bad story",
    ]
    together = clf.predict_proba(docs)
    alone = np.vstack([clf.predict_proba([doc]) for doc in docs])
    assert_allclose(together, alone, rtol=rtol, atol=0)
    # and in the reverse order
    assert_allclose(clf.predict_proba(docs[::-1])[::-1], alone, rtol=rtol, atol=0)


# ------------------------------------------------------------- dtype


def test_float32_is_the_default_for_the_weights():
    clf = _fit()
    assert {v.dtype for v in clf.weights_.values()} == {np.dtype(np.float32)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(
    "y", [Y_BIN, np.array(["a", "b", "c", "a"] * 2)], ids=["2", "3"]
)
def test_predictions_are_float64_whatever_the_dtype(dtype, y):
    # As scikit-learn's classifiers on text (TF-IDF and LogisticRegression):
    # float32 probabilities (0.009999999776...) leaked into the thresholds
    # of TunedThresholdClassifierCV.
    clf = _fit(X_BIN, y, dtype=dtype)
    proba = clf.predict_proba(X_BIN)
    for method in ("predict_proba", "predict_log_proba", "decision_function"):
        assert getattr(clf, method)(X_BIN).dtype == np.float64, method
    # the float32 model's logits, exactly, through a float64 softmax
    logits = clf.decision_function(X_BIN)
    if len(clf.classes_) == 2:
        assert_allclose(proba[:, 1], 1 / (1 + np.exp(-logits)), rtol=1e-12)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, "float64", np.dtype("float64")])
def test_float64_weights(dtype):
    clf = _fit(dtype=dtype)
    assert {v.dtype for v in clf.weights_.values()} == {np.dtype(np.float64)}
    assert clf.predict_proba(X_BIN).dtype == np.float64


@pytest.mark.parametrize(
    "dtype",
    [
        np.int32,
        np.float16,
        "complex128",
        "foo",
        None,
    ],
)
def test_bad_dtype_raises_value_error(dtype):
    with pytest.raises(ValueError, match=r"'dtype' parameter of RNNTextClassifier"):
        _fit(dtype=dtype)


# ------------------------------------------------------------- not fitted


@pytest.mark.parametrize(
    "method",
    [
        "decision_function",
        "predict_proba",
        "predict_log_proba",
        "predict",
        "score",
    ],
)
def test_methods_raise_not_fitted_error_before_fit(method):
    clf = RNNTextClassifier(**FAST)
    args = (X_BIN, Y_BIN) if method == "score" else (X_BIN,)
    with pytest.raises(NotFittedError):
        getattr(clf, method)(*args)


# ------------------------------------------------------------- input errors

INPUT_ERRORS = {
    "single-string": ("good film", ["pos"], ValueError, "got a single string"),
    "bytes": (b"good film", ["pos"], TypeError, "decode"),
    "None-inside": (["good", None, "bad"], [1, 0, 1], TypeError, r"X\[1\] is NoneType"),
    "nan-inside": (["good", np.nan, "bad"], [1, 0, 1], TypeError, r"X\[1\] is float"),
    "number-inside": (["good", 3, "bad"], [1, 0, 1], TypeError, r"X\[1\] is int"),
    "2d-array": (np.array([["a", "b"], ["c", "d"]]), [0, 1], ValueError, "1-D"),
    "no-documents": ([], [], ValueError, "empty"),
    "length-mismatch": (X_BIN, Y_BIN[:-1], ValueError, "inconsistent numbers"),
    "one-class": (X_BIN, ["pos"] * 8, ValueError, "at least 2 classes"),
    "continuous-y": (X_BIN, np.linspace(0, 1, 8), ValueError, "Unknown label type"),
    "multioutput-y": (X_BIN, np.eye(8, 2) * 3, ValueError, "binary indicator matrix"),
    "3-d-y": (X_BIN, np.zeros((8, 1, 1)), ValueError, "dim 3"),
}


@pytest.mark.parametrize(
    "X, y, error, match", INPUT_ERRORS.values(), ids=INPUT_ERRORS.keys()
)
def test_fit_input_errors_are_clear(X, y, error, match):
    with pytest.raises(error, match=match):
        RNNTextClassifier(**FAST).fit(X, y)


@pytest.mark.parametrize(
    "X, error, match",
    [
        ("good film", ValueError, "wrap it in a list"),
        (["good", None], TypeError, r"X\[1\] is NoneType"),
        (np.array([["good", "x"], ["bad", "y"]]), ValueError, "1-D"),
        ({"good", "bad"}, TypeError, "unordered container"),
    ],
)
def test_predict_input_errors_are_clear(X, error, match):
    clf = _fit()
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(error, match=match):
            getattr(clf, method)(X)


def test_a_text_column_beside_numeric_ones_through_a_column_transformer():
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline

    df = pd.DataFrame({"stars": range(8), "text": X_BIN, "price": np.linspace(0, 1, 8)})
    pipe = make_pipeline(
        make_column_transformer(("passthrough", ["text"])), RNNTextClassifier(**FAST)
    ).fit(df, Y_BIN)
    reference = _fit()
    for method in ("predict", "predict_proba", "decision_function"):
        assert_array_equal(
            getattr(pipe, method)(df), getattr(reference, method)(X_BIN), err_msg=method
        )
    # without the column transformer, the error says which column to pick
    with pytest.raises(
        ValueError, match=r"select the column of text, e\.g\. X\['text'\]"
    ):
        RNNTextClassifier(**FAST).fit(df, Y_BIN)


@pytest.mark.parametrize(
    "X",
    [set(X_BIN), frozenset(X_BIN), dict.fromkeys(X_BIN), dict.fromkeys(X_BIN).keys()],
    ids=["set", "frozenset", "dict", "keys"],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_unordered_documents_are_refused(X, method):
    # Regression: fit(set(docs), y) paired documents with the wrong labels.
    clf = RNNTextClassifier(**FAST)
    kwargs = {"classes": ["neg", "pos"]} if method == "partial_fit" else {}
    with pytest.raises(TypeError, match="unordered container"):
        getattr(clf, method)(X, Y_BIN[: len(X)], **kwargs)
    assert not hasattr(clf, "classes_")


@pytest.mark.parametrize("pattern", ["", r"x*", r"\b\w*\b"])
def test_token_patterns_matching_the_empty_string_are_refused(pattern):
    # Regression: these trained on empty tokens.
    with pytest.raises(ValueError, match="matches the empty string"):
        _fit(token_pattern=pattern)


def test_unseen_label_in_warm_start_is_an_error():
    clf = _fit(warm_start=True)
    with pytest.raises(ValueError, match="not among the classes"):
        clf.fit(X_BIN, ["pos", "neg", "meh"] * 2 + ["pos", "neg"])


def test_first_partial_fit_rejects_labels_outside_classes():
    clf = RNNTextClassifier(**FAST)
    with pytest.raises(ValueError, match="meh"):
        clf.partial_fit(X_BIN, ["pos", "neg", "meh", "neg"] * 2, classes=["neg", "pos"])


@pytest.mark.parametrize(
    "y",
    [
        ["pos", None] * 4,
        pd.Series(["pos", None] * 4, dtype="string"),
        np.array([1, None] * 4, dtype=object),
    ],
    ids=["None", "pandas-NA", "object-ints"],
)
def test_missing_labels_are_a_clear_error(y):
    # Regression: numpy's sort failed ("'<' not supported between instances
    # of 'NoneType' and 'str'"), or pandas' NA did ("boolean value of NA is
    # ambiguous").
    with pytest.raises(ValueError, match=r"y\[1\] is a missing label"):
        RNNTextClassifier(**FAST).fit(X_BIN, y)
    with pytest.raises(ValueError, match=r"classes\[1\] is a missing label"):
        RNNTextClassifier(**FAST).partial_fit(X_BIN, Y_BIN, classes=y[:2])


@pytest.mark.parametrize("first", ["neg", 1], ids=["str-first", "int-first"])
def test_labels_mixing_strings_and_numbers_are_a_clear_error(first):
    # Regression: a column of labels of both kinds (pandas reads such a
    # column as objects) failed in numpy's sort, "'<' not supported between
    # instances of 'int' and 'str'", or was said to be continuous values.
    other = 1 if first == "neg" else "neg"
    y = pd.Series([first, other] * 4, dtype=object)
    with pytest.raises(ValueError, match=r"y mixes strings and numbers \(y\[\d\] is"):
        RNNTextClassifier(**FAST).fit(X_BIN, y)
    with pytest.raises(ValueError, match="classes mixes strings and numbers"):
        RNNTextClassifier(**FAST).partial_fit(X_BIN, Y_BIN, classes=y[:2])


@pytest.mark.parametrize("container", [list, tuple])
def test_a_list_of_labels_mixing_strings_and_numbers_is_a_clear_error(container):
    # Regression (a prober's finding): numpy made the numbers of a list
    # strings, so y=["neg", 1, ...] trained the classes ['1', 'neg'] and
    # predicted '1' for the documents labelled 1, silently.
    y = container(["neg", 1] * 4)
    with pytest.raises(ValueError, match=r"y mixes strings and numbers \(y\[0\] is"):
        RNNTextClassifier(**FAST).fit(X_BIN, y)
    with pytest.raises(ValueError, match="classes mixes strings and numbers"):
        RNNTextClassifier(**FAST).partial_fit(X_BIN, Y_BIN, classes=["neg", "pos", 1])
    assert (
        RNNTextClassifier(**FAST).fit(X_BIN, container(Y_BIN)).classes_.dtype.kind
        == "U"
    )


def test_labels_from_an_iterator_are_read_as_a_list():
    # Regression: X may be a generator, but y from one failed with "y should
    # be a 1d array, got an array of shape () instead".
    expected = _fit().predict_proba(X_BIN)
    clf = _fit(X=iter(X_BIN), y=(label for label in Y_BIN))
    assert_array_equal(clf.predict_proba(X_BIN), expected)
    with pytest.raises(TypeError, match="y is a set, an unordered container"):
        _fit(X=X_BIN[:2], y=set(Y_BIN))


def test_sample_weights_from_an_iterator_are_read_as_a_list():
    # Regression: "float() argument must be a string or a real number, not
    # 'generator'".
    weights = np.arange(1.0, 9.0)
    expected = _fit().fit(X_BIN, Y_BIN, sample_weight=weights).predict_proba(X_BIN)
    clf = _fit().fit(X_BIN, Y_BIN, sample_weight=iter(weights.tolist()))
    assert_array_equal(clf.predict_proba(X_BIN), expected)
    with pytest.raises(TypeError, match="sample_weight is a set, an unordered"):
        _fit().fit(X_BIN[:2], Y_BIN[:2], sample_weight={1.0, 2.0})


def test_labels_of_numpy_string_dtype_are_strings():
    # Regression: scikit-learn's finiteness check failed on StringDType ("dtype
    # argument must be a NumPy dtype").
    y = np.array(Y_BIN, dtype=np.dtypes.StringDType())
    clf = _fit(y=y)
    assert clf.classes_.tolist() == ["neg", "pos"]
    assert_array_equal(clf.predict(X_BIN), _fit().predict(X_BIN))
    partial = RNNTextClassifier(**FAST).partial_fit(X_BIN, y, classes=np.unique(y))
    assert partial.classes_.tolist() == ["neg", "pos"]


# ------------------------------------------------------------- parameters


@pytest.mark.parametrize("max_iter", [2, "auto"])
@pytest.mark.parametrize("integer", [np.uint8, np.int16])
def test_integer_parameters_of_numpy_types_train_as_python_ints(integer, max_iter):
    # Regression: batch_size=np.uint8(5) failed with "OverflowError: Python
    # integer -2 out of bounds for uint8" (-(-n // batch_size) counts the
    # steps of an epoch).
    params = {
        "batch_size": 5,
        "n_iter_no_change": 2,
        "early_stopping": True,
        "validation_fraction": 0.25,
        "max_iter": max_iter,
    }
    expected = _fit(**params).predict_proba(X_BIN)
    typed = {
        name: integer(value) if isinstance(value, int) and value is not True else value
        for name, value in params.items()
    }
    assert_array_equal(_fit(**typed).predict_proba(X_BIN), expected)


BAD_PARAMS = [
    ("hidden_size", -1),
    ("hidden_size", 0),
    ("hidden_size", 2.5),
    ("embedding_dim", 0),
    ("num_layers", 0),
    ("cell", "foo"),
    ("pooling", "min"),
    ("solver", "lbfgs"),
    ("learning_rate", "linear"),
    ("learning_rate_init", 0),
    ("learning_rate_init", -0.1),
    ("dropout", 1.0),
    ("momentum", 1.5),
    ("clip_value", 0),
    ("batch_size", 0),
    ("max_iter", 0),
    ("validation_fraction", 1.0),
    ("class_weight", "auto"),
    ("bidirectional", "yes"),
    ("min_df", -1),
    ("max_df", 1.5),
]


@pytest.mark.parametrize("name, value", BAD_PARAMS)
def test_invalid_parameters_are_named(name, value):
    clf = RNNTextClassifier(**{**FAST, name: value})
    match = f"'{name}' parameter of RNNTextClassifier"
    with pytest.raises(InvalidParameterError, match=match):
        clf.fit(X_BIN, Y_BIN)
    with pytest.raises(InvalidParameterError, match=match):
        clf.partial_fit(X_BIN, Y_BIN, classes=["neg", "pos"])
    assert issubclass(InvalidParameterError, ValueError)
    assert not hasattr(clf, "weights_")


# ------------------------------------------------------------- persistence


def test_pickle_round_trip():
    clf = _fit(X_MULTI, Y_MULTI, cell="gru")
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict_proba(X_MULTI), clf.predict_proba(X_MULTI))
    assert_array_equal(restored.classes_, clf.classes_)
    _assert_weights_equal(restored.weights_, clf.weights_)


def test_joblib_round_trip(tmp_path):
    clf = _fit(X_MULTI, Y_MULTI, cell="lstm", bidirectional=True)
    path = tmp_path / "clf.joblib"
    joblib.dump(clf, path)
    restored = joblib.load(path)
    assert_array_equal(restored.predict_proba(X_MULTI), clf.predict_proba(X_MULTI))
    assert restored.get_params()["cell"] == "lstm"


def test_unpickled_estimator_can_warm_start():
    clf = _fit(warm_start=True, max_iter=2, shuffle=False)
    restored = pickle.loads(pickle.dumps(clf))
    clf.fit(X_BIN, Y_BIN)
    restored.fit(X_BIN, Y_BIN)
    _assert_weights_equal(restored.weights_, clf.weights_)
    assert restored.n_iter_ == clf.n_iter_ == 4


# ------------------------------------------------------------- no side effects


def test_prediction_does_not_mutate_the_estimator():
    clf = _fit(X_MULTI, Y_MULTI, dropout=0.3, num_layers=2)
    snapshot = copy.deepcopy(vars(clf))
    test = [*X_MULTI, "never seen", ""]
    clf.predict(test)
    clf.predict_proba(test)
    clf.predict_log_proba(test)
    clf.decision_function(test)
    clf.score(X_MULTI, Y_MULTI)
    _assert_same_state(snapshot, vars(clf))


def test_predictions_are_deterministic_with_dropout():
    clf = _fit(X_MULTI, Y_MULTI, dropout=0.5)
    assert_array_equal(clf.predict_proba(X_MULTI), clf.predict_proba(X_MULTI))


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_input_dropout_applies_whatever_the_other_dropout(dropout):
    # Regression: input_dropout was ignored when dropout was 0.
    dropped = _fit(dropout=dropout, input_dropout=0.5)
    kept = _fit(dropout=dropout, input_dropout=0.0)
    assert not np.array_equal(dropped.weights_["embed.E"], kept.weights_["embed.E"])


def test_input_dropout_leaves_one_hot_inputs_alone():
    dropped = _fit(embedding_dim=None, input_dropout=0.5)
    kept = _fit(embedding_dim=None, input_dropout=0.0)
    _assert_weights_equal(_copy_weights(dropped), _copy_weights(kept))


def test_concurrent_predictions_equal_sequential_ones():
    clf = _fit(X_MULTI, Y_MULTI, cell="lstm")
    batches = [
        [doc * (i % 4 + 1) for doc in X_MULTI] + ["new words " * i] for i in range(8)
    ]
    sequential = [clf.predict_proba(batch) for batch in batches]
    with ThreadPoolExecutor(max_workers=2) as pool:
        concurrent = list(pool.map(clf.predict_proba, batches))
    for seq, con in zip(sequential, concurrent, strict=True):
        assert_array_equal(seq, con)


def test_fit_does_not_modify_its_inputs():
    X = np.array(X_BIN, dtype=object)
    y = np.array(Y_BIN)
    sample_weight = np.linspace(1, 2, 8)
    X0, y0, sw0 = X.copy(), y.copy(), sample_weight.copy()
    _fit(X, y, class_weight="balanced").fit(X, y, sample_weight=sample_weight)
    assert_array_equal(X, X0)
    assert_array_equal(y, y0)
    assert_array_equal(sample_weight, sw0)


# ------------------------------------------------------------- warm start


def test_warm_start_continues_training():
    clf = _fit(warm_start=True, max_iter=3, learning_rate_init=0.01, shuffle=False)
    first_curve = list(clf.loss_curve_)
    first_vocabulary = clf.vectorizer_
    clf.fit(X_BIN, Y_BIN)
    assert clf.n_iter_ == 6
    assert clf.t_ == 6 * len(X_BIN)
    assert len(clf.loss_curve_) == 6
    assert clf.loss_curve_[:3] == first_curve
    assert clf.loss_curve_[-1] < first_curve[-1]
    assert clf.vectorizer_ is first_vocabulary


def test_without_warm_start_fit_starts_over():
    clf = _fit(max_iter=3)
    clf.fit(X_BIN, Y_BIN)
    assert clf.n_iter_ == 3
    assert len(clf.loss_curve_) == 3


#: A warm fit runs a cosine schedule again from its start: the equivalence of
#: warm fits and one fit is the constant schedule's.
EQUIVALENCE = {
    "shuffle": False,
    "dropout": 0.0,
    "learning_rate_init": 0.01,
    "learning_rate": "constant",
}


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_two_warm_fits_of_one_epoch_equal_one_fit_of_two(solver):
    once = _fit(max_iter=2, solver=solver, **EQUIVALENCE)
    twice = _fit(max_iter=1, solver=solver, warm_start=True, **EQUIVALENCE)
    twice.fit(X_BIN, Y_BIN)
    assert twice.n_iter_ == once.n_iter_ == 2
    assert twice.t_ == once.t_
    for name in once.weights_:
        assert_allclose(
            twice.weights_[name], once.weights_[name], rtol=1e-6, err_msg=name
        )
    assert_allclose(twice.loss_curve_, once.loss_curve_, rtol=1e-6)


@pytest.mark.parametrize("learning_rate", ["constant", "cosine"])
@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_two_partial_fits_equal_one_fit_of_two_epochs(solver, learning_rate):
    # each partial_fit is the next epoch of the schedule of max_iter epochs
    params = {**EQUIVALENCE, "learning_rate": learning_rate, "max_iter": 2}
    once = _fit(solver=solver, **params)
    incremental = RNNTextClassifier(**{**FAST, **params}, solver=solver)
    assert incremental.partial_fit(X_BIN, Y_BIN, classes=["pos", "neg"]) is incremental
    assert incremental.n_iter_ == 1
    incremental.partial_fit(X_BIN, Y_BIN)
    assert incremental.n_iter_ == 2
    assert_array_equal(incremental.classes_, once.classes_)
    for name in once.weights_:
        assert_allclose(
            incremental.weights_[name], once.weights_[name], rtol=1e-6, err_msg=name
        )


def test_partial_fit_with_a_subset_of_classes_in_a_chunk():
    clf = RNNTextClassifier(**FAST)
    clf.partial_fit(X_MULTI[:2], Y_MULTI[:2], classes=["red", "green", "blue"])
    assert_array_equal(clf.classes_, ["blue", "green", "red"])
    assert clf.predict_proba(X_MULTI).shape == (9, 3)
    clf.partial_fit(X_MULTI[2:], Y_MULTI[2:])
    assert clf.n_iter_ == 2


def test_partial_fit_needs_classes_on_the_first_call():
    with pytest.raises(ValueError, match="classes must be passed"):
        RNNTextClassifier(**FAST).partial_fit(X_BIN, Y_BIN)


def test_partial_fit_rejects_balanced_class_weight():
    clf = RNNTextClassifier(**FAST, class_weight="balanced")
    with pytest.raises(ValueError, match="balanced"):
        clf.partial_fit(X_BIN, Y_BIN, classes=["neg", "pos"])


@pytest.mark.parametrize(
    "change",
    [
        {"hidden_size": 4},
        {"cell": "gru"},
        {"bidirectional": True},
        # Regression: the fitted vocabulary was kept and these changes ignored.
        {"max_length": 1},
        {"min_df": 2},
        {"lowercase": False},
        {"stop_words": ["a"]},
        {"analyzer": "char"},
    ],
)
def test_changing_the_architecture_or_text_between_warm_starts_is_an_error(change):
    clf = _fit(warm_start=True)
    weights = _copy_weights(clf)
    clf.set_params(**change)
    (name,) = change
    with pytest.raises(ValueError, match=f"{name} changed"):
        clf.fit(X_BIN, Y_BIN)
    with pytest.raises(ValueError, match=f"{name} changed"):
        clf.partial_fit(X_BIN, Y_BIN)
    _assert_weights_equal(clf.weights_, weights)


@pytest.mark.parametrize(
    "before, after",
    [
        ({"dtype": "float32"}, {"dtype": np.float32}),
        ({"dtype": np.float64}, {"dtype": "float64"}),
        ({"vocabulary": ["good", "bad"]}, {"vocabulary": np.array(["good", "bad"])}),
        ({"stop_words": ["a"]}, {"stop_words": ["a"]}),
    ],
)
def test_equal_parameter_values_do_not_block_a_warm_start(before, after):
    # Regression: dtype="float32" and np.float32 were taken for a change.
    clf = _fit(warm_start=True, **before)
    clf.set_params(**after).fit(X_BIN, Y_BIN)
    assert clf.n_iter_ == 2 * FAST["max_iter"]


def test_stop_words_changed_in_place_after_fit_change_nothing_fitted():
    # Regression: the fitted vectorizer shared the caller's list, so words
    # appended to it after fit were dropped by predict (silently other
    # probabilities), and neither warm_start nor save saw the change.
    stop_words = ["a"]
    clf = _fit(stop_words=stop_words)
    proba = clf.predict_proba(X_BIN)
    stop_words.extend(["good", "bad"])
    assert_array_equal(clf.predict_proba(X_BIN), proba)
    assert clf.vectorizer_.stop_words == ["a"]
    with pytest.raises(ValueError, match="stop_words changed"):
        clf.set_params(warm_start=True).fit(X_BIN, Y_BIN)


def test_a_vocabulary_changed_in_place_after_fit_is_a_change():
    # Regression: the fitted vectorizer shared the caller's mapping, so a
    # warm start continued the old vocabulary as if it were unchanged.
    vocabulary = {"good": 2, "bad": 3}
    clf = _fit(vocabulary=vocabulary, warm_start=True)
    vocabulary["film"] = 4
    with pytest.raises(ValueError, match="vocabulary changed"):
        clf.fit(X_BIN, Y_BIN)


def _series_vocabulary():
    vocabulary = pd.Series(["good", "bad"])
    return vocabulary, lambda: vocabulary.__setitem__(0, "film")


def _mapping_proxy_vocabulary():
    words = {"good": 2, "bad": 3}
    return types.MappingProxyType(words), lambda: words.update(film=4)


@pytest.mark.parametrize("make", [_series_vocabulary, _mapping_proxy_vocabulary])
def test_a_vocabulary_series_or_mapping_changed_in_place_is_a_change(make):
    # Regression: a pandas Series and a mapping other than a dict were not
    # copied, so a warm start continued the old vocabulary, and save wrote
    # the changed one beside it, silently.
    vocabulary, edit = make()
    clf = _fit(vocabulary=vocabulary, warm_start=True)
    clf.fit(X_BIN, Y_BIN)  # unchanged: no false change
    assert clf.n_iter_ == 2 * FAST["max_iter"]
    edit()
    with pytest.raises(ValueError, match="vocabulary changed"):
        clf.fit(X_BIN, Y_BIN)
    with pytest.raises(ValueError, match="vocabulary changed"):
        skrnn.save(clf, io.BytesIO())


def test_warm_start_applies_new_dropout_rates():
    # Regression: the rates of the first fit were kept.
    clf = _fit(
        cell="gru",
        learning_rate="constant",
        warm_start=True,
        dropout=0.5,
        input_dropout=0.5,
    )
    clf.set_params(dropout=0.0, input_dropout=0.0)
    seen = []
    original = training.run_epoch

    def spy(params, optimizer, data, config, *args, **kwargs):
        seen.append((config.dropout, config.input_dropout))
        return original(params, optimizer, data, config, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(training, "run_epoch", spy)
        clf.fit(X_BIN, Y_BIN)
        clf.set_params(dropout=0.3).partial_fit(X_BIN, Y_BIN)
    assert seen == [(0.0, 0.0)] * FAST["max_iter"] + [(0.3, 0.0)]
    assert (clf._fitted.config.dropout, clf._fitted.config.input_dropout) == (0.3, 0.0)


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "adam", "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-6},
        {"solver": "sgd", "momentum": 0.5, "nesterovs_momentum": False},
        {"solver": "sgd", "learning_rate": "invscaling", "power_t": 0.25},
        {"solver": "adamw", "alpha": 0.1, "beta_2": 0.95},
    ],
)
def test_the_optimizer_has_the_estimators_settings(params):
    clf = _fit(learning_rate_init=0.02, **params)
    hyperparameters = clf._fitted.optimizer.get_hyperparameters()
    assert hyperparameters["learning_rate_init"] == 0.02
    for name, value in params.items():
        if name != "solver":
            assert hyperparameters[name] == value, name


def test_freezing_one_hot_inputs_warns_that_it_does_nothing():
    with pytest.warns(UserWarning, match="no embedding table"):
        _fit(embedding_dim=None, freeze_embeddings=True)


def test_a_warm_fit_after_partial_fit_builds_the_changed_optimizer():
    # Regression: partial_fit, which continues its optimizer as MLPClassifier
    # does, marked the changed settings as applied, so no later warm fit
    # applied them.
    clf = _fit(warm_start=True, learning_rate="constant")
    clf.set_params(solver="sgd", learning_rate_init=0.5).partial_fit(X_BIN, Y_BIN)
    assert isinstance(clf._fitted.optimizer, AdamOptimizer)
    clf.fit(X_BIN, Y_BIN)
    assert isinstance(clf._fitted.optimizer, SGDOptimizer)
    assert clf._fitted.optimizer.learning_rate_init == 0.5


@pytest.mark.parametrize(
    "classes, match",
    [
        ([0, 1, np.nan], "NaN"),
        ([0, 0.5, 1], "classes: Unknown label type"),
        ([["neg", "pos"]], "classes must be a 1-D"),
    ],
)
def test_partial_fit_checks_its_classes(classes, match):
    with pytest.raises(ValueError, match=match):
        RNNTextClassifier(**FAST).partial_fit(X_BIN, Y_BIN, classes=classes)


def test_partial_fit_rejects_other_classes_on_a_later_call():
    clf = RNNTextClassifier(**FAST).partial_fit(X_BIN, Y_BIN, classes=["neg", "pos"])
    clf.partial_fit(X_BIN, Y_BIN, classes=["pos", "neg"])
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X_BIN, Y_BIN, classes=["neg", "pos", "other"])
    assert clf.n_iter_ == 2


@pytest.mark.parametrize(
    "params",
    [
        {"class_weight": "balanced"},
        {"early_stopping": True},
        {"early_stopping": np.True_},
    ],
    ids=["balanced", "early_stopping", "numpy's True"],
)
def test_partial_fit_refuses_unsupported_settings_on_later_calls_too(params):
    # Regression: only the first call checked them; and numpy's True (from
    # an array of settings), which the parameter's validation takes as a
    # boolean, trained without early stopping, silently.
    clf = RNNTextClassifier(**FAST).partial_fit(X_BIN, Y_BIN, classes=["neg", "pos"])
    clf.set_params(**params)
    (name,) = params
    with pytest.raises(ValueError, match=name):
        clf.partial_fit(X_BIN, Y_BIN)


# ------------------------------------------------------------- stopping


def test_early_stopping_records_validation_scores():
    X, y = load_toy_sentiment(return_X_y=True)
    clf = RNNTextClassifier(
        **{**FAST, "max_iter": 30},
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=3,
        learning_rate_init=0.03,
    ).fit(X, y)
    assert isinstance(clf.validation_scores_, list)
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    assert all(0.0 <= s <= 1.0 for s in clf.validation_scores_)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    # 40 documents trained on, 10 held out
    assert clf.t_ == clf.n_iter_ * 40


def test_early_stopping_says_when_it_cannot_stratify():
    # Regression: a class of one sample made the split unstratified silently.
    X, y = [*X_BIN, "a lone document"], [*Y_BIN, "other"]
    with pytest.warns(UserWarning, match="not stratified"):
        _fit(X, y, early_stopping=True, validation_fraction=0.3)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*not stratified")
        _fit(early_stopping=True, validation_fraction=0.3)


@pytest.mark.parametrize("max_iter", [5, "auto"])
@pytest.mark.parametrize(
    ("validation_fraction", "remedy"), [(0.1, "larger"), (0.99, "smaller")]
)
def test_early_stopping_too_few_samples_names_validation_fraction(
    validation_fraction, remedy, max_iter
):
    # 0.1 of 8 documents holds out 1, fewer than the 2 classes (stratified);
    # 0.99 leaves nothing to train on.  Regression (a prober's finding): with
    # max_iter="auto", the default, that was a ZeroDivisionError (planning
    # the epochs of no training document), and the error asked for a larger
    # validation_fraction either way.
    with pytest.raises(ValueError, match=f"{remedy} validation_fraction"):
        _fit(
            early_stopping=True,
            validation_fraction=validation_fraction,
            max_iter=max_iter,
        )


def test_stopping_on_a_training_loss_plateau():
    # As MLPClassifier: the first epoch always improves on an infinite best
    # loss; training stops once the epochs without a gain of tol (none can
    # gain 10.0 here) outnumber n_iter_no_change.
    for n_iter_no_change in (1, 3):
        clf = _fit(max_iter=100, n_iter_no_change=n_iter_no_change, tol=10.0)
        assert clf.n_iter_ == n_iter_no_change + 2


@pytest.mark.filterwarnings("default::sklearn.exceptions.ConvergenceWarning")
def test_convergence_warning_when_max_iter_is_reached():
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(2\)"):
        _fit(max_iter=2, learning_rate="constant")


def test_no_convergence_warning_when_stopped_or_partial():
    # The module ignores ConvergenceWarning; record every warning here instead
    # (a test's own filterwarnings mark does not override the module's); at a
    # constant rate, since the cosine schedule never warns.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _fit(learning_rate="constant", max_iter=100, n_iter_no_change=1, tol=10.0)
        clf = RNNTextClassifier(**{**FAST, "max_iter": 1}, learning_rate="constant")
        clf.partial_fit(X_BIN, Y_BIN, classes=["neg", "pos"])
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]


# ------------------------------------------------------------- cosine schedule

#: SGD, whose rate is the schedule's own (Adam's has its bias correction),
#: and 3 steps per epoch of the 8 documents.
COSINE = {
    "solver": "sgd",
    "learning_rate": "cosine",
    "learning_rate_init": 0.1,
    "batch_size": 3,
    "max_iter": 4,
}


def _optimizer(clf):
    return clf._fitted.optimizer


def test_cosine_runs_its_schedule_over_max_iter_and_does_not_warn():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = _fit(**COSINE)
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    optimizer = _optimizer(clf)
    assert clf.n_iter_ == optimizer.schedule_epoch == 4
    # the last of the 4 x 3 steps
    assert optimizer.current_learning_rate == cosine_learning_rate(0.1, 11, 12)
    again = _fit(**COSINE)
    _assert_weights_equal(again.weights_, clf.weights_)
    constant = _fit(**{**COSINE, "learning_rate": "constant"})
    assert not np.array_equal(constant.weights_["head.W_hy"], clf.weights_["head.W_hy"])


@pytest.mark.parametrize("solver", ["adam", "adamw"])
def test_cosine_schedules_every_solver(solver):
    clf = _fit(**{**COSINE, "solver": solver})
    optimizer = _optimizer(clf)
    t = optimizer.t
    bias = math.sqrt(1 - optimizer.beta_2**t) / (1 - optimizer.beta_1**t)
    assert t == 12
    assert optimizer.current_learning_rate == cosine_learning_rate(0.1, 11, 12) * bias


def test_a_minibatch_of_weight_0_still_moves_the_cosine_schedule():
    # 8 documents of one length in batches of 2, in order: the 2nd and 4th
    # batches weigh 0 and take no step, but the epoch ends where the
    # schedule planned it (the last step taken is step 2 of 4, not 1)
    X = ["good film", "bad film", "fine plot", "dull plot"] * 2
    y = [1, 0, 1, 0] * 2
    clf = RNNTextClassifier(
        **{**FAST, **COSINE, "batch_size": 2, "max_iter": 1, "shuffle": False}
    ).fit(X, y, sample_weight=[1, 1, 0, 0, 1, 1, 0, 0])
    optimizer = _optimizer(clf)
    assert optimizer.schedule_epoch == 1
    assert optimizer.current_learning_rate == cosine_learning_rate(0.1, 2, 4)


@pytest.mark.parametrize("other", ["invscaling", "adaptive"])
def test_adam_takes_other_schedules_as_one_constant_setting(other):
    # Adam acts as "constant" under both: changing between them is no new
    # optimizer at a warm start (its moments and steps go on)
    clf = _fit(solver="adam", learning_rate="constant", max_iter=2, warm_start=True)
    assert _optimizer(clf).t > 0
    steps = _optimizer(clf).t
    clf.set_params(learning_rate=other).fit(X_BIN, Y_BIN)
    assert _optimizer(clf).t == 2 * steps
    assert _optimizer(clf).learning_rate == "constant"


def test_cosine_plans_the_steps_left_after_the_hold_out():
    X, y = load_toy_sentiment(return_X_y=True)  # 50 documents, 40 trained on
    clf = RNNTextClassifier(
        **{**FAST, **COSINE, "batch_size": 16, "max_iter": 3, "n_iter_no_change": 9},
        early_stopping=True,
        validation_fraction=0.2,
    ).fit(X, y)
    assert clf.n_iter_ == 3
    assert _optimizer(clf).current_learning_rate == cosine_learning_rate(0.1, 8, 9)


def test_early_stopping_may_end_the_cosine_schedule_early():
    clf = _fit(**{**COSINE, "max_iter": 50}, n_iter_no_change=1, tol=10.0)
    assert clf.n_iter_ == _optimizer(clf).schedule_epoch == 3
    assert _optimizer(clf).current_learning_rate == cosine_learning_rate(0.1, 8, 150)


def test_every_member_of_an_ensemble_runs_the_schedule():
    clf = _fit(**COSINE, n_estimators=2)
    assert [m.optimizer.schedule_epoch for m in clf._fitted.ensemble] == [4, 4]


def test_a_warm_fit_runs_the_cosine_schedule_again():
    clf = _fit(**COSINE, warm_start=True)
    clf.fit(X_BIN, Y_BIN)
    assert clf.n_iter_ == 8
    assert _optimizer(clf).schedule_epoch == 4
    assert _optimizer(clf).current_learning_rate == cosine_learning_rate(0.1, 11, 12)


def test_partial_fit_is_the_next_epoch_of_the_cosine_schedule():
    clf = RNNTextClassifier(**{**FAST, **COSINE, "max_iter": 2})
    clf.partial_fit(X_BIN, Y_BIN, classes=["neg", "pos"])
    assert _optimizer(clf).current_learning_rate == cosine_learning_rate(0.1, 2, 6)
    clf.partial_fit(X_BIN[:4], Y_BIN[:4])  # 2 steps: epoch 2 of 2 x 2 steps
    assert _optimizer(clf).current_learning_rate == cosine_learning_rate(0.1, 3, 4)
    with pytest.warns(UserWarning, match="learning rate of 0"):
        clf.partial_fit(X_BIN, Y_BIN)
    assert _optimizer(clf).current_learning_rate == 0.0
    # a longer schedule goes on from the epochs done
    clf.set_params(max_iter=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf.partial_fit(X_BIN, Y_BIN)
    assert _optimizer(clf).current_learning_rate == cosine_learning_rate(0.1, 11, 12)


def test_an_ensemble_at_the_end_of_its_cosine_warns_once():
    # Regression: every member of the ensemble gave the warning.
    clf = RNNTextClassifier(**{**FAST, **COSINE, "max_iter": 1, "n_estimators": 3})
    clf.fit(X_BIN, Y_BIN)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.partial_fit(X_BIN, Y_BIN)
    (warning,) = [w for w in caught if "learning rate of 0" in str(w.message)]
    assert warning.filename == __file__  # points at the caller


def test_a_fit_after_partial_fit_restarts_the_cosine_schedule():
    clf = RNNTextClassifier(**{**FAST, **COSINE}, warm_start=True)
    clf.partial_fit(X_BIN, Y_BIN, classes=["neg", "pos"])
    clf.fit(X_BIN, Y_BIN)
    assert _optimizer(clf).schedule_epoch == 4


def test_the_default_schedule_is_the_cosine_with_max_iter_auto():
    params = RNNTextClassifier().get_params()
    assert (params["learning_rate"], params["max_iter"]) == ("cosine", "auto")
    assert params["learning_rate_init"] == 0.01


#: The training-loss rule off, so that a schedule runs to its end.
NO_LOSS_STOP = {"n_iter_no_change": 1000, "solver": "sgd"}


@pytest.mark.parametrize(
    ("n_docs", "batch_size", "early_stopping", "epochs"),
    [
        (24, 1, False, 42),  # 1008 steps: the fewest epochs to reach 1000
        (200, 1, False, 8),  # at least 8 epochs, though 5 would reach 1000
        (8, 8, False, 200),  # at most 200
        (30, 1, True, 42),  # 24 documents trained on (not 30: 34 epochs)
    ],
)
def test_max_iter_auto_gives_the_cosine_at_least_1000_steps(
    monkeypatch, n_docs, batch_size, early_stopping, epochs
):
    monkeypatch.setattr(base_module, "AUTO_MIN_TOKENS", 0)  # the steps' rule alone
    X = [f"w{i % 7} w{i % 5} x" for i in range(n_docs)]
    y = [i % 2 for i in range(n_docs)]
    clf = RNNTextClassifier(
        **{**FAST, **NO_LOSS_STOP, "max_iter": "auto"},
        batch_size=batch_size,
        early_stopping=early_stopping,
        validation_fraction=0.2,
    ).fit(X, y)
    steps = -(-(n_docs - early_stopping * math.ceil(0.2 * n_docs)) // batch_size)
    assert _optimizer(clf).schedule_epoch == epochs
    if not early_stopping:
        assert clf.n_iter_ == epochs
    # the last step of the schedule planned
    assert _optimizer(clf).current_learning_rate == cosine_learning_rate(
        0.01, epochs * steps - 1, epochs * steps
    )


@pytest.mark.parametrize(
    ("max_tokens", "params", "epochs"),
    [
        (1000, {}, 13),  # 72 tokens an epoch: 13 epochs read at most 1000
        (10, {}, 1),  # at least one epoch
        (10_000, {}, 42),  # the budget does not bind: 1000 steps, as before
        (1000, {"max_length": 2}, 20),  # the tokens read: 48 an epoch
        # 24 documents trained on, 90 * 24 // 30 = 72 tokens an epoch
        (1000, {"early_stopping": True, "validation_fraction": 0.2}, 13),
        (10, {"max_iter": 30}, 30),  # an integer max_iter is not bounded
    ],
)
def test_max_iter_auto_reads_at_most_auto_max_tokens(
    monkeypatch, max_tokens, params, epochs
):
    monkeypatch.setattr(base_module, "AUTO_MAX_TOKENS", max_tokens)
    monkeypatch.setattr(base_module, "AUTO_MIN_TOKENS", 0)
    n_docs = 30 if params.get("early_stopping") else 24
    X = [f"w{i % 7} w{i % 5} x" for i in range(n_docs)]
    y = [i % 2 for i in range(n_docs)]
    clf = RNNTextClassifier(
        **{**FAST, **NO_LOSS_STOP, "max_iter": "auto", **params}, batch_size=1
    ).fit(X, y)
    assert _optimizer(clf).schedule_epoch == epochs


def test_max_iter_auto_token_budget_leaves_the_sentence_corpora_alone():
    # The bundled corpora, sentences of about 10 to 21 tokens, train as
    # before: 8 epochs of all their tokens stay within the budget, with
    # room for twice as many sentences.
    for load in (load_movie_reviews, load_sst2, load_sst5, load_trec):
        X, _ = load(return_X_y=True)
        vectorizer = RNNTextClassifier()._make_vectorizer()
        n_tokens = sum(map(len, vectorizer.fit_transform(X)))
        assert 2 * 8 * n_tokens <= base_module.AUTO_MAX_TOKENS, load.__name__


@pytest.mark.parametrize(
    ("min_tokens", "params", "epochs"),
    [
        (0, {}, 42),  # the steps' rule: 1000 steps of 24 documents
        (3600, {}, 50),  # 72 tokens an epoch: 50 epochs read 3600
        (3601, {}, 51),  # ... and one more past it
        (10**6, {}, 200),  # at most 200
        (3600, {"max_length": 2}, 75),  # the tokens read: 48 an epoch
        (3600, {"max_iter": 30}, 30),  # an integer max_iter is kept
    ],
)
def test_max_iter_auto_reads_at_least_auto_min_tokens(
    monkeypatch, min_tokens, params, epochs
):
    monkeypatch.setattr(base_module, "AUTO_MIN_TOKENS", min_tokens)
    X = [f"w{i % 7} w{i % 5} x" for i in range(24)]
    y = [i % 2 for i in range(24)]
    clf = RNNTextClassifier(
        **{**FAST, **NO_LOSS_STOP, "max_iter": "auto", **params}, batch_size=1
    ).fit(X, y)
    assert _optimizer(clf).schedule_epoch == epochs


def test_max_iter_auto_counts_an_empty_document_as_a_token():
    # a review's finding: documents of no tokens asked for 200 epochs of
    # steps that cost as much as any (20,000 empty documents: 625 a epoch)
    clf = RNNTextClassifier()
    assert clf._n_epochs(20_000, 0) == 30  # 600,000 / 20,000
    assert clf._n_epochs(20_000, 400) == 30
    assert clf._n_epochs(4_000, 4_000) == 150


def test_max_iter_auto_gives_short_documents_more_epochs():
    # TREC's questions (about 11 tokens) train 11 epochs; sentences of 19
    # tokens or more (MR, SST-2, SST-5) the 8 of the steps' rule.
    expected = {load_trec: 11, load_movie_reviews: 8, load_sst2: 8, load_sst5: 8}
    for load, epochs in expected.items():
        X, _ = load(return_X_y=True)
        clf = RNNTextClassifier()
        n_tokens = sum(map(len, clf._make_vectorizer().fit_transform(X)))
        assert clf._n_epochs(len(X), n_tokens) == epochs, load.__name__


def test_max_iter_auto_runs_other_schedules_200_epochs():
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(200\)"):
        clf = _fit(
            max_iter="auto",
            learning_rate="constant",
            batch_size=8,
            n_iter_no_change=1000,
        )
    assert clf.n_iter_ == 200


def test_early_stopping_auto_is_off_under_the_cosine_schedule():
    X = [f"w{i % 7} x" for i in range(base_module.EARLY_STOPPING_AUTO_MIN_SAMPLES)]
    y = [i % 2 for i in range(len(X))]
    for learning_rate, held_out in (("cosine", False), ("constant", True)):
        clf = _fit(X, y, max_iter=1, learning_rate=learning_rate)
        assert (clf.validation_scores_ is not None) == held_out


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_partial_fit_with_max_iter_auto_runs_a_schedule_of_its_own(solver):
    # A stream of partial_fit calls does not tell the length of the schedule:
    # every call is a cosine of its own over one epoch, as a warm fit of
    # max_iter=1 runs, and the rate never stays at 0.
    incremental = RNNTextClassifier(**{**FAST, "max_iter": "auto"}, solver=solver)
    warm = RNNTextClassifier(**{**FAST, "max_iter": 1}, solver=solver, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            incremental.partial_fit(X_BIN, Y_BIN, classes=["neg", "pos"])
            warm.fit(X_BIN, Y_BIN)
    assert incremental.n_iter_ == warm.n_iter_ == 3
    _assert_weights_equal(incremental.weights_, warm.weights_)
    # after a fit, too: its schedule ended, but each call runs one from 0.01,
    # here over the 2 steps of 8 documents in batches of 4
    clf = _fit(max_iter="auto", batch_size=4, solver="sgd")
    clf.partial_fit(X_BIN, Y_BIN)
    assert _optimizer(clf).current_learning_rate == cosine_learning_rate(0.01, 1, 2)
    assert _optimizer(clf).schedule_epoch == 1


# ------------------------------------------------------------- divergence

#: float32 cannot hold this learning rate: the first step makes weights inf.
ABSURD = {"solver": "sgd", "learning_rate_init": 1e300, "clip_value": None}


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_divergence_raises_a_value_error_naming_the_learning_rate():
    clf = RNNTextClassifier(**FAST, **ABSURD)
    with pytest.raises(ValueError, match="learning rate"):
        clf.fit(X_BIN, Y_BIN)
    with pytest.raises(NotFittedError):
        clf.predict_proba(X_BIN)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_divergence_leaves_a_fitted_estimator_unchanged():
    clf = _fit()
    proba = clf.predict_proba(X_BIN)
    clf.set_params(**ABSURD)
    snapshot = copy.deepcopy(vars(clf))
    with pytest.raises(ValueError, match="learning rate"):
        clf.fit(X_BIN, Y_BIN)
    _assert_same_state(snapshot, vars(clf))
    assert all(np.isfinite(w).all() for w in clf.weights_.values())
    assert_array_equal(clf.predict_proba(X_BIN), proba)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_divergence_with_embeddings_leaves_the_estimator_unchanged():
    clf = _fit()
    clf.set_params(embeddings={"good": [0.5] * 8}, **ABSURD)
    snapshot = copy.deepcopy(vars(clf))
    with pytest.raises(ValueError, match="learning rate"):
        clf.fit(X_BIN, Y_BIN)
    _assert_same_state(snapshot, vars(clf))


@pytest.mark.parametrize("how", ["fit", "warm_start", "partial_fit"])
def test_divergence_midway_rolls_back_everything(how, monkeypatch):
    # Train one real epoch (mutating weights, optimizer, state and rng in
    # place), then diverge: the estimator must not keep any of it.
    def one_epoch_then_diverge(*args, **kwargs):
        fit_epochs(*args, **{**kwargs, "max_epochs": 1})
        raise TrainingDivergedError("the training loss became nan")

    # (constant: partial_fit after a cosine schedule's end would not move)
    clf = _fit(warm_start=how == "warm_start", dropout=0.2, learning_rate="constant")
    snapshot = copy.deepcopy(vars(clf))
    monkeypatch.setattr(base_module, "fit_epochs", one_epoch_then_diverge)
    with pytest.raises(ValueError, match=r"learning rate.*left as it was"):
        if how == "partial_fit":
            clf.partial_fit(X_BIN, Y_BIN)
        else:
            clf.fit(X_BIN, Y_BIN)
    _assert_same_state(snapshot, vars(clf))


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_warm_start_fit_uses_the_current_learning_rate():
    clf = _fit(warm_start=True)
    weights = _copy_weights(clf)
    clf.set_params(**ABSURD)
    with pytest.raises(ValueError, match="learning rate"):
        clf.fit(X_BIN, Y_BIN)
    _assert_weights_equal(clf.weights_, weights)


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_huge_learning_rate_is_reported_as_divergence():
    clf = RNNTextClassifier(
        **{**FAST, "max_iter": 20},
        solver="sgd",
        learning_rate_init=1e6,
        clip_value=None,
    )
    with pytest.raises(ValueError, match="learning rate"):
        clf.fit(X_BIN, Y_BIN)


# ------------------------------------------------------------- sample weights


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_weight_two_equals_a_duplicated_sample_for_full_batch_sgd(cell):
    params = {
        **FAST,
        "cell": cell,
        "solver": "sgd",
        "momentum": 0.0,
        "learning_rate_init": 0.5,
        "batch_size": 64,
        "shuffle": False,
        "dtype": np.float64,
        "max_iter": 4,
        # ids are ordered by frequency, which duplicating a document can change
        "vocabulary": sorted({word for doc in X_BIN for word in doc.split()}),
    }
    i = 2
    weighted = RNNTextClassifier(**params).fit(
        X_BIN, Y_BIN, sample_weight=np.where(np.arange(8) == i, 2.0, 1.0)
    )
    duplicated = RNNTextClassifier(**params).fit([*X_BIN, X_BIN[i]], [*Y_BIN, Y_BIN[i]])
    unweighted = RNNTextClassifier(**params).fit(X_BIN, Y_BIN)
    assert weighted.vectorizer_.vocabulary_ == duplicated.vectorizer_.vocabulary_
    for name in weighted.weights_:
        assert_allclose(
            weighted.weights_[name], duplicated.weights_[name], rtol=1e-9, atol=1e-12
        )
    # and the weight does something
    assert not np.allclose(
        weighted.weights_["head.W_hy"], unweighted.weights_["head.W_hy"]
    )


def test_unit_sample_weights_equal_none():
    a = _fit()
    b = RNNTextClassifier(**FAST).fit(X_BIN, Y_BIN, sample_weight=np.ones(8))
    _assert_weights_equal(a.weights_, b.weights_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e-300, 1e-40, 1e38, 1e300])
def test_sample_weights_of_any_finite_scale_train_as_their_ratios(dtype, scale):
    # Regression: weights whose sum float32 cannot hold were an error (and
    # before that trained nothing, every loss NaN), and so were weights
    # that it rounds to 0 (a prober's design question): only their ratios
    # matter.
    ratios = np.array([1.0, 2.0, 0.5, 1.0, 0.0, 1.0, 4.0, 1.0])
    expected = RNNTextClassifier(**FAST, dtype=dtype).fit(
        X_BIN, Y_BIN, sample_weight=ratios / 4
    )
    scaled = RNNTextClassifier(**FAST, dtype=dtype).fit(
        X_BIN, Y_BIN, sample_weight=ratios * scale
    )
    for name, value in expected.weights_.items():
        assert_allclose(scaled.weights_[name], value, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sample_weights_near_the_float64_limit_train_without_numpy_warnings(dtype):
    # Regression (a prober's finding): weights whose sum float64 cannot hold
    # (8 weights of 1e308) trained as their ratios, but numpy first warned
    # "overflow encountered in scalar multiply" from the check of their sum.
    ratios = np.array([1.0, 2.0, 0.5, 1.0, 0.0, 1.0, 4.0, 1.0])
    expected = RNNTextClassifier(**FAST, dtype=dtype).fit(
        X_BIN, Y_BIN, sample_weight=ratios / 4
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        scaled = RNNTextClassifier(**FAST, dtype=dtype).fit(
            X_BIN, Y_BIN, sample_weight=ratios * 4e307
        )
    for name, value in expected.weights_.items():
        assert_allclose(scaled.weights_[name], value, rtol=1e-4, atol=1e-6)


def test_all_zero_sample_weights_are_an_error():
    with pytest.raises(ValueError, match="non-zero"):
        RNNTextClassifier(**FAST).fit(X_BIN, Y_BIN, sample_weight=np.zeros(8))


@pytest.mark.parametrize(
    ("estimator", "y"),
    [
        (RNNTextClassifier, Y_BIN),
        (skrnn.RNNTextRegressor, np.arange(8.0)),
    ],
    ids=["classifier", "regressor"],
)
def test_all_zero_sample_weights_are_an_error_whatever_scikit_learn_checks(
    monkeypatch, estimator, y
):
    # Regression (a prober's finding): scikit-learn 1.6 to 1.8, which skrnn
    # supports, let all-zero weights through their check, and fit failed
    # with numpy's "zero-size array to reduction operation minimum".
    def as_before_scikit_learn_1_9(sample_weight, X, **kwargs):
        return np.asarray(sample_weight, dtype=np.float64)

    monkeypatch.setattr(base_module, "_check_sample_weight", as_before_scikit_learn_1_9)
    model = estimator(hidden_size=4, embedding_dim=4, max_iter=2, random_state=0)
    with pytest.raises(ValueError, match="at least one non-zero number"):
        model.fit(X_BIN, y, sample_weight=np.zeros(8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("scale", "sample_scale"),
    [(1e38, None), (1e38, 1e3), (1e300, 1e300), (1e-30, 1e-20), (1e-300, 1e-300)],
)
def test_class_weights_of_any_finite_scale_train_as_their_ratios(
    dtype, scale, sample_scale
):
    # Regression (a prober's finding): a product of class and sample weights
    # whose sum the dtype cannot hold was an error that blamed "the sample
    # weights", even without any, and one that it rounds to 0 left "nothing
    # to train on": only the ratios matter, as for sample weights alone.
    ratios = np.array([1.0, 2.0, 0.5, 1.0, 0.0, 1.0, 4.0, 1.0])
    expected = RNNTextClassifier(
        **FAST, dtype=dtype, class_weight={"pos": 3.0, "neg": 1.0}
    ).fit(X_BIN, Y_BIN, sample_weight=ratios)
    sample_weight = ratios if sample_scale is None else ratios * sample_scale
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        scaled = RNNTextClassifier(
            **FAST, dtype=dtype, class_weight={"pos": 3 * scale, "neg": scale}
        ).fit(X_BIN, Y_BIN, sample_weight=sample_weight)
    for name, value in expected.weights_.items():
        assert_allclose(scaled.weights_[name], value, rtol=1e-4, atol=1e-6)


#: "film" is ambiguous (6 negative, 3 positive); "boring" always negative, so
#: the classes are 16 to 3 and "balanced" weighs each positive 16/3 times more.
X_IMBALANCED = ["film"] * 6 + ["film"] * 3 + ["boring"] * 10
Y_IMBALANCED = [0] * 6 + [1] * 3 + [0] * 10


def test_balanced_class_weight_raises_minority_recall():
    params = {**FAST, "max_iter": 60, "learning_rate_init": 0.05, "batch_size": 19}
    plain = RNNTextClassifier(**params).fit(X_IMBALANCED, Y_IMBALANCED)
    balanced = RNNTextClassifier(**params, class_weight="balanced").fit(
        X_IMBALANCED, Y_IMBALANCED
    )
    recall_plain = recall_score(Y_IMBALANCED, plain.predict(X_IMBALANCED))
    recall_balanced = recall_score(Y_IMBALANCED, balanced.predict(X_IMBALANCED))
    assert recall_balanced > recall_plain
    p_balanced = balanced.predict_proba(["film"])[0, 1]
    p_plain = plain.predict_proba(["film"])[0, 1]
    assert p_balanced > 0.5 > p_plain


def test_class_weight_dict_equals_sample_weight():
    params = {**FAST, "shuffle": False, "dtype": np.float64}
    by_class = RNNTextClassifier(**params, class_weight={"pos": 3.0, "neg": 1.0})
    by_class.fit(X_BIN, Y_BIN)
    by_sample = RNNTextClassifier(**params).fit(
        X_BIN, Y_BIN, sample_weight=[3.0 if label == "pos" else 1.0 for label in Y_BIN]
    )
    for name in by_class.weights_:
        assert_allclose(by_class.weights_[name], by_sample.weights_[name], rtol=1e-12)


@pytest.mark.parametrize(
    "class_weight, match",
    [
        ({"pos": 0.0, "neg": 0.0}, "weight 0"),
        ({"pos": -1.0, "neg": 1.0}, "non-negative"),
        ({"pos": np.nan, "neg": 1.0}, "finite"),
        ({"pos": np.inf, "neg": 1.0}, "finite"),
    ],
)
def test_class_weight_is_checked_like_sample_weight(class_weight, match):
    # Regression: zero weights trained nothing, negative ones were applied.
    with pytest.raises(ValueError, match=match):
        _fit(class_weight=class_weight)


def test_loss_curve_holds_python_floats_with_class_weight():
    clf = _fit(class_weight={"pos": 2.0, "neg": 1.0})
    assert all(type(loss) is float for loss in clf.loss_curve_)


def test_early_stopping_on_a_split_with_all_weights_zero_is_a_clear_error():
    # Regression: np.average raised ZeroDivisionError while scoring.  With
    # one document of nonzero weight, one of the two parts has none, whichever
    # the split.
    X, y = X_BIN * 3, Y_BIN * 3
    sample_weight = np.zeros(len(X))
    sample_weight[0] = 1.0
    for seed in range(3):
        clf = RNNTextClassifier(
            **{**FAST, "random_state": seed},
            early_stopping=True,
            validation_fraction=0.2,
        )
        with pytest.raises(ValueError, match="weight 0"):
            clf.fit(X, y, sample_weight=sample_weight)


def test_char_analyzer_learns_text_without_spaces_between_words():
    # Chinese has no spaces: as words, every training sentence is one unique
    # token and the new sentences below are unknown words.
    X = [
        "这部电影很好看",
        "这部电影很难看",
        "我很喜欢",
        "我不喜欢",
        "真好看",
        "真难看",
    ] * 3
    y = [1, 0, 1, 0, 1, 0] * 3
    params = {**FAST, "max_iter": 60, "learning_rate_init": 0.05}
    new = ["很好看", "很难看"]
    by_char = RNNTextClassifier(**params, analyzer="char").fit(X, y)
    assert by_char.vectorizer_.vocabulary_.keys() == set("".join(X))
    assert_array_equal(by_char.predict(new), [1, 0])
    by_word = RNNTextClassifier(**params).fit(X, y)
    assert (by_word.vectorizer_.transform(new)[0] == 1).all()


@pytest.mark.parametrize(
    "n_classes, uses_it", [(2, True), (100, True), (101, False), (200, False)]
)
def test_auto_early_stopping_needs_room_for_every_class(n_classes, uses_it):
    # Regression: with 1000 documents and more than 100 classes the default
    # failed, the stratified tenth being too small for every class.
    n = base_module.EARLY_STOPPING_AUTO_MIN_SAMPLES
    X = [f"w{i % n_classes} x" for i in range(n)]
    y = [i % n_classes for i in range(n)]
    params = {**FAST, "max_iter": 1, "learning_rate": "constant"}
    clf = RNNTextClassifier(**params).fit(X, y)
    assert (clf.validation_scores_ is not None) == uses_it
    assert len(clf.classes_) == n_classes


def test_auto_early_stopping_holds_nothing_out_where_a_part_has_no_weight():
    # A prober's finding: early_stopping="auto" (the default), once on,
    # failed the fit when one of the two parts had only samples of weight 0,
    # and said to set early_stopping=False, which the user had not asked
    # for.  With one document of nonzero weight, one part has none.
    n = base_module.EARLY_STOPPING_AUTO_MIN_SAMPLES
    X = [f"w{i % 7} x" for i in range(n)]
    y = [i % 2 for i in range(n)]
    sample_weight = np.zeros(n)
    sample_weight[0] = 1.0
    for seed in range(3):
        params = {"max_iter": 1, "learning_rate": "constant", "random_state": seed}
        clf = RNNTextClassifier(**{**FAST, **params})
        clf.fit(X, y, sample_weight=sample_weight)
        assert clf.validation_scores_ is None
        assert clf.best_loss_ is not None
        # and holds a tenth out where both parts have weight
        clf.fit(X, y, sample_weight=np.ones(n))
        assert clf.validation_scores_ is not None


def test_warm_starts_hold_out_the_same_documents(monkeypatch):
    # Regression: every warm fit drew a new split, so the documents held out
    # by the first fit were trained on by the next and validation was leaky.
    held_out = []
    original = base_module.train_test_split

    def spy(indices, **kwargs):
        train, validation = original(indices, **kwargs)
        held_out.append(sorted(validation))
        return train, validation

    monkeypatch.setattr(base_module, "train_test_split", spy)
    X, y = load_toy_sentiment(return_X_y=True)
    clf = RNNTextClassifier(
        **FAST, early_stopping=True, validation_fraction=0.2, warm_start=True
    )
    clf.fit(X, y).fit(X, y)
    clf.set_params(max_iter=2).fit(X, y)
    assert len(held_out) == 3
    assert held_out[0] == held_out[1] == held_out[2]
    fresh = clone(clf).set_params(warm_start=False, random_state=1).fit(X, y)
    assert held_out[-1] != held_out[0]
    assert fresh._fitted.training.validation_seed is not None


def test_clone_of_fitted_estimator_is_unfitted():
    clf = _fit()
    fresh = clone(clf)
    assert not hasattr(fresh, "weights_")
    assert fresh.get_params() == clf.get_params()


@pytest.mark.parametrize("truncating", ["pre", "post"])
def test_truncating_is_passed_to_the_vectorizer(truncating):
    clf = _fit(max_length=2, truncating=truncating)
    assert clf.vectorizer_.truncating == truncating
    kept = clf.vectorizer_.inverse_transform(
        clf.vectorizer_.transform(["a good bad film"])
    )[0]
    assert kept == (["a", "good"] if truncating == "post" else ["bad", "film"])


# ------------------------------------------------------------- progress

#: Enough tokens for several prediction batches.
LONG_DOCS = [
    " ".join(["good film", "bad story"][i % 2] for _ in range(60)) for i in range(300)
]
PREDICTING = ["predict", "predict_proba", "predict_log_proba", "decision_function"]


def _without_tqdm(monkeypatch):
    # None in sys.modules makes `from tqdm.auto import tqdm` raise ImportError.
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)


@pytest.mark.parametrize("method", PREDICTING)
@pytest.mark.parametrize("n_jobs", [None, 2], ids=["1-thread", "2-threads"])
def test_verbose_2_shows_the_progress_of_a_long_prediction(
    method, n_jobs, capsys, monkeypatch
):
    _without_tqdm(monkeypatch)
    monkeypatch.setattr(base_module, "PROGRESS_DELAY", 0.0)
    clf = _fit(n_jobs=n_jobs)
    quiet = getattr(clf, method)(LONG_DOCS)
    assert capsys.readouterr().out == ""
    loud = getattr(clf.set_params(verbose=2), method)(LONG_DOCS)
    out = capsys.readouterr().out
    # every batch counted once, from whichever thread ran it; then erased
    assert f"\rPredicting: {len(LONG_DOCS)}/{len(LONG_DOCS)} documents" in out
    assert out.endswith("\r") and not out.split("\r")[-2].strip()
    assert_array_equal(loud, quiet)


def test_verbose_2_prediction_progress_with_tqdm(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(base_module, "PROGRESS_DELAY", 0.0)
    clf = _fit(verbose=2)
    capsys.readouterr()
    clf.predict(LONG_DOCS)
    out = capsys.readouterr().out
    assert "Predicting" in out and "%|" in out


def test_a_quick_prediction_prints_nothing_even_at_verbose_2(capsys, monkeypatch):
    _without_tqdm(monkeypatch)
    clf = _fit(verbose=2)
    capsys.readouterr()
    clf.predict_proba(X_BIN)
    assert capsys.readouterr().out == ""


def test_no_progress_is_made_below_verbose_2(monkeypatch):
    # The hot path: no progress display, no per-batch callback.
    def fail(*args, **kwargs):
        raise AssertionError("progress shown")

    monkeypatch.setattr(base_module, "progress", fail)
    clf = _fit()
    for verbose in (0, 1):
        clf.set_params(verbose=verbose)
        for method in PREDICTING:
            getattr(clf, method)(LONG_DOCS[:5])


def test_verbose_1_shows_the_progress_of_a_long_first_epoch_only(capsys, monkeypatch):
    _without_tqdm(monkeypatch)
    monkeypatch.setattr(training, "PROGRESS_DELAY", 0.0)
    clf = _fit(max_iter=3, verbose=1, batch_size=2)
    out = capsys.readouterr().out
    assert f"\rEpoch 1: {len(X_BIN)}/{len(X_BIN)} samples" in out
    assert "Epoch 2:" not in out and "Epoch 3:" not in out
    assert clf.n_iter_ == 3 and "Epoch 3, loss" in out


def test_verbose_1_says_nothing_within_a_quick_first_epoch(capsys, monkeypatch):
    _without_tqdm(monkeypatch)
    _fit(max_iter=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1:" not in out
    assert out.startswith("Epoch 1, loss")


# ----------------------------------------------------------------- multi-label

#: Each document tagged with the colours and the things it names.
X_TAGS = ["red apple", "green apple", "red car", "green car", "red", "apple"] * 3
LABELS = ("red", "green", "apple")
Y_TAGS = np.array([[int(label in doc) for label in LABELS] for doc in X_TAGS])
TAGS_LEARN = {**FAST, "max_iter": 80, "learning_rate_init": 0.03}


def test_multilabel_fit_predict_and_probabilities():
    clf = RNNTextClassifier(**TAGS_LEARN).fit(X_TAGS, Y_TAGS)
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.weights_["head.W_hy"].shape[1] == 3
    assert_array_equal(clf.predict(X_TAGS), Y_TAGS)
    assert clf.score(X_TAGS, Y_TAGS) == 1.0  # subset accuracy
    proba = clf.predict_proba(X_TAGS)
    assert proba.shape == (len(X_TAGS), 3)
    # independent probabilities, not a distribution over the labels
    assert not np.allclose(proba.sum(axis=1), 1.0)
    logits = clf.decision_function(X_TAGS)
    assert_allclose(proba, 1 / (1 + np.exp(-logits)), rtol=1e-5, atol=1e-6)
    assert_array_equal(clf.predict(X_TAGS), (logits > 0).astype(int))
    assert_allclose(clf.predict_log_proba(X_TAGS), np.log(proba), rtol=1e-4)


def test_multilabel_loss_is_the_summed_binary_cross_entropy():
    # As MLPClassifier's binary_log_loss: summed over labels, mean over
    # samples; here at the first epoch of a full-batch step that changes
    # nothing measurable.
    params = {**FAST, "batch_size": len(X_TAGS), "max_iter": 1, "dropout": 0.0}
    params.update(input_dropout=0.0, solver="sgd", learning_rate_init=1e-12)
    clf = RNNTextClassifier(**params).fit(X_TAGS, Y_TAGS)
    p = clf.predict_proba(X_TAGS)
    expected = -(Y_TAGS * np.log(p) + (1 - Y_TAGS) * np.log(1 - p)).sum(axis=1)
    assert clf.loss_curve_[0] == pytest.approx(expected.mean(), rel=1e-4)


def test_multilabel_targets_dense_sparse_and_bool_give_one_model():
    scipy_sparse = pytest.importorskip("scipy.sparse")
    dense = RNNTextClassifier(**FAST).fit(X_TAGS, Y_TAGS)
    for y in (scipy_sparse.csr_matrix(Y_TAGS), Y_TAGS.astype(bool), Y_TAGS.tolist()):
        other = RNNTextClassifier(**FAST).fit(X_TAGS, y)
        assert_array_equal(other.predict_proba(X_TAGS), dense.predict_proba(X_TAGS))


@pytest.mark.parametrize("dtype", ["boolean", "Int64"])
def test_multilabel_targets_of_pandas_nullable_dtypes(dtype):
    # Regression: a DataFrame of pandas' nullable booleans or integers was
    # refused as "a 'unknown' target", and with a missing value failed in
    # pandas ("boolean value of NA is ambiguous").
    y = pd.DataFrame(Y_TAGS).astype(dtype)
    dense = RNNTextClassifier(**FAST).fit(X_TAGS, Y_TAGS)
    other = RNNTextClassifier(**FAST).fit(X_TAGS, y)
    assert_array_equal(other.predict_proba(X_TAGS), dense.predict_proba(X_TAGS))
    y.iloc[1, 0] = pd.NA
    with pytest.raises(ValueError, match="y contains NaN"):
        RNNTextClassifier(**FAST).fit(X_TAGS, y)


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (np.full((18, 2), 2), "binary indicator matrix.*other than 0 and 1"),
        (np.array([["a", "b"]] * 18), "binary indicator matrix"),
        # Regression: numpy's "inhomogeneous shape" error
        ([["a"], ["a", "b"]] * 9, "MultiLabelBinarizer"),
        # Regression: "Unknown label type: unknown ... continuous values"
        ([{"a"}, {"a", "b"}] * 9, "y holds sets.*MultiLabelBinarizer"),
        (pd.Series([frozenset("a"), frozenset()] * 9), "MultiLabelBinarizer"),
    ],
    ids=["not-binary", "strings", "lists-of-labels", "sets", "series-of-sets"],
)
def test_multilabel_target_errors(y, match):
    with pytest.raises(ValueError, match=match):
        RNNTextClassifier(**FAST).fit(X_TAGS, y)


def test_multilabel_refuses_class_weight_and_says_what_to_use():
    with pytest.raises(
        ValueError, match=r"class_weight is not supported.*sample_weight"
    ):
        RNNTextClassifier(**FAST, class_weight={0: 2.0}).fit(X_TAGS, Y_TAGS)


def test_multilabel_sample_weight_weighs_documents():
    # Weight 0 on every "red" document: "red" is never learned as a label.
    weights = np.where(Y_TAGS[:, 0] == 1, 0.0, 1.0)
    clf = RNNTextClassifier(**TAGS_LEARN).fit(X_TAGS, Y_TAGS, sample_weight=weights)
    assert clf.predict_proba(["red apple", "red car"])[:, 0].max() < 0.5


def test_multilabel_partial_fit_warm_start_and_early_stopping():
    clf = RNNTextClassifier(**FAST)
    clf.partial_fit(X_TAGS, Y_TAGS, classes=[0, 1, 2]).partial_fit(X_TAGS, Y_TAGS)
    assert clf.n_iter_ == 2
    with pytest.raises(ValueError, match=r"classes must be range\(3\)"):
        RNNTextClassifier(**FAST).partial_fit(X_TAGS, Y_TAGS, classes=["a", "b"])
    with pytest.raises(ValueError, match="class labels, but the fitted network"):
        clf.partial_fit(X_TAGS, ["red"] * len(X_TAGS))
    with pytest.raises(ValueError, match="y has 2 labels"):
        clf.partial_fit(X_TAGS, Y_TAGS[:, :2])
    single = RNNTextClassifier(**FAST, warm_start=True).fit(X_BIN, Y_BIN)
    with pytest.raises(ValueError, match="multi-label indicator matrix, but"):
        single.fit(X_TAGS, Y_TAGS)
    stopped = RNNTextClassifier(**FAST, early_stopping=True).fit(
        X_TAGS * 10, np.tile(Y_TAGS, (10, 1))
    )
    assert len(stopped.validation_scores_) == stopped.n_iter_
    assert all(0 <= score <= 1 for score in stopped.validation_scores_)


def test_multilabel_save_load_pickle_staged_and_explain():
    clf = RNNTextClassifier(**TAGS_LEARN).fit(X_TAGS, Y_TAGS)
    buffer = io.BytesIO()
    skrnn.save(clf, buffer)
    loaded = skrnn.load(io.BytesIO(buffer.getvalue()))
    unpickled = pickle.loads(pickle.dumps(clf))
    for other in (loaded, unpickled):
        assert_array_equal(other.predict_proba(X_TAGS), clf.predict_proba(X_TAGS))
        assert_array_equal(other.predict(X_TAGS), clf.predict(X_TAGS))
    staged = clf.staged_predict_proba(["red apple", ""])
    assert [s.shape for s in staged] == [(2, 3), (0, 3)]
    assert_allclose(staged[0][-1], clf.predict_proba(["red apple"])[0], rtol=1e-5)
    explanation = clf.explain("red apple")
    assert_array_equal(explanation.prediction, [1, 0, 1])
    assert explanation.attributions.shape == (2, 3)
    without = clf.predict_proba(["apple", "red"])
    assert_allclose(explanation.attributions, explanation.proba - without, rtol=1e-4)
    # "red" matters most for label 0, "apple" for label 2
    assert explanation.attributions[:, 0].argmax() == 0
    assert explanation.attributions[:, 2].argmax() == 1
    assert "prediction: labels [0, 2]" in str(explanation)
    with pytest.raises(ValueError, match="no single predicted class"):
        _ = explanation.predicted_index


def test_documents_are_read_up_to_their_1000th_token_by_default():
    # Regression: with max_length=None by default, 200 documents of 10,000
    # tokens silently took 70 s and 600 MB an epoch.
    assert RNNTextClassifier().max_length == 1000
    rng = np.random.default_rng(0)
    words = np.array(["good", "bad", "film", "story"])
    long_doc = " ".join(rng.choice(words, 1500))
    first_1000 = " ".join(long_doc.split()[:1000])
    clf = _fit([long_doc, "bad film", "good story", "bad story"], [1, 0, 1, 0])
    assert [len(s) for s in clf.vectorizer_.transform([long_doc])] == [1000]
    assert_array_equal(clf.predict_proba([long_doc]), clf.predict_proba([first_1000]))
    whole = _fit(
        [long_doc, "bad film", "good story", "bad story"], [1, 0, 1, 0], max_length=None
    )
    assert [len(s) for s in whole.vectorizer_.transform([long_doc])] == [1500]


# ------------------------------------------------------------------ ensembles


def _ensemble(**params):
    X, y = load_toy_sentiment(return_X_y=True)
    params = {
        "random_state": 0,
        "max_iter": 3,
        "n_estimators": 3,
        "ngram_range": None,
        **params,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return RNNTextClassifier(**params).fit(X, y), X, y


def test_one_estimator_is_the_single_network():
    single, _, _ = _ensemble(n_estimators=1)
    three, _, _ = _ensemble()
    assert len(single.estimators_weights_) == 1
    assert single.estimators_weights_[0] is single.weights_
    # member 0 of an ensemble is the network that n_estimators=1 trains
    for name, weight in single.weights_.items():
        assert_array_equal(three.weights_[name], weight)


def test_ensemble_members_differ_and_probabilities_are_their_mean():
    clf, X, _ = _ensemble()
    members = clf.estimators_weights_
    assert len(members) == 3
    for k in (1, 2):
        assert not np.array_equal(members[0]["embed.E"], members[k]["embed.E"])
    per_member = []
    for weights in members:
        single = copy.deepcopy(clf)
        single._fitted = dataclasses.replace(clf._fitted, weights=weights, members=())
        per_member.append(single.predict_proba(X))
    proba = clf.predict_proba(X)
    assert_allclose(proba, np.mean(per_member, axis=0), rtol=1e-12)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)
    assert_allclose(clf.staged_predict_proba(X[:2])[1][-1], proba[1], rtol=1e-6)
    explanation = clf.explain(X[1])
    assert_allclose(explanation.proba, proba[1], rtol=1e-6)
    assert explanation.attributions.shape == (len(explanation.tokens),)


def _spy_on_workers(monkeypatch, min_tokens=0):
    """The ``n_jobs`` of each joblib.Parallel that trains members side by side.

    The toy fits here have too little work to start workers for, unless
    ``min_tokens`` lowers the bar.
    """
    if min_tokens is not None:
        monkeypatch.setattr(base_module, "MEMBER_WORKERS_MIN_SAVING", min_tokens)
    calls = []
    real = base_module.Parallel

    def spy(*args, **kwargs):
        calls.append(kwargs["n_jobs"])
        return real(*args, **kwargs)

    monkeypatch.setattr(base_module, "Parallel", spy)
    return calls


def _assert_same_members(one, two):
    pairs = zip(one._fitted.ensemble, two._fitted.ensemble, strict=True)
    for a, b in pairs:
        for name in a.weights:
            assert_array_equal(a.weights[name], b.weights[name])
        assert (a.training.n_iter, a.training.t) == (b.training.n_iter, b.training.t)


def test_ensemble_does_not_depend_on_n_jobs(monkeypatch):
    workers = _spy_on_workers(monkeypatch)
    one, X, y = _ensemble(n_jobs=1, batch_size=80)
    assert workers == []
    # the three members train side by side in two worker processes
    two, _, _ = _ensemble(n_jobs=2, batch_size=80)
    assert workers == [2]
    _assert_same_members(one, two)
    # ... which share member 0's vocabulary and classes, as one after another
    # (regression: each came back with copies of its own)
    for member in two._fitted.members:
        assert member.vectorizer is two._fitted.vectorizer
        assert member.classes is two._fitted.classes
    # ... and come back whole: their optimizers and generators continue alike
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for clf in (one, two):
            clf.set_params(warm_start=True, max_iter=2).fit(X, y)
    _assert_same_members(one, two)
    assert_array_equal(one.predict_proba(X), two.predict_proba(X))


@pytest.mark.parametrize("text_param", ["vocabulary", "tokenizer"])
def test_members_train_in_workers_whatever_the_text_parameters(monkeypatch, text_param):
    # Regression: the workers were sent the estimator's text parameters and
    # each member's vectorizer (member 0's task all the members), which they
    # do not need: a vocabulary given as an iterator, or a tokenizer holding
    # a lock, failed the fit with "Could not pickle the task to send it to
    # the workers", where n_jobs=1 fitted.
    X, _ = load_toy_sentiment(return_X_y=True)
    words = sorted({word for doc in X for word in doc.lower().split()})
    lock = threading.Lock()

    def tokenizer(doc):
        with lock:
            return doc.lower().split()

    def params():
        if text_param == "vocabulary":
            return {"vocabulary": (word for word in words)}
        return {"tokenizer": tokenizer, "token_pattern": None}

    one, X, _ = _ensemble(n_jobs=1, batch_size=80, **params())
    workers = _spy_on_workers(monkeypatch)
    two, _, _ = _ensemble(n_jobs=2, batch_size=80, **params())
    assert workers == [2]
    _assert_same_members(one, two)
    for member in two._fitted.members:
        assert member.vectorizer is two._fitted.vectorizer
    assert_array_equal(one.predict_proba(X), two.predict_proba(X))


@pytest.mark.parametrize(
    "case",
    [
        "verbose",
        "partial_fit",
        "registered cell",
        "callbacks",
        "threads",
        "little work",
    ],
)
def test_members_train_in_turn_where_workers_cannot(case, monkeypatch, capsys):
    # Printed lines would mix, partial_fit's epoch is short, another process
    # knows only the built-in cells, callbacks follow the epochs here, on
    # joblib's threads the members would gain nothing (and an interrupt would
    # not stop them), and starting workers costs more than a small fit.
    workers = _spy_on_workers(
        monkeypatch, min_tokens=None if case == "little work" else 0
    )
    X, y = load_toy_sentiment(return_X_y=True)
    clf = RNNTextClassifier(
        random_state=0, max_iter=1, n_estimators=2, n_jobs=2, ngram_range=None
    )
    if case == "verbose":
        clf.set_params(verbose=1).fit(X, y)
        assert "Member 2 of 2:" in capsys.readouterr().out
    elif case == "partial_fit":
        clf.partial_fit(X, y, classes=np.unique(y))
    elif case == "registered cell":
        skrnn.nn.register_cell("copy_of_rnn", CELLS["rnn"])
        try:
            clf.set_params(cell="copy_of_rnn").fit(X, y)
        finally:
            skrnn.nn.unregister_cell("copy_of_rnn")
    elif case == "threads":
        with joblib.parallel_config(backend="threading"):
            clf.fit(X, y)
    elif case == "little work":
        clf.fit(X, y)
    else:
        callback = pytest.importorskip("sklearn.callback")
        monitor = callback.ScoringMonitor(scoring="accuracy")
        clf.set_callbacks(monitor).fit(X, y)
        assert (
            len([row for row in monitor.get_logs().data if row["task_name"] == "epoch"])
            == 2
        )
    assert workers == []
    assert len(clf.estimators_weights_) == 2


@pytest.mark.parametrize(("n_estimators", "rounds_saved"), [(2, 1), (3, 1), (5, 2)])
def test_workers_pay_for_their_start_in_the_training_they_save(
    n_estimators, rounds_saved, monkeypatch
):
    # Two workers save a round of members for 2 or 3 members, two for 5.
    clf, X, _ = _ensemble(n_estimators=n_estimators, n_jobs=2, max_iter=1)
    data = training.Dataset(clf.vectorizer_.transform(X), np.zeros(len(X)), None)
    saving = rounds_saved * int(data.lengths.sum()) * 4  # over 4 epochs
    ensemble = clf._fitted.ensemble
    monkeypatch.setattr(base_module, "MEMBER_WORKERS_MIN_SAVING", saving)
    assert clf._member_workers(ensemble, data, 4, incremental=False) == 2
    monkeypatch.setattr(base_module, "MEMBER_WORKERS_MIN_SAVING", saving + 1)
    assert clf._member_workers(ensemble, data, 4, incremental=False) == 1


def test_a_member_diverging_in_a_worker_keeps_the_fitted_model(monkeypatch):
    workers = _spy_on_workers(monkeypatch)
    clf, X, y = _ensemble(n_jobs=2, n_estimators=2, max_iter=1)
    before = clf._fitted
    with pytest.raises(ValueError, match="Training diverged"):
        clf.set_params(learning_rate_init=1e30, warm_start=True).fit(X, y)
    assert clf._fitted is before
    assert workers == [2, 2]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_an_unstratified_hold_out_is_told_once_to_the_caller(n_jobs, monkeypatch):
    # Regression: the members split their hold-outs in joblib's workers with
    # n_jobs=2, whose warnings went to the workers' stderr, out of the
    # caller's filters (and in turn, the warning came once a member, pointing
    # into scikit-learn).
    workers = _spy_on_workers(monkeypatch)
    X, y = [*X_BIN, "a lone document"], [*Y_BIN, "other"]
    with pytest.warns(UserWarning, match="not stratified") as record:
        _fit(
            X,
            y,
            early_stopping=True,
            validation_fraction=0.3,
            n_estimators=2,
            n_jobs=n_jobs,
        )
    assert workers == ([2] if n_jobs == 2 else [])
    [warning] = [w for w in record if "not stratified" in str(w.message)]
    assert warning.filename == __file__  # points at the caller


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_ensemble_continues_every_member(how):
    # (at a constant rate: a cosine schedule of 3 epochs has ended)
    clf, X, y = _ensemble(learning_rate="constant")
    before = [copy.deepcopy(w) for w in clf.estimators_weights_]
    t = [member.training.t for member in clf._fitted.ensemble]
    if how == "partial_fit":
        clf.partial_fit(X, y)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.set_params(warm_start=True, max_iter=1).fit(X, y)
    for k, member in enumerate(clf._fitted.ensemble):
        assert member.training.t == t[k] + len(X)
        assert not np.array_equal(member.weights["head.W_hy"], before[k]["head.W_hy"])


def test_ensemble_round_trips_through_pickle():
    clf, X, _ = _ensemble()
    again = pickle.loads(pickle.dumps(clf))
    assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    assert len(again.estimators_weights_) == 3


def test_warm_start_refuses_another_n_estimators():
    clf, X, y = _ensemble()
    clf.set_params(warm_start=True, n_estimators=2)
    with pytest.raises(ValueError, match="n_estimators=3, or set warm_start=False"):
        clf.fit(X, y)
    # partial_fit is told to call fit: warm_start is not what it reads
    with pytest.raises(ValueError, match="call fit, not partial_fit"):
        clf.partial_fit(X, y)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "3"])
def test_bad_n_estimators(bad):
    X, y = load_toy_sentiment(return_X_y=True)
    with pytest.raises(InvalidParameterError, match="n_estimators"):
        RNNTextClassifier(n_estimators=bad).fit(X, y)


def test_verbose_names_the_member(capsys):
    _ensemble(n_estimators=2, max_iter=1, verbose=1)
    out = capsys.readouterr().out
    assert "Member 1 of 2:" in out and "Member 2 of 2:" in out


def test_early_stopping_is_per_member():
    clf, _, _ = _ensemble(early_stopping=True, max_iter=2)
    seeds = {member.training.validation_seed for member in clf._fitted.ensemble}
    assert len(seeds) == 3
    assert all(member.held_out for member in clf._fitted.ensemble)


# ----------------------------------------------------------- adversarial training


def test_adversarial_epsilon_reaches_every_step(monkeypatch):
    seen = []
    original = training.shard_gradient

    def spy(params, config, task):
        seen.append(task.adversarial_epsilon)
        return original(params, config, task)

    monkeypatch.setattr(training, "shard_gradient", spy)
    plain = _fit(max_iter=2)
    assert set(seen) == {0.0}
    seen.clear()
    adversarial = _fit(max_iter=2, adversarial_epsilon=0.5)
    assert seen and set(seen) == {0.5}
    assert adversarial.adversarial_epsilon == 0.5
    # L(x + r) > L(x): the objective, and so loss_curve_, grows
    assert adversarial.loss_curve_[0] > plain.loss_curve_[0]
    assert not np.array_equal(
        adversarial.weights_["embed.E"], plain.weights_["embed.E"]
    )


def test_adversarial_epsilon_refuses_one_hot_inputs_and_keeps_the_model():
    clf = _fit(embedding_dim=None, max_iter=1, warm_start=True)
    before = {name: value.copy() for name, value in clf.weights_.items()}
    clf.set_params(adversarial_epsilon=1.0)
    with pytest.raises(ValueError, match="one-hot words; set an embedding_dim"):
        clf.fit(X_BIN, Y_BIN)
    assert clf.n_iter_ == 1
    for name, value in before.items():
        assert_array_equal(clf.weights_[name], value)
    with pytest.raises(ValueError, match=r"adversarial_epsilon=1\.0 perturbs"):
        RNNTextClassifier(embedding_dim=None, adversarial_epsilon=1.0).fit(X_BIN, Y_BIN)


def test_adversarial_epsilon_too_large_for_float32_says_so():
    # Regression: 1e39 became inf in float32, the perturbed words NaN, and
    # the error said that training diverged and blamed the learning rate.
    with pytest.raises(ValueError, match=r"adversarial_epsilon=1e\+39 is larger"):
        _fit(adversarial_epsilon=1e39)
    largest = float(np.finfo(np.float32).max)
    assert np.isfinite(_fit(max_iter=1, adversarial_epsilon=largest).loss_curve_).all()
    _fit(max_iter=1, adversarial_epsilon=1e39, dtype=np.float64)


@pytest.mark.parametrize("bad", [-0.1, "1", None])
def test_bad_adversarial_epsilon(bad):
    with pytest.raises(InvalidParameterError, match="adversarial_epsilon"):
        _fit(adversarial_epsilon=bad)


def test_adversarial_partial_fits_equal_one_fit_with_dropout():
    # The adversarial pass reuses the clean pass's dropout masks without
    # drawing any: the generator, and so epochs to come, are as one fit's.
    params = {**EQUIVALENCE, "dropout": 0.3, "input_dropout": 0.3}
    params["adversarial_epsilon"] = 0.5
    once = _fit(max_iter=2, **params)
    incremental = RNNTextClassifier(**{**FAST, **params})
    incremental.partial_fit(X_BIN, Y_BIN, classes=["pos", "neg"])
    incremental.partial_fit(X_BIN, Y_BIN)
    warm = _fit(max_iter=1, warm_start=True, **params)
    warm.fit(X_BIN, Y_BIN)
    for name in once.weights_:
        assert_allclose(incremental.weights_[name], once.weights_[name], rtol=1e-6)
        assert_allclose(warm.weights_[name], once.weights_[name], rtol=1e-6)


def test_adversarial_epsilon_can_change_between_warm_starts():
    clf = _fit(max_iter=1, warm_start=True)
    clf.set_params(adversarial_epsilon=0.5).fit(X_BIN, Y_BIN)
    assert clf.n_iter_ == 2


def test_adversarial_ensemble_does_not_depend_on_n_jobs():
    # 80 documents a batch: two shards, on one thread or two.
    one, _, _ = _ensemble(
        n_jobs=1, batch_size=80, n_estimators=2, adversarial_epsilon=1
    )
    two, _, _ = _ensemble(
        n_jobs=2, batch_size=80, n_estimators=2, adversarial_epsilon=1
    )
    plain, _, _ = _ensemble(n_jobs=1, batch_size=80, n_estimators=2)
    for a, b, c in zip(
        one.estimators_weights_,
        two.estimators_weights_,
        plain.estimators_weights_,
        strict=True,
    ):
        assert not np.array_equal(a["embed.E"], c["embed.E"])
        for name in a:
            assert_array_equal(a[name], b[name])


# ------------------------------------------------------- the n-gram companion

X_MORE = [*X_BIN, "good good film", "a very bad film", "bad story", "good acting"]


def _blend(p, q, w, blend, axis=-1):
    """What ``ngram_blend`` says the output of probabilities ``p``, ``q`` is."""
    if blend == "arithmetic":
        return (1 - w) * p + w * q
    product = p ** (1 - w) * q**w
    return product if axis is None else product / product.sum(axis, keepdims=True)


def _with_companion(X=X_BIN, y=Y_BIN, **params):
    return _fit(X, y, **{"ngram_range": (1, 2), **params})


@pytest.mark.parametrize(
    ("X", "y", "params"),
    [
        (X_BIN, Y_BIN, {}),
        (X_MULTI, Y_MULTI, {"n_estimators": 2, "ngram_weight": 0.3}),
        (X_MULTI, Y_MULTI, {"bidirectional": True, "ngram_range": (1, 3)}),
        (X_BIN, Y_BIN, {"char_ngram_range": (2, 4)}),
        (X_MULTI, Y_MULTI, {"char_ngram_range": (1, 3), "ngram_range": (1, 1)}),
    ],
    ids=[
        "binary",
        "multi-class ensemble",
        "bidirectional",
        "characters",
        "multi-class characters",
    ],
)
@pytest.mark.parametrize("blend", ["geometric", "arithmetic"])
def test_the_companion_is_blended_into_every_prediction(X, y, params, blend):
    clf = _with_companion(X, y, ngram_blend=blend, **params)
    weight = clf.ngram_weight_
    docs = [*X, "an unseen word", "", "good blue red"]
    proba = clf.predict_proba(docs)
    network = clf.set_params(ngram_weight=0.0).predict_proba(docs)
    ngrams = clf.set_params(ngram_weight=1.0).predict_proba(docs)
    clf.set_params(ngram_weight=weight)
    assert_allclose(proba, _blend(network, ngrams, weight, blend), rtol=1e-10)
    assert not np.allclose(proba, network)
    assert_allclose(np.exp(clf.predict_log_proba(docs)), proba, rtol=1e-10)
    assert_array_equal(clf.predict(docs), clf.classes_[proba.argmax(axis=1)])
    decision = clf.decision_function(docs)
    if len(clf.classes_) == 2:
        assert_allclose(decision, np.log(proba[:, 1] / proba[:, 0]), rtol=1e-8)
    else:
        assert_allclose(np.exp(decision), proba, rtol=1e-10)
    assert clf.score(docs[: len(y)], y) == np.mean(clf.predict(docs[: len(y)]) == y)
    # the last stage and the explanation are the prediction of the whole
    staged = clf.staged_predict_proba(docs)
    for block, p in zip(staged, proba, strict=True):
        if len(block):
            assert_allclose(block[-1], p, rtol=1e-8)
    assert staged[-2].shape == (0, len(clf.classes_))
    explanation = clf.explain(docs[2])
    assert_allclose(explanation.proba, proba[2], rtol=1e-8)
    assert_allclose(explanation.staged_proba, staged[2], rtol=1e-8)


def _companion_threads(monkeypatch):
    """The threads on which the companion's logits will be computed."""
    threads = []
    real = prediction_module.ngram_logits

    def recorded(*args):
        threads.append(threading.current_thread())
        return real(*args)

    monkeypatch.setattr(prediction_module, "ngram_logits", recorded)
    return threads


def test_with_threads_the_companion_runs_beside_the_networks(monkeypatch):
    # n_jobs=2: the companion is one more task on the prediction's threads,
    # not a pass on the calling thread after the networks'; the output is the
    # same to the bit as on one thread.
    clf = _with_companion(X_MULTI, Y_MULTI, n_estimators=2)
    docs = X_MULTI * 30
    one = clf.predict_proba(docs)
    # batches of 8 documents: threads only run several batches
    monkeypatch.setattr(prediction_module, "prediction_batch_size", lambda *_: 8)
    threads = _companion_threads(monkeypatch)
    assert_array_equal(clf.set_params(n_jobs=2).predict_proba(docs), one)
    assert threads and threads[0] is not threading.main_thread()
    assert_array_equal(clf.set_params(n_jobs=1).predict_proba(docs), one)
    assert threads[1] is threading.main_thread()


def test_with_two_jobs_the_network_trains_all_its_epochs_beside_the_companion(
    monkeypatch,
):
    # Regression: with scikit-learn's callback support (1.9 and later), the
    # end of every epoch built the model for the callbacks, the companion
    # included, even with no callback set: from its first epoch's end the
    # network waited for the companion's fit, and the two ran one after the
    # other.  The companion here waits for the network's last epoch.
    max_iter = FAST["max_iter"]
    epochs_done, waited = [], []
    network_done = threading.Event()
    real_epoch, real_companion = training.run_epoch, classifier_module.fit_ngrams

    def counted_epoch(*args, **kwargs):
        loss = real_epoch(*args, **kwargs)
        epochs_done.append(loss)
        if len(epochs_done) == max_iter:
            network_done.set()
        return loss

    def waiting_companion(*args, **kwargs):
        waited.append(network_done.wait(timeout=5.0))
        return real_companion(*args, **kwargs)

    monkeypatch.setattr(training, "run_epoch", counted_epoch)
    monkeypatch.setattr(classifier_module, "fit_ngrams", waiting_companion)
    clf = _with_companion(n_jobs=2, ngram_weight=0.7)
    assert waited == [True]
    assert clf.n_iter_ == max_iter == len(epochs_done)


def test_ctrl_c_while_waiting_for_the_companion_keeps_the_trained_network(
    monkeypatch,
):
    # Regression: a Ctrl-C while the fit waited for the companion beside it,
    # the network's epochs all done, left the fit with a KeyboardInterrupt
    # and the estimator without the network just trained (unfitted, for a
    # first fit).  The companion's thread cannot be stopped: the fit waits
    # for it, keeps both, and says so.
    expected = _with_companion(n_jobs=2)
    real_beside = base_module.beside

    @contextlib.contextmanager
    def interrupted_wait(func, n_jobs):
        with real_beside(func, n_jobs) as result:
            calls = []

            def companion():
                calls.append(None)
                if len(calls) == 1:
                    raise KeyboardInterrupt  # ^C while waiting
                return result()

            yield companion

    monkeypatch.setattr(base_module, "beside", interrupted_wait)
    try:
        with pytest.warns(UserWarning, match="while the n-gram companion fitted"):
            clf = _with_companion(n_jobs=2)
    except KeyboardInterrupt:
        pytest.fail("the Ctrl-C ended the fit, and the network was lost")
    assert clf.n_iter_ == expected.n_iter_ == FAST["max_iter"]
    assert clf.ngram_weight_ == expected.ngram_weight_
    assert_array_equal(clf.predict_proba(X_BIN), expected.predict_proba(X_BIN))


@pytest.mark.parametrize("warm_start", [False, True])
def test_ctrl_c_while_the_companion_fits_first_keeps_the_model_held_before(
    monkeypatch, warm_start
):
    # Regression: with one job the companion fits before the network, and a
    # Ctrl-C then left the fit with a KeyboardInterrupt, where one during
    # the epochs, or while ngram_weight="auto" chooses the weight, warns and
    # returns the estimator as the user guide says.
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    clf = _with_companion(ngram_weight=0.7, warm_start=warm_start)
    before = clf.predict_proba(X_BIN)
    fitted = clf._fitted
    monkeypatch.setattr(classifier_module, "fit_ngrams", interrupted)
    new = RNNTextClassifier(**{**FAST, "ngram_range": (1, 2), "ngram_weight": 0.7})
    for estimator in (clf, new):
        try:
            with pytest.warns(UserWarning, match="while the n-gram companion fitted"):
                estimator.fit(X_BIN, Y_BIN)
        except KeyboardInterrupt:
            pytest.fail("the Ctrl-C ended the fit")
    assert clf._fitted is fitted
    assert_array_equal(clf.predict_proba(X_BIN), before)
    assert not hasattr(new, "classes_")


def test_with_threads_one_batch_and_the_companion_run_on_the_calling_thread(
    monkeypatch,
):
    # Regression: with n_jobs=2 the companion ran on a thread of its own
    # beside a call's single batch, whose thread start-up and GIL hand-offs
    # made a call of a few documents 1.4-2.4 times as long as on one thread.
    clf = _with_companion(X_MULTI, Y_MULTI, n_jobs=2)
    threads = _companion_threads(monkeypatch)
    two = clf.predict_proba(X_MULTI)
    assert threads == [threading.main_thread()]
    assert_array_equal(two, clf.set_params(n_jobs=1).predict_proba(X_MULTI))


def test_staged_probabilities_of_the_companion_are_those_of_the_prefixes():
    clf = _with_companion(X_MORE, ["pos", "neg"] * 6, ngram_range=(1, 3))
    doc = "a very good film , good story"
    tokens = clf.vectorizer_.build_analyzer()(doc)
    prefixes = [" ".join(tokens[: t + 1]) for t in range(len(tokens))]
    assert_allclose(
        clf.staged_predict_proba([doc])[0], clf.predict_proba(prefixes), rtol=1e-8
    )


def test_occlusion_includes_the_companion():
    clf = _with_companion(X_MORE, ["pos", "neg"] * 6)
    doc = "a very good film"
    tokens = doc.split()
    explanation = clf.explain(doc)
    p = clf.predict_proba([doc])[0]
    c = explanation.predicted_index
    without = [" ".join(tokens[:i] + tokens[i + 1 :]) for i in range(len(tokens))]
    expected = p[c] - clf.predict_proba(without)[:, c]
    assert_allclose(explanation.attributions, expected, rtol=1e-8, atol=1e-12)


#: A document longer than the networks' window of the tests below, whose
#: telling words ("bad", "good") come after its first three tokens.
LONG_DOC = "a film , not bad at all , a good story"


def test_the_companion_reads_the_whole_of_documents_longer_than_max_length():
    # Regression: the companion read the network's max_length tokens only,
    # and lost what came after (real reviews: 88.8 -> 89.6 on RT-2k).
    y = ["pos", "neg"] * 6
    X = [f"a film , so {word}" for word in ("good", "bad")] * 6
    clf = _with_companion(X, y, max_length=3, ngram_weight=1.0)
    assert clf._fitted.ngrams.whole_documents
    proba = clf.predict_proba(["a film , so good", "a film , so bad"])
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], ["pos", "neg"])
    # what the network reads is cut, and it cannot tell them apart
    network = clf.set_params(ngram_weight=0.0).predict_proba(X[:2])
    assert_allclose(network[0], network[1])


@pytest.mark.parametrize("truncating", ["post", "pre"])
def test_a_long_documents_stages_and_explanation_end_at_its_prediction(truncating):
    # The companion reads the whole document, the network its window: the
    # last stage and the explanation's probabilities are those of prediction.
    clf = _with_companion(
        X_MORE, ["pos", "neg"] * 6, max_length=3, truncating=truncating
    )
    p = clf.predict_proba([LONG_DOC])[0]
    (staged,) = clf.staged_predict_proba([LONG_DOC])
    assert len(staged) == 3
    assert_allclose(staged[-1], p, rtol=1e-8)
    explanation = clf.explain(LONG_DOC)
    assert_allclose(explanation.proba, p, rtol=1e-8)
    assert_allclose(explanation.staged_proba, staged, rtol=1e-8)
    # and the whole document counts: its window alone predicts otherwise
    window = " ".join(explanation.tokens)
    assert not np.allclose(clf.predict_proba([window])[0], p)


@pytest.mark.parametrize("truncating", ["post", "pre"])
def test_the_companions_stages_and_occlusion_of_a_long_document(truncating):
    # With the companion alone, stage t is the text before the window and the
    # window's first t + 1 tokens (the whole document at the last), and
    # occluding a token of the window removes it from the whole document.
    clf = _with_companion(
        X_MORE,
        ["pos", "neg"] * 6,
        max_length=3,
        truncating=truncating,
        ngram_weight=1.0,
    )
    words = LONG_DOC.split()
    start = 0 if truncating == "post" else len(words) - 3
    p = clf.predict_proba([LONG_DOC])[0]
    expected = clf.predict_proba([" ".join(words[: start + t + 1]) for t in range(3)])
    expected[-1] = p
    assert_allclose(clf.staged_predict_proba([LONG_DOC])[0], expected, rtol=1e-8)
    explanation = clf.explain(LONG_DOC)
    c = explanation.predicted_index
    without = [" ".join(words[:i] + words[i + 1 :]) for i in range(start, start + 3)]
    assert_allclose(
        explanation.attributions,
        p[c] - clf.predict_proba(without)[:, c],
        rtol=1e-8,
        atol=1e-12,
    )


@pytest.mark.parametrize("blend", ["geometric", "arithmetic"])
def test_multilabel_with_a_companion(blend):
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 2)
    clf = _with_companion(X_BIN, Y, ngram_weight=0.3, ngram_blend=blend)
    proba = clf.predict_proba(X_BIN)
    network = clf.set_params(ngram_weight=0.0).predict_proba(X_BIN)
    ngrams = clf.set_params(ngram_weight=1.0).predict_proba(X_BIN)
    clf.set_params(ngram_weight=0.3)
    # each label on its own: a Bernoulli's two probabilities blended
    on = _blend(network[..., None], ngrams[..., None], 0.3, blend, axis=None)
    off = _blend(1 - network[..., None], 1 - ngrams[..., None], 0.3, blend, axis=None)
    assert_allclose(proba, (on / (on + off))[..., 0], rtol=1e-10)
    assert_array_equal(clf.predict(X_BIN), (proba > 0.5).astype(int))
    assert_allclose(clf.staged_predict_proba(X_BIN[2:3])[0][-1], proba[2])
    assert clf.explain(X_BIN[2]).attributions.shape == (3, 2)


def test_without_a_companion_nothing_changes():
    plain = _fit()
    companion = _with_companion()
    assert plain._fitted.ngrams is None
    _assert_weights_equal(plain.weights_, companion.weights_)
    companion.set_params(ngram_weight=0.0)
    for method in ("predict_proba", "decision_function", "predict_log_proba"):
        assert_array_equal(
            getattr(companion, method)(X_BIN), getattr(plain, method)(X_BIN)
        )


def test_partial_fit_is_unavailable_with_a_companion():
    # the defaults have a companion
    assert not hasattr(RNNTextClassifier(), "partial_fit")
    clf = RNNTextClassifier(**{**FAST, "ngram_range": (1, 2)})
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError) as info:
        clf.partial_fit(X_BIN, Y_BIN, classes=["neg", "pos"])
    assert "the n-gram companion cannot learn incrementally" in str(
        info.value.__cause__
    )
    clf.set_params(ngram_range=None).partial_fit(X_BIN, Y_BIN, classes=["neg", "pos"])


def test_dropping_a_fitted_companion_warns():
    # A prober's finding: ngram_range=None on a model fitted with the
    # companion (as partial_fit needs) dropped it without a word, and the
    # 2-3 points it adds with it.
    clf = _with_companion(warm_start=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.set_params(ngram_range=None).partial_fit(X_BIN, Y_BIN)
    assert [w for w in caught if "drops the n-gram companion" in str(w.message)]
    assert clf._fitted.ngrams is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.partial_fit(X_BIN, Y_BIN)  # once: there is none to drop now
    assert not [w for w in caught if "n-gram companion" in str(w.message)]
    clf = _with_companion(warm_start=True)
    with pytest.warns(UserWarning, match="drops the n-gram companion"):
        clf.set_params(ngram_range=None).fit(X_BIN, Y_BIN)
    # a new fit drops nothing: it fits what its parameters say
    clf = _with_companion().set_params(ngram_range=None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X_BIN, Y_BIN)
    assert not [w for w in caught if "n-gram companion" in str(w.message)]


def test_warm_start_refits_the_companion_on_the_new_data():
    clf = _with_companion(warm_start=True)
    first = clf._fitted.ngrams
    t = clf.t_
    clf.fit(X_MORE, ["pos", "neg"] * 6)
    assert clf.t_ > t  # the network continued
    assert len(clf._fitted.ngrams.keys) > len(first.keys)
    sequences = clf.vectorizer_.transform(X_MORE)
    expected = fit_ngrams(
        sequences,
        np.searchsorted(clf.classes_, ["pos", "neg"] * 6),
        np.ones(12),
        ngram_range=(1, 2),
        n_vocab=clf._fitted.config.n_vocab,
        n_classes=2,
        head="softmax",
        char_range=clf.char_ngram_range,
        words=clf.vectorizer_.get_feature_names_out(),
    )
    assert_array_equal(clf._fitted.ngrams.keys, expected.keys)
    assert_array_equal(clf._fitted.ngrams.coef, expected.coef)
    assert_array_equal(clf._fitted.ngrams.char_coef, expected.char_coef)
    with pytest.warns(UserWarning, match="drops the n-gram companion"):
        clf.set_params(ngram_range=None).fit(X_BIN, Y_BIN)
    assert clf._fitted.ngrams is None


def test_a_fit_makes_the_companions_hash_table_once(monkeypatch):
    # Regression: the companion was fitted, then copied with its weight,
    # and the copy made the hash table of its keys again (0.3 s at 4,000,000
    # keys).
    made = []

    def counted(keys):
        made.append(len(keys))
        return key_slots(keys)

    key_slots = ngrams_module._key_slots
    monkeypatch.setattr(ngrams_module, "_key_slots", counted)
    clf = _with_companion(ngram_weight=0.4)
    assert clf._fitted.ngrams.slots is not None
    assert clf._fitted.ngrams.weight == 0.4
    assert len(made) == 1


def test_class_weight_weighs_the_companion_as_sample_weight_does():
    by_class = _with_companion(class_weight={"pos": 3.0, "neg": 1.0})
    by_sample = _with_companion().fit(
        X_BIN, Y_BIN, sample_weight=[3.0 if y == "pos" else 1.0 for y in Y_BIN]
    )
    plain = _with_companion()
    assert_array_equal(by_class._fitted.ngrams.coef, by_sample._fitted.ngrams.coef)
    assert not np.array_equal(by_class._fitted.ngrams.coef, plain._fitted.ngrams.coef)


@pytest.mark.parametrize(
    ("ngram_range", "error", "match"),
    [
        ([1, 2], InvalidParameterError, "ngram_range"),
        ((2, 1), ValueError, "1 <= min_n <= max_n"),
        ((0, 1), ValueError, "1 <= min_n <= max_n"),
        ((1, 2.5), ValueError, "whole numbers"),
        ((1, 30), ValueError, "too long for a vocabulary"),
    ],
)
def test_bad_ngram_range(ngram_range, error, match):
    with pytest.raises(error, match=match):
        _with_companion(ngram_range=ngram_range)


@pytest.mark.parametrize(
    ("char_ngram_range", "error", "match"),
    [
        ([2, 4], InvalidParameterError, "char_ngram_range"),
        ((4, 2), ValueError, "char_ngram_range must be None or a tuple"),
        ((0, 2), ValueError, "char_ngram_range must be None or a tuple"),
        ((1, 17), ValueError, "max_n <= 16"),
    ],
)
def test_bad_char_ngram_range(char_ngram_range, error, match):
    with pytest.raises(error, match=match):
        _with_companion(char_ngram_range=char_ngram_range)


def test_characters_join_the_companions_words():
    # "goodish" and "baddish" are in one document of each class: their words
    # say nothing of the class; their characters are those of "good" and "bad"
    X = ["good film", "bad film"] * 3 + ["goodish baddish"] * 2
    y = ["pos", "neg"] * 4
    docs = ["goodish", "baddish"]
    words = _with_companion(X, y, ngram_weight=1.0, char_ngram_range=None)
    chars = _with_companion(X, y, ngram_weight=1.0, char_ngram_range=(2, 4))
    assert words._fitted.ngrams.char_range is None
    assert chars._fitted.ngrams.char_range == (2, 4)
    assert chars._fitted.ngrams.n_features > len(chars._fitted.ngrams.keys)
    assert_allclose(words.predict_proba(docs), 0.5, atol=0.02)
    assert_array_equal(chars.predict(docs), ["pos", "neg"])
    # the network is the same: only the companion reads characters
    assert_array_equal(words.weights_["embed.E"], chars.weights_["embed.E"])


def test_characters_of_a_vocabulary_word_that_training_did_not_see():
    # Regression: a word of the vocabulary given that no training document
    # held had no characters, though "goodish" shares most of "good"'s
    X, y = ["good film", "bad film"] * 4, ["pos", "neg"] * 4
    vocabulary = ["good", "bad", "film", "goodish", "baddish"]
    clf = _with_companion(
        X, y, vocabulary=vocabulary, ngram_weight=1.0, char_ngram_range=(2, 4)
    )
    assert_array_equal(clf.predict(["goodish", "baddish"]), ["pos", "neg"])
    # the fit is that of the training documents' words alone
    seen = _with_companion(
        X, y, vocabulary=vocabulary[:3], ngram_weight=1.0, char_ngram_range=(2, 4)
    )
    a, b = clf._fitted.ngrams, seen._fitted.ngrams
    assert_array_equal(a.coef[: len(a.keys)], b.coef[: len(b.keys)])
    assert_array_equal(a.char_coef[: len(a.keys)], b.char_coef[: len(b.keys)])
    # the ids' rows: those of the words seen, then the two others' own
    ids = a.char_coef[len(a.keys) :]
    assert_array_equal(ids[: b.n_vocab], b.char_coef[len(b.keys) :])
    assert ids[b.n_vocab :].any(axis=1).all()


def test_characters_of_text_decoded_with_surrogateescape():
    # Regression: a word holding a lone surrogate (a byte that was not UTF-8)
    # raised UnicodeEncodeError in the fit
    X = [
        text.encode("latin-1").decode("utf-8", "surrogateescape")
        for text in ["café good", "bad crème", "good", "bad"] * 2
    ]
    clf = _with_companion(X, Y_BIN, char_ngram_range=(2, 4), ngram_weight=1.0)
    assert any("\udce9" in word for word in clf.vectorizer_.vocabulary_)
    assert_array_equal(clf.predict(X), Y_BIN)


def test_characters_of_training_documents_without_a_known_word():
    # Regression: no word of the vocabulary in the training documents, so no
    # character n-gram at all, raised IndexError in the fit
    with pytest.warns(UserWarning, match="No token of the training documents"):
        clf = _with_companion(vocabulary=["foo", "bar"], char_ngram_range=(2, 4))
    assert not clf._fitted.ngrams.char_coef.any()
    assert np.isfinite(clf.predict_proba([*X_BIN, "foo bar"])).all()


def test_a_bad_char_ngram_range_is_refused_without_a_companion_too():
    with pytest.raises(ValueError, match="char_ngram_range must be None or a tuple"):
        _fit(X_BIN, Y_BIN, ngram_range=None, char_ngram_range=(0, 3))


def test_without_a_companion_characters_change_nothing():
    clf = _fit(X_BIN, Y_BIN, ngram_range=None)
    chars = _fit(X_BIN, Y_BIN, ngram_range=None, char_ngram_range=(2, 4))
    assert_array_equal(clf.predict_proba(X_BIN), chars.predict_proba(X_BIN))


def test_bad_ngram_blend():
    with pytest.raises(InvalidParameterError, match="ngram_blend"):
        _with_companion(ngram_blend="harmonic")
    clf = _with_companion().set_params(ngram_blend="harmonic")
    with pytest.raises(ValueError, match="ngram_blend must be one of"):
        clf.predict_proba(X_BIN)
    # without a companion, as ngram_weight, it is not read
    plain = _fit(ngram_range=None)
    proba = plain.predict_proba(X_BIN)
    assert_array_equal(
        plain.set_params(ngram_blend="harmonic").predict_proba(X_BIN), proba
    )


@pytest.mark.parametrize("bad", [-0.1, 1.5, "half"])
def test_bad_ngram_weight(bad):
    with pytest.raises(InvalidParameterError, match="ngram_weight"):
        _with_companion(ngram_weight=bad)
    clf = _with_companion().set_params(ngram_weight=bad)
    with pytest.raises(ValueError, match="ngram_weight must be 'auto' or a number"):
        clf.predict_proba(X_BIN)


# ------------------------------------------------------ ngram_weight="auto"

#: 24 documents of three classes, a network that overfits them, and the
#: held-out part of ``ngram_weight="auto"`` allowed at their size.
X_AUTO = [
    f"{word} {filler} {i}"
    for i in range(8)
    for word, filler in (("red", "apple"), ("green", "leaf"), ("blue", "sky"))
]
Y_AUTO = ["red", "green", "blue"] * 8


@pytest.fixture
def small_held_out(monkeypatch):
    monkeypatch.setattr(classifier_module, "AUTO_WEIGHT_HELD_OUT", 3)


def test_held_out_part_holds_a_tenth_of_each_class_and_keeps_one_to_train(
    small_held_out,
):
    rng = np.random.RandomState(0)
    y = np.array(["a"] * 25 + ["b"] * 9 + ["c"] * 2 + ["d"])
    held = classifier_module._held_out_part(y, rng)
    # ceil(2.5) + ceil(0.9) + ceil(0.2), and none of the single "d"
    assert sorted(Counter(y[held]).items()) == [("a", 3), ("b", 1), ("c", 1)]
    assert len(set(held)) == len(held) == 5
    assert set(y[np.setdiff1d(np.arange(len(y)), held)]) == {"a", "b", "c", "d"}


def test_held_out_part_is_none_for_large_sets_or_too_few_held_out(monkeypatch):
    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(2), 150)  # 30 held out, 150 a class
    assert classifier_module._held_out_part(y, rng) is not None
    monkeypatch.setattr(classifier_module, "AUTO_WEIGHT_DOCUMENTS", 300)
    monkeypatch.setattr(classifier_module, "AUTO_WEIGHT_PER_CLASS", 150)
    assert classifier_module._held_out_part(y, rng) is None
    # many classes: fewer than AUTO_WEIGHT_PER_CLASS documents each
    assert (
        classifier_module._held_out_part(np.repeat(np.arange(3), 100), rng) is not None
    )
    monkeypatch.undo()
    assert classifier_module._held_out_part(np.repeat(np.arange(2), 90), rng) is None
    # never from AUTO_WEIGHT_MAX_DOCUMENTS documents on, however many classes
    many = np.repeat(np.arange(200), 60)
    assert classifier_module._held_out_part(many[:9600], rng) is not None
    assert classifier_module._held_out_part(many, rng) is None
    # multi-label: a tenth of the documents
    labels = rng.randint(0, 2, size=(200, 3))
    assert len(classifier_module._held_out_part(labels, rng)) == 20


@pytest.mark.parametrize("blend", ["geometric", "arithmetic"])
def test_held_out_blend_weight_has_the_least_log_loss_at_its_temperature(blend):
    # (a draw where some weights are as accurate as the best, some less)
    rng = np.random.default_rng(4)
    network = np.log(rng.dirichlet(np.ones(3) * 0.3, size=60))
    companion = np.log(rng.dirichlet(np.ones(3), size=60))
    targets = rng.integers(0, 3, size=60)
    weights = rng.uniform(0.5, 2.0, size=60)
    grid = (0.0, 0.25, 0.5, 0.75, 1.0)

    def log_proba(w):
        if blend == "arithmetic":
            p = (1 - w) * np.exp(network) + w * np.exp(companion)
        else:
            p = np.exp((1 - w) * network + w * companion)
        return np.log(p / p.sum(axis=1, keepdims=True))

    def log_loss(w):
        losses = []
        for t in prediction_module.TEMPERATURES:
            z = t * log_proba(w)
            z -= np.log(np.exp(z).sum(axis=1, keepdims=True))
            losses.append(np.average(-z[np.arange(60), targets], weights=weights))
        return min(losses)

    def accuracy(w):
        right = log_proba(w).argmax(axis=1) == targets
        return np.average(right, weights=weights)

    args = (network, companion, "softmax", targets, weights, grid, blend)
    best = min(grid, key=log_loss)
    assert prediction_module.held_out_blend_weight(*args) == best
    # a default is kept unless the best is more accurate
    others = [w for w in grid if w != best]
    worse = [w for w in others if accuracy(w) < accuracy(best)]
    as_good = [w for w in others if accuracy(w) >= accuracy(best)]
    assert worse and as_good
    assert prediction_module.held_out_blend_weight(*args, default=worse[0]) == best
    assert (
        prediction_module.held_out_blend_weight(*args, default=as_good[0]) == as_good[0]
    )
    # a companion that knows the answers wins, a network that does too
    sure = np.log(np.eye(3)[targets] * 0.98 + 0.01)
    assert (
        prediction_module.held_out_blend_weight(
            network, sure, "softmax", targets, weights, grid, blend
        )
        == 1.0
    )
    assert (
        prediction_module.held_out_blend_weight(
            sure, companion, "softmax", targets, weights, grid, blend
        )
        == 0.0
    )


def test_auto_weight_is_chosen_on_held_out_documents_and_blends(small_held_out):
    clf = _with_companion(X_AUTO, Y_AUTO, ngram_weight="auto")
    chosen = clf.ngram_weight_
    assert chosen in classifier_module.AUTO_WEIGHT_GRID
    proba = clf.predict_proba(X_AUTO)
    assert_array_equal(clf.set_params(ngram_weight=chosen).predict_proba(X_AUTO), proba)
    # the fit on all the documents is the one a fixed weight makes
    fixed = _with_companion(X_AUTO, Y_AUTO, ngram_weight=chosen)
    assert fixed.ngram_weight_ == chosen
    assert_array_equal(fixed.predict_proba(X_AUTO), proba)
    # and the choice is that of a probe fitted on the rest
    y = np.array(Y_AUTO)
    held = classifier_module._held_out_part(y, np.random.RandomState(0))
    kept = np.setdiff1d(np.arange(len(y)), held)
    probe = _with_companion(
        [X_AUTO[i] for i in kept],
        y[kept],
        ngram_weight=classifier_module.AUTO_NGRAM_WEIGHT,
    )
    texts = [X_AUTO[i] for i in held]
    network = probe.set_params(ngram_weight=0.0).predict_log_proba(texts)
    companion = probe.set_params(ngram_weight=1.0).predict_log_proba(texts)
    expected = prediction_module.held_out_blend_weight(
        network,
        companion,
        "softmax",
        np.searchsorted(probe.classes_, y[held]),
        np.ones(len(held)),
        classifier_module.AUTO_WEIGHT_GRID,
        default=classifier_module.AUTO_NGRAM_WEIGHT,
    )
    assert chosen == expected


def test_auto_weight_on_a_large_set_is_the_fixed_default(monkeypatch):
    monkeypatch.setattr(classifier_module, "AUTO_WEIGHT_HELD_OUT", 3)
    monkeypatch.setattr(classifier_module, "AUTO_WEIGHT_DOCUMENTS", 10)
    monkeypatch.setattr(classifier_module, "AUTO_WEIGHT_PER_CLASS", 1)
    clf = _with_companion(X_AUTO, Y_AUTO, ngram_weight="auto")
    assert clf.ngram_weight_ == classifier_module.AUTO_NGRAM_WEIGHT == 0.8
    assert _with_companion(ngram_weight=0.3).ngram_weight_ == 0.3
    assert not hasattr(_fit(ngram_range=None, ngram_weight="auto"), "ngram_weight_")


def test_auto_weight_prints_its_choice_and_reproduces(small_held_out, capsys):
    first = _with_companion(X_AUTO, Y_AUTO, ngram_weight="auto", verbose=1)
    assert "ngram_weight='auto': " in capsys.readouterr().out
    again = _with_companion(X_AUTO, Y_AUTO, ngram_weight="auto")
    assert again.ngram_weight_ == first.ngram_weight_
    assert_array_equal(again.predict_proba(X_AUTO), first.predict_proba(X_AUTO))


def test_auto_weight_is_kept_by_a_warm_start_pickle_and_file(small_held_out):
    clf = _with_companion(X_AUTO, Y_AUTO, ngram_weight="auto")
    chosen = clf.ngram_weight_
    buffer = io.BytesIO()
    skrnn.save(clf, buffer)
    buffer.seek(0)
    for copy_ in (pickle.loads(pickle.dumps(clf)), skrnn.load(buffer)):
        assert copy_.ngram_weight_ == chosen
        assert_array_equal(copy_.predict_proba(X_AUTO), clf.predict_proba(X_AUTO))
    clf.set_params(warm_start=True, max_iter=1).fit(X_AUTO[:12], Y_AUTO[:12])
    assert clf.ngram_weight_ == chosen


def test_auto_weight_of_a_model_fitted_before_it_is_the_old_default():
    clf = _with_companion(ngram_weight=0.3)
    fitted = clf._fitted
    clf._fitted = dataclasses.replace(
        fitted, ngrams=dataclasses.replace(fitted.ngrams, weight=None)
    )
    assert_array_equal(
        clf.set_params(ngram_weight="auto").predict_proba(X_BIN),
        clf.set_params(ngram_weight=0.7).predict_proba(X_BIN),
    )


def test_an_interrupt_while_auto_chooses_keeps_the_previous_model(
    small_held_out, monkeypatch
):
    clf = _with_companion(X_AUTO, Y_AUTO, ngram_weight="auto")
    before = clf.predict_proba(X_AUTO)
    fitted = clf._fitted

    def interrupting(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "shard_gradient", interrupting)
    with pytest.warns(UserWarning, match="interrupted by user while ngram_weight"):
        assert clf.fit(X_AUTO[:21], Y_AUTO[:21]) is clf
    assert clf._fitted is fitted
    assert_array_equal(clf.predict_proba(X_AUTO), before)


class _FitSpy:
    """A callback that records its hooks' calls and the estimators they see."""

    def __init__(self):
        self.calls = []

    def setup(self, estimator, context):
        self.calls.append(("setup", estimator))

    def teardown(self, estimator, context):
        self.calls.append(("teardown", estimator))

    def on_fit_task_begin(self, estimator, context):
        if context.task_name == "fit":
            self.calls.append(("fit", estimator))

    def on_fit_task_end(self, estimator, context):
        return False


def test_auto_weight_probe_is_not_seen_by_the_callbacks(small_held_out):
    pytest.importorskip("sklearn.callback")
    spy = _FitSpy()
    clf = RNNTextClassifier(**{**FAST, "ngram_range": (1, 2)}).set_callbacks(spy)
    clf.fit(X_AUTO, Y_AUTO)
    assert [(hook, estimator is clf) for hook, estimator in spy.calls] == [
        ("setup", True),
        ("fit", True),
        ("teardown", True),
    ]


def test_auto_weight_probe_shares_the_parameters_but_the_random_state(
    small_held_out, monkeypatch
):
    # (a dict of embeddings can be large: the probe does not copy it)
    vectors = {"red": [0.5] * 8, "sky": [-0.5] * 8}
    rng = np.random.RandomState(0)
    seen = []
    fit = RNNTextClassifier._fit

    def spy(self, *args, **kwargs):
        seen.append((self.embeddings is vectors, self.random_state is rng))
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(RNNTextClassifier, "_fit", spy)
    _with_companion(X_AUTO, Y_AUTO, embeddings=vectors, random_state=rng)
    assert seen == [(True, True), (True, False)]


def test_a_vocabulary_iterator_is_read_once_for_the_probe_and_the_fit(
    small_held_out,
):
    # A prober's finding: the probe of ngram_weight="auto" read a generator
    # given as vocabulary, and the fit on all the documents then failed
    # with "empty vocabulary passed to fit (... pass a list to fit more than
    # once)", on the first fit.
    words = ["red", "green", "blue", "sky"]
    expected = _with_companion(X_AUTO, Y_AUTO, vocabulary=words)
    vocabulary = (word for word in words)
    clf = _with_companion(X_AUTO, Y_AUTO, vocabulary=vocabulary)
    assert clf.vocabulary is vocabulary
    assert clf.vectorizer_.vocabulary_ == expected.vectorizer_.vocabulary_
    assert clf.ngram_weight_ == expected.ngram_weight_
    assert_array_equal(clf.predict_proba(X_AUTO), expected.predict_proba(X_AUTO))
    # a warm start continues it, as without the probe
    clf.set_params(warm_start=True, max_iter=1).fit(X_AUTO, Y_AUTO)
    assert clf.n_iter_ == expected.n_iter_ + 1


def test_auto_weight_with_no_weight_left_to_train_the_probe(small_held_out):
    # Every document of positive weight held out: nothing to choose by.
    y = np.array(Y_AUTO)
    held = classifier_module._held_out_part(y, np.random.RandomState(0))
    weights = np.zeros(len(y))
    weights[held] = 1.0
    clf = RNNTextClassifier(**{**FAST, "ngram_range": (1, 2)})
    clf.fit(X_AUTO, Y_AUTO, sample_weight=weights)
    assert clf.ngram_weight_ == classifier_module.AUTO_NGRAM_WEIGHT


def test_auto_weight_on_a_large_set_draws_nothing_from_the_random_state(
    monkeypatch,
):
    # A large set is fitted as with the fixed default, whatever random_state.
    monkeypatch.setattr(classifier_module, "AUTO_WEIGHT_DOCUMENTS", 10)
    monkeypatch.setattr(classifier_module, "AUTO_WEIGHT_PER_CLASS", 1)
    auto, fixed = (
        _with_companion(
            X_AUTO, Y_AUTO, ngram_weight=weight, random_state=np.random.RandomState(0)
        )
        for weight in ("auto", classifier_module.AUTO_NGRAM_WEIGHT)
    )
    assert auto.ngram_weight_ == classifier_module.AUTO_NGRAM_WEIGHT
    assert_array_equal(auto.predict_proba(X_AUTO), fixed.predict_proba(X_AUTO))


def test_auto_weight_on_a_small_set_leaves_a_random_state_instance_to_the_network(
    small_held_out,
):
    # Regression: the part held out was drawn from the RandomState instance
    # itself, and the network then drew its seed after that draw: another
    # network than with a fixed weight or none, where the companion promises
    # not to touch the network's random draws.
    auto, fixed, alone = (
        _with_companion(X_AUTO, Y_AUTO, random_state=np.random.RandomState(0), **params)
        for params in (
            {"ngram_weight": "auto"},
            {"ngram_weight": 0.7},
            {"ngram_range": None},
        )
    )
    _assert_weights_equal(auto.weights_, alone.weights_)
    _assert_weights_equal(fixed.weights_, alone.weights_)


def test_auto_weight_where_nine_tenths_cannot_be_fitted_is_the_default(capsys):
    # Regression: early stopping holds out a document of each of 25 classes
    # from 250, not from the probe's 225, and the fit failed where a fixed
    # weight did not.
    X = [f"word{k} filler{i}" for k in range(25) for i in range(10)]
    y = np.repeat(np.arange(25), 10)
    params = {**FAST, "ngram_range": (1, 2), "early_stopping": True, "max_iter": 2}
    auto = RNNTextClassifier(**params, verbose=1).fit(X, y)
    assert "could not be fitted on 225 documents" in capsys.readouterr().out
    assert auto.ngram_weight_ == classifier_module.AUTO_NGRAM_WEIGHT
    fixed = RNNTextClassifier(
        **params, ngram_weight=classifier_module.AUTO_NGRAM_WEIGHT
    ).fit(X, y)
    assert_array_equal(auto.predict_proba(X), fixed.predict_proba(X))


def test_a_companion_survives_pickle_and_clone():
    clf = _with_companion(X_MULTI, Y_MULTI)
    again = pickle.loads(pickle.dumps(clf))
    assert_array_equal(again.predict_proba(X_MULTI), clf.predict_proba(X_MULTI))
    state = clf._fitted.to_dict()
    assert isinstance(state["ngrams"]["keys"], np.ndarray)
    fresh = clone(clf)
    assert fresh.get_params()["ngram_range"] == (1, 2)
    assert not hasattr(fresh, "_fitted")


def test_verbose_says_what_the_companion_fitted(capsys):
    _with_companion(verbose=1)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("N-gram companion: ") and "C=" in out[0]
    assert out[1].startswith("Epoch 1")


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_the_companion_hides_liblinear_warnings_from_the_fitting_thread_only(
    n_jobs, monkeypatch
):
    # Regression: fit_ngrams entered warnings.catch_warnings on the
    # companion's own thread with n_jobs=2, which (before Python 3.14) could
    # undo the caller's warning filters or leave its own in place for good.
    # (scikit-learn's own checks enter it on any thread: only skrnn's count)
    entered = []
    real_enter = warnings.catch_warnings.__enter__
    package = os.path.dirname(skrnn.__file__)

    def spy(self):
        if sys._getframe(1).f_code.co_filename.startswith(package):
            entered.append(threading.current_thread() is threading.main_thread())
        return real_enter(self)

    monkeypatch.setattr(warnings.catch_warnings, "__enter__", spy)
    monkeypatch.setattr(ngrams_module, "MAX_ITER", 1)  # liblinear cannot converge
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        _with_companion(n_jobs=n_jobs)
    assert not [w for w in record if "Liblinear" in str(w.message)]
    assert entered and all(entered)
