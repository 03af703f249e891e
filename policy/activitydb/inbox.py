"""What waits for a parent in activity.db: children's access requests (asked from a block page,
answered on the dashboard) and chat-safety alerts (raised by the proxy, seen on the dashboard).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from policy.activitydb.records import (
    MAX_HOST,
    MAX_MESSAGE,
    MAX_URL,
    AccessRequest,
    AlertRecord,
    safe_or_none,
    safe_text,
)
from policy.activitydb.records import utc_text as _iso
from policy.activitydb.schema import ActivityDb

__all__ = ["InboxQueries"]


class InboxQueries(ActivityDb):
    """Access requests and chat-safety alerts: their writes and named queries."""

    # -- access requests ------------------------------------------------------------------

    def add_request(
        self,
        *,
        device: str | None,
        ip: str | None,
        profile: str,
        host: str,
        url: str,
        category: str | None,
        reason: str,
        message: str = "",
        now: datetime,
    ) -> int:
        with self._lock, self.db.conn:
            cursor = self.db.conn.execute(
                "INSERT INTO access_requests (at, device, ip, profile, host, url, category, "
                "reason, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    _iso(now),
                    safe_or_none(device),
                    safe_or_none(ip),
                    safe_text(profile),
                    safe_text(host, MAX_HOST),
                    safe_text(url, MAX_URL),
                    safe_or_none(category),
                    safe_text(reason),
                    safe_text(message, MAX_MESSAGE),
                ],
            )
        return int(cursor.lastrowid or 0)

    def answer_request(
        self, request_id: int, *, approve: bool, until: datetime | None, note: str, now: datetime
    ) -> AccessRequest:
        with self._lock, self.db.conn:
            self.db.conn.execute(
                "UPDATE access_requests SET status = ?, decided_at = ?, until = ?, note = ? "
                "WHERE id = ?",
                [
                    "approved" if approve else "declined",
                    _iso(now),
                    _iso(until),
                    note[:500],
                    request_id,
                ],
            )
        return self.request(request_id)

    def request(self, request_id: int) -> AccessRequest:
        """The access request ``request_id``; KeyError when there is none."""
        found = self._requests("id = ?", [request_id], limit=1)
        if not found:
            raise KeyError(request_id)
        return found[0]

    def requests(self, limit: int = 200) -> list[AccessRequest]:
        """The newest ``limit`` access requests, whatever their status, newest first."""
        return self._requests("1", [], limit=limit)

    def pending_requests(self, limit: int = 200) -> list[AccessRequest]:
        """The newest ``limit`` requests no parent has answered yet, newest first."""
        return self._requests("status = 'pending'", [], limit=limit)

    def pending_request_count(self, cap: int = 100) -> int:
        """How many requests wait for a parent, counted up to ``cap`` (the dashboard's badge)."""
        return int(
            next(
                self._rows(
                    "SELECT count(*) FROM (SELECT 1 FROM access_requests "
                    "WHERE status = 'pending' LIMIT ?)",
                    [cap],
                )
            )[0]
        )

    def pending_request_for(self, ip: str, host: str) -> AccessRequest | None:
        """The newest unanswered request from the device at ``ip`` for ``host``, if any."""
        found = self._requests("ip = ? AND host = ? AND status = 'pending'", [ip, host], limit=1)
        return found[0] if found else None

    def answered_requests(self, limit: int = 30) -> list[AccessRequest]:
        """The ``limit`` newest requests a parent approved or declined, newest first."""
        return self._requests("status != 'pending'", [], limit=limit)

    def _requests(self, where: str, params: list[Any], *, limit: int) -> list[AccessRequest]:
        # ``where`` is one of this class's own fixed conditions; values come only as params
        rows = self._rows(
            "SELECT id, at, device, ip, profile, host, url, category, reason, message, status, "
            f"decided_at, until, note FROM access_requests WHERE {where} ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
        return [_access_request(r) for r in rows]

    # -- chat-safety alerts ---------------------------------------------------------------

    _ALERT_COLUMNS = (
        "id, at, device, ip, profile, host, conversation, kind, score, excerpt, detail, seen"
    )

    def add_alerts(self, alerts: list[AlertRecord]) -> list[int]:
        """Store new alerts in one transaction; their ids, in order."""
        ids = []
        with self._lock, self.db.conn:
            for a in alerts:
                cursor = self.db.conn.execute(
                    "INSERT INTO alerts (at, device, ip, profile, host, conversation, kind, "
                    "score, excerpt, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        _iso(a.at),
                        a.device,
                        a.ip,
                        a.profile,
                        a.host,
                        a.conversation,
                        a.kind,
                        float(a.score),
                        a.excerpt,
                        a.detail,
                    ],
                )
                ids.append(int(cursor.lastrowid or 0))
        return ids

    def alerts(self, limit: int = 200) -> list[AlertRecord]:
        """The newest ``limit`` alerts, newest first."""
        return [
            _alert(r)
            for r in self._rows(
                f"SELECT {self._ALERT_COLUMNS} FROM alerts ORDER BY id DESC LIMIT ?", [limit]
            )
        ]

    def alerts_after(self, alert_id: int, limit: int = 100) -> list[AlertRecord]:
        """Alerts stored after ``alert_id``, oldest first (what notifications have not sent)."""
        return [
            _alert(r)
            for r in self._rows(
                f"SELECT {self._ALERT_COLUMNS} FROM alerts WHERE id > ? ORDER BY id LIMIT ?",
                [alert_id, limit],
            )
        ]

    def unseen_alert_count(self) -> int:
        """How many alerts no parent has looked at yet (the dashboard's badge)."""
        return int(next(self._rows("SELECT count(*) FROM alerts WHERE seen = 0"))[0])

    def mark_alerts_seen(self, up_to_id: int) -> None:
        """A parent has seen every alert up to ``up_to_id``."""
        with self._lock, self.db.conn:
            self.db.conn.execute("UPDATE alerts SET seen = 1 WHERE id <= ?", [up_to_id])

    def latest_alert_id(self) -> int:
        return int(next(self._rows("SELECT coalesce(max(id), 0) FROM alerts"))[0])

    def latest_request_id(self) -> int:
        return int(next(self._rows("SELECT coalesce(max(id), 0) FROM access_requests"))[0])

    def requests_after(self, request_id: int, limit: int = 100) -> list[AccessRequest]:
        """Access requests made after ``request_id``, oldest first (for notifications)."""
        return list(reversed(self._requests("id > ?", [request_id], limit=limit)))


def _alert(r: tuple[Any, ...]) -> AlertRecord:
    return AlertRecord(
        at=datetime.fromisoformat(r[1]),
        device=r[2],
        ip=r[3],
        profile=r[4] or "",
        host=r[5],
        conversation=r[6] or "",
        kind=r[7],
        score=float(r[8]),
        excerpt=r[9] or "",
        detail=r[10] or "",
        seen=bool(r[11]),
        alert_id=int(r[0]),
    )


def _access_request(r: tuple[Any, ...]) -> AccessRequest:
    def when(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text) if text else None

    return AccessRequest(
        request_id=r[0],
        at=datetime.fromisoformat(r[1]),
        device=r[2],
        ip=r[3],
        profile=r[4],
        host=r[5],
        url=r[6],
        category=r[7],
        reason=r[8],
        message=r[9],
        status=r[10],
        decided_at=when(r[11]),
        until=when(r[12]),
        note=r[13],
    )
