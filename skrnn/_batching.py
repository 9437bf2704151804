"""Padding, sorting and length-bucketed minibatches of token-id sequences."""

from collections.abc import Callable, Iterator, Sequence

import numpy as np


def pad_batch(sequences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stack sequences, sorted by decreasing length, into a time-major batch.

    Parameters
    ----------
    sequences : sequence of 1-D int arrays
        Token ids, already in decreasing order of length.

    Returns
    -------
    ids : ndarray of shape (n_steps, n_samples)
        ``ids[t, b]`` is the t-th token of sequence b, padding (0) after its
        end; ``n_steps`` is the longest length.
    lengths : ndarray of shape (n_samples,)
        Length of each sequence.
    """
    lengths = np.fromiter(map(len, sequences), dtype=np.intp, count=len(sequences))
    n_steps = int(lengths.max(initial=0))
    ids = np.zeros((n_steps, len(sequences)), dtype=np.intp)
    if len(sequences):
        real = np.arange(n_steps)[:, None] < lengths
        ids.T[real.T] = np.concatenate(sequences)
    return ids, lengths


def concatenate_sequences(
    sequences: Sequence[np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """All the sequences in one array, and where each starts in it.

    Parameters
    ----------
    sequences : sequence of 1-D int arrays
        Token ids.

    Returns
    -------
    tokens : ndarray of int
        The sequences one after the other.
    starts : ndarray of shape (n_samples,)
        The index in ``tokens`` of each sequence's first token.
    """
    lengths = np.fromiter(map(len, sequences), dtype=np.intp, count=len(sequences))
    starts = np.zeros(len(sequences), dtype=np.intp)
    np.cumsum(lengths[:-1], out=starts[1:])
    if not len(sequences):
        return np.zeros(0, dtype=np.intp), starts
    return np.concatenate(sequences), starts


def pad_concatenated(
    tokens: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> np.ndarray:
    """The padded batch of :func:`pad_batch`, from :func:`concatenate_sequences`.

    A few calls whatever the number of sequences, where :func:`pad_batch`
    handles each sequence on its own.

    Parameters
    ----------
    tokens : ndarray of int
        Sequences one after the other.
    starts, lengths : ndarray of shape (n_samples,)
        Where each sequence of the batch starts in ``tokens``, and its
        length, in decreasing order of length.

    Returns
    -------
    ids : ndarray of shape (n_steps, n_samples)
        As :func:`pad_batch` returns them.
    """
    steps = np.arange(lengths.max(initial=0))[:, None]
    real = steps < lengths
    ids = np.zeros(real.shape, dtype=np.intp)
    # time-major positions, so that the tokens are read in the order stored
    ids[real] = tokens[(starts + steps)[real]]
    return ids


def length_sorted(lengths: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Reorder ``indices`` by decreasing length, ties kept in their order."""
    return indices[np.argsort(-lengths[indices], kind="stable")]


def length_runs(
    order: np.ndarray, lengths: np.ndarray, run_size: Callable[[int], int]
) -> list[np.ndarray]:
    """Cut a length-sorted order into consecutive runs sized by their length.

    Parameters
    ----------
    order : ndarray of int
        Indices of sequences, in decreasing order of length.
    lengths : ndarray of shape (n_samples,)
        Sequence lengths.
    run_size : callable
        Maps the length of a run's first (longest) sequence to the number of
        sequences in the run, at least 1.

    Returns
    -------
    list of ndarray of int
        Consecutive runs of ``order``.
    """
    runs = []
    start = 0
    while start < len(order):
        size = max(1, run_size(int(lengths[order[start]])))
        runs.append(order[start : start + size])
        start += size
    return runs


def minibatches(
    lengths: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool,
    rng: np.random.Generator | None = None,
) -> Iterator[np.ndarray]:
    """Indices of the minibatches of one epoch, bucketed by length.

    Sequences of similar length are grouped so that little time is spent on
    padding: with ``shuffle``, the order is shuffled, stably sorted by length
    into runs of ``batch_size``, and the runs are visited in random order;
    without it, batches are consecutive runs of the data in its order.

    Parameters
    ----------
    lengths : ndarray of shape (n_samples,)
        Sequence lengths.
    batch_size : int
        Number of sequences per batch (the last one may be smaller); one
        batch of all of them when it is larger than their number.
    shuffle : bool
        Whether to shuffle (and bucket) the data.
    rng : numpy.random.Generator, optional
        Source of randomness; required when ``shuffle``.

    Yields
    ------
    ndarray of int
        The indices of one batch, in decreasing order of length.
    """
    # A batch holds all the samples at most: a larger batch_size (up to any
    # Python int, which the parameter allows) would overflow numpy's int64.
    batch_size = min(batch_size, max(1, len(lengths)))
    order, starts = _epoch_order(lengths, batch_size, shuffle, rng)
    for start in starts:
        batch = order[start : start + batch_size]
        # A shuffled order is sorted by length already, and so is each run of it.
        yield batch if shuffle else length_sorted(lengths, batch)


def sample_order(
    lengths: np.ndarray, *, shuffle: bool, rng: np.random.Generator | None = None
) -> np.ndarray:
    """The samples of one epoch in the order of :func:`minibatches` of size 1.

    Parameters
    ----------
    lengths : ndarray of shape (n_samples,)
        Sequence lengths.
    shuffle : bool
        Whether to shuffle the data.
    rng : numpy.random.Generator, optional
        Source of randomness, drawn from as :func:`minibatches` draws;
        required when ``shuffle``.

    Returns
    -------
    ndarray of int of shape (n_samples,)
        The indices of the batches of one sample, in one array.
    """
    order, starts = _epoch_order(lengths, 1, shuffle, rng)
    return order[starts]


def _epoch_order(
    lengths: np.ndarray,
    batch_size: int,
    shuffle: bool,
    rng: np.random.Generator | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The order of the samples in an epoch and the starts of its batches in it."""
    n_samples = len(lengths)
    order = np.arange(n_samples)
    if shuffle:
        order = length_sorted(lengths, rng.permutation(n_samples))
    starts = np.arange(0, n_samples, batch_size)
    if shuffle:
        starts = rng.permutation(starts)
    return order, starts
