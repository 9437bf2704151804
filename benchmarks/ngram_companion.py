"""The n-gram companion and the VotingClassifier recipe, by the selection protocol.

Usage::

    python benchmarks/ngram_companion.py --corpora trec,sst2,mr

On the splits of ``selection.py`` (training data only), one
``RNNTextClassifier(ngram_range=(1, 2), random_state=repeat)`` is fitted per
split and scored at every ``--weights`` value of ``ngram_weight``, which is
read at prediction: weight 0 is the network alone (bit for bit the fit
without a companion, whose network is the same), weight 1 the companion
alone.  Beside them, on the same split, the soft ``VotingClassifier`` recipe
of the user guide: the mean of the network's probabilities and those of
``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)`` +
``LogisticRegression(C=10)``, which is what the fitted VotingClassifier
predicts.  Differences are paired: against the network alone, and against
the default ``ngram_weight=0.5``.
"""

import argparse
import json
import time

import numpy as np
from _env import environment_lines, markdown_table
from selection import CORPORA, mean_se
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from skrnn import RNNTextClassifier


def score(X, y, train, val, seed, weights, params):
    """Accuracies of every variant on one split, and the fit seconds."""
    X_train, X_val = [X[i] for i in train], [X[i] for i in val]
    model = RNNTextClassifier(ngram_range=(1, 2), random_state=seed, **params)
    start = time.perf_counter()
    model.fit(X_train, y[train])
    seconds = time.perf_counter() - start
    accuracy = {}
    for weight in weights:
        model.set_params(ngram_weight=weight)
        accuracy[f"ngram_weight={weight}"] = model.score(X_val, y[val])
    model.set_params(ngram_weight=0.0)
    tfidf = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=10, max_iter=1000),
    ).fit(X_train, y[train])
    proba = (model.predict_proba(X_val) + tfidf.predict_proba(X_val)) / 2
    accuracy["TF-IDF+LR alone"] = tfidf.score(X_val, y[val])
    accuracy["VotingClassifier(network, TF-IDF+LR)"] = np.mean(
        model.classes_[proba.argmax(axis=1)] == y[val]
    )
    return accuracy, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="trec", help="subset of mr,trec,sst2")
    parser.add_argument("--weights", default="0,0.3,0.5,0.7,1", help="0 and 0.5 in")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--params", default="{}", help="JSON: other parameters")
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    params = json.loads(args.params)
    print("\n".join(environment_lines()))
    for corpus in args.corpora.split(","):
        X, y = CORPORA[corpus]()
        X, y = list(X), np.asarray(y)
        results = [
            score(X, y, train, val, repeat, weights, params)
            for repeat in range(args.repeats)
            for train, val in StratifiedKFold(
                n_splits=args.folds, shuffle=True, random_state=repeat
            ).split(X, y)
        ]
        references = [
            np.array([r[0][f"ngram_weight={w}"] for r in results]) for w in (0.0, 0.5)
        ]
        rows = []
        for name in results[0][0]:
            accuracy = np.array([r[0][name] for r in results])
            mean, se = mean_se(100 * accuracy)
            row = [name, f"{mean:.2f} ± {se:.2f}"]
            for reference in references:
                diff, diff_se = mean_se(100 * (accuracy - reference))
                row.append(f"{diff:+.2f} ± {diff_se:.2f}")
            rows.append(row)
        print()
        print(
            f"{corpus}: {len(X)} training documents, {args.repeats} x "
            f"{args.folds}-fold stratified CV, random_state = repeat; fit with "
            f"the companion {np.mean([r[1] for r in results]):.1f} s"
        )
        print()
        headers = ["variant", "accuracy % ± SE", "vs network ± SE", "vs 0.5 ± SE"]
        print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
