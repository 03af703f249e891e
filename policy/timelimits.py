"""The time step of ``decide``: a paused device or child, an offline window, a spent budget.

Pure, like ``decide``: the minutes used come in the ``Request`` (the proxy's own count), the
rules in the profile and the snapshot, the time as ``now``. Helplines stay reachable whatever
the time rules say; sites that are always reachable count towards no budget.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from policy.budgets import EVERYTHING, allowance, groups_for, midnight_after, minute_of
from policy.timerules import active_window, next_window, window_end
from policy.values import Action, Decision, Device, Holiday, Profile, Reason, Usage

__all__ = ["TimeLeft", "access_returns", "time_decision", "time_left"]

_ALWAYS_REACHABLE = "helpline"


def time_decision(
    profile: Profile,
    device: Device | None,
    categories: Iterable[str],
    usage: Usage,
    now: datetime,
    zone: tzinfo,
    holidays: tuple[Holiday, ...] = (),
) -> Decision | None:
    """A block when a pause, an offline window or a spent daily budget applies, else None.

    A budget is spent when the minutes used today reach the allowance and the current minute
    is not already counted (a minute that has begun is paid for and may be used up).
    """
    if (
        profile.paused_until is None
        and not profile.schedules
        and not profile.budgets
        and (device is None or (device.paused_until is None and not device.schedules))
    ):
        return None  # no time rule at all: the common case, decided without the clock
    cats = frozenset(categories)
    if _ALWAYS_REACHABLE in cats:
        return None
    if device is not None and device.paused(now):
        return Decision(Action.BLOCK, Reason.PAUSED, None, f"device paused: {device.name}")
    if profile.paused(now):
        return Decision(Action.BLOCK, Reason.PAUSED, None, f"profile paused: {profile.name}")
    local = now.astimezone(zone)
    window = active_window(profile, device, local, holidays)
    if window is not None:
        return Decision(Action.BLOCK, Reason.SCHEDULE, None, f"schedule: {window.label}")
    if not profile.budgets:
        return None
    day, minute = local.date(), minute_of(now)
    for group in sorted(groups_for(cats), key=lambda g: (g == EVERYTHING, g)):
        allowed = allowance(profile, group, day, holidays)
        if allowed is None:
            continue
        if usage.used(group, day) >= allowed and not usage.counted(group, day, minute):
            return Decision(
                Action.BLOCK, Reason.TIME_BUDGET, group, f"time budget: {group} {allowed} min"
            )
    return None


def access_returns(
    decision: Decision,
    profile: Profile,
    device: Device | None,
    now: datetime,
    zone: tzinfo,
    holidays: tuple[Holiday, ...] = (),
) -> datetime | None:
    """When a time block ends on the household's clock (None for other blocks).

    A pause ends at its end; an offline window at its end; a spent budget at midnight.
    """
    local = now.astimezone(zone)
    if decision.reason is Reason.PAUSED:
        ends = [
            p.paused_until
            for p in (device, profile)
            if p is not None and p.paused_until is not None and p.paused(now)
        ]
        return max(ends).astimezone(zone) if ends else None
    if decision.reason is Reason.SCHEDULE:
        window = active_window(profile, device, local, holidays)
        return window_end(window, local) if window is not None else None
    if decision.reason is Reason.TIME_BUDGET:
        return midnight_after(local, zone)
    return None


@dataclass(frozen=True, slots=True)
class TimeLeft:
    """What the child's time page shows: minutes left per limited group today, and the next
    offline time (when it starts and ends)."""

    groups: tuple[tuple[str, int, int], ...]  # (group, minutes used, minutes allowed)
    next_offline: tuple[datetime, datetime, str] | None
    offline_now: tuple[datetime, str] | None
    paused_until: datetime | None

    def left(self, group: str) -> int | None:
        for name, used, allowed in self.groups:
            if name == group:
                return max(0, allowed - used)
        return None


def time_left(
    profile: Profile,
    device: Device | None,
    usage: Usage,
    now: datetime,
    zone: tzinfo,
    holidays: tuple[Holiday, ...] = (),
) -> TimeLeft:
    """The child's day at ``now``: budgets used and allowed, the pause, the current and the
    next offline time."""
    local = now.astimezone(zone)
    day = local.date()
    groups = []
    for group in sorted({b.group for b in profile.budgets}, key=lambda g: (g == EVERYTHING, g)):
        allowed = allowance(profile, group, day, holidays)
        if allowed is not None:
            groups.append((group, usage.used(group, day), allowed))
    current = active_window(profile, device, local, holidays)
    offline_now = (window_end(current, local), current.label) if current else None
    upcoming = next_window(profile, device, local, holidays)
    next_offline = None
    if upcoming is not None:
        begins, window = upcoming
        next_offline = (begins, window_end(window, begins), window.label)
    pauses = [
        p.paused_until
        for p in (device, profile)
        if p is not None and p.paused_until is not None and p.paused(now)
    ]
    return TimeLeft(
        tuple(groups),
        next_offline,
        offline_now,
        max(pauses).astimezone(zone) if pauses else None,
    )
