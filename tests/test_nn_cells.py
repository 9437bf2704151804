"""Tests for skrnn.nn._cells: each cell against its documented equations.

Then the registry: what a cell declares, and what registering one checks.
"""

import numpy as np
import pytest
from _gradcheck import assert_gradients_match
from numpy.testing import assert_allclose, assert_array_equal

from skrnn.nn import CELLS, Cell, Param, register_cell, unregister_cell, zeros
from skrnn.nn._recurrent import active_counts

H = 3
INPUT_SIZE = 2
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


def init_cell(spec, rng, dtype):
    """Every parameter of a cell, drawn by its declared initialiser."""
    return {
        name: param.init(rng, param.shape(INPUT_SIZE, H), np.dtype(dtype))
        for name, param in spec.params.items()
    }


def make_cell_inputs(cell, seed=0):
    """What the layer hands a cell: its step parameters (plus noise) and xproj."""
    rng = np.random.default_rng(seed)
    spec = CELLS[cell]
    params = init_cell(spec, rng, np.float64)
    width = params.pop(spec.input_weight).shape[1]
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}
    xproj = rng.normal(size=(N_STEPS, len(LENGTHS), width))
    return params, xproj


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_a_cell_steps_with_all_its_parameters_but_the_input_weight(cell):
    spec = CELLS[cell]
    assert spec.param_names == tuple(
        name for name in spec.params if name != spec.input_weight
    )
    params = init_cell(spec, np.random.default_rng(0), np.float32)
    assert {k: v.shape for k, v in params.items()} == spec.shapes(INPUT_SIZE, H)


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
    assert list(CELLS) == ["rnn", "lstm", "gru"]
    widths = {k: c.shapes(INPUT_SIZE, H)["W_xh"] for k, c in CELLS.items()}
    assert widths == {"rnn": (2, H), "lstm": (2, 4 * H), "gru": (2, 3 * H)}


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
    spec = CELLS[cell]
    # the layer adds the input bias to xproj (test_nn_recurrent, test_nn_network)
    del params[spec.input_bias]
    params["xproj"] = xproj
    n_active = N_ACTIVE
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
    params = init_cell(spec, np.random.default_rng(0), np.float32)
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    expected = {"W_xh": (INPUT_SIZE, G * H), "W_hh": (H, G * H), "b_h": (G * H,)}
    if cell == "gru":
        expected["b_hn"] = (H,)
    assert {k: v.shape for k, v in params.items()} == expected
    # weights are penalised, biases are not
    assert {k for k, p in spec.params.items() if p.penalized} == {"W_xh", "W_hh"}
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
    a = init_cell(CELLS[cell], np.random.default_rng(7), np.float64)
    b = init_cell(CELLS[cell], np.random.default_rng(7), np.float64)
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


# ---------------------------------------------------------------- registry


def declare(**changes):
    """The tanh RNN's declarations and functions, with ``changes``."""
    rnn = CELLS["rnn"]
    fields = {
        "params": dict(rnn.params),
        "forward": rnn.forward,
        "backward": rnn.backward,
        "input_weight": rnn.input_weight,
        "input_bias": rnn.input_bias,
        **changes,
    }
    return Cell(**fields)


@pytest.fixture
def registered():
    """Register a copy of the RNN as "elman"; unregister it after the test."""
    register_cell("elman", declare())
    yield "elman"
    unregister_cell("elman")


def test_registering_adds_to_the_read_only_registry(registered):
    assert list(CELLS)[-1] == "elman"
    assert CELLS["elman"].shapes(INPUT_SIZE, H) == CELLS["rnn"].shapes(INPUT_SIZE, H)
    with pytest.raises(TypeError):
        CELLS["other"] = CELLS["rnn"]


def test_a_name_is_registered_once(registered):
    with pytest.raises(ValueError, match="already registered as 'elman'"):
        register_cell("elman", declare())
    with pytest.raises(ValueError, match="already registered as 'gru'"):
        register_cell("gru", declare())


@pytest.mark.parametrize(
    ("name", "cell", "message"),
    [
        (None, "cell", r"non-empty str; got None"),
        ("", "cell", r"non-empty str; got ''"),
        ("elman", {"W_xh": None}, r"takes a skrnn.nn.Cell; got dict"),
    ],
)
def test_register_cell_refuses_what_is_no_cell(name, cell, message):
    cell = declare() if cell == "cell" else cell
    with pytest.raises(TypeError, match=message):
        register_cell(name, cell)
    assert list(CELLS) == ["rnn", "lstm", "gru"]


def test_built_in_and_unknown_cells_cannot_be_unregistered():
    with pytest.raises(ValueError, match="'lstm' is a built-in cell"):
        unregister_cell("lstm")
    with pytest.raises(ValueError, match="No cell is registered as 'elman'"):
        unregister_cell("elman")


def _shape(*shape):
    return lambda n_in, H: shape


def test_a_cell_may_add_its_biases_itself():
    cell = declare(params={"W_xh": Param(_shape(7, 5), zeros, True)}, input_bias=None)
    assert cell.param_names == ()
    assert cell.shapes(7, H) == {"W_xh": (7, 5)}


NO_BIAS = {"input_bias": None}


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"input_weight": "W"}, ValueError, r"input_weight 'W' is not one of"),
        ({"input_bias": "b"}, ValueError, r"input_bias 'b' is not one of"),
        (
            {"params": {"W_xh": Param(_shape(3, 7), zeros, True)}, **NO_BIAS},
            ValueError,
            r"shape \(3, 7\) for input_size=7: it must be \(input_size, width\)",
        ),
        (
            {
                "params": {
                    "W_xh": Param(_shape(7, 5), zeros, True),
                    "b_h": Param(_shape(4), zeros, False),
                }
            },
            ValueError,
            r"input_bias 'b_h' has the shape \(4,\) for a projection 5 wide",
        ),
        (
            {"params": {"W_xh": Param(_shape(7, 0), zeros, True)}, **NO_BIAS},
            ValueError,
            r"'W_xh' is \(7, 0\), not a tuple of positive ints",
        ),
        ({"params": {"a.b": Param(_shape(1), zeros, True)}}, ValueError, "dots"),
        ({"params": {"W_xh": (7, 5)}}, TypeError, "declare it with skrnn.nn.Param"),
        ({"forward": None}, TypeError, "forward and backward must be callables"),
    ],
)
def test_a_cell_checks_its_declarations(changes, error, message):
    with pytest.raises(error, match=message):
        declare(**changes)
