"""The PyTorch twin of a configuration, for ``speed.py``.

What a competent PyTorch user writes for the network that
``RNNTextClassifier(**params)`` trains: ``nn.Embedding(padding_idx=0)`` (with
``nn.Dropout(input_dropout)`` on its output) + ``nn.RNN`` / ``nn.LSTM`` /
``nn.GRU`` (time-major, as skrnn's batches) + ``nn.Dropout(dropout)`` +
``nn.Linear``, ``torch.optim.Adam`` with the estimator's betas and epsilon,
``F.cross_entropy``, gradients clipped as the estimator clips them.  It trains
on skrnn's own length-bucketed batches (``skrnn._batching.minibatches``) of
the token ids the fitted estimator's vectorizer gives, and predicts from raw
text through the same vectorizer, so that both libraries pay for tokenizing
in prediction and neither does in training.

Two variants: *padded* (the network runs over the padding; the state at each
sequence's last real token is gathered, mean and max pooling are masked) and
*packed* (``pack_padded_sequence``; ``h_n`` for last-state pooling).  A
bidirectional network is only run packed: padded, its backward direction
would read the padding first.
"""

import time

import numpy as np

from skrnn._batching import length_sorted, minibatches, pad_batch
from skrnn._text import PAD_ID

PREDICT_BATCH = 256
WARMUP_BATCHES = 5


def import_torch(threads: int = 2):
    """Torch, with its thread count set, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def torch_supports(params: dict) -> str | None:
    """Why the torch twin cannot run this configuration, or None."""
    if params["embedding_dim"] is None:
        return "n/a: one-hot input (embedding_dim=None) has no nn.RNN twin"
    if params["solver"] != "adam" or params["alpha"]:
        return "n/a: the torch twin trains with Adam and no penalty"
    if params["class_weight"] is not None:
        return "n/a: the torch twin has no class weights"
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
    """The torch twin of a configuration, trained on skrnn's own batches.

    Parameters
    ----------
    torch : module
        The imported ``torch``.
    params : dict
        The estimator parameters of the configuration.
    sequences : list of 1-D int arrays
        Token ids of the training documents (the estimator's vectorizer).
    y : array of int
        Class indices, 0 to ``n_classes - 1``.
    vectorizer : SequenceVectorizer
        The fitted estimator's vectorizer, used to tokenize in prediction.
    n_classes : int
        Number of classes.
    packed : bool
        Run on packed sequences rather than over the padding.
    threads : int
        ``torch.set_num_threads`` before each epoch and prediction.
    seed : int
        Seed of torch's initialisation and of the batch order.
    """

    def __init__(
        self,
        torch,
        params,
        sequences,
        y,
        vectorizer,
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
        self.vectorizer = vectorizer
        self.model = make_torch_twin(torch, params, vectorizer.n_vocab_, n_classes)
        self.optimizer = torch.optim.Adam(
            self.model.parameters(),
            lr=params["learning_rate_init"],
            betas=(params["beta_1"], params["beta_2"]),
            eps=params["epsilon"],
            weight_decay=0.0,
        )
        # pack_padded_sequence refuses empty sequences: train without them
        # (MR has none).
        keep = [i for i, s in enumerate(sequences) if len(s)]
        self.sequences = [sequences[i] for i in keep]
        self.y = torch.from_numpy(np.asarray(y, dtype=np.int64)[keep])
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

    def _batches(self):
        return minibatches(
            self.lengths,
            self.params["batch_size"],
            shuffle=self.params["shuffle"],
            rng=self.rng,
        )

    def warm_up(self, n_batches: int = WARMUP_BATCHES) -> None:
        """A few untimed steps, so that the timed epochs run warm."""
        self.torch.set_num_threads(self.threads)
        self.model.train()
        for k, idx in enumerate(self._batches()):
            if k == n_batches:
                break
            self._step(idx)

    def epoch(self) -> float:
        """One epoch over skrnn's length-bucketed batches; return its seconds."""
        self.torch.set_num_threads(self.threads)
        start = time.perf_counter()
        self.model.train()
        for idx in self._batches():
            self._step(idx)
        return time.perf_counter() - start

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of raw documents, tokenized by the vectorizer.

        Length-sorted batches of 256, returned in input order.
        """
        torch = self.torch
        torch.set_num_threads(self.threads)
        # An empty document is read as one padding token.
        empty = np.array([PAD_ID])
        sequences = [s if len(s) else empty for s in self.vectorizer.transform(X)]
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
