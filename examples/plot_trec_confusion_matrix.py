"""
Six classes: TREC questions and a confusion matrix
==================================================

The TREC question classification set labels 5,952 questions with the type of
their answer: a description, an entity, an abbreviation, a person, a location
or a number. :class:`~skrnn.RNNTextClassifier` handles any number of classes
with a softmax output layer; scikit-learn's
:class:`~sklearn.metrics.ConfusionMatrixDisplay` shows which types it
confuses.
"""

# %%
# The data
# --------
import matplotlib.pyplot as plt
from sklearn.metrics import ConfusionMatrixDisplay, classification_report

from skrnn import RNNTextClassifier
from skrnn.datasets import load_trec

train = load_trec(subset="train")
test = load_trec(subset="test")
print(f"{len(train.data)} training and {len(test.data)} test questions")
for text, label in list(zip(test.data, test.target, strict=True))[:4]:
    print(f"{train.target_names[label]:5s} {text}")

# %%
# A GRU
# -----
# The first words of a question ("who", "how many", "what is the
# abbreviation") decide most of its type, so a bidirectional GRU, whose
# backward direction ends on the first word, is a good fit. Ten epochs take
# about ten seconds.
clf = RNNTextClassifier(
    cell="gru",
    bidirectional=True,
    embedding_dim=32,
    hidden_size=32,
    learning_rate_init=0.005,
    max_iter=10,
    random_state=0,
)
clf.fit(train.data, train.target)
print(f"test accuracy: {clf.score(test.data, test.target):.3f}")

# %%
# Per-class scores
# ----------------
y_pred = clf.predict(test.data)
print(classification_report(test.target, y_pred, target_names=test.target_names))

# %%
# The confusion matrix
# --------------------
# Rows are the true types, columns the predicted ones; ``normalize="true"``
# turns every row into the share of that type's questions. Entities (ENTY),
# the broadest type ("What is the best-selling book?", "What color is
# ..."), are confused most often; abbreviations (ABBR) have only nine test
# questions, so each mistake moves their row by 0.11.
fig, ax = plt.subplots(figsize=(5.5, 5))
ConfusionMatrixDisplay.from_predictions(
    test.target,
    y_pred,
    display_labels=test.target_names,
    normalize="true",
    values_format=".2f",
    cmap="Blues",
    colorbar=False,
    ax=ax,
)
ax.set_title("TREC test questions, bidirectional GRU")
fig.tight_layout()
plt.show()
