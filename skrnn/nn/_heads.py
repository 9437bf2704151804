"""Output heads: what the network's outputs mean, and how they are trained.

The network ends in one affine layer, ``z = W_hy h + b_y``, whatever the
task; the head says what ``z`` is.  Each head is one entry of :data:`HEADS`,
keyed by the name that :class:`~skrnn.nn.NetworkConfig` holds (the
``out_activation_`` names of scikit-learn's MLP), and gathers pure functions
over ``z``:

========== ====================== ============================= ===============
head       output                 loss (weighted mean)          validation score
========== ====================== ============================= ===============
softmax    class probabilities    cross-entropy                 accuracy
logistic   one probability/label  binary cross-entropy, summed  subset accuracy
                                  over the labels
identity   the predicted values   half the squared error,       R^2, averaged
                                  averaged over the outputs     over the outputs
========== ====================== ============================= ===============

as :class:`~sklearn.neural_network.MLPClassifier` (multiclass and
multilabel) and :class:`~sklearn.neural_network.MLPRegressor` define them.
The targets ``y`` are class indices for ``softmax``, and float arrays of
shape (n_samples, n_outputs) for the others.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._functional import (
    binary_cross_entropy,
    cross_entropy,
    sigmoid,
    softmax,
    squared_error,
)

__all__ = ["HEADS", "Head", "accuracy", "r2_score", "subset_accuracy"]


def accuracy(z: np.ndarray, y: np.ndarray, sample_weight: np.ndarray) -> float:
    """Weighted fraction of rows whose largest logit is the true class."""
    return float(np.average(z.argmax(axis=1) == y, weights=sample_weight))


def subset_accuracy(z: np.ndarray, y: np.ndarray, sample_weight: np.ndarray) -> float:
    """Weighted fraction of rows whose every label is predicted right.

    A label is predicted when its logit is positive (its probability above
    one half), as :class:`~sklearn.neural_network.MLPClassifier` predicts.
    """
    right = ((z > 0) == (y > 0.5)).all(axis=1)
    return float(np.average(right, weights=sample_weight))


def r2_score(z: np.ndarray, y: np.ndarray, sample_weight: np.ndarray) -> float:
    """Weighted coefficient of determination, averaged over the outputs.

    As :func:`sklearn.metrics.r2_score` with ``sample_weight`` and
    ``multioutput="uniform_average"``: an output whose true values are
    constant scores 1 if predicted exactly, else 0.
    """
    w = sample_weight.astype(np.float64)[:, None]
    y = y.astype(np.float64)
    residual = np.sum(w * (y - z) ** 2, axis=0)
    mean = np.sum(w * y, axis=0) / np.sum(w)
    total = np.sum(w * (y - mean) ** 2, axis=0)
    scores = np.where(residual == 0, 1.0, 0.0)
    nonzero = total != 0
    scores[nonzero] = 1.0 - residual[nonzero] / total[nonzero]
    return float(scores.mean())


def _uniform_guess_loss(y: np.ndarray, sample_weight: np.ndarray, n_outputs: int):
    """Cross-entropy of the uniform guess: ``log(n_classes)``."""
    return float(np.log(n_outputs))


def _coin_flips_loss(y: np.ndarray, sample_weight: np.ndarray, n_outputs: int):
    """Binary cross-entropy of one half for every label: ``n_labels log 2``."""
    return float(n_outputs * np.log(2.0))


def _zero_guess_loss(y: np.ndarray, sample_weight: np.ndarray, n_outputs: int):
    """Squared error of predicting 0, plus that of an error of 1 everywhere.

    The second term keeps the reference positive when every target is 0.
    """
    mean_square = np.average(
        np.mean(np.square(y, dtype=np.float64), axis=1), weights=sample_weight
    )
    return float(0.5 * (mean_square + 1.0))


@dataclass(frozen=True)
class Head:
    """An output head: the meaning of the network's outputs ``z``.

    Parameters
    ----------
    loss : callable
        ``loss(z, y, sample_weight) -> (loss, dz)``: the weighted mean loss
        and its gradient in ``z``.
    output : callable
        ``output(z)``: what the outputs predict (probabilities or values).
    score : callable
        ``score(z, y, sample_weight) -> float``: the validation score of
        early stopping, higher is better (the estimator's ``score``).
    score_name : str
        The score's name, for progress lines.
    reference_loss : callable
        ``reference_loss(y, sample_weight, n_outputs) -> float``: the loss
        of a guess that knows nothing; training has diverged when an epoch's
        mean loss exceeds it many times over.
    """

    loss: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[float, np.ndarray]]
    output: Callable[[np.ndarray], np.ndarray]
    score: Callable[[np.ndarray, np.ndarray, np.ndarray], float]
    score_name: str
    reference_loss: Callable[[np.ndarray, np.ndarray, int], float]


def _identity(z: np.ndarray) -> np.ndarray:
    return z


#: The output heads by name.
HEADS: dict[str, Head] = {
    "softmax": Head(cross_entropy, softmax, accuracy, "accuracy", _uniform_guess_loss),
    "logistic": Head(
        binary_cross_entropy,
        sigmoid,
        subset_accuracy,
        "subset accuracy",
        _coin_flips_loss,
    ),
    "identity": Head(squared_error, _identity, r2_score, "R^2", _zero_guess_loss),
}

#: The heads every process knows: one added to :data:`HEADS` at run time is
#: unknown to worker processes that did not run the code that added it.
BUILTIN_HEADS = frozenset(HEADS)
