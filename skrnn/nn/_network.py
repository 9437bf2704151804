"""The whole network: embedding, recurrent layers, pooling, output head, loss.

``forward`` is the cache-free pass; ``predict_forward`` computes the same
logits in memory that does not grow with the documents' length, for
prediction; ``loss_and_grad`` is the single source of truth for gradients
that training and the gradient checks both go through (with
``adversarial_epsilon``, of the loss plus the adversarial loss of
:func:`adversarial_perturbation`); ``add_l2_penalty`` adds the penalty
``alpha`` once per batch.  Parameters live in one flat dict
of named arrays::

    embed.E                     (n_vocab, embedding_dim), if embedding_dim
    layer{l}.{fwd,bwd}.{name}   every parameter the cell declares, for an
                                input width of embedding_dim (n_vocab for the
                                first layer of a one-hot network, whose input
                                weight has one row per token id), or
                                n_directions * hidden_size above the first
    head.W_hy                   (n_directions * hidden_size, n_outputs)
    head.b_y                    (n_outputs,)

The output head (``config.head``, a key of :data:`~skrnn.nn.HEADS`) says what
the outputs mean and which loss trains them.

For the built-in cells, ``{name}`` is ``W_xh`` (input width, n_gates *
hidden_size), ``W_hh`` (hidden_size, n_gates * hidden_size), ``b_h``
(n_gates * hidden_size,) and, for the GRU, ``b_hn`` (hidden_size,).
:func:`param_shapes` lists them for a configuration, :func:`penalized_names`
those that ``alpha`` penalises.
"""

import copy
import dataclasses
import math
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from ._cells import Params, get_cell
from ._embedding import (
    DistinctRows,
    RowGrad,
    distinct_rows,
    embedding_backward,
    embedding_forward,
    sum_row_grads,
)
from ._functional import dropout_mask
from ._heads import get_head
from ._init import Initializer, glorot_uniform, uniform, zeros
from ._recurrent import (
    POOLINGS,
    directions,
    pool_backward,
    pool_forward,
    recurrent_backward,
    recurrent_forward,
    running_pool,
)
from ._streaming import (
    CHUNK_POSITIONS,
    STEPS,
    PreparedNetwork,
    prepare_network,
    stream_pooled,
)


def _check_count(name: str, value: object) -> None:
    if type(value) is not int or value < 1:
        raise ValueError(f"{name} must be an int >= 1; got {value!r}.")


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """Architecture of a network: everything but its weights.

    Parameters
    ----------
    n_vocab : int
        Number of token ids, the reserved ones included.
    n_outputs : int
        Number of outputs: classes, labels or predicted values, as the
        head's kind says.
    cell : str
        Recurrent cell, a key of :data:`~skrnn.nn.CELLS`.
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
    head : str
        The output head, a key of :data:`~skrnn.nn.HEADS` (``"softmax"``,
        ``"logistic"``, ``"identity"``, ``"poisson"``, or one added with
        :func:`~skrnn.nn.register_head`).
    """

    n_vocab: int
    n_outputs: int
    cell: str = "rnn"
    hidden_size: int = 64
    embedding_dim: int | None = None
    num_layers: int = 1
    bidirectional: bool = False
    pooling: str = "last"
    dropout: float = 0.0
    input_dropout: float = 0.0
    head: str = "softmax"

    def __post_init__(self) -> None:
        """Refuse a configuration that describes no network.

        NumPy scalars (``np.int64(64)``, ``np.float32(0.2)``, ``np.True_``,
        as a grid of numpy values gives) are taken as the Python values they
        hold, so that the configuration stays plain JSON.

        Raises
        ------
        ValueError
            If a count is not a positive int (bools are not counts), the
            cell, the pooling or the head is unknown, or a dropout rate is
            outside [0, 1).
        """
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, np.generic):
                object.__setattr__(self, field.name, value.item())
        for name in ("n_vocab", "n_outputs", "hidden_size", "num_layers"):
            _check_count(name, getattr(self, name))
        if self.embedding_dim is not None:
            _check_count("embedding_dim", self.embedding_dim)
        if type(self.bidirectional) is not bool:
            raise ValueError(
                f"bidirectional must be a bool; got {self.bidirectional!r}."
            )
        get_cell(self.cell)  # a ValueError naming the registered cells
        if self.pooling not in POOLINGS:
            raise ValueError(
                f"pooling must be one of {sorted(POOLINGS)}; got {self.pooling!r}."
            )
        for name in ("dropout", "input_dropout"):
            rate = getattr(self, name)
            if type(rate) not in (int, float) or not 0 <= rate < 1:
                raise ValueError(f"{name} must be a number in [0, 1); got {rate!r}.")
        get_head(self.head)  # a ValueError naming the registered heads

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
            weight = get_cell(self.cell).input_weight
            return frozenset(
                f"layer0.{d}.{weight}" for d in directions(self.bidirectional)
            )
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


class _Declared(NamedTuple):
    """One parameter of a network: its shape, initialiser and penalty."""

    shape: tuple[int, ...]
    init: Initializer
    penalized: bool


def _input_size(config: NetworkConfig, layer: int) -> int:
    """Width of the inputs of a recurrent layer (token ids for one-hot)."""
    if layer > 0:
        return config.output_width
    return config.n_vocab if config.one_hot else config.embedding_dim


def _lookup_table(
    rng: np.random.Generator, shape: tuple[int, int], dtype: np.dtype
) -> np.ndarray:
    """A one-hot layer's input weight, initialised like an embedding of its width.

    Each token adds one row, so the fan-in is 1: Glorot-uniform for
    ``(1, width)``, drawn as for the full shape and rescaled.
    """
    table = glorot_uniform(rng, shape, dtype)
    table *= np.sqrt((shape[0] + shape[1]) / (1 + shape[1]))
    return table


def _declarations(config: NetworkConfig) -> dict[str, _Declared]:
    """Every parameter of the network, in the order :func:`init_params` draws them.

    The recurrent layers' come from the cell's declarations; the embedding
    is ``U(-0.5, 0.5)``, the output layer Glorot-uniform with a zero bias.
    Lookup tables (``config.lookup_tables``) are not penalised.
    """
    cell = get_cell(config.cell)
    declared = {}
    if not config.one_hot:
        declared["embed.E"] = _Declared(
            (config.n_vocab, config.embedding_dim), uniform(0.5), False
        )
    for layer in range(config.num_layers):
        shapes = cell.shapes(_input_size(config, layer), config.hidden_size)
        for direction in directions(config.bidirectional):
            prefix = f"layer{layer}.{direction}."
            for name, param in cell.params.items():
                if config.one_hot and layer == 0 and name == cell.input_weight:
                    declared[prefix + name] = _Declared(
                        shapes[name], _lookup_table, False
                    )
                else:
                    declared[prefix + name] = _Declared(
                        shapes[name], param.init, param.penalized
                    )
    declared["head.W_hy"] = _Declared(
        (config.output_width, config.n_outputs), glorot_uniform, True
    )
    declared["head.b_y"] = _Declared((config.n_outputs,), zeros, False)
    return declared


def param_shapes(config: NetworkConfig) -> dict[str, tuple[int, ...]]:
    """The name and shape of every parameter of a network.

    The single description of a network's parameters: :func:`init_params`
    draws them and :func:`skrnn.load` checks a file's weights against it.

    Parameters
    ----------
    config : NetworkConfig
        The architecture.

    Returns
    -------
    dict of str to tuple of int
        The shapes by parameter name, in the order :func:`init_params`
        creates them.

    See Also
    --------
    n_params : Their total size, counted in constant time.
    """
    return {name: d.shape for name, d in _declarations(config).items()}


def check_params(params: Params, config: NetworkConfig) -> None:
    """Refuse parameters that are not those the configuration's cell declares.

    A model keeps its cell's name, not the cell: if another cell has been
    registered under that name since the model was made, its weights no
    longer fit, which this says before any product fails.

    Parameters
    ----------
    params : dict of ndarray
        The parameters, by name.
    config : NetworkConfig
        The architecture.

    Raises
    ------
    ValueError
        If a name is missing or unexpected, or a shape differs, naming the
        cell.
    """
    expected = param_shapes(config)
    shapes = {name: np.shape(value) for name, value in params.items()}
    if shapes == expected:
        return
    missing = sorted(set(expected) - set(shapes))
    unexpected = sorted(set(shapes) - set(expected))
    reshaped = sorted(
        name for name in set(expected) & set(shapes) if expected[name] != shapes[name]
    )
    raise ValueError(
        f"The weights do not fit the cell {config.cell!r} registered now "
        f"(missing {missing[:3]}, unexpected {unexpected[:3]}, of another shape "
        f"{reshaped[:3]}): was another cell registered under that name since "
        "the model was made? Register the cell it was made with."
    )


def n_params(config: NetworkConfig) -> int:
    """The number of scalars in the parameters of a network.

    The total of :func:`param_shapes`, counted without listing the layers:
    its time does not grow with ``num_layers``, so that an untrusted
    configuration can be checked before anything is allocated.

    Parameters
    ----------
    config : NetworkConfig
        The architecture.

    Returns
    -------
    int
        ``sum(prod(shape) for shape in param_shapes(config).values())``.
    """
    cell = get_cell(config.cell)
    n_directions = len(directions(config.bidirectional))

    def layer_size(layer: int) -> int:
        shapes = cell.shapes(_input_size(config, layer), config.hidden_size)
        return n_directions * sum(math.prod(shape) for shape in shapes.values())

    count = layer_size(0) + (config.num_layers - 1) * layer_size(1)
    if not config.one_hot:
        count += config.n_vocab * config.embedding_dim
    return count + (config.output_width + 1) * config.n_outputs


def penalized_names(config: NetworkConfig) -> frozenset[str]:
    """Names of the parameters that the L2 penalty ``alpha`` applies to.

    Those that the cell declares penalised (its weight matrices) and the
    output layer's ``head.W_hy``; never biases nor lookup tables.  Weight
    decay applies to the same parameters.

    Parameters
    ----------
    config : NetworkConfig
        The architecture.

    Returns
    -------
    frozenset of str
        Parameter names, as in :func:`param_shapes`.
    """
    return frozenset(name for name, d in _declarations(config).items() if d.penalized)


def init_params(
    config: NetworkConfig,
    rng: np.random.Generator,
    dtype: np.dtype,
    zero_ids: Sequence[int] = (),
) -> Params:
    """Draw the initial weights of a network.

    Each parameter of the recurrent layers is drawn by the initialiser its
    cell declares (for the built-in cells: input weights Glorot-uniform,
    recurrent weights orthogonal per gate, biases zero but for the LSTM's
    forget gate and the GRU's update gate, one, so that the cells start out
    remembering); the embedding is ``U(-0.5, 0.5)``; a one-hot first layer's
    input weight is initialised like an embedding of its width (each token
    adds one row, so its fan-in is 1).

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
        The parameters, named and shaped as :func:`param_shapes` says.
    """
    dtype = np.dtype(dtype)
    lookup_tables = config.lookup_tables
    params: Params = {}
    for name, (shape, init, _) in _declarations(config).items():
        value = init(rng, shape, dtype)
        if value.shape != shape or value.dtype != dtype:
            raise ValueError(
                f"The initialiser of {name!r} gave a {value.dtype} array of shape "
                f"{value.shape}; the network needs {dtype} of shape {shape}."
            )
        if name in lookup_tables:
            value[list(zero_ids)] = 0.0
        params[name] = value
    return params


def _forward(params, ids, lengths, config, rng, training, perturbation=None):
    """Forward pass through the output layer, keeping the cache when training.

    ``perturbation``, if given, is added to the embedded inputs after the
    input dropout: the inputs that the first layer reads.
    """
    input_mask = None
    if config.one_hot:
        inputs = ids
    else:
        E = params["embed.E"]
        shape = ids.shape + E.shape[1:]
        input_mask = dropout_mask(rng, shape, config.input_dropout, E.dtype)
        if input_mask is None and perturbation is None:
            inputs = distinct_rows(E, ids)
        else:
            inputs = embedding_forward(E, ids)
            if input_mask is not None:
                inputs *= input_mask
            if perturbation is not None:
                inputs += perturbation
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
        "inputs": inputs,
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
    ndarray of shape (n_samples, n_outputs)
        The outputs ``z = W_hy h + b_y``, before the head's transform
        (the logits of a softmax or logistic head).
    """
    return _forward(params, ids, lengths, config, None, training=False)[0]


def predict_forward(
    params: Params,
    ids: np.ndarray,
    lengths: np.ndarray,
    config: NetworkConfig,
    *,
    chunk_positions: int = CHUNK_POSITIONS,
) -> np.ndarray:
    """The logits of :func:`forward`, in memory bounded whatever the length.

    The recurrent layers run over chunks of time of at most
    ``chunk_positions`` padded positions, keeping only each direction's state
    and the running pool between chunks, and the first layer's input
    projection is computed once per distinct token id (see
    :mod:`skrnn.nn._streaming` for how, and for the bounds).  The logits
    equal :func:`forward`'s to rounding; for a one-layer unidirectional
    network with ``"last"`` or ``"max"`` pooling, bit for bit.  A cell added
    with :func:`register_cell` declares a forward over whole sequences only,
    so its logits are :func:`forward`'s, in memory that grows with the
    length.

    Parameters
    ----------
    params, ids, lengths, config
        As for :func:`forward`.
    chunk_positions : int
        Padded positions (``n_steps * n_samples``) per chunk of time; a
        chunk has at least one step.

    Returns
    -------
    ndarray of shape (n_samples, n_outputs)
        The outputs ``z = W_hy h + b_y``, before the head's transform.
    """
    return predict_prepared(
        params, ids, lengths, config, None, chunk_positions=chunk_positions
    )


def streams(config: NetworkConfig) -> bool:
    """Whether :func:`predict_forward` runs the network in chunks of time.

    The built-in cells do; a cell added with :func:`register_cell` predicts
    through :func:`forward`, in memory in proportion to the batch's padded
    positions.
    """
    return config.cell in STEPS


def predict_prepared(
    params: Params,
    ids: np.ndarray,
    lengths: np.ndarray,
    config: NetworkConfig,
    prepared: PreparedNetwork | None,
    *,
    chunk_positions: int = CHUNK_POSITIONS,
) -> np.ndarray:
    """:func:`predict_forward` with weights made ready by :func:`prepare_predict`.

    ``prepared`` covers this batch's ids (or is None: made for them here);
    one serves many batches of the same documents.
    """
    if not streams(config):
        return forward(params, ids, lengths, config)
    pooled = stream_pooled(
        params,
        ids,
        lengths,
        pooling=config.pooling,
        chunk_positions=chunk_positions,
        prepared=prepared,
        **config._recurrent_kwargs(),
    )
    return pooled @ params["head.W_hy"] + params["head.b_y"]


def prepare_predict(
    params: Params, id_arrays: Iterable[np.ndarray], config: NetworkConfig
) -> PreparedNetwork | None:
    """The weights of :func:`predict_forward` made ready once for these ids.

    The first layer's input projection of every distinct id found in
    ``id_arrays``, and the recurrent weights as the steps use them: what
    every batch of the same documents would otherwise compute anew.  None
    for a cell that predicts through :func:`forward`.
    """
    if not streams(config):
        return None
    return prepare_network(params, id_arrays, **config._recurrent_kwargs())


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
    ndarray of shape (n_steps, n_samples, n_outputs)
        Row ``t`` holds the outputs of the prefixes of ``t + 1`` tokens; rows
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
    rng: np.random.Generator | None = None,
    adversarial_epsilon: float = 0.0,
) -> tuple[float, Params]:
    """Loss of a batch (the output head's) and its gradient in every parameter.

    The L2 penalty is not part of it: training adds it once per batch with
    :func:`add_l2_penalty`, after summing the gradients of the batch's shards.

    Parameters
    ----------
    params : dict of ndarray
        The network's parameters (read only).
    ids : ndarray of int of shape (n_steps, n_samples)
        Padded, time-major token ids.
    lengths : ndarray of shape (n_samples,)
        Sequence lengths in decreasing order.
    y : ndarray
        The targets, as the head takes them: indices of the true classes,
        of shape (n_samples,), for a head of the ``"classes"`` kind
        (``"softmax"``); floats of shape (n_samples, n_outputs) for the
        others (0 or 1 per label for ``"logistic"``).
    config : NetworkConfig
        The architecture.
    sample_weight : ndarray of shape (n_samples,), optional
        Weights of the samples; None weighs them all 1.
    rng : numpy.random.Generator, optional
        Source of dropout masks; None turns dropout off.
    adversarial_epsilon : float, default=0.0
        With a positive value, the loss is ``L(x) + L(x + r)``: the loss
        ``L(x)`` of the embedded inputs ``x`` plus that of the inputs moved
        by the adversarial perturbation ``r`` of
        :func:`adversarial_perturbation`, of L2 norm ``adversarial_epsilon``
        per sequence along the gradient of ``L(x)``, and held constant (no
        gradient flows through ``r``).  Both passes use the same dropout
        masks.  0 is the loss ``L(x)`` alone, computed as without it.

    Returns
    -------
    loss : float
        The head's weighted mean loss; for ``"softmax"``,
        ``sum_i w_i * -log p(y_i | x_i) / sum_i w_i``.  With
        ``adversarial_epsilon``, the sum of that of the clean and of the
        perturbed inputs.
    grads : dict of ndarray
        Gradient of the loss in every parameter, under the parameter's name;
        those of the lookup tables as :class:`~skrnn.nn.RowGrad`, the rows
        the batch read.

    Raises
    ------
    ValueError
        If ``adversarial_epsilon`` is positive and the network has no
        embedding (one-hot inputs): there are no input vectors to perturb;
        or if it is larger than the parameters' dtype can hold.
    """
    if sample_weight is None:
        sample_weight = np.ones(len(y), dtype=params["head.b_y"].dtype)
    if not adversarial_epsilon:
        loss, grads, _ = _loss_grad_and_dinputs(
            params, ids, lengths, y, config, sample_weight, rng, need_dinputs=False
        )
        return loss, grads
    if config.one_hot:
        raise ValueError(
            "adversarial_epsilon perturbs the embedded inputs, but this network "
            "reads one-hot inputs; give it an embedding_dim."
        )
    # The adversarial pass draws its masks from a copy of the generator as it
    # stands before the clean pass: the same masks, in the same order.
    replay = copy.deepcopy(rng)
    loss, grads, dinputs = _loss_grad_and_dinputs(
        params, ids, lengths, y, config, sample_weight, rng
    )
    r = adversarial_perturbation(dinputs, lengths, adversarial_epsilon)
    adv_loss, adv_grads, _ = _loss_grad_and_dinputs(
        params,
        ids,
        lengths,
        y,
        config,
        sample_weight,
        replay,
        perturbation=r,
        need_dinputs=False,
    )
    return loss + adv_loss, _add_grads(grads, adv_grads)


def _loss_grad_and_dinputs(
    params,
    ids,
    lengths,
    y,
    config,
    sample_weight,
    rng,
    perturbation=None,
    need_dinputs=True,
):
    """The head's loss, its gradients, and its gradient in the first layer's inputs.

    The inputs are the embedded words after the input dropout, plus
    ``perturbation`` if given; their gradient is None for one-hot inputs,
    and may be None unless ``need_dinputs``: the embedding's gradient is
    then taken from the gradient in the distinct words a batch reads, which
    spares the first layer's input projection a backward product per
    position.
    """
    logits, cache = _forward(
        params, ids, lengths, config, rng, training=True, perturbation=perturbation
    )
    loss, dlogits = get_head(config.head).loss(logits, y, sample_weight)
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
    inputs = cache["inputs"]
    rec_grads, dinputs = recurrent_backward(
        doutputs,
        cache["rec"],
        params,
        n_vocab=config.n_vocab,
        per_position=need_dinputs,
        **config._recurrent_kwargs(),
    )
    grads.update(rec_grads)
    if config.one_hot:
        return loss, grads, None
    if isinstance(inputs, DistinctRows) and not need_dinputs:
        # the gradient in the distinct rows is that in the table's rows
        grads["embed.E"] = RowGrad(inputs.ids, dinputs, config.n_vocab)
        return loss, grads, None
    # undo the input dropout and the embedding lookup (the perturbation added
    # after them is a constant)
    dembedded = dinputs
    if cache["input_mask"] is not None:
        dembedded = dinputs * cache["input_mask"]
    grads["embed.E"] = embedding_backward(dembedded, ids, config.n_vocab)
    return loss, grads, dinputs


def adversarial_perturbation(
    dinputs: np.ndarray, lengths: np.ndarray, epsilon: float
) -> np.ndarray:
    """The perturbation of each sequence's inputs that raises its loss most.

    To first order (Miyato, Dai and Goodfellow, 2017): the gradient of the
    loss in a sequence's inputs, scaled to L2 norm ``epsilon`` over the
    sequence's real positions and input dimensions together,
    ``r = epsilon * g / ||g||``.

    Parameters
    ----------
    dinputs : ndarray of shape (n_steps, n_samples, width)
        Gradient of the loss in the inputs of the first layer.
    lengths : ndarray of shape (n_samples,)
        Sequence lengths.
    epsilon : float
        L2 norm of each sequence's perturbation.

    Returns
    -------
    ndarray of shape (n_steps, n_samples, width)
        ``r``, of ``dinputs``' dtype: 0 at padded positions, and 0 for a
        sequence whose gradient is 0 (empty, or of sample weight 0).

    Raises
    ------
    ValueError
        If ``epsilon`` is larger than ``dinputs``' dtype can hold (1e39 in
        float32): the perturbation would be infinite.
    """
    largest = float(np.finfo(dinputs.dtype).max)
    if epsilon > largest:
        raise ValueError(
            f"adversarial_epsilon={epsilon:g} is larger than "
            f"{dinputs.dtype.name} can hold ({largest:.2g}): the perturbed "
            "inputs would be infinite."
        )
    real = np.arange(dinputs.shape[0])[:, None] < lengths[None, :]
    g = np.where(real[:, :, None], dinputs, 0)
    # Divided by its largest entry first, so that squaring neither
    # overflows nor underflows (Miyato et al.'s _scale_l2 does the same).
    peak = np.abs(g).max(axis=(0, 2), keepdims=True, initial=0)
    unit = np.divide(g, peak, out=np.zeros_like(g), where=peak > 0)
    norm = np.sqrt(np.square(unit).sum(axis=(0, 2), keepdims=True))
    scale = np.divide(
        g.dtype.type(epsilon), norm, out=np.zeros_like(norm), where=norm > 0
    )
    return unit * scale


def _add_grads(first: Params, second: Params) -> Params:
    """The sum of two gradients of the same parameters, as new arrays.

    Parameters
    ----------
    first, second : dict of ndarray
        Gradients by parameter name; lookup tables' as
        :class:`~skrnn.nn.RowGrad`.

    Returns
    -------
    dict of ndarray
        ``first[name] + second[name]`` for every name.
    """
    return {
        name: sum_row_grads([grad, second[name]], [1.0, 1.0])
        if isinstance(grad, RowGrad)
        else grad + second[name]
        for name, grad in first.items()
    }


def add_l2_penalty(
    params: Params, grads: Params, config: NetworkConfig, alpha: float, total: float
) -> float:
    """Add the gradient of the L2 penalty to ``grads``, in place.

    The penalty applies to the parameters of :func:`penalized_names`, scaled
    as in scikit-learn's MLP: ``0.5 * alpha * ||W||^2 / total``.

    Parameters
    ----------
    params : dict of ndarray
        The network's parameters (read only).
    grads : dict of ndarray
        Gradients of the unpenalised loss, updated in place.
    config : NetworkConfig
        The architecture, which says what is penalised.
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
    penalized = penalized_names(config)
    penalty = 0.0
    for name, value in params.items():
        if name in penalized:
            penalty += float(np.vdot(value, value))
            grads[name] += (alpha / total) * value
    return 0.5 * alpha * penalty / total
