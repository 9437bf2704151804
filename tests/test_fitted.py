"""Tests for skrnn._fitted: the fitted state is one value, stored at once.

A reader sees the old model or the new one, never a mix; the fitted
attributes are read-only views of it; its plain form holds only arrays,
builtins and the public vectorizer, so that skops loads a model trusting
only skrnn's public types.
"""

import dataclasses
import pickle
import threading
import time
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

import skrnn
import skrnn._prediction as prediction_module
from skrnn import RNNTextClassifier, RNNTextRegressor, SequenceVectorizer
from skrnn._fitted import FittedModel
from skrnn._optimizers import OPTIMIZERS
from skrnn.datasets import load_toy_sentiment
from skrnn.nn import CELLS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X, Y = load_toy_sentiment(return_X_y=True)
FAST = {"hidden_size": 8, "embedding_dim": 8, "max_iter": 3, "random_state": 0}


def _leaves(value):
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), key
            yield from _leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_the_plain_form_is_arrays_and_builtins(cell, solver):
    clf = RNNTextClassifier(cell=cell, solver=solver, **FAST).fit(X, Y)
    state = clf._fitted.to_dict()
    plain = (np.ndarray, bool, int, float, str, type(None), SequenceVectorizer)
    odd = [type(v) for v in _leaves(state) if not isinstance(v, plain)]
    assert not odd, odd
    back = FittedModel.from_dict(pickle.loads(pickle.dumps(state)))
    assert back.config == clf._fitted.config
    assert back.fitted_params == clf._fitted.fitted_params
    assert back.rng.bit_generator.state == clf._fitted.rng.bit_generator.state
    for key, value in clf._fitted.optimizer.get_state().items():
        assert_array_equal(back.optimizer.get_state()[key], value, err_msg=key)
    # AdamW decays the same weights again.
    assert vars(back.optimizer).get("penalized") == vars(clf._fitted.optimizer).get(
        "penalized"
    )


def test_from_dict_refuses_an_unknown_bit_generator():
    state = RNNTextClassifier(**FAST).fit(X, Y)._fitted.to_dict()
    state["rng"] = {**state["rng"], "bit_generator": "seed"}
    with pytest.raises(ValueError, match="bit generator"):
        FittedModel.from_dict(state)


def test_a_continued_fit_equals_one_from_the_plain_form():
    clf = RNNTextClassifier(warm_start=True, **FAST).fit(X, Y)
    copy = pickle.loads(pickle.dumps(clf))
    clf.fit(X, Y)
    copy.fit(X, Y)
    for name, value in clf.weights_.items():
        assert_array_equal(copy.weights_[name], value, err_msg=name)


@pytest.mark.parametrize(
    "name", ["classes_", "weights_", "vectorizer_", "n_iter_", "loss_curve_"]
)
def test_fitted_attributes_are_read_only(name):
    clf = RNNTextClassifier(**FAST).fit(X, Y)
    with pytest.raises(AttributeError, match="read-only"):
        setattr(clf, name, None)


def test_a_failed_refit_keeps_the_fitted_model():
    clf = RNNTextClassifier(**FAST).fit(X, Y)
    before = clf._fitted
    # Divergence is one clear error, without numpy's overflow warnings first.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="Training diverged"):
            clf.set_params(learning_rate_init=1e30, warm_start=True).fit(X, Y)
    assert clf._fitted is before


def test_predictions_during_refits_come_from_one_model_or_the_other(monkeypatch):
    # Regression: fit wrote classes_, vectorizer_ and weights_ one after the
    # other, and predict read them one after the other, so a predict
    # overlapping a refit could mix two models (IndexError, or one model's
    # labels on the other's outputs).  The second model's classes are in the
    # opposite order, so a mix predicts the opposite labels; predictions are
    # slowed down so that refits land inside them.
    labels = np.where(Y == 1, "pos", "neg"), np.where(Y == 1, "bad", "good")
    models = [RNNTextClassifier(**FAST).fit(X, y) for y in labels]
    expected = [(m.predict(X).tolist(), m.predict_proba(X)) for m in models]
    original = prediction_module.predict_logits

    def slow_predict_logits(*args, **kwargs):
        time.sleep(0.005)
        return original(*args, **kwargs)

    monkeypatch.setattr(prediction_module, "predict_logits", slow_predict_logits)
    clf = RNNTextClassifier(**FAST).fit(X, labels[0])
    stop = time.monotonic() + 1.5
    errors = []

    def refit():
        k = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            while time.monotonic() < stop:
                k = 1 - k
                clf.fit(X, labels[k])

    def predict():
        while time.monotonic() < stop:
            try:
                pred = clf.predict(X).tolist()
                proba = clf.predict_proba(X)
            except Exception as exc:
                errors.append(repr(exc))
                return
            if not any(pred == p for p, _ in expected):
                errors.append(f"mixed labels {pred[:4]}")
            if not any(np.array_equal(proba, q) for _, q in expected):
                errors.append("probabilities of neither model")

    threads = [threading.Thread(target=refit)]
    threads += [threading.Thread(target=predict) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:5]


def test_skops_loads_a_model_trusting_only_the_published_types(tmp_path):
    sio = pytest.importorskip("skops.io")
    for cell in sorted(CELLS):
        model = RNNTextClassifier(cell=cell, solver="sgd", **FAST).fit(X, Y)
        path = tmp_path / f"{cell}.skops"
        sio.dump(model, path)
        untrusted = set(sio.get_untrusted_types(file=path))
        assert untrusted == set(skrnn.SKOPS_TRUSTED_TYPES) - {
            "skrnn._regressor.RNNTextRegressor"
        }
        loaded = sio.load(path, trusted=list(skrnn.SKOPS_TRUSTED_TYPES))
        assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
        assert dataclasses.asdict(loaded._fitted.config) == dataclasses.asdict(
            model._fitted.config
        )


def test_skops_loads_a_regressor_trusting_only_the_published_types(tmp_path):
    sio = pytest.importorskip("skops.io")
    model = RNNTextRegressor(**FAST).fit(X, np.arange(len(X), dtype=float))
    path = tmp_path / "regressor.skops"
    sio.dump(model, path)
    untrusted = set(sio.get_untrusted_types(file=path))
    assert untrusted == set(skrnn.SKOPS_TRUSTED_TYPES) - {
        "skrnn._classifier.RNNTextClassifier"
    }
    loaded = sio.load(path, trusted=list(skrnn.SKOPS_TRUSTED_TYPES))
    assert_array_equal(loaded.predict(X), model.predict(X))


def test_numpy_scalar_parameters_are_fitted_as_python_scalars():
    # A grid of np.arange values hands numpy scalars to set_params; the
    # fitted state keeps builtins.
    params = {
        **FAST,
        "hidden_size": np.int64(8),
        "learning_rate_init": np.float32(0.01),
    }
    fitted = RNNTextClassifier(**params).fit(X, Y)._fitted.fitted_params
    assert type(fitted["hidden_size"]) is int
    assert type(fitted["learning_rate_init"]) is float


def test_fit_without_y_says_that_y_is_required():
    for estimator in (RNNTextClassifier(**FAST), skrnn.RNNTextRegressor(**FAST)):
        with pytest.raises(ValueError, match="requires y to be passed"):
            estimator.fit(X, None)


def test_an_ensemble_is_arrays_and_builtins_and_continues_from_them(tmp_path):
    clf = RNNTextClassifier(n_estimators=3, warm_start=True, **FAST).fit(X, Y)
    state = clf._fitted.to_dict()
    plain = (np.ndarray, bool, int, float, str, type(None), SequenceVectorizer)
    assert all(isinstance(v, plain) for v in _leaves(state))
    assert len(state["members"]) == 2
    copy = pickle.loads(pickle.dumps(clf))
    clf.fit(X, Y)
    copy.fit(X, Y)
    for a, b in zip(clf.estimators_weights_, copy.estimators_weights_, strict=True):
        for name, value in a.items():
            assert_array_equal(b[name], value, err_msg=name)
    sio = pytest.importorskip("skops.io")
    sio.dump(clf, tmp_path / "ensemble.skops")
    loaded = sio.load(
        tmp_path / "ensemble.skops", trusted=list(skrnn.SKOPS_TRUSTED_TYPES)
    )
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_a_state_pickled_before_ensembles_is_one_network():
    clf = RNNTextClassifier(**FAST).fit(X, Y)
    state = clf._fitted.to_dict()
    del state["members"]
    assert FittedModel.from_dict(state).members == ()


def test_an_estimator_pickled_before_ensembles_is_one_network():
    clf = RNNTextClassifier(**FAST).fit(X, Y)
    state = clf.__getstate__()
    del state["n_estimators"], state["_fitted"]["members"]
    old = RNNTextClassifier.__new__(RNNTextClassifier)
    old.__setstate__(state)
    assert old.n_estimators == 1
    assert_array_equal(old.predict_proba(X), clf.predict_proba(X))


def test_an_estimator_pickled_before_the_ngram_companion_has_none():
    clf = RNNTextClassifier(**FAST, ngram_range=None).fit(X, Y)
    state = clf.__getstate__()
    del state["ngram_range"], state["ngram_weight"], state["_fitted"]["ngrams"]
    old = RNNTextClassifier.__new__(RNNTextClassifier)
    old.__setstate__(state)
    assert old.get_params()["ngram_range"] is None
    assert old._fitted.ngrams is None
    assert_array_equal(old.predict_proba(X), clf.predict_proba(X))


def test_an_estimator_pickled_before_the_geometric_blend_blends_as_it_did():
    clf = RNNTextClassifier(**FAST, ngram_range=(1, 2), ngram_blend="arithmetic")
    clf.fit(X, Y)
    state = clf.__getstate__()
    del state["ngram_blend"]
    old = RNNTextClassifier.__new__(RNNTextClassifier)
    old.__setstate__(state)
    assert old.ngram_blend == "arithmetic"
    assert_array_equal(old.predict_proba(X), clf.predict_proba(X))
    geometric = clf.set_params(ngram_blend="geometric").predict_proba(X)
    assert not np.allclose(old.predict_proba(X), geometric)


def test_an_estimator_pickled_with_character_unions_is_refused():
    # Regression: a pickled estimator's companion is a dict of fields, which
    # session 20's development version gave char_indptr and char_indices,
    # and any estimator of it with a companion failed to unpickle with a
    # TypeError (an unexpected keyword argument 'char_indptr'). One with
    # characters is refused, asking for a refit ...
    clf = RNNTextClassifier(**FAST, ngram_range=(1, 2), char_ngram_range=(2, 4))
    state = clf.fit(X, Y).__getstate__()
    state["_fitted"]["ngrams"].update(
        char_indptr=np.zeros(clf._fitted.config.n_vocab + 1, np.int64),
        char_indices=np.zeros(0, np.int64),
    )
    old = RNNTextClassifier.__new__(RNNTextClassifier)
    with pytest.raises(ValueError, match="Refit the model"):
        old.__setstate__(state)
    # ... and one without loads as it was
    clf.set_params(char_ngram_range=None).fit(X, Y)
    state = clf.__getstate__()
    state["_fitted"]["ngrams"].update(char_indptr=None, char_indices=None)
    old.__setstate__(state)
    assert_array_equal(old.predict_proba(X), clf.predict_proba(X))


def test_a_companion_is_arrays_and_builtins(tmp_path):
    clf = RNNTextClassifier(ngram_range=(1, 2), **FAST).fit(X, Y)
    state = clf._fitted.to_dict()
    plain = (np.ndarray, bool, int, float, str, type(None), SequenceVectorizer)
    assert all(isinstance(v, plain) for v in _leaves(state))
    assert FittedModel.from_dict(state).ngrams.ngram_range == (1, 2)
    sio = pytest.importorskip("skops.io")
    sio.dump(clf, tmp_path / "companion.skops")
    loaded = sio.load(
        tmp_path / "companion.skops", trusted=list(skrnn.SKOPS_TRUSTED_TYPES)
    )
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
