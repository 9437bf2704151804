"""Prediction: the logits of many documents, batched by length.

Text is read a chunk of :data:`PREDICT_CHUNK` documents at a time
(:func:`text_logits`), in worker processes when there is enough of it (see
:data:`PREDICT_WORKERS_MIN_CHARACTERS`).  Within a chunk, documents are
sorted by length and cut into batches of similar lengths, so that little of
a batch is padding, and the batches run on ``n_jobs`` threads.  Memory is
bounded by the chunk and the batch sizes below, whatever the number of
documents.
"""

import collections
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple

import numpy as np
from joblib import effective_n_jobs

from ._batching import length_runs, length_sorted, pad_batch
from ._ngrams import NgramModel, ngram_logits
from ._threads import (
    Helpers,
    WayJudge,
    helper_threads,
    in_forked_children,
    map_shared,
    single_threaded_blas,
)
from .nn import NetworkConfig
from .nn._functional import log_sum_exp
from .nn._heads import get_head
from .nn._network import predict_prepared, prepare_predict, streams
from .nn._streaming import prepared_rows

Params = dict[str, np.ndarray]

#: Padded positions (``n_steps * n_samples``) of a prediction batch: few enough
#: for a step's gate arrays to stay in cache (4x faster than 2**16 for the LSTM
#: on sentences) and for memory to stay bounded whatever the document lengths.
PREDICT_BATCH_POSITIONS = 2**12

#: ... or, when the width of the gates is known, as many documents as make a
#: step's gate array (documents x gates x hidden size) about this many numbers,
#: up to ``PREDICT_SHORT_POSITIONS`` positions: narrow networks spend their
#: steps on per-call overhead in batches of ``PREDICT_BATCH_POSITIONS``, wide
#: ones fall out of cache.
PREDICT_BATCH_GATES = 2**17
PREDICT_SHORT_POSITIONS = 2**14

#: ... except that long documents are batched at least this many at a time,
#: up to ``PREDICT_MAX_POSITIONS``: a batch of 4 documents spends its steps on
#: per-call overhead (1,000-token documents predict 2.4 times faster in 32s,
#: 10,000-token ones 7 times faster than in 3s).  The forward pass runs in
#: chunks of time, so a batch's memory is its padded token ids (8 MB here).
PREDICT_MIN_BATCH = 32
PREDICT_MAX_POSITIONS = 2**20

#: The most documents that prediction tokenizes and predicts at a time:
#: memory grows with a chunk's token ids rather than the whole input's, and
#: chunks are what worker processes share (see :func:`text_chunks`).  Text
#: is cut into the same chunks whatever ``n_jobs``, so that the outputs are
#: the same to the bit.
PREDICT_CHUNK = 2**14

#: Characters of text from which a prediction with ``n_jobs`` of 3 or more
#: runs its chunks in worker processes (with 2, each chunk runs on this
#: process and the worker that keeps the model, as any call of enough
#: documents: :mod:`skrnn._prediction_workers`): some 70,000 sentences, about two
#: seconds of the defaults' prediction on one core.  Tokenizing holds the
#: GIL (a third of the defaults' time), and so do the many small calls of a
#: narrow network's steps, so threads share one core for much of a call
#: (``benchmarks/prediction.py``); processes do not, but starting them takes
#: a second or two the first time (joblib keeps them for later calls).
PREDICT_WORKERS_MIN_CHARACTERS = 2**23

#: How a prediction with ``n_jobs`` of 2 or more runs, by network and by
#: whether a worker process could take part: on two processes (this one and
#: a worker that keeps the model, :mod:`skrnn._prediction_workers`), on
#: helper threads, or alone: the way that has been the fastest per token,
#: but one call in eight another way, one not measured in the last second
#: nor in the last fifty times its call's seconds of calls of its kind (see
#: :class:`~skrnn._threads.WayJudge`).
#: Beside a core that other work keeps busy, helper threads made a call of a
#: thousand sentences up to 1.7 times slower than one thread (the thread
#: that holds the GIL is often the one the system keeps waiting); on free
#: cores they made it 1.3-1.6 times faster (``benchmarks/RESULTS.md``,
#: session 15), and two processes more (session 17).  Calls of 20 ms lost
#: 5% to exploring one in eight (session 19); calls of b's LSTM, twice as
#: fast on two processes as the other ways, still lost 6% to exploring
#: each other way about once a second (``benchmarks/RESULTS.md``, session
#: 21, "The judge's explorations").
PREDICT_WAYS = WayJudge(
    ways=("processes", "threads", "alone"), explore_seconds=1.0, explore_share=0.02
)


def prediction_batch_size(
    length: int, gate_width: int | None = None, *, streamed: bool = True
) -> int:
    """Number of documents of at most ``length`` tokens to predict at once.

    ``gate_width`` is the width of a step's gate array (the number of gates
    times the hidden size), if known.  ``streamed`` is whether the network
    predicts in chunks of time (see :func:`~skrnn.nn._network.streams`);
    one that does not keeps every position of its batch, so that long
    documents are not batched beyond ``PREDICT_BATCH_POSITIONS``.
    """
    length = max(1, length)
    if not streamed:
        return max(PREDICT_BATCH_POSITIONS // length, 1)
    if gate_width is None:
        documents = PREDICT_BATCH_POSITIONS // length
    else:
        documents = min(
            PREDICT_BATCH_GATES // max(1, gate_width),
            PREDICT_SHORT_POSITIONS // length,
        )
    return max(
        documents,
        min(PREDICT_MIN_BATCH, PREDICT_MAX_POSITIONS // length),
        1,
    )


#: The most numbers that the first layer's projection of the distinct ids of
#: a call's documents (ids x gate width x directions) may hold for it to be
#: made once per call, 32 MB in float32; past it each batch projects its own
#: ids, so that memory stays bounded by the batch whatever the vocabulary and
#: the network's width.
PREPARED_TABLE_VALUES = 2**23


def predict_logits(
    params: Params,
    sequences: Sequence[np.ndarray],
    config: NetworkConfig,
    n_jobs: int | None = None,
    on_batch: Callable[[int], None] | None = None,
    helpers: Helpers | None = None,
    tables: "VocabularyTables | None" = None,
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
    n_jobs : int or None
        Number of threads that run the batches (this one and helpers),
        unless ``helpers`` are given.
    on_batch : callable, optional
        Called with the number of sequences of each batch once it is done,
        from the thread that ran it (a progress display).
    helpers : Helpers, optional
        Threads that run the batches beside this one, shared with other
        work (as :func:`~skrnn._threads.helper_threads` gives them); by
        default, threads of their own for ``n_jobs``.
    tables : VocabularyTables, optional
        Where a fitted network's table of its whole vocabulary is kept
        (:data:`VOCABULARY_TABLES`): not for arrays that change, as in
        training.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        Logits, row i for ``sequences[i]``.
    """
    logits = np.empty((len(sequences), config.n_outputs), params["head.b_y"].dtype)
    batches = prediction_batches(params, sequences, config)
    prepared = prepared_table(params, sequences, config, tables)

    def run(idx: np.ndarray) -> None:
        logits[idx] = batch_logits(params, sequences, idx, config, prepared)
        if on_batch is not None:
            on_batch(len(idx))

    if helpers is not None:
        map_shared(helpers, run, batches)
        return logits
    with helper_threads(n_jobs, len(batches)) as own:
        map_shared(own, run, batches)
    return logits


def prediction_batches(
    params: Params, sequences: Sequence[np.ndarray], config: NetworkConfig
) -> list[np.ndarray]:
    """The batches of :func:`predict_logits`: indices of sequences of similar lengths.

    The sequences sorted by decreasing length (ties in their order) and cut
    into runs sized by :func:`prediction_batch_size`; the same for every
    member of an ensemble, whose networks have the same architecture.
    """
    lengths = np.fromiter(map(len, sequences), np.intp, len(sequences))
    order = length_sorted(lengths, np.arange(len(sequences)))
    return length_runs(order, lengths, _batch_size_rule(params, config))


#: The most bytes of a network's first layer projected for every id of its
#: vocabulary (ids x gate width x directions), which prediction makes once and
#: keeps while the network lives (:class:`VocabularyTables`): 75 MB for an
#: LSTM of 256 over MR's 18,396 words, 14 MB for the defaults'.
VOCABULARY_TABLE_BYTES = 2**27

#: The most bytes of such tables that a process keeps: past it, those of the
#: networks used least recently are dropped (made again if used again).
VOCABULARY_TABLES_BYTES = 2**28


class _Table(NamedTuple):
    """A network's table of its whole vocabulary, kept by :class:`VocabularyTables`."""

    #: The layers' arrays it was made from (with the embedding, its key).
    sources: tuple
    #: The prepared network of every id.
    prepared: Any
    #: The bytes of its first layer's table.
    n_bytes: int
    #: What forgets it when the embedding dies (one for as long as it is kept).
    watch: weakref.finalize


class VocabularyTables:
    """Each network's first layer projected for its whole vocabulary, made once.

    A call projects the distinct ids of its documents, at every call: 8-13%
    of a call of a thousand sentences for an LSTM (``benchmarks/RESULTS.md``,
    session 19), made by both processes of a call on two.  The table of
    every id of the vocabulary costs a few calls' once, and then nothing.
    The rows of a product are the same bits whichever other rows are in it
    but for one row alone (a matrix-vector product), and not for every
    width of the gates (BLAS's edge kernels): so a network whose whole table
    fits :data:`VOCABULARY_TABLE_BYTES` predicts through it from its first
    call, at every call, in every process, and its first layer's rows do not
    depend on the other documents of a call (its batches still do: the
    recurrent products' rows are those of their batch).  Made with one BLAS
    thread, as prediction runs.

    The tables are kept by the identity of the arrays they were made from
    (the embedding, each layer's weights): a fitted model's arrays never
    change, as training works on copies; arrays changed in place (a user's
    ``clf.weights_["embed.E"][i] = v``) are not seen, as by the worker
    process of :mod:`skrnn._prediction_workers`, while new arrays in their
    place are.  Shared by
    the threads of a process, which change them under a lock.  A table goes
    with its embedding: the embedding's finalizer, which runs in whatever
    thread drops it (maybe one that holds the lock, collecting garbage),
    leaves its key for whichever thread holds the lock, or takes it.  A
    forked child keeps the parent's tables (pages it shares with the parent,
    as the networks' own) under a lock of its own: made again, they took
    each child of a server that forks its workers from a loaded model the
    time of many calls at its first, and private memory of their size.

    Parameters
    ----------
    max_bytes : int
        The most bytes of the tables kept, those used most recently.
    """

    def __init__(self, max_bytes: int = VOCABULARY_TABLES_BYTES) -> None:
        self.max_bytes = max_bytes
        self._new_lock()
        self._tables: collections.OrderedDict[int, _Table] = collections.OrderedDict()
        # the keys of embeddings that died, whose tables go at the lock's next holder
        self._dead: collections.deque[int] = collections.deque()
        # A forked child has none of the parent's threads, maybe one that
        # held the lock; the tables, changed under the GIL, are whole.
        in_forked_children(self._new_lock)

    def _new_lock(self) -> None:
        self._lock = threading.Lock()

    def get(self, params: Params, config: NetworkConfig) -> Any:
        """The prepared network of every id of the vocabulary, or None.

        None for a network without an embedding (a one-hot first layer's
        table is a gather of its weights' rows: nothing to save), one that
        does not predict in chunks of time, or a table larger than
        :data:`VOCABULARY_TABLE_BYTES` or :attr:`max_bytes`.
        """
        if config.one_hot or not streams(config):
            return None
        embedding = params["embed.E"]
        n_bytes = _table_bytes(params, config)
        if n_bytes > min(VOCABULARY_TABLE_BYTES, self.max_bytes):
            return None
        sources = tuple(params[name] for name in sorted(params) if "layer" in name)
        with self._lock:
            # before a new embedding takes a dead one's key
            self._drop_dead()
            kept = self._tables.get(id(embedding))
            if kept is None or not _same_arrays(kept.sources, sources):
                kept = self._make(params, config, sources, n_bytes, kept)
            self._tables.move_to_end(id(embedding))
            self._keep_within_bytes()
        # those that died meanwhile, which could not take the lock
        self._collect()
        return kept.prepared

    def _make(
        self,
        params: Params,
        config: NetworkConfig,
        sources: tuple,
        n_bytes: int,
        kept: _Table | None,
    ) -> _Table:
        """Make and keep the network's table, in place of ``kept`` (other layers')."""
        embedding = params["embed.E"]
        with single_threaded_blas():
            prepared = prepare_predict(params, [np.arange(len(embedding))], config)
        if kept is None:
            watch = weakref.finalize(embedding, self._forget, id(embedding))
            watch.atexit = False
        else:
            watch = kept.watch
        table = _Table(sources, prepared, n_bytes, watch)
        self._tables[id(embedding)] = table
        return table

    def _forget(self, key: int) -> None:
        """Drop the table of the embedding ``key``, which died, now or soon.

        Never waits for the lock, which this thread may hold: the lock's
        next holder drops it if this cannot.
        """
        self._dead.append(key)
        self._collect()

    def _collect(self) -> None:
        """Drop the dead embeddings' tables, unless another holds the lock."""
        if self._dead and self._lock.acquire(blocking=False):
            try:
                self._drop_dead()
            finally:
                self._lock.release()

    def _drop_dead(self) -> None:
        """Drop the dead embeddings' tables (with the lock held)."""
        while self._dead:
            self._tables.pop(self._dead.popleft(), None)

    def _keep_within_bytes(self) -> None:
        """Drop the tables used least recently while they hold more than allowed."""
        while sum(table.n_bytes for table in self._tables.values()) > self.max_bytes:
            _, dropped = self._tables.popitem(last=False)
            # its embedding lives on, unwatched until its table is kept again
            dropped.watch.detach()


def _same_arrays(kept: tuple, sources: tuple) -> bool:
    """Whether two tuples hold the very same arrays, in order."""
    return len(kept) == len(sources) and all(
        a is b for a, b in zip(kept, sources, strict=True)
    )


def _table_bytes(params: Params, config: NetworkConfig) -> int:
    """Bytes of the network's first layer projected for its whole vocabulary.

    0 for a one-hot first layer, which has no such table.
    """
    if config.one_hot:
        return 0
    embedding = params["embed.E"]
    row_size = _first_layer_row_size(params, config)
    return len(embedding) * row_size * embedding.dtype.itemsize


#: This process's tables (:class:`VocabularyTables`).
VOCABULARY_TABLES = VocabularyTables()


def vocabulary_tables(
    members: Sequence[Params], config: NetworkConfig
) -> VocabularyTables | None:
    """Where the networks ``members`` keep their vocabulary's tables, or None.

    None when their tables together would not all stay in
    :data:`VOCABULARY_TABLES`: the members of an ensemble, used in turn,
    would each drop another's (the one used least recently) and make its
    own again at every call, which took twice a call that projects its
    documents' ids (an LSTM of 256 over MR's vocabulary,
    ``benchmarks/RESULTS.md``, review of 2fb5950).  Each call then
    projects its own, as without the tables.  A function of the networks
    alone, so the same in every process.
    """
    n_bytes = sum(_table_bytes(params, config) for params in members)
    if n_bytes > VOCABULARY_TABLES.max_bytes:
        return None
    return VOCABULARY_TABLES


#: The fewest bytes of an id's row of a network's first layer (gates times
#: hidden size times directions) for which a call's steps gather from the
#: table of the whole vocabulary itself: with wide rows (speed.py's LSTMs
#: and GRU, b, c and d: 1.5-4 KB an id), cutting the call's distinct ids out
#: of it into a table of their own (a copy of 7-18 MB for MR's held-out
#: sentences) cost more than the steps' gathers from the smaller table
#: saved; with narrow ones (a and e: 512 and 768 bytes), less
#: (``benchmarks/RESULTS.md``, session 21, "The steps gather from the
#: vocabulary's table itself").
GATHER_WHOLE_ROW_BYTES = 2**10


def prepared_table(
    params: Params,
    sequences: Sequence[np.ndarray],
    config: NetworkConfig,
    tables: VocabularyTables | None = None,
) -> Any:
    """The first layer's projection of the sequences' ids, or None.

    When ``tables`` has the network's table of its whole vocabulary
    (:meth:`VocabularyTables.get`), the steps gather from that table itself
    if an id's row holds at least :data:`GATHER_WHOLE_ROW_BYTES`, else from
    the rows of the sequences' distinct ids gathered from it into a smaller
    table.  Without it, the table of the sequences' distinct ids, projected
    once for all the batches of a call (each would otherwise project its own
    ids anew), unless that table could outgrow the batches' own
    (:data:`PREPARED_TABLE_VALUES`): then None, and each batch projects its
    ids.
    """
    whole = None if tables is None else tables.get(params, config)
    row_size = _first_layer_row_size(params, config)
    if whole is not None:
        row_bytes = row_size * params["embed.E"].dtype.itemsize
        if row_bytes >= GATHER_WHOLE_ROW_BYTES:
            return whole
    distinct = _distinct_ids(sequences, config.n_vocab)
    if len(distinct) * row_size > PREPARED_TABLE_VALUES:
        return whole
    if whole is not None:
        return prepared_rows(whole, distinct)
    return prepare_predict(params, [distinct], config)


def batch_logits(
    params: Params,
    sequences: Sequence[np.ndarray],
    idx: np.ndarray,
    config: NetworkConfig,
    prepared: Any,
) -> np.ndarray:
    """The logits of the batch ``idx`` of the sequences (:func:`prediction_batches`)."""
    ids, batch_lengths = pad_batch([sequences[i] for i in idx])
    return predict_prepared(params, ids, batch_lengths, config, prepared)


def text_chunks(texts: Sequence[str]) -> list[Sequence[str]]:
    """The documents cut into chunks of equal sizes, :data:`PREDICT_CHUNK` at most.

    As few chunks as that allows, whose sizes differ by one at most: worker
    processes then share the work evenly (16,385 documents make two chunks
    of 8,193 and 8,192, not one of 16,384 beside a single document, which
    would leave one worker all the work).  An empty input is one empty chunk.
    """
    n_chunks = max(1, -(-len(texts) // PREDICT_CHUNK))
    bounds = [len(texts) * k // n_chunks for k in range(n_chunks + 1)]
    return [texts[start:stop] for start, stop in pairwise(bounds)]


@dataclass(frozen=True)
class Predictor:
    """What predicting text reads of a fitted estimator, and nothing more.

    Worker processes are sent this rather than the estimator, whose fitted
    state also holds the optimizer's moments and the training's history.

    Parameters
    ----------
    vectorizer : SequenceVectorizer
        The fitted vocabulary, which turns text into token ids.
    members : tuple of dict of ndarray
        Each network's parameters (read only).
    config : NetworkConfig
        The networks' architecture.
    ngrams : NgramModel or None
        The n-gram companion, or None without one.
    ngram_weight : float
        The companion's weight in the blend (see :func:`blended_logits`).
    ngram_blend : {"geometric", "arithmetic"}
        How the companion is blended.
    key : hashable or None
        What tells this predictor from any other of the process's: a worker
        process that keeps a predictor is sent it once under its key
        (:mod:`skrnn._prediction_workers`).  None keeps it from workers.
    """

    vectorizer: Any
    members: tuple[Params, ...]
    config: NetworkConfig
    ngrams: NgramModel | None = None
    ngram_weight: float = 0.0
    ngram_blend: str = "geometric"
    key: Hashable | None = None


#: A call's logits on this process and a worker process, given its texts
#: and ``on_batch``: each member's logits, the companion's (or None) and the
#: token ids (see :func:`skrnn._prediction_workers.two_processes`).
TwoProcesses = Callable[
    [Sequence[str], Callable[[int], None] | None],
    tuple[list[np.ndarray], np.ndarray | None, list[np.ndarray]],
]


def text_logits(
    predictor: Predictor,
    texts: Sequence[str],
    n_jobs: int | None = None,
    on_batch: Callable[[int], None] | None = None,
    two_processes: TwoProcesses | None = None,
) -> np.ndarray:
    """The blended logits of the members and the companion for some documents.

    Parameters
    ----------
    predictor : Predictor
        The fitted model.
    texts : sequence of str
        The documents (one chunk of :data:`PREDICT_CHUNK` at most, as the
        estimators call it).
    n_jobs : int or None
        With 2 or more, the call runs on ``two_processes`` if given, or on
        threads that run the batches and, beside them, the companion (this
        one and helpers), or on this one alone, as :data:`PREDICT_WAYS`
        says: the same bits every way.
    on_batch : callable, optional
        Called with the number of documents of each member's batch once it
        is done (a progress display).
    two_processes : callable, optional
        The call on this process and a worker process that keeps the model,
        when one can take part (:func:`skrnn._prediction_workers.two_processes`);
        a call whose attribute ``cold`` is true (the worker's first of this
        model) is not judged.

    Returns
    -------
    ndarray of shape (n_samples, n_outputs)
        What :func:`blended_logits` gives.
    """
    start = time.perf_counter()
    key = (
        predictor.config,
        len(predictor.members),
        predictor.ngrams is not None,
        two_processes is not None,
    )
    way = None
    if two_processes is not None:
        way = PREDICT_WAYS.way(key)
    if way == "processes":
        logits, companion, sequences = two_processes(texts, on_batch)
    else:
        sequences, whole = text_ids(predictor, texts)
        # Threads for two batches or more, as predict_logits takes them:
        # beside a single batch, the companion's thread cost more than it
        # saved (thread start-up, GIL hand-offs).
        n_tasks = len(sequences) + (predictor.ngrams is not None)
        if one_batch(predictor.members[0], sequences, predictor.config):
            n_tasks = 1
        if way is None and min(effective_n_jobs(n_jobs), n_tasks) > 1:
            way = PREDICT_WAYS.way(key, ("threads", "alone"))
        logits, companion = _in_process_logits(
            predictor, sequences, whole, n_jobs if way == "threads" else 1, on_batch
        )
    # (not a worker's first call of the model: cold, it misjudged the way)
    if way is not None and not (
        way == "processes" and getattr(two_processes, "cold", False)
    ):
        seconds = time.perf_counter() - start
        n_tokens = max(1, sum(map(len, sequences)))
        PREDICT_WAYS.record(key, way, seconds / n_tokens, n_tokens)
    return blended_logits(
        logits,
        predictor.config.head,
        companion,
        predictor.ngram_weight,
        predictor.ngram_blend,
    )


def text_ids(
    predictor: Predictor, texts: Sequence[str]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The token ids of the documents: what the network reads, and the companion.

    The network reads each document's window (``max_length``), the companion
    the whole document (but a companion fitted before it read whole
    documents, which reads the windows too).  Each document's ids are its
    own, whatever the other documents of the call.
    """
    whole = predictor.vectorizer._transform_whole(texts)
    sequences = predictor.vectorizer._window(whole)
    ngrams = predictor.ngrams
    if ngrams is not None and not ngrams.whole_documents:
        whole = sequences
    return sequences, whole


def _in_process_logits(
    predictor: Predictor,
    sequences: Sequence[np.ndarray],
    whole: Sequence[np.ndarray],
    n_jobs: int | None,
    on_batch: Callable[[int], None] | None,
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Each member's logits and the companion's, on ``n_jobs`` threads or this one."""
    ngrams = predictor.ngrams
    n_tasks = len(sequences) + (ngrams is not None)
    tables = vocabulary_tables(predictor.members, predictor.config)
    with single_threaded_blas(), helper_threads(n_jobs, n_tasks) as helpers:
        pending = None
        if ngrams is not None and helpers is not None:
            # the companion on a helper, which then joins in the batches
            pending = helpers.executor.submit(ngram_logits, ngrams, whole)
        logits = [
            predict_logits(
                weights,
                sequences,
                predictor.config,
                on_batch=on_batch,
                helpers=helpers,
                tables=tables,
            )
            for weights in predictor.members
        ]
        companion = None
        if pending is not None:
            companion = pending.result()
        elif ngrams is not None:
            companion = ngram_logits(ngrams, whole)
    return logits, companion


def one_batch(
    params: Params, sequences: Sequence[np.ndarray], config: NetworkConfig
) -> bool:
    """Whether :func:`predict_logits` predicts the sequences in one batch.

    Its batches are cut from the longest sequence down: there is one when
    the first, sized by the longest sequence, holds them all.
    """
    longest = max(map(len, sequences), default=0)
    return len(sequences) <= _batch_size_rule(params, config)(longest)


def _batch_size_rule(params: Params, config: NetworkConfig) -> Callable[[int], int]:
    """The number of documents of a length that :func:`predict_logits` batches."""
    if not streams(config):
        return lambda length: prediction_batch_size(length, streamed=False)
    gate_width = params["layer0.fwd.W_hh"].shape[1]
    return lambda length: prediction_batch_size(length, gate_width)


def _first_layer_row_size(params: Params, config: NetworkConfig) -> int:
    """Numbers in the first layer's projection of one id."""
    W_xh = params.get("layer0.fwd.W_xh")
    if W_xh is None:
        return 0
    return W_xh.shape[1] * (2 if config.bidirectional else 1)


def _distinct_ids(
    sequences: Sequence[np.ndarray], n_vocab: int, size: int = 4096
) -> np.ndarray:
    """The distinct ids of the sequences, in increasing order.

    Read a few thousand sequences at a time, in memory bounded by those and
    the vocabulary.
    """
    present = np.zeros(n_vocab, dtype=bool)
    for start in range(0, len(sequences), size):
        present[np.concatenate(sequences[start : start + size])] = True
    return np.flatnonzero(present)


def mean_output_logits(
    logits: Sequence[np.ndarray],
    head: str,
    weights: Sequence[float] | None = None,
) -> np.ndarray:
    """The logits whose output is the mean of the members' outputs.

    An ensemble averages its members' probabilities (or predicted values);
    given as logits, the average goes wherever one network's logits go
    (``predict``, ``decision_function``, ``predict_log_proba``), as the
    head's ``mean_logits`` gives them: the log of the mean probabilities for
    a softmax head, their log-odds for a logistic one, the mean itself for an
    identity head.  Computed in log space, they stay finite where the
    probabilities round to 0 or 1.

    Parameters
    ----------
    logits : sequence of ndarray of shape (..., n_outputs)
        Each member's logits for the same documents.
    head : str
        The output head, a key of :data:`skrnn.nn.HEADS`.
    weights : sequence of float, default=None
        The members' weights in the mean, summing to 1; None weighs them
        equally.

    Returns
    -------
    ndarray of shape (..., n_outputs)
        ``logits[0]`` itself for one member; otherwise float64 logits of the
        mean output.
    """
    if len(logits) == 1:
        return logits[0]
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
    return get_head(head).mean_logits(np.asarray(logits, dtype=np.float64), weights)


#: How the members' mean output and the companion's are blended, by name.
BLENDS = ("geometric", "arithmetic")


def blended_logits(
    members: Sequence[np.ndarray],
    head: str,
    companion: np.ndarray | None = None,
    companion_weight: float = 0.0,
    blend: str = "geometric",
) -> np.ndarray:
    """The logits of an ensemble's mean output blended with a companion's.

    With ``w = companion_weight``, ``p`` the mean of the members' outputs and
    ``q`` the companion's (the n-gram companion of :mod:`skrnn._ngrams`),
    the output is ``p ** (1 - w) * q ** w``, normalised (``"geometric"``:
    for a softmax head, the weighted sum of the logits; for a logistic one,
    of each label's log-odds), or ``(1 - w) * p + w * q``
    (``"arithmetic"``), as logits: the log-probabilities for a softmax head,
    the log-odds for a logistic one (see :func:`mean_output_logits`).

    Parameters
    ----------
    members : sequence of ndarray of shape (..., n_outputs)
        Each network's logits.
    head : str
        The output head.
    companion : ndarray of shape (..., n_outputs) or None
        The companion's logits, or None without one.
    companion_weight : float, default=0.0
        The companion's weight in the blend, in [0, 1].
    blend : {"geometric", "arithmetic"}, default="geometric"
        How the two are blended.

    Returns
    -------
    ndarray of shape (..., n_outputs)
        What :func:`mean_output_logits` gives for the members alone when
        there is no companion or its weight is 0; float64 otherwise.
    """
    if blend not in BLENDS:
        raise ValueError(f"blend must be one of {list(BLENDS)}; got {blend!r}.")
    if companion is None or companion_weight == 0:
        return mean_output_logits(members, head)
    w = companion_weight
    if blend == "arithmetic":
        k = len(members)
        return mean_output_logits([*members, companion], head, [(1 - w) / k] * k + [w])
    # the weighted sum of the logits, up to each row's constant (log-odds for
    # a logistic head), made the log-probabilities for a softmax one, as the
    # arithmetic blend gives them
    mean = mean_output_logits(members, head).astype(np.float64, copy=False)
    blended = (1 - w) * mean + w * companion.astype(np.float64, copy=False)
    if head == "softmax":
        blended -= log_sum_exp(blended)
    return blended


#: The temperatures at which :func:`held_out_blend_weight` measures each
#: blend's loss, the least of which counts: the weight then decides how the
#: two are mixed, not how sure the mix is.
TEMPERATURES = tuple(float(t) for t in np.geomspace(1 / 16, 4, 25))


def held_out_blend_weight(
    network: np.ndarray,
    companion: np.ndarray,
    head: str,
    targets: np.ndarray,
    sample_weight: np.ndarray,
    weights: Sequence[float],
    blend: str = "geometric",
    default: float | None = None,
) -> float:
    """The companion's weight in the blend, chosen on held-out documents.

    Each weight's blend (see :func:`blended_logits`) is scored by the
    head's loss at its best temperature among :data:`TEMPERATURES` (the
    logits times the temperature): with the network's overconfident
    log-probabilities, a blend's loss at its own temperature tells how well
    it mixes the two, which the loss at temperature 1 conflates with how
    sure the mix is.  The weight of least loss is chosen, unless it scores
    no better than ``default`` by the head's ``score`` (accuracy).

    Parameters
    ----------
    network : ndarray of shape (n_samples, n_outputs)
        The logits of the members' mean output for the held-out documents.
    companion : ndarray of shape (n_samples, n_outputs)
        The companion's logits for them.
    head : str
        The output head, whose ``loss`` and ``score`` measure the blends.
    targets : ndarray
        The documents' targets, as the head trains on them.
    sample_weight : ndarray of shape (n_samples,)
        The documents' weights.
    weights : sequence of float
        The weights in [0, 1] to choose among.
    blend : {"geometric", "arithmetic"}, default="geometric"
        How the two are blended.
    default : float or None, default=None
        The weight kept unless the chosen one scores better; None keeps
        none.

    Returns
    -------
    float
        The chosen weight.
    """
    head_ = get_head(head)
    sample_weight = np.asarray(sample_weight, dtype=np.float64)

    def logits(w):
        return np.asarray(
            blended_logits([network], head, companion, w, blend), dtype=np.float64
        )

    losses = [
        min(head_.loss(t * z, targets, sample_weight)[0] for t in TEMPERATURES)
        for z in map(logits, weights)
    ]
    best = float(weights[int(np.argmin(losses))])
    if default is not None and head_.score(
        logits(best), targets, sample_weight
    ) <= head_.score(logits(default), targets, sample_weight):
        return float(default)
    return best
