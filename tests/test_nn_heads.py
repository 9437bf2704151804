"""Tests for skrnn.nn._heads: the registry, and each head's scores against
scikit-learn's metrics.  A head of one's own is tested in test_nn_custom_head.py.
"""

import dataclasses
import warnings

import numpy as np
import pytest
from _gradcheck import assert_gradients_match
from _mlp_losses import mlp_poisson_loss
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import accuracy_score, r2_score

from skrnn._batching import pad_batch
from skrnn._prediction import predict_logits
from skrnn.nn import (
    HEAD_KINDS,
    HEADS,
    Head,
    NetworkConfig,
    init_params,
    loss_and_grad,
    register_head,
    unregister_head,
)
from skrnn.nn._functional import log_sigmoid, log_softmax, sigmoid, softmax
from skrnn.nn._heads import BUILTIN_HEADS, TargetScaling

BUILTIN = {"softmax", "logistic", "identity", "poisson"}


def test_every_head_has_its_parts():
    assert set(HEADS) == BUILTIN
    z = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(HEADS["softmax"].output(z), softmax(z))
    np.testing.assert_array_equal(HEADS["logistic"].output(z), sigmoid(z))
    assert HEADS["identity"].output(z) is z
    assert_array_equal(HEADS["poisson"].output(z), np.exp(z))
    assert [HEADS[name].kind for name in HEADS] == [*HEAD_KINDS, "values"]
    assert_array_equal(HEADS["softmax"].predict(z), z.argmax(axis=1))
    assert_array_equal(HEADS["logistic"].predict(z), (z > 0).astype(int))
    assert HEADS["identity"].predict(z) is z
    assert_array_equal(HEADS["poisson"].predict(z), np.exp(z))
    assert_array_equal(HEADS["softmax"].log_output(z), log_softmax(z))
    assert_array_equal(HEADS["logistic"].log_output(z), log_sigmoid(z))
    assert HEADS["identity"].log_output is None
    assert HEADS["poisson"].log_output is None
    assert [name for name in HEADS if HEADS[name].check_y] == ["poisson"]


@pytest.mark.parametrize("head", sorted(HEADS))
def test_the_mean_logits_give_the_mean_output(head):
    rng = np.random.default_rng(2)
    z = rng.normal(scale=3.0, size=(3, 4, 5))
    weights = np.array([0.5, 0.5, 0.0])
    output = HEADS[head].output
    mean = HEADS[head].mean_logits
    assert_allclose(output(mean(z, None)), np.mean([output(m) for m in z], axis=0))
    assert_allclose(output(mean(z, weights)), np.mean([output(m) for m in z[:2]], 0))


def test_the_registry_is_read_only_and_keeps_the_builtin_heads():
    assert set(BUILTIN_HEADS) == BUILTIN
    with pytest.raises(TypeError):
        HEADS["mine"] = HEADS["identity"]
    with pytest.raises(ValueError, match="built-in head"):
        unregister_head("softmax")
    with pytest.raises(ValueError, match="No head is registered as 'mine'"):
        unregister_head("mine")
    with pytest.raises(ValueError, match="already registered as 'identity'"):
        register_head("identity", HEADS["identity"])
    with pytest.raises(TypeError, match=r"takes a skrnn\.nn\.Head"):
        register_head("mine", "identity")
    with pytest.raises(TypeError, match="non-empty str"):
        register_head("", HEADS["identity"])
    register_head("mine", HEADS["identity"])
    try:
        assert HEADS["mine"] is HEADS["identity"]
        assert "mine" not in BUILTIN_HEADS
    finally:
        unregister_head("mine")
    assert "mine" not in HEADS


def test_a_head_declares_a_kind_and_callables():
    parts = dict(vars(HEADS["softmax"]))
    with pytest.raises(ValueError, match="kind is one of"):
        Head(**{**parts, "kind": "ranks"})
    with pytest.raises(TypeError, match="'labels' head's log_output must be"):
        Head(**{**parts, "kind": "labels", "log_output": None})
    with pytest.raises(TypeError, match="predict, mean_logits must be"):
        Head(**{**parts, "predict": None, "mean_logits": 0})
    with pytest.raises(TypeError, match="check_y must be"):
        Head(**{**vars(HEADS["poisson"]), "check_y": "y >= 0"})


def test_accuracy_is_sklearns():
    rng = np.random.default_rng(0)
    z, y, w = rng.normal(size=(20, 3)), rng.integers(0, 3, 20), rng.uniform(size=20)
    expected = accuracy_score(y, z.argmax(axis=1), sample_weight=w)
    assert HEADS["softmax"].score(z, y, w) == pytest.approx(expected)


def test_subset_accuracy_is_sklearns_on_indicator_matrices():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(30, 2))
    Y = rng.integers(0, 2, size=(30, 2)).astype(float)
    w = rng.uniform(size=30)
    expected = accuracy_score(Y, (z > 0).astype(float), sample_weight=w)
    assert HEADS["logistic"].score(z, Y, w) == pytest.approx(expected)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_r2_is_sklearns(n_outputs):
    rng = np.random.default_rng(n_outputs)
    Y = rng.normal(size=(25, n_outputs))
    z = Y + rng.normal(scale=0.5, size=Y.shape)
    w = rng.uniform(size=25)
    expected = r2_score(Y, z, sample_weight=w)
    assert HEADS["identity"].score(z, Y, w) == pytest.approx(expected)


def test_r2_of_constant_targets_as_sklearn_gives_it():
    Y = np.ones((4, 2))
    z = np.column_stack([np.ones(4), np.zeros(4)])
    w = np.ones(4)
    assert HEADS["identity"].score(z, Y, w) == r2_score(Y, z) == 0.5


@pytest.mark.parametrize("head", sorted(HEADS))
def test_reference_losses_are_those_of_a_guess_that_knows_nothing(head):
    w = np.array([1.0, 3.0])
    if head == "softmax":
        y, z = np.array([0, 2]), np.zeros((2, 3))
    elif head == "logistic":
        y, z = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]), np.zeros((2, 3))
    elif head == "identity":
        y, z = np.array([[2.0, -1.0, 0.0], [0.0, 0.0, 0.0]]), np.zeros((2, 3))
    else:
        y, z = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 5.0]]), np.zeros((2, 3))
    loss = HEADS[head].loss(z, y, w)[0]
    reference = HEADS[head].reference_loss(y, w, 3)
    if head == "identity":  # predicting 0, plus half an error of 1
        assert reference == pytest.approx(loss + 0.5)
    elif head == "poisson":  # a rate of 1, plus 1 for each output
        assert reference == pytest.approx(loss + 3)
    else:  # the uniform guess, or one half for every label
        assert reference == pytest.approx(loss)


# ------------------------------------------------------------------ Poisson


def poisson_data(seed=0, n_samples=6, n_outputs=3):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n_samples, n_outputs))
    y = rng.poisson(2.0, size=(n_samples, n_outputs)).astype(float)
    y[0] = 0.0  # 0 log 0 = 0
    return z, y, rng.uniform(0.3, 2.0, size=n_samples)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_the_poisson_loss_is_mlpregressors(n_outputs):
    # Half the deviance, a weighted mean over the samples summed over the
    # outputs: scikit-learn's poisson_loss of the rates exp(z).
    poisson_loss = mlp_poisson_loss()
    z, y, w = poisson_data(n_outputs=n_outputs)
    loss, dz = HEADS["poisson"].loss(z, y, w)
    assert loss == pytest.approx(poisson_loss(y, np.exp(z), w), rel=1e-12)
    assert_allclose(dz, (np.exp(z) - y) * (w / w.sum())[:, None], rtol=1e-12)
    assert HEADS["poisson"].loss(np.log(y + (y == 0)), y, w)[0] == pytest.approx(
        poisson_loss(y, y + (y == 0), w), abs=1e-12
    )


def test_the_poisson_gradient_matches_finite_differences():
    z, y, w = poisson_data(seed=1)
    params = {"z": z}
    _, dz = HEADS["poisson"].loss(z, y, w)
    assert_gradients_match(
        lambda p: HEADS["poisson"].loss(p["z"], y, w)[0], params, {"z": dz}
    )


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_the_network_trains_through_the_poisson_head(cell):
    # Padded mixed-length batches (one document without tokens), weights,
    # two outputs: the loss is the head's of the network's outputs.
    config = NetworkConfig(
        n_vocab=8,
        n_outputs=2,
        cell=cell,
        hidden_size=3,
        embedding_dim=3,
        bidirectional=True,
        head="poisson",
    )
    rng = np.random.default_rng(1)
    params = init_params(config, rng, np.float64)
    ids, lengths = pad_batch([rng.integers(1, 8, size=n) for n in (5, 3, 1, 0)])
    y = rng.poisson(1.5, size=(4, 2)).astype(float)
    w = rng.uniform(0.3, 2.0, size=4)

    def loss(p):
        return loss_and_grad(p, ids, lengths, y, config, sample_weight=w)

    value, grads = loss(params)
    docs = [ids[:n, i] for i, n in enumerate(lengths)]
    z = predict_logits(params, docs, config)
    assert value == pytest.approx(HEADS["poisson"].loss(z, y, w)[0], rel=1e-12)
    assert_gradients_match(lambda p: loss(p)[0], params, grads)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_the_poisson_score_is_r2_of_the_rates_as_mlpregressors(n_outputs):
    z, y, w = poisson_data(seed=2, n_samples=20, n_outputs=n_outputs)
    expected = r2_score(y, np.exp(z), sample_weight=w)
    assert HEADS["poisson"].score(z, y, w) == pytest.approx(expected)
    assert HEADS["poisson"].score_name == "R^2"


def test_the_poisson_head_refuses_negative_targets():
    check = HEADS["poisson"].check_y
    check(np.array([[0.0, 3.0], [1.5, 0.0]]))  # counts and rates
    with pytest.raises(ValueError, match=r"negative values \(as low as -0.5\)"):
        check(np.array([[0.0, 3.0], [-0.5, 1.0]]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_overflowing_rate_is_an_infinite_loss_without_a_warning(dtype):
    # Training reports an infinite loss as divergence.
    z = np.array([[0.0], [1e4]], dtype=dtype)
    y, w = np.array([[1.0], [2.0]], dtype=dtype), np.ones(2, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, dz = HEADS["poisson"].loss(z, y, w)
        score = HEADS["poisson"].score(z, y, w)
    assert loss == np.inf and dz.dtype == dtype and dz[1, 0] == np.inf
    assert score == -np.inf


# ------------------------------------------------------- standardized targets


def test_only_a_head_of_values_standardizes_its_targets():
    assert HEADS["identity"].standardize_y
    assert not HEADS["poisson"].standardize_y
    with pytest.raises(ValueError, match="standardize_y=True is for heads of the"):
        dataclasses.replace(HEADS["softmax"], standardize_y=True)
    with pytest.raises(TypeError, match="standardize_y is a bool"):
        dataclasses.replace(HEADS["identity"], standardize_y=1)


@pytest.mark.parametrize("size", [1.0, 1e200], ids=["unit", "huge"])
def test_the_standardization_of_targets_maps_back(size):
    rng = np.random.default_rng(0)
    y = size * rng.normal([3.0, -2.0], [10.0, 0.1], size=(50, 2))
    weights = rng.uniform(0.5, 2.0, size=50)
    scaling = TargetScaling.fit(y, weights)
    standardized = scaling.transform(y)
    assert np.isfinite(scaling.scale).all()
    assert_allclose(np.average(standardized, axis=0, weights=weights), 0, atol=1e-12)
    assert_allclose(np.average(standardized**2, axis=0, weights=weights), 1)
    # the outputs of the standardized targets map back to y, in float64
    back = scaling.inverse_transform(standardized.astype(np.float32))
    assert back.dtype == np.float64
    assert_allclose(back, y, rtol=1e-6, atol=1e-6 * np.abs(y).max())


def test_the_weighted_means_of_targets_take_huge_weights():
    # Regression: the weighted mean of targets of 1e10 with weights of 1e300
    # overflowed to inf, in the standardization and in the bias's start.
    y = 1e10 * np.arange(10.0)[:, None]
    unit = TargetScaling.fit(y, np.ones(10))
    huge = TargetScaling.fit(y, np.full(10, 1e300))
    assert_allclose(huge.mean, unit.mean)
    assert_allclose(huge.scale, unit.scale)
    for name in ("identity", "poisson"):
        start = HEADS[name].initial_outputs
        assert_allclose(start(y, np.full(10, 1e300)), start(y, np.ones(10)))


def test_constant_targets_are_not_scaled():
    y = np.column_stack([np.full(10, 0.1), np.zeros(10)])
    scaling = TargetScaling.fit(y, np.ones(10))
    assert_array_equal(scaling.scale, [1.0, 1.0])
    assert_allclose(scaling.transform(y), 0, atol=1e-15)


def test_constant_targets_far_from_zero_standardize_within_one():
    # Their weighted mean rounds off by 1.8e44 for 1e60, which was trained on.
    for value in (1e60, 1e154):
        y = np.full((8, 1), value)
        scaling = TargetScaling.fit(y, np.arange(1.0, 9.0))
        assert np.abs(scaling.transform(y)).max() <= 1.0
        assert_allclose(scaling.inverse_transform(scaling.transform(y)), y)
