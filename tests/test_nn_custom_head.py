"""An output head of one's own, added through the public extension point only.

Gamma regression, ``E[y | x] = exp(z)`` for targets ``y > 0`` (durations,
amounts), trained on the Gamma deviance, is defined here, registered with
:func:`skrnn.nn.register_head` and picked by ``RNNTextRegressor(loss=...)``:
it passes the gradient check, and fits, predicts, scores, averages an
ensemble, predicts staged, explains, saves, loads, pickles and is searched
like the built-in heads, with no change to the package.  A classifier picks
a head of its own by a subclass that sets ``heads``.
"""

import io
import json
import pickle
from dataclasses import replace
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
import pytest
from _gradcheck import assert_gradients_match, numerical_gradient, relative_error
from _model_files import pack, read_members
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.metrics import mean_gamma_deviance, r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

import skrnn
import skrnn._base as base_module
import skrnn._classifier as classifier_module
from skrnn import RNNTextClassifier, RNNTextRegressor
from skrnn._batching import pad_batch
from skrnn._explain import RegressionExplanation
from skrnn._prediction import predict_logits
from skrnn.nn import (
    HEADS,
    Head,
    NetworkConfig,
    init_params,
    loss_and_grad,
    register_head,
    unregister_head,
)
from skrnn.nn._heads import r2_score as weighted_r2

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# ------------------------------------------------------------------ the head


def gamma_deviance(z, y, sample_weight):
    """Half the Gamma deviance of ``exp(z)``, weighted mean over the samples.

    Summed over the outputs, as the built-in Poisson deviance is:
    ``log(mu / y) + y / mu - 1`` with ``mu = exp(z)``.
    """
    y_over_mu = y * np.exp(-z)
    scale = sample_weight / sample_weight.sum()
    loss = float(scale @ (z - np.log(y) + y_over_mu - 1).sum(axis=1))
    # d/dz (z + y exp(-z)) = 1 - y / mu
    return loss, ((1 - y_over_mu) * scale[:, None]).astype(z.dtype)


def log_of_mean_rate(z, weights):
    """The log of the members' (weighted) mean rate."""
    return np.log(np.average(np.exp(z), axis=0, weights=weights))


def rate_r2(z, y, sample_weight):
    return weighted_r2(np.exp(z), y, sample_weight)


def deviance_of_rate_one(y, sample_weight, n_outputs):
    """The deviance of predicting a rate of 1, plus 1 for each output."""
    return gamma_deviance(np.zeros(y.shape), y, sample_weight)[0] + n_outputs


def check_positive(y):
    """The Gamma deviance is defined for targets y > 0 only."""
    if (y <= 0).any():
        raise ValueError("The Gamma deviance needs targets y > 0.")


GAMMA = Head(
    kind="values",
    loss=gamma_deviance,
    output=np.exp,
    predict=np.exp,
    mean_logits=log_of_mean_rate,
    score=rate_r2,
    score_name="R^2",
    reference_loss=deviance_of_rate_one,
    check_y=check_positive,
)


@pytest.fixture
def gamma():
    register_head("gamma", GAMMA)
    yield "gamma"
    unregister_head("gamma")


#: One more than the number of times a document says "good".
X = [
    "good film",
    "bad film",
    "good good film",
    "a bad bad film",
    "good good good",
    "bad",
    "a good film",
    "film",
]
Y = np.array([1.0 + doc.split().count("good") for doc in X])
FAST = {
    "hidden_size": 8,
    "embedding_dim": 8,
    "max_iter": 30,
    "learning_rate_init": 0.03,
    "dropout": 0.0,
    "input_dropout": 0.0,
    "random_state": 0,
}
QUICK = {**FAST, "max_iter": 2}


def _saved(model):
    buffer = io.BytesIO()
    skrnn.save(model, buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------ the tests


def test_the_deviance_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 2))
    y = rng.gamma(2.0, size=(5, 2))
    w = rng.uniform(0.3, 2.0, size=5)
    loss, dz = gamma_deviance(z, y, w)
    # half scikit-learn's mean Gamma deviance, summed over the outputs
    expected = sum(
        mean_gamma_deviance(y[:, k], np.exp(z[:, k]), sample_weight=w) for k in (0, 1)
    )
    assert loss == pytest.approx(expected / 2)
    numerical = numerical_gradient(lambda p: gamma_deviance(p["z"], y, w)[0], {"z": z})
    assert relative_error(numerical["z"], dz) < 1e-6


def test_the_network_trains_through_the_head(gamma):
    config = NetworkConfig(
        n_vocab=8, n_outputs=2, cell="gru", hidden_size=3, embedding_dim=3, head=gamma
    )
    rng = np.random.default_rng(1)
    params = init_params(config, rng, np.float64)
    ids, lengths = pad_batch([rng.integers(1, 8, size=n) for n in (5, 3, 1, 0)])
    y = rng.gamma(1.5, size=(4, 2))
    w = rng.uniform(0.3, 2.0, size=4)
    loss, grads = loss_and_grad(params, ids, lengths, y, config, sample_weight=w)
    docs = [ids[:n, i] for i, n in enumerate(lengths)]
    z = predict_logits(params, docs, config)
    assert loss == pytest.approx(gamma_deviance(z, y, w)[0])
    assert_gradients_match(
        lambda p: loss_and_grad(p, ids, lengths, y, config, sample_weight=w)[0],
        params,
        grads,
    )


def test_a_registered_head_is_a_loss_from_its_registration():
    # The constraint reads the registry live: registered after skrnn was
    # imported, the head is a loss; unregistered, it is not.
    with pytest.raises(InvalidParameterError, match="'squared_error', 'poisson'}"):
        RNNTextRegressor(**QUICK, loss="gamma").fit(X, Y)
    register_head("gamma", GAMMA)
    try:
        reg = RNNTextRegressor(**QUICK, loss="gamma").fit(X, Y)
        assert reg._fitted.config.head == "gamma"
        with pytest.raises(InvalidParameterError, match="'poisson', 'gamma'}"):
            reg.set_params(loss="softmax").fit(X, Y)
    finally:
        unregister_head("gamma")


def test_fit_predict_and_score_apply_the_head(gamma):
    reg = RNNTextRegressor(**FAST, loss=gamma).fit(X, Y)
    assert reg._fitted.config.head == gamma
    predictions = reg.predict(X)
    # the rate, not the log-rate the network outputs
    assert_array_equal(predictions, np.exp(reg._logits(X))[:, 0])
    assert (predictions > 0).all()
    assert reg.score(X, Y) == pytest.approx(r2_score(Y, predictions))
    assert reg.score(X, Y) > 0.5


def test_the_head_checks_the_targets(gamma):
    reg = RNNTextRegressor(**QUICK, loss=gamma)
    with pytest.raises(ValueError, match="needs targets y > 0"):
        reg.fit(X, Y - 1)
    assert not hasattr(reg, "weights_")


def test_an_ensemble_averages_the_rates(gamma):
    reg = RNNTextRegressor(**FAST, loss=gamma, n_estimators=2).fit(X, Y)
    config = reg._fitted.config
    sequences = reg.vectorizer_.transform(X)
    rates = [
        np.exp(predict_logits(weights, sequences, config))[:, 0]
        for weights in reg.estimators_weights_
    ]
    assert not np.allclose(*rates)
    assert_allclose(reg.predict(X), np.mean(rates, axis=0), rtol=1e-6)


def test_staged_predictions_and_explanations_are_rates(gamma):
    reg = RNNTextRegressor(**FAST, loss=gamma, n_estimators=2).fit(X, Y)
    predictions = reg.predict(X)
    staged = reg.staged_predict(X)
    for values, prediction in zip(staged, predictions, strict=True):
        assert (values > 0).all()
        assert values[-1] == pytest.approx(prediction, rel=1e-5)
    explanation = reg.explain("good good film")
    assert isinstance(explanation, RegressionExplanation)
    assert explanation.prediction == pytest.approx(predictions[2], rel=1e-6)
    assert_allclose(explanation.staged_prediction, staged[2], rtol=1e-6)
    without_good = reg.predict(["good film"])[0]
    assert explanation.attributions[0] == pytest.approx(
        explanation.prediction - without_good, rel=1e-5
    )


def test_saved_and_loaded_with_its_loss(gamma):
    reg = RNNTextRegressor(**QUICK, loss=gamma).fit(X, Y)
    data = _saved(reg)
    loaded = skrnn.load(io.BytesIO(data))
    assert type(loaded) is RNNTextRegressor
    assert loaded.loss == gamma and loaded._fitted.config.head == gamma
    assert_array_equal(loaded.predict(X), reg.predict(X))
    # a warm start continues the head, a new fit trains it anew
    loaded.set_params(warm_start=True, max_iter=1).fit(X, Y)
    assert loaded._fitted.config.head == gamma
    assert clone(loaded).fit(X, Y)._fitted.config.head == gamma
    # another process must register the head first
    unregister_head(gamma)
    try:
        with pytest.raises(ValueError, match=r"register_head\('gamma', head\)"):
            skrnn.load(io.BytesIO(data))
    finally:
        register_head(gamma, GAMMA)


def test_a_version_7_file_of_a_heads_subclass_loads_with_the_loss_of_its_head(
    gamma,
):
    # Before the loss parameter, a subclass that set heads = {"values":
    # "gamma"} was saved as RNNTextRegressor with its head and no loss; a new
    # fit of the loaded model trained the identity head silently.
    reg = RNNTextRegressor(**QUICK, loss=gamma).fit(X, Y)
    members = read_members(_saved(reg))
    metadata = json.loads(members["metadata.json"])
    del metadata["params"]["loss"]
    metadata["format_version"] = 7
    members["metadata.json"] = json.dumps(metadata).encode()
    loaded = skrnn.load(io.BytesIO(pack(members)))
    assert loaded.loss == gamma
    assert_array_equal(loaded.predict(X), reg.predict(X))
    assert loaded.fit(X, Y)._fitted.config.head == gamma


def test_a_file_whose_loss_is_not_its_head_is_corrupt(gamma):
    members = read_members(_saved(RNNTextRegressor(**QUICK, loss=gamma).fit(X, Y)))
    metadata = json.loads(members["metadata.json"])
    metadata["params"]["loss"] = "poisson"
    members["metadata.json"] = json.dumps(metadata).encode()
    with pytest.raises(ValueError, match=r"params\.loss is 'poisson', whose head is"):
        skrnn.load(io.BytesIO(pack(members)))


def test_pickled_and_searched_as_a_parameter(gamma):
    reg = RNNTextRegressor(**QUICK, loss=gamma).fit(X, Y)
    unpickled = pickle.loads(pickle.dumps(reg))
    assert unpickled.loss == gamma
    assert_array_equal(unpickled.predict(X), reg.predict(X))
    # threads share the registry with this process
    search = GridSearchCV(
        RNNTextRegressor(**QUICK), {"loss": ["poisson", gamma]}, cv=2
    ).fit(X * 2, np.r_[Y, Y])
    assert search.best_estimator_._fitted.config.head in ("poisson", gamma)


def test_unpickling_in_a_process_without_the_head_says_to_register_it(gamma):
    # It said "head must be one of [...]", and not how to get the head.
    data = pickle.dumps(RNNTextRegressor(**QUICK, loss=gamma).fit(X, Y))
    unregister_head(gamma)
    try:
        with pytest.raises(
            ValueError, match=r"Unknown head 'gamma'.*skrnn\.nn\.register_head"
        ):
            pickle.loads(data)
    finally:
        register_head(gamma, GAMMA)


def test_another_kind_of_head_registered_under_the_name_since_the_fit_is_named(
    gamma,
):
    # predict and score failed with an IndexError, explain with a TypeError,
    # staged_predict gave the softmax of one output (all 1) silently, and
    # load said that the loss parameter was invalid in a corrupt file.
    reg = RNNTextRegressor(**QUICK, loss=gamma).fit(X, Y)
    data, pickled = _saved(reg), pickle.dumps(reg)
    unregister_head(gamma)
    register_head(gamma, HEADS["softmax"])
    try:
        said = r"head 'gamma' is .*registered .*'classes' kind, which RNNTextReg"
        for step in (
            lambda: reg.predict(X),
            lambda: reg.score(X, Y),
            lambda: reg.staged_predict(X),
            lambda: reg.explain(X[0]),
            lambda: pickle.loads(pickled).predict(X),
            lambda: skrnn.load(io.BytesIO(data)),
        ):
            with pytest.raises(ValueError, match=said) as info:
                step()
            assert "another head registered under that name" in str(info.value)
            assert "corrupt" not in str(info.value)
    finally:
        unregister_head(gamma)
        register_head(gamma, GAMMA)
    assert_array_equal(skrnn.load(io.BytesIO(data)).predict(X), reg.predict(X))


def test_save_refuses_a_subclass_that_changes_anything():
    class Louder(RNNTextRegressor):
        def predict(self, X):
            return 2 * super().predict(X)

    reg = Louder(**{**FAST, "max_iter": 1}).fit(X, Y)
    with pytest.raises(TypeError, match=r"that set nothing; .* \['predict'\]"):
        skrnn.save(reg, io.BytesIO())


# ---------------------------------------------- a classifier's head of its own


@pytest.fixture
def softmax2():
    register_head("softmax2", HEADS["softmax"])
    yield "softmax2"
    unregister_head("softmax2")


class Other(RNNTextClassifier):
    """The classifier with a class head of its own: the softmax renamed."""

    heads: ClassVar = {"classes": "softmax2", "labels": "logistic"}


def test_a_classifier_subclass_picks_its_head_by_heads(softmax2):
    with pytest.raises(ValueError, match="ngram_range=None"):
        Other(**FAST, ngram_range=(1, 2)).fit(X, Y > 1)
    # without the companion, it is the softmax under another name
    alone = {**QUICK, "ngram_range": None}
    other = Other(**alone).fit(X, Y > 1)
    same = RNNTextClassifier(**alone).fit(X, Y > 1)
    assert other._fitted.config.head == softmax2
    assert_array_equal(other.predict_proba(X), same.predict_proba(X))


def test_a_loaded_heads_subclass_classifier_is_not_refitted_with_another_head(
    softmax2,
):
    # Saved as RNNTextClassifier (the subclass sets nothing but heads), a fit
    # anew would train the softmax silently.
    clf = Other(**QUICK, ngram_range=None).fit(X, Y > 1)
    loaded = skrnn.load(io.BytesIO(_saved(clf)))
    assert type(loaded) is RNNTextClassifier
    assert loaded._fitted.config.head == softmax2
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(ValueError, match=r"'softmax2' head.*warm_start=True"):
        loaded.fit(X, Y > 1)
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    loaded.set_params(warm_start=True, max_iter=1).fit(X, Y > 1)
    assert loaded._fitted.config.head == softmax2
    # a fresh classifier of its parameters trains its own head
    fresh = clone(loaded).set_params(warm_start=False).fit(X, Y > 1)
    assert fresh._fitted.config.head == "softmax"


def test_a_refit_refused_for_its_head_fits_no_probe_first(softmax2, monkeypatch):
    # Regression: ngram_weight="auto" fitted a model on nine tenths of the
    # documents before the fit was refused.
    monkeypatch.setattr(classifier_module, "AUTO_WEIGHT_HELD_OUT", 1)
    clf = Other(**QUICK, ngram_range=None).fit(X, Y > 1)
    loaded = skrnn.load(io.BytesIO(_saved(clf)))
    loaded.set_params(ngram_range=(1, 2), ngram_weight="auto")
    fits = []
    fit = RNNTextClassifier._fit

    def spy(self, *args, **kwargs):
        fits.append(kwargs.get("probe", False))
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(RNNTextClassifier, "_fit", spy)
    with pytest.raises(ValueError, match=r"'softmax2' head.*warm_start=True"):
        loaded.fit(X, Y > 1)
    assert fits == [False]


def _first_unless_sure(z):
    """Class 0 unless another class is 20 times as probable (log 20 ~ 3)."""
    best = z.argmax(axis=1)
    return np.where(z.max(axis=1) - z[:, 0] > 3.0, best, 0)


def _eager_labels(z):
    """Every label of probability above sigmoid(-3), some 5%."""
    return (z > -3.0).astype(int)


@pytest.fixture
def thresholds():
    register_head("cautious", replace(HEADS["softmax"], predict=_first_unless_sure))
    register_head("eager", replace(HEADS["logistic"], predict=_eager_labels))
    yield
    unregister_head("cautious")
    unregister_head("eager")


def test_an_explanation_predicts_what_predict_does_with_the_heads_rule(thresholds):
    # Regression: explain took the most probable class, or the labels of
    # probability above 1/2, whatever the head's predict: its prediction, its
    # table and the class whose probability the attributions explain
    # disagreed with predict.
    class Thresholds(RNNTextClassifier):
        heads: ClassVar = {"classes": "cautious", "labels": "eager"}

    alone = {**QUICK, "ngram_range": None}
    y = np.array([["bad", "good"][doc.split().count("good") > 0] for doc in X])
    clf = Thresholds(**alone).fit(X, y)
    indicator = np.column_stack([Y > 1, Y > 2, Y > 3]).astype(int)
    tagger = Thresholds(**alone).fit(X, indicator)
    predicted = clf.predict(X)
    assert (predicted != clf.classes_[clf.predict_proba(X).argmax(axis=1)]).any()
    assert (tagger.predict(X) != (tagger.predict_proba(X) > 0.5)).any()
    explanations = [clf.explain(doc) for doc in X]
    assert_array_equal([e.prediction for e in explanations], predicted)
    for doc, label, explanation in zip(X, predicted, explanations, strict=True):
        k = list(clf.classes_).index(label)
        words = doc.split()
        shorter = [" ".join(words[:i] + words[i + 1 :]) for i in range(len(words))]
        assert_allclose(
            explanation.attributions,
            clf.predict_proba([doc])[0, k] - clf.predict_proba(shorter)[:, k],
            atol=1e-6,
        )
        assert str(explanation).endswith(
            f"prediction: {label} (p = {explanation.proba[k]:.3f})"
        )
    labels = [tagger.explain(doc).prediction for doc in X]
    assert_array_equal(labels, tagger.predict(X))


def test_a_classifier_file_of_a_values_head_is_refused(gamma):
    # A head declares the estimator it serves; load checks it (the file
    # cannot tell a forged head from one registered anew: not called corrupt).
    clf = RNNTextClassifier(**{**FAST, "max_iter": 1}).fit(X, Y > 1)
    members = read_members(_saved(clf))
    metadata = json.loads(members["metadata.json"])
    metadata["network"]["head"] = gamma
    members["metadata.json"] = json.dumps(metadata).encode()
    with pytest.raises(ValueError, match="'values' kind, which RNNTextClassifier"):
        skrnn.load(io.BytesIO(pack(members)))


def test_an_estimator_refuses_a_head_of_another_kind(gamma, softmax2):
    class Confused(RNNTextClassifier):
        heads: ClassVar = {"classes": "gamma"}

    with pytest.raises(ValueError, match=r"names 'gamma' for 'classes', but"):
        Confused(**FAST).fit(X, Y > 1)
    with pytest.raises(ValueError, match=r"names no head for 'labels'"):
        Confused(**FAST).fit(X, np.column_stack([Y > 1, Y > 2]).astype(int))
    with pytest.raises(InvalidParameterError, match="'loss' parameter"):
        RNNTextRegressor(**FAST, loss=softmax2).fit(X, Y)


def test_a_head_unregistered_since_the_fit_is_a_clear_error(gamma):
    reg = RNNTextRegressor(**{**FAST, "max_iter": 1}, loss=gamma).fit(X, Y)
    unregister_head(gamma)
    try:
        with pytest.raises(ValueError, match="Unknown head 'gamma'"):
            reg.predict(X)
    finally:
        register_head(gamma, GAMMA)


def test_the_members_of_an_ensemble_train_here(gamma, monkeypatch):
    # Worker processes know the built-in heads only.
    monkeypatch.setattr(base_module, "MEMBER_WORKERS_MIN_SAVING", 0)
    reg = RNNTextRegressor(**FAST, loss=gamma, n_estimators=2, n_jobs=2)
    data = SimpleNamespace(lengths=np.ones(10, dtype=int))

    def member(head):
        return SimpleNamespace(config=SimpleNamespace(cell="gru", head=head))

    assert reg._member_workers([member("identity")] * 2, data, 4, False) == 2
    assert reg._member_workers([member("poisson")] * 2, data, 4, False) == 2
    assert reg._member_workers([member(gamma)] * 2, data, 4, False) == 1
