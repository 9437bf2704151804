"""Peak memory and time of reading a CSV file as ``skrnn train`` does.

Two files made in a temporary folder: a table of 200,000 short rows (22 MB)
and one row whose text is a single field of 50 MB. Each is read with
``skrnn._tables.read_table`` (the CSV reader of the command line), in a fresh
process per version and file, alternated; the peak of what Python allocates
(tracemalloc) and the time of a second read are printed::

    python benchmarks/table_memory.py                 # the work tree alone
    python benchmarks/table_memory.py --against HEAD  # and HEAD's, alternated
"""

import argparse
import random
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

from _env import REPO, load_average

READ = r"""
import sys, time, tracemalloc
from skrnn import _tables
path, labelled = sys.argv[1], sys.argv[2] == "1"
text = open(path, encoding="utf-8").read()
tracemalloc.start()
_tables.read_table(text, path, labelled=labelled)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
start = time.perf_counter()
_tables.read_table(text, path, labelled=labelled)
print(time.perf_counter() - start, peak)
"""


def make_files(folder: Path) -> dict[str, tuple[Path, bool]]:
    rng = random.Random(0)
    words = [
        "good",
        "great",
        "fine",
        "lovely",
        "nice",
        "bad",
        "awful",
        "dull",
        "terrible",
        "boring",
        "plot",
    ]
    rows = folder / "rows.csv"
    with rows.open("w", encoding="utf-8") as file:
        file.write("text,label\n")
        for i in range(200_000):
            text = " ".join(rng.choice(words) for _ in range(18))
            file.write(f"{text},{'pos' if i % 2 else 'neg'}\n")
    field = folder / "field.csv"
    field.write_text("text,label\n" + "a" * (50 << 20) + ",x\n", encoding="utf-8")
    size = rows.stat().st_size / 1e6
    return {
        f"200,000 rows ({size:.0f} MB)": (rows, True),
        "one field of 50 MB": (field, False),
    }


def checkout(ref: str, folder: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "skrnn"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", help="a git revision to compare with")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = make_files(folder)
        versions = {"work tree": REPO}
        if args.against:
            versions[args.against] = checkout(args.against, folder / "other")
        print(f"load average before: {load_average()}")
        print("| file | version | peak MB | second read, s (least) |")
        print("|---|---|---:|---:|")
        for name, (path, labelled) in files.items():
            results = {version: [] for version in versions}
            for _ in range(args.repeats):
                for version, root in versions.items():
                    out = subprocess.run(
                        [sys.executable, "-c", READ, str(path), str(int(labelled))],
                        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout.split()
                    results[version].append((float(out[0]), int(out[1])))
            for version, runs in results.items():
                peak = max(peak for _, peak in runs) / 1e6
                seconds = min(seconds for seconds, _ in runs)
                print(f"| {name} | {version} | {peak:.0f} | {seconds:.2f} |")
        print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
