"""Shards of a minibatch in worker processes: what ``n_jobs=2`` gains a fit.

Usage::

    python benchmarks/data_parallel.py                  # configs a-d, ~6 min
    python benchmarks/data_parallel.py --configs a,b --repeats 3 --epochs 4

With ``n_jobs`` of 2 or more, skrnn computes the shards of a minibatch (of
``SHARD_SIZE`` = 32 documents) in joblib's worker processes beside the
training process (``skrnn/_shards.py``).  This script fits the estimator on
MR at configurations a-d of ``speed.py`` (whose batches of 64 or 128 make
two shards or more; e's batches of 32 are one) and times its epochs with
scikit-learn's callbacks, in turn:

* ``n_jobs=1`` with shards of 64, the size before the worker processes, to
  show what the smaller shards cost one core;
* ``n_jobs=1`` (shards of 32, in turn);
* ``n_jobs=2`` (shards of 32, in two processes);
* the last two again beside a **CPU hog**, a process spinning on a core,
  which issue 22 bounds: ``n_jobs=2`` no more than 10% slower than
  ``n_jobs=1`` when the other core is busy.

Each fit runs ``--epochs`` epochs (without the companion, constant rate);
the figure of a fit is its median epoch after the first (the first one
waits for the workers to start).  The tables give the least of the
``--repeats`` fits (the least disturbed) in seconds per epoch, and the
speed-ups over ``n_jobs=1`` on the same machine state.  Run it on a quiet
machine.
"""

import argparse
import multiprocessing
import statistics
import sys

from _env import environment_lines, load_average, markdown_table
from _skrnn_side import bench_configs, mr_split, timed_fit

import skrnn._training as training
from skrnn import RNNTextClassifier


def _hog() -> None:
    """Spin on a core until killed."""
    x = 0
    while True:
        x += 1


def epoch_seconds(params: dict, X, y, *, n_jobs: int, shard_size: int) -> float:
    """The median seconds of a fit's epochs after its first."""
    saved = training.SHARD_SIZE
    training.SHARD_SIZE = shard_size
    try:
        clf = RNNTextClassifier(**{**params, "n_jobs": n_jobs})
        _, epochs = timed_fit(clf, X, y)
    finally:
        training.SHARD_SIZE = saved
    return statistics.median(epochs[1:])


VARIANTS = {
    "n_jobs=1, shards of 64": dict(n_jobs=1, shard_size=64),
    "n_jobs=1": dict(n_jobs=1, shard_size=32),
    "n_jobs=2": dict(n_jobs=2, shard_size=32),
}


def measure(params, X, y, repeats: int) -> dict:
    """Least epoch seconds of each variant, quiet and beside a hog."""
    times = {}
    for hog in (False, True):
        hogger = None
        if hog:
            hogger = multiprocessing.Process(target=_hog, daemon=True)
            hogger.start()
        try:
            for _ in range(repeats):
                for name, variant in VARIANTS.items():
                    if hog and variant["shard_size"] != 32:
                        continue
                    seconds = epoch_seconds(params, X, y, **variant)
                    times.setdefault((name, hog), []).append(seconds)
        finally:
            if hogger is not None:
                hogger.kill()
                hogger.join()
    return {key: min(values) for key, values in times.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="a,b,c,d")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args(argv)
    configs = bench_configs()
    print("\n".join(environment_lines()))
    print(f"- command: `python benchmarks/data_parallel.py {' '.join(sys.argv[1:])}`")
    print(f"- load average at the start {load_average()}")
    X, _, y, _ = mr_split()
    rows = []
    for name in args.configs.split(","):
        params = {
            **configs[name].params,
            "ngram_range": None,
            "learning_rate": "constant",
            "max_iter": args.epochs,
            "n_iter_no_change": args.epochs,
            "random_state": 0,
        }
        best = measure(params, X, y, args.repeats)
        one = best[("n_jobs=1", False)]
        one_hog = best[("n_jobs=1", True)]
        sixty_four = best[("n_jobs=1, shards of 64", False)]
        two = best[("n_jobs=2", False)]
        two_hog = best[("n_jobs=2", True)]
        rows.append(
            [
                name,
                configs[name].describe(),
                f"{sixty_four:.3f}",
                f"{one:.3f} ({sixty_four / one:.2f}x)",
                f"{two:.3f} ({one / two:.2f}x)",
                f"{one_hog:.3f}",
                f"{two_hog:.3f} ({one_hog / two_hog:.2f}x)",
            ]
        )
        print(f"  [{name}: load {load_average()}]", file=sys.stderr)
    print("\nSeconds per epoch, least of the repeats (speed-up):\n")
    print(
        markdown_table(
            [
                "config",
                "network",
                "n_jobs=1, shards of 64",
                "n_jobs=1 (over 64)",
                "n_jobs=2 (over n_jobs=1)",
                "n_jobs=1, hog",
                "n_jobs=2, hog (over n_jobs=1, hog)",
            ],
            rows,
        )
    )
    print(f"\nload average at the end {load_average()}")


if __name__ == "__main__":
    main()
