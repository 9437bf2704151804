"""Where an LSTM training step's time goes, operation by operation, one thread.

Usage::

    python benchmarks/lstm_steps.py                 # configurations b and d
    python benchmarks/lstm_steps.py --repeats 50

Replays the loops of ``skrnn.nn._cells.lstm_forward`` and ``lstm_backward``
at the shapes of ``speed.py``'s LSTM configurations (b: batch 64, hidden
128; d: batch 128, hidden 256; every row running, 24 steps), with a timer
around each operation, and prints the microseconds per step of each, least
over ``--repeats`` batches.  Beside them: the rate of the step products in
GFLOP/s and that of one large square sgemm, the core's own limit, so that
the share of a step that no layout can save (its products at the core's
peak) is visible.  Keep the replay in step with ``_cells.py`` when the
loops change.
"""

import argparse
import time
from collections import defaultdict

import numpy as np
from threadpoolctl import threadpool_limits

from skrnn.nn._cells import (
    _by_gate,
    _gate_derivatives,
    _gate_major,
    _per_gate,
    _transposed,
)

SHAPES = {"b": (64, 128), "d": (128, 256)}
N_STEPS = 24


def sgemm_peak(n: int = 1024, repeats: int = 5) -> float:
    """GFLOP/s of a float32 (n, n) @ (n, n) product, best of ``repeats``."""
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def forward_ops(xproj, W, times):
    """One batch of ``lstm_forward``'s loop, each operation timed into ``times``."""
    n_steps, n, width = xproj.shape
    H = width // 4
    x_by_gate, gates = _by_gate(xproj, 4), _gate_major(xproj, 4)
    W_hh = _per_gate(W, 4)
    hs = np.zeros((n_steps + 1, n, H), dtype=np.float32)
    cs, tanh_cs = np.zeros_like(hs), np.zeros_like(hs[1:])
    buf = np.empty((4, n, H), dtype=np.float32)
    ig = np.empty((n, H), dtype=np.float32)
    clock = time.perf_counter
    for t in range(n_steps):
        t0 = clock()
        a = np.matmul(hs[t], W_hh, out=buf)
        t1 = clock()
        a += x_by_gate[t]
        t2 = clock()
        a[:3] *= 0.5
        a = np.tanh(a, out=gates[t])
        s = a[:3]
        s *= 0.5
        s += 0.5
        t3 = clock()
        i, f, o, g = a
        np.multiply(f, cs[t], out=cs[t + 1])
        cs[t + 1] += np.multiply(i, g, out=ig)
        np.tanh(cs[t + 1], out=tanh_cs[t])
        np.multiply(o, tanh_cs[t], out=hs[t + 1])
        t4 = clock()
        times["fwd: h @ W_hh (per-gate stack)"] += t1 - t0
        times["fwd: + xproj (strided read of the row layout)"] += t2 - t1
        times["fwd: gate activations (halve, tanh, (1 + t) / 2)"] += t3 - t2
        times["fwd: c and h (4 multiplies and adds, tanh c)"] += t4 - t3
    return {"hs": hs, "cs": cs, "gates": gates, "tanh_cs": tanh_cs}


def backward_ops(doutputs, cache, W, times):
    """One batch of ``lstm_backward``'s loop, each operation timed into ``times``."""
    n_steps, n, H = doutputs.shape
    hs, cs, gates, tanh_cs = (cache[k] for k in ("hs", "cs", "gates", "tanh_cs"))
    W_hh_T = _transposed(W)
    dxproj = np.zeros((n_steps, n, 4 * H), dtype=np.float32)
    dx_by_gate = _by_gate(dxproj, 4)
    dh, dc = np.zeros((n, H), np.float32), np.zeros((n, H), np.float32)
    dht, dtc = np.empty((n, H), np.float32), np.empty((n, H), np.float32)
    da, deriv = np.empty((4, n, H), np.float32), np.empty((4, n, H), np.float32)
    clock = time.perf_counter
    for t in range(n_steps - 1, -1, -1):
        t0 = clock()
        i, f, o, g = gates[t]
        da_i, da_f, da_o, da_g = da
        np.add(doutputs[t], dh, out=dht)
        np.multiply(dht, tanh_cs[t], out=da_o)
        np.multiply(tanh_cs[t], tanh_cs[t], out=dtc)
        np.subtract(1.0, dtc, out=dtc)
        dtc *= o
        dtc *= dht
        dc += dtc
        np.multiply(dc, g, out=da_i)
        np.multiply(dc, cs[t], out=da_f)
        np.multiply(dc, i, out=da_g)
        dc *= f
        t1 = clock()
        da *= _gate_derivatives(gates[t], 3, deriv)
        t2 = clock()
        np.copyto(dx_by_gate[t], da)
        t3 = clock()
        np.matmul(dxproj[t], W_hh_T, out=dh)
        t4 = clock()
        times["bwd: through h and c (12 calls)"] += t1 - t0
        times["bwd: gate derivatives and product (4 calls)"] += t2 - t1
        times["bwd: copy into dxproj's row layout (strided write)"] += t3 - t2
        times["bwd: da @ W_hh.T (contiguous copy)"] += t4 - t3
    t0 = clock()
    hs[:-1].reshape(-1, H).T @ dxproj.reshape(-1, 4 * H)
    times["bwd: dW_hh = hs.T @ dxproj, per step"] += clock() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="b,d")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with threadpool_limits(1, user_api="blas"):
        print(
            f"sgemm (1024, 1024) @ (1024, 1024), one thread: {sgemm_peak():.1f} GFLOP/s"
        )
        for config in args.configs.split(","):
            n, H = SHAPES[config]
            W = (0.1 * rng.standard_normal((H, 4 * H))).astype(np.float32)
            xproj = rng.standard_normal((N_STEPS, n, 4 * H)).astype(np.float32)
            doutputs = (0.1 * rng.standard_normal((N_STEPS, n, H))).astype(np.float32)
            best = {}
            for _ in range(args.repeats):
                times = defaultdict(float)
                cache = forward_ops(xproj.copy(), W, times)
                backward_ops(doutputs, cache, W, times)
                for key, seconds in times.items():
                    best[key] = min(best.get(key, np.inf), seconds / N_STEPS * 1e6)
            flops = 2 * n * H * 4 * H
            total = sum(best.values())
            print(f"\n{config}: batch {n}, hidden {H}, us per step", end=" ")
            print(f"(least of {args.repeats} batches)")
            print("| operation | us/step | share | GFLOP/s |")
            print("|---|---|---|---|")
            for key, us in best.items():
                rate = f"{flops / us / 1e3:.1f}" if "@" in key else ""
                print(f"| {key} | {us:.1f} | {us / total:.0%} | {rate} |")
            print(f"| total | {total:.1f} | 100% | |")


if __name__ == "__main__":
    main()
