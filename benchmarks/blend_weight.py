"""Where the fixed blend fails: few documents, many classes; a held-out weight.

Usage::

    python benchmarks/blend_weight.py --corpora topics50,topics200
    python benchmarks/blend_weight.py --corpora rt200,rt500 --data-dir DIR
    python benchmarks/blend_weight.py --corpora mr,trec,sst2,sst5  # ~10 min

The default blend gives the n-gram companion a fixed weight (0.7,
geometric).  Where the network overfits a small training set, its confident
log-probabilities can pull the blend far below the companion alone.  For
each corpus this fits the defaults (``random_state=0``) on nine tenths of the
training documents (stratified; the held-out part has one document of every
class at least, so a seventh of ``topics200``'s), then reports on the test
documents: the network alone, the companion alone, the fixed blend, and the
blend whose
weight (among :data:`WEIGHTS`) has the least log-loss on the held-out
tenth; beside them the defaults fitted on all the training documents, and
TF-IDF (1-2 grams, sublinear) + LogisticRegression (C=10).  A first look at
what choosing the weight on held-out data would do, not a selection.

Corpora:

* ``topicsN``: N topics of 10 documents (7 to train, 3 to test), each a
  movie-review sentence (MR, bundled) of which about 30% of the words are
  replaced by words of the topic's own 20 (drawn from MR's words seen 5 to 50
  times): many classes of a few documents each;
* ``rtN``: N training documents of RT-2k's full-length reviews
  (``rt2k.all`` in ``--data-dir``, see ``make_rt2k.py``), tested on 1,000
  others: few long documents;
* ``mr``, ``trec``, ``sst2``, ``sst5``: the selection protocol's training
  data (``selection.py``; never the test sets), one stratified split of a
  fifth to test on: what a held-out weight would do where the defaults were
  chosen (one split: about +-0.5 to 1 point of noise).
"""

import argparse
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np
from _env import environment_lines, markdown_table
from accuracy import KIM_FILES, load_kim_file
from selection import CORPORA
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skrnn import RNNTextClassifier
from skrnn.datasets import load_movie_reviews

#: The companion's weights the held-out tenth chooses among.
WEIGHTS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0)


def topics(n_topics: int):
    """Training and test documents of ``n_topics`` topics (see the docstring)."""
    rng = random.Random(0)
    sentences = list(load_movie_reviews(return_X_y=True)[0])
    rng.shuffle(sentences)
    counts = Counter(word for sentence in sentences for word in sentence.split())
    words = sorted(w for w, c in counts.items() if 5 <= c <= 50 and w.isalpha())
    rng.shuffle(words)
    documents, labels = [], []
    for topic in range(n_topics):
        own = words[(topic * 20) % len(words) :][:20]
        for i in range(10):
            sentence = sentences[(topic * 10 + i) % len(sentences)].split()
            replaced = [rng.choice(own) if rng.random() < 0.3 else w for w in sentence]
            documents.append(" ".join(replaced))
            labels.append(f"topic_{topic}")
    return train_test_split(
        documents, np.array(labels), test_size=0.3, stratify=labels, random_state=0
    )


def reviews(n_train: int, data_dir: Path):
    """``n_train`` RT-2k reviews to train on and 1,000 others to test on."""
    X, y = load_kim_file(data_dir / KIM_FILES["rt2k"])
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=1000, stratify=y, random_state=0
    )
    X_train, _, y_train, _ = train_test_split(
        X_pool, y_pool, train_size=n_train, stratify=y_pool, random_state=0
    )
    return X_train, X_test, y_train, y_test


def geometric(p_network, p_companion, w):
    """The normalised geometric blend of two arrays of class probabilities."""
    with np.errstate(divide="ignore"):
        z = (1 - w) * np.log(p_network) + w * np.log(p_companion)
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def parts(model, X):
    """The network's and the companion's probabilities of documents ``X``."""
    weight = model.ngram_weight
    network = model.set_params(ngram_weight=0.0).predict_proba(X)
    companion = model.set_params(ngram_weight=1.0).predict_proba(X)
    model.set_params(ngram_weight=weight)
    return network, companion


def run(X_train, X_test, y_train, y_test):
    """One corpus's row: accuracies, the chosen weight, fit seconds."""
    # a tenth, but one document of every class at least
    held_out = max(round(0.1 * len(y_train)), len(np.unique(y_train)))
    X_fit, X_held, y_fit, y_held = train_test_split(
        X_train, y_train, test_size=held_out, stratify=y_train, random_state=0
    )
    start = time.perf_counter()
    model = RNNTextClassifier(random_state=0).fit(X_fit, y_fit)
    seconds = time.perf_counter() - start
    held = np.searchsorted(model.classes_, y_held)
    test = np.searchsorted(model.classes_, y_test)
    held_network, held_companion = parts(model, X_held)
    network, companion = parts(model, X_test)
    losses = [
        -np.mean(
            np.log(
                np.maximum(geometric(held_network, held_companion, w), 1e-300)[
                    np.arange(len(held)), held
                ]
            )
        )
        for w in WEIGHTS
    ]
    chosen = WEIGHTS[int(np.argmin(losses))]
    accuracy = lambda p: np.mean(p.argmax(axis=1) == test)  # noqa: E731
    full = RNNTextClassifier(random_state=0).fit(X_train, y_train)
    tfidf = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=10, max_iter=1000),
    ).fit(X_train, y_train)
    return [
        f"{accuracy(network):.3f}",
        f"{accuracy(companion):.3f}",
        f"{accuracy(geometric(network, companion, 0.7)):.3f}",
        f"{accuracy(geometric(network, companion, chosen)):.3f} (w={chosen})",
        f"{np.mean(full.predict(X_test) == y_test):.3f}",
        f"{np.mean(tfidf.predict(X_test) == y_test):.3f}",
        f"{seconds:.1f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", default="topics50,topics200")
    parser.add_argument("--data-dir", type=Path, help="rt2k.all's, for rtN")
    args = parser.parse_args()
    rows = []
    for name in args.corpora.split(","):
        if name.startswith("topics"):
            X_train, X_test, y_train, y_test = topics(int(name[len("topics") :]))
        elif name.startswith("rt") and args.data_dir is not None:
            X_train, X_test, y_train, y_test = reviews(int(name[2:]), args.data_dir)
        elif name in CORPORA:
            X, y = CORPORA[name]()
            X_train, X_test, y_train, y_test = train_test_split(
                list(X), np.asarray(y), test_size=0.2, stratify=y, random_state=0
            )
        else:
            parser.error(
                f"--corpora: {name!r} is not topicsN, rtN with --data-dir, or "
                f"one of {', '.join(CORPORA)}"
            )
        rows.append(
            [
                f"{name} ({len(X_train)} training documents)",
                *run(X_train, X_test, y_train, y_test),
            ]
        )
        print(f"{name} done", flush=True)
    print("\n".join(environment_lines()))
    print()
    headers = [
        "corpus",
        "network alone",
        "companion alone",
        "defaults' blend (0.7)",
        "held-out weight",
        "defaults on all the training data",
        "TF-IDF + LR",
        "fit s (nine tenths)",
    ]
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
