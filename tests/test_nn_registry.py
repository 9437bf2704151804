"""The registry of the cells, the output heads and the optimizers."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from skrnn import register_optimizer, unregister_optimizer
from skrnn._optimizers import OPTIMIZERS, SGDOptimizer
from skrnn.nn import (
    CELLS,
    HEADS,
    register_cell,
    register_head,
    unregister_cell,
    unregister_head,
)
from skrnn.nn._registry import Registry


def make_registry():
    return Registry({"red": 1, "green": 2}, what="colour", namespace="paint")


def test_the_view_is_live_and_read_only():
    registry = make_registry()
    view = registry.view
    with pytest.raises(TypeError):
        view["blue"] = 3
    registry.add("blue", 3)
    assert dict(view) == {"red": 1, "green": 2, "blue": 3}
    registry.remove("blue")
    assert list(view) == ["red", "green"]


def test_builtins_cannot_be_removed():
    registry = make_registry()
    assert registry.builtin_names == frozenset({"red", "green"})
    with pytest.raises(ValueError, match="'red' is a built-in colour; it cannot be"):
        registry.remove("red")
    with pytest.raises(ValueError, match="No colour is registered as 'blue'"):
        registry.remove("blue")
    assert list(registry.view) == ["red", "green"]


def test_a_name_is_added_once():
    registry = make_registry()
    registry.add("blue", 3)
    for name in ("blue", "red"):
        with pytest.raises(
            ValueError,
            match=f"A colour is already registered as '{name}'; choose another "
            "name, or unregister_colour it first",
        ):
            registry.add(name, 4)
    assert dict(registry.view) == {"red": 1, "green": 2, "blue": 3}


@pytest.mark.parametrize("name", ["", None, 3])
def test_a_name_is_a_non_empty_str(name):
    registry = make_registry()
    with pytest.raises(TypeError, match="A colour's name is a non-empty str; got"):
        registry.add(name, 3)
    assert list(registry.view) == ["red", "green"]


@pytest.mark.parametrize("name", [["blue"], {}, 3])
def test_removing_a_name_that_is_no_str_says_so(name):
    # unhashable names failed in the lookup: "unhashable type: 'list'"
    registry = make_registry()
    with pytest.raises(TypeError, match="A colour's name is a str; got"):
        registry.remove(name)
    assert list(registry.view) == ["red", "green"]


@pytest.mark.parametrize(
    "unregister", [unregister_cell, unregister_head, unregister_optimizer]
)
def test_the_unregister_functions_refuse_a_name_that_is_no_str(unregister):
    with pytest.raises(TypeError, match="name is a str; got \\['gru'\\]"):
        unregister(["gru"])


def test_an_entry_that_starts_with_a_vowel_takes_an():
    registry = Registry({}, what="optimizer", namespace="skrnn")
    with pytest.raises(TypeError, match="An optimizer's name"):
        registry.add("", SGDOptimizer)


@pytest.mark.parametrize("name", ["blue", ["red"]])
def test_get_names_the_registered_entries(name):
    registry = make_registry()
    assert registry.get("green") == 2
    with pytest.raises(
        ValueError,
        match=r"Unknown colour .*; the registered colours are \['red', 'green'\] "
        r"\(add one with paint\.register_colour\)",
    ):
        registry.get(name)


class SlowName(str):
    """A name whose every hash takes a while: a thread switch in a lookup."""

    def __hash__(self):
        time.sleep(0.005)
        return super().__hash__()


def register_at_once(register, name, entry, n_threads=4):
    """Register ``entry`` as ``name`` from threads at once; their outcomes."""
    start = threading.Barrier(n_threads)

    def attempt(_):
        start.wait()
        try:
            register(name, entry)
        except ValueError as exc:
            return exc
        return "registered"

    with ThreadPoolExecutor(n_threads) as pool:
        return list(pool.map(attempt, range(n_threads)))


@pytest.mark.parametrize(
    ("register", "unregister", "registry", "entry"),
    [
        (register_cell, unregister_cell, CELLS, CELLS["rnn"]),
        (register_head, unregister_head, HEADS, HEADS["identity"]),
        (register_optimizer, unregister_optimizer, OPTIMIZERS, SGDOptimizer),
    ],
)
def test_of_threads_registering_one_name_exactly_one_succeeds(
    register, unregister, registry, entry
):
    # Regression: the check of the name and the insertion were apart, and
    # every thread passed the check before any inserted: all of them
    # registered, the last silently winning.
    try:
        outcomes = register_at_once(register, SlowName("racer"), entry)
    finally:
        if "racer" in registry:
            unregister("racer")
    refusals = [str(outcome) for outcome in outcomes if outcome != "registered"]
    assert len(refusals) == len(outcomes) - 1
    assert all("already registered as 'racer'" in refusal for refusal in refusals)
    assert "racer" not in registry
