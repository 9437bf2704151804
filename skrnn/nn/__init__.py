"""The numpy-only neural network core of skrnn.

Nothing in this subpackage imports scikit-learn: it works on dictionaries of
named parameter arrays and on padded, length-sorted integer batches.
"""

from ._cells import CELLS
from ._embedding import RowGrad, sum_row_grads
from ._network import (
    NetworkConfig,
    add_l2_penalty,
    forward,
    init_params,
    loss_and_grad,
    staged_forward,
)
from ._recurrent import POOLINGS

__all__ = [
    "CELLS",
    "POOLINGS",
    "NetworkConfig",
    "RowGrad",
    "add_l2_penalty",
    "forward",
    "init_params",
    "loss_and_grad",
    "staged_forward",
    "sum_row_grads",
]
