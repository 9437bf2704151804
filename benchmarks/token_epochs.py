"""More epochs for short documents: ``max_iter="auto"`` with a floor in tokens.

Usage::

    python benchmarks/token_epochs.py --corpora trec --sizes 200,500,1000,2000 \\
        --draws 3 --min-tokens 600000 --jobs 2

``max_iter="auto"`` gives as many epochs as make 1,000 optimizer steps
(between 8 and 200).  A step of TREC's questions (10.8 tokens each) reads
half the tokens of a step of MR's or SST-2's sentences (21-23), and the
selection protocol finds that TREC wants more epochs than that while SST-2
wants none (``RESULTS.md``, session 16).  This script measures the
candidate rule "at least ``--min-tokens`` training tokens as well": the
epochs ``max(auto, ceil(min_tokens / tokens an epoch))``, at most 200.

Training data only: each corpus of ``selection.py``'s ``CORPORA`` is split
once (stratified, ``random_state=0``) into ``--held-out`` documents, on
which every fit is scored, and a pool; for every size and draw ``d`` a
stratified subset is drawn from the pool with ``random_state=d``, and the
defaults and the rule's epochs are fitted on it with ``random_state=d``
(paired).  Where the rule gives the defaults' epochs, the two fits are the
same model and only one is made.
"""

import argparse
import math

import numpy as np
from _env import environment_lines, markdown_table
from joblib import Parallel, delayed
from selection import CORPORA, mean_se
from sklearn.model_selection import train_test_split

from skrnn import RNNTextClassifier, SequenceVectorizer


def rule_epochs(n_documents: int, n_tokens: int, min_tokens: int) -> tuple[int, int]:
    """The defaults' epochs and the rule's, for a training set."""
    auto = RNNTextClassifier()._n_epochs(n_documents, n_tokens)
    return auto, min(200, max(auto, math.ceil(min_tokens / max(1, n_tokens))))


def fit_draw(X_pool, y_pool, X_held, y_held, size, draw, min_tokens):
    """Accuracies and epochs of the defaults and of the rule on one draw."""
    X_train, _, y_train, _ = train_test_split(
        X_pool, y_pool, train_size=size, stratify=y_pool, random_state=draw
    )
    n_tokens = sum(len(s) for s in SequenceVectorizer().fit_transform(X_train))
    auto, rule = rule_epochs(size, n_tokens, min_tokens)
    scores = []
    for max_iter in dict.fromkeys(["auto", rule if rule != auto else "auto"]):
        model = RNNTextClassifier(max_iter=max_iter, random_state=draw)
        scores.append(model.fit(X_train, y_train).score(X_held, y_held))
    return auto, rule, n_tokens, scores[0], scores[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="trec")
    parser.add_argument("--sizes", default="200,500,1000,2000")
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--held-out", type=int, default=2000)
    parser.add_argument("--min-tokens", type=int, default=600_000)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print("\n".join(environment_lines()))
    rows = []
    for corpus in args.corpora.split(","):
        X, y = CORPORA[corpus]()
        X_pool, X_held, y_pool, y_held = train_test_split(
            list(X),
            np.asarray(y),
            test_size=args.held_out,
            stratify=np.asarray(y),
            random_state=0,
        )
        results = Parallel(n_jobs=args.jobs)(
            delayed(fit_draw)(
                X_pool, y_pool, X_held, y_held, size, draw, args.min_tokens
            )
            for size in sizes
            for draw in range(args.draws)
        )
        for k, size in enumerate(sizes):
            cells = results[k * args.draws : (k + 1) * args.draws]
            auto = np.array([c[3] for c in cells])
            rule = np.array([c[4] for c in cells])
            diff, diff_se = mean_se(100 * (rule - auto))
            rows.append(
                [
                    corpus,
                    str(size),
                    "/".join(str(c[0]) for c in cells),
                    "/".join(str(c[1]) for c in cells),
                    f"{np.mean([c[2] for c in cells]) / size:.1f}",
                    f"{100 * auto.mean():.2f}",
                    f"{100 * rule.mean():.2f}",
                    f"{diff:+.2f} ± {diff_se:.2f}",
                ]
            )
    print()
    print(
        f"{args.draws} draws a size, scored on {args.held_out} held-out "
        f"documents; the rule: at least {args.min_tokens} training tokens"
    )
    print()
    print(
        markdown_table(
            [
                "corpus",
                "documents",
                "epochs, auto",
                "epochs, rule",
                "tokens a document",
                "accuracy %, auto",
                "accuracy %, rule",
                "rule - auto ± SE",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
