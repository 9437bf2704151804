"""Bag-of-n-grams baselines for ``accuracy.py``: NBSVM-bi and fastText.

* **NBSVM-bi** (Wang and Manning, 2012), in its logistic-regression form:
  binary unigram and bigram features scaled by the naive Bayes log-count
  ratios, then ``LogisticRegression`` with ``C`` chosen by an inner 3-fold
  cross-validation on the training data; one-vs-rest ratios and models for
  more than two classes.  Written with scikit-learn.
* **fastText** (Joulin et al., 2017) through the optional
  ``fasttext-numpy2-wheel`` package (the ``bench`` extra): bigrams, 25
  epochs, one thread, the training file written in a shuffled order (fed
  sorted by label, fastText learns the last label it saw).
  :func:`fasttext_available` says whether it is installed.
"""

import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

#: The values of ``C`` the inner cross-validation of NBSVM-bi chooses from.
NBSVM_C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0)


class NBLogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression on naive-Bayes-scaled features (NBSVM, NB-LR).

    For each class ``c`` (only the positive class when there are two), the
    log-count ratio ``r = log((p / |p|_1) / (q / |q|_1))`` with ``p = alpha +
    sum of the feature rows of class c`` and ``q`` the same over the other
    classes scales the features, and a binary ``LogisticRegression`` is fitted
    on ``X * r``; the class with the highest decision value wins.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength of the logistic regressions.
    alpha : float, default=1.0
        Smoothing count added to every feature.
    max_iter : int, default=1000
        Iterations of each logistic regression.
    """

    def __init__(self, C=1.0, alpha=1.0, max_iter=1000):
        self.C = C
        self.alpha = alpha
        self.max_iter = max_iter

    def fit(self, X, y):
        """Fit the ratios and the logistic regressions on binary features X."""
        X = sp.csr_matrix(X, dtype=np.float64)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        positives = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        self.ratios_, self.models_ = [], []
        for c in positives:
            mask = y == c
            p = self.alpha + np.asarray(X[mask].sum(axis=0)).ravel()
            q = self.alpha + np.asarray(X[~mask].sum(axis=0)).ravel()
            r = np.log(p / p.sum()) - np.log(q / q.sum())
            # liblinear's dual solver: fast with more features than samples.
            model = LogisticRegression(
                C=self.C, solver="liblinear", dual=True, max_iter=self.max_iter
            )
            self.ratios_.append(sp.diags(r))
            self.models_.append(model.fit(X @ self.ratios_[-1], mask))
        return self

    def decision_function(self, X):
        """Decision values: one column per class, or one for two classes."""
        check_is_fitted(self)
        X = sp.csr_matrix(X, dtype=np.float64)
        scores = np.column_stack(
            [
                m.decision_function(X @ r)
                for r, m in zip(self.ratios_, self.models_, strict=True)
            ]
        )
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X):
        """The class with the highest decision value."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


def make_nbsvm_bi():
    """NBSVM-bi: binary 1-2 grams, NB-LR, ``C`` by inner 3-fold CV."""
    pipeline = make_pipeline(
        # The corpora are tokenized: every whitespace-separated token counts,
        # punctuation and one-letter words included.
        CountVectorizer(ngram_range=(1, 2), binary=True, token_pattern=r"\S+"),
        NBLogisticRegression(),
    )
    return GridSearchCV(pipeline, {"nblogisticregression__C": list(NBSVM_C_GRID)}, cv=3)


def fasttext_available() -> bool:
    """Whether the ``fasttext`` module (``fasttext-numpy2-wheel``) imports."""
    try:
        import fasttext  # noqa: F401
    except ImportError:
        return False
    return True


class FastTextClassifier(ClassifierMixin, BaseEstimator):
    """fastText's supervised classifier with the scikit-learn API.

    Parameters
    ----------
    word_ngrams : int, default=2
        Longest word n-gram (``wordNgrams``).
    epoch : int, default=25
        Epochs.
    thread : int, default=1
        Threads (one thread makes the model reproducible).
    random_state : int, default=0
        Seeds the order of the training file and fastText's ``seed``.
    """

    def __init__(self, word_ngrams=2, epoch=25, thread=1, random_state=0):
        self.word_ngrams = word_ngrams
        self.epoch = epoch
        self.thread = thread
        self.random_state = random_state

    @staticmethod
    def _line(text: str) -> str:
        # fastText reads one example a line: no line breaks inside a text.
        return text.replace("\n", " ").replace("\r", " ")

    def fit(self, X, y):
        """Write the documents in a shuffled order to a file and train on it."""
        import fasttext

        y = np.asarray(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        order = check_random_state(self.random_state).permutation(len(y))
        lines = [f"__label__{y_index[i]} {self._line(X[i])}\n" for i in order]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "train.txt"
            path.write_text("".join(lines), encoding="utf-8")
            self.model_ = fasttext.train_supervised(
                input=str(path),
                wordNgrams=self.word_ngrams,
                epoch=self.epoch,
                thread=self.thread,
                seed=self.random_state,
                verbose=0,
            )
        return self

    def predict(self, X):
        """The most probable class of each document."""
        check_is_fitted(self)
        labels, _ = self.model_.predict([self._line(x) for x in X], k=1)
        return self.classes_[
            [int(label[0].removeprefix("__label__")) for label in labels]
        ]
