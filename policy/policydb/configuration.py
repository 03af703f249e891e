"""Replacing the whole configuration (profiles, devices, settings) in one transaction, as a
configuration import does."""

from __future__ import annotations

import sqlite3
from typing import Any

from policy.policydb.core import StoreCore, iso, now
from policy.policydb.profiles import insert_profile
from policy.policydb.settings import write_setting
from policy.values import Device, Profile, Schedule

__all__ = ["ConfigurationMixin"]


def _days(schedule: Schedule) -> str:
    return "".join(str(d) for d in sorted(schedule.days))


def _insert_profile_rows(conn: sqlite3.Connection, p: Profile) -> int:
    """One profile with its rules, offline windows and budgets; its id."""
    pid = insert_profile(conn, p.name, p.preset, p)
    for r in p.rules:
        conn.execute(
            "INSERT INTO rules (profile_id, action, domain, expires_at, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [pid, r.action.value, r.domain, iso(r.expires_at), iso(now())],
        )
    for s in p.schedules:
        conn.execute(
            "INSERT INTO schedules (profile_id, days, start, end, label) VALUES (?, ?, ?, ?, ?)",
            [pid, _days(s), s.start.strftime("%H:%M"), s.end.strftime("%H:%M"), s.label],
        )
    for b in p.budgets:
        conn.execute(
            "INSERT INTO budgets (profile_id, grp, days, minutes) VALUES (?, ?, ?, ?)",
            [pid, b.group, b.days, b.minutes],
        )
    return pid


def _insert_device_rows(conn: sqlite3.Connection, d: Device, profile_id: int) -> None:
    """One device on the profile ``profile_id``, with its own offline windows."""
    device_row = conn.execute(
        "INSERT INTO devices (name, ip, mac, profile_id, ca_trusted, paused_until, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [d.name, d.ip, d.mac, profile_id, int(d.ca_trusted), iso(d.paused_until), iso(now())],
    )
    for s in d.schedules:
        conn.execute(
            "INSERT INTO schedules (profile_id, days, start, end, label, device_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                profile_id,
                _days(s),
                s.start.strftime("%H:%M"),
                s.end.strftime("%H:%M"),
                s.label,
                device_row.lastrowid,
            ],
        )


class ConfigurationMixin(StoreCore):
    """The configuration replaced whole (``policy.config_io`` checks it first)."""

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
            ids = {p.name.lower(): _insert_profile_rows(conn, p) for p in profiles}
            for d in devices:
                _insert_device_rows(conn, d, ids[d.profile.lower()])
            for key, value in settings.items():
                write_setting(conn, key, value)
            self._audit(
                conn,
                actor,
                "config.import",
                f"{len(profiles)} profiles, {len(devices)} devices, settings "
                f"{', '.join(sorted(settings)) or 'none'}",
            )
