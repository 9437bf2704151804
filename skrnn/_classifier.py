"""RNNTextClassifier: a recurrent network over raw text, for scikit-learn."""

import copy
import math
import time
import warnings
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from numbers import Real
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy.sparse import issparse
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils import (
    assert_all_finite,
    check_array,
    check_random_state,
    column_or_1d,
)
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from ._base import (
    DEFAULT_TOKEN_PATTERN,
    TRAIN_ANEW,
    BaseRNNText,
    _FittedAttribute,
    _in_range,
    raveled_column,
)
from ._explain import Explanation, explain_document, staged_outputs
from ._fitted import FittedModel
from ._ngrams import COMPANION_HEADS, check_char_range, check_ngram_range, fit_ngrams
from ._prediction import BLENDS, held_out_blend_weight
from ._text import _is_missing
from ._warnings import warn
from .nn._heads import get_head

#: The companion's weight in the blend for ``ngram_weight="auto"`` where no
#: documents are held out to choose it: chosen by the selection protocol of
#: ``benchmarks/selection.py`` on thousands of documents.  0.7 until the
#: companion read its words' characters (``char_ngram_range``), which made it
#: worth more: 0.8 over 0.7 gained 0.56 point on MR, 0.22 on SST-2, 0.18 on
#: SST-5 and -0.05 on TREC.
AUTO_NGRAM_WEIGHT = 0.8

#: ... and the weight that ``"auto"`` blends a companion fitted before
#: ``"auto"`` existed with (a model file of format 11 or older, or an older
#: pickle, whose companion has no weight): the default of its time.
LEGACY_NGRAM_WEIGHT = 0.7

#: The weights that ``ngram_weight="auto"`` chooses among.
AUTO_WEIGHT_GRID = tuple(i / 10 for i in range(11))

#: ``ngram_weight="auto"`` holds documents out to choose the weight for
#: training sets of fewer documents than this, or fewer than
#: :data:`AUTO_WEIGHT_PER_CLASS` per class...
AUTO_WEIGHT_DOCUMENTS = 2000
AUTO_WEIGHT_PER_CLASS = 100

#: ... but never for this many documents or more, whatever their classes
#: (MR's 9,595 sentences take 10-20 s to fit: a second fit of a larger set
#: costs more than the choice is worth there).
AUTO_WEIGHT_MAX_DOCUMENTS = 10000

#: ... and at least this many documents held out.
AUTO_WEIGHT_HELD_OUT = 20


def _held_out_part(y: np.ndarray, random_state: np.random.RandomState):
    """The documents ``ngram_weight="auto"`` holds out, or None.

    A tenth of each class's documents, rounded up, of every class of two
    documents or more (the others stay to train on, so that every class is
    learned); for multi-label ``y``, a tenth of the documents.  None where
    the training set is large (see :data:`AUTO_WEIGHT_DOCUMENTS`) or the part
    held out would be smaller than :data:`AUTO_WEIGHT_HELD_OUT`.  Draws from
    ``random_state`` only for a small set: a large one is fitted as with
    ``ngram_weight=0.8``, a ``RandomState`` instance too.
    """
    n_documents = len(y)
    if y.ndim == 2:
        n_classes = y.shape[1]
    else:
        labels, index = np.unique(y, return_inverse=True)
        n_classes = len(labels)
    if n_documents >= AUTO_WEIGHT_MAX_DOCUMENTS or (
        n_documents >= AUTO_WEIGHT_DOCUMENTS
        and n_documents >= AUTO_WEIGHT_PER_CLASS * n_classes
    ):
        return None
    order = random_state.permutation(n_documents)
    if y.ndim == 2:
        held = order[: math.ceil(0.1 * n_documents)]
    else:
        parts = []
        for k in range(n_classes):
            members = order[index[order] == k]
            if len(members) >= 2:
                parts.append(members[: math.ceil(0.1 * len(members))])
        held = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
    if len(held) < AUTO_WEIGHT_HELD_OUT:
        return None
    return np.sort(held)


#: What a y of each document's labels, as MultiLabelBinarizer takes them, is told.
_LABEL_SETS = (
    "such as the labels of each document: a multi-label y must be a binary "
    "indicator matrix; make it with sklearn.preprocessing.MultiLabelBinarizer "
    "(MultiLabelBinarizer().fit_transform(y))."
)


def _check_labels(labels: np.ndarray, name: str) -> np.ndarray:
    """1-D class labels, finite and none missing; StringDType read as objects."""
    if labels.dtype.kind == "T":  # numpy's StringDType, which sklearn cannot sort
        labels = labels.astype(object)
    if labels.dtype == object:
        # None and pandas' NA, which sklearn fails on; NaN is left to
        # assert_all_finite, whose "contains NaN" says it.
        missing = next(
            (
                i
                for i, label in enumerate(labels)
                if _is_missing(label) and not isinstance(label, Real)
            ),
            None,
        )
        if missing is not None:
            raise ValueError(
                f"{name}[{missing}] is a missing label ({labels[missing]!r}): "
                "every document needs a class. Drop the documents without a "
                "label, or give them one."
            )
        text = next(
            (i for i, label in enumerate(labels) if isinstance(label, str)), None
        )
        # NaN and infinity are left to assert_all_finite, as above
        number = next(
            (
                i
                for i, label in enumerate(labels)
                if isinstance(label, Real) and math.isfinite(label)
            ),
            None,
        )
        if text is not None and number is not None:
            # scikit-learn's checks fail on them in numpy's sort ("'<' not
            # supported between instances of 'int' and 'str'"), or say that
            # the labels may be continuous values
            raise ValueError(
                f"{name} mixes strings and numbers ({name}[{text}] is "
                f"{labels[text]!r}, {name}[{number}] is {labels[number]!r}): "
                "class labels must all be of one kind. Make them all strings "
                f"(e.g. {name}.astype(str)) or all numbers."
            )
    assert_all_finite(labels, input_name=name)
    return labels


def _labels_1d(values: Any, name: str) -> np.ndarray:
    """``column_or_1d`` of class labels, checked by :func:`_check_labels`.

    A list or tuple whose labels numpy makes strings is checked as the
    objects it holds: numpy makes the numbers among strings strings too
    (``["a", 1]`` gives ``['a', '1']``), which would be classes of another
    type than the labels, silently.
    """
    labels = column_or_1d(values)
    if isinstance(values, (list, tuple)) and labels.dtype.kind == "U":
        _check_labels(np.array(values, dtype=object), name)
    return _check_labels(labels, name)


def _check_classes(classes) -> np.ndarray:
    """The sorted unique classes of ``partial_fit``'s ``classes`` argument."""
    try:
        column_or_1d(classes)
    except ValueError as exc:
        raise ValueError(
            f"classes must be a 1-D array-like of class labels; got {classes!r}."
        ) from exc
    classes = _labels_1d(classes, "classes")
    try:
        check_classification_targets(classes)
    except ValueError as exc:
        raise ValueError(f"classes: {exc}") from exc
    return np.unique(classes)


class RNNTextClassifier(ClassifierMixin, BaseRNNText):
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
    vocabulary in ``fit`` and turns every document into token ids.  By
    default an n-gram companion (NBSVM-bi) is fitted on the same tokens (of
    the whole document, where the network reads up to ``max_length`` of
    them) and blended into the network's probabilities: see ``ngram_range``.

    ``y`` may also be a multi-label indicator matrix, as for
    :class:`~sklearn.neural_network.MLPClassifier`: the output layer then
    gives each label an independent probability (a logistic output trained
    on the binary cross-entropy), ``predict`` the indicator matrix of the
    labels whose probability exceeds one half, and ``score`` the subset
    accuracy.  :class:`RNNTextRegressor` is the same network with an identity
    output, for numbers, without an n-gram companion.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru"} or a registered name, default="gru"
        Recurrent cell: the seed post's tanh RNN, the LSTM (gates i, f, o, g,
        forget bias 1) or the GRU (gates r, z, n as in cuDNN).  In Python, a
        cell added with :func:`skrnn.nn.register_cell` is taken by its name.
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
strip_accents, stop_words, min_df, max_df, max_features, vocabulary : \
see SequenceVectorizer
        Passed to the :class:`SequenceVectorizer` that turns text into token
        ids; see there.  They mean what they mean in
        :class:`~sklearn.feature_extraction.text.CountVectorizer`, except
        that the default ``token_pattern`` keeps one-letter words and splits
        punctuation into tokens of its own, and that ``analyzer="char"``
        reads characters one at a time (for text without spaces between
        words).
    max_length : int or None, default=1000
        The network reads the first ``max_length`` tokens of a longer
        document (``truncating="post"``) or its last (``"pre"``), in ``fit``
        and in prediction alike; None reads them whole.  The n-gram
        companion (``ngram_range``) reads every document whole, which costs
        little.  Passed to the :class:`SequenceVectorizer`, whose default is
        None: here it is 1000, because a document costs the network time and
        memory in proportion to its length and backpropagation through
        thousands of steps is slow and unsteady, while sentences and reviews
        are far shorter (see :ref:`long-documents`).
    truncating : see SequenceVectorizer
        Which end of a long document to cut.
    solver : {"adam", "adamw", "sgd"} or a registered name, default="adam"
        The optimizer: "adam" and "sgd" as in
        :class:`~sklearn.neural_network.MLPClassifier`; "adamw" is Adam with
        decoupled weight decay (Loshchilov and Hutter, 2019), its decay set
        by ``alpha``.  In Python, an optimizer added with
        :func:`skrnn.register_optimizer` is taken by its name.
    learning_rate_init : float, default=0.01
        Initial learning rate.
    learning_rate : {"constant", "invscaling", "adaptive", "cosine"}, \
            default="cosine"
        Learning-rate schedule. "constant", "invscaling" and "adaptive" are
        those of the "sgd" solver, as in ``MLPClassifier`` (the other solvers
        keep ``learning_rate_init``). "cosine", for every solver, lowers the
        rate at every step from ``learning_rate_init`` to 0 along a half
        cosine over ``max_iter`` epochs (PyTorch's ``CosineAnnealingLR``):
        the training-loss rule (``tol``, ``n_iter_no_change``) or early
        stopping may end it sooner, and each ``fit`` (``warm_start``
        included) runs it from its start.  Each ``partial_fit`` is its next
        epoch, with a rate of 0 after ``max_iter`` of them; with
        ``max_iter="auto"``, whose length a stream of calls does not tell,
        each runs a cosine of its own over its one epoch. See :ref:`cosine`.
    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.
    momentum : float, default=0.9
        Momentum of the "sgd" solver.
    nesterovs_momentum : bool, default=True
        Whether the "sgd" solver uses Nesterov's momentum.
    beta_1 : float, default=0.9
        Decay rate of the first moment (mean) estimates of "adam" and
        "adamw".
    beta_2 : float, default=0.999
        Decay rate of the second moment (uncentred variance) estimates of
        "adam" and "adamw".
    epsilon : float, default=1e-8
        Numerical-stability term of "adam" and "adamw"; it must not round to
        0 in ``dtype``.
    alpha : float, default=0.0
        Strength of the regularisation of the weight matrices: an L2
        penalty in the loss, or with ``solver="adamw"`` a decoupled weight
        decay.  The penalty is scaled as in ``MLPClassifier``.  Biases and
        the lookup tables (the embedding, or the one-hot first layer's
        ``W_xh``) are not regularised.  With "adamw" each step multiplies
        the same weights by ``1 - learning_rate_init * alpha``, and the loss
        carries no penalty (``loss_curve_`` is the cross-entropy alone).
    clip_value : float or None, default=1.0
        Clip every gradient entry to ``[-clip_value, clip_value]`` before the
        update (the seed's ``np.clip(d, -1, 1)``); None turns it off.
    clip_norm : float or None, default=None
        Rescale the gradients when their global L2 norm exceeds this.
    adversarial_epsilon : float, default=0.0
        Adversarial training: the L2 norm of the perturbation of each
        document's embedded words; 0 trains without it.  With a positive
        value, each step also trains on the embedded words moved, by this
        norm over the whole document, in the direction that raises the
        document's loss most to first order (Miyato, Dai and Goodfellow,
        2017), and minimises the sum of both losses, which ``loss_curve_``
        records; a step costs about twice as much.  The norm is absolute:
        the embedded words of a default fit have norms of about 2.5 each.
        0.5 gained 1 to 1.4 points by cross-validation on TREC, SST-2 and
        MR; too large a value makes the network ignore its input (see
        :ref:`adversarial-training`).  Needs an embedding (not one-hot
        inputs).
    batch_size : int, default=32
        Documents per minibatch.
    max_iter : int or "auto", default="auto"
        Maximum number of epochs; with ``learning_rate="cosine"``, the length
        of its schedule.  "auto" gives the cosine schedule as many epochs as
        make at least 1000 steps of ``batch_size`` documents, at least 8 and
        at most 200 (at the default ``batch_size``: 200 for up to 160
        training documents, 32 for 1000 and 8 from about 4000 of 19 tokens or
        more), and as read at least 600,000 tokens in all, each document
        counting as one at least (short documents train more epochs: TREC's
        5,452 questions 11), but no more than
        read 5 million tokens in all (each network of an ensemble), and at
        least one epoch: long documents (or very many) train fewer epochs,
        ``5_000_000 // n_tokens`` for ``n_tokens`` tokens an epoch (counted
        up to ``max_length``), so that a network's training stays within
        about a minute (see :ref:`long-documents`; sentence corpora of up to
        about 25,000 sentences are not affected).  Every other schedule gets
        200.
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
        documents than there are classes, and off under
        ``learning_rate="cosine"``, whose last epoch is nearly always its
        best: there the hold-out would only take a tenth of the data; off
        too for a network whose held-out part, or the part left to train on,
        has only samples of weight 0 (``True`` is then an error).  The
        held-out accuracy is weighted by the sample and class weights, and a
        warm start holds out the same documents as the first fit.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into the sample weights, as in
        :func:`sklearn.utils.class_weight.compute_sample_weight`.  Not
        supported with multi-label ``y`` (a document has several labels, so
        no one class to weigh): pass ``sample_weight`` instead.
    warm_start : bool, default=False
        Continue from the fitted weights, vocabulary and optimizer state when
        ``fit`` is called again.  The network's shape and the text parameters
        must then be those it was fitted with (changing one raises an error);
        the training parameters, ``dropout`` and ``input_dropout`` included,
        apply from the next call on, changed optimizer settings (``solver``,
        ``learning_rate_init``, ...) with a new optimizer.  ``embeddings``
        only initialises a new network.  Every member of an ensemble
        continues; ``n_estimators`` must be unchanged.
    n_estimators : int, default=1
        Number of networks in the ensemble.  The members differ by seed
        only (initial weights, validation split, shuffling and dropout, each
        drawn from a generator seeded by ``random_state`` and the member's
        index; member 0 is the network that ``n_estimators=1`` trains), are
        trained one after another (side by side with ``n_jobs``), each with
        its own early stopping, and ``predict_proba`` averages their
        probabilities: ``decision_function``, ``predict_log_proba``,
        ``predict``, ``staged_predict_proba`` and ``explain`` read that
        average.  Fitting and predicting cost ``n_estimators`` times those of
        one network.  See :ref:`ensembles`.
    ngram_range : tuple (min_n, max_n) or None, default=(1, 2)
        Fit an n-gram companion beside the network(s) and blend their
        probabilities: a bag of n-grams of ``min_n`` to ``max_n`` tokens
        (the network's tokens, of the whole document: it is not cut at
        ``max_length``), NBSVM in its logistic-regression
        form (naive Bayes log-count ratios scaling binary n-gram features,
        for two classes divided by each document's norm, then liblinear's
        ``LogisticRegression``, one-vs-rest for more than
        two classes, one per label for multi-label ``y``, ``C`` chosen by an
        inner 3-fold cross-validation), fitted first on the same training
        documents and weights.  ``(1, 2)``, the
        default, is NBSVM-bi: chosen by the selection protocol of
        ``benchmarks/selection.py``, it adds 2-3 points of accuracy to one
        network at a fraction of its fit time.
        None: no companion, the network alone.  It cannot learn
        incrementally, so ``partial_fit`` is unavailable when it is set (set
        ``ngram_range=None`` to train on a stream: a model fitted with a
        companion then drops it, with a warning); a warm start refits it
        on each call's data while the network continues.  See
        :ref:`ngram-companion`.
    char_ngram_range : tuple (min_n, max_n) or None, default=(2, 5)
        Give the companion the character n-grams of each of its words too:
        the n-grams of ``min_n`` to ``max_n`` characters of each vocabulary
        word padded with a space on either side (as scikit-learn's
        ``analyzer="char_wb"`` reads them, but that a padded word shorter
        than ``min_n``, which ``char_wb`` takes whole, has none, and that a
        word holding white space is one word).  Words that share a stem, a
        prefix or a misspelling then share features.  They go to a second
        part of the companion, a logistic regression (``C`` among 3 and 30,
        as the same inner cross-validation chooses it for the word n-grams'
        TF-IDF rows alone) of rows of two sections,
        each of norm 1 and both divided by ``sqrt(2)``: the binary TF-IDF
        row of the document's word n-grams, and the sum of its distinct
        words' TF-IDF vectors of character n-grams, divided by the square
        root of the sum of their squared norms.  That sum makes a word's
        decision its own, computed once by the fit: prediction looks it up
        by the word's id, at the cost of one more feature a token.  The
        companion's probabilities are the normalised geometric mean of the
        two parts'.  ``(2, 5)``, the default, gained 0.5 point on SST-5,
        0.3 on SST-2 and 0.2 on TREC by the selection protocol, and nothing
        on MR; 0.2 on Subj and nothing on CR and MPQA, corpora the defaults
        were not chosen on; for a fit of 10-20% more time.  None: the
        companion reads words only.  The features are the n-grams of
        the training documents' words: a word of the vocabulary that none
        holds (a ``vocabulary`` given) has those of its n-grams among them.
        A word unknown to the vocabulary has none (the companion reads the
        network's tokens), so ``min_df`` and ``max_features`` bound them
        too.  ``max_n`` is at most 16.  Not used (but checked) without
        ``ngram_range``.  See :ref:`ngram-companion`.
    ngram_weight : "auto" or float, default="auto"
        Weight of the companion's probabilities in the blend, in [0, 1]:
        with ``w = ngram_weight``, ``predict_proba`` is proportional to
        ``p_network ** (1 - w) * p_ngrams ** w`` (see ``ngram_blend``),
        ``p_network`` being the ensemble's mean, and every prediction method
        follows it.  ``"auto"`` lets ``fit`` choose it (``ngram_weight_``):
        on a small training set (fewer than 2,000 documents, or fewer than
        100 a class and 10,000 in all), it fits the model on nine tenths of each class,
        measures the blend of each weight 0, 0.1, ..., 1 on the held-out
        tenth by its log-loss at its best temperature, and takes the best
        if it is also more accurate there than 0.8; then it fits on all the
        documents.  Where the network overfits a few documents (200 long
        reviews, many classes of a few documents each), the companion alone
        is far better than the fixed blend, and ``"auto"`` finds it;
        elsewhere it keeps 0.8, chosen by the selection protocol.  That
        costs a second fit on small sets only; larger ones, and sets whose
        held-out part would have fewer than 20 documents or whose nine
        tenths cannot be fitted (say, early stopping's hold-out of every
        class), get 0.8.  The part held out is drawn from
        ``random_state``; a warm start keeps the weight of the model it
        continues.  A number is read at prediction: changing it needs no
        refit.  Not used without ``ngram_range``.  See
        :ref:`ngram-companion`.
    ngram_blend : {"geometric", "arithmetic"}, default="geometric"
        How the companion's probabilities are blended with the network's:
        their weighted geometric mean, normalised (for one class per
        document, the weighted sum of the two log-probabilities; for
        multi-label ``y``, of each label's log-odds), or their weighted
        arithmetic mean, ``(1 - w) * p_network + w * p_ngrams``.  The
        geometric blend gained 0.3 point on TREC's six and SST-5's five
        classes by the selection protocol, and the same as the arithmetic
        one on MR and SST-2 (``benchmarks/companion_settings.py``).  Read at
        prediction.  Models saved or pickled before it existed load with
        ``"arithmetic"``, as they predicted.
    n_jobs : int, default=None
        Number of processes or threads that compute the gradients of a
        minibatch and the predictions.  A minibatch of more than 32 documents
        is split into shards of at most 32, whose gradients are computed side
        by side and summed: in joblib's worker processes beside this one,
        which hold the weights in shared memory for the fit (on joblib's
        threading backend, for a cell or head added at run time, or for a
        fit too short to pay for starting them, under 262,144 tokens times
        ``max_iter``, on threads instead: numpy releases the GIL in its
        products and loops).  A prediction of 256 documents or more runs on
        this process and a worker process that keeps the fitted model (sent
        it once, in the background, at the first such call after each fit,
        load or change of ``ngram_weight`` or ``ngram_blend``; calls go on
        threads meanwhile), or on threads, or on one thread, as has been the
        faster; changes made to the fitted arrays (``weights_``'s) are not
        seen by that worker, nor, made in place to the embedding's or the
        recurrent layers', by any process, which keeps their first layer
        projected for the whole vocabulary from its first prediction.  The
        shards and the prediction batches
        do not depend on ``n_jobs``, so neither do the model and its
        predictions: they are the same to the bit.  ``None`` means 1
        unless in a :func:`joblib.parallel_config` context; ``-1`` means all
        processors.  Each process's and thread's BLAS runs single-threaded,
        so this is the way to use a second core.  With 2 or more, the n-gram
        companion is fitted on a
        thread of its own while the network trains (but for ``verbose``
        output, whose lines would mix), and the members of an ensemble are
        fitted side by side in up to ``n_jobs`` worker processes (joblib's,
        so :func:`joblib.parallel_config` applies; not on its threading
        backend, not for ``partial_fit``, ``verbose`` output, scikit-learn's
        callbacks, a cell added with :func:`skrnn.nn.register_cell`, or
        when that would save less than the 2-3 s that starting the workers
        takes), with the same result.  Interrupting such a fit leaves the
        estimator as it was.  Prediction reads text in chunks of 16,384
        documents, which with 2 or more run in worker processes when they
        hold 8 million characters or more (some 70,000 sentences), on the
        same conditions but for ``verbose``; the outputs are the same to the
        bit whatever ``n_jobs``.
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
        Class labels; ``0 .. n_labels - 1`` for multi-label ``y``, as in
        :class:`~sklearn.neural_network.MLPClassifier`.
    vectorizer_ : SequenceVectorizer
        The fitted vectorizer.
    weights_ : dict of str to ndarray
        The network's weights by name: ``embed.E``,
        ``layer{l}.{fwd,bwd}.{W_xh,W_hh,b_h}`` (and ``b_hn`` for the GRU),
        ``head.W_hy``, ``head.b_y``.  Matrices act on row vectors, so
        ``W_xh`` is the seed's ``Wxh`` transposed.  For an ensemble
        (``n_estimators > 1``), member 0's, as are ``n_iter_``, ``t_``,
        ``loss_curve_`` and the attributes of early stopping below.
    estimators_weights_ : list of dict of str to ndarray
        The weights of every member of the ensemble, ``weights_`` first (one
        dict for ``n_estimators=1``), as scikit-learn's ensembles give their
        fitted members in ``estimators_``.
    n_iter_ : int
        Number of epochs run.
    t_ : int
        Number of training samples seen.
    loss_curve_ : list of float
        Mean training loss of every epoch.
    best_loss_ : float or None
        Lowest training loss (None with early stopping).
    validation_scores_ : list of float or None
        Validation accuracy of every epoch (None without early stopping), of
        the network alone, not of its blend with the n-gram companion.
    best_validation_score_ : float or None
        Best validation accuracy (None without early stopping), of the
        network alone.
    embeddings_coverage_ : float
        Share of the vocabulary that found a pre-trained vector (only when
        ``embeddings`` is given).
    ngram_weight_ : float
        The n-gram companion's weight in the blend that ``fit`` chose, with
        ``ngram_weight="auto"``, or was given (only with a companion): what
        ``"auto"`` predicts with.  A companion fitted before ``"auto"`` (a
        model file of format 11 or older, or an older pickle) has none, and
        ``"auto"`` blends it at 0.7.

    See Also
    --------
    SequenceVectorizer : The text-to-token-ids transformer used inside.
    sklearn.neural_network.MLPClassifier : The feed-forward network whose
        training parameters this estimator shares.

    Notes
    -----
    The output head is the one that the class attribute ``heads`` names for
    the kind of ``y``: ``"softmax"`` for class labels (``"classes"``),
    ``"logistic"`` for a multi-label indicator matrix (``"labels"``).  The
    head, and with it the loss, follows ``y``: there is no ``loss``
    parameter, as :class:`~sklearn.neural_network.MLPClassifier` has none
    (the regressor's ``loss`` picks among heads of one kind).  A subclass
    that sets ``heads`` trains another head added with
    :func:`skrnn.nn.register_head` (see :ref:`adding-a-head`).

    Examples
    --------
    >>> from skrnn import RNNTextClassifier
    >>> X = ["i am good", "i am bad", "this is good", "this is bad"] * 5
    >>> y = ["pos", "neg", "pos", "neg"] * 5
    >>> clf = RNNTextClassifier(random_state=0).fit(X, y)
    >>> clf.predict(["good", "bad"]).tolist()
    ['pos', 'neg']
    """

    #: The output head for each kind of ``y``, by name (see Notes).
    heads: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"classes": "softmax", "labels": "logistic"}
    )

    _head_kinds: ClassVar[tuple[str, ...]] = ("classes", "labels")

    _parameter_constraints: ClassVar[dict] = {
        **BaseRNNText._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "ngram_range": [tuple, None],
        "char_ngram_range": [tuple, None],
        "ngram_weight": [Interval(Real, 0, 1, closed="both"), StrOptions({"auto"})],
        "ngram_blend": [StrOptions(set(BLENDS))],
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
        class_weight=None,
        warm_start=False,
        n_estimators=1,
        ngram_range=(1, 2),
        char_ngram_range=(2, 5),
        ngram_weight="auto",
        ngram_blend="geometric",
        n_jobs=None,
        random_state=None,
        verbose=0,
        dtype=np.float32,
    ):
        super().__init__(
            cell=cell,
            hidden_size=hidden_size,
            embedding_dim=embedding_dim,
            num_layers=num_layers,
            bidirectional=bidirectional,
            pooling=pooling,
            dropout=dropout,
            input_dropout=input_dropout,
            embeddings=embeddings,
            freeze_embeddings=freeze_embeddings,
            lowercase=lowercase,
            preprocessor=preprocessor,
            tokenizer=tokenizer,
            token_pattern=token_pattern,
            analyzer=analyzer,
            strip_accents=strip_accents,
            stop_words=stop_words,
            min_df=min_df,
            max_df=max_df,
            max_features=max_features,
            vocabulary=vocabulary,
            max_length=max_length,
            truncating=truncating,
            solver=solver,
            learning_rate_init=learning_rate_init,
            learning_rate=learning_rate,
            power_t=power_t,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            alpha=alpha,
            clip_value=clip_value,
            clip_norm=clip_norm,
            adversarial_epsilon=adversarial_epsilon,
            batch_size=batch_size,
            max_iter=max_iter,
            shuffle=shuffle,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            warm_start=warm_start,
            n_estimators=n_estimators,
            n_jobs=n_jobs,
            random_state=random_state,
            verbose=verbose,
            dtype=dtype,
        )
        self.class_weight = class_weight
        self.ngram_range = ngram_range
        self.char_ngram_range = char_ngram_range
        self.ngram_weight = ngram_weight
        self.ngram_blend = ngram_blend

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
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels: numbers, booleans or strings, all of one kind, as for
            scikit-learn's classifiers; two classes or more.  Or, for
            multi-label classification, a binary indicator matrix (dense or
            sparse, as :class:`~sklearn.preprocessing.MultiLabelBinarizer`
            makes it): each label is then an independent yes or no, learned
            with a logistic output and the binary cross-entropy.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the documents in the loss; None weighs them all 1.  For
            multi-label ``y``, a document's weight multiplies its loss summed
            over the labels.

        Returns
        -------
        self : RNNTextClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def _can_learn_incrementally(self):
        if self.ngram_range is not None:
            raise AttributeError(
                "partial_fit is not available when ngram_range is set: the "
                "n-gram companion cannot learn incrementally. Set "
                "ngram_range=None, or fit on all the data at once."
            )
        return True

    @available_if(_can_learn_incrementally)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X: Iterable[str],
        y: ArrayLike,
        classes: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> "RNNTextClassifier":
        """Train for one epoch on a chunk of documents.

        Available only with ``ngram_range=None``: the defaults' n-gram
        companion needs all the training documents at once, as ``fit`` has
        them.  The first call fixes the classes (``classes`` is then required) and
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
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multi-label indicator matrix.
        classes : array-like of shape (n_classes,), default=None
            All the classes that any call will see; required on the first
            call, and equal to those of the first call if given again; for
            multi-label ``y``, ``range(n_labels)``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the documents in the loss.

        Returns
        -------
        self : RNNTextClassifier
            The updated estimator.
        """
        # (True, or numpy's True, but not "auto")
        if not isinstance(self.early_stopping, str) and self.early_stopping:
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

    def _blend_weight(
        self, documents, y, metadata, sample_weight, previous, *, words=None
    ):
        """The companion's weight that this fit stores, or None without one.

        A number given as ``ngram_weight``, or for ``"auto"`` the weight that
        a warm start's model chose, or else that
        :func:`~skrnn._prediction.held_out_blend_weight` chooses when
        :func:`_held_out_part` holds documents out (a small training set),
        or :data:`AUTO_NGRAM_WEIGHT`.  ``words`` are those of a
        ``vocabulary`` iterator, read already (else None): the probe's
        vocabulary, which the fit on all the documents reads too.
        """
        if self.ngram_range is None:
            return None
        if self.ngram_weight != "auto":
            return float(self.ngram_weight)
        if previous is not None:
            if previous.ngrams is not None and previous.ngrams.weight is not None:
                return previous.ngrams.weight
            return LEGACY_NGRAM_WEIGHT
        # (from a copy of a RandomState instance, as the probe's network: the
        # fit on all the documents draws the network's seed from the
        # instance as it is, as without the companion)
        held = _held_out_part(y, check_random_state(copy.deepcopy(self.random_state)))
        if held is None:
            return AUTO_NGRAM_WEIGHT
        kept = np.ones(len(y), dtype=bool)
        kept[held] = False
        kept = np.flatnonzero(kept)
        if not (sample_weight[held].any() and sample_weight[kept].any()):
            # nothing to measure, or nothing for the probe to learn
            return AUTO_NGRAM_WEIGHT
        user_weight = metadata and metadata["sample_weight"]
        begin = time.perf_counter()
        # The estimator's parameters as they are (not clone's deep copies: a
        # dict of embeddings can be large) but for its random state, which
        # the fit on all the documents draws from, and without the callbacks
        # set on it, which follow that fit, not this one.
        probe = type(self)(
            **{
                **self.get_params(deep=False),
                "random_state": copy.deepcopy(self.random_state),
                "ngram_weight": AUTO_NGRAM_WEIGHT,
                "warm_start": False,
                "verbose": 0,
                **({} if words is None else {"vocabulary": words}),
            }
        )
        with warnings.catch_warnings():
            # the fit on all the documents gives them
            warnings.simplefilter("ignore")
            try:
                probe._fit(
                    [documents[i] for i in kept],
                    y[kept],
                    sample_weight=None if user_weight is None else user_weight[kept],
                    incremental=False,
                    probe=True,
                )
            except ValueError as exc:
                # What all the documents allow, nine tenths may not (early
                # stopping's hold-out of every class, min_df): the fit on all
                # of them says what is wrong with them, if anything.
                if self.verbose:
                    print(
                        f"ngram_weight='auto': {AUTO_NGRAM_WEIGHT:g}, the model "
                        f"could not be fitted on {len(kept)} documents ({exc})"
                    )
                return AUTO_NGRAM_WEIGHT
            texts = [documents[i] for i in held]
            network = probe.set_params(ngram_weight=0.0)._logits(texts)
            companion = probe.set_params(ngram_weight=1.0)._logits(texts)
        model = probe._model()
        weight = held_out_blend_weight(
            network,
            companion,
            model.config.head,
            self._encode_y(y[held], model, sample_weight[held]),
            sample_weight[held],
            AUTO_WEIGHT_GRID,
            self.ngram_blend,
            default=AUTO_NGRAM_WEIGHT,
        )
        if self.verbose:
            print(
                f"ngram_weight='auto': {weight:g}, by the loss of {len(held)} "
                f"held-out documents, {time.perf_counter() - begin:.1f} s"
            )
        return weight

    def _companion_fit(self, sequences, targets, sample_weight, start, weight):
        """A function that fits the n-gram companion on the training data, or None.

        ``ngram_range`` and ``char_ngram_range`` (even without a companion)
        are checked before it is returned; the companion keeps
        ``weight``, its weight in the blend.
        """
        char_range = self.char_ngram_range
        if char_range is not None:
            # checked even without a companion, which would read it
            char_range = check_char_range(char_range)
        if self.ngram_range is None:
            return None
        if start.config.head not in COMPANION_HEADS:
            raise ValueError(
                f"ngram_range={self.ngram_range!r} adds an n-gram companion, whose "
                f"outputs blend with those of the heads {list(COMPANION_HEADS)} "
                f"only; this classifier's head is {start.config.head!r:.60}. Set "
                "ngram_range=None."
            )
        ngram_range = check_ngram_range(self.ngram_range, start.config.n_vocab)
        words = None
        if char_range is not None:
            words = start.vectorizer.get_feature_names_out()
        verbose = self.verbose

        def fit():
            begin = time.perf_counter()
            companion = fit_ngrams(
                sequences,
                targets,
                sample_weight,
                ngram_range=ngram_range,
                n_vocab=start.config.n_vocab,
                n_classes=start.config.n_outputs,
                head=start.config.head,
                whole_documents=True,
                weight=weight,
                char_range=char_range,
                words=words,
            )
            if verbose:
                print(
                    f"N-gram companion: {len(companion.keys)} n-grams, "
                    f"C={companion.C:g}, {time.perf_counter() - begin:.1f} s"
                )
            return companion

        return fit

    def _companion_blend(self, model):
        """``ngram_weight`` and ``ngram_blend``, checked; unused without companion."""
        if model.ngrams is None:
            return 0.0, "geometric"
        weight, blend = self.ngram_weight, self.ngram_blend
        if isinstance(weight, str) and weight == "auto":
            weight = model.ngrams.weight
            weight = LEGACY_NGRAM_WEIGHT if weight is None else weight
        if not (isinstance(weight, Real) and 0 <= weight <= 1):
            raise ValueError(
                f"ngram_weight must be 'auto' or a number in [0, 1]; got {weight!r}."
            )
        if blend not in BLENDS:
            raise ValueError(
                f"ngram_blend must be one of {list(BLENDS)}; got {blend!r}."
            )
        return float(weight), blend

    # -------------------------------------------------------- handling y

    def _check_y(self, y):
        """``y`` as a 1-D array of class labels, or a dense indicator matrix."""
        if not isinstance(y, Iterable) and hasattr(y, "__array__"):
            # An array-like known only by its __array__ may refuse numpy's
            # functions (scikit-learn's _NotAnArray refuses np.ndim).
            y = np.asarray(y)
        try:
            ndim = None if issparse(y) else np.ndim(y)
        except ValueError:  # numpy's "inhomogeneous shape"
            raise ValueError(
                f"y holds sequences of different lengths, {_LABEL_SETS}"
            ) from None
        if issparse(y) or (ndim == 2 and np.shape(y)[1] > 1):
            # check_array reads pandas' nullable columns (boolean, Int64) as
            # numbers, their missing values as NaN, which it refuses.
            y = check_array(y, accept_sparse=True, dtype=None, input_name="y")
            y = y.toarray() if issparse(y) else y
            kind = type_of_target(y)
            if kind != "multilabel-indicator" or not np.isin(y, (0, 1)).all():
                got = (
                    "values other than 0 and 1"
                    if kind == "multilabel-indicator"
                    else f"a {kind!r} target"
                )
                raise ValueError(
                    "A 2-D y must be a binary indicator matrix of labels, one "
                    "column per label and values 0 or 1 (as MultiLabelBinarizer "
                    f"makes it); got {got}."
                )
            return y
        y = _labels_1d(raveled_column(y), "y")
        try:
            check_classification_targets(y)
        except ValueError:
            # its "Unknown label type: unknown" speaks of continuous values
            if any(isinstance(label, AbstractSet) for label in y):
                raise ValueError(f"y holds sets, {_LABEL_SETS}") from None
            raise
        return y

    def _new_outputs(self, y, classes):
        """The classes of a new model, its number of outputs and its head.

        A multi-label ``y`` of ``n_labels`` columns has the classes
        ``0 .. n_labels - 1``, as MLPClassifier gives them, and the head of
        the ``"labels"`` kind (logistic: one independent probability per
        label); class labels the head of the ``"classes"`` kind (softmax).
        """
        if y.ndim == 2:
            n_labels = y.shape[1]
            if classes is not None and not np.array_equal(classes, range(n_labels)):
                raise ValueError(
                    f"classes must be range({n_labels}) for a multi-label y of "
                    f"{n_labels} columns; got {classes.tolist()!r}."
                )
            return np.arange(n_labels), n_labels, self._head_for("labels")
        classes_ = np.unique(y) if classes is None else classes
        if len(classes_) < 2:
            n_samples = len(y)
            raise ValueError(
                "RNNTextClassifier needs samples of at least 2 classes; got "
                f"only {classes_.tolist()!r} in {n_samples} "
                f"{'sample' if n_samples == 1 else 'samples'}."
            )
        return classes_, len(classes_), self._head_for("classes")

    def _head_for(self, kind: str) -> str:
        """The name of the head that the class's ``heads`` picks for ``kind``.

        A ValueError if it picks none, or a head that is not registered or
        is of another kind.
        """
        name = self.heads.get(kind)
        if name is None:
            raise ValueError(
                f"{type(self).__name__}.heads names no head for {kind!r}; it "
                f"names {dict(self.heads)!r:.200}."
            )
        head = get_head(name)
        if head.kind != kind:
            raise ValueError(
                f"{type(self).__name__}.heads names {name!r:.60} for {kind!r}, "
                f"but that head's kind is {head.kind!r}."
            )
        return name

    def _check_head_is_kept(self, previous: FittedModel) -> None:
        """A ValueError if a new fit would train another head than ``previous``'s.

        A subclass that sets only ``heads`` is saved as RNNTextClassifier
        (see :func:`skrnn.save`): loaded, it holds a model of a head that
        its class does not pick, and a new fit would replace that head
        silently.  (The regressor's head is its ``loss``, which its file
        holds.)
        """
        head = previous.config.head
        if head not in self.heads.values():
            name = type(self).__name__
            raise ValueError(
                f"This {name} holds a model of the {head!r:.60} head, which "
                f"{name}.heads does not pick (a model saved from a subclass that "
                "sets heads loads as the estimator it derives from): a new fit "
                f"would train {name}'s own head instead. Continue this model with "
                "warm_start=True or partial_fit, fit an instance of the subclass, "
                f"or clone this {name} to train its own head anew."
            )

    def _encode_y(self, y, model, sample_weight):
        """The index in ``classes_`` of each label, or the indicator as floats.

        Labels need no ``sample_weight``: they are encoded whatever it is.
        """
        multilabel = get_head(model.config.head).kind == "labels"
        if multilabel != (y.ndim == 2):
            fitted, given = "a multi-label indicator matrix", "class labels"
            if not multilabel:
                fitted, given = given, fitted
            raise ValueError(
                f"y holds {given}, but the fitted network was trained on "
                f"{fitted}; {TRAIN_ANEW} one."
            )
        if multilabel:
            if y.shape[1] != model.config.n_outputs:
                raise ValueError(
                    f"y has {y.shape[1]} labels, but the fitted network has "
                    f"{model.config.n_outputs}; {TRAIN_ANEW} one."
                )
            return y.astype(model.weights["head.b_y"].dtype)
        unseen = np.setdiff1d(y, model.classes)
        if len(unseen):
            raise ValueError(
                f"y holds labels that are not among the classes: {unseen.tolist()!r}; "
                f"the classes are {model.classes.tolist()!r}."
            )
        return np.searchsorted(model.classes, y)

    def _training_weights(self, y, sample_weight):
        """The sample weights times the class weights.

        Only their ratios matter, so a product whose sum the weights' dtype
        cannot hold, or whose smallest positive weight it rounds to 0
        (class weights of 1e38 or 1e-30 in float32), is that of the two
        factors divided by their largest, computed in float64 (see
        :func:`~skrnn._base._in_range`); others are multiplied in the
        dtype, to the same model as before.
        """
        if self.class_weight is None:
            return sample_weight
        if y.ndim == 2:
            raise ValueError(
                "class_weight is not supported with a multi-label y: a "
                "document belongs to several labels, so it has no one class "
                "to weigh. Weigh documents with sample_weight instead."
            )
        class_weights = self._class_weights(y)
        positive = (sample_weight > 0) & (class_weights > 0)
        if not positive.any():
            raise ValueError(
                "Every sample has weight 0 once multiplied by class_weight="
                f"{self.class_weight!r}: there is nothing to train on."
            )
        dtype = sample_weight.dtype
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            product = sample_weight * class_weights.astype(dtype)
            total = np.add.reduce(product)
        if np.isfinite(total) and product[positive].min() >= np.finfo(dtype).tiny:
            return product
        ratios = (sample_weight / sample_weight.max()).astype(np.float64)
        return _in_range(ratios * (class_weights / class_weights.max()), dtype)

    def _min_validation(self, y_index):
        """A stratified hold-out needs a sample of every class seen."""
        if y_index.ndim == 2:  # multi-label: not stratified
            return 1
        return int(np.count_nonzero(np.bincount(y_index)))

    def _stratify(self, y_index, *, tell=False):
        """Stratify the hold-out by class, unless a class has a single sample.

        A multi-label hold-out is not stratified.  ``tell`` says so when a
        class has a single sample.
        """
        if y_index.ndim == 2:
            return None
        counts = np.bincount(y_index)
        if counts[counts > 0].min() >= 2:
            return y_index
        if tell:
            warn(
                "early_stopping holds out a validation part that is not "
                "stratified: some class has a single training sample, which "
                "either the training part or the validation part will lack.",
                UserWarning,
            )
        return None

    def _class_weights(self, y):
        """The weight of each sample's class in float64, checked like sample weights."""
        weights = compute_sample_weight(self.class_weight, y)
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError(
                "class_weight must give every class a finite, non-negative "
                f"weight; got {self.class_weight!r}."
            )
        return weights

    # --------------------------------------------------------------- predicting

    def decision_function(self, X: Iterable[str]) -> np.ndarray:
        """Logits of the output layer for each document.

        With an n-gram companion (``ngram_range``), the logits of the blended
        probabilities: their log, or log-odds for multi-label ``y``.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents.

        Returns
        -------
        ndarray of float64 of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the logit of ``classes_[1]`` minus that of
            ``classes_[0]``; otherwise one logit per class (per label for
            multi-label ``y``: positive where a label is predicted).
        """
        model = self._model()
        logits = self._logits(X, model)
        if logits.shape[1] == 2 and get_head(model.config.head).kind == "classes":
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
            Probabilities in the order of ``classes_``; rows sum to one.  For
            multi-label ``y``, the probability of each label, independently
            (shape (n_samples, n_labels)).
        """
        model = self._model()
        return get_head(model.config.head).output(self._logits(X, model))

    def predict_log_proba(self, X: Iterable[str]) -> np.ndarray:
        """Logarithm of the class probabilities of each document.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents.

        Returns
        -------
        ndarray of float64 of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``, computed stably
            (of each label, for multi-label ``y``).
        """
        model = self._model()
        return get_head(model.config.head).log_output(self._logits(X, model))

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """Most probable class of each document, or its labels.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``; for multi-label ``y``, the indicator
            matrix of the labels whose probability exceeds one half.
        """
        model = self._model()
        head = get_head(model.config.head)
        predicted = head.predict(self._logits(X, model))
        return predicted if head.kind == "labels" else model.classes[predicted]

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

        With an n-gram companion (``ngram_range``), row ``t`` blends in the
        companion's probabilities of the same prefix, whose n-grams are those
        ending by token ``t``.  The stages of a document longer than
        ``max_length`` are the tokens that the network reads (its first
        ``max_length``, or its last with ``truncating="pre"``), while the
        companion reads the whole document: at row ``t`` the text before
        those tokens and their first ``t + 1``, at the last row the whole
        document, so that the last row is ``predict_proba`` of the document.

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
        return staged_outputs(self, X)

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
        the ``n_tokens`` variants of the document are predicted in batches
        of bounded memory.  (Gradient methods such as integrated gradients
        would need input gradients, which the network does not expose.)
        Occlusion's cost grows with the square of the document's length
        (``n_tokens`` passes of ``n_tokens`` steps): a document ten times
        longer takes a hundred times as long, and ``max_length`` bounds it
        (see :ref:`long-documents`).  With an n-gram companion
        (``ngram_range``), both views read the blended probabilities, the
        companion's of each prefix and of each document without a token
        included.  Of a document longer than ``max_length``, the tokens that
        the network reads are explained (see :meth:`staged_predict_proba`):
        the network reads them without token ``i``, the companion the whole
        document without it.

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

    def __setstate__(self, state):
        state = dict(state)
        # pickled before the n-gram companion: none, and the default weight,
        # which a companion turned on later blends by
        state.setdefault("ngram_range", None)
        state.setdefault("ngram_weight", "auto")
        # pickled before the geometric blend: as it predicted
        state.setdefault("ngram_blend", "arithmetic")
        # pickled before the companion read characters
        state.setdefault("char_ngram_range", None)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # ------------------------------------------------------- fitted attributes

    classes_ = _FittedAttribute(lambda model: model.classes)
    ngram_weight_ = _FittedAttribute(
        lambda model: None if model.ngrams is None else model.ngrams.weight,
        optional=True,
    )
