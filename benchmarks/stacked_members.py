"""How much could K members trained as one stacked network save? An upper bound.

Usage::

    python benchmarks/stacked_members.py
    python benchmarks/stacked_members.py --configs e --members 3,5

Issue 20 asks whether an ensemble's members could train "as one stacked
network whose step is one batched product", at a cost far below K fits.  In
such a network the K members' rows of a time step would go through each
elementwise operation in one call, and their products ``h @ W_hh`` through
one batched product of the same FLOPs.  So the recurrent loops of K members
stacked cost at least what the built-in cells' loops cost on one batch of K
times as many rows, and the most stacking can save in the loops is::

    K x time(batch of B rows) / time(batch of K B rows)

This script times the cells' forward (training) and backward loops, one
BLAS thread, float32, at each configuration's hidden size and batch size B
(``speed.py``'s a-e) and at K B rows, on documents of MR's mean length, and
prints that bound.  Per-batch work outside the loops (the embedding, the
input projections, the optimizer) is per member either way: it does not
shrink with stacking, so the bound for a whole epoch is lower still.
"""

import argparse
import sys
import time

import numpy as np
from _env import environment_lines, markdown_table
from _skrnn_side import bench_configs
from threadpoolctl import threadpool_limits

from skrnn.nn import CELLS

#: MR's mean sentence length in tokens, the time steps of every batch here.
N_STEPS = 21


def loop_seconds(cell_name: str, hidden: int, rows: int, repeats: int) -> float:
    """Least seconds of one forward and backward pass of the cell's loop."""
    cell = CELLS[cell_name]
    rng = np.random.default_rng(0)
    shapes = cell.shapes(hidden, hidden)
    params = {
        name: (0.1 * rng.standard_normal(shapes[name])).astype(np.float32)
        for name in cell.param_names
    }
    width = shapes[cell.input_weight][1]
    xproj = rng.standard_normal((N_STEPS, rows, width)).astype(np.float32)
    doutputs = rng.standard_normal((N_STEPS, rows, hidden)).astype(np.float32)
    n_active = [rows] * N_STEPS
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        _, cache = cell.forward(xproj.copy(), n_active, params, True)
        cell.backward(doutputs, cache, n_active, params)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="a,b,c,d,e")
    parser.add_argument("--members", default="3,5")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    configs = bench_configs()
    members = [int(k) for k in args.members.split(",")]
    print("\n".join(environment_lines()))
    print(f"- command: `python benchmarks/stacked_members.py {' '.join(sys.argv[1:])}`")
    rows = []
    with threadpool_limits(1, user_api="blas"):
        for name in args.configs.split(","):
            p = configs[name].params
            cell, hidden, batch = p["cell"], p["hidden_size"], p["batch_size"]
            one = loop_seconds(cell, hidden, batch, args.repeats)
            row = [name, f"{cell}, hidden {hidden}, batch {batch}", f"{one * 1e3:.2f}"]
            for k in members:
                stacked = loop_seconds(cell, hidden, k * batch, args.repeats)
                row.append(f"{stacked * 1e3:.2f} ({k * one / stacked:.2f}x)")
            rows.append(row)
    headers = ["config", "cell", "loops, B rows, ms"] + [
        f"loops, {k} B rows, ms (at most saved: {k} x B / {k} B)" for k in members
    ]
    print(
        f"\nForward and backward loops over {N_STEPS} steps, least of {args.repeats}:\n"
    )
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
