"""Ensembles of networks: test accuracy and fit time by n_estimators and n_jobs.

Fits skrnn's defaults (``random_state=0``) with each ``n_estimators`` of
``--sizes`` and each ``n_jobs`` of ``--n-jobs`` on each corpus, train ->
test, and prints the test accuracy, the wall-clock fit time of each and its
ratio to the first ``n_jobs`` (with ``n_jobs`` of 2 or more the members
train side by side in worker processes, to the same bits: the accuracy must
not change), with the machine's load (it is shared: compare ratios, not
seconds).  The ``n_jobs`` settings of one size are fitted in turn,
``--repeats`` times, and the least time of each is kept.

    python benchmarks/ensembles.py                      # 1 and 3 members
    python benchmarks/ensembles.py --corpora trec,sst2,mr --sizes 5 \\
        --ngram-weight 0.6 --n-jobs 1,2 --repeats 2    # the best setting
"""

import argparse
import time

from _env import git_state, load_average
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold

from skrnn import RNNTextClassifier
from skrnn.datasets import load_movie_reviews, load_sst2, load_trec


def _mr(subset, return_X_y):
    """MR's first 10-fold split (of ``accuracy.py``): its training or test part."""
    X, y = load_movie_reviews(return_X_y=True)
    train, test = next(StratifiedKFold(10, shuffle=True, random_state=0).split(X, y))
    idx = train if subset == "train" else test
    return [X[i] for i in idx], y[idx]


CORPORA = {"trec": load_trec, "sst2": load_sst2, "mr": _mr}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="trec,sst2")
    parser.add_argument("--sizes", default="1,3", help="n_estimators values")
    parser.add_argument("--n-jobs", default="1", help="n_jobs values, in turn")
    parser.add_argument("--ngram-weight", type=float, default=None)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs = [int(n) for n in args.n_jobs.split(",")]
    extra = {} if args.ngram_weight is None else {"ngram_weight": args.ngram_weight}
    print(f"skrnn {git_state()}; load average {load_average()} at the start")
    print(
        "| corpus | n_estimators | n_jobs | test accuracy % | fit s (least) "
        "| / first n_jobs | n_iter_ per member | load after |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for corpus in args.corpora.split(","):
        load = CORPORA[corpus]
        X_train, y_train = load(subset="train", return_X_y=True)
        X_test, y_test = load(subset="test", return_X_y=True)
        for n_estimators in sizes:
            seconds = {n: [] for n in jobs}
            models = {}
            for _ in range(args.repeats):
                for n_jobs in jobs:
                    model = RNNTextClassifier(
                        n_estimators=n_estimators,
                        n_jobs=n_jobs,
                        random_state=0,
                        **extra,
                    )
                    start = time.perf_counter()
                    model.fit(X_train, y_train)
                    seconds[n_jobs].append(time.perf_counter() - start)
                    models[n_jobs] = model
            first = min(seconds[jobs[0]])
            for n_jobs, model in models.items():
                accuracy = 100 * accuracy_score(y_test, model.predict(X_test))
                epochs = [member.training.n_iter for member in model._fitted.ensemble]
                least = min(seconds[n_jobs])
                print(
                    f"| {corpus} | {n_estimators} | {n_jobs} | {accuracy:.1f} "
                    f"| {least:.1f} | {least / first:.2f} "
                    f"| {' '.join(map(str, epochs))} | {load_average()} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
