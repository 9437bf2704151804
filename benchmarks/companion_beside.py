"""Fit time of the defaults, whose n-gram companion fits beside the network.

Usage::

    python benchmarks/companion_beside.py                # TREC, n_jobs=2
    python benchmarks/companion_beside.py --corpus mr --n-jobs 1

One ``RNNTextClassifier(random_state=0, n_jobs=N).fit`` on the corpus's
training set (all of MR); prints the fit's seconds, the seconds at which the
companion's fit and the network's epochs ended (the companion's fit timed by
wrapping ``fit_ngrams``, the epochs by a wrapper of ``run_epoch``), and the
load.  With ``n_jobs`` of 2 or more, the companion fits on a thread of its
own while the network trains: the network's epochs should not wait for it.
To compare two versions of skrnn, alternate ``PYTHONPATH`` between their
checkouts in one shell loop, e.g.::

    for i in 1 2 3; do
        PYTHONPATH=/path/to/old python benchmarks/companion_beside.py
        PYTHONPATH=/path/to/new python benchmarks/companion_beside.py
    done
"""

import argparse
import os
import time
import warnings

import skrnn
import skrnn._classifier as classifier_module
import skrnn._training as training_module
from skrnn import RNNTextClassifier
from skrnn.datasets import load_movie_reviews, load_sst2, load_trec

LOADERS = {"trec": load_trec, "mr": load_movie_reviews, "sst2": load_sst2}


def timed(module, name, stamps, start):
    """Wrap ``module.name`` so that each call appends its end time to ``stamps``."""
    real = getattr(module, name)

    def wrapper(*args, **kwargs):
        result = real(*args, **kwargs)
        stamps.append(time.perf_counter() - start)
        return result

    setattr(module, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", choices=sorted(LOADERS), default="trec")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    loader = LOADERS[args.corpus]
    try:
        X, y = loader(subset="train", return_X_y=True)
    except ValueError:  # MR has no split: all of it
        X, y = loader(subset="all", return_X_y=True)
    companion, epochs = [], []
    clf = RNNTextClassifier(random_state=0, n_jobs=args.n_jobs)
    start = time.perf_counter()
    timed(classifier_module, "fit_ngrams", companion, start)
    timed(training_module, "run_epoch", epochs, start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    seconds = time.perf_counter() - start
    print(
        f"{args.corpus} n_jobs={args.n_jobs} skrnn={os.path.dirname(skrnn.__file__)}: "
        f"fit {seconds:.2f} s, companion done at {companion[-1]:.2f} s, "
        f"epochs done at {' '.join(f'{t:.2f}' for t in epochs)} s "
        f"(n_iter_={clf.n_iter_}); load {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
