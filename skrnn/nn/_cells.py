"""Recurrent cells: the seed's tanh RNN, the LSTM and the GRU.

Each cell is unrolled over a whole batch of padded sequences by a forward
function and differentiated by a backward function written beside it, one
short comment per backward step naming what it undoes.  Conventions shared by
all cells:

* Row vectors: a batch of hidden states is ``h`` of shape (n_samples,
  hidden_size), and ``h @ W_hh`` is the seed's ``W_hh h`` transposed.
* ``xproj`` of shape (n_steps, n_samples, n_gates * hidden_size) is the input
  projection ``x_t @ W_xh + b_h`` of every time step, computed by the caller in
  one matrix product before the loop; its gradient is what backward returns.
  The forward pass owns ``xproj``: the gated cells overwrite it with their gate
  activations, which saves allocating and filling another array of its size.
* Sequences are sorted by decreasing length and ``n_active[t]`` is the number
  of sequences still running at step ``t``, so that step ``t`` updates only the
  first ``n_active[t]`` rows.  Padding is never computed, and a finished
  sequence's state is never touched again.  Outputs at padded positions are 0.
* ``h_0 = 0`` (and ``c_0 = 0`` for the LSTM).

The cells are registered in :data:`CELLS` under the option strings that the
estimator's ``cell`` parameter accepts.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._functional import dtanh_from_output
from ._init import orthogonal

Params = dict[str, np.ndarray]
Cache = dict[str, np.ndarray]


def _recurrent_weights(
    rng: np.random.Generator, hidden_size: int, n_gates: int, dtype: np.dtype
) -> np.ndarray:
    """One orthogonal ``(hidden_size, hidden_size)`` block per gate, side by side."""
    return np.concatenate(
        [orthogonal(rng, hidden_size, dtype) for _ in range(n_gates)], axis=1
    )


def _zero_padding(x: np.ndarray, n_active: Sequence[int]) -> None:
    """Set the padded positions of a (n_steps, n_samples, width) array to 0."""
    n_samples = x.shape[1]
    if len(n_active) and n_active[-1] < n_samples:
        x *= (np.arange(n_samples)[None, :] < np.asarray(n_active)[:, None])[..., None]


# --------------------------------------------------------------------------- rnn


def rnn_init(rng: np.random.Generator, hidden_size: int, dtype: np.dtype) -> Params:
    """Recurrent parameters of the tanh RNN: ``W_hh`` and the bias ``b_h``."""
    return {
        "W_hh": _recurrent_weights(rng, hidden_size, 1, dtype),
        "b_h": np.zeros(hidden_size, dtype=dtype),
    }


def rnn_forward(
    xproj: np.ndarray, n_active: Sequence[int], params: Params, training: bool
) -> tuple[np.ndarray, Cache]:
    """Unroll ``h_t = tanh(xproj_t + h_{t-1} @ W_hh)`` over time.

    Returns the outputs ``h_1..h_T`` of shape (n_steps, n_samples,
    hidden_size) and the cache for :func:`rnn_backward`.
    """
    n_steps, n_samples, hidden_size = xproj.shape
    W_hh = params["W_hh"]
    hs = np.zeros((n_steps + 1, n_samples, hidden_size), dtype=xproj.dtype)
    for t, n in enumerate(n_active):
        h = hs[t + 1, :n]
        np.matmul(hs[t, :n], W_hh, out=h)
        h += xproj[t, :n]
        np.tanh(h, out=h)
    return hs[1:], {"hs": hs}


def rnn_backward(
    doutputs: np.ndarray, cache: Cache, n_active: Sequence[int], params: Params
) -> tuple[np.ndarray, Params]:
    """Backpropagation through time for :func:`rnn_forward` (see :class:`Cell`)."""
    hs = cache["hs"]
    n_steps, n_samples, hidden_size = doutputs.shape
    W_hh_T = params["W_hh"].T
    # tanh' of every step at once, from the outputs
    dxproj = dtanh_from_output(hs[1:])
    dh = np.zeros((n_samples, hidden_size), dtype=doutputs.dtype)
    for t in range(n_steps - 1, -1, -1):
        n = n_active[t]
        da = dxproj[t, :n]
        # h_t feeds the output at t and the next step; undo tanh
        da *= doutputs[t, :n] + dh[:n]
        # undo h_{t-1} @ W_hh
        np.matmul(da, W_hh_T, out=dh[:n])
    _zero_padding(dxproj, n_active)
    # dW_hh = sum_t h_{t-1}^T da_t, one product over all steps (padding is 0).
    dW_hh = hs[:-1].reshape(-1, hidden_size).T @ dxproj.reshape(-1, hidden_size)
    return dxproj, {"W_hh": dW_hh}


# -------------------------------------------------------------------------- lstm


def lstm_init(rng: np.random.Generator, hidden_size: int, dtype: np.dtype) -> Params:
    """Recurrent parameters of the LSTM, gates in the order i, f, o, g.

    The forget-gate bias starts at 1 so that the cell remembers by default
    (Jozefowicz et al., 2015).
    """
    b_h = np.zeros(4 * hidden_size, dtype=dtype)
    b_h[hidden_size : 2 * hidden_size] = 1.0
    return {"W_hh": _recurrent_weights(rng, hidden_size, 4, dtype), "b_h": b_h}


def _half_sigmoid_columns(x: np.ndarray, n_sigmoid: int) -> np.ndarray:
    """Copy of ``x`` with its first ``n_sigmoid`` columns halved.

    ``sigmoid(a) = (1 + tanh(a / 2)) / 2``: with the inputs of the sigmoid
    gates halved once, before the loop, every step needs a single ``tanh``
    over all gates.
    """
    x = x.copy()
    x[..., :n_sigmoid] *= 0.5
    return x


def _gate_activations(a: np.ndarray, n_sigmoid: int) -> None:
    """In place: ``tanh`` of every column, then ``(1 + t) / 2`` for the sigmoids."""
    np.tanh(a, out=a)
    s = a[:, :n_sigmoid]
    s *= 0.5
    s += 0.5


def _gate_derivatives(a: np.ndarray, n_sigmoid: int, out: np.ndarray) -> np.ndarray:
    """Derivatives of the gate activations ``a``: ``s (1 - s)``, then ``1 - t**2``."""
    np.multiply(a, a, out=out)
    np.subtract(a[:, :n_sigmoid], out[:, :n_sigmoid], out=out[:, :n_sigmoid])
    np.subtract(1.0, out[:, n_sigmoid:], out=out[:, n_sigmoid:])
    return out


def lstm_forward(
    xproj: np.ndarray, n_active: Sequence[int], params: Params, training: bool
) -> tuple[np.ndarray, Cache]:
    """Unroll the LSTM over time.

    With ``a = xproj_t + h_{t-1} @ W_hh`` split into four blocks::

        i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
        g = tanh(a_g)
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)

    The gate activations overwrite ``xproj``.
    """
    n_steps, n_samples, width = xproj.shape
    H = width // 4
    dtype = xproj.dtype
    W_hh = _half_sigmoid_columns(params["W_hh"], 3 * H)
    xproj[..., : 3 * H] *= 0.5
    hs = np.zeros((n_steps + 1, n_samples, H), dtype=dtype)
    cs = np.zeros((n_steps + 1, n_samples, H), dtype=dtype)
    tanh_cs = np.zeros((n_steps if training else 1, n_samples, H), dtype=dtype)
    buf = np.empty((n_samples, width), dtype=dtype)
    ig = np.empty((n_samples, H), dtype=dtype)
    for t, n in enumerate(n_active):
        a = xproj[t, :n]
        a += np.matmul(hs[t, :n], W_hh, out=buf[:n])
        _gate_activations(a, 3 * H)
        i, f, o, g = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        c = cs[t + 1, :n]
        np.multiply(f, cs[t, :n], out=c)
        c += np.multiply(i, g, out=ig[:n])
        tc = tanh_cs[t if training else 0, :n]
        np.tanh(c, out=tc)
        np.multiply(o, tc, out=hs[t + 1, :n])
    return hs[1:], {"hs": hs, "cs": cs, "gates": xproj, "tanh_cs": tanh_cs}


def lstm_backward(
    doutputs: np.ndarray, cache: Cache, n_active: Sequence[int], params: Params
) -> tuple[np.ndarray, Params]:
    """Backpropagation through time for :func:`lstm_forward` (see :class:`Cell`)."""
    hs, cs, gates, tanh_cs = cache["hs"], cache["cs"], cache["gates"], cache["tanh_cs"]
    n_steps, n_samples, H = doutputs.shape
    dtype = doutputs.dtype
    W_hh_T = params["W_hh"].T
    dxproj = np.zeros((n_steps, n_samples, 4 * H), dtype=dtype)
    dh = np.zeros((n_samples, H), dtype=dtype)
    dc = np.zeros((n_samples, H), dtype=dtype)
    dh_t = np.empty((n_samples, H), dtype=dtype)
    dtc = np.empty((n_samples, H), dtype=dtype)
    deriv = np.empty((n_samples, 4 * H), dtype=dtype)
    for t in range(n_steps - 1, -1, -1):
        n = n_active[t]
        a = gates[t, :n]
        i, f, o, g = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        tc = tanh_cs[t, :n]
        da = dxproj[t, :n]
        dht = np.add(doutputs[t, :n], dh[:n], out=dh_t[:n])
        # undo h = o * tanh(c)
        np.multiply(dht, tc, out=da[:, 2 * H : 3 * H])
        d = np.multiply(tc, tc, out=dtc[:n])
        np.subtract(1.0, d, out=d)
        d *= o
        d *= dht
        dc_t = dc[:n]
        dc_t += d
        # undo c = f * c_prev + i * g
        np.multiply(dc_t, g, out=da[:, :H])
        np.multiply(dc_t, cs[t, :n], out=da[:, H : 2 * H])
        np.multiply(dc_t, i, out=da[:, 3 * H :])
        dc_t *= f
        # undo the gate non-linearities
        da *= _gate_derivatives(a, 3 * H, deriv[:n])
        # undo h_{t-1} @ W_hh
        np.matmul(da, W_hh_T, out=dh[:n])
    dW_hh = hs[:-1].reshape(-1, H).T @ dxproj.reshape(-1, 4 * H)
    return dxproj, {"W_hh": dW_hh}


# --------------------------------------------------------------------------- gru


def gru_init(rng: np.random.Generator, hidden_size: int, dtype: np.dtype) -> Params:
    """Recurrent parameters of the GRU, gates in the order r, z, n.

    ``b_h`` is the input-side bias of all three blocks and ``b_hn`` the
    hidden-side bias of the candidate, which the reset gate scales.  The
    update-gate bias starts at 1, as the LSTM's forget bias, so that the cell
    starts out carrying its state (z = 0.73) rather than half-forgetting it
    at every step: long-range dependencies then train as with the LSTM.
    """
    b_h = np.zeros(3 * hidden_size, dtype=dtype)
    b_h[hidden_size : 2 * hidden_size] = 1.0
    return {
        "W_hh": _recurrent_weights(rng, hidden_size, 3, dtype),
        "b_h": b_h,
        "b_hn": np.zeros(hidden_size, dtype=dtype),
    }


def gru_forward(
    xproj: np.ndarray, n_active: Sequence[int], params: Params, training: bool
) -> tuple[np.ndarray, Cache]:
    """Unroll the GRU over time (the formulation of cuDNN and PyTorch).

    With ``x = xproj_t`` and ``u = h_{t-1} @ W_hh``, each split into r, z, n::

        r = sigmoid(x_r + u_r)
        z = sigmoid(x_z + u_z)
        n = tanh(x_n + r * (u_n + b_hn))
        h_t = (1 - z) * n + z * h_{t-1}

    The gate activations r, z, n overwrite ``xproj``.
    """
    n_steps, n_samples, width = xproj.shape
    H = width // 3
    dtype = xproj.dtype
    W_hh = _half_sigmoid_columns(params["W_hh"], 2 * H)
    xproj[..., : 2 * H] *= 0.5
    b_hn = params["b_hn"]
    hs = np.zeros((n_steps + 1, n_samples, H), dtype=dtype)
    uns = np.zeros((n_steps if training else 1, n_samples, H), dtype=dtype)
    buf_u = np.empty((n_samples, width), dtype=dtype)
    buf_ru = np.empty((n_samples, H), dtype=dtype)
    for t, n in enumerate(n_active):
        h_prev = hs[t, :n]
        u = np.matmul(h_prev, W_hh, out=buf_u[:n])
        gate = xproj[t, :n]
        rz = gate[:, : 2 * H]
        rz += u[:, : 2 * H]
        _gate_activations(rz, 2 * H)
        r, z, cand = gate[:, :H], gate[:, H : 2 * H], gate[:, 2 * H :]
        u_n = np.add(u[:, 2 * H :], b_hn, out=uns[t if training else 0, :n])
        cand += np.multiply(r, u_n, out=buf_ru[:n])
        np.tanh(cand, out=cand)
        h = hs[t + 1, :n]
        np.subtract(h_prev, cand, out=h)
        h *= z
        h += cand
    return hs[1:], {"hs": hs, "rzn": xproj, "uns": uns}


def gru_backward(
    doutputs: np.ndarray, cache: Cache, n_active: Sequence[int], params: Params
) -> tuple[np.ndarray, Params]:
    """Backpropagation through time for :func:`gru_forward` (see :class:`Cell`)."""
    hs, rzn, uns = cache["hs"], cache["rzn"], cache["uns"]
    n_steps, n_samples, H = doutputs.shape
    W_hh_T = params["W_hh"].T
    dtype = doutputs.dtype
    dxproj = np.zeros((n_steps, n_samples, 3 * H), dtype=dtype)
    du = np.zeros((n_steps, n_samples, 3 * H), dtype=dtype)
    dh = np.zeros((n_samples, H), dtype=dtype)
    dh_t = np.empty((n_samples, H), dtype=dtype)
    tmp = np.empty((n_samples, H), dtype=dtype)
    deriv = np.empty((n_samples, 3 * H), dtype=dtype)
    for t in range(n_steps - 1, -1, -1):
        n = n_active[t]
        gate = rzn[t, :n]
        r, z, cand = gate[:, :H], gate[:, H : 2 * H], gate[:, 2 * H :]
        h_prev = hs[t, :n]
        dht = np.add(doutputs[t, :n], dh[:n], out=dh_t[:n])
        dx, du_t = dxproj[t, :n], du[t, :n]
        d = _gate_derivatives(gate, 2 * H, deriv[:n])
        # undo h = (1 - z) * n + z * h_prev in n, and n = tanh(x_n + r * u_n)
        dan = np.subtract(1.0, z, out=dx[:, 2 * H :])
        dan *= dht
        dan *= d[:, 2 * H :]
        np.multiply(dan, r, out=du_t[:, 2 * H :])
        # undo r = sigmoid(x_r + u_r)
        dar = np.multiply(dan, uns[t, :n], out=dx[:, :H])
        dar *= d[:, :H]
        # undo z = sigmoid(x_z + u_z)
        daz = np.subtract(h_prev, cand, out=dx[:, H : 2 * H])
        daz *= dht
        daz *= d[:, H : 2 * H]
        du_t[:, : 2 * H] = dx[:, : 2 * H]
        # undo u = h_prev @ W_hh, plus the direct path through z * h_prev
        np.matmul(du_t, W_hh_T, out=dh[:n])
        dh[:n] += np.multiply(dht, z, out=tmp[:n])
    dW_hh = hs[:-1].reshape(-1, H).T @ du.reshape(-1, 3 * H)
    db_hn = du[:, :, 2 * H :].sum(axis=(0, 1))
    return dxproj, {"W_hh": dW_hh, "b_hn": db_hn}


@dataclass(frozen=True)
class Cell:
    """A recurrent cell: its gates, its parameters, init, forward and backward.

    Every cell's three functions share these signatures (shapes follow the
    module's conventions; ``G = n_gates``, ``H = hidden_size``).

    ``init(rng, hidden_size, dtype) -> params``
        The cell's own parameters, named by ``param_names``: ``W_hh`` of
        shape (H, G * H), ``b_h`` of shape (G * H,) and, for the GRU,
        ``b_hn`` of shape (H,).  The input weights ``W_xh`` belong to the
        layer, which projects all the steps' inputs at once.
    ``forward(xproj, n_active, params, training) -> (outputs, cache)``
        ``xproj`` of shape (n_steps, n_samples, G * H), overwritten;
        ``n_active[t]`` the number of sequences still running at step ``t``;
        ``training`` whether backward will follow (without it, the gated
        cells keep one step of what only backward needs, not all of them).
        ``outputs`` of shape (n_steps, n_samples, H) holds ``h_1..h_T``, 0 at
        padded positions; ``cache`` is what backward needs.
    ``backward(doutputs, cache, n_active, params) -> (dxproj, grads)``
        ``doutputs``, the gradient in ``outputs``; ``dxproj``, the gradient
        in ``xproj``; ``grads``, those of ``W_hh`` (and ``b_hn``).  The
        gradient of ``b_h`` is the sum of ``dxproj``, taken by the layer.
    """

    n_gates: int
    param_names: tuple[str, ...]
    init: Callable[[np.random.Generator, int, np.dtype], Params]
    forward: Callable[..., tuple[np.ndarray, Cache]]
    backward: Callable[..., tuple[np.ndarray, Params]]


CELLS: dict[str, Cell] = {
    "rnn": Cell(1, ("W_hh", "b_h"), rnn_init, rnn_forward, rnn_backward),
    "lstm": Cell(4, ("W_hh", "b_h"), lstm_init, lstm_forward, lstm_backward),
    "gru": Cell(3, ("W_hh", "b_h", "b_hn"), gru_init, gru_forward, gru_backward),
}
