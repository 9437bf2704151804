"""How long the n-gram companion takes to fit, at its settings and at NBSVM-bi's.

Usage::

    python benchmarks/companion_fit.py
    python benchmarks/companion_fit.py --repeats 5 --corpora trec,short77

Fits the companion alone (``skrnn._ngrams.fit_ngrams``: the n-gram keys and
features, the inner 3-fold CV that chooses ``C``, the final fit) on the
token ids of each corpus's training set, at the package's settings
(``C_GRID``, ``TOL``) and at the settings of the original NBSVM-bi
(``C`` in 0.1, 0.3, 1, 3, 10; scikit-learn's tolerance 1e-4; ``C`` chosen
on every class's model), alternating
the two ``--repeats`` times in one process so that the machine's load falls
on both alike; the table gives the median seconds, their ratio and the
chosen ``C``.  Beside MR, TREC and SST-2, two synthetic corpora of many
classes (Zipf-distributed ids, a share of them drawn from a band of the
class's own) show what one-vs-rest costs as classes multiply: ``long20``,
4,000 documents of 200 tokens in 20 classes, and ``short77``, 10,000 of 12
tokens in 77 classes.
"""

import argparse
import time

import numpy as np
from _baselines import NBSVM_C_GRID
from _env import environment_lines, markdown_table

from skrnn import SequenceVectorizer, _ngrams
from skrnn.datasets import load_movie_reviews, load_sst2, load_trec

#: NBSVM-bi as Wang and Manning ran it, with scikit-learn's tolerance.
ORIGINAL = {
    "C_GRID": NBSVM_C_GRID,
    "TOL": 1e-4,
    "CV_COLUMNS": None,
    "NORMS": False,
    "IDF": False,
}
#: The package's settings.
PACKAGE = {
    "C_GRID": _ngrams.C_GRID,
    "TOL": _ngrams.TOL,
    "CV_COLUMNS": _ngrams.CV_COLUMNS,
    "NORMS": _ngrams.NORMS,
    "NORMS_C_GRID": _ngrams.NORMS_C_GRID,
    "IDF": _ngrams.IDF,
    "IDF_C_GRID": _ngrams.IDF_C_GRID,
}
#: The package's settings before the documents' norms (session 12).
WITHOUT_NORMS = {**PACKAGE, "NORMS": False, "IDF": False}


def _corpus(loader, **subset):
    X, y = loader(**subset, return_X_y=True)
    vectorizer = SequenceVectorizer().fit(X)
    y = np.unique(np.asarray(y), return_inverse=True)[1]
    return vectorizer.transform(X), y, vectorizer.n_vocab_


def _synthetic(n_docs, length, n_classes, own_share, n_vocab=30000):
    rng = np.random.default_rng(0)
    y = rng.integers(0, n_classes, n_docs)
    common = rng.zipf(1.2, size=(n_docs, length)) % n_vocab
    own = (y[:, None] * 97 + rng.integers(0, 50, (n_docs, length))) % n_vocab
    ids = np.where(rng.random((n_docs, length)) < own_share, own, common) + 2
    return list(ids), y, n_vocab + 2


CORPORA = {
    "mr": lambda: _corpus(load_movie_reviews),
    "trec": lambda: _corpus(load_trec, subset="train"),
    "sst2": lambda: _corpus(load_sst2, subset="train"),
    "long20": lambda: _synthetic(4000, 200, 20, 0.1),
    "short77": lambda: _synthetic(10000, 12, 77, 0.3),
}


def fit_companion(sequences, y, n_vocab, settings):
    """A companion fitted at the module ``settings``, and its fit seconds."""
    saved = {name: getattr(_ngrams, name) for name in settings}
    for name, value in settings.items():
        setattr(_ngrams, name, value)
    try:
        start = time.perf_counter()
        with _ngrams.quiet_liblinear():
            model = _ngrams.fit_ngrams(
                sequences,
                y,
                np.ones(len(y)),
                ngram_range=(1, 2),
                n_vocab=n_vocab,
                n_classes=int(y.max()) + 1,
                head="softmax",
            )
        return model, time.perf_counter() - start
    finally:
        for name, value in saved.items():
            setattr(_ngrams, name, value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="mr,trec,sst2,long20,short77")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    variants = [("NBSVM-bi's settings", ORIGINAL), ("the package's", PACKAGE)]
    print("\n".join(environment_lines()))
    rows = []
    for corpus in args.corpora.split(","):
        sequences, y, n_vocab = CORPORA[corpus]()
        seconds = {name: [] for name, _ in variants}
        chosen = {}
        for _ in range(args.repeats):
            for name, settings in variants:
                model, s = fit_companion(sequences, y, n_vocab, settings)
                seconds[name].append(s)
                chosen[name] = model.C
        base = np.median(seconds[variants[0][0]])
        for name, _ in variants:
            median = np.median(seconds[name])
            rows.append(
                [
                    f"{corpus} ({len(y)} docs, {int(y.max()) + 1} classes)",
                    name,
                    f"{median:.2f}",
                    f"{base / median:.2f}",
                    f"{chosen[name]:g}",
                ]
            )
        print(f"{corpus} done", flush=True)
    print()
    headers = ["corpus", "settings", "median fit s", "speed-up", "C chosen"]
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
