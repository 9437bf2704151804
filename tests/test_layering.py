"""Imports point downward: the numpy core knows nothing of scikit-learn.

Each check runs in a fresh interpreter (``sys.executable -c``), since this
process has long imported scikit-learn.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CORE = [
    "skrnn.nn",
    "skrnn.nn._functional",
    "skrnn.nn._heads",
    "skrnn.nn._init",
    "skrnn.nn._embedding",
    "skrnn.nn._cells",
    "skrnn.nn._recurrent",
    "skrnn.nn._network",
    "skrnn.nn._registry",
    "skrnn.nn._streaming",
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


# --------------------------------------------------- imports point one way

PACKAGE = Path(__file__).resolve().parents[1] / "skrnn"

#: Modules below the estimators: none may import an estimator, persistence or
#: the command line, even inside a function.
BELOW_THE_ESTIMATORS = (
    "skrnn._batching",
    "skrnn._embeddings",
    "skrnn._explain",
    "skrnn._fitted",
    "skrnn._ngrams",
    "skrnn._optimizers",
    "skrnn._prediction",
    "skrnn._progress",
    "skrnn._text",
    "skrnn._threads",
    "skrnn._training",
    "skrnn._versioning",
    *CORE,
)
ABOVE = (
    "skrnn._base",
    "skrnn._classifier",
    "skrnn._regressor",
    "skrnn._persistence",
    "skrnn._cli",
    "skrnn._demo",
)


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path):
    """The skrnn modules a module imports, at any depth of its code."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = node.module or ""
            if node.level:
                target = f"{base}.{target}" if target else base
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {module for module in found if module in MODULES and module != name}


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _reachable(start):
    seen, todo = set(), [start]
    while todo:
        for module in GRAPH[todo.pop()]:
            if module not in seen:
                seen.add(module)
                todo.append(module)
    return seen


def test_no_module_imports_itself_through_others():
    # The package's __init__ files re-export their submodules: a submodule
    # importing its package is not a circle of the code.
    circles = [
        name
        for name in GRAPH
        if name in _reachable(name) and not name.endswith(("skrnn", ".nn", "datasets"))
    ]
    assert not circles, circles


@pytest.mark.parametrize("module", BELOW_THE_ESTIMATORS)
def test_modules_below_the_estimators_do_not_import_them(module):
    assert module in MODULES, module
    assert not set(ABOVE) & _reachable(module)
