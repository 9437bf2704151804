"""Text to integer sequences: input checking, tokenizing and the vocabulary.

Tokenizing is scikit-learn's own: :class:`SequenceVectorizer` builds its
analyzer with :meth:`sklearn.feature_extraction.text.CountVectorizer.build_analyzer`,
so ``lowercase``, ``preprocessor``, ``tokenizer``, ``token_pattern``,
``analyzer``, ``strip_accents`` and ``stop_words`` mean exactly what they mean
there. What is added is the order of the tokens: a document becomes a 1-D
array of token ids instead of a row of counts.
"""

# Authors: The skrnn developers
# SPDX-License-Identifier: BSD-3-Clause

import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, MappingView, Sequence
from collections.abc import Set as AbstractSet
from itertools import accumulate, chain, repeat
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._warnings import warn

__all__ = [
    "DEFAULT_TOKEN_PATTERN",
    "PAD_ID",
    "PAD_TOKEN",
    "UNK_ID",
    "UNK_TOKEN",
    "SequenceVectorizer",
    "check_text",
]

PAD_ID = 0
"""Token id reserved for padding; no word ever maps to it."""

UNK_ID = 1
"""Token id of every word outside the vocabulary."""

PAD_TOKEN = "<pad>"
"""Name of :data:`PAD_ID` in ``get_feature_names_out``."""

UNK_TOKEN = "<unk>"
"""Name of :data:`UNK_ID` in ``get_feature_names_out`` and ``inverse_transform``."""

_N_RESERVED = 2  # ids 0 and 1; the first word gets id 2

# The combining marks (Unicode categories Mn, Mc and Me) and the format
# characters (Cf) of Unicode 14.0, Python 3.11's, as character-class ranges.
# Python's ``re`` has no ``\p{M}``, and finding them in ``unicodedata`` at
# import would take a tenth of a second, so they are written out here, the
# same for every Python (a model tokenizes as it did where it was saved);
# tests/test_text.py checks them against ``unicodedata`` and prints them anew
# for another Unicode version.  A range of marks runs on over the word
# characters (``\w``) between them: Devanagari's letters and signs are one.
_UNICODE_VERSION = "14.0.0"
_MARKS_BMP = (
    r"\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    r"\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"
    r"\u0711-\u074a\u07a6-\u07b0\u07eb-\u07f3\u07fd\u0816-\u082d\u0859-\u085b"
    r"\u0898-\u08e1\u08e3-\u0963\u0981-\u0983\u09bc-\u09c4\u09c7\u09c8\u09cb-\u09cd"
    r"\u09d7\u09e2\u09e3\u09fe\u0a01-\u0a03\u0a3c\u0a3e-\u0a42\u0a47\u0a48"
    r"\u0a4b-\u0a4d\u0a51\u0a70-\u0a75\u0a81-\u0a83\u0abc-\u0ac5\u0ac7-\u0ac9"
    r"\u0acb-\u0acd\u0ae2\u0ae3\u0afa-\u0aff\u0b01-\u0b03\u0b3c-\u0b44\u0b47\u0b48"
    r"\u0b4b-\u0b4d\u0b55-\u0b57\u0b62\u0b63\u0b82\u0bbe-\u0bc2\u0bc6-\u0bc8"
    r"\u0bca-\u0bcd\u0bd7\u0c00-\u0c04\u0c3c-\u0c44\u0c46-\u0c48\u0c4a-\u0c4d"
    r"\u0c55\u0c56\u0c62\u0c63\u0c81-\u0c83\u0cbc-\u0cc4\u0cc6-\u0cc8\u0cca-\u0ccd"
    r"\u0cd5\u0cd6\u0ce2\u0ce3\u0d00-\u0d03\u0d3b-\u0d44\u0d46-\u0d48\u0d4a-\u0d4d"
    r"\u0d57-\u0d63\u0d81-\u0d83\u0dca\u0dcf-\u0dd4\u0dd6\u0dd8-\u0ddf\u0df2\u0df3"
    r"\u0e31-\u0e3a\u0e47-\u0e4e\u0eb1-\u0ebc\u0ec8-\u0ecd\u0f18\u0f19\u0f35\u0f37"
    r"\u0f39\u0f3e\u0f3f\u0f71-\u0f84\u0f86-\u0f97\u0f99-\u0fbc\u0fc6\u102b-\u103e"
    r"\u1056-\u109d\u135d-\u135f\u1712-\u1715\u1732-\u1734\u1752\u1753\u1772\u1773"
    r"\u17b4-\u17d3\u17dd\u180b-\u180d\u180f\u1885-\u18a9\u1920-\u192b\u1930-\u193b"
    r"\u1a17-\u1a1b\u1a55-\u1a5e\u1a60-\u1a7c\u1a7f\u1ab0-\u1ace\u1b00-\u1b44"
    r"\u1b6b-\u1b73\u1b80-\u1bf3\u1c24-\u1c37\u1cd0-\u1cd2\u1cd4-\u1cf9\u1dc0-\u1dff"
    r"\u20d0-\u20f0\u2cef-\u2cf1\u2d7f\u2de0-\u2dff\u302a-\u302f\u3099\u309a"
    r"\ua66f-\ua672\ua674-\ua67d\ua69e-\ua6f1\ua802-\ua827\ua82c\ua880-\ua8c5"
    r"\ua8e0-\ua8f1\ua8ff-\ua92d\ua947-\ua953\ua980-\ua9c0\ua9e5\uaa29-\uaa36"
    r"\uaa43-\uaa4d\uaa7b-\uaac1\uaaeb-\uaaef\uaaf5\uaaf6\uabe3-\uabea\uabec\uabed"
    r"\ufb1e\ufe00-\ufe0f\ufe20-\ufe2f"
)
_MARKS_ASTRAL = (
    r"\U000101fd\U000102e0\U00010376-\U0001037a\U00010a01-\U00010a03"
    r"\U00010a05\U00010a06\U00010a0c-\U00010a0f\U00010a38-\U00010a3a\U00010a3f"
    r"\U00010ae5\U00010ae6\U00010d24-\U00010d27\U00010eab\U00010eac"
    r"\U00010f46-\U00010f50\U00010f82-\U00010f85\U00011000-\U00011046"
    r"\U00011070-\U00011074\U0001107f-\U000110ba\U000110c2\U00011100-\U00011134"
    r"\U00011145\U00011146\U00011173\U00011180-\U000111c0\U000111c9-\U000111cc"
    r"\U000111ce\U000111cf\U0001122c-\U00011237\U0001123e\U000112df-\U000112ea"
    r"\U00011300-\U00011303\U0001133b-\U00011344\U00011347\U00011348"
    r"\U0001134b-\U0001134d\U00011357\U00011362\U00011363\U00011366-\U0001136c"
    r"\U00011370-\U00011374\U00011435-\U00011446\U0001145e\U000114b0-\U000114c3"
    r"\U000115af-\U000115b5\U000115b8-\U000115c0\U000115dc\U000115dd"
    r"\U00011630-\U00011640\U000116ab-\U000116b7\U0001171d-\U0001172b"
    r"\U0001182c-\U0001183a\U00011930-\U00011935\U00011937\U00011938"
    r"\U0001193b-\U00011943\U000119d1-\U000119d7\U000119da-\U000119e0\U000119e4"
    r"\U00011a01-\U00011a3e\U00011a47\U00011a51-\U00011a99\U00011c2f-\U00011c36"
    r"\U00011c38-\U00011c3f\U00011c92-\U00011ca7\U00011ca9-\U00011cb6"
    r"\U00011d31-\U00011d36\U00011d3a\U00011d3c\U00011d3d\U00011d3f-\U00011d47"
    r"\U00011d8a-\U00011d8e\U00011d90\U00011d91\U00011d93-\U00011d97"
    r"\U00011ef3-\U00011ef6\U00016af0-\U00016af4\U00016b30-\U00016b36"
    r"\U00016f4f-\U00016f87\U00016f8f-\U00016f92\U00016fe4\U00016ff0\U00016ff1"
    r"\U0001bc9d\U0001bc9e\U0001cf00-\U0001cf2d\U0001cf30-\U0001cf46"
    r"\U0001d165-\U0001d169\U0001d16d-\U0001d172\U0001d17b-\U0001d182"
    r"\U0001d185-\U0001d18b\U0001d1aa-\U0001d1ad\U0001d242-\U0001d244"
    r"\U0001da00-\U0001da36\U0001da3b-\U0001da6c\U0001da75\U0001da84"
    r"\U0001da9b-\U0001da9f\U0001daa1-\U0001daaf\U0001e000-\U0001e006"
    r"\U0001e008-\U0001e018\U0001e01b-\U0001e021\U0001e023\U0001e024"
    r"\U0001e026-\U0001e02a\U0001e130-\U0001e136\U0001e2ae\U0001e2ec-\U0001e2ef"
    r"\U0001e8d0-\U0001e8d6\U0001e944-\U0001e94a\U000e0100-\U000e01ef"
)
_FORMAT_BMP = (
    r"\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
_FORMAT_ASTRAL = (
    r"\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    r"\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)

#: The zero-width non-joiner and joiner, inside Persian and Indic words.
_JOINERS = r"[\u200c\u200d]"
_ASTRAL = r"[\U00010000-\U0010ffff]"
#: A mark outside the Basic Multilingual Plane, looked up only for such a
#: character, so that the long list of ranges costs nothing to other text.
_ASTRAL_MARK = rf"{_ASTRAL}(?<=[{_MARKS_ASTRAL}])"

#: What may follow a run of word characters inside a word: one test of it
#: ends most words, before the alternatives are tried (each of which starts
#: with a class, ``J J*`` rather than ``J+``, so that a branch that cannot
#: match is skipped at once).  The former default's speed, measured on MR.
_WORD_GOES_ON = rf"(?=[{_MARKS_BMP}\u200c\u200d\U00010000-\U0010ffff])"

DEFAULT_TOKEN_PATTERN = (
    rf"(?u)\w+(?:{_WORD_GOES_ON}(?:[{_MARKS_BMP}]|{_ASTRAL_MARK}"
    rf"|{_JOINERS}{_JOINERS}*(?=[\w{_MARKS_BMP}]|{_ASTRAL_MARK}))\w*)*"
    rf"|[^\w\s{_MARKS_BMP}{_FORMAT_BMP}\U00010000-\U0010ffff]"
    rf"|{_ASTRAL}(?<![{_MARKS_ASTRAL}{_FORMAT_ASTRAL}])"
)
r"""Words with their combining marks, and each punctuation mark as its own token.

A word is a run of word characters (``\w``) and the combining marks that
follow them (the vowel signs of Devanagari, the diacritics of Arabic, the
accents of decomposed text), joined across zero-width joiners and
non-joiners.  Every other character that is neither white space nor a format
character (Unicode category Cf: bidirectional marks, zero-width space, byte
order mark) is a token of its own; format characters, and marks that follow
no word, are no tokens.  On text without marks or format characters the
tokens are those of :data:`_FORMER_TOKEN_PATTERN`.
"""

_FORMER_TOKEN_PATTERN = r"(?u)\b\w+\b|[^\w\s]"
"""The former default token pattern, which cut words at their marks.

Models fitted with it, saved or pickled, keep it and tokenize as before.
"""

#: Patterns whose tokens never span white space and cut a run of characters
#: without white space whatever surrounds it: transform may look runs up in
#: the vocabulary whole (see ``SequenceVectorizer._encode_by_chunks``).
_CHUNK_PATTERNS = (DEFAULT_TOKEN_PATTERN, _FORMER_TOKEN_PATTERN)

_STOP_WORDS_WARNING = "Your stop_words may be inconsistent"


def _type_name(obj: Any) -> str:
    return type(obj).__name__


#: Text on which a token pattern must find no empty token: words, one-letter
#: words, digits, punctuation and runs of white space.
_PATTERN_PROBE = "Word a 42, x_y -- b.\n\t  end!"


def _check_token_pattern(token_pattern: str) -> None:
    r"""Refuse a pattern that is not a regex or that can match the empty string.

    A pattern that matches the empty string (``""``, ``r"x*"``,
    ``r"\b\w*\b"``) finds empty tokens between the real ones, which would
    become a word of the vocabulary.
    """
    try:
        pattern = re.compile(token_pattern)
    except re.error as exc:
        raise ValueError(
            f"token_pattern={token_pattern!r} is not a valid regular expression: {exc}"
        ) from None
    # With one group, the group is the token (CountVectorizer's rule).
    tokens = pattern.findall(_PATTERN_PROBE) if pattern.groups <= 1 else ["x"]
    if pattern.fullmatch("") or "" in tokens:
        raise ValueError(
            f"token_pattern={token_pattern!r} matches the empty string, so it "
            "would find empty tokens; make every match at least one character "
            r"long, e.g. r'\w+' rather than r'\w*'"
        )


def check_text(
    X: Iterable[str], *, name: str = "X", allow_empty: bool = True
) -> list[str]:
    """Check that `X` is a collection of text documents and return it as a list.

    Parameters
    ----------
    X : iterable of str
        The documents: a list or tuple, a 1-D numpy array of str or object
        dtype, a pandas Series, or any other ordered iterable (a generator is
        consumed).  A single column of a 2-D input, a one-column DataFrame or
        an array of shape (n_samples, 1), is read as the documents, so that
        the output of a :class:`~sklearn.compose.ColumnTransformer` that
        passes one text column through is accepted.
    name : str, default="X"
        How `X` is called in error messages.
    allow_empty : bool, default=True
        Whether zero documents are accepted.

    Returns
    -------
    documents : list of str
        The documents, in order.

    Raises
    ------
    ValueError
        If `X` is a single ``str`` rather than a collection of them, if it is
        2-D with more than one column (the message says which to select) or
        has more dimensions, or if it is empty and `allow_empty` is False.
    TypeError
        If `X` is ``bytes``, a sparse matrix, an unordered container (a set,
        a mapping or a view of one, whose order could not match the labels')
        or not iterable, or if a document is not a ``str`` (``bytes``,
        ``None``, ``NaN``, a number, a list of tokens, an array of token
        ids...).  The message gives the position of the first bad document
        (and its index label, for a pandas Series whose labels are not the
        positions).

    Examples
    --------
    >>> from skrnn._text import check_text
    >>> check_text(("good film", "bad film"))
    ['good film', 'bad film']
    >>> import numpy as np
    >>> check_text(np.array([["good film"], ["bad film"]]))
    ['good film', 'bad film']
    >>> check_text("good film")
    Traceback (most recent call last):
        ...
    ValueError: X must be an iterable of str documents, got a single string; wrap it in a list: [text]
    """  # noqa: E501
    if isinstance(X, str):
        raise ValueError(
            f"{name} must be an iterable of str documents, got a single string; "
            "wrap it in a list: [text]"
        )
    if isinstance(X, (bytes, bytearray)):
        raise TypeError(
            f"{name} must be an iterable of str documents, got a single "
            f"{_type_name(X)} object; decode it and wrap it in a list: "
            "[data.decode('utf-8')]"
        )
    # Sparse matrices (scipy, or anything else with a dense view): these are
    # already vectorized features, not text.
    if hasattr(X, "toarray"):
        raise TypeError(
            f"{name} must be an iterable of str documents, got a sparse matrix "
            f"({_type_name(X)}); pass the raw text, not vectorized features"
        )
    if isinstance(X, (AbstractSet, Mapping, MappingView)):
        keys = " (iterating a mapping gives its keys)" if isinstance(X, Mapping) else ""
        raise TypeError(
            f"{name} is a {_type_name(X)}, an unordered container{keys}: its "
            "documents could not be matched with labels or predictions. Pass "
            "the documents as a list or another sequence, in a fixed order."
        )
    X = _single_column(X, name)
    ndim = getattr(X, "ndim", None)
    if ndim is not None and ndim != 1:
        hint = "; wrap the document in a list" if ndim == 0 else ""
        raise ValueError(
            f"{name} must be a 1-D collection of str documents, got a {ndim}-D "
            f"{_type_name(X)} of shape {getattr(X, 'shape', None)}{hint}"
        )
    try:
        iter(X)
    except TypeError:
        raise TypeError(
            f"{name} must be an iterable of str documents, got {_type_name(X)}"
        ) from None

    # numpy arrays and pandas Series: tolist() gives plain Python objects fast.
    documents = X.tolist() if ndim == 1 and hasattr(X, "tolist") else list(X)

    if not all(map(isinstance, documents, repeat(str))):
        for i, doc in enumerate(documents):
            if not isinstance(doc, str):
                raise TypeError(f"{_position(X, name, i)} is {_not_a_document(doc)}")
    if not documents and not allow_empty:
        raise ValueError(f"{name} is empty: at least one document is required")
    return documents


def _single_column(X: Any, name: str) -> Any:
    """The one column of a 2-D input (a DataFrame, an array), else `X` itself.

    Raises a ValueError naming the column to select if there are several.
    """
    shape = getattr(X, "shape", None)
    columns = getattr(X, "columns", None)  # pandas and polars DataFrames
    if shape is None or len(shape) != 2 or getattr(X, "ndim", 2) != 2:
        return X
    if shape[1] == 1:
        if hasattr(X, "iloc"):  # pandas: a Series, which keeps its dtype
            return X.iloc[:, 0]
        return np.asarray(X)[:, 0]
    if shape[1] == 0:
        raise ValueError(
            f"{name} has no column (a {_type_name(X)} of shape {shape}), so no "
            "documents: select the column of text; a ColumnTransformer before "
            "this step may have selected none"
        )
    if columns is not None:
        columns = list(columns)
        shown = ", ".join(map(repr, columns[:10])) + (", ..." if shape[1] > 10 else "")
        what = f"a DataFrame with {shape[1]} columns ({shown})"
        pick = f"{name}[{columns[_text_column(X)]!r}]"
    else:
        what = f"a 2-D {_type_name(X)} of shape {shape}"
        if getattr(getattr(X, "dtype", None), "kind", "O") in "biufc":
            raise ValueError(
                f"{name} must be a 1-D collection of str documents, got {what} "
                f"of numbers ({X.dtype}); pass the raw text documents"
            )
        pick = f"{name}[:, {_text_column(X)}]"
    raise ValueError(
        f"{name} must be a 1-D collection of str documents (or a single column "
        f"of them), got {what}; select the column of text, e.g. {pick}, or "
        "pass only that column through a ColumnTransformer"
    )


#: Rows of a table looked at to find its text column for an error message.
_TEXT_COLUMN_ROWS = 100


def _text_column(X: Any) -> int:
    """Position of the first column of `X` holding a str in its first rows, else 0.

    Not only the first row: a missing first entry (None, NaN) would otherwise
    name another column, maybe one of numbers.
    """
    head = X.iloc[:_TEXT_COLUMN_ROWS] if hasattr(X, "iloc") else X[:_TEXT_COLUMN_ROWS]
    head = np.asarray(head, dtype=object)
    for j in range(head.shape[1]):
        if any(isinstance(entry, str) for entry in head[:, j]):
            return j
    return 0


def _position(X: Any, name: str, i: int) -> str:
    """How to look up document ``i`` of ``X`` for an error message.

    ``X[i]``; but ``X[i]`` of a pandas Series looks up the index label ``i``,
    which, after a shuffle or a split (``train_test_split``), is another
    document or none: then ``X.iloc[i]`` and the document's label.
    """
    index = getattr(X, "index", None)
    # (pandas only: a lazy frame's index, dask's, is no list of labels)
    if index is None or type(X).__module__.partition(".")[0] != "pandas":
        return f"{name}[{i}]"
    label = index[i]
    if isinstance(label, np.generic):  # 9, not np.int64(9)
        label = label.item()
    if isinstance(label, Integral) and not isinstance(label, bool) and label == i:
        return f"{name}[{i}]"
    return f"{name}.iloc[{i}] (index label {label!r:.40})"


def _not_a_document(doc: Any) -> str:
    """What `doc` is and what to do instead, for the error of check_text."""
    if isinstance(doc, (bytes, bytearray)):
        return (
            f"{_type_name(doc)}; decode documents to str first, e.g. "
            "doc.decode('utf-8')"
        )
    what = f"{_type_name(doc)} ({doc!r:.40}), expected str"
    if _is_missing(doc):
        return f"{what}; replace missing values (None, NaN) with '' or drop them"
    if _is_token_ids(doc):
        return (
            f"{_type_name(doc)} of {len(doc)} integers, token ids such as a "
            "SequenceVectorizer gives, where raw text (str) is expected. "
            "RNNTextClassifier and RNNTextRegressor tokenize raw text "
            "themselves: instead of a SequenceVectorizer step before one, set "
            "its text parameters, e.g. RNNTextClassifier(min_df=2)"
        )
    if isinstance(doc, (list, tuple)) and all(isinstance(t, str) for t in doc):
        return (
            f"{what}: a list of tokens; join them into one string per "
            "document, e.g. ' '.join(tokens), with token_pattern=r'\\S+'"
        )
    return what


def _is_missing(doc: Any) -> bool:
    """Whether `doc` is None, NaN or pandas' NA or NaT."""
    if doc is None or _type_name(doc) in ("NAType", "NaTType"):
        return True
    return isinstance(doc, Real) and doc != doc


def _is_token_ids(doc: Any) -> bool:
    """Whether `doc` is a 1-D array or list of integers."""
    if isinstance(doc, np.ndarray):
        return doc.ndim == 1 and doc.dtype.kind in "iu"
    return (
        isinstance(doc, (list, tuple))
        and len(doc) > 0
        and all(isinstance(t, Integral) and not isinstance(t, bool) for t in doc)
    )


#: A word token this long or longer is most likely a run of text without
#: spaces (Chinese, Japanese, Thai), which the word analyzers cannot split.
UNSPLIT_TOKEN_LENGTH = 20

#: ... and so is a token of this many Chinese or Japanese characters (Han,
#: hiragana, katakana), whose words are one to four characters long: the
#: clauses between the commas and full stops of such text are seldom 20
#: characters long.
UNSPLIT_CJK_LENGTH = 8

_CJK_RUN = re.compile(
    rf"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{{{UNSPLIT_CJK_LENGTH},}}"
)


def _unsplit_words(tokens: list[str]) -> list[str]:
    """The tokens of a document that look like runs of text without spaces.

    Its one word (punctuation marks aside) if that is
    :data:`UNSPLIT_TOKEN_LENGTH` characters or more, and every token of
    :data:`UNSPLIT_CJK_LENGTH` Chinese or Japanese characters or more.
    """
    words = [token for token in tokens if any(map(str.isalnum, token))]
    if len(words) == 1 and len(words[0]) >= UNSPLIT_TOKEN_LENGTH:
        return words
    return [word for word in words if _CJK_RUN.fullmatch(word)]


def _warn_if_unsplit(token_lists: list[list[str]], analyzer: Any) -> None:
    """Warn when most documents are long words: text written without spaces.

    Such documents make words of their own, each seen once (a sentence, or
    the clauses between its punctuation marks), so a model learns next to
    nothing from them (chance level on Chinese sentences), silently.  Long
    words that recur in other documents are not counted.
    """
    if analyzer != "word":
        return
    tokenized = [tokens for tokens in token_lists if tokens]
    candidates = [set(_unsplit_words(tokens)) for tokens in tokenized]
    document_frequency = Counter(chain.from_iterable(candidates))
    # a long word that recurs (a product code) is one a model can learn
    unsplit = sum(
        any(document_frequency[word] == 1 for word in words) for words in candidates
    )
    if tokenized and unsplit >= max(2, len(tokenized) / 2):
        warn(
            f"{unsplit} of {len(tokenized)} training documents hold a word seen "
            f"in no other document that is {UNSPLIT_TOKEN_LENGTH} characters "
            f"long or more (their only word), or {UNSPLIT_CJK_LENGTH} Chinese or "
            "Japanese characters or more: is the text written without spaces "
            "(Chinese, Japanese, Thai)? Words are found at spaces and "
            "punctuation, so each sentence or clause is one word of its own; "
            "use analyzer='char' (the network then reads characters) or a "
            "tokenizer for the language (such as jieba.cut for Chinese).",
            UserWarning,
        )


class SequenceVectorizer(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    r"""Turn text documents into sequences of integer token ids.

    A scikit-learn :class:`~sklearn.feature_extraction.text.CountVectorizer`
    that keeps the order of the words: each document becomes a 1-D array of
    token ids instead of a row of counts. The tokenizing parameters and the
    ``min_df`` / ``max_df`` / ``max_features`` pruning mean exactly what they
    mean for ``CountVectorizer``.

    Two ids are reserved: :data:`PAD_ID` (0) for padding, which no word maps to,
    and :data:`UNK_ID` (1) for every word outside the vocabulary. Words have ids
    2, 3, ... ``n_vocab_ - 1``.

    Parameters
    ----------
    lowercase : bool, default=True
        Convert all characters to lowercase before tokenizing.
    preprocessor : callable, default=None
        Override the preprocessing (strip_accents and lowercase) stage while
        preserving the tokenizing and stop-word stages.
    tokenizer : callable, default=None
        Override the string tokenization step while preserving the
        preprocessing and stop-word stages. ``token_pattern`` is then unused
        (a warning says so unless ``token_pattern=None``).
    token_pattern : str or None, default=DEFAULT_TOKEN_PATTERN
        Regular expression denoting what constitutes a token. The default keeps
        words of a single character (``"i"``, ``"a"``) and makes each
        punctuation mark a token of its own (``"bad!"`` gives ``"bad"``,
        ``"!"``), unlike ``CountVectorizer``'s default, which drops both.
        It is ``CountVectorizer``'s ``r"(?u)\b\w+\b"`` and ``r"[^\w\s]"``,
        except that a word keeps its combining marks (Devanagari's vowel
        signs, Arabic's diacritics, decomposed accents: ``"हिन्दी"`` is one
        word, not six pieces) and its zero-width joiners, and that invisible
        format characters (bidirectional marks, byte order mark) are no
        tokens.  The former default, ``r"(?u)\b\w+\b|[^\w\s]"``, cut words
        at their marks; models fitted with it keep it.
        A pattern that matches the empty string (``""``, ``r"\w*"``) is
        refused: it would find empty tokens.
    analyzer : {"word", "char"}, default="word"
        Whether the tokens are words or characters.  With ``"char"`` each
        character of the preprocessed document is a token, runs of two white
        space characters or more becoming one space (``CountVectorizer``'s
        character unigrams), for text
        without spaces between words (Chinese, Japanese) or spelled freely;
        ``tokenizer``, ``token_pattern`` and ``stop_words`` are then unused (a
        warning says so if they are set).
    strip_accents : {"ascii", "unicode"} or callable, default=None
        Remove accents and perform other character normalization during
        preprocessing, as in ``CountVectorizer``.
    stop_words : {"english"}, list, default=None
        Words removed from the documents before they are turned into ids
        (they leave no UNK behind), as in ``CountVectorizer``.
    min_df : float in range [0.0, 1.0] or int, default=1
        Ignore words that occur in fewer documents than this (a proportion of
        the documents if float, a count if int).
    max_df : float in range [0.0, 1.0] or int, default=1.0
        Ignore words that occur in more documents than this (a proportion of
        the documents if float, a count if int).
    max_features : int, default=None
        Keep only the ``max_features`` words of highest frequency in the corpus
        among those that pass ``min_df`` and ``max_df``; words tied at the cut
        are kept in alphabetical order (``CountVectorizer`` leaves this
        unspecified).
    vocabulary : Mapping or iterable, default=None
        A fixed vocabulary; fit then learns nothing from the text (``min_df``,
        ``max_df`` and ``max_features`` are unused). Either a mapping from word
        to id whose ids are exactly 2, 3, ..., ``len(vocabulary) + 1`` (such as
        the ``vocabulary_`` of a fitted vectorizer), or 0, 1, ...,
        ``len(vocabulary) - 1`` (the ``vocabulary_`` of scikit-learn's
        ``CountVectorizer``), which then move up by 2, or an iterable of distinct
        words, which get ids 2, 3, ... in iteration order (a set is sorted
        first).  It must hold at least one word.
    max_length : int, default=None
        Truncate documents longer than this many tokens (after stop words are
        removed); None keeps every token.
    truncating : {"pre", "post"}, default="post"
        Which end of a long document to cut: ``"post"`` keeps the first
        ``max_length`` tokens, ``"pre"`` keeps the last ``max_length`` tokens.
    dtype : integer dtype, default=np.int32
        Type of the token id arrays returned by transform.

    Attributes
    ----------
    vocabulary_ : dict
        Mapping from word to id (words only; the reserved ids are not in it).
        Learned words are numbered by decreasing number of occurrences in the
        training documents, ties broken in alphabetical (code point) order, so
        id 2 is the most frequent word. A fixed vocabulary keeps its ids.
    n_vocab_ : int
        Number of ids, the two reserved ones included: ``len(vocabulary_) + 2``.
        The size of an embedding table indexed by these ids.
    fixed_vocabulary_ : bool
        True if the vocabulary was given with the ``vocabulary`` parameter.

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : Bag of words counts, with
        the same tokenizing parameters.
    RNNTextClassifier : The classifier that uses it inside, on raw text.

    Notes
    -----
    An empty learned vocabulary is not an error (``CountVectorizer`` raises):
    when the training documents hold no word that survives ``stop_words``,
    ``min_df`` and ``max_df``, every word maps to :data:`UNK_ID`, and a model
    trained on the ids can only learn from the lengths of the documents.

    Unlike ``CountVectorizer``, transform needs fit even with a fixed
    ``vocabulary``, and fit needs at least one document.

    Words that are themselves ``"<pad>"`` or ``"<unk>"`` (impossible with the
    default ``token_pattern``) would be ambiguous in the output of
    :meth:`get_feature_names_out` and :meth:`inverse_transform`.

    Examples
    --------
    >>> from skrnn import SequenceVectorizer
    >>> docs = ["I liked it a lot!", "I did not like it.", "A lot of fun."]
    >>> vectorizer = SequenceVectorizer().fit(docs)
    >>> vectorizer.transform(["I liked it, a LOT."])
    [array([ 4, 11,  5,  1,  3,  6,  2], dtype=int32)]
    >>> vectorizer.get_feature_names_out()[:7].tolist()
    ['<pad>', '<unk>', '.', 'a', 'i', 'it', 'lot']
    >>> vectorizer.inverse_transform([[4, 11, 5, 1, 3, 6, 2, 0, 0]])
    [['i', 'liked', 'it', '<unk>', 'a', 'lot', '.']]
    >>> SequenceVectorizer(max_length=2, truncating="pre").fit(docs).transform(
    ...     ["a lot of fun"]
    ... )
    [array([13,  9], dtype=int32)]
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "lowercase": ["boolean"],
        "preprocessor": [callable, None],
        "tokenizer": [callable, None],
        "token_pattern": [str, None],
        "analyzer": [StrOptions({"word", "char"})],
        "strip_accents": [StrOptions({"ascii", "unicode"}), None, callable],
        "stop_words": [StrOptions({"english"}), list, None],
        "min_df": [
            Interval(RealNotInt, 0, 1, closed="both"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_df": [
            Interval(RealNotInt, 0, 1, closed="both"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "vocabulary": [Mapping, HasMethods("__iter__"), None],
        "max_length": [Interval(Integral, 1, None, closed="left"), None],
        "truncating": [StrOptions({"pre", "post"})],
        "dtype": "no_validation",  # delegated to numpy, checked in fit
    }

    def __init__(
        self,
        *,
        lowercase=True,
        preprocessor=None,
        tokenizer=None,
        token_pattern=DEFAULT_TOKEN_PATTERN,
        analyzer="word",
        strip_accents=None,
        stop_words=None,
        min_df=1,
        max_df=1.0,
        max_features=None,
        vocabulary=None,
        max_length=None,
        truncating="post",
        dtype=np.int32,
    ):
        self.lowercase = lowercase
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.token_pattern = token_pattern
        self.analyzer = analyzer
        self.strip_accents = strip_accents
        self.stop_words = stop_words
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.vocabulary = vocabulary
        self.max_length = max_length
        self.truncating = truncating
        self.dtype = dtype

    def build_analyzer(self) -> Callable[[str], list[str]]:
        """Return the callable that turns one document into its list of tokens.

        It is ``CountVectorizer.build_analyzer()`` with this vectorizer's
        tokenizing parameters: preprocessing, tokenizing and stop-word removal
        (or, with ``analyzer="char"``, preprocessing and splitting into
        characters).

        Returns
        -------
        analyzer : callable
            Maps a str to a list of str tokens.

        Raises
        ------
        ValueError
            If words are to be found with neither a ``token_pattern`` nor a
            ``tokenizer``, or with a ``token_pattern`` that is not a regular
            expression or that matches the empty string.
        """
        if self.analyzer == "word" and self.tokenizer is None:
            if self.token_pattern is None:
                raise ValueError(
                    "token_pattern=None needs a tokenizer: give a token_pattern, "
                    "a tokenizer, or analyzer='char'"
                )
            _check_token_pattern(self.token_pattern)
        return self._count_vectorizer().build_analyzer()

    def _count_vectorizer(self) -> CountVectorizer:
        """A ``CountVectorizer`` with this vectorizer's tokenizing parameters."""
        return CountVectorizer(
            lowercase=self.lowercase,
            preprocessor=self.preprocessor,
            tokenizer=self.tokenizer,
            token_pattern=self.token_pattern,
            analyzer=self.analyzer,
            strip_accents=self.strip_accents,
            stop_words=self.stop_words,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Iterable[str], y: None = None) -> "SequenceVectorizer":
        """Learn the vocabulary of the documents.

        Parameters
        ----------
        X : iterable of str
            Training documents, at least one: a list, 1-D array or pandas
            Series of str, or a single column of them (a one-column
            DataFrame, an array of shape (n_samples, 1)).
        y : None
            Ignored.

        Returns
        -------
        self : SequenceVectorizer
            The fitted vectorizer.
        """
        self._fit(check_text(X, allow_empty=False))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X: Iterable[str], y: None = None) -> list[np.ndarray]:
        """Learn the vocabulary and return the documents as token ids.

        The same as ``fit(X).transform(X)``, but each document is tokenized
        once.

        Parameters
        ----------
        X : iterable of str
            Training documents, at least one: a list, 1-D array or pandas
            Series of str, or a single column of them (a one-column
            DataFrame, an array of shape (n_samples, 1)).
        y : None
            Ignored.

        Returns
        -------
        sequences : list of ndarray of shape (n_tokens,)
            One array of ids of type ``dtype`` per document.
        """
        documents = check_text(X, allow_empty=False)
        token_lists = self._fit(documents)
        if token_lists is None:  # a fixed vocabulary was fitted without them
            return self.transform(documents)
        return self._encode(self._truncate(token_lists))

    def _fit_transform_whole(self, documents: list[str]) -> list[np.ndarray]:
        """:meth:`fit_transform` of checked documents, none of them truncated.

        The estimators' n-gram companion reads whole documents, their network
        :meth:`_window` of them.
        """
        token_lists = self._fit(documents)
        if token_lists is None:
            return self._transform_whole(documents)
        return self._encode(token_lists)

    def _transform_whole(self, X: Iterable[str]) -> list[np.ndarray]:
        """:meth:`transform`, none of the documents truncated."""
        check_is_fitted(self)
        documents = check_text(X)
        sequences = self._encode_by_chunks(documents, whole=True)
        if sequences is None:
            sequences = self._encode(self._tokenize(documents, whole=True))
        return sequences

    def _window(self, sequences: list[np.ndarray]) -> list[np.ndarray]:
        """What :meth:`transform` keeps of whole documents' ids (views of them)."""
        return self._truncate(sequences)

    def transform(self, X: Iterable[str]) -> list[np.ndarray]:
        """Turn each document into the array of its token ids.

        Words outside the vocabulary give :data:`UNK_ID`; documents longer
        than ``max_length`` are truncated as ``truncating`` says.

        Parameters
        ----------
        X : iterable of str
            Documents, as for :meth:`fit`; may be empty.

        Returns
        -------
        sequences : list of ndarray of shape (n_tokens,)
            One array of ids of type ``dtype`` per document, in order; a
            document without tokens gives an empty array. The arrays are views
            into one buffer shared by all the documents.
        """
        check_is_fitted(self)
        documents = check_text(X)
        sequences = self._encode_by_chunks(documents)
        if sequences is None:
            sequences = self._encode(self._tokenize(documents))
        return sequences

    def inverse_transform(self, sequences: Iterable[Sequence[int]]) -> list[list[str]]:
        """Return the tokens of sequences of ids.

        Parameters
        ----------
        sequences : iterable of array-like of int
            Sequences of ids, such as the output of :meth:`transform`, or a 2-D
            padded array (one row per document).

        Returns
        -------
        tokens : list of list of str
            The tokens of each sequence: :data:`PAD_ID` is skipped and
            :data:`UNK_ID` gives ``"<unk>"``.
        """
        check_is_fitted(self)
        names = self.get_feature_names_out()
        tokens = []
        for i, sequence in enumerate(sequences):
            ids = np.asarray(sequence)
            if ids.ndim != 1:
                raise ValueError(
                    f"sequences[{i}] must be 1-D, got an array of shape {ids.shape}"
                )
            if ids.size == 0:
                tokens.append([])
                continue
            if ids.dtype.kind not in "iu":
                raise TypeError(
                    f"sequences[{i}] must hold integer ids, got dtype {ids.dtype}"
                )
            if ids.min() < 0 or ids.max() >= self.n_vocab_:
                raise ValueError(
                    f"sequences[{i}] holds ids outside [0, {self.n_vocab_ - 1}]"
                )
            tokens.append(names[ids[ids != PAD_ID]].tolist())
        return tokens

    def get_feature_names_out(self, input_features: None = None) -> np.ndarray:
        """Return the token of each id.

        Parameters
        ----------
        input_features : None
            Not used, present for API consistency by convention.

        Returns
        -------
        feature_names_out : ndarray of str objects of shape ``(n_vocab_,)``
            Position ``i`` holds the token of id ``i``: ``"<pad>"``,
            ``"<unk>"``, then the words.
        """
        check_is_fitted(self)
        names = np.empty(self.n_vocab_, dtype=object)
        names[PAD_ID] = PAD_TOKEN
        names[UNK_ID] = UNK_TOKEN
        for word, index in self.vocabulary_.items():
            names[index] = word
        return names

    def __sklearn_tags__(self):
        """Declare text input, as ``CountVectorizer`` does."""
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = []
        return tags

    def _fit(self, documents: list[str]) -> list[list[str]] | None:
        """Set the fitted attributes; return the tokens of each document.

        With a fixed vocabulary the documents are not tokenized, and None is
        returned.
        """
        dtype = np.dtype(self.dtype)
        if dtype.kind not in "iu":
            raise ValueError(f"dtype must be an integer type, got {dtype}")
        self._warn_for_unused_params()
        # Built even when unused, so that bad tokenizing parameters fail in fit.
        analyze = self.build_analyzer()

        fixed = self.vocabulary is not None
        if fixed:
            token_lists = None
            vocabulary = self._validate_vocabulary()
        else:
            token_lists = [_token_list(analyze(doc)) for doc in documents]
            vocabulary = self._learn_vocabulary(token_lists)
            _warn_if_unsplit(token_lists, self.analyzer)

        n_vocab = len(vocabulary) + _N_RESERVED
        if n_vocab - 1 > np.iinfo(dtype).max:
            raise ValueError(
                f"dtype {dtype} cannot hold {n_vocab} ids; use a wider integer type"
            )
        self._set_vocabulary(vocabulary, fixed)
        return token_lists

    def _set_vocabulary(self, vocabulary: dict[str, int], fixed: bool) -> None:
        """Set the fitted attributes of a vocabulary (in fit, and from a file)."""
        self.vocabulary_ = vocabulary
        self.n_vocab_ = len(vocabulary) + _N_RESERVED
        self.fixed_vocabulary_ = fixed
        # The vocabulary that transform may look runs of text up in whole:
        # this one if each of its words is one token of the pattern (not
        # "it's", learned with a tokenizer since unset), checked once and tied
        # to this dict, so that a dict assigned later is not taken for it.
        # The pattern is the one set if it is a default, former or current.
        pattern = self.token_pattern
        if pattern not in _CHUNK_PATTERNS:
            pattern = DEFAULT_TOKEN_PATTERN
        self._chunk_pattern_ = pattern
        self._token_vocabulary_ = (
            vocabulary if _holds_only_tokens(vocabulary, pattern) else None
        )

    def _learn_vocabulary(self, token_lists: list[list[str]]) -> dict[str, int]:
        """Select words as CountVectorizer does, numbered by frequency."""
        term_counts: Counter[str] = Counter()
        doc_counts: Counter[str] = Counter()
        for tokens in token_lists:
            term_counts.update(tokens)
            doc_counts.update(set(tokens))

        # The document-frequency bounds of CountVectorizer.fit_transform.
        n_documents = len(token_lists)
        max_df, min_df = self.max_df, self.min_df
        high = max_df if isinstance(max_df, Integral) else max_df * n_documents
        low = min_df if isinstance(min_df, Integral) else min_df * n_documents
        if high < low:
            # scikit-learn's words first, then what they mean here
            raise ValueError(
                "max_df corresponds to < documents than min_df: "
                f"max_df={max_df!r} keeps the words of at most {high:g} of the "
                f"{n_documents} documents, min_df={min_df!r} those of at least "
                f"{low:g}; raise max_df or lower min_df"
            )

        for word in doc_counts:
            if not isinstance(word, str):
                raise TypeError(
                    f"the tokenizer gave a token of type {_type_name(word)} "
                    f"({word!r:.40}), where tokens must be str; make it return "
                    "str tokens, e.g. [token.text for token in ...]"
                )
        words = [word for word, count in doc_counts.items() if low <= count <= high]
        words.sort(key=lambda word: (-term_counts[word], word))
        # The order makes max_features CountVectorizer's "top by term
        # frequency", with ties at the cut broken alphabetically.
        if self.max_features is not None:
            words = words[: self.max_features]
        return {word: index for index, word in enumerate(words, start=_N_RESERVED)}

    def _validate_vocabulary(self) -> dict[str, int]:
        """Check the ``vocabulary`` parameter; return it as a word -> id dict."""
        vocabulary = self.vocabulary
        if isinstance(vocabulary, str):
            raise ValueError(
                "vocabulary must be a mapping or an iterable of words, got a "
                "single string"
            )
        if isinstance(vocabulary, Mapping):
            words = dict(vocabulary)
            ids = list(words.values())
            integral = all(isinstance(i, Integral) for i in ids)
            # (scikit-learn's vectorizers number their words from 0: those ids
            # move up past the reserved ones)
            shift = _N_RESERVED if integral and 0 in ids else 0
            if words and (
                not integral
                or sorted(ids)
                != list(range(_N_RESERVED - shift, len(ids) + _N_RESERVED - shift))
            ):
                raise ValueError(
                    "the ids of a vocabulary mapping must be exactly 2, 3, ..., "
                    f"{len(words) + 1} (0 and 1 are reserved for padding and "
                    "unknown words), or 0, 1, ..., "
                    f"{len(words) - 1} as scikit-learn's vectorizers number "
                    "them, which become 2, 3, ..."
                )
            words = {word: int(index) + shift for word, index in words.items()}
        else:
            if isinstance(vocabulary, (set, frozenset)):
                vocabulary = sorted(vocabulary)
            words = {}
            for index, word in enumerate(vocabulary, start=_N_RESERVED):
                if words.setdefault(word, index) != index:
                    raise ValueError(f"Duplicate term in vocabulary: {word!r}")
        if not words:
            raise ValueError(
                "empty vocabulary passed to fit (an iterable such as a generator "
                "is read once: pass a list to fit more than once)"
            )
        for word in words:
            if not isinstance(word, str):
                raise TypeError(
                    f"vocabulary words must be str, got {_type_name(word)} {word!r}"
                )
        if self.analyzer == "char" and any(len(word) != 1 for word in words):
            warn(
                "Entries of more than one character found in vocabulary while "
                "analyzer='char'. These entries will not be matched with any "
                "documents",
            )
        if self.lowercase and any(word != word.lower() for word in words):
            warn(
                "Upper case characters found in vocabulary while 'lowercase' is "
                "True. These entries will not be matched with any documents",
            )
        return words

    def _warn_for_unused_params(self) -> None:
        """Warn as CountVectorizer does about parameters that will be ignored."""
        if self.analyzer != "word":
            unused = [
                name
                for name, value, default in (
                    ("tokenizer", self.tokenizer, (None,)),
                    ("token_pattern", self.token_pattern, _CHUNK_PATTERNS),
                    ("stop_words", self.stop_words, (None,)),
                )
                if value is not None and value not in default
            ]
            for name in unused:
                warn(
                    f"The parameter {name!r} will not be used since 'analyzer' "
                    "!= 'word'",
                )
        elif self.tokenizer is not None and self.token_pattern is not None:
            warn(
                "The parameter 'token_pattern' will not be used since 'tokenizer' "
                "is not None'",
            )

    def _tokenize(self, documents: list[str], whole: bool = False) -> list[list[str]]:
        """The tokens of each document, truncated to ``max_length`` unless whole."""
        # fit has already warned about inconsistent stop words, if need be.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_STOP_WORDS_WARNING)
            analyze = self.build_analyzer()
        token_lists = [_token_list(analyze(doc)) for doc in documents]
        return token_lists if whole else self._truncate(token_lists)

    def _truncate(self, documents: list[Sequence]) -> list[Sequence]:
        """Keep the first (or last) ``max_length`` tokens (or ids) of each."""
        if self.max_length is None:
            return documents
        # A Python int: -n of a numpy unsigned integer would wrap around.
        n = int(self.max_length)
        if max(map(len, documents), default=0) <= n:
            return documents
        keep = slice(None, n) if self.truncating == "post" else slice(-n, None)
        return [tokens[keep] for tokens in documents]

    def _encode(self, token_lists: list[list[str]]) -> list[np.ndarray]:
        """Map token lists, already truncated, to arrays of ids."""
        lengths = list(map(len, token_lists))
        # One array for the whole corpus, cut into one view per document:
        # several times faster than one np.array call per (short) document.
        ids = _lookup(
            self.vocabulary_,
            chain.from_iterable(token_lists),
            UNK_ID,
            sum(lengths),
            np.dtype(self.dtype),
        )
        return _cut(ids, lengths)

    def _encode_by_chunks(
        self, documents: list[str], whole: bool = False
    ) -> list[np.ndarray] | None:
        """What ``_encode(_tokenize(documents, whole))`` gives, about twice as fast.

        With the default ``token_pattern``, current or former (and no
        ``tokenizer`` or stop words), tokens never span white space and a run
        of characters without white space (a *chunk*) is cut into tokens
        whatever surrounds it.
        Most chunks are one token of the vocabulary: ``str.split`` and one
        dictionary look-up per chunk (both in C) find them, and only the
        chunks not in the vocabulary (unknown words, or words with
        punctuation attached) go through the regular expression.  That needs
        a vocabulary of tokens, so that a chunk found in it is one token: one
        learned with another tokenizing, or a fixed one with other strings
        (``"it's"``, ``"a b"``), is left to the analyzer, as is a subclass's
        own ``build_analyzer``.

        Returns None where this does not apply: the caller then tokenizes.
        """
        if (
            type(self).build_analyzer is not SequenceVectorizer.build_analyzer
            or self.analyzer != "word"
            or self.tokenizer is not None
            or self.stop_words is not None
            # None if pickled before the record, or for another vocabulary
            or getattr(self, "_token_vocabulary_", None) is not self.vocabulary_
            # the pattern it was checked with: pickled before the record of
            # it, the default of then, now the former one
            or self.token_pattern
            != getattr(self, "_chunk_pattern_", _FORMER_TOKEN_PATTERN)
        ):
            return None
        texts = list(map(self._count_vectorizer().build_preprocessor(), documents))
        if not all(map(isinstance, texts, repeat(str))):
            return None  # a preprocessor of one's own: the analyzer's errors
        ids, lengths = _ids_by_chunks(
            texts, self.vocabulary_, np.dtype(self.dtype), self.token_pattern
        )
        sequences = _cut(ids, lengths)
        kept = sequences if whole else self._truncate(sequences)
        if kept is sequences:
            return sequences
        # The kept ids in a buffer of their own, as _encode gives them: views
        # of ids would keep every token of the documents in memory.
        return _cut(np.concatenate(kept), list(map(len, kept)))


def _ids_by_chunks(
    texts: list[str],
    vocabulary: Mapping[str, int],
    dtype: np.dtype,
    pattern: str = DEFAULT_TOKEN_PATTERN,
) -> tuple[np.ndarray, list[int]]:
    """The ids of preprocessed texts' tokens by a pattern of ``_CHUNK_PATTERNS``.

    ``vocabulary`` must hold only tokens of that pattern (see
    :func:`_holds_only_tokens`).

    Returns
    -------
    ids : ndarray of ``dtype``
        The ids of every text's tokens, one text after the other.
    lengths : list of int
        The number of tokens of each text.
    """
    chunk_lists = [text.split() for text in texts]
    chunks = list(chain.from_iterable(chunk_lists))
    # PAD_ID, which no word has, marks the chunks that are not one known token
    ids = _lookup(vocabulary, chunks, PAD_ID, len(chunks), dtype)
    n_chunks = np.fromiter(map(len, chunk_lists), np.intp, len(chunk_lists))
    others = ids == PAD_ID
    if not others.any():
        return ids, n_chunks.tolist()
    # An unknown chunk of letters and digits alone (``str.isalnum``: ``\w``
    # but ``_``) is one token of either pattern, an unknown one: no regex.
    unknown = np.flatnonzero(others)
    words = np.fromiter(
        map(str.isalnum, map(chunks.__getitem__, unknown.tolist())), bool, len(unknown)
    )
    ids[unknown[words]] = UNK_ID
    others[unknown[words]] = False
    if not others.any():
        return ids, n_chunks.tolist()
    findall = re.compile(pattern).findall
    pieces = [findall(chunks[i]) for i in unknown[~words].tolist()]
    # each chunk's tokens: its id, or in the place of those of the others,
    # their pieces' ids
    n_tokens = np.ones(len(chunks), np.intp)
    n_tokens[others] = np.fromiter(map(len, pieces), np.intp, len(pieces))
    tokens = np.repeat(ids, n_tokens)
    slots = np.repeat(others, n_tokens)
    tokens[slots] = _lookup(
        vocabulary, chain.from_iterable(pieces), UNK_ID, int(slots.sum()), dtype
    )
    # the number of tokens of each text, from those of its chunks
    ends = np.concatenate([[0], np.cumsum(n_tokens)])[np.cumsum(n_chunks)]
    return tokens, np.diff(ends, prepend=0).tolist()


def _token_list(tokens: Iterable[str]) -> list[str]:
    """The tokens of one document as a list.

    A tokenizer may return an iterator (``jieba.cut`` returns a generator),
    which ``CountVectorizer`` reads once; the tokens are counted and measured
    here, so they are read into a list.  One that returns no iterable (a
    function without ``return``: None) is a TypeError that says so.
    """
    if isinstance(tokens, list):
        return tokens
    try:
        return list(tokens)
    except TypeError:
        if isinstance(tokens, Iterable):
            raise  # raised while the tokens were read
        raise TypeError(
            f"the tokenizer returned {_type_name(tokens)} ({tokens!r:.40}) for "
            "a document, where it must return its tokens: a list of str (does "
            "it end with return?)"
        ) from None


def _holds_only_tokens(
    vocabulary: Iterable[str], pattern: str = DEFAULT_TOKEN_PATTERN
) -> bool:
    """Whether each word is one whole token of ``pattern``."""
    findall = re.compile(pattern).findall
    return all(findall(word) == [word] for word in vocabulary)


def _lookup(
    vocabulary: Mapping[str, int],
    tokens: Iterable[str],
    default: int,
    count: int,
    dtype: np.dtype,
) -> np.ndarray:
    """The id of each of ``count`` tokens, ``default`` for those not in the vocabulary.

    ``map`` of the dictionary's ``get`` runs the look-ups in C, with no
    Python frame or list per token.
    """
    return np.fromiter(map(vocabulary.get, tokens, repeat(default)), dtype, count)


def _cut(ids: np.ndarray, lengths: list[int]) -> list[np.ndarray]:
    """``ids`` cut into consecutive views of the given lengths."""
    ends = list(accumulate(lengths))
    starts = [0, *ends][:-1]
    return [ids[start:end] for start, end in zip(starts, ends, strict=True)]
