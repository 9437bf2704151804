"""Reading tables of text: CSV and TSV files, ``label text`` lines, plain lines.

The command line reads its data through this module, and the data set loaders
read their bundled files with it. It needs the standard library only
(:mod:`csv` for CSV and TSV, :mod:`gzip`), so that the command line answers
``--help`` without importing numpy or scikit-learn.

A file that cannot be read as asked raises :class:`TableError`, a ValueError
whose message names the file and the line; :class:`TableArgumentError` marks
the problems that lie in the arguments themselves (a delimiter of two
characters, the same column for the text and the label).
"""

import codecs
import contextlib
import csv
import gzip
import io
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from ._warnings import warn

__all__ = [
    "LABEL_COLUMN_NAMES",
    "TABLE_EXTENSIONS",
    "TEXT_COLUMN_NAMES",
    "TableArgumentError",
    "TableError",
    "TableWarning",
    "is_table",
    "read_labelled_lines",
    "read_table",
    "read_text",
    "split_lines",
]

#: Column names taken for the text and the label column of a table with a
#: header when the columns are not given.
TEXT_COLUMN_NAMES = ("text", "sentence", "document", "review", "content")
LABEL_COLUMN_NAMES = ("label", "target", "class", "y", "category", "sentiment")

#: Delimiter implied by a file's extension (before any ``.gz``).
TABLE_EXTENSIONS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}

#: Rows read to detect a header and to choose the columns.
_SNIFF_ROWS = 100
#: Characters read to sniff the delimiter of a file without a table extension.
_SNIFF_CHARS = 8192
#: Longest field read. The csv module's default, 131,072 characters, is about
#: 20,000 words: a long document. This is the largest a C long holds everywhere.
FIELD_SIZE_LIMIT = 2**31 - 1


class TableError(ValueError):
    """A file that cannot be read as asked; the message says where and why."""


class TableArgumentError(TableError):
    """Arguments that are wrong in themselves, whatever the file holds."""


class TableWarning(UserWarning):
    """A table read as asked, but perhaps not as meant: its first row."""


def _keyword(name: str) -> str:
    return name


def _plural(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` and the noun: ``_plural(2, "class", "classes")`` is "2 classes"."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def _reason(exc: BaseException, width: int = 1000) -> str:
    """The message of an exception, on one line, for an error message."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return _shorten(text, width) if text else type(exc).__name__


def _shorten(text: str, width: int = 60) -> str:
    """The text, cut to ``width`` characters with "..." if it is longer."""
    return text if len(text) <= width else text[: width - 3] + "..."


def read_text(path: str | os.PathLike, *, source: str | None = None) -> str:
    """Read a text file, or stdin for ``"-"``, as UTF-8 or else Latin-1.

    Gzip data (a name ending with ``.gz``, or the gzip signature at the
    start, as on a piped standard input) is decompressed first. A UTF-8 byte
    order mark is dropped; a UTF-16 or UTF-32 one makes the file read in that
    encoding, and so does UTF-16 without one, whose text of Latin letters
    holds a NUL byte beside each of them. Bytes that are not valid UTF-8 make
    the whole file read as Latin-1, which never fails (the encoding of the
    original movie review files), but in a file that begins with a byte
    order mark, which says what it is: an error then.

    Parameters
    ----------
    path : str or path-like
        File path, or ``"-"`` for the standard input.
    source : str, optional
        The name of the file in messages; ``path`` by default.

    Returns
    -------
    str
        The file's text.

    Raises
    ------
    TableError
        If the file cannot be read or decompressed.
    """
    path = os.fspath(path)
    source = path if source is None else source
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        if path.endswith(".gz") or data.startswith(b"\x1f\x8b"):
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise TableError(f"cannot read {source}: {_reason(exc)}") from exc
    for bom, codec, name in _UNICODE_BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise TableError(
                    f"cannot read {source}: it begins with the byte order mark of "
                    f"{name} but is not valid {name} ({exc.reason} at byte "
                    f"{len(bom) + exc.start}); save it again as UTF-8"
                ) from exc
    if (text := _utf16_without_bom(data)) is not None:
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


#: Bytes of a file that :func:`_utf16_without_bom` looks at.
_SNIFF_BYTES = 4096


def _utf16_without_bom(data: bytes) -> str | None:
    """The text of UTF-16 data without a byte order mark, or None.

    Text in the Latin script encoded so has a NUL byte beside each
    character: most of one half of the bytes (the odd ones little-endian,
    the even ones big-endian) are NUL and none of the other. UTF-8 and
    Latin-1 text holds no NUL; data that the pattern fits but does not
    decode is left to them.
    """
    sample = data[: _SNIFF_BYTES - _SNIFF_BYTES % 2]
    if len(data) % 2 or len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, other, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= len(zeros) / 2 and not other.count(0):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


#: Byte order marks, the codec that reads the file after its mark, and the
#: encoding's name: UTF-32's first (it begins with UTF-16 LE's), read
#: instead of UTF-8 (as spreadsheets export "Unicode text"); and UTF-8's, whose
#: file is not read as Latin-1 when it is not valid UTF-8 (its mark would
#: become the first document's "ï»¿" and every other letter out of ASCII two).
_UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
)


def is_table(path: str | os.PathLike) -> bool:
    """Whether the name ends with ``.csv``, ``.tsv`` or ``.tab``, maybe then ``.gz``."""
    name = os.fspath(path).removesuffix(".gz")
    return Path(name).suffix.lower() in TABLE_EXTENSIONS


def split_lines(text: str) -> list[str]:
    r"""Split text into lines, dropping a final empty line.

    Lines end at ``"\n"`` (a ``"\r"`` before it is dropped), or, in a text
    without any ``"\n"``, at ``"\r"`` (the classic Mac line ending).
    :meth:`str.splitlines` would also split at characters such as U+0085
    (the movie review data hold it inside sentences), and at a stray
    ``"\r"`` inside a line of a file that ends its lines with ``"\n"``.

    Examples
    --------
    >>> split_lines("good\r\nbad\n\nok\n")
    ['good', 'bad', '', 'ok']
    >>> split_lines("good\rbad\rok\r")
    ['good', 'bad', 'ok']
    """
    newline = "\r" if "\r" in text and "\n" not in text else "\n"
    lines = text.split(newline)
    if lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def read_labelled_lines(
    text: str, source: str, *, separators: str = " \t"
) -> tuple[list[str], list[str]]:
    r"""Read the ``label text`` line format of the bundled data sets.

    Each non-empty line is a label, one separator, and the text, which may
    hold further separators. Lines are those of :func:`split_lines`.

    Parameters
    ----------
    text : str
        The file's contents.
    source : str
        The file's name, for messages.
    separators : str, default=" \t"
        The characters that may end the label: by default a space or a tab.

    Returns
    -------
    documents, labels : list of str
        The texts and their labels, in file order.

    Raises
    ------
    TableError
        For a non-empty line without a label and a separator, naming it.
    """
    documents, labels = [], []
    for number, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            continue
        cut = min((i for i in map(line.find, separators) if i >= 0), default=-1)
        if cut <= 0:
            names = " or ".join("tab" if s == "\t" else repr(s) for s in separators)
            raise TableError(
                f"{source}, line {number}: expected a label, a {names}, and the "
                f"text; got {_shorten(line)!r}"
            )
        labels.append(line[:cut])
        documents.append(line[cut + 1 :])
    return documents, labels


@contextlib.contextmanager
def _field_size_limit(limit: int) -> Iterator[None]:
    """Let the csv module read fields of up to ``limit`` characters."""
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _delimiter(
    source: str, text: str, delimiter: str | None, option: Callable[[str], str]
) -> tuple[str, str]:
    """The delimiter, and where it comes from: "given", "extension" or "sniffed"."""
    if delimiter is not None:
        delimiter = "\t" if delimiter in ("\\t", "tab") else delimiter
        if len(delimiter) != 1 or delimiter in '"\r\n':
            raise TableArgumentError(
                f"{option('delimiter')} must be one character other than a quote "
                f"or a line break (tab or \\t for a tab), got {delimiter!r}"
            )
        return delimiter, "given"
    suffix = Path(source.removesuffix(".gz")).suffix.lower()
    if suffix in TABLE_EXTENSIONS:
        return TABLE_EXTENSIONS[suffix], "extension"
    try:
        sniffed = csv.Sniffer().sniff(text[:_SNIFF_CHARS], delimiters=",\t;|")
    except csv.Error:
        return ",", "sniffed"
    return sniffed.delimiter, "sniffed"


#: A line as ``io.StringIO(text, newline="")`` gives it, and the csv module
#: reads it: up to and with its ``"\r\n"``, ``"\r"`` or ``"\n"``.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _lines(text: str, start: int = 0) -> Iterator[str]:
    """The lines of ``text`` from offset ``start``, one at a time.

    Rather than ``io.StringIO(text, newline="")``, which holds a copy of the
    text of 4 bytes a character (1.2 GB of memory to read a CSV field of 50
    MB, 286 MB for a table of 22 MB).
    """
    return (match.group() for match in _LINE.finditer(text, start))


def _line_start(text: str, line: int) -> int:
    """The offset in ``text`` of the start of line ``line`` (from 1)."""
    if line <= 1:
        return 0
    for k, match in enumerate(_LINE.finditer(text), start=2):
        if k == line:
            return match.end()
    return len(text)


def _records(text: str, source: str, delimiter: str) -> list[tuple[int, list[str]]]:
    r"""The records of a CSV text, each with the line it starts on.

    Lines end at ``"\n"``, ``"\r\n"`` or ``"\r"``, as the csv module reads
    them; a quoted field may hold line breaks.
    """
    records = []
    reader = csv.reader(_lines(text), delimiter=delimiter)
    end = 0
    with _field_size_limit(FIELD_SIZE_LIMIT):
        try:
            for row in reader:
                records.append((end + 1, row))
                end = reader.line_num
        except csv.Error as exc:
            raise TableError(
                f"{source}, line {reader.line_num}: not valid CSV: {exc}"
            ) from exc
        if records:
            _check_quotes_closed(text, source, delimiter, records[-1][0])
            _check_quotes_close_fields(text, source, delimiter, records, end)
    return records


def _check_quotes_close_fields(
    text: str,
    source: str,
    delimiter: str,
    records: list[tuple[int, list[str]]],
    n_lines: int,
) -> None:
    """Refuse a record of several lines whose quote closes inside a field.

    Read leniently, the csv module goes on after a closing quote that a
    delimiter does not follow: a text that begins with a quote, in a file that
    does not quote its fields, swallows the lines up to the next quote into
    one record. A well-quoted field that spans lines reads strictly as well.
    """
    lines = None
    ends = [start for start, _ in records[1:]] + [n_lines + 1]
    for (start, _), end in zip(records, ends, strict=True):
        if end - start < 2:
            continue
        if lines is None:
            lines = io.StringIO(text, newline="").readlines()
        record = "".join(lines[start - 1 : end - 1])
        reader = csv.reader(
            io.StringIO(record, newline=""), delimiter=delimiter, strict=True
        )
        try:
            for _ in reader:
                pass
        except csv.Error as exc:
            raise TableError(
                f"{source}, lines {start} to {end - 1}: a quote opened on line "
                f"{start} closes inside a field, so these lines would be read as "
                "one record; end the quoted field with its closing quote, or "
                'double the quotes that are part of a quoted field ("")'
            ) from exc


def _check_quotes_closed(text: str, source: str, delimiter: str, start: int) -> None:
    """Refuse a quote that the last record, starting on line ``start``, opens.

    Read leniently, as by default, the csv module ends a field left open at
    the end of the text, which then swallows every line after its quote.
    """
    tail = _lines(text, _line_start(text, start))
    reader = csv.reader(tail, delimiter=delimiter, strict=True)
    try:
        for _ in reader:
            pass
    except csv.Error as exc:
        if "end of data" not in str(exc):
            return  # lenient reading accepts what strict reading does not
        raise TableError(
            f"{source}, line {start}: a quote opened on this line is never "
            "closed, so the field runs to the end of the file; close it, or "
            'double a quote that is part of a quoted field ("")'
        ) from exc


def _misnamed_tab_separated(rows: list[list[str]], delimiter: str, how: str) -> bool:
    """Whether a table read as one column by its extension holds tabs on every row."""
    return (
        how == "extension"
        and delimiter != "\t"
        and bool(rows)
        and all(len(row) == 1 and "\t" in row[0] for row in rows[:_SNIFF_ROWS])
    )


#: Delimiters that a labelled table read as one column by its extension may
#: have instead (a semicolon-separated ".csv", as spreadsheets write where
#: the comma is the decimal mark): one column cannot hold text and labels.
_OTHER_DELIMITERS = (";", "|")


def _misnamed_delimiter(
    rows: list[list[str]], delimiter: str, how: str, labelled: bool
) -> str | None:
    """The delimiter every row of a labelled one-column table holds, if any."""
    if how != "extension" or not labelled or not rows:
        return None
    sample = rows[:_SNIFF_ROWS]
    if any(len(row) != 1 for row in sample):
        return None
    return next(
        (
            other
            for other in _OTHER_DELIMITERS
            if other != delimiter and all(other in row[0] for row in sample)
        ),
        None,
    )


def _extent(row: list[str]) -> int:
    """The number of fields up to the row's last non-blank one."""
    return next((j + 1 for j in range(len(row) - 1, -1, -1) if row[j].strip()), 0)


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _looks_like_header(rows: list[list[str]]) -> bool:
    """Whether the first row names the columns rather than holding data.

    It does when one of its cells is a usual column name, or when a column
    holds numbers on every later row but not on the first.
    """
    # Imported here: _embeddings needs numpy, and this module must not.
    from ._embeddings import is_number

    first, rest = rows[0], rows[1:_SNIFF_ROWS]
    usual = {*TEXT_COLUMN_NAMES, *LABEL_COLUMN_NAMES}
    if any(cell.strip().lower() in usual for cell in first):
        return True
    for j, cell in enumerate(first):
        column = [row[j] for row in rest if j < len(row)]
        if column and all(map(is_number, column)) and not is_number(cell):
            return True
    return False


class _Columns:
    """Chooses the text and label columns of one table, for its messages."""

    def __init__(
        self,
        rows: list[list[str]],
        header: list[str] | None,
        source: str,
        option: Callable[[str], str],
    ):
        self.rows = rows
        self.header = header
        self.source = source
        self.option = option
        self.n_columns = len(header if header is not None else rows[0])

    def index(self, spec: str, what: str) -> int:
        """The index of the column given by name or by 0-based index.

        A negative index counts from the end (-1 is the last column); the
        index returned is never negative.
        """
        n_columns, source = self.n_columns, self.source
        flag = self.option(f"{what}_column")
        if _is_int(spec):
            index = int(spec)
            if not -n_columns <= index < n_columns:
                raise TableError(
                    f"{flag} {index} is out of range: {source} has "
                    f"{_plural(n_columns, 'column')} (indexes 0 to {n_columns - 1}, "
                    "or negative ones counting from the end)"
                )
            return index % n_columns
        if self.header is None:
            raise TableArgumentError(
                f"{flag} {spec!r} is a name, but {source} is read without a "
                "header; give a 0-based index instead"
            )
        names = [name.strip() for name in self.header]
        lowered = [name.lower() for name in names]
        if spec in names:
            return names.index(spec)
        if spec.lower() in lowered:
            return lowered.index(spec.lower())
        raise TableError(
            f"{source} has no column {spec!r}; its columns are "
            f"{', '.join(map(repr, names))}"
        )

    def by_usual_name(self, names: tuple[str, ...]) -> int | None:
        if self.header is None:
            return None
        lowered = [name.strip().lower() for name in self.header]
        return next((lowered.index(n) for n in names if n in lowered), None)

    def label_of_two(self) -> int:
        """In a table of two columns, the label is the one with fewer values.

        Of two columns with as many distinct values (a few rows, each
        different), the label is the one of shorter values: the text is the
        longer.
        """
        sample = [row for row in self.rows[:_SNIFF_ROWS] if len(row) == 2]
        n_distinct = [len({row[j] for row in sample}) for j in (0, 1)]
        if n_distinct[0] == n_distinct[1]:
            n_distinct = [sum(len(row[j]) for row in sample) for j in (0, 1)]
        return 1 if n_distinct[1] < n_distinct[0] else 0

    def choose(
        self, text_column: str | None, label_column: str | None, labelled: bool
    ) -> tuple[int, int | None]:
        """The indexes of the text column and of the label column (or None)."""
        text_flag, label_flag = self.option("text_column"), self.option("label_column")
        if text_column is not None and label_column is not None:
            text, label = (
                self.index(text_column, "text"),
                self.index(label_column, "label"),
            )
            if text == label:
                raise TableArgumentError(
                    f"{text_flag} {text_column} and {label_flag} {label_column} "
                    f"are the same column of {self.source} (column {text})"
                )
            return text, label
        if text_column is not None:
            text = self.index(text_column, "text")
            if not labelled:
                return text, None
            if self.n_columns != 2:
                raise TableError(
                    f"{self.source} has {_plural(self.n_columns, 'column')}; "
                    f"give {label_flag} too"
                )
            return text, 1 - text
        if label_column is not None:
            label = self.index(label_column, "label")
            if self.n_columns != 2:
                raise TableError(
                    f"{self.source} has {_plural(self.n_columns, 'column')}; "
                    f"give {text_flag} too"
                )
            return 1 - label, label
        text = self.by_usual_name(TEXT_COLUMN_NAMES)
        label = self.by_usual_name(LABEL_COLUMN_NAMES)
        if text is not None and (label is not None or not labelled):
            return text, label
        if self.n_columns == 1 and not labelled:
            return 0, None
        if self.n_columns != 2:
            choose = f"{text_flag} and {label_flag}" if labelled else text_flag
            raise TableError(
                f"{self.source} has {_plural(self.n_columns, 'column')}; choose "
                f"them with {choose} (names or 0-based indexes)"
            )
        label = self.label_of_two()
        return 1 - label, label


def read_table(
    text: str,
    source: str,
    *,
    delimiter: str | None = None,
    header: bool | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
    labelled: bool = True,
    option: Callable[[str], str] = _keyword,
) -> tuple[list[str], list[str] | None]:
    r"""Read the text column, and the label column, of a CSV or TSV file.

    Parameters
    ----------
    text : str
        The file's contents.
    source : str
        The file's name, for messages; its extension also gives the
        delimiter.
    delimiter : str, optional
        Field delimiter (``"tab"`` or ``"\t"`` for a tab); by default from
        the extension (``.csv`` comma, ``.tsv`` and ``.tab`` tab), else
        sniffed among comma, tab, semicolon and bar.
    header : bool, optional
        Whether the first row is a header. None makes it True when a column
        is given by name, else detects it: the first row is a header when
        one of its cells is a usual column name, or when it holds a
        non-number in a column of numbers. A detected choice that may be
        wrong is warned of (:class:`TableWarning`): without labels, a header
        found (a row that gets no prediction); with labels, a first row read
        as data whose label no other row has, while other labels repeat.
    text_column, label_column : str, optional
        Column names or 0-based indexes (negative ones count from the end);
        by default a column with a usual name (``text``, ``label``...), else
        the two columns of a two-column file, the label being the one with
        fewer distinct values (or, of as many, the shorter values). Without
        labels, a one-column file is the text.
    labelled : bool, default=True
        Whether to read a label column. With labels, blank rows are skipped;
        without (to predict), every row is a document, a blank row an empty
        one, so that the documents line up with the rows.
    option : callable, optional
        How the caller spells an argument in messages, such as
        ``"text_column"`` (by default as is; the command line gives
        ``"--text-column"``).

    Returns
    -------
    documents : list of str
        The texts, in file order.
    labels : list of str or None
        Their labels (stripped, never empty), or None when ``labelled`` is
        False.

    Raises
    ------
    TableError
        If the file is not valid CSV (a quote never closed, say), has no
        column or too few fields where asked, a row with more fields (up to
        its last non-blank one) than the header names (or the first row
        has), or an empty label.
    TableArgumentError
        If the arguments are wrong in themselves: a delimiter of more than
        one character, a column given by name with ``header=False``, or the
        same column for the text and the label.

    Warns
    -----
    TableWarning
        When ``header`` is None and the first row may have been taken for
        the wrong one of a header and data.
    """
    delimiter, how = _delimiter(source, text, delimiter, option)
    records = _records(text, source, delimiter)
    filled = [(line, row) for line, row in records if any(c.strip() for c in row)]
    if labelled:
        records = filled
    if not filled:
        if labelled:
            raise TableError(f"{source} holds no data")
        return [""] * len(records), None
    rows = [row for _, row in filled]
    if _misnamed_tab_separated(rows, delimiter, how):
        flag = option("delimiter")
        raise TableError(
            f"{source} looks tab-separated: every row holds a tab and no "
            f"{delimiter!r}; give {flag} tab (or {flag} {delimiter!r} to read it "
            "as it is)"
        )
    if other := _misnamed_delimiter(rows, delimiter, how, labelled):
        raise TableError(
            f"{source} looks {other!r}-separated: every row holds a {other!r} and "
            f"no {delimiter!r}, so it reads as one column; give "
            f"{option('delimiter')} {other!r}"
        )
    detected = header is None and not any(
        s and not _is_int(s) for s in (text_column, label_column)
    )  # a column given by name implies a header
    if header is None:
        header = not detected or _looks_like_header(rows)
    header_row = None
    if header:  # the first row that is not blank; blank rows before it go
        first = records.index(filled[0])
        header_row, records, rows = rows[0], records[first + 1 :], rows[1:]
    columns = _Columns(rows, header_row, source, option)
    text_index, label_index = columns.choose(text_column, label_column, labelled)
    needed = max(text_index, -1 if label_index is None else label_index) + 1
    # the columns a row may fill: those the header names (blank names after
    # them, as a trailing delimiter makes, do not hide a shifted label)
    width = columns.n_columns
    if header_row is not None:
        width = max(_extent(header_row), needed)
    documents, labels = [], []
    for line, row in records:
        if not labelled and not row:
            documents.append("")
            continue
        if len(row) < needed:
            raise TableError(
                f"{source}, line {line}: expected at least {needed} fields "
                f"(delimiter {delimiter!r}), found {len(row)}"
            )
        if _extent(row) > width:
            # an unquoted delimiter inside a field, which would shift the label
            if header_row is None:
                reference, name = f"the first row has {width}", ""
            elif width == len(header_row):
                reference, name = f"the header has {width}", ""
            else:
                reference = f"the header names {width} (its cells after are blank)"
                name = ", or name the column in the header"
            raise TableError(
                f"{source}, line {line}: found {_extent(row)} fields (delimiter "
                f"{delimiter!r}), but {reference}; quote a field that holds the "
                f'delimiter (as in "good, really good",pos){name}'
            )
        documents.append(row[text_index])
        if labelled:
            label = row[label_index].strip()
            if not label:
                raise TableError(
                    f"{source}, line {line}: the label (column {label_index}) is empty"
                )
            labels.append(label)
    if labelled and not documents:
        raise TableError(f"{source} has a header but no data rows")
    if not labelled:
        labels = None
    if detected:
        _warn_of_the_first_row(source, header_row, labels, option)
    return documents, labels


def _warn_of_the_first_row(
    source: str,
    header_row: list[str] | None,
    labels: list[str] | None,
    option: Callable[[str], str],
) -> None:
    """Warn when the first row may be the wrong one of header and data.

    A header found in a table of one column without labels (to predict) is
    a row that gets no prediction, and a document may well read "text"; a
    header of several columns is told from data reliably.  With labels, a
    first row read as data whose label no other document has (while other
    labels repeat) may be a header, such as ``body,tag``, that would train
    as a class of its own.
    """
    if header_row is not None and labels is None and len(header_row) == 1:
        warn(
            f"{source}: the first row, {_shorten(' '.join(header_row))!r}, is "
            f"read as a header, not as a document; give {option('no_header')} "
            "to read it as one",
            TableWarning,
        )
    elif (
        header_row is None
        and labels
        and labels.count(labels[0]) == 1
        and len(set(labels)) < len(labels)
    ):
        warn(
            f"{source}: the label of the first row, {_shorten(labels[0])!r}, is "
            "given to no other document; if that row is a header, give "
            f"{option('header')} (or {option('no_header')} to read it as data, "
            "without this warning)",
            TableWarning,
        )
