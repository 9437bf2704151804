"""Which features an NBSVM companion should weigh: normalised rows or not.

Usage::

    python benchmarks/companion_features.py --corpora mr,sst2,trec
    python benchmarks/companion_features.py --corpora cr,mpqa,subj --data-dir DIR
    python benchmarks/companion_features.py --corpora long

A first look with scikit-learn alone, before anything is built into the
package: binary (or sublinear-tf) 1-2 grams of skrnn's default token
pattern, scaled by the naive Bayes log-count ratios (one-vs-rest for more
than two classes), and liblinear's dual logistic regression at tolerance
0.1, as the companion fits them; then each variant's rows (see
:data:`VARIANTS`) and every ``C`` of its grid, scored by 5-fold stratified
CV.  The table gives each variant's best ``C`` and its accuracy: an upper
bound for each variant, equally optimistic for all, not a selection.

Corpora: ``mr``, ``trec``, ``sst2``, ``sst5`` (the selection protocol's
training data, ``selection.py``), ``cr``, ``mpqa``, ``subj`` (Kim's files
in ``--data-dir``, see ``accuracy.py``) and ``long`` (2,000 MR-like long
documents of ``long_documents.py``, made of training sentences only).
"""

import argparse
import warnings
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp
from _env import environment_lines, markdown_table
from accuracy import KIM_FILES, load_kim_file, parse_corpora
from long_documents import load_long
from selection import CORPORA
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize

from skrnn import SequenceVectorizer

#: Each variant: its name, the counts ("binary" or "sublinear"), how rows
#: are normalised (None; "per class": each class's NB-scaled rows to norm 1;
#: "rms": divided by their root mean square norm over the classes' ratios;
#: "before": the binary rows to norm 1, then scaled) and its grid of C.
VARIANTS = [
    ("NBSVM-bi (binary x r)", "binary", None, (0.1, 0.3, 1, 3, 10, 30)),
    ("rows to norm 1, per class", "binary", "per class", (1, 3, 10, 30, 100, 300)),
    ("rows / rms norm over classes", "binary", "rms", (1, 3, 10, 30, 100, 300)),
    ("binary rows to norm 1, then x r", "binary", "before", (1, 3, 10, 30, 100, 300)),
    ("sublinear tf x r, per class", "sublinear", "per class", (1, 3, 10, 30, 100, 300)),
]


def corpus(name, data_dir):
    """A corpus's documents and labels."""
    if name in KIM_FILES:
        X, y = load_kim_file(Path(data_dir) / KIM_FILES[name])
    elif name == "long":
        (X, y), _ = load_long("mr", 2000, 10, validation=True)
    else:
        X, y = CORPORA[name]()
    return np.asarray(list(X), dtype=object), np.asarray(y)


def counts(kind, X_train, X_test):
    """Binary or sublinear counts of 1-2 grams of skrnn's token pattern."""
    vectorizer = CountVectorizer(
        ngram_range=(1, 2),
        token_pattern=SequenceVectorizer().token_pattern,
        binary=kind == "binary",
    )
    A = vectorizer.fit_transform(X_train).astype(float)
    B = vectorizer.transform(X_test).astype(float)
    if kind == "sublinear":
        A.data, B.data = 1 + np.log(A.data), 1 + np.log(B.data)
    return A, B


def ratios(A, y, positives):
    """The naive Bayes log-count ratio of each positive class, as rows."""
    present = (A > 0).astype(float)
    r = []
    for c in positives:
        p = 1 + np.asarray(present[y == c].sum(axis=0)).ravel()
        q = 1 + np.asarray(present[y != c].sum(axis=0)).ravel()
        r.append(np.log(p / p.sum()) - np.log(q / q.sum()))
    return np.array(r)


def scaled(M, r, norm, rms):
    """The rows of ``M`` scaled by ``r`` and normalised as ``norm`` says."""
    if norm == "before":
        return normalize(M) @ sp.diags(r)
    rows = M @ sp.diags(r)
    if norm == "per class":
        return normalize(rows)
    if norm == "rms":
        length = np.sqrt(np.asarray(M.multiply(M) @ rms**2)).ravel()
        length[length == 0] = 1
        return sp.diags(1 / length) @ rows
    return rows


def score(variant, X_train, y_train, X_test, y_test):
    """Test accuracy (%) of a variant at each C of its grid, on one split."""
    _, kind, norm, grid = variant
    A, B = counts(kind, X_train, X_test)
    classes = np.unique(y_train)
    positives = classes[1:] if len(classes) == 2 else classes
    r = ratios(A, y_train, positives)
    rms = np.sqrt(np.mean(np.square(r), axis=0))
    decisions = {C: [] for C in grid}
    for c, ratio in zip(positives, r, strict=True):
        train, test = scaled(A, ratio, norm, rms), scaled(B, ratio, norm, rms)
        for C in grid:
            model = LogisticRegression(
                C=C,
                solver="liblinear",
                dual=True,
                tol=0.1,
                max_iter=1000,
                random_state=0,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(train, y_train == c)
            decisions[C].append(model.decision_function(test))
    accuracy = {}
    for C, columns in decisions.items():
        d = np.column_stack(columns)
        predicted = classes[(d[:, 0] > 0).astype(int)] if d.shape[1] == 1 else None
        if predicted is None:
            predicted = classes[d.argmax(axis=1)]
        accuracy[C] = 100 * np.mean(predicted == y_test)
    return accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = (*CORPORA, *KIM_FILES, "long")
    parser.add_argument(
        "--corpora", default="mr,sst2,trec", help=f"among {','.join(names)}"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="Kim's files (cr,mpqa,subj)"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    corpora = parse_corpora(parser, args.corpora, names, args.data_dir)
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    print("\n".join(environment_lines()))
    rows = {variant[0]: [variant[0]] for variant in VARIANTS}
    for name in corpora:
        X, y = corpus(name, args.data_dir)
        splits = StratifiedKFold(args.folds, shuffle=True, random_state=0).split(X, y)
        splits = list(splits)
        for variant in VARIANTS:
            results = joblib.Parallel(n_jobs=args.jobs)(
                joblib.delayed(score)(variant, X[tr], y[tr], X[te], y[te])
                for tr, te in splits
            )
            means = {C: np.mean([r[C] for r in results]) for C in variant[3]}
            best = max(means, key=means.get)
            rows[variant[0]].append(f"{means[best]:.2f} ({best:g})")
    print()
    print(f"{args.folds}-fold CV accuracy % at each variant's best C (in brackets):")
    print()
    print(markdown_table(["features", *corpora], list(rows.values())))


if __name__ == "__main__":
    main()
