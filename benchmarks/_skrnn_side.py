"""skrnn's side of the speed benchmarks: the configurations and the estimator itself.

Everything here goes through the public estimator, so that every option
applies as in ``fit``: a configuration is a dict of ``RNNTextClassifier``
parameters, training is ``fit`` (one epoch per warm-started call, timed by a
scikit-learn callback around the epoch), prediction is ``predict_proba`` on
raw text.  ``speed.py`` and ``scaling.py`` use it; ``_torch_twin.py`` builds
the PyTorch network of the same parameters.
"""

import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skrnn import (
    SEED_PARAMS,
    RNNTextClassifier,
    SequenceVectorizer,
    _prediction_workers,
)
from skrnn.datasets import load_movie_reviews, load_toy_sentiment

QUICK_TRAIN_SIZE = 2400

#: What every timed fit sets, whatever the configuration: all the training
#: documents are trained on (no held-out part), and nothing stops early.
TIMED_FIT = {"early_stopping": False, "tol": 0.0, "verbose": 0}


# ------------------------------------------------------------ configurations


@dataclass(frozen=True)
class BenchConfig:
    """One network and its training settings, as estimator parameters."""

    name: str
    params: dict

    def describe(self) -> str:
        """Short description: cell, widths, batch, and whatever else differs."""
        p = self.params
        parts = [
            p["cell"],
            f"emb {p['embedding_dim']}",
            f"hidden {p['hidden_size']}",
            f"batch {p['batch_size']}",
        ]
        if p["num_layers"] != 1:
            parts.append(f"{p['num_layers']} layers")
        if p["bidirectional"]:
            parts.append("bidirectional")
        if p["pooling"] != "last":
            parts.append(f"{p['pooling']} pooling")
        if p["dropout"]:
            parts.append(f"dropout {p['dropout']}")
        if p["input_dropout"]:
            parts.append(f"input dropout {p['input_dropout']}")
        if np.dtype(p["dtype"]) != np.float32:
            parts.append(np.dtype(p["dtype"]).name)
        if p["solver"] != "adam" or p["learning_rate_init"] != 1e-3:
            parts.append(f"{p['solver']} {p['learning_rate_init']}")
        return ", ".join(parts)


def estimator_defaults() -> dict:
    """``RNNTextClassifier()``'s parameters, read now: the defaults may change."""
    return RNNTextClassifier().get_params()


def bench_configs() -> dict[str, BenchConfig]:
    """Configurations a-e over the estimator's current defaults."""
    defaults = estimator_defaults()
    plain = {
        **defaults,
        "num_layers": 1,
        "bidirectional": False,
        "pooling": "last",
        "dropout": 0.0,
        "input_dropout": 0.0,
        "solver": "adam",
        "learning_rate_init": 1e-3,
        "dtype": np.float32,
    }

    def network(cell, embedding_dim, hidden_size, batch_size):
        return {
            **plain,
            "cell": cell,
            "embedding_dim": embedding_dim,
            "hidden_size": hidden_size,
            "batch_size": batch_size,
        }

    return {
        "a": BenchConfig("a", network("rnn", 64, 128, 64)),
        "b": BenchConfig("b", network("lstm", 64, 128, 64)),
        "c": BenchConfig("c", network("gru", 64, 128, 64)),
        "d": BenchConfig("d", network("lstm", 128, 256, 128)),
        "e": BenchConfig("e", defaults),
    }


def mr_split(quick: bool = False):
    """MR's fixed split: 9,595 training sentences and 1,067 held out.

    ``quick`` keeps the first 2,400 training sentences.
    """
    X, y = load_movie_reviews(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.1, random_state=0, stratify=y
    )
    if quick:
        X_train, y_train = X_train[:QUICK_TRAIN_SIZE], y_train[:QUICK_TRAIN_SIZE]
    return X_train, X_test, y_train, y_test


# ------------------------------------------------------------------- timing


class EpochTimer:
    """A scikit-learn callback (scikit-learn >= 1.9) that times every epoch.

    The estimator opens an ``"epoch"`` task around each epoch of ``fit``;
    the seconds between its beginning and its end are appended to
    ``seconds``: the epoch's steps and its bookkeeping, none of the
    tokenizing and checking that ``fit`` does before the first epoch.
    """

    def __init__(self):
        self.seconds = []
        self._start = None

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        if context.task_name == "epoch":
            self._start = time.perf_counter()

    def on_fit_task_end(self, estimator, context):
        if context.task_name == "epoch":
            self.seconds.append(time.perf_counter() - self._start)
        return False


def timed_fit(clf: RNNTextClassifier, X, y) -> tuple[float, list[float]]:
    """Fit ``clf``; return the seconds of the call and of each of its epochs.

    Without scikit-learn's callbacks (before 1.9) each epoch's time is
    unknown: the list then holds the whole call's seconds shared evenly
    between its epochs (tokenizing and checks included).
    """
    timer = EpochTimer()
    continued = clf.warm_start and hasattr(clf, "n_iter_")
    before = clf.n_iter_ if continued else 0
    callbacks = hasattr(clf, "set_callbacks")
    if callbacks:
        clf.set_callbacks(timer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        clf.fit(X, y)
        seconds = time.perf_counter() - start
    if callbacks:
        clf.set_callbacks()
    n_epochs = clf.n_iter_ - before
    epochs = timer.seconds or [seconds / n_epochs] * n_epochs
    return seconds, epochs


class SkrnnRunner:
    """``RNNTextClassifier`` trained two epochs per ``fit`` call (warm start).

    The timed epochs are the network's alone (``ngram_range=None``): a
    warm-started call refits the n-gram companion on its data, which a fit
    of many epochs does once (with ``n_jobs`` of 2 or more, on a thread
    beside its first epoch), where one epoch a call would refit it beside
    every timed epoch.  Two epochs a call, because a fit of one epoch of
    MR's 200,000 tokens is too short to start worker processes for
    (``skrnn._shards.SHARD_WORKERS_MIN_TOKENS``): :meth:`epoch` returns the
    epochs of a call in turn.  Prediction is the estimator's whole,
    companion included, by a twin fitted once with ``params`` as they are:
    the networks of the two are the same, bit for bit.

    Parameters
    ----------
    params : dict
        Estimator parameters (``RNNTextClassifier().get_params()`` and changes).
        ``warm_start``, ``max_iter``, ``n_jobs``, ``random_state`` and
        :data:`TIMED_FIT` are set on top.
    X, y : list of str, array of labels
        The raw training documents and their labels, given to every ``fit``.
    n_jobs : int
        The estimator's ``n_jobs``.
    random_state : int
        The estimator's ``random_state``.
    """

    #: Epochs of each timed ``fit`` call.
    EPOCHS_PER_FIT = 2

    def __init__(self, params, X, y, *, n_jobs=1, random_state=0):
        settings = {
            **TIMED_FIT,
            "warm_start": True,
            "max_iter": self.EPOCHS_PER_FIT,
            "n_jobs": n_jobs,
            "random_state": random_state,
        }
        self.clf = RNNTextClassifier(**{**params, "ngram_range": None})
        self.clf.set_params(**settings)
        self.predictor = RNNTextClassifier(**params).set_params(
            **{**settings, "max_iter": 1}
        )
        self.X, self.y = X, y
        self.call_seconds = []
        self.first_fit = None
        self._epochs = []

    def warm_up(self) -> None:
        """The first ``fit``: vocabulary, weights and untimed epochs.

        The seconds of the estimator's whole first call (the predicting twin,
        companion included, one epoch) and of its epoch are kept in
        ``first_fit``.
        """
        seconds, (epoch,) = timed_fit(self.predictor, self.X, self.y)
        self.first_fit = (seconds, epoch)
        timed_fit(self.clf, self.X, self.y)

    def epoch(self) -> float:
        """One more epoch through ``fit``; return the epoch's seconds."""
        if not self._epochs:
            seconds, self._epochs = timed_fit(self.clf, self.X, self.y)
            self.call_seconds.append(seconds - sum(self._epochs))
        return self._epochs.pop(0)

    def predict_proba(self, X) -> np.ndarray:
        """The estimator's ``predict_proba`` of raw documents, companion included."""
        return self.predictor.predict_proba(X)


def vectorizer_of(params: dict) -> SequenceVectorizer:
    """The vectorizer of these estimator parameters (its text parameters).

    ``dtype`` is left out: the weights' type in one, the ids' in the other.
    """
    names = set(SequenceVectorizer().get_params()) - {"dtype"}
    return SequenceVectorizer(**{k: params[k] for k in names if k in params})


def token_ids(clf: RNNTextClassifier, X) -> list[np.ndarray]:
    """The token ids of ``X`` by the fitted estimator's own vectorizer."""
    return clf.vectorizer_.transform(X)


# ------------------------------------------------------------ seed and toy


def bench_seed(repeats, epochs):
    """The seed's per-sample algorithm against skrnn with ``SEED_PARAMS``."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from seed_rnn import train_seed

    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    X_test, y_test = load_toy_sentiment(subset="test", return_X_y=True)
    rows = {"seed": [], "skrnn": []}
    for r in range(repeats):
        result = train_seed(epochs=epochs, seed=r)
        rows["seed"].append(
            (result["seconds"], result["n_tokens"], result["test_accuracy"])
        )
        clf = RNNTextClassifier(**{**SEED_PARAMS, "max_iter": epochs}, random_state=r)
        seconds, _ = timed_fit(clf, X, y)
        n_tokens = epochs * sum(len(s) for s in token_ids(clf, X))
        rows["skrnn"].append((seconds, n_tokens, clf.score(X_test, y_test)))
    return rows


#: Schedule lengths of the toy set's fits: the cosine default has no epoch at
#: which a longer fit could be cut to give a shorter one, so each is a fit.
TOY_MAX_ITER = (8, 16, 32, 64, 128, "auto")


def bench_toy():
    """Epochs run, fit seconds and toy test accuracy of the defaults.

    One row per ``max_iter`` of :data:`TOY_MAX_ITER` ("auto" is the
    default's), each a fit of ``RNNTextClassifier(random_state=0)``.
    """
    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    X_test, y_test = load_toy_sentiment(subset="test", return_X_y=True)
    rows = []
    for max_iter in TOY_MAX_ITER:
        clf = RNNTextClassifier(random_state=0, max_iter=max_iter)
        seconds, _ = timed_fit(clf, X, y)
        rows.append((max_iter, clf.n_iter_, seconds, clf.score(X_test, y_test)))
    return rows


def worker_ready(clf, X, seconds: float = 60.0) -> None:
    """Call ``predict_proba`` until the worker process holds the model.

    With ``n_jobs=2``, ``predict_proba`` runs on threads until the worker
    process that keeps the model has started and been sent it (in the
    background, after the first call of enough documents,
    ``skrnn/_prediction_workers.py``): timings of calls after this one are
    those of the steady state.
    """
    key = clf._predictor(clf._model()).key
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        clf.set_params(n_jobs=2).predict_proba(X)
        worker = _prediction_workers._WORKER[0] if _prediction_workers._WORKER else None
        if worker is not None and worker.ready and worker.held == key:
            return
        time.sleep(0.05)
    raise RuntimeError("the worker did not get the model in time")
