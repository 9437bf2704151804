"""What a network's table of its whole vocabulary costs a call that makes it.

Usage::

    python benchmarks/vocabulary_table_misses.py
    python benchmarks/vocabulary_table_misses.py --repeats 15

An LSTM of 256 (embedding 64, float32) over MR's 18,396 words, untrained,
predicts 1,067 made-up sentences of 5-40 Zipf-distributed ids
(``predict_logits``, one thread): with a table of the call's distinct ids
(no vocabulary tables), through a table of the whole vocabulary kept from
an earlier call, and through one made by the call (a table dropped for
another network's, as the members of an ensemble that would not all stay
in ``VOCABULARY_TABLES_BYTES`` dropped one another's), calls alternated.
Reported: the median milliseconds of each, and the load.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from skrnn._prediction import VocabularyTables, predict_logits
from skrnn._threads import single_threaded_blas
from skrnn.nn import NetworkConfig, init_params

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import git_state, load_average, markdown_table


def problem(seed: int = 0):
    """The network's configuration and weights, and the sentences' ids."""
    rng = np.random.default_rng(seed)
    n_vocab = 18_396
    config = NetworkConfig(
        n_vocab=n_vocab,
        n_outputs=2,
        cell="lstm",
        hidden_size=256,
        embedding_dim=64,
        pooling="mean",
    )
    params = init_params(config, rng, np.dtype(np.float32), zero_ids=(0, 1))
    sequences = [
        np.minimum(rng.zipf(1.2, size=n) + 1, n_vocab - 1)
        for n in rng.integers(5, 40, size=1_067)
    ]
    return config, params, sequences


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    config, params, sequences = problem()
    print(f"- {git_state()}, load average {load_average()}", flush=True)
    kept = VocabularyTables()
    ways = {
        "distinct ids": lambda: predict_logits(params, sequences, config),
        "kept table": lambda: predict_logits(params, sequences, config, tables=kept),
        "table made": lambda: predict_logits(
            params, sequences, config, tables=VocabularyTables()
        ),
    }
    times = {name: [] for name in ways}
    with single_threaded_blas():
        ways["kept table"]()
        for k in range(args.repeats):
            for name in list(ways)[:: 1 if k % 2 else -1]:
                start = time.perf_counter()
                ways[name]()
                times[name].append(1e3 * (time.perf_counter() - start))
    medians = {name: statistics.median(ms) for name, ms in times.items()}
    base = medians["distinct ids"]
    rows = [[name, f"{ms:.1f}", f"{ms / base:.2f}"] for name, ms in medians.items()]
    print(markdown_table(["way", "ms a call", "ratio"], rows))
    print(f"load average {load_average()}")


if __name__ == "__main__":
    main()
