"""Rules for choosing the companion's weight on held-out documents, compared.

Usage::

    python benchmarks/auto_rules.py --cache DIR                  # ~15 min
    python benchmarks/auto_rules.py --cache DIR --corpora rt200,topics200 \\
        --data-dir DATA

For each corpus and size (as ``auto_weight.py`` draws them), the defaults
(``ngram_weight=0.7``) are fitted once on the documents that
``ngram_weight="auto"`` keeps to train on, and the network's and the
companion's log-probabilities of the held-out documents and of the test
documents are kept in ``--cache`` (one ``.npz`` a draw, reused by later
runs).  Each rule then chooses a weight from the held-out part, and the
blend at that weight is scored on the test documents: no refit, so the
rules are compared on the same fits.  Mean accuracy per corpus and size,
and each rule's mean gain over the fixed 0.7 across the cells.

Rules: ``fixed`` (0.7); ``loss`` (least log-loss at temperature 1);
``accuracy`` (most accurate, ties nearest 0.7); ``paired`` (least loss,
taken only if its per-document loss beats 0.7's by two standard errors);
``tempered`` (least loss at the best of the temperatures of
:data:`skrnn._prediction.TEMPERATURES`); ``auto`` (``tempered``, kept only if
more accurate than 0.7: :func:`skrnn._prediction.held_out_blend_weight`, as
``ngram_weight="auto"`` chooses).
"""

import argparse
from pathlib import Path

import numpy as np
from _env import environment_lines, markdown_table
from auto_weight import draws
from scipy.special import log_softmax

import skrnn._classifier as classifier
from skrnn import RNNTextClassifier
from skrnn._prediction import TEMPERATURES, held_out_blend_weight

GRID = classifier.AUTO_WEIGHT_GRID
DEFAULT = classifier.AUTO_NGRAM_WEIGHT


def blend(part, w, t=1.0):
    """Log-probabilities of the geometric blend at weight ``w``, temperature ``t``."""
    network, companion = part
    return log_softmax(t * ((1 - w) * network + w * companion), axis=1)


def losses(part, y, w, t=1.0):
    """Each document's log-loss."""
    return -blend(part, w, t)[np.arange(len(y)), y]


def accuracy(part, y, w):
    return float(np.mean(blend(part, w).argmax(axis=1) == y))


def rule_loss(held, y):
    return GRID[int(np.argmin([losses(held, y, w).mean() for w in GRID]))]


def rule_accuracy(held, y):
    scores = np.array([accuracy(held, y, w) for w in GRID])
    best = np.flatnonzero(scores == scores.max())
    return GRID[best[np.argmin(np.abs(np.asarray(GRID)[best] - DEFAULT))]]


def rule_paired(held, y):
    w = rule_loss(held, y)
    diff = losses(held, y, DEFAULT) - losses(held, y, w)
    return w if diff.mean() > 2 * diff.std(ddof=1) / np.sqrt(len(diff)) else DEFAULT


def rule_tempered(held, y):
    best = [min(losses(held, y, w, t).mean() for t in TEMPERATURES) for w in GRID]
    return GRID[int(np.argmin(best))]


def rule_auto(held, y):
    network, companion = held
    return held_out_blend_weight(
        network, companion, "softmax", y, np.ones(len(y)), GRID, "geometric", DEFAULT
    )


RULES = {
    "fixed": lambda held, y: DEFAULT,
    "loss": rule_loss,
    "accuracy": rule_accuracy,
    "paired": rule_paired,
    "tempered": rule_tempered,
    "auto": rule_auto,
}


def probe(cache, name, draw, X_train, X_test, y_train, y_test):
    """The cached log-probabilities of one draw (fitted on first use)."""
    path = cache / f"{name}_{len(X_train)}_{draw}.npz"
    if not path.exists():
        y = np.asarray(y_train)
        held = classifier._held_out_part(y, np.random.RandomState(draw))
        kept = np.setdiff1d(np.arange(len(y)), held)
        model = RNNTextClassifier(random_state=draw, ngram_weight=DEFAULT)
        model.fit([X_train[i] for i in kept], y[kept])
        arrays = {}
        for part, X in (("held", [X_train[i] for i in held]), ("test", X_test)):
            for w, kind in ((0.0, "network"), (1.0, "companion")):
                proba = model.set_params(ngram_weight=w).predict_log_proba(X)
                arrays[f"{part}_{kind}"] = proba
        arrays["held_y"] = np.searchsorted(model.classes_, y[held])
        arrays["test_y"] = np.searchsorted(model.classes_, np.asarray(y_test))
        np.savez(path, **arrays)
    arrays = dict(np.load(path))
    return (
        (arrays["held_network"], arrays["held_companion"]),
        arrays["held_y"],
        (arrays["test_network"], arrays["test_companion"]),
        arrays["test_y"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--corpora", default="mr,trec,sst2,sst5")
    parser.add_argument("--sizes", default="200,500,1000,2000,4000")
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, help="rt2k.all's, for rtN")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    # every size holds a tenth out, as --always in auto_weight.py
    classifier.AUTO_WEIGHT_DOCUMENTS = 10**9
    classifier.AUTO_WEIGHT_HELD_OUT = 1
    sizes = [int(size) for size in args.sizes.split(",")]
    cells = {}
    for name in args.corpora.split(","):
        for _, draw, X_train, X_test, y_train, y_test in draws(
            name, sizes, args.draws, args.data_dir
        ):
            held, held_y, test, test_y = probe(
                args.cache, name, draw, X_train, X_test, y_train, y_test
            )
            scores = {
                rule: accuracy(test, test_y, choose(held, held_y))
                for rule, choose in RULES.items()
            }
            cells.setdefault((name, len(X_train)), []).append(scores)
            print(name, len(X_train), draw, flush=True)
    rows, gains = [], {rule: [] for rule in RULES}
    for (name, size), draws_ in cells.items():
        means = {rule: np.mean([d[rule] for d in draws_]) for rule in RULES}
        for rule in RULES:
            gains[rule].append(means[rule] - means["fixed"])
        rows.append(
            [name, str(size), str(len(draws_))]
            + [f"{means[rule]:.3f}" for rule in RULES]
        )
    rows.append(
        ["mean gain over 0.7 (points)", "", ""]
        + [f"{100 * np.mean(gains[rule]):+.2f}" for rule in RULES]
    )
    rows.append(
        ["worst cell (points)", "", ""]
        + [f"{100 * np.min(gains[rule]):+.2f}" for rule in RULES]
    )
    print("\n".join(environment_lines()))
    print()
    print(markdown_table(["corpus", "documents", "draws", *RULES], rows))


if __name__ == "__main__":
    main()
