"""Peak memory and time of the companion's fit with characters, A/B.

Usage::

    git archive <commit> skrnn | tar -x -C /tmp/old
    python benchmarks/char_fit_memory.py --other /tmp/old --repeats 2

``fit_ngrams`` with ``ngram_range=(1, 2)`` and ``char_range=(2, 5)`` on
``--tokens`` tokens in documents of 200, drawn from a Zipf law (``p ~ 1 /
rank``) over 20,000 random words of 3 to 11 letters, two classes at random.
Each fit runs in a fresh subprocess (peak memory: ``ru_maxrss`` above that
before the fit), alternating this checkout's ``skrnn`` and the one under
``--other``; the table gives each one's median.
"""

import argparse
from pathlib import Path

from _env import environment_lines, load_average, run_in_checkout

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time, warnings
import numpy as np
from skrnn._ngrams import fit_ngrams
warnings.simplefilter("ignore")
n_tokens = int(sys.argv[1])
rng = np.random.default_rng(0)
V = 20_000
letters = list("abcdefghijklmnopqrstuvwxyz")
words = ["<pad>", "<unk>"] + [
    "".join(rng.choice(letters, rng.integers(3, 12))) for _ in range(V - 2)
]
p = 1 / np.arange(1, V - 1)
p /= p.sum()
n_docs = n_tokens // 200
sequences = [rng.choice(np.arange(2, V), 200, p=p) for _ in range(n_docs)]
y = rng.integers(0, 2, n_docs)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
begin = time.perf_counter()
fit_ngrams(
    sequences, y, np.ones(n_docs), ngram_range=(1, 2), n_vocab=V, n_classes=2,
    head="softmax", whole_documents=True, char_range=(2, 5), words=words,
)
seconds = time.perf_counter() - begin
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak}))
"""


def run(path: Path, n_tokens: int) -> dict:
    """One fit in a subprocess importing skrnn from ``path``."""
    return run_in_checkout(path, CHILD, n_tokens)


def main() -> None:
    """Fit alternately with both checkouts and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", type=Path, required=True)
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print("\n".join(environment_lines()))
    print(f"load before: {load_average()}")
    results = {"this": [], "other": []}
    for _ in range(args.repeats):
        for name, path in (("this", REPO), ("other", args.other)):
            results[name].append(run(path, args.tokens))
    print("| checkout | fit s | peak MB |")
    print("|---|---|---|")
    for name, runs in results.items():
        seconds = sorted(r["seconds"] for r in runs)[len(runs) // 2]
        peak = sorted(r["peak_mb"] for r in runs)[len(runs) // 2]
        print(f"| {name} | {seconds:.1f} | {peak:.0f} |")
    print(f"load after: {load_average()}")


if __name__ == "__main__":
    main()
