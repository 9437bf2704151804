"""Test accuracy of skrnn beside the usual baselines and the published numbers.

Usage::

    python benchmarks/accuracy.py                        # MR, TREC, SST-2, SST-5, toy
    python benchmarks/accuracy.py --corpora trec,sst2    # ~10-15 min
    python benchmarks/accuracy.py --folds 3 --jobs 2     # quicker, parallel MR
    python benchmarks/accuracy.py --quick                # checks that it runs
    python benchmarks/accuracy.py --corpora trec --seeds 10
    python benchmarks/accuracy.py --tuned '{"cell": "lstm", "pooling": "max"}'
    python benchmarks/accuracy.py --corpora cr,mpqa,subj --data-dir DIR
    python benchmarks/accuracy.py --corpora rt2k --data-dir DIR  # long reviews

Models, all fitted by this script on the same splits:

* ``skrnn defaults``: ``RNNTextClassifier(random_state=0)``, with whatever the
  defaults are when the script runs (they are printed in the header);
* ``skrnn tuned`` (only with ``--tuned JSON``): ``RNNTextClassifier`` with the
  given parameters, ``random_state=0`` unless the JSON sets it.  The script
  selects nothing: the parameters must have been chosen on training or
  development data only (e.g. with ``benchmarks/tune_defaults.py``), never on
  the test sets reported here;
* ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) +
  LogisticRegression(C=10, max_iter=1000)``; ``C`` from {1, 3, 10, 30}, the
  best on SST-2 dev and on a 10% hold-out of TREC train (scikit-learn's
  ``C=1`` is 1-5 points worse on both);
* ``CountVectorizer() + MultinomialNB()``;
* NBSVM-bi (Wang and Manning, 2012) as NB-LR: binary unigram and bigram
  features scaled by the naive Bayes log-count ratios, then
  ``LogisticRegression`` with ``C`` chosen by an inner 3-fold cross-validation
  of the training data (one-vs-rest for more than two classes), written with
  scikit-learn in ``_baselines.py``;
* fastText (Joulin et al., 2017), bigrams, 25 epochs, one thread, the
  training file shuffled: only when ``fasttext-numpy2-wheel`` is installed
  (the ``bench`` extra), otherwise skipped with a note in the header.

Protocols (those of Kim, 2014):

* MR: ``StratifiedKFold(--folds, shuffle=True, random_state=0)`` (10 folds by
  default), mean ± standard deviation of the fold accuracies;
* CR, MPQA and Subj (``--data-dir``), likewise: customer reviews (3,775
  sentences), opinion-polarity phrases of about three words (10,606) and
  subjectivity (10,000), two classes each.  skrnn does not bundle them:
  ``--data-dir`` names a folder holding Kim's files ``custrev.all``,
  ``mpqa.all`` and ``subj.all`` (a label, a space and a tokenized sentence
  on each line), as https://github.com/harvardnlp/sent-conv-torch/tree/master/data
  has them.  They stand in for corpora the defaults were not chosen on:
  nothing was tuned on them;
* RT-2k (``--data-dir``), likewise: Pang and Lee (2004)'s 2,000 full-length
  movie reviews (polarity dataset v2.0, 750 words on average, a fifth of
  them longer than the network's default ``max_length`` of 1,000 tokens),
  the long documents of Wang and Manning (2012)'s table, read from
  ``rt2k.all`` in ``--data-dir``, which ``benchmarks/make_rt2k.py`` writes
  from the dataset's ``txt_sentoken`` folder;
* TREC: fit on the 5,452 training questions, score on the 500 test questions;
* SST-2: fit on the 6,920 training sentences, score on the 1,821 test
  sentences; SST-5 likewise, 8,544 -> 2,210 sentences, five classes.  The dev
  sets are not read (no selection is made here).

The main table fits skrnn with ``random_state=0``.  The seed spread then
refits skrnn with ``random_state`` 1 to ``--seeds`` - 1 (on MR, on the first
fold of the cross-validation only) and reports the mean ± standard deviation
and the range of the test accuracies over the seeds, with the mean fit time.

Fit time is the mean wall-clock time of one ``fit`` (tokenizing included), in
seconds; the machine may be shared, so the load averages are printed at the
start and the end.  The toy set (``load_toy_sentiment``) is fitted with
``random_state`` 0 to 9, and the table counts how many reach 100% test
accuracy (``--no-toy`` skips it).

``--quick`` only checks that the script runs: MR (and CR, MPQA and Subj) is
cut to 2,000 sentences and 2 folds, the TREC, SST-2 and SST-5 training sets
to 1,000 sentences (test sets whole), the seed spread to 2 seeds and the toy
set to 2 random states.  Its numbers are not comparable.

The published numbers are copied from the papers (see ``PUBLISHED``); they
were not reproduced here.  Kim's and Tai et al.'s SST-2 models were trained on
the treebank's phrases as well as its sentences, and the CNN-non-static and
Tai et al. models start from pre-trained word vectors; the models above see
the training sentences only.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import sys
import time
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import joblib
import numpy as np
import sklearn
from _env import git_state, load_average
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline

import skrnn
from skrnn import RNNTextClassifier
from skrnn.datasets import (
    load_movie_reviews,
    load_sst2,
    load_sst5,
    load_toy_sentiment,
    load_trec,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _baselines import (  # a sibling module, not a package
    NBSVM_C_GRID,
    FastTextClassifier,
    fasttext_available,
    make_nbsvm_bi,
)

CORPORA = ("mr", "trec", "sst2", "sst5")
#: Corpora read from ``--data-dir``: their file there, by Kim (2014)'s name.
KIM_FILES = {
    "cr": "custrev.all",
    "mpqa": "mpqa.all",
    "subj": "subj.all",
    "rt2k": "rt2k.all",  # not Kim's: make_rt2k.py writes it in the same form
}
#: Corpora scored by cross-validation (the others by their test set).
CV_CORPORA = ("mr", *KIM_FILES)
ALL_CORPORA = (*CORPORA, *KIM_FILES)
CORPUS_TITLES = {
    "mr": "MR ({folds}-fold CV)",
    "cr": "CR ({folds}-fold CV)",
    "mpqa": "MPQA ({folds}-fold CV)",
    "subj": "Subj ({folds}-fold CV)",
    "rt2k": "RT-2k, long reviews ({folds}-fold CV)",
    "trec": "TREC (train -> test)",
    "sst2": "SST-2 (train -> test)",
    "sst5": "SST-5 (train -> test)",
}
LOADERS = {"trec": load_trec, "sst2": load_sst2, "sst5": load_sst5}
SKRNN_DEFAULTS = "skrnn defaults"
SKRNN_TUNED = "skrnn tuned"
TFIDF_LR = "TF-IDF (1-2 grams, sublinear) + LogisticRegression (C=10)"
COUNT_NB = "CountVectorizer + MultinomialNB"
NBSVM_BI = (
    "NBSVM-bi (NB-weighted binary 1-2 grams + LogisticRegression, C by 3-fold CV)"
)
FASTTEXT = "fastText (2-grams, 25 epochs, 1 thread)"
TOY_SEEDS = range(10)
SEEDS = 5
QUICK_MR_SIZE = 2000
QUICK_TRAIN_SIZE = 1000

WANG_2012 = (
    "Wang, S. and Manning, C. D. (2012). Baselines and bigrams: simple, good "
    "sentiment and topic classification. ACL 2012, pages 90-94, Table 3."
)
KIM_2014 = (
    "Kim, Y. (2014). Convolutional neural networks for sentence "
    "classification. EMNLP 2014, pages 1746-1751, Tables 2 and 3."
)
TAI_2015 = (
    "Tai, K. S., Socher, R. and Manning, C. D. (2015). Improved semantic "
    "representations from tree-structured long short-term memory networks. "
    "ACL-IJCNLP 2015, pages 1556-1566, Table 2."
)
IYYER_2015 = (
    "Iyyer, M., Manjunatha, V., Boyd-Graber, J. and Daumé III, H. (2015). Deep "
    "unordered composition rivals syntactic methods for text classification. "
    "ACL-IJCNLP 2015, pages 1681-1691."
)
#: Published test accuracies (%), as listed in ``data/README.md``: model name
#: -> (citation, {corpus: accuracy}).  Kim (2014) reports NBSVM and MNB from
#: Wang and Manning (2012) and RAE from Socher et al. (2011).
PUBLISHED = {
    "CNN-rand": (
        KIM_2014,
        {
            "mr": 76.1,
            "trec": 91.2,
            "sst2": 82.7,
            "sst5": 45.0,
            "cr": 79.8,
            "mpqa": 83.4,
            "subj": 89.6,
        },
    ),
    "CNN-non-static (word2vec)": (
        KIM_2014,
        {
            "mr": 81.5,
            "trec": 93.6,
            "sst2": 87.2,
            "sst5": 48.0,
            "cr": 84.3,
            "mpqa": 89.5,
            "subj": 93.4,
        },
    ),
    "NBSVM": (KIM_2014, {"mr": 79.4, "cr": 81.8, "mpqa": 86.3, "subj": 93.2}),
    "MNB": (KIM_2014, {"mr": 79.0, "cr": 80.0, "mpqa": 86.3, "subj": 93.6}),
    "RAE": (KIM_2014, {"mr": 77.7}),
    "LSTM (pre-trained vectors)": (TAI_2015, {"sst2": 84.9}),
    "Bi-LSTM (pre-trained vectors)": (TAI_2015, {"sst2": 87.5}),
    "DAN-RAND": (IYYER_2015, {"sst5": 45.4}),
    "NBSVM-bi": (WANG_2012, {"rt2k": 89.45}),
    "MNB-bi": (WANG_2012, {"rt2k": 85.85}),
}
CITATION_KEYS = {
    KIM_2014: "Kim 2014",
    TAI_2015: "Tai et al. 2015",
    IYYER_2015: "Iyyer et al. 2015",
    WANG_2012: "Wang and Manning 2012",
}


def make_model(name: str, tuned: dict | None, random_state: int | None = None):
    """A fresh, unfitted model by its name in the table."""
    if name == SKRNN_DEFAULTS:
        return RNNTextClassifier(
            random_state=0 if random_state is None else random_state
        )
    if name == SKRNN_TUNED:
        params = {"random_state": 0, **tuned}
        if random_state is not None:
            params["random_state"] = random_state
        return RNNTextClassifier(**params)
    if name == TFIDF_LR:
        return make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            LogisticRegression(C=10, max_iter=1000),
        )
    if name == COUNT_NB:
        return make_pipeline(CountVectorizer(), MultinomialNB())
    if name == NBSVM_BI:
        return make_nbsvm_bi()
    if name == FASTTEXT:
        return FastTextClassifier()
    raise ValueError(name)


def fit_and_score(name, tuned, X_train, y_train, X_test, y_test, seed=None):
    """Fit one model, return its test accuracy, fit time and epochs."""
    model = make_model(name, tuned, seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
    n_iter = getattr(model, "n_iter_", None)
    chosen = getattr(model, "best_params_", None)
    return {
        "chosen": None if chosen is None else ", ".join(map(str, chosen.values())),
        "accuracy": float(np.mean(model.predict(X_test) == np.asarray(y_test))),
        "fit_seconds": fit_seconds,
        "n_iter": None if n_iter is None else int(np.max(n_iter)),
        "converged": not any(
            issubclass(w.category, ConvergenceWarning) for w in caught
        ),
        "other_warnings": sorted(
            {
                f"{w.category.__name__}: {w.message}"
                for w in caught
                if not issubclass(w.category, ConvergenceWarning)
            }
        ),
    }


def progress(label: str, name: str, result: dict) -> dict:
    """Print one fit's result to stderr, return it."""
    line = (
        f"[{label}] {name}: accuracy {result['accuracy']:.4f}, "
        f"fit {result['fit_seconds']:.1f} s"
    )
    if result["n_iter"] is not None:
        line += f", {result['n_iter']} epochs"
    if result["chosen"] is not None:
        line += f", chosen C={result['chosen']}"
    if not result["converged"]:
        line += ", ConvergenceWarning"
    for message in result["other_warnings"]:
        line += f"\n    {message}"
    print(line, file=sys.stderr, flush=True)
    return result


def stratified_subset(X, y, size):
    """A stratified random subset of ``size`` examples (random_state=0)."""
    if size >= len(y):
        return X, y
    X_sub, _, y_sub, _ = train_test_split(
        X, y, train_size=size, stratify=y, random_state=0
    )
    return X_sub, y_sub


def load_kim_file(path: Path) -> tuple[list[str], np.ndarray]:
    """The sentences and labels of one of Kim's files: ``label sentence`` lines."""
    X, y = [], []
    # Subj holds Latin-1 bytes (the others are ASCII), among them 0x85, which
    # str.splitlines would take for a line break
    for line in path.read_text(encoding="latin-1").split("\n"):
        if not line.strip():
            continue
        label, _, text = line.strip().partition(" ")
        X.append(text)
        y.append(int(label))
    return X, np.asarray(y)


def cv_folds(corpus, folds, quick, data_dir=None):
    """A corpus's sentences and labels, and the (train, test) indices of each fold."""
    if corpus == "mr":
        X, y = load_movie_reviews(return_X_y=True)
    else:
        X, y = load_kim_file(Path(data_dir) / KIM_FILES[corpus])
    if quick:
        X, y = stratified_subset(X, y, QUICK_MR_SIZE)
    X = np.asarray(X, dtype=object)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    return X, y, list(cv.split(X, y))


def run_cv(corpus, models, tuned, folds, quick, jobs, data_dir=None):
    """10-fold (``folds``-fold) cross-validation on MR, CR, MPQA or Subj."""
    X, y, splits = cv_folds(corpus, folds, quick, data_dir)
    tasks = [
        (name, fold, train, test)
        for fold, (train, test) in enumerate(splits, start=1)
        for name in models
    ]
    results = joblib.Parallel(n_jobs=jobs, return_as="generator")(
        joblib.delayed(fit_and_score)(
            name, tuned, list(X[train]), y[train], list(X[test]), y[test]
        )
        for name, fold, train, test in tasks
    )
    by_model = {name: [] for name in models}
    for (name, fold, *_), result in zip(tasks, results, strict=True):
        by_model[name].append(progress(f"{corpus} fold {fold}/{folds}", name, result))
    return by_model, f"{len(y):,} documents, {folds} folds"


def train_test(corpus, quick):
    """The training and test sets of a corpus with a given split."""
    X_train, y_train = LOADERS[corpus](subset="train", return_X_y=True)
    X_test, y_test = LOADERS[corpus](subset="test", return_X_y=True)
    if quick:
        X_train, y_train = stratified_subset(X_train, y_train, QUICK_TRAIN_SIZE)
    return X_train, y_train, X_test, y_test


def run_split(corpus, models, tuned, quick):
    """Fit on the training set, score on the test set."""
    X_train, y_train, X_test, y_test = train_test(corpus, quick)
    by_model = {
        name: [
            progress(
                corpus,
                name,
                fit_and_score(name, tuned, X_train, y_train, X_test, y_test),
            )
        ]
        for name in models
    }
    return by_model, f"{len(y_train):,} train, {len(y_test):,} test"


def run_seed_spread(corpus, models, tuned, seeds, first, folds, quick, data_dir):
    """skrnn with ``random_state`` 1 .. seeds - 1 on a corpus's split.

    ``first`` holds each model's result with ``random_state=0`` on the same
    split (the cross-validated corpora: their first fold), taken from the
    main run.
    """
    if corpus in CV_CORPORA:
        X, y, splits = cv_folds(corpus, folds, quick, data_dir)
        train, test = splits[0]
        X_train, y_train, X_test, y_test = (
            list(X[train]),
            y[train],
            list(X[test]),
            y[test],
        )
    else:
        X_train, y_train, X_test, y_test = train_test(corpus, quick)
    return {
        name: [first[name]]
        + [
            progress(
                f"{corpus} random_state={seed}",
                name,
                fit_and_score(name, tuned, X_train, y_train, X_test, y_test, seed),
            )
            for seed in range(1, seeds)
        ]
        for name in models
    }


def run_toy(models, tuned, seeds):
    """Fit every skrnn setting on the toy set with each random state."""
    X_train, y_train = load_toy_sentiment(subset="train", return_X_y=True)
    X_test, y_test = load_toy_sentiment(subset="test", return_X_y=True)
    return {
        name: [
            progress(
                f"toy random_state={seed}",
                name,
                fit_and_score(name, tuned, X_train, y_train, X_test, y_test, seed),
            )
            for seed in seeds
        ]
        for name in models
    }


def fmt_accuracy(results) -> str:
    """Accuracy in %: one value, or mean ± std over folds."""
    accs = [100 * r["accuracy"] for r in results]
    if len(accs) == 1:
        return f"{accs[0]:.1f}"
    return f"{statistics.mean(accs):.1f} ± {statistics.stdev(accs):.1f}"


def fmt_seconds(seconds: float) -> str:
    """Seconds with two or three significant digits."""
    if seconds < 10:
        return f"{seconds:.2f}"
    if seconds < 100:
        return f"{seconds:.1f}"
    return f"{seconds:.0f}"


def fmt_epochs(results) -> str:
    """Epochs run: one value, or mean (min-max); * when not converged."""
    epochs = [r["n_iter"] for r in results]
    if epochs[0] is None:
        return "-"
    text = (
        str(epochs[0])
        if len(epochs) == 1
        else f"{statistics.mean(epochs):.1f} ({min(epochs)}-{max(epochs)})"
    )
    n_warned = sum(not r["converged"] for r in results)
    if n_warned:
        text += f", ConvergenceWarning in {n_warned}/{len(results)}"
    return text


def markdown_table(header, rows) -> str:
    """A markdown table."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def report(results, sizes, corpora, models, folds) -> str:
    """The accuracy table, the published numbers and the epochs table."""
    titles = {c: CORPUS_TITLES[c].format(folds=folds) for c in corpora}
    header = ["model"]
    for corpus in corpora:
        header += [f"{titles[corpus]} accuracy %", "fit s"]
    rows = []
    for name in models:
        row = [name]
        for corpus in corpora:
            res = results[corpus][name]
            mean_fit = statistics.mean(r["fit_seconds"] for r in res)
            row += [fmt_accuracy(res), fmt_seconds(mean_fit)]
        rows.append(row)
    for name, (citation, numbers) in PUBLISHED.items():
        if not any(corpus in numbers for corpus in corpora):
            continue
        row = [f"{name}, {CITATION_KEYS[citation]} (published)"]
        for corpus in corpora:
            row += [f"{numbers[corpus]:.1f}" if corpus in numbers else "", ""]
        rows.append(row)
    parts = [markdown_table(header, rows)]
    parts.append(
        "Data: "
        + "; ".join(f"{titles[c]}: {sizes[c]}" for c in corpora)
        + ". Fit s: mean wall-clock seconds per fit."
    )
    skrnn_models = [m for m in models if m.startswith("skrnn")]
    epoch_rows = [
        [name] + [fmt_epochs(results[c][name]) for c in corpora]
        for name in skrnn_models
    ]
    parts.append(
        "Epochs run by skrnn (n_iter_):\n\n"
        + markdown_table(["model"] + [titles[c] for c in corpora], epoch_rows)
    )
    cited = {
        PUBLISHED[n][0] for n in PUBLISHED if any(c in PUBLISHED[n][1] for c in corpora)
    }
    parts.append(
        "Published numbers (not reproduced here):\n\n"
        + "\n".join(f"- {CITATION_KEYS[c]}: {c}" for c in sorted(cited))
        + "\n- Kim (2014) reports NBSVM and MNB from Wang and Manning (2012) and "
        "RAE from Socher et al. (2011). Its SST-2 and SST-5 models, Tai et al.'s "
        "and Iyyer et al.'s were trained on the treebank's phrases as well as its "
        "sentences; CNN-non-static and Tai et al.'s LSTMs start from pre-trained "
        "word vectors."
    )
    return "\n\n".join(parts)


def report_seed_spread(spread, corpora, folds) -> str:
    """Test accuracy of skrnn over random states: mean ± std, range, fit time."""
    titles = {
        c: CORPUS_TITLES[c]
        .format(folds=folds)
        .replace(f"({folds}-fold CV)", "(fold 1 of the CV)")
        for c in corpora
    }
    models = list(next(iter(spread.values())))
    n_seeds = len(spread[corpora[0]][models[0]])
    header = ["model"]
    for corpus in corpora:
        header += [f"{titles[corpus]} accuracy %, mean ± std (min-max)", "fit s"]
    rows = []
    for name in models:
        row = [name]
        for corpus in corpora:
            res = spread[corpus][name]
            accs = [100 * r["accuracy"] for r in res]
            row += [
                f"{statistics.mean(accs):.1f} ± {statistics.stdev(accs):.1f} "
                f"({min(accs):.1f}-{max(accs):.1f})",
                fmt_seconds(statistics.mean(r["fit_seconds"] for r in res)),
            ]
        rows.append(row)
    return (
        f"Seed spread: random_state 0..{n_seeds - 1} on each corpus's split "
        "(standard deviation over the seeds):\n\n" + markdown_table(header, rows)
    )


def report_toy(toy, seeds) -> str:
    """How many random states reach 100% test accuracy on the toy set."""
    n = len(seeds)
    rows = []
    for name, res in toy.items():
        accs = [r["accuracy"] for r in res]
        n_perfect = sum(a == 1.0 for a in accs)
        rows.append(
            [
                name,
                f"{n_perfect}/{n} reach 1.000",
                f"{statistics.mean(accs):.3f}",
                " ".join(f"{a:.3f}" for a in accs),
                fmt_seconds(statistics.mean(r["fit_seconds"] for r in res)),
                fmt_epochs(res),
            ]
        )
    header = [
        "model",
        "test accuracy",
        "mean",
        f"per random state ({seeds[0]}..{seeds[-1]})",
        "fit s",
        "epochs",
    ]
    return (
        f"Toy sentiment set (50 train, 25 test), random_state {seeds[0]}..{seeds[-1]}:"
        "\n\n" + markdown_table(header, rows)
    )


def fmt_params(params: dict) -> str:
    """``key=value`` pairs, numpy types by name."""
    return ", ".join(
        f"{k}={v.__name__ if isinstance(v, type) else repr(v)}"
        for k, v in sorted(params.items())
    )


def header(args, tuned) -> str:
    """Command line, date, versions, machine, the skrnn settings."""
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    lines = [
        f"command: `{command}`",
        f"date: {now}",
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load_average()}",
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, joblib {joblib.__version__}, "
        f"skrnn {skrnn.__version__} ({git_state()}), "
        f"from {Path(skrnn.__file__).parent}",
        "skrnn defaults (read at run time): "
        + fmt_params(RNNTextClassifier(random_state=0).get_params()),
    ]
    if tuned is not None:
        lines.append(
            "skrnn tuned: the defaults with "
            + fmt_params({"random_state": 0, **tuned})
            + " (given with --tuned; chosen beforehand on training/dev data, "
            "nothing is selected here)"
        )
    lines.append(
        "NBSVM-bi: C from "
        + ", ".join(f"{c:g}" for c in NBSVM_C_GRID)
        + " by 3-fold CV on the training data of each fit"
    )
    if fasttext_available():
        try:
            lines.append(
                f"fastText: fasttext-numpy2-wheel {version('fasttext-numpy2-wheel')}"
            )
        except PackageNotFoundError:
            lines.append("fastText: the `fasttext` module")
    else:
        lines.append(
            "fastText: not installed, skipped (`pip install fasttext-numpy2-wheel`, "
            "or the `bench` extra)"
        )
    if args.quick:
        lines.append(
            f"**--quick**: MR, CR, MPQA and Subj cut to {QUICK_MR_SIZE:,} "
            "sentences and 2 folds, TREC, "
            f"SST-2 and SST-5 training sets cut to {QUICK_TRAIN_SIZE:,}, 2 seeds; "
            "checks the script, numbers not comparable"
        )
    lines.append(f"cross-validation folds run with joblib n_jobs={args.jobs}")
    return "\n".join(f"- {line}" for line in lines)


def parse_corpora(parser, text: str, choices, data_dir) -> list[str]:
    """``--corpora``'s names among ``choices``, in their order, checked.

    Kim's corpora need their file in ``data_dir``: ``parser`` exits with a
    message saying so otherwise.
    """
    corpora = [c.strip() for c in text.split(",") if c.strip()]
    if not corpora or set(corpora) - set(choices):
        parser.error(f"--corpora: choose among {','.join(choices)}")
    for corpus in set(corpora) & set(KIM_FILES):
        if data_dir is None or not (Path(data_dir) / KIM_FILES[corpus]).is_file():
            parser.error(
                f"--corpora {corpus} reads {KIM_FILES[corpus]} from --data-dir "
                "(see accuracy.py's docstring for where to find it)"
            )
    return [c for c in choices if c in corpora]


def parse_tuned(text: str | None) -> dict | None:
    """The ``--tuned`` JSON, checked by ``set_params``."""
    if text is None:
        return None
    tuned = json.loads(text)
    if not isinstance(tuned, dict):
        raise SystemExit("--tuned must be a JSON object of parameters")
    if isinstance(tuned.get("dtype"), str):
        tuned["dtype"] = np.dtype(tuned["dtype"]).type
    # JSON has no tuples: a list is one (``"char_ngram_range": [2, 5]``).
    tuned = {k: tuple(v) if isinstance(v, list) else v for k, v in tuned.items()}
    RNNTextClassifier().set_params(**tuned)  # unknown names fail here
    return tuned


def main(argv=None) -> None:
    """Parse the options, run every corpus, print the tables."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--corpora",
        default=",".join(CORPORA),
        help=f"comma-separated subset of {','.join(ALL_CORPORA)} (default: "
        f"{','.join(CORPORA)}; {','.join(KIM_FILES)} need --data-dir)",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        type=Path,
        help="folder of Kim's custrev.all, mpqa.all and subj.all, and of "
        "make_rt2k.py's rt2k.all (for --corpora cr,mpqa,subj,rt2k)",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=10,
        help="cross-validation folds of MR, CR, MPQA, Subj and RT-2k (10)",
    )
    parser.add_argument(
        "--tuned",
        default=None,
        metavar="JSON",
        help='RNNTextClassifier parameters, e.g. \'{"cell": "lstm"}\', chosen '
        "on training/dev data only",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small subsets: checks that it runs"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="parallel cross-validation fits with joblib (1)",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=SEEDS,
        help=f"random states of skrnn's seed spread ({SEEDS}; 1 skips it)",
    )
    parser.add_argument("--no-toy", action="store_true", help="skip the toy set")
    args = parser.parse_args(argv)
    corpora = parse_corpora(parser, args.corpora, ALL_CORPORA, args.data_dir)
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    folds = 2 if args.quick else args.folds
    n_seeds = min(args.seeds, 2) if args.quick else args.seeds
    tuned = parse_tuned(args.tuned)

    start = time.perf_counter()
    print(header(args, tuned), end="\n\n", flush=True)
    models = [SKRNN_DEFAULTS]
    if tuned is not None:
        models.append(SKRNN_TUNED)
    skrnn_models = list(models)
    models += [TFIDF_LR, COUNT_NB, NBSVM_BI]
    if fasttext_available():
        models.append(FASTTEXT)

    results, sizes = {}, {}
    for corpus in corpora:
        if corpus in CV_CORPORA:
            results[corpus], sizes[corpus] = run_cv(
                corpus, models, tuned, folds, args.quick, args.jobs, args.data_dir
            )
        else:
            results[corpus], sizes[corpus] = run_split(
                corpus, models, tuned, args.quick
            )
    print(report(results, sizes, corpora, models, folds), end="\n\n", flush=True)
    if n_seeds > 1:
        spread = {
            corpus: run_seed_spread(
                corpus,
                skrnn_models,
                tuned,
                n_seeds,
                {name: results[corpus][name][0] for name in skrnn_models},
                folds,
                args.quick,
                args.data_dir,
            )
            for corpus in corpora
        }
        print(report_seed_spread(spread, corpora, folds), end="\n\n", flush=True)
    if not args.no_toy:
        seeds = list(TOY_SEEDS)[:2] if args.quick else list(TOY_SEEDS)
        toy = run_toy(skrnn_models, tuned, seeds)
        print(report_toy(toy, seeds), end="\n\n")
    total = time.perf_counter() - start
    print(
        f"Total run time: {total:.0f} s ({total / 60:.1f} min); "
        f"load average at the end {load_average()}"
    )


if __name__ == "__main__":
    main()
