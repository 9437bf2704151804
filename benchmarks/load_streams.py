"""What ``skrnn.load`` costs where it looks for the end of a model's archive.

``load`` reads a file object from its position and stops after the model,
so it finds where the archive that starts there ends. This measures the
three cases where that search could cost more than the model itself::

    python benchmarks/load_streams.py

1. A file that starts as a model, whose end record is replaced by 20 MB of
   forged end-record signatures (a hostile file): the time to refuse it.
2. A 2 GiB file of zeros (sparse, so the disk is not measured), passed by
   mistake: the time to refuse it.
3. The peak memory (tracemalloc) of loading a 4.9 MiB model alone, and of
   loading it as the first of two models in one stream.

Run it with ``PYTHONPATH`` at each version to compare; seconds.
"""

import contextlib
import io
import os
import tempfile
import time
import tracemalloc

import skrnn
from skrnn import RNNTextClassifier

END_SIGNATURE = b"PK\x05\x06"


def _saved(model) -> bytes:
    buffer = io.BytesIO()
    skrnn.save(model, buffer)
    return buffer.getvalue()


def _refusal_seconds(load) -> float:
    start = time.perf_counter()
    with contextlib.suppress(ValueError):
        load()
    return time.perf_counter() - start


def main() -> None:
    """Print the three measurements."""
    X = ["good film", "bad film", "great movie", "awful movie"] * 3
    y = [1, 0, 1, 0] * 3
    params = {"max_iter": 2, "ngram_range": None, "random_state": 0}
    small = _saved(RNNTextClassifier(hidden_size=4, **params).fit(X, y))
    big = _saved(
        RNNTextClassifier(hidden_size=256, embedding_dim=300, **params).fit(X, y)
    )
    hostile = small[:-22] + END_SIGNATURE * (5 << 20)
    seconds = _refusal_seconds(lambda: skrnn.load(io.BytesIO(hostile)))
    print(f"a model's start, then 20 MB of end signatures: {seconds:.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "zeros.bin")
        with open(path, "wb") as file:
            file.truncate(2 << 30)
        seconds = _refusal_seconds(lambda: skrnn.load(path))
    print(f"2 GiB file of zeros (sparse): {seconds:.2f} s")
    for name, data in [("alone", big), ("first of two", big + big)]:
        file = io.BytesIO(data)
        tracemalloc.start()
        skrnn.load(file)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"peak of load, {len(big) / 2**20:.1f} MiB model {name}: "
            f"{peak / 2**20:.1f} MiB"
        )


if __name__ == "__main__":
    main()
