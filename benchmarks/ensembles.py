"""Ensembles of networks: n_estimators=1 against 3, train -> test.

Fits skrnn's defaults (``random_state=0``) with ``n_estimators`` 1 and 3 on
TREC and SST-2, and prints the test accuracy and the wall-clock fit time of
each, with the machine's load (it is shared: compare ratios, not seconds).

    python benchmarks/ensembles.py
"""

import time

from _env import git_state, load_average
from sklearn.metrics import accuracy_score

from skrnn import RNNTextClassifier
from skrnn.datasets import load_sst2, load_trec

CORPORA = {"TREC": load_trec, "SST-2": load_sst2}
SIZES = (1, 3)


def main() -> None:
    print(f"skrnn {git_state()}; load average {load_average()} at the start")
    print("| corpus | n_estimators | test accuracy % | fit s | n_iter_ per member |")
    print("|---|---|---|---|---|")
    for corpus, load in CORPORA.items():
        X_train, y_train = load(subset="train", return_X_y=True)
        X_test, y_test = load(subset="test", return_X_y=True)
        for n_estimators in SIZES:
            model = RNNTextClassifier(n_estimators=n_estimators, random_state=0)
            start = time.perf_counter()
            model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            accuracy = 100 * accuracy_score(y_test, model.predict(X_test))
            epochs = [member.training.n_iter for member in model._fitted.ensemble]
            print(
                f"| {corpus} | {n_estimators} | {accuracy:.1f} | {seconds:.1f} "
                f"| {' '.join(map(str, epochs))} |",
                flush=True,
            )
    print(f"load average {load_average()} at the end")


if __name__ == "__main__":
    main()
