"""Central finite differences over every entry of named parameter arrays.

Shared by the gradient checks of the ``tests/test_nn_*.py`` files.

Error measure
-------------
For each parameter (one named array) the error is::

    max |num - ana| / max(max |num|, max |ana|, FLOOR)

i.e. the largest absolute discrepancy relative to the largest gradient entry
of that parameter.  Normalising per parameter, not per entry, keeps entries
whose true gradient is 0 (a token id absent from the batch, the padding row)
from dividing by zero, while an entry that should be 0 but is not still shows
up against the parameter's scale.  ``FLOOR`` turns the measure into an absolute
one for a parameter whose whole gradient is below it: with ``EPS = 1e-6`` in
float64 the round-off of a central difference of an O(1) loss is about
``1e-16 / 1e-6 = 1e-10``, which would otherwise be a large relative error of a
gradient that is itself 1e-5.  A wrong gradient is off by O(its own size), far
above the ``1e-6`` tolerance.
"""

import numpy as np

from skrnn.nn import RowGrad

EPS = 1e-6
FLOOR = 1e-4
RTOL = 1e-6


def numerical_gradient(loss, params, names=None, eps=EPS):
    """Central differences of ``loss(params)`` in every entry of ``params[names]``.

    ``params`` is perturbed in place, one entry at a time, and restored.
    """
    names = list(params) if names is None else list(names)
    grads = {}
    for name in names:
        value = params[name]
        grad = np.zeros(value.shape, dtype=np.float64)
        flat, gflat = value.reshape(-1), grad.reshape(-1)
        assert np.shares_memory(flat, value)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + eps
            plus = loss(params)
            flat[i] = orig - eps
            minus = loss(params)
            flat[i] = orig
            gflat[i] = (plus - minus) / (2 * eps)
        grads[name] = grad
    return grads


def relative_error(num, ana, floor=FLOOR):
    """``max|num - ana| / max(max|num|, max|ana|, floor)`` (see module docstring)."""
    num, ana = np.asarray(num, dtype=np.float64), np.asarray(ana, dtype=np.float64)
    if num.size == 0:
        return 0.0
    scale = max(np.abs(num).max(), np.abs(ana).max(), floor)
    return float(np.abs(num - ana).max() / scale)


def dense(grads):
    """The gradients with every :class:`~skrnn.nn.RowGrad` made a full array."""
    return {k: g.toarray() if isinstance(g, RowGrad) else g for k, g in grads.items()}


def assert_gradients_match(loss, params, grads, names=None, eps=EPS, rtol=RTOL):
    """Assert that ``grads`` are the derivative of ``loss`` at ``params``.

    Every entry of every parameter in ``names`` (default: all of ``params``)
    is checked; the message lists every parameter that fails.  Row-sparse
    gradients are checked in every row, those they hold and those they omit.
    """
    names = list(params) if names is None else list(names)
    assert set(names) <= set(grads), sorted(set(names) - set(grads))
    grads = dense(grads)
    numerical = numerical_gradient(loss, params, names, eps)
    errors = {}
    for name in names:
        assert grads[name].shape == params[name].shape, name
        errors[name] = relative_error(numerical[name], grads[name])
    bad = {name: err for name, err in errors.items() if not err < rtol}
    assert not bad, f"gradient check failed (rel. error > {rtol}): {bad}"
    return errors
