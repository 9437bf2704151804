"""Which training targets of issue 22 numpy can reach at all: limits beside torch.

Usage::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/reach.py
    python benchmarks/reach.py --configs b,d --repeats 3
    python benchmarks/reach.py --no-skrnn            # limits and torch only

The training targets compare skrnn's tokens/s with torch's best (on a quiet
machine, torch on two threads).  ``floor.py`` gives the one-core limit of
skrnn's algorithm in numpy; this script puts it beside torch, measured in the
same run on the same sentences, so that one command says which targets any
implementation of the algorithm in numpy could reach.  For each configuration
of ``speed.py``:

* **one-core limits** (one BLAS thread, float32; ``floor.roofline`` on this
  run's sentences, cut as skrnn cuts them): the products' FLOPs of a token at
  *the core's peak* (the rate of one 1,024 x 1,024 sgemm: no product of this
  algorithm runs faster, whatever its shape), the products at the rates
  measured at skrnn's shapes (*matmul only*), and *the contiguous floor*
  (the products and the elementwise work of the cell's steps, contiguous,
  no call overhead: ``floor.py``);
* **torch's training tokens/s on 1 and 2 threads**, the faster of its padded
  and packed twins (``_torch_twin.TorchTrainer``, as ``speed.py`` runs it),
  and unless ``--no-skrnn`` the estimator's (``RNNTextClassifier`` with
  ``n_jobs=1`` and ``n_jobs=2``, two epochs per warm-started fit, as
  ``speed.py``'s runners), epochs alternated, median of ``--repeats``;
* **the two-core limit**, twice the one-core limit: an upper bound (both
  cores at the one-core limit, nothing serial, nothing lost to the other
  core's traffic), and from it **the highest skrnn / torch ratio any numpy
  implementation of this algorithm could reach**: the two-core limit over
  torch's best.  Where that is below the target, the target needs more than
  the cores' arithmetic can give.

Data: the training part of MR's split in ``speed.py`` (all of it: a fit of
fewer tokens starts no worker process, so ``n_jobs=2`` would measure one
core; ``--quick`` keeps the first 2,400 sentences for a faster check of the
limits).  Run it on a quiet machine: the limits are least times, but the
epochs are medians, and torch's two threads slow down many times when
another process takes a core (``speed.py``).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import busy, environment_lines, git_state, load_average, markdown_table
from _skrnn_side import SkrnnRunner, bench_configs, mr_split, timed_fit, token_ids
from _torch_twin import TorchTrainer, import_torch, torch_supports
from floor import epoch_shape, random_array, roofline, seconds_per_call

#: The training targets of issue 22: skrnn's tokens/s over torch's best.
TARGETS = {"a": 2.0, "b": 1.5, "c": 2.0, "d": 2.0, "e": 3.0}

#: The side of the square sgemm that measures the core's peak.
PEAK_SIZE = 1024


def peak_gflops(rng) -> float:
    """GFLOP/s of one (1,024 x 1,024) float32 sgemm on this thread."""
    A, B = (random_array(rng, (PEAK_SIZE, PEAK_SIZE)) for _ in range(2))
    out = np.empty_like(A)
    seconds = seconds_per_call(lambda: np.matmul(A, B, out=out), target=0.05)
    return 2 * PEAK_SIZE**3 / seconds / 1e9


def one_core_limits(params, sequences, rng, peak) -> dict:
    """Tokens/s of one core: products at the peak, products alone, the floor."""
    shape = epoch_shape(sequences, params["batch_size"])
    r = roofline(params, shape, rng)
    return {
        "peak": peak * 1e9 / r["mm_flops"],
        "matmul": 1e9 / r["mm_ns"][1],
        "floor": r["limit"][1],
        "mm_flops": r["mm_flops"],
    }


def runners_of(params, split, torch, with_skrnn):
    """The warmed-up runners of a configuration: skrnn's and torch's twins."""
    X, _, y, _ = split
    # the n_jobs=1 estimator gives the vocabulary torch's twins train on
    base = SkrnnRunner(params, X, y, n_jobs=1)
    timed_fit(base.clf, X, y)
    runners = {}
    if with_skrnn:
        runners["skrnn, n_jobs=1"] = base
        runners["skrnn, n_jobs=2"] = SkrnnRunner(params, X, y, n_jobs=2)
        timed_fit(runners["skrnn, n_jobs=2"].clf, X, y)
    ids = token_ids(base.clf, X)
    y_index = np.searchsorted(base.clf.classes_, y)
    variants = (True,) if params["bidirectional"] else (False, True)
    for threads in (1, 2):
        for packed in variants:
            name = f"torch {'packed' if packed else 'padded'}, {threads}"
            runners[name] = TorchTrainer(
                torch,
                params,
                ids,
                y_index,
                base.clf.vectorizer_,
                len(base.clf.classes_),
                packed=packed,
                threads=threads,
            )
            runners[name].warm_up()
    n_tokens = sum(len(s) for s in ids)
    return runners, n_tokens, ids


def measure(runners, n_tokens, repeats) -> dict:
    """Median training tokens/s of each runner, their epochs alternated."""
    rates = {name: [] for name in runners}
    for _ in range(repeats):
        for name, runner in runners.items():
            rates[name].append(n_tokens / runner.epoch())
    return {name: statistics.median(values) for name, values in rates.items()}


def torch_best(rates, threads) -> float:
    """torch's faster twin on ``threads`` threads."""
    return max(v for k, v in rates.items() if k.endswith(f", {threads}"))


def fmt(x) -> str:
    return f"{x:,.0f}"


def report(results, configs, with_skrnn) -> str:
    """The limits against torch, then skrnn's measured share of them."""
    rows, shares = [], []
    for name, (limits, rates) in results.items():
        t1, t2 = torch_best(rates, 1), torch_best(rates, 2)
        best = max(t1, t2)
        two = {key: 2 * limits[key] for key in ("peak", "matmul", "floor")}
        target = TARGETS.get(name)
        rows.append(
            [
                name,
                configs[name].describe(),
                f"{limits['mm_flops'] / 1e6:.2f}",
                f"{fmt(limits['peak'])} / {fmt(limits['matmul'])} / "
                f"{fmt(limits['floor'])}",
                f"{fmt(t1)} / {fmt(t2)}",
                f"{fmt(two['peak'])} / {fmt(two['floor'])}",
                f"{two['peak'] / best:.2f} / {two['matmul'] / best:.2f} / "
                f"{two['floor'] / best:.2f}",
                "" if target is None else f"{target:.1f}",
                ""
                if target is None
                else ("yes" if two["floor"] / best >= target else "**no**"),
            ]
        )
        if with_skrnn:
            s1, s2 = rates["skrnn, n_jobs=1"], rates["skrnn, n_jobs=2"]
            shares.append(
                [
                    name,
                    f"{fmt(s1)} / {fmt(s2)}",
                    f"{s1 / best:.2f} / {s2 / best:.2f}",
                    f"{s2 / s1:.2f}",
                    f"{s1 / limits['floor']:.0%}",
                    f"{s2 / two['floor']:.0%}",
                ]
            )
    parts = [
        "## What numpy could reach: the limits against torch's best\n",
        markdown_table(
            [
                "config",
                "network",
                "matmul MFLOP/token",
                "one core, tok/s: products at the peak / products at skrnn's "
                "shapes / contiguous floor",
                "torch tok/s, 1 / 2 threads (faster twin)",
                "two cores, tok/s: products at the peak / floor",
                "highest skrnn / torch's best: peak / products / floor",
                "target",
                "reachable (floor)",
            ],
            rows,
        ),
        "",
        "Two cores = twice one core: an upper bound (no serial part, no loss "
        "to the other core). *Products at the peak*: the products' FLOPs of "
        "a token at the 1,024 x 1,024 sgemm's rate, no elementwise work: no "
        "numpy implementation of this algorithm is faster. *Floor*: "
        "`floor.py`'s contiguous floor (products at skrnn's shapes and the "
        "steps' elementwise work, contiguous, no call overhead).",
    ]
    if shares:
        parts += [
            "\n## skrnn in the same run\n",
            markdown_table(
                [
                    "config",
                    "skrnn tok/s, n_jobs=1 / 2",
                    "skrnn / torch's best, n_jobs=1 / 2",
                    "n_jobs=2 / n_jobs=1",
                    "n_jobs=1, share of the one-core floor",
                    "n_jobs=2, share of the two-core floor",
                ],
                shares,
            ),
        ]
    return "\n".join(parts)


def start_report(parser, chosen: str, title: str, slowed: str, threads: int = 2):
    """The configurations, the names ``chosen`` of them, and torch; the header printed.

    ``parser`` reports a name that is no configuration, and torch missing;
    ``slowed`` says what a busy machine slows, ``threads`` torch's threads.
    """
    configs = bench_configs()
    names = [c.strip() for c in chosen.split(",") if c.strip()]
    if not names or set(names) - set(configs):
        parser.error(f"--configs: choose among {','.join(configs)}")
    torch = import_torch(threads)
    if torch is None:
        parser.error("torch is not installed: nothing to compare the limits with")
    print(f"# {title}\n")
    lines = [*environment_lines(), f"torch {torch.__version__}"]
    if busy():
        lines.append(
            f"**warning: the machine is busy**: {slowed}; compare with a run on "
            "a quiet machine."
        )
    print("\n".join(f"- {line}" for line in lines), flush=True)
    return configs, names, torch


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--configs", default="a,b,c,d,e")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--quick", action="store_true", help="MR's first 2,400 training sentences"
    )
    parser.add_argument(
        "--no-skrnn", action="store_true", help="time torch only beside the limits"
    )
    args = parser.parse_args(argv)
    configs, names, torch = start_report(
        parser,
        args.configs,
        "The training targets against what numpy can reach",
        "the epochs are slowed, and torch's two threads most",
    )
    start = time.perf_counter()
    split = mr_split(quick=args.quick)
    rng = np.random.default_rng(0)
    with threadpool_limits(1, user_api="blas"):
        peak = peak_gflops(rng)
    results, loads = {}, [load_average()]
    for name in names:
        params = configs[name].params
        skipped = torch_supports(params)
        if skipped is not None:
            print(f"  [{name}: {skipped}]", file=sys.stderr)
            continue
        runners, n_tokens, ids = runners_of(params, split, torch, not args.no_skrnn)
        with threadpool_limits(1, user_api="blas"):
            limits = one_core_limits(params, ids, rng, peak)
        results[name] = (limits, measure(runners, n_tokens, args.repeats))
        loads.append(load_average())
        print(f"  [{name}: {time.perf_counter() - start:.0f} s]", file=sys.stderr)
    print(f"- one core's peak: {peak:.1f} GFLOP/s ({PEAK_SIZE}^3 sgemm)\n")
    print(report(results, configs, not args.no_skrnn))
    print(
        f"\nRun time {time.perf_counter() - start:.0f} s; load averages after "
        f"each configuration: {'; '.join(loads)}; code {git_state()}"
    )


if __name__ == "__main__":
    main()
