"""Reading tables of text: CSV and TSV, ``label text`` lines, plain lines."""

import gzip
import io
import subprocess
import sys
import tracemalloc
import warnings

import pytest

from skrnn._tables import (
    TableArgumentError,
    TableError,
    TableWarning,
    is_table,
    read_labelled_lines,
    read_table,
    read_text,
    split_lines,
)

# ------------------------------------------------------------------ text


def test_read_text_decodes_gzip_latin1_and_a_bom(tmp_path):
    path = tmp_path / "x.txt.gz"
    path.write_bytes(gzip.compress("caf\xe9\n".encode("latin-1")))
    assert read_text(path) == "caf\xe9\n"
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufefftext,label\n".encode())
    assert read_text(bom) == "text,label\n"


@pytest.mark.parametrize(
    "encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]
)
def test_read_text_decodes_utf16_and_utf32_by_their_bom(tmp_path, encoding):
    # Regression: a spreadsheet's "Unicode text" export (UTF-16 with a byte
    # order mark) was read as Latin-1, a NUL between every two characters.
    path = tmp_path / "x.tsv"
    text = "text\tlabel\ncaf\xe9 \u263a\tpos\n"
    path.write_bytes(("\ufeff" + text).encode(encoding))
    assert read_text(path) == text


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_read_text_decodes_utf16_without_a_bom(tmp_path, encoding):
    # Regression (a prober's): UTF-16 without a byte order mark was read as
    # UTF-8 with a NUL beside every character, and a table of it failed with
    # "line 14: expected at least 2 fields".
    path = tmp_path / "x.csv"
    text = "text,label\ngood caf\xe9 \u263a,pos\n" + "bad film,neg\n" * 20
    path.write_bytes(text.encode(encoding))
    assert read_text(path) == text
    documents, labels = read_table(read_text(path), "x.csv")
    assert documents[0] == "good caf\xe9 \u263a" and labels[-1] == "neg"


def test_read_text_leaves_text_without_the_utf16_pattern_alone(tmp_path):
    path = tmp_path / "x.txt"
    for data, text in [
        (b"good\x00film\n", "good\x00film\n"),  # one NUL, in UTF-8 text
        ("caf\xe9\n".encode("latin-1"), "caf\xe9\n"),
        ("\u263a\u263a\n".encode(), "\u263a\u263a\n"),
        (b"a\x00\x00\x00b\x00\x00\x00", "a\x00\x00\x00b\x00\x00\x00"),  # UTF-32
    ]:
        path.write_bytes(data)
        assert read_text(path) == text


def test_read_text_names_a_file_that_its_bom_does_not_fit(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_bytes("\ufeffgood\n".encode("utf-16-le") + b"\x00")
    with pytest.raises(TableError, match=r"x\.tsv: .*byte order mark of UTF-16"):
        read_text(path)


def test_read_text_refuses_a_utf8_bom_on_bytes_that_are_not_utf8(tmp_path):
    # Regression (a prober's): such a file was read as Latin-1, its mark the
    # first document's "\xef\xbb\xbf" and each of its accented letters two.
    path = tmp_path / "x.txt"
    path.write_bytes(b"\xef\xbb\xbfcaf\xc3\xa9\nna\xefve\n")
    with pytest.raises(
        TableError, match=r"x\.txt: .*byte order mark of UTF-8 .*byte 11\)"
    ):
        read_text(path)
    path.write_bytes(b"\xef\xbb\xbfcaf\xc3\xa9\n")
    assert read_text(path) == "caf\xe9\n"


def test_read_text_detects_gzip_on_stdin(monkeypatch):
    piped = io.BytesIO(gzip.compress(b"good\nbad\n"))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(piped))
    assert read_text("-") == "good\nbad\n"


@pytest.mark.parametrize("content", [None, b"\x1f\x8b not gzip"])
def test_read_text_errors_name_the_file(tmp_path, content):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TableError, match=r"cannot read .*data\.csv"):
        read_text(path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("a.csv", True), ("a.TSV.gz", True), ("a.tab", True), ("a.txt", False)],
)
def test_is_table(name, expected):
    assert is_table(name) is expected


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("good\nbad\n", ["good", "bad"]),
        ("good\r\nbad\r\n\r\nok", ["good", "bad", "", "ok"]),
        # Regression: a file with classic Mac line endings was one line.
        ("good\rbad\rok\r", ["good", "bad", "ok"]),
        # U+0085 and U+2028 are inside sentences, not line ends; a stray
        # carriage return in a file of "\n" lines too.
        ("a\x85b\nc\u2028d\ne\rf\n", ["a\x85b", "c\u2028d", "e\rf"]),
        ("", []),
    ],
)
def test_split_lines(text, lines):
    assert split_lines(text) == lines


def test_read_labelled_lines_splits_at_the_first_space_or_tab():
    text = "pos good  movie\nneg\tbad\tmovie\r\n\nNUM how many ?\n"
    documents, labels = read_labelled_lines(text, "x.txt")
    assert labels == ["pos", "neg", "NUM"]
    assert documents == ["good  movie", "bad\tmovie", "how many ?"]


def test_read_labelled_lines_with_tabs_only():
    documents, labels = read_labelled_lines("1\ta good film\n", "x", separators="\t")
    assert (documents, labels) == (["a good film"], ["1"])
    with pytest.raises(TableError, match="line 1: expected a label, a tab"):
        read_labelled_lines("1 a good film\n", "x", separators="\t")


def test_read_labelled_lines_splits_on_newline_only():
    documents, _ = read_labelled_lines("0 a\x85b\n1 c\u2028d\n", "x.txt")
    assert documents == ["a\x85b", "c\u2028d"]


def test_read_labelled_lines_rejects_a_line_without_text():
    with pytest.raises(TableError, match=r"x\.txt, line 2"):
        read_labelled_lines("pos good\nneg\n", "x.txt")


# ----------------------------------------------------------------- tables


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


@pytest.mark.parametrize("labelled", [True, False])
@pytest.mark.parametrize(
    "text",
    [
        "what a good film,A1\nbad and dull,A2\n",
        "A1,what a good film\nA2,bad and dull\n",
        "what a good film,A1\nbad and dull,A2\nnot bad at all,A3\n",
        "good film,pos\nbad film,neg\ngood film,pos\nbad film,neg\n",
    ],
)
def test_read_table_of_two_columns_of_as_many_values_takes_the_longer_as_text(
    text, labelled
):
    # Regression (a prober's finding): of two columns with as many distinct
    # values, the first was the label, so that `skrnn predict` of the rows
    # "what a good film,A1" and "bad and dull,A2" predicted "A1" and "A2".
    documents, _ = read_table(text, "x.csv", labelled=labelled)
    assert all(" " in document for document in documents)


def test_read_table_no_header_keeps_the_first_row():
    text = "text,label\ngood,pos\n"
    documents, labels = read_table(
        text, "x.csv", header=False, text_column="0", label_column="1"
    )
    assert documents == ["text", "good"]
    assert labels == ["label", "pos"]


@pytest.mark.parametrize("first", ["text", "y", "class"])
def test_a_header_found_without_labels_is_warned_of(first):
    # Regression: a one-column file to predict whose first document is a
    # usual column name lost that row, silently: one prediction fewer.
    text = f"{first}\ngood movie\nbad film\n"
    with pytest.warns(TableWarning, match=f"first row, '{first}'.*no_header"):
        documents, _ = read_table(text, "x.csv", labelled=False)
    assert documents == ["good movie", "bad film"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        as_data = read_table(text, "x.csv", labelled=False, header=False)
        as_header = read_table(text, "x.csv", labelled=False, header=True)
    assert as_data == ([first, "good movie", "bad film"], None)
    assert as_header == (documents, None)


def test_a_first_row_whose_label_no_other_row_has_is_warned_of():
    # Regression: an unusual header (body,tag) was read as a document of a
    # class "tag" of its own, silently.
    text = "body,tag\ngood movie,pos\nbad film,neg\ngreat,pos\nawful,neg\n"
    with pytest.warns(TableWarning, match="'tag', is given to no other.*header"):
        _, labels = read_table(text, "x.csv")
    assert labels[0] == "tag"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_table(text, "x.csv", header=True)[1] == ["pos", "neg"] * 2
        assert read_table(text, "x.csv", header=False)[1] == labels
        # A usual header, and labels that are all distinct, are not doubted.
        read_table("text,label\na,x\nb,x\n", "x.csv")
        read_table("a,1\nb,2\nc,3\n", "x.csv", label_column="1")


def test_read_table_delimiter_option_and_sniffing():
    by_option = read_table("a;x\nb;y\n", "x.txt", delimiter=";", label_column="1")
    assert by_option == (["a", "b"], ["x", "y"])
    assert read_table("label|text\npos|good\n", "x.dat") == (["good"], ["pos"])
    by_tab = read_table("good\tpos\nbad\tneg\nok\tpos\n", "x.csv", delimiter="tab")
    assert by_tab == (["good", "bad", "ok"], ["pos", "neg", "pos"])


def test_read_table_negative_indexes_count_from_the_end():
    text = "id,review,stars\n1,good movie,5\n2,bad movie,1\n"
    by_index = read_table(text, "x.csv", text_column="-2", label_column="-1")
    assert by_index == (["good movie", "bad movie"], ["5", "1"])
    assert read_table("good,pos\nbad,neg\n", "x.csv", label_column="-1") == (
        ["good", "bad"],
        ["pos", "neg"],
    )


def test_read_table_accepts_blank_fields_after_the_last_column():
    # As spreadsheets write them: only a non-blank extra field is refused.
    text = "text,label\ngood,pos,\nbad,neg, ,\n"
    assert read_table(text, "x.csv") == (["good", "bad"], ["pos", "neg"])


@pytest.mark.parametrize(
    "text",
    [
        "text,label,\ngood,pos,\ngood, really good,pos,\n",
        "text,label,\ngood,pos\ngood, really good,pos\n",
    ],
    ids=["every row", "the header only"],
)
def test_a_trailing_delimiter_in_the_header_hides_no_shifted_label(text):
    # Regression: the header's blank last cell let a row of one field more
    # through, and "really good" became a label.
    with pytest.raises(TableError, match=r"line 3: found 3 fields .* names 2"):
        read_table(text, "x.csv")
    quoted = text.replace("good, really good", '"good, really good"')
    assert read_table(quoted, "x.csv") == (
        ["good", "good, really good"],
        ["pos", "pos"],
    )
    # a column given by index may be one the header leaves unnamed
    unnamed = "text,label,\ngood,pos,x\n"
    with pytest.raises(TableError, match="or name the column in the header"):
        read_table(unnamed, "x.csv")
    assert read_table(unnamed, "x.csv", text_column="0", label_column="2") == (
        ["good"],
        ["x"],
    )


def test_read_table_reads_classic_mac_line_endings():
    text = 'text,label\rgood,pos\r"bad\rfilm",neg\r'
    assert read_table(text, "x.csv") == (["good", "bad\rfilm"], ["pos", "neg"])


def test_read_table_reads_fields_longer_than_the_csv_default_limit():
    # Regression: fields over 131,072 characters (about 20,000 words) were
    # refused by the csv module's default limit.
    long_text = "word " * 50_000
    documents, labels = read_table(f"text,label\n{long_text},pos\n", "x.csv")
    assert documents == [long_text]
    assert labels == ["pos"]


def test_read_table_takes_memory_of_a_few_times_the_text():
    # Regression (a prober's finding): the text went through io.StringIO,
    # a copy of 4 bytes a character, twice, and a list of all its lines
    # (91 MB rather than 285 to read 22 MB of short rows,
    # benchmarks/table_memory.py).
    rows = [
        f"{'good fun ' * 50}film {k},{'pos' if k % 2 else 'neg'}" for k in range(4000)
    ]
    text = "text,label\r\n" + "\r\n".join(rows) + "\n"
    tracemalloc.start()
    try:
        documents, labels = read_table(text, "x.csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(documents) == len(labels) == 4000
    assert documents[-1].endswith("film 3999")
    assert peak < 7 * len(text)  # 5 times; 10.7 through io.StringIO


def test_read_table_leaves_the_csv_field_limit_as_it_was():
    import csv

    before = csv.field_size_limit()
    read_table("text,label\ngood,pos\n", "x.csv")
    assert csv.field_size_limit() == before


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # Regression: reported as a field-count error on line 2.
        ('text,label\n"good,pos\nbad,neg\n', 2),
        # Regression: read as the label 'pos\nbad,neg\nok,pos\n', silently.
        ('text,label\ngood,"pos\nbad,neg\nok,pos\n', 2),
        ('text,label\ngood,pos\nbad,"neg\n', 3),
    ],
)
def test_read_table_names_an_unclosed_quote(text, line):
    with pytest.raises(
        TableError, match=rf"x\.csv, line {line}: a quote .* never closed"
    ):
        read_table(text, "x.csv")


@pytest.mark.parametrize(
    ("text", "source", "lines"),
    [
        # Regression: texts that begin with a quote, in a file that does not
        # quote its fields, were read as one document per two lines
        # ('good\t1\nbad' labelled 0), silently.
        ('text\tlabel\n"good\t1\n"bad\t0\nfine film\t1\n', "x.tsv", "2 to 3"),
        ('text,label\nok,1\n"a ""good"" film,1\n"bad,0\n', "x.csv", "3 to 4"),
    ],
)
def test_read_table_refuses_a_quote_that_closes_inside_a_field_lines_later(
    text, source, lines
):
    with pytest.raises(TableError, match=rf"{source}, lines {lines}: .* one record"):
        read_table(text, source)


def test_read_table_accepts_line_breaks_in_closed_quotes_at_the_end():
    text = 'text,label\ngood,pos\n"bad\nfilm",neg\n'
    assert read_table(text, "x.csv") == (["good", "bad\nfilm"], ["pos", "neg"])


def test_read_table_hints_at_the_delimiter_of_a_tab_separated_csv():
    # Regression: "x.csv has 1 columns; choose them with --text-column ...".
    text = "text\tlabel\ngood movie\tpos\nbad movie\tneg\n"
    with pytest.raises(TableError, match=r"looks tab-separated.*delimiter tab"):
        read_table(text, "x.csv")
    with pytest.raises(TableError, match="--delimiter tab"):
        read_table(text, "x.csv", option=lambda name: "--" + name.replace("_", "-"))
    # Said explicitly, the comma reads one column of text.
    documents, _ = read_table(text, "x.csv", delimiter=",", labelled=False)
    assert documents == text.splitlines()


@pytest.mark.parametrize("other", [";", "|"])
def test_read_table_hints_at_the_delimiter_of_a_semicolon_separated_csv(other):
    # Regression: "x.csv has 1 column; choose them with --text-column and
    # --label-column", which one column cannot give.
    text = "text;label\ngood movie;pos\nbad movie;neg\n".replace(";", other)
    with pytest.raises(TableError, match=f"looks '\\{other}'-separated"):
        read_table(text, "x.csv", option=lambda name: "--" + name.replace("_", "-"))
    documents, labels = read_table(text, "x.csv", delimiter=other)
    assert labels == ["pos", "neg"]
    # Without labels, one column is the text.
    documents, _ = read_table(text, "x.csv", labelled=False)
    assert documents == text.splitlines()


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("text,label\ngood,pos\n", {"text_column": "txt"}, "no column 'txt'"),
        ("a,b,c\nx,y,z\n", {}, "3 columns; choose them with text_column"),
        ("good,pos\nbad\n", {"header": False}, "line 2: expected at least 2"),
        # Regression: an unquoted comma in the text made "really good" the label.
        (
            "text,label\ngood, really good,pos\nbad,neg\n",
            {},
            "line 2: found 3 fields .* but the header has 2; quote a field",
        ),
        ("good,pos\nbad,neg,x\n", {"header": False}, "but the first row has 2"),
        ("text,label\ngood,pos\nbad, \n", {}, "line 3: the label .* is empty"),
        ("", {}, "holds no data"),
        ("text,label\n", {}, "no data rows"),
        ("a,b\nx,y\n", {"text_column": "5"}, "text_column 5 is out of range"),
        ("a,b,c\nx,y,z\n", {"text_column": "0"}, "give label_column too"),
        # Regression: "x.csv has 1 columns".
        ("good\nbad\n", {"label_column": "0"}, "has 1 column; give text_column"),
        ("good\nbad\n", {"text_column": "0"}, "has 1 column; give label_column"),
    ],
)
def test_read_table_errors(text, kwargs, message):
    with pytest.raises(TableError, match=message):
        read_table(text, "x.csv", **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"delimiter": ",,"},
        {"delimiter": ""},
        {"delimiter": '"'},
        {"text_column": "1", "label_column": "-1"},
        {"header": False, "text_column": "text", "label_column": "1"},
    ],
)
def test_read_table_argument_errors(kwargs):
    with pytest.raises(TableArgumentError):
        read_table("text,label\ngood,pos\n", "x.csv", **kwargs)


# ------------------------------------------------ tables without labels


@pytest.mark.parametrize(
    ("text", "kwargs", "documents"),
    [
        ("text,label\ngood,pos\nbad,neg\n", {}, ["good", "bad"]),
        ("id,review\n1,good\n2,bad\n", {"text_column": "review"}, ["good", "bad"]),
        ("good,pos\nbad,neg\nok,pos\n", {"label_column": "1"}, ["good", "bad", "ok"]),
        ("text\ngood\nbad\n", {}, ["good", "bad"]),
        ("good movie\nbad movie\n", {}, ["good movie", "bad movie"]),
        # One document per record: a blank row is an empty document, a
        # quoted line break does not start a document.
        ('text\ngood\n\n"bad\nfilm"\n', {}, ["good", "", "bad\nfilm"]),
        ("text\rgood\rbad\r", {}, ["good", "bad"]),
        ("", {}, []),
        ("text,label\n", {}, []),
    ],
)
@pytest.mark.filterwarnings("ignore::skrnn._tables.TableWarning")  # of the header
def test_read_table_without_labels_gives_one_document_per_row(text, kwargs, documents):
    assert read_table(text, "x.csv", labelled=False, **kwargs) == (documents, None)


def test_read_table_without_labels_asks_for_a_column_of_a_wide_table():
    with pytest.raises(TableError, match="3 columns; choose them with text_column"):
        read_table("a,b,c\nx,y,z\n", "x.csv", labelled=False)


# ---------------------------------------------------------------- imports


def test_tables_import_the_standard_library_only():
    # The command line reads its data with this module and answers --help
    # without numpy or scikit-learn.
    script = (
        "import sys, skrnn._tables\n"
        "third = {m.split('.')[0] for m in sys.modules} & {'numpy', 'sklearn'}\n"
        "assert not third, third\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_command_line_and_the_tables_share_their_helpers():
    # Regression: _reason, _plural and _shorten were copied in _cli and in
    # _tables (the copies differed: _tables' _reason kept line breaks), and
    # _is_number repeated skrnn._embeddings.is_number.
    import skrnn._cli as cli
    import skrnn._tables as tables

    for name in ("_reason", "_plural", "_shorten"):
        assert getattr(cli, name) is getattr(tables, name)
    assert not hasattr(tables, "_is_number")
    assert tables._reason(ValueError("one\n  two\n")) == "one two"
