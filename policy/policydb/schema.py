"""policy.db's schema: named migrations, safe to apply twice; the only CREATE and ALTER."""

from __future__ import annotations

import json

from policy.presets import PRESETS, preset
from policy.sqlitedb import Database, Migrations

__all__ = ["MIGRATION_SET", "migrations"]

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
    db.execute("CREATE INDEX IF NOT EXISTS parent_sessions_parent ON parent_sessions (parent_id)")


@migrations()
def m010_time_rules(db: Database) -> None:
    """Pauses per child, offline windows per device, daily budgets, bonus time, holidays."""
    profile_columns = db.column_names("profiles")
    if "paused_until" not in profile_columns:
        db.execute("ALTER TABLE profiles ADD COLUMN paused_until TEXT")
    if "device_id" not in db.column_names("schedules"):
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
    if "services" not in db.column_names("profiles"):
        db.execute("ALTER TABLE profiles ADD COLUMN services TEXT NOT NULL DEFAULT '[]'")
        for pid, preset_name in db.execute("SELECT id, preset FROM profiles").fetchall():
            services = preset(preset_name).services if preset_name in PRESETS else frozenset()
            db.execute(
                "UPDATE profiles SET services = ? WHERE id = ?",
                [json.dumps(sorted(services)), pid],
            )
