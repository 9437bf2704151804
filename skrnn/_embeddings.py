"""Pre-trained word vectors: reading word2vec/GloVe text files, filling a table."""

import gzip
import os
from collections.abc import Collection, Mapping, Sequence

import numpy as np


def load_word_vectors(
    path: str | os.PathLike,
    *,
    vocabulary: Collection[str] | None = None,
    encoding: str = "utf-8",
) -> dict[str, np.ndarray]:
    r"""Read word vectors from a word2vec or GloVe text file.

    Each line holds a word and its vector's components separated by spaces;
    word2vec files start with a header line ``n_words dim``, which is
    recognised and skipped.  Files ending in ``.gz`` are decompressed.

    Parameters
    ----------
    path : str or path-like
        The file.
    vocabulary : collection of str, optional
        Keep only these words (saves memory on large files).
    encoding : str, default="utf-8"
        Text encoding of the file.

    Returns
    -------
    dict of str to ndarray of shape (dim,)
        float32 vectors by word.

    Raises
    ------
    ValueError
        If the lines do not all have the same number of components, or a
        component is not a number; the message names the line.

    Examples
    --------
    >>> import tempfile, os
    >>> from skrnn import load_word_vectors
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "vectors.txt")
    ...     with open(path, "w") as f:
    ...         _ = f.write("2 3\ngood 0.1 0.2 0.3\nbad -0.1 -0.2 -0.3\n")
    ...     vectors = load_word_vectors(path)
    >>> vectors["bad"]
    array([-0.1, -0.2, -0.3], dtype=float32)
    """
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    vectors: dict[str, np.ndarray] = {}
    dim = None
    with opener(path, "rt", encoding=encoding) as lines:
        for number, line in enumerate(lines, start=1):
            fields = line.rstrip("\n").rstrip(" ").split(" ")
            if number == 1 and len(fields) == 2 and all(f.isdigit() for f in fields):
                dim = int(fields[1])
                continue
            if fields == [""]:
                continue
            if dim is None:
                dim = len(fields) - 1
            if len(fields) < dim + 1 or dim < 1:
                raise ValueError(
                    f"{os.fspath(path)}, line {number}: expected a word and {dim} "
                    f"numbers separated by spaces, got {len(fields)} fields."
                )
            word = " ".join(fields[: len(fields) - dim])
            if vocabulary is not None and word not in vocabulary:
                continue
            try:
                vectors[word] = np.array(fields[len(fields) - dim :], dtype=np.float32)
            except ValueError as exc:
                raise ValueError(
                    f"{os.fspath(path)}, line {number}: {exc}; is this a word2vec "
                    "or GloVe text file?"
                ) from None
    return vectors


def vectors_width(vectors: Mapping[str, np.ndarray]) -> int:
    """Common length of the vectors; ValueError if they differ or there are none."""
    widths = {np.shape(v) for v in vectors.values()}
    if len(widths) != 1 or len(next(iter(widths))) != 1:
        raise ValueError(
            "embeddings must map words to 1-D vectors of one common length; got "
            f"shapes {sorted(widths)[:3]}" + ("" if widths else " (no vectors)")
        )
    return next(iter(widths))[0]


def embedding_table(
    vectors: Mapping[str, np.ndarray],
    vocabulary: Mapping[str, int],
    table: np.ndarray,
    zero_ids: Sequence[int] = (),
) -> int:
    """Copy pre-trained vectors into the rows of an embedding table.

    Rows of words without a vector keep their random values, rescaled to
    the standard deviation of the pre-trained ones, so that both kinds of
    rows start on the same scale; ``zero_ids`` rows stay 0.

    Parameters
    ----------
    vectors : mapping of str to ndarray of shape (dim,)
        Pre-trained vectors by word.
    vocabulary : mapping of str to int
        Token ids by word.  A word is looked up as it is, then lowercased.
    table : ndarray of shape (n_vocab, dim)
        The randomly initialised table, filled in place.
    zero_ids : sequence of int
        Ids (padding, unknown words) whose rows stay 0.

    Returns
    -------
    int
        Number of vocabulary words that found a vector.
    """
    ids, rows = [], []
    for word, idx in vocabulary.items():
        vector = vectors.get(word)
        if vector is None:
            vector = vectors.get(word.lower())
        if vector is not None:
            ids.append(idx)
            rows.append(vector)
    if rows:
        pretrained = np.asarray(rows, dtype=table.dtype)
        std = table.std()
        if std > 0:
            table *= pretrained.std() / std
        table[ids] = pretrained
    table[list(zero_ids)] = 0.0
    return len(ids)
