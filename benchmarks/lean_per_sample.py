"""How fast a bare per-sample loop of the seed's network can be, against the seed's.

The seed's settings (``skrnn._demo.SEED_PARAMS``: tanh RNN over one-hot
words, hidden 64, plain SGD one sentence at a time, gradients clipped to
[-1, 1]) run through skrnn's general minibatch machinery: a dict of
parameters through the optimizer and the clipping, the loss, length sorting,
row-sparse gradients.  This script times the same math written as one bare
function per sentence (row vectors, float32, in-place updates), beside the
seed's own loop (``seed_rnn.py``), to show what a dedicated per-sample path
could reach.  It is a measurement, not part of skrnn::

    python benchmarks/lean_per_sample.py --epochs 200
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from skrnn import SequenceVectorizer
from skrnn.datasets import load_toy_sentiment

HIDDEN = 64
LEARNING_RATE = 0.02
CLIP = 1.0


def init(n_vocab: int, n_classes: int, rng: np.random.Generator) -> dict:
    """Weights of the seed's network, row-vector convention, float32."""
    f = np.float32
    return {
        "W_xh": rng.uniform(-0.5, 0.5, (n_vocab, HIDDEN)).astype(f),
        "W_hh": np.linalg.qr(rng.normal(size=(HIDDEN, HIDDEN)))[0].astype(f),
        "b_h": np.zeros(HIDDEN, f),
        "W_hy": rng.uniform(-0.3, 0.3, (HIDDEN, n_classes)).astype(f),
        "b_y": np.zeros(n_classes, f),
    }


def sgd_step(w: dict, ids: np.ndarray, target: int) -> None:
    """Forward, backpropagation through time, clipping and update, in place."""
    n_steps = len(ids)
    hs = np.zeros((n_steps + 1, HIDDEN), np.float32)
    xs = w["W_xh"][ids]
    xs += w["b_h"]
    for t in range(n_steps):
        h = hs[t + 1]
        np.matmul(hs[t], w["W_hh"], out=h)
        h += xs[t]
        np.tanh(h, out=h)
    z = hs[n_steps] @ w["W_hy"]
    z += w["b_y"]
    z -= z.max()
    dz = np.exp(z)
    dz /= dz.sum()
    dz[target] -= 1.0
    d_hy = np.outer(hs[n_steps], dz)
    dh = w["W_hy"] @ dz
    da = hs[1:] * hs[1:]
    np.subtract(1.0, da, out=da)
    for t in range(n_steps - 1, -1, -1):
        d = da[t]
        d *= dh
        dh = w["W_hh"] @ d
    d_hh = hs[:-1].T @ da
    d_bh = da.sum(axis=0)
    rows, inverse = np.unique(ids, return_inverse=True)
    d_xh = np.zeros((len(rows), HIDDEN), np.float32)
    np.add.at(d_xh, inverse, da)
    for grad in (d_hy, dz, d_hh, d_bh, d_xh):
        np.clip(grad, -CLIP, CLIP, out=grad)
    w["W_hy"] -= LEARNING_RATE * d_hy
    w["b_y"] -= LEARNING_RATE * dz
    w["W_hh"] -= LEARNING_RATE * d_hh
    w["b_h"] -= LEARNING_RATE * d_bh
    w["W_xh"][rows] -= LEARNING_RATE * d_xh


def train_lean(epochs: int, seed: int) -> float:
    """Seconds to train the bare loop for ``epochs`` on the toy set."""
    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    vectorizer = SequenceVectorizer().fit(X)
    sequences = vectorizer.transform(X)
    rng = np.random.default_rng(seed)
    w = init(vectorizer.n_vocab_, 2, rng)
    order = np.arange(len(sequences))
    start = time.perf_counter()
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            sgd_step(w, sequences[i], y[i])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from seed_rnn import train_seed

    lean, seed = [], []
    for r in range(args.repeats):
        lean.append(train_lean(args.epochs, r))
        seed.append(train_seed(epochs=args.epochs, seed=r)["seconds"])
    lean_s, seed_s = float(np.median(lean)), float(np.median(seed))
    print(f"{args.epochs} epochs on the toy set, medians of {args.repeats}:")
    print(f"  bare per-sample loop: {lean_s:.2f} s")
    print(f"  the seed's loop:      {seed_s:.2f} s")
    print(f"  ratio seed / bare:    {seed_s / lean_s:.2f}")


if __name__ == "__main__":
    main()
