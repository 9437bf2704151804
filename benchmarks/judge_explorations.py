"""What the prediction judge's explorations cost, by how the calls come: a simulation.

Usage::

    python benchmarks/judge_explorations.py
    python benchmarks/judge_explorations.py --ms 35,67,65 --window 0.5 --gap 2

``skrnn._threads.WayJudge`` (the class itself) is driven on a simulated
clock: calls of one kind, each way taking the fixed milliseconds given by
``--ms`` (processes, threads, alone: by default those of config b's
``predict_proba`` of MR's held-out sentences on two free cores, session 21),
in windows of ``--window`` seconds of back-to-back calls separated by
``--gap`` seconds without a call (``speed.py``'s prediction windows of half
a second after each training epoch), and also as one call every ``--gap``
seconds. For each judge setting, the table gives the share of the calls
that went a slower way and the mean time a call against the fastest way's:
what exploring costs, whatever the machine, since the ways' times are
fixed here. The judges: ``PREDICT_WAYS``'s settings before session 21
(``explore_seconds=1.0``) and now (``explore_share`` too).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import markdown_table

from skrnn import _prediction
from skrnn._threads import WayJudge

WAYS = ("processes", "threads", "alone")


def simulate(judge: WayJudge, ms: dict, pattern: list[tuple[float, int]]) -> tuple:
    """Run ``pattern`` (gap, calls) through ``judge``: (slow share, mean / best)."""
    now = [0.0]
    real = time.monotonic
    time.monotonic = lambda: now[0]
    try:
        n_calls, n_slow, seconds = 0, 0, 0.0
        best = min(ms.values()) / 1e3
        for gap, calls in pattern:
            now[0] += gap
            for _ in range(calls):
                way = judge.way("call")
                took = ms[way] / 1e3
                now[0] += took
                judge.record("call", way, took / 1000, 1000)
                n_calls += 1
                n_slow += took > best
                seconds += took
    finally:
        time.monotonic = real
    return n_slow / n_calls, seconds / (n_calls * best)


def main() -> None:
    """Simulate each judge under each pattern of calls; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ms", default="35,67,65")
    parser.add_argument("--window", type=float, default=0.5)
    parser.add_argument("--gap", type=float, default=2.0)
    parser.add_argument("--windows", type=int, default=40)
    args = parser.parse_args()
    ms = dict(zip(WAYS, map(float, args.ms.split(",")), strict=True))
    per_window = max(1, int(args.window * 1e3 / ms["processes"]))
    patterns = {
        f"windows of {args.window} s, {args.gap} s apart": [(args.gap, per_window)]
        * args.windows,
        f"one call every {args.gap} s": [(args.gap, 1)] * (args.windows * 8),
        "back to back": [(0.0, args.windows * per_window)],
    }
    judges = {
        "explore_seconds=1.0 (before)": lambda: WayJudge(
            ways=WAYS, explore_seconds=1.0
        ),
        "PREDICT_WAYS now": lambda: WayJudge(
            ways=WAYS,
            explore_seconds=_prediction.PREDICT_WAYS.explore_seconds,
            explore_share=_prediction.PREDICT_WAYS.explore_share,
        ),
    }
    rows = []
    for pattern, calls in patterns.items():
        for name, make in judges.items():
            slow, mean = simulate(make(), ms, calls)
            rows.append([pattern, name, f"{100 * slow:.1f}%", f"{mean:.3f}"])
    print(f"ways' ms a call: {ms}")
    print(
        markdown_table(
            ["calls", "judge", "calls a slower way", "mean call / fastest"], rows
        )
    )


if __name__ == "__main__":
    main()
