"""The README's example runs and says what it claims."""

import contextlib
import io
import re
import warnings
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_and_predicts_as_commented():
    code = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[0]
    out = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out):
        warnings.simplefilter("ignore")
        exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    assert out.getvalue().strip().splitlines()[-1] == "[1 0]"


def test_readme_gives_the_two_set_up_commands():
    text = README.read_text()
    assert "pip install . && python -m skrnn demo" in text
    assert 'pip install -e ".[test]" && python -m pytest -m "not slow"' in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert 'pip install -e ".[test]" && python -m pytest -m "not slow"' in ci
