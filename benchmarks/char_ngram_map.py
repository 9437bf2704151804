"""Time and peak memory of ``char_ngram_map`` on synthetic vocabularies, A/B.

Usage::

    git archive <commit> skrnn | tar -x -C /tmp/old
    python benchmarks/char_ngram_map.py --other /tmp/old --repeats 3

Each vocabulary is ``--words`` random words of 3 to 11 characters drawn from
an alphabet of 26 letters or of 3,000 CJK ideographs, mapped with the
character ranges (2, 5) and (1, 16).  Each case is run in a fresh
subprocess (for its peak memory, ``ru_maxrss`` above that before the call),
alternating this checkout's ``skrnn`` and the one under ``--other``; the
table gives the median time and peak of each, and their ratio.
"""

import argparse
from pathlib import Path

from _env import environment_lines, load_average, run_in_checkout

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
import numpy as np
from skrnn._ngrams import char_ngram_map
n_letters, n_words, low, high = map(int, sys.argv[1:5])
rng = np.random.default_rng(0)
first = ord("a") if n_letters <= 26 else 0x4E00
alphabet = np.array([chr(first + i) for i in range(n_letters)])
words = ["".join(rng.choice(alphabet, rng.integers(3, 12))) for _ in range(n_words)]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
begin = time.perf_counter()
indptr, indices = char_ngram_map(words, (low, high))
seconds = time.perf_counter() - begin
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "n": len(indices)}))
"""


def run(path: Path, case: tuple[int, int, int, int]) -> dict:
    """One mapping in a subprocess importing skrnn from ``path``."""
    return run_in_checkout(path, CHILD, *case)


def main() -> None:
    """Run the cases alternately with both checkouts and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", type=Path, required=True)
    parser.add_argument("--words", type=int, default=40_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("\n".join(environment_lines()))
    print(f"load before: {load_average()}")
    print("| letters | range | this s | other s | ratio | this MB | other MB |")
    print("|---|---|---|---|---|---|---|")
    for n_letters in (26, 3000):
        for low, high in ((2, 5), (1, 16)):
            case = (n_letters, args.words, low, high)
            times = {"this": [], "other": []}
            peaks = {"this": [], "other": []}
            for _ in range(args.repeats):
                for name, path in (("this", REPO), ("other", args.other)):
                    result = run(path, case)
                    times[name].append(result["seconds"])
                    peaks[name].append(result["peak_mb"])
            t = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
            m = {k: sorted(v)[len(v) // 2] for k, v in peaks.items()}
            print(
                f"| {n_letters} | ({low}, {high}) | {t['this']:.2f} | "
                f"{t['other']:.2f} | {t['this'] / t['other']:.2f} | "
                f"{m['this']:.0f} | {m['other']:.0f} |",
                flush=True,
            )
    print(f"load after: {load_average()}")


if __name__ == "__main__":
    main()
