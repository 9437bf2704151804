"""The speed floor of skrnn's algorithm in numpy: a roofline per configuration.

Usage::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/floor.py
    python benchmarks/floor.py --configs b,e --no-measure   # ~10 s
    python benchmarks/floor.py --full                       # all of MR's batches

One thread throughout (BLAS pinned with ``threadpoolctl``), float32.  For each
configuration a-e of ``speed.py`` it measures:

* **sgemm** at the exact shapes of the products skrnn makes: per time step
  ``h @ W_hh`` (batch x H by H x GH; the gated cells multiply by W_hh as a
  stack of G contiguous H x H gate blocks, timed both ways) and the backward
  ``da @ W_hh.T`` (batch x GH by a contiguous copy of the transpose, as skrnn
  multiplies, and by the transposed view it multiplied by before); per batch
  the input projection ``x @ W_xh``, the gradients ``x.T @ dxproj``,
  ``hs.T @ dxproj`` and ``dxproj @ W_xh.T``, with the mean number of rows of
  a batch of MR;
* **ufuncs**: ns per element of ``tanh``, ``exp``, ``multiply``, ``add``,
  ``subtract`` and a copy, on contiguous (batch, width) arrays and on column
  blocks of a (batch, 4 H) array (how a gate block ``a[:, H:2H]`` of the
  input projection lies in memory: skrnn's steps read and write such blocks
  only when they move a step between the projection's rows and their
  gate-by-gate scratch), at widths H and 3 H, less the fixed cost of a call (timed on a
  tiny 2-D view, and on a 1-element array); the cost of drawing a dropout
  mask per element;
* **the work of one token** of training (forward and backward): the matmul
  FLOPs of each product (recurrent products per real token; the batch-level
  products per position of the padded batch, or per distinct word where
  skrnn projects distinct words only), the elements each ufunc of the cell's
  step touches (the lists in ``STEP_OPS``, read off ``skrnn/nn/_cells.py``),
  the batch-level elementwise work (bias, dropout of the embedded words,
  the RNN's tanh derivative), and the ufunc calls per
  time step, all from the batches of an epoch of MR cut as skrnn cuts them.

From these: the time per token of the matrix products, of the elementwise
work and of the call overhead, and so the best tokens/s this algorithm can
reach in numpy on one thread: *contiguous floor* (products and ufuncs on
contiguous operands, no call overhead: no rearrangement of the same
arithmetic beats it) and *skrnn's layout* (products and ufuncs as skrnn lays
them out, with its calls per step).  Not counted: the embedding lookup and
its gradient's scatter, pooling, the loss, clipping and the optimizer (per
batch, not per step).  Unless ``--no-measure``, one epoch of the estimator
(``RNNTextClassifier`` with ``n_jobs=1``, through ``_skrnn_side.SkrnnRunner``)
is timed on the same sentences, and its share of each limit is printed.

``benchmarks/reach.py`` puts these one-core limits beside torch's training
tokens/s on one and two threads, measured in the same run: the two-core
limit (twice this one) over torch's best is the highest ratio to torch that
any numpy implementation of the algorithm could reach.

Data: the training part of MR's split in ``speed.py``, its first 2,400
sentences unless ``--full``.  On this machine ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE`` may be set for older OpenBLAS builds; they slow the
current one, so unset both for this command (as above): the header shows
the kernel that ran (threadpoolctl) and either variable if set.
"""

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from skrnn._batching import minibatches
from skrnn.nn import CELLS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import busy, environment_lines, git_state, load_average, markdown_table
from _skrnn_side import (
    SkrnnRunner,
    bench_configs,
    mr_split,
    token_ids,
    vectorizer_of,
)

DTYPE = np.float32
UFUNCS = ("tanh", "exp", "multiply", "add", "subtract", "copy")


@dataclass(frozen=True)
class Op:
    """One ufunc call of a cell's time step: kind, width in units of H, layout.

    ``block`` is True when an operand is a column block of a wider array
    (strided rows), as laid out in skrnn.
    """

    kind: str
    width: int
    block: bool


def ops(text: str) -> tuple[Op, ...]:
    """Parse ``"add 4 c, mul 3 b"``: kind, width (x H), c(ontiguous)/b(lock)."""
    kinds = {"add": "add", "sub": "subtract", "mul": "multiply"}
    kinds |= {"tanh": "tanh", "copy": "copy"}
    out = []
    for item in text.split(","):
        kind, width, layout = item.split()
        out.append(Op(kinds[kind], int(width), layout == "b"))
    return tuple(out)


#: The ufunc calls of one time step of each built-in cell, forward and
#: backward, in the order of ``skrnn/nn/_cells.py`` (a registered cell of
#: one's own needs its own entry).  Each step also makes one product.
STEP_OPS = {
    "rnn": {
        # h += xproj; tanh(h)
        "forward": ops("add 1 c, tanh 1 c"),
        # dh + doutputs; da *= ...
        "backward": ops("add 1 c, mul 1 c"),
    },
    "lstm": {
        # a += xproj by gate; a[:3] *= .5; tanh(a); s *= .5; s += .5; f*c;
        # i*g; c += ig; tanh(c); o*tc
        "forward": ops(
            "add 4 b, mul 3 c, tanh 4 c, mul 3 c, add 3 c, mul 1 c, mul 1 c, "
            "add 1 c, tanh 1 c, mul 1 c"
        ),
        # dht; dht*tc; tc*tc; 1-d; d*=o; d*=dht; dc+=d; dc*g; dc*c; dc*i;
        # dc*=f; a*a; s-s*s; 1-t*t; da*=deriv; da into dxproj's rows
        "backward": ops(
            "add 1 c, mul 1 c, mul 1 c, sub 1 c, mul 1 c, mul 1 c, add 1 c, "
            "mul 1 c, mul 1 c, mul 1 c, mul 1 c, mul 4 c, sub 3 c, sub 1 c, "
            "mul 4 c, copy 4 b"
        ),
    },
    "gru": {
        # u_n + b_hn; x_n copied; rz += x; rz *= .5; tanh(rz); s *= .5;
        # s += .5; r*u_n; n += x_n; tanh(n); h_prev - n; h *= z; h += n
        "forward": ops(
            "add 1 c, copy 1 b, add 2 b, mul 2 c, tanh 2 c, mul 2 c, add 2 c, "
            "mul 1 c, add 1 c, tanh 1 c, sub 1 c, mul 1 c, add 1 c"
        ),
        # dht; g*g; s-s*s; 1-t*t; 1-z; *=dht; *=d_n; dan*u_n; *=d_r;
        # h_prev-n; *=dht; *=d_z; dx into dxproj's rows; dan*=r; into du's
        # rows; dht*z; dh +=
        "backward": ops(
            "add 1 c, mul 3 c, sub 2 c, sub 1 c, sub 1 c, mul 1 c, mul 1 c, "
            "mul 1 c, mul 1 c, sub 1 c, mul 1 c, mul 1 c, copy 3 b, mul 1 c, "
            "copy 3 b, mul 1 c, add 1 c"
        ),
    },
}


# ------------------------------------------------------------------- timing


def seconds_per_call(fn, target=0.002, repeat=9) -> float:
    """Fastest mean time of one call of ``fn`` over ``repeat`` timed loops.

    Short loops, and the fastest of them: on a shared machine the chance
    that one loop runs without being descheduled is what matters.
    """
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= target or number >= 1 << 20:
            break
        number *= 2
    best = elapsed / number
    for _ in range(repeat - 1):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def random_array(rng, shape) -> np.ndarray:
    """Standard normal float32 values, clipped to [-3, 3]."""
    return np.clip(rng.standard_normal(shape), -3, 3).astype(DTYPE)


def ufunc_call(kind, rng, rows, width, base_width=None):
    """A call of ``kind`` on (rows, width) operands, or column blocks of them."""
    shape = (rows, base_width or width)
    x, z, out = (random_array(rng, shape) for _ in range(3))
    x, z, out = x[:, :width], z[:, :width], out[:, :width]
    if kind == "copy":
        return lambda: np.copyto(out, x)
    func = getattr(np, kind)
    if func.nin == 1:
        return lambda: func(x, out=out)
    return lambda: func(x, z, out=out)


def call_seconds(rng) -> dict:
    """Fixed cost of a call, with next to no elements to compute.

    Ufuncs: the median over them on a (2, 8) array (key False) and on a
    (2, 8) column block of a (2, 32) array (key True: the strided kind of
    view skrnn's gate blocks are).  ``"matmul"``: a (2, 8) @ (8, 8) product.
    """
    fixed = {
        block: statistics.median(
            seconds_per_call(ufunc_call(kind, rng, 2, 8, 32 if block else None))
            for kind in UFUNCS
        )
        for block in (False, True)
    }
    a, w, out = (random_array(rng, shape) for shape in ((2, 8), (8, 8), (2, 8)))
    fixed["matmul"] = seconds_per_call(lambda: np.matmul(a, w, out=out))
    return fixed


def ufunc_costs(rows, H, rng, fixed) -> dict:
    """ns per element of each ufunc, contiguous and on column blocks.

    The mean over widths H and 3 H of (time - fixed cost) / elements, on
    (rows, width) arrays or on column blocks of (rows, 4 H) arrays.
    ``fixed`` is :func:`call_seconds`'s.
    """
    costs = {}
    for kind in UFUNCS:
        for block in (False, True):
            base = 4 * H if block else None
            per_element = [
                (seconds_per_call(ufunc_call(kind, rng, rows, w, base)) - fixed[block])
                / (rows * w)
                for w in (H, 3 * H)
            ]
            costs[kind, block] = max(statistics.mean(per_element), 0.0) * 1e9
    return costs


def dropout_mask_ns(rng, n_elements) -> float:
    """ns per element of drawing an inverted-dropout mask as skrnn does."""
    gen = np.random.default_rng(0)
    rate = 0.5

    def draw():
        keep = gen.random(n_elements) >= rate
        return keep.astype(DTYPE) / DTYPE(1.0 - rate)

    return seconds_per_call(draw) / n_elements * 1e9


def tiny_call_seconds(rng) -> float:
    """Seconds of ``np.add(a, b, out=c)`` on 1-element arrays."""
    a, b, c = (random_array(rng, (1,)) for _ in range(3))
    return seconds_per_call(lambda: np.add(a, b, out=c))


def sgemm_per_gate(rng, m, k, n_gates, h):
    """Seconds and GFLOP/s of (m, k) @ (n_gates, k, h): the gated cells' step."""
    A = random_array(rng, (m, k))
    B = random_array(rng, (n_gates, k, h))
    out = np.empty((n_gates, m, h), dtype=DTYPE)
    seconds = seconds_per_call(lambda: np.matmul(A, B, out=out))
    return seconds, 2 * m * k * n_gates * h / seconds / 1e9


def sgemm(rng, m, k, n, *, left_t=False, right_t=False, copy=False):
    """Seconds and GFLOP/s of an (m, k) @ (k, n) float32 product.

    ``left_t``/``right_t``: the operand is a transposed view (as ``x.T`` or
    ``W.T``); ``copy``: the right operand is a contiguous copy of a
    transposed view.
    """
    A = random_array(rng, (k, m)).T if left_t else random_array(rng, (m, k))
    B = random_array(rng, (n, k)).T if right_t else random_array(rng, (k, n))
    if copy:
        B = np.ascontiguousarray(B)
    out = np.empty((m, n), dtype=DTYPE)
    seconds = seconds_per_call(lambda: np.matmul(A, B, out=out))
    return seconds, 2 * m * k * n / seconds / 1e9


# ------------------------------------------------------------- the epoch


@dataclass
class EpochShape:
    """Sizes of one epoch of training batches, as skrnn cuts them."""

    tokens: int
    positions: int
    steps: int
    batches: int
    distinct: int

    @property
    def padding(self) -> float:
        """Padded positions per real token."""
        return self.positions / self.tokens

    @property
    def rows_per_step(self) -> float:
        """Mean number of sequences a time step advances."""
        return self.tokens / self.steps

    @property
    def batch_rows(self) -> int:
        """Mean positions of a batch: the rows of its batch-level products."""
        return round(self.positions / self.batches)

    @property
    def distinct_rows(self) -> int:
        """Mean distinct words of a batch."""
        return round(self.distinct / self.batches)


def epoch_shape(sequences, batch_size, seed=0) -> EpochShape:
    """Tokens, padded positions, time steps and distinct words of an epoch."""
    lengths = np.fromiter((len(s) for s in sequences), np.intp, len(sequences))
    rng = np.random.default_rng(seed)
    positions = steps = batches = distinct = 0
    for idx in minibatches(lengths, batch_size, shuffle=True, rng=rng):
        n_steps = int(lengths[idx].max())
        positions += n_steps * len(idx)
        steps += n_steps
        batches += 1
        distinct += len(np.unique(np.concatenate([sequences[i] for i in idx])))
    return EpochShape(int(lengths.sum()), positions, steps, batches, distinct)


# --------------------------------------------------------------- roofline


def roofline(params, shape: EpochShape, rng) -> dict:
    """Measure the building blocks of one configuration; cost one token."""
    cell, H, E = params["cell"], params["hidden_size"], params["embedding_dim"]
    B = params["batch_size"]
    # The width of the input projection, G gate blocks of H, from the registry.
    spec = CELLS[cell]
    GH = spec.shapes(E, H)[spec.input_weight][1]
    G = GH // H
    input_dropout = params["input_dropout"] > 0
    TB, D = shape.batch_rows, shape.distinct_rows
    pad = shape.padding
    # Products: (name, per-token FLOPs, (seconds, GFLOP/s) as skrnn, best).
    step_whole = sgemm(rng, B, H, GH)
    step_fwd = sgemm_per_gate(rng, B, H, G, H) if G > 1 else step_whole
    step_bwd_view = sgemm(rng, B, GH, H, right_t=True)
    step_bwd_copy = sgemm(rng, B, GH, H, right_t=True, copy=True)
    # Without input dropout skrnn projects each distinct word of a batch once.
    proj_rows, proj_per_token = (
        (TB, pad) if input_dropout else (D, shape.distinct / shape.tokens)
    )
    products = [
        ("step `h @ W_hh`", 2 * H * GH, step_fwd, min(step_fwd, step_whole)),
        ("step `da @ W_hh.T`", 2 * GH * H, step_bwd_copy, step_bwd_copy),
        (
            "batch `x @ W_xh`",
            2 * E * GH * proj_per_token,
            sgemm(rng, proj_rows, E, GH),
            None,
        ),
        (
            "batch `x.T @ dxproj`",
            2 * E * GH * pad,
            sgemm(rng, E, TB, GH, left_t=True),
            None,
        ),
        (
            "batch `hs.T @ dxproj`",
            2 * H * GH * pad,
            sgemm(rng, H, TB, GH, left_t=True),
            None,
        ),
        (
            "batch `dxproj @ W_xh.T`",
            2 * GH * E * pad,
            sgemm(rng, TB, GH, E, right_t=True),
            None,
        ),
    ]
    products = [
        (n, f, skrnn, min(skrnn, best or skrnn)) for n, f, skrnn, best in products
    ]
    mm_flops = sum(f for _, f, _, _ in products)
    mm_skrnn = sum(f / (rate * 1e9) for _, f, (_, rate), _ in products)
    mm_best = sum(f / (rate * 1e9) for _, f, _, (_, rate) in products)

    fixed = call_seconds(rng)
    costs = ufunc_costs(B, H, rng, fixed)
    step_ops = STEP_OPS[cell]["forward"] + STEP_OPS[cell]["backward"]
    # Batch-level elementwise work, elements per position of the batch.
    batch_ops = [Op("add", G, False), Op("add", G, False)]  # bias, its gradient
    if cell == "rnn":
        batch_ops += [Op("multiply", 1, False), Op("subtract", 1, False)]  # 1 - h**2
    ew_elements = sum(op.width * H for op in step_ops)
    ew_elements += pad * sum(op.width * H for op in batch_ops)
    ew_skrnn = sum(op.width * H * costs[op.kind, op.block] for op in step_ops)
    ew_best = sum(op.width * H * costs[op.kind, False] for op in step_ops)
    ew_skrnn += pad * sum(op.width * H * costs[op.kind, op.block] for op in batch_ops)
    ew_best += pad * sum(op.width * H * costs[op.kind, False] for op in batch_ops)
    mask_ns = 0.0
    if input_dropout:
        # draw the mask, multiply the inputs and their gradient by it
        mask_ns = dropout_mask_ns(rng, TB * E)
        extra = pad * E * (mask_ns + 2 * costs["multiply", False])
        ew_skrnn += extra
        ew_best += extra
        ew_elements += pad * E * 3
    # The ufuncs and the two products of a step, each at its fixed cost.
    n_calls = len(step_ops) + 2
    step_seconds = 2 * fixed["matmul"] + sum(fixed[op.block] for op in step_ops)
    calls_ns = step_seconds * 1e9 / shape.rows_per_step
    skrnn_ns = mm_skrnn * 1e9 + ew_skrnn + calls_ns
    floor_ns = mm_best * 1e9 + ew_best
    return {
        "products": products,
        "costs": costs,
        "mm_flops": mm_flops,
        "mm_ns": (mm_skrnn * 1e9, mm_best * 1e9),
        "ew_elements": ew_elements,
        "ew_ns": (ew_skrnn, ew_best),
        "mask_ns": mask_ns,
        "n_calls": n_calls,
        "fixed": fixed,
        "step_call_seconds": step_seconds,
        "tiny_call_seconds": tiny_call_seconds(rng),
        "calls_ns": calls_ns,
        "limit": (1e9 / skrnn_ns, 1e9 / floor_ns),
        "step_bwd_view": step_bwd_view,
        "step_whole": step_whole,
    }


def measure_skrnn(params, split, epochs=2) -> float:
    """Training tokens/s of the estimator on one thread, median of ``epochs``."""
    X_train, _, y_train, _ = split
    runner = SkrnnRunner(params, X_train, y_train, n_jobs=1)
    runner.warm_up()
    n_tokens = sum(len(s) for s in token_ids(runner.clf, X_train))
    return statistics.median(n_tokens / runner.epoch() for _ in range(epochs))


# ------------------------------------------------------------------ report


def fmt(x, digits=0) -> str:
    """A number with thousands separators."""
    return f"{x:,.{digits}f}"


def report(results, configs, shapes, measured) -> str:
    """The roofline table, then the building blocks behind it."""
    rows = []
    for name, r in results.items():
        shape = shapes[name]
        limit_skrnn, limit_floor = r["limit"]
        row = [
            name,
            configs[name].describe(),
            f"{r['mm_flops'] / 1e6:.2f}",
            f"{r['mm_ns'][0] / 1e3:.2f} / {r['mm_ns'][1] / 1e3:.2f}",
            fmt(r["ew_elements"]),
            f"{r['ew_ns'][0] / 1e3:.2f} / {r['ew_ns'][1] / 1e3:.2f}",
            f"{r['n_calls']} calls, {r['step_call_seconds'] * 1e6:.1f} us / "
            f"{shape.rows_per_step:.1f} = {r['calls_ns'] / 1e3:.2f}",
            fmt(limit_skrnn),
            fmt(limit_floor),
        ]
        if measured:
            rate = measured[name]
            row += [
                fmt(rate),
                f"{rate / limit_skrnn:.0%} / {rate / limit_floor:.0%}",
            ]
        rows.append(row)
    headers = [
        "config",
        "network",
        "matmul MFLOP/token",
        "matmul us/token (skrnn / contiguous)",
        "elementwise elements/token",
        "elementwise us/token (skrnn / contiguous)",
        "fixed cost of a step's calls / rows per step = us/token",
        "limit tok/s, skrnn's layout and calls",
        "limit tok/s, contiguous floor",
    ]
    if measured:
        headers += ["measured tok/s (estimator, 1 thread)", "share of the limits"]
    parts = [
        "## Roofline of one training token, one thread\n",
        markdown_table(headers, rows),
        "",
        "*skrnn's layout*: products with the operands skrnn passes, ufuncs "
        "as its steps lay them out (column blocks where a step moves between "
        "the projection's rows and its gate-by-gate scratch: `STEP_OPS`), its "
        "ufunc calls per step at the measured fixed cost each. "
        "*Contiguous floor*: the same "
        "arithmetic with contiguous operands and no call overhead. Both leave "
        "out the embedding lookup and scatter, pooling, the loss, clipping and "
        "the optimizer.",
    ]
    batch_rows = [
        [
            name,
            fmt(shapes[name].tokens),
            f"{shapes[name].padding:.3f}",
            f"{shapes[name].rows_per_step:.1f}",
            fmt(shapes[name].batch_rows),
            fmt(shapes[name].distinct_rows),
        ]
        for name in results
    ]
    parts += [
        "\n## The epoch's batches (MR, cut as skrnn cuts them)\n",
        markdown_table(
            [
                "config",
                "tokens",
                "padded positions per token",
                "rows per time step",
                "positions per batch",
                "distinct words per batch",
            ],
            batch_rows,
        ),
    ]
    mm_rows = []
    for name, r in results.items():
        for label, flops, (s, rate), (s_best, rate_best) in r["products"]:
            best = "" if s_best == s else f"{s_best * 1e6:.1f} us, {rate_best:.1f}"
            mm_rows.append(
                [
                    name,
                    label,
                    f"{flops:,.0f}",
                    f"{s * 1e6:.1f} us, {rate:.1f}",
                    best,
                ]
            )
        for label, (s, rate) in (
            (
                "step `da @ W_hh.T`, on the transposed view (skrnn before)",
                r["step_bwd_view"],
            ),
            ("step `h @ W_hh`, one (batch, G H) product", r["step_whole"]),
        ):
            mm_rows.append([name, label, "", f"{s * 1e6:.1f} us, {rate:.1f}", ""])
    parts += [
        "\n## sgemm at skrnn's shapes, one thread\n",
        "Per-step products at the full batch; batch products at the mean rows "
        "of a batch. GFLOP/s after the time; *contiguous*: the right operand "
        "copied to a contiguous array first.\n",
        markdown_table(
            [
                "config",
                "product",
                "FLOPs per token",
                "time, GFLOP/s",
                "contiguous: time, GFLOP/s",
            ],
            mm_rows,
        ),
    ]
    uf_rows = []
    for name, r in results.items():
        c = r["costs"]
        p = configs[name].params
        row = [name, f"({p['batch_size']}, {p['hidden_size']})"]
        row += [f"{c[k, False]:.2f} / {c[k, True]:.2f}" for k in UFUNCS]
        fixed = r["fixed"]
        row += [
            f"{fixed[False] * 1e6:.2f} / {fixed[True] * 1e6:.2f}",
            f"{fixed['matmul'] * 1e6:.2f}",
            f"{r['tiny_call_seconds'] * 1e6:.2f}",
            f"{r['mask_ns']:.2f}" if r["mask_ns"] else "",
        ]
        uf_rows.append(row)
    parts += [
        "\n## ufuncs, one thread: ns per element, contiguous / column block\n",
        "Mean over widths H and 3 H of (time - fixed cost) / elements, on "
        "(batch, width) arrays or column blocks of a (batch, 4 H) array. The "
        "fixed cost of a call: the median over the ufuncs on a (2, 8) array / "
        "a (2, 8) column block of a (2, 32) array; a (2, 8) @ (8, 8) product; "
        "`np.add` on 1-element arrays.\n",
        markdown_table(
            [
                "config",
                "(batch, H)",
                *UFUNCS,
                "fixed cost of a ufunc call, us",
                "of a tiny matmul, us",
                "1-element ufunc call, us",
                "dropout mask ns/element",
            ],
            uf_rows,
        ),
    ]
    return "\n".join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--configs", default="a,b,c,d,e", help="comma-separated subset of a-e"
    )
    parser.add_argument(
        "--full", action="store_true", help="all 9,595 MR training sentences"
    )
    parser.add_argument(
        "--no-measure",
        action="store_true",
        help="do not time the estimator's epoch beside the limits",
    )
    args = parser.parse_args(argv)
    configs = bench_configs()
    names = [c.strip() for c in args.configs.split(",") if c.strip()]
    if not names or set(names) - set(configs):
        parser.error(f"--configs: choose among {','.join(configs)}")

    start = time.perf_counter()
    print("# The numpy floor of skrnn's algorithm\n")
    lines = environment_lines()
    lines.append("one BLAS thread (threadpoolctl), float32")
    if busy():
        lines.append(
            "**warning: the machine is busy**: every cost below is inflated by "
            "contention; compare with a run on a quiet machine."
        )
    print("\n".join(f"- {line}" for line in lines), flush=True)
    split = mr_split(quick=not args.full)
    rng = np.random.default_rng(0)
    results, shapes, measured = {}, {}, {}
    with threadpool_limits(1, user_api="blas"):
        for name in names:
            params = configs[name].params
            if not args.no_measure:
                measured[name] = measure_skrnn(params, split)
            ids = vectorizer_of(params).fit_transform(split[0])
            shapes[name] = epoch_shape(ids, params["batch_size"])
            results[name] = roofline(params, shapes[name], rng)
            print(f"  [{name}: {time.perf_counter() - start:.0f} s]", file=sys.stderr)
    print()
    print(report(results, configs, shapes, measured))
    print(
        f"\nRun time {time.perf_counter() - start:.0f} s; load average at the "
        f"end {load_average()}; code {git_state()}"
    )


if __name__ == "__main__":
    main()
