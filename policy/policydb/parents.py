"""Parent accounts and their server-side sessions (the cookie carries only a token)."""

from __future__ import annotations

from datetime import datetime, timedelta

from policy.messages import N_
from policy.policydb.core import StoreCore, iso, now
from policy.validate import InputError, clean_name

__all__ = ["ParentsMixin"]


class ParentsMixin(StoreCore):
    """Parents (name and password hash) and their sessions; removing a parent or a new
    password ends sessions wherever they are."""

    def parent_hash(self, username: str) -> str | None:
        row = self.db.execute(
            "SELECT password_hash FROM parents WHERE username = ?", [username]
        ).fetchone()
        return None if row is None else str(row[0])

    def parent_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT username FROM parents ORDER BY username")]

    def set_parent(
        self,
        username: str,
        password_hash: str,
        *,
        actor: str = "system",
        keep_session: str | None = None,
    ) -> None:
        """Create a parent, or give one a new password hash. A new password ends every
        session of that parent except ``keep_session`` (the digest of the one that changed
        it), in the same transaction."""
        username = clean_name(username, "username")
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO parents (username, password_hash, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash",
                [username, password_hash, iso(now())],
            )
            conn.execute(
                "DELETE FROM parent_sessions WHERE parent_id = "
                "(SELECT id FROM parents WHERE username = ?) AND id IS NOT ?",
                [username, keep_session],
            )
            self._audit(conn, actor, "parent.password", username)

    def start_session(
        self, username: str, digest: str, *, now: datetime, lifetime: timedelta
    ) -> str | None:
        """Record a new session for ``username`` (by the digest of its token) that ends at
        ``now + lifetime``; returns the parent's stored name, or None when there is no such
        parent. Expired sessions of every parent are deleted on the way."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT id, username FROM parents WHERE username = ?", [username]
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM parent_sessions WHERE expires_at <= ?", [iso(now)])
            conn.execute(
                "INSERT INTO parent_sessions (id, parent_id, created_at, last_seen, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [digest, row[0], iso(now), iso(now), iso(now + lifetime)],
            )
        return str(row[1])

    def session_parent(self, digest: str, *, now: datetime, idle: timedelta) -> str | None:
        """The parent a session belongs to while it is live (not ended, not past its end, and
        used within ``idle``); None otherwise. Marks the session as used (at most once a
        minute, so page views are not writes)."""
        row = self.db.execute(
            "SELECT p.username, s.last_seen, s.expires_at FROM parent_sessions s "
            "JOIN parents p ON p.id = s.parent_id WHERE s.id = ?",
            [digest],
        ).fetchone()
        if row is None:
            return None
        last_seen, expires_at = datetime.fromisoformat(row[1]), datetime.fromisoformat(row[2])
        if now >= expires_at or now - last_seen > idle:
            return None
        if now - last_seen >= timedelta(minutes=1):
            with self.transaction() as conn:
                conn.execute(
                    "UPDATE parent_sessions SET last_seen = ? WHERE id = ?", [iso(now), digest]
                )
        return str(row[0])

    def end_parent_sessions(self, username: str) -> int:
        """End every session of ``username`` (logout ends them all); how many there were."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM parent_sessions WHERE parent_id = "
                "(SELECT id FROM parents WHERE username = ?)",
                [username],
            )
        return int(cursor.rowcount)

    def parent_session_count(self, username: str) -> int:
        """How many sessions of ``username`` are recorded (live or not yet cleaned up)."""
        return int(
            self.db.execute(
                "SELECT count(*) FROM parent_sessions s JOIN parents p ON p.id = s.parent_id "
                "WHERE p.username = ?",
                [username],
            ).fetchone()[0]
        )

    def delete_parent(self, username: str, *, actor: str = "system") -> None:
        """Remove a parent account and end its sessions; the last one cannot be removed."""
        if username not in self.parent_names():
            raise InputError("username", N_("There is no parent called “%(name)s”."), name=username)
        if len(self.parent_names()) <= 1:
            raise InputError("username", N_("The last parent account cannot be removed."))
        with self.transaction() as conn:
            conn.execute(
                "DELETE FROM parent_sessions WHERE parent_id = "
                "(SELECT id FROM parents WHERE username = ?)",
                [username],
            )
            conn.execute("DELETE FROM parents WHERE username = ?", [username])
            self._audit(conn, actor, "parent.delete", username)
