"""Versions in saved models: a warning when another version of skrnn loads one.

Pickles and skrnn model files record the version of skrnn that wrote them;
loading one written by another version warns with
:class:`SkrnnVersionWarning`, as scikit-learn warns with
``InconsistentVersionWarning`` for its own estimators.
"""

from typing import Any

from . import __version__
from ._warnings import warn

__all__ = ["SkrnnVersionWarning", "VersionedPickleMixin"]


class SkrnnVersionWarning(UserWarning):
    """A model is loaded by another version of skrnn than the one that saved it.

    Warned (with :func:`warnings.warn`, not raised) by :func:`load` and when
    unpickling an estimator that uses :class:`VersionedPickleMixin`. The
    model is loaded anyway: it may work, give different results or fail
    later.

    Parameters
    ----------
    estimator_name : str
        Class name of the loaded estimator.
    current_version : str
        The running version of skrnn.
    original_version : str
        The version of skrnn that saved the model, or ``"unknown"``.
    """

    def __init__(
        self, *, estimator_name: str, current_version: str, original_version: str
    ) -> None:
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version

    def __str__(self) -> str:
        return (
            f"Trying to load {self.estimator_name} saved with skrnn "
            f"{self.original_version} when using skrnn {self.current_version}. "
            "This might lead to breaking code or invalid results; refit the "
            f"model with skrnn {self.current_version} or load it with skrnn "
            f"{self.original_version}."
        )


class VersionedPickleMixin:
    """Record the skrnn version in pickles; warn when another version loads them.

    Put it first among the bases of an estimator. ``__getstate__`` adds the
    running skrnn version to the pickled state under ``"_skrnn_version"``;
    ``__setstate__`` removes it and warns with :class:`SkrnnVersionWarning`
    when it differs from the running version, then hands the rest to the next
    class (scikit-learn's ``BaseEstimator``, which does the same for
    scikit-learn's own estimators).
    """

    def __getstate__(self) -> dict[str, Any]:
        parent = getattr(super(), "__getstate__", None)
        state = parent() if parent is not None else None
        if state is None:
            state = self.__dict__.copy()
        return {**state, "_skrnn_version": __version__}

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        original_version = state.pop("_skrnn_version", "unknown")
        if original_version != __version__:
            warn(
                SkrnnVersionWarning(
                    estimator_name=type(self).__name__,
                    current_version=__version__,
                    original_version=original_version,
                ),
            )
        parent = getattr(super(), "__setstate__", None)
        if parent is None:
            self.__dict__.update(state)
        else:
            parent(state)
