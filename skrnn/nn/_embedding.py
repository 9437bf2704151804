"""Embedding lookup: a row gather forward, a scatter-add of rows backward."""

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


def embedding_backward(
    doutput: np.ndarray, ids: np.ndarray, n_vocab: int
) -> np.ndarray:
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
    ndarray of shape (n_vocab, width)
        Rows of ``doutput`` summed into the rows they were read from; an id
        that occurs several times accumulates all its gradients.
    """
    width = doutput.shape[-1]
    grad = np.zeros((n_vocab, width), dtype=doutput.dtype)
    np.add.at(grad, ids.reshape(-1), doutput.reshape(-1, width))
    return grad


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


def embedding_backward_rows(
    doutput: np.ndarray, ids: np.ndarray, n_vocab: int
) -> RowGrad:
    """Gradient of the table, as :func:`embedding_backward`, kept row-sparse.

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
        The summed gradient of every row that was read.
    """
    width = doutput.shape[-1]
    flat_ids = ids.reshape(-1)
    if len(flat_ids) == 0:
        return RowGrad(flat_ids, np.zeros((0, width), doutput.dtype), n_vocab)
    # Sort once and sum each id's run of rows with one reduceat: several times
    # faster than np.add.at for the thousands of rows of a batch.
    order = np.argsort(flat_ids, kind="stable")
    sorted_ids = flat_ids[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_ids[1:] != sorted_ids[:-1])))
    rows = np.add.reduceat(doutput.reshape(-1, width)[order], starts, axis=0)
    return RowGrad(sorted_ids[starts], rows, n_vocab)
