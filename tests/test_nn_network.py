"""Tests for skrnn.nn._network (and skrnn.nn._init, which it drives).

Gradient checks first (central differences in float64 over every entry of
every parameter, on padded batches of mixed lengths), then equivalence (a
padded batch equals the per-document loop, the seed's equations), then
behaviour (padding invariance, dtypes, initialisation).
"""

import dataclasses
import itertools

import numpy as np
import pytest
from _gradcheck import assert_gradients_match, dense
from numpy.testing import assert_allclose, assert_array_equal

from skrnn._batching import pad_batch
from skrnn.nn import (
    CELLS,
    POOLINGS,
    Cell,
    NetworkConfig,
    Param,
    add_l2_penalty,
    adversarial_perturbation,
    forward,
    init_params,
    n_params,
    param_shapes,
    penalized_names,
    register_cell,
    staged_forward,
    unregister_cell,
)
from skrnn.nn import (
    loss_and_grad as _loss_and_grad,
)
from skrnn.nn._init import gate_constants, glorot_uniform, orthogonal, per_gate, uniform
from skrnn.nn._network import _forward, _loss_grad_and_dinputs

N_VOCAB = 10
HIDDEN = 3
EMBED = 3
LENGTHS = (5, 3, 3, 1, 0)
ALPHA = 0.1
DROPOUT = 0.4


def loss_and_grad(params, ids, lengths, y, config, *, alpha=0.0, **kwargs):
    """The penalised loss as training computes it, with dense gradients.

    :func:`skrnn.nn.loss_and_grad`, then :func:`skrnn.nn.add_l2_penalty`
    scaled by the batch's total weight; the gradients of the lookup tables
    as full arrays.
    """
    loss, grads = _loss_and_grad(params, ids, lengths, y, config, **kwargs)
    if alpha:
        weight = kwargs.get("sample_weight")
        total = len(y) if weight is None else float(weight.sum())
        loss += add_l2_penalty(params, grads, config, alpha, total)
    return loss, dense(grads)


# ---------------------------------------------------------------------- helpers


def make_config(**kwargs):
    kwargs = {"n_vocab": N_VOCAB, "n_outputs": 3, "hidden_size": HIDDEN, **kwargs}
    return NetworkConfig(**kwargs)


def make_params(config, seed=0, dtype=np.float64):
    """Initial weights plus noise, so that biases are nonzero too."""
    rng = np.random.default_rng(seed)
    params = init_params(config, rng, np.float64)
    return {
        name: (value + 0.3 * rng.standard_normal(value.shape)).astype(dtype)
        for name, value in params.items()
    }


def make_docs(lengths=LENGTHS, seed=0):
    """Random token ids (never the padding id 0), one array per length."""
    rng = np.random.default_rng(seed + 1000)
    return [rng.integers(1, N_VOCAB, size=n) for n in lengths]


def make_batch(n_classes, lengths=LENGTHS, seed=0):
    docs = make_docs(lengths, seed)
    ids, lengths = pad_batch(docs)
    rng = np.random.default_rng(seed + 2000)
    y = rng.permutation(np.arange(len(docs)) % n_classes)
    sample_weight = rng.uniform(0.3, 2.0, size=len(docs))
    return ids, lengths, y, sample_weight


def is_weight(name):
    """The built-in cells' and the output layer's weight matrices."""
    return name.rsplit(".", 1)[1] in {"W_xh", "W_hh", "W_hy", "E"}


def is_penalised(name, config):
    """alpha applies to weight matrices, not to biases nor lookup tables."""
    return is_weight(name) and name not in config.lookup_tables


def reference_loss(
    config, ids, lengths, y, sample_weight, alpha, dropout_seed, perturbation=None
):
    """The documented loss, written out, through the cache-free forward pass.

    Used for the finite differences because it costs a third of
    ``loss_and_grad``; every check first asserts that both agree at the point.
    A fresh Generator with the same seed per evaluation gives identical
    dropout masks (``_forward`` draws them in the same order as training).
    ``perturbation`` is added to the first layer's inputs, as a constant.
    """
    total = sample_weight.sum()
    rows = np.arange(len(y))
    weights = None

    def loss(params):
        nonlocal weights
        if weights is None:
            weights = [name for name in params if is_penalised(name, config)]
        rng = None if dropout_seed is None else np.random.default_rng(dropout_seed)
        z, _ = _forward(
            params, ids, lengths, config, rng, training=False, perturbation=perturbation
        )
        m = z.max(axis=1, keepdims=True)
        logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        penalty = sum(np.vdot(params[name], params[name]) for name in weights)
        return (np.dot(sample_weight, -logp[rows, y]) + 0.5 * alpha * penalty) / total

    return loss


def check_gradients(config, *, alpha=ALPHA, dropout_seed=None, seed=0):
    params = make_params(config, seed)
    before = {k: v.copy() for k, v in params.items()}
    ids, lengths, y, w = make_batch(config.n_outputs, seed=seed)
    rng = None if dropout_seed is None else np.random.default_rng(dropout_seed)
    loss, grads = loss_and_grad(
        params, ids, lengths, y, config, sample_weight=w, alpha=alpha, rng=rng
    )
    for name in params:  # read only
        assert_array_equal(params[name], before[name])
    assert sorted(grads) == sorted(params)
    f = reference_loss(config, ids, lengths, y, w, alpha, dropout_seed)
    assert f(params) == pytest.approx(loss, rel=1e-12)
    return assert_gradients_match(f, params, grads)


# ------------------------------------------------------------- gradient checks


@pytest.mark.parametrize("embedding_dim", [None, EMBED])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_gradients_match_finite_differences(
    cell, bidirectional, num_layers, pooling, embedding_dim
):
    config = make_config(
        cell=cell,
        bidirectional=bidirectional,
        num_layers=num_layers,
        pooling=pooling,
        embedding_dim=embedding_dim,
    )
    check_gradients(config)


@pytest.mark.parametrize(
    ("bidirectional", "pooling", "embedding_dim"),
    [(False, "last", None), (True, "max", EMBED), (True, "mean", None)],
)
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_gradients_match_finite_differences_binary(
    cell, bidirectional, pooling, embedding_dim
):
    config = make_config(
        n_outputs=2,
        cell=cell,
        bidirectional=bidirectional,
        pooling=pooling,
        embedding_dim=embedding_dim,
    )
    check_gradients(config, seed=1)


@pytest.mark.parametrize(
    ("bidirectional", "num_layers", "embedding_dim", "pooling"),
    [(False, 1, None, "last"), (True, 2, EMBED, "max"), (False, 2, None, "mean")],
)
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_gradients_with_dropout(
    cell, bidirectional, num_layers, embedding_dim, pooling
):
    config = make_config(
        cell=cell,
        bidirectional=bidirectional,
        num_layers=num_layers,
        pooling=pooling,
        embedding_dim=embedding_dim,
        dropout=DROPOUT,
        input_dropout=DROPOUT,
    )
    check_gradients(config, dropout_seed=7, seed=2)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_gradients_of_three_layers_with_dropout(cell):
    # The middle layer reads a layer and feeds one: dropout on both sides.
    k = sorted(CELLS).index(cell)
    config = make_config(
        cell=cell,
        bidirectional=k != 1,
        num_layers=3,
        pooling=POOLINGS[k % len(POOLINGS)],
        embedding_dim=EMBED,
        dropout=DROPOUT,
        input_dropout=DROPOUT,
    )
    check_gradients(config, dropout_seed=6, seed=k)


@pytest.mark.parametrize("pooling", ["last", "mean"])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_gradients_with_input_dropout_alone(cell, pooling):
    config = make_config(
        cell=cell, pooling=pooling, embedding_dim=EMBED, input_dropout=DROPOUT
    )
    check_gradients(config, dropout_seed=5, seed=4)


def head_targets(head, n_samples, n_outputs, seed=0):
    """Targets as the logistic (0/1 per label), Poisson or identity head takes them."""
    rng = np.random.default_rng(seed + 3000)
    if head == "logistic":
        return rng.integers(0, 2, size=(n_samples, n_outputs)).astype(np.float64)
    if head == "poisson":
        return rng.poisson(1.5, size=(n_samples, n_outputs)).astype(np.float64)
    return 2.0 * rng.standard_normal((n_samples, n_outputs))


def head_reference_loss(
    config, ids, lengths, Y, sample_weight, alpha, dropout_seed, perturbation=None
):
    """The documented losses of the logistic, Poisson and identity heads.

    logistic: ``sum_k -(y log p + (1 - y) log(1 - p))`` per sample (scikit-
    learn's ``binary_log_loss``); Poisson: ``sum_k y log(y / mu) - y + mu``
    with ``mu = exp(z)`` and ``0 log 0 = 0`` (``poisson_loss``); identity:
    ``0.5 * mean_k (z - y)**2`` per sample (``squared_loss``); all then
    weighted, plus the L2 penalty.
    ``perturbation`` as for :func:`reference_loss`.
    """
    total = sample_weight.sum()

    def loss(params):
        rng = None if dropout_seed is None else np.random.default_rng(dropout_seed)
        z, _ = _forward(
            params, ids, lengths, config, rng, training=False, perturbation=perturbation
        )
        if config.head == "logistic":
            p = 1.0 / (1.0 + np.exp(-z))
            per_sample = -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).sum(axis=1)
        elif config.head == "poisson":
            y_log_y = Y * np.log(np.where(Y > 0, Y, 1.0))
            per_sample = (y_log_y - Y * z - Y + np.exp(z)).sum(axis=1)
        else:
            per_sample = 0.5 * ((z - Y) ** 2).mean(axis=1)
        penalty = sum(
            np.vdot(value, value)
            for name, value in params.items()
            if is_penalised(name, config)
        )
        return (np.dot(sample_weight, per_sample) + 0.5 * alpha * penalty) / total

    return loss


def check_head_gradients(config, *, dropout_seed=None, seed=0):
    params = make_params(config, seed)
    ids, lengths, _, w = make_batch(config.n_outputs, seed=seed)
    Y = head_targets(config.head, len(lengths), config.n_outputs, seed)
    rng = None if dropout_seed is None else np.random.default_rng(dropout_seed)
    loss, grads = loss_and_grad(
        params, ids, lengths, Y, config, sample_weight=w, alpha=ALPHA, rng=rng
    )
    assert sorted(grads) == sorted(params)
    f = head_reference_loss(config, ids, lengths, Y, w, ALPHA, dropout_seed)
    assert f(params) == pytest.approx(loss, rel=1e-12)
    return assert_gradients_match(f, params, grads)


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("head", ["logistic", "identity", "poisson"])
def test_head_gradients_match_finite_differences(head, bidirectional, pooling):
    # Every pooling and direction, padded mixed-length batches, sample
    # weights, L2 penalty; the cells and input kinds taken in turn.
    k = POOLINGS.index(pooling) + 3 * bidirectional
    config = make_config(
        head=head,
        n_outputs=3 if head == "logistic" else 2,
        cell=sorted(CELLS)[k % len(CELLS)],
        bidirectional=bidirectional,
        num_layers=1 + k % 2,
        pooling=pooling,
        embedding_dim=EMBED if k % 2 else None,
    )
    check_head_gradients(config, seed=k)


@pytest.mark.parametrize("head", ["logistic", "identity", "poisson"])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_head_gradients_with_dropout_and_one_output(cell, head):
    config = make_config(
        head=head,
        n_outputs=1,
        cell=cell,
        bidirectional=True,
        pooling="max",
        embedding_dim=EMBED,
        dropout=DROPOUT,
        input_dropout=DROPOUT,
    )
    check_head_gradients(config, dropout_seed=9, seed=5)


@pytest.mark.parametrize("head", ["softmax", "logistic", "identity"])
def test_head_batch_equals_weighted_mean_of_documents(head):
    # The loss of a padded batch is the weighted mean of the documents' own.
    n_outputs = 3
    config = make_config(head=head, n_outputs=n_outputs, cell="gru", pooling="mean")
    params = make_params(config)
    docs = make_docs(lengths=(5, 3, 1))
    ids, lengths = pad_batch(docs)
    _, _, y, w = make_batch(n_outputs, lengths=(5, 3, 1))
    if head != "softmax":
        y = head_targets(head, len(docs), n_outputs)
    loss, _ = loss_and_grad(params, ids, lengths, y, config, sample_weight=w)
    alone = [
        loss_and_grad(params, *pad_batch([doc]), y[i : i + 1], config)[0]
        for i, doc in enumerate(docs)
    ]
    assert loss == pytest.approx(np.average(alone, weights=w), rel=1e-12)


@pytest.mark.parametrize(
    "num_layers, dropout, input_dropout",
    [(1, DROPOUT, 0.0), (2, DROPOUT, 0.0), (1, 0.0, DROPOUT)],
)
def test_dropout_is_applied_and_reproducible(num_layers, dropout, input_dropout):
    # Guards the dropout gradient checks against passing because no mask was drawn.
    config = make_config(
        cell="lstm",
        num_layers=num_layers,
        embedding_dim=EMBED,
        dropout=dropout,
        input_dropout=input_dropout,
    )
    params = make_params(config)
    ids, lengths, y, w = make_batch(3)

    def run(rng):
        return loss_and_grad(params, ids, lengths, y, config, sample_weight=w, rng=rng)

    loss_a, grads_a = run(np.random.default_rng(3))
    loss_b, grads_b = run(np.random.default_rng(3))
    loss_c, _ = run(np.random.default_rng(4))
    loss_off, _ = run(None)
    assert loss_a == loss_b
    for name in grads_a:
        assert_array_equal(grads_a[name], grads_b[name])
    assert loss_a != loss_c
    assert loss_a != loss_off
    # forward never drops
    assert_array_equal(
        forward(params, ids, lengths, config),
        forward(
            params,
            ids,
            lengths,
            make_config(**{**vars(config), "dropout": 0.0, "input_dropout": 0.0}),
        ),
    )


def test_finite_differences_of_loss_and_grad_itself():
    # The other checks difference a written-out loss through ``_forward``;
    # here the loss returned by ``loss_and_grad`` is differentiated directly.
    config = make_config(cell="gru", embedding_dim=EMBED, pooling="mean", dropout=0.3)
    params = make_params(config, seed=4)
    ids, lengths, y, w = make_batch(3, seed=4)

    def loss(p):
        rng = np.random.default_rng(5)
        return loss_and_grad(
            p, ids, lengths, y, config, sample_weight=w, alpha=ALPHA, rng=rng
        )[0]

    _, grads = loss_and_grad(
        params,
        ids,
        lengths,
        y,
        config,
        sample_weight=w,
        alpha=ALPHA,
        rng=np.random.default_rng(5),
    )
    assert_gradients_match(loss, params, grads)


@pytest.mark.parametrize("embedding_dim", [None, EMBED])
def test_padding_id_gets_no_gradient(embedding_dim):
    # Id 0 occurs only as padding here, which the cells never read.
    config = make_config(
        cell="lstm", embedding_dim=embedding_dim, bidirectional=True, pooling="mean"
    )
    params = make_params(config)
    ids, lengths, y, w = make_batch(3)
    _, grads = loss_and_grad(params, ids, lengths, y, config, sample_weight=w)
    names = ["embed.E"] if embedding_dim else ["layer0.fwd.W_xh", "layer0.bwd.W_xh"]
    for name in names:
        assert_array_equal(grads[name][0], 0.0)
        assert np.abs(grads[name][1:]).max() > 0


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_embedding_gradient_by_distinct_word_equals_by_position(
    cell, bidirectional, num_layers
):
    # loss_and_grad differentiates the first layer's input projection once
    # per distinct word; the gradients of every position, summed by word, are
    # the same to rounding (float32, as training runs).
    config = make_config(
        cell=cell,
        embedding_dim=EMBED,
        bidirectional=bidirectional,
        num_layers=num_layers,
    )
    params = make_params(config, dtype=np.float32)
    ids, lengths, y, w = make_batch(3)
    w = w.astype(np.float32)
    loss, grads = _loss_and_grad(params, ids, lengths, y, config, sample_weight=w)
    by_position, position_grads, dinputs = _loss_grad_and_dinputs(
        params, ids, lengths, y, config, w, None
    )
    assert dinputs.shape == (*ids.shape, EMBED)
    assert loss == by_position
    assert_array_equal(grads["embed.E"].ids, position_grads["embed.E"].ids)
    assert grads.keys() == position_grads.keys()
    for name, grad in dense(position_grads).items():
        assert dense(grads)[name].dtype == np.float32
        assert_allclose(dense(grads)[name], grad, rtol=1e-5, atol=1e-6, err_msg=name)


# --------------------------------------------------------- adversarial training

ADV_EPSILON = 0.7


def adversarial_setup(config, *, dropout_seed=None, seed=0, epsilon=ADV_EPSILON):
    """A batch, its loss and gradient with ``epsilon``, and the perturbation.

    ``r`` is computed as ``loss_and_grad`` computes it, from the clean pass
    at these parameters and dropout masks; the checks then hold it fixed.
    """
    params = make_params(config, seed)
    before = {k: v.copy() for k, v in params.items()}
    ids, lengths, y, w = make_batch(config.n_outputs, seed=seed)
    if config.head != "softmax":
        y = head_targets(config.head, len(lengths), config.n_outputs, seed)

    def rng():
        return None if dropout_seed is None else np.random.default_rng(dropout_seed)

    loss, grads = loss_and_grad(
        params,
        ids,
        lengths,
        y,
        config,
        sample_weight=w,
        alpha=ALPHA,
        rng=rng(),
        adversarial_epsilon=epsilon,
    )
    for name in params:  # read only
        assert_array_equal(params[name], before[name])
    _, _, dinputs = _loss_grad_and_dinputs(params, ids, lengths, y, config, w, rng())
    r = adversarial_perturbation(dinputs, lengths, epsilon)
    return params, (ids, lengths, y, w), loss, grads, r


def check_adversarial_gradients(config, *, dropout_seed=None, seed=0):
    """``loss_and_grad`` with ``adversarial_epsilon`` is ``L(x) + L(x + r)``.

    Its loss is that of the written-out reference at the clean and at the
    perturbed inputs (so it used this ``r`` and the same dropout masks in
    both passes), and its gradient that loss's finite differences with
    ``r`` held fixed, in every entry of every parameter.
    """
    params, batch, loss, grads, r = adversarial_setup(
        config, dropout_seed=dropout_seed, seed=seed
    )
    reference = reference_loss if config.head == "softmax" else head_reference_loss
    clean = reference(config, *batch, ALPHA, dropout_seed)
    perturbed = reference(config, *batch, 0.0, dropout_seed, perturbation=r)

    def f(p):
        return clean(p) + perturbed(p)

    assert np.abs(r).max() > 0
    assert sorted(grads) == sorted(params)
    assert f(params) == pytest.approx(loss, rel=1e-12)
    return assert_gradients_match(f, params, grads)


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_adversarial_gradients_match_finite_differences(cell, bidirectional, pooling):
    # Sample weights, an empty sequence and the L2 penalty included; two
    # layers for half of the cases.
    k = POOLINGS.index(pooling)
    config = make_config(
        cell=cell,
        bidirectional=bidirectional,
        num_layers=1 + (k + bidirectional) % 2,
        pooling=pooling,
        embedding_dim=EMBED,
    )
    check_adversarial_gradients(config, seed=k)


@pytest.mark.parametrize(
    ("bidirectional", "num_layers", "pooling", "input_dropout"),
    [(False, 1, "last", DROPOUT), (True, 2, "max", DROPOUT), (False, 2, "mean", 0.0)],
)
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_adversarial_gradients_with_dropout(
    cell, bidirectional, num_layers, pooling, input_dropout
):
    config = make_config(
        cell=cell,
        bidirectional=bidirectional,
        num_layers=num_layers,
        pooling=pooling,
        embedding_dim=EMBED,
        dropout=DROPOUT,
        input_dropout=input_dropout,
    )
    check_adversarial_gradients(config, dropout_seed=11, seed=3)


@pytest.mark.parametrize("head", ["logistic", "identity"])
def test_adversarial_gradients_of_the_other_heads(head):
    config = make_config(
        head=head,
        n_outputs=2,
        cell="gru",
        bidirectional=True,
        pooling="max",
        embedding_dim=EMBED,
    )
    check_adversarial_gradients(config, seed=6)


def test_adversarial_perturbation_has_norm_epsilon_per_sequence():
    config = make_config(cell="lstm", embedding_dim=EMBED, bidirectional=True)
    lengths_ = (5, 3, 3, 2, 1, 0)
    params = make_params(config)
    ids, lengths, y, w = make_batch(3, lengths=lengths_)
    w[3] = 0.0  # a sequence of weight 0 has no gradient: no perturbation
    _, _, dinputs = _loss_grad_and_dinputs(params, ids, lengths, y, config, w, None)
    r = adversarial_perturbation(dinputs, lengths, 2.5)
    assert r.shape == dinputs.shape
    padded = np.arange(len(ids))[:, None] >= lengths[None, :]
    assert_array_equal(r[padded], 0.0)
    norms = np.sqrt((r**2).sum(axis=(0, 2)))
    assert_allclose(norms, [2.5, 2.5, 2.5, 0.0, 2.5, 0.0], rtol=1e-12)
    for b in (0, 1, 2, 4):
        # along the gradient, not against it
        g = dinputs[: lengths[b], b]
        cosine = np.vdot(r[: lengths[b], b], g) / (norms[b] * np.linalg.norm(g))
        assert cosine == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("scale", [1e-30, 1.0, 1e30])
def test_adversarial_perturbation_of_extreme_gradients_in_float32(scale):
    # Squaring 1e30 overflows float32 and 1e-30 underflows it: the gradient
    # is divided by its largest entry first.
    rng = np.random.default_rng(0)
    dinputs = (scale * rng.standard_normal((4, 3, 5))).astype(np.float32)
    lengths = np.array([4, 2, 1])
    r = adversarial_perturbation(dinputs, lengths, 3.0)
    assert r.dtype == np.float32
    assert_allclose(np.sqrt((r.astype(np.float64) ** 2).sum(axis=(0, 2))), 3.0)


def test_adversarial_epsilon_larger_than_float32_holds_is_an_error():
    # Regression: 1e39 became inf in float32, and the loss NaN, silently.
    config = make_config(cell="gru", embedding_dim=EMBED)
    params = make_params(config, dtype=np.float32)
    ids, lengths, y, _ = make_batch(3)
    with pytest.raises(ValueError, match=r"1e\+39 is larger than float32"):
        _loss_and_grad(params, ids, lengths, y, config, adversarial_epsilon=1e39)
    wide = {name: value.astype(np.float64) for name, value in params.items()}
    loss, _ = _loss_and_grad(wide, ids, lengths, y, config, adversarial_epsilon=1e39)
    assert np.isfinite(loss)


def test_adversarial_perturbation_raises_the_loss_most_to_first_order():
    # L(x + r) - L(x) ~ epsilon * sum_b ||dL/dx_b|| for a small epsilon: the
    # sign and the per-sequence norm of r, which the gradient check (r held
    # fixed) cannot see.
    config = make_config(cell="gru", embedding_dim=EMBED, pooling="mean")
    params = make_params(config, seed=2)
    ids, lengths, y, w = make_batch(3, seed=2)
    loss, _, dinputs = _loss_grad_and_dinputs(params, ids, lengths, y, config, w, None)
    epsilon = 1e-5
    r = adversarial_perturbation(dinputs, lengths, epsilon)
    perturbed = reference_loss(config, ids, lengths, y, w, 0.0, None, r)(params)
    expected = epsilon * np.sqrt((dinputs**2).sum(axis=(0, 2))).sum()
    assert perturbed - loss == pytest.approx(expected, rel=1e-3)


def test_zero_adversarial_epsilon_is_the_plain_loss_and_draws_the_same_masks():
    config = make_config(
        cell="gru", embedding_dim=EMBED, dropout=DROPOUT, input_dropout=DROPOUT
    )
    params = make_params(config)
    ids, lengths, y, w = make_batch(3)
    runs = {}
    for epsilon in (None, 0.0, 0.5):
        rng = np.random.default_rng(3)
        kwargs = {} if epsilon is None else {"adversarial_epsilon": epsilon}
        loss, grads = loss_and_grad(
            params, ids, lengths, y, config, sample_weight=w, rng=rng, **kwargs
        )
        runs[epsilon] = loss, grads, rng.random()
    assert runs[0.0][0] == runs[None][0]
    for name in params:
        assert_array_equal(runs[0.0][1][name], runs[None][1][name])
    # The adversarial pass replays the clean pass's masks: the generator
    # moves on as without it, so shuffling and later masks are unchanged.
    assert runs[0.5][2] == runs[0.0][2] == runs[None][2]
    assert runs[0.5][0] > runs[0.0][0]


def test_adversarial_epsilon_needs_an_embedding():
    config = make_config(cell="gru", embedding_dim=None)
    params = make_params(config)
    ids, lengths, y, _ = make_batch(3)
    with pytest.raises(ValueError, match="one-hot inputs; give it an embedding_dim"):
        loss_and_grad(params, ids, lengths, y, config, adversarial_epsilon=1.0)


# ----------------------------------------------------------------- equivalence


@pytest.mark.parametrize("embedding_dim", [None, EMBED])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_batch_equals_weighted_mean_of_documents(
    cell, bidirectional, pooling, embedding_dim
):
    config = make_config(
        cell=cell,
        bidirectional=bidirectional,
        num_layers=2,
        pooling=pooling,
        embedding_dim=embedding_dim,
    )
    params = make_params(config)
    docs = make_docs()
    ids, lengths = pad_batch(docs)
    _, _, y, w = make_batch(3)
    loss, grads = loss_and_grad(params, ids, lengths, y, config, sample_weight=w)

    expected_loss = 0.0
    expected = {name: np.zeros_like(value) for name, value in params.items()}
    for doc, target, weight in zip(docs, y, w, strict=True):
        doc_ids, doc_lengths = pad_batch([doc])
        doc_loss, doc_grads = loss_and_grad(
            params, doc_ids, doc_lengths, np.array([target]), config
        )
        expected_loss += weight * doc_loss / w.sum()
        for name in expected:
            expected[name] += weight * doc_grads[name] / w.sum()
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    for name in params:
        assert_allclose(grads[name], expected[name], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_l2_penalty_on_weights_only_scaled_by_total_weight(cell):
    config = make_config(cell=cell, embedding_dim=EMBED, bidirectional=True)
    params = make_params(config)
    ids, lengths, y, w = make_batch(3)
    loss0, grads0 = loss_and_grad(params, ids, lengths, y, config, sample_weight=w)
    loss1, grads1 = loss_and_grad(
        params, ids, lengths, y, config, sample_weight=w, alpha=0.7
    )
    weights = [name for name in params if is_penalised(name, config)]
    assert "embed.E" not in weights
    assert "head.W_hy" in weights
    assert "layer0.fwd.W_xh" in weights
    assert penalized_names(config) == set(weights)
    penalty = sum(np.vdot(params[name], params[name]) for name in weights)
    assert loss1 - loss0 == pytest.approx(0.5 * 0.7 * penalty / w.sum(), rel=1e-10)
    for name in params:
        extra = 0.7 / w.sum() * params[name] if name in weights else 0.0
        assert_allclose(grads1[name] - grads0[name], extra, rtol=1e-10, atol=1e-14)


def test_default_sample_weight_is_ones():
    config = make_config(cell="gru")
    params = make_params(config)
    ids, lengths, y, _ = make_batch(3)
    # Without a penalty a uniform weight cancels out; with one it would not,
    # since the penalty is divided by the total weight.
    loss_a, grads_a = loss_and_grad(params, ids, lengths, y, config)
    loss_b, grads_b = loss_and_grad(
        params, ids, lengths, y, config, sample_weight=np.full(5, 2.5)
    )
    assert loss_a == pytest.approx(loss_b, rel=1e-12)
    for name in params:
        assert_allclose(grads_a[name], grads_b[name], rtol=1e-12)


class SeedRNN:
    """The seed's many-to-one RNN (intro-to-rnns.md), column vectors, no update.

    ``backprop`` is the seed's BPTT without the clipping and the update, with
    one correction: the seed writes ``d_h = self.Whh @ temp``; the adjoint of
    ``Whh @ h`` is ``Whh.T @ temp`` (``transpose_fix=False`` keeps the seed's
    line, see ``test_seed_backprop_verbatim_is_wrong``).
    """

    def __init__(self, Wxh, Whh, Why, bh, by, transpose_fix=True):
        self.Wxh, self.Whh, self.Why, self.bh, self.by = Wxh, Whh, Why, bh, by
        self.transpose_fix = transpose_fix

    def forward(self, inputs):
        h = np.zeros((self.Whh.shape[0], 1))
        self.last_inputs = inputs
        self.last_hs = {0: h}
        for i, x in enumerate(inputs):
            h = np.tanh(self.Wxh @ x + self.Whh @ h + self.bh)
            self.last_hs[i + 1] = h
        y = self.Why @ h + self.by
        return y, h

    def backprop(self, d_y):
        n = len(self.last_inputs)
        d_Why = d_y @ self.last_hs[n].T
        d_by = d_y
        d_Whh = np.zeros(self.Whh.shape)
        d_Wxh = np.zeros(self.Wxh.shape)
        d_bh = np.zeros(self.bh.shape)
        d_h = self.Why.T @ d_y
        for t in reversed(range(n)):
            temp = (1 - self.last_hs[t + 1] ** 2) * d_h
            d_bh += temp
            d_Whh += temp @ self.last_hs[t].T
            d_Wxh += temp @ self.last_inputs[t].T
            d_h = (self.Whh.T if self.transpose_fix else self.Whh) @ temp
        return d_Wxh, d_Whh, d_Why, d_bh, d_by


def seed_inputs(doc):
    inputs = []
    for token in doc:
        v = np.zeros((N_VOCAB, 1))
        v[token] = 1
        inputs.append(v)
    return inputs


def seed_softmax(xs):
    return np.exp(xs) / sum(np.exp(xs))


def seed_rnn_from(params, transpose_fix=True):
    """The seed's weights are skrnn's transposed (column vs row vectors)."""
    return SeedRNN(
        params["layer0.fwd.W_xh"].T,
        params["layer0.fwd.W_hh"].T,
        params["head.W_hy"].T,
        params["layer0.fwd.b_h"][:, None],
        params["head.b_y"][:, None],
        transpose_fix,
    )


SEED_CONFIG = make_config(cell="rnn", n_outputs=2, pooling="last")


def test_seed_forward_equals_forward():
    params = make_params(SEED_CONFIG)
    docs = make_docs((7, 5, 3, 3, 1, 0))
    rnn = seed_rnn_from(params)
    expected = np.stack([rnn.forward(seed_inputs(doc))[0][:, 0] for doc in docs])
    logits = forward(params, *pad_batch(docs), SEED_CONFIG)
    assert_allclose(logits, expected, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("length", [7, 3, 1, 0])
def test_seed_backprop_equals_loss_and_grad(length):
    params = make_params(SEED_CONFIG)
    (doc,) = make_docs((length,), seed=length)
    target = length % 2
    rnn = seed_rnn_from(params)
    out, _ = rnn.forward(seed_inputs(doc))
    probs = seed_softmax(out)
    seed_loss = -np.log(probs[target, 0])
    d_L_d_y = probs
    d_L_d_y[target] -= 1
    d_Wxh, d_Whh, d_Why, d_bh, d_by = rnn.backprop(d_L_d_y)

    loss, grads = loss_and_grad(
        params, *pad_batch([doc]), np.array([target]), SEED_CONFIG
    )
    assert loss == pytest.approx(seed_loss, rel=1e-12)
    assert_allclose(grads["layer0.fwd.W_xh"], d_Wxh.T, rtol=1e-12, atol=1e-15)
    assert_allclose(grads["layer0.fwd.W_hh"], d_Whh.T, rtol=1e-12, atol=1e-15)
    assert_allclose(grads["layer0.fwd.b_h"], d_bh[:, 0], rtol=1e-12, atol=1e-15)
    assert_allclose(grads["head.W_hy"], d_Why.T, rtol=1e-12, atol=1e-15)
    assert_allclose(grads["head.b_y"], d_by[:, 0], rtol=1e-12, atol=1e-15)


def test_seed_backprop_verbatim_is_wrong():
    # Documents the correction in SeedRNN: the seed's ``d_h = self.Whh @ temp``
    # disagrees with skrnn (and with finite differences) once a sequence has
    # two tokens and W_hh is not symmetric.
    params = make_params(SEED_CONFIG)
    (doc,) = make_docs((4,))
    rnn = seed_rnn_from(params, transpose_fix=False)
    out, _ = rnn.forward(seed_inputs(doc))
    d_L_d_y = seed_softmax(out)
    d_L_d_y[0] -= 1
    d_Whh = rnn.backprop(d_L_d_y)[1]
    _, grads = loss_and_grad(params, *pad_batch([doc]), np.array([0]), SEED_CONFIG)
    assert np.abs(grads["layer0.fwd.W_hh"] - d_Whh.T).max() > 1e-3


# ------------------------------------------------------------------- behaviour


@pytest.mark.parametrize(("dtype", "atol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("embedding_dim", [None, EMBED])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_document_alone_equals_its_row_in_a_padded_batch(
    cell, bidirectional, pooling, embedding_dim, dtype, atol
):
    config = make_config(
        cell=cell,
        bidirectional=bidirectional,
        num_layers=2,
        pooling=pooling,
        embedding_dim=embedding_dim,
    )
    params = make_params(config, dtype=dtype)
    docs = make_docs((8, 6, 4, 4, 2, 1, 0))
    logits = forward(params, *pad_batch(docs), config)
    assert logits.dtype == dtype
    for row, doc in enumerate(docs):
        alone = forward(params, *pad_batch([doc]), config)
        assert_allclose(alone[0], logits[row], rtol=0, atol=atol)


@pytest.mark.parametrize("embedding_dim", [None, EMBED])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_staged_forward_gives_the_logits_of_every_prefix(cell, pooling, embedding_dim):
    config = make_config(
        cell=cell, num_layers=2, pooling=pooling, embedding_dim=embedding_dim
    )
    params = make_params(config)
    docs = make_docs((6, 4, 4, 1))
    staged = staged_forward(params, *pad_batch(docs), config)
    assert staged.shape == (6, len(docs), 3)
    for column, doc in enumerate(docs):
        prefixes = [doc[:t] for t in range(len(doc), 0, -1)]  # longest first
        expected = forward(params, *pad_batch(prefixes), config)[::-1]
        assert_allclose(staged[: len(doc), column], expected, rtol=0, atol=1e-12)


def test_staged_forward_refuses_a_bidirectional_network():
    config = make_config(bidirectional=True)
    with pytest.raises(ValueError, match="unidirectional"):
        staged_forward(make_params(config), *pad_batch(make_docs()), config)


@pytest.mark.parametrize("embedding_dim", [None, EMBED])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_padding_contents_are_never_read(cell, embedding_dim):
    config = make_config(
        cell=cell,
        bidirectional=True,
        num_layers=2,
        pooling="max",
        embedding_dim=embedding_dim,
    )
    params = make_params(config)
    ids, lengths, y, w = make_batch(3)
    noisy = ids.copy()
    padding = np.arange(ids.shape[0])[:, None] >= lengths[None, :]
    noisy[padding] = np.random.default_rng(0).integers(1, N_VOCAB, padding.sum())
    assert (noisy != ids).any()
    assert_allclose(
        forward(params, noisy, lengths, config),
        forward(params, ids, lengths, config),
        rtol=0,
        atol=1e-13,
    )
    loss, grads = loss_and_grad(params, ids, lengths, y, config, sample_weight=w)
    loss_n, grads_n = loss_and_grad(params, noisy, lengths, y, config, sample_weight=w)
    assert loss_n == pytest.approx(loss, rel=1e-13)
    for name in params:
        assert_allclose(grads_n[name], grads[name], rtol=0, atol=1e-13)


def test_all_empty_batch():
    config = make_config(cell="lstm", bidirectional=True, embedding_dim=EMBED)
    params = make_params(config)
    ids, lengths = pad_batch([np.array([], dtype=int)] * 3)
    assert ids.shape == (0, 3)
    logits = forward(params, ids, lengths, config)
    assert_allclose(logits, np.broadcast_to(params["head.b_y"], (3, 3)))
    _, grads = loss_and_grad(params, ids, lengths, np.array([0, 1, 2]), config)
    for name, grad in grads.items():
        if name != "head.b_y":
            assert_array_equal(grad, 0.0)


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("embedding_dim", [None, EMBED])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_float32_stays_float32(cell, embedding_dim, pooling):
    config = make_config(
        cell=cell,
        embedding_dim=embedding_dim,
        pooling=pooling,
        num_layers=2,
        bidirectional=True,
        dropout=0.3,
    )
    params32 = make_params(config, dtype=np.float32)
    params64 = {name: value.astype(np.float64) for name, value in params32.items()}
    ids, lengths, y, w = make_batch(3)  # float64 sample_weight
    assert forward(params32, ids, lengths, config).dtype == np.float32

    def run(params):
        return loss_and_grad(
            params,
            ids,
            lengths,
            y,
            config,
            sample_weight=w,
            alpha=ALPHA,
            rng=np.random.default_rng(0),
        )

    loss32, grads32 = run(params32)
    loss64, grads64 = run(params64)
    assert isinstance(loss32, float)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    for name in params32:
        assert grads32[name].dtype == np.float32, name
        scale = np.abs(grads64[name]).max()
        assert_allclose(grads32[name], grads64[name], rtol=0, atol=1e-4 * scale)


# ------------------------------------------------------------------ _init


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 4, 9])
def test_orthogonal(n, dtype):
    q = orthogonal(np.random.default_rng(n), (n, n), np.dtype(dtype))
    assert q.shape == (n, n)
    assert q.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert_allclose(q.T @ q, np.eye(n), atol=tol)
    assert_allclose(q @ q.T, np.eye(n), atol=tol)


def test_orthogonal_is_not_always_the_same_matrix():
    rng = np.random.default_rng(0)
    a = orthogonal(rng, (4, 4), np.dtype(float))
    b = orthogonal(rng, (4, 4), np.dtype(float))
    assert not np.allclose(a, b)


@pytest.mark.parametrize(("fan_in", "fan_out"), [(30, 50), (200, 1)])
def test_glorot_uniform_limits(fan_in, fan_out):
    rng = np.random.default_rng(0)
    w = glorot_uniform(rng, (fan_in, fan_out), np.dtype(np.float32))
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    assert w.shape == (fan_in, fan_out)
    assert w.dtype == np.float32
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.9 * limit
    assert abs(w.mean()) < 0.1 * limit


def test_uniform_limits():
    u = uniform(0.5)(np.random.default_rng(0), (40, 30), np.dtype(np.float64))
    assert u.shape == (40, 30)
    assert u.dtype == np.float64
    assert np.abs(u).max() <= 0.5
    assert np.abs(u).max() > 0.45


def test_orthogonal_is_square():
    with pytest.raises(ValueError, match="square"):
        orthogonal(np.random.default_rng(0), (3, 4), np.dtype(float))


def test_per_gate_draws_the_blocks_left_to_right():
    blocks = per_gate(glorot_uniform, 3)(np.random.default_rng(0), (5, 6), np.float64)
    rng = np.random.default_rng(0)
    expected = [glorot_uniform(rng, (5, 2), np.float64) for _ in range(3)]
    assert_array_equal(blocks, np.concatenate(expected, axis=1))


def test_gate_constants():
    bias = gate_constants(0.0, 1.0, 0.0, 0.0)(None, (8,), np.dtype(np.float32))
    assert bias.dtype == np.float32
    assert_array_equal(bias, [0, 0, 1, 1, 0, 0, 0, 0])


def expected_shapes(config):
    G = {"rnn": 1, "lstm": 4, "gru": 3}[config.cell]
    H = config.hidden_size
    shapes = {}
    if config.embedding_dim is not None:
        shapes["embed.E"] = (config.n_vocab, config.embedding_dim)
    for layer in range(config.num_layers):
        for direction in ("fwd", "bwd") if config.bidirectional else ("fwd",):
            name = f"layer{layer}.{direction}."
            if layer == 0:
                width = config.embedding_dim or config.n_vocab
            else:
                width = config.output_width
            shapes[name + "W_xh"] = (width, G * H)
            shapes[name + "W_hh"] = (H, G * H)
            shapes[name + "b_h"] = (G * H,)
            if config.cell == "gru":
                shapes[name + "b_hn"] = (H,)
    shapes["head.W_hy"] = (config.output_width, config.n_outputs)
    shapes["head.b_y"] = (config.n_outputs,)
    return shapes


CONFIGS = [
    make_config(cell=cell, bidirectional=bidi, num_layers=layers, embedding_dim=emb)
    for cell, bidi, layers, emb in itertools.product(
        sorted(CELLS), [False, True], [1, 2], [None, EMBED]
    )
]


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
def test_init_params_names_shapes_and_dtype(config):
    params = init_params(config, np.random.default_rng(0), np.float32)
    assert {k: v.shape for k, v in params.items()} == expected_shapes(config)
    assert param_shapes(config) == {k: v.shape for k, v in params.items()}
    assert list(param_shapes(config)) == list(params)
    assert n_params(config) == sum(value.size for value in params.values())
    for value in params.values():
        assert value.dtype == np.float32


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
def test_penalized_names_are_the_weights_but_lookup_tables(config):
    expected = {name for name in expected_shapes(config) if is_penalised(name, config)}
    assert penalized_names(config) == expected
    assert "head.W_hy" in expected
    assert not any(name.rsplit(".", 1)[1].startswith("b_") for name in expected)


def test_n_params_counts_a_deep_network_without_listing_it():
    # A forged file's num_layers must not cost time in proportion to it.
    one, two, deep = (
        n_params(make_config(cell="gru", num_layers=n, bidirectional=True))
        for n in (1, 2, 10**12)
    )
    assert deep == two + (10**12 - 2) * (two - one)


def test_init_params_names_an_initialiser_of_the_wrong_shape():
    # A registered cell's initialisers are the user's: a wrong result is named.
    rnn = CELLS["rnn"]
    wrong = Param(lambda n_in, H: (H,), lambda rng, shape, dtype: np.zeros(2), False)
    register_cell(
        "wrong", Cell({**rnn.params, "b_h": wrong}, rnn.forward, rnn.backward)
    )
    try:
        with pytest.raises(ValueError, match=r"initialiser of 'layer0.fwd.b_h' gave"):
            init_params(make_config(cell="wrong"), np.random.default_rng(0), np.float32)
    finally:
        unregister_cell("wrong")


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
def test_init_params_reproducible(config):
    a = init_params(config, np.random.default_rng(42), np.float64)
    b = init_params(config, np.random.default_rng(42), np.float64)
    c = init_params(config, np.random.default_rng(43), np.float64)
    assert sorted(a) == sorted(b)
    for name in a:
        assert_array_equal(a[name], b[name])
    assert not np.array_equal(a["head.W_hy"], c["head.W_hy"])


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
def test_init_params_biases_and_zero_ids(config):
    params = init_params(config, np.random.default_rng(0), np.float64, zero_ids=(0, 1))
    H = config.hidden_size
    first = (
        ["embed.E"]
        if config.embedding_dim
        else [name for name in params if name.startswith("layer0.") and "W_xh" in name]
    )
    for name in first:
        assert_array_equal(params[name][[0, 1]], 0.0)
        assert (params[name][2:] != 0).all()
    for name, value in params.items():
        if name.endswith(".b_h") and config.cell in ("lstm", "gru"):
            # LSTM gates i, f, o, g: the forget bias starts at one; GRU gates
            # r, z, n: the update bias starts at one
            assert_array_equal(value[H : 2 * H], 1.0)
            assert_array_equal(np.delete(value, np.s_[H : 2 * H]), 0.0)
        elif not is_weight(name):
            assert_array_equal(value, 0.0)
        elif name.endswith("W_hh"):
            for block in np.split(value, value.shape[1] // H, axis=1):
                assert_allclose(block.T @ block, np.eye(H), atol=1e-12)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("n_vocab", 0, "n_vocab must be an int >= 1"),
        ("n_outputs", True, "n_outputs must be an int >= 1"),
        ("hidden_size", 2.0, "hidden_size must be an int >= 1"),
        ("num_layers", -1, "num_layers must be an int >= 1"),
        ("embedding_dim", 0, "embedding_dim must be an int >= 1"),
        ("bidirectional", 1, "bidirectional must be a bool"),
        ("cell", "nope", "Unknown cell 'nope'; the registered cells are"),
        ("pooling", "sum", "pooling must be one of"),
        ("dropout", 1.0, r"dropout must be a number in \[0, 1\)"),
        ("input_dropout", "0.1", r"input_dropout must be a number in \[0, 1\)"),
        ("head", "tanh", "Unknown head 'tanh'; the registered heads are"),
        ("head", ["softmax"], r"Unknown head \['softmax'\]; the registered heads"),
    ],
)
def test_the_configuration_validates_itself(field, value, match):
    with pytest.raises(ValueError, match=match):
        NetworkConfig(**{"n_vocab": 5, "n_outputs": 2, field: value})


def test_the_configuration_takes_numpy_scalars_as_their_python_values():
    # A grid of numpy values gave np.int64(64) and np.float64(0.1), which
    # are ints and rates: refused as "must be an int >= 1" and "a number in
    # [0, 1)" until the configuration took numpy scalars.
    config = NetworkConfig(
        n_vocab=np.int64(5),
        n_outputs=np.int32(2),
        cell=np.str_("gru"),
        hidden_size=np.int64(4),
        embedding_dim=np.int16(3),
        num_layers=np.int64(2),
        bidirectional=np.True_,
        pooling=np.str_("max"),
        dropout=np.float64(0.1),
        input_dropout=np.float32(0.5),
    )
    expected = NetworkConfig(
        n_vocab=5,
        n_outputs=2,
        cell="gru",
        hidden_size=4,
        embedding_dim=3,
        num_layers=2,
        bidirectional=True,
        pooling="max",
        dropout=0.1,
        input_dropout=0.5,
    )
    assert config == expected
    for field in dataclasses.fields(config):
        assert type(getattr(config, field.name)) is type(getattr(expected, field.name))
    with pytest.raises(ValueError, match="hidden_size must be an int >= 1"):
        NetworkConfig(n_vocab=5, n_outputs=2, hidden_size=np.float64(4.0))
    with pytest.raises(ValueError, match="n_outputs must be an int >= 1"):
        NetworkConfig(n_vocab=5, n_outputs=np.True_)
