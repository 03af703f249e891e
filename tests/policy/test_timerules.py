"""Offline windows, holidays and pauses on the household's clock, across daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from policy.timerules import (
    active_window,
    at_local,
    check_overlap,
    check_window,
    effective_weekday,
    format_days,
    next_window,
    parse_clock,
    parse_days,
    parse_duration,
    pause_end,
    window_end,
)
from policy.validate import InputError
from policy.values import Device, Holiday, Profile, Schedule

PRAGUE = ZoneInfo("Europe/Prague")
NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY = frozenset(range(1, 8))
BEDTIME = Schedule(EVERY_DAY, time(20, 30), time(7, 0), "bedtime")


def kid(*schedules: Schedule) -> Profile:
    return Profile("Mia", "child", frozenset(), schedules=schedules)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("20:30", time(20, 30)), ("7:05", time(7, 5)), ("00:00", time(0)), ("23.59", time(23, 59))],
)
def test_clock_times_parse(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("25:00", "hours go to 23"),
        ("12:60", "minutes to 59"),
        ("24:00", "midnight as 00:00"),
        ("8pm", "not a time of day"),
        ("", "not a time of day"),
    ],
)
def test_impossible_clock_times_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_clock(text)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-fri", {1, 2, 3, 4, 5}),
        ("sat,sun", {6, 7}),
        ("fri-mon", {5, 6, 7, 1}),
        ("weekend", {6, 7}),
        ("weekdays", {1, 2, 3, 4, 5}),
        ("daily", EVERY_DAY),
        ("Monday, wed", {1, 3}),
    ],
)
def test_days_parse(text: str, days: set[int]) -> None:
    assert parse_days(text) == days


@pytest.mark.parametrize("text", ["mo-fr", "funday", "", "mon-", "1-5"])
def test_unknown_days_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_days(text)


def test_days_format_back() -> None:
    assert format_days({1, 2, 3, 4, 5}) == "mon-fri"
    assert format_days({6, 7}) == "sat,sun"
    assert format_days({1, 3, 4, 5, 7}) == "mon,wed-fri,sun"


@pytest.mark.parametrize(
    ("text", "minutes"), [("30m", 30), ("1h", 60), ("1h30m", 90), ("45", 45), ("2 h", 120)]
)
def test_durations_parse(text: str, minutes: int) -> None:
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["0", "25h", "-5m", "soon", "", "1441"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("start", "end"),
    [("20:30", "07:00"), ("22:00", "06:00"), ("20:00", "00:00"), ("09:00", "15:00")],
)
def test_windows_that_make_sense_are_accepted(start: str, end: str) -> None:
    check_window(parse_clock(start), parse_clock(end))


def test_an_end_before_the_start_by_mistake_is_refused_with_the_likely_meaning() -> None:
    with pytest.raises(InputError, match="Did you mean 08:00 until 09:00") as err:
        check_window(time(9), time(8))
    assert "23 hours" in err.value.message


def test_an_empty_window_is_refused() -> None:
    with pytest.raises(InputError, match="empty"):
        check_window(time(10), time(10))


@pytest.mark.parametrize(
    ("new", "existing"),
    [
        # Monday night's bedtime runs into Tuesday morning's window
        (Schedule(frozenset({2}), time(6), time(8)), Schedule(frozenset({1}), time(22), time(7))),
        # Sunday night wraps into Monday: the end of the week meets its start
        (
            Schedule(frozenset({1}), time(6), time(7, 30)),
            Schedule(frozenset({7}), time(22), time(7)),
        ),
        # a device's window inside the whole profile's
        (
            Schedule(frozenset({3}), time(21), time(22), device="Tablet"),
            Schedule(frozenset({3}), time(20, 30), time(7)),
        ),
    ],
)
def test_overlapping_windows_are_refused(new: Schedule, existing: Schedule) -> None:
    with pytest.raises(InputError, match="overlaps"):
        check_overlap(new, [existing])


@pytest.mark.parametrize(
    ("new", "existing"),
    [
        (Schedule(EVERY_DAY, time(22), time(23)), Schedule(EVERY_DAY, time(20), time(22))),
        (Schedule(frozenset({2}), time(7), time(8)), Schedule(frozenset({1}), time(22), time(7))),
        (
            Schedule(frozenset({3}), time(21), time(22), device="Phone"),
            Schedule(frozenset({3}), time(20), time(23), device="Tablet"),
        ),
    ],
)
def test_windows_that_only_touch_or_belong_to_other_devices_are_accepted(
    new: Schedule, existing: Schedule
) -> None:
    check_overlap(new, [existing])


# -- daylight saving: bedtime 20:30-07:00 ends at 07:00 on the clock -------------------------


@pytest.mark.parametrize(
    ("zone", "instant", "offline"),
    [
        # Prague springs forward on 29 March 2026 (02:00 -> 03:00, now UTC+2)
        (PRAGUE, utc(2026, 3, 29, 4, 59), True),  # 06:59 CEST
        (PRAGUE, utc(2026, 3, 29, 5, 0), False),  # 07:00 CEST (a fixed +1 would say 06:00)
        (PRAGUE, utc(2026, 3, 29, 0, 30), True),  # 01:30 CET, before the change
        (PRAGUE, utc(2026, 3, 29, 18, 29), False),  # 20:29 CEST
        (PRAGUE, utc(2026, 3, 29, 18, 30), True),  # 20:30 CEST
        # Prague falls back on 25 October 2026 (03:00 -> 02:00, now UTC+1)
        (PRAGUE, utc(2026, 10, 25, 5, 59), True),  # 06:59 CET (a fixed +2 would say 07:59)
        (PRAGUE, utc(2026, 10, 25, 6, 0), False),  # 07:00 CET
        (PRAGUE, utc(2026, 10, 25, 0, 30), True),  # 02:30 CEST, the first time round
        (PRAGUE, utc(2026, 10, 25, 1, 30), True),  # 02:30 CET, the second time round
        # New York springs forward on 8 March 2026 and falls back on 1 November 2026
        (NEW_YORK, utc(2026, 3, 8, 10, 59), True),  # 06:59 EDT
        (NEW_YORK, utc(2026, 3, 8, 11, 0), False),  # 07:00 EDT
        (NEW_YORK, utc(2026, 11, 1, 11, 59), True),  # 06:59 EST
        (NEW_YORK, utc(2026, 11, 1, 12, 0), False),  # 07:00 EST
        (NEW_YORK, utc(2026, 11, 2, 1, 30), True),  # 20:30 EST on the 1st
    ],
)
def test_bedtime_follows_the_clock_across_dst(zone: ZoneInfo, instant: datetime, offline: bool):
    local = instant.astimezone(zone)
    assert (active_window(kid(BEDTIME), None, local) is not None) is offline


def test_a_window_ends_at_the_clock_time_on_a_spring_forward_morning() -> None:
    local = utc(2026, 3, 28, 22, 0).astimezone(PRAGUE)  # 23:00 CET, Saturday night
    end = window_end(BEDTIME, local)
    assert end == datetime(2026, 3, 29, 7, 0, tzinfo=PRAGUE)
    # 8 hours on the clock, 7 real hours: the clock skips one
    assert end.astimezone(UTC) - local.astimezone(UTC) == timedelta(hours=7)


def test_a_skipped_clock_time_becomes_the_first_instant_after_the_gap() -> None:
    assert at_local(date(2026, 3, 29), time(2, 30), PRAGUE).astimezone(UTC) == utc(
        2026, 3, 29, 1, 30
    )
    assert at_local(date(2026, 3, 29), time(2, 30), PRAGUE).time() == time(3, 30)


# -- holidays ----------------------------------------------------------------------------------

SCHOOL_NIGHTS = Schedule(frozenset({7, 1, 2, 3, 4}), time(20, 30), time(7), "school night")
WEEKEND_NIGHTS = Schedule(frozenset({5, 6}), time(22, 30), time(8), "weekend night")
# 2026-12-21 is a Monday
MONDAY = date(2026, 12, 21)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return at_local(day, time(hour, minute), PRAGUE)


@pytest.mark.parametrize(
    ("holidays", "when", "window"),
    [
        ((), at(MONDAY, 21), "school night"),
        # "treat today as weekend": Monday night follows Saturday's rules
        ((Holiday(MONDAY, MONDAY, "weekend"),), at(MONDAY, 21), None),
        ((Holiday(MONDAY, MONDAY, "weekend"),), at(MONDAY, 23), "weekend night"),
        ((Holiday(MONDAY, MONDAY, "weekend"),), at(MONDAY + timedelta(1), 7, 30), "weekend night"),
        # "no bedtime tonight" lifts the whole window that starts tonight, after midnight too
        ((Holiday(MONDAY, MONDAY, "no_bedtime"),), at(MONDAY, 23), None),
        ((Holiday(MONDAY, MONDAY, "no_bedtime"),), at(MONDAY + timedelta(1), 3), None),
        # ... but not last night's, which started on Sunday
        ((Holiday(MONDAY, MONDAY, "no_bedtime"),), at(MONDAY, 6), "school night"),
        # a holiday for another child changes nothing for this one
        ((Holiday(MONDAY, MONDAY, "no_bedtime", profile="Leo"),), at(MONDAY, 23), "school night"),
        # a holiday over, the rules are back
        (
            (Holiday(MONDAY - timedelta(7), MONDAY - timedelta(1), "weekend"),),
            at(MONDAY, 21),
            "school night",
        ),
    ],
)
def test_holiday_overrides(holidays: tuple[Holiday, ...], when: datetime, window: str | None):
    found = active_window(kid(SCHOOL_NIGHTS, WEEKEND_NIGHTS), None, when, holidays)
    assert (found.label if found else None) == window


def test_a_weekend_holiday_makes_a_weekday_count_as_saturday() -> None:
    holidays = (Holiday(MONDAY, MONDAY + timedelta(4), "weekend"),)
    assert effective_weekday(MONDAY + timedelta(2), "Mia", holidays) == 6
    assert effective_weekday(MONDAY + timedelta(5), "Mia", holidays) == 6  # a real Saturday
    assert effective_weekday(MONDAY + timedelta(7), "Mia", holidays) == 1


def test_a_device_window_applies_to_that_device_only() -> None:
    tablet_nights = Schedule(EVERY_DAY, time(19), time(7), "tablet", device="Tablet")
    tablet = Device("Tablet", "Mia", schedules=(tablet_nights,))
    phone = Device("Phone", "Mia")
    when = at(MONDAY, 19, 30)
    assert active_window(kid(), tablet, when) == tablet_nights
    assert active_window(kid(), phone, when) is None
    assert active_window(kid(), None, when) is None


def test_the_next_offline_time() -> None:
    begins, window = next_window(kid(SCHOOL_NIGHTS, WEEKEND_NIGHTS), None, at(MONDAY, 12)) or (
        None,
        None,
    )
    assert (begins, window) == (at(MONDAY, 20, 30), SCHOOL_NIGHTS)
    friday = MONDAY + timedelta(4)
    assert next_window(kid(SCHOOL_NIGHTS, WEEKEND_NIGHTS), None, at(friday, 12)) == (
        at(friday, 22, 30),
        WEEKEND_NIGHTS,
    )


# -- pauses --------------------------------------------------------------------------------------


def test_a_pause_until_a_time_is_the_next_time_the_clock_shows_it() -> None:
    evening = at(MONDAY, 18)
    assert pause_end(evening, until="21:00") == at(MONDAY, 21)
    assert pause_end(evening, until="07:00") == at(MONDAY + timedelta(1), 7)
    assert pause_end(evening, until="morning") == at(MONDAY + timedelta(1), 7)
    assert pause_end(at(MONDAY, 5), until="morning") == at(MONDAY, 7)


def test_a_pause_until_morning_over_the_spring_forward_night_lasts_an_hour_less() -> None:
    night = at_local(date(2026, 3, 28), time(22), PRAGUE)
    end = pause_end(night, until="morning")
    assert end == datetime(2026, 3, 29, 7, 0, tzinfo=PRAGUE)
    assert end.astimezone(UTC) - night.astimezone(UTC) == timedelta(hours=8)


def test_a_pause_for_30_minutes_lasts_30_real_minutes_over_the_fall_back_hour() -> None:
    first_0250 = utc(2026, 10, 25, 0, 50).astimezone(PRAGUE)  # 02:50 CEST
    end = pause_end(first_0250, length="30m")
    assert end.astimezone(UTC) == utc(2026, 10, 25, 1, 20)
    assert end.time() == time(2, 20)  # the clock went back an hour in between


@pytest.mark.parametrize(
    ("length", "until"), [(None, None), ("30m", "21:00"), ("5 days", None), (None, "25:00")]
)
def test_a_pause_needs_one_valid_end(length: str | None, until: str | None) -> None:
    with pytest.raises(InputError):
        pause_end(at(MONDAY, 18), length=length, until=until)
