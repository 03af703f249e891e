"""Backup and restore of the household's configuration as one JSON document.

The document holds profiles (settings, rules, schedules), devices and household settings. It
never holds parent accounts or password hashes, the CA, the lists or the activity log.
Importing checks the whole document first and then replaces the configuration in one
transaction: a document with any invalid part changes nothing. Each value is checked by its
one owner: profile fields by ``policy.profile_fields``, settings by ``policy.settings``.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from policy.budgets import BUDGET_DAYS, clean_group, clean_minutes
from policy.messages import N_
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
from policy.settings import SETTINGS, clean_setting
from policy.store import PolicyStore
from policy.timerules import check_window
from policy.validate import InputError, clean_clock, clean_domain, clean_ip, clean_mac, clean_name
from policy.values import Action, Budget, Device, Profile, Rule, Schedule

__all__ = [
    "EXPORTED",
    "FORMAT",
    "MAX_DOCUMENT",
    "export_configuration",
    "import_configuration",
    "parse_configuration",
]

FORMAT = "hearthguard-configuration"
VERSION = 1
MAX_DOCUMENT = 1024 * 1024
#: Household settings that travel with the configuration (``Setting.exported``).
EXPORTED = tuple(name for name, setting in SETTINGS.items() if setting.exported)
_MAX_ITEMS = 10_000
_MAX_ERRORS = 8


def export_configuration(store: PolicyStore, now: datetime) -> dict[str, Any]:
    """The configuration as a JSON-ready dict; rules that already ended are left out. Each
    exported setting is there with its value (its default when none was set)."""
    profiles = []
    for p in store.profiles(now).values():
        profiles.append(
            {
                "name": p.name,
                "preset": p.preset,
                "blocked": sorted(p.blocked),
                "url_threshold": p.url_threshold,
                "page_threshold": p.page_threshold,
                "content_scan": p.content_scan,
                "safesearch": p.safesearch,
                "youtube": p.youtube,
                "logging": p.logging,
                "services": sorted(p.services),
                "rules": [
                    {
                        "action": "allow" if r.action is Action.ALLOW else "deny",
                        "domain": r.domain,
                        "expires_at": r.expires_at.isoformat() if r.expires_at else None,
                    }
                    for r in p.rules
                ],
                "schedules": [
                    {
                        "label": s.label,
                        "days": sorted(s.days),
                        "start": s.start.strftime("%H:%M"),
                        "end": s.end.strftime("%H:%M"),
                    }
                    for s in p.schedules
                ],
                "budgets": [
                    {"group": b.group, "days": b.days, "minutes": b.minutes} for b in p.budgets
                ],
            }
        )
    devices = [
        {
            "name": d.name,
            "profile": d.profile,
            "ip": d.ip,
            "mac": d.mac,
            "ca_trusted": d.ca_trusted,
            "paused_until": d.paused_until.isoformat() if d.paused_until else None,
            "schedules": [
                {
                    "label": s.label,
                    "days": sorted(s.days),
                    "start": s.start.strftime("%H:%M"),
                    "end": s.end.strftime("%H:%M"),
                }
                for s in d.schedules
            ],
        }
        for d in store.devices()
    ]
    settings = {key: store.get_setting(key) for key in EXPORTED}
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now.isoformat(timespec="seconds"),
        "settings": settings,
        "profiles": profiles,
        "devices": devices,
    }


class _Checker:
    """Collects every problem in a document, each named by where it is."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def run(self, where: str, func: Any, *args: Any) -> Any:
        try:
            return func(*args)
        except InputError as exc:
            self.fail(where, exc.message)
        except (TypeError, ValueError, AttributeError):
            self.fail(where, "has the wrong type.")
        return None

    def items(self, where: str, value: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(where, "must be a list.")
            return []
        if len(value) > _MAX_ITEMS:
            self.fail(where, f"has more than {_MAX_ITEMS} entries.")
            return []
        return value

    def obj(self, where: str, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(where, "must be an object.")
            return None
        return value


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    when = datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        raise InputError("time", "needs a time zone, like 2026-11-22T20:00:00+01:00.")
    return when


def _one_of(value: Any, allowed: Collection[str]) -> bool:
    """True when ``value`` is one of the ``allowed`` strings (a list or an object in a damaged
    file is simply not one of them, never a TypeError)."""
    return isinstance(value, str) and value in allowed


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise InputError("text", "must be text.")
    return value


def _weekdays(value: Any) -> frozenset[int]:
    """Days of the week as numbers 1 (Monday) to 7, as a backup stores them."""
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in value)
    ):
        raise InputError("days", "must list days of the week as numbers 1 (Monday) to 7.")
    return frozenset(value)


def _profile_fields(c: _Checker, where: str, raw: dict[str, Any]) -> dict[str, Any]:
    """A profile's own settings, each checked by ``policy.profile_fields``."""
    preset = c.run(f"{where}.preset", clean_preset, raw.get("preset"))
    fields: dict[str, Any] = {
        "name": c.run(f"{where}.name", clean_profile_name, raw.get("name")),
        "preset": preset.name if preset is not None else None,
        "blocked": c.run(f"{where}.blocked", clean_blocked, raw.get("blocked") or []),
        "youtube": c.run(f"{where}.youtube", clean_youtube, raw.get("youtube", "moderate")),
    }
    for key, default in (("url_threshold", 0.9), ("page_threshold", 0.8)):
        fields[key] = c.run(f"{where}.{key}", clean_threshold, raw.get(key, default), key)
    for key in ("content_scan", "safesearch", "logging"):
        fields[key] = c.run(f"{where}.{key}", clean_flag, raw.get(key, True), key)
    # a file from before services existed keeps its preset's services switched off
    if "services" in raw:
        known = shipped_services().ids
        chosen = raw["services"] if raw["services"] is not None else []
        fields["services"] = c.run(f"{where}.services", clean_services, chosen, known)
    else:
        fields["services"] = preset.services if preset is not None else frozenset()
    return fields


def _rules(c: _Checker, where: str, items: Any) -> list[Rule]:
    rules: list[Rule] = []
    seen: set[tuple[str, str]] = set()
    for i, r in enumerate(c.items(where, items)):
        at = f"{where}[{i}]"
        r = c.obj(at, r)
        if r is None:
            continue
        action_name = r.get("action")
        action = {"allow": Action.ALLOW, "deny": Action.BLOCK, "block": Action.BLOCK}.get(
            action_name if isinstance(action_name, str) else ""
        )
        if action is None:
            c.fail(f"{at}.action", "must be allow or deny.")
        domain = c.run(f"{at}.domain", lambda r=r: clean_domain(_text(r.get("domain"))))
        expires = c.run(f"{at}.expires_at", _when, r.get("expires_at"))
        if action is not None and domain is not None:
            if (action.value, domain) in seen:
                c.fail(f"{at}.domain", f"{domain} appears twice.")
            seen.add((action.value, domain))
            rules.append(Rule(action, domain, expires))
    return rules


def _schedules(c: _Checker, where: str, items: Any, device: str | None = None) -> list[Schedule]:
    """Offline windows of a profile (or of the device called ``device``); each window is
    checked as ``PolicyStore.add_schedule`` checks it."""
    schedules: list[Schedule] = []
    for i, s in enumerate(c.items(where, items)):
        at = f"{where}[{i}]"
        s = c.obj(at, s)
        if s is None:
            continue
        days = c.run(f"{at}.days", lambda s=s: _weekdays(s.get("days")))
        start = c.run(f"{at}.start", lambda s=s: clean_clock(_text(s.get("start"))))
        end = c.run(f"{at}.end", lambda s=s: clean_clock(_text(s.get("end"))))
        label = c.run(f"{at}.label", lambda s=s: clean_name(_text(s.get("label", "bedtime"))))
        if start is not None and end is not None:
            c.run(f"{at}.end", check_window, start, end)
        if days and start is not None and end is not None and label:
            schedules.append(Schedule(days, start, end, label, device=device))
    return schedules


def _budgets(c: _Checker, where: str, items: Any) -> list[Budget]:
    budgets: dict[tuple[str, str], Budget] = {}
    for i, b in enumerate(c.items(where, items)):
        at = f"{where}[{i}]"
        b = c.obj(at, b)
        if b is None:
            continue
        group = c.run(f"{at}.group", lambda b=b: clean_group(_text(b.get("group"))))
        minutes = b.get("minutes")
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            c.fail(f"{at}.minutes", "must be a whole number of minutes.")
            minutes = None
        else:
            minutes = c.run(f"{at}.minutes", clean_minutes, minutes)
        if not _one_of(b.get("days"), BUDGET_DAYS):
            c.fail(f"{at}.days", f"must be one of {', '.join(BUDGET_DAYS)}.")
        elif group is not None and minutes is not None:
            if (group, b["days"]) in budgets:
                c.fail(at, f"{group} on {b['days']} appears twice.")
            budgets[(group, b["days"])] = Budget(group, b["days"], minutes)
    return list(budgets.values())


def _profile(c: _Checker, where: str, raw: dict[str, Any]) -> Profile | None:
    before = len(c.errors)
    fields = _profile_fields(c, where, raw)
    rules = _rules(c, f"{where}.rules", raw.get("rules"))
    schedules = _schedules(c, f"{where}.schedules", raw.get("schedules"))
    budgets = _budgets(c, f"{where}.budgets", raw.get("budgets", []))
    if len(c.errors) > before:
        return None
    return Profile(**fields, rules=tuple(rules), schedules=tuple(schedules), budgets=tuple(budgets))


def _device(c: _Checker, where: str, raw: dict[str, Any], profiles: set[str]) -> Device | None:
    before = len(c.errors)
    name = c.run(f"{where}.name", lambda: clean_name(_text(raw.get("name"))))
    profile = raw.get("profile")
    if not isinstance(profile, str) or profile.lower() not in profiles:
        c.fail(f"{where}.profile", "must name a profile in this file.")
    ip = raw.get("ip")
    ip = c.run(f"{where}.ip", lambda: clean_ip(_text(ip))) if ip is not None else None
    mac = raw.get("mac")
    mac = c.run(f"{where}.mac", lambda: clean_mac(_text(mac))) if mac is not None else None
    trusted = c.run(f"{where}.ca_trusted", clean_flag, raw.get("ca_trusted", False), "ca_trusted")
    paused = c.run(f"{where}.paused_until", _when, raw.get("paused_until"))
    schedules = _schedules(c, f"{where}.schedules", raw.get("schedules", []), name)
    if len(c.errors) > before or not name:
        return None
    return Device(name, str(profile), ip, mac, bool(trusted), paused, schedules=tuple(schedules))


def _document(text: str | bytes) -> dict[str, Any]:
    """The document's JSON object, once it is known to be a configuration this version reads."""
    if len(text) > MAX_DOCUMENT:
        raise InputError("file", N_("The file is too large to be a Hearthguard configuration."))
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise InputError("file", N_("The file is not JSON.")) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError("file", N_("The file is not a Hearthguard configuration export."))
    if doc.get("version") != VERSION:
        raise InputError(
            "file",
            N_("The file has version %(version)s; this Hearthguard reads 1."),
            version=repr(doc.get("version")),
        )
    return doc


def _profiles(c: _Checker, doc: dict[str, Any]) -> list[Profile]:
    profiles: list[Profile] = []
    names: set[str] = set()
    for i, raw in enumerate(c.items("profiles", doc.get("profiles"))):
        raw = c.obj(f"profiles[{i}]", raw)
        profile = _profile(c, f"profiles[{i}]", raw) if raw is not None else None
        if profile is not None:
            if profile.name.lower() in names:
                c.fail(f"profiles[{i}].name", f"“{profile.name}” appears twice.")
            names.add(profile.name.lower())
            profiles.append(profile)
    if not doc.get("profiles"):
        c.fail("profiles", "at least one profile is needed.")
    return profiles


def _devices(c: _Checker, doc: dict[str, Any], names: set[str]) -> list[Device]:
    devices: list[Device] = []
    device_names: set[str] = set()
    ips: set[str] = set()
    for i, raw in enumerate(c.items("devices", doc.get("devices"))):
        raw = c.obj(f"devices[{i}]", raw)
        device = _device(c, f"devices[{i}]", raw, names) if raw is not None else None
        if device is not None:
            if device.name.lower() in device_names:
                c.fail(f"devices[{i}].name", f"“{device.name}” appears twice.")
            if device.ip and device.ip in ips:
                c.fail(f"devices[{i}].ip", f"{device.ip} belongs to two devices.")
            device_names.add(device.name.lower())
            ips.add(device.ip or "")
            devices.append(device)
    return devices


def _settings(
    c: _Checker, doc: dict[str, Any], profiles: list[Profile], languages: tuple[str, ...]
) -> dict[str, Any]:
    """The exported settings in the file, each checked by ``policy.settings``; the default
    profile must be one in this file."""
    settings: dict[str, Any] = {}
    names = [p.name for p in profiles]
    for key, value in (c.obj("settings", doc.get("settings", {})) or {}).items():
        where = f"settings.{key}"
        if key not in EXPORTED:
            c.fail(where, "is not a setting Hearthguard imports.")
        elif key == "default_profile" and not (
            isinstance(value, str) and value.lower() in {n.lower() for n in names}
        ):
            c.fail(where, "must name a profile in this file.")
        else:
            cleaned = c.run(
                where,
                lambda k=key, v=value: clean_setting(k, v, profiles=names, languages=languages),
            )
            if cleaned is not None:
                settings[key] = cleaned
    if "default_profile" not in settings and profiles:
        settings["default_profile"] = profiles[0].name
    return settings


def parse_configuration(
    text: str | bytes, *, languages: tuple[str, ...]
) -> tuple[list[Profile], list[Device], dict[str, Any]]:
    """Check a whole document; raises ``InputError("file", ...)`` listing the first problems.

    ``languages`` are the catalogs the ``language`` setting may name (besides empty).
    """
    doc = _document(text)
    c = _Checker()
    profiles = _profiles(c, doc)
    devices = _devices(c, doc, {p.name.lower() for p in profiles})
    settings = _settings(c, doc, profiles, languages)
    if c.errors:
        shown = "; ".join(c.errors[:_MAX_ERRORS])
        more = len(c.errors) - _MAX_ERRORS
        suffix = f" (and {more} more)" if more > 0 else ""
        raise InputError(
            "file", N_("Nothing was changed. Problems: %(problems)s."), problems=shown + suffix
        )
    return profiles, devices, settings


def import_configuration(
    store: PolicyStore,
    text: str | bytes,
    *,
    languages: tuple[str, ...],
    actor: str,
) -> tuple[int, int]:
    """Check ``text`` and replace the configuration with it; returns (profiles, devices)."""
    profiles, devices, settings = parse_configuration(text, languages=languages)
    store.replace_configuration(profiles, devices, settings, actor=actor)
    return len(profiles), len(devices)
