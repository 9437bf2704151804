"""A prototype: ``predict_proba`` on two processes, a worker keeping the model.

Usage::

    python benchmarks/prediction_processes.py                 # configs a-e
    python benchmarks/prediction_processes.py --configs e,a --repeats 21
    python benchmarks/prediction_processes.py --pieces 2,4,8 --no-hog

Each configuration of ``speed.py`` (``_skrnn_side.bench_configs``) is fitted
for one epoch on MR's 9,595 training sentences, as ``prediction_stages.py``
does, and the 1,067 held-out raw sentences are predicted, one whole call
after another, in these ways:

* ``n_jobs=1`` and ``n_jobs=2``: today's ``predict_proba``;
* ``K pieces, 1 process``: the documents cut in ``K`` pieces of equal
  sizes (``--pieces``), predicted one after another here (a cut that does
  not depend on ``n_jobs``, as skrnn's promise of the same bits whatever
  ``n_jobs`` requires of a prediction that predicts parts apart): what the
  cut costs ``n_jobs=1``;
* ``K pieces, 2 processes``: the prototype.  A worker process, started once
  (``spawn``) and sent the fitted ``Predictor`` once, keyed (the key here
  is the fitted model's ``id`` and a counter: an implementation would make
  one at every fit, load or change of the fitted state), keeps it; a call
  sends it the key and the texts of the second half of the pieces through
  a pipe, predicts the first half here meanwhile, and receives the
  worker's logits back.  Everything of a real call is in it: checking the
  input, making the ``Predictor``, the cut, the pipe both ways, the
  concatenation, the head's output.  Its outputs are checked to be the
  same bits as ``K pieces, 1 process``;
* torch's twin (``_torch_twin.py``, untrained: its speed is the same),
  padded and packed, on 1 and 2 threads, the best of which is "torch".

Every variant is timed by the wall clock, one call of each in turn in an
order shuffled every round, ``--repeats`` rounds; the table gives median
milliseconds per call and the ratios to ``n_jobs=1`` and to torch's best
(above 1: faster).  A second table gives the same calls by CPU time, which
other processes on a busy machine disturb less: the calling thread's, or
for the prototype the larger of the calling thread's and the worker's (what
it would take on two free cores, but for the pipe's latency); torch's is
on one thread there.  Then, unless ``--no-hog``, skrnn's variants again
beside a process spinning on one core (``prediction.py``'s ``cpu_hog``):
the issue requires ``n_jobs=2`` never to be more than 10% slower than
``n_jobs=1`` there.  The load average is printed before and after each
measurement: other processes on the two cores change every figure.
"""

import argparse
import multiprocessing
import pickle
import random
import statistics
import sys
import time
import warnings
from itertools import pairwise
from pathlib import Path

import numpy as np

from skrnn import RNNTextClassifier
from skrnn._prediction import Predictor, text_logits
from skrnn._text import check_text
from skrnn._threads import single_threaded_blas
from skrnn.nn._heads import get_head

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import environment_lines, load_average, markdown_table
from _skrnn_side import TIMED_FIT, bench_configs, mr_split
from _torch_twin import TorchTrainer, import_torch, torch_supports
from prediction import cpu_hog


def fitted(params: dict, X, y) -> RNNTextClassifier:
    """A configuration fitted for one epoch, as ``speed.py``'s first fit."""
    clf = RNNTextClassifier(**params).set_params(
        **TIMED_FIT, max_iter=1, random_state=0, n_jobs=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clf.fit(X, y)


def predictor_of(clf: RNNTextClassifier) -> Predictor:
    """What ``_logits`` makes of the fitted estimator for each call."""
    return clf._predictor(clf._model())


def cut(texts: list, n_pieces: int, bands: bool = False) -> tuple[list, np.ndarray]:
    """``texts`` in ``n_pieces`` pieces, and the order of the texts in them.

    Pieces of equal numbers of documents in their order (they differ by one
    at most); or, with ``bands``, length bands: the documents sorted by
    their numbers of characters (stably) and cut where the characters reach
    each ``k / n_pieces`` of the whole, so that each piece's batches are
    about those of the whole call's that hold its lengths.  Either cut
    depends on the texts alone, not on ``n_jobs``.
    """
    n_pieces = max(1, min(n_pieces, len(texts)))
    if not bands:
        order = np.arange(len(texts))
        bounds = [len(texts) * k // n_pieces for k in range(n_pieces + 1)]
    else:
        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
        order = np.argsort(lengths, kind="stable")
        ends = np.cumsum(lengths[order])
        total = ends[-1] if len(ends) else 0
        inner = np.searchsorted(ends, total * np.arange(1, n_pieces) / n_pieces)
        bounds = [0, *np.maximum.accumulate(inner + 1).tolist(), len(texts)]
        bounds = np.minimum(bounds, len(texts)).tolist()
    pieces = [[texts[i] for i in order[a:b]] for a, b in pairwise(bounds)]
    return [piece for piece in pieces if piece] or [[]], order


def take(counter) -> int:
    """The index of the next piece to predict, from the counter both processes share."""
    with counter.get_lock():
        index = counter.value
        counter.value = index + 1
    return index


# ------------------------------------------------------------ the worker


def serve(connection, counter) -> None:
    """The worker: keeps the predictors it is sent, predicts the texts it is sent.

    Messages: ``("keep", key, predictor)``, answered ``("kept", key)``;
    ``("predict", key, pieces)``: the worker predicts the pieces whose index
    it takes from ``counter`` (shared with the calling process, which takes
    the others), and answers with a list of ``(index, logits)`` and its CPU
    seconds for them, or ``("unknown", key)``
    when it does not hold ``key`` (the caller would then send the
    predictor); None ends it.
    """
    kept: dict = {}
    with single_threaded_blas():
        while True:
            # the CPU time of unpickling the texts counts, not the wait
            start = time.thread_time()
            message = connection.recv()
            if message is None:
                return
            if message[0] == "keep":
                _, key, predictor = message
                kept = {key: predictor}  # the latest model only
                connection.send(("kept", key))
            else:
                _, key, pieces = message
                predictor = kept.get(key)
                if predictor is None:
                    connection.send(("unknown", key))
                    continue
                done = []
                while (index := take(counter)) < len(pieces):
                    done.append((index, text_logits(predictor, pieces[index], 1)))
                connection.send((done, time.thread_time() - start))


class Worker:
    """A persistent worker process of :func:`serve` and its pipe."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        self.counter = context.Value("l", 0)
        start = time.perf_counter()
        self.process = context.Process(
            target=serve, args=(theirs, self.counter), daemon=True
        )
        self.process.start()
        theirs.close()
        self.start_seconds = time.perf_counter() - start
        self.key = None
        self._counter = 0
        #: the worker's CPU seconds of each call, the last one last
        self.cpu_seconds: list[float] = []

    def keep(self, predictor: Predictor) -> tuple[float, int]:
        """Send the predictor once; its seconds (until acknowledged) and bytes."""
        self._counter += 1
        key = (id(predictor), self._counter)
        start = time.perf_counter()
        payload = pickle.dumps(("keep", key, predictor), pickle.HIGHEST_PROTOCOL)
        self.connection.send_bytes(payload)
        assert self.connection.recv() == ("kept", key)
        self.key = key
        return time.perf_counter() - start, len(payload)

    def close(self) -> None:
        """End the worker."""
        self.connection.send(None)
        self.process.join(10)
        self.connection.close()


def pieces_proba(
    clf, X, n_pieces: int, worker: Worker | None = None, bands: bool = False
) -> np.ndarray:
    """``predict_proba`` of ``X`` cut in ``n_pieces`` (:func:`cut`), on 1 process or 2.

    With a ``worker`` (which keeps the model's predictor already), it is
    sent all the pieces, and each process predicts the next piece that
    neither has taken until none is left (a counter they share): a worker
    that the machine keeps waiting takes fewer.  Without, this process
    predicts them all, one after another.  The same bits either way.
    """
    model = clf._model()
    texts = check_text(X)
    predictor = predictor_of(clf)
    pieces, order = cut(texts, n_pieces, bands)
    parts = [None] * len(pieces)
    if worker is None:
        parts = [text_logits(predictor, piece, 1) for piece in pieces]
    else:
        worker.counter.value = 0
        worker.connection.send(("predict", worker.key, pieces))
        while (index := take(worker.counter)) < len(pieces):
            parts[index] = text_logits(predictor, pieces[index], 1)
        answer = worker.connection.recv()
        if answer[0] == "unknown":
            raise RuntimeError(f"the worker does not hold the model: {answer}")
        for index, logits in answer[0]:
            parts[index] = logits
        worker.cpu_seconds.append(answer[1])
    logits = parts[0] if len(parts) == 1 else np.concatenate(parts)
    if bands:
        unsorted = np.empty_like(logits)
        unsorted[order] = logits
        logits = unsorted
    logits = model.to_targets(logits.astype(np.float64, copy=False))
    return get_head(model.config.head).output(logits)


# ------------------------------------------------------------ measuring


def torch_runners(torch, clf, params, X_train, y_train) -> dict:
    """The torch twins (untrained) of the configuration, by name."""
    if torch is None or torch_supports(params) is not None:
        return {}
    ids = clf.vectorizer_.transform(X_train)
    y_index = np.searchsorted(clf.classes_, y_train)
    runners = {}
    variants = (True,) if params["bidirectional"] else (False, True)
    for threads in (1, 2):
        for packed in variants:
            name = f"torch {'packed' if packed else 'padded'}, {threads} thr"
            runners[name] = TorchTrainer(
                torch,
                params,
                ids,
                y_index,
                clf.vectorizer_,
                len(clf.classes_),
                packed=packed,
                threads=threads,
                seed=0,
            ).predict_proba
    return runners


def alternate(calls: dict, X, repeats: int, worker: Worker, seed: int = 0) -> dict:
    """Median milliseconds of each call, one of each in turn, shuffled by round.

    Each name maps to the median wall-clock milliseconds and the median CPU
    milliseconds of the call's longest path: this thread's CPU time, or,
    for the calls with the worker (``"2 processes"``), the larger of this
    thread's and the worker's, what the call would take on two free cores
    but for the pipe's latency (None for calls on several threads, whose CPU
    times add up).
    """
    for call in calls.values():
        call(X)  # warm up
    wall = {name: [] for name in calls}
    cpu = {name: [] for name in calls}
    order = list(calls)
    rng = random.Random(seed)
    for _ in range(repeats):
        rng.shuffle(order)
        for name in order:
            start, start_cpu = time.perf_counter(), time.thread_time()
            calls[name](X)
            wall[name].append(time.perf_counter() - start)
            seconds = time.thread_time() - start_cpu
            if "2 processes" in name:
                seconds = max(seconds, worker.cpu_seconds[-1])
            cpu[name].append(seconds)
    return {
        name: (
            1e3 * statistics.median(wall[name]),
            None
            if "n_jobs=2" in name or name.endswith("2 thr")
            else 1e3 * statistics.median(cpu[name]),
        )
        for name in calls
    }


def skrnn_calls(clf, workers: dict, pieces: list[int], bands: list[int]) -> dict:
    """skrnn's timed variants, by name."""

    def today(n_jobs):
        return lambda X: clf.set_params(n_jobs=n_jobs).predict_proba(X)

    calls = {"n_jobs=1": today(1), "n_jobs=2": today(2)}
    for kind, counts in (("pieces", pieces), ("bands", bands)):
        for k in counts:
            b = kind == "bands"
            calls[f"{k} {kind}, 1 process"] = lambda X, k=k, b=b: pieces_proba(
                clf, X, k, bands=b
            )
            calls[f"{k} {kind}, 2 processes"] = lambda X, k=k, b=b: pieces_proba(
                clf, X, k, workers["w"], bands=b
            )
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="a,b,c,d,e")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--hog-repeats", type=int, default=11)
    parser.add_argument(
        "--pieces", default="2,4", help="numbers of pieces of the cut, comma-separated"
    )
    parser.add_argument(
        "--bands", default="", help="numbers of length bands, comma-separated"
    )
    parser.add_argument("--no-hog", action="store_true")
    args = parser.parse_args()
    pieces = [int(k) for k in args.pieces.split(",") if k]
    bands = [int(k) for k in args.bands.split(",") if k]
    print("\n".join(f"- {line}" for line in environment_lines()), flush=True)
    torch = import_torch(2)
    configs = bench_configs()
    X_train, X_test, y_train, _ = mr_split()
    names = args.configs.split(",")
    worker = Worker()
    workers = {"w": worker}
    quiet_rows, hog_rows, setup_rows = [], [], []
    try:
        for name in names:
            params = configs[name].params
            clf = fitted(params, X_train, y_train)
            seconds, n_bytes = worker.keep(predictor_of(clf))
            setup_rows.append([name, f"{n_bytes / 1e6:.2f}", f"{1e3 * seconds:.1f}"])
            whole = clf.set_params(n_jobs=1).predict_proba(X_test)
            for kind, counts in (("pieces", pieces), ("bands", bands)):
                for k in counts:
                    b = kind == "bands"
                    alone = pieces_proba(clf, X_test, k, bands=b)
                    for _ in range(3):  # the worker taking 0, some or all
                        two = pieces_proba(clf, X_test, k, worker, bands=b)
                        assert np.array_equal(alone, two), "not the same bits"
                    difference = float(np.max(np.abs(alone - whole)))
                    print(
                        f"  [{name}: {k} {kind} vs whole, max |diff| {difference:.1e}]"
                    )
            calls = skrnn_calls(clf, workers, pieces, bands)
            torch_calls = torch_runners(torch, clf, params, X_train, y_train)
            before = load_average()
            ms = alternate({**calls, **torch_calls}, X_test, args.repeats, worker)
            load = f"{before} / {load_average()}"
            best = min((ms[t][0] for t in torch_calls), default=None)
            quiet_rows.append((name, ms, best, load))
            print(f"  [{name}: {ms}, load {load}]", file=sys.stderr, flush=True)
            if not args.no_hog:
                with cpu_hog():
                    before = load_average()
                    ms_hog = alternate(calls, X_test, args.hog_repeats, worker)
                    load = f"{before} / {load_average()}"
                hog_rows.append((name, ms_hog, load))
                print(f"  [{name} hog: {ms_hog}, load {load}]", file=sys.stderr)
    finally:
        worker.close()
    print(
        f"\nWorker: started in {1e3 * worker.start_seconds:.0f} ms (spawn, "
        "until `start` returns); sending it the predictor once:\n"
    )
    print(markdown_table(["config", "pickled MB", "ms until kept"], setup_rows))
    variants = list(skrnn_calls(None, workers, pieces, bands))
    print(
        f"\n`predict_proba` of MR's {len(X_test):,} held-out sentences: median "
        f"wall-clock milliseconds of {args.repeats} alternating calls (ratio to "
        "n_jobs=1; to torch's best)\n"
    )
    headers = ["config", *variants, "torch 1 thr", "torch 2 thr", "load before / after"]
    rows = []
    for name, ms, best, load in quiet_rows:
        one = ms["n_jobs=1"][0]
        row = [name]
        for v in variants:
            to_torch = f"; {best / ms[v][0]:.2f}" if best else ""
            row.append(f"{ms[v][0]:.1f} ({one / ms[v][0]:.2f}{to_torch})")
        for threads in (1, 2):
            own = [
                ms[t][0]
                for t in ms
                if t.startswith("torch") and t.endswith(f"{threads} thr")
            ]
            row.append(f"{min(own):.1f}" if own else "n/a")
        rows.append([*row, load])
    print(markdown_table(headers, rows))
    print(
        "\nThe same calls by CPU time, less disturbed by other processes: "
        "median CPU milliseconds of a call's longest path (for 2 processes, "
        "the larger of this thread's and the worker's; the pipe's latency "
        "left out), ratio to n_jobs=1's and to torch's on 1 thread\n"
    )
    by_cpu = [v for v in variants if v != "n_jobs=2"]
    rows = []
    for name, ms, _, load in quiet_rows:
        one = ms["n_jobs=1"][1]
        torch_one = [
            ms[t][1] for t in ms if t.startswith("torch") and t.endswith("1 thr")
        ]
        best = min(torch_one, default=None)
        row = [name]
        for v in by_cpu:
            to_torch = f"; {best / ms[v][1]:.2f}" if best else ""
            row.append(f"{ms[v][1]:.1f} ({one / ms[v][1]:.2f}{to_torch})")
        rows.append([*row, f"{best:.1f}" if best else "n/a", load])
    print(
        markdown_table(["config", *by_cpu, "torch 1 thr", "load before / after"], rows)
    )
    if hog_rows:
        print(
            f"\nBeside a process spinning on one core: median wall-clock "
            f"milliseconds of {args.hog_repeats} alternating calls (ratio to "
            "n_jobs=1; for 2 processes, to the 1-process cut of the same pieces "
            "too)\n"
        )
        rows = []
        for name, ms, load in hog_rows:
            one = ms["n_jobs=1"][0]
            row = [name]
            for v in variants:
                same_cut = v.replace("2 processes", "1 process")
                extra = f"; {ms[same_cut][0] / ms[v][0]:.2f}" if same_cut != v else ""
                row.append(f"{ms[v][0]:.1f} ({one / ms[v][0]:.2f}{extra})")
            rows.append([*row, load])
        print(markdown_table(["config", *variants, "load before / after"], rows))
    print(f"\nload average at the end {load_average()}")


if __name__ == "__main__":
    main()
