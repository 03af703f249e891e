"""activity.db's report queries: time online, top sites, blocked attempts, access requests by
status, and the searchable decisions log (``policy.report`` turns them into what parents see).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from policy.activitydb.records import DecisionEvent
from policy.activitydb.records import utc_text as _iso
from policy.activitydb.schema import ActivityDb

__all__ = ["ReportQueries"]


class ReportQueries(ActivityDb):
    """Aggregates over a span of time, for the whole household or one child or device."""

    def active_minutes(
        self,
        since: datetime,
        until: datetime,
        *,
        hourly: bool,
        utc_offset: timedelta,
        profile: str | None = None,
        device: str | None = None,
    ) -> dict[datetime, int]:
        """Distinct minutes with any decision from ``since`` to ``until`` (exclusive), per
        local hour (``hourly``) or local day, keyed by the bucket's start in local time
        (naive; local = UTC + ``utc_offset``); only one child's or device's, if named."""
        fmt = "%Y-%m-%d %H" if hourly else "%Y-%m-%d"
        who, params = _who(profile, device)
        shift = f"{int(utc_offset.total_seconds() // 60):+d} minutes"
        rows = self._rows(
            f"SELECT strftime('{fmt}', at, ?) AS bucket, "
            "COUNT(DISTINCT substr(at, 1, 16)) FROM decisions "
            f"WHERE at >= ? AND at < ?{who} GROUP BY bucket",
            [shift, _iso(since), _iso(until), *params],
        )
        return {datetime.strptime(b, fmt): int(n) for b, n in rows if b is not None}

    def top_sites(
        self,
        since: datetime,
        until: datetime,
        *,
        limit: int = 10,
        profile: str | None = None,
        device: str | None = None,
    ) -> list[tuple[str, int]]:
        """Allowed sites with the most active minutes in the span, as (host, minutes), most
        first (ties by name); only one child's or device's, if named."""
        who, params = _who(profile, device)
        return [
            (host, int(m))
            for host, m in self._rows(
                "SELECT host, COUNT(DISTINCT substr(at, 1, 16)) AS m FROM decisions "
                f"WHERE at >= ? AND at < ? AND action = 'allow'{who} "
                "GROUP BY host ORDER BY m DESC, host LIMIT ?",
                [_iso(since), _iso(until), *params, limit],
            )
        ]

    def blocked_by_category(
        self,
        since: datetime,
        until: datetime,
        *,
        limit: int = 10,
        profile: str | None = None,
        device: str | None = None,
    ) -> list[tuple[str, int]]:
        """Blocked attempts in the span by category, or by reason where no category applies,
        as (key, count), most first (ties by key); only one child's or device's, if named."""
        who, params = _who(profile, device)
        return [
            (key, int(n))
            for key, n in self._rows(
                "SELECT coalesce(category, reason) AS k, COUNT(*) AS n FROM decisions "
                f"WHERE at >= ? AND at < ? AND action = 'block'{who} "
                "GROUP BY k ORDER BY n DESC, k LIMIT ?",
                [_iso(since), _iso(until), *params, limit],
            )
        ]

    def requests_by_status(
        self,
        since: datetime,
        until: datetime,
        *,
        profile: str | None = None,
        device: str | None = None,
    ) -> dict[str, int]:
        """How many access requests were asked in the span, per status (pending, approved,
        declined; a status with none is absent); only one child's or device's, if named."""
        who, params = _who(profile, device)
        return {
            status: int(n)
            for status, n in self._rows(
                "SELECT status, COUNT(*) FROM access_requests "
                f"WHERE at >= ? AND at < ?{who} GROUP BY status",
                [_iso(since), _iso(until), *params],
            )
        }

    def search_decisions(
        self,
        *,
        text: str = "",
        profile: str | None = None,
        device: str | None = None,
        action: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[DecisionEvent]:
        """Decisions whose host contains ``text`` (any case, taken literally), of the named
        child, device and action ("allow" or "block"; anything else: both), from ``start``
        to ``end`` (exclusive), newest first; ``limit`` (1 to 500) from ``offset`` on."""
        where, params = _who(profile, device)
        if text:
            escaped = text.lower()[:200].replace("\\", "\\\\").replace("%", "\\%")
            where += " AND host LIKE ? ESCAPE '\\'"
            params.append("%" + escaped.replace("_", "\\_") + "%")
        if action in ("allow", "block"):
            where += " AND action = ?"
            params.append(action)
        if start is not None:
            where += " AND at >= ?"
            params.append(_iso(start))
        if end is not None:
            where += " AND at < ?"
            params.append(_iso(end))
        rows = self._rows(
            "SELECT at, device, ip, profile, host, action, reason, category, source, score "
            f"FROM decisions WHERE 1{where} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
            [*params, max(1, min(limit, 500)), max(0, offset)],
        )
        return [DecisionEvent(datetime.fromisoformat(r[0]), *r[1:]) for r in rows]


def _who(profile: str | None, device: str | None) -> tuple[str, list[Any]]:
    """The SQL condition (" AND ...", or "") and values that keep one child's or device's rows."""
    sql, params = "", []
    if profile:
        sql += " AND profile = ?"
        params.append(profile)
    if device:
        sql += " AND device = ?"
        params.append(device)
    return sql, params
