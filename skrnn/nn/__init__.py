"""The numpy-only neural network core of skrnn.

Nothing in this subpackage imports scikit-learn: it works on dictionaries of
named parameter arrays and on padded, length-sorted integer batches.

A recurrent cell is one :class:`Cell`, which declares its parameters
(:class:`Param`) and brings its forward and backward functions;
:func:`register_cell` makes it an option of ``RNNTextClassifier(cell=...)``.
An output head is one :class:`Head`, which says what the network's outputs
mean; :func:`register_head` makes it a head an estimator can pick.
"""

from ._cells import CELLS, Cell, Param, register_cell, unregister_cell
from ._embedding import RowGrad, sum_row_grads
from ._heads import HEAD_KINDS, HEADS, Head, register_head, unregister_head
from ._init import gate_constants, glorot_uniform, orthogonal, per_gate, zeros
from ._network import (
    NetworkConfig,
    add_l2_penalty,
    adversarial_perturbation,
    check_params,
    forward,
    init_params,
    loss_and_grad,
    n_params,
    param_shapes,
    penalized_names,
    predict_forward,
    staged_forward,
)
from ._recurrent import POOLINGS

__all__ = [
    "CELLS",
    "HEADS",
    "HEAD_KINDS",
    "POOLINGS",
    "Cell",
    "Head",
    "NetworkConfig",
    "Param",
    "RowGrad",
    "add_l2_penalty",
    "adversarial_perturbation",
    "check_params",
    "forward",
    "gate_constants",
    "glorot_uniform",
    "init_params",
    "loss_and_grad",
    "n_params",
    "orthogonal",
    "param_shapes",
    "penalized_names",
    "per_gate",
    "predict_forward",
    "register_cell",
    "register_head",
    "staged_forward",
    "sum_row_grads",
    "unregister_cell",
    "unregister_head",
    "zeros",
]
