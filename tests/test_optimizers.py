"""Tests for skrnn._optimizers: equivalence with scikit-learn, then behaviour."""

import copy
import inspect
import io
import itertools
import math
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network._stochastic_optimizers import (
    AdamOptimizer as SkAdamOptimizer,
)
from sklearn.neural_network._stochastic_optimizers import (
    SGDOptimizer as SkSGDOptimizer,
)
from sklearn.utils._param_validation import InvalidParameterError

import skrnn
from skrnn import (
    RNNTextClassifier,
    RNNTextRegressor,
    register_optimizer,
    unregister_optimizer,
)
from skrnn._optimizers import (
    BUILTIN_OPTIMIZERS,
    ESTIMATOR_HYPERPARAMETERS,
    OPTIMIZERS,
    AdamOptimizer,
    AdamWOptimizer,
    BaseOptimizer,
    SGDOptimizer,
    build_optimizer,
    clip_by_global_norm,
    clip_by_value,
    cosine_learning_rate,
    global_norm,
)
from skrnn.nn import RowGrad

SHAPES = {"embed.E": (7, 3), "layer0.fwd.W_hh": (4, 4), "head.b_y": (2,)}
N_STEPS = 6


def make_params(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return {
        name: rng.standard_normal(shape).astype(dtype) for name, shape in SHAPES.items()
    }


def make_grads_sequence(n_steps=N_STEPS, seed=1, dtype=np.float64, names=None):
    rng = np.random.default_rng(seed)
    names = SHAPES if names is None else names
    return [
        {name: rng.standard_normal(SHAPES[name]).astype(dtype) for name in names}
        for _ in range(n_steps)
    ]


def copy_params(params):
    return {name: array.copy() for name, array in params.items()}


def run(optimizer, params, grads_sequence, batch_size=5, start=0):
    """A miniature training loop: one update per batch, end-of-epoch hooks."""
    for step, grads in enumerate(grads_sequence, start=start):
        optimizer.update_params(params, grads)
        optimizer.iteration_ends((step + 1) * batch_size)


# Equivalence with scikit-learn's list-based optimizers


# scikit-learn's schedules ("cosine" is skrnn's own)
@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("nesterovs_momentum", [False, True])
def test_sgd_matches_sklearn(learning_rate, momentum, nesterovs_momentum):
    params = make_params()
    sk_params = [array.copy() for array in params.values()]
    kwargs = dict(learning_rate_init=0.05, momentum=momentum, power_t=0.3)
    opt = SGDOptimizer(
        params,
        learning_rate=learning_rate,
        nesterovs_momentum=nesterovs_momentum,
        **kwargs,
    )
    sk_opt = SkSGDOptimizer(
        sk_params, lr_schedule=learning_rate, nesterov=nesterovs_momentum, **kwargs
    )

    for step, grads in enumerate(make_grads_sequence()):
        opt.update_params(params, grads)
        sk_opt.update_params(sk_params, list(grads.values()))
        opt.iteration_ends(step * 10)
        sk_opt.iteration_ends(step * 10)
        if step % 2:
            assert opt.trigger_stopping("", False) == sk_opt.trigger_stopping("", False)
        assert opt.current_learning_rate == sk_opt.learning_rate
        for name, sk_param, sk_velocity in zip(
            params, sk_params, sk_opt.velocities, strict=True
        ):
            assert_allclose(params[name], sk_param, rtol=1e-12, atol=0)
            assert_allclose(opt.velocities[name], sk_velocity, rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(learning_rate_init=0.01, beta_1=0.5, beta_2=0.9, epsilon=1e-6),
    ],
)
def test_adam_matches_sklearn(kwargs):
    params = make_params()
    sk_params = [array.copy() for array in params.values()]
    opt = AdamOptimizer(params, **kwargs)
    sk_opt = SkAdamOptimizer(sk_params, **kwargs)

    for step, grads in enumerate(make_grads_sequence()):
        opt.update_params(params, grads)
        sk_opt.update_params(sk_params, list(grads.values()))
        opt.iteration_ends(step)
        sk_opt.iteration_ends(step)
        assert opt.t == sk_opt.t == step + 1
        assert_allclose(opt.current_learning_rate, sk_opt.learning_rate, rtol=1e-15)
        for name, sk_param, sk_m, sk_v in zip(
            params, sk_params, sk_opt.ms, sk_opt.vs, strict=True
        ):
            assert_allclose(params[name], sk_param, rtol=1e-12, atol=0)
            assert_allclose(opt.ms[name], sk_m, rtol=1e-12, atol=0)
            assert_allclose(opt.vs[name], sk_v, rtol=1e-12, atol=0)
    assert opt.trigger_stopping("", False) is True


# AdamW: Adam's step and a decoupled weight decay


def test_adamw_matches_the_reference_formula():
    # Loshchilov and Hutter's AdamW, worked out with Python floats: the
    # decayed weight w <- (1 - eta alpha) w - eta_t m / (sqrt(v) + eps), the
    # bias the same without the decay; m, v and eta_t are Adam's.
    lr, beta_1, beta_2, eps, alpha = 0.1, 0.9, 0.999, 1e-8, 0.2
    start = {"head.W_hy": [1.0, -2.0], "head.b_y": [0.5]}
    steps = [
        {"head.W_hy": [0.5, -1.0], "head.b_y": [0.25]},
        {"head.W_hy": [-0.2, 0.4], "head.b_y": [0.0]},
        {"head.W_hy": [1.5, 3.0], "head.b_y": [-1.0]},
    ]
    decay = {"head.W_hy": lr * alpha, "head.b_y": 0.0}
    params = {name: np.array(values) for name, values in start.items()}
    opt = AdamWOptimizer(
        params,
        learning_rate_init=lr,
        beta_1=beta_1,
        beta_2=beta_2,
        epsilon=eps,
        alpha=alpha,
        penalized=["head.W_hy"],
    )
    expected = {name: list(values) for name, values in start.items()}
    m = {name: [0.0] * len(values) for name, values in start.items()}
    v = {name: [0.0] * len(values) for name, values in start.items()}
    for t, grads in enumerate(steps, start=1):
        eta_t = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        for name, grad in grads.items():
            w, m_, v_ = expected[name], m[name], v[name]
            for i, g in enumerate(grad):
                m_[i] = beta_1 * m_[i] + (1 - beta_1) * g
                v_[i] = beta_2 * v_[i] + (1 - beta_2) * g * g
                w[i] = (1 - decay[name]) * w[i] - eta_t * m_[i] / (
                    math.sqrt(v_[i]) + eps
                )
        opt.update_params(params, {name: np.array(g) for name, g in grads.items()})
        for name, values in expected.items():
            assert_allclose(params[name], values, rtol=1e-14, atol=0, err_msg=name)
        if t == 1:
            # By hand: Adam's first step is eta * sign(g) (but for eps), so
            # W = 0.98 * [1, -2] - 0.1 * [1, -1] and b = 0.5 - 0.1.
            assert_allclose(params["head.W_hy"], [0.88, -1.86], atol=1e-6)
            assert_allclose(params["head.b_y"], [0.4], atol=1e-6)


def test_adamw_without_decay_is_adam():
    grads_sequence = make_grads_sequence()
    params, params_adam = make_params(), make_params()
    adamw = AdamWOptimizer(params, learning_rate_init=0.01, alpha=0.0)
    adam = AdamOptimizer(params_adam, learning_rate_init=0.01)
    run(adamw, params, grads_sequence)
    run(adam, params_adam, grads_sequence)
    for name in params:
        assert_array_equal(params[name], params_adam[name])


def test_adamw_decays_the_penalized_parameters_it_updates_and_no_others():
    params = make_params()
    params["frozen.W"] = np.ones((3, 3))
    before = copy_params(params)
    penalized = ["layer0.fwd.W_hh", "frozen.W"]
    opt = AdamWOptimizer(params, learning_rate_init=0.1, alpha=0.5, penalized=penalized)
    zeros = {name: np.zeros(shape) for name, shape in SHAPES.items()}
    for _ in range(3):
        opt.update_params(params, zeros)
    # Zero gradients leave Adam's step at 0: only the decay moves a weight.
    assert_allclose(params["layer0.fwd.W_hh"], before["layer0.fwd.W_hh"] * 0.95**3)
    for name in ["embed.E", "head.b_y", "frozen.W"]:
        assert_array_equal(params[name], before[name])


def test_adamw_refuses_a_decay_of_a_whole_weight_per_step():
    with pytest.raises(ValueError, match=r"1 - learning_rate_init \* alpha"):
        AdamWOptimizer(make_params(), learning_rate_init=0.1, alpha=10.0)


@pytest.mark.parametrize("cls", [AdamOptimizer, AdamWOptimizer])
def test_an_epsilon_that_rounds_to_zero_is_named(cls):
    # Regression: Adam divided 0 by 0, and the divergence was blamed on the
    # learning rate.
    with pytest.raises(ValueError, match="epsilon=1e-300 rounds to 0 in float32"):
        cls(make_params(dtype=np.float32), epsilon=1e-300)
    assert cls(make_params(), epsilon=1e-300).epsilon == 1e-300
    assert cls(make_params(dtype=np.float32), epsilon=1e-44).epsilon == 1e-44


# Learning-rate schedules and stopping


def test_invscaling_formula():
    opt = SGDOptimizer(
        make_params(), learning_rate_init=0.2, learning_rate="invscaling", power_t=0.25
    )
    assert opt.current_learning_rate == 0.2
    for time_step in [0, 1, 10, 1000]:
        opt.iteration_ends(time_step)
        assert opt.current_learning_rate == pytest.approx(0.2 / (time_step + 1) ** 0.25)


def test_invscaling_overflow_names_power_t():
    # Regression: a bare OverflowError ("Numerical result out of range").
    opt = SGDOptimizer(make_params(), learning_rate="invscaling", power_t=200.0)
    opt.iteration_ends(10)
    with pytest.raises(ValueError, match=r"power_t=200\.0 after t=40 samples"):
        opt.iteration_ends(40)


@pytest.mark.parametrize("learning_rate", ["constant", "adaptive"])
def test_iteration_ends_keeps_other_schedules_constant(learning_rate):
    opt = SGDOptimizer(
        make_params(), learning_rate_init=0.2, learning_rate=learning_rate
    )
    opt.iteration_ends(100)
    assert opt.current_learning_rate == 0.2


def test_adaptive_divides_by_5_then_stops(capsys):
    opt = SGDOptimizer(make_params(), learning_rate_init=1e-3, learning_rate="adaptive")
    expected = 1e-3
    n_divisions = 0
    while expected > 1e-6:
        assert opt.trigger_stopping("No improvement.", verbose=True) is False
        expected /= 5.0
        n_divisions += 1
        assert opt.current_learning_rate == pytest.approx(expected)
    # 1e-3 / 5**4 = 1.6e-6 > 1e-6 and 1e-3 / 5**5 = 3.2e-7 <= 1e-6.
    assert n_divisions == 5
    assert opt.trigger_stopping("No improvement.", verbose=True) is True
    assert opt.current_learning_rate == pytest.approx(expected)

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "No improvement. Setting learning rate to 0.000200"
    assert lines[-1] == "No improvement. Learning rate too small. Stopping."


@pytest.mark.parametrize("learning_rate", ["constant", "invscaling"])
def test_other_schedules_stop_at_once(learning_rate, capsys):
    opt = SGDOptimizer(make_params(), learning_rate=learning_rate)
    assert opt.trigger_stopping("Done.", verbose=True) is True
    assert opt.current_learning_rate == 0.1
    assert capsys.readouterr().out == "Done. Stopping.\n"
    assert opt.trigger_stopping("Done.", verbose=False) is True
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("cls", [SGDOptimizer, AdamOptimizer, AdamWOptimizer])
def test_unknown_learning_rate_schedule_raises(cls):
    with pytest.raises(ValueError, match="learning_rate must be one of"):
        cls(make_params(), learning_rate="linear")


# The cosine schedule


def torch_cosine(learning_rate_init, step, n_steps):
    """PyTorch's ``CosineAnnealingLR`` with ``eta_min=0``, in closed form."""
    return 0 + (learning_rate_init - 0) * (1 + math.cos(math.pi * step / n_steps)) / 2


def test_cosine_learning_rate_formula():
    rates = [cosine_learning_rate(0.01, k, 8) for k in range(12)]
    assert rates[0] == 0.01
    assert_allclose(rates[:9], [torch_cosine(0.01, k, 8) for k in range(9)])
    assert rates[4] == pytest.approx(0.005)
    assert rates[8:] == [0.0] * 4  # 0 from the end of the decay on
    assert all(a > b for a, b in itertools.pairwise(rates[:9]))


def steps_with_epochs(optimizer, params, n_epochs, n_steps):
    """Rates of ``n_epochs`` epochs of ``n_steps`` updates, epoch ends marked."""
    rates = []
    for grads in make_grads_sequence(n_steps=n_epochs * n_steps):
        optimizer.update_params(params, grads)
        rates.append(optimizer.current_learning_rate)
        if len(rates) % n_steps == 0:
            optimizer.iteration_ends(len(rates))
    return rates


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_cosine_takes_the_rate_of_each_step(momentum):
    params = make_params()
    opt = SGDOptimizer(
        params, learning_rate_init=0.05, learning_rate="cosine", momentum=momentum
    )
    opt.plan_epochs(3, 4, restart=True)
    rates = steps_with_epochs(opt, params, 3, 4)
    assert rates == [cosine_learning_rate(0.05, k, 12) for k in range(12)]
    assert_allclose(rates, [torch_cosine(0.05, k, 12) for k in range(12)])
    assert (opt.schedule_epoch, opt.schedule_step) == (3, 0)
    # the same steps as SGD given each rate by hand
    reference_params = make_params()
    reference = SGDOptimizer(reference_params, momentum=momentum)
    for rate, grads in zip(rates, make_grads_sequence(n_steps=12), strict=True):
        reference.current_learning_rate = rate
        reference.update_params(reference_params, grads)
    for name in params:
        assert_array_equal(params[name], reference_params[name])


@pytest.mark.parametrize("cls", [AdamOptimizer, AdamWOptimizer])
def test_adam_cosine_scales_the_bias_corrected_rate(cls):
    params = make_params()
    opt = cls(params, learning_rate_init=0.01, learning_rate="cosine")
    opt.plan_epochs(2, 3, restart=True)
    rates = steps_with_epochs(opt, params, 2, 3)
    expected = [
        cosine_learning_rate(0.01, t - 1, 6)
        * math.sqrt(1 - opt.beta_2**t)
        / (1 - opt.beta_1**t)
        for t in range(1, 7)
    ]
    assert rates == expected


def test_adamw_cosine_scales_the_decay_too():
    params = {"head.W_hy": np.array([1.0, -2.0])}
    opt = AdamWOptimizer(
        params, learning_rate_init=0.1, learning_rate="cosine", alpha=0.5
    )
    opt.plan_epochs(1, 4, restart=True)
    zero = {"head.W_hy": np.zeros(2)}
    factors = []
    for _ in range(4):
        before = params["head.W_hy"].copy()
        opt.update_params(params, zero)
        factors.append(params["head.W_hy"][0] / before[0])
    assert_allclose(
        factors, [1 - 0.5 * cosine_learning_rate(0.1, k, 4) for k in range(4)]
    )


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_the_constant_schedule_keeps_its_rate_bit_for_bit(solver):
    params = make_params()
    opt = OPTIMIZERS[solver](params, learning_rate_init=0.01)
    opt.plan_epochs(2, 3, restart=True)  # ignored
    rates = steps_with_epochs(opt, params, 2, 3)
    if solver == "sgd":
        assert rates == [0.01] * 6
    else:
        assert rates == [
            0.01 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t) for t in range(1, 7)
        ]
    assert "schedule_epoch" not in opt.get_state()


def test_cosine_plan_restarts_or_goes_on():
    params = make_params()
    opt = SGDOptimizer(params, learning_rate_init=0.1, learning_rate="cosine")
    opt.plan_epochs(4, 2, restart=True)
    steps_with_epochs(opt, params, 1, 2)
    # partial_fit: one more epoch of the same schedule, here of 3 steps
    opt.plan_epochs(4, 3, restart=False)
    rates = steps_with_epochs(opt, params, 1, 3)
    assert rates == [cosine_learning_rate(0.1, 3 + k, 12) for k in range(3)]
    # after the schedule's epochs the rate stays 0
    opt.plan_epochs(2, 3, restart=False)
    assert steps_with_epochs(opt, params, 1, 3) == [0.0] * 3
    # a fit runs the schedule again
    opt.plan_epochs(2, 3, restart=True)
    assert steps_with_epochs(opt, params, 1, 1)[0] == 0.1


def test_cosine_needs_a_plan():
    params = make_params()
    opt = AdamOptimizer(params, learning_rate="cosine")
    with pytest.raises(RuntimeError, match="plan_epochs"):
        opt.update_params(params, make_grads_sequence(n_steps=1)[0])


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw"])
def test_cosine_state_round_trip_continues_identically(solver):
    grads_sequence = make_grads_sequence(n_steps=7)
    params = make_params()
    opt = OPTIMIZERS[solver](params, learning_rate="cosine")
    opt.plan_epochs(3, 3, restart=True)
    for step, grads in enumerate(grads_sequence[:4]):  # mid-epoch
        opt.update_params(params, grads)
        if step == 2:
            opt.iteration_ends(3)
    state = opt.get_state()
    assert (state["schedule_epoch"], state["schedule_step"]) == (1, 1)
    resumed_params = copy_params(params)
    resumed = OPTIMIZERS[solver](resumed_params, learning_rate="cosine")
    resumed.set_state(state)
    resumed.plan_epochs(3, 3, restart=False)
    for grads in grads_sequence[4:]:
        opt.update_params(params, grads)
        resumed.update_params(resumed_params, grads)
        assert resumed.current_learning_rate == opt.current_learning_rate
    for name in params:
        assert_array_equal(resumed_params[name], params[name])


# The registry, by the estimator's names


def test_registry():
    assert set(OPTIMIZERS) == BUILTIN_OPTIMIZERS == {"sgd", "adam", "adamw"}
    assert OPTIMIZERS["sgd"] is SGDOptimizer
    assert OPTIMIZERS["adam"] is AdamOptimizer
    assert OPTIMIZERS["adamw"] is AdamWOptimizer
    with pytest.raises(TypeError):
        OPTIMIZERS["sign"] = SGDOptimizer  # read only: register_optimizer adds


def test_the_hyperparameters_an_optimizer_may_read_are_the_estimators():
    assert {
        "learning_rate_init",
        "learning_rate",
        "power_t",
        "momentum",
        "nesterovs_momentum",
        "beta_1",
        "beta_2",
        "epsilon",
        "alpha",
    } == ESTIMATOR_HYPERPARAMETERS
    for estimator in (RNNTextClassifier, RNNTextRegressor):
        assert set(estimator().get_params()) >= ESTIMATOR_HYPERPARAMETERS


class SignSGD(BaseOptimizer):
    """Steps of the gradient's sign, for the registration tests."""

    def __init__(self, params, learning_rate_init=0.1, learning_rate="constant"):
        super().__init__(learning_rate_init, learning_rate)

    def _step(self, grad, *, scratch):
        return np.multiply(np.sign(grad), -self.current_learning_rate, out=scratch[0])


def test_register_and_unregister_optimizer():
    register_optimizer("sign", SignSGD)
    try:
        assert OPTIMIZERS["sign"] is SignSGD
        (constraint,) = RNNTextClassifier._parameter_constraints["solver"]
        assert constraint.is_satisfied_by("sign")
        params = {"w": np.array([2.0, -3.0])}
        estimator = RNNTextClassifier(solver="sign", learning_rate="constant")
        opt = build_optimizer(params, estimator.get_params())
        opt.update_params(params, {"w": np.array([0.5, -0.1])})
        assert_array_equal(params["w"], [1.99, -2.99])
    finally:
        unregister_optimizer("sign")
    assert "sign" not in OPTIMIZERS
    assert not constraint.is_satisfied_by("sign")


class NeedsRho(SignSGD):
    def __init__(self, params, rho, learning_rate_init=0.1, learning_rate="constant"):
        super().__init__(params, learning_rate_init, learning_rate)


class Steppless(BaseOptimizer):
    def __init__(self, params, learning_rate_init=0.1, learning_rate="constant"):
        super().__init__(learning_rate_init, learning_rate)


@pytest.mark.parametrize(
    ("name", "optimizer", "error", "message"),
    [
        ("", SignSGD, TypeError, "non-empty str"),
        (None, SignSGD, TypeError, "non-empty str"),
        ("sign", SignSGD(params={}), TypeError, "subclass of skrnn.BaseOptimizer"),
        ("sign", dict, TypeError, "subclass of skrnn.BaseOptimizer"),
        ("sign", Steppless, TypeError, "does not implement _step"),
        ("adam", SignSGD, ValueError, "already registered as 'adam'"),
        (
            "sign",
            type("ReadsRho", (SignSGD,), {"hyperparameters": ("rho",)}),
            ValueError,
            r"names \['rho'\], which the estimators do not have",
        ),
        (
            "sign",
            type("ReadsMomentum", (SignSGD,), {"hyperparameters": ("momentum",)}),
            ValueError,
            r"constructor must take .* \['momentum'\] by name",
        ),
        ("sign", NeedsRho, ValueError, "give its other arguments defaults"),
        (
            "sign",
            type("Decays", (SignSGD,), {"decoupled_weight_decay": True}),
            ValueError,
            "'penalized'",
        ),
    ],
)
def test_register_optimizer_refuses_what_cannot_work(name, optimizer, error, message):
    # Regression: an optimizer added to the registry that read a parameter
    # the estimator lacks failed with KeyError at the first fit.
    with pytest.raises(error, match=message):
        register_optimizer(name, optimizer)
    assert set(OPTIMIZERS) == BUILTIN_OPTIMIZERS


@pytest.mark.parametrize(
    ("name", "message"), [("adam", "built-in"), ("sign", "No optimizer")]
)
def test_unregister_optimizer_refuses_builtins_and_unknown_names(name, message):
    with pytest.raises(ValueError, match=message):
        unregister_optimizer(name)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_hyperparameters_are_the_constructors_and_the_estimators(name):
    cls = OPTIMIZERS[name]
    arguments = list(inspect.signature(cls).parameters)
    assert arguments[0] == "params"
    assert arguments[1 : 1 + len(cls.hyperparameters)] == list(cls.hyperparameters)
    # Anything after them is not a setting of the estimator.
    assert arguments[1 + len(cls.hyperparameters) :] == (
        ["penalized"] if cls.decoupled_weight_decay else []
    )
    assert set(cls.hyperparameters) <= set(RNNTextClassifier().get_params())


def test_the_estimators_solver_constraint_reads_the_registry():
    (constraint,) = RNNTextClassifier._parameter_constraints["solver"]
    assert constraint.options == set(OPTIMIZERS)


ESTIMATOR_SETTINGS = {
    "sgd": dict(
        learning_rate_init=0.02,
        learning_rate="invscaling",
        power_t=0.25,
        momentum=0.5,
        nesterovs_momentum=False,
    ),
    "adam": dict(
        learning_rate_init=0.02,
        learning_rate="cosine",
        beta_1=0.8,
        beta_2=0.95,
        epsilon=1e-6,
    ),
    "adamw": dict(
        learning_rate_init=0.02,
        learning_rate="cosine",
        beta_1=0.8,
        beta_2=0.95,
        epsilon=1e-6,
        alpha=0.3,
    ),
}


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_build_optimizer_takes_the_estimators_parameters(solver):
    settings = ESTIMATOR_SETTINGS[solver]
    estimator = RNNTextClassifier(solver=solver, **settings)
    opt = build_optimizer(make_params(), estimator.get_params())
    assert type(opt) is OPTIMIZERS[solver]
    assert opt.get_hyperparameters() == settings
    # The optimizer made from its own hyperparameters is its twin.
    twin = build_optimizer(
        make_params(), {"solver": solver, **opt.get_hyperparameters()}
    )
    assert twin.get_hyperparameters() == opt.get_hyperparameters()


def test_build_optimizer_refuses_an_unknown_solver():
    with pytest.raises(ValueError, match=r"solver must be one of \['adam', ") as info:
        build_optimizer(make_params(), {"solver": "lbfgs"})
    assert "skrnn.register_optimizer" in str(info.value)


def test_build_optimizer_passes_the_penalized_names_to_decoupled_decay_only():
    params = make_params()
    adamw_settings = {"solver": "adamw", **ESTIMATOR_SETTINGS["adamw"]}
    adamw = build_optimizer(params, adamw_settings, penalized=["layer0.fwd.W_hh"])
    assert adamw.penalized == {"layer0.fwd.W_hh"}
    assert build_optimizer(params, adamw_settings).penalized == set(SHAPES)
    adam_settings = {"solver": "adam", **ESTIMATOR_SETTINGS["adam"]}
    adam = build_optimizer(params, adam_settings, penalized=["layer0.fwd.W_hh"])
    assert not hasattr(adam, "penalized")


# In-place updates, dtypes, frozen parameters


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_updates_in_place(name):
    buffer = np.zeros(sum(np.prod(shape) for shape in SHAPES.values()))
    params, start = {}, 0
    for key, shape in SHAPES.items():
        size = int(np.prod(shape))
        params[key] = buffer[start : start + size].reshape(shape)
        start += size
    arrays = dict(params)
    opt = OPTIMIZERS[name](params)
    run(opt, params, make_grads_sequence(n_steps=2))
    for key in SHAPES:
        assert params[key] is arrays[key]
    # The parameters are views into one buffer: updating in place reaches it.
    assert np.all(buffer != 0)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("sgd", dict(learning_rate="invscaling", nesterovs_momentum=True)),
        ("sgd", dict(nesterovs_momentum=False, momentum=np.float64(0.9))),
        ("sgd", dict(learning_rate_init=np.float64(0.1), power_t=np.float64(0.5))),
        ("adam", {}),
        ("adam", dict(beta_1=np.float64(0.9), epsilon=np.float64(1e-8))),
        ("adamw", dict(alpha=np.float64(0.5), learning_rate_init=np.float64(0.01))),
    ],
)
def test_float32_stays_float32(name, kwargs):
    params = make_params(dtype=np.float32)
    params64 = {key: array.astype(np.float64) for key, array in params.items()}
    opt = OPTIMIZERS[name](params, **kwargs)
    opt64 = OPTIMIZERS[name](params64, **kwargs)
    grads_sequence = make_grads_sequence(dtype=np.float32)
    run(opt, params, grads_sequence)
    run(opt64, params64, grads_sequence)

    for key, array in params.items():
        assert array.dtype == np.float32
        assert_allclose(array, params64[key], rtol=1e-4, atol=1e-5)
    for value in opt.get_state().values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32
    assert isinstance(opt.current_learning_rate, float)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_only_keys_in_grads_are_updated(name):
    params = make_params()
    params["frozen.W"] = np.ones((3, 3))  # extra key, unknown to the optimizer
    trainable = ["embed.E", "head.b_y"]
    opt = OPTIMIZERS[name]({key: params[key] for key in SHAPES})
    before = copy_params(params)
    run(opt, params, make_grads_sequence(names=trainable))

    for key in params:
        if key in trainable:
            assert not np.array_equal(params[key], before[key])
        else:
            assert_array_equal(params[key], before[key])
    # The state of a parameter left out of the gradients stays at zero.
    state = opt.get_state()
    for key, value in state.items():
        if key.endswith("layer0.fwd.W_hh"):
            assert_array_equal(value, 0)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("sgd", {"momentum": 0.9}),
        ("sgd", {"momentum": 0.9, "nesterovs_momentum": True}),
        ("adam", {}),
        ("adamw", {"alpha": 0.5}),
    ],
)
def test_row_gradients_step_only_their_rows(name, kwargs):
    # The lazy update of lookup tables: the rows a batch read, and their
    # state, take the step the dense optimizer takes on those rows alone; the
    # other rows, and their state, do not move.
    params = make_params()
    rows = np.array([1, 4, 6])
    others = np.setdiff1d(np.arange(SHAPES["embed.E"][0]), rows)
    lazy = OPTIMIZERS[name](params, **kwargs)
    alone = {"E": params["embed.E"][rows].copy()}
    dense = OPTIMIZERS[name](alone, **kwargs)
    before = params["embed.E"].copy()
    for grads in make_grads_sequence(names=["embed.E"]):
        grad = grads["embed.E"][rows]
        n_vocab = SHAPES["embed.E"][0]
        lazy.update_params(params, {"embed.E": RowGrad(rows, grad.copy(), n_vocab)})
        dense.update_params(alone, {"E": grad.copy()})
    assert_allclose(params["embed.E"][rows], alone["E"], rtol=1e-12)
    assert_array_equal(params["embed.E"][others], before[others])
    dense_state = dense.get_state()
    buffers = [key for key in lazy.get_state() if key.endswith(".embed.E")]
    assert buffers
    for key, value in lazy.get_state().items():
        if key in buffers:
            assert_array_equal(value[others], 0)
            expected = dense_state[key.removesuffix(".embed.E") + ".E"]
            assert_allclose(value[rows], expected, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_gradient_without_state_raises(name):
    params = make_params()
    opt = OPTIMIZERS[name]({"embed.E": params["embed.E"]})
    with pytest.raises(KeyError, match=r"'head\.b_y'"):
        opt.update_params(params, {"head.b_y": np.ones(2)})


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_gradient_shape_mismatch_raises(name):
    params = make_params()
    opt = OPTIMIZERS[name](params)
    with pytest.raises(ValueError, match="shape"):
        opt.update_params(params, {"head.b_y": np.ones(1)})


def test_adam_step_counter_advances_once_per_update():
    params = make_params()
    opt = AdamOptimizer(params)
    opt.update_params(params, {"embed.E": np.ones(SHAPES["embed.E"])})
    opt.update_params(params, {})
    assert opt.t == 2


# State read-out, restoring and pickling

OPTIMIZER_CASES = [
    ("sgd", dict(learning_rate="adaptive", nesterovs_momentum=True)),
    ("sgd", dict(learning_rate="invscaling", nesterovs_momentum=False)),
    ("adam", dict(learning_rate_init=0.01)),
    ("adamw", dict(learning_rate_init=0.01, alpha=0.5)),
]


@pytest.mark.parametrize("name, kwargs", OPTIMIZER_CASES)
def test_get_state_set_state_continues_identically(name, kwargs):
    grads_sequence = make_grads_sequence(n_steps=8)
    params = make_params()
    opt = OPTIMIZERS[name](params, **kwargs)
    run(opt, params, grads_sequence[:4])
    opt.trigger_stopping("", False)  # moves the adaptive learning rate

    state = opt.get_state()
    for key, value in state.items():
        assert isinstance(value, np.ndarray | float | int), key
        if not isinstance(value, np.ndarray):
            assert type(value) in (float, int), key

    resumed_params = copy_params(params)
    resumed = OPTIMIZERS[name](resumed_params, **kwargs)
    resumed.set_state(state)
    assert resumed.get_state().keys() == state.keys()

    run(opt, params, grads_sequence[4:], start=4)
    run(resumed, resumed_params, grads_sequence[4:], start=4)
    assert opt.current_learning_rate == resumed.current_learning_rate
    for key in params:
        assert_array_equal(resumed_params[key], params[key])


def test_state_keys_and_copies():
    params = make_params()
    opt = AdamOptimizer(params)
    state = opt.get_state()
    expected = {"current_learning_rate", "t"}
    expected |= {f"ms.{key}" for key in SHAPES} | {f"vs.{key}" for key in SHAPES}
    assert set(state) == expected
    assert set(SGDOptimizer(params).get_state()) == {"current_learning_rate"} | {
        f"velocities.{key}" for key in SHAPES
    }
    # A snapshot does not move with the optimizer.
    run(opt, params, make_grads_sequence(n_steps=1))
    assert_array_equal(state["ms.embed.E"], 0)
    assert state["t"] == 0


def test_set_state_keeps_buffers_and_dtype():
    params = make_params(dtype=np.float32)
    opt = SGDOptimizer(params)
    velocity = opt.velocities["embed.E"]
    state = opt.get_state()
    state["velocities.embed.E"] = np.full(SHAPES["embed.E"], 0.5)  # float64
    opt.set_state(state)
    assert opt.velocities["embed.E"] is velocity
    assert velocity.dtype == np.float32
    assert_array_equal(velocity, 0.5)


def test_set_state_rejects_mismatches_without_changes():
    params = make_params()
    opt = AdamOptimizer(params)
    good = opt.get_state()

    missing = dict(good)
    del missing["vs.embed.E"]
    with pytest.raises(ValueError, match=r"missing keys \['vs.embed.E'\]"):
        opt.set_state(missing)

    unexpected = {**good, "ms.other": np.zeros(2)}
    with pytest.raises(ValueError, match=r"unexpected keys \['ms.other'\]"):
        opt.set_state(unexpected)

    wrong_shape = {**good, "t": 3, "ms.embed.E": np.ones(1), "vs.embed.E": np.ones(1)}
    wrong_shape["ms.head.b_y"] = np.ones(2)
    with pytest.raises(ValueError, match="shape"):
        opt.set_state(wrong_shape)
    assert opt.t == 0
    assert_array_equal(opt.ms["head.b_y"], 0)


@pytest.mark.parametrize("name, kwargs", OPTIMIZER_CASES)
def test_pickle_round_trip(name, kwargs):
    grads_sequence = make_grads_sequence(n_steps=6)
    params = make_params()
    opt = OPTIMIZERS[name](params, **kwargs)
    run(opt, params, grads_sequence[:3])

    restored = pickle.loads(pickle.dumps(opt))
    restored_params = copy_params(params)
    original_state, restored_state = opt.get_state(), restored.get_state()
    assert original_state.keys() == restored_state.keys()
    for key, value in original_state.items():
        assert_array_equal(restored_state[key], value)

    run(opt, params, grads_sequence[3:], start=3)
    run(restored, restored_params, grads_sequence[3:], start=3)
    for key in params:
        assert_array_equal(restored_params[key], params[key])


@pytest.mark.parametrize("name, kwargs", OPTIMIZER_CASES)
def test_parameters_stepped_together_equal_each_stepped_alone(name, kwargs):
    # The dense parameters take one step over flat arrays: to the bit the
    # step each would take alone, whichever subset a batch updates, in
    # float32 and float64 side by side, with a lookup table among them.
    params = make_params(dtype=np.float32)
    params["head.W_hy"] = np.ones((3, 2))
    kwargs = {**kwargs, "epsilon": 1e-6} if name != "sgd" else kwargs
    together = OPTIMIZERS[name](params, **kwargs)
    alone = {
        key: OPTIMIZERS[name]({key: value.copy()}, **kwargs)
        for key, value in params.items()
    }
    alone_params = {key: {key: value.copy()} for key, value in params.items()}
    rng = np.random.default_rng(3)
    for step in range(6):
        names = list(params) if step % 3 else ["layer0.fwd.W_hh", "head.W_hy"]
        grads = {
            key: rng.standard_normal(params[key].shape).astype(params[key].dtype)
            for key in names
        }
        grads["embed.E"] = RowGrad(
            np.array([1, 4]), rng.standard_normal((2, 3)).astype(np.float32), 7
        )
        together.update_params(params, grads)
        for key, grad in grads.items():
            if isinstance(alone[key], AdamOptimizer):
                alone[key].t = together.t - 1  # Adam's step size follows t
            alone[key].update_params(alone_params[key], {key: grad})
    for key, value in params.items():
        assert_array_equal(value, alone_params[key][key])
        state = together.get_state()
        for buffer_key, buffer in alone[key].get_state().items():
            if isinstance(buffer, np.ndarray):
                assert_array_equal(state[buffer_key], buffer)


@pytest.mark.parametrize("name, kwargs", OPTIMIZER_CASES)
def test_a_deep_copy_continues_identically_and_apart(name, kwargs):
    # As a warm start thaws a fitted model's optimizer: the copy's state is
    # its own, though the original's lived in flat arrays.
    grads_sequence = make_grads_sequence(n_steps=6)
    params = make_params()
    opt = OPTIMIZERS[name](params, **kwargs)
    run(opt, params, grads_sequence[:3])
    twin, twin_params = copy.deepcopy(opt), copy_params(params)
    before = opt.get_state()
    run(twin, twin_params, grads_sequence[3:], start=3)
    for key, value in opt.get_state().items():
        assert_array_equal(value, before[key])
    run(opt, params, grads_sequence[3:], start=3)
    for key in params:
        assert_array_equal(twin_params[key], params[key])
    twin_state = twin.get_state()
    for key, value in opt.get_state().items():
        assert_array_equal(twin_state[key], value)


@pytest.mark.parametrize("name, kwargs", OPTIMIZER_CASES)
def test_set_state_after_steps_sets_the_state_the_steps_use(name, kwargs):
    grads_sequence = make_grads_sequence(n_steps=6)
    params, fresh_params = make_params(), make_params()
    opt = OPTIMIZERS[name](params, **kwargs)
    fresh = OPTIMIZERS[name](fresh_params, **kwargs)
    run(opt, params, grads_sequence[:3])
    opt.set_state(fresh.get_state())
    params.update(copy_params(fresh_params))
    run(opt, params, grads_sequence[3:])
    run(fresh, fresh_params, grads_sequence[3:])
    for key in params:
        assert_array_equal(params[key], fresh_params[key])


# Through the estimator

X = ["good film", "bad film", "a good story", "a bad story", "good", "bad"]
Y = ["pos", "neg"] * 3
SMALL = dict(hidden_size=4, embedding_dim=4, random_state=0, ngram_range=None)


def test_the_estimators_invscaling_overflow_names_power_t():
    clf = RNNTextClassifier(
        **SMALL, solver="sgd", learning_rate="invscaling", power_t=500.0, max_iter=2
    )
    with pytest.raises(ValueError, match=r"power_t=500\.0 after t="):
        clf.fit(X, Y)
    assert not hasattr(clf, "weights_")


def test_the_estimators_epsilon_in_float32_is_named_not_the_learning_rate():
    clf = RNNTextClassifier(**SMALL, epsilon=1e-300, max_iter=2)
    with pytest.raises(ValueError, match="epsilon=1e-300") as excinfo:
        clf.fit(X, Y)
    assert "learning_rate" not in str(excinfo.value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_params(dtype=np.float64).fit(X, Y)
    assert np.isfinite(clf.loss_curve_).all()


def _one_step(solver, alpha, base):
    """``base`` after one more full-batch step with a new optimizer."""
    clf = copy.deepcopy(base).set_params(solver=solver, alpha=alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, Y)


def test_the_estimators_adamw_decays_the_penalized_weights_outside_the_gradient():
    # From the same weights, one step of AdamW is Adam's step (the gradient
    # holds no L2 term) plus -lr * alpha * w on the weights alpha penalises.
    base = RNNTextClassifier(
        **SMALL,
        solver="sgd",
        batch_size=len(X),
        shuffle=False,
        dropout=0.0,
        input_dropout=0.0,
        dtype=np.float64,
        max_iter=1,
        warm_start=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        base.fit(X, Y)
    lr, alpha = base.learning_rate_init, 0.5
    adam, adamw = _one_step("adam", 0.0, base), _one_step("adamw", alpha, base)
    assert isinstance(adamw._fitted.optimizer, AdamWOptimizer)
    assert adamw._fitted.optimizer.alpha == alpha
    penalized = adamw._fitted.optimizer.penalized
    assert {"head.W_hy", "layer0.fwd.W_hh"} <= penalized
    assert not penalized & {"embed.E", "head.b_y", "layer0.fwd.b_h"}
    for name, w0 in base.weights_.items():
        expected = adam.weights_[name] - (lr * alpha * w0 if name in penalized else 0)
        assert_allclose(adamw.weights_[name], expected, rtol=1e-12, err_msg=name)
    # The loss is the cross-entropy alone, as Adam's without alpha.
    assert adamw.loss_curve_ == adam.loss_curve_


def test_the_estimators_adamw_without_alpha_fits_as_adam():
    fits = {}
    for solver in ["adam", "adamw"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits[solver] = RNNTextClassifier(**SMALL, solver=solver, max_iter=3).fit(
                X, Y
            )
    for name, weight in fits["adam"].weights_.items():
        assert_array_equal(fits["adamw"].weights_[name], weight)


def test_a_warm_start_with_a_new_alpha_gives_adamw_a_new_decay():
    clf = RNNTextClassifier(
        **SMALL, solver="adamw", alpha=0.1, learning_rate="constant", max_iter=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, Y)
        clf.set_params(warm_start=True, alpha=0.2).partial_fit(X, Y)
        assert clf._fitted.optimizer.alpha == 0.1  # partial_fit keeps its optimizer
        clf.fit(X, Y)
    assert clf._fitted.optimizer.alpha == 0.2


# An optimizer of one's own: one class, registered (see test_custom_optimizer.py)


class RMSpropOptimizer(BaseOptimizer):
    """RMSprop, with the estimator's ``beta_2`` as its decay rate.

    It counts its steps modulo 2 in a scalar of its own, as Lookahead's inner
    counter does, which is 0 after an even number of steps.
    """

    hyperparameters = ("learning_rate_init", "learning_rate", "beta_2", "epsilon")
    schedules = ("constant", "cosine")
    _buffer_names = ("vs",)
    _scalar_names = ("current_learning_rate", "parity")

    def __init__(
        self, params, learning_rate_init, learning_rate, beta_2, epsilon
    ) -> None:
        super().__init__(learning_rate_init, learning_rate)
        self.beta_2, self.epsilon, self.parity = beta_2, epsilon, 0
        self.vs = {name: np.zeros_like(p) for name, p in params.items()}

    def _begin_step(self):
        super()._begin_step()
        self.parity = (self.parity + 1) % 2

    def _step(self, grad, v, *, scratch):
        v *= self.beta_2
        v += np.square(grad, out=scratch[0]) * (1 - self.beta_2)
        update = np.multiply(grad, -self.current_learning_rate, out=scratch[0])
        update /= np.sqrt(v, out=scratch[1]) + self.epsilon
        return update


@pytest.fixture
def rmsprop():
    # added after the estimator's module was imported, as a user adds it
    register_optimizer("rmsprop", RMSpropOptimizer)
    yield "rmsprop"
    unregister_optimizer("rmsprop")


def _save_and_load(clf):
    file = io.BytesIO()
    skrnn.save(clf, file)
    file.seek(0)
    return skrnn.load(file)


def test_an_optimizer_added_to_the_registry_fits_saves_loads_and_continues(rmsprop):
    # Regression: the estimator's solver constraint was a copy of the keys
    # taken at import, so that an optimizer added later was refused; and a
    # scalar of its own that was 0 (here, after two steps) made skrnn.load
    # call the file corrupt.
    clf = RNNTextClassifier(
        **SMALL, solver=rmsprop, learning_rate="constant", batch_size=3, max_iter=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, Y)
        assert isinstance(clf._fitted.optimizer, RMSpropOptimizer)
        assert clf._fitted.optimizer.parity == 0
        loaded = _save_and_load(clf)
        assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
        assert loaded._fitted.optimizer.get_state().keys() == {
            "current_learning_rate",
            "parity",
            *(f"vs.{name}" for name in clf.weights_),
        }
        loaded.partial_fit(X, Y)
        clf.partial_fit(X, Y)
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_an_optimizer_takes_the_schedules_it_applies():
    # Regression: BaseOptimizer declared the four schedules, so that one
    # derived from it that applied two (constant and cosine) was recorded as
    # running "invscaling", and a warm start from it to "constant" made a new
    # optimizer, its state lost.
    class Plain(BaseOptimizer):
        pass

    assert Plain.schedule_taken("invscaling") == "constant"
    assert Plain.schedule_taken("adaptive") == "constant"
    assert Plain.schedule_taken("cosine") == "cosine"
    assert SGDOptimizer.schedule_taken("invscaling") == "invscaling"
    assert AdamOptimizer.schedule_taken("invscaling") == "constant"


def test_an_unknown_solver_is_said_to_be_known_per_process():
    clf = RNNTextClassifier(**SMALL, solver="rmsprop", max_iter=1)
    with pytest.raises(InvalidParameterError, match="in this process"):
        clf.fit(X, Y)


# Gradient clipping


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_by_value(dtype):
    grads = make_grads_sequence(n_steps=1, dtype=dtype)[0]
    arrays = dict(grads)
    expected = {key: np.clip(array, -0.5, 0.5) for key, array in grads.items()}
    assert clip_by_value(grads, 0.5) is None
    for key, array in grads.items():
        assert array is arrays[key]
        assert array.dtype == dtype
        assert_array_equal(array, expected[key])


def test_clip_by_value_rejects_negative():
    with pytest.raises(ValueError, match="clip_value"):
        clip_by_value({"a": np.ones(2)}, -1.0)


def test_global_norm():
    grads = make_grads_sequence(n_steps=1)[0]
    flat = np.concatenate([array.ravel() for array in grads.values()])
    assert global_norm(grads) == pytest.approx(np.linalg.norm(flat), rel=1e-12)
    assert global_norm({}) == 0.0
    big = {"a": np.full(4, 1e30, dtype=np.float32)}  # squares overflow float32
    assert global_norm(big) == pytest.approx(2e30)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_by_global_norm_clips_to_max_norm(dtype):
    grads = make_grads_sequence(n_steps=1, dtype=dtype)[0]
    arrays = dict(grads)
    before = copy_params(grads)
    norm_before = global_norm(grads)
    max_norm = norm_before / 3

    norm = clip_by_global_norm(grads, max_norm)

    assert norm == norm_before
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    assert global_norm(grads) == pytest.approx(max_norm, rel=rtol)
    for key, array in grads.items():
        assert array is arrays[key]
        assert array.dtype == dtype
        # Direction kept: every array is scaled by the same factor.
        assert_allclose(array, before[key] * (max_norm / norm_before), rtol=rtol)


def test_clip_by_global_norm_leaves_small_gradients_untouched():
    grads = make_grads_sequence(n_steps=1)[0]
    before = copy_params(grads)
    norm = global_norm(grads)
    for max_norm in [norm, 2 * norm]:
        assert clip_by_global_norm(grads, max_norm) == norm
        for key, array in grads.items():
            assert_array_equal(array, before[key])


def test_clip_by_global_norm_non_finite_untouched():
    grads = {"a": np.array([np.inf, 1.0]), "b": np.array([2.0])}
    assert clip_by_global_norm(grads, 1.0) == np.inf
    assert_array_equal(grads["b"], [2.0])
    grads["a"][0] = np.nan
    assert np.isnan(clip_by_global_norm(grads, 1.0))
    assert_array_equal(grads["b"], [2.0])


def test_clip_by_global_norm_rejects_non_positive():
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_global_norm({"a": np.ones(2)}, 0.0)
