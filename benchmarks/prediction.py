"""Prediction of 100,000 short documents: one thread, two, and two beside a busy core.

Usage::

    python benchmarks/prediction.py                  # 100,000 documents, e,a-d
    python benchmarks/prediction.py --quick          # 20,000 documents, 2 repeats
    python benchmarks/prediction.py --configs e,b --against main

Data. MR's sentences (``load_movie_reviews``, all 10,662 of them) drawn with
replacement (``numpy.random.default_rng(0)``) to ``--n-docs`` documents,
about 21 tokens each.  Configurations a-e are ``speed.py``'s
(``_skrnn_side.bench_configs``), each fitted for one epoch on the first
2,400 sentences of MR's training split (the weights do not change the
speed; the vocabulary is that of those sentences, the rest are unknown ids).

What is timed is the estimator's ``predict_proba`` on the raw documents,
tokenizing included, with ``n_jobs=1``, ``n_jobs=2`` (worker processes, for
inputs of ``PREDICT_WORKERS_MIN_CHARACTERS`` or more, as 100,000 sentences
are) and ``n_jobs=2`` on threads (the same call inside joblib's threading
backend, which keeps prediction in this process), then the same three while
a CPU hog (a ``multiprocessing`` process spinning in a loop, started and
stopped by this script) keeps one core busy.  The six runs alternate within
each repeat, in an order that rotates from repeat to repeat, and each figure
is the median over ``--repeats``.  The table gives thousands of documents
per second and the ratios that matter: two workers over one on a quiet
machine (the gain of ``n_jobs=2``) and beside the hog (the target: never
below 0.9), the same for two threads, and one thread beside the hog over one
thread alone (how much the machine itself steals).  Before them, the first
call with ``n_jobs=2`` of the run, which starts the worker processes, is
timed on its own (joblib keeps the workers for later calls).

``--against REV`` adds an A/B of the prediction core (``predict_logits`` on
the token ids, tokenizing left out) between this checkout and revision
``REV`` of the package (exported with ``git archive`` and imported under
another name), alternating the two in each repeat, one thread and two: the
ratio is this checkout's speed over ``REV``'s (on one thread, by the
process's CPU time, which other processes disturb less than the wall
clock), and the logits of the two are compared.

On a shared machine the figures move with the load: the load averages before
and after each configuration are printed beside its row, and runs whose
fastest repeat is more than 1.5 times their slowest are flagged
**unstable**.
"""

import argparse
import contextlib
import dataclasses
import importlib.util
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from joblib import parallel_config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import REPO, environment_lines, load_average, markdown_table
from _skrnn_side import TIMED_FIT, bench_configs, mr_split

from skrnn import RNNTextClassifier
from skrnn._prediction import predict_logits
from skrnn._threads import single_threaded_blas
from skrnn.datasets import load_movie_reviews

ALL_CONFIGS = ("e", "a", "b", "c", "d")
UNSTABLE = 1.5


# ---------------------------------------------------------------------- data


def documents(n_docs: int) -> list[str]:
    """MR's sentences drawn with replacement to ``n_docs`` documents."""
    X, _ = load_movie_reviews(return_X_y=True)
    rng = np.random.default_rng(0)
    return [X[i] for i in rng.integers(len(X), size=n_docs)]


def fitted(params: dict) -> RNNTextClassifier:
    """A configuration fitted for one epoch on 2,400 MR training sentences."""
    X_train, _, y_train, _ = mr_split(quick=True)
    clf = RNNTextClassifier(**params).set_params(
        **TIMED_FIT, max_iter=1, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clf.fit(X_train, y_train)


# ----------------------------------------------------------------------- hog


def _spin(stop) -> None:
    while not stop.is_set():
        for _ in range(10_000):
            pass


@contextlib.contextmanager
def cpu_hog():
    """A process spinning on one core for as long as the context lasts."""
    stop = multiprocessing.Event()
    hog = multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
    hog.start()
    try:
        time.sleep(0.05)  # let it be scheduled
        yield
    finally:
        stop.set()
        hog.join(5)
        if hog.is_alive():
            hog.terminate()
            hog.join()


# ----------------------------------------------------------------- measuring


def rate(func, n_items: int) -> float:
    """Items per second of one call of ``func()``."""
    start = time.perf_counter()
    func()
    return n_items / (time.perf_counter() - start)


def cpu_rate(func, n_items: int) -> float:
    """Items per second of the process's CPU time in one call of ``func()``.

    Less sensitive than the wall clock to other processes taking the cores,
    for code that runs on one thread.
    """
    start = time.process_time()
    func()
    return n_items / (time.process_time() - start)


def alternate(runs: dict, repeats: int) -> dict[str, list[float]]:
    """Each run ``repeats`` times, all of them in turn, in a rotating order."""
    rates = {name: [] for name in runs}
    names = list(runs)
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            rates[name].append(runs[name]())
    return rates


def bench_estimator(clf, docs, repeats) -> dict[str, list[float]]:
    """Documents per second of ``predict_proba``: 1 and 2 threads, hog or not."""

    def run(n_jobs, hog, threads=False):
        def call():
            clf.set_params(n_jobs=n_jobs)
            with (
                cpu_hog() if hog else contextlib.nullcontext(),
                parallel_config(backend="threading")
                if threads
                else contextlib.nullcontext(),
            ):
                return rate(lambda: clf.predict_proba(docs), len(docs))

        return call

    clf.predict_proba(docs[:1000])  # warm up
    return alternate(
        {
            "1": run(1, False),
            "2": run(2, False),
            "2 threads": run(2, False, threads=True),
            "1 hog": run(1, True),
            "2 hog": run(2, True),
            "2 threads hog": run(2, True, threads=True),
        },
        repeats,
    )


def first_call_seconds(clf, docs) -> float:
    """Seconds of the run's first ``predict_proba`` with ``n_jobs=2``."""
    clf.set_params(n_jobs=2)
    start = time.perf_counter()
    clf.predict_proba(docs)
    return time.perf_counter() - start


def import_revision(rev: str):
    """Revision ``rev``'s ``_prediction`` and ``nn`` modules (see import_package)."""
    name = import_package(rev).__name__
    return importlib.import_module(name + "._prediction"), importlib.import_module(
        name + ".nn"
    )


def import_package(rev: str):
    """Revision ``rev``'s ``skrnn`` package, imported as ``skrnn_<rev>``."""
    root = Path(tempfile.mkdtemp(prefix="skrnn-ab-"))
    archive = subprocess.run(
        ["git", "archive", rev, "skrnn"], cwd=REPO, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    name = "skrnn_" + "".join(c if c.isalnum() else "_" for c in rev)
    spec = importlib.util.spec_from_file_location(
        name, root / "skrnn" / "__init__.py", submodule_search_locations=[]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def bench_against(clf, docs, repeats, base) -> tuple[dict, float]:
    """This checkout's ``predict_logits`` against revision ``base``'s."""
    base_prediction, base_nn = base
    model = clf._model()
    config = model.config
    base_config = base_nn.NetworkConfig(**dataclasses.asdict(config))
    weights = model.weights
    sequences = model.vectorizer.transform(docs)

    def run(predict, cfg, n_jobs):
        timer = cpu_rate if n_jobs == 1 else rate

        def call():
            with single_threaded_blas():
                return timer(
                    lambda: predict(weights, sequences, cfg, n_jobs=n_jobs),
                    len(docs),
                )

        return call

    with single_threaded_blas():
        new = predict_logits(weights, sequences, config)
        old = base_prediction.predict_logits(weights, sequences, base_config)
    difference = float(np.max(np.abs(new.astype(float) - old)))
    runs = {}
    for n_jobs in (1, 2):
        runs[f"base {n_jobs}"] = run(
            base_prediction.predict_logits, base_config, n_jobs
        )
        runs[f"this {n_jobs}"] = run(predict_logits, config, n_jobs)
    return alternate(runs, repeats), difference


# ------------------------------------------------------------------- report


def fmt(values) -> str:
    """Median thousands per second, flagged when the repeats spread too far."""
    text = f"{statistics.median(values) / 1e3:.1f}"
    if max(values) > UNSTABLE * min(values):
        text += " **unstable**"
    return text


def ratio(a, b) -> str:
    return f"{statistics.median(a) / statistics.median(b):.2f}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default=",".join(ALL_CONFIGS))
    parser.add_argument("--n-docs", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20,000 docs, 2 repeats")
    parser.add_argument("--against", metavar="REV", help="A/B the prediction core")
    parser.add_argument("--no-estimator", action="store_true", help="only --against")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_docs, args.repeats = 20_000, 2
    configs = bench_configs()
    names = args.configs.split(",")
    docs = documents(args.n_docs)
    base = import_revision(args.against) if args.against else None
    print("\n".join(environment_lines()))
    print(
        f"\n{args.n_docs:,} MR sentences drawn with replacement, "
        f"median of {args.repeats} alternating repeats\n"
    )
    rows, ab_rows = [], []
    for k, name in enumerate(names):
        cfg = configs[name]
        clf = fitted(cfg.params)
        n_tokens = sum(len(s) for s in clf.vectorizer_.transform(docs[:2000]))
        before = load_average()
        if not args.no_estimator:
            if k == 0:
                seconds = first_call_seconds(clf, docs)
                print(
                    f"The run's first call with n_jobs=2 ({name}), which starts "
                    f"the workers: {seconds:.2f} s\n",
                    flush=True,
                )
            r = bench_estimator(clf, docs, args.repeats)
            rows.append(
                [
                    f"{name}: {cfg.describe()}",
                    f"{n_tokens / 2000:.1f}",
                    fmt(r["1"]),
                    fmt(r["2"]),
                    fmt(r["2 threads"]),
                    fmt(r["1 hog"]),
                    fmt(r["2 hog"]),
                    fmt(r["2 threads hog"]),
                    ratio(r["2"], r["1"]),
                    ratio(r["2 hog"], r["1 hog"]),
                    ratio(r["2 threads"], r["1"]),
                    ratio(r["2 threads hog"], r["1 hog"]),
                    ratio(r["1 hog"], r["1"]),
                    f"{before} / {load_average()}",
                ]
            )
            print(rows[-1], flush=True)
        if base is not None:
            r, difference = bench_against(clf, docs, args.repeats, base)
            ab_rows.append(
                [
                    name,
                    fmt(r["base 1"]),
                    fmt(r["this 1"]),
                    ratio(r["this 1"], r["base 1"]),
                    fmt(r["base 2"]),
                    fmt(r["this 2"]),
                    ratio(r["this 2"], r["base 2"]),
                    f"{difference:.1e}",
                    f"{before} / {load_average()}",
                ]
            )
            print(ab_rows[-1], flush=True)
    if rows:
        print(
            "\n`predict_proba`, thousands of documents per second (tokenizing "
            "included); ratios of the medians\n"
        )
        print(
            markdown_table(
                [
                    "config",
                    "tokens/doc",
                    "n_jobs=1",
                    "n_jobs=2",
                    "2, threads",
                    "1, hog",
                    "2, hog",
                    "2, threads, hog",
                    "2 / 1",
                    "2 / 1 with hog",
                    "threads 2 / 1",
                    "threads 2 / 1 with hog",
                    "hog / quiet (1)",
                    "load before / after",
                ],
                rows,
            )
        )
    if ab_rows:
        print(
            f"\n`predict_logits` of the token ids, this checkout against "
            f"{args.against}: thousands of documents per second (of CPU time "
            "on one thread, of wall-clock time on two)\n"
        )
        print(
            markdown_table(
                [
                    "config",
                    f"{args.against}, 1",
                    "this, 1",
                    "this / base",
                    f"{args.against}, 2",
                    "this, 2",
                    "this / base",
                    "max |logit difference|",
                    "load before / after",
                ],
                ab_rows,
            )
        )


if __name__ == "__main__":
    main()
