"""
The seed post, step by step
===========================

skrnn grew from Victor Zhou's *An Introduction to Recurrent Neural Networks
for Beginners* (2019), which writes a vanilla RNN in numpy and trains it on 50
made-up sentences whose sentiment hangs on word order ("this is good not bad"
against "this is bad not good"). This example rebuilds that experiment with
:class:`~skrnn.RNNTextClassifier` and the post's settings,
:data:`skrnn.SEED_PARAMS`, and prints the post's table of losses and
accuracies every 100 epochs. ``python -m skrnn demo`` runs the same thing.
"""

# %%
# The data
# --------
# 50 training and 25 test sentences, labelled 1 (positive) or 0 (negative).
import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss

from skrnn import SEED_PARAMS, RNNTextClassifier, SequenceVectorizer
from skrnn.datasets import load_toy_sentiment

X_train, y_train = load_toy_sentiment(subset="train", return_X_y=True)
X_test, y_test = load_toy_sentiment(subset="test", return_X_y=True)
for text, label in list(zip(X_train, y_train, strict=True))[:5]:
    print(f"{label}  {text}")

# %%
# The vocabulary
# --------------
# The post builds a vocabulary of the distinct training words and feeds each
# word to the network as a one-hot vector. skrnn's
# :class:`~skrnn.SequenceVectorizer` numbers the words from 2 on, keeping
# id 0 for padding and id 1 for words it has never seen; with
# ``embedding_dim=None`` the network reads one-hot vectors as the post does
# (it gathers rows of ``W_xh`` instead of multiplying by them).
vectorizer = SequenceVectorizer().fit(X_train)
print(f"{len(vectorizer.vocabulary_)} words, {vectorizer.n_vocab_} ids")
print(vectorizer.transform(["this is not bad"]))

# %%
# The network and the training
# ----------------------------
# A tanh RNN with 64 hidden units, the last hidden state fed to a softmax
# layer, plain SGD one sentence at a time with learning rate 0.02 and every
# gradient entry clipped to [-1, 1]:
print(SEED_PARAMS)

# %%
# ``warm_start=True`` lets each call to ``fit`` continue where the last one
# stopped, so we train 100 epochs at a time and print the post's table in
# between. The post trains for 1000 epochs; the test accuracy is already 1.0
# after 100, so we stop at 500 to keep the example quick (set ``N_EPOCHS =
# 1000`` to see the whole table).
N_EPOCHS = 500
EVERY = 100

clf = RNNTextClassifier(
    **{**SEED_PARAMS, "max_iter": EVERY}, warm_start=True, random_state=0
)
with warnings.catch_warnings():
    # Each fit stops at max_iter on purpose.
    warnings.simplefilter("ignore", ConvergenceWarning)
    for _ in range(N_EPOCHS // EVERY):
        clf.fit(X_train, y_train)
        print(f"--- Epoch {clf.n_iter_}")
        for name, X, y in (("Train", X_train, y_train), ("Test", X_test, y_test)):
            loss = log_loss(y, clf.predict_proba(X), labels=clf.classes_)
            print(f"{name}:\tLoss {loss:.3f} | Accuracy: {clf.score(X, y):.3f}")

# %%
# The weights
# -----------
# The post's ``Wxh``, ``Whh`` and ``Why`` are ``W_xh``, ``W_hh`` and ``W_hy``
# here, transposed: skrnn multiplies row vectors, ``h @ W_hh``.
for name, weight in clf.weights_.items():
    print(f"{name:20s} {weight.shape}")

# %%
# The learning curve
# ------------------
# ``loss_curve_`` holds the mean training loss of every epoch, across the
# warm-started calls.
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(range(1, clf.n_iter_ + 1), clf.loss_curve_)
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss (cross-entropy)")
ax.set_title("The seed's RNN on the toy sentiment set")
fig.tight_layout()

# %%
# It reads word order: the same words in another order flip the prediction.
print(clf.predict(["this is good not bad", "this is bad not good", "i am not sad"]))
plt.show()
