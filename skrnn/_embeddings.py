"""Pre-trained word vectors: reading word2vec/GloVe text files, filling a table."""

import codecs
import contextlib
import gzip
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np

#: The field separators of word-vector text files: ASCII whitespace only, so
#: that words keep other whitespace, such as the no-break spaces of fastText's.
_SEPARATORS = re.compile(r"\s+", re.ASCII)


#: Longest line read, in bytes: a line of a 300-dimensional file is about
#: 3 KB, one of 10,000 components some 130 KB.  A longer one is not a line of
#: word vectors (a binary file, say), and reading it whole could exhaust
#: memory.
MAX_LINE_BYTES = 2**20

#: How Python and numpy write an infinite number, without its sign: a
#: component written so is kept as infinite, unlike one beyond float32's range.
_INFINITY = ("inf", "infinity")

#: The first bytes of every gzip file.
_GZIP_MAGIC = b"\x1f\x8b"

#: What :func:`load_word_vectors` suggests for a file it cannot read as text.
_NOT_TEXT = (
    "load_word_vectors reads word2vec and GloVe text files: pass the file's "
    "encoding=, or convert a binary word2vec file to text (gensim's "
    "save_word2vec_format(path, binary=False))"
)


def load_word_vectors(
    path: str | os.PathLike,
    *,
    vocabulary: Iterable[str] | None = None,
    encoding: str = "utf-8",
) -> dict[str, np.ndarray]:
    r"""Read word vectors from a word2vec or GloVe text file.

    Each line holds a word and then its vector's components, separated by
    spaces or tabs (runs of ASCII whitespace; leading and trailing ones are
    ignored, and so are blank lines). word2vec files start with a header line
    ``n_words dim``, which is recognised and skipped.  Gzip-compressed files
    are recognised by their first bytes, whatever their name, and
    decompressed; a byte-order mark at the start of the file is skipped.

    Every vector has the same number of components, ``dim``: the header's,
    or, without a header, the number of fields after the first on the first
    non-blank line (which must all be numbers).  The components of a line
    are its last ``dim`` fields, and its word is made of the fields before
    them, joined by single spaces: a word may hold spaces, as a few of GloVe's
    840B file do, but if its last field is a number, the line has more than
    ``dim`` components.

    The file is read one line at a time, each of at most
    :data:`MAX_LINE_BYTES` bytes, so memory holds the vectors kept and one
    line, whatever the file.

    Parameters
    ----------
    path : str or path-like
        The file.
    vocabulary : iterable of str, optional
        Keep only these words (saves memory on large files): a set, a list,
        an array, a mapping's keys or an iterator, read once.
    encoding : str, default="utf-8"
        Text encoding of the file; one that encodes ASCII as ASCII (UTF-8,
        Latin-1, cp1252, ...), as every word-vector file is.

    Returns
    -------
    dict of str to ndarray of shape (dim,)
        The float32 vector of each word.

    Raises
    ------
    ValueError
        If a line has fewer or more components than ``dim``, the first
        non-blank line has none or a field after its first that is not a
        number, a component of a kept word (every word, without
        ``vocabulary``) is not a number or is too large for float32 (1e39,
        say; one written ``inf`` is kept), a line is not text in ``encoding``
        (a binary word2vec file, say) or is longer than
        :data:`MAX_LINE_BYTES`, or the compressed data are corrupt; the
        message names the file and the line.  Also if ``encoding`` is unknown
        or does not encode ASCII as ASCII.
    TypeError
        If ``vocabulary`` is a single string rather than words.

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
    _check_encoding(encoding)
    if vocabulary is not None:
        if isinstance(vocabulary, str):
            raise TypeError(
                "vocabulary must be an iterable of words, got a single string; "
                "wrap it in a list: [word]"
            )
        # looked up once per line: a set, whatever the container (an
        # iterator would be consumed, a list searched through)
        vocabulary = frozenset(vocabulary)
    vectors: dict[str, np.ndarray] = {}
    dim = None
    for number, line in _lines(name, encoding):
        where = f"{name}, line {number}"
        fields = _SEPARATORS.split(line.strip(" \t\n\r\f\v"))
        if number == 1 and len(fields) == 2 and all(f.isdigit() for f in fields):
            dim, source = int(fields[1]), "the header gives"
            if dim < 1:
                raise ValueError(f"{where}: the header gives dim={dim}.")
            continue
        if fields == [""]:
            continue
        if dim is None:
            dim, source = len(fields) - 1, f"line {number} has"
            _check_first_line(fields, where, line)
        n_components = len(fields) - 1
        if n_components > dim:  # more numbers, or a word of several fields
            n_components = _n_components(fields, dim)
        if n_components != dim:
            raise ValueError(
                f"{where}: {n_components} component"
                f"{'' if n_components == 1 else 's'} after the word, but "
                f"{source} {dim}; every vector must have as many."
            )
        word = " ".join(fields[:-dim])
        if vocabulary is not None and word not in vocabulary:
            continue
        vectors[word] = _vector(fields[-dim:], word, where)
    return vectors


def _vector(components: list[str], word: str, where: str) -> np.ndarray:
    """The float32 vector of the ``components`` of ``word``'s line ``where``.

    A component beyond float32's range (1e39, or 1e400) is refused: it would
    become infinite, with numpy's overflow warning.  Those written ``inf``
    and ``nan`` are kept as they are.
    """
    try:
        with np.errstate(over="ignore"):
            vector = np.array(components, dtype=np.float32)
    except ValueError as exc:
        raise ValueError(
            f"{where}: {exc}; is this a word2vec or GloVe text file?"
        ) from None
    if np.isinf(vector).any():
        for component, value in zip(components, vector, strict=True):
            if np.isinf(value) and component.lstrip("+-").lower() not in _INFINITY:
                raise ValueError(
                    f"{where}: the component {component!r:.40} of {word!r:.60} "
                    "is too large for float32, which the vectors are read as."
                )
    return vector


def _check_encoding(encoding: str) -> None:
    """Refuse an unknown encoding, or one that does not keep ASCII as it is.

    Lines are split at the newline byte before they are decoded, which only
    such encodings allow (UTF-16 does not).
    """
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"Unknown encoding={encoding!r}.") from None
    ascii_text = "\n\t 0123456789.-+e"
    try:
        same = ascii_text.encode("ascii").decode(encoding) == ascii_text
    except UnicodeDecodeError:
        same = False
    if not same:
        raise ValueError(
            f"encoding={encoding!r} does not encode ASCII as ASCII; word-vector "
            "files are in UTF-8 or a one-byte encoding such as Latin-1."
        )


def _lines(name: str, encoding: str) -> Iterator[tuple[int, str]]:
    """Number and text of each line of a file, gzip-compressed or not."""
    with contextlib.ExitStack() as stack:
        f = stack.enter_context(open(name, "rb"))
        if f.peek(len(_GZIP_MAGIC)).startswith(_GZIP_MAGIC):
            f = stack.enter_context(gzip.GzipFile(fileobj=f))
        number = 0
        while True:
            number += 1
            try:
                raw = f.readline(MAX_LINE_BYTES + 1)
            except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
                raise ValueError(
                    f"{name}, line {number}: the gzip data are corrupt or "
                    f"truncated ({exc})."
                ) from None
            if not raw:
                return
            if len(raw) > MAX_LINE_BYTES:
                raise ValueError(
                    f"{name}, line {number}: longer than {MAX_LINE_BYTES} bytes, "
                    f"which no line of word vectors is; {_NOT_TEXT}."
                )
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"{name}, line {number}: not {encoding} text (byte "
                    f"{raw[exc.start : exc.start + 1]!r} at position "
                    f"{exc.start}); {_NOT_TEXT}."
                ) from None
            yield number, line.removeprefix("\ufeff") if number == 1 else line


def _check_first_line(fields: list[str], where: str, line: str) -> None:
    """The first line, without a header, is a word and ``dim`` numbers."""
    if len(fields) == 1:
        raise ValueError(
            f"{where}: expected a word and numbers separated by spaces or tabs, "
            f"got {line.strip()!r:.60}."
        )
    for k, field in enumerate(fields[1:], start=2):
        if not is_number(field):
            raise ValueError(
                f"{where}: field {k}, {field!r:.30}, is not a number; without "
                "a header line, the first line's fields after the word are its "
                "components, and fix how many every vector has.  (A word of "
                "several fields needs a word2vec header 'n_words dim'.)"
            )


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
    rows start on the same scale; if the pre-trained ones give no finite,
    nonzero scale (one vector of zeros, say, which would make every such row
    0, the padding's), the random rows keep theirs.  ``zero_ids`` rows stay 0.

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
        # (infinite if the squares of the components overflow: 1e20 in float32)
        with np.errstate(over="ignore"):
            std, target = table.std(), pretrained.std()
        if std > 0 and 0 < target < np.inf:
            table *= target / std
        table[ids] = pretrained
    table[list(zero_ids)] = 0.0
    return len(ids)
