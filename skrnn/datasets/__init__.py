"""Small text classification data sets, shipped with skrnn and loaded offline.

Each loader returns a :class:`sklearn.utils.Bunch` with ``data`` (list of
str), ``target`` (int64 array), ``target_names`` and ``DESCR``, or
``(data, target)`` with ``return_X_y=True``, like
:func:`sklearn.datasets.fetch_20newsgroups`.
"""

from ._base import (
    load_movie_reviews,
    load_sst2,
    load_sst5,
    load_toy_sentiment,
    load_trec,
)

__all__ = [
    "load_movie_reviews",
    "load_sst2",
    "load_sst5",
    "load_toy_sentiment",
    "load_trec",
]
