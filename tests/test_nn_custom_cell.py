"""A cell of one's own, added through the public extension point only.

The IndRNN (Li et al., 2018), ``h_t = relu(x_t @ W_xh + u * h_{t-1} + b)``
with ``u`` a vector, is defined here and registered with
:func:`skrnn.nn.register_cell`: it trains, passes the gradient check, saves
and loads like a built-in cell, with no change to the package.  Two variants:
the layer adds the bias ``b`` to the input projection (``input_bias="b"``),
or the cell adds it itself (``input_bias=None``).
"""

import io

import numpy as np
import pytest
from _gradcheck import assert_gradients_match
from numpy.testing import assert_array_equal
from sklearn.utils._param_validation import InvalidParameterError

import skrnn
from skrnn import RNNTextClassifier
from skrnn._batching import pad_batch
from skrnn.datasets import load_toy_sentiment
from skrnn.nn import (
    CELLS,
    Cell,
    NetworkConfig,
    Param,
    add_l2_penalty,
    glorot_uniform,
    init_params,
    loss_and_grad,
    penalized_names,
    register_cell,
    unregister_cell,
    zeros,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# ------------------------------------------------------------------ the cell


def indrnn_forward(xproj, n_active, params, training):
    """``h_t = relu(xproj_t + u * h_{t-1})``, plus ``b`` if the cell owns it."""
    n_steps, n_samples, hidden_size = xproj.shape
    u = params["u"]
    if "b_own" in params:
        xproj = xproj + params["b_own"]
    hs = np.zeros((n_steps + 1, n_samples, hidden_size), dtype=xproj.dtype)
    for t, n in enumerate(n_active):
        hs[t + 1, :n] = np.maximum(xproj[t, :n] + u * hs[t, :n], 0.0)
    return hs[1:], {"hs": hs}


def indrnn_backward(doutputs, cache, n_active, params):
    hs, u = cache["hs"], params["u"]
    n_steps, n_samples, hidden_size = doutputs.shape
    dxproj = np.zeros_like(doutputs)
    du = np.zeros(hidden_size, dtype=doutputs.dtype)
    dh = np.zeros((n_samples, hidden_size), dtype=doutputs.dtype)
    for t in range(n_steps - 1, -1, -1):
        n = n_active[t]
        # h_t feeds the output at t and the next step; undo relu
        da = (doutputs[t, :n] + dh[:n]) * (hs[t + 1, :n] > 0)
        dxproj[t, :n] = da
        # undo u * h_{t-1}
        du += (da * hs[t, :n]).sum(axis=0)
        dh[:n] = da * u
    grads = {"u": du}
    if "b_own" in params:
        grads["b_own"] = dxproj.sum(axis=(0, 1))
    return dxproj, grads


def uniform_0_1(rng, shape, dtype):
    return rng.uniform(0.0, 1.0, size=shape).astype(dtype)


def make_indrnn(own_bias):
    bias = "b_own" if own_bias else "b"
    return Cell(
        {
            "W_xh": Param(lambda n_in, H: (n_in, H), glorot_uniform, True),
            "u": Param(lambda n_in, H: (H,), uniform_0_1, False),
            bias: Param(lambda n_in, H: (H,), zeros, False),
        },
        indrnn_forward,
        indrnn_backward,
        input_bias=None if own_bias else "b",
    )


@pytest.fixture(params=[False, True], ids=["layer-adds-bias", "cell-adds-bias"])
def indrnn(request):
    register_cell("indrnn", make_indrnn(own_bias=request.param))
    yield "indrnn"
    unregister_cell("indrnn")


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize(
    ("embedding_dim", "bidirectional", "num_layers", "pooling"),
    [(None, True, 2, "max"), (3, False, 1, "last"), (3, True, 2, "mean")],
)
def test_gradients_match_finite_differences(
    indrnn, embedding_dim, bidirectional, num_layers, pooling
):
    config = NetworkConfig(
        n_vocab=8,
        n_outputs=3,
        cell=indrnn,
        hidden_size=3,
        embedding_dim=embedding_dim,
        num_layers=num_layers,
        bidirectional=bidirectional,
        pooling=pooling,
    )
    rng = np.random.default_rng(0)
    params = {
        name: value + 0.3 * rng.standard_normal(value.shape)
        for name, value in init_params(config, rng, np.float64).items()
    }
    ids, lengths = pad_batch([rng.integers(1, 8, size=n) for n in (5, 3, 3, 1, 0)])
    y, w = np.array([0, 1, 2, 0, 1]), rng.uniform(0.3, 2.0, size=5)

    def loss_and_penalised_grad(p):
        loss, grads = loss_and_grad(p, ids, lengths, y, config, sample_weight=w)
        return loss + add_l2_penalty(p, grads, config, 0.1, w.sum()), grads

    _, grads = loss_and_penalised_grad(params)
    assert sorted(grads) == sorted(params)
    assert_gradients_match(lambda p: loss_and_penalised_grad(p)[0], params, grads)


def test_alpha_penalises_what_the_cell_declares(indrnn):
    config = NetworkConfig(
        n_vocab=8, n_outputs=2, cell=indrnn, embedding_dim=4, num_layers=2
    )
    assert penalized_names(config) == {
        "layer0.fwd.W_xh",
        "layer1.fwd.W_xh",
        "head.W_hy",
    }
    one_hot = NetworkConfig(n_vocab=8, n_outputs=2, cell=indrnn)
    # a one-hot first layer's input weight is a lookup table
    assert penalized_names(one_hot) == {"head.W_hy"}
    assert one_hot.lookup_tables == {"layer0.fwd.W_xh"}


@pytest.mark.parametrize("params", [{}, {"embedding_dim": None, "bidirectional": True}])
def test_fits_saves_loads_and_predicts_identically(indrnn, params):
    X, y = load_toy_sentiment(return_X_y=True)
    clf = RNNTextClassifier(
        cell=indrnn,
        hidden_size=8,
        max_iter=5,
        alpha=1e-3,
        random_state=0,
        ngram_range=None,  # partial_fit continues it below
        learning_rate="constant",
        **params,
    ).fit(X, y)
    assert clf.weights_["layer0.fwd.u"].shape == (8,)
    file = io.BytesIO()
    skrnn.save(clf, file)
    file.seek(0)
    loaded = skrnn.load(file)
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.weights_.keys() == clf.weights_.keys()
    for name, value in clf.weights_.items():
        assert_array_equal(loaded.weights_[name], value)
    # and it goes on training exactly as the original does
    loaded.partial_fit(X, y)
    clf.partial_fit(X, y)
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_loading_a_model_of_an_unregistered_cell_says_to_register_it():
    X, y = load_toy_sentiment(return_X_y=True)
    register_cell("indrnn", make_indrnn(own_bias=False))
    try:
        clf = RNNTextClassifier(cell="indrnn", hidden_size=4, max_iter=1).fit(X, y)
        file = io.BytesIO()
        skrnn.save(clf, file)
    finally:
        unregister_cell("indrnn")
    file.seek(0)
    with pytest.raises(ValueError, match=r"cell 'indrnn' is not registered") as info:
        skrnn.load(file)
    assert "skrnn.nn.register_cell('indrnn', cell)" in str(info.value)
    assert "corrupt" not in str(info.value)


def test_the_estimator_accepts_a_cell_once_registered():
    X, y = load_toy_sentiment(return_X_y=True)
    clf = RNNTextClassifier(cell="indrnn", hidden_size=4, max_iter=1)
    with pytest.raises(InvalidParameterError, match="'cell' parameter"):
        clf.fit(X, y)
    register_cell("indrnn", make_indrnn(own_bias=False))
    try:
        assert "indrnn" in CELLS
        clf.fit(X, y)
    finally:
        unregister_cell("indrnn")
    assert "indrnn" not in CELLS


def test_an_unknown_cell_is_said_to_be_registered_per_process():
    # GridSearchCV(n_jobs=2) on processes refits in workers that never ran
    # the user's register_cell: the error says why the cell is unknown there.
    X, y = load_toy_sentiment(return_X_y=True)
    clf = RNNTextClassifier(cell="indrnn", hidden_size=4, max_iter=1)
    with pytest.raises(InvalidParameterError, match="in this process"):
        clf.fit(X, y)


def test_predicting_after_another_cell_took_the_name_is_a_clear_error():
    # Regression: a model of a cell that was unregistered, and another cell
    # with other parameters registered under the same name, failed deep in
    # the layer with KeyError 'layer0.fwd.b_h'.
    X, y = load_toy_sentiment(return_X_y=True)
    register_cell("indrnn", make_indrnn(own_bias=False))
    try:
        clf = RNNTextClassifier(cell="indrnn", hidden_size=4, max_iter=1).fit(X, y)
    finally:
        unregister_cell("indrnn")
    register_cell("indrnn", make_indrnn(own_bias=True))
    try:
        with pytest.raises(ValueError, match="registered under that name"):
            clf.predict(X)
    finally:
        unregister_cell("indrnn")


@pytest.mark.parametrize("mistake", ["forgotten", "misnamed"])
def test_a_backward_without_a_gradient_of_each_parameter_is_refused(mistake):
    # Regression: a gradient that the cell's backward forgot left its
    # parameter untrained, silently; a misnamed one failed in the optimizer.
    def backward(doutputs, cache, n_active, params):
        dxproj, grads = indrnn_backward(doutputs, cache, n_active, params)
        du = grads.pop("u")
        if mistake == "misnamed":
            grads["U"] = du
        return dxproj, grads

    cell = make_indrnn(own_bias=False)
    register_cell(
        "indrnn",
        Cell(dict(cell.params), indrnn_forward, backward, input_bias=cell.input_bias),
    )
    try:
        config = NetworkConfig(n_vocab=8, n_outputs=2, cell="indrnn", hidden_size=3)
        params = init_params(config, np.random.default_rng(0), np.float64)
        ids, lengths = pad_batch([np.array([1, 2, 3]), np.array([4])])
        with pytest.raises(ValueError, match=r"cell 'indrnn' .* each of \['u'\]"):
            loss_and_grad(params, ids, lengths, np.array([0, 1]), config)
    finally:
        unregister_cell("indrnn")
