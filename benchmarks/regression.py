"""SST-5 as regression: RNNTextRegressor beside Ridge and expected class values.

Usage::

    python benchmarks/regression.py                  # ~15-30 min on 2 cores
    python benchmarks/regression.py --quick          # checks that it runs
    python benchmarks/regression.py --data PATH      # the folder of stsa.fine.*
    python benchmarks/regression.py --tuned '{"learning_rate_init": 0.002}'
    python benchmarks/regression.py --unit 1000 --offset 5   # ratings 5 to 4005

The fine-grained Stanford Sentiment Treebank (sentences rated 0, very
negative, to 4, very positive) read as a number to predict.  Fit on the 8,544
training sentences, score on the 2,210 test sentences; the dev set is read
only with ``--select``, which scores candidate regressor settings on it (never
on the test set).  Models, all fitted by this script in one run:

* ``RNNTextRegressor`` with its defaults (``random_state=0``), and with
  ``--tuned JSON`` parameters if given;
* ``Ridge()`` on ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)``,
  and ``Ridge(alpha=0.3)``, the figure quoted in issue 21 (on the dev set,
  alpha 0.3 and 1 tie: R^2 0.392 and 0.393; 3 is worse, 0.340);
* the expected rating ``sum_k k p_k`` of ``RNNTextClassifier(random_state=0)``
  and of TF-IDF + ``LogisticRegression(C=10, max_iter=1000)`` (accuracy.py's
  baseline), fitted on the five classes.

With ``--unit A --offset B`` every model fits and predicts the targets
``B + A * rating`` instead (a spread of about ``A``): a model whose fit does
not depend on the targets' unit scores the same R^2 as on the ratings.

Reported: RMSE (in the targets' units), R^2, the accuracy of the prediction
rounded to the nearest rating (clipped to 0..4) and the wall-clock fit time
(tokenizing included).
The machine may be shared: the load averages are printed at the start and
the end.
"""

import argparse
import datetime
import json
import platform
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from _env import REPO, git_state, load_average
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.pipeline import make_pipeline

import skrnn
from skrnn import RNNTextClassifier, RNNTextRegressor

#: Where the shared data sets live, beside the repository or its parent.
DATA_CANDIDATES = [
    REPO.parent / "shared" / "data" / "sst5",
    REPO.parent.parent / "shared" / "data" / "sst5",
]
SPLITS = {"train": "stsa.fine.train", "dev": "stsa.fine.dev", "test": "stsa.fine.test"}


def read_sst5(folder: Path, split: str) -> tuple[list[str], np.ndarray]:
    """Sentences and their ratings 0..4: "rating sentence" per line, UTF-8."""
    lines = (folder / SPLITS[split]).read_text(encoding="utf-8").split("\n")
    pairs = [line.split(" ", 1) for line in lines if line.strip()]
    return [text for _, text in pairs], np.array([float(r) for r, _ in pairs])


def scores(
    y_true: np.ndarray, y_pred: np.ndarray, unit: float = 1.0, offset: float = 0.0
) -> dict[str, float]:
    """RMSE, R^2 and the accuracy of the rounded, clipped prediction.

    Of targets ``offset + unit * rating``: the accuracy is that of the
    predicted rating, ``(y_pred - offset) / unit``.
    """
    rounded = np.clip(np.rint((y_pred - offset) / unit), 0, 4)
    return {
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "r2": float(r2_score(y_true, y_pred)),
        "accuracy": float(np.mean(rounded == (y_true - offset) / unit)),
    }


def expected_rating(model, X) -> np.ndarray:
    """``sum_k k p_k`` of a classifier fitted on the ratings."""
    return model.predict_proba(X) @ model.classes_.astype(float)


def timed_fit(model, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model, time.perf_counter() - start


def models(tuned: dict | None) -> dict:
    """The models by name: (estimator, how it predicts a rating)."""
    tfidf = {"ngram_range": (1, 2), "sublinear_tf": True}
    entries = {
        "RNNTextRegressor (defaults)": (RNNTextRegressor(random_state=0), "predict"),
    }
    if tuned:
        params = {"random_state": 0, **tuned}
        entries[f"RNNTextRegressor {json.dumps(tuned)}"] = (
            RNNTextRegressor(**params),
            "predict",
        )
    for alpha in (1.0, 0.3):
        entries[f"Ridge(alpha={alpha}) on TF-IDF (1-2 grams, sublinear)"] = (
            make_pipeline(TfidfVectorizer(**tfidf), Ridge(alpha=alpha)),
            "predict",
        )
    entries["RNNTextClassifier (defaults), expected rating"] = (
        RNNTextClassifier(random_state=0),
        "expected",
    )
    entries["TF-IDF + LogisticRegression(C=10), expected rating"] = (
        make_pipeline(
            TfidfVectorizer(**tfidf), LogisticRegression(C=10, max_iter=1000)
        ),
        "expected",
    )
    return entries


def predict_rating(model, how, X):
    return expected_rating(model, X) if how == "expected" else model.predict(X)


def select(folder: Path, candidates: list[dict], quick: bool) -> None:
    """Score regressor settings on the dev set: train -> dev, never test."""
    X_train, y_train = read_sst5(folder, "train")
    X_dev, y_dev = read_sst5(folder, "dev")
    if quick:
        X_train, y_train = X_train[:1000], y_train[:1000]
    print("| parameters (dev set) | RMSE | R^2 | rounded accuracy | fit (s) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for params in candidates:
        model, seconds = timed_fit(
            RNNTextRegressor(**{"random_state": 0, **params}), X_train, y_train
        )
        s = scores(y_dev, model.predict(X_dev))
        print(
            f"| `{json.dumps(params)}` | {s['rmse']:.3f} | {s['r2']:.3f} | "
            f"{s['accuracy']:.3f} | {seconds:.0f} |",
            flush=True,
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="the folder of stsa.fine.*")
    parser.add_argument("--quick", action="store_true", help="1,000 sentences")
    parser.add_argument("--tuned", type=json.loads, help="regressor parameters")
    parser.add_argument(
        "--unit", type=float, default=1.0, help="fit the targets offset + unit * y"
    )
    parser.add_argument("--offset", type=float, default=0.0)
    parser.add_argument(
        "--select",
        type=json.loads,
        help="a JSON list of regressor parameter dicts to score on the dev set",
    )
    args = parser.parse_args(argv)
    folder = args.data or next((p for p in DATA_CANDIDATES if p.exists()), None)
    if folder is None or not (folder / SPLITS["train"]).exists():
        parser.error("SST-5 not found: pass --data, the folder of stsa.fine.*")
    print(f"# SST-5 as regression, {datetime.datetime.now():%Y-%m-%d %H:%M}")
    print(f"command: python benchmarks/regression.py {shlex.join(sys.argv[1:])}")
    print(
        f"skrnn {skrnn.__version__} ({git_state()}), scikit-learn "
        f"{sklearn.__version__}, numpy {np.__version__}, Python "
        f"{platform.python_version()}; load average {load_average()}"
    )
    if args.select:
        select(folder, args.select, args.quick)
        print(f"load average at the end: {load_average()}")
        return
    X_train, y_train = read_sst5(folder, "train")
    X_test, y_test = read_sst5(folder, "test")
    if args.quick:
        X_train, y_train = X_train[:1000], y_train[:1000]
    print(f"{len(X_train)} training, {len(X_test)} test sentences")
    unit, offset = args.unit, args.offset
    if (unit, offset) != (1.0, 0.0):
        print(f"targets: {offset:g} + {unit:g} * rating")
    print()
    print("| model | RMSE | R^2 | rounded accuracy | fit (s) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, (model, how) in models(args.tuned).items():
        target = offset + unit * y_train if how == "predict" else y_train.astype(int)
        model, seconds = timed_fit(model, X_train, target)
        predicted = predict_rating(model, how, X_test)
        if how == "expected":
            predicted = offset + unit * predicted
        s = scores(offset + unit * y_test, predicted, unit, offset)
        print(
            f"| {name} | {s['rmse']:.3f} | {s['r2']:.3f} | {s['accuracy']:.3f} | "
            f"{seconds:.0f} |",
            flush=True,
        )
    print(f"\nload average at the end: {load_average()}")


if __name__ == "__main__":
    main()
