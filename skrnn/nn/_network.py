"""The whole network: embedding, recurrent layers, pooling, output layer, loss.

``forward`` is the cache-free pass used for prediction; ``loss_and_grad`` is
the single source of truth for gradients that training and the gradient
checks both go through.  Parameters live in one flat dict of named arrays::

    embed.E                     (n_vocab, embedding_dim), if embedding_dim
    layer{l}.{fwd,bwd}.W_xh     (input width, n_gates * hidden_size); for the
                                first layer of a one-hot network, one row per
                                token id
    layer{l}.{fwd,bwd}.W_hh     (hidden_size, n_gates * hidden_size)
    layer{l}.{fwd,bwd}.b_h      (n_gates * hidden_size,)
    layer{l}.{fwd,bwd}.b_hn     (hidden_size,), GRU only
    head.W_hy                   (n_directions * hidden_size, n_classes)
    head.b_y                    (n_classes,)
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._cells import CELLS, Params
from ._embedding import (
    distinct_rows,
    embedding_backward,
    embedding_forward,
)
from ._functional import cross_entropy, dropout_mask
from ._init import glorot_uniform, uniform
from ._recurrent import (
    directions,
    pool_backward,
    pool_forward,
    recurrent_backward,
    recurrent_forward,
    running_pool,
)


@dataclass(frozen=True)
class NetworkConfig:
    """Architecture of a network: everything but its weights.

    Parameters
    ----------
    n_vocab : int
        Number of token ids, the reserved ones included.
    n_classes : int
        Number of output classes.
    cell : {"rnn", "lstm", "gru"}
        Recurrent cell.
    hidden_size : int
        Width of each direction's hidden state.
    embedding_dim : int or None
        Width of the learned embedding; None feeds one-hot token vectors to
        the first layer (the seed's network), done as a row lookup of W_xh.
    num_layers : int
        Number of stacked recurrent layers.
    bidirectional : bool
        Whether each layer also reads the sequence backwards.
    pooling : {"last", "mean", "max"}
        How the hidden states become one vector (see ``pool_forward``).
    dropout : float
        Inverted-dropout rate between layers and before the output layer.
    input_dropout : float
        Inverted-dropout rate on the embedded inputs of the first layer: each
        unit of each position's embedding.  Unused with one-hot inputs.
    """

    n_vocab: int
    n_classes: int
    cell: str = "rnn"
    hidden_size: int = 64
    embedding_dim: int | None = None
    num_layers: int = 1
    bidirectional: bool = False
    pooling: str = "last"
    dropout: float = 0.0
    input_dropout: float = 0.0

    @property
    def one_hot(self) -> bool:
        """Whether the first layer reads token ids directly."""
        return self.embedding_dim is None

    @property
    def draws_dropout(self) -> bool:
        """Whether a training pass draws any dropout mask.

        True if units are dropped between layers or before the output layer,
        or if the embedded inputs are (one-hot inputs never are).
        """
        return self.dropout > 0 or (self.input_dropout > 0 and not self.one_hot)

    @property
    def lookup_tables(self) -> frozenset[str]:
        """Names of the parameters read by row lookup, one row per token id."""
        if self.one_hot:
            return frozenset(f"layer0.{d}.W_xh" for d in directions(self.bidirectional))
        return frozenset({"embed.E"})

    @property
    def output_width(self) -> int:
        """Width of the pooled vector fed to the output layer."""
        return self.hidden_size * (2 if self.bidirectional else 1)

    def _recurrent_kwargs(self) -> dict:
        return {
            "cell": self.cell,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "one_hot": self.one_hot,
        }


def init_params(
    config: NetworkConfig,
    rng: np.random.Generator,
    dtype: np.dtype,
    zero_ids: Sequence[int] = (),
) -> Params:
    """Draw the initial weights of a network.

    Input weights are Glorot-uniform, recurrent weights orthogonal per gate,
    biases zero but for the LSTM's forget gate and the GRU's update gate
    (one, so that the cells start out remembering), the embedding
    ``U(-0.5, 0.5)``;
    a one-hot first layer's ``W_xh`` is initialised like an embedding of width
    ``n_gates * hidden_size`` (each token adds one row, so its fan-in is 1).

    Parameters
    ----------
    config : NetworkConfig
        The architecture.
    rng : numpy.random.Generator
        Source of randomness.
    dtype : numpy dtype
        Floating point type of every parameter.
    zero_ids : sequence of int
        Token ids whose input rows start at zero (padding, unknown words):
        they then contribute nothing until they are learned.

    Returns
    -------
    dict of ndarray
        The parameters, named as in the module docstring.
    """
    dtype = np.dtype(dtype)
    spec = CELLS[config.cell]
    H, G = config.hidden_size, spec.n_gates
    params: Params = {}
    if not config.one_hot:
        params["embed.E"] = uniform(
            rng, (config.n_vocab, config.embedding_dim), 0.5, dtype
        )
        params["embed.E"][list(zero_ids)] = 0.0
    for layer in range(config.num_layers):
        for direction in directions(config.bidirectional):
            name = f"layer{layer}.{direction}."
            if layer == 0 and config.one_hot:
                W_xh = glorot_uniform(rng, config.n_vocab, G * H, dtype)
                W_xh *= np.sqrt((config.n_vocab + G * H) / (1 + G * H))
                W_xh[list(zero_ids)] = 0.0
            else:
                width = config.embedding_dim if layer == 0 else config.output_width
                W_xh = np.concatenate(
                    [glorot_uniform(rng, width, H, dtype) for _ in range(G)], axis=1
                )
            params[name + "W_xh"] = W_xh
            for key, value in spec.init(rng, H, dtype).items():
                params[name + key] = value
    params["head.W_hy"] = glorot_uniform(
        rng, config.output_width, config.n_classes, dtype
    )
    params["head.b_y"] = np.zeros(config.n_classes, dtype=dtype)
    return params


def _forward(params, ids, lengths, config, rng, training):
    """Forward pass through the output layer, keeping the cache when training."""
    input_mask = None
    if config.one_hot:
        inputs = ids
    else:
        E = params["embed.E"]
        shape = ids.shape + E.shape[1:]
        input_mask = dropout_mask(rng, shape, config.input_dropout, E.dtype)
        if input_mask is None:
            inputs = distinct_rows(E, ids)
        else:
            inputs = embedding_forward(E, ids)
            inputs *= input_mask
    outputs, rec_cache = recurrent_forward(
        params,
        inputs,
        lengths,
        dropout=config.dropout,
        rng=rng,
        training=training,
        **config._recurrent_kwargs(),
    )
    pooled, pool_cache = pool_forward(
        outputs, lengths, config.pooling, config.bidirectional
    )
    mask = dropout_mask(rng, pooled.shape, config.dropout, pooled.dtype)
    features = pooled if mask is None else pooled * mask
    logits = features @ params["head.W_hy"] + params["head.b_y"]
    cache = {
        "rec": rec_cache,
        "pool": pool_cache,
        "mask": mask,
        "input_mask": input_mask,
        "features": features,
        "n_steps": ids.shape[0],
    }
    return logits, cache


def forward(
    params: Params, ids: np.ndarray, lengths: np.ndarray, config: NetworkConfig
) -> np.ndarray:
    """Logits of a batch, without dropout and without keeping a cache.

    Parameters
    ----------
    params : dict of ndarray
        The network's parameters (read only).
    ids : ndarray of int of shape (n_steps, n_samples)
        Padded, time-major token ids.
    lengths : ndarray of shape (n_samples,)
        Sequence lengths in decreasing order.
    config : NetworkConfig
        The architecture.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        The logits ``y = W_hy h + b_y`` (before the softmax).
    """
    return _forward(params, ids, lengths, config, None, training=False)[0]


def staged_forward(
    params: Params, ids: np.ndarray, lengths: np.ndarray, config: NetworkConfig
) -> np.ndarray:
    """Logits of every prefix of a batch, in one pass, without dropout.

    A unidirectional network's state ``h_t`` depends on the first ``t``
    tokens only, so pooling the states as they come gives, at each step, the
    pooled vector that :func:`forward` computes for that prefix.

    Parameters
    ----------
    params, ids, lengths
        As for :func:`forward`.
    config : NetworkConfig
        The architecture; unidirectional.

    Returns
    -------
    ndarray of shape (n_steps, n_samples, n_classes)
        Row ``t`` holds the logits of the prefixes of ``t + 1`` tokens; rows
        past a sequence's length mean nothing.

    Raises
    ------
    ValueError
        If the network is bidirectional: its backward direction reads each
        prefix from the prefix's own end.
    """
    if config.bidirectional:
        raise ValueError("staged_forward needs a unidirectional network.")
    inputs = ids if config.one_hot else distinct_rows(params["embed.E"], ids)
    outputs, _ = recurrent_forward(
        params,
        inputs,
        lengths,
        dropout=0.0,
        rng=None,
        training=False,
        **config._recurrent_kwargs(),
    )
    pooled = running_pool(outputs, config.pooling)
    return pooled @ params["head.W_hy"] + params["head.b_y"]


def loss_and_grad(
    params: Params,
    ids: np.ndarray,
    lengths: np.ndarray,
    y: np.ndarray,
    config: NetworkConfig,
    *,
    sample_weight: np.ndarray | None = None,
    alpha: float = 0.0,
    rng: np.random.Generator | None = None,
) -> tuple[float, Params]:
    """Loss of a batch and its gradient in every parameter.

    Parameters
    ----------
    params : dict of ndarray
        The network's parameters (read only).
    ids : ndarray of int of shape (n_steps, n_samples)
        Padded, time-major token ids.
    lengths : ndarray of shape (n_samples,)
        Sequence lengths in decreasing order.
    y : ndarray of int of shape (n_samples,)
        Indices of the true classes.
    config : NetworkConfig
        The architecture.
    sample_weight : ndarray of shape (n_samples,), optional
        Weights of the samples; None weighs them all 1.
    alpha : float
        L2 penalty on the weight matrices, scaled as in scikit-learn's MLP:
        ``0.5 * alpha * ||W||^2 / sum(sample_weight)``.  Biases and lookup
        tables (``config.lookup_tables``) are not penalised.
    rng : numpy.random.Generator, optional
        Source of dropout masks; None turns dropout off.

    Returns
    -------
    loss : float
        ``(sum_i w_i * -log p(y_i | x_i) + 0.5 * alpha * ||W||^2) / sum_i w_i``.
    grads : dict of ndarray
        Gradient of the loss in every parameter, under the parameter's name;
        those of the lookup tables as :class:`~skrnn.nn.RowGrad`, the rows
        the batch read.
    """
    if sample_weight is None:
        sample_weight = np.ones(len(y), dtype=params["head.b_y"].dtype)
    logits, cache = _forward(params, ids, lengths, config, rng, training=True)
    loss, dlogits = cross_entropy(logits, y, sample_weight)
    grads: Params = {}
    # undo logits = features @ W_hy + b_y
    grads["head.W_hy"] = cache["features"].T @ dlogits
    grads["head.b_y"] = np.add.reduce(dlogits, axis=0)
    dpooled = dlogits @ params["head.W_hy"].T
    # undo the dropout before the output layer
    if cache["mask"] is not None:
        dpooled *= cache["mask"]
    # undo the pooling over time
    doutputs = pool_backward(
        dpooled, cache["pool"], cache["n_steps"], config.pooling, config.bidirectional
    )
    # undo the recurrent layers
    rec_grads, dinputs = recurrent_backward(
        doutputs,
        cache["rec"],
        params,
        n_vocab=config.n_vocab,
        **config._recurrent_kwargs(),
    )
    grads.update(rec_grads)
    # undo the embedding lookup
    if not config.one_hot:
        if cache["input_mask"] is not None:
            dinputs *= cache["input_mask"]
        grads["embed.E"] = embedding_backward(dinputs, ids, config.n_vocab)
    if alpha:
        loss += add_l2_penalty(params, grads, config, alpha, float(sample_weight.sum()))
    return loss, grads


def add_l2_penalty(
    params: Params, grads: Params, config: NetworkConfig, alpha: float, total: float
) -> float:
    """Add the gradient of the L2 penalty to ``grads``, in place.

    Parameters
    ----------
    params : dict of ndarray
        The network's parameters (read only).
    grads : dict of ndarray
        Gradients of the unpenalised loss, updated in place.
    config : NetworkConfig
        The architecture: its lookup tables are not penalised.
    alpha : float
        Strength of the penalty.
    total : float
        Total sample weight of the batch, which scales the penalty as in
        scikit-learn's MLP.

    Returns
    -------
    float
        The penalty's share of the loss, ``0.5 * alpha * ||W||^2 / total``.
    """
    penalty = 0.0
    for name, value in params.items():
        if _is_weight(name) and name not in config.lookup_tables:
            penalty += float(np.vdot(value, value))
            grads[name] += (alpha / total) * value
    return 0.5 * alpha * penalty / total


def _is_weight(name: str) -> bool:
    """Whether a parameter is a weight matrix (penalised), not a bias."""
    return not name.rsplit(".", 1)[1].startswith("b_")
