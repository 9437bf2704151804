"""RNNTextClassifier and RNNTextRegressor against scikit-learn's estimator contract.

scikit-learn skips its common checks for estimators that take text
(``input_tags.two_d_array=False``, as for ``CountVectorizer``), so this file
carries our own: the data-free checks are called directly, and the checks
that need data are rewritten here with text input.  Then the integration
with pipelines, cross-validation, grid search and metadata routing.  The
checks that apply to both estimators run on both (``estimator`` ids
"classifier" and "regressor").
"""

import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.compose import TransformedTargetRegressor, make_column_transformer
from sklearn.ensemble import BaggingClassifier, StackingClassifier, VotingClassifier
from sklearn.exceptions import (
    DataConversionWarning,
    NotFittedError,
    UnsetMetadataPassedError,
)
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, classification_report, f1_score
from sklearn.model_selection import (
    GridSearchCV,
    TunedThresholdClassifierCV,
    cross_val_predict,
    cross_val_score,
)
from sklearn.multioutput import ClassifierChain
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils import estimator_checks, estimator_html_repr, get_tags
from sklearn.utils.estimator_checks import _NotAnArray
from sklearn.utils.validation import check_is_fitted

from skrnn import RNNTextClassifier, RNNTextRegressor, SequenceVectorizer
from skrnn.datasets import load_toy_sentiment

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X_TEXT = [
    "good film",
    "bad film",
    "a good story",
    "a bad story",
    "very good acting",
    "very bad acting",
    "good",
    "bad",
]
Y_TEXT = np.array(["pos", "neg"] * 4)
#: The same documents rated: good 1, bad -1.
Y_RATED = np.array([1.0, -1.0] * 4)

#: Each estimator with targets for X_TEXT.
ESTIMATORS = {
    "classifier": (RNNTextClassifier, Y_TEXT),
    "regressor": (RNNTextRegressor, Y_RATED),
}

FAST = {"hidden_size": 8, "embedding_dim": 8, "max_iter": 5, "random_state": 0}
#: Enough steps to fit X_TEXT, still a fraction of a second.
LEARNS = {**FAST, "max_iter": 25, "learning_rate_init": 0.05}

#: Parameters given non-default, mutable or callable values, to see that
#: nothing in fit touches them.
UNUSUAL = {
    "stop_words": ["the"],
    "class_weight": {"pos": 2.0, "neg": 1.0},
    "vocabulary": ["good", "bad", "film", "story"],
    "preprocessor": str.lower,
    "token_pattern": r"\w+",
    "dtype": np.float64,
    "max_length": 3,
    "pooling": "mean",
    "embeddings": {"good": [0.5] * 8, "bad": [-0.5] * 8},
    "ngram_range": (1, 2),
    "ngram_weight": 0.3,
}


def _lowercase(documents):
    return [doc.lower() for doc in documents]


@pytest.fixture(params=sorted(ESTIMATORS))
def estimator(request):
    """An estimator class and targets for X_TEXT, for each estimator."""
    return ESTIMATORS[request.param]


def _unusual(cls):
    """UNUSUAL, without the parameters the estimator does not have."""
    names = cls().get_params()
    return {name: value for name, value in UNUSUAL.items() if name in names}


def _predictions(model, X):
    """What the model predicts for X, by method."""
    methods = ["predict"]
    if is_classifier(model):
        methods += ["predict_proba", "decision_function"]
    return {method: getattr(model, method)(X) for method in methods}


# ------------------------------------------------------ sklearn's own checks

DATA_FREE_CHECKS = [
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_mixin_order",
    "check_estimator_sparse_tag",
    "check_estimators_unfitted",
    "check_param_validation",
]


@pytest.mark.parametrize("check_name", DATA_FREE_CHECKS)
@pytest.mark.parametrize("unusual", [False, True], ids=["default", "unusual-params"])
def test_sklearn_data_free_check(check_name, unusual, estimator):
    # These checks never reach the input validation of fit with their
    # numeric arrays, so they apply to a text estimator as they are.
    cls, _ = estimator
    params = _unusual(cls) if unusual else {}
    check = getattr(estimator_checks, check_name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(cls.__name__, cls(**FAST, **params))


class _Vector(list):
    """A word vector that counts how often its repr is written."""

    reprs = 0

    def __repr__(self):
        type(self).reprs += 1
        return super().__repr__()


def test_repr_of_a_long_mapping_parameter_writes_out_a_few_items(estimator):
    # A prober's finding: scikit-learn's repr wrote out every vector of
    # embeddings given as a dict, several times, before it cut the text:
    # 3.5 s for 3,000 vectors, minutes for GloVe's 400,000 (and as long for
    # a notebook's display of the estimator).
    cls, _ = estimator
    embeddings = {f"word{i}": _Vector([0.5] * 8) for i in range(1000)}
    model = cls(embeddings=embeddings, hidden_size=8)
    _Vector.reprs = 0
    text = repr(model)
    html = estimator_html_repr(model)
    assert _Vector.reprs <= 20  # (a few per repr; each of 1,000 before)
    assert text.startswith(f"{cls.__name__}(embeddings={{'word0': [0.5")
    assert "(1000 items), hidden_size=8)" in text
    assert "(1000 items)" in html
    assert model.embeddings is embeddings
    # a short one as scikit-learn writes it
    assert repr(cls(vocabulary={"bad": 3, "good": 2})) == (
        f"{cls.__name__}(vocabulary={{'bad': 3, 'good': 2}})"
    )


def test_is_classifier_and_tags_say_text():
    clf = RNNTextClassifier()
    assert is_classifier(clf)
    tags = get_tags(clf)
    assert tags.estimator_type == "classifier"
    assert tags.input_tags.string is True
    assert tags.input_tags.two_d_array is False
    assert tags.input_tags.sparse is False
    assert tags.target_tags.required is True
    assert tags.classifier_tags.multi_class is True
    assert tags.classifier_tags.multi_label is True
    assert tags.requires_fit is True


def test_is_regressor_and_tags_say_text():
    reg = RNNTextRegressor()
    assert is_regressor(reg)
    tags = get_tags(reg)
    assert tags.estimator_type == "regressor"
    assert tags.input_tags.string is True
    assert tags.input_tags.two_d_array is False
    assert tags.target_tags.required is True
    assert tags.regressor_tags is not None
    # several outputs at once; y >= 0 with the Poisson loss only
    assert tags.target_tags.multi_output is True
    assert tags.target_tags.single_output is True
    assert tags.target_tags.positive_only is False
    assert get_tags(RNNTextRegressor(loss="poisson")).target_tags.positive_only


def test_the_estimators_differ_only_in_class_weight_the_companion_and_loss():
    # MLPRegressor's parameters are MLPClassifier's and loss: the same here,
    # but for the classifier's n-gram companion.
    classifier = set(RNNTextClassifier().get_params())
    regressor = set(RNNTextRegressor().get_params())
    assert classifier - regressor == {
        "class_weight",
        "ngram_range",
        "char_ngram_range",
        "ngram_weight",
        "ngram_blend",
    }
    assert regressor - classifier == {"loss"}


# ------------------------------------------------------ text versions


def test_init_stores_every_parameter_unmodified(estimator):
    cls, _ = estimator
    clf = cls(**FAST, **_unusual(cls))
    params = clf.get_params(deep=False)
    for name, value in {**FAST, **_unusual(cls)}.items():
        assert params[name] is value, name
    # nothing but the parameters is set before fit
    assert set(vars(clf)) == set(params)


@pytest.mark.parametrize("unusual", [False, True], ids=["fast", "unusual"])
def test_fit_returns_self_and_does_not_overwrite_parameters(unusual, estimator):
    cls, y = estimator
    clf = cls(**FAST, **(_unusual(cls) if unusual else {}))
    before = {name: joblib.hash(value) for name, value in clf.get_params().items()}
    attributes_before = set(vars(clf))
    assert clf.fit(X_TEXT, y) is clf
    after = {name: joblib.hash(value) for name, value in clf.get_params().items()}
    assert after == before
    # fit stores one private value, the fitted state, which the fitted
    # attributes (trailing "_") show
    assert set(vars(clf)) - attributes_before == {"_fitted"}
    target = "classes_" if is_classifier(clf) else "n_outputs_"
    for name in (target, "vectorizer_", "weights_", "n_iter_"):
        assert hasattr(clf, name), name


def test_fitted_attributes_are_only_set_in_fit(estimator):
    cls, y = estimator
    clf = cls(**FAST)
    target = "classes_" if is_classifier(clf) else "n_outputs_"
    assert not [name for name in vars(clf) if name.endswith("_")]
    for name in (target, "n_iter_", "weights_", "vectorizer_", "t_"):
        assert not hasattr(clf, name), name
    clf.set_params(hidden_size=4)
    assert not [name for name in vars(clf) if name.endswith("_")]
    clf.fit(X_TEXT, y)
    assert hasattr(clf, target) and hasattr(clf, "n_iter_")
    assert not hasattr(clf, "n_outputs_" if is_classifier(clf) else "classes_")


def test_fit_check_is_fitted(estimator):
    cls, y = estimator
    clf = cls(**FAST)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    with pytest.raises(NotFittedError):
        clf.predict(X_TEXT)
    clf.fit(X_TEXT, y)
    check_is_fitted(clf)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_fit_idempotent(method, estimator):
    # As sklearn's check_fit_idempotent: fit, fit again on other data, fit
    # again on the first: the same seed gives the same model each time.
    cls, Y = estimator
    test = ["good story", "bad acting", "unseen"]

    def train(clf, X, y):
        if method == "partial_fit" and is_classifier(clf):
            return clf.partial_fit(X, y, classes=np.unique(Y))
        if method == "partial_fit":
            return clf.partial_fit(X, y)
        return clf.fit(X, y)

    params = dict(FAST)
    if method == "partial_fit" and cls is RNNTextClassifier:
        params["ngram_range"] = None  # the companion cannot learn incrementally
    clf = train(cls(**params), X_TEXT, Y)
    results = _predictions(clf, test)
    if method == "fit":
        clf.fit(X_TEXT[::-1][:6], Y[::-1][:6])
    else:
        clf = clone(clf)
    train(clf, X_TEXT, Y)
    for name, expected in results.items():
        assert_array_equal(getattr(clf, name)(test), expected, err_msg=name)


@pytest.mark.parametrize(
    "y",
    [
        np.array(["one", "two", "three"] * 3),
        np.array(["one", "two"] * 4 + ["one"]),
        np.array(["one", "two", "three"] * 3, dtype=object),
        np.array([10, -3, 7] * 3),
        np.array([True, False, False] * 3),
    ],
    ids=["str-3", "str-2", "object-3", "int-3", "bool-2"],
)
def test_classifiers_classes(y):
    X = [*X_TEXT, "good bad"]
    clf = RNNTextClassifier(**LEARNS).fit(X, y)
    assert_array_equal(clf.classes_, np.unique(y))
    assert clf.classes_.dtype == y.dtype
    pred = clf.predict(X)
    assert pred.dtype == y.dtype
    assert set(pred.tolist()) <= set(y.tolist())
    # the fitted model knows the classes it was taught, not more
    assert clf.predict_proba(X).shape == (len(X), len(np.unique(y)))


@pytest.mark.parametrize("y", [["pos"], [1]], ids=["str", "int"])
def test_fit_1sample_says_so(y):
    # The text version of check_fit2d_1sample: fitting one sample works or
    # raises a ValueError that mentions the sample count or the classes.
    messages = "1 sample|n_samples = 1|n_samples=1|one sample|1 class|one class"
    with pytest.raises(ValueError, match=messages) as info:
        RNNTextClassifier(**FAST).fit(["good film"], y)
    assert "1 sample" in str(info.value)


def test_classifiers_one_label_is_an_error():
    with pytest.raises(ValueError, match="at least 2 classes"):
        RNNTextClassifier(**FAST).fit(X_TEXT, ["pos"] * len(X_TEXT))


def test_supervised_y_2d_column_warns_and_is_raveled(estimator):
    cls, y = estimator
    one_d = cls(**FAST).fit(X_TEXT, y)
    with pytest.warns(DataConversionWarning):
        two_d = cls(**FAST).fit(X_TEXT, y[:, None])
    for name, expected in _predictions(one_d, X_TEXT).items():
        assert_array_equal(getattr(two_d, name)(X_TEXT), expected, err_msg=name)
    assert two_d.predict(X_TEXT).ndim == 1


def test_methods_sample_order_and_subset_invariance(estimator):
    cls, y = estimator
    clf = cls(**FAST).fit(X_TEXT, y)
    X = np.array([*X_TEXT, "a much longer document about a good film and acting"])
    order = np.random.default_rng(0).permutation(len(X))
    for method in _predictions(clf, X[:1]):
        full = getattr(clf, method)(X)
        exact = method == "predict" and is_classifier(clf)
        compare = assert_array_equal if exact else assert_allclose
        kwargs = {} if exact else {"rtol": 1e-6}
        compare(getattr(clf, method)(X[order]), full[order], **kwargs)
        compare(getattr(clf, method)(X[::3]), full[::3], **kwargs)


def test_targets_known_only_by_their_array_interface(estimator):
    # Regression: the classifier asked numpy for the dimensions of y, which
    # an array-like refusing numpy's functions (scikit-learn's _NotAnArray,
    # as in check_classifier_data_not_an_array) refused with its own error.
    cls, y = estimator
    expected = _predictions(cls(**FAST).fit(X_TEXT, y), X_TEXT)
    clf = cls(**FAST).fit(X_TEXT, _NotAnArray(y), sample_weight=_NotAnArray(np.ones(8)))
    for name, values in _predictions(clf, X_TEXT).items():
        assert_array_equal(values, expected[name], err_msg=name)


def test_decision_function_ranks_like_predict_proba():
    clf = RNNTextClassifier(**LEARNS).fit(X_TEXT, Y_TEXT)
    X = [*X_TEXT, "good bad", "film story", "very"]
    scores = clf.decision_function(X)
    proba = clf.predict_proba(X)[:, 1]
    assert_array_equal(
        np.argsort(scores, kind="stable"), np.argsort(proba, kind="stable")
    )


@pytest.mark.parametrize(
    "make", [list, pd.Series, np.asarray], ids=["list", "series", "ndarray"]
)
def test_sample_weight_containers(make, estimator):
    cls, y = estimator
    weights = [1.0, 2.0] * 4
    expected = cls(**FAST).fit(X_TEXT, y, sample_weight=np.array(weights))
    clf = cls(**FAST).fit(X_TEXT, y, sample_weight=make(weights))
    assert_array_equal(clf.predict(X_TEXT), expected.predict(X_TEXT))
    unweighted = cls(**FAST).fit(X_TEXT, y)
    if not is_classifier(clf):
        assert not np.array_equal(clf.predict(X_TEXT), unweighted.predict(X_TEXT))


def test_sample_weight_scaled_by_a_constant_is_the_same_model(estimator):
    # Regression: weights normalised to sum 1 left the network as it was but
    # flattened the classifier's n-gram companion to the class frequencies.
    cls, y = estimator
    X, y = X_TEXT * 3, np.concatenate([y] * 3)
    weights = np.linspace(0.5, 2.0, len(X))
    expected = _predictions(cls(**FAST).fit(X, y, sample_weight=weights), X_TEXT)
    scaled = cls(**FAST).fit(X, y, sample_weight=weights / weights.sum())
    for name, values in _predictions(scaled, X_TEXT).items():
        if values.dtype.kind in "fc":
            assert_allclose(values, expected[name], rtol=1e-5, atol=1e-7)
        else:
            assert_array_equal(values, expected[name])


def test_sample_weight_of_the_wrong_shape_is_an_error(estimator):
    cls, y = estimator
    with pytest.raises(ValueError, match="sample_weight"):
        cls(**FAST).fit(X_TEXT, y, sample_weight=np.ones(3))


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_sample_weight_under_assume_finite_says_so(value, estimator):
    # A prober's finding: scikit-learn's assume_finite=True skips the check,
    # and the error said the weights "sum to more than float32 can hold".
    cls, y = estimator
    weights = np.ones(len(y))
    weights[2] = value
    with (
        config_context(assume_finite=True),
        pytest.raises(ValueError, match="sample_weight holds NaN or infinity"),
    ):
        cls(**FAST).fit(X_TEXT, y, sample_weight=weights)
    # weights too large for float32 are no such thing: they train as their
    # ratios, without numpy's warning of an overflow in a cast
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        cls(**FAST).fit(X_TEXT, y, sample_weight=np.full(len(y), 1e300))


# ------------------------------------------------------ pipelines


def test_in_a_pipeline_it_behaves_as_alone(estimator):
    cls, y = estimator
    alone = cls(**FAST).fit(X_TEXT, y)
    pipe = Pipeline([("clf", cls(**FAST))]).fit(X_TEXT, y)
    assert is_classifier(pipe) == is_classifier(alone)
    assert is_regressor(pipe) == is_regressor(alone)
    test = ["good acting", "unseen", ""]
    for name, expected in _predictions(alone, test).items():
        assert_array_equal(getattr(pipe, name)(test), expected, err_msg=name)
    assert pipe.score(X_TEXT, y) == alone.score(X_TEXT, y)


def test_pipeline_with_a_text_transformer_in_front():
    X_upper = [doc.upper() if i % 2 else doc for i, doc in enumerate(X_TEXT)]
    pipe = make_pipeline(
        FunctionTransformer(_lowercase), RNNTextClassifier(**FAST, lowercase=False)
    ).fit(X_upper, Y_TEXT)
    vocabulary = pipe[-1].vectorizer_.vocabulary_
    assert all(word == word.lower() for word in vocabulary)
    # the same as letting the classifier lowercase on its own
    builtin = RNNTextClassifier(**FAST, lowercase=True).fit(X_upper, Y_TEXT)
    test = ["GOOD Film", "bad STORY"]
    assert_array_equal(pipe.predict_proba(test), builtin.predict_proba(test))
    # and not the same as never lowercasing
    raw = RNNTextClassifier(**FAST, lowercase=False).fit(X_upper, Y_TEXT)
    assert not np.array_equal(raw.predict_proba(test), builtin.predict_proba(test))


@pytest.mark.parametrize(
    "estimator, y",
    [(RNNTextClassifier(**FAST), Y_TEXT), (RNNTextRegressor(**FAST), Y_RATED)],
)
def test_a_sequence_vectorizer_step_before_it_says_what_to_do_instead(estimator, y):
    # Regression: the error blamed missing values (None, NaN); then it said
    # "RNNTextClassifier tokenizes raw text itself" before a regressor too.
    pipe = make_pipeline(SequenceVectorizer(), estimator)
    with pytest.raises(TypeError, match="token ids") as info:
        pipe.fit(X_TEXT, y)
    message = str(info.value)
    assert "RNNTextClassifier and RNNTextRegressor tokenize raw text" in message
    assert "RNNTextClassifier(min_df=2)" in message
    assert "missing values" not in message


def test_the_text_parameters_of_the_classifier_are_those_of_the_vectorizer():
    # What to do instead of a SequenceVectorizer step: give the classifier
    # the text parameters, which a grid search can tune like any other.
    params = {"min_df": 2, "stop_words": ["a"], "max_length": 2}
    clf = RNNTextClassifier(**FAST, **params).fit(X_TEXT, Y_TEXT)
    alone = SequenceVectorizer(**params).fit(X_TEXT)
    assert clf.vectorizer_.vocabulary_ == alone.vocabulary_
    search = GridSearchCV(
        make_pipeline(RNNTextClassifier(**FAST)),
        {"rnntextclassifier__min_df": [1, 2]},
        cv=2,
    ).fit(X_TEXT, Y_TEXT)
    assert search.best_params_["rnntextclassifier__min_df"] in (1, 2)


def test_a_one_column_dataframe_through_a_column_transformer():
    df = pd.DataFrame({"n_words": [len(d.split()) for d in X_TEXT], "text": X_TEXT})
    pipe = make_pipeline(
        make_column_transformer(("passthrough", ["text"])), RNNTextClassifier(**FAST)
    )
    scores = cross_val_score(pipe, df, Y_TEXT, cv=2)
    assert scores.shape == (2,)
    # pandas output of the column transformer: a one-column DataFrame
    pipe[0].set_output(transform="pandas")
    assert_array_equal(
        pipe.fit(df, Y_TEXT).predict_proba(df),
        RNNTextClassifier(**FAST).fit(X_TEXT, Y_TEXT).predict_proba(X_TEXT),
    )


# ------------------------------------------------------ model selection


def test_cross_val_score_on_the_toy_corpus():
    X, y = load_toy_sentiment(subset="all", return_X_y=True)
    clf = RNNTextClassifier(
        **{**FAST, "max_iter": 30}, cell="gru", learning_rate_init=0.03, batch_size=10
    )
    scores = cross_val_score(clf, X, y, cv=3)
    assert scores.shape == (3,)
    assert np.all((scores >= 0) & (scores <= 1))
    # well above the 52% of always answering the majority class
    assert scores.mean() > 0.75
    assert not hasattr(clf, "classes_")  # the folds fitted clones


def test_cross_val_predict_probabilities():
    X, y = load_toy_sentiment(subset="all", return_X_y=True)
    proba = cross_val_predict(
        RNNTextClassifier(**FAST), X, y, cv=3, method="predict_proba"
    )
    assert proba.shape == (len(X), 2)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_bagging_and_permutation_importance_take_the_text_as_one_column():
    # As the user guide says: they want a table, and a column of text is one.
    column = np.reshape(X_TEXT, (-1, 1))
    bagging = BaggingClassifier(RNNTextClassifier(**FAST), n_estimators=2).fit(
        column, Y_TEXT
    )
    assert bagging.predict_proba(column).shape == (len(X_TEXT), 2)
    fitted = RNNTextClassifier(**LEARNS).fit(X_TEXT, Y_TEXT)
    importance = permutation_importance(
        fitted, column, Y_TEXT, n_repeats=3, random_state=0
    )
    assert importance.importances_mean.shape == (1,)
    assert importance.importances_mean[0] > 0


def test_tuned_threshold_is_float64():
    # Regression: float32 probabilities gave best_threshold_ = 0.4571032 as
    # a numpy.float32.
    X, y = load_toy_sentiment(subset="all", return_X_y=True)
    tuned = TunedThresholdClassifierCV(
        RNNTextClassifier(**FAST), cv=2, random_state=0
    ).fit(X, y)
    assert np.asarray(tuned.best_threshold_).dtype == np.float64


def test_grid_search_in_parallel():
    X, y = load_toy_sentiment(return_X_y=True)
    search = GridSearchCV(
        RNNTextClassifier(**FAST),
        {"hidden_size": [4, 8], "cell": ["rnn", "gru"]},
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_
    assert best.hidden_size == search.best_params_["hidden_size"]
    assert best.cell == search.best_params_["cell"]
    assert best.weights_["layer0.fwd.W_hh"].shape[0] == best.hidden_size
    assert set(search.predict(X)) <= {0, 1}
    assert search.predict_proba(X).shape == (len(X), 2)


def test_regressor_cross_val_score_r2_on_the_toy_corpus():
    X, y = load_toy_sentiment(subset="all", return_X_y=True)
    rating = 2.0 * y - 1.0  # positive 1, negative -1
    reg = RNNTextRegressor(
        **{**FAST, "max_iter": 30}, learning_rate_init=0.03, batch_size=10
    )
    scores = cross_val_score(reg, X, rating, cv=3, scoring="r2")
    assert scores.shape == (3,)
    # well above the R^2 of 0 of predicting the mean
    assert scores.mean() > 0.4
    assert not hasattr(reg, "n_outputs_")


def test_regressor_grid_search_in_parallel():
    X, y = load_toy_sentiment(return_X_y=True)
    search = GridSearchCV(
        RNNTextRegressor(**FAST),
        {"hidden_size": [4, 8], "pooling": ["max", "last"]},
        cv=2,
        n_jobs=2,
    ).fit(X, 2.0 * y - 1.0)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_
    assert best.pooling == search.best_params_["pooling"]
    assert best.weights_["layer0.fwd.W_hh"].shape[0] == best.hidden_size
    assert search.predict(X).shape == (len(X),)


def test_regressor_in_a_transformed_target_regressor():
    # Targets on a large scale, standardised for the network and back.
    prices = 1000.0 + 500.0 * Y_RATED
    wrapped = TransformedTargetRegressor(
        regressor=RNNTextRegressor(**LEARNS), transformer=StandardScaler()
    ).fit(X_TEXT, prices)
    scaled = RNNTextRegressor(**LEARNS).fit(X_TEXT, Y_RATED)
    assert_allclose(
        wrapped.predict(X_TEXT), 1000.0 + 500.0 * scaled.predict(X_TEXT), rtol=1e-5
    )
    assert wrapped.score(X_TEXT, prices) > 0.75


#: Documents tagged with the colours and things they name (multi-label).
X_TAGS = [
    f"{adjective} {colour} {thing}"
    for adjective in ("a", "the", "one")
    for colour in ("red", "green", "")
    for thing in ("apple", "car", "")
    if colour or thing
]
TAGS = ("red", "green", "apple", "car")
Y_TAGS = np.array([[int(tag in doc.split()) for tag in TAGS] for doc in X_TAGS])
TAGS_LEARN = {**LEARNS, "max_iter": 60, "dropout": 0.0, "input_dropout": 0.0}


def test_multilabel_cross_val_score_f1_samples():
    clf = RNNTextClassifier(**TAGS_LEARN)
    X, Y = X_TAGS * 3, np.tile(Y_TAGS, (3, 1))
    scores = cross_val_score(clf, X, Y, cv=3, scoring="f1_samples")
    assert scores.shape == (3,)
    assert scores.mean() > 0.9


def test_multilabel_beside_a_classifier_chain():
    # The same indicator matrices in and out as scikit-learn's multi-label
    # meta-estimators, scored by the same metrics.
    chain = make_pipeline(
        CountVectorizer(), ClassifierChain(LogisticRegression(), random_state=0)
    ).fit(X_TAGS, Y_TAGS)
    clf = RNNTextClassifier(**TAGS_LEARN).fit(X_TAGS, Y_TAGS)
    for model in (chain, clf):
        predicted = model.predict(X_TAGS)
        assert predicted.shape == Y_TAGS.shape
        assert set(np.unique(predicted)) <= {0, 1}
        assert model.predict_proba(X_TAGS).shape == Y_TAGS.shape
        assert f1_score(Y_TAGS, predicted, average="samples") > 0.9
    assert clf.score(X_TAGS, Y_TAGS) == accuracy_score(Y_TAGS, clf.predict(X_TAGS))


def test_multilabel_classification_report():
    clf = RNNTextClassifier(**TAGS_LEARN).fit(X_TAGS, Y_TAGS)
    report = classification_report(
        Y_TAGS, clf.predict(X_TAGS), target_names=TAGS, output_dict=True
    )
    assert set(TAGS) <= set(report)
    assert "samples avg" in report
    assert report["samples avg"]["f1-score"] > 0.9


def test_grid_search_over_bidirectional():
    search = GridSearchCV(
        RNNTextClassifier(**FAST), {"bidirectional": [False, True]}, cv=2
    ).fit(X_TEXT, Y_TEXT)
    best = search.best_estimator_
    directions = {name.split(".")[1] for name in best.weights_ if "layer0" in name}
    assert directions == ({"fwd", "bwd"} if best.bidirectional else {"fwd"})
    assert best.predict(X_TEXT).shape == (len(X_TEXT),)


# ------------------------------------------------------ metadata routing

#: Every "neg" document weighs 0: a model that sees them cannot learn "neg".
NEG_IGNORED = np.where(Y_TEXT == "neg", 0.0, 1.0)


def _neg_probability_on_neg_documents(model):
    classes = list(model.classes_)
    proba = model.predict_proba(np.array(X_TEXT)[Y_TEXT == "neg"])
    return proba[:, classes.index("neg")].mean()


def test_metadata_routing_through_a_pipeline():
    with config_context(enable_metadata_routing=True):
        pipe = Pipeline(
            [("clf", RNNTextClassifier(**LEARNS).set_fit_request(sample_weight=True))]
        )
        weighted = clone(pipe).fit(X_TEXT, Y_TEXT, sample_weight=NEG_IGNORED)
        uniform = clone(pipe).fit(X_TEXT, Y_TEXT, sample_weight=np.ones(8))
        unweighted = clone(pipe).fit(X_TEXT, Y_TEXT)
    assert_array_equal(uniform.predict_proba(X_TEXT), unweighted.predict_proba(X_TEXT))
    assert _neg_probability_on_neg_documents(weighted) < 0.5
    assert _neg_probability_on_neg_documents(uniform) > 0.5


def test_metadata_routing_requires_a_request():
    with config_context(enable_metadata_routing=True):
        pipe = Pipeline([("clf", RNNTextClassifier(**FAST))])
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            pipe.fit(X_TEXT, Y_TEXT, sample_weight=NEG_IGNORED)


def test_metadata_routing_through_grid_search():
    with config_context(enable_metadata_routing=True):
        clf = (
            RNNTextClassifier(**LEARNS)
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=False)
        )
        search = GridSearchCV(clf, {"cell": ["rnn", "gru"]}, cv=2)
        weighted = clone(search).fit(X_TEXT, Y_TEXT, sample_weight=NEG_IGNORED)
        uniform = clone(search).fit(X_TEXT, Y_TEXT, sample_weight=np.ones(8))
    assert _neg_probability_on_neg_documents(weighted.best_estimator_) < 0.5
    assert _neg_probability_on_neg_documents(uniform.best_estimator_) > 0.5


def test_regressor_metadata_routing_through_a_pipeline():
    # Only the "good" documents weigh: a model that sees nothing else
    # predicts about +1 for every document.
    good_only = np.where(Y_RATED > 0, 1.0, 0.0)
    with config_context(enable_metadata_routing=True):
        pipe = Pipeline(
            [("reg", RNNTextRegressor(**LEARNS).set_fit_request(sample_weight=True))]
        )
        weighted = clone(pipe).fit(X_TEXT, Y_RATED, sample_weight=good_only)
        unweighted = clone(pipe).fit(X_TEXT, Y_RATED)
    bad = np.array(X_TEXT)[Y_RATED < 0]
    assert weighted.predict(bad).mean() > 0.5
    assert unweighted.predict(bad).mean() < -0.5


def test_routing_is_off_by_default_and_sample_weight_still_works():
    weighted = RNNTextClassifier(**LEARNS).fit(
        X_TEXT, Y_TEXT, sample_weight=NEG_IGNORED
    )
    assert _neg_probability_on_neg_documents(weighted) < 0.5


# ------------------------------------------------------- the n-gram companion


def test_the_companion_keeps_the_contract():
    # fit idempotent, order and subset invariant, cloned by model selection
    clf = RNNTextClassifier(**FAST, ngram_range=(1, 2))
    test = ["good story", "bad acting", "unseen", ""]
    results = _predictions(clf.fit(X_TEXT, Y_TEXT), test)
    clf.fit(X_TEXT[::-1][:6], Y_TEXT[::-1][:6]).fit(X_TEXT, Y_TEXT)
    for name, expected in results.items():
        assert_array_equal(getattr(clf, name)(test), expected, err_msg=name)
    for name, full in _predictions(clf, X_TEXT).items():
        reversed_ = getattr(clf, name)(X_TEXT[::-1])
        if name == "predict":
            assert_array_equal(reversed_, full[::-1])
        else:
            assert_allclose(reversed_, full[::-1], rtol=1e-10)
    X, y = load_toy_sentiment(return_X_y=True)
    search = GridSearchCV(
        RNNTextClassifier(**FAST, ngram_range=(1, 2)),
        {"ngram_weight": [0.0, 0.5]},
        cv=2,
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def _recipe():
    """The user guide's soft vote of the network and TF-IDF + LR on raw text."""
    return VotingClassifier(
        [
            ("rnn", RNNTextClassifier(**FAST)),
            (
                "tfidf",
                make_pipeline(
                    TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                    LogisticRegression(C=10, max_iter=1000),
                ),
            ),
        ],
        voting="soft",
    )


def test_the_voting_classifier_recipe_averages_its_members():
    X, y = load_toy_sentiment(return_X_y=True)
    X_test = load_toy_sentiment(subset="test").data
    vote = _recipe().fit(X, y)
    members = [member.predict_proba(X_test) for member in vote.estimators_]
    assert_allclose(vote.predict_proba(X_test), np.mean(members, axis=0))
    assert set(vote.predict(X_test)) <= set(y)


def test_the_stacking_classifier_recipe_fits_on_raw_text():
    X, y = load_toy_sentiment(return_X_y=True)
    stack = StackingClassifier(_recipe().estimators, cv=2).fit(X, y)
    proba = stack.predict_proba(X[:5])
    assert proba.shape == (5, 2)
    assert_allclose(proba.sum(axis=1), 1)
