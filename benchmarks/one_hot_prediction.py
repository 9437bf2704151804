"""Prediction with a one-hot first layer: this checkout against a revision.

Usage::

    python benchmarks/one_hot_prediction.py main     # main against the work tree
    python benchmarks/one_hot_prediction.py HEAD~1 --repeats 9

An LSTM of ``--hidden`` units over one-hot inputs (``embedding_dim=None``),
fitted for one epoch on MR's first 8,000 shuffled sentences (a vocabulary of
some 16,000 words), predicts calls of 1, 100 and 1,000 of the other
sentences' token ids (``predict_logits``, tokenizing left out, one thread,
one BLAS thread).  Each repeat times both packages on each call size, in
alternating order; the figure is the median milliseconds per call, and the
ratio REV / this checkout's.  The logits of the two are checked to be the
same bits.
"""

import argparse
import dataclasses
import functools
import importlib
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from skrnn import RNNTextClassifier
from skrnn._prediction import predict_logits
from skrnn._threads import single_threaded_blas
from skrnn.datasets import load_movie_reviews

REPO = Path(__file__).resolve().parent.parent


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


def milliseconds(func, n_calls: int) -> float:
    start = time.perf_counter()
    for _ in range(n_calls):
        func()
    return (time.perf_counter() - start) * 1e3 / n_calls


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rev", help="the revision to compare with")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    base = import_package(args.rev)
    base_prediction = importlib.import_module(base.__name__ + "._prediction")
    base_nn = importlib.import_module(base.__name__ + ".nn")
    data = load_movie_reviews()
    order = np.random.default_rng(0).permutation(len(data.data))
    texts = [data.data[i] for i in order]
    labels = np.asarray(data.target)[order]
    clf = RNNTextClassifier(
        cell="lstm",
        hidden_size=args.hidden,
        embedding_dim=None,
        ngram_range=None,
        max_iter=1,
        random_state=0,
    ).fit(texts[:8000], labels[:8000])
    model = clf._model()
    config = model.config
    base_config = base_nn.NetworkConfig(**dataclasses.asdict(config))
    weights = model.weights
    print(f"{args.rev} against the work tree: one-hot LSTM of {args.hidden}, ")
    print(f"vocabulary {config.n_vocab}, median ms per call of {args.repeats}\n")
    print("| documents | this | base | base / this |")
    print("|---|---|---|---|")
    for n_docs in (1, 100, 1000):
        sequences = model.vectorizer.transform(texts[8000 : 8000 + n_docs])
        n_calls = max(3, 300 // n_docs)
        with single_threaded_blas():
            new = predict_logits(weights, sequences, config)
            old = base_prediction.predict_logits(weights, sequences, base_config)
            assert np.array_equal(new, old), "the logits differ"
            times = {"this": [], "base": []}
            for k in range(args.repeats):
                runs = [
                    ("this", predict_logits, config),
                    ("base", base_prediction.predict_logits, base_config),
                ]
                for name, predict, cfg in runs[:: 1 if k % 2 else -1]:
                    times[name].append(
                        milliseconds(
                            functools.partial(predict, weights, sequences, cfg),
                            n_calls,
                        )
                    )
        this, old = (statistics.median(times[name]) for name in ("this", "base"))
        print(f"| {n_docs} | {this:.2f} | {old:.2f} | {old / this:.1f} |")


if __name__ == "__main__":
    main()
