"""Daily time budgets per category group, and the minute count they are measured against.

A minute counts for a group when one of the profile's devices made an allowed request in that
group during that minute (Unix time // 60, so a clock that jumps back, or the hour a
fall-back night repeats, never counts a minute twice). Minutes of different groups in the same
minute count once for each. The day is the household's local date: budgets reset at its
midnight. ``everything`` counts every request except to sites that are always reachable
(news, health, sex education, education, rights, helplines), which no budget blocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from types import MappingProxyType

from classifier.categories import PROTECTED
from policy.messages import N_
from policy.timerules import at_local, effective_weekday
from policy.validate import InputError
from policy.values import Budget, Holiday, Profile, Usage

__all__ = [
    "BUDGET_DAYS",
    "EVERYTHING",
    "GROUPS",
    "MAX_MINUTES",
    "UsageCounter",
    "WARN_AT",
    "allowance",
    "clean_group",
    "clean_minutes",
    "day_kind",
    "groups_for",
    "midnight_after",
    "minute_of",
    "remaining",
]

EVERYTHING = "everything"
#: Category groups a budget can limit, and the categories each counts.
GROUPS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "games": frozenset({"games"}),
        "video": frozenset({"video"}),
        "social": frozenset({"social", "chat", "dating"}),
        "shopping": frozenset({"shopping"}),
        EVERYTHING: frozenset(),
    }
)
BUDGET_DAYS = ("weekdays", "weekend")
MAX_MINUTES = 24 * 60
#: Minutes left at which the child is warned (a banner on web pages).
WARN_AT = (10, 2)
_PROTECTED = frozenset(PROTECTED)
_CATEGORY_GROUPS = {c: g for g, cats in GROUPS.items() for c in cats}
_MAX_PROFILES = 1000


_NO_GROUPS: frozenset[str] = frozenset()
#: Each set of groups ``groups_for`` has answered, once (at most one per subset of GROUPS).
_SHARED_GROUPS: dict[frozenset[str], frozenset[str]] = {}


def clean_group(name: str) -> str:
    """A known group name (``games``), or an ``InputError`` listing them."""
    group = (name or "").strip().lower()
    if group not in GROUPS:
        raise InputError(
            "group", f"“{name[:40]}” is not a group of sites; choose one of {', '.join(GROUPS)}."
        )
    return group


def clean_minutes(raw: str | int, field: str = "minutes") -> int:
    """Minutes for a day: 0 (none of that group today) to 1440."""
    try:
        minutes = int(str(raw).strip())
    except ValueError:
        raise InputError(
            field, N_("“%(value)s” is not a number of minutes."), value=str(raw)[:20]
        ) from None
    if minutes < 0:
        raise InputError(field, N_("Minutes cannot be negative (0 means none at all that day)."))
    if minutes > MAX_MINUTES:
        raise InputError(field, N_("A day has %(n)s minutes; choose at most that."), n=MAX_MINUTES)
    return minutes


def groups_for(categories: Iterable[str]) -> frozenset[str]:
    """The groups a request counts for, from the categories the lists give its site. Equal
    answers are one shared object (there are only as many as sets of groups), so what
    remembers them per host holds no copies."""
    cats = set(categories)
    if cats & _PROTECTED:
        return _NO_GROUPS
    found = frozenset({_CATEGORY_GROUPS[c] for c in cats if c in _CATEGORY_GROUPS} | {EVERYTHING})
    return _SHARED_GROUPS.setdefault(found, found)


def minute_of(now: datetime) -> int:
    """The minute ``now`` falls in, as Unix time // 60 (the same on every clock)."""
    return int(now.timestamp() // 60)


def day_kind(day: date, profile: str, holidays: Iterable[Holiday]) -> str:
    """``weekend`` on Saturdays, Sundays and "treat as weekend" days, else ``weekdays``."""
    return "weekend" if effective_weekday(day, profile, holidays) >= 6 else "weekdays"


def allowance(
    profile: Profile, group: str, day: date, holidays: Iterable[Holiday] = ()
) -> int | None:
    """Minutes of ``group`` allowed on ``day`` including bonuses; None when unlimited."""
    kind = day_kind(day, profile.name, tuple(holidays))
    base: Budget | None = next(
        (b for b in profile.budgets if b.group == group and b.days == kind), None
    )
    if base is None:
        return None
    bonus = sum(b.minutes for b in profile.bonuses if b.group == group and b.day == day)
    return base.minutes + bonus


def remaining(
    profile: Profile,
    usage: Usage,
    local: datetime,
    holidays: Iterable[Holiday] = (),
) -> dict[str, tuple[int, int]]:
    """Per limited group: (minutes used today, minutes allowed today) at ``local``."""
    day = local.date()
    groups = {b.group for b in profile.budgets}
    result = {}
    for group in sorted(groups):
        allowed = allowance(profile, group, day, holidays)
        if allowed is not None:
            result[group] = (usage.used(group, day), allowed)
    return result


class UsageCounter:
    """The proxy's running count of minutes per profile and group for the current local day.

    ``record`` adds a request's minute and returns the minutes newly counted (for the log);
    ``usage`` returns the profile's frozen ``Usage`` (the same object until something changes,
    so asking on every request is cheap). Days other than the latest one recorded are
    dropped, so memory stays bounded at one day.
    """

    def __init__(self) -> None:
        self._minutes: dict[str, dict[str, set[int]]] = {}
        self._day: date | None = None
        self._frozen: dict[str, Usage] = {}

    @property
    def day(self) -> date | None:
        return self._day

    def _roll(self, day: date) -> bool:
        """Start a new day when ``day`` is later than the current one; False if earlier."""
        if self._day is None or day > self._day:
            self._day = day
            self._minutes.clear()
            self._frozen.clear()
            return True
        return day == self._day

    def record(
        self, profile: str, groups: Iterable[str], local: datetime
    ) -> list[tuple[str, str, int]]:
        """Count ``local``'s minute for each group; the (profile, group, minute) newly counted.

        A clock that jumped back to an earlier day counts nothing (that day is over).
        """
        if not self._roll(local.date()):
            return []
        minute = minute_of(local)
        if profile not in self._minutes and len(self._minutes) >= _MAX_PROFILES:
            return []
        mine = self._minutes.setdefault(profile, {})
        added = []
        for group in groups:
            seen = mine.setdefault(group, set())
            if minute not in seen and len(seen) <= MAX_MINUTES + 120:
                seen.add(minute)
                added.append((profile, group, minute))
        if added:
            self._frozen.pop(profile, None)
        return added

    def restore(self, day: date, rows: Iterable[tuple[str, str, int]]) -> None:
        """Take back minutes already counted today (from activity.db after a restart)."""
        if not self._roll(day):
            return
        for profile, group, minute in rows:
            self._minutes.setdefault(profile, {}).setdefault(group, set()).add(minute)
            self._frozen.pop(profile, None)

    def usage(self, profile: str, local: datetime) -> Usage:
        """The profile's minutes today as a frozen value for ``decide``."""
        if self._day != local.date():
            return Usage(local.date())
        frozen = self._frozen.get(profile)
        if frozen is None:
            minutes = self._minutes.get(profile, {})
            frozen = Usage(
                self._day,
                MappingProxyType({g: frozenset(m) for g, m in minutes.items()}),
            )
            self._frozen[profile] = frozen
        return frozen


def midnight_after(local: datetime, zone: tzinfo) -> datetime:
    """The household's next midnight after ``local`` (when budgets start again)."""
    return at_local(local.date() + timedelta(days=1), time(0), zone)
