"""A child's time on their profile page: today's use against each budget, bonus time in one
tap, pauses, daily budgets, holidays, and a week view of offline times.

Every change goes through ``PolicyStore`` (which writes the audit log) and is checked by the
same functions as the command line; a bad value shows its message and writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from dashboard.forms import error_text
from dashboard.storage import activity, local_now, policy
from policy.budgets import BUDGET_DAYS, EVERYTHING, GROUPS, allowance, clean_minutes
from policy.timerules import HOLIDAY_KINDS, parse_date, pause_end
from policy.validate import InputError
from policy.values import Holiday, Profile, Schedule

__all__ = ["DayBar", "TimeView", "WeekDay", "bp", "time_view"]

bp = Blueprint("time", __name__, url_prefix="/profiles")

PAUSES = ("15m", "1h", "morning")
BONUSES = (15, 30, 60)
_DAY = 24 * 60


@dataclass(frozen=True)
class DayBar:
    """Today's use of one budget: minutes used and allowed (bonus included)."""

    group: str
    used: int
    allowed: int

    @property
    def left(self) -> int:
        return max(0, self.allowed - self.used)


@dataclass(frozen=True)
class WeekDay:
    """One day of the week view: its offline spans (minute of the day, length, label)."""

    day: date
    spans: tuple[tuple[int, int, str], ...]
    minutes_used: int


@dataclass(frozen=True)
class TimeView:
    bars: tuple[DayBar, ...]
    week: tuple[WeekDay, ...]
    holidays: tuple[Holiday, ...]
    groups: tuple[str, ...]
    pauses: tuple[str, ...]
    bonuses: tuple[int, ...]
    now: datetime


def _spans_on(day: date, schedules: list[Schedule], holidays: list[Holiday], profile: str):
    from policy.timerules import effective_weekday

    def starts(on: date, s: Schedule) -> bool:
        if any(h.kind == "no_bedtime" and h.covers(on, profile) for h in holidays):
            return False
        return effective_weekday(on, profile, holidays) in s.days

    spans = []
    for s in schedules:
        begin = s.start.hour * 60 + s.start.minute
        end = s.end.hour * 60 + s.end.minute
        who = f"{s.label} ({s.device})" if s.device else s.label
        if s.start < s.end:
            if starts(day, s):
                spans.append((begin, end - begin, who))
            continue
        if starts(day, s):
            spans.append((begin, _DAY - begin, who))
        if end and starts(day - timedelta(days=1), s):
            spans.append((0, end, who))
    return tuple(sorted(spans))


def time_view(profile: Profile) -> TimeView:
    """What the profile page shows about time, read now from policy.db and activity.db."""
    now = local_now()
    today = now.date()
    store = policy()
    holidays = [h for h in store.holidays() if h.profile in (None, profile.name)]
    counts = Counter(group for _, group, _ in activity().usage_on(today, profile.name))
    bars = []
    for group in sorted({b.group for b in profile.budgets}, key=lambda g: (g == EVERYTHING, g)):
        allowed = allowance(profile, group, today, holidays)
        if allowed is not None:
            bars.append(DayBar(group, counts.get(group, 0), allowed))
    monday = today - timedelta(days=today.weekday())
    used = activity().minutes_used(profile.name, monday)
    schedules = [s for _, s in store.schedules_with_ids(profile.name)]
    week = tuple(
        WeekDay(
            day,
            _spans_on(day, schedules, holidays, profile.name),
            used.get((day.isoformat(), EVERYTHING), 0),
        )
        for day in (monday + timedelta(days=n) for n in range(7))
    )
    return TimeView(tuple(bars), week, tuple(holidays), tuple(GROUPS), PAUSES, BONUSES, now)


def _route(suffix: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A POST view under the profile's id (any name works) and, for older links, its name."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.route(f"/<int:pid>{suffix}", methods=["POST"])(view)
        bp.route(f"/<name>{suffix}", methods=["POST"])(view)
        return view

    return register


def _profile(pid: int | None, name: str | None) -> Profile:
    if pid is not None:
        for profile in policy().profiles().values():
            if profile.profile_id == pid:
                return profile
        abort(404)
    try:
        return policy().profile(name or "")
    except InputError:
        abort(404)


def _back(profile: Profile, error: str | None = None) -> Response:
    if error:
        return redirect(
            url_for("profiles.edit", name=profile.name, time_error=error, _anchor="time")
        )
    return redirect(url_for("profiles.edit", name=profile.name, saved="time", _anchor="time"))


@_route("/pause")
def pause(pid: int | None = None, name: str | None = None) -> Response:
    """Pause all the child's devices for a while, until a time, until morning; or resume."""
    profile = _profile(pid, name)
    try:
        if request.form.get("resume"):
            until = None
        else:
            duration = request.form.get("duration", "")
            now = local_now()
            if duration == "until":
                until = pause_end(now, until=request.form.get("until", ""))
            elif duration == "morning":
                until = pause_end(now, until="morning")
            elif duration in ("15m", "1h"):
                until = pause_end(now, length=duration)
            else:
                raise InputError("duration", _("Choose how long the pause lasts."))
        policy().pause_profile(profile.name, until, actor=session["parent"])
    except InputError as exc:
        return _back(profile, error_text(exc))
    return _back(profile)


@_route("/budget")
def budget(pid: int | None = None, name: str | None = None) -> Response:
    """Set or remove (``minutes=off``) a daily budget for weekdays, the weekend or both."""
    profile = _profile(pid, name)
    days_choice = request.form.get("days", "all")
    days = list(BUDGET_DAYS) if days_choice == "all" else [days_choice]
    raw = request.form.get("minutes", "").strip()
    try:
        minutes = None if raw.lower() == "off" else clean_minutes(raw)
        policy().set_budget(
            profile.name,
            request.form.get("group", ""),
            minutes,
            days=days,
            actor=session["parent"],
        )
    except InputError as exc:
        return _back(profile, error_text(exc))
    return _back(profile)


@_route("/bonus")
def bonus(pid: int | None = None, name: str | None = None) -> Response:
    """Extra minutes of a group for today (one tap from the child's card)."""
    profile = _profile(pid, name)
    try:
        policy().add_bonus(
            profile.name,
            request.form.get("group", ""),
            clean_minutes(request.form.get("minutes", "")),
            local_now().date(),
            actor=session["parent"],
        )
    except InputError as exc:
        return _back(profile, error_text(exc))
    return _back(profile)


@_route("/holidays")
def add_holiday(pid: int | None = None, name: str | None = None) -> Response:
    """A holiday for this child: days treated as weekend, or nights without bedtime."""
    profile = _profile(pid, name)
    try:
        first = parse_date(request.form.get("from", ""), "from")
        last_raw = request.form.get("until", "").strip()
        last = parse_date(last_raw, "until") if last_raw else first
        kind = request.form.get("kind", "")
        if kind not in HOLIDAY_KINDS:
            raise InputError("kind", _("Choose what the holiday changes."))
        label = request.form.get("label", "").strip() or "holiday"
        policy().add_holiday(
            Holiday(first, last, kind, label, profile.name), actor=session["parent"]
        )
    except InputError as exc:
        return _back(profile, error_text(exc))
    return _back(profile)


@_route("/holidays/<int:holiday_id>/delete")
def delete_holiday(holiday_id: int, pid: int | None = None, name: str | None = None) -> Response:
    profile = _profile(pid, name)
    mine = [h for h in policy().holidays() if h.holiday_id == holiday_id]
    if not mine or mine[0].profile not in (None, profile.name):
        abort(404)
    policy().remove_holiday(holiday_id, actor=session["parent"])
    return _back(profile)


def week_minutes(view: TimeView) -> int:
    """Minutes online this week so far (all internet time)."""
    return sum(d.minutes_used for d in view.week)
