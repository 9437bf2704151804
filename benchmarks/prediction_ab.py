"""A/B of one configuration's ``predict_proba`` between this checkout and another.

Usage::

    git archive main | tar -x -C /tmp/base          # the code before
    python benchmarks/prediction_ab.py --other /tmp/base --configs b
    python benchmarks/prediction_ab.py --other /tmp/base --configs b,a --rounds 8

Each configuration of ``speed.py`` (``_skrnn_side.bench_configs``) is
fitted once, by this checkout, for one epoch on MR's 9,595 training
sentences (as ``prediction_workers.py`` does) and pickled; MR's 1,067
held-out raw sentences are then predicted by child processes that import
skrnn from this checkout and from ``--other`` in turn (``--rounds`` rounds,
``A B B A`` order so that neither always goes first). Each child warms up
(its first calls, its worker process holding the model), then alternates
``--calls`` calls of ``n_jobs=1`` with as many of ``n_jobs=2`` forced onto
its two processes (``prediction_workers.FixedWay``), and records each
call's wall-clock milliseconds, this thread's CPU milliseconds and, for the
two processes, the worker's main thread's CPU milliseconds (Linux's
``/proc/PID/schedstat``); then ``--windows`` windows of half a second of
``n_jobs=2`` calls as ``PREDICT_WAYS`` judges them, 1.5 s apart (as
``speed.py``'s windows come between training epochs), each giving its mean
milliseconds a call, explorations of the slower ways included. The table
gives the medians over every call (window) of every round, and the ratios
other / this (above 1: this checkout faster).
CPU times say what the calls cost when another process keeps a core busy
(the wall clock of two processes then measures the other process too).
The children check that both checkouts give the same bits (a hash of the
probabilities) and that ``n_jobs=2`` gives those of ``n_jobs=1``.
"""

import argparse
import pickle
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import environment_lines, load_average, markdown_table, run_in_checkout
from _skrnn_side import bench_configs, mr_split
from prediction_processes import fitted

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import hashlib, json, pickle, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path.cwd() / "benchmarks"))
from prediction_workers import with_way
from skrnn import _prediction_workers
clf, X = pickle.load(open(sys.argv[1], "rb"))
n_calls = int(sys.argv[2])
one = with_way(clf, None, 1)
two = with_way(clf, "processes", 2)
reference = one(X)
for _ in range(100):
    two(X)
    workers = _prediction_workers._WORKER
    if workers and workers[0].held is not None and workers[0].warm is not None:
        break
    time.sleep(0.05)
worker = _prediction_workers._WORKER[0]
def worker_ms():
    stat = Path(f"/proc/{worker.pid}/schedstat").read_text()
    return int(stat.split()[0]) / 1e6
for _ in range(3):
    one(X)
    assert np.array_equal(two(X), reference)
rows = {"n_jobs=1": [], "2 processes": []}
for _ in range(n_calls):
    for name, call in (("n_jobs=1", one), ("2 processes", two)):
        w0, c0, t0 = worker_ms(), time.thread_time(), time.perf_counter()
        call(X)
        t1, c1, w1 = time.perf_counter(), time.thread_time(), worker_ms()
        rows[name].append([1e3 * (t1 - t0), 1e3 * (c1 - c0), w1 - w0])
judged = with_way(clf, None, 2)
windows = []
for _ in range(int(sys.argv[3])):
    time.sleep(1.5)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.5:
        judged(X)
        n += 1
    windows.append(1e3 * (time.perf_counter() - start) / n)
digest = hashlib.sha1(np.ascontiguousarray(reference).tobytes()).hexdigest()
print(json.dumps({"rows": rows, "windows": windows, "digest": digest}))
"""


def main() -> None:
    """Fit, then alternate the two checkouts' children; print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", type=Path, required=True)
    parser.add_argument("--configs", default="b")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--calls", type=int, default=8)
    parser.add_argument("--windows", type=int, default=4)
    args = parser.parse_args()
    print("\n".join(environment_lines()))
    X_train, X_test, y_train, _ = mr_split()
    configs = bench_configs()
    table = []
    for name in args.configs.split(","):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = fitted(configs[name].params, X_train, y_train)
        with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as f:
            pickle.dump((clf, list(X_test)), f)
        calls = {"this": [], "other": []}
        windows = {"this": [], "other": []}
        digests = set()
        before = load_average()
        for r in range(args.rounds):
            order = ("this", "other") if r % 2 == 0 else ("other", "this")
            for side in order:
                path = REPO if side == "this" else args.other.resolve()
                out = run_in_checkout(path, CHILD, f.name, args.calls, args.windows)
                calls[side].append(out["rows"])
                windows[side] += out["windows"]
                digests.add(out["digest"])
        Path(f.name).unlink()
        after = load_average()
        for way, columns in (
            ("n_jobs=1", ("wall", "CPU")),
            ("2 processes", ("wall", "caller CPU", "worker CPU")),
        ):
            medians = {
                side: np.median(
                    np.concatenate([np.asarray(rows[way]) for rows in runs]), axis=0
                )
                for side, runs in calls.items()
            }
            for j, column in enumerate(columns):
                this, other = medians["this"][j], medians["other"][j]
                table.append(
                    [
                        name,
                        way,
                        column,
                        f"{other:.1f}",
                        f"{this:.1f}",
                        f"{other / this:.3f}",
                        f"{before} / {after}",
                    ]
                )
        this, other = np.median(windows["this"]), np.median(windows["other"])
        table.append(
            [
                name,
                "n_jobs=2, judged",
                "wall, windows",
                f"{other:.1f}",
                f"{this:.1f}",
                f"{other / this:.3f}",
                f"{before} / {after}",
            ]
        )
        print(f"[{name}: same bits in both checkouts: {len(digests) == 1}]")
    print()
    print(
        f"`predict_proba` of MR's held-out sentences, ms a call, medians of "
        f"{args.rounds} rounds x {args.calls} calls (other: {args.other})"
    )
    print()
    print(
        markdown_table(
            ["config", "way", "clock", "other", "this", "other / this", "load"],
            table,
        )
    )


if __name__ == "__main__":
    main()
