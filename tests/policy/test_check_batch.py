"""Deciding many addresses at once gives the lines deciding them one by one gives; the
dashboard's check reuses its lists and models until their files change."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from policy import check
from policy.check import (
    BatchUrlVerdicts,
    CheckedLines,
    CheckEngine,
    batch_url_verdicts,
    check_lines,
    check_url,
    url_request,
)
from policy.decide import decide
from policy.engine import load_files
from policy.store import load_snapshot
from policy.validate import InputError
from policy.values import Reason
from tests.support.lists import make_index, parsed

NOW = datetime(2026, 6, 10, 12, tzinfo=timezone(timedelta(hours=2)))


def _one_by_one(urls, profile, snapshot) -> list[str]:
    """What ``hearthguard check`` printed before it decided in chunks."""
    lines = []
    for url in urls:
        try:
            request = url_request(url)
        except InputError as exc:
            lines.append(json.dumps({"url": url, "error": exc.message}))
            continue
        decision = decide(request, profile, snapshot, NOW)
        lines.append(json.dumps({"url": url, **decision.as_dict()}, ensure_ascii=False))
    return lines


def test_chunks_give_the_same_lines_as_one_address_at_a_time(store, data_dir, monkeypatch) -> None:
    make_index(
        data_dir.index,
        [
            parsed("ut1/gambling", "gambling", ["casino.example"]),
            parsed("ut1/health", "health", ["clinic.example"]),
        ],
    )
    engine = load_files(data_dir)
    assert engine.url_model is not None
    plain = load_snapshot(store, index=engine.index, url_model=engine.url_model)
    batched = load_snapshot(
        store, index=engine.index, url_model=batch_url_verdicts(engine.url_model)
    )
    profile = plain.profiles[plain.default_profile]
    # names the URL model judges (some it blocks), listed hosts, repeats of one unknown host
    # in a chunk and across chunks, addresses that are not web addresses, non-ASCII paths
    urls = []
    for i in range(120):
        urls += [
            f"https://free-casino-bonus{i % 7}.example/slots?spin={i}",
            f"casino.example/table/{i}",
            f"https://www.clinic.example/advice/{i}",
            f"http://school{i % 5}.example/über/{i}",
            "ftp://files.example" if i % 30 == 0 else f"cheap-pills{i % 3}.example",
            "http://[::1" if i % 40 == 0 else f"https://news{i}.example/",
        ]
    monkeypatch.setattr(check, "CHUNK", 97)  # several chunks, split mid-pattern
    counts = CheckedLines()
    got = list(check_lines(urls, profile, batched, NOW, counts))
    assert got == _one_by_one(urls, profile, plain)
    assert counts.bad == 4 + 3
    reasons = {json.loads(line).get("reason") for line in got}
    assert {"model_blocked", "category_blocked", "protected_category", "not_blocked"} <= reasons


def test_a_host_waiting_for_the_model_is_decided_again_not_allowed(store, data_dir) -> None:
    engine = load_files(data_dir)
    wrapped = batch_url_verdicts(engine.url_model)
    assert isinstance(wrapped, BatchUrlVerdicts)
    snapshot = load_snapshot(store, index=engine.index, url_model=wrapped)
    profile = snapshot.profiles[snapshot.default_profile]
    url = "https://free-casino-bonus-slots.example/"
    alone_snapshot = load_snapshot(store, url_model=engine.url_model)
    alone = decide(url_request(url), profile, alone_snapshot, NOW)
    assert alone.reason is Reason.MODEL_BLOCKED  # the model blocks this name on its own
    (line,) = check_lines([url], profile, snapshot, NOW, CheckedLines())
    assert json.loads(line)["reason"] == "model_blocked"
    assert wrapped.asked == {}


@pytest.mark.parametrize(
    "url",
    [
        "http://Ex.COM./a?b#c",
        "http://a.com:99999/x",
        "http://user@a.com/",
        "http://a.com?x",
        "http://a.com#f",
        "http://a.com/p;params?q",
        "HTTP://A.com",
        "a.com:80",
        "mailto:x",
        "http://.",
        "https://a.com/é?ü#x",
        "http://a.com/\x7f",
        "http://[::1]/",
        "http://1.2.3.4:8/x",
        "a.com/p?q=1&r=2",
        "http://a.com:/x",
        "http://a.com/?#",
        "//a.com",
        "http:///a",
        "https://a.com\\b",
        " https://a.com/x ",
    ],
)
def test_plain_addresses_split_as_urlsplit_splits_them(url: str) -> None:
    def split(f):  # the request, or the error message
        try:
            r = f(url)
            return (r.host, r.path, r.scheme)
        except InputError as exc:
            return exc.message

    assert split(url_request) == split(lambda u: check._split_request(u.strip()))


def test_the_dashboard_engine_is_reused_until_the_index_file_changes(store, data_dir) -> None:
    make_index(data_dir.index, [parsed("ut1/gambling", "gambling", ["casino.example"])])
    engine = CheckEngine(data_dir)
    _, first, _ = check_url(
        data_dir, store, store.profile("Household"), "casino.example", NOW, engine
    )
    loaded = engine.current()
    assert engine.current() is loaded  # nothing changed: nothing loaded again
    assert first.reason is Reason.CATEGORY_BLOCKED
    # a list update replaces the index file: the next check sees it
    replacement = Path(str(data_dir.index) + ".new")
    make_index(replacement, [parsed("ut1/health", "health", ["casino.example"])])
    os.replace(replacement, data_dir.index)
    _, second, _ = check_url(
        data_dir, store, store.profile("Household"), "casino.example", NOW, engine
    )
    assert engine.current() is not loaded
    assert second.reason is Reason.PROTECTED_CATEGORY


def test_a_retrained_model_file_is_seen(store, data_dir) -> None:
    engine = CheckEngine(data_dir)
    loaded = engine.current()
    data_dir.models_dir.mkdir(parents=True, exist_ok=True)
    (data_dir.models_dir / "url.json").write_text("{}")  # damaged: bundled model used again
    assert engine.current() is not loaded


def test_unlisted_hosts_are_judged_before_they_are_decided(store, data_dir) -> None:
    make_index(data_dir.index, [parsed("ut1/gambling", "gambling", ["casino.example"])])
    engine = load_files(data_dir)
    wrapped = batch_url_verdicts(engine.url_model)
    assert isinstance(wrapped, BatchUrlVerdicts)
    snapshot = load_snapshot(store, index=engine.index, url_model=wrapped)
    profile = snapshot.profiles[snapshot.default_profile]
    urls = [f"https://free-casino-bonus{i}.example/x" for i in range(50)]
    urls += [f"https://casino.example/{i}" for i in range(50)]
    plain = load_snapshot(store, index=engine.index, url_model=engine.url_model)
    got = list(check_lines(urls, profile, snapshot, NOW, CheckedLines()))
    assert got == _one_by_one(urls, profile, plain)
    # every unlisted host was judged in one batch first: no decision had to wait and be
    # taken again, and listed hosts never reached the model
    assert wrapped.provisional == 0
    assert set(wrapped._verdicts) == {f"free-casino-bonus{i}.example" for i in range(50)}


def _shared_lists() -> Path:
    configured = os.environ.get("HEARTHGUARD_SHARED_DATA")
    root = Path(configured) if configured else Path(__file__).resolve().parents[3] / "shared/data"
    if not (root / "lists").is_dir():
        pytest.skip(f"shared data not found at {root}")
    return root / "lists"


def real_addresses() -> list[str]:
    """Real addresses of many kinds: URL entries and domains of real lists (adult, press, sex
    education, gambling, drugs, redirectors), real sites no bundled list names (cooking,
    sports), with and without scheme, ``www.`` and paths; then lines that are no address."""
    lists = _shared_lists()
    picked: list[str] = []
    for name, count in [
        ("ut1/adult/urls", 150),
        ("ut1/press/domains", 80),
        ("ut1/sexual_education/domains", 60),
        ("ut1/gambling/domains", 80),
        ("ut1/redirector/domains", 40),
        ("ut1/cooking/domains", 80),
        ("ut1/sports/domains", 80),
        ("blocklistproject/drugs.txt", 40),
    ]:
        lines = (lists / name).read_text(encoding="utf-8", errors="replace").splitlines()
        entries = [line.split()[-1] for line in lines if line.strip() and line[0] != "#"]
        picked += entries[:: max(1, len(entries) // count)][:count]
    urls = []
    for i, entry in enumerate(picked):
        form = i % 4
        urls.append(
            entry
            if form == 0
            else f"https://www.{entry}/Page?q={i}"
            if form == 1
            else f"http://{entry.upper()}/a/./b/../c"
            if form == 2
            else f"https://{entry}:8443/é/{i}#top"
        )
    return urls + [
        "garbage here",
        "ftp://files.example",
        "http://[::1",
        "x" * 3000,
        "https://" + "a" * 300 + ".example/",
        "http://exa mple.com/",
        "http://\x01bad.example/",
        "https://203.0.113.7/login",
        "http://[2001:db8::1]:8080/",
        "https://пример.рф/страница",
    ]


def test_real_addresses_give_the_lines_deciding_them_one_by_one_gives(
    store, data_dir, monkeypatch
) -> None:
    engine = load_files(data_dir)  # the bundled lists and the shipped URL model
    plain = load_snapshot(store, index=engine.index, url_model=engine.url_model)
    batched = load_snapshot(
        store, index=engine.index, url_model=batch_url_verdicts(engine.url_model)
    )
    profile = plain.profiles[plain.default_profile]
    urls = real_addresses()
    monkeypatch.setattr(check, "CHUNK", 101)
    counts = CheckedLines()
    got = list(check_lines(urls + urls[::-1], profile, batched, NOW, counts))
    assert got == _one_by_one(urls + urls[::-1], profile, plain)
    reasons = {json.loads(line).get("reason") for line in got}
    assert {"category_blocked", "protected_category", "not_blocked"} <= reasons
    assert counts.bad == 2 * sum(1 for line in got[: len(urls)] if '"error"' in line) >= 10


class _FailingIndex:
    """An index whose file went bad under it: every lookup of one host raises."""

    def __init__(self, index, bad_host: str) -> None:
        self.index, self.bad_host = index, bad_host

    def lookup(self, host: str, path: str = ""):
        if host == self.bad_host:
            raise OSError("Bad address")  # what reading a truncated mapping raises
        return self.index.lookup(host, path)


def test_a_failing_lookup_blocks_that_address_and_the_rest_go_on(store, data_dir) -> None:
    make_index(data_dir.index, [parsed("ut1/gambling", "gambling", ["casino.example"])])
    engine = load_files(data_dir)
    failing = _FailingIndex(engine.index, "broken.example")
    plain = load_snapshot(store, index=failing, url_model=engine.url_model)
    batched = load_snapshot(store, index=failing, url_model=batch_url_verdicts(engine.url_model))
    profile = plain.profiles[plain.default_profile]
    urls = ["casino.example", "https://broken.example/", "news.example", "broken.example/x"]
    got = list(check_lines(urls, profile, batched, NOW, CheckedLines()))
    assert got == _one_by_one(urls, profile, plain)
    assert [json.loads(line)["reason"] for line in got] == [
        "category_blocked",
        "filter_error",
        "not_blocked",
        "filter_error",
    ]
