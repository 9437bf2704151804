"""A bare per-sample loop of the seed's network, beside skrnn's and the seed's.

The seed's settings (``skrnn.SEED_PARAMS``: tanh RNN over one-hot
words, hidden 64, plain SGD one sentence at a time, gradients clipped to
[-1, 1]) take a per-sample path of their own in ``skrnn._training``
(``_per_sample_epoch``), which was built from this script's loop.  This
script times the same math written as one bare function per sentence (row
vectors, float32, in-place updates, every weight and gradient a view into
one flat buffer, a dense gradient of ``W_xh``, no loss), skrnn's
``RNNTextClassifier(**SEED_PARAMS).fit`` and the seed's own loop
(``seed_rnn.py``), alternated: the bare loop is the ceiling of the
estimator's path.  It is a measurement, not part of skrnn::

    python benchmarks/lean_per_sample.py --epochs 200
"""

import argparse
import os
import sys
import time
import timeit
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skrnn import SEED_PARAMS, RNNTextClassifier, SequenceVectorizer
from skrnn.datasets import load_toy_sentiment

HIDDEN = 64
LEARNING_RATE = np.float32(0.02)
CLIP = 1.0
MAX_STEPS = 64


class LeanRNN:
    """The seed's network, row-vector convention, float32, in flat buffers.

    Every weight is a view into one buffer and every gradient a view into
    another, so that clipping and the SGD update are three numpy calls for
    all of them.  The gradient of ``W_xh`` is dense: fine for the toy set's
    18 words, not for a real vocabulary.
    """

    def __init__(self, n_vocab: int, n_classes: int, rng: np.random.Generator):
        shapes = {
            "W_xh": (n_vocab, HIDDEN),
            "W_hh": (HIDDEN, HIDDEN),
            "b_h": (HIDDEN,),
            "W_hy": (HIDDEN, n_classes),
            "b_y": (n_classes,),
        }
        size = sum(int(np.prod(shape)) for shape in shapes.values())
        self.flat = np.zeros(size, np.float32)
        self.gflat = np.zeros(size, np.float32)
        self.w, self.g = {}, {}
        offset = 0
        for name, shape in shapes.items():
            n = int(np.prod(shape))
            self.w[name] = self.flat[offset : offset + n].reshape(shape)
            self.g[name] = self.gflat[offset : offset + n].reshape(shape)
            offset += n
        self.w["W_xh"][:] = rng.uniform(-0.5, 0.5, shapes["W_xh"])
        self.w["W_hh"][:] = np.linalg.qr(rng.normal(size=(HIDDEN, HIDDEN)))[0]
        self.w["W_hy"][:] = rng.uniform(-0.3, 0.3, shapes["W_hy"])
        self.hs = np.zeros((MAX_STEPS + 1, HIDDEN), np.float32)
        self.da = np.zeros((MAX_STEPS, HIDDEN), np.float32)

    def predict(self, ids: np.ndarray) -> int:
        """The class of one sentence."""
        h = np.zeros(HIDDEN, np.float32)
        for x in self.w["W_xh"][ids] + self.w["b_h"]:
            h = np.tanh(h @ self.w["W_hh"] + x)
        return int(np.argmax(h @ self.w["W_hy"] + self.w["b_y"]))

    def sgd_step(self, ids: np.ndarray, target: int) -> None:
        """Forward, backpropagation through time, clipping and update, in place."""
        w, g, n_steps = self.w, self.g, len(ids)
        hs, W_hh = self.hs[: n_steps + 1], w["W_hh"]
        xs = w["W_xh"][ids]
        xs += w["b_h"]
        for t in range(n_steps):
            h = hs[t + 1]
            np.matmul(hs[t], W_hh, out=h)
            h += xs[t]
            np.tanh(h, out=h)
        z = hs[n_steps] @ w["W_hy"]
        z += w["b_y"]
        z -= z.max()
        np.exp(z, out=z)
        z /= z.sum()
        z[target] -= 1.0
        self.gflat.fill(0.0)
        np.outer(hs[n_steps], z, out=g["W_hy"])
        g["b_y"][:] = z
        dh = w["W_hy"] @ z
        da = self.da[:n_steps]
        np.multiply(hs[1:], hs[1:], out=da)
        np.subtract(1.0, da, out=da)
        for t in range(n_steps - 1, -1, -1):
            d = da[t]
            d *= dh
            dh = W_hh @ d
        np.matmul(hs[:-1].T, da, out=g["W_hh"])
        da.sum(axis=0, out=g["b_h"])
        np.add.at(g["W_xh"], ids, da)
        np.clip(self.gflat, -CLIP, CLIP, out=self.gflat)
        self.gflat *= LEARNING_RATE
        self.flat -= self.gflat


def train_lean(epochs: int, seed: int) -> tuple[float, float]:
    """Seconds to train the bare loop for ``epochs`` on the toy set; accuracy."""
    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    vectorizer = SequenceVectorizer(max_length=MAX_STEPS).fit(X)
    sequences = vectorizer.transform(X)
    rng = np.random.default_rng(seed)
    network = LeanRNN(vectorizer.n_vocab_, 2, rng)
    order = np.arange(len(sequences))
    start = time.perf_counter()
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            network.sgd_step(sequences[i], y[i])
    seconds = time.perf_counter() - start
    X_test, y_test = load_toy_sentiment(subset="test", return_X_y=True)
    predicted = [network.predict(ids) for ids in vectorizer.transform(X_test)]
    return seconds, float(np.mean(np.asarray(predicted) == y_test))


def call_floor(n_tokens: float, n_vocab: int, n_classes: int = 2) -> dict:
    """Microseconds of the numpy calls of one step of skrnn's per-sample path.

    Each kind of call the path makes (``skrnn._training._per_sample_epoch``,
    counted by hand from its code for a document of ``n_tokens`` words read
    once each) is timed alone at the seed's shapes, and the counts times the
    costs summed: the floor of a path that makes these calls, whatever the
    Python around them.  Returns the cost of each kind and the total.
    """
    rng = np.random.default_rng(0)
    H, n, dt = HIDDEN, max(1, round(n_tokens)), np.float32
    row, W = rng.random((1, H), dt), rng.random((H, H), dt)
    W_hy, out, small = rng.random((H, n_classes), dt), np.empty((1, H), dt), row[:, :2]
    block, table = rng.random((n, H), dt), rng.random((n_vocab, H), dt)
    ids = rng.choice(n_vocab, n, replace=False)
    flat = rng.random(H * H + H + (H + 1) * n_classes + n * H).astype(dt)
    bound, step, lr = np.ones_like(flat), np.empty_like(flat), dt(-0.02)
    kinds = {  # name: (count per step, the call)
        "product (1, 64) @ (64, 64), view or not": (
            2 * n_tokens,
            lambda: np.dot(row, W, out=out),
        ),
        "other small products": (2, lambda: np.dot(row, W_hy)),
        "ufunc on a (1, 64) row": (3 * n_tokens + 5, lambda: np.tanh(row, out=row)),
        "ufunc on the logits": (5, lambda: np.negative(small, out=small)),
        "reduction": (2, lambda: np.add.reduce(block, axis=0)),
        "ufunc on a (n, 64) block": (3, lambda: np.multiply(block, block, out=block)),
        "clip of every gradient, against an array": (
            2,
            lambda: np.minimum(flat, bound, out=flat),
        ),
        "step and update of every weight": (2, lambda: np.multiply(flat, lr, out=step)),
        "row gather W_xh[ids]": (1, lambda: table[ids]),
        "row scatter W_xh[ids] = rows": (2, lambda: table.__setitem__(ids, block)),
    }
    costs = {}
    for name, (count, call) in kinds.items():
        seconds = min(timeit.repeat(call, number=2000, repeat=5)) / 2000
        costs[name] = (count, seconds * 1e6)
    costs["total"] = (None, sum(count * us for count, us in costs.values()))
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from seed_rnn import train_seed

    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    lean, skrnn, skrnn_cpu, seed, accuracies = [], [], [], [], []
    for r in range(args.repeats):
        seconds, accuracy = train_lean(args.epochs, r)
        lean.append(seconds)
        accuracies.append(f"{accuracy:.2f}")
        clf = RNNTextClassifier(
            **{**SEED_PARAMS, "max_iter": args.epochs}, random_state=r
        )
        start, cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        skrnn.append(time.perf_counter() - start)
        skrnn_cpu.append(time.process_time() - cpu)
        seed.append(train_seed(epochs=args.epochs, seed=r)["seconds"])
    lean_s, skrnn_s = float(np.median(lean)), float(np.median(skrnn))
    seed_s = float(np.median(seed))
    print(f"{args.epochs} epochs on the toy set, medians of {args.repeats}:")
    print(f"  bare per-sample loop: {lean_s:.2f} s", end=" ")
    print(f"(test accuracy {', '.join(accuracies)})")
    print(f"  skrnn's fit:          {skrnn_s:.2f} s")
    print(f"  the seed's loop:      {seed_s:.2f} s")
    print(f"  ratio seed / bare:    {seed_s / lean_s:.2f}")
    print(f"  ratio seed / skrnn:   {seed_s / skrnn_s:.2f}")
    n_samples = len(y)
    n_tokens = sum(len(text.split()) for text in X) / n_samples
    per_sentence = 1e6 / args.epochs / n_samples
    print(f"  per sentence (us):    bare {lean_s * per_sentence:.1f}", end="")
    print(f", skrnn {skrnn_s * per_sentence:.1f}", end="")
    print(f" ({float(np.median(skrnn_cpu)) * per_sentence:.1f} of CPU)", end="")
    print(f", seed {seed_s * per_sentence:.1f}")
    print(f"\nThe numpy calls of one step of skrnn's path ({n_tokens:.2f} words):")
    for name, (count, us) in call_floor(n_tokens, 18).items():
        if count is None:
            print(f"  sum of the calls alone: {us:.1f} us per sentence")
        else:
            print(f"  {count:5.1f} x {us:5.2f} us  {name}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
