"""RNNTextRegressor: a recurrent network that predicts numbers from raw text."""

from collections.abc import Iterable, Iterator, Mapping
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils import check_array

from ._base import (
    TRAIN_ANEW,
    BaseRNNText,
    _FittedAttribute,
    _Registered,
    raveled_column,
)
from ._explain import RegressionExplanation, explain_document, staged_outputs
from ._text import DEFAULT_TOKEN_PATTERN
from ._warnings import warn
from .nn import HEADS
from .nn._heads import get_head

#: Standard deviations of the first call's targets (root mean square over a
#: later call's standardized targets) past which a warm start or a later
#: ``partial_fit`` call warns that the standardization does not fit them: a
#: representative chunk's are about 1.
FAR_TARGETS = 10.0


class _Losses(Mapping):
    """The regressor's losses by name, each with the head it trains.

    ``"squared_error"`` trains the ``"identity"`` head (MLPRegressor's names
    for the loss and for its ``out_activation_``); every other head of the
    ``"values"`` kind, ``"poisson"`` or one added with
    :func:`skrnn.nn.register_head`, is the loss of its own name.  A live
    view of :data:`skrnn.nn.HEADS`, so that a head registered after this
    module was imported is a loss.
    """

    def __getitem__(self, loss: str) -> str:
        if loss == "squared_error":
            return "identity"
        if (
            isinstance(loss, str)
            and loss != "identity"
            and loss in HEADS
            and HEADS[loss].kind == "values"
        ):
            return loss
        raise KeyError(loss)

    def __iter__(self) -> Iterator[str]:
        yield "squared_error"
        for name, head in HEADS.items():
            if head.kind == "values" and name not in ("identity", "squared_error"):
                yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)


#: The losses of ``RNNTextRegressor(loss=...)``, each with the name of the
#: output head it trains (see :class:`_Losses`).
LOSSES: Mapping[str, str] = _Losses()


def _check_magnitude(y: np.ndarray, dtype: np.dtype, *, centred: bool) -> None:
    """Refuse targets whose squares ``dtype`` cannot hold.

    ``centred``: the loss takes targets of any sign, which the message's
    StandardScaler gives (the Poisson deviance refuses negative ones).
    """
    largest = np.abs(y).max(initial=0.0)
    if largest <= np.sqrt(np.finfo(dtype).max):
        return
    if np.isnan(largest) or np.isinf(largest):
        # only under assume_finite=True, which skips check_array's test
        raise ValueError("y holds NaN or infinity; drop or fill those targets.")
    if centred:
        how, scaler = "", "StandardScaler"
    else:
        how, scaler = " down, keeping their sign", "MaxAbsScaler"
    raise ValueError(
        f"y holds values as large as {largest:.3g}, too large for "
        f"training in {dtype.name}. Scale the targets{how}, e.g. with "
        f"TransformedTargetRegressor(regressor, transformer={scaler}())"
        + (", or pass dtype=numpy.float64." if dtype != np.float64 else ".")
    )


def _check_precision(y: np.ndarray, dtype: np.dtype) -> None:
    """Refuse targets all too small for ``dtype``, trained on as they are.

    Below the smallest normal number of ``dtype`` they lose their precision
    or round to 0: a head that trains on the targets unstandardized (the
    Poisson deviance's) would fit zeros.  A few such targets among larger
    ones are as good as 0, and kept.
    """
    largest = np.abs(y).max(initial=0.0)
    if largest == 0 or largest >= np.finfo(dtype).tiny:
        return
    # (MaxAbsScaler leaves scales this small as they are)
    factor = f"1e{-int(np.floor(np.log10(largest)))}"
    raise ValueError(
        f"y holds values no larger than {largest:.3g}, too small for training "
        f"in {dtype.name}, which rounds them to 0. Scale the targets up, e.g. "
        f"with TransformedTargetRegressor(regressor, func=lambda y: y * "
        f"{factor}, inverse_func=lambda y: y / {factor})"
        + (", or pass dtype=numpy.float64." if dtype != np.float64 else ".")
    )


def loss_of_head(head: str) -> str:
    """The ``loss`` whose head is ``head``: what a regressor of it was fitted with."""
    return "squared_error" if head == "identity" else head


class RNNTextRegressor(RegressorMixin, BaseRNNText):
    """Recurrent neural network regressor of raw text.

    The network of :class:`RNNTextClassifier`, with an identity output layer
    trained on the squared error, or an exponential one trained on the
    Poisson deviance, as :class:`~sklearn.neural_network.MLPRegressor` is:
    it predicts one number (``y`` of shape (n_samples,)) or several (``y`` of
    shape (n_samples, n_outputs)) from a document, such as the rating of a
    review or the number of replies to a post.  The two estimators differ in
    their output head and its loss, and in nothing else: every parameter but
    ``loss`` and the classifier's ``class_weight`` and n-gram companion is
    the classifier's and means the same.

    Parameters
    ----------
    loss : {"squared_error", "poisson"} or str, default="squared_error"
        The loss, and with it the output head, as MLPRegressor's ``loss``:
        ``"squared_error"``, half the mean squared error of the outputs
        ``f(x) = z`` (the ``"identity"`` head); ``"poisson"``, half the
        Poisson deviance of the rates ``f(x) = exp(z)`` (the ``"poisson"``
        head), for counts and other targets ``y >= 0``; or the name of a
        head of the ``"values"`` kind added with
        :func:`skrnn.nn.register_head` (see :ref:`adding-a-head`).
    cell, hidden_size, embedding_dim, num_layers, bidirectional, pooling, \
dropout, input_dropout, embeddings, freeze_embeddings : see RNNTextClassifier
        The network, as for :class:`RNNTextClassifier`.
    lowercase, preprocessor, tokenizer, token_pattern, analyzer, \
strip_accents, stop_words, min_df, max_df, max_features, vocabulary : \
see SequenceVectorizer
        The text parameters, as for :class:`RNNTextClassifier`.
    max_length, truncating : see RNNTextClassifier
        As for :class:`RNNTextClassifier`: by default, documents are read up
        to their 1000th token.
    solver, learning_rate_init, learning_rate, power_t, momentum, \
nesterovs_momentum, beta_1, beta_2, epsilon, alpha, clip_value, clip_norm, \
adversarial_epsilon, batch_size, max_iter, shuffle, tol, n_iter_no_change : \
see RNNTextClassifier
        The training, as for :class:`RNNTextClassifier`, on the loss that
        ``loss`` names, weighted by ``sample_weight``: with
        ``"squared_error"``, ``sum_i w_i mean_k (f_k(x_i) - y_ik)**2 /
        (2 sum_i w_i)`` of the standardized targets (see Notes), with
        ``"poisson"``, ``sum_i w_i sum_k (y_ik log(y_ik / f_k(x_i)) - y_ik +
        f_k(x_i)) / sum_i w_i`` (``MLPRegressor``'s).
    early_stopping : "auto" or bool, default="auto"
        Hold out ``validation_fraction`` of the training data (not
        stratified), stop when its R^2 stops improving, and keep the weights
        of the best epoch.  "auto" turns it on from 1000 training documents,
        unless ``learning_rate="cosine"`` (the default), and off for a
        network whose held-out part, or the part left to train on, has only
        samples of weight 0.
    validation_fraction, warm_start, n_estimators, n_jobs, random_state, verbose, \
dtype : see RNNTextClassifier
        As for :class:`RNNTextClassifier`; ``verbose`` prints the training
        and validation R^2, and an ensemble (``n_estimators > 1``) predicts
        the mean of its members' predictions.

    Attributes
    ----------
    n_outputs_ : int
        Number of values predicted per document.
    vectorizer_ : SequenceVectorizer
        The fitted vectorizer.
    weights_ : dict of str to ndarray
        The network's weights by name, as for :class:`RNNTextClassifier`;
        ``head.W_hy`` has ``n_outputs_`` columns.  Member 0's for an
        ensemble, as are the attributes below.  With
        ``loss="squared_error"``, those of the standardized targets (see
        Notes).
    estimators_weights_ : list of dict of str to ndarray
        The weights of every member of the ensemble, ``weights_`` first.
    n_iter_ : int
        Number of epochs run.
    t_ : int
        Number of training samples seen.
    loss_curve_ : list of float
        Mean training loss of every epoch (of the standardized targets with
        ``loss="squared_error"``, see Notes).
    best_loss_ : float or None
        Lowest training loss (None with early stopping).
    validation_scores_ : list of float or None
        Validation R^2 of every epoch (None without early stopping).
    best_validation_score_ : float or None
        Best validation R^2 (None without early stopping).
    embeddings_coverage_ : float
        Share of the vocabulary that found a pre-trained vector (only when
        ``embeddings`` is given).

    See Also
    --------
    RNNTextClassifier : The same network for class labels.
    sklearn.neural_network.MLPRegressor : The feed-forward network whose
        training parameters and attributes this estimator shares.

    Notes
    -----
    ``score`` and early stopping use R^2 of the predictions whatever the
    loss, as MLPRegressor does; the Poisson deviance's own measures of fit
    are :func:`sklearn.metrics.mean_poisson_deviance` (in a search,
    ``scoring="neg_mean_poisson_deviance"``) and
    :func:`~sklearn.metrics.d2_tweedie_score` with ``power=1``.

    With ``loss="squared_error"``, the network trains on each output
    standardized, ``(y - mean) / std`` with the weighted mean and standard
    deviation of the first fit (or first ``partial_fit``), which warm starts
    and later ``partial_fit`` calls keep (they warn when their targets lie
    more than 10 of those standard deviations away, root mean square: a
    first chunk that did not span the targets), and its outputs are mapped
    back:
    predictions, staged predictions and explanations are in the targets'
    units, and a fit on ``a * y + b`` predicts ``a`` times a fit on ``y``,
    plus ``b`` (the learning rate, clipping and Adam are tuned for targets of
    a unit or so; on a spread of 1,000 the raw squared error lost half its
    R^2).  ``loss_curve_`` and ``best_loss_`` are the losses of the
    standardized targets, and ``weights_`` their weights; ``score`` and
    ``validation_scores_`` (R^2) are the same on either scale.  The Poisson
    deviance trains on the counts as they are.

    Examples
    --------
    >>> from skrnn import RNNTextRegressor
    >>> X = ["a good film", "a bad film", "a very good film", "a very bad film"] * 5
    >>> y = [1.0, -1.0, 2.0, -2.0] * 5
    >>> reg = RNNTextRegressor(random_state=0).fit(X, y)
    >>> (reg.predict(["a very good film", "a very bad film"]) > 0).tolist()
    [True, False]
    """

    _head_kinds: ClassVar[tuple[str, ...]] = ("values",)

    _parameter_constraints: ClassVar[dict] = {
        **BaseRNNText._parameter_constraints,
        "loss": [
            _Registered(
                LOSSES,
                "losses ('squared_error' and the heads of the 'values' kind "
                "registered with skrnn.nn.register_head)",
            )
        ],
    }

    def __init__(
        self,
        *,
        loss="squared_error",
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
        self.loss = loss

    # ------------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: Iterable[str],
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> "RNNTextRegressor":
        """Learn the vocabulary and train the network on raw text.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents: a list, 1-D array or pandas Series of strings.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values, finite numbers.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the documents in the loss; None weighs them all 1.

        Returns
        -------
        self : RNNTextRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X: Iterable[str],
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> "RNNTextRegressor":
        """Train for one epoch on a chunk of documents.

        The first call fixes the number of outputs and the vocabulary (pass
        ``vocabulary=`` to fix it in advance); later calls continue the
        optimizer of the first, as for :meth:`RNNTextClassifier.partial_fit`.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the documents in the loss.

        Returns
        -------
        self : RNNTextRegressor
            The updated estimator.
        """
        # (True, or numpy's True, but not "auto")
        if not isinstance(self.early_stopping, str) and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True, as in "
                "MLPRegressor: there is no held-out set across chunks. Set "
                "early_stopping=False, or score held-out data yourself."
            )
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    # ------------------------------------------------------------- handling y

    def _check_y(self, y):
        """``y`` as a float array of 1 or 2 dimensions; a column is raveled.

        Checked by the head of ``loss`` too (the Poisson deviance's refuses
        negative values), and against the range of the weights' ``dtype``.
        """
        y = check_array(
            y, ensure_2d=False, dtype=np.float64, input_name="y", estimator=self
        )
        y = raveled_column(y)
        if y.ndim not in (1, 2) or not y.shape[-1]:
            raise ValueError(
                f"y must have shape (n_samples,) or (n_samples, n_outputs); "
                f"got {y.shape}."
            )
        head = get_head(LOSSES[self.loss])
        if head.check_y is not None:
            head.check_y(y.reshape(len(y), -1))
        dtype = self._check_dtype()
        if head.standardize_y:
            # trained on in units of its spread, computed in float64
            _check_magnitude(y, np.dtype(np.float64), centred=True)
        else:
            _check_magnitude(y, dtype, centred=False)
            _check_precision(y, dtype)
        return y

    def _new_outputs(self, y, classes):
        """No classes, the number of outputs, and the head that ``loss`` names.

        A subclass that sets ``heads``, which picked the head before the
        ``loss`` parameter, is refused: it would train the head of ``loss``
        silently.
        """
        heads = getattr(type(self), "heads", None)
        if heads is not None:
            name = type(self).__name__
            raise TypeError(
                f"{name} sets heads, which RNNTextRegressor does not read: its "
                "head is the one its loss parameter names. Remove heads from "
                f"{name} and pass loss={dict(heads).get('values')!r:.60}."
            )
        return None, 1 if y.ndim == 1 else y.shape[1], LOSSES[self.loss]

    def _encode_y(self, y, model, sample_weight):
        """``y`` as floats of shape (n_samples, n_outputs), in the weights' type.

        Standardized by the model's ``target_scaling``, if it has one; the
        targets of samples of weight 0, which the loss and its gradient
        ignore whatever their value, as 0, so that their squares stay finite
        however far they lie.
        """
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if n_outputs != model.config.n_outputs:
            raise ValueError(
                f"y has {n_outputs} output(s), but the fitted network predicts "
                f"{model.config.n_outputs}; {TRAIN_ANEW} one."
            )
        targets = y.reshape(len(y), n_outputs)
        dtype = model.weights["head.b_y"].dtype
        if model.target_scaling is None:
            # (a model of a head without standardize_y, or saved before it)
            _check_magnitude(targets, dtype, centred=self.loss == "squared_error")
            _check_precision(targets, dtype)
            return targets.astype(dtype)
        targets = model.target_scaling.transform(targets)
        targets[sample_weight == 0] = 0.0
        largest = np.abs(targets).max(initial=0.0)
        if largest > np.sqrt(np.finfo(dtype).max):
            # a warm start or later partial_fit call: a first fit's are ~1
            raise ValueError(
                f"The targets of this call lie up to {largest:.3g} standard "
                "deviations from the mean of those the model's standardization "
                "was fitted on, in its first fit or partial_fit call: too far "
                f"to train on in {dtype.name}. Make the first call's targets "
                "span the range of the others, or fit on all the data at once."
            )
        return targets.astype(dtype)

    def _training_weights(self, y, sample_weight):
        return sample_weight

    def _check_continued_targets(self, targets, sample_weight, model):
        """Warn when standardized targets are far from those of the scaling.

        The scaling was fitted on the first fit or ``partial_fit`` call: a
        later chunk whose targets lie, on average (the weighted root mean
        square of the standardized targets), more than
        :data:`FAR_TARGETS` of its standard deviations from its mean shows a
        first chunk that did not span the targets (a few near-equal values),
        on whose scale the network then trains badly.
        """
        if model.target_scaling is None or not sample_weight.any():
            return
        with np.errstate(over="ignore"):  # inf is far enough
            squares = np.square(targets.astype(np.float64)).mean(axis=1)
            spread = float(np.sqrt(np.average(squares, weights=sample_weight)))
        if spread > FAR_TARGETS:
            warn(
                f"The targets of this call lie {spread:.3g} standard deviations "
                "(root mean square) from the mean of those the model's "
                "standardization was fitted on, in its first fit or partial_fit "
                "call: the network trains on them in that call's units and may "
                "fit them poorly. Make the first call's targets span the range "
                "of the others, or fit on all the data at once.",
                UserWarning,
            )

    def _min_validation(self, targets):
        """R^2 needs two held-out samples."""
        return 2

    def _split_validation(self, data, seed):
        """The hold-out of early stopping, refused if R^2 is undefined on it.

        On one sample R^2 is 0 whatever the predictions, so training would
        stop after ``n_iter_no_change`` epochs and keep the first epoch's
        weights.
        """
        train, validation = super()._split_validation(data, seed)
        if validation is None:  # (early_stopping="auto" held nothing out)
            return train, validation
        n_min = self._min_validation(validation.y)
        if len(validation.y) < n_min:
            raise ValueError(
                f"early_stopping holds out validation_fraction="
                f"{self.validation_fraction} of {len(data.y)} samples, "
                f"{len(validation.y)} sample, on which R^2 is not defined (it "
                f"needs {n_min}); pass more samples, a larger "
                "validation_fraction, or early_stopping=False."
            )
        return train, validation

    def _stratify(self, targets, *, tell=False):
        return None

    def _changed_since_fit(self):
        """As for the classifier, and ``loss``, which picked the fitted head."""
        changed = super()._changed_since_fit()
        fitted = loss_of_head(self._fitted.config.head)
        if self.loss != fitted:
            changed["loss"] = fitted
        return changed

    def __setstate__(self, state):
        super().__setstate__(state)
        # pickled before the loss parameter: the loss of its head
        if "loss" not in vars(self):
            model = vars(self).get("_fitted")
            self.loss = (
                "squared_error" if model is None else loss_of_head(model.config.head)
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # y of shape (n_samples, n_outputs) is one network's outputs
        tags.target_tags.multi_output = True
        # the Poisson deviance refuses y < 0, as PoissonRegressor's tags say
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags

    # ---------------------------------------------------------------- predicting

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """Predicted values of each document.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One value per document, or ``n_outputs_`` if ``y`` had several
            columns.
        """
        model = self._model()
        outputs = get_head(model.config.head).predict(self._logits(X, model))
        return outputs[:, 0] if outputs.shape[1] == 1 else outputs

    # ---------------------------------------------------------------- explaining

    def staged_predict(self, X: Iterable[str]) -> list[np.ndarray]:
        """Predicted values after each token of each document.

        Row ``t`` of a document's array is ``predict`` of its first
        ``t + 1`` tokens: the last row is the prediction of the whole
        document.  Computed as :meth:`RNNTextClassifier.staged_predict_proba`
        is.

        Parameters
        ----------
        X : iterable of str of length n_samples
            Documents.

        Returns
        -------
        list of ndarray of shape (n_tokens,) or (n_tokens, n_outputs)
            One array per document; a document without tokens gives an empty
            array.

        Examples
        --------
        >>> from skrnn import RNNTextRegressor
        >>> X = ["a good film", "a bad film"] * 10
        >>> reg = RNNTextRegressor(random_state=0).fit(X, [1.0, -1.0] * 10)
        >>> [values.shape for values in reg.staged_predict(["a good film", ""])]
        [(3,), (0,)]
        """
        staged = staged_outputs(self, X)
        if self._fitted.config.n_outputs == 1:
            return [values[:, 0] for values in staged]
        return staged

    def explain(self, text: str, *, method: str = "occlusion") -> RegressionExplanation:
        """Explain the prediction of one document, token by token.

        The values predicted after each token (see :meth:`staged_predict`),
        and the importance of each token by leave-one-out occlusion: the
        attribution of token ``i`` is ``f(doc) - f(doc without token i)``,
        positive for tokens that pushed the prediction up, for each output.
        See :meth:`RNNTextClassifier.explain` for the method and its cost.

        Parameters
        ----------
        text : str
            One document.
        method : {"occlusion"}, default="occlusion"
            How the attributions are computed.

        Returns
        -------
        RegressionExplanation
            A dataclass with the fields ``tokens``, ``token_ids``,
            ``staged_prediction``, ``prediction``, ``attributions`` and
            ``method``; ``str(explanation)`` is a table of them.

        Examples
        --------
        >>> from skrnn import RNNTextRegressor
        >>> X = ["a good film", "a bad film"] * 10
        >>> reg = RNNTextRegressor(random_state=0).fit(X, [1.0, -1.0] * 10)
        >>> explanation = reg.explain("a good film")
        >>> explanation.tokens[int(explanation.attributions.argmax())]
        'good'
        """
        return explain_document(self, text, method=method)

    # ------------------------------------------------------- fitted attributes

    n_outputs_ = _FittedAttribute(lambda model: model.config.n_outputs)
