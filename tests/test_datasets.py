"""Tests of skrnn.datasets: the shipped data sets and their loaders."""

from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils import Bunch

from skrnn.datasets import (
    load_movie_reviews,
    load_sst2,
    load_sst5,
    load_toy_sentiment,
    load_trec,
)

LOADERS = {
    "toy_sentiment": load_toy_sentiment,
    "mr": load_movie_reviews,
    "trec": load_trec,
    "sst2": load_sst2,
    "sst5": load_sst5,
}

# (loader name, subset) -> (number of examples, examples per class)
COUNTS = {
    ("toy_sentiment", "train"): (50, [27, 23]),
    ("toy_sentiment", "test"): (25, [12, 13]),
    ("toy_sentiment", "all"): (75, [39, 36]),
    ("mr", "all"): (10662, [5331, 5331]),
    ("trec", "train"): (5452, [1162, 1250, 86, 1223, 835, 896]),
    ("trec", "test"): (500, [138, 94, 9, 65, 81, 113]),
    ("trec", "all"): (5952, [1300, 1344, 95, 1288, 916, 1009]),
    ("sst2", "train"): (6920, [3310, 3610]),
    ("sst2", "dev"): (872, [428, 444]),
    ("sst2", "test"): (1821, [912, 909]),
    ("sst2", "all"): (9613, [4650, 4963]),
    ("sst5", "train"): (8544, [1092, 2218, 1624, 2322, 1288]),
    ("sst5", "dev"): (1101, [139, 289, 229, 279, 165]),
    ("sst5", "test"): (2210, [279, 633, 389, 510, 399]),
    ("sst5", "all"): (11855, [1510, 3140, 2242, 3111, 1852]),
}

TARGET_NAMES = {
    "toy_sentiment": ["negative", "positive"],
    "mr": ["negative", "positive"],
    "trec": ["DESC", "ENTY", "ABBR", "HUM", "LOC", "NUM"],
    "sst2": ["negative", "positive"],
    "sst5": ["very negative", "negative", "neutral", "positive", "very positive"],
}

VALID_SUBSETS = {
    "toy_sentiment": ("train", "test", "all"),
    "mr": ("all",),
    "trec": ("train", "test", "all"),
    "sst2": ("train", "dev", "test", "all"),
    "sst5": ("train", "dev", "test", "all"),
}

CITATIONS = {
    "toy_sentiment": ["Zhou, V. (2019)", "Introduction to Recurrent Neural"],
    "mr": ["Pang, B. and Lee, L. (2005)", "Seeing stars", "Kim, Y. (2014)"],
    "trec": ["Li, X. and Roth, D. (2002)", "Learning question", "Kim, Y. (2014)"],
    "sst2": ["Socher, R.", "(2013)", "sentiment treebank", "Kim, Y. (2014)"],
    "sst5": ["Socher, R.", "(2013)", "Kim, Y. (2014)", "Iyyer, M.", "(2015)"],
}

# The shared data folder the package files were made from, if present.
_REPO = Path(__file__).resolve().parents[1]
_SOURCE_CANDIDATES = [_REPO.parent / "shared" / "data", Path("/work/shared/data")]
SOURCE = next((p for p in _SOURCE_CANDIDATES if p.is_dir()), None)

# subset -> (source file, encoding, label separator, has a header row)
SOURCE_FILES = {
    ("toy_sentiment", "train"): ("toy_sentiment/train.tsv", "utf-8", "\t", True),
    ("toy_sentiment", "test"): ("toy_sentiment/test.tsv", "utf-8", "\t", True),
    ("mr", "all"): ("mr/rt-polarity.all", "latin-1", " ", False),
    ("trec", "train"): ("trec/TREC.train.all", "latin-1", " ", False),
    ("trec", "test"): ("trec/TREC.test.all", "latin-1", " ", False),
    ("sst2", "train"): ("sst2/stsa.binary.train", "utf-8", " ", False),
    ("sst2", "dev"): ("sst2/stsa.binary.dev", "utf-8", " ", False),
    ("sst2", "test"): ("sst2/stsa.binary.test", "utf-8", " ", False),
    ("sst5", "train"): ("sst5/stsa.fine.train", "utf-8", " ", False),
    ("sst5", "dev"): ("sst5/stsa.fine.dev", "utf-8", " ", False),
    ("sst5", "test"): ("sst5/stsa.fine.test", "utf-8", " ", False),
}


def _read_source(name, subset):
    """Read a source file afresh, independently of the package's reader."""
    path, encoding, sep, header = SOURCE_FILES[name, subset]
    pieces = (SOURCE / path).read_bytes().split(b"\n")
    assert pieces[-1] == b""
    lines = pieces[1:-1] if header else pieces[:-1]
    texts, labels = [], []
    for raw in lines:
        label, text = raw.decode(encoding).split(sep, 1)
        labels.append(int(label))
        texts.append(text.rstrip(" \r"))
    return texts, labels


@pytest.mark.parametrize(("name", "subset"), sorted(COUNTS))
def test_counts(name, subset):
    n, per_class = COUNTS[name, subset]
    bunch = LOADERS[name](subset=subset)
    assert len(bunch.data) == n
    assert bunch.target.shape == (n,)
    assert np.bincount(bunch.target).tolist() == per_class
    assert sum(per_class) == n
    assert len(per_class) == len(bunch.target_names)


@pytest.mark.parametrize(("name", "subset"), sorted(COUNTS))
def test_bunch_fields(name, subset):
    bunch = LOADERS[name](subset=subset)
    assert isinstance(bunch, Bunch)
    assert set(bunch) == {"data", "target", "target_names", "DESCR"}
    assert isinstance(bunch.data, list)
    assert all(isinstance(text, str) and text for text in bunch.data)
    assert not any(c in text for text in bunch.data for c in "\t\r\n")
    assert isinstance(bunch.target, np.ndarray)
    assert bunch.target.dtype == np.int64
    assert bunch.target_names == TARGET_NAMES[name]
    assert isinstance(bunch.DESCR, str)


@pytest.mark.parametrize(("name", "subset"), sorted(COUNTS))
def test_return_X_y(name, subset):
    bunch = LOADERS[name](subset=subset)
    X, y = LOADERS[name](subset=subset, return_X_y=True)
    assert bunch.data == X
    np.testing.assert_array_equal(y, bunch.target)


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_all_is_the_splits_concatenated(name):
    splits = [s for s in VALID_SUBSETS[name] if s != "all"]
    X_all, y_all = LOADERS[name](subset="all", return_X_y=True)
    X, y = [], []
    for split in splits:
        X_split, y_split = LOADERS[name](subset=split, return_X_y=True)
        X += X_split
        y += y_split.tolist()
    if splits:
        assert X_all == X
        assert y_all.tolist() == y


def test_default_subsets():
    assert len(load_toy_sentiment().data) == 50
    assert len(load_movie_reviews().data) == 10662
    assert len(load_trec().data) == 5452
    assert len(load_sst2().data) == 6920
    assert len(load_sst5().data) == 8544


@pytest.mark.parametrize("name", sorted(LOADERS))
@pytest.mark.parametrize("bad", ["validation", "TRAIN", "", None, ["train"]])
def test_bad_subset(name, bad):
    with pytest.raises(ValueError, match="subset must be one of") as excinfo:
        LOADERS[name](subset=bad)
    for valid in VALID_SUBSETS[name]:
        assert repr(valid) in str(excinfo.value)


def test_mr_has_no_train_split():
    with pytest.raises(ValueError, match=r"'all'.*no official train/test split"):
        load_movie_reviews(subset="train")


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_arguments_are_keyword_only(name):
    with pytest.raises(TypeError):
        LOADERS[name]("all")


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_descr_cites_the_sources(name):
    descr = LOADERS[name](subset="all").DESCR
    for needle in CITATIONS[name]:
        assert needle.lower() in descr.lower(), needle
    for n in {n for (loader, _), (n, _) in COUNTS.items() if loader == name}:
        assert f"{n:,}" in descr


def test_results_are_fresh_copies():
    first = load_trec(subset="test")
    first.data[0] = "changed"
    first.target[0] = 99
    second = load_trec(subset="test")
    assert second.data[0] == "How far is it from Denver to Aspen ?"
    assert second.target[0] == 5


def test_toy_sentiment_content():
    train = load_toy_sentiment(subset="train")
    test = load_toy_sentiment(subset="test")
    assert (train.data[0], train.target[0]) == ("good", 1)
    assert (train.data[-1], train.target[-1]) == (
        "i am not at all bad or sad right now",
        1,
    )
    labels = dict(zip(test.data, test.target.tolist(), strict=True))
    assert labels["this is not bad"] == 1
    assert labels["this is bad not good"] == 0
    labels_train = dict(zip(train.data, train.target.tolist(), strict=True))
    assert labels_train["this is good not bad"] == 1
    assert labels_train["i am bad not good"] == 0
    # 50 / 25 distinct sentences, no overlap between train and test.
    assert len(set(train.data)) == 50
    assert len(set(test.data)) == 25
    assert not set(train.data) & set(test.data)


def test_mr_keeps_0x85_as_latin1_nel():
    """Byte 0x85 is decoded as Latin-1 (U+0085), never as U+2026 or a split."""
    texts = load_movie_reviews().data
    with_nel = [t for t in texts if "\x85" in t]
    assert len(with_nel) == 22
    assert sum(t.count("\x85") for t in texts) == 23
    assert not any("\u2026" in t for t in texts)
    assert any(t.startswith("\x85the maudlin way its story unfolds") for t in texts)
    assert any("hmmm\x85might i suggest" in t for t in texts)
    # The one sentence that ends with 0x85 keeps it (only spaces are stripped).
    ends = [t for t in texts if t.endswith("\x85")]
    assert ends == [
        "what full frontal lacks in thematic coherence it largely makes up for "
        "as loosey-goosey , experimental entertainment . still , i'm not quite "
        "sure what the point is\x85"
    ]
    # The other cp1252 bytes stay Latin-1 too; the text round-trips to bytes.
    assert any("it's a treat \x96 a delightful" in t for t in texts)
    for text in texts:
        text.encode("latin-1")
    # No sentence lost its trailing-space artefact in the wrong way.
    assert not any(t.endswith(" ") for t in texts)


def test_non_ascii_text():
    trec = load_trec(subset="train").data
    assert (
        "Which city has the oldest relationship as a sister\xf0city with "
        "Los Angeles ?" in trec
    )
    sst2 = load_sst2(subset="test").data
    assert any("rancid crème brûlée" in t for t in sst2)
    sst5 = load_sst5(subset="test").data
    assert any("rancid crème brûlée" in t for t in sst5)


@pytest.mark.parametrize("subset", ["train", "dev", "test"])
def test_sst2_is_sst5_without_neutral(subset):
    """SST-2 holds SST-5's non-neutral sentences, 0-1 negative and 3-4 positive."""
    fine = dict(zip(*load_sst5(subset=subset, return_X_y=True), strict=True))
    X2, y2 = load_sst2(subset=subset, return_X_y=True)
    assert [int(fine[x] >= 3) for x in X2] == y2.tolist()
    assert set(X2) == {x for x, level in fine.items() if level != 2}


def test_trec_label_names():
    """The numeric TREC labels match the coarse classes of Li and Roth."""
    X, y = load_trec(subset="all", return_X_y=True)
    names = load_trec().target_names
    label = dict(zip(X, (names[i] for i in y), strict=False))
    assert label["How did serfdom develop in and then leave Russia ?"] == "DESC"
    assert label["What films featured the character Popeye Doyle ?"] == "ENTY"
    assert label["What does S.O.S. stand for ?"] == "ABBR"
    assert label["Who was Galileo ?"] == "HUM"
    assert label["What county is Modesto , California in ?"] == "LOC"
    assert label["How far is it from Denver to Aspen ?"] == "NUM"

    def classes(prefix):
        return {names[i] for x, i in zip(X, y, strict=True) if x.startswith(prefix)}

    assert classes("How many ") == {"NUM"}
    assert classes("Why ") == {"DESC"}
    y_who = [names[i] for x, i in zip(X, y, strict=True) if x.startswith("Who ")]
    assert y_who.count("HUM") / len(y_who) > 0.99
    y_where = [names[i] for x, i in zip(X, y, strict=True) if x.startswith("Where ")]
    assert y_where.count("LOC") / len(y_where) > 0.9
    y_abbr = [names[i] for x, i in zip(X, y, strict=True) if "stand for" in x]
    assert y_abbr.count("ABBR") / len(y_abbr) > 0.9


def test_data_files_are_packaged():
    data = resources.files("skrnn.datasets").joinpath("data")
    names = {entry.name for entry in data.iterdir()}
    expected = {f"{name}_{subset}.tsv.gz" for name, subset in SOURCE_FILES}
    assert expected <= names
    total = sum(len(data.joinpath(name).read_bytes()) for name in expected)
    assert total < 2_000_000


@pytest.mark.parametrize(("name", "subset"), sorted(SOURCE_FILES))
def test_equals_fresh_read_of_source(name, subset):
    if SOURCE is None:
        pytest.skip("shared data folder not found")
    texts, labels = _read_source(name, subset)
    X, y = LOADERS[name](subset=subset, return_X_y=True)
    assert texts == X
    assert y.tolist() == labels
