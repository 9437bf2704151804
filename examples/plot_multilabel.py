"""
Several labels per document: tagging pairs of TREC questions
============================================================

A document may carry several labels at once: the topics of a story, the tags
of a forum post. Given a binary indicator matrix as ``y`` (one column per
label, as :class:`~sklearn.preprocessing.MultiLabelBinarizer` makes it),
:class:`~skrnn.RNNTextClassifier` gives each label its own probability, a
logistic output trained on the binary cross-entropy, as scikit-learn's
:class:`~sklearn.neural_network.MLPClassifier` does.

The documents here are built from the bundled TREC questions by a rule: each
document is one question, or two questions of different types joined into
one text, and its labels are the types of the questions it holds (a
description, an entity, an abbreviation, a person, a location, a number).
A model has to find every question in the text and tell its type. It is
compared with the usual linear baseline, one logistic regression per label
(:class:`~sklearn.multiclass.OneVsRestClassifier`) on TF-IDF features.
"""

# %%
# The documents
# -------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, hamming_loss
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MultiLabelBinarizer

from skrnn import RNNTextClassifier
from skrnn.datasets import load_trec


def tagged_documents(questions, types, n_documents, seed):
    """One question, or two of different types, per document, with their types."""
    rng = np.random.default_rng(seed)
    documents, tags = [], []
    while len(documents) < n_documents:
        i, j = rng.integers(len(questions), size=2)
        if rng.random() < 0.5 or types[i] == types[j]:
            documents.append(questions[i])
            tags.append({types[i]})
        else:
            documents.append(f"{questions[i]} {questions[j]}")
            tags.append({types[i], types[j]})
    return documents, tags


train, test = load_trec(subset="train"), load_trec(subset="test")
names = np.array(train.target_names)
X_train, tags_train = tagged_documents(
    train.data, names[train.target], n_documents=4000, seed=0
)
X_test, tags_test = tagged_documents(
    test.data, names[test.target], n_documents=1000, seed=1
)
binarizer = MultiLabelBinarizer(classes=train.target_names)
Y_train = binarizer.fit_transform(tags_train)
Y_test = binarizer.transform(tags_test)
for text, labels in list(zip(X_train, tags_train, strict=True))[:3]:
    print(f"{sorted(labels)}  {text}")
print(f"labels per document: {Y_train.sum(axis=1).mean():.2f} on average")

# %%
# The two models
# --------------
# The network reads each document whole; a bidirectional GRU sees every
# question from its first word, which decides most of its type. By default
# the classifier blends it with an n-gram companion (NBSVM-bi, one per label).
rnn = RNNTextClassifier(bidirectional=True, max_iter=15, random_state=0)
rnn.fit(X_train, Y_train)
linear = make_pipeline(
    TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
    OneVsRestClassifier(LogisticRegression(C=10, max_iter=1000)),
).fit(X_train, Y_train)

scores = {}
for name, model in (("RNNTextClassifier", rnn), ("TF-IDF + one-vs-rest LR", linear)):
    Y_pred = model.predict(X_test)
    scores[name] = {
        "F1 (samples)": f1_score(Y_test, Y_pred, average="samples"),
        "subset accuracy": accuracy_score(Y_test, Y_pred),
        "1 - Hamming loss": 1 - hamming_loss(Y_test, Y_pred),
    }
    print(name, {metric: round(value, 3) for metric, value in scores[name].items()})

# %%
# What the classifier predicts
# ----------------------------
# ``predict`` gives the indicator matrix, which the binarizer turns back into
# labels; ``predict_proba`` the probability of each label, independently of
# the others (a row need not sum to one).
document = "How many miles is it to Chicago ? What does NASA stand for ?"
print(binarizer.inverse_transform(rnn.predict([document])))
proba = rnn.predict_proba([document])[0]
print(dict(zip(binarizer.classes_, proba.round(3), strict=True)))

# %%
# ``explain`` attributes each label's probability to the words, one column per
# label (``str(explanation)`` is the whole table). The words that raise each
# predicted label the most:
explanation = rnn.explain(document)
for k in np.flatnonzero(explanation.prediction):
    top = np.argsort(explanation.attributions[:, k])[::-1][:3]
    words = [explanation.tokens[i] for i in top]
    print(f"{binarizer.classes_[k]}: {words}")

# %%
# The scores side by side
# -----------------------
fig, ax = plt.subplots(figsize=(6, 3))
metrics = list(next(iter(scores.values())))
width = 0.8 / len(scores)
for k, (name, values) in enumerate(scores.items()):
    ax.bar(
        np.arange(len(metrics)) + k * width, list(values.values()), width, label=name
    )
ax.set_xticks(np.arange(len(metrics)) + width * (len(scores) - 1) / 2, metrics)
ax.set_ylim(0, 1)
ax.legend(loc="lower right")
ax.set_title("Pairs of TREC questions, 1,000 test documents")
fig.tight_layout()
plt.show()
