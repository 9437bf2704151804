"""Embedding lookup: a row gather forward, a scatter-add of rows backward."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def embedding_forward(table: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Gather the rows of ``table`` named by ``ids``.

    Parameters
    ----------
    table : ndarray of shape (n_vocab, width)
        One row per token id.
    ids : ndarray of int, any shape
        Token ids.

    Returns
    -------
    ndarray of shape ids.shape + (width,)
        ``table[ids]``: the same as multiplying one-hot vectors by ``table``,
        without ever building them.
    """
    return table[ids]


@dataclass(frozen=True)
class DistinctRows:
    """Embedded tokens kept as the distinct rows they read: ``table[index]``.

    A batch reads each frequent word many times; a product with the embedded
    inputs, ``E[ids] @ W``, is then computed once per distinct word as
    ``(table @ W)[index]``.

    Parameters
    ----------
    table : ndarray of shape (n_distinct, width)
        The distinct rows that the batch reads, each once.
    index : ndarray of int of shape (n_steps, n_samples)
        For each position, its row of ``table``.
    ids : ndarray of int of shape (n_distinct,), optional
        The rows' ids in the table they were read from, in increasing order
        (see :func:`distinct_rows`).
    """

    table: np.ndarray
    index: np.ndarray
    ids: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the embedded inputs ``table[index]``."""
        return self.index.shape + self.table.shape[1:]

    def toarray(self) -> np.ndarray:
        """The embedded inputs ``table[index]``."""
        return self.table[self.index]

    def sum_by_row(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sum the positions' ``values`` that read each distinct row.

        Parameters
        ----------
        values : ndarray of shape (n_steps, n_samples, width)
            One row of values per position, such as the gradient in a
            product of the inputs.

        Returns
        -------
        rows : ndarray of int of shape (n_distinct,)
            The distinct rows in the order of ``sums``, a permutation of
            their indices (the order in which the sums were quickest made:
            by decreasing number of positions).
        sums : ndarray of shape (n_distinct, width)
            ``sums[k]`` is the sum of ``values`` over the positions whose
            ``index`` is ``rows[k]``, 0 for a row that none reads: summed by
            row, the gradient in ``table`` of a gradient in ``table[index]``
            is ``sums`` scattered to ``rows``.
        """
        width = values.shape[-1]
        return _sum_by_index(
            self.index.reshape(-1), values.reshape(-1, width), len(self.table)
        )


def _sum_by_index(
    index: np.ndarray, values: np.ndarray, n_rows: int, long_run: int = 16
) -> tuple[np.ndarray, np.ndarray]:
    """``values[index == k].sum(axis=0)`` for every ``k < n_rows``, in some order.

    For wide rows (a gated cell's input projection, 4 x hidden_size) this is
    several times faster than :func:`_sum_rows`' ``reduceat``, which makes an
    inner-loop call per column and run.  The runs of each index, sorted by
    decreasing length: those longer than ``long_run`` (the frequent words)
    are summed one reduction each; the others' first rows are gathered in
    one go, then their second rows added, their third...: each a prefix of
    the runs, at most ``long_run`` calls.  The sums are returned in that
    order, with the indices they belong to (a scatter of the wide sums back
    to index order would cost another pass over them).
    """
    counts = np.bincount(index, minlength=n_rows)
    order = np.argsort(index, kind="stable")
    runs = np.argsort(-counts, kind="stable")
    lengths = counts[runs]
    starts = (np.cumsum(counts) - counts)[runs]
    # runs longer than k, for every k, are a prefix of the runs
    n_longer = np.searchsorted(-lengths, -np.arange(long_run + 1), side="left")
    n_long, n_read = n_longer[long_run], n_longer[0]
    sums = np.empty((n_rows, values.shape[1]), dtype=values.dtype)
    for r in range(n_long):
        rows = order[starts[r] : starts[r] + lengths[r]]
        np.add.reduce(values[rows], axis=0, out=sums[r])
    sums[n_long:n_read] = values[order[starts[n_long:n_read]]]
    sums[n_read:] = 0.0
    for k in range(1, long_run):
        m = n_longer[k]
        if m == n_long:
            break
        sums[n_long:m] += values[order[starts[n_long:m] + k]]
    return runs, sums


def distinct_rows(table: np.ndarray, ids: np.ndarray) -> DistinctRows:
    """The rows of ``table`` named by ``ids``, each distinct row gathered once.

    Parameters
    ----------
    table : ndarray of shape (n_vocab, width)
        One row per token id.
    ids : ndarray of int of shape (n_steps, n_samples)
        Token ids.

    Returns
    -------
    DistinctRows
        Equal to :func:`embedding_forward` once expanded.
    """
    rows, index = np.unique(ids, return_inverse=True)
    return DistinctRows(table[rows], index.reshape(ids.shape), rows)


@dataclass(frozen=True)
class RowGrad:
    """Gradient of a lookup table that is zero but for a few rows.

    A batch reads a few hundred rows of a table that may have hundreds of
    thousands: keeping only those rows saves building, clipping and applying
    a dense gradient of the whole table at every step.

    Parameters
    ----------
    ids : ndarray of int of shape (n_rows,)
        The rows, each once, in increasing order.
    rows : ndarray of shape (n_rows, width)
        Their gradients.
    n_vocab : int
        Number of rows of the whole table.
    """

    ids: np.ndarray
    rows: np.ndarray
    n_vocab: int

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of the whole table."""
        return (self.n_vocab, self.rows.shape[1])

    def toarray(self) -> np.ndarray:
        """The dense gradient of the whole table."""
        dense = np.zeros(self.shape, dtype=self.rows.dtype)
        dense[self.ids] = self.rows
        return dense


def embedding_backward(doutput: np.ndarray, ids: np.ndarray, n_vocab: int) -> RowGrad:
    """Gradient of the table from the gradient of the gathered rows.

    Parameters
    ----------
    doutput : ndarray of shape ids.shape + (width,)
        Gradient of the loss in ``table[ids]``.
    ids : ndarray of int
        Token ids used in the forward pass.
    n_vocab : int
        Number of rows of the table.

    Returns
    -------
    RowGrad
        The rows that were read, each once, with the sum of their rows of
        ``doutput`` (an id read several times accumulates all its
        gradients); every other row's gradient is 0.
    """
    width = doutput.shape[-1]
    return _sum_rows(ids.reshape(-1), doutput.reshape(-1, width), n_vocab)


def sum_row_grads(grads: Sequence[RowGrad], scales: Sequence[float]) -> RowGrad:
    """The weighted sum ``sum_k scales[k] * grads[k]`` of row-sparse gradients.

    Parameters
    ----------
    grads : sequence of RowGrad
        Gradients of the same table.
    scales : sequence of float
        The weight of each.

    Returns
    -------
    RowGrad
        Every row that any of ``grads`` holds, once.

    Notes
    -----
    Each gradient holds each of its rows once: each is scaled and written
    into the union of the rows, the first that holds a row copied, the
    others added in turn, in their order: ``((g0 + g1) + g2) + ...``.  For
    two gradients (a minibatch of two shards) these are the bits of the
    sorted sum this replaced (:func:`_sum_rows` over all their rows, whose
    ``reduceat`` made an inner-loop call per row summed), in half its time.
    """
    first = grads[0]
    ids, where = np.unique(np.concatenate([g.ids for g in grads]), return_inverse=True)
    summed = np.empty((len(ids), *first.rows.shape[1:]), dtype=first.rows.dtype)
    written = np.zeros(len(ids), dtype=bool)
    start = 0
    for grad, scale in zip(grads, scales, strict=True):
        rows = grad.rows * grad.rows.dtype.type(scale)
        these = where[start : start + len(grad.ids)]
        start += len(grad.ids)
        added = written[these]
        summed[these[~added]] = rows[~added]
        summed[these[added]] += rows[added]
        written[these] = True
    return RowGrad(ids, summed, first.n_vocab)


def _sum_rows(ids: np.ndarray, rows: np.ndarray, n_vocab: int) -> RowGrad:
    """Sum the ``rows`` that share an id into a :class:`RowGrad`."""
    if len(ids) == 0:
        return RowGrad(ids, rows, n_vocab)
    # Sort once and sum each id's run of rows with one reduceat: several times
    # faster than np.add.at for the thousands of rows of a batch.  reduceat
    # makes an inner-loop call per column and run, so the runs of one row,
    # most of them, are copied instead (a run of one sums to its row).
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    first = np.empty(len(ids), dtype=bool)
    first[0] = True
    np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(starts, append=len(ids))
    summed = rows[order[starts]]
    repeated = counts > 1
    if repeated.any():
        runs = counts[repeated]
        summed[repeated] = np.add.reduceat(
            rows[order[np.repeat(repeated, counts)]], np.cumsum(runs) - runs
        )
    return RowGrad(sorted_ids[starts], summed, n_vocab)
