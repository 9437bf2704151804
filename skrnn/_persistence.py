r"""Safe persistence of fitted models: arrays and JSON, never pickle.

:func:`save` writes a fitted :class:`~skrnn.RNNTextClassifier` or
:class:`~skrnn.RNNTextRegressor` to a file that
holds only numeric and string arrays and JSON, and :func:`load` reads it
back. Unlike :mod:`pickle` or :mod:`joblib`, loading such a file cannot run
code from it, so models can be exchanged between people who do not trust
each other. Pickle stays fine for files you made yourself;
:class:`VersionedPickleMixin` makes those pickles warn when another version
of skrnn loads them.

File format, version 14
-----------------------
A model file is a ZIP archive with exactly two members, neither encrypted:
``metadata.json``, deflated (or stored), and ``arrays.npz``, stored. A
reader refuses other compression methods, members that declare more
compressed bytes in all than their archive holds, and one that declares more
bytes than it holds (stored) or more than 20 times its compressed size and
over 1 MiB (deflated). :func:`save` writes the archive to a temporary file
in the target's folder, which then replaces the target in one step.

``metadata.json``
    One JSON object, UTF-8, strict JSON (no ``NaN`` or ``Infinity``
    literals), nested at most 64 deep, with exactly these keys. A string
    that holds a lone UTF-16 surrogate (text decoded with
    ``errors="surrogateescape"``) holds it as a ``\udcXX`` escape, which a
    JSON reader turns back into it.

    ``format``
        ``"skrnn-model"``.
    ``format_version``
        ``14``. Readers refuse files of a newer version, and read the older
        ones (see below).
    ``skrnn_version``, ``sklearn_version``, ``numpy_version``
        The versions that wrote the file. :func:`load` warns with
        :class:`SkrnnVersionWarning` when ``skrnn_version`` is not the
        running version, and refuses one that is not a version (up to 64
        letters, digits and ``.+!_-``), which the warning would show.
    ``estimator``
        ``"RNNTextClassifier"`` or ``"RNNTextRegressor"``.
    ``params``
        ``get_params()`` by parameter name (a regressor's ``loss`` names the
        loss whose head ``network.head`` holds: ``"identity"`` for
        ``"squared_error"``, the head of its own name for any other).
        Pre-trained ``embeddings`` given as a dict are written as ``null``:
        their vectors are in the weights. A
        ``vocabulary`` given as an iterable other than a list, tuple, set or
        mapping (a numpy array, a pandas Series, ``dict.keys()``) is written
        as the list of its words, in order. The parameters that a warm start
        requires unchanged have the values that the model was fitted with:
        those of ``architecture`` and of ``vectorizer.params``.
    ``classes``
        ``{"object": bool}``: whether ``classes_`` had object dtype; its
        values are then rebuilt as Python objects from the stored array.
        ``null`` for a regressor, which has no ``classes_``.
    ``vectorizer``
        ``{"params": {...}, "vocabulary": [...], "fixed_vocabulary": bool}``:
        the parameters of ``vectorizer_`` (written as ``params`` are), its
        words in the order of their ids (the word of id ``i`` at position
        ``i - 2``; ids 0 and 1 are padding and unknown words) and its
        ``fixed_vocabulary_``.
    ``network``
        The fields of the network's ``NetworkConfig``: ``n_vocab``,
        ``n_outputs``, ``cell``, ``hidden_size``, ``embedding_dim``,
        ``num_layers``, ``bidirectional``, ``pooling``, ``dropout``,
        ``input_dropout``, ``head``.
    ``architecture``
        The architecture parameters at fit time (``cell``, ``hidden_size``,
        ``embedding_dim``, ``num_layers``, ``bidirectional``, ``pooling``,
        ``dtype``), which a warm start compares with the current ones.
    ``dtype``
        ``"float32"`` or ``"float64"``: the type of every weight and
        optimizer array.
    ``optimizer``
        ``{"solver": "adam", "adamw" or "sgd", "hyperparameters": {...},
        "scalars": {...}}``: the optimizer's ``get_hyperparameters()``, by the
        estimator's names (``learning_rate_init``, and ``learning_rate``,
        ``power_t``, ``momentum``, ``nesterovs_momentum`` for SGD,
        ``learning_rate``, ``beta_1``, ``beta_2``, ``epsilon`` for Adam, those
        and ``alpha`` for AdamW), and its scalar state,
        ``current_learning_rate`` (and ``t`` for Adam and AdamW; and
        ``schedule_epoch`` and ``schedule_step``, the epochs done and the
        steps taken in the current one, with ``learning_rate="cosine"``,
        whose ``current_learning_rate`` may be 0).
    ``optimizer_params``
        ``solver`` and its hyperparameters, as the estimator's parameters were
        at fit time: a warm start with any of them changed starts a new
        optimizer.

        Files written by skrnn up to 2c130fb name the scalar
        ``learning_rate``, SGD's ``learning_rate`` and ``nesterovs_momentum``
        ``lr_schedule`` and ``nesterov``, and hold all nine optimizer
        parameters of the estimator in ``optimizer_params``; :func:`load`
        reads them too.
    ``training_state``
        ``n_iter``, ``t``, ``loss_curve``, ``validation_scores``,
        ``best_loss``, ``best_validation_score``, ``no_improvement_count``,
        ``validation_seed`` (null before any fit with early stopping, else
        a seed in ``[0, 2**32)``): what
        ``partial_fit`` and warm starts continue from.
    ``rng``
        ``bit_generator.state`` of the estimator's ``numpy.random.Generator``
        as numpy gives it (PCG64: ``state`` and ``inc`` are 128-bit JSON
        integers).
    ``attributes``
        ``n_iter_``, ``t_``, ``loss_curve_``, ``best_loss_``,
        ``validation_scores_``, ``best_validation_score_`` and, when set,
        ``embeddings_coverage_``.

    The values inside ``params``, ``vectorizer.params``, ``architecture``,
    ``optimizer``, ``optimizer_params``, ``training_state`` and
    ``attributes`` are JSON, except
    that what JSON cannot hold is written as a one-key object:
    ``{"__float__": "inf"}`` (or ``"-inf"``, ``"nan"``),
    ``{"__tuple__": [...]}``, ``{"__set__": [...]}``,
    ``{"__dict__": [[key, value], ...]}`` (every dict, so that keys keep
    their type), ``{"__dtype__": "float32"}`` (a numpy scalar type such as
    ``numpy.float32``) and ``{"__random_state__": {"key": [...], "pos": int,
    "has_gauss": int, "gauss": float}}`` (a ``numpy.random.RandomState``).
    Any other JSON object there is an error.

``arrays.npz``
    A NumPy ``.npz`` archive (as :func:`numpy.savez` writes it, its members
    stored), holding exactly the arrays below. Each member is an ``.npy``
    array of format 1.0 or 2.0 whose header is the one that
    :func:`numpy.save` writes for a boolean, number or string dtype, and
    whose data is exactly as long as the header's dtype and shape say: a
    reader checks the header before it reads the data, and refuses any
    other (an object array, which would need pickle, among them).

    ``classes_``
        The class labels: a 1-D boolean, integer, float, bytes or unicode
        array, sorted (a classifier's only).
    ``weights/<name>``
        Every array of ``weights_``, such as ``weights/embed.E`` or
        ``weights/layer0.fwd.W_hh``, with the shapes that the ``network``
        configuration gives.
    ``optimizer/<key>``
        Every array of the optimizer's ``get_state()``, such as
        ``optimizer/ms.head.W_hy`` (Adam) or ``optimizer/velocities.embed.E``
        (SGD).

``metadata.json`` also has ``members`` (from version 3): a list with, for
each member ``k = 1, 2, ...`` of an ensemble after the first
(``n_estimators - 1`` of them, none for one network), its ``optimizer``,
``training_state`` and ``rng``, as the sections of those names hold member
0's; its arrays are ``members/<k>/weights/<name>`` and
``members/<k>/optimizer/<key>``.  The members share the classes,
vocabulary, network configuration and ``optimizer_params``; the
``attributes`` are member 0's.

``metadata.json`` also has ``ngrams`` (from version 5): ``null``, or for a
classifier with an n-gram companion (``ngram_range``)
``{"ngram_range": [min_n, max_n], "C": float, "whole_documents": bool,
"weight": float or null, "char_range": [min_n, max_n] or null,
"char_C": float or null}``
(``whole_documents`` from version 11: whether the
companion reads whole documents, or the tokens its network reads, up to
``max_length``; ``weight`` from version 12: the companion's weight in the
blend that ``fit`` chose with ``ngram_weight="auto"`` or was given, in
[0, 1], null for a companion fitted before; ``char_range`` from version
13: the lengths of its words' character n-grams, ``char_ngram_range``,
with ``1 <= min_n <= max_n <= 16``, or null for none, and ``char_C``, the
positive ``C`` of its character part, null without one), with
``1 <= min_n <= max_n`` and keys of ``max_n``-grams within int64, and the arrays
``ngrams/keys`` (int64, the sorted unique n-gram keys, each in
``[2 * n_vocab ** (min_n - 1), n_vocab ** max_n)``, ``n_vocab`` being the
vectorizer's number of ids), ``ngrams/coef`` (float64, finite, of shape
``(n_features, n_columns)``, ``n_features`` being ``n_keys`` without
characters) and ``ngrams/intercept`` (float64, finite, of
shape ``(n_columns,)``), where ``n_columns`` is 1 for two classes and the
number of classes or labels otherwise; from version 10, for two classes
or a companion of TF-IDF rows, also ``ngrams/scale`` (float64, finite,
non-negative, of shape ``(n_features,)``), each feature's squared log-count
ratio (or squared inverse document frequency): the companion divides a
document's decision by ``sqrt(x @ scale)`` for its binary features ``x``
(by 1 where that is 0).  A companion without it (more classes of NB
ratios, or one of a version 9 file saved again) divides by 1.  A companion
with ``char_range`` (from version 14) has features after the keys' n-grams,
one for each id ``i`` (``n_keys + i``: the document holds the word), so that
``ngrams/coef`` and ``ngrams/scale`` have ``n_features = n_keys + n_vocab``
rows (the naive Bayes part's weights of the ids are 0); and its character
part, a second regression blended with the first: ``ngrams/char_coef``
(float64, finite, of shape ``(n_features, n_columns)``),
``ngrams/char_intercept`` (float64, finite, of shape ``(n_columns,)``) and
``ngrams/char_scale`` (float64, finite, non-negative, of shape
``(n_features,)``), whose decision is that of two sections, each divided
by the square root of its sum of ``char_scale``: the document's n-grams
(the first ``n_keys`` features) and its words (the ids': each id's row
holds the decision of its word's vector of character n-grams).

``arrays.npz`` also has ``targets/mean`` and ``targets/scale`` (from
version 9) for a regressor fitted on standardized targets, which only the
heads with ``standardize_y`` are (such as the identity of
``loss="squared_error"``): float64, finite, of shape ``(n_outputs,)``, the
scales positive.  Its weights are those of the targets ``(y - mean) /
scale``; it predicts ``mean + scale * z`` from the network's outputs ``z``.
Without them (a model of a version 8 file, saved again), a regressor
trained on the targets as they were.

Callbacks set with ``set_callbacks`` are not stored: they belong to a fit,
not to the model.

Version 13 files with a ``ngrams.char_range`` (a development version's
character part, which read the union of a document's character n-grams)
are refused: refit the model.  Version 12 and older have no
``ngrams.char_range`` and no
``char_ngram_range`` in a classifier's ``params``: their companions read
words only, and :func:`load` reads them with ``char_ngram_range=None``.
Version 11 and older have no ``ngrams.weight``: their companions were
fitted before ``ngram_weight="auto"``, and :func:`load` reads them with
null, which ``"auto"`` blends with the default weight of their time, 0.7.
Version 10 and older have no ``ngrams.whole_documents``: their companions
read the network's tokens (up to ``max_length``), and :func:`load` reads
them so.
Version 9 and older have no ``ngrams/scale``: their companions did not
divide by the documents' norms, and :func:`load` reads them so.
Version 8 and older have no ``targets/mean`` and ``targets/scale``: their
regressors trained on the targets as they were, and :func:`load` reads
them so (a mean of 0 and a scale of 1), predicting and continuing as they
did.
Version 7 and older have no ``loss`` in a regressor's ``params``: its head
was its class's, the identity, or that of a subclass that set ``heads``,
saved as ``RNNTextRegressor``; :func:`load` reads them with the loss of
their head, ``"squared_error"`` for the identity and the head's own name
for any other (a loaded model fits anew the head it was saved with).
Version 6 and older have no ``ngram_blend`` in a classifier's ``params``:
their companions were blended by the arithmetic mean, and :func:`load`
reads them with ``ngram_blend="arithmetic"``, as they predicted.  Version 5
and older have no ``learning_rate`` in the ``optimizer_params``
and ``optimizer.hyperparameters`` of Adam and AdamW, which had no schedule:
:func:`load` reads them with ``"constant"`` (or the ``learning_rate`` that
``optimizer_params`` of a file of 2c130fb or earlier holds, which Adam
ignored).  Version 4 and older have no n-gram companion, and their classifiers'
``params`` no ``ngram_range`` and ``ngram_weight``: :func:`load` reads them
with ``ngram_range=None``.  Version 3 and older have no
``adversarial_epsilon`` in ``params``: :func:`load` reads them with
``adversarial_epsilon=0.0``, as they were trained.  Version 2 and older
hold one network (``params`` has no ``n_estimators``): :func:`load` reads
them with ``n_estimators=1``.  Version 1 knew the softmax head only: its
``network`` has ``n_classes`` for ``n_outputs`` and no ``head``.
:func:`load` reads it as a version 2 file
with ``head`` ``"softmax"``.
"""

# Authors: The skrnn developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import dataclasses
import errno
import heapq
import io
import json
import math
import os
import re
import secrets
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, BinaryIO

import numpy as np
import sklearn
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from . import __version__
from ._base import _ARCHITECTURE_PARAMS, BaseRNNText
from ._classifier import RNNTextClassifier
from ._fitted import TRAINING_FIELDS, FittedModel
from ._ngrams import COMPANION_HEADS, NgramModel, check_char_range, check_ngram_range
from ._optimizers import (
    BUILTIN_OPTIMIZERS,
    OPTIMIZERS,
    AdamOptimizer,
    BaseOptimizer,
    build_optimizer,
)
from ._regressor import LOSSES, RNNTextRegressor, loss_of_head
from ._text import (
    _FORMER_TOKEN_PATTERN,
    _N_RESERVED,
    DEFAULT_TOKEN_PATTERN,
    SequenceVectorizer,
)
from ._training import TrainingState
from ._versioning import SkrnnVersionWarning
from ._warnings import warn
from .nn import (
    CELLS,
    HEADS,
    NetworkConfig,
    n_params,
    param_shapes,
    penalized_names,
)
from .nn._heads import BUILTIN_HEADS, TargetScaling, get_head

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "load",
    "save",
]

FORMAT = "skrnn-model"
"""Value of ``format`` in ``metadata.json``."""

FORMAT_VERSION = 14
"""Version of the file format that :func:`save` writes; :func:`load` reads it
and every older one."""

#: The parameters that ``params`` holds from a format version on: what they
#: brought, and the values that read a file of an older version as it was.
_ADDED_PARAMS = {
    3: ("ensembles", {"n_estimators": 1}),
    4: ("adversarial training", {"adversarial_epsilon": 0.0}),
    # (the weight is read only with a companion: a file without one gets
    # today's default, which a companion turned on later blends by)
    5: ("the n-gram companion", {"ngram_range": None, "ngram_weight": "auto"}),
    7: ("the geometric blend", {"ngram_blend": "arithmetic"}),
    8: ("the loss parameter", {"loss": "squared_error"}),
    13: ("characters in the companion", {"char_ngram_range": None}),
}

#: The first version whose character part :func:`load` reads (see
#: :func:`_decode_chars`).
_CHAR_SUMS_VERSION = 14


def _loss_of_old_regressor(params: Any, network: Any) -> Any:
    """The ``params`` of a regressor file of version 7 or older, with its ``loss``.

    Its head was picked by its class: ``"identity"``, the squared error, or
    the head of a subclass that set ``heads``, saved as RNNTextRegressor,
    which is the loss of its name.
    """
    head = network.get("head") if isinstance(network, dict) else None
    if isinstance(params, dict) and isinstance(head, str):
        return {**params, "loss": loss_of_head(head)}
    return params


#: The names that files of 2c130fb and earlier gave to the optimizer's
#: hyperparameters where they differed from the estimator's.
_OLD_OPTIMIZER_NAMES = {
    "lr_schedule": "learning_rate",
    "nesterov": "nesterovs_momentum",
}

_METADATA = "metadata.json"
_ARRAYS = "arrays.npz"
#: The estimators that model files hold, by the name the files give them.
_ESTIMATORS = {cls.__name__: cls for cls in (RNNTextClassifier, RNNTextRegressor)}
_METADATA_KEYS = frozenset(
    {
        "format",
        "format_version",
        "skrnn_version",
        "sklearn_version",
        "numpy_version",
        "estimator",
        "params",
        "classes",
        "vectorizer",
        "network",
        "architecture",
        "dtype",
        "optimizer",
        "optimizer_params",
        "training_state",
        "rng",
        "attributes",
    }
)
#: A version of skrnn, as the files that it writes record it (PEP 440, with
#: a local label).
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+!_-]{0,63}")
#: The keys of metadata.json whose values are strings; the others but
#: format_version are objects.
_STRING_KEYS = frozenset(
    {
        "format",
        "skrnn_version",
        "sklearn_version",
        "numpy_version",
        "estimator",
        "dtype",
    }
)
_ATTRIBUTES = (
    "n_iter_",
    "t_",
    "loss_curve_",
    "best_loss_",
    "validation_scores_",
    "best_validation_score_",
)
_OPTIONAL_ATTRIBUTES = ("embeddings_coverage_",)
#: Bit generators whose state is plain JSON (integers and strings).
_BIT_GENERATORS = ("PCG64", "PCG64DXSM")
#: dtype kinds of the class labels that npz stores without pickle.
_CLASS_KINDS = "biufSU"
_WEIGHT_DTYPES = ("float32", "float64")
#: The callable parameters: what they do is code, which the file never holds.
_CALLABLE_HINT = (
    "a skrnn model file holds only arrays and JSON, never code. Set it to "
    "None or a built-in option before saving, or, for files you trust, use "
    "pickle or joblib instead."
)


class _CorruptFileError(Exception):
    """What is wrong with a model file; :func:`load` re-raises it as ValueError."""


class _NotAModelError(_CorruptFileError):
    """What a file that is not a model file looks like, and what to do."""


# ------------------------------------------------------------------- saving


def save(model: BaseRNNText, file: str | os.PathLike | BinaryIO) -> None:
    """Save a fitted skrnn estimator without pickle.

    The file holds only arrays and JSON (see Notes), so that :func:`load`
    cannot run code from it, whoever wrote it. It keeps everything needed to
    predict as the model does and to continue training it with
    ``partial_fit`` or ``warm_start`` exactly as the model itself would: the
    weights, the vocabulary, the optimizer's state, the training history and
    the state of the random generator.

    Parameters
    ----------
    model : RNNTextClassifier or RNNTextRegressor
        A fitted estimator.
    file : str, path-like or binary file object
        Where to write: a path or a file object opened for writing bytes,
        such as ``open(path, "wb")`` or :class:`io.BytesIO`. A path is
        written atomically: the model goes to a temporary file in the same
        folder, which then replaces the file at the path in one step, so
        that the path holds the old file or the new one, never a part of
        either, whatever happens during the save (an error, a full disk,
        Ctrl-C, the process killed, another save to the same path). If the
        path is a symbolic link, the file it points to is replaced.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the model is not fitted.
    TypeError
        If ``file`` is neither a path nor a binary file object (``bytes``, a
        text file object), if ``model`` is not an ``RNNTextClassifier`` or
        ``RNNTextRegressor`` (a subclass that sets nothing, or a subclass
        of the classifier that sets nothing but ``heads``, is saved as the
        estimator it derives from, with its head), or
        a parameter (such as
        a callable ``tokenizer``, ``preprocessor`` or ``strip_accents``) or
        the class labels cannot be written as arrays and JSON. Nothing is
        written then.
    sklearn.utils._param_validation.InvalidParameterError
        If a parameter has a value that ``fit`` would refuse (set with
        ``set_params`` after fitting): the file could not be loaded.
    OSError
        If the file cannot be written, such as when the disk is full or the
        folder is not writable (the temporary file needs a writable
        folder), or :class:`PermissionError` if the file at the path is
        read-only (no one may write it, or you may not). A file already at
        the path is left as it was.
    ValueError
        If a string of the model holds a UTF-16 surrogate pair as two code
        points, which a JSON reader would read back as one character (a
        lone surrogate, as text decoded with ``errors="surrogateescape"``
        has, is saved and loaded back exactly). If a parameter that shapes
        the network (``cell``, ``hidden_size``, ``embedding_dim``,
        ``num_layers``, ``bidirectional``, ``pooling``, ``dtype``) or the
        vocabulary (the text parameters, such as ``token_pattern`` or
        ``max_length``) was changed with ``set_params`` since the model was
        fitted, as a warm start would refuse: the file would describe another
        model than the one it holds. If :func:`load` would refuse the file:
        the fitted state was changed in place (a weight of ``weights_``
        replaced by one of another shape, or holding NaN). Nothing is
        written then.

    See Also
    --------
    load : Read the file back.

    Notes
    -----
    The file is a ZIP archive with two members. ``metadata.json`` holds the
    format name (``"skrnn-model"``) and version (14), the versions of skrnn,
    scikit-learn and numpy that wrote it, ``get_params()``, the vectorizer's
    parameters and its words in id order, the network configuration, the
    optimizer's solver, hyperparameters and scalars, the training state, the
    random generator's state and the fitted scalar attributes.
    ``arrays.npz``, an ``.npz`` archive read with ``allow_pickle=False``,
    holds ``classes_``, every weight as ``weights/<name>`` and every optimizer
    array as ``optimizer/<key>``. Every key is specified at the top of
    ``skrnn/_persistence.py`` in skrnn's source, for those who read or write
    such files without skrnn.

    Some things are not stored. Callable parameters are code, so ``save``
    refuses models that have them. Callbacks set with ``set_callbacks``
    belong to a fit, not to the model. Pre-trained ``embeddings`` given as a
    dict are stored as None: the fitted model does not need them, since their
    vectors already are in the embedding weights, but a new ``fit`` (without
    ``warm_start``) of the loaded model starts from random embeddings (with
    ``embedding_dim=None``, a one-hot network: set ``embeddings`` or
    ``embedding_dim`` again before refitting). A path
    to a vectors file is stored as the path. A ``vocabulary`` given as an
    iterable other than a list, tuple, set or mapping (a numpy array, a
    pandas Series, ``dict.keys()``) is stored as the list of its words, in
    order; an iterator, which ``fit`` has used up, is refused.

    Examples
    --------
    >>> import io
    >>> import skrnn
    >>> X = ["a good film", "a bad film", "good", "bad"] * 3
    >>> y = ["pos", "neg", "pos", "neg"] * 3
    >>> clf = skrnn.RNNTextClassifier(random_state=0).fit(X, y)
    >>> buffer = io.BytesIO()
    >>> skrnn.save(clf, buffer)
    >>> clone = skrnn.load(io.BytesIO(buffer.getvalue()))
    >>> bool((clone.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    _saved_class(model)
    if not isinstance(file, (str, os.PathLike)):
        _check_file_object(file, writing=True)
    check_is_fitted(model)
    model._validate_params()
    if changed := model._changed_since_fit():
        raise ValueError(
            f"Cannot save: {', '.join(changed)} changed since the model was "
            "fitted, and the file would describe another network or "
            "vocabulary than the one it holds. Set "
            + ", ".join(f"{name}={value!r:.60}" for name, value in changed.items())
            + " again, or refit, before saving."
        )
    metadata, arrays = _encode_classifier(model)
    # Everything is encoded before anything touches the disk: a model that
    # cannot be saved leaves the path as it was.
    text = _json_bytes(metadata)
    _check_loadable(text, arrays)
    npz = _npz_bytes(arrays)

    def write(opened: BinaryIO) -> None:
        with _zip_writer(opened) as archive:
            archive.writestr(_zip_info(_METADATA), text, zipfile.ZIP_DEFLATED)
            # The arrays are mostly floats, which deflate shrinks by a few
            # percent only, at the price of a slower load: store them as
            # they are.
            archive.writestr(_zip_info(_ARRAYS), npz, zipfile.ZIP_STORED)

    if isinstance(file, (str, os.PathLike)):
        _write_atomically(file, write)
    else:
        # Written whole, in one call: zipfile seeks back to complete each
        # member's header, which a file opened for appending ("ab") writes
        # at its end instead, making a file that load refuses.
        buffer = io.BytesIO()
        write(buffer)
        _write_all(file, buffer.getvalue())


def _write_all(file: BinaryIO, data: bytes) -> None:
    """Write ``data`` whole, as often as a raw stream writes only part of it.

    An unbuffered file object (a socket's ``makefile("wb", buffering=0)``
    with a timeout, say) may write fewer bytes than it is given and say how
    many: the rest would be silently missing from the model file.  A write
    that returns no count (None from a file-like object of one's own) is
    taken as whole.
    """
    view = memoryview(data)
    while view:
        written = file.write(view if len(view) < len(data) else data)
        if type(written) is not int:
            return
        if written <= 0:
            raise OSError(
                f"could not save: the file object wrote {written} of the "
                f"{len(view)} bytes left of the model"
            )
        view = view[written:]


def _check_loadable(text: bytes, arrays: dict[str, np.ndarray]) -> None:
    """Raise ValueError unless :func:`load` would read the model back.

    A fitted state changed in place (a weight of ``weights_`` replaced by one
    of another shape or with NaN, a word of ``vectorizer_.vocabulary_`` that
    is not a string) would make a file that load refuses, which would
    replace a good one at the path.
    """
    metadata = json.loads(text)
    _check_solver_is_registered(metadata)
    try:
        _decode_estimator(metadata, dict(arrays))
    except _CorruptFileError as exc:
        raise ValueError(
            _shorten(
                f"Cannot save: skrnn.load would refuse the file, since the "
                f"fitted model is inconsistent ({exc}). Was a fitted attribute "
                "changed in place? Refit the model before saving."
            )
        ) from exc.__cause__


#: UTF-16 surrogates, which UTF-8 cannot encode: text decoded with
#: ``errors="surrogateescape"`` holds them for the bytes it could not decode.
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def _json_bytes(metadata: dict[str, Any]) -> bytes:
    """``metadata.json``: strict JSON in UTF-8, surrogates as escapes.

    A JSON reader turns the escape of a lone surrogate back into it, so
    that a vocabulary of text decoded with ``errors="surrogateescape"``
    round-trips exactly; it would join a high and a low surrogate into one
    character, so such a pair is refused.
    """
    text = json.dumps(metadata, allow_nan=False, ensure_ascii=False, indent=1)
    if match := _SURROGATE_PAIR.search(text):
        raise ValueError(
            f"Cannot save: a string of the model (a word of the vocabulary or a "
            f"parameter) holds the UTF-16 surrogate pair {match[0]!r} as two "
            "code points, which the file would give back as the one character "
            "they encode. Decode the text with a UTF-8 codec before fitting."
        )
    text = _SURROGATE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)
    return text.encode("utf-8")


def _write_atomically(
    path: str | os.PathLike, write: Callable[[BinaryIO], None]
) -> None:
    """Write a file with ``write``, replacing the file at ``path`` in one step.

    The content goes to a new temporary file in the same folder, flushed
    and synced to disk, which then replaces ``path`` with :func:`os.replace`
    (atomic on POSIX and Windows): the path holds the old file or the new
    one, never a part of either. The temporary file is removed if anything
    fails, Ctrl-C included; a process killed during the write leaves it
    behind, named ``.<name>.<random>.tmp``, and the old file intact. The new
    file has the permissions of the file it replaces, or those that
    ``open(path, "wb")`` would give it; a read-only file is not replaced. A
    path that is not a regular file (a device such as ``/dev/stdout``, a
    named pipe) cannot be replaced and is written in place.
    """
    if not os.fspath(path):
        # As open("", "wb") does: realpath would make it the current folder.
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "")
    if os.fspath(path).endswith(_SEPARATORS):
        # As open() does: realpath would drop the separator and write a file
        # named like the folder meant.
        raise IsADirectoryError(
            errno.EISDIR,
            "Is a folder (the path ends with a separator): give the model file's name",
            os.fspath(path),
        )
    target = os.path.realpath(path)
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    except OSError as exc:  # a file where a folder should be, a loop of links
        exc.filename = os.fspath(path)
        raise
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        with open(target, "wb") as opened:
            write(opened)
        return
    _check_replaceable(path)
    folder, name = os.path.split(target)
    temporary = os.path.join(folder, f".{name[:200]}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = None
    try:
        # Mode 0o666 less the umask, as open(path, "wb") would create it.
        descriptor = os.open(temporary, flags, 0o666)
        with os.fdopen(descriptor, "wb") as opened:
            if existing is not None:
                os.chmod(temporary, stat.S_IMODE(existing.st_mode))
            write(opened)
            opened.flush()
            os.fsync(opened.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        if descriptor is None:  # no temporary file: the folder is at fault
            exc.filename = os.fspath(path)
            raise
        _remove(temporary)
        raise
    except BaseException:
        # Ctrl-C may come as soon as os.open returns: remove the file by name.
        _remove(temporary)
        raise
    _sync_folder(folder)


def _check_replaceable(path: str | os.PathLike) -> None:
    """Raise PermissionError if the regular file at ``path`` is read-only.

    :func:`os.replace` needs only the folder's permission: a file made
    read-only to keep it is kept, as ``open(path, "wb")`` would keep it
    (and for root too, who may open it, when no one has write permission).
    """
    target = os.path.realpath(path)
    try:
        existing = os.stat(target)
    except OSError:
        return
    if stat.S_ISREG(existing.st_mode) and not (
        existing.st_mode & 0o222 and os.access(target, os.W_OK)
    ):
        raise PermissionError(
            errno.EACCES,
            "Permission denied: the file is read-only, and was kept; make it "
            "writable (chmod u+w) or save under another name",
            os.fspath(path),
        )


#: What ends a path that names a folder.
_SEPARATORS = tuple(sep for sep in (os.sep, os.altsep) if sep)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _sync_folder(folder: str) -> None:
    """Sync a folder, so that a rename in it survives a power cut (POSIX).

    Windows cannot open folders, and some file systems cannot sync them: the
    rename is then as durable as the system makes it.
    """
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """An uncompressed npz archive, as numpy.savez writes it, but reproducible."""
    buffer = io.BytesIO()
    with _zip_writer(buffer) as npz:
        for key, array in arrays.items():
            with npz.open(_zip_info(f"{key}.npy"), "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
    return buffer.getvalue()


@contextlib.contextmanager
def _zip_writer(file: BinaryIO) -> Iterator[zipfile.ZipFile]:
    """``zipfile.ZipFile(file, "w")``, which Ctrl-C interrupts as it should.

    Interrupted while it opens a member, zipfile cannot close the archive and
    raises ValueError in place of the KeyboardInterrupt: the interruption is
    raised instead.
    """
    try:
        with zipfile.ZipFile(file, "w") as archive:
            yield archive
    except ValueError as exc:
        interruption = exc.__context__
        if isinstance(interruption, BaseException) and not isinstance(
            interruption, Exception
        ):
            raise interruption from None
        raise


def _zip_info(name: str) -> zipfile.ZipInfo:
    """A member with a fixed date, so that a model gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o644 << 16
    return info


def _saved_class(model: Any) -> type:
    """The estimator class a file names for ``model``, or a TypeError.

    A subclass that sets nothing is saved as the estimator it derives from,
    and so is one of the classifier that sets nothing but ``heads`` (see
    :ref:`adding-a-head`), whose model it is: its network holds its head.
    (The regressor picks its head by its ``loss`` parameter, which the file
    holds.)  Any other subclass may change what the file cannot hold.
    """
    for cls in _ESTIMATORS.values():
        if isinstance(model, cls):
            allowed = {"heads"} & set(vars(cls))
            own = {
                name
                for klass in type(model).__mro__[: type(model).__mro__.index(cls)]
                for name in vars(klass)
                if name == "__init__" or not name.startswith("__")
            }
            # the set_*_request methods that scikit-learn adds to every class
            own = {
                name
                for name in own
                if not (name.startswith("set_") and name.endswith("_request"))
            }
            if own <= allowed:
                return cls
            but = " but heads" if allowed else ""
            raise TypeError(
                f"skrnn.save writes subclasses of {cls.__name__} that set nothing"
                f"{but}; {type(model).__qualname__} sets {sorted(own - allowed)}"
                ". Use pickle or joblib for it."
            )
    raise TypeError(
        f"skrnn.save writes RNNTextClassifier and RNNTextRegressor models; got "
        f"{type(model).__qualname__}. Use pickle or joblib for other objects."
    )


def _encode_classifier(
    model: BaseRNNText,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The metadata and the arrays of a fitted estimator."""
    params = model.get_params(deep=False)
    if isinstance(params["embeddings"], Mapping):
        params["embeddings"] = None
    elif isinstance(params["embeddings"], os.PathLike):
        params["embeddings"] = os.fspath(params["embeddings"])
    params["vocabulary"] = _storable_vocabulary(params["vocabulary"], "parameter")
    vectorizer = model.vectorizer_
    vectorizer_params = vectorizer.get_params(deep=False)
    vectorizer_params["vocabulary"] = _storable_vocabulary(
        vectorizer_params["vocabulary"], "vectorizer_ parameter"
    )
    words = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    # The file lists the words in id order, which needs ids 2, 3, ...
    if [vectorizer.vocabulary_[word] for word in words] != list(
        range(_N_RESERVED, len(words) + _N_RESERVED)
    ):
        raise ValueError(
            "Cannot save: the ids of vectorizer_.vocabulary_ are not 2, 3, ..., "
            f"{len(words) + _N_RESERVED - 1}."
        )
    fitted = model._fitted
    state = fitted.to_dict()
    classes, classes_as_object = None, None
    if state["classes"] is not None:
        classes, classes_as_object = _encode_classes(state["classes"])
    optimizer = fitted.optimizer
    rng_state = state["rng"]
    if rng_state["bit_generator"] not in _BIT_GENERATORS:
        raise TypeError(
            f"Cannot save a model whose random generator is "
            f"{rng_state['bit_generator']}; skrnn model files store "
            f"{' or '.join(_BIT_GENERATORS)} states only."
        )
    attributes = {name: getattr(model, name) for name in _ATTRIBUTES}
    for name in _OPTIONAL_ATTRIBUTES:
        if hasattr(model, name):
            attributes[name] = getattr(model, name)
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "skrnn_version": __version__,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "estimator": _saved_class(model).__name__,
        "params": _encode_mapping(params, "parameter"),
        "classes": None if classes is None else {"object": classes_as_object},
        "vectorizer": {
            "params": _encode_mapping(vectorizer_params, "vectorizer_ parameter"),
            "vocabulary": words,
            "fixed_vocabulary": bool(vectorizer.fixed_vocabulary_),
        },
        "network": state["network"],
        "architecture": _encode_mapping(
            {name: state["fitted_params"][name] for name in _ARCHITECTURE_PARAMS},
            "architecture",
        ),
        "dtype": next(iter(state["weights"].values())).dtype.name,
        "optimizer": _encode_optimizer(optimizer, state),
        "optimizer_params": _encode_mapping(
            {
                name: value
                for name, value in state["fitted_params"].items()
                if name not in _ARCHITECTURE_PARAMS
            },
            "fitted optimizer parameter",
        ),
        "training_state": _encode_mapping(state["training"], "training state"),
        "rng": rng_state,
        "attributes": _encode_mapping(attributes, "attribute"),
        "members": [],
        "ngrams": None,
    }
    arrays = {} if classes is None else {"classes_": classes}
    arrays.update(_member_arrays(state, ""))
    if (ngrams := fitted.ngrams) is not None:
        metadata["ngrams"] = {
            "ngram_range": list(ngrams.ngram_range),
            "C": ngrams.C,
            "whole_documents": ngrams.whole_documents,
            "weight": ngrams.weight,
            "char_range": None
            if ngrams.char_range is None
            else list(ngrams.char_range),
            "char_C": ngrams.char_C,
        }
        if ngrams.char_range is not None:
            arrays.update(
                {f"ngrams/{name}": getattr(ngrams, name) for name in _CHAR_ARRAYS}
            )
        arrays.update(
            {
                "ngrams/keys": ngrams.keys,
                "ngrams/coef": ngrams.coef,
                "ngrams/intercept": ngrams.intercept,
            }
        )
        if ngrams.scale is not None:
            arrays["ngrams/scale"] = ngrams.scale
    if (scaling := fitted.target_scaling) is not None:
        arrays.update({"targets/mean": scaling.mean, "targets/scale": scaling.scale})
    for k, member in enumerate(fitted.members, start=1):
        member_state = state["members"][k - 1]
        if member.fitted_params != fitted.fitted_params:
            raise ValueError(
                "Cannot save: the members of the ensemble were fitted with "
                "different optimizer parameters; fit again."
            )
        metadata["members"].append(
            {
                "optimizer": _encode_optimizer(member.optimizer, member_state),
                "training_state": _encode_mapping(
                    member_state["training"], "training state"
                ),
                "rng": member_state["rng"],
            }
        )
        arrays.update(_member_arrays(member_state, f"members/{k}/"))
    return metadata, arrays


def _encode_optimizer(optimizer: BaseOptimizer, state: dict[str, Any]) -> dict:
    """The ``optimizer`` section of a member: solver, settings, scalars."""
    return {
        "solver": state["fitted_params"]["solver"],
        "hyperparameters": _encode_mapping(
            optimizer.get_hyperparameters(), "optimizer"
        ),
        "scalars": _encode_mapping(
            {
                key: value
                for key, value in state["optimizer_state"].items()
                if not isinstance(value, np.ndarray)
            },
            "optimizer",
        ),
    }


def _member_arrays(state: dict[str, Any], prefix: str) -> dict[str, np.ndarray]:
    """A member's weights and optimizer arrays, their names after ``prefix``."""
    arrays = {f"{prefix}weights/{name}": w for name, w in state["weights"].items()}
    arrays.update(
        {
            f"{prefix}optimizer/{key}": value
            for key, value in state["optimizer_state"].items()
            if isinstance(value, np.ndarray)
        }
    )
    return arrays


def _storable_vocabulary(vocabulary: Any, what: str) -> Any:
    """The ``vocabulary`` parameter as a value that the file holds.

    ``fit`` takes any iterable of words: one that is not a list, tuple, set
    or mapping (a numpy array, a pandas Series, ``dict.keys()``) is stored as
    the list of its words, in order.
    """
    if vocabulary is None or isinstance(
        vocabulary, (str, list, tuple, set, frozenset, Mapping)
    ):
        return vocabulary
    if iter(vocabulary) is vocabulary:
        raise TypeError(
            f"Cannot save: {what} 'vocabulary' is an iterator "
            f"({type(vocabulary).__qualname__}), which fit has used up: its "
            "words are lost. Fit with a list, tuple, set, dict or array of "
            "words instead, or, for files you trust, use pickle or joblib."
        )
    return list(vocabulary)


def _encode_classes(classes: np.ndarray) -> tuple[np.ndarray, bool]:
    """``classes_`` as an array npz stores without pickle, and whether it was object."""
    as_object = classes.dtype == object
    labels = classes.tolist()
    if as_object:
        # numpy's str scalars (a subclass of str, equal to theirs) as str
        labels = [str(c) if isinstance(c, np.str_) else c for c in labels]
    array = np.asarray(labels) if as_object else classes
    if (
        array.ndim != 1
        or array.dtype.kind not in _CLASS_KINDS
        or array.tolist() != labels
        or [type(c) for c in array.tolist()] != [type(c) for c in labels]
    ):
        raise TypeError(
            f"Cannot save a model with the class labels {classes.tolist()[:5]!r}: "
            "a skrnn model file stores the labels as a plain array of numbers, "
            "booleans or strings, all of one type. Refit with such labels, or, "
            "for files you trust, use pickle or joblib instead."
        )
    return array, bool(as_object)


def _encode_mapping(values: Mapping[str, Any], what: str) -> dict[str, Any]:
    return {name: _to_json(value, f"{what} {name!r}") for name, value in values.items()}


def _is_numpy_type(value: Any) -> bool:
    """Whether ``value`` is a dtype or a scalar type, such as ``numpy.float32``."""
    if isinstance(value, np.dtype):
        return True
    return isinstance(value, type) and issubclass(
        value, (np.generic, bool, int, float, complex)
    )


def _to_json(value: Any, where: str) -> Any:
    """Encode a value as JSON, tagging what JSON cannot hold (module docstring)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if _is_numpy_type(value) and np.dtype(value).kind in "biufc":
        return {"__dtype__": np.dtype(value).name}
    if callable(value):
        raise TypeError(
            f"Cannot save: {where} is the callable {value!r}; {_CALLABLE_HINT}"
        )
    if isinstance(value, list):
        return [_to_json(item, where) for item in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(item, where) for item in value]}
    if isinstance(value, (set, frozenset)):
        try:
            items = sorted(value)
        except TypeError:
            items = list(value)
        return {"__set__": [_to_json(item, where) for item in items]}
    if isinstance(value, Mapping):
        return {
            "__dict__": [
                [_to_json(key, where), _to_json(item, where)]
                for key, item in value.items()
            ]
        }
    if isinstance(value, np.random.RandomState):
        _, key, pos, has_gauss, gauss = value.get_state(legacy=True)
        return {
            "__random_state__": {
                "key": key.tolist(),
                "pos": int(pos),
                "has_gauss": int(has_gauss),
                "gauss": float(gauss),
            }
        }
    raise TypeError(
        f"Cannot save: {where} is a {type(value).__qualname__} ({value!r:.60}), "
        "which a skrnn model file cannot store (it holds numbers, strings, "
        "booleans, None and lists, tuples, sets and dicts of them). Set it to "
        "such a value before saving, or, for files you trust, use pickle or "
        "joblib instead."
    )


# ------------------------------------------------------------------ loading


def load(
    file: str | os.PathLike | BinaryIO, *, trusted: Iterable[str] | None = None
) -> BaseRNNText:
    r"""Load a model written by :func:`save`, without running code from the file.

    Every part of the file is checked before it is used: the archive's
    members (no compression but what ``save`` writes, no member larger than
    the file allows), the JSON metadata, the parameters (with the checks of
    ``fit``; ``token_pattern`` must compile to a usable regular expression,
    and the parameters of the network and of the vocabulary must be those
    that the stored network and vocabulary were made with), the arrays (each
    ``.npy`` header's dtype and shape before its data is read; arrays of
    pickled objects are refused), the name, shape and dtype of every weight
    against the network configuration, and that the weights are finite. No
    member is inflated beyond 20 times its compressed size (and 1 MiB), and
    no array is allocated before its bytes are known to be in the file, so
    that memory stays in proportion to the file's size: a decompression
    bomb or a header that declares a huge array is refused before it costs
    any.

    Two parameters do more than the file says: a custom ``token_pattern``
    is a regular expression that ``predict`` runs on every document (a
    crafted one can make it run for hours), and ``embeddings`` given as a
    path names a file that a new ``fit`` of the model reads. A model file
    that sets either is refused unless ``trusted`` names it.

    Parameters
    ----------
    file : str, path-like or binary file object
        The file to read: a path to a regular file, or a seekable file
        object opened for reading bytes, such as ``open(path, "rb")`` or
        ``io.BytesIO(data)``, read from its position and left after the
        model: models that :func:`save` wrote one after another to a file
        object load one after another, as pickle's do.
    trusted : list of str, default=None
        The parameters whose values you accept from this file, for files
        that you trust: ``"token_pattern"`` (a regular expression other
        than the built-in patterns: skrnn's and scikit-learn's defaults,
        ``r"\w+"``, ``r"(?u)\b\w+\b"`` and ``r"\S+"``) and
        ``"embeddings"`` (a path). None accepts neither.

    Returns
    -------
    model : RNNTextClassifier or RNNTextRegressor
        The fitted estimator. It predicts exactly as the saved one did, and
        ``partial_fit`` or a ``warm_start`` fit continue its training exactly
        as they would have continued the saved one.

    Raises
    ------
    TypeError
        If ``file`` is neither a path nor a seekable binary file object, such
        as the file's content as ``bytes`` (wrap it in :class:`io.BytesIO`)
        or a text file object, or ``trusted`` is not a list of names.
    ValueError
        If the file is not a skrnn model file (the message starts with "not
        a skrnn model file" and says what the file looks like, such as a
        pickle; so does a file object with nothing after its position, the
        end of a stream whose models were all read, or one inside the model
        that ends it), or it is corrupt or was tampered with (the message starts
        with "corrupt or tampered skrnn model file" and gives the reason),
        or it has a newer format version than this skrnn reads, or it sets
        a ``token_pattern`` or ``embeddings`` that ``trusted`` does not
        name (the message says how to accept it), or ``trusted`` names
        another parameter, or its cell, output head or solver is not
        registered (see :func:`skrnn.nn.register_cell`,
        :func:`skrnn.nn.register_head` and :func:`skrnn.register_optimizer`),
        or the path is not a regular file but a device or a named pipe
        (such as ``/dev/zero``), which load cannot seek in.

    Warns
    -----
    SkrnnVersionWarning
        If another version of skrnn wrote the file.

    See Also
    --------
    save : Write the file, and the description of its format.
    """
    accepted = _trusted_names(trusted)
    if not isinstance(file, (str, os.PathLike)):
        _check_file_object(file, writing=False)
    try:
        if isinstance(file, (str, os.PathLike)):
            with _open_regular_file(file) as opened:
                metadata, arrays = _read_archive(opened)
        else:
            metadata, arrays = _read_archive(file)
        _check_header(metadata)
        _check_network_is_registered(metadata)
        _check_solver_is_registered(metadata)
        model = _decode_estimator(metadata, arrays)
    except _NotAModelError as exc:
        raise ValueError(_shorten(f"not a skrnn model file: {exc}")) from None
    except _CorruptFileError as exc:
        raise ValueError(
            _shorten(f"corrupt or tampered skrnn model file: {exc}")
        ) from exc.__cause__
    _check_trusted(model, accepted)
    return model


#: What ``load(trusted=...)`` may name: the parameters whose values from a
#: file do more than the file says, and what they do.
_TRUSTABLE = {
    "token_pattern": (
        "predict runs it on every document: a crafted pattern can make "
        "predict run for hours (catastrophic backtracking)"
    ),
    "embeddings": "a new fit of the model, or of a clone, reads that file",
}
#: Token patterns accepted from any file: the defaults of skrnn (the current
#: one and the former, which the files saved with it keep) and of
#: scikit-learn, and the usual word and whitespace patterns, all of which run
#: in time linear in the text.
_SAFE_TOKEN_PATTERNS = frozenset(
    {
        DEFAULT_TOKEN_PATTERN,
        _FORMER_TOKEN_PATTERN,
        r"(?u)\b\w\w+\b",
        r"(?u)\b\w+\b",
        r"\w+",
        r"\S+",
    }
)
_MAX_MESSAGE = 500


def _trusted_names(trusted: Any) -> frozenset[str]:
    """The names of ``load(trusted=...)``, checked."""
    if trusted is None:
        return frozenset()
    if isinstance(trusted, str) or not isinstance(trusted, Iterable):
        raise TypeError(
            "trusted takes a list of parameter names, such as "
            f"['token_pattern']; got {trusted!r:.60}."
        )
    names = list(trusted)
    if unknown := [name for name in names if name not in _TRUSTABLE]:
        raise ValueError(
            f"trusted names {unknown!r:.100}; the parameters that a model file "
            f"can be trusted with are {list(_TRUSTABLE)}."
        )
    return frozenset(names)


def _check_trusted(model: BaseRNNText, accepted: frozenset[str]) -> None:
    """Refuse the parameter values of a file that do more than the file says."""
    untrusted = {}
    patterns = {model.token_pattern, model.vectorizer_.token_pattern}
    if pattern := next(iter(patterns - {None} - _SAFE_TOKEN_PATTERNS), None):
        untrusted["token_pattern"] = f"the regular expression {pattern!r:.80}"
    if isinstance(model.embeddings, str):
        untrusted["embeddings"] = f"the path {model.embeddings!r:.80}"
    names = [name for name in untrusted if name not in accepted]
    if names:
        reasons = "; ".join(
            f"{name} is {untrusted[name]}, and {_TRUSTABLE[name]}" for name in names
        )
        raise ValueError(
            f"This skrnn model file sets parameters that do more than the file "
            f"says: {reasons}. If you trust the file (you made it, or know "
            f"who did), load it with skrnn.load(file, trusted={names!r}) (on "
            "the command line: " + " ".join(f"--trust {name}" for name in names) + ")."
        )


def _shorten(message: str) -> str:
    """A message cut to a few lines: the file can make the reason long."""
    if len(message) <= _MAX_MESSAGE:
        return message
    return f"{message[: _MAX_MESSAGE - 30]}... ({len(message)} characters)"


def _check_file_object(file: Any, *, writing: bool) -> None:
    """Raise TypeError unless ``file`` is a binary file object that can be used.

    :func:`save` writes bytes to it; :func:`load` reads bytes from it and
    seeks in it, as reading a ZIP archive needs.
    """
    function, mode = ("save", "wb") if writing else ("load", "rb")
    accepted = (
        f"skrnn.{function} takes a path (str or os.PathLike) or a binary file "
        f"object (such as open(path, {mode!r}) or io.BytesIO"
        f"{'()' if writing else '(data)'}); got {type(file).__qualname__}"
    )
    if isinstance(file, (bytes, bytearray, memoryview)):
        hint = (
            "to save to memory, pass an io.BytesIO() and read its getvalue()"
            if writing
            else "to load a model held in memory, pass io.BytesIO(data)"
        )
        raise TypeError(f"{accepted}: {hint}.")
    operation = getattr(file, "write" if writing else "read", None)
    if not callable(operation):
        raise TypeError(f"{accepted}.")
    try:
        # Writing no bytes, or reading none, changes nothing.
        text = isinstance(operation(b"" if writing else 0), str)
    except TypeError:
        text = True
    except io.UnsupportedOperation:
        raise TypeError(
            f"{accepted}, which is not open for {'writing' if writing else 'reading'}."
        ) from None
    if isinstance(file, io.TextIOBase) or text:
        raise TypeError(
            f"{accepted}, a text file object: open the file in binary mode "
            f"({mode!r}), or use io.BytesIO rather than io.StringIO."
        )
    seekable = getattr(file, "seekable", None)
    if not writing and (
        not callable(getattr(file, "seek", None))
        or (callable(seekable) and not seekable())
    ):
        raise TypeError(
            f"{accepted}, which cannot seek: read it into io.BytesIO(file.read()) "
            "first."
        )


#: What a path that load refuses to read is, by its file type.
_NOT_REGULAR = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
}


def _open_regular_file(path: str | os.PathLike) -> BinaryIO:
    """Open the file at ``path`` for reading bytes; it must be a regular file.

    A device or a pipe has no end that zipfile can seek to: it reads
    ``/dev/zero`` until memory runs out, and opening a named pipe waits for a
    writer, forever if none comes (hence opened without blocking). A folder
    raises IsADirectoryError, as ``open`` does.
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0)
    nonblocking = getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(path, flags | nonblocking)
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        if not stat.S_ISREG(mode):
            what = _NOT_REGULAR.get(stat.S_IFMT(mode), "not a regular file")
            raise ValueError(
                f"skrnn.load reads a model from a regular file, and "
                f"{os.fspath(path)!r} is {what}: it cannot seek in it. To "
                "load a model from a stream, write it to a file first, or pass "
                "its bytes as io.BytesIO(data)."
            )
        if nonblocking:
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _read_archive(file: BinaryIO) -> tuple[Any, dict[str, np.ndarray]]:
    """The parsed ``metadata.json`` and the arrays of ``arrays.npz``.

    Read from the file's position, which is left at the end of the archive:
    of a stream of models that ``save`` wrote one after another, the next.
    """
    start = file.tell()
    file.seek(0, os.SEEK_END)
    size = file.tell()
    if start >= size > 0:
        file.seek(start)
        raise _NotAModelError(
            f"nothing follows the file object's position ({start}), the end of "
            f"its {size} bytes: were all the models of the stream read?"
        )
    end = _archive_end(file, start, size)
    if end < size or not callable(getattr(file, "seekable", None)):
        # zipfile reads the archive that ends the file, the stream's last:
        # this one is read alone, through a window that ends with it. (The
        # window also has the seekable() that zipfile calls, which a file
        # object that only reads, seeks and tells lacks.)
        file = _Window(file, start, end)
        start = 0
    else:
        file.seek(start)
    try:
        archive = zipfile.ZipFile(file)
    except _ZIP_ERRORS as exc:
        file.seek(start)
        raise _unreadable(file.read(_SNIFF_SIZE), exc) from exc
    with archive:
        # (zipfile reads the archive that ends the file, wherever it starts)
        offsets = [info.header_offset for info in archive.infolist()]
        if offsets and min(offsets) < start:
            file.seek(start)
            raise _NotAModelError(
                f"no model starts at the file object's position ({start}): "
                f"the archive that ends the file starts before it, at {min(offsets)}"
            )
        file.seek(0, os.SEEK_END)
        size = file.tell()
        try:
            members = _model_members(archive, size)
        except _NotAModelError:
            file.seek(start)
            if _starts_as_a_model(file.read(_SNIFF_SIZE)):
                raise _CorruptFileError(
                    "a damaged ZIP archive: it starts as a model file, but its "
                    "end is missing or damaged (was it truncated, such as by an "
                    "interrupted copy or download?)"
                ) from None
            raise
        try:
            metadata_bytes = archive.read(members[_METADATA])
            arrays_bytes = archive.read(members[_ARRAYS])
        except _ZIP_ERRORS as exc:
            raise _CorruptFileError(f"a damaged ZIP archive ({exc})") from exc
    file.seek(0, os.SEEK_END)
    try:
        text = metadata_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _CorruptFileError(f"{_METADATA} is not valid JSON ({exc})") from exc
    _check_containers(text)
    try:
        metadata = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise _CorruptFileError(f"{_METADATA} is not valid JSON ({exc})") from exc
    _check_depth(metadata)
    return metadata, _read_npz(arrays_bytes)


def _archive_end(file: BinaryIO, start: int, size: int) -> int:
    """Where the ZIP archive that starts at ``start`` ends, in a file of ``size`` bytes.

    There the first end-of-central-directory record after ``start`` ends
    whose central directory ends where the record begins, as the offsets of
    an archive written from ``start`` say (those of the ``arrays.npz`` stored
    inside count from the member's own start): ``size`` for a file of one
    model, found at its end first; before it for a stream of models, or of a
    model and other data.  ``size`` if there is none (a damaged archive, or
    one after other data), or if the bytes at ``start`` are not a model
    file's first entry (another file, which zipfile then reads from its end
    as before, rather than this function reading all of it): zipfile reads
    the file as it is.

    The records are looked for a block of :data:`_SCAN_SIZE` bytes at a
    time, with numpy: a file full of their signature takes as long to scan
    as any other (0.2 s a MB, one by one in Python).
    """
    record = _END_RECORD.size
    if size - record >= start:
        file.seek(size - record)
        fields = _END_RECORD.unpack(file.read(record))
        *_, cd_size, cd_offset, comment = fields
        if (
            fields[0] == _END_SIGNATURE
            and size - record - start == cd_offset + cd_size
            and comment == 0
        ):
            return size
    file.seek(start)
    if not _starts_as_a_model(file.read(_SNIFF_SIZE)):
        return size
    signature = np.frombuffer(_END_SIGNATURE, dtype=np.uint8)
    for position in range(start, size, _SCAN_SIZE):
        file.seek(position)
        block = np.frombuffer(file.read(_SCAN_SIZE + record - 1), dtype=np.uint8)
        # the offsets within the block of the records that fit in it
        n = min(_SCAN_SIZE, len(block) - record + 1)
        if n <= 0:
            break
        found = np.ones(n, dtype=bool)
        for k, byte in enumerate(signature):
            found &= block[k : k + n] == byte
        offsets = np.flatnonzero(found)
        if not offsets.size:
            continue
        ends = _archive_ends(block, offsets, position - start)
        ends += position + record
        ends = ends[ends <= size]
        if ends.size:
            return int(ends[0])
    return size


def _archive_ends(block: np.ndarray, offsets: np.ndarray, origin: int) -> np.ndarray:
    """Where each end record at ``offsets`` in ``block`` ends, past its own start.

    ``origin`` is the block's position from the archive's start.  Only the
    records whose central directory ends where they begin, by their own
    offsets, are kept, in their order; each gives its length and that of
    its comment.
    """

    def little_endian(at: int, n_bytes: int) -> np.ndarray:
        value = np.zeros(len(offsets), dtype=np.int64)
        for k in range(n_bytes):
            value |= block[offsets + at + k].astype(np.int64) << (8 * k)
        return value

    cd_size, cd_offset, comment = (
        little_endian(12, 4),
        little_endian(16, 4),
        (little_endian(20, 2)),
    )
    ends = offsets + origin == cd_offset + cd_size
    return offsets[ends] + comment[ends]


class _Window(io.RawIOBase):
    """The bytes ``start`` to ``end`` of a file, read-only, as a file of their own.

    Each read or seek moves the file's position (``start`` plus the
    window's): seeking the window to its end leaves the file at ``end``.
    zipfile reads an archive through it that a file holds before other
    data, without a copy.
    """

    def __init__(self, file: BinaryIO, start: int, end: int) -> None:
        super().__init__()
        self._file = file
        self._start = start
        self._end = end
        self._position = 0
        file.seek(start)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        origin = {os.SEEK_SET: 0, os.SEEK_CUR: self._position}
        position = offset + origin.get(whence, self._end - self._start)
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        self._position = position
        self._file.seek(self._start + position)
        return position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = max(0, min(len(view), self._end - self._start - self._position))
        data = self._file.read(n)
        view[: len(data)] = data
        self._position += len(data)
        return len(data)


#: The end-of-central-directory record of a ZIP archive: its signature, disk
#: numbers and entry counts, the size and offset of the central directory,
#: and the length of the comment that follows it.
_END_RECORD = struct.Struct("<4s4H2LH")
_END_SIGNATURE = b"PK\x05\x06"
#: Bytes read at a time to find where an archive ends.
_SCAN_SIZE = 1 << 20


def _starts_as_a_model(head: bytes) -> bool:
    """Whether ``head`` starts with the ZIP entry of a model file's member.

    zipfile reads a model file cut short before its own directory as the
    ``arrays.npz`` stored inside it, whose directory is intact.
    """
    if not head.startswith(b"PK\x03\x04") or len(head) < 30:
        return False
    name_length = int.from_bytes(head[26:28], "little")
    return head[30 : 30 + name_length] in (_METADATA.encode(), _ARRAYS.encode())


#: What zipfile raises for a damaged archive: among others, a negative seek
#: (ValueError from io.BytesIO, OSError from a file) for forged offsets,
#: UnicodeDecodeError (a ValueError) for a name flagged UTF-8 that is not.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    ValueError,
    zlib.error,
    NotImplementedError,
)
_SNIFF_SIZE = 256
#: The compression methods that save writes, by member: those of load.
_METHODS = {
    _METADATA: (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED),
    _ARRAYS: (zipfile.ZIP_STORED,),
}
_METHOD_NAMES = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
#: Flag bits of ZIP features that save never writes and load refuses.
_REFUSED_FLAGS = {
    0x1: "encrypted",
    0x20: "compressed patched data",
    0x40: "strongly encrypted",
    0x2000: "stored with encrypted headers",
}
#: A deflated member may inflate to this many times its compressed size, or
#: to _INFLATE_GRACE bytes: more is a decompression bomb (Apache POI's
#: ZipSecureFile allows 100 times). The metadata of models of MR and TREC
#: deflates 3 to 5.3 times; parsed, JSON takes up to about 25 times its text.
_MAX_INFLATION = 20
_INFLATE_GRACE = 1 << 20
#: Deeper JSON than any parameter value has: refused before decoding it
#: recursively.
_MAX_DEPTH = 64
#: Characters of text a list or object takes at least: refused with fewer,
#: counted in the text before it is parsed. An empty list takes 2 bytes of
#: text and 64 of memory, so a small file of millions of them would take
#: hundreds of times its size; with this many characters each, lists and
#: objects take about 8 times their text.  A model's metadata has a list or
#: object per 40 characters or more (a vocabulary mapping, 2 per word).
#: Text up to _CONTAINERS_CHECKED_FROM characters is parsed without counting,
#: in memory bounded by its size.
_TEXT_PER_CONTAINER = 8
_CONTAINERS_CHECKED_FROM = 1 << 20
#: A JSON escape: a backslash and the character after it.
_JSON_ESCAPE = re.compile(r"\\.", re.DOTALL)


def _model_members(archive: zipfile.ZipFile, size: int) -> dict[str, zipfile.ZipInfo]:
    """The two members of a model file of ``size`` bytes, checked before reading."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if sorted(names) != sorted(_METHODS):
        if not set(names) & set(_METHODS):
            raise _NotAModelError(_describe_archive(names))
        raise _CorruptFileError(
            f"the archive holds {_names(names)}; a model file holds exactly "
            f"{_METADATA!r} and {_ARRAYS!r}"
        )
    for info in infos:
        _check_member(info, _METHODS[info.filename], info.filename, size)
        size -= info.compress_size
    return {info.filename: info for info in infos}


def _check_member(
    info: zipfile.ZipInfo, methods: tuple[int, ...], what: str, size: int
) -> None:
    """Refuse a member that save would not write, before reading it.

    Its compressed size must be at most ``size``, the bytes of the archive
    that the members checked before it leave (members whose bytes overlap
    could make an archive inflate to a multiple of its size, however
    little each member inflates), and its uncompressed size, which zipfile
    reads no further than, at most the bytes stored (deflated:
    _MAX_INFLATION times as many).
    """
    for flag, feature in _REFUSED_FLAGS.items():
        if info.flag_bits & flag:
            raise _CorruptFileError(
                f"{what} is {feature}, which skrnn.save never writes"
            )
    if info.compress_type not in methods:
        method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
        raise _CorruptFileError(
            f"{what} is compressed with {method}; skrnn.save writes it "
            f"{' or '.join(_METHOD_NAMES[m] for m in methods)}, and load reads "
            "nothing else"
        )
    if info.compress_size > size:
        raise _CorruptFileError(
            f"{what} declares {info.compress_size} compressed bytes, more than "
            f"the {max(size, 0)} bytes of the archive that its other members "
            "leave (a size beyond the archive, or members that overlap)"
        )
    if info.compress_type == zipfile.ZIP_STORED:
        limit = info.compress_size
    else:
        limit = max(_INFLATE_GRACE, _MAX_INFLATION * info.compress_size)
    if info.file_size > limit:
        raise _CorruptFileError(
            f"{what} declares {info.file_size} bytes from {info.compress_size} "
            f"compressed, more than load accepts ({limit}): refused as a "
            "decompression bomb"
        )


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _check_containers(text: str) -> None:
    """Refuse JSON text of more lists and objects than _TEXT_PER_CONTAINER allows.

    In linear time: without its escapes, the text's quotes open and close
    strings in turn, so that every other piece between them is outside
    strings (a regular expression of strings backtracked for hours on a
    crafted megabyte of escaped quotes).
    """
    if len(text) < _CONTAINERS_CHECKED_FROM:
        return
    outside_strings = _JSON_ESCAPE.sub("", text).split('"')[::2]
    n_containers = sum(part.count("[") + part.count("{") for part in outside_strings)
    limit = len(text) // _TEXT_PER_CONTAINER
    if n_containers > limit:
        raise _CorruptFileError(
            f"{_METADATA} holds {n_containers} lists and objects, more than a "
            f"model's metadata has in {len(text)} characters ({limit})"
        )


def _check_depth(metadata: Any) -> None:
    """Refuse JSON nested deeper than _MAX_DEPTH, without recursion."""
    stack = [(metadata, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise _CorruptFileError(
                f"{_METADATA} nests lists or objects more than {_MAX_DEPTH} deep"
            )
        children = value.values() if isinstance(value, dict) else value
        stack.extend(
            (child, depth + 1)
            for child in children
            if isinstance(child, (dict, list)) and child
        )


def _read_npz(data: bytes) -> dict[str, np.ndarray]:
    """Every array of ``arrays.npz``, each header checked before its data is read."""
    try:
        npz = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        if data.startswith(_PICKLE):
            raise _CorruptFileError(
                f"{_ARRAYS} is a pickle: {_PICKLED_OBJECTS}"
            ) from exc
        raise _CorruptFileError(
            f"{_ARRAYS} is not a readable npz archive ({exc})"
        ) from exc
    arrays = {}
    room = len(data)
    with npz:
        for info in npz.infolist():
            if not info.filename.endswith(".npy"):
                raise _CorruptFileError(
                    f"{_ARRAYS} holds {info.filename!r:.80}, which is not an .npy array"
                )
            key = info.filename.removesuffix(".npy")
            if key in arrays:
                raise _CorruptFileError(f"{_ARRAYS} holds {key!r:.80} twice")
            what = f"{_ARRAYS} array {key!r:.80}"
            _check_member(info, (zipfile.ZIP_STORED,), what, room)
            room -= info.compress_size
            try:
                with npz.open(info) as member:
                    arrays[key] = _read_npy(member, info.file_size, what)
            except _ZIP_ERRORS as exc:
                raise _CorruptFileError(f"{what} is unreadable ({exc})") from exc
    return arrays


_PICKLE = b"\x80"
_PICKLED_OBJECTS = (
    "pickled Python objects, which could run code when loaded, were refused: a "
    "skrnn model file holds only numeric and string arrays"
)
#: The header that numpy.save writes (format 1.0 or 2.0) for an array of a
#: plain dtype: anything else is refused before it is parsed.
_NPY_HEADER = re.compile(
    r"\{'descr': '(?P<descr>[<>|=][a-zA-Z][0-9]{0,9})', "
    r"'fortran_order': (?P<fortran_order>True|False), "
    r"'shape': \((?P<shape>|[0-9]{1,19},|[0-9]{1,19}(?:, [0-9]{1,19})+)\), \} *\n"
)
_NPY_VERSIONS = {(1, 0): "<H", (2, 0): "<I"}
#: dtype kinds of the arrays of a model file: labels and weights.
_ARRAY_KINDS = "biufSU"
_CHUNK = 1 << 20


def _read_npy(member: BinaryIO, size: int, what: str) -> np.ndarray:
    """An array of an ``.npy`` member of ``size`` bytes, checked before reading.

    The declared dtype and shape must give exactly the bytes that follow the
    header, so that memory never exceeds the member's size.
    """
    magic = member.read(8)
    version = tuple(magic[6:])
    if magic[:6] != b"\x93NUMPY" or version not in _NPY_VERSIONS:
        if magic.startswith(_PICKLE):
            raise _CorruptFileError(f"{what} holds {_PICKLED_OBJECTS}")
        raise _CorruptFileError(f"{what} is not an .npy array of format 1.0 or 2.0")
    length_format = _NPY_VERSIONS[version]
    length_bytes = member.read(struct.calcsize(length_format))
    if len(length_bytes) < struct.calcsize(length_format):
        raise _CorruptFileError(f"{what} is truncated")
    (length,) = struct.unpack(length_format, length_bytes)
    header = member.read(min(length, _MAX_NPY_HEADER + 1)).decode("latin-1")
    match = _NPY_HEADER.fullmatch(header)
    if match is None:
        raise _CorruptFileError(f"{what} has an invalid .npy header {header!r:.100}")
    try:
        dtype = np.dtype(match["descr"])
    except TypeError as exc:
        raise _CorruptFileError(f"{what} has an unknown dtype ({exc})") from exc
    if dtype.hasobject:
        raise _CorruptFileError(f"{what} holds {_PICKLED_OBJECTS}")
    if dtype.kind not in _ARRAY_KINDS or dtype.itemsize == 0:
        raise _CorruptFileError(
            f"{what} has dtype {dtype}; a model file holds booleans, numbers and "
            "strings"
        )
    shape = tuple(int(n) for n in match["shape"].split(",") if n)
    n_bytes = math.prod(shape) * dtype.itemsize
    available = size - member.tell()
    if n_bytes != available:
        raise _CorruptFileError(
            f"{what} declares shape {shape} of {dtype} ({n_bytes} bytes), but "
            f"holds {available} bytes of data"
        )
    fortran_order = match["fortran_order"] == "True"
    array = np.empty(shape[::-1] if fortran_order else shape, dtype)
    buffer = memoryview(array.reshape(-1).view(np.uint8))
    position = 0
    while position < n_bytes:
        count = member.readinto(buffer[position : position + _CHUNK])
        if not count:
            raise _CorruptFileError(f"{what} is truncated")
        position += count
    return array.T if fortran_order else array


_MAX_NPY_HEADER = 10_000


def _unreadable(head: bytes, exc: Exception) -> "_CorruptFileError":
    """Why a file that is not a readable ZIP archive was refused.

    A damaged ZIP archive may be a damaged model file; anything else is
    reported as what it looks like, with what to do.
    """
    if head.startswith(b"PK"):
        return _CorruptFileError(f"a damaged ZIP archive ({exc})")
    if not head:
        return _NotAModelError(f"the file is empty. {_WHAT_LOAD_READS}")
    # Text first: "x^" starts a zlib stream and a line of text alike.
    if (text := _as_text(head)) is not None:
        first_line = text.strip().partition("\n")[0]
        return _NotAModelError(
            f"this looks like a text file (it starts with {first_line!r:.60}). "
            f"{_WHAT_LOAD_READS}"
        )
    if (compression := _compressed_model(head)) is not None:
        how = (
            "gunzip, or gzip.decompress" if compression == "gzip" else "zlib.decompress"
        )
        return _NotAModelError(
            f"this is a {compression}-compressed skrnn model file. "
            f"{_WHAT_LOAD_READS}, uncompressed: decompress it first ({how})"
        )
    for signature, what, advice in _SIGNATURES:
        if head.startswith(signature):
            return _NotAModelError(
                f"this looks like {what}. {_WHAT_LOAD_READS}; {advice}"
            )
    return _NotAModelError(
        f"it is not a ZIP archive (it starts with {head[:16]!r}). {_WHAT_LOAD_READS}"
    )


def _compressed_model(head: bytes) -> str | None:
    """``"gzip"`` or ``"zlib"`` if ``head`` starts a model file compressed so.

    Its first bytes are inflated (no more than a few hundred come out of
    ``head``, :data:`_SNIFF_SIZE` bytes), and looked at as a model file's.
    """
    for name, wbits in (("gzip", 16 + zlib.MAX_WBITS), ("zlib", zlib.MAX_WBITS)):
        try:
            inflated = zlib.decompressobj(wbits).decompress(head, _SNIFF_SIZE)
        except zlib.error:
            continue
        if _starts_as_a_model(inflated):
            return name
    return None


def _as_text(head: bytes) -> str | None:
    """``head`` as text if it is printable UTF-8 (its last character may be cut)."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            return None
        text = head[: exc.start].decode("utf-8")
    text = text.removeprefix("\ufeff")
    return text if all(c.isprintable() or c.isspace() for c in text) else None


_WHAT_LOAD_READS = (
    "skrnn.load reads the model files that skrnn.save and skrnn train write"
)
_JOBLIB_ADVICE = (
    "for a joblib or pickle file that you trust, use joblib.load (never for a "
    "file from someone else: loading a pickle can run any code)"
)
#: The first bytes of files that are often taken for models, what they are
#: and what to do.
_SIGNATURES = [
    *(
        (
            bytes([0x80, protocol]),
            "a pickle file (pickle.dump and joblib.dump write them)",
            _JOBLIB_ADVICE,
        )
        for protocol in range(2, 6)
    ),
    *(
        (
            signature,
            f"a {name}-compressed file (joblib.dump(..., compress=...) writes them)",
            _JOBLIB_ADVICE,
        )
        for signature, name in [
            (b"\x1f\x8b", "gzip"),
            (b"BZh", "bzip2"),
            (b"\xfd7zXZ\x00", "xz"),
            (b"\x04\x22\x4d\x18", "lz4"),
            (b"\x78\x01", "zlib"),
            (b"\x78\x5e", "zlib"),
            (b"\x78\x9c", "zlib"),
            (b"\x78\xda", "zlib"),
        ]
    ),
    (b"\x93NUMPY", "a NumPy .npy file (numpy.save writes them)", "use numpy.load"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (h5py and Keras write them)", "use h5py"),
]


def _describe_archive(names: list[str]) -> str:
    """What a ZIP archive without the members of a model file looks like."""
    if names and all(name.endswith(".npy") for name in names):
        what = "a NumPy .npz archive (numpy.savez writes them); use numpy.load"
    elif "schema.json" in names:
        what = "a skops file (skops.io.dump writes them); use skops.io.load"
    elif any(name.endswith("data.pkl") for name in names):
        what = "a PyTorch file (torch.save writes them); use torch.load"
    else:
        what = (
            f"a ZIP archive of {_names(names)}, without {_METADATA!r} and {_ARRAYS!r}"
        )
    return f"this looks like {what}. {_WHAT_LOAD_READS}"


def _names(names: Any, limit: int = 5) -> str:
    """A list of names, the first ``limit`` of them: a file can hold millions."""
    names = list(names)
    first = heapq.nsmallest(limit, names)
    if len(names) <= limit:
        return repr(first)
    return f"{first!r:.200} and {len(names) - limit} more"


def _check_header(metadata: Any) -> None:
    """Check the format and its version; warn if another skrnn wrote the file."""
    if not isinstance(metadata, dict):
        raise _CorruptFileError(f"{_METADATA} is not a JSON object")
    if metadata.get("format") != FORMAT:
        raise _CorruptFileError(
            f"format is {metadata.get('format')!r:.60}, not {FORMAT!r}: this is "
            "not a skrnn model file"
        )
    version = metadata.get("format_version")
    if type(version) is not int or version < 1:
        raise _CorruptFileError(f"format_version is {version!r:.60}, not an int >= 1")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"This skrnn model file has format version {version}, but skrnn "
            f"{__version__} reads versions up to {FORMAT_VERSION}. Upgrade skrnn "
            "to load it (pip install --upgrade skrnn); it was written by skrnn "
            f"{metadata.get('skrnn_version')!r:.60}."
        )
    added = {"members"} if version >= 3 else set()
    added |= {"ngrams"} if version >= 5 else set()
    _check_keys(metadata, _METADATA_KEYS | added, _METADATA)
    if version >= 3 and not isinstance(metadata["members"], list):
        raise _CorruptFileError("members is not a JSON array")
    if version >= 5 and not isinstance(metadata["ngrams"], (dict, type(None))):
        raise _CorruptFileError("ngrams is neither null nor a JSON object")
    for key in _STRING_KEYS:
        _expect(metadata[key], str, key)
    for key in sorted(_METADATA_KEYS - _STRING_KEYS - {"format_version", "classes"}):
        if not isinstance(metadata[key], dict):
            raise _CorruptFileError(f"{key} is not a JSON object")
    if metadata["estimator"] not in _ESTIMATORS:
        raise _CorruptFileError(
            f"estimator is {metadata['estimator']!r:.60}, not one of "
            f"{sorted(_ESTIMATORS)}"
        )
    if not _VERSION.fullmatch(metadata["skrnn_version"]):
        # The warning shows it: no line breaks, terminal escape sequences or
        # megabytes of text from a file.
        raise _CorruptFileError(
            f"skrnn_version is {metadata['skrnn_version']!r:.60}, not a version"
        )
    if metadata["skrnn_version"] != __version__:
        warn(
            SkrnnVersionWarning(
                estimator_name=metadata["estimator"],
                current_version=__version__,
                original_version=metadata["skrnn_version"],
            ),
        )


#: The names that a file's network takes from registries of the process: the
#: key, its registry and what it names.
_REGISTERED = (("cell", CELLS, "cell"), ("head", HEADS, "output head"))


def _check_network_is_registered(metadata: dict) -> None:
    """Say so when the file's cell or head is none this process knows.

    Or when its head (one of the user's own) is registered as a head of a
    kind that the estimator does not predict with.

    The file cannot tell a forged name from one of the user's own that this
    process has not registered: it is not called corrupt.
    """
    network = metadata.get("network")
    for key, registry, what in _REGISTERED:
        name = network.get(key) if isinstance(network, dict) else None
        if isinstance(name, str) and name not in registry:
            raise ValueError(
                f"This model's {what} {name!r:.60} is not registered in this "
                f"process (the registered {key}s are {list(registry)}). Register "
                f"it with skrnn.nn.register_{key}({name!r:.60}, {key}) before "
                "skrnn.load."
            )
    # one's own head, registered as another of another kind since the model
    # was saved (_check_header made sure that the estimator is one of ours)
    head = network.get("head") if isinstance(network, dict) else None
    cls = _ESTIMATORS[metadata["estimator"]]
    if (
        isinstance(head, str)
        and head not in BUILTIN_HEADS
        and HEADS[head].kind not in cls._head_kinds
    ):
        raise ValueError(
            f"This model's output head {head!r:.60} is registered in this process "
            f"as a head of the {HEADS[head].kind!r} kind, which {cls.__name__} "
            "does not predict with: was another head registered under that name "
            "since the model was made? Register the head it was made with before "
            "skrnn.load."
        )


def _check_solver_is_registered(metadata: dict) -> None:
    """Say so when the file's solver is none this process knows (not corruption).

    Nor is a solver of one's own whose settings in the file are not those
    that the optimizer registered under its name now reads: another one was
    registered under that name since the model was saved.
    """
    for section in ("params", "optimizer_params"):
        params = metadata.get(section)
        solver = params.get("solver") if isinstance(params, dict) else None
        if isinstance(solver, str) and solver not in OPTIMIZERS:
            raise ValueError(
                f"This model's solver {solver!r:.60} is not registered in this "
                f"process (the registered optimizers are {list(OPTIMIZERS)}). "
                f"Register it with skrnn.register_optimizer({solver!r:.60}, "
                "optimizer) before skrnn.load."
            )
        if (
            section == "optimizer_params"
            and isinstance(solver, str)
            and solver in OPTIMIZERS
        ):
            fitted = sorted(set(params) - {"solver"})
            reads = sorted(OPTIMIZERS[solver].hyperparameters)
            if solver not in BUILTIN_OPTIMIZERS and fitted != reads:
                raise ValueError(
                    f"This model's solver {solver!r:.60} was fitted with the "
                    f"settings {fitted}, but the optimizer registered as "
                    f"{solver!r:.60} reads {reads}: was another optimizer "
                    "registered under that name since the model was made? "
                    "Register the optimizer it was made with."
                )


def _decode_estimator(metadata: dict, arrays: dict[str, np.ndarray]) -> BaseRNNText:
    """Build the fitted estimator; every inconsistency is a _CorruptFileError.

    The parameters are checked as ``fit`` checks them, whose
    InvalidParameterError names the parameter. Nothing else is caught here:
    each check raises _CorruptFileError where it finds what is wrong, and
    any other exception is a bug of skrnn, not a damaged file.
    """
    try:
        return _build_estimator(metadata, arrays)
    except InvalidParameterError as exc:
        raise _CorruptFileError(f"invalid parameter: {exc}") from exc


def _build_estimator(metadata: dict, arrays: dict[str, np.ndarray]) -> BaseRNNText:
    name = metadata["estimator"]
    cls = _ESTIMATORS[name]
    section = metadata["params"]
    # the parameters of this estimator that a file of an older version lacks
    own = cls().get_params()
    for version, (what, added) in _ADDED_PARAMS.items():
        added = {name: value for name, value in added.items() if name in own}
        if metadata["format_version"] < version and isinstance(section, dict):
            if present := sorted(set(added) & set(section)):
                raise _CorruptFileError(
                    f"params.{present[0]} is in a file of a version before {what}"
                )
            section = {**section, **added}
    if metadata["format_version"] < 8 and cls is RNNTextRegressor:
        section = _loss_of_old_regressor(section, metadata["network"])
    params = _decode_mapping(section, cls().get_params(), "params")
    model = cls(**params)
    model._validate_params()
    _check_token_pattern(model.token_pattern, "params.token_pattern")

    classes = None
    if cls is RNNTextClassifier:
        classes = _decode_classes(arrays, metadata["classes"])
    elif metadata["classes"] is not None or "classes_" in arrays:
        raise _CorruptFileError(f"a {name} has no classes")
    vectorizer = _decode_vectorizer(metadata["vectorizer"])
    network = _upgrade_network(metadata["network"], metadata["format_version"])
    config = _decode_config(
        network, vectorizer.n_vocab_, None if classes is None else len(classes)
    )
    kind = get_head(config.head).kind
    if kind not in (cls.heads if cls is RNNTextClassifier else ("values",)):
        raise _CorruptFileError(f"a {name} has no {config.head!r} head")
    if cls is RNNTextRegressor and LOSSES[model.loss] != config.head:
        raise _CorruptFileError(
            f"params.loss is {model.loss!r:.60}, whose head is "
            f"{LOSSES[model.loss]!r:.60}, but the network's head is "
            f"{config.head!r:.60}"
        )
    if kind == "labels" and not np.array_equal(classes, np.arange(len(classes))):
        raise _CorruptFileError(
            "the classes_ of a multi-label classifier are 0, 1, ..., n_labels - 1"
        )
    dtype = metadata["dtype"]
    if dtype not in _WEIGHT_DTYPES:
        raise _CorruptFileError(f"dtype is {dtype!r}, not one of {_WEIGHT_DTYPES}")
    dtype = np.dtype(dtype)
    weights = _decode_weights(arrays, config, dtype)
    _rename_old_optimizer_names(metadata)
    if metadata["format_version"] < 6:
        _add_adam_schedule(metadata)
    section = metadata["optimizer_params"]
    solver = section.get("solver") if isinstance(section, dict) else None
    if not isinstance(solver, str) or solver not in OPTIMIZERS:
        raise _CorruptFileError(
            f"optimizer_params.solver is {solver!r}, not one of {sorted(OPTIMIZERS)}"
        )
    optimizer_params = _decode_mapping(
        section, ("solver", *OPTIMIZERS[solver].hyperparameters), "optimizer_params"
    )
    try:
        cls(**optimizer_params)._validate_params()
    except InvalidParameterError as exc:
        raise _CorruptFileError(f"optimizer_params: {exc}") from None
    optimizer = _decode_optimizer(
        metadata["optimizer"],
        arrays,
        weights,
        dtype,
        _new_optimizer(weights, optimizer_params, config),
    )
    member_sections = metadata.get("members", [])
    if len(member_sections) + 1 != params["n_estimators"]:
        raise _CorruptFileError(
            f"params.n_estimators is {params['n_estimators']}, but the file holds "
            f"{len(member_sections) + 1} member(s)"
        )
    members, member_keys = [], set()
    for k, section in enumerate(member_sections, start=1):
        prefix = f"members/{k}/"
        _check_keys(
            section, {"optimizer", "training_state", "rng"}, f"members[{k - 1}]"
        )
        own = {
            key.removeprefix(prefix): array
            for key, array in arrays.items()
            if key.startswith(prefix)
        }
        try:
            members.append(
                _decode_member(section, own, config, dtype, optimizer_params)
            )
        except _CorruptFileError as exc:
            # The member's sections and arrays have member 0's names.
            raise _CorruptFileError(f"member {k}: {exc}") from exc.__cause__
        if unexpected := sorted(
            set(own)
            - {f"weights/{name}" for name in members[-1]["weights"]}
            - {key for key in own if key.startswith("optimizer/")}
        ):
            raise _CorruptFileError(
                f"{_ARRAYS} holds unexpected arrays {[prefix + k for k in unexpected]}"
            )
        member_keys.update(prefix + key for key in own)
    ngrams = _decode_ngrams(
        metadata.get("ngrams"), arrays, config, metadata["format_version"]
    )
    scaling = _decode_target_scaling(arrays, config, metadata["format_version"])
    expected = {"classes_", *(f"weights/{name}" for name in weights)}
    if ngrams is not None:
        expected.update(f"ngrams/{name}" for name in ("keys", "coef", "intercept"))
        if ngrams.scale is not None:
            expected.add("ngrams/scale")
        if ngrams.char_range is not None:
            expected.update(f"ngrams/{name}" for name in _CHAR_ARRAYS)
    if scaling is not None:
        expected.update(_TARGET_SCALING_ARRAYS)
    expected.update(key for key in arrays if key.startswith("optimizer/"))
    expected.update(member_keys)
    if unexpected := sorted(set(arrays) - expected):
        raise _CorruptFileError(f"{_ARRAYS} holds unexpected arrays {unexpected}")
    architecture = _decode_mapping(
        metadata["architecture"], _ARCHITECTURE_PARAMS, "architecture"
    )
    _check_architecture(architecture, config, dtype)
    state = _decode_training_state(metadata["training_state"])
    held_out, coverage = _decode_attributes(metadata["attributes"], state)
    model._fitted = FittedModel(
        classes=classes,
        vectorizer=vectorizer,
        config=config,
        weights=weights,
        optimizer=optimizer,
        training=state,
        rng=_decode_rng(metadata["rng"]),
        fitted_params={**architecture, **optimizer_params},
        held_out=held_out,
        embeddings_coverage=coverage,
        ngrams=ngrams,
        target_scaling=scaling,
    )
    model._fitted = dataclasses.replace(
        model._fitted,
        members=tuple(
            dataclasses.replace(
                model._fitted,
                **member,
                fitted_params={**architecture, **optimizer_params},
            )
            for member in members
        ),
    )
    if changed := model._changed_since_fit():
        name, fitted = next(iter(changed.items()))
        section = "architecture" if name in architecture else "vectorizer.params"
        raise _CorruptFileError(
            f"params.{name} is {getattr(model, name)!r:.60}, but {section}.{name}, "
            f"with which the model was fitted, is {fitted!r:.60}"
        )
    return model


def _decode_ngrams(
    section: Any, arrays: dict[str, np.ndarray], config: NetworkConfig, version: int
) -> NgramModel | None:
    """The n-gram companion of the ``ngrams`` section and arrays, or None.

    Its ``ngrams/scale`` (from version 10) is optional: a companion fitted
    before the documents' norms, saved again, has none.  Its
    ``whole_documents`` is in files from version 11; older companions read
    the network's tokens.  ``weight`` is in files from version 12,
    ``char_range`` from version 13.
    """
    if section is None:
        return None
    if config.head not in COMPANION_HEADS:
        raise _CorruptFileError(f"a network with a {config.head!r} head has no ngrams")
    whole_documents, weight = False, None
    if version >= 13:
        _check_keys(
            section,
            {"ngram_range", "C", "whole_documents", "weight", "char_range", "char_C"},
            "ngrams",
        )
    elif version == 12:
        _check_keys(
            section, {"ngram_range", "C", "whole_documents", "weight"}, "ngrams"
        )
    elif version == 11:
        _check_keys(section, {"ngram_range", "C", "whole_documents"}, "ngrams")
    else:
        _check_keys(section, {"ngram_range", "C"}, "ngrams")
    if version >= 11:
        whole_documents = _expect(
            section["whole_documents"], bool, "ngrams.whole_documents"
        )
    if version >= 12 and section["weight"] is not None:
        weight = _float(section["weight"], "ngrams.weight")
        if not 0 <= weight <= 1:
            raise _CorruptFileError(f"ngrams.weight is {weight!r}, not in [0, 1]")
    ngram_range = section["ngram_range"]
    if not (
        isinstance(ngram_range, list)
        and len(ngram_range) == 2
        and all(type(n) is int for n in ngram_range)
        and 1 <= ngram_range[0] <= ngram_range[1]
    ):
        raise _CorruptFileError(
            f"ngrams.ngram_range is {ngram_range!r:.60}, not [min_n, max_n] with "
            "1 <= min_n <= max_n"
        )
    n_vocab = config.n_vocab
    try:
        min_n, max_n = check_ngram_range(ngram_range, n_vocab)
    except ValueError:
        raise _CorruptFileError(
            f"ngrams.ngram_range {ngram_range!r} makes keys beyond int64 for "
            f"{n_vocab} token ids"
        ) from None
    C = _float(section["C"], "ngrams.C")
    if not (math.isfinite(C) and C > 0):
        raise _CorruptFileError(f"ngrams.C is {C!r}, not a positive number")
    binary = config.head == "softmax" and config.n_outputs == 2
    n_columns = 1 if binary else config.n_outputs
    for name in ("keys", "coef", "intercept"):
        if f"ngrams/{name}" not in arrays:
            raise _CorruptFileError(f"{_ARRAYS} has no 'ngrams/{name}' array")
    keys = arrays["ngrams/keys"]
    if keys.dtype != np.int64 or keys.ndim != 1:
        raise _CorruptFileError(
            f"ngrams/keys is a {keys.ndim}-D {keys.dtype} array, not 1-D int64"
        )
    low, high = 2 * n_vocab ** (min_n - 1), n_vocab**max_n
    # (compared, not subtracted: a difference of int64s can wrap around)
    if len(keys) and not (
        (keys[1:] > keys[:-1]).all() and keys[0] >= low and keys[-1] < high
    ):
        raise _CorruptFileError(
            f"ngrams/keys must be sorted, unique and in [{low}, {high})"
        )
    char_range = _decode_chars(section.get("char_range"), version)
    if char_range is None and section.get("char_C") is not None:
        raise _CorruptFileError("ngrams.char_C is given without ngrams.char_range")
    n_features = len(keys) + (0 if char_range is None else n_vocab)
    coef = _companion_array(arrays, "coef", (n_features, n_columns))
    intercept = _companion_array(arrays, "intercept", (n_columns,))
    _check_sums(coef, intercept, "ngrams/coef")
    scale = arrays.get("ngrams/scale")
    if scale is not None:
        if version < 10:
            raise _CorruptFileError(
                f"a file of version {version} has no ngrams/scale array"
            )
        if scale.shape != (n_features,) or scale.dtype != np.float64:
            raise _CorruptFileError(
                f"ngrams/scale is a {scale.dtype} array of shape {scale.shape}; "
                f"the companion needs float64 of shape {(n_features,)}"
            )
        if not (np.isfinite(scale).all() and (scale >= 0).all()):
            raise _CorruptFileError(
                "ngrams/scale holds negative, NaN or infinite values"
            )
        scale = np.array(scale)
    return NgramModel(
        ngram_range=(min_n, max_n),
        n_vocab=n_vocab,
        keys=np.array(keys),
        coef=np.array(coef, order="C"),
        intercept=np.array(intercept),
        head=config.head,
        C=C,
        scale=scale,
        whole_documents=whole_documents,
        weight=weight,
        **(
            {}
            if char_range is None
            else _char_part(section, arrays, char_range, (n_features, n_columns))
        ),
    )


def _companion_array(
    arrays: dict[str, np.ndarray], name: str, shape: tuple[int, ...]
) -> np.ndarray:
    """The array ``ngrams/<name>``, checked: there, float64 of ``shape``, finite."""
    if f"ngrams/{name}" not in arrays:
        raise _CorruptFileError(f"{_ARRAYS} has no 'ngrams/{name}' array")
    array = arrays[f"ngrams/{name}"]
    if array.shape != shape or array.dtype != np.float64:
        raise _CorruptFileError(
            f"ngrams/{name} is a {array.dtype} array of shape {array.shape}; "
            f"the companion needs float64 of shape {shape}"
        )
    if not np.isfinite(array).all():
        raise _CorruptFileError(f"ngrams/{name} holds NaN or infinite values")
    return array


def _check_sums(coef: np.ndarray, intercept: np.ndarray, name: str) -> None:
    """Refuse finite weights whose decisions could still overflow to NaN.

    A decision adds a column's weights of the features a document holds
    (each 0 or 1) to its intercept: bounded by the sum of their absolute
    values, which must be finite, or a document holding a weight of 1e308
    and one of -1e308 gets inf - inf.
    """
    with np.errstate(over="ignore"):
        bound = np.abs(coef).sum(axis=0) + np.abs(intercept)
    if not np.isfinite(bound).all():
        raise _CorruptFileError(
            f"the weights of a column of {name} sum beyond float64's range: its "
            "decisions would overflow"
        )


#: The arrays of a companion's characters (from version 14).
_CHAR_ARRAYS = ("char_coef", "char_intercept", "char_scale")


def _char_part(
    section: dict,
    arrays: dict[str, np.ndarray],
    char_range: tuple[int, int],
    shape: tuple[int, int],
) -> dict:
    """The character part's fields: its range and its regression.

    ``ngrams.char_C`` a positive number; ``ngrams/char_coef`` (float64,
    finite, of ``shape``, ``(n_features, n_columns)``),
    ``ngrams/char_intercept`` (float64, finite, of shape ``(n_columns,)``)
    and ``ngrams/char_scale`` (float64, finite, non-negative, of shape
    ``(n_features,)``).
    """
    n_features, n_columns = shape
    C = _float(section["char_C"], "ngrams.char_C")
    if not (math.isfinite(C) and C > 0):
        raise _CorruptFileError(f"ngrams.char_C is {C!r}, not a positive number")
    part = {"char_range": char_range, "char_C": C}
    for name, shape in (
        ("char_coef", (n_features, n_columns)),
        ("char_intercept", (n_columns,)),
        ("char_scale", (n_features,)),
    ):
        part[name] = np.array(_companion_array(arrays, name, shape), order="C")
    _check_sums(part["char_coef"], part["char_intercept"], "ngrams/char_coef")
    if (part["char_scale"] < 0).any():
        raise _CorruptFileError("ngrams/char_scale holds negative values")
    return part


def _decode_chars(char_range: Any, version: int) -> tuple[int, int] | None:
    """The lengths of the companion's character n-grams, or None for none.

    ``ngrams.char_range`` null (or a file before version 13) has none, and
    no ``ngrams/char_*`` arrays.  A version 13 file's (a development
    version's character part, which read the union of a document's
    character n-grams) is refused: this version cannot predict with it.
    """
    if char_range is None:
        return None
    if version < _CHAR_SUMS_VERSION:
        raise ValueError(
            f"This model file (format version {version}) holds an n-gram "
            "companion with characters (char_ngram_range) fitted by a "
            "development version of skrnn that read the union of a document's "
            "character n-grams; this version reads the sum of its words' and "
            "cannot predict with it. Refit the model and save it again."
        )
    if not (
        isinstance(char_range, list)
        and len(char_range) == 2
        and all(type(n) is int for n in char_range)
    ):
        raise _CorruptFileError(
            f"ngrams.char_range is {char_range!r:.60}, not null or [min_n, max_n]"
        )
    try:
        return check_char_range(char_range)
    except ValueError as error:
        raise _CorruptFileError(f"ngrams.char_range: {error}") from None


#: The arrays of a model whose head trains on standardized targets (version 9).
_TARGET_SCALING_ARRAYS = ("targets/mean", "targets/scale")


def _decode_target_scaling(
    arrays: dict[str, np.ndarray], config: NetworkConfig, version: int
) -> TargetScaling | None:
    """The standardization of the targets, or None for a model without one.

    Only a model of a head with ``standardize_y`` in a file of version 9 or
    later has one; a model without one trained on the targets as they were
    (a file of version 8 or older, and such a model saved again).
    """
    present = [name for name in _TARGET_SCALING_ARRAYS if name in arrays]
    if not present:
        return None
    if version < 9 or not get_head(config.head).standardize_y:
        raise _CorruptFileError(
            f"a network with a {config.head!r:.60} head in a file of version "
            f"{version} has no {present[0]} array"
        )
    if len(present) < len(_TARGET_SCALING_ARRAYS):
        missing = sorted(set(_TARGET_SCALING_ARRAYS) - set(present))
        raise _CorruptFileError(f"{_ARRAYS} has no {missing[0]!r} array")
    mean, scale = (arrays[name] for name in _TARGET_SCALING_ARRAYS)
    for name, array in zip(_TARGET_SCALING_ARRAYS, (mean, scale), strict=True):
        if array.dtype != np.float64 or array.shape != (config.n_outputs,):
            raise _CorruptFileError(
                f"{name} is a {array.dtype} array of shape {array.shape}; "
                f"expected float64 of shape ({config.n_outputs},)"
            )
        if not np.isfinite(array).all():
            raise _CorruptFileError(f"{name} holds NaN or infinite values")
    if not (scale > 0).all():
        raise _CorruptFileError("targets/scale holds values that are not positive")
    return TargetScaling(mean=np.array(mean), scale=np.array(scale))


def _decode_classes(arrays: dict[str, np.ndarray], section: Any) -> np.ndarray:
    _check_keys(section, {"object"}, "classes")
    as_object = _expect(section["object"], bool, "classes.object")
    if "classes_" not in arrays:
        raise _CorruptFileError(f"{_ARRAYS} has no 'classes_' array")
    classes = arrays["classes_"]
    if classes.ndim != 1 or classes.dtype.kind not in _CLASS_KINDS:
        raise _CorruptFileError(
            f"classes_ is a {classes.ndim}-D {classes.dtype} array; expected "
            "1-D booleans, numbers or strings"
        )
    if len(classes) < 2 or not np.array_equal(np.unique(classes), classes):
        raise _CorruptFileError(
            "classes_ must hold at least 2 distinct labels, sorted; got "
            f"{classes.tolist()[:5]!r}"
        )
    if as_object:
        # Python objects (str, int, ...) as np.unique gives them for object y.
        array = np.empty(len(classes), dtype=object)
        array[:] = classes.tolist()
        return array
    return classes


def _decode_vectorizer(section: Any) -> SequenceVectorizer:
    _check_keys(section, {"params", "vocabulary", "fixed_vocabulary"}, "vectorizer")
    params = _decode_mapping(
        section["params"], SequenceVectorizer().get_params(), "vectorizer.params"
    )
    vectorizer = SequenceVectorizer(**params)
    vectorizer._validate_params()
    _check_token_pattern(vectorizer.token_pattern, "vectorizer.params.token_pattern")
    ids = _dtype(vectorizer.dtype, "vectorizer.params.dtype")
    if ids.kind not in "iu":
        raise _CorruptFileError(
            f"vectorizer.params.dtype is {vectorizer.dtype!r:.60}, not an integer type"
        )
    words = _expect(section["vocabulary"], list, "vectorizer.vocabulary")
    # As fit checks it: transform would fail on the first word of a larger id.
    if len(words) + _N_RESERVED - 1 > np.iinfo(ids).max:
        raise _CorruptFileError(
            f"vectorizer.params.dtype {ids} cannot hold the "
            f"{len(words) + _N_RESERVED} ids of the vocabulary"
        )
    if not all(isinstance(word, str) for word in words):
        raise _CorruptFileError("vectorizer.vocabulary must be a list of str")
    vocabulary = {word: index for index, word in enumerate(words, _N_RESERVED)}
    if len(vocabulary) != len(words):
        raise _CorruptFileError("vectorizer.vocabulary has duplicate words")
    vectorizer._set_vocabulary(
        vocabulary,
        _expect(section["fixed_vocabulary"], bool, "vectorizer.fixed_vocabulary"),
    )
    return vectorizer


def _check_token_pattern(pattern: str | None, where: str) -> None:
    """The pattern must make a tokenizer, as transform and fit build it."""
    if pattern is None:
        return
    try:
        CountVectorizer(token_pattern=pattern).build_tokenizer()
    except (re.error, ValueError, RecursionError, OverflowError) as exc:
        raise _CorruptFileError(
            f"{where} {pattern!r:.60} is not a usable regular expression ({exc})"
        ) from exc


def _upgrade_network(section: Any, version: int) -> Any:
    """The ``network`` section of a version 1 file as version 2 has it."""
    if version > 1 or not isinstance(section, dict) or "n_classes" not in section:
        return section
    section = dict(section, head="softmax")
    section["n_outputs"] = section.pop("n_classes")
    return section


def _decode_config(section: Any, n_vocab: int, n_outputs: int | None) -> NetworkConfig:
    """The network's configuration, which must have ``n_vocab`` and ``n_outputs``.

    ``n_outputs`` is None when nothing else in the file gives it (a regressor).
    """
    fields = {field.name for field in dataclasses.fields(NetworkConfig)}
    _check_keys(section, fields, "network")
    for name in ("cell", "pooling", "head"):  # looked up in dicts: str only
        if not isinstance(section[name], str):
            raise _CorruptFileError(
                f"network.{name} is {section[name]!r:.60}, not a name"
            )
    try:
        config = NetworkConfig(**section)
    except ValueError as exc:
        raise _CorruptFileError(f"network: {exc}") from None
    if section["n_vocab"] != n_vocab or section["n_outputs"] != (
        n_outputs or section["n_outputs"]
    ):
        raise _CorruptFileError(
            f"network has n_vocab={section['n_vocab']} and "
            f"n_outputs={section['n_outputs']}, but the vocabulary has "
            f"{n_vocab} ids and the model {n_outputs} outputs"
        )
    return config


def _min_n_weights(config: NetworkConfig) -> int:
    """The number of weights of a network, counted from its cell's declarations.

    Checked before the shapes of an untrusted configuration are listed, so
    that a forged one cannot make the loader list more layers than the file
    holds weights.
    """
    return n_params(config)


def _decode_member(
    section: dict,
    arrays: dict[str, np.ndarray],
    config: NetworkConfig,
    dtype: np.dtype,
    optimizer_params: dict[str, Any],
) -> dict[str, Any]:
    """A member's weights, optimizer, training state and generator after the first.

    ``section`` is its entry of ``members``; ``arrays`` its arrays, their
    ``members/<k>/`` prefix removed.
    """
    weights = _decode_weights(arrays, config, dtype)
    return {
        "weights": weights,
        "optimizer": _decode_optimizer(
            section["optimizer"],
            arrays,
            weights,
            dtype,
            _new_optimizer(weights, optimizer_params, config),
        ),
        "training": _decode_training_state(section["training_state"]),
        "rng": _decode_rng(section["rng"]),
    }


def _new_optimizer(
    weights: dict[str, np.ndarray],
    optimizer_params: dict[str, Any],
    config: NetworkConfig,
) -> BaseOptimizer:
    """The new optimizer of the file's ``optimizer_params`` for ``weights``.

    Settings that the constraints accept may still make no optimizer for the
    weights' dtype (an ``epsilon`` that rounds to 0 in float32, an AdamW
    decay ``learning_rate_init * alpha`` above 1): a fit would have refused
    them, so the file was not written by one.
    """
    try:
        return build_optimizer(
            weights, optimizer_params, penalized=penalized_names(config)
        )
    except ValueError as exc:
        raise _CorruptFileError(f"optimizer_params: {exc}") from exc


def _decode_weights(
    arrays: dict[str, np.ndarray], config: NetworkConfig, dtype: np.dtype
) -> dict[str, np.ndarray]:
    stored = {
        key.removeprefix("weights/"): array
        for key, array in arrays.items()
        if key.startswith("weights/")
    }
    n_stored = sum(array.size for array in stored.values())
    if _min_n_weights(config) > n_stored:
        raise _CorruptFileError(
            f"the network configuration needs more weights than the "
            f"{n_stored} the file holds"
        )
    # The reference shapes are those the initialiser draws, so that they
    # cannot drift from the network's definition.
    reference = param_shapes(config)
    missing = sorted(set(reference) - set(stored))
    unexpected = sorted(set(stored) - set(reference))
    if missing or unexpected:
        raise _CorruptFileError(
            f"the weights do not match the network: missing {missing}, "
            f"unexpected {unexpected}"
        )
    weights = {}
    for name, shape in reference.items():
        array = stored[name]
        _check_array(array, shape, dtype, f"weight {name!r}")
        weights[name] = np.array(array, order="C")
    return weights


def _check_array(
    array: np.ndarray, shape: tuple[int, ...], dtype: np.dtype, what: str
) -> None:
    if array.shape != shape or array.dtype != dtype:
        raise _CorruptFileError(
            f"{what} is a {array.dtype} array of shape {array.shape}; the network "
            f"needs {dtype} of shape {shape}"
        )
    if not np.isfinite(array).all():
        raise _CorruptFileError(f"{what} holds NaN or infinite values")


def _decode_optimizer(
    section: Any,
    arrays: dict[str, np.ndarray],
    weights: dict[str, np.ndarray],
    dtype: np.dtype,
    optimizer: BaseOptimizer,
) -> BaseOptimizer:
    """``optimizer`` with the state of the file, whose settings must be its own.

    ``optimizer`` is new, made for ``weights`` from the estimator's fitted
    optimizer parameters (``optimizer_params`` in the file).
    """
    _check_keys(section, {"solver", "hyperparameters", "scalars"}, "optimizer")
    solver = section["solver"]
    cls = type(optimizer)
    if type(solver) is not str or OPTIMIZERS.get(solver) is not cls:
        raise _CorruptFileError(
            f"optimizer.solver is {solver!r:.60}, but optimizer_params make a "
            f"{cls.__name__}"
        )
    hyperparameters = _decode_mapping(
        section["hyperparameters"], cls.hyperparameters, "optimizer.hyperparameters"
    )
    expected = optimizer.get_hyperparameters()
    for name, value in hyperparameters.items():
        if type(value) not in (bool, int, float, str) or expected[name] != value:
            raise _CorruptFileError(
                f"optimizer.hyperparameters.{name} is {value!r}, but "
                f"optimizer_params make it {expected[name]!r}"
            )
    scalars = _decode_mapping(
        section["scalars"], optimizer._scalar_names, "optimizer.scalars"
    )
    # the cosine schedule's rate is 0 once it has run its course
    cosine = optimizer.learning_rate == "cosine"
    for name, value in scalars.items():
        if name in ("t", *optimizer._cosine_scalar_names):
            # counts: no more than an int64 holds (a huge one would load,
            # then fail to print or save)
            valid = type(value) is int and 0 <= value < 2**63
        elif name == "current_learning_rate":
            valid = type(value) in (int, float) and (
                0 < value < math.inf or (cosine and value == 0)
            )
        else:
            # a scalar of an optimizer added to OPTIMIZERS: any finite number
            valid = (type(value) is int and -(2**63) <= value < 2**63) or (
                type(value) is float and math.isfinite(value)
            )
        if not valid:
            raise _CorruptFileError(f"optimizer.scalars.{name} is {value!r}")
    state: dict[str, Any] = dict(scalars)
    for key, array in arrays.items():
        if key.startswith("optimizer/"):
            key = key.removeprefix("optimizer/")
            name = key.partition(".")[2]
            shape = weights[name].shape if name in weights else array.shape
            _check_array(array, shape, dtype, f"optimizer array {key!r}")
            if (
                isinstance(optimizer, AdamOptimizer)
                and key.startswith("vs.")
                and (array < 0).any()
            ):
                # a mean of squared gradients, whose square root Adam takes
                raise _CorruptFileError(
                    f"optimizer array {key!r} holds negative values, which a "
                    "mean of squared gradients cannot"
                )
            state[key] = array
    try:
        optimizer.set_state(state)
    except ValueError as exc:  # missing or unexpected arrays
        raise _CorruptFileError(f"optimizer: {exc}") from exc
    return optimizer


def _rename_old_optimizer_names(metadata: dict[str, Any]) -> None:
    """Give the optimizer sections of a file of 2c130fb or earlier today's names.

    Such a file calls the learning rate of the last step ``learning_rate`` in
    ``optimizer.scalars``, two hyperparameters by names of their own in
    ``optimizer.hyperparameters`` (see :data:`_OLD_OPTIMIZER_NAMES`), and
    holds every optimizer parameter of the estimator in ``optimizer_params``,
    where a file now holds the solver and its hyperparameters. Renamed in
    place; any other file is left as it is.
    """
    optimizer, fitted = metadata["optimizer"], metadata["optimizer_params"]
    if not (
        isinstance(optimizer, dict)
        and isinstance(optimizer.get("scalars"), dict)
        and isinstance(optimizer.get("hyperparameters"), dict)
        and isinstance(fitted, dict)
        and "learning_rate" in optimizer["scalars"]
    ):
        return
    scalars = optimizer["scalars"]
    scalars["current_learning_rate"] = scalars.pop("learning_rate")
    hyperparameters = optimizer["hyperparameters"]
    for old, new in _OLD_OPTIMIZER_NAMES.items():
        if old in hyperparameters:
            hyperparameters[new] = hyperparameters.pop(old)
    solver = fitted.get("solver")
    if isinstance(solver, str) and solver in OPTIMIZERS:
        keep = {"solver", *OPTIMIZERS[solver].hyperparameters}
        for name in set(fitted) - keep:
            del fitted[name]


def _add_adam_schedule(metadata: dict[str, Any]) -> None:
    """Give the Adam sections of a file of version 5 or older a ``learning_rate``.

    Adam and AdamW took no schedule before version 6: their
    ``optimizer_params`` get ``"constant"`` (unless a file of 2c130fb or
    earlier has one there, which they ignored), and every member's
    ``optimizer.hyperparameters`` the same.  In place; any other file is left
    as it is.
    """
    fitted = metadata["optimizer_params"]
    if not isinstance(fitted, dict) or fitted.get("solver") not in ("adam", "adamw"):
        return
    schedule = fitted.setdefault("learning_rate", "constant")
    members = metadata.get("members")
    for member in [metadata, *(members if isinstance(members, list) else [])]:
        optimizer = member.get("optimizer") if isinstance(member, dict) else None
        if isinstance(optimizer, dict) and isinstance(
            optimizer.get("hyperparameters"), dict
        ):
            optimizer["hyperparameters"].setdefault("learning_rate", schedule)


def _check_architecture(
    architecture: dict[str, Any], config: NetworkConfig, dtype: np.dtype
) -> None:
    """The architecture parameters must describe the network they made.

    ``embedding_dim=None`` makes a one-hot network, or one as wide as the
    pre-trained vectors, which the file does not always name: any width.
    """
    names = ["cell", "hidden_size", "num_layers", "bidirectional", "pooling"]
    if architecture["embedding_dim"] is not None:
        names.append("embedding_dim")
    for name in names:
        if architecture[name] != getattr(config, name):
            raise _CorruptFileError(
                f"architecture.{name} is {architecture[name]!r:.60}, but the network "
                f"has {getattr(config, name)!r}"
            )
    if _dtype(architecture["dtype"], "architecture.dtype") != dtype:
        raise _CorruptFileError(
            f"architecture.dtype is {architecture['dtype']!r:.60}, but the weights "
            f"are {dtype}"
        )


def _decode_training_state(section: Any) -> TrainingState:
    values = _decode_mapping(section, TRAINING_FIELDS, "training_state")
    for name in ("n_iter", "t", "no_improvement_count"):
        _check_count(values[name], f"training_state.{name}")
    for name in ("loss_curve", "validation_scores"):
        values[name] = _floats(values[name], f"training_state.{name}")
    for name in ("best_loss", "best_validation_score"):
        values[name] = _float(values[name], f"training_state.{name}")
    if values["validation_seed"] is not None:
        # a seed of numpy's RandomState, which the split of a warm start takes
        _check_int(values["validation_seed"], 2**32, "training_state.validation_seed")
    return TrainingState(**values)


def _decode_attributes(section: Any, state: TrainingState) -> tuple[bool, float | None]:
    """Whether the last fit held out a validation set, and the embeddings' coverage.

    The other attributes are views of the training state: each must agree
    with it.
    """
    optional = [name for name in _OPTIONAL_ATTRIBUTES if name in section]
    values = _decode_mapping(section, (*_ATTRIBUTES, *optional), "attributes")
    for name in ("n_iter_", "t_"):
        _check_count(values[name], f"attributes.{name}")
    values["loss_curve_"] = _floats(values["loss_curve_"], "attributes.loss_curve_")
    for name in ("best_loss_", "best_validation_score_", *optional):
        if values[name] is not None:
            values[name] = _float(values[name], f"attributes.{name}")
    held_out = values["validation_scores_"] is not None
    if held_out:
        values["validation_scores_"] = _floats(
            values["validation_scores_"], "attributes.validation_scores_"
        )
    expected = {
        "n_iter_": state.n_iter,
        "t_": state.t,
        "loss_curve_": state.loss_curve,
        "best_loss_": None if held_out else state.best_loss,
        "validation_scores_": state.validation_scores if held_out else None,
        "best_validation_score_": state.best_validation_score if held_out else None,
    }
    for name, value in expected.items():
        if values[name] != value:
            raise _CorruptFileError(
                f"attributes.{name} is {values[name]!r:.60}, but the training "
                f"state makes it {value!r:.60}"
            )
    return held_out, values.get("embeddings_coverage_")


def _decode_rng(state: Any) -> np.random.Generator:
    if not isinstance(state, dict) or state.get("bit_generator") not in (
        _BIT_GENERATORS
    ):
        raise _CorruptFileError(
            f"rng must be the state of a {' or '.join(_BIT_GENERATORS)} generator"
        )
    # Checked here: numpy's setter raises KeyError, TypeError or
    # OverflowError, as the values happen to be wrong.
    _check_keys(state, {"bit_generator", "state", "has_uint32", "uinteger"}, "rng")
    _check_keys(state["state"], {"state", "inc"}, "rng.state")
    _check_int(state["state"]["state"], 2**128, "rng.state.state")
    _check_int(state["state"]["inc"], 2**128, "rng.state.inc")
    _check_int(state["has_uint32"], 2, "rng.has_uint32")
    _check_int(state["uinteger"], 2**32, "rng.uinteger")
    bit_generator = getattr(np.random, state["bit_generator"])()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def _decode_random_state(content: Any, where: str) -> np.random.RandomState:
    """A ``numpy.random.RandomState`` from its legacy MT19937 state.

    Every value is checked first: numpy's ``set_state`` does not check that
    ``pos`` is within the key, and a generator with a ``pos`` beyond it reads
    memory outside its state (a crash, at best) when it draws.
    """
    _check_keys(content, {"key", "pos", "has_gauss", "gauss"}, where)
    key = content["key"]
    if not (
        isinstance(key, list)
        and len(key) == _MT19937_WORDS
        and all(type(word) is int and 0 <= word < 2**32 for word in key)
    ):
        raise _CorruptFileError(
            f"{where}: the key must be a list of {_MT19937_WORDS} ints in [0, 2**32)"
        )
    _check_int(content["pos"], _MT19937_WORDS + 1, f"{where}.pos")
    _check_int(content["has_gauss"], 2, f"{where}.has_gauss")
    gauss = _float(content["gauss"], f"{where}.gauss")
    random_state = np.random.RandomState()
    random_state.set_state(
        (
            "MT19937",
            np.array(key, dtype=np.uint32),
            content["pos"],
            content["has_gauss"],
            gauss,
        )
    )
    return random_state


_MT19937_WORDS = 624


# -------------------------------------------------------- decoding helpers


def _check_keys(section: Any, keys: Any, where: str) -> None:
    if not isinstance(section, dict):
        raise _CorruptFileError(f"{where} is not a JSON object")
    missing = set(keys) - set(section)
    unexpected = set(section) - set(keys)
    if missing and not unexpected:
        raise _CorruptFileError(
            f"{where} has missing keys {_names(missing)}; a file written by an "
            "earlier development version of skrnn lacks the settings added "
            "since: refit the model and save it again"
        )
    if missing or unexpected:
        raise _CorruptFileError(
            f"{where} has missing keys {_names(missing)} and unexpected keys "
            f"{_names(unexpected)}"
        )


def _expect(value: Any, kind: type, where: str) -> Any:
    if type(value) is not kind:
        raise _CorruptFileError(f"{where} is {value!r:.60}, not a JSON {kind.__name__}")
    return value


def _check_count(value: Any, where: str) -> None:
    if type(value) is not int or value < 0:
        raise _CorruptFileError(f"{where} is {value!r:.60}, not an int >= 0")


def _check_int(value: Any, stop: int, where: str) -> None:
    if type(value) is not int or not 0 <= value < stop:
        power = stop.bit_length() - 1
        bound = f"2**{power}" if stop == 2**power and power > 16 else stop
        raise _CorruptFileError(f"{where} is {value!r:.60}, not an int in [0, {bound})")


def _float(value: Any, where: str) -> float:
    if type(value) not in (int, float):
        raise _CorruptFileError(f"{where} is {value!r:.60}, not a number")
    try:
        return float(value)
    except OverflowError:  # an int of more than 308 digits
        raise _CorruptFileError(f"{where} is an int too large for a float") from None


def _dtype(value: Any, where: str) -> np.dtype:
    """The numpy dtype of a parameter value, which numpy may not understand."""
    try:
        return np.dtype(value)
    except (TypeError, ValueError) as exc:
        raise _CorruptFileError(f"{where} is not a dtype ({exc})") from exc


def _floats(values: Any, where: str) -> list[float]:
    if not isinstance(values, list):
        raise _CorruptFileError(f"{where} is {values!r:.40}, not a list")
    return [_float(value, where) for value in values]


def _decode_mapping(section: Any, names: Any, where: str) -> dict[str, Any]:
    """Decode the values of a JSON object that has exactly the keys ``names``."""
    _check_keys(section, names, where)
    return {name: _from_json(section[name], f"{where}.{name}") for name in section}


def _from_json(value: Any, where: str) -> Any:
    """Decode a value written by :func:`_to_json`."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_from_json(item, where) for item in value]
    if not (isinstance(value, dict) and len(value) == 1):
        raise _CorruptFileError(f"{where}: unexpected JSON object {value!r:.60}")
    ((tag, content),) = value.items()
    if tag == "__float__" and content in ("inf", "-inf", "nan"):
        return float(content)
    if tag in ("__tuple__", "__set__", "__dict__") and isinstance(content, list):
        items = [_from_json(item, where) for item in content]
        if tag == "__tuple__":
            return tuple(items)
        try:
            if tag == "__set__":
                return set(items)
            if all(isinstance(item, list) and len(item) == 2 for item in items):
                return {key: item for key, item in items}
        except TypeError as exc:  # a list as a member or a key
            raise _CorruptFileError(f"{where}: {exc}") from exc
    if tag == "__dtype__" and isinstance(content, str) and content in _DTYPE_NAMES:
        return np.dtype(content).type
    if tag == "__random_state__":
        return _decode_random_state(content, where)
    raise _CorruptFileError(f"{where}: unknown or malformed tag {tag!r:.60}")


#: The names of the numpy scalar types that ``{"__dtype__": name}`` holds.
_DTYPE_NAMES = frozenset(
    np.dtype(code).name
    for code in "?" + np.typecodes["AllInteger"] + np.typecodes["AllFloat"]
)
