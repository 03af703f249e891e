"""policy.db: profiles, devices, rules, schedules, settings and list metadata.

``PolicyStore`` is the one class callers use to read or change policy.db. Each job on the
database is a mixin in ``policy.policydb`` that owns the SQL for its tables (the schema and
its named migrations are in ``policy.policydb.schema``); this module opens the file, checks
it, and reads it once into a snapshot for the proxy. Mixins rather than a facade: callers keep
one object and one call per change, and each method's signature has one owner instead of a
copy in a forwarding class.

The dashboard and the CLI write through it; the proxy only reads, by polling ``version`` and
loading a fresh snapshot. Every change bumps ``version`` through triggers, whoever makes it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from policy.network import Network
from policy.policydb.allowance import AllowanceMixin
from policy.policydb.configuration import ConfigurationMixin
from policy.policydb.lists import ListsMixin
from policy.policydb.parents import ParentsMixin
from policy.policydb.rules import RulesMixin
from policy.policydb.schedules import SchedulesMixin
from policy.policydb.schema import migrations
from policy.settings import household_zone
from policy.snapshot import CategoryIndex, IllegalList, Snapshot, UrlVerdictSource
from policy.sqlitedb import Database

__all__ = ["PolicyStore", "StoreError", "load_snapshot"]


class StoreError(Exception):
    """policy.db cannot be used as it is; the message says what to do."""


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _emptied(path: Path) -> bool:
    """True when ``path`` is a zero-byte file whose write-ahead log holds nothing either."""
    try:
        if path.stat().st_size:
            return False
        wal = path.with_name(path.name + "-wal")
        return not wal.exists() or wal.stat().st_size == 0
    except FileNotFoundError:
        return False


def _unreadable(path: Path, why: str) -> str:
    return (
        f"{path} is not a readable Hearthguard policy database ({why}). Nothing was changed. "
        "Restore it with `hearthguard restore BACKUP`, or move it away and run "
        "`hearthguard init` to start with a fresh policy."
    )


class PolicyStore(
    AllowanceMixin, SchedulesMixin, RulesMixin, ListsMixin, ParentsMixin, ConfigurationMixin
):
    """A connection to policy.db with the schema checked; the one way to read or change it."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise StoreError(
                f"{self.path} does not exist. Run `hearthguard init --data-dir "
                f"{self.path.parent}` to create it."
            )
        existed = self.path.exists()
        if _emptied(self.path):
            # SQLite would take a zero-byte file for a new database and fill it with an empty
            # policy: every profile would vanish without a word
            raise StoreError(_unreadable(self.path, "the file is empty (0 bytes)"))
        try:
            self.db = Database(_connect(self.path))
            problem = self.db.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise sqlite3.DatabaseError(problem)
            if existed and not self.db.table_names():
                raise sqlite3.DatabaseError("it holds no tables")
            self.db.execute("PRAGMA journal_mode = WAL")
            self._check_schema()
            migrations.apply(self.db)
        except sqlite3.DatabaseError as exc:
            if hasattr(self, "db"):
                self.db.conn.close()
            raise StoreError(_unreadable(self.path, str(exc))) from exc

    def _check_schema(self) -> None:
        tables = set(self.db.table_names())
        if tables and "_sqlite_migrations" not in tables:
            raise StoreError(
                f"{self.path} is an SQLite database but not a Hearthguard policy database "
                f"(it has tables {', '.join(sorted(tables)[:5])}). Nothing was changed; point "
                "--data-dir at Hearthguard's own data directory."
            )
        if not tables:
            return
        known = set(migrations.names)
        applied = set(migrations.applied(self.db))
        newer = sorted(applied - known)
        if newer:
            raise StoreError(
                f"{self.path} was written by a newer version of Hearthguard (schema steps "
                f"{', '.join(newer)} are unknown to this one). Nothing was changed; upgrade "
                "Hearthguard, or restore a backup made by this version."
            )


def load_snapshot(
    store: PolicyStore,
    *,
    index: CategoryIndex | None = None,
    url_model: UrlVerdictSource | None = None,
    illegal: tuple[IllegalList, ...] = (),
) -> Snapshot:
    """Read policy.db once into an immutable ``Snapshot`` (the proxy's only view of it); a
    setting not stored, or damaged, has its default from ``policy.settings``."""
    version = store.version()
    profiles = store.profiles()
    default = store.get_setting("default_profile")
    if default not in profiles:
        raise StoreError(
            f"policy.db names “{default}” as the default profile, but it does not exist. "
            "Run `hearthguard init` to repair the defaults."
        )
    devices = {d.ip: d for d in store.devices() if d.ip}
    kwargs: dict[str, Any] = {}
    if index is not None:
        kwargs["index"] = index
    return Snapshot(
        version=version,
        profiles=profiles,
        default_profile=default,
        devices_by_ip=devices,
        url_model=url_model,
        illegal=illegal,
        country=store.checked_setting("country"),
        language=store.checked_setting("language"),
        retention_days=store.checked_setting("retention_days"),
        learning=store.checked_setting("learning"),
        zone=household_zone(store.checked_setting("timezone")),
        holidays=tuple(store.holidays()),
        network=Network.from_settings(
            store.checked_setting("lan_ranges"), store.checked_setting("connect_ports")
        ),
        **kwargs,
    )
