"""The seed post's algorithm, written fresh: the reference for speed and accuracy.

A vanilla RNN over one-hot column vectors, trained one sentence at a time with
plain SGD (learning rate 0.02), gradients clipped to [-1, 1], weights drawn
from ``randn / 1000``: Victor Zhou, "An Introduction to Recurrent Neural
Networks for Beginners" (2019).  Used by ``benchmarks/speed.py`` as the
per-sample baseline; run it alone to time 1000 epochs on the toy set::

    python benchmarks/seed_rnn.py --seed 0
"""

import argparse
import time

import numpy as np

from skrnn.datasets import load_toy_sentiment


class SeedRNN:
    """The seed's many-to-one RNN, state and all."""

    def __init__(self, input_size, output_size, hidden_size, rng):
        self.Whh = rng.standard_normal((hidden_size, hidden_size)) / 1000
        self.Wxh = rng.standard_normal((hidden_size, input_size)) / 1000
        self.Why = rng.standard_normal((output_size, hidden_size)) / 1000
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((output_size, 1))

    def forward(self, inputs):
        h = np.zeros((self.Whh.shape[0], 1))
        self.last_inputs = inputs
        self.last_hs = {0: h}
        for i, x in enumerate(inputs):
            h = np.tanh(self.Wxh @ x + self.Whh @ h + self.bh)
            self.last_hs[i + 1] = h
        return self.Why @ h + self.by, h

    def backprop(self, d_y, learn_rate=2e-2):
        n = len(self.last_inputs)
        d_Why = d_y @ self.last_hs[n].T
        d_by = d_y
        d_Whh = np.zeros(self.Whh.shape)
        d_Wxh = np.zeros(self.Wxh.shape)
        d_bh = np.zeros(self.bh.shape)
        d_h = self.Why.T @ d_y
        for t in reversed(range(n)):
            temp = (1 - self.last_hs[t + 1] ** 2) * d_h
            d_bh += temp
            d_Whh += temp @ self.last_hs[t].T
            d_Wxh += temp @ self.last_inputs[t].T
            # As published; the exact gradient is Whh.T @ temp (the benchmark
            # keeps the post's algorithm, whose cost is the same either way).
            d_h = self.Whh @ temp
        for d in (d_Wxh, d_Whh, d_Why, d_bh, d_by):
            np.clip(d, -1, 1, out=d)
        self.Whh -= learn_rate * d_Whh
        self.Wxh -= learn_rate * d_Wxh
        self.Why -= learn_rate * d_Why
        self.bh -= learn_rate * d_bh
        self.by -= learn_rate * d_by


def softmax(xs):
    """The seed's softmax of a column vector."""
    e = np.exp(xs)
    return e / e.sum()


def train_seed(epochs=1000, seed=0, hidden_size=64):
    """Train the seed's RNN on the toy set.

    Returns
    -------
    dict
        ``seconds`` of training, ``n_tokens`` processed, final ``train_accuracy``
        and ``test_accuracy``.
    """
    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    X_test, y_test = load_toy_sentiment(subset="test", return_X_y=True)
    vocab = sorted({w for text in X for w in text.split(" ")})
    index = {w: i for i, w in enumerate(vocab)}

    def inputs_of(text):
        out = []
        for w in text.split(" "):
            v = np.zeros((len(vocab), 1))
            v[index[w]] = 1
            out.append(v)
        return out

    rng = np.random.default_rng(seed)
    rnn = SeedRNN(len(vocab), 2, hidden_size, rng)
    train = [(inputs_of(text), int(label)) for text, label in zip(X, y, strict=True)]
    n_tokens = 0
    start = time.perf_counter()
    for _ in range(epochs):
        for k in rng.permutation(len(train)):
            inputs, target = train[k]
            out, _ = rnn.forward(inputs)
            d_y = softmax(out)
            d_y[target] -= 1
            rnn.backprop(d_y)
            n_tokens += len(inputs)
    seconds = time.perf_counter() - start

    def accuracy(texts, labels):
        hits = [
            int(np.argmax(rnn.forward(inputs_of(t))[0]) == int(label))
            for t, label in zip(texts, labels, strict=True)
        ]
        return float(np.mean(hits))

    return {
        "seconds": seconds,
        "n_tokens": n_tokens,
        "train_accuracy": accuracy(X, y),
        "test_accuracy": accuracy(X_test, y_test),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(train_seed(epochs=args.epochs, seed=args.seed))
