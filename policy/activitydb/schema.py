"""activity.db's tables, as named migrations (safe to apply twice, forward only), and the
open database with its lock that every group of the store's queries shares.

The tables and the queries on them are owned by ``policy.activity`` and ``policy.activitydb``
together: ``activitydb.schema`` (this: the tables), ``activity`` (the store: the proxy's writes,
decisions, devices, minutes, protection), ``activitydb.reports`` (report aggregates and the
searchable log) and ``activitydb.inbox`` (access requests and chat-safety alerts). Nothing else
writes SQL for activity.db.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from policy.sqlitedb import Database, Migrations

__all__ = ["ActivityDb", "migrations"]

migrations = Migrations("hearthguard.activity")


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
    columns = db.column_names("alerts")
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


def _connect(path: Path) -> Database:
    """activity.db at ``path``, opened for threads, in WAL mode, with every migration applied."""
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    db = Database(conn)
    db.execute("PRAGMA journal_mode = WAL")
    migrations.apply(db)
    return db


class ActivityDb:
    """An open activity.db and the lock its queries share; safe to share across threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.db = _connect(self.path)
        self._lock = threading.Lock()

    def close(self) -> None:
        self.db.conn.close()

    def _rows(self, sql: str, params: list[Any] | None = None) -> Iterator[tuple[Any, ...]]:
        with self._lock:
            rows = self.db.execute(sql, params or []).fetchall()
        return iter(rows)
