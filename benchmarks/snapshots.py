"""Ensembles at the cost of one run: snapshots and checkpoints, selection protocol.

Usage::

    python benchmarks/snapshots.py --corpora trec,sst2,mr --repeats 2 --folds 3 \\
        --dump snapshots.pkl
    python benchmarks/snapshots.py --from-dump snapshots.pkl --members 2,3,4

On the splits of ``selection.py`` (training data only, ``random_state`` =
repeat, paired differences), compares with one network of the defaults
(the network alone, and blended with the defaults' n-gram companion at the
default ``ngram_weight``):

* ``n_estimators=3``: three networks of their own seeds, trained one after
  another (member 0 is the one network, bit for bit).
* **Checkpoint ensembles** (free): the probabilities of the ``M`` epochs
  with the best early-stopping validation scores of the one network's own
  run, averaged.
* **Snapshot ensembles** (Huang et al. 2017): one run on the same data,
  hold-out and seed whose Adam learning rate follows cosine cycles of
  ``--cycle-epochs`` epochs, falling step by step from ``--lr-max`` (twice
  the defaults' ``learning_rate_init``: the mean rate of a cycle is the
  constant one) to 0, with a snapshot at the end of each cycle, for
  ``--cycles`` cycles.  The rule rows stop the run as early stopping would:
  from the ``M``-th cycle on, the mean of the last ``M`` snapshots is
  scored on the hold-out, ``--patience`` cycles without an improvement of
  1e-4 stop the run, and the best window is kept; their fit seconds run to
  where the rule stopped.  The other rows read fixed windows of the same
  run, and each snapshot alone.

The fit seconds are wall-clock, with and without the companion's fit:
one network (its epochs up to early stopping), three networks, and the
snapshot run.  Nothing in skrnn is changed: the script wraps the training
loop that ``RNNTextClassifier`` calls, to record the hold-out's and the
split's validation logits after each epoch (the latter's cost left out of
the fit seconds), or to run the cycles.  ``--dump`` keeps every split's
logits, from which ``--from-dump`` prints the tables again (other rules
and windows) without fitting.
"""

import argparse
import math
import pickle
import time

import numpy as np
from _env import environment_lines, load_average, markdown_table
from selection import CORPORA, mean_se
from sklearn.model_selection import StratifiedKFold

import skrnn._base as base
from skrnn import RNNTextClassifier
from skrnn._ngrams import ngram_logits
from skrnn._prediction import blended_logits, predict_logits
from skrnn._training import fit_epochs, run_epoch

#: What the wrapped training loop records, per member.
RECORD: dict = {}


def recording_fit_epochs(params, optimizer, train, config, settings, state, rng, **kw):
    """``fit_epochs`` that records each epoch's validation and held-out logits."""
    epochs, spent = [], [0.0]
    validation = kw["validation"]
    user_end = kw.pop("on_epoch_end")

    def on_end():
        start = time.perf_counter()
        epochs.append(
            (
                state.validation_scores[-1],
                predict_logits(params, validation.sequences, config),
                predict_logits(params, RECORD["held_out"], config),
            )
        )
        spent[0] += time.perf_counter() - start
        return user_end() if user_end else False

    start = time.perf_counter()
    stopped = fit_epochs(
        params,
        optimizer,
        train,
        config,
        settings,
        state,
        rng,
        on_epoch_end=on_end,
        **kw,
    )
    RECORD["members"].append(
        {
            "epochs": epochs,
            "seconds": time.perf_counter() - start - spent[0],
            "validation_y": validation.y,
        }
    )
    return stopped


def snapshot_fit_epochs(params, optimizer, train, config, settings, state, rng, **kw):
    """Cosine cycles of the learning rate, a snapshot at the end of each."""
    args = RECORD["args"]
    validation = kw["validation"]
    steps = math.ceil(len(train.y) / settings.batch_size) * args.cycle_epochs
    update, count = optimizer.update_params, [0]

    def cyclic_update(params, grads):
        phase = (count[0] % steps) / steps
        optimizer.learning_rate_init = (
            args.lr_max * 0.5 * (1 + math.cos(math.pi * phase))
        )
        count[0] += 1
        update(params, grads)

    optimizer.update_params = cyclic_update
    snapshots, spent = [], 0.0
    start = time.perf_counter()
    # the rule scores the hold-out after each cycle (in the fit seconds); the
    # held-out documents' logits are the probe's (left out of them)
    for _ in range(args.cycles):
        for _ in range(args.cycle_epochs):
            # one cycle is a whole number of epochs of about ``steps`` steps
            state.loss_curve.append(
                run_epoch(params, optimizer, train, config, settings, rng)
            )
            state.n_iter += 1
            state.t += len(train.y)
        validation_logits = predict_logits(params, validation.sequences, config)
        mark = time.perf_counter()
        held_out_logits = predict_logits(params, RECORD["held_out"], config)
        spent += time.perf_counter() - mark
        snapshots.append(
            {
                "validation": validation_logits,
                "held_out": held_out_logits,
                "seconds": time.perf_counter() - start - spent,
            }
        )
    del optimizer.update_params
    RECORD["members"].append(
        {"snapshots": snapshots, "validation_y": validation.y, "epochs": state.n_iter}
    )
    return True


def accuracy(logits, y):
    return float(np.mean(np.argmax(logits, axis=1) == y))


def mean_of(logits):
    return blended_logits(list(logits), "softmax")


def snapshot_rule(snapshots, y_val, m, patience, tol=1e-4):
    """The cycle at which the last-``m`` rule stops, and the last cycle it keeps.

    As early stopping counts epochs: after each cycle from the ``m``-th on,
    the mean of the last ``m`` snapshots is scored on the hold-out; a score
    below the best by less than ``tol`` counts a cycle without improvement,
    ``patience`` of them in a row stop the run, and the best window is kept.
    """
    best, best_at, count = -np.inf, None, 0
    for n in range(m, len(snapshots) + 1):
        window = [s["validation"] for s in snapshots[n - m : n]]
        score = accuracy(mean_of(window), y_val)
        count = count + 1 if score < best + tol else 0
        if score > best:
            best, best_at = score, n
        if count >= patience:
            return n, best_at
    return len(snapshots), best_at or len(snapshots)


def fit_split(X, y, train, val, seed):
    """The logits and fit seconds of every variant on one split.

    One fit of ``n_estimators=3`` with the companion, recording every
    epoch of every member (member 0 is the one network), then the snapshot
    run on the same data, hold-out and seed.
    """
    X_train, y_train = [X[i] for i in train], y[train]
    X_val, y_val = [X[i] for i in val], y[val]
    base.fit_epochs = recording_fit_epochs
    RECORD.update(members=[])
    model = RNNTextClassifier(n_estimators=3, random_state=seed)
    original = RNNTextClassifier._companion_fit

    def companion_then_ids(self, seqs, targets, weights, start_model):
        # the held-out documents' ids, once the vocabulary is fitted
        RECORD["held_out"] = start_model.vectorizer.transform(X_val)
        fit = original(self, seqs, targets, weights, start_model)

        def timed_fit():
            begin = time.perf_counter()
            companion = fit()
            RECORD["companion_seconds"] = time.perf_counter() - begin
            return companion

        return timed_fit

    start = time.perf_counter()
    try:
        RNNTextClassifier._companion_fit = companion_then_ids
        model.fit(X_train, y_train)
    finally:
        RNNTextClassifier._companion_fit = original
        base.fit_epochs = fit_epochs
    total = time.perf_counter() - start
    members = RECORD["members"]
    sequences = RECORD["held_out"]
    companion_seconds = RECORD["companion_seconds"]
    # the seconds of the one network: all but the recording and members 1, 2
    recorded = sum(m["seconds"] for m in members)
    one_seconds = total - recorded + members[0]["seconds"]
    base.fit_epochs = snapshot_fit_epochs
    RECORD.update(members=[])
    try:
        start = time.perf_counter()
        RNNTextClassifier(ngram_range=None, random_state=seed).fit(X_train, y_train)
        snap_total = time.perf_counter() - start
    finally:
        base.fit_epochs = fit_epochs
    run = RECORD["members"][0]
    return {
        "y_val": y_val,
        "companion": ngram_logits(model._fitted.ngrams, sequences),
        "ngram_weight": model.ngram_weight,
        "members": members,
        "snapshots": run["snapshots"],
        "snapshot_validation_y": run["validation_y"],
        "seconds": {
            "total": total,
            "one": one_seconds,
            "companion": companion_seconds,
            # vocabulary and set-up of the snapshot run, outside its cycles
            "snapshot outside": snap_total - run["snapshots"][-1]["seconds"],
        },
    }


def variants(record, args):
    """Accuracy alone and with the companion, and fit seconds, of each variant."""
    y_val, companion = record["y_val"], record["companion"]
    weight = record.get("ngram_weight", RNNTextClassifier().ngram_weight)
    seconds = record["seconds"]
    one = seconds["one"] - seconds["companion"]

    def row(logits, fit_seconds):
        return (
            accuracy(mean_of(logits), y_val),
            accuracy(blended_logits(list(logits), "softmax", companion, weight), y_val),
            fit_seconds,
            fit_seconds + seconds["companion"],
        )

    members = record["members"]
    # each member's network: the epoch of its best validation score
    best = [
        m["epochs"][int(np.argmax([e[0] for e in m["epochs"]]))][2] for m in members
    ]
    results = {
        "one network": row(best[:1], one),
        "n_estimators=3": row(best, seconds["total"] - seconds["companion"]),
    }
    epochs = members[0]["epochs"]
    order = np.argsort([-e[0] for e in epochs], kind="stable")
    for m in args.checkpoints:
        top = [epochs[i][2] for i in order[:m]]
        results[f"checkpoints, best {m} epochs"] = row(top, one)
    snapshots, outside = record["snapshots"], seconds["snapshot outside"]
    for m in args.members:
        for patience in args.patience:
            stop, keep = snapshot_rule(
                snapshots, record["snapshot_validation_y"], m, patience
            )
            kept = [s["held_out"] for s in snapshots[max(0, keep - m) : keep]]
            results[f"snapshots, last {m}, patience {patience}"] = row(
                kept, outside + snapshots[stop - 1]["seconds"]
            )
        for n in args.fixed:
            if m <= n <= len(snapshots):
                kept = [s["held_out"] for s in snapshots[n - m : n]]
                results[f"snapshots, last {m} of {n} cycles"] = row(
                    kept, outside + snapshots[n - 1]["seconds"]
                )
    for n in range(1, len(snapshots) + 1):
        results[f"snapshot {n} alone"] = row(
            [snapshots[n - 1]["held_out"]], outside + snapshots[n - 1]["seconds"]
        )
    return results


def paired_rows(per_split, reference_name):
    """Table rows: each variant's accuracies and fit seconds, paired.

    The mean ± SE of the accuracy alone and with the companion (columns 0
    and 1 of each split's values), their paired differences from
    ``reference_name``'s, and the mean fit seconds alone and with the
    companion (columns 2 and 3) with their ratios to the reference's; also
    the values of every variant, split by split.
    """
    names = list(per_split[0])
    values = {name: np.array([split[name] for split in per_split]) for name in names}
    reference = values[reference_name]
    rows = []
    for name in names:
        row = [name]
        for column in (0, 1):
            mean, se = mean_se(100 * values[name][:, column])
            diff, diff_se = mean_se(
                100 * (values[name][:, column] - reference[:, column])
            )
            row += [f"{mean:.2f} ± {se:.2f}", f"{diff:+.2f} ± {diff_se:.2f}"]
        for column in (2, 3):
            ratio = values[name][:, column].mean() / reference[:, column].mean()
            row.append(f"{values[name][:, column].mean():.1f} ({ratio:.2f}x)")
        rows.append(row)
    return rows, values


def table(per_split):
    """Mean ± SE of each variant and its paired difference from one network."""
    rows, _ = paired_rows(per_split, "one network")
    return markdown_table(
        [
            "variant",
            "network alone %",
            "vs one network",
            "with the companion %",
            "vs one network + companion",
            "fit s alone",
            "fit s with the companion",
        ],
        rows,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="trec,sst2,mr")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--cycle-epochs", type=int, default=3)
    parser.add_argument("--cycles", type=int, default=6)
    parser.add_argument("--lr-max", type=float, default=0.01)
    parser.add_argument("--patience", default="1,2", help="cycles, of the rule")
    parser.add_argument("--members", default="3,5", help="M of the snapshot rows")
    parser.add_argument("--checkpoints", default="3,5", help="M of the checkpoints")
    parser.add_argument("--fixed", default="3,4", help="fixed numbers of cycles")
    parser.add_argument("--dump", help="pickle every split's logits to this file")
    parser.add_argument(
        "--from-dump", help="read the splits' logits from a --dump file: no fits"
    )
    args = parser.parse_args()
    for name in ("patience", "members", "checkpoints", "fixed"):
        setattr(args, name, [int(v) for v in getattr(args, name).split(",")])
    RECORD["args"] = args
    print("\n".join(environment_lines()))
    print(f"load average {load_average()} at the start; {vars(args)}")
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
                    mine.append(fit_split(X, y, train, val, seed=repeat))
                    print(f"  {corpus}: split {len(mine)} of {n_splits}", flush=True)
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
        print(table([variants(record, args) for record in mine]), flush=True)


if __name__ == "__main__":
    main()
