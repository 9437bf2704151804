"""Explaining predictions: the belief after each word, and which words mattered.

Two views of one prediction, both defined by what the model *predicts* on
modified inputs, so that they mean the same for every cell, pooling and
direction:

* **Staged probabilities.**  Row ``t`` of a document's staged probabilities is
  ``predict_proba`` of its prefix of ``t + 1`` tokens: the belief after reading
  that far.  The last row is the prediction on the whole document.
* **Leave-one-out occlusion.**  The attribution of token ``i`` is
  ``p(c | doc) - p(c | doc without token i)`` for the predicted class ``c``;
  the token is deleted (the document gets one token shorter), not replaced.
  Positive values are tokens that pushed the prediction towards ``c``.
  For the other output heads, every output is explained:
  ``f_k(doc) - f_k(doc without token i)`` for each label's probability
  (multi-label) or each predicted value (regression).

Integrated gradients would need the gradient of the probabilities in the
embedded inputs, which the numpy core does not expose (``loss_and_grad``
returns parameter gradients only); occlusion needs forward passes only, so it
is the method here.

Everything is vectorised: the prefixes, or the leave-one-out variants, of a
document are run as batches of the prediction forward pass
(:func:`~skrnn.nn.predict_forward`), built a group of at most
:data:`EXPLAIN_BATCH_TOKENS` tokens at a time, so that memory stays bounded
whatever the document's length.  Time grows with the square of the length:
``n`` variants of ``n - 1`` tokens.
"""

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._batching import length_runs, length_sorted, pad_batch
from ._ngrams import (
    NgramModel,
    ngram_logits,
    occluded_ngram_logits,
    staged_ngram_logits,
)
from ._prediction import (
    VocabularyTables,
    blended_logits,
    predict_logits,
    prediction_batch_size,
    vocabulary_tables,
)
from ._text import check_text
from ._threads import single_threaded_blas
from .nn import NetworkConfig, predict_forward, staged_forward
from .nn._heads import get_head

__all__ = [
    "EXPLAIN_METHODS",
    "Explanation",
    "RegressionExplanation",
    "explain_document",
    "explain_documents",
    "occlusion_attributions",
    "prefix_logits",
    "staged_logits",
    "staged_outputs",
]

Params = dict[str, np.ndarray]

#: Attribution methods accepted by :func:`explain_document`.
EXPLAIN_METHODS = ("occlusion",)

#: Tokens of the occlusion variants, or of the prefixes, of a document that
#: are built and predicted together: 32 MB of token ids, and as many variants
#: of a long document (139 of 30,000 tokens) as keep the steps' products
#: efficient.  Memory stays bounded whatever the document's length.
EXPLAIN_BATCH_TOKENS = 2**22

#: Padded positions of a batch of the one-pass staged logits, which keep the
#: states of every step (some 1,000 bytes a position with the defaults): a
#: longer document is a batch of its own.
STAGED_BATCH_POSITIONS = 2**15


def _output(config: NetworkConfig):
    """The head's output function, in float64 as ``predict_proba`` gives it."""
    output = get_head(config.head).output
    return lambda logits: output(np.asarray(logits, dtype=np.float64))


@dataclass(frozen=True, eq=False)
class Explanation:
    """How a model read one document, and which of its tokens mattered.

    Parameters
    ----------
    tokens : list of str
        The tokens as the vectorizer sees them (after preprocessing, stop-word
        removal and ``max_length`` truncation); words outside the vocabulary
        are shown as they are, although the model reads them as ``<unk>``.
    token_ids : ndarray of int of shape (n_tokens,)
        The ids the model reads, one per token.
    staged_proba : ndarray of shape (n_tokens, n_classes)
        Row ``t``: class probabilities predicted for the prefix
        ``tokens[: t + 1]``.
    prediction : object
        The predicted class label, from ``classes``; for a multi-label
        model, the indicator row of the predicted labels.
    proba : ndarray of shape (n_classes,)
        Class probabilities of the whole document (of each label, for a
        multi-label model).
    attributions : ndarray of shape (n_tokens,) or (n_tokens, n_labels)
        Importance of each token for the predicted class, by ``method``; for
        a multi-label model, for each label's probability.
    method : str
        How the attributions were computed: ``"occlusion"``, that is
        ``p(prediction | doc) - p(prediction | doc without token i)``.
    classes : ndarray of shape (n_classes,)
        The class labels, in the order of the probability columns.
    """

    tokens: list[str]
    token_ids: np.ndarray
    staged_proba: np.ndarray
    prediction: Any
    proba: np.ndarray
    attributions: np.ndarray
    method: str
    classes: np.ndarray

    @property
    def multilabel(self) -> bool:
        """Whether the model gives each label its own probability."""
        return self.attributions.ndim == 2

    @property
    def predicted_index(self) -> int:
        """Column of the predicted class in ``proba`` and ``staged_proba``."""
        if self.multilabel:
            raise ValueError(
                "A multi-label explanation has no single predicted class: each "
                "label has its column in staged_proba and attributions."
            )
        return int(np.flatnonzero(self.classes == self.prediction)[0])

    def to_text(self) -> str:
        """A plain-text table: one line per token, then the prediction.

        Returns
        -------
        str
            For each token: its position, the token, ``p(prediction)`` after
            reading it, and its attribution.  A token that is white space or
            holds unprintable characters (such as ``analyzer="char"`` makes)
            is shown as its Python literal, such as ``' '``, and so is such
            a class label.  A multi-label
            explanation has a pair of columns per label.
        """
        if self.multilabel:
            return self._multilabel_text()
        k = self.predicted_index
        tokens = [_displayed(token) for token in self.tokens]
        width = max([5, *map(_display_width, tokens)])
        label = _displayed(str(self.prediction))
        belief = f"p({label})"
        p_width = max(9, _display_width(belief))
        m_width = max(9, len(self.method))
        header = f"{'#':>3}  {'token':<{width}}  {_padded(belief, p_width, '>')}  "
        lines = [header + f"{self.method:>{m_width}}"]
        for t, token in enumerate(tokens):
            lines.append(
                f"{t:>3}  {_padded(token, width, '<')}  "
                f"{self.staged_proba[t, k]:>{p_width}.3f}  "
                f"{self.attributions[t]:>+{m_width}.3f}"
            )
        lines.append(f"prediction: {label} (p = {self.proba[k]:.3f})")
        return "\n".join(lines)

    def _multilabel_text(self) -> str:
        tokens = [_displayed(token) for token in self.tokens]
        width = max([5, *map(_display_width, tokens)])
        names = [f"[{label}]" for label in self.classes]
        m_width = max(10, *(len(self.method + name) for name in names))
        header = f"{'#':>3}  {'token':<{width}}"
        for name in names:
            header += f"  {'p' + name:>9}  {self.method + name:>{m_width}}"
        lines = [header]
        for t, token in enumerate(tokens):
            line = f"{t:>3}  {_padded(token, width, '<')}"
            for k in range(len(names)):
                line += (
                    f"  {self.staged_proba[t, k]:>9.3f}"
                    f"  {self.attributions[t, k]:>+{m_width}.3f}"
                )
            lines.append(line)
        labels = self.classes[np.asarray(self.prediction, dtype=bool)].tolist()
        p = ", ".join(f"{value:.3f}" for value in self.proba)
        lines.append(f"prediction: labels {labels} (p = {p})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True, eq=False)
class RegressionExplanation:
    """How a regressor read one document, and which of its tokens mattered.

    Parameters
    ----------
    tokens : list of str
        The tokens as the vectorizer sees them (see :class:`Explanation`).
    token_ids : ndarray of int of shape (n_tokens,)
        The ids the model reads, one per token.
    staged_prediction : ndarray of shape (n_tokens,) or (n_tokens, n_outputs)
        Row ``t``: the values predicted for the prefix ``tokens[: t + 1]``.
    prediction : float or ndarray of shape (n_outputs,)
        The values predicted for the whole document, as ``predict`` gives
        them.
    attributions : ndarray of shape (n_tokens,) or (n_tokens, n_outputs)
        ``f(doc) - f(doc without token i)`` for each token ``i`` (and each
        output): positive values pushed the prediction up.
    method : str
        How the attributions were computed: ``"occlusion"``.
    """

    tokens: list[str]
    token_ids: np.ndarray
    staged_prediction: np.ndarray
    prediction: Any
    attributions: np.ndarray
    method: str

    def to_text(self) -> str:
        """A plain-text table: one line per token, then the prediction.

        Returns
        -------
        str
            For each token: its position, the token, the prediction after
            reading it and its attribution (a pair of columns per output).
        """
        tokens = [_displayed(token) for token in self.tokens]
        width = max([5, *map(_display_width, tokens)])
        # the prediction counts the outputs: an empty document has no rows
        n_outputs = np.size(self.prediction)
        staged = self.staged_prediction.reshape(len(tokens), n_outputs)
        attributions = self.attributions.reshape(len(tokens), n_outputs)
        names = [""] if n_outputs == 1 else [f"[{k}]" for k in range(n_outputs)]
        f_width = 9
        m_width = max(10, len(self.method + names[-1]))
        header = f"{'#':>3}  {'token':<{width}}"
        for name in names:
            header += f"  {'f' + name:>{f_width}}  {self.method + name:>{m_width}}"
        lines = [header]
        for t, token in enumerate(tokens):
            line = f"{t:>3}  {_padded(token, width, '<')}"
            for k in range(n_outputs):
                line += (
                    f"  {staged[t, k]:>{f_width}.3f}"
                    f"  {attributions[t, k]:>+{m_width}.3f}"
                )
            lines.append(line)
        values = ", ".join(f"{v:.3f}" for v in np.ravel(self.prediction))
        lines.append(f"prediction: {values}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _displayed(token: str) -> str:
    """The token as a table shows it: its literal if it is blank or unprintable."""
    if token and token.isprintable() and token.strip() == token:
        return token
    return repr(token)


def _display_width(text: str) -> int:
    """The columns of a terminal that ``text`` takes.

    A wide or full-width character (East Asian scripts, most emoji) takes
    two, a combining mark none, any other character one: ``len`` counted
    one for each, and the table's columns came apart.
    """
    return sum(
        0
        if unicodedata.category(char) in ("Mn", "Me")
        else 2
        if unicodedata.east_asian_width(char) in ("W", "F")
        else 1
        for char in text
    )


def _padded(text: str, width: int, align: str) -> str:
    """``text`` filled with spaces to ``width`` columns, after it for ``"<"``."""
    fill = " " * max(0, width - _display_width(text))
    return text + fill if align == "<" else fill + text


# ------------------------------------------------------------ array functions


def staged_logits(
    params: Params, sequences: Sequence[np.ndarray], config: NetworkConfig
) -> list[np.ndarray]:
    """Logits of every prefix of every sequence.

    For a unidirectional network the prefixes are read in one pass, pooling
    the hidden states as they come: with ``"last"`` pooling the logits at
    ``t`` are the output layer applied to ``h_t``, with ``"mean"`` to the
    running mean of ``h_1..h_t``, with ``"max"`` to their running element-wise
    maximum.  Since ``h_t`` depends on the first ``t`` tokens only, each of
    these is exactly the model's output on the prefix.  A bidirectional
    network's backward direction reads each prefix from its own end, so every
    prefix is run through the network on its own (see :func:`prefix_logits`).

    Parameters
    ----------
    params : dict of ndarray
        The network's parameters (read only).
    sequences : sequence of 1-D int arrays
        Token ids of each document.
    config : NetworkConfig
        The architecture.

    Returns
    -------
    list of ndarray of shape (n_tokens, n_classes)
        One array per sequence: row ``t`` holds the logits of ``seq[: t + 1]``.
        An empty sequence gives an array of shape (0, n_classes).
    """
    if config.bidirectional:
        return prefix_logits(params, sequences, config)
    return _running_logits(params, sequences, config)


def prefix_logits(
    params: Params, sequences: Sequence[np.ndarray], config: NetworkConfig
) -> list[np.ndarray]:
    """Logits of every prefix of every sequence, each run through the network.

    The general definition behind :func:`staged_logits`, valid for any
    architecture: the prefixes ``seq[:n], ..., seq[:1]`` of each sequence are
    built and predicted in groups of at most :data:`EXPLAIN_BATCH_TOKENS`
    tokens.  A document of ``n`` tokens costs ``n (n + 1) / 2`` token steps
    instead of the ``n`` of the one-pass path, so about ``(n + 1) / 2`` times
    a plain prediction (some 10 times for a 20-token sentence); memory stays
    bounded whatever ``n``.

    Parameters
    ----------
    params : dict of ndarray
        The network's parameters (read only).
    sequences : sequence of 1-D int arrays
        Token ids of each document.
    config : NetworkConfig
        The architecture.

    Returns
    -------
    list of ndarray of shape (n_tokens, n_classes)
        One array per sequence: row ``t`` holds the logits of ``seq[: t + 1]``.
    """
    dtype = params["head.b_y"].dtype
    result = []
    for seq in sequences:
        logits = np.empty((len(seq), config.n_outputs), dtype)
        # Longest first, as a batch wants them: prefix lengths stop..start+1.
        for start, stop in _prefix_groups(len(seq)):
            lengths = np.arange(stop, start, -1)
            steps = np.arange(stop)[:, None]
            ids = np.where(steps < lengths, seq[:stop, None], 0)
            logits[start:stop] = predict_forward(params, ids, lengths, config)[::-1]
        result.append(logits)
    return result


def occlusion_attributions(
    params: Params | Sequence[Params],
    sequences: Sequence[np.ndarray],
    config: NetworkConfig,
    ngrams: NgramModel | None = None,
    ngram_weight: float = 0.0,
    ngram_blend: str = "geometric",
    contexts: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    tables: VocabularyTables | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Leave-one-out occlusion: how much each token raises the predicted class.

    Every sequence and its ``n`` variants without one token are predicted;
    the attribution of token ``i`` is
    ``p(c | seq) - p(c | seq without token i)`` for the class ``c`` predicted
    for the whole sequence (by the head's ``predict``, as the estimator's
    ``predict`` gives it).  Deleting a token shifts the
    later ones one step earlier, which is what "the document without that
    word" means to a recurrent network; the attributions need not sum to
    anything in particular.  Removing the only token of a one-token sequence
    leaves the empty sequence, whose probabilities are ``softmax(b_y)``.

    With a head of the ``"labels"`` or ``"values"`` kind (logistic,
    identity), every output is explained alike: the
    attributions of a sequence are ``f(seq) - f(seq without token i)`` for
    every output ``f`` (a label's probability, a predicted value), an array
    of shape (n_tokens, n_outputs).

    The variants of a sequence are built and predicted in groups of at most
    :data:`EXPLAIN_BATCH_TOKENS` tokens, so memory stays bounded whatever its
    length; time grows with its square (``n`` variants of ``n - 1`` steps).

    Parameters
    ----------
    params : dict of ndarray, or sequence of them
        The network's parameters (read only), or those of each member of an
        ensemble, whose outputs are averaged.
    sequences : sequence of 1-D int arrays
        Token ids of each document.
    config : NetworkConfig
        The architecture.
    ngrams : NgramModel or None, default=None
        An n-gram companion whose outputs are blended with the network's
        (see :func:`~skrnn._prediction.blended_logits`), variants included.
    ngram_weight : float, default=0.0
        The companion's weight in the blend.
    ngram_blend : {"geometric", "arithmetic"}, default="geometric"
        How the companion is blended.
    contexts : sequence of (ndarray, ndarray), optional
        For a companion that reads whole documents of which the sequences are
        the network's windows (``max_length``), the ids before and after each
        window: the companion reads ``head + variant + tail``, so that only
        the window's tokens are explained, and the whole documents' outputs
        are those of prediction.  None: the sequences are the documents.
    tables : VocabularyTables, optional
        Where fitted networks keep their vocabulary's table, as prediction
        reads them (:func:`~skrnn._prediction.vocabulary_tables`): the whole
        sequences' outputs are then prediction's, to the bit.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_outputs)
        Class probabilities (the head's outputs) of the whole sequences.
    attributions : list of ndarray of shape (n_tokens,) or (n_tokens, n_outputs)
        One array per sequence, in ``[-1, 1]`` for probabilities.
    """
    _, proba, attributions = _occlusion(
        params, sequences, config, ngrams, ngram_weight, ngram_blend, contexts, tables
    )
    return proba, attributions


def _occlusion(
    params: Params | Sequence[Params],
    sequences: Sequence[np.ndarray],
    config: NetworkConfig,
    ngrams: NgramModel | None = None,
    ngram_weight: float = 0.0,
    ngram_blend: str = "geometric",
    contexts: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    tables: VocabularyTables | None = None,
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """:func:`occlusion_attributions`, and what ``predict`` makes of the sequences.

    The head's ``predict`` of the whole sequences' logits, first: class
    indices, a label indicator, or values.
    """
    members = [params] if isinstance(params, Mapping) else list(params)
    output = _output(config)
    empty = np.empty(0, np.intp)
    if contexts is None or ngrams is None:
        contexts = [(empty, empty)] * len(sequences)

    def blend(logits, companion):
        return blended_logits(logits, config.head, companion, ngram_weight, ngram_blend)

    documents = [
        np.concatenate([head, seq, tail]) if len(head) or len(tail) else seq
        for seq, (head, tail) in zip(sequences, contexts, strict=True)
    ]
    logits = blend(
        [predict_logits(p, sequences, config, tables=tables) for p in members],
        None if ngrams is None else ngram_logits(ngrams, documents),
    )
    proba = output(logits)
    by_class = get_head(config.head).kind == "classes"
    # the class that predict gives, by the head's rule
    predicted = _predicted(config, logits)
    attributions = []
    for seq, document, p, c, context in zip(
        sequences, documents, proba, predicted, contexts, strict=True
    ):
        drop = np.empty((len(seq),) if by_class else (len(seq), len(p)), proba.dtype)
        n_steps = max(0, len(seq) - 1)
        for start, stop in _occlusion_groups(len(seq)):
            # Column k is seq without its token start + k: earlier tokens
            # stay in place, later ones move one step earlier.
            steps = np.arange(n_steps)[:, None]
            ids = np.where(
                steps < np.arange(start, stop), seq[:-1, None], seq[1:, None]
            )
            lengths = np.full(stop - start, n_steps)
            companion = None
            if ngrams is not None and document is seq:
                companion = ngram_logits(ngrams, list(ids.T))
            elif ngrams is not None:
                # the whole document without the token: the n-grams it
                # changes, whose cost is not that of the document
                at = len(context[0])
                companion = occluded_ngram_logits(
                    ngrams, document, at + start, at + stop
                )
            out = output(
                blend(
                    [predict_forward(p, ids, lengths, config) for p in members],
                    companion,
                )
            )
            drop[start:stop] = p[c] - out[:, c] if by_class else p - out
        attributions.append(drop)
    return predicted, proba, attributions


def _predicted(config: NetworkConfig, logits: np.ndarray) -> np.ndarray:
    """What the estimator's ``predict`` makes of logits: the head's ``predict``.

    Class indices for the ``"classes"`` kind, the indicator of the predicted
    labels for ``"labels"``, by the head's own rule (a registered head may
    predict otherwise than the most probable class, or the labels above one
    half).
    """
    return get_head(config.head).predict(np.asarray(logits, dtype=np.float64))


def _occlusion_groups(n_tokens: int) -> list[tuple[int, int]]:
    """Ranges of the tokens whose variants are predicted together."""
    size = max(1, EXPLAIN_BATCH_TOKENS // max(1, n_tokens - 1))
    return [(i, min(i + size, n_tokens)) for i in range(0, n_tokens, size)]


def _prefix_groups(n_tokens: int) -> list[tuple[int, int]]:
    """Ranges of the prefixes predicted together (``t`` for ``seq[: t + 1]``)."""
    groups = []
    stop = n_tokens
    while stop > 0:
        start = max(0, stop - max(1, EXPLAIN_BATCH_TOKENS // stop))
        groups.append((start, stop))
        stop = start
    return groups


def _running_logits(
    params: Params, sequences: Sequence[np.ndarray], config: NetworkConfig
) -> list[np.ndarray]:
    """One-pass staged logits of a unidirectional network, batched by length."""
    lengths = np.fromiter((len(s) for s in sequences), np.intp, len(sequences))
    dtype = params["head.b_y"].dtype
    result = [np.empty((0, config.n_outputs), dtype) for _ in sequences]
    order = length_sorted(lengths, np.flatnonzero(lengths))
    for idx in length_runs(order, lengths, _staged_batch_size):
        ids, batch_lengths = pad_batch([sequences[i] for i in idx])
        logits = staged_forward(params, ids, batch_lengths, config)
        for column, i in enumerate(idx):
            result[i] = np.ascontiguousarray(logits[: lengths[i], column])
    return result


def _staged_batch_size(length: int) -> int:
    """Documents per batch of :func:`staged_forward`, which keeps every step."""
    bound = max(1, STAGED_BATCH_POSITIONS // max(1, length))
    return min(prediction_batch_size(length), bound)


def _split(rows: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    """Cut the rows of an array into consecutive blocks of the given sizes."""
    return np.split(rows, np.cumsum(sizes)[:-1]) if len(sizes) else []


# ---------------------------------------------------------- estimator functions


def staged_outputs(estimator: Any, X: Iterable[str]) -> list[np.ndarray]:
    """The head's outputs after each token of each document.

    Parameters
    ----------
    estimator : RNNTextClassifier or RNNTextRegressor
        A fitted estimator.
    X : iterable of str of length n_samples
        Documents.

    Returns
    -------
    list of ndarray of shape (n_tokens, n_outputs)
        Class or label probabilities, or predicted values: see
        :meth:`RNNTextClassifier.staged_predict_proba` and
        :meth:`RNNTextRegressor.staged_predict`.
    """
    model = estimator._model()
    whole = model.vectorizer._transform_whole(check_text(X))
    sequences = model.vectorizer._window(whole)
    blend = estimator._companion_blend(model)
    return [
        _output(model.config)(block)
        for block in _staged_ensemble(model, sequences, whole, *blend)
    ]


def _staged_ensemble(
    model: Any,
    sequences: Sequence[np.ndarray],
    whole: Sequence[np.ndarray],
    ngram_weight: float,
    ngram_blend: str = "geometric",
) -> list[np.ndarray]:
    """The staged logits of a fitted model's output, one array a document.

    The members' mean output, blended with the n-gram companion's when the
    model has one, in the targets' units (see :meth:`FittedModel.to_targets`).
    ``sequences`` are the network's windows of the documents ``whole`` (see
    :func:`_staged_companion`).
    """
    with single_threaded_blas():
        staged = [
            staged_logits(member.weights, sequences, model.config)
            for member in model.ensemble
        ]
    companions = [None] * len(sequences)
    if model.ngrams is not None:
        companions = _staged_companion(
            model.ngrams, sequences, whole, model.vectorizer.truncating
        )
    return [
        model.to_targets(
            blended_logits(
                list(blocks), model.config.head, companion, ngram_weight, ngram_blend
            )
        )
        for *blocks, companion in zip(*staged, companions, strict=True)
    ]


def _window_starts(
    sequences: Sequence[np.ndarray], whole: Sequence[np.ndarray], truncating: str
) -> list[int]:
    """Where each window of ``max_length`` tokens starts in its document."""
    if truncating != "pre":
        return [0] * len(sequences)
    return [len(doc) - len(seq) for seq, doc in zip(sequences, whole, strict=True)]


def _staged_companion(
    ngrams: NgramModel,
    sequences: Sequence[np.ndarray],
    whole: Sequence[np.ndarray],
    truncating: str,
) -> list[np.ndarray]:
    """The companion's logits at each step of the network's windows.

    A companion that reads whole documents knows, at step ``t`` of a window,
    the tokens before the window (``truncating="pre"``) and the window's
    first ``t + 1``; at the window's last step, the whole document, as
    prediction gives it (for ``"post"``, the tokens after the window come in
    there).  Documents no longer than ``max_length`` are their windows.
    """
    if not ngrams.whole_documents:
        return staged_ngram_logits(ngrams, sequences)
    if truncating == "pre":
        starts = _window_starts(sequences, whole, truncating)
        return staged_ngram_logits(ngrams, whole, starts)
    staged = staged_ngram_logits(ngrams, sequences)
    cut = [
        i
        for i, (seq, doc) in enumerate(zip(sequences, whole, strict=True))
        if len(doc) > len(seq)
    ]
    if cut:
        last = ngram_logits(ngrams, [whole[i] for i in cut])
        for i, logits in zip(cut, last, strict=True):
            staged[i][-1] = logits
    return staged


def _contexts(
    ngrams: NgramModel | None,
    sequences: Sequence[np.ndarray],
    whole: Sequence[np.ndarray],
    truncating: str,
) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """The ids before and after each window that the companion reads, or None."""
    if ngrams is None or not ngrams.whole_documents:
        return None
    starts = _window_starts(sequences, whole, truncating)
    return [
        (doc[:start], doc[start + len(seq) :])
        for seq, doc, start in zip(sequences, whole, starts, strict=True)
    ]


def explain_documents(
    estimator: Any, X: Iterable[str], method: str = "occlusion"
) -> list[Explanation | RegressionExplanation]:
    """Explain the prediction of each of many documents.

    The staged probabilities of all the documents are computed in batches;
    the occlusion variants of each document in groups of bounded memory (see
    :func:`occlusion_attributions`).

    Parameters
    ----------
    estimator : RNNTextClassifier or RNNTextRegressor
        A fitted estimator.
    X : iterable of str of length n_samples
        Documents.
    method : {"occlusion"}, default="occlusion"
        Attribution method; see :func:`occlusion_attributions`.

    Returns
    -------
    list of Explanation or of RegressionExplanation
        One per document, in order: a regressor's are
        :class:`RegressionExplanation`.
    """
    model = estimator._model()
    if method not in EXPLAIN_METHODS:
        raise ValueError(
            f"method must be one of {list(EXPLAIN_METHODS)}; got {method!r}."
        )
    documents = check_text(X)
    vectorizer = model.vectorizer
    whole_tokens = vectorizer._tokenize(documents, whole=True)
    whole = vectorizer._encode(whole_tokens)
    # the network's windows (max_length) of the documents, which are explained
    token_lists = vectorizer._truncate(whole_tokens)
    sequences = vectorizer._window(whole)
    config = model.config
    weight, blend = estimator._companion_blend(model)
    staged = _staged_ensemble(model, sequences, whole, weight, blend)
    members = [member.weights for member in model.ensemble]
    with single_threaded_blas():
        predicted, proba, attributions = _occlusion(
            members,
            sequences,
            config,
            ngrams=model.ngrams,
            ngram_weight=weight,
            ngram_blend=blend,
            contexts=_contexts(model.ngrams, sequences, whole, vectorizer.truncating),
            tables=vocabulary_tables(members, config),
        )
    output = _output(config)
    proba = model.to_targets(proba)
    attributions = [model.to_targets(a, offset=False) for a in attributions]
    head = get_head(config.head)
    if head.kind == "values":
        squeeze = 0 if config.n_outputs == 1 else slice(None)
        return [
            RegressionExplanation(
                tokens=tokens,
                token_ids=np.asarray(ids),
                staged_prediction=head.output(logits)[:, squeeze],
                prediction=f[squeeze],
                attributions=a[:, squeeze],
                method=method,
            )
            for tokens, ids, logits, f, a in zip(
                token_lists, sequences, staged, proba, attributions, strict=True
            )
        ]
    classes = model.classes
    if head.kind == "classes":
        predicted = classes[predicted]
    return [
        Explanation(
            tokens=tokens,
            token_ids=np.asarray(ids),
            staged_proba=output(stages),
            prediction=prediction,
            proba=p,
            attributions=a,
            method=method,
            classes=classes,
        )
        for tokens, ids, stages, prediction, p, a in zip(
            token_lists, sequences, staged, predicted, proba, attributions, strict=True
        )
    ]


def explain_document(
    estimator: Any, text: str, method: str = "occlusion"
) -> Explanation | RegressionExplanation:
    """Explain the prediction of one document.

    Parameters
    ----------
    estimator : RNNTextClassifier or RNNTextRegressor
        A fitted estimator.
    text : str
        The document.
    method : {"occlusion"}, default="occlusion"
        Attribution method; see :func:`occlusion_attributions`.

    Returns
    -------
    Explanation or RegressionExplanation
        See :meth:`RNNTextClassifier.explain` and
        :meth:`RNNTextRegressor.explain`.
    """
    if not isinstance(text, str):
        raise TypeError(
            f"text must be one str document, got {type(text).__name__}; to "
            "explain many documents, call explain on each of them."
        )
    return explain_documents(estimator, [text], method=method)[0]
