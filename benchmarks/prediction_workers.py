"""``predict_proba`` with ``n_jobs=2`` on two processes, on threads, and alone.

Usage::

    python benchmarks/prediction_workers.py                  # configs a-e
    python benchmarks/prediction_workers.py --configs e,a --repeats 21
    python benchmarks/prediction_workers.py --sizes 128,256,512 --no-hog

Each configuration of ``speed.py`` (``_skrnn_side.bench_configs``) is fitted
for one epoch on MR's 9,595 training sentences, as ``prediction_stages.py``
does, and the 1,067 held-out raw sentences (or their first ``--sizes``) are
predicted by ``predict_proba``, one whole call after another, in these ways:

* ``n_jobs=1``;
* ``threads``: ``n_jobs=2`` on threads (the way of the sessions before 17);
* ``2 processes``: ``n_jobs=2`` on this process and the worker process that
  keeps the model (``skrnn/_prediction_workers.py``; started and sent the
  model before the timing);
* ``n_jobs=2``: as ``PREDICT_WAYS`` chooses (what a user gets);
* unless ``--no-torch``, torch's twin (``_torch_twin.py``, untrained),
  padded and packed, on 1 and 2 threads, the best of which is "torch".

``threads`` and ``2 processes`` are forced by a judge that always answers
that way.  Every variant is timed by the wall clock, one call of each in
turn in an order shuffled every round, ``--repeats`` rounds; the table gives
median milliseconds per call and the ratios to ``n_jobs=1`` and to torch's
best (above 1: faster).  A second table gives the calls by CPU time, which
other processes on a busy machine disturb less: this thread's, and for
``2 processes`` the larger of this thread's and the worker's main thread's
(Linux's ``/proc/PID/schedstat``): what the call would take on two free
cores, but for the pipe's latency.  The outputs of every variant are
checked to be the bits of ``n_jobs=1``.  Then, unless ``--no-hog``,
skrnn's variants again beside a process spinning on one core
(``prediction.py``'s ``cpu_hog``):
the issue requires ``n_jobs=2`` never to be more than 10% slower than
``n_jobs=1`` there.  The load average is printed before and after each
measurement: other processes on the two cores change every figure.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from skrnn import _prediction, _prediction_workers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import environment_lines, load_average, markdown_table
from _skrnn_side import bench_configs, mr_split, worker_ready
from _torch_twin import import_torch
from prediction import cpu_hog
from prediction_processes import alternate, fitted, torch_runners


class FixedWay:
    """A judge that sends every call ``way`` (the first allowed otherwise)."""

    def __init__(self, way: str) -> None:
        self.ways = _prediction.PREDICT_WAYS.ways
        self.fixed = way

    def way(self, key, ways=None):
        ways = self.ways if ways is None else ways
        return self.fixed if self.fixed in ways else ways[0]

    def record(self, key, way, seconds_per_item, items=1) -> None:
        pass


def with_way(clf, way: str | None, n_jobs: int):
    """``predict_proba`` with ``n_jobs``, every call going ``way`` (None: judged)."""
    judge = _prediction.PREDICT_WAYS

    def call(X):
        if way is not None:
            _prediction.PREDICT_WAYS = FixedWay(way)
        try:
            return clf.set_params(n_jobs=n_jobs).predict_proba(X)
        finally:
            _prediction.PREDICT_WAYS = judge

    return call


def worker_seconds() -> float:
    """The CPU seconds of the worker's main thread so far (Linux's schedstat)."""
    pid = _prediction_workers._WORKER[0].pid
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


class WorkerClock:
    """The worker's CPU seconds of each timed call, as ``alternate`` reads them."""

    def __init__(self) -> None:
        self.cpu_seconds: list[float] = []

    def timed(self, call):
        """``call``, its worker's CPU seconds appended to :attr:`cpu_seconds`."""

        def timed_call(X):
            start = worker_seconds()
            output = call(X)
            self.cpu_seconds.append(worker_seconds() - start)
            return output

        return timed_call


def skrnn_calls(clf, clock: WorkerClock) -> dict:
    """skrnn's timed variants, by name (``alternate`` reads "2 processes")."""
    return {
        "n_jobs=1": with_way(clf, None, 1),
        "threads": with_way(clf, "threads", 2),
        "2 processes": clock.timed(with_way(clf, "processes", 2)),
        "n_jobs=2": with_way(clf, None, 2),
    }


def ratio_row(name, ms, variants, best=None, load="") -> list:
    one = ms["n_jobs=1"]
    row = [name]
    for v in variants:
        to_torch = f"; {best / ms[v]:.2f}" if best else ""
        row.append(f"{ms[v]:.1f} ({one / ms[v]:.2f}{to_torch})")
    return [*row, load] if load else row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="a,b,c,d,e")
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--hog-repeats", type=int, default=9)
    parser.add_argument(
        "--sizes", default="", help="numbers of held-out documents, comma-separated"
    )
    parser.add_argument("--no-hog", action="store_true")
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args()
    print("\n".join(f"- {line}" for line in environment_lines()), flush=True)
    torch = None if args.no_torch else import_torch(2)
    configs = bench_configs()
    X_train, X_test, y_train, _ = mr_split()
    sizes = [int(n) for n in args.sizes.split(",") if n] or [len(X_test)]
    quiet_rows, hog_rows, cpu_rows = [], [], []
    for name in args.configs.split(","):
        params = configs[name].params
        clf = fitted(params, X_train, y_train)
        torch_calls = torch_runners(torch, clf, params, X_train, y_train)
        for size in sizes:
            X = X_test[:size]
            label = name if len(sizes) == 1 else f"{name}, {size} docs"
            worker_ready(clf, X_test)
            clock = WorkerClock()
            calls = skrnn_calls(clf, clock)
            one = calls["n_jobs=1"](X)
            for variant, call in calls.items():
                for _ in range(3):
                    assert np.array_equal(call(X), one), f"{variant}: not the same bits"
            before = load_average()
            times = alternate({**calls, **torch_calls}, X, args.repeats, clock)
            ms = {name: wall for name, (wall, _) in times.items()}
            cpu = {name: cpu for name, (_, cpu) in times.items()}
            load = f"{before} / {load_average()}"
            best = min((ms[t] for t in torch_calls), default=None)
            quiet_rows.append((label, ms, best, load))
            cpu_rows.append((label, cpu, load))
            print(f"  [{label}: {ms} {cpu}, load {load}]", file=sys.stderr, flush=True)
            if not args.no_hog:
                with cpu_hog():
                    before = load_average()
                    times = alternate(calls, X, args.hog_repeats, clock)
                    ms_hog = {name: wall for name, (wall, _) in times.items()}
                    load = f"{before} / {load_average()}"
                hog_rows.append((label, ms_hog, load))
                print(f"  [{label} hog: {ms_hog}, load {load}]", file=sys.stderr)
    variants = list(skrnn_calls(None, WorkerClock()))
    print(
        f"\n`predict_proba` of MR's held-out sentences: median wall-clock "
        f"milliseconds of {args.repeats} alternating calls (ratio to n_jobs=1; "
        "to torch's best)\n"
    )
    rows = []
    for label, ms, best, load in quiet_rows:
        row = ratio_row(label, ms, variants, best)
        for threads in (1, 2):
            own = [
                ms[t]
                for t in ms
                if t.startswith("torch") and t.endswith(f"{threads} thr")
            ]
            row.append(f"{min(own):.1f}" if own else "n/a")
        rows.append([*row, load])
    headers = ["config", *variants, "torch 1 thr", "torch 2 thr", "load before / after"]
    print(markdown_table(headers, rows))
    print(
        "\nThe same by CPU time (this thread's; for processes, the larger of "
        "this thread's and the worker's: two free cores, the pipe's latency "
        "left out), ratio to n_jobs=1 and to torch's on one thread\n"
    )
    rows = []
    for label, cpu, load in cpu_rows:
        torch_one = [cpu[t] for t in cpu if t.startswith("torch") and "1 thr" in t]
        best = min(torch_one, default=None)
        row = ratio_row(label, cpu, ["n_jobs=1", "2 processes"], best)
        rows.append([*row, f"{best:.1f}" if best else "n/a", load])
    headers = [
        "config",
        "n_jobs=1",
        "2 processes",
        "torch 1 thr",
        "load before / after",
    ]
    print(markdown_table(headers, rows))
    if hog_rows:
        print(
            "\nBeside a process spinning on one core: median wall-clock "
            f"milliseconds of {args.hog_repeats} alternating calls "
            "(ratio to n_jobs=1)\n"
        )
        rows = [
            ratio_row(label, ms, variants, load=load) for label, ms, load in hog_rows
        ]
        print(markdown_table(["config", *variants, "load before / after"], rows))
    print(f"\nload average at the end {load_average()}")


if __name__ == "__main__":
    main()
