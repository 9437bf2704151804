"""skrnn: recurrent neural network text classifiers in numpy, for scikit-learn.

The public names are imported on first use, so that the numpy-only core
(``skrnn.nn``) can be imported without scikit-learn.
"""

import importlib

__version__ = "0.1.0.dev0"

_PUBLIC = {
    "RNNTextClassifier": "._classifier",
    "SequenceVectorizer": "._text",
    "load_word_vectors": "._embeddings",
    "save": "._persistence",
    "load": "._persistence",
    "SkrnnVersionWarning": "._versioning",
}

#: The types that :func:`skops.io.load` must be told to trust to load a fitted
#: skrnn estimator: the estimators and the vectorizer.  The fitted state they
#: hold is numpy arrays and builtins, which skops trusts already::
#:
#:     skops.io.load(path, trusted=skrnn.SKOPS_TRUSTED_TYPES)
SKOPS_TRUSTED_TYPES = (
    "skrnn._classifier.RNNTextClassifier",
    "skrnn._text.SequenceVectorizer",
)

__all__ = [
    "SKOPS_TRUSTED_TYPES",
    "RNNTextClassifier",
    "SequenceVectorizer",
    "SkrnnVersionWarning",
    "__version__",
    "load",
    "load_word_vectors",
    "save",
]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
