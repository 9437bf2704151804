"""Hostile, damaged and unlucky model files: what skrnn.load and skrnn.save do.

Three parts, all by default::

    python benchmarks/fuzz_model_files.py                        # ~10 min
    python benchmarks/fuzz_model_files.py --part files
    python benchmarks/fuzz_model_files.py --part fuzz --mutants 100000 --seed 1
    python benchmarks/fuzz_model_files.py --part faults --kills 200

``files``
    Named hostile or mistaken files (pickles, joblib files, plain ZIP
    archives, decompression bombs, forged ``.npy`` headers, a regular
    expression that backtracks catastrophically, ...): the outcome of
    ``skrnn.load``, its peak memory (tracemalloc: what Python and numpy
    allocate) and time.
``fuzz``
    Seeded mutants of four saved models, made by the mutations of
    ``tests/_model_files.py`` (the test suite runs a few hundred of them):
    each must load and predict, or be refused with the documented
    ValueError. Anything else (another exception, a load or prediction
    slower than ``--timeout`` seconds) is counted and, with ``--keep``,
    written out for reproduction.
``faults``
    Saves that replace a small model with a large one: processes killed
    with SIGKILL or SIGTERM at random times during their saves, Ctrl-C at
    random times, saves from several processes at once, a full disk
    (``RLIMIT_FSIZE``). The file must always be the old model or the new.

Prints Markdown, as ``docs/user_guide/reliability.rst`` reports it. POSIX
only (fork, signals, resource limits).
"""

import argparse
import bz2
import collections
import datetime
import io
import json
import os
import pickle
import platform
import shlex
import signal
import sys
import tempfile
import time
import tracemalloc
import warnings
import zipfile
import zlib
from pathlib import Path

import joblib
import numpy as np
import sklearn
from _env import REPO, git_state, load_average

import skrnn
from skrnn import RNNTextClassifier
from skrnn._persistence import FORMAT_VERSION

sys.path.insert(0, str(REPO / "tests"))
import _model_files

X = [
    "good film",
    "bad film",
    "a good story",
    "a bad story",
    "very good acting!",
    "very bad acting.",
    "good",
    "bad",
]
Y = ["pos", "neg"] * 4
TINY = {"hidden_size": 4, "embedding_dim": 4, "max_iter": 2, "random_state": 0}


def header() -> str:
    """Command line, date, versions, machine."""
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    lines = [
        f"command: `{command}`",
        f"date: {now}",
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load_average()}",
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, "
        f"skrnn {skrnn.__version__} ({git_state()}), "
        f"from {Path(skrnn.__file__).parent}",
    ]
    return "\n".join(f"- {line}" for line in lines)


def fit(X=X, y=Y, estimator=RNNTextClassifier, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator(**{**TINY, **params}).fit(X, y)


def saved(model) -> bytes:
    buffer = io.BytesIO()
    skrnn.save(model, buffer)
    return buffer.getvalue()


def big_model(n_words=5000, random_state=0):
    """A model file of about 2 MB: its saves take a while."""
    words = ["good", "bad"] + [f"w{i}" for i in range(n_words)]
    return fit(
        vocabulary=words,
        embedding_dim=32,
        hidden_size=8,
        max_iter=1,
        random_state=random_state,
    )


class Timeout(BaseException):
    """A load or prediction ran longer than allowed."""


def _timeout(signum, frame):
    raise Timeout


def limited(seconds, function, *args, **kwargs):
    """``function(*args, **kwargs)``, interrupted by Timeout after ``seconds``."""
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return function(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def short(message: str, width: int = 150) -> str:
    message = " ".join(message.split()).replace("|", "\\|")
    return message if len(message) <= width else message[: width - 3] + "..."


# -------------------------------------------------------------------- files


def _members(data):
    return _model_files.read_members(data)


def _with_metadata(edit):
    """A model file whose metadata.json ``edit`` changed."""
    members = _members(saved(fit()))
    metadata = json.loads(members["metadata.json"])
    edit(metadata)
    members["metadata.json"] = json.dumps(metadata).encode()
    return _model_files.pack(members)


def _metadata_bomb(mebibytes):
    members = _members(saved(fit()))
    stream, crc = _model_files.deflated_spaces(mebibytes)
    npz = members["arrays.npz"]
    return _model_files.raw_zip(
        [
            ("metadata.json", zipfile.ZIP_DEFLATED, stream, crc, mebibytes << 20),
            ("arrays.npz", zipfile.ZIP_STORED, npz, zlib.crc32(npz), len(npz)),
        ]
    )


def _bzip2_metadata(mebibytes):
    members = _members(saved(fit()))
    stream = bz2.compress(b" " * (mebibytes << 20))
    crc = zlib.crc32(b" " * (mebibytes << 20))
    npz = members["arrays.npz"]
    return _model_files.raw_zip(
        [
            ("metadata.json", zipfile.ZIP_BZIP2, stream, crc, mebibytes << 20),
            ("arrays.npz", zipfile.ZIP_STORED, npz, zlib.crc32(npz), len(npz)),
        ]
    )


def _array_bomb(mebibytes):
    """arrays.npz deflated, holding embed.E deflated to ``mebibytes`` MiB."""
    members = _members(saved(fit()))
    npz = _members(members["arrays.npz"])
    header = _model_files.npy_header((mebibytes << 17,))
    stream, crc = _model_files.deflated_spaces(mebibytes, prefix=header, fill=b"\0")
    inner = [
        (name, zipfile.ZIP_STORED, content, zlib.crc32(content), len(content))
        for name, content in npz.items()
        if name != "weights/embed.E.npy"
    ]
    size = len(header) + (mebibytes << 20)
    inner.append(("weights/embed.E.npy", zipfile.ZIP_DEFLATED, stream, crc, size))
    arrays = _model_files.raw_zip(inner)
    return _model_files.pack(
        {**members, "arrays.npz": arrays}, methods={"arrays.npz": zipfile.ZIP_DEFLATED}
    )


def _huge_shape():
    members = _members(saved(fit()))
    npz = _members(members["arrays.npz"])
    npz["weights/embed.E.npy"] = _model_files.npy_header((2**40,)) + bytes(64)
    return _model_files.pack({**members, "arrays.npz": _model_files.pack(npz)})


def _npz_member(name, content):
    members = _members(saved(fit()))
    npz = {**_members(members["arrays.npz"]), name: content}
    return _model_files.pack({**members, "arrays.npz": _model_files.pack(npz)})


def _deep_stop_words():
    members = _members(saved(fit()))
    text = members["metadata.json"].decode()
    deep = "[" * 900 + "]" * 900
    text = text.replace('"stop_words": null', f'"stop_words": {deep}', 1)
    return _model_files.pack({**members, "metadata.json": text.encode()})


def _joblib(**kwargs):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "model.joblib")
        joblib.dump(fit(), path, **kwargs)
        return path.read_bytes()


def _npz():
    buffer = io.BytesIO()
    np.savez(buffer, weights=np.zeros(3))
    return buffer.getvalue()


REDOS = r"(?:a|a)+b|\w+"
RANDOM_STATE = {"key": [1] * 624, "pos": 10**6, "has_gauss": 0, "gauss": 0.0}

#: Each named file: how to make it, and the arguments of load.
FILES = {
    "a pickle of a model (pickle.dumps)": (lambda: pickle.dumps(fit()), {}),
    "joblib.dump of a model": (_joblib, {}),
    "joblib.dump(..., compress=3)": (lambda: _joblib(compress=3), {}),
    "a ZIP archive of data.csv": (
        lambda: _model_files.pack({"data.csv": b"label,text\n"}),
        {},
    ),
    "a NumPy .npz file": (_npz, {}),
    "a CSV file": (lambda: b"label,text\npos,a good film\n", {}),
    "an empty file": (lambda: b"", {}),
    "half a model file": (lambda: saved(fit())[:4000], {}),
    "metadata.json: 1 GiB of spaces, deflated": (lambda: _metadata_bomb(1024), {}),
    "metadata.json: 64 MiB of spaces, bzip2": (lambda: _bzip2_metadata(64), {}),
    "arrays.npz deflated, holding a 1 GiB array deflated": (
        lambda: _array_bomb(1024),
        {},
    ),
    ".npy header declaring shape (2**40,)": (_huge_shape, {}),
    "a member of arrays.npz that is not .npy": (
        lambda: _npz_member("notes.txt", b"hello"),
        {},
    ),
    "metadata.json flagged encrypted": (
        lambda: _model_files.pack(_members(saved(fit())), flags={"metadata.json": 1}),
        {},
    ),
    "metadata.json compressed with lzma": (
        lambda: _model_files.pack(
            _members(saved(fit())), methods={"metadata.json": zipfile.ZIP_LZMA}
        ),
        {},
    ),
    "a list nested 900 deep in params.stop_words": (_deep_stop_words, {}),
    "10**6 unknown keys in params": (
        lambda: _with_metadata(
            lambda m: m["params"].update({f"k{i}": 0 for i in range(10**6)})
        ),
        {},
    ),
    "token_pattern (?:a|a)+b|\\w+ (catastrophic backtracking)": (
        lambda: saved(fit(token_pattern=REDOS)),
        {},
    ),
    "the same, load(trusted=['token_pattern'])": (
        lambda: saved(fit(token_pattern=REDOS)),
        {"trusted": ["token_pattern"]},
    ),
    "embeddings='/dev/zero'": (
        lambda: _with_metadata(lambda m: m["params"].update(embeddings="/dev/zero")),
        {},
    ),
    "a RandomState whose pos is past its key": (
        lambda: _with_metadata(
            lambda m: m["params"].update(
                random_state={"__random_state__": RANDOM_STATE}
            )
        ),
        {},
    ),
    "the next format_version": (
        lambda: _with_metadata(lambda m: m.update(format_version=FORMAT_VERSION + 1)),
        {},
    ),
}


def load_file(data, kwargs, timeout):
    """Outcome, message, peak MiB and seconds of loading ``data``."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        limited(timeout, skrnn.load, io.BytesIO(data), **kwargs)
        outcome, message = "loaded", ""
    except ValueError as exc:
        outcome, message = "ValueError", str(exc)
    except Timeout:
        outcome, message = "timeout", f"over {timeout} s"
    except Exception as exc:
        outcome, message = type(exc).__name__, str(exc)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return outcome, message, peak, seconds


def run_files(args):
    print("\n## Hostile and mistaken files\n")
    print("| file | size | outcome | peak MiB | seconds | message |")
    print("|---|---:|---|---:|---:|---|")
    for name, (make, kwargs) in FILES.items():
        data = make()
        outcome, message, peak, seconds = load_file(data, kwargs, args.timeout)
        print(
            f"| {name.replace('|', chr(92) + '|')} | {len(data):,} | {outcome} | "
            f"{peak:.1f} | {seconds:.2f} | {short(message)} |"
        )


# --------------------------------------------------------------------- fuzz


#: Six models, which between them use every cell, solver and head, every
#: kind of label, one-hot and learned embeddings, characters and words: the
#: estimator and its parameters.
BASES = {
    "gru, adam (defaults)": (RNNTextClassifier, {}),
    "lstm, sgd, bidirectional, 3 int classes": (
        RNNTextClassifier,
        {
            "cell": "lstm",
            "bidirectional": True,
            "solver": "sgd",
            "pooling": "mean",
            "y": np.array([0, 1, 2, 1] * 2),
            "class_weight": {0: 1.0, 1: 2.0, 2: 1.0},
            "random_state": np.random.RandomState(0),
            "stop_words": ["a"],
        },
    ),
    "rnn, adamw, 2 layers, one-hot, float64": (
        RNNTextClassifier,
        {
            "cell": "rnn",
            "num_layers": 2,
            "embedding_dim": None,
            "dtype": np.float64,
            "solver": "adamw",
            "early_stopping": True,
            "validation_fraction": 0.25,
            "y": np.array(Y, dtype=object),
        },
    ),
    "characters, last pooling, bool labels": (
        RNNTextClassifier,
        {
            "analyzer": "char",
            "pooling": "last",
            "max_length": 5,
            "y": np.array([True, False] * 4),
        },
    ),
    "multi-label (logistic head)": (
        RNNTextClassifier,
        {"y": np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 2)},
    ),
    "regressor (identity head), 2 outputs": (
        "RNNTextRegressor",
        {"y": np.arange(16.0).reshape(8, 2)},
    ),
}


def bases():
    """The files of BASES that this skrnn can fit (an older one lacks some)."""
    files = {}
    for name, (estimator, params) in BASES.items():
        try:
            estimator = (
                getattr(skrnn, estimator) if isinstance(estimator, str) else estimator
            )
            files[name] = saved(fit(estimator=estimator, **params))
        except (AttributeError, ValueError) as exc:
            print(f"- base model {name!r} skipped: {short(str(exc), 80)}")
    return files


def kind_of(message: str) -> str:
    """How a refusal's message starts (``outcome`` accepts no other)."""
    return next(p for p in _model_files.REFUSALS if message.startswith(p)).rstrip(": ")


def run_fuzz(args):
    warnings.simplefilter("ignore")  # mutated versions warn
    models = bases()
    rng = np.random.default_rng(args.seed)
    outcomes = collections.defaultdict(collections.Counter)
    kinds = collections.Counter()
    failures = collections.Counter()
    longest = 0
    start = time.perf_counter()
    for index in range(args.mutants):
        base = list(models)[index % len(models)]
        mutation, data = _model_files.mutate(rng, models[base])
        try:
            outcome, message = limited(args.timeout, _model_files.outcome, data, X)
        except (Exception, Timeout) as exc:
            key = (mutation, type(exc).__name__, short(str(exc), 80))
            failures[key] += 1
            outcomes[mutation]["failed"] += 1
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / f"mutant-{args.seed}-{index}.skrnn").write_bytes(data)
            continue
        outcomes[mutation][outcome] += 1
        if message is not None:
            kinds[kind_of(message)] += 1
            longest = max(longest, len(message))
    seconds = time.perf_counter() - start
    print(f"\n## Mutants: {args.mutants:,}, seed {args.seed}, {seconds:.0f} s\n")
    print("Base models: " + "; ".join(models) + ".\n")
    print("| mutation | mutants | loaded and predicted | refused | failed |")
    print("|---|---:|---:|---:|---:|")
    for mutation in _model_files.MUTATIONS:
        counts = outcomes[mutation]
        print(
            f"| {mutation} | {sum(counts.values()):,} | {counts['loaded']:,} | "
            f"{counts['refused']:,} | {counts['failed']:,} |"
        )
    total = collections.Counter()
    for counts in outcomes.values():
        total.update(counts)
    print(
        f"| **all** | **{sum(total.values()):,}** | **{total['loaded']:,}** | "
        f"**{total['refused']:,}** | **{total['failed']:,}** |"
    )
    refusals = ", ".join(f'"{kind}...": {n:,}' for kind, n in kinds.most_common())
    print(f"\nRefusals by message: {refusals}; the longest has {longest} characters.")
    if failures:
        print("\nFailures (mutation, exception, message):\n")
        for key, count in failures.most_common():
            print(f"- {count} x {key}")


# ------------------------------------------------------------------- faults


def run_faults(args):
    counts = {
        "kill -9": args.kills,
        "kill -TERM": args.terms,
        "Ctrl-C": args.interrupts,
        "concurrent": args.concurrent,
    }
    with tempfile.TemporaryDirectory() as folder:
        files = [Path(folder, f"{name}.skrnn") for name in ("old", "new", "other")]
        models = [fit(), big_model(), big_model(n_words=2500, random_state=1)]
        for model, file in zip(models, files, strict=True):
            skrnn.save(model, file)
        sizes = " and ".join(f"{file.stat().st_size:,}" for file in files)
        start = time.perf_counter()
        results = _model_files.faults(
            files, Path(folder, "saves"), counts, args.seed, args.max_delay
        )
        seconds = time.perf_counter() - start
    print(f"\n## Faults during saves ({seconds:.0f} s)\n")
    print(
        f"Models of {sizes} bytes: saves replace the first with the others in "
        "turn (all at once for concurrent saves).\n"
    )
    print(
        "| fault | trials | then the old model | a new model | neither | "
        "temporary file left | saves that failed |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for fault, outcome in results.items():
        if fault == "full disk":
            continue
        new = outcome.get("1", 0) + outcome.get("2", 0)
        print(
            f"| {fault} | {counts[fault]} | {outcome.get('0', 0)} | {new} | "
            f"{outcome.get('other', 0)} | {outcome.get('temporary left', 0)} | "
            f"{outcome.get('failed saves', 0)} |"
        )
    full = results["full disk"]
    print(
        f"\nFull disk (RLIMIT_FSIZE at half the new model): save raised "
        f"{full['error']}; temporary files left: {len(full['temporaries'])}; "
        f"the old model intact: {full['intact']}."
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--part", choices=["files", "fuzz", "faults"], action="append", default=None
    )
    parser.add_argument("--mutants", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds")
    parser.add_argument("--keep", type=Path, help="a folder for failing mutants")
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--terms", type=int, default=50)
    parser.add_argument("--interrupts", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=100)
    parser.add_argument("--max-delay", type=float, default=0.3, help="seconds")
    args = parser.parse_args(argv)
    print(header())
    for part in args.part or ["files", "fuzz", "faults"]:
        {"files": run_files, "fuzz": run_fuzz, "faults": run_faults}[part](args)


if __name__ == "__main__":
    main()
