"""The cosine setting on small data: a schedule length with a floor in steps.

Usage::

    python benchmarks/small_data.py --corpora trec,sst2,mr --sizes 100,300,1000,3000 \\
        --seeds 16,10,6,4 --min-steps 500,1000,2000

``learning_rate="cosine", learning_rate_init=0.01, max_iter=8,
early_stopping=False`` beat the previous defaults on 5,000-10,000 documents, but 8
epochs of a few minibatches are too few steps to train a network.  This
script measures, on small and medium training sets, a schedule length with a
floor in steps: ``E(n) = min(200, max(8, ceil(MIN_STEPS / ceil(n / 32))))``
epochs for ``n`` training documents (32 is the default ``batch_size``),
against the previous defaults (``PREVIOUS_DEFAULTS``: a constant 0.005
for up to 200 epochs, ``early_stopping="auto"`` holding out a tenth from
1,000 documents; the cosine rule with ``MIN_STEPS=1000`` is the default
since) and the fixed 8 epochs.

Training data only, never a test set: each corpus of ``selection.py``'s
``CORPORA`` is split once (stratified, ``random_state=0``) into a fixed
held-out part of ``--held-out`` documents, on which every fit is scored, and
a pool; for every size ``n`` and seed ``s`` a stratified random subset of
``n`` documents is drawn from the pool with ``random_state=s``, and every
candidate is fitted on that subset with ``random_state=s``: the candidates
are compared **paired**, on the same subsets and seeds.  Candidates whose
``E(n)`` coincide at some ``n`` are one fit (the same parameters and seed
give the same model).

Each fit is scored with its n-gram companion, as the defaults have it, and
with the network alone (``ngram_weight=0`` set after the fit: the weight is
read at prediction).  Fit seconds are wall-clock ``fit`` calls (companion
included), one at a time in this process.  The cosine fits keep the
estimator's stopping rule on the training loss (no improvement by ``tol``
for ``n_iter_no_change`` epochs), which ends a long schedule on a small
set before its end; ``--no-loss-stop`` adds a run of the same schedule
with ``n_iter_no_change=E(n)``, which never stops it.
"""

import argparse
import math
import time
import warnings

import numpy as np
from _env import environment_lines, load_average, markdown_table
from selection import CORPORA, mean_se
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skrnn import RNNTextClassifier

BATCH_SIZE = 32
MAX_EPOCHS = 200
FLOOR_EPOCHS = 8
#: The defaults this script measured the rule against, before it became the
#: default: ``RNNTextClassifier()`` is now the cosine with MIN_STEPS=1000.
PREVIOUS_DEFAULTS = {
    "learning_rate": "constant",
    "learning_rate_init": 0.005,
    "max_iter": MAX_EPOCHS,
}


def schedule_epochs(n, min_steps):
    """``E(n)``: 8 epochs, or enough for ``min_steps`` steps, at most 200."""
    steps_per_epoch = math.ceil(n / BATCH_SIZE)
    return min(MAX_EPOCHS, max(FLOOR_EPOCHS, math.ceil(min_steps / steps_per_epoch)))


def cosine(epochs):
    return dict(
        learning_rate="cosine",
        learning_rate_init=0.01,
        early_stopping=False,
        max_iter=epochs,
    )


def candidates(n, min_steps, no_loss_stop):
    """Name -> parameters of every candidate at size ``n``; the reference first."""
    out = {"the previous defaults": dict(PREVIOUS_DEFAULTS)}
    for m in min_steps:
        out[f"cosine, MIN_STEPS={m}"] = cosine(schedule_epochs(n, m))
    for m in no_loss_stop:
        epochs = schedule_epochs(n, m)
        out[f"cosine, MIN_STEPS={m}, no loss stop"] = {
            **cosine(epochs),
            "n_iter_no_change": epochs,
        }
    out["cosine, 8 epochs"] = cosine(FLOOR_EPOCHS)
    return out


def fit_one(params, X, y, X_val, y_val, seed):
    """Accuracy with the companion and alone, fit seconds and epochs."""
    model = RNNTextClassifier(**params, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
    with_companion = model.score(X_val, y_val)
    alone = model.set_params(ngram_weight=0).score(X_val, y_val)
    return with_companion, alone, seconds, model.n_iter_


def run_size(X_pool, y_pool, X_val, y_val, n, seeds, min_steps, no_loss_stop):
    """Per candidate: an array (seeds, 4) of the four figures of ``fit_one``."""
    named = candidates(n, min_steps, no_loss_stop)
    results = {name: [] for name in named}
    for seed in range(seeds):
        idx, _ = train_test_split(
            np.arange(len(y_pool)), train_size=n, stratify=y_pool, random_state=seed
        )
        X, y = [X_pool[i] for i in idx], y_pool[idx]
        done = {}
        for name, params in named.items():
            key = tuple(sorted(params.items()))
            if key not in done:
                done[key] = fit_one(params, X, y, X_val, y_val, seed)
            results[name].append(done[key])
    return named, {name: np.array(values) for name, values in results.items()}


def rows(corpus, n, named, results):
    reference = results["the previous defaults"]
    out = []
    for name, params in named.items():
        values = results[name]
        reference_row = name == "the previous defaults"
        row = [corpus if reference_row else "", str(n), name]
        row.append(f"≤ {MAX_EPOCHS}" if reference_row else str(params["max_iter"]))
        for column in (0, 1):
            mean, se = mean_se(100 * values[:, column])
            row.append(f"{mean:.2f} ± {se:.2f}")
            if reference_row:
                row.append("reference")
            else:
                diff, diff_se = mean_se(
                    100 * (values[:, column] - reference[:, column])
                )
                row.append(f"{diff:+.2f} ± {diff_se:.2f}")
        ratio = values[:, 2].mean() / reference[:, 2].mean()
        row.append(f"{values[:, 2].mean():.2f} ({ratio:.2f}x)")
        row.append(f"{values[:, 3].mean():.1f}")
        out.append(row)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="trec,sst2,mr")
    parser.add_argument("--sizes", default="100,300,1000,3000")
    parser.add_argument(
        "--seeds", default="16,10,6,4", help="subsets (= seeds) per size, or one"
    )
    parser.add_argument("--min-steps", default="500,1000,2000")
    parser.add_argument(
        "--no-loss-stop",
        default="1000",
        help="MIN_STEPS whose schedule also runs without the training-loss stop",
    )
    parser.add_argument("--held-out", type=int, default=1500)
    args = parser.parse_args()
    sizes = [int(v) for v in args.sizes.split(",")]
    seeds = [int(v) for v in args.seeds.split(",")]
    seeds = seeds * len(sizes) if len(seeds) == 1 else seeds
    min_steps = [int(v) for v in args.min_steps.split(",")]
    no_loss_stop = [int(v) for v in args.no_loss_stop.split(",") if v]
    print("\n".join(environment_lines()))
    print(f"load average {load_average()} at the start; {vars(args)}")
    for corpus in args.corpora.split(","):
        table = []
        X_all, y_all = CORPORA[corpus]()
        X_all, y_all = list(X_all), np.asarray(y_all)
        pool, val = train_test_split(
            np.arange(len(y_all)),
            test_size=args.held_out,
            stratify=y_all,
            random_state=0,
        )
        X_pool, y_pool = [X_all[i] for i in pool], y_all[pool]
        X_val, y_val = [X_all[i] for i in val], y_all[val]
        for n, k in zip(sizes, seeds, strict=True):
            start = time.perf_counter()
            named, results = run_size(
                X_pool, y_pool, X_val, y_val, n, k, min_steps, no_loss_stop
            )
            table += rows(corpus, n, named, results)
            print(
                f"  {corpus} n={n}: {k} seeds in {time.perf_counter() - start:.0f} s,"
                f" load {load_average()}",
                flush=True,
            )
        print()
        print(
            markdown_table(
                [
                    "corpus",
                    "n",
                    "candidate",
                    "epochs set",
                    "with the companion %",
                    "vs the previous defaults",
                    "network alone %",
                    "vs their network",
                    "fit s (x theirs)",
                    "epochs run",
                ],
                table,
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
