"""The learning rate of ``partial_fit`` under the cosine default, measured.

Usage::

    python benchmarks/partial_fit.py --seeds 0,1,2

A stream of ``partial_fit`` calls does not tell how long a schedule should
be, so with ``max_iter="auto"`` each call trains one epoch of its documents
at a rate of its own.  This script compares rules for that rate on MR's
sentences (``ngram_range=None``: the companion does not learn
incrementally; test part: the last 1,662 sentences of a shuffled split,
``random_state=0``), in two uses:

- **update**: a default fit on 8,000 sentences, then one call on 1,000 new
  ones; the test accuracy before and after.
- **stream**: from scratch, 9 chunks of about 1,000 sentences, each seen
  once per pass, 3 passes (27 calls); the test accuracy at the end.

Rules: a constant ``learning_rate_init`` (0.01, the default's peak, or
0.005, the previous default's constant rate), and one half cosine from 0.01
to 0 over each call's own steps (a warm restart per call, made here with
``warm_start=True`` and ``max_iter=1``: a ``fit`` runs the schedule from its
start).  The constant 0.005 is set on the fitted optimizer, which
``partial_fit`` keeps.
"""

import argparse

import numpy as np
from _env import environment_lines, load_average, markdown_table
from sklearn.model_selection import train_test_split

from skrnn import RNNTextClassifier
from skrnn.datasets import load_movie_reviews

RULES = ("constant 0.01", "constant 0.005", "cosine per call from 0.01")


def update(X_fit, y_fit, X_new, y_new, X_test, y_test, seed):
    """Test accuracy after a fit, and after one call of each rule."""
    fitted = RNNTextClassifier(ngram_range=None, random_state=seed).fit(X_fit, y_fit)
    row = {"after fit": fitted.score(X_test, y_test)}
    for rule in RULES:
        clf = RNNTextClassifier(ngram_range=None, random_state=seed).fit(X_fit, y_fit)
        if rule == "constant 0.005":
            clf._fitted.optimizer.learning_rate_init = 0.005
        if rule == "cosine per call from 0.01":
            clf.set_params(warm_start=True, max_iter=1).fit(X_new, y_new)
        else:
            clf.partial_fit(X_new, y_new)
        row[rule] = clf.score(X_test, y_test)
    return row


def stream(chunks, X_test, y_test, seed, classes, passes=3):
    """Test accuracy after ``passes`` passes over the chunks, for each rule."""
    row = {}
    for rule in RULES:
        rate = 0.005 if rule == "constant 0.005" else 0.01
        clf = RNNTextClassifier(
            ngram_range=None, random_state=seed, learning_rate_init=rate
        )
        for _ in range(passes):
            for X, y in chunks:
                if rule == "cosine per call from 0.01" and hasattr(clf, "_fitted"):
                    clf.set_params(warm_start=True, max_iter=1).fit(X, y)
                elif rule == "cosine per call from 0.01":
                    clf.set_params(max_iter=1).fit(X, y)
                else:
                    clf.partial_fit(X, y, classes=classes)
        row[rule] = clf.score(X_test, y_test)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    print("\n".join(environment_lines()))
    X, y = load_movie_reviews(return_X_y=True)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=1662, stratify=y, random_state=0
    )
    X_fit, y_fit = X_rest[:8000], y_rest[:8000]
    X_new, y_new = X_rest[8000:], y_rest[8000:]
    classes = np.unique(y)
    chunks = [
        (X_rest[i : i + 1000], y_rest[i : i + 1000])
        for i in range(0, len(X_rest), 1000)
    ]
    updates = [update(X_fit, y_fit, X_new, y_new, X_test, y_test, s) for s in seeds]
    streams = [stream(chunks, X_test, y_test, s, classes) for s in seeds]
    for name, rows, n_new in (
        ("update: a fit on 8,000 sentences, one call on the next", updates, len(X_new)),
        ("stream: 3 passes over 9 chunks, from scratch", streams, None),
    ):
        print()
        print(f"{name}" + (f" ({n_new} sentences)" if n_new else ""))
        print()
        table = [
            [rule]
            + [f"{100 * r[rule]:.1f}" for r in rows]
            + [f"{100 * np.mean([r[rule] for r in rows]):.2f}"]
            for rule in rows[0]
        ]
        print(markdown_table(["rule", *[f"seed {s}" for s in seeds], "mean"], table))
    print(f"\nload average at the end: {load_average()}")


if __name__ == "__main__":
    main()
