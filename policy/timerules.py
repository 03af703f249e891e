"""Time rules on the household's clock: weekly offline windows, holiday overrides, pauses.

Everything here is pure and works on wall-clock time in the household's IANA zone (zoneinfo),
so "until 07:00" means 07:00 on the clock on every day of the year, daylight-saving nights
included. Parents' typed times, days and durations are checked here too, with messages that
say what to type instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from policy.messages import N_
from policy.validate import InputError
from policy.values import Device, Holiday, Profile, Schedule

__all__ = [
    "DAY_NAMES",
    "HOLIDAY_KINDS",
    "MAX_OVERNIGHT",
    "MORNING",
    "active_window",
    "at_local",
    "check_overlap",
    "check_window",
    "effective_weekday",
    "format_days",
    "next_window",
    "parse_clock",
    "parse_date",
    "parse_days",
    "parse_duration",
    "pause_end",
    "window_end",
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_WORDS = {
    "weekdays": "mon-fri",
    "schooldays": "mon-fri",
    "school": "mon-fri",
    "weekend": "sat,sun",
    "weekends": "sat,sun",
    "daily": "mon-sun",
    "all": "mon-sun",
    "everyday": "mon-sun",
}
#: A window that ends before it starts goes past midnight; longer than this it is a mistake.
MAX_OVERNIGHT = timedelta(hours=16)
HOLIDAY_KINDS = ("weekend", "no_bedtime")
#: "Until tomorrow morning" means this time on the clock.
MORNING = time(7, 0)
_CLOCK = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")
_DURATION = re.compile(r"^\s*(?:(\d{1,3})\s*h)?\s*(?:(\d{1,4})\s*m(?:in)?)?\s*$")
_WEEK = 7 * 24 * 60


def parse_clock(text: str, field: str = "time") -> time:
    """A time of day typed ``HH:MM`` (00:00 to 23:59)."""
    found = _CLOCK.match(text or "")
    if found is None:
        raise InputError(
            field, N_("“%(value)s” is not a time of day, like 20:30."), value=(text or "")[:20]
        )
    hours, minutes = int(found.group(1)), int(found.group(2))
    if hours == 24 and minutes == 0:
        raise InputError(field, N_("Write midnight as 00:00."))
    if hours > 23 or minutes > 59:
        raise InputError(
            field,
            N_("“%(value)s” is not a time of day: hours go to 23, minutes to 59."),
            value=text.strip(),
        )
    return time(hours, minutes)


def parse_date(text: str, field: str = "date") -> date:
    """A calendar date typed ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise InputError(
            field, N_("“%(value)s” is not a date, like 2026-12-24."), value=(text or "")[:20]
        ) from None


def _day(name: str) -> int:
    """``mon`` or ``monday`` -> 1."""
    for number, short in enumerate(DAY_NAMES, start=1):
        if len(name) >= 3 and short.startswith(name[:3]) and _FULL[number - 1].startswith(name):
            return number
    raise ValueError(name)


def parse_days(text: str) -> frozenset[int]:
    """ISO weekdays from ``mon-fri``, ``sat,sun``, ``fri-mon`` (wrapping), ``weekend``,
    ``weekdays`` or ``daily``."""
    raw = (text or "").strip().lower().replace(" ", "")
    days: set[int] = set()
    try:
        for part in ",".join(_DAY_WORDS.get(p, p) for p in raw.split(",")).split(","):
            first, dash, last = part.partition("-")
            a = _day(first)
            b = _day(last) if dash else a
            day = a
            days.add(day)
            while day != b:
                day = day % 7 + 1
                days.add(day)
    except ValueError:
        raise InputError(
            "days",
            N_(
                "“%(value)s” is not a set of days; write for example mon-fri, sat,sun, "
                "fri-mon, weekdays or weekend."
            ),
            value=text[:40],
        ) from None
    return frozenset(days)


def format_days(days: Iterable[int]) -> str:
    """``{1, 2, 3, 4, 5}`` -> ``mon-fri``; ``{6, 7}`` -> ``sat,sun``."""
    chosen = sorted(set(days))
    if len(chosen) == 7:
        return "mon-sun"
    runs: list[list[int]] = []
    for d in chosen:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0] - 1]}-{DAY_NAMES[run[-1] - 1]}")
        else:
            parts.extend(DAY_NAMES[d - 1] for d in run)
    return ",".join(parts)


def parse_duration(text: str, field: str = "for") -> timedelta:
    """``30m``, ``1h``, ``1h30m`` or a number of minutes; between 1 minute and 24 hours."""
    raw = (text or "").strip().lower()
    if raw.isdigit():
        minutes = int(raw)
    else:
        found = _DURATION.match(raw)
        if found is None or not raw or not (found.group(1) or found.group(2)):
            raise InputError(
                field, N_("“%(value)s” is not a length of time, like 30m or 1h."), value=raw[:20]
            )
        minutes = int(found.group(1) or 0) * 60 + int(found.group(2) or 0)
    if not 1 <= minutes <= 24 * 60:
        raise InputError(field, N_("Choose between 1 minute and 24 hours."))
    return timedelta(minutes=minutes)


def _duration(start: time, end: time) -> timedelta:
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return timedelta(minutes=minutes % (24 * 60))


def check_window(start: time, end: time) -> None:
    """Refuse empty windows and an end before the start that cannot mean "past midnight".

    20:30 to 07:00 crosses midnight on purpose (10.5 hours); 09:00 to 08:00 would be 23 hours
    offline and is refused as a mistake, naming the window the parent probably meant.
    """
    if start == end:
        raise InputError("end", N_("The window is empty: the end must differ from the start."))
    if end < start and end != time(0) and _duration(start, end) > MAX_OVERNIGHT:
        hours = _duration(start, end).total_seconds() / 3600
        raise InputError(
            "end",
            N_(
                "%(start)s until %(end)s ends before it starts, so it would run past midnight "
                "for %(hours)s hours. Did you mean %(end)s until %(start)s?"
            ),
            start=f"{start:%H:%M}",
            end=f"{end:%H:%M}",
            hours=f"{hours:g}",
        )


def _spans(schedule: Schedule) -> list[tuple[int, int]]:
    """The window's minutes of the week (Monday 00:00 = 0), as half-open spans."""
    begin = schedule.start.hour * 60 + schedule.start.minute
    length = int(_duration(schedule.start, schedule.end).total_seconds() // 60)
    spans = []
    for day in schedule.days:
        first = (day - 1) * 24 * 60 + begin
        last = first + length
        if last <= _WEEK:
            spans.append((first, last))
        else:
            spans.extend([(first, _WEEK), (0, last - _WEEK)])
    return spans


def check_overlap(new: Schedule, existing: Iterable[Schedule]) -> None:
    """Refuse a window that overlaps one the same devices already have."""
    mine = _spans(new)
    for other in existing:
        if new.device is not None and other.device is not None and new.device != other.device:
            continue
        for a, b in mine:
            if any(a < d and c < b for c, d in _spans(other)):
                message = (
                    N_(
                        "This overlaps “%(label)s” for %(device)s (%(days)s %(start)s–%(end)s). "
                        "Change or remove that one first."
                    )
                    if other.device
                    else N_(
                        "This overlaps “%(label)s” (%(days)s %(start)s–%(end)s). "
                        "Change or remove that one first."
                    )
                )
                raise InputError(
                    "start",
                    message,
                    label=other.label,
                    device=other.device or "",
                    days=format_days(other.days),
                    start=f"{other.start:%H:%M}",
                    end=f"{other.end:%H:%M}",
                )


def effective_weekday(day: date, profile: str, holidays: Iterable[Holiday]) -> int:
    """The ISO weekday whose rules apply on ``day``: Saturday on a "treat as weekend" day."""
    weekday = day.isoweekday()
    if weekday < 6 and any(h.kind == "weekend" and h.covers(day, profile) for h in holidays):
        return 6
    return weekday


def _starts_on(schedule: Schedule, day: date, profile: str, holidays: tuple[Holiday, ...]) -> bool:
    if any(h.kind == "no_bedtime" and h.covers(day, profile) for h in holidays):
        return False
    return effective_weekday(day, profile, holidays) in schedule.days


def _applies(schedule: Schedule, device: Device | None) -> bool:
    return schedule.device is None or (device is not None and device.name == schedule.device)


def active_window(
    profile: Profile,
    device: Device | None,
    local: datetime,
    holidays: tuple[Holiday, ...] = (),
) -> Schedule | None:
    """The offline window ``local`` (wall-clock time in the household's zone) falls in, if any.

    A window belongs to the day it starts on: "no bedtime tonight" lifts the part after
    midnight too, and a "treat as weekend" day uses Saturday's windows.
    """
    t = local.time()
    today = local.date()
    yesterday = today - timedelta(days=1)
    for schedule in (*profile.schedules, *(device.schedules if device else ())):
        if not _applies(schedule, device):
            continue
        if schedule.start < schedule.end:
            if schedule.start <= t < schedule.end and _starts_on(
                schedule, today, profile.name, holidays
            ):
                return schedule
            continue
        if t >= schedule.start and _starts_on(schedule, today, profile.name, holidays):
            return schedule
        if t < schedule.end and _starts_on(schedule, yesterday, profile.name, holidays):
            return schedule
    return None


def at_local(day: date, clock: time, zone: tzinfo) -> datetime:
    """The instant the household's clock shows ``clock`` on ``day``. A time skipped by a
    spring-forward change becomes the first instant after the gap (02:30 -> 03:30)."""
    naive = datetime.combine(day, clock, tzinfo=zone)
    return naive.astimezone(UTC).astimezone(zone)


def window_end(schedule: Schedule, local: datetime) -> datetime:
    """When the window ``local`` falls in ends, on the household's clock."""
    zone = local.tzinfo
    assert zone is not None, "times are zone-aware"
    day = local.date()
    if schedule.crosses_midnight and local.time() >= schedule.start:
        day += timedelta(days=1)
    return at_local(day, schedule.end, zone)


def next_window(
    profile: Profile,
    device: Device | None,
    local: datetime,
    holidays: tuple[Holiday, ...] = (),
    days: int = 7,
) -> tuple[datetime, Schedule] | None:
    """The next offline window that starts after ``local`` (within ``days``), and when."""
    zone = local.tzinfo
    assert zone is not None, "times are zone-aware"
    best: tuple[datetime, Schedule] | None = None
    for offset in range(days + 1):
        day = local.date() + timedelta(days=offset)
        for schedule in (*profile.schedules, *(device.schedules if device else ())):
            if not _applies(schedule, device) or not _starts_on(
                schedule, day, profile.name, holidays
            ):
                continue
            begins = at_local(day, schedule.start, zone)
            if begins > local and (best is None or begins < best[0]):
                best = (begins, schedule)
        if best is not None:
            return best
    return None


def pause_end(local: datetime, *, length: str | None = None, until: str | None = None) -> datetime:
    """When a pause started at ``local`` ends: after ``length`` (``30m``), at the next
    ``until`` on the clock (``21:00``), or ``morning`` (07:00 tomorrow, or today before 07:00)."""
    zone = local.tzinfo
    assert zone is not None, "times are zone-aware"
    if (length is None) == (until is None):
        raise InputError("for", "Say how long the pause lasts: --for 30m or --until 21:00.")
    if length is not None:
        return (local.astimezone(UTC) + parse_duration(length)).astimezone(zone)
    assert until is not None
    clock = MORNING if until.strip().lower() == "morning" else parse_clock(until, "until")
    end = at_local(local.date(), clock, zone)
    if end <= local:
        end = at_local(local.date() + timedelta(days=1), clock, zone)
    return end
