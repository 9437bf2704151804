"""What a network's table of its whole vocabulary saves a prediction call.

Usage::

    python benchmarks/vocabulary_tables.py
    python benchmarks/vocabulary_tables.py --configs b,d --repeats 21

Each configuration of ``speed.py`` (a-e) is fitted for one epoch on MR's
training sentences (as ``prediction_processes.py``); then ``predict_proba``
of MR's 1,067 held-out raw sentences on one thread (``n_jobs=1``), with
the first layer projected at every call for the call's distinct ids (as
before session 19: ``VOCABULARY_TABLE_BYTES = 0``) and through the table of
the whole vocabulary, made at the model's first call and kept
(``skrnn._prediction.VocabularyTables``), calls alternated, in one
process.  Reported: the median milliseconds of each, their ratio, the
first call that makes the table (against a call of the per-call tables),
the table's megabytes, and the largest difference of the probabilities
(rounding: the rows of one product are the same bits whichever other rows
are in it, but not at every width of the gates).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from skrnn import _prediction

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import git_state, load_average, markdown_table
from _skrnn_side import bench_configs, mr_split
from prediction_processes import fitted


def per_call(clf, X) -> np.ndarray:
    """``predict_proba`` with a table of the call's distinct ids."""
    saved = _prediction.VOCABULARY_TABLE_BYTES
    _prediction.VOCABULARY_TABLE_BYTES = 0
    try:
        return clf.predict_proba(X)
    finally:
        _prediction.VOCABULARY_TABLE_BYTES = saved


def measure(clf, X, repeats: int) -> dict:
    """Milliseconds of the two ways, alternated, and what the table costs."""
    per_call(clf, X)  # warm up
    start = time.perf_counter()
    folded = clf.predict_proba(X)  # makes the table
    first_ms = 1e3 * (time.perf_counter() - start)
    times = {"per call": [], "vocabulary": []}
    for k in range(repeats):
        for name in ("per call", "vocabulary")[:: 1 if k % 2 else -1]:
            start = time.perf_counter()
            if name == "per call":
                old = per_call(clf, X)
            else:
                clf.predict_proba(X)
            times[name].append(1e3 * (time.perf_counter() - start))
    tables = _prediction.VOCABULARY_TABLES._tables
    n_bytes = sum(entry[2] for entry in tables.values())
    return {
        **{name: statistics.median(ms) for name, ms in times.items()},
        "first": first_ms,
        "MB": n_bytes / 2**20,
        "diff": float(np.abs(folded - old).max()),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="a,b,c,d,e")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    configs = bench_configs()
    X_train, X_test, y_train, _ = mr_split()
    print(f"- {git_state()}, load average {load_average()}", flush=True)
    rows = []
    for name in args.configs.split(","):
        clf = fitted(configs[name].params, X_train, y_train)
        _prediction.VOCABULARY_TABLES._tables.clear()
        r = measure(clf, X_test, args.repeats)
        rows.append(
            [
                name,
                f"{r['per call']:.1f}",
                f"{r['vocabulary']:.1f}",
                f"{r['per call'] / r['vocabulary']:.2f}",
                f"{r['first']:.1f}",
                f"{r['MB']:.1f}",
                f"{r['diff']:.1e}",
                load_average(),
            ]
        )
        print(rows[-1], flush=True)
    print(
        markdown_table(
            [
                "config",
                "ms a call: per-call tables",
                "vocabulary's table",
                "speed-up",
                "first call, ms",
                "table MB",
                "largest difference",
                "load",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
