"""An output head of one's own, added through the public extension point only.

Poisson regression, ``E[y | x] = exp(z)``, trained on the Poisson deviance,
is defined here, registered with :func:`skrnn.nn.register_head` and picked
by a subclass of RNNTextRegressor that sets ``heads``: it passes the
gradient check, and fits, predicts, scores, averages an ensemble, predicts
staged, explains, saves, loads and pickles like the built-in heads, with no
change to the package.
"""

import io
import json
import pickle
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
import pytest
from _gradcheck import assert_gradients_match, numerical_gradient, relative_error
from _model_files import pack, read_members
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.metrics import r2_score

import skrnn
import skrnn._base as base_module
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


def poisson_deviance(z, y, sample_weight):
    """Half the Poisson deviance of ``exp(z)``, weighted mean over the samples.

    Averaged over the outputs; ``y log y`` is 0 at ``y = 0``.
    """
    mu = np.exp(z)
    y_log_y = y * np.log(np.where(y > 0, y, 1.0))
    scale = sample_weight / sample_weight.sum() / z.shape[1]
    loss = float(scale @ (mu - y * z + y_log_y - y).sum(axis=1))
    # d/dz (exp(z) - y z) = exp(z) - y
    return loss, (mu - y) * scale[:, None].astype(z.dtype)


def log_of_mean_rate(z, weights):
    """The log of the members' (weighted) mean rate."""
    return np.log(np.average(np.exp(z), axis=0, weights=weights))


def rate_r2(z, y, sample_weight):
    return weighted_r2(np.exp(z), y, sample_weight)


def deviance_of_rate_one(y, sample_weight, n_outputs):
    """The deviance of predicting a rate of 1, plus 1 (positive when y is 1)."""
    return poisson_deviance(np.zeros(y.shape), y, sample_weight)[0] + 1.0


POISSON = Head(
    kind="values",
    loss=poisson_deviance,
    output=np.exp,
    predict=np.exp,
    mean_logits=log_of_mean_rate,
    score=rate_r2,
    score_name="R^2",
    reference_loss=deviance_of_rate_one,
)


class PoissonTextRegressor(RNNTextRegressor):
    """Counts from text: the regressor with the Poisson head."""

    heads: ClassVar = {"values": "poisson"}


@pytest.fixture
def poisson():
    register_head("poisson", POISSON)
    yield "poisson"
    unregister_head("poisson")


#: The number of times a document says "good".
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
Y = np.array([float(doc.split().count("good")) for doc in X])
FAST = {
    "hidden_size": 8,
    "embedding_dim": 8,
    "max_iter": 30,
    "learning_rate_init": 0.03,
    "dropout": 0.0,
    "input_dropout": 0.0,
    "random_state": 0,
}

# ------------------------------------------------------------------ the tests


def test_the_deviance_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 2))
    y = rng.poisson(2.0, size=(5, 2)).astype(float)
    w = rng.uniform(0.3, 2.0, size=5)
    _, dz = poisson_deviance(z, y, w)
    numerical = numerical_gradient(
        lambda p: poisson_deviance(p["z"], y, w)[0], {"z": z}
    )["z"]
    assert relative_error(numerical, dz) < 1e-6


def test_the_network_trains_through_the_head(poisson):
    config = NetworkConfig(
        n_vocab=8, n_outputs=2, cell="gru", hidden_size=3, embedding_dim=3
    )
    config = NetworkConfig(**{**vars(config), "head": poisson})
    rng = np.random.default_rng(1)
    params = init_params(config, rng, np.float64)
    ids, lengths = pad_batch([rng.integers(1, 8, size=n) for n in (5, 3, 1, 0)])
    y = rng.poisson(1.5, size=(4, 2)).astype(float)
    w = rng.uniform(0.3, 2.0, size=4)
    loss, grads = loss_and_grad(params, ids, lengths, y, config, sample_weight=w)
    assert loss == pytest.approx(
        poisson_deviance(
            predict_logits(params, [ids[:n, i] for i, n in enumerate(lengths)], config),
            y,
            w,
        )[0]
    )
    assert_gradients_match(
        lambda p: loss_and_grad(p, ids, lengths, y, config, sample_weight=w)[0],
        params,
        grads,
    )


def test_fit_predict_and_score_apply_the_head(poisson):
    reg = PoissonTextRegressor(**FAST).fit(X, Y)
    assert reg._fitted.config.head == poisson
    predictions = reg.predict(X)
    # the rate, not the log-rate the network outputs
    assert_array_equal(predictions, np.exp(reg._logits(X))[:, 0])
    assert (predictions > 0).all()
    assert reg.score(X, Y) == pytest.approx(r2_score(Y, predictions))
    assert reg.score(X, Y) > 0.5


def test_an_ensemble_averages_the_rates(poisson):
    reg = PoissonTextRegressor(**FAST, n_estimators=2).fit(X, Y)
    config = reg._fitted.config
    sequences = reg.vectorizer_.transform(X)
    rates = [
        np.exp(predict_logits(weights, sequences, config))[:, 0]
        for weights in reg.estimators_weights_
    ]
    assert not np.allclose(*rates)
    assert_allclose(reg.predict(X), np.mean(rates, axis=0), rtol=1e-6)


def test_staged_predictions_and_explanations_are_rates(poisson):
    reg = PoissonTextRegressor(**FAST, n_estimators=2).fit(X, Y)
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


def test_saved_as_the_regressor_it_derives_from(poisson):
    reg = PoissonTextRegressor(**{**FAST, "max_iter": 2}).fit(X, Y)
    buffer = io.BytesIO()
    skrnn.save(reg, buffer)
    loaded = skrnn.load(io.BytesIO(buffer.getvalue()))
    assert type(loaded) is RNNTextRegressor
    assert loaded._fitted.config.head == poisson
    assert_array_equal(loaded.predict(X), reg.predict(X))
    # a warm start continues with the saved head
    loaded.set_params(warm_start=True, max_iter=1).fit(X, Y)
    assert loaded._fitted.config.head == poisson
    # another process must register the head first
    unregister_head(poisson)
    try:
        with pytest.raises(ValueError, match=r"register_head\('poisson', head\)"):
            skrnn.load(io.BytesIO(buffer.getvalue()))
    finally:
        register_head(poisson, POISSON)


def test_a_loaded_subclass_model_is_not_refitted_with_another_head(poisson):
    # Loaded as RNNTextRegressor, a fit anew would train the identity head
    # and silently predict z where the file's model predicted exp(z).
    reg = PoissonTextRegressor(**{**FAST, "max_iter": 2}).fit(X, Y)
    buffer = io.BytesIO()
    skrnn.save(reg, buffer)
    loaded = skrnn.load(io.BytesIO(buffer.getvalue()))
    with pytest.raises(ValueError, match=r"'poisson' head.*warm_start=True"):
        loaded.fit(X, Y)
    assert loaded._fitted.config.head == poisson
    assert_array_equal(loaded.predict(X), reg.predict(X))
    # a fresh regressor of its parameters trains its own head
    assert clone(loaded).fit(X, Y)._fitted.config.head == "identity"


def test_pickled_with_its_class(poisson):
    reg = PoissonTextRegressor(**{**FAST, "max_iter": 2}).fit(X, Y)
    clone = pickle.loads(pickle.dumps(reg))
    assert type(clone) is PoissonTextRegressor
    assert_array_equal(clone.predict(X), reg.predict(X))


def test_save_refuses_a_subclass_that_changes_more_than_heads(poisson):
    class Louder(PoissonTextRegressor):
        def predict(self, X):
            return 2 * super().predict(X)

    reg = Louder(**{**FAST, "max_iter": 1}).fit(X, Y)
    with pytest.raises(TypeError, match=r"set nothing but heads; .* \['predict'\]"):
        skrnn.save(reg, io.BytesIO())


def test_a_classifier_file_of_a_values_head_is_refused(poisson):
    # A head declares the estimator it serves; load checks it.
    clf = RNNTextClassifier(**{**FAST, "max_iter": 1}).fit(X, Y > 0)
    buffer = io.BytesIO()
    skrnn.save(clf, buffer)
    members = read_members(buffer.getvalue())
    metadata = json.loads(members["metadata.json"])
    metadata["network"]["head"] = poisson
    members["metadata.json"] = json.dumps(metadata).encode()
    with pytest.raises(ValueError, match="a RNNTextClassifier has no 'poisson' head"):
        skrnn.load(io.BytesIO(pack(members)))


def test_an_estimator_refuses_a_head_of_another_kind(poisson):
    class Confused(RNNTextClassifier):
        heads: ClassVar = {"classes": "poisson"}

    with pytest.raises(ValueError, match=r"names 'poisson' for 'classes', but"):
        Confused(**FAST).fit(X, Y > 0)
    with pytest.raises(ValueError, match=r"names no head for 'labels'"):
        Confused(**FAST).fit(X, np.column_stack([Y > 0, Y > 1]).astype(int))


def test_a_head_unregistered_since_the_fit_is_a_clear_error(poisson):
    reg = PoissonTextRegressor(**{**FAST, "max_iter": 1}).fit(X, Y)
    unregister_head(poisson)
    try:
        with pytest.raises(ValueError, match="Unknown head 'poisson'"):
            reg.predict(X)
    finally:
        register_head(poisson, POISSON)


def test_the_members_of_an_ensemble_train_here(poisson, monkeypatch):
    # Worker processes know the built-in heads only.
    monkeypatch.setattr(base_module, "MEMBER_WORKERS_MIN_SAVING", 0)
    reg = PoissonTextRegressor(**FAST, n_estimators=2, n_jobs=2)
    data = SimpleNamespace(lengths=np.ones(10, dtype=int))

    def member(head):
        return SimpleNamespace(config=SimpleNamespace(cell="gru", head=head))

    assert reg._member_workers([member("identity")] * 2, data, 4, False) == 2
    assert reg._member_workers([member(poisson)] * 2, data, 4, False) == 1


def test_no_ngram_companion_beside_a_head_of_ones_own(poisson):
    register_head("softmax2", HEADS["softmax"])
    try:

        class Other(RNNTextClassifier):
            heads: ClassVar = {"classes": "softmax2", "labels": "logistic"}

        with pytest.raises(ValueError, match="ngram_range=None"):
            Other(**FAST, ngram_range=(1, 2)).fit(X, Y > 0)
        # without the companion, it is the softmax under another name
        alone = {**FAST, "max_iter": 2, "ngram_range": None}
        other = Other(**alone).fit(X, Y > 0)
        same = RNNTextClassifier(**alone).fit(X, Y > 0)
        assert_array_equal(other.predict_proba(X), same.predict_proba(X))
    finally:
        unregister_head("softmax2")
