"""The proxy's in-memory activity queue: repeats folded, bounded, a batch put back first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from policy.activitydb.queue import MAX_QUEUE, ActivityLog
from policy.activitydb.records import DecisionEvent

T0 = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


def event(at: datetime, host: str = "example.com", action: str = "allow", ip: str = "10.0.0.2"):
    return DecisionEvent(at, None, ip, "Household", host, action, "not_blocked", None, None, None)


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


def test_a_batch_put_back_goes_ahead_of_newer_events_within_the_bound():
    log = ActivityLog()
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for i in range(MAX_QUEUE - 5):
        log.decision(event(now, f"h{i}.example"))
    batch = log.take()
    for i in range(10):
        log.decision(event(now, f"new{i}.example"))
    log.put_back(batch)
    decisions, _, _ = log.take()
    assert len(decisions) == MAX_QUEUE and log.dropped == 5
    assert decisions[0].host == "h5.example" and decisions[-1].host == "new9.example"


def test_keys_older_than_the_window_are_forgotten_as_decisions_come() -> None:
    # A soak of unique host names: what can no longer fold a repeat is not kept (it grew by
    # 200 bytes a host until 50,000 and was then cleared at once).
    log = ActivityLog(repeat_window=timedelta(seconds=60))
    for s in range(600):
        log.decision(event(T0 + timedelta(seconds=s), f"h{s}.example"))
        assert log.remembered <= 61
    log.decision(event(T0 + timedelta(seconds=599), "h599.example"))  # a repeat is still folded
    log.decision(event(T0 + timedelta(seconds=599), "h540.example"))  # 59 s ago: folded
    decisions, _, _ = log.take()
    assert len(decisions) == 600


def test_the_repeat_keys_are_bounded_in_one_burst() -> None:
    log = ActivityLog(repeat_window=timedelta(seconds=60))
    for i in range(MAX_QUEUE + 10):
        log.decision(event(T0, f"h{i}.example"))
    assert log.remembered == MAX_QUEUE
    log.decision(event(T0, f"h{MAX_QUEUE + 9}.example"))  # the newest keys are the ones kept
    decisions, _, _ = log.take()
    assert len(decisions) <= MAX_QUEUE
    assert [e.host for e in decisions[-2:]] == [
        f"h{MAX_QUEUE + 8}.example",
        f"h{MAX_QUEUE + 9}.example",
    ]
