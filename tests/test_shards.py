"""Tests for skrnn._shards: minibatch shards computed in worker processes."""

import concurrent.futures
import errno
import multiprocessing
import multiprocessing.connection
import multiprocessing.resource_sharer
import multiprocessing.resource_tracker
import os
import queue
import shutil
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from multiprocessing.reduction import ForkingPickler
from multiprocessing.shared_memory import SharedMemory
from types import SimpleNamespace

import numpy as np
import pytest
from _subprocess import held_by_a_thread, run_python
from joblib import Parallel, delayed, parallel_config
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

import skrnn._shards as shards_module
from skrnn import RNNTextClassifier, RNNTextRegressor
from skrnn._shards import (
    ShardTask,
    ShardWorkers,
    n_shard_workers,
    shard_gradient,
    shard_workers,
)
from skrnn._threads import in_forked_children
from skrnn.datasets import load_toy_sentiment
from skrnn.nn import NetworkConfig, RowGrad
from skrnn.nn._network import init_params

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="signals to stop and kill a worker are POSIX"
)


def _problem(n_shards=3, dropout=0.0):
    rng = np.random.default_rng(0)
    config = NetworkConfig(
        n_vocab=40,
        n_outputs=3,
        cell="gru",
        hidden_size=6,
        embedding_dim=5,
        dropout=dropout,
        pooling="mean",
    )
    params = init_params(config, rng, np.dtype(np.float64), zero_ids=(0, 1))
    tasks = []
    for k in range(n_shards):
        n = 4 + k
        lengths = np.sort(rng.integers(1, 7, size=n))[::-1]
        ids = np.zeros((lengths[0], n), np.int32)
        for j, length in enumerate(lengths):
            ids[:length, j] = rng.integers(2, 40, size=length)
        tasks.append(
            ShardTask(
                ids,
                lengths,
                rng.integers(0, 3, size=n),
                rng.uniform(0.5, 2.0, size=n),
                np.random.default_rng(k) if dropout else None,
                0.5 * k,
            )
        )
    return config, params, tasks


def _dense(grads):
    return {
        name: grad.toarray() if isinstance(grad, RowGrad) else grad
        for name, grad in grads.items()
    }


def _assert_same_results(results, expected):
    assert len(results) == len(expected)
    for (loss, grads), (expected_loss, expected_grads) in zip(
        results, expected, strict=True
    ):
        assert loss == expected_loss
        expected_grads = _dense(expected_grads)
        for name, grad in _dense(grads).items():
            assert_array_equal(grad, expected_grads[name], err_msg=name)


def _wait_until_ready(workers, timeout=60.0):
    """Wait for the workers to start; the next steps go with them."""
    deadline = time.monotonic() + timeout
    while not all(worker.ready for worker in workers._workers):
        assert time.monotonic() < deadline, [
            worker.future for worker in workers._workers
        ]
        for worker in list(workers._workers):
            workers._read_waiting(worker)
        time.sleep(0.01)
    workers._step = shards_module.EXPLORE_STEPS  # past the first steps alone


def _expected(n_shards, dropout=0.0):
    """The shards' results in this process, on tasks of their own.

    A task's dropout generator is used up by its computation: the tasks to
    compare with are made anew, the same.
    """
    config, params, tasks = _problem(n_shards, dropout)
    return [shard_gradient(params, config, task) for task in tasks]


def _slow_here(monkeypatch):
    """The tasks that this process computes, each slowly.

    Time enough for a worker to start its shards: they are not taken back.
    """
    computed_here = []
    original = ShardWorkers._compute

    def spy(self, task):
        computed_here.append(task)
        time.sleep(0.5)
        return original(self, task)

    monkeypatch.setattr(ShardWorkers, "_compute", spy)
    return computed_here


def _created_blocks(monkeypatch):
    """The names of the blocks of shared memory that skrnn creates from now on.

    Only this process's: others on the machine use ``/dev/shm`` too.
    """
    names = []
    original = shards_module.SharedMemory

    def recording(*args, **kwargs):
        memory = original(*args, **kwargs)
        if kwargs.get("create"):
            names.append(memory.name)
        return memory

    monkeypatch.setattr(shards_module, "SharedMemory", recording)
    return names


def _existing(names):
    """Those of the blocks ``names`` that still exist (are not unlinked).

    Attached by name, which works where blocks are not files of ``/dev/shm``
    (macOS) too.
    """
    existing = []
    for name in names:
        try:
            memory = SharedMemory(name=name)
        except FileNotFoundError:
            continue
        memory.close()
        existing.append(name)
    return existing


@pytest.mark.parametrize("dropout", [0.0, 0.4])
def test_workers_give_the_shards_of_this_process_to_the_bit(monkeypatch, dropout):
    config, params, tasks = _problem(n_shards=4, dropout=dropout)
    expected = _expected(4, dropout)
    computed_here = _slow_here(monkeypatch)
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        results = workers.run(tasks)
    _assert_same_results(results, expected)
    # the worker took its share: this process computed at most its own and
    # those the worker had not started
    assert len(computed_here) < len(tasks)


def _sent_results(monkeypatch):
    """The results as the worker sent them, before this process reads them."""
    sent = []
    original = shards_module._load

    def spy(result, slots, slot):
        sent.append(result)
        return original(result, slots, slot)

    monkeypatch.setattr(shards_module, "_load", spy)
    return sent


def test_a_workers_gradients_come_through_shared_memory(monkeypatch):
    config, params, tasks = _problem(n_shards=4)
    expected = _expected(4)
    _slow_here(monkeypatch)
    sent = _sent_results(monkeypatch)
    created = _created_blocks(monkeypatch)
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        # the parameters, the slots
        assert _existing(created) == created
        assert created == [workers._memory.name, workers._workers[0].slot_memory.name]
        results = workers.run(tasks)
        _assert_same_results(results, expected)
        # the worker's two shards: no array through the pipe, and what this
        # process reads are read-only views of the worker's block
        assert len(sent) == 2
        for _, grads in sent:
            assert all(isinstance(g, shards_module._InSlot) for g in grads.values())
        slots = workers._workers[0].slot_memory.buf
        for index in (1, 3):
            for grad in results[index][1].values():
                for array in (
                    (grad.ids, grad.rows) if isinstance(grad, RowGrad) else (grad,)
                ):
                    assert np.shares_memory(array, slots)
                    assert not array.flags.writeable
    assert not _existing(created)


def test_gradients_beyond_a_workers_slots_come_through_the_pipe(monkeypatch):
    config, params, tasks = _problem(n_shards=4)
    expected = _expected(4)
    _slow_here(monkeypatch)
    sent = _sent_results(monkeypatch)
    # one slot, of one row of the table's gradient: the worker's first shard
    # sends its table's gradient, its second all of them, through the pipe
    monkeypatch.setattr(shards_module, "SLOT_TABLE_ROWS", 1)
    with ShardWorkers(params, config, n_workers=1, n_slots=1) as workers:
        _wait_until_ready(workers)
        _assert_same_results(workers.run(tasks), expected)
    assert len(sent) == 2
    first, second = (grads for _, grads in sent)
    assert isinstance(first["embed.E"], RowGrad)
    assert all(
        isinstance(g, shards_module._InSlot)
        for name, g in first.items()
        if name != "embed.E"
    )
    assert not any(isinstance(g, shards_module._InSlot) for g in second.values())


@pytest.mark.skipif(not hasattr(os, "posix_fallocate"), reason="Linux")
def test_a_worker_without_shared_memory_for_its_slots_uses_the_pipe(monkeypatch):
    # Docker's 64 MB of /dev/shm held the parameters but not the slots too:
    # the fit had no worker at all
    config, params, tasks = _problem(n_shards=4)
    expected = _expected(4)
    _slow_here(monkeypatch)
    sent = _sent_results(monkeypatch)
    reserved = []
    real_fallocate = os.posix_fallocate

    def space_for_the_parameters_only(fd, offset, size):
        if reserved:
            raise OSError(errno.ENOSPC, "No space left on device")
        reserved.append(size)
        real_fallocate(fd, offset, size)

    monkeypatch.setattr(os, "posix_fallocate", space_for_the_parameters_only)
    created = _created_blocks(monkeypatch)
    with ShardWorkers(params, config, n_workers=1) as workers:
        assert len(workers._workers) == 1
        _wait_until_ready(workers)
        _assert_same_results(workers.run(tasks), expected)
        assert len(workers._workers) == 1
    assert len(sent) == 2
    for _, grads in sent:
        assert not any(isinstance(g, shards_module._InSlot) for g in grads.values())
    assert not _existing(created)


def test_a_worker_has_a_few_slots_whatever_the_batch():
    # a slot for each of its shards of a batch of 2,048 reserved 456 MB of
    # shared memory for 67 MB of parameters
    config, params, _ = _problem()
    with shard_workers(params, config, 2, 64, 10**9) as workers:
        (worker,) = workers._workers
        n_slots = len({slot for slot, _, _ in worker.slots})
    assert n_slots == shards_module.SLOTS_PER_WORKER


def test_the_slots_of_a_failed_start_are_freed_at_once(monkeypatch):
    from joblib.externals.loky import BrokenProcessPool

    class Pool:
        def __init__(self, broken):
            self.broken = broken

        def submit(self, *args):
            if self.broken:
                raise BrokenProcessPool("a worker of an earlier fit died")
            return concurrent.futures.Future()  # a worker still starting

    monkeypatch.setattr(
        shards_module, "_worker_pool", lambda n_workers, renew=False: Pool(not renew)
    )
    created = _created_blocks(monkeypatch)
    config, params, _ = _problem()
    with ShardWorkers(params, config, n_workers=1) as workers:
        # the parameters, the slots of the failed attempt, those of the next
        assert len(created) == 3
        assert _existing(created) == [created[0], created[2]]
        assert workers._workers[0].slot_memory.name == created[2]
    assert not _existing(created)


def test_the_slots_of_a_worker_that_fails_to_start_are_freed(monkeypatch):
    # Regression: a worker whose sender thread could not start (or a ^C
    # while it started) left its slots' block in /dev/shm until the process
    # ended, since no worker held it.
    class Pool:
        def submit(self, *args):
            return concurrent.futures.Future()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(
        shards_module, "_worker_pool", lambda n_workers, renew=False: Pool()
    )
    monkeypatch.setattr(shards_module, "_Worker", interrupted)
    created = _created_blocks(monkeypatch)
    config, params, _ = _problem()
    with pytest.raises(KeyboardInterrupt):
        ShardWorkers(params, config, n_workers=1)
    assert len(created) == 2  # the parameters and the worker's slots
    assert not _existing(created)


def test_an_interrupted_fit_unmaps_the_slots_its_step_read(monkeypatch):
    # Regression: a ^C while the step summed its workers' results (their
    # views in the traceback's frames) left the slots' block mapped, its
    # pages held, until some later fit closed its own workers: fit_epochs
    # now unmaps it once the interrupt is handled.
    from skrnn import _training as training_module

    monkeypatch.setattr(shards_module, "_LINGERING", [])
    config, params, tasks = _problem(n_shards=4)
    _slow_here(monkeypatch)

    def step(workers):
        results = workers.run(tasks)
        assert any(  # views of the worker's slots
            isinstance(value, np.ndarray) and not value.flags.owndata
            for _, grads in results
            for value in grads.values()
        )
        raise KeyboardInterrupt  # while the results are summed

    def interrupted_epochs(*args, workers, **kwargs):
        _wait_until_ready(workers)
        step(workers)

    def with_a_worker(*args, **kwargs):
        return ShardWorkers(params, config, n_workers=1)

    monkeypatch.setattr(training_module, "shard_workers", with_a_worker)
    monkeypatch.setattr(training_module, "_fit_epochs", interrupted_epochs)
    monkeypatch.setattr(training_module, "takes_per_sample_steps", lambda *a: False)
    monkeypatch.setattr(training_module, "_n_shards", lambda *a: 4)
    state = training_module.TrainingState()
    train = SimpleNamespace(lengths=np.ones(4, int))
    stopped = training_module.fit_epochs(
        params,
        None,
        train,
        config,
        SimpleNamespace(n_jobs=2),
        state,
        None,
        max_epochs=1,
        tol=0,
        n_iter_no_change=1,
    )
    assert not stopped and state.interrupted
    assert shards_module._LINGERING == []


class _RecordingQueue:
    """A queue's ``put`` that records what it is given."""

    def __init__(self, queue):
        self.queue = queue
        self.put_items = []

    def put(self, item):
        self.put_items.append(item)
        self.queue.put(item)


@pytest.mark.parametrize("direct", [True, False])
def test_small_messages_go_down_the_pipe_at_once_others_through_the_thread(
    monkeypatch, direct
):
    config, params, tasks = _problem(n_shards=4)
    expected = _expected(4)
    _slow_here(monkeypatch)
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        worker = workers._workers[0]
        assert worker.direct_bytes > 0
        if not direct:
            worker.direct_bytes = 10  # less than any message
        worker.outbox = _RecordingQueue(worker.outbox)
        pickled = []
        original = ForkingPickler.dumps

        def dumps(obj, *args, **kwargs):
            pickled.append(obj)
            return original(obj, *args, **kwargs)

        monkeypatch.setattr(ForkingPickler, "dumps", dumps)
        _assert_same_results(workers.run(tasks), expected)
        assert len(worker.outbox.put_items) == (0 if direct else 1)
        assert len(workers._workers) == 1
        # the step's message pickled once, whichever way it went
        step = (workers._step, [(1, tasks[1]), (3, tasks[3])])
        assert pickled.count(step) == 1


def test_the_parameters_are_ordinary_arrays_again_after_close():
    config, params, _ = _problem()
    before = {name: value.copy() for name, value in params.items()}
    with ShardWorkers(params, config, n_workers=1) as workers:
        memory = workers._memory.buf
        assert all(np.shares_memory(value, memory) for value in params.values())
        kept = params["head.W_hy"]  # a view kept past the end (by a callback)
        params["head.W_hy"][0, 0] += 1.0  # an update in place
        _wait_until_ready(workers)
    assert kept[0, 0] == before["head.W_hy"][0, 0] + 1.0
    for name, value in params.items():
        assert value.base is None
        assert value.flags.c_contiguous and value.flags.writeable
        if name != "head.W_hy":
            assert_array_equal(value, before[name])
    assert params["head.W_hy"][0, 0] == before["head.W_hy"][0, 0] + 1.0


def test_a_worker_that_dies_costs_only_itself(monkeypatch):
    config, params, tasks = _problem(n_shards=4)
    expected = _expected(4)
    created = _created_blocks(monkeypatch)
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        worker = workers._workers[0]
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.connection.poll(30)  # the end of the pipe: dead
        results = [workers.run(tasks) for _ in range(2)]
        assert workers._workers == []
        # its slots freed at once, not at the end of the fit
        assert _existing(created) == [workers._memory.name]
    for result in results:
        _assert_same_results(result, expected)
    # A fit right after computes its shards to the same results (here, if
    # the pool, broken by the death, fails its worker)...
    config, params, tasks = _problem(n_shards=4)
    with ShardWorkers(params, config, n_workers=1) as workers:
        _assert_same_results(workers.run(tasks), expected)
    # ...and a new pool gives the next ones workers.
    started = []
    while len(started) < 10 and not any(started):
        with ShardWorkers(params, config, n_workers=1) as workers:
            _wait_until_ready(workers)  # or dropped, if its pool was broken
            started.append(bool(workers._workers))
    assert any(started)


def test_joblib_calls_after_workers_run_on_joblibs_pool():
    # joblib's pool holds arguments of its own: a pool of other arguments in
    # its place made its next call fail
    config, params, tasks = _problem()
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        workers.run(tasks)
    assert Parallel(n_jobs=2)(delayed(abs)(-k) for k in range(4)) == [0, 1, 2, 3]


def test_without_shared_memory_the_shards_are_computed_as_without_workers(
    monkeypatch,
):
    def no_shared_memory(*args, **kwargs):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory")

    monkeypatch.setattr(shards_module, "SharedMemory", no_shared_memory)
    config, params, _ = _problem()
    before = dict(params)
    with shard_workers(params, config, 2, 4, 10**9) as workers:
        assert workers is None
    assert all(params[name] is value for name, value in before.items())


@pytest.mark.skipif(not hasattr(os, "posix_fallocate"), reason="Linux")
def test_shared_memory_that_cannot_be_reserved_is_not_used(monkeypatch):
    def no_space(fd, offset, size):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", no_space)
    config, params, _ = _problem()
    before = dict(params)
    created = _created_blocks(monkeypatch)
    with shard_workers(params, config, 2, 4, 10**9) as workers:
        assert workers is None
    assert all(params[name] is value for name, value in before.items())
    assert created and not _existing(created)


def test_an_interrupt_while_workers_start_keeps_no_shared_memory(monkeypatch):
    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ShardWorkers, "_start_workers", interrupted)
    config, params, _ = _problem()
    before = {name: value.copy() for name, value in params.items()}
    created = _created_blocks(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        ShardWorkers(params, config, n_workers=1)
    for name, value in params.items():
        assert value.base is None
        assert_array_equal(value, before[name])
    assert created and not _existing(created)


#: A fit whose parameters (32 MB) exceed the free shared memory (8 MB).
_SMALL_DEV_SHM = """
import numpy as np
from skrnn._shards import shard_workers
from skrnn.nn import NetworkConfig
config = NetworkConfig(n_vocab=10, n_outputs=2, cell="gru", hidden_size=4)
params = {"embed.E": np.ones((2**20, 4))}
with shard_workers(params, config, 2, 4, 10**9) as workers:
    assert workers is None
"""


def test_parameters_larger_than_dev_shm_do_not_kill_the_process():
    # Docker gives containers 64 MB of /dev/shm: writing beyond the free
    # pages of a block there is a SIGBUS
    mount = "mount -t tmpfs -o size=8m tmpfs /dev/shm"
    if (
        shutil.which("unshare") is None
        or subprocess.run(
            ["unshare", "-m", "sh", "-c", mount], capture_output=True
        ).returncode
    ):
        pytest.skip("needs a mount namespace of its own (unshare -m, as root)")
    script = f'{mount} && "$0" -c "$1"'
    run = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, sys.executable, _SMALL_DEV_SHM],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr


def test_the_shards_of_a_worker_that_has_not_started_them_are_taken():
    config, params, tasks = _problem(n_shards=2)
    expected = _expected(2)
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        worker = workers._workers[0]
        os.kill(worker.pid, signal.SIGSTOP)  # kept off the cores by other work
        try:
            start = time.monotonic()
            results = workers.run(tasks)
            waited = time.monotonic() - start
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        # not waited for, and kept: it takes shards again once it is free
        assert waited < shards_module.WORKER_TIMEOUT
        assert workers._workers == [worker]
        _assert_same_results(results, expected)
        # Woken, it skips the shard taken back (it says so) rather than
        # computing it for nothing, and is free for the next step.
        assert worker.connection.poll(30)
        assert worker.connection.recv()[0] == "skipped"
        worker.pending.clear()
        _assert_same_results(workers.run(_problem(n_shards=2)[2]), expected)


def test_forked_children_are_told_where_processes_fork(monkeypatch):
    calls = []
    monkeypatch.setattr(os, "register_at_fork", lambda **kw: calls.append(kw))
    in_forked_children(print)
    assert calls == [{"after_in_child": print}]
    monkeypatch.delattr(os, "register_at_fork")  # Windows has none
    in_forked_children(print)
    assert len(calls) == 1


def _in_forked_child(check, seconds=90.0):
    """The exit code of a forked child that runs ``check`` (0 if it returns True).

    A child still running after ``seconds`` is killed: None.
    """
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            code = 0 if check() else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + seconds
    while not (finished := os.waitpid(pid, os.WNOHANG))[0]:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.05)
    return os.waitstatus_to_exitcode(finished[1])


def _pipe_sent_to_a_new_pool():
    """Whether a worker of a new pool gets a pipe end sent to its task."""
    here, there = multiprocessing.Pipe()
    pool = shards_module._worker_pool(1, kind="forked child's")
    try:
        pool.submit(multiprocessing.connection.Connection.send, there, "hello")
        return here.poll(30) and here.recv() == "hello"
    finally:
        pool.shutdown(wait=True, kill_workers=True)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_by_os_fork_sends_pipes_to_its_own_workers():
    # Regression: a child forked by os.fork (not by multiprocessing) kept
    # the parent's resource sharer, through which a pipe end reaches a
    # worker: its workers asked the parent for the child's pipes, which it
    # had not ("KeyError" printed by the parent; the child's prediction
    # worker never started, a new process at each call) or were the
    # parent's own.
    _, parent_end = multiprocessing.Pipe()
    # the parent has sent a pipe end: its sharer listens
    multiprocessing.resource_sharer.DupFd(parent_end.fileno())
    assert _in_forked_child(_pipe_sent_to_a_new_pool) == 0


def _shared_memory_allocated():
    memory = shards_module._allocate(64)
    shards_module._free(memory)
    return True


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_process_forked_while_a_thread_uses_the_resource_tracker_allocates():
    # Regression: a process forked while another thread held the lock of
    # multiprocessing's resource tracker (prediction's worker starting in
    # the background, as loky launched it) inherited the lock held, by a
    # thread it does not have: its first shared memory waited forever.
    tracker = multiprocessing.resource_tracker._resource_tracker
    with held_by_a_thread(tracker._lock):
        assert _in_forked_child(_shared_memory_allocated, seconds=30) == 0


@pytest.mark.slow
def test_the_interpreter_exits_while_a_daemon_thread_fits_on_workers():
    # Regression: loky waits at the exit for its pools' tasks, and a
    # worker's lasted as long as its fit: the exit waited for a daemon
    # thread's fit to end (for ever for one that fits again and again).
    script = textwrap.dedent(
        """
        import threading
        import time
        import warnings
        import numpy as np
        from skrnn import RNNTextClassifier, _shards
        from skrnn.datasets import load_toy_sentiment

        _shards.SHARD_WORKERS_MIN_TOKENS = 0
        X, y = load_toy_sentiment(return_X_y=True)
        X, y = list(X) * 6, np.tile(y, 6)

        def fit_for_ever():
            warnings.simplefilter("ignore")
            while True:
                RNNTextClassifier(
                    max_iter=10**6, n_iter_no_change=10**6, batch_size=256,
                    hidden_size=8, n_jobs=2, ngram_range=None,
                ).fit(X, y)

        threading.Thread(target=fit_for_ever, daemon=True).start()
        deadline = time.monotonic() + 60
        while not any(
            worker.ready for fit in list(_shards._RUNNING) for worker in fit._workers
        ):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        """
    )
    done, seconds = run_python(script, timeout=150)
    assert done.returncode == 0, done.stderr
    assert seconds < 90


def _long_shard(n_docs=3000, n_steps=60):
    rng = np.random.default_rng(1)
    lengths = np.full(n_docs, n_steps)
    return ShardTask(
        rng.integers(2, 40, size=(n_steps, n_docs)).astype(np.int32),
        lengths,
        rng.integers(0, 3, size=n_docs),
        np.ones(n_docs),
        None,
        0.0,
    )


def test_a_worker_suspended_in_its_shard_is_dropped_after_the_timeout(monkeypatch):
    monkeypatch.setattr(shards_module, "WORKER_TIMEOUT", 0.5)
    config, params, tasks = _problem(n_shards=1)
    tasks = [tasks[0], _long_shard()]
    expected = [shard_gradient(params, config, task) for task in tasks]
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        worker = workers._workers[0]
        original = workers._read_waiting

        def stop_once_started(w, results=None):
            # once the worker marks its long shard started, it is stopped
            original(w, results)
            if w is worker and results is not None:
                while not workers._started(w):
                    time.sleep(0.001)
                os.kill(worker.pid, signal.SIGSTOP)

        monkeypatch.setattr(workers, "_read_waiting", stop_once_started)
        try:
            start = time.monotonic()
            results = workers.run(tasks)
            waited = time.monotonic() - start
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        assert workers._workers == []
    assert waited >= 0.5
    _assert_same_results(results, expected)


def test_each_step_goes_the_faster_way_and_a_few_in_a_while_the_other():
    config, params, _ = _problem()
    with ShardWorkers(params, config, n_workers=0) as workers:
        every = shards_module.EXPLORE_EVERY
        every_alone = shards_module.EXPLORE_ALONE_EVERY
        explore = shards_module.EXPLORE_STEPS

        def ways(n_steps):
            chosen = []
            for _ in range(n_steps):
                workers._step += 1
                chosen.append(workers._way())
            return chosen

        def periods(n, way):
            return n * ([not way] * explore + [way] * (every - explore))

        workers._step = every_alone - 1  # the next step starts a period
        # with the workers until measured otherwise, a few steps alone in
        # every EXPLORE_EVERY, however many steps alone were measured
        assert ways(2 * every) == periods(2, True)
        judged = shards_module.JUDGED_STEPS
        workers._rates[False].extend([1.0] * judged)
        assert ways(2 * every) == periods(2, True)
        # alone while it is the faster (another process keeps a core busy),
        # a few steps with the workers in every EXPLORE_EVERY
        workers._rates[True].extend([2.0] * judged)
        assert ways(2 * every) == periods(2, False)
        # with the workers again once they are faster, a few steps alone in
        # every EXPLORE_EVERY while they are not clearly the faster...
        workers._rates[True].extend([0.9] * judged)
        workers._step = every_alone - 1
        assert ways(2 * every) == periods(2, True)
        # ...and in every EXPLORE_ALONE_EVERY once they are
        workers._rates[True].extend([0.5] * judged)
        workers._step = every_alone - 1
        assert ways(every_alone) == [False] * explore + [True] * (every_alone - explore)
        # judged on a few steps alone at least
        workers._rates[False].clear()
        workers._rates[False].extend([1.0] * (shards_module.CLEARLY_JUDGED - 1))
        workers._step = every_alone - 1
        assert ways(2 * every) == periods(2, True)


def test_steps_alone_give_the_same_results():
    config, params, tasks = _problem(n_shards=3)
    expected = _expected(3)
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        workers._rates[True].append(2.0)
        workers._rates[False].append(1.0)
        _assert_same_results(workers.run(tasks), expected)
        assert workers._last_way is False  # computed alone
        assert not workers._workers[0].pending
        workers._rates[False].extend([3.0] * shards_module.JUDGED_STEPS)
        _assert_same_results(workers.run(_problem(n_shards=3)[2]), expected)
        assert workers._last_way is True  # with the worker


def test_which_fits_start_workers():
    config = NetworkConfig(n_vocab=10, n_outputs=2, cell="gru", hidden_size=4)
    many = 10 * shards_module.SHARD_WORKERS_MIN_TOKENS
    assert n_shard_workers(2, config, 2, many) == 1
    assert n_shard_workers(-1, config, 1, many) == 0  # one shard a batch
    assert n_shard_workers(1, config, 4, many) == 0
    assert n_shard_workers(2, config, 4, 1000) == 0  # too little training
    with parallel_config(backend="threading"):
        assert n_shard_workers(2, config, 4, many) == 0


def _fit_both(estimator_class, X, y, monkeypatch, **params):
    monkeypatch.setattr(shards_module, "SHARD_WORKERS_MIN_TOKENS", 0)
    runs = []
    original = ShardWorkers.run

    def spy(self, tasks):
        runs.append(len(tasks))
        return original(self, tasks)

    monkeypatch.setattr(ShardWorkers, "run", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = estimator_class(n_jobs=1, **params).fit(X, y)
        assert runs == []
        two = estimator_class(n_jobs=2, **params).fit(X, y)
    assert runs and max(runs) >= 2
    return one, two


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_fit_with_workers_is_the_fit_of_one_process(monkeypatch, early_stopping):
    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    X, y = X * 3, np.concatenate([y] * 3)
    params = dict(
        batch_size=64,
        dropout=0.3,
        alpha=1e-3,
        max_iter=3,
        random_state=0,
        early_stopping=early_stopping,
        validation_fraction=0.2,
        ngram_range=None,
    )
    one, two = _fit_both(RNNTextClassifier, X, y, monkeypatch, **params)
    for name, value in one.weights_.items():
        assert_array_equal(two.weights_[name], value, err_msg=name)
        assert two.weights_[name].base is None
    assert two.loss_curve_ == one.loss_curve_


def test_a_regressor_with_workers_is_the_regressor_of_one_process(monkeypatch):
    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    X, y = X * 3, np.concatenate([y] * 3).astype(float)
    one, two = _fit_both(
        RNNTextRegressor,
        X,
        y,
        monkeypatch,
        batch_size=64,
        max_iter=2,
        random_state=0,
        adversarial_epsilon=0.5,
    )
    assert_array_equal(two.predict(X), one.predict(X))


def test_an_interrupt_with_workers_keeps_the_last_epoch_in_ordinary_arrays(
    monkeypatch,
):
    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    X, y = X * 3, np.concatenate([y] * 3)
    params = dict(
        batch_size=64,
        max_iter=3,
        random_state=0,
        ngram_range=None,
        learning_rate="constant",
    )
    monkeypatch.setattr(shards_module, "SHARD_WORKERS_MIN_TOKENS", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        expected = RNNTextClassifier(n_jobs=1, **{**params, "max_iter": 1}).fit(X, y)
    steps_per_epoch = -(-len(y) // 64)
    calls = []
    original = ShardWorkers.run

    def interrupting(self, tasks):
        calls.append(len(tasks))
        if len(calls) == steps_per_epoch + 1:  # the first step of epoch 2
            raise KeyboardInterrupt
        return original(self, tasks)

    monkeypatch.setattr(ShardWorkers, "run", interrupting)
    with pytest.warns(UserWarning, match="Training interrupted"):
        clf = RNNTextClassifier(n_jobs=2, **params).fit(X, y)
    assert clf.n_iter_ == 1
    for name, value in expected.weights_.items():
        assert clf.weights_[name].base is None
        assert_array_equal(clf.weights_[name], value, err_msg=name)


def test_a_step_of_empty_documents_only_is_computed_and_not_judged():
    config, params, _ = _problem()
    n = 3
    task = ShardTask(
        np.zeros((0, n), np.int32),
        np.zeros(n, np.int64),
        np.zeros(n, np.int64),
        np.ones(n),
        None,
        0.0,
    )
    expected = [shard_gradient(params, config, task) for _ in range(2)]
    with ShardWorkers(params, config, n_workers=0) as workers:
        workers._step = shards_module.EXPLORE_STEPS  # a judged step
        _assert_same_results(workers.run([task, task]), expected)
        assert not any(workers._rates.values())


def test_the_shards_taken_back_are_all_marked_before_any_is_computed(monkeypatch):
    # A worker that wakes while this process computes the first shard it
    # took back skips the others too, rather than computing them for nothing.
    config, params, tasks = _problem(n_shards=5)
    expected = _expected(5)
    original = ShardWorkers._compute
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        worker = workers._workers[0]

        def wake_at_the_first_taken(self, task):
            if any(task is tasks[i] for i in worker.pending):
                os.kill(worker.pid, signal.SIGCONT)
                time.sleep(0.5)  # time enough for it to read its shards
            return original(self, task)

        monkeypatch.setattr(ShardWorkers, "_compute", wake_at_the_first_taken)
        os.kill(worker.pid, signal.SIGSTOP)
        try:
            results = workers.run(tasks)
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        _assert_same_results(results, expected)
        said = []
        while len(said) < 2 and worker.connection.poll(30):
            said.append(worker.connection.recv()[0])
        assert said == ["skipped", "skipped"]


def test_a_worker_kept_from_reading_shards_larger_than_the_pipe_is_not_waited_for():
    # The long shard is more than a pipe holds: sent from this process's own
    # thread, it waited for the stopped worker to read it, for ever.
    config, params, tasks = _problem(n_shards=1)
    tasks = [tasks[0], _long_shard()]
    expected = [shard_gradient(params, config, task) for task in tasks]
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        worker = workers._workers[0]
        os.kill(worker.pid, signal.SIGSTOP)
        # woken in a while, if this process waits for it
        waking = threading.Timer(5.0, os.kill, (worker.pid, signal.SIGCONT))
        waking.start()
        try:
            start = time.monotonic()
            results = workers.run(tasks)
            waited = time.monotonic() - start
            # the fit ends without it
            workers._drop_all()
            assert not worker.sender.is_alive()
        finally:
            waking.cancel()
            os.kill(worker.pid, signal.SIGCONT)
    assert waited < 5.0
    _assert_same_results(results, expected)


def test_an_interrupt_sent_to_a_worker_is_left_to_this_process():
    # ^C in a terminal reaches the workers too: one ended by it broke the
    # pool (the next fit started a new one) and printed its traceback.
    config, params, tasks = _problem(n_shards=2)
    expected = _expected(2)
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        worker = workers._workers[0]
        os.kill(worker.pid, signal.SIGINT)
        time.sleep(0.5)
        assert not worker.future.done()
        _assert_same_results(workers.run(tasks), expected)
        assert workers._workers == [worker]


def test_the_first_step_after_any_change_of_way_is_not_judged():
    config, params, tasks = _problem(n_shards=3)
    judged = shards_module.JUDGED_STEPS
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        workers._step = 10  # far from the steps that explore
        workers._rates[True].extend([1.0] * judged)
        workers._rates[False].extend([2.0] * judged)
        workers.run(tasks)  # with the worker
        # alone now the faster: its first step is not judged, the next is
        workers._rates[True].extend([3.0] * judged)
        workers.run(_problem(n_shards=3)[2])
        assert list(workers._rates[False]) == [2.0] * judged
        workers.run(_problem(n_shards=3)[2])
        assert list(workers._rates[False])[:-1] == [2.0] * (judged - 1)
        # with the worker the faster again, but it is not free (busy with an
        # earlier step): alone, and the next step, with it, is not judged
        workers._rates[False].extend([4.0] * judged)
        workers._workers[0].pending = {0}
        workers.run(_problem(n_shards=3)[2])
        assert workers._rates[False][-1] < 4.0
        workers._workers[0].pending = set()
        workers.run(_problem(n_shards=3)[2])
        assert list(workers._rates[True]) == [3.0] * judged


def _warning_problem():
    """Two shards of which only the second, a worker's, issues warnings."""
    config, params, tasks = _problem(n_shards=2)
    tasks[0].ids[tasks[0].ids == 39] = 38
    tasks[1].ids[0, 0] = 39
    params["embed.E"][39] = np.inf  # NaN in the products of that shard only
    return config, params, tasks


def _said(records):
    return {(w.category, str(w.message), w.filename, w.lineno) for w in records}


def test_the_warnings_of_a_workers_shards_are_issued_in_this_process(monkeypatch):
    # as on one core: seen by the caller's filters, catch_warnings, pytest.warns
    config, params, tasks = _warning_problem()
    with warnings.catch_warnings(record=True) as alone:
        warnings.simplefilter("always")
        for task in tasks:
            shard_gradient(params, config, task)
    assert alone
    computed_here = _slow_here(monkeypatch)
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            workers.run(tasks)
        assert len(computed_here) == 1 and computed_here[0] is tasks[0]
        assert _said(caught) == _said(alone)
        # shown once, as the same warning of one process is
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            workers.run(tasks)
            workers.run(tasks)
        assert len(caught) == len(_said(alone))
        # filtered by the module that issued it
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.filterwarnings("ignore", module="skrnn.nn._recurrent")
            workers.run(tasks)
        assert not caught
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(RuntimeWarning, match="invalid value"):
                workers.run(tasks)
        # each time, the worker computed its shard
        assert all(task is tasks[0] for task in computed_here)


def test_a_shard_that_fails_in_a_worker_raises_what_it_raises_here(monkeypatch):
    config, params, tasks = _problem(n_shards=2)
    tasks[1].ids[0, 0] = config.n_vocab  # no such word
    with pytest.raises(IndexError) as alone:
        shard_gradient(params, config, tasks[1])
    computed_here = _slow_here(monkeypatch)
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        worker = workers._workers[0]
        with pytest.raises(IndexError) as caught:
            workers.run(tasks)
        # computed here again after the worker failed it, which is kept
        assert [task is tasks[1] for task in computed_here] == [False, True]
        assert workers._workers == [worker] and worker.free
    assert str(caught.value) == str(alone.value)


@pytest.mark.parametrize("then", ["raises", "interrupted"])
def test_a_step_that_fails_keeps_no_slot_mapped(monkeypatch, then):
    # The views of a worker's result in the traceback kept its block mapped
    # past close(), until another fit's.
    config, params, tasks = _problem(n_shards=4)
    if then == "raises":
        tasks[3].ids[0, 0] = config.n_vocab  # no such word: the worker's second
    _slow_here(monkeypatch)
    sent = _sent_results(monkeypatch)
    if then == "interrupted":
        original = ShardWorkers._read

        def read_then_interrupted(self, worker, results=None):
            original(self, worker, results)
            if sent:  # ^C once the worker's first result is read
                raise KeyboardInterrupt

        monkeypatch.setattr(ShardWorkers, "_read", read_then_interrupted)
    created = _created_blocks(monkeypatch)
    workers = ShardWorkers(params, config, n_workers=1)
    with pytest.raises((IndexError, KeyboardInterrupt)) as caught, workers:
        _wait_until_ready(workers)
        slots = workers._workers[0].slot_memory.name
        workers.run(tasks)
    assert caught.traceback  # kept, as an interrupted fit keeps it
    assert len(sent) == 1
    assert not _existing(created)
    # (a shard that raises here keeps the parameters' block mapped: its
    # frames in the traceback hold them)
    assert slots not in [memory.name for memory in shards_module._LINGERING]


def _serve_with(name, replace):
    """A ``_serve`` whose worker's ``skrnn._shards.<name>`` is ``replace(it)``.

    Cloudpickle sends it whole (a closure), and the worker's module is not
    the one this test patches.
    """

    def serve(*args):
        import skrnn._shards as module

        original = getattr(module, name)
        setattr(module, name, replace(original))
        try:
            module._serve(*args)
        finally:
            setattr(module, name, original)

    return serve


def test_a_worker_that_cannot_send_a_result_is_dropped_at_once(monkeypatch):
    # Its sender thread died (an exception other than OSError), and this
    # process waited for the result until the timeout.
    monkeypatch.setattr(shards_module, "WORKER_TIMEOUT", 5.0)
    monkeypatch.setattr(shards_module, "WORKER_TIMEOUT_FACTOR", 1.0)

    unpicklable_results = _serve_with(
        "shard_gradient", lambda original: lambda *_: (threading.Lock(), {})
    )
    monkeypatch.setattr(shards_module, "_serve", unpicklable_results)
    config, params, tasks = _problem(n_shards=2)
    expected = _expected(2)
    computed_here = _slow_here(monkeypatch)
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        start = time.monotonic()
        results = workers.run(tasks)
        waited = time.monotonic() - start
        assert workers._workers == []
    assert len(computed_here) == 2
    assert waited < 2.5
    _assert_same_results(results, expected)


def test_a_pipe_closed_here_in_the_middle_of_a_message_ends_the_sending_quietly():
    # A prober's finding: a script that predicted once with n_jobs=2 and
    # exited printed "Exception in thread ... (_send_all)" and a TypeError:
    # at exit the worker, not started yet, was dropped (its pipe shut and
    # closed) while the sender thread wrote the model to it, and the next
    # write of the message was to a handle of None.
    here, there = multiprocessing.Pipe()
    send = here._send

    def closed_after_a_first_part(buf):
        send(buf[:1])
        here.close()  # as _Worker.drop does, on another thread
        send(buf[1:])

    here._send = closed_after_a_first_part
    outbox = queue.SimpleQueue()
    outbox.put(b"a message")
    outbox.put(None)
    shards_module._send_all(here, outbox)
    assert here.closed
    there.close()


@pytest.mark.parametrize("then", ["stalls", "dies", "garbles"])
def test_a_worker_that_breaks_off_a_message_is_not_waited_for(monkeypatch, then):
    # A worker stopped in the middle of sending its result kept this
    # process's read waiting for the rest for ever; a message that could
    # not be unpickled failed the fit.
    monkeypatch.setattr(shards_module, "WORKER_TIMEOUT", 0.5)
    config, params, tasks = _problem(n_shards=2)
    expected = _expected(2)
    original = ShardWorkers._compute
    with ShardWorkers(params, config, n_workers=0) as workers:
        # a worker whose end of the pipe is this test's
        here, there = multiprocessing.Pipe()
        worker = shards_module._Worker(here, there, concurrent.futures.Future())
        worker.ready = True
        workers._workers.append(worker)
        workers._step = shards_module.EXPLORE_STEPS  # the next step is with it
        workers._taken[1] = workers._step + 1  # it starts its shard at once

        def compute_while_it_sends(self, task):
            if task is tasks[0] and then == "garbles":
                there.send_bytes(b"not a pickle")
            elif task is tasks[0]:
                os.write(there.fileno(), struct.pack("!i", 1000) + bytes(10))
                if then == "dies":
                    there.close()
            return original(self, task)

        monkeypatch.setattr(ShardWorkers, "_compute", compute_while_it_sends)
        outcome = []
        step = threading.Thread(
            target=lambda: outcome.append(workers.run(tasks)), daemon=True
        )
        start = time.monotonic()
        step.start()
        step.join(10.0)
        waited = time.monotonic() - start
        if step.is_alive():
            there.close()  # ends the read that waits
        step.join()
        assert workers._workers == []
    assert waited < 5.0
    _assert_same_results(outcome[0], expected)


@pytest.mark.parametrize("where", ["_drop", "unlink"])
def test_an_interrupt_while_closing_still_closes(monkeypatch, where):
    # A second ^C, in the cleanup after the first: the parameters stayed
    # views of the shared memory, and the memory and the worker were kept.
    config, params, _ = _problem()
    before = {name: value.copy() for name, value in params.items()}
    created = _created_blocks(monkeypatch)
    workers = ShardWorkers(params, config, n_workers=1)
    try:
        _wait_until_ready(workers)
        worker = workers._workers[0]
        target = workers if where == "_drop" else workers._memory
        original = getattr(target, where)

        def interrupted(*args, **kwargs):
            signal.raise_signal(signal.SIGINT)  # ^C
            return original(*args, **kwargs)

        monkeypatch.setattr(target, where, interrupted)
        with pytest.raises(KeyboardInterrupt):
            workers.close()
        for name, value in params.items():
            assert value.base is None
            assert_array_equal(value, before[name])
        assert len(created) == 2 and not _existing(created)
        assert workers._workers == []
        worker.future.result(timeout=30)  # it ended, free for the next fit
    finally:
        monkeypatch.undo()
        workers.close()


def test_pipes_stay_blocking_under_a_default_socket_timeout():
    # A socket made from a pipe's descriptor with a default timeout made
    # the pipe non-blocking: its reads and writes failed.
    config, params, tasks = _problem(n_shards=2)
    expected = _expected(2)
    socket.setdefaulttimeout(1.0)
    try:
        with ShardWorkers(params, config, n_workers=1) as workers:
            _wait_until_ready(workers)
            _assert_same_results(workers.run(tasks), expected)
            (worker,) = workers._workers
            assert os.get_blocking(worker.connection.fileno())
    finally:
        socket.setdefaulttimeout(None)


@pytest.mark.skipif(
    not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"),
    reason="glibc's malloc",
)
def test_a_worker_keeps_its_arrays_memory_from_step_to_step():
    # A new worker process returned its freed arrays' pages to the system
    # at every step, and faulted them in again at the next (657 page faults
    # a step against the training process's 1): it computed 22% slower.
    def faults_per_step(n_steps=20):
        import resource

        import numpy as np

        def step():
            arrays = [np.ones((48 + k, 16, 512), np.float32) for k in range(6)]
            return sum(float(a[-1, -1, -1]) for a in arrays)

        step()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(n_steps):
            step()
        return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / n_steps

    pool = shards_module._worker_pool(1, renew=True)  # a new process
    # six arrays of 1.5 MB a step: 2,300 pages
    assert pool.submit(faults_per_step).result(timeout=60) < 50


def test_a_workers_last_result_of_a_step_does_not_wait_for_its_thread(monkeypatch):
    # Handed to the worker's sender thread, its last result waited for the
    # thread to be woken and scheduled, while this process waited for it.
    def late(send_all):
        def send_all_late(connection, outbox, sending=None):
            class Late:
                def get(self):
                    message = outbox.get()
                    if message is not None and message[0] == "done":
                        time.sleep(3.0)
                    return message

            send_all(connection, Late(), sending)

        return send_all_late

    monkeypatch.setattr(shards_module, "_serve", _serve_with("_send_all", late))
    config, params, tasks = _problem(n_shards=2)
    expected = _expected(2)
    with ShardWorkers(params, config, n_workers=1) as workers:
        _wait_until_ready(workers)
        worker = workers._workers[0]
        start = time.monotonic()
        results = workers.run(tasks)
        waited = time.monotonic() - start
        assert workers._workers == [worker]
    _assert_same_results(results, expected)
    assert waited < 2.0


@pytest.mark.parametrize("filename", ["<dynamic-code>", "/elsewhere/tokenizers.py"])
def test_a_workers_warning_of_no_module_here_is_issued(filename):
    # a function sent by value (a closure, a lambda, __main__'s) has no
    # module here: its warnings, given warn_explicit a module of None, were
    # never shown
    warned = [(RuntimeWarning, "overflow encountered", filename, 7, None)]
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        shards_module._warn_here(warned)
    assert [str(record.message) for record in records] == ["overflow encountered"]
    assert records[0].filename == filename
