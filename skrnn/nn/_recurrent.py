"""Unrolling cells over padded batches: directions, stacked layers, pooling.

A batch is a time-major integer array ``ids`` of shape (n_steps, n_samples)
with the lengths of its sequences in decreasing order (see
:mod:`skrnn._batching`).  Every layer computes the input projection of all its
time steps in one product and hands it to the cell; the backward direction of a
bidirectional layer reads each sequence from its own last real token to its
first, never from the padding.
"""

import numpy as np

from ._cells import Cell, Params, get_cell
from ._embedding import DistinctRows, embedding_backward
from ._functional import dropout_mask

POOLINGS = ("last", "mean", "max")


def active_counts(lengths: np.ndarray, n_steps: int) -> np.ndarray:
    """Number of sequences still running at each step.

    Parameters
    ----------
    lengths : ndarray of shape (n_samples,)
        Sequence lengths, in decreasing order.
    n_steps : int
        Number of time steps of the padded batch.

    Returns
    -------
    ndarray of shape (n_steps,)
        ``n_active[t] = #{b : lengths[b] > t}``.
    """
    return len(lengths) - np.searchsorted(lengths[::-1], np.arange(n_steps), "right")


def reverse_index(lengths: np.ndarray, n_steps: int) -> np.ndarray:
    """Time index that reverses each sequence within its own length.

    Parameters
    ----------
    lengths : ndarray of shape (n_samples,)
        Sequence lengths.
    n_steps : int
        Number of time steps of the padded batch.

    Returns
    -------
    ndarray of shape (n_steps, n_samples)
        ``rev[t, b] = lengths[b] - 1 - t`` where ``t < lengths[b]``, else
        ``t``.  ``x[rev, arange(n_samples)]`` reverses every sequence and
        leaves padding in place; applied twice it is the identity.
    """
    t = np.arange(n_steps)[:, None]
    return np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)


def _reverse(x: np.ndarray, rev: np.ndarray) -> np.ndarray:
    return x[rev, np.arange(rev.shape[1])]


def _project(x: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``x @ W`` for a (n_steps, n_samples, width) ``x``, as one 2-D product."""
    n_steps, n_samples, width = x.shape
    return (x.reshape(-1, width) @ W).reshape(n_steps, n_samples, W.shape[1])


def _add_bias(x: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """``x + bias`` in place (``x`` is a new array), or ``x`` if no bias."""
    if bias is not None:
        x += bias
    return x


def directions(bidirectional: bool) -> tuple[str, ...]:
    """Names of the directions of a layer: ``("fwd",)`` or ``("fwd", "bwd")``."""
    return ("fwd", "bwd") if bidirectional else ("fwd",)


def recurrent_forward(
    params: Params,
    inputs: np.ndarray,
    lengths: np.ndarray,
    *,
    cell: str,
    num_layers: int,
    bidirectional: bool,
    dropout: float,
    one_hot: bool,
    rng: np.random.Generator | None = None,
    training: bool = False,
) -> tuple[np.ndarray, dict]:
    """Run the stacked, possibly bidirectional, recurrent layers.

    Parameters
    ----------
    params : dict of ndarray
        Parameters named ``layer{l}.{direction}.{name}``, ``name`` those the
        cell declares.
    inputs : ndarray or DistinctRows
        Token ids of shape (n_steps, n_samples) when ``one_hot`` (the first
        layer's input weight has one row per token id and is gathered, never
        multiplied by one-hot vectors), else embedded inputs of shape
        (n_steps, n_samples, embedding_dim), dense or as the
        :class:`~skrnn.nn._embedding.DistinctRows` they read, whose input
        projection is computed once per distinct row.
    lengths : ndarray of shape (n_samples,)
        Sequence lengths in decreasing order.
    cell : str
        The recurrent cell, a key of :data:`~skrnn.nn.CELLS`.
    num_layers : int
        Number of stacked layers.
    bidirectional : bool
        Whether each layer also reads the sequences backwards.
    dropout : float
        Dropout rate on the inputs of layers after the first.
    one_hot : bool
        Whether ``inputs`` are token ids.
    rng : numpy.random.Generator, optional
        Source of the dropout masks; None disables dropout.
    training : bool
        Whether to keep what :func:`recurrent_backward` needs.

    Returns
    -------
    outputs : ndarray of shape (n_steps, n_samples, n_directions * hidden_size)
        Hidden states of the last layer, both directions aligned with the
        input positions; 0 at padded positions.
    cache : dict
        What :func:`recurrent_backward` needs (empty unless ``training``).
    """
    n_steps = inputs.shape[0]
    n_active = active_counts(lengths, n_steps).tolist()
    rev = reverse_index(lengths, n_steps) if bidirectional else None
    spec = get_cell(cell)
    x = inputs
    layer_caches = []
    for layer in range(num_layers):
        mask = None
        if layer > 0:
            mask = dropout_mask(rng, x.shape, dropout, x.dtype)
            if mask is not None:
                x = x * mask
        outs, dir_caches = [], []
        for direction in directions(bidirectional):
            name = f"layer{layer}.{direction}."
            p = {key: params[name + key] for key in spec.param_names}
            W_xh = params[name + spec.input_weight]
            bias = None if spec.input_bias is None else p[spec.input_bias]
            if one_hot and layer == 0:
                xproj = _add_bias(W_xh[x], bias)
            elif isinstance(x, DistinctRows):
                # the bias added once per distinct row: the same sums
                xproj = _add_bias(x.table @ W_xh, bias)[x.index]
            else:
                xproj = _add_bias(_project(x, W_xh), bias)
            if direction == "bwd":
                xproj = _reverse(xproj, rev)
            out, cache = spec.forward(xproj, n_active, p, training)
            if direction == "bwd":
                out = _reverse(out, rev)
            outs.append(out)
            dir_caches.append(cache)
        layer_caches.append({"x": x, "mask": mask, "dirs": dir_caches})
        x = outs[0] if len(outs) == 1 else np.concatenate(outs, axis=2)
    cache = {}
    if training:
        cache = {"layers": layer_caches, "n_active": n_active, "rev": rev}
    return x, cache


def _check_cell_grads(name: str, spec: Cell, grads: Params) -> None:
    """Refuse a cell's gradients unless there is one for each parameter it owns.

    Without this, a gradient the cell's backward forgets would leave its
    parameter untrained, silently, and a misnamed one would fail in the
    optimizer, far from the cell.
    """
    expected = set(spec.param_names) - {spec.input_bias}
    if grads.keys() != expected:
        raise ValueError(
            f"The backward of cell {name!r} returned the gradients of "
            f"{sorted(grads)}; it must return one for each of {sorted(expected)}: "
            "every parameter but its input_weight and input_bias, by its "
            "declared name."
        )


def recurrent_backward(
    doutputs: np.ndarray,
    cache: dict,
    params: Params,
    *,
    cell: str,
    num_layers: int,
    bidirectional: bool,
    one_hot: bool,
    n_vocab: int,
    per_position: bool = True,
) -> tuple[Params, np.ndarray | None]:
    """Gradients of :func:`recurrent_forward`.

    Parameters
    ----------
    doutputs : ndarray of shape (n_steps, n_samples, n_directions * hidden_size)
        Gradient of the loss in the outputs.
    cache : dict
        The cache returned by :func:`recurrent_forward` with ``training=True``.
    params : dict of ndarray
        The parameters used in the forward pass.
    cell, num_layers, bidirectional, one_hot
        As given to :func:`recurrent_forward`.
    n_vocab : int
        Number of token ids (rows of the first ``W_xh`` when ``one_hot``).
    per_position : bool, default=True
        For inputs given as :class:`~skrnn.nn._embedding.DistinctRows`,
        whether to return the gradient in the embedded input of every
        position; if False, the gradient in their ``table`` of distinct
        rows, which is all an embedding's gradient needs: the first layer's
        input projection is then differentiated once per distinct row, its
        positions' gradients summed first.

    Returns
    -------
    grads : dict of ndarray
        Gradients of every recurrent parameter; a one-hot first layer's
        input weight as a :class:`~skrnn.nn.RowGrad`.
    dinputs : ndarray or None
        Gradient in the embedded inputs, of their shape; of shape
        (n_distinct, embedding_dim), in the distinct rows, for
        :class:`~skrnn.nn._embedding.DistinctRows` inputs unless
        ``per_position``; None when ``one_hot``.
    """
    spec = get_cell(cell)
    n_active, rev = cache["n_active"], cache["rev"]
    grads: Params = {}
    dx_out = doutputs
    for layer in range(num_layers - 1, -1, -1):
        lc = cache["layers"][layer]
        x = lc["x"]
        if isinstance(x, DistinctRows) and per_position:
            x = x.toarray()
        hidden = dx_out.shape[2] // (2 if bidirectional else 1)
        dx = None
        for k, direction in enumerate(directions(bidirectional)):
            name = f"layer{layer}.{direction}."
            p = {key: params[name + key] for key in spec.param_names}
            dout = dx_out[:, :, k * hidden : (k + 1) * hidden]
            if direction == "bwd":
                dout = _reverse(dout, rev)
            dxproj, cell_grads = spec.backward(
                np.ascontiguousarray(dout), lc["dirs"][k], n_active, p
            )
            _check_cell_grads(cell, spec, cell_grads)
            if direction == "bwd":
                dxproj = _reverse(dxproj, rev)
            for key, g in cell_grads.items():
                grads[name + key] = g
            # undo xproj = x @ W_xh + b_h (or the row gather of W_xh)
            W_xh = params[name + spec.input_weight]
            if isinstance(x, DistinctRows):
                # each distinct row was projected once: sum its positions
                rows, flat = x.sum_by_row(dxproj)
                inputs = x.table[rows]
            else:
                flat = dxproj.reshape(-1, dxproj.shape[2])
                inputs = None if one_hot and layer == 0 else x.reshape(-1, x.shape[2])
            if spec.input_bias is not None:
                grads[name + spec.input_bias] = np.add.reduce(flat, axis=0)
            if inputs is None:
                grads[name + spec.input_weight] = embedding_backward(dxproj, x, n_vocab)
            else:
                grads[name + spec.input_weight] = inputs.T @ flat
                d = flat @ W_xh.T
                dx = d if dx is None else dx + d
        if isinstance(x, DistinctRows):
            # back to the order of the distinct rows (the same for both
            # directions: it depends on the index alone)
            dx_rows, dx = dx, np.empty_like(dx)
            dx[rows] = dx_rows
        elif dx is not None:
            dx = dx.reshape(x.shape)
            if lc["mask"] is not None:
                dx *= lc["mask"]
        dx_out = dx
    return grads, dx_out


def pool_forward(
    outputs: np.ndarray, lengths: np.ndarray, pooling: str, bidirectional: bool
) -> tuple[np.ndarray, dict]:
    """Turn the sequence of hidden states into one vector per sequence.

    Parameters
    ----------
    outputs : ndarray of shape (n_steps, n_samples, width)
        Hidden states, exactly 0 at padded positions.
    lengths : ndarray of shape (n_samples,)
        Sequence lengths.
    pooling : {"last", "mean", "max"}
        ``"last"``: the state after the last real token (the seed's ``h_n``);
        for a bidirectional layer, the forward half at the last token and the
        backward half at the first, each having read the whole sequence.
        ``"mean"``, ``"max"``: over the real positions only.
    bidirectional : bool
        Whether ``outputs`` holds two directions side by side.

    Returns
    -------
    pooled : ndarray of shape (n_samples, width)
        One vector per sequence.  An empty sequence pools to 0: it only has
        padded positions, whose states are 0.
    cache : dict
        What :func:`pool_backward` needs.
    """
    n_steps, n_samples, width = outputs.shape
    if n_steps == 0:
        return np.zeros((n_samples, width), dtype=outputs.dtype), {}
    if pooling == "last":
        last = np.maximum(lengths - 1, 0)
        pooled = outputs[last, np.arange(n_samples)]
        if bidirectional:
            pooled[:, width // 2 :] = outputs[0, :, width // 2 :]
        return pooled, {"last": last}
    if pooling == "mean":
        denom = np.maximum(lengths, 1).astype(outputs.dtype)[:, None]
        return outputs.sum(axis=0) / denom, {"denom": denom}
    # padding never wins: its states, 0, are replaced by -inf
    candidates = outputs.copy()
    candidates[np.arange(n_steps)[:, None] >= lengths] = -np.inf
    pooled, argmax = _max_over_time(candidates)
    if not lengths.all():
        # an empty sequence pools its padding, 0
        pooled[lengths == 0] = 0.0
    return pooled, {"argmax": argmax}


def _max_over_time(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x.max(axis=0)`` and ``x.argmax(axis=0)`` of a (n_steps, n_samples, width) x.

    numpy's argmax along a leading axis copies the array transposed and scans
    each short column, 8-20x slower; here three reductions along the axis
    find the first step that holds each column's maximum: the same indices.
    A column with a NaN (a diverged fit) goes to numpy's argmax, which
    returns the first NaN.
    """
    n_steps = len(x)
    best = np.maximum.reduce(x, axis=0)
    # n_steps - t at each step, so that the largest among the hits is the first
    countdown = np.arange(n_steps, 0, -1, dtype=np.min_scalar_type(n_steps))
    hits = np.multiply(x == best, countdown[:, None, None])
    first = n_steps - np.maximum.reduce(hits, axis=0).astype(np.intp)
    if (first == n_steps).any():
        return best, x.argmax(axis=0)
    return best, first


def running_pool(outputs: np.ndarray, pooling: str) -> np.ndarray:
    """Pool every prefix of one direction's hidden states at once.

    Parameters
    ----------
    outputs : ndarray of shape (n_steps, n_samples, hidden_size)
        Hidden states of a unidirectional network.
    pooling : {"last", "mean", "max"}
        As for :func:`pool_forward`.

    Returns
    -------
    ndarray of shape (n_steps, n_samples, hidden_size)
        Row ``t`` is what :func:`pool_forward` gives on the states
        ``h_1..h_{t+1}``: the states themselves for ``"last"``, their running
        mean or running element-wise maximum.  Rows past a sequence's length
        pool padding and mean nothing.
    """
    if pooling == "mean":
        steps = np.arange(1, len(outputs) + 1, dtype=outputs.dtype)
        return np.cumsum(outputs, axis=0) / steps[:, None, None]
    if pooling == "max":
        return np.maximum.accumulate(outputs, axis=0)
    return outputs


def pool_backward(
    dpooled: np.ndarray, cache: dict, n_steps: int, pooling: str, bidirectional: bool
) -> np.ndarray:
    """Gradient of :func:`pool_forward` in the hidden states.

    Parameters
    ----------
    dpooled : ndarray of shape (n_samples, width)
        Gradient in the pooled vectors.
    cache : dict
        Returned by :func:`pool_forward`.
    n_steps : int
        Number of time steps of the batch.
    pooling, bidirectional
        As given to :func:`pool_forward`.

    Returns
    -------
    ndarray of shape (n_steps, n_samples, width)
        Gradient in the hidden states.  Entries at padded positions may be
        nonzero (an empty sequence's "last" state is its padding); the cells
        never read them.
    """
    n_samples, width = dpooled.shape
    doutputs = np.zeros((n_steps, n_samples, width), dtype=dpooled.dtype)
    if n_steps == 0:
        return doutputs
    if pooling == "last":
        cols = np.arange(n_samples)
        if bidirectional:
            half = width // 2
            doutputs[cache["last"], cols, :half] = dpooled[:, :half]
            doutputs[0, :, half:] += dpooled[:, half:]
        else:
            doutputs[cache["last"], cols] = dpooled
    elif pooling == "mean":
        doutputs[:] = dpooled / cache["denom"]
    else:
        # each unit's gradient goes to the step that held its maximum, by
        # flat index: quicker than put_along_axis on these small arrays
        units = np.arange(n_samples * width).reshape(n_samples, width)
        doutputs.reshape(-1)[cache["argmax"] * (n_samples * width) + units] = dpooled
    return doutputs
