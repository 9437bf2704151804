"""What the benchmark scripts print about the run: load, versions, BLAS, tables."""

import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np

import skrnn

REPO = Path(__file__).resolve().parents[1]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "n/a"


def busy() -> bool:
    """Whether the 1-minute load average exceeds half the number of CPUs."""
    try:
        return os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1)
    except OSError:
        return False


def git_state() -> str:
    """Commit and the uncommitted changes under skrnn/, if any."""
    try:
        head, dirty = (
            subprocess.run(
                ["git", *args],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for args in (
                ["rev-parse", "--short", "HEAD"],
                ["status", "--porcelain", "skrnn"],
            )
        )
    except (OSError, subprocess.CalledProcessError):
        return "n/a"
    changed = dirty.splitlines()
    if not changed:
        return f"{head.strip()}, skrnn/ clean"
    names = ", ".join(line[3:] for line in changed[:5])
    return f"{head.strip()} + uncommitted changes in skrnn/ ({names})"


def blas_lines() -> list[str]:
    """The BLAS libraries numpy loaded, as threadpoolctl reports them."""
    from threadpoolctl import threadpool_info

    lines = [
        f"BLAS: {info['internal_api']} {info.get('version')} "
        f"({info.get('architecture')} kernel, {info['num_threads']} threads) "
        f"from {Path(info['filepath']).name}"
        for info in threadpool_info()
        if info["user_api"] == "blas"
    ]
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS"):
        if name in os.environ:
            lines.append(f"environment: {name}={os.environ[name]}")
    return lines


def environment_lines() -> list[str]:
    """Command line, date, machine and load, versions, BLAS libraries."""
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    return [
        f"command: `{command}`",
        f"date: {now}",
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load_average()}",
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"skrnn {skrnn.__version__} ({git_state()})",
        *blas_lines(),
    ]


def markdown_table(headers, rows) -> str:
    """A markdown table of the given cells, turned into strings."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def run_in_checkout(path: Path, child: str, *args) -> dict:
    """The JSON that ``python -c child args`` prints, importing skrnn from ``path``.

    The child runs in ``path`` (``python -c`` puts the working directory
    first on ``sys.path``), so that an A/B of two checkouts times each.
    """
    out = subprocess.run(
        [sys.executable, "-c", child, *map(str, args)],
        env={"PYTHONPATH": str(path)},
        cwd=path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)
