"""The shards of a minibatch, computed in worker processes beside this one.

Training splits a minibatch into shards whose gradients are summed (see
:func:`skrnn._training.batch_loss_and_grad`).  On threads, shards of a few
dozen documents gain little: a step of a shard is a product and a dozen
calls of a few microseconds, each handing the GIL over twice
(``benchmarks/two_cores.py``).  Worker processes have no GIL to share.
:class:`ShardWorkers` keeps the network's parameters in shared memory for
one call of ``fit_epochs``, and worker processes (a pool of loky's, kept
from fit to fit) compute shards beside this process:

* at each step, this process gives a worker that has nothing left to do
  some of the step's shards (one message through a pipe) and computes the
  others itself;
* a worker marks each shard it starts, and when done writes its gradients
  in a block of shared memory of its own and sends back its loss (a short
  message: a pickled gradient took the pipe several hundred microseconds,
  milliseconds when the machine was busy), or sends them whole for a shard
  beyond the block's few slots, or without shared memory enough for the
  block; this process takes the shards
  of a worker that has started none of them by the time its own are done,
  so that a worker that the machine's other work keeps waiting, or that is
  still starting, costs at most their time, and a worker that dies costs
  nothing but itself;
* a worker only reads the parameters, and only during a step: this process
  updates them once every shard of the step is in; it writes a shard's
  gradients in its block only when given the shard, and this process
  reads them there before it gives it the next;
* the warnings that a worker's shards issue are issued again in this
  process, and a shard that raises in a worker is computed again here,
  where it raises the same: the caller sees what one process shows.

Whichever process computes a shard, its gradient is the same to the bit (one
BLAS thread in each), and the shards are the same whatever ``n_jobs``: so is
the model.
"""

import array
import collections
import contextlib
import ctypes
import functools
import math
import multiprocessing.connection
import multiprocessing.resource_sharer
import multiprocessing.resource_tracker
import os
import queue
import signal
import socket
import struct
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from multiprocessing.shared_memory import SharedMemory

import numpy as np
from joblib import effective_n_jobs

from ._threads import (
    in_forked_children,
    processes_can_run,
    single_threaded_blas,
    worker_processes,
)
from .nn import NetworkConfig, RowGrad, loss_and_grad

__all__ = [
    "SHARD_WORKERS_MIN_TOKENS",
    "ShardTask",
    "ShardWorkers",
    "n_shard_workers",
    "release_lingering",
    "shard_gradient",
    "shard_workers",
]

Params = dict[str, np.ndarray]

#: Training that starts worker processes must have at least this many
#: token-epochs (tokens of the training documents times epochs; 2 epochs of
#: MR's 200,000 tokens): starting a worker takes a second or so of the other
#: core when the pool is not running yet, and a fit of fewer tokens is
#: over in about as long.
SHARD_WORKERS_MIN_TOKENS = 2**18

#: A worker whose shards of a step are not done this many seconds, and
#: :data:`WORKER_TIMEOUT_FACTOR` times as long as this process took for its
#: own, after this process's are done, is dropped for the rest of the fit
#: and its shards computed here.
WORKER_TIMEOUT = 10.0
WORKER_TIMEOUT_FACTOR = 50.0

#: In every :data:`EXPLORE_EVERY` steps (:data:`EXPLORE_ALONE_EVERY` while
#: the workers are clearly the faster: :data:`CLEARLY_FASTER`), the first
#: :data:`EXPLORE_STEPS` go the way that has been the slower (with the
#: workers or alone), and each way is judged by the seconds per padded token
#: position of its last :data:`JUDGED_STEPS` steps but those just after a
#: change of way (a worker idle for a while, or the training process's
#: caches, start slow): see :meth:`ShardWorkers._way`.
EXPLORE_EVERY = 32
EXPLORE_ALONE_EVERY = 256
EXPLORE_STEPS = 3
JUDGED_STEPS = 16

#: The workers are clearly the faster when their steps take at most this
#: share of the time of the steps alone (per padded position), over at
#: least :data:`CLEARLY_JUDGED` steps alone.
CLEARLY_FASTER = 0.8
CLEARLY_JUDGED = 4


@dataclass(frozen=True)
class ShardTask:
    """One shard of a minibatch: what its loss and gradients are computed from.

    Parameters
    ----------
    ids : ndarray of int of shape (n_steps, n_samples)
        Padded, time-major token ids.
    lengths : ndarray of shape (n_samples,)
        Lengths in decreasing order.
    y : ndarray
        The targets, as the output head takes them.
    sample_weight : ndarray of shape (n_samples,)
        The documents' weights.
    rng : numpy.random.Generator or None
        The shard's source of dropout masks; None turns dropout off.
    adversarial_epsilon : float
        See :func:`~skrnn.nn.loss_and_grad`.
    """

    ids: np.ndarray
    lengths: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray
    rng: np.random.Generator | None
    adversarial_epsilon: float


def shard_gradient(
    params: Params, config: NetworkConfig, task: ShardTask
) -> tuple[float, Params]:
    """The loss of a shard and its gradients (:func:`~skrnn.nn.loss_and_grad`)."""
    return loss_and_grad(
        params,
        task.ids,
        task.lengths,
        task.y,
        config,
        sample_weight=task.sample_weight,
        rng=task.rng,
        adversarial_epsilon=task.adversarial_epsilon,
    )


def _allocate(size: int) -> SharedMemory:
    """A new block of ``size`` bytes of shared memory, all of it there.

    Raises OSError where the system gives no shared memory, or not that
    much: on Linux, a block is a file of ``/dev/shm``, whose pages are
    taken as they are first written, and a write beyond what is free there
    (Docker gives containers 64 MB) is a SIGBUS that kills the process.
    So the pages are reserved at once, where the system can do it.
    """
    memory = SharedMemory(create=True, size=size)
    # SharedMemory keeps the file descriptor of its block on POSIX systems
    fd = getattr(memory, "_fd", -1)
    try:
        if fd >= 0 and hasattr(os, "posix_fallocate"):
            os.posix_fallocate(fd, 0, size)
    except BaseException:  # an interrupt too: a large block takes a while
        memory.close()
        memory.unlink()
        raise
    return memory


def _attach(name: str, layout) -> tuple[SharedMemory, Params, np.ndarray]:
    """The parameters that another process keeps in the shared memory ``name``.

    Read only, and the shards it took (:func:`_taken`).
    """
    memory = _open(name)
    params = _views(memory, layout)
    for value in params.values():
        value.flags.writeable = False
    return memory, params, _taken(memory)


def _open(name: str) -> SharedMemory:
    """The shared memory ``name``, which another process created (and frees)."""
    # Python 3.13 lets a process attach without tracking the memory, which
    # its creator frees; before, the worker shares its creator's tracker.
    kwargs = {"track": False} if sys.version_info >= (3, 13) else {}
    return SharedMemory(name=name, **kwargs)


def _taken(memory: SharedMemory) -> np.ndarray:
    """The block's first numbers: which process computes each shard of a step.

    ``taken[0, i] == step`` when the training process computes shard ``i``
    of ``step`` itself, which a worker then skips if it has not started it;
    ``taken[1, i] == step`` once a worker has started it.  Written and read
    in shared memory, not sent: a message from a worker whose computing
    holds the interpreter could wait for it for milliseconds.
    """
    return np.frombuffer(memory.buf, np.int64, count=2 * TAKEN_SLOTS).reshape(
        2, TAKEN_SLOTS
    )


#: Shards of a step whose taking back and starting are told (the first ones;
#: a worker computes the others, if it starts them, perhaps for nothing).
TAKEN_SLOTS = 1024

#: Result slots of a worker: the shards of a step (its first ones) whose
#: gradients it writes in shared memory; those of any other shard it is
#: given come through the pipe.  Each slot holds every dense gradient in
#: full: slots for all of a large batch's shards took several times the
#: parameters' memory (456 MB for 67 MB of parameters, batches of 2,048).
SLOTS_PER_WORKER = 2

#: Rows of a lookup table's gradient that a worker's result slot holds (a
#: shard of 32 short documents reads a few hundred distinct words); a
#: gradient of more rows, as a shard of long documents has, goes through
#: the pipe.
SLOT_TABLE_ROWS = 4096


@dataclass(frozen=True)
class _InSlot:
    """A gradient that a worker wrote in its result slot, sent in its place.

    ``n_rows`` is the number of rows of a lookup table's gradient
    (:class:`~skrnn.nn.RowGrad`, whose ``n_vocab`` and type of ids are given
    too), or -1 for a dense gradient.
    """

    n_rows: int = -1
    n_vocab: int = 0
    ids_dtype: str = ""


def _slot_layout(
    params: Params, config: NetworkConfig, n_slots: int
) -> tuple[list, int]:
    """Where the gradients of a worker's ``n_slots`` result slots lie in its block.

    Entries ``((slot, name, part), shape, dtype, offset)`` as :func:`_views`
    takes them: the part ``"array"`` of a dense gradient, and ``"ids"`` and
    ``"rows"`` of a lookup table's (at most :data:`SLOT_TABLE_ROWS` rows);
    and the block's size in bytes.
    """
    layout, offset = [], 0
    for slot in range(n_slots):
        for name, value in params.items():
            if name in config.lookup_tables:
                n_rows = min(value.shape[0], SLOT_TABLE_ROWS)
                parts = [
                    ("ids", (n_rows * 8,), np.dtype(np.uint8)),  # any integers
                    ("rows", (n_rows, *value.shape[1:]), value.dtype),
                ]
            else:
                parts = [("array", value.shape, value.dtype)]
            for part, shape, dtype in parts:
                offset = -(-offset // 64) * 64
                layout.append(((slot, name, part), shape, dtype.str, offset))
                offset += math.prod(shape) * dtype.itemsize
    return layout, offset


def _store(result: tuple[float, Params], slots: dict, slot: int) -> tuple:
    """``result`` with the gradients that fit written in ``slots[slot]``.

    Each gradient written there is replaced by an :class:`_InSlot`; one that
    does not fit (a slot beyond the worker's, a table's gradient of too many
    rows, another shape or type) stays, to be pickled.
    """
    loss, grads = result
    stored = {}
    for name, grad in grads.items():
        stored[name] = grad
        if isinstance(grad, RowGrad):
            ids = slots.get((slot, name, "ids"))
            rows = slots.get((slot, name, "rows"))
            n_rows = len(grad.ids)
            if (
                ids is not None
                and n_rows <= len(rows)
                and grad.ids.dtype.itemsize <= 8
                and grad.rows.dtype == rows.dtype
                and grad.rows.shape[1:] == rows.shape[1:]
            ):
                ids.view(grad.ids.dtype)[:n_rows] = grad.ids
                rows[:n_rows] = grad.rows
                stored[name] = _InSlot(n_rows, grad.n_vocab, grad.ids.dtype.str)
        elif isinstance(grad, np.ndarray):
            array = slots.get((slot, name, "array"))
            if (
                array is not None
                and array.shape == grad.shape
                and array.dtype == grad.dtype
            ):
                array[...] = grad
                stored[name] = _InSlot()
    return loss, stored


def _load(result: tuple, slots: dict, slot: int) -> tuple[float, Params]:
    """A result of :func:`_store`, its gradients read-only views of ``slots``."""
    loss, stored = result
    grads = {}
    for name, grad in stored.items():
        if isinstance(grad, _InSlot) and grad.n_rows < 0:
            grad = slots[slot, name, "array"]
        elif isinstance(grad, _InSlot):
            grad = RowGrad(
                slots[slot, name, "ids"].view(grad.ids_dtype)[: grad.n_rows],
                slots[slot, name, "rows"][: grad.n_rows],
                grad.n_vocab,
            )
        grads[name] = grad
    return loss, grads


def _views(memory: SharedMemory, layout) -> Params:
    # np.frombuffer holds the buffer: the memory cannot be closed (unmapped)
    # under an array that still uses it.
    return {
        name: np.frombuffer(
            memory.buf, dtype, count=math.prod(shape), offset=offset
        ).reshape(shape)
        for name, shape, dtype, offset in layout
    }


def _free(memory: SharedMemory) -> None:
    """Unlink ``memory`` (this process created it) and unmap it (:func:`_close`)."""
    with contextlib.suppress(FileNotFoundError):
        memory.unlink()
    _close(memory)


def _close(memory: SharedMemory) -> None:
    """Unmap ``memory``, or if arrays still use it, once they no longer do."""
    _LINGERING.append(memory)
    release_lingering()


def release_lingering() -> None:
    """Unmap the shared memory of :data:`_LINGERING` that no array uses now.

    Called by :func:`_close`, and once an interrupted fit's traceback, whose
    frames held views of its workers' results, is gone.
    """
    for kept in list(_LINGERING):
        with contextlib.suppress(BufferError):
            kept.close()
            _LINGERING.remove(kept)


#: Shared memory that arrays kept elsewhere (by a callback, past the end of
#: the fit) still used when it was to be closed: :func:`_close` tries again.
_LINGERING: list[SharedMemory] = []


#: Seconds that an idle worker process of :func:`_worker_pool` waits for a
#: task before it ends, as joblib's own workers do.
WORKER_IDLE_TIMEOUT = 300


def _worker_pool(n_workers: int, renew: bool = False, kind: str = "shards"):
    """The pool of ``n_workers`` worker processes of skrnn's, kept from fit to fit.

    Not joblib's reusable pool, which joblib's calls make with arguments of
    their own: a pool of other arguments in its place made joblib's next call
    fail, and a call of joblib's replaces one.  A pool of another size, or
    any with ``renew`` (a worker of it died: loky's pool is then broken), is
    replaced by a new one; the processes of the old one end once their
    tasks do.  Each ``kind`` of work has a pool of its own: the shards of a
    fit, and prediction's worker (:mod:`skrnn._prediction_workers`), whose
    task lasts as long as the worker.
    """
    from joblib.externals.loky import ProcessPoolExecutor

    size, pool = _POOL.get(kind, (None, None))
    if renew or size != n_workers:
        if pool is not None:
            pool.shutdown(wait=False)
        pool = ProcessPoolExecutor(
            n_workers, timeout=WORKER_IDLE_TIMEOUT, initializer=_prepare_worker
        )
        _POOL[kind] = (n_workers, pool)
    return pool


def _prepare_worker() -> None:
    """Ignore ^C in this worker, and keep its heap from step to step.

    A terminal sends ^C to every process of the job; a worker that it ended
    broke the pool (the next fit started a new one) and printed its traceback.
    The training process closes the pipes of an interrupted fit.  The heap:
    :func:`_keep_heap`.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _keep_heap()


#: Blocks of up to this many bytes come from the heap of a worker process,
#: which keeps up to twice as much free memory (:func:`_keep_heap`): glibc's
#: most for the threshold that it raises by itself.
HEAP_BLOCK_BYTES = 32 * 2**20

# glibc's mallopt parameters
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def _keep_heap(block_bytes: int = HEAP_BLOCK_BYTES) -> bool:
    """Keep the memory of a step's arrays in this process from step to step.

    A shard's arrays (its gates and states, megabytes each) are allocated
    and freed at every step.  glibc's malloc gives a block above its
    threshold a mapping of its own, and returns the free memory at the top
    of the heap to the system once there is more than twice the threshold;
    the threshold is 128 kB in a new process and is raised to the size of
    each mapped block freed.  The training process had long freed larger
    blocks; a new worker process had not, and took its arrays' pages anew
    at every step, each page a fault that zeroes it: 657 a step against the
    training process's 1 for config b of ``benchmarks/shard_steps.py``,
    whose worker computed 22% slower.  This sets what glibc's own rule
    reaches once a process has freed a block of ``block_bytes``: blocks of
    up to that from the heap, and up to twice that kept free at its top.

    Parameters
    ----------
    block_bytes : int, default=HEAP_BLOCK_BYTES
        The largest block taken from the heap.

    Returns
    -------
    bool
        Whether it was set: with glibc only (elsewhere nothing is done).
    """
    try:
        glibc = (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
        mallopt = ctypes.CDLL(None).mallopt if glibc else None
    except (AttributeError, OSError, TypeError, ValueError):
        mallopt = None
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(
        mallopt(_M_MMAP_THRESHOLD, block_bytes)
        and mallopt(_M_TRIM_THRESHOLD, 2 * block_bytes)
    )


#: The pools of :func:`_worker_pool` by kind, and their sizes.
_POOL: dict = {}

# A forked child has none of the parent's pool's threads: a pool of its own.
in_forked_children(_POOL.clear)


def _forget_parents_resource_sharer() -> None:
    """In a forked child, drop the parent's sharer of the pipes sent to workers.

    A pipe end given to a pool's task (the workers' of training and of
    prediction) goes to the worker through multiprocessing's resource
    sharer: registered under a number, fetched by the worker from the
    sharer's listening thread.  A child forked by ``os.fork`` (not by
    multiprocessing, which resets it) kept the parent's: its workers asked
    the parent's thread for the child's numbers, which were not there
    ("KeyError" tracebacks printed by the parent, workers that never
    started, a new process spawned at each call) or were the parent's own
    (a child's worker given the parent's pipe).  Reset as multiprocessing
    resets it in the children it forks: the parent's listener is closed
    here (not unlinked: its finalizer is the parent's) and a new one is
    started at the next pipe sent.
    """
    sharer = getattr(multiprocessing.resource_sharer, "_resource_sharer", None)
    after_fork = getattr(sharer, "_afterfork", None)
    if callable(after_fork):
        after_fork()


in_forked_children(_forget_parents_resource_sharer)


def _free_resource_tracker_lock() -> None:
    """In a forked child, a new lock for multiprocessing's resource tracker.

    A thread of the parent may hold it at the fork: one that starts a
    worker process in the background (as prediction's worker starts,
    :mod:`skrnn._prediction_workers`) holds it while loky launches the
    process.  The child inherited it held, by a thread it does not have:
    its first block of shared memory (an ``n_jobs=2`` fit's or prediction's)
    waited for it forever.  Python 3.14's tracker makes a new one itself
    (``_after_fork_in_child``), as loky's does for its own tracker.
    """
    tracker = getattr(multiprocessing.resource_tracker, "_resource_tracker", None)
    if tracker is None or hasattr(tracker, "_after_fork_in_child"):
        return
    reinit = getattr(getattr(tracker, "_lock", None), "_at_fork_reinit", None)
    if callable(reinit):
        reinit()


in_forked_children(_free_resource_tracker_lock)


def _serve(
    connection,
    memory_name: str,
    layout,
    config: NetworkConfig,
    errstate: dict,
    slots_name: str | None,
    slot_layout,
) -> None:
    """A worker: the shards it is sent, until the pipe closes.

    Each message is a step and a list of ``(index, ShardTask)``.  The worker
    marks each shard started in the block (:func:`_taken`), writes the
    gradients of the message's ``k``-th shard in its slot ``k`` of the block
    ``slots_name`` (:func:`_store`; None: no block, all through the pipe),
    and sends ``("done", step, index, (loss, grads), warned)`` after it,
    ``grads`` what :func:`_store` left, ``warned`` the warnings that
    computing it issued (:func:`_caught`), through its sender thread
    but for the message's last shard, sent at once (:func:`_send_now`), or
    ``("failed", step, index)`` if it raised (the other process computes the
    shard again, and raises there); ``("skipped", step, index)`` for a shard
    that the other process took back before the worker started it.
    Floating-point errors are handled as ``errstate`` says, as in the
    training process.
    """
    memory, params, taken = _attach(memory_name, layout)
    slots_memory = None if slots_name is None else _open(slots_name)
    slots = {} if slots_memory is None else _views(slots_memory, slot_layout)
    # A thread sends the messages: a result larger than the pipe holds waits
    # there until the training process reads it, after its own shards, and
    # the worker goes on with its next shard meanwhile.  The result of the
    # message's last shard, if small, goes at once (_send_now).
    outbox: queue.SimpleQueue = queue.SimpleQueue()
    sending = threading.Lock()
    sender = threading.Thread(target=_send_all, args=(connection, outbox, sending))
    sender.start()
    direct_bytes = _direct_bytes(connection)
    try:
        outbox.put(("ready", os.getpid()))
        with single_threaded_blas(), np.errstate(**errstate):
            while True:
                step, shards = connection.recv()
                for slot, (index, task) in enumerate(shards):
                    if index < TAKEN_SLOTS:
                        if taken[0, index] == step:
                            outbox.put(("skipped", step, index))
                            continue
                        taken[1, index] = step
                    try:
                        # all of them, for the training process's filters
                        with warnings.catch_warnings(record=True) as records:
                            warnings.simplefilter("always")
                            result = shard_gradient(params, config, task)
                    except Exception:
                        outbox.put(("failed", step, index))
                    else:
                        result = _store(result, slots, slot)
                        message = ("done", step, index, result, _caught(records))
                        if slot < len(shards) - 1 or not _send_now(
                            connection, message, outbox, sending, direct_bytes
                        ):
                            outbox.put(message)
    except (EOFError, OSError):
        pass  # the training process closed the pipe: the fit is over
    finally:
        outbox.put(None)
        sender.join()
        del params, taken, slots
        _close(memory)
        if slots_memory is not None:
            _close(slots_memory)
        connection.close()


def _caught(records: list[warnings.WarningMessage]) -> list[tuple]:
    """The distinct warnings of ``records``, as :func:`_warn_here` takes them.

    Each is its category, text, place (file and line) and the name of the
    module where it was issued, which filters match.
    """
    modules = {}
    if records:
        modules = {
            getattr(module, "__file__", None): name
            for name, module in list(sys.modules.items())
        }
    caught = (
        (
            record.category,
            str(record.message),
            record.filename,
            record.lineno,
            modules.get(record.filename),
        )
        for record in records
    )
    return list(dict.fromkeys(caught))


def _warn_here(warned: Sequence[tuple]) -> None:
    """Issue in this process the warnings that a worker caught (:func:`_caught`).

    As if issued here: the same filters decide, and a warning shown is not
    shown again where the module's record of them (or, for a module not
    found here, this module's) says it was.
    """
    for category, text, filename, lineno, module in warned:
        registry = _WARNING_REGISTRY
        if module in sys.modules:
            registry = vars(sys.modules[module]).setdefault("__warningregistry__", {})
        # what Python makes of a place of no module (a function sent by
        # value): a module of None was never shown
        module = module or _module_of(filename)
        warnings.warn_explicit(text, category, filename, lineno, module, registry)


def _module_of(filename: str | None) -> str:
    """The module name that :mod:`warnings` gives a place of no known module."""
    module = filename or "<unknown>"
    return module[:-3] if module[-3:].lower() == ".py" else module


#: The record of the warnings of workers that :func:`_warn_here` issued for
#: modules that it did not find.
_WARNING_REGISTRY: dict = {}


def _send_now(
    connection,
    message: tuple,
    outbox: queue.SimpleQueue,
    sending: threading.Lock,
    direct_bytes: int,
) -> bool:
    """Send ``message`` from this thread, if it is small and the sender is idle.

    The last result of a worker's step, its gradients in its slot, is a
    message of a few hundred bytes, and the worker has nothing else to do:
    handed to the sender thread, it waited for the thread to be woken and
    scheduled (0.1-0.6 ms, ``benchmarks/shard_steps.py``) while the
    training process waited for it.  Sent here only when nothing waits in
    ``outbox`` and the sender thread is not sending (it holds ``sending``
    while it does): two threads writing to the pipe at once would mix their
    messages.  A message of at most ``direct_bytes`` bytes (a quarter of
    the pipe's buffer), which the training process, waiting for the step's
    results, reads at once.

    Returns
    -------
    bool
        Whether it was sent; if not, it is the sender thread's to send.
        A failure of the pipe is raised (OSError, ValueError).
    """
    if not outbox.empty() or not sending.acquire(blocking=False):
        return False
    try:
        try:
            data = ForkingPickler.dumps(message)
        except Exception:
            return False  # the sender thread fails on it, and says why
        if len(data) > direct_bytes:
            return False
        connection.send_bytes(data)
    finally:
        sending.release()
    return True


def _send_all(
    connection,
    outbox: queue.SimpleQueue,
    sending: contextlib.AbstractContextManager | None = None,
) -> None:
    """Send the messages put in ``outbox`` until None; shut the pipe on a failure.

    A message of bytes (a memoryview) is sent as it is: pickled already.
    The thread holds ``sending``, if given, while it sends.

    A message that cannot be sent (the pipe broke, or the message cannot be
    pickled) ends the sending, and the pipe is shut: the other process
    finds it closed at once and stops using this one, rather than waiting
    for messages that will never come.  A failure other than of the pipe is
    raised again, for the thread's hook to show; but not once this process
    has closed the pipe (a worker dropped, the interpreter exiting) in the
    middle of a message, whose next write then fails with a TypeError
    (``multiprocessing`` writes to a handle of None): that is the pipe's end.
    """
    try:
        while (message := outbox.get()) is not None:
            with sending or contextlib.nullcontext():
                if isinstance(message, (bytes, memoryview)):
                    connection.send_bytes(message)
                else:
                    connection.send(message)
    except (OSError, ValueError):
        _shut(connection)
    except BaseException:
        _shut(connection)
        if not connection.closed:
            raise


def _shut(connection) -> None:
    """Shut both ways of the pipe ``connection``, for both its ends.

    A process (or thread) that waits to read from it or to write to it finds
    it closed.  Where pipes are sockets (POSIX); elsewhere, nothing.
    """
    if os.name == "posix":
        with contextlib.suppress(OSError, ValueError), _socket(connection) as end:
            end.shutdown(socket.SHUT_RDWR)


def _socket(connection) -> socket.socket:
    """A socket of the pipe ``connection`` (on POSIX), to close after use."""
    end = socket.fromfd(connection.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
    # A default timeout (socket.setdefaulttimeout) makes a new socket, and
    # so the pipe, non-blocking: the pipe's reads and writes would fail.
    end.settimeout(None)
    return end


def _direct_bytes(connection) -> int:
    """A quarter of the send buffer of the pipe ``connection``.

    Where pipes are sockets (POSIX); 0 elsewhere.
    """
    if os.name == "posix":
        with contextlib.suppress(OSError, ValueError), _socket(connection) as end:
            return end.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) // 4
    return 0


def _unsent_bytes(connection) -> int | None:
    """Bytes sent through the pipe ``connection`` that the other end has not read.

    Where the system tells (Linux's ``SIOCOUTQ`` of a socket); None elsewhere.
    """
    try:
        import fcntl
        import termios
    except ImportError:  # not POSIX
        return None
    with contextlib.suppress(AttributeError, OSError, ValueError):
        count = array.array("i", [0])
        fcntl.ioctl(connection.fileno(), termios.TIOCOUTQ, count, True)
        return count[0]
    return None


def _limit_reads(connection, seconds: float) -> None:
    """Make a read of ``connection`` wait at most ``seconds`` for each part.

    A worker stopped (suspended, or kept off the cores) in the middle of
    sending a message kept ``connection.recv()`` waiting for the rest for
    ever; it now raises OSError once it gets nothing for ``seconds``
    (``SO_RCVTIMEO``, where pipes are sockets).
    """
    if os.name == "posix":
        whole, fraction = divmod(seconds, 1.0)
        limit = struct.pack("@ll", int(whole), int(fraction * 1e6))
        with contextlib.suppress(OSError, ValueError), _socket(connection) as end:
            end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, limit)


class _Worker:
    """One worker as the training process sees it: its pipe, what it was sent."""

    def __init__(
        self, connection, other_end, future, slots=None, slot_memory=None
    ) -> None:
        self.connection = connection
        _limit_reads(connection, WORKER_TIMEOUT)
        # A thread sends the shards: a message larger than the pipe holds
        # waits there until the worker reads it, and this process computes
        # its own shards meanwhile (and takes the worker's back if it is
        # kept from reading them).
        self.outbox: queue.SimpleQueue = queue.SimpleQueue()
        self.sender = threading.Thread(
            target=_send_all, args=(connection, self.outbox), daemon=True
        )
        self.sender.start()
        # Messages of at most this many bytes are sent by this process's
        # own thread, not the sender, so that sending never waits.
        self.direct_bytes = _direct_bytes(connection)
        # the worker's end, kept open until the worker has it
        self.other_end = other_end
        self.future = future
        self.ready = False
        self.pid: int | None = None
        # the step and shard indices sent and not yet done (or failed)
        self.step = 0
        self.pending: set[int] = set()
        # the worker's result slots (read only) and their block (None: its
        # results come through the pipe), and the slot of each shard sent:
        # the k-th of the step's message
        self.slots = slots or {}
        self.slot_memory: SharedMemory | None = slot_memory
        self.slot_of: dict[int, int] = {}

    @property
    def free(self) -> bool:
        return self.ready and not self.pending


class ShardWorkers:
    """Worker processes that compute shards of this fit's minibatches.

    On creation, the values of ``params`` are replaced by views of one block
    of shared memory, holding the same numbers; :meth:`close` puts ordinary
    arrays back.  Use it as a context manager.

    Parameters
    ----------
    params : dict of ndarray
        The network's parameters; its values are replaced (see above).
    config : NetworkConfig
        The architecture.
    n_workers : int
        Worker processes to start (those of :func:`_worker_pool`).
    n_slots : int, default=SLOTS_PER_WORKER
        Shards of a step whose gradients a worker writes in shared memory
        (a block of its own for each); it sends those of any others it is
        given through its pipe, and all of them where the system has not
        shared memory enough for its block.
    """

    def __init__(
        self,
        params: Params,
        config: NetworkConfig,
        n_workers: int,
        n_slots: int = SLOTS_PER_WORKER,
    ) -> None:
        self._params = params
        self._config = config
        self._n_slots = n_slots
        self._step = 0
        self._workers: list[_Worker] = []
        self._taken = None
        # the warnings that the workers' shards of this step issued, by shard
        self._warned: dict[int, list] = {}
        # the way of the last step (with the workers or alone), and the
        # seconds per padded position of the last steps, with and without
        # the workers
        self._last_way: bool | None = None
        self._rates = {
            True: collections.deque(maxlen=JUDGED_STEPS),
            False: collections.deque(maxlen=JUDGED_STEPS),
        }
        layout, offset = [], 2 * TAKEN_SLOTS * 8
        for name, value in params.items():
            offset = -(-offset // 64) * 64  # aligned for SIMD loads
            layout.append((name, value.shape, value.dtype.str, offset))
            offset += value.nbytes
        self._memory = _allocate(max(offset, 1))
        # a fit on a daemon thread, whose workers are stopped at exit
        self._daemon = threading.current_thread().daemon
        try:
            self._taken = _taken(self._memory)
            shared = _views(self._memory, layout)
            for name, value in params.items():
                shared[name][...] = value
            params.update(shared)
            with _RUNNING_LOCK:
                _RUNNING.add(self)
            self._start_workers(layout, n_workers)
        except BaseException:
            # an interrupt (^C) before the fit starts: no memory is kept
            self.close()
            raise

    def _start_workers(self, layout, n_workers: int) -> None:
        """Start ``n_workers`` workers, or none if processes cannot start here."""
        from joblib.externals.loky import BrokenProcessPool

        try:
            try:
                self._submit(layout, n_workers, renew=False)
            except BrokenProcessPool:
                # a worker of the pool died (in an earlier fit): a new pool
                self._drop_all()
                self._submit(layout, n_workers, renew=True)
        except Exception:
            # No processes here (a daemonic process, a broken pool): every
            # shard is computed in this process, to the same model.
            self._drop_all()

    def _submit(self, layout, n_workers: int, renew: bool) -> None:
        if n_workers == 0 or _EXITING:
            return
        pool = _worker_pool(n_workers, renew=renew)
        slot_layout, size = _slot_layout(self._params, self._config, self._n_slots)
        for _ in range(n_workers):
            # Without shared memory enough for the slots, the worker sends
            # its results through the pipe, as it does those beyond them.
            memory, slots = None, {}
            with contextlib.suppress(OSError):
                memory = _allocate(max(size, 1))
                slots = _views(memory, slot_layout)
            for value in slots.values():
                value.flags.writeable = False
            try:
                here, there = multiprocessing.Pipe()
                future = pool.submit(
                    _serve,
                    there,
                    self._memory.name,
                    layout,
                    self._config,
                    np.geterr(),
                    None if memory is None else memory.name,
                    slot_layout,
                )
                _stop_at_exit()
                # (its sender thread may fail to start, or be interrupted)
                self._workers.append(_Worker(here, there, future, slots, memory))
                if _EXITING and self._daemon:  # since the exit's look
                    _shut(here)
            except BaseException:
                slots = {}
                if memory is not None:
                    _free(memory)
                raise

    def __enter__(self) -> "ShardWorkers":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def run(self, tasks: Sequence[ShardTask]) -> list[tuple[float, Params]]:
        """Each shard's loss and gradients, in the order of ``tasks``.

        Parameters
        ----------
        tasks : sequence of ShardTask
            The shards of one minibatch, on the parameters this object holds.

        Returns
        -------
        list of (float, dict)
            What :func:`shard_gradient` returns for each.
        """
        results: list = [None] * len(tasks)
        try:
            return self._run(tasks, results)
        except BaseException:
            # A worker's results are views of its block: kept by the
            # traceback, they would keep the block mapped past close().
            results.clear()
            raise

    def _run(self, tasks: Sequence[ShardTask], results: list) -> list:
        """:meth:`run`, its results put in ``results`` (a None for each task)."""
        self._step += 1
        self._warned = {}
        for worker in list(self._workers):
            self._read_waiting(worker)
        free = [worker for worker in self._workers if worker.free]
        positions = sum(task.ids.size for task in tasks)
        start = time.perf_counter()
        with_workers = bool(free) and self._way()
        # Not judged: the first step after a change of way (a worker idle
        # for a while, or this process's caches, start slow), and a step of
        # empty documents only (no position).
        judged = with_workers == self._last_way and positions > 0
        self._last_way = with_workers
        if not with_workers:
            results[:] = [self._compute(task) for task in tasks]
            if judged:
                self._rates[False].append((time.perf_counter() - start) / positions)
            return results
        n_parts = 1 + len(free)
        for k, worker in enumerate(free, start=1):
            shards = [(i, tasks[i]) for i in range(k, len(tasks), n_parts)]
            if shards:
                self._send(worker, shards)
        own = range(0, len(tasks), n_parts)
        for i in own:
            results[i] = self._compute(tasks[i])
        own_seconds = time.perf_counter() - start
        # A worker that takes many times as long as this process for its
        # shards is stopped (suspended, or swapping): its shards are computed
        # here.
        deadline = time.perf_counter() + max(
            WORKER_TIMEOUT, WORKER_TIMEOUT_FACTOR * own_seconds
        )
        # Take the shards of a worker that has started none of them (kept
        # waiting by the system, or still starting); wait for the others: a
        # worker at work gets to its next shard in a moment.
        for worker in list(self._workers):
            self._read_waiting(worker, results)
            if worker.step == self._step and not self._started(worker):
                # all marked at once: a worker that wakes while this process
                # computes the first skips the others too
                taken = [i for i in sorted(worker.pending) if results[i] is None]
                self._taken[0, [i for i in taken if i < TAKEN_SLOTS]] = self._step
                for i in taken:
                    results[i] = self._compute(tasks[i])
        while waiting := [
            worker
            for worker in self._workers
            if worker.step == self._step
            and any(results[i] is None for i in worker.pending)
        ]:
            ready = multiprocessing.connection.wait(
                [worker.connection for worker in waiting],
                timeout=max(0.0, deadline - time.perf_counter()),
            )
            if not ready:
                for worker in waiting:
                    self._drop(worker)
                break
            for connection in ready:
                worker = next(w for w in waiting if w.connection is connection)
                self._read(worker, results)
        for i, result in enumerate(results):
            if result is None:  # a worker failed or died
                results[i] = self._compute(tasks[i])
        if judged:
            self._rates[True].append((time.perf_counter() - start) / positions)
        # what the shards computed elsewhere would have issued here
        for i in sorted(self._warned):
            _warn_here(self._warned[i])
        return results

    def _way(self) -> bool:
        """Whether this step goes with the workers (if one is free).

        The way (with the workers, or alone) whose last steps took fewer
        seconds per padded token position, but for the first
        :data:`EXPLORE_STEPS` of every :data:`EXPLORE_EVERY` steps, which go
        the other way, so that each is measured as the machine's other work
        comes and goes.  Alone is the faster when another process keeps a
        core busy: the steps with the workers wait for processes that the
        system keeps waiting.  Either way gives the same results.

        While the workers are clearly the faster (:data:`CLEARLY_FASTER`),
        the steps alone are taken only in every :data:`EXPLORE_ALONE_EVERY`
        (each costs about what the workers gain: 3 in 32 were 3-5% of an
        epoch): the steps with the workers are measured all along, and once
        another process slows them near the last steps alone, the steps
        alone come in every :data:`EXPLORE_EVERY` again.
        """
        rates = {way: sum(r) / len(r) for way, r in self._rates.items() if r}
        faster = len(rates) < 2 or rates[True] <= rates[False]
        clearly = (
            len(rates) == 2
            and len(self._rates[False]) >= CLEARLY_JUDGED
            and rates[True] <= CLEARLY_FASTER * rates[False]
        )
        every = EXPLORE_ALONE_EVERY if clearly else EXPLORE_EVERY
        exploring = self._step % every < EXPLORE_STEPS
        return faster != exploring

    def _started(self, worker: _Worker) -> bool:
        """Whether ``worker`` has started a shard of this step (or might have)."""
        slots = [i for i in worker.pending if i < TAKEN_SLOTS]
        return len(slots) < len(worker.pending) or bool(
            (self._taken[1, slots] == self._step).any()
        )

    def _compute(self, task: ShardTask) -> tuple[float, Params]:
        return shard_gradient(self._params, self._config, task)

    def _send(self, worker: _Worker, shards) -> None:
        message = (self._step, shards)
        data = None
        if worker.direct_bytes:
            with contextlib.suppress(Exception):  # the thread says what failed
                data = ForkingPickler.dumps(message)
        if data is not None and len(data) <= worker.direct_bytes:
            # A free worker has read all it was sent: the pipe is empty, and
            # the message fits.  Sent here, it reaches the worker a few
            # hundred microseconds sooner than through the thread, which
            # waits for the interpreter while this process computes.
            try:
                worker.connection.send_bytes(data)
            except (OSError, ValueError):
                self._drop(worker)
                return
        else:
            # pickled already (the thread sends the bytes), or the thread
            # says why it cannot be
            worker.outbox.put(message if data is None else data)
        worker.step = self._step
        worker.pending = {i for i, _ in shards}
        worker.slot_of = {i: slot for slot, (i, _) in enumerate(shards)}

    def _read_waiting(self, worker: _Worker, results=None) -> None:
        """Read what ``worker`` has sent, without waiting."""
        if not worker.ready and worker.future.done():
            self._drop(worker)  # it never started: its pool broke
            return
        try:
            while worker in self._workers and worker.connection.poll():
                self._read(worker, results)
        except (OSError, ValueError):
            self._drop(worker)

    def _read(self, worker: _Worker, results=None) -> None:
        """Read one message of ``worker``'s; one of another step only frees it."""
        try:
            message = worker.connection.recv()
        except Exception:
            # The pipe closed or broke, a part of the message did not come
            # in time (_limit_reads), or it could not be unpickled here: the
            # worker's shards are computed here, which raises what the same
            # shards raise in one process.
            self._drop(worker)
            return
        kind = message[0]
        if kind == "ready":
            worker.ready = True
            worker.pid = message[1]
            worker.other_end.close()
            return
        step, index = message[1], message[2]
        if step != worker.step:
            return
        worker.pending.discard(index)
        if (
            kind == "done"
            and step == self._step
            and results is not None
            and results[index] is None
        ):
            results[index] = _load(message[3], worker.slots, worker.slot_of[index])
            self._warned[index] = message[4]

    def _drop(self, worker: _Worker) -> None:
        """Stop using a worker (it died, or its pipe broke, or the fit is over).

        The pipe is shut at both ends: the worker finds it closed, and a
        message that it did not read no longer keeps the sender waiting.
        Its block of result slots is freed at once (unmapped here once no
        result of this step uses it).
        """
        worker.outbox.put(None)
        worker.slots = {}
        if os.name == "posix":
            _shut(worker.connection)
            worker.sender.join()
        with contextlib.suppress(Exception):
            worker.connection.close()
            worker.other_end.close()
        if worker in self._workers:
            self._workers.remove(worker)
        memory, worker.slot_memory = worker.slot_memory, None
        if memory is not None:
            _free(memory)

    def _drop_all(self) -> None:
        for worker in list(self._workers):
            self._drop(worker)

    def close(self) -> None:
        """Put ordinary arrays back into the parameters and stop the workers.

        The workers find their pipes closed, and are not waited for: one
        still starting stops as soon as it has its pipe.  A ^C meanwhile
        (a second one, after the one that ended the fit) is held back until
        all that is done: it left the parameters views of the shared memory,
        some of them, or the memory in ``/dev/shm`` and workers that waited
        for their next shards for ever.
        """
        with _interrupts_held():
            with _RUNNING_LOCK:
                _RUNNING.discard(self)
            try:
                # all at once: the parameters are either all ordinary arrays
                # or all shared, whatever stops this
                self._params.update(
                    {name: value.copy() for name, value in self._params.items()}
                )
                self._taken = None
                with contextlib.suppress(FileNotFoundError):
                    self._memory.unlink()
            finally:
                self._drop_all()  # and their blocks
                _close(self._memory)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold back ^C (SIGINT) during the block, and take it after.

    Only the main thread takes it (as KeyboardInterrupt), and only there can
    its handler change: in another thread, the block runs as it is.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is None  # a handler not of Python's
    ):
        yield
        return
    held = []
    handler = signal.signal(signal.SIGINT, lambda *args: held.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        if held and callable(handler):
            handler(*held[0])
        elif held and handler == signal.SIG_DFL:
            signal.raise_signal(signal.SIGINT)


def n_shard_workers(
    n_jobs: int | None,
    config: NetworkConfig,
    n_shards: int,
    token_epochs: int,
) -> int:
    """How many worker processes compute shards beside this one (0: none).

    Workers need ``n_jobs`` of 2 or more, minibatches of two shards or more,
    joblib's processes (not its threads, as inside a parallel search, whose
    workers are busy), a built-in cell and head (another process knows only
    those that a module it imports registers), training enough to pay for
    starting them (:data:`SHARD_WORKERS_MIN_TOKENS`) and no other thread of
    this process using joblib's workers.

    Parameters
    ----------
    n_jobs : int or None
        As scikit-learn's ``n_jobs``.
    config : NetworkConfig
        The architecture.
    n_shards : int
        Shards of a whole minibatch.
    token_epochs : int
        Tokens of the training documents times the most epochs of this call.

    Returns
    -------
    int
        Workers, one fewer than the processes that compute a step's shards.
    """
    n_processes = min(effective_n_jobs(n_jobs), n_shards)
    if (
        _EXITING
        or n_processes < 2
        or token_epochs < SHARD_WORKERS_MIN_TOKENS
        or not processes_can_run(config)
    ):
        return 0
    return n_processes - 1


#: The :class:`ShardWorkers` of the fits running now, and a lock for the set.
_RUNNING: "weakref.WeakSet[ShardWorkers]" = weakref.WeakSet()
_RUNNING_LOCK = threading.Lock()
#: Not empty once the interpreter exits: no fit starts workers then.
_EXITING: list[bool] = []


def _stop_daemon_fits() -> None:
    """Shut the pipes of the workers of the fits on daemon threads.

    Called when the interpreter exits, before loky's pools are shut: loky
    waits for their tasks, and a worker's lasts as long as its fit, which a
    daemon thread (stopped at exit) may go on with for hours: the exit
    waited for it.  Each worker finds its pipe closed and ends; the fit
    computes its shards itself for as long as its thread still runs.  A
    fit on any other thread keeps its workers: the exit waits for that
    thread anyway.
    """
    _EXITING.append(True)
    with _RUNNING_LOCK:
        running = [workers for workers in _RUNNING if workers._daemon]
    for workers in running:
        for worker in list(workers._workers):
            _shut(worker.connection)


def _stop_at_exit() -> None:
    """Call :func:`_stop_daemon_fits` when the interpreter exits (:func:`_at_exit`)."""
    _at_exit(_stop_daemon_fits)


#: What stops skrnn's workers when the interpreter exits (:func:`_at_exit`),
#: and a lock for it.
_AT_EXIT: list = []
_AT_EXIT_LOCK = threading.Lock()


def _at_exit(stop) -> None:
    """Call ``stop`` when the interpreter exits, before loky waits for its pools.

    Loky waits at the exit for the tasks of its pools, and those of skrnn's
    workers last until their pipes close: ``stop`` closes them.  Loky's
    exit function is one of threading's exit hooks, which are called last
    registered first, and loky registers it anew whenever a pool starts
    (joblib's own too): a pool started after skrnn's hooks put loky's in
    front of them, and the exit waited for the workers (as prediction's
    worker, :func:`skrnn._prediction_workers._stop_at_exit`).  So ``stop`` is also
    called by loky's exit function itself, as loky registers it from then
    on; the hook of threading's calls it before the registrations made
    before.  Each ``stop`` is called once.
    """
    with _AT_EXIT_LOCK:
        if stop in _AT_EXIT:
            return
        if not _AT_EXIT:
            threading._register_atexit(_stop_all)
            _call_before_loky_exits()
        _AT_EXIT.append(stop)


def _stop_all() -> None:
    """Call the functions of :func:`_at_exit`, each once, last given first."""
    while _AT_EXIT:
        stop = _AT_EXIT.pop()
        with contextlib.suppress(Exception):
            stop()


def _call_before_loky_exits() -> None:
    """Make loky's exit function call :func:`_stop_all` first.

    As loky registers it from now on: it looks the function up by name.
    """
    from joblib.externals.loky import process_executor

    loky_exit = getattr(process_executor, "_python_exit", None)
    if not callable(loky_exit) or getattr(loky_exit, "calls_skrnn_stops", False):
        return

    @functools.wraps(loky_exit)
    def python_exit(*args, **kwargs):
        _stop_all()
        return loky_exit(*args, **kwargs)

    python_exit.calls_skrnn_stops = True
    process_executor._python_exit = python_exit


def _forget_parents_fits() -> None:
    """In a forked child, the parent's fits are not this process's to stop.

    Shutting their pipes at the child's exit would shut the parent's.
    """
    global _RUNNING_LOCK, _AT_EXIT_LOCK
    _RUNNING_LOCK = threading.Lock()
    _AT_EXIT_LOCK = threading.Lock()
    _RUNNING.clear()
    _EXITING.clear()


in_forked_children(_forget_parents_fits)


@contextlib.contextmanager
def shard_workers(
    params: Params,
    config: NetworkConfig,
    n_jobs: int | None,
    n_shards: int,
    token_epochs: int,
) -> Iterator[ShardWorkers | None]:
    """:class:`ShardWorkers` for a call of ``fit_epochs``, or None.

    None when :func:`n_shard_workers` says none, while another thread of
    this process uses joblib's workers (``_threads.worker_processes``), or
    when the system has not shared memory enough for the parameters (its
    workers send their results through their pipes when it has not enough
    for their result slots too).
    """
    n_workers = n_shard_workers(n_jobs, config, n_shards, token_epochs)
    if n_workers == 0:
        yield None
        return
    with worker_processes(n_workers + 1) as granted:
        workers = None
        if granted >= 2:
            # without shared memory enough, the shards are computed as
            # without workers
            with contextlib.suppress(OSError):
                n_slots = min(SLOTS_PER_WORKER, -(-n_shards // (n_workers + 1)))
                workers = ShardWorkers(params, config, n_workers, n_slots)
        with workers or contextlib.nullcontext() as runner:
            yield runner
