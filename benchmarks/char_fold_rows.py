"""Would caching the character part's rows per fold speed up its fit?

Usage::

    python benchmarks/char_fold_rows.py
    python benchmarks/char_fold_rows.py --corpora trec,sst5 --repeats 3

``fit_ngrams`` with ``char_range`` chooses the character part's ``C`` by an
inner cross-validation: ``_select_C`` calls ``_fit_char_columns`` for each
``C`` of ``CHAR_C_GRID`` on each fold's training documents, and each call
rebuilds the fold's rows (inverse document frequencies, the words'
character vectors, the two normalised sections) before its regressions,
though the rows depend on the fold alone.  Cached per fold, only the first
``C`` of each fold would build them.  This fits the companion
(``ngram_range=(1, 2)``, ``char_range=(2, 5)``, weights of 1) on each
corpus's training set and times, inside the same fits, every call of
``_fit_char_columns`` and the liblinear regressions within it
(``_regression``): their difference is the rows' building (and the
weights' mapping back to the columns, which a cache would not save).  The
table gives the median over ``--repeats`` fits of the fit's seconds, the
calls, the seconds a call spends outside liblinear, and what a cache could
save at most: that time for every call of the inner CV but one a fold.
"""

import argparse
import time

import numpy as np
from _env import environment_lines, markdown_table

from skrnn import SequenceVectorizer, _ngrams
from skrnn.datasets import load_sst2, load_sst5, load_trec

LOADERS = {"trec": load_trec, "sst5": load_sst5, "sst2": load_sst2}


def _corpus(name):
    X, y = LOADERS[name](subset="train", return_X_y=True)
    vectorizer = SequenceVectorizer().fit(X)
    y = np.unique(np.asarray(y), return_inverse=True)[1]
    words = vectorizer.get_feature_names_out()
    return vectorizer.transform(X), y, vectorizer.n_vocab_, words


def timed_fit(sequences, y, n_vocab, words):
    """The fit's seconds, and each character part call's: in all and in liblinear."""
    calls, inside = [], []
    fit_chars, regression = _ngrams._fit_char_columns, _ngrams._regression

    def timed_regression(*args):
        start = time.perf_counter()
        result = regression(*args)
        inside[-1] += time.perf_counter() - start
        return result

    def timed_chars(*args, **kwargs):
        # (the naive Bayes part's regressions, fitted before, are not timed)
        inside.append(0.0)
        _ngrams._regression = timed_regression
        start = time.perf_counter()
        try:
            return fit_chars(*args, **kwargs)
        finally:
            calls.append(time.perf_counter() - start)
            _ngrams._regression = regression

    _ngrams._fit_char_columns = timed_chars
    try:
        start = time.perf_counter()
        with _ngrams.quiet_liblinear():
            _ngrams.fit_ngrams(
                sequences,
                y,
                np.ones(len(y)),
                ngram_range=(1, 2),
                n_vocab=n_vocab,
                n_classes=int(y.max()) + 1,
                head="softmax",
                char_range=(2, 5),
                words=words,
            )
        seconds = time.perf_counter() - start
    finally:
        _ngrams._fit_char_columns = fit_chars
    return seconds, np.array(calls), np.array(inside)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="trec,sst5")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("\n".join(environment_lines()))
    rows = []
    for name in args.corpora.split(","):
        data = _corpus(name)
        fits, outside = [], []
        for _ in range(args.repeats):
            seconds, calls, inside = timed_fit(*data)
            fits.append(seconds)
            outside.append((calls - inside).mean())
        fit, per_call = float(np.median(fits)), float(np.median(outside))
        # every call of the inner CV (all but the final fit's) but one a fold
        saved = (len(calls) - 1 - _ngrams.N_FOLDS) * per_call
        rows.append(
            [
                name,
                f"{fit:.2f}",
                len(calls),
                f"{per_call:.3f}",
                f"{saved:.2f} ({100 * saved / fit:.1f} %)",
            ]
        )
    print(
        markdown_table(
            [
                "corpus",
                "fit s (median)",
                "character part's calls",
                "s a call outside liblinear (median)",
                "a cache per fold saves at most",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
