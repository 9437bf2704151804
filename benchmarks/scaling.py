"""How skrnn's epoch time and memory grow with the corpus and the document length.

Usage::

    python benchmarks/scaling.py               # ~5 min
    python benchmarks/scaling.py --quick       # ~1 min: a 2,400-sentence base
    python benchmarks/scaling.py --config a    # configuration a of speed.py
    python benchmarks/scaling.py --full-fit    # the memory row fits to the end

Every measurement runs in a fresh Python process, so that the peak resident
memory it reports (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is its own:

* corpus size: MR's 9,595 training sentences (the split of ``speed.py``),
  replicated 1, 4 and 16 times;
* document length: synthetic documents of 20, 200 and 2,000 random words of
  MR's vocabulary (random labels) with as many tokens in all as MR's training
  part;
* a baseline process that imports skrnn and tokenizes MR but trains nothing:
  the floor under every peak;
* a default ``RNNTextClassifier()`` fitted on MR's raw training sentences,
  then ``predict_proba`` on the held-out ones: the whole process's peak (target:
  under 300 MB).  The weights and caches do not grow from one epoch to the
  next, so by default it stops after ``max_iter=3`` epochs; ``--full-fit``
  keeps the estimator's own ``max_iter`` and stopping rule.

Epochs are timed as in ``speed.py``: the estimator itself,
``RNNTextClassifier(**params)`` with ``max_iter=--epochs``,
``early_stopping=False`` and ``tol=0`` fitted on the raw documents, a
scikit-learn callback timing each epoch inside ``fit`` (scikit-learn >= 1.9).
The network is the estimator's current defaults (``--config default``) or
configuration a of ``speed.py`` (rnn, embedding 64, hidden 128, batch 64).
Seconds per epoch are medians over ``--epochs`` epochs; the peak memory of an
epoch row is that of its whole ``fit``, tokenizing included.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNTextClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import (  # sibling modules, not a package
    environment_lines,
    git_state,
    load_average,
    markdown_table,
)
from _skrnn_side import (
    TIMED_FIT,
    bench_configs,
    mr_split,
    timed_fit,
    token_ids,
    vectorizer_of,
)

CORPUS_FACTORS = (1, 4, 16)
DOCUMENT_LENGTHS = (20, 200, 2000)
MEMORY_TARGET_MB = 300


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


# ------------------------------------------------------------------- workers


def network_params(config: str) -> dict:
    """Estimator parameters of the network being scaled."""
    return bench_configs()["e" if config == "default" else config].params


def synthetic_documents(words, n_tokens, length, n_classes, seed=0):
    """Documents of ``length`` random words, ``n_tokens`` in all; random labels."""
    rng = np.random.default_rng(seed)
    n_docs = max(1, n_tokens // length)
    picks = rng.integers(0, len(words), size=(n_docs, length))
    X = [" ".join(words[row]) for row in picks]
    return X, rng.integers(0, n_classes, size=n_docs)


def work_epochs(task: dict) -> dict:
    """Time epochs of the estimator on a replicated or synthetic corpus."""
    params = network_params(task["config"])
    X_train, _, y_train, _ = mr_split(task["quick"])
    if task["kind"] == "baseline":
        ids = vectorizer_of(params).fit_transform(X_train)
        return {"documents": len(ids), "tokens": sum(len(s) for s in ids)}
    if task["kind"] == "corpus":
        X = X_train * task["factor"]
        y = np.tile(y_train, task["factor"])
    else:
        vectorizer = vectorizer_of(params)
        n_tokens = sum(len(s) for s in vectorizer.fit_transform(X_train))
        words = np.array(sorted(vectorizer.vocabulary_), dtype=object)
        n_classes = len(np.unique(y_train))
        X, y = synthetic_documents(words, n_tokens, task["length"], n_classes)
    clf = RNNTextClassifier(**params).set_params(
        **TIMED_FIT,
        max_iter=task["epochs"],
        n_iter_no_change=task["epochs"],
        random_state=0,
    )
    _, seconds = timed_fit(clf, X, y)
    peak = peak_rss_mb()
    n_tokens = sum(len(s) for s in token_ids(clf, X))
    return {
        "documents": len(X),
        "tokens": n_tokens,
        "seconds": seconds,
        "peak_mb": peak,
    }


def work_fit(task: dict) -> dict:
    """A default ``RNNTextClassifier`` fitted on raw MR, then predict_proba."""
    X_train, X_test, y_train, _ = mr_split(task["quick"])
    clf = RNNTextClassifier(random_state=0)
    if task["max_iter"] is not None:
        clf.set_params(max_iter=task["max_iter"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        clf.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
    fit_peak = peak_rss_mb()
    clf.predict_proba(X_test)
    return {
        "documents": len(X_train),
        "epochs": clf.n_iter_,
        "fit": fit_seconds,
        "fit_peak_mb": fit_peak,
    }


def worker(task: dict) -> None:
    """Run one measurement and print its result, peak memory included, as JSON."""
    result = work_fit(task) if task["kind"] == "fit" else work_epochs(task)
    result.setdefault("peak_mb", peak_rss_mb())
    print(json.dumps(result))


def measure(task: dict) -> dict:
    """Run one measurement in a fresh Python process."""
    completed = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(task)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode:
        sys.stderr.write(completed.stderr)
        raise RuntimeError(f"the measurement {task} failed")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["load"] = load_average()
    what = {k: v for k, v in task.items() if k in ("kind", "factor", "length")}
    print(f"  [{what}: {result}]", file=sys.stderr, flush=True)
    return result


# ----------------------------------------------------------------- reporting


def epoch_row(label, result, relative) -> list:
    """One table row: sizes, seconds per epoch, throughput, peak memory."""
    seconds = statistics.median(result["seconds"])
    return [
        label,
        f"{result['documents']:,}",
        f"{result['tokens']:,}",
        f"{result['tokens'] / result['documents']:.0f}",
        f"{seconds:.2f}",
        relative,
        f"{result['tokens'] / seconds:,.0f}",
        f"{result['peak_mb']:.0f}",
        result["load"],
    ]


HEADERS = [
    "corpus",
    "documents",
    "tokens",
    "tokens/doc",
    "s/epoch",
    "s/epoch relative to the first row",
    "tokens/s",
    "peak RSS (MB)",
    "load average after",
]


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--config", choices=("default", "a"), default="default")
    parser.add_argument("--epochs", type=int, default=None, help="default 2 (quick 1)")
    parser.add_argument(
        "--full-fit",
        action="store_true",
        help="let the memory row's fit run to its own max_iter",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return

    epochs = args.epochs or (1 if args.quick else 2)
    common = {"config": args.config, "quick": args.quick, "epochs": epochs}
    print("# skrnn scaling: epoch time and peak memory\n")
    print("\n".join(f"- {line}" for line in environment_lines()))
    key = "e" if args.config == "default" else args.config
    print(f"- network: {bench_configs()[key].describe()} (`--config {args.config}`)")
    print(
        f"- base corpus: MR training part{' (first 2,400, --quick)' * args.quick}; "
        f"each row a fresh process; medians over {epochs} epoch(s)",
        flush=True,
    )

    baseline = measure({**common, "kind": "baseline"})
    rows = []
    first = None
    for factor in CORPUS_FACTORS:
        result = measure({**common, "kind": "corpus", "factor": factor})
        seconds = statistics.median(result["seconds"])
        first = first or (seconds, factor)
        relative = f"{seconds / first[0]:.2f} (linear: {factor / first[1]:.0f})"
        rows.append(epoch_row(f"MR x {factor}", result, relative))
    print("\n## Corpus size (MR replicated)\n")
    print(markdown_table(HEADERS, rows), flush=True)

    rows = []
    first = None
    for length in DOCUMENT_LENGTHS:
        result = measure({**common, "kind": "length", "length": length})
        seconds = statistics.median(result["seconds"])
        first = first or seconds
        relative = f"{seconds / first:.2f} (ideal: 1)"
        rows.append(epoch_row(f"{length} tokens/doc", result, relative))
    print("\n## Document length (random MR words, as many tokens as MR x 1)\n")
    print(markdown_table(HEADERS, rows), flush=True)

    max_iter = None if args.full_fit else (1 if args.quick else 3)
    fit = measure({**common, "kind": "fit", "max_iter": max_iter})
    verdict = "under" if fit["peak_mb"] < MEMORY_TARGET_MB else "OVER"
    what = "its own max_iter" if max_iter is None else f"max_iter={max_iter}"
    print("\n## Peak memory of a default fit, whole process\n")
    print(
        markdown_table(
            ["process", "documents", "epochs", "seconds", "peak RSS (MB)"],
            [
                [
                    "import skrnn, load and tokenize MR (floor)",
                    f"{baseline['documents']:,}",
                    "",
                    "",
                    f"{baseline['peak_mb']:.0f}",
                ],
                [
                    f"`RNNTextClassifier(random_state=0, {what}).fit` on raw MR",
                    f"{fit['documents']:,}",
                    fit["epochs"],
                    f"{fit['fit']:.1f}",
                    f"{fit['fit_peak_mb']:.0f}",
                ],
                [
                    "... then `predict_proba` on the held-out part",
                    "",
                    "",
                    "",
                    f"{fit['peak_mb']:.0f}",
                ],
            ],
        )
    )
    print(
        f"\nPeak {fit['peak_mb']:.0f} MB: {verdict} the {MEMORY_TARGET_MB} MB "
        f"target. Load average at the end: {load_average()}; code at the end: "
        f"{git_state()} (every row imports skrnn afresh: a change during the run "
        "shows here)."
    )


if __name__ == "__main__":
    main()
