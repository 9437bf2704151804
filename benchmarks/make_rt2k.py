"""Write ``rt2k.all`` for ``accuracy.py --corpora rt2k`` from the review polarity data.

Usage::

    python benchmarks/make_rt2k.py review_polarity/txt_sentoken DIR

The input is the ``txt_sentoken`` folder of Pang and Lee (2004)'s polarity
dataset v2.0 (http://www.cs.cornell.edu/people/pabo/movie-review-data/,
``review_polarity.tar.gz``): 1,000 positive reviews in ``pos/`` and 1,000
negative ones in ``neg/``, one tokenized, lowercased review a file.  The
output, ``DIR/rt2k.all``, holds one review a line as Kim (2014)'s files do:
its label (1 positive, 0 negative), a space, and its tokens joined by single
spaces, in the order of the sorted file names.
"""

import argparse
from pathlib import Path


def reviews(folder: Path) -> list[str]:
    """``label text`` lines of the reviews in ``folder``'s ``pos`` and ``neg``."""
    lines = []
    for label, name in ((1, "pos"), (0, "neg")):
        files = sorted((folder / name).glob("*.txt"))
        if not files:
            raise SystemExit(f"make_rt2k.py: no .txt files in {folder / name}")
        for path in files:
            text = " ".join(path.read_text(encoding="utf-8").split())
            lines.append(f"{label} {text}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("txt_sentoken", type=Path, help="the dataset's folder")
    parser.add_argument("out_dir", type=Path, help="where to write rt2k.all")
    args = parser.parse_args()
    lines = reviews(args.txt_sentoken)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "rt2k.all").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} reviews to {args.out_dir / 'rt2k.all'}")


if __name__ == "__main__":
    main()
