"""The settings table: household settings (defaults and checks from ``policy.settings``) and
the few internal records kept beside them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Mapping
from typing import Any

from policy.policydb.core import StoreCore
from policy.settings import RECORDS, SETTINGS, clean_setting
from policy.validate import InputError

__all__ = ["SettingsMixin", "write_setting"]


def write_setting(conn: sqlite3.Connection, key: str, value: Any) -> None:
    """Store ``value`` (already checked) under ``key`` inside the caller's transaction."""
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, json.dumps(value)],
    )


class SettingsMixin(StoreCore):
    """Household settings: every read has the setting's default, every write its check."""

    def _stored(self, key: str) -> Any:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return None if row is None else json.loads(row[0])

    def get_setting(self, name: str) -> Any:
        """The household setting ``name``: its stored value, else its default. A name that is
        not in ``policy.settings.SETTINGS`` is a ``KeyError`` (a mistake in the code)."""
        default = SETTINGS[name].default
        value = self._stored(name)
        return default if value is None else value

    def checked_setting(self, name: str) -> Any:
        """Like ``get_setting``, but a stored value its check now refuses (a damaged file, an
        older version's value) gives the default: a bad setting must not stop the proxy."""
        value = self.get_setting(name)
        try:
            return clean_setting(name, value)
        except InputError:
            return SETTINGS[name].default

    def stored_settings(self) -> dict[str, Any]:
        """The household settings a parent (or ``init``) has set, without the defaults."""
        names = list(SETTINGS)
        marks = ", ".join("?" for _ in names)
        rows = self.db.execute(f"SELECT key, value FROM settings WHERE key IN ({marks})", names)
        return {key: json.loads(value) for key, value in rows}

    def set_setting(
        self,
        name: str,
        value: object,
        *,
        actor: str = "system",
        languages: Collection[str] = (),
    ) -> Any:
        """Check ``value`` with the setting's own check and store it; the stored value.

        Raises ``InputError`` (nothing written) for an unknown setting or a refused value;
        ``languages``, when given, are the catalogs the ``language`` setting may name."""
        return self.set_settings({name: value}, actor=actor, languages=languages)[name]

    def set_settings(
        self,
        values: Mapping[str, object],
        *,
        actor: str = "system",
        languages: Collection[str] = (),
    ) -> dict[str, Any]:
        """Check every value first, then store the ones that changed in one transaction; a
        single refused value (``InputError``) writes nothing. The cleaned values."""
        profiles = self.profile_names()
        cleaned = {
            name: clean_setting(name, value, profiles=profiles, languages=languages)
            for name, value in values.items()
        }
        changed = {k: v for k, v in cleaned.items() if self._stored(k) != v}
        if changed:
            with self.transaction() as conn:
                for key, value in changed.items():
                    write_setting(conn, key, value)
                    self._audit(conn, actor, "setting", key)
        return cleaned

    def get_record(self, key: str) -> Any:
        """An internal record (one of ``policy.settings.RECORDS``), or None."""
        if key not in RECORDS:
            raise KeyError(key)
        return self._stored(key)

    def set_record(self, key: str, value: Any, *, actor: str = "system") -> None:
        """Store an internal record (one of ``policy.settings.RECORDS``)."""
        if key not in RECORDS:
            raise KeyError(key)
        with self.transaction() as conn:
            write_setting(conn, key, value)
            self._audit(conn, actor, "setting", key)
