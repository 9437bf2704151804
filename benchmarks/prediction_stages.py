"""Where ``predict_proba``'s time goes, stage by stage, as ``speed.py`` predicts.

Usage::

    python benchmarks/prediction_stages.py                  # configs a-e
    python benchmarks/prediction_stages.py --configs e --seconds 5
    python benchmarks/prediction_stages.py --against main --repeats 21

Each configuration of ``speed.py`` (``_skrnn_side.bench_configs``) is fitted
for one epoch on MR's 9,595 training sentences, as ``speed.py``'s first fit
does, and ``predict_proba`` of the 1,067 held-out raw sentences is called
again and again for ``--seconds``, with ``n_jobs=1`` and BLAS on one thread,
timed by the thread's CPU time (which other processes on a busy machine
disturb less than the wall clock).  The functions it calls are wrapped, for
this process only, by ``overhead.py``'s timer: checking the input, text to
ids (by chunks with the default token pattern; otherwise tokenizing, then
looking the tokens up), the network (the first layer's table, padding, the
forward of each batch), the n-gram companion (its n-gram keys, their
look-up among the fitted ones, the sparse features) and the blend.  A stage
that the checkout does not have (an older one) is left out.  The table
gives each stage's milliseconds per call (nested stages count in their
callers too) and its share of the call; the rest of the call (the softmax,
the float64 cast) is the difference.

``--against REV`` first runs an A/B of the whole ``predict_proba``: revision
``REV``'s package (exported with ``git archive``, as ``prediction.py
--against`` does) and this checkout's, the same fitted model in both
(pickled by one, unpickled as the other's objects), one call of each
in turn, ``--repeats`` times, with ``n_jobs=1`` (by the process's CPU time)
and ``n_jobs=2`` (by the wall clock), the four calls alternating (so that
the ratio of ``n_jobs=2`` to ``n_jobs=1`` is not that of two spells of
other processes' work).  The table gives the median
milliseconds of a call, the ratio of the medians (above 1: this checkout is
faster) and the largest difference between the two's probabilities.
``--hog`` runs the A/B again beside a process spinning on one core
(``prediction.py``'s ``cpu_hog``), every call then timed by the wall clock,
and adds each version's ``n_jobs=2`` over its ``n_jobs=1`` with and without
the hog (the target: never below 0.9); ``--no-stages`` leaves out the
stage table.
"""

import argparse
import collections
import contextlib
import io
import pickle
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import skrnn._base
import skrnn._ngrams
import skrnn._prediction
import skrnn._text
from skrnn import RNNTextClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import environment_lines, load_average, markdown_table
from _skrnn_side import TIMED_FIT, bench_configs, mr_split
from overhead import timer
from prediction import cpu_hog, import_package

#: (owner, attribute, label): the stages timed, where the modules call them.
STAGES = [
    (skrnn._base, "check_text", "checking the input"),
    (skrnn._text.SequenceVectorizer, "transform", "text -> ids (transform)"),
    (skrnn._text.SequenceVectorizer, "_encode_by_chunks", "  by chunks"),
    (skrnn._text.SequenceVectorizer, "_tokenize", "  tokenizing"),
    (skrnn._text.SequenceVectorizer, "_encode", "  vocabulary lookup"),
    (skrnn._prediction, "predict_logits", "network"),
    (skrnn._prediction, "prepare_predict", "  first layer's table"),
    (skrnn._prediction, "pad_batch", "  padding"),
    (skrnn._prediction, "predict_prepared", "  forward"),
    (skrnn._prediction, "ngram_logits", "companion"),
    (skrnn._ngrams, "ngram_occurrences", "  n-gram keys"),
    (skrnn._ngrams, "_lookup", "  look-up of the keys"),
    (skrnn._ngrams, "_features", "  sparse features"),
    (skrnn._prediction, "blended_logits", "blend"),
]


def instrument(seconds, calls) -> None:
    """Wrap every stage of :data:`STAGES` that this checkout has."""
    for owner, name, label in STAGES:
        original = getattr(owner, name, None)
        if original is not None:
            wrapped = timer(original, label, seconds, calls, time.thread_time)
            setattr(owner, name, wrapped)


def fitted(params: dict, X, y) -> RNNTextClassifier:
    """A configuration fitted for one epoch, as ``speed.py``'s first fit."""
    clf = RNNTextClassifier(**params).set_params(
        **TIMED_FIT, max_iter=1, random_state=0, n_jobs=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return clf.fit(X, y)


def profile(clf, X, min_seconds: float, seconds, calls):
    """Milliseconds per call of ``predict_proba(X)`` and of each stage.

    Returns the mean and the median milliseconds of a call, the number of
    calls, and each stage's mean milliseconds per call.  ``seconds`` and
    ``calls`` are the counters that the timers of :func:`instrument` fill.
    """
    clf.predict_proba(X)  # warm up
    seconds.clear()
    calls.clear()
    totals = []
    start = time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        begin = time.thread_time()
        clf.predict_proba(X)
        totals.append(time.thread_time() - begin)
    n = len(totals)
    stages = {label: 1e3 * seconds[label] / n for label in seconds}
    return 1e3 * sum(totals) / n, 1e3 * statistics.median(totals), n, stages


class _Unpickler(pickle.Unpickler):
    """Reads what ``skrnn`` pickled as the objects of the package ``name``."""

    def __init__(self, name: str, file):
        super().__init__(file)
        self.name = name

    def find_class(self, module: str, name: str):
        if module == "skrnn" or module.startswith("skrnn."):
            module = self.name + module.removeprefix("skrnn")
        return super().find_class(module, name)


def against(clf, base, X, repeats: int, hog: bool = False) -> list[str]:
    """A/B of ``predict_proba`` between this checkout and the ``base`` package.

    With ``hog``, the same again beside a process spinning on one core
    (``prediction.py``'s ``cpu_hog``), and each version's ``n_jobs=2`` over
    its ``n_jobs=1`` in both settings.
    """
    old = _Unpickler(base.__name__, io.BytesIO(pickle.dumps(clf))).load()
    difference = float(np.max(np.abs(old.predict_proba(X) - clf.predict_proba(X))))
    row, medians = [], {}
    for busy in (False, True) if hog else (False,):
        with cpu_hog() if busy else contextlib.nullcontext():
            times = {(n_jobs, name): [] for n_jobs in (1, 2) for name in "ab"}
            for n_jobs in (1, 2):
                for estimator in (old, clf):
                    estimator.set_params(n_jobs=n_jobs).predict_proba(X)  # warm up
            # n_jobs=1 and 2 alternate too, so that their ratio is not that
            # of two spells of other processes' work
            for _ in range(repeats):
                for n_jobs in (1, 2):
                    # one thread by its CPU time, which other processes
                    # disturb less, unless beside the hog (then, as two, the
                    # wall clock)
                    one_cpu = n_jobs == 1 and not hog
                    clock = time.process_time if one_cpu else time.perf_counter
                    for name, estimator in (("a", old), ("b", clf)):
                        estimator.set_params(n_jobs=n_jobs)
                        begin = clock()
                        estimator.predict_proba(X)
                        times[n_jobs, name].append(clock() - begin)
            for n_jobs in (1, 2):
                base_ms, this_ms = (
                    1e3 * statistics.median(times[n_jobs, name]) for name in "ab"
                )
                medians[busy, n_jobs] = base_ms, this_ms
                row += [f"{base_ms:.2f}", f"{this_ms:.2f}", f"{base_ms / this_ms:.2f}"]
    if hog:
        for busy in (False, True):
            row += [f"{medians[busy, 1][k] / medians[busy, 2][k]:.2f}" for k in (0, 1)]
    clf.set_params(n_jobs=1)
    return [*row, f"{difference:.1e}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="a,b,c,d,e")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--against", metavar="REV", help="A/B predict_proba")
    parser.add_argument("--repeats", type=int, default=15, help="of the A/B")
    parser.add_argument(
        "--hog", action="store_true", help="the A/B beside a busy core too"
    )
    parser.add_argument("--no-stages", action="store_true", help="only the A/B")
    args = parser.parse_args()
    base = import_package(args.against) if args.against else None
    print("\n".join(f"- {line}" for line in environment_lines()), flush=True)
    configs = bench_configs()
    X_train, X_test, y_train, _ = mr_split()
    names = args.configs.split(",")
    results, ab_rows = {}, []
    seconds, calls = collections.Counter(), collections.Counter()
    fitted_models = {}
    if base is not None:
        for name in names:
            fitted_models[name] = clf = fitted(configs[name].params, X_train, y_train)
            before = load_average()
            row = against(clf, base, X_test, args.repeats, args.hog)
            ab_rows.append([name, *row, f"{before} / {load_average()}"])
            print(ab_rows[-1], file=sys.stderr, flush=True)
    if not args.no_stages:
        instrument(seconds, calls)
        with threadpool_limits(1, user_api="blas"):
            for name in names:
                clf = fitted_models.get(name) or fitted(
                    configs[name].params, X_train, y_train
                )
                n_tokens = sum(len(s) for s in clf.vectorizer_.transform(X_test))
                before = load_average()
                results[name] = (
                    *profile(clf, X_test, args.seconds, seconds, calls),
                    n_tokens,
                )
                print(f"  [{name}: load {before} / {load_average()}]", file=sys.stderr)
        labels = [label for _, _, label in STAGES]
        rows = []
        for label in ["predict_proba (mean)", "predict_proba (median)", *labels]:
            row = [label]
            for name in names:
                total, median, _, stages, _ = results[name]
                if label.startswith("predict_proba"):
                    value = total if "mean" in label else median
                    row.append(f"{value:.2f}")
                elif label in stages:
                    row.append(
                        f"{stages[label]:.2f} ({100 * stages[label] / total:.0f}%)"
                    )
                else:
                    row.append("")
            rows.append(row)
        rows.append(
            ["tokens/s (mean)"]
            + [f"{1e3 * results[n][4] / results[n][0]:,.0f}" for n in names]
        )
        rows.append(["calls"] + [str(results[n][2]) for n in names])
        print(
            f"\n`predict_proba` of MR's {len(X_test):,} held-out sentences, n_jobs=1: "
            "milliseconds per call (share of the call)\n"
        )
        print(markdown_table(["stage", *(f"config {n}" for n in names)], rows))
    if ab_rows:
        print(
            f"\n`predict_proba`, {args.against} against this checkout: median "
            f"milliseconds of {args.repeats} alternating calls\n"
        )
        headers = ["config"]
        for setting in ("", ", hog") if args.hog else ("",):
            for n_jobs in (1, 2):
                headers += [
                    f"{args.against}, n_jobs={n_jobs}{setting}",
                    f"this, n_jobs={n_jobs}{setting}",
                    f"{args.against} / this",
                ]
        if args.hog:
            for setting in ("", ", hog"):
                headers += [f"{args.against} 2 / 1{setting}", f"this 2 / 1{setting}"]
        headers += ["max |difference|", "load before / after"]
        print(markdown_table(headers, ab_rows))
    print(f"\nload average at the end {load_average()}")


if __name__ == "__main__":
    main()
