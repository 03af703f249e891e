"""activity.db: what happened — decisions, devices seen, access requests, chat-safety alerts.

``ActivityStore`` is the one way in: the proxy's batch writer, the log's retention, decisions,
devices, minutes of use and protection here; report queries (``activitydb.reports``) and what
waits for a parent (``activitydb.inbox``) are its other query groups, over the tables of
``activitydb.schema``. Only this module and ``policy.activitydb`` write SQL for activity.db;
every caller asks by name. The records it stores are in ``activitydb.records``, the proxy's
in-memory queue is ``activitydb.queue``.

The proxy is the one writer of the query log: it queues events in memory and ``flush`` writes
them in one transaction from a worker thread. The dashboard reads, and answers access requests.
If a row is refused anyway (its texts are made safe when the record is made), the batch writer
writes the others and counts the one it dropped.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import astuple, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from policy.activitydb.inbox import InboxQueries
from policy.activitydb.records import (
    DecisionEvent,
    DeviceSighting,
    SeenDevice,
    safe_text,
)
from policy.activitydb.records import utc_text as _iso
from policy.activitydb.reports import ReportQueries
from policy.dns import BYPASS_SOURCE

__all__ = ["ActivityStore", "read_arp_table"]

log = logging.getLogger(__name__)
ARP_TABLE = Path("/proc/net/arp")
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


class ActivityStore(ReportQueries, InboxQueries):
    """activity.db: the proxy's batch writes and every read and small write on it, by name;
    safe to share across threads."""

    def __init__(self, path: Path, *, arp_table: Path = ARP_TABLE) -> None:
        super().__init__(path)
        self.arp_table = arp_table

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
