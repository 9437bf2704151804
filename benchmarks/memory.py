"""Peak memory and time of skrnn on long documents, each in a fresh process.

Usage::

    python benchmarks/memory.py                        # all three, ~30 min
    python benchmarks/memory.py --only predict         # 1,000,000 tokens, ~1 min
    python benchmarks/memory.py --only explain --explain-tokens 3000
    python benchmarks/memory.py --only fit --fit-max-length none,default

Three measurements, each in a Python process of its own, so that the memory
it reports is its own:

* **predict**: ``predict_proba`` of one document of ``--predict-tokens``
  tokens (default 1,000,000), words drawn at random from the model's
  vocabulary;
* **explain**: ``explain`` of one document of ``--explain-tokens`` tokens
  (default 30,000);
* **fit**: one epoch (``max_iter=1``) of a default ``RNNTextClassifier`` on
  ``--fit-docs`` documents (default 20) of ``--fit-tokens`` tokens (default
  10,000) with random labels, once per ``--fit-max-length`` (``none``: read
  whole documents, ``default``: the estimator's default).

The model of the first two is ``RNNTextClassifier(random_state=0,
max_length=None)`` fitted on TREC's training set (``--model PATH`` reuses a
saved one, or fits and saves it there): the default network, reading whole
documents.  Each process
reports its resident memory (``VmRSS``) after importing skrnn, after loading
the model and after building the document, then the peak (``VmHWM``, reset
just before the call through ``/proc/self/clear_refs``) during the call.  The
targets of issue 17 are the peaks above the loaded model: predict within
100 MB, explain within 500 MB.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import environment_lines, load_average  # a sibling, not a package

TARGET_MB = {"predict": 100, "explain": 500}
MB = 1024**2


def _status_kb(field: str) -> int:
    """A ``kB`` field of ``/proc/self/status`` (VmRSS, VmHWM)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _rss_mb() -> float:
    return _status_kb("VmRSS") / 1024


def _reset_peak() -> None:
    """Set the peak resident size (VmHWM) to the current one (Linux 4.0+)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _document(vocabulary, n_tokens: int, seed: int = 0) -> str:
    words = np.array(sorted(w for w in vocabulary if w.isalpha()))
    rng = np.random.default_rng(seed)
    return " ".join(words[rng.integers(0, len(words), size=n_tokens)])


def child_call(kind: str, model_path: str, n_tokens: int) -> dict:
    """In a fresh process: load the model, build a document, predict or explain."""
    report = {"rss_import_mb": _rss_mb()}
    import skrnn

    report["rss_import_mb"] = _rss_mb()
    model = skrnn.load(model_path)
    report["rss_model_mb"] = _rss_mb()
    doc = _document(model.vectorizer_.vocabulary_, n_tokens)
    report["rss_document_mb"] = _rss_mb()
    report["document_mb"] = len(doc) / MB
    _reset_peak()
    start = time.perf_counter()
    if kind == "predict":
        model.predict_proba([doc])
    else:
        model.explain(doc)
    report["seconds"] = time.perf_counter() - start
    report["peak_mb"] = _status_kb("VmHWM") / 1024
    return report


def child_fit(n_docs: int, n_tokens: int, max_length: str) -> dict:
    """In a fresh process: one epoch of a default fit on long documents."""
    from skrnn import RNNTextClassifier
    from skrnn.datasets import load_trec

    vocabulary = set(" ".join(load_trec(subset="train").data).lower().split())
    docs = [_document(vocabulary, n_tokens, seed=k) for k in range(n_docs)]
    y = np.random.default_rng(0).integers(0, 2, size=n_docs)
    params = {"random_state": 0, "max_iter": 1}
    if max_length != "default":
        params["max_length"] = None if max_length == "none" else int(max_length)
    clf = RNNTextClassifier(**params)
    report = {"max_length": clf.get_params()["max_length"], "rss_data_mb": _rss_mb()}
    _reset_peak()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(docs, y)
    report["seconds"] = time.perf_counter() - start
    report["peak_mb"] = _status_kb("VmHWM") / 1024
    return report


def run_child(*args: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def fit_model(path: str) -> None:
    from skrnn import RNNTextClassifier, save
    from skrnn.datasets import load_trec

    trec = load_trec(subset="train")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = RNNTextClassifier(random_state=0, max_length=None)
        model.fit(trec.data, trec.target)
    save(model, path)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["predict", "explain", "fit"])
    parser.add_argument(
        "--model", help="a saved model to reuse (fitted and saved there if absent)"
    )
    parser.add_argument("--predict-tokens", type=int, default=1_000_000)
    parser.add_argument("--explain-tokens", type=int, default=30_000)
    parser.add_argument("--fit-docs", type=int, default=20)
    parser.add_argument("--fit-tokens", type=int, default=10_000)
    parser.add_argument("--fit-max-length", default="none,default")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "fit":
            report = child_fit(int(rest[0]), int(rest[1]), rest[2])
        else:
            report = child_call(kind, rest[0], int(rest[1]))
        print(json.dumps(report))
        return

    print("\n".join(environment_lines()))
    kinds = [args.only] if args.only else ["predict", "explain", "fit"]
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or os.path.join(tmp, "model.skrnn")
        if not os.path.exists(model) and {"predict", "explain"} & set(kinds):
            fit_model(model)
        calls = [kind for kind in ("predict", "explain") if kind in kinds]
        if calls:
            print()
            print(
                "| call | tokens | seconds | RSS after import / model / document, "
                "MB | peak during the call, MB | peak above the model, MB | target |"
            )
            print("|---|---:|---:|---|---:|---:|---|")
        for kind in calls:
            tokens = args.predict_tokens if kind == "predict" else args.explain_tokens
            r = run_child(kind, model, str(tokens))
            above = r["peak_mb"] - r["rss_model_mb"]
            verdict = "met" if above <= TARGET_MB[kind] else "MISSED"
            print(
                f"| {kind} | {tokens:,} | {r['seconds']:.1f} | "
                f"{r['rss_import_mb']:.0f} / {r['rss_model_mb']:.0f} / "
                f"{r['rss_document_mb']:.0f} | {r['peak_mb']:.0f} | {above:.0f} | "
                f"<= {TARGET_MB[kind]} MB: {verdict} |"
            )
    if "fit" in kinds:
        print()
        print(
            f"One epoch (max_iter=1) of RNNTextClassifier(random_state=0) on "
            f"{args.fit_docs} documents of {args.fit_tokens:,} tokens:"
        )
        print()
        print("| max_length | seconds | peak during fit, MB | above the data, MB |")
        print("|---|---:|---:|---:|")
        for max_length in args.fit_max_length.split(","):
            r = run_child("fit", str(args.fit_docs), str(args.fit_tokens), max_length)
            print(
                f"| {r['max_length']} ({max_length}) | {r['seconds']:.1f} | "
                f"{r['peak_mb']:.0f} | {r['peak_mb'] - r['rss_data_mb']:.0f} |"
            )
    print()
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
