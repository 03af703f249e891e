"""What a child's internet is doing right now, for the dashboard's front page.

Pure: it reads the profile, the minutes used today and the time it is given, and asks
``policy.timelimits.time_left`` (the time rules' own answer) for pauses, offline windows and
budgets, so the front page and the filter never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from policy.budgets import EVERYTHING, midnight_after
from policy.timelimits import time_left
from policy.values import Action, Holiday, Profile, Rule, Usage

__all__ = ["ChildNow", "child_now", "running_allows"]


@dataclass(frozen=True, slots=True)
class ChildNow:
    """``state`` is ``browsing``, ``paused``, ``offline`` (an offline time) or ``time_up`` (a
    daily budget spent); ``until`` says when that ends (None while browsing); ``label`` is the
    offline time's name or the spent budget's group; ``allows`` are the temporary allows
    running now, the first to end first."""

    state: str
    until: datetime | None = None
    label: str = ""
    allows: tuple[Rule, ...] = ()


def running_allows(profile: Profile, now: datetime) -> tuple[Rule, ...]:
    """The allow rules with an end that are still running at ``now``, soonest end first."""
    running = [
        r
        for r in profile.rules
        if r.action is Action.ALLOW and r.expires_at is not None and r.active(now)
    ]
    return tuple(sorted(running, key=lambda r: r.expires_at or now))


def child_now(
    profile: Profile,
    usage: Usage,
    now: datetime,
    zone: tzinfo,
    holidays: tuple[Holiday, ...] = (),
) -> ChildNow:
    """The child's state at ``now``: a pause first, then an offline time, then a spent budget
    (all internet time before one group), else browsing. Device-only pauses and windows are
    shown per device, not here."""
    allows = running_allows(profile, now)
    left = time_left(profile, None, usage, now, zone, holidays)
    if left.paused_until is not None:
        return ChildNow("paused", left.paused_until, "", allows)
    if left.offline_now is not None:
        ends, label = left.offline_now
        return ChildNow("offline", ends, label, allows)
    spent = [g for g, used, allowed in left.groups if used >= allowed]
    if spent:
        group = EVERYTHING if EVERYTHING in spent else spent[0]
        return ChildNow("time_up", midnight_after(now.astimezone(zone), zone), group, allows)
    return ChildNow("browsing", None, "", allows)
