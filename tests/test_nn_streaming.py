"""Tests for skrnn.nn._streaming: prediction in memory bounded whatever the length.

Equivalence first (``predict_forward`` gives ``forward``'s logits over every
cell, pooling, direction, depth and input, on padded batches of mixed lengths,
with chunks of every size down to one step), then memory (the peak does not
grow with the document's length), then behaviour.
"""

import itertools
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skrnn._batching import pad_batch
from skrnn.nn import (
    CELLS,
    POOLINGS,
    NetworkConfig,
    _streaming,
    forward,
    init_params,
    register_cell,
    unregister_cell,
)
from skrnn.nn._network import predict_forward, predict_prepared, prepare_predict

N_VOCAB = 12
LENGTHS = (7, 5, 5, 2, 1, 0)


def make_config(**kwargs):
    kwargs = {"n_vocab": N_VOCAB, "n_outputs": 3, "hidden_size": 3, **kwargs}
    return NetworkConfig(**kwargs)


def make_params(config, dtype=np.float64, seed=0):
    """Initial weights plus noise, so that every bias is nonzero too."""
    rng = np.random.default_rng(seed)
    params = init_params(config, rng, np.float64)
    return {
        name: (value + 0.3 * rng.standard_normal(value.shape)).astype(dtype)
        for name, value in params.items()
    }


def make_docs(lengths=LENGTHS, n_vocab=N_VOCAB, seed=0):
    rng = np.random.default_rng(seed + 1000)
    return [rng.integers(1, n_vocab, size=n) for n in lengths]


@pytest.fixture(params=["chunks", "groups"])
def chunk_stacked_bidirectional(request, monkeypatch):
    """Let stacked bidirectional networks cut short batches too.

    Into chunks of time, or into groups of documents of ``chunk_positions``.
    """
    monkeypatch.setattr(_streaming, "STACKED_BIDIRECTIONAL_POSITIONS", 0)
    min_group = 10**9 if request.param == "chunks" else 1
    monkeypatch.setattr(_streaming, "STACKED_BIDIRECTIONAL_MIN_GROUP", min_group)


# ------------------------------------------------------------------ equivalence


@pytest.mark.usefixtures("chunk_stacked_bidirectional")
@pytest.mark.parametrize("embedding_dim", [None, 4])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_predict_forward_equals_forward(
    cell, pooling, bidirectional, num_layers, embedding_dim
):
    config = make_config(
        cell=cell,
        pooling=pooling,
        bidirectional=bidirectional,
        num_layers=num_layers,
        embedding_dim=embedding_dim,
    )
    params = make_params(config)
    before = {name: value.copy() for name, value in params.items()}
    ids, lengths = pad_batch(make_docs())
    expected = forward(params, ids, lengths, config)
    # 6 sequences: chunks of 1, 1, 2 and 7 (all) steps.
    for chunk_positions in (1, 6, 12, 10**6):
        logits = predict_forward(
            params, ids, lengths, config, chunk_positions=chunk_positions
        )
        assert_allclose(logits, expected, rtol=0, atol=1e-12)
    for name in params:  # read only
        assert_array_equal(params[name], before[name])


@pytest.mark.parametrize("pooling", ["last", "max"])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_one_unidirectional_layer_gives_the_same_bits(cell, pooling):
    # The case the docstring promises bit for bit: the default network's.
    config = make_config(
        n_vocab=500, cell=cell, pooling=pooling, hidden_size=16, embedding_dim=8
    )
    params = make_params(config, dtype=np.float32)
    lengths = np.random.default_rng(1).integers(0, 300, size=40)
    ids, lengths = pad_batch(make_docs(sorted(lengths, reverse=True), 500))
    expected = forward(params, ids, lengths, config)
    for chunk_positions in (1000, _streaming.CHUNK_POSITIONS):
        logits = predict_forward(
            params, ids, lengths, config, chunk_positions=chunk_positions
        )
        assert logits.dtype == np.float32
        assert_array_equal(logits, expected)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_a_network_prepared_for_many_batches_gives_each_batch_the_same_bits(cell):
    # prepare_predict projects the ids of all the batches once; each batch
    # then gets the logits it gets from its own ids alone.
    config = make_config(
        n_vocab=500, cell=cell, pooling="max", hidden_size=16, embedding_dim=8
    )
    params = make_params(config, dtype=np.float32)
    batches = [
        pad_batch(make_docs(sorted(lengths, reverse=True), 500, seed=seed))
        for seed, lengths in enumerate([(30, 20, 20, 3), (9, 8, 1), (50, 0)])
    ]
    prepared = prepare_predict(params, [ids for ids, _ in batches], config)
    for ids, lengths in batches:
        assert_array_equal(
            predict_prepared(params, ids, lengths, config, prepared),
            predict_forward(params, ids, lengths, config),
        )


@pytest.mark.parametrize(
    ("cell", "bidirectional", "num_layers"),
    list(itertools.product(sorted(CELLS), [False, True], [1, 2])),
)
def test_float32_equals_forward_to_rounding(cell, bidirectional, num_layers):
    config = make_config(
        cell=cell,
        bidirectional=bidirectional,
        num_layers=num_layers,
        pooling="mean",
        embedding_dim=4,
    )
    params = make_params(config, dtype=np.float32)
    ids, lengths = pad_batch(make_docs((60, 33, 33, 9, 0)))
    expected = forward(params, ids, lengths, config)
    logits = predict_forward(params, ids, lengths, config, chunk_positions=40)
    assert logits.dtype == np.float32
    assert_allclose(logits, expected, rtol=0, atol=1e-5)


@pytest.mark.usefixtures("chunk_stacked_bidirectional")
def test_padding_contents_are_never_read():
    config = make_config(cell="lstm", bidirectional=True, num_layers=2, embedding_dim=4)
    params = make_params(config)
    ids, lengths = pad_batch(make_docs())
    noisy = ids.copy()
    padding = np.arange(len(ids))[:, None] >= lengths[None, :]
    noisy[padding] = np.random.default_rng(0).integers(1, N_VOCAB, padding.sum())
    assert_allclose(
        predict_forward(params, noisy, lengths, config, chunk_positions=6),
        forward(params, ids, lengths, config),
        rtol=0,
        atol=1e-12,
    )


@pytest.mark.parametrize("pooling", POOLINGS)
def test_all_empty_batch_gives_the_output_bias(pooling):
    config = make_config(cell="gru", bidirectional=True, pooling=pooling)
    params = make_params(config)
    ids, lengths = pad_batch([np.array([], dtype=int)] * 3)
    assert_allclose(
        predict_forward(params, ids, lengths, config),
        np.broadcast_to(params["head.b_y"], (3, 3)),
    )


def test_a_registered_cell_predicts_through_forward():
    # A cell of one's own declares no step: predict_forward falls back.
    register_cell("rnn_again", CELLS["rnn"])
    try:
        config = make_config(cell="rnn_again", pooling="mean", embedding_dim=4)
        params = make_params(config)
        ids, lengths = pad_batch(make_docs())
        assert_array_equal(
            predict_forward(params, ids, lengths, config, chunk_positions=1),
            forward(params, ids, lengths, config),
        )
    finally:
        unregister_cell("rnn_again")


# ----------------------------------------------------------------------- memory


def peak_bytes(func, *args, **kwargs):
    """The largest amount of memory that ``func`` held at once (numpy included)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        func(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


@pytest.mark.usefixtures("chunk_stacked_bidirectional")
@pytest.mark.parametrize(
    ("cell", "pooling", "bidirectional", "num_layers"),
    [
        ("gru", "max", False, 1),
        ("lstm", "mean", True, 1),
        ("rnn", "last", False, 2),
        ("gru", "last", True, 2),
    ],
)
def test_memory_does_not_grow_with_the_length(cell, pooling, bidirectional, num_layers):
    # Regression: the forward pass kept every step's projection and states,
    # some 900 bytes per token of the default network.
    # Both documents read every id: the projected table is the same size.
    config = make_config(
        n_vocab=50,
        cell=cell,
        pooling=pooling,
        bidirectional=bidirectional,
        num_layers=num_layers,
        hidden_size=32,
        embedding_dim=16,
    )
    params = make_params(config, dtype=np.float32)
    peaks = []
    for length in (1_000, 4_000):
        ids, lengths = pad_batch(make_docs([length], 50))
        peaks.append(
            peak_bytes(
                predict_forward, params, ids, lengths, config, chunk_positions=128
            )
        )
    # 3,000 tokens more would cost forward 1.5 MB or more.  What grows is the
    # one checkpoint per chunk of a stacked bidirectional network's lower
    # layers: here 2 states of 32 numbers per 128 tokens, 6 KB in all.
    assert peaks[1] - peaks[0] < 16 * 1024, peaks
    assert peaks[1] < 512 * 1024, peaks


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_a_one_hot_layer_prepares_in_memory_of_its_ids_not_its_vocabulary(cell):
    # Regression: a one-hot first layer's W_xh (n_vocab, gates) was halved
    # and laid out gate-major whole before its ids' rows were gathered: two
    # copies of it at every call, 20 ms to predict one sentence with an LSTM
    # of 128 over MR's vocabulary (against 0.7 ms with an embedding).
    n_vocab = 20_000
    config = make_config(n_vocab=n_vocab, cell=cell, hidden_size=32, embedding_dim=None)
    params = make_params(config, dtype=np.float32)
    ids, lengths = pad_batch(make_docs([5, 3], n_vocab))
    W_xh = params["layer0.fwd.W_xh"]
    peak = peak_bytes(prepare_predict, params, [ids], config)
    # the remap of the vocabulary's ids (8 bytes each) and the rows of a few ids
    assert peak < 8 * n_vocab + W_xh.nbytes // 10, (peak, W_xh.nbytes)
    assert_array_equal(
        predict_prepared(params, ids, lengths, config, None),
        forward(params, ids, lengths, config),
    )
