"""The built-in cells' forward and backward loops of two versions of skrnn, alternated.

Usage::

    python benchmarks/ab_cells.py 947b7ef            # that commit against the work tree
    python benchmarks/ab_cells.py main HEAD --configs b,e --repeats 400

Epoch times on a shared machine drift by more than a change to the loops
gains (``ab_epoch.py`` times whole epochs); this script isolates the loops.
It imports the ``skrnn`` of ``git archive REF`` and the work tree's (or a
second ref's) in one process, under two names, and times each cell's
``forward`` (training) and ``backward`` on the same random batch at the
shapes of ``speed.py``'s configurations, one BLAS thread: version A, then B,
``--repeats`` times, keeping each one's least time (the call least disturbed
by other processes).  The batch has ``--steps`` time steps, the last three
with fewer sequences running (odd numbers of them, as a length-bucketed batch
of MR has, where BLAS may round differently than at full rows).  It also
checks that both versions give the same outputs and gradients, bit for bit
or to the printed relative difference.
"""

import argparse
import importlib
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

#: (cell, batch, hidden, embedding) of speed.py's configurations.
SHAPES = {
    "a": ("rnn", 64, 128),
    "b": ("lstm", 64, 128),
    "c": ("gru", 64, 128),
    "d": ("lstm", 128, 256),
    "e": ("gru", 32, 64),
}


def import_skrnn_nn(source: Path, alias: str):
    """``skrnn.nn`` imported from ``source``, its modules kept under ``alias``."""
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k.startswith("skrnn")}
    sys.path.insert(0, str(source))
    try:
        module = importlib.import_module("skrnn.nn")
    finally:
        sys.path.remove(str(source))
        for name in [k for k in sys.modules if k.startswith("skrnn")]:
            sys.modules[f"{alias}.{name}"] = sys.modules.pop(name)
        sys.modules.update(saved)
    return module


def source_of(ref: str, tmp: Path) -> Path:
    """A directory holding ``skrnn/`` of the work tree (``.``) or of ``ref``."""
    if ref == ".":
        return REPO
    out = tmp / ref.replace("/", "_")
    out.mkdir()
    archive = out / "skrnn.tar"
    archive.write_bytes(
        subprocess.run(
            ["git", "archive", ref, "skrnn"], cwd=REPO, capture_output=True, check=True
        ).stdout
    )
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    return out


def batch(cell, spec, n_samples, hidden, n_steps, rng):
    """Parameters, input projection, active counts and output gradient."""
    shapes = spec.shapes(64, hidden)
    params = {
        k: (0.1 * rng.standard_normal(shapes[k])).astype(np.float32)
        for k in spec.param_names
    }
    width = shapes[spec.input_weight][1]
    xproj = rng.standard_normal((n_steps, n_samples, width)).astype(np.float32)
    n_active = [n_samples] * (n_steps - 3)
    n_active += [n_samples - 3, n_samples // 2 + 1, 5]
    dout = (0.1 * rng.standard_normal((n_steps, n_samples, hidden))).astype(np.float32)
    return params, xproj, n_active, dout


def timed(spec, params, xproj, n_active, dout):
    """Seconds of forward and of backward, and what they return."""
    xproj = xproj.copy()
    start = time.perf_counter()
    outputs, cache = spec.forward(xproj, n_active, params, True)
    middle = time.perf_counter()
    dxproj, grads = spec.backward(dout, cache, n_active, params)
    end = time.perf_counter()
    return middle - start, end - middle, (outputs, dxproj, *grads.values())


def relative_difference(a, b) -> float:
    return max(
        float(np.abs(x - y).max() / max(np.abs(x).max(), 1e-30))
        for x, y in zip(a, b, strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="git ref of version A")
    parser.add_argument("b", nargs="?", default=".", help="ref of B (work tree)")
    parser.add_argument("--configs", default="a,b,c,d,e")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--steps", type=int, default=24)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from _env import environment_lines, load_average, markdown_table

    print("\n".join(f"- {line}" for line in environment_lines()), flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        versions = {
            v: import_skrnn_nn(source_of(ref, Path(tmp)), f"ab_{v}")
            for v, ref in (("A", args.a), ("B", args.b))
        }
    rng = np.random.default_rng(0)
    with threadpool_limits(1, user_api="blas"):
        for config in args.configs.split(","):
            cell, n_samples, hidden = SHAPES[config]
            data = batch(
                cell, versions["A"].CELLS[cell], n_samples, hidden, args.steps, rng
            )
            best = {v: [np.inf, np.inf] for v in versions}
            results = {}
            for _ in range(args.repeats):
                for v, nn in versions.items():
                    fwd, bwd, results[v] = timed(nn.CELLS[cell], *data)
                    best[v] = [min(best[v][0], fwd), min(best[v][1], bwd)]
            per_step = {v: [s / args.steps * 1e6 for s in best[v]] for v in best}
            (fa, ba), (fb, bb) = per_step["A"], per_step["B"]
            rows.append(
                [
                    f"{config} ({cell}, batch {n_samples}, hidden {hidden})",
                    f"{fa:.1f} / {fb:.1f} = {fa / fb:.2f}",
                    f"{ba:.1f} / {bb:.1f} = {ba / bb:.2f}",
                    f"{(fa + ba) / (fb + bb):.2f}",
                    f"{relative_difference(results['A'], results['B']):.1e}",
                ]
            )
            print(f"  [{config}: load {load_average()}]", file=sys.stderr, flush=True)
    print(f"\nA = {args.a}, B = {args.b}; least of {args.repeats} alternated calls\n")
    headers = [
        "config",
        "forward us/step, A / B",
        "backward us/step, A / B",
        "forward + backward, A / B",
        "outputs and gradients, max rel. diff.",
    ]
    print(markdown_table(headers, rows))
    print(f"\nload average at the end {load_average()}")


if __name__ == "__main__":
    main()
