"""The ``skrnn`` command line, driven through ``main([...])`` and capsys."""

import argparse
import csv
import gzip
import io
import os
import re
import subprocess
import sys
import warnings
from numbers import Integral
from typing import ClassVar

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import BaseEstimator
from sklearn.metrics import mean_poisson_deviance
from sklearn.utils._param_validation import Interval, StrOptions

import skrnn._classifier as classifier_module
import skrnn._persistence as skrnn_persistence
import skrnn._training as training_module
from skrnn._cli import (
    UsageError,
    _format_matrix,
    add_parameter_options,
    main,
    make_estimator,
    parameter_docs,
    parameter_value,
    parse_value,
)

ROWS = [
    ("good movie", "pos"),
    ("bad movie", "neg"),
    ("really good fun", "pos"),
    ("really bad , awful", "neg"),
    ("great", "pos"),
    ("boring and bad", "neg"),
]
FAST = ["--hidden-size", "4", "--embedding-dim", "4", "--max-iter", "2"]


@pytest.fixture
def persistence():
    """The module of skrnn.save and skrnn.load."""
    return skrnn_persistence


@pytest.fixture
def data_csv(tmp_path):
    path = tmp_path / "data.csv"
    lines = ["text,label", *(f'"{text}",{label}' for text, label in ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(capsys, *argv):
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err, *fragments):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


# ------------------------------------------------------------------ help


@pytest.mark.parametrize(
    "command", [[], ["train"], ["predict"], ["evaluate"], ["demo"]]
)
def test_help(capsys, command):
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert out.startswith("usage: skrnn")


def test_train_help_does_not_write_out_the_default_token_pattern(capsys):
    # Regression: the default token pattern's 12,600 characters of Unicode
    # ranges filled the help.
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0
    section = out[out.index("--token-pattern") :].split("\n  --", 1)[0]
    assert "too long to show" in " ".join(section.split())
    assert len(section) < 1000


def test_train_help_lists_the_parameters(capsys):
    _, out, _ = run(capsys, "train", "--help")
    out = " ".join(out.split())  # as wrapped to any width
    for option in (
        "--hidden-size",
        "--max-iter",
        "--early-stopping",
        "--token-pattern",
    ):
        assert option in out
    # Each with its type, default and first sentence from the docstring.
    assert "int, default=64. Width of the hidden state" in out
    # The text parameters take their entries from SequenceVectorizer's.
    assert "Regular expression denoting what constitutes a token" in out
    # Choices come from the constraints: every learning-rate schedule.
    assert "--learning-rate VALUE {adaptive,constant,cosine,invscaling}" in out


class Documented:
    """An estimator-like class with a numpydoc docstring.

    Parameters
    ----------
    size : int, default=3
        How big. A second sentence.
    a, b : float, default=0.5
        Two rates, see :class:`~sklearn.base.BaseEstimator` and ``alpha``.
    text : see Documented
        Not followed: the class names itself.

    Attributes
    ----------
    size_ : int
        Not a parameter.
    """


def test_parameter_docs_reads_the_numpydoc_parameters():
    docs = parameter_docs(Documented)
    assert docs["size"] == "int, default=3. How big."
    assert (
        docs["a"]
        == docs["b"]
        == ("float, default=0.5. Two rates, see BaseEstimator and alpha.")
    )
    assert docs["text"].startswith("see Documented. Not followed")
    assert "size_" not in docs


def test_parameter_value_keeps_the_text_the_constraints_want():
    from skrnn import RNNTextClassifier

    # Regression: "[0-9]" became the list [-9], a Python literal.
    assert parameter_value(RNNTextClassifier, "token_pattern", "[0-9]") == "[0-9]"
    assert parameter_value(RNNTextClassifier, "embeddings", "300") == "300"
    assert parameter_value(RNNTextClassifier, "hidden_size", "300") == 300
    assert parameter_value(RNNTextClassifier, "token_pattern", "none") is None
    # A value that neither reading satisfies stays the literal, for the error.
    assert parameter_value(RNNTextClassifier, "hidden_size", "[1]") == [1]


@pytest.mark.parametrize(
    ("name", "typed", "value"),
    [
        ("max_iter", "1e3", 1000),
        ("hidden_size", "64.0", 64),
        ("max_iter", "2.5", 2.5),  # refused by the constraints, as typed
        ("min_df", "1.0", 1.0),  # a proportion: the float is accepted
        ("tol", "1e-3", 0.001),
    ],
)
def test_a_whole_float_is_an_int_where_only_ints_are_accepted(name, typed, value):
    # Regression: --max-iter 1e3 was refused as a float.
    from skrnn import RNNTextClassifier

    parsed = parameter_value(RNNTextClassifier, name, typed)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    ("name", "typed", "value"),
    [
        ("ngram_range", "[1, 3]", (1, 3)),
        ("char_ngram_range", "[2, 5]", (2, 5)),
        ("char_ngram_range", "2, 5", (2, 5)),
        ("token_pattern", "[0-9]", "[0-9]"),  # a str, not a tuple
    ],
)
def test_a_list_is_a_tuple_where_only_tuples_are_accepted(name, typed, value):
    # Regression (a prober's note): --ngram-range "[1, 2]" was refused, a list
    # where the constraints want a tuple.
    from skrnn import RNNTextClassifier

    parsed = parameter_value(RNNTextClassifier, name, typed)
    assert parsed == value and type(parsed) is type(value)


class Regressor(BaseEstimator):
    """Another estimator, as RNNTextRegressor will be: no class_weight.

    Parameters
    ----------
    hidden_size : int, default=64
        Width of the hidden state.
    loss : {"squared_error", "huber"}, default="squared_error"
        The loss.
    """

    _parameter_constraints: ClassVar[dict] = {
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "loss": [StrOptions({"squared_error", "huber"})],
    }

    def __init__(self, *, hidden_size=64, loss="squared_error"):
        self.hidden_size = hidden_size
        self.loss = loss


def test_parameter_options_serve_another_estimator(capsys):
    parser = argparse.ArgumentParser(prog="skrnn train-regressor")
    add_parameter_options(parser, Regressor)
    args = parser.parse_args(["--hidden-size", "8", "--param", "loss=huber"])
    estimator = make_estimator(Regressor, args.parameters)
    assert estimator.get_params() == {"hidden_size": 8, "loss": "huber"}
    with pytest.raises(SystemExit):
        parser.parse_args(["--class-weight", "balanced"])
    capsys.readouterr()
    args = parser.parse_args(["--param", "class_weight=balanced"])
    with pytest.raises(UsageError, match="unknown parameter 'class_weight'"):
        make_estimator(Regressor, args.parameters)
    args = parser.parse_args(["--loss", "absolute_error"])
    with pytest.raises(UsageError, match="'loss' parameter of Regressor"):
        make_estimator(Regressor, args.parameters)
    parser.print_help()
    assert "int, default=64. Width of the hidden state." in capsys.readouterr().out


HELP_WITHOUT_SKLEARN = """
import sys
from skrnn._cli import main
for argv in {argvs!r}:
    try:
        main(argv)
    except SystemExit:
        pass
loaded = {{m.split(".")[0] for m in sys.modules}} & {{"numpy", "sklearn", "scipy"}}
assert not loaded, sorted(loaded)
"""


def test_help_and_usage_errors_do_not_import_sklearn():
    # Regression: `skrnn --help` took 3-4 s to import scikit-learn.
    argvs = [
        ["--help"],
        ["predict", "--help"],
        ["evaluate", "--help"],
        ["demo", "--help"],
        ["frobnicate"],
        ["predict"],
        ["demo", "--epochs", "0"],
    ]
    script = HELP_WITHOUT_SKLEARN.format(argvs=argvs)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_python_m_skrnn_help():
    result = subprocess.run(
        [sys.executable, "-m", "skrnn", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    for command in ("train", "predict", "evaluate", "demo"):
        assert command in result.stdout


def test_usage_errors_exit_2(capsys):
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys, "train")[0] == 2
    assert run(capsys, "predict", "--no-such-option", "m")[0] == 2


# ------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("64", 64),
        ("1e-3", 0.001),
        ("gru", "gru"),
        ("True", True),
        ("false", False),
        ("None", None),
        ("null", None),
        ("[1, 2]", [1, 2]),
        ("{'pos': 2.0}", {"pos": 2.0}),
        (r"(?u)\b\w+\b", r"(?u)\b\w+\b"),
        ("english", "english"),
    ],
)
def test_parse_value(text, value):
    assert parse_value(text) == value


@pytest.mark.parametrize(
    ("option", "fragment"),
    [
        # Regression: a mistyped option of the command itself was reported
        # as an unknown parameter, with the closest parameter (--out gave
        # "did you mean 'dropout'?").
        (["--quite"], "unrecognized option '--quite'; did you mean '--quiet'?"),
        (["--out", "m"], "did you mean '--output'?"),
        (["--delimeter", ","], "did you mean '--delimiter'?"),
        (["--text-col", "text"], "did you mean '--text-column'?"),
        (["--xyzzy"], "unrecognized option '--xyzzy'"),
        (["--hiden-size", "4"], "did you mean 'hidden_size'"),
        (["--hiden-size=4"], "did you mean 'hidden_size'"),
        (["--param", "hiden_size=4"], "did you mean 'hidden_size'"),
        (["--hidden-size", "0"], "'hidden_size' parameter"),
        (["--cell", "lstn"], "'cell' parameter"),
        # The checks below are the estimator's _parameter_constraints.
        (["--n-jobs", "0"], "'n_jobs' parameter"),
        (["--param", "n_jobs=0"], "'n_jobs' parameter"),
        (["--dtype", "numpy.int8"], "'dtype' parameter"),
        (["--dtype", "float16"], "'dtype' parameter"),
        (["--token-pattern", "(unclosed"], "--token-pattern"),
        (["--token-pattern", r"(\w)(\w+)"], "--token-pattern"),
        (["--token-pattern", "None"], "needs a tokenizer"),
        (["--vocabulary", "good"], "--vocabulary"),
        (["--vocabulary", "['good', 2]"], "--vocabulary"),
        (["--param", "random_state=1", "--random-state", "2"], "'random_state'"),
        (["--max-iter", "2", "--param", "max_iter=2"], "'max_iter' is given twice"),
        (["--hidden-size", "4", "--hidden_size=8"], "'hidden_size' is given twice"),
        (["-q", "--verbose", "2"], "-q"),
        (["--param", "verbose=0", "--quiet"], "--quiet"),
        (["--delimiter", ",,"], "--delimiter"),
        (["--delimiter", ""], "--delimiter"),
        (["--format", "lines", "--text-column", "0"], "--text-column is for CSV"),
    ],
)
def test_bad_parameters_exit_2_with_one_line(
    capsys, data_csv, tmp_path, option, fragment
):
    code, out, err = run(capsys, "train", data_csv, "-o", tmp_path / "m", *option)
    assert code == 2
    assert out == ""
    assert_one_line_error(err, "skrnn train: error:", fragment)
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("option", "fragment"),
    [
        (["--param", "hidden_size"], "--param: expected NAME=VALUE"),
        (["--hidden-size"], "--hidden-size: expected one argument"),
    ],
)
def test_malformed_options_exit_2_after_the_usage(
    capsys, data_csv, tmp_path, option, fragment
):
    code, out, err = run(capsys, "train", data_csv, "-o", tmp_path / "m", *option)
    assert code == 2
    assert out == ""
    assert err.startswith("usage: skrnn train")
    assert err.splitlines()[-1].startswith("skrnn train: error: argument ")
    assert fragment in err.splitlines()[-1]


# ------------------------------------------------------------------- data


@pytest.mark.parametrize(
    ("content", "options", "fragments"),
    [
        ("text,label\ngood,pos\n", ["--text-column", "txt"], ["no column 'txt'"]),
        ("a,b,c\nx,y,z\n", [], ["3 columns", "--text-column"]),
        ("good,pos\nbad\n", ["--no-header"], ["line 2", "expected at least 2"]),
        # Regression: an empty label became a class "" silently.
        ("text,label\ngood,pos\nbad, \n", [], ["line 3", "label", "empty"]),
        # Regression: an unclosed quote was reported as a field-count error.
        ('text,label\n"good,pos\nbad,neg\n', [], ["line 2", "never closed"]),
        # Regression: no hint about the delimiter ("1 columns; choose them").
        ("text\tlabel\ngood\tpos\nbad\tneg\n", [], ["tab", "--delimiter tab"]),
        ("", [], ["no data"]),
        ("good,pos\n", ["--format", "lines"], ["line 1"]),
    ],
)
def test_bad_data_exits_1_with_one_line(capsys, tmp_path, content, options, fragments):
    path = tmp_path / "data.csv"
    path.write_text(content)
    code, out, err = run(capsys, "train", path, "-o", tmp_path / "m", *options)
    assert code == 1
    assert out == ""
    assert_one_line_error(err, "skrnn train: error:", *fragments)


def test_one_class_exits_1(capsys, persistence, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("good,pos\nbad,pos\n")
    code, _, err = run(capsys, "train", path, "-o", tmp_path / "m", "-q", *FAST)
    assert code == 1
    assert_one_line_error(err, "skrnn train: error:", "at least 2 classes")


def test_missing_files_exit_1(capsys, tmp_path):
    code, _, err = run(capsys, "train", tmp_path / "nope.csv", "-o", tmp_path / "m")
    assert code == 1
    assert_one_line_error(err, "cannot read", "nope.csv")
    code, _, err = run(capsys, "predict", tmp_path / "nope.skrnn", "-")
    assert code == 1
    assert_one_line_error(err, "skrnn predict: error:")
    code, _, err = run(capsys, "evaluate", tmp_path / "nope.skrnn", tmp_path / "d.csv")
    assert code == 1
    assert_one_line_error(err, "skrnn evaluate: error:")


# ------------------------------------------------- train, predict, evaluate


@pytest.fixture
def model(persistence, capsys, data_csv, tmp_path):
    path = tmp_path / "model.skrnn"
    options = [*FAST, "--param", "random_state=0"]
    code, out, err = run(capsys, "train", data_csv, "-o", path, *options)
    assert code == 0, err
    assert out == ""  # progress and notes go to stderr
    assert "Epoch 2" in err
    assert "saved to" in err
    return path


def test_train_then_predict(capsys, model, tmp_path):
    docs = tmp_path / "docs.txt"
    docs.write_text("good movie\nbad movie\n\nreally awful\n")
    code, out, err = run(capsys, "predict", model, docs)
    assert code == 0, err
    labels = out.splitlines()
    assert len(labels) == 4  # one label per line, the empty line included
    expected = skrnn_persistence.load(model).predict(
        ["good movie", "bad movie", "", "really awful"]
    )
    assert labels == expected.tolist()


def test_the_confusion_matrix_aligns_labels_of_wide_characters():
    # Regression (a prober's finding): its widths came from len(), which
    # counts a wide character as one of the two columns it takes.
    lines = _format_matrix(np.array([[1, 20], [3, 4]]), ["日本", "neg"]).splitlines()
    assert lines == ["      日本   neg", "日本     1    20", " neg     3     4"]


@pytest.mark.parametrize(
    "options",
    [["--proba"], ["--format", "text"], ["--n-jobs", "1", "--proba"]],
    ids=["proba", "format", "two-options"],
)
def test_predict_takes_its_options_between_the_model_and_the_data(
    capsys, model, tmp_path, options
):
    # Regression (a prober's finding): argparse gave the optional DATA its
    # default when an option followed MODEL, so `skrnn predict MODEL --proba
    # DATA` was "skrnn: error: unrecognized arguments: DATA".
    docs = tmp_path / "docs.txt"
    docs.write_text("good movie\nbad movie\n")
    expected = run(capsys, "predict", model, docs, *options)
    assert expected[0] == 0
    assert run(capsys, "predict", model, *options, docs) == expected
    code, _, err = run(capsys, "predict", model, *options, docs, "other.txt")
    assert code == 2
    assert "unrecognized arguments: other.txt" in err


def test_predict_takes_data_after_a_double_dash_that_follows_an_option(
    capsys, model, tmp_path, monkeypatch
):
    # Regression (a prober's finding): `skrnn predict MODEL --proba -- -x.txt`
    # was "unrecognized arguments: -- -x.txt", though `skrnn predict MODEL --
    # -x.txt` read the file, as "--" makes the arguments after it positional.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-docs.txt").write_text("good movie\nbad movie\n")
    expected = run(capsys, "predict", model, "--proba", "./-docs.txt")
    assert expected[0] == 0
    assert run(capsys, "predict", model, "--proba", "--", "-docs.txt") == expected
    assert (
        run(capsys, "predict", model, "--", "-docs.txt")[1]
        == run(capsys, "predict", model, "./-docs.txt")[1]
    )


def test_an_output_under_a_file_says_that_it_is_a_file(capsys, data_csv, tmp_path):
    # Regression (a prober's finding): -o data.csv/model.skrnn was "there is
    # no folder data.csv", which is there, as a file.
    code, _, err = run(capsys, "train", data_csv, "-o", data_csv / "m.skrnn", *FAST)
    assert code == 1
    assert_one_line_error(err, f"{data_csv} is a file, not a folder")


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "", "-o", "model.skrnn"],
        ["train", "{data}", "-o", ""],
        ["predict", "{model}", ""],
        ["predict", "", "{data}"],
        ["evaluate", "{model}", ""],
    ],
    ids=["train-data", "train-output", "predict-data", "predict-model", "evaluate"],
)
def test_an_empty_file_name_is_a_usage_error(
    capsys, model, data_csv, tmp_path, monkeypatch, argv
):
    # Regression (a prober's finding): Path("") is the current folder, so an
    # empty DATA was "cannot read : is a directory" and an empty -o "cannot
    # save to : it is a folder", with exit code 1.
    monkeypatch.chdir(tmp_path)
    argv = [arg.format(model=model, data=data_csv) for arg in argv]
    code, out, err = run(capsys, *argv, *(FAST if argv[0] == "train" else []))
    assert code == 2 and not out
    assert_one_line_error(err, "is an empty file name")


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "{data}", "-o", "m.skrnn", "extra"],
        ["predict", "{model}", "{data}", "extra"],
        ["evaluate", "{model}", "{data}", "extra"],
        ["demo", "extra"],
    ],
    ids=["train", "predict", "evaluate", "demo"],
)
def test_an_extra_argument_is_reported_with_the_commands_usage(
    capsys, model, data_csv, tmp_path, monkeypatch, argv
):
    # Regression (a prober's finding): it came with the main parser's usage
    # and name, "usage: skrnn [-h] COMMAND ..." and "skrnn: error: ...".
    monkeypatch.chdir(tmp_path)
    argv = [arg.format(model=model, data=data_csv) for arg in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2 and not out
    assert err.startswith(f"usage: skrnn {argv[0]} ")
    last = err.strip().splitlines()[-1]
    assert last == f"skrnn {argv[0]}: error: unrecognized arguments: extra"


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_a_label_that_stdout_cannot_encode_is_a_one_line_error(
    capsys, tmp_path, monkeypatch, command
):
    # Regression (a prober's finding): a label that stdout's encoding lacks
    # (a Windows code page of output redirected to a file, an ASCII locale)
    # was a UnicodeEncodeError traceback.
    data = tmp_path / "data.csv"
    rows = [("good movie", "日本"), ("bad movie", "neg")] * 3
    data.write_text(
        "text,label\n" + "".join(f"{t},{y}\n" for t, y in rows), encoding="utf-8"
    )
    path = tmp_path / "model.skrnn"
    assert run(capsys, "train", data, "-o", path, *FAST, "-q")[0] == 0
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", stdout)
    code = main([command, str(path), str(data)])
    _, err = capsys.readouterr()
    assert code == 1
    assert_one_line_error(err, "cp1252", "'日本'", "PYTHONIOENCODING=utf-8")


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_a_model_of_another_version_is_a_warning_line(
    capsys, persistence, model, data_csv, monkeypatch, command
):
    # Regression: the version warning of skrnn.load came out as Python's,
    # "<frozen runpy>:88: SkrnnVersionWarning: ..." under python -m skrnn,
    # and under -W error the model did not load.
    monkeypatch.setattr(persistence, "__version__", "9.9.9")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, out, err = run(capsys, command, model, data_csv)
    assert code == 0 and out
    assert_one_line_error(err, "skrnn: warning: ", "saved with skrnn", "9.9.9")


def test_predict_proba_reads_stdin(capsys, model, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(b"good movie\nbad movie\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = run(capsys, "predict", model, "--proba")
    assert code == 0
    header, *rows = out.splitlines()
    assert header == "label\tneg\tpos"
    assert len(rows) == 2
    for row in rows:
        label, p_neg, p_pos = row.split("\t")
        assert label == ("neg" if float(p_neg) > float(p_pos) else "pos")
        assert float(p_neg) + float(p_pos) == pytest.approx(1, abs=1e-5)


def test_predict_reads_gzip_on_stdin(capsys, model, monkeypatch):
    # Regression: gzip bytes on stdin were read as Latin-1 text.
    lines = b"good movie\nbad movie\nok\n"
    piped = io.BytesIO(gzip.compress(lines))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(piped, encoding="utf-8"))
    code, out, _ = run(capsys, "predict", model)
    plain = io.BytesIO(lines)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(plain, encoding="utf-8"))
    assert (code, out) == run(capsys, "predict", model)[:2]
    assert len(out.splitlines()) == 3


def _saved_with_labels(persistence, tmp_path, labels):
    """A small classifier of ``DOCUMENTS`` fitted on ``labels``, and its saved file."""
    from skrnn import RNNTextClassifier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged
        clf = RNNTextClassifier(hidden_size=4, embedding_dim=4, max_iter=2).fit(
            DOCUMENTS, labels
        )
    path = tmp_path / "odd.skrnn"
    persistence.save(clf, path)
    return clf, path


def test_predict_quotes_labels_that_would_break_rows(
    capsys, persistence, monkeypatch, tmp_path
):
    # Regression: a label holding a tab or a newline split its row.

    labels = ["neg\tative" if label == "neg" else 'pos\n"itive"' for _, label in ROWS]
    clf, path = _saved_with_labels(persistence, tmp_path, labels)
    for options in ([], ["--proba"]):
        stdin = io.TextIOWrapper(io.BytesIO(b"good movie\nbad\n"), encoding="utf-8")
        monkeypatch.setattr(sys, "stdin", stdin)
        code, out, _ = run(capsys, "predict", path, *options)
        assert code == 0
        rows = list(csv.reader(io.StringIO(out), delimiter="\t"))
        if options:
            header, *rows = rows
            assert header == ["label", *clf.classes_]
        assert [row[0] for row in rows] == clf.predict(["good movie", "bad"]).tolist()


def test_predict_proba_of_no_document_prints_the_header(capsys, model, monkeypatch):
    monkeypatch.setattr(
        sys, "stdin", io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")
    )
    code, out, _ = run(capsys, "predict", model, "--proba")
    assert (code, out) == (0, "label\tneg\tpos\n")


def test_evaluate(capsys, model, data_csv):
    code, out, err = run(capsys, "evaluate", model, data_csv)
    assert code == 0, err
    assert out.startswith("accuracy: ")
    assert "(6 documents)" in out
    assert "precision" in out
    assert "recall" in out
    assert "confusion matrix" in out
    matrix = out.split("confusion matrix")[1].splitlines()[2:]
    assert [line.split()[0] for line in matrix] == ["neg", "pos"]
    assert sum(int(v) for line in matrix for v in line.split()[1:]) == 6


def test_evaluate_shows_labels_that_would_break_its_tables_as_literals(
    capsys, persistence, tmp_path
):
    # Regression (a prober's finding): a label holding a tab or a newline
    # split the rows of the classification report and of the confusion matrix.

    odd = {"neg": "neg\tative", "pos": "pos\nitive"}
    labels = [odd[label] for _, label in ROWS]
    _, path = _saved_with_labels(persistence, tmp_path, labels)
    data = tmp_path / "odd.csv"
    rows = [*zip(DOCUMENTS, labels, strict=True), ("ok", "new\tlabel")]
    with open(data, "w", newline="") as f:
        csv.writer(f).writerows([("text", "label"), *rows])
    code, out, err = run(capsys, "evaluate", path, data)
    assert code == 0, err
    names = ["'neg\\tative'", "'new\\tlabel'", "'pos\\nitive'"]
    report, matrix = out.split("confusion matrix")
    report_rows = [line.split() for line in report.splitlines()]
    assert [row[0] for row in report_rows if len(row) == 5] == names
    header, *matrix_rows = matrix.splitlines()[1:]
    assert header.split() == names
    assert [row.split()[0] for row in matrix_rows] == names
    assert "does not know: 'new\\tlabel'" in err


# ------------------------------------ predict reads what train and evaluate read


def stdin_of(monkeypatch, data: bytes):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def predicted(model, documents):
    return skrnn_persistence.load(model).predict(documents).tolist()


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_n_jobs_sets_the_cores_that_predict(
    capsys, model, data_csv, monkeypatch, command
):
    from skrnn import RNNTextClassifier

    seen = []
    real = RNNTextClassifier._logits

    def recorded(self, *args, **kwargs):
        seen.append(self.n_jobs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(RNNTextClassifier, "_logits", recorded)
    code, out, err = run(capsys, command, model, data_csv, "--n-jobs", "2")
    assert code == 0, err
    assert seen == [2]
    # without it, the model's own n_jobs, and the same output
    code, default, _ = run(capsys, command, model, data_csv)
    assert seen == [2, skrnn_persistence.load(model).n_jobs]
    assert default == out
    code, _, err = run(capsys, command, model, data_csv, "--n-jobs", "0")
    assert code == 2
    assert "--n-jobs: must be -1 or less, or 1 or more, got 0" in err


def test_predict_reads_a_csv_as_train_does(capsys, model, data_csv):
    # Regression: 6 rows gave 7 labels, the header and the label column read
    # as text.
    code, out, err = run(capsys, "predict", model, data_csv)
    assert code == 0, err
    assert out.splitlines() == predicted(model, DOCUMENTS)


@pytest.mark.parametrize(
    ("name", "content", "options", "documents"),
    [
        ("d.tsv", "id\treview\n1\tgood movie\n2\tbad\n", [], ["good movie", "bad"]),
        (
            "d.csv",
            "id,review,stars\n1,good movie,5\n2,bad,1\n",
            ["--text-column", "review"],
            ["good movie", "bad"],
        ),
        ("d.csv", "good,pos\nbad,neg\nok,pos\n", ["--label-column", "1"], None),
        (
            "d.txt",
            "a;good\nb;bad\nc;ok\n",
            ["--delimiter", ";", "--text-column", "1"],
            None,
        ),
        ("d.csv.gz", "text\ngood\nbad\nok\n", [], None),
        ("d.txt", "pos good\nneg bad\npos ok\n", ["--format", "lines"], None),
        # --format text reads a .csv name as lines of text.
        ("d.csv", "good, really\nbad\n", ["--format", "text"], ["good, really", "bad"]),
        # One label per record: a quoted line break stays inside its document,
        # a blank row is an empty document.
        ("d.csv", 'text\n"good\nmovie"\n\nbad\n', [], ["good\nmovie", "", "bad"]),
        # Classic Mac line endings.
        ("d.csv", "text\rgood\rbad\rok\r", [], None),
        ("d.txt", "good\rbad\rok\r", [], None),
    ],
)
def test_predict_reads_tables_with_the_column_options(
    capsys, model, tmp_path, name, content, options, documents
):
    documents = documents or ["good", "bad", "ok"]
    path = tmp_path / name
    data = content.encode()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    code, out, err = run(capsys, "predict", model, path, *options)
    assert code == 0, err
    assert out.splitlines() == predicted(model, documents)


def test_predict_classic_mac_line_endings_on_stdin(capsys, model, monkeypatch):
    # Regression: `printf 'good\rbad\rok\r' | skrnn predict m -` printed one
    # label.
    stdin_of(monkeypatch, b"good\rbad\rok\r")
    code, out, err = run(capsys, "predict", model, "-")
    assert code == 0, err
    assert out.splitlines() == predicted(model, ["good", "bad", "ok"])


def test_predict_reads_csv_on_stdin_when_a_column_is_given(capsys, model, monkeypatch):
    stdin_of(monkeypatch, b"id,review\n1,good movie\n2,bad\n")
    code, out, err = run(capsys, "predict", model, "--text-column", "review")
    assert code == 0, err
    assert out.splitlines() == predicted(model, ["good movie", "bad"])


@pytest.mark.parametrize(
    ("content", "options", "code", "fragments"),
    [
        ("a,b,c\nx,y,z\n", [], 1, ["3 columns", "--text-column"]),
        ("text,label\ngood,pos\n", ["--text-column", "txt"], 1, ["no column"]),
        ('text\n"good\nbad\n', [], 1, ["line 2", "never closed"]),
        ("text\tid\ngood\t1\nbad\t2\n", [], 1, ["--delimiter tab"]),
        ("good\n", ["--format", "text", "--no-header"], 2, ["--no-header"]),
    ],
)
def test_predict_data_errors(
    capsys, model, tmp_path, content, options, code, fragments
):
    path = tmp_path / "d.csv"
    path.write_text(content)
    result = run(capsys, "predict", model, path, *options)
    assert result[:2] == (code, "")
    assert_one_line_error(result[2], "skrnn predict: error:", *fragments)


def test_evaluate_reads_fields_longer_than_the_csv_default_limit(
    capsys, model, tmp_path
):
    # Regression: "field larger than field limit (131072)".
    long_text = "good movie " * 15_000
    path = tmp_path / "long.csv"
    path.write_text(f"text,label\n{long_text},pos\nbad,neg\n")
    code, out, err = run(capsys, "evaluate", model, path)
    assert code == 0, err
    assert "(2 documents)" in out


def test_train_lines_format_gzip_latin1(capsys, persistence, tmp_path):
    path = tmp_path / "data.txt.gz"
    lines = [f"{label} {text}" for text, label in ROWS] + ["pos caf\xe9 ok"]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("latin-1")))
    out_path = tmp_path / "m"
    options = ["--format", "lines", "-q", *FAST]
    code, _, err = run(capsys, "train", path, "-o", out_path, *options)
    assert code == 0, err
    assert "Epoch" not in err
    clf = persistence.load(out_path)
    assert "café" in clf.vectorizer_.vocabulary_
    assert sorted(clf.classes_) == ["neg", "pos"]


def test_train_parameters_reach_the_model(capsys, persistence, data_csv, tmp_path):
    out_path = tmp_path / "m"
    options = [
        *("-q", "--cell=gru", "--param", "bidirectional=true"),
        *("--class-weight", "{'pos': 2.0, 'neg': 1.0}"),
        *("--ngram-range", "1,2", "--ngram-weight", "0.3"),
    ]
    code, _, err = run(capsys, "train", data_csv, "-o", out_path, *FAST, *options)
    assert code == 0, err
    clf = persistence.load(out_path)
    assert clf.cell == "gru"
    assert clf.bidirectional is True
    assert clf.hidden_size == 4
    assert clf.class_weight == {"pos": 2.0, "neg": 1.0}
    assert clf.ngram_range == (1, 2) and clf.ngram_weight == 0.3
    assert clf._fitted.ngrams.ngram_range == (1, 2)
    assert clf.n_iter_ == 2


@pytest.mark.parametrize(
    ("options", "note"),
    [
        (["--ngram-weight", "0.3"], "ids, n-gram companion at 0.3); saved"),
        (["--ngram-range", "none"], " ids); saved"),
    ],
)
def test_train_says_the_companions_weight(capsys, data_csv, tmp_path, options, note):
    # ngram_weight="auto" (the default) may choose it: the note says which
    out_path = tmp_path / "m"
    code, _, err = run(capsys, "train", data_csv, "-o", out_path, *FAST, *options)
    assert code == 0, err
    assert note in err


def test_interrupted_ensemble_training_saves_the_members_trained(
    capsys, persistence, data_csv, tmp_path, monkeypatch
):
    calls = []
    run_epoch = training_module.run_epoch

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:  # during member 1's second epoch
            raise KeyboardInterrupt
        return run_epoch(*args, **kwargs)

    monkeypatch.setattr(training_module, "run_epoch", interrupted)
    out_path = tmp_path / "m"
    options = ["-q", "--n-estimators", "3"]
    code, _, err = run(capsys, "train", data_csv, "-o", out_path, *FAST, *options)
    assert code == 0, err
    assert "2 member(s) of the ensemble trained so far" in err
    clf = persistence.load(out_path)
    assert clf.n_estimators == len(clf.estimators_weights_) == 2
    assert clf.n_iter_ == 2


@pytest.mark.parametrize("n_estimators", ["1", "3"])
def test_training_interrupted_in_its_first_epoch_keeps_the_old_model_file(
    capsys, data_csv, tmp_path, monkeypatch, n_estimators
):
    # Regression: Ctrl-C before an epoch had ended saved the untrained
    # network over the model file and exited 0 (an ensemble crashed with
    # IndexError).
    out_path = tmp_path / "m"
    code, _, err = run(capsys, "train", data_csv, "-o", out_path, "-q", *FAST)
    assert code == 0, err
    before = out_path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training_module, "run_epoch", interrupted)
    options = ["-q", "--n-estimators", n_estimators]
    code, out, err = run(capsys, "train", data_csv, "-o", out_path, *FAST, *options)
    assert (code, out) == (130, "")
    assert "skrnn train: interrupted before the first epoch ended" in err
    assert out_path.read_bytes() == before


def test_training_interrupted_while_auto_chooses_the_weight_saves_nothing(
    capsys, data_csv, tmp_path, monkeypatch
):
    # Regression: Ctrl-C while ngram_weight="auto" fitted its probe left the
    # estimator unfitted, and the command crashed reading its n_iter_.
    monkeypatch.setattr(classifier_module, "AUTO_WEIGHT_HELD_OUT", 2)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training_module, "run_epoch", interrupted)
    out_path = tmp_path / "m"
    options = ["-q", "--ngram-range", "1,2", "--ngram-weight", "auto"]
    code, out, err = run(capsys, "train", data_csv, "-o", out_path, *FAST, *options)
    assert (code, out) == (130, "")
    assert "while ngram_weight='auto' chose" in err
    assert "skrnn train: interrupted before the first epoch ended" in err
    assert not out_path.exists()


@pytest.mark.parametrize("where", ["missing-folder/model.skrnn", "."])
def test_train_checks_the_output_path_before_reading_data(capsys, tmp_path, where):
    # Regression: a missing folder was found only after training.
    out_path = str(tmp_path / where)
    code, _, err = run(capsys, "train", str(tmp_path / "no-data.csv"), "-o", out_path)
    assert code == 1
    assert err.startswith(f"skrnn train: error: cannot save to {out_path}: ")
    assert "no-data.csv" not in err


def test_train_refuses_an_output_that_ends_with_a_separator(capsys, tmp_path):
    # Regression: -o models/ trained, then wrote a file named "models".
    out_path = f"{tmp_path / 'models'}{os.sep}"
    code, _, err = run(capsys, "train", str(tmp_path / "no-data.csv"), "-o", out_path)
    assert code == 1
    assert_one_line_error(err, f"cannot save to {out_path}: ", "folder")
    assert "no-data.csv" not in err
    assert not (tmp_path / "models").exists()


def test_train_refuses_to_write_the_model_to_stdout(
    capsys, data_csv, tmp_path, monkeypatch
):
    # Regression: -o - wrote a file named "-".
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "train", data_csv, "-o", "-", *FAST)
    assert (code, out) == (2, "")
    assert_one_line_error(err, "cannot be written to stdout")
    assert not (tmp_path / "-").exists()


def test_train_refuses_to_overwrite_its_data(capsys, data_csv, tmp_path):
    # Regression: `skrnn train data.csv -o data.csv` replaced the data with
    # the model and exited 0.
    before = data_csv.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(data_csv)
    for output in (data_csv, link, tmp_path / "." / "data.csv"):
        code, out, err = run(capsys, "train", data_csv, "-o", output, *FAST)
        assert (code, out) == (2, "")
        assert_one_line_error(err, "skrnn train: error:", "input file", "overwrite")
    assert data_csv.read_bytes() == before


def test_train_refuses_to_overwrite_its_embeddings(capsys, data_csv, tmp_path):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("good 0.1 0.2\nbad 0.3 0.4\n")
    options = ["--embeddings", vectors, "--embedding-dim", "None"]
    code, _, err = run(capsys, "train", data_csv, "-o", vectors, *options)
    assert code == 2
    assert_one_line_error(err, "vectors.txt", "overwrite")
    assert vectors.read_text().startswith("good 0.1")


def unwritable_folders():
    """Folders where a file cannot be made, even by root, on this system."""
    if sys.platform.startswith("linux") and os.path.isdir("/sys/kernel"):
        yield "/sys/kernel"


@pytest.mark.parametrize("folder", ["chmod", *unwritable_folders()])
def test_train_checks_the_folder_is_writable_before_training(
    capsys, monkeypatch, data_csv, tmp_path, folder
):
    # Regression: found only when saving, after all epochs: the model was lost.
    if folder == "chmod":
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            pytest.skip("root writes in a read-only folder")
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
    from skrnn import RNNTextClassifier

    def fit(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(RNNTextClassifier, "fit", fit)
    output = os.path.join(folder, "model.skrnn")
    code, out, err = run(capsys, "train", data_csv, "-o", output, *FAST)
    assert (code, out) == (1, "")
    assert_one_line_error(err, f"cannot save to {output}", "cannot write in the folder")


def test_train_refuses_a_read_only_output_before_training(
    capsys, monkeypatch, data_csv, tmp_path
):
    # A prober's finding: the model replaced a read-only file at -o.
    from skrnn import RNNTextClassifier

    def fit(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(RNNTextClassifier, "fit", fit)
    output = tmp_path / "model.skrnn"
    output.write_bytes(b"kept")
    output.chmod(0o444)
    code, out, err = run(capsys, "train", data_csv, "-o", str(output), *FAST)
    assert (code, out) == (1, "")
    assert_one_line_error(err, f"cannot save to {output}", "read-only")
    assert output.read_bytes() == b"kept"


@pytest.mark.parametrize("command", ["train", "predict"])
def test_memory_error_is_one_line(capsys, monkeypatch, model, data_csv, command):
    # Regression: a traceback (--hidden-size 100000000, a 40 MB line).
    from skrnn import RNNTextClassifier

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(RNNTextClassifier, "fit", out_of_memory)
    monkeypatch.setattr(RNNTextClassifier, "predict", out_of_memory)
    if command == "train":
        argv = ["train", data_csv, "-o", model.with_name("new"), "-q", *FAST]
    else:
        argv = ["predict", model, data_csv, "--header"]
    code, out, err = run(capsys, *argv)
    assert (code, out) == (1, "")
    assert_one_line_error(err, f"skrnn {command}: error: out of memory")


def test_a_load_error_is_one_line_with_all_of_its_message(
    capsys, monkeypatch, persistence, tmp_path
):
    # The whole of load's ValueError, such as what to do, on one line.
    path = tmp_path / "model.joblib"
    path.write_bytes(b"not a model")

    def load(path, trusted=None):
        raise ValueError(f"{path} is not a skrnn model.\nLoad it with joblib.load.")

    monkeypatch.setattr(persistence, "load", load)
    code, out, err = run(capsys, "predict", path, "-")
    assert (code, out) == (1, "")
    assert_one_line_error(err, "is not a skrnn model.", "Load it with joblib.load.")


def test_a_joblib_pickle_given_as_model_is_a_one_line_error(capsys, tmp_path):
    joblib = pytest.importorskip("joblib")
    path = tmp_path / "model.joblib"
    joblib.dump({"not": "a model"}, path)
    code, out, err = run(capsys, "predict", path, "-")
    assert (code, out) == (1, "")
    assert_one_line_error(err, f"skrnn predict: error: cannot load model {path}")


def test_demo_still_runs(capsys):
    code, out, _ = run(capsys, "demo", "--epochs", "2", "--every", "1")
    assert code == 0
    assert "--- Epoch 2" in out


@pytest.mark.parametrize(
    "options, message",
    [
        (["--epochs", "0"], "--epochs: must be 1 or more, got 0"),
        (["--every", "-1"], "--every: must be 1 or more, got -1"),
        (["--epochs", "x"], "--epochs: expected an integer, got 'x'"),
        (["--random-state", "-1"], "--random-state: must be in [0, 2**32 - 1]"),
    ],
)
def test_demo_bad_options_exit_2(capsys, options, message):
    # Regression: tracebacks (AttributeError, ValueError, InvalidParameterError).
    code, out, err = run(capsys, "demo", *options)
    assert code == 2
    assert out == ""
    assert err.splitlines()[-1].startswith(f"skrnn demo: error: argument {message}")


# ------------------------------------------ evaluate: the type of the classes

DOCUMENTS = [text for text, _ in ROWS]
POSITIVE = [label == "pos" for _, label in ROWS]
TYPED_TARGETS = {
    "bool": POSITIVE,
    "int": [int(p) for p in POSITIVE],
    "float": [float(p) for p in POSITIVE],
    "str": [str(p) for p in POSITIVE],
}


@pytest.fixture(scope="module")
def typed_models(tmp_path_factory):
    """Models trained in Python, by the type of their classes (TYPED_TARGETS)."""
    persistence = pytest.importorskip("skrnn._persistence")
    from skrnn import RNNTextClassifier

    directory = tmp_path_factory.mktemp("typed_models")
    models = {}
    for kind, y in TYPED_TARGETS.items():
        clf = RNNTextClassifier(
            hidden_size=4, embedding_dim=4, max_iter=2, random_state=0
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # not converged
            clf.fit(DOCUMENTS, y)
        persistence.save(clf, directory / kind)
        models[kind] = (directory / kind, clf)
    return models


def write_labelled(path, labels):
    """A CSV file of the documents of ROWS with other labels."""
    rows = (f'"{text}",{label}' for text, label in zip(DOCUMENTS, labels, strict=True))
    path.write_text("\n".join(["text,label", *rows]) + "\n")
    return path


def supports(out):
    """The support column of a classification report, by class."""
    report = out.split("support")[1].split("accuracy")[0]
    return {
        line.split()[0]: int(line.split()[-1])
        for line in report.splitlines()
        if line.strip()
    }


@pytest.mark.parametrize(
    ("kind", "labels", "expected"),
    [
        ("bool", ["True", "False", "true", "FALSE", "1", "0"], {"False": 3, "True": 3}),
        ("int", ["1", "0", "+1", "0", "1.0", "0"], {"0": 3, "1": 3}),
        ("float", ["1", "0", "1.0", "0.0", "1e0", "0e0"], {"0.0": 3, "1.0": 3}),
        ("str", [str(p) for p in POSITIVE], {"False": 3, "True": 3}),
    ],
)
def test_evaluate_reads_labels_as_the_type_of_the_classes(
    capsys, typed_models, tmp_path, kind, labels, expected
):
    path, clf = typed_models[kind]
    data = write_labelled(tmp_path / "data.csv", labels)
    code, out, err = run(capsys, "evaluate", path, data)
    assert code == 0, err
    assert err == ""
    assert supports(out) == expected
    score = clf.score(DOCUMENTS, TYPED_TARGETS[kind])
    assert out.startswith(f"accuracy: {score:.4f} ")


@pytest.mark.parametrize(
    ("kind", "bad"),
    [
        ("bool", "yes"),
        ("bool", "2"),
        ("int", "pos"),
        ("int", "1.5"),
        ("float", "pos"),
        ("float", "nan"),
    ],
)
def test_evaluate_rejects_labels_of_another_type(
    capsys, typed_models, tmp_path, kind, bad
):
    labels = ["1", "0", "1", "0", bad, "0"]
    data = write_labelled(tmp_path / "data.csv", labels)
    code, out, err = run(capsys, "evaluate", typed_models[kind][0], data)
    assert code == 1
    assert out == ""
    assert_one_line_error(err, "skrnn evaluate: error:", repr(bad), "classes")


# -------------------------------------------------------- column options


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (["--text-column", "2", "--label-column", "1"], ["--text-column 2"]),
        (["--text-column", "0", "--label-column", "-3"], ["--label-column -3"]),
        (["--text-column", "5"], ["--text-column 5"]),
        (["--label-column", "-3"], ["--label-column -3"]),
    ],
)
def test_column_index_out_of_range_exits_1(
    capsys, data_csv, tmp_path, options, fragments
):
    code, out, err = run(capsys, "train", data_csv, "-o", tmp_path / "m", *options)
    assert code == 1
    assert out == ""
    assert_one_line_error(err, "skrnn train: error:", *fragments, "2 columns")
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    "options",
    [
        ["--text-column", "1", "--label-column", "1"],
        ["--text-column", "-1", "--label-column", "1"],
        ["--text-column", "label", "--label-column", "LABEL"],
    ],
)
def test_text_and_label_in_the_same_column_exits_2(capsys, data_csv, tmp_path, options):
    code, out, err = run(capsys, "train", data_csv, "-o", tmp_path / "m", *options)
    assert code == 2
    assert out == ""
    assert_one_line_error(
        err, "skrnn train: error:", "--text-column", "--label-column", "same column"
    )


# ------------------------------------------------------------- embeddings


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("missing.txt", None, "no such file"),
        ("directory", "", "is a directory"),
        ("vectors.txt.gz", b"\x1f\x8b\x08\x00 not gzip data", "gzip data are corrupt"),
    ],
)
def test_unreadable_embeddings_exit_1_naming_the_file(
    capsys, data_csv, tmp_path, name, content, fragment
):
    path = tmp_path / name
    if content == "":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    options = ["--embeddings", path, "--embedding-dim", "None", "-q"]
    code, out, err = run(capsys, "train", data_csv, "-o", tmp_path / "m", *options)
    assert code == 1
    assert out == ""
    assert_one_line_error(err, "skrnn train: error:", str(path), fragment)


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_a_model_with_an_embeddings_path_needs_trust(
    capsys, data_csv, tmp_path, command
):
    # skrnn.load refuses the path, which a refit would read, unless trusted.
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("good 0.1 0.2\nbad -0.1 0.3\n", encoding="utf-8")
    model = tmp_path / "m.skrnn"
    options = ["--embeddings", vectors, "--embedding-dim", "None", "-q"]
    assert run(capsys, "train", data_csv, "-o", model, *options)[0] == 0
    code, out, err = run(capsys, command, model, data_csv)
    assert code == 1
    assert_one_line_error(err, "cannot load model", "--trust embeddings")
    code, out, err = run(capsys, command, model, data_csv, "--trust", "embeddings")
    assert code == 0
    assert out


def test_predict_prints_the_values_of_a_regressor(capsys, tmp_path):
    # Regression models are trained from Python (the train command makes
    # classifiers); predict prints their values, one a line.
    from skrnn import RNNTextRegressor, save

    X = ["a good film", "a bad film"] * 5
    reg = RNNTextRegressor(hidden_size=4, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X, [1.0, -1.0] * 5)
    path = tmp_path / "reg.skrnn"
    save(reg, path)
    documents = tmp_path / "docs.txt"
    documents.write_text("a good film\nbad\n", encoding="utf-8")
    code, out, _ = run(capsys, "predict", path, documents)
    assert code == 0
    values = [float(line) for line in out.splitlines()]
    assert values == pytest.approx(reg.predict(["a good film", "bad"]).tolist())
    code, _, err = run(capsys, "predict", path, documents, "--proba")
    assert code == 2
    assert_one_line_error(err, "--proba needs a classifier", "RNNTextRegressor")


def _fitted_from_python(tmp_path, estimator, y):
    X = ["a good film", "a bad film"] * 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.set_params(hidden_size=4, embedding_dim=4, max_iter=1)
        estimator.set_params(random_state=0).fit(X, y)
    path = tmp_path / "model.skrnn"
    skrnn_persistence.save(estimator, path)
    documents = tmp_path / "docs.txt"
    documents.write_text("a good film\nbad\n", encoding="utf-8")
    return path, documents


def test_predict_prints_one_line_of_values_per_document_of_many_outputs(
    capsys, tmp_path
):
    # Regression: each document's row of a multi-output regressor (or of a
    # multi-label classifier) was numpy's text of the array, "[0.1 0.2 ...]",
    # wrapped over several lines when the model had more than a few outputs.
    from skrnn import RNNTextClassifier, RNNTextRegressor

    y = [[float(i + j) for j in range(8)] for i in (1, -1)] * 5
    indicators = [[1, 0, 1], [0, 1, 1]] * 5
    for estimator, targets in [
        (RNNTextRegressor(), y),
        (RNNTextClassifier(ngram_range=None), indicators),
    ]:
        path, documents = _fitted_from_python(tmp_path, estimator, targets)
        code, out, err = run(capsys, "predict", path, documents)
        assert code == 0, err
        rows = [line.split("\t") for line in out.splitlines()]
        expected = estimator.predict(["a good film", "bad"])
        assert len(rows) == 2
        values = np.array([[float(v) for v in row] for row in rows])
        assert_allclose(values, expected, rtol=1e-6)


def test_a_multi_label_model_is_refused_by_evaluate_and_predict_proba(capsys, tmp_path):
    # Regression: evaluate crashed with sklearn's traceback ("a mix of binary
    # and multilabel-indicator targets"), and predict --proba labelled each
    # document with its one most probable label, as if the labels excluded
    # each other.
    from skrnn import RNNTextClassifier

    estimator = RNNTextClassifier(ngram_range=None)
    path, documents = _fitted_from_python(tmp_path, estimator, [[1, 1], [0, 1]] * 5)
    data = tmp_path / "data.csv"
    data.write_text("text,label\na good film,1\nbad,0\n", encoding="utf-8")
    code, out, err = run(capsys, "evaluate", path, data)
    assert (code, out) == (1, "")
    assert_one_line_error(err, "skrnn evaluate: error:", "multi-label")
    code, out, err = run(capsys, "predict", path, documents, "--proba")
    assert (code, out) == (2, "")
    assert_one_line_error(err, "skrnn predict: error:", "multi-label")


# ------------------------------------------------------------- regression

RATINGS = [
    ("good movie", "4.5"),
    ("bad movie", "0.5"),
    ("really good fun", "4"),
    ("really bad , awful", "1"),
    ("great", "5"),
    ("boring and bad", "0"),
]


def _ratings_csv(tmp_path, rows=RATINGS):
    path = tmp_path / "ratings.csv"
    lines = ["text,label", *(f'"{text}",{label}' for text, label in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_numeric_labels_that_are_not_all_integers_train_a_regressor(
    capsys, persistence, tmp_path
):
    data, path = _ratings_csv(tmp_path), tmp_path / "ratings.skrnn"
    code, _, err = run(capsys, "train", data, "-o", path, *FAST)
    assert code == 0, err
    assert "numeric targets (regression)" in err
    model = persistence.load(path)
    assert type(model).__name__ == "RNNTextRegressor"
    code, out, err = run(capsys, "predict", path, data)
    assert code == 0, err
    values = [float(line) for line in out.splitlines()]
    expected = model.predict([text for text, _ in RATINGS])
    assert values == pytest.approx(expected.tolist(), rel=1e-6)
    code, out, err = run(capsys, "evaluate", path, data)
    assert code == 0, err
    assert out.startswith("R^2:") and "RMSE:" in out and "MAE:" in out


def test_evaluate_a_regressor_on_one_document(capsys, tmp_path):
    # Regression: scikit-learn's UndefinedMetricWarning (R^2 of one sample)
    # came out as a Python warning with its source line, and "1 documents".
    data, path = _ratings_csv(tmp_path), tmp_path / "ratings.skrnn"
    assert run(capsys, "train", data, "-o", path, *FAST)[0] == 0
    one = _ratings_csv(tmp_path, RATINGS[:1])
    code, out, err = run(capsys, "evaluate", path, one)
    assert code == 0, err
    assert out.startswith("R^2:  nan (1 document)\n")
    assert err == (
        "skrnn: warning: R^2 score is not well-defined with less than two samples.\n"
    )


def test_evaluate_a_regressor_on_class_labels_says_it_predicts_numbers(
    capsys, tmp_path, data_csv
):
    # Regression (a prober's finding): the error pointed at train's option,
    # "--task classification treats the labels as classes", which evaluate
    # does not take.
    data, path = _ratings_csv(tmp_path), tmp_path / "ratings.skrnn"
    assert run(capsys, "train", data, "-o", path, *FAST)[0] == 0
    code, out, err = run(capsys, "evaluate", path, data_csv)
    assert code == 1
    assert out == ""
    assert_one_line_error(err, "not a finite number", "the model is a regressor")
    assert "--task" not in err


@pytest.mark.parametrize("flaw", ["nan", "NA", "4.5.1"])
def test_numeric_labels_with_a_flaw_train_a_classifier_with_a_warning(
    capsys, persistence, tmp_path, flaw
):
    # Regression: one label that is not a number made --task auto read
    # regression targets as the names of as many classes, saying nothing
    # (and nothing at all with -q).
    rows = [*RATINGS[:-1], (RATINGS[-1][0], flaw)]
    data, path = _ratings_csv(tmp_path, rows), tmp_path / "m.skrnn"
    code, _, err = run(capsys, "train", data, "-o", path, "-q", *FAST)
    assert code == 0, err
    assert type(persistence.load(path)).__name__ == "RNNTextClassifier"
    [line] = [line for line in err.splitlines() if "not a finite number" in line]
    assert line.startswith("skrnn: warning:")
    assert f"document {len(rows)}" in line and "--task classification" in line
    # integer labels are classes without a word
    rows = [(text, str(int(float(label)))) for text, label in RATINGS[:-1]]
    data = _ratings_csv(tmp_path, [*rows, (RATINGS[-1][0], flaw)])
    code, _, err = run(capsys, "train", data, "-o", path, "-q", *FAST)
    assert code == 0, err
    assert "warning" not in err


@pytest.mark.parametrize(
    ("task", "estimator"),
    [("auto", "RNNTextClassifier"), ("regression", "RNNTextRegressor")],
)
def test_integer_labels_are_classes_unless_task_regression(
    capsys, persistence, tmp_path, task, estimator
):
    rows = [(text, str(int(float(label)))) for text, label in RATINGS]
    data, path = _ratings_csv(tmp_path, rows), tmp_path / "m.skrnn"
    code, _, err = run(capsys, "train", data, "-o", path, "--task", task, *FAST)
    assert code == 0, err
    assert type(persistence.load(path)).__name__ == estimator


def test_a_classification_parameter_for_regression_exits_2(capsys, tmp_path):
    data = _ratings_csv(tmp_path)
    args = ["train", data, "-o", tmp_path / "m.skrnn", "--class-weight", "balanced"]
    code, _, err = run(capsys, *args)
    assert code == 2
    assert_one_line_error(err, "'class_weight'", "RNNTextRegressor", "--task")
    assert not (tmp_path / "m.skrnn").exists()


def test_task_regression_takes_the_poisson_loss_of_counts(
    capsys, persistence, tmp_path
):
    rows = [(text, str(int(float(label)))) for text, label in RATINGS]
    data, path = _ratings_csv(tmp_path, rows), tmp_path / "m.skrnn"
    args = ["train", data, "-o", path, "-q", *FAST]
    code, _, err = run(capsys, *args, "--task", "regression", "--loss", "poisson")
    assert code == 0, err
    model = persistence.load(path)
    assert model.loss == "poisson" and model._fitted.config.head == "poisson"
    code, out, err = run(capsys, "evaluate", path, data)
    assert code == 0, err
    model_deviance = mean_poisson_deviance(
        [float(label) for _, label in rows], model.predict([t for t, _ in rows])
    )
    assert f"Mean Poisson deviance: {model_deviance:.4f}" in out.splitlines()
    (tmp_path / "negative").mkdir()
    negative = _ratings_csv(tmp_path / "negative", [*rows, ("a bad loss", "-1")])
    code, _, err = run(capsys, "evaluate", path, negative)
    assert code == 1
    assert_one_line_error(err, "negative targets", "loss='poisson'")
    code, out, _ = run(capsys, "train", "--task", "regression", "--help")
    assert "--loss VALUE" in out and "{squared_error,poisson}" in out
    # integer labels are classes to --task auto, and a classifier has no loss
    path.unlink()
    code, _, err = run(capsys, *args, "--loss", "poisson")
    assert code == 2
    assert_one_line_error(err, "--loss is a parameter of RNNTextRegressor")
    assert not path.exists()


def test_task_regression_needs_numbers(capsys, tmp_path, data_csv):
    args = ["train", data_csv, "-o", tmp_path / "m.skrnn", "--task", "regression"]
    code, _, err = run(capsys, *args)
    assert code == 1
    assert_one_line_error(err, "label 'pos' of document 1", "--task classification")


def test_train_help_for_regression_offers_the_regressor_parameters(capsys):
    code, out, _ = run(capsys, "train", "--task", "regression", "--help")
    assert code == 0
    assert "--hidden-size" in out
    assert "--class-weight" not in out


# ------------------------------------------------------ help of parameters


def parameter_actions(parser):
    """The visible options that add_parameter_options made for ``train``."""
    train = parser._subparsers._group_actions[0].choices["train"]
    return [
        action
        for action in train._actions
        if getattr(action, "parameter", None)
        and action.help != argparse.SUPPRESS
        and action.option_strings[0] == "--" + action.parameter.replace("_", "-")
    ]


def fitted_parameters(monkeypatch, estimator_class, argv):
    """The parameters of the estimator that ``skrnn train ARGV`` fits."""
    seen = {}

    def fit(self, documents, y):
        seen.update(self.get_params(deep=False))
        raise ValueError("stop here")

    monkeypatch.setattr(estimator_class, "fit", fit)
    main([str(arg) for arg in argv])
    return seen


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_train_takes_adversarial_epsilon(capsys, monkeypatch, tmp_path, data_csv, task):
    from skrnn._cli import TRAIN_ESTIMATORS, _import

    _, out, _ = run(capsys, "train", "--task", task, "--help")
    out = " ".join(out.split())
    assert "--adversarial-epsilon VALUE float, default=0.0. Adversarial" in out
    estimator_class = _import(TRAIN_ESTIMATORS[task])
    data = data_csv if task == "classification" else _ratings_csv(tmp_path)
    argv = ["train", data, "-o", tmp_path / "m.skrnn", "--task", task]
    used = fitted_parameters(
        monkeypatch, estimator_class, [*argv, "--adversarial-epsilon", "0.5"]
    )
    assert used["adversarial_epsilon"] == 0.5


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_every_option_shows_the_default_that_train_uses(
    capsys, monkeypatch, tmp_path, data_csv, task
):
    # Regression: --verbose showed the estimator's default=0 (train uses 1),
    # --beta-1 and --beta-2 both "default=0.9, 0.999" (a shared entry), and
    # --dtype "default=numpy.float32", which cannot be typed.
    from skrnn._base import _same_param
    from skrnn._cli import TRAIN_ESTIMATORS, _import, build_parser

    estimator_class = _import(TRAIN_ESTIMATORS[task])
    data = data_csv if task == "classification" else _ratings_csv(tmp_path)
    argv = ["train", data, "-o", tmp_path / "m.skrnn", "--task", task]
    used = fitted_parameters(monkeypatch, estimator_class, argv)
    assert used, capsys.readouterr().err
    actions = parameter_actions(build_parser(estimator_class))
    assert len(actions) > 30
    for action in actions:
        name, help_text = action.parameter, action.help.replace("%%", "%")
        if "default: the estimator's own, too long to show" in help_text:
            # (the default token pattern)
            assert used[name] == getattr(estimator_class(), name), name
            continue
        shown = re.fullmatch(r"(?:.*, )?default=(.*?)(?:\. .*|\.)?", help_text)
        assert shown, help_text
        value = parameter_value(estimator_class, name, shown.group(1))
        assert _same_param(name, value, used[name]), (name, help_text, used[name])


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_choices_an_option_shows_can_be_typed(task):
    # Regression: --dtype showed {numpy.float32, numpy.float64}, and typing
    # numpy.float64 was refused; only float32 and float64 worked.
    from skrnn._cli import TRAIN_ESTIMATORS, _import, build_parser

    estimator_class = _import(TRAIN_ESTIMATORS[task])
    helps = {
        action.parameter: action.help
        for action in parameter_actions(build_parser(estimator_class))
    }
    assert helps["dtype"].startswith("{float32,float64}, default=float32.")
    assert helps["cell"].startswith("{rnn,lstm,gru}, default=gru.")
    for name, help_text in helps.items():
        choices = re.match(r"\{([^}\"' ]+)\}, default=", help_text)
        for choice in choices[1].split(",") if choices else ():
            make_estimator(estimator_class, [(name, choice, f"--x {choice}")])


@pytest.mark.parametrize("typed", ["numpy.float64", "np.float64", "float64"])
def test_dtype_takes_the_docstring_spelling_too(typed):
    from skrnn import RNNTextClassifier

    clf = make_estimator(RNNTextClassifier, [("dtype", typed, f"--dtype {typed}")])
    assert clf._check_dtype().name == "float64"
    with pytest.raises(UsageError, match="'dtype' parameter"):
        make_estimator(RNNTextClassifier, [("dtype", "numpy.int8", "--dtype x")])


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_option_help_is_true_on_the_command_line(task):
    # Regression: --alpha said "L2 penalty", which solver="adamw" is not;
    # --cell offered cells added with register_cell, which the command line
    # cannot add; --beta-1 and --beta-2 shared one entry.
    from skrnn._cli import TRAIN_ESTIMATORS, _import, build_parser

    estimator_class = _import(TRAIN_ESTIMATORS[task])
    helps = {
        action.parameter: action.help
        for action in parameter_actions(build_parser(estimator_class))
    }
    assert "adamw" in helps["alpha"] and "L2 penalty" in helps["alpha"]
    assert "register" not in helps["cell"]
    assert helps["beta_1"].split(". ")[1] != helps["beta_2"].split(". ")[1]


@pytest.mark.parametrize(
    "option",
    [
        ["--tokenizer", "str.split"],
        ["--preprocessor", "str.lower"],
        ["--warm-start", "True"],
        ["--param", "warm_start=true"],
    ],
)
def test_parameters_the_command_line_cannot_use_are_hidden_and_refused(
    capsys, data_csv, tmp_path, option
):
    # Regression: --tokenizer and --preprocessor (callables only) were listed
    # and failed with scikit-learn's "must be a callable"; --warm-start was
    # listed and did nothing, each train fitting a new model.
    name = option[-1].partition("=")[0] if option[0] == "--param" else option[0]
    _, out, _ = run(capsys, "train", "--help")
    assert name.replace("_", "-") not in out
    code, out, err = run(capsys, "train", data_csv, "-o", tmp_path / "m", *option)
    assert code == 2
    assert_one_line_error(err, "cannot be given on the command line")
    assert not (tmp_path / "m").exists()


# ------------------------------------------------------------- headers


@pytest.mark.parametrize("first", ["text", "y", "class"])
def test_predict_says_when_it_reads_a_first_row_as_a_header(
    capsys, model, tmp_path, first
):
    # Regression: a one-column file whose first document is a usual column
    # name printed one label fewer than its rows, silently.
    path = tmp_path / "docs.csv"
    path.write_text(f"{first}\ngood movie\nbad film\n", encoding="utf-8")
    code, out, err = run(capsys, "predict", model, path)
    assert code == 0 and len(out.splitlines()) == 2
    assert_one_line_error(err, f"first row, '{first}'", "--no-header")
    code, out, err = run(capsys, "predict", model, path, "--no-header")
    assert (code, len(out.splitlines()), err) == (0, 3, "")
    code, out, err = run(capsys, "predict", model, path, "--header")
    assert (code, len(out.splitlines()), err) == (0, 2, "")


def test_train_warns_of_a_header_it_reads_as_data(capsys, persistence, tmp_path):
    # Regression: a header of unusual names (body,tag) trained as a
    # document of a class "tag" of its own, silently.
    path = tmp_path / "data.csv"
    rows = "".join(f'"{text}",{label}\n' for text, label in ROWS)
    path.write_text("body,tag\n" + rows, encoding="utf-8")
    output = tmp_path / "m.skrnn"
    code, _, err = run(capsys, "train", path, "-o", output, "-q", *FAST)
    assert code == 0
    assert "label of the first row, 'tag'" in err and "--header" in err
    assert "tag" in persistence.load(output).classes_
    code, _, err = run(capsys, "train", path, "-o", output, "-q", "--header", *FAST)
    assert code == 0 and "first row" not in err
    assert sorted(persistence.load(output).classes_) == ["neg", "pos"]


def test_header_and_no_header_exclude_each_other(capsys, data_csv, tmp_path):
    argv = ["train", data_csv, "-o", tmp_path / "m", "--header", "--no-header"]
    code, _, err = run(capsys, *argv)
    assert code == 2 and "not allowed with argument --header" in err
    code, _, err = run(capsys, *argv[:4], "--format", "lines", "--no-header")
    assert_one_line_error(err, "--no-header is for CSV")
    assert code == 2


def test_predict_reads_the_header_of_a_table_of_several_columns_quietly(
    capsys, model, data_csv
):
    code, out, err = run(capsys, "predict", model, data_csv)
    assert code == 0
    assert len(out.splitlines()) == len(ROWS)
    assert err == ""
