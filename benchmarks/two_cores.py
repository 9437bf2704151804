"""What it takes for one training step to use both cores: threads or processes.

Usage::

    python benchmarks/two_cores.py                 # configs a-e, ~1 min
    python benchmarks/two_cores.py --configs b,c --repeats 9

skrnn splits a minibatch of more than ``SHARD_SIZE`` (64) documents into
shards whose gradients run on ``n_jobs`` threads: numpy releases the GIL in
its loops and products.  Configurations a-c train in batches of 64, one
shard, so ``n_jobs=2`` leaves the second core idle; d's batches of 128 make
two shards and train 1.8 times faster on two threads.  This script measures,
at each configuration's shapes (one BLAS thread, float32), whether halving
the batch onto two threads could do for a-c what it does for d, and what the
alternative would give:

* **one operation on two threads**: the step's product ``h @ W_hh``, a
  ``tanh`` over its gates and a ``multiply`` of (batch, H) arrays, each
  called over and over on one thread, then on two threads at once (each on
  its own arrays), and the throughput of the two against one;
* **one batch's gradient** (``skrnn.nn.loss_and_grad`` on a batch of the
  configuration's size, of documents of similar lengths as skrnn batches
  them, drawn from MR's; no dropout): as one shard; as two half shards one
  after the other (what the split costs a single core); as two half shards
  on two threads; and as two half shards of which a second
  *process* (forked, the parameters in shared memory, the gradients sent
  back through a pipe) computes one while this one computes the other.

Each variant is timed in turn with the others, ``--repeats`` times over the
same batches; the table gives the least time per batch (the least disturbed
by other processes) and the speed-up over the single shard.  Run it on a
quiet machine: a busy second core is exactly what it measures.
"""

import argparse
import mmap
import multiprocessing
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from _env import environment_lines, load_average, markdown_table
from _skrnn_side import bench_configs, mr_split
from threadpoolctl import threadpool_limits

from skrnn import SequenceVectorizer
from skrnn._batching import pad_batch
from skrnn.nn import NetworkConfig
from skrnn.nn._network import init_params, loss_and_grad

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def op_scaling(fn_pair, calls: int, repeats: int) -> tuple[float, float]:
    """Seconds per call on one thread, and the two threads' throughput ratio."""

    def loop(fn, barrier):
        barrier.wait()
        for _ in range(calls):
            fn()

    def timed(fns):
        barrier = threading.Barrier(len(fns))
        threads = [threading.Thread(target=loop, args=(fn, barrier)) for fn in fns]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - start

    one, two = [], []
    for _ in range(repeats):
        one.append(timed(fn_pair[:1]))
        two.append(timed(fn_pair))
    return min(one) / calls, 2 * min(one) / min(two)


def step_operations(cell: str, hidden: int, batch: int, rng) -> dict:
    """Pairs of callables (independent arrays) for three operations of a step."""
    width = GATES[cell] * hidden

    def product():
        h = rng.random((batch, hidden), dtype=np.float32)
        W = rng.random((hidden, width), dtype=np.float32)
        out = np.empty((batch, width), np.float32)
        return lambda: np.matmul(h, W, out=out)

    def tanh():
        a = rng.random((batch, width), dtype=np.float32)
        out = np.empty_like(a)
        return lambda: np.tanh(a, out=out)

    def multiply():
        a = rng.random((batch, hidden), dtype=np.float32)
        out = np.empty_like(a)
        return lambda: np.multiply(a, a, out=out)

    makers = {
        f"`h @ W_hh` ({batch}x{hidden} by {hidden}x{width})": product,
        f"`tanh` ({batch}x{width})": tanh,
        f"`multiply` ({batch}x{hidden})": multiply,
    }
    return {name: (make(), make()) for name, make in makers.items()}


def shared_params(params: dict) -> dict:
    """Copies of the arrays in anonymous shared memory, which a fork inherits."""
    shared = {}
    for name, value in params.items():
        buffer = mmap.mmap(-1, max(value.nbytes, 1))
        array = np.frombuffer(buffer, value.dtype, value.size).reshape(value.shape)
        array[...] = value
        shared[name] = array
    return shared


def serve(connection, params, config) -> None:
    """The worker process: gradients of the half shards it is sent."""
    with threadpool_limits(1, user_api="blas"):
        while (message := connection.recv()) is not None:
            connection.send(loss_and_grad(params, *message, config))


def make_batches(cfg, lengths_pool, n_vocab, n_batches, rng):
    """Padded batches of random ids of documents of similar lengths.

    skrnn's batches are cut from documents bucketed by length: each batch
    here takes ``batch_size`` consecutive lengths of MR's sorted lengths,
    from a random place.
    """
    pool = np.sort(lengths_pool)[::-1]
    size = cfg["batch_size"]
    batches = []
    for _ in range(n_batches):
        start = rng.integers(0, len(pool) - size)
        docs = [rng.integers(2, n_vocab, n) for n in pool[start : start + size]]
        ids, lengths = pad_batch(docs)
        batches.append((ids, lengths, rng.integers(0, 2, size)))
    return batches


def halves(batch):
    """The batch's two interleaved halves, each still sorted by length."""
    ids, lengths, y = batch
    return [
        (np.ascontiguousarray(ids[: lengths[k], k::2]), lengths[k::2], y[k::2])
        for k in range(2)
    ]


def network_and_batches(cfg, lengths_pool, n_vocab, n_batches):
    """A configuration's network (its weights shared), batches, and their halves."""
    rng = np.random.default_rng(0)
    config = NetworkConfig(
        n_vocab=n_vocab,
        n_outputs=2,
        cell=cfg["cell"],
        hidden_size=cfg["hidden_size"],
        embedding_dim=cfg["embedding_dim"],
        pooling=cfg["pooling"],
    )
    params = shared_params(init_params(config, rng, np.dtype(np.float32)))
    batches = make_batches(cfg, lengths_pool, n_vocab, n_batches, rng)
    return config, params, batches, [halves(batch) for batch in batches]


def gradient_scaling(cfg, lengths_pool, n_vocab, repeats, n_batches):
    """Least seconds per batch of each way to compute one batch's gradient."""
    config, params, batches, split = network_and_batches(
        cfg, lengths_pool, n_vocab, n_batches
    )

    def grad(part):
        return loss_and_grad(params, *part, config)

    variants = {
        "one shard": lambda: [grad(batch) for batch in batches],
        "two shards in turn": lambda: [grad(p) for parts in split for p in parts],
    }
    pool = ThreadPoolExecutor(2)
    variants["two shards, two threads"] = lambda: [
        list(pool.map(grad, parts)) for parts in split
    ]
    worker = None
    if "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        here, there = context.Pipe()
        worker = context.Process(target=serve, args=(there, params, config))
        worker.start()

        def two_processes():
            for first, second in split:
                here.send(second)
                grad(first)
                here.recv()

        variants["two shards, two processes"] = two_processes
    times = {variant: [] for variant in variants}
    try:
        for run in variants.values():
            run()  # warm up
        for _ in range(repeats):
            for variant, run in variants.items():
                start = time.perf_counter()
                run()
                times[variant].append((time.perf_counter() - start) / n_batches)
    finally:
        pool.shutdown()
        if worker is not None:
            here.send(None)
            worker.join()
    best = {variant: min(values) for variant, values in times.items()}
    return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="a,b,c,d,e")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args(argv)
    configs = bench_configs()
    names = args.configs.split(",")
    print("\n".join(environment_lines()))
    print(f"- command: `python benchmarks/two_cores.py {' '.join(sys.argv[1:])}`")

    X_train, *_ = mr_split()
    vectorizer = SequenceVectorizer().fit(X_train)
    lengths_pool = np.array([len(s) for s in vectorizer.transform(X_train) if len(s)])
    n_vocab = len(vectorizer.vocabulary_) + 2

    rng = np.random.default_rng(0)
    op_rows, grad_rows = [], []
    with threadpool_limits(1, user_api="blas"):
        for name in names:
            cfg = configs[name].params
            ops = step_operations(
                cfg["cell"], cfg["hidden_size"], cfg["batch_size"], rng
            )
            for op, pair in ops.items():
                seconds, speedup = op_scaling(pair, args.calls, args.repeats)
                op_rows.append([name, op, f"{seconds * 1e6:.2f}", f"{speedup:.2f}"])
            best = gradient_scaling(
                cfg, lengths_pool, n_vocab, args.repeats, args.batches
            )
            one = best["one shard"]
            grad_rows.append(
                [name, configs[name].describe()]
                + [
                    f"{best[v] * 1e3:.2f} ({one / best[v]:.2f}x)"
                    if v in best
                    else "n/a"
                    for v in (
                        "one shard",
                        "two shards in turn",
                        "two shards, two threads",
                        "two shards, two processes",
                    )
                ]
            )
            print(f"  [{name}: load {load_average()}]", file=sys.stderr)
    print("\nOne operation of a step, called on one thread and on two at once:\n")
    print(
        markdown_table(
            [
                "config",
                "operation",
                "us per call, 1 thread",
                "2 threads' throughput / 1",
            ],
            op_rows,
        )
    )
    print(
        "\nOne batch's gradient (`loss_and_grad`), ms per batch (speed-up over one"
        " shard):\n"
    )
    print(
        markdown_table(
            [
                "config",
                "network",
                "one shard",
                "two half shards in turn",
                "two threads",
                "two processes",
            ],
            grad_rows,
        )
    )
    print(f"\nload average at the end {load_average()}")


if __name__ == "__main__":
    main()
