"""The byte-bounded cache: the oldest entries go first, and the memory it really holds (as
tracemalloc counts it) stays near its budget however long or many the keys are."""

from __future__ import annotations

import random
import string
import tracemalloc

import pytest

from policy.bounded import ENTRY_BYTES, BoundedCache, estimated_bytes


def _host(rng: random.Random, labels: int = 3) -> str:
    return ".".join(
        "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(3, 14)))
        for _ in range(labels)
    )


def test_the_oldest_go_first_and_a_stored_key_becomes_the_newest() -> None:
    cache: BoundedCache[str, int] = BoundedCache(1000)
    for i in range(5):
        cache.put(f"k{i}", i)
    cache.put("k0", 10)  # k0 is now the newest
    while "k1" in cache:
        cache.put(f"n{len(cache)}-{cache.bytes}", 0)
    assert cache.get("k0") == 10
    assert cache.get("k1") is None
    assert cache.bytes <= 1000


def test_bytes_are_counted_back_on_replace_drop_and_clear() -> None:
    cache: BoundedCache[str, str] = BoundedCache(10_000)
    cache.put("a", "x" * 100)
    first = cache.bytes
    cache.put("a", "y" * 100)
    assert cache.bytes == first and len(cache) == 1
    cache.put("b", "z")
    cache.drop_oldest_while(lambda value: value.startswith("y"))
    assert "a" not in cache and "b" in cache
    assert cache.bytes == estimated_bytes("b") + estimated_bytes("z") + ENTRY_BYTES
    cache.clear()
    assert cache.bytes == 0 and len(cache) == 0


def test_an_entry_larger_than_the_budget_is_not_kept() -> None:
    cache: BoundedCache[str, str] = BoundedCache(500)
    cache.put("small", "v")
    cache.put("huge", "v" * 1000)
    assert len(cache) == 0 and cache.bytes == 0
    with pytest.raises(ValueError, match="positive"):
        BoundedCache(0)


@pytest.mark.parametrize(
    ("keys", "budget"),
    [
        ("hosts", 128 * 1024),  # host names, as the time keeper and the URL verdicts have
        ("pages", 512 * 1024),  # host + long path, as remembered page verdicts have
        ("pairs", 64 * 1024),  # (profile, host), as minutes counted have
    ],
)
def test_what_the_cache_really_holds_stays_near_its_budget(keys: str, budget: int) -> None:
    """15,000 unique keys (far more than fit): the memory the cache holds, counted by
    tracemalloc, is within 25% of its budget, and stops growing once the budget is met."""
    rng = random.Random(7)

    def key(i: int) -> object:
        if keys == "hosts":
            return _host(rng)
        if keys == "pages":
            return _host(rng) + "/" + "a/" * rng.randint(5, 200) + str(i)
        return ("Emma", _host(rng))

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        cache: BoundedCache[object, float] = BoundedCache(budget)
        held = []
        for i in range(15_000):
            cache.put(key(i), float(i))
            if i in (7_500, 14_999):
                held.append(tracemalloc.get_traced_memory()[0] - before)
    finally:
        tracemalloc.stop()
    assert cache.bytes <= budget
    assert held[1] <= budget * 1.25, f"{held[1] / 2**20:.2f} MiB for a {budget / 2**20} budget"
    assert abs(held[1] - held[0]) <= budget * 0.1  # flat once full
    assert len(cache) > 150
