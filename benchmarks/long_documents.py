"""Long documents made of the sentence corpora, and the defaults measured on them.

Usage::

    python benchmarks/long_documents.py --corpora mr,trec
    python benchmarks/long_documents.py --corpora mr --n-train 2000 \\
        --candidates '[{}, {"max_iter": 4}, {"max_length": 400}]'
    python benchmarks/long_documents.py --corpora mr --validation \\
        --candidates '[{}, {"max_iter": 4}]'

We have no corpus of long documents offline, so this builds stand-ins: each
document is 5 to 50 sentences (``--sentences``) of one sentence corpus,
most of them of the document's label and a share of them (drawn per
document, uniformly in ``--mix``, 0.1 to 0.4 by default) of another label,
so that a document is not given away by its first sentence.  MR's
sentences are about 21 tokens long, so its documents have about 100 to
1,000 tokens; TREC's questions (about 11 tokens, 6 classes) give 50 to 550.
The training documents are made of the source's training sentences and the
test documents of its test sentences (MR: a fixed 80/20 split; SST-2 and
SST-5: train+dev against test; TREC: train against test), so no test
sentence is ever trained on; within a split, each class's sentences are
drawn without replacement until they run out, then reshuffled and drawn
again, so a training sentence recurs in a few documents, as a quoted line
recurs in real reviews.  ``make_long_documents`` and ``load_long`` build
them for other scripts.

Each model is fitted on the training documents and scored on the test
documents (``--validation``: on validation documents instead, made of a
held-out fifth of the source's training sentences, the training documents
of the other four fifths, for choosing without the test set; a fifth of
the training documents would share their sentences), side by side: every
RNNTextClassifier candidate (parameters over skrnn's defaults) with its
epochs run, tokens per epoch and token-epochs (counts that do not depend on
the load of the machine), its fit's wall and CPU seconds (the CPU
seconds, this process's, depend less on what else the machine runs), the
wall seconds its n-gram companion took, and the
accuracy of its network alone (``ngram_weight=0``) and its companion alone
(``ngram_weight=1``), read from the same fit; and TF-IDF+LR and NBSVM-bi
(``_baselines.py``).
"""

import argparse
import json
import time
import warnings

import numpy as np
from _baselines import make_nbsvm_bi
from _env import environment_lines, markdown_table
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

import skrnn._classifier
from skrnn import RNNTextClassifier
from skrnn.datasets import load_movie_reviews, load_sst2, load_sst5, load_trec


def _mr():
    X, y = load_movie_reviews(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0
    )
    return (X_train, y_train), (X_test, y_test)


def _sst(load):
    def split():
        X, y = load(subset="train", return_X_y=True)
        X_dev, y_dev = load(subset="dev", return_X_y=True)
        test = load(subset="test", return_X_y=True)
        return (list(X) + list(X_dev), np.concatenate([y, y_dev])), test

    return split


def _trec():
    return load_trec(subset="train", return_X_y=True), load_trec(
        subset="test", return_X_y=True
    )


#: The source sentences of each corpus: (training, test) pairs of (X, y).
SOURCES = {"mr": _mr, "sst2": _sst(load_sst2), "sst5": _sst(load_sst5), "trec": _trec}


def make_long_documents(
    sentences, labels, n_documents, *, sentences_range=(5, 50), mix=(0.1, 0.4), rng
):
    """Documents of ``sentences_range`` sentences, mostly of one label.

    Each document draws its label uniformly among the classes, its number
    of sentences uniformly in ``sentences_range`` (both ends included) and
    its share of sentences of other labels uniformly in ``mix``; each of its
    sentences is then of the document's label, or with that probability of
    another label drawn uniformly.  Each class's sentences are drawn without
    replacement, reshuffled when they run out.  Returns the documents (the
    sentences joined by spaces) and their labels.
    """
    labels = np.asarray(labels)
    classes = np.unique(labels)
    pools = {c: np.flatnonzero(labels == c) for c in classes}
    queues = {c: [] for c in classes}

    def draw(c):
        if not queues[c]:
            queues[c] = list(rng.permutation(pools[c]))
        return sentences[queues[c].pop()]

    documents, targets = [], []
    for _ in range(n_documents):
        label = rng.choice(classes)
        others = classes[classes != label]
        share = rng.uniform(*mix)
        n = rng.integers(sentences_range[0], sentences_range[1] + 1)
        drawn = [
            draw(rng.choice(others) if rng.random() < share else label)
            for _ in range(n)
        ]
        documents.append(" ".join(drawn))
        targets.append(label)
    return documents, np.asarray(targets)


def load_long(
    corpus,
    n_train,
    n_test,
    *,
    sentences_range=(5, 50),
    mix=(0.1, 0.4),
    seed=0,
    validation=False,
):
    """A corpus's long documents: ``(X_train, y_train), (X_test, y_test)``.

    With ``validation``, the second pair is made of a held-out fifth of the
    source's training sentences (stratified), and the first of the rest:
    the test sentences are not read.
    """
    (X_train, y_train), (X_test, y_test) = SOURCES[corpus]()
    if validation:
        X_train, X_test, y_train, y_test = train_test_split(
            list(X_train), y_train, test_size=0.2, stratify=y_train, random_state=0
        )
    rng = np.random.default_rng(seed)
    options = {"sentences_range": sentences_range, "mix": mix, "rng": rng}
    train = make_long_documents(list(X_train), y_train, n_train, **options)
    test = make_long_documents(list(X_test), y_test, n_test, **options)
    return train, test


def _timed_companion():
    """Wrap the classifier's companion fit to record its seconds in a list."""
    seconds = []
    fit_ngrams = skrnn._classifier.fit_ngrams

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fit_ngrams(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - start)

    skrnn._classifier.fit_ngrams = timed
    return seconds


def run_skrnn(params, train, test, companion_seconds):
    """One fit of a candidate: its accuracies (blend, network, companion) and counts."""
    model = RNNTextClassifier(**params)
    companion_seconds.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start, cpu = time.perf_counter(), time.process_time()
        model.fit(*train)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    tokens = int(sum(map(len, model.vectorizer_.transform(train[0]))))
    row = {
        "accuracy": model.score(*test),
        "fit_s": seconds,
        "cpu_s": cpu,
        "epochs": model.n_iter_,
        "tokens": tokens,
        "companion_s": sum(companion_seconds),
    }
    if model.get_params()["ngram_range"] is not None:
        weight = model.ngram_weight
        model.set_params(ngram_weight=0.0)
        row["network"] = model.score(*test)
        model.set_params(ngram_weight=1.0)
        row["companion"] = model.score(*test)
        model.set_params(ngram_weight=weight)
    return row


BASELINES = {
    "TF-IDF (1-2 grams, sublinear) + LogisticRegression (C=10)": lambda: make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        LogisticRegression(C=10, max_iter=1000),
    ),
    "NBSVM-bi (C by 3-fold CV)": make_nbsvm_bi,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="mr,trec", help="of mr,sst2,sst5,trec")
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--sentences", default="5,50", help="min,max sentences")
    parser.add_argument("--mix", default="0.1,0.4", help="min,max share of others")
    parser.add_argument(
        "--candidates",
        default="[{}]",
        help="JSON list of RNNTextClassifier parameter dicts over the defaults",
    )
    parser.add_argument("--seeds", default="0", help="random_state of each fit")
    parser.add_argument(
        "--validation",
        action="store_true",
        help="score on documents of held-out training sentences, not the test",
    )
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args()
    sentences_range = tuple(int(v) for v in args.sentences.split(","))
    mix = tuple(float(v) for v in args.mix.split(","))
    candidates = json.loads(args.candidates)
    seeds = [int(s) for s in args.seeds.split(",")]
    companion_seconds = _timed_companion()
    print("\n".join(environment_lines()))
    for corpus in args.corpora.split(","):
        train, test = load_long(
            corpus,
            args.n_train,
            args.n_test,
            sentences_range=sentences_range,
            mix=mix,
            validation=args.validation,
        )
        lengths = [len(d.split()) for d in train[0]]
        print(
            f"\n{corpus}: {len(train[0])} training documents ({np.mean(lengths):.0f} "
            f"tokens on average, {min(lengths)}-{max(lengths)}), {len(test[0])} "
            f"{'validation' if args.validation else 'test'} documents, "
            f"{len(np.unique(train[1]))} classes\n"
        )
        rows = []
        for params in candidates:
            # JSON has no tuples: a list is one (``"ngram_range": [1, 2]``).
            params = {
                k: tuple(v) if isinstance(v, list) else v for k, v in params.items()
            }
            results = [
                run_skrnn({**params, "random_state": s}, train, test, companion_seconds)
                for s in seeds
            ]

            def mean(key, results=results):
                values = [r[key] for r in results if key in r]
                return np.mean(values) if values else float("nan")

            rows.append(
                [
                    f"skrnn {json.dumps(params)}",
                    f"{100 * mean('accuracy'):.1f}",
                    f"{100 * mean('network'):.1f}",
                    f"{100 * mean('companion'):.1f}",
                    f"{mean('fit_s'):.1f}",
                    f"{mean('cpu_s'):.1f}",
                    f"{mean('companion_s'):.1f}",
                    "/".join(str(r["epochs"]) for r in results),
                    f"{mean('tokens') / 1e6:.2f}",
                    f"{mean('tokens') * mean('epochs') / 1e6:.1f}",
                ]
            )
            print(markdown_table(HEADERS, rows[-1:]).splitlines()[-1], flush=True)
        if not args.no_baselines:
            for name, make in BASELINES.items():
                start, cpu = time.perf_counter(), time.process_time()
                model = make().fit(*train)
                seconds = time.perf_counter() - start
                cpu = time.process_time() - cpu
                accuracy = model.score(*test)
                rows.append(
                    [
                        name,
                        f"{100 * accuracy:.1f}",
                        "",
                        "",
                        f"{seconds:.1f}",
                        f"{cpu:.1f}",
                    ]
                )
                rows[-1] += [""] * (len(HEADERS) - len(rows[-1]))
        print()
        print(markdown_table(HEADERS, rows))


HEADERS = [
    "model",
    "accuracy %",
    "network alone %",
    "companion alone %",
    "fit s",
    "fit CPU s",
    "companion s",
    "epochs",
    "M tokens / epoch",
    "M token-epochs",
]

if __name__ == "__main__":
    main()
