"""Weight initialisers, each drawing from an explicit ``numpy.random.Generator``."""

import numpy as np


def glorot_uniform(
    rng: np.random.Generator, fan_in: int, fan_out: int, dtype: np.dtype
) -> np.ndarray:
    """Glorot/Xavier uniform matrix of shape ``(fan_in, fan_out)``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    fan_in, fan_out : int
        Number of inputs and outputs of the layer.
    dtype : numpy dtype
        Floating point type of the result.

    Returns
    -------
    ndarray of shape (fan_in, fan_out)
        Entries drawn from ``U(-a, a)``, ``a = sqrt(6 / (fan_in + fan_out))``.
    """
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype)


def orthogonal(rng: np.random.Generator, n: int, dtype: np.dtype) -> np.ndarray:
    """Random orthogonal ``(n, n)`` matrix (Saxe et al., 2014).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        Size of the matrix.
    dtype : numpy dtype
        Floating point type of the result.

    Returns
    -------
    ndarray of shape (n, n)
        Q of the QR decomposition of a Gaussian matrix, with the signs of R's
        diagonal folded in so that Q is uniformly distributed.
    """
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.sign(np.diag(r))).astype(dtype)


def uniform(
    rng: np.random.Generator, shape: tuple[int, ...], limit: float, dtype: np.dtype
) -> np.ndarray:
    """Entries drawn from ``U(-limit, limit)``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    shape : tuple of int
        Shape of the result.
    limit : float
        Half-width of the interval.
    dtype : numpy dtype
        Floating point type of the result.

    Returns
    -------
    ndarray
        The random array.
    """
    return rng.uniform(-limit, limit, size=shape).astype(dtype)
