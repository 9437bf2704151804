"""Scripts run in a fresh interpreter, as the tests of a process's exit do."""

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

#: The start of a script: a small model fitted with ``n_jobs=2``, and
#: predictions until prediction's worker process holds it (``worker``).
WITH_A_WORKER = """
import time
from skrnn import RNNTextClassifier, _prediction_workers
from skrnn.datasets import load_toy_sentiment

X, y = load_toy_sentiment(return_X_y=True)
model = RNNTextClassifier(max_iter=1, hidden_size=8, n_jobs=2).fit(X, y)
docs = list(X) * 8
for _ in range(200):
    model.predict_proba(docs)
    worker = _prediction_workers._WORKER[0]
    if worker.ready and worker.held is not None:
        break
    time.sleep(0.05)
assert worker.ready and worker.held is not None
"""


def run_python(
    script: str, timeout: float = 120
) -> tuple[subprocess.CompletedProcess, float]:
    """``script`` run by this interpreter with this process's ``sys.path``.

    Returns the finished process (its output as text) and its wall seconds.
    """
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    return done, time.monotonic() - start


@contextlib.contextmanager
def held_by_a_thread(lock) -> Iterator[None]:
    """``lock`` held by another thread for the ``with`` block.

    As a thread of the process holds it when the process forks: the child
    inherits it held, by a thread it does not have.
    """
    held, done = threading.Event(), threading.Event()

    def holding() -> None:
        with lock:
            held.set()
            done.wait()

    thread = threading.Thread(target=holding)
    thread.start()
    held.wait()
    try:
        yield
    finally:
        done.set()
        thread.join()
