"""Warnings that point at the user's line, however skrnn was reached.

A fixed ``stacklevel`` is right for one path only: the same warning of the
vectorizer is raised by ``SequenceVectorizer.fit`` called directly, by an
estimator's ``fit``, by scikit-learn's fit wrapper around it, by a
``Pipeline`` or a search.  :func:`warn` points at the first caller outside
skrnn, scikit-learn and joblib instead.  Standard library only: the command
line's tables use it before anything else is imported.
"""

import functools
import importlib.util
import os
import sys
import warnings


@functools.cache
def _internal() -> tuple[str, ...]:
    """The folders of skrnn's, scikit-learn's and joblib's packages."""
    folders = [os.path.dirname(os.path.abspath(__file__))]
    for name in ("sklearn", "joblib"):
        spec = importlib.util.find_spec(name)
        folders.extend(spec.submodule_search_locations or () if spec else ())
    return tuple(os.path.abspath(folder) + os.sep for folder in folders)


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
    internal = _internal()
    frame = sys._getframe(1)
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(internal):
        frame = frame.f_back
        level += 1
    if frame is None:
        # no caller outside (a worker of ours): the line that warns
        level = 2
    warnings.warn(message, category, stacklevel=level)
