"""activity.db: batched writes, hotline counts, requests and pruning, and undecodable or huge
texts that must never cost a batch."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from policy.activity import ActivityStore
from policy.activitydb.queue import ActivityLog
from policy.activitydb.records import DecisionEvent, DeviceSighting

T0 = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def event(at: datetime, host: str = "example.com", action: str = "allow", ip: str = "10.0.0.2"):
    return DecisionEvent(at, None, ip, "Household", host, action, "not_blocked", None, None, None)


def test_batch_is_written_and_read_back(data_dir) -> None:
    log = ActivityLog()
    log.decision(event(T0))
    log.decision(event(T0, "casino.example", "block"))
    log.sighting(DeviceSighting(T0, "10.0.0.2", user_agent="Tablet"))
    log.sighting(DeviceSighting(T0 + timedelta(seconds=5), "10.0.0.2", tls_failed=1))
    store = ActivityStore(data_dir.activity_db)
    store.write_batch(*log.take())
    assert not log
    got = store.recent_decisions(10)
    assert [(e.host, e.action) for e in got] == [
        ("casino.example", "block"),
        ("example.com", "allow"),
    ]
    (seen,) = store.sightings()
    assert (seen.ip, seen.user_agent, seen.tls_failed) == ("10.0.0.2", "Tablet", 1)
    store.close()


def test_hotline_blocks_are_counted_without_hosts(data_dir) -> None:
    log = ActivityLog()
    log.hotline_block()
    log.hotline_block()
    store = ActivityStore(data_dir.activity_db)
    store.write_batch(*log.take())
    assert store.db.execute("SELECT sum(blocks) FROM hotline_counts").fetchone()[0] == 2
    assert store.recent_decisions() == []
    store.close()


def test_access_requests_and_pruning(data_dir) -> None:
    store = ActivityStore(data_dir.activity_db)
    rid = store.add_request(
        device="Tablet",
        ip="10.0.0.2",
        profile="Household",
        host="casino.example",
        url="http://casino.example/",
        category="gambling",
        reason="category_blocked",
        message="for homework",
        now=T0,
    )
    assert store.request(rid).status == "pending"
    answered = store.answer_request(
        rid, approve=True, until=T0 + timedelta(hours=1), note="ok", now=T0
    )
    assert (answered.status, answered.note) == ("approved", "ok")
    store.write_batch([event(T0 - timedelta(days=40)), event(T0, "new.example")], [])
    assert store.prune(T0 - timedelta(days=30)) == 1
    assert [e.host for e in store.recent_decisions()] == ["new.example"]
    store.close()


BAD_UA = "Mozilla/5.0 \udcff\udcfe (odd\x00build)"  # bytes 0xff 0xfe, as mitmproxy hands them over


def test_one_undecodable_user_agent_and_host_never_drop_a_batch(data_dir) -> None:
    """A real activity.db: the odd device's row is stored escaped, and every other device's
    decisions and sightings in the same batch are written too."""
    log = ActivityLog()
    for n in range(20):
        log.decision(event(T0, f"site{n}.example", ip=f"10.0.0.{n + 10}"))
        log.user_agent(f"10.0.0.{n + 10}", f"Browser {n}", T0)
    log.decision(event(T0, "odd\udcffhost.example", ip="10.0.0.99"))
    log.user_agent("10.0.0.99", BAD_UA, T0)
    store = ActivityStore(data_dir.activity_db)
    assert store.write_batch(*log.take()) == 0
    hosts = {e.host for e in store.recent_decisions(100)}
    assert hosts == {f"site{n}.example" for n in range(20)} | {"odd\\xffhost.example"}
    agents = {s.ip: s.user_agent for s in store.sightings()}
    assert len(agents) == 21 and agents["10.0.0.99"] == "Mozilla/5.0 \\xff\\xfe (odd\\x00build)"
    store.close()


class _Unbindable:
    """A value no SQLite column can take (as a bug elsewhere might one day put in a row)."""


def test_the_batch_writer_writes_every_row_but_the_one_refused(data_dir) -> None:
    good = [event(T0, f"good{n}.example") for n in range(5)]
    bad = replace(event(T0, "bad.example"), score=_Unbindable())  # type: ignore[arg-type]
    sightings = [
        DeviceSighting(T0, "10.0.0.2", user_agent="Tablet"),
        replace(DeviceSighting(T0, "10.0.0.3"), tls_ok=2**80),  # too big for SQLite
    ]
    store = ActivityStore(data_dir.activity_db)
    assert store.write_batch([*good[:2], bad, *good[2:]], sightings, hotline_blocks=1) == 2
    assert {e.host for e in store.recent_decisions(100)} == {e.host for e in good}
    assert [s.ip for s in store.sightings()] == ["10.0.0.2"]
    assert store.db.execute("SELECT sum(blocks) FROM hotline_counts").fetchone()[0] == 1
    store.close()


def test_access_requests_with_undecodable_text_are_kept(data_dir) -> None:
    store = ActivityStore(data_dir.activity_db)
    rid = store.add_request(
        device=None,
        ip="10.0.0.2",
        profile="Household",
        host="odd\udcffhost.example",
        url="http://odd\udcffhost.example/\udcfe" + "p" * 5000,
        category=None,
        reason="category_blocked",
        message="please \udc80",
        now=T0,
    )
    saved = store.request(rid)
    assert saved.host == "odd\\xffhost.example" and saved.message == "please \\x80"
    assert saved.url.startswith("http://odd\\xffhost.example/\\xfe") and len(saved.url) <= 2000
    store.close()
