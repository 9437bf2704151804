"""Recurrent cells: the seed's tanh RNN, the LSTM and the GRU; their registry.

Each cell is unrolled over a whole batch of padded sequences by a forward
function and differentiated by a backward function written beside it, one
short comment per backward step naming what it undoes.  Conventions shared by
all cells:

* Row vectors: a batch of hidden states is ``h`` of shape (n_samples,
  hidden_size), and ``h @ W_hh`` is the seed's ``W_hh h`` transposed.
* ``xproj`` of shape (n_steps, n_samples, n_gates * hidden_size) is the input
  projection ``x_t @ W_xh + b_h`` of every time step, computed by the layer in
  one matrix product before the loop; its gradient is what backward returns.
  The forward pass owns ``xproj``: the gated cells overwrite it with their gate
  activations, which saves allocating and filling another array of its size.
* Sequences are sorted by decreasing length and ``n_active[t]`` is the number
  of sequences still running at step ``t``, so that step ``t`` updates only the
  first ``n_active[t]`` rows.  Padding is never computed, and a finished
  sequence's state is never touched again.  Outputs at padded positions are 0.
* ``h_0 = 0`` (and ``c_0 = 0`` for the LSTM).

A :class:`Cell` declares its parameters (:class:`Param`: shape, initialiser,
whether ``alpha`` penalises it) and which of them the layer uses to project
the inputs.  The cells are registered in :data:`CELLS` under the option
strings that the estimator's ``cell`` parameter accepts; :func:`register_cell`
adds one.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ._functional import dtanh_from_output
from ._init import (
    Initializer,
    gate_constants,
    glorot_uniform,
    orthogonal,
    per_gate,
    zeros,
)
from ._registry import Registry

Params = dict[str, np.ndarray]
Cache = dict[str, np.ndarray]


def _transposed(W: np.ndarray) -> np.ndarray:
    """``W.T`` as a contiguous copy, for the products of every backward step.

    OpenBLAS multiplies by a contiguous matrix 1.2-1.4 times faster than by
    a transposed view at the per-step shapes (``benchmarks/floor.py``); the
    copy is made once per batch.
    """
    return np.ascontiguousarray(W.T)


# --------------------------------------------------------------------------- rnn


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
    W_hh_T = _transposed(params["W_hh"])
    # tanh' of every step at once, from the outputs
    dxproj = dtanh_from_output(hs[1:], out=np.empty_like(doutputs))
    dh = np.zeros((n_samples, hidden_size), dtype=doutputs.dtype)
    dht = np.empty((n_samples, hidden_size), dtype=doutputs.dtype)
    for t in range(n_steps - 1, -1, -1):
        n = n_active[t]
        da = dxproj[t, :n]
        # h_t feeds the output at t and the next step; undo tanh
        da *= np.add(doutputs[t, :n], dh[:n], out=dht[:n])
        if n < n_samples:
            # padded positions have no gradient
            dxproj[t, n:] = 0.0
        # undo h_{t-1} @ W_hh
        np.matmul(da, W_hh_T, out=dh[:n])
    # dW_hh = sum_t h_{t-1}^T da_t, one product over all steps (padding is 0).
    dW_hh = hs[:-1].reshape(-1, hidden_size).T @ dxproj.reshape(-1, hidden_size)
    return dxproj, {"W_hh": dW_hh}


# -------------------------------------------------------------------------- lstm


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
    """Derivatives of gate activations ``a`` laid out gate by gate, (G, ...).

    ``s (1 - s)`` for the first ``n_sigmoid`` gates, the sigmoids, then
    ``1 - t**2`` for the tanh gates.
    """
    np.multiply(a, a, out=out)
    np.subtract(a[:n_sigmoid], out[:n_sigmoid], out=out[:n_sigmoid])
    np.subtract(1.0, out[n_sigmoid:], out=out[n_sigmoid:])
    return out


def _by_gate(x: np.ndarray, n_gates: int) -> np.ndarray:
    """An array of shape (..., n, n_gates * H) viewed as (..., n_gates, n, H).

    A strided view, no copy: gate ``k`` of row ``b`` is ``x[..., b, kH:(k+1)H]``.
    """
    *lead, n, width = x.shape
    return x.reshape(*lead, n, n_gates, width // n_gates).swapaxes(-3, -2)


def _gate_major(x: np.ndarray, n_gates: int) -> np.ndarray:
    """The memory of a contiguous (T, B, n_gates * H) array as (T, n_gates, B, H).

    The gated cells' forward overwrites each step's input projection, once
    read, with the gate activations laid out gate by gate in this view, so
    that each gate of the first ``n`` rows, ``view[t, k, :n]``, is contiguous.
    """
    n_steps, n_samples, width = x.shape
    return x.reshape(n_steps, n_gates, n_samples, width // n_gates)


def _per_gate(W: np.ndarray, n_gates: int) -> np.ndarray:
    """``W`` of shape (rows, n_gates * H) as a contiguous (n_gates, rows, H) stack.

    ``h @ _per_gate(W, G)`` is ``h @ W`` with each gate's block of columns in
    its own contiguous (n_samples, H) array: one product (numpy multiplies
    the stack gate by gate, as fast as the whole at these shapes), then every
    ufunc of the step reads and writes contiguous memory.  The copy is made
    once per batch.
    """
    return np.ascontiguousarray(_by_gate(W, n_gates))


def lstm_forward(
    xproj: np.ndarray, n_active: Sequence[int], params: Params, training: bool
) -> tuple[np.ndarray, Cache]:
    """Unroll the LSTM over time.

    With ``a = xproj_t + h_{t-1} @ W_hh`` split into four blocks::

        i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
        g = tanh(a_g)
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)

    Each step computes ``a`` gate by gate into a (4, n_samples, hidden_size)
    scratch and writes the activations over its own block of ``xproj``, in
    that layout (see :func:`_gate_major`).
    """
    n_steps, n_samples, width = xproj.shape
    H = width // 4
    dtype = xproj.dtype
    xproj = np.ascontiguousarray(xproj)
    x_by_gate, gates = _by_gate(xproj, 4), _gate_major(xproj, 4)
    W_hh = _per_gate(params["W_hh"], 4)
    hs = np.zeros((n_steps + 1, n_samples, H), dtype=dtype)
    cs = np.zeros((n_steps + 1, n_samples, H), dtype=dtype)
    tanh_cs = np.zeros((n_steps if training else 1, n_samples, H), dtype=dtype)
    buf = np.empty((4, n_samples, H), dtype=dtype)
    ig = np.empty((n_samples, H), dtype=dtype)
    for t, n in enumerate(n_active):
        a = np.matmul(hs[t, :n], W_hh, out=buf[:, :n])
        a += x_by_gate[t, :, :n]
        # sigmoid(x) = (1 + tanh(x / 2)) / 2: one tanh for all four gates
        a[:3] *= 0.5
        a = np.tanh(a, out=gates[t, :, :n])
        s = a[:3]
        s *= 0.5
        s += 0.5
        i, f, o, g = a
        c = cs[t + 1, :n]
        np.multiply(f, cs[t, :n], out=c)
        c += np.multiply(i, g, out=ig[:n])
        tc = tanh_cs[t if training else 0, :n]
        np.tanh(c, out=tc)
        np.multiply(o, tc, out=hs[t + 1, :n])
    return hs[1:], {"hs": hs, "cs": cs, "gates": gates, "tanh_cs": tanh_cs}


def lstm_backward(
    doutputs: np.ndarray, cache: Cache, n_active: Sequence[int], params: Params
) -> tuple[np.ndarray, Params]:
    """Backpropagation through time for :func:`lstm_forward` (see :class:`Cell`).

    Each step computes the gradient in ``a`` gate by gate, in contiguous
    (n, hidden_size) blocks, then copies it into the step's row of
    ``dxproj`` and multiplies that by ``W_hh.T``.
    """
    hs, cs, gates, tanh_cs = cache["hs"], cache["cs"], cache["gates"], cache["tanh_cs"]
    n_steps, n_samples, H = doutputs.shape
    dtype = doutputs.dtype
    W_hh_T = _transposed(params["W_hh"])
    dxproj = np.zeros((n_steps, n_samples, 4 * H), dtype=dtype)
    dx_by_gate = _by_gate(dxproj, 4)
    dh = np.zeros((n_samples, H), dtype=dtype)
    dc = np.zeros((n_samples, H), dtype=dtype)
    dh_t = np.empty((n_samples, H), dtype=dtype)
    dtc = np.empty((n_samples, H), dtype=dtype)
    da_buf = np.empty((4, n_samples, H), dtype=dtype)
    deriv = np.empty((4, n_samples, H), dtype=dtype)
    for t in range(n_steps - 1, -1, -1):
        n = n_active[t]
        a = gates[t, :, :n]
        i, f, o, g = a
        tc = tanh_cs[t, :n]
        da = da_buf[:, :n]
        da_i, da_f, da_o, da_g = da
        dht = np.add(doutputs[t, :n], dh[:n], out=dh_t[:n])
        # undo h = o * tanh(c)
        np.multiply(dht, tc, out=da_o)
        d = np.multiply(tc, tc, out=dtc[:n])
        np.subtract(1.0, d, out=d)
        d *= o
        d *= dht
        dc_t = dc[:n]
        dc_t += d
        # undo c = f * c_prev + i * g
        np.multiply(dc_t, g, out=da_i)
        np.multiply(dc_t, cs[t, :n], out=da_f)
        np.multiply(dc_t, i, out=da_g)
        dc_t *= f
        # undo the gate non-linearities: s (1 - s) for i, f, o, 1 - g**2 for g
        da *= _gate_derivatives(a, 3, deriv[:, :n])
        # undo h_{t-1} @ W_hh, from the gradient in the row layout of xproj
        np.copyto(dx_by_gate[t, :, :n], da)
        np.matmul(dxproj[t, :n], W_hh_T, out=dh[:n])
    dW_hh = hs[:-1].reshape(-1, H).T @ dxproj.reshape(-1, 4 * H)
    return dxproj, {"W_hh": dW_hh}


# --------------------------------------------------------------------------- gru


def gru_forward(
    xproj: np.ndarray, n_active: Sequence[int], params: Params, training: bool
) -> tuple[np.ndarray, Cache]:
    """Unroll the GRU over time (the formulation of cuDNN and PyTorch).

    With ``x = xproj_t`` and ``u = h_{t-1} @ W_hh``, each split into r, z, n::

        r = sigmoid(x_r + u_r)
        z = sigmoid(x_z + u_z)
        n = tanh(x_n + r * (u_n + b_hn))
        h_t = (1 - z) * n + z * h_{t-1}

    Each step computes ``u`` gate by gate into a (3, n_samples, hidden_size)
    scratch and writes the gate activations r, z, n over its own block of
    ``xproj``, in that layout (see :func:`_gate_major`).
    """
    n_steps, n_samples, width = xproj.shape
    H = width // 3
    dtype = xproj.dtype
    xproj = np.ascontiguousarray(xproj)
    x_by_gate, rzn = _by_gate(xproj, 3), _gate_major(xproj, 3)
    W_hh = _per_gate(params["W_hh"], 3)
    b_hn = params["b_hn"]
    hs = np.zeros((n_steps + 1, n_samples, H), dtype=dtype)
    uns = np.zeros((n_steps if training else 1, n_samples, H), dtype=dtype)
    buf_u = np.empty((3, n_samples, H), dtype=dtype)
    for t, n in enumerate(n_active):
        h_prev = hs[t, :n]
        u = np.matmul(h_prev, W_hh, out=buf_u[:, :n])
        x = x_by_gate[t, :, :n]
        u_n = np.add(u[2], b_hn, out=uns[t if training else 0, :n])
        # read x_n before the gates overwrite the step's block of xproj
        x_n = u[2]
        np.copyto(x_n, x[2])
        rz = u[:2]
        rz += x[:2]
        # sigmoid(x) = (1 + tanh(x / 2)) / 2
        rz *= 0.5
        gates = rzn[t, :, :n]
        r, z, cand = gates
        s = np.tanh(rz, out=gates[:2])
        s *= 0.5
        s += 0.5
        np.multiply(r, u_n, out=cand)
        cand += x_n
        np.tanh(cand, out=cand)
        h = hs[t + 1, :n]
        np.subtract(h_prev, cand, out=h)
        h *= z
        h += cand
    return hs[1:], {"hs": hs, "rzn": rzn, "uns": uns}


def gru_backward(
    doutputs: np.ndarray, cache: Cache, n_active: Sequence[int], params: Params
) -> tuple[np.ndarray, Params]:
    """Backpropagation through time for :func:`gru_forward` (see :class:`Cell`).

    Each step computes the gradients in ``x`` and ``u`` gate by gate, in
    contiguous (n, hidden_size) blocks, then copies them into the step's
    rows of ``dxproj`` and ``du`` and multiplies the latter by ``W_hh.T``.
    """
    hs, rzn, uns = cache["hs"], cache["rzn"], cache["uns"]
    n_steps, n_samples, H = doutputs.shape
    W_hh_T = _transposed(params["W_hh"])
    dtype = doutputs.dtype
    dxproj = np.zeros((n_steps, n_samples, 3 * H), dtype=dtype)
    du = np.zeros((n_steps, n_samples, 3 * H), dtype=dtype)
    dx_by_gate, du_by_gate = _by_gate(dxproj, 3), _by_gate(du, 3)
    dh = np.zeros((n_samples, H), dtype=dtype)
    dh_t = np.empty((n_samples, H), dtype=dtype)
    tmp = np.empty((n_samples, H), dtype=dtype)
    dx_buf = np.empty((3, n_samples, H), dtype=dtype)
    deriv = np.empty((3, n_samples, H), dtype=dtype)
    for t in range(n_steps - 1, -1, -1):
        n = n_active[t]
        gate = rzn[t, :, :n]
        r, z, cand = gate
        h_prev = hs[t, :n]
        dht = np.add(doutputs[t, :n], dh[:n], out=dh_t[:n])
        # derivatives of the gates: s (1 - s) for r and z, 1 - n**2 for n
        d = _gate_derivatives(gate, 2, deriv[:, :n])
        dx = dx_buf[:, :n]
        dar, daz, dan = dx
        # undo h = (1 - z) * n + z * h_prev in n, and n = tanh(x_n + r * u_n)
        np.subtract(1.0, z, out=dan)
        dan *= dht
        dan *= d[2]
        # undo r = sigmoid(x_r + u_r)
        np.multiply(dan, uns[t, :n], out=dar)
        dar *= d[0]
        # undo z = sigmoid(x_z + u_z)
        np.subtract(h_prev, cand, out=daz)
        daz *= dht
        daz *= d[1]
        np.copyto(dx_by_gate[t, :, :n], dx)
        # the gradient in u: that in x for r and z, r times it for n
        dan *= r
        np.copyto(du_by_gate[t, :, :n], dx)
        # undo u = h_prev @ W_hh, plus the direct path through z * h_prev
        np.matmul(du[t, :n], W_hh_T, out=dh[:n])
        dh[:n] += np.multiply(dht, z, out=tmp[:n])
    dW_hh = hs[:-1].reshape(-1, H).T @ du.reshape(-1, 3 * H)
    db_hn = du[:, :, 2 * H :].sum(axis=(0, 1))
    return dxproj, {"W_hh": dW_hh, "b_hn": db_hn}


# ------------------------------------------------------------------ registry


@dataclass(frozen=True)
class Param:
    """Declaration of one parameter of a cell.

    Parameters
    ----------
    shape : callable
        ``shape(input_size, hidden_size) -> tuple of int``: the parameter's
        shape in a layer whose inputs are ``input_size`` wide.
    init : callable
        ``init(rng, shape, dtype) -> ndarray``, the initialiser (see
        :func:`glorot_uniform`, :func:`orthogonal`, :func:`zeros`,
        :func:`per_gate`, :func:`gate_constants`).
    penalized : bool
        Whether the L2 penalty ``alpha`` applies to it: weight matrices yes,
        biases and per-unit gains usually not.
    """

    shape: Callable[[int, int], tuple[int, ...]]
    init: Initializer
    penalized: bool


@dataclass(frozen=True)
class Cell:
    """A recurrent cell: the parameters it declares, its forward and backward.

    A layer of the network owns one set of the cell's parameters per
    direction, named ``layer{l}.{fwd,bwd}.{name}``.  It projects the inputs
    of every time step at once, ``xproj = x @ W + b`` with ``W`` the
    parameter named by ``input_weight`` and ``b`` the one named by
    ``input_bias``, and hands ``xproj`` to the cell, which unrolls the
    recurrence over time.  Everything else about the cell is its own.

    Parameters
    ----------
    params : dict of str to Param
        Every parameter of the cell, in the order they are initialised.
        Names are identifiers without dots, unique within the cell.
    forward : callable
        ``forward(xproj, n_active, params, training) -> (outputs, cache)``:
        ``xproj`` of shape (n_steps, n_samples, width), ``width`` the last
        dimension of ``input_weight``, which the cell may overwrite;
        ``n_active[t]`` the number of sequences still running at step ``t``
        (sorted by decreasing length: step ``t`` updates the first
        ``n_active[t]`` rows only); ``params`` the cell's parameters but
        ``input_weight``, by their declared names; ``training`` whether
        backward will follow.  ``outputs`` of shape (n_steps, n_samples,
        hidden_size) holds ``h_1..h_T`` from ``h_0 = 0``, 0 at padded
        positions; ``cache`` is what backward needs.
    backward : callable
        ``backward(doutputs, cache, n_active, params) -> (dxproj, grads)``:
        ``doutputs``, the gradient in ``outputs``, nonzero at real positions
        only; ``dxproj``, the gradient in ``xproj``, 0 at padded positions;
        ``grads``, the gradients of every parameter but ``input_weight`` and
        ``input_bias``, which the layer takes from ``dxproj``: exactly those
        names, or the layer raises a ValueError.
    input_weight : str, default="W_xh"
        The parameter that projects the inputs: its shape is
        ``(input_size, width)``.  When the network reads one-hot token ids,
        the first layer gathers its rows instead, and it is initialised as a
        lookup table and not penalised.
    input_bias : str or None, default="b_h"
        The parameter of shape ``(width,)`` that the layer adds to the
        projection; None if the cell adds its biases itself.

    See Also
    --------
    register_cell : Make a cell available under an option string.

    Notes
    -----
    The built-in cells (``CELLS["rnn"]``, ``["lstm"]``, ``["gru"]``) show the
    conventions in ``skrnn/nn/_cells.py``: forward and backward side by side,
    the cache returned and never stored.  ``tests/test_nn_cells.py`` checks a
    cell's backward against central finite differences.
    """

    params: Mapping[str, Param]
    forward: Callable[..., tuple[np.ndarray, Cache]]
    backward: Callable[..., tuple[np.ndarray, Params]]
    input_weight: str = "W_xh"
    input_bias: str | None = "b_h"

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        for name, param in self.params.items():
            if not (isinstance(name, str) and name.isidentifier()):
                raise ValueError(
                    f"A cell's parameter names are identifiers without dots; "
                    f"got {name!r}."
                )
            if not isinstance(param, Param):
                raise TypeError(
                    f"The cell's parameter {name!r} is declared by a "
                    f"{type(param).__name__}; declare it with skrnn.nn.Param."
                )
        if not (callable(self.forward) and callable(self.backward)):
            raise TypeError("A cell's forward and backward must be callables.")
        projection = {"input_weight": self.input_weight}
        if self.input_bias is not None:
            projection["input_bias"] = self.input_bias
        for role, name in projection.items():
            if name not in self.params:
                raise ValueError(
                    f"The cell's {role} {name!r} is not one of its declared "
                    f"parameters {sorted(self.params)}."
                )
        self._check_shapes()

    def _check_shapes(self) -> None:
        """Shapes of positive ints; the projection ``(input_size, width)``."""
        shapes = self.shapes(7, 5)
        for name, shape in shapes.items():
            if not (
                isinstance(shape, tuple)
                and all(isinstance(n, int) and n >= 1 for n in shape)
            ):
                raise ValueError(
                    f"The shape of the cell's parameter {name!r} is {shape!r}, "
                    "not a tuple of positive ints."
                )
        weight = shapes[self.input_weight]
        if len(weight) != 2 or weight[0] != 7:
            raise ValueError(
                f"The cell's input_weight {self.input_weight!r} has the shape "
                f"{weight} for input_size=7: it must be (input_size, width)."
            )
        if self.input_bias is not None and shapes[self.input_bias] != weight[1:]:
            raise ValueError(
                f"The cell's input_bias {self.input_bias!r} has the shape "
                f"{shapes[self.input_bias]} for a projection {weight[1]} wide: "
                "it must be (width,)."
            )

    def shapes(self, input_size: int, hidden_size: int) -> dict[str, tuple[int, ...]]:
        """The shape of every parameter, for these widths.

        Parameters
        ----------
        input_size : int
            Width of the layer's inputs (the number of token ids for a
            first layer that reads one-hot vectors).
        hidden_size : int
            Width of the hidden state.

        Returns
        -------
        dict of str to tuple of int
            The shapes, by parameter name, in declaration order.
        """
        return {
            name: tuple(param.shape(input_size, hidden_size))
            for name, param in self.params.items()
        }

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of the parameters that forward and backward receive.

        All but ``input_weight``, in declaration order.
        """
        return tuple(name for name in self.params if name != self.input_weight)


def _gated(n_gates: int, bias: Initializer) -> dict[str, Param]:
    """``W_xh``, ``W_hh`` and ``b_h`` of a cell of ``n_gates`` blocks.

    Input weights are Glorot-uniform and recurrent weights orthogonal, one
    block per gate; ``bias`` initialises ``b_h``.
    """
    G = n_gates
    return {
        "W_xh": Param(lambda n_in, H: (n_in, G * H), per_gate(glorot_uniform, G), True),
        "W_hh": Param(lambda n_in, H: (H, G * H), per_gate(orthogonal, G), True),
        "b_h": Param(lambda n_in, H: (G * H,), bias, False),
    }


_BUILTIN: dict[str, Cell] = {
    # h_t = tanh(x_t @ W_xh + h_{t-1} @ W_hh + b_h)
    "rnn": Cell(_gated(1, zeros), rnn_forward, rnn_backward),
    # gates i, f, o, g; the forget-gate bias starts at 1 so that the cell
    # remembers by default (Jozefowicz et al., 2015)
    "lstm": Cell(_gated(4, gate_constants(0, 1, 0, 0)), lstm_forward, lstm_backward),
    # gates r, z, n; b_h is the input-side bias of all three blocks and b_hn
    # the hidden-side bias of the candidate, which the reset gate scales.  The
    # update-gate bias starts at 1, as the LSTM's forget bias, so that the
    # cell starts out carrying its state (z = 0.73) rather than half-forgetting
    # it at every step: long-range dependencies then train as with the LSTM.
    "gru": Cell(
        {
            **_gated(3, gate_constants(0, 1, 0)),
            "b_hn": Param(lambda n_in, H: (H,), zeros, False),
        },
        gru_forward,
        gru_backward,
    ),
}

_REGISTRY: Registry[Cell] = Registry(_BUILTIN, what="cell", namespace="skrnn.nn")

#: The names of the cells every process knows, without a registration.
BUILTIN_CELLS = _REGISTRY.builtin_names

CELLS: Mapping[str, Cell] = _REGISTRY.view
"""The registered cells by option string, read only: see :func:`register_cell`."""


def register_cell(name: str, cell: Cell) -> None:
    """Make a cell available as ``RNNTextClassifier(cell=name)``.

    The estimator, :func:`skrnn.save` and :func:`skrnn.load` read the
    registry, so a registered cell fits, predicts, saves and loads like a
    built-in one, but for two things: it predicts through its forward over
    whole batches, in memory in proportion to their tokens (the built-in
    cells run in chunks of time), and an ensemble's members train one after
    another whatever ``n_jobs``.  A process that loads a model of the cell
    must register it first.

    Parameters
    ----------
    name : str
        The option string.
    cell : Cell
        The cell's declarations and functions.

    Raises
    ------
    TypeError
        If ``name`` is not a string or ``cell`` not a :class:`Cell`.
    ValueError
        If a cell is already registered under ``name``.

    See Also
    --------
    unregister_cell : Remove it again.
    Cell : What a cell declares and the signatures of its functions.
    """
    if not isinstance(cell, Cell):
        raise TypeError(
            f"register_cell takes a skrnn.nn.Cell; got {type(cell).__name__}."
        )
    _REGISTRY.add(name, cell)


def unregister_cell(name: str) -> None:
    """Remove a cell added by :func:`register_cell`.

    Parameters
    ----------
    name : str
        The option string it was registered under.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is a built-in cell or no registered cell.
    """
    _REGISTRY.remove(name)


def get_cell(name: str) -> Cell:
    """The registered cell ``name``, or a ValueError that lists the others."""
    return _REGISTRY.get(name)
