"""The seed post's experiment, reproduced with RNNTextClassifier."""

import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss

from ._classifier import RNNTextClassifier
from .datasets import load_toy_sentiment

#: The seed post's network and training: a vanilla tanh RNN over one-hot word
#: vectors, hidden size 64, no dropout, plain SGD one sentence at a time with
#: learning rate 0.02, every gradient entry clipped to [-1, 1], 1000 epochs (no
#: early stop).  Every setting is spelled out, so that a change of the
#: estimator's defaults leaves the seed's network alone.
SEED_PARAMS = {
    "cell": "rnn",
    "embedding_dim": None,
    "hidden_size": 64,
    "num_layers": 1,
    "bidirectional": False,
    "pooling": "last",
    "dropout": 0.0,
    "input_dropout": 0.0,
    "alpha": 0.0,
    "solver": "sgd",
    "momentum": 0.0,
    "learning_rate": "constant",
    "learning_rate_init": 0.02,
    "batch_size": 1,
    "shuffle": True,
    "clip_value": 1.0,
    "clip_norm": None,
    "adversarial_epsilon": 0.0,
    "early_stopping": False,
    "max_iter": 1000,
    "tol": 0.0,
    "n_iter_no_change": 1000,
    "n_estimators": 1,
    "ngram_range": None,
    "char_ngram_range": None,
}

#: The random_state with which ``python -m skrnn demo`` is documented.
DEMO_RANDOM_STATE = 0


def run_demo(
    *, epochs: int = 1000, every: int = 100, random_state: int = DEMO_RANDOM_STATE
) -> RNNTextClassifier:
    """Train the seed's RNN on the toy sentiment set and print its progress.

    Every ``every`` epochs, print the training and test loss and accuracy in
    the format of the seed post.

    Parameters
    ----------
    epochs : int, default=1000
        Number of epochs.
    every : int, default=100
        Print after this many epochs.
    random_state : int, default=DEMO_RANDOM_STATE
        Seed of the initial weights and of the shuffling.

    Returns
    -------
    RNNTextClassifier
        The trained classifier.
    """
    X_train, y_train = load_toy_sentiment(subset="train", return_X_y=True)
    X_test, y_test = load_toy_sentiment(subset="test", return_X_y=True)
    params = {**SEED_PARAMS, "max_iter": every}
    clf = RNNTextClassifier(**params, warm_start=True, random_state=random_state)
    # the whole run's settings: its max_iter is the epochs that the fits of
    # ``every`` epochs add up to
    settings = {**SEED_PARAMS, "max_iter": epochs}
    print(
        f"Training the seed's RNN on {len(X_train)} sentences, testing on "
        f"{len(X_test)}: {settings}, random_state={random_state}"
    )
    fit_seconds = 0.0
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for done in range(0, epochs, every):
            clf.set_params(max_iter=min(every, epochs - done))
            tick = time.perf_counter()
            clf.fit(X_train, y_train)
            fit_seconds += time.perf_counter() - tick
            print(f"--- Epoch {clf.n_iter_}")
            for name, X, y in (("Train", X_train, y_train), ("Test", X_test, y_test)):
                loss = log_loss(y, clf.predict_proba(X), labels=clf.classes_)
                print(f"{name}:\tLoss {loss:.3f} | Accuracy: {clf.score(X, y):.3f}")
    total = time.perf_counter() - start
    print(f"Done in {total:.1f} s ({fit_seconds:.1f} s of it training).")
    return clf
