"""Age presets: the starting point for a child's profile. Parents can change everything."""

from __future__ import annotations

from dataclasses import dataclass

from policy.messages import N_

__all__ = ["PRESETS", "Preset", "preset"]


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    label: str
    blocked: frozenset[str]
    url_threshold: float
    page_threshold: float
    content_scan: bool
    safesearch: bool
    youtube: str
    logging: bool
    #: the services (``policy.services`` ids) a new profile of this preset has switched off
    services: frozenset[str] = frozenset()


_TEEN = frozenset(
    {
        "adult",
        "gambling",
        "drugs",
        "violence",
        "hate",
        "self_harm",
        "anonymizer",
        "dating",
        "malware",
        "phishing",
    }
)
_CHILD = _TEEN | {"provocative", "weapons"}
_YOUNG = _CHILD | {"social", "chat", "video", "shopping"}

# Services switched off for a new profile. About 9 to 12: the public feeds and the chats with
# strangers whose own terms ask for users of 13 or more; YouTube stays (Restricted Mode is on),
# and so do family messengers and games, which parents decide. Under 9: every social, video
# and chat service but YouTube Kids, and the games with open voice chat and a 12+ rating.
_CHILD_SERVICES = frozenset(
    {
        "tiktok",
        "instagram",
        "snapchat",
        "facebook",
        "x",
        "reddit",
        "threads",
        "bluesky",
        "tumblr",
        "discord",
        "telegram",
        "twitch",
        "kick",
    }
)
_YOUNG_SERVICES = _CHILD_SERVICES | {
    "pinterest",
    "youtube",
    "whatsapp",
    "messenger",
    "fortnite",
    "steam",
}

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "young", N_("Under 9"), _YOUNG, 0.7, 0.6, True, True, "strict", True, _YOUNG_SERVICES
        ),
        Preset(
            "child",
            N_("About 9 to 12"),
            _CHILD,
            0.8,
            0.7,
            True,
            True,
            "strict",
            True,
            _CHILD_SERVICES,
        ),
        Preset("teen", N_("13 to 17"), _TEEN, 0.9, 0.8, True, True, "moderate", True),
        Preset(
            "adult",
            N_("Adult"),
            frozenset({"malware", "phishing"}),
            0.95,
            0.95,
            False,
            False,
            "off",
            False,
        ),
    )
}


def preset(name: str) -> Preset:
    """Return the preset called ``name``; raises ``KeyError`` naming the choices otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None
