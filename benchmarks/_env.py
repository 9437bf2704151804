"""What the benchmark scripts print about the run: load and code version."""

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "n/a"


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
