"""Letter case and the selection protocol: ways to keep case, on training data only.

Usage::

    python benchmarks/letter_case.py --corpora trec,sst2 --repeats 4 --folds 3 \\
        --jobs 2 --cases lower,cased,first,mark

The same protocol as ``selection.py`` (repeated stratified K-fold on the
training data only, every candidate on the same splits and seeds, each
compared paired with the first), over ways of reading letter case that a
JSON candidate cannot name, since they are tokenizers:

* ``lower``: the defaults (``lowercase=True``);
* ``cased``: ``lowercase=False``, every word as written;
* ``first``: every word as written but the document's first, lowercased
  (a sentence's first capital says nothing of its word);
* ``mark``: every word lowercased, and a marker token ``xxcap`` before
  each word but the first that starts with a capital letter (fastai's
  ``xxmaj``): the vocabulary of ``lower``, the case as a token;
* ``mark-all``: ``mark`` with the marker before the first word as well;
* ``fasttext`` and ``fasttext-lower``: not skrnn but ``accuracy.py``'s
  fastText (bigrams, 25 epochs, one thread, ``random_state`` = repeat) on
  the documents as written and lowercased, on the same splits (one row
  each: it has no companion weight).

``--views`` measures instead each way of reading case for the network
with each for the companion: on every split one model a way, and the
network's probabilities of one (``ngram_weight=0``) blended with the
companion's of another (``ngram_weight=1``) as the defaults blend them,
``p_network ** (1 - w) * p_ngrams ** w`` normalised, at ``w = 0.7`` and at
each of ``--ngram-weights`` (the blend of a model with itself is that
model's own prediction at ``w``).

``--params`` adds the same parameters (JSON) to every candidate, e.g.
``'{"n_estimators": 5}'``; ``--ngram-weights`` scores every fit at other
companion weights too, as in ``selection.py``.
"""

import argparse
import json
import re
import time

import numpy as np
from _baselines import FastTextClassifier
from _env import environment_lines, markdown_table
from joblib import Parallel, delayed
from selection import mean_se, score, selection_splits

from skrnn import RNNTextClassifier
from skrnn._text import DEFAULT_TOKEN_PATTERN

_WORDS = re.compile(DEFAULT_TOKEN_PATTERN)

#: The marker token of ``mark``: a word of no corpus here.
MARKER = "xxcap"


def first_lowercased(text: str) -> list[str]:
    """Tokens as written, the first one lowercased."""
    tokens = _WORDS.findall(text)
    return [token.lower() for token in tokens[:1]] + tokens[1:]


def _marked(text: str, skip_first: bool) -> list[str]:
    tokens = []
    for k, token in enumerate(_WORDS.findall(text)):
        if token[:1].isupper() and not (skip_first and k == 0):
            tokens.append(MARKER)
        tokens.append(token.lower())
    return tokens


def case_marked(text: str) -> list[str]:
    """Tokens lowercased, ``xxcap`` before each capitalised one but the first."""
    return _marked(text, skip_first=True)


def case_marked_all(text: str) -> list[str]:
    """Tokens lowercased, ``xxcap`` before each capitalised one."""
    return _marked(text, skip_first=False)


#: Parameters of each way of reading case.
CASES = {
    "lower": {},
    "cased": {"lowercase": False},
    "first": {"lowercase": False, "tokenizer": first_lowercased, "token_pattern": None},
    "mark": {"lowercase": False, "tokenizer": case_marked, "token_pattern": None},
    "mark-all": {
        "lowercase": False,
        "tokenizer": case_marked_all,
        "token_pattern": None,
    },
}


def fasttext_score(lower, X, y, train, val, seed, weights=()):
    """Validation accuracy and fit seconds of fastText on one split.

    The accuracy is repeated for each of ``weights``, so that its rows line
    up with skrnn's; only the first is printed.
    """
    text = [x.lower() if lower else x for x in X]
    model = FastTextClassifier(random_state=seed)
    start = time.perf_counter()
    model.fit([text[i] for i in train], y[train])
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(model.predict([text[i] for i in val]) == y[val]))
    return [accuracy] * (1 + len(weights)), seconds


def _job(case, common, X, y, train, val, seed, weights):
    if case.startswith("fasttext"):
        return delayed(fasttext_score)(
            case == "fasttext-lower", X, y, train, val, seed, weights
        )
    return delayed(score)({**common, **CASES[case]}, X, y, train, val, seed, weights)


def views(cases, common, X, y, train, val, seed):
    """Each way's network and companion probabilities on one split."""
    X_train, X_val = [X[i] for i in train], [X[i] for i in val]
    probabilities = {}
    for case in cases:
        model = RNNTextClassifier(**{**common, **CASES[case], "random_state": seed})
        model.fit(X_train, y[train])
        model.set_params(ngram_weight=0.0)
        network = model.predict_proba(X_val)
        model.set_params(ngram_weight=1.0)
        probabilities[case] = (network, model.predict_proba(X_val), model.classes_)
    return probabilities


def blend_accuracy(network, ngrams, classes, y_val, weight):
    """Accuracy of the normalised weighted geometric mean of two models."""
    logits = (1 - weight) * np.log(np.clip(network, 1e-30, 1.0)) + weight * np.log(
        np.clip(ngrams, 1e-30, 1.0)
    )
    return float(np.mean(classes[logits.argmax(axis=1)] == y_val))


def print_views(corpus, args, cases, common, weights, X, y, splits):
    """The table of ``--views``: network of one way, companion of another."""
    results = Parallel(n_jobs=args.jobs)(
        delayed(views)(cases, common, X, y, train, val, repeat)
        for repeat, train, val in splits
    )
    accuracy = {
        (net, comp, w): np.array(
            [
                blend_accuracy(r[net][0], r[comp][1], r[net][2], y[val], w)
                for r, (_, _, val) in zip(results, splits, strict=True)
            ]
        )
        for net in cases
        for comp in cases
        for w in [0.7, *weights]
    }
    reference = accuracy[cases[0], cases[0], 0.7]
    rows = []
    for (net, comp, w), values in accuracy.items():
        mean, se = mean_se(100 * values)
        diff, diff_se = mean_se(100 * (values - reference))
        rows.append(
            [
                net,
                comp,
                str(w),
                f"{mean:.2f} ± {se:.2f}",
                f"{diff:+.2f} ± {diff_se:.2f}",
            ]
        )
    print()
    print(
        f"{corpus}: {len(X)} training documents, {args.repeats} x "
        f"{args.folds}-fold stratified CV, random_state = repeat, "
        f"parameters {json.dumps(common)}: the network of one way, the "
        "companion of another"
    )
    print()
    print(
        markdown_table(
            [
                "network",
                "companion",
                "ngram_weight",
                "accuracy % ± SE",
                "difference ± SE",
            ],
            rows,
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="trec", help="subset of mr,trec,sst2,sst5")
    parser.add_argument("--cases", default="lower,cased,first,mark")
    parser.add_argument("--params", default="{}", help="JSON added to every candidate")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--ngram-weights", default="")
    parser.add_argument(
        "--views",
        action="store_true",
        help="blend each way's network with each way's companion",
    )
    args = parser.parse_args()
    cases = args.cases.split(",")
    common = json.loads(args.params)
    weights = [float(w) for w in args.ngram_weights.split(",") if w]
    print("\n".join(environment_lines()))
    for corpus in args.corpora.split(","):
        X, y, splits = selection_splits(corpus, args.repeats, args.folds)
        if args.views:
            print_views(corpus, args, cases, common, weights, X, y, splits)
            continue
        results = Parallel(n_jobs=args.jobs)(
            _job(case, common, X, y, train, val, repeat, weights)
            for case in cases
            for repeat, train, val in splits
        )
        shape = (len(cases), len(splits), 1 + len(weights))
        accuracy = np.array([r[0] for r in results]).reshape(shape)
        seconds = np.array([r[1] for r in results]).reshape(len(cases), -1)
        rows = []
        for k, case in enumerate(cases):
            fitted = ["as fitted"] if case.startswith("fasttext") else []
            for j, weight in enumerate(fitted or ["as fitted", *weights]):
                mean, se = mean_se(100 * accuracy[k, :, j])
                diff, diff_se = mean_se(100 * (accuracy[k, :, j] - accuracy[0, :, 0]))
                reference = k == 0 and j == 0
                rows.append(
                    [
                        case,
                        str(weight),
                        f"{mean:.2f} ± {se:.2f}",
                        "reference" if reference else f"{diff:+.2f} ± {diff_se:.2f}",
                        f"{seconds[k].mean():.1f}",
                    ]
                )
        print()
        print(
            f"{corpus}: {len(X)} training documents, {args.repeats} x "
            f"{args.folds}-fold stratified CV, random_state = repeat, "
            f"parameters {json.dumps(common)}"
        )
        print()
        print(
            markdown_table(
                ["case", "ngram_weight", "accuracy % ± SE", "difference ± SE", "fit s"],
                rows,
            )
        )


if __name__ == "__main__":
    main()
