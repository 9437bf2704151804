"""Tests for skrnn._persistence: safe save and load, and versioned pickles.

Round trips first (predictions, fitted state, parameters, labels), then
training continued after a load, then what save refuses, then files that
load must refuse (broken archives, tampered metadata and arrays, pickle
payloads), then versions, in model files and in pickles.
"""

import copy
import dataclasses
import io
import json
import os
import pickle
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import skrnn
import skrnn._persistence as persistence
import skrnn._versioning as versioning
from skrnn import RNNTextClassifier, SequenceVectorizer
from skrnn._base import _ARCHITECTURE_PARAMS
from skrnn._optimizers import OPTIMIZERS
from skrnn._persistence import FORMAT, FORMAT_VERSION
from skrnn._versioning import SkrnnVersionWarning, VersionedPickleMixin
from skrnn.nn import CELLS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X = [
    "good film",
    "bad film",
    "a good story",
    "a bad story",
    "very good acting!",
    "very bad acting.",
    "good",
    "bad",
]
Y = ["pos", "neg"] * 4

#: Tiny network, few epochs: these tests check state, not accuracy.
TINY = {"hidden_size": 4, "embedding_dim": 4, "max_iter": 2, "random_state": 0}

CORRUPT = "corrupt or tampered skrnn model file"


def _fit(X=X, y=Y, **params):
    return RNNTextClassifier(**{**TINY, **params}).fit(X, y)


def _round_trip(model):
    buffer = io.BytesIO()
    skrnn.save(model, buffer)
    return skrnn.load(io.BytesIO(buffer.getvalue()))


def _same_param(a, b):
    if isinstance(a, np.random.RandomState):
        return isinstance(b, np.random.RandomState) and all(
            np.array_equal(u, v)
            for u, v in zip(a.get_state(), b.get_state(), strict=True)
        )
    return type(a) is type(b) and a == b


def assert_same_fitted_state(loaded, model):
    """Everything that predicting and continuing training read is equal."""
    assert type(loaded) is type(model)
    assert_array_equal(loaded.classes_, model.classes_)
    assert loaded.classes_.dtype == model.classes_.dtype
    assert loaded.vectorizer_.get_params() == model.vectorizer_.get_params()
    assert loaded.vectorizer_.vocabulary_ == model.vectorizer_.vocabulary_
    assert loaded.vectorizer_.n_vocab_ == model.vectorizer_.n_vocab_
    assert loaded.vectorizer_.fixed_vocabulary_ == model.vectorizer_.fixed_vocabulary_
    assert list(loaded.weights_) == list(model.weights_)
    for name, weight in model.weights_.items():
        assert loaded.weights_[name].dtype == weight.dtype
        assert_array_equal(loaded.weights_[name], weight)
    assert loaded._fitted.config == model._fitted.config
    assert loaded._fitted.fitted_params == model._fitted.fitted_params
    assert type(loaded._fitted.optimizer) is type(model._fitted.optimizer)
    expected_state = model._fitted.optimizer.get_state()
    loaded_state = loaded._fitted.optimizer.get_state()
    assert list(loaded_state) == list(expected_state)
    for key, value in expected_state.items():
        assert_array_equal(loaded_state[key], value)
        assert type(loaded_state[key]) is type(value)
    assert vars(loaded._fitted.training) == vars(model._fitted.training)
    assert (
        loaded._fitted.rng.bit_generator.state == model._fitted.rng.bit_generator.state
    )
    for name in (
        "n_iter_",
        "t_",
        "loss_curve_",
        "best_loss_",
        "validation_scores_",
        "best_validation_score_",
    ):
        assert getattr(loaded, name) == getattr(model, name), name
    assert loaded.loss_curve_ is loaded._fitted.training.loss_curve
    # Nothing else: a fitted attribute added to the estimator must be added
    # to the file format too.
    assert set(vars(loaded)) == set(vars(model))


# --------------------------------------------------------------- round trips

ARCHITECTURES = [
    {},
    {"bidirectional": True, "pooling": "mean"},
    {"num_layers": 2, "pooling": "max", "dropout": 0.2},
    {"embedding_dim": None},
    {"dtype": np.float64, "solver": "sgd", "learning_rate": "invscaling"},
]


@pytest.mark.parametrize("architecture", ARCHITECTURES, ids=str)
@pytest.mark.parametrize("cell", list(CELLS))
def test_round_trip_predicts_identically(cell, architecture):
    model = _fit(cell=cell, **architecture)
    loaded = _round_trip(model)
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert_array_equal(
        loaded.predict(["good", "unseen words"]),
        model.predict(["good", "unseen words"]),
    )
    assert_same_fitted_state(loaded, model)
    for name, value in model.get_params().items():
        assert _same_param(loaded.get_params()[name], value), name


def test_save_and_load_a_path(tmp_path):
    model = _fit()
    path = tmp_path / "model.skrnn"
    skrnn.save(model, path)
    loaded = skrnn.load(str(path))
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize(
    "y",
    [
        np.array(Y),
        np.array([0, 1] * 4),
        np.array([-1.0, 2.0] * 4),
        np.array([True, False] * 4),
        np.array(Y, dtype=object),
        np.array(["red", "green", "blue", "red"] * 2),
    ],
    ids=["str", "int", "float", "bool", "object-str", "3-classes"],
)
def test_round_trip_keeps_the_labels(y):
    model = _fit(y=y)
    loaded = _round_trip(model)
    assert loaded.classes_.dtype == model.classes_.dtype
    assert loaded.classes_.tolist() == model.classes_.tolist()
    assert [type(c) for c in loaded.classes_] == [type(c) for c in model.classes_]
    predicted = loaded.predict(X)
    assert predicted.dtype == model.predict(X).dtype
    assert_array_equal(predicted, model.predict(X))
    assert_array_equal(loaded.decision_function(X), model.decision_function(X))


def test_round_trip_of_numpy_scalar_parameters():
    # Regression: numpy scalars (a grid over np.arange) reached the network
    # configuration, which json could not write.
    model = _fit(
        hidden_size=np.int64(4),
        embedding_dim=np.int32(4),
        num_layers=np.int64(1),
        bidirectional=np.bool_(True),
        dropout=np.float32(0.25),
        input_dropout=np.float64(0.5),
    )
    loaded = _round_trip(model)
    assert_same_fitted_state(loaded, model)
    assert loaded.get_params()["hidden_size"] == 4


def test_round_trip_of_a_character_model():
    model = _fit(analyzer="char")
    loaded = _round_trip(model)
    assert loaded.analyzer == loaded.vectorizer_.analyzer == "char"
    assert_same_fitted_state(loaded, model)
    assert_array_equal(loaded.predict_proba(["gdo"]), model.predict_proba(["gdo"]))


def test_round_trip_keeps_parameters_json_cannot_hold():
    params = {
        "class_weight": {0: 1.0, 1: 2.5},  # int keys: JSON keys are str
        "vocabulary": ("good", "bad", "film"),
        "stop_words": ["a"],
        "min_df": 0.0,
        "max_length": 3,
        "dtype": "float64",
        "random_state": np.random.RandomState(3),
    }
    model = _fit(y=np.array([0, 1] * 4), **params)
    loaded = _round_trip(model)
    for name, value in model.get_params().items():
        assert _same_param(loaded.get_params()[name], value), name
    assert_same_fitted_state(loaded, model)
    # A fresh fit of either gives the same model.
    refit, refit_loaded = (clone(m).fit(X, [0, 1] * 4) for m in (model, loaded))
    for name, weight in refit.weights_.items():
        assert_array_equal(refit_loaded.weights_[name], weight)


WORDS = ["good", "bad", "film", "story"]


@pytest.mark.parametrize(
    "vocabulary",
    [
        np.array(WORDS),
        np.array(WORDS, dtype=object),
        pd.Series(WORDS, index=[3, 2, 1, 0]),
        pd.Index(WORDS),
        dict.fromkeys(WORDS).keys(),
        dict(enumerate(WORDS)).values(),
    ],
    ids=["array", "object array", "Series", "Index", "dict keys", "dict values"],
)
def test_vocabulary_given_as_another_iterable_is_saved_as_a_list(vocabulary):
    model = _fit(vocabulary=vocabulary)
    loaded = _round_trip(model)
    for params in (loaded.get_params(), loaded.vectorizer_.get_params()):
        assert params["vocabulary"] == WORDS
        assert all(type(word) is str for word in params["vocabulary"])
    assert loaded.vectorizer_.vocabulary_ == model.vectorizer_.vocabulary_
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    # A warm start and a new fit treat the list as they treat the original.
    for estimator in (model, loaded):
        estimator.set_params(warm_start=True).fit(X, Y)
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    for estimator in (model, loaded):
        estimator.set_params(warm_start=False).fit(X, Y)
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_save_refuses_a_vocabulary_iterator_that_fit_used_up(tmp_path):
    model = _fit(vocabulary=iter(["good", "bad"]))
    path = tmp_path / "model.skrnn"
    with pytest.raises(TypeError, match=r"'vocabulary' is an iterator.*used up"):
        skrnn.save(model, path)
    assert not path.exists()


def test_dtype_parameter_forms():
    for dtype in (np.float32, np.dtype("float64"), "float32"):
        loaded = _round_trip(_fit(dtype=dtype))
        assert np.dtype(loaded.dtype) == np.dtype(dtype)


def test_pretrained_embeddings_dict_is_stored_as_none():
    vectors = {"good": np.ones(4), "bad": -np.ones(4), "film": np.zeros(4)}
    model = _fit(embeddings=vectors, embedding_dim=None)
    loaded = _round_trip(model)
    assert loaded.embeddings is None
    assert loaded.embeddings_coverage_ == model.embeddings_coverage_
    assert_array_equal(loaded.weights_["embed.E"], model.weights_["embed.E"])
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_pretrained_embeddings_path_is_stored_as_str(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("good 1 1 1 1\nbad -1 -1 -1 -1\n", encoding="utf-8")
    model = _fit(embeddings=path, embedding_dim=None)
    loaded = _round_trip(model)
    assert loaded.embeddings == str(path)
    assert_same_fitted_state(loaded, model)


def test_model_fitted_with_early_stopping_and_partial_fit():
    for model in (
        _fit(early_stopping=True, validation_fraction=0.25, max_iter=3),
        RNNTextClassifier(**TINY).partial_fit(X, Y, classes=["neg", "pos"]),
        _fit(vocabulary={"good": 2, "bad": 3}),
    ):
        assert_same_fitted_state(_round_trip(model), model)


def test_file_layout_and_metadata():
    model = _fit()
    buffer = io.BytesIO()
    skrnn.save(model, buffer)
    with zipfile.ZipFile(buffer) as archive:
        assert archive.namelist() == ["metadata.json", "arrays.npz"]

        def refuse(constant):
            raise AssertionError(f"{constant} is not strict JSON")

        metadata = json.loads(archive.read("metadata.json"), parse_constant=refuse)
        npz = np.load(io.BytesIO(archive.read("arrays.npz")), allow_pickle=False)
    assert metadata["format"] == FORMAT == "skrnn-model"
    assert metadata["format_version"] == FORMAT_VERSION == 2
    assert metadata["network"]["head"] == "softmax"
    assert metadata["skrnn_version"] == skrnn.__version__
    assert {"sklearn_version", "numpy_version"} <= set(metadata)
    assert metadata["optimizer"]["solver"] == "adam"
    assert metadata["rng"]["bit_generator"] == "PCG64"
    assert metadata["params"]["dtype"] == {"__dtype__": "float32"}
    assert metadata["training_state"]["best_validation_score"] == {"__float__": "-inf"}
    words = metadata["vectorizer"]["vocabulary"]
    assert {word: i for i, word in enumerate(words, 2)} == model.vectorizer_.vocabulary_
    assert set(npz.files) == {
        "classes_",
        *(f"weights/{name}" for name in model.weights_),
        *(
            f"optimizer/{moment}.{name}"
            for moment in ("ms", "vs")
            for name in model.weights_
        ),
    }


def test_saving_twice_gives_the_same_bytes():
    model = _fit()
    first, second = io.BytesIO(), io.BytesIO()
    skrnn.save(model, first)
    skrnn.save(model, second)
    assert first.getvalue() == second.getvalue()


@pytest.mark.parametrize(
    "value",
    [
        float("inf"),
        -float("inf"),
        (1, "a", None),
        {"b", "a"},
        {0: 1.5, "x": [True, None], (1, 2): frozenset()},
        np.float32,
        np.int64,
        [np.int64(3), np.float32(0.5), np.bool_(True), np.str_("s")],
    ],
    ids=repr,
)
def test_values_json_cannot_hold_are_tagged(value):
    encoded = persistence._to_json(value, "parameter 'x'")
    decoded = persistence._from_json(json.loads(json.dumps(encoded)), "x")
    assert decoded == value
    assert type(decoded) is type(value) or isinstance(value, (frozenset, list))


def test_nan_and_random_state_are_tagged():
    encoded = json.loads(json.dumps(persistence._to_json(float("nan"), "x")))
    assert encoded == {"__float__": "nan"}
    assert np.isnan(persistence._from_json(encoded, "x"))
    random_state = np.random.RandomState(0)
    random_state.normal()  # caches a Gaussian
    encoded = json.loads(json.dumps(persistence._to_json(random_state, "x")))
    decoded = persistence._from_json(encoded, "x")
    assert decoded.normal() == random_state.normal()
    assert_array_equal(decoded.rand(3), random_state.rand(3))


# ------------------------------------------------------- continued training

CONTINUATIONS = [
    {},
    {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0.5},
    {"solver": "adamw", "alpha": 0.1, "embedding_dim": None},
    {"cell": "lstm", "dropout": 0.3, "bidirectional": True},
    {"cell": "gru", "dtype": np.float64, "embedding_dim": None},
    {"early_stopping": True, "validation_fraction": 0.25, "batch_size": 3},
]


@pytest.mark.parametrize("params", CONTINUATIONS, ids=str)
def test_partial_fit_after_load_continues_as_without_saving(params):
    model = _fit(**params)
    loaded = _round_trip(model)
    # partial_fit refuses early_stopping=True: it has no held-out set.
    for estimator in (model, loaded):
        estimator.set_params(early_stopping=False).partial_fit(X, Y)
    assert_same_fitted_state(loaded, model)


@pytest.mark.parametrize("params", CONTINUATIONS, ids=str)
def test_warm_start_after_load_continues_as_without_saving(params):
    model = _fit(**params)
    loaded = _round_trip(model)
    for estimator in (model, loaded):
        estimator.set_params(warm_start=True, max_iter=2).fit(X, Y)
    assert_same_fitted_state(loaded, model)
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_warm_start_with_new_optimizer_params_after_load():
    model = _fit()
    loaded = _round_trip(model)
    for estimator in (model, loaded):
        estimator.set_params(warm_start=True, learning_rate_init=0.01).fit(X, Y)
    assert_same_fitted_state(loaded, model)


# ----------------------------------------------------- what save refuses


@pytest.mark.parametrize(
    "params",
    [
        {"tokenizer": str.split, "token_pattern": None},
        {"preprocessor": str.lower},
        {"strip_accents": lambda text: text},
    ],
    ids=["tokenizer", "preprocessor", "strip_accents"],
)
def test_save_refuses_callable_parameters(params, tmp_path):
    model = _fit(**params)
    (name,) = set(params) - {"token_pattern"}
    path = tmp_path / "model.skrnn"
    with pytest.raises(TypeError, match=rf"(?s)'{name}' is the callable.*pickle"):
        skrnn.save(model, path)
    assert not path.exists()


def test_save_refuses_unstorable_parameter_values(tmp_path):
    model = _fit()
    model.set_params(class_weight={"pos": object(), "neg": 1.0})
    with pytest.raises(TypeError, match="'class_weight' is a object"):
        skrnn.save(model, tmp_path / "model.skrnn")


def test_save_refuses_unfitted_models(tmp_path):
    path = tmp_path / "model.skrnn"
    with pytest.raises(NotFittedError):
        skrnn.save(RNNTextClassifier(), path)
    assert not path.exists()


def test_save_refuses_other_objects(tmp_path):
    with pytest.raises(TypeError, match="RNNTextClassifier"):
        skrnn.save(SequenceVectorizer().fit(X), tmp_path / "model.skrnn")


@pytest.mark.parametrize(
    "file, message",
    [
        (io.StringIO(), r"got StringIO, a text file object: .*binary mode \('wb'\)"),
        (b"model.skrnn", r"got bytes: .*io\.BytesIO\(\)"),
        (3, r"got int\.$"),
    ],
    ids=["text stream", "bytes", "int"],
)
def test_save_refuses_what_is_neither_a_path_nor_a_binary_file(file, message):
    model = _fit()
    with pytest.raises(TypeError, match=r"path \(str or os\.PathLike\) or a binary"):
        skrnn.save(model, file)
    with pytest.raises(TypeError, match=message):
        skrnn.save(model, file)


def test_save_refuses_a_text_file_and_a_file_open_for_reading(tmp_path):
    path = tmp_path / "model.skrnn"
    model = _fit()
    with open(path, "w") as text, pytest.raises(TypeError, match="text file object"):
        skrnn.save(model, text)
    with (
        open(path, "rb") as read_only,
        pytest.raises(TypeError, match="not open for writing"),
    ):
        skrnn.save(model, read_only)
    assert path.read_bytes() == b""


def test_save_refuses_labels_of_other_types(tmp_path):
    model = _fit()
    labels = np.empty(2, dtype=object)
    labels[:] = [("neg",), ("pos",)]
    model._fitted = dataclasses.replace(model._fitted, classes=labels)
    with pytest.raises(TypeError, match="class labels"):
        skrnn.save(model, tmp_path / "model.skrnn")


# ------------------------------------------------ what load refuses


def _saved_bytes(model=None):
    buffer = io.BytesIO()
    skrnn.save(_fit() if model is None else model, buffer)
    return buffer.getvalue()


def _read(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        metadata = json.loads(archive.read("metadata.json"))
        with np.load(io.BytesIO(archive.read("arrays.npz"))) as npz:
            arrays = {key: npz[key] for key in npz.files}
    return metadata, arrays


def _archive(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _write(metadata, arrays):
    npz = io.BytesIO()
    np.savez(npz, **arrays)  # allows object arrays: a forger's file
    return _archive(
        {"metadata.json": json.dumps(metadata), "arrays.npz": npz.getvalue()}
    )


def _tampered(edit):
    metadata, arrays = _read(_saved_bytes())
    edit(metadata, arrays)
    return _write(metadata, arrays)


def _set(section, key, value):
    def edit(metadata, arrays):
        target = metadata if section is None else metadata[section]
        target[key] = value

    return edit


def _edit_array(key, change):
    def edit(metadata, arrays):
        arrays[key] = change(arrays[key])

    return edit


def _nan_at_origin(array):
    array = array.copy()
    array.flat[0] = np.nan
    return array


TAMPERINGS = {
    "missing weight": lambda m, a: a.pop("weights/head.b_y"),
    "extra weight": lambda m, a: a.update({"weights/head.W_extra": np.zeros(2)}),
    "extra array": lambda m, a: a.update({"notes": np.zeros(2)}),
    "missing classes": lambda m, a: a.pop("classes_"),
    "missing optimizer array": lambda m, a: a.pop("optimizer/ms.head.b_y"),
    "wrong shape": _edit_array("weights/head.W_hy", lambda w: w[:, :1]),
    "wrong optimizer shape": _edit_array("optimizer/vs.embed.E", lambda w: w[:3]),
    "wrong dtype": _edit_array("weights/embed.E", lambda w: w.astype(np.float64)),
    "NaN weight": _edit_array("weights/layer0.fwd.W_hh", _nan_at_origin),
    "NaN optimizer state": _edit_array("optimizer/ms.head.W_hy", _nan_at_origin),
    "unsorted classes": _edit_array("classes_", lambda c: c[::-1]),
    "2-D classes": _edit_array("classes_", lambda c: c[:, None]),
    "missing key": lambda m, a: m.pop("rng"),
    "extra key": _set(None, "code", "import os"),
    "wrong format": _set(None, "format", "other-model"),
    "format_version as str": _set(None, "format_version", "1"),
    "other estimator": _set(None, "estimator", "MLPClassifier"),
    "bad dtype": _set(None, "dtype", "float16"),
    "invalid parameter": _set("params", "cell", "evil"),
    "unknown parameter": _set("params", "evil", 1),
    "missing parameter": lambda m, a: m["params"].pop("alpha"),
    "unknown tag": _set("params", "alpha", {"__code__": "os.system('ls')"}),
    "plain JSON object": _set("params", "vocabulary", {"good": 2}),
    "object dtype tag": _set("params", "dtype", {"__dtype__": "object"}),
    "wider network": _set("network", "hidden_size", 5),
    "huge network": _set("network", "hidden_size", 10**9),
    "deep network": _set("network", "num_layers", 10**9),
    "unknown head": _set("network", "head", "tanh"),
    "head as list": _set("network", "head", ["softmax"]),
    "bool as int": _set("network", "bidirectional", 0),
    "unbalanced token pattern": lambda m, a: m["vectorizer"]["params"].update(
        token_pattern="("
    ),
    "token pattern of two groups": lambda m, a: m["vectorizer"]["params"].update(
        token_pattern=r"(\w)(\w)"
    ),
    "fewer words": lambda m, a: m["vectorizer"]["vocabulary"].pop(),
    "duplicate words": lambda m, a: m["vectorizer"]["vocabulary"].append("good"),
    "architecture mismatch": lambda m, a: m["architecture"].update(cell="lstm"),
    "architecture embedding_dim": lambda m, a: m["architecture"].update(
        embedding_dim=7
    ),
    "unknown solver": lambda m, a: m["optimizer"].update(solver="lbfgs"),
    "solver mismatch": lambda m, a: m["optimizer_params"].update(solver="sgd"),
    "optimizer hyperparameter": lambda m, a: m["optimizer"]["hyperparameters"].update(
        beta_1="0.9"
    ),
    "optimizer scalar": lambda m, a: m["optimizer"]["scalars"].update(t="3"),
    # Regression: these loaded, and partial_fit then failed deep inside.
    "negative optimizer step": lambda m, a: m["optimizer"]["scalars"].update(t=-1),
    "fractional optimizer step": lambda m, a: m["optimizer"]["scalars"].update(t=1.5),
    "zero learning rate": lambda m, a: m["optimizer"]["scalars"].update(
        current_learning_rate=0.0
    ),
    "huge beta_1": lambda m, a: m["optimizer"]["hyperparameters"].update(beta_1=1e308),
    "negative learning_rate_init": lambda m, a: m["optimizer"][
        "hyperparameters"
    ].update(learning_rate_init=-1.0),
    "optimizer unlike its parameters": lambda m, a: m["optimizer"][
        "hyperparameters"
    ].update(epsilon=1e-3),
    "invalid optimizer parameter": lambda m, a: m["optimizer_params"].update(
        beta_2=2.0
    ),
    "negative epochs": lambda m, a: m["training_state"].update(n_iter=-1),
    "loss as str": lambda m, a: m["attributes"].update(loss_curve_=["0.5"]),
    "other bit generator": lambda m, a: m["rng"].update(bit_generator="MT19937"),
    "bad rng state": lambda m, a: m["rng"]["state"].update(state="x"),
}


@pytest.mark.parametrize("edit", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_load_refuses_tampered_files(edit):
    data = _tampered(edit)
    with pytest.raises(ValueError, match=CORRUPT):
        skrnn.load(io.BytesIO(data))


def test_a_file_of_a_cell_not_registered_says_to_register_it():
    # The file cannot tell a forged name from a cell of the user's own that
    # this process has not registered (tests/test_nn_custom_cell.py).
    data = _tampered(_set("network", "cell", "transformer"))
    message = r"cell 'transformer' is not registered .* skrnn\.nn\.register_cell"
    with pytest.raises(ValueError, match=message):
        skrnn.load(io.BytesIO(data))


def _regressor_bytes():
    model = skrnn.RNNTextRegressor(**TINY).fit(X, np.arange(len(X), dtype=float))
    return _saved_bytes(model)


def _refused_because(data, reason):
    with pytest.raises(ValueError, match=CORRUPT) as excinfo:
        skrnn.load(io.BytesIO(data))
    assert reason in str(excinfo.value)


def test_the_estimator_name_must_match_the_model():
    metadata, arrays = _read(_saved_bytes())
    metadata["estimator"] = "RNNTextRegressor"
    del metadata["params"]["class_weight"]
    _refused_because(_write(metadata, arrays), "a RNNTextRegressor has no classes")
    metadata, arrays = _read(_regressor_bytes())
    metadata["estimator"] = "RNNTextClassifier"
    metadata["params"]["class_weight"] = None
    _refused_because(_write(metadata, arrays), "classes is not a JSON object")


@pytest.mark.parametrize(
    ("regressor", "head"),
    [(False, "identity"), (True, "softmax"), (True, "logistic")],
)
def test_the_head_must_be_one_of_the_estimators(regressor, head):
    metadata, arrays = _read(_regressor_bytes() if regressor else _saved_bytes())
    metadata["network"]["head"] = head
    _refused_because(_write(metadata, arrays), f"has no {head!r} head")


def test_a_multilabel_classifier_has_label_indices_for_classes():
    metadata, arrays = _read(_saved_bytes())
    metadata["network"]["head"] = "logistic"
    _refused_because(_write(metadata, arrays), "0, 1, ..., n_labels - 1")


def test_a_file_without_settings_added_since_says_to_refit():
    # Files of earlier development versions lack parameters added since;
    # "corrupt" alone would mislead.
    data = _tampered(lambda m, a: m["params"].pop("analyzer"))
    with pytest.raises(ValueError, match=CORRUPT) as excinfo:
        skrnn.load(io.BytesIO(data))
    assert "missing keys ['analyzer']" in str(excinfo.value)
    assert "refit the model and save it again" in str(excinfo.value)


@pytest.mark.parametrize("where", ["params", "vectorizer.params"])
@pytest.mark.parametrize("pattern", ["(", "[a-", r"(\w)(\w)"])
def test_load_refuses_token_patterns_that_make_no_tokenizer(where, pattern):
    def edit(metadata, arrays):
        section = metadata["vectorizer"] if where == "vectorizer.params" else metadata
        section["params"]["token_pattern"] = pattern

    data = _tampered(edit)
    with pytest.raises(ValueError, match=rf"{CORRUPT}: {where}\.token_pattern"):
        skrnn.load(io.BytesIO(data))


#: Parameters of the network or the vocabulary, and a valid value that the
#: model of _saved_bytes was not fitted with.
CHANGED_PARAMS = {
    "cell": "lstm",
    "hidden_size": 999,
    "embedding_dim": 7,
    "num_layers": 2,
    "bidirectional": True,
    "pooling": "last",
    "dtype": {"__dtype__": "float64"},
    "lowercase": False,
    "token_pattern": r"\w+",
    "analyzer": "char",
    "stop_words": "english",
    "min_df": 2,
    "max_features": 3,
    "vocabulary": ["good", "bad"],
    "max_length": 5,
    "truncating": "pre",
}


@pytest.mark.parametrize("name, value", CHANGED_PARAMS.items(), ids=CHANGED_PARAMS)
def test_load_refuses_parameters_the_model_was_not_fitted_with(name, value):
    data = _tampered(lambda m, a: m["params"].update({name: value}))
    section = "architecture" if name in _ARCHITECTURE_PARAMS else "vectorizer.params"
    with pytest.raises(
        ValueError, match=rf"{CORRUPT}: params\.{name} is .*, but {section}\.{name}"
    ):
        skrnn.load(io.BytesIO(data))


def test_load_refuses_vectorizer_parameters_the_estimator_does_not_have():
    data = _tampered(lambda m, a: m["vectorizer"]["params"].update(max_length=5))
    default = RNNTextClassifier().max_length
    with pytest.raises(
        ValueError, match=rf"{CORRUPT}: params\.max_length is {default}"
    ):
        skrnn.load(io.BytesIO(data))


@pytest.mark.parametrize("name, value", CHANGED_PARAMS.items(), ids=CHANGED_PARAMS)
def test_save_refuses_parameters_changed_since_fit(name, value, tmp_path):
    model = _fit()
    fitted = model.get_params()[name]
    model.set_params(**{name: persistence._from_json(value, name)})
    path = tmp_path / "model.skrnn"
    with pytest.raises(ValueError, match=rf"Cannot save: {name} changed since"):
        skrnn.save(model, path)
    assert not path.exists()
    model.set_params(**{name: fitted})
    assert_same_fitted_state(_round_trip(model), model)


def test_save_keeps_training_parameters_changed_since_fit():
    model = _fit()
    changed = {"dropout": 0.4, "max_iter": 7, "learning_rate_init": 0.1, "alpha": 1.0}
    loaded = _round_trip(model.set_params(**changed))
    assert {name: loaded.get_params()[name] for name in changed} == changed
    assert_same_fitted_state(loaded, model)


def test_the_tampering_helpers_keep_a_valid_file_valid():
    loaded = skrnn.load(io.BytesIO(_tampered(lambda m, a: None)))
    assert_array_equal(loaded.predict_proba(X), _fit().predict_proba(X))


def _npy_bytes():
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))
    return buffer.getvalue()


def _replace(name, data):
    return lambda file, members: _archive({**members, name: data})


#: Each makes a broken file out of a valid one and its members.
BROKEN_ARCHIVES = {
    "empty file": lambda file, members: b"",
    "not a zip": lambda file, members: b"hello, world",
    "truncated": lambda file, members: file[: len(file) // 2],
    "truncated end": lambda file, members: file[:-10],
    "missing metadata": lambda file, members: _archive(
        {"arrays.npz": members["arrays.npz"]}
    ),
    "missing arrays": lambda file, members: _archive(
        {"metadata.json": members["metadata.json"]}
    ),
    "extra member": _replace("setup.py", b"import os"),
    "bad JSON": _replace("metadata.json", b'{"format": '),
    "not UTF-8": _replace("metadata.json", b"\xff\xfe"),
    "NaN literal": _replace("metadata.json", b'{"format": NaN}'),
    "JSON list": _replace("metadata.json", b"[]"),
    "arrays not npz": _replace("arrays.npz", b"garbage"),
    "arrays a single npy": lambda file, members: _archive(
        {**members, "arrays.npz": _npy_bytes()}
    ),
}


@pytest.mark.parametrize("break_", BROKEN_ARCHIVES.values(), ids=BROKEN_ARCHIVES.keys())
def test_load_refuses_broken_archives(break_):
    data = _saved_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with pytest.raises(ValueError, match=CORRUPT):
        skrnn.load(io.BytesIO(break_(data, members)))


@pytest.mark.parametrize(
    "make_file, message",
    [
        (lambda data: data, r"got bytes: .*pass io\.BytesIO\(data\)"),
        (lambda data: bytearray(data), r"got bytearray: .*io\.BytesIO\(data\)"),
        (lambda data: io.StringIO(data.decode("latin-1")), r"text file object"),
        (lambda data: 3, r"got int\.$"),
    ],
    ids=["bytes", "bytearray", "text stream", "int"],
)
def test_load_refuses_what_is_neither_a_path_nor_a_binary_file(make_file, message):
    file = make_file(_saved_bytes())
    with pytest.raises(TypeError, match=r"path \(str or os\.PathLike\) or a binary"):
        skrnn.load(file)
    with pytest.raises(TypeError, match=message):
        skrnn.load(file)


def test_load_refuses_unreadable_and_unseekable_file_objects(tmp_path):
    path = tmp_path / "model.skrnn"
    path.write_bytes(_saved_bytes())
    with (
        open(path, encoding="latin-1") as text,
        pytest.raises(TypeError, match="text file object"),
    ):
        skrnn.load(text)
    with (
        open(path, "ab") as append_only,
        pytest.raises(TypeError, match="not open for reading"),
    ):
        skrnn.load(append_only)
    read_end, write_end = os.pipe()
    os.close(write_end)
    with (
        open(read_end, "rb") as pipe,
        pytest.raises(TypeError, match=r"cannot seek: .*io\.BytesIO"),
    ):
        skrnn.load(pipe)


def test_load_of_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        skrnn.load(tmp_path / "missing.skrnn")


def test_load_refuses_newer_format_versions():
    data = _tampered(_set(None, "format_version", FORMAT_VERSION + 1))
    with pytest.raises(ValueError, match="Upgrade skrnn") as info:
        skrnn.load(io.BytesIO(data))
    assert CORRUPT not in str(info.value)


#: Set by _Payload when unpickled: the code a forged file would run.
EXECUTED = []


def _mark_executed():
    EXECUTED.append(True)
    return np.zeros(1)


class _Payload:
    def __reduce__(self):
        return (_mark_executed, ())


def _object_array():
    array = np.empty(1, dtype=object)
    array[0] = _Payload()
    return array


@pytest.mark.parametrize("key", ["weights/head.b_y", "classes_", "extra"])
def test_load_refuses_pickled_objects_without_running_them(key):
    data = _tampered(lambda m, a: a.update({key: _object_array()}))
    EXECUTED.clear()
    with pytest.raises(ValueError, match=f"{CORRUPT}.*pickled Python objects"):
        skrnn.load(io.BytesIO(data))
    assert EXECUTED == []
    # The payload is real: pickle would have run it.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        npz = np.load(io.BytesIO(archive.read("arrays.npz")), allow_pickle=True)
        npz[key]
    assert EXECUTED == [True]
    EXECUTED.clear()


def test_load_refuses_a_pickle_in_place_of_the_arrays():
    data = _saved_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        metadata = archive.read("metadata.json")
    forged = _archive(
        {"metadata.json": metadata, "arrays.npz": pickle.dumps(_Payload())}
    )
    EXECUTED.clear()
    with pytest.raises(ValueError, match=f"{CORRUPT}.*pickled Python objects"):
        skrnn.load(io.BytesIO(forged))
    assert EXECUTED == []


# ----------------------------------------------------------------- versions


def test_load_warns_when_another_skrnn_version_saved_the_file(monkeypatch):
    model = _fit()
    with monkeypatch.context() as patch:
        patch.setattr(persistence, "__version__", "0.0.1")
        data = _saved_bytes(model)
    with pytest.warns(SkrnnVersionWarning, match="skrnn 0.0.1") as record:
        loaded = skrnn.load(io.BytesIO(data))
    (warning,) = record
    assert warning.message.original_version == "0.0.1"
    assert warning.message.current_version == skrnn.__version__
    assert isinstance(warning.message, UserWarning)
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_load_of_the_same_version_does_not_warn():
    data = _saved_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        skrnn.load(io.BytesIO(data))


#: Model files saved by skrnn at 2c130fb, and what that version predicted.
OLD_FILES = Path(__file__).parent / "data"
OLD_MODELS = json.loads((OLD_FILES / "models_2c130fb.json").read_text())


@pytest.mark.parametrize("solver", sorted(OLD_MODELS["models"]))
def test_files_of_2c130fb_load_with_the_estimators_names(solver):
    # Those files call SGD's learning_rate and nesterovs_momentum lr_schedule
    # and nesterov, and the learning rate of the last step learning_rate; and
    # their optimizer_params hold all nine optimizer parameters.
    entry = OLD_MODELS["models"][solver]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkrnnVersionWarning)
        model = skrnn.load(OLD_FILES / entry["file"])
    assert_allclose(
        model.predict_proba(OLD_MODELS["X"]), entry["predict_proba"], rtol=1e-6
    )
    params = RNNTextClassifier(**entry["params"]).get_params()
    names = OPTIMIZERS[solver].hyperparameters
    assert model._fitted.optimizer.get_hyperparameters() == {
        name: params[name] for name in names
    }
    fitted = model._fitted.fitted_params
    assert {
        name: fitted[name] for name in fitted if name not in _ARCHITECTURE_PARAMS
    } == {
        "solver": solver,
        **{name: params[name] for name in names},
    }
    if solver == "sgd":  # invscaling, after t_ documents
        last = params["learning_rate_init"] / (model.t_ + 1) ** params["power_t"]
    else:  # Adam's bias-corrected step size after t updates
        t = model._fitted.optimizer.t
        last = (
            params["learning_rate_init"]
            * (1 - params["beta_2"] ** t) ** 0.5
            / (1 - params["beta_1"] ** t)
        )
    assert model._fitted.optimizer.current_learning_rate == pytest.approx(
        last, rel=1e-12
    )
    # Saved again, the model is written in today's names, and trains on.
    assert_same_fitted_state(_round_trip(model), model)
    metadata, _ = _read(_saved_bytes(model))
    assert list(metadata["optimizer"]["hyperparameters"]) == list(names)
    model.partial_fit(X, Y)
    assert model.n_iter_ == OLD_MODELS["fit_params"]["max_iter"] + 1


def test_classifier_pickles_with_the_skrnn_version():
    assert issubclass(RNNTextClassifier, VersionedPickleMixin)
    model = _fit()
    assert model.__getstate__()["_skrnn_version"] == skrnn.__version__
    assert "_skrnn_version" not in vars(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pickle.loads(pickle.dumps(model))
        copied = copy.deepcopy(model)
        clone(model)
    assert "_skrnn_version" not in vars(loaded)
    for other in (loaded, copied):
        assert_array_equal(other.predict_proba(X), model.predict_proba(X))


def test_unpickling_with_another_skrnn_version_warns(monkeypatch):
    model = _fit()
    data = pickle.dumps(model)
    monkeypatch.setattr(versioning, "__version__", "9.9.9")
    saved_with = f"saved with skrnn {re.escape(skrnn.__version__)}"
    with pytest.warns(SkrnnVersionWarning, match=saved_with) as record:
        loaded = pickle.loads(data)
    assert record[0].message.current_version == "9.9.9"
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_unpickling_a_pickle_without_version_warns():
    state = _fit().__getstate__()
    del state["_skrnn_version"]
    model = RNNTextClassifier.__new__(RNNTextClassifier)
    with pytest.warns(SkrnnVersionWarning, match="unknown"):
        model.__setstate__(state)
    assert model.predict(X).shape == (len(X),)


class _Plain(VersionedPickleMixin):
    """The mixin also works without scikit-learn's BaseEstimator after it."""

    def __init__(self):
        self.value = 3


def test_mixin_on_a_plain_class(monkeypatch):
    data = pickle.dumps(_Plain())
    assert pickle.loads(data).value == 3
    monkeypatch.setattr(versioning, "__version__", "9.9.9")
    with pytest.warns(SkrnnVersionWarning):
        assert pickle.loads(data).value == 3


@pytest.mark.parametrize("solver", sorted(OLD_MODELS["models"]))
def test_format_1_files_load_with_a_softmax_head(solver):
    # Format 1 knew the softmax head only, and called its width n_classes.
    entry = OLD_MODELS["models"][solver]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkrnnVersionWarning)
        model = skrnn.load(OLD_FILES / entry["file"])
    with zipfile.ZipFile(OLD_FILES / entry["file"]) as archive:
        old = json.loads(archive.read("metadata.json"))
    assert old["format_version"] == 1
    assert model._fitted.config.head == "softmax"
    assert model._fitted.config.n_outputs == old["network"]["n_classes"]
    buffer = io.BytesIO()
    skrnn.save(model, buffer)
    with zipfile.ZipFile(buffer) as archive:
        metadata = json.loads(archive.read("metadata.json"))
    assert metadata["format_version"] == FORMAT_VERSION == 2
    assert metadata["network"]["n_outputs"] == old["network"]["n_classes"]
    assert "n_classes" not in metadata["network"]
