"""Progress within an epoch for ``verbose=2``: tqdm when installed, else plain text."""

import sys
import time
from collections.abc import Callable


def batch_progress(
    epoch: int, n_samples: int
) -> tuple[Callable[[int], None], Callable[[], None]]:
    """Start showing the progress of one epoch on stdout.

    Uses a ``tqdm`` bar when the optional ``tqdm`` package is installed, and
    otherwise rewrites one plain line (``Epoch 3: 1200/9595 samples``) at most
    five times a second.

    Parameters
    ----------
    epoch : int
        Number of the epoch, for the label.
    n_samples : int
        Number of samples the epoch will go through.

    Returns
    -------
    update : callable
        Call with the number of samples of each finished batch.
    close : callable
        Call once the epoch is done.
    """
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _plain_progress(epoch, n_samples)
    bar = tqdm(
        total=n_samples, desc=f"Epoch {epoch}", unit="doc", leave=False, file=sys.stdout
    )
    return bar.update, bar.close


def _plain_progress(epoch, n_samples):
    done = 0
    last = 0.0

    def update(n):
        nonlocal done, last
        done += n
        now = time.perf_counter()
        if now - last >= 0.2 or done == n_samples:
            last = now
            sys.stdout.write(f"\rEpoch {epoch}: {done}/{n_samples} samples")
            sys.stdout.flush()

    def close():
        sys.stdout.write("\r" + " " * 40 + "\r")
        sys.stdout.flush()

    return update, close
