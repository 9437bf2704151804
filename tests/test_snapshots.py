"""Snapshot ensembles' pieces: the cycles, the learning rate, the stopping rule."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skrnn._optimizers import AdamOptimizer, SGDOptimizer
from skrnn._snapshots import (
    CYCLE_EPOCHS,
    PEAK_FACTOR,
    CyclicLearningRate,
    cosine_factor,
    cycle_epochs,
    snapshot_run,
)


@pytest.mark.parametrize(
    ("max_iter", "n_snapshots", "expected"),
    [(200, 3, CYCLE_EPOCHS), (6, 3, 2), (3, 3, 1), (2, 3, 1), (1, 1, 1)],
)
def test_cycles_fit_the_snapshots_in_max_iter(max_iter, n_snapshots, expected):
    assert cycle_epochs(max_iter, n_snapshots) == expected


def test_the_cosine_falls_from_1_to_0():
    assert cosine_factor(0) == 1
    assert cosine_factor(0.5) == pytest.approx(0.5)
    assert cosine_factor(1) == pytest.approx(0)
    assert cosine_factor(1.5) == cosine_factor(1)
    values = [cosine_factor(k / 10) for k in range(11)]
    assert values == sorted(values, reverse=True)


def test_sgd_steps_follow_the_cycle_and_keep_the_optimizers_rate():
    params = {"w": np.zeros(1)}
    sgd = SGDOptimizer(params, learning_rate_init=0.1, momentum=0.0)
    cyclic = CyclicLearningRate(sgd, steps_per_cycle=4)
    steps = []
    for _ in range(4):
        before = params["w"].copy()
        cyclic.update_params(params, {"w": np.ones(1)})
        steps.append(float(before[0] - params["w"][0]))
    expected = [0.1 * PEAK_FACTOR * cosine_factor(k / 4) for k in range(4)]
    assert_allclose(steps, expected)
    # the optimizer's own settings are as they were: it saves and continues so
    assert sgd.learning_rate_init == sgd.current_learning_rate == 0.1
    assert cyclic.step == 4
    # anything else is the wrapped optimizer's
    assert cyclic.learning_rate == sgd.learning_rate == "constant"
    assert cyclic.decoupled_weight_decay is sgd.decoupled_weight_decay


def test_adam_steps_scale_with_the_cycle():
    def first_step(scale_step):
        params = {"w": np.zeros(1)}
        adam = AdamOptimizer(params, learning_rate_init=0.01)
        CyclicLearningRate(adam, 4, step=scale_step).update_params(
            params, {"w": np.ones(1)}
        )
        assert adam.learning_rate_init == 0.01
        assert adam.t == 1
        return -params["w"][0]

    # Adam's first step is the learning rate (its moments' ratio is 1)
    assert first_step(0) == pytest.approx(0.01 * PEAK_FACTOR, rel=1e-6)
    assert first_step(2) == pytest.approx(0.01 * PEAK_FACTOR * 0.5, rel=1e-6)


def _run(scores, *, n_snapshots=2, patience=1, tol=0.0, cut_at=None, previous=()):
    """snapshot_run over a scripted run: snapshot k scores ``scores[k]``."""
    taken = []

    def run_cycle():
        return cut_at is not None and len(taken) == cut_at

    def take():
        taken.append(len(taken))
        return taken[-1]

    def score(window):
        return scores[window[-1]] if isinstance(window[-1], int) else 0.0

    kept, stopped = snapshot_run(
        run_cycle,
        take,
        score,
        n_snapshots=n_snapshots,
        max_cycles=len(scores),
        tol=tol,
        patience=patience,
        previous=previous,
    )
    return kept, stopped, len(taken)


def test_the_run_keeps_the_best_window_and_stops_after_patience():
    kept, stopped, cycles = _run([0, 0.5, 0.9, 0.8, 0.7, 1.0], patience=2)
    assert kept == [1, 2] and stopped and cycles == 5
    kept, stopped, cycles = _run([0, 0.5, 0.9, 0.8, 0.7, 1.0], patience=1)
    assert kept == [1, 2] and stopped and cycles == 4


def test_only_full_windows_are_scored():
    # snapshot 0 alone scores best, but a window of 2 needs 2 snapshots
    kept, _, _ = _run([1.0, 0.1, 0.2])
    assert kept == [1, 2]


def test_an_improvement_below_tol_counts_as_none():
    kept, stopped, cycles = _run([0, 0.5, 0.50001, 0.5], tol=0.01)
    # the better window is kept, but it did not reset the count
    assert kept == [1, 2] and stopped and cycles == 3


def test_without_a_stop_the_run_takes_every_cycle():
    kept, stopped, cycles = _run([0, 0.1, 0.2, 0.3])
    assert kept == [2, 3] and not stopped and cycles == 4


def test_a_run_cut_short_keeps_what_it_has():
    kept, stopped, _ = _run([0, 0.1, 0.2], cut_at=1)
    assert kept == [0] and stopped
    # ... and, with no snapshot at all, the network as it stands
    kept, stopped, cycles = _run([0, 0.1], cut_at=0)
    assert kept == [0] and stopped and cycles == 1


def test_a_continued_run_scores_windows_with_the_earlier_snapshots():
    kept, _, cycles = _run([0.5, 0.4, 0.3], previous=["old"], patience=3)
    assert kept == ["old", 0] and cycles == 3


def test_the_mean_rate_of_a_cycle_is_the_constant_one():
    n = 10_000
    mean = sum(PEAK_FACTOR * cosine_factor(k / n) for k in range(n)) / n
    assert math.isclose(mean, 1.0, rel_tol=1e-3)
