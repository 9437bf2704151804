"""Tests for skrnn.nn._heads: each head's scores against scikit-learn's metrics."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, r2_score

from skrnn.nn import HEADS
from skrnn.nn._functional import sigmoid, softmax


def test_every_head_has_its_parts():
    assert set(HEADS) == {"softmax", "logistic", "identity"}
    z = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(HEADS["softmax"].output(z), softmax(z))
    np.testing.assert_array_equal(HEADS["logistic"].output(z), sigmoid(z))
    assert HEADS["identity"].output(z) is z


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
