"""The README's examples run and say what they claim; users are shown public names."""

import contextlib
import io
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

#: What a user reads: the README, the documentation's pages and the examples.
USER_FACING = [
    README,
    *sorted((ROOT / "docs").glob("*.rst")),
    *sorted((ROOT / "docs" / "user_guide").glob("*.rst")),
    *sorted((ROOT / "examples").glob("*.py")),
]


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def _run(code):
    out = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out):
        warnings.simplefilter("ignore")
        exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    return out.getvalue().strip().splitlines()


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_examples_run_and_print_as_commented(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where a README example saves a model
    code = _python_blocks()[index]
    last = code.strip().splitlines()[-1]
    assert last.startswith("print(") and "  # " in last, last
    expected = last.rsplit("  # ", 1)[1]
    assert _run(code)[-1] == expected


def test_readme_gives_the_two_set_up_commands():
    text = README.read_text()
    assert "pip install . && python -m skrnn demo" in text
    assert 'pip install -e ".[test]" && python -m pytest -m "not slow"' in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert 'pip install -e ".[test]" && python -m pytest -m "not slow"' in ci


@pytest.mark.parametrize(
    "shown",
    [
        "skrnn train",  # the command line
        "skrnn predict",
        "skrnn.save(",  # saving
        "skrnn.load(",
        "load_trec",  # the bundled corpora
        "load_movie_reviews",
        "load_sst2",
        "n_jobs=",
        "max_length",  # long documents
        "skrnn.SEED_PARAMS",
    ],
)
def test_readme_tells_a_newcomer(shown):
    assert shown in README.read_text()


def test_readme_links_exist():
    for target in re.findall(r"\]\(([^)#]+)\)", README.read_text()):
        if "://" not in target:
            assert (ROOT / target).exists(), target


@pytest.mark.parametrize("path", USER_FACING, ids=lambda path: path.name)
def test_users_are_shown_public_names_only(path):
    # Regression: the README, the user guide and two examples sent users to
    # skrnn._demo.SEED_PARAMS and skrnn._explain.explain_document.
    private = re.findall(r"\bskrnn(?:\.\w+)*\._(?!_)\w+", path.read_text())
    assert not private, private
