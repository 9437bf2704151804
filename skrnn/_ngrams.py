"""The n-gram companion: NBSVM over the network's own tokens.

A bag-of-n-grams model that :class:`~skrnn.RNNTextClassifier` fits beside
its network when ``ngram_range`` is set, and whose probabilities it blends
with the network's.  It is NBSVM (Wang and Manning, 2012) in its
logistic-regression form, as ``benchmarks/_baselines.py`` runs it but for a
coarser grid of ``C`` and liblinear's own tolerance (see :data:`C_GRID` and
:data:`TOL`):

* the features are the binary presence of the n-grams of the token ids that
  the fitted :class:`~skrnn.SequenceVectorizer` gives (the network's
  vocabulary, after stop words; the whole document, where the network reads
  up to ``max_length`` tokens of it); an n-gram of ids is one int64
  key, ``ids[0] * n_vocab ** (n - 1) + ... + ids[n - 1]``, and the model
  keeps the sorted keys seen in training;
* for each class ``c`` (only the second of two), the naive Bayes log-count
  ratio ``r = log((p / |p|_1) / (q / |q|_1))``, with ``p = 1 + the weighted
  feature counts of class c`` and ``q`` the same over the other documents,
  scales the features; for two classes (one decision), each document's
  are then divided by their norm ``sqrt(x @ r ** 2)``, ``x`` being its
  binary features, so that every document's features have norm 1 whatever
  its length; and liblinear's dual ``LogisticRegression`` is fitted on them;
  ``C`` is chosen from :data:`C_GRID` (:data:`NORMS_C_GRID` with the
  norms) by an inner 3-fold cross-validation on the training data
  (deterministic: unshuffled folds, the first best ``C`` on ties);
* probabilities are the sigmoid of the decision for two classes, the
  one-vs-rest sigmoids normalised to sum 1 for more (as ``LogisticRegression``
  gives them one-vs-rest), and one independent sigmoid per label for a
  multi-label ``y``;
* with ``char_range``, a second part (:func:`_fit_char_columns`): a
  logistic regression of rows of two sections, each divided by its own
  norm, the binary TF-IDF row of the word n-grams and the sum of the
  document's distinct words' TF-IDF vectors of character n-grams, whose
  share of the decision is each word's, looked up by its id; the
  companion's probabilities are the two parts' normalised geometric mean.

N-grams holding the padding id or the unknown-word id are left out: an
unknown id stands for many different words, whose n-grams a bag-of-words
model on the raw text would keep apart, and by default (``min_df=1``)
training documents hold no unknown words, so such n-grams would only ever
appear at prediction, unseen.  Since every kept id is at least 2, the keys of
n-grams of different lengths never collide (an n-gram's key lies in
``[n_vocab ** (n - 1), n_vocab ** n)``).
"""

import contextlib
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold

from ._text import PAD_ID, UNK_ID
from ._threads import in_forked_children
from .nn._functional import log_sigmoid, log_sum_exp

__all__ = [
    "COMPANION_HEADS",
    "C_GRID",
    "NORMS",
    "NORMS_C_GRID",
    "TOL",
    "NgramModel",
    "check_ngram_range",
    "fit_ngrams",
    "ngram_features",
    "ngram_logits",
    "ngram_occurrences",
    "occluded_ngram_logits",
    "quiet_liblinear",
    "staged_ngram_logits",
]

#: The values of ``C`` the inner cross-validation chooses from, a factor of
#: 10 apart: NBSVM-bi's grid is 0.1, 0.3, 1, 3, 10, but the accuracy varies
#: little within a factor of 3 of the best ``C`` (under 0.1 point on MR and
#: SST-2), and TREC's six classes do best at 30.
C_GRID = (0.3, 3.0, 30.0)

#: Whether the documents' features are divided by their norms for two
#: classes (see :func:`_decisions`); ``benchmarks/companion_settings.py``
#: turns it off to measure NBSVM-bi's own features beside them.  By the
#: selection protocol the norms gained on two classes (SST-2 +0.27, MR
#: +0.19, and MPQA +0.57 by 10-fold CV) and lost on TREC's one-vs-rest six
#: (-0.12 with every class's norms), so they are for two classes only.
NORMS = True

#: ... and then ``C`` is chosen from these, ten times :data:`C_GRID`:
#: features of norm 1 are several times smaller than NBSVM's, and CR and
#: Subj do best at 300, MPQA at 10 to 30.
NORMS_C_GRID = (3.0, 30.0, 300.0)

#: Whether the inner cross-validation also tries the features weighted by
#: their inverse document frequency instead of the naive Bayes ratios, each
#: document's divided by its norm (binary TF-IDF), with ``C`` from
#: :data:`IDF_C_GRID`: the ratios of classes of a few documents each are
#: noise (200 topics of 7 training documents: 0.47 with them, TF-IDF + LR
#: 0.90).
IDF = True

#: ... and its ``C`` grid, as :data:`NORMS_C_GRID` for features of norm 1.
IDF_C_GRID = (3.0, 30.0, 300.0)

#: The values of ``C`` of the character part (see :func:`_fit_char_columns`),
#: chosen by an inner cross-validation of the word n-grams' TF-IDF rows
#: alone: 300, which TREC's questions chose, scored as 30 did by the
#: selection protocol (``C`` fixed at 30: TREC +0.13 +- 0.09 over the
#: defaults, as the grid's 3 to 300; SST-2 and MR level; SST-5 0.3 below,
#: which chooses 3), at two to three times the fit's time of 30
#: (``benchmarks/char_blocks.py``).  The words' choice was the part's own on
#: 20 of 24 selection splits, and the accuracy the same (TREC and SST-5 0,
#: SST-2 +0.15 +- 0.10, MR -0.09 +- 0.07), without the part's inner CV.
CHAR_C_GRID = (3.0, 30.0)

#: ... which it takes only when its inner-CV accuracy beats the ratios' best
#: by more than this: on the corpora the defaults were chosen on (and CR,
#: MPQA, Subj, RT-2k) the two were within 0.9 points of each other, where
#: picking the better by the inner CV lost 0.10 +- 0.15 (TREC) and 0.27 +-
#: 0.28 (SST-5) of the blend's accuracy by the selection protocol; on 200
#: topics of 7 documents the TF-IDF weighting led by some 40 points.
IDF_MARGIN = 0.01

#: Folds of the inner cross-validation that chooses ``C``.
N_FOLDS = 3

#: The network heads whose logits are the companion's own: log-probabilities
#: of the classes (the softmax of a multinomial model) and log-odds of the
#: labels (independent sigmoids).  The companion blends with these heads only,
#: and its ``head`` is the one of them that its network has.
COMPANION_HEADS = ("softmax", "logistic")

#: The most one-vs-rest models (those of the most frequent classes or
#: labels) that the inner cross-validation fits to choose ``C``, which every
#: model then takes: with many classes, one-vs-rest's cost grows with their
#: number, and choosing on all of them cost 40 s for 77 classes of 10,000
#: short documents (``benchmarks/companion_fit.py``).
CV_COLUMNS = 8

#: Held by each liblinear fit: liblinear shuffles with C's ``rand``, one
#: generator for the whole process, which scikit-learn seeds at the start of a
#: fit, so fits on several threads at once (a threaded parallel search, fits
#: in threads of one's own) would draw from it in turn and differ from run to
#: run.  One at a time, each fit is the same whatever runs beside it.
_LIBLINEAR = threading.Lock()


def _new_liblinear_lock() -> None:
    """A forked child's lock: the thread that held the parent's is not in it."""
    global _LIBLINEAR
    _LIBLINEAR = threading.Lock()


in_forked_children(_new_liblinear_lock)

#: Smoothing count added to every feature's naive Bayes counts.
NB_ALPHA = 1.0

#: Iterations of each logistic regression.
MAX_ITER = 1000

#: Stopping tolerance of liblinear's dual solver (its largest violation of
#: the optimality conditions): liblinear's own default (scikit-learn's is
#: 1e-4).  The inner-CV accuracy of every ``C`` is the same at 1e-4, 1e-2 and
#: 0.1 on MR, TREC and SST-2 to within one document in ten thousand, and a
#: fit of ``C = 10`` takes a half to a third of the time.
TOL = 0.1

#: The longest character n-grams that ``char_ngram_range`` may ask for.
MAX_CHAR_N = 16

#: Tokens whose n-grams :func:`ngram_logits` looks up at a time, so that its
#: memory stays bounded however many documents it is given (its work arrays
#: take some 140 bytes a token, with characters or without;
#: :func:`staged_ngram_logits`'s some 190 with them).
PREDICT_TOKENS = 2**16


#: A regression of the companion: ``(coef, intercept, scale, split)`` (see
#: :attr:`NgramModel.parts`).
Part = tuple[np.ndarray, np.ndarray, np.ndarray | None, int | None]

#: The fields of a character part of session 20's development version,
#: which read the union of a document's character n-grams (see
#: :func:`_current_fields`).
_UNION_FIELDS = ("char_indptr", "char_indices")


def _current_fields(state: dict) -> dict:
    """A pickled companion's fields as this version's, or ValueError for unions.

    A character part of session 20's development version (see
    :data:`_UNION_FIELDS`) cannot predict here; the fields of one of that
    version without characters, None, are dropped.
    """
    if state.get("char_indptr") is not None:
        raise ValueError(
            "This n-gram companion's character part was fitted by a "
            "development version of skrnn that read the union of a "
            "document's character n-grams; this version reads the sum of "
            "its words' and cannot predict with it. Refit the model."
        )
    return {k: v for k, v in state.items() if k not in _UNION_FIELDS}


@dataclass(frozen=True, eq=False)
class NgramModel:
    """A fitted n-gram companion: the keys of its features and their weights.

    Parameters
    ----------
    ngram_range : tuple of (int, int)
        The lengths ``(min_n, max_n)`` of the n-grams.
    n_vocab : int
        The base of the keys: the vectorizer's number of ids.
    keys : ndarray of int64 of shape (n_keys,)
        The sorted unique keys of the n-grams seen in training.
    coef : ndarray of float64 of shape (n_features, n_columns)
        Each feature's weight in each decision: the logistic regression's
        coefficient times the feature's log-count ratio.  The features are
        the keys' n-grams, then, with ``char_range``, one per id (see
        ``char_range``).  One column for two
        classes (the decision for the second), else one per class or label.
    intercept : ndarray of float64 of shape (n_columns,)
        The decisions' intercepts.
    head : {"softmax", "logistic"}
        The classifier's output head: one class per document, or
        independent labels.
    C : float
        The regularisation the inner cross-validation chose.
    scale : ndarray of float64 of shape (n_features,) or None
        For two classes, each feature's squared log-count ratio: a document's
        decision is divided by the square root of their sum over its
        features (see :func:`_decisions`).  None for more classes or labels,
        and for a companion fitted before the norms.
    whole_documents : bool, default=False
        Whether the companion reads whole documents, as a classifier's now
        does, while its network reads the first (or last) ``max_length``
        tokens.  False for a companion fitted before (a model file of
        version 10 or older, or an older pickle), which read the network's
        tokens and goes on doing so.
    weight : float or None, default=None
        The companion's weight in the blend that ``fit`` chose (with
        ``ngram_weight="auto"``) or was given; None for a companion fitted
        before ``"auto"`` (a model file of version 11 or older, or an older
        pickle).
    char_range : tuple of (int, int) or None, default=None
        The lengths of the character n-grams of each word (see
        :func:`char_ngram_map`) that the character part reads, or None for
        none.  With it, the features are the keys' n-grams, then one per id
        (the id is in the document), and ``coef`` and ``scale`` (the naive
        Bayes part's) are 0 for the ids'.
    char_coef : ndarray of shape (n_features, n_columns) or None, default=None
        With ``char_range``, the character part's weights: a second
        regression whose logits the companion's average with the naive Bayes
        part's (see :func:`ngram_logits`), of rows in two sections, each of
        norm 1 (see :func:`_fit_char_columns`): the binary TF-IDF row of the
        document's word n-grams, and the sum of its distinct words' TF-IDF
        vectors of character n-grams.  A word's weights are that vector's,
        looked up by id: an id's row holds its vector's decision.
    char_intercept : ndarray of shape (n_columns,) or None, default=None
        Its intercepts.
    char_scale : ndarray of shape (n_features,) or None, default=None
        Its features' squares: each n-gram's squared inverse document
        frequency, each id's vector's squared norm.  Each section's decision
        is divided by the square root of the sum of its features' squares.
    char_C : float or None, default=None
        The regularisation its inner cross-validation chose.

    Attributes
    ----------
    slots : ndarray of int or None
        The hash table of the keys of n-grams longer than one (see
        :func:`_key_slots`), which :func:`_lookup` searches, or None for
        keys that the hash crowds together (found by binary search): derived
        from ``keys`` when the model is made or unpickled, and neither
        compared, saved nor pickled.
    """

    ngram_range: tuple[int, int]
    n_vocab: int
    keys: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    head: str
    C: float
    scale: np.ndarray | None = None
    whole_documents: bool = False
    weight: float | None = None
    char_range: tuple[int, int] | None = None
    char_coef: np.ndarray | None = None
    char_intercept: np.ndarray | None = None
    char_scale: np.ndarray | None = None
    char_C: float | None = None

    def __post_init__(self) -> None:
        longer = self.keys[np.searchsorted(self.keys, self.n_vocab) :]
        object.__setattr__(self, "slots", _key_slots(longer))

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("slots", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(_current_fields(state))
        self.__post_init__()

    @classmethod
    def from_dict(cls, fields: dict) -> "NgramModel":
        """The companion of its fields, as :func:`dataclasses.asdict` gives them.

        Those of a pickled estimator's companion (see
        :meth:`~skrnn._fitted.FittedModel.from_dict`), refused or read as
        :meth:`__setstate__` reads a pickled companion's.

        Parameters
        ----------
        fields : dict
            The fields' values by name; those left out take their defaults.

        Returns
        -------
        NgramModel

        Raises
        ------
        ValueError
            If they hold a character part of session 20's development
            version, which read the union of a document's character n-grams.
        """
        return cls(**_current_fields(fields))

    @property
    def parts(self) -> list[Part]:
        """Each regression's ``(coef, intercept, scale, split)``.

        The naive Bayes part's, then the characters'; ``split`` is the first
        column of a part's second section (see :func:`_decisions`), None for
        one section.
        """
        parts = [(self.coef, self.intercept, self.scale, None)]
        if self.char_coef is not None:
            parts.append(
                (self.char_coef, self.char_intercept, self.char_scale, len(self.keys))
            )
        return parts

    @property
    def n_features(self) -> int:
        """The number of features: the n-grams' keys, then with characters the ids."""
        return len(self.coef)

    @property
    def n_outputs(self) -> int:
        """The number of classes or labels."""
        n_columns = len(self.intercept)
        return 2 if self.head == "softmax" and n_columns == 1 else n_columns


def check_ngram_range(ngram_range, n_vocab: int) -> tuple[int, int]:
    """The n-gram lengths as a pair of ints, checked against the key range.

    Parameters
    ----------
    ngram_range : tuple of (int, int)
        ``(min_n, max_n)``, with ``1 <= min_n <= max_n``.
    n_vocab : int
        The number of token ids.

    Returns
    -------
    tuple of (int, int)

    Raises
    ------
    ValueError
        If the range is not two whole numbers ``1 <= min_n <= max_n``, or if
        the keys of ``max_n``-grams would not fit in an int64.
    """
    try:
        min_n, max_n = (int(n) for n in ngram_range)
        whole = all(int(n) == n and not isinstance(n, bool) for n in ngram_range)
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole or not 1 <= min_n <= max_n:
        raise ValueError(
            "ngram_range must be a tuple (min_n, max_n) of whole numbers with "
            f"1 <= min_n <= max_n, such as (1, 2); got {ngram_range!r}."
        )
    # With at least 2 ids (padding and unknown words), 63 or more tokens never
    # fit, and the power is not computed: a huge max_n would take forever.
    if max_n >= 63 or int(n_vocab) ** max_n > np.iinfo(np.int64).max:
        raise ValueError(
            f"ngram_range={(min_n, max_n)!r} is too long for a vocabulary of "
            f"{n_vocab} token ids: the {max_n}-grams' keys would not fit in "
            "64 bits. Lower max_n, or bound the vocabulary with max_features "
            "or min_df."
        )
    return min_n, max_n


def ngram_occurrences(
    sequences: Sequence[np.ndarray], ngram_range: tuple[int, int], n_vocab: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every n-gram of every sequence: its document, its last position, its key.

    Vectorised over all the documents at once.  N-grams holding the padding
    or the unknown-word id are left out.

    Parameters
    ----------
    sequences : sequence of 1-D int arrays
        Token ids of each document.
    ngram_range : tuple of (int, int)
        ``(min_n, max_n)``, checked by :func:`check_ngram_range`.
    n_vocab : int
        The base of the keys.

    Returns
    -------
    doc : ndarray of intp
        The document of each occurrence.
    end : ndarray of intp
        The position of its last token in the document.
    key : ndarray of int64
        Its key.
    """
    lengths = np.fromiter(map(len, sequences), np.intp, len(sequences))
    total = int(lengths.sum())
    flat = np.zeros(total, np.int64)
    if total:
        flat = np.concatenate(sequences, dtype=np.int64, casting="unsafe")
    doc_of = np.repeat(np.arange(len(sequences)), lengths)
    position = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    skipped = np.concatenate([[0], np.cumsum((flat == PAD_ID) | (flat == UNK_ID))])
    docs, ends, keys = [], [], []
    min_n, max_n = ngram_range
    for n in range(min_n, max_n + 1):
        m = max(0, total - n + 1)  # the n-grams' possible starts
        # whole n-grams inside one document, without a skipped id
        kept = (doc_of[n - 1 : n - 1 + m] == doc_of[:m]) & (
            skipped[n : n + m] == skipped[:m]
        )
        starts = np.flatnonzero(kept)
        key = flat[starts]
        for j in range(1, n):
            key = key * n_vocab + flat[starts + j]
        docs.append(doc_of[starts])
        ends.append(position[starts] + n - 1)
        keys.append(key)
    return np.concatenate(docs), np.concatenate(ends), np.concatenate(keys)


#: Fibonacci hashing's multiplier, 2**64 divided by the golden ratio: the
#: high bits of a key times it, modulo 2**64, spread consecutive keys apart.
_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def _slot_of(key: np.ndarray, bits: int) -> np.ndarray:
    """Each key's first slot in a table of ``2 ** bits`` slots."""
    product = key.astype(np.uint64)
    product *= _HASH_MULTIPLIER  # modulo 2**64
    product >>= np.uint64(64 - bits)
    return product.view(np.int64).astype(np.intp, copy=False)


#: The most slots that a run of filled slots of the keys' hash table may
#: span, and so the most probes that building it or finding a key may take.
#: Keys that the hash crowds together (a model file made to, say, where
#: every key falls in one slot and the build would take hours) get no table:
#: they are found by binary search (:func:`_lookup`).  MR's bigrams took 7.
MAX_PROBES = 64


def _key_slots(keys: np.ndarray) -> np.ndarray | None:
    """A hash table of the keys: in each slot, the index of a key, or ``len(keys)``.

    Open addressing with linear probing, in at least four times as many
    slots as keys (a power of two, 16 to 32 bytes a key), filled a probe at a
    time for all the keys at once.  Which key of several ends in which slot
    changes nothing but the number of probes that :func:`_probe` takes to
    find it.  With twice as many slots, MR's bigrams took 19 rounds of probes
    rather than 7 and their look-up 1.6 times as long.

    Returns None when the keys would take more than :data:`MAX_PROBES`
    probes to place, or leave a run of more than that many filled slots
    (which a key that is not there would probe to its end): the time of the
    build and of every look-up is bounded whatever the keys.
    """
    n = len(keys)
    bits = max(1, (4 * n - 1).bit_length())
    mask = (1 << bits) - 1
    slots = np.full(1 << bits, n, np.int32 if n < 2**31 - 1 else np.int64)
    pending = np.arange(n)
    slot = _slot_of(keys, bits)
    for _ in range(MAX_PROBES):
        if not len(pending):
            break
        free = slots[slot] == n
        slots[slot[free]] = pending[free]  # of several, one takes the slot
        placed = slots[slot] == pending
        pending, slot = pending[~placed], (slot[~placed] + 1) & mask
    if len(pending) or _longest_run(slots != n) > MAX_PROBES:
        return None
    return slots


def _longest_run(filled: np.ndarray) -> int:
    """The most consecutive True values of a circular array with a False in it.

    Read from the positions of the True values (a table's keys), counted
    from a False, not from those of the False ones (its empty slots, three
    to seven times as many), whose memory would be most of the build's.
    """
    position = np.flatnonzero(np.roll(filled, -int(np.argmin(filled))))
    if not len(position):
        return 0
    breaks = np.flatnonzero(np.diff(position) != 1) + 1
    return int(np.max(np.diff(breaks, prepend=0, append=len(position))))


def _probe(
    keys: np.ndarray, slots: np.ndarray, key: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The index of each key among ``keys`` by their table ``slots``, and whether found.

    A probe at a time for all the keys at once, until each is found or an
    empty slot says that it is not there.  Its memory and time are those of
    the keys looked up, whatever the number of ``keys``.
    """
    n = len(keys)
    mask = len(slots) - 1
    index = np.full(len(key), n, np.intp)
    if not n:
        return index, index < n
    pending = np.arange(len(key))
    slot = _slot_of(key, mask.bit_length())
    while len(pending):
        held = slots[slot]
        filled = held != n
        # (an empty slot's n reads the last key, which ``filled`` discards)
        hit = filled & (keys.take(held, mode="clip") == key)
        index[pending[hit]] = held[hit]
        go_on = ~hit & filled
        pending, slot = pending[go_on], (slot[go_on] + 1) & mask
        key = key[go_on]
    return index, index < n


def _unigram_columns(
    unigrams: np.ndarray, key: np.ndarray, n_vocab: int
) -> tuple[np.ndarray, np.ndarray]:
    """The column of each unigram key among the sorted ``unigrams``, and whether found.

    Read from a table indexed by id when there are keys enough to pay for
    making it (an eighth of the vocabulary or more), else found by binary
    search: a call with a few documents then costs nothing in proportion
    to the vocabulary (a table of 2,000,000 ids took 9 ms a call).
    """
    if 8 * len(key) >= n_vocab:
        table = np.full(n_vocab, -1, np.intp)
        table[unigrams] = np.arange(len(unigrams))
        column = table[key]
        return column, column >= 0
    column = np.minimum(np.searchsorted(unigrams, key), len(unigrams) - 1)
    found = unigrams[column] == key
    return np.where(found, column, -1), found


def _lookup(model: NgramModel, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The column of each key among the model's keys, and whether it is there.

    A unigram's key is its id, below ``n_vocab``, and the sorted keys start
    with the unigrams': those are read from a table indexed by id, the
    others found in the longer n-grams' hash table (:func:`_probe`), or by
    binary search where the keys have none.
    """
    keys, n_vocab = model.keys, model.n_vocab
    n_unigrams = int(np.searchsorted(keys, n_vocab))
    unigram = key < n_vocab
    column = np.zeros(len(key), np.intp)
    found = np.zeros(len(key), bool)
    if n_unigrams:
        column[unigram], found[unigram] = _unigram_columns(
            keys[:n_unigrams], key[unigram], n_vocab
        )
    longer = np.flatnonzero(~unigram)
    if not len(longer) or len(keys) == n_unigrams:
        return column, found
    if model.slots is None:  # keys crowded by the hash: binary search
        column[longer] = np.minimum(
            np.searchsorted(keys[n_unigrams:], key[longer]) + n_unigrams,
            len(keys) - 1,
        )
        found[longer] = keys[column[longer]] == key[longer]
        return column, found
    index, found[longer] = _probe(keys[n_unigrams:], model.slots, key[longer])
    column[longer] = index + n_unigrams
    return column, found


def _features(
    doc: np.ndarray, column: np.ndarray, n_docs: int, n_features: int
) -> sp.csr_matrix:
    """The binary presence matrix of the given (document, column) pairs.

    Made in the canonical form that scipy's sum of duplicates gives (each
    row's columns sorted, each once), from one sort of the pairs: a stable
    sort, which runs over the pairs already in order (those of one length
    of n-grams are in the order of the documents).
    """
    pair = np.sort(doc.astype(np.int64) * n_features + column, kind="stable")
    first = np.ones(len(pair), bool)
    first[1:] = pair[1:] != pair[:-1]  # an n-gram seen twice is present once
    row, indices = np.divmod(pair[first], n_features)
    indptr = np.zeros(n_docs + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=n_docs), out=indptr[1:])
    return sp.csr_matrix(
        (np.ones(len(indices)), indices, indptr), shape=(n_docs, n_features)
    )


def ngram_features(model: NgramModel, sequences: Sequence[np.ndarray]) -> sp.csr_matrix:
    """The binary n-gram features of the sequences, in the model's columns.

    Parameters
    ----------
    model : NgramModel
        A fitted companion.
    sequences : sequence of 1-D int arrays
        Token ids of each document.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_samples, n_features)
        1 where the document holds the n-gram (then, with characters, the
        word of the id: see :class:`NgramModel`); n-grams not seen in
        training are left out.
    """
    doc, _, column = _occurrences(model, sequences)
    return _features(doc, column, len(sequences), model.n_features)


def _occurrences(
    model: NgramModel, sequences: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every occurrence of a feature of the model: its document, last position, column.

    The n-grams of the model's keys (those not seen in training are left
    out), then with characters each word's id (:func:`_id_occurrences`).
    """
    doc, end, key = ngram_occurrences(sequences, model.ngram_range, model.n_vocab)
    column, found = _lookup(model, key)
    doc, end, column = doc[found], end[found], column[found]
    if model.char_range is None:
        return doc, end, column
    id_doc, id_end, ids = _id_occurrences(sequences, model.n_vocab)
    return (
        np.concatenate([doc, id_doc]),
        np.concatenate([end, id_end]),
        np.concatenate([column, ids + len(model.keys)]),
    )


def _id_occurrences(
    sequences: Sequence[np.ndarray], n_vocab: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each word's token: its document, position and id.

    Padding, unknown words and ids outside the vocabulary (which prediction
    refuses earlier) are left out: they have no characters.
    """
    lengths = np.fromiter(map(len, sequences), np.intp, len(sequences))
    flat = np.zeros(0, np.int64)
    if lengths.sum():
        flat = np.concatenate(sequences, dtype=np.int64, casting="unsafe")
    doc = np.repeat(np.arange(len(sequences)), lengths)
    position = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    word = (flat > max(PAD_ID, UNK_ID)) & (flat < n_vocab)
    return doc[word], position[word], flat[word].astype(np.intp)


def char_ngram_map(
    words: Sequence[str], char_range: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The character n-grams of each word, as scikit-learn's ``char_wb`` reads them.

    Each word padded with a space on either side, its n-grams of
    ``char_range`` lengths, found for all the words at once on their code
    points and numbered in sorted order (of their lengths, then of their code
    points): the same numbers whatever the order of the words.  A padded
    word shorter than ``min_n``, which ``char_wb`` gives whole as one
    n-gram, has none here; a word holding white space, which ``char_wb``
    splits, is one word.

    Parameters
    ----------
    words : sequence of str
        The words; an empty string for one that gets none.
    char_range : tuple of (int, int)
        ``(min_n, max_n)``, checked by :func:`check_char_range`.

    Returns
    -------
    indptr : ndarray of int64 of shape (len(words) + 1,)
    indices : ndarray of int64
        Word ``i``'s character n-grams are
        ``indices[indptr[i]:indptr[i + 1]]``, each once, in increasing order;
        they are numbered from 0 to their number less one.
    """
    min_n, max_n = char_range
    padded = [f" {word} " if word else "" for word in words]
    lengths = np.fromiter(map(len, padded), np.intp, len(padded))
    # (lone surrogates too: text decoded with errors="surrogateescape")
    codes = np.frombuffer(
        "".join(padded).encode("utf-32-le", "surrogatepass"), np.uint32
    )
    word_of = np.repeat(np.arange(len(padded)), lengths)
    # the characters from each position to the end of its word
    room = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(codes))
    # the code points' ranks among those present: the 1-grams, numbered in
    # sorted order
    rank = np.unique(codes, return_inverse=True)[1].astype(np.int64).ravel()
    n_chars = int(rank.max(initial=-1)) + 1
    start, number, n_distinct = np.arange(len(codes)), rank, n_chars
    owners, numbers, n_grams = [], [], 0
    for n in range(1, max_n + 1):
        if n > 1:
            # an n-gram is the number of its first n - 1 characters, then
            # its last's rank: numbered in the order of those pairs, which
            # is that of its code points (one int64 whatever n)
            longer = room[start] >= n
            start = start[longer]
            pair = number[longer] * n_chars + rank[start + n - 1]
            distinct, number = np.unique(pair, return_inverse=True)
            n_distinct = len(distinct)
        if n >= min_n:
            owners.append(word_of[start])
            numbers.append(number + n_grams)
            n_grams += n_distinct
    owners = np.concatenate(owners)
    number = np.concatenate(numbers)
    # (sorted and deduplicated by hand: numpy's hashing unique took 0.9 s
    # for SST-2's 600,000 pairs, the sort 0.03 s)
    pair = np.sort(owners * n_grams + number)
    first = np.ones(len(pair), bool)
    first[1:] = pair[1:] != pair[:-1]
    pair = pair[first]
    word, indices = np.divmod(pair, n_grams)
    indptr = np.zeros(len(padded) + 1, np.int64)
    np.cumsum(np.bincount(word, minlength=len(padded)), out=indptr[1:])
    return indptr, indices.astype(np.int64)


def _as_logits(decision: np.ndarray, head: str) -> np.ndarray:
    """Logits of the head's outputs, from the decisions of the regressions.

    A softmax head gets the log-probabilities (a sigmoid and its complement
    for one column, normalised one-vs-rest sigmoids for more), a logistic
    head the decisions themselves, which are the labels' log-odds.
    """
    if head == "logistic":
        return decision
    if decision.shape[1] == 1:
        return np.hstack([log_sigmoid(-decision), log_sigmoid(decision)])
    log_p = log_sigmoid(decision)
    return log_p - log_sum_exp(log_p, axis=1)


def _blended(logits: list[np.ndarray], head: str) -> np.ndarray:
    """The parts' logits blended: their mean, as log-probabilities for a softmax head.

    The normalised geometric mean of the parts' probabilities (the mean of
    their log-odds for a logistic head's labels); one part's are its own.
    """
    if len(logits) == 1:
        return logits[0]
    mean = sum(logits) / len(logits)
    return mean if head == "logistic" else mean - log_sum_exp(mean, axis=1)


def _feature_logits(model: NgramModel, X: sp.csr_matrix) -> np.ndarray:
    """The companion's logits for binary features ``X``: its parts', blended."""
    return _blended(
        [_as_logits(_decisions(X, *part), model.head) for part in model.parts],
        model.head,
    )


def ngram_logits(model: NgramModel, sequences: Sequence[np.ndarray]) -> np.ndarray:
    """The companion's logits for the sequences, as the classifier's head reads them.

    Parameters
    ----------
    model : NgramModel
        A fitted companion.
    sequences : sequence of 1-D int arrays
        Token ids of each document.

    Returns
    -------
    ndarray of float64 of shape (n_samples, n_outputs)
        Log-probabilities of the classes (softmax head), or log-odds of the
        labels (logistic head).
    """
    lengths = np.fromiter(map(len, sequences), np.intp, len(sequences))
    logits = np.empty((len(sequences), model.n_outputs))
    long = lengths > PREDICT_TOKENS
    short = np.flatnonzero(~long)
    # runs of shorter documents of about PREDICT_TOKENS tokens
    run = np.cumsum(lengths[short]) // PREDICT_TOKENS
    bounds = [0, *(np.flatnonzero(np.diff(run)) + 1).tolist(), len(short)]
    for start, stop in pairwise(bounds):
        if start < stop:
            idx = short[start:stop]
            X = ngram_features(model, [sequences[i] for i in idx])
            logits[idx] = _feature_logits(model, X)
    for i in np.flatnonzero(long):
        logits[i] = _feature_logits(model, _long_document_features(model, sequences[i]))
    return logits


def _blocks(sequence: np.ndarray) -> Iterator[tuple[int, int]]:
    """Consecutive ranges of a document's tokens, ``PREDICT_TOKENS`` each."""
    starts = range(0, len(sequence), PREDICT_TOKENS)
    return ((begin, min(begin + PREDICT_TOKENS, len(sequence))) for begin in starts)


def _long_document_features(model: NgramModel, sequence: np.ndarray) -> sp.csr_matrix:
    """:func:`ngram_features` of one document, looked up a window at a time.

    Windows of ``PREDICT_TOKENS`` tokens (:func:`_blocks`),
    overlapping by ``max_n - 1`` tokens so that every n-gram lies whole in one
    of them, mark the features present; memory is then bounded by the
    window, whatever the document's length.
    """
    overlap = model.ngram_range[1] - 1
    present = np.zeros(model.n_features, dtype=bool)
    for begin, stop in _blocks(sequence):
        window = sequence[begin : stop + overlap]
        present[ngram_features(model, [window]).indices] = True
    columns = np.flatnonzero(present)
    return sp.csr_matrix(
        (np.ones(len(columns)), columns, [0, len(columns)]),
        shape=(1, model.n_features),
    )


def staged_ngram_logits(
    model: NgramModel,
    sequences: Sequence[np.ndarray],
    starts: Sequence[int] | None = None,
) -> list[np.ndarray]:
    """The companion's logits for every prefix of every sequence.

    A feature is present in a prefix once its first occurrence has ended, so
    each feature's weights are added at that position and the decisions of
    all the prefixes are a cumulative sum (of each section's, divided by its
    norm: see :func:`_decisions`).  Documents are read in runs of about
    ``PREDICT_TOKENS`` tokens, and a longer one a range of its tokens at a
    time (:func:`_blocks`), so that memory beside the result's stays bounded
    whatever the documents' lengths.

    Parameters
    ----------
    model : NgramModel
        A fitted companion.
    sequences : sequence of 1-D int arrays
        Token ids of each document.
    starts : sequence of int, optional
        For each sequence, the first prefix to return: that of its
        ``starts[i] + 1`` tokens (0 for all by default), so that a document's
        prefixes within a window of it cost memory for the window's rows only.

    Returns
    -------
    list of ndarray of shape (n_tokens - start, n_outputs)
        Row ``t`` holds the logits of ``seq[: start + t + 1]``, as
        :func:`ngram_logits` gives them.
    """
    lengths = np.fromiter(map(len, sequences), np.intp, len(sequences))
    starts = np.zeros_like(lengths) if starts is None else np.asarray(starts, np.intp)
    logits = [None] * len(sequences)
    long = lengths > PREDICT_TOKENS
    short = np.flatnonzero(~long)
    run = np.cumsum(lengths[short]) // PREDICT_TOKENS
    bounds = [0, *(np.flatnonzero(np.diff(run)) + 1).tolist(), len(short)]
    for begin, stop in pairwise(bounds):
        idx = short[begin:stop]
        staged = _staged_run(model, [sequences[i] for i in idx], starts[idx])
        for i, rows in zip(idx, staged, strict=True):
            logits[i] = rows
    for i in np.flatnonzero(long):
        logits[i] = _staged_long_document(model, sequences[i], int(starts[i]))
    return logits


def _staged_run(
    model: NgramModel, sequences: Sequence[np.ndarray], starts: np.ndarray
) -> list[np.ndarray]:
    """:func:`staged_ngram_logits` of a few documents, read all at once."""
    lengths = np.fromiter(map(len, sequences), np.intp, len(sequences))
    kept = lengths - starts
    doc, end, column = _occurrences(model, sequences)
    # (a document without prefixes from its start has no rows to add to)
    order = np.lexsort((end, column, doc))
    order = order[kept[doc[order]] > 0]
    doc, end, column = doc[order], end[order], column[order]
    first = np.ones(len(doc), bool)
    first[1:] = (doc[1:] != doc[:-1]) | (column[1:] != column[:-1])
    doc, end, column = doc[first], end[first], column[first]
    # (a feature present before a document's first kept prefix is in all)
    at = (np.cumsum(kept) - kept)[doc] + np.maximum(end - starts[doc], 0)
    offsets = np.cumsum(kept) - kept
    parts = []
    for coef, intercept, scale, split in model.parts:
        decisions = [np.zeros((n, coef.shape[1])) for n in kept]
        for section in _section_masks(column, split):
            steps = np.zeros((int(kept.sum()), coef.shape[1]))
            np.add.at(steps, at[section], coef[column[section]])
            squares = np.zeros(len(steps))
            if scale is not None:
                np.add.at(squares, at[section], scale[column[section]])
            for decision, start, n in zip(decisions, offsets, kept, strict=True):
                decision += _section_decision(
                    np.cumsum(steps[start : start + n], axis=0),
                    np.cumsum(squares[start : start + n]),
                    scale is not None,
                )
        parts.append([_as_logits(d + intercept, model.head) for d in decisions])
    return [_blended(list(logits), model.head) for logits in zip(*parts, strict=True)]


def _staged_long_document(
    model: NgramModel, sequence: np.ndarray, start: int
) -> np.ndarray:
    """:func:`staged_ngram_logits` of one document, a range of tokens at a time.

    The features first present in each range (:func:`_blocks`: the n-grams
    ending in it) are added to each part's sections' sums carried from the
    ranges before; the ranges before ``start`` give no rows.
    """
    overlap = model.ngram_range[1] - 1
    present = np.zeros(model.n_features, bool)
    parts = model.parts
    n_sections = [1 if split is None else 2 for _, _, _, split in parts]
    carried = [
        [(np.zeros(coef.shape[1]), 0.0)] * n
        for (coef, _, _, _), n in zip(parts, n_sections, strict=True)
    ]
    rows = [[[] for _ in range(n)] for n in n_sections]
    for begin, stop in _blocks(sequence):
        first = max(0, begin - overlap)
        _, end, column = _occurrences(model, [sequence[first:stop]])
        # the features ending in the range (those before ended in the last)
        # at their first occurrence, but those present before it
        inside = end + first >= begin
        end, column = end[inside] + first, column[inside]
        order = np.lexsort((end, column))
        end, column = end[order], column[order]
        new = np.ones(len(column), bool)
        new[1:] = column[1:] != column[:-1]
        new &= ~present[column]
        end, column = end[new], column[new]
        present[column] = True
        # rows from the later of the range's first token and start (one, of
        # the sums alone, for a range before start)
        low = max(begin, start)
        at = np.maximum(end - low, 0)
        for j, (coef, _, scale, split) in enumerate(parts):
            for k, section in enumerate(_section_masks(column, split)):
                steps = np.zeros((max(stop - low, 1), coef.shape[1]))
                np.add.at(steps, at[section], coef[column[section]])
                steps[0] += carried[j][k][0]
                squares = np.zeros(len(steps))
                if scale is not None:
                    np.add.at(squares, at[section], scale[column[section]])
                squares[0] += carried[j][k][1]
                decision, square = np.cumsum(steps, axis=0), np.cumsum(squares)
                carried[j][k] = (decision[-1], square[-1])
                if stop > start:
                    rows[j][k].append((decision, square))
    logits = []
    for (coef, intercept, scale, _), sections in zip(parts, rows, strict=True):
        decision = np.zeros((0, coef.shape[1]))  # no prefix from start on
        if sections[0]:
            decision = sum(
                _section_decision(
                    np.concatenate([d for d, _ in section]),
                    np.concatenate([q for _, q in section]),
                    scale is not None,
                )
                for section in sections
            )
        logits.append(_as_logits(decision + intercept, model.head))
    return _blended(logits, model.head)


def occluded_ngram_logits(
    model: NgramModel, sequence: np.ndarray, start: int, stop: int
) -> np.ndarray:
    """The companion's logits of one document without each of some of its tokens.

    Row ``k`` holds what :func:`ngram_logits` gives for ``sequence`` without
    its token ``start + k``, computed from the n-grams that removing it takes
    away (those holding it) and makes (those spanning the gap it leaves), a
    few for each: the document's n-grams are counted once, so that the cost
    is that of the document plus that of the ``stop - start`` rows, where
    building and reading every variant of a long document would cost their
    product.

    Parameters
    ----------
    model : NgramModel
        A fitted companion.
    sequence : 1-D int array
        Token ids of the document.
    start, stop : int
        The positions of the tokens removed, one at a time.

    Returns
    -------
    ndarray of float64 of shape (stop - start, n_outputs)
    """
    n_features, n_rows = model.n_features, stop - start
    counts = _ngram_counts(model, sequence)
    present = counts > 0
    min_n, max_n = model.ngram_range
    # each variant's (row, column, change of the feature's count)
    rows, columns, changes = [], [], []
    offset = max(0, start - (max_n - 1))
    around = sequence[offset : stop + max_n - 1]
    left = [sequence[max(0, p - (max_n - 1)) : p] for p in range(start, stop)]
    joined = [
        np.concatenate([before, sequence[p + 1 : p + max_n]])
        for p, before in zip(range(start, stop), left, strict=True)
    ]
    gap = np.fromiter(map(len, left), np.intp, n_rows)
    for n in range(min_n, max_n + 1):
        # the n-grams holding a removed token
        _, end, key = ngram_occurrences([around], (n, n), model.n_vocab)
        column, found = _lookup(model, key)
        end, column = end[found] + offset, column[found]
        for j in range(n):
            row = end - j - start
            kept = (row >= 0) & (row < n_rows)
            rows.append(row[kept])
            columns.append(column[kept])
            changes.append(np.full(int(kept.sum()), -1))
        # and those spanning the gap that it leaves
        doc, end, key = ngram_occurrences(joined, (n, n), model.n_vocab)
        column, found = _lookup(model, key)
        spans = found & (end - n + 1 < gap[doc]) & (end >= gap[doc])
        rows.append(doc[spans])
        columns.append(column[spans])
        changes.append(np.ones(int(spans.sum()), int))
    if model.char_range is not None:
        # and the removed word's id
        _, row, ids = _id_occurrences([sequence[start:stop]], model.n_vocab)
        rows.append(row)
        columns.append(ids + len(model.keys))
        changes.append(np.full(len(row), -1))
    pair = np.concatenate(rows) * n_features + np.concatenate(columns)
    pair, index = np.unique(pair, return_inverse=True)
    row, column = np.divmod(pair, n_features)
    count = counts[column] + np.bincount(index, np.concatenate(changes), len(pair))
    change = (count > 0).astype(float) - present[column]
    delta = sp.csr_matrix((change, (row, column)), shape=(n_rows, n_features))
    X = sp.csr_matrix(present.astype(float)[None, :])
    logits = []
    for coef, intercept, scale, split in model.parts:
        decision = np.zeros((n_rows, coef.shape[1]))
        for X_s, delta_s in zip(
            _sections(X, split), _sections(delta, split), strict=True
        ):
            # A variant without features has none of the sums' rounding: 0.
            empty = X_s.data.sum() + np.asarray(delta_s.sum(axis=1)).ravel() == 0
            step = (X_s @ coef) + delta_s @ coef
            step[empty] = 0.0
            if scale is not None:
                squares = (X_s @ scale) + delta_s @ scale
                squares[empty] = 0.0
                step /= _norms(squares)[:, None]
            decision += step
        logits.append(_as_logits(decision + intercept, model.head))
    return _blended(logits, model.head)


def _ngram_counts(model: NgramModel, sequence: np.ndarray) -> np.ndarray:
    """How many times each of the model's features occurs in one document.

    Looked up a range of tokens at a time (:func:`_blocks`: the n-grams
    that end among them), so that memory stays bounded whatever its length.
    """
    overlap = model.ngram_range[1] - 1
    counts = np.zeros(model.n_features, np.intp)
    for begin, stop in _blocks(sequence):
        first = max(0, begin - overlap)
        chunk = sequence[first:stop]
        _, end, column = _occurrences(model, [chunk])
        counts += np.bincount(column[end >= begin - first], minlength=len(counts))
    return counts


# ------------------------------------------------------------------ fitting


def fit_ngrams(
    sequences: Sequence[np.ndarray],
    y: np.ndarray,
    sample_weight: np.ndarray,
    *,
    ngram_range: tuple[int, int],
    n_vocab: int,
    n_classes: int,
    head: str,
    whole_documents: bool = False,
    weight: float | None = None,
    char_range: tuple[int, int] | None = None,
    words: Sequence[str] | None = None,
) -> NgramModel:
    """Fit the companion on the training documents' token ids.

    Parameters
    ----------
    sequences : sequence of 1-D int arrays
        Token ids of each training document.
    y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        Class indices (softmax head), or the label indicator matrix
        (logistic head).
    sample_weight : ndarray of shape (n_samples,)
        Weights of the documents (class weights included): they weigh the
        naive Bayes counts and the logistic regressions' loss, once scaled to
        a mean of 1 (only their ratios matter, as for the network).
    ngram_range : tuple of (int, int)
        ``(min_n, max_n)``.
    n_vocab : int
        The vectorizer's number of ids.
    n_classes : int
        The number of classes (softmax head; a class may be absent from
        ``y``) or labels.
    head : {"softmax", "logistic"}
        The classifier's output head.
    whole_documents : bool, default=False
        Whether ``sequences`` are the whole documents (see
        :class:`NgramModel`), which prediction then reads too.
    weight : float or None, default=None
        The companion's weight in the blend, kept with it (see
        :class:`NgramModel`).
    char_range : tuple of (int, int) or None, default=None
        The lengths of the character n-grams of the words that the
        character part reads (see :class:`NgramModel`), or None for none.
    words : sequence of str, optional
        Each id's word (the vectorizer's ``get_feature_names_out()``), whose
        character n-grams those of the id are; needed with ``char_range``.

    Returns
    -------
    NgramModel
    """
    ngram_range = check_ngram_range(ngram_range, n_vocab)
    doc, _, key = ngram_occurrences(sequences, ngram_range, n_vocab)
    keys = np.unique(key)
    X = _features(doc, np.searchsorted(keys, key), len(sequences), len(keys))
    if head == "logistic":
        targets = np.asarray(y, bool)
    elif n_classes == 2:
        targets = (np.asarray(y) == 1)[:, None]
    else:
        targets = np.asarray(y)[:, None] == np.arange(n_classes)
    sample_weight = _in_documents(np.asarray(sample_weight, np.float64))
    norms = NORMS and targets.shape[1] == 1
    # One fit at a time: scikit-learn's liblinear shuffles with one random
    # generator shared by the process, so fits on threads would draw from it
    # in the threads' order and the model would change from run to run.
    weighting, C = _select_C(X, targets, sample_weight, y, head, norms)
    coef, intercept, scale = _fit_columns(
        X, targets, sample_weight, C, norms, weighting
    )
    chars = {}
    if char_range is not None:
        char_range = check_char_range(char_range)
        indptr, indices = _training_chars(sequences, words, char_range)
        n_chars = int(indices.max(initial=-1)) + 1
        grams = sp.csr_matrix(
            (np.ones(len(indices)), indices, indptr), shape=(n_vocab, n_chars)
        )
        # C as the word n-grams' TF-IDF regression would choose it: the
        # character part's own inner CV chose the same C or one within a
        # standard error, at three to five times the part's final fit
        _, char_C = _select_C(
            X,
            targets,
            sample_weight,
            y,
            head,
            weightings=("idf",),
            idf_grid=CHAR_C_GRID,
        )
        doc, _, ids = _id_occurrences(sequences, n_vocab)
        X = sp.hstack([X, _features(doc, ids, len(sequences), n_vocab)], "csr")
        char_coef, char_intercept, char_scale = _fit_char_columns(
            X, targets, sample_weight, char_C, split=len(keys), grams=grams
        )
        # the naive Bayes part reads the word n-grams only
        coef = np.vstack([coef, np.zeros((n_vocab, coef.shape[1]))])
        if scale is not None:
            scale = np.concatenate([scale, np.zeros(n_vocab)])
        chars = {
            "char_range": char_range,
            "char_coef": char_coef,
            "char_intercept": char_intercept,
            "char_scale": char_scale,
            "char_C": char_C,
        }
    return NgramModel(
        ngram_range=ngram_range,
        n_vocab=int(n_vocab),
        keys=keys,
        coef=coef,
        intercept=intercept,
        head=head,
        C=C,
        scale=scale,
        whole_documents=whole_documents,
        weight=weight,
        **chars,
    )


def check_char_range(char_range) -> tuple[int, int]:
    """The character n-grams' lengths as a pair of ints.

    Parameters
    ----------
    char_range : tuple of (int, int)
        ``(min_n, max_n)``, with ``1 <= min_n <= max_n <=``
        :data:`MAX_CHAR_N`.

    Returns
    -------
    tuple of (int, int)

    Raises
    ------
    ValueError
        If it is not two whole numbers ``1 <= min_n <= max_n <= MAX_CHAR_N``.
    """
    try:
        min_n, max_n = (int(n) for n in char_range)
        whole = all(int(n) == n and not isinstance(n, bool) for n in char_range)
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole or not 1 <= min_n <= max_n <= MAX_CHAR_N:
        raise ValueError(
            "char_ngram_range must be None or a tuple (min_n, max_n) of whole "
            f"numbers with 1 <= min_n <= max_n <= {MAX_CHAR_N}, such as (2, 5); "
            f"got {char_range!r:.80}."
        )
    return min_n, max_n


def _training_chars(
    sequences: Sequence[np.ndarray], words: Sequence[str], char_range: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`char_ngram_map` of the vocabulary, kept to the training words' n-grams.

    The features are the character n-grams of the words that the training
    documents hold, numbered as :func:`char_ngram_map` numbers them for
    those words alone; a word of the vocabulary that no training document
    holds (a vocabulary given, a warm start's new documents) has those of
    its n-grams that are among them, the others having no weight.  Padding
    and unknown words have none.
    """
    n_vocab = len(words)
    seen = np.zeros(n_vocab, bool)
    for sequence in sequences:
        seen[sequence] = True
    names = [str(word) for word in words]
    names[PAD_ID] = names[UNK_ID] = ""
    indptr, indices = char_ngram_map(names, char_range)
    word = np.repeat(np.arange(n_vocab), np.diff(indptr))
    kept = np.zeros(int(indices.max(initial=-1)) + 1, bool)
    kept[indices[seen[word]]] = True
    keep = kept[indices]
    indptr = np.zeros(n_vocab + 1, np.int64)
    np.cumsum(np.bincount(word[keep], minlength=n_vocab), out=indptr[1:])
    return indptr, np.cumsum(kept)[indices[keep]] - 1


def _in_documents(sample_weight: np.ndarray) -> np.ndarray:
    """The weights scaled to a mean of 1 over the documents of positive weight.

    The companion's ``NB_ALPHA`` and ``C_GRID`` are counted in documents, and
    the network's loss is a weighted mean, which weights scaled by a constant
    leave unchanged: so must the companion be.  (Weights normalised to sum 1
    made ``C`` so small that it predicted the class frequencies.)  Weights of
    1 are unchanged, and documents of weight 0 are left out of the mean, as
    they are out of the fit.
    """
    total = sample_weight.sum()
    if total <= 0:
        return sample_weight
    # divided by the mean (not times its inverse, which overflows for
    # subnormal weights such as 1e-310)
    return sample_weight / (total / np.count_nonzero(sample_weight > 0))


@contextlib.contextmanager
def quiet_liblinear() -> Iterator[None]:
    """Hide liblinear's convergence warnings while the block runs.

    A companion's fit stopped at :data:`MAX_ITER` is no concern of the user's
    (the inner cross-validation judges its ``C``).  Enter it on the thread
    that fits the estimator, around the companion's fit wherever it runs:
    the filters are the whole process's, and ``warnings.catch_warnings``
    entered and left on another thread (before Python 3.14) could undo the
    caller's filters or leave this one in place.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message="Liblinear failed to converge",
            category=ConvergenceWarning,
        )
        yield


def _fit_columns(
    X: sp.csr_matrix,
    targets: np.ndarray,
    sample_weight: np.ndarray,
    C: float,
    norms: bool = False,
    weighting: str = "nb",
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """NB-scaled logistic regressions, one per column of ``targets``.

    Only the features present in documents of positive weight take part (as
    a vectorizer fitted on those documents would have them); the others get
    weight 0, so that a document of weight 0 is one left out.  Returns the
    features' weights, the intercepts and, with ``norms`` (for one column),
    the features' squared ratios, by whose sum each document's features are
    divided (see :func:`_decisions`), else None.  With ``weighting="idf"``
    the features are scaled by their inverse document frequency instead,
    the same for every column, and divided by their norm whatever the
    columns (``norms`` is then implied).
    """
    present = np.flatnonzero(X.T @ (sample_weight > 0))
    X_present = X[:, present]
    # one weighted count of every feature; a column's negatives are the rest
    total = X_present.T @ sample_weight
    n_columns = targets.shape[1]
    coef = np.zeros((X.shape[1], n_columns))
    intercept = np.zeros(n_columns)
    idf = None
    if weighting == "idf":
        idf = _idf(X_present, sample_weight)
        norms = True
    scale = np.zeros(X.shape[1]) if norms else None
    for j, positive in enumerate(targets.T):
        w_pos = sample_weight * positive
        w_neg = sample_weight - w_pos
        if not (w_pos.any() and w_neg.any() and len(present)):
            intercept[j] = _prior(w_pos, w_neg)
            continue
        if idf is None:
            counts = X_present.T @ w_pos
            p = NB_ALPHA + counts
            q = NB_ALPHA + (total - counts)
            # log((p / |p|_1) / (q / |q|_1)), one logarithm per feature
            ratio = np.log(p / q)
            ratio += np.log(q.sum() / p.sum())
        else:
            ratio = idf
        # the features scaled by their ratios (and each document's norm): the
        # same sparsity pattern
        data = X_present.data * ratio[X_present.indices]
        if norms:
            scale[present] = np.square(ratio)
            norm = _norms(X_present @ scale[present])
            data /= np.repeat(norm, np.diff(X_present.indptr))
        scaled = sp.csr_matrix(
            (data, X_present.indices, X_present.indptr), shape=X_present.shape
        )
        weights, intercept[j] = _regression(scaled, positive, sample_weight, C)
        coef[present, j] = ratio * weights
    return coef, intercept, scale


def _prior(w_pos: np.ndarray, w_neg: np.ndarray) -> float:
    """The intercept of a column that no regression can fit: its prior log-odds.

    For one side without weight (a label never or always on), or no
    document of positive weight with a feature: the smoothed log-odds of
    the label's weighted frequency, whatever the features.
    """
    return float(np.log((w_pos.sum() + 0.5) / (w_neg.sum() + 0.5)))


def _regression(
    X: sp.csr_matrix, positive: np.ndarray, sample_weight: np.ndarray, C: float
) -> tuple[np.ndarray, float]:
    """A logistic regression's weights and intercept, by liblinear's dual solver.

    (Fast with more features than samples.)
    """
    model = LogisticRegression(
        C=C,
        solver="liblinear",
        dual=True,
        tol=TOL,
        max_iter=MAX_ITER,
        random_state=0,
    )
    with _LIBLINEAR:
        model.fit(X, positive, sample_weight)
    return model.coef_[0], float(model.intercept_[0])


def _idf(X: sp.csr_matrix, sample_weight: np.ndarray) -> np.ndarray:
    """scikit-learn's smooth IDF of binary rows ``X``, by their weights.

    0 for the columns that no document of positive weight holds: they take
    no part (see :func:`_fit_columns`).
    """
    held = X.T @ (sample_weight > 0) > 0
    idf = np.log((1 + sample_weight.sum()) / (1 + X.T @ sample_weight)) + 1
    return np.where(held, idf, 0.0)


def _fit_char_columns(
    X: sp.csr_matrix,
    targets: np.ndarray,
    sample_weight: np.ndarray,
    C: float,
    *,
    split: int,
    grams: sp.csr_matrix,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The character part's logistic regressions, one per column of ``targets``.

    ``X`` holds the binary presence of the word n-grams (columns below
    ``split``), then of the ids; ``grams`` is the binary matrix from id to
    character n-gram.  A document's row has two sections, each of norm 1
    and divided by ``sqrt(2)``: its word n-grams weighted by their inverse
    document frequency (binary TF-IDF), and the sum of its distinct words'
    vectors of character n-grams weighted by theirs, divided by the square
    root of the sum of the vectors' squared norms (the norm of the sum were
    no two of its words to share an n-gram).  The second section is a sum
    over the words, so that its decision is the sum of each word's,
    computed once for its id: the weights returned are those of the
    columns of ``X`` (:func:`_decisions` with ``split``), and a document's
    character n-grams are never gathered at prediction.  Inverse document
    frequencies are those of the documents of positive weight: the
    character n-grams' of the n-grams that each document's words hold,
    once each.

    Returns the weights, the intercepts and the squares of the columns
    (their inverse document frequencies' for the n-grams, the vectors'
    squared norms for the ids).
    """
    words, ids = X[:, :split], X[:, split:]
    word_idf = _idf(words, sample_weight)
    char_idf = _idf(_binary(ids @ grams), sample_weight)
    vectors = sp.csr_matrix(grams.multiply(char_idf[None, :]))
    scale = np.concatenate(
        [np.square(word_idf), np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel()]
    )
    # each section's rows of norm 1, the two of norm sqrt(2) divided by it
    half = 1 / np.sqrt(2)
    rows = sp.hstack(
        [
            sp.diags(half / _norms(words @ scale[:split])) @ words @ sp.diags(word_idf),
            sp.diags(half / _norms(ids @ scale[split:])) @ (ids @ vectors),
        ],
        "csr",
    )
    coef = np.zeros((X.shape[1], targets.shape[1]))
    intercept = np.zeros(targets.shape[1])
    for j, positive in enumerate(targets.T):
        w_pos = sample_weight * positive
        w_neg = sample_weight - w_pos
        if not (w_pos.any() and w_neg.any() and rows.nnz):
            intercept[j] = _prior(w_pos, w_neg)
            continue
        weights, intercept[j] = _regression(rows, positive, sample_weight, C)
        coef[:split, j] = half * word_idf * weights[:split]
        coef[split:, j] = half * (vectors @ weights[split:])
    return coef, intercept, scale


def _binary(X: sp.csr_matrix) -> sp.csr_matrix:
    """``X`` with 1 wherever it holds a value."""
    X = sp.csr_matrix(X)
    X.data[:] = 1.0
    return X


def _norms(squares: np.ndarray) -> np.ndarray:
    """The documents' norms from their sums of squares; 1 for a norm of 0."""
    norm = np.sqrt(squares)
    norm[norm == 0] = 1.0
    return norm


def _decisions(
    X: sp.csr_matrix,
    coef: np.ndarray,
    intercept: np.ndarray,
    scale: np.ndarray | None,
    split: int | None = None,
) -> np.ndarray:
    """The regressions' decisions for binary features ``X``.

    Each document's features are divided by its norm, ``sqrt(X @ scale)``,
    where ``scale`` holds each feature's square (for the naive Bayes part of
    one column, its squared log-count ratio): a document's scaled features
    then have norm 1, whatever its length.  With ``split``, the features
    below that column and the others are two sections, each divided by its
    own norm (the character part's, :func:`_fit_char_columns`).  Without
    ``scale`` (more columns, or a companion saved before the norms) they are
    divided by 1.
    """
    if scale is None:
        return X @ coef + intercept
    decision = np.zeros((X.shape[0], coef.shape[1]))
    for section in _sections(X, split):
        decision += (section @ coef) / _norms(section @ scale)[:, None]
    return decision + intercept


def _sections(X: sp.csr_matrix, split: int | None) -> list[sp.csr_matrix]:
    """``X`` whole, or with ``split`` its columns below it and the others.

    Each section is ``X`` with the other section's entries 0 (its shape and
    sparsity).
    """
    if split is None:
        return [X]
    return [
        sp.csr_matrix((X.data * section, X.indices, X.indptr), shape=X.shape)
        for section in _section_masks(X.indices, split)
    ]


def _section_masks(column: np.ndarray, split: int | None) -> list[np.ndarray]:
    """Which of the columns are in each section (see :func:`_sections`)."""
    if split is None:
        return [np.ones(len(column), bool)]
    low = column < split
    return [low, ~low]


def _section_decision(
    decision: np.ndarray, squares: np.ndarray, normed: bool
) -> np.ndarray:
    """A section's sums of weights, divided by the norms of its sums of squares."""
    return decision / _norms(squares)[:, None] if normed else decision


def _select_C(
    X: sp.csr_matrix,
    targets: np.ndarray,
    sample_weight: np.ndarray,
    y: np.ndarray,
    head: str,
    norms: bool = False,
    weightings: tuple[str, ...] = ("nb", "idf"),
    idf_grid: tuple[float, ...] = IDF_C_GRID,
) -> tuple[str, float]:
    """The weighting and ``C`` of the grid with the best mean inner-CV accuracy.

    The grid is the naive Bayes ratios' (``"nb"``) with the ``C`` of
    :data:`C_GRID`, or of :data:`NORMS_C_GRID` with ``norms`` (see
    :func:`_fit_columns`), then, with :data:`IDF`, the inverse document
    frequencies' (``"idf"``) with those of ``idf_grid``, if its best
    beats the ratios' by more than :data:`IDF_MARGIN`; the first best on
    ties.  ``weightings=("idf",)`` chooses among the inverse document
    frequencies' alone (the character part's ``C``, of the word n-grams'
    TF-IDF rows), whatever :data:`IDF`, from the smallest ``C`` up, and
    stops at the first that scores below the best before it: fits take
    longer the larger ``C``.

    Accuracy is weighted by the sample weights, and for a multi-label ``y``
    averaged over the labels.  With more than :data:`CV_COLUMNS` classes or
    labels, only the models of the ``CV_COLUMNS`` most frequent take part
    (each trained on every document, as in the final fit), scored on the
    documents of those classes.  Folds are stratified by those classes
    (unshuffled; the other documents as one more class); with fewer than
    :data:`N_FOLDS` documents of one of them, as many folds as it has, and
    with fewer than 2, the middle of the grid.
    """
    grid = []
    if "nb" in weightings:
        grid += [("nb", C) for C in (NORMS_C_GRID if norms else C_GRID)]
    n_nb = len(grid)
    if IDF or not n_nb:
        grid += [("idf", C) for C in idf_grid]
    frequency = sample_weight @ targets
    columns = np.sort(np.argsort(-frequency, kind="stable")[:CV_COLUMNS])
    targets = targets[:, columns]
    if head == "logistic":
        n_splits = min(N_FOLDS, len(y))
        splitter, strata, scored = KFold, None, np.ones(len(y), bool)
    else:
        # a softmax head's column j is class j, but for two classes, whose
        # one column is class 1: both classes are scored
        scored = np.isin(y, columns) if len(frequency) > 1 else np.ones(len(y), bool)
        counts = np.bincount(y[scored])
        n_splits = min(N_FOLDS, counts[counts > 0].min())
        # the other classes' documents make one stratum, or if too few for
        # one in every fold, join the most frequent class's
        other = -1 if (~scored).sum() >= n_splits else int(np.argmax(frequency))
        strata = np.where(scored, y, other)
        splitter = StratifiedKFold
    if n_splits < 2:
        weighting, C = grid[(n_nb or len(grid)) // 2]
        return weighting, float(C)
    folds = list(splitter(n_splits).split(np.zeros(len(y)), strata))
    scores = np.full(len(grid), -np.inf)
    for i, (weighting, C) in enumerate(grid):
        scores[i] = 0.0
        for train, test in folds:
            test = test[scored[test]]
            weight = sample_weight[test]
            coef, intercept, scale = _fit_columns(
                X[train], targets[train], sample_weight[train], C, norms, weighting
            )
            decision = _decisions(X[test], coef, intercept, scale)
            if head == "logistic":
                correct = ((decision > 0) == targets[test]).mean(axis=1)
            elif decision.shape[1] == 1:
                correct = (decision[:, 0] > 0) == targets[test, 0]
            else:
                correct = columns[decision.argmax(axis=1)] == y[test]
            scores[i] += np.average(correct, weights=weight if weight.any() else None)
        scores[i] /= n_splits
        if not n_nb and i and scores[i] < scores[:i].max():
            break  # the character part's grid: past its best
    if not n_nb:
        best = int(np.argmax(scores))
    else:
        best = int(np.argmax(scores[:n_nb]))
        if n_nb < len(grid) and scores[n_nb:].max() > scores[best] + IDF_MARGIN:
            best = n_nb + int(np.argmax(scores[n_nb:]))
    weighting, C = grid[best]
    return weighting, float(C)
