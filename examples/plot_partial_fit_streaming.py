"""
Streaming a corpus too large for memory with partial_fit
========================================================

``fit`` needs all the documents at once. ``partial_fit`` trains for one pass
over whatever chunk of documents it is given, so a corpus can be streamed
from disk, a database or a message queue, one chunk at a time, and the model
updated as chunks arrive, as scikit-learn's ``SGDClassifier`` and
``MLPClassifier`` allow.

One thing must be settled before the first chunk: the vocabulary, since the
network's embedding table has one row per word. Here a first streaming pass
counts the words with the model's own tokenizer and fixes the vocabulary
through the ``vocabulary=`` parameter. (The simpler alternative is to fit a
:class:`~skrnn.SequenceVectorizer` on the first chunk, or to let the first
``partial_fit`` call learn it; words first seen later are then unknown
words.)
"""

# %%
# A corpus on disk
# ----------------
# We write the 10,662 movie review sentences (MR), shuffled, to a text file
# in the ``label<TAB>text`` format of skrnn's bundled data, keep the last
# 1,000 for testing, and pretend the file is too large to load.
import tempfile
from collections import Counter
from itertools import islice
from pathlib import Path

import numpy as np

from skrnn import RNNTextClassifier, SequenceVectorizer
from skrnn.datasets import load_movie_reviews

X, y = load_movie_reviews(return_X_y=True)
order = np.random.default_rng(0).permutation(len(X))
folder = Path(tempfile.mkdtemp())
corpus = folder / "mr_train.tsv"
with corpus.open("w", encoding="utf-8", newline="\n") as f:
    f.writelines(f"{y[i]}\t{X[i]}\n" for i in order[:-1000])
X_test = [X[i] for i in order[-1000:]]
y_test = y[order[-1000:]]


def read_chunks(path, chunk_size):
    """Yield (texts, labels) chunks of a label<TAB>text file, lazily."""
    with open(path, encoding="utf-8", newline="\n") as f:
        lines = (line.rstrip("\n").split("\t", 1) for line in f)
        while chunk := list(islice(lines, chunk_size)):
            labels, texts = zip(*chunk, strict=True)
            yield list(texts), np.array(labels, dtype=np.int64)


# %%
# First pass: the vocabulary
# --------------------------
# :meth:`SequenceVectorizer.build_analyzer <skrnn.SequenceVectorizer.build_analyzer>`
# is the tokenizer that the classifier will use, so counting its tokens chunk
# by chunk gives exactly the words the model will see. We keep the words seen
# at least twice; the rest become the unknown-word id.
analyzer = SequenceVectorizer().build_analyzer()
counts = Counter()
for texts, _ in read_chunks(corpus, chunk_size=1000):
    for text in texts:
        counts.update(analyzer(text))
vocabulary = sorted(word for word, n in counts.items() if n >= 2)
print(f"{len(counts)} distinct words, {len(vocabulary)} seen at least twice")

# %%
# Second pass onwards: training chunk by chunk
# --------------------------------------------
# The first call to ``partial_fit`` must name every class. Each call is one
# pass of the optimizer over the chunk; Adam's state carries over between
# calls, so a pass over all the chunks is one epoch over the corpus. The
# n-gram companion of the defaults needs all the documents at once, so it is
# switched off (``ngram_range=None``): ``partial_fit`` trains the network alone.
clf = RNNTextClassifier(
    ngram_range=None,
    cell="gru",
    embedding_dim=32,
    hidden_size=32,
    vocabulary=vocabulary,
    learning_rate_init=0.005,
    random_state=0,
)
for epoch in range(1, 4):
    for texts, labels in read_chunks(corpus, chunk_size=1000):
        clf.partial_fit(texts, labels, classes=[0, 1])
    print(
        f"epoch {epoch}: {clf.t_} documents seen, "
        f"last chunk's loss {clf.loss_curve_[-1]:.3f}, "
        f"test accuracy {clf.score(X_test, y_test):.3f}"
    )

# %%
# The vocabulary is the one we gave: ids 2, 3, ... in its order.
print(clf.vectorizer_.n_vocab_ == len(vocabulary) + 2)
print(clf.vectorizer_.transform(["an utterly charming film ."]))
corpus.unlink()
folder.rmdir()
