"""The companion's settings against NBSVM-bi's, by the selection protocol.

Usage::

    python benchmarks/companion_settings.py --corpora trec,sst2,mr

On the splits of ``selection.py`` (training data only; 2 repeats x 3-fold
stratified CV), one network (``RNNTextClassifier(ngram_range=None)``,
``random_state`` = repeat) is fitted per split, and beside it the companion
(``skrnn._ngrams.fit_ngrams`` on the network's own token ids) at each
variant's module settings: NBSVM-bi's (``C`` in 0.1, 0.3, 1, 3, 10,
liblinear stopped at scikit-learn's tolerance 1e-4, no norms), the package's
without the documents' norms, and the package's (``C_GRID``, ``TOL``,
``NORMS``).  The network is the same for every variant, so the
differences are the companion's alone: its accuracy, the blend's at each
``--weights`` value and each of ``--blends`` (``ngram_blend``: the
arithmetic mean of the probabilities, or their normalised geometric mean),
paired against ``--reference`` (NBSVM-bi's settings at the default weight,
blended arithmetically), and the companion's fit seconds.  ``--variants``
adds settings of the module's constants (``N_FOLDS``, ``C_GRID``, ...) over
the package's.
"""

import argparse
import json

import numpy as np
from _env import environment_lines, markdown_table
from companion_fit import ORIGINAL, PACKAGE, WITHOUT_NORMS, fit_companion
from selection import CORPORA, mean_se
from sklearn.model_selection import StratifiedKFold

from skrnn import RNNTextClassifier, _ngrams

VARIANTS = {
    "NBSVM-bi's settings": ORIGINAL,
    "the package's settings without norms": WITHOUT_NORMS,
    "the package's settings": PACKAGE,
}


def companion_proba(settings, train_ids, y_train, val_ids, n_vocab):
    """Validation probabilities of a companion fitted at ``settings``."""
    model, seconds = fit_companion(train_ids, y_train, n_vocab, settings)
    logits = _ngrams.ngram_logits(model, val_ids)
    return np.exp(logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)), seconds


def blend(p_network, p, w, kind):
    """``ngram_blend``'s blend of two arrays of class probabilities."""
    if kind == "arithmetic":
        return (1 - w) * p_network + w * p
    with np.errstate(divide="ignore"):
        return np.exp((1 - w) * np.log(p_network) + w * np.log(p))


def score(X, y, train, val, seed, weights, blends=("arithmetic",)):
    """Accuracy of every variant and weight on one split, and fit seconds."""
    network = RNNTextClassifier(ngram_range=None, random_state=seed)
    network.fit([X[i] for i in train], y[train])
    vectorizer = network.vectorizer_
    train_ids = vectorizer.transform([X[i] for i in train])
    val_ids = vectorizer.transform([X[i] for i in val])
    y_train = np.searchsorted(network.classes_, y[train])
    y_val = np.searchsorted(network.classes_, y[val])
    p_network = network.predict_proba([X[i] for i in val])
    accuracy, seconds = {"network alone": np.mean(p_network.argmax(1) == y_val)}, {}
    for name, settings in VARIANTS.items():
        p, seconds[name] = companion_proba(
            settings,
            train_ids,
            y_train,
            val_ids,
            vectorizer.n_vocab_,
        )
        accuracy[f"{name}: companion alone"] = np.mean(p.argmax(1) == y_val)
        for kind in blends:
            suffix = "" if kind == "arithmetic" else f", {kind}"
            for w in weights:
                predicted = blend(p_network, p, w, kind).argmax(1)
                accuracy[f"{name}: ngram_weight={w}{suffix}"] = np.mean(
                    predicted == y_val
                )
    return accuracy, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="trec", help="subset of mr,trec,sst2,sst5")
    parser.add_argument("--weights", default="0.5,0.7,0.8", help="0.7 in")
    parser.add_argument("--blends", default="arithmetic", help="arithmetic,geometric")
    parser.add_argument(
        "--reference",
        default="NBSVM-bi's settings: ngram_weight=0.7",
        help="the row the others are paired against",
    )
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument(
        "--variants",
        type=json.loads,
        default={},
        help="""more variants, by name: module settings over the package's,
        e.g. '{"2 inner folds": {"N_FOLDS": 2}}'""",
    )
    args = parser.parse_args()
    for name, settings in args.variants.items():
        VARIANTS[name] = {**PACKAGE, **settings}
    weights = [float(w) for w in args.weights.split(",")]
    blends = args.blends.split(",")
    print("\n".join(environment_lines()))
    for corpus in args.corpora.split(","):
        X, y = CORPORA[corpus]()
        X, y = list(X), np.asarray(y)
        results = [
            score(X, y, train, val, repeat, weights, blends)
            for repeat in range(args.repeats)
            for train, val in StratifiedKFold(
                n_splits=args.folds, shuffle=True, random_state=repeat
            ).split(X, y)
        ]
        reference = np.array([r[0][args.reference] for r in results])
        rows = []
        for name in results[0][0]:
            accuracy = np.array([r[0][name] for r in results])
            mean, se = mean_se(100 * accuracy)
            diff, diff_se = mean_se(100 * (accuracy - reference))
            variant = name.split(":")[0]
            fit = (
                f"{np.mean([r[1][variant] for r in results]):.2f}"
                if variant in VARIANTS
                else ""
            )
            rows.append(
                [name, f"{mean:.2f} ± {se:.2f}", f"{diff:+.2f} ± {diff_se:.2f}", fit]
            )
        print()
        print(f"{corpus}: {len(X)} training documents, {len(results)} splits")
        print()
        headers = [
            "variant",
            "accuracy % ± SE",
            f"vs {args.reference} ± SE",
            "companion fit s",
        ]
        print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
