"""Frozen values the whole of Hearthguard speaks in: profiles, devices, rules, decisions.

Everything here is immutable and cheap to compare; database rows and options become these values
once, at load time, so the request path does no parsing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from types import MappingProxyType

__all__ = [
    "Action",
    "Bonus",
    "Budget",
    "Decision",
    "Device",
    "Holiday",
    "NO_USAGE",
    "Profile",
    "Reason",
    "Request",
    "Rule",
    "Schedule",
    "Usage",
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
    IP_ADDRESS = "ip_address"
    CONNECTION_REFUSED = "connection_refused"
    FILTER_ERROR = "filter_error"
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
    #: the device this window is for; None: every device of the profile
    device: str | None = None
    schedule_id: int | None = None

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def contains(self, now: datetime) -> bool:
        """True when the wall-clock time of ``now`` (already in the household's zone) is in
        the window. ``policy.timerules`` adds holiday overrides on top of this."""
        t = now.time()
        today = now.isoweekday()
        if self.start < self.end:
            return today in self.days and self.start <= t < self.end
        yesterday = 7 if today == 1 else today - 1
        return (today in self.days and t >= self.start) or (yesterday in self.days and t < self.end)


@dataclass(frozen=True, slots=True)
class Holiday:
    """A holiday override from ``start`` to ``end`` (local dates, both included).

    ``kind`` is ``weekend`` (the days follow the weekend's schedules and budgets) or
    ``no_bedtime`` (no offline window that starts on these days applies). ``profile`` None:
    every profile.
    """

    start: date
    end: date
    kind: str
    label: str = "holiday"
    profile: str | None = None
    holiday_id: int | None = None

    def covers(self, day: date, profile: str) -> bool:
        return self.start <= day <= self.end and self.profile in (None, profile)


@dataclass(frozen=True, slots=True)
class Budget:
    """A daily allowance: ``minutes`` of ``group`` on ``days`` (``weekdays`` or ``weekend``)."""

    group: str
    days: str
    minutes: int


@dataclass(frozen=True, slots=True)
class Bonus:
    """Extra minutes of ``group`` a parent granted for one local ``day``."""

    group: str
    day: date
    minutes: int


_NO_MINUTES: Mapping[str, frozenset[int]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Usage:
    """The minutes a profile has used on one local ``day``: per category group, the set of
    minutes (Unix time // 60) in which its devices made requests in that group.

    The proxy keeps one per profile up to date from its own decisions and hands it to
    ``decide`` inside the ``Request``; a usage of another day counts as nothing used.
    """

    day: date | None = None
    minutes: Mapping[str, frozenset[int]] = field(default_factory=lambda: _NO_MINUTES)

    def used(self, group: str, day: date) -> int:
        return len(self.minutes.get(group, ())) if day == self.day else 0

    def counted(self, group: str, day: date, minute: int) -> bool:
        """True when ``minute`` of ``day`` is already counted for ``group`` (so it is paid for)."""
        return day == self.day and minute in self.minutes.get(group, ())


NO_USAGE = Usage()


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
    paused_until: datetime | None = None
    budgets: tuple[Budget, ...] = ()
    bonuses: tuple[Bonus, ...] = ()
    #: the services (``policy.services`` ids) switched off for this child
    services: frozenset[str] = frozenset()

    def paused(self, now: datetime) -> bool:
        return self.paused_until is not None and now < self.paused_until


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
    schedules: tuple[Schedule, ...] = ()

    def paused(self, now: datetime) -> bool:
        return self.paused_until is not None and now < self.paused_until


@dataclass(frozen=True, slots=True)
class Request:
    """What ``decide`` looks at besides the profile: the host, the path, the device asking
    (its pause and schedules), the scheme and today's use."""

    host: str
    path: str = "/"
    device: Device | None = None
    scheme: str = "http"
    #: minutes the profile used today, per group (the proxy's count; nothing for checks)
    usage: Usage = NO_USAGE
