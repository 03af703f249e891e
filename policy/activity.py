"""activity.db: what happened — decisions, devices seen, access requests, chat-safety alerts.

The proxy is the one writer of the query log: it queues events in memory and ``flush`` writes
them in one transaction from a worker thread. The dashboard reads, and answers access requests.

Every text an event carries is made safe when the event is made (``safe_text``): bytes that
were not UTF-8 (mitmproxy hands them over as lone surrogates) become ``\\xNN`` escapes, control
characters too, and each field has a length cap. So one request with an odd Host or
User-Agent can neither fail a batch nor fill the database; and if a row is refused anyway, the
batch writer writes the others and counts the one it dropped.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import astuple, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from policy.dns import BYPASS_SOURCE

__all__ = [
    "AccessRequest",
    "ActivityLog",
    "AlertRecord",
    "ActivityStore",
    "DecisionEvent",
    "DeviceSighting",
    "SeenDevice",
    "read_arp_table",
    "safe_text",
]

log = logging.getLogger(__name__)
migrations = Migrations("hearthguard.activity")
MAX_QUEUE = 50_000
ARP_TABLE = Path("/proc/net/arp")
_MAX_USER_AGENT = 400
_MAX_HOST = 260  # a DNS name is at most 253 characters; a port or an escape may add a few
_MAX_FIELD = 200
_MAX_URL = 2000
_MAX_MESSAGE = 500
_MAX_EXCERPT = 500
#: Errors that concern one row's values, not the database: the other rows can still be written.
_ROW_ERRORS = (
    sqlite3.IntegrityError,
    sqlite3.InterfaceError,
    sqlite3.DataError,
    sqlite3.ProgrammingError,
    UnicodeError,
    ValueError,
    OverflowError,
    TypeError,
)


@migrations()
def m001_initial(db: Database) -> None:
    db.execute(
        """CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            device TEXT,
            ip TEXT,
            profile TEXT NOT NULL,
            host TEXT NOT NULL,
            action TEXT NOT NULL,
            reason TEXT NOT NULL,
            category TEXT,
            source TEXT,
            score REAL)"""
    )
    db.execute("CREATE INDEX decisions_at ON decisions (at)")
    db.execute(
        """CREATE TABLE seen_devices (
            ip TEXT PRIMARY KEY,
            mac TEXT,
            user_agent TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            tls_ok INTEGER NOT NULL DEFAULT 0,
            tls_failed INTEGER NOT NULL DEFAULT 0)"""
    )
    db.execute(
        """CREATE TABLE access_requests (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            device TEXT,
            ip TEXT,
            profile TEXT NOT NULL,
            host TEXT NOT NULL,
            url TEXT NOT NULL,
            category TEXT,
            reason TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'declined')),
            decided_at TEXT,
            until TEXT,
            note TEXT NOT NULL DEFAULT '')"""
    )
    db.execute(
        """CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            device TEXT,
            ip TEXT,
            host TEXT NOT NULL,
            kind TEXT NOT NULL,
            score REAL NOT NULL,
            excerpt TEXT NOT NULL,
            seen INTEGER NOT NULL DEFAULT 0)"""
    )
    db.execute("CREATE TABLE hotline_counts (day TEXT PRIMARY KEY, blocks INTEGER NOT NULL)")


@migrations()
def m010_usage_minutes(db: Database) -> None:
    """Minutes of use per child and category group (what daily budgets are measured by)."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS usage_minutes (
            day TEXT NOT NULL,
            profile TEXT NOT NULL,
            grp TEXT NOT NULL,
            minute INTEGER NOT NULL,
            PRIMARY KEY (profile, grp, minute))"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS usage_minutes_day ON usage_minutes (day)")


@migrations()
def m020_chat_alerts(db: Database) -> None:
    """Chat-safety alerts name the child's profile and the conversation, and say why."""
    columns = {c.name for c in db["alerts"].columns}
    for name, kind in (
        ("profile", "TEXT"),
        ("conversation", "TEXT NOT NULL DEFAULT ''"),
        ("detail", "TEXT NOT NULL DEFAULT ''"),
    ):
        if name not in columns:
            db.execute(f"ALTER TABLE alerts ADD COLUMN {name} {kind}")
    db.execute("CREATE INDEX IF NOT EXISTS alerts_at ON alerts (at)")


@migrations()
def m030_network_paths(db: Database) -> None:
    """When each device last asked Hearthguard's DNS, and last sent traffic through the
    proxy (any mode but DNS): a device that does the first without the second is not
    protected."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS network_paths (
            ip TEXT PRIMARY KEY,
            last_dns TEXT,
            last_proxy TEXT)"""
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="seconds")


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def safe_text(value: object, limit: int = _MAX_FIELD) -> str:
    """``value`` as text SQLite and every page can hold: undecodable bytes, lone surrogates
    and control characters become visible escapes (``\\x80``), and the result is at most
    ``limit`` characters (cut, with "…" at the end)."""
    text = value if isinstance(value, str) else str(value)
    if not (text.isascii() and text.isprintable()):
        text = "".join(
            _escape_char(ch)
            if (0xD800 <= ord(ch) <= 0xDFFF) or (not ch.isprintable() and ch != " ")
            else ch
            for ch in text[: limit * 4]
        )
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _safe_or_none(value: object, limit: int = _MAX_FIELD) -> str | None:
    return None if value is None else safe_text(value, limit)


@dataclass(frozen=True, slots=True)
class DecisionEvent:
    """One decision as the log keeps it; its texts are made safe (``safe_text``) here."""

    at: datetime
    device: str | None
    ip: str | None
    profile: str
    host: str
    action: str
    reason: str
    category: str | None
    source: str | None
    score: float | None

    def __post_init__(self) -> None:
        for name in ("profile", "action", "reason"):
            object.__setattr__(self, name, safe_text(getattr(self, name)))
        for name in ("device", "ip", "category", "source"):
            object.__setattr__(self, name, _safe_or_none(getattr(self, name)))
        object.__setattr__(self, "host", safe_text(self.host, _MAX_HOST))


@dataclass(frozen=True, slots=True)
class DeviceSighting:
    """A device seen by the proxy; its texts are made safe (``safe_text``) here."""

    at: datetime
    ip: str
    mac: str | None = None
    user_agent: str | None = None
    tls_ok: int = 0
    tls_failed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "ip", safe_text(self.ip))
        object.__setattr__(self, "mac", _safe_or_none(self.mac))
        object.__setattr__(self, "user_agent", _safe_or_none(self.user_agent, _MAX_USER_AGENT))


@dataclass(frozen=True, slots=True)
class AccessRequest:
    request_id: int
    at: datetime
    device: str | None
    ip: str | None
    profile: str
    host: str
    url: str
    category: str | None
    reason: str
    message: str
    status: str
    decided_at: datetime | None
    until: datetime | None
    note: str


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """A chat-safety alert as activity.db keeps it; its texts are made safe here.

    ``host`` is the site (a host name, never a URL); ``conversation`` names the site and the
    peer where one was visible; ``excerpt`` is empty when the profile shows categories only.
    """

    at: datetime
    device: str | None
    ip: str | None
    profile: str
    host: str
    conversation: str
    kind: str
    score: float
    excerpt: str = ""
    detail: str = ""
    seen: bool = False
    alert_id: int | None = None

    def __post_init__(self) -> None:
        for name in ("profile", "kind", "conversation", "detail"):
            object.__setattr__(self, name, safe_text(getattr(self, name)))
        for name in ("device", "ip"):
            object.__setattr__(self, name, _safe_or_none(getattr(self, name)))
        object.__setattr__(self, "host", safe_text(self.host, _MAX_HOST))
        object.__setattr__(self, "excerpt", safe_text(self.excerpt, _MAX_EXCERPT))

    def as_json(self) -> dict[str, Any]:
        """The alert as one JSON object (``hearthguard alerts --json``)."""
        return {
            "id": self.alert_id,
            "at": _iso(self.at),
            "kind": self.kind,
            "profile": self.profile,
            "device": self.device,
            "ip": self.ip,
            "site": self.host,
            "conversation": self.conversation,
            "score": round(self.score, 4),
            "excerpt": self.excerpt,
            "detail": self.detail,
            "seen": self.seen,
        }


@dataclass(frozen=True, slots=True)
class SeenDevice:
    """A device the proxy has seen, as the dashboard's "new devices" inbox shows it."""

    ip: str
    mac: str | None
    user_agent: str | None
    first_seen: datetime
    last_seen: datetime
    tls_ok: int
    tls_failed: int


def read_arp_table(path: Path = ARP_TABLE) -> dict[str, str]:
    """IP -> MAC for the complete entries of a Linux ARP table; empty when it is unreadable."""
    try:
        lines = path.read_text(encoding="ascii", errors="replace").splitlines()[1:]
    except OSError:
        return {}
    table = {}
    for line in lines[:10_000]:
        parts = line.split()
        if len(parts) >= 4 and parts[2] != "0x0" and parts[3] != "00:00:00:00:00:00":
            table[parts[0]] = parts[3].lower()
    return table


def _connect(path: Path) -> Database:
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    db = Database(conn)
    db.execute("PRAGMA journal_mode = WAL")
    migrations.apply(db)
    return db


_INSERT_DECISION = (
    "INSERT INTO decisions (at, device, ip, profile, host, action, reason, category, "
    "source, score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_SIGHTING = (
    "INSERT INTO seen_devices (ip, mac, user_agent, first_seen, last_seen, tls_ok, "
    "tls_failed) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ip) DO UPDATE SET "
    "mac = coalesce(excluded.mac, mac), "
    "user_agent = coalesce(excluded.user_agent, user_agent), "
    "last_seen = excluded.last_seen, tls_ok = tls_ok + excluded.tls_ok, "
    "tls_failed = tls_failed + excluded.tls_failed"
)


def _insert_rows(conn: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> int:
    """Run ``sql`` for every row inside the caller's transaction: all at once, or, when a row
    is refused for its values, one by one without the refused rows; returns how many."""
    if not rows:
        return 0
    conn.execute("SAVEPOINT batch")
    try:
        conn.executemany(sql, rows)
    except _ROW_ERRORS:
        conn.execute("ROLLBACK TO batch")
    else:
        conn.execute("RELEASE batch")
        return 0
    refused = 0
    for row in rows:
        try:
            conn.execute(sql, row)
        except _ROW_ERRORS:
            refused += 1
    conn.execute("RELEASE batch")
    return refused


class ActivityStore:
    """Reads and small writes (requests, answers) on activity.db; safe to share across threads."""

    def __init__(self, path: Path, *, arp_table: Path = ARP_TABLE) -> None:
        self.path = Path(path)
        self.db = _connect(self.path)
        self._lock = threading.Lock()
        self.arp_table = arp_table

    def close(self) -> None:
        self.db.conn.close()

    def _rows(self, sql: str, params: list[Any] | None = None) -> Iterator[tuple[Any, ...]]:
        with self._lock:
            rows = self.db.execute(sql, params or []).fetchall()
        return iter(rows)

    def write_batch(
        self,
        decisions: list[DecisionEvent],
        sightings: list[DeviceSighting],
        hotline_blocks: int = 0,
    ) -> int:
        """Write queued events in one transaction (called off the proxy's event loop); returns
        how many rows were refused.

        A row the database refuses for its values is left out and counted (and logged), and
        the rest of the batch is written; an error of the database itself (locked, full, gone)
        still raises and writes nothing. Sightings without a MAC address get one from the
        kernel's ARP table when it knows the IP.
        """
        if any(s.mac is None for s in sightings):
            macs = read_arp_table(self.arp_table)
            sightings = [s if s.mac else replace(s, mac=macs.get(s.ip)) for s in sightings]
        statements = [
            (_INSERT_DECISION, [(_iso(e.at), *astuple(e)[1:]) for e in decisions]),
            (
                _UPSERT_SIGHTING,
                [
                    (s.ip, s.mac, s.user_agent, _iso(s.at), _iso(s.at), s.tls_ok, s.tls_failed)
                    for s in sightings
                ],
            ),
        ]
        refused = 0
        with self._lock, self.db.conn:
            conn = self.db.conn
            for sql, rows in statements:
                refused += _insert_rows(conn, sql, rows)
            if hotline_blocks:
                conn.execute(
                    "INSERT INTO hotline_counts (day, blocks) VALUES (?, ?) ON CONFLICT (day) "
                    "DO UPDATE SET blocks = blocks + excluded.blocks",
                    [datetime.now(UTC).date().isoformat(), hotline_blocks],
                )
        if refused:
            log.error("activity.db refused %d rows of a batch and wrote the others.", refused)
        return refused

    def prune(self, older_than: datetime) -> int:
        """Delete log rows older than ``older_than``; returns how many decisions went."""
        cutoff = _iso(older_than)
        with self._lock, self.db.conn:
            n = self.db.conn.execute("DELETE FROM decisions WHERE at < ?", [cutoff]).rowcount
            self.db.conn.execute("DELETE FROM alerts WHERE at < ?", [cutoff])
            self.db.conn.execute(
                "DELETE FROM access_requests WHERE at < ? AND status != 'pending'", [cutoff]
            )
        return int(n)

    def recent_decisions(
        self, limit: int = 100, *, device: str | None = None
    ) -> list[DecisionEvent]:
        sql = (
            "SELECT at, device, ip, profile, host, action, reason, category, source, score "
            "FROM decisions"
        )
        params: list[Any] = []
        if device is not None:
            sql += " WHERE device = ?"
            params.append(device)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        return [
            DecisionEvent(datetime.fromisoformat(r[0]), *r[1:]) for r in self._rows(sql, params)
        ]

    def sightings(self) -> list[DeviceSighting]:
        return [
            DeviceSighting(datetime.fromisoformat(r[0]), r[1], r[2], r[3], r[4], r[5])
            for r in self._rows(
                "SELECT last_seen, ip, mac, user_agent, tls_ok, tls_failed FROM seen_devices "
                "ORDER BY last_seen DESC"
            )
        ]

    def seen_devices(self) -> list[SeenDevice]:
        """Every device the proxy has seen, most recently seen first."""
        return [
            SeenDevice(
                r[0],
                r[1],
                r[2],
                datetime.fromisoformat(r[3]),
                datetime.fromisoformat(r[4]),
                r[5],
                r[6],
            )
            for r in self._rows(
                "SELECT ip, mac, user_agent, first_seen, last_seen, tls_ok, tls_failed "
                "FROM seen_devices ORDER BY last_seen DESC LIMIT 500"
            )
        ]

    def select(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a read-only query (reports); callers pass values only as ``params``."""
        return list(self._rows(sql, params))

    # -- minutes of use (daily budgets) ----------------------------------------------------

    def add_usage(self, day: date, minutes: list[tuple[str, str, int]]) -> None:
        """Record (profile, group, minute) counted on the local ``day``; repeats are ignored."""
        with self._lock, self.db.conn:
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO usage_minutes (day, profile, grp, minute) "
                "VALUES (?, ?, ?, ?)",
                [(day.isoformat(), p, g, m) for p, g, m in minutes],
            )

    def usage_on(self, day: date, profile: str | None = None) -> list[tuple[str, str, int]]:
        """Every (profile, group, minute) counted on the local ``day`` (one profile's, if named)."""
        sql = "SELECT profile, grp, minute FROM usage_minutes WHERE day = ?"
        params: list[Any] = [day.isoformat()]
        if profile is not None:
            sql += " AND profile = ?"
            params.append(profile)
        return [(r[0], r[1], int(r[2])) for r in self._rows(sql, params)]

    def minutes_used(self, profile: str, since: date) -> dict[tuple[str, str], int]:
        """Minutes per (local day, group) for ``profile`` from ``since`` on (the week view)."""
        return {
            (r[0], r[1]): int(r[2])
            for r in self._rows(
                "SELECT day, grp, count(*) FROM usage_minutes WHERE profile = ? AND day >= ? "
                "GROUP BY day, grp",
                [profile, since.isoformat()],
            )
        }

    def prune_usage(self, before: date) -> None:
        with self._lock, self.db.conn:
            self.db.conn.execute("DELETE FROM usage_minutes WHERE day < ?", [before.isoformat()])

    # -- protection: which way each device's traffic goes, and bypass tries -----------------

    def record_paths(self, seen: list[tuple[str, datetime | None, datetime | None]]) -> None:
        """Record (ip, last DNS query, last proxied connection) seen by the proxy; a time
        that is None leaves the stored one as it is."""
        rows = [(safe_text(ip), _iso(dns_at), _iso(proxy_at)) for ip, dns_at, proxy_at in seen]
        with self._lock, self.db.conn:
            self.db.conn.executemany(
                "INSERT INTO network_paths (ip, last_dns, last_proxy) VALUES (?, ?, ?) "
                "ON CONFLICT (ip) DO UPDATE SET "
                "last_dns = coalesce(max(excluded.last_dns, coalesce(last_dns, '')), last_dns), "
                "last_proxy = coalesce(max(excluded.last_proxy, coalesce(last_proxy, '')), "
                "last_proxy)",
                rows,
            )

    def unprotected(
        self, now: datetime, minutes: int = 30
    ) -> list[tuple[str, datetime, datetime | None]]:
        """Devices (ip, last DNS query, last proxied traffic or None) that asked Hearthguard's
        DNS within the last ``minutes`` but sent nothing through the proxy in that time."""
        since = _iso(now - timedelta(minutes=minutes))
        return [
            (
                r[0],
                datetime.fromisoformat(r[1]),
                datetime.fromisoformat(r[2]) if r[2] else None,
            )
            for r in self._rows(
                "SELECT ip, last_dns, last_proxy FROM network_paths WHERE last_dns >= ? "
                "AND (last_proxy IS NULL OR last_proxy < ?) ORDER BY last_dns DESC LIMIT 200",
                [since, since],
            )
        ]

    def bypass_tries(
        self, since: datetime, *, at_least: int = 3, ip: str | None = None
    ) -> list[tuple[str | None, str, int, list[str]]]:
        """Devices that tried blocked ways around the filter (VPNs, proxies, DNS over HTTPS:
        the anonymizer category) at least ``at_least`` times since ``since``, as (device, ip,
        tries, up to five of the hosts tried), most tries first. The names that browsers and
        phones ask for by themselves (the DoH canary, Private Relay) are not counted."""
        sql = (
            "SELECT device, ip, count(*), group_concat(DISTINCT host) FROM decisions "
            "WHERE at >= ? AND action = 'block' AND category = 'anonymizer' "
            "AND coalesce(source, '') != ?"
        )
        params: list[Any] = [_iso(since), BYPASS_SOURCE]
        if ip is not None:
            sql += " AND ip = ?"
            params.append(ip)
        sql += " GROUP BY ip HAVING count(*) >= ? ORDER BY count(*) DESC LIMIT 100"
        params.append(at_least)
        return [
            (r[0], r[1], int(r[2]), sorted((r[3] or "").split(","))[:5])
            for r in self._rows(sql, params)
        ]

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
                    _safe_or_none(device),
                    _safe_or_none(ip),
                    safe_text(profile),
                    safe_text(host, _MAX_HOST),
                    safe_text(url, _MAX_URL),
                    _safe_or_none(category),
                    safe_text(reason),
                    safe_text(message, _MAX_MESSAGE),
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
        found = self.requests(where="id = ?", params=[request_id])
        if not found:
            raise KeyError(request_id)
        return found[0]

    def requests(
        self, *, where: str = "1", params: list[Any] | None = None, limit: int = 200
    ) -> list[AccessRequest]:
        rows = self._rows(
            "SELECT id, at, device, ip, profile, host, url, category, reason, message, status, "
            f"decided_at, until, note FROM access_requests WHERE {where} ORDER BY id DESC LIMIT ?",
            [*(params or []), limit],
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
        return list(reversed(self.requests(where="id > ?", params=[request_id], limit=limit)))


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


class ActivityLog:
    """The proxy's in-memory queue of events; ``take`` hands a batch to the writer thread.

    Bounded: past ``MAX_QUEUE`` queued decisions the oldest are dropped and counted, so a
    stalled disk can never grow the proxy's memory without limit.
    """

    def __init__(self, repeat_window: timedelta = timedelta(seconds=60)) -> None:
        self._decisions: list[DecisionEvent] = []
        self._sightings: dict[str, DeviceSighting] = {}
        self._hotline = 0
        self._last: dict[tuple[str | None, str, str], datetime] = {}
        self.repeat_window = repeat_window
        self.dropped = 0
        self._agents_known: set[str] = set()

    def decision(self, event: DecisionEvent) -> None:
        """Queue a decision; the same device, host and action within the window count once."""
        key = (event.ip, event.host, event.action)
        last = self._last.get(key)
        if last is not None and event.at - last < self.repeat_window:
            return
        if len(self._last) >= MAX_QUEUE:
            self._last.clear()
        self._last[key] = event.at
        if len(self._decisions) >= MAX_QUEUE:
            del self._decisions[: MAX_QUEUE // 10]
            self.dropped += MAX_QUEUE // 10
        self._decisions.append(event)

    def hotline_block(self) -> None:
        self._hotline += 1

    def sighting(self, sighting: DeviceSighting) -> None:
        old = self._sightings.get(sighting.ip)
        if old is not None:
            sighting = DeviceSighting(
                sighting.at,
                sighting.ip,
                sighting.mac or old.mac,
                sighting.user_agent or old.user_agent,
                old.tls_ok + sighting.tls_ok,
                old.tls_failed + sighting.tls_failed,
            )
        self._sightings[sighting.ip] = sighting

    def user_agent(self, ip: str, user_agent: str | None, at: datetime) -> None:
        """Record a device's browser the first time it is seen (cheap on every later request)."""
        if not user_agent or ip in self._agents_known:
            return
        if len(self._agents_known) >= MAX_QUEUE:
            self._agents_known.clear()
        self._agents_known.add(ip)
        self.sighting(DeviceSighting(at, ip, user_agent=user_agent[:_MAX_USER_AGENT]))

    def take(self) -> tuple[list[DecisionEvent], list[DeviceSighting], int]:
        batch = (self._decisions, list(self._sightings.values()), self._hotline)
        self._decisions, self._sightings, self._hotline = [], {}, 0
        return batch

    def put_back(self, batch: tuple[list[DecisionEvent], list[DeviceSighting], int]) -> None:
        """Queue a batch the database could not take yet ahead of newer events, within the
        same bound (the oldest go first, counted)."""
        decisions, sightings, hotline = batch
        self._decisions = decisions + self._decisions
        excess = len(self._decisions) - MAX_QUEUE
        if excess > 0:
            del self._decisions[:excess]
            self.dropped += excess
        newer = self._sightings
        self._sightings = {}
        for sighting in [*sightings, *newer.values()]:
            self.sighting(sighting)
        self._hotline += hotline

    def __bool__(self) -> bool:
        return bool(self._decisions or self._sightings or self._hotline)
