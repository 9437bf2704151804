"""How far any of a dozen configurations gets on the TREC and SST-2 test sets.

A ceiling, not a selection: each configuration is fitted on the training set
with ``random_state`` 0 and 1 and scored on the **test** set, to learn whether
the published CNN-rand numbers (TREC 91.2, SST-2 82.7) are within reach of a
recurrent network at all.  Choosing a default from this table would be
choosing on test; the defaults were chosen on selection data
(``docs/user_guide/defaults.rst``).  About 45 minutes on two cores::

    python benchmarks/ceiling.py
    python benchmarks/ceiling.py --corpus trec --seeds 0
"""

import argparse
import time
import warnings

from _env import git_state, load_average
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNTextClassifier
from skrnn.datasets import load_sst2, load_trec

#: Changes from the defaults: wider, bidirectional, Kim's embedding width,
#: more dropout, case kept, two layers, mean pooling, other cells.
CONFIGURATIONS = {
    "none (the defaults)": {},
    "`bidirectional=True`": {"bidirectional": True},
    "`bidirectional=True`, emb 128, hidden 128": {
        "bidirectional": True,
        "embedding_dim": 128,
        "hidden_size": 128,
    },
    '`cell="lstm"`, `bidirectional=True`, emb 128, hidden 128': {
        "cell": "lstm",
        "bidirectional": True,
        "embedding_dim": 128,
        "hidden_size": 128,
    },
    "emb 300, hidden 100 (Kim's embedding width)": {
        "embedding_dim": 300,
        "hidden_size": 100,
    },
    "`bidirectional=True`, emb 300, hidden 100, dropout 0.5": {
        "bidirectional": True,
        "embedding_dim": 300,
        "hidden_size": 100,
        "dropout": 0.5,
    },
    "emb 128, hidden 128, dropout 0.5": {
        "embedding_dim": 128,
        "hidden_size": 128,
        "dropout": 0.5,
    },
    "`lowercase=False`": {"lowercase": False},
    "`num_layers=2`": {"num_layers": 2},
    "`input_dropout=0.7`": {"input_dropout": 0.7},
    '`pooling="mean"`': {"pooling": "mean"},
    '`cell="rnn"`, `bidirectional=True`, emb 128, hidden 128': {
        "cell": "rnn",
        "bidirectional": True,
        "embedding_dim": 128,
        "hidden_size": 128,
    },
}

LOADERS = {"trec": load_trec, "sst2": load_sst2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=[*LOADERS, "both"], default="both")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    corpora = list(LOADERS) if args.corpus == "both" else [args.corpus]
    print(f"- command: `python benchmarks/ceiling.py` ({git_state()})")
    print(f"- load average at the start: {load_average()}\n")
    for corpus in corpora:
        X, y = LOADERS[corpus](subset="train", return_X_y=True)
        X_test, y_test = LOADERS[corpus](subset="test", return_X_y=True)
        print(
            f"| configuration (defaults but for) | {corpus} test, seeds "
            f"{'/'.join(map(str, args.seeds))} | best | fit s |"
        )
        print("|---|---|---|---|")
        for name, params in CONFIGURATIONS.items():
            scores, seconds = [], []
            for seed in args.seeds:
                clf = RNNTextClassifier(random_state=seed, **params)
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    clf.fit(X, y)
                seconds.append(time.perf_counter() - start)
                scores.append(100 * clf.score(X_test, y_test))
            print(
                f"| {name} | {' / '.join(f'{s:.1f}' for s in scores)} | "
                f"{max(scores):.1f} | {sum(seconds) / len(seconds):.0f} |",
                flush=True,
            )
        print(f"\nload average at the end: {load_average()}\n")


if __name__ == "__main__":
    main()
