"""Solvers and early stopping on MR: loss curves and the cost of stopping early.

Fits the default network on a stratified 90/10 split of MR (random_state 0):
Adam and SGD with Nesterov momentum for 10 epochs each (early stopping off),
then the defaults (``early_stopping="auto"``, on for MR) against
``early_stopping=False`` with ``max_iter=30`` (the training-loss rule). Prints
test accuracy, fit time and the loss curves::

    python benchmarks/solvers.py
"""

import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skrnn import RNNTextClassifier
from skrnn.datasets import load_movie_reviews

RUNS = {
    "adam lr 5e-3, 10 epochs": {
        "solver": "adam",
        "learning_rate_init": 5e-3,
        "early_stopping": False,
        "max_iter": 10,
    },
    "sgd lr 0.1 Nesterov 0.9, 10 epochs": {
        "solver": "sgd",
        "learning_rate_init": 0.1,
        "momentum": 0.9,
        "early_stopping": False,
        "max_iter": 10,
    },
    "defaults (early_stopping='auto', on)": {},
    "early_stopping=False, max_iter=30": {"early_stopping": False, "max_iter": 30},
}


def main():
    X, y = load_movie_reviews(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.1, random_state=0, stratify=y
    )
    print("| run | test accuracy | epochs | fit s | training loss per epoch |")
    print("|---|---|---|---|---|")
    for name, params in RUNS.items():
        clf = RNNTextClassifier(**params, random_state=0)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_tr, y_tr)
        seconds = time.perf_counter() - start
        curve = " ".join(f"{loss:.3f}" for loss in clf.loss_curve_)
        print(
            f"| {name} | {clf.score(X_te, y_te):.3f} | {clf.n_iter_} | "
            f"{seconds:.1f} | {curve} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
