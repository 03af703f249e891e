"""What every part of ``PolicyStore`` stands on: the connection, one-transaction changes, the
audit trail, the version and profile ids; and how times are written in policy.db."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from policy.messages import N_
from policy.sqlitedb import Database
from policy.validate import InputError

__all__ = ["StoreCore", "iso", "now", "parse_time"]


def now() -> datetime:
    """The current time in UTC (policy.db stores UTC)."""
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """``value`` as policy.db stores a time (UTC, to the second); None stays None."""
    return None if value is None else value.astimezone(UTC).isoformat(timespec="seconds")


def parse_time(value: str | None) -> datetime | None:
    """A time as policy.db stores it, read back; empty or None is None."""
    return None if not value else datetime.fromisoformat(value)


class StoreCore:
    """The connection every part works through (``PolicyStore`` opens it)."""

    path: Path
    db: Database

    def close(self) -> None:
        self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: all of it is written, or none of it."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def version(self) -> int:
        """The policy version; every change to a versioned table bumps it (triggers)."""
        return int(self.db.execute("SELECT version FROM meta WHERE id = 1").fetchone()[0])

    def _audit(self, conn: sqlite3.Connection, actor: str, action: str, detail: str) -> None:
        conn.execute(
            "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
            [iso(now()), actor, action, detail[:500]],
        )

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT at, actor, action, detail FROM audit ORDER BY id DESC LIMIT ?", [limit]
        ).fetchall()
        return [dict(zip(("at", "actor", "action", "detail"), r, strict=True)) for r in rows]

    def record_change(self, actor: str, action: str, detail: str) -> None:
        """Add an entry to the audit log for a change kept outside policy.db (an answered
        access request lives in activity.db)."""
        with self.transaction() as conn:
            self._audit(conn, actor, action, detail)

    def profile_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM profiles ORDER BY name")]

    def _profile_id(self, name: str, field: str = "profile") -> int:
        row = self.db.execute("SELECT id FROM profiles WHERE name = ?", [name]).fetchone()
        if row is None:
            names = ", ".join(self.profile_names()) or "none yet"
            raise InputError(
                field,
                N_("There is no profile called “%(name)s” (profiles: %(names)s)."),
                name=name,
                names=names,
            )
        return int(row[0])
