"""Would character n-grams beside the companion's words pay? A look before building.

Usage::

    python benchmarks/char_companion.py --corpora trec,sst2
    python benchmarks/char_companion.py --corpora mr --repeats 2 --folds 3

The selection protocol's data and splits (``selection.py``: training data
only, stratified K-fold repeated with ``random_state`` = repeat).  On each
split, skrnn's defaults (without characters, ``char_ngram_range=None``) are
fitted once, and their network's probabilities
(``ngram_weight=0``) and their n-gram companion's (``ngram_weight=1``) are
read from that fit.  Beside it, scikit-learn's logistic regression on
sublinear TF-IDF rows of word 1-2 grams and ``char_wb`` 2-5 grams (``C`` by
inner 3-fold CV over 1, 10, 100): a companion that also reads characters.
Candidates, each the geometric blend that skrnn's defaults use
(``p_network ** 0.3 * p_ngrams ** 0.7``, normalised):

* ``defaults``: the network and skrnn's companion (the fitted model's own
  ``predict_proba``);
* ``network + chars``: the network and the character model in place of the
  companion;
* ``network + companion + chars``: the network at 0.3, the companion and
  the character model at 0.35 each;
* ``chars alone``, ``companion alone``, ``network alone``.

The table gives each candidate's mean validation accuracy with its standard
error, and its mean difference from the defaults with the standard error
of the paired differences (about two of them tell a difference apart).
"""

import numpy as np
from selection import compare, comparison_parser
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline, make_union

from skrnn import RNNTextClassifier

CANDIDATES = (
    "defaults",
    "network + chars",
    "network + companion + chars",
    "chars alone",
    "companion alone",
    "network alone",
)


def char_model() -> GridSearchCV:
    """Logistic regression on word 1-2 and char_wb 2-5 gram TF-IDF rows."""
    union = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )
    pipe = make_pipeline(union, LogisticRegression(max_iter=2000))
    return GridSearchCV(pipe, {"logisticregression__C": [1, 10, 100]}, cv=3)


def blend(parts) -> np.ndarray:
    """The normalised geometric blend of ``(probabilities, weight)`` pairs."""
    log = sum(w * np.log(np.clip(p, 1e-300, None)) for p, w in parts)
    log -= log.max(axis=1, keepdims=True)
    out = np.exp(log)
    return out / out.sum(axis=1, keepdims=True)


def split_scores(X, y, train, val, seed) -> dict:
    """Each candidate's validation accuracy on one split."""
    X_train, X_val = [X[i] for i in train], [X[i] for i in val]
    model = RNNTextClassifier(random_state=seed, char_ngram_range=None).fit(
        X_train, y[train]
    )
    classes = model.classes_
    fitted = model.predict_proba(X_val)
    network = model.set_params(ngram_weight=0.0).predict_proba(X_val)
    companion = model.set_params(ngram_weight=1.0).predict_proba(X_val)
    chars_model = char_model().fit(X_train, y[train])
    assert list(chars_model.classes_) == list(classes)
    chars = chars_model.predict_proba(X_val)
    probabilities = {
        "defaults": fitted,
        "network + chars": blend([(network, 0.3), (chars, 0.7)]),
        "network + companion + chars": blend(
            [(network, 0.3), (companion, 0.35), (chars, 0.35)]
        ),
        "chars alone": chars,
        "companion alone": companion,
        "network alone": network,
    }
    truth = y[val]
    return {
        name: 100 * float(np.mean(classes[p.argmax(axis=1)] == truth))
        for name, p in probabilities.items()
    }


def main(argv=None) -> None:
    args = comparison_parser(__doc__.splitlines()[0]).parse_args(argv)
    compare(args, split_scores, CANDIDATES)


if __name__ == "__main__":
    main()
