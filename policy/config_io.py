"""Backup and restore of the household's configuration as one JSON document.

The document holds profiles (settings, rules, schedules), devices and household settings. It
never holds parent accounts or password hashes, the CA, the lists or the activity log.
Importing checks the whole document first and then replaces the configuration in one
transaction: a document with any invalid part changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from classifier.categories import PROTECTED
from policy.budgets import BUDGET_DAYS, clean_group, clean_minutes
from policy.messages import N_
from policy.presets import PRESETS
from policy.services import shipped_services
from policy.settings import zone_named
from policy.store import PolicyStore
from policy.timerules import check_window
from policy.validate import (
    InputError,
    clean_clock,
    clean_domain,
    clean_ip,
    clean_mac,
    clean_name,
)
from policy.values import YOUTUBE_MODES, Action, Budget, Device, Profile, Rule, Schedule

__all__ = [
    "FORMAT",
    "MAX_DOCUMENT",
    "SETTINGS",
    "export_configuration",
    "import_configuration",
    "parse_configuration",
]

FORMAT = "hearthguard-configuration"
VERSION = 1
MAX_DOCUMENT = 1024 * 1024
#: Household settings that travel with the configuration (never secrets or tokens).
SETTINGS = ("default_profile", "retention_days", "language", "country", "timezone")
_MAX_ITEMS = 10_000
_MAX_ERRORS = 8


def export_configuration(store: PolicyStore, now: datetime) -> dict[str, Any]:
    """The configuration as a JSON-ready dict; rules that already ended are left out."""
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
    settings = {key: store.get_setting(key) for key in SETTINGS}
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now.isoformat(timespec="seconds"),
        "settings": {k: v for k, v in settings.items() if v is not None},
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


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InputError("flag", "must be true or false.")
    return value


def _threshold(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise InputError("threshold", "must be a number above 0 and at most 1.")
    return float(value)


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


def _profile(c: _Checker, where: str, raw: dict[str, Any]) -> Profile | None:
    before = len(c.errors)
    name = c.run(f"{where}.name", lambda: clean_name(_text(raw.get("name"))))
    preset_name = raw.get("preset")
    if not _one_of(preset_name, PRESETS):
        c.fail(f"{where}.preset", f"must be one of {', '.join(PRESETS)}.")
    blocked = c.items(f"{where}.blocked", raw.get("blocked"))
    cats = set()
    for i, cat in enumerate(blocked):
        if not isinstance(cat, str) or not cat.strip() or len(cat) > 64:
            c.fail(f"{where}.blocked[{i}]", "must be a category name.")
        elif cat.strip().lower() in PROTECTED:
            c.fail(f"{where}.blocked[{i}]", f"{cat} must stay reachable and cannot be blocked.")
        else:
            cats.add(cat.strip().lower())
    base = PRESETS.get(preset_name) if isinstance(preset_name, str) else None
    url_t = c.run(f"{where}.url_threshold", _threshold, raw.get("url_threshold", 0.9))
    page_t = c.run(f"{where}.page_threshold", _threshold, raw.get("page_threshold", 0.8))
    flags = {
        key: c.run(f"{where}.{key}", _flag, raw.get(key, default))
        for key, default in (("content_scan", True), ("safesearch", True), ("logging", True))
    }
    youtube = raw.get("youtube", "moderate")
    if not _one_of(youtube, YOUTUBE_MODES):
        c.fail(f"{where}.youtube", f"must be one of {', '.join(YOUTUBE_MODES)}.")
    # a file from before services existed keeps its preset's services switched off
    services: set[str] = set(base.services) if base is not None else set()
    if "services" in raw:
        services = set()
        known = shipped_services().ids
        for i, sid in enumerate(c.items(f"{where}.services", raw.get("services"))):
            if not isinstance(sid, str) or sid not in known:
                c.fail(f"{where}.services[{i}]", "must be a service Hearthguard knows.")
            else:
                services.add(sid)
    rules: list[Rule] = []
    seen_rules: set[tuple[str, str]] = set()
    for i, r in enumerate(c.items(f"{where}.rules", raw.get("rules"))):
        at = f"{where}.rules[{i}]"
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
            if (action.value, domain) in seen_rules:
                c.fail(f"{at}.domain", f"{domain} appears twice.")
            seen_rules.add((action.value, domain))
            rules.append(Rule(action, domain, expires))
    schedules: list[Schedule] = []
    for i, s in enumerate(c.items(f"{where}.schedules", raw.get("schedules"))):
        at = f"{where}.schedules[{i}]"
        s = c.obj(at, s)
        if s is None:
            continue
        days = s.get("days")
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days)
        ):
            c.fail(f"{at}.days", "must list days of the week as numbers 1 (Monday) to 7.")
            days = None
        start = c.run(f"{at}.start", lambda s=s: clean_clock(_text(s.get("start"))))
        end = c.run(f"{at}.end", lambda s=s: clean_clock(_text(s.get("end"))))
        label = c.run(f"{at}.label", lambda s=s: clean_name(_text(s.get("label", "bedtime"))))
        if start is not None and start == end:
            c.fail(f"{at}.end", "must differ from the start.")
        elif days and start is not None and end is not None and label:
            schedules.append(Schedule(frozenset(days), start, end, label))
    budgets: dict[tuple[str, str], Budget] = {}
    for i, b in enumerate(c.items(f"{where}.budgets", raw.get("budgets", []))):
        at = f"{where}.budgets[{i}]"
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
    if len(c.errors) > before or base is None:
        return None
    return Profile(
        name=name,
        preset=base.name,
        blocked=frozenset(cats),
        url_threshold=url_t,
        page_threshold=page_t,
        content_scan=flags["content_scan"],
        safesearch=flags["safesearch"],
        youtube=youtube,
        logging=flags["logging"],
        services=frozenset(services),
        rules=tuple(rules),
        schedules=tuple(schedules),
        budgets=tuple(budgets.values()),
    )


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
    trusted = c.run(f"{where}.ca_trusted", _flag, raw.get("ca_trusted", False))
    paused = c.run(f"{where}.paused_until", _when, raw.get("paused_until"))
    schedules = []
    for i, s in enumerate(c.items(f"{where}.schedules", raw.get("schedules", []))):
        at = f"{where}.schedules[{i}]"
        s = c.obj(at, s)
        if s is None:
            continue
        days = c.run(f"{at}.days", lambda s=s: _weekdays(s.get("days")))
        start = c.run(f"{at}.start", lambda s=s: clean_clock(_text(s.get("start"))))
        end = c.run(f"{at}.end", lambda s=s: clean_clock(_text(s.get("end"))))
        label = c.run(f"{at}.label", lambda s=s: clean_name(_text(s.get("label", "bedtime"))))
        if start is not None and end is not None:
            c.run(f"{at}.end", check_window, start, end)
        if days and start is not None and end is not None and label and name:
            schedules.append(Schedule(days, start, end, label, device=name))
    if len(c.errors) > before:
        return None
    return Device(name, str(profile), ip, mac, bool(trusted), paused, schedules=tuple(schedules))


def _weekdays(value: Any) -> frozenset[int]:
    """Days of the week as numbers 1 (Monday) to 7, as a backup stores them."""
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in value)
    ):
        raise InputError("days", "must list days of the week as numbers 1 (Monday) to 7.")
    return frozenset(value)


def parse_configuration(
    text: str | bytes, *, languages: tuple[str, ...], countries: frozenset[str]
) -> tuple[list[Profile], list[Device], dict[str, Any]]:
    """Check a whole document; raises ``InputError("file", ...)`` listing the first problems.

    ``languages`` and ``countries`` are the values the ``language`` and ``country`` settings
    may take (besides empty).
    """
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
    c = _Checker()
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
    settings: dict[str, Any] = {}
    raw_settings = c.obj("settings", doc.get("settings", {})) or {}
    for key, value in raw_settings.items():
        where = f"settings.{key}"
        if key not in SETTINGS:
            c.fail(where, "is not a setting Hearthguard imports.")
        elif key == "default_profile":
            if not isinstance(value, str) or value.lower() not in names:
                c.fail(where, "must name a profile in this file.")
            else:
                settings[key] = next(p.name for p in profiles if p.name.lower() == value.lower())
        elif key == "retention_days":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 365:
                c.fail(where, "must be a number of days from 1 to 365.")
            else:
                settings[key] = value
        elif key == "language":
            if value not in ("", *languages):
                c.fail(where, f"must be empty or one of {', '.join(languages)}.")
            else:
                settings[key] = value
        elif key == "timezone":
            if value != "" and c.run(where, lambda v=value: zone_named(_text(v))) is None:
                continue
            settings[key] = value
        elif key == "country":
            if value != "" and not _one_of(value, countries):
                c.fail(where, "must be empty or a supported country code, like DE.")
            else:
                settings[key] = value
    if "default_profile" not in settings and profiles:
        settings["default_profile"] = profiles[0].name
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
    countries: frozenset[str],
    actor: str,
) -> tuple[int, int]:
    """Check ``text`` and replace the configuration with it; returns (profiles, devices)."""
    profiles, devices, settings = parse_configuration(
        text, languages=languages, countries=countries
    )
    store.replace_configuration(profiles, devices, settings, actor=actor)
    return len(profiles), len(devices)
