"""The seed reproduction: ``python -m skrnn demo`` and the seed's settings."""

import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNTextClassifier, SequenceVectorizer
from skrnn._demo import SEED_PARAMS, run_demo
from skrnn.datasets import load_toy_sentiment


def _test_accuracy(random_state, max_iter):
    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    X_test, y_test = load_toy_sentiment(subset="test", return_X_y=True)
    params = {**SEED_PARAMS, "max_iter": max_iter}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RNNTextClassifier(**params, random_state=random_state).fit(X, y)
    return clf.score(X_test, y_test)


@pytest.mark.parametrize(
    "epochs",
    [200, pytest.param(1000, marks=pytest.mark.slow, id="the README's main job")],
)
def test_demo_prints_the_posts_progress_and_reaches_full_accuracy(capsys, epochs):
    clf = run_demo(epochs=epochs, every=100)
    out = capsys.readouterr().out
    assert clf.n_iter_ == epochs
    assert out.count("--- Epoch") == epochs // 100
    last_test_line = [line for line in out.splitlines() if line.startswith("Test:")][-1]
    assert last_test_line.endswith("Accuracy: 1.000")


def test_demo_prints_the_epochs_it_trains_for(capsys):
    # Regression (a prober's finding): the first line printed SEED_PARAMS,
    # 'max_iter': 1000, whatever --epochs said.
    run_demo(epochs=3, every=100)
    first = capsys.readouterr().out.splitlines()[0]
    assert "'max_iter': 3," in first
    assert "'max_iter': 1000" not in first


def test_seed_params_mirror_the_post():
    assert SEED_PARAMS["cell"] == "rnn"
    assert SEED_PARAMS["embedding_dim"] is None
    assert SEED_PARAMS["hidden_size"] == 64
    assert SEED_PARAMS["solver"] == "sgd"
    assert SEED_PARAMS["momentum"] == 0.0
    assert SEED_PARAMS["batch_size"] == 1
    assert SEED_PARAMS["learning_rate_init"] == 0.02
    assert SEED_PARAMS["clip_value"] == 1.0
    assert SEED_PARAMS["dropout"] == 0.0


def test_seed_params_do_not_depend_on_the_defaults():
    # Regression: SEED_PARAMS once left dropout to the estimator's default,
    # so the seed's network silently gained dropout 0.2 when the defaults
    # changed.  Everything but the text handling and the bookkeeping is pinned.
    not_network = {
        "embeddings",
        "freeze_embeddings",
        "random_state",
        "verbose",
        "warm_start",
        "n_jobs",
        "dtype",
        "class_weight",
        "validation_fraction",
        "beta_1",
        "beta_2",
        "epsilon",
        "nesterovs_momentum",
        "power_t",
        "ngram_weight",  # used only with a companion, which the seed has not
        "ngram_blend",
    }
    text = set(SequenceVectorizer().get_params()) | {"truncating"}
    params = set(RNNTextClassifier().get_params())
    assert params - not_network - text - set(SEED_PARAMS) == set()


@pytest.mark.slow  # about 50 s: ten fits one sentence at a time
def test_seed_params_reach_full_accuracy_in_most_random_states():
    # In the seed post's own runs 5 of 10 seeds reach 100% (ANCHORS.md); every
    # run that gets there with these settings does so well before epoch 200.
    hits = [_test_accuracy(seed, max_iter=200) == 1.0 for seed in range(10)]
    assert sum(hits) >= 5, hits


@pytest.mark.slow
def test_seed_params_full_length_in_most_random_states():
    hits = [_test_accuracy(seed, max_iter=1000) == 1.0 for seed in range(10)]
    assert sum(hits) >= 5, hits
