"""The companion with many classes: one-vs-rest NBSVM against multinomial models.

Usage::

    python benchmarks/many_classes.py
    python benchmarks/many_classes.py --corpora docstrings20,topics20,trec,sst5 \\
        --weights 0.5,0.7,0.8

On the splits of ``selection.py`` (training data only; 2 repeats x 3-fold
stratified CV, ``random_state`` = repeat), one network
(``RNNTextClassifier(ngram_range=None)``) is fitted per split, and beside it
several n-gram companions on the network's own token ids (the binary
uni- and bigram features of ``skrnn._ngrams``):

* ``OvR NBSVM``: the package's companion (``fit_ngrams``: one-vs-rest
  NB-scaled liblinear models, ``C`` in ``C_GRID`` chosen on the
  ``CV_COLUMNS`` most frequent classes' models, normalised sigmoids);
* ``OvR NBSVM, C on all classes``: the same with ``C`` chosen on every
  class's model (``CV_COLUMNS=None``);
* ``OvR LR, tf-idf rows``: the binary features times their smoothed idf
  (``TfidfTransformer``'s, fitted on the training documents), each row
  scaled to unit length, one liblinear ``LogisticRegression`` per class (the
  package's solver and tolerance) and the package's normalised sigmoids,
  ``C`` in :data:`TFIDF_GRID` by inner 3-fold CV over all classes
  (unshuffled stratified folds, the first best on ties);
* ``OvR NBSVM x OvR LR, tf-idf rows``: the two companions' normalised
  geometric mean (the two fits above, nothing more);
* ``multinomial LR, tf-idf rows, C=10``: one softmax ``LogisticRegression``
  (lbfgs) on the same tf-idf rows, ``C`` fixed at 10 (chosen by inner CV
  among 1, 10 and 100 it cost 39 s a fit on ``topics20`` and scored no
  better).

On the plain binary features (no idf, rows unscaled or scaled to unit
length) the softmax model lost to the package's companion on every corpus
(one split: ``topics20`` 55.6 % and 57.5 % against 80.0 %) at many
times its fit time (50 to 260), so it is not among the rows.

``--tfidf-grid`` sets the ``C`` values of ``OvR LR, tf-idf rows`` (one
value: no inner CV);
``--no-multinomial`` leaves the softmax model out.  Each
is scored alone and blended with the network by the package's default
(normalised geometric) blend at each ``--weights`` value, paired against the
package's companion at 0.7 (the default), with its fit seconds.  Beside
them, ``TF-IDF + LR``: ``accuracy.py``'s bag-of-words baseline
(``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)`` +
``LogisticRegression(C=10)``) on the raw text of the same splits.

Corpora: ``selection.py``'s (``trec``, ``sst5``, ``sst2``, ``mr``) and two of
many classes:

* ``docstrings20``: real English text in 20 topical classes, built from the
  installed libraries' docstrings (the description above the first section
  heading, at most :data:`DOC_WORDS` words, of the public functions, classes
  and methods of 20 subpackages such as ``scipy.signal``,
  ``sklearn.cluster``, ``sympy.polys``, ``torch.optim``; at most
  :data:`DOC_PER_CLASS` a class, texts found in two classes left out).  The
  corpus depends on the installed versions; the script prints its size.
* ``topics20``: a synthetic corpus of 20 topics in 5 groups of 4 (1,600
  documents of 20 to 80 words: Zipf-distributed common words, then words of
  the topic's group and of the topic itself), the shape of the prober's
  corpus on which the package's companion trailed TF-IDF + LR by 5 points.
"""

import argparse
import importlib
import inspect
import re
import sys
import time
import warnings

import numpy as np
from _env import environment_lines, markdown_table
from companion_fit import PACKAGE, fit_companion
from selection import CORPORA, mean_se
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from skrnn import RNNTextClassifier, _ngrams

#: Whether the softmax model on tf-idf rows is fitted (``--no-multinomial``).
MULTINOMIAL = True
#: ``C`` grid of the one-vs-rest models on tf-idf rows (``--tfidf-grid``).
TFIDF_GRID = (1.0, 10.0, 100.0)

#: The subpackages whose docstrings make ``docstrings20``'s classes.
DOC_PACKAGES = (
    "scipy.stats",
    "scipy.signal",
    "scipy.sparse",
    "scipy.optimize",
    "scipy.interpolate",
    "scipy.special",
    "scipy.spatial",
    "scipy.io",
    "sklearn.linear_model",
    "sklearn.ensemble",
    "sklearn.metrics",
    "sklearn.cluster",
    "sklearn.preprocessing",
    "numpy.ma",
    "numpy.polynomial",
    "networkx.algorithms",
    "sympy.polys",
    "sympy.matrices",
    "torch.nn",
    "torch.optim",
)
#: Documents of each ``docstrings20`` class, at most.
DOC_PER_CLASS = 200
#: Words of each ``docstrings20`` document, at most.
DOC_WORDS = 80

_SECTION = re.compile(
    r"\n\s*(Parameters|Returns|Examples|See Also|Notes|Attributes|Args|"
    r"Arguments|Raises|Yields|Example)\s*:?\s*\n"
)


def _descriptions(package):
    """The distinct docstring descriptions of a subpackage's callables."""
    importlib.import_module(package)
    modules = [
        module
        for name, module in sorted(sys.modules.items())
        if module is not None
        and (name == package or name.startswith(package + "."))
        and ".tests" not in name
    ]
    texts = set()
    for module in modules:
        for obj in list(vars(module).values()):
            members = [obj]
            if inspect.isclass(obj):
                members += [v for v in vars(obj).values() if callable(v)]
            for member in members:
                if not str(getattr(member, "__module__", "")).startswith(package):
                    continue
                doc = getattr(member, "__doc__", None)
                if not isinstance(doc, str):
                    continue
                words = _SECTION.split(inspect.cleandoc(doc))[0].split()
                if len(words) >= 5:
                    texts.add(" ".join(words[:DOC_WORDS]))
    return sorted(texts)


def _docstrings20():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = {package: _descriptions(package) for package in DOC_PACKAGES}
    owners = {}
    for package, texts in found.items():
        for text in texts:
            owners.setdefault(text, set()).add(package)
    rng = np.random.default_rng(0)
    X, y = [], []
    for package, texts in found.items():
        texts = [t for t in texts if len(owners[t]) == 1]
        if len(texts) > DOC_PER_CLASS:
            keep = rng.choice(len(texts), DOC_PER_CLASS, replace=False)
            texts = [texts[i] for i in sorted(keep)]
        X += texts
        y += [package] * len(texts)
    return X, np.asarray(y)


def _topics20(n_docs=1600, n_groups=5, per_group=4, n_common=5000, seed=0):
    rng = np.random.default_rng(seed)
    n_topics = n_groups * per_group
    y = np.arange(n_docs) % n_topics
    rng.shuffle(y)
    X = []
    for topic in y:
        group = topic // per_group
        length = rng.integers(20, 81)
        kind = rng.choice(3, size=length, p=[0.8, 0.1, 0.1])
        common = rng.zipf(1.3, length) % n_common
        group_word = rng.integers(0, 200, length)
        topic_word = rng.integers(0, 100, length)
        words = [
            f"w{c}" if k == 0 else f"g{group}x{g}" if k == 1 else f"t{topic}x{t}"
            for k, c, g, t in zip(kind, common, group_word, topic_word, strict=True)
        ]
        X.append(" ".join(words))
    return X, y


CORPORA = {**CORPORA, "docstrings20": _docstrings20, "topics20": _topics20}


def _multinomial(X, y, X_val, n_classes, C=10.0):
    """Validation probabilities of a softmax logistic regression."""
    model = LogisticRegression(C=C, max_iter=1000).fit(X, y)
    proba = np.zeros((X_val.shape[0], n_classes))
    proba[:, model.classes_] = model.predict_proba(X_val)
    return proba, C


def _ovr_decisions(X, y, X_val, n_classes, C):
    """Decisions of one liblinear logistic regression per class."""
    decision = np.full((X_val.shape[0], n_classes), -np.inf)
    for k in np.unique(y):
        model = LogisticRegression(
            C=C, solver="liblinear", dual=True, tol=_ngrams.TOL, random_state=0
        )
        decision[:, k] = model.fit(X, y == k).decision_function(X_val)
    return decision


def _ovr_tfidf(X, y, X_val, n_classes):
    """Validation probabilities of one-vs-rest models, ``C`` by inner CV.

    The package's normalised sigmoids, ``C`` in :data:`TFIDF_GRID` chosen on
    every class by unshuffled stratified 3-fold CV (the first best on ties),
    or its one value without the CV.
    """
    if len(TFIDF_GRID) == 1:
        (C,) = TFIDF_GRID
        decision = _ovr_decisions(X, y, X_val, n_classes, C)
        return np.exp(_ngrams._as_logits(decision, "softmax")), C
    counts = np.bincount(y, minlength=n_classes)
    n_splits = min(3, counts[counts > 0].min())
    scores = np.zeros(len(TFIDF_GRID))
    for train, test in StratifiedKFold(n_splits).split(np.zeros(len(y)), y):
        for i, C in enumerate(TFIDF_GRID):
            decision = _ovr_decisions(X[train], y[train], X[test], n_classes, C)
            scores[i] += np.mean(decision.argmax(1) == y[test])
    C = TFIDF_GRID[int(np.argmax(scores))]
    decision = _ovr_decisions(X, y, X_val, n_classes, C)
    return np.exp(_ngrams._as_logits(decision, "softmax")), C


def companions(train_ids, y_train, val_ids, n_vocab, n_classes):
    """Validation probabilities, fit seconds and ``C`` of every companion."""
    out = {}
    for name, settings in (
        ("OvR NBSVM", PACKAGE),
        ("OvR NBSVM, C on all classes", {**PACKAGE, "CV_COLUMNS": None}),
    ):
        model, seconds = fit_companion(train_ids, y_train, n_vocab, settings)
        logits = _ngrams.ngram_logits(model, val_ids)
        out[name] = (np.exp(logits), seconds, model.C)
    start = time.perf_counter()
    keys = np.unique(
        _ngrams.ngram_occurrences(train_ids, (1, 2), n_vocab)[2]
    )  # the package's columns, as ``fit_ngrams`` keeps them
    shape = _ngrams.NgramModel((1, 2), n_vocab, keys, None, None, "softmax", 0.0)
    X_train = _ngrams.ngram_features(shape, train_ids)
    X_val = _ngrams.ngram_features(shape, val_ids)
    features = time.perf_counter() - start
    idf = TfidfTransformer(sublinear_tf=False).fit(X_train)
    X_train, X_val = idf.transform(X_train), idf.transform(X_val)
    features += time.perf_counter() - start
    for name, fit in (
        ("OvR LR, tf-idf rows", _ovr_tfidf),
        ("multinomial LR, tf-idf rows, C=10", _multinomial),
    )[: 2 if MULTINOMIAL else 1]:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            proba, C = fit(X_train, y_train, X_val, n_classes)
        out[name] = (proba, features + time.perf_counter() - start, C)
    # both companions as one: their normalised geometric mean (no new fit)
    (nb, nb_seconds, _), (tfidf, tfidf_seconds, _) = (
        out["OvR NBSVM"],
        out["OvR LR, tf-idf rows"],
    )
    both = np.sqrt(nb * tfidf)
    out["OvR NBSVM x OvR LR, tf-idf rows"] = (
        both / both.sum(axis=1, keepdims=True),
        nb_seconds + tfidf_seconds,
        np.nan,
    )
    return out


def geometric(p_network, p, w):
    """The package's default blend of two arrays of class probabilities."""
    with np.errstate(divide="ignore"):
        return (1 - w) * np.log(p_network) + w * np.log(p)


def score(X, y, train, val, seed, weights):
    """Accuracy of every row on one split, fit seconds and chosen ``C``."""
    X_train, X_val = [X[i] for i in train], [X[i] for i in val]
    network = RNNTextClassifier(ngram_range=None, random_state=seed)
    network.fit(X_train, y[train])
    vectorizer = network.vectorizer_
    train_ids = vectorizer.transform(X_train)
    val_ids = vectorizer.transform(X_val)
    n_classes = len(network.classes_)
    y_train = np.searchsorted(network.classes_, y[train])
    y_val = np.searchsorted(network.classes_, y[val])
    p_network = network.predict_proba(X_val)
    accuracy = {"network alone": np.mean(p_network.argmax(1) == y_val)}
    start = time.perf_counter()
    bow = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=10, max_iter=1000),
    ).fit(X_train, y[train])
    seconds = {"TF-IDF + LR": time.perf_counter() - start}
    accuracy["TF-IDF + LR (raw text)"] = bow.score(X_val, y[val])
    chosen = {}
    fitted = companions(train_ids, y_train, val_ids, vectorizer.n_vocab_, n_classes)
    for name, (p, fit_seconds, C) in fitted.items():
        seconds[name], chosen[name] = fit_seconds, C
        accuracy[f"{name}: alone"] = np.mean(p.argmax(1) == y_val)
        for w in weights:
            predicted = geometric(p_network, p, w).argmax(1)
            accuracy[f"{name}: ngram_weight={w}"] = np.mean(predicted == y_val)
    return accuracy, seconds, chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpora",
        default="docstrings20,topics20,trec,sst5",
        help="subset of docstrings20,topics20,trec,sst5,sst2,mr",
    )
    parser.add_argument("--weights", default="0.5,0.7,0.8")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--reference", default="OvR NBSVM: ngram_weight=0.7")
    parser.add_argument(
        "--tfidf-grid", default="1,10,100", help="C values of the OvR tf-idf rows"
    )
    parser.add_argument("--no-multinomial", action="store_true")
    args = parser.parse_args()
    global TFIDF_GRID, MULTINOMIAL
    MULTINOMIAL = not args.no_multinomial
    TFIDF_GRID = tuple(float(C) for C in args.tfidf_grid.split(","))
    weights = [float(w) for w in args.weights.split(",")]
    print("\n".join(environment_lines()))
    for corpus in args.corpora.split(","):
        X, y = CORPORA[corpus]()
        X, y = list(X), np.asarray(y)
        results = []
        for repeat in range(args.repeats):
            folds = StratifiedKFold(args.folds, shuffle=True, random_state=repeat)
            for train, val in folds.split(X, y):
                results.append(score(X, y, train, val, repeat, weights))
                print(f"{corpus}: split {len(results)} done", flush=True)
        reference = np.array([r[0][args.reference] for r in results])
        rows = []
        for name in results[0][0]:
            accuracy = np.array([r[0][name] for r in results])
            mean, se = mean_se(100 * accuracy)
            diff, diff_se = mean_se(100 * (accuracy - reference))
            model = name.split(":")[0].removesuffix(" (raw text)")
            fit = results[0][1].get(model)
            seconds = (
                f"{np.mean([r[1][model] for r in results]):.2f}"
                if fit is not None
                else ""
            )
            Cs = (
                " ".join(f"{r[2][model]:g}" for r in results)
                if model in results[0][2] and name.endswith("alone")
                else ""
            )
            rows.append(
                [
                    name,
                    f"{mean:.2f} ± {se:.2f}",
                    f"{diff:+.2f} ± {diff_se:.2f}",
                    seconds,
                    Cs,
                ]
            )
        print()
        print(
            f"{corpus}: {len(X)} documents, {len(np.unique(y))} classes, "
            f"{len(results)} splits"
        )
        print()
        headers = ["row", "accuracy % ± SE", f"vs {args.reference}", "fit s", "C"]
        print(markdown_table(headers, rows), flush=True)


if __name__ == "__main__":
    main()
