"""Snapshot ensembles: the members of an ensemble as snapshots of one run.

``ensemble="snapshots"`` trains one network whose learning rate follows
cosine cycles (Huang et al. 2017, "Snapshot ensembles: train 1, get M for
free", after Loshchilov and Hutter's warm restarts): within each cycle of
:func:`cycle_epochs` epochs it falls, step by step, from
:data:`PEAK_FACTOR` times ``learning_rate_init`` to 0, then jumps back up.
Each cycle ends in a minimum of the loss; the network there is a snapshot,
and the ensemble averages the last ``n_estimators`` snapshots.  The
restarts push the network out of the minimum it had reached, so that the
snapshots differ almost as networks of different seeds do, at the cost of
one run.

Nothing here knows scikit-learn: :class:`CyclicLearningRate` wraps an
optimizer, :func:`snapshot_run` decides when the run stops and which
snapshots it keeps, from functions the estimator hands in.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from ._optimizers import BaseOptimizer

__all__ = [
    "CYCLE_EPOCHS",
    "PEAK_FACTOR",
    "CyclicLearningRate",
    "cosine_factor",
    "cycle_epochs",
    "snapshot_run",
]

#: Epochs in a cycle of the learning rate, at most: fewer when ``max_iter``
#: has no room for ``n_estimators`` such cycles.  Chosen by the selection
#: protocol (``benchmarks/snapshots.py``).
CYCLE_EPOCHS = 3

#: The learning rate at the start of a cycle, in units of
#: ``learning_rate_init``: the mean rate over a cosine cycle is half its
#: peak, so that a cycle steps as far, on average, as the constant rate.
PEAK_FACTOR = 2.0

Snapshot = TypeVar("Snapshot")


def cycle_epochs(max_iter: int, n_snapshots: int) -> int:
    """Epochs per cycle: :data:`CYCLE_EPOCHS`, or fewer to fit in ``max_iter``.

    Parameters
    ----------
    max_iter : int
        The epochs of the run, at most.
    n_snapshots : int
        The snapshots in the ensemble, at least 1.

    Returns
    -------
    int
        At least 1, at most :data:`CYCLE_EPOCHS`, and at most ``max_iter //
        n_snapshots`` when that is at least 1.
    """
    return max(1, min(CYCLE_EPOCHS, max_iter // n_snapshots))


def cosine_factor(phase: float) -> float:
    """The learning rate at ``phase`` of a cycle, in units of its peak.

    ``(1 + cos(pi * phase)) / 2``: 1 at the start of a cycle (``phase`` 0),
    falling to 0 at its end (``phase`` 1; a phase past 1 counts as 1).
    """
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, max(0.0, phase))))


class CyclicLearningRate:
    """An optimizer whose learning rate follows cosine cycles, step by step.

    Every other attribute and method is the wrapped optimizer's, whose
    state (moments, velocities, step count) it updates: training continues
    it, and saves it, as it would the optimizer alone.  Each step runs at
    ``PEAK_FACTOR * cosine_factor(step / steps_per_cycle)`` times the rate
    the optimizer would take (its ``learning_rate_init``, and with it its
    ``current_learning_rate``), which are then put back.

    Parameters
    ----------
    optimizer : BaseOptimizer
        The optimizer to wrap.
    steps_per_cycle : int
        The steps of a cycle.
    step : int, default=0
        The steps of the current cycle already taken.
    """

    def __init__(
        self, optimizer: BaseOptimizer, steps_per_cycle: int, step: int = 0
    ) -> None:
        self.optimizer = optimizer
        self.steps_per_cycle = max(1, int(steps_per_cycle))
        self.step = int(step)

    def scale(self) -> float:
        """The factor of the next step's learning rate."""
        return PEAK_FACTOR * cosine_factor(self.step / self.steps_per_cycle)

    def update_params(
        self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]
    ) -> None:
        """Take one step of the wrapped optimizer at the cycle's rate."""
        optimizer, scale = self.optimizer, self.scale()
        init, current = optimizer.learning_rate_init, optimizer.current_learning_rate
        optimizer.learning_rate_init = init * scale
        optimizer.current_learning_rate = current * scale
        try:
            optimizer.update_params(params, grads)
        finally:
            optimizer.learning_rate_init = init
            optimizer.current_learning_rate = current
        self.step += 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.optimizer, name)


def snapshot_run(
    run_cycle: Callable[[], bool],
    take: Callable[[], Snapshot],
    score: Callable[[Sequence[Snapshot]], float],
    *,
    n_snapshots: int,
    max_cycles: int,
    tol: float,
    patience: int,
    previous: Sequence[Snapshot] = (),
) -> tuple[list[Snapshot], bool]:
    """Run cycles and keep the best window of ``n_snapshots`` snapshots.

    After each cycle, the last ``n_snapshots`` snapshots (once there are
    that many, counting ``previous``) are scored together; the run stops
    when the score has not improved by ``tol`` for ``patience`` cycles in a
    row, and the best-scoring window is kept, as early stopping keeps the
    best epoch's weights.

    Parameters
    ----------
    run_cycle : callable
        Trains one cycle; returns True when training must stop before the
        cycle's end (an interrupt, or a callback that asked it), and the
        cycle then gives no snapshot.
    take : callable
        A snapshot of the network as it stands.
    score : callable
        The score of a window of snapshots, oldest first: higher is better
        (the hold-out score of their mean output, or minus the training
        loss).
    n_snapshots : int
        The snapshots in a window.
    max_cycles : int
        The cycles to run at most.
    tol : float
        Minimum improvement of the score.
    patience : int
        Cycles without improvement that stop the run.
    previous : sequence, default=()
        Snapshots of an earlier run that this one continues, oldest first.

    Returns
    -------
    kept : list
        The best window, oldest first; the last ``n_snapshots`` snapshots
        (fewer if the run was cut short) when no window was scored; the
        snapshot of the network as it stands when there is none at all.
    stopped : bool
        Whether the stopping rule or ``run_cycle`` ended the run before
        ``max_cycles``.
    """
    recent = list(previous)[-n_snapshots:]
    best, best_window, count = -np.inf, None, 0
    cut_short = False
    for _ in range(max_cycles):
        if run_cycle():
            cut_short = True
            break
        recent = [*recent, take()][-n_snapshots:]
        if len(recent) < n_snapshots:
            continue
        value = score(recent)
        count = count + 1 if value < best + tol else 0
        if value > best:
            best, best_window = value, recent
        if count >= patience:
            return best_window, True
    if best_window is not None:
        return best_window, cut_short
    return recent or [take()], cut_short
