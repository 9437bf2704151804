"""Tests for skrnn._explain and skrnn.plotting: staged probabilities, occlusion.

Array functions first (the one-pass staged logits against the prefix
definition, on random networks of every architecture), then the estimator
functions on tiny fitted models (last stage equals predict_proba, occlusion
against a brute-force loop, token alignment, empty documents, errors), the
seed's toy network (the flip at "not"), and the plot.
"""

import copy
import dataclasses
import io
import sys
import tracemalloc
import unicodedata
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError

from skrnn import RNNTextClassifier, RNNTextRegressor, _explain
from skrnn import _ngrams as ngrams_module
from skrnn._demo import SEED_PARAMS
from skrnn._explain import (
    Explanation,
    RegressionExplanation,
    _running_logits,
    explain_document,
    explain_documents,
    occlusion_attributions,
    prefix_logits,
    staged_logits,
    staged_outputs,
)
from skrnn._prediction import predict_logits, prediction_batch_size
from skrnn._text import UNK_ID
from skrnn.datasets import load_toy_sentiment
from skrnn.nn import CELLS, POOLINGS, NetworkConfig, init_params
from skrnn.nn._functional import softmax

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X_BIN = [
    "good film",
    "bad film",
    "a good story",
    "a bad story",
    "very good acting",
    "very bad acting",
    "not bad at all",
    "not good at all",
]
Y_BIN = [1, 0, 1, 0, 1, 0, 1, 0]
X_MULTI = ["good film", "bad film", "long film", "good story", "bad story", "long"]
Y_MULTI = ["pos", "neg", "mid", "pos", "neg", "mid"]
TINY = {"hidden_size": 5, "embedding_dim": 3, "max_iter": 3, "random_state": 0}


def tiny(X=X_BIN, y=Y_BIN, **params):
    return RNNTextClassifier(**{**TINY, **params}).fit(X, y)


def random_network(seed=0, n_vocab=7, n_classes=3, **architecture):
    config = NetworkConfig(n_vocab=n_vocab, n_outputs=n_classes, **architecture)
    rng = np.random.default_rng(seed)
    params = init_params(config, rng, np.float64)
    # Nonzero output biases, so that the empty sequence is not uniform.
    params["head.b_y"][:] = rng.normal(size=n_classes)
    lengths = [5, 0, 1, 3, 5, 2]
    sequences = [rng.integers(1, n_vocab, size=n) for n in lengths]
    return params, config, sequences


# ------------------------------------------------------------ array functions


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("embedding_dim", [None, 3])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("cell", CELLS)
def test_one_pass_equals_prefix_definition(cell, pooling, embedding_dim, num_layers):
    params, config, sequences = random_network(
        cell=cell,
        pooling=pooling,
        embedding_dim=embedding_dim,
        num_layers=num_layers,
        hidden_size=4,
    )
    fast = _running_logits(params, sequences, config)
    general = prefix_logits(params, sequences, config)
    for seq, a, b in zip(sequences, fast, general, strict=True):
        assert a.shape == b.shape == (len(seq), config.n_outputs)
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert len({id(block) for block in fast}) == len(fast)  # no shared arrays


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_staged_logits_last_row_is_the_prediction(pooling, bidirectional):
    params, config, sequences = random_network(
        cell="gru", pooling=pooling, bidirectional=bidirectional, hidden_size=4
    )
    staged = staged_logits(params, sequences, config)
    full = predict_logits(params, sequences, config)
    for seq, block, row in zip(sequences, staged, full, strict=True):
        assert block.shape == (len(seq), config.n_outputs)
        if len(seq):
            assert_allclose(block[-1], row, rtol=1e-10, atol=1e-12)


def test_one_pass_refuses_a_bidirectional_network():
    params, config, sequences = random_network(bidirectional=True, hidden_size=4)
    with pytest.raises(ValueError, match="unidirectional"):
        _running_logits(params, sequences, config)


def test_occlusion_of_a_constructed_network_blames_the_last_token_only():
    # W_hh = 0 and "last" pooling: the prediction reads the last token alone,
    # so deleting any other token changes nothing.
    params, config, _ = random_network(hidden_size=4, embedding_dim=3)
    params["layer0.fwd.W_hh"][:] = 0.0
    seq = np.array([2, 3, 4, 5])
    proba, (attributions,) = occlusion_attributions(params, [seq], config)
    c = proba[0].argmax()
    expected_last = proba[0, c] - softmax(predict_logits(params, [seq[:-1]], config))
    assert_array_equal(attributions[:-1], 0.0)
    assert_allclose(attributions[-1], expected_last[0, c])


def test_occlusion_of_one_token_compares_with_the_empty_sequence():
    params, config, _ = random_network(hidden_size=4)
    proba, (attributions,) = occlusion_attributions(params, [np.array([3])], config)
    empty = softmax(params["head.b_y"][None])[0]
    c = proba[0].argmax()
    assert_allclose(attributions, [proba[0, c] - empty[c]])


def test_occlusion_is_the_drop_in_the_predicted_probability():
    params, config, sequences = random_network(n_classes=3, hidden_size=4)
    proba, attributions = occlusion_attributions(params, sequences, config)
    assert_allclose(proba.sum(axis=1), 1.0)
    for seq, p, a in zip(sequences, proba, attributions, strict=True):
        assert a.shape == (len(seq),)
        assert np.all(np.abs(a) <= 1.0)
        if len(seq):
            without = [np.delete(seq, i) for i in range(len(seq))]
            p_without = softmax(predict_logits(params, without, config))
            assert_allclose(a, p[p.argmax()] - p_without[:, p.argmax()], atol=1e-12)


@pytest.mark.parametrize("budget", [1, 7, 40])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_groups_of_variants_give_the_same_results(monkeypatch, budget, bidirectional):
    # A budget of 1 token predicts every variant, or prefix, alone; 7 and 40
    # cut the documents' variants into groups of several sizes.
    params, config, sequences = random_network(
        cell="lstm", bidirectional=bidirectional, num_layers=2, hidden_size=4
    )
    sequences = [*sequences, np.arange(1, 7).repeat(3)]
    proba, attributions = occlusion_attributions(params, sequences, config)
    staged = prefix_logits(params, sequences, config)
    monkeypatch.setattr(_explain, "EXPLAIN_BATCH_TOKENS", budget)
    proba_b, attributions_b = occlusion_attributions(params, sequences, config)
    assert_allclose(proba_b, proba, rtol=0, atol=1e-12)
    for seq, a, b, s, t in zip(
        sequences,
        attributions,
        attributions_b,
        staged,
        prefix_logits(params, sequences, config),
        strict=True,
    ):
        assert b.shape == (len(seq),) and t.shape == (len(seq), config.n_outputs)
        assert_allclose(b, a, rtol=0, atol=1e-12)
        assert_allclose(t, s, rtol=0, atol=1e-12)


@pytest.mark.parametrize("length", [0, 1, 23, 1000, 10_000, 10**6])
def test_staged_batches_stay_within_their_positions(length):
    # The one-pass staged logits keep every step: their batches stay small
    # where prediction's, which do not, grow to 2**20 positions.
    size = _explain._staged_batch_size(length)
    assert 1 <= size <= prediction_batch_size(length)
    assert size * length <= max(_explain.STAGED_BATCH_POSITIONS, length)


def peak_bytes(func, *args):
    """The most memory that ``func`` held at once, numpy's arrays included."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        func(*args)
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("bidirectional", [False, True])
def test_memory_of_occlusion_and_prefixes_is_bounded(monkeypatch, bidirectional):
    # Regression: occlusion built all n x (n - 1) token ids at once (3.35 GiB
    # for a 30,000-token document), and so did the prefixes of a
    # bidirectional network (n (n + 1) / 2).
    monkeypatch.setattr(_explain, "EXPLAIN_BATCH_TOKENS", 2**15, raising=False)
    params, config, _ = random_network(
        n_vocab=50, hidden_size=4, bidirectional=bidirectional
    )
    seq = np.random.default_rng(0).integers(1, 50, size=800)
    peaks = [
        peak_bytes(occlusion_attributions, params, [seq], config),
        peak_bytes(staged_logits, params, [seq], config),
    ]
    # 2**15 tokens of ids are 256 KB; all the variants would be 5 MB.
    assert max(peaks) < 1024**2, peaks


@pytest.mark.parametrize("truncating", ["post", "pre"])
def test_the_companion_reads_a_long_document_a_bounded_number_of_times(
    monkeypatch, truncating
):
    # Regression: occlusion gave the companion each of the window's variants
    # with the rest of the document around it, window x document tokens (16 s
    # for 50,000 tokens with the defaults, 0.8 s before it read the rest).
    clf = tiny(max_length=60, truncating=truncating, ngram_weight=1.0)
    words = np.random.default_rng(0).choice(" ".join(X_BIN).split(), 3000)
    text = " ".join(words)
    read = []
    occurrences = ngrams_module.ngram_occurrences

    def counted(sequences, *args):
        read.append(sum(map(len, sequences)))
        return occurrences(sequences, *args)

    monkeypatch.setattr(ngrams_module, "ngram_occurrences", counted)
    explanation = explain_document(clf, text)
    assert len(explanation.tokens) == 60
    assert sum(read) < 10 * len(words), sum(read)
    # and the window's tokens are taken out of the whole document (which is
    # the companion's prediction of each variant)
    k = explanation.predicted_index
    at = 0 if truncating == "post" else len(words) - 60
    without = [" ".join(np.delete(words, i)) for i in range(at, at + 60, 7)]
    monkeypatch.undo()
    assert_allclose(
        explanation.attributions[::7],
        explanation.proba[k] - clf.predict_proba(without)[:, k],
        rtol=1e-8,
        atol=1e-12,
    )


# ------------------------------------------------------- estimator functions


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_staged_proba_ends_at_predict_proba(pooling, bidirectional):
    clf = tiny(pooling=pooling, bidirectional=bidirectional, cell="lstm")
    X = [*X_BIN, "good but bad", "unseen words only", ""]
    staged = staged_outputs(clf, X)
    proba = clf.predict_proba(X)
    assert len(staged) == len(X)
    for doc, block, row in zip(X, staged, proba, strict=True):
        n_tokens = len(clf.vectorizer_.transform([doc])[0])
        assert block.shape == (n_tokens, 2)
        if n_tokens:
            assert_allclose(block[-1], row, rtol=1e-5, atol=1e-6)
            assert_allclose(block.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_staged_proba_is_predict_proba_of_each_prefix(bidirectional):
    clf = tiny(pooling="mean", bidirectional=bidirectional, num_layers=2)
    doc = "not a good film at all"
    tokens = doc.split()
    prefixes = [" ".join(tokens[: t + 1]) for t in range(len(tokens))]
    (staged,) = staged_outputs(clf, [doc])
    assert_allclose(staged, clf.predict_proba(prefixes), rtol=1e-5, atol=1e-6)


def test_empty_documents():
    clf = tiny(X=X_MULTI, y=Y_MULTI)
    staged = staged_outputs(clf, ["", "good", ""])
    assert [block.shape for block in staged] == [(0, 3), (1, 3), (0, 3)]
    assert staged_outputs(clf, []) == []
    assert explain_documents(clf, []) == []
    explanation = explain_document(clf, "")
    assert explanation.tokens == []
    assert explanation.token_ids.shape == (0,)
    assert explanation.staged_proba.shape == (0, 3)
    assert explanation.attributions.shape == (0,)
    assert_allclose(explanation.proba, clf.predict_proba([""])[0], rtol=1e-6)
    assert explanation.prediction == clf.predict([""])[0]


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_regression_explanation_table_of_an_empty_document(n_outputs):
    # Regression: the table reshaped the empty staged predictions to
    # (0, -1), which numpy refuses ("cannot reshape array of size 0").
    y = np.arange(6.0) if n_outputs == 1 else np.c_[np.arange(6.0), -np.arange(6.0)]
    reg = RNNTextRegressor(**TINY).fit(X_MULTI, y)
    explanation = explain_document(reg, "")
    assert explanation.tokens == []
    lines = str(explanation).splitlines()
    assert len(lines) == 2  # the header, then the prediction
    assert lines[0].split()[2:] == (
        ["f", "occlusion"]
        if n_outputs == 1
        else ["f[0]", "occlusion[0]", "f[1]", "occlusion[1]"]
    )
    values = np.ravel(reg.predict([""])[0])
    assert lines[1] == "prediction: " + ", ".join(f"{v:.3f}" for v in values)


@pytest.mark.parametrize(
    "X, y, params",
    [
        (X_BIN, Y_BIN, {}),
        (X_BIN, Y_BIN, {"bidirectional": True, "pooling": "max", "cell": "gru"}),
        (X_MULTI, Y_MULTI, {"pooling": "mean"}),
    ],
)
def test_occlusion_equals_a_brute_force_loop(X, y, params):
    clf = tiny(X, y, **params)
    text = "a very good film , not bad at all"
    explanation = explain_document(clf, text)
    tokens = explanation.tokens
    k = explanation.predicted_index
    removed = [" ".join(tokens[:i] + tokens[i + 1 :]) for i in range(len(tokens))]
    p_removed = clf.predict_proba(removed)[:, k]
    p_full = clf.predict_proba([text])[0]
    assert_allclose(explanation.proba, p_full, rtol=1e-6)
    assert_allclose(explanation.attributions, p_full[k] - p_removed, atol=1e-6)
    # The top-attributed token is the one whose removal lowers p(prediction)
    # most among all single-token removals.
    top = int(np.argmax(explanation.attributions))
    assert p_removed[top] == pytest.approx(p_removed.min(), abs=1e-6)


def test_explanation_fields():
    clf = tiny(X=X_MULTI, y=Y_MULTI, bidirectional=True)
    text = "Good ZEBRA film!"
    explanation = explain_document(clf, text)
    assert isinstance(explanation, Explanation)
    assert explanation.tokens == ["good", "zebra", "film", "!"]
    assert_array_equal(explanation.token_ids, clf.vectorizer_.transform([text])[0])
    assert explanation.token_ids[1] == UNK_ID
    assert explanation.method == "occlusion"
    assert_array_equal(explanation.classes, clf.classes_)
    assert explanation.prediction == clf.predict([text])[0]
    assert explanation.classes[explanation.predicted_index] == explanation.prediction
    assert explanation.proba.shape == (3,)
    assert explanation.staged_proba.shape == (4, 3)
    assert explanation.attributions.shape == (4,)
    assert_allclose(explanation.staged_proba[-1], explanation.proba, rtol=1e-5)
    text_table = str(explanation)
    assert all(token in text_table for token in explanation.tokens)
    assert f"prediction: {explanation.prediction}" in text_table


def test_text_table_shows_blank_tokens_and_aligns_long_class_names():
    # Regression: a "\n" token split its row, " " showed as nothing, and a
    # long class name pushed the header out of line with the numbers.
    X = ["not bad", "so good", "bad", "good"] * 3
    y = ["a_rather_long_class_name", "another_long_class_name"] * 6
    clf = RNNTextClassifier(analyzer="char", max_iter=2, random_state=0).fit(X, y)
    lines = clf.explain("ab c\nd").to_text().splitlines()
    assert len(lines) == 1 + 6 + 1
    shown = ["a", "b", "' '", "c", "'\\n'", "d"]
    for line, token in zip(lines[1:-1], shown, strict=True):
        assert line[5:].startswith(token + " "), line
    widths = {len(line) for line in lines[:-1]}
    assert len(widths) == 1, lines


def test_text_table_shows_a_class_label_with_a_line_break_as_a_literal():
    # Regression: the label "po\ns" split the header and the last line in two.
    classes = np.array(["neg", "po\ns"])
    explanation = Explanation(
        tokens=["so", "good"],
        token_ids=np.array([2, 3]),
        staged_proba=np.array([[0.4, 0.6], [0.2, 0.8]]),
        prediction=classes[1],
        proba=np.array([0.2, 0.8]),
        attributions=np.array([0.1, 0.3]),
        method="occlusion",
        classes=classes,
    )
    lines = explanation.to_text().splitlines()
    assert len(lines) == 1 + 2 + 1
    assert "p('po\\ns')" in lines[0]
    assert lines[-1] == "prediction: 'po\\ns' (p = 0.800)"


def _terminal_columns(line):
    """Where each column of a table's line ends, as a terminal shows it."""
    widths = [
        0
        if unicodedata.combining(c)
        else 2
        if unicodedata.east_asian_width(c) in "WF"
        else 1
        for c in line
    ]
    ends, column = [], 0
    for char, width in zip(line, widths, strict=True):
        column += width
        if char != " ":
            ends.append(column)
    return ends[-1]


@pytest.mark.parametrize("multilabel", [False, True], ids=["classes", "labels"])
def test_text_table_aligns_wide_characters(multilabel):
    # Regression (a prober's finding): column widths came from len(), which
    # counts a wide character (an emoji, a CJK ideograph) as one column of
    # the two it takes, so the rows of such tokens stuck out.
    tokens = ["a", "🙂🙂🙂", "日本語", "cafe\u0301"]
    classes = np.array([0, 1]) if multilabel else np.array(["neg", "日本"])
    staged = np.linspace(0.1, 0.9, 8).reshape(4, 2)
    explanation = Explanation(
        tokens=tokens,
        token_ids=np.arange(2, 6),
        staged_proba=staged,
        prediction=np.array([0, 1]) if multilabel else classes[1],
        proba=staged[-1],
        attributions=staged if multilabel else staged[:, 1],
        method="occlusion",
        classes=classes,
    )
    lines = explanation.to_text().splitlines()[:-1]
    assert len({_terminal_columns(line) for line in lines}) == 1, lines
    regression = RegressionExplanation(
        tokens=tokens,
        token_ids=np.arange(2, 6),
        staged_prediction=staged[:, 0],
        prediction=staged[-1, 0],
        attributions=staged[:, 1],
        method="occlusion",
    )
    lines = regression.to_text().splitlines()[:-1]
    assert len({_terminal_columns(line) for line in lines}) == 1, lines


@pytest.mark.parametrize("truncating", ["post", "pre"])
def test_tokens_are_truncated_as_the_ids(truncating):
    clf = tiny(max_length=3)
    vectorizer = copy.deepcopy(clf.vectorizer_).set_params(truncating=truncating)
    clf._fitted = dataclasses.replace(clf._fitted, vectorizer=vectorizer)
    text = "a good film , not bad at all"
    explanation = explain_document(clf, text)
    words = text.split()
    assert explanation.tokens == (words[:3] if truncating == "post" else words[-3:])
    assert_array_equal(explanation.token_ids, clf.vectorizer_.transform([text])[0])


def test_explain_documents_equals_one_at_a_time():
    clf = tiny()
    X = ["good film", "", "not bad at all"]
    for batch, text in zip(explain_documents(clf, X), X, strict=True):
        single = explain_document(clf, text)
        assert batch.tokens == single.tokens
        assert_allclose(batch.attributions, single.attributions, atol=1e-6)
        assert_allclose(batch.staged_proba, single.staged_proba, atol=1e-6)


def test_errors():
    with pytest.raises(NotFittedError):
        staged_outputs(RNNTextClassifier(), ["good"])
    with pytest.raises(NotFittedError):
        explain_document(RNNTextClassifier(), "good")
    clf = tiny()
    with pytest.raises(ValueError, match="method must be one of"):
        explain_document(clf, "good", method="integrated_gradients")
    with pytest.raises(TypeError, match="one str document"):
        explain_document(clf, ["good"])
    with pytest.raises(ValueError, match="single string"):
        staged_outputs(clf, "good film")


# ----------------------------------------------------------- the seed's model


@pytest.fixture(scope="module")
def toy_model():
    X, y = load_toy_sentiment(subset="train", return_X_y=True)
    return RNNTextClassifier(**{**SEED_PARAMS, "max_iter": 300}, random_state=0).fit(
        X, y
    )


def test_the_flip_at_not_is_visible(toy_model):
    # Robust directions only (they hold for random_state 0, 1 and 2): "bad"
    # lowers p(positive) after "this is", but raises it after "this is not".
    positive = list(toy_model.classes_).index(1)
    not_bad, bad = staged_outputs(toy_model, ["this is not bad", "this is bad"])
    assert not_bad[2, positive] < not_bad[3, positive]
    assert not_bad[3, positive] > 0.5 > bad[2, positive]
    explanation = explain_document(toy_model, "this is not bad")
    assert explanation.prediction == 1
    # Deleting "not" flips the prediction.
    assert explanation.attributions[explanation.tokens.index("not")] > 0.5


# ------------------------------------------------------------------- plotting


def test_plot_explanation():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skrnn.plotting import plot_explanation

    explanation = explain_document(tiny(), "not a good film at all")
    ax = plot_explanation(explanation)
    try:
        assert [text.get_text() for text in ax.texts] == explanation.tokens
        (line,) = ax.lines[:1]
        assert_allclose(
            line.get_ydata(), explanation.staged_proba[:, explanation.predicted_index]
        )
        _, ax2 = plt.subplots()
        assert plot_explanation(explanation, ax=ax2, colorbar=False) is ax2
    finally:
        plt.close("all")


def test_plot_explanation_draws_dollar_signs_literally():
    # Regression: matplotlib read "$...$" tokens and labels as TeX, and
    # drawing failed on "$\\bad$".
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skrnn.plotting import plot_explanation

    X = [*X_BIN, "price $\\bad$ x", "costs $5$"]
    y = [*map(str, Y_BIN), "$\\pos$", "$\\pos$"]  # strings, as numpy made them
    explanation = explain_document(tiny(X, y, token_pattern=r"\S+"), X[-2])
    ax = plot_explanation(explanation)
    try:
        ax.figure.savefig(io.BytesIO(), format="png")
        assert [text.get_text() for text in ax.texts] == ["price", "$\\bad$", "x"]
    finally:
        plt.close("all")


def test_plot_explanation_draws_blank_and_unprintable_tokens_as_literals():
    # Regression: " " drew an empty patch and "\x00" warned of a glyph
    # missing from the font.
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skrnn.plotting import plot_explanation

    clf = RNNTextClassifier(analyzer="char", max_iter=1, random_state=0)
    explanation = clf.fit(X_BIN, Y_BIN).explain("a \x00")
    ax = plot_explanation(explanation)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ax.figure.savefig(io.BytesIO(), format="png")
        shown = [text.get_text() for text in ax.texts]
        assert shown == ["a", "' '", "'\\x00'"]
    finally:
        plt.close("all")


def test_plot_explanation_refused_arguments_leave_no_figure_open():
    # Regression: an unknown cmap was refused after the figure was made, which
    # stayed open (and showed, empty, in a notebook).
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skrnn.plotting import plot_explanation

    plt.close("all")
    explanation = explain_document(tiny(), "good film")
    with pytest.raises(ValueError, match="not a valid value"):
        plot_explanation(explanation, cmap="no such colormap")
    tagger = RNNTextClassifier(**TINY).fit(X_MULTI, np.eye(6, 2, dtype=int))
    with pytest.raises(ValueError, match="multi-label"):
        plot_explanation(tagger.explain("good film"))
    assert plt.get_fignums() == []


def test_plot_explanation_of_a_regression_is_a_clear_error():
    # Regression: an AttributeError ("no attribute 'predicted_index'").
    from skrnn.plotting import plot_explanation

    reg = RNNTextRegressor(**TINY).fit(X_MULTI, np.arange(6.0))
    with pytest.raises(TypeError, match="the Explanation of a classifier"):
        plot_explanation(reg.explain("good film"))


def test_plot_explanation_without_matplotlib(monkeypatch):
    from skrnn.plotting import plot_explanation

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    explanation = explain_document(tiny(), "good film")
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_explanation(explanation)


def test_staged_probabilities_and_explanations_are_float64_as_predict_proba():
    # Regression: predict_proba gave float64 and these float32, so the last
    # staged row was not predict_proba's.
    X, y = load_toy_sentiment(return_X_y=True)
    clf = RNNTextClassifier(random_state=0, max_iter=3).fit(X, y)
    (staged,) = clf.staged_predict_proba(["good day"])
    assert staged.dtype == np.float64
    assert_array_equal(staged[-1], clf.predict_proba(["good day"])[0])
    explanation = clf.explain("good day")
    for name in ("staged_proba", "proba", "attributions"):
        assert getattr(explanation, name).dtype == np.float64, name


def test_an_explanations_probabilities_are_predict_probas_bits():
    # Regression: prediction gathers the first layer's rows from the table of
    # the whole vocabulary (VocabularyTables) and explain projected the
    # document's ids: at widths whose products' rows depend on the product's
    # other rows (37 units), the two differed in the last bits.
    X, y = load_toy_sentiment(return_X_y=True)
    clf = RNNTextClassifier(
        random_state=0, max_iter=2, hidden_size=37, ngram_range=None
    ).fit(X, y)
    for doc in X[:10]:
        assert_array_equal(clf.explain(doc).proba, clf.predict_proba([doc])[0])
