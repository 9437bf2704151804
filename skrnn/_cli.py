"""The ``skrnn`` command line."""

import argparse
import sys
from collections.abc import Sequence

from ._demo import DEMO_RANDOM_STATE, run_demo


def _demo(args: argparse.Namespace) -> int:
    clf = run_demo(epochs=args.epochs, every=args.every, random_state=args.random_state)
    return 0 if clf.n_iter_ == args.epochs else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skrnn`` command and its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="skrnn",
        description="Recurrent neural network text classifiers in numpy.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="train the seed post's RNN on the bundled toy sentiment set",
        description=(
            "Reproduce the seed post: a vanilla RNN (hidden size 64, one-hot "
            "words, SGD with learning rate 0.02 and batch size 1, gradients "
            "clipped at 1) trained on 50 sentences and tested on 25."
        ),
    )
    demo.add_argument("--epochs", type=int, default=1000, help="default: 1000")
    demo.add_argument(
        "--every", type=int, default=100, help="report every N epochs (default: 100)"
    )
    demo.add_argument(
        "--random-state",
        type=int,
        default=DEMO_RANDOM_STATE,
        help=f"seed of the weights and shuffling (default: {DEMO_RANDOM_STATE})",
    )
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skrnn`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit code.
    """
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
