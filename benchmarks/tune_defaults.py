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
    "embedding_dim": 64,
    "hidden_size": 64,
    "batch_size": 32,
    "solver": "adam",
    "learning_rate_init": 2e-3,
    "early_stopping": True,
    "n_iter_no_change": 3,
    "max_iter": 30,
    "random_state": 0,
}
CANDIDATES = {
    "bigru-max-d0.3": {
        "cell": "gru",
        "bidirectional": True,
        "pooling": "max",
        "dropout": 0.3,
    },
    "bilstm-max-d0.3": {
        "cell": "lstm",
        "bidirectional": True,
        "pooling": "max",
        "dropout": 0.3,
    },
    "gru-max-d0.3": {
        "cell": "gru",
        "bidirectional": False,
        "pooling": "max",
        "dropout": 0.3,
    },
    "birnn-max-d0.3": {
        "cell": "rnn",
        "bidirectional": True,
        "pooling": "max",
        "dropout": 0.3,
    },
    "bigru-mean-d0.3": {
        "cell": "gru",
        "bidirectional": True,
        "pooling": "mean",
        "dropout": 0.3,
    },
    "bigru-max-d0.5": {
        "cell": "gru",
        "bidirectional": True,
        "pooling": "max",
        "dropout": 0.5,
    },
    "bigru-max-d0.3-e128": {
        "cell": "gru",
        "bidirectional": True,
        "pooling": "max",
        "dropout": 0.3,
        "embedding_dim": 128,
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
