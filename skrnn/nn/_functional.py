"""Activations, their derivatives, and the losses of the output heads.

Derivatives of the recurrent activations are written in terms of the
activation's *output* (``tanh' = 1 - y**2``, ``sigmoid' = y * (1 - y)``), which
is what the backward passes have cached.  Every function here is finite for
finite input of any magnitude and never emits an overflow warning, but for
:func:`poisson_deviance`, whose rates ``exp(z)`` are infinite past ``z`` of
about 88 in float32 (709 in float64), without a warning: its loss is then
infinite, which training reports as divergence.  Nor do they emit underflow
warnings, or raise under ``np.errstate(under="raise")``: an ``exp`` too small
for the float type is 0, which is the right probability, rate or term of a
sum here.
"""

import numpy as np


def _weight_shares(
    sample_weight: np.ndarray, dtype: np.dtype, n_outputs: int = 1
) -> np.ndarray:
    """Each sample's share of the total weight, divided by ``n_outputs``.

    ``sample_weight / (sum(sample_weight) * n_outputs)`` in ``dtype``.  Only
    the ratios of the weights matter: weights whose sum (times
    ``n_outputs``) overflows their dtype are divided by the largest first,
    so that the shares are not 0 (3e38 in float32, times two outputs, made
    the squared error and its gradient 0).
    """
    with np.errstate(over="ignore"):
        total = np.add.reduce(sample_weight) * n_outputs
    if np.isinf(total):
        sample_weight = sample_weight / sample_weight.max()
        total = np.add.reduce(sample_weight) * n_outputs
    return (sample_weight / total).astype(dtype, copy=False)


def dtanh_from_output(y: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Derivative of tanh at the point whose output is ``y``: ``1 - y**2``.

    Parameters
    ----------
    y : ndarray
        Output of ``np.tanh``.
    out : ndarray, optional
        Where to write the result (``y`` itself is allowed); a new array by
        default.

    Returns
    -------
    ndarray
        ``1 - y**2``.
    """
    d = np.multiply(y, y, out=out)
    return np.subtract(1.0, d, out=d)


def log_sum_exp(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(z)))`` along an axis, stable for values of any magnitude.

    Parameters
    ----------
    z : ndarray
        Values, in the log domain.
    axis : int, default=-1
        The axis to sum along; it is kept, of length 1.

    Returns
    -------
    ndarray
        ``np.logaddexp.reduce(z, axis=axis, keepdims=True)``, whose terms
        too small for the float type count as 0 without an underflow error.
    """
    with np.errstate(under="ignore"):
        return np.logaddexp.reduce(z, axis=axis, keepdims=True)


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
    with np.errstate(over="ignore", under="ignore"):
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
    with np.errstate(over="ignore", under="ignore"):
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
    scale = _weight_shares(sample_weight, z.dtype)
    loss = -float(np.dot(scale, logp[rows, y]))
    with np.errstate(under="ignore"):
        dz = np.exp(logp, out=logp)
    dz[rows, y] -= 1.0
    dz *= scale[:, None]
    return loss, dz


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Element-wise logistic sigmoid, stable for logits of any magnitude.

    Parameters
    ----------
    z : ndarray
        Logits.

    Returns
    -------
    ndarray
        ``1 / (1 + exp(-z))``, computed as ``(1 + tanh(z / 2)) / 2``, which
        never overflows.
    """
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """Element-wise ``log(sigmoid(z))``, stable for logits of any magnitude.

    Parameters
    ----------
    z : ndarray
        Logits.

    Returns
    -------
    ndarray
        ``-log(1 + exp(-z))``, computed by ``logaddexp``.
    """
    with np.errstate(under="ignore"):
        return -np.logaddexp(0.0, -z)


def binary_cross_entropy(
    z: np.ndarray, y: np.ndarray, sample_weight: np.ndarray
) -> tuple[float, np.ndarray]:
    """Weighted mean binary log-loss of sigmoid(z), summed over labels; its gradient.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_outputs)
        Logits, one per label.
    y : ndarray of shape (n_samples, n_outputs)
        The labels, 0 or 1 (any value in [0, 1] is a soft label).
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights.

    Returns
    -------
    loss : float
        ``sum_i w_i sum_k -(y_ik log p_ik + (1 - y_ik) log(1 - p_ik)) / sum(w)``
        with ``p = sigmoid(z)``: scikit-learn's ``binary_log_loss`` (summed
        over the labels, averaged over the samples), weighted.
    dz : ndarray of shape (n_samples, n_outputs)
        Gradient of the loss in ``z``.

    Notes
    -----
    The loss of one entry is ``softplus(z) - y z``, with
    ``softplus(z) = log(1 + exp(z))`` computed by ``logaddexp``; its
    derivative is ``sigmoid(z) - y``, the same ``p - y`` shortcut as the
    softmax's.
    """
    scale = _weight_shares(sample_weight, z.dtype)
    with np.errstate(under="ignore"):
        per_sample = np.add.reduce(np.logaddexp(0.0, z) - y * z, axis=1)
    loss = float(np.dot(scale, per_sample))
    dz = sigmoid(z) - y
    dz *= scale[:, None]
    return loss, dz


def squared_error(
    z: np.ndarray, y: np.ndarray, sample_weight: np.ndarray
) -> tuple[float, np.ndarray]:
    """Weighted half mean squared error of the outputs ``z``, and its gradient.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_outputs)
        Predicted values.
    y : ndarray of shape (n_samples, n_outputs)
        True values.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights.

    Returns
    -------
    loss : float
        ``sum_i w_i mean_k (z_ik - y_ik)**2 / (2 sum(w))``: scikit-learn's
        ``squared_loss`` (half the mean over samples and outputs), weighted.
    dz : ndarray of shape (n_samples, n_outputs)
        Gradient of the loss in ``z``: ``(z - y)`` scaled by each sample's
        share of the total weight and by ``1 / n_outputs``.
    """
    scale = _weight_shares(sample_weight, z.dtype, z.shape[1])
    dz = z - y
    loss = 0.5 * float(np.dot(scale, np.add.reduce(dz * dz, axis=1)))
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


def poisson_deviance(
    z: np.ndarray, y: np.ndarray, sample_weight: np.ndarray
) -> tuple[float, np.ndarray]:
    """Weighted half Poisson deviance of the rates ``exp(z)``, and its gradient.

    Parameters
    ----------
    z : ndarray of shape (n_samples, n_outputs)
        Log-rates.
    y : ndarray of shape (n_samples, n_outputs)
        True values, counts or rates, all >= 0.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights.

    Returns
    -------
    loss : float
        ``sum_i w_i sum_k (y_ik log(y_ik / mu_ik) - y_ik + mu_ik) / sum(w)``
        with ``mu = exp(z)`` and ``0 log 0 = 0``: scikit-learn's
        ``poisson_loss`` (half the deviance, summed over the outputs,
        averaged over the samples), weighted.
    dz : ndarray of shape (n_samples, n_outputs)
        Gradient of the loss in ``z``: ``exp(z) - y``, scaled by each
        sample's share of the total weight.

    Notes
    -----
    With the log link, the loss of one entry is ``exp(z) - y z`` plus terms
    free of ``z``, whose derivative is ``exp(z) - y``: the ``p - y``
    shortcut of the softmax again, with the rate for the probability.
    """
    scale = _weight_shares(sample_weight, z.dtype)
    with np.errstate(over="ignore", under="ignore"):
        mu = np.exp(z)
    log_y = np.log(np.where(y > 0, y, 1.0)).astype(z.dtype, copy=False)
    # y log(y / mu) - y + mu, written y (log y - z) so that y = 0 gives 0
    per_sample = np.add.reduce(y * (log_y - z) - y + mu, axis=1)
    loss = float(np.dot(scale, per_sample))
    dz = mu - y
    dz *= scale[:, None]
    return loss, dz
