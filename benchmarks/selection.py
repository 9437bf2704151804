"""A selection protocol that can tell half a point apart: training data only.

Usage::

    python benchmarks/selection.py --corpora trec \\
        --candidates '[{}, {"n_estimators": 3}]'
    python benchmarks/selection.py --corpora mr,trec,sst2 --repeats 3 --folds 5 \\
        --candidates '[{}, {"pooling": "mean"}]'
    python benchmarks/selection.py --corpora sst2 --ngram-weights 0.5,0.6 \\
        --candidates '[{}, {"n_estimators": 3}]'

Each candidate (RNNTextClassifier parameters over skrnn's defaults) is
fitted and scored on repeated stratified K-fold splits of **training data
only**, never a test set: TREC's training set, SST-2's and SST-5's training
and dev sets, and the training part of MR's first fold of ``accuracy.py``'s
10-fold CV. Every repeat uses its own split and its own ``random_state``,
and every candidate sees the same splits and states, so candidates are
compared **paired**: the table gives each candidate's mean validation
accuracy with its standard error over the ``repeats x folds`` fits, and its
mean difference from the first candidate with the standard error of that
difference, which is much smaller than either accuracy's, since a split
that is hard for one candidate is hard for the others too. A difference of
more than about two standard errors is one the protocol can tell apart.

``--ngram-weights`` also scores every fitted candidate at those values of
``ngram_weight``, which is read at prediction: each adds a row per
candidate at no extra fit, on the same splits, paired like the others.

The fits are independent: ``--jobs`` runs them in parallel processes.
"""

import argparse
import json
import time

import numpy as np
from _env import environment_lines, markdown_table
from joblib import Parallel, delayed
from sklearn.model_selection import StratifiedKFold

from skrnn import RNNTextClassifier
from skrnn.datasets import load_movie_reviews, load_sst2, load_sst5, load_trec


def _mr():
    X, y = load_movie_reviews(return_X_y=True)
    outer = StratifiedKFold(n_splits=10, shuffle=True, random_state=0)
    train, _ = next(outer.split(X, y))
    return [X[i] for i in train], np.asarray(y)[train]


def _trec():
    return load_trec(subset="train", return_X_y=True)


def _sst2():
    X, y = load_sst2(subset="train", return_X_y=True)
    X_dev, y_dev = load_sst2(subset="dev", return_X_y=True)
    return list(X) + list(X_dev), np.concatenate([y, y_dev])


def _sst5():
    X, y = load_sst5(subset="train", return_X_y=True)
    X_dev, y_dev = load_sst5(subset="dev", return_X_y=True)
    return list(X) + list(X_dev), np.concatenate([y, y_dev])


#: The selection data of each corpus: training data only.
CORPORA = {"mr": _mr, "trec": _trec, "sst2": _sst2, "sst5": _sst5}


def score(params, X, y, train, val, seed, weights=()):
    """Validation accuracies and fit seconds of one candidate on one split.

    The accuracies are the candidate's as fitted, then at each of
    ``weights`` as ``ngram_weight``.
    """
    # JSON has no tuples: a list is one (``"ngram_range": [1, 2]``).
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    model = RNNTextClassifier(**{**params, "random_state": seed})
    start = time.perf_counter()
    model.fit([X[i] for i in train], y[train])
    seconds = time.perf_counter() - start
    X_val = [X[i] for i in val]
    accuracies = [model.score(X_val, y[val])]
    for weight in weights:
        model.set_params(ngram_weight=weight)
        accuracies.append(model.score(X_val, y[val]))
    return accuracies, seconds


def mean_se(values):
    """Mean and standard error of the mean."""
    values = np.asarray(values, dtype=float)
    return values.mean(), values.std(ddof=1) / np.sqrt(len(values))


def comparison_parser(description: str, corpora: str = "trec,sst2"):
    """The arguments of a comparison of candidates on the selection splits."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--corpora", default=corpora)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--folds", type=int, default=3)
    return parser


def compare(args, split_scores, names, extra=()) -> None:
    """Print each candidate's accuracy and paired difference from ``defaults``.

    ``split_scores(X, y, train, val, seed)`` gives each candidate's
    validation accuracy on one split (of ``args.corpora``' selection splits),
    or its accuracy then the values of the ``extra`` columns, which the table
    averages over the splits.
    """
    print("\n".join(f"- {line}" for line in environment_lines()), flush=True)
    rows = []
    for corpus in args.corpora.split(","):
        X, y, splits = selection_splits(corpus, args.repeats, args.folds)
        start = time.perf_counter()
        scores = [split_scores(X, y, train, val, seed) for seed, train, val in splits]
        print(json.dumps({corpus: scores}), flush=True)
        values = {
            name: np.array([np.atleast_1d(s[name]) for s in scores]) for name in names
        }
        reference = values["defaults"][:, 0]
        for name in names:
            mean, se = mean_se(values[name][:, 0])
            diff, diff_se = mean_se(values[name][:, 0] - reference)
            rows.append(
                [
                    corpus,
                    name,
                    f"{mean:.2f} ± {se:.2f}",
                    "reference"
                    if name == "defaults"
                    else f"{diff:+.2f} ± {diff_se:.2f}",
                    *(f"{v:.1f}" for v in values[name][:, 1:].mean(axis=0)),
                ]
            )
        print(f"[{corpus}: {time.perf_counter() - start:.0f} s]", flush=True)
    headers = ["corpus", "candidate", "accuracy % ± SE", "difference ± SE", *extra]
    print(markdown_table(headers, rows))


def selection_splits(corpus: str, repeats: int, folds: int):
    """A corpus's selection data and its splits: ``(X, y, [(repeat, train, val)])``.

    Stratified ``folds``-fold splits, each repeat shuffled with
    ``random_state=repeat`` (which also seeds that repeat's fits).
    """
    X, y = CORPORA[corpus]()
    X, y = list(X), np.asarray(y)
    splits = [
        (repeat, train, val)
        for repeat in range(repeats)
        for train, val in StratifiedKFold(
            n_splits=folds, shuffle=True, random_state=repeat
        ).split(X, y)
    ]
    return X, y, splits


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="trec", help="subset of mr,trec,sst2,sst5")
    parser.add_argument(
        "--candidates",
        default='[{}, {"n_estimators": 3}]',
        help="JSON list of parameter dicts; the first is the reference",
    )
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument(
        "--ngram-weights",
        default="",
        help="comma-separated ngram_weight values to score each fit at as well",
    )
    args = parser.parse_args()
    candidates = json.loads(args.candidates)
    weights = [float(w) for w in args.ngram_weights.split(",") if w]
    variants = [
        variant
        for params in candidates
        for variant in [params] + [{**params, "ngram_weight": w} for w in weights]
    ]
    print("\n".join(environment_lines()))
    for corpus in args.corpora.split(","):
        X, y, splits = selection_splits(corpus, args.repeats, args.folds)
        results = Parallel(n_jobs=args.jobs)(
            delayed(score)(params, X, y, train, val, seed=repeat, weights=weights)
            for params in candidates
            for repeat, train, val in splits
        )
        # One row per variant: a candidate as fitted, then at each weight.
        shape = (len(candidates), len(splits), 1 + len(weights))
        accuracy = np.array([r[0] for r in results]).reshape(shape)
        accuracy = accuracy.transpose(0, 2, 1).reshape(len(variants), -1)
        seconds = np.repeat(
            np.array([r[1] for r in results]).reshape(len(candidates), -1),
            1 + len(weights),
            axis=0,
        )
        rows = []
        for k, params in enumerate(variants):
            mean, se = mean_se(100 * accuracy[k])
            diff, diff_se = (
                mean_se(100 * (accuracy[k] - accuracy[0])) if k else (0.0, 0.0)
            )
            rows.append(
                [
                    json.dumps(params),
                    f"{mean:.2f} ± {se:.2f}",
                    f"{diff:+.2f} ± {diff_se:.2f}" if k else "reference",
                    f"{seconds[k].mean():.1f}",
                ]
            )
        print()
        print(
            f"{corpus}: {len(X)} training documents, {args.repeats} x "
            f"{args.folds}-fold stratified CV, random_state = repeat"
        )
        print()
        print(
            markdown_table(
                ["candidate", "accuracy % ± SE", "difference ± SE", "fit s"], rows
            )
        )


if __name__ == "__main__":
    main()
