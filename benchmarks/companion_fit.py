"""How long the n-gram companion takes to fit, at its settings and at NBSVM-bi's.

Usage::

    python benchmarks/companion_fit.py
    python benchmarks/companion_fit.py --repeats 5 --n-jobs 1,2

Fits the companion alone (``skrnn._ngrams.fit_ngrams``: the n-gram keys and
features, the inner 3-fold CV that chooses ``C``, the final fit) on the
token ids of each corpus's training set, at the package's settings
(``C_GRID``, ``TOL``) and at the settings of the original NBSVM-bi
(``C`` in 0.1, 0.3, 1, 3, 10; scikit-learn's tolerance 1e-4), alternating
the two ``--repeats`` times in one process so that the machine's load falls
on both alike; the table gives the median seconds, their ratio and the
chosen ``C``.  Beside MR, TREC and SST-2, a synthetic corpus of many classes
and long documents (Zipf-distributed ids, a tenth of them drawn from a
class's own band) shows what one-vs-rest costs as classes multiply.
``--n-jobs`` times the package's settings at other thread counts too.
"""

import argparse
import time

import numpy as np
from _baselines import NBSVM_C_GRID
from _env import environment_lines, markdown_table

from skrnn import SequenceVectorizer, _ngrams
from skrnn.datasets import load_movie_reviews, load_sst2, load_trec

#: NBSVM-bi as Wang and Manning ran it, with scikit-learn's tolerance.
ORIGINAL = {"C_GRID": NBSVM_C_GRID, "TOL": 1e-4}
#: The package's settings.
PACKAGE = {"C_GRID": _ngrams.C_GRID, "TOL": _ngrams.TOL}


def _corpus(loader):
    X, y = loader(subset="train", return_X_y=True)
    vectorizer = SequenceVectorizer().fit(X)
    y = np.unique(np.asarray(y), return_inverse=True)[1]
    return vectorizer.transform(X), y, vectorizer.n_vocab_


def _synthetic(n_docs=4000, length=200, n_classes=20, n_vocab=30000):
    rng = np.random.default_rng(0)
    y = rng.integers(0, n_classes, n_docs)
    common = rng.zipf(1.2, size=(n_docs, length)) % n_vocab
    own = (y[:, None] * 97 + rng.integers(0, 50, (n_docs, length))) % n_vocab
    ids = np.where(rng.random((n_docs, length)) < 0.1, own, common) + 2
    return list(ids), y, n_vocab + 2


CORPORA = {
    "mr": lambda: _corpus(load_movie_reviews),
    "trec": lambda: _corpus(load_trec),
    "sst2": lambda: _corpus(load_sst2),
    "synthetic": _synthetic,
}


def fit_seconds(sequences, y, n_vocab, settings, n_jobs):
    """Seconds of one companion fit at ``settings``, and its ``C``."""
    saved = {name: getattr(_ngrams, name) for name in settings}
    for name, value in settings.items():
        setattr(_ngrams, name, value)
    try:
        start = time.perf_counter()
        model = _ngrams.fit_ngrams(
            sequences,
            y,
            np.ones(len(y)),
            ngram_range=(1, 2),
            n_vocab=n_vocab,
            n_classes=int(y.max()) + 1,
            head="softmax",
            n_jobs=n_jobs,
        )
        return time.perf_counter() - start, model.C
    finally:
        for name, value in saved.items():
            setattr(_ngrams, name, value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="mr,trec,sst2,synthetic")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-jobs", default="1", help="thread counts, e.g. 1,2")
    args = parser.parse_args()
    n_jobs = [int(n) for n in args.n_jobs.split(",")]
    variants = [("NBSVM-bi's settings", ORIGINAL, 1)] + [
        (f"the package's, n_jobs={n}", PACKAGE, n) for n in n_jobs
    ]
    print("\n".join(environment_lines()))
    rows = []
    for corpus in args.corpora.split(","):
        sequences, y, n_vocab = CORPORA[corpus]()
        seconds = {name: [] for name, _, _ in variants}
        chosen = {}
        for _ in range(args.repeats):
            for name, settings, jobs in variants:
                s, C = fit_seconds(sequences, y, n_vocab, settings, jobs)
                seconds[name].append(s)
                chosen[name] = C
        base = np.median(seconds[variants[0][0]])
        for name, _, _ in variants:
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
