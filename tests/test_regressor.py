"""Tests for skrnn._regressor: the behaviour of RNNTextRegressor.

What the regressor shares with the classifier (text handling, the training
machinery) is tested in test_classifier.py; here, what regression adds:
targets of one and of several outputs, the squared error and the Poisson
loss, R^2 for early stopping and scoring, every network option with the
identity head,
persistence, staged predictions and explanations of values.
"""

import dataclasses
import io
import itertools
import pickle
import re
import warnings
from typing import ClassVar

import numpy as np
import pytest
from _mlp_losses import mlp_poisson_loss
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import MaxAbsScaler
from sklearn.utils._param_validation import InvalidParameterError

import skrnn
import skrnn._base as base_module
from skrnn import RNNTextRegressor
from skrnn._prediction import predict_logits
from skrnn.nn import CELLS, POOLINGS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: "very" doubles a rating, "good" is +1, "bad" -1.
X = [
    "a good film",
    "a bad film",
    "a very good film",
    "a very bad film",
    "good",
    "bad",
    "very good",
    "very bad",
]
Y = np.array([1.0, -1.0, 2.0, -2.0, 1.0, -1.0, 2.0, -2.0])
#: A second output: the length of the document in words.
Y2 = np.column_stack([Y, [len(doc.split()) for doc in X]])

FAST = {"hidden_size": 8, "embedding_dim": 8, "max_iter": 5, "random_state": 0}
LEARNS = {
    **FAST,
    "max_iter": 60,
    "learning_rate_init": 0.03,
    "dropout": 0.0,
    "input_dropout": 0.0,
}


def test_learns_ratings_and_scores_r2():
    reg = RNNTextRegressor(**LEARNS).fit(X, Y)
    predictions = reg.predict(X)
    assert predictions.shape == (len(X),)
    assert predictions.dtype == np.float64  # whatever dtype, as MLPRegressor's
    assert reg.n_outputs_ == 1
    assert reg.score(X, Y) == pytest.approx(r2_score(Y, predictions), rel=1e-6)
    assert reg.score(X, Y) > 0.9
    assert reg.weights_["head.W_hy"].shape == (8, 1)


def test_several_outputs():
    reg = RNNTextRegressor(**LEARNS).fit(X, Y2)
    assert reg.n_outputs_ == 2
    assert reg.predict(X).shape == (len(X), 2)
    assert reg.weights_["head.W_hy"].shape == (8, 2)
    assert reg.score(X, Y2) > 0.8


def test_loss_is_half_the_mean_squared_error_of_the_standardized_targets():
    # With full-batch steps and no dropout, the first epoch's loss is that of
    # the initial network, which a fit of zero steps would give; the network
    # trains on each output divided by its standard deviation.
    params = {**FAST, "batch_size": len(X), "dropout": 0.0, "input_dropout": 0.0}
    reg = RNNTextRegressor(**params, solver="sgd", learning_rate_init=1e-12)
    reg.set_params(max_iter=1).fit(X, Y2)
    expected = 0.5 * np.mean(((reg.predict(X) - Y2) / Y2.std(axis=0)) ** 2)
    assert reg.loss_curve_[0] == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize(
    ("cell", "pooling", "bidirectional"),
    [
        (cell, pooling, bidi)
        for (cell, pooling), bidi in zip(
            itertools.product(sorted(CELLS), POOLINGS), itertools.cycle([False, True])
        )
    ],
)
def test_every_cell_pooling_and_direction(cell, pooling, bidirectional):
    reg = RNNTextRegressor(
        **FAST, cell=cell, pooling=pooling, bidirectional=bidirectional
    ).fit(X, Y)
    assert np.isfinite(reg.predict(X)).all()
    assert len(reg.loss_curve_) == reg.n_iter_ == 5


@pytest.mark.parametrize(
    "params",
    [
        {"embedding_dim": None},
        {"embeddings": {"good": [1.0] * 4, "bad": [-1.0] * 4}, "embedding_dim": None},
        {"embeddings": {"good": [1.0] * 8}, "freeze_embeddings": True},
        {"solver": "sgd", "learning_rate": "adaptive"},
        {"num_layers": 2, "alpha": 0.01, "clip_norm": 1.0},
        {"dtype": np.float64},
        {"adversarial_epsilon": 0.5, "n_estimators": 2},
    ],
    ids=["one-hot", "embeddings", "frozen", "sgd", "deep", "float64", "adversarial"],
)
def test_network_and_training_options(params):
    reg = RNNTextRegressor(**{**FAST, **params}).fit(X, Y)
    dtype = np.dtype(params.get("dtype", np.float32))
    assert reg.weights_["head.W_hy"].dtype == dtype
    assert reg.predict(X).dtype == np.float64
    if "embeddings" in params:
        assert 0 < reg.embeddings_coverage_ <= 1
    if params.get("freeze_embeddings"):
        fresh = RNNTextRegressor(**{**FAST, **params, "max_iter": 1}).fit(X, Y)
        assert_array_equal(reg.weights_["embed.E"], fresh.weights_["embed.E"])


@pytest.mark.parametrize(
    ("loss", "targets", "start"),
    [
        ("squared_error", Y2 + 2000.0, np.average),
        ("poisson", Y + 500.0, lambda y, **kw: np.log(np.average(y, **kw))),
    ],
)
def test_outputs_start_at_the_weighted_mean_of_targets_far_from_0(loss, targets, start):
    # Steps too small to move the weights leave the bias where it started (in
    # the targets' units, those of the weights that predict). From 0, targets
    # near 2000 (years) were out of reach: a default fit on them predicted
    # about 340.
    weights = np.arange(1.0, len(X) + 1)
    reg = RNNTextRegressor(
        **{**FAST, "max_iter": 1, "learning_rate_init": 1e-9}, loss=loss
    ).fit(X, targets, sample_weight=weights)

    def bias(model):
        return model.to_targets(model.weights["head.b_y"])

    assert_allclose(
        bias(reg._fitted), start(targets, axis=0, weights=weights), rtol=1e-6
    )
    # a warm start keeps the fitted bias, whatever the new targets' mean
    fitted_bias = bias(reg._fitted)
    reg.set_params(warm_start=True).fit(X, targets + 1.0)
    assert_allclose(bias(reg._fitted), fitted_bias, rtol=1e-6)


def test_a_default_fit_learns_targets_far_from_0():
    reg = RNNTextRegressor(**LEARNS).fit(X, Y + 2000.0)
    assert reg.score(X, Y + 2000.0) > 0.9


@pytest.mark.parametrize(
    ("dtype", "atol"), [(np.float64, 1e-7), (np.float32, 2e-2)], ids=["f64", "f32"]
)
@pytest.mark.parametrize("targets", [Y, Y2], ids=["one output", "two outputs"])
def test_predictions_do_not_depend_on_the_targets_unit(dtype, atol, targets):
    # Regression: the squared error's gradients grew with the targets' spread,
    # for which Adam, clipping and the learning rate are not tuned: on targets
    # of a spread of 1,000 R^2 fell from 0.43 to 0.20. Each output is now
    # standardized, so that a fit on 1000 y + 5 is a fit on y, in other units
    # (atol: float32's rounding of those units, a 1e-5 of the spread).
    params = {**LEARNS, "max_iter": 20, "dtype": dtype, "n_estimators": 2}
    weights = np.arange(1.0, len(X) + 1)
    a = RNNTextRegressor(**params).fit(X, targets, sample_weight=weights)
    b = RNNTextRegressor(**params).fit(X, 1000 * targets + 5, sample_weight=weights)
    assert_allclose(b.predict(X), 1000 * a.predict(X) + 5, rtol=1e-6, atol=atol)
    assert b.score(X, 1000 * targets + 5) == pytest.approx(
        a.score(X, targets), abs=1e-6
    )
    # the training loss is that of the standardized targets, the same for both
    assert_allclose(b.loss_curve_, a.loss_curve_, rtol=1e-4)
    for staged_b, staged_a in zip(
        b.staged_predict(X), a.staged_predict(X), strict=True
    ):
        assert_allclose(staged_b, 1000 * staged_a + 5, rtol=1e-6, atol=atol)
    explained_b, explained_a = b.explain(X[2]), a.explain(X[2])
    assert_allclose(
        explained_b.attributions, 1000 * explained_a.attributions, atol=atol
    )
    assert_allclose(explained_b.prediction, 1000 * explained_a.prediction + 5)


@pytest.mark.parametrize(
    ("unit", "offset"), [(1.0, 1e8), (1e-300, 0.0)], ids=["far from 0", "tiny"]
)
def test_float32_weights_predict_as_float64_ones_whatever_the_targets(unit, offset):
    # Regression: the standardization was folded into float32 output
    # layers, whose bias rounded 1e8 to a multiple of 8, losing targets
    # spread over a few units (R^2 0.0 in float32 against 0.998 in float64),
    # and whose weights times a scale of 1e-300 underflowed to 0. The outputs
    # are now mapped back in float64.
    params = {**LEARNS, "max_iter": 20, "n_estimators": 2}
    targets = unit * Y + offset
    narrow, wide = (
        RNNTextRegressor(**params, dtype=dtype).fit(X, targets)
        for dtype in (np.float32, np.float64)
    )

    def in_units(values):
        return (np.asarray(values) - offset) / unit

    assert_allclose(
        in_units(narrow.predict(X)), in_units(wide.predict(X)), rtol=0, atol=1e-3
    )
    assert narrow.score(X, targets) == pytest.approx(wide.score(X, targets), abs=1e-4)
    assert wide.score(X, targets) > 0.5
    for staged_narrow, staged_wide in zip(
        narrow.staged_predict(X), wide.staged_predict(X), strict=True
    ):
        assert_allclose(
            in_units(staged_narrow), in_units(staged_wide), rtol=0, atol=1e-3
        )
    explained = [fit.explain(X[2]) for fit in (narrow, wide)]
    assert_allclose(
        in_units(explained[0].prediction),
        in_units(explained[1].prediction),
        atol=1e-3,
    )
    attributions = [e.attributions / unit for e in explained]
    assert_allclose(attributions[0], attributions[1], rtol=0, atol=1e-3)
    assert np.abs(attributions[1]).max() > 0.1


def test_early_stopping_scores_r2_whatever_the_targets_unit():
    params = {
        **LEARNS,
        "max_iter": 10,
        "dtype": np.float64,
        "early_stopping": True,
        "learning_rate": "constant",
        "validation_fraction": 0.25,
    }
    a = RNNTextRegressor(**params).fit(X, Y)
    b = RNNTextRegressor(**params).fit(X, 1000 * Y + 5)
    assert_allclose(b.validation_scores_, a.validation_scores_, rtol=1e-6)
    assert b.n_iter_ == a.n_iter_
    assert_allclose(b.predict(X), 1000 * a.predict(X) + 5, rtol=1e-6, atol=1e-7)


def test_partial_fit_and_warm_start_keep_the_standardization_of_the_first_call():
    params = {**FAST, "dtype": np.float64, "learning_rate": "constant"}
    first, later = slice(0, 4), slice(4, None)
    streams = []
    for unit, offset in [(1.0, 0.0), (1000.0, 5.0)]:
        reg = RNNTextRegressor(**params)
        reg.partial_fit(X[first], unit * Y2[first] + offset)
        scaling = reg._fitted.target_scaling
        assert_allclose(scaling.mean, unit * Y2[first].mean(axis=0) + offset)
        assert_allclose(scaling.scale, unit * Y2[first].std(axis=0))
        reg.partial_fit(X[later], unit * Y2[later] + offset)
        assert reg._fitted.target_scaling is scaling
        streams.append(reg.predict(X))
    assert_allclose(streams[1], 1000 * streams[0] + 5, rtol=1e-6, atol=1e-7)
    reg = RNNTextRegressor(**params, warm_start=True).fit(X, Y2)
    scaling = reg._fitted.target_scaling
    with pytest.warns(UserWarning, match="standard deviations"):
        reg.fit(X, 10 * Y2)  # which it warns of, standing far from the first
    assert reg._fitted.target_scaling is scaling
    # a new fit standardizes anew
    reg.set_params(warm_start=False).fit(X, 10 * Y2)
    assert_allclose(reg._fitted.target_scaling.scale, 10 * Y2.std(axis=0))


def test_constant_outputs_are_centred_but_not_scaled():
    y = np.column_stack([Y, np.full(len(Y), 7.0)])
    reg = RNNTextRegressor(**LEARNS).fit(X, y)
    assert_allclose(reg._fitted.target_scaling.mean, [0.0, 7.0], atol=1e-12)
    assert_allclose(reg._fitted.target_scaling.scale, [Y.std(), 1.0])
    assert_allclose(reg.predict(X)[:, 1], 7.0, atol=0.05)


@pytest.mark.parametrize("value", [1e60, 1e154])
def test_constant_targets_far_from_zero_fit_and_predict_themselves(value):
    # Regression: the rounding of their weighted mean (some 1e-16 of the
    # value), left unscaled, was trained on: 1e60 was refused as lying
    # "1.78e+44 standard deviations from the mean" in the very first fit.
    sample_weight = np.arange(1.0, len(X) + 1)
    y = np.full(len(X), value)
    reg = RNNTextRegressor(**FAST).fit(X, y, sample_weight=sample_weight)
    assert np.abs(reg._fitted.target_scaling.transform(y[:, None])).max() <= 1.0
    assert_allclose(reg.predict(X), value, rtol=1e-12)


def test_a_pickle_from_before_the_standardization_predicts_as_it_did():
    reg = RNNTextRegressor(**FAST).fit(X, 100 * Y)
    state = reg.__getstate__()
    old = dict(state["_fitted"])
    del old["target_scaling"]
    old_reg = RNNTextRegressor.__new__(RNNTextRegressor)
    old_reg.__setstate__({**state, "_fitted": old})
    assert old_reg._fitted.target_scaling is None
    # its weights are those of the targets as they were: it predicts them
    inputs = reg._fitted.weights
    expected = predict_logits(
        inputs, old_reg.vectorizer_.transform(X), reg._fitted.config
    )
    assert_allclose(old_reg.predict(X), expected[:, 0], rtol=1e-6)


def test_only_the_heads_that_declare_it_standardize_their_targets():
    assert (
        RNNTextRegressor(**FAST, loss="poisson")
        .fit(X, 100 * COUNTS)
        ._fitted.target_scaling
        is None
    )
    raw = dataclasses.replace(skrnn.nn.HEADS["identity"], standardize_y=False)
    skrnn.nn.register_head("raw_squared_error", raw)
    try:
        reg = RNNTextRegressor(**FAST, loss="raw_squared_error").fit(X, 100 * Y)
        assert reg._fitted.target_scaling is None
        assert reg.loss_curve_[0] > 100  # the squared error of the raw targets
    finally:
        skrnn.nn.unregister_head("raw_squared_error")


def test_same_seed_same_model_and_sample_weight_scale_invariance():
    a = RNNTextRegressor(**FAST).fit(X, Y)
    b = RNNTextRegressor(**FAST).fit(X, Y, sample_weight=np.full(len(X), 2.0))
    assert_array_equal(a.predict(X), b.predict(X))


def test_huge_sample_weights_train_as_unit_ones():
    # Regression: the weighted mean of the targets' standardization
    # multiplied weights of 1e300 by targets of 1e10, an overflow that made
    # the mean infinite and the training diverge.
    params = {**FAST, "dtype": np.float64}
    targets = 1e10 * Y
    a = RNNTextRegressor(**params).fit(X, targets)
    b = RNNTextRegressor(**params).fit(X, targets, sample_weight=np.full(len(X), 1e300))
    assert_allclose(b.predict(X), a.predict(X), rtol=1e-6)


def test_float32_weights_whose_batch_sum_times_outputs_overflows_train_as_ones():
    # Regression: weights that float32 holds the sum of (so not divided by
    # the largest), but not that sum times two outputs, made the squared
    # error of a batch and its gradient 0: batches went untrained.
    params = {**FAST, "batch_size": len(X)}
    weights = np.full(len(X), np.finfo(np.float32).max / len(X))
    a = RNNTextRegressor(**params).fit(X, Y2)
    b = RNNTextRegressor(**params).fit(X, Y2, sample_weight=weights)
    assert_allclose(b.loss_curve_, a.loss_curve_, rtol=1e-5)
    assert_allclose(b.predict(X), a.predict(X), rtol=1e-5, atol=1e-6)


def test_targets_of_weight_0_train_as_any_other_value_however_far():
    # Regression: a target of weight 0 far from the others (a fill value of
    # 1e30) is ignored by the standardization, so it lay 1e30 standard
    # deviations away, and a first fit in float32 refused it as a later
    # call's target "too far" from its first call's.
    weights = np.ones(len(X))
    weights[[0, 3]] = 0.0
    far, near = Y2.copy(), Y2.copy()
    far[0], far[3] = 1e30, -1e25
    near[0], near[3] = 0.5, 7.0
    # (a constant rate: partial_fit after the cosine's end would not move)
    params = {**FAST, "warm_start": True, "learning_rate": "constant"}
    a = RNNTextRegressor(**params).fit(X, far, sample_weight=weights)
    b = RNNTextRegressor(**params).fit(X, near, sample_weight=weights)
    for name, value in b.weights_.items():
        assert_array_equal(a.weights_[name], value, err_msg=name)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*standard deviations")
        a.fit(X, far, sample_weight=weights)
        a.partial_fit(X, far, sample_weight=weights)
    b.fit(X, near, sample_weight=weights).partial_fit(X, near, sample_weight=weights)
    for name, value in b.weights_.items():
        assert_array_equal(a.weights_[name], value, err_msg=name)


def test_zero_weights_ignore_samples():
    # Only the "good" documents count: every prediction is pulled up.
    weights = (Y > 0).astype(float)
    reg = RNNTextRegressor(**LEARNS).fit(X, Y, sample_weight=weights)
    assert reg.predict(np.array(X)[Y < 0]).mean() > 0.5


def test_early_stopping_on_validation_r2(capsys):
    X_many = X * 30
    y_many = np.tile(Y, 30)
    reg = RNNTextRegressor(
        **{**FAST, "max_iter": 8}, early_stopping=True, verbose=1
    ).fit(X_many, y_many)
    assert reg.best_loss_ is None
    assert len(reg.validation_scores_) == reg.n_iter_
    assert reg.best_validation_score_ == max(reg.validation_scores_)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == reg.n_iter_
    pattern = r"Epoch 1, loss = [\d.]+, train R\^2 = (-?[\d.]+), validation R\^2 = "
    assert re.match(pattern, lines[0])
    # the validation R^2 is that of the held-out documents: every document
    # here occurs in both parts, so it equals the training R^2 (to rounding)
    last = reg.validation_scores_[-1]
    assert f"validation R^2 = {last:.4f}" in lines[-1]


def test_early_stopping_refuses_a_hold_out_of_one_sample():
    # Regression: R^2 on one sample is 0 whatever the predictions, so the
    # fit stopped after n_iter_no_change + 1 epochs and silently kept the
    # first epoch's weights.
    reg = RNNTextRegressor(**{**FAST, "max_iter": 20}, early_stopping=True)
    with pytest.raises(ValueError, match="1 sample, on which R\\^2 is not defined"):
        reg.fit(X[:5], Y[:5])
    assert not hasattr(reg, "n_iter_")
    # two held-out samples are enough
    reg.set_params(validation_fraction=0.4).fit(X[:5], Y[:5])
    assert len(reg.validation_scores_) == reg.n_iter_


def test_early_stopping_on_one_document_is_a_clear_error():
    # Regression (a prober's finding): under max_iter="auto", the default,
    # it was a ZeroDivisionError, planning the epochs of no training document.
    with pytest.raises(ValueError, match=r"validation_fraction=0\.1 of 1 sample "):
        RNNTextRegressor(early_stopping=True).fit(X[:1], Y[:1])


def test_auto_early_stopping_from_1000_documents():
    reg = RNNTextRegressor(**{**FAST, "max_iter": 1, "learning_rate": "constant"})
    reg.fit(X * 125, np.tile(Y, 125))
    assert reg.validation_scores_ is not None
    reg.fit(X * 124, np.tile(Y, 124))
    assert reg.validation_scores_ is None
    # the cosine schedule's last epoch is nearly always its best: no hold-out
    reg.set_params(learning_rate="cosine").fit(X * 125, np.tile(Y, 125))
    assert reg.validation_scores_ is None


def test_auto_early_stopping_holds_nothing_out_where_a_part_has_no_weight():
    # A prober's finding: with early_stopping="auto" (the default) turned on,
    # sample weights of 0 but for a few documents failed the fit, telling the
    # user to set early_stopping=False, which they had not asked for.  With
    # one document of nonzero weight, one of the two parts has none.
    sample_weight = np.zeros(len(X) * 125)
    sample_weight[0] = 1.0
    reg = RNNTextRegressor(**{**FAST, "max_iter": 1, "learning_rate": "constant"})
    for seed in range(3):
        reg.set_params(random_state=seed).fit(
            X * 125, np.tile(Y, 125), sample_weight=sample_weight
        )
        assert reg.validation_scores_ is None
        assert reg.best_loss_ is not None
    with pytest.raises(ValueError, match="weight 0"):
        reg.set_params(early_stopping=True).fit(
            X * 125, np.tile(Y, 125), sample_weight=sample_weight
        )


def test_a_later_call_far_from_the_first_calls_targets_warns():
    # A prober's finding: a first partial_fit chunk of near-equal targets
    # fixed a scale of 0.0005, and later chunks of targets 30-80 trained,
    # silently, 100,000 standard deviations away (R^2 -3.5).
    far = 30 + 50 * np.arange(len(X)) / len(X)
    reg = RNNTextRegressor(**FAST)
    reg.partial_fit(X[:2], [5.0, 5.001])
    with pytest.warns(UserWarning, match="standard deviations"):
        reg.partial_fit(X, far)
    # and a warm start on targets a thousand times the first fit's
    reg = RNNTextRegressor(**FAST, warm_start=True).fit(X, Y)
    with pytest.warns(UserWarning, match="first fit or partial_fit call"):
        reg.fit(X, 1000 * Y)


def test_later_calls_on_targets_like_the_first_calls_do_not_warn():
    reg = RNNTextRegressor(**FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg.partial_fit(X[::2], Y[::2])
        reg.partial_fit(X[1::2], Y[1::2])
        reg.partial_fit(X[:1], Y[:1])  # one document, a standard deviation off
        reg.partial_fit(X, Y, sample_weight=np.arange(len(X)) + 1.0)
    # the Poisson deviance trains on the counts as they are: nothing to warn
    counts = np.arange(len(X)) % 3
    poisson = RNNTextRegressor(**FAST, loss="poisson").partial_fit(X[:2], counts[:2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        poisson.partial_fit(X, 1000 * counts)


def test_warm_start_and_partial_fit_continue():
    constant = {**FAST, "learning_rate": "constant"}
    one = RNNTextRegressor(**{**constant, "max_iter": 2}).fit(X, Y)
    warm = RNNTextRegressor(**{**constant, "max_iter": 1}, warm_start=True)
    warm.fit(X, Y).fit(X, Y)
    assert_array_equal(warm.predict(X), one.predict(X))
    partial = RNNTextRegressor(**constant).partial_fit(X, Y).partial_fit(X, Y)
    assert partial.n_iter_ == 2
    assert_array_equal(partial.predict(X), one.predict(X))


def test_partial_fit_keeps_the_number_of_outputs():
    reg = RNNTextRegressor(**FAST).partial_fit(X, Y2)
    with pytest.raises(ValueError, match=r"y has 1 output.*predicts 2"):
        reg.partial_fit(X, Y)
    # (numpy's True too, which the parameter's validation takes as a boolean)
    for early_stopping in (True, np.True_):
        with pytest.raises(ValueError, match="early_stopping=True"):
            RNNTextRegressor(early_stopping=early_stopping).partial_fit(X, Y)


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (["good", "bad"] * 4, "could not convert|float"),
        (np.r_[Y[:-1], np.nan], "NaN"),
        (np.r_[Y[:-1], np.inf], "infinity"),
        (np.zeros((8, 2, 2)), "dim"),
        (np.zeros((8, 0)), "shape|0 feature"),
        (Y[:5], "inconsistent numbers of samples"),
    ],
    ids=["strings", "nan", "inf", "3-d", "no-columns", "length"],
)
def test_bad_targets_are_clear_errors(y, match):
    with pytest.raises(ValueError, match=match):
        RNNTextRegressor(**FAST).fit(X, y)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_targets_whose_squares_overflow_are_a_clear_error(loss, dtype):
    # Regression: training "diverged" and blamed the learning rate.
    reg = RNNTextRegressor(**FAST, loss=loss, dtype=dtype)
    with pytest.raises(ValueError, match=r"y holds values as large as .*Scale"):
        reg.fit(X, 1e300 * np.abs(Y))
    assert not hasattr(reg, "weights_")


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_targets_under_assume_finite_say_so(value):
    # A prober's finding: scikit-learn's assume_finite=True skips the check,
    # and the fit "diverged" (NaN) or said y was "too large" (inf).
    targets = Y.copy()
    targets[2] = value
    with (
        config_context(assume_finite=True),
        pytest.raises(ValueError, match="y holds NaN or infinity"),
    ):
        RNNTextRegressor(**FAST).fit(X, targets)


def test_float32_trains_on_huge_targets_since_they_are_standardized_in_float64():
    # A prober's finding: targets past 1.8e19 (float32's square root of its
    # largest) were refused, "too large for training in float32", though the
    # squared error trains on them standardized in float64 (and 1e39 is no
    # float32 at all), as a fit on y predicts in other units.
    reg = RNNTextRegressor(**LEARNS, dtype=np.float32)
    expected = reg.fit(X, Y).predict(X)
    for unit in (1e20, 1e39, 1e100):
        assert_allclose(reg.fit(X, unit * Y).predict(X) / unit, expected, rtol=1e-5)
    # the Poisson deviance trains on them unstandardized, in float32
    reg.set_params(loss="poisson")
    with pytest.raises(ValueError, match=r"as large as 2e.*float32.*MaxAbsScaler"):
        reg.fit(X, 1e20 * np.abs(Y))


def test_later_targets_too_far_from_the_first_calls_for_the_dtype_are_an_error():
    # Once standardized by the first call's scale, a later call's targets
    # 1e25 times as large overflowed float32 ("Training diverged", blaming
    # the learning rate); the model is kept.
    for reg in (
        RNNTextRegressor(**FAST).partial_fit(X, Y),
        RNNTextRegressor(**FAST, warm_start=True).fit(X, Y),
    ):
        fitted = reg.predict(X)
        with pytest.raises(ValueError, match=r"standard deviations.*too far.*float32"):
            (reg.partial_fit if reg.warm_start is False else reg.fit)(X, 1e25 * Y)
        assert_array_equal(reg.predict(X), fitted)


def test_targets_from_an_iterator_are_read_as_a_list():
    # Regression: "float() argument must be a string or a real number, not
    # 'generator'".
    expected = RNNTextRegressor(**FAST).fit(X, Y).predict(X)
    reg = RNNTextRegressor(**FAST).fit(iter(X), (value for value in Y))
    assert_array_equal(reg.predict(X), expected)


def test_divergence_is_reported():
    reg = RNNTextRegressor(
        **FAST, solver="sgd", learning_rate_init=1e6, clip_value=None
    )
    with pytest.raises(ValueError, match="Training diverged"):
        reg.fit(X, 1e3 * Y)


def test_save_load_and_pickle_predict_and_continue_identically():
    reg = RNNTextRegressor(**FAST, learning_rate="constant").fit(X, Y2)
    buffer = io.BytesIO()
    skrnn.save(reg, buffer)
    loaded = skrnn.load(io.BytesIO(buffer.getvalue()))
    unpickled = pickle.loads(pickle.dumps(reg))
    for other in (loaded, unpickled):
        assert type(other) is RNNTextRegressor
        assert other.n_outputs_ == 2
        assert_array_equal(other.predict(X), reg.predict(X))
    for model in (reg, loaded, unpickled):
        model.partial_fit(X, Y2)
    assert_array_equal(loaded.predict(X), reg.predict(X))
    assert_array_equal(unpickled.predict(X), reg.predict(X))


def test_staged_predict_ends_with_predict():
    reg = RNNTextRegressor(**FAST).fit(X, Y)
    documents = ["a very good film", "bad", ""]
    staged = reg.staged_predict(documents)
    assert [s.shape for s in staged] == [(4,), (1,), (0,)]
    assert_allclose([s[-1] for s in staged[:2]], reg.predict(documents[:2]), rtol=1e-5)
    assert_allclose(staged[0][1], reg.predict(["a very"])[0], rtol=1e-5)
    several = RNNTextRegressor(**FAST, bidirectional=True).fit(X, Y2)
    staged = several.staged_predict(documents)
    assert [s.shape for s in staged] == [(4, 2), (1, 2), (0, 2)]
    assert_allclose(staged[0][-1], several.predict(documents[:1])[0], rtol=1e-5)


@pytest.mark.parametrize("y", [Y, Y2], ids=["one-output", "two-outputs"])
def test_explain_attributes_the_predicted_values(y):
    reg = RNNTextRegressor(**LEARNS).fit(X, y)
    explanation = reg.explain("a very good film")
    assert explanation.tokens == ["a", "very", "good", "film"]
    assert_allclose(explanation.prediction, reg.predict(["a very good film"])[0])
    without = reg.predict(
        ["very good film", "a good film", "a very film", "a very good"]
    )
    assert_allclose(
        explanation.attributions, explanation.prediction - without, rtol=1e-4
    )
    assert explanation.staged_prediction.shape == explanation.attributions.shape
    table = str(explanation)
    assert table.splitlines()[3].split()[1] == "good"
    assert table.splitlines()[-1].startswith("prediction: ")
    if y.ndim == 1:
        # "good" pushes the rating up the most
        assert explanation.tokens[int(explanation.attributions.argmax())] == "good"


def test_callbacks_see_r2_scores():
    callback_module = pytest.importorskip("sklearn.callback")
    monitor = callback_module.ScoringMonitor(scoring="r2")
    reg = RNNTextRegressor(**{**FAST, "max_iter": 3}).set_callbacks(monitor)
    reg.fit(X, Y)
    log = monitor.get_logs()
    assert log.estimator_name == "RNNTextRegressor"
    epochs = [row for row in log.data if row["task_name"] == "epoch"]
    (fit,) = [row for row in log.data if row["task_name"] == "fit"]
    assert len(epochs) == 3
    assert fit["r2"] == pytest.approx(reg.score(X, Y))
    first = RNNTextRegressor(**{**FAST, "max_iter": 1}).fit(X, Y)
    assert epochs[0]["r2"] == pytest.approx(first.score(X, Y))


def test_ensemble_predicts_the_mean_of_its_members(monkeypatch):
    X = ["a good film", "a bad film", "a fine film", "a poor film"] * 5
    y = [1.0, -1.0, 0.5, -0.5] * 5
    reg = RNNTextRegressor(random_state=0, max_iter=3, n_estimators=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    members = []
    for weights in reg.estimators_weights_:
        single = RNNTextRegressor(random_state=0, max_iter=3)
        single._fitted = dataclasses.replace(reg._fitted, weights=weights, members=())
        members.append(single.predict(X))
    assert_allclose(reg.predict(X), np.mean(members, axis=0), rtol=1e-12)
    assert_allclose(reg.staged_predict(X[:1])[0][-1], reg.predict(X[:1])[0])
    # with n_jobs=2 the members train in worker processes (however little
    # work they have), to the same bits
    monkeypatch.setattr(base_module, "MEMBER_WORKERS_MIN_SAVING", 0)
    two = RNNTextRegressor(random_state=0, max_iter=3, n_estimators=2, n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        two.fit(X, y)
    pairs = zip(reg.estimators_weights_, two.estimators_weights_, strict=True)
    for ours, theirs in pairs:
        for name, weight in ours.items():
            assert_array_equal(theirs[name], weight)


# ------------------------------------------------------------------ the loss

#: Counts: the number of times a document says "good" or "very".
COUNTS = np.array([float(doc.count("good") + doc.count("very")) for doc in X])


def test_the_poisson_loss_predicts_rates_and_scores_r2():
    reg = RNNTextRegressor(**LEARNS, loss="poisson").fit(X, COUNTS)
    assert reg._fitted.config.head == "poisson"
    predictions = reg.predict(X)
    # the rates exp(z), not the log-rates the network outputs
    assert_array_equal(predictions, np.exp(reg._logits(X))[:, 0])
    assert (predictions > 0).all()
    # R^2 whatever the loss, as MLPRegressor scores
    assert reg.score(X, COUNTS) == pytest.approx(r2_score(COUNTS, predictions))
    assert reg.score(X, COUNTS) > 0.9
    assert reg.validation_scores_ is None and len(reg.loss_curve_) == reg.n_iter_


def test_the_poisson_loss_is_mlpregressors():
    # The first epoch's loss of full-batch steps too small to move the
    # weights is that of the initial network (see the squared error's test).
    params = {**FAST, "batch_size": len(X), "dropout": 0.0, "input_dropout": 0.0}
    reg = RNNTextRegressor(**params, solver="sgd", learning_rate_init=1e-12)
    Y = np.column_stack([COUNTS, 2 * COUNTS])
    reg.set_params(loss="poisson", max_iter=1).fit(X, Y)
    expected = mlp_poisson_loss()(Y, reg.predict(X))
    assert reg.loss_curve_[0] == pytest.approx(expected, rel=1e-4)


def test_poisson_ensembles_average_the_rates_and_stage_them():
    reg = RNNTextRegressor(**FAST, loss="poisson", n_estimators=2).fit(X, COUNTS)
    config = reg._fitted.config
    sequences = reg.vectorizer_.transform(X)
    rates = [
        np.exp(predict_logits(weights, sequences, config))[:, 0]
        for weights in reg.estimators_weights_
    ]
    assert not np.allclose(*rates)
    assert_allclose(reg.predict(X), np.mean(rates, axis=0), rtol=1e-6)
    staged = reg.staged_predict(X)
    for values, prediction in zip(staged, reg.predict(X), strict=True):
        assert (values > 0).all()
        assert values[-1] == pytest.approx(prediction, rel=1e-5)


def test_poisson_targets_too_large_are_told_a_scaling_that_keeps_them_positive():
    # The message said to standardise them with a StandardScaler, whose
    # negative targets the Poisson loss refuses, and blamed squared errors.
    reg = RNNTextRegressor(**{**FAST, "max_iter": 1}, loss="poisson")
    with pytest.raises(ValueError, match="as large as 2e") as info:
        reg.fit(X, 1e30 * COUNTS)
    assert "StandardScaler" not in str(info.value)
    assert "squares" not in str(info.value)
    assert "transformer=MaxAbsScaler()" in str(info.value)
    # which works
    TransformedTargetRegressor(reg, transformer=MaxAbsScaler()).fit(X, 1e30 * COUNTS)


def test_poisson_targets_too_small_for_the_dtype_are_an_error():
    # Regression: counts times 1e-300 became 0 in float32, silently: the
    # model started, and stayed near, a rate of 1 (1e300 times too large).
    reg = RNNTextRegressor(**{**FAST, "max_iter": 1}, loss="poisson")
    for fit in (reg.fit, reg.partial_fit):
        with pytest.raises(ValueError, match=r"no larger than 2e-300.*float32") as info:
            fit(X, 1e-300 * COUNTS)
        assert "func=lambda y: y * 1e300, inverse_func=lambda y: y / 1e300" in str(
            info.value
        )
    assert not hasattr(reg, "weights_")
    scaled = TransformedTargetRegressor(
        reg, func=lambda y: y * 1e300, inverse_func=lambda y: y / 1e300
    )
    scaled.fit(X, 1e-300 * COUNTS)
    # float64 holds them, as float32 holds counts times 1e-30; one such
    # target among counts is as good as 0, and so are zeros
    for dtype, unit in ((np.float64, 1e-300), (np.float32, 1e-30)):
        reg.set_params(dtype=dtype).fit(X, unit * COUNTS)
        assert_allclose(reg.predict(X) / unit, COUNTS.mean(), rtol=1.0)
    reg.set_params(dtype=np.float32).fit(X, np.where(COUNTS == 0, 1e-300, COUNTS))
    RNNTextRegressor(**{**FAST, "max_iter": 1}, loss="poisson").fit(X, 0 * COUNTS)


def test_the_poisson_loss_refuses_negative_targets():
    reg = RNNTextRegressor(**FAST, loss="poisson")
    for fit in (reg.fit, reg.partial_fit):
        with pytest.raises(ValueError, match=r"negative values.*loss='squared_e"):
            fit(X, Y)
    assert not hasattr(reg, "weights_")
    reg.fit(X, COUNTS)
    before = reg.predict(X)
    for fit in (reg.set_params(warm_start=True).fit, reg.partial_fit):
        with pytest.raises(ValueError, match="negative values"):
            fit(X, Y)
    assert_array_equal(reg.predict(X), before)
    # targets of every sign are the squared error's
    RNNTextRegressor(**FAST).fit(X, Y)


def test_the_loss_is_a_parameter_saved_cloned_and_searched():
    reg = RNNTextRegressor(**FAST, loss="poisson")
    assert clone(reg).loss == "poisson"
    assert RNNTextRegressor().loss == "squared_error"
    search = GridSearchCV(
        RNNTextRegressor(**FAST),
        {"loss": ["squared_error", "poisson"]},
        cv=2,
        scoring="neg_mean_poisson_deviance",
    ).fit(X * 2, np.r_[COUNTS, COUNTS] + 0.5)
    assert search.best_estimator_.loss in ("squared_error", "poisson")
    assert search.best_estimator_._fitted.config.head in ("identity", "poisson")
    reg.fit(X, COUNTS)
    buffer = io.BytesIO()
    skrnn.save(reg, buffer)
    loaded = skrnn.load(io.BytesIO(buffer.getvalue()))
    unpickled = pickle.loads(pickle.dumps(reg))
    for other in (loaded, unpickled):
        assert other.loss == "poisson"
        assert_array_equal(other.predict(X), reg.predict(X))
        # a new fit trains the head of the loss it was saved with
        assert clone(other).fit(X, COUNTS)._fitted.config.head == "poisson"
        assert other.fit(X, COUNTS)._fitted.config.head == "poisson"


@pytest.mark.parametrize("loss", ["identity", "softmax", "log_loss", "Poisson"])
def test_a_loss_is_squared_error_or_a_values_head(loss):
    with pytest.raises(InvalidParameterError, match="'squared_error', 'poisson'"):
        RNNTextRegressor(**FAST, loss=loss).fit(X, COUNTS)


def test_a_changed_loss_neither_continues_nor_saves():
    reg = RNNTextRegressor(**FAST).fit(X, COUNTS)
    reg.set_params(loss="poisson", warm_start=True)
    with pytest.raises(ValueError, match="loss changed since it was fitted"):
        reg.fit(X, COUNTS)
    with pytest.raises(ValueError, match="loss changed since it was fitted"):
        reg.partial_fit(X, COUNTS)
    with pytest.raises(ValueError, match=r"Cannot save: loss changed.*'squared_error'"):
        skrnn.save(reg, io.BytesIO())
    # a new fit trains the head of the new loss
    assert reg.set_params(warm_start=False).fit(X, COUNTS)._fitted.config.head == (
        "poisson"
    )


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_a_pickle_from_before_the_loss_parameter_has_its_heads_loss(loss):
    reg = RNNTextRegressor(**FAST, loss=loss)
    for model in (reg, reg.fit(X, COUNTS)):
        state = model.__getstate__()
        del state["loss"]
        old = RNNTextRegressor.__new__(RNNTextRegressor)
        old.__setstate__(state)
        assert old.loss == (loss if "_fitted" in state else "squared_error")


def test_a_subclass_that_sets_heads_is_refused():
    # Before the loss parameter, a subclass picked its head by setting heads;
    # it would now train the head of loss silently.
    class Counts(RNNTextRegressor):
        heads: ClassVar = {"values": "poisson"}

    with pytest.raises(TypeError, match=r"Counts sets heads.*loss='poisson'"):
        Counts(**FAST).fit(X, COUNTS)
