"""Tests for skrnn.nn._recurrent: time indexing, directions, layers, pooling."""

import numpy as np
import pytest
from _gradcheck import assert_gradients_match, dense
from numpy.testing import assert_allclose, assert_array_equal

from skrnn._batching import pad_batch
from skrnn.nn import CELLS, POOLINGS, NetworkConfig, init_params
from skrnn.nn._embedding import distinct_rows
from skrnn.nn._recurrent import (
    _max_over_time,
    _reverse,
    active_counts,
    pool_backward,
    pool_forward,
    recurrent_forward,
    reverse_index,
)
from skrnn.nn._recurrent import recurrent_backward as _recurrent_backward

LENGTHS = np.array([6, 4, 4, 1, 0])
N_STEPS = 6
N_VOCAB = 10
HIDDEN = 3
EMBED = 3


def recurrent_backward(*args, **kwargs):
    """``recurrent_backward`` with a dense gradient of a one-hot ``W_xh``."""
    grads, dinputs = _recurrent_backward(*args, **kwargs)
    return dense(grads), dinputs


def make_params(cell, num_layers, bidirectional, embedding_dim, seed=0):
    config = NetworkConfig(
        n_vocab=N_VOCAB,
        n_outputs=2,
        cell=cell,
        hidden_size=HIDDEN,
        embedding_dim=embedding_dim,
        num_layers=num_layers,
        bidirectional=bidirectional,
    )
    rng = np.random.default_rng(seed)
    params = init_params(config, rng, np.float64)
    return {
        k: v + 0.3 * rng.standard_normal(v.shape)
        for k, v in params.items()
        if not k.startswith("head.")
    }


def make_docs(lengths, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(1, N_VOCAB, size=n) for n in lengths]


def run(params, inputs, lengths, cell, num_layers, bidirectional, **kwargs):
    return recurrent_forward(
        params,
        inputs,
        lengths,
        cell=cell,
        num_layers=num_layers,
        bidirectional=bidirectional,
        dropout=kwargs.pop("dropout", 0.0),
        one_hot=len(inputs.shape) == 2,
        **kwargs,
    )


# ------------------------------------------------------------- time indexing


def test_active_counts():
    assert_array_equal(active_counts(LENGTHS, N_STEPS), [4, 3, 3, 3, 1, 1])
    assert_array_equal(active_counts(np.array([0, 0]), 0), np.zeros(0))
    assert_array_equal(active_counts(np.array([2, 2, 2]), 2), [3, 3])


def test_reverse_index_example():
    rev = reverse_index(np.array([3, 1, 0]), 4)
    assert_array_equal(
        rev,
        [
            [2, 0, 0],
            [1, 1, 1],
            [0, 2, 2],
            [3, 3, 3],
        ],
    )


def test_reverse_index_reverses_valid_positions_and_keeps_padding():
    rev = reverse_index(LENGTHS, N_STEPS)
    cols = np.arange(len(LENGTHS))
    valid = np.arange(N_STEPS)[:, None] < LENGTHS[None, :]
    # an involution: applied twice it is the identity
    assert_array_equal(
        rev[rev, cols], np.broadcast_to(np.arange(N_STEPS)[:, None], rev.shape)
    )
    # valid positions go to valid positions, padding stays where it is
    assert valid[rev, cols][valid].all()
    assert_array_equal(rev[~valid], np.nonzero(~valid)[0])
    x = np.random.default_rng(0).normal(size=(N_STEPS, len(LENGTHS), 2))
    xr = _reverse(x, rev)
    for b, n in enumerate(LENGTHS):
        assert_array_equal(xr[:n, b], x[:n, b][::-1])
        assert_array_equal(xr[n:, b], x[n:, b])
    assert_array_equal(_reverse(xr, rev), x)


# ------------------------------------------------------------------- pooling


def naive_pool(outputs, lengths, pooling, bidirectional):
    width = outputs.shape[2]
    pooled = np.zeros((len(lengths), width))
    for b, n in enumerate(lengths):
        if n == 0:
            continue
        seq = outputs[:n, b]
        if pooling == "mean":
            pooled[b] = seq.mean(axis=0)
        elif pooling == "max":
            pooled[b] = seq.max(axis=0)
        elif bidirectional:
            pooled[b, : width // 2] = seq[-1, : width // 2]
            pooled[b, width // 2 :] = seq[0, width // 2 :]
        else:
            pooled[b] = seq[-1]
    return pooled


def padded_outputs(lengths, n_steps, width, seed=0):
    outputs = np.random.default_rng(seed).normal(size=(n_steps, len(lengths), width))
    outputs[np.arange(n_steps)[:, None] >= lengths[None, :]] = 0.0
    return outputs


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", POOLINGS)
def test_pool_forward_matches_per_sequence_loop(pooling, bidirectional):
    outputs = padded_outputs(LENGTHS, N_STEPS, 4)
    pooled, _ = pool_forward(outputs, LENGTHS, pooling, bidirectional)
    expected = naive_pool(outputs, LENGTHS, pooling, bidirectional)
    assert_allclose(pooled, expected, rtol=1e-14)
    # an empty sequence pools to 0
    assert_array_equal(pooled[-1], 0.0)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", POOLINGS)
def test_pool_of_an_all_empty_batch_is_zero(pooling, bidirectional):
    lengths = np.array([0, 0])
    for n_steps in (0, 2):
        outputs = np.zeros((n_steps, 2, 4))
        pooled, cache = pool_forward(outputs, lengths, pooling, bidirectional)
        assert_array_equal(pooled, np.zeros((2, 4)))
        dout = pool_backward(np.ones((2, 4)), cache, n_steps, pooling, bidirectional)
        assert dout.shape == (n_steps, 2, 4)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", POOLINGS)
def test_pool_backward_is_the_adjoint_of_pool_forward(pooling, bidirectional):
    # Each pooling is linear in the outputs (max with its argmax fixed), so
    # <pool(o), d> = <o, pool_backward(d)> on the real positions.
    outputs = padded_outputs(LENGTHS, N_STEPS, 4, seed=1)
    pooled, cache = pool_forward(outputs, LENGTHS, pooling, bidirectional)
    dpooled = np.random.default_rng(2).normal(size=pooled.shape)
    doutputs = pool_backward(dpooled, cache, N_STEPS, pooling, bidirectional)
    assert doutputs.shape == outputs.shape
    valid = np.arange(N_STEPS)[:, None] < LENGTHS[None, :]
    lhs = np.vdot(pooled, dpooled)
    rhs = np.vdot(outputs, doutputs * valid[:, :, None])
    assert lhs == pytest.approx(rhs, rel=1e-12)
    # and it is the derivative: perturb the outputs at real positions
    noise = np.random.default_rng(3).normal(size=outputs.shape) * valid[:, :, None]
    eps = 1e-7
    moved, _ = pool_forward(outputs + eps * noise, LENGTHS, pooling, bidirectional)
    directional = np.vdot(moved - pooled, dpooled) / eps
    assert directional == pytest.approx(np.vdot(noise, doutputs), rel=1e-6)


@pytest.mark.parametrize("n_steps", [1, 7, 300])
def test_max_over_time_is_numpys_max_and_argmax(n_steps):
    # ties (few distinct values, saturated states), columns of -inf (an empty
    # sequence's padding), a NaN column, and more steps than a uint8 counts
    rng = np.random.default_rng(n_steps)
    x = rng.integers(-2, 3, size=(n_steps, 4, 5)).astype(np.float32)
    x[:, 0, 0] = -np.inf
    x[:, 1, 0] = 1.0
    best, first = _max_over_time(x)
    assert first.dtype == np.intp
    assert_array_equal(first, x.argmax(axis=0))
    assert_array_equal(best, x.max(axis=0))
    x[n_steps // 2, 2, 1] = np.nan
    best, first = _max_over_time(x)
    assert_array_equal(first, x.argmax(axis=0))
    assert_array_equal(best, x.max(axis=0))


# -------------------------------------------------------- recurrent layers


@pytest.mark.parametrize("embedding_dim", [None, EMBED])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_outputs_are_zero_at_padding(cell, bidirectional, num_layers, embedding_dim):
    params = make_params(cell, num_layers, bidirectional, embedding_dim)
    ids, lengths = pad_batch(make_docs(LENGTHS))
    inputs = ids if embedding_dim is None else params["embed.E"][ids]
    for training in (False, True):
        outputs, cache = run(
            params, inputs, lengths, cell, num_layers, bidirectional, training=training
        )
        width = HIDDEN * (2 if bidirectional else 1)
        assert outputs.shape == (N_STEPS, len(LENGTHS), width)
        padding = np.arange(N_STEPS)[:, None] >= lengths[None, :]
        assert_array_equal(outputs[padding], 0.0)
        assert (outputs[~padding] != 0).all()
        assert bool(cache) == training
        pooled, _ = pool_forward(outputs, lengths, "mean", bidirectional)
        assert_array_equal(pooled[-1], 0.0)  # the empty sequence


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_distinct_rows_inputs_match_dense_inputs(cell, bidirectional, num_layers):
    # The input projection computed once per distinct word gives the outputs
    # and gradients of the projection of every position.
    params = make_params(cell, num_layers, bidirectional, EMBED)
    ids, lengths = pad_batch(make_docs(LENGTHS))
    dense = params["embed.E"][ids]
    rows = distinct_rows(params["embed.E"], ids)
    assert len(rows.table) < ids.size
    kwargs = {
        "cell": cell,
        "num_layers": num_layers,
        "bidirectional": bidirectional,
        "one_hot": False,
        "n_vocab": N_VOCAB,
    }
    width = HIDDEN * (2 if bidirectional else 1)
    doutputs = np.random.default_rng(2).normal(size=(N_STEPS, len(LENGTHS), width))
    results = []
    for inputs in (dense, rows):
        outputs, cache = run(
            params, inputs, lengths, cell, num_layers, bidirectional, training=True
        )
        grads, dinputs = recurrent_backward(doutputs, cache, params, **kwargs)
        results.append((outputs, grads, dinputs))
    (out_d, grads_d, dx_d), (out_r, grads_r, dx_r) = results
    assert_allclose(out_r, out_d, rtol=1e-12, atol=1e-14)
    assert_allclose(dx_r, dx_d, rtol=1e-12, atol=1e-14)
    assert grads_r.keys() == grads_d.keys()
    for name, grad in grads_d.items():
        assert_allclose(grads_r[name], grad, rtol=1e-12, atol=1e-14, err_msg=name)
    # the first layer differentiated once per distinct row: the gradient in
    # the table of distinct rows, the sum of its positions' gradients
    _, cache = run(
        params, rows, lengths, cell, num_layers, bidirectional, training=True
    )
    grads_t, dtable = recurrent_backward(
        doutputs, cache, params, per_position=False, **kwargs
    )
    expected = np.zeros_like(rows.table)
    np.add.at(expected, rows.index.reshape(-1), dx_d.reshape(-1, EMBED))
    assert_allclose(dtable, expected, rtol=1e-12, atol=1e-14)
    assert grads_t.keys() == grads_d.keys()
    for name, grad in grads_d.items():
        assert_allclose(grads_t[name], grad, rtol=1e-12, atol=1e-14, err_msg=name)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_backward_direction_reads_each_sequence_reversed(cell):
    # The bwd half of a bidirectional layer is a forward layer with the bwd
    # weights run over the reversed sequences, re-aligned with the input.
    params = make_params(cell, 1, True, None)
    docs = make_docs(LENGTHS, seed=1)
    ids, lengths = pad_batch(docs)
    outputs, _ = run(params, ids, lengths, cell, 1, True)
    as_forward = {k.replace("bwd", "fwd"): v for k, v in params.items() if ".bwd." in k}
    rev_ids, _ = pad_batch([doc[::-1] for doc in docs])
    rev_out, _ = run(as_forward, rev_ids, lengths, cell, 1, False)
    fwd_only = {k: v for k, v in params.items() if ".fwd." in k}
    fwd_out, _ = run(fwd_only, ids, lengths, cell, 1, False)
    assert_allclose(outputs[:, :, :HIDDEN], fwd_out, rtol=0, atol=1e-13)
    for b, n in enumerate(lengths):
        assert_allclose(
            outputs[:n, b, HIDDEN:], rev_out[:n, b][::-1], rtol=0, atol=1e-13
        )


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_dropout_between_layers(cell):
    params = make_params(cell, 2, False, EMBED)
    ids, lengths = pad_batch(make_docs(LENGTHS))
    inputs = params["embed.E"][ids]
    plain, _ = run(params, inputs, lengths, cell, 2, False)
    no_rng, _ = run(params, inputs, lengths, cell, 2, False, dropout=0.5)
    assert_array_equal(no_rng, plain)
    one_layer, _ = run(
        params,
        inputs,
        lengths,
        cell,
        1,
        False,
        dropout=0.5,
        rng=np.random.default_rng(0),
    )
    first, _ = run(params, inputs, lengths, cell, 1, False)
    assert_array_equal(one_layer, first)  # nothing drops the first layer's input
    dropped, cache = run(
        params,
        inputs,
        lengths,
        cell,
        2,
        False,
        dropout=0.5,
        rng=np.random.default_rng(0),
        training=True,
    )
    assert not np.allclose(dropped, plain)
    mask = cache["layers"][1]["mask"]
    assert set(np.unique(mask)) == {0.0, 2.0}


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_gradient_in_the_inputs(cell, bidirectional):
    params = make_params(cell, 2, bidirectional, EMBED, seed=1)
    ids, lengths = pad_batch(make_docs(LENGTHS))
    params["x"] = params.pop("embed.E")[ids]
    width = HIDDEN * (2 if bidirectional else 1)
    weights = np.random.default_rng(2).normal(size=(N_STEPS, len(LENGTHS), width))

    def loss(p):
        rng = np.random.default_rng(5)
        out, _ = run(p, p["x"], lengths, cell, 2, bidirectional, dropout=0.3, rng=rng)
        return float(np.vdot(weights, out))

    _, cache = run(
        params,
        params["x"],
        lengths,
        cell,
        2,
        bidirectional,
        dropout=0.3,
        rng=np.random.default_rng(5),
        training=True,
    )
    grads, dinputs = recurrent_backward(
        weights,
        cache,
        params,
        cell=cell,
        num_layers=2,
        bidirectional=bidirectional,
        one_hot=False,
        n_vocab=N_VOCAB,
    )
    grads["x"] = dinputs
    # the parameters are checked through the whole network in test_nn_network
    assert_gradients_match(loss, params, grads, names=["x"])
    # the padded positions are never read
    padding = np.arange(N_STEPS)[:, None] >= lengths[None, :]
    assert_array_equal(dinputs[padding], 0.0)


def test_one_hot_backward_returns_no_input_gradient():
    params = make_params("rnn", 1, False, None)
    ids, lengths = pad_batch(make_docs(LENGTHS))
    outputs, cache = run(params, ids, lengths, "rnn", 1, False, training=True)
    grads, dinputs = recurrent_backward(
        np.ones_like(outputs),
        cache,
        params,
        cell="rnn",
        num_layers=1,
        bidirectional=False,
        one_hot=True,
        n_vocab=N_VOCAB,
    )
    assert dinputs is None
    assert sorted(grads) == sorted(params)
