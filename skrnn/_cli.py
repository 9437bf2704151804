"""The ``skrnn`` command line: train, predict, evaluate, demo.

Every command prints its results on stdout and everything else (training
progress, notes, warnings, errors) on stderr, so that stdout can be piped.
Errors are one line on stderr, without a traceback; the exit code is 0 on
success, 1 for a problem with the data or the model, and 2 for a usage error
(a bad option, an unknown parameter or an invalid parameter value).

Data are read by :mod:`skrnn._tables`. The options of ``train`` are made from
the estimator's parameters (:func:`add_parameter_options`) and checked by its
``_parameter_constraints``. The estimator, and so scikit-learn, is imported
only when ``train`` is the command: ``skrnn --help``, the other commands'
help and their usage errors answer without it.
"""

import argparse
import ast
import contextlib
import csv
import difflib
import importlib
import inspect
import math
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from . import _tables
from ._tables import TableArgumentError, TableError, _plural, _reason, _shorten

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
#: The exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells use.
EXIT_INTERRUPTED = 130

#: The estimators that ``skrnn train`` fits, by ``--task``, as ``module:name``
#: (imported only for ``train``).
TRAIN_ESTIMATORS = {
    "classification": "skrnn._classifier:RNNTextClassifier",
    "regression": "skrnn._regressor:RNNTextRegressor",
}
#: The tasks ``--task`` takes: ``auto`` chooses from the labels.
TASKS = ("auto", *TRAIN_ESTIMATORS)
#: The defaults of ``skrnn train`` that are not the estimator's: one line
#: of progress per epoch (``-q`` sets ``verbose`` to 0).
TRAIN_DEFAULTS = {"verbose": 1}


class CommandError(Exception):
    """A problem with the data or the model: one line on stderr, exit code 1."""

    exit_code = EXIT_DATA


class UsageError(CommandError):
    """A bad option or parameter: one line on stderr, exit code 2."""

    exit_code = EXIT_USAGE


# ------------------------------------------------------------------ reading


def _option(name: str) -> str:
    """The command-line option of a parameter: ``n_jobs`` gives ``--n-jobs``."""
    return "--" + name.replace("_", "-")


#: The options that describe a table's columns, by their argparse dest
#: (``header`` is True for ``--header``, False for ``--no-header``).
_TABLE_OPTIONS = ("text_column", "label_column", "delimiter", "header")


def read_dataset(
    args: argparse.Namespace, *, labelled: bool = True
) -> tuple[list[str], list[str] | None]:
    """Read the documents, and their labels, named by the data options of ``args``.

    ``--format`` is ``csv`` (CSV or TSV), ``lines`` (``label text``) or, to
    predict, ``text`` (one document per line). Without it, data with labels
    are CSV; data to predict are CSV when the name ends with ``.csv``,
    ``.tsv`` or ``.tab`` (maybe ``.gz``) or when a table option is given,
    else text.

    Returns
    -------
    documents : list of str
        The documents, in file order; to predict, one per row or line.
    labels : list of str or None
        Their labels, or None when ``labelled`` is False.

    Raises
    ------
    CommandError
        If the data cannot be read; UsageError if the options contradict
        each other or the file.
    """
    given = [n for n in _TABLE_OPTIONS if getattr(args, n) is not None]
    data_format = args.format
    if data_format is None:
        table = labelled or bool(given) or _tables.is_table(args.data)
        data_format = "csv" if table else "text"
    if data_format != "csv" and given:
        flag = _option(given[0])
        if given[0] == "header":
            flag = "--header" if args.header else "--no-header"
        raise UsageError(f"{flag} is for CSV and TSV data, not --format {data_format}")
    try:
        text = _tables.read_text(args.data)
        if data_format == "text":
            return _tables.split_lines(text), None
        if data_format == "lines":
            documents, labels = _tables.read_labelled_lines(text, args.data)
        else:
            with _warnings_as_notes():
                documents, labels = _tables.read_table(
                    text,
                    args.data,
                    delimiter=args.delimiter,
                    header=args.header,
                    text_column=args.text_column,
                    label_column=args.label_column,
                    labelled=labelled,
                    option=_option,
                )
    except TableArgumentError as exc:
        raise UsageError(str(exc)) from exc
    except TableError as exc:
        raise CommandError(str(exc)) from exc
    if labelled and not documents:
        raise CommandError(f"{args.data} holds no documents")
    return documents, labels if labelled else None


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


def _accepts(estimator_class: type, name: str, value) -> bool:
    """Whether the estimator's ``_parameter_constraints`` accept the value."""
    from sklearn.utils._param_validation import (
        InvalidParameterError,
        validate_parameter_constraints,
    )

    constraints = estimator_class._parameter_constraints
    try:
        validate_parameter_constraints(
            {name: constraints.get(name, "no_validation")},
            {name: value},
            caller_name=estimator_class.__name__,
        )
    except InvalidParameterError:
        return False
    return True


_NUMPY_NAME = re.compile(r"(?:numpy|np)\.(\w+)")


def parameter_value(estimator_class: type, name: str, text: str):
    """The value of a parameter given on the command line.

    The text read as a Python literal (:func:`parse_value`), unless the
    estimator's constraints refuse that and accept the text as it is typed:
    ``--token-pattern [0-9]`` is a regular expression, not the list ``[-9]``,
    and ``--embeddings 300`` a file name. A numpy name the constraints
    refuse but whose short name they accept is the short name:
    ``--dtype numpy.float64`` (as the docstring spells it) is ``float64``.
    A whole number typed as a float where only an int is accepted is the
    int: ``--max-iter 1e3`` is 1000 (``--max-iter 2.5`` stays refused).
    A list where only a tuple is accepted is the tuple: ``--ngram-range
    "[1, 2]"`` is ``(1, 2)``.
    """
    numpy_name = _NUMPY_NAME.fullmatch(text.strip())
    if (
        numpy_name
        and not _accepts(estimator_class, name, text)
        and _accepts(estimator_class, name, numpy_name[1])
    ):
        return numpy_name[1]
    value = parse_value(text)
    if value is text or _accepts(estimator_class, name, value):
        return value
    if (
        isinstance(value, float)
        and value.is_integer()
        and _accepts(estimator_class, name, int(value))
    ):
        return int(value)
    if isinstance(value, list) and _accepts(estimator_class, name, tuple(value)):
        return tuple(value)
    return text if _accepts(estimator_class, name, text) else value


class _ParameterAction(argparse.Action):
    """Record ``--name VALUE`` or ``--param NAME=VALUE`` in ``parameters``.

    The pairs (name, value as typed, option as typed) are kept in order and
    checked once parsing is done, by :func:`make_estimator`.
    """

    def __init__(self, option_strings, dest, parameter=None, **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.parameter = parameter

    def __call__(self, parser, namespace, values, option_string=None):
        if self.parameter is None:  # --param NAME=VALUE
            name, equals, value = values.partition("=")
            name = name.strip().replace("-", "_")
            if not equals or not name:
                raise argparse.ArgumentError(
                    self, f"expected NAME=VALUE, got {values!r}"
                )
        else:
            name, value = self.parameter, values
        given = getattr(namespace, self.dest) or []
        spelled = f"{option_string} {values}"
        setattr(namespace, self.dest, [*given, (name, value, spelled)])


_ROLE = re.compile(r":[\w:]+:`~?(?:[\w.]*\.)?([^`]+)`")


def parameter_docs(estimator_class: type) -> dict[str, str]:
    """The type and the first sentence of each parameter in the class docstring.

    The docstring's numpydoc ``Parameters`` section is read: an entry is a
    line ``name : type`` (or ``name1, name2 : type``) at the left margin, then
    its indented description. An entry whose type is ``see Name``, where
    ``Name`` is a class of the estimator's module or of ``skrnn``, takes the
    entries of that class. Sphinx roles and double back quotes are dropped.

    Returns
    -------
    dict
        Help text by parameter name, such as ``"int, default=64. Width of
        the hidden state of each direction of each layer."``.
    """
    lines = inspect.cleandoc(estimator_class.__doc__ or "").splitlines()
    start = lines.index("Parameters") + 2 if "Parameters" in lines else len(lines)
    docs, names, spec, description = {}, [], "", []

    def add_entry():
        name = spec.removeprefix("see ")
        module = sys.modules[estimator_class.__module__]
        other = getattr(module, name, None) or getattr(sys.modules["skrnn"], name, None)
        if (
            spec.startswith("see ")
            and isinstance(other, type)
            and other is not estimator_class
        ):
            referred = parameter_docs(other)
            docs.update({name: referred[name] for name in names if name in referred})
            return
        sentence = " ".join(description).split(". ")[0].rstrip(".")
        text = f"{spec}. {sentence}." if sentence else spec
        docs.update(dict.fromkeys(names, _ROLE.sub(r"\1", text).replace("``", "")))

    for number in range(start, len(lines)):
        line = lines[number]
        if line and not line[0].isspace():
            if names:
                add_entry()
            if lines[number + 1 : number + 2] == ["-" * len(line)]:
                return docs  # the next section
            left, _, spec = line.partition(" : ")
            names = [name.strip() for name in left.split(",")]
            description = []
        elif line.strip():
            description.append(line.strip())
    if names:
        add_entry()
    return docs


def as_typed(value) -> str:
    """A parameter value as it is typed on the command line.

    Strings without quotes (unless they would be read as another literal),
    types by name (``numpy.float32`` is ``float32``), others by ``repr``.

    Examples
    --------
    >>> as_typed("gru"), as_typed("1"), as_typed(1e-4), as_typed(None)
    ('gru', "'1'", '0.0001', 'None')
    """
    if isinstance(value, str):
        return value if parse_value(value) == value else repr(value)
    if isinstance(value, type):
        return value.__name__
    return repr(value)


_DEFAULT = re.compile(r",?\s*\bdefault=.*$")


def _choices(constraints) -> list[str] | None:
    """The values that constraints allow, as typed, when they list them all.

    ``[StrOptions({"pre", "post"})]`` gives ``["post", "pre"]``; a
    constraint that is not a list of options (an interval, a type) gives
    None. Hidden and deprecated options are left out.
    """
    from sklearn.utils._param_validation import Hidden, Options

    if not isinstance(constraints, list):
        return None
    choices = {}
    for constraint in constraints:
        if isinstance(constraint, Hidden):
            continue
        if constraint is None:
            choices["None"] = None
        elif isinstance(constraint, Options):
            options = constraint.options
            if isinstance(options, set | frozenset):
                options = sorted(options, key=as_typed)
            deprecated = constraint.deprecated or ()
            choices.update(
                dict.fromkeys(as_typed(o) for o in options if o not in deprecated)
            )
        else:
            return None
    return list(choices) or None


#: Defaults longer than this many characters are not written out in ``--help``.
_LONGEST_SHOWN = 200


def _parameter_help(doc: str | None, default, choices: list[str] | None) -> str:
    """An option's help: the docstring entry, with the default as typed.

    The default the docstring states is replaced by the one given, which
    is what the command uses (an entry shared by two parameters states
    both of theirs), and its type by the choices, when given, which say
    what can be typed (``{float32,float64}``, not ``numpy.float32``).
    """
    typed = as_typed(default)
    # (the default token pattern is 12,600 characters of Unicode ranges)
    shown = (
        f"default={typed}"
        if len(typed) <= _LONGEST_SHOWN
        else "default: the estimator's own, too long to show here"
    )
    if not doc:
        return f"{{{','.join(choices)}}}, {shown}" if choices else shown
    spec, _, sentence = doc.partition(". ")
    spec = _DEFAULT.sub("", spec.removesuffix("."))
    if choices:
        spec = f"{{{','.join(choices)}}}"
    help_text = f"{spec}, {shown}" if spec else shown
    return f"{help_text}. {sentence}" if sentence else help_text


def add_parameter_options(
    parser: argparse.ArgumentParser,
    estimator_class: type,
    defaults: dict | None = None,
) -> argparse._ArgumentGroup:
    """Add an option for each parameter of an estimator, and ``--param``.

    ``hidden_size`` gives ``--hidden-size VALUE`` (``--hidden_size`` works
    too), with the type and first sentence of its docstring entry, and its
    default as typed, as help; ``--param NAME=VALUE`` gives any of them. The
    values are recorded as typed in ``args.parameters``;
    :func:`make_estimator` turns them into the estimator.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser of the command that fits the estimator.
    estimator_class : type
        A scikit-learn estimator class with ``_parameter_constraints``.
    defaults : dict, optional
        The command's own defaults, where they are not the estimator's
        (``skrnn train`` passes ``{"verbose": 1}``): the help shows them.

    Returns
    -------
    argparse._ArgumentGroup
        The group of the options, titled by the estimator's name.
    """
    defaults = {**estimator_class().get_params(deep=False), **(defaults or {})}
    docs = parameter_docs(estimator_class)
    constraints = estimator_class._parameter_constraints
    group = parser.add_argument_group(
        f"{estimator_class.__name__} parameters",
        "Values are Python literals (64, 1e-3, True, None, [...], {...}) or\n"
        "else strings; true, false, none and null work in any case.",
    )
    unusable = unusable_parameters(estimator_class)
    # In the order of the signature, which groups them by what they do.
    for name in inspect.signature(estimator_class).parameters:
        help_text = _parameter_help(
            docs.get(name), defaults[name], _choices(constraints.get(name))
        ).replace("%", "%%")
        group.add_argument(
            _option(name),
            action=_ParameterAction,
            dest="parameters",
            parameter=name,
            metavar="VALUE",
            help=argparse.SUPPRESS if name in unusable else help_text,
        )
        if "_" in name:  # the parameter's own spelling, not shown in the help
            group.add_argument(
                "--" + name,
                action=_ParameterAction,
                dest="parameters",
                parameter=name,
                help=argparse.SUPPRESS,
            )
    group.add_argument(
        "--param",
        action=_ParameterAction,
        dest="parameters",
        metavar="NAME=VALUE",
        help="any of the parameters above, by its Python name (repeatable)",
    )
    return group


#: Parameters that the command line cannot use, whatever their constraints.
_UNUSABLE = {
    "warm_start": "each `skrnn train` fits a new model, so there is nothing "
    "to continue from",
}


def unusable_parameters(estimator_class: type) -> dict[str, str]:
    """The parameters that cannot be given on the command line, with why.

    Those whose constraints accept only callables (and None), which no
    typed value is, and ``warm_start``, which has nothing to continue from
    in a new process.  Their options are left out of the help, and giving
    them is a usage error that says why.
    """
    reasons = {
        name: "it takes a Python callable, which the command line cannot "
        "give; use the Python API"
        for name, constraints in estimator_class._parameter_constraints.items()
        if isinstance(constraints, list)
        and all(c is None or c is callable for c in constraints)
    }
    reasons.update(_UNUSABLE)
    names = inspect.signature(estimator_class).parameters
    return {name: reason for name, reason in reasons.items() if name in names}


def _unknown_parameter(name: str, known: Sequence[str]) -> UsageError:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return UsageError(
        f"unknown parameter {name!r}{hint} (`skrnn train --help` lists them)"
    )


def _unknown_option(
    flag: str, options: Sequence[str], parameters: Sequence[str]
) -> UsageError:
    """The error for an unknown ``--flag`` of ``train``, naming the closest.

    The closest of the command's own options (``--quiet``, ``--delimiter``)
    and the parameters' options, so that a mistyped ``--quite`` is not
    reported as an unknown parameter.
    """
    spelled = flag.partition("=")[0]
    name = spelled[2:].replace("-", "_")
    own = {option[2:].replace("-", "_"): option for option in options}
    close = difflib.get_close_matches(name, [*own, *parameters], n=1)
    if close and close[0] in own:
        return UsageError(
            f"unrecognized option {spelled!r}; did you mean {own[close[0]]!r}? "
            "(`skrnn train --help` lists the options)"
        )
    if close:
        return _unknown_parameter(name, parameters)
    return UsageError(
        f"unrecognized option {spelled!r} (`skrnn train --help` lists the "
        "options and the parameters)"
    )


def _continuous(labels: Sequence[str]) -> bool:
    """Whether every label is a finite number and some are not integers.

    scikit-learn's ``type_of_target`` calls such targets "continuous": they
    are values to predict, not classes.  Integer labels (``0``-``4`` ratings,
    say) stay classes unless ``--task regression`` says otherwise.
    """
    try:
        values = [_to_float(label) for label in labels]
    except ValueError:
        return False
    return any(not value.is_integer() for value in values)


def _almost_continuous(labels: Sequence[str]) -> tuple[int, str] | None:
    """The first label that is not a finite number, and its row, if others are.

    Labels of which some are numbers that are not integers, and a few are
    not numbers at all (``nan``, ``NA``, a typo), are most likely a
    regression's targets with a flaw, which ``--task auto`` would take for
    the names of as many classes as distinct values.
    """
    first, fractional = None, False
    for row, label in enumerate(labels, start=1):
        try:
            value = _to_float(label)
        except ValueError:
            first = first or (row, label)
        else:
            fractional = fractional or not value.is_integer()
    return first if fractional else None


def _targets(
    labels: Sequence[str],
    source: str,
    hint: str = "--task classification treats the labels as classes",
):
    """The labels as the float targets of a regression, or a one-line error.

    ``hint``, in brackets after the error, says what else the command can
    do: train a classifier, by default.
    """
    import numpy as np

    values = []
    for row, label in enumerate(labels, start=1):
        try:
            values.append(_to_float(label))
        except ValueError:
            raise CommandError(
                f"{source}: label {label!r} of document {row} is not a finite "
                f"number, which regression needs ({hint})"
            ) from None
    return np.asarray(values)


def make_estimator(
    estimator_class: type,
    given: Sequence[tuple[str, str, str]],
    *,
    task: str | None = None,
    **defaults,
):
    """The estimator of the parameters given, checked before any data is read.

    Parameters
    ----------
    estimator_class : type
        The estimator to build.
    given : sequence of (name, value, spelling)
        The parameters as :func:`add_parameter_options` records them.
    task : str, optional
        The task ``--task auto`` chose from the labels, to say so when a
        parameter is not the estimator's.
    **defaults
        Values for the parameters not given.

    Returns
    -------
    estimator
        An unfitted instance, whose parameters its constraints accept.

    Raises
    ------
    UsageError
        For an unknown parameter, one the command line cannot give (see
        :func:`unusable_parameters`), one given twice (in whichever
        spellings), or an invalid value, naming it.
    """
    known = estimator_class().get_params(deep=False)
    unusable = unusable_parameters(estimator_class)
    spellings, params = {}, {}
    for name, text, spelled in given:
        if name not in known and task is not None:
            raise UsageError(
                f"parameter {name!r} is not one of {task}'s: the labels are "
                f"{'continuous numbers' if task == 'regression' else 'classes'}"
                f", so skrnn trains an {estimator_class.__name__} (--task "
                "classification or --task regression chooses)"
            )
        if name not in known:
            raise _unknown_parameter(name, list(known))
        if name in unusable:
            raise UsageError(
                f"parameter {name!r} cannot be given on the command line: "
                f"{unusable[name]}"
            )
        if name in spellings:
            raise UsageError(
                f"parameter {name!r} is given twice, as {spellings[name]!r} and "
                f"{spelled!r}; give it once"
            )
        spellings[name] = spelled
        params[name] = parameter_value(estimator_class, name, text)
    estimator = estimator_class(**{**defaults, **params})
    check_parameters(estimator)
    return estimator


def check_parameters(estimator) -> None:
    """Check an unfitted estimator's parameters as its ``fit`` will.

    Its ``_parameter_constraints`` first, then the text parameters (those
    of :class:`~skrnn.SequenceVectorizer`, by name) through the public
    vectorizer: building the analyzer compiles ``token_pattern``, and
    fitting a fixed ``vocabulary`` checks it without reading any document.

    Raises
    ------
    UsageError
        For the first invalid parameter.
    """
    from sklearn.utils._param_validation import (
        InvalidParameterError,
        validate_parameter_constraints,
    )

    from ._text import SequenceVectorizer

    params = estimator.get_params(deep=False)
    try:
        validate_parameter_constraints(
            type(estimator)._parameter_constraints,
            params,
            caller_name=type(estimator).__name__,
        )
    except InvalidParameterError as exc:
        raise UsageError(str(exc)) from exc
    # dtype is the weights' type for the estimator and the ids' for the
    # vectorizer, which the estimator gives it.
    names = (set(SequenceVectorizer().get_params(deep=False)) - {"dtype"}) & set(params)
    if not names:
        return
    vectorizer = SequenceVectorizer(**{name: params[name] for name in names})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fit warns again
        try:
            vectorizer.build_analyzer()
        except (ValueError, TypeError, re.error) as exc:
            pattern = _shorten(repr(vectorizer.token_pattern))
            raise UsageError(
                f"invalid {_option('token_pattern')} {pattern}: {_reason(exc)}"
            ) from exc
        if vectorizer.vocabulary is not None:
            try:
                vectorizer.fit([""])
            except (ValueError, TypeError) as exc:
                vocabulary = _shorten(repr(vectorizer.vocabulary))
                raise UsageError(
                    f"invalid {_option('vocabulary')} {vocabulary}: {_reason(exc)}"
                ) from exc


# --------------------------------------------------------------- commands


def _add_trust_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust",
        action="append",
        choices=["token_pattern", "embeddings"],
        help="accept the model's custom token_pattern (a regular expression) "
        "or embeddings path, which skrnn.load refuses from a file unless "
        "trusted; repeat for both. Only for a model you trust",
    )


def _add_jobs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        metavar="N",
        help="cores that predict, as the estimators' n_jobs (-1: all); by "
        "default the model's own. With 2 or more, much text (8 million "
        "characters or more) is predicted in worker processes",
    )


def _load_model(path: str, trusted: list[str] | None = None, n_jobs: int | None = None):
    from ._persistence import load

    if not os.path.exists(path):
        raise CommandError(f"cannot read model {path}: no such file")
    try:
        with _warnings_as_notes():  # another version's model
            model = load(path, trusted=trusted)
    except Exception as exc:
        raise CommandError(f"cannot load model {path}: {_reason(exc)}") from exc
    if n_jobs is not None:
        model.set_params(n_jobs=n_jobs)
    return model


def _same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def check_output(output: str, inputs: Sequence[str | os.PathLike]) -> None:
    """Check, before training, that the model can be saved at ``output``.

    The output must not be a folder or one of the input files (writing the
    model would destroy them), nor a read-only file, and its folder must
    exist and take a new file: a temporary one is made and removed there, as
    saving will.

    Raises
    ------
    UsageError
        If the output is ``-`` (a model is a file, not a stream for stdout)
        or one of the inputs.
    CommandError
        If the model could not be written there.
    """
    if output == "-":
        raise UsageError(
            "-o - would be a file named '-': a model cannot be written to "
            "stdout; give a file name (./- if you mean that name)"
        )
    path = Path(output)
    for source in inputs:
        if os.fspath(source) != "-" and _same_file(path, source):
            raise UsageError(
                f"-o {output} is the input file {os.fspath(source)}: saving the "
                "model would overwrite it; choose another output"
            )
    if path.is_dir():
        raise CommandError(f"cannot save to {output}: it is a folder")
    if output.endswith(tuple(sep for sep in (os.sep, os.altsep) if sep)):
        raise CommandError(
            f"cannot save to {output}: it names a folder (it ends with a "
            "separator); give the model file's name"
        )
    folder = path.parent
    if not folder.is_dir():
        if folder.exists():
            raise CommandError(
                f"cannot save to {output}: {folder} is a file, not a folder"
            )
        raise CommandError(f"cannot save to {output}: there is no folder {folder}")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".skrnn-check-"):
            pass
    except OSError as exc:
        raise CommandError(
            f"cannot save to {output}: cannot write in the folder {folder} "
            f"({_reason(exc)})"
        ) from exc
    from ._persistence import _check_replaceable

    try:
        _check_replaceable(path)
    except OSError as exc:
        raise CommandError(f"cannot save to {output}: {_reason(exc)}") from exc


def _embeddings_error(path: str | os.PathLike, exc: OSError) -> CommandError:
    return CommandError(f"cannot read embeddings {os.fspath(path)}: {_reason(exc)}")


def _train(args: argparse.Namespace) -> int:
    from ._persistence import save

    given = args.parameters or []
    if args.quiet and any(name == "verbose" for name, _, _ in given):
        raise UsageError(
            "-q/--quiet and the verbose parameter both set the training output; "
            "give one of them"
        )
    defaults = {**TRAIN_DEFAULTS, **({"verbose": 0} if args.quiet else {})}
    clf = make_estimator(args.estimator, given, **defaults)
    embeddings_file = isinstance(clf.embeddings, str | os.PathLike)
    # Before training, which can take long: can the model be written there?
    inputs = [args.data, clf.embeddings] if embeddings_file else [args.data]
    check_output(args.output, inputs)
    if embeddings_file:
        try:
            Path(clf.embeddings).open("rb").close()
        except OSError as exc:
            raise _embeddings_error(clf.embeddings, exc) from exc
    documents, labels = read_dataset(args)
    task = args.task
    if task == "auto":
        task = "regression" if _continuous(labels) else "classification"
        if task == "classification" and (flaw := _almost_continuous(labels)):
            row, label = flaw
            _note(
                f"warning: the labels look like numbers to predict, but label "
                f"{label!r} of document {row} is not a finite number, so "
                f"--task auto trains a classifier of {len(set(labels))} classes; "
                "correct that label for a regression, or give --task "
                "classification"
            )
        if task == "regression":
            clf = make_estimator(
                _import(TRAIN_ESTIMATORS[task]), given, task=task, **defaults
            )
    if task == "regression":
        labels = _targets(labels, args.data)
        what = "numeric targets (regression)"
    else:
        what = _plural(len(set(labels)), "class", "classes")
    if not args.quiet:
        _note(f"read {_plural(len(documents), 'document')} of {what} from {args.data}")
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
    if getattr(clf, "n_iter_", 0) == 0:
        # Ctrl-C before the first epoch ended: the network is untrained (or,
        # stopped while ngram_weight="auto" chose, not fitted at all), and
        # must not replace a model already at args.output.
        print(
            "skrnn train: interrupted before the first epoch ended; "
            f"nothing was saved to {args.output}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if (n_members := len(clf.estimators_weights_)) < clf.n_estimators:
        # An interrupted fit keeps the members trained so far: save those.
        clf.set_params(n_estimators=n_members)
    try:
        save(clf, args.output)
    except (OSError, ValueError, TypeError) as exc:
        raise CommandError(f"cannot save to {args.output}: {_reason(exc)}") from exc
    if not args.quiet:
        weight = getattr(clf, "ngram_weight_", None)
        companion = "" if weight is None else f", n-gram companion at {weight:g}"
        _note(
            f"trained {_plural(clf.n_iter_, 'epoch')} in {seconds:.1f} s "
            f"(vocabulary of {clf.vectorizer_.n_vocab_} ids{companion}); saved to "
            f"{args.output}"
        )
    return EXIT_OK


def _predict(args: argparse.Namespace) -> int:
    clf = _load_model(args.model, args.trust, args.n_jobs)
    if args.proba and not hasattr(clf, "predict_proba"):
        raise UsageError(
            f"--proba needs a classifier; {args.model} holds a "
            f"{type(clf).__name__}, which predicts values"
        )
    if args.proba and _multilabel(clf):
        raise UsageError(
            f"--proba prints the one label of each document and its class "
            f"probabilities; {args.model} holds a multi-label classifier, whose "
            "labels do not exclude each other: call its predict_proba in Python"
        )
    documents, _ = read_dataset(args, labelled=False)
    try:
        if args.proba:
            proba = clf.predict_proba(documents)
            labels = clf.classes_[proba.argmax(axis=1)]
        else:
            labels = clf.predict(documents)
    except (ValueError, TypeError) as exc:
        raise CommandError(f"prediction failed: {_reason(exc)}") from exc
    # Tab-separated; a label holding a tab, a newline or a double quote is
    # quoted as in CSV, so that every document has one record.
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    if args.proba:
        out.writerow(["label", *clf.classes_])
        out.writerows(
            [label, *(f"{p:.6f}" for p in row)]
            for label, row in zip(labels, proba, strict=True)
        )
    else:
        # A multi-output regressor's values or a multi-label classifier's
        # indicators: one row of values a document, as the one value is.
        out.writerows(list(row) if labels.ndim > 1 else [row] for row in labels)
    return EXIT_OK


def _multilabel(clf) -> bool:
    """Whether a classifier predicts a row of labels (0 or 1) per document."""
    return clf.predict([""]).ndim > 1


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

    from ._explain import _displayed

    clf = _load_model(args.model, args.trust, args.n_jobs)
    documents, labels = read_dataset(args)
    if not hasattr(clf, "classes_"):
        return _evaluate_regression(clf, documents, labels, args.data)
    y_true = _as_classes_type(labels, clf.classes_, args.data)
    try:
        y_pred = clf.predict(documents)
    except (ValueError, TypeError) as exc:
        raise CommandError(f"prediction failed: {_reason(exc)}") from exc
    if y_pred.ndim > 1:
        raise CommandError(
            f"{args.data} holds one label per document, but {args.model} holds a "
            f"multi-label classifier of {y_pred.shape[1]} labels; score it in "
            "Python"
        )
    if y_true.dtype.kind != y_pred.dtype.kind:
        y_true, y_pred = y_true.astype(str), y_pred.astype(str)
    classes = np.union1d(y_true, y_pred)
    # A label that is blank or holds a tab or a line break is shown as its
    # literal, as explanations show it, so that each keeps its row and column.
    names = [_displayed(str(label)) for label in classes]
    unseen = np.setdiff1d(y_true, clf.classes_)
    if len(unseen):
        shown = ", ".join(_displayed(str(label)) for label in unseen)
        _note(f"labels the model does not know: {shown}")
    accuracy = accuracy_score(y_true, y_pred)
    print(f"accuracy: {accuracy:.4f} ({_plural(len(y_true), 'document')})")
    print()
    print(
        classification_report(
            y_true, y_pred, labels=classes, target_names=names, zero_division=0
        )
    )
    print("confusion matrix (rows: true label, columns: predicted label)")
    print(_format_matrix(confusion_matrix(y_true, y_pred, labels=classes), names))
    return EXIT_OK


def _evaluate_regression(model, documents, labels, source) -> int:
    """Print a regression model's R^2, RMSE and MAE on labelled documents.

    A model of ``loss="poisson"`` also prints its mean Poisson deviance.
    """
    import numpy as np
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    y_true = _targets(labels, source, "the model is a regressor: it predicts numbers")
    try:
        y_pred = model.predict(documents)
    except (ValueError, TypeError) as exc:
        raise CommandError(f"prediction failed: {_reason(exc)}") from exc
    if y_pred.ndim > 1:
        raise CommandError(
            f"{source} holds one target per document, but the model predicts "
            f"{y_pred.shape[1]} outputs"
        )
    with _warnings_as_notes():  # R^2 of one document is undefined
        r2 = r2_score(y_true, y_pred)
    print(f"R^2:  {r2:.4f} ({_plural(len(y_true), 'document')})")
    print(f"RMSE: {np.sqrt(mean_squared_error(y_true, y_pred)):.4f}")
    print(f"MAE:  {mean_absolute_error(y_true, y_pred):.4f}")
    if getattr(model, "loss", None) == "poisson":
        from sklearn.metrics import mean_poisson_deviance

        if (y_true < 0).any():
            raise CommandError(
                f"{source} holds negative targets, which a model of "
                "loss='poisson' cannot have seen: its Poisson deviance is undefined"
            )
        print(f"Mean Poisson deviance: {mean_poisson_deviance(y_true, y_pred):.4f}")
    return EXIT_OK


def _format_matrix(matrix, names: list[str]) -> str:
    from ._explain import _display_width, _padded

    cells = [*names, *(str(v) for v in matrix.ravel())]
    width = max(map(_display_width, cells))
    first = max(map(_display_width, names))
    lines = [" " * first + "".join(f"  {_padded(n, width, '>')}" for n in names)]
    for name, row in zip(names, matrix, strict=True):
        lines.append(
            _padded(name, first, ">") + "".join(f"  {v:>{width}}" for v in row)
        )
    return "\n".join(lines)


def _demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    seed = {} if args.random_state is None else {"random_state": args.random_state}
    clf = run_demo(epochs=args.epochs, every=args.every, **seed)
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


def _n_jobs(text: str) -> int:
    """An argparse type: ``n_jobs``, an integer other than 0."""
    value = _int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be -1 or less, or 1 or more, got 0")
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


# ------------------------------------------------------------------ parser

_DATA_HELP = """\
DATA is a CSV or TSV file (optionally gzipped, or - for stdin) with a text
and a label column, or, with --format lines, one "label text" per line (the
label, one space or tab, then the text), as in skrnn's bundled data sets.
Files are read as UTF-8, or as Latin-1 when they are not valid UTF-8
(UTF-16 and UTF-32 by their byte order mark).
"""

_PREDICT_HELP = """\
DATA is read as by `skrnn train` and `skrnn evaluate`, with the same options:
a CSV or TSV file when its name ends with .csv, .tsv or .tab (optionally
.gz), or when --format csv or a column option says so; else, or with
--format text, one document per line (lines end at \\n, \\r\\n, or \\r in a
file without \\n). One label is printed per document: per row of a table
after its header (a blank row is an empty document), per line of text.
"""

_TRAIN_EPILOG = """\
Training progress goes to stderr: one line per epoch (verbose is 1 here, 0
with -q); --verbose 2 adds a bar within each epoch.

examples:
  skrnn train reviews.csv -o reviews.skrnn --cell gru --max-iter 20
  skrnn train mr.txt --format lines -o mr.skrnn --param hidden_size=128
"""


def _add_data_options(
    parser: argparse.ArgumentParser,
    formats: Sequence[str],
    help_text: str,
    **data: str,
) -> None:
    """DATA (``data`` holds more of its add_argument keywords) and its options."""
    parser.add_argument("data", metavar="DATA", help=help_text, **data)
    group = parser.add_argument_group("data options")
    group.add_argument(
        "--format",
        choices=formats,
        help="csv (CSV or TSV), lines (label, space, text)"
        + (", text (one document per line)" if "text" in formats else "")
        + "; see above for the default",
    )
    group.add_argument(
        "--text-column",
        metavar="COLUMN",
        help="name or 0-based index of the text column (negative: from the end)",
    )
    group.add_argument(
        "--label-column",
        metavar="COLUMN",
        help="name or 0-based index of the label column (negative: from the end)",
    )
    group.add_argument(
        "--delimiter",
        metavar="CHAR",
        help=r"field delimiter ('\t' or tab for a tab); by default from the "
        "extension (.csv comma, .tsv tab), else sniffed",
    )
    header = group.add_mutually_exclusive_group()
    header.add_argument(
        "--header",
        action="store_true",
        default=None,
        help="the first row is a header (implied by a column given by name)",
    )
    header.add_argument(
        "--no-header",
        action="store_false",
        dest="header",
        help="the first row is data; by default a header is detected, with a "
        "warning when the choice may be wrong (see the user guide)",
    )


def _import(spec: str) -> type:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def build_parser(estimator: type | None = None) -> argparse.ArgumentParser:
    """The parser of the ``skrnn`` command line.

    Parameters
    ----------
    estimator : type, optional
        The estimator whose parameters become options of ``train``. Without
        it, ``train`` has no parameter options, and nothing imports
        scikit-learn: enough for every other command and for ``skrnn
        --help``.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="skrnn",
        description="Recurrent neural network text classifiers in numpy.",
        epilog="Run `skrnn COMMAND --help` for the options of a command.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    formatter = argparse.RawDescriptionHelpFormatter

    train = commands.add_parser(
        "train",
        usage="skrnn train [-h] DATA -o MODEL [data options] [-q] "
        "[--PARAMETER VALUE ...]",
        help="train a classifier (or a regressor) on labelled text and save it",
        description="Train an RNNTextClassifier (or, for numeric labels, an "
        "RNNTextRegressor) on DATA and save it to MODEL.\n\n" + _DATA_HELP,
        epilog=_TRAIN_EPILOG,
        formatter_class=formatter,
        allow_abbrev=False,
    )
    _add_data_options(train, ("csv", "lines"), "labelled documents")
    train.add_argument(
        "-o", "--output", required=True, metavar="MODEL", help="model file to write"
    )
    train.add_argument(
        "--task",
        choices=TASKS,
        default="auto",
        help="classification (an RNNTextClassifier) or regression (an "
        "RNNTextRegressor of the numeric labels); auto (the default) chooses "
        "regression when every label is a number and some are not integers",
    )
    train.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress or notes on stderr, only warnings and errors",
    )
    if estimator is not None:
        add_parameter_options(train, estimator, TRAIN_DEFAULTS)
    # The command's own options, to tell a mistyped one from a parameter.
    options = ("format", *_TABLE_OPTIONS, "no_header", "output", "quiet", "help")
    options = (*options, "param")
    train.set_defaults(
        usage_error=train.error,
        handler=_train,
        estimator=estimator,
        parameters=None,
        options=[_option(name) for name in options],
    )

    predict = commands.add_parser(
        "predict",
        help="print the predicted label of each document",
        description="Print the label that MODEL predicts for each document of "
        "DATA, one per line.\n\n" + _PREDICT_HELP,
        formatter_class=formatter,
    )
    predict.add_argument("model", metavar="MODEL", help="model file from skrnn train")
    _add_trust_option(predict)
    _add_jobs_option(predict)
    _add_data_options(
        predict,
        ("csv", "lines", "text"),
        "documents; - or absent for stdin",
        nargs="?",
    )
    predict.add_argument(
        "--proba",
        action="store_true",
        help="also print the class probabilities, tab separated, after a header "
        "line naming the classes",
    )
    predict.set_defaults(handler=_predict, usage_error=predict.error)

    evaluate = commands.add_parser(
        "evaluate",
        help="score a model on labelled text",
        description="Print the accuracy of MODEL on DATA, scikit-learn's\n"
        "classification report and the confusion matrix.\n\n" + _DATA_HELP,
        formatter_class=formatter,
    )
    evaluate.add_argument("model", metavar="MODEL", help="model file from skrnn train")
    _add_trust_option(evaluate)
    _add_jobs_option(evaluate)
    _add_data_options(evaluate, ("csv", "lines"), "labelled documents")
    evaluate.set_defaults(handler=_evaluate, usage_error=evaluate.error)

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
        help="seed of the weights and shuffling (default: the documented run's)",
    )
    demo.set_defaults(handler=_demo, usage_error=demo.error)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The command named by the arguments: the first that is not an option."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def _task(argv: Sequence[str]) -> str:
    """The task whose estimator's parameters ``train`` offers as options.

    The regressor's for ``--task regression``, else the classifier's, which
    are all of the regressor's but ``loss`` (``--task auto`` chooses after
    reading the labels).  The full parser checks the value.
    """
    for k, arg in enumerate(argv):
        value = arg.partition("=")[2] if arg.startswith("--task=") else None
        if arg == "--task" and k + 1 < len(argv):
            value = argv[k + 1]
        if value == "regression":
            return "regression"
    return "classification"


def _parse(argv: list[str]) -> argparse.Namespace:
    """Parse the command line; the estimator is imported for ``train`` only.

    Raises
    ------
    SystemExit
        When argparse has printed the help or a usage error.
    UsageError
        For an unknown option of ``train``, suggesting the closest parameter.
    """
    estimator = None
    if _command(argv) == "train":
        estimator = _import(TRAIN_ESTIMATORS[_task(argv)])
    parser = build_parser(estimator)
    args, extras = parser.parse_known_args(argv)
    if args.command == "predict" and args.data is None:
        # argparse matches the optional DATA, empty, with MODEL when an
        # option follows MODEL (skrnn predict MODEL --proba DATA): DATA is
        # then the first argument left over (after a "--", which makes the
        # arguments after it positional, whatever their first character)
        given = bool(extras) and (extras[0] == "-" or not extras[0].startswith("-"))
        if extras[:1] == ["--"]:
            extras.pop(0)
            given = bool(extras)
        args.data = extras.pop(0) if given else "-"
    if extras and args.command == "train":
        known = list(estimator().get_params(deep=False))
        flag = next((extra for extra in extras if extra.startswith("--")), None)
        if flag is not None:
            regressor = _import(TRAIN_ESTIMATORS["regression"])
            name = flag.partition("=")[0][2:].replace("-", "_")
            if estimator is not regressor and name in regressor().get_params():
                raise UsageError(
                    f"--{name.replace('_', '-')} is a parameter of RNNTextRegressor "
                    "only: pass --task regression (--task auto takes integer "
                    "labels, such as counts, for classes)"
                )
            raise _unknown_option(flag, args.options, known)
    if extras:
        # The command's usage and name, as for its other usage errors (the
        # main parser's were "usage: skrnn [-h] COMMAND ..." and "skrnn:").
        args.usage_error(f"unrecognized arguments: {' '.join(extras)}")
    for name, shown in (("model", "MODEL"), ("data", "DATA"), ("output", "-o")):
        if getattr(args, name, None) == "":
            # Path("") is the current folder: it was "cannot read : is a
            # directory" or "cannot save to : it is a folder".
            raise UsageError(f"{shown} is an empty file name; give a file's name")
    return args


def _of_stdout(exc: UnicodeEncodeError) -> bool:
    """Whether ``exc`` is stdout's, in an encoding that cannot write a label.

    A label or a class name in a script that a Windows code page (of output
    redirected to a file) or an ASCII locale lacks.
    """
    encoding = getattr(sys.stdout, "encoding", None)
    if not isinstance(exc.object, str) or encoding is None:
        return False
    try:
        exc.object[exc.start : exc.end].encode(encoding, sys.stdout.errors or "strict")
    except UnicodeEncodeError:
        return True
    except LookupError:
        return False
    return False


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
    command = "skrnn train" if _command(argv) == "train" else "skrnn"
    try:
        try:
            args = _parse(argv)
        except SystemExit as exit_:  # argparse has printed the help or the error
            return EXIT_OK if exit_.code in (0, None) else EXIT_USAGE
        command = f"skrnn {args.command}"
        try:
            return args.handler(args)
        except UnicodeEncodeError as exc:
            if not _of_stdout(exc):
                raise
            raise CommandError(
                f"the output's encoding, {sys.stdout.encoding}, cannot write "
                f"{exc.object[exc.start : exc.end]!r:.60}; set "
                "PYTHONIOENCODING=utf-8 to write UTF-8"
            ) from exc
    except CommandError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except MemoryError:
        print(
            f"{command}: error: out of memory; try a smaller model (hidden_size, "
            "embedding_dim, batch_size) or shorter documents (max_length)",
            file=sys.stderr,
        )
        return EXIT_DATA
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout went away (`skrnn predict ... | head`): stop
        # quietly, and keep Python from complaining when it flushes stdout.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
