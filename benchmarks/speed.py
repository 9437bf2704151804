"""Training and prediction speed of skrnn and PyTorch on the CPU, side by side.

Usage::

    python benchmarks/speed.py                  # every configuration, ~7-10 min
    python benchmarks/speed.py --quick          # 2,400 training sentences, ~1-2 min
    python benchmarks/speed.py --configs a,e,seed --repeats 5

Configurations (``--configs``, comma-separated; all by default):

====  ================================================================
a     rnn,  embedding 64,  hidden 128, batch 64
b     lstm, embedding 64,  hidden 128, batch 64
c     gru,  embedding 64,  hidden 128, batch 64
d     lstm, embedding 128, hidden 256, batch 128
e     ``RNNTextClassifier()``'s defaults, read from ``get_params()`` at run time
seed  the seed post's per-sample algorithm (``benchmarks/seed_rnn.py``)
      against ``RNNTextClassifier(**SEED_PARAMS)`` on the toy set
toy   fit time and test accuracy of ``RNNTextClassifier(random_state=0)`` on
      the toy set, for several ``max_iter``
====  ================================================================

Configurations a-d are unidirectional, one layer, last-state pooling, no
dropout of any kind; every other parameter (Adam, learning rate 1e-3, betas,
epsilon, ``clip_value``, ``clip_norm``, ``alpha``, float32, the text
parameters) is the estimator's default.  Configuration e is the defaults,
whatever they are (pooling, dropout and input dropout included).

The script is split in three: ``_skrnn_side.py`` (the configurations, MR's
split, the estimator), ``_torch_twin.py`` (the PyTorch network of the same
parameters) and this file (the alternating measurements and the report).

Data. MR (``load_movie_reviews``) split once with ``train_test_split(X, y,
test_size=0.1, random_state=0, stratify=y)``: 9,595 training sentences, 1,067
held out (``--quick`` keeps the first 2,400 of the training part).

skrnn is the estimator itself: ``RNNTextClassifier(**params)`` with
``warm_start=True, max_iter=1, early_stopping=False, tol=0``, so that each
``fit`` on the raw training sentences runs one epoch over all of them with
every option applied as in any fit; a scikit-learn callback (scikit-learn >=
1.9) times the epoch inside the call, without the tokenizing and checks that
each call does first.  The first call (vocabulary, weights, one epoch) is the
untimed warm-up.  It runs with ``n_jobs`` equal to torch's thread count and
again with ``n_jobs=1``.

PyTorch's twin (``_torch_twin.py``) trains on the token ids of the same
sentences by the fitted estimator's vectorizer, in skrnn's own length-bucketed
batches, padded and packed; the table reports the faster variant per
configuration, the detail table both.

Training throughput is real (non-padding) tokens per second over whole epochs
of the network (the n-gram companion, which the defaults fit once a fit and
torch's twin not at all, is left out of the timed epochs: see
``SkrnnRunner``): forward, backward, clipping and the optimizer update,
batching included.  The
libraries alternate within one run (skrnn epoch, torch padded epoch, torch
packed epoch, skrnn epoch, ...), after the warm-up; each figure is the median
over ``--repeats`` epochs.  Prediction throughput is tokens per second of the
class probabilities of the held-out raw sentences (repeated until at least
half a second has passed), measured after every training epoch: skrnn's
``predict_proba``, and the torch twin's tokenizing by the same vectorizer then
its forward in ``eval()`` mode under ``no_grad()``, in length-sorted batches
of 256.  Both include tokenizing; the detail table gives the tokenizer's rate
alone.  Every runner's epoch and prediction window starts after a full
garbage collection (``gc.collect()``, untimed), as ``timeit`` keeps the
collector out of its timings: a collection of the oldest generation, which
the process's heap (torch's and scikit-learn's modules, the fitted models)
makes take about 200 ms, otherwise falls into whichever window comes when
the heap has grown enough, 40% of a half-second window (session 19).
skrnn's ``n_jobs=2`` is timed once the worker process that keeps its
model holds it (``_skrnn_side.worker_ready``): the calls before run on
threads while it starts, in the background.  Ratios are skrnn / torch:
above 1, skrnn is faster.

Without torch installed, skrnn's figures are reported alone.  On a shared
machine, compare the ratios and read the load averages printed with them:
when other processes take a core, torch's OpenMP threads spin-wait for each
other and a 2-thread torch can slow down tenfold (runners whose fastest epoch
is more than twice their slowest are flagged **unstable**);
``--torch-threads 1,2`` or ``OMP_WAIT_POLICY=PASSIVE`` shows how much of a gap
is contention.
"""

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import (  # sibling modules, not a package
    busy,
    environment_lines,
    git_state,
    load_average,
    markdown_table,
)
from _skrnn_side import (
    SkrnnRunner,
    bench_configs,
    bench_seed,
    bench_toy,
    mr_split,
    token_ids,
    worker_ready,
)
from _torch_twin import TorchTrainer, import_torch, torch_supports

TORCH_THREADS = 2
ALL_CONFIGS = ("a", "b", "c", "d", "e", "seed", "toy")
TOKENIZER = "tokenizing alone (`vectorizer_.transform`)"


# ------------------------------------------------------------------ measuring


def tokens_per_second(predict, X, n_tokens, min_seconds) -> float:
    """Tokens per second of ``predict(X)``, repeated for ``min_seconds``."""
    n_calls = 0
    start = time.perf_counter()
    while True:
        predict(X)
        n_calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return n_calls * n_tokens / elapsed


def make_runners(cfg, split, torch, torch_threads):
    """skrnn's runners (warmed up) and the torch twins of a configuration."""
    p = cfg.params
    X_train, _, y_train, _ = split
    # skrnn gets as many threads as the most torch gets (n_jobs), and also
    # runs on one thread when that is more than one.
    n_jobs = max(torch_threads)
    runners = {"skrnn": SkrnnRunner(p, X_train, y_train, n_jobs=n_jobs)}
    if n_jobs > 1:
        runners["skrnn, 1 thread"] = SkrnnRunner(p, X_train, y_train, n_jobs=1)
    for runner in runners.values():
        runner.warm_up()
    clf = runners["skrnn"].clf
    skipped = torch_supports(p) if torch is not None else "n/a: torch not installed"
    if skipped is None:
        ids = token_ids(clf, X_train)
        y_index = np.searchsorted(clf.classes_, y_train)
        variants = (True,) if p["bidirectional"] else (False, True)
        for threads in torch_threads:
            for packed in variants:
                name = "torch " + ("packed" if packed else "padded")
                if len(torch_threads) > 1:
                    name += f", {threads} thread{'s' if threads > 1 else ''}"
                runners[name] = TorchTrainer(
                    torch,
                    p,
                    ids,
                    y_index,
                    clf.vectorizer_,
                    len(clf.classes_),
                    packed=packed,
                    threads=threads,
                    seed=0,
                )
                runners[name].warm_up()
    return runners, skipped


def bench_network(cfg, split, torch, repeats, min_predict_seconds, torch_threads):
    """Alternate training epochs and predictions of skrnn and its torch twins."""
    _, X_test, _, _ = split
    runners, skipped = make_runners(cfg, split, torch, torch_threads)
    clf = runners["skrnn"].clf
    sizes = {
        "train_documents": len(split[0]),
        "train_tokens": sum(len(s) for s in token_ids(clf, split[0])),
        "test_documents": len(X_test),
        "test_tokens": sum(len(s) for s in token_ids(clf, X_test)),
        "n_vocab": clf.vectorizer_.n_vocab_,
    }
    if runners["skrnn"].predictor.n_jobs >= 2:
        # prediction's steady state: the worker process holds the model
        worker_ready(runners["skrnn"].predictor, X_test)
    train = {name: [] for name in runners}
    predict = {name: [] for name in runners}
    loads = [load_average()]
    for _ in range(repeats):
        for name, runner in runners.items():
            gc.collect()
            train[name].append(sizes["train_tokens"] / runner.epoch())
            gc.collect()
            predict[name].append(
                tokens_per_second(
                    runner.predict_proba,
                    X_test,
                    sizes["test_tokens"],
                    min_predict_seconds,
                )
            )
        loads.append(load_average())
    predict[TOKENIZER] = [
        tokens_per_second(
            clf.vectorizer_.transform,
            X_test,
            sizes["test_tokens"],
            min_predict_seconds,
        )
    ]
    skrnn_runners = {k: v for k, v in runners.items() if k.startswith("skrnn")}
    return {
        "train": train,
        "predict": predict,
        "skipped": skipped,
        "loads": loads,
        "sizes": sizes,
        "first_fit": {k: v.first_fit for k, v in skrnn_runners.items()},
        "call_overhead": {
            k: statistics.median(v.call_seconds) for k, v in skrnn_runners.items()
        },
    }


# ------------------------------------------------------------------ reporting


def fmt_rate(values) -> str:
    """Median of tokens/s values, with thousands separators."""
    return f"{statistics.median(values):,.0f}" if values else "n/a"


def fmt_spread(values) -> str:
    """Median and range of tokens/s values; flagged when the range is wide."""
    if not values:
        return "n/a"
    text = f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"
    if max(values) > 2 * min(values):
        text += " **unstable**"
    return text


def best_torch(rates: dict) -> tuple[str, list] | tuple[None, None]:
    """The torch variant with the highest median, and its values."""
    torch_rates = {k: v for k, v in rates.items() if k.startswith("torch")}
    if not torch_rates:
        return None, None
    name = max(torch_rates, key=lambda k: statistics.median(torch_rates[k]))
    return name.removeprefix("torch "), torch_rates[name]


def ratio(a, b) -> str:
    """Median of ``a`` over median of ``b``."""
    if not a or not b:
        return "n/a"
    return f"{statistics.median(a) / statistics.median(b):.2f}"


def header(torch) -> str:
    """The environment, torch's set-up, and a warning on a busy machine."""
    lines = environment_lines()
    lines.append("skrnn trains and predicts with one BLAS thread per worker")
    if torch is None:
        lines.append("torch: not installed (skrnn alone)")
    else:
        lines.append(
            f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
            f"MKL {torch.backends.mkl.is_available()}, "
            f"oneDNN {torch.backends.mkldnn.is_available()}, "
            f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}"
        )
    if busy():
        lines.append(
            "**warning: the machine is busy.** Other processes compete for the "
            "cores; torch's OpenMP threads then spin-wait for each other and a "
            "2-thread torch can run ten times slower. Compare ratios measured "
            "side by side; `--torch-threads 1,2` or `OMP_WAIT_POLICY=PASSIVE` "
            "shows how much of a gap is contention."
        )
    return "\n".join(f"- {line}" for line in lines)


def report_networks(results, configs, repeats, n_jobs) -> str:
    """Summary table and detail table of configurations a-e."""
    summary, detail = [], []
    for name, res in results.items():
        train, predict, sizes = res["train"], res["predict"], res["sizes"]
        t_variant, t_rates = best_torch(train)
        p_variant, p_rates = best_torch(predict)
        summary.append(
            [
                name,
                configs[name].describe(),
                fmt_rate(train["skrnn"]),
                f"{fmt_rate(t_rates)} ({t_variant})" if t_rates else res["skipped"],
                ratio(train["skrnn"], t_rates),
                fmt_rate(predict["skrnn"]),
                f"{fmt_rate(p_rates)} ({p_variant})" if p_rates else "n/a",
                ratio(predict["skrnn"], p_rates),
                ratio(train.get("skrnn, 1 thread"), t_rates),
                ratio(predict.get("skrnn, 1 thread"), p_rates),
            ]
        )
        for runner in predict:
            rates = train.get(runner)
            fit = ""
            if runner in res["first_fit"]:
                total, epoch = res["first_fit"][runner]
                fit = (
                    f"{total:.2f} (epoch {epoch:.2f}); "
                    f"{res['call_overhead'][runner]:.2f}"
                )
            detail.append(
                [
                    name,
                    runner,
                    fmt_spread(rates) if rates else "",
                    f"{sizes['train_tokens'] / statistics.median(rates):.2f}"
                    if rates
                    else "",
                    fmt_spread(predict[runner]),
                    fit,
                    " / ".join(res["loads"]) if runner == "skrnn" else "",
                ]
            )
    sizes = next(iter(results.values()))["sizes"]
    out = [
        f"Training on {sizes['train_documents']:,} MR sentences "
        f"({sizes['train_tokens']:,} tokens, vocabulary {sizes['n_vocab']:,}); "
        f"predicting {sizes['test_documents']:,} ({sizes['test_tokens']:,} "
        f"tokens) from raw text. Medians over {repeats} alternating epochs; "
        "tokens per second; ratio = skrnn / torch (above 1: skrnn faster). "
        f"skrnn runs with n_jobs={n_jobs}, as many threads as torch; the last two "
        "columns are its ratios on one thread.",
        "",
        markdown_table(
            [
                "config",
                "network",
                "skrnn train tok/s",
                "torch train tok/s (variant)",
                "train ratio",
                "skrnn predict tok/s",
                "torch predict tok/s (variant)",
                "predict ratio",
                "train ratio, skrnn 1 thread",
                "predict ratio, skrnn 1 thread",
            ],
            summary,
        ),
        "",
        "Every runner, median (min-max) tokens/s; **unstable**: max > 2 x min, "
        "usually contention for the cores. *First fit*: seconds of skrnn's "
        "first `fit` (vocabulary, weights, one epoch) and of its epoch; then the "
        "median seconds each later one-epoch `fit` spends outside its epoch "
        "(checking and tokenizing the training texts).",
        "",
        markdown_table(
            [
                "config",
                "runner",
                "train tok/s",
                "s/epoch (median)",
                "predict tok/s",
                "first fit s (epoch s); later fit calls, s outside the epoch",
                "load average before / after each repeat",
            ],
            detail,
        ),
    ]
    return "\n".join(out)


def run_networks(names, args, torch, repeats, min_predict_seconds):
    """Configurations a-e: alternate, then print the tables."""
    configs = bench_configs()
    split = mr_split(args.quick)
    results = {}
    for name in names:
        cfg = configs[name]
        start = time.perf_counter()
        results[name] = bench_network(
            cfg, split, torch, repeats, min_predict_seconds, args.torch_threads
        )
        print(
            f"  [{name}: {cfg.describe()}: {time.perf_counter() - start:.0f} s]",
            file=sys.stderr,
            flush=True,
        )
    print("\n## Training and prediction on MR\n")
    print(report_networks(results, configs, repeats, max(args.torch_threads)))
    sys.stdout.flush()


def run_seed(repeats, epochs):
    """The seed's algorithm against skrnn with ``SEED_PARAMS``: print the table."""
    rows = bench_seed(repeats, epochs)
    table = []
    for name, label in (
        ("seed", "seed post, per-sample numpy, float64 (seed_rnn.py)"),
        ("skrnn", "skrnn, `RNNTextClassifier(**SEED_PARAMS)`, float32"),
    ):
        table.append(
            [
                label,
                epochs,
                f"{statistics.median(r[0] for r in rows[name]):.2f}",
                fmt_rate([r[1] / r[0] for r in rows[name]]),
                ", ".join(f"{r[2]:.2f}" for r in rows[name]),
            ]
        )
    print(
        f"\n## The seed's algorithm on the toy set ({epochs} epochs, batch size 1, "
        f"SGD 0.02, hidden 64, one-hot; medians over {repeats} alternating runs)\n"
    )
    headers = ["implementation", "epochs", "seconds", "tokens/s", "test accuracy"]
    print(markdown_table(headers, table))
    seed_s = statistics.median(r[0] for r in rows["seed"])
    skrnn_s = statistics.median(r[0] for r in rows["skrnn"])
    print(
        f"\nThroughput ratio skrnn / seed: {seed_s / skrnn_s:.2f} "
        f"(skrnn's seconds are whole `fit` calls; load average {load_average()})"
    )
    sys.stdout.flush()


def run_toy():
    """Fit time and test accuracy of the defaults on the toy set: print the table."""
    rows = [
        [
            f"`RNNTextClassifier(random_state=0, max_iter={max_iter!r})`",
            n_iter,
            f"{seconds:.2f}",
            f"{score:.2f}",
        ]
        for max_iter, n_iter, seconds, score in bench_toy()
    ]
    print("\n## The defaults on the toy set (50 training, 25 test sentences)\n")
    print(markdown_table(["fit", "epochs run", "fit seconds", "test accuracy"], rows))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument(
        "--configs",
        default=",".join(ALL_CONFIGS),
        help=f"comma-separated subset of {','.join(ALL_CONFIGS)} (default: all)",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="epochs per library (default 3)"
    )
    parser.add_argument(
        "--torch-threads",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[TORCH_THREADS],
        help="torch thread counts, comma-separated; each is a torch variant "
        f"(default {TORCH_THREADS})",
    )
    parser.add_argument(
        "--seed-epochs",
        type=int,
        default=None,
        help="epochs of the seed comparison (default 200, --quick 50)",
    )
    args = parser.parse_args(argv)
    chosen = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = sorted(set(chosen) - set(ALL_CONFIGS))
    if unknown:
        parser.error(f"unknown configs {unknown}; choose among {ALL_CONFIGS}")
    repeats = args.repeats or (2 if args.quick else 3)

    torch = import_torch(TORCH_THREADS)
    print("# skrnn vs PyTorch, CPU speed\n")
    print(header(torch), flush=True)
    networks = [c for c in chosen if c in bench_configs()]
    if networks:
        min_predict_seconds = 0.2 if args.quick else 0.5
        run_networks(networks, args, torch, repeats, min_predict_seconds)
    if "seed" in chosen:
        run_seed(repeats, args.seed_epochs or (50 if args.quick else 200))
    if "toy" in chosen:
        run_toy()
    print(
        f"\nload average at the end: {load_average()}; code at the end: {git_state()}"
    )


if __name__ == "__main__":
    main()
