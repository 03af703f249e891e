"""activity.db's named report queries on a real file: active minutes per local bucket, top
sites, blocks by category, requests by status, and the searchable log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from policy.activity import ActivityStore
from policy.activitydb.records import DecisionEvent

LOCAL = timezone(timedelta(hours=2))
START = datetime(2026, 6, 10, tzinfo=LOCAL)  # local midnight = 22:00 UTC the day before
END = START + timedelta(days=1)


def event(when, host, action="allow", *, device="Tab", profile="Mia", cat=None, reason=None):
    reason = reason or ("not_blocked" if action == "allow" else "category_blocked")
    return DecisionEvent(
        when, device, "192.168.1.5", profile, host, action, reason, cat, None, None
    )


@pytest.fixture
def activity(tmp_path):
    store = ActivityStore(tmp_path / "activity.db")
    yield store
    store.close()


def test_active_minutes_are_distinct_minutes_keyed_by_local_bucket_start(activity) -> None:
    activity.write_batch(
        [
            event(START + timedelta(minutes=5, seconds=1), "a.example"),
            event(START + timedelta(minutes=5, seconds=50), "b.example"),  # same minute
            event(START + timedelta(hours=3, minutes=1), "a.example"),
            event(START + timedelta(hours=3, minutes=2), "a.example", profile="Leo"),
            event(START - timedelta(seconds=1), "before.example"),  # outside the span
            event(END, "after.example"),  # the end is exclusive
        ],
        [],
    )
    hourly = activity.active_minutes(START, END, hourly=True, utc_offset=timedelta(hours=2))
    assert hourly == {datetime(2026, 6, 10, 0): 1, datetime(2026, 6, 10, 3): 2}
    mia = activity.active_minutes(
        START, END, hourly=True, utc_offset=timedelta(hours=2), profile="Mia"
    )
    assert mia == {datetime(2026, 6, 10, 0): 1, datetime(2026, 6, 10, 3): 1}
    daily = activity.active_minutes(START, END, hourly=False, utc_offset=timedelta(hours=2))
    assert daily == {datetime(2026, 6, 10): 3}
    # read in UTC the same minutes fall on two days (22:05 UTC the day before, 01:01 UTC)
    in_utc = activity.active_minutes(START, END, hourly=False, utc_offset=timedelta(0))
    assert in_utc == {datetime(2026, 6, 9): 1, datetime(2026, 6, 10): 2}


def test_top_sites_rank_allowed_hosts_by_active_minutes_then_name(activity) -> None:
    rows = [event(START + timedelta(minutes=m), "video.example") for m in range(3)]
    rows += [event(START + timedelta(minutes=m), "b.example") for m in range(2)]
    rows += [event(START + timedelta(minutes=m), "a.example") for m in range(2)]
    rows += [event(START + timedelta(minutes=9, seconds=s), "once.example") for s in (1, 30)]
    rows += [event(START + timedelta(minutes=m), "blocked.example", "block") for m in range(9)]
    rows += [event(START + timedelta(minutes=m), "x.example", device="Phone") for m in range(5)]
    activity.write_batch(rows, [])
    assert activity.top_sites(START, END, device="Tab") == [
        ("video.example", 3),
        ("a.example", 2),
        ("b.example", 2),
        ("once.example", 1),
    ]
    assert activity.top_sites(START, END, limit=2) == [("x.example", 5), ("video.example", 3)]
    assert activity.top_sites(END, END + timedelta(days=1)) == []


def test_blocks_are_counted_by_category_or_else_by_reason(activity) -> None:
    activity.write_batch(
        [
            event(START + timedelta(minutes=1), "g.example", "block", cat="gambling"),
            event(START + timedelta(minutes=2), "g2.example", "block", cat="gambling"),
            event(START + timedelta(minutes=3), "late.example", "block", reason="bedtime"),
            event(START + timedelta(minutes=4), "p.example", "block", cat="porn", profile="Leo"),
            event(START + timedelta(minutes=5), "fine.example", "allow", cat="news"),
        ],
        [],
    )
    assert activity.blocked_by_category(START, END) == [
        ("gambling", 2),
        ("bedtime", 1),
        ("porn", 1),
    ]
    assert activity.blocked_by_category(START, END, profile="Leo") == [("porn", 1)]
    assert activity.blocked_by_category(START, END, limit=1) == [("gambling", 2)]


def test_requests_are_counted_by_status_within_the_span(activity) -> None:
    def ask(when: datetime, host: str, profile: str = "Mia") -> int:
        return activity.add_request(
            device="Tab", ip="192.168.1.5", profile=profile, host=host,
            url=f"https://{host}/", category=None, reason="category_blocked", now=when,
        )  # fmt: skip

    first = ask(START + timedelta(hours=1), "a.example")
    ask(START + timedelta(hours=2), "b.example")
    ask(START + timedelta(hours=3), "c.example", profile="Leo")
    ask(END + timedelta(hours=1), "tomorrow.example")
    activity.answer_request(first, approve=True, until=None, note="", now=START)
    assert activity.requests_by_status(START, END) == {"approved": 1, "pending": 2}
    assert activity.requests_by_status(START, END, profile="Leo") == {"pending": 1}
    assert activity.requests_by_status(START, END, device="Phone") == {}


def test_the_log_search_matches_hosts_literally_and_pages_newest_first(activity) -> None:
    activity.write_batch(
        [
            event(START + timedelta(minutes=1), "kids_news.example"),
            event(START + timedelta(minutes=2), "kidsXnews.example"),  # "_" is no wildcard
            event(START + timedelta(minutes=3), "100%.example", "block", cat="games"),
            event(START + timedelta(minutes=4), "KIDS_NEWS.example", device="Phone"),
        ],
        [],
    )
    found = activity.search_decisions(text="Kids_News")
    assert [e.host for e in found] == ["KIDS_NEWS.example", "kids_news.example"]
    assert [e.host for e in activity.search_decisions(text="0%")] == ["100%.example"]
    assert [e.host for e in activity.search_decisions(action="block")] == ["100%.example"]
    assert len(activity.search_decisions(action="anything")) == 4
    assert [e.host for e in activity.search_decisions(device="Phone")] == ["KIDS_NEWS.example"]
    window = activity.search_decisions(
        start=START + timedelta(minutes=2), end=START + timedelta(minutes=4)
    )
    assert [e.host for e in window] == ["100%.example", "kidsXnews.example"]
    pages = [activity.search_decisions(limit=3, offset=o) for o in (0, 3)]
    assert [len(p) for p in pages] == [3, 1] and pages[1][0].host == "kids_news.example"
    assert pages[0][0].at == (START + timedelta(minutes=4)).astimezone(UTC)
    assert len(activity.search_decisions(limit=0)) == 1  # at least one row is asked for
