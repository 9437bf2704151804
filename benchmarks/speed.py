"""Training and prediction speed of skrnn and PyTorch on the CPU, side by side.

Usage::

    python benchmarks/speed.py                  # every configuration, ~7-10 min
    python benchmarks/speed.py --quick          # 2,400 training sentences, ~1-2 min
    python benchmarks/speed.py --configs a,e,seed --repeats 5

Configurations (``--configs``, comma-separated; all by default):

====  ================================================================
a     rnn,  embedding 64,  hidden 128, batch 64
b     lstm, embedding 64,  hidden 128, batch 64
c     gru,  embedding 64,  hidden 128, batch 64
d     lstm, embedding 128, hidden 256, batch 128
e     ``RNNTextClassifier()``'s defaults, read from ``get_params()`` at run time
seed  the seed post's per-sample algorithm (``benchmarks/seed_rnn.py``)
      against ``RNNTextClassifier(**SEED_PARAMS)`` on the toy set
toy   fit time of ``RNNTextClassifier(random_state=0)`` to 100% test
      accuracy on the toy set
====  ================================================================

Configurations a-d are unidirectional, one layer, last-state pooling, no
dropout of any kind; every other training parameter (Adam, learning rate 1e-3,
betas, epsilon, ``clip_value``, ``clip_norm``, ``alpha``, float32) is the
estimator's default, and the PyTorch twin is given the same (it clips gradients with
``clip_grad_value_`` when ``clip_value`` is set, as skrnn does by default).

Data. MR (``load_movie_reviews``) split once with ``train_test_split(X, y,
test_size=0.1, random_state=0, stratify=y)``: 9,595 training sentences, 1,067
held out (``--quick`` keeps the first 2,400 of the training part).  One
``SequenceVectorizer`` with the estimator's text parameters is fitted on the
training sentences and turns both parts into token ids *once*; both libraries
read these same ids, so tokenizing is timed by neither.

skrnn's training is timed through the internals that ``RNNTextClassifier._fit``
runs after tokenizing, built the way ``_fit`` builds them: ``NetworkConfig``,
``init_params`` (padding and unknown rows at zero), an optimizer from
``build_optimizer``, ``TrainingSettings``, a ``Dataset`` with unit sample weights,
and ``run_epoch`` under ``single_threaded_blas()``, with ``n_jobs`` equal to
torch's thread count (2: the shards of batches over 64 documents, and the
prediction batches, run on 2 threads) and again with ``n_jobs=1``.  (For
configuration e a
whole ``fit(max_iter=1)`` on the raw sentences is also timed, to show what the
estimator adds around the epoch: tokenizing, validation, copies.)  The timed
epoch trains on all 9,595 sentences: early stopping's held-out split and its
scoring after every epoch are not part of it.

PyTorch's twin is what a competent user writes: ``nn.Embedding(padding_idx=0)``
+ ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (time-major, as skrnn's batches) +
``nn.Linear``, ``torch.optim.Adam``, ``F.cross_entropy``, float32,
``torch.set_num_threads(2)``.  It trains on the very batches skrnn trains on
(skrnn's ``minibatches``: shuffle, sort by length within runs of
``batch_size``, visit the runs in random order; and ``pad_batch``: plain numpy),
in two variants: *padded* (run over the padding, then gather the state at each
sequence's last real token; mean and max pooling over the real positions with a
mask) and *packed* (``pack_padded_sequence``; ``h_n`` for last-state pooling).
The table reports the faster variant per configuration; the detail table has
both.  A bidirectional network is only run packed: padded, its backward
direction would read the padding first.

Training throughput is real (non-padding) tokens per second over whole epochs:
forward, backward, clipping and the optimizer update, batching included.  The
libraries alternate within one run (skrnn epoch, torch padded epoch, torch
packed epoch, skrnn epoch, ...), after an untimed warm-up of a few batches
each; each figure is the median over ``--repeats`` epochs.  Prediction
throughput is tokens per second of the class probabilities of the held-out
sentences (repeated until at least half a second has passed), measured after
every training epoch: skrnn's ``predict_logits`` + softmax (what
``predict_proba`` runs after tokenizing) under ``single_threaded_blas()``, and
torch in ``eval()`` mode under ``no_grad()`` in length-sorted batches of 256,
padded and packed.  Ratios are skrnn / torch: above 1, skrnn is faster.

Without torch installed, skrnn's figures are reported alone.  The run times
above are for a quiet 2-core machine.  On a shared one, compare the ratios and
read the load averages printed with them: when other processes take a core,
torch's OpenMP threads spin-wait for each other and a 2-thread torch can slow
down tenfold (runners whose fastest epoch is more than twice their slowest are
flagged **unstable**); ``--torch-threads 1,2`` or ``OMP_WAIT_POLICY=PASSIVE``
shows how much of a gap is contention.
"""

import argparse
import datetime
import os
import platform
import shlex
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _env import git_state, load_average
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

import skrnn
from skrnn import RNNTextClassifier, SequenceVectorizer
from skrnn._batching import length_sorted, minibatches, pad_batch
from skrnn._classifier import _TEXT_PARAMS
from skrnn._demo import SEED_PARAMS
from skrnn._optimizers import build_optimizer
from skrnn._prediction import predict_logits
from skrnn._text import PAD_ID, UNK_ID
from skrnn._threads import single_threaded_blas
from skrnn._training import Dataset, TrainingSettings, run_epoch
from skrnn.datasets import load_movie_reviews, load_toy_sentiment
from skrnn.nn import NetworkConfig, init_params
from skrnn.nn._functional import softmax

TORCH_THREADS = 2
PREDICT_BATCH = 256
QUICK_TRAIN_SIZE = 2400
WARMUP_BATCHES = 5
ALL_CONFIGS = ("a", "b", "c", "d", "e", "seed", "toy")


# ----------------------------------------------------------------- the setup


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


def make_vectorizer(params: dict) -> SequenceVectorizer:
    """The vectorizer ``fit`` would build from these estimator parameters."""
    return SequenceVectorizer(**{name: params[name] for name in _TEXT_PARAMS})


@dataclass
class Corpus:
    """Token ids of the training and held-out sentences, and their labels."""

    train: list
    y_train: np.ndarray
    test: list
    y_test: np.ndarray
    n_vocab: int
    n_classes: int
    raw_train: list
    raw_y_train: np.ndarray

    @property
    def train_tokens(self) -> int:
        return sum(len(s) for s in self.train)

    @property
    def test_tokens(self) -> int:
        return sum(len(s) for s in self.test)


def mr_split(quick: bool = False):
    """MR's fixed split: 9,595 training sentences and 1,067 held out."""
    X, y = load_movie_reviews(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.1, random_state=0, stratify=y
    )
    if quick:
        X_train, y_train = X_train[:QUICK_TRAIN_SIZE], y_train[:QUICK_TRAIN_SIZE]
    return X_train, X_test, y_train, y_test


def tokenize_mr(params: dict, quick: bool = False) -> Corpus:
    """Tokenize MR once, for both libraries."""
    X_train, X_test, y_train, y_test = mr_split(quick)
    vectorizer = make_vectorizer(params)
    train = vectorizer.fit_transform(X_train)
    test = vectorizer.transform(X_test)
    classes = np.unique(y_train)
    # pack_padded_sequence refuses empty sequences; MR has none, but be safe.
    keep = [i for i, s in enumerate(train) if len(s)]
    keep_test = [i for i, s in enumerate(test) if len(s)]
    corpus = Corpus(
        train=[train[i] for i in keep],
        y_train=np.searchsorted(classes, y_train)[keep],
        test=[test[i] for i in keep_test],
        y_test=np.searchsorted(classes, y_test)[keep_test],
        n_vocab=vectorizer.n_vocab_,
        n_classes=len(classes),
        raw_train=list(X_train),
        raw_y_train=np.asarray(y_train),
    )
    return corpus


# ---------------------------------------------------------------------- skrnn


class SkrnnTrainer:
    """skrnn's training internals, built as ``RNNTextClassifier._fit`` builds them.

    Parameters
    ----------
    params : dict
        Estimator parameters (``RNNTextClassifier().get_params()`` and changes).
    sequences : list of 1-D int arrays
        Token ids of the training documents.
    y : ndarray of int
        Class indices.
    n_vocab, n_classes : int
        Vocabulary size (reserved ids included) and number of classes.
    random_state : int
        Seed of the weights and of the shuffling.
    n_jobs : int
        The estimator's ``n_jobs``: threads for the shards of a minibatch and
        for prediction batches.
    """

    def __init__(
        self, params, sequences, y, n_vocab, n_classes, random_state=0, n_jobs=1
    ):
        self.params = params
        dtype = np.dtype(params["dtype"])
        self.rng = np.random.default_rng(
            check_random_state(random_state).randint(np.iinfo(np.int32).max)
        )
        self.config = NetworkConfig(
            n_vocab=n_vocab,
            n_classes=n_classes,
            cell=params["cell"],
            hidden_size=params["hidden_size"],
            embedding_dim=params["embedding_dim"],
            num_layers=params["num_layers"],
            bidirectional=params["bidirectional"],
            pooling=params["pooling"],
            dropout=params["dropout"],
        )
        self.weights = init_params(
            self.config, self.rng, dtype, zero_ids=(PAD_ID, UNK_ID)
        )
        self.optimizer = build_optimizer(self.weights, params)
        self.settings = TrainingSettings(
            batch_size=params["batch_size"],
            shuffle=params["shuffle"],
            alpha=params["alpha"],
            clip_value=params["clip_value"],
            clip_norm=params["clip_norm"],
            frozen=frozenset({"embed.E"} if params["freeze_embeddings"] else ()),
            n_jobs=n_jobs,
        )
        self.data = self.dataset(sequences, y)
        self.t = 0

    def dataset(self, sequences, y) -> Dataset:
        """A training set with unit sample weights, as ``fit`` without weights."""
        weight = np.ones(len(y), dtype=np.dtype(self.params["dtype"]))
        return Dataset(list(sequences), np.asarray(y), weight)

    def epoch(self, data: Dataset | None = None) -> float:
        """Run one epoch as ``fit_epochs`` does; return its seconds."""
        data = self.data if data is None else data
        start = time.perf_counter()
        with single_threaded_blas():
            run_epoch(
                self.weights, self.optimizer, data, self.config, self.settings, self.rng
            )
        self.t += len(data.y)
        self.optimizer.iteration_ends(self.t)
        return time.perf_counter() - start

    def warm_up(self, n_batches: int = WARMUP_BATCHES) -> None:
        """A few untimed steps, so that the timed epochs run warm."""
        n = min(len(self.data.y), n_batches * self.settings.batch_size)
        subset = Dataset(
            self.data.sequences[:n], self.data.y[:n], self.data.sample_weight[:n]
        )
        self.epoch(subset)

    def predict_proba(self, sequences) -> np.ndarray:
        """What ``predict_proba`` runs after tokenizing."""
        with single_threaded_blas():
            return softmax(
                predict_logits(
                    self.weights, sequences, self.config, self.settings.n_jobs
                )
            )


# ---------------------------------------------------------------------- torch


def import_torch():
    """Torch, with its thread count set, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(TORCH_THREADS)
    return torch


def torch_supports(params: dict) -> str | None:
    """Why the torch twin cannot run this configuration, or None."""
    if params["embedding_dim"] is None:
        return "n/a: one-hot input (embedding_dim=None) has no nn.RNN twin"
    if params["solver"] != "adam" or params["alpha"]:
        return "n/a: the torch twin trains with Adam and no penalty"
    return None


def make_torch_twin(torch, params, n_vocab, n_classes):
    """The torch model of a configuration: embedding, recurrent layers, head."""
    nn = torch.nn
    pack = nn.utils.rnn.pack_padded_sequence
    unpack = nn.utils.rnn.pad_packed_sequence
    rnn_class = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[params["cell"]]
    pooling = params["pooling"]
    bidirectional = params["bidirectional"]

    class TorchTwin(nn.Module):
        def __init__(self):
            super().__init__()
            width = params["hidden_size"] * (2 if bidirectional else 1)
            self.embed = nn.Embedding(
                n_vocab, params["embedding_dim"], padding_idx=PAD_ID
            )
            self.rnn = rnn_class(
                params["embedding_dim"],
                params["hidden_size"],
                num_layers=params["num_layers"],
                bidirectional=bidirectional,
                dropout=params["dropout"] if params["num_layers"] > 1 else 0.0,
            )
            self.dropout = nn.Dropout(params["dropout"])
            self.input_dropout = nn.Dropout(params["input_dropout"])
            self.head = nn.Linear(width, n_classes)

        def forward(self, ids, lengths, packed):
            # ids: (n_steps, n_samples) int64; lengths: (n_samples,) int64 on
            # the CPU, in decreasing order.
            x = self.input_dropout(self.embed(ids))
            n_samples = ids.shape[1]
            if packed:
                out, h_n = self.rnn(pack(x, lengths, enforce_sorted=True))
                if pooling == "last":
                    h_n = h_n[0] if isinstance(h_n, tuple) else h_n
                    last = [h_n[-2], h_n[-1]] if bidirectional else [h_n[-1]]
                    return self.head(self.dropout(torch.cat(last, dim=1)))
                out = unpack(out)[0]
            else:
                out = self.rnn(x)[0]
                if pooling == "last":
                    pooled = out[lengths - 1, torch.arange(n_samples)]
                    return self.head(self.dropout(pooled))
            real = torch.arange(out.shape[0])[:, None] < lengths[None, :]
            if pooling == "mean":
                pooled = (out * real[:, :, None]).sum(0)
                pooled = pooled / lengths[:, None].to(out.dtype)
            else:
                pooled = out.masked_fill(~real[:, :, None], float("-inf")).amax(0)
            return self.head(self.dropout(pooled))

    model = TorchTwin()
    if np.dtype(params["dtype"]) == np.float64:
        model = model.double()
    return model


class TorchTrainer:
    """The torch twin of a configuration, trained on skrnn's own batches."""

    def __init__(
        self,
        torch,
        params,
        sequences,
        y,
        n_vocab,
        n_classes,
        *,
        packed,
        threads,
        seed=0,
    ):
        torch.manual_seed(seed)
        self.torch = torch
        self.params = params
        self.packed = packed
        self.threads = threads
        self.model = make_torch_twin(torch, params, n_vocab, n_classes)
        self.optimizer = torch.optim.Adam(
            self.model.parameters(),
            lr=params["learning_rate_init"],
            betas=(params["beta_1"], params["beta_2"]),
            eps=params["epsilon"],
            weight_decay=0.0,
        )
        self.sequences = list(sequences)
        self.y = torch.from_numpy(np.asarray(y, dtype=np.int64))
        self.lengths = np.fromiter((len(s) for s in self.sequences), np.intp)
        self.rng = np.random.default_rng(seed)

    def _step(self, idx):
        torch = self.torch
        ids, lengths = pad_batch([self.sequences[i] for i in idx])
        logits = self.model(
            torch.from_numpy(ids).long(), torch.from_numpy(lengths).long(), self.packed
        )
        loss = torch.nn.functional.cross_entropy(logits, self.y[idx])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.params["clip_value"] is not None:
            torch.nn.utils.clip_grad_value_(
                self.model.parameters(), self.params["clip_value"]
            )
        if self.params["clip_norm"] is not None:
            torch.nn.utils.clip_grad_norm_(
                self.model.parameters(), self.params["clip_norm"]
            )
        self.optimizer.step()

    def epoch(self) -> float:
        """One epoch over skrnn's length-bucketed batches; return its seconds."""
        self.torch.set_num_threads(self.threads)
        start = time.perf_counter()
        self.model.train()
        for idx in minibatches(
            self.lengths, self.params["batch_size"], shuffle=True, rng=self.rng
        ):
            self._step(idx)
        return time.perf_counter() - start

    def warm_up(self, n_batches: int = WARMUP_BATCHES) -> None:
        """A few untimed steps, so that the timed epochs run warm."""
        self.torch.set_num_threads(self.threads)
        self.model.train()
        for k, idx in enumerate(
            minibatches(
                self.lengths, self.params["batch_size"], shuffle=True, rng=self.rng
            )
        ):
            if k == n_batches:
                break
            self._step(idx)

    def predict_proba(self, sequences) -> np.ndarray:
        """Class probabilities in length-sorted batches of 256, in input order."""
        torch = self.torch
        torch.set_num_threads(self.threads)
        lengths = np.fromiter((len(s) for s in sequences), np.intp, len(sequences))
        order = length_sorted(lengths, np.arange(len(sequences)))
        proba = torch.empty((len(sequences), self.model.head.out_features))
        self.model.eval()
        with torch.no_grad():
            for start in range(0, len(order), PREDICT_BATCH):
                idx = order[start : start + PREDICT_BATCH]
                ids, batch_lengths = pad_batch([sequences[i] for i in idx])
                logits = self.model(
                    torch.from_numpy(ids).long(),
                    torch.from_numpy(batch_lengths).long(),
                    self.packed,
                )
                proba[torch.from_numpy(idx)] = torch.softmax(logits, dim=1).float()
        return proba.numpy()


# ------------------------------------------------------------------ measuring


def tokens_per_second(predict, sequences, n_tokens, min_seconds) -> float:
    """Tokens per second of ``predict(sequences)``, repeated for ``min_seconds``."""
    n_calls = 0
    start = time.perf_counter()
    while True:
        predict(sequences)
        n_calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return n_calls * n_tokens / elapsed


def bench_network(cfg, corpus, torch, repeats, min_predict_seconds, torch_threads):
    """Alternate training epochs and predictions of skrnn and its torch twins."""
    p = cfg.params
    args = (corpus.train, corpus.y_train, corpus.n_vocab, corpus.n_classes)
    # skrnn gets as many threads as the most torch gets (n_jobs), and also runs
    # on one thread when that is more than one.
    n_jobs = max(torch_threads)
    runners = {"skrnn": SkrnnTrainer(p, *args, random_state=0, n_jobs=n_jobs)}
    if n_jobs > 1:
        runners["skrnn, 1 thread"] = SkrnnTrainer(p, *args, random_state=0)
    skipped = torch_supports(p) if torch is not None else "n/a: torch not installed"
    if skipped is None:
        variants = (True,) if p["bidirectional"] else (False, True)
        for threads in torch_threads:
            for packed in variants:
                name = "torch " + ("packed" if packed else "padded")
                if len(torch_threads) > 1:
                    name += f", {threads} thread{'s' if threads > 1 else ''}"
                runners[name] = TorchTrainer(
                    torch, p, *args, packed=packed, threads=threads, seed=0
                )
    for runner in runners.values():
        runner.warm_up()
    train = {name: [] for name in runners}
    predict = {name: [] for name in runners}
    loads = [load_average()]
    for _ in range(repeats):
        for name, runner in runners.items():
            train[name].append(corpus.train_tokens / runner.epoch())
            predict[name].append(
                tokens_per_second(
                    runner.predict_proba,
                    corpus.test,
                    corpus.test_tokens,
                    min_predict_seconds,
                )
            )
        loads.append(load_average())
    return {"train": train, "predict": predict, "skipped": skipped, "loads": loads}


def fit_overhead(params, corpus, repeats):
    """Medians of a whole ``fit(max_iter=1)``, of tokenizing, of one epoch."""
    times = {"fit": [], "tokenize": [], "epoch": []}
    for r in range(repeats):
        clf = RNNTextClassifier(**{**params, "max_iter": 1, "random_state": r})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            clf.fit(corpus.raw_train, corpus.raw_y_train)
            times["fit"].append(time.perf_counter() - start)
        start = time.perf_counter()
        make_vectorizer(params).fit_transform(corpus.raw_train)
        times["tokenize"].append(time.perf_counter() - start)
        trainer = SkrnnTrainer(
            params, corpus.train, corpus.y_train, corpus.n_vocab, corpus.n_classes, r
        )
        times["epoch"].append(trainer.epoch())
    return {name: statistics.median(values) for name, values in times.items()}


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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            clf.fit(X, y)
            seconds = time.perf_counter() - start
        n_tokens = epochs * sum(len(s) for s in clf.vectorizer_.transform(X))
        rows["skrnn"].append((seconds, n_tokens, clf.score(X_test, y_test)))
    return rows


def bench_toy(max_epochs):
    """Epochs and fit time of the defaults to their best toy test accuracy.

    Returns the plain default fit as ``(epochs, seconds, test accuracy)`` and
    ``(epoch, epochs run, seconds, test accuracy)`` of a fit with ``max_iter``
    set to the first epoch reaching 100% test accuracy or, failing that within
    ``max_epochs``, the best accuracy.
    """
    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    X_test, y_test = load_toy_sentiment(subset="test", return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        plain = RNNTextClassifier(random_state=0).fit(X, y)
        plain_seconds = time.perf_counter() - start
        plain_row = (plain.n_iter_, plain_seconds, plain.score(X_test, y_test))
        # Score every epoch, one epoch per fit call: a warm start continues
        # the same weights, optimizer state and shuffling.
        clf = RNNTextClassifier(random_state=0, warm_start=True, max_iter=1)
        best, best_epoch = -1.0, 0
        for epoch in range(1, max_epochs + 1):
            clf.fit(X, y)
            score = clf.score(X_test, y_test)
            if score > best:
                best, best_epoch = score, epoch
            if score == 1.0:
                break
        start = time.perf_counter()
        again = RNNTextClassifier(random_state=0, max_iter=best_epoch).fit(X, y)
        seconds = time.perf_counter() - start
    return plain_row, (best_epoch, again.n_iter_, seconds, again.score(X_test, y_test))


# ------------------------------------------------------------------ reporting


def markdown_table(headers, rows) -> str:
    """A markdown table of strings."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_rate(values) -> str:
    """Median of tokens/s values, with thousands separators."""
    return f"{statistics.median(values):,.0f}" if values else "n/a"


def fmt_spread(values) -> str:
    """Median and range of tokens/s values; flagged when the range is wide."""
    if not values:
        return "n/a"
    text = f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"
    if max(values) > 2 * min(values):
        text += " **unstable**"
    return text


def best_torch(rates: dict) -> tuple[str, list] | tuple[None, None]:
    """The torch variant with the highest median, and its values."""
    torch_rates = {k: v for k, v in rates.items() if k.startswith("torch")}
    if not torch_rates:
        return None, None
    name = max(torch_rates, key=lambda k: statistics.median(torch_rates[k]))
    return name.removeprefix("torch "), torch_rates[name]


def ratio(a, b) -> str:
    """Median of ``a`` over median of ``b``."""
    if not a or not b:
        return "n/a"
    return f"{statistics.median(a) / statistics.median(b):.2f}"


def environment_lines() -> list[str]:
    """Command line, date, machine and load, versions, BLAS libraries."""
    from threadpoolctl import threadpool_info

    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    lines = [
        f"command: `{command}`",
        f"date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load_average()}",
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"skrnn {skrnn.__version__} ({git_state()})",
    ]
    for info in threadpool_info():
        if info["user_api"] == "blas":
            lines.append(
                f"BLAS: {info['internal_api']} {info.get('version')} "
                f"({info.get('architecture')}, {info['num_threads']} threads; "
                f"skrnn trains and predicts with 1) from {Path(info['filepath']).name}"
            )
    return lines


def header(torch) -> str:
    """The environment, torch's set-up, and a warning on a busy machine."""
    lines = environment_lines()
    if torch is None:
        lines.append("torch: not installed (skrnn alone)")
    else:
        lines.append(
            f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
            f"MKL {torch.backends.mkl.is_available()}, "
            f"oneDNN {torch.backends.mkldnn.is_available()}, "
            f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}"
        )
    if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
        lines.append(
            "**warning: the machine is busy.** Other processes compete for the "
            "cores; torch's OpenMP threads then spin-wait for each other and a "
            "2-thread torch can run ten times slower. Compare ratios measured "
            "side by side; `--torch-threads 1,2` or `OMP_WAIT_POLICY=PASSIVE` "
            "shows how much of a gap is contention."
        )
    return "\n".join(f"- {line}" for line in lines)


def report_networks(results, configs, repeats, n_jobs) -> str:
    """Summary table and detail table of configurations a-e."""
    summary, detail = [], []
    for name, res in results.items():
        train, predict, corpus = res["train"], res["predict"], res["corpus"]
        t_variant, t_rates = best_torch(train)
        p_variant, p_rates = best_torch(predict)
        summary.append(
            [
                name,
                configs[name].describe(),
                fmt_rate(train["skrnn"]),
                f"{fmt_rate(t_rates)} ({t_variant})" if t_rates else res["skipped"],
                ratio(train["skrnn"], t_rates),
                fmt_rate(predict["skrnn"]),
                f"{fmt_rate(p_rates)} ({p_variant})" if p_rates else "n/a",
                ratio(predict["skrnn"], p_rates),
                ratio(train.get("skrnn, 1 thread"), t_rates),
                ratio(predict.get("skrnn, 1 thread"), p_rates),
            ]
        )
        for runner in train:
            detail.append(
                [
                    name,
                    runner,
                    fmt_spread(train[runner]),
                    f"{corpus.train_tokens / statistics.median(train[runner]):.2f}",
                    fmt_spread(predict[runner]),
                    " / ".join(res["loads"]) if runner == "skrnn" else "",
                ]
            )
    out = [
        f"Training on {len(corpus.train):,} MR sentences ({corpus.train_tokens:,} "
        f"tokens, vocabulary {corpus.n_vocab:,}); predicting {len(corpus.test):,} "
        f"({corpus.test_tokens:,} tokens). Medians over {repeats} alternating "
        "epochs; tokens per second; ratio = skrnn / torch (above 1: skrnn faster). "
        f"skrnn runs with n_jobs={n_jobs}, as many threads as torch; the last two "
        "columns are its ratios on one thread.",
        "",
        markdown_table(
            [
                "config",
                "network",
                "skrnn train tok/s",
                "torch train tok/s (variant)",
                "train ratio",
                "skrnn predict tok/s",
                "torch predict tok/s (variant)",
                "predict ratio",
                "train ratio, skrnn 1 thread",
                "predict ratio, skrnn 1 thread",
            ],
            summary,
        ),
        "",
        "Every runner, median (min-max) tokens/s; **unstable**: max > 2 x min, "
        "usually contention for the cores:",
        "",
        markdown_table(
            [
                "config",
                "runner",
                "train tok/s",
                "s/epoch (median)",
                "predict tok/s",
                "load average before / after each repeat",
            ],
            detail,
        ),
    ]
    return "\n".join(out)


def run_networks(names, args, torch, repeats, min_predict_seconds):
    """Configurations a-e: alternate, then print the tables."""
    configs = bench_configs()
    results, corpora = {}, {}
    for name in names:
        cfg = configs[name]
        # Tokenize once per set of text parameters (all the same today).
        key = repr(make_vectorizer(cfg.params).get_params())
        if key not in corpora:
            corpora[key] = tokenize_mr(cfg.params, args.quick)
        start = time.perf_counter()
        results[name] = bench_network(
            cfg, corpora[key], torch, repeats, min_predict_seconds, args.torch_threads
        )
        results[name]["corpus"] = corpora[key]
        print(
            f"  [{name}: {cfg.describe()}: {time.perf_counter() - start:.0f} s]",
            file=sys.stderr,
            flush=True,
        )
    print("\n## Training and prediction on MR\n")
    print(report_networks(results, configs, repeats, max(args.torch_threads)))
    if "e" in names:
        t = fit_overhead(configs["e"].params, results["e"]["corpus"], repeats)
        print(
            f"\nConfiguration e through the estimator (medians of {repeats}): "
            f"`RNNTextClassifier(max_iter=1).fit` on the raw training sentences "
            f"takes {t['fit']:.2f} s; tokenizing them takes {t['tokenize']:.2f} s "
            f"and one internal epoch {t['epoch']:.2f} s: together "
            f"{t['tokenize'] + t['epoch']:.2f} s (the estimator adds validation, "
            "set-up and copies; a difference within the noise means nothing)."
        )
    sys.stdout.flush()


def run_seed(repeats, epochs):
    """The seed's algorithm against skrnn with ``SEED_PARAMS``: print the table."""
    rows = bench_seed(repeats, epochs)
    table = []
    for name, label in (
        ("seed", "seed post, per-sample numpy, float64 (seed_rnn.py)"),
        ("skrnn", "skrnn, `RNNTextClassifier(**SEED_PARAMS)`, float32"),
    ):
        table.append(
            [
                label,
                epochs,
                f"{statistics.median(r[0] for r in rows[name]):.2f}",
                fmt_rate([r[1] / r[0] for r in rows[name]]),
                ", ".join(f"{r[2]:.2f}" for r in rows[name]),
            ]
        )
    print(
        f"\n## The seed's algorithm on the toy set ({epochs} epochs, batch size 1, "
        f"SGD 0.02, hidden 64, one-hot; medians over {repeats} alternating runs)\n"
    )
    headers = ["implementation", "epochs", "seconds", "tokens/s", "test accuracy"]
    print(markdown_table(headers, table))
    seed_s = statistics.median(r[0] for r in rows["seed"])
    skrnn_s = statistics.median(r[0] for r in rows["skrnn"])
    print(
        f"\nThroughput ratio skrnn / seed: {seed_s / skrnn_s:.2f} "
        f"(load average {load_average()})"
    )
    sys.stdout.flush()


def run_toy(max_epochs):
    """Fit time of the defaults to 100% toy test accuracy: print the table."""
    plain, target = bench_toy(max_epochs)
    epoch, n_iter, seconds, score = target
    if score == 1.0:
        what = "the first epoch at 100% test accuracy"
    else:
        what = (
            f"100% test accuracy is not reached in {max_epochs} epochs; "
            "the first epoch at the best accuracy"
        )
    rows = [
        [
            "`RNNTextClassifier(random_state=0)`, its own stopping rule",
            plain[0],
            f"{plain[1]:.2f}",
            f"{plain[2]:.2f}",
        ],
        [
            f"`RNNTextClassifier(random_state=0, max_iter={epoch})`: {what}",
            n_iter,
            f"{seconds:.2f}",
            f"{score:.2f}",
        ],
    ]
    print("\n## The defaults on the toy set (50 training, 25 test sentences)\n")
    print(markdown_table(["fit", "epochs run", "fit seconds", "test accuracy"], rows))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument(
        "--configs",
        default=",".join(ALL_CONFIGS),
        help=f"comma-separated subset of {','.join(ALL_CONFIGS)} (default: all)",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="epochs per library (default 3)"
    )
    parser.add_argument(
        "--torch-threads",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[TORCH_THREADS],
        help="torch thread counts, comma-separated; each is a torch variant "
        f"(default {TORCH_THREADS})",
    )
    parser.add_argument(
        "--seed-epochs",
        type=int,
        default=None,
        help="epochs of the seed comparison (default 200, --quick 50)",
    )
    args = parser.parse_args(argv)
    chosen = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = sorted(set(chosen) - set(ALL_CONFIGS))
    if unknown:
        parser.error(f"unknown configs {unknown}; choose among {ALL_CONFIGS}")
    repeats = args.repeats or (2 if args.quick else 3)

    torch = import_torch()
    print("# skrnn vs PyTorch, CPU speed\n")
    print(header(torch), flush=True)
    networks = [c for c in chosen if c in bench_configs()]
    if networks:
        min_predict_seconds = 0.2 if args.quick else 0.5
        run_networks(networks, args, torch, repeats, min_predict_seconds)
    if "seed" in chosen:
        run_seed(repeats, args.seed_epochs or (50 if args.quick else 200))
    if "toy" in chosen:
        run_toy(max_epochs=300 if args.quick else 1000)
    print(
        f"\nload average at the end: {load_average()}; code at the end: {git_state()}"
    )


if __name__ == "__main__":
    main()
