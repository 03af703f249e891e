"""activity.db's named access-request queries on a real file: pending, answered, one device's
pending request for a site, the badge count, and what came after a notification cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policy.activity import ActivityStore

T0 = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


@pytest.fixture
def activity(tmp_path):
    store = ActivityStore(tmp_path / "activity.db")
    yield store
    store.close()


def ask(store: ActivityStore, host: str, ip: str = "10.0.0.2", minute: int = 0) -> int:
    return store.add_request(
        device="Tab", ip=ip, profile="Mia", host=host, url=f"https://{host}/",
        category="games", reason="category_blocked", now=T0 + timedelta(minutes=minute),
    )  # fmt: skip


def answer(store: ActivityStore, request_id: int, approve: bool = True) -> None:
    store.answer_request(request_id, approve=approve, until=None, note="", now=T0)


def test_pending_and_answered_requests_are_kept_apart_newest_first(activity) -> None:
    ids = [ask(activity, f"s{i}.example", minute=i) for i in range(6)]
    answer(activity, ids[1])
    answer(activity, ids[3], approve=False)
    pending = activity.pending_requests()
    assert [r.request_id for r in pending] == [ids[5], ids[4], ids[2], ids[0]]
    assert {r.status for r in pending} == {"pending"}
    assert [r.request_id for r in activity.pending_requests(limit=2)] == [ids[5], ids[4]]
    answered = activity.answered_requests()
    assert [(r.request_id, r.status) for r in answered] == [
        (ids[3], "declined"),
        (ids[1], "approved"),
    ]
    assert [r.request_id for r in activity.answered_requests(limit=1)] == [ids[3]]
    assert [r.request_id for r in activity.requests()] == ids[::-1]
    assert [r.request_id for r in activity.requests(limit=1)] == [ids[5]]


def test_the_pending_count_is_capped_for_the_badge(activity) -> None:
    assert activity.pending_request_count() == 0
    ids = [ask(activity, f"s{i}.example") for i in range(5)]
    answer(activity, ids[0])
    assert activity.pending_request_count() == 4
    assert activity.pending_request_count(cap=3) == 3


def test_a_devices_pending_request_for_a_site_is_found_and_then_is_not(activity) -> None:
    first = ask(activity, "games.example")
    ask(activity, "games.example", ip="10.0.0.9")  # another device
    ask(activity, "other.example")
    found = activity.pending_request_for("10.0.0.2", "games.example")
    assert found is not None and found.request_id == first and found.ip == "10.0.0.2"
    answer(activity, first)
    assert activity.pending_request_for("10.0.0.2", "games.example") is None
    assert activity.pending_request_for("10.0.0.2", "unknown.example") is None


def test_one_request_by_id_and_the_ones_after_a_cursor(activity) -> None:
    ids = [ask(activity, f"s{i}.example") for i in range(5)]
    assert activity.request(ids[2]).host == "s2.example"
    with pytest.raises(KeyError):
        activity.request(ids[-1] + 1)
    assert activity.latest_request_id() == ids[-1]
    assert [r.request_id for r in activity.requests_after(ids[1])] == ids[2:]
    # past the limit, the newest are kept, oldest first
    assert [r.request_id for r in activity.requests_after(ids[0], limit=2)] == ids[3:]
    assert activity.requests_after(ids[-1]) == []
