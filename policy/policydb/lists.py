"""The lists table: each category list's source, format, size, last update and error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from policy.policydb.core import StoreCore, iso, parse_time

__all__ = ["ListRecord", "ListsMixin"]


@dataclass(frozen=True, slots=True)
class ListRecord:
    name: str
    source: str
    format: str
    category: str | None
    enabled: bool
    entries: int
    rejected: int
    updated_at: datetime | None
    last_error: str | None


class ListsMixin(StoreCore):
    """The record of every imported list (the entries live in the compiled index)."""

    def upsert_list(self, record: ListRecord, *, actor: str = "system") -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO lists (name, source, format, category, enabled, entries, rejected, "
                "updated_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET source = excluded.source, "
                "format = excluded.format, category = excluded.category, "
                "enabled = excluded.enabled, entries = excluded.entries, "
                "rejected = excluded.rejected, updated_at = excluded.updated_at, "
                "last_error = excluded.last_error",
                [
                    record.name,
                    record.source,
                    record.format,
                    record.category,
                    int(record.enabled),
                    record.entries,
                    record.rejected,
                    iso(record.updated_at),
                    record.last_error,
                ],
            )
            self._audit(conn, actor, "list.import", f"{record.name}: {record.entries} entries")

    def delete_list(self, name: str, *, actor: str = "system") -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM lists WHERE name = ?", [name])
            self._audit(conn, actor, "list.remove", name)

    def set_list_error(self, name: str, error: str | None) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE lists SET last_error = ? WHERE name = ?", [error, name])

    def lists(self) -> list[ListRecord]:
        return [
            ListRecord(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], parse_time(r[7]), r[8])
            for r in self.db.execute(
                "SELECT name, source, format, category, enabled, entries, rejected, updated_at, "
                "last_error FROM lists ORDER BY name"
            )
        ]
