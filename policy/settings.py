"""Household settings: each one declared once, with its default, its check and its help.

``SETTINGS`` is the one owner of what a setting is: ``PolicyStore.get_setting`` answers its
default when nothing is stored and ``PolicyStore.set_setting`` refuses what its check refuses,
so the dashboard, configuration import, the CLI, ``init`` and ``load_snapshot`` all read
defaults and validity from here. Values are stored as JSON in policy.db's ``settings`` table.
``RECORDS`` names the few internal values kept in the same table that are not settings (a
parent never types them).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from policy.alerts import clean_chat_watch
from policy.helplines import COUNTRIES
from policy.network import (
    DEFAULT_CONNECT_PORTS,
    DEFAULT_LAN_RANGES,
    clean_connect_ports,
    clean_lan_ranges,
)
from policy.notify import NOTIFY_KINDS, clean_notify_kinds, clean_notify_urls, clean_quiet_hours
from policy.validate import InputError, clean_name

__all__ = [
    "DEFAULT_PROFILE",
    "RECORDS",
    "SETTINGS",
    "Setting",
    "clean_setting",
    "setting_text",
    "household_zone",
    "system_zone_name",
    "zone_named",
]

#: the name of the profile ``hearthguard init`` creates, and the default profile's default
DEFAULT_PROFILE = "Household"
#: internal values kept in the settings table that are not household settings
RECORDS = frozenset({"setup_token", "password_reset"})

_LOCALTIME = Path("/etc/localtime")
_TIMEZONE_FILE = Path("/etc/timezone")


def system_zone_name(localtime: Path = _LOCALTIME, timezone_file: Path = _TIMEZONE_FILE) -> str:
    """The system's IANA time zone name (``TZ``, ``/etc/localtime`` or ``/etc/timezone``),
    or ``UTC`` when none can be found."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    with contextlib.suppress(OSError, UnicodeDecodeError):
        candidates.append(timezone_file.read_text(encoding="ascii").strip())
    for name in candidates:
        if name and _loads(name):
            return name.removeprefix("posix/").removeprefix("right/")
    return "UTC"


def _loads(name: str) -> bool:
    try:
        ZoneInfo(name.removeprefix("posix/").removeprefix("right/"))
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (``Europe/Prague``); an unknown name is an ``InputError``."""
    text = (name or "").strip()
    if not text or len(text) > 64 or text.startswith(("/", ".")) or ".." in text:
        raise InputError("timezone", f"“{text[:64]}” is not a time zone, like Europe/Prague.")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        close = sorted(z for z in available_timezones() if z.lower().endswith(text.lower()))[:3]
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise InputError(
            "timezone", f"“{text}” is not a time zone, like Europe/Prague.{hint}"
        ) from None


def household_zone(value: Any) -> tzinfo:
    """The zone stored in the ``timezone`` setting, falling back to the system's (never fails:
    a damaged value must not stop the proxy)."""
    if isinstance(value, str) and value:
        try:
            return zone_named(value)
        except InputError:
            pass
    return ZoneInfo(system_zone_name())


def _timezone(raw: str) -> str:
    if not raw.strip():
        return ""  # the system's zone
    zone_named(raw)
    return raw.strip()


def _country(raw: str) -> str:
    code = raw.strip().upper()
    if code and code not in COUNTRIES:
        raise InputError(
            "country",
            f"“{raw[:20]}” is not a country Hearthguard knows helplines for "
            f"({', '.join(sorted(COUNTRIES))}), or empty for none.",
        )
    return code


def _whole(low: int, high: int, field: str) -> Callable[[str], int]:
    def check(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise InputError(field, f"“{raw[:20]}” is not a whole number.") from None
        if not low <= value <= high:
            raise InputError(field, f"{field} must be between {low} and {high}.")
        return value

    return check


def _flag(raw: str) -> bool:
    text = raw.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise InputError("learning", f"“{raw[:20]}” is not on or off.")


def _language(raw: str) -> str:
    code = raw.strip().lower()
    if code == "auto":
        return ""  # follow each browser, as when the setting is empty
    if code and (len(code) != 2 or not code.isalpha()):
        raise InputError("language", f"“{raw[:20]}” is not a language code, like en or de.")
    return code


@dataclass(frozen=True, slots=True)
class Setting:
    """One household setting: its name, default, the check that turns typed text into its
    value (raising ``InputError``), and the help parents read."""

    name: str
    default: Any
    validate: Callable[[str], Any]
    help: str
    #: travels in a configuration export (``policy.config_io``); never a secret or a token
    exported: bool = False


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "timezone",
            "",
            _timezone,
            "The household's time zone (IANA name, like Europe/Prague); empty: the system's. "
            "Schedules, pauses and daily budgets follow it, across daylight-saving changes.",
            exported=True,
        ),
        Setting(
            "default_profile",
            DEFAULT_PROFILE,
            lambda raw: clean_name(raw, "default_profile"),
            "The profile devices Hearthguard does not know use.",
            exported=True,
        ),
        Setting(
            "country",
            "",
            _country,
            "Country code for the helpline and hotline on block pages (GB, DE, ...).",
            exported=True,
        ),
        Setting(
            "language",
            "",
            _language,
            "Language of block pages and the dashboard (en, de, fr, cs); empty or auto: each "
            "browser's.",
            exported=True,
        ),
        Setting(
            "retention_days",
            30,
            _whole(1, 365, "retention_days"),
            "Days the activity log is kept.",
            exported=True,
        ),
        Setting(
            "list_update_hours",
            24,
            _whole(0, 24 * 30, "list_update_hours"),
            "Hours between refreshes of lists that have a URL (0: never).",
        ),
        Setting(
            "learning",
            True,
            _flag,
            "Keep pages for the page classifier to learn from (on or off).",
        ),
        Setting(
            "lan_ranges",
            DEFAULT_LAN_RANGES,
            clean_lan_ranges,
            "Address ranges of the home network, separated by commas: only devices there may "
            "use Hearthguard, and children's devices never reach them through the proxy unless "
            "a parent allows an address.",
        ),
        Setting(
            "connect_ports",
            DEFAULT_CONNECT_PORTS,
            clean_connect_ports,
            "Ports that filtered profiles may open encrypted connections to (default 80, 443).",
        ),
        Setting(
            "chat_watch",
            "",
            clean_chat_watch,
            "Chat safety per profile, like “Ben=off, Anna=category”: off (chat is not read), "
            "category (alerts say what and where) or excerpt (alerts also keep a short "
            "excerpt). Unnamed profiles: on with excerpts for young and child, off for teen "
            "and adult.",
        ),
        Setting(
            "notify_urls",
            "",
            clean_notify_urls,
            "Where parents are notified: Apprise URLs separated by spaces (ntfy://, "
            "mailto://, tgram://, json://, ...); empty: no notifications.",
        ),
        Setting(
            "notify_kinds",
            ",".join(NOTIFY_KINDS),
            clean_notify_kinds,
            f"What parents are notified about, separated by commas ({', '.join(NOTIFY_KINDS)}).",
        ),
        Setting(
            "quiet_hours",
            "",
            clean_quiet_hours,
            "Hours without notifications, like 22:00-07:00 (they are sent together after); "
            "empty: none.",
        ),
    )
}


def setting_text(name: str, value: object) -> str:
    """``value`` as a parent would type it: text as it is, a whole number in digits, a flag as
    ``on``/``off``; anything else (a list, an object, a fraction) is an ``InputError``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | str):
        return str(value)
    raise InputError(name, f"{name} has the wrong type.")


def clean_setting(
    name: str,
    value: object,
    *,
    profiles: Collection[str] | None = None,
    languages: Collection[str] = (),
) -> Any:
    """The value to store for setting ``name`` given as ``value`` (typed text, or a value as
    stored: a number, a flag), or an ``InputError``. Cleaning a cleaned value changes nothing.

    ``profiles`` and ``languages`` are what exists now: when given, the default profile must
    be one of the profiles and the language one with a catalog.
    """
    setting = SETTINGS.get(name)
    if setting is None:
        raise InputError(
            "setting", f"There is no setting called “{name[:40]}” ({', '.join(SETTINGS)})."
        )
    cleaned = setting.validate(setting_text(name, value))
    if name == "default_profile" and profiles is not None:
        match = next((p for p in profiles if p.lower() == cleaned.lower()), None)
        if match is None:
            raise InputError(
                "default_profile",
                f"There is no profile called “{cleaned}” ({', '.join(profiles) or 'none yet'}).",
            )
        cleaned = match
    if name == "language" and cleaned and languages and cleaned not in languages:
        raise InputError(
            "language", f"There is no catalog for “{cleaned}” ({', '.join(languages)})."
        )
    return cleaned
