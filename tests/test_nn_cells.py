"""Tests for skrnn.nn._cells: each cell against its documented equations."""

import numpy as np
import pytest
from _gradcheck import assert_gradients_match
from numpy.testing import assert_allclose, assert_array_equal

from skrnn.nn import CELLS
from skrnn.nn._recurrent import active_counts

H = 3
LENGTHS = np.array([5, 3, 3, 1, 0])
N_STEPS = 5
# sequences still running at each step, a list as recurrent_forward passes it
N_ACTIVE = active_counts(LENGTHS, N_STEPS).tolist()


def sig(x):
    return 1 / (1 + np.exp(-x))


def rnn_step(x, h, c, p):
    return np.tanh(x + h @ p["W_hh"]), c


def lstm_step(x, h, c, p):
    a = x + h @ p["W_hh"]
    i, f, o, g = (
        sig(a[:H]),
        sig(a[H : 2 * H]),
        sig(a[2 * H : 3 * H]),
        np.tanh(a[3 * H :]),
    )
    c = f * c + i * g
    return o * np.tanh(c), c


def gru_step(x, h, c, p):
    u = h @ p["W_hh"]
    r = sig(x[:H] + u[:H])
    z = sig(x[H : 2 * H] + u[H : 2 * H])
    n = np.tanh(x[2 * H :] + r * (u[2 * H :] + p["b_hn"]))
    return (1 - z) * n + z * h, c


STEPS = {"rnn": rnn_step, "lstm": lstm_step, "gru": gru_step}


def make_cell_inputs(cell, seed=0):
    rng = np.random.default_rng(seed)
    spec = CELLS[cell]
    params = spec.init(rng, H, np.dtype(np.float64))
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}
    xproj = rng.normal(size=(N_STEPS, len(LENGTHS), spec.n_gates * H))
    return params, xproj


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_a_cells_param_names_are_what_its_init_returns(cell):
    spec = CELLS[cell]
    params = spec.init(np.random.default_rng(0), H, np.dtype(np.float32))
    assert tuple(params) == spec.param_names


def reference_forward(cell, xproj, lengths, params):
    """One sequence at a time, one step at a time, from h_0 = c_0 = 0."""
    outputs = np.zeros((xproj.shape[0], xproj.shape[1], H))
    for b, n in enumerate(lengths):
        h, c = np.zeros(H), np.zeros(H)
        for t in range(n):
            h, c = STEPS[cell](xproj[t, b], h, c, params)
            outputs[t, b] = h
    return outputs


def test_registry():
    assert sorted(CELLS) == ["gru", "lstm", "rnn"]
    assert {k: c.n_gates for k, c in CELLS.items()} == {"rnn": 1, "lstm": 4, "gru": 3}


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_forward_matches_equations(cell, training):
    params, xproj = make_cell_inputs(cell)
    n_active = N_ACTIVE
    # the forward pass owns (and may overwrite) the projection it is given
    outputs, _ = CELLS[cell].forward(xproj.copy(), n_active, params, training)
    assert_allclose(
        outputs, reference_forward(cell, xproj, LENGTHS, params), rtol=1e-13, atol=1e-15
    )


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_backward_matches_finite_differences(cell):
    params, xproj = make_cell_inputs(cell, seed=1)
    # b_h is added to xproj by the caller (test_nn_recurrent, test_nn_network)
    del params["b_h"]
    params["xproj"] = xproj
    n_active = N_ACTIVE
    spec = CELLS[cell]
    weights = np.random.default_rng(2).normal(size=(N_STEPS, len(LENGTHS), H))
    # the loss sees only the real positions, like pooling
    weights[np.arange(N_STEPS)[:, None] >= LENGTHS[None, :]] = 0.0

    def loss(p):
        outputs, _ = spec.forward(p["xproj"].copy(), n_active, p, False)
        return float(np.vdot(weights, outputs))

    _, cache = spec.forward(xproj.copy(), n_active, params, True)
    dxproj, grads = spec.backward(weights, cache, n_active, params)
    grads["xproj"] = dxproj
    assert sorted(grads) == sorted(params)
    assert_gradients_match(loss, params, grads)
    padding = np.arange(N_STEPS)[:, None] >= LENGTHS[None, :]
    assert_array_equal(dxproj[padding], 0.0)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_init(cell):
    spec = CELLS[cell]
    params = spec.init(np.random.default_rng(0), H, np.dtype(np.float32))
    G = spec.n_gates
    expected = {"W_hh": (H, G * H), "b_h": (G * H,)}
    if cell == "gru":
        expected["b_hn"] = (H,)
    assert {k: v.shape for k, v in params.items()} == expected
    for value in params.values():
        assert value.dtype == np.float32
    # one orthogonal block per gate
    for block in np.split(params["W_hh"], G, axis=1):
        assert_allclose(block.T @ block, np.eye(H), atol=1e-6)
    b_h = params["b_h"]
    if cell in ("lstm", "gru"):
        # LSTM gates i, f, o, g: the forget gate starts open; GRU gates r, z,
        # n: the update gate starts carrying the state
        assert_array_equal(b_h[H : 2 * H], 1.0)
        assert_array_equal(np.delete(b_h, np.s_[H : 2 * H]), 0.0)
    else:
        assert_array_equal(b_h, 0.0)
    if cell == "gru":
        assert_array_equal(params["b_hn"], 0.0)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_init_reproducible(cell):
    a = CELLS[cell].init(np.random.default_rng(7), H, np.dtype(np.float64))
    b = CELLS[cell].init(np.random.default_rng(7), H, np.dtype(np.float64))
    for name in a:
        assert_array_equal(a[name], b[name])


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_float32_in_float32_out(cell):
    params, xproj = make_cell_inputs(cell)
    params32 = {k: v.astype(np.float32) for k, v in params.items()}
    n_active = N_ACTIVE
    spec = CELLS[cell]
    outputs, cache = spec.forward(xproj.astype(np.float32), n_active, params32, True)
    assert outputs.dtype == np.float32
    dxproj, grads = spec.backward(np.ones_like(outputs), cache, n_active, params32)
    assert dxproj.dtype == np.float32
    for grad in grads.values():
        assert grad.dtype == np.float32
