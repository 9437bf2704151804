"""Pre-trained word vectors: reading word2vec/GloVe text files, filling a table."""

import gzip
import os
import re
from collections.abc import Collection, Mapping, Sequence

import numpy as np

#: The field separators of word-vector text files: ASCII whitespace only, so
#: that words keep other whitespace, such as the no-break spaces of fastText's.
_SEPARATORS = re.compile(r"\s+", re.ASCII)


def load_word_vectors(
    path: str | os.PathLike,
    *,
    vocabulary: Collection[str] | None = None,
    encoding: str = "utf-8",
) -> dict[str, np.ndarray]:
    r"""Read word vectors from a word2vec or GloVe text file.

    Each line holds a word and then its vector's components, separated by
    spaces or tabs (runs of ASCII whitespace; leading and trailing ones are
    ignored, and so are blank lines). word2vec files start with a header line
    ``n_words dim``, which is recognised and skipped.  Files ending in ``.gz``
    are decompressed.

    Every vector has the same number of components, ``dim``: the header's,
    or, without a header, the number of fields that end the first non-blank
    line with numbers (its first field excepted, which always belongs to the
    word).  The components of a line are its last ``dim`` fields, and its
    word is made of the fields before them, joined by single spaces: a word
    may hold spaces, as a few of GloVe's 840B file do, but if its last field
    is a number, the line has more than ``dim`` components.

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
        The float32 vector of each word.

    Raises
    ------
    ValueError
        If a line has fewer or more components than ``dim``, the first
        non-blank line has none, or a component of a kept word (every word, without
        ``vocabulary``) is not a number; the message names the line, and the
        counts of components.

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
    name = os.fspath(path)
    opener = gzip.open if name.endswith(".gz") else open
    vectors: dict[str, np.ndarray] = {}
    dim = None
    with opener(path, "rt", encoding=encoding) as lines:
        for number, line in enumerate(lines, start=1):
            fields = _SEPARATORS.split(line.strip(" \t\n\r\f\v"))
            if number == 1 and len(fields) == 2 and all(f.isdigit() for f in fields):
                dim, source = int(fields[1]), "the header gives"
                if dim < 1:
                    raise ValueError(f"{name}, line 1: the header gives dim={dim}.")
                continue
            if fields == [""]:
                continue
            if dim is None:
                dim, source = _n_components(fields, 0), f"line {number} has"
                if dim == 0:
                    raise ValueError(
                        f"{name}, line {number}: expected a word and numbers "
                        f"separated by spaces or tabs, got {line.strip()!r:.60}."
                    )
            n_components = len(fields) - 1
            if n_components > dim:  # more numbers, or a word of several fields
                n_components = _n_components(fields, dim)
            if n_components != dim:
                raise ValueError(
                    f"{name}, line {number}: {n_components} components after the "
                    f"word, but {source} {dim}; every vector must have as many."
                )
            word = " ".join(fields[:-dim])
            if vocabulary is not None and word not in vocabulary:
                continue
            try:
                vectors[word] = np.array(fields[-dim:], dtype=np.float32)
            except ValueError as exc:
                raise ValueError(
                    f"{name}, line {number}: {exc}; is this a word2vec or GloVe "
                    "text file?"
                ) from None
    return vectors


def is_number(field: str) -> bool:
    """Whether ``float`` reads the string (``"1e-3"``, ``"nan"`` and ``"inf"`` too)."""
    try:
        float(field)
    except ValueError:
        return False
    return True


def _n_components(fields: list[str], known: int) -> int:
    """How many fields end a line with numbers, given that the last ``known`` do.

    The first field is never counted: it is (a part of) the word.
    """
    count = known
    while count < len(fields) - 1 and is_number(fields[-count - 1]):
        count += 1
    return count


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
