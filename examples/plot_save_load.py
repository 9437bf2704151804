"""
Saving a model and serving its predictions
==========================================

:func:`skrnn.save` writes a fitted :class:`~skrnn.RNNTextClassifier` to one
file and :func:`skrnn.load` reads it back. The file is a ZIP archive of JSON
and NumPy arrays, never a pickle, so loading a model cannot run code hidden
in it: a model file from someone else is as safe to open as a CSV file.
(Pickle and joblib work too, for files you made yourself.)
"""

# %%
# Train a small model
# -------------------
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np

import skrnn
from skrnn import RNNTextClassifier
from skrnn.datasets import load_toy_sentiment

train = load_toy_sentiment(subset="train")
labels = np.array(train.target_names)[train.target]  # "negative", "positive"
clf = RNNTextClassifier(
    cell="gru", hidden_size=16, learning_rate_init=0.01, max_iter=100, random_state=0
)
clf.fit(train.data, labels)

# %%
# Save it
# -------
folder = Path(tempfile.mkdtemp())
path = folder / "sentiment.skrnn"
skrnn.save(clf, path)
print(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB")

# %%
# Two members: ``metadata.json`` (parameters, vocabulary, classes, training
# state) and ``arrays.npz`` (the weights and the optimizer's state).
with zipfile.ZipFile(path) as archive:
    print(archive.namelist())
    metadata = json.loads(archive.read("metadata.json"))
print({key: metadata[key] for key in ("format", "format_version", "estimator")})

# %%
# Load it, in another process or on another machine
# -------------------------------------------------
# The loaded model predicts exactly what the saved one did, and it can go on
# training (``fit`` with ``warm_start=True``, or ``partial_fit`` for a model
# without the n-gram companion, ``ngram_range=None``).
model = skrnn.load(path)
texts = ["i am very good", "this is not good", "i am not sad at all"]
assert (model.predict_proba(texts) == clf.predict_proba(texts)).all()
print(model.predict(texts))

# %%
# Serve predictions
# -----------------
# A web framework or a queue consumer needs only a function from texts to
# JSON-ready results. The model is loaded once, at start-up; prediction does
# not change it, so one model can serve many requests.


def make_predictor(model_path):
    """Load a model once and return a function that labels texts."""
    model = skrnn.load(model_path)

    def predict(texts):
        proba = model.predict_proba(texts)
        best = proba.argmax(axis=1)
        return [
            {
                "text": text,
                "label": str(model.classes_[k]),
                "confidence": round(float(p[k]), 3),
            }
            for text, p, k in zip(texts, proba, best, strict=True)
        ]

    return predict


predict = make_predictor(path)
print(json.dumps(predict(["i am good right now", "this was not well"]), indent=2))

# %%
# The same file works from the command line, where ``skrnn train`` writes
# such files too (the columns are tab separated):
#
# .. code-block:: console
#
#    $ echo "this was not well" | skrnn predict sentiment.skrnn --proba
#    label     negative  positive
#    negative  0.851087  0.148913

shutil.rmtree(folder)  # clean up the temporary folder
