"""Activity aggregates: time online from active minutes, top sites, blocks, requests, the log."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from policy.activity import ActivityStore
from policy.activitydb.records import DecisionEvent
from policy.report import LogQuery, activity_report, period_for, search_log

LOCAL = timezone(timedelta(hours=2))
DAY = date(2026, 6, 10)  # a Wednesday


def at(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LOCAL)


def event(when, host, action="allow", *, device="Tab", profile="Mia", reason=None, cat=None):
    reason = reason or ("not_blocked" if action == "allow" else "category_blocked")
    return DecisionEvent(
        when, device, "192.168.1.5", profile, host, action, reason, cat, None, None
    )


@pytest.fixture
def activity(data_dir):
    store = ActivityStore(data_dir.activity_db)
    yield store
    store.close()


def test_time_online_counts_distinct_active_minutes_per_local_hour(activity) -> None:
    activity.write_batch(
        [
            event(at(8, 0, 5), "a.example"),
            event(at(8, 0, 40), "b.example"),  # same minute: counted once
            event(at(8, 1), "a.example"),
            event(at(8, 1), "a.example", device="Phone"),  # another device, same minute
            event(at(23, 59), "late.example"),
            event(at(0, 0, day=DAY + timedelta(days=1)), "tomorrow.example"),
            event(at(9, 0), "other-child.example", profile="Leo"),
        ],
        [],
    )
    report = activity_report(activity, period_for("day", DAY, LOCAL), profile="Mia")
    hours = dict((b.hour, m) for b, m in report.online)
    assert len(report.online) == 24 and hours[8] == 2 and hours[23] == 1
    assert report.minutes_online == 3
    assert activity_report(activity, period_for("day", DAY, LOCAL)).minutes_online == 4


def test_week_view_runs_monday_to_sunday_in_local_days(activity) -> None:
    monday = date(2026, 6, 8)
    activity.write_batch(
        [
            event(at(0, 30, day=monday), "a.example"),  # 22:30 UTC on Sunday
            event(at(12, day=monday + timedelta(days=6)), "a.example"),
            event(at(12, day=monday + timedelta(days=7)), "a.example"),  # next week
        ],
        [],
    )
    period = period_for("week", DAY, LOCAL)
    assert period.start == at(0, day=monday) and period.end == at(0, day=monday + timedelta(7))
    report = activity_report(activity, period)
    assert [m for _, m in report.online] == [1, 0, 0, 0, 0, 0, 1]


def test_top_sites_blocked_categories_and_requests(activity) -> None:
    events = [event(at(10, m), "video.example") for m in range(5)]
    events += [event(at(11, m), "news.example") for m in range(2)]
    events += [event(at(12, m), "casino.example", "block", cat="gambling") for m in range(3)]
    events += [event(at(12, 30), "tiktok.com", "block", reason="parent_denied")]
    activity.write_batch(events, [])
    activity.add_request(
        device="Tab",
        ip="192.168.1.5",
        profile="Mia",
        host="casino.example",
        url="http://casino.example/",
        category="gambling",
        reason="category_blocked",
        now=at(12, 5),
    )
    report = activity_report(activity, period_for("day", DAY, LOCAL), device="Tab")
    assert report.top_sites == [("video.example", 5), ("news.example", 2)]
    assert report.blocked == [("gambling", 3), ("parent_denied", 1)]
    assert report.blocked_total == 4 and report.requests == {"pending": 1}
    assert activity_report(activity, period_for("day", DAY, LOCAL), device="Nope").top_sites == []


def test_the_log_is_searchable_newest_first_with_reasons(activity) -> None:
    activity.write_batch(
        [
            event(at(9), "casino.example", "block", cat="gambling"),
            event(at(10), "news.example"),
            event(at(11), "my_casino.example"),
            event(at(12, day=DAY + timedelta(days=1)), "casino.example"),
        ],
        [],
    )
    found = search_log(activity, LogQuery(text="CASINO"))
    assert [e.host for e in found] == ["casino.example", "my_casino.example", "casino.example"]
    blocked = search_log(activity, LogQuery(action="block"))
    assert [(e.host, e.reason, e.category) for e in blocked] == [
        ("casino.example", "category_blocked", "gambling")
    ]
    day = search_log(activity, LogQuery(start=at(0), end=at(0, day=DAY + timedelta(days=1))))
    assert len(day) == 3
    assert [e.host for e in search_log(activity, LogQuery(text="_"))] == ["my_casino.example"]
    assert search_log(activity, LogQuery(text="%")) == []
    assert len(search_log(activity, LogQuery(), limit=2, offset=1)) == 2
