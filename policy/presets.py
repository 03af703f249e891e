"""Age presets: the starting point for a child's profile. Parents can change everything."""

from __future__ import annotations

from dataclasses import dataclass

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

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("young", "Under 9", _YOUNG, 0.7, 0.6, True, True, "strict", True),
        Preset("child", "About 9 to 12", _CHILD, 0.8, 0.7, True, True, "strict", True),
        Preset("teen", "13 to 17", _TEEN, 0.9, 0.8, True, True, "moderate", True),
        Preset(
            "adult",
            "Adult",
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
