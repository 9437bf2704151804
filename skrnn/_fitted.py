"""The fitted state of an estimator: everything ``fit`` learns, as one value.

``fit`` and ``partial_fit`` build a new :class:`FittedModel` and store it in
one assignment; prediction, explanation and persistence read it.  A thread
that predicts while another refits sees the old model or the new one, never
a mix of the two.  Training works on copies (:meth:`FittedModel.thaw`), so a
failed or interrupted call leaves the stored model as it was.

:meth:`FittedModel.to_dict` gives the state as numpy arrays and builtins
(and the public :class:`~skrnn.SequenceVectorizer`), which is what pickle,
joblib and skops store and what :mod:`skrnn._persistence` lays out in a model
file; :meth:`FittedModel.from_dict` builds it back.
"""

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._ngrams import NgramModel
from ._optimizers import BUILTIN_OPTIMIZERS, BaseOptimizer, build_optimizer
from ._text import SequenceVectorizer
from ._training import TrainingState
from .nn import NetworkConfig, penalized_names
from .nn._heads import TargetScaling

Params = dict[str, np.ndarray]

__all__ = ["BIT_GENERATORS", "TRAINING_FIELDS", "FittedModel"]

#: The bit generators a fitted model's generator may have, by name.
BIT_GENERATORS = {
    cls.__name__: cls
    for cls in (
        np.random.PCG64,
        np.random.PCG64DXSM,
        np.random.MT19937,
        np.random.Philox,
        np.random.SFC64,
    )
}

#: The fields of :class:`TrainingState` that a fitted model keeps: those that
#: live only during one call (the best weights so far, an interrupt) are not.
TRAINING_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(TrainingState)
    if f.name not in ("best_params", "interrupted")
)


@dataclass(frozen=True)
class FittedModel:
    """What a fitted estimator knows.

    Parameters
    ----------
    classes : ndarray of shape (n_classes,) or None
        The sorted class labels (``arange(n_labels)`` for multi-label
        classification), or None for a regressor.
    vectorizer : SequenceVectorizer
        The fitted vocabulary.
    config : NetworkConfig
        The network's architecture.
    weights : dict of ndarray
        The network's parameters by name.
    optimizer : BaseOptimizer
        The optimizer, with its state, that training continues.
    training : TrainingState
        Epochs, samples seen, loss curve and stopping counters.
    rng : numpy.random.Generator
        The source of shuffling and dropout that training continues.
    fitted_params : dict
        The estimator's parameters that made the network and the optimizer,
        by name, as they were when each was made: a warm start compares
        them with the current ones.
    held_out : bool
        Whether the last call held out a validation set (early stopping).
    embeddings_coverage : float or None
        The share of the vocabulary found in pre-trained embeddings, or None
        without them.
    members : tuple of FittedModel
        The other members of an ensemble (``n_estimators > 1``): each has its
        own weights, optimizer, training state and generator, and shares the
        classes, vectorizer and configuration of this one, which is member 0.
        Empty for a single network.
    ngrams : NgramModel or None
        The n-gram companion (``ngram_range``), shared by the ensemble, or
        None without one.
    target_scaling : TargetScaling or None
        The standardization of the targets that the network trains on, fixed
        by the first fit, shared by the ensemble; None trains on the targets
        as they are (a classifier, a head without ``standardize_y``, a model
        made before the standardization).  ``weights`` are those of the
        standardized targets: :meth:`to_targets` maps their outputs back to
        the targets' units.
    """

    classes: np.ndarray | None
    vectorizer: SequenceVectorizer
    config: NetworkConfig
    weights: Params
    optimizer: BaseOptimizer
    training: TrainingState
    rng: np.random.Generator
    fitted_params: dict[str, Any]
    held_out: bool = False
    embeddings_coverage: float | None = None
    members: tuple["FittedModel", ...] = ()
    ngrams: NgramModel | None = None
    target_scaling: TargetScaling | None = None

    @property
    def ensemble(self) -> tuple["FittedModel", ...]:
        """Every member of the ensemble, this one first."""
        return (self, *self.members)

    def to_targets(self, outputs: np.ndarray, *, offset: bool = True) -> np.ndarray:
        """The network's ``outputs`` in the targets' units.

        ``outputs`` as they are, or mapped back by ``target_scaling`` in
        float64 (see :meth:`TargetScaling.inverse_transform`);
        ``offset=False`` maps differences of outputs, which are only scaled.
        """
        if self.target_scaling is None:
            return outputs
        if not offset:
            return self.target_scaling.scale * np.asarray(outputs, dtype=np.float64)
        return self.target_scaling.inverse_transform(outputs)

    def thaw(self) -> tuple[Params, BaseOptimizer, TrainingState, np.random.Generator]:
        """Copies of what training changes: weights, optimizer, state, generator."""
        return (
            copy.deepcopy(self.weights),
            copy.deepcopy(self.optimizer),
            copy.deepcopy(self.training),
            copy.deepcopy(self.rng),
        )

    def to_dict(self) -> dict[str, Any]:
        """The state as numpy arrays, builtins and the fitted vectorizer.

        Returns
        -------
        dict
            ``classes``, ``vectorizer``, ``network`` (the configuration's
            fields), ``weights``, ``optimizer_state`` (the optimizer's
            ``get_state()``; its settings are in ``fitted_params``),
            ``training`` (:data:`TRAINING_FIELDS`), ``rng`` (the bit
            generator's state), ``fitted_params``, ``held_out`` and
            ``embeddings_coverage``, and ``members``: for each other member
            of an ensemble, its ``weights``, ``optimizer_state``,
            ``training``, ``rng`` and ``fitted_params``; ``ngrams``: the
            companion's fields as a dict, or None; ``target_scaling``: its
            ``mean`` and ``scale`` as a dict, or None.
        """
        return {
            **self._member_dict(),
            "classes": self.classes,
            "vectorizer": self.vectorizer,
            "network": dataclasses.asdict(self.config),
            "held_out": self.held_out,
            "embeddings_coverage": self.embeddings_coverage,
            "members": [member._member_dict() for member in self.members],
            "ngrams": None if self.ngrams is None else dataclasses.asdict(self.ngrams),
            "target_scaling": (
                None
                if self.target_scaling is None
                else dataclasses.asdict(self.target_scaling)
            ),
        }

    def _member_dict(self) -> dict[str, Any]:
        """What is a member's own: weights, optimizer, training, generator."""
        return {
            "weights": dict(self.weights),
            "optimizer_state": self.optimizer.get_state(),
            "training": {
                name: getattr(self.training, name) for name in TRAINING_FIELDS
            },
            "rng": self.rng.bit_generator.state,
            "fitted_params": dict(self.fitted_params),
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> "FittedModel":
        """Build the fitted state back from :meth:`to_dict`'s output.

        Parameters
        ----------
        state : mapping
            As :meth:`to_dict` returns it.

        Returns
        -------
        FittedModel
            The fitted state, with a new optimizer holding the stored state.
        """
        network = dict(state["network"])
        if "n_classes" in network:  # a state pickled before the output heads
            network["n_outputs"] = network.pop("n_classes")
        config = NetworkConfig(**network)
        # A state pickled before the standardization of targets has none.
        scaling = state.get("target_scaling")
        shared = {
            "classes": state["classes"],
            "vectorizer": state["vectorizer"],
            "config": config,
            "held_out": bool(state["held_out"]),
            "embeddings_coverage": state["embeddings_coverage"],
            "target_scaling": None if scaling is None else TargetScaling(**scaling),
        }
        # A state pickled before ensembles has no members.
        members = tuple(
            cls(**shared, **_member_fields(member, config))
            for member in state.get("members", ())
        )
        # ... and a state pickled before the n-gram companion, no companion.
        ngrams = state.get("ngrams")
        if ngrams is not None:
            ranges = {
                name: tuple(ngrams[name])
                for name in ("ngram_range", "char_range")
                if ngrams.get(name) is not None
            }
            ngrams = NgramModel.from_dict({**ngrams, **ranges})
        return cls(
            **shared,
            **_member_fields(state, config),
            members=members,
            ngrams=ngrams,
        )


def _member_fields(state: Mapping[str, Any], config: NetworkConfig) -> dict[str, Any]:
    """A member's weights, optimizer, training state, generator and parameters."""
    weights = dict(state["weights"])
    # A state pickled before Adam took a schedule ran with "constant".
    fitted_params = {"learning_rate": "constant", **state["fitted_params"]}
    optimizer = build_optimizer(
        weights, fitted_params, penalized=penalized_names(config)
    )
    try:
        optimizer.set_state(state["optimizer_state"])
    except ValueError as exc:
        solver = fitted_params["solver"]
        if solver in BUILTIN_OPTIMIZERS:
            raise
        raise ValueError(
            f"{exc} Was another optimizer registered as {solver!r:.60} since the "
            "model was made? Register the optimizer it was made with."
        ) from None
    name = state["rng"]["bit_generator"]
    if name not in BIT_GENERATORS:
        raise ValueError(
            f"Unknown bit generator {name!r}: a fitted model's generator is "
            f"one of {sorted(BIT_GENERATORS)}."
        )
    bit_generator = BIT_GENERATORS[name]()
    bit_generator.state = state["rng"]
    return {
        "weights": weights,
        "optimizer": optimizer,
        "training": TrainingState(**state["training"]),
        "rng": np.random.Generator(bit_generator),
        "fitted_params": fitted_params,
    }
