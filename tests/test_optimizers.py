"""Tests for skrnn._optimizers: equivalence with scikit-learn, then behaviour."""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.neural_network._stochastic_optimizers import (
    AdamOptimizer as SkAdamOptimizer,
)
from sklearn.neural_network._stochastic_optimizers import (
    SGDOptimizer as SkSGDOptimizer,
)

from skrnn._optimizers import (
    LR_SCHEDULES,
    OPTIMIZERS,
    AdamOptimizer,
    SGDOptimizer,
    clip_by_global_norm,
    clip_by_value,
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


@pytest.mark.parametrize("lr_schedule", LR_SCHEDULES)
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_matches_sklearn(lr_schedule, momentum, nesterov):
    params = make_params()
    sk_params = [array.copy() for array in params.values()]
    kwargs = dict(
        learning_rate_init=0.05,
        lr_schedule=lr_schedule,
        momentum=momentum,
        nesterov=nesterov,
        power_t=0.3,
    )
    opt = SGDOptimizer(params, **kwargs)
    sk_opt = SkSGDOptimizer(sk_params, **kwargs)

    for step, grads in enumerate(make_grads_sequence()):
        opt.update_params(params, grads)
        sk_opt.update_params(sk_params, list(grads.values()))
        opt.iteration_ends(step * 10)
        sk_opt.iteration_ends(step * 10)
        if step % 2:
            assert opt.trigger_stopping("", False) == sk_opt.trigger_stopping("", False)
        assert opt.learning_rate == sk_opt.learning_rate
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
        assert_allclose(opt.learning_rate, sk_opt.learning_rate, rtol=1e-15)
        for name, sk_param, sk_m, sk_v in zip(
            params, sk_params, sk_opt.ms, sk_opt.vs, strict=True
        ):
            assert_allclose(params[name], sk_param, rtol=1e-12, atol=0)
            assert_allclose(opt.ms[name], sk_m, rtol=1e-12, atol=0)
            assert_allclose(opt.vs[name], sk_v, rtol=1e-12, atol=0)
    assert opt.trigger_stopping("", False) is True


# Learning-rate schedules and stopping


def test_invscaling_formula():
    opt = SGDOptimizer(
        make_params(), learning_rate_init=0.2, lr_schedule="invscaling", power_t=0.25
    )
    assert opt.learning_rate == 0.2
    for time_step in [0, 1, 10, 1000]:
        opt.iteration_ends(time_step)
        assert opt.learning_rate == pytest.approx(0.2 / (time_step + 1) ** 0.25)


@pytest.mark.parametrize("lr_schedule", ["constant", "adaptive"])
def test_iteration_ends_keeps_other_schedules_constant(lr_schedule):
    opt = SGDOptimizer(make_params(), learning_rate_init=0.2, lr_schedule=lr_schedule)
    opt.iteration_ends(100)
    assert opt.learning_rate == 0.2


def test_adaptive_divides_by_5_then_stops(capsys):
    opt = SGDOptimizer(make_params(), learning_rate_init=1e-3, lr_schedule="adaptive")
    expected = 1e-3
    n_divisions = 0
    while expected > 1e-6:
        assert opt.trigger_stopping("No improvement.", verbose=True) is False
        expected /= 5.0
        n_divisions += 1
        assert opt.learning_rate == pytest.approx(expected)
    # 1e-3 / 5**4 = 1.6e-6 > 1e-6 and 1e-3 / 5**5 = 3.2e-7 <= 1e-6.
    assert n_divisions == 5
    assert opt.trigger_stopping("No improvement.", verbose=True) is True
    assert opt.learning_rate == pytest.approx(expected)

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "No improvement. Setting learning rate to 0.000200"
    assert lines[-1] == "No improvement. Learning rate too small. Stopping."


@pytest.mark.parametrize("lr_schedule", ["constant", "invscaling"])
def test_other_schedules_stop_at_once(lr_schedule, capsys):
    opt = SGDOptimizer(make_params(), lr_schedule=lr_schedule)
    assert opt.trigger_stopping("Done.", verbose=True) is True
    assert opt.learning_rate == 0.1
    assert capsys.readouterr().out == "Done. Stopping.\n"
    assert opt.trigger_stopping("Done.", verbose=False) is True
    assert capsys.readouterr().out == ""


def test_unknown_lr_schedule_raises():
    with pytest.raises(ValueError, match="lr_schedule"):
        SGDOptimizer(make_params(), lr_schedule="cosine")


def test_registry():
    assert set(OPTIMIZERS) == {"sgd", "adam"}
    assert OPTIMIZERS["sgd"] is SGDOptimizer
    assert OPTIMIZERS["adam"] is AdamOptimizer


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
        ("sgd", dict(lr_schedule="invscaling", nesterov=True)),
        ("sgd", dict(nesterov=False, momentum=np.float64(0.9))),
        ("sgd", dict(learning_rate_init=np.float64(0.1), power_t=np.float64(0.5))),
        ("adam", {}),
        ("adam", dict(beta_1=np.float64(0.9), epsilon=np.float64(1e-8))),
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
    assert isinstance(opt.learning_rate, float)


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
        ("sgd", {"momentum": 0.9, "nesterov": True}),
        ("adam", {}),
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
    ("sgd", dict(lr_schedule="adaptive", nesterov=True)),
    ("sgd", dict(lr_schedule="invscaling", nesterov=False)),
    ("adam", dict(learning_rate_init=0.01)),
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
    assert opt.learning_rate == resumed.learning_rate
    for key in params:
        assert_array_equal(resumed_params[key], params[key])


def test_state_keys_and_copies():
    params = make_params()
    opt = AdamOptimizer(params)
    state = opt.get_state()
    expected = {"learning_rate", "t"}
    expected |= {f"ms.{key}" for key in SHAPES} | {f"vs.{key}" for key in SHAPES}
    assert set(state) == expected
    assert set(SGDOptimizer(params).get_state()) == {"learning_rate"} | {
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
