"""Tests for skrnn._persistence: safe save and load, and versioned pickles.

Round trips first (predictions, fitted state, parameters, labels), then
training continued after a load, then what save refuses, then files that
load must refuse (broken archives, tampered metadata and arrays, pickle
payloads), then versions, in model files and in pickles.
"""

import collections
import copy
import dataclasses
import errno
import gc
import gzip
import io
import json
import os
import pickle
import re
import stat
import subprocess
import sys
import threading
import tracemalloc
import warnings
import zipfile
import zlib
from pathlib import Path

import _model_files
import joblib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import skrnn
import skrnn._ngrams as ngrams_module
import skrnn._persistence as persistence
import skrnn._text as _text
import skrnn._versioning as versioning
from skrnn import RNNTextClassifier, RNNTextRegressor, SequenceVectorizer
from skrnn._base import _ARCHITECTURE_PARAMS
from skrnn._optimizers import OPTIMIZERS
from skrnn._persistence import FORMAT, FORMAT_VERSION
from skrnn._versioning import SkrnnVersionWarning, VersionedPickleMixin
from skrnn.datasets import load_toy_sentiment
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
    """A tiny classifier; a companion (of words only) when given ``ngram_range``."""
    params = {**TINY, "ngram_range": None, "char_ngram_range": None, **params}
    return RNNTextClassifier(**params).fit(X, y)


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


def test_round_trip_of_labels_that_are_numpy_strings_in_an_object_array():
    # A prober's finding: fit took them (numpy.str_ is a str), and save
    # refused them after training, "a plain array of ... strings".
    y = np.array([np.str_(label) for label in Y], dtype=object)
    model = _fit(y=y)
    loaded = _round_trip(model)
    assert loaded.classes_.dtype == object
    assert loaded.classes_.tolist() == model.classes_.tolist()
    assert [type(c) for c in loaded.classes_] == [str, str]
    assert_array_equal(loaded.predict(X), model.predict(X))
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


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


def test_a_large_vocabulary_mapping_round_trips():
    # Regression: a mapping of 12,000 words, saved as 2 lists a word in over a
    # megabyte of metadata, was refused by load as more lists than a model has.
    words = ["good", "bad", *(f"w{i}" for i in range(11_998))]
    model = _fit(vocabulary={word: i + 2 for i, word in enumerate(words)})
    members = _model_files.read_members(_saved_bytes(model))
    assert len(members["metadata.json"]) > persistence._CONTAINERS_CHECKED_FROM
    loaded = _round_trip(model)
    assert loaded.vectorizer_.vocabulary_ == model.vectorizer_.vocabulary_
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


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
    buffer = io.BytesIO()
    skrnn.save(model, buffer)
    loaded = skrnn.load(io.BytesIO(buffer.getvalue()), trusted=["embeddings"])
    assert loaded.embeddings == str(path)
    assert_same_fitted_state(loaded, model)


def test_model_fitted_with_early_stopping_and_partial_fit():
    for model in (
        _fit(early_stopping=True, validation_fraction=0.25, max_iter=3),
        RNNTextClassifier(**TINY, ngram_range=None).partial_fit(
            X, Y, classes=["neg", "pos"]
        ),
        _fit(vocabulary={"good": 2, "bad": 3}),
    ):
        assert_same_fitted_state(_round_trip(model), model)


def test_documented_format_version_is_the_written_one():
    # The format's specification and save's Notes name the version written
    # (they said 10 and 2 when files were of version 12).
    module_doc = persistence.__doc__
    assert f"File format, version {FORMAT_VERSION}\n" in module_doc
    assert f"``format_version``\n        ``{FORMAT_VERSION}``." in module_doc
    assert f"and version ({FORMAT_VERSION})," in " ".join(skrnn.save.__doc__.split())


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
    assert metadata["format_version"] == FORMAT_VERSION == 14
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
    {"learning_rate": "constant"},
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
    # partial_fit refuses early_stopping=True: it has no held-out set; and
    # a cosine schedule of 4 epochs has 2 to go, where the file left it.
    for estimator in (model, loaded):
        estimator.set_params(early_stopping=False, max_iter=4).partial_fit(X, Y)
    assert_same_fitted_state(loaded, model)


@pytest.mark.parametrize("params", CONTINUATIONS, ids=str)
def test_warm_start_after_load_continues_as_without_saving(params):
    model = _fit(**params)
    loaded = _round_trip(model)
    for estimator in (model, loaded):
        estimator.set_params(warm_start=True, max_iter=2).fit(X, Y)
    assert_same_fitted_state(loaded, model)
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw"])
def test_the_cosine_schedule_is_saved_where_it_is(solver):
    model = _fit(solver=solver, learning_rate="cosine", batch_size=3)
    model.set_params(max_iter=5)  # 2 of 5 epochs done: partial_fit goes on
    loaded = _round_trip(model)
    pickled = pickle.loads(pickle.dumps(model))
    for estimator in (model, loaded, pickled):
        assert estimator._fitted.optimizer.schedule_epoch == 2
        estimator.partial_fit(X, Y)
    assert_same_fitted_state(loaded, model)
    assert_same_fitted_state(pickled, model)


def test_max_iter_auto_is_saved_and_only_that_spelling_loads():
    model = _fit(max_iter="auto")
    loaded = _round_trip(model)
    assert loaded.max_iter == "auto"
    # partial_fit at learning_rate_init, on the loaded model as on the other
    for estimator in (model, loaded):
        estimator.partial_fit(X, Y)
    assert_same_fitted_state(loaded, model)
    for spelt in ("AUTO", "auto ", ""):
        _refused_because(
            _tampered(_set("params", "max_iter", spelt), model), "max_iter"
        )


def test_a_cosine_schedule_run_to_its_end_saves_its_rate_of_0():
    model = _fit(solver="adam", learning_rate="cosine", max_iter=1)
    with pytest.warns(UserWarning, match="learning rate of 0"):
        model.partial_fit(X, Y)
    assert model._fitted.optimizer.current_learning_rate == 0.0
    loaded = _round_trip(model)
    assert loaded._fitted.optimizer.current_learning_rate == 0.0
    # ... which no other schedule reaches
    _refused_because(
        _tampered(
            lambda m, a: m["optimizer"]["scalars"].update(current_learning_rate=0.0),
            _fit(learning_rate="constant"),
        ),
        "optimizer.scalars.current_learning_rate is 0.0",
    )


@pytest.mark.parametrize("n_estimators", [1, 2])
def test_a_version_5_file_loads_adam_with_the_constant_schedule(n_estimators):
    model = _fit(n_estimators=n_estimators, learning_rate="constant")  # adam
    metadata, arrays = _read(_saved_bytes(model))
    assert metadata["optimizer_params"]["learning_rate"] == "constant"
    del metadata["optimizer_params"]["learning_rate"]
    for member in [metadata, *metadata["members"]]:
        del member["optimizer"]["hyperparameters"]["learning_rate"]
    _refused_because(
        _write(metadata, arrays), "optimizer_params has missing keys ['learning_rate']"
    )
    del metadata["params"]["ngram_blend"]
    _before_characters(metadata)
    metadata["format_version"] = 5
    loaded = skrnn.load(io.BytesIO(_write(metadata, arrays)))
    assert loaded._fitted.optimizer.learning_rate == "constant"
    assert_same_fitted_state(loaded, model)
    for estimator in (model, loaded):
        estimator.partial_fit(X, Y)
    assert_same_fitted_state(loaded, model)


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


def _replace_a_weight(model):
    model.weights_["head.b_y"] = np.zeros(7)


def _nan_weight(model):
    model.weights_["head.b_y"][0] = np.nan


def _word_that_is_not_a_string(model):
    vocabulary = model.vectorizer_.vocabulary_
    vocabulary[("good",)] = vocabulary.pop("good")


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (_replace_a_weight, r"weight 'head\.b_y' is a float64 array of shape \(7,\)"),
        (_nan_weight, r"weight 'head\.b_y' holds NaN or infinite values"),
        (_word_that_is_not_a_string, "vectorizer.vocabulary must be a list of str"),
    ],
    ids=["weight of another shape", "NaN weight", "word not a str"],
)
def test_save_refuses_a_model_that_load_would_refuse(tamper, reason, tmp_path):
    # Regression: save wrote the file, load refused it: the model that was
    # at the path was replaced by one that cannot be read.
    path = tmp_path / "model.skrnn"
    before = _model_at(path)
    model = _fit()
    tamper(model)
    with pytest.raises(ValueError, match=rf"^Cannot save: .*\({reason}.*Refit"):
        skrnn.save(model, path)
    assert path.read_bytes() == before


# ------------------------------------------------------------ atomic saves

#: A python that imports this skrnn, running the fault injections of
#: _model_files in a process of their own.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(skrnn.__file__)))
FAULT_SCRIPT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "_model_files.py"
)


def _inject(*args):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, FAULT_SCRIPT, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _big_model(n_words=5000, random_state=0):
    """A model of a few MB, fitted in a few milliseconds: its saves take a while."""
    words = ["good", "bad"] + [f"w{i}" for i in range(n_words)]
    return _fit(
        vocabulary=words,
        embedding_dim=32,
        hidden_size=8,
        max_iter=1,
        random_state=random_state,
    )


def _model_at(path):
    skrnn.save(_fit(), path)
    return path.read_bytes()


def test_save_round_trips_a_vocabulary_with_lone_surrogates(tmp_path):
    # Regression: text decoded with surrogateescape raised UnicodeEncodeError
    # after the file was opened, leaving an empty 22-byte ZIP in place of the
    # model that was there.
    path = tmp_path / "model.skrnn"
    _model_at(path)
    documents = [
        text.encode("latin-1").decode("utf-8", "surrogateescape")
        for text in ["café good", "bad crème", "good", "bad"] * 2
    ]
    model = _fit(X=documents)
    assert any("\udce9" in word for word in model.vectorizer_.vocabulary_)
    skrnn.save(model, path)
    loaded = skrnn.load(path)
    assert loaded.vectorizer_.vocabulary_ == model.vectorizer_.vocabulary_
    assert_array_equal(loaded.predict_proba(documents), model.predict_proba(documents))


def test_save_refuses_a_surrogate_pair_before_touching_the_file(tmp_path):
    path = tmp_path / "model.skrnn"
    old = _model_at(path)
    # Two code points that JSON would read back as the one character U+1F600.
    model = _fit(X=["\ud83d\ude00 good", "bad"] * 4, token_pattern=r"\S+")
    with pytest.raises(ValueError, match=r"surrogate pair '\\ud83d\\ude00'"):
        skrnn.save(model, path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["model.skrnn"]


def _interrupt_between_members(monkeypatch):
    writestr = zipfile.ZipFile.writestr

    def interrupted(self, info, data, *args, **kwargs):
        if info.filename == "arrays.npz":
            raise KeyboardInterrupt
        return writestr(self, info, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", interrupted)


def _interrupt_while_a_member_opens(monkeypatch):
    # zipfile marks the archive as writing a member, then makes the member's
    # file: Ctrl-C in between made closing the archive raise a ValueError
    # ("Can't close the ZIP file while there is an open writing handle")
    # in place of the KeyboardInterrupt.
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(zipfile, "_ZipWriteFile", interrupted)


@pytest.mark.parametrize(
    "interrupt", [_interrupt_between_members, _interrupt_while_a_member_opens]
)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_interrupted_save_leaves_the_old_model(interrupt, tmp_path, monkeypatch):
    # Regression: a second Ctrl-C during the save left only metadata.json.
    path = tmp_path / "model.skrnn"
    old = _model_at(path)
    interrupt(monkeypatch)
    with pytest.raises(KeyboardInterrupt) as info:
        skrnn.save(_fit(hidden_size=5), path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["model.skrnn"]
    # The interrupted archive cannot be closed: zipfile says so when it is
    # collected, here rather than in another test.
    del info
    gc.collect()


#: Faults injected into saves by one process (a few seconds to start).
FAULT_COUNTS = {"kills": 8, "terms": 2, "interrupts": 5, "concurrent": 3}


@pytest.fixture(scope="module")
def faults(tmp_path_factory):
    """Saves that replace a small model with big ones, and their faults."""
    folder = tmp_path_factory.mktemp("faults")
    files = [folder / f"{name}.skrnn" for name in ("old", "new", "other")]
    models = [_fit(), _big_model(), _big_model(n_words=2500, random_state=1)]
    for model, file in zip(models, files, strict=True):
        skrnn.save(model, file)
    options = [f"--{name}={count}" for name, count in FAULT_COUNTS.items()]
    return _inject(folder / "saves", *files, *options, "--max-delay", 0.3)


def test_a_full_disk_leaves_the_old_model(faults):
    # Regression: a write that failed half-way left a truncated file.
    assert faults["full disk"] == {
        "error": {"type": "OSError", "errno": errno.EFBIG},
        "temporaries": [],
        "intact": True,
    }


@pytest.mark.parametrize(
    "option, fault",
    [
        ("kills", "kill -9"),
        ("terms", "kill -TERM"),
        ("interrupts", "Ctrl-C"),
        ("concurrent", "concurrent"),
    ],
)
def test_faulty_saves_leave_one_of_the_models(option, fault, faults):
    # Regression: kill -9 or -TERM during a save left a 0-byte or truncated
    # file, a second Ctrl-C only metadata.json, and two saves at once a file
    # with a bad CRC.
    outcomes = faults[fault]
    left = sum(outcomes.get(str(index), 0) for index in range(3))
    assert left == FAULT_COUNTS[option], outcomes
    assert "other" not in outcomes
    assert outcomes.get("failed saves", 0) == 0
    if fault in ("Ctrl-C", "concurrent"):  # the process lives on and cleans up
        assert outcomes.get("temporary left", 0) == 0


def test_concurrent_saves_to_one_path(tmp_path):
    # Regression: two saves at once gave "Bad CRC-32", and both models were lost.
    models = [_big_model(), _big_model(n_words=2500, random_state=1)]
    expected = [_saved_bytes(model) for model in models]
    path = tmp_path / "model.skrnn"
    barrier = threading.Barrier(len(models))
    errors = []

    def save(model):
        try:
            barrier.wait()
            skrnn.save(model, path)
        except BaseException as exc:
            errors.append(exc)

    for _ in range(10):
        threads = [threading.Thread(target=save, args=(model,)) for model in models]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        one_of_them = path.read_bytes() in expected
        assert one_of_them
        assert os.listdir(tmp_path) == ["model.skrnn"]


def test_save_to_a_device_writes_in_place():
    # A device cannot be replaced: as root, os.replace would put a regular
    # file in place of /dev/null.
    skrnn.save(_fit(), os.devnull)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_save_to_a_file_opened_for_appending(tmp_path):
    # Regression: zipfile's seeks back to complete each member's header were
    # written at the end of the file, which load then refused as damaged.
    model = _fit()
    path = tmp_path / "model.skrnn"
    with open(path, "ab") as file:
        skrnn.save(model, file)
    assert path.read_bytes() == _saved_bytes(model)
    assert_array_equal(skrnn.load(path).predict_proba(X), model.predict_proba(X))


def test_models_saved_one_after_another_to_a_file_load_one_after_another(tmp_path):
    # Regression (a prober's finding): load read the archive that ends the
    # file, the last model of the stream, whatever the file's position: the
    # first load gave the second model, silently.
    first = _fit()
    second = RNNTextRegressor(**TINY).fit(X, np.arange(len(X), dtype=float))
    path = tmp_path / "models.skrnn"
    with open(path, "wb") as file:
        skrnn.save(first, file)
        skrnn.save(second, file)
    with open(path, "rb") as file:
        loaded = skrnn.load(file), skrnn.load(file)
        assert [type(model) for model in loaded] == [
            RNNTextClassifier,
            RNNTextRegressor,
        ]
        assert file.read() == b""
    assert_array_equal(loaded[0].predict_proba(X), first.predict_proba(X))
    assert_array_equal(loaded[1].predict(X), second.predict(X))
    # a model followed by other data is left where that begins
    with open(path, "ab") as file:
        file.write(b"other data")
    with open(path, "rb") as file:
        assert type(skrnn.load(file)) is RNNTextClassifier
        assert type(skrnn.load(file)) is RNNTextRegressor
        assert file.read() == b"other data"


class _CountedReads(io.BytesIO):
    """An in-memory file that counts the bytes read from it."""

    n_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.n_read += len(data)
        return data


def test_load_reads_the_ends_of_a_large_file_that_is_not_a_model():
    # Regression: looking for the end of the archive at the position read
    # the whole of any file whose last bytes were not a model's end (6.6 s
    # for a 2 GB file passed by mistake): zipfile reads its end alone.
    file = _CountedReads(bytes(8 << 20))
    with pytest.raises(ValueError, match=r"^not a skrnn model file"):
        skrnn.load(file)
    assert file.n_read < 1 << 17


def test_the_end_of_a_model_is_found_among_many_false_ends():
    # A model's first entry followed by a million end-record signatures (a
    # hostile file) is scanned with numpy: 0.2 s a MB one by one in Python.
    model = _saved_bytes(_fit())
    signatures = b"PK\x05\x06" * (1 << 18)
    with pytest.raises(ValueError, match=CORRUPT):
        skrnn.load(io.BytesIO(model[:-22] + signatures))
    file = io.BytesIO(model + signatures)
    assert type(skrnn.load(file)) is RNNTextClassifier
    assert file.tell() == len(model)


@pytest.mark.parametrize("scan_size", [1, 7, 22])
def test_the_end_of_a_model_is_found_across_the_blocks_of_the_scan(
    monkeypatch, scan_size
):
    # The end record of the first model may straddle two blocks, or start
    # on the last byte of one. Regression: then the scan left the file where
    # the model ends, which load took for the end of the file, and the first
    # model of a stream of models of n MiB + 21 bytes loaded as the last.
    monkeypatch.setattr(persistence, "_SCAN_SIZE", scan_size)
    model = _saved_bytes(_fit())
    file = io.BytesIO(model + model)
    assert type(skrnn.load(file)) is RNNTextClassifier
    assert file.tell() == len(model)


def test_a_stream_read_to_its_end_loads_no_model_again():
    # Regression: zipfile reads the archive that ends the file, wherever the
    # file object is: at the end of a stream, or inside its last model, load
    # gave the last model again (a loop loading until an error never ended).
    model = _saved_bytes(_fit())
    file = io.BytesIO(model + model)
    for _ in range(2):
        assert type(skrnn.load(file)) is RNNTextClassifier
    assert file.tell() == 2 * len(model)
    with pytest.raises(ValueError, match=r"^not a skrnn model file: nothing follows"):
        skrnn.load(file)
    assert file.tell() == 2 * len(model)
    for position in (len(model) + 1, 2 * len(model) - 1):
        file.seek(position)
        with pytest.raises(ValueError, match=r"^not a skrnn model file: no model"):
            skrnn.load(file)
        assert file.tell() == position


class _ReadSeekTell:
    """A file object that only reads, seeks and tells, as duck-typed ones do."""

    def __init__(self, data):
        self._file = io.BytesIO(data)
        self.read, self.seek, self.tell = (
            self._file.read,
            self._file.seek,
            self._file.tell,
        )


def test_load_reads_a_file_object_without_seekable():
    # Regression (a prober's finding): zipfile calls seekable(), which a
    # duck-typed file object may lack: AttributeError rather than the model.
    model = _saved_bytes(_fit())
    for data in (model, model + model):
        file = _ReadSeekTell(data)
        assert type(skrnn.load(file)) is RNNTextClassifier
        assert file.tell() == len(model)


def test_the_first_model_of_a_stream_loads_without_a_copy_of_its_archive():
    # Regression: it was read through io.BytesIO(file.read(...)), a copy of
    # the whole archive beside the members that zipfile reads from it.
    data = _saved_bytes(_fit(embedding_dim=300, hidden_size=256))  # 5 MB
    files = io.BytesIO(data), io.BytesIO(data + data)
    alone, first = (_peak_memory(lambda f=file: skrnn.load(f)) for file in files)
    assert first < alone + len(data) / 2


class _ShortWrites(io.RawIOBase):
    """A raw stream that writes at most ``limit`` bytes a call, as raw
    streams may (a socket's unbuffered file with a timeout)."""

    def __init__(self, limit):
        self.limit, self.data = limit, bytearray()

    def writable(self):
        return True

    def write(self, b):
        chunk = bytes(b)[: self.limit]
        self.data += chunk
        return len(chunk)


def test_save_to_a_stream_that_writes_part_of_each_call():
    # Regression: the part a short write left was missing from the file,
    # silently: load refused it as damaged.
    model = _fit()
    stream = _ShortWrites(1000)
    skrnn.save(model, stream)
    assert bytes(stream.data) == _saved_bytes(model)


def test_save_to_a_stream_that_writes_nothing_is_an_error():
    with pytest.raises(OSError, match="wrote 0 of the"):
        skrnn.save(_fit(), _ShortWrites(0))


def test_save_through_a_symlink_replaces_its_target(tmp_path):
    target = tmp_path / "models" / "v1.skrnn"
    target.parent.mkdir()
    _model_at(target)
    link = tmp_path / "current.skrnn"
    link.symlink_to(target)
    model = _fit(hidden_size=5)
    skrnn.save(model, link)
    assert link.is_symlink()
    assert target.read_bytes() == _saved_bytes(model)


def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "model.skrnn"
    _model_at(path)
    path.chmod(0o640)
    skrnn.save(_fit(hidden_size=5), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    new = tmp_path / "new.skrnn"
    skrnn.save(_fit(), new)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask


def test_save_keeps_a_read_only_file(tmp_path):
    # A prober's finding: os.replace needs only the folder's permission, so
    # save replaced a model made read-only to keep it (open(path, "wb"),
    # pickle and joblib refuse), through a symbolic link too.
    path = tmp_path / "model.skrnn"
    before = _model_at(path)
    path.chmod(0o444)
    link = tmp_path / "link.skrnn"
    link.symlink_to(path)
    for where in (path, link):
        with pytest.raises(PermissionError, match="read-only") as info:
            skrnn.save(_fit(hidden_size=5), where)
        assert info.value.filename == str(where)
        assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.skrnn", "model.skrnn"]
    path.chmod(0o644)
    skrnn.save(_fit(hidden_size=5), path)
    assert path.read_bytes() != before


def test_save_to_a_missing_folder_names_the_path(tmp_path):
    path = tmp_path / "missing" / "model.skrnn"
    with pytest.raises(FileNotFoundError) as info:
        skrnn.save(_fit(), path)
    assert info.value.filename == str(path)


def test_save_under_a_file_names_the_path(tmp_path, monkeypatch):
    # Regression (a prober's finding): NotADirectoryError named the resolved
    # path ('/home/me/data.csv/model.skrnn'), not the one given.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("text,label\n")
    with pytest.raises(NotADirectoryError) as info:
        skrnn.save(_fit(), os.path.join("data.csv", "model.skrnn"))
    assert info.value.filename == os.path.join("data.csv", "model.skrnn")


def test_save_to_an_empty_path_is_refused_as_open_refuses_it(tmp_path, monkeypatch):
    # Regression (a prober's finding): realpath("") is the current folder, so
    # save(model, "") raised IsADirectoryError naming that folder.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        skrnn.save(_fit(), "")
    assert info.value.filename == ""
    assert list(tmp_path.iterdir()) == []


def test_save_to_a_path_that_ends_with_a_separator_writes_no_file(tmp_path):
    # Regression: the separator was dropped, and save wrote a file named
    # like the folder meant ("models/" made a file "models"), or replaced the
    # file "model.skrnn" given as "model.skrnn/"; open() refuses both.
    model = _fit()
    with pytest.raises(IsADirectoryError) as info:
        skrnn.save(model, f"{tmp_path / 'models'}{os.sep}")
    assert info.value.filename == f"{tmp_path / 'models'}{os.sep}"
    assert not (tmp_path / "models").exists()
    path = tmp_path / "model.skrnn"
    _model_at(path)
    before = path.read_bytes()
    with pytest.raises(IsADirectoryError):
        skrnn.save(_fit(hidden_size=5), f"{path}{os.sep}")
    assert path.read_bytes() == before


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


def _tampered(edit, model=None):
    metadata, arrays = _read(_saved_bytes(model))
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


#: Each tampering, and the reason that load must give (after CORRUPT).
TAMPERINGS = {
    "missing weight": (
        lambda m, a: a.pop("weights/head.b_y"),
        r"the network configuration needs more weights than the 164 the file holds",
    ),
    "renamed weight": (
        lambda m, a: a.update({"weights/head.b_z": a.pop("weights/head.b_y")}),
        r"the weights do not match the network: missing \['head\.b_y'\], "
        r"unexpected \['head\.b_z'\]",
    ),
    "extra weight": (
        lambda m, a: a.update({"weights/head.W_extra": np.zeros(2)}),
        r"the weights do not match .* unexpected \['head\.W_extra'\]",
    ),
    "extra array": (
        lambda m, a: a.update({"notes": np.zeros(2)}),
        r"arrays\.npz holds unexpected arrays \['notes'\]",
    ),
    "missing classes": (
        lambda m, a: a.pop("classes_"),
        r"arrays\.npz has no 'classes_' array",
    ),
    "missing optimizer array": (
        lambda m, a: a.pop("optimizer/ms.head.b_y"),
        r"optimizer: .*missing keys \['ms\.head\.b_y'\]",
    ),
    "wrong shape": (
        _edit_array("weights/head.W_hy", lambda w: w.T.copy()),
        r"weight 'head\.W_hy' is a float32 array of shape \(2, 4\); the network "
        r"needs float32 of shape \(4, 2\)",
    ),
    "wrong optimizer shape": (
        _edit_array("optimizer/vs.embed.E", lambda w: w[:3]),
        r"optimizer array 'vs\.embed\.E' is a float32 array of shape \(3, 4\)",
    ),
    "wrong dtype": (
        _edit_array("weights/embed.E", lambda w: w.astype(np.float64)),
        r"weight 'embed\.E' is a float64 array .*needs float32",
    ),
    "NaN weight": (
        _edit_array("weights/layer0.fwd.W_hh", _nan_at_origin),
        r"weight 'layer0\.fwd\.W_hh' holds NaN or infinite values",
    ),
    "NaN optimizer state": (
        _edit_array("optimizer/ms.head.W_hy", _nan_at_origin),
        r"optimizer array 'ms\.head\.W_hy' holds NaN or infinite values",
    ),
    "unsorted classes": (
        _edit_array("classes_", lambda c: c[::-1]),
        r"classes_ must hold at least 2 distinct labels, sorted",
    ),
    "2-D classes": (
        _edit_array("classes_", lambda c: c[:, None]),
        r"classes_ is a 2-D <U3 array",
    ),
    "missing key": (
        lambda m, a: m.pop("rng"),
        r"metadata\.json has missing keys \['rng'\]",
    ),
    "extra key": (
        _set(None, "code", "import os"),
        r"metadata\.json has .*unexpected keys \['code'\]",
    ),
    "wrong format": (
        _set(None, "format", "other-model"),
        r"format is 'other-model', not 'skrnn-model'",
    ),
    "format_version as str": (
        _set(None, "format_version", "1"),
        r"format_version is '1', not an int >= 1",
    ),
    "other estimator": (
        _set(None, "estimator", "MLPClassifier"),
        r"estimator is 'MLPClassifier', not one of \['RNNTextClassifier', "
        r"'RNNTextRegressor'\]",
    ),
    "bad dtype": (
        _set(None, "dtype", "float16"),
        r"dtype is 'float16', not one of",
    ),
    "section not an object": (
        _set(None, "attributes", 3),
        r"attributes is not a JSON object",
    ),
    "invalid parameter": (
        _set("params", "cell", "evil"),
        r"invalid parameter: The 'cell' parameter of RNNTextClassifier",
    ),
    "unknown parameter": (
        _set("params", "evil", 1),
        r"params has .*unexpected keys \['evil'\]",
    ),
    "missing parameter": (
        lambda m, a: m["params"].pop("alpha"),
        r"params has missing keys \['alpha'\]",
    ),
    "unknown tag": (
        _set("params", "alpha", {"__code__": "os.system('ls')"}),
        r"params\.alpha: unknown or malformed tag '__code__'",
    ),
    "plain JSON object": (
        _set("params", "vocabulary", {"good": 2}),
        r"params\.vocabulary: unknown or malformed tag 'good'",
    ),
    "object dtype tag": (
        _set("params", "dtype", {"__dtype__": "object"}),
        r"params\.dtype: unknown or malformed tag '__dtype__'",
    ),
    "unknown dtype": (
        _set("params", "dtype", "evil"),
        r"invalid parameter: The 'dtype' parameter of RNNTextClassifier must be "
        r".*Got 'evil' instead",
    ),
    "dtype with a lone surrogate": (
        _set("params", "dtype", "caf\udce9"),
        r"invalid parameter: The 'dtype' parameter .*Got 'caf\\udce9' instead",
    ),
    "unknown vectorizer dtype": (
        lambda m, a: m["vectorizer"]["params"].update(dtype="evil"),
        r"vectorizer\.params\.dtype is not a dtype",
    ),
    "unhashable set member": (
        _set("params", "stop_words", {"__set__": [["a"]]}),
        r"params\.stop_words: unhashable type: 'list'",
    ),
    "unhashable dict key": (
        _set("params", "class_weight", {"__dict__": [[["a"], 1.0]]}),
        r"params\.class_weight: unhashable type: 'list'",
    ),
    "wider network": (
        _set("network", "hidden_size", 5),
        r"the network configuration needs more weights than the 166 the file holds",
    ),
    "narrower network": (
        _set("network", "hidden_size", 3),
        r"weight 'layer0\.fwd\.W_xh' is a float32 array of shape \(4, 12\); "
        r"the network needs float32 of shape \(4, 9\)",
    ),
    "huge network": (
        _set("network", "hidden_size", 10**9),
        r"the network configuration needs more weights than the \d+ the file holds",
    ),
    "deep network": (
        _set("network", "num_layers", 10**9),
        r"the network configuration needs more weights than the \d+ the file holds",
    ),
    "cell as a list": (
        _set("network", "cell", ["gru"]),
        r"network\.cell is \['gru'\], not a name",
    ),
    "head as list": (
        _set("network", "head", ["softmax"]),
        r"network\.head is \['softmax'\], not a name",
    ),
    "bool as int": (
        _set("network", "bidirectional", 0),
        r"network: bidirectional must be a bool; got 0\.",
    ),
    "unbalanced token pattern": (
        lambda m, a: m["vectorizer"]["params"].update(token_pattern="("),
        r"vectorizer\.params\.token_pattern '\(' is not a usable regular expression",
    ),
    "token pattern of two groups": (
        lambda m, a: m["vectorizer"]["params"].update(token_pattern=r"(\w)(\w)"),
        r"vectorizer\.params\.token_pattern .* is not a usable regular expression",
    ),
    "token pattern of a huge repeat": (
        lambda m, a: m["params"].update(token_pattern="a{99999999999}"),
        r"params\.token_pattern .* is not a usable regular expression",
    ),
    "fewer words": (
        lambda m, a: m["vectorizer"]["vocabulary"].pop(),
        r"network has n_vocab=11 .* but the vocabulary has 10 ids",
    ),
    "duplicate words": (
        lambda m, a: m["vectorizer"]["vocabulary"].append("good"),
        r"vectorizer\.vocabulary has duplicate words",
    ),
    "architecture mismatch": (
        lambda m, a: m["architecture"].update(cell="lstm"),
        r"architecture\.cell is 'lstm', but the network has 'gru'",
    ),
    "architecture embedding_dim": (
        lambda m, a: m["architecture"].update(embedding_dim=7),
        r"architecture\.embedding_dim is 7, but the network has 4",
    ),
    "architecture dtype unknown": (
        lambda m, a: m["architecture"].update(dtype="evil"),
        r"architecture\.dtype is not a dtype",
    ),
    "unknown solver": (
        lambda m, a: m["optimizer"].update(solver="lbfgs"),
        r"optimizer\.solver is 'lbfgs', but optimizer_params make a AdamOptimizer",
    ),
    "solver as a list": (
        lambda m, a: m["optimizer"].update(solver=["adam"]),
        r"optimizer\.solver is \['adam'\], but optimizer_params make a",
    ),
    # Regression: a TypeError (unhashable type: 'list'), not a ValueError.
    "optimizer_params solver as a list": (
        lambda m, a: m["optimizer_params"].update(solver=["adam"]),
        r"optimizer_params\.solver is \['adam'\], not one of",
    ),
    "solver of another optimizer": (
        lambda m, a: m["optimizer"].update(solver="sgd"),
        r"optimizer\.solver is 'sgd', but optimizer_params make a AdamOptimizer",
    ),
    "solver mismatch": (
        lambda m, a: m["optimizer_params"].update(solver="sgd"),
        r"optimizer_params has missing keys \['momentum', 'nesterovs_momentum', "
        r"'power_t'\] and unexpected keys \['beta_1', 'beta_2', 'epsilon'\]",
    ),
    "optimizer hyperparameter": (
        lambda m, a: m["optimizer"]["hyperparameters"].update(beta_1="0.9"),
        r"optimizer\.hyperparameters\.beta_1 is '0\.9', but optimizer_params",
    ),
    "optimizer scalar": (
        lambda m, a: m["optimizer"]["scalars"].update(t="3"),
        r"optimizer\.scalars\.t is '3'",
    ),
    # Regression: these loaded, and partial_fit then failed deep inside.
    "negative optimizer step": (
        lambda m, a: m["optimizer"]["scalars"].update(t=-1),
        r"optimizer\.scalars\.t is -1",
    ),
    # Regression: loaded, and a warm start then said the learning rate was
    # too large (Adam's square root of them was NaN).
    "negative Adam second moments": (
        _edit_array("optimizer/vs.head.b_y", lambda array: -1 - array),
        r"optimizer array 'vs\.head\.b_y' holds negative values",
    ),
    "optimizer step beyond an int64": (
        lambda m, a: m["optimizer"]["scalars"].update(t=2**63),
        r"optimizer\.scalars\.t is 9223372036854775808",
    ),
    "fractional optimizer step": (
        lambda m, a: m["optimizer"]["scalars"].update(t=1.5),
        r"optimizer\.scalars\.t is 1\.5",
    ),
    "huge beta_1": (
        lambda m, a: m["optimizer"]["hyperparameters"].update(beta_1=1e308),
        r"optimizer\.hyperparameters\.beta_1 is 1e\+308",
    ),
    "negative learning_rate_init": (
        lambda m, a: m["optimizer"]["hyperparameters"].update(learning_rate_init=-1.0),
        r"optimizer\.hyperparameters\.learning_rate_init is -1\.0",
    ),
    "optimizer unlike its parameters": (
        lambda m, a: m["optimizer"]["hyperparameters"].update(epsilon=1e-3),
        r"optimizer\.hyperparameters\.epsilon is 0\.001, but optimizer_params "
        r"make it 1e-08",
    ),
    "invalid optimizer parameter": (
        lambda m, a: m["optimizer_params"].update(beta_2=2.0),
        r"optimizer_params: The 'beta_2' parameter",
    ),
    "optimizer parameter that the weights' dtype cannot hold": (
        # a ValueError of the optimizer's, which told to pass another dtype
        lambda m, a: m["optimizer_params"].update(epsilon=1e-308),
        r"optimizer_params: epsilon=1e-308 rounds to 0 in float32",
    ),
    "negative epochs": (
        lambda m, a: m["training_state"].update(n_iter=-1),
        r"training_state\.n_iter is -1, not an int >= 0",
    ),
    "loss as str": (
        lambda m, a: m["attributes"].update(loss_curve_=["0.5"]),
        r"attributes\.loss_curve_ is '0\.5', not a number",
    ),
    "loss too large for a float": (
        lambda m, a: m["attributes"].update(loss_curve_=[10**400]),
        r"attributes\.loss_curve_ is an int too large for a float",
    ),
    "other bit generator": (
        lambda m, a: m["rng"].update(bit_generator="MT19937"),
        r"rng must be the state of a PCG64 or PCG64DXSM generator",
    ),
    "bad rng state": (
        lambda m, a: m["rng"]["state"].update(state="x"),
        r"rng\.state\.state is 'x', not an int in \[0, 2\*\*128\)",
    ),
    "negative rng state": (
        lambda m, a: m["rng"]["state"].update(inc=-1),
        r"rng\.state\.inc is -1, not an int in \[0, 2\*\*128\)",
    ),
    "rng state without its counter": (
        lambda m, a: m["rng"].pop("has_uint32"),
        r"rng has missing keys \['has_uint32'\]",
    ),
}


@pytest.mark.parametrize("edit, reason", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_load_refuses_tampered_files(edit, reason):
    data = _tampered(edit)
    with pytest.raises(ValueError, match=f"^{CORRUPT}: {reason}"):
        skrnn.load(io.BytesIO(data))


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_load_refuses_an_id_dtype_too_narrow_for_the_vocabulary(dtype):
    # It loaded, and predict failed in numpy (OverflowError: Python integer
    # 300 out of bounds for int8) on the first word of a larger id.
    words = ["good", "bad"] + [f"w{i}" for i in range(300)]
    data = _tampered(
        lambda m, a: m["vectorizer"]["params"].update(dtype={"__dtype__": dtype}),
        _fit(vocabulary=words),
    )
    reason = rf"vectorizer\.params\.dtype {dtype} cannot hold the 304 ids"
    with pytest.raises(ValueError, match=f"^{CORRUPT}: {reason}"):
        skrnn.load(io.BytesIO(data))


def test_load_refuses_a_validation_seed_that_a_warm_start_cannot_use():
    # Regression: a seed of 2**40 loaded, and a warm start failed with
    # "early_stopping cannot hold out validation_fraction=0.25 of 24 samples
    # (Seed must be between 0 and 2**32 - 1); pass more samples, ...".
    model = _fit(X * 3, Y * 3, early_stopping=True, validation_fraction=0.25)
    assert model._fitted.training.validation_seed is not None
    data = _tampered(_set("training_state", "validation_seed", 2**40), model)
    reason = r"training_state\.validation_seed is 1099511627776, not an int in"
    with pytest.raises(ValueError, match=f"^{CORRUPT}: {reason}"):
        skrnn.load(io.BytesIO(data))


def test_a_file_of_a_cell_not_registered_says_to_register_it():
    # The file cannot tell a forged name from a cell of the user's own that
    # this process has not registered (tests/test_nn_custom_cell.py).
    data = _tampered(_set("network", "cell", "transformer"))
    message = r"cell 'transformer' is not registered .* skrnn\.nn\.register_cell"
    with pytest.raises(ValueError, match=message):
        skrnn.load(io.BytesIO(data))


def test_a_file_of_a_head_not_registered_says_to_register_it():
    # As for cells: a forged name and a head of the user's own that this
    # process has not registered (tests/test_nn_custom_head.py) look alike.
    data = _tampered(_set("network", "head", "tanh"))
    message = r"head 'tanh' is not registered .* skrnn\.nn\.register_head"
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
    for name in (
        "class_weight",
        "ngram_range",
        "char_ngram_range",
        "ngram_weight",
        "ngram_blend",
    ):
        del metadata["params"][name]
    metadata["params"]["loss"] = "squared_error"
    _refused_because(_write(metadata, arrays), "a RNNTextRegressor has no classes")
    metadata, arrays = _read(_regressor_bytes())
    metadata["estimator"] = "RNNTextClassifier"
    del metadata["params"]["loss"]
    metadata["params"].update(
        class_weight=None,
        ngram_range=None,
        char_ngram_range=None,
        ngram_weight=0.5,
        ngram_blend="geometric",
    )
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


def test_a_file_of_an_unregistered_cell_has_a_short_message():
    data = _tampered(_set("network", "cell", "w" * 10**5))
    with pytest.raises(ValueError, match="not registered") as info:
        skrnn.load(io.BytesIO(data))
    assert len(str(info.value)) <= persistence._MAX_MESSAGE


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


def _npy_bytes(array=None):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3) if array is None else array)
    return buffer.getvalue()


def _replace(name, data):
    return lambda file, members: _archive({**members, name: data})


def _npz_of(members, method=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as npz:
        for name, data in members.items():
            npz.writestr(name, data)
    return buffer.getvalue()


def _with_npz_member(name, data, method=zipfile.ZIP_STORED):
    def break_(file, members):
        npz = _model_files.read_members(members["arrays.npz"])
        return _archive({**members, "arrays.npz": _npz_of({**npz, name: data}, method)})

    return break_


def _deep_stop_words(file, members):
    # Regression: a list nested 900 deep raised RecursionError.
    text = members["metadata.json"].decode()
    deep = "[" * 900 + "]" * 900
    text = text.replace('"stop_words": null', f'"stop_words": {deep}', 1)
    return _archive({**members, "metadata.json": text.encode()})


def _many_empty_lists(file, members):
    # Regression: 2 bytes of text each and 64 of memory, millions of them
    # took hundreds of times the file's size to parse before being refused.
    text = members["metadata.json"].decode()
    lists = "[" + ",".join(["[]"] * 400_000) + "]"
    text = text.replace('"stop_words": null', f'"stop_words": {lists}', 1)
    return _archive({**members, "metadata.json": text.encode()})


def _escaped_quotes(file, members):
    # Regression: a regular expression of JSON strings tried each of 20,000
    # escaped quotes left open against the megabyte after it (for hours).
    text = members["metadata.json"].decode()
    text += '"' + '\\"' * 20_000 + " " * (1 << 20)
    return _archive({**members, "metadata.json": text.encode()})


def _compressed(name, method):
    return lambda file, members: _model_files.pack(members, methods={name: method})


def _flagged(name, flag):
    return lambda file, members: _model_files.pack(members, flags={name: flag})


#: Each makes a broken file out of a valid one and its members, and the reason
#: that load must give (after CORRUPT).
BROKEN_ARCHIVES = {
    "truncated": (
        lambda file, members: file[: len(file) // 2],
        r"a damaged ZIP archive \(File is not a zip file\)",
    ),
    "truncated end": (
        lambda file, members: file[:-10],
        r"a damaged ZIP archive",
    ),
    # Regression: zipfile read it as the arrays.npz stored inside, and load
    # called it a NumPy .npz archive to read with numpy.load.
    "truncated in its directory": (
        lambda file, members: file[:-50],
        r"a damaged ZIP archive: it starts as a model file, but its end is missing",
    ),
    "bit flipped in the arrays": (
        lambda file, members: file[:-2000] + bytes([file[-2000] ^ 1]) + file[-1999:],
        r"a damaged ZIP archive \(Bad CRC-32",
    ),
    "missing metadata": (
        lambda file, members: _archive({"arrays.npz": members["arrays.npz"]}),
        r"the archive holds \['arrays\.npz'\]; a model file holds exactly",
    ),
    "missing arrays": (
        lambda file, members: _archive({"metadata.json": members["metadata.json"]}),
        r"the archive holds \['metadata\.json'\]",
    ),
    "extra member": (
        _replace("setup.py", b"import os"),
        r"the archive holds \['arrays\.npz', 'metadata\.json', 'setup\.py'\]",
    ),
    "bad JSON": (
        _replace("metadata.json", b'{"format": '),
        r"metadata\.json is not valid JSON",
    ),
    "not UTF-8": (
        _replace("metadata.json", b"\xff\xfe"),
        r"metadata\.json is not valid JSON \('utf-8' codec",
    ),
    "NaN literal": (
        _replace("metadata.json", b'{"format": NaN}'),
        r"metadata\.json is not valid JSON \(NaN is not JSON\)",
    ),
    "JSON list": (
        _replace("metadata.json", b"[]"),
        r"metadata\.json is not a JSON object",
    ),
    "deeply nested JSON": (
        _deep_stop_words,
        r"metadata\.json nests lists or objects more than 64 deep",
    ),
    "millions of empty lists": (
        _many_empty_lists,
        r"metadata\.json holds 4000\d\d lists and objects, more than a model's",
    ),
    "escaped quotes left open": (
        _escaped_quotes,
        r"metadata\.json is not valid JSON \(Extra data",
    ),
    "arrays not npz": (
        _replace("arrays.npz", b"garbage"),
        r"arrays\.npz is not a readable npz archive",
    ),
    "arrays a single npy": (
        lambda file, members: _archive({**members, "arrays.npz": _npy_bytes()}),
        r"arrays\.npz is not a readable npz archive",
    ),
    # Regression: a member that is not an .npy raised AttributeError.
    "npz member not an npy": (
        _with_npz_member("notes.txt", b"hello"),
        r"arrays\.npz holds 'notes\.txt', which is not an \.npy array",
    ),
    "npz member not an npy array": (
        _with_npz_member("weights/x.npy", b"hello"),
        r"arrays\.npz array 'weights/x' is not an \.npy array of format 1\.0",
    ),
    "npy of a structured dtype": (
        _with_npz_member("weights/x.npy", _npy_bytes(np.zeros(2, "f4,f4"))),
        r"arrays\.npz array 'weights/x' has an invalid \.npy header",
    ),
    "npy of complex numbers": (
        _with_npz_member("weights/x.npy", _npy_bytes(np.zeros(2, complex))),
        r"arrays\.npz array 'weights/x' has dtype complex128; a model file holds "
        r"booleans, numbers and strings",
    ),
    "npy of empty strings": (
        _with_npz_member("classes_.npy", _model_files.npy_header((2**62,), "|S0")),
        r"arrays\.npz array 'classes_' has dtype \|S0",
    ),
    "npy of trailing bytes": (
        _with_npz_member("weights/x.npy", _npy_bytes(np.zeros(2)) + b"\0"),
        r"arrays\.npz array 'weights/x' declares shape \(2,\) of float64 "
        r"\(16 bytes\), but holds 17 bytes of data",
    ),
    "npy member twice": (
        lambda file, members: _archive(
            {
                **members,
                "arrays.npz": _model_files.pack(
                    [
                        *_model_files.read_members(members["arrays.npz"]).items(),
                        ("classes_.npy", _npy_bytes(np.array(["a", "b"]))),
                    ]
                ),
            }
        ),
        r"arrays\.npz holds 'classes_' twice",
    ),
    # Regression: bzip2 and lzma members loaded (a 1 GiB bzip2 bomb used 2.2 GB),
    # and a damaged lzma member raised LZMAError.
    "bzip2 metadata": (
        _compressed("metadata.json", zipfile.ZIP_BZIP2),
        r"metadata\.json is compressed with bzip2; skrnn\.save writes it deflate "
        r"or stored, and load reads nothing else",
    ),
    "lzma metadata": (
        _compressed("metadata.json", zipfile.ZIP_LZMA),
        r"metadata\.json is compressed with lzma",
    ),
    "damaged lzma metadata": (
        lambda file, members: _model_files.raw_zip(
            [
                ("metadata.json", zipfile.ZIP_LZMA, b"\x09\x04garbage", 0, 100),
                ("arrays.npz", 0, members["arrays.npz"], 0, len(members["arrays.npz"])),
            ]
        ),
        r"metadata\.json is compressed with lzma",
    ),
    "deflated arrays": (
        _compressed("arrays.npz", zipfile.ZIP_DEFLATED),
        r"arrays\.npz is compressed with deflate; skrnn\.save writes it stored",
    ),
    "deflated npy": (
        _with_npz_member(
            "weights/head.b_y.npy", _npy_bytes(np.zeros(2)), zipfile.ZIP_DEFLATED
        ),
        r"arrays\.npz array 'classes_' is compressed with deflate",
    ),
    # Regression: RuntimeError, "password required for extraction".
    "encrypted metadata": (
        _flagged("metadata.json", 0x1),
        r"metadata\.json is encrypted, which skrnn\.save never writes",
    ),
    "encrypted arrays": (
        _flagged("arrays.npz", 0x1),
        r"arrays\.npz is encrypted",
    ),
    "encrypted npy": (
        lambda file, members: _archive(
            {
                **members,
                "arrays.npz": _model_files.pack(
                    _model_files.read_members(members["arrays.npz"]),
                    flags={"classes_.npy": 0x1},
                ),
            }
        ),
        r"arrays\.npz array 'classes_' is encrypted",
    ),
    "patched data": (
        _flagged("metadata.json", 0x20),
        r"metadata\.json is compressed patched data",
    ),
}


@pytest.mark.parametrize(
    "break_, reason", BROKEN_ARCHIVES.values(), ids=BROKEN_ARCHIVES.keys()
)
def test_load_refuses_broken_archives(break_, reason):
    data = _saved_bytes()
    members = _model_files.read_members(data)
    with pytest.raises(ValueError, match=f"^{CORRUPT}: {reason}"):
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


_LOAD_IN_BOUNDED_PROCESS = """
import resource, sys
import skrnn
with open("/proc/self/statm") as statm:
    size = int(statm.read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (size + 2**29, size + 2**29))
try:
    skrnn.load(sys.argv[1])
except ValueError as exc:
    print(exc)
"""


@pytest.mark.skipif(
    not (hasattr(os, "mkfifo") and os.path.exists("/proc/self/statm")),
    reason="POSIX devices and named pipes",
)
@pytest.mark.parametrize("kind", ["/dev/zero", "named pipe"])
def test_load_refuses_a_device_or_a_pipe_at_once(kind, tmp_path):
    # zipfile read /dev/zero until memory ran out, and opening a named pipe
    # waited forever for a writer.
    path = kind
    if kind == "named pipe":
        path = tmp_path / "model.skrnn"
        os.mkfifo(path)
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_IN_BOUNDED_PROCESS, path],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    what = "a character device" if kind == "/dev/zero" else "a named pipe"
    assert result.returncode == 0, result.stderr[-500:]
    assert re.match(
        rf"skrnn\.load reads a model from a regular file, and "
        rf"{re.escape(repr(os.fspath(path)))} is {what}: "
        r"it cannot seek in it\. .*io\.BytesIO\(data\)",
        result.stdout,
    )


def test_load_of_a_folder_is_is_a_directory_error(tmp_path):
    with pytest.raises(IsADirectoryError):
        skrnn.load(tmp_path)


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


@pytest.mark.parametrize(
    "error", [KeyError, TypeError, IndexError, OverflowError, ValueError]
)
def test_load_does_not_relabel_its_own_bugs_as_tampering(error, monkeypatch):
    # Regression: these were all reported as "corrupt or tampered", so that a
    # bug could hide behind a check that happens to fail later.
    data = _saved_bytes()

    def buggy(section):
        raise error("a bug in skrnn")

    monkeypatch.setattr(persistence, "_decode_vectorizer", buggy)
    with pytest.raises(error, match="a bug in skrnn") as info:
        skrnn.load(io.BytesIO(data))
    assert CORRUPT not in str(info.value)


def test_load_refuses_a_random_state_that_would_read_outside_its_key():
    # Regression: numpy does not check pos, and a RandomState with pos beyond
    # its 624 words reads outside them (a crash) when a refit draws from it.
    state = {"key": [1] * 624, "pos": 10**6, "has_gauss": 0, "gauss": 0.0}
    data = _tampered(_set("params", "random_state", {"__random_state__": state}))
    with pytest.raises(
        ValueError,
        match=rf"^{CORRUPT}: params\.random_state\.pos is 1000000, not an int in "
        r"\[0, 625\)",
    ):
        skrnn.load(io.BytesIO(data))
    state.update(pos=0, key=[-1] * 624)
    data = _tampered(_set("params", "random_state", {"__random_state__": state}))
    with pytest.raises(ValueError, match=r"the key must be a list of 624 ints"):
        skrnn.load(io.BytesIO(data))


def test_load_messages_stay_short():
    # Regression: 10**6 unknown keys made a 10.9 MB message.
    data = _tampered(
        lambda m, a: m["params"].update({f"k{i}": 0 for i in range(10**5)})
    )
    with pytest.raises(ValueError) as info:
        skrnn.load(io.BytesIO(data))
    message = str(info.value)
    assert len(message) < 300
    assert (
        "unexpected keys ['k0', 'k1', 'k10', 'k100', 'k1000'] and 99995 more" in message
    )
    # A parameter's error quotes its value.
    data = _tampered(_set("params", "alpha", "w" * 10**6))
    with pytest.raises(
        ValueError, match=rf"^{CORRUPT}: invalid parameter: The 'alpha'"
    ) as info:
        skrnn.load(io.BytesIO(data))
    assert len(str(info.value)) <= persistence._MAX_MESSAGE


# ------------------------------------------- files that are not model files


def _joblib_bytes(tmp_path, **kwargs):
    path = tmp_path / "model.joblib"
    joblib.dump(_fit(), path, **kwargs)
    return path.read_bytes()


def _npz_file():
    buffer = io.BytesIO()
    np.savez(buffer, weights=np.zeros(3))
    return buffer.getvalue()


#: Each makes a file that is not a skrnn model, and what load must say it is.
NOT_MODELS = {
    "pickle": (
        lambda tmp_path: pickle.dumps(_fit()),
        r"this looks like a pickle file \(pickle\.dump and joblib\.dump write "
        r"them\)\. .*; for a joblib or pickle file that you trust, use joblib\.load",
    ),
    "joblib": (
        _joblib_bytes,
        r"this looks like a pickle file .*use joblib\.load",
    ),
    "joblib compressed": (
        lambda tmp_path: _joblib_bytes(tmp_path, compress=3),
        r"this looks like a zlib-compressed file \(joblib\.dump\(\.\.\., "
        r"compress=\.\.\.\) writes them\).*use joblib\.load",
    ),
    "joblib gzip": (
        lambda tmp_path: _joblib_bytes(tmp_path, compress=("gzip", 3)),
        r"this looks like a gzip-compressed file .*use joblib\.load",
    ),
    # Regression (a prober's finding): a model file compressed with gzip was
    # "a gzip-compressed file (joblib.dump(..., compress=...) writes them)",
    # with the advice to use joblib.load.
    "gzip model": (
        lambda tmp_path: gzip.compress(_saved_bytes()),
        r"this is a gzip-compressed skrnn model file\. .*: decompress it first",
    ),
    "zlib model": (
        lambda tmp_path: zlib.compress(_saved_bytes()),
        r"this is a zlib-compressed skrnn model file\. .*: decompress it first",
    ),
    "plain zip": (
        lambda tmp_path: _archive({"data.csv": b"label,text\npos,good\n"}),
        r"this looks like a ZIP archive of \['data\.csv'\], without "
        r"'metadata\.json' and 'arrays\.npz'",
    ),
    "npz": (
        lambda tmp_path: _npz_file(),
        r"this looks like a NumPy \.npz archive .*use numpy\.load",
    ),
    "npy": (
        lambda tmp_path: _npy_bytes(),
        r"this looks like a NumPy \.npy file .*use numpy\.load",
    ),
    "CSV": (
        lambda tmp_path: b"label,text\npos,a good film\n",
        r"this looks like a text file \(it starts with 'label,text'\)",
    ),
    "text with a BOM": (
        lambda tmp_path: "\ufeffgood film\n".encode(),
        r"this looks like a text file \(it starts with 'good film'\)",
    ),
    "empty": (lambda tmp_path: b"", r"the file is empty"),
    "binary": (
        lambda tmp_path: bytes(range(256)),
        r"it is not a ZIP archive \(it starts with b'\\x00\\x01",
    ),
}


@pytest.mark.parametrize("make, what", NOT_MODELS.values(), ids=NOT_MODELS.keys())
def test_load_says_what_a_file_that_is_not_a_model_is(make, what, tmp_path):
    # Regression: a joblib pickle passed to `skrnn predict` was reported as a
    # "corrupt or tampered" model.
    path = tmp_path / "file"
    path.write_bytes(make(tmp_path))
    with pytest.raises(ValueError, match=f"^not a skrnn model file: {what}") as info:
        skrnn.load(path)
    assert "skrnn.load reads the model files that skrnn.save and skrnn train" in str(
        info.value
    )


# --------------------------------------------- decompression bombs, huge arrays


def _peak_memory(function):
    """The peak of memory that Python and numpy allocate while ``function`` runs."""
    tracemalloc.start()
    try:
        function()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def _refused_with_little_memory(data, reason):
    def load():
        with pytest.raises(ValueError, match=f"^{CORRUPT}: {reason}"):
            skrnn.load(io.BytesIO(data))

    assert _peak_memory(load) < 4 * 2**20 + 2 * len(data)


BOMB_MIB = 256


def _stored(name, content):
    """A member of _model_files.raw_zip, stored."""
    return name, zipfile.ZIP_STORED, content, zlib.crc32(content), len(content)


def test_load_refuses_a_deflate_bomb_in_place_of_the_metadata():
    # Regression: a 10.5 KB file whose metadata.json held 1 GiB of spaces
    # loaded, with a 2.2 GB peak (bzip2, now refused as any other method).
    members = _model_files.read_members(_saved_bytes())
    stream, crc = _model_files.deflated_spaces(BOMB_MIB)
    data = _model_files.raw_zip(
        [
            ("metadata.json", zipfile.ZIP_DEFLATED, stream, crc, BOMB_MIB << 20),
            _stored("arrays.npz", members["arrays.npz"]),
        ]
    )
    assert len(data) < BOMB_MIB << 11  # over 500 times smaller than what it holds
    _refused_with_little_memory(
        data,
        rf"metadata\.json declares {BOMB_MIB << 20} bytes from {len(stream)} "
        r"compressed, more than load accepts \(\d+\): refused as a decompression bomb",
    )


def test_load_refuses_a_deflated_array_bomb():
    # Regression: a 7 KB file holding a deflated 1 GiB array used 1.17 GB
    # before it was refused.
    members = _model_files.read_members(_saved_bytes())
    npz = _model_files.read_members(members["arrays.npz"])
    header = _model_files.npy_header((BOMB_MIB << 17,))  # float64: BOMB_MIB MiB
    stream, crc = _model_files.deflated_spaces(BOMB_MIB, prefix=header, fill=b"\0")
    size = len(header) + (BOMB_MIB << 20)
    inner = [
        _stored(name, content)
        for name, content in npz.items()
        if name != "weights/embed.E.npy"
    ]
    inner.append(("weights/embed.E.npy", zipfile.ZIP_DEFLATED, stream, crc, size))
    arrays = _model_files.raw_zip(inner)
    data = _archive({**members, "arrays.npz": arrays})
    _refused_with_little_memory(
        data, r"arrays\.npz array 'weights/embed\.E' is compressed with deflate"
    )


def test_load_refuses_an_npy_header_declaring_a_huge_shape():
    # Regression: a header declaring (2**40,) raised MemoryError.
    members = _model_files.read_members(_saved_bytes())
    npz = _model_files.read_members(members["arrays.npz"])
    npz["weights/embed.E.npy"] = _model_files.npy_header((2**40,)) + bytes(64)
    data = _archive({**members, "arrays.npz": _model_files.pack(npz)})
    _refused_with_little_memory(
        data,
        r"arrays\.npz array 'weights/embed\.E' declares shape \(1099511627776,\) of "
        r"float64 \(8796093022208 bytes\), but holds 64 bytes of data",
    )


@pytest.mark.parametrize("inner", [True, False], ids=["array", "arrays.npz"])
def test_load_refuses_a_member_declaring_more_bytes_than_the_archive(inner):
    # Regression: a 9 KB file whose array declared BOMB_MIB MiB stored (and
    # a header of that size) allocated them before it found out, and raised
    # MemoryError for a size beyond the machine's memory.
    members = _model_files.read_members(_saved_bytes())
    npz = _model_files.read_members(members["arrays.npz"])
    header = _model_files.npy_header((BOMB_MIB << 17,))  # float64: BOMB_MIB MiB
    size = len(header) + (BOMB_MIB << 20)
    if inner:
        content = header + bytes(64)
        lying = ("weights/embed.E.npy", zipfile.ZIP_STORED, content)
        inner_members = [
            _stored(name, data)
            for name, data in npz.items()
            if name != "weights/embed.E.npy"
        ]
        inner_members.append((*lying, zlib.crc32(content), size, size))
        outer = [
            _stored("metadata.json", members["metadata.json"]),
            _stored("arrays.npz", _model_files.raw_zip(inner_members)),
        ]
        what = r"arrays\.npz array 'weights/embed\.E'"
    else:
        arrays = members["arrays.npz"]
        outer = [
            _stored("metadata.json", members["metadata.json"]),
            ("arrays.npz", zipfile.ZIP_STORED, arrays, zlib.crc32(arrays), size, size),
        ]
        what = r"arrays\.npz"
    data = _model_files.raw_zip(outer)
    _refused_with_little_memory(
        data,
        rf"{what} declares {size} compressed bytes, more than the \d+ bytes of "
        r"the archive that its other members leave \(a size beyond the archive",
    )


def test_load_refuses_members_whose_bytes_overlap():
    # Regression: 64 members of arrays.npz, each holding the same 1 MiB of
    # zeros and the members after it, took 64 MiB from a 1 MiB file (the
    # arrays are read before their names are checked): a file of 1.5 MB
    # and 2,000 such members took 2 GB.
    members = _model_files.read_members(_saved_bytes())
    npz = _model_files.read_members(members["arrays.npz"])
    arrays = _model_files.overlapping_zip(npz, n_overlapping=64, tail=1 << 20)
    data = _archive({**members, "arrays.npz": arrays})
    _refused_with_little_memory(
        data,
        r"arrays\.npz array 'overlap1' declares \d+ compressed bytes, more than the "
        r"\d+ bytes of the archive that its other members leave",
    )


def test_loading_a_model_takes_memory_in_proportion_to_its_file():
    data = _saved_bytes(_big_model())
    loaded = []
    peak = _peak_memory(lambda: loaded.append(skrnn.load(io.BytesIO(data))))
    assert peak < 4 * len(data)


# ----------------------------------------------------------------- fuzzing


@pytest.fixture(scope="module")
def fuzz_bases():
    """Model files to mutate: the defaults, other cells, solver and labels, a
    multi-label classifier and a regressor (the other heads); the two in the
    middle with an n-gram companion."""
    return [
        _saved_bytes(_fit()),
        _saved_bytes(
            _fit(
                cell="lstm",
                bidirectional=True,
                solver="sgd",
                pooling="mean",
                y=np.array([0, 1, 2, 1] * 2),
                class_weight={0: 1.0, 1: 2.0, 2: 1.0},
                random_state=np.random.RandomState(0),
                stop_words=["a"],
                ngram_range=(1, 2),
            )
        ),
        _saved_bytes(
            _fit(
                cell="rnn",
                y=np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 2),
                ngram_range=(1, 1),
            )
        ),
        _regressor_bytes(),
    ]


@pytest.mark.parametrize("seed", range(4))
def test_mutated_model_files_load_and_predict_or_are_refused(seed, fuzz_bases):
    # Regression: of 2.86 million mutants, 78 raised another exception than
    # the documented ValueError (MemoryError, RecursionError, AttributeError,
    # RuntimeError, LZMAError, ...).
    rng = np.random.default_rng(seed)
    base = fuzz_bases[seed % len(fuzz_bases)]
    outcomes = collections.Counter()
    for _ in range(100):
        mutation, data = _model_files.mutate(rng, base)
        try:
            outcome, message = _model_files.outcome(data, X)
        except Exception as exc:
            raise AssertionError(f"{mutation} (seed {seed}): {exc!r}") from exc
        assert message is None or len(message) <= persistence._MAX_MESSAGE
        outcomes[outcome] += 1
    assert outcomes["refused"] > 50


@pytest.mark.parametrize("head", ["x", "lstm"])
def test_mutant_whose_head_is_not_registered_is_refused(head):
    # A documented refusal, which outcome() took for a bug of load (the
    # cell's and the solver's were listed, not the head's).
    data = _tampered(_set("network", "head", head))
    assert _model_files.outcome(data, X)[0] == "refused"


# ------------------------------------------------- parameters that need trust

#: Backtracks catastrophically: predict(["a" * 28]) took 10 s, doubling with
#: each character.
REDOS = r"(?:a|a)+b|\w+"


def test_load_refuses_a_custom_token_pattern_unless_trusted():
    model = _fit(token_pattern=REDOS)
    data = _saved_bytes(model)
    with pytest.raises(
        ValueError,
        match=r"^This skrnn model file sets parameters that do more than the file "
        r"says: token_pattern is the regular expression '\(\?:a\|a\)\+b\|\\\\w\+', and "
        r"predict runs it on every document: .*catastrophic backtracking.*"
        r"skrnn\.load\(file, trusted=\['token_pattern'\]\)",
    ):
        skrnn.load(io.BytesIO(data))
    loaded = skrnn.load(io.BytesIO(data), trusted=["token_pattern"])
    assert loaded.token_pattern == loaded.vectorizer_.token_pattern == REDOS
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_load_refuses_an_embeddings_path_unless_trusted():
    data = _tampered(_set("params", "embeddings", "/dev/zero"))
    with pytest.raises(
        ValueError,
        match=r"embeddings is the path '/dev/zero', and a new fit of the model, or "
        r"of a clone, reads that file\. .*trusted=\['embeddings'\]",
    ):
        skrnn.load(io.BytesIO(data))
    loaded = skrnn.load(io.BytesIO(data), trusted=["embeddings"])
    assert loaded.embeddings == "/dev/zero"


def test_load_names_every_parameter_to_trust():
    data = _tampered(
        lambda m, a: (
            m["params"].update(embeddings="vectors.txt", token_pattern=REDOS),
            m["vectorizer"]["params"].update(token_pattern=REDOS),
        )
    )
    with pytest.raises(ValueError, match=r"trusted=\['token_pattern', 'embeddings'\]"):
        skrnn.load(io.BytesIO(data))
    with pytest.raises(ValueError, match=r"trusted=\['embeddings'\]"):
        skrnn.load(io.BytesIO(data), trusted=("token_pattern",))
    skrnn.load(io.BytesIO(data), trusted={"embeddings", "token_pattern"})


@pytest.mark.parametrize("pattern", sorted(persistence._SAFE_TOKEN_PATTERNS))
def test_built_in_token_patterns_need_no_trust(pattern):
    model = _fit(token_pattern=pattern)
    assert_array_equal(_round_trip(model).predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize(
    "trusted, error, message",
    [
        ("token_pattern", TypeError, r"trusted takes a list of parameter names"),
        (True, TypeError, r"trusted takes a list of parameter names"),
        (["tokenizer"], ValueError, r"trusted names \['tokenizer'\]; the parameters"),
    ],
)
def test_load_checks_trusted(trusted, error, message):
    with pytest.raises(error, match=message):
        skrnn.load(io.BytesIO(_saved_bytes()), trusted=trusted)


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


@pytest.mark.parametrize(
    "version", ["0.9\n\x1b[31mred\x1b[0m", "0.9 and more", "9" * 65, ""]
)
def test_load_refuses_a_skrnn_version_that_is_not_a_version(version):
    # Regression (a prober's finding): the version warning showed whatever
    # the file held, line breaks, terminal escape sequences and megabytes of
    # text included, which `skrnn predict` printed on stderr.
    data = _tampered(_set(None, "skrnn_version", version))
    with pytest.raises(
        ValueError, match=f"^{CORRUPT}: skrnn_version is .*not a version"
    ):
        skrnn.load(io.BytesIO(data))


@pytest.mark.parametrize("version", ["0.2.0", "1.0.0rc1", "0.1.dev3+g1a2b3c.d20261208"])
def test_load_warns_of_other_versions(version):
    data = _tampered(_set(None, "skrnn_version", version))
    with pytest.warns(SkrnnVersionWarning, match=re.escape(f"skrnn {version} ")):
        skrnn.load(io.BytesIO(data))


def test_load_of_the_same_version_does_not_warn():
    data = _saved_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        skrnn.load(io.BytesIO(data))


def test_a_loaded_vectorizer_looks_runs_of_text_up_as_the_fitted_one():
    # The loader sets the vectorizer's vocabulary as fit does, with the record
    # that its words are single tokens: transform keeps the run look-up.
    model = _fit()
    documents = ["a good film!", "very bad story"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkrnnVersionWarning)
        old = skrnn.load(OLD_FILES / "sgd_2c130fb.skrnn")
    for loaded in (model, _round_trip(model), pickle.loads(pickle.dumps(model)), old):
        assert loaded.vectorizer_._encode_by_chunks(documents) is not None
    assert [
        s.tolist() for s in _round_trip(model).vectorizer_.transform(documents)
    ] == [s.tolist() for s in model.vectorizer_.transform(documents)]


#: Model files saved by skrnn at 2c130fb, and what that version predicted.
OLD_FILES = Path(__file__).parent / "data"
OLD_MODELS = json.loads((OLD_FILES / "models_2c130fb.json").read_text())


@pytest.mark.parametrize("solver", sorted(OLD_MODELS["models"]))
def test_files_saved_with_the_former_default_pattern_keep_it(solver):
    # Files written before words kept their combining marks hold the former
    # default pattern: they load without trusted=, keep it (the current one
    # would not find the pieces their vocabulary holds) and tokenize, save,
    # pickle and predict as before.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkrnnVersionWarning)
        model = skrnn.load(OLD_FILES / OLD_MODELS["models"][solver]["file"])
    former = _text._FORMER_TOKEN_PATTERN
    assert model.token_pattern == model.vectorizer_.token_pattern == former
    assert model.vectorizer_.build_analyzer()("cafe\u0301!") == ["cafe", "\u0301", "!"]
    documents = [*OLD_MODELS["X"], "a cafe\u0301 \u200fgood\u200e film"]
    expected = model.predict_proba(documents)
    for copy_ in (_round_trip(model), pickle.loads(pickle.dumps(model))):
        assert copy_.token_pattern == copy_.vectorizer_.token_pattern == former
        assert_array_equal(copy_.predict_proba(documents), expected)


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
    # the parameters of that version, whose Adam defaulted to a constant 0.005
    params = model.get_params()
    assert entry["params"].items() <= params.items()
    if solver == "adam":
        assert (params["learning_rate"], params["learning_rate_init"]) == (
            "constant",
            0.005,
        )
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
    assert metadata["format_version"] == FORMAT_VERSION == 14
    assert metadata["network"]["n_outputs"] == old["network"]["n_classes"]
    assert "n_classes" not in metadata["network"]


# ------------------------------------------------------------------ ensembles


def _ensemble_bytes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = RNNTextClassifier(random_state=0, max_iter=2, n_estimators=3).fit(
            *load_toy_sentiment(return_X_y=True)
        )
    return model, _saved_bytes(model)


def test_ensemble_round_trips_through_a_file():
    model, data = _ensemble_bytes()
    loaded = skrnn.load(io.BytesIO(data))
    X = load_toy_sentiment().data
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    for a, b in zip(loaded._fitted.ensemble, model._fitted.ensemble, strict=True):
        assert a.training == b.training
        assert a.rng.bit_generator.state == b.rng.bit_generator.state
        assert a.optimizer.get_state().keys() == b.optimizer.get_state().keys()
    metadata, arrays = _read(data)
    assert len(metadata["members"]) == 2
    assert "members/2/weights/head.b_y" in arrays


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m, a: m["members"].pop(), "n_estimators is 3, but the file holds 2"),
        (lambda m, a: m.__setitem__("members", {}), "members is not a JSON array"),
        (lambda m, a: a.pop("members/1/weights/head.b_y"), "needs more weights"),
        (
            lambda m, a: a.__setitem__("members/3/weights/head.b_y", np.zeros(2)),
            "unexpected arrays",
        ),
        (lambda m, a: m["members"][0].pop("rng"), r"members\[0\] has missing"),
        (
            lambda m, a: m["members"][1]["training_state"].__setitem__("t", -1),
            "member 2: training_state.t",
        ),
        (
            lambda m, a: a["members/1/weights/head.W_hy"].__setitem__(0, np.nan),
            "member 1: weight 'head.W_hy' holds NaN",
        ),
        (
            lambda m, a: m["members"][0]["optimizer"]["hyperparameters"].update(
                learning_rate_init=0.5
            ),
            "member 1: optimizer.hyperparameters.learning_rate_init is 0.5",
        ),
    ],
)
def test_load_refuses_a_damaged_ensemble(edit, message):
    _, data = _ensemble_bytes()
    metadata, arrays = _read(data)
    edit(metadata, arrays)
    with pytest.raises(ValueError, match=message):
        skrnn.load(io.BytesIO(_write(metadata, arrays)))


def test_a_version_2_file_loads_as_one_network():
    metadata, arrays = _read(_saved_bytes())
    del metadata["members"], metadata["ngrams"]
    del metadata["params"]["n_estimators"]
    del metadata["params"]["adversarial_epsilon"]
    del metadata["params"]["ngram_range"], metadata["params"]["ngram_weight"]
    del metadata["params"]["ngram_blend"]
    _before_characters(metadata)
    metadata["format_version"] = 2
    assert skrnn.load(io.BytesIO(_write(metadata, arrays))).n_estimators == 1
    metadata["params"]["n_estimators"] = 1
    with pytest.raises(ValueError, match="version before ensembles"):
        skrnn.load(io.BytesIO(_write(metadata, arrays)))


def test_a_version_3_file_loads_without_adversarial_training():
    metadata, arrays = _read(_saved_bytes())
    del metadata["params"]["adversarial_epsilon"], metadata["ngrams"]
    del metadata["params"]["ngram_range"], metadata["params"]["ngram_weight"]
    del metadata["params"]["ngram_blend"]
    _before_characters(metadata)
    metadata["format_version"] = 3
    assert skrnn.load(io.BytesIO(_write(metadata, arrays))).adversarial_epsilon == 0
    metadata["params"]["adversarial_epsilon"] = 0.0
    with pytest.raises(ValueError, match="version before adversarial training"):
        skrnn.load(io.BytesIO(_write(metadata, arrays)))


def test_adversarial_epsilon_round_trips_and_warm_starts_after_load():
    model = RNNTextClassifier(
        hidden_size=4, embedding_dim=4, max_iter=1, adversarial_epsilon=0.5
    ).fit(["good", "bad", "good film", "bad film"], [1, 0, 1, 0])
    buffer = io.BytesIO()
    skrnn.save(model, buffer)
    loaded = skrnn.load(io.BytesIO(buffer.getvalue()))
    assert loaded.adversarial_epsilon == 0.5
    loaded.set_params(warm_start=True, adversarial_epsilon=1.0)
    assert loaded.fit(["good", "bad"], [1, 0]).n_iter_ == 2


def test_save_refuses_an_ensemble_of_another_size():
    model, _ = _ensemble_bytes()
    model.set_params(n_estimators=2)
    with pytest.raises(ValueError, match="n_estimators=3 again, or refit"):
        skrnn.save(model, io.BytesIO())


# ------------------------------------------------------- the n-gram companion

#: Three classes (two decision columns would hide a transposed coef).
X3 = [*X, "an ok film", "an ok story", "ok acting", "ok"]
Y3 = [*Y, "mid", "mid", "mid", "mid"]


def _companion_bytes():
    return _saved_bytes(_fit(X3, Y3, ngram_range=(1, 2)))


@pytest.mark.parametrize(
    ("y", "params"),
    [
        (Y, {"ngram_range": (1, 2)}),
        (Y3, {"ngram_range": (1, 3), "n_estimators": 2, "ngram_weight": 0.3}),
        (np.eye(4, dtype=int)[[0, 1, 2, 3, 0, 1, 2, 3]], {"ngram_range": (2, 2)}),
        (Y3, {"ngram_range": (1, 2), "char_ngram_range": (2, 4)}),
        (Y, {"ngram_range": (1, 1), "char_ngram_range": (3, 3)}),
    ],
    ids=[
        "binary",
        "multi-class ensemble",
        "multi-label",
        "characters",
        "binary characters",
    ],
)
def test_a_companion_round_trips_through_a_file(y, params):
    model = _fit(X3[: len(y)], y, **params)
    loaded = _round_trip(model)
    assert_same_fitted_state(loaded, model)
    a, b = loaded._fitted.ngrams, model._fitted.ngrams
    assert (a.ngram_range, a.n_vocab, a.head, a.C) == (
        b.ngram_range,
        b.n_vocab,
        b.head,
        b.C,
    )
    assert a.char_range == b.char_range
    assert a.char_C == b.char_C
    for name in (
        "keys",
        "coef",
        "intercept",
        "scale",
        "char_coef",
        "char_intercept",
        "char_scale",
    ):
        if getattr(b, name) is None:
            assert getattr(a, name) is None
            continue
        assert_array_equal(getattr(a, name), getattr(b, name))
        assert getattr(a, name).dtype == getattr(b, name).dtype
    assert loaded.get_params() == model.get_params()
    assert_array_equal(loaded.predict_proba(X3), model.predict_proba(X3))


def test_a_model_without_companion_saves_ngrams_null():
    metadata, arrays = _read(_saved_bytes())
    assert metadata["ngrams"] is None
    assert not any(key.startswith("ngrams/") for key in arrays)


def _before_characters(metadata):
    """Metadata as versions before 13 wrote it: no characters in the companion."""
    metadata["params"].pop("char_ngram_range", None)
    if metadata.get("ngrams"):
        metadata["ngrams"].pop("char_range", None)
        metadata["ngrams"].pop("char_C", None)


def _swap_first_keys(keys):
    keys = keys.copy()
    keys[[0, 1]] = keys[[1, 0]]
    return keys


def _ngrams_edit(key, value):
    return lambda m, a: m["ngrams"].__setitem__(key, value)


def _step_down_past_int64(array):
    """The array with its second and third entries 2**63 - 1 and -2."""
    array = array.copy()
    array[[1, 2]] = [2**63 - 1, -2]
    return array


#: Each tampering of a file with a companion, and the reason load gives.
COMPANION_TAMPERINGS = {
    "unsorted keys": (
        _edit_array("ngrams/keys", _swap_first_keys),
        "ngrams/keys must be sorted, unique and in",
    ),
    # (a step down by more than 2**63, which int64 differences wrap to a
    # step up: an unsorted table passed)
    "keys stepping down past int64": (
        _edit_array("ngrams/keys", _step_down_past_int64),
        "ngrams/keys must be sorted, unique and in",
    ),
    "repeated key": (
        _edit_array("ngrams/keys", lambda k: np.sort(np.r_[k[:1], k[:-1]])),
        "ngrams/keys must be sorted, unique and in",
    ),
    "key beyond the longest n-gram": (
        _edit_array("ngrams/keys", lambda k: np.r_[k[:-1], 10**12]),
        "ngrams/keys must be sorted, unique and in",
    ),
    "key of the padding id": (
        _edit_array("ngrams/keys", lambda k: np.r_[0, k[1:]]),
        "ngrams/keys must be sorted, unique and in",
    ),
    "float keys": (
        _edit_array("ngrams/keys", lambda k: k.astype(float)),
        "ngrams/keys is a 1-D float64 array, not 1-D int64",
    ),
    "2-D keys": (
        _edit_array("ngrams/keys", lambda k: k[:, None]),
        "ngrams/keys is a 2-D int64 array",
    ),
    "fewer coefficients than keys": (
        _edit_array("ngrams/coef", lambda c: c[:-1]),
        "ngrams/coef is a float64 array of shape",
    ),
    "transposed coefficients": (
        _edit_array("ngrams/coef", lambda c: c.T.copy()),
        "ngrams/coef is a float64 array of shape",
    ),
    "float32 intercept": (
        _edit_array("ngrams/intercept", lambda b: b.astype(np.float32)),
        "ngrams/intercept is a float32 array",
    ),
    "NaN coefficient": (
        _edit_array("ngrams/coef", _nan_at_origin),
        "ngrams/coef holds NaN or infinite values",
    ),
    "infinite intercept": (
        _edit_array("ngrams/intercept", lambda b: b + np.inf),
        "ngrams/intercept holds NaN or infinite values",
    ),
    "weights that overflow": (
        _edit_array(
            "ngrams/coef",
            lambda b: np.where(np.arange(len(b))[:, None] % 2 + 0 * b, 1e308, -1e308),
        ),
        "the weights of a column of ngrams/coef sum beyond",
    ),
    "missing keys array": (
        lambda m, a: a.pop("ngrams/keys"),
        "arrays.npz has no 'ngrams/keys' array",
    ),
    "extra companion array": (
        lambda m, a: a.update({"ngrams/notes": np.zeros(2)}),
        "arrays.npz holds unexpected arrays ['ngrams/notes']",
    ),
    "companion arrays without a companion": (
        _set(None, "ngrams", None),
        "arrays.npz holds unexpected arrays ['ngrams/coef'",
    ),
    "reversed range": (
        _ngrams_edit("ngram_range", [2, 1]),
        "ngrams.ngram_range is [2, 1], not [min_n, max_n]",
    ),
    "zero-grams": (
        _ngrams_edit("ngram_range", [0, 2]),
        "ngrams.ngram_range is [0, 2], not [min_n, max_n]",
    ),
    "string in the range": (
        _ngrams_edit("ngram_range", ["1", 2]),
        "ngrams.ngram_range is ['1', 2], not [min_n, max_n]",
    ),
    "range beyond int64": (
        _ngrams_edit("ngram_range", [1, 40]),
        "ngrams.ngram_range [1, 40] makes keys beyond int64",
    ),
    "negative C": (_ngrams_edit("C", -1.0), "ngrams.C is -1.0, not a positive"),
    "C as a string": (_ngrams_edit("C", "1"), "ngrams.C is '1', not a number"),
    "extra key in ngrams": (
        _ngrams_edit("code", "import os"),
        "ngrams has missing keys [] and unexpected keys ['code']",
    ),
    "ngrams as a list": (
        _set(None, "ngrams", []),
        "ngrams is neither null nor a JSON object",
    ),
    "ngrams missing": (
        lambda m, a: m.pop("ngrams"),
        "metadata.json has missing keys ['ngrams']",
    ),
}


#: The arrays of a character part.
_CHAR_PART = ("coef", "intercept", "scale")


def _chars_bytes():
    return _saved_bytes(_fit(X3, Y3, ngram_range=(1, 2), char_ngram_range=(2, 4)))


def _edit_chars(name, change):
    return lambda m, a: a.update({name: change(np.array(a[name]))})


#: Each tampering of a companion's characters, and the reason load gives.
CHAR_TAMPERINGS = {
    "reversed range": (
        _ngrams_edit("char_range", [3, 2]),
        "ngrams.char_range: char_ngram_range must be",
    ),
    "range too long": (
        _ngrams_edit("char_range", [1, 17]),
        "ngrams.char_range: char_ngram_range must be",
    ),
    "range of strings": (
        _ngrams_edit("char_range", ["2", 4]),
        "ngrams.char_range is ['2', 4], not null or [min_n, max_n]",
    ),
    "no characters' arrays": (
        lambda m, a: [a.pop(f"ngrams/char_{name}") for name in _CHAR_PART],
        "arrays.npz has no 'ngrams/char_coef' array",
    ),
    "a development version's union arrays": (
        lambda m, a: a.update(
            {
                "ngrams/char_indptr": np.zeros(1, np.int64),
                "ngrams/char_indices": np.zeros(0, np.int64),
            }
        ),
        "unexpected arrays ['ngrams/char_indices', 'ngrams/char_indptr']",
    ),
    "naive Bayes weights one short": (
        _edit_chars("ngrams/coef", lambda a: a[:-1]),
        "ngrams/coef is a float64 array of shape",
    ),
    "arrays without a range": (
        lambda m, a: m["ngrams"].update(char_range=None, char_C=None),
        "ngrams/coef is a float64 array of shape",
    ),
    "C without a range": (
        _ngrams_edit("char_range", None),
        "ngrams.char_C is given without ngrams.char_range",
    ),
    "negative C": (_ngrams_edit("char_C", -1.0), "ngrams.char_C is -1.0, not a"),
    "no C": (_ngrams_edit("char_C", None), "ngrams.char_C is None, not a number"),
    "no part's weights": (
        lambda m, a: a.pop("ngrams/char_coef"),
        "arrays.npz has no 'ngrams/char_coef' array",
    ),
    "part's weights of the words only": (
        _edit_chars("ngrams/char_coef", lambda a: a[:-1]),
        "ngrams/char_coef is a float64 array of shape",
    ),
    "infinite part's intercept": (
        _edit_chars("ngrams/char_intercept", lambda a: a + np.inf),
        "ngrams/char_intercept holds NaN or infinite values",
    ),
    "part's weights that overflow": (
        _edit_chars(
            "ngrams/char_coef",
            lambda a: np.where(np.arange(len(a))[:, None] % 2 + 0 * a, 1e308, -1e308),
        ),
        "the weights of a column of ngrams/char_coef sum beyond",
    ),
    "negative part's scale": (
        _edit_chars("ngrams/char_scale", lambda a: -a - 1),
        "ngrams/char_scale holds negative values",
    ),
    "float32 part's scale": (
        _edit_chars("ngrams/char_scale", lambda a: a.astype(np.float32)),
        "ngrams/char_scale is a float32 array",
    ),
}


@pytest.mark.parametrize("edit, reason", CHAR_TAMPERINGS.values(), ids=CHAR_TAMPERINGS)
def test_load_refuses_tampered_characters(edit, reason):
    metadata, arrays = _read(_chars_bytes())
    edit(metadata, arrays)
    _refused_because(_write(metadata, arrays), reason)


def test_characters_of_a_version_13_file_are_refused():
    # a development version's character part read the union of a document's
    # character n-grams: this version cannot predict with its weights
    metadata, arrays = _read(_chars_bytes())
    metadata["format_version"] = 13
    with pytest.raises(ValueError, match=r"version 13.*Refit the model and save it"):
        skrnn.load(io.BytesIO(_write(metadata, arrays)))
    # and its companions without characters load as they were
    metadata, arrays = _read(_saved_bytes(_fit(X3, Y3, ngram_range=(1, 2))))
    metadata["format_version"] = 13
    assert skrnn.load(io.BytesIO(_write(metadata, arrays)))._fitted.ngrams is not None


def test_characters_in_a_version_12_file_are_refused():
    metadata, arrays = _read(_chars_bytes())
    metadata["format_version"] = 12
    _refused_because(_write(metadata, arrays), "params.char_ngram_range is in a file")
    del metadata["params"]["char_ngram_range"]
    _refused_because(
        _write(metadata, arrays), "unexpected keys ['char_C', 'char_range']"
    )


@pytest.mark.parametrize(
    "edit, reason", COMPANION_TAMPERINGS.values(), ids=COMPANION_TAMPERINGS
)
def test_load_refuses_a_tampered_companion(edit, reason):
    metadata, arrays = _read(_companion_bytes())
    edit(metadata, arrays)
    _refused_because(_write(metadata, arrays), reason)


def test_a_regressor_has_no_companion():
    metadata, arrays = _read(_companion_bytes())
    regressor_metadata, regressor_arrays = _read(_regressor_bytes())
    regressor_metadata["ngrams"] = metadata["ngrams"]
    regressor_arrays.update(
        {key: value for key, value in arrays.items() if key.startswith("ngrams/")}
    )
    _refused_because(
        _write(regressor_metadata, regressor_arrays),
        "a network with a 'identity' head has no ngrams",
    )


def _before_the_weight(model):
    """``model`` as skrnn fitted it before version 12: its companion at 0.7.

    Its file has no ``ngrams.weight``, which ``"auto"`` then reads as the
    default of its time (``LEGACY_NGRAM_WEIGHT``).
    """
    fitted = model._fitted
    model._fitted = dataclasses.replace(
        fitted, ngrams=dataclasses.replace(fitted.ngrams, weight=0.7)
    )
    return model


def _as_before_companion_norms(model):
    """``model`` as skrnn made it before version 10: a companion without norms."""
    fitted = model._fitted
    model._fitted = dataclasses.replace(
        fitted,
        ngrams=dataclasses.replace(fitted.ngrams, scale=None, whole_documents=False),
    )
    return model


def test_a_version_6_file_blends_its_companion_as_it_did():
    model = _as_before_companion_norms(
        _before_the_weight(_fit(X3, Y3, ngram_range=(1, 2), ngram_blend="arithmetic"))
    )
    metadata, arrays = _read(_saved_bytes(model))
    del metadata["params"]["ngram_blend"], metadata["ngrams"]["whole_documents"]
    del metadata["ngrams"]["weight"]
    _before_characters(metadata)
    metadata["format_version"] = 6
    loaded = skrnn.load(io.BytesIO(_write(metadata, arrays)))
    assert loaded.ngram_blend == "arithmetic"
    assert_array_equal(loaded.predict_proba(X3), model.predict_proba(X3))
    metadata["params"]["ngram_blend"] = "arithmetic"
    _refused_because(
        _write(metadata, arrays), "params.ngram_blend is in a file of a version before"
    )


def test_the_companions_norms_are_saved_and_loaded():
    model = _fit(X, Y, ngram_range=(1, 2))
    metadata, arrays = _read(_saved_bytes(model))
    assert_array_equal(arrays["ngrams/scale"], model._fitted.ngrams.scale)
    loaded = skrnn.load(io.BytesIO(_write(metadata, arrays)))
    assert_array_equal(loaded._fitted.ngrams.scale, model._fitted.ngrams.scale)
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_version_9_companion_predicts_without_norms_as_it_did():
    # a companion fitted before version 10 did not divide by the documents'
    # norms: its file, and the same model saved again, predict as it did
    model = _as_before_companion_norms(
        _before_the_weight(_fit(X, Y, ngram_range=(1, 2)))
    )
    expected = model.predict_proba(X)
    metadata, arrays = _read(_saved_bytes(model))
    assert "ngrams/scale" not in arrays
    del metadata["ngrams"]["whole_documents"], metadata["ngrams"]["weight"]
    _before_characters(metadata)
    metadata["format_version"] = 9
    loaded = skrnn.load(io.BytesIO(_write(metadata, arrays)))
    assert loaded._fitted.ngrams.scale is None
    assert_array_equal(loaded.predict_proba(X), expected)
    again = skrnn.load(io.BytesIO(_saved_bytes(loaded)))
    assert_array_equal(again.predict_proba(X), expected)
    # and the norms change the companion's predictions
    assert not np.allclose(_fit(X, Y, ngram_range=(1, 2)).predict_proba(X), expected)


#: A document longer than the ``max_length=3`` of the tests below.
LONG = "a film , not bad at all , a good story"


def test_a_companion_that_reads_whole_documents_is_saved_so():
    model = _fit(X, Y, ngram_range=(1, 2), max_length=3)
    metadata, arrays = _read(_saved_bytes(model))
    assert metadata["ngrams"]["whole_documents"] is True
    loaded = skrnn.load(io.BytesIO(_write(metadata, arrays)))
    assert loaded._fitted.ngrams.whole_documents
    assert_array_equal(loaded.predict_proba([LONG]), model.predict_proba([LONG]))
    metadata["ngrams"]["whole_documents"] = 1
    _refused_because(_write(metadata, arrays), "ngrams.whole_documents is 1")


def test_a_companion_of_tf_idf_rows_is_saved_with_its_norms(monkeypatch):
    # its inner CV may prefer TF-IDF rows, which are divided by their norms
    # whatever the number of classes
    monkeypatch.setattr(ngrams_module, "IDF_MARGIN", -1.0)
    model = _fit(X3, Y3, ngram_range=(1, 2))
    assert model._fitted.ngrams.coef.shape[1] == 3
    metadata, arrays = _read(_saved_bytes(model))
    assert_array_equal(arrays["ngrams/scale"], model._fitted.ngrams.scale)
    loaded = skrnn.load(io.BytesIO(_write(metadata, arrays)))
    assert_array_equal(loaded.predict_proba(X3), model.predict_proba(X3))


def test_the_companions_weight_is_saved_and_checked():
    model = _fit(X, Y, ngram_range=(1, 2), ngram_weight=0.4)
    metadata, arrays = _read(_saved_bytes(model))
    assert metadata["ngrams"]["weight"] == 0.4
    loaded = skrnn.load(io.BytesIO(_write(metadata, arrays)))
    assert loaded.ngram_weight_ == 0.4
    for bad, reason in (
        (1.5, "ngrams.weight is 1.5, not in [0, 1]"),
        ("0.4", "ngrams.weight is '0.4', not a number"),
        (True, "ngrams.weight is True, not a number"),
    ):
        metadata["ngrams"]["weight"] = bad
        _refused_because(_write(metadata, arrays), reason)
    metadata["ngrams"]["weight"] = None
    assert not hasattr(
        skrnn.load(io.BytesIO(_write(metadata, arrays))), "ngram_weight_"
    )


def test_a_version_11_companion_has_no_weight_and_auto_blends_it_at_0_7():
    model = _fit(X, Y, ngram_range=(1, 2), ngram_weight=0.4)
    metadata, arrays = _read(_saved_bytes(model))
    del metadata["ngrams"]["weight"]
    _before_characters(metadata)
    metadata["format_version"] = 11
    loaded = skrnn.load(io.BytesIO(_write(metadata, arrays)))
    assert loaded._fitted.ngrams.weight is None
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert_array_equal(
        loaded.set_params(ngram_weight="auto").predict_proba(X),
        model.set_params(ngram_weight=0.7).predict_proba(X),
    )
    metadata["ngrams"]["weight"] = 0.4
    _refused_because(_write(metadata, arrays), "unexpected keys ['weight']")


def test_a_version_10_companion_reads_the_networks_tokens_as_it_did():
    # a companion fitted before version 11 read the max_length tokens that
    # the network reads: its file, and the same model saved again, predict so
    model = _before_the_weight(_fit(X, Y, ngram_range=(1, 2), max_length=3))
    fitted = model._fitted
    model._fitted = dataclasses.replace(
        fitted, ngrams=dataclasses.replace(fitted.ngrams, whole_documents=False)
    )
    window = " ".join(LONG.split()[:3])
    expected = model.predict_proba([window])
    assert_array_equal(model.predict_proba([LONG]), expected)
    metadata, arrays = _read(_saved_bytes(model))
    del metadata["ngrams"]["whole_documents"], metadata["ngrams"]["weight"]
    _before_characters(metadata)
    metadata["format_version"] = 10
    loaded = skrnn.load(io.BytesIO(_write(metadata, arrays)))
    assert not loaded._fitted.ngrams.whole_documents
    assert_array_equal(loaded.predict_proba([LONG]), expected)
    again = skrnn.load(io.BytesIO(_saved_bytes(loaded)))
    assert_array_equal(again.predict_proba([LONG]), expected)
    metadata["ngrams"]["whole_documents"] = False
    _refused_because(_write(metadata, arrays), "unexpected keys ['whole_documents']")


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda a: a.update({"ngrams/scale": -a["ngrams/scale"] - 1}), "negative"),
        (lambda a: a["ngrams/scale"].__setitem__(0, np.nan), "NaN"),
        (lambda a: a.update({"ngrams/scale": a["ngrams/scale"][1:]}), "of shape"),
        (
            lambda a: a.update({"ngrams/scale": a["ngrams/scale"].astype("f4")}),
            "float32",
        ),
    ],
    ids=["negative", "nan", "shape", "dtype"],
)
def test_damaged_companion_norms_are_refused(change, reason):
    metadata, arrays = _read(_saved_bytes(_fit(X, Y, ngram_range=(1, 2))))
    arrays = {k: np.array(v) for k, v in arrays.items()}
    change(arrays)
    _refused_because(_write(metadata, arrays), reason)


def test_companion_norms_in_a_version_9_file_are_refused():
    metadata, arrays = _read(_saved_bytes(_fit(X, Y, ngram_range=(1, 2))))
    del metadata["ngrams"]["whole_documents"], metadata["ngrams"]["weight"]
    _before_characters(metadata)
    metadata["format_version"] = 9
    _refused_because(
        _write(metadata, arrays), "a file of version 9 has no ngrams/scale array"
    )


def test_a_version_4_file_loads_without_companion():
    metadata, arrays = _read(_saved_bytes())
    del metadata["ngrams"]
    del metadata["params"]["ngram_range"], metadata["params"]["ngram_weight"]
    del metadata["params"]["ngram_blend"]
    _before_characters(metadata)
    metadata["format_version"] = 4
    loaded = skrnn.load(io.BytesIO(_write(metadata, arrays)))
    assert loaded.ngram_range is None and loaded._fitted.ngrams is None
    # the default weight, as an estimator pickled before the companion gets
    # it: a companion turned on later blends by the default
    assert loaded.ngram_weight == RNNTextClassifier().ngram_weight
    metadata["params"]["ngram_range"] = None
    _refused_because(
        _write(metadata, arrays), "params.ngram_range is in a file of a version before"
    )
    metadata, arrays = _read(_companion_bytes())
    _before_characters(metadata)
    metadata["format_version"] = 4
    _refused_because(_write(metadata, arrays), "unexpected keys ['ngrams']")


def _as_before_standardized_targets(model):
    """``model`` as skrnn made it before version 9: trained on raw targets."""
    fitted = model._fitted
    model._fitted = dataclasses.replace(
        fitted,
        target_scaling=None,
        members=tuple(
            dataclasses.replace(member, target_scaling=None)
            for member in fitted.members
        ),
    )


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_a_version_7_regressor_file_loads_with_the_loss_of_its_head(loss):
    # Version 7 had no loss: a regressor's head was the identity, or that of
    # a subclass that set heads (a Poisson head of one's own, say).
    model = skrnn.RNNTextRegressor(**TINY, loss=loss).fit(X, np.arange(len(X)) % 3)
    _as_before_standardized_targets(model)
    metadata, arrays = _read(_saved_bytes(model))
    _before_characters(metadata)
    metadata["format_version"] = 7
    _refused_because(
        _write(metadata, arrays),
        "params.loss is in a file of a version before the loss parameter",
    )
    del metadata["params"]["loss"]
    loaded = skrnn.load(io.BytesIO(_write(metadata, arrays)))
    assert loaded.loss == loss
    assert_array_equal(loaded.predict(X), model.predict(X))


# ------------------------------------------------------- standardized targets

OLD_REGRESSOR = json.loads((OLD_FILES / "regressor_e951b7e.json").read_text())


def test_a_version_8_regressor_file_predicts_and_continues_as_before():
    # Written by skrnn e951b7e, which trained on the targets as they were:
    # loaded, it still does (no standardization), to the same predictions.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkrnnVersionWarning)
        model = skrnn.load(OLD_FILES / "regressor_e951b7e.skrnn")
    assert model._fitted.target_scaling is None
    X_old, y_old = OLD_REGRESSOR["X"], np.array(OLD_REGRESSOR["y"])
    assert_allclose(model.predict(X_old), OLD_REGRESSOR["predict"], rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.partial_fit(X_old, y_old)
    assert model._fitted.target_scaling is None
    assert_allclose(
        model.predict(X_old), OLD_REGRESSOR["predict_after_partial_fit"], rtol=1e-5
    )


def test_a_regressor_file_holds_the_standardization_of_its_targets():
    y = np.column_stack([1000.0 * (np.arange(len(X)) % 3) + 5, np.arange(len(X))])
    model = skrnn.RNNTextRegressor(**TINY).fit(X, y)
    metadata, arrays = _read(_saved_bytes(model))
    scaling = model._fitted.target_scaling
    assert_array_equal(arrays["targets/mean"], scaling.mean)
    assert_array_equal(arrays["targets/scale"], scaling.scale)
    loaded = skrnn.load(io.BytesIO(_write(metadata, arrays)))
    assert_array_equal(loaded.predict(X), model.predict(X))
    # neither a Poisson regressor nor a classifier has one
    for other in (
        skrnn.RNNTextRegressor(**TINY, loss="poisson").fit(X, np.abs(y)),
        RNNTextClassifier(**TINY).fit(X, Y),
    ):
        assert other._fitted.target_scaling is None
        _, other_arrays = _read(_saved_bytes(other))
        assert not {"targets/mean", "targets/scale"} & set(other_arrays)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda a: a.pop("targets/scale"), "has no 'targets/scale' array"),
        (
            lambda a: a.update({"targets/mean": a["targets/mean"].astype("f4")}),
            "targets/mean is a float32 array of shape (1,)",
        ),
        (
            lambda a: a.update({"targets/scale": np.ones(2)}),
            "targets/scale is a float64 array of shape (2,)",
        ),
        (
            lambda a: a.update({"targets/mean": np.array([np.nan])}),
            "targets/mean holds NaN",
        ),
        (
            lambda a: a.update({"targets/scale": np.array([-1.0])}),
            "targets/scale holds values that are not positive",
        ),
    ],
    ids=["missing", "dtype", "shape", "nan", "negative"],
)
def test_a_damaged_standardization_of_targets_is_refused(change, reason):
    model = skrnn.RNNTextRegressor(**TINY).fit(X, 100.0 * (np.arange(len(X)) % 3))
    metadata, arrays = _read(_saved_bytes(model))
    change(arrays)
    _refused_because(_write(metadata, arrays), reason)


def test_a_standardization_of_targets_where_none_belongs_is_refused():
    model = skrnn.RNNTextRegressor(**TINY).fit(X, 100.0 * (np.arange(len(X)) % 3))
    metadata, arrays = _read(_saved_bytes(model))
    _before_characters(metadata)
    metadata["format_version"] = 8
    _refused_because(
        _write(metadata, arrays),
        "a network with a 'identity' head in a file of version 8 has no "
        "targets/mean array",
    )
    classifier = RNNTextClassifier(**TINY).fit(X, Y)
    metadata, arrays = _read(_saved_bytes(classifier))
    arrays.update({"targets/mean": np.zeros(1), "targets/scale": np.ones(1)})
    _refused_because(
        _write(metadata, arrays),
        f"a network with a 'softmax' head in a file of version {FORMAT_VERSION} "
        "has no targets/mean",
    )


def test_a_model_of_a_version_8_file_saves_again_without_standardization():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkrnnVersionWarning)
        model = skrnn.load(OLD_FILES / "regressor_e951b7e.skrnn")
    metadata, arrays = _read(_saved_bytes(model))
    assert metadata["format_version"] == FORMAT_VERSION
    assert "targets/mean" not in arrays
    loaded = skrnn.load(io.BytesIO(_write(metadata, arrays)))
    assert loaded._fitted.target_scaling is None
    assert_array_equal(
        loaded.predict(OLD_REGRESSOR["X"]), model.predict(OLD_REGRESSOR["X"])
    )
