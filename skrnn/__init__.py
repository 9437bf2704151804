"""skrnn: recurrent neural networks over raw text in numpy, for scikit-learn.

The public names and the subpackages (``skrnn.datasets``, ``skrnn.nn``,
``skrnn.plotting``) are imported on first use, as scikit-learn's are, so
that ``import skrnn`` is quick and the numpy-only core (``skrnn.nn``) can be
imported without scikit-learn.
"""

import importlib as _importlib

__version__ = "0.1.0.dev0"

_PUBLIC = {
    "RNNTextClassifier": "._classifier",
    "RNNTextRegressor": "._regressor",
    "SequenceVectorizer": "._text",
    "load_word_vectors": "._embeddings",
    "save": "._persistence",
    "load": "._persistence",
    "SkrnnVersionWarning": "._versioning",
    "SEED_PARAMS": "._demo",
    "BaseOptimizer": "._optimizers",
    "register_optimizer": "._optimizers",
    "unregister_optimizer": "._optimizers",
}

#: Subpackages loaded on first attribute access: ``skrnn.datasets.load_trec()``
#: works after a plain ``import skrnn``.
_SUBMODULES = ("datasets", "nn", "plotting")

#: The types that :func:`skops.io.load` must be told to trust to load a fitted
#: skrnn estimator: the estimators and the vectorizer.  The fitted state they
#: hold is numpy arrays and builtins, which skops trusts already::
#:
#:     skops.io.load(path, trusted=skrnn.SKOPS_TRUSTED_TYPES)
SKOPS_TRUSTED_TYPES = (
    "skrnn._classifier.RNNTextClassifier",
    "skrnn._regressor.RNNTextRegressor",
    "skrnn._text.SequenceVectorizer",
)

__all__ = [
    "SEED_PARAMS",
    "SKOPS_TRUSTED_TYPES",
    "BaseOptimizer",
    "RNNTextClassifier",
    "RNNTextRegressor",
    "SequenceVectorizer",
    "SkrnnVersionWarning",
    "__version__",
    "datasets",
    "load",
    "load_word_vectors",
    "nn",
    "plotting",
    "register_optimizer",
    "save",
    "unregister_optimizer",
]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(_importlib.import_module(_PUBLIC[name], __name__), name)
    if name in _SUBMODULES:
        return _importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
