"""Tests for skrnn.nn._embedding: row gather forward, scatter-add backward."""

import numpy as np
import pytest
from _gradcheck import assert_gradients_match
from numpy.testing import assert_allclose, assert_array_equal

from skrnn.nn._embedding import (
    DistinctRows,
    RowGrad,
    _sum_rows,
    distinct_rows,
    embedding_backward,
    embedding_forward,
    sum_row_grads,
)

N_VOCAB = 6
WIDTH = 3


def reference_backward(doutput, ids, n_vocab):
    grad = np.zeros((n_vocab, doutput.shape[-1]), dtype=doutput.dtype)
    np.add.at(grad, ids.reshape(-1), doutput.reshape(-1, doutput.shape[-1]))
    return grad


@pytest.mark.parametrize(
    "shape", [(7, 5), (40,), (2, 3, 4), (1, 1), (0, 5), (0,), (5, 0)]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_equals_add_at(shape, dtype):
    rng = np.random.default_rng(sum(shape))
    ids = rng.integers(0, N_VOCAB, size=shape)  # many repeats
    doutput = rng.normal(size=(*shape, WIDTH)).astype(dtype)
    grad = embedding_backward(doutput, ids, N_VOCAB).toarray()
    assert grad.shape == (N_VOCAB, WIDTH)
    assert grad.dtype == dtype
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert_allclose(grad, reference_backward(doutput, ids, N_VOCAB), rtol=rtol)
    if ids.size == 0:
        assert_array_equal(grad, 0.0)


@pytest.mark.parametrize("seed", range(5))
def test_backward_sums_each_run_as_one_reduceat_over_all_rows(seed):
    # Words read once are copied and only the repeated ones are summed, by
    # runs: the bits of one np.add.reduceat over all the sorted rows.
    rng = np.random.default_rng(seed)
    ids = np.minimum(rng.zipf(1.3, size=(12, 32)), 5000)
    doutput = rng.normal(size=(12, 32, 64)).astype(np.float32)
    flat_ids, flat_rows = ids.reshape(-1), doutput.reshape(-1, 64)
    order = np.argsort(flat_ids, kind="stable")
    unique_ids, starts = np.unique(flat_ids[order], return_index=True)
    expected = np.add.reduceat(flat_rows[order], starts)
    rows = embedding_backward(doutput, ids, 5001)
    assert_array_equal(rows.ids, unique_ids)
    assert_array_equal(rows.rows, expected)


def test_backward_of_a_single_repeated_id():
    ids = np.full((4, 3), 2)
    doutput = np.arange(4 * 3 * WIDTH, dtype=float).reshape(4, 3, WIDTH)
    grad = embedding_backward(doutput, ids, N_VOCAB).toarray()
    assert_array_equal(grad[2], doutput.reshape(-1, WIDTH).sum(axis=0))
    assert_array_equal(np.delete(grad, 2, axis=0), 0.0)


def test_backward_ids_in_any_order_and_at_the_ends_of_the_table():
    ids = np.array([5, 0, 5, 3, 0, 5])
    doutput = np.random.default_rng(0).normal(size=(6, WIDTH))
    rows = embedding_backward(doutput, ids, N_VOCAB)
    assert_array_equal(rows.ids, [0, 3, 5])  # each row read, once, in order
    assert rows.shape == (N_VOCAB, WIDTH)
    grad = rows.toarray()
    assert_allclose(grad, reference_backward(doutput, ids, N_VOCAB), rtol=1e-12)
    assert_array_equal(grad[[1, 2, 4]], 0.0)


def test_forward_gathers_rows():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(N_VOCAB, WIDTH))
    ids = rng.integers(0, N_VOCAB, size=(4, 5))
    out = embedding_forward(table, ids)
    assert out.shape == (4, 5, WIDTH)
    # the same as one-hot vectors times the table
    assert_allclose(out, np.eye(N_VOCAB)[ids] @ table, rtol=1e-15)
    assert embedding_forward(table, np.zeros((0, 5), dtype=int)).shape == (0, 5, WIDTH)


def test_distinct_rows_expand_to_the_gathered_rows():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(N_VOCAB, WIDTH))
    ids = np.array([[5, 0, 5], [3, 5, 0]])
    rows = distinct_rows(table, ids)
    # each row read once, however often the batch reads it
    assert rows.table.shape == (3, WIDTH)
    assert rows.shape == (2, 3, WIDTH)
    assert_array_equal(rows.toarray(), embedding_forward(table, ids))
    empty = distinct_rows(table, np.zeros((0, 4), dtype=int))
    assert empty.toarray().shape == (0, 4, WIDTH)


@pytest.mark.parametrize("n_steps", [0, 1, 9, 60])
def test_sum_by_row_sums_the_positions_that_read_each_row(n_steps):
    # Runs of every length: single reads, short runs summed a row at a time,
    # long runs (past 16 reads) summed one reduction each.
    rng = np.random.default_rng(n_steps)
    table = rng.normal(size=(N_VOCAB + 4, WIDTH))
    ids = rng.integers(0, N_VOCAB + 4, size=(n_steps, 7))
    ids[: n_steps // 2, :3] = 2  # a frequent word
    rows = distinct_rows(table, ids)
    values = rng.normal(size=(n_steps, 7, 11))
    expected = reference_backward(values, rows.index, len(rows.table))
    order, sums = rows.sum_by_row(values)
    assert_array_equal(np.sort(order), np.arange(len(rows.table)))
    assert_allclose(sums, expected[order], rtol=1e-12, atol=1e-14)
    # a row that no position reads sums to 0
    unread = DistinctRows(np.zeros((3, WIDTH)), np.array([[0, 2], [2, 2]]))
    order, sums = unread.sum_by_row(np.ones((2, 2, 1)))
    assert_array_equal(order, [2, 0, 1])
    assert_array_equal(sums, [[3.0], [1.0], [0.0]])


def test_backward_is_the_gradient_of_forward():
    rng = np.random.default_rng(1)
    params = {"E": rng.normal(size=(N_VOCAB, WIDTH))}
    ids = rng.integers(0, N_VOCAB, size=(5, 4))
    weights = rng.normal(size=(5, 4, WIDTH))

    def loss(p):
        return float(np.sum(weights * embedding_forward(p["E"], ids)))

    grads = {"E": embedding_backward(weights, ids, N_VOCAB)}
    assert_gradients_match(loss, params, grads)


def _row_grads(rng, n_parts, n_vocab, width=3):
    """Row gradients of a table, each row once, a fifth of the values -0.0."""
    parts = []
    for _ in range(n_parts):
        ids = np.sort(rng.choice(n_vocab, rng.integers(0, n_vocab + 1), replace=False))
        rows = rng.standard_normal((len(ids), width)).astype(np.float32)
        rows[rng.random(rows.shape) < 0.2] = -0.0
        parts.append(RowGrad(ids, rows, n_vocab))
    return parts


@pytest.mark.parametrize("seed", range(40))
def test_sum_row_grads_adds_each_rows_scaled_gradients_in_turn(seed):
    rng = np.random.default_rng(seed)
    n_vocab = int(rng.integers(1, 30))
    parts = _row_grads(rng, int(rng.integers(1, 6)), n_vocab)
    scales = list(rng.random(len(parts)))
    summed = {}
    for part, scale in zip(parts, scales, strict=True):
        for i, row in zip(part.ids, part.rows * np.float32(scale), strict=True):
            summed[i] = row if i not in summed else summed[i] + row
    result = sum_row_grads(parts, scales)
    assert_array_equal(result.ids, sorted(summed))
    assert result.n_vocab == n_vocab
    expected = np.array([summed[i] for i in sorted(summed)], np.float32)
    expected = expected.reshape(len(summed), 3)
    # to the bit, the sign of zeros included
    assert_array_equal(result.rows.view(np.uint32), expected.view(np.uint32))


@pytest.mark.parametrize("seed", range(20))
def test_sum_row_grads_of_two_shards_keeps_the_bits_of_the_sorted_sum(seed):
    # the sum of a minibatch's two shards, as it was summed before
    rng = np.random.default_rng(seed)
    parts = _row_grads(rng, 2, 40)
    scales = list(rng.random(2))
    ids = np.concatenate([part.ids for part in parts])
    rows = np.concatenate(
        [part.rows * np.float32(s) for part, s in zip(parts, scales, strict=True)]
    )
    expected = _sum_rows(ids, rows, 40)
    result = sum_row_grads(parts, scales)
    assert_array_equal(result.ids, expected.ids)
    assert_array_equal(result.rows.view(np.uint32), expected.rows.view(np.uint32))
