"""Tests for skrnn._embeddings: reading word vectors, starting a network from them.

First :func:`skrnn.load_word_vectors` on small word2vec and GloVe files
written by the tests, then ``RNNTextClassifier(embeddings=...)``: which rows
of the embedding table the vectors fill, the coverage, the lowercase
fallback, freezing, and the errors.  (The gradient of the embedding lookup is
checked in test_nn_embedding.py.)
"""

import gzip
import tracemalloc
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skrnn import RNNTextClassifier, load_word_vectors
from skrnn._embeddings import MAX_LINE_BYTES
from skrnn._text import PAD_ID, UNK_ID

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

VECTORS = {
    "good": np.array([0.25, -1.5, 3.0], dtype=np.float32),
    "bad": np.array([-0.125, 2.0, -0.5], dtype=np.float32),
    "film": np.array([1e-3, 0.0, -7.75], dtype=np.float32),
}

X = ["good film", "bad film", "a good story", "a bad story", "good", "bad"]
Y = [1, 0, 1, 0, 1, 0]

#: Tiny network; embedding_dim=None takes the width of the vectors.
FAST = {
    "hidden_size": 4,
    "embedding_dim": None,
    "max_iter": 3,
    "random_state": 0,
    "ngram_range": None,
}


def _line(word, vector):
    return " ".join([word, *(repr(float(v)) for v in vector)]) + "\n"


def _write(path, text, opener=open, encoding="utf-8"):
    with opener(path, "wt", encoding=encoding) as f:
        f.write(text)
    return path


def _assert_vectors_equal(actual, expected):
    assert actual.keys() == expected.keys()
    for word, vector in expected.items():
        assert actual[word].dtype == np.float32, word
        assert_array_equal(actual[word], vector, err_msg=word)


def _clf(**params):
    return RNNTextClassifier(**{**FAST, **params})


def _row(clf, word):
    return clf.weights_["embed.E"][clf.vectorizer_.vocabulary_[word]]


# ------------------------------------------------------------- the loader


@pytest.mark.parametrize("header", [True, False], ids=["word2vec", "glove"])
def test_word2vec_and_glove_text_files(tmp_path, header):
    text = "".join(_line(word, vector) for word, vector in VECTORS.items())
    if header:
        text = f"{len(VECTORS)} 3\n" + text
    vectors = load_word_vectors(_write(tmp_path / "vectors.txt", text))
    _assert_vectors_equal(vectors, VECTORS)


def test_gzip_file_and_str_path(tmp_path):
    text = "3 3\n" + "".join(_line(w, v) for w, v in VECTORS.items())
    path = _write(tmp_path / "vectors.txt.gz", text, opener=gzip.open)
    _assert_vectors_equal(load_word_vectors(str(path)), VECTORS)


def test_vocabulary_keeps_only_the_given_words(tmp_path):
    text = "".join(_line(w, v) for w, v in VECTORS.items())
    path = _write(tmp_path / "vectors.txt", text)
    vectors = load_word_vectors(path, vocabulary={"good", "film", "absent"})
    _assert_vectors_equal(vectors, {"good": VECTORS["good"], "film": VECTORS["film"]})
    assert load_word_vectors(path, vocabulary=[]) == {}


@pytest.mark.parametrize(
    "words",
    [
        lambda: iter(["film", "good"]),
        lambda: (word for word in ["film", "good"]),
        lambda: np.array(["film", "good"]),
        lambda: {"film": 2, "good": 3}.keys(),
    ],
    ids=["iterator", "generator", "array", "keys"],
)
def test_vocabulary_may_be_any_iterable_of_words(tmp_path, words):
    # Regression (a prober's finding): an iterator was consumed by the look-up
    # of the first lines (film's vector was dropped, silently), and a list
    # was searched through for every line of the file.
    path = _write(tmp_path / "v.txt", "good 1 2\nbad 3 4\nfilm 5 6\n")
    assert sorted(load_word_vectors(path, vocabulary=words())) == ["film", "good"]


def test_vocabulary_of_a_single_string_is_a_type_error(tmp_path):
    # Regression: its substrings were the words kept ("good film" kept "od").
    path = _write(tmp_path / "v.txt", "good 1 2\nod 3 4\n")
    with pytest.raises(TypeError, match="single string"):
        load_word_vectors(path, vocabulary="good film")


def test_words_with_spaces_take_all_but_the_last_dim_fields(tmp_path):
    # GloVe 840B holds such words; the header (or the first line) fixes dim.
    text = "3 2\nnew york 1 2\ngood 3 4\n. . . 5 6\n"
    vectors = load_word_vectors(_write(tmp_path / "w2v.txt", text))
    _assert_vectors_equal(
        vectors,
        {
            "new york": np.array([1, 2], np.float32),
            "good": np.array([3, 4], np.float32),
            ". . .": np.array([5, 6], np.float32),
        },
    )
    glove = load_word_vectors(
        _write(tmp_path / "glove.txt", "good 3 4\nnew york 1 2\n")
    )
    assert_array_equal(glove["new york"], [1, 2])


def test_blank_lines_trailing_spaces_and_crlf_are_tolerated(tmp_path):
    # gensim writes a space before the newline; Windows tools write CRLF.
    text = "2 3\r\ngood 0.25 -1.5 3.0 \r\n\r\nbad -0.125 2.0 -0.5\r\n\n"
    path = tmp_path / "vectors.txt"
    path.write_bytes(text.encode())
    vectors = load_word_vectors(path)
    _assert_vectors_equal(vectors, {w: VECTORS[w] for w in ("good", "bad")})


def test_tabs_and_runs_of_whitespace_separate_fields(tmp_path):
    text = "good\t0.25\t-1.5\t3.0\n  bad -0.125 \t 2.0  -0.5\t\n"
    vectors = load_word_vectors(_write(tmp_path / "vectors.tsv", text))
    _assert_vectors_equal(vectors, {w: VECTORS[w] for w in ("good", "bad")})


def test_other_whitespace_belongs_to_the_word(tmp_path):
    # fastText's words may hold no-break spaces; only ASCII whitespace splits.
    text = "good 1 2\nnew\u00a0york 3 4\n"
    vectors = load_word_vectors(_write(tmp_path / "vectors.txt", text))
    assert_array_equal(vectors["new\u00a0york"], [3, 4])


def test_encoding(tmp_path):
    path = _write(tmp_path / "latin1.txt", "café 1 2\n", encoding="latin-1")
    assert_array_equal(load_word_vectors(path, encoding="latin-1")["café"], [1, 2])


@pytest.mark.parametrize(
    "text, line",
    [
        ("good 1 2 3\nbad 1 2\n", 2),  # too few components
        ("2 3\ngood 1 2 3\nbad 1 x 3\n", 3),  # not a number
        ("good 1 2\nbad 1 2\n\nfilm 1 nan? 2\n", 4),  # a third number, or junk
        ("good\n", 1),  # no vector
        ("2 0\ngood\n", 1),  # a header without components
        ("2 3\ngood 1 2\n", 2),  # fewer components than the header says
        ("good 1 2 3\nbad 1 2 3 4\n", 2),  # more components than line 1
        ("2 2\ngood 1 2\nnew york 1 2 3\n", 3),  # more than the header says
    ],
)
def test_malformed_lines_raise_value_error_naming_the_line(tmp_path, text, line):
    path = _write(tmp_path / "broken.txt", text)
    with pytest.raises(ValueError, match=rf"broken\.txt, line {line}\b"):
        load_word_vectors(path)


@pytest.mark.parametrize("component", ["1e39", "-1e50", "1e400"])
def test_a_component_too_large_for_float32_is_refused_naming_the_line(
    tmp_path, component
):
    # Regression (a prober's finding): it became inf, with numpy's warning
    # "overflow encountered in cast", and the estimators then refused the
    # word's vector, even with dtype=float64.
    text = f"good 1 2 3\nbad 1 {component} 3\n"
    path = _write(tmp_path / "huge.txt", text)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(
            ValueError, match=rf"huge\.txt, line 2: the component '{component}' of "
        ):
            load_word_vectors(path)
    assert list(load_word_vectors(path, vocabulary={"good"})) == ["good"]


def test_components_written_inf_and_nan_are_kept(tmp_path):
    path = _write(tmp_path / "odd.txt", "good inf -Infinity nan\nbad 1 2 3.4e38\n")
    vectors = load_word_vectors(path)
    _assert_vectors_equal(
        vectors,
        {"good": [np.inf, -np.inf, np.nan], "bad": [1, 2, np.float32(3.4e38)]},
    )


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "good 1 2 3\nbad 1 2 3 4\n",
            "line 2: 4 components after the word, but line 1 has 3",
        ),
        (
            "\ngood 1 2 3\nbad 1 2\n",
            "line 3: 2 components after the word, but line 2 has 3",
        ),
        (
            "2 3\ngood 1 2 3 4\n",
            "line 2: 4 components after the word, but the header gives 3",
        ),
        # Regression: "1 components".
        (
            "good 1 2\nbad 3\n",
            "line 2: 1 component after the word, but line 1 has 2",
        ),
    ],
)
def test_component_count_errors_give_the_counts(tmp_path, text, message):
    path = _write(tmp_path / "broken.txt", text)
    with pytest.raises(ValueError, match=message):
        load_word_vectors(path)


def test_a_utf8_byte_order_mark_is_skipped(tmp_path):
    # Regression: the mark became part of the first word, or hid the header.
    for header in ("2 3\n", ""):
        text = "\ufeff" + header + _line("good", VECTORS["good"])
        path = _write(tmp_path / "bom.txt", text + _line("bad", VECTORS["bad"]))
        _assert_vectors_equal(
            load_word_vectors(path), {w: VECTORS[w] for w in ("good", "bad")}
        )


@pytest.mark.parametrize("name", ["vectors.txt", "vectors", "vectors.txt.gz"])
def test_gzip_is_recognised_by_its_bytes_not_its_name(tmp_path, name):
    # Regression: a gzip file not named .gz was read as text.
    text = "".join(_line(w, v) for w, v in VECTORS.items())
    _write(tmp_path / name, text, opener=gzip.open)
    _assert_vectors_equal(load_word_vectors(tmp_path / name), VECTORS)
    plain = _write(tmp_path / "plain.gz", text)  # named .gz, but plain text
    _assert_vectors_equal(load_word_vectors(plain), VECTORS)


def test_binary_word2vec_file_is_a_value_error_naming_the_line(tmp_path):
    # Regression: a bare UnicodeDecodeError, without file or line.
    path = tmp_path / "vectors.bin"
    data = b"2 3\n" + b"".join(
        word.encode() + b" " + VECTORS[word].tobytes() + b"\n" for word in VECTORS
    )
    path.write_bytes(data)
    with pytest.raises(ValueError, match=r"vectors\.bin, line 2: not utf-8 text"):
        load_word_vectors(path)


def test_undecodable_line_is_named(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("good 1 2\nbad 3 4\ncafé 5 6\n".encode("latin-1"))
    with pytest.raises(
        ValueError, match=r"latin1\.txt, line 3: not utf-8 text.*encoding="
    ):
        load_word_vectors(path)
    assert_array_equal(load_word_vectors(path, encoding="latin-1")["café"], [5, 6])


@pytest.mark.parametrize("text", ["good 1 x 3\nbad 1 2 3\n", "good x 2 3\nbad 1 2 3\n"])
def test_a_non_number_on_the_first_line_is_blamed_on_it(tmp_path, text):
    # Regression: the width was inferred from the numbers after the "x", and
    # line 2 was blamed for having too many.
    path = _write(tmp_path / "broken.txt", text)
    with pytest.raises(ValueError, match=r"broken\.txt, line 1: field \d, 'x', is not"):
        load_word_vectors(path)


def test_an_overlong_line_is_refused_in_bounded_memory(tmp_path):
    # Regression: a 95 KB .gz holding one long line peaked at 2.6 GB, even
    # with vocabulary=.
    path = tmp_path / "long.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"good")
        f.write(b" 0.5" * (4 * MAX_LINE_BYTES // 4))
        f.write(b"\n")
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"long\.gz, line 1: longer than"):
            load_word_vectors(path, vocabulary={"bad"})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * MAX_LINE_BYTES


def test_corrupt_gzip_data_is_a_value_error(tmp_path):
    text = "".join(_line(w, v) for w, v in VECTORS.items()) * 50
    whole = _write(tmp_path / "whole.gz", text, opener=gzip.open).read_bytes()
    path = tmp_path / "cut.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match=r"cut\.gz, line \d+: the gzip data are"):
        load_word_vectors(path)


@pytest.mark.parametrize(
    "encoding, message", [("utf-16", "does not encode ASCII"), ("nope", "Unknown")]
)
def test_unusable_encodings_are_refused(tmp_path, encoding, message):
    path = _write(tmp_path / "vectors.txt", "good 1 2\n")
    with pytest.raises(ValueError, match=message):
        load_word_vectors(path, encoding=encoding)


# ------------------------------------------------------------- the estimator


@pytest.mark.parametrize("source", ["dict", "str", "path"])
def test_covered_rows_start_at_the_vectors(tmp_path, source):
    path = _write(
        tmp_path / "vectors.txt", "".join(_line(w, v) for w, v in VECTORS.items())
    )
    embeddings = {"dict": VECTORS, "str": str(path), "path": path}[source]
    clf = _clf(embeddings=embeddings, freeze_embeddings=True, max_iter=1).fit(X, Y)
    table = clf.weights_["embed.E"]
    assert table.shape == (clf.vectorizer_.n_vocab_, 3)
    for word, vector in VECTORS.items():
        assert_array_equal(_row(clf, word), vector, err_msg=word)
    assert_array_equal(table[[PAD_ID, UNK_ID]], 0.0)
    # "a" and "story" have no vector: random, nonzero rows
    for word in ("a", "story"):
        assert np.all(_row(clf, word) != 0), word
    # 3 of the 5 words of the vocabulary
    assert clf.embeddings_coverage_ == pytest.approx(3 / 5)


def test_uncovered_rows_start_on_the_scale_of_the_vectors():
    # 200 uncovered words, vectors of standard deviation about 5: the random
    # rows are rescaled to it (they start at U(-0.5, 0.5), std 0.29).
    rng = np.random.default_rng(0)
    vectors = {"good": rng.normal(0, 5, 8), "bad": rng.normal(0, 5, 8)}
    words = [f"w{i}" for i in range(200)]
    docs = [*X, " ".join(words)]
    clf = _clf(embeddings=vectors, max_iter=1).fit(docs, [*Y, 1])
    uncovered = np.array([_row(clf, w) for w in words])
    pretrained_std = np.std([vectors["good"], vectors["bad"]])
    assert 0.7 * pretrained_std < uncovered.std() < 1.3 * pretrained_std


@pytest.mark.parametrize(
    "vectors",
    [
        {"good": np.zeros(3)},
        {"good": np.full(3, 0.5), "bad": np.full(3, 0.5)},
        # finite in float32, but their squares overflow
        {"good": np.array([1e20, -1e20, 1e20]), "bad": np.array([-1e20, 0, 1])},
    ],
    ids=["zeros", "equal-components", "overflowing-spread"],
)
def test_uncovered_rows_stay_random_when_the_vectors_give_no_scale(vectors):
    # Rescaled to a spread of 0, every uncovered row was 0, the padding's: a
    # frozen table told none of those words apart; an infinite spread made
    # the table NaN, and fit failed as "Training diverged".
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        clf = _clf(embeddings=vectors, freeze_embeddings=True, max_iter=1).fit(X, Y)
    table = clf.weights_["embed.E"]
    assert np.isfinite(table).all()
    uncovered = np.array([_row(clf, word) for word in ("a", "story", "film")])
    assert np.all(uncovered != 0)
    assert 0.1 < uncovered.std() < 1.0  # their U(-0.5, 0.5) start, std 0.29
    for word, vector in vectors.items():
        assert_array_equal(_row(clf, word), vector.astype(np.float32), err_msg=word)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_frozen_embeddings_do_not_change_while_the_rest_trains(dtype):
    params = {"embeddings": VECTORS, "dtype": dtype, "learning_rate_init": 0.1}
    one = _clf(**params, freeze_embeddings=True, max_iter=1).fit(X, Y)
    five = _clf(**params, freeze_embeddings=True, max_iter=5).fit(X, Y)
    assert five.weights_["embed.E"].dtype == dtype
    assert_array_equal(five.weights_["embed.E"], one.weights_["embed.E"])
    assert not np.array_equal(five.weights_["head.W_hy"], one.weights_["head.W_hy"])
    for word, vector in VECTORS.items():
        assert_array_equal(_row(five, word), vector.astype(dtype), err_msg=word)


def test_unfrozen_embeddings_are_fine_tuned():
    clf = _clf(embeddings=VECTORS, learning_rate_init=0.1, max_iter=5).fit(X, Y)
    for word, vector in VECTORS.items():
        assert not np.array_equal(_row(clf, word), vector), word
    # padding and unknown words never occur in training: their rows stay 0
    assert_array_equal(clf.weights_["embed.E"][[PAD_ID, UNK_ID]], 0.0)


@pytest.mark.parametrize("source", ["dict", "file"])
def test_lowercase_fallback_when_the_vocabulary_keeps_case(tmp_path, source):
    vectors = {
        "good": np.array([1.0, 2.0], np.float32),
        "Bad": np.array([3.0, 4.0], np.float32),
        "bad": np.array([5.0, 6.0], np.float32),
    }
    path = _write(tmp_path / "v.txt", "".join(_line(w, v) for w, v in vectors.items()))
    clf = _clf(
        embeddings=vectors if source == "dict" else path,
        lowercase=False,
        freeze_embeddings=True,
        max_iter=1,
    ).fit(["Good film", "Bad film", "GOOD", "bad"], [1, 0, 1, 0])
    assert_array_equal(_row(clf, "Good"), vectors["good"])  # lowercased
    assert_array_equal(_row(clf, "GOOD"), vectors["good"])
    assert_array_equal(_row(clf, "Bad"), vectors["Bad"])  # exact match first
    assert_array_equal(_row(clf, "bad"), vectors["bad"])
    # Good, GOOD, Bad, bad of Good, film, Bad, GOOD, bad
    assert clf.embeddings_coverage_ == pytest.approx(4 / 5)


def test_embedding_dim_equal_to_the_width_is_accepted():
    clf = _clf(embedding_dim=3, embeddings=VECTORS)
    assert clf.fit(X, Y).weights_["embed.E"].shape[1] == 3


@pytest.mark.parametrize("source", ["dict", "file"])
def test_embedding_dim_mismatch_names_embedding_dim(tmp_path, source):
    path = _write(tmp_path / "v.txt", "".join(_line(w, v) for w, v in VECTORS.items()))
    clf = _clf(
        embedding_dim=8,
        embeddings=VECTORS if source == "dict" else path,
    )
    with pytest.raises(ValueError, match=r"embedding_dim=8.*3 components"):
        clf.fit(X, Y)
    assert not hasattr(clf, "weights_")


def test_dict_without_any_word_of_the_vocabulary_is_an_error():
    # Regression: a file raised, a dict trained with coverage 0.
    clf = _clf(embeddings={"zebra": [1.0, 2.0], "quartz": [3.0, 4.0]})
    with pytest.raises(ValueError, match="No word of the vocabulary"):
        clf.fit(X, Y)


def test_file_without_any_word_of_the_vocabulary_is_an_error(tmp_path):
    path = _write(tmp_path / "v.txt", "zebra 1 2\nquartz 3 4\n")
    clf = _clf(embeddings=path)
    with pytest.raises(ValueError, match="No word of the vocabulary"):
        clf.fit(X, Y)


def test_vectors_of_different_lengths_are_an_error():
    clf = _clf(embeddings={"good": [1.0, 2.0], "bad": [1.0]})
    with pytest.raises(ValueError, match="one common length"):
        clf.fit(X, Y)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_vectors_are_rejected_naming_the_word(bad):
    clf = _clf(embeddings={"good": [bad, 0.0, 1.0], "bad": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="good") as excinfo:
        clf.fit(X, Y)
    assert "learning rate" not in str(excinfo.value)


def test_components_too_large_for_the_dtype_are_rejected_naming_the_word():
    # Regression: 1e39 is finite in float64, checked so, and became inf in the
    # float32 table: training "diverged" and blamed the learning rate.
    vectors = {"good": [1e39, 0.0, 1.0], "bad": [1.0, 2.0, 3.0]}
    with pytest.raises(ValueError, match=r"too large for float32 .*'good'"):
        _clf(embeddings=vectors).fit(X, Y)
    _clf(embeddings=vectors, dtype=np.float64).fit(X, Y)


@pytest.mark.parametrize(
    "vector",
    [np.array([1.0, "x", 3.0], dtype=object), np.array([1 + 1j, 0.0, 1.0])],
    ids=["object", "complex"],
)
def test_vectors_not_of_real_numbers_are_a_type_error_naming_the_word(vector):
    # Regression: an object vector failed deep in numpy ("ufunc 'isfinite' not
    # supported for the input types"); a complex one lost its imaginary part.
    clf = _clf(embeddings={"good": vector, "bad": [1.0, 2.0, 3.0]})
    with pytest.raises(TypeError, match=r"real numbers.*'good'"):
        clf.fit(X, Y)


def test_partial_fit_starts_from_the_vectors():
    clf = _clf(embeddings=VECTORS, freeze_embeddings=True)
    clf.partial_fit(X, Y, classes=[0, 1])
    clf.partial_fit(X, Y)
    for word, vector in VECTORS.items():
        assert_array_equal(_row(clf, word), vector, err_msg=word)
    assert clf.embeddings_coverage_ == pytest.approx(3 / 5)
