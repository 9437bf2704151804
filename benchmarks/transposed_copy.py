"""Does the backward loop gain from a contiguous copy of ``W_hh.T``?

Usage::

    python benchmarks/transposed_copy.py            # ~1-2 min
    python benchmarks/transposed_copy.py --repeats 9 --n-docs 6000

The cells' backward steps multiply by ``W_hh.T`` once per time step.  skrnn
hands BLAS a contiguous copy made once per batch (``_cells._transposed``);
this script swaps that for the transposed view, which is what skrnn did
before, and times one-epoch fits of configurations like ``speed.py``'s b
(LSTM), c (GRU) and a (RNN) on MR sentences, alternating the two, in one
process.  It prints the least CPU time of each and their ratio (view / copy:
above 1, the copy is faster).  ``floor.py`` times the product alone at these
shapes.
"""

import argparse
import time
import warnings

import numpy as np
from _env import environment_lines, markdown_table
from sklearn.exceptions import ConvergenceWarning

import skrnn.nn._cells as cells
from skrnn import RNNTextClassifier
from skrnn.datasets import load_movie_reviews

CONFIGS = {
    "b (lstm)": {"cell": "lstm", "embedding_dim": 64, "hidden_size": 128},
    "c (gru)": {"cell": "gru", "embedding_dim": 64, "hidden_size": 128},
    "a (rnn)": {"cell": "rnn", "embedding_dim": 64, "hidden_size": 64},
}


def epoch_seconds(params, X, y):
    clf = RNNTextClassifier(
        max_iter=1, early_stopping=False, batch_size=64, random_state=0, **params
    )
    start = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return time.process_time() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-docs", type=int, default=3000)
    args = parser.parse_args()
    X, y = load_movie_reviews(return_X_y=True)
    idx = np.random.default_rng(0).permutation(len(y))[: args.n_docs]
    X, y = [X[i] for i in idx], np.asarray(y)[idx]
    variants = {"view": lambda W: W.T, "copy": cells._transposed}
    rows = []
    for name, params in CONFIGS.items():
        seconds = {variant: [] for variant in variants}
        for _ in range(args.repeats):
            for variant, transposed in variants.items():
                cells._transposed = transposed
                seconds[variant].append(epoch_seconds(params, X, y))
        cells._transposed = variants["copy"]
        view, copy = min(seconds["view"]), min(seconds["copy"])
        rows.append([name, f"{view:.2f}", f"{copy:.2f}", f"{view / copy:.3f}"])
    print("\n".join(environment_lines()))
    print()
    print(markdown_table(["config", "view (s)", "copy (s)", "view / copy"], rows))


if __name__ == "__main__":
    main()
