"""Tests for skrnn._prediction_workers: prediction on this process and a worker."""

import gc
import io
import os
import pickle
import signal
import sys
import textwrap
import threading
import time
import warnings
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path

import numpy as np
import pytest
from _subprocess import WITH_A_WORKER, run_python
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from test_prediction import _fitted_on_text

import skrnn
from skrnn import RNNTextClassifier, RNNTextRegressor, _prediction
from skrnn import _prediction_workers as workers_module
from skrnn._ngrams import ngram_logits
from skrnn._prediction import text_ids
from skrnn._prediction_workers import model_key
from skrnn.datasets import load_toy_sentiment

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="/proc and /dev/shm"
)


class _OnProcesses:
    """A judge that sends every call that can go on two processes there."""

    ways = _prediction.PREDICT_WAYS.ways

    def way(self, key, ways=None):
        ways = self.ways if ways is None else ways
        return "processes" if "processes" in ways else ways[0]

    def record(self, *args):
        pass


@pytest.fixture
def processes(monkeypatch):
    """Calls of 16 documents or more on two processes, in batches of 32."""
    monkeypatch.setattr(_prediction, "PREDICT_WAYS", _OnProcesses())
    monkeypatch.setattr(workers_module, "PREDICT_PROCESSES_MIN_DOCUMENTS", 16)
    monkeypatch.setattr(_prediction, "PREDICT_BATCH_GATES", 1)


def _worker():
    return workers_module._WORKER[0] if workers_module._WORKER else None


def _two_process_output(model, docs, method="predict_proba", seconds=60.0):
    """The output of a call of ``model``'s in which the worker computed batches.

    Calls until the worker (started and sent the model in the background)
    holds the model and takes part in a call.
    """
    key = model._predictor(model._model()).key
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        worker = _worker()
        ready = (
            worker is not None
            and worker.ready
            and not worker.broken
            and worker.held == key
        )
        pieces = worker.pieces if ready else None
        output = getattr(model.set_params(n_jobs=2), method)(docs)
        if ready and worker.pieces > pieces:
            return output
        time.sleep(0.02)
    pytest.fail("the worker took no part in any call")


@pytest.mark.parametrize(
    ("estimator", "params", "method"),
    [
        (RNNTextClassifier, {}, "predict_proba"),
        (RNNTextClassifier, {"ngram_range": None}, "predict_proba"),
        (RNNTextClassifier, {"n_estimators": 3}, "predict_proba"),
        (RNNTextClassifier, {"bidirectional": True, "cell": "lstm"}, "predict"),
        (RNNTextRegressor, {}, "predict"),
        (RNNTextRegressor, {"n_estimators": 2, "bidirectional": True}, "predict"),
    ],
)
def test_two_processes_give_the_bits_of_one(processes, estimator, params, method):
    model, docs = _fitted_on_text(estimator, **params)
    one = getattr(model.set_params(n_jobs=1), method)(docs)
    for _ in range(2):
        assert_array_equal(_two_process_output(model, docs, method), one)


def test_ids_and_companion_are_the_same_bits_whatever_the_cut():
    # what each process makes of its half of the texts
    model, docs = _fitted_on_text()
    predictor = model._predictor(model._model())
    sequences, whole = text_ids(predictor, docs)
    companion = ngram_logits(predictor.ngrams, whole)
    for cut in (1, 37, len(docs) // 2, len(docs) - 1):
        parts = [text_ids(predictor, docs[:cut]), text_ids(predictor, docs[cut:])]
        cut_sequences = parts[0][0] + parts[1][0]
        assert len(cut_sequences) == len(sequences)
        for got, want in zip(cut_sequences, sequences, strict=True):
            assert got.dtype == want.dtype
            assert_array_equal(got, want)
        cut_companion = [ngram_logits(predictor.ngrams, part[1]) for part in parts]
        assert_array_equal(np.concatenate(cut_companion), companion)


@pytest.mark.parametrize("lengths", [[], [0], [3, 0, 1], [0, 0], [5, 2, 7, 1]])
def test_packed_ids_unpack_to_the_same_sequences(lengths):
    # what the two processes send each other of a call's token ids
    rng = np.random.default_rng(0)
    sequences = [rng.integers(0, 100, n).astype(np.intp) for n in lengths]
    unpacked = workers_module._unpack(workers_module._pack(sequences))
    assert len(unpacked) == len(sequences)
    for got, want in zip(unpacked, sequences, strict=True):
        assert got.dtype == want.dtype
        assert_array_equal(got, want)


def _refit(model, docs):
    model.set_params(random_state=1)
    return _fitted_again(model.fit, docs)


def _fitted_again(fit, docs):
    X, y = load_toy_sentiment(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(X[::-1], y[::-1])


def _warm_start(model, docs):
    model.set_params(warm_start=True, max_iter=1)
    return _fitted_again(model.fit, docs)


def _partial_fit(model, docs):
    return _fitted_again(model.partial_fit, docs)


def _other_blend_weight(model, docs):
    return model.set_params(ngram_weight=0.2)


def _other_blend(model, docs):
    return model.set_params(ngram_blend="arithmetic")


@pytest.mark.parametrize(
    ("change", "params"),
    [
        (_refit, {}),
        (_warm_start, {}),
        (_partial_fit, {"ngram_range": None, "learning_rate": "constant"}),
        (_other_blend_weight, {}),
        (_other_blend, {}),
    ],
)
def test_the_worker_never_predicts_with_a_changed_model(processes, change, params):
    model, docs = _fitted_on_text(**params)
    before = model._predictor(model._model()).key
    _two_process_output(model, docs)  # the worker holds the model
    one_before = model.set_params(n_jobs=1).predict_proba(docs)
    change(model, docs)
    assert model._predictor(model._model()).key != before
    one = model.set_params(n_jobs=1).predict_proba(docs)
    assert not np.array_equal(one, one_before)
    assert_array_equal(_two_process_output(model, docs), one)


def _saved_and_loaded(model):
    buffer = io.BytesIO()
    skrnn.save(model, buffer)
    buffer.seek(0)
    return skrnn.load(buffer)


@pytest.mark.parametrize(
    "reload", [_saved_and_loaded, lambda model: pickle.loads(pickle.dumps(model))]
)
def test_the_worker_never_predicts_with_another_model_than_the_loaded_one(
    processes, reload
):
    # a model loaded while the worker holds another (its refit) predicts as
    # itself
    model, docs = _fitted_on_text()
    stored = pickle.dumps(model)
    one = model.set_params(n_jobs=1).predict_proba(docs)
    loaded = reload(model)
    _refit(model, docs)
    _two_process_output(model, docs)  # the worker holds the refit model
    assert not np.array_equal(model.set_params(n_jobs=1).predict_proba(docs), one)
    assert_array_equal(_two_process_output(loaded, docs), one)
    assert_array_equal(_two_process_output(pickle.loads(stored), docs), one)


def test_model_keys_are_never_reused():
    class Model:
        pass

    seen = set()
    for _ in range(5):
        model = Model()
        key = model_key(model)
        assert model_key(model) == key
        assert key not in seen
        seen.add(key)
        del model
        gc.collect()  # the next model may get its id


def test_a_call_while_another_thread_has_the_worker_runs_here(processes):
    model, docs = _fitted_on_text()
    one = model.set_params(n_jobs=1).predict_proba(docs)
    _two_process_output(model, docs)
    worker = _worker()
    pieces = worker.pieces
    with worker.lock:  # another thread's call
        assert_array_equal(model.set_params(n_jobs=2).predict_proba(docs), one)
    assert worker.pieces == pieces


def _shared_memory_exists(name):
    return Path("/dev/shm", name.lstrip("/")).exists()


def _gone_or_reaped(pid):
    # not a zombie: no process, or not one that has ended unwaited for
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return status.rsplit(")", 1)[1].split()[0] != "Z"


@linux_only
def test_a_killed_worker_loses_no_call_nor_memory(processes):
    model, docs = _fitted_on_text(n_estimators=2)
    one = model.set_params(n_jobs=1).predict_proba(docs)
    _two_process_output(model, docs)
    worker = _worker()
    name = worker.memory.name
    os.kill(worker.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not worker.broken and time.monotonic() < deadline:
        # (loky tells that the process died a moment later)
        assert_array_equal(model.set_params(n_jobs=2).predict_proba(docs), one)
    assert worker.broken
    assert not _shared_memory_exists(name)
    # a new worker, started in the background, takes part again
    assert_array_equal(_two_process_output(model, docs), one)
    assert _worker() is not worker
    deadline = time.monotonic() + 30
    while not _gone_or_reaped(worker.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone_or_reaped(worker.pid)


def _slow_in_workers():
    """A tokenizer that is slow in another process than the tests'.

    A little slow in this one too: the worker takes its half meanwhile (on a
    busy machine, this process took it first).
    """
    parent = os.getpid()

    def tokenize(doc):
        if os.getpid() != parent and doc == "slow here":
            time.sleep(3)
        elif os.getpid() == parent:
            time.sleep(0.001)
        return doc.split()

    return tokenize


@linux_only
def test_a_hung_worker_loses_no_call(processes, monkeypatch):
    model, docs = _fitted_on_text(tokenizer=_slow_in_workers(), token_pattern=None)
    docs = [*docs, "slow here"]
    one = model.set_params(n_jobs=1).predict_proba(docs)
    _two_process_output(model, docs[:-1])
    worker = _worker()
    name = worker.memory.name
    monkeypatch.setattr(workers_module, "WORKER_TIMEOUT", 0.2)
    monkeypatch.setattr(workers_module, "WORKER_TIMEOUT_FACTOR", 1.0)
    start = time.monotonic()
    assert_array_equal(model.set_params(n_jobs=2).predict_proba(docs), one)
    assert time.monotonic() - start < 2.5
    assert worker.broken
    assert not _shared_memory_exists(name)


def _warns_in_workers():
    """A tokenizer that warns in another process than the tests', slow in this one."""
    parent = os.getpid()

    def tokenize(doc):
        if os.getpid() != parent:
            # (issued from skrnn's module that tokenizes: this closure's own
            # place, sent by value, has no module that filters can match)
            warnings.warn("tokenized in the worker", UserWarning, stacklevel=2)
        else:
            time.sleep(0.001)  # the worker takes its half meanwhile
        return doc.split()

    return tokenize


def test_the_warnings_of_the_worker_are_issued_here(processes):
    model, docs = _fitted_on_text(tokenizer=_warns_in_workers(), token_pattern=None)
    one = model.set_params(n_jobs=1).predict_proba(docs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _two_process_output(model, docs)
    for _ in range(20):
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            assert_array_equal(model.set_params(n_jobs=2).predict_proba(docs), one)
        texts = [str(record.message) for record in records]
        if "tokenized in the worker" in texts:
            # once, however many documents warned
            assert texts.count("tokenized in the worker") == 1
            return
    pytest.fail("no warning of the worker's came")


def test_loky_exit_hooks_registered_after_the_worker_stop_it_first(monkeypatch):
    # A prober's finding: loky registers its exit hook again with every pool
    # it starts, and one started after the worker (a cross_val_score with
    # n_jobs=2) waited at exit for the worker's task, 300 s, before
    # _stop_worker ran.
    from joblib.externals.loky import process_executor

    workers_module._stop_at_exit()
    assert process_executor._python_exit.stops_the_worker
    calls = []
    monkeypatch.setattr(workers_module, "_stop_worker", lambda: calls.append("stop"))
    hook = workers_module._stopping_first(lambda: calls.append("loky"))
    hook()
    assert calls == ["stop", "loky"]
    assert workers_module._stopping_first(hook) is hook


@pytest.mark.slow
def test_the_interpreter_exits_at_once_after_a_later_pool_of_loky():
    script = WITH_A_WORKER + textwrap.dedent(
        """
        from joblib import Parallel, delayed

        # a new pool of loky's, as cross_val_score(n_jobs=2) starts
        Parallel(n_jobs=2, backend="loky")(delayed(abs)(i) for i in range(4))
        """
    )
    done, seconds = run_python(script)
    assert done.returncode == 0, done.stderr
    assert seconds < 60


@pytest.mark.slow
def test_the_interpreter_exits_quietly_while_the_model_is_sent_to_the_worker():
    # A prober's finding: a script that predicted once with n_jobs=2 and
    # exited at once printed "Exception in thread ... (_send_all)" and a
    # TypeError (most runs): the worker, still starting, was dropped while
    # the sender thread wrote the model to its pipe.
    script = textwrap.dedent(
        """
        from skrnn import RNNTextClassifier
        from skrnn.datasets import load_movie_reviews

        X, y = load_movie_reviews(return_X_y=True)
        X, y = list(X[:250]) + list(X[-250:]), list(y[:250]) + list(y[-250:])
        # a model larger than the pipe holds: its sending takes a while
        model = RNNTextClassifier(max_iter=1, hidden_size=16, n_jobs=2).fit(X, y)
        model.predict_proba(X)
        """
    )
    done, _ = run_python(script)
    assert done.returncode == 0, done.stderr
    assert "Exception in thread" not in done.stderr


@pytest.mark.slow
@linux_only
def test_the_interpreter_exits_with_a_worker_running(tmp_path):
    script = WITH_A_WORKER + textwrap.dedent(
        """
        import multiprocessing

        print(worker.memory.name)
        # a child forked now leaves the worker's memory alone (it closed it
        # under the marks' views: "Exception ignored ... BufferError")
        del worker
        fork = multiprocessing.get_context("fork")
        child = fork.Process(target=time.sleep, args=(0,))
        child.start()
        child.join()
        """
    )
    done, seconds = run_python(script)
    assert done.returncode == 0, done.stderr
    assert "leaked" not in done.stderr
    assert "BufferError" not in done.stderr
    assert seconds < 60
    if sys.platform.startswith("linux"):
        assert not _shared_memory_exists(done.stdout.strip())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_unmaps_the_parents_worker_memory_and_leaves_it():
    # Regression: a child forked from a process with a worker kept the
    # worker's memory mapped under the view of its marks, which, freed at
    # the child's exit, printed "Exception ignored in: SharedMemory.__del__
    # ... BufferError: cannot close exported pointers exist".
    worker = workers_module._current_worker()
    assert worker is not None
    name = worker.memory.name
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            gc.collect()
            mapped = [
                memory
                for memory in gc.get_objects()
                if isinstance(memory, SharedMemory)
                and memory.name == name
                and memory.buf is not None
            ]
            code = 0 if not mapped and not workers_module._WORKER else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # the parent's worker, its pipe and its memory are as they were
    assert workers_module._WORKER[0] is worker
    assert not worker.broken
    assert worker.memory.buf is not None
    if sys.platform.startswith("linux"):
        assert _shared_memory_exists(name)


def test_threads_stay_for_a_worker_still_starting(processes, monkeypatch):
    # a call goes on threads while the worker starts or gets the model
    model, docs = _fitted_on_text()
    one = model.set_params(n_jobs=1).predict_proba(docs)
    held = threading.Event()
    real = workers_module._Worker._send_keep

    def slow_keep(self, predictor):
        held.wait(30)
        real(self, predictor)

    monkeypatch.setattr(workers_module._Worker, "_send_keep", slow_keep)
    workers_module._stop_worker()  # a new worker, which gets no model yet
    try:
        for _ in range(3):
            assert_array_equal(model.set_params(n_jobs=2).predict_proba(docs), one)
            assert _worker().held is None
    finally:
        held.set()
    assert_array_equal(_two_process_output(model, docs), one)


def test_a_worker_that_cannot_start_keeps_prediction_here(processes, monkeypatch):
    # (a daemonic process may have no children)
    model, docs = _fitted_on_text()
    one = model.set_params(n_jobs=1).predict_proba(docs)
    monkeypatch.setattr(workers_module, "_UNSTARTABLE", [])

    def no_pool(*args, **kwargs):
        raise AssertionError("daemonic processes are not allowed to have children")

    monkeypatch.setattr(workers_module, "_worker_pool", no_pool)
    workers_module._stop_worker()
    for _ in range(20):
        assert_array_equal(model.set_params(n_jobs=2).predict_proba(docs), one)
        time.sleep(0.01)
    assert workers_module._UNSTARTABLE
    assert _worker() is None or _worker().broken


class _RestoredOnlyHere:
    """A tokenizer that cannot be unpickled in another process than the tests'."""

    def __init__(self):
        self.parent = os.getpid()

    def __call__(self, doc):
        return doc.split()

    def __setstate__(self, state):
        if os.getpid() != state["parent"]:
            raise RuntimeError("cannot be restored in this process")
        self.__dict__.update(state)


def _failing_in_workers():
    """A tokenizer that fails in another process than the tests'."""
    parent = os.getpid()

    def tokenize(doc):
        if os.getpid() != parent:
            raise RuntimeError("no tokenizer in this process")
        time.sleep(0.001)  # the worker takes its half meanwhile
        return doc.split()

    return tokenize


@pytest.mark.parametrize(
    "tokenizer", [_RestoredOnlyHere, _failing_in_workers], ids=["unpickled", "run"]
)
def test_a_model_the_worker_cannot_use_is_refused_not_restarted(processes, tokenizer):
    # the worker ended at each such model, and a new one was started (and
    # sent the model again) at every call, for ever
    model, docs = _fitted_on_text(tokenizer=tokenizer(), token_pattern=None)
    one = model.set_params(n_jobs=1).predict_proba(docs)
    key = model._predictor(model._model()).key
    deadline = time.monotonic() + 60.0
    while _worker() is None or key not in _worker().refused:
        assert time.monotonic() < deadline, "the worker never refused the model"
        assert_array_equal(model.set_params(n_jobs=2).predict_proba(docs), one)
        time.sleep(0.02)
    worker = _worker()
    for _ in range(10):
        assert_array_equal(model.set_params(n_jobs=2).predict_proba(docs), one)
    assert _worker() is worker
    assert not worker.broken
    assert worker.held is None


def _overflowing_in_workers():
    """A tokenizer that overflows in another process than the tests'."""
    parent = os.getpid()

    def tokenize(doc):
        if os.getpid() != parent:
            np.float64(1e308) * 10.0
        else:
            time.sleep(0.001)  # the worker takes its half meanwhile
        return doc.split()

    return tokenize


def test_the_worker_handles_floating_point_errors_as_the_calling_thread(processes):
    model, docs = _fitted_on_text(
        tokenizer=_overflowing_in_workers(), token_pattern=None
    )
    one = model.set_params(n_jobs=1).predict_proba(docs)
    with warnings.catch_warnings(record=True) as records, np.errstate(over="ignore"):
        warnings.simplefilter("always")
        for _ in range(5):
            assert_array_equal(_two_process_output(model, docs), one)
    assert not [record for record in records if "overflow" in str(record.message)]
    # the worker's part raises there, and this process computes it; the
    # worker keeps the model
    with np.errstate(over="raise"):
        for _ in range(5):
            assert_array_equal(model.set_params(n_jobs=2).predict_proba(docs), one)
    key = model._predictor(model._model()).key
    assert key not in _worker().refused
    with np.errstate(over="ignore"):
        assert_array_equal(_two_process_output(model, docs), one)


def test_the_workers_first_call_of_a_model_is_not_judged(processes, monkeypatch):
    # Its time, cold (the worker's caches, the model's pages), had the judge
    # send a's next 15 calls to threads, 8% slower (session 18's trace).
    recorded, calls = [], []

    class Judge(type(_prediction.PREDICT_WAYS)):
        def record(self, key, way, seconds_per_item, items=1):
            recorded.append(way)

    monkeypatch.setattr(_prediction, "PREDICT_WAYS", Judge())
    real = workers_module.two_process_logits

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(workers_module, "two_process_logits", counted)
    model, docs = _fitted_on_text()
    _two_process_output(model, docs)
    model.set_params(n_jobs=2).predict_proba(docs)
    assert len(calls) >= 2
    assert recorded.count("processes") == len(calls) - 1
    # and again for another model (a refit: a new key)
    model.set_params(random_state=1)
    _fitted_again(model.fit, docs)
    calls.clear()
    recorded.clear()
    _two_process_output(model, docs)
    model.set_params(n_jobs=2).predict_proba(docs)
    assert recorded.count("processes") == len(calls) - 1
