"""A map bounded by the memory its entries take, for what the proxy remembers per page, host
or message.

Bounded by a count, a cache of keys chosen by the network (host names, paths, chat text)
still grows with their length, and clearing it whole when full makes memory climb and fall
in steps; this one keeps its entries' estimated bytes under a budget and lets the oldest go
first, one at a time.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["ENTRY_BYTES", "BoundedCache", "estimated_bytes"]

K = TypeVar("K")
V = TypeVar("V")

#: What one entry costs besides its key and value: its slots in the ordered dict and the
#: (value, size) pair kept for it (measured with tracemalloc: about 135 bytes).
ENTRY_BYTES = 140


def estimated_bytes(item: object) -> int:
    """Roughly the memory ``item`` holds (``sys.getsizeof``, summed into tuples and frozen
    sets; other objects are counted by their own size only)."""
    if isinstance(item, tuple | frozenset):
        return sys.getsizeof(item) + sum(estimated_bytes(part) for part in item)
    return sys.getsizeof(item)


class BoundedCache(Generic[K, V]):
    """Key -> value, holding at most ``budget`` estimated bytes (key, value and
    ``ENTRY_BYTES`` per entry; the value's size as ``value_bytes`` says, by default
    ``estimated_bytes``). Storing a key makes it the newest; past the budget the oldest
    entries are dropped. Not thread-safe: one event loop owns it."""

    def __init__(self, budget: int, value_bytes: Callable[[V], int] = estimated_bytes) -> None:
        if budget <= 0:
            raise ValueError("a cache budget must be positive")
        self.budget = budget
        self._value_bytes = value_bytes
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, key: K) -> V | None:
        """The value stored for ``key``, or None."""
        found = self._entries.get(key)
        return None if found is None else found[0]

    def put(self, key: K, value: V) -> None:
        """Store ``value`` for ``key`` as the newest entry, then drop the oldest entries
        until the cache is within its budget (an entry larger than the whole budget is not
        kept)."""
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        size = estimated_bytes(key) + self._value_bytes(value) + ENTRY_BYTES
        self._entries[key] = (value, size)
        self.bytes += size
        while self.bytes > self.budget and self._entries:
            _key, (_value, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped

    def drop_oldest_while(self, stale: Callable[[V], bool]) -> None:
        """Drop entries from the oldest on for as long as ``stale(value)`` is true."""
        while self._entries:
            key = next(iter(self._entries))
            value, size = self._entries[key]
            if not stale(value):
                return
            del self._entries[key]
            self.bytes -= size

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0
