"""Embedding lookup: a row gather forward, a scatter-add of rows backward."""

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
