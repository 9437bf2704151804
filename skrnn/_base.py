"""What RNNTextClassifier and RNNTextRegressor share: all but the output head.

Both read raw text through a :class:`SequenceVectorizer`, run the same
recurrent network and train it with the same loop; they differ in the output
head and its loss (softmax and cross-entropy, sigmoid and binary
cross-entropy, identity and squared error, exponential and Poisson
deviance), that is in how they check and
encode ``y`` and in what they make of the network's outputs.  The estimator
classes say only that; everything else is here.
"""

import contextlib
import copy
import dataclasses
import inspect
import itertools
import math
import os
import reprlib
from collections.abc import Iterator, Mapping, MappingView
from collections.abc import Set as AbstractSet
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from joblib import effective_n_jobs
from joblib.externals.loky.backend.reduction import dumps as worker_pickle
from joblib.parallel import get_active_backend
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Hidden,
    Interval,
    Options,
    StrOptions,
)
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
)

from . import _prediction
from ._embeddings import embedding_table, load_word_vectors, vectors_width
from ._fitted import FittedModel
from ._ngrams import quiet_liblinear
from ._optimizers import LR_SCHEDULES, OPTIMIZERS, build_optimizer
from ._prediction import Predictor, text_chunks, text_logits
from ._prediction_workers import model_key, two_processes
from ._progress import PROGRESS_DELAY, progress
from ._text import DEFAULT_TOKEN_PATTERN, PAD_ID, UNK_ID, SequenceVectorizer, check_text
from ._threads import (
    beside,
    processes_can_run,
    single_threaded_blas,
    worker_processes,
)
from ._training import (
    Dataset,
    TrainingDivergedError,
    TrainingSettings,
    TrainingState,
    fit_epochs,
)
from ._versioning import VersionedPickleMixin
from ._warnings import warn
from .nn import (
    CELLS,
    POOLINGS,
    NetworkConfig,
    check_params,
    init_params,
    penalized_names,
)
from .nn._heads import TargetScaling, get_head

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9 has no callback protocol

    class CallbackSupportMixin:
        """Stand-in for scikit-learn's callback support, absent before 1.9."""


#: Parameters handed to the :class:`SequenceVectorizer` unchanged.
_TEXT_PARAMS = (
    "lowercase",
    "preprocessor",
    "tokenizer",
    "token_pattern",
    "analyzer",
    "strip_accents",
    "stop_words",
    "min_df",
    "max_df",
    "max_features",
    "vocabulary",
    "max_length",
    "truncating",
)
#: Number of training documents from which ``early_stopping="auto"`` holds out
#: a validation set.
EARLY_STOPPING_AUTO_MIN_SAMPLES = 1000

#: ``max_iter="auto"`` under ``learning_rate="cosine"``: as many epochs as make
#: at least ``AUTO_MIN_STEPS`` optimizer steps, within ``AUTO_EPOCHS``; under
#: another schedule, the upper bound (``benchmarks/small_data.py`` measured the
#: rule on 100 to 3,000 documents, ``benchmarks/schedules.py`` on 5,000-10,000).
AUTO_MIN_STEPS = 1000
AUTO_EPOCHS = (8, 200)

#: ... and at least as many epochs as read ``AUTO_MIN_TOKENS`` tokens of the
#: training documents in all (within ``AUTO_EPOCHS``): short documents teach
#: less an epoch.  On TREC's questions (11 tokens each) 16 epochs rather than
#: 9 gained half a point by the selection protocol, where SST-2's sentences
#: (19 tokens) lost at 12 and 16; corpora whose epochs read 75,000 tokens or
#: more train as before (``benchmarks/RESULTS.md``, session 18).
AUTO_MIN_TOKENS = 600_000

#: ... and under the cosine, at most as many epochs (but at least one) as read
#: ``AUTO_MAX_TOKENS`` tokens of the training documents in all: a fit costs
#: time in proportion to the tokens it reads (about 150,000-250,000 a second
#: on one core), and long documents (or very many) would pass a minute.  The
#: sentence corpora, at most 1.8 million token-epochs, are left as they were
#: (``benchmarks/long_documents.py``).
AUTO_MAX_TOKENS = 5_000_000

#: Training that ``n_jobs`` workers must save for an ensemble's members to
#: train side by side, in tokens (the documents' tokens times epochs, times
#: the rounds of members saved): about 2 s of the defaults' training on one
#: core (~200,000 tokens/s), against the 2-3 s it takes to start worker
#: processes the first time (0.06 s once they run, for 5 minutes).  A round
#: of default fits on TREC, 55,000 tokens for 8 epochs, just passes.
MEMBER_WORKERS_MIN_SAVING = 400_000

#: How an error about continuing a fitted model says to start over: the
#: advice differs for a warm-started ``fit`` and for ``partial_fit``.
TRAIN_ANEW = "set warm_start=False (or call fit, not partial_fit) to train a new"

#: Parameters that shape the network; a warm start requires them unchanged.
_ARCHITECTURE_PARAMS = (
    "cell",
    "hidden_size",
    "embedding_dim",
    "num_layers",
    "bidirectional",
    "pooling",
    "dtype",
)


def _text_defaults(estimator_class):
    """The text parameters of ``estimator_class`` at their defaults, by name."""
    parameters = inspect.signature(estimator_class.__init__).parameters
    return {
        name: parameters[name].default for name in _TEXT_PARAMS if name in parameters
    }


def _start_at_constant_guess(model, targets, sample_weight):
    """Start every member's output bias at its head's best constant guess.

    Outputs that start at 0 reach targets far from it (years, prices) only
    after many steps of at most about ``learning_rate_init`` each: a
    regressor fitted on targets near 2000 predicted about 340.  Heads without
    ``initial_outputs`` keep their bias at 0.
    """
    initial_outputs = get_head(model.config.head).initial_outputs
    if initial_outputs is None:
        return
    bias = initial_outputs(targets, sample_weight)
    for member in (model, *model.members):
        member.weights["head.b_y"][...] = bias


def _check_tokens(vectorizer: SequenceVectorizer, sequences) -> None:
    """Refuse training documents without tokens; warn of a vocabulary that reads none.

    An empty learned vocabulary, or a given one that none of the documents'
    tokens is in, leaves the model only the documents' lengths to learn
    from.
    """
    if not any(len(sequence) for sequence in sequences):
        raise ValueError(
            "The training documents hold no tokens once tokenized: there is "
            "nothing to learn from. Check the text parameters (analyzer, "
            "token_pattern, tokenizer, preprocessor, stop_words)."
        )
    if not vectorizer.vocabulary_:
        warn(
            "The learned vocabulary is empty (stop_words, min_df and max_df "
            "left no word): every word maps to the unknown-word id, and the "
            "model can only learn from the lengths of the documents.",
            UserWarning,
        )
    elif vectorizer.fixed_vocabulary_ and np.all(np.concatenate(sequences) == UNK_ID):
        warn(
            "No token of the training documents is in the given vocabulary "
            f"({len(vectorizer.vocabulary_)} words): every word maps to the "
            "unknown-word id, and the model can only learn from the lengths "
            "of the documents. Check that the vocabulary holds the tokens as "
            "the text parameters make them (lowercase, token_pattern, "
            "analyzer).",
            UserWarning,
        )


def _sendable_to_workers(vectorizer) -> bool:
    """Whether the vectorizer's functions pickle as joblib's workers take them.

    A ``tokenizer`` or ``preprocessor`` may hold what no pickle carries (a
    lock, a connection): it works in this process, so prediction stays here
    rather than fail on large inputs only.
    """
    functions = [
        value
        for value in vectorizer.get_params(deep=False).values()
        if callable(value) and not isinstance(value, type)
    ]
    try:
        worker_pickle(functions)
    except Exception:
        return False
    return True


def _in_order(values, name):
    """``y`` or weights, one per document: an iterator read into a list, as ``X`` is.

    An unordered container (a set, a mapping or a view of one) is refused, as
    it is for ``X``: its order could not be that of the documents.
    """
    if isinstance(values, (AbstractSet, Mapping, MappingView)):
        raise TypeError(
            f"{name} is a {type(values).__name__}, an unordered container: its "
            "values could not be matched with the documents. Pass them as a "
            "list or an array, in the documents' order."
        )
    return list(values) if isinstance(values, Iterator) else values


def raveled_column(y):
    """``y`` of one column as a 1-D array, with scikit-learn's warning; else ``y``."""
    if np.ndim(y) == 2 and np.shape(y)[1] == 1:
        warn(
            "A column-vector y was passed when a 1d array was expected. Please "
            "change the shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
        )
        return np.asarray(y)[:, 0]
    return y


class _Registered(StrOptions):
    """The names in a registry of this process (a live view of its keys).

    Live, so that a name added after the estimator's module was imported is
    accepted; its description in scikit-learn's error says that registries
    are per process, which is why a name added in the main process is unknown
    to the workers of a process-based joblib backend.
    """

    def __init__(self, registry: Mapping, what: str) -> None:
        super().__init__(registry.keys())
        self.what = what

    def __str__(self) -> str:
        return (
            f"{super().__str__()} (the {self.what} in this process: a "
            "process-based n_jobs worker knows only those that a module it "
            "imports adds)"
        )


def _in_range(sample_weight: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float64 sample weights in ``dtype``, divided by the largest if need be.

    Only the weights' ratios matter to training, so weights whose sum
    ``dtype`` cannot hold, or whose smallest positive one it rounds to 0
    (1e38 or 1e-300 in float32), train as those weights divided by the
    largest; others are cast as they are, to the same model as before.
    """
    info = np.finfo(dtype)
    largest = sample_weight.max()
    smallest = sample_weight[sample_weight > 0].min()
    if largest > info.max / len(sample_weight) or smallest < info.tiny:
        sample_weight = sample_weight / largest
    return sample_weight.astype(dtype, copy=False)


class _FittedAttribute:
    """A fitted ``*_`` attribute: a read-only view of the fitted state.

    Absent (AttributeError) before ``fit``, as scikit-learn's fitted
    attributes are, and when ``read`` gives None if ``optional``.
    """

    def __init__(self, read, *, optional=False):
        self.read = read
        self.optional = optional

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, estimator, owner=None):
        if estimator is None:
            return self
        model = estimator.__dict__.get("_fitted")
        value = None if model is None else self.read(model)
        if model is None or (self.optional and value is None):
            raise AttributeError(
                f"{type(estimator).__name__!r} object has no attribute {self.name!r}"
            )
        return value

    def __set__(self, estimator, value):
        raise AttributeError(
            f"{self.name} is read-only: it is part of the fitted model, which "
            "fit and partial_fit replace whole."
        )


def _same_param(name: str, value, fitted) -> bool:
    """Whether a parameter still has the value the model was fitted with."""
    if value is fitted:
        return True
    if name == "dtype":
        try:
            return np.dtype(value) == np.dtype(fitted)
        except TypeError:
            return False
    if isinstance(value, np.ndarray) or isinstance(fitted, np.ndarray):
        return np.array_equal(
            np.asarray(value, dtype=object), np.asarray(fitted, dtype=object)
        )
    try:
        return bool(value == fitted)
    except (TypeError, ValueError):
        return False


class _ShortMapping:
    """A long mapping parameter in an estimator's repr: its first items."""

    SHOWN = 10

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping

    def __repr__(self) -> str:
        brief = reprlib.Repr()
        brief.maxlevel, brief.maxother = 2, 40
        head = dict(itertools.islice(self.mapping.items(), 2))
        return f"{brief.repr(head)[:-1]}, ...}} ({len(self.mapping)} items)"


class BaseRNNText(VersionedPickleMixin, CallbackSupportMixin, BaseEstimator):
    """The text, network and training of the recurrent text estimators.

    Not an estimator of its own: :class:`~skrnn.RNNTextClassifier` and
    :class:`~skrnn.RNNTextRegressor` add the handling of ``y``, in the hooks
    below, and the methods that read the network's outputs.

    * ``_check_y(y)``: ``y`` validated.
    * ``_new_outputs(y, classes)``: the ``classes`` of a new fitted model (or
      None), its number of outputs and its output head: the regressor's
      ``loss`` names it, the classifier's class attribute ``heads`` for each
      kind of ``y``.
    * ``_check_head_is_kept(previous)``: refuse a new fit of an estimator
      that holds a fitted model, when it would train another head silently.
    * ``_encode_y(y, model, sample_weight)``: the targets the head trains on
      (class indices, or floats of shape (n_samples, n_outputs)), checked
      against ``model``; ``sample_weight`` are the weights of the loss.
    * ``_training_weights(y, sample_weight)``: the weights of the loss.
    * ``_check_continued_targets(targets, sample_weight, model)``: warn about
      the targets of a warm start or a later ``partial_fit`` call that
      continues ``model`` (nothing by default).
    * ``_min_validation(targets)``: the fewest samples a hold-out may have.
    * ``_stratify(targets, tell=False)``: what to stratify the hold-out by, or
      None; ``tell`` warns the caller when it cannot be stratified.
    """

    #: The kinds of output heads (see :data:`skrnn.nn.HEAD_KINDS`) that the
    #: estimator predicts with.
    _head_kinds: ClassVar[tuple[str, ...]] = ()

    _parameter_constraints: ClassVar[dict] = {
        "cell": [_Registered(CELLS, "cells registered with skrnn.nn.register_cell")],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "pooling": [StrOptions(set(POOLINGS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "embeddings": [Mapping, str, os.PathLike, None],
        "freeze_embeddings": ["boolean"],
        **{
            name: SequenceVectorizer._parameter_constraints[name]
            for name in _TEXT_PARAMS
        },
        "solver": [
            _Registered(
                OPTIMIZERS, "optimizers registered with skrnn.register_optimizer"
            )
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "learning_rate": [StrOptions(set(LR_SCHEDULES))],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "clip_value": [Interval(Real, 0, None, closed="neither"), None],
        "clip_norm": [Interval(Real, 0, None, closed="neither"), None],
        "adversarial_epsilon": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "shuffle": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "warm_start": ["boolean"],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [
            Interval(Integral, None, -1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "dtype": [
            Options(type, {np.float32, np.float64}),
            StrOptions({"float32", "float64"}),
            Hidden(Options(np.dtype, {np.dtype(np.float32), np.dtype(np.float64)})),
        ],
    }

    def __init__(
        self,
        *,
        cell="gru",
        hidden_size=64,
        embedding_dim=64,
        num_layers=1,
        bidirectional=False,
        pooling="max",
        dropout=0.2,
        input_dropout=0.5,
        embeddings=None,
        freeze_embeddings=False,
        lowercase=True,
        preprocessor=None,
        tokenizer=None,
        token_pattern=DEFAULT_TOKEN_PATTERN,
        analyzer="word",
        strip_accents=None,
        stop_words=None,
        min_df=1,
        max_df=1.0,
        max_features=None,
        vocabulary=None,
        max_length=1000,
        truncating="post",
        solver="adam",
        learning_rate_init=0.01,
        learning_rate="cosine",
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha=0.0,
        clip_value=1.0,
        clip_norm=None,
        adversarial_epsilon=0.0,
        batch_size=32,
        max_iter="auto",
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=5,
        early_stopping="auto",
        validation_fraction=0.1,
        warm_start=False,
        n_estimators=1,
        n_jobs=None,
        random_state=None,
        verbose=0,
        dtype=np.float32,
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.embedding_dim = embedding_dim
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.embeddings = embeddings
        self.freeze_embeddings = freeze_embeddings
        self.lowercase = lowercase
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.token_pattern = token_pattern
        self.analyzer = analyzer
        self.strip_accents = strip_accents
        self.stop_words = stop_words
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.vocabulary = vocabulary
        self.max_length = max_length
        self.truncating = truncating
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.alpha = alpha
        self.clip_value = clip_value
        self.clip_norm = clip_norm
        self.adversarial_epsilon = adversarial_epsilon
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.n_estimators = n_estimators
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype

    def _fit(self, X, y, *, sample_weight, incremental, classes=None, probe=False):
        documents = check_text(X, allow_empty=False)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        y = self._check_y(_in_order(y, "y"))
        check_consistent_length(documents, y)
        dtype = self._check_dtype()
        # The callbacks score with the caller's weights, as scikit-learn's own
        # estimators give them: without class_weight.
        metadata = None if sample_weight is None else {}
        # Checked in float64: weights that float32 rounds to 0 are not the
        # user's zeros.
        sample_weight = _check_sample_weight(
            _in_order(sample_weight, "sample_weight"),
            documents,
            dtype=np.float64,
            ensure_non_negative=True,
        )
        if not np.isfinite(sample_weight).all():
            # only under assume_finite=True, which skips that check
            raise ValueError(
                "sample_weight holds NaN or infinity; give those samples a "
                "finite weight."
            )
        if not sample_weight.any():
            # scikit-learn >= 1.9's check says so; 1.6 to 1.8's let them through
            raise ValueError(
                "Sample weights must contain at least one non-zero number."
            )
        if metadata is not None:
            metadata["sample_weight"] = sample_weight
        sample_weight = _in_range(sample_weight, dtype)
        sample_weight = self._training_weights(y, sample_weight)
        with np.errstate(over="ignore"):
            total_weight = sample_weight.sum()
        if not np.isfinite(total_weight):
            wider = ", or pass dtype=numpy.float64" if dtype != np.float64 else ""
            raise ValueError(
                f"The sample weights sum to more than {dtype.name} can hold; "
                f"scale them down{wider}."
            )
        previous = self.__dict__.get("_fitted")
        continued = previous is not None and (incremental or self.warm_start)
        if not continued and previous is not None:
            # (before ngram_weight="auto" fits anything)
            self._check_head_is_kept(previous)
        # A vocabulary given as an iterator (a generator) can be read once:
        # it is read here, for ngram_weight="auto"'s probe and the fit alike.
        words = (
            list(self.vocabulary)
            if not continued and isinstance(self.vocabulary, Iterator)
            else None
        )
        try:
            blend_weight = self._blend_weight(
                documents,
                y,
                metadata,
                sample_weight,
                previous if continued else None,
                words=words,
            )
        except KeyboardInterrupt:
            warn(
                "Training interrupted by user while ngram_weight='auto' chose the "
                "companion's weight, before this fit trained: the estimator "
                "keeps what it held before the fit."
            )
            return self
        if not continued:
            start, whole = self._new_training(
                documents, y, classes, dtype, sample_weight, words=words
            )
        else:
            start, whole = self._continued_training(previous, documents, incremental)
        # The network reads up to max_length tokens of each document (views),
        # the n-gram companion the whole of it.
        sequences = start.vectorizer._window(whole)
        targets = self._encode_y(y, start, sample_weight)
        if not continued:
            _start_at_constant_guess(start, targets, sample_weight)
        else:
            self._check_continued_targets(targets, sample_weight, start)
        if self.adversarial_epsilon > 0 and start.config.one_hot:
            raise ValueError(
                f"adversarial_epsilon={self.adversarial_epsilon} perturbs the "
                "embedded words, but with embedding_dim=None and no embeddings "
                "the network reads one-hot words; set an embedding_dim, or "
                "adversarial_epsilon=0."
            )
        if self.adversarial_epsilon > float(np.finfo(dtype).max):
            raise ValueError(
                f"adversarial_epsilon={self.adversarial_epsilon:g} is larger than "
                f"{dtype.name} can hold ({np.finfo(dtype).max:.2g}): the perturbed "
                "words would be infinite. Use a smaller adversarial_epsilon, or "
                "dtype=numpy.float64."
            )
        if self.freeze_embeddings and start.config.one_hot:
            warn(
                "freeze_embeddings=True has no effect: with embedding_dim=None "
                "and no embeddings, the network reads one-hot words and has "
                "no embedding table to freeze.",
                UserWarning,
            )
        # The companion's settings are checked here, before the long part;
        # its fit runs first, or with n_jobs of 2 or more beside the
        # network's, on a thread of its own (liblinear releases the GIL, the
        # network's steps take one core in a minibatch of up to 64
        # documents), but for verbose output, whose lines would mix.
        fit_companion = self._companion_fit(
            whole, targets, sample_weight, start, blend_weight
        )
        if continued and previous.ngrams is not None and fit_companion is None:
            warn(
                "ngram_range=None: this fit drops the n-gram companion that the "
                "model was fitted with, and it predicts with its network alone "
                "from now on. Set ngram_range back to keep one (a warm start "
                "refits it; partial_fit cannot).",
                UserWarning,
            )
        with contextlib.ExitStack() as stack:
            stack.enter_context(quiet_liblinear())
            try:
                ngrams = stack.enter_context(
                    beside(fit_companion, None if self.verbose else self.n_jobs)
                )
            except KeyboardInterrupt:
                # (with one job, or verbose output, the companion fits first)
                if probe:
                    raise
                warn(
                    "Training interrupted by user while the n-gram companion "
                    "fitted, before the network trained: the estimator keeps "
                    "what it held before the fit."
                )
                return self
            data = Dataset(sequences, targets, sample_weight)
            hold_out = (
                self._uses_early_stopping(len(documents), self._min_validation(targets))
                and not incremental
            )
            if hold_out:
                # Once for the ensemble, in this process: a member's hold-out
                # may be split in a worker, whose warnings do not come back.
                self._stratify(targets, tell=True)
            # The documents trained on: train_test_split holds out the ceiling.
            n_train = len(documents) - (
                math.ceil(self.validation_fraction * len(documents)) if hold_out else 0
            )
            # and the tokens an epoch reads (a hold-out's share estimated)
            n_tokens = int(data.lengths.sum()) * n_train // len(documents)
            n_epochs = self._n_epochs(n_train, n_tokens)
            max_epochs = 1 if incremental else n_epochs
            ensemble = start.ensemble
            fitted, all_stopped = [], True

            def standing():
                # The members trained so far and the one in training.
                members = [*fitted, ensemble[len(fitted)]]
                return dataclasses.replace(
                    members[0], members=tuple(members[1:]), ngrams=ngrams()
                )

            hooks = self._callback_hooks(
                max_epochs * len(ensemble), documents, y, metadata, standing
            )
            if (
                incremental
                and self.max_iter != "auto"
                and any(
                    member.optimizer.learning_rate == "cosine"
                    and member.optimizer.schedule_epoch >= n_epochs
                    for member in ensemble
                )
            ):
                # Once for the ensemble, not once a member.
                warn(
                    "learning_rate='cosine' has brought the learning rate to 0 "
                    f"in max_iter={self.max_iter} epochs: partial_fit trains "
                    "with a learning rate of 0 from now on. Raise max_iter to go "
                    "on along the schedule, or call fit to run it again "
                    "(partial_fit keeps the fitted optimizer: another "
                    "learning_rate takes effect at the next fit).",
                    UserWarning,
                )
            trained = self._trained_members(
                ensemble, data, hold_out, (max_epochs, n_epochs), hooks, incremental
            )
            for member, stopped in trained:
                fitted.append(member)
                all_stopped = all_stopped and stopped
                if member.training.interrupted:
                    break
            interrupted = fitted[-1].training.interrupted
            if interrupted and probe:
                raise KeyboardInterrupt
            fitted[-1].training.interrupted = False
            # The n-gram companion, whose fit beside the network may not have
            # ended: a Ctrl-C while waiting for it cannot stop its thread,
            # which leaving the block waits for anyway, and the network's
            # epochs are done: the estimator keeps both.
            late = False
            try:
                companion = ngrams()
            except KeyboardInterrupt:
                if probe:
                    raise
                late = True
                companion = ngrams()
            kept = ""
            if interrupted and continued:
                # A member that completed no epoch of this call stays as it
                # was, and so do those not reached yet: the fitted members,
                # not the copies trained on, whose stopping history a warm
                # start restarted and whose optimizer it may have renewed.
                k = len(fitted) - 1
                if fitted[k].training.n_iter == previous.ensemble[k].training.n_iter:
                    fitted[k] = previous.ensemble[k]
                fitted.extend(previous.ensemble[len(fitted) :])
            untouched = (
                interrupted
                and continued
                and all(
                    now is then
                    for now, then in zip(fitted, previous.ensemble, strict=True)
                )
            )
            if interrupted and len(ensemble) > 1:
                if continued:
                    kept = ", and the members not reached yet keep theirs"
                else:
                    if fitted[-1].training.n_iter == 0 and len(fitted) > 1:
                        # interrupted in its first epoch: it is not trained
                        # (the first member stays, untrained, as a single
                        # network interrupted in its first epoch does)
                        fitted.pop()
                    kept = (
                        f", and the {len(fitted)} member(s) of the ensemble trained "
                        f"so far (set n_estimators={len(fitted)} to save or continue "
                        "them)"
                    )
            fitted = dataclasses.replace(
                fitted[0], members=tuple(fitted[1:]), ngrams=companion
            )
            message = (
                "Training interrupted by user: the estimator keeps the weights "
                f"of the last completed epoch (n_iter_={fitted.training.n_iter})"
                f"{kept}."
            )
            if (
                interrupted
                and not continued
                and previous is not None
                and fitted.training.n_iter == 0
            ):
                # A new fit stopped before it completed an epoch has nothing
                # worth the model the estimator held: that one stays.
                fitted = previous
                message = (
                    "Training interrupted by user before the first epoch of this "
                    "fit completed: the estimator keeps the model it held before "
                    f"the fit (n_iter_={fitted.training.n_iter})."
                )
            elif untouched:
                # (its companion too, which a warm start refits first)
                fitted = previous
                message = (
                    "Training interrupted by user before an epoch of this call "
                    "completed: the estimator keeps the model it held before the "
                    f"call (n_iter_={fitted.training.n_iter})."
                )
            if hooks:
                hooks[2](fitted)
            if interrupted:
                warn(message)
            elif late:
                warn(
                    "Training interrupted by user while the n-gram companion "
                    "fitted beside the network, after the network's last epoch: "
                    "the fit waited for the companion, and the estimator keeps "
                    f"both (n_iter_={fitted.training.n_iter})."
                )
            elif not (incremental or all_stopped or self.learning_rate == "cosine"):
                # (the cosine schedule ends at max_iter by design)
                warn(
                    f"Stochastic Optimizer: Maximum iterations ({n_epochs}) "
                    "reached and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
        # One assignment: a concurrent reader sees the old model or this one.
        self._fitted = fitted
        return self

    def _blend_weight(
        self, documents, y, metadata, sample_weight, previous, *, words=None
    ):
        """The companion's weight in the blend that this fit stores, or None.

        ``documents`` and ``y`` are the checked training data, ``metadata``
        holds the caller's ``sample_weight`` (None without), ``sample_weight``
        the weights of the loss, ``previous`` the model a warm start or
        ``partial_fit`` continues (None for a new fit), and ``words`` the
        words of a ``vocabulary`` iterator, read already (else None).  None
        here: only the classifier has a companion (``ngram_range``).
        """
        return None

    def _companion_fit(self, sequences, targets, sample_weight, start, weight):
        """A function that fits the n-gram companion on the training data, or None.

        The settings are checked before it is returned; the companion keeps
        ``weight``, its weight in the blend.  None here: only the classifier
        has a companion (``ngram_range``).
        """
        return None

    def _companion_blend(self, model):
        """The companion's weight in the blend (0 without one), and the blend."""
        return 0.0, "geometric"

    def _n_epochs(self, n_train, n_tokens):
        """``max_iter`` for ``n_train`` training documents ("auto" resolved).

        ``n_tokens`` is the number of tokens an epoch reads.
        """
        if self.max_iter != "auto":
            return int(self.max_iter)
        low, high = AUTO_EPOCHS
        if self.learning_rate != "cosine":
            return high
        # (no step when a hold-out leaves no document, which its split refuses)
        steps = max(1, -(-n_train // int(self.batch_size)))
        # (each document counts as a token at least: empty ones cost a step)
        read = max(1, n_tokens, n_train)
        epochs = max(low, -(-AUTO_MIN_STEPS // steps), -(-AUTO_MIN_TOKENS // read))
        return max(1, min(high, epochs, AUTO_MAX_TOKENS // max(1, n_tokens)))

    def _trained_members(self, ensemble, data, hold_out, epochs, hooks, incremental):
        """Each member trained, and whether a stopping rule ended its training.

        The members train one after another, lazily (the caller stops at an
        interrupted one), or side by side in ``n_jobs`` workers (joblib's
        processes: numpy's many small calls per step hold the GIL too often
        for threads to gain, ``benchmarks/two_cores.py``).  Each member
        trains on its own generator, so both ways give the same members.
        """
        n_workers = self._member_workers(ensemble, data, epochs[0], incremental)
        trained = None
        with worker_processes(n_workers) as n_workers:
            if n_workers > 1:
                # The workers need the training parameters only: not the
                # pre-trained vectors, already in the members' weights, nor
                # the text parameters and the vectorizer, the documents being
                # token ids already (a vocabulary iterator, a tokenizer that
                # holds a lock, cannot be pickled), nor member 0's task the
                # other members.
                worker = type(self)(
                    **{
                        **self.get_params(deep=False),
                        **_text_defaults(type(self)),
                        "embeddings": None,
                        "n_jobs": max(1, effective_n_jobs(self.n_jobs) // n_workers),
                    }
                )
                # (max_nbytes=None: the members' arrays are trained in place,
                # not memory-mapped read-only)
                trained = Parallel(n_jobs=n_workers, max_nbytes=None)(
                    delayed(worker._fit_member)(
                        dataclasses.replace(member, vectorizer=None, members=()),
                        data,
                        hold_out,
                        epochs,
                        None,
                        False,
                    )
                    for member in ensemble
                )
        if trained is not None:
            # Each comes back without the vocabulary, and with a copy of the
            # classes, that the members share.
            for start, (member, stopped) in zip(ensemble, trained, strict=True):
                shared = {"classes": start.classes, "vectorizer": start.vectorizer}
                yield dataclasses.replace(member, **shared), stopped
            return
        for k, member in enumerate(ensemble):
            if self.verbose and len(ensemble) > 1:
                print(f"Member {k + 1} of {len(ensemble)}:")
            yield self._fit_member(member, data, hold_out, epochs, hooks, incremental)

    def _member_workers(self, ensemble, data, max_epochs, incremental):
        """How many workers train the members side by side; 1 trains them in turn.

        Side by side needs an ensemble fitted (not ``partial_fit``) with
        ``n_jobs`` of 2 or more, worker processes (on joblib's threads the
        members would gain nothing and an interrupt would not stop them),
        enough training saved to pay for starting them
        (:data:`MEMBER_WORKERS_MIN_SAVING`), no printed progress (whose lines
        would mix) and no callbacks (which follow the epochs as they end, in
        this process), and a built-in cell and head: another process knows
        only the cells and heads that a module it imports registers.
        """
        n_workers = min(effective_n_jobs(self.n_jobs), len(ensemble))
        if (
            n_workers < 2
            or incremental
            or self.verbose
            or getattr(self, "_skl_callbacks", None)
            or hasattr(self, "_parent_callback_ctx")
            or not processes_can_run(ensemble[0].config)
        ):
            return 1
        rounds_saved = len(ensemble) - math.ceil(len(ensemble) / n_workers)
        saved = rounds_saved * int(data.lengths.sum()) * max_epochs
        if saved < MEMBER_WORKERS_MIN_SAVING:
            return 1
        return n_workers

    def _fit_member(self, start, data, hold_out, epochs, hooks, incremental):
        """Train one member of the ensemble (the only one by default).

        ``epochs`` is the number of epochs to run now and the length of the
        schedule, which differ for ``partial_fit``.  Returns the trained
        member and whether a stopping rule ended its training.  A training
        that diverges is a ValueError that leaves the estimator as it was.
        """
        max_epochs, n_epochs = epochs
        train, validation = data, None
        state = start.training
        if hold_out:
            if state.validation_seed is None:
                state.validation_seed = int(start.rng.integers(np.iinfo(np.int32).max))
            train, validation = self._split_validation(data, state.validation_seed)
        optimizer = start.optimizer
        n_iter, position = state.n_iter, optimizer.schedule_position()
        # A fit runs the whole schedule from its start; partial_fit one epoch
        # of it, after those done, or with max_iter="auto", whose length a
        # stream of calls does not tell, a schedule of its own, of one epoch
        # (benchmarks/partial_fit.py: the rate learning_rate_init throughout
        # undid part of a fit, and learned less from a stream).
        own = incremental and self.max_iter == "auto"
        optimizer.plan_epochs(
            1 if own else n_epochs,
            -(-len(train.y) // int(self.batch_size)),
            restart=own or not incremental,
        )
        weights = start.weights
        try:
            # Overflow to inf or NaN is caught as divergence, with an error
            # that says what to do: numpy's own warnings would only precede it.
            with single_threaded_blas(), np.errstate(over="ignore", invalid="ignore"):
                stopped = fit_epochs(
                    weights,
                    start.optimizer,
                    train,
                    start.config,
                    self._training_settings(),
                    state,
                    start.rng,
                    max_epochs=max_epochs,
                    tol=self.tol,
                    n_iter_no_change=int(self.n_iter_no_change),
                    validation=validation,
                    verbose=self.verbose,
                    on_epoch_begin=hooks and hooks[0],
                    on_epoch_end=hooks and hooks[1],
                )
        except TrainingDivergedError as exc:
            raise ValueError(
                f"Training diverged: {exc} at epoch {state.n_iter + 1}. The "
                f"learning rate (learning_rate_init={self.learning_rate_init}) is "
                "probably too large for this data; lower it, or bound the steps "
                "with clip_value or clip_norm. The estimator was left as it was "
                "before this call."
            ) from exc
        if state.interrupted and state.n_iter == n_iter:
            # Interrupted before an epoch of this call ended: the member is
            # kept as it was, and so is where its schedule had got to (a
            # warm fit restarted it before its first step).
            optimizer.set_schedule_position(position)
        if validation is not None and state.best_params is not None:
            weights = state.best_params
        state.best_params = None
        fitted = dataclasses.replace(
            start, weights=weights, held_out=validation is not None, members=()
        )
        return fitted, stopped

    def _new_training(self, documents, y, classes, dtype, sample_weight, *, words=None):
        """The untrained model of a first fit, and the documents' whole token ids.

        ``words`` are those of a ``vocabulary`` iterator, read already by
        ``_fit`` (else None): the vectorizer learns them, and keeps the
        iterator as its parameter, as the estimator does.

        Member 0 of an ensemble draws from the generator that a single
        network has always had, so that ``n_estimators=1`` trains the same
        network; member ``k`` from one seeded by that generator's seed and
        ``k``.  A head with ``standardize_y`` gets the standardization of
        ``y`` (weighted by ``sample_weight``), which later calls keep.
        """
        classes_, n_outputs, head = self._new_outputs(y, classes)
        scaling = None
        if get_head(head).standardize_y:
            # (y holds the float targets of a head of the "values" kind)
            scaling = TargetScaling.fit(np.reshape(y, (len(y), -1)), sample_weight)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        vectorizer = self._make_vectorizer(words)
        # (its parameters are the estimator's own, validated by fit)
        sequences = vectorizer._fit_transform_whole(documents)
        if words is not None:
            # the caller's iterator, as without a probe: warm_start and
            # skrnn.save compare it with the estimator's by identity
            vectorizer.vocabulary = self.vocabulary
        _check_tokens(vectorizer, sequences)
        vectors = self._pretrained_vectors(vectorizer.vocabulary_)
        members = []
        for k in range(self.n_estimators):
            rng = np.random.default_rng(seed if k == 0 else [seed, k])
            weights, config, coverage = self._init_network(
                vectorizer, n_outputs, head, rng, dtype, vectors
            )
            members.append(
                FittedModel(
                    classes=classes_,
                    vectorizer=vectorizer,
                    config=config,
                    weights=weights,
                    optimizer=build_optimizer(
                        weights,
                        self._optimizer_params(),
                        penalized=penalized_names(config),
                    ),
                    training=TrainingState(),
                    rng=rng,
                    fitted_params=self._fitted_params(),
                    embeddings_coverage=coverage,
                    target_scaling=scaling,
                )
            )
        start = dataclasses.replace(members[0], members=tuple(members[1:]))
        return start, sequences

    def _continued_training(self, previous, documents, incremental):
        """A copy of the fitted model to train on, for warm_start and partial_fit.

        Training works on copies, so that a failed or diverged call leaves the
        estimator as it was.  ``partial_fit`` continues the optimizer, settings
        and all; a warm ``fit`` applies changed optimizer settings with a new
        optimizer.  Every member of an ensemble continues.
        """
        self._check_warm_start_compatible()
        sequences = previous.vectorizer._transform_whole(documents)
        config = dataclasses.replace(
            previous.config,
            dropout=float(self.dropout),
            input_dropout=float(self.input_dropout),
        )
        members = []
        for member in previous.ensemble:
            weights, optimizer, state, rng = member.thaw()
            fitted_params = member.fitted_params
            if not incremental:
                state.restart_stopping()
                # a new optimizer for new settings, or for another optimizer
                # registered under the solver's name since the fit
                registered = OPTIMIZERS.get(self.solver)
                if type(optimizer) is not registered or (
                    self._optimizer_params() != self._optimizer_params(fitted_params)
                ):
                    optimizer = build_optimizer(
                        weights,
                        self._optimizer_params(),
                        penalized=penalized_names(previous.config),
                    )
                    fitted_params = self._fitted_params()
            members.append(
                dataclasses.replace(
                    member,
                    config=config,
                    weights=weights,
                    optimizer=optimizer,
                    training=state,
                    rng=rng,
                    fitted_params=fitted_params,
                    members=(),
                )
            )
        start = dataclasses.replace(members[0], members=tuple(members[1:]))
        return start, sequences

    def _callback_hooks(self, max_epochs, X, y, metadata, model):
        """Epoch hooks for scikit-learn's callbacks (scikit-learn >= 1.9), or None.

        The fit is the root task and every epoch (of every member of an
        ensemble) a sub-task; a callback can evaluate the model as it stands
        at the end of any epoch: ``model()`` is the fitted state being
        trained (the members trained so far and the one in training), and
        the fitted state handed to the callback a copy of it, made only
        when a callback asks for it: ``model()`` waits for an n-gram
        companion that fits beside the network, which would otherwise wait
        for it at the end of every epoch, callbacks or not.  A callback
        that stops an epoch ends the training of its member.  ``metadata``
        holds the ``sample_weight`` given to fit, if any.
        """
        if not hasattr(self, "_init_callback_context"):
            return None
        root = self._init_callback_context(max_subtasks=max_epochs)
        root.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
        epoch = []

        def copy_of(member):
            weights, optimizer, training, rng = member.thaw()
            return dataclasses.replace(
                member,
                weights=weights,
                optimizer=optimizer,
                training=training,
                rng=rng,
                members=(),
            )

        def snapshot(fitted):
            # (fitted: a function that gives the fitted state)
            def copy_of_the_model():
                members = [copy_of(member) for member in fitted().ensemble]
                return {
                    "_fitted": dataclasses.replace(
                        members[0], members=tuple(members[1:])
                    )
                }

            return copy_of_the_model

        def begin():
            epoch[:] = [root.subcontext(task_name="epoch")]
            epoch[0].call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)

        def end():
            return epoch[0].call_on_fit_task_end(
                estimator=self,
                X=X,
                y=y,
                metadata=metadata,
                reconstruction_attributes=snapshot(model),
            )

        def finish(fitted):
            root.call_on_fit_task_end(
                estimator=self,
                X=X,
                y=y,
                metadata=metadata,
                reconstruction_attributes=snapshot(lambda: fitted),
            )

        return begin, end, finish

    def _uses_early_stopping(self, n_samples, min_validation):
        if self.early_stopping == "auto":
            if self.learning_rate == "cosine":
                # The schedule's last epoch is nearly always its best.
                return False
            # ... and the hold-out must have room for ``min_validation``
            # samples (a stratified one, for every class).
            n_validation = math.ceil(self.validation_fraction * n_samples)
            return (
                n_samples >= EARLY_STOPPING_AUTO_MIN_SAMPLES
                and n_validation >= min_validation
            )
        return self.early_stopping

    def _check_dtype(self):
        try:
            dtype = None if self.dtype is None else np.dtype(self.dtype)
        except TypeError:
            dtype = None
        if dtype not in (np.float32, np.float64):
            raise ValueError(
                f"dtype must be numpy.float32 or numpy.float64; got {self.dtype!r}."
            )
        return dtype

    def _init_network(self, vectorizer, n_outputs, head, rng, dtype, vectors):
        """Initial weights and architecture, and the pre-trained coverage or None."""
        config = self._network_config(
            vectorizer.n_vocab_, n_outputs, head, vectors=vectors
        )
        weights = init_params(config, rng, dtype, zero_ids=(PAD_ID, UNK_ID))
        if vectors is None:
            return weights, config, None
        n_found = embedding_table(
            vectors, vectorizer.vocabulary_, weights["embed.E"], (PAD_ID, UNK_ID)
        )
        if n_found == 0 and vectorizer.vocabulary_:
            raise ValueError(
                "No word of the vocabulary has a vector in the embeddings given; "
                "check that they are for this text (and its case)."
            )
        return weights, config, n_found / max(1, len(vectorizer.vocabulary_))

    def _make_vectorizer(self, words=None):
        """An unfitted vectorizer with the estimator's text parameters.

        ``words``, if given, are the words of a ``vocabulary`` iterator,
        read already: the vectorizer's ``vocabulary``.

        A list of ``stop_words`` and a ``vocabulary`` container are copies: the
        fitted vectorizer reads its stop words at every ``transform``, so a
        list that the caller changes in place after ``fit`` changed the tokens
        that ``predict`` read, and the change went unseen by ``warm_start``
        and :func:`skrnn.save`, which compare the parameters with the
        vectorizer's.  A mapping is copied as the dict that fit reads of it,
        an array-like (a pandas Series or Index) as an array, which
        :func:`_same_param` compares with the caller's element by element.
        """
        params = {name: getattr(self, name) for name in _TEXT_PARAMS}
        if words is not None:
            params["vocabulary"] = words
        for name in ("stop_words", "vocabulary"):
            value = params[name]
            if isinstance(value, Mapping):
                params[name] = dict(value)
            elif isinstance(value, (list, set)):
                params[name] = copy.copy(value)
            elif hasattr(value, "__array__"):
                params[name] = np.array(value)
        return SequenceVectorizer(**params)

    def _optimizer_params(self, params=None):
        """The solver and its hyperparameters, of the estimator or of ``params``.

        A warm start with any of them changed starts a new optimizer (from the
        fitted weights), as MLPClassifier does.  A solver unregistered since
        the fit is the solver alone: it differs from any registered one.
        """
        params = self.get_params(deep=False) if params is None else params
        optimizer = OPTIMIZERS.get(params["solver"])
        if optimizer is None:
            return {"solver": params["solver"]}
        found = {name: params[name] for name in optimizer.hyperparameters}
        if "learning_rate" in found:
            found["learning_rate"] = optimizer.schedule_taken(found["learning_rate"])
        return {"solver": params["solver"], **found}

    def _fitted_params(self):
        """The parameters that make the network and the optimizer, now.

        ``dtype`` as the name of the type (``"float32"``), so that the fitted
        state holds builtins only.
        """
        params = {name: getattr(self, name) for name in _ARCHITECTURE_PARAMS}
        params.update(self._optimizer_params())
        params["dtype"] = self._check_dtype().name
        # numpy scalars (from a grid of np.arange, say) as Python ones
        return {
            name: value.item() if isinstance(value, np.generic) else value
            for name, value in params.items()
        }

    def _pretrained_vectors(self, vocabulary):
        """The pre-trained vectors of ``embeddings`` for the vocabulary, or None."""
        if self.embeddings is None:
            return None
        if isinstance(self.embeddings, Mapping):
            vectors = self.embeddings
        else:
            words = set(vocabulary) | {word.lower() for word in vocabulary}
            vectors = load_word_vectors(self.embeddings, vocabulary=words)
            if not vectors:
                raise ValueError(
                    f"No word of the vocabulary has a vector in {self.embeddings!r}."
                )
        width = vectors_width(vectors)
        kinds = {word: np.asarray(vector).dtype for word, vector in vectors.items()}
        bad = [word for word, kind in kinds.items() if kind.kind not in "biuf"]
        if bad:
            raise TypeError(
                "embeddings must map words to vectors of real numbers; got "
                f"{kinds[bad[0]]} vectors for {len(bad)} word(s), e.g. "
                f"{bad[:5]!r}."
            )
        # In the network's dtype: 1e39 is finite in float64, not in float32.
        dtype = np.dtype(self.dtype)
        with np.errstate(over="ignore"):
            bad = [
                word
                for word, vector in vectors.items()
                if not np.isfinite(np.asarray(vector, dtype=dtype)).all()
            ]
        if bad:
            raise ValueError(
                "embeddings hold components that are NaN, infinite or too large "
                f"for {dtype.name} for {len(bad)} word(s), e.g. {bad[:5]!r}; drop "
                "or repair those vectors."
            )
        if self.embedding_dim not in (None, width):
            raise ValueError(
                f"embedding_dim={self.embedding_dim}, but the pre-trained vectors "
                f"have {width} components; set embedding_dim={width} or None."
            )
        return vectors

    def _network_config(self, n_vocab, n_outputs, head, vectors=None):
        # Python scalars, whatever numpy scalars (from a grid of np.arange,
        # say) the parameters hold: the configuration is saved as JSON.
        embedding_dim = (
            self.embedding_dim if vectors is None else vectors_width(vectors)
        )
        return NetworkConfig(
            n_vocab=int(n_vocab),
            n_outputs=int(n_outputs),
            cell=str(self.cell),
            hidden_size=int(self.hidden_size),
            embedding_dim=None if embedding_dim is None else int(embedding_dim),
            num_layers=int(self.num_layers),
            bidirectional=bool(self.bidirectional),
            pooling=str(self.pooling),
            dropout=float(self.dropout),
            input_dropout=float(self.input_dropout),
            head=head,
        )

    def _changed_since_fit(self):
        """The parameters that fixed the network and changed since, by name.

        Each with the value it was fitted with: the architecture parameters,
        compared with those the fitted state records, the text parameters,
        compared with those of ``vectorizer_``, and ``n_estimators``, with
        the number of members.  A warm start
        refuses to continue if any changed, and so does :func:`skrnn.save`.
        """
        model = self._fitted
        text = model.vectorizer.get_params(deep=False)
        fitted = {name: model.fitted_params[name] for name in _ARCHITECTURE_PARAMS}
        fitted.update((name, text[name]) for name in _TEXT_PARAMS)
        # fewer members than n_estimators if fit was interrupted
        fitted["n_estimators"] = len(model.ensemble)
        return {
            name: value
            for name, value in fitted.items()
            if not _same_param(name, getattr(self, name), value)
        }

    def _check_warm_start_compatible(self):
        n_members = len(self._fitted.ensemble)
        if self.n_estimators != n_members:
            raise ValueError(
                f"warm_start and partial_fit continue the {n_members} fitted "
                f"network(s), but n_estimators={self.n_estimators}; set "
                f"n_estimators={n_members}, or {TRAIN_ANEW} ensemble."
            )
        if changed := self._changed_since_fit():
            raise ValueError(
                f"warm_start and partial_fit continue the fitted network, but "
                f"{', '.join(changed)} changed since it was fitted; {TRAIN_ANEW} "
                "one."
            )

    def _training_settings(self):
        # Python ints, as in _network_config: -n of a numpy unsigned integer
        # (np.uint8, from an array of settings) would wrap around.
        return TrainingSettings(
            batch_size=int(self.batch_size),
            shuffle=self.shuffle,
            alpha=self.alpha,
            clip_value=self.clip_value,
            clip_norm=self.clip_norm,
            frozen=frozenset({"embed.E"} if self.freeze_embeddings else ()),
            n_jobs=self.n_jobs,
            adversarial_epsilon=float(self.adversarial_epsilon),
        )

    def _split_validation(self, data, seed):
        """The training part of ``data`` and the part early stopping holds out.

        With ``early_stopping="auto"``, ``(data, None)`` (nothing held out)
        where either part would have only samples of weight 0; with
        ``True``, a ValueError.
        """
        indices = np.arange(len(data.y))
        try:
            train_idx, val_idx = train_test_split(
                indices,
                test_size=self.validation_fraction,
                random_state=seed,
                stratify=self._stratify(data.y),
            )
        except ValueError as exc:
            n_samples = len(indices)
            # train_test_split holds out the ceiling
            if math.ceil(self.validation_fraction * n_samples) >= n_samples:
                remedy = "a smaller validation_fraction"
            else:
                remedy = "a larger validation_fraction"
            raise ValueError(
                f"early_stopping cannot hold out validation_fraction="
                f"{self.validation_fraction} of {n_samples} sample"
                f"{'' if n_samples == 1 else 's'} ({exc}); pass more samples, "
                f"{remedy}, or early_stopping=False."
            ) from exc

        for name, idx in (("validation", val_idx), ("training", train_idx)):
            if not data.sample_weight[idx].any():
                if self.early_stopping == "auto":
                    # nothing to score or to train on: "auto" holds nothing
                    # out for this network, as for too small a hold-out
                    return data, None
                raise ValueError(
                    f"early_stopping held out a {name} part whose samples all "
                    "have weight 0, so it cannot be scored or trained on; give "
                    "fewer samples weight 0, change validation_fraction, or set "
                    "early_stopping=False."
                )

        def subset(idx):
            return Dataset(
                [data.sequences[i] for i in idx], data.y[idx], data.sample_weight[idx]
            )

        return subset(train_idx), subset(val_idx)

    def _check_head_is_kept(self, previous: FittedModel) -> None:
        """Refuse a new fit that would replace ``previous``'s head silently.

        Nothing to refuse here: the classifier's heads-only subclasses
        need it (see :meth:`RNNTextClassifier._check_head_is_kept`).
        """

    def _check_continued_targets(
        self, targets: np.ndarray, sample_weight: np.ndarray, model: FittedModel
    ) -> None:
        """Warn about the targets of a fit that continues ``model``.

        Nothing to warn about here: the regressor's standardized targets
        need it (see :meth:`RNNTextRegressor._check_continued_targets`).
        """

    def _model(self) -> FittedModel:
        """The fitted state, read once: a concurrent refit replaces it whole."""
        check_is_fitted(self)
        model = self._fitted
        name = model.config.head
        kind = get_head(name).kind  # a ValueError if it was unregistered since
        if kind not in self._head_kinds:
            raise ValueError(
                f"This model's head {name!r:.60} is now registered as a head of "
                f"the {kind!r} kind, which {type(self).__name__} does not predict "
                "with: was another head registered under that name since the "
                "model was made? Register the head it was made with."
            )
        for member in model.ensemble:
            check_params(member.weights, model.config)
        return model

    def _predictor(self, model: FittedModel) -> Predictor:
        """What predicting text reads of the fitted ``model``, blended as now set."""
        weight, blend = self._companion_blend(model)
        return Predictor(
            vectorizer=model.vectorizer,
            members=tuple(member.weights for member in model.ensemble),
            config=model.config,
            ngrams=model.ngrams,
            ngram_weight=weight,
            ngram_blend=blend,
            key=(model_key(model), weight, blend),
        )

    def _logits(self, X, model=None):
        """The network's outputs for the documents, as float64 whatever ``dtype``.

        An ensemble's are the logits of its members' mean output (see
        :func:`~skrnn._prediction.mean_output_logits`), blended with the
        n-gram companion's when there is one (see
        :func:`~skrnn._prediction.blended_logits`).  The documents are read
        in equal chunks of :data:`~skrnn._prediction.PREDICT_CHUNK` at most
        (:func:`~skrnn._prediction.text_chunks`), in worker processes when
        :meth:`_prediction_workers` says so.  From
        ``verbose=2``, a prediction that runs longer than ``PROGRESS_DELAY``
        (two) seconds shows its progress.
        """
        model = self._model() if model is None else model
        texts = check_text(X)
        predictor = self._predictor(model)
        chunks = text_chunks(texts)
        n_members = len(predictor.members)
        on_batch, close = None, None
        if self.verbose >= 2:
            on_batch, close = progress(
                "Predicting",
                len(texts) * n_members,
                unit="documents",
                delay=PROGRESS_DELAY,
            )
        try:
            n_workers = self._prediction_workers(
                predictor.config, chunks, predictor.vectorizer
            )
            with worker_processes(n_workers) as n_workers:
                parts = self._chunk_logits(predictor, chunks, n_workers, on_batch)
        finally:
            if close is not None:
                close()
        logits = parts[0] if len(parts) == 1 else np.concatenate(parts)
        # float64 as scikit-learn's estimators give on text (a TF-IDF and
        # LogisticRegression pipeline): the cast of float32 outputs is exact.
        return model.to_targets(logits.astype(np.float64, copy=False))

    def _chunk_logits(self, predictor, chunks, n_workers, on_batch):
        """Each chunk's logits, in ``n_workers`` processes or, for 1, here.

        The workers' chunks come back as they finish, where joblib's backend
        can give them so (its multiprocessing backend cannot: all at the end).
        """
        n_members = len(predictor.members)
        if n_workers < 2:
            parts = []
            for chunk in chunks:
                with two_processes(predictor, len(chunk), self.n_jobs) as processes:
                    parts.append(
                        text_logits(predictor, chunk, self.n_jobs, on_batch, processes)
                    )
            return parts
        backend, _ = get_active_backend()
        return_as = "generator" if backend.supports_return_generator else "list"
        parts = []
        for part in Parallel(n_jobs=n_workers, max_nbytes=None, return_as=return_as)(
            delayed(text_logits)(predictor, chunk) for chunk in chunks
        ):
            parts.append(part)
            if on_batch is not None:
                on_batch(len(part) * n_members)
        return parts

    def _prediction_workers(self, config, chunks, vectorizer=None):
        """How many worker processes predict the chunks; 1 predicts them here.

        Workers need ``n_jobs`` of 3 or more (with 2, each chunk runs on this
        process and the worker process that keeps the model, as any call of
        enough documents: :mod:`skrnn._prediction_workers`), two chunks or
        more, text enough to pay for them
        (:data:`~skrnn._prediction.PREDICT_WORKERS_MIN_CHARACTERS`),
        joblib's processes (not its threads, as inside a parallel search), a
        built-in cell and head, which every process knows, and text functions
        of the ``vectorizer`` (a ``tokenizer``, a ``preprocessor``...) that
        can be sent to them.  Either way the chunks are the same, and so are
        the outputs.
        """
        n_jobs = effective_n_jobs(self.n_jobs)
        n_workers = min(n_jobs, len(chunks))
        if n_jobs < 3 or n_workers < 2 or not processes_can_run(config):
            return 1
        n_characters = sum(len(text) for chunk in chunks for text in chunk)
        if n_characters < _prediction.PREDICT_WORKERS_MIN_CHARACTERS:
            return 1
        if vectorizer is not None and not _sendable_to_workers(vectorizer):
            return 1
        return n_workers

    def __sklearn_is_fitted__(self) -> bool:
        return "_fitted" in self.__dict__

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        # scikit-learn's repr writes out every value of a mapping parameter
        # (several times) before it cuts the text to N_CHAR_MAX: embeddings
        # given as a dict of 3,000 vectors took 3.5 s, GloVe's 400,000
        # minutes, and so did a notebook's display of the estimator.  A
        # stand-in shows the first items of a long mapping, as reprlib does.
        params = self.get_params(deep=False)
        long = {
            name: _ShortMapping(value)
            for name, value in params.items()
            if isinstance(value, Mapping) and len(value) > _ShortMapping.SHOWN
        }
        if not long:
            return super().__repr__(N_CHAR_MAX)
        stand_in = object.__new__(type(self))
        vars(stand_in).update(vars(self), **long)
        return BaseEstimator.__repr__(stand_in, N_CHAR_MAX)

    def __getstate__(self):
        state = super().__getstate__()
        if "_fitted" in state:
            state["_fitted"] = state["_fitted"].to_dict()
        return state

    def __setstate__(self, state):
        state = dict(state)
        state.setdefault("n_estimators", 1)  # pickled before ensembles
        if "_fitted" in state:
            state["_fitted"] = FittedModel.from_dict(state["_fitted"])
        super().__setstate__(state)

    # ------------------------------------------------------- fitted attributes

    vectorizer_ = _FittedAttribute(lambda model: model.vectorizer)
    weights_ = _FittedAttribute(lambda model: model.weights)
    estimators_weights_ = _FittedAttribute(
        lambda model: [member.weights for member in model.ensemble]
    )
    n_iter_ = _FittedAttribute(lambda model: model.training.n_iter)
    t_ = _FittedAttribute(lambda model: model.training.t)
    loss_curve_ = _FittedAttribute(lambda model: model.training.loss_curve)
    best_loss_ = _FittedAttribute(
        lambda model: None if model.held_out else model.training.best_loss
    )
    validation_scores_ = _FittedAttribute(
        lambda model: model.training.validation_scores if model.held_out else None
    )
    best_validation_score_ = _FittedAttribute(
        lambda model: model.training.best_validation_score if model.held_out else None
    )
    embeddings_coverage_ = _FittedAttribute(
        lambda model: model.embeddings_coverage, optional=True
    )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags
