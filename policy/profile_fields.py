"""What a profile may hold: one check per field, the only place profile validity is decided.

The store (``add_profile``, ``update_profile``), configuration import (``policy.config_io``),
the dashboard's profile forms and the CLI all reach these checks, so a bad profile is refused
with the same message wherever it is typed. Each function returns the cleaned value or raises
``InputError`` naming the field. Messages a parent can meet in the dashboard are marked
for translation (``N_``); the others come only from configuration files or the CLI.
"""

from __future__ import annotations

from collections.abc import Collection

from classifier.categories import PROTECTED
from policy.messages import N_
from policy.presets import PRESETS, Preset
from policy.validate import InputError, clean_name
from policy.values import YOUTUBE_MODES

__all__ = [
    "MAX_CATEGORY",
    "clean_blocked",
    "clean_flag",
    "clean_preset",
    "clean_profile_name",
    "clean_services",
    "clean_threshold",
    "clean_youtube",
]

#: the longest category name a profile can block (list files name their own categories)
MAX_CATEGORY = 64


def clean_profile_name(value: object) -> str:
    """A profile's name (a display name: 1-64 printable characters)."""
    if not isinstance(value, str):
        raise InputError("name", N_("Please enter a name."))
    return clean_name(value, "name")


def clean_preset(value: object) -> Preset:
    """The age preset called ``value``."""
    found = PRESETS.get(value) if isinstance(value, str) else None
    if found is None:
        raise InputError(
            "preset",
            "“%(value)s” is not an age preset; choose one of %(names)s.",
            value=str(value)[:40],
            names=", ".join(PRESETS),
        )
    return found


def clean_blocked(kinds: object) -> frozenset[str]:
    """The kinds of sites (categories) a profile blocks, lower-cased; protected kinds (news,
    health, helplines, ...) can never be among them."""
    if isinstance(kinds, str | bytes) or not isinstance(kinds, Collection):
        raise InputError("blocked", "Kinds of sites must be a list.")
    chosen: set[str] = set()
    for kind in kinds:
        if not isinstance(kind, str) or not kind.strip() or len(kind) > MAX_CATEGORY:
            raise InputError("blocked", "“%(value)s” is not a kind of site.", value=str(kind)[:40])
        chosen.add(kind.strip().lower())
    protected = chosen & set(PROTECTED)
    if protected:
        raise InputError(
            "blocked",
            N_("%(kinds)s must stay reachable and cannot be blocked."),
            kinds=", ".join(sorted(protected)),
        )
    return frozenset(chosen)


def clean_threshold(value: object, field: str = "threshold") -> float:
    """A classifier threshold (strictness): a number above 0 and at most 1, or its text."""
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not 0.0 < number <= 1.0:
        raise InputError(field, N_("Strictness must be between 0 and 1."))
    return number


def clean_flag(value: object, field: str) -> bool:
    """An on/off choice (``content_scan``, ``safesearch``, ``logging``, ...): a real boolean."""
    if not isinstance(value, bool):
        raise InputError(field, "must be true or false.")
    return value


def clean_youtube(value: object) -> str:
    """The YouTube Restricted Mode: one of ``YOUTUBE_MODES``."""
    if not isinstance(value, str) or value not in YOUTUBE_MODES:
        raise InputError(
            "youtube",
            "YouTube mode must be one of %(modes)s.",
            modes=", ".join(YOUTUBE_MODES),
        )
    return value


def clean_services(ids: object, known: Collection[str]) -> frozenset[str]:
    """The services (ids in ``known``, the services table) a profile switches off."""
    if isinstance(ids, str | bytes) or not isinstance(ids, Collection):
        raise InputError("services", "Services must be a list.")
    chosen = {s.strip().lower() for s in ids if isinstance(s, str) and s.strip()}
    unknown = sorted(chosen - set(known)) + sorted(
        str(s)[:40] for s in ids if not isinstance(s, str)
    )
    if unknown:
        raise InputError("services", N_("Unknown services: %(names)s."), names=", ".join(unknown))
    return frozenset(chosen)
