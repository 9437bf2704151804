import functools
import operator
import pickle
import re
import sys
import unicodedata
import warnings
from collections import Counter
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils import estimator_checks
from sklearn.utils._tags import get_tags

from skrnn import _text, datasets
from skrnn._text import (
    DEFAULT_TOKEN_PATTERN,
    PAD_ID,
    UNK_ID,
    SequenceVectorizer,
    check_text,
)

CORPUS = [
    "The cat sat on the mat.",
    "The dog sat on the log!",
    "A café: the Dog and the cat.",
    "I saw a cat; the cat saw me.",
    "Naïve dogs AND cats, naive cats.",
    "The END",
]


def _ids(vectorizer, words):
    return [vectorizer.vocabulary_.get(word, UNK_ID) for word in words]


# Tokenizing


def test_default_tokens_keep_one_letter_words_and_split_punctuation():
    analyze = SequenceVectorizer().build_analyzer()
    assert analyze("I liked it, a LOT!") == ["i", "liked", "it", ",", "a", "lot", "!"]


def test_build_analyzer_is_count_vectorizers():
    params = dict(stop_words="english", strip_accents="ascii", lowercase=False)
    ours = SequenceVectorizer(**params).build_analyzer()
    theirs = CountVectorizer(token_pattern=DEFAULT_TOKEN_PATTERN, **params)
    theirs = theirs.build_analyzer()
    for doc in CORPUS:
        assert ours(doc) == theirs(doc)


@pytest.mark.parametrize(
    "params",
    [
        {"lowercase": False},
        {"stop_words": "english"},
        {"stop_words": ["the", "a", "and"]},
        {"strip_accents": "unicode"},
        {"strip_accents": "ascii"},
        {"tokenizer": str.split, "token_pattern": None},
        {"token_pattern": r"(?u)\b\w\w+\b"},
        {"preprocessor": str.upper},
        {"min_df": 2},
        {"min_df": 0.5},
        {"max_df": 3},
        {"max_df": 0.5},
        {"max_features": 3},
        {"max_features": 4, "min_df": 2},
        {"min_df": 2, "max_df": 0.9},
    ],
    ids=repr,
)
def test_vocabulary_is_count_vectorizers(params):
    ours = SequenceVectorizer(**params).fit(CORPUS)
    theirs = CountVectorizer(**{"token_pattern": DEFAULT_TOKEN_PATTERN, **params})
    theirs.fit(CORPUS)
    assert set(ours.vocabulary_) == set(theirs.vocabulary_)
    # The parameter matters on this corpus, so the comparison means something.
    assert set(ours.vocabulary_) != set(SequenceVectorizer().fit(CORPUS).vocabulary_)


def test_tokenizer_without_token_pattern_none_warns_as_sklearn():
    with pytest.warns(UserWarning, match="'token_pattern' will not be used"):
        SequenceVectorizer(tokenizer=str.split).fit(CORPUS)


def test_inconsistent_stop_words_warn_in_fit_only():
    vectorizer = SequenceVectorizer(stop_words=["don't"])
    with pytest.warns(UserWarning, match="stop_words may be inconsistent"):
        vectorizer.fit(CORPUS)
    # Not "error": sklearn's consistency check swallows exceptions.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vectorizer.transform(CORPUS)
    assert not caught


# Combining marks and format characters


@functools.cache
def _unicode_ranges():
    """The ranges of ``_text``'s mark and format classes, from ``unicodedata``.

    Marks (Mn, Mc, Me) in runs of marks and word characters, each run from
    its first mark to its last; format characters (Cf) in runs.
    """
    characters = list(map(chr, range(sys.maxunicode + 1)))
    categories = list(map(unicodedata.category, characters))
    marks = [category[0] == "M" for category in categories]
    words = [char.isalnum() or char == "_" for char in characters]
    mark_ranges = []
    for start, end in _runs(list(map(operator.or_, marks, words))):
        inside = [i for i in range(start, end + 1) if marks[i]]
        if inside:
            mark_ranges.append((inside[0], inside[-1]))
    format_ranges = _runs([category == "Cf" for category in categories])
    return mark_ranges, format_ranges


def _runs(flags):
    """The (first, last) index of each run of true flags."""
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def _class_source(name, ranges):
    """The source of a constant of ``_text`` holding these ranges."""

    def escape(i):
        return f"\\u{i:04x}" if i <= 0xFFFF else f"\\U{i:08x}"

    items = [
        escape(a) if a == b else escape(a) + ("-" if b > a + 1 else "") + escape(b)
        for a, b in ranges
    ]
    lines = [""]
    for item in items:
        if len(lines[-1]) + len(item) > 78:
            lines.append("")
        lines[-1] += item
    return f"{name} = (\n" + "".join(f'    r"{line}"\n' for line in lines) + ")\n"


def _class_code_points(text):
    """The code points of character-class ranges written as ``_class_source``."""
    points = set()
    for first, last in re.findall(
        r"(\\u\w{4}|\\U\w{8})(?:-(\\u\w{4}|\\U\w{8}))?", text
    ):
        start = int(first[2:], 16)
        points.update(range(start, int(last[2:], 16) + 1 if last else start + 1))
    return points


@pytest.mark.skipif(
    unicodedata.unidata_version != _text._UNICODE_VERSION,
    reason="the classes are written for another version of Unicode",
)
def test_the_mark_and_format_classes_are_unicodedatas():
    marks, formats = _unicode_ranges()
    source = "".join(
        _class_source(name, ranges)
        for name, ranges in [
            ("_MARKS_BMP", [r for r in marks if r[1] <= 0xFFFF]),
            ("_MARKS_ASTRAL", [r for r in marks if r[0] > 0xFFFF]),
            ("_FORMAT_BMP", [r for r in formats if r[1] <= 0xFFFF]),
            ("_FORMAT_ASTRAL", [r for r in formats if r[0] > 0xFFFF]),
        ]
    )
    namespace = {}
    exec(source, namespace)
    got = {name: getattr(_text, name) for name in namespace if name.startswith("_")}
    expected = {name: value for name, value in namespace.items() if name in got}
    assert got == expected, f"write these into skrnn/_text.py:\n{source}"


def test_the_mark_and_format_classes_hold_only_marks_words_and_formats():
    # On any Python (the classes' own version of Unicode is checked above):
    # the classes hold nothing that it calls another kind of character.
    classes = {
        "M": _class_code_points(_text._MARKS_BMP + _text._MARKS_ASTRAL),
        "Cf": _class_code_points(_text._FORMAT_BMP + _text._FORMAT_ASTRAL),
    }
    for kind, points in classes.items():
        for point in points:
            char = chr(point)
            category = unicodedata.category(char)
            assert (
                category.startswith(kind)
                or category == "Cn"
                or (kind == "M" and re.fullmatch(r"\w", char))
            ), f"U+{point:04X} is {category}"


def _marks_and_formats(text):
    """Whether `text` holds a character of the classes that make the difference."""
    return _MARKED.search(text) is not None


_MARKED = re.compile(
    f"[{_text._MARKS_BMP}{_text._MARKS_ASTRAL}"
    f"{_text._FORMAT_BMP}{_text._FORMAT_ASTRAL}]"
)


def _random_text(rng, n_documents):
    """Documents of random code points of every plane, no mark or format among them.

    Each of letters, digits, punctuation, symbols, emoji, CJK, white space,
    unassigned and private-use code points: one code point in four from the
    whole of Unicode (surrogates aside), the rest from ASCII and Latin-1.
    """
    documents = []
    while len(documents) < n_documents:
        wide = rng.integers(0, sys.maxunicode + 1, 40)
        narrow = rng.integers(0, 0x100, 120)
        points = np.concatenate([wide, narrow])
        rng.shuffle(points)
        text = "".join(
            chr(point) for point in points.tolist() if not 0xD800 <= point < 0xE000
        )
        documents.append(_MARKED.sub("", text))
    return documents


def test_the_default_pattern_gives_the_former_tokens_on_text_without_marks():
    # Every bundled corpus, and random code points of every plane: where no
    # combining mark or format character is, the tokens are the same.
    new = re.compile(DEFAULT_TOKEN_PATTERN).findall
    former = re.compile(_text._FORMER_TOKEN_PATTERN).findall
    corpora = [
        load(**params).data
        for load, params in [
            (datasets.load_movie_reviews, {}),
            (datasets.load_trec, {}),
            (datasets.load_sst2, {}),
            (datasets.load_sst5, {"subset": "test"}),
            (datasets.load_toy_sentiment, {}),
        ]
    ]
    corpora.append(_random_text(np.random.default_rng(0), 3000))
    for documents in corpora:
        plain = [doc for doc in documents if not _marks_and_formats(doc)]
        assert len(plain) > 0.9 * len(documents)
        for document in plain:
            assert new(document) == former(document), repr(document)


#: "I want" in Persian, with a zero-width non-joiner, and "peace" in Hebrew.
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
HEBREW = "\u05e9\u05dc\u05d5\u05dd"


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("हिन्दी भाषा", ["हिन्दी", "भाषा"]),  # Devanagari vowel signs, virama
        ("ภาษาไทย ก็ได้", ["ภาษาไทย", "ก็ได้"]),  # Thai vowel and tone marks
        ("كَتَبَ الوَلَدُ.", ["كَتَبَ", "الوَلَدُ", "."]),  # Arabic harakat
        ("שָׁלוֹם!", ["שָׁלוֹם", "!"]),  # Hebrew points
        ("cafe\u0301, nai\u0308ve", ["cafe\u0301", ",", "nai\u0308ve"]),  # NFD
        (PERSIAN, [PERSIAN]),  # a zero-width non-joiner
        ("क्\u200dष", ["क्\u200dष"]),  # a zero-width joiner
        (f"\u200f{HEBREW}\u200e (abc)\u202c", [HEBREW, "(", "abc", ")"]),  # bidi
        ("\ufeffa\u200bb\u2066c\u2069", ["a", "b", "c"]),  # BOM, ZWSP, isolates
        ("x\u200d y\u200c", ["x", "y"]),  # joiners outside a word
        ("\u0301a !\u0301", ["a", "!"]),  # marks after no word
        ("\u2764\ufe0f 1\ufe0f\u20e3", ["\u2764", "1\ufe0f\u20e3"]),  # emoji
        ("\U0001f468\u200d\U0001f469", ["\U0001f468", "\U0001f469"]),
        (
            "\U00011013\U00011038 \U0001d158\U0001d165",
            ["\U00011013\U00011038", "\U0001d158"],
        ),
        ("\U00011013\U00011038\U0001d165x", ["\U00011013\U00011038\U0001d165x"]),
    ],
)
def test_the_default_pattern_keeps_marks_in_words_and_drops_format_marks(text, tokens):
    assert SequenceVectorizer(lowercase=False).build_analyzer()(text) == tokens


def test_words_with_marks_are_one_feature():
    # The example of the user guide, cut into single letters and marks before.
    names = SequenceVectorizer().fit(["हिन्दी भाषा", "cafe\u0301"])
    assert names.get_feature_names_out().tolist() == [
        "<pad>",
        "<unk>",
        "cafe\u0301",
        "भाषा",
        "हिन्दी",
    ]


#: Characters the default pattern treats apart from the others: marks of the
#: Basic Multilingual Plane and beyond, joiners, bidirectional and other
#: format characters, and letters and punctuation around them.
MARKS_ALPHABET = (
    "ab_1हि्नदीक\u0301\u0308\u064e\u0e47"
    "\U00011013\U00011038\U0001d165\U000e0100"
    "\u200c\u200d\u200e\u200f\u202b\u2067\ufeff\u200b\u00ad\U000e0061"
    ".,!😀 \t\u00a0"
)


@settings(max_examples=60, deadline=None)
@given(
    documents=st.lists(st.text(MARKS_ALPHABET, max_size=30), min_size=2, max_size=30),
    pattern=st.sampled_from([DEFAULT_TOKEN_PATTERN, _text._FORMER_TOKEN_PATTERN]),
)
def test_transform_gives_the_analyzers_ids_on_text_with_marks(documents, pattern):
    # The run look-up of transform, for the current default and the former
    # one, on the characters where they differ.
    vectorizer = SequenceVectorizer(token_pattern=pattern)
    vectorizer.fit([*documents[::2], "x"])
    assert vectorizer._encode_by_chunks(documents) is not None
    got = vectorizer.transform(documents)
    assert [sequence.tolist() for sequence in got] == _reference_ids(
        vectorizer, documents
    )


#: Every letter and digit of this Python's Unicode (``str.isalnum``).
ALNUM = "".join(
    c
    for c in map(chr, range(sys.maxunicode + 1))
    if not "\ud800" <= c <= "\udfff" and c.isalnum()
)


def test_isalnum_is_re_word_characters_but_the_underscore():
    # transform cuts an unknown run of text without white space for which
    # str.isalnum() is true into one token without the regex: that needs
    # Python's \w to be exactly isalnum() or "_", for every character.
    word = re.compile(r"\w")
    for c in map(chr, range(sys.maxunicode + 1)):
        assert c.isalnum() == (c != "_" and word.fullmatch(c) is not None), hex(ord(c))


@pytest.mark.parametrize(
    "pattern", [DEFAULT_TOKEN_PATTERN, _text._FORMER_TOKEN_PATTERN]
)
def test_a_run_of_letters_and_digits_is_one_token_of_either_pattern(pattern):
    findall = re.compile(pattern).findall
    assert [c for c in ALNUM if findall(c) != [c]] == []
    rng = np.random.default_rng(0)
    for _ in range(2000):
        run = "".join(rng.choice(list(ALNUM[:: 1 + int(rng.integers(50))]), 5))
        assert findall(run) == [run]


@settings(max_examples=60, deadline=None)
@given(
    documents=st.lists(
        st.text(MARKS_ALPHABET + "Z9\u0663\u00b2\u2167\U0001d7ce\u4e00", max_size=30),
        min_size=2,
        max_size=30,
    ),
    pattern=st.sampled_from([DEFAULT_TOKEN_PATTERN, _text._FORMER_TOKEN_PATTERN]),
)
def test_unknown_runs_of_letters_and_digits_are_one_unknown_token(documents, pattern):
    # Digits of other scripts, superscripts, Roman numerals, astral digits
    # and ideographs beside the marks: fitted on a few words, so that most
    # runs are unknown, the fast path's ids are the analyzer's.
    vectorizer = SequenceVectorizer(token_pattern=pattern, lowercase=False)
    vectorizer.fit([documents[0], "x"])
    assert vectorizer._encode_by_chunks(documents) is not None
    got = vectorizer.transform(documents)
    assert [sequence.tolist() for sequence in got] == _reference_ids(
        vectorizer, documents
    )


def test_a_vocabulary_of_the_default_pattern_is_read_by_the_former_one():
    # Regression: the run look-up assumed the vocabulary's words to be tokens
    # of whichever default is set, so a word with a mark, one token of the
    # current default, was looked up whole once the former one was set.
    documents = ["cafe\u0301 noir", "हिन्दी"]
    vectorizer = SequenceVectorizer().fit(documents)
    vectorizer.set_params(token_pattern=_text._FORMER_TOKEN_PATTERN)
    got = vectorizer.transform(documents)
    assert [sequence.tolist() for sequence in got] == _reference_ids(
        vectorizer, documents
    )
    assert UNK_ID in got[0].tolist()


def test_a_vectorizer_pickled_before_the_current_default_keeps_its_tokens():
    # A vectorizer pickled with the former default (and before the record of
    # the pattern its vocabulary was checked with) tokenizes as it did.
    documents = ["cafe\u0301 noir", "हिन्दी भाषा", "\u200fabc"]
    vectorizer = SequenceVectorizer(token_pattern=_text._FORMER_TOKEN_PATTERN)
    vectorizer.fit(documents)
    del vectorizer._chunk_pattern_
    loaded = pickle.loads(pickle.dumps(vectorizer))
    assert loaded.token_pattern == _text._FORMER_TOKEN_PATTERN
    assert loaded._encode_by_chunks(documents) is not None
    got = loaded.transform(documents)
    assert [sequence.tolist() for sequence in got] == _reference_ids(loaded, documents)
    assert "\u0301" in loaded.vocabulary_ and "\u200f" in loaded.vocabulary_


# Ids


def test_ids_by_decreasing_frequency_then_alphabetical():
    vectorizer = SequenceVectorizer().fit(["b a c b", "c b", "y x", "x y"])
    assert vectorizer.vocabulary_ == {"b": 2, "c": 3, "x": 4, "y": 5, "a": 6}
    assert vectorizer.n_vocab_ == 7


def test_char_analyzer_reads_characters_with_white_space_collapsed():
    vectorizer = SequenceVectorizer(analyzer="char").fit(["Ab \t b a", "你好"])
    assert vectorizer.build_analyzer()("Ab \t b a") == ["a", "b", " ", "b", " ", "a"]
    assert vectorizer.vocabulary_ == {" ": 2, "a": 3, "b": 4, "你": 5, "好": 6}
    (sequence,) = vectorizer.transform(["好 x"])
    assert sequence.tolist() == [6, 2, UNK_ID]


@pytest.mark.parametrize(
    "params",
    [{"stop_words": "english"}, {"tokenizer": str.split}, {"token_pattern": r"\w+"}],
)
def test_char_analyzer_warns_about_the_word_parameters_it_ignores(params):
    (name,) = params
    with pytest.warns(UserWarning, match=f"'{name}' will not be used"):
        SequenceVectorizer(analyzer="char", **params).fit(CORPUS)


def test_char_analyzer_warns_about_vocabulary_entries_longer_than_a_character():
    vectorizer = SequenceVectorizer(analyzer="char", vocabulary=["ab", "b"])
    with pytest.warns(UserWarning, match="more than one character"):
        vectorizer.fit(["x"])
    assert vectorizer.transform(["abc"])[0].tolist() == [UNK_ID, 3, UNK_ID]


def test_no_token_pattern_and_no_tokenizer_is_a_clear_error():
    # CountVectorizer fails with "first argument must be string or compiled
    # pattern"; the transform would too.
    with pytest.raises(ValueError, match="token_pattern=None needs a tokenizer"):
        SequenceVectorizer(token_pattern=None).fit(CORPUS)
    SequenceVectorizer(token_pattern=None, tokenizer=str.split).fit(CORPUS)
    SequenceVectorizer(token_pattern=None, analyzer="char").fit(CORPUS)


def _split_lazily(text):
    # A generator, as jieba.cut, the usual Chinese tokenizer, returns one.
    return (word for word in text.split())


@pytest.mark.parametrize("stop_words", [None, ["mat"]])
def test_a_tokenizer_that_returns_an_iterator_is_read_as_count_vectorizer_reads_it(
    stop_words,
):
    # Regression: the iterator was counted, then emptied, then measured:
    # "object of type 'generator' has no len()" (CountVectorizer reads it once).
    params = {"tokenizer": _split_lazily, "token_pattern": None}
    vectorizer = SequenceVectorizer(**params, stop_words=stop_words)
    listed = SequenceVectorizer(
        tokenizer=str.split, token_pattern=None, stop_words=stop_words
    )
    sequences = vectorizer.fit_transform(CORPUS)
    assert vectorizer.vocabulary_ == listed.fit(CORPUS).vocabulary_
    for got, expected in zip(sequences, listed.transform(CORPUS), strict=True):
        assert_array_equal(got, expected)
    for got, expected in zip(
        vectorizer.transform(CORPUS), listed.transform(CORPUS), strict=True
    ):
        assert_array_equal(got, expected)
    assert set(vectorizer.vocabulary_) == set(
        CountVectorizer(**params, stop_words=stop_words).fit(CORPUS).vocabulary_
    )


@pytest.mark.parametrize(
    "tokenizer, what",
    [
        (lambda text: [len(text)], "int"),
        (lambda text: [*text.split(), None], "NoneType"),
    ],
)
def test_a_tokenizer_that_gives_tokens_other_than_str_is_a_clear_error(tokenizer, what):
    # Regression: a TypeError from deep in the re module ("expected string or
    # bytes-like object, got 'int'").
    vectorizer = SequenceVectorizer(tokenizer=tokenizer, token_pattern=None)
    with pytest.raises(TypeError, match=f"token of type {what}.*must be str"):
        vectorizer.fit(CORPUS)


def _tokenizer_without_return(text):
    text.split()


@pytest.mark.parametrize("tokenizer", [_tokenizer_without_return, len])
def test_a_tokenizer_that_returns_no_tokens_is_a_clear_error(tokenizer):
    # A prober's finding: "'NoneType' object is not iterable", from deep in
    # fit (a tokenizer that forgot its return), or in transform.
    vectorizer = SequenceVectorizer(tokenizer=tokenizer, token_pattern=None)
    what = type(tokenizer(CORPUS[0])).__name__
    with pytest.raises(TypeError, match=f"tokenizer returned {what} .*list of str"):
        vectorizer.fit(CORPUS)
    fitted = SequenceVectorizer(tokenizer=str.split, token_pattern=None).fit(CORPUS)
    fitted.set_params(tokenizer=tokenizer)
    with pytest.raises(TypeError, match=f"tokenizer returned {what} "):
        fitted.transform(CORPUS)


def test_char_analyzer_with_default_token_pattern_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SequenceVectorizer(analyzer="char").fit(CORPUS)


def test_max_features_keeps_most_frequent_with_alphabetical_ties():
    vectorizer = SequenceVectorizer(max_features=3).fit(["d b a", "c d"])
    assert vectorizer.vocabulary_ == {"d": 2, "a": 3, "b": 4}


def test_ids_are_contiguous_after_reserved():
    vectorizer = SequenceVectorizer().fit(CORPUS)
    assert sorted(vectorizer.vocabulary_.values()) == list(
        range(2, vectorizer.n_vocab_)
    )
    assert PAD_ID == 0
    assert UNK_ID == 1


def test_transform_gives_ids_in_document_order():
    vectorizer = SequenceVectorizer().fit(CORPUS)
    (sequence,) = vectorizer.transform(["The cat sat."])
    assert sequence.tolist() == _ids(vectorizer, ["the", "cat", "sat", "."])
    assert sequence.dtype == np.int32
    assert sequence.ndim == 1


def test_unknown_words_map_to_unk():
    vectorizer = SequenceVectorizer().fit(CORPUS)
    (sequence,) = vectorizer.transform(["the zebra cat xylophone"])
    assert sequence.tolist() == [
        vectorizer.vocabulary_["the"],
        UNK_ID,
        vectorizer.vocabulary_["cat"],
        UNK_ID,
    ]


def test_pruned_words_map_to_unk_but_stop_words_vanish():
    vectorizer = SequenceVectorizer(min_df=2, stop_words=["on"]).fit(CORPUS)
    (sequence,) = vectorizer.transform(["the mat on the cat"])
    the, cat = vectorizer.vocabulary_["the"], vectorizer.vocabulary_["cat"]
    assert sequence.tolist() == [the, UNK_ID, the, cat]


@pytest.mark.parametrize(
    ("truncating", "kept"),
    [("post", ["the", "cat", "sat"]), ("pre", ["the", "mat", "."])],
)
def test_max_length_truncates_either_end(truncating, kept):
    vectorizer = SequenceVectorizer(max_length=3, truncating=truncating).fit(CORPUS)
    short, long = vectorizer.transform(["a cat", "The cat sat on the mat."])
    assert short.tolist() == _ids(vectorizer, ["a", "cat"])
    assert long.tolist() == _ids(vectorizer, kept)


@pytest.mark.parametrize("truncating", ["post", "pre"])
@pytest.mark.parametrize("max_length", [np.uint8(3), np.int8(3), np.uint64(3)])
def test_max_length_of_a_numpy_integer_type_truncates_as_an_int(max_length, truncating):
    # Regression: "pre" kept tokens[-n:], and -np.uint8(3) is 253, so every
    # document came out empty, silently.
    documents = ["a cat", "The cat sat on the mat."]
    expected = SequenceVectorizer(max_length=3, truncating=truncating).fit(CORPUS)
    vectorizer = SequenceVectorizer(max_length=max_length, truncating=truncating)
    for got, want in zip(
        vectorizer.fit(CORPUS).transform(documents),
        expected.transform(documents),
        strict=True,
    ):
        assert_array_equal(got, want)
    for got, want in zip(
        vectorizer.fit_transform(CORPUS), expected.transform(CORPUS), strict=True
    ):
        assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.int64, np.uint16, "int16"])
def test_dtype(dtype):
    sequences = SequenceVectorizer(dtype=dtype).fit_transform(CORPUS)
    assert all(sequence.dtype == np.dtype(dtype) for sequence in sequences)


@pytest.mark.parametrize(
    ("dtype", "match"),
    [(np.float32, "integer type"), (np.int8, "cannot hold"), (None, "integer type")],
)
def test_bad_dtype(dtype, match):
    corpus = [" ".join(f"w{i}" for i in range(200))]
    with pytest.raises(ValueError, match=match):
        SequenceVectorizer(dtype=dtype).fit(corpus)


#: Characters of every kind the default token pattern tells apart: letters
#: (cased, accented, combining marks, CJK, a final sigma), digits of other
#: scripts, the underscore, punctuation and symbols, and white space of
#: several kinds (a no-break space, an ideographic space, a line separator).
TEXT_ALPHABET = (
    "abcXYZ_019éÉ\u0301\u4e2d\u0663\u00b2Σ\u03c3İﬁK"
    ".,!?'\"-()/:;$%&*#@€😀"
    " \t\n\r\u00a0\u2003\u3000\u2028\x1c\x00"
)


def _reference_ids(vectorizer, documents):
    """Each document's ids by the analyzer and a dictionary, token by token."""
    analyze = vectorizer.build_analyzer()
    n = vectorizer.max_length
    keep = slice(None, n) if vectorizer.truncating == "post" else slice(-n, None)
    return [
        _ids(vectorizer, analyze(doc)[keep if n else slice(None)]) for doc in documents
    ]


@settings(max_examples=60, deadline=None)
@given(
    documents=st.lists(st.text(TEXT_ALPHABET, max_size=30), min_size=2, max_size=30),
    params=st.sampled_from(
        [
            {},
            {"lowercase": False},
            {"strip_accents": "unicode"},
            {"max_length": 3},
            {"max_length": 3, "truncating": "pre"},
            {"preprocessor": str.swapcase},
            {"dtype": np.uint8},
        ]
    ),
)
def test_transform_gives_the_analyzers_tokens_ids_on_any_text(documents, params):
    # The default pattern's fast path (runs without white space looked up
    # whole) against the analyzer, token by token; half the documents are
    # unseen, so that unknown words and words with punctuation attached occur.
    vectorizer = SequenceVectorizer(**params).fit([*documents[::2], "x"])
    got = vectorizer.transform(documents)
    expected = _reference_ids(vectorizer, documents)
    assert [sequence.tolist() for sequence in got] == expected
    assert all(sequence.dtype == np.dtype(vectorizer.dtype) for sequence in got)


def test_str_split_cuts_at_the_default_patterns_white_space_exactly():
    # transform's premise, over every code point of this Python's tables:
    # str.split's white space is what the pattern's \s matches (tokens never
    # span it, and it gives no token), and no word character is white space.
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    spaces = "".join(re.findall(r"\s", every))
    assert spaces == "".join(filter(str.isspace, every))
    assert "".join(spaces.split()) == ""
    assert re.search(r"\w", spaces) is None


def test_transform_of_text_with_punctuation_attached_and_unknown_words():
    vectorizer = SequenceVectorizer().fit(["it is a film , a good one ."])
    documents = ["It's a film!!", "", "  ", "a\u00a0good,film...", "ZEBRA one"]
    got = vectorizer.transform(documents)
    assert [sequence.tolist() for sequence in got] == _reference_ids(
        vectorizer, documents
    )
    tokens = ["it", "'", "s", "a", "film", "!", "!"]
    assert got[0].tolist() == _ids(vectorizer, tokens)
    assert got[0].tolist().count(UNK_ID) == 4


def test_a_fixed_vocabulary_entry_that_is_no_token_is_never_matched():
    # "it's" is three tokens: the analyzer never gives it, so it maps nothing.
    vectorizer = SequenceVectorizer(vocabulary=["it's", "it", "s", "good"])
    vectorizer.fit(["unused"])
    (sequence,) = vectorizer.transform(["it's good"])
    assert sequence.tolist() == [3, UNK_ID, 4, 5]


def test_a_subclass_analyzer_is_used_by_transform():
    # Regression: transform looked runs of text up without the analyzer, so a
    # subclass's own build_analyzer (stemming, as scikit-learn's guide does
    # it for CountVectorizer) shaped the vocabulary but not the ids.
    class Stemmed(SequenceVectorizer):
        def build_analyzer(self):
            analyze = super().build_analyzer()
            return lambda doc: [word[:4] for word in analyze(doc)]

    vectorizer = Stemmed().fit(["running runner"])
    (sequence,) = vectorizer.transform(["running runner"])
    assert sequence.tolist() == [vectorizer.vocabulary_["runn"]] * 2


@pytest.mark.parametrize(
    "params",
    [{"tokenizer": str.split, "token_pattern": None}, {"token_pattern": r"\S+"}],
)
def test_a_vocabulary_learned_with_other_tokens_is_read_token_by_token(params):
    # Regression: once the tokenizer or pattern was set back to the default
    # after fit, transform looked "it's" up whole in the vocabulary, where
    # the analyzer gives the tokens "it", "'" and "s".
    documents = ["it's a b-c test"]
    vectorizer = SequenceVectorizer(**params).fit(documents)
    vectorizer.set_params(tokenizer=None, token_pattern=DEFAULT_TOKEN_PATTERN)
    got = vectorizer.transform(documents)
    assert [sequence.tolist() for sequence in got] == _reference_ids(
        vectorizer, documents
    )


def test_a_vocabulary_assigned_after_fit_is_read_token_by_token():
    vectorizer = SequenceVectorizer().fit(["x y"])
    vectorizer.vocabulary_ = {"it's": 2, "y": 3}
    (sequence,) = vectorizer.transform(["it's y"])
    assert sequence.tolist() == [UNK_ID, UNK_ID, UNK_ID, 3]


def test_a_fixed_vocabulary_of_tokens_gives_the_analyzers_ids():
    vectorizer = SequenceVectorizer(vocabulary=["it", "s", "good", ",", "é"])
    documents = ["It's good, GOOD", "good,good é!", ""]
    got = vectorizer.fit(["unused"]).transform(documents)
    assert [sequence.tolist() for sequence in got] == _reference_ids(
        vectorizer, documents
    )


@pytest.mark.parametrize("truncating", ["post", "pre"])
def test_truncated_documents_hold_no_buffer_of_the_dropped_ids(truncating):
    # Regression: the kept ids were views of the ids of every token of the
    # documents, which stayed in memory as long as the sequences.
    vectorizer = SequenceVectorizer(max_length=3, truncating=truncating)
    documents = [" ".join(CORPUS) * 50] * 4 + ["cat"]
    sequences = vectorizer.fit(CORPUS).transform(documents)
    assert sequences[0].base.nbytes == sum(sequence.nbytes for sequence in sequences)
    assert [sequence.tolist() for sequence in sequences] == _reference_ids(
        vectorizer, documents
    )


def test_a_preprocessor_giving_no_str_fails_as_the_analyzer_does():
    def preprocessor(doc):
        return None if doc == "bad" else doc

    vectorizer = SequenceVectorizer(preprocessor=preprocessor).fit(["a b"])
    with pytest.raises(TypeError, match="expected string"):
        vectorizer.transform(["a b", "bad"])


def test_fit_transform_equals_fit_then_transform():
    params = dict(max_length=4, truncating="pre", min_df=2)
    expected = SequenceVectorizer(**params).fit(CORPUS).transform(CORPUS)
    got = SequenceVectorizer(**params).fit_transform(CORPUS)
    assert len(got) == len(expected) == len(CORPUS)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


def test_refit_forgets_old_vocabulary():
    vectorizer = SequenceVectorizer().fit(["alpha beta"])
    vectorizer.fit(["gamma"])
    assert vectorizer.vocabulary_ == {"gamma": 2}
    assert vectorizer.n_vocab_ == 3
    assert vectorizer.transform(["alpha gamma"])[0].tolist() == [UNK_ID, 2]


def test_fit_ignores_y():
    a = SequenceVectorizer().fit(CORPUS, [0, 1] * 3)
    assert a.vocabulary_ == SequenceVectorizer().fit(CORPUS).vocabulary_


# Fixed vocabulary


@pytest.mark.parametrize(
    "vocabulary",
    [["cat", "dog"], ("cat", "dog"), {"dog", "cat"}, {"cat": 2, "dog": 3}],
    ids=lambda v: type(v).__name__,
)
def test_fixed_vocabulary(vocabulary):
    vectorizer = SequenceVectorizer(vocabulary=vocabulary, min_df=3)
    sequences = vectorizer.fit_transform(["the dog and the cat"])
    assert vectorizer.vocabulary_ == {"cat": 2, "dog": 3}
    assert vectorizer.fixed_vocabulary_ is True
    assert vectorizer.n_vocab_ == 4
    assert sequences[0].tolist() == [UNK_ID, 3, UNK_ID, UNK_ID, 2]


def test_fixed_vocabulary_from_a_fitted_vectorizer_round_trips():
    fitted = SequenceVectorizer().fit(CORPUS)
    assert fitted.fixed_vocabulary_ is False
    fixed = SequenceVectorizer(vocabulary=fitted.vocabulary_).fit(["unrelated text"])
    assert fixed.vocabulary_ == fitted.vocabulary_
    for a, b in zip(fixed.transform(CORPUS), fitted.transform(CORPUS), strict=True):
        np.testing.assert_array_equal(a, b)


def test_fixed_vocabulary_is_not_mutated_or_aliased():
    vocabulary = {"cat": 2}
    vectorizer = SequenceVectorizer(vocabulary=vocabulary).fit(["cat"])
    vectorizer.vocabulary_["dog"] = 3
    assert vocabulary == {"cat": 2}


@pytest.mark.parametrize(
    ("vocabulary", "error", "match"),
    [
        (["cat", "dog", "cat"], ValueError, "Duplicate term in vocabulary: 'cat'"),
        ({"cat": 0, "dog": 2}, ValueError, "exactly 2, 3, ..., 3"),
        ({"cat": 1, "dog": 2}, ValueError, "or 0, 1, ..., 1 as scikit-learn's"),
        ({"cat": 2, "dog": 4}, ValueError, "0 and 1 are reserved"),
        ({"cat": 2, "dog": 2}, ValueError, "exactly 2, 3"),
        ({"cat": "2"}, ValueError, "exactly 2"),
        ({"cat": 2.0}, ValueError, "exactly 2"),
        ("cat", ValueError, "single string"),
        ([1, 2], TypeError, "vocabulary words must be str, got int"),
        ([], ValueError, "empty vocabulary passed to fit"),
        ({}, ValueError, "empty vocabulary passed to fit"),
    ],
)
def test_bad_fixed_vocabulary(vocabulary, error, match):
    with pytest.raises(error, match=re.escape(match)):
        SequenceVectorizer(vocabulary=vocabulary).fit(["cat"])


def test_a_vocabulary_numbered_from_0_as_scikit_learn_does_moves_up_by_2():
    # A prober's design question: CountVectorizer's vocabulary_ was refused.
    counts = CountVectorizer().fit(["the cat sat", "a dog ran"])
    vectorizer = SequenceVectorizer(vocabulary=counts.vocabulary_).fit(["cat"])
    assert vectorizer.vocabulary_ == {
        word: index + 2 for word, index in counts.vocabulary_.items()
    }
    assert vectorizer.transform(["dog sat here"])[0].tolist() == [
        counts.vocabulary_["dog"] + 2,
        counts.vocabulary_["sat"] + 2,
        UNK_ID,
    ]


def test_a_generator_vocabulary_read_twice_is_an_error_not_an_empty_vocabulary():
    # Regression: the second fit silently mapped every word to UNK_ID.
    vectorizer = SequenceVectorizer(vocabulary=(word for word in ["cat", "dog"]))
    assert vectorizer.fit(["cat"]).vocabulary_ == {"cat": 2, "dog": 3}
    with pytest.raises(ValueError, match="generator is read once"):
        vectorizer.fit(["cat"])


def test_upper_case_fixed_vocabulary_warns_when_lowercasing():
    with pytest.warns(UserWarning, match="Upper case characters"):
        SequenceVectorizer(vocabulary=["Cat"]).fit(["cat"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SequenceVectorizer(vocabulary=["Cat"], lowercase=False).fit(["cat"])


# Empty documents and empty vocabularies


def test_empty_documents_give_empty_arrays():
    vectorizer = SequenceVectorizer().fit(CORPUS)
    sequences = vectorizer.transform(["", "cat", "   "])
    assert [s.tolist() for s in sequences] == [[], _ids(vectorizer, ["cat"]), []]
    assert all(s.dtype == np.int32 for s in sequences)


@pytest.mark.parametrize(
    ("params", "corpus"),
    [
        ({}, ["", "  \n\t "]),
        ({"stop_words": "english"}, ["the", "and it is"]),
        ({"min_df": 2}, ["one", "two"]),
        ({"max_df": 1}, ["same", "same"]),
    ],
)
def test_empty_vocabulary_maps_everything_to_unk(params, corpus):
    vectorizer = SequenceVectorizer(**params)
    assert [s.tolist() for s in vectorizer.fit_transform(corpus)] == [
        [UNK_ID] * len(vectorizer.build_analyzer()(doc)) for doc in corpus
    ]
    assert vectorizer.vocabulary_ == {}
    assert vectorizer.n_vocab_ == 2
    assert vectorizer.transform(["cat dog"])[0].tolist() == [UNK_ID, UNK_ID]
    assert vectorizer.get_feature_names_out().tolist() == ["<pad>", "<unk>"]


def test_max_df_below_min_df_raises_as_sklearn():
    with pytest.raises(ValueError, match="max_df corresponds to < documents than"):
        SequenceVectorizer(min_df=3, max_df=2).fit(CORPUS)


def test_max_df_below_min_df_says_what_each_keeps():
    # Regression (a prober's): scikit-learn's message alone did not say
    # which documents either bound meant, e.g. for max_df=0.0.
    with pytest.raises(ValueError, match=r"max_df=0\.0 keeps .* at most 0 of the 2"):
        SequenceVectorizer(max_df=0.0).fit(["a b", "c d"])


@pytest.mark.parametrize("method", ["fit", "fit_transform"])
def test_fit_on_no_documents_raises(method):
    with pytest.raises(ValueError, match="X is empty: at least one document"):
        getattr(SequenceVectorizer(), method)([])


def test_transform_of_no_documents():
    assert SequenceVectorizer().fit(CORPUS).transform([]) == []


# Names and inverse transform


def test_get_feature_names_out_indexes_tokens_by_id():
    vectorizer = SequenceVectorizer().fit(CORPUS)
    names = vectorizer.get_feature_names_out()
    assert names.dtype == object
    assert names.shape == (vectorizer.n_vocab_,)
    assert names[PAD_ID] == "<pad>"
    assert names[UNK_ID] == "<unk>"
    for word, index in vectorizer.vocabulary_.items():
        assert names[index] == word


def test_inverse_transform_round_trip():
    vectorizer = SequenceVectorizer(min_df=2).fit(CORPUS)
    analyze = vectorizer.build_analyzer()
    expected = [
        [t if t in vectorizer.vocabulary_ else "<unk>" for t in analyze(doc)]
        for doc in CORPUS
    ]
    assert "<unk>" in expected[0]
    assert vectorizer.inverse_transform(vectorizer.transform(CORPUS)) == expected


def test_inverse_transform_skips_padding_in_a_2d_batch():
    vectorizer = SequenceVectorizer().fit(["a b"])
    padded = np.array([[2, 3, 0, 0], [1, 2, PAD_ID, 0], [0, 0, 0, 0]])
    assert vectorizer.inverse_transform(padded) == [["a", "b"], ["<unk>", "a"], []]
    assert vectorizer.inverse_transform([[], np.array([3])]) == [[], ["b"]]


@pytest.mark.parametrize(
    ("sequences", "error", "match"),
    [
        ([[2, 4]], ValueError, r"sequences\[0\] holds ids outside \[0, 3\]"),
        ([[2], [-1]], ValueError, r"sequences\[1\] holds ids outside"),
        ([[2.0]], TypeError, "integer ids"),
        ([[[2]]], ValueError, "must be 1-D"),
    ],
)
def test_inverse_transform_bad_ids(sequences, error, match):
    vectorizer = SequenceVectorizer().fit(["a b"])
    with pytest.raises(error, match=match):
        vectorizer.inverse_transform(sequences)


# scikit-learn API


@pytest.mark.parametrize(
    "method", ["transform", "inverse_transform", "get_feature_names_out"]
)
def test_not_fitted(method):
    args = {"transform": (CORPUS,), "inverse_transform": ([[2]],)}.get(method, ())
    with pytest.raises(NotFittedError):
        getattr(SequenceVectorizer(vocabulary=["cat"]), method)(*args)


def test_clone_get_params_set_params():
    vectorizer = SequenceVectorizer(max_length=5, stop_words="english").fit(CORPUS)
    cloned = clone(vectorizer)
    assert cloned.get_params() == vectorizer.get_params()
    assert not hasattr(cloned, "vocabulary_")
    cloned.set_params(max_length=2, truncating="pre")
    assert cloned.get_params()["max_length"] == 2
    assert vectorizer.get_params()["max_length"] == 5
    assert [len(s) for s in cloned.fit_transform(["a b c"])] == [2]


def test_init_stores_parameters_untouched():
    vocabulary = {"cat": 2}
    stop_words = ["the"]
    vectorizer = SequenceVectorizer(vocabulary=vocabulary, stop_words=stop_words)
    assert vectorizer.vocabulary is vocabulary
    assert vectorizer.stop_words is stop_words
    vectorizer.fit(CORPUS)
    assert vectorizer.vocabulary is vocabulary
    assert vectorizer.stop_words is stop_words


def test_pickle_round_trip():
    vectorizer = SequenceVectorizer(min_df=2, max_length=4).fit(CORPUS)
    restored = pickle.loads(pickle.dumps(vectorizer))
    assert restored.vocabulary_ == vectorizer.vocabulary_
    assert restored.n_vocab_ == vectorizer.n_vocab_
    for a, b in zip(
        restored.transform(CORPUS), vectorizer.transform(CORPUS), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_tags():
    tags = get_tags(SequenceVectorizer())
    assert tags.input_tags.string is True
    assert tags.input_tags.two_d_array is False
    assert tags.requires_fit is True


def test_output_is_never_wrapped_in_a_dataframe():
    pytest.importorskip("pandas")
    vectorizer = SequenceVectorizer().fit(CORPUS)
    assert not hasattr(vectorizer, "set_output")
    with config_context(transform_output="pandas"):
        sequences = vectorizer.transform(CORPUS)
    assert isinstance(sequences, list)


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_get_params_invariance,
        estimator_checks.check_set_params,
        estimator_checks.check_no_attributes_set_in_init,
        estimator_checks.check_parameters_default_constructible,
        estimator_checks.check_estimator_cloneable,
        estimator_checks.check_estimator_repr,
        estimator_checks.check_valid_tag_types,
        estimator_checks.check_estimator_tags_renamed,
        estimator_checks.check_mixin_order,
        estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
        estimator_checks.check_get_feature_names_out_error,
        # Parameters are validated before X, so the numeric X it uses is fine.
        estimator_checks.check_param_validation,
    ],
    ids=lambda check: check.__name__,
)
def test_sklearn_data_free_checks(check):
    check("SequenceVectorizer", SequenceVectorizer())


def test_fit_returns_self_and_is_idempotent():
    vectorizer = SequenceVectorizer()
    assert vectorizer.fit(CORPUS) is vectorizer
    first = vectorizer.transform(CORPUS)
    second = vectorizer.fit(CORPUS).transform(CORPUS)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


# Input checking


def _as_generator(docs):
    return (doc for doc in docs)


@pytest.mark.parametrize(
    "make_input",
    [
        tuple,
        _as_generator,
        np.array,
        lambda docs: np.array(docs, dtype=object),
        lambda docs: pytest.importorskip("pandas").Series(docs),
        lambda docs: pytest.importorskip("pandas").Series(
            docs, index=range(10, 10 + len(docs)), dtype="string"
        ),
    ],
    ids=["tuple", "generator", "str array", "object array", "Series", "StringDtype"],
)
def test_input_containers_give_same_output(make_input):
    vectorizer = SequenceVectorizer().fit(CORPUS)
    expected = vectorizer.transform(CORPUS)
    got = vectorizer.transform(make_input(CORPUS))
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    assert SequenceVectorizer().fit(make_input(CORPUS)).vocabulary_ == (
        vectorizer.vocabulary_
    )


def test_check_text_returns_plain_str_list():
    documents = check_text(np.array(["a", "b"]))
    assert documents == ["a", "b"]
    assert all(type(doc) is str for doc in documents)


def _sparse():
    import scipy.sparse

    return scipy.sparse.csr_matrix(np.ones((2, 2)))


def _series_with_nan():
    pd = pytest.importorskip("pandas")
    return pd.Series(["fine", "also fine", np.nan])


BAD_INPUTS = [
    ("one document", ValueError, "got a single string; wrap it in a list: [text]"),
    (b"one document", TypeError, "got a single bytes object; decode it"),
    ([b"one", b"two"], TypeError, "X[0] is bytes; decode documents to str first"),
    (np.array([b"one"]), TypeError, "X[0] is bytes; decode"),
    (["fine", None], TypeError, "X[1] is NoneType"),
    (["fine", "fine", float("nan")], TypeError, "X[2] is float (nan), expected str"),
    ([1, 2], TypeError, "X[0] is int (1), expected str"),
    ([["pre", "tokenized"]], TypeError, "X[0] is list"),
    (np.array([[1.0, 2.0]]), ValueError, "1-D collection of str documents"),
    (np.array([["a", "b"], ["c", "d"]]), ValueError, "select the column of text"),
    (np.ones((3, 2)), ValueError, "of numbers (float64); pass the raw text"),
    (np.array([["a"], ["b"]])[None], ValueError, "got a 3-D ndarray"),
    (np.array("one document"), ValueError, "got a 0-D ndarray"),
    (None, TypeError, "must be an iterable of str documents, got NoneType"),
    (42, TypeError, "must be an iterable of str documents, got int"),
]


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        *BAD_INPUTS,
        (_sparse, TypeError, "got a sparse matrix (csr_matrix); pass the raw text"),
        (_series_with_nan, TypeError, "X[2] is float (nan)"),
    ],
)
@pytest.mark.parametrize("method", ["check_text", "fit", "fit_transform", "transform"])
def test_bad_inputs(X, error, match, method):
    if callable(X):
        X = X()
    if method == "check_text":
        call = check_text
    elif method == "transform":
        call = SequenceVectorizer().fit(CORPUS).transform
    else:
        call = getattr(SequenceVectorizer(), method)
    with pytest.raises(error, match=re.escape(match)):
        call(X)


def test_check_text_name_and_allow_empty():
    with pytest.raises(TypeError, match=re.escape("docs[0] is NoneType")):
        check_text([None], name="docs")
    with pytest.raises(ValueError, match="docs is empty"):
        check_text((), name="docs", allow_empty=False)
    assert check_text(()) == []


# Single columns of 2-D input (a DataFrame's text column, a ColumnTransformer's
# output) are the documents


def _one_column_inputs():
    pd = pytest.importorskip("pandas")
    return {
        "DataFrame": pd.DataFrame({"text": CORPUS}),
        "string DataFrame": pd.DataFrame({"text": CORPUS}, dtype="string"),
        "str array": np.array(CORPUS)[:, None],
        "object array": np.array(CORPUS, dtype=object).reshape(-1, 1),
    }


@pytest.mark.parametrize(
    "kind", ["DataFrame", "string DataFrame", "str array", "object array"]
)
def test_a_single_column_is_read_as_the_documents(kind):
    X = _one_column_inputs()[kind]
    assert check_text(X) == CORPUS
    assert all(type(doc) is str for doc in check_text(X))
    expected = SequenceVectorizer().fit(CORPUS)
    vectorizer = SequenceVectorizer().fit(X)
    assert vectorizer.vocabulary_ == expected.vocabulary_
    for got, want in zip(
        vectorizer.transform(X), expected.transform(CORPUS), strict=True
    ):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(
        SequenceVectorizer().fit_transform(X), expected.transform(CORPUS), strict=True
    ):
        np.testing.assert_array_equal(got, want)


def test_column_transformer_output_is_read_as_the_documents():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline

    df = pd.DataFrame({"n": range(len(CORPUS)), "text": CORPUS, "x": 0.5})
    pipe = make_pipeline(
        make_column_transformer(("passthrough", ["text"])), SequenceVectorizer()
    )
    expected = SequenceVectorizer().fit_transform(CORPUS)
    for got, want in zip(pipe.fit_transform(df), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_missing_value_in_a_single_column_is_reported_by_row():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"text": ["fine", None, "fine"]})
    with pytest.raises(TypeError, match=re.escape("X[1] is")) as info:
        check_text(X)
    assert "replace missing values" in str(info.value)


@pytest.mark.parametrize("frame", [False, True])
def test_a_missing_value_after_a_split_is_reported_by_position_and_label(frame):
    # Regression: "X[4] is float (nan)" for a Series shuffled by
    # train_test_split, where X[4] looks up the label 4: another document.
    pd = pytest.importorskip("pandas")
    X = pd.Series(["fine", "good", None, "bad"], index=[7, 2, 9, 0], name="text")
    with pytest.raises(TypeError) as info:
        check_text(X.to_frame() if frame else X)
    assert str(info.value).startswith("X.iloc[2] (index label 9) is ")
    assert "replace missing values" in str(info.value)
    # labels that are the positions: X[i] finds the document
    with pytest.raises(TypeError, match=re.escape("X[2] is ")):
        check_text(X.set_axis([0, 5, 2, 1]))
    with pytest.raises(TypeError, match=re.escape("X.iloc[2] (index label 'c') is")):
        check_text(X.set_axis(list("abcd")))


def test_a_wider_dataframe_is_an_error_naming_the_text_column():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"stars": [4, 1], "text": ["good", "bad"], "price": [1.0, 2.0]})
    with pytest.raises(ValueError, match="DataFrame with 3 columns") as info:
        SequenceVectorizer().fit(df)
    message = str(info.value)
    assert "'stars', 'text', 'price'" in message
    assert "X['text']" in message
    assert "X[:, 0]" not in message  # which does not work on a DataFrame


def test_the_text_column_named_is_not_one_whose_first_entry_is_missing():
    # Regression: only the first row was looked at, so a text column whose
    # first entry is missing lost to the first column, here of numbers.
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"stars": [4, 1], "text": [None, "bad"]})
    with pytest.raises(ValueError, match=re.escape("e.g. X['text']")):
        check_text(df)
    X = np.array([[4, None], [1, "bad"]], dtype=object)
    with pytest.raises(ValueError, match=re.escape("e.g. X[:, 1]")):
        check_text(X)


@pytest.mark.parametrize("output", ["default", "pandas"])
def test_a_table_without_columns_is_an_error_saying_so(output):
    # Regression: a DataFrame with no column failed with "IndexError: list
    # index out of range", an array said "of numbers (float64)" or to select
    # column 0, which it has not; a ColumnTransformer whose selector matched
    # nothing gives either.
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.pipeline import make_pipeline

    df = pd.DataFrame({"stars": range(len(CORPUS)), "text": CORPUS})
    selects_nothing = make_column_transformer(
        ("passthrough", make_column_selector(pattern="txt"))
    ).set_output(transform=output)
    pipe = make_pipeline(selects_nothing, SequenceVectorizer())
    with pytest.raises(ValueError, match=r"X has no column .*selected none"):
        pipe.fit(df)


def test_a_wider_array_is_an_error_naming_the_text_column():
    X = np.array([[4, "good"], [1, "bad"]], dtype=object)
    with pytest.raises(ValueError, match=re.escape("e.g. X[:, 1]")):
        check_text(X)
    with pytest.raises(ValueError, match=re.escape("e.g. docs[:, 1]")):
        check_text(X, name="docs")


# Unordered containers: their order would not match the labels'


@pytest.mark.parametrize(
    "make",
    [
        set,
        frozenset,
        dict.fromkeys,
        lambda docs: dict.fromkeys(docs).keys(),
        lambda docs: dict(enumerate(docs)).values(),
        lambda docs: dict(enumerate(docs)).items(),
        lambda docs: MappingProxyType(dict(enumerate(docs))),
        lambda docs: Counter(docs),
    ],
    ids=[
        "set",
        "frozenset",
        "dict",
        "keys",
        "values",
        "items",
        "mappingproxy",
        "Counter",
    ],
)
@pytest.mark.parametrize("method", ["check_text", "fit", "fit_transform", "transform"])
def test_unordered_containers_are_refused(make, method):
    X = make(CORPUS)
    if method == "check_text":
        call = check_text
    elif method == "transform":
        call = SequenceVectorizer().fit(CORPUS).transform
    else:
        call = getattr(SequenceVectorizer(), method)
    with pytest.raises(TypeError, match="an unordered container") as info:
        call(X)
    assert "in a fixed order" in str(info.value)


def test_a_mapping_is_refused_saying_iteration_gives_keys():
    with pytest.raises(TypeError, match="iterating a mapping gives its keys"):
        check_text({"doc one": 1, "doc two": 0})


# What a document that is not a str looks like, and what to do


def test_token_ids_say_that_the_classifier_tokenizes_itself():
    ids = SequenceVectorizer().fit_transform(CORPUS)
    for X in (ids, [list(map(int, ids[0]))]):
        with pytest.raises(TypeError, match=re.escape("X[0] is")) as info:
            check_text(X)
        message = str(info.value)
        assert "token ids" in message
        assert "RNNTextClassifier(min_df=2)" in message
        assert "missing values" not in message


def test_lists_of_tokens_say_to_join_them():
    with pytest.raises(TypeError, match="join them") as info:
        check_text([["the", "cat"]])
    assert "missing values" not in str(info.value)


@pytest.mark.parametrize("doc", [None, float("nan"), np.float32("nan")])
def test_missing_values_say_to_replace_them(doc):
    with pytest.raises(TypeError, match=re.escape("replace missing values")):
        check_text(["fine", doc])


def test_numbers_do_not_mention_missing_values():
    with pytest.raises(TypeError) as info:
        check_text(["fine", 3.5])
    assert "missing values" not in str(info.value)


# Token patterns that match the empty string


@pytest.mark.parametrize("pattern", ["", r"x*", r"\w*", r"\b\w*\b", r"(a)|b", r"(?:)"])
@pytest.mark.parametrize("method", ["fit", "fit_transform"])
def test_token_patterns_matching_the_empty_string_are_refused(pattern, method):
    vectorizer = SequenceVectorizer(token_pattern=pattern)
    with pytest.raises(ValueError, match="matches the empty string"):
        getattr(vectorizer, method)(CORPUS)


@pytest.mark.parametrize("pattern", [r"\w+", r"\S+", r"(?u)\b\w\w+\b", r"(\w+)\."])
def test_token_patterns_of_real_tokens_are_accepted(pattern):
    vectorizer = SequenceVectorizer(token_pattern=pattern).fit(CORPUS)
    expected = CountVectorizer(token_pattern=pattern).fit(CORPUS).vocabulary_
    assert set(vectorizer.vocabulary_) == set(expected)


def test_a_token_pattern_that_is_not_a_regex_is_a_clear_error():
    with pytest.raises(ValueError, match="not a valid regular expression"):
        SequenceVectorizer(token_pattern="(").fit(CORPUS)


def test_an_unused_token_pattern_is_not_checked():
    # With a tokenizer or characters, the pattern is not used (a warning says so).
    with pytest.warns(UserWarning, match="token_pattern"):
        SequenceVectorizer(token_pattern="", tokenizer=str.split).fit(CORPUS)
    with pytest.warns(UserWarning, match="token_pattern"):
        SequenceVectorizer(token_pattern="", analyzer="char").fit(CORPUS)


# ------------------------------------------------ text written without spaces


def _unspaced(n_documents, seed=0):
    """Sentences of Chinese characters without spaces, 25 characters each."""
    rng = np.random.default_rng(seed)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 300)]
    return ["".join(rng.choice(chars, 25)) for _ in range(n_documents)]


def test_documents_that_are_one_long_word_each_are_a_warning():
    # Regression: Chinese sentences each made one token of their own, and a
    # model of them predicted at chance level without a word.
    docs = _unspaced(30)
    with pytest.warns(UserWarning, match="30 of 30 training documents hold a word"):
        SequenceVectorizer().fit(docs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # characters, words with spaces, or a few such documents among others
        assert SequenceVectorizer(analyzer="char").fit(docs).n_vocab_ > 100
        SequenceVectorizer().fit([" ".join(doc) for doc in docs])
        SequenceVectorizer().fit([*docs[:10], *(["a few words"] * 20)])
        # long codes that recur: words a model can learn
        SequenceVectorizer().fit([doc for doc in docs[:10] for _ in range(3)])


def test_sentences_without_spaces_but_with_punctuation_are_a_warning():
    # Regression: Chinese sentences end with a full stop and hold commas, so
    # each made several tokens (its clauses, of 8 to 12 characters, and the
    # marks), and the warning for documents of one long word missed them: a
    # default fit on such sentences predicted at chance level, silently.
    rng = np.random.default_rng(0)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 300)]

    def clause():
        return "".join(rng.choice(chars, rng.integers(8, 13)))

    # clauses, a fullwidth comma between them and a full stop at the end
    docs = [f"{clause()}\uff0c{clause()}\u3002" for _ in range(30)]
    with pytest.warns(UserWarning, match="30 of 30 training documents hold a word"):
        SequenceVectorizer().fit(docs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # words of one to four characters between spaces, as segmented text has
        segmented = [
            " ".join(doc[i : i + 2] for i in range(0, len(doc), 2)) for doc in docs
        ]
        SequenceVectorizer().fit(segmented)
        # a long katakana word that recurs in every document is a word
        SequenceVectorizer().fit([f"{doc[:3]} アプリケーション" for doc in docs])
