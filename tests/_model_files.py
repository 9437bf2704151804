"""Damaged, forged and hostile skrnn model files, and faults during saves.

Shared by ``tests/test_persistence.py`` and ``benchmarks/fuzz_model_files.py``;

Mutations
---------
:func:`mutate` makes a damaged copy of a valid model file: bits flipped in the
raw bytes or in the ZIP headers, truncations, members dropped, duplicated,
renamed or recompressed, bytes changed inside ``metadata.json`` or an
``.npy`` member (with valid checksums, so that they reach the decoder),
values of the JSON replaced, deleted or added, arrays changed in dtype,
shape or values, and forged ``.npy`` headers. :func:`outcome` loads it: the
only acceptable outcomes are a model that loads and predicts, or the
documented ValueError.

Used by ``tests/test_persistence.py`` (a few hundred mutants) and by
``benchmarks/fuzz_model_files.py`` (a larger campaign).
"""

import argparse
import collections
import copy
import io
import json
import math
import os
import random
import re
import resource
import signal
import struct
import sys
import time
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

import skrnn

#: What a mutated JSON value may become: every JSON type, the tags of the
#: format, option strings of other parameters, extremes.
VALUES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2,
    3,
    2**31,
    2**63,
    2**64,
    -(2**63),
    10**30,
    0.5,
    -0.0,
    1e-308,
    1e308,
    "",
    "x",
    "good",
    "caf\udce9",
    "lstm",
    "rnn",
    "sgd",
    "adam",
    "mean",
    "last",
    "float16",
    "float64",
    "int8",
    "object",
    "char",
    "english",
    "pre",
    "balanced",
    "PCG64",
    "MT19937",
    "(",
    r"(\w)(\w)",
    [],
    [1],
    ["x", "x"],
    [0.5, None],
    {},
    {"x": 1},
    {"__float__": "nan"},
    {"__float__": "inf"},
    {"__float__": "x"},
    {"__tuple__": [1, "a"]},
    {"__tuple__": 1},
    {"__set__": [[1]]},
    {"__set__": ["a", "b"]},
    {"__dict__": [[[1], 2]]},
    {"__dict__": [["a", 1], ["a", 2]]},
    {"__dict__": [[1]]},
    {"__dtype__": "object"},
    {"__dtype__": "evil"},
    {"__dtype__": "float16"},
    {"__dtype__": "f8,f8"},
    {"__dtype__": 3},
    {"__random_state__": {"key": [-1], "pos": 0, "has_gauss": 0, "gauss": 0.0}},
    {"__random_state__": {"key": [1] * 624, "pos": 10**6, "has_gauss": 0, "gauss": 0}},
    {"__random_state__": {"key": [2**40] * 624, "pos": 0, "has_gauss": 0, "gauss": 0}},
    {"__random_state__": {"key": "x", "pos": "y", "has_gauss": [], "gauss": {}}},
    {"__code__": "import os"},
    {"a": 1, "b": 2},
]


def _deep(depth):
    """A placeholder for a list nested ``depth`` deep, which json cannot write."""
    return f"\0deep{depth}\0"


def _dumps(metadata):
    text = json.dumps(metadata)
    return re.sub(
        r'"\\u0000deep(\d+)\\u0000"',
        lambda match: "[" * int(match[1]) + "]" * int(match[1]),
        text,
    )


def _random_value(rng, big):
    kind = rng.integers(10)
    if kind == 0 and big:
        return [_deep(int(rng.integers(50, 5000)))]
    if kind == 1 and big:
        return {f"k{i}": i for i in range(int(rng.integers(10, 20_000)))}
    if kind == 2 and big:
        return "w" * int(rng.integers(100, 200_000))
    if kind == 3:
        return float(rng.standard_normal() * 10.0 ** rng.integers(-5, 6))
    if kind == 4:
        return int(rng.integers(-(2**31), 2**31))
    return copy.deepcopy(VALUES[rng.integers(len(VALUES))])


# ----------------------------------------------------------------- archives


def read_members(data):
    """The members of a ZIP archive, by name, in order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def pack(members, methods=None, flags=None):
    """A ZIP archive of ``members`` (a list of (name, bytes) or a dict).

    ``methods`` and ``flags`` give, by name, a member's compression method
    and general purpose flag bits (zipfile clears the flags that it writes:
    they are set in the headers afterwards).
    """
    methods = methods or {}
    items = members.items() if isinstance(members, dict) else members
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Duplicate name", UserWarning)
        for name, content in items:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            stored = name.endswith(".npy") or name == "arrays.npz"
            default = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            info.compress_type = methods.get(name, default)
            archive.writestr(info, content)
    data = bytearray(buffer.getvalue())
    for name, flag in (flags or {}).items():
        _set_flag(data, name, flag)
    return bytes(data)


def _set_flag(data, name, flag):
    """Set a flag bit of member ``name`` in its local and central headers."""
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        offsets = [
            info.header_offset for info in archive.infolist() if info.filename == name
        ]
        position = archive.start_dir
    for offset in offsets:  # the local headers
        data[offset + 6] |= flag & 0xFF
        data[offset + 7] |= flag >> 8
    while data[position : position + 4] == b"PK\x01\x02":  # the central directory
        lengths = struct.unpack("<HHH", data[position + 28 : position + 34])
        if data[position + 46 : position + 46 + lengths[0]] == name.encode():
            data[position + 8] |= flag & 0xFF
            data[position + 9] |= flag >> 8
        position += 46 + sum(lengths)


def _outer(data):
    members = read_members(data)
    return members, read_members(members["arrays.npz"])


def _repack(members, npz_members=None, methods=None, flags=None):
    members = dict(members)
    if npz_members is not None:
        members["arrays.npz"] = pack(npz_members, methods, flags)
        methods = flags = None
    return pack(members, methods, flags)


def _npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _load_npy(data):
    return np.load(io.BytesIO(data), allow_pickle=False)


# ---------------------------------------------------------------- mutations


def _flip_bits(rng, data):
    data = bytearray(data)
    for _ in range(rng.integers(1, 9)):
        position = rng.integers(len(data))
        data[position] ^= 1 << int(rng.integers(8))
    return bytes(data)


def _edit_bytes(rng, data):
    """Flip, insert, delete or overwrite bytes, or truncate."""
    kind = rng.integers(5)
    if kind == 0 or not data:
        return _flip_bits(rng, data) if data else b"\0"
    position = int(rng.integers(len(data)))
    if kind == 1:
        return data[:position]
    if kind == 2:
        return data[:position] + rng.bytes(int(rng.integers(1, 16))) + data[position:]
    if kind == 3:
        return data[:position] + data[position + int(rng.integers(1, 16)) :]
    chunk = rng.bytes(int(rng.integers(1, 8)))
    return data[:position] + chunk + data[position + len(chunk) :]


def raw_bits(rng, data):
    return _flip_bits(rng, data)


def raw_truncate(rng, data):
    return data[: rng.integers(len(data))]


def raw_bytes(rng, data):
    return _edit_bytes(rng, data)


def zip_headers(rng, data):
    """Flip bits in the local headers, the central directory or its end."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        regions = [
            (info.header_offset, 30 + len(info.filename)) for info in archive.infolist()
        ]
        regions.append((archive.start_dir, len(data) - archive.start_dir))
    start, length = regions[rng.integers(len(regions))]
    data = bytearray(data)
    for _ in range(rng.integers(1, 4)):
        position = start + int(rng.integers(length))
        data[position] ^= 1 << int(rng.integers(8))
    return bytes(data)


def metadata_bytes(rng, data):
    members = read_members(data)
    members["metadata.json"] = _edit_bytes(rng, members["metadata.json"])
    return pack(members)


def npy_bytes(rng, data):
    members, arrays = _outer(data)
    name = list(arrays)[rng.integers(len(arrays))]
    content = arrays[name]
    if rng.random() < 0.7:  # the header, most of the time
        header = min(len(content), 128)
        head = _edit_bytes(rng, content[:header])
        arrays[name] = head + content[header:]
    else:
        arrays[name] = _edit_bytes(rng, content)
    return _repack(members, arrays)


def _edit_names(rng, names_and_contents, extra_name):
    items = list(names_and_contents.items())
    kind = rng.integers(4)
    index = int(rng.integers(len(items)))
    if kind == 0:
        del items[index]
    elif kind == 1:
        items.insert(int(rng.integers(len(items) + 1)), items[index])
    elif kind == 2:
        name, content = items[index]
        items[index] = (name[:-1] if rng.random() < 0.5 else extra_name, content)
    else:
        items.append((extra_name, items[index][1] if rng.random() < 0.5 else b"x"))
    return items


def member_names(rng, data):
    members, arrays = _outer(data)
    if rng.random() < 0.5:
        return pack(_edit_names(rng, members, "setup.py"))
    return _repack(members, _edit_names(rng, arrays, "weights/x.npy"))


_METHODS = [
    zipfile.ZIP_STORED,
    zipfile.ZIP_DEFLATED,
    zipfile.ZIP_BZIP2,
    zipfile.ZIP_LZMA,
]


def compression(rng, data):
    members, arrays = _outer(data)
    method = _METHODS[rng.integers(len(_METHODS))]
    if rng.random() < 0.5:
        name = list(members)[rng.integers(len(members))]
        return pack(members, methods={name: method})
    name = list(arrays)[rng.integers(len(arrays))]
    return _repack(members, arrays, methods={name: method})


def flag_bits(rng, data):
    members, arrays = _outer(data)
    flag = int(rng.choice([0x1, 0x8, 0x20, 0x40, 0x800, 0x2000]))
    if rng.random() < 0.5:
        name = list(members)[rng.integers(len(members))]
        return pack(members, flags={name: flag})
    name = list(arrays)[rng.integers(len(arrays))]
    return _repack(members, arrays, flags={name: flag})


def _paths(value, path=()):
    """Every (path, value) of a JSON document, the root excepted."""
    stack = [(value, path)]
    while stack:
        node, here = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            yield (*here, key), child
            if isinstance(child, (dict, list)) and child:
                stack.append((child, (*here, key)))


def _mutate_number(rng, value):
    choices = [
        value + 1,
        value - 1,
        -value,
        value * 10**9,
        value / 3,
        float(value),
        0,
        int(value) if isinstance(value, int) or math.isfinite(value) else 0,
        str(value),
        bool(value),
    ]
    return choices[rng.integers(len(choices))]


def _mutate_string(rng, value):
    choices = [
        "",
        value + "x",
        value[:-1],
        value.upper(),
        value * 3,
        value + "\udce9",
        [value],
        {"__tuple__": [value]},
    ]
    return choices[rng.integers(len(choices))]


def json_values(rng, data, big=False):
    """Replace, delete, insert or alter one value of ``metadata.json``."""
    members = read_members(data)
    metadata = json.loads(members["metadata.json"])
    for _ in range(rng.integers(1, 4)):
        paths = list(_paths(metadata))
        path, value = paths[rng.integers(len(paths))]
        parent = metadata
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        kind = rng.integers(6)
        if kind == 0:
            del parent[key]
        elif kind == 1 and isinstance(parent, dict):
            parent[f"extra{rng.integers(3)}"] = _random_value(rng, big)
        elif kind == 1:
            parent.insert(int(rng.integers(len(parent) + 1)), _random_value(rng, big))
        elif kind == 2 and type(value) in (int, float):
            parent[key] = _mutate_number(rng, value)
        elif kind == 3 and isinstance(value, str):
            parent[key] = _mutate_string(rng, value)
        else:
            parent[key] = _random_value(rng, big)
    members["metadata.json"] = _dumps(metadata).encode("utf-8", "surrogatepass")
    return pack(members)


def json_values_big(rng, data):
    return json_values(rng, data, big=True)


_DTYPES = [
    "float16",
    "float32",
    "float64",
    ">f4",
    "int64",
    "uint8",
    "bool",
    "U3",
    "S2",
    "complex64",
]


def _mutate_array(rng, array):
    kind = rng.integers(9)
    if kind == 0 and array.dtype.kind in "fiub":
        return array.astype(_DTYPES[rng.integers(len(_DTYPES))])
    if kind == 1 and array.ndim:
        return array[: rng.integers(array.shape[0] + 1)]
    if kind == 2:
        return np.concatenate([array.ravel(), array.ravel()[:1]])
    if kind == 3:
        return array.reshape(-1) if array.ndim > 1 else array[None]
    if kind == 4 and array.dtype.kind == "f" and array.size:
        array = array.copy()
        array.flat[rng.integers(array.size)] = rng.choice([np.nan, np.inf, 1e38])
        return array
    if kind == 5:
        return np.asfortranarray(array.T if array.ndim > 1 else array)
    if kind == 6:
        return np.array(array.flat[0] if array.size else 0)
    if kind == 7:
        objects = np.empty(max(array.size, 1), dtype=object)
        return objects
    return np.zeros((0, *array.shape[1:]), dtype=array.dtype)


def _forged_npy(rng):
    """An npy header that declares an array far larger than the bytes after it."""
    shape = [(2**40,), (2**31, 2**31), (10**6, 10**6, 10**6), (2**62,), (-1,)]
    descr = ["<f8", "<f4", "|S0", "<U0", "|O", "<f8"]
    header = {
        "descr": descr[rng.integers(len(descr))],
        "fortran_order": bool(rng.random() < 0.2),
        "shape": shape[rng.integers(len(shape))],
    }
    text = repr(header).encode("latin-1")
    text += b" " * (-(len(text) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + b"\0" * 64


def arrays(rng, data):
    members, npz = _outer(data)
    name = list(npz)[rng.integers(len(npz))]
    if rng.random() < 0.15:
        npz[name] = _forged_npy(rng)
    else:
        npz[name] = _npy(_mutate_array(rng, _load_npy(npz[name])))
    return _repack(members, npz)


#: Every mutation, by name: each takes a numpy Generator and a model file.
MUTATIONS = {
    "raw bit flips": raw_bits,
    "raw truncation": raw_truncate,
    "raw byte edits": raw_bytes,
    "zip header bits": zip_headers,
    "metadata.json bytes": metadata_bytes,
    "npy member bytes": npy_bytes,
    "member names": member_names,
    "compression methods": compression,
    "flag bits": flag_bits,
    "JSON values": json_values,
    "big JSON values": json_values_big,
    "arrays": arrays,
}


def mutate(rng, data):
    """A mutation's name and the file it makes of ``data``."""
    names = list(MUTATIONS)
    name = names[rng.integers(len(names))]
    return name, MUTATIONS[name](rng, data)


#: How the messages of load's ValueErrors start: a corrupt file, a file that is
#: not a model, a parameter to trust, a newer format, a cell not registered.
REFUSALS = (
    "corrupt or tampered skrnn model file: ",
    "not a skrnn model file: ",
    "This skrnn model file sets parameters that do more than the file says",
    "This skrnn model file has format version",
    "This model's cell",
    "This model's output head",
    "This model's solver",
)


def outcome(data, documents):
    """Load a file: ``("loaded", None)`` after predicting, or ``("refused", message)``.

    Anything else (another exception, a ValueError of another message, a
    prediction that fails) propagates.
    """
    try:
        model = skrnn.load(io.BytesIO(data))
    except ValueError as exc:
        if not str(exc).startswith(REFUSALS):
            raise
        return "refused", str(exc)
    if hasattr(model, "predict_proba"):  # a classifier
        proba = model.predict_proba(documents)
        assert proba.shape == (len(documents), len(model.classes_))
        assert np.isfinite(proba).all()
    predictions = model.predict(documents)
    assert len(predictions) == len(documents)
    if predictions.dtype.kind == "f":  # a regressor's
        assert np.isfinite(predictions).all()
    return "loaded", None


# -------------------------------------------------------------------- bombs


def deflated_spaces(n_mebibytes, prefix=b"", fill=b" "):
    """A raw deflate stream of ``prefix`` and ``n_mebibytes`` MiB of ``fill``.

    Returns the stream and the CRC-32 of what it inflates to. Each MiB is
    compressed after a full flush, which resets the compressor: every block is
    the same bytes, compressed once.
    """
    chunk = fill * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = head + block * n_mebibytes + compressor.flush(zlib.Z_FINISH)
    crc = zlib.crc32(prefix)
    for _ in range(n_mebibytes):
        crc = zlib.crc32(chunk, crc)
    return stream, crc


def raw_zip(members):
    """A ZIP archive of members given compressed, as (name, method, data, crc, size).

    ``size`` is the uncompressed size that the headers declare. A sixth item,
    if given, is the compressed size that they declare (``len(data)``
    otherwise).
    """
    out = io.BytesIO()
    central = []
    for name, method, data, crc, size, *compressed in members:
        compressed = compressed[0] if compressed else len(data)
        offset = out.tell()
        encoded = name.encode()
        fields = (20, 0, method, 0, 0x21, crc, compressed, size, len(encoded), 0)
        out.write(b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", *fields) + encoded)
        out.write(data)
        central.append(
            b"PK\x01\x02"
            + struct.pack(
                "<HHHHHHIIIHHHHHII",
                20,
                20,
                0,
                method,
                0,
                0x21,
                crc,
                compressed,
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(
        b"PK\x05\x06"
        + struct.pack(
            "<HHHHIIH", 0, 0, len(central), len(central), len(directory), start, 0
        )
    )
    return out.getvalue()


def overlapping_zip(members, n_overlapping, tail):
    """A ZIP archive of ``members`` (stored) and ``n_overlapping`` .npy members
    whose bytes overlap: each holds a ``uint8`` array that runs to the end of
    ``tail`` zero bytes, over the headers of the members after it.

    Each member inflates to no more than it declares, and the archive to
    about ``n_overlapping * tail`` bytes (CPython 3.12.2 and later refuse
    such overlaps; earlier versions read them).
    """
    out = bytearray()
    entries = []  # name, offset of the local header, offset of the data

    def local_header(name, size):
        encoded = name.encode()
        fields = (20, 0, zipfile.ZIP_STORED, 0, 0x21, 0, size, size, len(encoded), 0)
        return b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", *fields) + encoded

    for name, content in members.items():
        entries.append((name, len(out), len(out) + 30 + len(name.encode())))
        out += local_header(name, len(content)) + content
    overlapping = []
    for k in range(n_overlapping):
        name = f"overlap{k}.npy"
        overlapping.append((name, len(out), len(out) + 30 + len(name.encode())))
        out += local_header(name, 0) + npy_header((0,), "|u1")
    out += bytes(tail)
    for name, offset, start in overlapping:
        header = npy_header((len(out) - start - len(npy_header((0,), "|u1")),), "|u1")
        out[start : start + len(header)] = header
        out[offset:start] = local_header(name, len(out) - start)
    end = len(out)
    central = []
    for name, offset, start in entries + overlapping:
        encoded = name.encode()
        size = len(members[name]) if name in members else end - start
        crc = zlib.crc32(out[start : start + size])
        fields = (20, 20, 0, 0, 0, 0x21, crc, size, size, len(encoded), 0, 0, 0, 0, 0)
        central.append(
            b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", *fields, offset) + encoded
        )
    directory = b"".join(central)
    n = len(central)
    out += directory
    out += b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, n, n, len(directory), end, 0)
    return bytes(out)


def npy_header(shape, descr="<f8"):
    """The header of an ``.npy`` array of ``shape``, as numpy writes it."""
    text = repr({"descr": descr, "fortran_order": False, "shape": shape})
    text = text.replace("}", ", }")
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin-1")


# ------------------------------------------------------------------- faults


def _temporaries(folder):
    return sorted(Path(folder).glob(".*.tmp"))


def _saved(models):
    """The bytes of each model as save writes them."""
    saved = []
    for model in models:
        buffer = io.BytesIO()
        skrnn.save(model, buffer)
        saved.append(buffer.getvalue())
    return saved


def _check(path, expected, outcomes):
    """Count which model is at ``path`` ("other": neither), and remove temporaries."""
    content = Path(path).read_bytes()
    outcomes[expected.index(content) if content in expected else "other"] += 1
    temporaries = _temporaries(Path(path).parent)
    outcomes["temporary left"] += bool(temporaries)
    for temporary in temporaries:
        temporary.unlink()


def kill_saves(path, models, n_kills, rng, max_delay, sig=signal.SIGKILL):
    """Kill processes with ``sig`` at random times while they save.

    Each process is forked from this one (which has imported skrnn) and
    saves ``models`` in turn to ``path`` until it is killed, after a random
    delay of up to ``max_delay`` seconds. Returns how many kills left each
    model at ``path`` (by index; ``"other"``: a destroyed file), and how many
    left a temporary file (the process was killed while it wrote; removed
    after counting).
    """
    expected = _saved(models)
    skrnn.save(models[0], path)
    outcomes = collections.Counter()
    for _ in range(n_kills):
        ready, started = os.pipe()
        pid = os.fork()
        if pid == 0:  # the saving process
            try:
                os.close(ready)
                os.write(started, b"1")
                for turn in range(sys.maxsize):
                    skrnn.save(models[turn % len(models)], path)
            finally:
                os._exit(1)
        os.close(started)
        os.read(ready, 1)
        os.close(ready)
        time.sleep(rng.uniform(0, max_delay))
        os.kill(pid, sig)
        os.waitpid(pid, 0)
        _check(path, expected, outcomes)
    return outcomes


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def interrupt_saves(path, models, n_interrupts, rng, max_delay):
    """Press Ctrl-C (KeyboardInterrupt, from a timer) at random times during saves.

    Returns what :func:`kill_saves` returns; a save interrupted while it
    wrote must leave no temporary file.
    """
    expected = _saved(models)
    skrnn.save(models[0], path)
    outcomes = collections.Counter()
    previous = signal.signal(signal.SIGALRM, _interrupt)
    try:
        for _ in range(n_interrupts):
            signal.setitimer(signal.ITIMER_REAL, rng.uniform(1e-3, max_delay))
            try:
                for turn in range(sys.maxsize):
                    skrnn.save(models[turn % len(models)], path)
            except KeyboardInterrupt:
                pass
            _check(path, expected, outcomes)
    finally:
        signal.signal(signal.SIGALRM, previous)
    return outcomes


def concurrent_saves(path, models, n_rounds):
    """Save each model from a process of its own, all at once, ``n_rounds`` times.

    Returns what :func:`kill_saves` returns, and how many saves failed.
    """
    expected = _saved(models)
    outcomes = collections.Counter()
    for _ in range(n_rounds):
        wait, go = os.pipe()
        pids = []
        for model in models:
            pid = os.fork()
            if pid == 0:
                status = 1
                try:
                    os.close(go)
                    os.read(wait, 1)  # returns when the parent closes go
                    skrnn.save(model, path)
                    status = 0
                finally:
                    os._exit(status)
            pids.append(pid)
        os.close(wait)
        os.close(go)
        for pid in pids:
            outcomes["failed saves"] += os.waitpid(pid, 0)[1] != 0
        _check(path, expected, outcomes)
    return outcomes


def _forked(function, *args):
    """Call ``function(*args)`` in a forked process; return its result (JSON)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            with os.fdopen(write_end, "w") as pipe:
                json.dump(function(*args), pipe)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        result = json.load(pipe)
    os.waitpid(pid, 0)
    return result


def _save_under_file_size_limit(model, path, limit):
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    try:
        skrnn.save(model, path)
    except OSError as exc:
        return {"type": type(exc).__name__, "errno": exc.errno}
    return None


def save_on_a_full_disk(path, model):
    """Save a model where the disk is full after half of its bytes.

    A forked process saves it under ``RLIMIT_FSIZE`` (half the model's size)
    with SIGXFSZ ignored, so that its write fails with EFBIG as on a full
    disk. Returns the error that save raised (its type and errno) and the
    temporary files left in the folder.
    """
    limit = len(_saved([model])[0]) // 2
    error = _forked(_save_under_file_size_limit, model, path, limit)
    return {
        "error": error,
        "temporaries": [str(t) for t in _temporaries(Path(path).parent)],
    }


def faults(model_files, folder, counts, seed=0, max_delay=0.2):
    """Inject faults into saves that replace the first model file by the others.

    ``counts`` gives how many of each: ``"kill -9"`` and ``"kill -TERM"``
    (:func:`kill_saves`), ``"Ctrl-C"`` (:func:`interrupt_saves`), which save
    the models in turn, and ``"concurrent"`` (rounds of
    :func:`concurrent_saves`, of all the models). A full disk
    (:func:`save_on_a_full_disk`, of the last model over the first) is
    always tried. Each saves to ``folder/<fault>/model.skrnn``; returns their
    results by fault (the model left by index, ``"other"`` for neither).
    """
    models = [skrnn.load(file) for file in model_files]
    rng = random.Random(seed)

    def target(name):
        path = Path(folder, name.replace(" ", "-"), "model.skrnn")
        path.parent.mkdir(parents=True)
        return path

    full_disk = target("full disk")
    old = Path(model_files[0]).read_bytes()
    full_disk.write_bytes(old)
    results = {"full disk": save_on_a_full_disk(full_disk, models[-1])}
    results["full disk"]["intact"] = full_disk.read_bytes() == old
    for name, sig in (("kill -9", signal.SIGKILL), ("kill -TERM", signal.SIGTERM)):
        if counts.get(name):
            results[name] = kill_saves(
                target(name), models, counts[name], rng, max_delay, sig
            )
    if counts.get("Ctrl-C"):
        results["Ctrl-C"] = interrupt_saves(
            target("Ctrl-C"), models, counts["Ctrl-C"], rng, max_delay
        )
    if counts.get("concurrent"):
        results["concurrent"] = concurrent_saves(
            target("concurrent"), models, counts["concurrent"]
        )
    return {
        name: {str(key): count for key, count in result.items()}
        for name, result in results.items()
    }


#: The options of main, and the faults whose numbers they give.
FAULT_OPTIONS = {
    "kills": "kill -9",
    "terms": "kill -TERM",
    "interrupts": "Ctrl-C",
    "concurrent": "concurrent",
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=faults.__doc__.split("\n")[0])
    parser.add_argument("folder", help="a new folder to save in")
    parser.add_argument("model_files", nargs="+", help="the first is replaced")
    for option, fault in FAULT_OPTIONS.items():
        parser.add_argument(
            f"--{option}", type=int, default=0, metavar="N", help=f"{fault} faults"
        )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-delay", type=float, default=0.2)
    args = parser.parse_args(argv)
    counts = {fault: getattr(args, option) for option, fault in FAULT_OPTIONS.items()}
    result = faults(args.model_files, args.folder, counts, args.seed, args.max_delay)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
