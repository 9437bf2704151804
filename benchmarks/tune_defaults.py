"""Choose the estimator's defaults on training and development data only.

For each candidate configuration, fit on SST-2 train and score on SST-2 dev,
and fit on 90% of TREC train and score on the held-out 10% (TREC has no dev
set); the test sets are never read.  Prints a markdown table with accuracy and
fit time.  Usage::

    python benchmarks/tune_defaults.py [--candidates NAME,NAME,...]
"""

import argparse
import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skrnn import RNNTextClassifier
from skrnn.datasets import load_sst2, load_trec

BASE = {
    "cell": "gru",
    "embedding_dim": 64,
    "hidden_size": 64,
    "batch_size": 32,
    "solver": "adam",
    "early_stopping": True,
    "n_iter_no_change": 5,
    "max_iter": 30,
    "random_state": 0,
    # The first two rounds ran before input dropout existed.
    "input_dropout": 0.0,
}
CANDIDATES = {
    "gru-last-lr5e-3": {"pooling": "last", "learning_rate_init": 5e-3},
    "gru-last-lr5e-3-d0.2": {
        "pooling": "last",
        "learning_rate_init": 5e-3,
        "dropout": 0.2,
    },
    "gru-max-lr5e-3-d0.2": {
        "pooling": "max",
        "learning_rate_init": 5e-3,
        "dropout": 0.2,
    },
    "gru-last-lr2e-3": {"pooling": "last", "learning_rate_init": 2e-3},
    "gru-max-lr2e-3-d0.3": {
        "pooling": "max",
        "learning_rate_init": 2e-3,
        "dropout": 0.3,
    },
    "bigru-max-lr2e-3-d0.3": {
        "pooling": "max",
        "learning_rate_init": 2e-3,
        "dropout": 0.3,
        "bidirectional": True,
    },
    "gru-last-lr5e-3-d0.2-patience10": {
        "pooling": "last",
        "learning_rate_init": 5e-3,
        "dropout": 0.2,
        "n_iter_no_change": 10,
    },
    "gru-last-lr5e-3-d0.2-h128": {
        "pooling": "last",
        "learning_rate_init": 5e-3,
        "dropout": 0.2,
        "hidden_size": 128,
    },
    "lstm-last-lr5e-3": {"cell": "lstm", "pooling": "last", "learning_rate_init": 5e-3},
    "rnn-last-lr5e-3": {"cell": "rnn", "pooling": "last", "learning_rate_init": 5e-3},
    # Round 3: the default with dropout on the embedded words.
    "gru-last-lr5e-3-d0.2-in0.5": {
        "pooling": "last",
        "learning_rate_init": 5e-3,
        "dropout": 0.2,
        "input_dropout": 0.5,
    },
}


def tasks():
    X, y = load_sst2(subset="train", return_X_y=True)
    X_dev, y_dev = load_sst2(subset="dev", return_X_y=True)
    yield "SST-2 dev", X, y, X_dev, y_dev
    X, y = load_trec(subset="train", return_X_y=True)
    X_tr, X_val, y_tr, y_val = train_test_split(
        X, y, test_size=0.1, random_state=0, stratify=y
    )
    yield "TREC train-holdout", X_tr, y_tr, X_val, y_val


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    args = parser.parse_args()
    names = args.candidates.split(",")
    print("| candidate | task | accuracy | epochs | fit s |")
    print("|---|---|---|---|---|")
    for name in names:
        for task, X, y, X_val, y_val in tasks():
            clf = RNNTextClassifier(**{**BASE, **CANDIDATES[name]})
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(X, y)
            seconds = time.perf_counter() - start
            print(
                f"| {name} | {task} | {clf.score(X_val, y_val):.4f} | "
                f"{clf.n_iter_} | {seconds:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
