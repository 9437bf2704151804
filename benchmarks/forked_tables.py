"""A forked child's first prediction: the parent's vocabulary table kept or made again.

Usage::

    python benchmarks/forked_tables.py
    python benchmarks/forked_tables.py --hidden 128 --repeats 9

As a server that loads a model and then forks its workers: an LSTM of
``--hidden`` units over MR's vocabulary (fitted for one epoch on 9,000 of
its sentences) predicts once in this process, which makes its table of the
whole vocabulary (:class:`skrnn._prediction.VocabularyTables`); then
children forked from it (``multiprocessing``'s fork) each predict one
sentence and report the seconds of that first call and the private memory
(``/proc/self/smaps_rollup``) it added.  In the "dropped" children the
tables are cleared first, as skrnn did in every forked child before it kept
them; the two kinds alternate, and the figures are the medians of
``--repeats`` children of each.  Linux only.
"""

import argparse
import multiprocessing
import statistics
import time

import numpy as np

from skrnn import RNNTextClassifier, _prediction
from skrnn.datasets import load_movie_reviews


def private_mb() -> float:
    """This process's private memory, in MB."""
    kb = 0
    with open("/proc/self/smaps_rollup") as smaps:
        for line in smaps:
            if line.startswith(("Private_Dirty", "Private_Clean")):
                kb += int(line.split()[1])
    return kb / 1024


def child(clf, text, drop, queue) -> None:
    if drop:
        _prediction.VOCABULARY_TABLES._tables.clear()
    before = private_mb()
    start = time.perf_counter()
    clf.predict_proba([text])
    queue.put((time.perf_counter() - start, private_mb() - before))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    data = load_movie_reviews()
    order = np.random.default_rng(0).permutation(len(data.data))
    texts = [data.data[i] for i in order]
    labels = np.asarray(data.target)[order]
    clf = RNNTextClassifier(
        cell="lstm",
        hidden_size=args.hidden,
        ngram_range=None,
        max_iter=1,
        batch_size=512,
        random_state=0,
    ).fit(texts[:9000], labels[:9000])
    clf.predict_proba(texts[:5])
    n_bytes = sum(
        table.n_bytes for table in _prediction.VOCABULARY_TABLES._tables.values()
    )
    fork = multiprocessing.get_context("fork")
    results = {"kept": [], "dropped": []}
    for k in range(args.repeats):
        for name in ("kept", "dropped")[:: 1 if k % 2 else -1]:
            queue = fork.Queue()
            process = fork.Process(
                target=child, args=(clf, texts[9000 + k], name == "dropped", queue)
            )
            process.start()
            results[name].append(queue.get())
            process.join()
    print(
        f"LSTM of {args.hidden} over {clf.vectorizer_.n_vocab_} words, a table of "
        f"{n_bytes / 2**20:.0f} MB; medians of {args.repeats} children\n"
    )
    print("| the parent's table | first call, ms | private MB added |")
    print("|---|---|---|")
    for name, runs in results.items():
        seconds = statistics.median(run[0] for run in runs)
        mb = statistics.median(run[1] for run in runs)
        print(f"| {name} | {seconds * 1e3:.1f} | {mb:.1f} |")


if __name__ == "__main__":
    main()
