"""Tests for skrnn._prediction: batched prediction in the documents' order."""

import copy
import dataclasses
import os
import signal
import sys
import threading
import time
import tracemalloc
import warnings
import weakref
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
import pytest
from _subprocess import held_by_a_thread
from joblib import parallel_config
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

import skrnn._base as base_module
from skrnn import RNNTextClassifier, RNNTextRegressor, _prediction
from skrnn._batching import pad_batch
from skrnn._prediction import (
    VocabularyTables,
    blended_logits,
    mean_output_logits,
    one_batch,
    predict_logits,
    prediction_batch_size,
)
from skrnn.datasets import load_toy_sentiment
from skrnn.nn import (
    CELLS,
    HEADS,
    Cell,
    NetworkConfig,
    forward,
    init_params,
    register_cell,
    unregister_cell,
)


def _problem(cell="gru", num_layers=1):
    rng = np.random.default_rng(0)
    sequences = [rng.integers(2, 30, size=n) for n in rng.integers(0, 9, size=300)]
    config = NetworkConfig(
        n_vocab=30,
        n_outputs=3,
        cell=cell,
        num_layers=num_layers,
        hidden_size=5,
        embedding_dim=4,
        bidirectional=True,
        pooling="mean",
    )
    params = init_params(config, rng, np.dtype(np.float64), zero_ids=(0, 1))
    return sequences, config, params


def _prepared_tables(monkeypatch):
    """The calls of ``prepare_predict`` (one per projected table) to come."""
    calls = []
    real = _prediction.prepare_predict
    monkeypatch.setattr(
        _prediction,
        "prepare_predict",
        lambda *args: calls.append(args) or real(*args),
    )
    return calls


def test_predict_logits_keeps_the_order_of_the_documents():
    sequences, config, params = _problem()
    logits = predict_logits(params, sequences, config)
    for i in (0, 7, 150, 299):
        one = forward(
            params, sequences[i][:, None], np.array([len(sequences[i])]), config
        )
        assert_allclose(logits[i], one[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("cell", "num_layers"), [("gru", 1), ("lstm", 2), ("rnn", 1)])
def test_predict_logits_on_threads_matches_one_thread(cell, num_layers):
    # The batches are cut the same way whatever n_jobs: only which thread
    # runs each one changes, so the logits are the same to the bit.
    sequences, config, params = _problem(cell=cell, num_layers=num_layers)
    sequences = sequences * 40  # several prediction batches
    one = predict_logits(params, sequences, config)
    for n_jobs in (2, 3):
        assert_array_equal(predict_logits(params, sequences, config, n_jobs), one)


@pytest.mark.parametrize("n_documents", [0, 1, 40, 300, 3000, 12000])
def test_one_batch_tells_whether_predict_logits_cuts_one(n_documents):
    sequences, config, params = _problem(cell="lstm")
    sequences = (sequences * 40)[:n_documents]
    batches = []
    predict_logits(params, sequences, config, on_batch=batches.append)
    assert one_batch(params, sequences, config) == (len(batches) <= 1)


def test_a_cell_of_ones_own_predicts_long_documents_in_small_batches():
    # Regression: such a cell predicts through forward, whose memory grows
    # with the batch's positions, but long documents were batched 32 at a
    # time as for the built-in cells, which predict in chunks of time: 32
    # times the memory of one document.
    sequences, config, params = _problem(cell="rnn")
    rnn = CELLS["rnn"]
    register_cell("own_rnn", Cell(rnn.params, rnn.forward, rnn.backward))
    try:
        own = dataclasses.replace(config, cell="own_rnn")
        long = [np.resize(s, 1000) for s in sequences[:40] if len(s)]
        batches = []
        logits = predict_logits(params, long, own, on_batch=batches.append)
        assert max(batches) == _prediction.PREDICT_BATCH_POSITIONS // 1000
        assert not one_batch(params, long, own)
        assert one_batch(params, long[: max(batches)], own)
    finally:
        unregister_cell("own_rnn")
    # the same network as the built-in cell's, which streams
    assert_allclose(logits, predict_logits(params, long, config), rtol=1e-10)


def test_predict_logits_equals_forward_batch_by_batch(monkeypatch):
    # One projected table for all the batches gives each batch's own logits.
    sequences, config, params = _problem(cell="lstm", num_layers=2)
    # Batches of 40 documents: 40 x the LSTM's 4 gates x 5 hidden units.
    monkeypatch.setattr(_prediction, "PREDICT_BATCH_GATES", 40 * 4 * 5)
    logits = predict_logits(params, sequences, config)
    lengths = np.array([len(s) for s in sequences])
    order = np.argsort(-lengths, kind="stable")
    for start in range(0, len(order), 40):
        idx = order[start : start + 40]
        ids, batch_lengths = pad_batch([sequences[i] for i in idx])
        assert_allclose(
            logits[idx], forward(params, ids, batch_lengths, config), atol=1e-12
        )


def test_a_wide_first_layer_is_projected_batch_by_batch(monkeypatch):
    # Without the vocabulary's table, the table of the documents' ids is made
    # once per call only while it is small: past PREPARED_TABLE_VALUES each
    # batch projects its own ids (memory bounded by the batch), with the same
    # logits.
    monkeypatch.setattr(_prediction, "VOCABULARY_TABLE_BYTES", 0)
    sequences, config, params = _problem(cell="lstm", num_layers=2)
    once = predict_logits(params, sequences, config)
    calls = _prepared_tables(monkeypatch)
    predict_logits(params, sequences, config)
    assert len(calls) == 1
    # 28 distinct ids x 4 gates x 5 units x 2 directions = 1,120 numbers
    monkeypatch.setattr(_prediction, "PREPARED_TABLE_VALUES", 1_119)
    per_batch = predict_logits(params, sequences, config)
    assert len(calls) == 1
    assert_array_equal(per_batch, once)


def test_the_table_is_bounded_by_the_documents_ids_not_the_vocabulary(monkeypatch):
    # Regression: the once-per-call table was refused whenever the whole
    # vocabulary's projection would outgrow PREPARED_TABLE_VALUES, though it
    # only holds the ids the documents use (the LSTMs of speed.py, b and d,
    # then projected each batch's ids anew: 5 and 9 tables for MR's 1,067
    # sentences).
    monkeypatch.setattr(_prediction, "VOCABULARY_TABLE_BYTES", 0)
    sequences, config, params = _problem(cell="lstm", num_layers=2)
    calls = _prepared_tables(monkeypatch)
    # the whole vocabulary: 30 ids x 40 numbers; the documents: 28 ids
    monkeypatch.setattr(_prediction, "PREPARED_TABLE_VALUES", 28 * 40)
    predict_logits(params, sequences, config)
    assert len(calls) == 1
    (distinct,) = calls[0][1]
    assert_array_equal(distinct, np.unique(np.concatenate(sequences)))


def test_the_vocabulary_table_is_made_once_per_network(monkeypatch):
    # A fitted network whose whole vocabulary's table fits
    # VOCABULARY_TABLE_BYTES projects every id once, at its first call, and
    # predicts through that table at every call: the logits of the per-call
    # tables.
    sequences, config, params = _problem(cell="lstm", num_layers=2)
    per_call = predict_logits(params, sequences, config)
    tables = VocabularyTables()
    calls = _prepared_tables(monkeypatch)
    first = predict_logits(params, sequences, config, tables=tables)
    second = predict_logits(params, sequences[:7], config, tables=tables)
    assert len(calls) == 1
    (ids,) = calls[0][1]
    assert_array_equal(ids, np.arange(config.n_vocab))
    assert_allclose(first, per_call, rtol=1e-12, atol=1e-12)
    assert_allclose(second, first[:7], rtol=1e-12, atol=1e-12)
    # the table of the documents' ids when the vocabulary's is too large
    # (30 ids x 4 gates x 5 units x 2 directions x 8 bytes = 9,600)
    monkeypatch.setattr(_prediction, "VOCABULARY_TABLE_BYTES", 9_599)
    predict_logits(params, sequences, config, tables=tables)
    assert len(calls) == 2
    assert len(calls[1][1][0]) == 28


def test_a_vocabulary_table_follows_the_arrays_it_was_made_from():
    # Kept by the identity of the arrays: new arrays in place of a layer's
    # make a new table (no stale outputs), and a network's table goes with
    # its embedding.
    sequences, config, params = _problem(cell="gru")
    tables = VocabularyTables()
    before = predict_logits(params, sequences, config, tables=tables)
    changed = dict(params)
    changed["layer0.fwd.W_xh"] = params["layer0.fwd.W_xh"] * 2.0
    after = predict_logits(changed, sequences, config, tables=tables)
    assert not np.allclose(after, before)
    assert_allclose(after, predict_logits(changed, sequences, config), rtol=1e-12)
    assert len(tables._tables) == 1
    del params, changed
    assert not tables._tables


def test_vocabulary_tables_keep_the_most_recent_within_their_bytes():
    sequences, config, params = _problem(cell="gru")
    # 30 ids x 3 gates x 5 units x 2 directions x 8 bytes = 7,200 a table
    tables = VocabularyTables(max_bytes=2 * 7_200)
    networks = [
        {name: value.copy() for name, value in params.items()} for _ in range(3)
    ]
    for network in networks:
        predict_logits(network, sequences[:5], config, tables=tables)
    kept = [id(network["embed.E"]) for network in networks[1:]]
    assert list(tables._tables) == kept
    # nor a table alone larger than them all
    assert VocabularyTables(max_bytes=7_199).get(params, config) is None
    one_hot = dataclasses.replace(config, embedding_dim=None)
    one_hot_params = init_params(
        one_hot, np.random.default_rng(0), np.dtype(np.float64)
    )
    assert tables.get(one_hot_params, one_hot) is None


def _watches(array):
    """The finalizers that watch ``array`` (those of :class:`VocabularyTables`)."""
    return sum(info.weakref() is array for info in weakref.finalize._registry.values())


def test_vocabulary_tables_watch_each_embedding_once():
    # Regression: every table made again for a network (evicted for another
    # one, used again) added a finalizer to its embedding, which lived as
    # long as the embedding: networks that took turns beyond max_bytes (an
    # ensemble's members, two large models) gained one at every call, without
    # bound.
    sequences, config, params = _problem(cell="gru")
    tables = VocabularyTables(max_bytes=7_200)  # one table
    networks = [
        {name: value.copy() for name, value in params.items()} for _ in range(2)
    ]
    for _ in range(5):
        for network in networks:
            predict_logits(network, sequences[:5], config, tables=tables)
    assert [_watches(network["embed.E"]) for network in networks] == [0, 1]
    del networks[1], network
    assert not tables._tables


def _another_embedding(params):
    return {**params, "embed.E": params["embed.E"].copy()}


def test_a_network_that_dies_while_another_thread_makes_a_table():
    # Regression: the finalizer of a dead network's embedding dropped its
    # table without the lock, in whatever thread dropped the network, while
    # another made a table and summed the tables' bytes: RuntimeError
    # ('OrderedDict mutated during iteration') in that thread's prediction.
    _, config, params = _problem(cell="gru")
    errors = []

    def make(tables, doomed):
        kept = []
        try:
            while doomed:
                kept.append(_another_embedding(params))
                tables.get(kept[-1], config)
        except RuntimeError as exc:
            errors.append(exc)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(5):
            tables = VocabularyTables(max_bytes=2**40)
            doomed = [_another_embedding(params) for _ in range(300)]
            for network in doomed:
                tables.get(network, config)
            del network
            thread = threading.Thread(target=make, args=(tables, doomed))
            thread.start()
            while doomed:
                doomed.pop()
                time.sleep(1e-4)
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert not errors


def test_a_network_that_dies_while_its_thread_holds_the_lock():
    # The finalizer runs in whatever thread drops the embedding, maybe one
    # that holds the lock (garbage collected within get): it must not wait
    # for it, and leaves the table to the lock's next holder.
    _, config, params = _problem(cell="gru")
    tables = VocabularyTables()
    network = _another_embedding(params)
    tables.get(network, config)
    with tables._lock:
        del network
    assert len(tables._tables) == 1
    tables.get(params, config)
    assert list(tables._tables) == [id(params["embed.E"])]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_keeps_the_parents_vocabulary_tables():
    # Regression: a forked child dropped the parent's tables with its lock
    # (which a parent's thread may hold): each worker of a server forked
    # from a loaded model made its table again at its first call (0.14-0.26
    # s for an LSTM of 256 over MR, against 4 ms), in 77 MB of its own.
    _, config, params = _problem(cell="gru")
    tables = VocabularyTables()
    kept = tables.get(params, config)
    with held_by_a_thread(tables._lock):
        pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                code = 0 if tables.get(params, config) is kept else 2
            finally:
                os._exit(code)
    deadline = time.monotonic() + 60
    while not (finished := os.waitpid(pid, os.WNOHANG))[0]:
        if time.monotonic() > deadline:  # the lock the parent's thread held
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the child waited for the parent's lock")
        time.sleep(0.01)
    assert os.waitstatus_to_exitcode(finished[1]) == 0


def test_new_arrays_in_weights_are_seen_by_prediction():
    # Prediction keeps the first layer projected for the whole vocabulary
    # (VocabularyTables): made again from new arrays in place of the
    # embedding or of a layer's weights.
    model, docs = _fitted_on_text(ngram_range=None)
    before = model.predict_proba(docs)
    for name in ("embed.E", "layer0.fwd.W_xh"):
        model.weights_[name] = model.weights_[name] * 3.0
        after = model.predict_proba(docs)
        assert not np.allclose(after, before)
        before = after


def test_wide_rows_are_gathered_from_the_vocabulary_table_itself(monkeypatch):
    # The steps gather each call's rows from the network's table of its
    # whole vocabulary when an id's row holds GATHER_WHOLE_ROW_BYTES or
    # more: cutting the call's distinct ids out of it at every call cost
    # more than it saved for speed.py's LSTMs and GRU (b, c, d); narrower
    # rows are cut into a table of their own, as before (a, e).
    sequences, config, params = _problem(cell="lstm", num_layers=2)
    per_call = predict_logits(params, sequences, config)
    tables = VocabularyTables()
    whole = tables.get(params, config)
    used = []
    real = _prediction.batch_logits
    monkeypatch.setattr(
        _prediction,
        "batch_logits",
        lambda *args: used.append(args[-1]) or real(*args),
    )
    # 4 gates x 5 units x 2 directions x 8 bytes = 320 bytes an id
    for row_bytes, gathered_whole in ((320, True), (321, False)):
        monkeypatch.setattr(_prediction, "GATHER_WHOLE_ROW_BYTES", row_bytes)
        used.clear()
        logits = predict_logits(params, sequences[:50], config, tables=tables)
        assert used
        assert all((prepared is whole) == gathered_whole for prepared in used)
        if not gathered_whole:
            (cut,) = used[0].layers[0][:1]
            distinct = np.unique(np.concatenate(sequences[:50]))
            assert cut.table.shape[1] == len(distinct)
        assert_allclose(logits, per_call[:50], rtol=1e-12, atol=1e-12)


def test_an_ensemble_whose_tables_would_not_all_stay_keeps_none(monkeypatch):
    # Regression: the members of an ensemble whose tables together outgrew
    # max_bytes, used in turn, each dropped another's (least recently used):
    # every call made every member's table of the whole vocabulary again,
    # twice the time of a call that projects its documents' ids (an LSTM of
    # 256 over MR's vocabulary).  Its members project their calls' ids.
    model, docs = _fitted_on_text(n_estimators=3, ngram_range=None)
    members = model.estimators_weights_
    config = model._model().config
    one = VocabularyTables().get(members[0], config)
    n_bytes = sum(layer.table.nbytes for layer in one.layers[0])
    tables = VocabularyTables(max_bytes=3 * n_bytes - 1)
    monkeypatch.setattr(_prediction, "VOCABULARY_TABLES", tables)
    calls = _prepared_tables(monkeypatch)
    for _ in range(2):
        model.predict_proba(docs)
    assert not tables._tables
    assert all(len(ids) < config.n_vocab for _, (ids,), _ in calls)
    tables.max_bytes = 3 * n_bytes
    for _ in range(2):
        model.predict_proba(docs)
    assert len(tables._tables) == 3


def test_predictions_during_training_keep_no_table(monkeypatch):
    # Regression: the scores printed at each epoch (verbose) predicted
    # through the vocabulary tables with the arrays being trained, and the
    # fitted model then predicted with the first epoch's table.
    tables = VocabularyTables()
    monkeypatch.setattr(_prediction, "VOCABULARY_TABLES", tables)
    X, y = load_toy_sentiment(return_X_y=True)
    params = dict(max_iter=3, random_state=0, ngram_weight=0.0, hidden_size=8)
    quiet = RNNTextClassifier(**params).fit(X, y)
    loud = RNNTextClassifier(**params, verbose=1).fit(X, y)
    assert not tables._tables
    assert_array_equal(loud.predict_proba(X), quiet.predict_proba(X))
    assert len(tables._tables) == 2  # each fitted model's


def test_prediction_memory_does_not_grow_with_the_length():
    # Regression: a prediction kept every step's input projection and states,
    # some 900 bytes per token of the default network (0.9 GB for a
    # 1,000,000-token document).
    config = NetworkConfig(
        n_vocab=30, n_outputs=2, hidden_size=4, embedding_dim=4, pooling="max"
    )
    params = init_params(config, np.random.default_rng(0), np.float32)
    rng = np.random.default_rng(0)
    peaks = []
    for length in (10_000, 40_000):  # both longer than a chunk of time
        sequences = [rng.integers(2, 30, size=length, dtype=np.int32)]
        tracemalloc.start()
        try:
            predict_logits(params, sequences, config)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    # What grows is the padded copy of the token ids, 8 bytes per token.
    assert peaks[1] - peaks[0] < 16 * 30_000, peaks


@pytest.mark.parametrize(
    ("length", "size"),
    [
        (0, 2**12),  # empty documents: as many as the cache-sized batch holds
        (23, 2**12 // 23),  # sentences: the cache-sized batch
        (200, 32),  # long documents: at least 32 at a time ...
        (1000, 32),
        (10_000, 32),
        (100_000, 2**20 // 100_000),  # ... within 2**20 positions
        (10**6, 1),
    ],
)
def test_prediction_batch_size(length, size):
    assert prediction_batch_size(length) == size


@pytest.mark.parametrize(
    ("length", "gate_width", "size"),
    [
        (23, 192, 2**17 // 192),  # the default GRU: about 2**17 gate values
        (23, 1024, 2**17 // 1024),  # a wide LSTM: fewer documents
        (23, 64, 2**14 // 23),  # a narrow RNN: within 2**14 positions
        (1000, 192, 32),  # long documents as before
        (10**6, 192, 1),
    ],
)
def test_prediction_batch_size_by_gate_width(length, gate_width, size):
    assert prediction_batch_size(length, gate_width) == size


@pytest.mark.parametrize("head", ["softmax", "logistic"])
@pytest.mark.parametrize("scale", [1, 100, 2000])
def test_mean_output_logits_average_the_probabilities_and_stay_finite(head, scale):
    rng = np.random.default_rng(0)
    members = [scale * rng.standard_normal((5, 3)) for _ in range(3)]
    mean = mean_output_logits(members, head)
    assert np.isfinite(mean).all()
    output = HEADS[head].output
    assert_allclose(
        output(mean), np.mean([output(z) for z in members], axis=0), atol=1e-12
    )
    # a ratio of mean probabilities lies between the members' ratios: so do
    # log-odds (logistic) and differences of logits (softmax)
    if head == "softmax":
        mean, members = mean - mean[:, :1], [z - z[:, :1] for z in members]
    assert (np.min(members, axis=0) <= mean + 1e-9).all()
    assert (mean <= np.max(members, axis=0) + 1e-9).all()


# ------------------------------------------ text in chunks, in worker processes


def _fitted_on_text(estimator=RNNTextClassifier, **params):
    X, y = load_toy_sentiment(return_X_y=True)
    if estimator is RNNTextRegressor:
        y = y + 0.5
    model = estimator(max_iter=2, hidden_size=8, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    # three times the documents, some empty or unseen
    return model, [*X, "", "words never seen", *X, *X]


class _RecordingParallel(base_module.Parallel):
    n_jobs_seen: ClassVar[list] = []

    def __init__(self, n_jobs=None, **kwargs):
        self.n_jobs_seen.append(n_jobs)
        super().__init__(n_jobs=n_jobs, **kwargs)


def _small_chunks_for_workers(monkeypatch):
    """Chunks of 7 documents, which worker processes take however short."""
    monkeypatch.setattr(_prediction, "PREDICT_CHUNK", 7)
    monkeypatch.setattr(_prediction, "PREDICT_WORKERS_MIN_CHARACTERS", 0)
    monkeypatch.setattr(base_module, "Parallel", _RecordingParallel)
    monkeypatch.setattr(_RecordingParallel, "n_jobs_seen", [])
    return _RecordingParallel.n_jobs_seen


@pytest.mark.parametrize(
    ("estimator", "params", "method"),
    [
        (RNNTextClassifier, {"n_estimators": 2}, "predict_proba"),
        (RNNTextClassifier, {"cell": "lstm", "ngram_range": None}, "predict"),
        (RNNTextRegressor, {}, "predict"),
    ],
)
def test_chunks_in_worker_processes_give_the_bits_of_one_process(
    monkeypatch, estimator, params, method
):
    model, docs = _fitted_on_text(estimator, **params)
    seen = _small_chunks_for_workers(monkeypatch)
    one = getattr(model.set_params(n_jobs=1), method)(docs)
    assert seen == []
    two = getattr(model.set_params(n_jobs=3), method)(docs)
    assert seen == [3]
    assert_array_equal(two, one)


def test_chunks_in_the_processes_of_joblibs_multiprocessing_backend(monkeypatch):
    # Regression: the chunks were asked back as a generator, which joblib's
    # multiprocessing backend refuses: "ValueError: Backend ... does not
    # support return_as=generator" for 8 million characters or more.
    model, docs = _fitted_on_text()
    seen = _small_chunks_for_workers(monkeypatch)
    one = model.set_params(n_jobs=1).predict_proba(docs)
    with parallel_config(backend="multiprocessing"):
        two = model.set_params(n_jobs=3).predict_proba(docs)
    assert seen == [3]
    assert_array_equal(two, one)


class _Locked:
    """A text function that works here but that no pickle carries (its lock)."""

    def __init__(self, function):
        self.function = function
        self.lock = threading.Lock()

    def __call__(self, doc):
        with self.lock:
            return self.function(doc)


@pytest.mark.parametrize(
    ("text_params", "in_workers"),
    [
        ({"tokenizer": _Locked(str.split), "token_pattern": None}, False),
        ({"preprocessor": _Locked(str.lower)}, False),
        ({"tokenizer": lambda doc: doc.split(), "token_pattern": None}, True),
    ],
    ids=["unpicklable tokenizer", "unpicklable preprocessor", "lambda"],
)
def test_text_functions_that_workers_cannot_take_keep_prediction_here(
    monkeypatch, text_params, in_workers
):
    model, docs = _fitted_on_text(**text_params)
    seen = _small_chunks_for_workers(monkeypatch)
    one = model.set_params(n_jobs=1).predict_proba(docs)
    assert_array_equal(model.set_params(n_jobs=3).predict_proba(docs), one)
    assert seen == ([3] if in_workers else [])


def test_threads_or_alone_as_the_way_judge_says_to_the_same_results(monkeypatch):
    # With n_jobs=2 a call runs with a helper thread or alone, as has been
    # the faster: the first call with it, the second alone (exploring), and
    # each way's time is recorded; one thread never asks.
    model, docs = _fitted_on_text()
    one = model.set_params(n_jobs=1).predict_proba(docs)
    monkeypatch.setattr(_prediction, "PREDICT_BATCH_GATES", 1)  # batches of 32
    judge = _prediction.WayJudge(ways=("processes", "threads", "alone"))
    monkeypatch.setattr(_prediction, "PREDICT_WAYS", judge)
    helped = []
    real = _prediction.map_shared
    monkeypatch.setattr(
        _prediction,
        "map_shared",
        lambda helpers, *args: (
            helped.append(helpers is not None) or real(helpers, *args)
        ),
    )
    model.set_params(n_jobs=1).predict_proba(docs)
    assert not judge._runs
    assert helped == [False]
    helped.clear()
    model.set_params(n_jobs=2)
    for _ in range(3):
        assert_array_equal(model.predict_proba(docs), one)
    assert helped[:2] == [True, False]
    ((key, rates),) = judge._rates.items()
    assert judge._runs[key] == 3
    assert len(rates["threads"]) + len(rates["alone"]) == 3
    assert min(len(rates["threads"]), len(rates["alone"])) >= 1


def test_chunks_predict_as_the_whole(monkeypatch):
    model, docs = _fitted_on_text(n_estimators=2)
    whole = model.predict_proba(docs)
    monkeypatch.setattr(_prediction, "PREDICT_CHUNK", 7)
    assert_allclose(model.predict_proba(docs), whole, rtol=1e-6, atol=1e-12)


def test_chunks_share_the_documents_evenly(monkeypatch):
    # a chunk of one document beside a full one would leave a worker idle
    model, docs = _fitted_on_text()
    monkeypatch.setattr(_prediction, "PREDICT_CHUNK", 7)
    sizes = []
    real = base_module.text_logits

    def recorded(predictor, texts, *args):
        sizes.append(len(texts))
        return real(predictor, texts, *args)

    monkeypatch.setattr(base_module, "text_logits", recorded)
    for n_documents, expected in [(8, [4, 4]), (15, [5, 5, 5]), (7, [7]), (1, [1])]:
        sizes.clear()
        assert model.predict_proba(docs[:n_documents]).shape[0] == n_documents
        assert sizes == expected


def test_progress_counts_the_chunks_that_workers_return(monkeypatch):
    model, docs = _fitted_on_text(n_estimators=2)
    _small_chunks_for_workers(monkeypatch)
    done = []
    monkeypatch.setattr(
        base_module, "progress", lambda *args, **kwargs: (done.append, lambda: None)
    )
    model.set_params(verbose=2, n_jobs=3).predict_proba(docs)
    assert sum(done) == 2 * len(docs)
    assert max(done) <= 2 * 7


@pytest.mark.parametrize("beside", ["predict", "fit"])
def test_a_call_while_another_thread_has_the_workers_runs_in_its_thread(
    monkeypatch, beside
):
    # joblib's one pool of worker processes, asked for different numbers of
    # workers by calls of two threads at once, deadlocks
    model, docs = _fitted_on_text(n_estimators=3)
    alone = model.set_params(n_jobs=1).predict_proba(docs)
    ensemble = RNNTextClassifier(max_iter=2, hidden_size=8, random_state=0)
    ensemble.set_params(n_estimators=3, n_jobs=1).fit(docs[:50], [0, 1] * 25)
    seen = _small_chunks_for_workers(monkeypatch)
    monkeypatch.setattr(base_module, "MEMBER_WORKERS_MIN_SAVING", 0)
    other = []

    def call_beside():
        if beside == "predict":
            other.append(clone_fitted.set_params(n_jobs=4).predict_proba(docs))
        else:
            other.append(ensemble.set_params(n_jobs=4).fit(docs[:50], [0, 1] * 25))

    class Overlapping(_RecordingParallel):
        def __init__(self, n_jobs=None, **kwargs):
            super().__init__(n_jobs=n_jobs, **kwargs)
            if len(self.n_jobs_seen) == 1:  # while the first call has the workers
                thread = threading.Thread(target=call_beside)
                thread.start()
                thread.join(timeout=60)

    monkeypatch.setattr(base_module, "Parallel", Overlapping)
    clone_fitted = copy.deepcopy(model)
    expected = {k: v.copy() for k, v in ensemble.estimators_weights_[0].items()}
    assert_array_equal(model.set_params(n_jobs=3).predict_proba(docs), alone)
    assert seen == [3]
    if beside == "predict":
        assert_array_equal(other[0], alone)
    else:
        weights = other[0].estimators_weights_[0]
        assert weights.keys() == expected.keys()
        for name, want in expected.items():
            assert_array_equal(weights[name], want)


def test_prediction_workers_only_where_they_can_pay(monkeypatch):
    model, docs = _fitted_on_text()
    config = model._fitted.config
    chunks = [docs[:70], docs[70:]]
    n_characters = sum(map(len, docs))
    monkeypatch.setattr(_prediction, "PREDICT_WORKERS_MIN_CHARACTERS", n_characters)
    workers = model.set_params(n_jobs=3)._prediction_workers
    assert workers(config, chunks) == 2  # as many as the chunks
    assert workers(config, [docs]) == 1
    assert model.set_params(n_jobs=1)._prediction_workers(config, chunks) == 1
    # with 2, the chunks run here and on prediction's worker
    assert model.set_params(n_jobs=2)._prediction_workers(config, chunks) == 1
    model.set_params(n_jobs=3)
    # a cell or head that another process may not know
    assert workers(SimpleNamespace(cell="own", head=config.head), chunks) == 1
    assert workers(SimpleNamespace(cell=config.cell, head="own"), chunks) == 1
    assert workers(SimpleNamespace(cell=config.cell, head=config.head), chunks) == 2
    # inside joblib's threads (a threaded search): in turn
    with parallel_config(backend="threading"):
        assert workers(config, chunks) == 1
    # too little text to pay for the processes
    monkeypatch.setattr(_prediction, "PREDICT_WORKERS_MIN_CHARACTERS", n_characters + 1)
    assert workers(config, chunks) == 1


@pytest.mark.parametrize("n_members", [1, 3])
def test_the_geometric_blend_is_the_normalised_weighted_product(n_members):
    rng = np.random.default_rng(0)
    members = [rng.normal(size=(5, 4)).astype(np.float32) for _ in range(n_members)]
    companion = rng.normal(size=(5, 4))
    p = HEADS["softmax"].output(mean_output_logits(members, "softmax"))
    q = HEADS["softmax"].output(companion)
    product = p**0.7 * q**0.3
    blended = blended_logits(members, "softmax", companion, 0.3)
    # the log-probabilities of the blend, in float64
    assert blended.dtype == np.float64
    assert_allclose(np.exp(blended), product / product.sum(1, keepdims=True), rtol=1e-6)
    # for labels, each one's two probabilities likewise
    p, q = (
        HEADS["logistic"].output(np.stack(members)),
        HEADS["logistic"].output(companion),
    )
    on, off = p.mean(0) ** 0.7 * q**0.3, (1 - p.mean(0)) ** 0.7 * (1 - q) ** 0.3
    blended = blended_logits(members, "logistic", companion, 0.3)
    assert_allclose(HEADS["logistic"].output(blended), on / (on + off), rtol=1e-6)
    with pytest.raises(ValueError, match="blend must be one of"):
        blended_logits(members, "softmax", companion, 0.3, blend="harmonic")
