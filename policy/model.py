"""Frozen values the whole of Hearthguard speaks in: profiles, devices, rules, decisions.

Everything here is immutable and cheap to compare; database rows and options become these values
once, at load time, so the request path does no parsing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, time

__all__ = [
    "Action",
    "Decision",
    "Device",
    "Profile",
    "Reason",
    "Request",
    "Rule",
    "Schedule",
    "YOUTUBE_MODES",
]

YOUTUBE_MODES = ("off", "moderate", "strict")


class Action(enum.StrEnum):
    ALLOW = "allow"
    BLOCK = "block"


class Reason(enum.StrEnum):
    """Why a decision was made; parents see it, the log stores it, block pages explain it."""

    ILLEGAL_CONTENT = "illegal_content"
    PARENT_ALLOWED = "parent_allowed"
    PARENT_DENIED = "parent_denied"
    SCHEDULE = "schedule"
    PAUSED = "paused"
    TIME_BUDGET = "time_budget"
    CATEGORY_BLOCKED = "category_blocked"
    LIST_ALLOWED = "list_allowed"
    PROTECTED_CATEGORY = "protected_category"
    MODEL_BLOCKED = "model_blocked"
    CONTENT_BLOCKED = "content_blocked"
    NOT_BLOCKED = "not_blocked"


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one request: what to do, why, and which rule, list or model decided."""

    action: Action
    reason: Reason
    category: str | None = None
    source: str | None = None
    score: float | None = None

    @property
    def blocked(self) -> bool:
        return self.action is Action.BLOCK

    def as_dict(self) -> dict[str, object]:
        return {
            "action": self.action.value,
            "reason": self.reason.value,
            "category": self.category,
            "source": self.source,
            "score": None if self.score is None else round(self.score, 4),
        }


@dataclass(frozen=True, slots=True)
class Schedule:
    """A weekly time window during which a profile is offline (bedtime, school time).

    ``days`` are ISO weekdays (1 = Monday). A window whose end is not after its start wraps
    past midnight and belongs to the day it starts on.
    """

    days: frozenset[int]
    start: time
    end: time
    label: str = "bedtime"

    def contains(self, now: datetime) -> bool:
        t = now.time()
        today = now.isoweekday()
        if self.start < self.end:
            return today in self.days and self.start <= t < self.end
        yesterday = 7 if today == 1 else today - 1
        return (today in self.days and t >= self.start) or (yesterday in self.days and t < self.end)


@dataclass(frozen=True, slots=True)
class Rule:
    """A parent's allow or deny for a domain (and its sub-domains), optionally until a time."""

    action: Action
    domain: str
    expires_at: datetime | None = None
    rule_id: int | None = None

    def active(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True, slots=True)
class Profile:
    """One child's filtering settings. Built from a preset, then changed by parents."""

    name: str
    preset: str
    blocked: frozenset[str]
    url_threshold: float = 0.9
    page_threshold: float = 0.8
    content_scan: bool = True
    safesearch: bool = True
    youtube: str = "moderate"
    logging: bool = True
    rules: tuple[Rule, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    profile_id: int | None = None


@dataclass(frozen=True, slots=True)
class Device:
    """A child's device as parents named it; matched to connections by IP address."""

    name: str
    profile: str
    ip: str | None = None
    mac: str | None = None
    ca_trusted: bool = False
    paused_until: datetime | None = None
    device_id: int | None = None

    def paused(self, now: datetime) -> bool:
        return self.paused_until is not None and now < self.paused_until


@dataclass(frozen=True, slots=True)
class Request:
    """What ``decide`` looks at: a normalised host, the path, and who is asking."""

    host: str
    path: str = "/"
    profile: str = ""
    device: Device | None = None
    scheme: str = "http"
