"""The canonical category vocabulary and how list names map onto it.

Every list, model and rule speaks in these names. A list category that has no canonical
counterpart keeps its own name (lower-case) so parents still see it.
"""

from __future__ import annotations

__all__ = [
    "ALL",
    "BENIGN",
    "BLOCKABLE",
    "ILLEGAL",
    "PROTECTED",
    "SENSITIVE",
    "canonical",
]

#: Categories a profile may block.
BLOCKABLE: tuple[str, ...] = (
    "adult",
    "provocative",
    "gambling",
    "drugs",
    "violence",
    "hate",
    "self_harm",
    "weapons",
    "dating",
    "anonymizer",
    "malware",
    "phishing",
    "piracy",
    "social",
    "chat",
    "games",
    "video",
    "shopping",
)

#: Categories no preset blocks and no model may block: access to information.
PROTECTED: tuple[str, ...] = (
    "sex_education",
    "health",
    "helpline",
    "news",
    "education",
    "rights",
)

#: Hotline lists: blocked for everyone, never overridable, never logged by URL.
ILLEGAL = "illegal"

#: What the models answer when nothing harmful is recognised.
BENIGN = "benign"

#: Categories whose TLS connections are never decrypted (privacy and pinned apps).
SENSITIVE: tuple[str, ...] = ("bank", "health", "government", "update")

ALL: tuple[str, ...] = BLOCKABLE + PROTECTED

_ALIASES: dict[str, str] = {
    # UT1 / squidGuard tree names
    "adult": "adult",
    "porn": "adult",
    "mixed_adult": "adult",
    "lingerie": "provocative",
    "gambling": "gambling",
    "arjel": "gambling",
    "drogue": "drugs",
    "drugs": "drugs",
    "agressif": "violence",
    "aggressive": "violence",
    "violence": "violence",
    "dangerous_material": "weapons",
    "dating": "dating",
    "vpn": "anonymizer",
    "proxy": "anonymizer",
    "redirector": "anonymizer",
    "strict_redirector": "anonymizer",
    "strong_redirector": "anonymizer",
    "residential-proxies": "anonymizer",
    "doh": "anonymizer",
    "malware": "malware",
    "cryptojacking": "malware",
    "stalkerware": "malware",
    "ddos": "malware",
    "phishing": "phishing",
    "warez": "piracy",
    "social_networks": "social",
    "chat": "chat",
    "games": "games",
    "audio-video": "video",
    "shopping": "shopping",
    "sexual_education": "sex_education",
    "press": "news",
    "educational_games": "education",
    "human_rights": "rights",
    # hosts-file collections (Sinfonietta, The Block List Project)
    "pornography": "adult",
    "snuff": "violence",
    "social": "social",
    "scam": "phishing",
    "fraud": "phishing",
    "crypto": "malware",
    "piracy": "piracy",
    "torrent": "piracy",
    "vaping": "drugs",
    "tiktok": "social",
    "fortnite": "games",
    # e2guardian / DansGuardian phrase-list categories (language suffix removed)
    "pornografia": "adult",
    "nudism": "adult",
    "illegaldrugs": "drugs",
    "illegal drugs": "drugs",
    "drug advocacy": "drugs",
    "legal drugs": "drugs",
    "intolerance": "hate",
    "gore": "violence",
    "proxies": "anonymizer",
    "personals": "dating",
    "onlinegames": "games",
    # already canonical
    **{name: name for name in BLOCKABLE + PROTECTED},
    "bank": "bank",
    "update": "update",
}


def canonical(list_category: str) -> str:
    """Return the canonical category for a list's category name.

    Unknown names are kept (lower-cased, stripped) rather than dropped, so a parent can
    still see and block them.
    """
    name = list_category.strip().lower()
    return _ALIASES.get(name, name)
