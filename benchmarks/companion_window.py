"""What the n-gram companion loses when it reads only a window of each document.

Usage::

    python benchmarks/companion_window.py --data-dir DIR
    python benchmarks/companion_window.py --data-dir DIR --lengths 1000,500

The companion alone (``skrnn._ngrams.fit_ngrams``: NBSVM-bi with the
norms and the inner choice of ``C``, as ``RNNTextClassifier`` fits it) on
RT-2k's 2,000 full-length reviews (``rt2k.all`` in ``--data-dir``, see
``make_rt2k.py``), scored by 10-fold stratified CV (``accuracy.py``'s
folds), once on whole documents and once on each window: the first
``L`` tokens (``truncating="post"``) or the last (``"pre"``), in training
and test alike, as the companion read them when it read the network's
``max_length`` tokens.  The vocabulary is learned on each fold's training
documents, whole.
"""

import argparse
from pathlib import Path

import numpy as np
from _env import environment_lines, markdown_table
from accuracy import KIM_FILES, load_kim_file
from sklearn.model_selection import StratifiedKFold

from skrnn import SequenceVectorizer
from skrnn._ngrams import fit_ngrams, ngram_logits


def windows(sequences, length, truncating):
    """The first (post) or last (pre) ``length`` ids of each sequence."""
    if length is None:
        return sequences
    keep = slice(None, length) if truncating == "post" else slice(-length, None)
    return [seq[keep] for seq in sequences]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="rt2k.all's")
    parser.add_argument(
        "--lengths",
        default="2000,1000,500,250",
        help="window lengths in tokens (default 2000,1000,500,250)",
    )
    parser.add_argument("--folds", type=int, default=10, help="CV folds (10)")
    args = parser.parse_args()
    lengths = [int(n) for n in args.lengths.split(",")]
    X, y = load_kim_file(args.data_dir / KIM_FILES["rt2k"])
    cases = [(None, "whole")] + [(n, t) for n in lengths for t in ("post", "pre")]
    scores = {case: [] for case in cases}
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=0)
    for k, (train, test) in enumerate(cv.split(X, y)):
        vectorizer = SequenceVectorizer().fit([X[i] for i in train])
        whole = vectorizer.transform(X)
        for length, truncating in cases:
            sequences = windows(whole, length, truncating)
            model = fit_ngrams(
                [sequences[i] for i in train],
                y[train],
                np.ones(len(train)),
                ngram_range=(1, 2),
                n_vocab=vectorizer.n_vocab_,
                n_classes=2,
                head="softmax",
            )
            logits = ngram_logits(model, [sequences[i] for i in test])
            scores[length, truncating].append(np.mean(logits.argmax(1) == y[test]))
        print(f"fold {k + 1}/{args.folds} done", flush=True)
    lengths_all = np.array([len(seq) for seq in whole])
    print("\n".join(environment_lines()))
    print()
    rows = []
    for (length, truncating), accuracy in scores.items():
        cut = "" if length is None else f"{np.mean(lengths_all > length):.0%}"
        rows.append(
            [
                "whole documents" if length is None else f"{truncating} {length}",
                cut,
                f"{100 * np.mean(accuracy):.2f} ± "
                f"{100 * np.std(accuracy) / np.sqrt(len(accuracy)):.2f}",
            ]
        )
    headers = ["companion reads", "documents cut", "accuracy % (± SE over folds)"]
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
