"""Where a fit's time goes, per batch: the steps of training, each timed.

Usage::

    python benchmarks/overhead.py                 # the defaults' network on TREC
    python benchmarks/overhead.py --config e      # config e of speed.py, MR
    python benchmarks/overhead.py --config b --epochs 1 --full

One thread (BLAS pinned with ``threadpoolctl``).  The functions that an epoch
calls (the training step, the forward and backward passes, the cell's
loops, the input projections, pooling, dropout masks, the embedding's
scatter-add, clipping, the optimizer, padding, the validation pass) are
wrapped, for this process only, by a timer, and one fit runs: ``trec`` is
``RNNTextClassifier(random_state=0, ngram_range=None)`` on all of TREC,
early stopping and all; a-e are ``speed.py``'s configurations on MR's
training sentences (the first 2,400 unless ``--full``) for ``--epochs``
epochs.  The table gives each function's seconds (nested ones count in
their callers too), its share of the fit and its microseconds per batch.
A timer costs about a microsecond per call: compare shares, and A/B changes
with ``ab_epoch.py``.
"""

import argparse
import collections
import dataclasses
import functools
import sys
import time
import warnings
from pathlib import Path

from sklearn.base import clone
from threadpoolctl import threadpool_limits

import skrnn._batching
import skrnn._optimizers
import skrnn._prediction
import skrnn._training
import skrnn.nn._cells
import skrnn.nn._embedding
import skrnn.nn._functional
import skrnn.nn._network
import skrnn.nn._recurrent
from skrnn import RNNTextClassifier
from skrnn.datasets import load_trec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import environment_lines, load_average, markdown_table

MODULES = [
    skrnn._batching,
    skrnn._optimizers,
    skrnn._prediction,
    skrnn._training,
    skrnn.nn._embedding,
    skrnn.nn._functional,
    skrnn.nn._network,
    skrnn.nn._recurrent,
]

#: (owner, attribute, label): the functions timed, as the modules call them.
TIMED = [
    (skrnn._training, "_train_step", "training step"),
    (skrnn._training, "batch_loss_and_grad", "loss and gradients (shards)"),
    (skrnn._training.Dataset, "batch", "padding a batch"),
    (skrnn.nn._network, "_loss_grad_and_dinputs", "loss_and_grad"),
    (skrnn.nn._network, "_forward", "forward"),
    (skrnn.nn._recurrent, "recurrent_forward", "recurrent layers, forward"),
    (skrnn.nn._recurrent, "recurrent_backward", "recurrent layers, backward"),
    (skrnn.nn._recurrent, "_project", "input projections (x @ W, dx @ W.T)"),
    (skrnn.nn._recurrent, "pool_forward", "pooling, forward"),
    (skrnn.nn._recurrent, "pool_backward", "pooling, backward"),
    (skrnn.nn._functional, "dropout_mask", "dropout masks"),
    (skrnn.nn._embedding, "embedding_forward", "embedding gather"),
    (skrnn.nn._embedding, "embedding_backward", "embedding scatter-add"),
    (skrnn._optimizers, "clip_by_value", "clipping by value"),
    (skrnn._optimizers.BaseOptimizer, "update_params", "optimizer update"),
    (skrnn._training, "predict_logits", "validation pass"),
]


def timer(function, label, seconds, calls, clock=time.perf_counter):
    """``function`` adding its seconds by ``clock`` and calls under ``label``."""

    @functools.wraps(function)
    def timed(*args, **kwargs):
        start = clock()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[label] += clock() - start
            calls[label] += 1

    return timed


def instrument(cell: str, seconds, calls) -> None:
    """Wrap :data:`TIMED` and the cell's loops, where the modules look them up."""
    for owner, name, label in TIMED:
        original = getattr(owner, name)
        wrapped = timer(original, label, seconds, calls)
        setattr(owner, name, wrapped)
        for module in MODULES:  # the names imported from the owner
            if getattr(module, name, None) is original:
                setattr(module, name, wrapped)
    spec = skrnn.nn.CELLS[cell]
    timed_spec = dataclasses.replace(
        spec,
        forward=timer(spec.forward, "cell loop, forward", seconds, calls),
        backward=timer(spec.backward, "cell loop, backward", seconds, calls),
    )
    get_cell = skrnn.nn._cells.get_cell

    def get_timed_cell(name: str) -> skrnn.nn.Cell:
        return timed_spec if name == cell else get_cell(name)

    for module in MODULES:  # the modules that look cells up
        if getattr(module, "get_cell", None) is get_cell:
            module.get_cell = get_timed_cell


def estimator_and_data(config: str, epochs: int, full: bool):
    """The estimator of a configuration and its training data."""
    if config == "trec":
        X, y = load_trec(return_X_y=True)
        return RNNTextClassifier(random_state=0, ngram_range=None), X, y
    from _skrnn_side import TIMED_FIT, bench_configs, mr_split

    X, _, y, _ = mr_split(quick=not full)
    params = {**bench_configs()[config].params, **TIMED_FIT}
    return (
        RNNTextClassifier(**params).set_params(
            max_iter=epochs, random_state=0, n_jobs=1
        ),
        X,
        y,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="trec", help="trec, or one of a-e")
    parser.add_argument("--epochs", type=int, default=2, help="for a-e")
    parser.add_argument("--full", action="store_true", help="all of MR, for a-e")
    args = parser.parse_args()
    print("\n".join(f"- {line}" for line in environment_lines()), flush=True)
    clf, X, y = estimator_and_data(args.config, args.epochs, args.full)
    seconds, calls = collections.Counter(), collections.Counter()
    with threadpool_limits(1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clone(clf).set_params(max_iter=1).fit(X[:200], y[:200])  # first calls
        instrument(clf.cell, seconds, calls)
        start = time.perf_counter()
        clf.fit(X, y)
        total = time.perf_counter() - start
    n_batches = calls["training step"]
    print(
        f"\n{args.config}: fit {total:.3f} s, {clf.n_iter_} epochs, {n_batches} "
        f"batches, {1e6 * total / n_batches:.0f} us per batch\n"
    )
    rows = [
        [
            label,
            f"{value:.3f}",
            f"{100 * value / total:.1f}",
            f"{1e6 * value / n_batches:.1f}",
            str(calls[label]),
        ]
        for label, value in seconds.most_common()
    ]
    headers = ["function", "seconds", "% of fit", "us per batch", "calls"]
    print(markdown_table(headers, rows))
    print(f"\nload average at the end {load_average()}")


if __name__ == "__main__":
    main()
