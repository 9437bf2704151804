"""One cosine decay of the learning rate against the defaults, selection protocol.

Usage::

    python benchmarks/schedules.py --corpora trec,sst2,mr --repeats 2 --folds 3 \\
        --epochs 4,6,8,10 --lr-max 0.005,0.01 --stopping off,on --dump schedules.pkl
    python benchmarks/schedules.py --from-dump schedules.pkl

On the splits of ``selection.py`` (training data only, ``random_state`` =
repeat, paired differences), one network whose Adam learning rate falls
along a half cosine from ``lr_max`` to 0 over ``E`` epochs, step by step
(PyTorch's ``CosineAnnealingLR`` with ``T_max`` = ``E`` x steps per epoch:
the ``k``-th step, counted from 0, takes
``lr_max * (1 + cos(pi * k / T_max)) / 2``), is compared with the defaults
as they were (``PREVIOUS_DEFAULTS``: a constant 0.005, its network with
early stopping and its n-gram companion; the cosine is the default since),
the network alone and blended with the defaults' companion of
the same split at the default ``ngram_weight``.  Every ``E``, ``lr_max``
and early stopping setting is a run of its own: ``off`` trains on the whole
training part for exactly ``E`` epochs; ``on`` holds out the defaults'
validation split, may stop before ``E`` epochs (``n_iter_no_change``) and
keeps the best epoch's weights.

The fit seconds are wall-clock: the cosine runs' own fits (no companion),
plus the defaults' companion's fit for the rows with it.  The cosine runs
are made with ``learning_rate="cosine"`` when this skrnn has it, and
otherwise by wrapping the training loop that ``RNNTextClassifier`` calls
(the same steps: the per-step rate is set on the optimizer before each
update).  ``--dump`` keeps every split's logits; ``--from-dump`` prints the
tables again without fitting.
"""

import argparse
import math
import pickle
import time
import warnings

import numpy as np
from _env import environment_lines, load_average, markdown_table
from selection import CORPORA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from snapshots import paired_rows

import skrnn._base as base
from skrnn import RNNTextClassifier
from skrnn._ngrams import ngram_logits
from skrnn._optimizers import LR_SCHEDULES
from skrnn._prediction import blended_logits, predict_logits
from skrnn._training import fit_epochs

HAS_COSINE = "cosine" in LR_SCHEDULES
#: "the defaults" of the tables: the estimator's defaults when this script
#: chose the cosine, which ``RNNTextClassifier()`` has been since.
PREVIOUS_DEFAULTS = {
    "learning_rate": "constant",
    "learning_rate_init": 0.005,
    "max_iter": 200,
}


def cosine_fit_epochs(params, optimizer, train, config, settings, state, rng, **kw):
    """``fit_epochs`` with the learning rate on one half cosine over its epochs."""
    steps = math.ceil(len(train.y) / settings.batch_size) * kw["max_epochs"]
    lr_max, update, count = optimizer.learning_rate_init, optimizer.update_params, [0]

    def cosine_update(params, grads):
        optimizer.learning_rate_init = (
            lr_max * 0.5 * (1 + math.cos(math.pi * count[0] / steps))
        )
        count[0] += 1
        update(params, grads)

    optimizer.update_params = cosine_update
    try:
        return fit_epochs(params, optimizer, train, config, settings, state, rng, **kw)
    finally:
        del optimizer.update_params
        optimizer.learning_rate_init = lr_max


def network_logits(model, X):
    fitted = model._fitted
    return predict_logits(fitted.weights, fitted.vectorizer.transform(X), fitted.config)


def fit_split(X, y, train, val, seed, candidates):
    """The held-out logits and fit seconds of the defaults and each candidate."""
    X_train, y_train = [X[i] for i in train], y[train]
    X_val, y_val = [X[i] for i in val], y[val]
    seconds = {}
    original = RNNTextClassifier._companion_fit

    def timed_companion(self, *args):
        fit = original(self, *args)

        def timed_fit():
            begin = time.perf_counter()
            companion = fit()
            seconds["companion"] = time.perf_counter() - begin
            return companion

        return timed_fit

    model = RNNTextClassifier(**PREVIOUS_DEFAULTS, random_state=seed)
    start = time.perf_counter()
    try:
        RNNTextClassifier._companion_fit = timed_companion
        model.fit(X_train, y_train)
    finally:
        RNNTextClassifier._companion_fit = original
    seconds["defaults"] = time.perf_counter() - start
    record = {
        "y_val": y_val,
        "companion": ngram_logits(
            model._fitted.ngrams, model._fitted.vectorizer.transform(X_val)
        ),
        "ngram_weight": model.ngram_weight,
        "defaults": network_logits(model, X_val),
        "defaults_epochs": model.n_iter_,
        "candidates": {},
        "seconds": seconds,
    }
    for name, (epochs, lr_max, stopping) in candidates.items():
        params = dict(
            ngram_range=None,
            random_state=seed,
            max_iter=epochs,
            learning_rate_init=lr_max,
            early_stopping=stopping,
        )
        if HAS_COSINE:
            params["learning_rate"] = "cosine"
        else:
            base.fit_epochs = cosine_fit_epochs
        candidate = RNNTextClassifier(**params)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                start = time.perf_counter()
                candidate.fit(X_train, y_train)
                fit_seconds = time.perf_counter() - start
        finally:
            base.fit_epochs = fit_epochs
        record["candidates"][name] = {
            "logits": network_logits(candidate, X_val),
            "seconds": fit_seconds,
            "epochs": candidate.n_iter_,
        }
    return record


def accuracy(logits, y):
    return float(np.mean(np.argmax(logits, axis=1) == y))


def variants(record):
    """Accuracy alone and with the companion, and fit seconds, of each row."""
    y_val, companion = record["y_val"], record["companion"]
    weight, seconds = record["ngram_weight"], record["seconds"]

    def row(logits, fit_seconds, epochs):
        return (
            accuracy(logits, y_val),
            accuracy(blended_logits([logits], "softmax", companion, weight), y_val),
            fit_seconds,
            fit_seconds + seconds["companion"],
            epochs,
        )

    results = {
        "the defaults": row(
            record["defaults"],
            seconds["defaults"] - seconds["companion"],
            record["defaults_epochs"],
        )
    }
    for name, run in record["candidates"].items():
        results[name] = row(run["logits"], run["seconds"], run["epochs"])
    return results


def table(per_split):
    """Mean ± SE of each row and its paired difference from the defaults."""
    rows, values = paired_rows(per_split, "the defaults")
    for row, epochs in zip(rows, values.values(), strict=True):
        row.append(f"{epochs[:, 4].mean():.1f}")
    return markdown_table(
        [
            "variant",
            "network alone %",
            "vs the defaults' network",
            "with the companion %",
            "vs the defaults",
            "fit s alone",
            "fit s with the companion",
            "epochs",
        ],
        rows,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="trec,sst2,mr")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--epochs", default="4,6,8", help="E of the decay")
    parser.add_argument("--lr-max", default="0.005,0.01", help="its start")
    parser.add_argument(
        "--stopping", default="off,on", help="early stopping off and/or on"
    )
    parser.add_argument(
        "--stopping-epochs", help="E with early stopping on (default: --epochs)"
    )
    parser.add_argument("--dump", help="pickle every split's logits to this file")
    parser.add_argument("--from-dump", help="read a --dump file: no fits")
    args = parser.parse_args()
    candidates = {}
    for stopping in args.stopping.split(","):
        epochs = args.epochs
        if stopping == "on" and args.stopping_epochs:
            epochs = args.stopping_epochs
        for e in (int(v) for v in epochs.split(",")):
            for lr in (float(v) for v in args.lr_max.split(",")):
                name = f"cosine, E={e}, lr_max={lr:g}, early stopping {stopping}"
                candidates[name] = (e, lr, stopping == "on")
    print("\n".join(environment_lines()))
    print(f"load average {load_average()} at the start; {vars(args)}")
    print(f"learning_rate='cosine' in skrnn: {HAS_COSINE}")
    corpora = args.corpora.split(",")
    n_splits = args.repeats * args.folds
    records = []
    if args.from_dump:
        with open(args.from_dump, "rb") as file:
            records = pickle.load(file)
    for c, corpus in enumerate(corpora):
        if args.from_dump:
            mine = records[c * n_splits : (c + 1) * n_splits]
        else:
            X, y = CORPORA[corpus]()
            X, y = list(X), np.asarray(y)
            mine = []
            for repeat in range(args.repeats):
                folds = StratifiedKFold(
                    n_splits=args.folds, shuffle=True, random_state=repeat
                )
                for train, val in folds.split(X, y):
                    mine.append(fit_split(X, y, train, val, repeat, candidates))
                    print(
                        f"  {corpus}: split {len(mine)} of {n_splits}, "
                        f"load {load_average()}",
                        flush=True,
                    )
            records.extend(mine)
            if args.dump:
                with open(args.dump, "wb") as file:
                    pickle.dump(records, file)
        print()
        print(
            f"{corpus}: {sum(len(r['y_val']) for r in mine[: args.folds])} "
            f"training documents, {args.repeats} x {args.folds}-fold stratified "
            f"CV, random_state = repeat; load {load_average()}"
        )
        print()
        print(table([variants(record) for record in mine]), flush=True)


if __name__ == "__main__":
    main()
