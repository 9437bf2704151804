"""Prediction in memory that does not grow with the documents' length.

:func:`~skrnn.nn._recurrent.recurrent_forward` keeps the input projection and
the hidden states of every step of every layer, which training needs and
prediction does not: some 900 bytes per token with the default network.
:func:`stream_pooled` computes the same pooled vectors over chunks of at most
``chunk_positions`` padded positions (``n_steps * n_samples``), keeping
between chunks only each direction's state and the running pool (the last
state, a running sum or a running maximum):

* The first layer's input projection ``x @ W_xh + b_h`` is computed once per
  distinct token id of the batch, into a table of the projected rows with the
  sigmoid gates' inputs already halved (see
  :func:`~skrnn.nn._cells._half_sigmoid_columns`), gate by gate, and each
  step gathers its rows into a gate-major buffer of one step's size (see the
  cell steps below): the whole (n_steps, n_samples, n_gates * hidden_size)
  projection is never built.  Later layers project one chunk of their inputs
  at a time.
* The backward direction runs over the padded batch from its last step to its
  first.  Sequences are sorted by decreasing length, so at step ``t`` the
  first ``n_active[t]`` rows are running, each having joined at its own last
  token with a zero state: both directions stay aligned with the positions,
  and no sequence is reversed.
* Layer ``l + 1`` of a stacked bidirectional network reads, at every
  position, both directions of layer ``l``, which a pass over the chunks can
  only visit in one order.  So such a network runs a batch as groups of
  whole documents in one chunk each (:data:`STACKED_BIDIRECTIONAL_POSITIONS`)
  and cuts only longer documents into chunks: a pass of its own first saves
  the state of each direction of each lower layer at every chunk boundary (a
  checkpoint), from which any chunk of it is recomputed in either order.

Bounds, with ``P = chunk_positions`` (at least
:data:`STACKED_BIDIRECTIONAL_POSITIONS` for a stacked bidirectional network),
``L = num_layers``, ``G`` gates, ``H = hidden_size`` and ``D`` directions:
working memory O(L D P (G + 2) H) numbers, plus the projected table (at most
``G H`` numbers per id of the vocabulary and direction); besides, the token
ids themselves and, for a stacked bidirectional network on documents longer
than ``P``, its checkpoints: ``2 (L - 1) D`` states of ``n_samples * H`` per
chunk, some ``4 L H / P`` numbers per position.  Time: less than the full
forward pass's (the projection of distinct ids, and arrays that stay in
cache), but for a stacked bidirectional network cutting documents of more
than ``P / STACKED_BIDIRECTIONAL_MIN_GROUP`` (4,096) tokens into chunks,
which recomputes its lower layers: about ``L`` times the work.
"""

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ._cells import _half_sigmoid_columns
from ._recurrent import _project, directions

Params = dict[str, np.ndarray]
State = tuple[np.ndarray, np.ndarray | None]

#: Padded positions (``n_steps * n_samples``) per chunk of time: a few MB of
#: arrays (2 MB of states for the default GRU), which also run faster than
#: whole batches of ``2**15`` positions.
CHUNK_POSITIONS = 2**13

#: ... but a stacked bidirectional network recomputes its lower layers when a
#: batch has more than one chunk (about ``num_layers`` times the work): it runs
#: a batch as groups of whole documents of at most this many positions, each
#: in one chunk, ...
STACKED_BIDIRECTIONAL_POSITIONS = 2**15

#: ... unless the groups would hold fewer documents than this: steps over
#: fewer rows cost more than the recomputation (2-layer GRU, 10,000-token
#: documents: 32 at a time in chunks were 1.9 times faster than groups of 3).
STACKED_BIDIRECTIONAL_MIN_GROUP = 8

#: Number of gate blocks whose activation is a sigmoid, computed as
#: ``(1 + tanh(a / 2)) / 2``: their inputs are halved once, in the weights.
SIGMOID_GATES = {"rnn": 0, "lstm": 3, "gru": 2}


# ------------------------------------------------------------------ cell steps
#
# One step of each cell, giving the values of the cells' own forward loops
# (:mod:`skrnn.nn._cells`) to the last bit wherever the matrix products see
# the same operands, in fewer and contiguous passes.  Sigmoids are
# ``(1 + tanh(a / 2)) / 2`` there; here the steps keep ``1 + tanh(a / 2)``,
# twice the gate, and move the halving to where it is a contiguous pass or
# free: a product by a power of two is exact (short of subnormal numbers), so
# halved weights or a halved result give the same bits.  So the LSTM carries
# twice its state ``h`` (its ``W_hh``, the next layer's ``W_xh`` and the pool
# take the half back), and the GRU multiplies twice its reset gate by half of
# ``W_hn h + b_hn``.
#
# The gates are laid out gate-major, (n_gates, n_samples, hidden_size), so
# that every gate is one contiguous block: numpy runs a ufunc over a column
# block of a (n_samples, n_gates * hidden_size) array through its buffered
# iterator, 2-5 times slower than over contiguous memory, and each gate's
# product ``h W_hh[:, gate]`` is the same dot products as the whole one's.
# ``x`` holds the step's input projection (overwritten), sigmoid gates
# halved; ``W_hh`` is (n_gates, hidden_size, hidden_size); ``h_prev`` the
# previous states and ``h`` where the new ones go; ``c`` the LSTM's cell
# states, updated in place; ``buf`` a scratch of ``x``'s shape and ``tmp``
# one of the states'.


def _rnn_step(x, h_prev, h, c, d, buf, tmp):
    np.matmul(h_prev, d.W_hh[0], out=h)
    h += x[0]
    np.tanh(h, out=h)


def _lstm_step(x, h_prev, h, c, d, buf, tmp):
    x += np.matmul(h_prev, d.W_hh, out=buf)
    np.tanh(x, out=x)
    i, f, o, g = x
    x[:3] += 1.0  # twice the input, forget and output gates
    c *= f
    c += np.multiply(i, g, out=tmp)
    c *= 0.5
    np.tanh(c, out=h)
    h *= o  # twice the state


def _gru_step(x, h_prev, h, c, d, buf, tmp):
    u = np.matmul(h_prev, d.W_hh, out=buf)
    rz, cand = x[:2], x[2]
    rz += u[:2]
    np.tanh(rz, out=rz)
    rz += 1.0  # twice the reset and update gates
    u_n = u[2]
    u_n += d.b_hn  # half of W_hn h + b_hn
    cand += np.multiply(rz[0], u_n, out=tmp)
    np.tanh(cand, out=cand)
    np.subtract(h_prev, cand, out=h)
    h *= rz[1]
    h *= 0.5
    h += cand


STEPS: dict[str, Callable[..., None]] = {
    "rnn": _rnn_step,
    "lstm": _lstm_step,
    "gru": _gru_step,
}

#: What the steps carry in place of each cell's state ``h``: twice it for
#: the LSTM.
STATE_SCALE = {"rnn": 1.0, "lstm": 2.0, "gru": 1.0}


def _gate_major(W: np.ndarray, n_gates: int) -> np.ndarray:
    """(..., n_gates * H) columns as a contiguous (n_gates, ..., H) array."""
    H = W.shape[-1] // n_gates
    split = W.reshape(*W.shape[:-1], n_gates, H)
    return np.ascontiguousarray(np.moveaxis(split, -2, 0))


# ------------------------------------------------------------------ directions


@dataclass(frozen=True)
class _Direction:
    """One direction of one layer, its weights ready for :data:`STEPS`.

    ``table`` holds the first layer's projected table, gate-major (one row
    per distinct token id of the batch in each gate); later layers project
    with ``W_xh`` and ``b_h``.  ``W_hh`` is gate-major.  Its states come out
    multiplied by ``scale``.
    """

    step: Callable[..., None]
    n_sigmoid: int
    backward: bool
    W_hh: np.ndarray
    b_h: np.ndarray
    W_xh: np.ndarray
    b_hn: np.ndarray | None
    table: np.ndarray | None
    has_cell_state: bool
    scale: float

    @property
    def n_gates(self) -> int:
        return self.W_hh.shape[0]

    @property
    def hidden_size(self) -> int:
        return self.W_hh.shape[2]


def _prepare(
    params: Params,
    layer: int,
    direction: str,
    cell: str,
    rows,
    one_hot: bool,
    input_scale: float,
) -> _Direction:
    """One direction's weights as the steps use them (and its projected table).

    ``input_scale`` is what the layer's inputs are multiplied by (the lower
    layer's :data:`STATE_SCALE`); ``W_xh`` takes it back.
    """
    name = f"layer{layer}.{direction}."
    H = params[name + "W_hh"].shape[0]
    n_gates = params[name + "W_hh"].shape[1] // H
    n_sigmoid = SIGMOID_GATES[cell] * H
    W_xh, b_h = params[name + "W_xh"], params[name + "b_h"]
    scale = STATE_SCALE[cell]
    W_hh = _half_sigmoid_columns(params[name + "W_hh"], n_sigmoid)
    if scale != 1.0:
        W_hh *= W_hh.dtype.type(1.0 / scale)
    b_hn = params.get(name + "b_hn")
    if cell == "gru":
        W_hh[:, 2 * H :] *= 0.5
        b_hn = b_hn * b_hn.dtype.type(0.5)
    if input_scale != 1.0:
        W_xh = W_xh * W_xh.dtype.type(1.0 / input_scale)
    table = None
    if layer == 0:
        # As recurrent_forward computes it (the product or gather, then the
        # bias, then the halving), each distinct row once, gate by gate: the
        # halving folded into the weights and the bias gives the same bits.
        # A one-hot layer's rows are gathered first: halving the whole
        # (n_vocab, gates) matrix took two copies of it at every call.
        source = W_xh[rows] if one_hot else W_xh
        halved = _gate_major(_half_sigmoid_columns(source, n_sigmoid), n_gates)
        bias = _gate_major(_half_sigmoid_columns(b_h, n_sigmoid), n_gates)
        table = halved if one_hot else np.matmul(rows, halved)
        table += bias[:, None]
    return _Direction(
        step=STEPS[cell],
        n_sigmoid=n_sigmoid,
        backward=direction == "bwd",
        W_hh=_gate_major(W_hh, n_gates),
        b_h=b_h,
        W_xh=W_xh,
        b_hn=b_hn,
        table=table,
        has_cell_state=cell == "lstm",
        scale=scale,
    )


def _zero_state(d: _Direction, n_samples: int, dtype: np.dtype) -> State:
    H = d.hidden_size
    h = np.zeros((n_samples, H), dtype)
    return h, (np.zeros((n_samples, H), dtype) if d.has_cell_state else None)


def _run_chunk(
    d: _Direction, inputs: np.ndarray, state: State, n_active: list[int]
) -> tuple[np.ndarray, State]:
    """Run one direction over a chunk of steps.

    Parameters
    ----------
    d : _Direction
        The direction and its weights.
    inputs : ndarray
        For the first layer, rows of ``d.table`` of shape (n_steps, n_samples);
        else the layer's inputs, of shape (n_steps, n_samples, width).
    state : tuple of ndarray
        The states before the chunk, in the direction's order: ``h`` (times
        ``d.scale``) and the LSTM's ``c`` (else None), of shape (n_samples,
        hidden_size).  Not modified.
    n_active : list of int
        Number of sequences running at each step of the chunk.

    Returns
    -------
    outputs : ndarray of shape (n_steps, n_samples, hidden_size)
        The states at each step of the chunk times ``d.scale``, 0 at padded
        positions.
    state : tuple of ndarray
        The states after the chunk, in the direction's order.
    """
    h0, c = state
    n_steps, n_samples = inputs.shape[:2]
    G, H = d.n_gates, d.hidden_size
    # Each step's gates in the first G * n * H numbers of flat buffers, as a
    # contiguous (G, n, H) array whatever the number n of rows running.
    flat_x = np.empty(G * n_samples * H, h0.dtype)
    flat_buf = np.empty_like(flat_x)
    flat_tmp = np.empty_like(h0)

    @functools.cache
    def buffers(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The step's ``x``, ``buf`` and ``tmp`` for ``n`` rows (made once)."""
        size = G * n * H
        return (
            flat_x[:size].reshape(G, n, H),
            flat_buf[:size].reshape(G, n, H),
            flat_tmp[:n],
        )

    if d.table is not None:

        def xproj(k: int, x: np.ndarray) -> np.ndarray:
            ids = inputs[k, : x.shape[1]]
            return np.take(d.table, ids, axis=1, out=x, mode="clip")

    else:
        projected = _project(inputs, d.W_xh)
        projected += d.b_h
        projected[..., : d.n_sigmoid] *= 0.5

        def xproj(k: int, x: np.ndarray) -> np.ndarray:
            n = x.shape[1]
            if G == 1:  # contiguous already
                return projected[k, :n][None]
            np.copyto(x, np.moveaxis(projected[k, :n].reshape(n, G, H), 1, 0))
            return x

    # hs[k] holds the states before step k (forward) or after it (backward):
    # the carried state sits at one end, and padding stays 0.
    hs = np.zeros((n_steps + 1, n_samples, h0.shape[1]), h0.dtype)
    c = None if c is None else c.copy()
    if d.backward:
        hs[n_steps] = h0
        for k in range(n_steps - 1, -1, -1):
            n = n_active[k]
            x, buf, tmp = buffers(n)
            cn = None if c is None else c[:n]
            d.step(xproj(k, x), hs[k + 1, :n], hs[k, :n], cn, d, buf, tmp)
        return hs[:n_steps], (hs[0].copy(), c)
    hs[0] = h0
    for k in range(n_steps):
        n = n_active[k]
        x, buf, tmp = buffers(n)
        cn = None if c is None else c[:n]
        d.step(xproj(k, x), hs[k, :n], hs[k + 1, :n], cn, d, buf, tmp)
    return hs[1:], (hs[n_steps].copy(), c)


# --------------------------------------------------------------------- pooling


def _pool_start(pooling: str, n_samples: int, hidden: int, dtype) -> np.ndarray:
    fill = -np.inf if pooling == "max" else 0.0
    return np.full((n_samples, hidden), fill, dtype)


def _pool_chunk(
    pooled: np.ndarray,
    outputs: np.ndarray,
    t0: int,
    lengths: np.ndarray,
    pooling: str,
    backward: bool,
) -> None:
    """Fold one direction's outputs at steps ``t0..`` into the running pool."""
    t1 = t0 + len(outputs)
    if pooling == "mean":
        pooled += outputs.sum(axis=0)
    elif pooling == "max":
        # Lengths decrease: the sequences still running are the first rows,
        # folded in step by step rather than through a masked copy of all.
        ended = np.searchsorted(lengths[::-1], np.arange(t0, t1), "right")
        for k, n in enumerate((len(lengths) - ended).tolist()):
            np.maximum(pooled[:n], outputs[k, :n], out=pooled[:n])
    else:
        # The state that has read the whole sequence: the forward direction's
        # at the last token, the backward direction's at the first.
        end = np.zeros_like(lengths) if backward else lengths - 1
        rows = np.flatnonzero((lengths > 0) & (t0 <= end) & (end < t1))
        pooled[rows] = outputs[end[rows] - t0, rows]


def _pool_finish(pooled: np.ndarray, lengths: np.ndarray, pooling: str) -> np.ndarray:
    if pooling == "mean":
        return pooled / np.maximum(lengths, 1).astype(pooled.dtype)[:, None]
    if pooling == "max":
        pooled[lengths == 0] = 0.0
    return pooled


# ---------------------------------------------------------------------- passes


@dataclass
class _Batch:
    """A batch cut into chunks, with the layers ready to run over them."""

    ids: np.ndarray
    lengths: np.ndarray
    remap: np.ndarray
    chunks: list[tuple[int, int]]
    layers: list[list[_Direction]]
    dtype: np.dtype
    #: ``checkpoints[layer, j][k]``: the state of direction ``j`` of
    #: ``layer`` before chunk ``k``, in the direction's order.
    checkpoints: dict[tuple[int, int], list[State]] = field(default_factory=dict)

    def visit(self, descending: bool) -> list[tuple[int, tuple[int, int]]]:
        """The chunks, numbered, in increasing or decreasing order of time."""
        numbered = list(enumerate(self.chunks))
        return numbered[::-1] if descending else numbered

    def active(self, t0: int, t1: int) -> list[int]:
        """Number of sequences running at each of the steps ``t0 .. t1 - 1``."""
        n_samples = len(self.lengths)
        ended = np.searchsorted(self.lengths[::-1], np.arange(t0, t1), "right")
        return (n_samples - ended).tolist()

    def inputs(self, layer: int, descending: bool) -> Iterator[np.ndarray]:
        """The inputs of ``layer`` on each chunk, in the order asked for."""
        if layer == 0:
            return (
                self.remap[self.ids[t0:t1]] for _, (t0, t1) in self.visit(descending)
            )
        return self.sweep(layer - 1, descending)

    def sweep(self, layer: int, descending: bool) -> Iterator[np.ndarray]:
        """Both directions of ``layer`` side by side on each chunk, in order.

        A direction that runs the way of the sweep carries its state from
        chunk to chunk; the other starts each chunk from its checkpoint.
        """
        dirs = self.layers[layer]
        states = [_zero_state(d, self.ids.shape[1], self.dtype) for d in dirs]
        for (k, (t0, t1)), x in zip(
            self.visit(descending), self.inputs(layer, descending), strict=True
        ):
            n_active = self.active(t0, t1)
            outs = []
            for j, d in enumerate(dirs):
                if d.backward == descending:
                    out, states[j] = _run_chunk(d, x, states[j], n_active)
                else:
                    start = self.checkpoints[layer, j][k]
                    out, _ = _run_chunk(d, x, start, n_active)
                outs.append(out)
            yield outs[0] if len(outs) == 1 else np.concatenate(outs, axis=2)

    def run_alone(
        self, layer: int, j: int
    ) -> Iterator[tuple[int, int, np.ndarray, State]]:
        """Direction ``j`` of ``layer`` over the chunks in its own order.

        Yields the chunk's number, first step, outputs, and the state before it.
        """
        d = self.layers[layer][j]
        state = _zero_state(d, self.ids.shape[1], self.dtype)
        for (k, (t0, t1)), x in zip(
            self.visit(d.backward), self.inputs(layer, d.backward), strict=True
        ):
            before = state
            out, state = _run_chunk(d, x, state, self.active(t0, t1))
            yield k, t0, out, before


@dataclass(frozen=True)
class PreparedNetwork:
    """Every direction's weights ready for :data:`STEPS`, for a set of ids.

    ``remap[i]`` is the row of token id ``i`` in the first layer's projected
    tables (0 for an id left out).  Read only: batches on several threads
    share one.
    """

    remap: np.ndarray
    layers: list[list[_Direction]]


def prepare_network(
    params: Params,
    id_arrays: Iterable[np.ndarray],
    *,
    cell: str,
    num_layers: int,
    bidirectional: bool,
    one_hot: bool,
) -> PreparedNetwork:
    """Project the first layer's table for the ids of ``id_arrays``, once.

    Parameters
    ----------
    params : dict of ndarray
        The network's parameters (read only).
    id_arrays : iterable of ndarray of int
        Token ids (any shapes): the table covers every id found in them.
    cell, num_layers, bidirectional, one_hot
        As for :func:`stream_pooled`.

    Returns
    -------
    PreparedNetwork
        For :func:`stream_pooled` on batches of those ids.
    """
    table = params["layer0.fwd.W_xh"] if one_hot else params["embed.E"]
    # The distinct ids, in increasing order (as np.unique gives them, so that
    # the first layer's product has the operands of recurrent_forward's), and
    # each id's row among them.
    present = np.zeros(len(table), dtype=bool)
    for ids in id_arrays:
        present[ids] = True
    distinct = np.flatnonzero(present)
    remap = np.zeros(len(table), dtype=np.intp)
    remap[distinct] = np.arange(len(distinct))
    rows = distinct if one_hot else table[distinct]
    layers = [
        [
            _prepare(
                params,
                layer,
                direction,
                cell,
                rows,
                one_hot and layer == 0,
                input_scale=1.0 if layer == 0 else STATE_SCALE[cell],
            )
            for direction in directions(bidirectional)
        ]
        for layer in range(num_layers)
    ]
    return PreparedNetwork(remap=remap, layers=layers)


def prepared_rows(prepared: PreparedNetwork, ids: np.ndarray) -> PreparedNetwork:
    """``prepared`` for the distinct ``ids`` only: its first layer's table cut to them.

    The rows of ``prepared``'s table for ``ids`` (distinct, in increasing
    order), in a table of their own: what :func:`prepare_network` gives for
    ids that hold those (the rows of one product are the same bits whichever
    other rows it has, but for a single row), gathered rather than projected,
    and a smaller table for the steps to gather from.
    """
    remap = np.zeros_like(prepared.remap)
    remap[ids] = np.arange(len(ids))
    rows = prepared.remap[ids]
    first, *others = prepared.layers
    cut = [dataclasses.replace(d, table=np.take(d.table, rows, axis=1)) for d in first]
    return PreparedNetwork(remap=remap, layers=[cut, *others])


def stream_pooled(
    params: Params,
    ids: np.ndarray,
    lengths: np.ndarray,
    *,
    cell: str,
    num_layers: int,
    bidirectional: bool,
    one_hot: bool,
    pooling: str,
    chunk_positions: int = CHUNK_POSITIONS,
    prepared: PreparedNetwork | None = None,
) -> np.ndarray:
    """The pooled vectors of a batch, in memory bounded by ``chunk_positions``.

    Equal, to rounding, to ``pool_forward(recurrent_forward(...))`` without
    dropout (the module docstring says how, and what it costs).

    Parameters
    ----------
    params : dict of ndarray
        The network's parameters (read only); ``embed.E`` unless ``one_hot``.
    ids : ndarray of int of shape (n_steps, n_samples)
        Padded, time-major token ids.
    lengths : ndarray of shape (n_samples,)
        Sequence lengths in decreasing order.
    cell, num_layers, bidirectional, one_hot
        As for :func:`~skrnn.nn._recurrent.recurrent_forward`.
    pooling : {"last", "mean", "max"}
        As for :func:`~skrnn.nn._recurrent.pool_forward`.
    chunk_positions : int
        Padded positions per chunk; a chunk has at least one step.
    prepared : PreparedNetwork, optional
        The weights made ready by :func:`prepare_network` for ids that include
        the batch's (for many batches of the same documents); by default,
        made for the batch's own ids.

    Returns
    -------
    ndarray of shape (n_samples, n_directions * hidden_size)
        The pooled vector of each sequence.
    """
    n_steps, n_samples = ids.shape
    stacked = bidirectional and num_layers > 1
    limit = max(chunk_positions, STACKED_BIDIRECTIONAL_POSITIONS)
    group_size = limit // max(1, n_steps)
    positions = n_steps * n_samples
    if stacked and positions > limit and group_size >= STACKED_BIDIRECTIONAL_MIN_GROUP:
        # Groups of whole documents, longest first, each run in one chunk.
        kwargs = {
            "cell": cell,
            "num_layers": num_layers,
            "bidirectional": bidirectional,
            "one_hot": one_hot,
            "pooling": pooling,
            "chunk_positions": chunk_positions,
            "prepared": prepared,
        }
        pooled, start = [], 0
        while start < n_samples:
            longest = int(lengths[start])
            stop = min(n_samples, start + max(1, limit // max(1, longest)))
            group = ids[:longest, start:stop]
            pooled.append(stream_pooled(params, group, lengths[start:stop], **kwargs))
            start = stop
        return np.concatenate(pooled)
    if prepared is None:
        prepared = prepare_network(
            params,
            [ids],
            cell=cell,
            num_layers=num_layers,
            bidirectional=bidirectional,
            one_hot=one_hot,
        )
    layers = prepared.layers
    dtype = params["head.b_y"].dtype
    step = max(1, chunk_positions // max(1, n_samples))
    if stacked and positions <= limit:
        step = max(1, n_steps)
    batch = _Batch(
        ids=ids,
        lengths=lengths,
        remap=prepared.remap,
        chunks=[(t0, min(t0 + step, n_steps)) for t0 in range(0, n_steps, step)],
        layers=layers,
        dtype=dtype,
    )
    top = layers[-1]
    hidden = top[0].hidden_size
    pools = [_pool_start(pooling, n_samples, hidden, dtype) for _ in top]
    if len(batch.chunks) <= 1 or not bidirectional:
        # One pass through all the layers: every direction either runs the
        # way of the pass or, in a single chunk, starts from zero.
        for layer, dirs in enumerate(layers):
            for j, d in enumerate(dirs):
                batch.checkpoints[layer, j] = [_zero_state(d, n_samples, dtype)]
        for (_, (t0, _)), out in zip(
            batch.visit(False), batch.sweep(num_layers - 1, False), strict=True
        ):
            for j, d in enumerate(top):
                half = out[:, :, j * hidden : (j + 1) * hidden]
                _pool_chunk(pools[j], half, t0, lengths, pooling, d.backward)
    else:
        for layer in range(num_layers - 1):
            for j in range(len(layers[layer])):
                saved = [None] * len(batch.chunks)
                for k, _, _, before in batch.run_alone(layer, j):
                    saved[k] = before
                batch.checkpoints[layer, j] = saved
        for j, d in enumerate(top):
            for _, t0, out, _ in batch.run_alone(num_layers - 1, j):
                _pool_chunk(pools[j], out, t0, lengths, pooling, d.backward)
    # The pools of what the steps carry: the states times the top's scale.
    pooled = [
        _pool_finish(p, lengths, pooling) * p.dtype.type(1.0 / d.scale)
        for p, d in zip(pools, top, strict=True)
    ]
    return pooled[0] if len(pooled) == 1 else np.concatenate(pooled, axis=1)
