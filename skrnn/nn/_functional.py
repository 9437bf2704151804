"""Activations, their derivatives, softmax and the log-loss, as pure functions.

Derivatives of the recurrent activations are written in terms of the
activation's *output* (``tanh' = 1 - y**2``, ``sigmoid' = y * (1 - y)``), which
is what the backward passes have cached.  Every function here is finite for
finite input of any magnitude and never emits an overflow warning.
"""

import numpy as np


def dtanh_from_output(y: np.ndarray) -> np.ndarray:
    """Derivative of tanh at the point whose output is ``y``: ``1 - y**2``.

    Parameters
    ----------
    y : ndarray
        Output of ``np.tanh``.

    Returns
    -------
    ndarray
        ``1 - y**2``.
    """
    return 1.0 - y * y


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax, stable for logits of any magnitude.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_classes)
        Logits.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        ``z - logsumexp(z)`` for each row.
    """
    # Logits further apart than the float range overflow to -inf here, which
    # is the right log-probability; the warning would only be noise.
    with np.errstate(over="ignore"):
        shifted = z - np.maximum.reduce(z, axis=1, keepdims=True)
    shifted -= np.log(np.add.reduce(np.exp(shifted), axis=1, keepdims=True))
    return shifted


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for logits of any magnitude.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_classes)
        Logits.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        Probabilities; each row sums to one.
    """
    with np.errstate(over="ignore"):
        e = np.exp(z - z.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


def cross_entropy(
    z: np.ndarray, y: np.ndarray, sample_weight: np.ndarray
) -> tuple[float, np.ndarray]:
    """Weighted mean cross-entropy of softmax(z) and its gradient in ``z``.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_classes)
        Logits.
    y : ndarray of shape (n_samples,)
        Indices of the true classes.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights; the loss is ``sum(w * -log p_y) / sum(w)``.

    Returns
    -------
    loss : float
        The weighted mean of ``-log p_y``.
    dz : ndarray of shape (n_samples, n_classes)
        Gradient of the loss in ``z``.

    Notes
    -----
    The gradient of ``-log softmax(z)_y`` in ``z`` is ``p - onehot(y)`` (the
    seed's ``d_L_d_y = probs; d_L_d_y[target] -= 1``), scaled here by each
    sample's share of the total weight.
    """
    rows = np.arange(len(y))
    logp = log_softmax(z)
    scale = (sample_weight / np.add.reduce(sample_weight)).astype(z.dtype, copy=False)
    loss = -float(np.dot(scale, logp[rows, y]))
    dz = np.exp(logp, out=logp)
    dz[rows, y] -= 1.0
    dz *= scale[:, None]
    return loss, dz


def dropout_mask(
    rng: np.random.Generator | None, shape: tuple[int, ...], rate: float, dtype
) -> np.ndarray | None:
    """Inverted-dropout mask: 0 with probability ``rate``, else ``1 / (1 - rate)``.

    Parameters
    ----------
    rng : numpy.random.Generator or None
        Source of randomness; None means inference, where dropout is off.
    shape : tuple of int
        Shape of the activations to drop.
    rate : float
        Probability of dropping a unit, in [0, 1).
    dtype : numpy dtype
        Floating point type of the mask.

    Returns
    -------
    ndarray or None
        The mask to multiply the activations (and their gradient) by, or
        None when there is nothing to drop.
    """
    if rng is None or rate == 0.0:
        return None
    keep = rng.random(shape) >= rate
    return keep.astype(dtype) / dtype.type(1.0 - rate)
