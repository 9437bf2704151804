"""``ngram_weight="auto"`` against the fixed 0.7, by training-set size.

Usage::

    python benchmarks/auto_weight.py                      # ~20 min
    python benchmarks/auto_weight.py --corpora mr,trec --sizes 200,1000 --draws 1
    python benchmarks/auto_weight.py --corpora topics50,topics200,rt200,rt500 \\
        --data-dir DIR

For each corpus and training-set size, each of ``--draws`` stratified
draws of that many training documents is fitted twice with the defaults
(``random_state`` the draw's): with ``ngram_weight=0.7``, the weight the
defaults had before ``"auto"``, and with ``"auto"`` made to hold a tenth out
at every size (``--always``, the default; ``--no-always`` keeps the package's
thresholds, :data:`skrnn._classifier.AUTO_WEIGHT_DOCUMENTS` and
:data:`~skrnn._classifier.AUTO_WEIGHT_PER_CLASS`).  Both are scored on the
same documents outside the draw: accuracy and log-loss, the weight
``"auto"`` chose, and the two fits' seconds.  Where ``"auto"`` stops paying,
the thresholds should stop it.

``rt2k``: the 10 folds of ``accuracy.py``'s RT-2k (2,000 full-length
reviews, ``rt2k.all`` in ``--data-dir``), each fitted once with ``"auto"``:
its accuracy at 0.7 is that model's with ``set_params(ngram_weight=0.7)``,
which is the model a fit with 0.7 makes (the held-out part is fitted by
another estimator, whose draws leave this one's alone), so the fit seconds
at 0.7 are not measured.

Corpora: ``mr``, ``trec``, ``sst2``, ``sst5``: the selection protocol's
training data (``selection.py``; never the test sets), scored on 2,000 of
their other documents; ``topicsN`` and ``rtN`` as in ``blend_weight.py``
(their own test documents; the size is in the name, ``--sizes`` is not used).
"""

import argparse
import time
from pathlib import Path

import numpy as np
from _env import environment_lines, markdown_table
from accuracy import cv_folds
from blend_weight import reviews, topics
from selection import CORPORA
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split

import skrnn._classifier
from skrnn import RNNTextClassifier

#: Documents every draw of the selection corpora is scored on.
N_SCORED = 2000


def draws(name, sizes, n_draws, data_dir):
    """``(size, draw, X_train, X_test, y_train, y_test)`` of one corpus."""
    if name.startswith("topics"):
        yield ("-", 0, *topics(int(name[len("topics") :])))
        return
    if name == "rt2k":
        X, y, splits = cv_folds("rt2k", 10, False, data_dir)
        for fold, (train, test) in enumerate(splits):
            yield ("fold", fold, list(X[train]), list(X[test]), y[train], y[test])
        return
    if name.startswith("rt"):
        yield ("-", 0, *reviews(int(name[2:]), data_dir))
        return
    X, y = CORPORA[name]()
    X, y = np.asarray(list(X), dtype=object), np.asarray(y)
    rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=N_SCORED, stratify=y, random_state=0
    )
    for size in sizes:
        if size >= len(y_rest):
            print(f"{name}: no draw of {size} documents out of {len(y_rest)}")
            continue
        for draw in range(n_draws):
            X_train, _, y_train, _ = train_test_split(
                rest, y_rest, train_size=size, stratify=y_rest, random_state=draw
            )
            yield (size, draw, list(X_train), list(X_test), y_train, y_test)


def scores(model, X_test, y_test):
    """Accuracy and log-loss."""
    proba = model.predict_proba(X_test)
    return (
        accuracy_score(y_test, model.classes_[proba.argmax(axis=1)]),
        log_loss(y_test, proba, labels=model.classes_),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", default="mr,trec,sst2,sst5")
    parser.add_argument("--sizes", default="200,500,1000,2000,4000")
    parser.add_argument("--draws", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, help="rt2k.all's, for rtN")
    parser.add_argument("--always", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    if args.always:
        skrnn._classifier.AUTO_WEIGHT_DOCUMENTS = 10**9
    sizes = [int(size) for size in args.sizes.split(",")]
    rows, gains = [], {}
    for name in args.corpora.split(","):
        for size, draw, X_train, X_test, y_train, y_test in draws(
            name, sizes, args.draws, args.data_dir
        ):
            row = [name, str(len(X_train)), str(draw)]
            results = []
            for weight in (0.7, "auto") if size != "fold" else ("auto",):
                begin = time.perf_counter()
                model = RNNTextClassifier(random_state=draw, ngram_weight=weight)
                model.fit(X_train, y_train)
                seconds = time.perf_counter() - begin
                results.append((*scores(model, X_test, y_test), seconds))
            if size == "fold":
                chosen = model.ngram_weight_
                fixed = scores(model.set_params(ngram_weight=0.7), X_test, y_test)
                results.insert(0, (*fixed, float("nan")))
                model.set_params(ngram_weight=chosen)
            (acc_a, loss_a, s_a), (acc_b, loss_b, s_b) = results
            gains.setdefault((name, size), []).append(acc_b - acc_a)
            row += [
                f"{acc_a:.3f}",
                f"{acc_b:.3f}",
                f"{acc_b - acc_a:+.3f}",
                f"{loss_a:.3f}",
                f"{loss_b:.3f}",
                f"{model.ngram_weight_:g}",
                f"{s_a:.1f}",
                f"{s_b:.1f}",
            ]
            rows.append(row)
            print(" | ".join(row), flush=True)
    print("\n".join(environment_lines()))
    print()
    headers = [
        "corpus",
        "training documents",
        "draw",
        "accuracy, 0.7",
        "accuracy, auto",
        "gain",
        "log-loss, 0.7",
        "log-loss, auto",
        "auto's weight",
        "fit s, 0.7",
        "fit s, auto",
    ]
    print(markdown_table(headers, rows))
    print()
    print(
        markdown_table(
            ["corpus", "size", "mean gain of auto (accuracy)"],
            [
                [name, str(size), f"{np.mean(values):+.4f}"]
                for (name, size), values in gains.items()
            ],
        )
    )


if __name__ == "__main__":
    main()
