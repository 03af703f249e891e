"""policy.db's time rules: budgets, bonus time, pauses per child, device windows, holidays,
the household's zone; bad input writes nothing, every change is audited and bumps the version."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from policy.settings import system_zone_name
from policy.store import PolicyStore, load_snapshot
from policy.validate import InputError
from policy.values import Holiday, Schedule

EVERY_DAY = frozenset(range(1, 8))


@pytest.fixture
def family(store: PolicyStore) -> PolicyStore:
    store.add_profile("Mia", "child")
    store.add_device("Tablet", profile="Mia", ip="192.168.1.23")
    store.add_device("Phone", profile="Mia", ip="192.168.1.24")
    return store


def snapshot_of(store: PolicyStore):
    return load_snapshot(store)


def test_budgets_are_set_changed_and_removed(family: PolicyStore) -> None:
    family.set_budget("Mia", "games", 60, actor="test")
    family.set_budget("Mia", "games", 120, days=["weekend"], actor="test")
    budgets = {(b.group, b.days): b.minutes for b in family.profile("Mia").budgets}
    assert budgets == {("games", "weekdays"): 60, ("games", "weekend"): 120}
    family.set_budget("Mia", "games", None, days=["weekdays"], actor="test")
    assert [(b.days, b.minutes) for b in family.profile("Mia").budgets] == [("weekend", 120)]
    assert family.audit_log(1)[0]["action"] == "budget.set"


@pytest.mark.parametrize(
    ("group", "minutes", "field"),
    [("games", -1, "minutes"), ("games", 1441, "minutes"), ("gaming", 30, "group")],
)
def test_bad_budgets_write_nothing(family: PolicyStore, group: str, minutes: int, field: str):
    version = family.version()
    with pytest.raises(InputError) as err:
        family.set_budget("Mia", group, minutes)
    assert err.value.field == field
    assert family.version() == version and family.profile("Mia").budgets == ()


def test_bonus_time_needs_a_budget_and_adds_up(family: PolicyStore) -> None:
    today = date(2026, 11, 29)
    with pytest.raises(InputError, match="no games budget"):
        family.add_bonus("Mia", "games", 15, today)
    family.set_budget("Mia", "games", 60)
    assert family.add_bonus("Mia", "games", 15, today, actor="mum") == 15
    assert family.add_bonus("Mia", "games", 10, today, actor="mum") == 25
    with pytest.raises(InputError):
        family.add_bonus("Mia", "games", 0, today)
    assert sum(b.minutes for b in family.profile("Mia").bonuses if b.day == today) == 25
    assert family.audit_log(1)[0]["detail"] == "Mia: games +10 min on 2026-11-29"


def test_a_child_is_paused_on_every_device_and_resumed(family: PolicyStore) -> None:
    until = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    family.pause_profile("Mia", until, actor="dad")
    assert family.profile("Mia").paused_until == until
    snap = snapshot_of(family)
    assert snap.profiles["Mia"].paused(datetime(2026, 11, 29, 19, 0, tzinfo=UTC))
    family.pause_profile("Mia", None, actor="dad")
    assert family.profile("Mia").paused_until is None
    assert [e["action"] for e in family.audit_log(2)] == ["profile.pause", "profile.pause"]


def test_device_windows_belong_to_the_device(family: PolicyStore) -> None:
    family.add_schedule("Mia", Schedule(EVERY_DAY, time(20, 30), time(7), "bedtime"))
    family.add_schedule("Mia", Schedule(EVERY_DAY, time(19), time(20), "tablet", device="tablet"))
    assert [s.label for s in family.profile("Mia").schedules] == ["bedtime"]
    tablet = family.device("Tablet")
    assert [(s.label, s.device) for s in tablet.schedules] == [("tablet", "Tablet")]
    assert family.device("Phone").schedules == ()
    listed = family.schedules_with_ids("Mia")
    assert [s.device for _, s in listed] == [None, "Tablet"]
    assert family.remove_schedule("Mia", listed[1][0])
    assert family.device("Tablet").schedules == ()


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (Schedule(EVERY_DAY, time(9), time(8)), "Did you mean"),
        (Schedule(EVERY_DAY, time(9), time(9)), "empty"),
        (Schedule(frozenset(), time(9), time(10)), "at least one day"),
        (Schedule(frozenset({1}), time(6), time(8)), "overlaps"),
        (Schedule(EVERY_DAY, time(19), time(20), device="Fridge"), "no device"),
    ],
)
def test_bad_windows_write_nothing(family: PolicyStore, schedule: Schedule, message: str) -> None:
    family.add_schedule("Mia", Schedule(frozenset({7}), time(20, 30), time(7), "school night"))
    version = family.version()
    with pytest.raises(InputError, match=message):
        family.add_schedule("Mia", schedule)
    assert family.version() == version and len(family.schedules_with_ids("Mia")) == 1


def test_a_device_window_must_be_for_the_childs_own_device(family: PolicyStore) -> None:
    family.add_profile("Leo", "teen")
    with pytest.raises(InputError, match="uses the profile"):
        family.add_schedule("Leo", Schedule(EVERY_DAY, time(19), time(20), device="Tablet"))


def test_holidays_reach_the_snapshot(family: PolicyStore) -> None:
    family.add_holiday(
        Holiday(date(2026, 12, 21), date(2027, 1, 1), "weekend", "winter break"), actor="mum"
    )
    family.add_holiday(Holiday(date(2026, 12, 24), date(2026, 12, 24), "no_bedtime", profile="Mia"))
    snap = snapshot_of(family)
    assert [(h.label, h.kind, h.profile) for h in snap.holidays] == [
        ("winter break", "weekend", None),
        ("holiday", "no_bedtime", "Mia"),
    ]
    with pytest.raises(InputError, match="before its first"):
        family.add_holiday(Holiday(date(2026, 12, 24), date(2026, 12, 23), "weekend"))
    with pytest.raises(InputError, match="weekend, no_bedtime"):
        family.add_holiday(Holiday(date(2026, 12, 24), date(2026, 12, 24), "party"))
    first = snap.holidays[0].holiday_id
    assert first is not None and family.remove_holiday(first)
    assert len(family.holidays()) == 1


def test_time_rule_changes_bump_the_version(family: PolicyStore) -> None:
    before = family.version()
    family.set_budget("Mia", "video", 90)
    family.add_bonus("Mia", "video", 5, date(2026, 11, 29))
    family.add_holiday(Holiday(date(2026, 12, 24), date(2026, 12, 24), "weekend"))
    assert family.version() >= before + 4  # two budget rows, a bonus, a holiday


def test_the_household_zone_reaches_the_snapshot(family: PolicyStore) -> None:
    family.set_setting("timezone", "America/New_York")
    assert str(snapshot_of(family).zone) == "America/New_York"
    with pytest.raises(InputError, match="not a time zone"):
        family.set_setting("timezone", "Not/AZone")
    with family.transaction() as conn:  # damaged on disk: the system's zone, never a crash
        conn.execute("UPDATE settings SET value = '\"Not/AZone\"' WHERE key = 'timezone'")
    assert family.get_setting("timezone") == "Not/AZone"
    assert str(snapshot_of(family).zone) == system_zone_name()


def test_migrations_apply_twice(family: PolicyStore) -> None:
    from policy.policydb.schema import migrations

    migrations.apply(family.db)
    assert {"budgets", "bonuses", "holidays"} <= set(family.db.table_names())


def test_a_backup_keeps_budgets_and_the_household_zone(family: PolicyStore) -> None:
    import json

    from policy.config_io import export_configuration, import_configuration

    family.set_budget("Mia", "games", 45, days=["weekdays"])
    family.set_setting("timezone", "Europe/Prague")
    family.add_schedule("Mia", Schedule(EVERY_DAY, time(19), time(20), "tablet", device="Tablet"))
    document = export_configuration(family, datetime(2026, 11, 29, tzinfo=UTC))
    family.set_budget("Mia", "games", None)
    family.set_setting("timezone", "UTC")
    import_configuration(
        family,
        json.dumps(document).encode(),
        languages=("en",),
        actor="test",
    )
    assert [(b.group, b.days, b.minutes) for b in family.profile("Mia").budgets] == [
        ("games", "weekdays", 45)
    ]
    assert family.get_setting("timezone") == "Europe/Prague"
    assert [(s.label, s.device) for s in family.device("Tablet").schedules] == [
        ("tablet", "Tablet")
    ]
    assert family.device("Phone").schedules == ()
    document["profiles"][-1]["budgets"] = [{"group": "games", "days": "weekdays", "minutes": -5}]
    document["settings"]["timezone"] = "Mars/Olympus"
    with pytest.raises(InputError) as err:
        import_configuration(
            family,
            json.dumps(document).encode(),
            languages=("en",),
                actor="test",
        )
    assert "negative" in err.value.message and "time zone" in err.value.message
