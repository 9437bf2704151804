"""Imports point downward: the numpy core knows nothing of scikit-learn.

Each check runs in a fresh interpreter (``sys.executable -c``), since this
process has long imported scikit-learn.
"""

import subprocess
import sys

CORE = [
    "skrnn.nn",
    "skrnn.nn._functional",
    "skrnn.nn._init",
    "skrnn.nn._embedding",
    "skrnn.nn._cells",
    "skrnn.nn._recurrent",
    "skrnn.nn._network",
    "skrnn._batching",
]

# Makes ``skrnn`` an empty namespace over the installed package directory, so
# that importing a submodule does not run ``skrnn/__init__.py``.
WITHOUT_PARENT_INIT = """
import importlib.util, types
spec = importlib.util.find_spec("skrnn")
stub = types.ModuleType("skrnn")
stub.__path__ = list(spec.submodule_search_locations)
sys.modules["skrnn"] = stub
"""

SCRIPT = """
import sys
{prelude}
for module in {modules!r}:
    __import__(module)
leaked = sorted(name for name in sys.modules if name.split(".")[0] == {forbidden!r})
assert not leaked, leaked[:5]
"""


def run_check(modules, forbidden="sklearn", prelude=""):
    script = SCRIPT.format(prelude=prelude, modules=modules, forbidden=forbidden)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )


def test_importing_skrnn_nn_does_not_import_sklearn():
    # ``import skrnn.nn`` first runs ``skrnn/__init__.py``: the package's
    # public names must not pull in scikit-learn eagerly for this to hold.
    result = run_check(["skrnn.nn"])
    assert result.returncode == 0, result.stderr


def test_core_modules_do_not_import_sklearn():
    # The core's own import graph, whatever ``skrnn/__init__.py`` does.
    result = run_check(CORE, prelude=WITHOUT_PARENT_INIT)
    assert result.returncode == 0, result.stderr


def test_the_check_can_fail():
    # The same script flags a package that the core does import.
    result = run_check(CORE, forbidden="numpy", prelude=WITHOUT_PARENT_INIT)
    assert result.returncode != 0
    assert "numpy" in result.stderr
