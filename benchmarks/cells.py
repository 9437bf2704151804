"""Cell x direction on TREC: train on the train file, score on the test file.

Every other parameter is the estimator's default; nothing is tuned on test::

    python benchmarks/cells.py
"""

import itertools
import time
import warnings

from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNTextClassifier
from skrnn.datasets import load_trec
from skrnn.nn import CELLS


def main():
    X, y = load_trec(subset="train", return_X_y=True)
    X_test, y_test = load_trec(subset="test", return_X_y=True)
    print("| cell | bidirectional | TREC test accuracy | epochs | fit s |")
    print("|---|---|---|---|---|")
    for cell, bidirectional in itertools.product(CELLS, [False, True]):
        clf = RNNTextClassifier(cell=cell, bidirectional=bidirectional, random_state=0)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        seconds = time.perf_counter() - start
        print(
            f"| {cell} | {bidirectional} | {clf.score(X_test, y_test):.3f} | "
            f"{clf.n_iter_} | {seconds:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
