"""Warnings that point at the user's line, however skrnn was reached.

A fixed ``stacklevel`` is right for one path only: the same warning of the
vectorizer is raised by ``SequenceVectorizer.fit`` called directly, by an
estimator's ``fit``, by scikit-learn's fit wrapper around it, by a
``Pipeline`` or a search.  :func:`warn` points at the first caller outside
skrnn, scikit-learn, joblib and the standard library instead, or where
there is none (a worker's thread or process, whose frames below the
libraries' are those of threading, multiprocessing or runpy), at the line
that warns.  Standard library only: the command line's tables use it before
anything else is imported.
"""

import functools
import importlib.util
import os
import sys
import sysconfig
import warnings


@functools.cache
def _internal() -> tuple[str, ...]:
    """The folders of skrnn's, scikit-learn's and joblib's packages."""
    folders = [os.path.dirname(os.path.abspath(__file__))]
    for name in ("sklearn", "joblib"):
        spec = importlib.util.find_spec(name)
        folders.extend(spec.submodule_search_locations or () if spec else ())
    return tuple(os.path.abspath(folder) + os.sep for folder in folders)


@functools.cache
def _standard_library() -> str:
    """The folder of the standard library's modules."""
    return os.path.abspath(sysconfig.get_path("stdlib")) + os.sep


def _is_internal(filename: str) -> bool:
    """Whether code of this file is the libraries' or the standard library's."""
    if filename.startswith(_internal()) or filename.startswith("<frozen "):
        return True
    standard = _standard_library()
    if not filename.startswith(standard):
        return False
    # (site-packages may lie in the standard library's folder)
    top = filename[len(standard) :].split(os.sep, 1)[0]
    return top not in ("site-packages", "dist-packages")


def warn(message: str | Warning, category: type[Warning] | None = None) -> None:
    """:func:`warnings.warn`, attributed to the first caller outside the libraries.

    Parameters
    ----------
    message : str or Warning
        The warning's text, or a warning instance (whose class is then the
        category).
    category : type of Warning, optional
        The category of a text; :class:`UserWarning` by default.
    """
    frame = sys._getframe(1)
    level = 2
    while frame is not None and _is_internal(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    if frame is None:
        # no caller outside (a worker's thread or process): the line that warns
        level = 2
    warnings.warn(message, category, stacklevel=level)
