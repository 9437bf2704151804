"""The training loop: epochs of minibatch steps, clipping, stopping rules.

Nothing here knows scikit-learn: the estimator hands in validated arrays and
receives a :class:`TrainingState` back.  The stopping rules are those of
scikit-learn's ``MLPClassifier``: without early stopping, training stops when
the training loss has not improved by ``tol`` for ``n_iter_no_change``
consecutive epochs; with it, when the validation score (the output head's:
accuracy, subset accuracy or R^2) has not, and the weights of the best
validation epoch are kept.
"""

import contextlib
import copy
import math
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._batching import (
    concatenate_sequences,
    length_runs,
    minibatches,
    pad_concatenated,
    sample_order,
)
from ._optimizers import (
    BaseOptimizer,
    SGDOptimizer,
    clip_by_global_norm,
    clip_by_value,
)
from ._prediction import predict_logits
from ._progress import PROGRESS_DELAY, batch_progress
from ._shards import (
    ShardTask,
    ShardWorkers,
    _interrupts_held,
    release_lingering,
    shard_gradient,
    shard_workers,
)
from ._threads import map_tasks, thread_pool
from .nn import (
    HEADS,
    NetworkConfig,
    RowGrad,
    add_l2_penalty,
    sum_row_grads,
)
from .nn._embedding import embedding_backward

Params = dict[str, np.ndarray]

#: Minibatches of more documents than this are split into interleaved shards of
#: at most this many, whose gradients are computed independently (with
#: ``n_jobs``, in worker processes beside this one, or on threads) and summed.
#: The split depends on the batch alone, so that the model does not depend on
#: ``n_jobs``.
SHARD_SIZE = 32

#: A shard is padded to its longest document: one of more than this many
#: padded positions (documents x steps) is cut, longest documents first, so that
#: one long document does not make the arrays of a whole batch as long.  Memory
#: then follows the real lengths; ``max_length`` bounds the longest document.
MAX_SHARD_POSITIONS = 2**16


#: An epoch whose mean loss without the L2 penalty exceeds this many times
#: that of a guess that knows nothing (the head's ``reference_loss``: for
#: the softmax, the cross-entropy ``log(n_classes)`` of a uniform guess) has
#: diverged even if every number is still finite.
DIVERGED_LOSS_FACTOR = 1000.0

#: A network whose training loss stays above this many times the head's
#: reference loss in every epoch of a call fits worse than a guess that knows
#: nothing, and is warned about (:func:`_warn_if_worse_than_a_guess`): a
#: healthy fit starts at the constant guess, at most the reference, and ends
#: well below it.
WORSE_THAN_A_GUESS = 2.0

#: Weights that sum to more than this count, in an epoch's totals of losses
#: times weights, in units of a power of two near their sum (see
#: :func:`weight_unit`).
LARGE_TOTAL_WEIGHT = 2.0**512


@dataclass
class Dataset:
    """Token-id sequences with their targets and sample weights.

    The targets are as the output head takes them: class indices, or a
    float array of shape (n_samples, n_outputs).
    """

    sequences: Sequence[np.ndarray]
    y: np.ndarray
    sample_weight: np.ndarray
    lengths: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.lengths = np.fromiter(
            (len(s) for s in self.sequences), dtype=np.intp, count=len(self.sequences)
        )

    @cached_property
    def _concatenated(self) -> tuple[np.ndarray, np.ndarray]:
        """The sequences one after the other, and where each starts.

        What batches are padded from, in a few calls each; made at the first
        batch of several documents, so that a data set only split (early
        stopping's) or read one document at a time holds no copy.
        """
        return concatenate_sequences(self.sequences)

    def batch(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Padded ids and lengths of the sequences at ``indices`` (length-sorted)."""
        lengths = self.lengths[indices]
        if len(indices) == 1:
            return self.sequences[indices[0]][:, None], lengths
        tokens, starts = self._concatenated
        return pad_concatenated(tokens, starts[indices], lengths), lengths


@dataclass
class TrainingSettings:
    """How to take steps: everything about training but the stopping rules."""

    batch_size: int
    shuffle: bool
    alpha: float
    clip_value: float | None
    clip_norm: float | None
    frozen: frozenset[str] = frozenset()
    n_jobs: int | None = None
    adversarial_epsilon: float = 0.0


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
    #: Seed of early stopping's hold-out split, drawn by the first fit that
    #: uses one: warm starts hold out the same documents.
    validation_seed: int | None = None

    def restart_stopping(self) -> None:
        """Forget the stopping history, as a new ``fit`` on a warm start does."""
        self.validation_scores = []
        self.best_validation_score = -np.inf
        self.no_improvement_count = 0


class TrainingDivergedError(FloatingPointError):
    """The loss or the weights became NaN or infinite during training."""


def weight_unit(sample_weight: np.ndarray) -> float:
    """The power of two that an epoch's totals count the weights in.

    An epoch sums each batch's loss times its weight, in float64: weights
    whose sum float64 only just holds (fifty of 3.6e306) made that total
    infinite for a mean loss above 1 (five classes, three labels, the
    Poisson deviance), a divergence that was none.  Such weights count in
    units of a power of two near their sum, which divides the totals
    exactly: the mean loss is the same.  Weights that sum to at most
    :data:`LARGE_TOTAL_WEIGHT` (or to more than float64 holds, which the
    estimators divide by the largest first) count as they are.
    """
    total = float(np.sum(sample_weight, dtype=np.float64))
    if total <= LARGE_TOTAL_WEIGHT or math.isinf(total):
        return 1.0
    return 2.0 ** (math.frexp(total)[1] - 1)


def _shard_piece_size(length: int) -> int:
    return MAX_SHARD_POSITIONS // max(1, length)


def run_epoch(
    params: Params,
    optimizer: BaseOptimizer,
    data: Dataset,
    config: NetworkConfig,
    settings: TrainingSettings,
    rng: np.random.Generator,
    on_batch: Callable[[int], None] | None = None,
    *,
    workers: ShardWorkers | None = None,
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
        Batch size, shuffling, penalty, clipping, frozen parameters, threads.
    rng : numpy.random.Generator
        Source of shuffling and dropout.
    on_batch : callable, optional
        Called with the number of samples of each batch once it is done.
    workers : ShardWorkers, optional
        Worker processes that compute shards of the minibatches, on
        ``params`` (which they hold in shared memory); without them, shards
        run on ``settings.n_jobs`` threads.

    Returns
    -------
    float
        The mean training loss over the epoch, weighted by sample weight.

    Raises
    ------
    TrainingDivergedError
        If a loss or a weight is not finite, or the mean loss is NaN or
        exceeds :data:`DIVERGED_LOSS_FACTOR` times the head's reference loss.

    Notes
    -----
    The seed's settings (:func:`takes_per_sample_steps`) take the same steps
    through a path of their own, without the per-batch machinery that
    dominates the cost of a batch of one document.
    """
    per_sample = takes_per_sample_steps(params, optimizer, config, settings)
    unit = weight_unit(data.sample_weight)
    if per_sample and _PER_SAMPLE_STEPS:
        total_loss, total_weight = _per_sample_epoch(
            params, optimizer, data, settings, rng, on_batch, unit
        )
        total_penalty = 0.0
    else:
        total_loss, total_penalty, total_weight = _minibatch_epoch(
            params, optimizer, data, config, settings, rng, on_batch, unit, workers
        )
    if not all(np.isfinite(value).all() for value in params.values()):
        raise TrainingDivergedError("the weights became NaN or infinite")
    total_weight = max(total_weight, float(np.finfo(float).tiny))
    mean_loss = total_loss / total_weight
    reference = HEADS[config.head].reference_loss(
        data.y, data.sample_weight, config.n_outputs
    )
    if not mean_loss <= DIVERGED_LOSS_FACTOR * reference:
        raise TrainingDivergedError(f"the training loss exploded to {mean_loss:.4g}")
    return (total_loss + total_penalty) / total_weight


def _n_shards(settings: TrainingSettings, data: Dataset) -> int:
    """Shards of a whole minibatch (before long documents are cut apart)."""
    return -(-min(settings.batch_size, len(data.y)) // SHARD_SIZE)


def _minibatch_epoch(
    params, optimizer, data, config, settings, rng, on_batch, unit=1.0, workers=None
):
    """The steps of :func:`run_epoch`; the total loss, penalty and weight.

    The totals count the weights in units of ``unit`` (see :func:`weight_unit`).
    """
    total_loss = 0.0
    total_penalty = 0.0
    total_weight = 0.0
    dropout_rng = rng if config.draws_dropout else None
    if workers is not None:
        runners = contextlib.nullcontext(workers)
    else:
        runners = thread_pool(settings.n_jobs, _n_shards(settings, data))
    with runners as pool:
        for idx in minibatches(
            data.lengths, settings.batch_size, shuffle=settings.shuffle, rng=rng
        ):
            batch_weight = float(data.sample_weight[idx].sum())
            if batch_weight > 0:
                loss, penalty = _train_step(
                    params, optimizer, data, idx, config, settings, dropout_rng, pool
                )
                share = batch_weight / unit
                total_loss += loss * share
                total_penalty += penalty * share
                total_weight += share
            else:
                optimizer.skip_step()
            if on_batch is not None:
                on_batch(len(idx))
    return total_loss, total_penalty, total_weight


def _train_step(
    params: Params,
    optimizer: BaseOptimizer,
    data: Dataset,
    idx: np.ndarray,
    config: NetworkConfig,
    settings: TrainingSettings,
    dropout_rng: np.random.Generator | None,
    executor: Executor | ShardWorkers | None,
) -> tuple[float, float]:
    """One update from the minibatch ``idx``; returns its loss and L2 penalty."""
    # An optimizer with decoupled weight decay applies alpha itself.
    alpha = 0.0 if optimizer.decoupled_weight_decay else settings.alpha
    loss, penalty, grads = batch_loss_and_grad(
        params,
        data,
        idx,
        config,
        alpha,
        dropout_rng,
        executor,
        adversarial_epsilon=settings.adversarial_epsilon,
    )
    if not np.isfinite(loss + penalty):
        raise TrainingDivergedError(f"the training loss became {loss + penalty}")
    for name in settings.frozen:
        grads.pop(name, None)
    if settings.clip_value is not None:
        clip_by_value(grads, settings.clip_value)
    if settings.clip_norm is not None:
        clip_by_global_norm(grads, settings.clip_norm)
    optimizer.update_params(params, grads)
    return loss, penalty


def batch_loss_and_grad(
    params: Params,
    data: Dataset,
    idx: np.ndarray,
    config: NetworkConfig,
    alpha: float,
    dropout_rng: np.random.Generator | None,
    executor: Executor | ShardWorkers | None = None,
    *,
    adversarial_epsilon: float = 0.0,
) -> tuple[float, float, Params]:
    """Loss, L2 penalty and gradients of the minibatch ``idx``, shard by shard.

    A batch of more than :data:`SHARD_SIZE` documents is split into
    interleaved shards (each still sorted by length, and of similar lengths),
    and a shard of more than :data:`MAX_SHARD_POSITIONS` padded positions
    into runs of consecutive documents within it.  The shards' gradients are
    weighted by their share of the batch's sample weight and summed: the
    gradient of the batch's weighted mean loss.  Each shard draws its dropout
    masks from its own generator, seeded from ``dropout_rng``.

    Parameters
    ----------
    params : dict of ndarray
        The network's parameters (read only).
    data : Dataset
        The training data.
    idx : ndarray of int
        The batch, in decreasing order of length, with a positive total weight.
    config : NetworkConfig
        The architecture.
    alpha : float
        L2 penalty, added once for the whole batch.
    dropout_rng : numpy.random.Generator or None
        Source of the dropout masks; None turns dropout off.
    executor : concurrent.futures.Executor or ShardWorkers, optional
        Runs the shards: threads, or worker processes (that hold ``params``);
        None runs them in turn.
    adversarial_epsilon : float, default=0.0
        Adds each shard's adversarial loss (see :func:`~skrnn.nn.loss_and_grad`):
        its perturbations are per document, so the split does not change them.

    Returns
    -------
    loss : float
        The batch's loss (the head's), weighted by sample weight.
    penalty : float
        The L2 penalty's share of the batch's loss (0 without ``alpha``).
    grads : dict of ndarray
        The gradients of their sum, lookup tables as
        :class:`~skrnn.nn.RowGrad`.
    """
    n_shards = -(-len(idx) // SHARD_SIZE)
    shards = [
        piece
        for k in range(n_shards)
        for piece in length_runs(idx[k::n_shards], data.lengths, _shard_piece_size)
    ]
    shards = [shard for shard in shards if data.sample_weight[shard].sum() > 0]
    rngs = [dropout_rng] * len(shards)
    if dropout_rng is not None and len(shards) > 1:
        seeds = dropout_rng.integers(np.iinfo(np.int64).max, size=len(shards))
        rngs = [np.random.default_rng(seed) for seed in seeds]

    tasks = [
        ShardTask(
            *data.batch(shard),
            data.y[shard],
            data.sample_weight[shard],
            rng,
            adversarial_epsilon,
        )
        for shard, rng in zip(shards, rngs, strict=True)
    ]
    if isinstance(executor, ShardWorkers):
        results = executor.run(tasks)
    else:
        results = map_tasks(
            executor, lambda task: shard_gradient(params, config, task), tasks
        )
    weights = [float(data.sample_weight[shard].sum()) for shard in shards]
    total = sum(weights)
    if len(shards) == 1:
        loss, grads = results[0]
    else:
        scales = [weight / total for weight in weights]
        loss = sum(
            scale * result[0] for scale, result in zip(scales, results, strict=True)
        )
        grads = {}
        for name, first in results[0][1].items():
            parts = [result[1][name] for result in results]
            if isinstance(first, RowGrad):
                grads[name] = sum_row_grads(parts, scales)
                continue
            grads[name] = first * first.dtype.type(scales[0])
            for part, scale in zip(parts[1:], scales[1:], strict=True):
                grads[name] += part * part.dtype.type(scale)
    penalty = add_l2_penalty(params, grads, config, alpha, total) if alpha else 0.0
    return loss, penalty, grads


#: Whether :func:`run_epoch` takes the per-sample path where it applies; the
#: tests turn it off to train the same network through the general path.
_PER_SAMPLE_STEPS = True

#: The per-sample path's dense parameters, in the order of its flat buffers,
#: and its lookup table.
_DENSE = ("layer0.fwd.W_hh", "layer0.fwd.b_h", "head.W_hy", "head.b_y")
_TABLE = "layer0.fwd.W_xh"


def takes_per_sample_steps(
    params: Params,
    optimizer: BaseOptimizer,
    config: NetworkConfig,
    settings: TrainingSettings,
) -> bool:
    """Whether an epoch can take the per-sample path (the seed's settings).

    The seed's network and training (``skrnn.SEED_PARAMS``): batches of one
    document through one layer of the tanh RNN, read forwards over one-hot
    words, "last" pooling, no dropout, a softmax head, plain SGD (no
    momentum, no L2 penalty, no clipping by norm, nothing frozen, a rate
    that changes at most once an epoch), without adversarial training.
    """
    return (
        settings.batch_size == 1
        and config.cell == "rnn"
        and config.one_hot
        and config.num_layers == 1
        and not config.bidirectional
        and config.pooling == "last"
        and config.dropout == 0
        and config.head == "softmax"
        and settings.alpha == 0
        and settings.clip_norm is None
        and settings.adversarial_epsilon == 0
        and settings.frozen.isdisjoint(params)
        and type(optimizer) is SGDOptimizer
        and optimizer.momentum == 0
        and optimizer.learning_rate != "cosine"
    )


def _views(buffer: np.ndarray, shapes: Sequence[tuple[int, ...]]) -> list:
    """Consecutive views of ``buffer`` of the given shapes."""
    views, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        views.append(buffer[start : start + size].reshape(shape))
        start += size
    return views


def _per_sample_epoch(
    params: Params,
    optimizer: SGDOptimizer,
    data: Dataset,
    settings: TrainingSettings,
    rng: np.random.Generator,
    on_batch: Callable[[int], None] | None,
    unit: float = 1.0,
) -> tuple[float, float]:
    """An epoch of :func:`run_epoch` for :func:`takes_per_sample_steps`.

    Each step does the arithmetic of :func:`_train_step` on a batch of one
    document, operation for operation (``loss_and_grad``'s forward, pooling,
    cross-entropy and backward, ``clip_by_value``, the SGD update), so that
    the weights come out the same, without the general path's per-batch work
    (padding, shards, dicts of gradients, row-sparse sums, a call per
    parameter).  The dense parameters, their gradients and their velocities
    live in one flat buffer each for the epoch, so that clipping and the
    update are a few calls; the gradient rows of the lookup table ``W_xh``
    follow the dense gradients in theirs, and the table is updated by rows.

    Returns the epoch's total loss weighted by sample weight, and the total
    weight, the weights counted in units of ``unit`` (see :func:`weight_unit`).
    """
    W_xh, dtype = params[_TABLE], params[_TABLE].dtype
    velocity, table_velocity = optimizer.velocities, optimizer.velocities[_TABLE]
    shapes = [params[name].shape for name in _DENSE]
    n_dense, hidden_size = sum(math.prod(shape) for shape in shapes), W_xh.shape[1]
    longest = int(data.lengths.max(initial=0))
    flat = np.concatenate([params[name].ravel() for name in _DENSE])
    grad = np.empty(n_dense + longest * hidden_size, dtype)
    step = np.empty_like(grad)
    W_hh, b_h, W_hy, b_y = _views(flat, shapes)
    dW_hh, db_h, dW_hy, db_y = _views(grad, shapes)
    W_hh_T, W_hy_T = W_hh.T, W_hy.T
    drows = grad[n_dense:].reshape(longest, 1, hidden_size)
    step_rows = step[n_dense:].reshape(longest, hidden_size)
    hs = np.zeros((longest + 1, 1, hidden_size), dtype)
    # Python lists of the rows of the buffers, and of the views that a document
    # of n tokens works in: quicker to index than to make anew
    h_rows, da_rows = list(hs), list(drows)
    # np.minimum and np.maximum run several times faster against an array than
    # against a scalar, which they do not vectorise
    clip = settings.clip_value
    upper = np.full_like(grad, np.inf if clip is None else clip)
    lower = -upper
    views = [
        (
            grad[: n_dense + n * hidden_size],
            step[: n_dense + n * hidden_size],
            upper[: n_dense + n * hidden_size],
            lower[: n_dense + n * hidden_size],
            drows[:n].reshape(n, hidden_size),
            hs[1 : n + 1].reshape(n, hidden_size),
            hs[:n].reshape(n, hidden_size).T,
            step_rows[:n],
        )
        for n in range(longest + 1)
    ]
    dense_step = step[:n_dense]
    dh = np.empty((1, hidden_size), dtype)
    # The logits, then their gradient, which is b_y's: in b_y's gradient's place.
    dz = db_y.reshape(1, -1)
    neg_lr = dtype.type(-optimizer.current_learning_rate)
    weights, targets = data.sample_weight.tolist(), data.y.tolist()
    total_loss = total_weight = 0.0
    order = sample_order(data.lengths, shuffle=settings.shuffle, rng=rng)
    for i in order.tolist():
        weight = weights[i]
        if weight > 0:
            ids = data.sequences[i]
            n = len(ids)
            # h_t = tanh(h_{t-1} @ W_hh + W_xh[x_t] + b_h), h_0 = 0
            rows = W_xh[ids]
            xproj = rows + b_h
            if n:
                np.tanh(xproj[:1], out=h_rows[1])
            for t in range(1, n):
                h = h_rows[t + 1]
                np.dot(h_rows[t], W_hh, out=h)
                h += xproj[t]
                np.tanh(h, out=h)
            h = h_rows[n]
            # the log-softmax of the logits, as cross_entropy computes it
            z = np.dot(h, W_hy, out=dz)
            z += b_y
            z -= max(z[0].tolist())
            z -= np.log(np.add.reduce(np.exp(z), axis=None))
            target = targets[i]
            loss = -float(z[0, target])
            if not math.isfinite(loss):
                raise TrainingDivergedError(f"the training loss became {loss}")
            share = weight / unit
            total_loss += loss * share
            total_weight += share
            # undo the softmax and logits = h_n @ W_hy + b_y
            np.exp(z, out=dz)
            dz[0, target] -= 1.0
            np.dot(h.T, dz, out=dW_hy)
            np.dot(dz, W_hy_T, out=dh)
            # undo tanh and h_{t-1} @ W_hh, from the last step back
            g, v, g_max, g_min, da, outputs, inputs_T, rows_step = views[n]
            np.multiply(outputs, outputs, out=da)
            np.subtract(1.0, da, out=da)
            for t in range(n - 1, 0, -1):
                d = da_rows[t]
                d *= dh
                np.dot(d, W_hh_T, out=dh)
            da[:1] *= dh
            np.dot(inputs_T, da, out=dW_hh)
            np.add.reduce(da, axis=0, out=db_h)
            # undo the row gather: a word read twice sums its rows
            if len(set(ids.tolist())) < n:
                row_grad = embedding_backward(da, ids, len(W_xh))
                ids, n = row_grad.ids, len(row_grad.ids)
                da[:n] = row_grad.rows
                rows = W_xh[ids]
                g, v, g_max, g_min, _, _, _, rows_step = views[n]
            if clip is not None:
                np.minimum(g, g_max, out=g)
                np.maximum(g, g_min, out=g)
            np.multiply(g, neg_lr, out=v)
            flat += dense_step
            rows += rows_step
            W_xh[ids] = rows
            table_velocity[ids] = rows_step
        if on_batch is not None:
            on_batch(1)
    for name, param, v in zip(
        _DENSE, _views(flat, shapes), _views(step, shapes), strict=True
    ):
        params[name][...] = param
        if total_weight:
            velocity[name][...] = v
    return total_loss, total_weight


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
        Validation score of this epoch, or None without early stopping
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
    train_score: float | None,
    validation_score: float | None,
    seconds: float,
    score_name: str = "accuracy",
) -> str:
    """One line of progress: epoch, training loss and score, validation, time."""
    parts = [f"Epoch {state.n_iter}", f"loss = {state.loss_curve[-1]:.6f}"]
    if train_score is not None:
        parts.append(f"train {score_name} = {train_score:.4f}")
    if validation_score is not None:
        parts.append(f"validation {score_name} = {validation_score:.4f}")
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
        optimizer.release_scratch()
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
        Print one line per epoch when positive, and the progress within a
        first epoch that runs longer than ``PROGRESS_DELAY`` seconds; from 2
        on, the progress within every epoch.
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
    scikit-learn's MLP keeps its weights when interrupted; a second one
    while they are put back is held back until they all are.

    With ``settings.n_jobs`` of 2 or more, worker processes may compute
    shards of the minibatches (:func:`~skrnn._shards.shard_workers`): for the
    call, the values of ``params`` are then views of shared memory, and
    ordinary arrays again when it returns.
    """
    token_epochs = int(train.lengths.sum()) * max_epochs
    per_sample = takes_per_sample_steps(params, optimizer, config, settings)
    n_shards = 1 if per_sample else _n_shards(settings, train)
    first = len(state.loss_curve)
    try:
        with shard_workers(
            params, config, settings.n_jobs, n_shards, token_epochs
        ) as workers:
            stopped = _fit_epochs(
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
                workers=workers,
            )
        _warn_if_worse_than_a_guess(
            params, state.loss_curve[first:], train, config, settings
        )
        return stopped
    except KeyboardInterrupt:
        state.interrupted = True
    # the interrupted step's traceback held views of the workers' results
    release_lingering()
    return False


def _warn_if_worse_than_a_guess(
    params: Params,
    losses: Sequence[float],
    train: Dataset,
    config,
    settings: TrainingSettings,
) -> None:
    """Warn if a trained network fits its training data worse than a guess.

    A ConvergenceWarning when the network's loss on its training data, as
    it predicts (no dropout, no ``alpha`` penalty, no adversarial term),
    exceeds :data:`WORSE_THAN_A_GUESS` times the head's reference loss (for
    the softmax, ``log(n_classes)``, a uniform guess's): a learning rate too
    large for training to diverge outright (:data:`DIVERGED_LOSS_FACTOR`)
    left a model that predicts worse than the constant guess it started
    from, and said nothing.  That loss is computed only when the least of
    the training losses of the call's epochs (``losses``, which dropout,
    the penalty and the adversarial term raise) exceeds it, which a fit that
    learns does not.
    """
    if not losses:
        return
    head = HEADS[config.head]
    reference = head.reference_loss(train.y, train.sample_weight, config.n_outputs)
    bound = WORSE_THAN_A_GUESS * reference
    if settings.adversarial_epsilon:
        bound *= 2.0  # the loss of the clean and of the perturbed words
    if min(losses) <= bound:
        return
    logits = predict_logits(params, train.sequences, config)
    loss, _ = head.loss(
        logits.astype(np.float64), train.y, train.sample_weight.astype(np.float64)
    )
    if loss > WORSE_THAN_A_GUESS * reference:
        warnings.warn(
            f"The network's loss on its training data is {loss:.4g}, "
            f"{loss / reference:.3g} times that of a guess that knows nothing "
            f"({reference:.4g}): it fits its training data worse than the "
            "constant guess it started from. The learning rate "
            "(learning_rate_init) is probably too large.",
            ConvergenceWarning,
            stacklevel=2,
        )


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
    workers,
):
    """:func:`fit_epochs` without the handling of interrupts."""
    head = HEADS[config.head]
    for epoch in range(max_epochs):
        checkpoint = _Checkpoint(params, optimizer, rng)
        if on_epoch_begin is not None:
            on_epoch_begin()
        elapsed = epoch_timer()
        on_batch, close = None, None
        if verbose >= 2 or (verbose and epoch == 0):
            # verbose=1 shows the progress of a first epoch that runs long.
            delay = 0.0 if verbose >= 2 else PROGRESS_DELAY
            on_batch, close = batch_progress(
                state.n_iter + 1, len(train.y), delay=delay
            )
        # The epoch counts once its steps and its validation score are done;
        # an interrupt before that undoes it whole.
        try:
            loss = run_epoch(
                params,
                optimizer,
                train,
                config,
                settings,
                rng,
                on_batch,
                workers=workers,
            )
            score = None
            if validation is not None:
                logits = predict_logits(params, validation.sequences, config)
                score = head.score(logits, validation.y, validation.sample_weight)
        except KeyboardInterrupt:
            # whole, even if ^C comes again: a second one while undoing left
            # some parameters of the epoch, and its optimizer state
            with _interrupts_held():
                checkpoint.restore(params, optimizer, rng)
            raise
        finally:
            if close is not None:
                close()
        state.n_iter += 1
        state.t += len(train.y)
        state.loss_curve.append(loss)
        update_stopping(state, params, tol=tol, validation_score=score)
        optimizer.iteration_ends(state.t)
        if verbose:
            logits = predict_logits(params, train.sequences, config)
            train_score = head.score(logits, train.y, train.sample_weight)
            print(format_epoch(state, train_score, score, elapsed(), head.score_name))
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
