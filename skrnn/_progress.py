"""Progress of long work on stdout: tqdm when installed, else plain text.

Fit shows the progress within each epoch at ``verbose=2``, and within a
first epoch that runs long at ``verbose=1``; prediction shows it at
``verbose=2`` when it runs long.
"""

import sys
import threading
import time
from collections.abc import Callable

#: Seconds that work runs before a progress display that waits for it appears:
#: long enough that quick work prints nothing, short enough that long work
#: is not silent.
PROGRESS_DELAY = 2.0


def batch_progress(
    epoch: int, n_samples: int, *, delay: float = 0.0
) -> tuple[Callable[[int], None], Callable[[], None]]:
    """Start showing the progress of one epoch on stdout.

    Parameters
    ----------
    epoch : int
        Number of the epoch, for the label.
    n_samples : int
        Number of samples the epoch will go through.
    delay : float, default=0.0
        Show nothing before the epoch has run this many seconds.

    Returns
    -------
    update : callable
        Call with the number of samples of each finished batch.
    close : callable
        Call once the epoch is done.
    """
    return progress(f"Epoch {epoch}", n_samples, unit="samples", delay=delay)


def progress(
    description: str, total: int, *, unit: str, delay: float = 0.0
) -> tuple[Callable[[int], None], Callable[[], None]]:
    """Start showing the progress of some work on stdout.

    Uses a ``tqdm`` bar when the optional ``tqdm`` package is installed, and
    otherwise rewrites one plain line (``Epoch 3: 1200/9595 samples``) at most
    five times a second.  Either is erased when the work is done.

    Parameters
    ----------
    description : str
        What is being done, e.g. ``"Epoch 3"`` or ``"Predicting"``.
    total : int
        Number of items (documents) the work goes through.
    unit : str
        What the items are, for the plain line.
    delay : float, default=0.0
        Show nothing before the work has run this many seconds.

    Returns
    -------
    update : callable
        Call with the number of items done, from any thread.
    close : callable
        Call once the work is done.
    """
    try:
        from tqdm.auto import tqdm
    except ImportError:
        update, close = _plain_progress(description, total, unit, delay)
    else:
        bar = tqdm(
            total=total,
            desc=description,
            unit="doc",
            leave=False,
            file=sys.stdout,
            delay=delay,
        )
        update, close = bar.update, bar.close
    lock = threading.Lock()

    def locked_update(n: int) -> None:
        with lock:
            update(n)

    return locked_update, close


def _plain_progress(description, total, unit, delay):
    start = time.perf_counter()
    done = 0
    last = 0.0
    width = 0

    def update(n):
        nonlocal done, last, width
        done += n
        now = time.perf_counter()
        if now - start >= delay and (now - last >= 0.2 or done == total):
            last = now
            line = f"{description}: {done}/{total} {unit}"
            width = max(width, len(line))
            sys.stdout.write("\r" + line)
            sys.stdout.flush()

    def close():
        if width:
            sys.stdout.write("\r" + " " * width + "\r")
            sys.stdout.flush()

    return update, close
