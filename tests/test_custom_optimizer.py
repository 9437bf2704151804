"""An optimizer of one's own, added through the public extension point only.

RMSprop (Hinton, 2012), as PyTorch's ``RMSprop`` without momentum, is defined
here and registered with :func:`skrnn.register_optimizer`: its steps match a
reference written out parameter by parameter, and it fits, continues, saves,
loads, pickles, searches and trains ensembles like a built-in solver, with no
change to the package.  Its decay rate ``rho`` is its own setting (not an
estimator parameter); a subclass registered under another name sets another.
"""

import io
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

import skrnn
from skrnn import (
    BaseOptimizer,
    RNNTextClassifier,
    register_optimizer,
    unregister_optimizer,
)
from skrnn._batching import pad_batch
from skrnn._optimizers import cosine_learning_rate
from skrnn.datasets import load_toy_sentiment
from skrnn.nn import RowGrad, loss_and_grad

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# ------------------------------------------------------------- the optimizer


class RMSpropOptimizer(BaseOptimizer):
    r"""RMSprop: steps divided by a running root mean square of the gradients.

    .. math::

        v \leftarrow \rho v + (1 - \rho) g^2, \qquad
        \theta \leftarrow \theta - \eta \frac{g}{\sqrt{v} + \epsilon}
    """

    # The estimator's parameters that it reads, by their names ...
    hyperparameters = ("learning_rate_init", "learning_rate", "epsilon")
    # ... and its state: one dict of arrays, keyed by parameter name.
    _buffer_names = ("squares",)

    def __init__(
        self,
        params,
        learning_rate_init=0.001,
        learning_rate="constant",
        epsilon=1e-8,
        rho=0.9,  # its own setting: a default, not an estimator parameter
    ):
        super().__init__(learning_rate_init, learning_rate)
        self.epsilon = float(epsilon)
        self.rho = float(rho)
        self.squares = {name: np.zeros_like(p) for name, p in params.items()}

    def _step(self, grad, squares, *, scratch):
        tmp, denom = scratch
        # v <- rho v + (1 - rho) g**2, in place
        squares *= self.rho
        np.square(grad, out=tmp)
        tmp *= 1.0 - self.rho
        squares += tmp
        # the update -eta g / (sqrt(v) + epsilon)
        np.sqrt(squares, out=denom)
        denom += self.epsilon
        update = np.multiply(grad, -self.current_learning_rate, out=tmp)
        update /= denom
        return update


class SlowRMSprop(RMSpropOptimizer):
    """RMSprop with a slower decay: another value of its own setting."""

    def __init__(self, params, **hyperparameters):
        super().__init__(params, rho=0.99, **hyperparameters)


def rmsprop_reference(params, grads_sequence, rates, rho, epsilon):
    """RMSprop written out, parameter by parameter and step by step."""
    params = {name: value.copy() for name, value in params.items()}
    squares = {name: np.zeros_like(value) for name, value in params.items()}
    for rate, grads in zip(rates, grads_sequence, strict=True):
        for name, g in grads.items():
            squares[name] = rho * squares[name] + (1 - rho) * g * g
            params[name] = params[name] - rate * g / (np.sqrt(squares[name]) + epsilon)
    return params, squares


@pytest.fixture
def rmsprop():
    register_optimizer("rmsprop", RMSpropOptimizer)
    yield "rmsprop"
    unregister_optimizer("rmsprop")


SHAPES = {"embed.E": (6, 3), "layer0.fwd.W_hh": (3, 3), "head.b_y": (2,)}


def make_params(rng, dtype=np.float64):
    return {
        name: rng.standard_normal(shape).astype(dtype) for name, shape in SHAPES.items()
    }


def make_grads(rng, n_steps, dtype=np.float64):
    return [make_params(rng, dtype) for _ in range(n_steps)]


def small_classifier(**params):
    defaults = dict(
        hidden_size=4, embedding_dim=4, max_iter=2, ngram_range=None, random_state=0
    )
    return RNNTextClassifier(**{**defaults, **params})


def model_bytes(model):
    file = io.BytesIO()
    skrnn.save(model, file)
    file.seek(0)
    return file


# -------------------------------------------------------- the steps it takes


@pytest.mark.parametrize("learning_rate", ["constant", "cosine"])
def test_steps_match_the_reference(learning_rate):
    rng = np.random.default_rng(0)
    params = make_params(rng)
    grads_sequence = make_grads(rng, 5)
    opt = RMSpropOptimizer(
        params, learning_rate_init=0.05, learning_rate=learning_rate, epsilon=1e-6
    )
    opt.plan_epochs(1, len(grads_sequence), restart=True)
    rates = [
        0.05 if learning_rate == "constant" else cosine_learning_rate(0.05, k, 5)
        for k in range(5)
    ]
    expected, squares = rmsprop_reference(params, grads_sequence, rates, 0.9, 1e-6)
    for grads in grads_sequence:
        opt.update_params(params, grads)
    for name in SHAPES:
        assert_allclose(params[name], expected[name], rtol=1e-12)
        assert_allclose(opt.squares[name], squares[name], rtol=1e-12)


def test_a_lookup_table_steps_only_the_rows_read():
    rng = np.random.default_rng(1)
    params = make_params(rng)
    rows = np.array([0, 3, 4])
    others = np.setdiff1d(np.arange(SHAPES["embed.E"][0]), rows)
    before = params["embed.E"].copy()
    grads_sequence = [{"E": g["embed.E"][rows]} for g in make_grads(rng, 4)]
    opt = RMSpropOptimizer(params, learning_rate_init=0.1)
    for grads in grads_sequence:
        grad = RowGrad(rows, grads["E"].copy(), SHAPES["embed.E"][0])
        opt.update_params(params, {"embed.E": grad})
    expected, squares = rmsprop_reference(
        {"E": before[rows]}, grads_sequence, [0.1] * 4, 0.9, 1e-8
    )
    assert_allclose(params["embed.E"][rows], expected["E"], rtol=1e-12)
    assert_allclose(opt.squares["embed.E"][rows], squares["E"], rtol=1e-12)
    assert_array_equal(params["embed.E"][others], before[others])
    assert_array_equal(opt.squares["embed.E"][others], 0)


def test_float32_stays_float32():
    rng = np.random.default_rng(2)
    params = make_params(rng, np.float32)
    opt = RMSpropOptimizer(params)
    for grads in make_grads(rng, 2, np.float32):
        opt.update_params(params, grads)
    assert {p.dtype for p in params.values()} == {np.dtype(np.float32)}
    assert {s.dtype for s in opt.squares.values()} == {np.dtype(np.float32)}


def test_the_estimator_steps_as_the_reference(rmsprop):
    # One minibatch per epoch, so that each partial_fit takes one step: the
    # second step, from the first's weights and state, is the reference's
    # step with the network's gradient there.
    X, y = load_toy_sentiment(return_X_y=True)
    clf = small_classifier(
        solver=rmsprop,
        learning_rate_init=0.01,
        learning_rate="constant",
        epsilon=1e-7,
        batch_size=len(X),
        dropout=0.0,
        input_dropout=0.0,
        clip_value=None,
        dtype=np.float64,
    )
    clf.partial_fit(X, y, classes=np.unique(y))
    weights = {name: w.copy() for name, w in clf.weights_.items()}
    squares = {k: v.copy() for k, v in clf._fitted.optimizer.squares.items()}

    sequences = clf.vectorizer_.transform(X)
    order = np.argsort([-len(s) for s in sequences], kind="stable")
    ids, lengths = pad_batch([sequences[i] for i in order])
    targets = np.searchsorted(clf.classes_, np.asarray(y)[order])
    _, grads = loss_and_grad(weights, ids, lengths, targets, clf._fitted.config)
    grads = {
        name: g.toarray() if isinstance(g, RowGrad) else g for name, g in grads.items()
    }

    clf.partial_fit(X, y)
    for name, g in grads.items():
        v = 0.9 * squares[name] + 0.1 * g * g
        expected = weights[name] - 0.01 * g / (np.sqrt(v) + 1e-7)
        assert_allclose(clf.weights_[name], expected, rtol=1e-9, atol=1e-12)
    assert not np.array_equal(clf.weights_["head.W_hy"], weights["head.W_hy"])


# --------------------------------------------------- through the estimator


def test_the_estimator_accepts_it_once_registered():
    X, y = load_toy_sentiment(return_X_y=True)
    clf = small_classifier(solver="rmsprop")
    with pytest.raises(InvalidParameterError, match=r"skrnn\.register_optimizer"):
        clf.fit(X, y)
    register_optimizer("rmsprop", RMSpropOptimizer)
    try:
        clf.fit(X, y)
    finally:
        unregister_optimizer("rmsprop")
    assert type(clf._fitted.optimizer) is RMSpropOptimizer


def test_fit_partial_fit_and_warm_start_continue_it(rmsprop):
    X, y = load_toy_sentiment(return_X_y=True)
    clf = small_classifier(solver=rmsprop, learning_rate="constant").fit(X, y)
    optimizer = clf._fitted.optimizer
    assert type(optimizer) is RMSpropOptimizer
    assert optimizer.get_hyperparameters() == {
        "learning_rate_init": clf.learning_rate_init,
        "learning_rate": "constant",
        "epsilon": clf.epsilon,
    }
    assert optimizer.rho == 0.9
    assert any(optimizer.squares["head.W_hy"].ravel())

    # partial_fit continues the optimizer, state and all
    n_iter = clf.n_iter_
    clf.partial_fit(X, y)
    assert clf.n_iter_ == n_iter + 1
    continued = clf._fitted.optimizer
    assert type(continued) is RMSpropOptimizer
    assert not np.array_equal(
        continued.squares["head.W_hy"], optimizer.squares["head.W_hy"]
    )

    # a warm fit with its settings unchanged keeps it; changed, starts anew
    clf.set_params(warm_start=True)
    clf.fit(X, y)
    assert clf._fitted.optimizer.learning_rate_init == clf.learning_rate_init
    clf.set_params(learning_rate_init=0.001, max_iter=1)
    clf.fit(X, y)
    assert type(clf._fitted.optimizer) is RMSpropOptimizer
    assert clf._fitted.optimizer.learning_rate_init == 0.001


def test_a_warm_start_to_another_solver_after_unregistering():
    X, y = load_toy_sentiment(return_X_y=True)
    register_optimizer("rmsprop", RMSpropOptimizer)
    try:
        clf = small_classifier(
            solver="rmsprop", learning_rate="constant", warm_start=True
        ).fit(X, y)
    finally:
        unregister_optimizer("rmsprop")
    # the fitted model goes on with its own optimizer, which it holds
    clf.partial_fit(X, y)
    assert type(clf._fitted.optimizer) is RMSpropOptimizer
    clf.set_params(solver="adam").fit(X, y)
    assert clf._fitted.optimizer.get_hyperparameters()["beta_1"] == clf.beta_1


def test_saves_loads_and_pickles_and_goes_on_identically(rmsprop):
    X, y = load_toy_sentiment(return_X_y=True)
    clf = small_classifier(solver=rmsprop, learning_rate="constant").fit(X, y)
    loaded = skrnn.load(model_bytes(clf))
    unpickled = pickle.loads(pickle.dumps(clf))
    for twin in (loaded, unpickled):
        assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))
        assert type(twin._fitted.optimizer) is RMSpropOptimizer
        for name, value in clf._fitted.optimizer.squares.items():
            assert_array_equal(twin._fitted.optimizer.squares[name], value)
    clf.partial_fit(X, y)
    for twin in (loaded, unpickled):
        twin.partial_fit(X, y)
        assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))


def test_a_model_of_an_unregistered_optimizer_says_to_register_it():
    X, y = load_toy_sentiment(return_X_y=True)
    register_optimizer("rmsprop", RMSpropOptimizer)
    try:
        clf = small_classifier(solver="rmsprop", max_iter=1).fit(X, y)
        file, pickled = model_bytes(clf), pickle.dumps(clf)
    finally:
        unregister_optimizer("rmsprop")
    with pytest.raises(ValueError, match="solver 'rmsprop' is not registered") as info:
        skrnn.load(file)
    assert "skrnn.register_optimizer('rmsprop', optimizer)" in str(info.value)
    assert "corrupt" not in str(info.value)
    with pytest.raises(ValueError, match=r"'rmsprop'.*skrnn\.register_optimizer"):
        pickle.loads(pickled)


class PlainSGD(BaseOptimizer):
    """Steps of minus the rate times the gradient: no epsilon, no state."""

    hyperparameters = ("learning_rate_init", "learning_rate")
    _buffer_names = ()

    def __init__(self, params, learning_rate_init=0.01, learning_rate="constant"):
        super().__init__(learning_rate_init, learning_rate)

    def _step(self, grad, *, scratch):
        return np.multiply(grad, -self.current_learning_rate, out=scratch[0])


@pytest.mark.parametrize(
    ("made_with", "registered_after"),
    [(RMSpropOptimizer, PlainSGD), (PlainSGD, RMSpropOptimizer)],
    ids=["fewer-settings-now", "more-settings-now"],
)
def test_another_optimizer_registered_under_the_name_since_the_fit_is_named(
    made_with, registered_after
):
    # load called the file corrupt, unpickling failed with a KeyError or
    # "Optimizer state does not match", save blamed an in-place change, and
    # a warm fit failed with a KeyError (or continued the old optimizer).
    X, y = load_toy_sentiment(return_X_y=True)
    register_optimizer("mine", made_with)
    try:
        clf = small_classifier(solver="mine", max_iter=1).fit(X, y)
        file, pickled = model_bytes(clf), pickle.dumps(clf)
    finally:
        unregister_optimizer("mine")
    register_optimizer("mine", registered_after)
    try:
        said = "another optimizer registered (under that name|as 'mine') since"
        for step in (
            lambda: skrnn.load(file),
            lambda: pickle.loads(pickled),
            lambda: skrnn.save(clf, io.BytesIO()),
        ):
            with pytest.raises(ValueError, match=said) as info:
                step()
            assert "'mine'" in str(info.value)
            assert "corrupt" not in str(info.value)
        # a warm fit starts the optimizer now registered, and saves
        clf.set_params(warm_start=True).fit(X, y)
        assert type(clf._fitted.optimizer) is registered_after
        assert type(skrnn.load(model_bytes(clf))._fitted.optimizer) is registered_after
    finally:
        unregister_optimizer("mine")


def test_an_ensemble_trains_and_saves_each_members_optimizer(rmsprop):
    X, y = load_toy_sentiment(return_X_y=True)
    clf = small_classifier(solver=rmsprop, n_estimators=2, n_jobs=1).fit(X, y)
    members = clf._fitted.ensemble
    assert [type(m.optimizer) for m in members] == [RMSpropOptimizer] * 2
    assert not np.array_equal(
        members[0].optimizer.squares["head.W_hy"],
        members[1].optimizer.squares["head.W_hy"],
    )
    loaded = skrnn.load(model_bytes(clf))
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    for member, twin in zip(members, loaded._fitted.ensemble, strict=True):
        assert_array_equal(
            twin.optimizer.squares["head.W_hy"], member.optimizer.squares["head.W_hy"]
        )


def test_grid_search_over_solvers(rmsprop):
    X, y = load_toy_sentiment(return_X_y=True)
    register_optimizer("slow_rmsprop", SlowRMSprop)
    try:
        search = GridSearchCV(
            small_classifier(max_iter=1),
            {"solver": ["adam", rmsprop, "slow_rmsprop"]},
            cv=2,
            n_jobs=1,
        ).fit(X, y)
        slow = small_classifier(solver="slow_rmsprop", max_iter=1).fit(X, y)
    finally:
        unregister_optimizer("slow_rmsprop")
    assert list(search.cv_results_["param_solver"]) == [
        "adam",
        "rmsprop",
        "slow_rmsprop",
    ]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # its own setting, another value under another name
    assert slow._fitted.optimizer.rho == 0.99


def test_the_command_line_offers_the_registered_optimizers(rmsprop):
    from skrnn._cli import build_parser

    def solver_help():
        parser = build_parser(RNNTextClassifier)
        train = parser._subparsers._group_actions[0].choices["train"]
        (action,) = [a for a in train._actions if "--solver" in a.option_strings]
        return action.help

    assert solver_help().startswith("{sgd,adam,adamw,rmsprop}")
    unregister_optimizer(rmsprop)
    try:
        assert solver_help().startswith("{sgd,adam,adamw}")
    finally:
        register_optimizer(rmsprop, RMSpropOptimizer)
