"""Tests for skrnn._training: training the way MLPClassifier trains.

Every solver and schedule lowers the loss; the schedules follow
scikit-learn's formulas and stopping rules (checked against MLPClassifier and
its SGDOptimizer); the L2 penalty and both kinds of clipping bound what a step
does; early stopping keeps the weights of the best validation epoch; progress
is reported on stdout (verbose=1 and 2, with and without tqdm) and to
scikit-learn's callbacks, also inside a Pipeline and a GridSearchCV; and the
ConvergenceWarning tells a run that hit max_iter from one that stopped.

Warm starts, partial_fit, sample and class weights, divergence and the
plain-loss stopping rule are tested in test_classifier.py.
"""

import re
import signal
import sys
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from _gradcheck import dense
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network._stochastic_optimizers import (
    SGDOptimizer as SklearnSGDOptimizer,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import skrnn._base as base_module
import skrnn._training as training_module
from skrnn import SEED_PARAMS, RNNTextClassifier, RNNTextRegressor
from skrnn._batching import length_sorted, pad_batch
from skrnn._optimizers import SGDOptimizer
from skrnn._prediction import predict_logits
from skrnn._training import (
    SHARD_SIZE,
    Dataset,
    TrainingDivergedError,
    TrainingSettings,
    batch_loss_and_grad,
    run_epoch,
    takes_per_sample_steps,
    weight_unit,
)
from skrnn.datasets import load_toy_sentiment
from skrnn.nn import NetworkConfig, add_l2_penalty, init_params, loss_and_grad
from skrnn.nn._heads import accuracy

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X_TOY, Y_TOY = load_toy_sentiment(return_X_y=True)
N_TOY = len(X_TOY)

#: Tiny network, few epochs.
FAST = {
    "cell": "rnn",
    "ngram_range": None,
    "dropout": 0.0,
    "input_dropout": 0.0,
    "hidden_size": 8,
    "embedding_dim": 8,
    "max_iter": 10,
    "random_state": 0,
}

#: FAST at a constant learning rate: a warm fit or partial_fit continues it,
#: and the first epochs of a longer fit are those of a shorter one (a cosine
#: schedule depends on its length).
CONSTANT = {**FAST, "learning_rate": "constant"}


def _fit(X=X_TOY, y=Y_TOY, **params):
    return RNNTextClassifier(**{**FAST, **params}).fit(X, y)


@contextmanager
def no_convergence_warning():
    """Fail if the block warns ConvergenceWarning.

    A filterwarnings("error::...") mark cannot do it in this module: pytest
    applies the module's pytestmark after the test's own marks, so the
    module's "ignore" wins.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    messages = [
        str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)
    ]
    assert not messages, messages


def _flat(weights):
    return np.concatenate([weights[name].ravel() for name in sorted(weights)])


# ------------------------------------------------------------- solvers


SOLVERS = {
    "adam": {"solver": "adam", "learning_rate_init": 0.01},
    "adamw": {"solver": "adamw", "learning_rate_init": 0.01, "alpha": 0.1},
} | {
    f"sgd-{name}-{schedule}": {
        "solver": "sgd",
        "learning_rate_init": 0.1,
        "learning_rate": schedule,
        **momentum,
    }
    for name, momentum in {
        "plain": {"momentum": 0.0},
        "momentum": {"momentum": 0.9, "nesterovs_momentum": False},
        "nesterov": {"momentum": 0.9, "nesterovs_momentum": True},
    }.items()
    for schedule in ("constant", "invscaling", "adaptive")
}


@pytest.mark.parametrize("params", SOLVERS.values(), ids=SOLVERS.keys())
def test_every_solver_and_schedule_lowers_the_training_loss(params):
    clf = _fit(batch_size=10, **params)
    assert clf.n_iter_ == len(clf.loss_curve_) == 10
    assert all(np.isfinite(clf.loss_curve_))
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_momentum_descends_faster_than_plain_sgd():
    plain = _fit(solver="sgd", learning_rate_init=0.1, momentum=0.0, batch_size=10)
    for nesterov in (False, True):
        heavy = _fit(
            solver="sgd",
            learning_rate_init=0.1,
            momentum=0.9,
            nesterovs_momentum=nesterov,
            batch_size=10,
        )
        assert heavy.loss_curve_[-1] < plain.loss_curve_[-1]


# ------------------------------------------------------------- schedules


def _adaptive_n_triggers(n_epochs, n_iter_no_change):
    """How many times the learning rate is divided after ``n_epochs``.

    With a tol no epoch can meet, the first epoch still improves on the
    infinite best loss; after it every epoch adds one to the count, the rate
    is divided when the count exceeds ``n_iter_no_change`` (epoch
    ``n_iter_no_change + 2``), and the count starts again from 0: one
    division every ``n_iter_no_change + 1`` epochs.
    """
    return (n_epochs - 1) // (n_iter_no_change + 1)


ADAPTIVE = {
    "solver": "sgd",
    "learning_rate": "adaptive",
    "learning_rate_init": 0.01,
    "tol": 10.0,
}


@pytest.mark.parametrize("n_iter_no_change, max_iter", [(1, 8), (2, 9), (1, 2)])
def test_adaptive_divides_the_learning_rate_by_5(n_iter_no_change, max_iter):
    clf = _fit(**ADAPTIVE, n_iter_no_change=n_iter_no_change, max_iter=max_iter)
    assert clf.n_iter_ == max_iter
    k = _adaptive_n_triggers(max_iter, n_iter_no_change)
    assert clf._fitted.optimizer.current_learning_rate == pytest.approx(
        0.01 / 5**k, rel=1e-12
    )


def test_adaptive_stops_once_the_learning_rate_is_at_most_1e_6(capsys):
    # 0.01 / 5**5 = 3.2e-6 > 1e-6 >= 0.01 / 5**6: six divisions, and the
    # seventh trigger (epoch 1 + 7 * 2 = 15) stops.
    with no_convergence_warning():
        clf = _fit(**ADAPTIVE, n_iter_no_change=1, max_iter=100, verbose=1)
    assert clf.n_iter_ == 15
    assert clf._fitted.optimizer.current_learning_rate == pytest.approx(
        0.01 / 5**6, rel=1e-12
    )
    out = capsys.readouterr().out
    assert out.count("Setting learning rate to") == 6
    assert "Learning rate too small. Stopping." in out


def test_adaptive_agrees_with_mlpclassifier():
    # The same rule on MLPClassifier: stop epoch and final learning rate.
    rng = np.random.default_rng(0)
    mlp = MLPClassifier(
        hidden_layer_sizes=(2,),
        **ADAPTIVE,
        n_iter_no_change=1,
        max_iter=100,
        random_state=0,
    ).fit(rng.normal(size=(20, 2)), np.arange(20) % 2)
    clf = _fit(**ADAPTIVE, n_iter_no_change=1, max_iter=100)
    assert clf.n_iter_ == mlp.n_iter_
    assert clf._fitted.optimizer.current_learning_rate == pytest.approx(
        mlp._optimizer.learning_rate
    )


@pytest.mark.parametrize("power_t", [0.5, 0.25])
@pytest.mark.parametrize("max_iter", [1, 3])
def test_invscaling_follows_sklearns_sgd_optimizer(power_t, max_iter):
    clf = _fit(
        solver="sgd",
        learning_rate="invscaling",
        learning_rate_init=0.2,
        power_t=power_t,
        max_iter=max_iter,
    )
    assert clf.t_ == max_iter * N_TOY
    expected = 0.2 / (clf.t_ + 1) ** power_t
    assert clf._fitted.optimizer.current_learning_rate == pytest.approx(
        expected, rel=1e-12
    )
    reference = SklearnSGDOptimizer(
        [np.zeros(1)], learning_rate_init=0.2, lr_schedule="invscaling", power_t=power_t
    )
    reference.iteration_ends(clf.t_)
    assert clf._fitted.optimizer.current_learning_rate == pytest.approx(
        reference.learning_rate, rel=1e-12
    )


def test_invscaling_counts_only_the_training_part_with_early_stopping():
    clf = _fit(
        solver="sgd",
        learning_rate="invscaling",
        learning_rate_init=0.2,
        max_iter=2,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=5,
    )
    assert clf.t_ == 2 * 40
    assert clf._fitted.optimizer.current_learning_rate == pytest.approx(
        0.2 / 81**0.5, rel=1e-12
    )


def test_constant_schedule_keeps_the_learning_rate():
    clf = _fit(solver="sgd", learning_rate="constant", learning_rate_init=0.05)
    assert clf._fitted.optimizer.current_learning_rate == 0.05


# ------------------------------------------------------------- penalty


def _sum_of_squared_weights(clf):
    # weight matrices only: biases are b_h, b_hn, b_y
    return sum(
        float(np.vdot(value, value))
        for name, value in clf.weights_.items()
        if not name.rsplit(".", 1)[1].startswith("b_")
    )


def test_larger_alpha_gives_smaller_weights():
    norms = [
        _sum_of_squared_weights(
            _fit(alpha=alpha, learning_rate_init=0.01, max_iter=20, batch_size=10)
        )
        for alpha in (0.0, 0.1, 1.0)
    ]
    assert norms[0] > norms[1] > norms[2]


# ------------------------------------------------------------- clipping

#: One full-batch step of plain SGD: the change of the weights is
#: -learning_rate * (clipped gradient).  float64 so that rounding the weights
#: (of order 1) does not blur a change of order 1e-4.
ONE_STEP = {
    "solver": "sgd",
    "momentum": 0.0,
    "learning_rate_init": 0.1,
    "batch_size": N_TOY,
    "max_iter": 1,
    "dtype": np.float64,
}


def _one_step_change(**params):
    # A step of learning rate 1e-300 leaves the initial weights as they are
    # (in float64, 0.1 + 1e-301 == 0.1): the initialisation, without private API.
    before = _flat(
        _fit(**{**ONE_STEP, **params, "learning_rate_init": 1e-300}).weights_
    )
    after = _flat(_fit(**ONE_STEP, **params).weights_)
    return after - before


def test_clip_norm_bounds_the_global_norm_of_the_step():
    change = _one_step_change(clip_norm=1e-3, clip_value=None)
    # the gradient is far larger than 1e-3, so the step has exactly that norm
    assert np.linalg.norm(change) <= 0.1 * 1e-3 * (1 + 1e-5)
    assert np.linalg.norm(change) == pytest.approx(0.1 * 1e-3, rel=1e-5)


def test_clip_value_bounds_every_entry_of_the_step():
    change = _one_step_change(clip_value=1e-4, clip_norm=None)
    assert np.abs(change).max() <= 0.1 * 1e-4 * (1 + 1e-9)
    # some entries were clipped, and the clipping kept their sign
    assert np.abs(change).max() == pytest.approx(0.1 * 1e-4, rel=1e-9)
    assert (change > 0).any() and (change < 0).any()


def test_without_clipping_the_same_step_is_larger():
    change = _one_step_change(clip_value=None, clip_norm=None)
    assert np.linalg.norm(change) > 10 * 0.1 * 1e-3


# ------------------------------------------------------------- early stopping

#: Ten flipped labels: the network cannot fit the validation set and its
#: validation accuracy goes up and down.
Y_NOISY = np.array(Y_TOY).copy()
Y_NOISY[np.random.default_rng(0).choice(N_TOY, 10, replace=False)] ^= 1
EARLY = {
    "early_stopping": True,
    "validation_fraction": 0.3,
    "n_iter_no_change": 5,
    "learning_rate": "constant",
    "learning_rate_init": 0.03,
    "batch_size": 10,
    "max_iter": 60,
    "random_state": 2,
}


def test_early_stopping_keeps_the_weights_of_the_best_epoch(monkeypatch):
    # Two checks that need no copy of the private split logic:
    # 1. Training is deterministic and max_iter does not change the first
    #    epochs, so a run cut at the best epoch ends with that epoch's weights;
    #    the full run, which went on for n_iter_no_change + 1 more epochs,
    #    must return exactly those.
    # 2. A spy around _split_validation (calling the real one) records the
    #    held-out documents; the returned model scores best_validation_score_
    #    on them, not the score of the last epoch.
    held_out = []
    split = RNNTextClassifier._split_validation

    def spy(self, data, rng):
        train, validation = split(self, data, rng)
        held_out.append(validation)
        return train, validation

    monkeypatch.setattr(RNNTextClassifier, "_split_validation", spy)
    clf = _fit(y=Y_NOISY, **EARLY)
    scores = clf.validation_scores_
    best_epoch = int(np.argmax(scores)) + 1
    assert clf.best_validation_score_ == max(scores)
    # the set-up makes the test meaningful: the last epoch is not the best
    assert scores[-1] < clf.best_validation_score_, scores
    assert clf.n_iter_ > best_epoch

    cut = _fit(y=Y_NOISY, **{**EARLY, "max_iter": best_epoch})
    assert cut.validation_scores_ == scores[:best_epoch]
    for name in clf.weights_:
        assert_array_equal(clf.weights_[name], cut.weights_[name], err_msg=name)

    validation = held_out[0]
    logits = predict_logits(clf.weights_, validation.sequences, clf._fitted.config)
    score = accuracy(logits, validation.y, validation.sample_weight)
    assert score == clf.best_validation_score_
    assert score != scores[-1]


# ------------------------------------------------------------- verbose

EPOCH_LINE = re.compile(
    r"^Epoch (\d+), loss = \d+\.\d{6}, train accuracy = [01]\.\d{4}"
    r"(, validation accuracy = [01]\.\d{4})?, \d+\.\d\d s$"
)


def _epoch_lines(out):
    lines = re.split(r"[\r\n]", out)
    return [match for line in lines if (match := EPOCH_LINE.match(line))]


def test_verbose_1_prints_one_line_per_epoch(capsys):
    clf = _fit(max_iter=4, verbose=1)
    out = capsys.readouterr().out
    lines = _epoch_lines(out)
    assert [int(m[1]) for m in lines] == [1, 2, 3, 4] == list(range(1, clf.n_iter_ + 1))
    assert not any(m[2] for m in lines)
    first = f"Epoch 1, loss = {clf.loss_curve_[0]:.6f}, train accuracy = "
    assert out.startswith(first)


def test_verbose_1_with_early_stopping_prints_validation_accuracy(capsys):
    clf = _fit(max_iter=3, verbose=1, early_stopping=True, validation_fraction=0.2)
    lines = _epoch_lines(capsys.readouterr().out)
    assert len(lines) == clf.n_iter_ == 3
    for match, score in zip(lines, clf.validation_scores_, strict=True):
        assert match[2] == f", validation accuracy = {score:.4f}"


def test_verbose_1_reports_why_training_stopped(capsys):
    _fit(max_iter=100, n_iter_no_change=1, tol=10.0, verbose=1)
    assert (
        capsys.readouterr()
        .out.rstrip()
        .endswith(
            "Training loss did not improve more than tol=10.000000 for 1 consecutive "
            "epochs. Stopping."
        )
    )


def test_partial_fit_after_early_stopping_prints_no_stale_validation(capsys):
    clf = _fit(
        learning_rate="constant",
        max_iter=2,
        early_stopping=True,
        validation_fraction=0.2,
    )
    capsys.readouterr()
    clf.set_params(early_stopping=False, verbose=1).partial_fit(X_TOY, Y_TOY)
    assert clf.validation_scores_ is None
    (line,) = _epoch_lines(capsys.readouterr().out)
    assert line[1] == "3"
    assert line[2] is None, line[0]


def test_verbose_0_prints_nothing(capsys):
    _fit(max_iter=2)
    assert capsys.readouterr() == ("", "")


def test_verbose_2_without_tqdm_prints_plain_progress(capsys, monkeypatch):
    # None in sys.modules makes `from tqdm.auto import tqdm` raise ImportError.
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    clf = _fit(max_iter=3, verbose=2, batch_size=16)
    out = capsys.readouterr().out
    for epoch in (1, 2, 3):
        assert f"\rEpoch {epoch}: {N_TOY}/{N_TOY} samples" in out
    assert len(_epoch_lines(out)) == clf.n_iter_ == 3
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_verbose_2_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    clf = _fit(max_iter=3, verbose=2, batch_size=16)
    out = capsys.readouterr().out
    assert "Epoch 1" in out and "Epoch 3" in out
    assert "%|" in out  # tqdm's bar, not the plain line
    assert "samples" not in out
    assert len(_epoch_lines(out)) == clf.n_iter_ == 3


def test_verbose_2_gives_the_same_model_as_verbose_0():
    quiet = _fit(max_iter=3)
    loud = _fit(max_iter=3, verbose=2)
    for name in quiet.weights_:
        assert_array_equal(quiet.weights_[name], loud.weights_[name], err_msg=name)


def test_grid_search_verbose_still_prints_its_own_lines(capsys):
    search = GridSearchCV(
        RNNTextClassifier(**{**FAST, "max_iter": 2}, verbose=1),
        {"cell": ["rnn", "gru"]},
        cv=2,
        verbose=1,
    ).fit(X_TOY, Y_TOY)
    out = capsys.readouterr().out
    assert "Fitting 2 folds for each of 2 candidates, totalling 4 fits" in out
    # 4 fits and the refit, 2 epochs each
    assert len(_epoch_lines(out)) == 5 * 2
    assert search.best_estimator_.n_iter_ == 2


# ------------------------------------------------------------- callbacks


@pytest.fixture
def callback_module():
    return pytest.importorskip("sklearn.callback")


def _rows(log, task_name):
    return [row for row in log.data if row["task_name"] == task_name]


def test_scoring_monitor_logs_the_fit_and_every_epoch(callback_module):
    monitor = callback_module.ScoringMonitor(scoring="accuracy")
    # (constant: the first epochs of a longer fit are those of a shorter one)
    clf = RNNTextClassifier(**{**CONSTANT, "max_iter": 3}).set_callbacks(monitor)
    clf.fit(X_TOY, Y_TOY)
    log = monitor.get_logs()
    assert log.estimator_name == "RNNTextClassifier"
    (fit,) = _rows(log, "fit")
    epochs = _rows(log, "epoch")
    assert len(epochs) == clf.n_iter_ == 3
    assert [row["task_id_path"] for row in epochs] == [(0, 0), (0, 1), (0, 2)]
    # the root task scores the returned model, every epoch the model so far
    assert fit["accuracy"] == clf.score(X_TOY, Y_TOY)
    for i, row in enumerate(epochs):
        after = _fit(**{**CONSTANT, "max_iter": i + 1})
        assert row["accuracy"] == after.score(X_TOY, Y_TOY), i


def test_scoring_monitor_with_early_stopping_scores_the_kept_weights(
    callback_module,
):
    monitor = callback_module.ScoringMonitor(scoring="accuracy")
    clf = RNNTextClassifier(**{**FAST, **EARLY}).set_callbacks(monitor)
    clf.fit(X_TOY, Y_NOISY)
    log = monitor.get_logs()
    assert len(_rows(log, "epoch")) == clf.n_iter_
    (fit,) = _rows(log, "fit")
    assert fit["accuracy"] == clf.score(X_TOY, Y_NOISY)


@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_scoring_monitor_scores_with_the_sample_weight_given_to_fit(
    callback_module, class_weight
):
    # As scikit-learn's own estimators do, the callbacks get the caller's
    # sample_weight (class_weight is the estimator's business, not the score's).
    monitor = callback_module.ScoringMonitor(scoring="accuracy")
    clf = RNNTextClassifier(
        **{**CONSTANT, "max_iter": 2}, class_weight=class_weight
    ).set_callbacks(monitor)
    weights = np.where(np.asarray(Y_TOY) == Y_TOY[0], 10.0, 0.1)
    clf.fit(X_TOY, Y_TOY, sample_weight=weights)
    (fit,) = _rows(monitor.get_logs(), "fit")
    weighted = clf.score(X_TOY, Y_TOY, sample_weight=weights)
    assert weighted != clf.score(X_TOY, Y_TOY)
    assert fit["accuracy"] == pytest.approx(weighted)
    for i, row in enumerate(_rows(monitor.get_logs(), "epoch")):
        after = RNNTextClassifier(
            **{**CONSTANT, "max_iter": i + 1}, class_weight=class_weight
        ).fit(X_TOY, Y_TOY, sample_weight=weights)
        assert row["accuracy"] == pytest.approx(
            after.score(X_TOY, Y_TOY, sample_weight=weights)
        ), i


def test_scoring_monitor_inside_a_pipeline(callback_module):
    monitor = callback_module.ScoringMonitor(scoring="accuracy")
    clf = RNNTextClassifier(**{**FAST, "max_iter": 2}).set_callbacks(monitor)
    pipe = make_pipeline(
        FunctionTransformer(lambda docs: [d.upper() for d in docs]), clf
    )
    pipe.fit(X_TOY, Y_TOY)
    log = monitor.get_logs()
    assert log.estimator_name == "Pipeline"
    (fit,) = _rows(log, "fit")
    assert fit["estimator_name"] == "RNNTextClassifier"
    # the classifier's fit is the pipeline's second task
    assert fit["task_id_path"] == (0, 1)
    assert [row["task_id_path"] for row in _rows(log, "epoch")] == [
        (0, 1, 0),
        (0, 1, 1),
    ]
    assert fit["accuracy"] == pipe.score(X_TOY, Y_TOY)


def test_scoring_monitor_inside_grid_search(callback_module):
    monitor = callback_module.ScoringMonitor(scoring="accuracy")
    clf = RNNTextClassifier(**{**FAST, "max_iter": 2}).set_callbacks(monitor)
    search = GridSearchCV(clf, {"cell": ["rnn", "gru"]}, cv=2).fit(X_TOY, Y_TOY)
    log = monitor.get_logs()
    assert log.estimator_name == "GridSearchCV"
    # 2 candidates x 2 folds, then the refit: one fit and 2 epochs each
    assert len(_rows(log, "fit")) == 5
    assert len(_rows(log, "epoch")) == 10
    assert search.best_estimator_.n_iter_ == 2


def test_progress_bar(callback_module):
    pytest.importorskip("rich")
    clf = RNNTextClassifier(**{**FAST, "max_iter": 2})
    search = GridSearchCV(clf, {"cell": ["rnn", "gru"]}, cv=2)
    search.set_callbacks(callback_module.ProgressBar())
    search.fit(X_TOY, Y_TOY)
    assert search.best_estimator_.n_iter_ == 2


# ------------------------------------------------------------- convergence


class _StopAfter:
    """A callback that asks training to stop at the end of epoch ``n``."""

    def __init__(self, n):
        self.n = n

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        return context.task_name == "epoch" and context.task_id == self.n - 1


def test_callback_can_stop_training_without_a_convergence_warning(callback_module):
    # (constant: the cosine schedule never warns)
    clf = RNNTextClassifier(**{**CONSTANT, "max_iter": 50})
    clf.set_callbacks(_StopAfter(3))
    with no_convergence_warning():
        clf.fit(X_TOY, Y_TOY)
    assert clf.n_iter_ == len(clf.loss_curve_) == 3


class _Subtasks(_StopAfter):
    """A callback that records the sub-tasks announced to each task."""

    def __init__(self):
        self.announced = []

    def on_fit_task_begin(self, estimator, context):
        self.announced.append((context.task_name, context.max_subtasks))

    def on_fit_task_end(self, estimator, context):
        return False


@pytest.mark.parametrize("n_estimators", [1, 2])
def test_callbacks_are_told_the_epochs_of_max_iter_auto(
    monkeypatch, callback_module, n_estimators
):
    # max_iter="auto" is resolved before the fit's task begins: 50 documents
    # one at a time make 50 steps an epoch, 20 epochs for 1,000 steps (the
    # steps' rule alone)
    monkeypatch.setattr(base_module, "AUTO_MIN_TOKENS", 0)
    spy = _Subtasks()
    clf = RNNTextClassifier(
        **{**FAST, "max_iter": "auto", "n_iter_no_change": 1000},
        batch_size=1,
        n_estimators=n_estimators,
    ).set_callbacks(spy)
    clf.fit(X_TOY, Y_TOY)
    assert (N_TOY, clf.n_iter_) == (50, 20)
    assert spy.announced[0] == ("fit", 20 * n_estimators)
    assert len(spy.announced) == 1 + 20 * n_estimators


STOPPED = {
    "early-stopping": {
        **EARLY,
        "max_iter": 100,
        "n_iter_no_change": 2,
    },
    "adaptive": {**ADAPTIVE, "n_iter_no_change": 1, "max_iter": 100},
}


@pytest.mark.parametrize("params", STOPPED.values(), ids=STOPPED.keys())
def test_no_convergence_warning_when_a_stopping_rule_ends_training(params):
    with no_convergence_warning():
        clf = _fit(y=Y_NOISY, **params)
    assert clf.n_iter_ < 100


@pytest.mark.parametrize(
    "params",
    [
        {
            "early_stopping": True,
            "validation_fraction": 0.2,
            "learning_rate": "constant",
        },
        {"solver": "sgd", "learning_rate": "adaptive", "learning_rate_init": 0.01},
    ],
    ids=["early-stopping", "adaptive"],
)
def test_convergence_warning_when_max_iter_ends_training(params):
    # pytest.warns records the warning whatever the filters say
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\)"):
        clf = _fit(max_iter=3, **params)
    assert clf.n_iter_ == 3


# ------------------------------------------------------------ shards and threads


def _sharding_problem(one_hot, dtype=np.float64):
    rng = np.random.default_rng(0)
    n_docs = 2 * SHARD_SIZE + 6  # three shards
    sequences = [rng.integers(2, 30, size=n) for n in rng.integers(0, 9, size=n_docs)]
    y = rng.integers(0, 3, size=n_docs)
    weight = rng.uniform(0.5, 2.0, size=n_docs).astype(dtype)
    config = NetworkConfig(
        n_vocab=30,
        n_outputs=3,
        cell="gru",
        hidden_size=5,
        embedding_dim=None if one_hot else 4,
        bidirectional=True,
        pooling="mean",
    )
    params = init_params(config, rng, np.dtype(dtype), zero_ids=(0, 1))
    return Dataset(sequences, y, weight), config, params


@pytest.mark.parametrize(
    "one_hot, alpha, empty_shard",
    [(False, 0.3, False), (True, 0.3, False), (False, 0.0, True)],
)
def test_sharded_batch_has_the_gradient_of_the_whole_batch(one_hot, alpha, empty_shard):
    data, config, params = _sharding_problem(one_hot)
    idx = length_sorted(data.lengths, np.arange(len(data.y)))
    assert -(-len(idx) // SHARD_SIZE) == 3
    if empty_shard:
        # a shard without weight is left out, not divided by zero
        data.sample_weight[idx[1::3]] = 0.0
    loss, penalty, grads = batch_loss_and_grad(params, data, idx, config, alpha, None)
    assert (penalty > 0) == (alpha > 0)
    _assert_whole_batch_gradient(
        loss + penalty, grads, params, data, idx, config, alpha
    )


def test_sharded_batch_has_the_adversarial_gradient_of_the_whole_batch():
    # Each document's perturbation depends on its own gradient only, whatever
    # shard it is in and however the shard's loss is scaled.
    data, config, params = _sharding_problem(one_hot=False)
    idx = length_sorted(data.lengths, np.arange(len(data.y)))
    loss, penalty, grads = batch_loss_and_grad(
        params, data, idx, config, 0.3, None, adversarial_epsilon=0.8
    )
    _assert_whole_batch_gradient(
        loss + penalty, grads, params, data, idx, config, 0.3, adversarial_epsilon=0.8
    )


def _assert_whole_batch_gradient(
    loss, grads, params, data, idx, config, alpha, adversarial_epsilon=0.0
):
    """The loss and gradients of the batch ``idx`` computed in one piece."""
    ids, lengths = data.batch(idx)
    weight = data.sample_weight[idx]
    expected_loss, expected = loss_and_grad(
        params,
        ids,
        lengths,
        data.y[idx],
        config,
        sample_weight=weight,
        adversarial_epsilon=adversarial_epsilon,
    )
    expected_loss += add_l2_penalty(params, expected, config, alpha, weight.sum())
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    assert sorted(grads) == sorted(expected)
    expected = dense(expected)
    for name, grad in dense(grads).items():
        assert_allclose(grad, expected[name], rtol=1e-10, atol=1e-14, err_msg=name)


def test_long_documents_get_shards_of_their_own(monkeypatch):
    # Regression: a batch was padded whole to its longest document, so one
    # 50,000-token document made 32 x 50,000 arrays.
    data, config, params = _sharding_problem(one_hot=False)
    idx = length_sorted(data.lengths, np.arange(len(data.y)))
    longest = int(data.lengths[idx[0]])
    monkeypatch.setattr(training_module, "MAX_SHARD_POSITIONS", 2 * longest)
    shards = []
    original = training_module.shard_gradient

    def spy(params, config, task):
        shards.append(task.ids.shape)
        return original(params, config, task)

    monkeypatch.setattr(training_module, "shard_gradient", spy)
    loss, penalty, grads = batch_loss_and_grad(params, data, idx, config, 0.1, None)
    assert max(steps * n for steps, n in shards) <= 2 * longest
    assert sum(n for _, n in shards) == len(idx)
    _assert_whole_batch_gradient(loss + penalty, grads, params, data, idx, config, 0.1)


def _run_epoch_without_steps(data, config, params, alpha):
    settings = TrainingSettings(
        batch_size=64, shuffle=False, alpha=alpha, clip_value=None, clip_norm=None
    )
    optimizer = SGDOptimizer(params, learning_rate_init=0.0, momentum=0.0)
    rng = np.random.default_rng(0)
    return run_epoch(params, optimizer, data, config, settings, rng)


def test_an_exploded_cross_entropy_is_divergence_even_if_finite():
    data, config, params = _sharding_problem(one_hot=False)
    # Confident and wrong: a finite cross-entropy of about 1e4 per document.
    params["head.b_y"][:] = 0.0
    params["head.b_y"][(data.y[0] + 1) % 3] = 1e4
    data.y[:] = data.y[0]
    with pytest.raises(TrainingDivergedError, match="exploded"):
        _run_epoch_without_steps(data, config, params, alpha=0.0)


def test_a_nan_cross_entropy_is_divergence():
    # Regression: weights whose sum overflows scale every gradient to 0 and
    # the epoch's loss to NaN, which passed the check.
    data, config, params = _sharding_problem(one_hot=False)
    data.sample_weight[:] = np.finfo(data.sample_weight.dtype).max
    with np.errstate(all="ignore"), pytest.raises(TrainingDivergedError):
        _run_epoch_without_steps(data, config, params, alpha=0.0)


def test_a_large_l2_penalty_is_not_divergence():
    # Regression: alpha=100 made the penalty alone exceed the threshold.
    data, config, params = _sharding_problem(one_hot=False)
    params["head.W_hy"] *= 1e3
    loss = _run_epoch_without_steps(data, config, params, alpha=100.0)
    cross_entropy = _run_epoch_without_steps(data, config, params, alpha=0.0)
    assert loss > 1000 * np.log(config.n_outputs) > cross_entropy
    X, y = load_toy_sentiment(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RNNTextClassifier(alpha=100.0, max_iter=3, random_state=0).fit(X, y)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_weights_count_in_a_power_of_two_near_their_sum_only_when_huge():
    assert weight_unit(np.full(50, 1e150)) == 1.0
    assert weight_unit(np.ones(3, dtype=np.float32)) == 1.0
    weights = np.full(50, np.finfo(np.float64).max / 50)
    unit = weight_unit(weights)
    assert unit == 2.0 ** round(np.log2(unit))
    assert 1 <= weights.sum() / unit < 2


@pytest.mark.parametrize("per_sample", [False, True])
@pytest.mark.parametrize("n_classes", [2, 5])
def test_weights_that_float64_only_just_sums_are_not_divergence(per_sample, n_classes):
    # Regression: fifty weights of 3.6e306 sum to float64's largest value,
    # and the epoch's total of losses times weights overflowed for a mean
    # loss above 1 (five classes): training "diverged".
    y = np.arange(N_TOY) % n_classes
    params = {**FAST, "max_iter": 2, "dtype": np.float64}
    if per_sample:
        params = {**SEED_PARAMS, **params, "hidden_size": 8, "embedding_dim": None}
    weights = np.full(N_TOY, np.finfo(np.float64).max / N_TOY)
    ones = RNNTextClassifier(**params).fit(X_TOY, y)
    huge = RNNTextClassifier(**params).fit(X_TOY, y, sample_weight=weights)
    assert_allclose(huge.loss_curve_, ones.loss_curve_, rtol=1e-12)


def test_n_jobs_does_not_change_the_model():
    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    X = X * 3
    y = np.concatenate([y] * 3)
    # batches of 100 are split into 2 shards; dropout and alpha take their
    # shard-by-shard paths
    assert SHARD_SIZE < 100
    params = dict(batch_size=100, dropout=0.3, alpha=1e-3, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = RNNTextClassifier(n_jobs=1, **params).fit(X, y)
        two = RNNTextClassifier(n_jobs=2, **params).fit(X, y)
    for name, value in one.weights_.items():
        assert_array_equal(two.weights_[name], value, err_msg=name)
    assert_array_equal(two.predict_proba(X), one.predict_proba(X))


def test_scoring_monitor_scores_the_ensemble_as_it_stands(callback_module):
    monitor = callback_module.ScoringMonitor(scoring="accuracy")
    clf = RNNTextClassifier(**{**FAST, "max_iter": 2, "n_estimators": 2})
    clf.set_callbacks(monitor).fit(X_TOY, Y_TOY)
    log = monitor.get_logs()
    epochs = _rows(log, "epoch")
    assert len(epochs) == 4
    (fit,) = _rows(log, "fit")
    assert fit["accuracy"] == clf.score(X_TOY, Y_TOY)
    # member 0's epochs score member 0 alone: the network n_estimators=1 trains
    assert epochs[1]["accuracy"] == _fit(max_iter=2).score(X_TOY, Y_TOY)
    assert epochs[3]["accuracy"] == fit["accuracy"]


def test_interrupting_an_ensemble_keeps_the_members_trained_so_far(monkeypatch):
    calls = []
    run_epoch = training_module.run_epoch

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:  # during member 1's second epoch
            raise KeyboardInterrupt
        return run_epoch(*args, **kwargs)

    monkeypatch.setattr(training_module, "run_epoch", interrupted)
    clf = RNNTextClassifier(**{**FAST, "max_iter": 3, "n_estimators": 3})
    with pytest.warns(UserWarning, match="2 member.s. of the ensemble"):
        clf.fit(X_TOY, Y_TOY)
    assert [m.training.n_iter for m in clf._fitted.ensemble] == [3, 1]
    assert len(clf.predict_proba(X_TOY)) == len(X_TOY)


def _interrupt_at_the_end_of_the_second_epoch(monkeypatch):
    """Ctrl-C once the second epoch's steps have run, before it completes."""
    calls = []
    run_epoch = training_module.run_epoch

    def interrupted(*args, **kwargs):
        calls.append(1)
        result = run_epoch(*args, **kwargs)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(training_module, "run_epoch", interrupted)


@pytest.mark.parametrize("n_estimators", [1, 2])
def test_a_new_fit_interrupted_in_its_first_epoch_keeps_the_model_held(
    monkeypatch, n_estimators
):
    # A prober's finding: a new fit of a fitted estimator, interrupted before
    # it completed an epoch, replaced the fitted model with an untrained one
    # (n_iter_=0), though no epoch of the new one was worth keeping.
    clf = RNNTextClassifier(**{**FAST, "max_iter": 2, "n_estimators": n_estimators})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_TOY, Y_TOY)
    held = clf._fitted
    expected = clf.predict_proba(X_TOY)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training_module, "run_epoch", interrupted)
    with pytest.warns(UserWarning, match="keeps the model it held before"):
        clf.set_params(hidden_size=4).fit(X_TOY, Y_TOY)
    assert clf._fitted is held
    assert clf.n_iter_ == 2
    assert_array_equal(clf.predict_proba(X_TOY), expected)
    # with nothing held before, the untrained model is what there is
    fresh = RNNTextClassifier(**FAST)
    with pytest.warns(UserWarning, match="last completed epoch .n_iter_=0."):
        fresh.fit(X_TOY, Y_TOY)
    assert fresh.n_iter_ == 0


def test_an_interrupted_epoch_leaves_no_scratch_arrays(monkeypatch):
    # the epoch's steps ran (and made the flat steps' scratch arrays) before
    # Ctrl-C; the fitted model holds its state, not the scratch
    _interrupt_at_the_end_of_the_second_epoch(monkeypatch)
    clf = RNNTextClassifier(**{**FAST, "max_iter": 3})
    with pytest.warns(UserWarning):
        clf.fit(X_TOY, Y_TOY)
    (member,) = clf._fitted.ensemble
    assert member.training.n_iter == 1
    assert member.optimizer._flat_layouts == {}


def test_a_second_interrupt_while_an_epoch_is_undone_undoes_it_whole(monkeypatch):
    # A second Ctrl-C while the interrupted epoch was undone left some of the
    # parameters of the last completed epoch and some of the interrupted one
    # (and its optimizer state), under "keeps the weights of the last
    # completed epoch".
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        expected = _fit(**{**CONSTANT, "max_iter": 1})
    _interrupt_at_the_end_of_the_second_epoch(monkeypatch)

    class InterruptedAgain(dict):
        def items(self):
            for k, item in enumerate(super().items()):
                if k == 1:
                    signal.raise_signal(signal.SIGINT)
                yield item

    checkpoint = training_module._Checkpoint.__init__

    def restored_with_an_interrupt(self, *args):
        checkpoint(self, *args)
        self.params = InterruptedAgain(self.params)

    monkeypatch.setattr(
        training_module._Checkpoint, "__init__", restored_with_an_interrupt
    )
    with pytest.warns(UserWarning, match="Training interrupted"):
        clf = _fit(**{**CONSTANT, "max_iter": 3})
    assert clf.n_iter_ == 1
    for name, value in expected.weights_.items():
        assert_array_equal(clf.weights_[name], value, err_msg=name)


def test_a_warm_cosine_fit_interrupted_at_once_keeps_its_schedule(monkeypatch):
    # the warm fit restarts the schedule before its first step; interrupted
    # before an epoch ends, the model keeps its weights and where its
    # schedule had got to, so that partial_fit goes on from there
    params = {**FAST, "learning_rate": "cosine", "max_iter": 3, "warm_start": True}
    clf = RNNTextClassifier(**params).fit(X_TOY, Y_TOY)
    assert clf._fitted.optimizer.schedule_epoch == 3
    weights = {name: value.copy() for name, value in clf.weights_.items()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training_module, "run_epoch", interrupted)
    with pytest.warns(UserWarning):
        clf.fit(X_TOY, Y_TOY)
    assert clf.n_iter_ == 3
    assert clf._fitted.optimizer.schedule_epoch == 3
    for name, value in weights.items():
        assert_array_equal(clf.weights_[name], value)


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_a_continued_fit_interrupted_at_once_keeps_the_model_held(monkeypatch, how):
    # Regression: the weights stayed, but a warm start had already restarted
    # the copy's early stopping, so that validation_scores_ became [] and
    # best_validation_score_ -inf, describing no model.
    if how == "partial_fit":
        clf = RNNTextClassifier(**FAST).partial_fit(X_TOY, Y_TOY, classes=[0, 1])
    else:
        params = {**FAST, "early_stopping": True, "validation_fraction": 0.2}
        clf = RNNTextClassifier(**params).fit(X_TOY, Y_TOY)
    held = clf._fitted
    scores = (clf.validation_scores_, clf.best_validation_score_, clf.best_loss_)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training_module, "run_epoch", interrupted)
    with pytest.warns(UserWarning, match="keeps the model it held before the call"):
        if how == "partial_fit":
            clf.partial_fit(X_TOY, Y_TOY)
        else:
            clf.set_params(warm_start=True).fit(X_TOY, Y_TOY)
    assert clf._fitted is held
    assert (clf.validation_scores_, clf.best_validation_score_, clf.best_loss_) == (
        scores
    )


def test_members_a_warm_start_did_not_train_keep_their_optimizer(monkeypatch):
    # Regression: an ensemble's warm start with another learning rate gave
    # every member a new optimizer before training them; interrupted in
    # member 1's first epoch, members 1 and 2 kept their weights ("keep
    # theirs"), but with the new optimizer's empty moments and a restarted
    # stopping history, so that partial_fit went on from another state.
    clf = RNNTextClassifier(**{**CONSTANT, "max_iter": 2, "n_estimators": 3})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_TOY, Y_TOY)
    held = clf._fitted.members
    calls = []
    run_epoch = training_module.run_epoch

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # in member 1's first epoch, member 2 not reached
            raise KeyboardInterrupt
        return run_epoch(*args, **kwargs)

    monkeypatch.setattr(training_module, "run_epoch", interrupted)
    with pytest.warns(UserWarning, match="members not reached yet keep theirs"):
        clf.set_params(warm_start=True, max_iter=1, learning_rate_init=0.02)
        clf.fit(X_TOY, Y_TOY)
    assert clf.n_iter_ == 3
    assert all(now is then for now, then in zip(clf._fitted.members, held, strict=True))


def test_a_member_interrupted_in_its_first_epoch_is_left_out(monkeypatch):
    calls = []
    run_epoch = training_module.run_epoch

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:  # during member 1's first epoch
            raise KeyboardInterrupt
        return run_epoch(*args, **kwargs)

    monkeypatch.setattr(training_module, "run_epoch", interrupted)
    clf = RNNTextClassifier(**{**FAST, "max_iter": 3, "n_estimators": 3})
    with pytest.warns(UserWarning, match=r"1 member.s. .* n_estimators=1 to save"):
        clf.fit(X_TOY, Y_TOY)
    assert [m.training.n_iter for m in clf._fitted.ensemble] == [3]
    assert_array_equal(clf.predict_proba(X_TOY), _fit(max_iter=3).predict_proba(X_TOY))


def test_an_ensemble_interrupted_in_its_first_epoch_keeps_its_first_member(
    monkeypatch,
):
    # Regression: Ctrl-C in member 0's first epoch left no member, and fit
    # raised IndexError; as a single network does, the ensemble keeps the
    # untrained first member (n_iter_=0) and warns.
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training_module, "run_epoch", interrupted)
    clf = RNNTextClassifier(**{**FAST, "max_iter": 3, "n_estimators": 3})
    with pytest.warns(UserWarning, match=r"n_iter_=0.*1 member.s."):
        clf.fit(X_TOY, Y_TOY)
    assert [m.training.n_iter for m in clf._fitted.ensemble] == [0]
    assert clf.predict_proba(X_TOY).shape == (len(X_TOY), 2)


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_interrupting_a_continued_ensemble_keeps_every_member(monkeypatch, how):
    clf = RNNTextClassifier(**{**CONSTANT, "max_iter": 2, "n_estimators": 3})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_TOY, Y_TOY)
    before = [dict(weights) for weights in clf.estimators_weights_]
    calls = []
    run_epoch = training_module.run_epoch

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # during member 1's epoch, member 2 not reached
            raise KeyboardInterrupt
        return run_epoch(*args, **kwargs)

    monkeypatch.setattr(training_module, "run_epoch", interrupted)
    with pytest.warns(UserWarning, match="members not reached yet keep theirs"):
        if how == "partial_fit":
            clf.partial_fit(X_TOY, Y_TOY)
        else:
            clf.set_params(warm_start=True, max_iter=1).fit(X_TOY, Y_TOY)
    after = clf.estimators_weights_
    assert len(after) == 3
    assert not np.array_equal(after[0]["head.W_hy"], before[0]["head.W_hy"])
    for k in (1, 2):
        for name, weight in before[k].items():
            assert_array_equal(after[k][name], weight, err_msg=f"{k} {name}")
    monkeypatch.setattr(training_module, "run_epoch", run_epoch)
    clf.partial_fit(X_TOY, Y_TOY)  # the ensemble still continues whole


# ------------------------------------------------------------ per-sample path


#: The per-sample path does the general path's arithmetic: its weights are the
#: same bit for bit as long as both compute each product alike (the same BLAS
#: call on operands laid out alike), and within rounding otherwise: a product
#: by ``W_hh.T`` as a view or as a contiguous copy rounds differently, which
#: moves the weights by 1e-5 to 1e-4 of their size in a few epochs.  A step that
#: differs in its math moves them by far more.
SAME_STEPS = {"rtol": 1e-3, "atol": 1e-5}


def _per_sample_problem(dtype):
    """Batches of one through the seed's network, with the cases it must handle.

    Words read twice and thrice, an empty document, documents of weight 0, a
    third class, and a vocabulary larger than any document reads.
    """
    rng = np.random.default_rng(0)
    sequences = [rng.integers(2, 40, size=n) for n in rng.integers(1, 9, size=40)]
    sequences[3] = np.array([5, 7, 5, 5, 9])
    sequences[7] = np.array([], dtype=int)
    y = rng.integers(0, 3, size=len(sequences))
    weight = rng.uniform(0.5, 2.0, size=len(sequences)).astype(dtype)
    weight[[2, 11]] = 0.0
    config = NetworkConfig(n_vocab=40, n_outputs=3, hidden_size=6)
    params = init_params(config, rng, np.dtype(dtype), zero_ids=(0, 1))
    return Dataset(sequences, y, weight), config, params


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shuffle, clip_value", [(True, 0.5), (False, None)])
def test_the_per_sample_path_takes_the_steps_of_the_general_path(
    monkeypatch, dtype, shuffle, clip_value
):
    data, config, start = _per_sample_problem(dtype)
    settings = TrainingSettings(
        batch_size=1, shuffle=shuffle, alpha=0.0, clip_value=clip_value, clip_norm=None
    )
    results = []
    for per_sample in (True, False):
        monkeypatch.setattr(training_module, "_PER_SAMPLE_STEPS", per_sample)
        params = {name: value.copy() for name, value in start.items()}
        optimizer = SGDOptimizer(params, learning_rate_init=0.3, momentum=0.0)
        rng = np.random.default_rng(1)
        counts = []
        losses = [
            run_epoch(params, optimizer, data, config, settings, rng, counts.append)
            for _ in range(3)
        ]
        results.append((params, optimizer.get_state(), losses, counts, rng.random()))
    assert takes_per_sample_steps(start, optimizer, config, settings)
    (params, state, losses, counts, draw), expected = results
    for name, value in expected[0].items():
        assert_allclose(params[name], value, **SAME_STEPS, err_msg=name)
    for name, value in expected[1].items():
        assert_allclose(state[name], value, **SAME_STEPS, err_msg=name)
    assert_allclose(losses, expected[2], **SAME_STEPS)
    assert counts == expected[3] == [1] * 3 * len(data.y)
    assert draw == expected[4]  # the generator is left as the general path leaves it


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_seed_params_train_the_same_model_on_either_path(monkeypatch, dtype):
    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    params = {**SEED_PARAMS, "max_iter": 4, "random_state": 0, "dtype": dtype}
    models = []
    for per_sample in (True, False):
        monkeypatch.setattr(training_module, "_PER_SAMPLE_STEPS", per_sample)
        models.append(RNNTextClassifier(**params).fit(X, y))
    fast, general = models
    for name, value in general.weights_.items():
        assert_allclose(fast.weights_[name], value, **SAME_STEPS, err_msg=name)
    assert_allclose(fast.loss_curve_, general.loss_curve_, **SAME_STEPS)


def test_adversarial_training_never_takes_the_per_sample_path():
    # The per-sample path has no adversarial pass: the general path refuses
    # adversarial training of one-hot inputs instead of leaving it out.
    data, config, params = _per_sample_problem(np.float64)
    settings = TrainingSettings(
        batch_size=1,
        shuffle=False,
        alpha=0.0,
        clip_value=None,
        clip_norm=None,
        adversarial_epsilon=0.5,
    )
    optimizer = SGDOptimizer(params, learning_rate_init=0.3, momentum=0.0)
    assert not takes_per_sample_steps(params, optimizer, config, settings)
    with pytest.raises(ValueError, match="one-hot inputs"):
        run_epoch(params, optimizer, data, config, settings, np.random.default_rng(0))


def test_seed_params_take_the_per_sample_path(monkeypatch):
    def general_step(*args, **kwargs):
        raise AssertionError("the general path took a step")

    monkeypatch.setattr(training_module, "_train_step", general_step)
    clf = RNNTextClassifier(**{**SEED_PARAMS, "max_iter": 2}).fit(X_TOY, Y_TOY)
    assert clf.n_iter_ == 2


@pytest.mark.parametrize(
    "change",
    [
        {"batch_size": 2},
        {"momentum": 0.9},
        {"solver": "adam"},
        {"alpha": 1e-4},
        {"clip_norm": 1.0},
        {"cell": "gru"},
        {"embedding_dim": 8},
        {"pooling": "mean"},
        {"bidirectional": True},
        {"num_layers": 2},
        {"dropout": 0.2},
        {"learning_rate": "cosine"},  # a rate of its own at every step
    ],
)
def test_other_settings_take_the_general_path(monkeypatch, change):
    def per_sample_epoch(*args, **kwargs):
        raise AssertionError("the per-sample path took an epoch")

    monkeypatch.setattr(training_module, "_per_sample_epoch", per_sample_epoch)
    params = {**SEED_PARAMS, "hidden_size": 8, "max_iter": 1, **change}
    RNNTextClassifier(**params).fit(X_TOY, Y_TOY)


def test_an_interrupted_per_sample_epoch_is_undone(monkeypatch):
    # The per-sample path updates the lookup table and its velocity in place.
    params = {**SEED_PARAMS, "hidden_size": 8, "random_state": 0}
    once = RNNTextClassifier(**{**params, "max_iter": 1}).fit(X_TOY, Y_TOY)
    samples = []

    def interrupting(epoch, n_samples, **kwargs):
        def update(n):
            samples.append(n)
            if len(samples) == N_TOY + 10:  # in the second epoch
                raise KeyboardInterrupt

        return update, lambda: None

    monkeypatch.setattr(training_module, "batch_progress", interrupting)
    clf = RNNTextClassifier(**{**params, "max_iter": 3, "verbose": 2})
    with pytest.warns(UserWarning, match="interrupted"):
        clf.fit(X_TOY, Y_TOY)
    assert clf.n_iter_ == 1
    for name, value in once.weights_.items():
        assert_array_equal(clf.weights_[name], value, err_msg=name)
    state = clf._fitted.optimizer.get_state()
    for name, value in once._fitted.optimizer.get_state().items():
        assert_array_equal(state[name], value, err_msg=name)


def test_a_dataset_copies_its_tokens_only_for_batches_of_several_documents():
    # early stopping splits the training set into two more data sets; the
    # whole one is never batched and should hold no concatenated copy
    sequences = [np.array([2, 3, 4]), np.array([5]), np.array([], int)]
    data = Dataset(sequences, np.array([0, 1, 0]), np.ones(3))
    ids, lengths = data.batch(np.array([1]))
    assert_array_equal(ids, [[5]])
    assert "_concatenated" not in vars(data)
    ids, lengths = data.batch(np.array([0, 1, 2]))
    assert_array_equal(lengths, [3, 1, 0])
    assert_array_equal(ids, pad_batch(sequences)[0])
    assert "_concatenated" in vars(data)


WORSE_THAN_A_GUESS = "The network's loss on its training data .* worse than the"


@pytest.mark.parametrize(
    ("estimator", "learning_rate_init"),
    [(RNNTextClassifier, 30.0), (RNNTextRegressor, 1.0)],
)
def test_a_fit_worse_than_a_guess_warns(estimator, learning_rate_init):
    # a learning rate too large for training to diverge outright: the
    # network ends far above the loss of a guess that knows nothing (the
    # classifier scored 0.64 on its own training set, the regressor an R^2
    # of -100, and neither said anything)
    y = Y_TOY if estimator is RNNTextClassifier else np.asarray(Y_TOY, float)
    bad = estimator(random_state=0, max_iter=5, learning_rate_init=learning_rate_init)
    with pytest.warns(ConvergenceWarning, match=WORSE_THAN_A_GUESS):
        bad.fit(X_TOY, y)


@pytest.mark.parametrize(
    "params",
    [
        {},
        # a review's findings: training losses above twice the reference,
        # raised by dropout or the penalty, of networks that fit their data
        {"alpha": 20.0},
        {"dropout": 0.99, "input_dropout": 0.99},
        {"learning_rate_init": 0.3},
        {"adversarial_epsilon": 5.0},
    ],
)
def test_a_fit_that_learns_does_not_warn_of_a_guess(params):
    model = RNNTextClassifier(random_state=0, max_iter=30, **params)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", WORSE_THAN_A_GUESS, ConvergenceWarning)
        model.fit(X_TOY, Y_TOY)
    assert model.score(X_TOY, Y_TOY) >= 0.9


def test_worse_than_a_guess_is_the_network_as_it_predicts():
    train = Dataset([np.array([2, 3])] * 4, np.array([1, 1, 1, 1]), np.ones(4))
    config = NetworkConfig(n_vocab=5, n_outputs=2, hidden_size=4, embedding_dim=4)
    settings = TrainingSettings(
        batch_size=2, shuffle=False, alpha=0.0, clip_value=None, clip_norm=None
    )
    params = init_params(config, np.random.default_rng(0), np.dtype(np.float32))
    warn = training_module._warn_if_worse_than_a_guess

    def warned(losses):
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            warn(params, losses, train, config, settings)
        return [r for r in records if issubclass(r.category, ConvergenceWarning)]

    # an untrained network predicts about 1/2 each: as a guess, whatever
    # the training losses said
    assert not warned([3.0, 2.5])
    # a network sure of the wrong class
    params["head.b_y"][:] = [50.0, -50.0]
    assert len(warned([3.0, 2.5])) == 1
    # the training losses are looked at first: one epoch below twice the
    # reference (2 log 2), no look at the network
    assert not warned([3.0, 1.3])
    assert not warned([])
