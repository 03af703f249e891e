"""The URL model's verdicts are remembered per host within a memory budget: the same answer
as the model, each host judged once while it is remembered, the memory flat however many
hosts come, and safe when the dashboard's threads ask at once."""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Iterator

import pytest

import policy.engine as engine
from classifier.models.loading import load_models
from classifier.models.url import UrlModel
from policy.engine import CachedUrlModel


class CountingModel:
    """The real URL model, counting the hosts it is asked to judge (and keeping none)."""

    def __init__(self, model: UrlModel) -> None:
        self.model = model
        self.asked = 0

    def predict(self, hosts: list[str]):  # type: ignore[no-untyped-def]
        self.asked += len(hosts)
        return self.model.predict(hosts)


@pytest.fixture(scope="module")
def url_model() -> UrlModel:
    models = load_models(names=["url"])
    assert models.url is not None, models.errors
    return models.url


def _hosts(n: int, start: int = 0) -> Iterator[str]:
    return (f"www.shop-{i}-garden-casino{i % 7}.example" for i in range(start, start + n))


#: Where what the cache holds is made: its entries, the verdict pairs, the scores and the
#: host names (the model's own working memory, numpy's included, is made elsewhere and let go).
_CACHE_FILES = ("*/policy/bounded.py", "*/policy/engine.py", "*/models/verdicts.py", __file__)


def _held_by_the_cache() -> int:
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(True, pattern) for pattern in _CACHE_FILES]
    )
    return sum(stat.size for stat in snapshot.statistics("filename"))


def test_the_answer_is_the_models_and_a_host_is_judged_once(url_model: UrlModel) -> None:
    counting = CountingModel(url_model)
    cached = CachedUrlModel(counting)  # type: ignore[arg-type]
    hosts = ["freecasinobonus.example", "hotxxxpornvideos.example", "school-library.example"]
    expected = [(v.category, v.score) for v in url_model.predict(hosts)]
    assert [cached.classify(h, "/") for h in hosts] == expected
    assert [cached.classify(h, "/other") for h in hosts] == expected
    assert counting.asked == len(hosts)


@pytest.fixture
def budget(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """A small memory budget for the URL verdicts (64 KiB unless a test names another)."""
    size: int = getattr(request, "param", 64 * 1024)
    monkeypatch.setattr(engine, "_VERDICTS_BYTES", size)
    return size


def test_memory_stays_within_the_budget_and_the_oldest_hosts_go_first(
    url_model: UrlModel, budget: int
) -> None:
    counting = CountingModel(url_model)
    url_model.predict(list(_hosts(1, start=10_000)))  # what the model loads for such a name, once
    tracemalloc.start(1)
    try:
        cached = CachedUrlModel(counting)  # type: ignore[arg-type]
        before = _held_by_the_cache()
        held = []
        for i, host in enumerate(_hosts(3_000)):
            cached.classify(host, "/")
            if i in (1_500, 2_999):
                held.append(_held_by_the_cache() - before)
    finally:
        tracemalloc.stop()
    assert held[1] <= budget * 1.25, f"{held[1]} bytes held for a {budget}-byte budget"
    assert abs(held[1] - held[0]) <= budget * 0.1  # flat once full
    asked = counting.asked
    cached.classify(next(_hosts(1, start=2_999)), "/")
    assert counting.asked == asked  # the newest is remembered
    cached.classify(next(_hosts(1)), "/")
    assert counting.asked == asked + 1  # the oldest was let go


@pytest.mark.parametrize("budget", [16 * 1024], indirect=True)
def test_threads_asking_at_once_keep_the_budget(url_model: UrlModel, budget: int) -> None:
    cached = CachedUrlModel(url_model)
    errors: list[BaseException] = []

    def ask(offset: int) -> None:
        try:
            for host in _hosts(600, start=offset):
                cached.classify(host, "/")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(k * 200,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    remembered = cached._verdicts
    assert 0 < remembered.bytes <= budget
    assert remembered.bytes == sum(size for _value, size in remembered._entries.values())
