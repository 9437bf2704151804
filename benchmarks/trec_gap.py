"""Why skrnn trails fastText on TREC's test set: the selection splits' view.

Usage::

    python benchmarks/trec_gap.py --repeats 4 --folds 3 --jobs 2

On the selection protocol's splits of TREC's training set (``selection.py``:
stratified K-fold repeated with ``random_state`` = repeat), fits skrnn's
defaults, ``accuracy.py``'s fastText and NBSVM-bi, and a character n-gram
model (TF-IDF of ``char_wb`` 2-5-grams, sublinear, ``LogisticRegression``
with ``C=10``), and prints

* each class's recall for the three models, the class's share of the
  training and of the test set, and each model's accuracy over the splits
  as measured and reweighted to the test set's mix of classes (its recall
  of each class weighted by the class's share of the test set: only the
  test set's label counts are read, no test document);
* the defaults' blend with the character n-gram model as a third member,
  ``log p = (1 - w) log p_network + w ((1 - a) log p_ngrams + a log p_chars)``
  (``w = 0.7``, the companion's weight), for a few ``a``: whether subword
  features would add what the word n-grams lack (unknown words: names,
  rare spellings).

Every figure is a mean over the ``repeats x folds`` splits with its
standard error; differences are paired on the splits.
"""

import argparse

import numpy as np
from _baselines import FastTextClassifier, make_nbsvm_bi
from _env import environment_lines, markdown_table
from joblib import Parallel, delayed
from selection import mean_se, selection_splits
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from skrnn import RNNTextClassifier
from skrnn.datasets import load_trec

#: TREC's coarse classes in the order of their labels in the data files.
CLASS_NAMES = ("DESC", "ENTY", "ABBR", "HUM", "LOC", "NUM")

#: Shares of the character n-gram model in the blend's n-gram part.
CHAR_SHARES = (0.2, 0.35, 0.5)


def _chars(X_train, y_train, X_val):
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True
    )
    model = LogisticRegression(C=10, max_iter=2000)
    model.fit(vectorizer.fit_transform(X_train), y_train)
    return model.predict_proba(vectorizer.transform(X_val))


def fit_split(X, y, train, val, seed):
    """Predictions and probabilities of the models on one split."""
    X_train, X_val = [X[i] for i in train], [X[i] for i in val]
    skrnn = RNNTextClassifier(random_state=seed).fit(X_train, y[train])
    skrnn.set_params(ngram_weight=0.0)
    network = skrnn.predict_proba(X_val)
    skrnn.set_params(ngram_weight=1.0)
    ngrams = skrnn.predict_proba(X_val)
    skrnn.set_params(ngram_weight=0.7)
    predictions = {
        "skrnn defaults": skrnn.predict(X_val),
        "fastText": FastTextClassifier(random_state=seed)
        .fit(X_train, y[train])
        .predict(X_val),
        "NBSVM-bi": make_nbsvm_bi().fit(X_train, y[train]).predict(X_val),
    }
    chars = _chars(X_train, y[train], X_val)
    return predictions, (network, ngrams, chars), skrnn.classes_


def blend(network, ngrams, chars, share, weight=0.7):
    """Logits of the three-member geometric blend."""
    log = [np.log(np.clip(p, 1e-12, 1.0)) for p in (network, ngrams, chars)]
    return (1 - weight) * log[0] + weight * ((1 - share) * log[1] + share * log[2])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    print("\n".join(environment_lines()))
    X, y, splits = selection_splits("trec", args.repeats, args.folds)
    _, y_test = load_trec(subset="test", return_X_y=True)
    classes = np.unique(y)
    train_share = np.array([np.mean(y == c) for c in classes])
    test_share = np.array([np.mean(np.asarray(y_test) == c) for c in classes])
    results = Parallel(n_jobs=args.jobs)(
        delayed(fit_split)(X, y, train, val, seed) for seed, train, val in splits
    )
    models = list(results[0][0])
    correct = {
        name: [
            r[0][name] == y[val] for r, (_, _, val) in zip(results, splits, strict=True)
        ]
        for name in models
    }
    recall = {
        name: np.array(
            [
                [c[y[val] == k].mean() for k in classes]
                for c, (_, _, val) in zip(hits, splits, strict=True)
            ]
        )
        for name, hits in correct.items()
    }
    rows = [
        [
            CLASS_NAMES[int(k)],
            f"{100 * train_share[j]:.1f}",
            f"{100 * test_share[j]:.1f}",
        ]
        + [f"{100 * recall[name][:, j].mean():.1f}" for name in models]
        for j, k in enumerate(classes)
    ]
    print(f"\nRecall % by class, {args.repeats} x {args.folds}-fold CV of TREC train\n")
    print(markdown_table(["class", "train share %", "test share %", *models], rows))
    reference = {
        "measured": np.array([np.mean(c) for c in correct[models[0]]]),
        "reweighted": recall[models[0]] @ test_share,
    }
    rows = []
    for name in models:
        cells = [name]
        for how, values in (
            ("measured", np.array([np.mean(c) for c in correct[name]])),
            ("reweighted", recall[name] @ test_share),
        ):
            mean, se = mean_se(100 * values)
            diff, diff_se = mean_se(100 * (values - reference[how]))
            cells += [f"{mean:.2f} ± {se:.2f}", f"{diff:+.2f} ± {diff_se:.2f}"]
        rows.append(cells)
    print("\nAccuracy %, as measured and reweighted to the test set's classes\n")
    print(
        markdown_table(
            [
                "model",
                "accuracy",
                "vs skrnn",
                "reweighted to the test mix",
                "vs skrnn",
            ],
            rows,
        )
    )
    rows = []
    base = None
    for label, share in [("network alone", None), ("the defaults (a = 0)", 0.0)] + [
        (f"a = {a}", a) for a in CHAR_SHARES
    ]:
        values = []
        for (_, (network, ngrams, chars), fitted), (_, _, val) in zip(
            results, splits, strict=True
        ):
            logits = (
                np.log(np.clip(network, 1e-12, 1.0))
                if share is None
                else blend(network, ngrams, chars, share)
            )
            values.append(np.mean(fitted[logits.argmax(axis=1)] == y[val]))
        values = np.array(values)
        if share == 0.0:
            base = values
        rows.append([label, values])
    chars_alone = np.array(
        [
            np.mean(fitted[chars.argmax(axis=1)] == y[val])
            for (_, (_, _, chars), fitted), (_, _, val) in zip(
                results, splits, strict=True
            )
        ]
    )
    rows.insert(1, ["character n-grams alone", chars_alone])
    table = []
    for label, values in rows:
        mean, se = mean_se(100 * values)
        diff, diff_se = mean_se(100 * (values - base))
        table.append([label, f"{mean:.2f} ± {se:.2f}", f"{diff:+.2f} ± {diff_se:.2f}"])
    print("\nCharacter n-grams as a third member of the blend (weight 0.7)\n")
    print(markdown_table(["blend", "accuracy %", "vs the defaults"], table))


if __name__ == "__main__":
    main()
