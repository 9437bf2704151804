"""Where a training step of ``n_jobs=2`` loses against twice one core.

Usage::

    python benchmarks/shard_steps.py                    # configs b,c; ~2 min
    python benchmarks/shard_steps.py --configs a,b,c,e --epochs 3
    python benchmarks/shard_steps.py --concurrent --configs a,b,c,d

With ``n_jobs=2`` a minibatch's shards (``SHARD_SIZE`` documents each) are
computed by the fitting process and a worker process (``skrnn/_shards.py``).
The ideal is the step of ``n_jobs=1`` with its shards computed side by side:
everything else (padding, the sum of the shards' gradients, clipping, the
optimizer's update, the Python around a step) does not halve.  This script
fits one configuration of ``speed.py`` on MR with ``n_jobs=1`` and with
``n_jobs=2`` (companion off, constant rate), each function of a step wrapped
by a timer, for this process and for the worker (whose ``_serve`` is
replaced by one that times its messages and shards with the same clock,
``time.perf_counter``, which is the system's monotonic clock on Linux):

* the fitting process: padding the shards (``Dataset.batch``), the shards
  it computes, the wait for the worker's results (what ``ShardWorkers.run``
  spends beyond its own shards), reading (unpickling) them, the sum of the
  shards' gradients, clipping and the optimizer's update, the rest of the
  step;
* the worker: how long after the step's start its shards arrive (sending
  and pickling included), its shards, the copy of their gradients into its
  slot, the hand-off to its send and the send, how long after their end
  the fitting process has read them, and its idle time per step;
* both: the CPU time (``time.thread_time``) and the minor page faults
  (``getrusage(RUSAGE_THREAD)``) of each process's shards, per padded
  position and per step: a process that the machine's other work keeps
  waiting loses wall time, not CPU time, and a process whose malloc gives
  its arrays' pages back to the system at every step takes them again as
  faults (``skrnn._shards._keep_heap``: 657 a step in b's worker, none in
  the fitting process, before it);
* the imbalance: the padded positions and tokens of the two processes'
  shards, and the time the earlier one of the two waits for the other.

With ``--concurrent``, it measures first what two cores give at all: the
half shards of a configuration's batches (random ids of MR's lengths, as
``two_cores.py`` makes them) computed over and over by this process alone,
by a forked process alone, then by both at once, each on its own shards;
the time per shard of each, least of ``--repeats``.  What both at once lose
against alone no change to the exchange between the processes can win back.

The steps of the first epoch are left out (the worker starts during it), and
so are the steps that went without the worker (exploring, or judged faster):
their share is printed.  The timers cost about a microsecond each: compare
shares, and measure changes with ``data_parallel.py`` or ``ab_epoch.py``.
"""

import argparse
import collections
import json
import os
import resource
import statistics
import tempfile
import time
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import numpy as np
from _env import environment_lines, load_average, markdown_table
from _skrnn_side import bench_configs, mr_split, timed_fit

import skrnn._shards as shards
import skrnn._training as training
from skrnn import RNNTextClassifier

#: Where the worker writes its records (one JSON file per worker process).
PROFILE_DIR = "SKRNN_SHARD_PROFILE_DIR"


class _TimedConnection:
    """A pipe's end that records the time of every message through it."""

    def __init__(self, connection, records):
        self._connection = connection
        self._records = records

    def recv(self):
        waiting = time.perf_counter()
        message = self._connection.recv()
        self._records["recv"].append(
            (waiting, time.perf_counter(), message[0], [i for i, _ in message[1]])
        )
        return message

    def send(self, message):
        start = time.perf_counter()
        self._connection.send(message)
        if message[0] in ("done", "skipped", "failed"):
            self._records["send"].append(
                (message[1], message[2], start, time.perf_counter())
            )

    def send_bytes(self, data):
        # the worker's last result of a step, sent by its main thread
        start = time.perf_counter()
        self._connection.send_bytes(data)
        message = ForkingPickler.loads(data)
        self._records["send"].append(
            (message[1], message[2], start, time.perf_counter())
        )

    def __getattr__(self, name):
        return getattr(self._connection, name)


def profiled_serve(connection, *args) -> None:
    """``skrnn._shards._serve``, timing its messages and shards.

    Defined in this script and sent to the worker by value; it writes its
    records when the fit closes the pipe.
    """
    import json
    import os
    import time

    import skrnn._shards as shards

    records = {"recv": [], "send": [], "shard": [], "store": []}
    compute = shards.shard_gradient
    store = shards._store

    def timed_store(*args):
        start = time.perf_counter()
        result = store(*args)
        records["store"].append((start, time.perf_counter()))
        return result

    def timed_gradient(params, config, task):
        cpu, faults = _cpu_and_faults()
        start = time.perf_counter()
        result = compute(params, config, task)
        end = time.perf_counter()
        cpu_end, faults_end = _cpu_and_faults()
        records["shard"].append(
            (start, end, int(task.ids.size), cpu_end - cpu, faults_end - faults)
        )
        return result

    shards.shard_gradient = timed_gradient
    shards._store = timed_store
    try:
        shards._serve(_TimedConnection(connection, records), *args)
    finally:
        shards.shard_gradient = compute
        shards._store = store
        path = Path(os.environ[PROFILE_DIR]) / f"{os.getpid()}-{time.time_ns()}.json"
        path.write_text(json.dumps(records))


def _cpu_and_faults() -> tuple[float, int]:
    """This thread's CPU seconds and minor page faults so far."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return time.thread_time(), usage.ru_minflt


class MainTimers:
    """Wraps the fitting process's functions of a step by timers."""

    def __init__(self):
        self.steps = []  # one dict per step
        self._step = None
        self._saved = []

    def _patch(self, owner, name, wrapper):
        original = getattr(owner, name)
        self._saved.append((owner, name, original))
        setattr(owner, name, wrapper(original))

    def __enter__(self):
        timers = self

        def train_step(original):
            def wrapped(*args, **kwargs):
                timers._step = step = collections.defaultdict(float)
                step["start"] = time.perf_counter()
                result = original(*args, **kwargs)
                step["end"] = time.perf_counter()
                timers.steps.append(step)
                return result

            return wrapped

        def timed(key, stamp=None):
            def wrapper(original):
                def wrapped(*args, **kwargs):
                    start = time.perf_counter()
                    result = original(*args, **kwargs)
                    end = time.perf_counter()
                    if timers._step is not None:
                        timers._step[key] += end - start
                        if stamp:
                            timers._step[stamp + "_start"] = start
                            timers._step[stamp + "_end"] = end
                    return result

                return wrapped

            return wrapper

        def run(original):
            def wrapped(self, tasks):
                step = timers._step
                step["positions"] = [int(task.ids.size) for task in tasks]
                step["tokens"] = [int(task.lengths.sum()) for task in tasks]
                start = time.perf_counter()
                results = original(self, tasks)
                step["run"] = time.perf_counter() - start
                step["run_start"] = start
                step["with_workers"] = bool(self._last_way)
                step["index"] = self._step
                return results

            return wrapped

        def compute(original):
            def wrapped(self, task):
                cpu, faults = _cpu_and_faults()
                start = time.perf_counter()
                result = original(self, task)
                timers._step["own"] += time.perf_counter() - start
                cpu_end, faults_end = _cpu_and_faults()
                timers._step["own_cpu"] += cpu_end - cpu
                timers._step["own_faults"] += faults_end - faults
                timers._step.setdefault("own_positions", 0)
                timers._step["own_positions"] += int(task.ids.size)
                timers._step["own_end"] = time.perf_counter()
                return result

            return wrapped

        def gradient(original):
            def wrapped(params, config, task):
                start = time.perf_counter()
                result = original(params, config, task)
                timers._step["shards_in_turn"] += time.perf_counter() - start
                return result

            return wrapped

        self._patch(training, "_train_step", train_step)
        self._patch(training, "batch_loss_and_grad", timed("batch", "batch"))
        self._patch(training.Dataset, "batch", timed("padding"))
        self._patch(training, "clip_by_value", timed("clip"))
        self._patch(training, "clip_by_global_norm", timed("clip"))
        self._patch(training, "add_l2_penalty", timed("sum"))
        self._patch(training, "shard_gradient", gradient)
        self._patch(shards.ShardWorkers, "run", run)
        self._patch(shards.ShardWorkers, "_compute", compute)
        self._patch(shards.ShardWorkers, "_read", timed("read", "read"))
        for cls in _optimizer_classes():
            if "update_params" in vars(cls):
                self._patch(cls, "update_params", timed("update"))
        return self

    def __exit__(self, *exc_info):
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)


def _optimizer_classes():
    import skrnn._optimizers as optimizers

    return [
        value
        for value in vars(optimizers).values()
        if isinstance(value, type) and issubclass(value, optimizers.BaseOptimizer)
    ]


def fit(params, X, y, n_jobs, epochs, profile_dir):
    """One timed fit; the fitting process's step records and the worker's."""
    clf = RNNTextClassifier(
        **{
            **params,
            "ngram_range": None,
            "learning_rate": "constant",
            "max_iter": epochs,
            "n_iter_no_change": epochs,
            "random_state": 0,
            "n_jobs": n_jobs,
        }
    )
    for old in Path(profile_dir).glob("*.json"):
        old.unlink()
    with MainTimers() as timers:
        _, seconds = timed_fit(clf, X, y)
    # the worker writes its records once its pipe is closed
    worker = {"recv": [], "send": [], "shard": [], "store": []}
    deadline = time.perf_counter() + 10
    while n_jobs > 1 and time.perf_counter() < deadline:
        files = list(Path(profile_dir).glob("*.json"))
        if files:
            time.sleep(0.2)
            for path in files:
                for key, values in json.loads(path.read_text()).items():
                    worker[key].extend(values)
            break
        time.sleep(0.05)
    steps_per_epoch = len(timers.steps) // epochs
    return timers.steps[steps_per_epoch:], worker, seconds, clf


def worker_by_step(worker):
    """The worker's records, by the step number of the messages."""
    by_step = collections.defaultdict(dict)
    recvs = sorted(worker["recv"], key=lambda r: r[1])
    shards_done = sorted(map(tuple, worker["shard"]))
    for waiting, received, step, indices in recvs:
        entry = by_step[step]
        entry["received"] = received
        entry["idle_from"] = waiting
        entry["indices"] = indices
    for step, _index, start, end in worker["send"]:
        entry = by_step[step]
        entry["sent"] = max(entry.get("sent", 0.0), end)
        entry["send_start"] = max(entry.get("send_start", 0.0), start)
        entry["send_seconds"] = entry.get("send_seconds", 0.0) + (end - start)
    # a shard belongs to the last message received before it started
    receive_times = [(r[1], r[2]) for r in recvs]
    k = 0
    # each shard done is followed by the copy of its gradients into its slot
    stores = dict(zip(shards_done, sorted(worker["store"]), strict=False))
    for shard in shards_done:
        start, end, positions, cpu, faults = shard
        while k + 1 < len(receive_times) and receive_times[k + 1][0] <= start:
            k += 1
        if receive_times and receive_times[k][0] <= start:
            entry = by_step[receive_times[k][1]]
            entry["compute"] = entry.get("compute", 0.0) + (end - start)
            entry["compute_end"] = end
            entry["compute_start"] = min(entry.get("compute_start", start), start)
            entry["positions"] = entry.get("positions", 0) + positions
            entry["cpu"] = entry.get("cpu", 0.0) + cpu
            entry["faults"] = entry.get("faults", 0) + faults
            if shard in stores:
                store_start, store_end = stores[shard]
                entry["store"] = entry.get("store", 0.0) + store_end - store_start
                entry["store_end"] = store_end
    return by_step


def summarize_one(steps):
    """Mean microseconds per step of ``n_jobs=1``'s parts."""
    mean = lambda key: 1e6 * statistics.fmean(s.get(key, 0.0) for s in steps)  # noqa: E731
    total = mean_span(steps, "start", "end")
    batch = mean("batch")
    return {
        "step": total,
        "padding": mean("padding"),
        "shards": mean("shards_in_turn"),
        "tasks and sum": batch - mean("padding") - mean("shards_in_turn"),
        "clip": mean("clip"),
        "update": mean("update"),
        "rest": total - batch - mean("clip") - mean("update"),
    }


def mean_span(steps, a, b):
    return 1e6 * statistics.fmean(s[b] - s[a] for s in steps)


def summarize_two(steps, worker):
    """Mean microseconds per step of ``n_jobs=2``'s parts, and its imbalance."""
    by_step = worker_by_step(worker)
    shared = [
        s
        for s in steps
        if s.get("with_workers") and "compute" in by_step.get(s["index"], {})
    ]
    out = {"steps with the worker": f"{len(shared)} of {len(steps)}"}
    if not shared:
        return out

    def mean(values):
        return 1e6 * statistics.fmean(values)

    out["step"] = mean_span(shared, "start", "end")
    out["padding"] = mean(s["padding"] for s in shared)
    out["before run"] = mean(s["run_start"] - s["batch_start"] for s in shared)
    out["own shards"] = mean(s["own"] for s in shared)
    out["wait in run"] = mean(s["run"] - s["own"] for s in shared)
    out["read (unpickle)"] = mean(s["read"] for s in shared)
    out["sum"] = mean(s["batch_end"] - s["run_start"] - s["run"] for s in shared)
    out["clip"] = mean(s["clip"] for s in shared)
    out["update"] = mean(s["update"] for s in shared)
    out["rest"] = mean(
        (s["end"] - s["start"])
        - (s["batch_end"] - s["batch_start"])
        - s["clip"]
        - s["update"]
        for s in shared
    )
    w = [by_step[s["index"]] for s in shared]
    out["worker: receives after run's start"] = mean(
        e["received"] - s["run_start"] for s, e in zip(shared, w, strict=True)
    )
    out["worker: shards"] = mean(e["compute"] for e in w)
    out["worker: result read after its end"] = mean(
        s["read_end"] - e["compute_end"] for s, e in zip(shared, w, strict=True)
    )
    out["worker: writing its gradients in its slot"] = mean(
        e.get("store", 0.0) for e in w
    )
    out["worker: its send starts after that by"] = mean(
        e["send_start"] - e["store_end"] for e in w
    )
    out["worker: sending (pickling) in its thread"] = mean(
        e.get("send_seconds", 0.0) for e in w
    )
    out["worker: sent to read here"] = mean(
        s["read_end"] - e["sent"] for s, e in zip(shared, w, strict=True)
    )
    out["worker: idle per step"] = mean(
        (s["end"] - s["start"]) - e["compute"] for s, e in zip(shared, w, strict=True)
    )
    out["own ends before the worker's by"] = mean(
        e["compute_end"] - s["own_end"] for s, e in zip(shared, w, strict=True)
    )
    out["own shards - worker's (|mean|)"] = mean(
        abs(s["own"] - e["compute"]) for s, e in zip(shared, w, strict=True)
    )
    own_positions = sum(s["own_positions"] for s in shared)
    worker_positions = sum(e["positions"] for e in w)
    out["positions: own / worker"] = f"{own_positions / worker_positions:.3f}"
    own_rate = sum(s["own"] for s in shared) / own_positions
    worker_rate = sum(e["compute"] for e in w) / worker_positions
    out["ns per position: own / worker"] = (
        f"{1e9 * own_rate:.0f} / {1e9 * worker_rate:.0f}"
    )
    out["CPU ns per position: own / worker"] = (
        f"{1e9 * sum(s['own_cpu'] for s in shared) / own_positions:.0f} / "
        f"{1e9 * sum(e['cpu'] for e in w) / worker_positions:.0f}"
    )
    out["minor page faults per step: own / worker"] = (
        f"{statistics.fmean(s['own_faults'] for s in shared):.0f} / "
        f"{statistics.fmean(e['faults'] for e in w):.0f}"
    )
    return out


def report(name, config, X, y, epochs, profile_dir) -> None:
    """Fit ``config`` with ``n_jobs=1`` and ``n_jobs=2``; print their steps."""
    steps1, _, seconds1, clf1 = fit(config.params, X, y, 1, epochs, profile_dir)
    steps2, worker, seconds2, clf2 = fit(config.params, X, y, 2, epochs, profile_dir)
    same = all(
        np.array_equal(a, clf2._fitted.weights[k])
        for k, a in clf1._fitted.weights.items()
    )
    one = summarize_one(steps1)
    two = summarize_two(steps2, worker)
    print(f"\n### {name}: {config.describe()}\n")
    print(
        f"epochs after the first, s: n_jobs=1 {statistics.median(seconds1[1:]):.3f}, "
        f"n_jobs=2 {statistics.median(seconds2[1:]):.3f}; weights the same for "
        f"both: {same}; load {load_average()}\n"
    )
    ideal = one["step"] - one["shards"] / 2
    print("n_jobs=1, us per step: " + ", ".join(f"{k} {v:.0f}" for k, v in one.items()))
    print(
        "ideal n_jobs=2 step (shards halved, the rest as n_jobs=1): "
        f"{ideal:.0f} us, {one['step'] / ideal:.2f}x\n"
    )
    rows = [[k, v if isinstance(v, str) else f"{v:.0f}"] for k, v in two.items()]
    if "step" in two:
        rows.append(["n_jobs=1 step / this step", f"{one['step'] / two['step']:.2f}"])
    print(markdown_table(["n_jobs=2, per step with the worker", "us"], rows))


def _shards_in_turn(params, config, shards, rounds) -> float:
    """Seconds per shard of ``rounds`` passes over ``shards``."""
    from skrnn.nn._network import loss_and_grad

    start = time.perf_counter()
    for _ in range(rounds):
        for shard in shards:
            loss_and_grad(params, *shard, config)
    return (time.perf_counter() - start) / (rounds * len(shards))


def _serve_shards(connection, params, config, shards) -> None:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        while (rounds := connection.recv()) is not None:
            connection.send(_shards_in_turn(params, config, shards, rounds))


def concurrent(names, repeats: int, rounds: int = 5) -> None:
    """Half shards alone in each process, and in both at once (see above)."""
    import multiprocessing

    from threadpoolctl import threadpool_limits
    from two_cores import network_and_batches

    from skrnn import SequenceVectorizer

    if "fork" not in multiprocessing.get_all_start_methods():
        print("(no fork here: --concurrent skipped)")
        return
    X, *_ = mr_split()
    vectorizer = SequenceVectorizer().fit(X)
    pool = np.array([len(s) for s in vectorizer.transform(X) if len(s)])
    n_vocab = len(vectorizer.vocabulary_) + 2
    configs = bench_configs()
    rows = []
    for name in names:
        config, params, _, split = network_and_batches(
            configs[name].params, pool, n_vocab, 10
        )
        mine = [first for first, _ in split]
        theirs = [second for _, second in split]
        context = multiprocessing.get_context("fork")
        here, there = context.Pipe()
        worker = context.Process(
            target=_serve_shards, args=(there, params, config, theirs)
        )
        worker.start()
        times = collections.defaultdict(list)
        try:
            with threadpool_limits(1, user_api="blas"):
                _shards_in_turn(params, config, mine, 1)
                here.send(1)
                here.recv()
                for _ in range(repeats):
                    times["this process alone"].append(
                        _shards_in_turn(params, config, mine, rounds)
                    )
                    here.send(rounds)
                    times["the other alone"].append(here.recv())
                    here.send(rounds)
                    times["this process, both at once"].append(
                        _shards_in_turn(params, config, mine, rounds)
                    )
                    times["the other, both at once"].append(here.recv())
        finally:
            here.send(None)
            worker.join()
        best = {key: min(values) for key, values in times.items()}
        rows.append(
            [name, configs[name].describe()]
            + [f"{1e6 * value:.0f}" for value in best.values()]
            + [
                f"{best['this process alone'] / best['this process, both at once']:.2f}"
                f" / {best['the other alone'] / best['the other, both at once']:.2f}"
            ]
        )
    print(
        "\nHalf shards, us per shard, least of the repeats (both at once: each"
        " process's shards while the other computes its own)\n"
    )
    print(
        markdown_table(
            ["config", "network", *best, "alone / both at once (this / other)"],
            rows,
        )
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="b,c")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument(
        "--concurrent",
        action="store_true",
        help="only the half shards alone and both at once",
    )
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print("\n".join(environment_lines()))
    print(f"- load average at the start {load_average()}")
    if args.concurrent:
        concurrent(args.configs.split(","), args.repeats)
        print(f"\nload average at the end {load_average()}")
        return
    configs = bench_configs()
    X, _, y, _ = mr_split()
    with tempfile.TemporaryDirectory() as profile_dir:
        os.environ[PROFILE_DIR] = profile_dir
        original_serve = shards._serve
        shards._serve = profiled_serve
        try:
            for name in args.configs.split(","):
                report(name, configs[name], X, y, args.epochs, profile_dir)
        finally:
            shards._serve = original_serve
    print(f"\nload average at the end {load_average()}")


if __name__ == "__main__":
    main()
