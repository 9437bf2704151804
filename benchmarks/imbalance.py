"""A rare class: skrnn beside TF-IDF + LogisticRegression and NBSVM-bi at 1:50.

Usage::

    python benchmarks/imbalance.py                       # 5 seeds, ~5 min
    python benchmarks/imbalance.py --seeds 3 --ratio 20
    python benchmarks/imbalance.py --corpus trec          # a rare class easier to tell
    python benchmarks/imbalance.py --candidates '[{"class_weight": "balanced"}]'

MR's 5,331 negative sentences and ``5,331 / ratio`` of its positive ones,
drawn anew for every seed, split 70/30 (stratified, by the same seed); every
model is fitted on the training part and scored on the held-out part.  With
``--corpus trec``, TREC's questions (training and test sets together): the
rare class is LOC (where...?) against the five others, its 916 questions
subsampled to ``5,036 / ratio``.  Models:

* ``RNNTextClassifier`` with its defaults (``random_state`` = the seed), and
  with each of ``--candidates`` (parameters over the defaults);
* TF-IDF (1-2 grams, sublinear) + ``LogisticRegression(C=10)`` (accuracy.py's
  baseline), with and without ``class_weight="balanced"``;
* NBSVM-bi (``_baselines.make_nbsvm_bi``).

Reported, as the mean and its standard error over the seeds: the balanced
accuracy and the recall of the rare class (positive) of ``predict``, at the
models' own threshold; the ROC AUC and the average precision of the rare
class's score (``predict_proba``, or NBSVM's ``decision_function``), which
do not depend on a threshold; and the mean fit time.
"""

import argparse
import json
import time
import warnings

import numpy as np
from _baselines import make_nbsvm_bi
from _env import environment_lines, markdown_table
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skrnn import RNNTextClassifier
from skrnn.datasets import load_movie_reviews, load_trec


def _binary_trec():
    """TREC's questions, 1 for LOC and 0 for the other classes."""
    X, y = [], []
    for subset in ("train", "test"):
        bunch = load_trec(subset=subset)
        X += list(bunch.data)
        y += list(np.asarray(bunch.target) == bunch.target_names.index("LOC"))
    return X, np.asarray(y, dtype=int)


CORPORA = {"mr": lambda: load_movie_reviews(return_X_y=True), "trec": _binary_trec}


def imbalanced(corpus: str, ratio: float, seed: int):
    """The negatives and ``1 / ratio`` as many positives, split 70/30."""
    X, y = CORPORA[corpus]()
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    negatives = np.flatnonzero(y == 0)
    positives = rng.choice(
        np.flatnonzero(y == 1), round(len(negatives) / ratio), replace=False
    )
    keep = np.concatenate([negatives, positives])
    return train_test_split(
        [X[i] for i in keep],
        y[keep],
        test_size=0.3,
        stratify=y[keep],
        random_state=seed,
    )


def models(seed: int, candidates: list[dict]) -> dict:
    tfidf = {"ngram_range": (1, 2), "sublinear_tf": True}
    entries = {"skrnn (defaults)": RNNTextClassifier(random_state=seed)}
    for params in candidates:
        entries[f"skrnn {json.dumps(params)}"] = RNNTextClassifier(
            **{"random_state": seed, **params}
        )
    for weight in (None, "balanced"):
        name = "TF-IDF + LR(C=10)" + (", class_weight='balanced'" if weight else "")
        entries[name] = make_pipeline(
            TfidfVectorizer(**tfidf),
            LogisticRegression(C=10, max_iter=1000, class_weight=weight),
        )
    entries["NBSVM-bi"] = make_nbsvm_bi()
    return entries


def rare_class_score(model, X) -> np.ndarray:
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    return model.decision_function(X)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="mr")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--ratio", type=float, default=50.0)
    parser.add_argument("--candidates", type=json.loads, default=[])
    args = parser.parse_args(argv)
    print("\n".join(f"- {line}" for line in environment_lines()), flush=True)
    results: dict[str, list[list[float]]] = {}
    for seed in range(args.seeds):
        X_train, X_test, y_train, y_test = imbalanced(args.corpus, args.ratio, seed)
        for name, model in models(seed, args.candidates).items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            predicted = model.predict(X_test)
            score = rare_class_score(model, X_test)
            row = [
                balanced_accuracy_score(y_test, predicted),
                recall_score(y_test, predicted),
                roc_auc_score(y_test, score),
                average_precision_score(y_test, score),
                seconds,
            ]
            results.setdefault(name, []).append(row)
            print(
                f"seed {seed} {name}: " + " ".join(f"{v:.3f}" for v in row), flush=True
            )
    n_rare = int(y_test.sum())
    print(
        f"\n{len(y_train)} training, {len(y_test)} test sentences a seed, "
        f"{n_rare} of them positive; {args.seeds} seeds, mean +- standard error\n"
    )

    def cell(values):
        values = np.asarray(values)
        se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else 0.0
        return f"{values.mean():.3f} +- {se:.3f}"

    rows = []
    for name, runs in results.items():
        columns = np.transpose(runs)
        rows.append([name, *(cell(c) for c in columns[:4]), f"{columns[4].mean():.0f}"])
    headers = [
        "model",
        "balanced accuracy",
        "rare-class recall",
        "ROC AUC",
        "average precision",
        "fit (s)",
    ]
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
