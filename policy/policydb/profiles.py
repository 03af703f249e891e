"""The profiles table: children's profiles, their settings, and reading them whole."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from policy.messages import N_
from policy.policydb.core import iso, now, parse_time
from policy.policydb.settings import SettingsMixin, write_setting
from policy.presets import Preset
from policy.profile_fields import (
    clean_blocked,
    clean_flag,
    clean_preset,
    clean_profile_name,
    clean_services,
    clean_threshold,
    clean_youtube,
)
from policy.services import shipped_services
from policy.sqlitedb import Database
from policy.validate import InputError
from policy.values import Action, Bonus, Budget, Profile, Rule, Schedule

__all__ = ["ProfilesMixin", "insert_profile"]


def insert_profile(
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
            iso(now()),
            json.dumps(sorted(values.services)),
        ],
    )
    return int(cursor.lastrowid or 0)


def _with_time_rules(db: Database, profiles: dict[str, Profile]) -> dict[str, Profile]:
    """``profiles`` with each one's pause, daily budgets and recent bonus time filled in."""
    paused = dict(db.execute("SELECT id, paused_until FROM profiles").fetchall())
    budgets: dict[int, list[Budget]] = {}
    for pid, group, days, minutes in db.execute(
        "SELECT profile_id, grp, days, minutes FROM budgets ORDER BY grp, days"
    ):
        budgets.setdefault(pid, []).append(Budget(group, days, minutes))
    bonuses: dict[int, list[Bonus]] = {}
    since = (now().date() - timedelta(days=2)).isoformat()
    for pid, group, day, minutes in db.execute(
        "SELECT profile_id, grp, day, minutes FROM bonuses WHERE day >= ? ORDER BY id",
        [since],
    ):
        bonuses.setdefault(pid, []).append(Bonus(group, date.fromisoformat(day), minutes))
    return {
        name: replace(
            p,
            paused_until=parse_time(paused.get(p.profile_id)),
            budgets=tuple(budgets.get(p.profile_id or 0, ())),
            bonuses=tuple(bonuses.get(p.profile_id or 0, ())),
        )
        for name, p in profiles.items()
    }


def _row_profile(row: tuple[Any, ...], rules: list[Rule], schedules: list[Schedule]) -> Profile:
    return Profile(
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
        rules=tuple(rules),
        schedules=tuple(schedules),
        profile_id=row[0],
    )


class ProfilesMixin(SettingsMixin):
    """Adding, changing, deleting and reading profiles; every value passes
    ``policy.profile_fields``."""

    def add_profile(self, name: str, preset_name: str, *, actor: str = "system") -> Profile:
        name = clean_profile_name(name)
        p = clean_preset(preset_name)
        if self.db.execute("SELECT 1 FROM profiles WHERE name = ?", [name]).fetchone():
            raise InputError("name", N_("A profile called “%(name)s” already exists."), name=name)
        with self.transaction() as conn:
            insert_profile(conn, name, p.name, p)
            self._audit(conn, actor, "profile.add", f"{name} ({p.name})")
        return self.profile(name)

    def _new_name(self, name: str, new_name: str, profile_id: int) -> str:
        new_name = clean_profile_name(new_name)
        clash = self.db.execute(
            "SELECT 1 FROM profiles WHERE name = ? AND id != ?", [new_name, profile_id]
        ).fetchone()
        if clash:
            raise InputError(
                "name", N_("A profile called “%(name)s” already exists."), name=new_name
            )
        return new_name

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
            changes["name"] = self._new_name(name, new_name, profile_id)
        if blocked is not None:
            changes["blocked"] = json.dumps(sorted(clean_blocked(list(blocked))))
        for key, value in (("url_threshold", url_threshold), ("page_threshold", page_threshold)):
            if value is not None:
                changes[key] = clean_threshold(value, key)
        for key, flag in (
            ("content_scan", content_scan),
            ("safesearch", safesearch),
            ("logging", logging),
        ):
            if flag is not None:
                changes[key] = int(clean_flag(flag, key))
        if youtube is not None:
            changes["youtube"] = clean_youtube(youtube)
        if services is not None:
            chosen = clean_services(list(services), shipped_services().ids)
            changes["services"] = json.dumps(sorted(chosen))
        if changes:
            with self.transaction() as conn:
                sets = ", ".join(f"{k} = ?" for k in changes)
                conn.execute(
                    f"UPDATE profiles SET {sets} WHERE id = ?", [*changes.values(), profile_id]
                )
                if "name" in changes and self.get_setting("default_profile") == name:
                    write_setting(conn, "default_profile", changes["name"])
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

    def _rules_by_profile(self, at: datetime | None) -> dict[int, list[Rule]]:
        rules: dict[int, list[Rule]] = {}
        for rid, pid, action, domain, expires in self.db.execute(
            "SELECT id, profile_id, action, domain, expires_at FROM rules ORDER BY id"
        ):
            rule = Rule(Action(action), domain, parse_time(expires), rid)
            if at is None or rule.active(at):
                rules.setdefault(pid, []).append(rule)
        return rules

    def _schedules_by_profile(self) -> dict[int, list[Schedule]]:
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
        return schedules

    def profiles(self, now: datetime | None = None) -> dict[str, Profile]:
        """Every profile with its rules and schedules; expired rules are left out when ``now``."""
        rules = self._rules_by_profile(now)
        schedules = self._schedules_by_profile()
        result = {
            row[1]: _row_profile(row, rules.get(row[0], []), schedules.get(row[0], []))
            for row in self.db.execute(
                "SELECT id, name, preset, blocked, url_threshold, page_threshold, content_scan, "
                "safesearch, youtube, logging, services FROM profiles ORDER BY name"
            )
        }
        return _with_time_rules(self.db, result)
