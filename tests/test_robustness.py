"""Robustness of RNNTextClassifier: bad input, awkward text, faults, numerics.

1. Every bad input is rejected by one table-driven test, with the exception
   type and a phrase of its message.
2. Awkward but valid text simply works: empty and whitespace-only documents,
   unknown words, non-ASCII and emoji, mixed case, a 100,000-token document,
   a 200,000-word vocabulary, Latin-1 data with U+0085.
3. Property-based: any list of unicode strings fits and predicts.
4. Faults during training: Ctrl-C keeps the last completed epoch; one failing
   candidate of a grid search does not lose the others.
5. Numerical safety: huge logits and pre-activations neither warn nor give
   non-finite probabilities.

Thread safety of prediction is tested in test_classifier.py.  The networks are
tiny (width 4) and train for one or two epochs, so that the file runs in
seconds.
"""

import contextlib
import itertools
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

import skrnn._training as training_module
from skrnn import RNNTextClassifier, RNNTextRegressor, SequenceVectorizer
from skrnn._text import check_text
from skrnn.datasets import load_movie_reviews
from skrnn.nn import CELLS
from skrnn.nn._functional import softmax

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: Tiny network, two epochs: these tests check robustness, not accuracy.
TINY = {
    "hidden_size": 4,
    "embedding_dim": 4,
    "max_iter": 2,
    "random_state": 0,
    "ngram_range": None,
}

X4 = ["good film", "bad film", "a good story", "a bad story"]
Y4 = [1, 0, 1, 0]

X12 = [
    "good film",
    "bad film",
    "a good story",
    "a bad story",
    "very good acting",
    "very bad acting",
    "good",
    "bad",
    "nice plot",
    "awful plot",
    "great music",
    "poor music",
]
Y12 = ["pos", "neg"] * 6


def _fit(X=X12, y=Y12, **params):
    return RNNTextClassifier(**{**TINY, **params}).fit(X, y)


@pytest.fixture(scope="module")
def fitted():
    """A fitted model, shared: tests must not modify it (deepcopy it first)."""
    return _fit()


def _assert_valid_proba(clf, proba):
    assert proba.shape[1] == len(clf.classes_)
    assert np.isfinite(proba).all()
    assert (proba >= 0).all()
    atol = 10 * np.finfo(proba.dtype).eps
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=atol)


def _assert_weights_equal(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        assert_array_equal(a[name], b[name], err_msg=name)


# ================================================================ bad inputs


def case(
    case_id, method, error, phrase, *, X=X4, y=Y4, params=None, marks=(), **kwargs
):
    """One row of the table: ``method`` called on ``X`` raises ``error(phrase)``.

    ``method`` is "fit" or "partial_fit" (on a new estimator with ``params``,
    ``kwargs`` passed to the call), "predict" (every prediction method of a
    fitted estimator) or "predict-unfitted".
    """
    return pytest.param(
        method,
        X,
        y,
        params or {},
        kwargs,
        error,
        phrase,
        id=f"{method}-{case_id}",
        marks=marks,
    )


#: Bad documents, rejected alike by fit and by every prediction method.
BAD_X = [
    ("single-string", "good film", ValueError, "got a single string; wrap it in"),
    ("None-inside", ["a", None, "b", "c"], TypeError, "X[1] is NoneType (None)"),
    ("NaN-inside", ["a", np.nan, "b", "c"], TypeError, "X[1] is float (nan)"),
    ("int-inside", ["a", 3, "b", "c"], TypeError, "X[1] is int (3), expected str"),
    ("float-inside", ["a", "b", 2.5, "c"], TypeError, "X[2] is float (2.5)"),
    ("bytes-inside", ["a", b"b", "c", "d"], TypeError, "X[1] is bytes; decode"),
    ("X-bytes", b"good film", TypeError, "got a single bytes object; decode it"),
    (
        "2d-array",
        np.array([["a", "b"], ["c", "d"]]),
        ValueError,
        "got a 2-D ndarray of shape (2, 2)",
    ),
    (
        "sparse-matrix",
        sp.csr_matrix(np.eye(4)),
        TypeError,
        "got a sparse matrix (csr_matrix); pass the raw text",
    ),
    (
        "DataFrame",
        pd.DataFrame({"stars": [1, 2, 3, 4], "text": X4}),
        ValueError,
        "DataFrame with 2 columns ('stars', 'text'); select the column of text, "
        "e.g. X['text']",
    ),
    (
        "Series-with-NaN",
        pd.Series(["a", np.nan, "b", "c"]),
        TypeError,
        "X[1] is float (nan)",
    ),
]

BAD_PARAMS = {
    "hidden_size": -1,
    "cell": "foo",
    "learning_rate_init": 0,
    "dropout": 1.0,
    "batch_size": 0,
    "pooling": "sum",
    "embedding_dim": 0,
    "num_layers": 0,
    "validation_fraction": 1.5,
    "max_iter": 0,
    "clip_value": -1,
}

BAD_INPUTS = [
    *(case(name, "fit", error, phrase, X=X) for name, X, error, phrase in BAD_X),
    *(case(name, "predict", error, phrase, X=X) for name, X, error, phrase in BAD_X),
    case("no-documents", "fit", ValueError, "X is empty: at least one", X=[], y=[]),
    case(
        "length-mismatch",
        "fit",
        ValueError,
        "inconsistent numbers of samples: [4, 3]",
        y=Y4[:3],
    ),
    case(
        "y-NaN",
        "fit",
        ValueError,
        "Input y contains NaN",
        y=[1.0, np.nan, 1.0, 0.0],
        # scikit-learn's type_of_target casts the NaN to int on its way
        marks=pytest.mark.filterwarnings("ignore:invalid value encountered in cast"),
    ),
    case(
        "y-NaN-among-str-labels",
        "fit",
        ValueError,
        "contains NaN",
        y=pd.Series(["pos", np.nan, "pos", "neg"]),
    ),
    case(
        "y-continuous",
        "fit",
        ValueError,
        "Unknown label type: continuous",
        y=[0.1, 0.2, 0.3, 0.4],
    ),
    case("one-class", "fit", ValueError, "at least 2 classes; got only [1]", y=[1] * 4),
    case(
        "no-classes-on-first-call",
        "partial_fit",
        ValueError,
        "classes must be passed on the first call to partial_fit",
    ),
    case(
        "one-class-in-classes",
        "partial_fit",
        ValueError,
        "at least 2 classes",
        classes=[1],
    ),
    case(
        "sample-weight-length",
        "fit",
        ValueError,
        "sample_weight.shape == (3,), expected (4,)",
        sample_weight=[1.0, 1.0, 1.0],
    ),
    case(
        "sample-weight-negative",
        "fit",
        ValueError,
        "Negative values in data passed to `sample_weight`",
        sample_weight=[1.0, -1.0, 1.0, 1.0],
    ),
    case(
        "sample-weight-NaN",
        "fit",
        ValueError,
        "Input sample_weight contains NaN",
        sample_weight=[1.0, np.nan, 1.0, 1.0],
    ),
    *(
        case(
            f"{name}={value!r}",
            "fit",
            InvalidParameterError,
            f"The '{name}' parameter of RNNTextClassifier must be",
            params={name: value},
        )
        for name, value in BAD_PARAMS.items()
    ),
    case("not-fitted", "predict-unfitted", NotFittedError, "is not fitted yet"),
]

PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")


@pytest.mark.parametrize("method, X, y, params, kwargs, error, phrase", BAD_INPUTS)
def test_bad_input_is_rejected_with_a_clear_message(
    fitted, method, X, y, params, kwargs, error, phrase
):
    match = re.escape(phrase)
    if method == "predict":
        for name in PREDICT_METHODS:
            with pytest.raises(error, match=match):
                getattr(fitted, name)(X)
        return
    clf = RNNTextClassifier(**{**TINY, **params})
    if method == "predict-unfitted":
        for name in PREDICT_METHODS:
            with pytest.raises(error, match=match):
                getattr(clf, name)(X)
        return
    with pytest.raises(error, match=match):
        getattr(clf, method)(X, y, **kwargs)
    # A rejected call leaves nothing behind.
    assert not hasattr(clf, "weights_")
    assert not hasattr(clf, "classes_")


# ===================================================== text that must work


@pytest.mark.parametrize(
    "arch",
    [
        {"pooling": "last"},
        {"pooling": "mean", "cell": "lstm"},
        {"pooling": "max", "cell": "gru"},
        {"pooling": "last", "bidirectional": True},
        {"pooling": "mean", "bidirectional": True, "cell": "gru"},
        {"pooling": "max", "bidirectional": True, "cell": "lstm", "num_layers": 2},
    ],
    ids=lambda arch: "-".join(map(str, arch.values())),
)
def test_empty_documents_train_and_predict_the_bias_alone(arch):
    X = [*X12, "", "   ", "\n\t", ""]
    clf = _fit(X, [*Y12, "pos", "neg", "pos", "neg"], **arch)
    bias_only = softmax(clf.weights_["head.b_y"][None, :])[0]
    docs = ["", "good film , a very good story", "  ", "\t\n", "bad"]
    proba = clf.predict_proba(docs)
    _assert_valid_proba(clf, proba)
    for i in (0, 2, 3):
        assert_allclose(proba[i], bias_only, rtol=1e-6, atol=0, err_msg=docs[i])
    assert_allclose(clf.predict_proba([""])[0], bias_only, rtol=1e-6, atol=0)
    assert set(clf.predict(docs)) <= set(clf.classes_)


def test_documents_of_unknown_words_only(fitted):
    docs = ["zebra quartz", "xylophone yak", "ZEBRA", "qqq www eee rrr"]
    proba = fitted.predict_proba(docs)
    _assert_valid_proba(fitted, proba)
    # every unknown word is the same token: equal lengths, equal predictions
    assert_array_equal(proba[0], proba[1])
    assert np.isfinite(fitted.decision_function(docs)).all()


def test_non_ascii_text_and_emoji():
    X = [
        "très bon film 😀",
        "très mauvais film 😡",
        "很好 的 电影 😀",
        "很 差 的 电影 😡",
        "отличный фильм 👍",
        "ужасный фильм 👎",
        "naïve café ok 😀",
        "Ελληνικά κακό 😡",
    ]
    y = ["pos", "neg"] * 4
    clf = _fit(X, y)
    for token in ("très", "😀", "😡", "电影", "фильм", "naïve", "ελληνικά"):
        assert token in clf.vectorizer_.vocabulary_, token
    docs = [*X, "😀", "😀😀😀", "🏳️‍🌈 ∑ ∞ \u200b", "מצוין", "\U0001f600" * 50]
    proba = clf.predict_proba(docs)
    _assert_valid_proba(clf, proba)
    assert not np.array_equal(proba[len(X)], clf.predict_proba([""])[0])


def test_mixed_case(fitted):
    docs = ["GOOD FILM", "Good Film", "good film", "gOoD fIlM"]
    proba = fitted.predict_proba(docs)
    for row in proba[1:]:
        assert_array_equal(row, proba[0])
    cased = _fit(
        ["Good film", "good film", "Bad film", "bad film"], Y4, lowercase=False
    )
    assert {"Good", "good", "Bad", "bad"} <= set(cased.vectorizer_.vocabulary_)
    _assert_valid_proba(cased, cased.predict_proba(["GOOD", "Good", "good"]))


def _long_document(n_tokens, seed=0):
    words = np.array(["good", "bad", "film", "story", "unknownword", "a", ","])
    return " ".join(np.random.default_rng(seed).choice(words, n_tokens))


def test_a_100k_token_document_predicts():
    clf = _fit(max_length=None)  # read whole
    long_doc = _long_document(100_000)
    proba = clf.predict_proba([long_doc, "", "good"])
    _assert_valid_proba(clf, proba)
    assert_allclose(proba[1:], clf.predict_proba(["", "good"]), rtol=1e-6)


def test_a_100k_token_document_with_max_length():
    clf = _fit(max_length=50)
    long_doc = _long_document(100_000)
    proba = clf.predict_proba([long_doc])
    _assert_valid_proba(clf, proba)
    first_50 = " ".join(long_doc.split()[:50])
    assert_array_equal(proba, clf.predict_proba([first_50]))


def test_a_vocabulary_of_200k_words():
    n_words = 200_000
    words = [f"w{i}" for i in range(n_words)]
    docs = [" ".join(words[i : i + 100]) for i in range(0, n_words, 100)]
    y = np.arange(len(docs)) % 2
    clf = _fit(docs, y, max_iter=1, batch_size=256)
    assert clf.vectorizer_.n_vocab_ == 200_002
    assert clf.weights_["embed.E"].shape == (200_002, 4)
    test = [docs[0], docs[-1], "w199999 w0 never_seen", ""]
    _assert_valid_proba(clf, clf.predict_proba(test))
    assert set(clf.predict(test)) <= {0, 1}


def test_latin1_movie_reviews_with_u0085():
    X, y = load_movie_reviews(return_X_y=True)
    with_nel = [i for i, doc in enumerate(X) if "\x85" in doc]
    assert len(with_nel) == 22
    others = np.setdiff1d(np.arange(len(X)), with_nel)
    rest = np.random.default_rng(0).choice(others, 500 - len(with_nel), replace=False)
    idx = np.concatenate([with_nel, rest])
    clf = _fit([X[i] for i in idx], y[idx], max_iter=1, hidden_size=8)
    assert not any("\x85" in word for word in clf.vectorizer_.vocabulary_)
    docs = [X[i] for i in with_nel]
    proba = clf.predict_proba(docs)
    _assert_valid_proba(clf, proba)
    assert set(clf.predict(docs)) <= {0, 1}


@pytest.mark.parametrize(
    "separator", ["\x85", "\u2028", "\u00a0", "\r\n"], ids=["NEL", "LS", "NBSP", "CRLF"]
)
def test_line_and_space_separators_inside_a_document(fitted, separator):
    doc = f"good{separator}film"
    assert check_text([doc, "bad"]) == [doc, "bad"]  # one document, not split
    assert_array_equal(
        fitted.predict_proba([doc, separator]),
        fitted.predict_proba(["good film", ""]),
    )


# ============================================================ property-based

#: Either two integer classes or three string classes.
CLASS_SETS = [(0, 1), ("neg", "neutral", "pos")]


@st.composite
def labelled_corpora(draw):
    texts = draw(st.lists(st.text(), min_size=2, max_size=8))
    classes = draw(st.sampled_from(CLASS_SETS))
    labels = draw(
        st.lists(st.sampled_from(classes), min_size=len(texts), max_size=len(texts))
    )
    if len(set(labels)) < 2:
        labels[:2] = classes[:2]
    return texts, labels


@settings(max_examples=25, deadline=None, database=None, derandomize=True)
@given(corpus=labelled_corpora(), test=st.lists(st.text(), max_size=4))
def test_any_unicode_text_fits_and_predicts(corpus, test):
    X, y = corpus
    clf = RNNTextClassifier(hidden_size=4, embedding_dim=4, max_iter=1, random_state=0)
    analyzer = SequenceVectorizer().build_analyzer()
    if not any(analyzer(doc) for doc in X):
        with pytest.raises(ValueError, match="hold no tokens once tokenized"):
            clf.fit(X, y)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert_array_equal(clf.classes_, np.unique(y))
    docs = X + test
    proba = clf.predict_proba(docs)
    assert proba.shape == (len(docs), len(clf.classes_))
    _assert_valid_proba(clf, proba)
    assert set(clf.predict(docs)) <= set(clf.classes_)
    assert np.isfinite(clf.predict_log_proba(docs)).all()


# ==================================================== faults during training

#: 12 documents in batches of 4: three shard gradients per epoch.
INTERRUPTIBLE = {**TINY, "batch_size": 4, "dropout": 0.25, "shuffle": True}
CALLS_PER_EPOCH = 3


def _interrupt_on_call(monkeypatch, k):
    """Make the k-th call of the training step raise KeyboardInterrupt."""
    original = training_module.shard_gradient
    calls = itertools.count(1)

    def interrupting(*args, **kwargs):
        if next(calls) == k:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(training_module, "shard_gradient", interrupting)


def _fit_interrupted(clf, monkeypatch, k, method="fit", **kwargs):
    """Fit with an interrupt on call k; check the warning; return the estimator."""
    _interrupt_on_call(monkeypatch, k)
    with pytest.warns(UserWarning, match="Training interrupted by user") as record:
        returned = getattr(clf, method)(X12, Y12, **kwargs)
    monkeypatch.undo()
    assert returned is clf
    interrupted = [w for w in record if "interrupted" in str(w.message)]
    assert len(interrupted) == 1
    assert interrupted[0].filename == __file__  # points at the caller
    assert not any(issubclass(w.category, ConvergenceWarning) for w in record)
    return clf


@pytest.mark.parametrize(
    "solver_params",
    # (constant schedules: a warm fit runs a cosine one again from its start)
    [
        {"solver": "adam", "learning_rate": "constant"},
        {"solver": "sgd", "learning_rate": "invscaling"},
    ],
    ids=["adam", "sgd-invscaling"],
)
def test_interrupt_keeps_the_last_completed_epoch(monkeypatch, solver_params):
    params = {**INTERRUPTIBLE, **solver_params, "max_iter": 5}
    middle_of_epoch_3 = 2 * CALLS_PER_EPOCH + 2
    clf = _fit_interrupted(RNNTextClassifier(**params), monkeypatch, middle_of_epoch_3)
    reference = _fit(**{**params, "max_iter": 2})
    assert clf.n_iter_ == 2
    assert clf.t_ == reference.t_ == 2 * len(X12)
    assert clf.loss_curve_ == reference.loss_curve_
    _assert_weights_equal(clf.weights_, reference.weights_)
    assert (
        clf._fitted.rng.bit_generator.state == reference._fitted.rng.bit_generator.state
    )
    proba = clf.predict_proba(X12)
    _assert_valid_proba(clf, proba)
    assert_array_equal(proba, reference.predict_proba(X12))
    # Resuming where Ctrl-C stopped gives the uninterrupted five epochs.
    clf.set_params(warm_start=True, max_iter=3).fit(X12, Y12)
    _assert_weights_equal(clf.weights_, _fit(**params).weights_)


@pytest.mark.parametrize("k", [1, 2], ids=["first-step", "second-step"])
def test_interrupt_in_the_first_epoch_leaves_a_usable_estimator(monkeypatch, k):
    clf = _fit_interrupted(RNNTextClassifier(**INTERRUPTIBLE), monkeypatch, k)
    assert clf.n_iter_ == 0
    assert clf.t_ == 0
    assert clf.loss_curve_ == []
    _assert_valid_proba(clf, clf.predict_proba([*X12, "", "unknown"]))
    assert set(clf.predict(X12)) <= {"neg", "pos"}
    # The weights are the initial ones: one epoch more equals a fresh epoch.
    clf.set_params(warm_start=True, max_iter=1).fit(X12, Y12)
    _assert_weights_equal(
        clf.weights_, _fit(**{**INTERRUPTIBLE, "max_iter": 1}).weights_
    )


def test_interrupted_partial_fit_keeps_the_previous_call(monkeypatch):
    clf = RNNTextClassifier(**INTERRUPTIBLE)
    clf.partial_fit(X12, Y12, classes=["neg", "pos"])
    before = {name: value.copy() for name, value in clf.weights_.items()}
    _fit_interrupted(clf, monkeypatch, 2, method="partial_fit")
    assert clf.n_iter_ == 1
    _assert_weights_equal(clf.weights_, before)
    _assert_valid_proba(clf, clf.predict_proba(X12))


def test_interrupt_during_validation_keeps_a_consistent_history(monkeypatch):
    original = training_module.predict_logits
    calls = itertools.count(1)

    def interrupting(*args, **kwargs):
        if next(calls) == 3:  # the validation scoring of epoch 3
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(training_module, "predict_logits", interrupting)
    clf = RNNTextClassifier(
        **{**TINY, "max_iter": 5, "batch_size": 4},
        early_stopping=True,
        validation_fraction=0.25,
    )
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        clf.fit(X12 * 2, Y12 * 2)
    assert len(clf.loss_curve_) == len(clf.validation_scores_) == clf.n_iter_


GRID_FAILURES = {
    "embedding-width": (
        {"embeddings": {"good": [1.0, 2.0], "bad": [-1.0, 0.5]}},
        {"embedding_dim": [2, 3]},
        "embedding_dim=3, but the pre-trained vectors have 2 components",
    ),
    "float16": ({}, {"dtype": [np.float32, "float16"]}, "'dtype' parameter of"),
}


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
@pytest.mark.parametrize(
    "params, grid, phrase", GRID_FAILURES.values(), ids=GRID_FAILURES.keys()
)
def test_a_failing_grid_search_candidate_loses_no_other(params, grid, phrase):
    clf = RNNTextClassifier(**{**TINY, "max_iter": 1}, **params)
    search = GridSearchCV(clf, grid, cv=2, error_score=np.nan)
    with pytest.warns(FitFailedWarning, match=re.escape(phrase)):
        search.fit(X12, Y12)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores[0])
    assert np.isnan(scores[1])
    assert search.best_index_ == 0
    _assert_valid_proba(search, search.predict_proba(X12))

    search.set_params(error_score="raise")
    with pytest.raises(ValueError, match=re.escape(phrase)):
        search.fit(X12, Y12)


# ======================================================= numerical safety


@contextlib.contextmanager
def strict_floating_point():
    """Warnings as errors, and numpy's overflow, underflow, division and NaN too.

    Underflow is the exact rounding of a confident prediction's tiny
    probability: prediction ignores it, so that code under
    ``np.errstate(all="raise")`` gets predictions.
    """
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_huge_logits_give_finite_probabilities_without_warnings(dtype, n_classes):
    y = Y12 if n_classes == 2 else ["a", "b", "c"] * 4
    clf = _fit(y=y, dtype=dtype)
    bias = [1e4, -1e4, 0.0][:n_classes]
    clf.weights_["head.b_y"][...] = bias
    with strict_floating_point():
        proba = clf.predict_proba(X12)
        log_proba = clf.predict_log_proba(X12)
    _assert_valid_proba(clf, proba)
    assert (proba[:, 1] == 0).all()  # exp(-2e4) underflows to 0 ...
    assert np.isfinite(log_proba).all()  # ... but its logarithm does not
    assert_allclose(log_proba[:, 1], -2e4, rtol=1e-3)
    assert_allclose(np.exp(log_proba), proba, atol=1e-6)
    assert (clf.predict(X12) == clf.classes_[0]).all()
    assert np.isfinite(clf.decision_function(X12)).all()


def test_logits_at_the_float_limits_do_not_warn():
    clf = _fit()
    biggest = np.finfo(np.float32).max
    clf.weights_["head.W_hy"][...] = 0.0
    clf.weights_["head.b_y"][...] = [biggest, -biggest]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = clf.predict_proba(X4)
    assert_array_equal(proba, [[1.0, 0.0]] * 4)


@pytest.mark.parametrize(
    ("estimator", "y", "params", "bias"),
    [
        (RNNTextClassifier, Y12, {"ngram_range": (1, 2)}, [1e4, -1e4]),
        (RNNTextClassifier, ["a", "b", "c"] * 4, {"n_estimators": 2}, [1e4, 0, -1e4]),
        (RNNTextClassifier, [[1, 0], [0, 1], [1, 1]] * 4, {}, [1e4, -1e4]),
        (RNNTextRegressor, [0.0, 1.0, 2.0] * 4, {"loss": "poisson"}, [-1e4]),
        (
            RNNTextRegressor,
            [0.0, 1.0, 2.0] * 4,
            {"loss": "poisson", "n_estimators": 2},
            [-1e4],
        ),
    ],
    ids=["companion", "ensemble", "multi-label", "poisson", "poisson-ensemble"],
)
def test_confident_predictions_underflow_silently_under_errstate_raise(
    estimator, y, params, bias
):
    # exp of a logit of -1e4 is 0: code under np.errstate(all="raise") got
    # FloatingPointError("underflow encountered in exp") or "in reduce"
    tiny = {k: v for k, v in TINY.items() if k in estimator().get_params()}
    est = estimator(**{**tiny, **params}).fit(X12, y)
    for weights in est.estimators_weights_:
        weights["head.W_hy"][...] = 0.0
        weights["head.b_y"][...] = bias
    methods = ["predict_proba", "predict_log_proba", "decision_function"]
    with strict_floating_point():
        for method in [m for m in methods if hasattr(est, m)]:
            assert np.isfinite(getattr(est, method)(X12)).all()
        est.predict(X12)
        est.score(X12, y)
        staged = (
            est.staged_predict(X12[:2])
            if estimator is RNNTextRegressor
            else (est.staged_predict_proba(X12[:2]))
        )
        assert all(np.isfinite(stage).all() for stage in staged)
        str(est.explain("good film"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("cell", list(CELLS))
def test_huge_weights_saturate_tanh_and_sigmoid_without_warnings(cell, dtype):
    clf = _fit(cell=cell, dtype=dtype, num_layers=2, bidirectional=True)
    for name, value in clf.weights_.items():
        if name != "head.W_hy":
            value *= 1e6
    with strict_floating_point():
        proba = clf.predict_proba([*X12, "", "good " * 30, "unknown words"])
        log_proba = clf.predict_log_proba(X12)
    _assert_valid_proba(clf, proba)
    assert np.isfinite(log_proba).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_both_dtypes_give_probabilities_summing_to_one(dtype):
    clf = _fit(y=["a", "b", "c"] * 4, dtype=dtype)
    assert {value.dtype for value in clf.weights_.values()} == {np.dtype(dtype)}
    docs = [*X12, "", "unknown"]
    proba = clf.predict_proba(docs)
    assert proba.dtype == clf.predict_log_proba(docs).dtype == np.float64
    _assert_valid_proba(clf, proba)
