"""Peak memory and time of staged_predict_proba of one long document, A/B.

Usage::

    git archive <commit> skrnn | tar -x -C /tmp/old
    python benchmarks/char_staged_memory.py --other /tmp/old --repeats 2

A classifier with ``char_ngram_range=(1, 16)``, ``max_length=20`` and
``truncating="pre"`` (a tiny network, one epoch) fitted on 300 documents of
3,000 random words, then ``staged_predict_proba`` of one document of
``--tokens`` of those words: the companion reads the whole document, the
network the last 20 tokens.  Each run is a fresh subprocess (peak memory:
``ru_maxrss`` above that after the fit), alternating this checkout's
``skrnn`` and the one under ``--other``; the table gives each one's median.
"""

import argparse
from pathlib import Path

from _env import environment_lines, load_average, run_in_checkout

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time, warnings
import numpy as np
from skrnn import RNNTextClassifier
warnings.simplefilter("ignore")
n_tokens = int(sys.argv[1])
rng = np.random.default_rng(0)
letters = list("abcdefghijklmnop")
vocab = ["".join(rng.choice(letters, rng.integers(4, 10))) for _ in range(3000)]
X = [" ".join(rng.choice(vocab, 30)) for _ in range(300)]
y = rng.integers(0, 2, 300)
clf = RNNTextClassifier(
    hidden_size=4, embedding_dim=4, max_iter=1, random_state=0,
    char_ngram_range=(1, 16), max_length=20, truncating="pre", ngram_weight=0.5,
).fit(X, y)
document = " ".join(rng.choice(vocab, n_tokens))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
begin = time.perf_counter()
clf.staged_predict_proba([document])
seconds = time.perf_counter() - begin
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak}))
"""


def run(path: Path, n_tokens: int) -> dict:
    """One staged prediction in a subprocess importing skrnn from ``path``."""
    return run_in_checkout(path, CHILD, n_tokens)


def main() -> None:
    """Run alternately with both checkouts and print the medians."""
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
    print("| checkout | staged s | peak MB |")
    print("|---|---|---|")
    for name, runs in results.items():
        seconds = sorted(r["seconds"] for r in runs)[len(runs) // 2]
        peak = sorted(r["peak_mb"] for r in runs)[len(runs) // 2]
        print(f"| {name} | {seconds:.1f} | {peak:.0f} |")
    print(f"load after: {load_average()}")


if __name__ == "__main__":
    main()
