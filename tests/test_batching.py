"""Tests for skrnn._batching: padding and length-bucketed minibatches."""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skrnn._batching import (
    concatenate_sequences,
    length_runs,
    length_sorted,
    minibatches,
    pad_batch,
    pad_concatenated,
)


def test_pad_batch_shape_contents_and_lengths():
    seqs = [
        np.array([3, 1, 4, 1]),
        np.array([5, 9]),
        np.array([2, 6]),
        np.array([7]),
        np.array([], dtype=int),
    ]
    ids, lengths = pad_batch(seqs)
    assert ids.shape == (4, 5)  # time-major: (n_steps, n_samples)
    assert ids.flags.c_contiguous
    assert np.issubdtype(ids.dtype, np.integer)
    assert_array_equal(lengths, [4, 2, 2, 1, 0])
    assert_array_equal(
        ids,
        [
            [3, 5, 2, 7, 0],
            [1, 9, 6, 0, 0],
            [4, 0, 0, 0, 0],
            [1, 0, 0, 0, 0],
        ],
    )


def test_pad_batch_accepts_lists():
    ids, lengths = pad_batch([[1, 2, 3], [4]])
    assert_array_equal(ids, [[1, 4], [2, 0], [3, 0]])
    assert_array_equal(lengths, [3, 1])


@pytest.mark.parametrize("n_samples", [1, 3])
def test_pad_batch_all_empty(n_samples):
    ids, lengths = pad_batch([np.array([], dtype=int)] * n_samples)
    assert ids.shape == (0, n_samples)
    assert_array_equal(lengths, np.zeros(n_samples))
    assert np.issubdtype(lengths.dtype, np.integer)


def test_pad_batch_no_sequences():
    ids, lengths = pad_batch([])
    assert ids.shape == (0, 0)
    assert lengths.shape == (0,)


@pytest.mark.parametrize("n_samples", [0, 1, 7])
def test_pad_concatenated_equals_pad_batch(n_samples):
    rng = np.random.default_rng(n_samples)
    sequences = [rng.integers(1, 50, rng.integers(0, 6)) for _ in range(n_samples)]
    sequences.append(np.zeros(0, dtype=np.intp))
    tokens, starts = concatenate_sequences(sequences)
    lengths = np.array([len(s) for s in sequences])
    for size in range(1, len(sequences) + 1):
        batch = length_sorted(lengths, rng.permutation(len(sequences))[:size])
        expected, expected_lengths = pad_batch([sequences[i] for i in batch])
        ids = pad_concatenated(tokens, starts[batch], lengths[batch])
        assert ids.dtype == expected.dtype
        assert_array_equal(ids, expected)
        assert_array_equal(lengths[batch], expected_lengths)


def test_length_sorted_is_stable():
    lengths = np.array([2, 5, 2, 7, 5, 0])
    order = length_sorted(lengths, np.array([5, 4, 3, 2, 1, 0]))
    assert_array_equal(order, [3, 4, 1, 2, 0, 5])


LENGTHS = np.random.default_rng(0).integers(0, 20, size=23)


def epoch(batch_size, shuffle, seed=None):
    rng = None if seed is None else np.random.default_rng(seed)
    return list(minibatches(LENGTHS, batch_size, shuffle=shuffle, rng=rng))


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("batch_size", [1, 5, 23, 100])
def test_minibatches_cover_every_index_once(batch_size, shuffle):
    batches = epoch(batch_size, shuffle, seed=1)
    assert_array_equal(np.sort(np.concatenate(batches)), np.arange(len(LENGTHS)))
    sizes = sorted(len(b) for b in batches)
    n_full, rest = divmod(len(LENGTHS), batch_size)
    assert sizes == sorted([batch_size] * n_full + ([rest] if rest else []))
    for batch in batches:
        assert np.issubdtype(batch.dtype, np.integer)
        assert (np.diff(LENGTHS[batch]) <= 0).all()  # decreasing lengths


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("batch_size", [2**63, 2**63 + 5, 2**64])
def test_minibatches_larger_than_int64_make_one_batch(batch_size, shuffle):
    # batch_size takes any int: 2**63 made float starts, which cannot slice
    (batch,) = epoch(batch_size, shuffle, seed=1)
    assert_array_equal(np.sort(batch), np.arange(len(LENGTHS)))


def test_minibatches_without_shuffle_are_consecutive():
    batches = epoch(5, shuffle=False)
    assert len(batches) == 5
    for k, batch in enumerate(batches):
        start = 5 * k
        expected = np.arange(start, min(start + 5, len(LENGTHS)))
        assert_array_equal(np.sort(batch), expected)
        assert_array_equal(batch, length_sorted(LENGTHS, expected))


def test_minibatches_reproducible_and_shuffled():
    a, b = epoch(5, True, seed=3), epoch(5, True, seed=3)
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert_array_equal(x, y)
    c = epoch(5, True, seed=4)
    assert not all(
        len(x) == len(y) and np.array_equal(x, y) for x, y in zip(a, c, strict=False)
    )
    assert not np.array_equal(np.concatenate(a), np.concatenate(epoch(5, False)))


def test_minibatches_bucket_by_length():
    # With shuffling, each batch is a run of the length-sorted order, so the
    # batches do not overlap in length (ties aside).
    batches = epoch(5, True, seed=2)
    spans = sorted((LENGTHS[b].min(), LENGTHS[b].max()) for b in batches)
    for (_, hi), (lo, _) in itertools.pairwise(spans):
        assert hi <= lo


def test_minibatches_successive_epochs_differ():
    rng = np.random.default_rng(0)
    first = list(minibatches(LENGTHS, 5, shuffle=True, rng=rng))
    second = list(minibatches(LENGTHS, 5, shuffle=True, rng=rng))
    assert not all(
        len(x) == len(y) and np.array_equal(x, y)
        for x, y in zip(first, second, strict=False)
    )


@pytest.mark.parametrize("max_positions", [1, 6, 10, 100])
def test_length_runs_cover_the_order_in_runs_of_the_given_size(max_positions):
    lengths = np.array([5, 0, 3, 9, 3, 1, 12, 2])
    order = length_sorted(lengths, np.arange(len(lengths)))
    sizes = []

    def run_size(length):
        sizes.append(length)
        return max_positions // max(1, length)

    runs = length_runs(order, lengths, run_size)
    assert_array_equal(np.concatenate(runs), order)
    # Each run is sized by its first (longest) length, never empty.
    assert sizes == [lengths[run[0]] for run in runs]
    for run in runs[:-1]:
        assert len(run) == max(1, max_positions // max(1, lengths[run[0]]))


def test_length_runs_of_nothing():
    assert length_runs(np.array([], dtype=int), np.array([], dtype=int), len) == []
