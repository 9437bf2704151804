"""Weight initialisers, each drawing from an explicit ``numpy.random.Generator``.

Every initialiser has the signature ``init(rng, shape, dtype) -> ndarray``,
the one that a cell's :class:`~skrnn.nn.Param` declarations name; those that
need a setting (:func:`uniform`, :func:`per_gate`, :func:`gate_constants`)
are factories that return one.
"""

from collections.abc import Callable

import numpy as np

Initializer = Callable[[np.random.Generator, tuple[int, ...], np.dtype], np.ndarray]


def glorot_uniform(
    rng: np.random.Generator, shape: tuple[int, int], dtype: np.dtype
) -> np.ndarray:
    """Glorot/Xavier uniform matrix (Glorot and Bengio, 2010).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    shape : tuple of (int, int)
        ``(fan_in, fan_out)``, the number of inputs and outputs of the layer.
    dtype : numpy dtype
        Floating point type of the result.

    Returns
    -------
    ndarray of shape (fan_in, fan_out)
        Entries drawn from ``U(-a, a)``, ``a = sqrt(6 / (fan_in + fan_out))``.
    """
    fan_in, fan_out = shape
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype)


def orthogonal(
    rng: np.random.Generator, shape: tuple[int, int], dtype: np.dtype
) -> np.ndarray:
    """Random orthogonal matrix (Saxe et al., 2014).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    shape : tuple of (int, int)
        ``(n, n)``: the matrix is square.
    dtype : numpy dtype
        Floating point type of the result.

    Returns
    -------
    ndarray of shape (n, n)
        Q of the QR decomposition of a Gaussian matrix, with the signs of R's
        diagonal folded in so that Q is uniformly distributed.
    """
    n, m = shape
    if n != m:
        raise ValueError(f"an orthogonal matrix is square; got the shape {shape}.")
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.sign(np.diag(r))).astype(dtype)


def zeros(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype
) -> np.ndarray:
    """An array of zeros; draws nothing from ``rng``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Unused: there for the common signature.
    shape : tuple of int
        Shape of the result.
    dtype : numpy dtype
        Floating point type of the result.

    Returns
    -------
    ndarray
        Zeros.
    """
    return np.zeros(shape, dtype=dtype)


def uniform(limit: float) -> Initializer:
    """Initialiser drawing entries from ``U(-limit, limit)``.

    Parameters
    ----------
    limit : float
        Half-width of the interval.

    Returns
    -------
    callable
        ``init(rng, shape, dtype) -> ndarray``.
    """

    def init(rng, shape, dtype):
        return rng.uniform(-limit, limit, size=shape).astype(dtype)

    return init


def per_gate(init: Initializer, n_gates: int) -> Initializer:
    """Initialiser of a matrix of ``n_gates`` column blocks, drawn one by one.

    Parameters
    ----------
    init : callable
        Initialiser of one block, ``init(rng, (n_rows, width), dtype)``.
    n_gates : int
        Number of blocks side by side: the matrix is ``n_gates * width``
        wide.

    Returns
    -------
    callable
        ``init(rng, shape, dtype) -> ndarray``, with the blocks drawn from
        left to right.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn.nn import orthogonal, per_gate
    >>> W_hh = per_gate(orthogonal, 3)(np.random.default_rng(0), (4, 12), np.float64)
    >>> [np.allclose(block.T @ block, np.eye(4)) for block in np.split(W_hh, 3, 1)]
    [True, True, True]
    """

    def init_blocks(rng, shape, dtype):
        n_rows, n_cols = shape
        width = n_cols // n_gates
        return np.concatenate(
            [init(rng, (n_rows, width), dtype) for _ in range(n_gates)], axis=1
        )

    return init_blocks


def gate_constants(*values: float) -> Initializer:
    """Initialiser of a bias of equal blocks, one per gate, each a constant.

    Parameters
    ----------
    *values : float
        The constant of each block, in the order of the gates.

    Returns
    -------
    callable
        ``init(rng, shape, dtype) -> ndarray``; draws nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn.nn import gate_constants
    >>> gate_constants(0.0, 1.0, 0.0)(None, (6,), np.float32)
    array([0., 0., 1., 1., 0., 0.], dtype=float32)
    """

    def init(rng, shape, dtype):
        (width,) = shape
        return np.repeat(np.asarray(values, dtype=dtype), width // len(values))

    return init
