"""Registries: entries by name, the built-in ones and those a process adds.

The cells (:data:`~skrnn.nn.CELLS`), the output heads
(:data:`~skrnn.nn.HEADS`) and the optimizers (``skrnn._optimizers.OPTIMIZERS``)
are each a :class:`Registry`.  Their modules keep the public functions that
add and remove an entry and the checks of what an entry is; the registry does
the rest, under a lock, with the same messages for all three.
"""

import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries keyed by name: built-in ones, and those added at run time.

    Parameters
    ----------
    builtins : mapping of str to entry
        The entries every process knows without a registration; they cannot
        be removed.
    what : str
        What an entry is, for the messages: ``"cell"``, ``"head"``,
        ``"optimizer"``.
    namespace : str
        The package whose functions ``register_<what>`` and
        ``unregister_<what>`` add and remove an entry, such as
        ``"skrnn.nn"``, for the messages.

    Attributes
    ----------
    view : mappingproxy of str to entry
        The registered entries, built-in ones first then in the order they
        were added: a live, read-only view.
    builtin_names : frozenset of str
        The names of the built-in entries.

    Examples
    --------
    >>> from skrnn.nn._registry import Registry
    >>> colours = Registry({"red": 1}, what="colour", namespace="paint")
    >>> colours.add("blue", 2)
    >>> dict(colours.view)
    {'red': 1, 'blue': 2}
    >>> colours.get("green")
    Traceback (most recent call last):
    ...
    ValueError: Unknown colour 'green'; the registered colours are ['red', 'blue'] \
(add one with paint.register_colour).
    """

    def __init__(self, builtins: Mapping[str, T], *, what: str, namespace: str) -> None:
        self._entries: dict[str, T] = dict(builtins)
        self._lock = threading.Lock()
        self.view: Mapping[str, T] = MappingProxyType(self._entries)
        self.builtin_names = frozenset(builtins)
        self._what = what
        self._a_what = f"{'An' if what[0] in 'aeiou' else 'A'} {what}"
        self._register = f"{namespace}.register_{what}"
        self._unregister = f"unregister_{what}"

    def add(self, name: str, entry: T) -> None:
        """Register ``entry`` as ``name``.

        Raises
        ------
        TypeError
            If ``name`` is not a non-empty string.
        ValueError
            If an entry is already registered as ``name``.
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"{self._a_what}'s name is a non-empty str; got {name!r}.")
        with self._lock:
            if name in self._entries:
                raise ValueError(
                    f"{self._a_what} is already registered as {name!r}; choose "
                    f"another name, or {self._unregister} it first."
                )
            self._entries[name] = entry

    def remove(self, name: str) -> None:
        """Remove the entry registered as ``name``.

        Raises
        ------
        TypeError
            If ``name`` is not a string.
        ValueError
            If ``name`` is a built-in entry or no registered one.
        """
        if not isinstance(name, str):
            raise TypeError(f"{self._a_what}'s name is a str; got {name!r:.40}.")
        if name in self.builtin_names:
            raise ValueError(
                f"{name!r} is a built-in {self._what}; it cannot be unregistered."
            )
        with self._lock:
            if name not in self._entries:
                raise ValueError(f"No {self._what} is registered as {name!r}.")
            del self._entries[name]

    def get(self, name: str) -> T:
        """The entry registered as ``name``, or a ValueError that lists the names."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise ValueError(
                f"Unknown {self._what} {name!r:.40}; the registered {self._what}s "
                f"are {list(self._entries)} (add one with {self._register})."
            ) from None
