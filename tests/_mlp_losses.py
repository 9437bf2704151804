"""scikit-learn's MLP losses that the tests compare skrnn's with."""

from collections.abc import Callable

import pytest
from sklearn.neural_network import _base


def mlp_poisson_loss() -> Callable:
    """MLPRegressor's ``poisson_loss``, or skip the test before scikit-learn 1.7.

    MLPRegressor has had ``loss="poisson"`` since scikit-learn 1.7; skrnn
    supports 1.6, on which the tests that compare with it skip (a module-level
    import failed the collection of every test of their modules).
    """
    if not hasattr(_base, "poisson_loss"):
        pytest.skip("MLPRegressor has the Poisson loss from scikit-learn 1.7 on")
    return _base.poisson_loss
