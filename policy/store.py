"""policy.db: profiles, devices, rules, schedules, settings and list metadata.

This module owns the schema (named migrations, safe to apply twice). The dashboard and the CLI
write through it; the proxy only reads, by polling ``version`` and loading a fresh snapshot.
Every change bumps ``version`` through triggers, whoever makes it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from classifier.categories import PROTECTED
from policy.budgets import BUDGET_DAYS, clean_group, clean_minutes
from policy.messages import N_
from policy.network import Network
from policy.presets import PRESETS, Preset, preset
from policy.services import shipped_services
from policy.settings import household_zone
from policy.snapshot import CategoryIndex, IllegalList, Snapshot, UrlVerdictSource
from policy.timerules import HOLIDAY_KINDS, check_overlap, check_window
from policy.validate import InputError, clean_domain, clean_ip, clean_mac, clean_name
from policy.values import (
    YOUTUBE_MODES,
    Action,
    Bonus,
    Budget,
    Device,
    Holiday,
    Profile,
    Rule,
    Schedule,
)

__all__ = [
    "DEFAULT_PROFILE",
    "ListRecord",
    "PolicyStore",
    "StoreError",
    "load_snapshot",
]

DEFAULT_PROFILE = "Household"
MIGRATION_SET = "hearthguard.policy"
_VERSIONED_TABLES = ("profiles", "devices", "rules", "schedules", "settings", "lists")

migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_initial(db: Database) -> None:
    db.execute(
        "CREATE TABLE meta (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)"
    )
    db.execute("INSERT INTO meta (id, version) VALUES (1, 1)")
    db.execute(
        """CREATE TABLE profiles (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            preset TEXT NOT NULL,
            blocked TEXT NOT NULL,
            url_threshold REAL NOT NULL,
            page_threshold REAL NOT NULL,
            content_scan INTEGER NOT NULL,
            safesearch INTEGER NOT NULL,
            youtube TEXT NOT NULL,
            logging INTEGER NOT NULL,
            created_at TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE devices (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            ip TEXT UNIQUE,
            mac TEXT,
            profile_id INTEGER NOT NULL REFERENCES profiles(id),
            ca_trusted INTEGER NOT NULL DEFAULT 0,
            paused_until TEXT,
            created_at TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE rules (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            action TEXT NOT NULL CHECK (action IN ('allow', 'block')),
            domain TEXT NOT NULL,
            expires_at TEXT,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (profile_id, domain, action))"""
    )
    db.execute(
        """CREATE TABLE schedules (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            days TEXT NOT NULL,
            start TEXT NOT NULL,
            end TEXT NOT NULL,
            label TEXT NOT NULL)"""
    )
    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        """CREATE TABLE lists (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL,
            format TEXT NOT NULL,
            category TEXT,
            enabled INTEGER NOT NULL DEFAULT 1,
            entries INTEGER NOT NULL DEFAULT 0,
            rejected INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT,
            last_error TEXT)"""
    )
    db.execute(
        """CREATE TABLE parents (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL)"""
    )
    for table in _VERSIONED_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER bump_{table}_{event.lower()} AFTER {event} ON {table} "
                "BEGIN UPDATE meta SET version = version + 1 WHERE id = 1; END"
            )


@migrations()
def m002_parent_sessions(db: Database) -> None:
    """Server-side parent sessions: the cookie carries a token, this table its SHA-256 digest,
    so removing a parent, a new password or a logout ends sessions wherever they are."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS parent_sessions (
            id TEXT PRIMARY KEY,
            parent_id INTEGER NOT NULL REFERENCES parents(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            expires_at TEXT NOT NULL)"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS parent_sessions_parent ON parent_sessions (parent_id)"
    )


@migrations()
def m010_time_rules(db: Database) -> None:
    """Pauses per child, offline windows per device, daily budgets, bonus time, holidays."""
    profile_columns = {c.name for c in db["profiles"].columns}
    if "paused_until" not in profile_columns:
        db.execute("ALTER TABLE profiles ADD COLUMN paused_until TEXT")
    if "device_id" not in {c.name for c in db["schedules"].columns}:
        db.execute(
            "ALTER TABLE schedules ADD COLUMN device_id INTEGER "
            "REFERENCES devices(id) ON DELETE CASCADE"
        )
    db.execute(
        """CREATE TABLE IF NOT EXISTS budgets (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            grp TEXT NOT NULL,
            days TEXT NOT NULL CHECK (days IN ('weekdays', 'weekend')),
            minutes INTEGER NOT NULL CHECK (minutes BETWEEN 0 AND 1440),
            UNIQUE (profile_id, grp, days))"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS bonuses (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            grp TEXT NOT NULL,
            day TEXT NOT NULL,
            minutes INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
            created_at TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS holidays (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER REFERENCES profiles(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('weekend', 'no_bedtime')),
            start_day TEXT NOT NULL,
            end_day TEXT NOT NULL,
            label TEXT NOT NULL)"""
    )
    for table in ("budgets", "bonuses", "holidays"):
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER IF NOT EXISTS bump_{table}_{event.lower()} AFTER {event} "
                f"ON {table} BEGIN UPDATE meta SET version = version + 1 WHERE id = 1; END"
            )


@migrations()
def m020_blocked_services(db: Database) -> None:
    """The services (TikTok, Discord, ...) switched off per profile, as a JSON list of ids;
    existing profiles get their preset's services."""
    if "services" not in {c.name for c in db["profiles"].columns}:
        db.execute("ALTER TABLE profiles ADD COLUMN services TEXT NOT NULL DEFAULT '[]'")
        for pid, preset_name in db.execute("SELECT id, preset FROM profiles").fetchall():
            services = preset(preset_name).services if preset_name in PRESETS else frozenset()
            db.execute(
                "UPDATE profiles SET services = ? WHERE id = ?",
                [json.dumps(sorted(services)), pid],
            )


class StoreError(Exception):
    """policy.db cannot be used as it is; the message says what to do."""


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


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat(timespec="seconds")


def _parse_time(value: str | None) -> datetime | None:
    return None if not value else datetime.fromisoformat(value)


def _insert_profile(
    conn: sqlite3.Connection, name: str, preset_name: str, values: Preset | Profile
) -> int:
    """Write one profile row (settings from a preset or an existing profile); its id."""
    cursor = conn.execute(
        "INSERT INTO profiles (name, preset, blocked, url_threshold, page_threshold, "
        "content_scan, safesearch, youtube, logging, created_at, services) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            name,
            preset_name,
            json.dumps(sorted(values.blocked)),
            values.url_threshold,
            values.page_threshold,
            int(values.content_scan),
            int(values.safesearch),
            values.youtube,
            int(values.logging),
            _iso(_now()),
            json.dumps(sorted(values.services)),
        ],
    )
    return int(cursor.lastrowid or 0)


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


class PolicyStore:
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
        known = {m.name for m in migrations._migrations}
        applied = {m.name for m in migrations.applied(self.db)}
        newer = sorted(applied - known)
        if newer:
            raise StoreError(
                f"{self.path} was written by a newer version of Hearthguard (schema steps "
                f"{', '.join(newer)} are unknown to this one). Nothing was changed; upgrade "
                "Hearthguard, or restore a backup made by this version."
            )

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

    # -- version and settings -------------------------------------------------------------

    def version(self) -> int:
        return int(self.db.execute("SELECT version FROM meta WHERE id = 1").fetchone()[0])

    def get_setting(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return default if row is None else json.loads(row[0])

    def set_setting(self, key: str, value: Any, *, actor: str = "system") -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, json.dumps(value)],
            )
            self._audit(conn, actor, "setting", key)

    def _audit(self, conn: sqlite3.Connection, actor: str, action: str, detail: str) -> None:
        conn.execute(
            "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
            [_iso(_now()), actor, action, detail[:500]],
        )

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT at, actor, action, detail FROM audit ORDER BY id DESC LIMIT ?", [limit]
        ).fetchall()
        return [dict(zip(("at", "actor", "action", "detail"), r, strict=True)) for r in rows]

    # -- profiles -------------------------------------------------------------------------

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

    def profile_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM profiles ORDER BY name")]

    def add_profile(self, name: str, preset_name: str, *, actor: str = "system") -> Profile:
        name = clean_name(name)
        try:
            p = preset(preset_name)
        except KeyError as exc:
            raise InputError("preset", str(exc.args[0])) from None
        if self.db.execute("SELECT 1 FROM profiles WHERE name = ?", [name]).fetchone():
            raise InputError("name", N_("A profile called “%(name)s” already exists."), name=name)
        with self.transaction() as conn:
            _insert_profile(conn, name, p.name, p)
            self._audit(conn, actor, "profile.add", f"{name} ({p.name})")
        return self.profile(name)

    def update_profile(
        self,
        name: str,
        *,
        new_name: str | None = None,
        blocked: Iterable[str] | None = None,
        url_threshold: float | None = None,
        page_threshold: float | None = None,
        content_scan: bool | None = None,
        safesearch: bool | None = None,
        youtube: str | None = None,
        logging: bool | None = None,
        services: Iterable[str] | None = None,
        actor: str = "system",
    ) -> Profile:
        """Change a profile's settings; protected categories can never be blocked, and
        ``services`` (the ids switched off) must all be in the services table."""
        profile_id = self._profile_id(name)
        changes: dict[str, Any] = {}
        if new_name is not None and new_name != name:
            new_name = clean_name(new_name)
            clash = self.db.execute(
                "SELECT 1 FROM profiles WHERE name = ? AND id != ?", [new_name, profile_id]
            ).fetchone()
            if clash:
                raise InputError(
                    "name", N_("A profile called “%(name)s” already exists."), name=new_name
                )
            changes["name"] = new_name
        if blocked is not None:
            chosen = {c.strip().lower() for c in blocked if c.strip()}
            protected = chosen & set(PROTECTED)
            if protected:
                raise InputError(
                    "blocked",
                    N_("%(kinds)s must stay reachable and cannot be blocked."),
                    kinds=", ".join(sorted(protected)),
                )
            changes["blocked"] = json.dumps(sorted(chosen))
        for key, value in (("url_threshold", url_threshold), ("page_threshold", page_threshold)):
            if value is not None:
                if not 0.0 < value <= 1.0:
                    raise InputError(key, N_("Strictness must be between 0 and 1."))
                changes[key] = float(value)
        for key, flag in (
            ("content_scan", content_scan),
            ("safesearch", safesearch),
            ("logging", logging),
        ):
            if flag is not None:
                changes[key] = int(flag)
        if youtube is not None:
            if youtube not in YOUTUBE_MODES:
                raise InputError(
                    "youtube", f"YouTube mode must be one of {', '.join(YOUTUBE_MODES)}."
                )
            changes["youtube"] = youtube
        if services is not None:
            chosen_services = {s.strip().lower() for s in services if s.strip()}
            unknown = chosen_services - shipped_services().ids
            if unknown:
                raise InputError(
                    "services",
                    N_("Unknown services: %(names)s."),
                    names=", ".join(sorted(unknown)),
                )
            changes["services"] = json.dumps(sorted(chosen_services))
        if changes:
            with self.transaction() as conn:
                sets = ", ".join(f"{k} = ?" for k in changes)
                conn.execute(
                    f"UPDATE profiles SET {sets} WHERE id = ?", [*changes.values(), profile_id]
                )
                if "name" in changes and self.get_setting("default_profile") == name:
                    conn.execute(
                        "UPDATE settings SET value = ? WHERE key = 'default_profile'",
                        [json.dumps(changes["name"])],
                    )
                self._audit(conn, actor, "profile.update", f"{name}: {', '.join(changes)}")
        return self.profile(changes.get("name", name))

    def delete_profile(self, name: str, *, actor: str = "system") -> None:
        profile_id = self._profile_id(name)
        if self.get_setting("default_profile") == name:
            raise InputError("profile", N_("The household's default profile cannot be deleted."))
        used = self.db.execute(
            "SELECT name FROM devices WHERE profile_id = ?", [profile_id]
        ).fetchall()
        if used:
            raise InputError(
                "profile",
                N_("Move these devices to another profile first: %(names)s."),
                names=", ".join(r[0] for r in used),
            )
        with self.transaction() as conn:
            conn.execute("DELETE FROM profiles WHERE id = ?", [profile_id])
            self._audit(conn, actor, "profile.delete", name)

    def profile(self, name: str) -> Profile:
        for profile_name, profile in self.profiles().items():
            if profile_name.lower() == name.lower():
                return profile
        self._profile_id(name)  # raises the friendly error
        raise AssertionError("unreachable")

    def profiles(self, now: datetime | None = None) -> dict[str, Profile]:
        """Every profile with its rules and schedules; expired rules are left out when ``now``."""
        rules: dict[int, list[Rule]] = {}
        for rid, pid, action, domain, expires in self.db.execute(
            "SELECT id, profile_id, action, domain, expires_at FROM rules ORDER BY id"
        ):
            rule = Rule(Action(action), domain, _parse_time(expires), rid)
            if now is None or rule.active(now):
                rules.setdefault(pid, []).append(rule)
        schedules: dict[int, list[Schedule]] = {}
        for sid, pid, days, start, end, label in self.db.execute(
            "SELECT id, profile_id, days, start, end, label FROM schedules "
            "WHERE device_id IS NULL ORDER BY id"
        ):
            schedules.setdefault(pid, []).append(
                Schedule(
                    frozenset(int(d) for d in days),
                    time.fromisoformat(start),
                    time.fromisoformat(end),
                    label,
                    schedule_id=sid,
                )
            )
        result = {}
        for row in self.db.execute(
            "SELECT id, name, preset, blocked, url_threshold, page_threshold, content_scan, "
            "safesearch, youtube, logging, services FROM profiles ORDER BY name"
        ):
            pid = row[0]
            result[row[1]] = Profile(
                name=row[1],
                preset=row[2],
                blocked=frozenset(json.loads(row[3])),
                url_threshold=row[4],
                page_threshold=row[5],
                content_scan=bool(row[6]),
                safesearch=bool(row[7]),
                youtube=row[8],
                logging=bool(row[9]),
                services=frozenset(json.loads(row[10])),
                rules=tuple(rules.get(pid, ())),
                schedules=tuple(schedules.get(pid, ())),
                profile_id=pid,
            )
        return self._with_time_rules(result)

    # -- rules and schedules --------------------------------------------------------------

    def add_rule(
        self,
        profile: str,
        action: Action,
        domain: str,
        *,
        expires_at: datetime | None = None,
        note: str = "",
        actor: str = "system",
    ) -> Rule:
        """Allow or deny ``domain`` (and its sub-domains).

        A lasting rule replaces every earlier rule for the domain. A rule with an end
        (an approved access request) sits beside a lasting one, so when it ends the
        parent's earlier choice applies again.
        """
        profile_id = self._profile_id(profile)
        domain = clean_domain(domain)
        with self.transaction() as conn:
            if expires_at is None:
                conn.execute(
                    "DELETE FROM rules WHERE profile_id = ? AND domain = ? AND action != ?",
                    [profile_id, domain, action.value],
                )
            conn.execute(
                "INSERT INTO rules (profile_id, action, domain, expires_at, note, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (profile_id, domain, action) DO UPDATE SET "
                "expires_at = excluded.expires_at, "
                "note = excluded.note, created_at = excluded.created_at",
                [profile_id, action.value, domain, _iso(expires_at), note[:200], _iso(_now())],
            )
            until = f" until {_iso(expires_at)}" if expires_at else ""
            self._audit(conn, actor, f"rule.{action.value}", f"{profile}: {domain}{until}")
        return Rule(action, domain, expires_at)

    def remove_rule(self, profile: str, domain: str, *, actor: str = "system") -> bool:
        profile_id = self._profile_id(profile)
        domain = clean_domain(domain)
        with self.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM rules WHERE profile_id = ? AND domain = ?", [profile_id, domain]
            )
            if cursor.rowcount:
                self._audit(conn, actor, "rule.remove", f"{profile}: {domain}")
        return cursor.rowcount > 0

    def add_schedule(self, profile: str, schedule: Schedule, *, actor: str = "system") -> int:
        """Add an offline window for the profile, or for one of its devices
        (``schedule.device``); refuses empty, mistaken or overlapping windows. Its id."""
        profile_id = self._profile_id(profile)
        if not schedule.days or not schedule.days <= set(range(1, 8)):
            raise InputError("days", N_("Choose at least one day of the week."))
        check_window(schedule.start, schedule.end)
        device_id = None
        if schedule.device is not None:
            device = self.device(schedule.device)
            if device.profile.lower() != profile.lower():
                raise InputError(
                    "device",
                    N_("“%(device)s” uses the profile “%(used)s”, not “%(profile)s”."),
                    device=device.name,
                    used=device.profile,
                    profile=profile,
                )
            device_id = device.device_id
            schedule = replace(schedule, device=device.name)
        label = clean_name(schedule.label, "label")
        check_overlap(schedule, [s for _, s in self.schedules_with_ids(profile)])
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO schedules (profile_id, days, start, end, label, device_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    profile_id,
                    "".join(str(d) for d in sorted(schedule.days)),
                    schedule.start.strftime("%H:%M"),
                    schedule.end.strftime("%H:%M"),
                    label,
                    device_id,
                ],
            )
            who = f" ({schedule.device})" if schedule.device else ""
            self._audit(
                conn,
                actor,
                "schedule.add",
                f"{profile}{who}: {label} {schedule.start:%H:%M}-{schedule.end:%H:%M}",
            )
        return int(cursor.lastrowid or 0)

    # -- devices --------------------------------------------------------------------------

    def add_device(
        self,
        name: str,
        *,
        profile: str,
        ip: str | None = None,
        mac: str | None = None,
        actor: str = "system",
    ) -> Device:
        name = clean_name(name)
        profile_id = self._profile_id(profile)
        ip = clean_ip(ip) if ip else None
        mac = clean_mac(mac) if mac else None
        if ip and not Network.from_settings(self.get_setting("lan_ranges"), None).is_lan(ip):
            raise InputError(
                "ip",
                N_(
                    "%(ip)s is not an address on the home network (the lan_ranges setting); "
                    "use the address the device has at home."
                ),
                ip=ip,
            )
        if self.db.execute("SELECT 1 FROM devices WHERE name = ?", [name]).fetchone():
            raise InputError("name", N_("A device called “%(name)s” already exists."), name=name)
        if ip:
            owner = self.db.execute("SELECT name FROM devices WHERE ip = ?", [ip]).fetchone()
            if owner:
                raise InputError(
                    "ip",
                    N_("%(ip)s already belongs to the device “%(name)s”."),
                    ip=ip,
                    name=owner[0],
                )
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO devices (name, ip, mac, profile_id, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [name, ip, mac, profile_id, _iso(_now())],
            )
            self._audit(
                conn, actor, "device.add", f"{name} ({ip or mac or 'no address'}) -> {profile}"
            )
        return self.device(name)

    def update_device(
        self,
        name: str,
        *,
        profile: str | None = None,
        ca_trusted: bool | None = None,
        paused_until: datetime | None | bool = False,
        actor: str = "system",
    ) -> Device:
        """Move a device to a profile, mark its CA, or pause it (``paused_until=None`` resumes)."""
        row = self.db.execute("SELECT id FROM devices WHERE name = ?", [name]).fetchone()
        if row is None:
            raise InputError("device", N_("There is no device called “%(name)s”."), name=name)
        changes: dict[str, Any] = {}
        if profile is not None:
            changes["profile_id"] = self._profile_id(profile)
        if ca_trusted is not None:
            changes["ca_trusted"] = int(ca_trusted)
        if paused_until is not False:
            changes["paused_until"] = _iso(paused_until)  # type: ignore[arg-type]
        if changes:
            with self.transaction() as conn:
                sets = ", ".join(f"{k} = ?" for k in changes)
                conn.execute(f"UPDATE devices SET {sets} WHERE id = ?", [*changes.values(), row[0]])
                self._audit(conn, actor, "device.update", f"{name}: {', '.join(changes)}")
        return self.device(name)

    def delete_device(self, name: str, *, actor: str = "system") -> None:
        with self.transaction() as conn:
            cursor = conn.execute("DELETE FROM devices WHERE name = ?", [name])
            if not cursor.rowcount:
                raise InputError("device", N_("There is no device called “%(name)s”."), name=name)
            self._audit(conn, actor, "device.delete", name)

    def device(self, name: str) -> Device:
        for device in self.devices():
            if device.name.lower() == name.lower():
                return device
        raise InputError("device", N_("There is no device called “%(name)s”."), name=name)

    def devices(self) -> list[Device]:
        device_schedules = self._device_schedules()
        return [
            Device(
                name=r[0],
                profile=r[1],
                ip=r[2],
                mac=r[3],
                ca_trusted=bool(r[4]),
                paused_until=_parse_time(r[5]),
                device_id=r[6],
                schedules=device_schedules.get(r[6], ()),
            )
            for r in self.db.execute(
                "SELECT d.name, p.name, d.ip, d.mac, d.ca_trusted, d.paused_until, d.id "
                "FROM devices d JOIN profiles p ON p.id = d.profile_id ORDER BY d.name"
            )
        ]

    # -- lists ----------------------------------------------------------------------------

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
                    _iso(record.updated_at),
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
            ListRecord(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], _parse_time(r[7]), r[8])
            for r in self.db.execute(
                "SELECT name, source, format, category, enabled, entries, rejected, updated_at, "
                "last_error FROM lists ORDER BY name"
            )
        ]

    # -- parents --------------------------------------------------------------------------

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
                [username, password_hash, _iso(_now())],
            )
            conn.execute(
                "DELETE FROM parent_sessions WHERE parent_id = "
                "(SELECT id FROM parents WHERE username = ?) AND id IS NOT ?",
                [username, keep_session],
            )
            self._audit(conn, actor, "parent.password", username)

    # -- parent sessions (the dashboard keeps only a token in the cookie) --------------------

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
            conn.execute("DELETE FROM parent_sessions WHERE expires_at <= ?", [_iso(now)])
            conn.execute(
                "INSERT INTO parent_sessions (id, parent_id, created_at, last_seen, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [digest, row[0], _iso(now), _iso(now), _iso(now + lifetime)],
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
                    "UPDATE parent_sessions SET last_seen = ? WHERE id = ?", [_iso(now), digest]
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

    # -- dashboard additions: parents, schedules, configuration import ----------------------

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

    def schedules_with_ids(self, profile: str) -> list[tuple[int, Schedule]]:
        """A profile's offline times, its devices' included, with the ids
        ``remove_schedule`` takes."""
        profile_id = self._profile_id(profile)
        return [
            (
                r[0],
                Schedule(
                    frozenset(int(d) for d in r[1]),
                    time.fromisoformat(r[2]),
                    time.fromisoformat(r[3]),
                    r[4],
                    device=r[5],
                    schedule_id=r[0],
                ),
            )
            for r in self.db.execute(
                "SELECT s.id, s.days, s.start, s.end, s.label, d.name FROM schedules s "
                "LEFT JOIN devices d ON d.id = s.device_id "
                "WHERE (s.device_id IS NULL AND s.profile_id = ?) OR d.profile_id = ? "
                "ORDER BY s.id",
                [profile_id, profile_id],
            )
        ]

    def remove_schedule(self, profile: str, schedule_id: int, *, actor: str = "system") -> bool:
        profile_id = self._profile_id(profile)
        with self.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM schedules WHERE id = ? AND (profile_id = ? OR device_id IN "
                "(SELECT id FROM devices WHERE profile_id = ?))",
                [schedule_id, profile_id, profile_id],
            )
            if cursor.rowcount:
                self._audit(conn, actor, "schedule.remove", f"{profile}: {schedule_id}")
        return cursor.rowcount > 0

    def replace_configuration(
        self,
        profiles: list[Profile],
        devices: list[Device],
        settings: dict[str, Any],
        *,
        actor: str = "system",
    ) -> None:
        """Replace every profile (with its rules and schedules), every device and the given
        settings in one transaction. Parents, lists and the audit log are kept.

        The values must already be checked (``policy.config_io`` does); a database error
        leaves everything as it was.
        """
        with self.transaction() as conn:
            for table in ("devices", "rules", "schedules", "profiles"):
                conn.execute(f"DELETE FROM {table}")
            ids: dict[str, int] = {}
            for p in profiles:
                ids[p.name.lower()] = _insert_profile(conn, p.name, p.preset, p)
                for r in p.rules:
                    conn.execute(
                        "INSERT INTO rules (profile_id, action, domain, expires_at, created_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [
                            ids[p.name.lower()],
                            r.action.value,
                            r.domain,
                            _iso(r.expires_at),
                            _iso(_now()),
                        ],
                    )
                for s in p.schedules:
                    conn.execute(
                        "INSERT INTO schedules (profile_id, days, start, end, label) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [
                            ids[p.name.lower()],
                            "".join(str(d) for d in sorted(s.days)),
                            s.start.strftime("%H:%M"),
                            s.end.strftime("%H:%M"),
                            s.label,
                        ],
                    )
                for b in p.budgets:
                    conn.execute(
                        "INSERT INTO budgets (profile_id, grp, days, minutes) VALUES (?, ?, ?, ?)",
                        [ids[p.name.lower()], b.group, b.days, b.minutes],
                    )
            for d in devices:
                device_row = conn.execute(
                    "INSERT INTO devices (name, ip, mac, profile_id, ca_trusted, paused_until, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        d.name,
                        d.ip,
                        d.mac,
                        ids[d.profile.lower()],
                        int(d.ca_trusted),
                        _iso(d.paused_until),
                        _iso(_now()),
                    ],
                )
                for s in d.schedules:
                    conn.execute(
                        "INSERT INTO schedules (profile_id, days, start, end, label, device_id) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        [
                            ids[d.profile.lower()],
                            "".join(str(day) for day in sorted(s.days)),
                            s.start.strftime("%H:%M"),
                            s.end.strftime("%H:%M"),
                            s.label,
                            device_row.lastrowid,
                        ],
                    )
            for key, value in settings.items():
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [key, json.dumps(value)],
                )
            self._audit(
                conn,
                actor,
                "config.import",
                f"{len(profiles)} profiles, {len(devices)} devices, settings "
                f"{', '.join(sorted(settings)) or 'none'}",
            )

    # -- time rules: pauses per child, budgets, bonus time, holidays ------------------------

    def _with_time_rules(self, profiles: dict[str, Profile]) -> dict[str, Profile]:
        """``profiles`` with each one's pause, daily budgets and recent bonus time filled in."""
        paused = dict(self.db.execute("SELECT id, paused_until FROM profiles").fetchall())
        budgets: dict[int, list[Budget]] = {}
        for pid, group, days, minutes in self.db.execute(
            "SELECT profile_id, grp, days, minutes FROM budgets ORDER BY grp, days"
        ):
            budgets.setdefault(pid, []).append(Budget(group, days, minutes))
        bonuses: dict[int, list[Bonus]] = {}
        since = (_now().date() - timedelta(days=2)).isoformat()
        for pid, group, day, minutes in self.db.execute(
            "SELECT profile_id, grp, day, minutes FROM bonuses WHERE day >= ? ORDER BY id",
            [since],
        ):
            bonuses.setdefault(pid, []).append(Bonus(group, date.fromisoformat(day), minutes))
        return {
            name: replace(
                p,
                paused_until=_parse_time(paused.get(p.profile_id)),
                budgets=tuple(budgets.get(p.profile_id or 0, ())),
                bonuses=tuple(bonuses.get(p.profile_id or 0, ())),
            )
            for name, p in profiles.items()
        }

    def _device_schedules(self) -> dict[int, tuple[Schedule, ...]]:
        found: dict[int, list[Schedule]] = {}
        for sid, device_id, days, start, end, label, name in self.db.execute(
            "SELECT s.id, s.device_id, s.days, s.start, s.end, s.label, d.name FROM schedules s "
            "JOIN devices d ON d.id = s.device_id ORDER BY s.id"
        ):
            found.setdefault(device_id, []).append(
                Schedule(
                    frozenset(int(d) for d in days),
                    time.fromisoformat(start),
                    time.fromisoformat(end),
                    label,
                    device=name,
                    schedule_id=sid,
                )
            )
        return {k: tuple(v) for k, v in found.items()}

    def pause_profile(
        self, profile: str, until: datetime | None, *, actor: str = "system"
    ) -> Profile:
        """Pause every device of a child until ``until``; ``None`` resumes."""
        profile_id = self._profile_id(profile)
        with self.transaction() as conn:
            conn.execute(
                "UPDATE profiles SET paused_until = ? WHERE id = ?", [_iso(until), profile_id]
            )
            what = f"until {_iso(until)}" if until else "resumed"
            self._audit(conn, actor, "profile.pause", f"{profile}: {what}")
        return self.profile(profile)

    def set_budget(
        self,
        profile: str,
        group: str,
        minutes: int | None,
        *,
        days: Iterable[str] = BUDGET_DAYS,
        actor: str = "system",
    ) -> None:
        """A daily allowance of ``minutes`` for ``group`` on weekdays and/or weekend days;
        ``None`` removes it (the group is unlimited again)."""
        profile_id = self._profile_id(profile)
        group = clean_group(group)
        chosen = list(dict.fromkeys(days))
        if not chosen or not set(chosen) <= set(BUDGET_DAYS):
            raise InputError("days", N_("A budget is for weekdays, the weekend, or both."))
        if minutes is not None:
            minutes = clean_minutes(minutes)
        with self.transaction() as conn:
            for kind in chosen:
                if minutes is None:
                    conn.execute(
                        "DELETE FROM budgets WHERE profile_id = ? AND grp = ? AND days = ?",
                        [profile_id, group, kind],
                    )
                else:
                    conn.execute(
                        "INSERT INTO budgets (profile_id, grp, days, minutes) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (profile_id, grp, days) "
                        "DO UPDATE SET minutes = excluded.minutes",
                        [profile_id, group, kind, minutes],
                    )
            amount = "removed" if minutes is None else f"{minutes} min"
            self._audit(
                conn, actor, "budget.set", f"{profile}: {group} {amount} ({', '.join(chosen)})"
            )

    def add_bonus(
        self, profile: str, group: str, minutes: int, day: date, *, actor: str = "system"
    ) -> int:
        """Grant ``minutes`` more of ``group`` on ``day`` (a local date); the day's total bonus.

        Only groups with a budget can get bonus time (the others are not limited)."""
        profile_id = self._profile_id(profile)
        group = clean_group(group)
        minutes = clean_minutes(minutes)
        if minutes == 0:
            raise InputError("minutes", N_("Bonus time is at least 1 minute."))
        if not self.db.execute(
            "SELECT 1 FROM budgets WHERE profile_id = ? AND grp = ?", [profile_id, group]
        ).fetchone():
            raise InputError(
                "group",
                N_("“%(profile)s” has no %(group)s budget, so %(group)s is not limited."),
                profile=profile,
                group=group,
            )
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO bonuses (profile_id, grp, day, minutes, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [profile_id, group, day.isoformat(), minutes, _iso(_now())],
            )
            self._audit(conn, actor, "bonus.add", f"{profile}: {group} +{minutes} min on {day}")
            total = conn.execute(
                "SELECT sum(minutes) FROM bonuses WHERE profile_id = ? AND grp = ? AND day = ?",
                [profile_id, group, day.isoformat()],
            ).fetchone()[0]
        return int(total or 0)

    def add_holiday(self, holiday: Holiday, *, actor: str = "system") -> int:
        """Add a holiday override (``weekend`` or ``no_bedtime``) for one profile or all."""
        if holiday.kind not in HOLIDAY_KINDS:
            raise InputError("kind", f"A holiday is one of: {', '.join(HOLIDAY_KINDS)}.")
        if holiday.end < holiday.start:
            raise InputError("until", N_("The last day of a holiday cannot be before its first."))
        if (holiday.end - holiday.start).days > 366:
            raise InputError("until", N_("A holiday can last at most a year."))
        profile_id = self._profile_id(holiday.profile) if holiday.profile else None
        label = clean_name(holiday.label, "label")
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO holidays (profile_id, kind, start_day, end_day, label) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    profile_id,
                    holiday.kind,
                    holiday.start.isoformat(),
                    holiday.end.isoformat(),
                    label,
                ],
            )
            who = holiday.profile or "everyone"
            self._audit(
                conn,
                actor,
                "holiday.add",
                f"{who}: {label} ({holiday.kind}) {holiday.start} to {holiday.end}",
            )
        return int(cursor.lastrowid or 0)

    def holidays(self) -> list[Holiday]:
        return [
            Holiday(date.fromisoformat(r[1]), date.fromisoformat(r[2]), r[3], r[4], r[5], r[0])
            for r in self.db.execute(
                "SELECT h.id, h.start_day, h.end_day, h.kind, h.label, p.name FROM holidays h "
                "LEFT JOIN profiles p ON p.id = h.profile_id ORDER BY h.start_day, h.id"
            )
        ]

    def remove_holiday(self, holiday_id: int, *, actor: str = "system") -> bool:
        with self.transaction() as conn:
            cursor = conn.execute("DELETE FROM holidays WHERE id = ?", [holiday_id])
            if cursor.rowcount:
                self._audit(conn, actor, "holiday.remove", str(holiday_id))
        return cursor.rowcount > 0

    def record_change(self, actor: str, action: str, detail: str) -> None:
        """Add an entry to the audit log for a change kept outside policy.db (an answered
        access request lives in activity.db)."""
        with self.transaction() as conn:
            self._audit(conn, actor, action, detail)


def load_snapshot(
    store: PolicyStore,
    *,
    index: CategoryIndex | None = None,
    url_model: UrlVerdictSource | None = None,
    illegal: tuple[IllegalList, ...] = (),
) -> Snapshot:
    """Read policy.db once into an immutable ``Snapshot`` (the proxy's only view of it)."""
    version = store.version()
    profiles = store.profiles()
    default = store.get_setting("default_profile", DEFAULT_PROFILE)
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
        country=store.get_setting("country", ""),
        language=store.get_setting("language", ""),
        retention_days=int(store.get_setting("retention_days", 30) or 30),
        learning=bool(store.get_setting("learning", True)),
        zone=household_zone(store.get_setting("timezone")),
        holidays=tuple(store.holidays()),
        network=Network.from_settings(
            store.get_setting("lan_ranges"), store.get_setting("connect_ports")
        ),
        **kwargs,
    )
