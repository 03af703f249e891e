"""The front page's "right now" per child, at the edges: a pause that ends now, an offline
time across midnight, a spent budget, temporary allows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from policy.presets import preset
from policy.rightnow import child_now, running_allows
from policy.values import Action, Budget, Profile, Rule, Schedule, Usage

LONDON = ZoneInfo("Europe/London")
# Friday 27 November 2026, 22:00 in London
FRIDAY_NIGHT = datetime(2026, 11, 27, 22, 0, tzinfo=LONDON)
SCHOOL_NIGHTS = Schedule(frozenset({1, 2, 3, 4, 5}), time(20, 30), time(7, 0), "school nights")


def mia(**kw) -> Profile:
    p = preset("child")
    return Profile("Mia", "child", p.blocked, **kw)


def test_a_pause_that_ends_exactly_now_is_browsing() -> None:
    now = datetime(2026, 11, 25, 16, 0, tzinfo=LONDON)
    state = child_now(mia(paused_until=now), Usage(), now, LONDON)
    assert state.state == "browsing" and state.until is None
    just_before = child_now(mia(paused_until=now), Usage(), now - timedelta(seconds=1), LONDON)
    assert (just_before.state, just_before.until) == ("paused", now)


def test_an_offline_time_across_midnight_ends_the_next_morning() -> None:
    profile = mia(schedules=(SCHOOL_NIGHTS,))
    state = child_now(profile, Usage(), FRIDAY_NIGHT, LONDON)
    assert state.state == "offline" and state.label == "school nights"
    assert state.until == datetime(2026, 11, 28, 7, 0, tzinfo=LONDON)
    # after midnight it is still Friday's window, ending at 07:00 the same morning
    saturday_early = datetime(2026, 11, 28, 6, 59, tzinfo=LONDON)
    state = child_now(profile, Usage(), saturday_early, LONDON)
    assert (state.state, state.until) == ("offline", datetime(2026, 11, 28, 7, 0, tzinfo=LONDON))
    # Saturday night is no school night: Sunday 01:00 is browsing
    assert child_now(
        profile, Usage(), datetime(2026, 11, 29, 1, 0, tzinfo=LONDON), LONDON
    ).state == ("browsing")
    # 07:00 itself is the end
    assert child_now(
        profile, Usage(), datetime(2026, 11, 28, 7, 0, tzinfo=LONDON), LONDON
    ).state == ("browsing")


def test_a_pause_wins_over_an_offline_time() -> None:
    until = FRIDAY_NIGHT + timedelta(hours=12)
    state = child_now(
        mia(schedules=(SCHOOL_NIGHTS,), paused_until=until), Usage(), FRIDAY_NIGHT, LONDON
    )
    assert (state.state, state.until) == ("paused", until)


def test_a_spent_budget_is_time_up_until_midnight() -> None:
    afternoon = datetime(2026, 11, 25, 16, 0, tzinfo=LONDON)
    minutes = frozenset(range(1000, 1060))
    usage = Usage(date(2026, 11, 25), {"games": minutes})
    profile = mia(budgets=(Budget("games", "weekdays", 60),))
    state = child_now(profile, usage, afternoon, LONDON)
    assert (state.state, state.label) == ("time_up", "games")
    assert state.until == datetime(2026, 11, 26, 0, 0, tzinfo=LONDON)
    assert (
        child_now(
            profile, Usage(date(2026, 11, 25), {"games": frozenset(range(59))}), afternoon, LONDON
        ).state
        == "browsing"
    )
    # yesterday's minutes count for nothing today
    assert (
        child_now(profile, Usage(date(2026, 11, 24), {"games": minutes}), afternoon, LONDON).state
        == "browsing"
    )


def test_running_temporary_allows_soonest_first_and_ended_ones_left_out() -> None:
    now = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    rules = (
        Rule(Action.ALLOW, "late.example", now + timedelta(hours=2)),
        Rule(Action.ALLOW, "always.example"),
        Rule(Action.BLOCK, "blocked.example", now + timedelta(hours=1)),
        Rule(Action.ALLOW, "soon.example", now + timedelta(minutes=5)),
        Rule(Action.ALLOW, "ended.example", now),
    )
    assert [r.domain for r in running_allows(mia(rules=rules), now)] == [
        "soon.example",
        "late.example",
    ]
    assert [r.domain for r in child_now(mia(rules=rules), Usage(), now, UTC).allows] == [
        "soon.example",
        "late.example",
    ]
