"""Which prediction targets of issue 22 numpy can reach at all: limits beside torch.

Usage::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/prediction_reach.py
    python benchmarks/prediction_reach.py --configs b,d --repeats 15

``reach.py`` does this for training; this script does it for ``speed.py``'s
prediction: ``predict_proba`` of MR's 1,067 held-out raw sentences by each
configuration (a-e) fitted for one epoch (as ``prediction_workers.py``),
against torch's twin tokenizing with the same vectorizer then predicting in
length-sorted batches of 256 (``_torch_twin.py``).  The prediction target
is skrnn / torch's best >= 1.5 for every configuration.

**The one-core floor** of a call, the least time any numpy implementation of
skrnn's prediction could take on one core, one BLAS thread, float32:

* *text to ids* and *the n-gram companion*, as skrnn does them, measured
  (least thread CPU time of ``--repeats`` calls): both are also in the
  torch side's time (it tokenizes with skrnn's vectorizer) or part of the
  fitted model (the companion, which the defaults' blend needs);
* *the products*: the FLOPs of the call's tokens (the recurrent product of
  every real token, ``2 H x G H`` per layer and direction; the first layer's
  projection of each distinct id, ``2 E x G H``; a later layer's projection
  of each token; the output layer) at the core's peak, the rate of one
  1,024 x 1,024 sgemm (no product of this algorithm runs faster);
* *the elementwise work* of every token's forward step (``floor.STEP_OPS``,
  read off ``skrnn/nn/_cells.py``, and max pooling) at the contiguous ns per
  element of each ufunc (``floor.ufunc_costs``), no call overhead.

**The two-core floor** is half of it: both cores at the one-core floor,
nothing serial, nothing sent between them, no work done twice.  Torch's best
(padded or packed, one or two threads, median wall time of the calls
alternated with skrnn's) over the two-core floor is the highest ratio any
numpy implementation of this prediction could reach on two cores; the
target is out of reach where it is below 1.5.  Beside them, skrnn as it is
(``n_jobs=1``, and ``n_jobs=2`` forced to its two processes, the outputs
checked to be the bits of ``n_jobs=1``) and its share of each floor.  Run
it on a quiet machine: torch's two threads slow down many times when
another process takes a core (``speed.py``).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from skrnn._ngrams import ngram_logits
from skrnn._prediction import text_ids

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import git_state, load_average, markdown_table
from _skrnn_side import mr_split, worker_ready
from floor import STEP_OPS, call_seconds, ufunc_costs
from prediction_processes import alternate, fitted, predictor_of, torch_runners
from prediction_workers import WorkerClock, skrnn_calls
from reach import peak_gflops, start_report

#: The prediction target of issue 22: skrnn's speed over torch's best.
TARGET = 1.5

#: Rows of the arrays on which the ufuncs' ns per element are measured: a
#: prediction batch's running rows (about 256 short documents).
UFUNC_ROWS = 256


def least_cpu_seconds(fn, repeats: int) -> float:
    """The least thread CPU time of ``repeats`` calls of ``fn``."""
    best = float("inf")
    for _ in range(repeats):
        start = time.thread_time()
        fn()
        best = min(best, time.thread_time() - start)
    return best


def network_work(predictor, sequences) -> dict:
    """The FLOPs and elementwise element-operations of the call's network.

    Keys ``"flops"`` and ``"elements"`` (a dict by ufunc kind): all the
    members', for the call's ``sequences`` (token ids as the network reads
    them).
    """
    config = predictor.config
    H, cell = config.hidden_size, config.cell
    n_dirs = 2 if config.bidirectional else 1
    lengths = np.fromiter(map(len, sequences), np.intp, len(sequences))
    n_tokens = int(lengths.sum())
    n_distinct = len(np.unique(np.concatenate([*sequences, np.zeros(0, np.intp)])))
    flops, elements = 0.0, {}
    for params in predictor.members:
        gates = params["layer0.fwd.W_hh"].shape[-1] // H
        for layer in range(config.num_layers):
            for _ in range(n_dirs):
                flops += 2.0 * n_tokens * H * gates * H  # h @ W_hh, every token
                if layer == 0:
                    if not config.one_hot:  # the one-hot layer gathers rows
                        flops += 2.0 * n_distinct * config.embedding_dim * gates * H
                else:
                    flops += 2.0 * n_tokens * n_dirs * H * gates * H
                for op in STEP_OPS[cell]["forward"]:
                    elements[op.kind] = elements.get(op.kind, 0) + (
                        n_tokens * op.width * H
                    )
        if config.pooling == "max":  # one maximum a token, read as an add
            elements["add"] = elements.get("add", 0) + n_tokens * n_dirs * H
        flops += 2.0 * len(sequences) * n_dirs * H * config.n_outputs
    return {"flops": flops, "elements": elements, "tokens": n_tokens}


def floors(predictor, texts, repeats: int, peak: float, costs: dict) -> dict:
    """Milliseconds of each part of the one-core floor of a call on ``texts``."""
    sequences, whole = text_ids(predictor, texts)
    work = network_work(predictor, sequences)
    parts = {
        "text to ids": least_cpu_seconds(lambda: text_ids(predictor, texts), repeats),
        "companion": 0.0,
        "products at the peak": work["flops"] / (peak * 1e9),
        "elementwise": sum(
            n * costs[kind, False] for kind, n in work["elements"].items()
        )
        / 1e9,
    }
    if predictor.ngrams is not None:
        parts["companion"] = least_cpu_seconds(
            lambda: ngram_logits(predictor.ngrams, whole), repeats
        )
    ms = {name: 1e3 * seconds for name, seconds in parts.items()}
    ms["one core"] = sum(ms.values())
    ms["tokens"] = work["tokens"]
    ms["gflop"] = work["flops"] / 1e9
    return ms


def measured(clf, params, X_train, y_train, X_test, torch, repeats) -> dict:
    """Median wall milliseconds of skrnn (n_jobs=1, two processes) and torch."""
    worker_ready(clf, X_test)
    clock = WorkerClock()
    calls = skrnn_calls(clf, clock)
    calls = {name: calls[name] for name in ("n_jobs=1", "2 processes")}
    one = calls["n_jobs=1"](X_test)
    assert np.array_equal(calls["2 processes"](X_test), one), "not the same bits"
    torch_calls = torch_runners(torch, clf, params, X_train, y_train)
    times = alternate({**calls, **torch_calls}, X_test, repeats, clock)
    ms = {name: wall for name, (wall, _) in times.items()}
    best = min(ms[name] for name in torch_calls)
    return {
        "skrnn 1": ms["n_jobs=1"],
        "skrnn 2": ms["2 processes"],
        "torch best": best,
        "torch best name": min(torch_calls, key=ms.get),
    }


def report(results: dict, configs) -> str:
    """The floors against torch, and skrnn's share of them."""
    rows = []
    for name, (floor, ms) in results.items():
        two = floor["one core"] / 2
        highest = ms["torch best"] / two
        rows.append(
            [
                name,
                configs[name].describe(),
                f"{floor['gflop']:.2f}",
                f"{floor['text to ids']:.1f} / {floor['companion']:.1f} / "
                f"{floor['products at the peak']:.1f} / {floor['elementwise']:.1f}",
                f"{floor['one core']:.1f} / {two:.1f}",
                f"{ms['torch best']:.1f} ({ms['torch best name']})",
                f"**{highest:.2f}**",
                "yes" if highest >= TARGET else "**no**",
                f"{ms['skrnn 1']:.1f} / {ms['skrnn 2']:.1f}",
                f"{ms['torch best'] / ms['skrnn 1']:.2f} / "
                f"{ms['torch best'] / ms['skrnn 2']:.2f}",
                f"{floor['one core'] / ms['skrnn 1']:.0%} / {two / ms['skrnn 2']:.0%}",
                f"{TARGET * two / ms['torch best']:.0%}",
            ]
        )
    headers = [
        "config",
        "network",
        "GFLOP a call",
        "one-core floor, ms: text to ids / companion / products at the peak / "
        "elementwise",
        "floor ms: one core / two cores",
        "torch's best ms (variant)",
        "highest skrnn / torch on two cores",
        f"target {TARGET} reachable",
        "skrnn ms: n_jobs=1 / two processes",
        "skrnn / torch: n_jobs=1 / two processes",
        "skrnn's share of the floor: one core / two cores",
        "share of the two-core floor the target needs",
    ]
    return markdown_table(headers, rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--configs", default="a,b,c,d,e")
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args(argv)
    configs, names, torch = start_report(
        parser,
        args.configs,
        "The prediction targets against what numpy can reach",
        "torch's two threads and skrnn's two processes are slowed",
    )
    start = time.perf_counter()
    X_train, X_test, y_train, _ = mr_split()
    rng = np.random.default_rng(0)
    with threadpool_limits(1, user_api="blas"):
        peak = peak_gflops(rng)
    results, loads = {}, [load_average()]
    for name in names:
        params = configs[name].params
        clf = fitted(params, X_train, y_train)
        predictor = predictor_of(clf)
        H = predictor.config.hidden_size
        with threadpool_limits(1, user_api="blas"):
            costs = ufunc_costs(UFUNC_ROWS, H, rng, call_seconds(rng))
            floor = floors(predictor, X_test, args.repeats, peak, costs)
        ms = measured(clf, params, X_train, y_train, X_test, torch, args.repeats)
        results[name] = (floor, ms)
        loads.append(load_average())
        print(f"  [{name}: {floor} {ms}]", file=sys.stderr, flush=True)
    print(f"- one core's peak: {peak:.1f} GFLOP/s (1,024^3 sgemm)\n")
    print(report(results, configs))
    print(
        f"\nRun time {time.perf_counter() - start:.0f} s; load averages after "
        f"each configuration: {'; '.join(loads)}; code {git_state()}"
    )


if __name__ == "__main__":
    main()
