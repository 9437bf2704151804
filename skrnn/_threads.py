"""Threads and BLAS limits: what runs where, and on how many cores.

The networks' steps are many small products: a second BLAS thread brings
little to one of them and, on a busy machine, costs a lot in
synchronisation.  So skrnn runs BLAS on one thread and spreads independent
work (the shards of a minibatch, the batches of a prediction) over threads
of its own: numpy releases the GIL in its loops and products.
"""

import collections
import contextlib
import functools
import os
import statistics
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Sequence, Set
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import threadpoolctl
from joblib import effective_n_jobs
from joblib.parallel import get_active_backend
from threadpoolctl import ThreadpoolController

from .nn._cells import BUILTIN_CELLS
from .nn._heads import BUILTIN_HEADS


def processes_can_run(config) -> bool:
    """Whether worker processes can compute for a network of ``config``.

    They need joblib's processes, not its threads (as inside a parallel
    search, whose workers are busy), and a built-in cell and head: another
    process knows only the cells and heads that a module it imports
    registers.

    Parameters
    ----------
    config : NetworkConfig
        The network's architecture.

    Returns
    -------
    bool
    """
    backend, _ = get_active_backend()
    return (
        config.cell in BUILTIN_CELLS
        and config.head in BUILTIN_HEADS
        and not getattr(backend, "uses_threads", False)
    )


def in_forked_children(func: Callable[[], object]) -> None:
    """Call ``func`` in every child process forked from now on.

    Where processes fork (not on Windows, whose ``os`` has no
    ``register_at_fork``).
    """
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=func)


@functools.cache
def _blas_controller() -> ThreadpoolController:
    """The loaded BLAS libraries, found once; ``threadpool_limits`` searches anew."""
    return ThreadpoolController()


class _SingleThreadedBLAS:
    """Shared by all threads: BLAS at one thread while any of them is inside.

    The BLAS thread count is a setting of the whole process.  Contexts that
    each set it and restore what they found would, entered and left by
    several threads in overlapping order, restore one another's setting and
    leave the process at one thread.  So the first thread in limits BLAS and
    the last one out restores it.  threadpoolctl (from 3.8) lets only one
    Python thread change OpenBLAS's setting, the first to change it, until it
    gives up control; the last thread out may not be the first in, so control
    is released before and after the restore.
    """

    def __init__(self) -> None:
        self._reset()
        # A forked child has none of the parent's threads, maybe inside.
        in_forked_children(self._in_child)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._limiter = None

    def _in_child(self) -> None:
        """In a forked child: none inside, and BLAS as it was before any was.

        A child forked while a parent's thread was inside inherits BLAS at
        one thread, which no thread of its own would restore: the child gets
        back the setting that the parent's first thread in found.
        """
        limiter = self._limiter
        self._reset()
        if limiter is not None:
            _release_openblas_control()
            limiter.restore_original_limits()
            _release_openblas_control()

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._limiter = _blas_controller().limit(limits=1, user_api="blas")
            self._depth += 1

    def __exit__(self, *exc_info) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                _release_openblas_control()
                self._limiter.restore_original_limits()
                _release_openblas_control()
                self._limiter = None


def _release_openblas_control() -> None:
    """Let any thread set OpenBLAS's thread count (threadpoolctl >= 3.8)."""
    controller = getattr(threadpoolctl, "OpenBLASController", None)
    clear = getattr(controller, "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)


_SINGLE_THREADED_BLAS = _SingleThreadedBLAS()


def single_threaded_blas() -> _SingleThreadedBLAS:
    """Context in which BLAS uses one thread.

    The products of one time step are small: a second thread brings little
    and, on a busy machine, costs a lot in synchronisation.  The setting is
    the process's: it holds while any thread is inside the context, and the
    last thread to leave restores the original one.
    """
    return _SINGLE_THREADED_BLAS


class _WorkerProcesses:
    """Joblib's worker processes for one thread of this process at a time.

    Joblib keeps one pool of worker processes for the whole process and
    resizes it to each call's ``n_jobs``: two threads whose calls overlap
    with different numbers of workers wait for each other for ever (joblib
    1.6: one waits for the other's tasks before resizing, while holding
    what the other needs to dispatch them).  A call that finds the pool
    taken runs in its own thread instead, to the same results.
    """

    def __init__(self) -> None:
        self._reset()
        # A forked child has none of the parent's threads, maybe inside.
        in_forked_children(self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def __call__(self, n_workers: int) -> Iterator[int]:
        lock = self._lock
        if n_workers < 2 or not lock.acquire(blocking=False):
            yield 1
            return
        try:
            yield n_workers
        finally:
            lock.release()


#: ``with worker_processes(n) as n_workers``: ``n`` workers for this thread's
#: call, or 1 (run it here) while another thread's call has them.
worker_processes = _WorkerProcesses()


@contextlib.contextmanager
def thread_pool(n_jobs: int | None, n_tasks: int) -> Iterator[Executor | None]:
    """Threads for ``n_tasks`` independent tasks, or None to run them in turn.

    Parameters
    ----------
    n_jobs : int or None
        As scikit-learn's ``n_jobs``: None means 1 unless in a
        :func:`joblib.parallel_config` context, -1 means all processors.
    n_tasks : int
        The most tasks that will run at once.

    Yields
    ------
    concurrent.futures.Executor or None
        None when one thread is all there is to use.
    """
    n_threads = min(effective_n_jobs(n_jobs), n_tasks)
    if n_threads <= 1:
        yield None
        return
    with ThreadPoolExecutor(max_workers=n_threads) as executor:
        yield executor


T = TypeVar("T")


@contextlib.contextmanager
def beside(
    func: Callable[[], T] | None, n_jobs: int | None
) -> Iterator[Callable[[], T | None]]:
    """Run ``func`` on a thread of its own while the block runs, given two jobs.

    With one job (``n_jobs`` as in :func:`thread_pool`), ``func`` runs at
    once, before the block.  Either way the context yields a function that
    returns ``func``'s result (None without a ``func``), waiting for it if
    need be, and raises what ``func`` raised.  Leaving the block waits for
    the thread.

    Parameters
    ----------
    func : callable or None
        Work independent of the block's; it should release the GIL for most
        of its time (liblinear, numpy) to gain anything.
    n_jobs : int or None
        As scikit-learn's ``n_jobs``.

    Yields
    ------
    callable
        ``func``'s result, on demand.
    """
    if func is None or effective_n_jobs(n_jobs) < 2:
        result = None if func is None else func()
        yield lambda: result
        return
    with ThreadPoolExecutor(max_workers=1) as executor:
        yield executor.submit(func).result


def map_tasks(executor: Executor | None, func: Callable, items: Sequence) -> list:
    """``[func(item) for item in items]``, on ``executor``'s threads if given."""
    if executor is None:
        return [func(item) for item in items]
    return list(executor.map(func, items))


@dataclass(frozen=True)
class Helpers:
    """Threads that help the calling thread, which works beside them.

    Parameters
    ----------
    executor : concurrent.futures.Executor
        The helper threads; work submitted to it runs beside the caller's.
    n_threads : int
        How many threads the executor has.
    """

    executor: Executor
    n_threads: int


@contextlib.contextmanager
def helper_threads(n_jobs: int | None, n_tasks: int) -> Iterator[Helpers | None]:
    """Threads that help this one with ``n_tasks`` tasks, or None to run them alone.

    With ``n_jobs`` threads in all (as in :func:`thread_pool`), this one is
    one of them: ``n_jobs - 1`` helpers.  The calling thread works rather than
    waits (:func:`map_shared`), so that the tasks of a short call are not all
    handed to threads that a busy machine keeps waiting, and there is one
    thread fewer to hand the GIL to.

    Yields
    ------
    Helpers or None
        None when one thread is all there is to use.
    """
    n_threads = min(effective_n_jobs(n_jobs), n_tasks)
    if n_threads <= 1:
        yield None
        return
    with ThreadPoolExecutor(max_workers=n_threads - 1) as executor:
        yield Helpers(executor, n_threads - 1)


def map_shared(helpers: Helpers | None, func: Callable, items: Sequence) -> list:
    """``[func(item) for item in items]``, by this thread and ``helpers``.

    Every thread takes the next item from one queue, in the order given, as
    it finishes the one before: a thread that the machine keeps waiting
    holds back only the item it is on.  A helper busy with earlier work
    joins in when done.  The first exception raised stops the others from
    taking more items and is raised here, once they are done.
    """
    if helpers is None:
        return [func(item) for item in items]
    results = [None] * len(items)
    pending = iter(enumerate(items))
    lock = threading.Lock()
    failed = threading.Event()

    def work() -> None:
        while not failed.is_set():
            with lock:
                taken = next(pending, None)
            if taken is None:
                return
            index, item = taken
            try:
                results[index] = func(item)
            except BaseException:
                failed.set()
                raise

    futures = [helpers.executor.submit(work) for _ in range(helpers.n_threads)]
    try:
        work()
    finally:
        errors = [future.exception() for future in futures]  # waits for them
    for error in errors:
        if error is not None:
            raise error
    return results


class WayJudge:
    """Which of several ways of doing some work has been the fastest, as it runs.

    Some work (predicting text on two processes, with helper threads, or
    alone) can go ways that give the same results, and which is the fastest
    depends on the machine's other work: threads and processes gain on free
    cores and lose beside a busy one, where the thread that holds the GIL is
    often the one the system keeps waiting.  Each kind of work (a ``key``)
    goes the way whose last :attr:`judged` runs took the fewest seconds per
    item (the median: one run that other work held back does not turn the
    judgement), but one run in :attr:`explore_every` goes another way, the
    one of those measured least, so that every way is measured as the
    machine's other work comes and goes; a way never measured counts as the
    fastest if it is the first of those allowed, as the slowest otherwise
    (the first run of a key goes the first way, the second explores).  With
    ``explore_seconds``, a way measured less than that long ago is not
    explored again: runs of a few milliseconds then explore about once
    every ``explore_seconds`` rather than one in ``explore_every``, and
    lose little to the slower ways.  With ``explore_share``, nor is a way
    whose last run took more than that share of the seconds that the
    key's runs have taken since (that run's included): however the runs
    come (many in a burst, one a minute), exploring a way whose runs take
    ``s`` seconds where the fastest way's take ``f`` then costs at most
    about ``explore_share * (s - f) / s`` of the key's time.  Shared by the
    threads of a process.

    Parameters
    ----------
    explore_every : int
        One run in this many goes a way that has been slower.
    judged : int
        How many of each way's last runs are averaged.
    max_keys : int
        Kinds of work remembered; past it, the oldest is forgotten.
    ways : tuple of hashable, default=(True, False)
        The ways, in order of preference.
    explore_seconds : float, default=0.0
        The least time between two measures of a way that a run explores.
    explore_share : float, default=0.0
        If above 0, a way is explored only once the key's runs since its
        last measure (that one included) have taken ``1 / explore_share``
        times its seconds (see :meth:`record`'s ``items``).
    """

    def __init__(
        self,
        explore_every: int = 8,
        judged: int = 4,
        max_keys: int = 64,
        ways: tuple[Hashable, ...] = (True, False),
        explore_seconds: float = 0.0,
        explore_share: float = 0.0,
    ):
        self.explore_every = explore_every
        self.judged = judged
        self.max_keys = max_keys
        self.ways = ways
        self.explore_seconds = explore_seconds
        self.explore_share = explore_share
        self._reset()
        # A forked child has none of the parent's threads, maybe inside.
        in_forked_children(self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[Hashable, int] = {}
        self._rates: dict[Hashable, dict[Hashable, collections.deque]] = {}
        # when each way of each key was last measured (time.monotonic), the
        # key's seconds of runs before that run, and that run's
        self._measured: dict[Hashable, dict[Hashable, tuple[float, float, float]]] = {}
        # each key's seconds of runs so far
        self._seconds: dict[Hashable, float] = {}

    def way(self, key: Hashable, ways: Sequence[Hashable] | None = None) -> Hashable:
        """The way the next run of ``key`` goes, among ``ways`` (by default all).

        ``ways`` are those this run may take, in order of preference: the
        first for the first run of ``key``.
        """
        ways = self.ways if ways is None else tuple(ways)
        with self._lock:
            n_runs = self._runs.get(key, 0)
            if key not in self._runs and len(self._runs) >= self.max_keys:
                oldest = next(iter(self._runs))
                del self._runs[oldest]
                self._rates.pop(oldest, None)
                self._measured.pop(oldest, None)
                self._seconds.pop(oldest, None)
            self._runs[key] = n_runs + 1
            measured = self._rates.get(key, {})
            rates = {w: statistics.median(measured[w]) for w in ways if measured.get(w)}
            counts = {w: len(measured.get(w, ())) for w in ways}
            # ways measured too recently to explore: as measured enough
            since = time.monotonic() - self.explore_seconds
            spent = self._seconds.get(key, 0.0)
            recent = {
                w
                for w, (when, mark, seconds) in self._measured.get(key, {}).items()
                if when > since
                or (
                    self.explore_share > 0
                    and self.explore_share * (spent - mark) < seconds
                )
            }
        exploring = n_runs % self.explore_every == 1
        return judged_way(ways, rates, counts, exploring, recent)

    def record(
        self, key: Hashable, way: Hashable, seconds_per_item: float, items: float = 1
    ) -> None:
        """What a run of ``key`` that went ``way`` took, for ``items`` items."""
        with self._lock:
            if key in self._runs:
                rates = self._rates.setdefault(key, {})
                if way not in rates:
                    rates[way] = collections.deque(maxlen=self.judged)
                rates[way].append(seconds_per_item)
                seconds = seconds_per_item * items
                spent = self._seconds.get(key, 0.0) + seconds
                self._seconds[key] = spent
                # (the key's seconds before this run)
                self._measured.setdefault(key, {})[way] = (
                    time.monotonic(),
                    spent - seconds,
                    seconds,
                )


def judged_way(
    ways: Sequence[Hashable],
    rates: dict[Hashable, float],
    counts: dict[Hashable, int],
    exploring: bool,
    recent: Set[Hashable] = frozenset(),
) -> Hashable:
    """The way of a run (:class:`WayJudge`): the fastest, or another when exploring.

    Parameters
    ----------
    ways : sequence of hashable
        The ways allowed, in order of preference.
    rates : dict
        Each measured way's seconds per item.
    counts : dict
        How many runs of each way were measured.
    exploring : bool
        Whether this run goes another way than the fastest: the one measured
        the fewest times (the first of those in ``ways`` on a tie).
    recent : set of hashable, optional
        Ways measured too recently to be explored.
    """
    unmeasured = {ways[0]: 0.0}
    fastest = min(ways, key=lambda w: rates.get(w, unmeasured.get(w, float("inf"))))
    others = [w for w in ways if w != fastest and w not in recent]
    if not exploring or not others:
        return fastest
    return min(others, key=lambda w: counts[w])
