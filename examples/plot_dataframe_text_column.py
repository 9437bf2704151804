"""
A text column of a DataFrame, in a pipeline
===========================================

Data often come as a table: a column of text beside columns of numbers.
:class:`~skrnn.RNNTextClassifier` reads text only, so a
:class:`~sklearn.compose.ColumnTransformer` hands it the text column, and the
numbers go to a model of their own. This example shows that composition on
the TREC questions, and the right place for the tokenizing options: the
classifier's own parameters, not a :class:`~skrnn.SequenceVectorizer` step
before it.
"""

# %%
# A table of questions
# --------------------
# The TREC questions, labelled with the type of their answer (a person, a
# location, a number...), put in a DataFrame with two numeric columns: the
# number of words and of characters of each question.
import warnings

import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.ensemble import VotingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNTextClassifier, SequenceVectorizer
from skrnn.datasets import load_trec

# Two epochs stop before convergence on purpose, to keep the example quick.
warnings.simplefilter("ignore", ConvergenceWarning)


def as_table(bunch):
    """The questions as a DataFrame, and their types as labels."""
    questions = pd.Series(bunch.data)
    table = pd.DataFrame(
        {
            "question": questions,
            "n_words": questions.str.split().str.len(),
            "n_chars": questions.str.len(),
        }
    )
    return table, pd.Series(bunch.target).map(dict(enumerate(bunch.target_names)))


train, y_train = as_table(load_trec(subset="train"))
test, y_test = as_table(load_trec(subset="test"))
print(train.head())

# %%
# The text column through a ColumnTransformer
# -------------------------------------------
# ``make_column_transformer(("passthrough", ["question"]))`` passes on one
# column, as an array of shape (n_samples, 1); the classifier reads a single
# column as its documents (a one-column DataFrame, ``train[["question"]]``,
# works the same way, and so does the Series ``train["question"]``).
text_model = make_pipeline(
    make_column_transformer(("passthrough", ["question"])),
    RNNTextClassifier(max_iter=2, random_state=0),
)
text_model.fit(train, y_train)
print(f"text only:    {text_model.score(test, y_test):.3f}")

# %%
# Handed the whole table, the classifier says which column to select.
try:
    RNNTextClassifier().fit(train, y_train)
except ValueError as error:
    print(error)

# %%
# Numbers beside the text
# -----------------------
# A recurrent network cannot read the numeric columns, but another model can:
# a logistic regression on the scaled numbers. Soft voting averages the
# probabilities of the two pipelines, each reading its own columns.
number_model = make_pipeline(
    make_column_transformer((StandardScaler(), ["n_words", "n_chars"])),
    LogisticRegression(),
)
both = VotingClassifier(
    [("text", text_model), ("numbers", number_model)], voting="soft", weights=[3, 1]
)
both.fit(train, y_train)
print(f"numbers only: {number_model.fit(train, y_train).score(test, y_test):.3f}")
print(f"both, voting: {both.score(test, y_test):.3f}")

# %%
# The lengths of a question say little about the type of its answer, and the
# vote is no better than the text alone; numbers that carry information of
# their own (a rating, a price, a date) are where such a combination pays.
# :class:`~sklearn.ensemble.StackingClassifier` learns the weights instead,
# at the cost of fitting each model once per fold.

# %%
# Tokenizing options belong to the classifier
# -------------------------------------------
# :class:`~skrnn.RNNTextClassifier` tokenizes the text itself with a
# :class:`~skrnn.SequenceVectorizer` it fits inside; a vectorizer step before
# it would hand it token ids instead of text, and the error says what to do.
try:
    make_pipeline(SequenceVectorizer(min_df=2), RNNTextClassifier()).fit(
        train["question"], y_train
    )
except TypeError as error:
    print(error)

# %%
# So the tokenizing parameters (``min_df``, ``stop_words``, ``token_pattern``,
# ``max_length``...) are set on the classifier, in the pipeline as
# ``rnntextclassifier__min_df``, which a grid search can tune like any other.
# Here words seen in a single question become the unknown word.
text_model.set_params(rnntextclassifier__min_df=2).fit(train, y_train)
vectorizer = text_model[-1].vectorizer_
print(f"min_df=2:     {text_model.score(test, y_test):.3f}")
print(f"{len(vectorizer.vocabulary_)} words kept;", end=" ")
question = "What is the tallest volcano in Ecuador ?"
print(vectorizer.inverse_transform(vectorizer.transform([question]))[0])
