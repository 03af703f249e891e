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
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from policy.activity import ActivityStore, DecisionEvent

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

    def _offset_modifier(self) -> str:
        offset = self.start.utcoffset() or timedelta(0)
        return f"{int(offset.total_seconds() // 60):+d} minutes"

    def _bounds(self) -> list[str]:
        return [_utc(self.start), _utc(self.end)]


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


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


def _filters(profile: str | None, device: str | None) -> tuple[str, list[Any]]:
    sql, params = "", []
    if profile:
        sql += " AND profile = ?"
        params.append(profile)
    if device:
        sql += " AND device = ?"
        params.append(device)
    return sql, params


def activity_report(
    store: ActivityStore, period: Period, *, profile: str | None = None, device: str | None = None
) -> ActivityReport:
    """Aggregates for one child (``profile``), one device, or the whole household."""
    where, params = _filters(profile, device)
    span = period._bounds()
    shift = period._offset_modifier()
    bucket_format = "%Y-%m-%d %H" if period.view == "day" else "%Y-%m-%d"
    rows = store.select(
        f"SELECT strftime('{bucket_format}', at, ?) AS bucket, "
        "COUNT(DISTINCT substr(at, 1, 16)) FROM decisions "
        f"WHERE at >= ? AND at < ?{where} GROUP BY bucket",
        [shift, *span, *params],
    )
    minutes = dict(rows)
    online = [(b, int(minutes.get(b.strftime(bucket_format), 0))) for b in period.buckets]
    top = store.select(
        "SELECT host, COUNT(DISTINCT substr(at, 1, 16)) AS m FROM decisions "
        f"WHERE at >= ? AND at < ? AND action = 'allow'{where} "
        "GROUP BY host ORDER BY m DESC, host LIMIT ?",
        [*span, *params, _TOP],
    )
    blocked = store.select(
        "SELECT coalesce(category, reason) AS k, COUNT(*) AS n FROM decisions "
        f"WHERE at >= ? AND at < ? AND action = 'block'{where} "
        "GROUP BY k ORDER BY n DESC, k LIMIT ?",
        [*span, *params, _TOP],
    )
    asked = store.select(
        "SELECT status, COUNT(*) FROM access_requests "
        f"WHERE at >= ? AND at < ?{where} GROUP BY status",
        [*span, *params],
    )
    return ActivityReport(
        period=period,
        online=online,
        top_sites=[(h, int(m)) for h, m in top],
        blocked=[(k, int(n)) for k, n in blocked],
        requests={s: int(n) for s, n in asked},
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
    where, params = _filters(query.profile, query.device)
    if query.text:
        escaped = query.text.lower()[:200].replace("\\", "\\\\").replace("%", "\\%")
        where += " AND host LIKE ? ESCAPE '\\'"
        params.append("%" + escaped.replace("_", "\\_") + "%")
    if query.action in ("allow", "block"):
        where += " AND action = ?"
        params.append(query.action)
    if query.start is not None:
        where += " AND at >= ?"
        params.append(_utc(query.start))
    if query.end is not None:
        where += " AND at < ?"
        params.append(_utc(query.end))
    rows = store.select(
        "SELECT at, device, ip, profile, host, action, reason, category, source, score "
        f"FROM decisions WHERE 1{where} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
        [*params, max(1, min(limit, 500)), max(0, offset)],
    )
    return [DecisionEvent(datetime.fromisoformat(r[0]), *r[1:]) for r in rows]
