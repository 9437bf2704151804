"""Characters in the companion from its vocabulary's words: which design pays?

Usage::

    python benchmarks/char_vocabulary.py --corpora sst2,sst5
    python benchmarks/char_vocabulary.py --corpora trec,mr --repeats 2 --folds 3

The companion reads token ids, so the characters it could read are those of
its vocabulary's words: a word unknown to the vocabulary would lose them.
This looks at what that costs and how the characters are best combined,
before building anything, on the selection protocol's splits
(``selection.py``: training data only, stratified K-fold repeated with
``random_state`` = repeat).  On each split, skrnn's defaults are fitted once
(without characters, ``char_ngram_range=None``);
the network's and the companion's probabilities are read from that fit, and
blended as the fit blends them (geometric, the n-gram part at the fitted
``ngram_weight_``).  Candidates:

* ``defaults``: the fitted model's own ``predict_proba``;
* ``+ raw chars``: the n-gram part the geometric mean of the companion and
  scikit-learn's logistic regression on sublinear TF-IDF rows of the raw
  text's word 1-2 grams and ``char_wb`` 2-5 grams (``C`` by inner 3-fold CV
  over 1, 10, 100): ``char_companion.py``'s three-way blend;
* ``+ vocabulary chars``: the same model on the text as the vocabulary reads
  it (each document's known tokens, joined by spaces);
* ``+ vocabulary words``: the same without the characters (word 1-2
  grams of the known tokens), to tell the characters' share from that of a
  second model of the words;
* ``+ binary chars``: ``+ vocabulary chars`` on binary TF-IDF rows (the
  presence of each n-gram, as the companion reads them), and ``..., one-vs-rest``
  with liblinear's one-vs-rest regressions, as the companion fits them;
* ``+ NB chars``: the companion and a second NBSVM, fitted by the
  companion's own code (``_select_C``, ``_fit_columns``) on the binary
  presence of the known words' ``char_wb`` 2-5 grams;
* ``joint NB``: one NBSVM on the companion's word n-grams and those
  character n-grams side by side, in place of the companion.

The table gives each candidate's mean validation accuracy and its mean
difference from the defaults with the standard error of the paired
differences (about two of them tell a difference apart).
"""

import numpy as np
import scipy.sparse as sp
from char_companion import blend, char_model
from selection import compare, comparison_parser
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline, make_union

from skrnn import RNNTextClassifier
from skrnn._ngrams import (
    C_GRID,
    IDF_C_GRID,
    NORMS_C_GRID,
    _as_logits,
    _decisions,
    _fit_columns,
    _select_C,
    ngram_features,
)

#: The candidates that ``--own`` runs: the companion's own code only.
OWN = ("defaults", "joint NB", "joint NB, norms", "joint IDF", "+ IDF part")

CANDIDATES = (
    "defaults",
    "+ raw chars",
    "+ vocabulary chars",
    "+ vocabulary words",
    "+ binary chars",
    "+ binary chars, one-vs-rest",
    "+ NB chars",
    "joint NB",
    "joint NB, norms",
    "joint IDF",
    "+ IDF part",
)


def tfidf_model(binary: bool = False, ovr: bool = False, chars: bool = True):
    """``char_model``'s logistic regression, on binary rows or one-vs-rest.

    Without ``chars``, on the word 1-2 grams only.
    """
    parts = [TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, binary=binary)]
    if chars:
        parts.append(
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, binary=binary
            )
        )
    regression = LogisticRegression(max_iter=2000)
    if ovr:
        regression = OneVsRestClassifier(
            LogisticRegression(solver="liblinear", max_iter=2000)
        )
    pipe = Pipeline([("features", make_union(*parts)), ("model", regression)])
    C = "model__estimator__C" if ovr else "model__C"
    return GridSearchCV(pipe, {C: [1, 10, 100]}, cv=3)


def vocabulary_text(model, X) -> list[str]:
    """Each document as the vocabulary reads it: its known tokens, joined."""
    names = model.vectorizer_.get_feature_names_out()
    return [" ".join(names[ids[ids > 1]]) for ids in model.vectorizer_.transform(X)]


def nb_probabilities(
    X_train, X_val, y_train, n_classes, norms=None, weighting=None
) -> np.ndarray:
    """An NBSVM of the companion's own code on the given binary features.

    ``norms`` None: for two classes only, as the companion; ``weighting``
    None: chosen as the companion chooses it, else that weighting with ``C``
    by the inner CV.
    """
    if n_classes == 2:
        targets = (y_train == 1)[:, None]
    else:
        targets = y_train[:, None] == np.arange(n_classes)
    weight = np.ones(len(y_train))
    norms = targets.shape[1] == 1 if norms is None else norms
    if weighting is None:
        weighting, C = _select_C(X_train, targets, weight, y_train, "softmax", norms)
    else:
        C = _forced_C(X_train, targets, y_train, norms, weighting)
    coef, intercept, scale = _fit_columns(X_train, targets, weight, C, norms, weighting)
    return np.exp(_as_logits(_decisions(X_val, coef, intercept, scale), "softmax"))


def _forced_C(X, targets, y, norms, weighting) -> float:
    """``C`` of the weighting's grid by unshuffled stratified 3-fold CV accuracy."""
    grid = IDF_C_GRID if weighting == "idf" else NORMS_C_GRID if norms else C_GRID
    scores = np.zeros(len(grid))
    for train, test in StratifiedKFold(3).split(np.zeros(len(y)), y):
        for i, C in enumerate(grid):
            coef, intercept, scale = _fit_columns(
                X[train], targets[train], np.ones(len(train)), C, norms, weighting
            )
            decision = _decisions(X[test], coef, intercept, scale)
            if decision.shape[1] == 1:
                predicted = (decision[:, 0] > 0).astype(int)
            else:
                predicted = decision.argmax(axis=1)
            scores[i] += np.mean(predicted == y[test])
    return float(grid[int(np.argmax(scores))])


def split_scores(X, y, train, val, seed, own=False) -> dict:
    """Each candidate's validation accuracy on one split (``own``: of OWN only)."""
    X_train, X_val = [X[i] for i in train], [X[i] for i in val]
    model = RNNTextClassifier(random_state=seed, char_ngram_range=None).fit(
        X_train, y[train]
    )
    classes = model.classes_
    y_train = np.searchsorted(classes, y[train])
    w = model.ngram_weight_
    fitted = model.predict_proba(X_val)
    network = model.set_params(ngram_weight=0.0).predict_proba(X_val)
    companion = model.set_params(ngram_weight=1.0).predict_proba(X_val)
    text_train, text_val = (
        vocabulary_text(model, X_train),
        vocabulary_text(model, X_val),
    )
    probabilities = {"defaults": fitted}
    if not own:
        raw = char_model().fit(X_train, y[train]).predict_proba(X_val)
        vocab = char_model().fit(text_train, y[train]).predict_proba(text_val)
        probabilities["+ raw chars"] = blend(
            [(network, 1 - w), (companion, w / 2), (raw, w / 2)]
        )
        probabilities["+ vocabulary chars"] = blend(
            [(network, 1 - w), (companion, w / 2), (vocab, w / 2)]
        )
        for name, model_ in (
            ("+ vocabulary words", tfidf_model(chars=False)),
            ("+ binary chars", tfidf_model(binary=True)),
            ("+ binary chars, one-vs-rest", tfidf_model(binary=True, ovr=True)),
        ):
            p = model_.fit(text_train, y[train]).predict_proba(text_val)
            probabilities[name] = blend(
                [(network, 1 - w), (companion, w / 2), (p, w / 2)]
            )
    chars = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), binary=True)
    C_train = chars.fit_transform(text_train).astype(float).tocsr()
    C_val = chars.transform(text_val).astype(float).tocsr()
    if not own:
        nb_chars = nb_probabilities(C_train, C_val, y_train, len(classes))
        probabilities["+ NB chars"] = blend(
            [(network, 1 - w), (companion, w / 2), (nb_chars, w / 2)]
        )
    companion_model = model._fitted.ngrams
    seq_train = model.vectorizer_.transform(X_train)
    seq_val = model.vectorizer_.transform(X_val)
    W_train = ngram_features(companion_model, seq_train)
    W_val = ngram_features(companion_model, seq_val)
    J_train = sp.hstack([W_train, C_train]).tocsr()
    J_val = sp.hstack([W_val, C_val]).tocsr()
    n = len(classes)
    joint = nb_probabilities(J_train, J_val, y_train, n)
    probabilities["joint NB"] = blend([(network, 1 - w), (joint, w)])
    normed = nb_probabilities(J_train, J_val, y_train, n, norms=True, weighting="nb")
    probabilities["joint NB, norms"] = blend([(network, 1 - w), (normed, w)])
    idf = nb_probabilities(J_train, J_val, y_train, n, norms=True, weighting="idf")
    probabilities["joint IDF"] = blend([(network, 1 - w), (idf, w)])
    probabilities["+ IDF part"] = blend(
        [(network, 1 - w), (companion, w / 2), (idf, w / 2)]
    )
    truth = y[val]
    return {
        name: 100 * float(np.mean(classes[p.argmax(axis=1)] == truth))
        for name, p in probabilities.items()
    }


def main(argv=None) -> None:
    parser = comparison_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--own", action="store_true", help="only the companion's own code's candidates"
    )
    args = parser.parse_args(argv)

    def scores(X, y, train, val, seed):
        return split_scores(X, y, train, val, seed, args.own)

    compare(args, scores, OWN if args.own else CANDIDATES)


if __name__ == "__main__":
    main()
