"""Tests for skrnn.nn._heads: the registry, and each head's scores against
scikit-learn's metrics.  A head of one's own is tested in test_nn_custom_head.py.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import accuracy_score, r2_score

from skrnn.nn import HEAD_KINDS, HEADS, Head, register_head, unregister_head
from skrnn.nn._functional import log_sigmoid, log_softmax, sigmoid, softmax
from skrnn.nn._heads import BUILTIN_HEADS


def test_every_head_has_its_parts():
    assert set(HEADS) == {"softmax", "logistic", "identity"}
    z = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(HEADS["softmax"].output(z), softmax(z))
    np.testing.assert_array_equal(HEADS["logistic"].output(z), sigmoid(z))
    assert HEADS["identity"].output(z) is z
    assert [HEADS[name].kind for name in HEADS] == list(HEAD_KINDS)
    assert_array_equal(HEADS["softmax"].predict(z), z.argmax(axis=1))
    assert_array_equal(HEADS["logistic"].predict(z), (z > 0).astype(int))
    assert HEADS["identity"].predict(z) is z
    assert_array_equal(HEADS["softmax"].log_output(z), log_softmax(z))
    assert_array_equal(HEADS["logistic"].log_output(z), log_sigmoid(z))
    assert HEADS["identity"].log_output is None


@pytest.mark.parametrize("head", sorted(HEADS))
def test_the_mean_logits_give_the_mean_output(head):
    rng = np.random.default_rng(2)
    z = rng.normal(scale=3.0, size=(3, 4, 5))
    weights = np.array([0.5, 0.5, 0.0])
    output = HEADS[head].output
    mean = HEADS[head].mean_logits
    assert_allclose(output(mean(z, None)), np.mean([output(m) for m in z], axis=0))
    assert_allclose(output(mean(z, weights)), np.mean([output(m) for m in z[:2]], 0))


def test_the_registry_is_read_only_and_keeps_the_builtin_heads():
    assert set(BUILTIN_HEADS) == {"softmax", "logistic", "identity"}
    with pytest.raises(TypeError):
        HEADS["mine"] = HEADS["identity"]
    with pytest.raises(ValueError, match="built-in head"):
        unregister_head("softmax")
    with pytest.raises(ValueError, match="No head is registered as 'mine'"):
        unregister_head("mine")
    with pytest.raises(ValueError, match="already registered as 'identity'"):
        register_head("identity", HEADS["identity"])
    with pytest.raises(TypeError, match=r"takes a skrnn\.nn\.Head"):
        register_head("mine", "identity")
    with pytest.raises(TypeError, match="non-empty str"):
        register_head("", HEADS["identity"])
    register_head("mine", HEADS["identity"])
    try:
        assert HEADS["mine"] is HEADS["identity"]
        assert "mine" not in BUILTIN_HEADS
    finally:
        unregister_head("mine")
    assert "mine" not in HEADS


def test_a_head_declares_a_kind_and_callables():
    parts = dict(vars(HEADS["softmax"]))
    with pytest.raises(ValueError, match="kind is one of"):
        Head(**{**parts, "kind": "ranks"})
    with pytest.raises(TypeError, match="'labels' head's log_output must be"):
        Head(**{**parts, "kind": "labels", "log_output": None})
    with pytest.raises(TypeError, match="predict, mean_logits must be"):
        Head(**{**parts, "predict": None, "mean_logits": 0})


def test_accuracy_is_sklearns():
    rng = np.random.default_rng(0)
    z, y, w = rng.normal(size=(20, 3)), rng.integers(0, 3, 20), rng.uniform(size=20)
    expected = accuracy_score(y, z.argmax(axis=1), sample_weight=w)
    assert HEADS["softmax"].score(z, y, w) == pytest.approx(expected)


def test_subset_accuracy_is_sklearns_on_indicator_matrices():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(30, 2))
    Y = rng.integers(0, 2, size=(30, 2)).astype(float)
    w = rng.uniform(size=30)
    expected = accuracy_score(Y, (z > 0).astype(float), sample_weight=w)
    assert HEADS["logistic"].score(z, Y, w) == pytest.approx(expected)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_r2_is_sklearns(n_outputs):
    rng = np.random.default_rng(n_outputs)
    Y = rng.normal(size=(25, n_outputs))
    z = Y + rng.normal(scale=0.5, size=Y.shape)
    w = rng.uniform(size=25)
    expected = r2_score(Y, z, sample_weight=w)
    assert HEADS["identity"].score(z, Y, w) == pytest.approx(expected)


def test_r2_of_constant_targets_as_sklearn_gives_it():
    Y = np.ones((4, 2))
    z = np.column_stack([np.ones(4), np.zeros(4)])
    w = np.ones(4)
    assert HEADS["identity"].score(z, Y, w) == r2_score(Y, z) == 0.5


@pytest.mark.parametrize("head", sorted(HEADS))
def test_reference_losses_are_those_of_a_guess_that_knows_nothing(head):
    w = np.array([1.0, 3.0])
    if head == "softmax":
        y, z = np.array([0, 2]), np.zeros((2, 3))
    elif head == "logistic":
        y, z = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]), np.zeros((2, 3))
    else:
        y, z = np.array([[2.0, -1.0, 0.0], [0.0, 0.0, 0.0]]), np.zeros((2, 3))
    loss = HEADS[head].loss(z, y, w)[0]
    reference = HEADS[head].reference_loss(y, w, 3)
    if head == "identity":  # predicting 0, plus half an error of 1
        assert reference == pytest.approx(loss + 0.5)
    else:  # the uniform guess, or one half for every label
        assert reference == pytest.approx(loss)
