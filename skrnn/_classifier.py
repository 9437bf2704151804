"""RNNTextClassifier: a recurrent network over raw text, for scikit-learn."""

import dataclasses
import math
import os
import warnings
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import assert_all_finite, check_random_state, column_or_1d
from sklearn.utils._param_validation import (
    Hidden,
    Interval,
    Options,
    StrOptions,
)
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
)

from ._embeddings import embedding_table, load_word_vectors, vectors_width
from ._explain import Explanation, explain_document, staged_predict_proba
from ._fitted import FittedModel
from ._optimizers import LR_SCHEDULES, OPTIMIZERS, build_optimizer
from ._prediction import predict_logits
from ._progress import PROGRESS_DELAY, progress
from ._text import DEFAULT_TOKEN_PATTERN, PAD_ID, UNK_ID, SequenceVectorizer, check_text
from ._threads import single_threaded_blas
from ._training import (
    Dataset,
    TrainingDivergedError,
    TrainingSettings,
    TrainingState,
    fit_epochs,
)
from ._versioning import VersionedPickleMixin
from .nn import CELLS, POOLINGS, NetworkConfig, init_params, penalized_names
from .nn._functional import log_softmax, softmax

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


def _check_classes(classes) -> np.ndarray:
    """The sorted unique classes of ``partial_fit``'s ``classes`` argument."""
    try:
        classes = column_or_1d(classes)
    except ValueError as exc:
        raise ValueError(
            f"classes must be a 1-D array-like of class labels; got {classes!r}."
        ) from exc
    assert_all_finite(classes, input_name="classes")
    try:
        check_classification_targets(classes)
    except ValueError as exc:
        raise ValueError(f"classes: {exc}") from exc
    return np.unique(classes)


def _check_tokens(vectorizer: SequenceVectorizer, sequences) -> None:
    """Refuse training documents without tokens; warn of an empty vocabulary."""
    if not any(len(sequence) for sequence in sequences):
        raise ValueError(
            "The training documents hold no tokens once tokenized: there is "
            "nothing to learn from. Check the text parameters (analyzer, "
            "token_pattern, tokenizer, preprocessor, stop_words)."
        )
    if not vectorizer.vocabulary_:
        warnings.warn(
            "The learned vocabulary is empty (stop_words, min_df and max_df "
            "left no word): every word maps to the unknown-word id, and the "
            "model can only learn from the lengths of the documents.",
            UserWarning,
            stacklevel=6,
        )


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


class RNNTextClassifier(
    VersionedPickleMixin, CallbackSupportMixin, ClassifierMixin, BaseEstimator
):
    """Recurrent neural network classifier of raw text.

    The network reads a document one token at a time.  With ``cell="rnn"``
    and ``pooling="last"`` it is the Elman (1990) network of the seed post::

        h_t = tanh(x_t @ W_xh + h_{t-1} @ W_hh + b_h)
        y = h_n @ W_hy + b_y,   p = softmax(y)

    By default the cell is a GRU, and the element-wise maximum of its states
    ``h_1..h_n`` is fed to the output layer instead of ``h_n``.  The network
    is trained by minimising the cross-entropy with backpropagation through
    time, over minibatches of padded, length-bucketed documents.  Text goes
    straight in: a :class:`SequenceVectorizer` learns the
    vocabulary in ``fit`` and turns every document into token ids.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"} or a registered name, default="gru"
        Recurrent cell: the tanh RNN above, the LSTM (gates i, f, o, g,
        forget bias 1) or the GRU (gates r, z, n as in cuDNN); any cell
        added with :func:`skrnn.nn.register_cell`.
    hidden_size : int, default=64
        Width of the hidden state of each direction of each layer.
    embedding_dim : int or None, default=64
        Width of the learned word embedding.  None feeds one-hot token
        vectors to the first layer, as the seed post does; skrnn never
        builds them but gathers the rows of ``W_xh`` instead.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    bidirectional : bool, default=False
        Whether each layer also reads every document backwards, from its last
        token to its first.
    pooling : {"last", "mean", "max"}, default="max"
        How the hidden states become the vector fed to the output layer: the
        state after the last token (``h_n``, the seed's), or the mean or the
        element-wise maximum over the document's tokens.  ``"max"`` finds a
        signal anywhere in a long document, where the last state of a
        one-directional network forgets the start.
    dropout : float, default=0.2
        Inverted-dropout rate between recurrent layers and before the output
        layer, applied while training only.
    input_dropout : float, default=0.5
        Inverted-dropout rate on the embedded words fed to the first layer:
        each unit of each position's embedding, while training only.  Not
        used with one-hot inputs (``embedding_dim=None`` without
        ``embeddings``).
    embeddings : dict, str, path-like or None, default=None
        Pre-trained word vectors that initialise the embedding table: a dict
        from word to vector, or the path of a word2vec or GloVe text file
        (see :func:`load_word_vectors`).  Words without a vector start at
        random values of the same scale; padding and unknown words at 0.
        The table's width is the vectors' length, so ``embedding_dim`` must
        be None or equal to it.
    freeze_embeddings : bool, default=False
        Keep the whole embedding table fixed during training.  With one-hot
        inputs there is no table: a warning says it has no effect.
    lowercase, preprocessor, tokenizer, token_pattern, analyzer, \
strip_accents, stop_words, min_df, max_df, max_features, vocabulary, \
max_length, truncating : see SequenceVectorizer
        Passed to the :class:`SequenceVectorizer` that turns text into token
        ids; see there.  They mean what they mean in
        :class:`~sklearn.feature_extraction.text.CountVectorizer`, except
        that the default ``token_pattern`` keeps one-letter words and splits
        punctuation into tokens of its own, and that ``analyzer="char"``
        reads characters one at a time (for text without spaces between
        words).  Documents longer than ``max_length`` tokens keep their
        first ``max_length`` tokens (``truncating="post"``) or their last
        (``"pre"``).
    solver : {"adam", "adamw", "sgd"}, default="adam"
        The optimizer: "adam" and "sgd" as in
        :class:`~sklearn.neural_network.MLPClassifier`; "adamw" is Adam with
        decoupled weight decay (Loshchilov and Hutter, 2019), its decay set
        by ``alpha``.
    learning_rate_init : float, default=0.005
        Initial learning rate.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Learning-rate schedule of the "sgd" solver, as in ``MLPClassifier``.
    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.
    momentum : float, default=0.9
        Momentum of the "sgd" solver.
    nesterovs_momentum : bool, default=True
        Whether the "sgd" solver uses Nesterov's momentum.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the moment estimates of "adam" and "adamw".
    epsilon : float, default=1e-8
        Numerical-stability term of "adam" and "adamw"; it must not round to
        0 in ``dtype``.
    alpha : float, default=0.0
        L2 penalty on the weight matrices, scaled as in ``MLPClassifier``.
        Biases and the lookup tables (the embedding, or the one-hot first
        layer's ``W_xh``) are not penalised.  With ``solver="adamw"`` it is
        instead the decoupled weight decay: each step multiplies the same
        weights by ``1 - learning_rate_init * alpha``, and the loss carries
        no penalty (``loss_curve_`` is the cross-entropy alone).
    clip_value : float or None, default=1.0
        Clip every gradient entry to ``[-clip_value, clip_value]`` before the
        update (the seed's ``np.clip(d, -1, 1)``); None turns it off.
    clip_norm : float or None, default=None
        Rescale the gradients when their global L2 norm exceeds this.
    batch_size : int, default=32
        Documents per minibatch.
    max_iter : int, default=200
        Maximum number of epochs.
    shuffle : bool, default=True
        Whether to shuffle the documents (in length buckets) every epoch.
    tol : float, default=1e-4
        Minimum improvement of the training loss (or validation score with
        early stopping) that counts as progress.
    n_iter_no_change : int, default=5
        Training stops once more than ``n_iter_no_change`` consecutive epochs
        have made no progress (the rule of
        :class:`~sklearn.neural_network.MLPClassifier`): with the default 5,
        after the sixth such epoch.
    early_stopping : "auto" or bool, default="auto"
        Hold out ``validation_fraction`` of the training data (stratified,
        unless a class has a single sample: a warning then says so),
        stop when its accuracy stops improving, and keep the weights of the
        best epoch.  "auto", as in
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`, turns it on
        when there are at least 1000 training documents (then a held-out tenth
        is a reliable judge and epochs are costly) and off below, where the
        training loss decides; also off when the hold-out would have fewer
        documents than there are classes.  The held-out accuracy is weighted
        by the sample and class weights, and a warm start holds out the same
        documents as the first fit.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into the sample weights, as in
        :func:`sklearn.utils.class_weight.compute_sample_weight`.
    warm_start : bool, default=False
        Continue from the fitted weights, vocabulary and optimizer state when
        ``fit`` is called again.  The network's shape and the text parameters
        must then be those it was fitted with (changing one raises an error);
        the training parameters, ``dropout`` and ``input_dropout`` included,
        apply from the next call on, changed optimizer settings (``solver``,
        ``learning_rate_init``, ...) with a new optimizer.  ``embeddings``
        only initialises a new network.
    n_jobs : int, default=None
        Number of threads that compute the gradients of a minibatch and the
        predictions.  A minibatch of more than 64 documents is split into
        shards of at most 64, whose gradients the threads compute side by side
        (numpy releases the GIL in its products and loops); prediction batches
        are shared out in the same way.  The shards do not depend on
        ``n_jobs``, so neither does the model.  ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means all processors.
        Each thread's BLAS runs single-threaded, so this is the way to use a
        second core.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the validation split, the shuffling and
        dropout.  An int gives the same model for the same data, bit for bit.
    verbose : int, default=0
        Print one line per epoch (epoch, training loss and accuracy,
        validation accuracy, seconds) when positive, and a progress bar
        (tqdm's when installed) within a first epoch that runs longer than
        two seconds; from 2, a progress bar within every epoch, and within
        predictions that run longer than two seconds.  The bars are erased
        when done.
    dtype : {numpy.float32, numpy.float64}, default=numpy.float32
        Floating point type of the weights and computations.  What
        ``predict_proba``, ``predict_log_proba`` and ``decision_function``
        return is float64 either way, as a pipeline of scikit-learn's
        ``TfidfVectorizer`` and ``LogisticRegression`` returns.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    vectorizer_ : SequenceVectorizer
        The fitted vectorizer.
    weights_ : dict of str to ndarray
        The network's weights by name: ``embed.E``,
        ``layer{l}.{fwd,bwd}.{W_xh,W_hh,b_h}`` (and ``b_hn`` for the GRU),
        ``head.W_hy``, ``head.b_y``.  Matrices act on row vectors, so
        ``W_xh`` is the seed's ``Wxh`` transposed.
    n_iter_ : int
        Number of epochs run.
    t_ : int
        Number of training samples seen.
    loss_curve_ : list of float
        Mean training loss of every epoch.
    best_loss_ : float or None
        Lowest training loss (None with early stopping).
    validation_scores_ : list of float or None
        Validation accuracy of every epoch (None without early stopping).
    best_validation_score_ : float or None
        Best validation accuracy (None without early stopping).
    embeddings_coverage_ : float
        Share of the vocabulary that found a pre-trained vector (only when
        ``embeddings`` is given).

    See Also
    --------
    SequenceVectorizer : The text-to-token-ids transformer used inside.
    sklearn.neural_network.MLPClassifier : The feed-forward network whose
        training parameters this estimator shares.

    Examples
    --------
    >>> from skrnn import RNNTextClassifier
    >>> X = ["i am good", "i am bad", "this is good", "this is bad"] * 5
    >>> y = ["pos", "neg", "pos", "neg"] * 5
    >>> clf = RNNTextClassifier(random_state=0).fit(X, y)
    >>> clf.predict(["good", "bad"]).tolist()
    ['pos', 'neg']
    """

    _parameter_constraints: ClassVar[dict] = {
        "cell": [StrOptions(CELLS.keys())],  # a live view: registered cells too
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
        "solver": [StrOptions(set(OPTIMIZERS))],
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
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "warm_start": ["boolean"],
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
        max_length=None,
        truncating="post",
        solver="adam",
        learning_rate_init=0.005,
        learning_rate="constant",
        power_t=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha=0.0,
        clip_value=1.0,
        clip_norm=None,
        batch_size=32,
        max_iter=200,
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=5,
        early_stopping="auto",
        validation_fraction=0.1,
        class_weight=None,
        warm_start=False,
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
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype

    # ------------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: Iterable[str],
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> "RNNTextClassifier":
        """Learn the vocabulary and train the network on raw text.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents: a list, 1-D array or pandas Series of strings, or a
            single column of them (a one-column DataFrame, an array of shape
            (n_samples, 1), such as a ColumnTransformer passes on).
        y : array-like of shape (n_samples,)
            Class labels: numbers, booleans or strings, all of one kind, as for
            scikit-learn's classifiers; two classes or more.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the documents in the loss; None weighs them all 1.

        Returns
        -------
        self : RNNTextClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X: Iterable[str],
        y: ArrayLike,
        classes: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> "RNNTextClassifier":
        """Train for one epoch on a chunk of documents.

        The first call fixes the classes (``classes`` is then required) and
        the vocabulary: pass ``vocabulary=`` to the estimator to fix it in
        advance, otherwise it is learned from the first chunk and words first
        seen in later chunks are unknown words.  Later calls continue the
        optimizer of the first, its settings included, as
        :class:`~sklearn.neural_network.MLPClassifier`'s ``partial_fit``
        does; a ``fit`` with ``warm_start=True`` applies changed optimizer
        settings with a new optimizer.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All the classes that any call will see; required on the first
            call, and equal to those of the first call if given again.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the documents in the loss.

        Returns
        -------
        self : RNNTextClassifier
            The updated estimator.
        """
        if self.early_stopping is True:
            raise ValueError(
                "partial_fit does not support early_stopping=True, as in "
                "MLPClassifier: there is no held-out set across chunks. Set "
                "early_stopping=False, or score held-out data yourself."
            )
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: "
                "the class frequencies of later chunks are unknown. Pass a "
                "dict of class weights instead."
            )
        if classes is not None:
            classes = _check_classes(classes)
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "every class that any call will see, e.g. classes=[0, 1]."
                )
        elif classes is not None and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"classes={classes.tolist()!r} is not the same as on the first "
                f"call to partial_fit, {self.classes_.tolist()!r}."
            )
        return self._fit(
            X, y, sample_weight=sample_weight, incremental=True, classes=classes
        )

    def _fit(self, X, y, *, sample_weight, incremental, classes=None):
        documents = check_text(X, allow_empty=False)
        y = column_or_1d(y, warn=True)
        assert_all_finite(y, input_name="y")
        check_consistent_length(documents, y)
        check_classification_targets(y)
        dtype = self._check_dtype()
        previous = self.__dict__.get("_fitted")
        if previous is None or not (incremental or self.warm_start):
            start, sequences = self._new_training(documents, y, classes, dtype)
        else:
            start, sequences = self._continued_training(
                previous, documents, incremental
            )
        classes_ = start.classes
        unseen = np.setdiff1d(y, classes_)
        if len(unseen):
            raise ValueError(
                f"y holds labels that are not among the classes: {unseen.tolist()!r}; "
                f"the classes are {classes_.tolist()!r}."
            )
        y_index = np.searchsorted(classes_, y)
        # The callbacks score with the caller's weights, as scikit-learn's own
        # estimators give them: without class_weight.
        metadata = None if sample_weight is None else {}
        sample_weight = _check_sample_weight(
            sample_weight, documents, dtype=dtype, ensure_non_negative=True
        )
        if metadata is not None:
            metadata["sample_weight"] = sample_weight
        if self.class_weight is not None:
            sample_weight = sample_weight * self._class_weights(y, dtype)
            if not sample_weight.any():
                raise ValueError(
                    "Every sample has weight 0 once multiplied by class_weight="
                    f"{self.class_weight!r}: there is nothing to train on."
                )
        with np.errstate(over="ignore"):
            total_weight = sample_weight.sum()
        if not np.isfinite(total_weight):
            raise ValueError(
                f"The sample weights sum to more than {dtype.name} can hold; "
                "scale them down, or pass dtype=numpy.float64."
            )
        if self.freeze_embeddings and start.config.one_hot:
            warnings.warn(
                "freeze_embeddings=True has no effect: with embedding_dim=None "
                "and no embeddings, the network reads one-hot words and has "
                "no embedding table to freeze.",
                UserWarning,
                stacklevel=4,
            )
        train = Dataset(sequences, y_index, sample_weight)
        validation = None
        state = start.training
        n_classes_seen = int(np.count_nonzero(np.bincount(y_index)))
        if (
            self._uses_early_stopping(len(documents), n_classes_seen)
            and not incremental
        ):
            if state.validation_seed is None:
                state.validation_seed = int(start.rng.integers(np.iinfo(np.int32).max))
            train, validation = self._split_validation(train, state.validation_seed)
        max_epochs = 1 if incremental else self.max_iter
        hooks = self._callback_hooks(max_epochs, documents, y, metadata, start)
        weights = start.weights
        try:
            with single_threaded_blas():
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
                    n_iter_no_change=self.n_iter_no_change,
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
        if validation is not None and state.best_params is not None:
            weights = state.best_params
        state.best_params = None
        fitted = dataclasses.replace(
            start, weights=weights, held_out=validation is not None
        )
        if hooks:
            hooks[2](fitted)
        if state.interrupted:
            state.interrupted = False
            warnings.warn(
                "Training interrupted by user: the estimator keeps the weights "
                f"of the last completed epoch (n_iter_={state.n_iter}).",
                stacklevel=4,
            )
        elif not (incremental or stopped):
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )
        # One assignment: a concurrent reader sees the old model or this one.
        self._fitted = fitted
        return self

    def _new_training(self, documents, y, classes, dtype):
        """The untrained model of a first fit, and the documents' token ids."""
        classes_ = np.unique(y) if classes is None else classes
        if len(classes_) < 2:
            n_samples = len(documents)
            raise ValueError(
                "RNNTextClassifier needs samples of at least 2 classes; got "
                f"only {classes_.tolist()!r} in {n_samples} "
                f"{'sample' if n_samples == 1 else 'samples'}."
            )
        rng = np.random.default_rng(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )
        vectorizer = self._make_vectorizer()
        sequences = vectorizer.fit_transform(documents)
        _check_tokens(vectorizer, sequences)
        weights, config, coverage = self._init_network(
            vectorizer, len(classes_), rng, dtype
        )
        start = FittedModel(
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
        )
        return start, sequences

    def _continued_training(self, previous, documents, incremental):
        """A copy of the fitted model to train on, for warm_start and partial_fit.

        Training works on copies, so that a failed or diverged call leaves the
        estimator as it was.  ``partial_fit`` continues the optimizer, settings
        and all; a warm ``fit`` applies changed optimizer settings with a new
        optimizer.
        """
        self._check_warm_start_compatible()
        sequences = previous.vectorizer.transform(documents)
        weights, optimizer, state, rng = previous.thaw()
        fitted_params = previous.fitted_params
        if not incremental:
            state.restart_stopping()
            if self._optimizer_params() != self._optimizer_params(fitted_params):
                optimizer = build_optimizer(
                    weights,
                    self._optimizer_params(),
                    penalized=penalized_names(previous.config),
                )
                fitted_params = self._fitted_params()
        config = dataclasses.replace(
            previous.config,
            dropout=float(self.dropout),
            input_dropout=float(self.input_dropout),
        )
        start = dataclasses.replace(
            previous,
            config=config,
            weights=weights,
            optimizer=optimizer,
            training=state,
            rng=rng,
            fitted_params=fitted_params,
        )
        return start, sequences

    def _callback_hooks(self, max_epochs, X, y, metadata, model):
        """Epoch hooks for scikit-learn's callbacks (scikit-learn >= 1.9), or None.

        The fit is the root task and every epoch a sub-task; a callback can
        evaluate the model as it stands at the end of any epoch: ``model`` is
        the fitted state being trained, and the fitted state handed to the
        callback a copy of it.  ``metadata`` holds the ``sample_weight`` given
        to fit, if any.
        """
        if not hasattr(self, "_init_callback_context"):
            return None
        root = self._init_callback_context(max_subtasks=max_epochs)
        root.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
        epoch = []

        def snapshot(fitted):
            def copy_of_the_model():
                weights, optimizer, training, rng = fitted.thaw()
                return {
                    "_fitted": dataclasses.replace(
                        fitted,
                        weights=weights,
                        optimizer=optimizer,
                        training=training,
                        rng=rng,
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
                reconstruction_attributes=snapshot(fitted),
            )

        return begin, end, finish

    def _uses_early_stopping(self, n_samples, n_classes):
        if self.early_stopping == "auto":
            # ... and a stratified hold-out must have room for every class.
            n_validation = math.ceil(self.validation_fraction * n_samples)
            return (
                n_samples >= EARLY_STOPPING_AUTO_MIN_SAMPLES
                and n_validation >= n_classes
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

    def _init_network(self, vectorizer, n_classes, rng, dtype):
        """Initial weights and architecture, and the pre-trained coverage or None."""
        vectors = self._pretrained_vectors(vectorizer.vocabulary_)
        config = self._network_config(vectorizer.n_vocab_, n_classes, vectors=vectors)
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

    def _make_vectorizer(self):
        """An unfitted vectorizer with the estimator's text parameters."""
        return SequenceVectorizer(
            **{name: getattr(self, name) for name in _TEXT_PARAMS}
        )

    def _optimizer_params(self, params=None):
        """The solver and its hyperparameters, of the estimator or of ``params``.

        A warm start with any of them changed starts a new optimizer (from the
        fitted weights), as MLPClassifier does.
        """
        params = self.get_params(deep=False) if params is None else params
        names = OPTIMIZERS[params["solver"]].hyperparameters
        return {"solver": params["solver"], **{name: params[name] for name in names}}

    def _fitted_params(self):
        """The parameters that make the network and the optimizer, now.

        ``dtype`` as the name of the type (``"float32"``), so that the fitted
        state holds builtins only.
        """
        params = {name: getattr(self, name) for name in _ARCHITECTURE_PARAMS}
        params.update(self._optimizer_params())
        params["dtype"] = self._check_dtype().name
        return params

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
        bad = [
            word for word, vector in vectors.items() if not np.isfinite(vector).all()
        ]
        if bad:
            raise ValueError(
                f"embeddings hold NaN or infinite components for {len(bad)} "
                f"word(s), e.g. {bad[:5]!r}; drop or repair those vectors."
            )
        if self.embedding_dim not in (None, width):
            raise ValueError(
                f"embedding_dim={self.embedding_dim}, but the pre-trained vectors "
                f"have {width} components; set embedding_dim={width} or None."
            )
        return vectors

    def _network_config(self, n_vocab, n_classes, vectors=None):
        # Python scalars, whatever numpy scalars (from a grid of np.arange,
        # say) the parameters hold: the configuration is saved as JSON.
        embedding_dim = (
            self.embedding_dim if vectors is None else vectors_width(vectors)
        )
        return NetworkConfig(
            n_vocab=int(n_vocab),
            n_classes=int(n_classes),
            cell=str(self.cell),
            hidden_size=int(self.hidden_size),
            embedding_dim=None if embedding_dim is None else int(embedding_dim),
            num_layers=int(self.num_layers),
            bidirectional=bool(self.bidirectional),
            pooling=str(self.pooling),
            dropout=float(self.dropout),
            input_dropout=float(self.input_dropout),
        )

    def _changed_since_fit(self):
        """The parameters that fixed the network and changed since, by name.

        Each with the value it was fitted with: the architecture parameters,
        compared with those the fitted state records, and the text
        parameters, compared with those of ``vectorizer_``.  A warm start
        refuses to continue if any changed, and so does :func:`skrnn.save`.
        """
        model = self._fitted
        text = model.vectorizer.get_params(deep=False)
        fitted = {name: model.fitted_params[name] for name in _ARCHITECTURE_PARAMS}
        fitted.update((name, text[name]) for name in _TEXT_PARAMS)
        return {
            name: value
            for name, value in fitted.items()
            if not _same_param(name, getattr(self, name), value)
        }

    def _check_warm_start_compatible(self):
        if changed := self._changed_since_fit():
            raise ValueError(
                f"warm_start and partial_fit continue the fitted network, but "
                f"{', '.join(changed)} changed since it was fitted; set "
                "warm_start=False to train a new one."
            )

    def _class_weights(self, y, dtype):
        """The weight of each sample's class, checked like sample weights."""
        weights = compute_sample_weight(self.class_weight, y)
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError(
                "class_weight must give every class a finite, non-negative "
                f"weight; got {self.class_weight!r}."
            )
        return weights.astype(dtype)

    def _training_settings(self):
        return TrainingSettings(
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            alpha=self.alpha,
            clip_value=self.clip_value,
            clip_norm=self.clip_norm,
            frozen=frozenset({"embed.E"} if self.freeze_embeddings else ()),
            n_jobs=self.n_jobs,
        )

    def _split_validation(self, data, seed):
        indices = np.arange(len(data.y))
        counts = np.bincount(data.y)
        stratify = data.y
        if counts[counts > 0].min() < 2:
            stratify = None
            warnings.warn(
                "early_stopping holds out a validation part that is not "
                "stratified: some class has a single training sample, which "
                "either the training part or the validation part will lack.",
                UserWarning,
                stacklevel=5,
            )
        try:
            train_idx, val_idx = train_test_split(
                indices,
                test_size=self.validation_fraction,
                random_state=seed,
                stratify=stratify,
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping cannot hold out validation_fraction="
                f"{self.validation_fraction} of {len(indices)} samples ({exc}); "
                "pass more samples, a larger validation_fraction, or "
                "early_stopping=False."
            ) from exc

        for name, idx in (("validation", val_idx), ("training", train_idx)):
            if not data.sample_weight[idx].any():
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

    # --------------------------------------------------------------- predicting

    def decision_function(self, X: Iterable[str]) -> np.ndarray:
        """Logits of the output layer for each document.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents.

        Returns
        -------
        ndarray of float64 of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the logit of ``classes_[1]`` minus that of
            ``classes_[0]``; otherwise one logit per class.
        """
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X: Iterable[str]) -> np.ndarray:
        """Class probabilities of each document.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents.

        Returns
        -------
        ndarray of float64 of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; rows sum to one.
        """
        return softmax(self._logits(X))

    def predict_log_proba(self, X: Iterable[str]) -> np.ndarray:
        """Logarithm of the class probabilities of each document.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents.

        Returns
        -------
        ndarray of float64 of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``, computed stably.
        """
        return log_softmax(self._logits(X))

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """Most probable class of each document.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        model = self._model()
        return model.classes[self._logits(X, model).argmax(axis=1)]

    # ------------------------------------------------------------- explaining

    def staged_predict_proba(self, X: Iterable[str]) -> list[np.ndarray]:
        """Class probabilities after each token of each document.

        The belief of the network as it reads: row ``t`` of a document's array
        is ``predict_proba`` of the document's first ``t + 1`` tokens, so the
        last row is ``predict_proba`` of the whole document.  Unlike the
        ``staged_*`` methods of boosting, the stages are the tokens of each
        document, so one array is returned per document.

        A unidirectional network reads all the prefixes in one pass: with
        ``pooling="last"`` row ``t`` is the output layer applied to ``h_t``,
        with ``"mean"`` and ``"max"`` to the running mean and the running
        maximum of ``h_1..h_t``, which is what pooling the prefix gives.  The
        backward direction of a bidirectional network reads each prefix from
        its own end, so every prefix is run through the network, in batches: a
        document of ``n`` tokens then costs ``n (n + 1) / 2`` token steps
        instead of ``n``.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents.

        Returns
        -------
        list of ndarray of shape (n_tokens, n_classes)
            One array per document, columns in the order of ``classes_``.
            ``n_tokens`` counts the tokens the network reads (after stop words
            and ``max_length`` truncation); a document without tokens gives
            an array of shape (0, n_classes).

        See Also
        --------
        explain : The staged probabilities of one document, with the
            importance of each of its tokens.

        Examples
        --------
        >>> from skrnn import RNNTextClassifier
        >>> X = ["i am good", "i am bad", "this is good", "this is bad"] * 5
        >>> y = ["pos", "neg", "pos", "neg"] * 5
        >>> clf = RNNTextClassifier(random_state=0).fit(X, y)
        >>> [p.shape for p in clf.staged_predict_proba(["this is good", ""])]
        [(3, 2), (0, 2)]
        """
        return staged_predict_proba(self, X)

    def explain(self, text: str, *, method: str = "occlusion") -> Explanation:
        """Explain the prediction of one document, token by token.

        Two views of the prediction: the class probabilities after each
        token (see :meth:`staged_predict_proba`), and the importance of each
        token by leave-one-out occlusion: the attribution of token ``i`` is
        ``p(c | doc) - p(c | doc without token i)`` for the predicted class
        ``c``, the token being deleted rather than replaced.  Positive values
        mark tokens that pushed the prediction towards ``c``; values near 1
        mark tokens without which the prediction would flip.  Occlusion needs
        forward passes only, so it works for every cell, pooling and direction;
        the ``n_tokens`` variants of the document are predicted in one
        batch.  (Gradient methods such as integrated gradients would need
        input gradients, which the network does not expose.)  Occlusion's
        cost grows with the square of the document's length (``n_tokens``
        passes of ``n_tokens`` steps): a document ten times longer takes a
        hundred times as long, and ``max_length`` bounds it.

        Parameters
        ----------
        text : str
            One document.
        method : {"occlusion"}, default="occlusion"
            How the attributions are computed.

        Returns
        -------
        Explanation
            A dataclass with the fields ``tokens`` (list of str, as the
            vectorizer sees them after truncation; unknown words as written),
            ``token_ids`` (n_tokens,), ``staged_proba`` (n_tokens, n_classes),
            ``prediction`` (the predicted label), ``proba`` (n_classes,),
            ``attributions`` (n_tokens,), ``method`` and ``classes``.
            ``str(explanation)`` is a table of them, and
            :func:`skrnn.plotting.plot_explanation` draws it.

        See Also
        --------
        staged_predict_proba : The class probabilities after each token of
            many documents.

        Examples
        --------
        >>> from skrnn import RNNTextClassifier
        >>> X = ["i am good", "i am bad", "this is good", "this is bad"] * 5
        >>> y = ["pos", "neg", "pos", "neg"] * 5
        >>> clf = RNNTextClassifier(random_state=0).fit(X, y)
        >>> explanation = clf.explain("this is good")
        >>> explanation.tokens
        ['this', 'is', 'good']
        >>> str(explanation.prediction)
        'pos'
        >>> int(explanation.attributions.argmax())
        2
        """
        return explain_document(self, text, method=method)

    def _model(self) -> FittedModel:
        """The fitted state, read once: a concurrent refit replaces it whole."""
        check_is_fitted(self)
        return self._fitted

    def _logits(self, X, model=None):
        """The logits of the documents, as float64 whatever ``dtype``.

        From ``verbose=2``, a prediction that runs longer than
        ``PROGRESS_DELAY`` (two) seconds shows its progress.
        """
        model = self._model() if model is None else model
        sequences = model.vectorizer.transform(check_text(X))
        on_batch, close = None, None
        if self.verbose >= 2:
            on_batch, close = progress(
                "Predicting", len(sequences), unit="documents", delay=PROGRESS_DELAY
            )
        try:
            with single_threaded_blas():
                logits = predict_logits(
                    model.weights,
                    sequences,
                    model.config,
                    n_jobs=self.n_jobs,
                    on_batch=on_batch,
                )
        finally:
            if close is not None:
                close()
        # float64 as scikit-learn's classifiers give on text (a TF-IDF and
        # LogisticRegression pipeline): the cast of float32 logits is exact.
        return logits.astype(np.float64, copy=False)

    def __sklearn_is_fitted__(self) -> bool:
        return "_fitted" in self.__dict__

    def __getstate__(self):
        state = super().__getstate__()
        if "_fitted" in state:
            state["_fitted"] = state["_fitted"].to_dict()
        return state

    def __setstate__(self, state):
        state = dict(state)
        if "_fitted" in state:
            state["_fitted"] = FittedModel.from_dict(state["_fitted"])
        super().__setstate__(state)

    # ------------------------------------------------------- fitted attributes

    classes_ = _FittedAttribute(lambda model: model.classes)
    vectorizer_ = _FittedAttribute(lambda model: model.vectorizer)
    weights_ = _FittedAttribute(lambda model: model.weights)
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
