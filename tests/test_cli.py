"""The ``skrnn`` command line, driven through ``main([...])`` and capsys."""

import csv
import gzip
import io
import subprocess
import sys
import warnings

import pytest

import skrnn._persistence as skrnn_persistence
from skrnn._cli import (
    CommandError,
    main,
    parse_value,
    read_labelled_lines,
    read_table,
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


def test_train_help_lists_the_parameters(capsys):
    _, out, _ = run(capsys, "train", "--help")
    for name in ("hidden_size", "max_iter", "early_stopping", "token_pattern"):
        assert name in out


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
        (["--hiden-size", "4"], "did you mean 'hidden_size'"),
        (["--param", "hiden_size=4"], "did you mean 'hidden_size'"),
        (["--param", "hidden_size"], "name=value"),
        (["--hidden-size"], "needs a value"),
        (["--hidden-size", "0"], "hidden_size"),
        (["--cell", "lstn"], "'cell' parameter"),
        (["--n-jobs", "0"], "--n-jobs"),
        (["--param", "n_jobs=0"], "--n-jobs"),
        (["--dtype", "np.float64"], "--dtype"),
        (["--dtype", "float16"], "--dtype"),
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


# ------------------------------------------------------------------- data


def test_read_table_by_header_names():
    text = "id,review,stars\n1,good movie,5\n2,bad movie,1\n"
    documents, labels = read_table(
        text, "x.csv", text_column="review", label_column="stars"
    )
    assert documents == ["good movie", "bad movie"]
    assert labels == ["5", "1"]


def test_read_table_detects_a_usual_header_and_quoting():
    text = 'label,text\npos,"good, really"\nneg,"bad ""film"""\n'
    assert read_table(text, "x.csv") == (["good, really", 'bad "film"'], ["pos", "neg"])


def test_read_table_detects_a_header_over_numeric_labels():
    text = "polarity\tsentence\n1\tgood movie\n0\tbad movie\n"
    assert read_table(text, "x.tsv") == (["good movie", "bad movie"], ["1", "0"])


def test_read_table_without_header_takes_the_label_from_fewer_values():
    text = "good movie,pos\nbad movie,neg\ngreat,pos\n"
    documents, labels = read_table(text, "x.csv")
    assert documents == ["good movie", "bad movie", "great"]
    assert labels == ["pos", "neg", "pos"]
    by_index = read_table(text, "x.csv", text_column="0", label_column="1")
    assert by_index == (documents, labels)


def test_read_table_no_header_keeps_the_first_row():
    text = "text,label\ngood,pos\n"
    documents, labels = read_table(
        text, "x.csv", header=False, text_column="0", label_column="1"
    )
    assert documents == ["text", "good"]
    assert labels == ["label", "pos"]


def test_read_table_delimiter_option_and_sniffing():
    by_option = read_table("a;x\nb;y\n", "x.txt", delimiter=";", label_column="1")
    assert by_option == (["a", "b"], ["x", "y"])
    assert read_table("label|text\npos|good\n", "x.dat") == (["good"], ["pos"])


def test_read_labelled_lines_splits_at_the_first_space_or_tab():
    text = "pos good  movie\nneg\tbad\tmovie\r\n\nNUM how many ?\n"
    documents, labels = read_labelled_lines(text, "x.txt")
    assert labels == ["pos", "neg", "NUM"]
    assert documents == ["good  movie", "bad\tmovie", "how many ?"]


def test_read_labelled_lines_splits_on_newline_only():
    documents, _ = read_labelled_lines("0 a\x85b\n1 c\u2028d\n", "x.txt")
    assert documents == ["a\x85b", "c\u2028d"]


def test_read_labelled_lines_rejects_a_line_without_text():
    with pytest.raises(CommandError, match="line 2"):
        read_labelled_lines("pos good\nneg\n", "x.txt")


@pytest.mark.parametrize(
    ("content", "options", "fragments"),
    [
        ("text,label\ngood,pos\n", ["--text-column", "txt"], ["no column 'txt'"]),
        ("a,b,c\nx,y,z\n", [], ["3 columns", "--text-column"]),
        ("good,pos\nbad\n", ["--no-header"], ["row 2", "expected at least 2"]),
        # Regression: an empty label became a class "" silently.
        ("text,label\ngood,pos\nbad, \n", [], ["row 3", "label", "empty"]),
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


def test_predict_quotes_labels_that_would_break_rows(
    capsys, persistence, monkeypatch, tmp_path
):
    # Regression: a label holding a tab or a newline split its row.
    from skrnn import RNNTextClassifier

    labels = ["neg\tative" if label == "neg" else 'pos\n"itive"' for _, label in ROWS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged
        clf = RNNTextClassifier(hidden_size=4, embedding_dim=4, max_iter=2).fit(
            DOCUMENTS, labels
        )
    path = tmp_path / "odd.skrnn"
    persistence.save(clf, path)
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
    ]
    code, _, err = run(capsys, "train", data_csv, "-o", out_path, *FAST, *options)
    assert code == 0, err
    clf = persistence.load(out_path)
    assert clf.cell == "gru"
    assert clf.bidirectional is True
    assert clf.hidden_size == 4
    assert clf.class_weight == {"pos": 2.0, "neg": 1.0}
    assert clf.n_iter_ == 2


@pytest.mark.parametrize("where", ["missing-folder/model.skrnn", "."])
def test_train_checks_the_output_path_before_reading_data(capsys, tmp_path, where):
    # Regression: a missing folder was found only after training.
    out_path = str(tmp_path / where)
    code, _, err = run(capsys, "train", str(tmp_path / "no-data.csv"), "-o", out_path)
    assert code == 1
    assert err.startswith(f"skrnn train: error: cannot save to {out_path}: ")
    assert "no-data.csv" not in err


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


def test_read_table_negative_indexes_count_from_the_end():
    text = "id,review,stars\n1,good movie,5\n2,bad movie,1\n"
    by_index = read_table(text, "x.csv", text_column="-2", label_column="-1")
    assert by_index == (["good movie", "bad movie"], ["5", "1"])
    assert read_table("good,pos\nbad,neg\n", "x.csv", label_column="-1") == (
        ["good", "bad"],
        ["pos", "neg"],
    )


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
        ("vectors.txt.gz", b"good 0.1 0.2\n", "gzipped file"),
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
