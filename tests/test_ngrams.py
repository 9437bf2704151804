"""The n-gram companion: keys, features, NBSVM fitting, staged logits."""

import dataclasses
import functools
import os
import pickle
import signal
import subprocess
import sys
import time
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
from _subprocess import held_by_a_thread
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skrnn import RNNTextClassifier
from skrnn import _ngrams as ngrams_module
from skrnn._ngrams import (
    C_GRID,
    IDF_C_GRID,
    NORMS_C_GRID,
    TOL,
    NgramModel,
    _fit_columns,
    check_ngram_range,
    fit_ngrams,
    ngram_features,
    ngram_logits,
    ngram_occurrences,
    occluded_ngram_logits,
    staged_ngram_logits,
)
from skrnn._text import PAD_ID, UNK_ID
from skrnn.datasets import load_trec
from skrnn.nn._functional import sigmoid

N_VOCAB = 12


def _sequences(n_docs, seed=0, n_vocab=N_VOCAB, unknown=True):
    rng = np.random.default_rng(seed)
    low = UNK_ID if unknown else UNK_ID + 1
    return [rng.integers(low, n_vocab, size=rng.integers(0, 9)) for _ in range(n_docs)]


def _reference_ngrams(seq, ngram_range):
    """Every n-gram of one sequence as a tuple of ids, skipping PAD and UNK."""
    grams = []
    for n in range(ngram_range[0], ngram_range[1] + 1):
        for i in range(len(seq) - n + 1):
            gram = tuple(int(t) for t in seq[i : i + n])
            if PAD_ID not in gram and UNK_ID not in gram:
                grams.append((i + n - 1, gram))
    return grams


def _key(gram):
    key = 0
    for token in gram:
        key = key * N_VOCAB + token
    return key


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 3), (3, 3)])
def test_occurrences_are_every_ngram_of_every_document(ngram_range):
    sequences = _sequences(30)
    doc, end, key = ngram_occurrences(sequences, ngram_range, N_VOCAB)
    found = sorted(zip(doc.tolist(), end.tolist(), key.tolist(), strict=True))
    expected = sorted(
        (d, e, _key(gram))
        for d, seq in enumerate(sequences)
        for e, gram in _reference_ngrams(seq, ngram_range)
    )
    assert found == expected
    assert key.dtype == np.int64


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (1, 3), (2, 3)])
@pytest.mark.parametrize("n_fitted", [0, 1, 40, 400])
def test_the_lookup_finds_every_fitted_key_and_nothing_else(ngram_range, n_fitted):
    # Unigrams through a table by id, longer n-grams through the model's hash
    # table: against a dictionary of the fitted keys.
    rng = np.random.default_rng(n_fitted)
    _, _, every = ngram_occurrences(_sequences(300, seed=1), ngram_range, N_VOCAB)
    keys = np.unique(rng.choice(every, size=min(n_fitted, len(every))))
    query = np.concatenate([every, keys, [keys.max(initial=2) + 1]])
    rng.shuffle(query)
    model = NgramModel(ngram_range, N_VOCAB, keys, None, None, "softmax", 0.0)
    column, found = ngrams_module._lookup(model, query)
    columns = {key: i for i, key in enumerate(keys.tolist())}
    assert found.tolist() == [key in columns for key in query.tolist()]
    assert column[found].tolist() == [columns[key] for key in query[found].tolist()]


@pytest.mark.parametrize("n_keys", [0, 1, 2, 3, 1000])
def test_the_hash_table_holds_every_key_once(n_keys):
    keys = np.unique(np.random.default_rng(0).integers(2, 10**12, n_keys))
    slots = ngrams_module._key_slots(keys)
    assert len(slots) >= 4 * len(keys) and len(slots) & (len(slots) - 1) == 0
    assert sorted(slots[slots < len(keys)].tolist()) == list(range(len(keys)))
    query = np.concatenate([keys, keys + 1, [0]])
    index, found = ngrams_module._probe(keys, slots, query)
    assert found.tolist() == np.isin(query, keys).tolist()
    assert_array_equal(keys[index[found]], query[found])


def _crowded_keys(n_keys: int, bits: int, spread: int) -> np.ndarray:
    """Sorted keys whose first slots in a table of 2**bits lie in ``spread`` slots.

    Fibonacci hashing multiplies by an odd number, which has an inverse
    modulo 2**64: the keys are that inverse times products whose top bits
    are chosen, as a model file made to slow the table down would hold.
    """
    multiplier = int(ngrams_module._HASH_MULTIPLIER)
    inverse = pow(multiplier, -1, 2**64)
    products = (((i % spread) << (64 - bits)) + i for i in range(8 * n_keys))
    keys = sorted({product * inverse % 2**64 for product in products})
    return np.array([key for key in keys if 2 <= key < 2**62][:n_keys], np.int64)


@pytest.mark.parametrize("spread", [1, 200])
def test_keys_crowded_by_the_hash_get_no_table_and_are_found_by_search(spread):
    # Regression: keys that all fall in one slot (or in a few consecutive
    # ones) made the build take time quadratic in their number (24,000 keys:
    # 2.3 s; a million: about an hour), and a key that is not there probe
    # the whole run of them, from a model file.
    n_keys = 6000
    keys = _crowded_keys(n_keys, (4 * n_keys - 1).bit_length(), spread)
    assert len(keys) == n_keys
    start = time.perf_counter()
    assert ngrams_module._key_slots(keys) is None
    assert time.perf_counter() - start < 2.0  # ~0.2 s unbounded, ~10 ms now
    model = NgramModel((2, 2), 2**31, keys, None, None, "softmax", 0.0)
    assert model.slots is None
    query = np.concatenate([keys[::7], keys[::11] + 1, [keys.max() + 5]])
    column, found = ngrams_module._lookup(model, query)
    assert found.tolist() == np.isin(query, keys).tolist()
    assert_array_equal(keys[column[found]], query[found])


def _with_peak_memory(function, *args):
    """What ``function(*args)`` returns, and the most bytes it held at once."""
    tracemalloc.start()
    try:
        result = function(*args)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_looking_up_a_few_keys_costs_no_copy_of_the_models_keys():
    # Regression: each look-up in the hash table copied the model's keys
    # (to append an empty slot's key), so that predicting one document at a
    # time with 4,000,000 keys took 15 times as long as by binary search.
    n_vocab = 10**5  # bigrams' keys: [2 * n_vocab + 2, n_vocab ** 2)
    keys = np.unique(np.random.default_rng(0).integers(3 * n_vocab, n_vocab**2, 10**6))
    model = NgramModel((2, 2), n_vocab, keys, None, None, "softmax", 0.0)
    query = np.concatenate([keys[:5], keys[:5] + 1])
    (column, found), peak = _with_peak_memory(ngrams_module._lookup, model, query)
    assert peak < keys.nbytes / 10  # 8 MB before
    assert found.tolist() == np.isin(query, keys).tolist()
    assert_array_equal(keys[column[found]], query[found])


def test_looking_up_a_few_unigrams_costs_nothing_in_proportion_to_the_vocabulary():
    # Regression: each look-up made a table of the whole vocabulary's ids,
    # 9 ms a call at 2,000,000 words, whatever the number of keys.
    n_vocab = 2 * 10**6
    keys = np.unique(np.random.default_rng(0).integers(2, n_vocab, 10**5))
    model = NgramModel((1, 1), n_vocab, keys, None, None, "softmax", 0.0)
    query = np.concatenate([keys[:5], keys[:5] + 1, [0, n_vocab - 1]])
    (column, found), peak = _with_peak_memory(ngrams_module._lookup, model, query)
    assert peak < n_vocab  # a table of the ids: 16 MB
    assert found.tolist() == np.isin(query, keys).tolist()
    assert_array_equal(keys[column[found]], query[found])
    assert (column[~found] == -1).all()


@pytest.mark.parametrize("n_query", [0, 1, 7, 124, 125, 400])
def test_unigrams_by_search_or_by_table_are_found_alike(n_query):
    # 1,000 ids: binary search below 125 keys, a table from 125 on
    rng = np.random.default_rng(n_query)
    unigrams = np.unique(rng.integers(2, 1000, 300))
    key = rng.integers(0, 1000, n_query)
    column, found = ngrams_module._unigram_columns(unigrams, key, 1000)
    index = {unigram: i for i, unigram in enumerate(unigrams.tolist())}
    assert column.tolist() == [index.get(k, -1) for k in key.tolist()]
    assert found.tolist() == [k in index for k in key.tolist()]


@pytest.mark.parametrize(
    "filled, longest",
    [([0, 0], 0), ([1, 0], 1), ([1, 1, 0, 1], 3), ([0, 1, 1, 0, 1], 2)],
)
def test_longest_run_wraps_around(filled, longest):
    assert ngrams_module._longest_run(np.array(filled, bool)) == longest


@pytest.mark.parametrize("seed", range(20))
def test_longest_run_is_the_longest_of_the_circle(seed):
    rng = np.random.default_rng(seed)
    filled = rng.random(int(rng.integers(1, 60))) < rng.random()
    filled[rng.integers(len(filled))] = False
    doubled = np.concatenate([filled, filled]).tolist()
    longest = max(
        next((k for k in range(len(filled)) if not doubled[i + k]), len(filled))
        for i in range(len(filled))
    )
    assert ngrams_module._longest_run(filled) == longest


def test_the_hash_tables_build_takes_memory_in_proportion_to_the_keys():
    # Regression: the longest run of filled slots was measured between the
    # positions of the empty ones, three to seven times as many as the keys:
    # 98 bytes a key at the build's peak, 6 times the model's 16 (a key and
    # its weight), at every load and unpickling.
    keys = np.unique(np.random.default_rng(0).integers(2, 2**62, 10**6))
    tracemalloc.start()
    try:
        slots = ngrams_module._key_slots(keys)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < slots.nbytes + 40 * len(keys)  # 17 + 33 bytes a key


@pytest.mark.parametrize("seed", range(5))
def test_the_features_are_scipys_sum_of_duplicates_to_the_bit(seed):
    # What the sparse features were made as before: scipy's COO to CSR, which
    # sums the duplicates and sorts each row's columns, then the data set to 1.
    rng = np.random.default_rng(seed)
    n_docs, n_features = int(rng.integers(1, 50)), int(rng.integers(1, 300))
    n = int(rng.integers(0, 2000))
    doc, column = rng.integers(0, n_docs, n), rng.integers(0, n_features, n)
    doc[: n // 2].sort()  # runs in order, as the n-grams of one length come
    got = ngrams_module._features(doc, column, n_docs, n_features)
    expected = sp.csr_matrix((np.ones(n), (doc, column)), shape=(n_docs, n_features))
    expected.data[:] = 1.0
    for name in ("indptr", "indices", "data"):
        assert_array_equal(getattr(got, name), getattr(expected, name))
    coef = rng.normal(size=(n_features, 2))
    assert_array_equal(got @ coef, expected @ coef)


def test_the_hash_table_is_not_pickled_but_made_again():
    keys = np.arange(2, 40, 3)
    model = NgramModel((1, 2), N_VOCAB, keys, None, None, "softmax", 0.0)
    state = model.__getstate__()
    assert "slots" not in state
    assert "slots" not in dataclasses.asdict(model)
    loaded = pickle.loads(pickle.dumps(model))
    assert_array_equal(loaded.slots, model.slots)
    # as pickled before the table: the state has none
    old = NgramModel.__new__(NgramModel)
    old.__setstate__(state)
    assert_array_equal(old.slots, model.slots)


def test_keys_of_ngrams_of_different_lengths_never_collide():
    # every n-gram of ids 2..n_vocab-1 up to length 3: one key each
    ids = np.arange(2, N_VOCAB)
    grams = np.stack(np.meshgrid(ids, ids, ids), -1).reshape(-1, 3)
    sequences = [*grams, *grams[:, 1:], *grams[:, 2:]]
    _, _, key = ngram_occurrences(sequences, (1, 3), N_VOCAB)
    n_distinct = len(ids) + len(ids) ** 2 + len(ids) ** 3
    assert len(np.unique(key)) == n_distinct


def test_no_documents_and_empty_documents():
    for sequences in ([], [np.array([], int)], [np.array([UNK_ID, UNK_ID])]):
        doc, end, key = ngram_occurrences(sequences, (1, 2), N_VOCAB)
        assert len(doc) == len(end) == len(key) == 0


@pytest.mark.parametrize(
    ("ngram_range", "match"),
    [
        ((2, 1), "1 <= min_n <= max_n"),
        ((0, 2), "1 <= min_n <= max_n"),
        ((1, 2.5), "whole numbers"),
        ((1, np.inf), "whole numbers"),
        ((1,), "tuple \\(min_n, max_n\\)"),
        ("12", "tuple \\(min_n, max_n\\)"),
        ((1, None), "tuple \\(min_n, max_n\\)"),
        # (a bool is no length: True passed as 1)
        ((True, 2), "whole numbers"),
        ((1, 5), "too long for a vocabulary of 10000 token ids"),
    ],
)
def test_bad_ngram_ranges_are_refused(ngram_range, match):
    with pytest.raises(ValueError, match=match):
        check_ngram_range(ngram_range, 10_000)


def test_a_huge_max_n_is_refused_at_once():
    # n_vocab ** max_n, computed exactly, would take forever (and a model
    # file may hold any max_n): a subprocess, so that the old code fails.
    code = (
        "from skrnn._ngrams import check_ngram_range\n"
        "for max_n in (63, 10**12, 1e300):\n"
        "    try:\n"
        "        check_ngram_range((1, max_n), 2)\n"
        "    except ValueError as error:\n"
        "        assert 'too long' in str(error), error\n"
        "    else:\n"
        "        raise AssertionError(max_n)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert check_ngram_range((1, 62), 2) == (1, 62)  # 2**62 < 2**63


def test_the_longest_range_that_fits_in_int64_is_accepted():
    assert check_ngram_range((1, 4), 10_000) == (1, 4)  # 10**16 < 2**63
    assert check_ngram_range([np.int64(2), 3.0], 10) == (2, 3)


# --------------------------------------------------------- NBSVM, as NB-LR


class _ReferenceNBLR(ClassifierMixin, BaseEstimator):
    """benchmarks/_baselines.py's NBLogisticRegression, LR seeded, at TOL;
    for two classes each document's NB-scaled features divided by their
    norm.  With weighting="idf", binary TF-IDF (scikit-learn's
    TfidfTransformer, rows of norm 1) and one-vs-rest LR instead."""

    def __init__(self, C=1.0, weighting="nb"):
        self.C = C
        self.weighting = weighting

    def _scaled(self, X, r):
        if self.weighting == "idf":
            return self.tfidf_.transform(X)
        scaled = X @ sp.diags(r)
        if len(self.classes_) > 2:
            return scaled
        norm = np.sqrt(scaled.multiply(scaled).sum(axis=1)).A.ravel()
        norm[norm == 0] = 1
        return sp.diags(1 / norm) @ scaled

    def fit(self, X, y):
        X = sp.csr_matrix(X, dtype=np.float64)
        self.classes_ = np.unique(y)
        positives = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        self.tfidf_ = TfidfTransformer().fit(X)
        self.ratios_ = []
        for c in positives:
            mask = y == c
            p = 1 + np.asarray(X[mask].sum(axis=0)).ravel()
            q = 1 + np.asarray(X[~mask].sum(axis=0)).ravel()
            self.ratios_.append(np.log(p / p.sum()) - np.log(q / q.sum()))
        self.models_ = [
            LogisticRegression(
                C=self.C,
                solver="liblinear",
                dual=True,
                tol=TOL,
                max_iter=1000,
                random_state=0,
            ).fit(self._scaled(X, r), y == c)
            for r, c in zip(self.ratios_, positives, strict=True)
        ]
        return self

    def decision_function(self, X):
        X = sp.csr_matrix(X, dtype=np.float64)
        scores = np.column_stack(
            [
                m.decision_function(self._scaled(X, r))
                for r, m in zip(self.ratios_, self.models_, strict=True)
            ]
        )
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


def _decision(model, X):
    """The companion's decisions for its binary features ``X``, written out."""
    if model.scale is None:
        return X @ model.coef + model.intercept
    norm = np.sqrt(X @ model.scale)
    norm[norm == 0] = 1
    return (X @ model.coef) / norm[:, None] + model.intercept


def _grams(seq):
    return [gram for _, gram in _reference_ngrams(seq, (1, 2))]


def _labelled(n_docs, n_classes, seed=0):
    """Documents whose words lean towards their class, and their classes."""
    rng = np.random.default_rng(seed)
    y = np.arange(n_docs) % n_classes
    sequences = []
    for label in y:
        length = rng.integers(2, 9)
        words = rng.integers(2, N_VOCAB, size=length)
        lean = rng.random(length) < 0.4
        words[lean] = 2 + label * 2 + rng.integers(0, 2, size=lean.sum())
        sequences.append(words)
    return sequences, y


#: Words of the ids 2, 3, ... of N_VOCAB, some sharing characters.
WORDS = [
    "<pad>",
    "<unk>",
    "good",
    "goods",
    "bad",
    "badly",
    "fine",
    "finer",
    "awful",
    "awfully",
    "ok",
    "okay",
]


def _companion(sequences, y, n_classes, ngram_range=(1, 2), chars=False):
    """A softmax head's companion of the documents, weights of 1.

    With ``chars``, it also reads the character 2-4 grams of the ids' WORDS.
    """
    return fit_ngrams(
        sequences,
        y,
        np.ones(len(y)),
        ngram_range=ngram_range,
        n_vocab=N_VOCAB,
        n_classes=n_classes,
        head="softmax",
        char_range=(2, 4) if chars else None,
        words=WORDS if chars else None,
    )


@pytest.fixture
def naive_bayes_only(monkeypatch):
    """The companion's inner CV without the TF-IDF weighting (see IDF)."""
    monkeypatch.setattr(ngrams_module, "IDF", False)


@pytest.mark.usefixtures("naive_bayes_only")
@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_companion_is_nbsvm_bi_with_c_by_inner_cross_validation(n_classes):
    sequences, y = _labelled(90, n_classes)
    train, test = sequences[:60], sequences[60:]
    model = fit_ngrams(
        train,
        y[:60],
        np.ones(60),
        ngram_range=(1, 2),
        n_vocab=N_VOCAB,
        n_classes=n_classes,
        head="softmax",
    )
    grid = list(NORMS_C_GRID if n_classes == 2 else C_GRID)
    reference = GridSearchCV(
        make_pipeline(CountVectorizer(analyzer=_grams, binary=True), _ReferenceNBLR()),
        {"_referencenblr__C": grid},
        cv=3,
    ).fit(train, y[:60])
    assert reference.best_params_["_referencenblr__C"] == model.C
    decision = _decision(model, ngram_features(model, test))
    expected = reference.decision_function(test)
    assert_allclose(decision.squeeze(), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("margin", [0.0, ngrams_module.IDF_MARGIN])
@pytest.mark.parametrize(
    ("n_classes", "n_docs", "seed"),
    [(2, 90, 0), (2, 90, 2), (3, 90, 0), (3, 90, 1), (4, 150, 1)],
)
def test_the_inner_cv_chooses_between_nb_ratios_and_tf_idf(
    monkeypatch, n_classes, n_docs, seed, margin
):
    # the weighting and C that GridSearchCV picks among NB-LR and among
    # binary TF-IDF + LR (the first best on ties), TF-IDF only if it leads by
    # more than the margin, and the model it then fits
    monkeypatch.setattr(ngrams_module, "IDF_MARGIN", margin)
    sequences, y = _labelled(n_docs, n_classes, seed)
    n_train = n_docs * 2 // 3
    train, test = sequences[:n_train], sequences[n_train:]
    model = fit_ngrams(
        train,
        y[:n_train],
        np.ones(n_train),
        ngram_range=(1, 2),
        n_vocab=N_VOCAB,
        n_classes=n_classes,
        head="softmax",
    )
    searches = {
        weighting: GridSearchCV(
            make_pipeline(
                CountVectorizer(analyzer=_grams, binary=True),
                _ReferenceNBLR(weighting=weighting),
            ),
            {"_referencenblr__C": list(grid)},
            cv=3,
        ).fit(train, y[:n_train])
        for weighting, grid in (
            ("nb", NORMS_C_GRID if n_classes == 2 else C_GRID),
            ("idf", IDF_C_GRID),
        )
    }
    nb, idf = searches["nb"], searches["idf"]
    reference = idf if idf.best_score_ > nb.best_score_ + margin else nb
    assert reference.best_params_["_referencenblr__C"] == model.C
    if n_classes > 2:
        assert (model.scale is not None) == (reference is idf)
    decision = _decision(model, ngram_features(model, test))
    expected = reference.decision_function(test)
    assert_allclose(decision.squeeze(), expected, rtol=1e-6, atol=1e-8)


def test_tf_idf_wins_on_many_classes_of_few_documents():
    # Regression: the NB ratios of classes of a few documents each are noise
    # (0.47 on 200 topics of 7 training documents; TF-IDF + LR 0.90).
    rng = np.random.default_rng(0)
    n_classes, n_vocab = 50, 400
    y = np.repeat(np.arange(n_classes), 5)
    sequences = []
    for label in y:
        words = rng.integers(2, n_vocab, size=22)
        # two of the topic's three words, among twenty of any topic
        words[:2] = 2 + (label * 3 + rng.integers(0, 3, size=2)) % (n_vocab - 2)
        sequences.append(words)
    test = list(range(4, len(y), 5))
    train = [i for i in range(len(y)) if i % 5 != 4]

    def accuracy():
        model = fit_ngrams(
            [sequences[i] for i in train],
            y[train],
            np.ones(len(train)),
            ngram_range=(1, 2),
            n_vocab=n_vocab,
            n_classes=n_classes,
            head="softmax",
        )
        logits = ngram_logits(model, [sequences[i] for i in test])
        return np.mean(logits.argmax(1) == y[test]), model

    with_idf, model = accuracy()
    assert model.scale is not None  # the TF-IDF weighting was chosen
    ngrams_module.IDF = False
    try:
        without, _ = accuracy()
    finally:
        ngrams_module.IDF = True
    assert with_idf > without + 0.2


def test_probabilities_are_sigmoids_normalised_one_vs_rest():
    sequences, y = _labelled(60, 3)
    model = fit_ngrams(
        sequences,
        y,
        np.ones(60),
        ngram_range=(1, 2),
        n_vocab=N_VOCAB,
        n_classes=3,
        head="softmax",
    )
    decision = _decision(model, ngram_features(model, sequences))
    p = sigmoid(decision)
    assert_allclose(
        np.exp(ngram_logits(model, sequences)), p / p.sum(axis=1, keepdims=True)
    )


def test_binary_probabilities_are_the_sigmoid_of_the_decision():
    sequences, y = _labelled(40, 2)
    model = fit_ngrams(
        sequences,
        y,
        np.ones(40),
        ngram_range=(1, 1),
        n_vocab=N_VOCAB,
        n_classes=2,
        head="softmax",
    )
    decision = _decision(model, ngram_features(model, sequences))[:, 0]
    proba = np.exp(ngram_logits(model, sequences))
    assert_allclose(proba[:, 1], sigmoid(decision))
    assert_allclose(proba.sum(axis=1), 1)


@pytest.mark.usefixtures("naive_bayes_only")
def test_multilabel_columns_are_independent_binary_models():
    sequences, y = _labelled(60, 3)
    Y = np.column_stack([y == 0, y != 1, np.zeros(60, bool)]).astype(float)
    model = fit_ngrams(
        sequences,
        Y,
        np.ones(60),
        ngram_range=(1, 2),
        n_vocab=N_VOCAB,
        n_classes=3,
        head="logistic",
    )
    X = ngram_features(model, sequences)
    coef, _, scale = _fit_columns(X, Y.astype(bool), np.ones(60), model.C)
    assert_array_equal(model.coef, coef)
    assert scale is None
    # a label never on: its prior log-odds, whatever the words
    assert not model.coef[:, 2].any() and model.intercept[2] < -3
    logits = ngram_logits(model, sequences)
    assert model.scale is None  # the norms are for one column
    assert_allclose(logits, X @ model.coef + model.intercept)
    single, _, _ = _fit_columns(X, Y[:, :1].astype(bool), np.ones(60), model.C)
    assert_allclose(model.coef[:, :1], single)


def test_a_zero_weight_is_a_document_left_out():
    sequences, y = _labelled(60, 2)
    X = ngram_features(
        fit_ngrams(
            sequences,
            y,
            np.ones(60),
            ngram_range=(1, 2),
            n_vocab=N_VOCAB,
            n_classes=2,
            head="softmax",
        ),
        sequences,
    )
    targets = (y == 1)[:, None]
    weights = np.ones(60)
    weights[:10] = 0
    coef, intercept, scale = _fit_columns(X, targets, weights, 1.0, norms=True)
    # the features only the left-out documents have get weight 0 either way
    expected, expected_intercept, expected_scale = _fit_columns(
        X[10:], targets[10:], weights[10:], 1.0, norms=True
    )
    assert_allclose(coef, expected, atol=1e-5)
    assert_allclose(intercept, expected_intercept, atol=1e-5)
    assert_allclose(scale, expected_scale)
    unweighted, _, _ = _fit_columns(X, targets, np.ones(60), 1.0, norms=True)
    assert not np.allclose(coef, unweighted, atol=1e-3)


def test_a_zero_weight_is_a_document_left_out_of_the_character_part():
    sequences, y = _labelled(60, 2)
    model = _companion(sequences, y, 2, chars=True)
    X = ngram_features(model, sequences)
    targets = (y == 1)[:, None]
    grams = _char_grams(sequences)
    fit = functools.partial(
        ngrams_module._fit_char_columns, split=len(model.keys), grams=grams
    )
    weights = np.ones(60)
    weights[:10] = 0
    coef, intercept, scale = fit(X, targets, weights, 3.0)
    # the n-grams (of words or characters) that only the left-out documents
    # hold get weight 0 either way
    expected = fit(X[10:], targets[10:], weights[10:], 3.0)
    for got, want in zip((coef, intercept, scale), expected, strict=True):
        assert_allclose(got, want, atol=1e-5)
    # nor do they count in a document's norm, as if they were not features
    split = len(model.keys)
    held = np.asarray(X[10:, :split].sum(axis=0)).ravel() > 0
    assert not held.all()
    assert not scale[:split][~held].any() and scale[:split][held].all()
    unweighted, _, _ = fit(X, targets, np.ones(60), 3.0)
    assert not np.allclose(coef, unweighted, atol=1e-3)


def _char_grams(sequences):
    """The companion's words' character 2-4 grams, as its fit reads them."""
    indptr, indices = ngrams_module._training_chars(sequences, WORDS, (2, 4))
    return sp.csr_matrix(
        (np.ones(len(indices)), indices, indptr),
        shape=(N_VOCAB, int(indices.max()) + 1),
    )


@pytest.mark.parametrize(
    "scale",
    [1 / 60, 1000.0, 1e-310, 1e300],
    ids=["sum 1", "thousands", "subnormal", "huge"],
)
def test_weights_scaled_by_a_constant_fit_the_same_companion(scale):
    # Regression: weights normalised to sum 1 made C 60 times smaller, and the
    # companion predicted the class frequencies; the network's loss, a
    # weighted mean, does not change with the weights' scale. Subnormal
    # weights (1e-310) were multiplied by the inverse of their mean, which
    # overflowed to inf, and liblinear refused the NaN features.
    sequences, y = _labelled(60, 2)
    weights = np.where(y == 1, 2.0, 1.0)

    def fit(sample_weight):
        return fit_ngrams(
            sequences,
            y,
            sample_weight,
            ngram_range=(1, 2),
            n_vocab=N_VOCAB,
            n_classes=2,
            head="softmax",
        )

    expected, scaled = fit(weights), fit(weights * scale)
    assert scaled.C == expected.C
    assert_allclose(scaled.coef, expected.coef, rtol=1e-6, atol=1e-8)
    assert_allclose(scaled.intercept, expected.intercept, rtol=1e-6, atol=1e-8)
    # and the weights' ratios still matter
    assert not np.allclose(fit(np.ones(60)).coef, expected.coef, atol=1e-3)


def test_fitting_is_deterministic_and_keys_sorted_unique():
    sequences, y = _labelled(60, 3)

    def fit():
        return fit_ngrams(
            sequences,
            y,
            np.ones(60),
            ngram_range=(1, 3),
            n_vocab=N_VOCAB,
            n_classes=3,
            head="softmax",
        )

    a, b = fit(), fit()
    assert (np.diff(a.keys) > 0).all()
    for name in ("keys", "coef", "intercept"):
        assert_array_equal(getattr(a, name), getattr(b, name))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_companion_does_not_depend_on_n_jobs():
    # liblinear shuffles with one generator shared by the process: fits on
    # threads side by side drew from it in the threads' order, and gave
    # another C and other coefficients from run to run
    rng = np.random.default_rng(0)
    y = rng.integers(0, 6, 1500)
    docs = [
        " ".join(
            f"w{t}"
            for t in [*rng.integers(0, 400, rng.integers(3, 25)), 10 * c + c % 10]
        )
        for c in y
    ]
    models = [
        RNNTextClassifier(
            hidden_size=4,
            embedding_dim=4,
            max_iter=1,
            early_stopping=False,
            random_state=0,
            n_jobs=n_jobs,
        ).fit(docs, y)
        for n_jobs in (1, 2, 2)
    ]
    reference = models[0]._fitted.ngrams
    for model in models[1:]:
        assert model._fitted.ngrams.C == reference.C
        assert_array_equal(model._fitted.ngrams.coef, reference.coef)


class _CountingLR(LogisticRegression):
    """LogisticRegression that records the targets of every fit."""

    fitted: ClassVar[list] = []

    def fit(self, X, y, sample_weight=None):
        self.fitted.append(np.asarray(y).copy())
        return super().fit(X, y, sample_weight)


@pytest.mark.usefixtures("naive_bayes_only")
@pytest.mark.parametrize("head", ["softmax", "logistic"])
def test_c_is_chosen_on_the_most_frequent_classes_models(monkeypatch, head):
    # 12 classes, the last 8 the most frequent: the inner CV fits only
    # their one-vs-rest models, the final fit all 12
    n_classes, n_cv = 12, ngrams_module.CV_COLUMNS
    sequences, y = _labelled(12 * 9, n_classes)
    y[(y < 4) & (np.arange(len(y)) < 36)] += 4  # 6 documents of classes 0-3
    Y = y[:, None] == np.arange(n_classes)
    monkeypatch.setattr(ngrams_module, "LogisticRegression", _CountingLR)
    monkeypatch.setattr(_CountingLR, "fitted", [])
    model = fit_ngrams(
        sequences,
        Y if head == "logistic" else y,
        np.ones(len(y)),
        ngram_range=(1, 2),
        n_vocab=N_VOCAB,
        n_classes=n_classes,
        head=head,
    )
    fits = _CountingLR.fitted
    n_cv_fits = len(ngrams_module.C_GRID) * ngrams_module.N_FOLDS * n_cv
    assert len(fits) == n_cv_fits + n_classes
    # the final fits, one per class, on every document
    assert_array_equal(np.column_stack(fits[n_cv_fits:]), Y)
    if head == "softmax":
        # classes 0-3 have 6 documents (4 in a training fold), the others
        # 9 or 12 (6 or 8): only the latter are the CV's positives
        assert np.bincount(y).tolist() == [6] * 4 + [12] * 4 + [9] * 4
        assert min(f.sum() for f in fits[:n_cv_fits]) >= 6
    assert model.C in ngrams_module.C_GRID
    assert model.coef.shape[1] == n_classes


@pytest.mark.usefixtures("naive_bayes_only")
@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_norms_are_for_two_classes_only(n_classes):
    sequences, y = _labelled(90, n_classes)
    model = _companion(sequences, y, n_classes)
    X = ngram_features(model, sequences)
    if n_classes > 2:
        assert model.scale is None and model.C in C_GRID
        return
    assert model.C in NORMS_C_GRID
    # each feature's squared log-count ratio: every document's NB-scaled
    # features have norm 1, whatever its length
    p = 1 + np.asarray(X[y == 1].sum(axis=0)).ravel()
    q = 1 + np.asarray(X[y == 0].sum(axis=0)).ravel()
    ratio = np.log(p / p.sum()) - np.log(q / q.sum())
    assert_allclose(model.scale, ratio**2)
    scaled = X @ sp.diags(ratio)
    norms = np.sqrt(scaled.multiply(scaled).sum(axis=1)).A.ravel()
    assert_allclose(
        _decision(model, X)[:, 0],
        (X @ model.coef[:, 0]) / norms + model.intercept,
    )
    assert norms.min() < 0.5 * norms.max()  # the documents' lengths differ


def test_the_liblinear_iteration_limit_warns_no_one(monkeypatch, recwarn):
    sequences, y = _labelled(60, 3)
    monkeypatch.setattr(ngrams_module, "MAX_ITER", 1)
    filters = list(warnings.filters)
    # (the estimators fit their companions inside quiet_liblinear, on the
    # thread that fits them)
    with ngrams_module.quiet_liblinear():
        fit_ngrams(
            sequences,
            y,
            np.ones(60),
            ngram_range=(1, 2),
            n_vocab=N_VOCAB,
            n_classes=3,
            head="softmax",
        )
    assert not [w for w in recwarn if issubclass(w.category, ConvergenceWarning)]
    assert warnings.filters == filters


def test_a_rare_class_outside_the_cross_validation_leaves_it_whole(recwarn):
    # 10 classes, one of a single document: C is still chosen by the CV on
    # the most frequent classes' models, which that class is not among
    sequences, y = _labelled(100, 10)
    y[y == 9] = 0
    y[0] = 9
    model = fit_ngrams(
        sequences,
        y,
        np.ones(100),
        ngram_range=(1, 2),
        n_vocab=N_VOCAB,
        n_classes=10,
        head="softmax",
    )
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
    assert model.C in ngrams_module.C_GRID


class _RecordingStratifiedKFold(ngrams_module.StratifiedKFold):
    strata: ClassVar[list] = []

    def split(self, X, y, groups=None):
        self.strata.append(np.asarray(y).copy())
        return super().split(X, y, groups)


@pytest.mark.parametrize("most_frequent", [3, 9])
def test_few_documents_outside_the_cross_validation_join_the_most_frequent_class(
    monkeypatch, most_frequent
):
    # Regression: the documents of the classes outside the CV's 8, fewer
    # than the folds, joined the stratum of columns[most_frequent], an
    # IndexError past the 8th class and another class below it.
    counts = dict.fromkeys(range(10), 3)
    counts[0] = counts[1] = 1  # outside the 8 most frequent: 2 documents
    counts[most_frequent] = 6
    y = np.repeat(list(counts), list(counts.values()))
    rng = np.random.default_rng(0)
    sequences = [np.array([2 + c, *rng.integers(12, 20, size=3)]) for c in y]
    monkeypatch.setattr(ngrams_module, "StratifiedKFold", _RecordingStratifiedKFold)
    monkeypatch.setattr(_RecordingStratifiedKFold, "strata", [])
    model = fit_ngrams(
        sequences,
        y,
        np.ones(len(y)),
        ngram_range=(1, 2),
        n_vocab=20,
        n_classes=10,
        head="softmax",
    )
    (strata,) = _RecordingStratifiedKFold.strata
    assert_array_equal(strata[y < 2], [most_frequent] * 2)
    assert_array_equal(strata[y >= 2], y[y >= 2])
    assert model.C in C_GRID


def test_few_documents_of_a_class_still_fit():
    # one document of class 2: no cross-validation, the grid's middle C
    sequences, y = _labelled(7, 2)
    y[-1] = 2
    model = fit_ngrams(
        sequences,
        y,
        np.ones(7),
        ngram_range=(1, 2),
        n_vocab=N_VOCAB,
        n_classes=3,
        head="softmax",
    )
    assert C_GRID[len(C_GRID) // 2] == model.C
    assert np.isfinite(ngram_logits(model, sequences)).all()


@pytest.mark.parametrize("chars", [False, True], ids=["words", "chars"])
@pytest.mark.parametrize("normed", [True, False], ids=["norms", "no norms"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_staged_logits_are_the_logits_of_every_prefix(n_classes, normed, chars):
    sequences, y = _labelled(60, n_classes)
    model = _companion(sequences, y, n_classes, ngram_range=(1, 3), chars=chars)
    if not normed:  # a companion fitted before the norms
        model = dataclasses.replace(model, scale=None)
    # repeated n-grams and unknown words count once, from where they end
    test = [*_sequences(20, seed=1), np.array([3, 3, 3, 3]), np.array([], int)]
    staged = staged_ngram_logits(model, test)
    for seq, block in zip(test, staged, strict=True):
        assert block.shape == (len(seq), model.n_outputs)
        prefixes = [seq[: t + 1] for t in range(len(seq))]
        if prefixes:
            assert_allclose(block, ngram_logits(model, prefixes), atol=1e-12)


@pytest.mark.parametrize("chars", [False, True], ids=["words", "chars"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_staged_logits_from_a_start_are_those_of_the_later_prefixes(n_classes, chars):
    sequences, y = _labelled(60, n_classes)
    model = _companion(sequences, y, n_classes, ngram_range=(1, 3), chars=chars)
    test = [*_sequences(20, seed=1), np.array([3, 3, 3, 3]), np.array([], int)]
    starts = [len(seq) // 2 for seq in test]
    staged = staged_ngram_logits(model, test, starts)
    for seq, start, block in zip(test, starts, staged, strict=True):
        assert block.shape == (len(seq) - start, model.n_outputs)
        prefixes = [seq[: t + 1] for t in range(start, len(seq))]
        if prefixes:
            assert_allclose(block, ngram_logits(model, prefixes), atol=1e-12)


def test_staged_logits_from_the_end_of_a_document_are_none():
    # (its n-grams were added to the next document's first prefix)
    sequences, y = _labelled(60, 2)
    model = _companion(sequences, y, 2, chars=True)
    a, b = np.array([2, 3, 4]), np.array([5, 6])
    staged = staged_ngram_logits(model, [a, b, a], [3, 0, 3])
    assert [block.shape for block in staged] == [(0, 2), (2, 2), (0, 2)]
    assert_array_equal(staged[1], staged_ngram_logits(model, [b])[0])


@pytest.mark.parametrize("normed", [True, False], ids=["norms", "no norms"])
def test_staged_logits_of_a_long_document_take_bounded_memory(normed):
    # the window of a long document's last tokens (truncating="pre"), read
    # a range of tokens at a time
    rng = np.random.default_rng(4)
    model, _ = _long_words_companion(rng, ngram_range=(1, 3))
    if not normed:
        model = dataclasses.replace(model, scale=None)
    document = rng.integers(0, N_VOCAB, size=4_000)
    tracemalloc.start()
    try:
        (staged,) = staged_ngram_logits(model, [document], [3_990])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20
    prefixes = [document[: t + 1] for t in range(3_990, 4_000)]
    assert_allclose(staged, ngram_logits(model, prefixes), atol=1e-12)


@pytest.mark.parametrize("chars", [False, True], ids=["words", "chars"])
@pytest.mark.parametrize("normed", [True, False])
@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 3)])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_occluded_logits_are_those_of_the_document_without_each_token(
    monkeypatch, n_classes, ngram_range, normed, chars
):
    sequences, y = _labelled(60, n_classes)
    model = _companion(sequences, y, n_classes, ngram_range=ngram_range, chars=chars)
    if not normed:
        model = dataclasses.replace(model, scale=None)
    rng = np.random.default_rng(2)
    test = [*_sequences(20, seed=1), np.array([3]), np.array([UNK_ID, 3, 3])]
    # and a long one, counted a few tokens at a time
    monkeypatch.setattr(ngrams_module, "PREDICT_TOKENS", 7)
    test.append(rng.integers(PAD_ID, N_VOCAB, size=50))
    for seq in test:
        for start, stop in [(0, len(seq)), (len(seq) // 3, len(seq) // 2 + 1)]:
            stop = min(stop, len(seq))
            got = occluded_ngram_logits(model, seq, start, stop)
            assert got.shape == (stop - start, model.n_outputs)
            if stop > start:
                variants = [np.delete(seq, i) for i in range(start, stop)]
                assert_allclose(got, ngram_logits(model, variants), atol=1e-12)


def test_a_companion_pickled_before_it_read_whole_documents_reads_windows():
    sequences, y = _labelled(60, 2)
    model = dataclasses.replace(_companion(sequences, y, 2), whole_documents=True)
    old = dataclasses.replace(model)
    object.__delattr__(old, "whole_documents")  # pickled before the field
    assert not pickle.loads(pickle.dumps(old)).whole_documents
    assert not _companion(sequences, y, 2).whole_documents  # fit_ngrams' default


def test_a_companion_pickled_before_the_norms_predicts_without_them():
    sequences, y = _labelled(60, 2)
    model = _companion(sequences, y, 2)
    old = dataclasses.replace(model)
    object.__delattr__(old, "scale")  # as pickled before the field existed
    loaded = pickle.loads(pickle.dumps(old))
    assert loaded.scale is None
    X = ngram_features(model, sequences)
    assert_allclose(
        np.exp(ngram_logits(loaded, sequences))[:, 1],
        sigmoid(X @ model.coef[:, 0] + model.intercept),
    )
    assert model.scale is not None and (model.scale > 0).any()


def test_documents_without_ngrams_give_the_prior():
    # Regression: liblinear refused a training set without a single feature.
    sequences = [np.array([UNK_ID]), np.array([], int), np.array([UNK_ID] * 3)] * 2
    y = np.array([0, 1, 1, 0, 1, 1])
    model = fit_ngrams(
        sequences,
        y,
        np.ones(6),
        ngram_range=(1, 2),
        n_vocab=N_VOCAB,
        n_classes=2,
        head="softmax",
    )
    assert model.coef.shape == (0, 1)
    proba = np.exp(ngram_logits(model, [np.array([2, 3])]))
    assert proba[0, 1] > 0.5  # class 1 is the more frequent


def test_prediction_looks_up_the_documents_in_runs_of_bounded_memory(monkeypatch):
    # Regression: ngram_logits held every n-gram occurrence of every document
    # at once, some 130 bytes a token (1.3 GB for 500,000 sentences).
    sequences, y = _labelled(60, 3)
    model = fit_ngrams(
        sequences,
        y,
        np.ones(60),
        ngram_range=(1, 2),
        n_vocab=N_VOCAB,
        n_classes=3,
        head="softmax",
    )
    rng = np.random.default_rng(0)
    documents = [rng.integers(2, N_VOCAB, size=200) for _ in range(2_000)]
    tracemalloc.start()
    try:
        logits = ngram_logits(model, documents)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # 400,000 tokens; 58 MB before
    # runs of any size give the same logits
    monkeypatch.setattr(ngrams_module, "PREDICT_TOKENS", 333)
    assert_array_equal(ngram_logits(model, documents[:50]), logits[:50])
    assert ngram_logits(model, []).shape == (0, 3)


@pytest.mark.parametrize("chars", [False, True], ids=["words", "chars"])
@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 3)])
def test_a_long_document_is_looked_up_in_overlapping_windows(
    monkeypatch, ngram_range, chars
):
    # Regression: a document longer than PREDICT_TOKENS was looked up whole
    # (1,000,000 tokens: 154 MB above the model, the target being 100). Its
    # windows overlap by max_n - 1 tokens, so no n-gram across a window's
    # edge is lost, and the logits are those of the whole document, beside
    # shorter documents before and after it, with characters too.
    sequences, y = _labelled(60, 3)
    model = _companion(sequences, y, 3, ngram_range=ngram_range, chars=chars)
    rng = np.random.default_rng(1)
    documents = [rng.integers(0, N_VOCAB, size=n) for n in (5, 400, 3, 37, 0, 9)]
    whole = ngram_logits(model, documents)
    for window in (1, 7, 36, 37, 200):
        monkeypatch.setattr(ngrams_module, "PREDICT_TOKENS", window)
        assert_array_equal(ngram_logits(model, documents), whole)


def test_a_long_document_is_looked_up_in_bounded_memory():
    sequences, y = _labelled(60, 3)
    model = fit_ngrams(
        sequences,
        y,
        np.ones(60),
        ngram_range=(1, 2),
        n_vocab=N_VOCAB,
        n_classes=3,
        head="softmax",
    )
    document = np.random.default_rng(2).integers(2, N_VOCAB, size=400_000)
    tracemalloc.start()
    try:
        ngram_logits(model, [document])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # 400,000 tokens in one document; 56 MB before


def test_companions_fitted_on_threads_at_once_are_those_fitted_alone():
    # Regression: liblinear shuffles with one C generator for the whole
    # process, seeded at the start of each fit, so fits on several threads at
    # once (a threaded parallel search) drew from it in turn: every one of a
    # dozen such fits differed from the same fit alone.
    X, y = load_trec(return_X_y=True)
    clf = RNNTextClassifier(max_iter=1, random_state=0).fit(X[:1500], y[:1500])
    sequences = clf.vectorizer_.transform(X[:1500])
    classes = np.searchsorted(clf.classes_, y[:1500])

    def fit(_):
        return fit_ngrams(
            sequences,
            classes,
            np.ones(len(classes)),
            ngram_range=(1, 2),
            n_vocab=clf.vectorizer_.n_vocab_,
            n_classes=len(clf.classes_),
            head="softmax",
        )

    alone = fit(None)
    with ThreadPoolExecutor(3) as threads:
        for model in threads.map(fit, range(6)):
            assert_array_equal(model.coef, alone.coef)
            assert_array_equal(model.intercept, alone.intercept)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_process_forked_while_a_companion_fits_fits_its_own():
    # Regression: a process forked while another thread held the liblinear
    # lock (a companion fitting there) inherited it held, by a thread it does
    # not have: its first companion waited forever.
    sequences, y = _labelled(30, 2)
    with held_by_a_thread(ngrams_module._LIBLINEAR):
        pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                fit_ngrams(
                    sequences,
                    y,
                    np.ones(len(y)),
                    ngram_range=(1, 2),
                    n_vocab=N_VOCAB,
                    n_classes=2,
                    head="softmax",
                )
                code = 0
            finally:
                os._exit(code)
    deadline = time.monotonic() + 30
    while not (finished := os.waitpid(pid, os.WNOHANG))[0]:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked process's companion did not finish")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(finished[1]) == 0


# --------------------------------------------------------------- characters


def _long_words_companion(rng, ngram_range):
    """A companion of two classes whose ten words have 300 characters each."""
    words = ["<pad>", "<unk>"] + [
        "".join(rng.choice(list("abcdefghij"), size=300)) for _ in range(10)
    ]
    sequences, y = _labelled(60, 2)
    model = fit_ngrams(
        sequences,
        y,
        np.ones(60),
        ngram_range=ngram_range,
        n_vocab=N_VOCAB,
        n_classes=2,
        head="softmax",
        char_range=(2, 5),
        words=words,
    )
    return model, sequences


def _char_wb_grams(words, char_range):
    """Each word's set of n-gram strings, as scikit-learn's ``char_wb`` reads them."""
    analyzer = CountVectorizer(
        analyzer="char_wb", ngram_range=char_range, lowercase=False
    ).build_analyzer()
    # (scikit-learn also gives a padded word shorter than n, whole, as an
    # n-gram: only lengths it holds are kept)
    return [
        {gram for gram in analyzer(word) if len(gram) >= char_range[0]}
        if word
        else set()
        for word in words
    ]


@pytest.mark.parametrize(
    "char_range", [(1, 1), (2, 4), (2, 5), (3, 3), (1, 16), (9, 12)]
)
@pytest.mark.parametrize(
    "alphabet",
    [
        "abcde",
        # (and a lone surrogate, of text decoded with errors="surrogateescape")
        "aé中😀\x00\udce9",
        # more characters than the n-grams' lengths can pack into an int64
        "".join(map(chr, range(0x4E00, 0x4E00 + 5000))),
    ],
    ids=["ascii", "unicode", "many"],
)
def test_each_words_character_ngrams_are_those_of_char_wb(char_range, alphabet):
    rng = np.random.default_rng(0)
    letters = list(alphabet)
    words = ["".join(rng.choice(letters, size=rng.integers(1, 8))) for _ in range(300)]
    words[5] = ""  # a word that gets none
    words[7] = words[3]  # and a word twice
    indptr, indices = ngrams_module.char_ngram_map(words, char_range)
    expected = _char_wb_grams(words, char_range)
    # numbered in the order of their lengths, then of their code points
    grams = sorted(set().union(*expected), key=lambda g: (len(g), list(map(ord, g))))
    number = {gram: i for i, gram in enumerate(grams)}
    assert indptr[0] == 0 and len(indptr) == len(words) + 1
    for i, word_grams in enumerate(expected):
        assert_array_equal(
            indices[indptr[i] : indptr[i + 1]], sorted(number[g] for g in word_grams)
        )
    assert indptr[-1] == len(indices)


def test_where_the_character_ngrams_differ_from_char_wb():
    # as documented: a padded word shorter than min_n has none (char_wb
    # gives it whole), a word holding a space is one word (char_wb splits it)
    indptr, indices = ngrams_module.char_ngram_map(["ab", "a b", "abc"], (5, 5))
    assert_array_equal(indptr, [0, 0, 1, 2])
    assert_array_equal(indices, [0, 1])  # " a b " before " abc "
    char_wb = CountVectorizer(analyzer="char_wb", ngram_range=(5, 5))
    analyzer = char_wb.build_analyzer()
    assert analyzer("ab") == [" ab "]
    assert analyzer("a b") == [" a ", " b "]


@pytest.mark.parametrize("words", [[], [""], ["", "", ""]], ids=["none", "1", "3"])
def test_words_without_characters_have_an_empty_map(words):
    # Regression: no character n-gram at all (training documents none of
    # whose words is in the vocabulary) raised IndexError
    indptr, indices = ngrams_module.char_ngram_map(words, (2, 4))
    assert_array_equal(indptr, np.zeros(len(words) + 1))
    assert indptr.dtype == indices.dtype == np.int64 and len(indices) == 0


def test_a_documents_features_with_characters_are_its_ngrams_then_its_words():
    sequences, y = _labelled(60, 2)
    model = _companion(sequences, y, 2, chars=True)
    test = [*_sequences(30, seed=3), np.array([11, 10]), np.array([UNK_ID, PAD_ID])]
    X = ngram_features(model, test).toarray()
    n_keys = len(model.keys)
    assert model.n_features == n_keys + N_VOCAB
    assert_array_equal(
        X[:, :n_keys], ngram_features(_without_chars(model), test).toarray()
    )
    # then each known word's id, once however often it is there
    for seq, x in zip(test, X, strict=True):
        words = sorted({i for i in seq.tolist() if i > UNK_ID})
        assert_array_equal(np.flatnonzero(x[n_keys:]), words)


def _without_chars(model):
    """The companion's word n-grams alone, with their weights."""
    return dataclasses.replace(
        model,
        coef=model.coef[: len(model.keys)],
        scale=None if model.scale is None else model.scale[: len(model.keys)],
        char_range=None,
        char_coef=None,
        char_intercept=None,
        char_scale=None,
        char_C=None,
    )


def _char_part_rows(model, sequences, train):
    """The character part's rows, built from scikit-learn's ``char_wb`` n-grams.

    Each document's binary TF-IDF row of its word n-grams, then the sum of
    its distinct words' TF-IDF vectors of ``char_wb`` 2-4 grams divided by
    the square root of the sum of their squared norms, each section divided
    by ``sqrt(2)``; IDFs and n-grams those of the documents ``train``.
    """
    words_only = _without_chars(model)

    def text(seqs):
        return [
            " ".join({WORDS[i] for i in seq.tolist() if i > UNK_ID}) for seq in seqs
        ]

    word_idf = TfidfTransformer().fit(ngram_features(words_only, train)).idf_
    chars = CountVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), lowercase=False, binary=True
    ).fit(text(train))
    char_idf = TfidfTransformer().fit(chars.transform(text(train))).idf_
    vectors = chars.transform(WORDS).toarray() * char_idf
    vectors[: UNK_ID + 1] = 0
    X = ngram_features(words_only, sequences).toarray()
    held = np.zeros((len(sequences), N_VOCAB))
    for row, seq in zip(held, sequences, strict=True):
        row[seq] = 1
    sums = held @ vectors
    norms = np.sqrt(held @ np.square(vectors).sum(axis=1))
    norms[norms == 0] = 1
    words_part = X * word_idf
    word_norms = np.linalg.norm(words_part, axis=1)
    word_norms[word_norms == 0] = 1
    return np.hstack([words_part / word_norms[:, None], sums / norms[:, None]]) / (
        np.sqrt(2)
    )


@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_character_part_is_a_regression_of_its_words_char_wb_vectors(
    monkeypatch, n_classes
):
    # fitted to convergence, the part's decisions are those of scikit-learn's
    # logistic regression on the rows that _char_part_rows builds by hand
    monkeypatch.setattr(ngrams_module, "TOL", 1e-10)
    monkeypatch.setattr(ngrams_module, "MAX_ITER", 100_000)
    sequences, y = _labelled(60, n_classes)
    # id 11 ("okay") is in no training document: it has those of its n-grams
    # that training words have ("ok", " o", " ok", "y ")
    sequences = [seq[seq != 11] for seq in sequences]
    model = _companion(sequences, y, n_classes, chars=True)
    test = [*_sequences(30, seed=3), np.array([11]), np.array([11, 10])]
    rows = _char_part_rows(model, sequences, sequences)
    targets = (y == 1)[:, None] if n_classes == 2 else y[:, None] == np.arange(3)
    expected = np.column_stack(
        [
            LogisticRegression(
                C=model.char_C,
                solver="liblinear",
                dual=True,
                tol=1e-10,
                max_iter=100_000,
            )
            .fit(rows, column)
            .decision_function(_char_part_rows(model, test, sequences))
            for column in targets.T
        ]
    )
    coef, intercept, scale, split = model.parts[1]
    assert split == len(model.keys)
    decision = ngrams_module._decisions(
        ngram_features(model, test), coef, intercept, scale, split
    )
    assert_allclose(decision, expected, atol=1e-6)
    # Regression: "okay" had no characters (session 20, probe 20c)
    assert coef[split + 11].any()


def test_the_character_parts_weights_give_the_decisions_of_its_rows(monkeypatch):
    # The rows that liblinear fits, times its weights, plus its intercept,
    # are the decisions that _decisions gives from the part's weights by
    # sections, for every document of the fit: weights of 0 and other than
    # 1, a word without character n-grams (id 10's, taken away), documents
    # without words or without n-grams, and a label never on (its prior).
    fitted = []
    regression = ngrams_module._regression

    def spy(rows, positive, sample_weight, C):
        weights, intercept = regression(rows, positive, sample_weight, C)
        fitted.append((rows, weights, intercept))
        return weights, intercept

    sequences, _ = _labelled(60, 3)
    sequences += [np.array([10]), np.array([10, 10, 4]), np.array([], int)]
    sequences += [np.array([UNK_ID, PAD_ID])]
    model = _companion(sequences, np.arange(64) % 3, 3, chars=True)
    monkeypatch.setattr(ngrams_module, "_regression", spy)
    X = ngram_features(model, sequences)
    grams = sp.lil_matrix(_char_grams(sequences))
    grams[10] = 0
    targets = np.column_stack([np.arange(64) % 3 == 0, np.arange(64) % 2 == 0])
    targets = np.column_stack([targets, np.zeros(64, bool)])
    weights = np.random.default_rng(0).choice([0.0, 0.5, 1.0, 3.0], size=64)
    split = len(model.keys)
    coef, intercept, scale = ngrams_module._fit_char_columns(
        X, targets, weights, 3.0, split=split, grams=sp.csr_matrix(grams)
    )
    assert len(fitted) == 2
    assert scale[split + 10] == 0 and not coef[split + 10].any()
    for j, (rows, w, b) in enumerate(fitted):
        decision = ngrams_module._decisions(
            X, coef[:, [j]], intercept[[j]], scale, split
        )
        assert_allclose(decision[:, 0], rows @ w + b, rtol=1e-12, atol=1e-12)
    assert not coef[:, 2].any()
    assert intercept[2] == np.log(0.5 / (weights.sum() + 0.5))


def test_characters_join_words_that_share_them():
    # "good" is one class's, "bad" the other's; "goods" and "badly" are in a
    # document of each: their words say nothing of the class, and their
    # characters, those of "good" and "bad", say which
    sequences = [np.array([2])] * 20 + [np.array([4])] * 20 + [np.array([3, 5])] * 2
    y = np.array([1] * 20 + [0] * 20 + [1, 0])
    words = _companion(sequences, y, 2)
    chars = _companion(sequences, y, 2, chars=True)
    test = [np.array([3]), np.array([5])]
    assert_allclose(np.exp(ngram_logits(words, test))[:, 1], 0.5, atol=0.05)
    assert_array_equal(ngram_logits(chars, test).argmax(axis=1), [1, 0])


def test_the_characters_are_a_second_part_blended_with_the_first():
    sequences, y = _labelled(60, 3)
    words = _companion(sequences, y, 3)
    chars = _companion(sequences, y, 3, chars=True)
    n_keys = len(chars.keys)
    # the naive Bayes part is the words' companion, with no weight on characters
    assert_array_equal(chars.keys, words.keys)
    assert_array_equal(chars.coef[:n_keys], words.coef)
    assert not chars.coef[n_keys:].any()
    assert chars.C == words.C
    # the character part: its C of CHAR_C_GRID, weights on the word n-grams
    # and on the ids, squared IDFs for the word n-grams
    assert chars.char_C in ngrams_module.CHAR_C_GRID
    assert chars.char_coef[n_keys:].any() and chars.char_coef[:n_keys].any()
    X = ngram_features(chars, sequences)
    assert_allclose(chars.char_scale[:n_keys], _idf(X[:, :n_keys]) ** 2)
    # the companion's log-probabilities: the parts' normalised geometric mean
    first = ngram_logits(words, sequences)
    second = ngrams_module._as_logits(
        ngrams_module._decisions(X, *chars.parts[1]), "softmax"
    )
    mean = (np.exp(first) * np.exp(second)) ** 0.5
    assert_allclose(
        np.exp(ngram_logits(chars, sequences)),
        mean / mean.sum(axis=1, keepdims=True),
        rtol=1e-12,
    )


def _idf(X):
    """scikit-learn's smooth inverse document frequencies of binary rows."""
    return np.log((1 + X.shape[0]) / (1 + np.asarray(X.sum(axis=0)).ravel())) + 1


@pytest.mark.parametrize(
    "char_range",
    [(0, 2), (3, 2), (1, 17), (True, 2), (1.5, 2), (1,), "ab", None, (1, 2, 3)],
)
def test_bad_character_ranges_are_refused(char_range):
    with pytest.raises(ValueError, match="char_ngram_range must be"):
        ngrams_module.check_char_range(char_range)


def test_the_longest_character_range_is_accepted():
    assert ngrams_module.check_char_range((1, ngrams_module.MAX_CHAR_N)) == (
        1,
        ngrams_module.MAX_CHAR_N,
    )
    assert ngrams_module.check_char_range([np.int64(2), 5.0]) == (2, 5)


def test_a_document_of_long_words_is_looked_up_in_bounded_memory():
    # a word's characters are its id's at prediction: its thousand character
    # n-grams cost nothing there
    rng = np.random.default_rng(4)
    model, sequences = _long_words_companion(rng, ngram_range=(1, 2))
    documents = [rng.integers(2, N_VOCAB, size=4_000), *sequences[:100]]
    tracemalloc.start()
    try:
        logits = ngram_logits(model, documents)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20
    assert_allclose(logits[1:], ngram_logits(model, sequences[:100]))


def test_training_documents_characters_take_memory_of_their_words():
    # a word's character n-grams, some 950 of them here, are present once in
    # a document however often the word is: its fit neither lists them for
    # each token nor keeps more than the features
    rng = np.random.default_rng(5)
    words = ["<pad>", "<unk>"] + [
        "".join(rng.choice(list("abcdefghij"), size=300)) for _ in range(10)
    ]
    sequences = [np.repeat(rng.integers(2, 12, size=5), 100) for _ in range(10)]
    y = np.arange(10) % 2
    tracemalloc.start()
    try:
        model = fit_ngrams(
            sequences,
            y,
            np.ones(10),
            ngram_range=(1, 1),
            n_vocab=12,
            n_classes=2,
            head="softmax",
            char_range=(2, 5),
            words=words,
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20  # 4,750,000 occurrences: some 250 MB at once
    assert model.char_coef.shape == (len(model.keys) + 12, 1)


def test_a_companion_with_characters_is_deterministic_and_pickles():
    sequences, y = _labelled(60, 3)
    model = _companion(sequences, y, 3, chars=True)
    again = _companion(sequences, y, 3, chars=True)
    for field in ("keys", "coef", "intercept", "char_coef", "char_scale"):
        assert_array_equal(getattr(model, field), getattr(again, field))
    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.char_range == (2, 4)
    assert_array_equal(ngram_logits(loaded, sequences), ngram_logits(model, sequences))


def test_a_pickled_companion_of_character_unions_is_refused():
    # session 20's development version kept each word's character n-grams
    # and read their union; its weights mean nothing to the sums
    sequences, y = _labelled(60, 2)
    model = _companion(sequences, y, 2, chars=True)
    state = {
        **model.__getstate__(),
        "char_indptr": np.zeros(N_VOCAB + 1, np.int64),
        "char_indices": np.zeros(0, np.int64),
    }
    old = NgramModel.__new__(NgramModel)
    with pytest.raises(ValueError, match="Refit the model"):
        old.__setstate__(state)
    # one of that version without characters loads
    words = _companion(sequences, y, 2)
    state = {**words.__getstate__(), "char_indptr": None, "char_indices": None}
    old.__setstate__(state)
    assert not hasattr(old, "char_indptr")
    assert_array_equal(ngram_logits(old, sequences), ngram_logits(words, sequences))


def test_the_character_part_takes_the_words_tf_idf_choice_of_C(monkeypatch):
    # each C of CHAR_C_GRID (not IDF_C_GRID's) on each of the 3 folds, by
    # the word n-grams' TF-IDF regressions (not the character part's own
    # fit), then the character part's one fit at the chosen one
    tried, fitted = [], []
    fit_columns, fit_chars = ngrams_module._fit_columns, ngrams_module._fit_char_columns

    def columns_spy(X, targets, sample_weight, C, norms=False, weighting="nb"):
        if weighting == "idf":
            tried.append((C, X.shape[1]))
        return fit_columns(X, targets, sample_weight, C, norms, weighting)

    def chars_spy(X, targets, sample_weight, C, **kwargs):
        fitted.append(C)
        return fit_chars(X, targets, sample_weight, C, **kwargs)

    monkeypatch.setattr(ngrams_module, "_fit_columns", columns_spy)
    monkeypatch.setattr(ngrams_module, "_fit_char_columns", chars_spy)
    monkeypatch.setattr(ngrams_module, "CHAR_C_GRID", (7.0, 70.0))
    sequences, y = _labelled(60, 3)
    model = _companion(sequences, y, 3, chars=True)
    n_keys = len(model.keys)
    # the naive Bayes part's grid first, then the character part's C
    words = [C for C, n_features in tried if n_features == n_keys]
    assert words[-6:] == [7.0] * 3 + [70.0] * 3
    assert model.char_C in (7.0, 70.0) and fitted == [model.char_C]
    expected = ngrams_module._select_C(
        ngram_features(_without_chars(model), sequences),
        y[:, None] == np.arange(3),
        np.ones(60),
        y,
        "softmax",
        weightings=("idf",),
        idf_grid=(7.0, 70.0),
    )
    assert model.char_C == expected[1]


@pytest.mark.parametrize(
    ("best", "fitted"),
    [(3.0, {3.0, 30.0}), (30.0, {3.0, 30.0, 300.0}), (300.0, {3.0, 30.0, 300.0})],
)
def test_the_character_parts_grid_stops_past_its_best(monkeypatch, best, fitted):
    # Each C's regression predicts one class for all: the right one (80 % of
    # the documents) for ``best`` only.  The character part's C is tried
    # from the smallest up and no larger one is fitted once one scores below
    # the best before it; the naive Bayes part tries its whole grid.
    y = np.array([1] * 40 + [0] * 10)
    X = sp.csr_matrix(np.ones((50, 1)))
    seen = []

    def stub(X, targets, sample_weight, C, norms=False, weighting="nb"):
        seen.append(C)
        return np.zeros((1, 1)), np.array([1.0 if best == C else -1.0]), None

    monkeypatch.setattr(ngrams_module, "_fit_columns", stub)
    targets = (y == 1)[:, None]
    weighting, C = ngrams_module._select_C(
        X, targets, np.ones(50), y, "softmax", weightings=("idf",)
    )
    assert (weighting, C) == ("idf", best)
    assert set(seen) == fitted and len(seen) == 3 * len(fitted)
    seen.clear()
    ngrams_module._select_C(X, targets, np.ones(50), y, "softmax", norms=True)
    assert set(seen) == {*NORMS_C_GRID, *IDF_C_GRID}
