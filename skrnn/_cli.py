"""The ``skrnn`` command line: train, predict, evaluate, demo.

Every command prints its results on stdout and everything else (training
progress, notes, warnings, errors) on stderr, so that stdout can be piped.
Errors are one line on stderr, without a traceback; the exit code is 0 on
success, 1 for a problem with the data or the model, and 2 for a usage error
(a bad option, an unknown parameter or an invalid parameter value).

Data files are read with the standard library only: :mod:`csv` for CSV and
TSV files, and a plain split for the ``label text`` line format.
"""

import argparse
import ast
import contextlib
import csv
import difflib
import gzip
import io
import math
import os
import re
import sys
import textwrap
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from ._demo import DEMO_RANDOM_STATE, run_demo
from ._embeddings import is_number
from ._persistence import load, save

#: Column names taken for the text and the label column of a file with a
#: header when ``--text-column`` and ``--label-column`` are not given.
TEXT_COLUMN_NAMES = ("text", "sentence", "document", "review", "content")
LABEL_COLUMN_NAMES = ("label", "target", "class", "y", "category", "sentiment")

#: Delimiter implied by a file's extension (before any ``.gz``).
_EXTENSION_DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}

#: Rows read to detect a header and to choose the columns.
_SNIFF_ROWS = 100

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A problem with the data or the model: one line on stderr, exit code 1."""

    exit_code = EXIT_DATA


class UsageError(CommandError):
    """A bad option or parameter: one line on stderr, exit code 2."""

    exit_code = EXIT_USAGE


# ------------------------------------------------------------------ reading


def read_text(path: str) -> str:
    """Read a text file, or stdin for ``"-"``, as UTF-8 or else Latin-1.

    Gzip data (a name ending with ``.gz``, or the gzip signature at the
    start, as on a piped standard input) is decompressed first. A UTF-8 byte
    order mark is dropped. Bytes that are not valid UTF-8 make the whole file
    read as Latin-1, which never fails (the encoding of the original movie
    review files).

    Parameters
    ----------
    path : str
        File path, or ``"-"`` for the standard input.

    Returns
    -------
    str
        The file's text.
    """
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        if path.endswith(".gz") or data.startswith(b"\x1f\x8b"):
            data = gzip.decompress(data)
    except (OSError, EOFError) as exc:
        raise CommandError(f"cannot read {path}: {_reason(exc)}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_lines(text: str) -> list[str]:
    r"""Split text into lines at ``"\n"`` only, dropping a final empty line.

    :meth:`str.splitlines` would also split at characters such as U+0085
    (the movie review data holds it inside sentences). A ``"\r"`` before the
    ``"\n"`` is dropped.
    """
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def read_labelled_lines(text: str, source: str) -> tuple[list[str], list[str]]:
    """Read the ``label text`` line format of the bundled data sets.

    Each non-empty line is a label, one space or tab, and the text, which may
    hold further spaces and tabs.

    Returns
    -------
    documents, labels : list of str
        The texts and their labels, in file order.
    """
    documents, labels = [], []
    for number, line in enumerate(read_lines(text), start=1):
        if not line.strip():
            continue
        cut = min((i for i in (line.find(" "), line.find("\t")) if i >= 0), default=-1)
        if cut <= 0:
            raise CommandError(
                f"{source}, line {number}: expected a label, a space or tab, and "
                f"the text; got {_shorten(line)!r}"
            )
        labels.append(line[:cut])
        documents.append(line[cut + 1 :])
    return documents, labels


def _delimiter(path: str, text: str, delimiter: str | None) -> str:
    if delimiter is not None:
        delimiter = "\t" if delimiter in ("\\t", "tab") else delimiter
        if len(delimiter) != 1:
            raise UsageError(
                f"--delimiter must be one character (or tab or \\t for a tab), "
                f"got {delimiter!r}"
            )
        return delimiter
    suffix = Path(path.removesuffix(".gz")).suffix.lower()
    if suffix in _EXTENSION_DELIMITERS:
        return _EXTENSION_DELIMITERS[suffix]
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


def _looks_like_header(rows: list[list[str]]) -> bool:
    """Whether the first row names the columns rather than holding data.

    It does when one of its cells is a usual column name, or when a column
    holds numbers on every later row but not on the first.
    """
    first, rest = rows[0], rows[1:_SNIFF_ROWS]
    usual = {*TEXT_COLUMN_NAMES, *LABEL_COLUMN_NAMES}
    if any(cell.strip().lower() in usual for cell in first):
        return True
    for j, cell in enumerate(first):
        column = [row[j] for row in rest if j < len(row)]
        if column and all(map(is_number, column)) and not is_number(cell):
            return True
    return False


def _column_index(
    spec: str, header: list[str] | None, what: str, source: str, n_columns: int
) -> int:
    """The index of the column given by name or by 0-based index.

    A negative index counts from the end (-1 is the last column); the index
    returned is never negative.
    """
    try:
        index = int(spec)
    except ValueError:
        pass
    else:
        if not -n_columns <= index < n_columns:
            raise CommandError(
                f"--{what}-column {index} is out of range: {source} has "
                f"{_plural(n_columns, 'column')} (indexes 0 to {n_columns - 1}, "
                "or negative ones counting from the end)"
            )
        return index % n_columns
    if header is None:
        raise UsageError(
            f"--{what}-column {spec!r} is a name, but --no-header says that "
            f"{source} has no header; give a 0-based index instead"
        )
    names = [name.strip() for name in header]
    if spec in names:
        return names.index(spec)
    lowered = [name.lower() for name in names]
    if spec.lower() in lowered:
        return lowered.index(spec.lower())
    raise CommandError(
        f"{source} has no column {spec!r}; its columns are "
        f"{', '.join(map(repr, names))}"
    )


def _default_columns(
    rows: list[list[str]], header: list[str] | None, source: str
) -> tuple[int, int]:
    """Choose the text and label columns when the command line does not."""
    if header is not None:
        lowered = [name.strip().lower() for name in header]
        text = next((lowered.index(n) for n in TEXT_COLUMN_NAMES if n in lowered), None)
        label = next(
            (lowered.index(n) for n in LABEL_COLUMN_NAMES if n in lowered), None
        )
        if text is not None and label is not None:
            return text, label
    n_columns = len(rows[0])
    if n_columns != 2:
        raise CommandError(
            f"{source} has {n_columns} columns; choose them with --text-column "
            "and --label-column (names or 0-based indexes)"
        )
    # Two columns: the label column is the one with fewer distinct values.
    sample = rows[:_SNIFF_ROWS] if header is None else rows[1 : _SNIFF_ROWS + 1]
    n_distinct = [len({row[j] for row in sample if len(row) == 2}) for j in (0, 1)]
    label = 1 if n_distinct[1] < n_distinct[0] else 0
    return 1 - label, label


def read_table(
    text: str,
    source: str,
    *,
    delimiter: str | None = None,
    header: bool | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
) -> tuple[list[str], list[str]]:
    """Read the text and the label column of a CSV or TSV file.

    Parameters
    ----------
    text : str
        The file's contents.
    source : str
        The file's name, for messages.
    delimiter : str, optional
        Field delimiter; by default from the extension (``.csv`` comma,
        ``.tsv`` and ``.tab`` tab), else sniffed.
    header : bool, optional
        Whether the first row is a header; None detects it (always True when
        a column is given by name).
    text_column, label_column : str, optional
        Column names or 0-based indexes; by default a column with a usual
        name (``text``, ``label``...), else the two columns of a two-column
        file, the label being the one with fewer distinct values.

    Returns
    -------
    documents, labels : list of str
        The texts and their labels, in file order.
    """
    delimiter = _delimiter(source, text, delimiter)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise CommandError(f"{source} is not valid CSV: {exc}") from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise CommandError(f"{source} holds no data")
    by_name = [
        spec
        for spec in (text_column, label_column)
        if spec is not None and not _is_int(spec)
    ]
    if header is None:
        header = bool(by_name) or _looks_like_header(rows)
    header_row = rows[0] if header else None
    data_rows = rows[1:] if header else rows
    n_columns = len(rows[0])
    if text_column is None and label_column is None:
        text_index, label_index = _default_columns(rows, header_row, source)
    elif text_column is None or label_column is None:
        given = text_column if label_column is None else label_column
        what = "text" if label_column is None else "label"
        index = _column_index(given, header_row, what, source, n_columns)
        if n_columns != 2:
            other = "label" if what == "text" else "text"
            raise CommandError(
                f"{source} has {n_columns} columns; give --{other}-column too"
            )
        text_index, label_index = (
            (index, 1 - index) if what == "text" else (1 - index, index)
        )
    else:
        text_index = _column_index(text_column, header_row, "text", source, n_columns)
        label_index = _column_index(
            label_column, header_row, "label", source, n_columns
        )
        if text_index == label_index:
            raise UsageError(
                f"--text-column {text_column} and --label-column {label_column} "
                f"are the same column of {source} (column {text_index})"
            )
    documents, labels = [], []
    needed = max(text_index, label_index) + 1
    first_line = 2 if header else 1
    for number, row in enumerate(data_rows, start=first_line):
        if len(row) < needed:
            raise CommandError(
                f"{source}, row {number}: expected at least {needed} fields "
                f"(delimiter {delimiter!r}), found {len(row)}"
            )
        label = row[label_index].strip()
        if not label:
            raise CommandError(
                f"{source}, row {number}: the label (column {label_index}) is empty"
            )
        documents.append(row[text_index])
        labels.append(label)
    if not documents:
        raise CommandError(f"{source} has a header but no data rows")
    return documents, labels


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def read_dataset(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """Read the documents and labels named by the data options of ``args``."""
    text = read_text(args.data)
    if args.format == "lines":
        documents, labels = read_labelled_lines(text, args.data)
    else:
        documents, labels = read_table(
            text,
            args.data,
            delimiter=args.delimiter,
            header=False if args.no_header else None,
            text_column=args.text_column,
            label_column=args.label_column,
        )
    if not documents:
        raise CommandError(f"{args.data} holds no documents")
    return documents, labels


# ------------------------------------------------------------- parameters


def parse_value(text: str):
    """A parameter value from the command line: a Python literal, else a str.

    ``true``, ``false``, ``none`` and ``null`` are accepted in any case.

    Examples
    --------
    >>> parse_value("64"), parse_value("1e-3"), parse_value("gru")
    (64, 0.001, 'gru')
    >>> parse_value("true"), parse_value("{'pos': 2.0}")
    (True, {'pos': 2.0})
    """
    keywords = {"true": True, "false": False, "none": None, "null": None}
    if text.strip().lower() in keywords:
        return keywords[text.strip().lower()]
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text


def classifier_parameters() -> list[str]:
    """The names of the parameters of :class:`RNNTextClassifier`."""
    from ._classifier import RNNTextClassifier

    return sorted(RNNTextClassifier().get_params())


def _unknown_parameter(name: str, known: Sequence[str]) -> UsageError:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return UsageError(
        f"unknown parameter {name!r}{hint} (`skrnn train --help` lists them)"
    )


def parse_params(pairs: Sequence[str], known: Sequence[str]) -> dict:
    """Turn ``name=value`` strings into RNNTextClassifier parameters.

    A parameter given twice, whichever the spellings (``--param max_iter=5
    --max-iter 9``), is an error.
    """
    params, given = {}, {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        name = name.strip().replace("-", "_")
        if not equals or not name:
            raise UsageError(f"--param expects name=value, got {pair!r}")
        if name not in known:
            raise _unknown_parameter(name, known)
        if name in given:
            raise UsageError(
                f"parameter {name!r} is given twice, as {given[name]!r} and "
                f"{value!r}; give it once"
            )
        given[name] = value
        params[name] = parse_value(value)
    return params


def _expand_parameter_options(
    argv: list[str], own_options: set[str], known: Sequence[str]
) -> list[str]:
    """Rewrite ``--hidden-size 64`` as ``--param hidden_size=64``.

    Options of the ``train`` command itself are left alone; any other
    ``--name`` must be a parameter of the classifier and takes one value,
    either after ``=`` or as the next argument.
    """
    expanded = []
    arguments = iter(argv)
    for argument in arguments:
        if argument == "--":
            expanded += [argument, *arguments]
            break
        flag, equals, value = argument.partition("=")
        if not flag.startswith("--") or flag == "--" or flag in own_options:
            expanded.append(argument)
            continue
        name = flag[2:].replace("-", "_")
        if name not in known:
            raise _unknown_parameter(name, known)
        if not equals:
            value = next(arguments, None)
            if value is None:
                raise UsageError(f"{flag} needs a value")
        expanded += ["--param", f"{name}={value}"]
    return expanded


# --------------------------------------------------------------- commands


def _load_model(path: str):
    if not os.path.exists(path):
        raise CommandError(f"cannot read model {path}: no such file")
    try:
        return load(path)
    except Exception as exc:
        raise CommandError(f"cannot load model {path}: {_reason(exc)}") from exc


def _option(name: str) -> str:
    """The command-line option of a parameter: ``n_jobs`` gives ``--n-jobs``."""
    return "--" + name.replace("_", "-")


def _check_parameters(clf) -> None:
    """Check the parameters of an unfitted classifier, before reading any data.

    Beside scikit-learn's parameter validation, this catches the values that
    only training would reject: ``n_jobs=0``, a ``dtype`` other than float32
    and float64, a ``token_pattern`` that is not a regular expression with at
    most one group, and an ill-formed ``vocabulary``.

    Parameters
    ----------
    clf : RNNTextClassifier
        The classifier to train.

    Raises
    ------
    UsageError
        For the first invalid parameter, naming it.
    """
    from joblib import effective_n_jobs
    from sklearn.utils._param_validation import InvalidParameterError

    try:
        clf._validate_params()
    except InvalidParameterError as exc:
        raise UsageError(str(exc)) from exc
    vectorizer = clf._make_vectorizer()
    # (parameter, check, what to say instead of the check's message or None)
    checks = [
        (
            "n_jobs",
            lambda: effective_n_jobs(clf.n_jobs),
            "give a number of threads, -1 for all processors, or None",
        ),
        ("dtype", clf._check_dtype, "give float32 or float64"),
        ("token_pattern", vectorizer.build_analyzer, None),
    ]
    if clf.vocabulary is not None:
        checks.append(("vocabulary", vectorizer._validate_vocabulary, None))
    for name, check, advice in checks:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # training warns again
                check()
        except (ValueError, TypeError, re.error) as exc:
            raise UsageError(
                f"invalid {_option(name)} {_shorten(repr(getattr(clf, name)))}: "
                f"{advice or _reason(exc)}"
            ) from exc


def _embeddings_error(path: str | os.PathLike, exc: OSError) -> CommandError:
    return CommandError(f"cannot read embeddings {os.fspath(path)}: {_reason(exc)}")


def _train(args: argparse.Namespace) -> int:
    from ._classifier import RNNTextClassifier

    params = parse_params(args.param, classifier_parameters())
    if args.quiet and "verbose" in params:
        raise UsageError(
            "-q/--quiet and the verbose parameter both set the training output; "
            "give one of them"
        )
    params.setdefault("verbose", 0 if args.quiet else 1)
    clf = RNNTextClassifier(**params)
    _check_parameters(clf)
    # Before training, which can take long: can the model be written there?
    output = Path(args.output)
    if output.is_dir():
        raise CommandError(f"cannot save to {args.output}: it is a folder")
    if not output.parent.is_dir():
        raise CommandError(
            f"cannot save to {args.output}: there is no folder {output.parent}"
        )
    embeddings_file = isinstance(clf.embeddings, str | os.PathLike)
    if embeddings_file:
        try:
            Path(clf.embeddings).open("rb").close()
        except OSError as exc:
            raise _embeddings_error(clf.embeddings, exc) from exc
    documents, labels = read_dataset(args)
    n_classes = len(set(labels))
    if not args.quiet:
        _note(
            f"read {_plural(len(documents), 'document')} of "
            f"{_plural(n_classes, 'class', 'classes')} from {args.data}"
        )
    start = time.perf_counter()
    try:
        with _warnings_as_notes(), contextlib.redirect_stdout(sys.stderr):
            clf.fit(documents, labels)
    except OSError as exc:
        if embeddings_file:  # the only file that training reads
            raise _embeddings_error(clf.embeddings, exc) from exc
        raise CommandError(f"training failed: {_reason(exc)}") from exc
    except (ValueError, TypeError) as exc:
        raise CommandError(f"training failed: {_reason(exc)}") from exc
    seconds = time.perf_counter() - start
    try:
        save(clf, args.output)
    except (OSError, ValueError, TypeError) as exc:
        raise CommandError(f"cannot save to {args.output}: {_reason(exc)}") from exc
    if not args.quiet:
        _note(
            f"trained {_plural(clf.n_iter_, 'epoch')} in {seconds:.1f} s "
            f"(vocabulary of {clf.vectorizer_.n_vocab_} ids); saved to {args.output}"
        )
    return EXIT_OK


def _predict(args: argparse.Namespace) -> int:
    clf = _load_model(args.model)
    documents = read_lines(read_text(args.input))
    try:
        if args.proba:
            proba = clf.predict_proba(documents)
            labels = clf.classes_[proba.argmax(axis=1)]
        else:
            labels = clf.predict(documents)
    except (ValueError, TypeError) as exc:
        raise CommandError(f"prediction failed: {_reason(exc)}") from exc
    # Tab-separated; a label holding a tab, a newline or a double quote is
    # quoted as in CSV, so that every row stays one line.
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    if args.proba:
        out.writerow(["label", *clf.classes_])
        out.writerows(
            [label, *(f"{p:.6f}" for p in row)]
            for label, row in zip(labels, proba, strict=True)
        )
    else:
        out.writerows([label] for label in labels)
    return EXIT_OK


#: Spellings of the labels of a model whose classes are bool, in lower case.
_BOOL_LABELS = {"true": True, "1": True, "false": False, "0": False}


def _to_bool(label: str) -> bool:
    return _BOOL_LABELS[label.strip().lower()]


def _to_int(label: str) -> int:
    try:
        return int(label)
    except ValueError:
        value = float(label)  # "1.0" and "1e3" are integers too
        if not value.is_integer():
            raise
        return int(value)


def _to_float(label: str) -> float:
    value = float(label)
    if not math.isfinite(value):
        raise ValueError(label)
    return value


#: How to read a label for a model's classes of each dtype kind, and what it
#: must look like.
_LABEL_CONVERTERS = {
    "b": (_to_bool, "True/False or 1/0"),
    "i": (_to_int, "an integer"),
    "u": (_to_int, "an integer"),
    "f": (_to_float, "a finite number"),
}


def _as_classes_type(labels: list[str], classes, source: str):
    """Labels read as text, converted to the type of a model's classes.

    Bool classes take ``True`` and ``False`` in any case, and ``1`` and
    ``0``; integer classes take integers (``1.0`` too); float classes take
    finite numbers; the labels of other classes stay strings.

    Raises
    ------
    CommandError
        If a label cannot be read as a value of the classes' type, naming the
        label and the classes.
    """
    import numpy as np

    if classes.dtype.kind not in _LABEL_CONVERTERS:
        return np.asarray(labels)
    convert, expected = _LABEL_CONVERTERS[classes.dtype.kind]
    values = []
    for label in labels:
        try:
            values.append(convert(label))
        except (KeyError, ValueError):
            raise CommandError(
                f"{source}: label {label!r} does not match the model's "
                f"{classes.dtype.name} classes "
                f"{', '.join(map(str, classes.tolist()))} (expected {expected})"
            ) from None
    return np.asarray(values)


def _evaluate(args: argparse.Namespace) -> int:
    import numpy as np
    from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

    clf = _load_model(args.model)
    documents, labels = read_dataset(args)
    y_true = _as_classes_type(labels, clf.classes_, args.data)
    try:
        y_pred = clf.predict(documents)
    except (ValueError, TypeError) as exc:
        raise CommandError(f"prediction failed: {_reason(exc)}") from exc
    if y_true.dtype.kind != y_pred.dtype.kind:
        y_true, y_pred = y_true.astype(str), y_pred.astype(str)
    classes = np.union1d(y_true, y_pred)
    unseen = np.setdiff1d(y_true, clf.classes_)
    if len(unseen):
        _note(f"labels the model does not know: {', '.join(map(str, unseen))}")
    print(f"accuracy: {accuracy_score(y_true, y_pred):.4f} ({len(y_true)} documents)")
    print()
    print(classification_report(y_true, y_pred, labels=classes, zero_division=0))
    print("confusion matrix (rows: true label, columns: predicted label)")
    print(_format_matrix(confusion_matrix(y_true, y_pred, labels=classes), classes))
    return EXIT_OK


def _format_matrix(matrix, classes) -> str:
    names = [str(c) for c in classes]
    width = max(len(n) for n in [*names, *(str(v) for v in matrix.ravel())])
    first = max(len(n) for n in names)
    lines = [" " * first + "".join(f"  {n:>{width}}" for n in names)]
    for name, row in zip(names, matrix, strict=True):
        lines.append(f"{name:>{first}}" + "".join(f"  {v:>{width}}" for v in row))
    return "\n".join(lines)


def _demo(args: argparse.Namespace) -> int:
    clf = run_demo(epochs=args.epochs, every=args.every, random_state=args.random_state)
    return 0 if clf.n_iter_ == args.epochs else 1


# -------------------------------------------------------------- utilities


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _positive_int(text: str) -> int:
    """An argparse type: an integer of 1 or more."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _seed(text: str) -> int:
    """An argparse type: a ``random_state`` integer, 0 to 2**32 - 1."""
    value = _int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**32 - 1], got {value}")
    return value


def _note(message: str) -> None:
    print(f"skrnn: {message}", file=sys.stderr)


@contextlib.contextmanager
def _warnings_as_notes():
    """Show warnings as one ``skrnn: warning:`` line each, once."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen = set()
            for warning in caught:
                message = str(warning.message)
                if message not in seen:
                    seen.add(message)
                    _note(f"warning: {message}")


def _plural(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


# ------------------------------------------------------------------ parser

_DATA_HELP = """\
DATA is a CSV or TSV file (optionally gzipped, or - for stdin) with a text
and a label column, or, with --format lines, one "label text" per line (the
label, one space or tab, then the text), as in skrnn's bundled data sets.
Files are read as UTF-8, or as Latin-1 when they are not valid UTF-8.
"""

_TRAIN_EPILOG = """\
Any parameter of RNNTextClassifier can be given as --name value (dashes or
underscores) or --param name=value. Values are Python literals (64, 1e-3,
True, None, [...], {{...}}) or else strings; true/false/none work in any case.
Training progress goes to stderr (one line per epoch; --verbose 2 adds a bar).

parameters:
{parameters}

examples:
  skrnn train reviews.csv -o reviews.skrnn --cell gru --max-iter 20
  skrnn train mr.txt --format lines -o mr.skrnn --param hidden_size=128
"""


def _add_data_options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    group = parser.add_argument_group("data options")
    return [
        parser.add_argument("data", metavar="DATA", help="labelled documents"),
        group.add_argument(
            "--format",
            choices=("csv", "lines"),
            default="csv",
            help="csv (CSV or TSV, the default) or lines (label, space, text)",
        ),
        group.add_argument(
            "--text-column",
            metavar="COLUMN",
            help="name or 0-based index of the text column (negative: from the end)",
        ),
        group.add_argument(
            "--label-column",
            metavar="COLUMN",
            help="name or 0-based index of the label column (negative: from the end)",
        ),
        group.add_argument(
            "--delimiter",
            metavar="CHAR",
            help=r"field delimiter ('\t' or tab for a tab); by default from the "
            "extension (.csv comma, .tsv tab), else sniffed",
        ),
        group.add_argument(
            "--no-header",
            action="store_true",
            help="the first row is data (by default a header is detected)",
        ),
    ]


def _build_parser() -> tuple[argparse.ArgumentParser, set[str]]:
    """The parser, and the option strings of the ``train`` command."""
    parser = argparse.ArgumentParser(
        prog="skrnn",
        description="Recurrent neural network text classifiers in numpy.",
        epilog="Run `skrnn COMMAND --help` for the options of a command.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    formatter = argparse.RawDescriptionHelpFormatter

    train = commands.add_parser(
        "train",
        help="train an RNNTextClassifier on labelled text and save it",
        description="Train an RNNTextClassifier on DATA and save it to MODEL.\n\n"
        + _DATA_HELP,
        epilog=_TRAIN_EPILOG.format(
            parameters=textwrap.fill(
                ", ".join(classifier_parameters()),
                width=78,
                initial_indent="  ",
                subsequent_indent="  ",
            )
        ),
        formatter_class=formatter,
        allow_abbrev=False,
    )
    actions = _add_data_options(train)
    actions += [
        train.add_argument(
            "-o", "--output", required=True, metavar="MODEL", help="model file to write"
        ),
        train.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a parameter of RNNTextClassifier (repeatable)",
        ),
        train.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            help="no progress or notes on stderr, only warnings and errors",
        ),
    ]
    train.set_defaults(handler=_train)

    predict = commands.add_parser(
        "predict",
        help="print the predicted label of each line of text",
        description="Print the predicted label of every line of FILE (one "
        "document per line), one label per line.",
    )
    predict.add_argument("model", metavar="MODEL", help="model file from skrnn train")
    predict.add_argument(
        "input",
        metavar="FILE",
        nargs="?",
        default="-",
        help="text file, one document per line; - or absent for stdin",
    )
    predict.add_argument(
        "--proba",
        action="store_true",
        help="also print the class probabilities, tab separated, after a header "
        "line naming the classes",
    )
    predict.set_defaults(handler=_predict)

    evaluate = commands.add_parser(
        "evaluate",
        help="score a model on labelled text",
        description="Print the accuracy of MODEL on DATA, scikit-learn's\n"
        "classification report and the confusion matrix.\n\n" + _DATA_HELP,
        formatter_class=formatter,
    )
    evaluate.add_argument("model", metavar="MODEL", help="model file from skrnn train")
    _add_data_options(evaluate)
    evaluate.set_defaults(handler=_evaluate)

    demo = commands.add_parser(
        "demo",
        help="train the seed post's RNN on the bundled toy sentiment set",
        description=(
            "Reproduce the seed post: a vanilla RNN (hidden size 64, one-hot "
            "words, SGD with learning rate 0.02 and batch size 1, gradients "
            "clipped at 1) trained on 50 sentences and tested on 25."
        ),
    )
    demo.add_argument(
        "--epochs", type=_positive_int, default=1000, help="default: 1000"
    )
    demo.add_argument(
        "--every",
        type=_positive_int,
        default=100,
        help="report every N epochs (default: 100)",
    )
    demo.add_argument(
        "--random-state",
        type=_seed,
        default=DEMO_RANDOM_STATE,
        help=f"seed of the weights and shuffling (default: {DEMO_RANDOM_STATE})",
    )
    demo.set_defaults(handler=_demo)
    train_options = {flag for action in actions for flag in action.option_strings}
    return parser, train_options | {"-h", "--help"}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skrnn`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit code: 0 on success, 1 for a problem with the data or the
        model, 2 for a usage error.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, train_options = _build_parser()
    command = "skrnn"
    try:
        if argv and argv[0] == "train":
            command = "skrnn train"
            known = classifier_parameters()
            argv = ["train", *_expand_parameter_options(argv[1:], train_options, known)]
        try:
            args = parser.parse_args(argv)
        except SystemExit as exit_:  # argparse has printed the help or the error
            return EXIT_OK if exit_.code in (0, None) else EXIT_USAGE
        command = f"skrnn {args.command}"
        return args.handler(args)
    except CommandError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (`skrnn predict ... | head`): stop
        # quietly, and keep Python from complaining when it flushes stdout.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
