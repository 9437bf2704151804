"""The training loop: epochs of minibatch steps, clipping, stopping rules.

Nothing here knows scikit-learn: the estimator hands in validated arrays and
receives a :class:`TrainingState` back.  The stopping rules are those of
scikit-learn's ``MLPClassifier``: without early stopping, training stops when
the training loss has not improved by ``tol`` for ``n_iter_no_change``
consecutive epochs; with it, when the validation accuracy has not, and the
weights of the best validation epoch are kept.
"""

import copy
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import ThreadpoolController

from ._batching import length_sorted, minibatches, pad_batch
from ._optimizers import BaseOptimizer, clip_by_global_norm, clip_by_value
from ._progress import batch_progress
from .nn import NetworkConfig, forward, loss_and_grad

Params = dict[str, np.ndarray]

#: Upper bound on ``n_steps * n_samples`` of one prediction batch: small enough
#: for a step's gate arrays to stay in cache (4x faster than 2**16 for the LSTM)
#: and for memory to stay bounded whatever the document lengths.
PREDICT_BATCH_POSITIONS = 2**12


#: An epoch whose mean loss exceeds this many times that of a uniform guess,
#: ``log(n_classes)``, has diverged even if every number is still finite.
DIVERGED_LOSS_FACTOR = 1000.0


@functools.cache
def _blas_controller() -> ThreadpoolController:
    """The loaded BLAS libraries, found once; ``threadpool_limits`` searches anew."""
    return ThreadpoolController()


def single_threaded_blas():
    """Context in which BLAS uses one thread.

    The products of one time step are small: a second thread brings little
    and, on a busy machine, costs a lot in synchronisation.
    """
    return _blas_controller().limit(limits=1, user_api="blas")


@dataclass
class Dataset:
    """Token-id sequences with their class indices and sample weights."""

    sequences: Sequence[np.ndarray]
    y: np.ndarray
    sample_weight: np.ndarray
    lengths: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.lengths = np.fromiter(
            (len(s) for s in self.sequences), dtype=np.intp, count=len(self.sequences)
        )

    def batch(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Padded ids and lengths of the sequences at ``indices`` (length-sorted)."""
        if len(indices) == 1:
            return self.sequences[indices[0]][:, None], self.lengths[indices]
        return pad_batch([self.sequences[i] for i in indices])


@dataclass
class TrainingSettings:
    """How to take steps: everything about training but the stopping rules."""

    batch_size: int
    shuffle: bool
    alpha: float
    clip_value: float | None
    clip_norm: float | None
    frozen: frozenset[str] = frozenset()


@dataclass
class TrainingState:
    """What training has done so far; carried across ``partial_fit`` calls."""

    n_iter: int = 0
    t: int = 0
    loss_curve: list[float] = field(default_factory=list)
    validation_scores: list[float] = field(default_factory=list)
    best_loss: float = np.inf
    best_validation_score: float = -np.inf
    no_improvement_count: int = 0
    best_params: Params | None = None
    interrupted: bool = False

    def restart_stopping(self) -> None:
        """Forget the stopping history, as a new ``fit`` on a warm start does."""
        self.validation_scores = []
        self.best_validation_score = -np.inf
        self.no_improvement_count = 0


class TrainingDivergedError(FloatingPointError):
    """The loss or the weights became NaN or infinite during training."""


def predict_logits(
    params: Params, sequences: Sequence[np.ndarray], config: NetworkConfig
) -> np.ndarray:
    """Logits of many sequences, batched by length, in their original order.

    Parameters
    ----------
    params : dict of ndarray
        The network's parameters (read only).
    sequences : sequence of 1-D int arrays
        Token ids of each document.
    config : NetworkConfig
        The architecture.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        Logits, row i for ``sequences[i]``.
    """
    lengths = np.fromiter((len(s) for s in sequences), np.intp, len(sequences))
    order = length_sorted(lengths, np.arange(len(sequences)))
    logits = np.empty((len(sequences), config.n_classes), params["head.b_y"].dtype)
    start = 0
    while start < len(order):
        size = max(1, PREDICT_BATCH_POSITIONS // max(1, lengths[order[start]]))
        idx = order[start : start + size]
        ids, batch_lengths = pad_batch([sequences[i] for i in idx])
        logits[idx] = forward(params, ids, batch_lengths, config)
        start += size
    return logits


def accuracy(logits: np.ndarray, y: np.ndarray, sample_weight: np.ndarray) -> float:
    """Weighted fraction of rows whose largest logit is the true class."""
    return float(np.average(logits.argmax(axis=1) == y, weights=sample_weight))


def run_epoch(
    params: Params,
    optimizer: BaseOptimizer,
    data: Dataset,
    config: NetworkConfig,
    settings: TrainingSettings,
    rng: np.random.Generator,
    on_batch: Callable[[int], None] | None = None,
) -> float:
    """Take one pass of minibatch steps over ``data``, updating ``params``.

    Parameters
    ----------
    params : dict of ndarray
        Parameters, updated in place.
    optimizer : BaseOptimizer
        Turns gradients into updates.
    data : Dataset
        The training data.
    config : NetworkConfig
        The architecture.
    settings : TrainingSettings
        Batch size, shuffling, penalty, clipping, frozen parameters.
    rng : numpy.random.Generator
        Source of shuffling and dropout.
    on_batch : callable, optional
        Called with the number of samples of each batch once it is done.

    Returns
    -------
    float
        The mean training loss over the epoch, weighted by sample weight.

    Raises
    ------
    TrainingDivergedError
        If a loss is not finite.
    """
    total_loss = 0.0
    total_weight = 0.0
    dropout_rng = rng if config.dropout > 0 else None
    for idx in minibatches(
        data.lengths, settings.batch_size, shuffle=settings.shuffle, rng=rng
    ):
        weight = data.sample_weight[idx]
        batch_weight = float(weight.sum())
        if batch_weight > 0:
            ids, lengths = data.batch(idx)
            loss, grads = loss_and_grad(
                params,
                ids,
                lengths,
                data.y[idx],
                config,
                sample_weight=weight,
                alpha=settings.alpha,
                rng=dropout_rng,
                sparse=True,
            )
            if not np.isfinite(loss):
                raise TrainingDivergedError(f"the training loss became {loss}")
            for name in settings.frozen:
                grads.pop(name, None)
            if settings.clip_value is not None:
                clip_by_value(grads, settings.clip_value)
            if settings.clip_norm is not None:
                clip_by_global_norm(grads, settings.clip_norm)
            optimizer.update_params(params, grads)
            total_loss += loss * batch_weight
            total_weight += batch_weight
        if on_batch is not None:
            on_batch(len(idx))
    if not all(np.isfinite(value).all() for value in params.values()):
        raise TrainingDivergedError("the weights became NaN or infinite")
    return total_loss / max(total_weight, np.finfo(float).tiny)


def update_stopping(
    state: TrainingState,
    params: Params,
    *,
    tol: float,
    validation_score: float | None,
) -> None:
    """Record the end of an epoch and count epochs without improvement.

    Parameters
    ----------
    state : TrainingState
        Updated in place.
    params : dict of ndarray
        Current parameters; copied into ``state.best_params`` when they give
        the best validation score so far.
    tol : float
        Minimum improvement that resets the count.
    validation_score : float or None
        Validation accuracy of this epoch, or None without early stopping
        (then the last training loss decides).
    """
    if validation_score is not None:
        state.validation_scores.append(validation_score)
        if validation_score < state.best_validation_score + tol:
            state.no_improvement_count += 1
        else:
            state.no_improvement_count = 0
        if validation_score > state.best_validation_score:
            state.best_validation_score = validation_score
            state.best_params = copy.deepcopy(params)
    else:
        loss = state.loss_curve[-1]
        if loss > state.best_loss - tol:
            state.no_improvement_count += 1
        else:
            state.no_improvement_count = 0
        state.best_loss = min(state.best_loss, loss)


def format_epoch(
    state: TrainingState,
    train_accuracy: float | None,
    validation_score: float | None,
    seconds: float,
) -> str:
    """One line of progress: epoch, training loss and accuracy, validation, time."""
    parts = [f"Epoch {state.n_iter}", f"loss = {state.loss_curve[-1]:.6f}"]
    if train_accuracy is not None:
        parts.append(f"train accuracy = {train_accuracy:.4f}")
    if validation_score is not None:
        parts.append(f"validation accuracy = {validation_score:.4f}")
    parts.append(f"{seconds:.2f} s")
    return ", ".join(parts)


def epoch_timer() -> Callable[[], float]:
    """Return a function giving the seconds elapsed since this call."""
    start = time.perf_counter()
    return lambda: time.perf_counter() - start


class _Checkpoint:
    """Copies of what an epoch changes, to undo an interrupted epoch."""

    def __init__(self, params, optimizer, rng):
        self.params = {name: value.copy() for name, value in params.items()}
        self.optimizer = optimizer.get_state()
        self.rng = copy.deepcopy(rng.bit_generator.state)

    def restore(self, params, optimizer, rng):
        for name, value in self.params.items():
            params[name][...] = value
        optimizer.set_state(self.optimizer)
        rng.bit_generator.state = self.rng


def fit_epochs(
    params: Params,
    optimizer: BaseOptimizer,
    train: Dataset,
    config: NetworkConfig,
    settings: TrainingSettings,
    state: TrainingState,
    rng: np.random.Generator,
    *,
    max_epochs: int,
    tol: float,
    n_iter_no_change: int,
    validation: Dataset | None = None,
    verbose: int = 0,
    on_epoch_begin: Callable[[], None] | None = None,
    on_epoch_end: Callable[[], bool] | None = None,
) -> bool:
    """Train for up to ``max_epochs`` epochs, stopping as ``MLPClassifier`` does.

    Parameters
    ----------
    params : dict of ndarray
        Parameters, updated in place.
    optimizer : BaseOptimizer
        Turns gradients into updates; its learning-rate schedule is told the
        number of samples seen after each epoch.
    train : Dataset
        Training data.
    config : NetworkConfig
        The architecture.
    settings : TrainingSettings
        How each step is taken.
    state : TrainingState
        Updated in place: epochs, samples seen, curves, best scores.
    rng : numpy.random.Generator
        Source of shuffling and dropout.
    max_epochs : int
        Number of epochs at most.
    tol : float
        Minimum improvement of the loss (or validation score).
    n_iter_no_change : int
        Epochs without improvement that stop training (or, with the
        "adaptive" schedule, divide the learning rate by 5).
    validation : Dataset, optional
        Held-out data scored after every epoch (early stopping).
    verbose : int
        Print one line per epoch when positive; from 2 on, also show the
        progress within each epoch.
    on_epoch_begin : callable, optional
        Called before each epoch.
    on_epoch_end : callable, optional
        Called after each epoch (after ``state`` is updated); training stops
        when it returns True.

    Returns
    -------
    bool
        Whether a stopping rule ended training before ``max_epochs``.

    Notes
    -----
    A ``KeyboardInterrupt`` during an epoch puts the parameters, the
    optimizer and the random generator back as they were after the last
    completed epoch, sets ``state.interrupted`` and returns False, as
    scikit-learn's MLP keeps its weights when interrupted.
    """
    try:
        return _fit_epochs(
            params,
            optimizer,
            train,
            config,
            settings,
            state,
            rng,
            max_epochs=max_epochs,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            validation=validation,
            verbose=verbose,
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
        )
    except KeyboardInterrupt:
        state.interrupted = True
        return False


def _fit_epochs(
    params,
    optimizer,
    train,
    config,
    settings,
    state,
    rng,
    *,
    max_epochs,
    tol,
    n_iter_no_change,
    validation,
    verbose,
    on_epoch_begin,
    on_epoch_end,
):
    """:func:`fit_epochs` without the handling of interrupts."""
    for _ in range(max_epochs):
        checkpoint = _Checkpoint(params, optimizer, rng)
        if on_epoch_begin is not None:
            on_epoch_begin()
        elapsed = epoch_timer()
        on_batch, close = None, None
        if verbose >= 2:
            on_batch, close = batch_progress(state.n_iter + 1, len(train.y))
        # The epoch counts once its steps and its validation score are done;
        # an interrupt before that undoes it whole.
        try:
            loss = run_epoch(params, optimizer, train, config, settings, rng, on_batch)
            score = None
            if validation is not None:
                logits = predict_logits(params, validation.sequences, config)
                score = accuracy(logits, validation.y, validation.sample_weight)
        except KeyboardInterrupt:
            checkpoint.restore(params, optimizer, rng)
            raise
        finally:
            if close is not None:
                close()
        if loss > DIVERGED_LOSS_FACTOR * np.log(config.n_classes):
            raise TrainingDivergedError(f"the training loss exploded to {loss:.4g}")
        state.n_iter += 1
        state.t += len(train.y)
        state.loss_curve.append(loss)
        update_stopping(state, params, tol=tol, validation_score=score)
        optimizer.iteration_ends(state.t)
        if verbose:
            logits = predict_logits(params, train.sequences, config)
            train_accuracy = accuracy(logits, train.y, train.sample_weight)
            print(format_epoch(state, train_accuracy, score, elapsed()))
        if on_epoch_end is not None and on_epoch_end():
            return True
        if state.no_improvement_count > n_iter_no_change:
            what = "Validation score" if validation is not None else "Training loss"
            msg = (
                f"{what} did not improve more than tol={tol:f} for "
                f"{n_iter_no_change} consecutive epochs."
            )
            if optimizer.trigger_stopping(msg, bool(verbose)):
                return True
            state.no_improvement_count = 0
    return False
