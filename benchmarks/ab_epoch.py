"""One-epoch training time of two versions of skrnn, alternated in one run.

Usage::

    python benchmarks/ab_epoch.py HEAD~1                  # HEAD~1 against the work tree
    python benchmarks/ab_epoch.py main HEAD --configs b,c,e --alternations 5
    python benchmarks/ab_epoch.py main --configs b,c --full --n-jobs 2

A change to the recurrent loops gains a few percent per epoch, less than a
shared machine's drift over a minute: two separate runs cannot show it.  This
script keeps one worker process per version (``git archive`` of the ref's
``skrnn/`` in a temporary directory, or the work tree), each holding a warmed
up ``RNNTextClassifier`` of a configuration of ``speed.py`` (two epochs per
warm-started ``fit``, ``_skrnn_side.SkrnnRunner``, ``n_jobs=1``, one BLAS
thread), and asks them for a ``fit`` call in turn: A, B, A, B..., each
answering with the mean of its two epochs (``--n-jobs 2`` times the estimator's
``n_jobs=2``, whose shards go to a worker process beside each version's:
with ``--full``, as a fit of MR's 9,595 sentences starts one, not of the
first 2,400.)  It prints each version's median epoch time and
the median of the per-alternation ratios A / B (above 1, B is faster), of the
epochs' wall time and of the ``fit`` calls' CPU time (which a process
waiting for the core does not accumulate), and the ratio of the least CPU
times (the epochs least disturbed by other processes).

Both workers start from ``random_state=0`` on the same sentences, so after
the untimed first epoch their weights differ only by the changed rounding:
the largest relative difference of any parameter after that epoch is printed
beside the times (0 when the change keeps every bit).

The configurations ``trec`` and ``trec+ngrams`` time whole fits instead:
``RNNTextClassifier(random_state=0)`` on all of TREC, early stopping and all,
its network alone (``ngram_range=None``) or with its n-gram companion; the
weights compared are those of the first, untimed, fit::

    python benchmarks/ab_epoch.py main --configs trec,trec+ngrams,e,b
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


#: Whole fits on TREC instead of epochs of MR: the defaults' network alone
#: (``ngram_range=None``), and the defaults with their n-gram companion.
TREC_FITS = {"trec": {"ngram_range": None}, "trec+ngrams": {}}


def trec_worker(config: str) -> None:
    """Serve whole default fits on TREC: read a line, fit, answer."""
    import warnings

    from threadpoolctl import threadpool_limits

    from skrnn import RNNTextClassifier
    from skrnn.datasets import load_trec

    X, y = load_trec(return_X_y=True)

    def fit():
        clf = RNNTextClassifier(random_state=0, **TREC_FITS[config])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(X, y)
        return clf

    with threadpool_limits(1, user_api="blas"):
        np.savez(sys.argv[-1], **fit()._fitted.weights)
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            if line.strip() != "epoch":
                break
            cpu, wall = time.process_time(), time.perf_counter()
            fit()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(json.dumps({"seconds": wall, "cpu": cpu}), flush=True)


def worker(config: str, full: bool, n_jobs: int = 1) -> None:
    """Serve epochs of one configuration: read a line, fit one epoch, answer."""
    if config in TREC_FITS:
        trec_worker(config)
        return
    sys.path.insert(0, str(HERE))
    from _skrnn_side import SkrnnRunner, bench_configs, mr_split
    from threadpoolctl import threadpool_limits

    X, _, y, _ = mr_split(quick=not full)
    with threadpool_limits(1, user_api="blas"):
        runner = SkrnnRunner(bench_configs()[config].params, X, y, n_jobs=n_jobs)
        runner.warm_up()
        weights = runner.clf._fitted.weights
        np.savez(sys.argv[-1], **weights)
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            if line.strip() != "epoch":
                break
            # a fit call's epochs (SkrnnRunner.EPOCHS_PER_FIT) per request:
            # its CPU time is the call's, shared by its epochs
            epochs = runner.EPOCHS_PER_FIT
            cpu = time.process_time()
            wall = sum(runner.epoch() for _ in range(epochs))
            cpu = time.process_time() - cpu
            answer = {"seconds": wall / epochs, "cpu": cpu / epochs}
            print(json.dumps(answer), flush=True)


def source_of(ref: str, tmp: Path) -> Path:
    """A directory whose ``skrnn/`` is the work tree's (``.``) or ``ref``'s."""
    if ref == ".":
        return REPO
    out = tmp / ref.replace("/", "_")
    out.mkdir()
    archive = subprocess.run(
        ["git", "archive", ref, "skrnn"], cwd=REPO, capture_output=True, check=True
    ).stdout
    archive_path = out / "skrnn.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(out, filter="data")
    return out


def start(source: Path, config: str, full: bool, weights: Path, n_jobs: int = 1):
    """A worker process importing skrnn from ``source``."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    cmd = [sys.executable, __file__, "--worker", config, f"--n-jobs={n_jobs}"]
    if full:
        cmd.append("--full")
    proc = subprocess.Popen(
        [*cmd, str(weights)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    json.loads(proc.stdout.readline())
    return proc


def epoch(proc) -> tuple[float, float]:
    """The epoch's wall seconds and the ``fit`` call's CPU seconds."""
    proc.stdin.write("epoch\n")
    proc.stdin.flush()
    answer = json.loads(proc.stdout.readline())
    return answer["seconds"], answer["cpu"]


def max_relative_difference(a: Path, b: Path) -> float:
    """Largest ``|x - y| / max|x|`` over the parameters of two weight files."""
    with np.load(a) as wa, np.load(b) as wb:
        return max(
            float(np.abs(wa[k] - wb[k]).max() / max(np.abs(wa[k]).max(), 1e-30))
            for k in wa.files
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="git ref of version A")
    parser.add_argument("b", nargs="?", default=".", help="ref of B (work tree)")
    parser.add_argument("--configs", default="b,c,e")
    parser.add_argument("--alternations", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="all of MR's training")
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="the estimator's n_jobs (2: shards in a worker process, with --full)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from _env import environment_lines, load_average, markdown_table

    print("\n".join(f"- {line}" for line in environment_lines()), flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = {"A": source_of(args.a, tmp), "B": source_of(args.b, tmp)}
        for config in args.configs.split(","):
            files = {v: tmp / f"{config}{v}.npz" for v in sources}
            procs = {
                v: start(src, config, args.full, files[v], args.n_jobs)
                for v, src in sources.items()
            }
            seconds = {v: [] for v in procs}
            cpu = {v: [] for v in procs}
            for _ in range(args.alternations):
                for v, proc in procs.items():
                    wall, busy = epoch(proc)
                    seconds[v].append(wall)
                    cpu[v].append(busy)
            for proc in procs.values():
                proc.stdin.close()
                proc.wait()
            ratios = [a / b for a, b in zip(seconds["A"], seconds["B"], strict=True)]
            cpu_ratios = [a / b for a, b in zip(cpu["A"], cpu["B"], strict=True)]
            rows.append(
                [
                    config,
                    f"{statistics.median(seconds['A']):.3f}",
                    f"{statistics.median(seconds['B']):.3f}",
                    f"{statistics.median(ratios):.3f}",
                    f"{min(ratios):.3f}-{max(ratios):.3f}",
                    f"{statistics.median(cpu_ratios):.3f}",
                    f"{min(cpu['A']) / min(cpu['B']):.3f}",
                    f"{max_relative_difference(files['A'], files['B']):.1e}",
                ]
            )
            print(f"  [{config}: load {load_average()}]", file=sys.stderr, flush=True)
    print(
        f"\nA = {args.a}, B = {args.b}; n_jobs={args.n_jobs}; "
        f"{args.alternations} alternations\n"
    )
    headers = [
        "config",
        "A s/epoch (trec: s/fit)",
        "B s/epoch (trec: s/fit)",
        "A / B (median)",
        "A / B range",
        "A / B, CPU time of the fit call (median)",
        "A / B, least CPU times",
        "weights after epoch 1, max rel. diff.",
    ]
    print(markdown_table(headers, rows))
    print(f"\nload average at the end {load_average()}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        n_jobs = [a for a in sys.argv if a.startswith("--n-jobs=")]
        worker(
            sys.argv[2],
            "--full" in sys.argv,
            int(n_jobs[0].split("=")[1]) if n_jobs else 1,
        )
    else:
        main()
