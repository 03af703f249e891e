"""Words parents read for Hearthguard's names: categories by theme, reasons, durations."""

from __future__ import annotations

from types import MappingProxyType

from flask_babel import lazy_gettext as _l

__all__ = [
    "CATEGORY_LABELS",
    "DURATIONS",
    "PRESET_LABELS",
    "REASONS",
    "SERVICE_GROUP_LABELS",
    "THEMES",
    "category_label",
    "preset_label",
    "reason_label",
]

CATEGORY_LABELS = MappingProxyType(
    {
        "adult": _l("Pornography"),
        "provocative": _l("Lingerie and provocative"),
        "dating": _l("Dating"),
        "gambling": _l("Gambling"),
        "drugs": _l("Drugs"),
        "violence": _l("Violence and gore"),
        "hate": _l("Hate"),
        "self_harm": _l("Self-harm"),
        "weapons": _l("Weapons"),
        "anonymizer": _l("Proxies and VPNs (filter bypass)"),
        "malware": _l("Malware"),
        "phishing": _l("Phishing and scams"),
        "piracy": _l("Piracy"),
        "social": _l("Social networks"),
        "chat": _l("Chat"),
        "games": _l("Games"),
        "video": _l("Video and music"),
        "shopping": _l("Shopping"),
        "sex_education": _l("Sex education"),
        "health": _l("Health"),
        "helpline": _l("Helplines"),
        "news": _l("News"),
        "education": _l("Education"),
        "rights": _l("Human rights and equality"),
        "illegal": _l("Illegal content"),
        # never decrypted (classifier.categories.SENSITIVE); named on the lists page
        "bank": _l("Banking"),
        "government": _l("Government services"),
        "update": _l("System updates"),
    }
)

#: Blockable categories grouped the way parents think about them, in display order.
THEMES: tuple[tuple[object, tuple[str, ...]], ...] = (
    (_l("Sexual content"), ("adult", "provocative", "dating")),
    (_l("Risky and harmful"), ("gambling", "drugs", "violence", "hate", "self_harm", "weapons")),
    (_l("Safety and security"), ("malware", "phishing", "anonymizer", "piracy")),
    (_l("Social and entertainment"), ("social", "chat", "games", "video", "shopping")),
)

REASONS = MappingProxyType(
    {
        "illegal_content": _l("On a hotline's list of illegal content"),
        "parent_allowed": _l("You allowed this site"),
        "parent_denied": _l("You blocked this site"),
        "schedule": _l("Offline time"),
        "paused": _l("Paused"),
        "time_budget": _l("Daily time used up"),
        "category_blocked": _l("A kind of site you block"),
        "list_allowed": _l("On a list of sites that are fine"),
        "protected_category": _l("Always reachable (news, health, help and the like)"),
        "model_blocked": _l("Looks like a kind of site you block, from its name"),
        "content_blocked": _l("The page's words look like a kind of site you block"),
        "ip_address": _l("A bare number address, which skips the filter's lists"),
        "connection_refused": _l("Refused before connecting"),
        "filter_error": _l("Blocked to be safe: the filter could not decide"),
        "not_blocked": _l("Nothing blocks it"),
    }
)

#: Approval and pause lengths, in the order offered (keys as ``policy.access_requests.DURATIONS``).
DURATIONS = MappingProxyType(
    {"15m": _l("15 min"), "1h": _l("1 hour"), "today": _l("Today"), "always": _l("Always")}
)
#: The service groups' names in policy/data/services.json, which the profile page shows through
#: gettext: listed here so that they are extracted for translation (tests/test_translations.py
#: fails when the file names a group this list lacks).
SERVICE_GROUP_LABELS = (
    _l("Social networks"),
    _l("Video and live streams"),
    _l("Games"),
    _l("Chat and messaging"),
)
PRESET_LABELS = MappingProxyType(
    {"young": _l("Young"), "child": _l("Child"), "teen": _l("Teen"), "adult": _l("Adult")}
)


def category_label(name: str | None) -> str:
    """A category's name for parents; unknown list categories keep their own name."""
    if not name:
        return ""
    return str(CATEGORY_LABELS.get(name, name.replace("_", " ")))


def preset_label(name: str) -> str:
    """An age preset's name for parents ("young" -> "Young", in the page's language)."""
    return str(PRESET_LABELS.get(name, name))


def reason_label(reason: str) -> str:
    return str(REASONS.get(reason, reason.replace("_", " ")))
