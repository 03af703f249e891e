"""Daily budgets: minute counting across groups, local midnight, bonus time, clocks that jump,
and how ``decide`` uses them (reasons and sources included)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from policy.budgets import (
    UsageCounter,
    allowance,
    clean_group,
    clean_minutes,
    groups_for,
    remaining,
)
from policy.decide import decide
from policy.snapshot import Snapshot
from policy.timelimits import access_returns, time_left
from policy.timerules import at_local
from policy.validate import InputError
from policy.values import Bonus, Budget, Device, Holiday, Profile, Reason, Request, Schedule
from tests.support.lists import make_index, parsed

PRAGUE = ZoneInfo("Europe/Prague")
WEDNESDAY = date(2026, 11, 18)
SATURDAY = date(2026, 11, 21)


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return at_local(day, time(hour, minute, second), PRAGUE)


def mia(*budgets: Budget, bonuses: tuple[Bonus, ...] = (), **kw: object) -> Profile:
    return Profile("Mia", "child", frozenset({"adult"}), budgets=budgets, bonuses=bonuses, **kw)


def both(group: str, minutes: int) -> tuple[Budget, Budget]:
    return Budget(group, "weekdays", minutes), Budget(group, "weekend", minutes)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    path: Path = tmp_path_factory.mktemp("idx") / "categories.idx"
    return make_index(
        path,
        [
            parsed("ut1/games", "games", ["games.example", "both.example"]),
            parsed("ut1/audio-video", "video", ["video.example", "both.example"]),
            parsed("ut1/press", "news", ["news.example"]),
            parsed("hearthguard/helpline", "helpline", ["helpline.example"]),
            parsed("ut1/adult", "adult", ["porn.example"]),
        ],
    )


def snap(index, profile: Profile, holidays: tuple[Holiday, ...] = ()) -> Snapshot:
    return Snapshot(
        version=1,
        profiles={profile.name: profile},
        default_profile=profile.name,
        index=index,
        zone=PRAGUE,
        holidays=holidays,
    )


@pytest.mark.parametrize(
    ("categories", "groups"),
    [
        ({"games"}, {"games", "everything"}),
        ({"games", "video"}, {"games", "video", "everything"}),
        ({"chat"}, {"social", "everything"}),
        (set(), {"everything"}),
        ({"news"}, set()),  # always reachable: counts towards no budget
        ({"video", "health"}, set()),
    ],
)
def test_groups_of_a_request(categories: set[str], groups: set[str]) -> None:
    assert groups_for(categories) == groups


@pytest.mark.parametrize(("raw", "minutes"), [("0", 0), ("90", 90), (" 1440 ", 1440), (60, 60)])
def test_minutes_parse(raw: str | int, minutes: int) -> None:
    assert clean_minutes(raw) == minutes


@pytest.mark.parametrize(
    ("raw", "message"),
    [("-5", "negative"), ("1441", "at most"), ("an hour", "not a number"), ("", "not a number")],
)
def test_bad_minutes_are_refused(raw: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        clean_minutes(raw)


def test_groups_are_known_names() -> None:
    assert clean_group(" Games ") == "games"
    with pytest.raises(InputError, match="games, video, social"):
        clean_group("gaming")


# -- counting -----------------------------------------------------------------------------------


def test_a_minute_counts_once_per_group_and_different_groups_count_each() -> None:
    counter = UsageCounter()
    counter.record("Mia", {"games", "everything"}, at(WEDNESDAY, 10, 0, 5))
    counter.record("Mia", {"games", "everything"}, at(WEDNESDAY, 10, 0, 40))  # same minute
    counter.record("Mia", {"video", "everything"}, at(WEDNESDAY, 10, 0, 50))  # same minute
    counter.record("Mia", {"games", "everything"}, at(WEDNESDAY, 10, 1, 10))
    usage = counter.usage("Mia", at(WEDNESDAY, 10, 2))
    assert usage.used("games", WEDNESDAY) == 2
    assert usage.used("video", WEDNESDAY) == 1
    assert usage.used("everything", WEDNESDAY) == 2
    assert counter.usage("Leo", at(WEDNESDAY, 10, 2)).used("games", WEDNESDAY) == 0


def test_record_reports_only_minutes_newly_counted() -> None:
    counter = UsageCounter()
    first = counter.record("Mia", ["games"], at(WEDNESDAY, 10, 0, 5))
    again = counter.record("Mia", ["games"], at(WEDNESDAY, 10, 0, 59))
    assert len(first) == 1 and first[0][:2] == ("Mia", "games")
    assert again == []


def test_the_count_resets_at_local_midnight() -> None:
    counter = UsageCounter()
    counter.record("Mia", ["games"], at(WEDNESDAY, 23, 59, 30))
    assert counter.usage("Mia", at(WEDNESDAY, 23, 59, 45)).used("games", WEDNESDAY) == 1
    thursday = WEDNESDAY + timedelta(days=1)
    # at local midnight (23:00 UTC) the new day starts with nothing used
    assert counter.usage("Mia", at(thursday, 0, 0, 1)).used("games", thursday) == 0
    counter.record("Mia", ["games"], at(thursday, 0, 0, 30))
    assert counter.usage("Mia", at(thursday, 0, 1)).used("games", thursday) == 1


def test_a_clock_jumping_back_never_counts_a_minute_twice() -> None:
    counter = UsageCounter()
    counter.record("Mia", ["games"], at(WEDNESDAY, 10, 5))
    counter.record("Mia", ["games"], at(WEDNESDAY, 10, 3))  # the clock went back two minutes
    counter.record("Mia", ["games"], at(WEDNESDAY, 10, 5, 30))  # ... and on to 10:05 again
    assert counter.usage("Mia", at(WEDNESDAY, 10, 6)).used("games", WEDNESDAY) == 2
    # back to yesterday: that day is over, nothing is counted and today's count stays
    assert counter.record("Mia", ["games"], at(WEDNESDAY - timedelta(1), 23, 0)) == []
    assert counter.usage("Mia", at(WEDNESDAY, 10, 6)).used("games", WEDNESDAY) == 2


def test_a_clock_jumping_forward_counts_one_minute_not_the_gap() -> None:
    counter = UsageCounter()
    counter.record("Mia", ["games"], at(WEDNESDAY, 10, 0))
    counter.record("Mia", ["games"], at(WEDNESDAY, 13, 0))
    assert counter.usage("Mia", at(WEDNESDAY, 13, 0)).used("games", WEDNESDAY) == 2


def test_the_repeated_hour_of_a_fall_back_night_counts_real_minutes() -> None:
    counter = UsageCounter()
    fall_back = date(2026, 10, 25)
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC).astimezone(PRAGUE)  # 02:30 CEST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC).astimezone(PRAGUE)  # 02:30 CET
    assert first.time() == second.time()
    counter.record("Mia", ["games"], first)
    counter.record("Mia", ["games"], second)
    assert counter.usage("Mia", second).used("games", fall_back) == 2


def test_usage_is_restored_after_a_restart() -> None:
    counter = UsageCounter()
    minute = int(at(WEDNESDAY, 9).timestamp() // 60)
    counter.restore(WEDNESDAY, [("Mia", "games", minute), ("Mia", "games", minute + 1)])
    assert counter.usage("Mia", at(WEDNESDAY, 10)).used("games", WEDNESDAY) == 2


def test_the_same_usage_value_is_returned_until_something_changes() -> None:
    counter = UsageCounter()
    counter.record("Mia", ["games"], at(WEDNESDAY, 10))
    first = counter.usage("Mia", at(WEDNESDAY, 10, 0, 30))
    assert counter.usage("Mia", at(WEDNESDAY, 10, 0, 40)) is first
    counter.record("Mia", ["games"], at(WEDNESDAY, 10, 1))
    assert counter.usage("Mia", at(WEDNESDAY, 10, 1, 30)) is not first


# -- allowances -----------------------------------------------------------------------------------


def test_weekday_and_weekend_allowances_and_bonus_for_one_day() -> None:
    profile = mia(
        Budget("games", "weekdays", 30),
        Budget("games", "weekend", 90),
        bonuses=(Bonus("games", WEDNESDAY, 15), Bonus("games", WEDNESDAY, 10)),
    )
    assert allowance(profile, "games", WEDNESDAY) == 55
    assert allowance(profile, "games", WEDNESDAY + timedelta(1)) == 30  # the bonus was for one day
    assert allowance(profile, "games", SATURDAY) == 90
    assert allowance(profile, "video", WEDNESDAY) is None
    # a holiday treated as weekend gets the weekend allowance
    holiday = (Holiday(WEDNESDAY, WEDNESDAY, "weekend"),)
    assert allowance(profile, "games", WEDNESDAY, holiday) == 115


def test_remaining_lists_used_and_allowed_per_group() -> None:
    counter = UsageCounter()
    for minute in range(12):
        counter.record("Mia", ["games", "everything"], at(WEDNESDAY, 16, minute))
    profile = mia(*both("games", 20), *both("everything", 120))
    usage = counter.usage("Mia", at(WEDNESDAY, 16, 30))
    assert remaining(profile, usage, at(WEDNESDAY, 16, 30)) == {
        "everything": (12, 120),
        "games": (12, 20),
    }


# -- decide --------------------------------------------------------------------------------------


def usage_of(minutes: int, group: str = "games", end: datetime | None = None):
    """A usage with ``minutes`` counted for ``group`` (and everything), ending at ``end``."""
    counter = UsageCounter()
    end = end or at(WEDNESDAY, 16, 0)
    for n in range(minutes):
        counter.record("Mia", [group, "everything"], end - timedelta(minutes=minutes - n))
    return counter


def ask(index, profile: Profile, host: str, usage, now: datetime, **kw) -> tuple[str, str]:
    decision = decide(
        Request(host, "/", usage=usage.usage("Mia", now), **kw),
        profile,
        snap(index, profile, kw.pop("holidays", ())),
        now,
    )
    return decision.reason.value, decision.source or ""


def test_a_spent_budget_blocks_its_group_only(index) -> None:
    profile = mia(*both("games", 60))
    now = at(WEDNESDAY, 16, 0, 30)
    assert ask(index, profile, "games.example", usage_of(59), now)[0] == "not_blocked"
    assert ask(index, profile, "games.example", usage_of(60), now) == (
        "time_budget",
        "time budget: games 60 min",
    )
    assert ask(index, profile, "video.example", usage_of(60), now)[0] == "not_blocked"
    assert ask(index, profile, "plain.example", usage_of(60), now)[0] == "not_blocked"
    # a site in two groups is blocked when either is spent
    assert ask(index, profile, "both.example", usage_of(60), now)[0] == "time_budget"


def test_the_minute_that_spends_the_budget_may_be_used_up(index) -> None:
    profile = mia(*both("games", 1))
    counter = UsageCounter()
    counter.record("Mia", ["games", "everything"], at(WEDNESDAY, 16, 0, 5))
    assert ask(index, profile, "games.example", counter, at(WEDNESDAY, 16, 0, 50))[0] == (
        "not_blocked"
    )
    assert ask(index, profile, "games.example", counter, at(WEDNESDAY, 16, 1, 0))[0] == (
        "time_budget"
    )


def test_a_zero_budget_means_none_of_that_group_today(index) -> None:
    profile = mia(Budget("games", "weekdays", 0), Budget("games", "weekend", 120))
    assert ask(index, profile, "games.example", UsageCounter(), at(WEDNESDAY, 9))[0] == (
        "time_budget"
    )
    assert ask(index, profile, "games.example", UsageCounter(), at(SATURDAY, 9))[0] == (
        "not_blocked"
    )


def test_bonus_time_extends_the_day(index) -> None:
    profile = mia(*both("games", 60), bonuses=(Bonus("games", WEDNESDAY, 15),))
    now = at(WEDNESDAY, 16, 0, 30)
    assert ask(index, profile, "games.example", usage_of(60), now)[0] == "not_blocked"
    assert ask(index, profile, "games.example", usage_of(75), now)[0] == "time_budget"


def test_yesterdays_minutes_do_not_count_today(index) -> None:
    profile = mia(*both("games", 60))
    counter = usage_of(60, end=at(WEDNESDAY, 23, 59))
    thursday = WEDNESDAY + timedelta(days=1)
    assert ask(index, profile, "games.example", counter, at(WEDNESDAY, 23, 59, 30))[0] == (
        "time_budget"
    )
    assert ask(index, profile, "games.example", counter, at(thursday, 0, 0, 30))[0] == (
        "not_blocked"
    )


def test_an_everything_budget_spares_sites_that_are_always_reachable(index) -> None:
    profile = mia(*both("everything", 30))
    now = at(WEDNESDAY, 16, 0, 30)
    assert ask(index, profile, "plain.example", usage_of(30), now)[0] == "time_budget"
    assert ask(index, profile, "games.example", usage_of(30), now)[0] == "time_budget"
    assert ask(index, profile, "news.example", usage_of(30), now)[0] == "protected_category"
    assert ask(index, profile, "helpline.example", usage_of(30), now)[0] == "protected_category"


def test_helplines_stay_reachable_at_bedtime_and_in_a_pause(index) -> None:
    bedtime = Schedule(frozenset(range(1, 8)), time(20, 30), time(7))
    night = at(WEDNESDAY, 22)
    profile = mia(schedules=(bedtime,))
    assert ask(index, profile, "plain.example", UsageCounter(), night) == (
        "schedule",
        "schedule: bedtime",
    )
    assert ask(index, profile, "helpline.example", UsageCounter(), night)[0] == (
        "protected_category"
    )
    paused = mia(paused_until=at(WEDNESDAY, 17))
    assert ask(index, paused, "plain.example", UsageCounter(), at(WEDNESDAY, 16)) == (
        "paused",
        "profile paused: Mia",
    )
    assert ask(index, paused, "helpline.example", UsageCounter(), at(WEDNESDAY, 16))[0] == (
        "protected_category"
    )
    assert ask(index, paused, "plain.example", UsageCounter(), at(WEDNESDAY, 17))[0] == (
        "not_blocked"
    )


def test_a_pause_and_a_schedule_come_before_a_budget_and_parents_rules_before_all(index):
    from policy.values import Action, Rule

    bedtime = Schedule(frozenset(range(1, 8)), time(15), time(17))
    tablet = Device("Tablet", "Mia", paused_until=at(WEDNESDAY, 16, 30))
    profile = mia(*both("games", 0), schedules=(bedtime,))
    now = at(WEDNESDAY, 16)
    assert ask(index, profile, "games.example", UsageCounter(), now, device=tablet) == (
        "paused",
        "device paused: Tablet",
    )
    assert ask(index, profile, "games.example", UsageCounter(), now)[0] == "schedule"
    allowed = replace(profile, rules=(Rule(Action.ALLOW, "games.example"),))
    assert ask(index, allowed, "games.example", UsageCounter(), now)[0] == "parent_allowed"
    # an adult site stays a category block after the budget step lets it through
    assert ask(index, mia(), "porn.example", UsageCounter(), now)[0] == "category_blocked"


def test_when_access_comes_back(index) -> None:
    from policy.values import Action, Decision

    bedtime = Schedule(frozenset(range(1, 8)), time(20, 30), time(7))
    profile = mia(schedules=(bedtime,), paused_until=at(WEDNESDAY, 18))
    night = at(WEDNESDAY, 22)
    blocked = Decision(Action.BLOCK, Reason.SCHEDULE)
    assert access_returns(blocked, profile, None, night, PRAGUE) == at(WEDNESDAY + timedelta(1), 7)
    spent = Decision(Action.BLOCK, Reason.TIME_BUDGET, "games")
    assert access_returns(spent, profile, None, night, PRAGUE) == at(WEDNESDAY + timedelta(1), 0)
    paused = Decision(Action.BLOCK, Reason.PAUSED)
    assert access_returns(paused, profile, None, at(WEDNESDAY, 17), PRAGUE) == at(WEDNESDAY, 18)


def test_the_childs_day_at_a_glance() -> None:
    bedtime = Schedule(frozenset(range(1, 8)), time(20, 30), time(7))
    profile = mia(*both("games", 60), *both("everything", 180), schedules=(bedtime,))
    counter = usage_of(52, end=at(WEDNESDAY, 16))
    view = time_left(
        profile, None, counter.usage("Mia", at(WEDNESDAY, 16)), at(WEDNESDAY, 16), PRAGUE
    )
    assert view.groups == (("games", 52, 60), ("everything", 52, 180))
    assert view.left("games") == 8
    assert view.left("video") is None
    assert view.next_offline == (at(WEDNESDAY, 20, 30), at(WEDNESDAY + timedelta(1), 7), "bedtime")
    assert view.offline_now is None and view.paused_until is None


def test_equal_groups_are_one_object_so_a_cache_per_host_holds_no_copies() -> None:
    first = groups_for(["games", "video"])
    again = groups_for(iter(["video", "games", "games"]))
    assert first == {"games", "video", "everything"}
    assert first is again
    assert groups_for(["chat"]) is groups_for(["chat", "nonexistent"])
    assert groups_for(["games", "health"]) is groups_for(["news"])
