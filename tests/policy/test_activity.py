"""activity.db: batched writes, repeat folding, bounded queue, requests and pruning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from policy.activity import MAX_QUEUE, ActivityLog, ActivityStore, DecisionEvent, DeviceSighting

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


def test_repeats_within_the_window_are_folded() -> None:
    log = ActivityLog(repeat_window=timedelta(seconds=60))
    for s in range(0, 120, 10):
        log.decision(event(T0 + timedelta(seconds=s)))
    log.decision(event(T0, "example.com", "block"))
    decisions, _, _ = log.take()
    assert [(e.at - T0).seconds for e in decisions if e.action == "allow"] == [0, 60]
    assert sum(e.action == "block" for e in decisions) == 1


def test_queue_is_bounded() -> None:
    log = ActivityLog(repeat_window=timedelta(0))
    for i in range(MAX_QUEUE + 10):
        log.decision(event(T0, f"h{i}.example"))
    decisions, _, _ = log.take()
    assert len(decisions) <= MAX_QUEUE
    assert log.dropped > 0
    assert decisions[-1].host == f"h{MAX_QUEUE + 9}.example"


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
