"""The records activity.db keeps — decisions, device sightings, access requests, chat-safety
alerts, seen devices — as immutable values, and ``safe_text``, which makes their texts safe.

Every text an event carries is made safe when the event is made (``safe_text``): bytes that
were not UTF-8 (mitmproxy hands them over as lone surrogates) become ``\\xNN`` escapes, control
characters too, and each field has a length cap. So one request with an odd Host or
User-Agent can neither fail a batch nor fill the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "AccessRequest",
    "AlertRecord",
    "DecisionEvent",
    "DeviceSighting",
    "SeenDevice",
    "safe_or_none",
    "safe_text",
    "utc_text",
]

MAX_USER_AGENT = 400
MAX_HOST = 260  # a DNS name is at most 253 characters; a port or an escape may add a few
_MAX_FIELD = 200
MAX_URL = 2000
MAX_MESSAGE = 500
_MAX_EXCERPT = 500


def utc_text(value: datetime | None) -> str | None:
    """``value`` in UTC as ISO text to the second, as activity.db stores times (None stays)."""
    return None if value is None else value.astimezone(UTC).isoformat(timespec="seconds")


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def safe_text(value: object, limit: int = _MAX_FIELD) -> str:
    """``value`` as text SQLite and every page can hold: undecodable bytes, lone surrogates
    and control characters become visible escapes (``\\x80``), and the result is at most
    ``limit`` characters (cut, with "…" at the end)."""
    text = value if isinstance(value, str) else str(value)
    if not (text.isascii() and text.isprintable()):
        text = "".join(
            _escape_char(ch)
            if (0xD800 <= ord(ch) <= 0xDFFF) or (not ch.isprintable() and ch != " ")
            else ch
            for ch in text[: limit * 4]
        )
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def safe_or_none(value: object, limit: int = _MAX_FIELD) -> str | None:
    return None if value is None else safe_text(value, limit)


@dataclass(frozen=True, slots=True)
class DecisionEvent:
    """One decision as the log keeps it; its texts are made safe (``safe_text``) here."""

    at: datetime
    device: str | None
    ip: str | None
    profile: str
    host: str
    action: str
    reason: str
    category: str | None
    source: str | None
    score: float | None

    def __post_init__(self) -> None:
        for name in ("profile", "action", "reason"):
            object.__setattr__(self, name, safe_text(getattr(self, name)))
        for name in ("device", "ip", "category", "source"):
            object.__setattr__(self, name, safe_or_none(getattr(self, name)))
        object.__setattr__(self, "host", safe_text(self.host, MAX_HOST))


@dataclass(frozen=True, slots=True)
class DeviceSighting:
    """A device seen by the proxy; its texts are made safe (``safe_text``) here."""

    at: datetime
    ip: str
    mac: str | None = None
    user_agent: str | None = None
    tls_ok: int = 0
    tls_failed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "ip", safe_text(self.ip))
        object.__setattr__(self, "mac", safe_or_none(self.mac))
        object.__setattr__(self, "user_agent", safe_or_none(self.user_agent, MAX_USER_AGENT))


@dataclass(frozen=True, slots=True)
class AccessRequest:
    request_id: int
    at: datetime
    device: str | None
    ip: str | None
    profile: str
    host: str
    url: str
    category: str | None
    reason: str
    message: str
    status: str
    decided_at: datetime | None
    until: datetime | None
    note: str


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """A chat-safety alert as activity.db keeps it; its texts are made safe here.

    ``host`` is the site (a host name, never a URL); ``conversation`` names the site and the
    peer where one was visible; ``excerpt`` is empty when the profile shows categories only.
    """

    at: datetime
    device: str | None
    ip: str | None
    profile: str
    host: str
    conversation: str
    kind: str
    score: float
    excerpt: str = ""
    detail: str = ""
    seen: bool = False
    alert_id: int | None = None

    def __post_init__(self) -> None:
        for name in ("profile", "kind", "conversation", "detail"):
            object.__setattr__(self, name, safe_text(getattr(self, name)))
        for name in ("device", "ip"):
            object.__setattr__(self, name, safe_or_none(getattr(self, name)))
        object.__setattr__(self, "host", safe_text(self.host, MAX_HOST))
        object.__setattr__(self, "excerpt", safe_text(self.excerpt, _MAX_EXCERPT))

    def as_json(self) -> dict[str, Any]:
        """The alert as one JSON object (``hearthguard alerts --json``)."""
        return {
            "id": self.alert_id,
            "at": utc_text(self.at),
            "kind": self.kind,
            "profile": self.profile,
            "device": self.device,
            "ip": self.ip,
            "site": self.host,
            "conversation": self.conversation,
            "score": round(self.score, 4),
            "excerpt": self.excerpt,
            "detail": self.detail,
            "seen": self.seen,
        }


@dataclass(frozen=True, slots=True)
class SeenDevice:
    """A device the proxy has seen, as the dashboard's "new devices" inbox shows it."""

    ip: str
    mac: str | None
    user_agent: str | None
    first_seen: datetime
    last_seen: datetime
    tls_ok: int
    tls_failed: int
