"""Tests for skrnn.nn._functional: activations, softmax, log-loss, dropout masks."""

import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from _gradcheck import assert_gradients_match
from numpy.testing import assert_allclose, assert_array_equal

from skrnn.nn._cells import (
    _gate_activations,
    _gate_derivatives,
    _half_sigmoid_columns,
)
from skrnn.nn._functional import (
    binary_cross_entropy,
    cross_entropy,
    dropout_mask,
    dtanh_from_output,
    log_softmax,
    poisson_deviance,
    sigmoid,
    softmax,
    squared_error,
)

EXTREME = np.array(
    [
        [1e4, -1e4, 0.0],
        [-1e4, -1e4, -1e4],
        [1e4, 1e4, -1e4],
        [0.0, 0.0, 0.0],
        [3.0, -2.0, 1.0],
    ]
)


@contextmanager
def strict_floating_point():
    """Every warning an error, and numpy's overflow, underflow, 0/0 and x/0 too.

    ``exp(-2e4)`` *is* 0 in floating point, the correct rounded result, so
    the functions ignore underflow themselves: code that runs under
    ``np.errstate(under="raise")`` gets their results.
    """
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_of_extreme_logits(dtype):
    z = EXTREME.astype(dtype)
    with strict_floating_point():
        p = softmax(z)
        logp = log_softmax(z)
    assert p.dtype == dtype
    assert logp.dtype == dtype
    assert np.isfinite(p).all()
    assert np.isfinite(logp).all()
    assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    assert_allclose(np.exp(logp), p, atol=1e-7)
    assert_allclose(p[0], [1.0, 0.0, 0.0])
    assert_allclose(p[1], [1 / 3] * 3, rtol=1e-6)
    assert_allclose(p[2], [0.5, 0.5, 0.0])
    assert logp[0, 1] == pytest.approx(-2e4, rel=1e-6)  # not -inf


def test_softmax_matches_naive_formula_on_moderate_logits():
    z = np.random.default_rng(0).normal(scale=3.0, size=(6, 4))
    naive = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert_allclose(softmax(z), naive, rtol=1e-13)
    assert_allclose(log_softmax(z), np.log(naive), rtol=1e-13, atol=1e-14)


def test_softmax_does_not_modify_its_input():
    z = EXTREME.copy()
    softmax(z)
    log_softmax(z)
    assert_array_equal(z, EXTREME)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_of_extreme_logits(dtype):
    z = EXTREME.astype(dtype)
    y = np.array([1, 0, 2, 2, 0])
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    with strict_floating_point():
        loss, dz = cross_entropy(z, y, w)
    assert np.isfinite(loss)
    assert np.isfinite(dz).all()
    assert dz.dtype == dtype
    # row 0 puts all its mass on class 0 but the target is 1: -log p = 2e4
    nll = [
        2e4,
        np.log(3),
        2e4 + np.log(2),
        np.log(3),
        np.log(np.exp([0.0, -5.0, -2.0]).sum()),
    ]
    expected = np.dot(w, nll) / w.sum()
    assert loss == pytest.approx(expected, rel=1e-6)
    # each gradient row sums to 0 (softmax minus one-hot)
    assert_allclose(dz.sum(axis=1), 0.0, atol=1e-6)


def test_cross_entropy_value():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 3))
    y = np.array([0, 2, 1, 1, 0])
    w = rng.uniform(0.1, 2.0, size=5)
    loss, dz = cross_entropy(z, y, w)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert isinstance(loss, float)
    assert loss == pytest.approx(-np.dot(w, np.log(p[np.arange(5), y])) / w.sum())
    onehot = np.eye(3)[y]
    assert_allclose(dz, (p - onehot) * (w / w.sum())[:, None], rtol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_cross_entropy_gradient_matches_finite_differences(n_classes):
    rng = np.random.default_rng(n_classes)
    params = {"z": rng.normal(scale=2.0, size=(6, n_classes))}
    y = np.arange(6) % n_classes
    w = rng.uniform(0.1, 2.0, size=6)
    _, dz = cross_entropy(params["z"], y, w)
    assert_gradients_match(lambda p: cross_entropy(p["z"], y, w)[0], params, {"z": dz})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_and_binary_cross_entropy_of_extreme_logits(dtype):
    z = EXTREME.astype(dtype)
    y = (np.arange(15).reshape(5, 3) % 2).astype(dtype)
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    with strict_floating_point():
        p = sigmoid(z)
        loss, dz = binary_cross_entropy(z, y, w)
    assert p.dtype == dz.dtype == dtype
    assert_allclose(p[0], [1.0, 0.0, 0.5])
    assert np.isfinite(loss) and np.isfinite(dz).all()
    # row 0: labels 0, 1, 0 against logits 1e4, -1e4, 0: 1e4 + 1e4 + log 2
    per_sample = np.logaddexp(0, EXTREME) - y * EXTREME
    assert per_sample[0].sum() == pytest.approx(2e4 + np.log(2))
    expected = np.dot(w, per_sample.sum(axis=1)) / w.sum()
    assert loss == pytest.approx(expected, rel=1e-6)


def test_binary_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(0)
    params = {"z": rng.normal(scale=2.0, size=(6, 3))}
    y = rng.integers(0, 2, size=(6, 3)).astype(float)
    w = rng.uniform(0.1, 2.0, size=6)
    loss, dz = binary_cross_entropy(params["z"], y, w)
    p = _sigmoid(params["z"])
    naive = -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=1)
    assert loss == pytest.approx(np.dot(w, naive) / w.sum(), rel=1e-12)
    assert_allclose(dz, (p - y) * (w / w.sum())[:, None], rtol=1e-12)
    assert_gradients_match(
        lambda q: binary_cross_entropy(q["z"], y, w)[0], params, {"z": dz}
    )


def test_squared_error_value_and_gradient():
    # Half the mean over samples and outputs, as MLPRegressor's squared_loss.
    rng = np.random.default_rng(1)
    params = {"z": rng.normal(size=(5, 2))}
    y = rng.normal(size=(5, 2))
    w = rng.uniform(0.1, 2.0, size=5)
    loss, dz = squared_error(params["z"], y, w)
    per_sample = ((params["z"] - y) ** 2).mean(axis=1) / 2
    assert loss == pytest.approx(np.dot(w, per_sample) / w.sum(), rel=1e-12)
    assert_gradients_match(lambda q: squared_error(q["z"], y, w)[0], params, {"z": dz})
    ones = np.ones(5)
    assert squared_error(params["z"], y, ones)[0] == pytest.approx(
        ((params["z"] - y) ** 2).mean() / 2
    )


@pytest.mark.parametrize(
    "loss", [cross_entropy, binary_cross_entropy, squared_error, poisson_deviance]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_of_weights_whose_sum_overflows_are_those_of_unit_weights(loss, dtype):
    # Regression: the squared error divided the weights by their sum times
    # the number of outputs, which overflowed to inf (three weights of 1e38
    # and three outputs in float32): the loss and its gradient were 0.
    rng = np.random.default_rng(3)
    z = rng.normal(size=(3, 3)).astype(dtype)
    y = rng.uniform(size=(3, 3)).astype(dtype)
    if loss is cross_entropy:
        y = np.array([0, 2, 1])
    huge = np.full(3, np.finfo(dtype).max / 3, dtype=dtype)
    expected, expected_dz = loss(z, y, np.ones(3, dtype=dtype))
    with strict_floating_point():
        value, dz = loss(z, y, huge)
    assert value == pytest.approx(expected, rel=1e-6)
    assert dz.dtype == dtype
    assert_allclose(dz, expected_dz, rtol=1e-6)


def _gates(x, n_sigmoid):
    """The gated cells' activations of pre-activations ``x``, sigmoids first."""
    a = _half_sigmoid_columns(x, n_sigmoid)
    _gate_activations(a, n_sigmoid)
    return a


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gate_activations_of_extreme_inputs_are_exactly_saturated(dtype):
    x = np.array([[1e4, -1e4, 50.0, -50.0, 1e4, -1e4]], dtype=dtype)
    with strict_floating_point():
        a = _gates(x, 4)
    assert a.dtype == dtype
    assert_array_equal(a[0, [0, 1, 4, 5]], [1.0, 0.0, 1.0, -1.0])
    assert ((a[0, :4] >= 0) & (a[0, :4] <= 1)).all()


def test_gate_activations_match_their_definitions():
    x = np.linspace(-20, 20, 81)
    a = _gates(np.stack([x, -x, x], axis=1), 2)
    assert_allclose(a[:, 0], _sigmoid(x), rtol=1e-12, atol=1e-15)
    assert_allclose(a[:, 1], _sigmoid(-x), rtol=1e-12, atol=1e-15)
    assert_allclose(a[:, 2], np.tanh(x), rtol=1e-12, atol=1e-15)
    assert_array_equal(x, np.linspace(-20, 20, 81))


def test_derivatives_from_outputs_match_finite_differences():
    x = np.linspace(-4, 4, 33)
    eps = 1e-6
    num_tanh = (np.tanh(x + eps) - np.tanh(x - eps)) / (2 * eps)
    num_sig = (_sigmoid(x + eps) - _sigmoid(x - eps)) / (2 * eps)
    assert_allclose(dtanh_from_output(np.tanh(x)), num_tanh, rtol=1e-8, atol=1e-10)
    # the gated cells' derivatives: sigmoid columns first, then tanh columns
    gates = np.stack([_sigmoid(x), _sigmoid(-x), np.tanh(x)], axis=1)
    # laid out gate by gate, as the cells' backward passes hold them
    deriv = _gate_derivatives(gates.T, 2, np.empty_like(gates.T)).T
    assert_allclose(deriv[:, 0], num_sig, rtol=1e-8, atol=1e-10)
    assert_allclose(deriv[:, 1], num_sig[::-1], rtol=1e-8, atol=1e-10)
    assert_allclose(deriv[:, 2], num_tanh, rtol=1e-8, atol=1e-10)


def test_dropout_mask_none_when_off():
    shape = (4, 3)
    assert dropout_mask(None, shape, 0.5, np.dtype(np.float64)) is None
    assert dropout_mask(np.random.default_rng(0), shape, 0.0, np.dtype(float)) is None


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_mask_statistics(rate, dtype):
    shape = (200, 500)
    mask = dropout_mask(np.random.default_rng(0), shape, rate, np.dtype(dtype))
    assert mask.shape == shape
    assert mask.dtype == dtype
    # 0 or 1 / (1 - rate), nothing else
    values = np.unique(mask)
    assert len(values) == 2
    assert values[0] == 0.0
    assert values[1] == pytest.approx(1 / (1 - rate), rel=1e-6)
    n = mask.size
    # binomial standard deviation of the zero fraction: sqrt(rate (1-rate) / n)
    assert abs((mask == 0).mean() - rate) < 5 * np.sqrt(rate * (1 - rate) / n)
    assert mask.mean() == pytest.approx(1.0, abs=0.02)


def test_dropout_mask_reproducible_and_random():
    dtype = np.dtype(np.float64)
    a = dropout_mask(np.random.default_rng(3), (30, 7), 0.5, dtype)
    b = dropout_mask(np.random.default_rng(3), (30, 7), 0.5, dtype)
    c = dropout_mask(np.random.default_rng(4), (30, 7), 0.5, dtype)
    assert_array_equal(a, b)
    assert not np.array_equal(a, c)
