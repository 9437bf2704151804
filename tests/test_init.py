"""The package's namespace: public names and subpackages loaded on first use.

The checks of a plain ``import skrnn`` run in a fresh interpreter
(``sys.executable -c``), since this process has long imported every
subpackage.
"""

import subprocess
import sys

import pytest

import skrnn


def _run(script):
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("expression", "name"),
    [
        ("skrnn.datasets.load_trec", "load_trec"),
        ("skrnn.nn.forward", "forward"),
        ("skrnn.plotting.plot_explanation", "plot_explanation"),
    ],
)
def test_subpackages_load_on_first_attribute_access(expression, name):
    # Regression: `import skrnn; skrnn.datasets.load_trec()` raised
    # AttributeError, as scikit-learn's subpackages do not.
    result = _run(f"import skrnn; print({expression}.__name__)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == name


def test_import_skrnn_imports_no_subpackage_and_no_sklearn():
    result = _run(
        "import sys, skrnn\n"
        "prefixes = ('skrnn.', 'sklearn')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(prefixes))\n"
        "assert not loaded, loaded"
    )
    assert result.returncode == 0, result.stderr


def test_skrnn_nn_through_the_package_does_not_import_sklearn():
    result = _run(
        "import sys, skrnn\n"
        "skrnn.nn.CELLS\n"
        "assert not [m for m in sys.modules if m.startswith('sklearn')]"
    )
    assert result.returncode == 0, result.stderr


def test_a_loaded_dataset_is_the_one_of_the_subpackage():
    X, y = skrnn.datasets.load_toy_sentiment(return_X_y=True)
    assert len(X) == len(y) > 0


def test_dir_and_all_list_the_public_names_and_subpackages():
    assert {"datasets", "nn", "plotting", "RNNTextClassifier", "SEED_PARAMS"} <= set(
        skrnn.__all__
    )
    assert set(skrnn.__all__) <= set(dir(skrnn))
    # (a prober's: the module importlib was listed as a public name)
    public = {name for name in dir(skrnn) if not name.startswith("_")}
    assert public <= set(skrnn.__all__)
    for name in skrnn.__all__:
        assert getattr(skrnn, name) is not None, name


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'tests'"):
        skrnn.tests  # noqa: B018
    assert not hasattr(skrnn, "_demo_params")


def test_seed_params_are_public_and_build_the_seed_network():
    from skrnn import SEED_PARAMS, RNNTextClassifier

    clf = RNNTextClassifier(**SEED_PARAMS)
    assert clf.get_params()["cell"] == "rnn"
    assert clf.get_params()["embedding_dim"] is None
    assert {key: clf.get_params()[key] for key in SEED_PARAMS} == SEED_PARAMS
