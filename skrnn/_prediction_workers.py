"""Prediction on two processes: this one and a worker process that keeps the model.

Tokenizing and the n-gram companion hold the GIL, so threads share one core
for much of a prediction (``benchmarks/RESULTS.md``, session 16).  With
``n_jobs`` of 2 or more, a call of :func:`~skrnn._prediction.text_logits` of
at least :data:`PREDICT_PROCESSES_MIN_DOCUMENTS` documents may run on this
process and a worker process (one of loky's, kept from call to call in a
pool of its own, as :mod:`skrnn._shards` keeps those of training), as
:data:`~skrnn._prediction.PREDICT_WAYS` judges:

1. the worker holds the fitted :class:`~skrnn._prediction.Predictor` under
   its key (:func:`model_key`: a new one for every fitted model, and so at
   every fit, ``partial_fit``, load and unpickling, with the companion's
   weight and blend as set), sent once, in the background (the calls on
   threads go on meanwhile);
2. a call sends it the second half of the texts; each process tokenizes its
   half and runs the companion on it, and each sends the other its token
   ids (the worker its companion's logits too): both then have the whole
   call's ids;
3. the network's work is the whole call's own batches, each member's, as
   :func:`~skrnn._prediction.predict_logits` cuts them for one thread; each
   process takes the next batch that neither has taken, the largest first,
   marking in shared memory the ones it takes; each batch's steps gather
   the first layer's rows from the process's table of the member's whole
   vocabulary (:class:`~skrnn._prediction.VocabularyTables`, made at the
   member's first call in that process) or from the call's distinct ids'
   rows cut out of it (:func:`~skrnn._prediction.prepared_table`), or
   without one each process projects the call's distinct ids (BLAS on one
   thread), and the worker sends back the logits of its batches.

Token ids, the companion's logits and each batch's logits are the same to
the bit whichever process makes them, and the batches are those of one
thread: the outputs are those of ``n_jobs=1``.

A worker that has not taken its half or a batch by the time this process
gets to it leaves it to this process, which also computes whatever a worker
that dies, breaks its pipe or takes too long (:data:`WORKER_TIMEOUT`) has
not sent back: no call is lost, and the worker is replaced (in the
background) at the next call.  The warnings of the worker's work are issued
again in this process (``_shards._warn_here``).

The worker keeps its copy of the model: changes made to a fitted model's
arrays (``weights_``'s, the vocabulary's) are not seen by it, so that a call
on two processes could predict with the model as it was (nor are changes
made in place to the embedding's or the layers', by either process: see
:class:`~skrnn._prediction.VocabularyTables`).  Every
way that skrnn changes a model makes a new one (a new key).
"""

import contextlib
import functools
import itertools
import multiprocessing
import os
import pickle
import queue
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Hashable, Iterator, Sequence
from multiprocessing.reduction import ForkingPickler

import numpy as np
from joblib import effective_n_jobs
from joblib.externals.loky import process_executor
from joblib.externals.loky.backend.reduction import dumps as worker_pickle

from ._ngrams import ngram_logits
from ._prediction import (
    Predictor,
    TwoProcesses,
    batch_logits,
    prediction_batches,
    prepared_table,
    text_ids,
    vocabulary_tables,
)
from ._shards import (
    WORKER_IDLE_TIMEOUT,
    _allocate,
    _caught,
    _close,
    _direct_bytes,
    _free,
    _limit_reads,
    _open,
    _send_all,
    _shut,
    _unsent_bytes,
    _warn_here,
    _worker_pool,
)
from ._threads import in_forked_children, processes_can_run, single_threaded_blas

__all__ = [
    "PREDICT_PROCESSES_MIN_DOCUMENTS",
    "model_key",
    "two_process_logits",
    "two_processes",
]

#: The fewest documents of a call on two processes: below, sending the texts
#: and ids and each process's fixed work cost more than the second core
#: saves (``benchmarks/RESULTS.md``, session 17).
PREDICT_PROCESSES_MIN_DOCUMENTS = 256

#: Seconds that this process waits for the worker's part beyond its own
#: (and :data:`WORKER_TIMEOUT_FACTOR` times as long as this process has
#: worked on the call) before it drops the worker and computes that part.
WORKER_TIMEOUT = 1.0
WORKER_TIMEOUT_FACTOR = 20.0

#: Seconds between two looks at whether the worker's process died, while
#: this process waits for it (its pipe may not tell at once).
POLL_SECONDS = 0.05

#: Pieces of a call whose taking the two processes mark in shared memory:
#: the two halves of the texts, then the network's batches (each member's
#: in turn); a batch beyond them is this process's.
MARK_SLOTS = 4096
HALVES = 2

#: The rows of the marks: this process's, the worker's.
CALLER, WORKER = 0, 1


# ------------------------------------------------------------------ keys

_KEYS: dict[int, int] = {}
_NEXT_KEY = itertools.count(1)


def model_key(model: object) -> int:
    """A number of the fitted ``model`` object's own, for as long as it lives.

    A fitted model is never changed, but replaced (``fit``, ``partial_fit``,
    a warm start, loading and unpickling each make a new one): a worker that
    holds the predictor of one key holds that model's.
    """
    key = _KEYS.get(id(model))
    if key is None:
        key = next(_NEXT_KEY)
        _KEYS[id(model)] = key
        weakref.finalize(model, _KEYS.pop, id(model), None)
    return key


# ------------------------------------------------------ the pieces' marks


def _marks(memory) -> np.ndarray:
    """The marks of a call's pieces (:data:`MARK_SLOTS`), a row for each process.

    ``marks[side, i] == call`` once process ``side`` has taken piece ``i`` of
    ``call``.
    """
    return np.frombuffer(memory.buf, np.int64, count=2 * MARK_SLOTS).reshape(
        2, MARK_SLOTS
    )


def _take(marks: np.ndarray, side: int, slot: int, call: int) -> bool:
    """Mark piece ``slot`` of ``call`` taken by ``side``; whether the other had not.

    Both may find the other's mark (both then leave the piece, which this
    process computes once the worker says it stopped), or neither (both
    compute it: the same bits).
    """
    marks[side, slot] = call
    return bool(marks[1 - side, slot] != call)


def _pack(sequences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids as one array and the lengths: quicker to pickle than many."""
    lengths = np.fromiter(map(len, sequences), np.intp, len(sequences))
    if not len(sequences):
        return np.empty(0, np.intp), lengths
    return np.concatenate(sequences), lengths


def _unpack(packed: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
    """The sequences of :func:`_pack`, views of its array.

    Sliced in a list comprehension: ``np.split`` took 0.6 ms for the 534
    documents of half of MR's held-out sentences, this 0.08.
    """
    ids, lengths = packed
    bounds = [0, *np.cumsum(lengths).tolist()]
    return [ids[start:end] for start, end in itertools.pairwise(bounds)]


def _read_half(
    predictor: Predictor, texts: Sequence[str]
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """The network's token ids of some documents, and the companion's logits."""
    sequences, whole = text_ids(predictor, texts)
    companion = None
    if predictor.ngrams is not None:
        companion = ngram_logits(predictor.ngrams, whole)
    return sequences, companion


class _Network:
    """The network's pieces of a call: each member's batches, in turn.

    Piece ``i`` is batch ``i % n_batches`` of member ``i // n_batches``;
    each member's first layer's table is made when a piece of it is first
    computed.  Both processes take the pieces in :attr:`order`, the largest
    first (:func:`largest_first`).
    """

    def __init__(
        self,
        predictor: Predictor,
        sequences: Sequence[np.ndarray],
        batches: list[np.ndarray] | None = None,
    ):
        self.predictor = predictor
        self.sequences = sequences
        if batches is None:
            batches = prediction_batches(
                predictor.members[0], sequences, predictor.config
            )
        self.batches = batches
        self.n_pieces = len(predictor.members) * len(self.batches)
        positions = [len(batch) * len(sequences[batch[0]]) for batch in batches]
        self.order = largest_first(np.tile(positions, len(predictor.members)))
        self._tables: dict[int, object] = {}
        self._vocabulary = vocabulary_tables(predictor.members, predictor.config)

    def batch(self, piece: int) -> np.ndarray:
        """The documents of piece ``piece``."""
        return self.batches[piece % len(self.batches)]

    def logits(self, piece: int) -> np.ndarray:
        """The logits of piece ``piece``'s documents."""
        member, batch = divmod(piece, len(self.batches))
        params = self.predictor.members[member]
        if member not in self._tables:
            self._tables[member] = prepared_table(
                params, self.sequences, self.predictor.config, self._vocabulary
            )
        return batch_logits(
            params,
            self.sequences,
            self.batches[batch],
            self.predictor.config,
            self._tables[member],
        )


def largest_first(costs: np.ndarray) -> np.ndarray:
    """The pieces by decreasing cost (ties in their order).

    Two processes that each take the next piece that neither has taken, in
    this order, share the work about evenly: the last pieces, the smallest,
    even it out (a batch's cost is its padded positions, some ten times
    the smallest's for the largest of a call of sentences).
    """
    return np.argsort(-np.asarray(costs), kind="stable")


class _Outbox:
    """Messages to the other process, in order: sent here when that cannot wait.

    A thread of its own sends what :meth:`put` is given, so that a message
    larger than the pipe holds waits there rather than here.  :meth:`send`
    sends a message from the calling thread when nothing is waiting or being
    sent and it fits in what is free of half the pipe's buffer (so that the
    write cannot wait for the other process to read): handed to the thread,
    it waited for the interpreter while this thread worked, up to its switch
    interval (5 ms), and so did the other process (the worker's start on its
    half of a call's texts: 3-5 ms of a 25 ms call of config e,
    ``benchmarks/RESULTS.md``, session 17).
    """

    def __init__(self, connection, daemon: bool = False) -> None:
        self.connection = connection
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.sending = threading.Lock()
        self.counting = threading.Lock()
        self.pending = 0
        self.buffer = 4 * _direct_bytes(connection)
        self.thread = threading.Thread(target=self._send_all, daemon=daemon)
        self.thread.start()

    def put(self, message) -> None:
        """Send ``message`` (a tuple, or bytes pickled) from the thread, in turn."""
        with self.counting:
            self.pending += 1
        self.queue.put(message)

    def send(self, message: tuple) -> None:
        """Send ``message`` from this thread if that cannot wait, else :meth:`put` it.

        A failure of the pipe is raised (OSError, ValueError).
        """
        if self.sending.acquire(blocking=False):
            try:
                if not self.pending:
                    data = ForkingPickler.dumps(message)
                    if self._fits(len(data)):
                        self.connection.send_bytes(data)
                        return
            finally:
                self.sending.release()
        self.put(message)

    def _fits(self, n_bytes: int) -> bool:
        """Whether ``n_bytes`` fit in half the buffer beside what is unread there.

        Where the unread bytes are not known, a quarter of the buffer.
        """
        unsent = _unsent_bytes(self.connection)
        if unsent is None:
            return n_bytes <= self.buffer // 4
        return n_bytes + unsent <= self.buffer // 2

    def close(self, wait: bool = True) -> None:
        """Stop the thread once it has sent what it was given."""
        self.queue.put(None)
        if wait:
            self.thread.join()

    def _send_all(self) -> None:
        """The thread: :func:`~skrnn._shards._send_all`, counting what it sent."""
        _send_all(self.connection, self.queue, _Sending(self))


class _Sending:
    """What :class:`_Outbox`'s thread holds while it sends a message."""

    def __init__(self, outbox: _Outbox) -> None:
        self.outbox = outbox

    def __enter__(self) -> None:
        self.outbox.sending.acquire()

    def __exit__(self, *exc_info) -> None:
        with self.outbox.counting:
            self.outbox.pending -= 1
        self.outbox.sending.release()


# ------------------------------------------------------------ the worker


def _serve(connection, memory_name: str) -> None:
    """The worker: keeps the predictor it is sent, takes its part of calls.

    Messages: ``("keep", key, data)``, the predictor pickled, answered
    ``("kept", key)``, or ``("refused", key)`` if it cannot be unpickled
    here (the worker then keeps the one it held); ``("call", call, key,
    texts, errstate)``, the second half of a call's texts and the calling
    thread's :func:`numpy.geterr` (see :func:`_serve_call`),
    answered ``("unknown", call)`` when the worker does not hold ``key``.
    Ends when the pipe closes or after
    :data:`~skrnn._shards.WORKER_IDLE_TIMEOUT` seconds without a message.
    """
    memory = _open(memory_name)
    marks = _marks(memory)
    outbox = _Outbox(connection)
    kept: tuple[Hashable, Predictor] | None = None
    try:
        outbox.put(("ready", os.getpid()))
        pending = None
        with single_threaded_blas():
            while True:
                message = pending
                pending = None
                if message is None:
                    if not connection.poll(WORKER_IDLE_TIMEOUT):
                        return
                    message = connection.recv()
                if message[0] == "keep":
                    kept = _unpickled(outbox, kept, message[1], message[2])
                elif message[0] == "call":
                    kept, pending = _serve_call(
                        connection, outbox, marks, kept, message
                    )
                # ("ids" of a call given up: nothing to do)
    except (EOFError, OSError):
        pass  # the calling process closed the pipe
    finally:
        outbox.close()
        del marks
        _close(memory)
        connection.close()


def _unpickled(
    outbox: _Outbox, kept: tuple | None, key: Hashable, data: bytes
) -> tuple | None:
    """The key and predictor that the worker holds once sent ``data``.

    A predictor whose text functions cannot be unpickled here (a class or
    module that this process does not have, a ``__setstate__`` that fails)
    is refused, and the one held is kept: the calling process does not send
    it again, nor start another worker for it.
    """
    try:
        predictor = pickle.loads(data)
    except Exception:
        outbox.put(("refused", key))
        return kept
    outbox.put(("kept", key))
    return key, predictor


def _serve_call(
    connection, outbox, marks, kept, message
) -> tuple[tuple | None, tuple | None]:
    """The worker's part of a call: the model it holds then, a message that came.

    The worker takes the second half of the texts unless the calling process
    has (``marks``), and sends ``("ids", call, ids, companion, warned)``
    (else ``("skipped", call)``); waits for the calling process's ids of
    the halves it read and the batches, ``("ids", call, first, second,
    batches)``; then takes the
    network's pieces that the calling process has not, in the order of
    :class:`_Network`, sending ``("logits", call, piece, logits, warned)``
    for each, and
    ``("stop", call)`` after them.  It stops early for a message that comes
    meanwhile (a new call: this one was given up), and returns it.

    A part that fails here (text functions that work only in the calling
    process) is left to the calling process, and so are the calls of that
    model: the worker forgets it, and says ``("refused", key)`` before
    ``("stop", call)``; but for a floating-point error, of this call only.
    A failure of the pipe ends the worker.
    """
    _, call, key, texts, errstate = message
    if kept is None or kept[0] != key:
        outbox.put(("unknown", call))
        return kept, None
    try:
        with np.errstate(**errstate):  # as in the calling thread
            part = _take_part(connection, outbox, marks, kept[1], call, texts)
        return kept, part
    except (EOFError, OSError):
        raise
    except ArithmeticError:
        return kept, None  # of this call's numbers (np.errstate's "raise")
    except Exception:
        outbox.put(("refused", key))
        return None, None
    finally:
        outbox.put(("stop", call))


def _take_part(connection, outbox, marks, predictor, call, texts) -> tuple | None:
    """:func:`_serve_call` with the worker's predictor, but for its last message."""
    with warnings.catch_warnings(record=True) as records:
        # all of them, for the calling process's filters
        warnings.simplefilter("always")
        own = None
        if _take(marks, WORKER, 1, call):
            own = _read_half(predictor, texts)
            outbox.send(("ids", call, _pack(own[0]), own[1], _caught(records)))
            records.clear()
        else:
            outbox.send(("skipped", call))
        message = connection.recv()
        if message[:2] != ("ids", call):
            return message
        first, second, batches = message[2:]
        sequences = _unpack(first)
        sequences += own[0] if second is None else _unpack(second)
        network = _Network(predictor, sequences, batches)
        for piece in network.order:
            if connection.poll():
                break  # a new call: this one was given up
            if piece >= MARK_SLOTS - HALVES or not _take(
                marks, WORKER, HALVES + piece, call
            ):
                continue
            logits = network.logits(piece)
            outbox.send(("logits", call, piece, logits, _caught(records)))
            records.clear()
    return None


# ---------------------------------------------------- the calling process


class _Worker:
    """The worker as the calling process sees it: its pipe, marks and model."""

    def __init__(self, renew: bool) -> None:
        self.memory = _allocate(2 * MARK_SLOTS * 8)
        self.marks = _marks(self.memory)
        self.marks[...] = 0
        self.connection, self.other_end = multiprocessing.Pipe()
        _limit_reads(self.connection, WORKER_TIMEOUT)
        self.outbox = _Outbox(self.connection, daemon=True)
        self.calls = itertools.count(1)
        self.lock = threading.Lock()  # one call at a time
        self.ready = False
        self.broken = False
        self.future = None
        self.pid: int | None = None
        #: the key of the predictor the worker holds, of the one last sent
        self.held: Hashable | None = None
        self.sent: Hashable | None = None
        #: the keys of the predictors that the worker cannot use
        self.refused: set[Hashable] = set()
        #: network pieces that the worker computed (tests, benchmarks)
        self.pieces = 0
        #: the key of the predictor of the worker's last call on two
        #: processes: the first call of another is cold (its caches, the
        #: model's pages), and not judged (:func:`two_processes`)
        self.warm: Hashable | None = None
        # loky's pool starts the process: in the background, as the
        # predictor's sending, while the calls go on threads
        threading.Thread(target=self._start, args=(renew,), daemon=True).start()

    def _start(self, renew: bool) -> None:
        try:
            pool = _worker_pool(1, renew=renew, kind="prediction")
            self.future = pool.submit(_serve, self.other_end, self.memory.name)
            _stop_at_exit()
        except Exception:
            # no processes here (a daemonic process): none is tried again
            _UNSTARTABLE.append(True)
            self.drop()

    def keep(self, predictor: Predictor) -> None:
        """Send the worker ``predictor`` (once per key), from a thread of its own.

        Never one that it refused.
        """
        if self.sent == predictor.key or predictor.key in self.refused:
            return
        self.sent = predictor.key
        threading.Thread(target=self._send_keep, args=(predictor,), daemon=True).start()

    def _send_keep(self, predictor: Predictor) -> None:
        try:
            data = worker_pickle(predictor)
        except Exception:
            return  # a text function that no pickle carries: never sent
        # the predictor pickled apart: a worker that cannot unpickle it says so
        message = ("keep", predictor.key, pickle.PickleBuffer(data))
        self.outbox.put(ForkingPickler.dumps(message, pickle.HIGHEST_PROTOCOL))

    def send(self, message: tuple) -> None:
        """Send ``message`` (:meth:`_Outbox.send`); drop the worker if that fails."""
        try:
            self.outbox.send(message)
        except (OSError, ValueError):
            self.drop()

    def read_waiting(self) -> None:
        """Read the messages that have come, without waiting (see :meth:`_note`)."""
        try:
            while not self.broken and self.connection.poll():
                self._note(self.connection.recv())
        except Exception:
            self.drop()
        if self.future is not None and self.future.done():
            self.drop()  # its task ended (idle, or its pool broke)

    def receive(self, call: int, kinds: tuple[str, ...], deadline: float):
        """The next message of ``call`` of one of ``kinds``; None if there is none.

        None once ``deadline`` (of :func:`time.perf_counter`) has passed or
        the pipe broke: the worker is then dropped.
        """
        while not self.broken:
            timeout = deadline - time.perf_counter()
            if timeout <= 0 or (self.future is not None and self.future.done()):
                break  # late, or its task ended (loky saw the process die)
            try:
                if not self.connection.poll(min(timeout, POLL_SECONDS)):
                    continue
                message = self.connection.recv()
            except Exception:
                break
            if not self._note(message) and message[1] == call and message[0] in kinds:
                return message
        self.drop()
        return None

    def _note(self, message: tuple) -> bool:
        """Take in a message about the worker; whether it was one."""
        kind = message[0]
        if kind == "ready":
            self.ready, self.pid = True, message[1]
            self.other_end.close()
        elif kind == "kept":
            self.held = message[1]
        elif kind == "unknown":
            self.held = self.sent = None
        elif kind == "refused":
            self.refused.add(message[1])
            if self.held == message[1]:
                self.held = None
        else:
            return False
        return True

    def drop(self) -> None:
        """Stop using the worker: its pipe is shut, its marks freed."""
        self.broken = True
        self.outbox.close(wait=False)
        _shut(self.connection)
        with contextlib.suppress(Exception):
            self.connection.close()
            self.other_end.close()
        memory, self.memory = self.memory, None
        self.marks = None
        if memory is not None:
            _free(memory)


#: The worker of this process (a list of at most one), and a lock for it.
_WORKER: list[_Worker] = []
_WORKER_LOCK = threading.Lock()

#: Not empty once a worker could not be started: prediction stays here.
_UNSTARTABLE: list[bool] = []


def _reset() -> None:
    global _WORKER_LOCK
    for worker in _WORKER:
        _leave_to_parent(worker)
    _WORKER.clear()
    _UNSTARTABLE.clear()
    _WORKER_LOCK = threading.Lock()


def _leave_to_parent(worker: _Worker) -> None:
    """Forget the parent's ``worker`` in a forked child: unmap the child's copy.

    The worker's pipe and shared memory are the parent's, which the child
    must neither shut nor unlink (as :meth:`_Worker.drop` would): the
    child only unmaps its copy of the memory, once the view of the marks is
    gone (:func:`~skrnn._shards._close`).  Freed with the view of its marks
    still held, the memory was closed under it: "Exception ignored in:
    SharedMemory.__del__ ... BufferError" when the child exited.
    """
    worker.marks = None
    memory, worker.memory = worker.memory, None
    if memory is not None:
        _close(memory)


# A forked child has none of the parent's worker, nor its threads.
in_forked_children(_reset)


def _current_worker() -> _Worker | None:
    """The worker, started (in the background) if there is none or it broke."""
    with _WORKER_LOCK:
        renew = False
        if _UNSTARTABLE:
            return None
        if _WORKER:
            worker = _WORKER[0]
            if not worker.broken:
                return worker
            _WORKER.clear()
            renew = True
        try:
            worker = _Worker(renew)
        except OSError:  # no shared memory here
            return None
        _WORKER.append(worker)
        return worker


def _stop_worker() -> None:
    """Shut the worker's pipe: it ends, and loky's pool with it."""
    with _WORKER_LOCK:
        for worker in _WORKER:
            worker.drop()
        _WORKER.clear()


@functools.cache
def _stop_at_exit() -> None:
    """Stop the worker when the interpreter exits, before loky's pools are shut.

    Loky shuts its pools when the interpreter exits (a hook of threading's,
    called before ``atexit``'s), waiting for their tasks: the worker's lasts
    until its pipe closes.  Threading's hooks are called last registered
    first, and loky's was registered with its first pool; but loky registers
    its hook again with every pool it starts later (its record of the
    registration is the None that ``threading._register_atexit`` returns),
    and a pool started after the worker (joblib's, for a
    ``cross_val_score(n_jobs=2)``, or one that replaces a worker that died)
    waited for the worker, up to :data:`~skrnn._shards.WORKER_IDLE_TIMEOUT`
    seconds, before this hook ran.  So loky's hook registered from now on
    stops the worker first (:func:`_stopping_first`).
    """
    threading._register_atexit(_stop_worker)
    process_executor._python_exit = _stopping_first(process_executor._python_exit)


def _stopping_first(python_exit: Callable[[], None]) -> Callable[[], None]:
    """Loky's exit hook ``python_exit``, that stops the worker first."""
    if getattr(python_exit, "stops_the_worker", False):
        return python_exit

    @functools.wraps(python_exit)
    def stop_then_exit() -> None:
        _stop_worker()
        python_exit()

    stop_then_exit.stops_the_worker = True
    return stop_then_exit


@contextlib.contextmanager
def two_processes(
    predictor: Predictor, n_documents: int, n_jobs: int | None
) -> Iterator[TwoProcesses | None]:
    """A call on this process and the worker, if it can take part now; None otherwise.

    A call of ``n_documents`` documents on two processes needs ``n_jobs`` of
    2 or more, :data:`PREDICT_PROCESSES_MIN_DOCUMENTS` documents, a keyed
    predictor, a built-in cell and head and joblib's processes
    (:func:`~skrnn._threads.processes_can_run`), and a worker that holds the
    predictor and that no other thread's call is using.  A worker that does
    not hold it yet is started and sent it in the background, for later
    calls.

    Yields
    ------
    callable or None
        :func:`two_process_logits` with the worker and ``predictor``, as
        :func:`~skrnn._prediction.text_logits` takes it; its attribute
        ``cold`` says whether it is the worker's first call of this
        predictor, whose time says little of the next ones'.
    """
    if (
        predictor.key is None
        or n_documents < PREDICT_PROCESSES_MIN_DOCUMENTS
        or effective_n_jobs(n_jobs) < 2
        or not processes_can_run(predictor.config)
    ):
        yield None
        return
    worker = _current_worker()
    if worker is None or not worker.lock.acquire(blocking=False):
        yield None
        return
    try:
        worker.read_waiting()
        if not worker.broken:
            worker.keep(predictor)
        usable = worker.ready and not worker.broken and worker.held == predictor.key
        if not usable:
            yield None
            return
        call = functools.partial(two_process_logits, worker, predictor)
        call.cold = worker.warm != predictor.key
        yield call
    finally:
        worker.lock.release()


def two_process_logits(
    worker: _Worker,
    predictor: Predictor,
    texts: Sequence[str],
    on_batch: Callable[[int], None] | None = None,
) -> tuple[list[np.ndarray], np.ndarray | None, list[np.ndarray]]:
    """A call's logits, computed by this process and ``worker`` (see the module).

    Parameters
    ----------
    worker : _Worker
        The worker, holding ``predictor`` (:func:`two_processes`).
    predictor : Predictor
        The fitted model.
    texts : sequence of str
        The documents.
    on_batch : callable, optional
        Called with the number of documents of each member's batch once it
        is done (or received).

    Returns
    -------
    logits : list of ndarray of shape (n_samples, n_outputs)
        Each member's logits, as :func:`~skrnn._prediction.predict_logits`
        gives them.
    companion : ndarray of shape (n_samples, n_outputs) or None
        The companion's logits, or None without one.
    sequences : list of ndarray
        The network's token ids of each document.
    """
    start = time.perf_counter()
    call = next(worker.calls)
    middle = len(texts) // 2
    warned: list[tuple] = []
    worker.send(("call", call, predictor.key, texts[middle:], np.geterr()))

    def deadline() -> float:
        now = time.perf_counter()
        return now + max(WORKER_TIMEOUT, WORKER_TIMEOUT_FACTOR * (now - start))

    with single_threaded_blas():
        first = _read_half(predictor, texts[:middle])
        second, sent, stopped = None, None, False
        if worker.marks is not None and not _take(worker.marks, CALLER, 1, call):
            message = worker.receive(call, ("ids", "skipped", "stop"), deadline())
            # (stopped: its half failed there)
            stopped = message is not None and message[0] == "stop"
            if message is not None and message[0] == "ids":
                second = (_unpack(message[2]), message[3])
                warned += message[4]
        if second is None:
            second = _read_half(predictor, texts[middle:])
            sent = _pack(second[0])
        sequences = first[0] + second[0]
        network = _Network(predictor, sequences)
        # the batches too: the worker's constants may differ (a test's)
        worker.send(("ids", call, _pack(first[0]), sent, network.batches))
        companion = None
        if predictor.ngrams is not None:
            companion = np.concatenate([first[1], second[1]])
        dtype = predictor.members[0]["head.b_y"].dtype
        logits = [
            np.empty((len(sequences), predictor.config.n_outputs), dtype)
            for _ in predictor.members
        ]
        done = np.zeros(network.n_pieces, dtype=bool)

        def put(piece: int, values: np.ndarray) -> None:
            member = piece // len(network.batches)
            logits[member][network.batch(piece)] = values
            done[piece] = True
            if on_batch is not None:
                on_batch(len(network.batch(piece)))

        for piece in network.order:
            marks = worker.marks
            if (
                piece < MARK_SLOTS - HALVES
                and marks is not None
                and not _take(marks, CALLER, HALVES + piece, call)
            ):
                continue  # the worker's
            put(piece, network.logits(piece))
        # the worker's pieces, until it says it stopped
        while not stopped and not done.all():
            message = worker.receive(call, ("logits", "stop"), deadline())
            if message is None or message[0] == "stop":
                break
            _, _, piece, values, caught = message
            warned += caught
            if not done[piece]:
                worker.pieces += 1
                put(piece, values)
        # what it left, or did not send back
        for piece in np.flatnonzero(~done):
            put(piece, network.logits(piece))
    worker.warm = predictor.key
    # what the worker's part would have issued here
    _warn_here(list(dict.fromkeys(warned)))
    return logits, companion, sequences
