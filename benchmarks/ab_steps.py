"""Training steps of two versions of skrnn, alternated in one process.

Usage::

    python benchmarks/ab_steps.py main                 # main against the work tree
    python benchmarks/ab_steps.py main HEAD --chunks 40

``ab_epoch.py`` times whole epochs and fits in two worker processes; on a
machine whose other core runs someone else's work their spread hides a gain
of a few percent.  This script isolates the steps: it imports the ``skrnn``
of ``git archive REF`` and the work tree's (or a second ref's) in one
process, under two names, gives each the same network (the defaults'
network, ``RNNTextClassifier(ngram_range=None)``'s, with its Adam, clipping
and dropout), the same TREC documents and the same first epoch's
minibatches (batches of 32, length-bucketed), and times ``_train_step``
(padding, forward, backward, clipping, the update) over chunks of
``--batches`` batches: version A, then B, ``--chunks`` times, keeping each
one's least time per chunk (the chunk least disturbed by other processes).
Both versions start from the same weights and generator and take the same
steps, so their weights are compared, bit for bit, after every chunk.
"""

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _env import environment_lines, load_average, markdown_table  # noqa: E402
from ab_cells import source_of  # noqa: E402

#: The modules of a version that the benchmark uses, by short name.
MODULES = {
    "skrnn": "skrnn",
    "training": "skrnn._training",
    "optimizers": "skrnn._optimizers",
    "batching": "skrnn._batching",
    "nn": "skrnn.nn",
}


def import_skrnn(source: Path, alias: str) -> dict:
    """:data:`MODULES` imported from ``source``, kept under ``alias``."""
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k.startswith("skrnn")}
    sys.path.insert(0, str(source))
    try:
        modules = {
            short: importlib.import_module(name) for short, name in MODULES.items()
        }
    finally:
        sys.path.remove(str(source))
        for name in [k for k in sys.modules if k.startswith("skrnn")]:
            sys.modules[f"{alias}.{name}"] = sys.modules.pop(name)
        sys.modules.update(saved)
    return modules


class Trainer:
    """One version's network, optimizer and data, stepping through batches."""

    def __init__(self, version, sequences, y):
        skrnn, training, nn = version["skrnn"], version["training"], version["nn"]
        defaults = skrnn.RNNTextClassifier(ngram_range=None).get_params()
        n_vocab = int(max(s.max(initial=0) for s in sequences)) + 1
        self.config = nn.NetworkConfig(
            n_vocab=n_vocab,
            n_outputs=int(y.max()) + 1,
            cell=defaults["cell"],
            hidden_size=defaults["hidden_size"],
            embedding_dim=defaults["embedding_dim"],
            pooling=defaults["pooling"],
            dropout=defaults["dropout"],
            input_dropout=defaults["input_dropout"],
        )
        self.params = nn.init_params(
            self.config, np.random.default_rng(0), np.float32, zero_ids=(0, 1)
        )
        self.optimizer = version["optimizers"].build_optimizer(self.params, defaults)
        self.data = training.Dataset(sequences, y, np.ones(len(y), dtype=np.float32))
        self.settings = training.TrainingSettings(
            batch_size=defaults["batch_size"],
            shuffle=True,
            alpha=defaults["alpha"],
            clip_value=defaults["clip_value"],
            clip_norm=defaults["clip_norm"],
        )
        self.step = training._train_step
        self.rng = np.random.default_rng(1)

    def chunk(self, batches) -> float:
        """Seconds of the training steps of ``batches``."""
        start = time.perf_counter()
        for idx in batches:
            self.step(
                self.params,
                self.optimizer,
                self.data,
                idx,
                self.config,
                self.settings,
                self.rng,
                None,
            )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="git ref of version A")
    parser.add_argument("b", nargs="?", default=".", help="ref of B (work tree)")
    parser.add_argument("--chunks", type=int, default=30)
    parser.add_argument("--batches", type=int, default=20, help="batches per chunk")
    args = parser.parse_args()
    print("\n".join(f"- {line}" for line in environment_lines()), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        versions = {
            v: import_skrnn(source_of(ref, Path(tmp)), f"ab_{v}")
            for v, ref in (("A", args.a), ("B", args.b))
        }
    skrnn = versions["A"]["skrnn"]
    X, labels = skrnn.datasets.load_trec(return_X_y=True)
    sequences = skrnn.SequenceVectorizer().fit_transform(X)
    y = np.unique(labels, return_inverse=True)[1]
    lengths = np.array([len(s) for s in sequences])
    batches = list(
        versions["A"]["batching"].minibatches(
            lengths, 32, shuffle=True, rng=np.random.default_rng(0)
        )
    )
    trainers = {v: Trainer(version, sequences, y) for v, version in versions.items()}
    best = {v: np.inf for v in trainers}
    same = True
    with threadpool_limits(1, user_api="blas"):
        for k in range(args.chunks):
            start = (k * args.batches) % (len(batches) - args.batches)
            chunk = batches[start : start + args.batches]
            for v, trainer in trainers.items():
                best[v] = min(best[v], trainer.chunk(chunk))
            same &= all(
                np.array_equal(trainers["A"].params[name], value)
                for name, value in trainers["B"].params.items()
            )
    per_batch = {v: 1e6 * best[v] / args.batches for v in best}
    rows = [
        [
            f"{per_batch['A']:.0f}",
            f"{per_batch['B']:.0f}",
            f"{per_batch['A'] / per_batch['B']:.3f}",
            "yes" if same else "no",
        ]
    ]
    print(f"\nA = {args.a}, B = {args.b}; {args.chunks} chunks of {args.batches}")
    headers = [
        "A us/batch (least chunk)",
        "B us/batch (least chunk)",
        "A / B",
        "same weights to the bit",
    ]
    print(markdown_table(headers, rows))
    print(f"\nload average at the end {load_average()}")


if __name__ == "__main__":
    main()
