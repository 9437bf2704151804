"""Characters the companion can look up by word: which normalisation keeps the gain?

Usage::

    python benchmarks/char_blocks.py --corpora trec,sst2
    python benchmarks/char_blocks.py --corpora sst5,mr --repeats 2 --folds 3

``char_ngram_range`` (session 20) adds a second part to the companion: a
logistic regression on binary TF-IDF rows of the document's word n-grams
and the union of its words' character n-grams, one L2 norm over both.  The
union is what costs: a document's character n-grams must be gathered,
sorted and deduplicated at every prediction (SST-2's test set: 30 ms
against 4 ms for the words alone), because a word's n-grams shared with
another word of the document count once.  A row that is a **sum over the
document's distinct words** of a vector per word can instead be looked up:
its decision is the sum of each word's precomputed decision, a gather of
one row a word.  This compares, on the selection protocol's splits
(``selection.py``: training data only; skrnn's defaults without characters
(``char_ngram_range=None``) fitted once a
split, the candidates blended with its network and word companion as the
fit blends them, the character part at half of ``ngram_weight_``):

* ``defaults``: the fitted model's own ``predict_proba``;
* ``+ IDF part``: today's ``char_ngram_range=(2, 5)`` part, by the
  companion's own code (``_select_C``, ``_fit_columns``);
* ``blocks, union``: the word n-grams and the characters' union as two
  blocks, each its own TF-IDF row of norm 1 (the two divided by sqrt(2)), as
  scikit-learn's ``make_union`` of two vectorizers would give; not
  decomposable, it tells what separate norms cost;
* ``blocks, sum``: the character block the sum of the document's distinct
  words' IDF-weighted character vectors, divided by the square root of the
  sum of their squared norms (the union's norm were no two words to share
  an n-gram): decomposable;
* ``blocks, unit words``: each word's vector of norm 1, their sum divided by
  the square root of their number: decomposable;
* ``blocks, sum, C=30``: ``blocks, sum`` at ``C=30``, without the inner CV;
* ``one norm, sum``: ``+ IDF part`` with the characters' union replaced by
  ``blocks, sum``'s sum, one norm over the row: the square root of the word
  n-grams' squared IDFs plus the words' squared norms: decomposable.

Each part's ``C`` is chosen as the companion's character part chooses it
(unshuffled stratified 3-fold CV over 3, 30, 300 from the smallest up,
stopping at the first that scores below the best before it).  The table
gives each candidate's mean validation accuracy, its paired difference from
the defaults with the standard error, its fit seconds (features, inner CV
and final fit) and the seconds of its decisions for the validation
documents (from token ids, as prediction would compute them).
"""

import time

import numpy as np
import scipy.sparse as sp
from char_companion import blend
from selection import compare, comparison_parser
from sklearn.model_selection import StratifiedKFold

from skrnn import RNNTextClassifier
from skrnn._ngrams import (
    IDF_C_GRID,
    _as_logits,
    _decisions,
    _features,
    _fit_columns,
    _regression,
    _select_C,
    _training_chars,
    ngram_features,
)
from skrnn._text import PAD_ID

CANDIDATES = (
    "defaults",
    "+ IDF part",
    "blocks, union",
    "blocks, sum",
    "blocks, unit words",
    "blocks, sum, C=30",
    "one norm, sum",
)
CHAR_RANGE = (2, 5)


def held(sequences, n_vocab: int) -> sp.csr_matrix:
    """The binary presence of each id in each document (distinct ids)."""
    lengths = np.fromiter(map(len, sequences), np.intp, len(sequences))
    flat = np.concatenate(sequences).astype(np.int64)
    doc = np.repeat(np.arange(len(sequences)), lengths)
    return _features(
        doc, np.where(flat < n_vocab, flat, PAD_ID), len(sequences), n_vocab
    )


def union(indptr, indices, sequences) -> sp.csr_matrix:
    """The binary presence of the documents' words' character n-grams."""
    n_vocab = len(indptr) - 1
    grams = sp.csr_matrix(
        (np.ones(len(indices)), indices, indptr),
        shape=(n_vocab, int(indices.max(initial=-1)) + 1),
    )
    X = (held(sequences, n_vocab) @ grams).tocsr()
    X.data[:] = 1.0
    return X


def idf(X: sp.csr_matrix) -> np.ndarray:
    """scikit-learn's smooth IDF of binary rows ``X``."""
    df = np.asarray((X > 0).sum(axis=0)).ravel()
    return np.log((1 + X.shape[0]) / (1 + df)) + 1


def l2_rows(X: sp.csr_matrix) -> sp.csr_matrix:
    """``X`` with each row divided by its norm (rows of norm 0 unchanged)."""
    norm = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norm[norm == 0] = 1
    return sp.csr_matrix(sp.diags(1 / norm) @ X)


def ovr_fit(F: sp.csr_matrix, targets: np.ndarray, C: float):
    """One liblinear logistic regression per column of ``targets``, as the companion."""
    coef = np.zeros((F.shape[1], targets.shape[1]))
    intercept = np.zeros(targets.shape[1])
    for j, positive in enumerate(targets.T):
        coef[:, j], intercept[j] = _regression(F, positive, np.ones(len(positive)), C)
    return coef, intercept


def ovr_select(F: sp.csr_matrix, targets: np.ndarray, y: np.ndarray) -> float:
    """``C`` as the character part chooses it: ascending, stop past the best."""
    folds = list(StratifiedKFold(3).split(np.zeros(len(y)), y))
    scores = []
    for C in IDF_C_GRID:
        score = 0.0
        for train, test in folds:
            coef, intercept = ovr_fit(F[train], targets[train], C)
            decision = F[test] @ coef + intercept
            if decision.shape[1] == 1:
                predicted = (decision[:, 0] > 0).astype(int)
            else:
                predicted = decision.argmax(axis=1)
            score += np.mean(predicted == y[test]) / len(folds)
        scores.append(score)
        if len(scores) > 1 and score < max(scores[:-1]):
            break
    return float(IDF_C_GRID[int(np.argmax(scores))])


def char_rows(H, G, unit: bool):
    """The decomposable character block: the sum of the documents' words' rows.

    ``G`` holds each id's IDF-weighted character vector; with ``unit`` each is
    first divided by its norm and the sum by the square root of the number
    of words that have one, else the sum by the square root of the sum of
    their squared norms.
    """
    squares = np.asarray(G.multiply(G).sum(axis=1)).ravel()
    if unit:
        norm = np.sqrt(squares)
        norm[norm == 0] = 1
        G = sp.csr_matrix(sp.diags(1 / norm) @ G)
        squares = (squares > 0).astype(float)
    total = np.sqrt(H @ squares)
    total[total == 0] = 1
    return sp.csr_matrix(sp.diags(1 / total) @ (H @ G)), G, squares


def split_scores(X, y, train, val, seed) -> dict:
    """Each candidate's accuracy, fit and decision seconds on one split."""
    X_train, X_val = [X[i] for i in train], [X[i] for i in val]
    model = RNNTextClassifier(random_state=seed, char_ngram_range=None).fit(
        X_train, y[train]
    )
    classes = model.classes_
    y_train = np.searchsorted(classes, y[train])
    n = len(classes)
    targets = (y_train == 1)[:, None] if n == 2 else y_train[:, None] == np.arange(n)
    w = model.ngram_weight_
    fitted = model.predict_proba(X_val)
    network = model.set_params(ngram_weight=0.0).predict_proba(X_val)
    companion = model.set_params(ngram_weight=1.0).predict_proba(X_val)
    words = model.vectorizer_.get_feature_names_out()
    n_vocab = len(words)
    cm = model._fitted.ngrams
    seq_train = model.vectorizer_.transform(X_train)
    seq_val = model.vectorizer_.transform(X_val)
    ones = np.ones(len(y_train))
    out = {"defaults": (fitted, 0.0, 0.0)}

    begin = time.perf_counter()
    W_train = ngram_features(cm, seq_train)
    indptr, indices = _training_chars(seq_train, words, CHAR_RANGE)
    U_train = union(indptr, indices, seq_train)
    J = sp.hstack([W_train, U_train], "csr")
    _, C = _select_C(J, targets, ones, y_train, "softmax", weightings=("idf",))
    part = _fit_columns(J, targets, ones, C, weighting="idf")
    fit_s = time.perf_counter() - begin
    begin = time.perf_counter()
    J_val = sp.hstack(
        [ngram_features(cm, seq_val), union(indptr, indices, seq_val)], "csr"
    )
    decision = _decisions(J_val, *part)
    out["+ IDF part"] = (decision, fit_s, time.perf_counter() - begin)

    n_chars = int(indices.max(initial=-1)) + 1
    grams = sp.csr_matrix(
        (np.ones(len(indices)), indices, indptr), shape=(n_vocab, n_chars)
    )
    idf_w, idf_c = idf(W_train), idf(U_train)

    def words_block(W):
        return l2_rows(sp.csr_matrix(W.multiply(idf_w)))

    begin = time.perf_counter()
    F = sp.hstack(
        [words_block(W_train), l2_rows(sp.csr_matrix(U_train.multiply(idf_c)))], "csr"
    ) / np.sqrt(2)
    C = ovr_select(F, targets, y_train)
    coef, intercept = ovr_fit(F, targets, C)
    fit_s = time.perf_counter() - begin
    begin = time.perf_counter()
    U_val = union(indptr, indices, seq_val)
    F_val = sp.hstack(
        [
            words_block(ngram_features(cm, seq_val)),
            l2_rows(sp.csr_matrix(U_val.multiply(idf_c))),
        ],
        "csr",
    ) / np.sqrt(2)
    out["blocks, union"] = (
        F_val @ coef + intercept,
        fit_s,
        time.perf_counter() - begin,
    )

    G = sp.csr_matrix(grams.multiply(idf_c))
    for name, unit, fixed in (
        ("blocks, sum", False, None),
        ("blocks, unit words", True, None),
        ("blocks, sum, C=30", False, 30.0),
    ):
        begin = time.perf_counter()
        H_train = held(seq_train, n_vocab)
        rows, G_used, squares = char_rows(H_train, G, unit)
        F = sp.hstack([words_block(W_train), rows], "csr") / np.sqrt(2)
        C = fixed if fixed is not None else ovr_select(F, targets, y_train)
        coef, intercept = ovr_fit(F, targets, C)
        n_words = W_train.shape[1]
        # each id's decision of its characters, looked up at prediction
        per_id = G_used @ coef[n_words:] / np.sqrt(2)
        fit_s = time.perf_counter() - begin
        begin = time.perf_counter()
        H_val = held(seq_val, n_vocab)
        total = np.sqrt(H_val @ squares)
        total[total == 0] = 1
        decision = (
            words_block(ngram_features(cm, seq_val)) @ coef[:n_words] / np.sqrt(2)
            + (H_val @ per_id) / total[:, None]
            + intercept
        )
        out[name] = (decision, fit_s, time.perf_counter() - begin)

    begin = time.perf_counter()
    H_train = held(seq_train, n_vocab)
    squares = np.asarray(G.multiply(G).sum(axis=1)).ravel()
    W_idf = sp.csr_matrix(W_train.multiply(idf_w))
    total = np.sqrt(W_train @ idf_w**2 + H_train @ squares)
    total[total == 0] = 1
    F = sp.csr_matrix(sp.diags(1 / total) @ sp.hstack([W_idf, H_train @ G], "csr"))
    C = ovr_select(F, targets, y_train)
    coef, intercept = ovr_fit(F, targets, C)
    n_words = W_train.shape[1]
    per_word = coef[:n_words] * idf_w[:, None]
    per_id = G @ coef[n_words:]
    fit_s = time.perf_counter() - begin
    begin = time.perf_counter()
    W_val, H_val = ngram_features(cm, seq_val), held(seq_val, n_vocab)
    total = np.sqrt(W_val @ idf_w**2 + H_val @ squares)
    total[total == 0] = 1
    decision = (W_val @ per_word + H_val @ per_id) / total[:, None] + intercept
    out["one norm, sum"] = (decision, fit_s, time.perf_counter() - begin)

    truth = y[val]
    result = {}
    for name, (value, fit_s, predict_s) in out.items():
        if name == "defaults":
            p = value
        else:
            part_p = np.exp(_as_logits(value, "softmax"))
            p = blend([(network, 1 - w), (companion, w / 2), (part_p, w / 2)])
        accuracy = 100 * float(np.mean(classes[p.argmax(axis=1)] == truth))
        result[name] = (accuracy, fit_s, 1e3 * predict_s)
    return result


def main(argv=None) -> None:
    args = comparison_parser(__doc__.splitlines()[0]).parse_args(argv)
    compare(
        args,
        split_scores,
        CANDIDATES,
        extra=("part's fit s", "part's decisions ms"),
    )


if __name__ == "__main__":
    main()
