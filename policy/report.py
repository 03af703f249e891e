"""What happened, for parents: activity aggregates and the searchable log, from activity.db.

Time online is an estimate: the proxy logs at most one decision per device, site and action
per minute, so every minute in which a child's devices made any request shows up as at least
one row. The number of distinct such minutes is the "time online"; a page left open without
requests is not counted, and a minute with a single background request is.

Buckets (hours of a day, days of a week) are in the household's local time, using the UTC
offset at the start of the period (a daylight-saving change inside it shifts by an hour).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from policy.activity import ActivityStore
from policy.activitydb.records import DecisionEvent

__all__ = [
    "ActivityReport",
    "LogQuery",
    "Period",
    "activity_report",
    "period_for",
    "search_log",
]

_TOP = 10


@dataclass(frozen=True, slots=True)
class Period:
    """``start`` (inclusive) to ``end`` (exclusive), local aware times, cut into buckets."""

    view: str  # "day" (hourly buckets) or "week" (daily buckets)
    start: datetime
    end: datetime

    @property
    def buckets(self) -> list[datetime]:
        step = timedelta(hours=1) if self.view == "day" else timedelta(days=1)
        count = 24 if self.view == "day" else 7
        return [self.start + i * step for i in range(count)]


def period_for(view: str, day: date, tz: Any) -> Period:
    """The day ``day``, or the Monday-to-Sunday week containing it, in time zone ``tz``."""
    if view == "week":
        monday = day - timedelta(days=day.weekday())
        start = datetime.combine(monday, time(0), tzinfo=tz)
        return Period("week", start, start + timedelta(days=7))
    start = datetime.combine(day, time(0), tzinfo=tz)
    return Period("day", start, start + timedelta(days=1))


@dataclass(frozen=True, slots=True)
class ActivityReport:
    period: Period
    #: (bucket start, active minutes) for every hour of the day or day of the week
    online: list[tuple[datetime, int]]
    #: allowed sites with the most active minutes: (host, minutes)
    top_sites: list[tuple[str, int]]
    #: blocked attempts by category, or by reason when no category applies: (key, count)
    blocked: list[tuple[str, int]]
    #: access requests asked in the period, by status
    requests: dict[str, int]

    @property
    def minutes_online(self) -> int:
        return sum(m for _, m in self.online)

    @property
    def blocked_total(self) -> int:
        return sum(n for _, n in self.blocked)


def activity_report(
    store: ActivityStore, period: Period, *, profile: str | None = None, device: str | None = None
) -> ActivityReport:
    """Aggregates for one child (``profile``), one device, or the whole household."""
    who: dict[str, Any] = {"profile": profile, "device": device}
    offset = period.start.utcoffset() or timedelta(0)
    minutes = store.active_minutes(
        period.start, period.end, hourly=period.view == "day", utc_offset=offset, **who
    )
    return ActivityReport(
        period=period,
        online=[(b, minutes.get(b.replace(tzinfo=None), 0)) for b in period.buckets],
        top_sites=store.top_sites(period.start, period.end, limit=_TOP, **who),
        blocked=store.blocked_by_category(period.start, period.end, limit=_TOP, **who),
        requests=store.requests_by_status(period.start, period.end, **who),
    )


@dataclass(frozen=True, slots=True)
class LogQuery:
    """A search of the decisions log; every part is optional."""

    text: str = ""  # part of the site's name
    profile: str | None = None
    device: str | None = None
    action: str | None = None  # "allow" or "block"
    start: datetime | None = None
    end: datetime | None = None


def search_log(
    store: ActivityStore, query: LogQuery, *, limit: int = 100, offset: int = 0
) -> list[DecisionEvent]:
    """Matching decisions, newest first, each with its reason, category and deciding list."""
    return store.search_decisions(
        text=query.text,
        profile=query.profile,
        device=query.device,
        action=query.action,
        start=query.start,
        end=query.end,
        limit=limit,
        offset=offset,
    )
