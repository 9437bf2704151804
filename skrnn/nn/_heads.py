"""Output heads: what the network's outputs mean, and how they are trained.

The network ends in one affine layer, ``z = W_hy h + b_y``, whatever the
task; the head says what ``z`` is.  Each head is one :class:`Head` of the
registry :data:`HEADS`, keyed by the name that
:class:`~skrnn.nn.NetworkConfig` holds (the ``out_activation_`` names of
scikit-learn's MLP), and gathers pure functions over ``z``: its loss, its
output, what ``predict`` makes of it, how an ensemble averages it, and its
validation score.

========== ======== ==================== ============================ ===============
head       kind     output               loss (weighted mean)         validation score
========== ======== ==================== ============================ ===============
softmax    classes  class probabilities  cross-entropy                accuracy
logistic   labels   one probability per  binary cross-entropy, summed subset accuracy
                    label                over the labels
identity   values   the predicted values half the squared error,      R^2, averaged
                                         averaged over the outputs    over the outputs
poisson    values   the predicted rates  half the Poisson deviance,   R^2 of the rates,
                    ``exp(z)``           summed over the outputs      averaged
========== ======== ==================== ============================ ===============

as :class:`~sklearn.neural_network.MLPClassifier` (multiclass and
multilabel) and :class:`~sklearn.neural_network.MLPRegressor` (its ``loss``
``"squared_error"`` and ``"poisson"``) define them.  The heads of the
classifier and ``identity`` are named for their output activations, the
``out_activation_`` of scikit-learn's MLP; ``poisson`` for its loss, which
is how ``RNNTextRegressor(loss=...)`` picks a head of the ``values`` kind.
The targets ``y`` are class indices for the ``classes`` kind, and float
arrays of shape (n_samples, n_outputs) for the others.  :func:`register_head`
adds a head.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ._functional import (
    binary_cross_entropy,
    cross_entropy,
    log_sigmoid,
    log_softmax,
    log_sum_exp,
    poisson_deviance,
    sigmoid,
    softmax,
    squared_error,
)
from ._registry import Registry

__all__ = [
    "BUILTIN_HEADS",
    "HEADS",
    "HEAD_KINDS",
    "Head",
    "TargetScaling",
    "accuracy",
    "get_head",
    "r2_score",
    "rate_r2_score",
    "register_head",
    "subset_accuracy",
    "unregister_head",
]


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


def rate_r2_score(z: np.ndarray, y: np.ndarray, sample_weight: np.ndarray) -> float:
    """:func:`r2_score` of the rates ``exp(z)``: what MLPRegressor scores.

    An infinite rate scores ``-inf``, without an overflow warning.
    """
    with np.errstate(over="ignore", under="ignore"):
        return r2_score(np.exp(z), y, sample_weight)


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


def _rate_one_loss(y: np.ndarray, sample_weight: np.ndarray, n_outputs: int):
    """Poisson deviance of a rate of 1 (``z = 0``), plus 1 for each output.

    The second term keeps the reference positive when every target is 1.
    """
    zero = np.zeros(y.shape)
    return poisson_deviance(zero, y, sample_weight.astype(np.float64))[0] + n_outputs


def _relative_weights(sample_weight: np.ndarray) -> np.ndarray:
    """``sample_weight`` in float64, divided by the largest.

    The same weighted averages, whose products of weights and values stay
    finite when the weights are huge (1e300).
    """
    weights = sample_weight.astype(np.float64)
    return weights / weights.max()


def _mean_values(y: np.ndarray, sample_weight: np.ndarray) -> np.ndarray:
    """Each output's weighted mean: the constant of least squared error."""
    return np.average(
        y.astype(np.float64), axis=0, weights=_relative_weights(sample_weight)
    )


def _log_mean_rates(y: np.ndarray, sample_weight: np.ndarray) -> np.ndarray:
    """The log of each output's weighted mean: the constant rate of least deviance.

    An output whose targets are all 0, whose best constant is ``z = -inf``,
    starts at 0 (a rate of 1).
    """
    mean = _mean_values(y, sample_weight)
    return np.log(mean, out=np.zeros_like(mean), where=mean > 0)


def _check_counts(y: np.ndarray) -> None:
    """Refuse negative targets, which the Poisson deviance is not defined for."""
    if (y < 0).any():
        raise ValueError(
            f"y holds negative values (as low as {y.min():.6g}), but the Poisson "
            "loss models counts and rates, which are >= 0. Pass targets >= 0, "
            "or loss='squared_error' for values of any sign."
        )


def _log_mean(log_values: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """The log of the (weighted) mean over axis 0 of ``exp(log_values)``.

    Computed without underflow; a weight of 0 leaves its member out.
    """
    if weights is None:
        return log_sum_exp(log_values, axis=0)[0] - np.log(len(log_values))
    with np.errstate(divide="ignore"):
        log_weights = np.log(weights).reshape(-1, *[1] * (log_values.ndim - 1))
    return log_sum_exp(log_values + log_weights, axis=0)[0]


def _softmax_mean(z: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    # log of the mean probabilities, from each member's log-softmax
    return _log_mean(z - log_sum_exp(z), weights)


def _logistic_mean(z: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    # log-odds of the mean probabilities: log p = -log(1 + e^-z), log(1 - p)
    # = -log(1 + e^z); saturated sigmoids would make them infinite
    return _log_mean(log_sigmoid(z), weights) - _log_mean(log_sigmoid(-z), weights)


def _identity_mean(z: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    return z.mean(axis=0) if weights is None else np.tensordot(weights, z, axes=1)


def _rates(z: np.ndarray) -> np.ndarray:
    """The rates ``exp(z)``; one too small for the float type is 0, without an error."""
    with np.errstate(under="ignore"):
        return np.exp(z)


def _identity(z: np.ndarray) -> np.ndarray:
    return z


def _most_probable(z: np.ndarray) -> np.ndarray:
    """The index of each row's largest logit: its most probable class."""
    return z.argmax(axis=1)


def _positive_labels(z: np.ndarray) -> np.ndarray:
    """The indicator of the labels of positive log-odds (probability above 1/2)."""
    return (z > 0).astype(int)


#: What a head's outputs are, and so which estimator it serves: one class
#: per document (RNNTextClassifier with 1-D ``y``), independent labels
#: (RNNTextClassifier with a 2-D indicator ``y``), or values
#: (RNNTextRegressor).
HEAD_KINDS = ("classes", "labels", "values")


@dataclass(frozen=True)
class Head:
    """An output head: the meaning of the network's outputs ``z``.

    Everything that the estimators, ensembles, explanations and model files
    make of ``z`` is one of these fields, so that a head added with
    :func:`register_head` works wherever the built-in ones do.  ``z`` is a
    float array of shape (n_samples, n_outputs), ``y`` the targets the head
    trains on: class indices of shape (n_samples,) for the ``"classes"``
    kind, floats of shape (n_samples, n_outputs) for the others.

    Parameters
    ----------
    kind : {"classes", "labels", "values"}
        What the outputs are: the probabilities of classes, one per document
        (``RNNTextClassifier`` with 1-D ``y``), the probabilities of
        independent labels (``RNNTextClassifier`` with a 2-D ``y``), or
        predicted values (``RNNTextRegressor``).  The estimators and
        :func:`skrnn.load` accept a head for the kinds they serve.
    loss : callable
        ``loss(z, y, sample_weight) -> (loss, dz)``: the weighted mean loss
        and its gradient in ``z``.
    output : callable
        ``output(z)``: what the outputs predict, probabilities or values
        (``predict_proba``, ``staged_predict_proba``, the regressor's
        ``staged_predict``, explanations).
    predict : callable
        ``predict(z)``: what the estimator's ``predict`` makes of ``z``:
        class indices of shape (n_samples,) (``"classes"``), an int
        indicator of the predicted labels (``"labels"``), or the predicted
        values (``"values"``), which are ``output(z)``: the staged
        predictions and explanations give ``output``.
    mean_logits : callable
        ``mean_logits(z, weights) -> z_mean``: from the members' stacked
        outputs of shape (n_members, ..., n_outputs), float64, the outputs
        whose ``output`` is the (weighted) mean of the members' ``output``,
        which is what an ensemble predicts.  ``weights`` is None (equal) or
        of shape (n_members,), summing to 1; a weight of 0 leaves its member
        out.  Best computed in log space, where it stays finite.
    score : callable
        ``score(z, y, sample_weight) -> float``: the validation score of
        early stopping, higher is better (the estimator's ``score``).
    score_name : str
        The score's name, for progress lines.
    reference_loss : callable
        ``reference_loss(y, sample_weight, n_outputs) -> float``: the loss
        of a guess that knows nothing; training has diverged when an epoch's
        mean loss exceeds it many times over.
    log_output : callable or None, default=None
        ``log_output(z)``: the log of ``output(z)``, computed stably
        (``predict_log_proba``); required for the ``"classes"`` and
        ``"labels"`` kinds.
    check_y : callable or None, default=None
        ``check_y(y)``, for the ``"values"`` kind: a ValueError that says
        what to do if finite float targets ``y`` of shape (n_samples,
        n_outputs) are outside the loss's domain (the Poisson deviance's
        negative values), before any training on them; None accepts every
        finite value.
    initial_outputs : callable or None, default=None
        ``initial_outputs(y, sample_weight) -> z`` of shape (n_outputs,): the
        outputs of the best constant guess, where a new fit starts the output
        bias ``b_y`` (the weighted mean for ``identity``, its log for
        ``poisson``), so that targets far from 0 (years, prices) are within
        reach from the first step; None starts it at 0.
    standardize_y : bool, default=False
        For the ``"values"`` kind: whether the head trains on targets
        standardized output by output, ``(y - mean) / std`` with the weighted
        mean and standard deviation of the first fit, the outputs ``z`` then
        being mapped back, ``mean + std * z``, so that a fit
        does not depend on the targets' unit (prices in cents or in
        thousands). True for ``identity``, whose outputs are in the targets'
        units; a head whose outputs are not (``poisson``'s log-rates) leaves
        it False.

    See Also
    --------
    register_head : Make a head available under a name.
    """

    kind: str
    loss: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[float, np.ndarray]]
    output: Callable[[np.ndarray], np.ndarray]
    predict: Callable[[np.ndarray], np.ndarray]
    mean_logits: Callable[[np.ndarray, np.ndarray | None], np.ndarray]
    score: Callable[[np.ndarray, np.ndarray, np.ndarray], float]
    score_name: str
    reference_loss: Callable[[np.ndarray, np.ndarray, int], float]
    log_output: Callable[[np.ndarray], np.ndarray] | None = None
    check_y: Callable[[np.ndarray], None] | None = None
    initial_outputs: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    standardize_y: bool = False

    def __post_init__(self) -> None:
        if self.kind not in HEAD_KINDS:
            raise ValueError(
                f"A head's kind is one of {list(HEAD_KINDS)}; got {self.kind!r:.40}."
            )
        if not isinstance(self.standardize_y, bool):
            raise TypeError(
                f"A head's standardize_y is a bool; got {self.standardize_y!r:.40}."
            )
        if self.standardize_y and self.kind != "values":
            raise ValueError(
                "standardize_y=True is for heads of the 'values' kind, whose "
                f"targets are numbers; this head's kind is {self.kind!r}."
            )
        functions = [
            "loss",
            "output",
            "predict",
            "mean_logits",
            "score",
            "reference_loss",
        ]
        if self.kind != "values" or self.log_output is not None:
            functions.append("log_output")
        functions += [
            name
            for name in ("check_y", "initial_outputs")
            if getattr(self, name) is not None
        ]
        if not_callable := [
            name for name in functions if not callable(getattr(self, name))
        ]:
            raise TypeError(
                f"A {self.kind!r} head's {', '.join(not_callable)} must be callables."
            )
        if not isinstance(self.score_name, str):
            raise TypeError(
                f"A head's score_name is a str; got {self.score_name!r:.40}."
            )


_BUILTIN: dict[str, Head] = {
    "softmax": Head(
        kind="classes",
        loss=cross_entropy,
        output=softmax,
        predict=_most_probable,
        mean_logits=_softmax_mean,
        score=accuracy,
        score_name="accuracy",
        reference_loss=_uniform_guess_loss,
        log_output=log_softmax,
    ),
    "logistic": Head(
        kind="labels",
        loss=binary_cross_entropy,
        output=sigmoid,
        predict=_positive_labels,
        mean_logits=_logistic_mean,
        score=subset_accuracy,
        score_name="subset accuracy",
        reference_loss=_coin_flips_loss,
        log_output=log_sigmoid,
    ),
    "identity": Head(
        kind="values",
        loss=squared_error,
        output=_identity,
        predict=_identity,
        mean_logits=_identity_mean,
        score=r2_score,
        score_name="R^2",
        reference_loss=_zero_guess_loss,
        initial_outputs=_mean_values,
        standardize_y=True,
    ),
    "poisson": Head(
        kind="values",
        loss=poisson_deviance,
        output=_rates,
        predict=_rates,
        mean_logits=_log_mean,
        score=rate_r2_score,
        score_name="R^2",
        reference_loss=_rate_one_loss,
        check_y=_check_counts,
        initial_outputs=_log_mean_rates,
    ),
}


@dataclass(frozen=True)
class TargetScaling:
    """The standardization of the targets of a head with ``standardize_y``.

    The network trains on ``(y - mean) / scale``, output by output, and its
    outputs ``z`` stand for ``mean + scale * z`` in the targets' units, which
    every reader of the outputs (predictions, staged predictions,
    explanations, ensembles) computes in float64 (:meth:`inverse_transform`):
    folded into float32 weights, the mean would round away the spread of
    targets far from 0 (1e8 plus a few units) and the scale underflow for
    tiny targets.  A fit on ``a * y + b`` (``a > 0``) then trains on the same
    standardized targets as a fit on ``y``, and predicts ``a`` times as much
    plus ``b``.

    Parameters
    ----------
    mean : ndarray of shape (n_outputs,)
        Each output's weighted mean, float64.
    scale : ndarray of shape (n_outputs,)
        Each output's weighted standard deviation, float64, or 1 for an
        output whose targets are constant (or, far from 0, the rounding of
        their mean, if it exceeds 1).
    """

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, y: np.ndarray, sample_weight: np.ndarray) -> "TargetScaling":
        """The scaling of targets ``y`` of shape (n_samples, n_outputs).

        Computed in float64, the weights divided by their largest value and
        the deviations by theirs first, so that their products and squares
        stay finite.
        """
        y = y.astype(np.float64)
        weights = _relative_weights(sample_weight)
        mean = np.average(y, axis=0, weights=weights)
        deviations = y - mean
        largest = np.abs(deviations).max(axis=0, initial=0.0)
        largest[largest == 0] = 1.0
        scale = largest * np.sqrt(
            np.average((deviations / largest) ** 2, axis=0, weights=weights)
        )
        # constant targets (up to the rounding of their mean) are left
        # unscaled, but for that rounding, which far from 0 exceeds a unit
        # (1.8e44 for targets of 1e60): standardized, they stay within 1
        constant = (scale <= 10 * np.finfo(np.float64).eps * np.abs(mean)) | (
            scale == 0
        )
        scale[constant] = np.maximum(largest[constant], 1.0)
        return cls(mean=mean, scale=scale)

    def transform(self, y: np.ndarray) -> np.ndarray:
        """The standardized targets, in ``y``'s dtype."""
        return ((y - self.mean) / self.scale).astype(y.dtype, copy=False)

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        """``mean + scale * z``: outputs ``z`` in the targets' units, float64."""
        return self.mean + self.scale * np.asarray(z, dtype=np.float64)


_REGISTRY: Registry[Head] = Registry(_BUILTIN, what="head", namespace="skrnn.nn")

#: The names of the heads every process knows, without a registration: one
#: added with :func:`register_head` is unknown to worker processes that did
#: not run the code that added it.
BUILTIN_HEADS = _REGISTRY.builtin_names

HEADS: Mapping[str, Head] = _REGISTRY.view
"""The registered output heads by name, read only: see :func:`register_head`."""


def register_head(name: str, head: Head) -> None:
    """Make an output head available under a name.

    An estimator picks its head by name (see :ref:`adding-a-head`): the
    estimators, ensembles, explanations, :func:`skrnn.save` and
    :func:`skrnn.load` read the head's fields, so a registered head fits,
    predicts, saves and loads like a built-in one of its kind, but for two
    things: prediction and an ensemble's members run in this process
    whatever ``n_jobs``, and a process that loads a model of the head must
    register it first.

    Parameters
    ----------
    name : str
        The head's name, which :class:`~skrnn.nn.NetworkConfig` and model
        files hold.
    head : Head
        The head's kind and functions.

    Raises
    ------
    TypeError
        If ``name`` is not a string or ``head`` not a :class:`Head`.
    ValueError
        If a head is already registered under ``name``.

    See Also
    --------
    unregister_head : Remove it again.
    Head : What a head declares and the signatures of its functions.
    """
    if not isinstance(head, Head):
        raise TypeError(
            f"register_head takes a skrnn.nn.Head; got {type(head).__name__}."
        )
    _REGISTRY.add(name, head)


def unregister_head(name: str) -> None:
    """Remove a head added by :func:`register_head`.

    Parameters
    ----------
    name : str
        The name it was registered under.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is a built-in head or no registered head.
    """
    _REGISTRY.remove(name)


def get_head(name: str) -> Head:
    """The registered head ``name``, or a ValueError that lists the others."""
    return _REGISTRY.get(name)
