"""The default token pattern on scripts with combining marks.

Usage::

    python benchmarks/scripts.py [--corpora mr,devanagari,arabic,thai,nfd]

Python's ``\\w`` matches no combining mark, so the former default token
pattern, ``r"(?u)\\b\\w+\\b|[^\\w\\s]"``, cut words at their vowel signs,
diacritics and accents.  This script fits the defaults with that pattern,
with the current default (which keeps the marks in their words) and with
``r"\\S+"`` (white space only) on MR and on MR written in other scripts, one
letter of each word as one letter of the script and a combining mark:

- ``devanagari``: a consonant and a vowel sign or the virama (``"film"``
  gives ``"छेटौढाति"``);
- ``arabic``: a letter and a haraka (fatha, kasra, damma, sukun, shadda,
  tanwin), fully vowelled Arabic;
- ``thai``: a consonant and a vowel or tone mark, words between spaces;
- ``nfd``: Latin letters, each vowel and c, n with an accent, decomposed
  (NFD) as text from macOS file names or some web pages is.

Each English word is one word in every script (the transliteration is one to
one), so a tokenizer that keeps words whole sees MR's words, punctuation
included as its own tokens.  MR itself must give the same tokens and the
same model with the former and the current default.

First, the seconds the two defaults take to tokenize MR's 10,662 documents
(the analyzer, ``SequenceVectorizer.fit`` and ``transform``; medians of
``--repeats`` runs, the patterns alternating).  Then every fit is the
estimator's defaults with ``random_state=0``, on one
stratified 80/20 split of MR (``random_state=0``); the table gives test
accuracy, fit seconds, the vocabulary's size and the mean number of tokens a
document.
"""

import argparse
import statistics
import time
import unicodedata
import warnings

import numpy as np
from _env import environment_lines, markdown_table
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skrnn import RNNTextClassifier, SequenceVectorizer
from skrnn._text import _FORMER_TOKEN_PATTERN, DEFAULT_TOKEN_PATTERN
from skrnn.datasets import load_movie_reviews

PATTERNS = {
    "former default": _FORMER_TOKEN_PATTERN,
    "current default": DEFAULT_TOKEN_PATTERN,
    r"\S+": r"\S+",
}

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _table(bases, marks):
    """Each Latin letter as a base letter of the script and a mark."""
    return {
        letter: bases[i % len(bases)] + marks[i % len(marks)]
        for i, letter in enumerate(LETTERS)
    }


#: 26 consonants, and vowel signs and the virama (Mn and Mc).
DEVANAGARI = _table(
    "कखगघचछजझटठडढतथदधनपफबभमयरलव",
    "\u093e\u093f\u0940\u0941\u0942\u0947\u0948\u094b\u094c\u094d\u0943",
)
#: 26 letters, and the harakat (fatha, kasra, damma, sukun, shadda, tanwin).
ARABIC = _table(
    "".join(map(chr, range(0x0628, 0x063B))) + "".join(map(chr, range(0x0641, 0x0648))),
    "\u064e\u0650\u064f\u0652\u0651\u064b\u064d\u064c",
)
#: 26 consonants, and vowel and tone marks above and below (Mn).
THAI = _table(
    "".join(map(chr, range(0x0E01, 0x0E1B))),
    "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e48\u0e49\u0e4a\u0e4b\u0e47",
)
#: Accented vowels and c, n, decomposed: the letter, then its accent.
NFD = {
    letter: unicodedata.normalize("NFD", accented)
    for letter, accented in zip("aeioucn", "áèïôũçñ", strict=True)
}

SCRIPTS = {
    "devanagari": DEVANAGARI,
    "arabic": ARABIC,
    "thai": THAI,
    "nfd": NFD,
}


def transliterate(document, table):
    """`document` with each Latin letter written as `table` says."""
    return "".join(table.get(char, char) for char in document)


def corpus(name, documents):
    """MR's documents, lowercased, in the script `name` (as they are for "mr")."""
    documents = [document.lower() for document in documents]
    if name == "mr":
        return documents
    return [transliterate(document, SCRIPTS[name]) for document in documents]


def tokenizing_seconds(documents, repeats):
    """Median seconds of the analyzer, fit and transform, for each default."""
    times = {label: [] for label in list(PATTERNS)[:2]}
    for _ in range(repeats):
        for label, seconds in times.items():
            vectorizer = SequenceVectorizer(token_pattern=PATTERNS[label])
            analyze = vectorizer.build_analyzer()
            start = time.perf_counter()
            for document in documents:
                analyze(document)
            analyzed = time.perf_counter()
            vectorizer.fit(documents)
            fitted = time.perf_counter()
            vectorizer.transform(documents)
            seconds.append(
                (analyzed - start, fitted - analyzed, time.perf_counter() - fitted)
            )
    return [
        [label, *(f"{statistics.median(run[i] for run in runs):.3f}" for i in range(3))]
        for label, runs in times.items()
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", default="mr,devanagari,arabic,thai,nfd")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    print("\n".join(environment_lines()), end="\n\n")

    X, y = load_movie_reviews(return_X_y=True)
    print("Tokenizing MR, seconds (medians of", args.repeats, "runs):\n")
    headers = ["token pattern", "analyzer", "SequenceVectorizer.fit", "transform"]
    print(markdown_table(headers, tokenizing_seconds(X, args.repeats)), end="\n\n")
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0
    )
    rows = []
    for name in args.corpora.split(","):
        train, test = corpus(name, X_train), corpus(name, X_test)
        tokens = {}
        for label, pattern in PATTERNS.items():
            clf = RNNTextClassifier(token_pattern=pattern, random_state=0)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(train, y_train)
            seconds = time.perf_counter() - start
            analyze = clf.vectorizer_.build_analyzer()
            tokens[label] = [analyze(document) for document in train]
            rows.append(
                [
                    name,
                    f"`{label}`" if label == r"\S+" else label,
                    f"{clf.score(test, y_test):.3f}",
                    f"{seconds:.1f}",
                    len(clf.vectorizer_.vocabulary_),
                    f"{np.mean([len(t) for t in tokens[label]]):.1f}",
                ]
            )
            print(" | ".join(map(str, rows[-1])), flush=True)
        same = tokens["former default"] == tokens["current default"]
        print(f"{name}: former and current defaults give the same tokens: {same}")
    print()
    print(
        markdown_table(
            [
                "corpus",
                "token pattern",
                "accuracy",
                "fit s",
                "vocabulary",
                "tokens a document",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
