"""Time rules from the command line: settings, schedules, holidays, budgets, bonus time, pauses
and `check --at`; bad input exits 2 with a message and writes nothing."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from hearthguard.cli import main
from policy.store import PolicyStore


def cli(data_dir, *args: str):
    return CliRunner().invoke(main, [*args, "--data-dir", str(data_dir.root)])


def version(data_dir) -> int:
    store = PolicyStore(data_dir.policy_db)
    try:
        return store.version()
    finally:
        store.close()


@pytest.fixture
def mia(data_dir):
    assert cli(data_dir, "profile", "add", "Mia", "--preset", "child").exit_code == 0
    assert (
        cli(
            data_dir, "device", "add", "Tablet", "--ip", "192.168.1.23", "--profile", "Mia"
        ).exit_code
        == 0
    )
    assert cli(data_dir, "setting", "set", "timezone", "Europe/Prague").exit_code == 0
    return data_dir


def check_at(data_dir, at: str, url: str = "example.org") -> dict:
    result = cli(data_dir, "check", "--profile", "Mia", "--at", at, url)
    assert result.exit_code == 0, result.output
    return json.loads(result.output.splitlines()[0])


def test_settings_set_and_list(data_dir) -> None:
    result = cli(data_dir, "setting", "set", "timezone", "America/New_York")
    assert result.exit_code == 0 and "America/New_York" in result.output
    listed = cli(data_dir, "setting", "list")
    assert "timezone\tAmerica/New_York\t" in listed.output
    assert "country\t" in listed.output and "(default)" in listed.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("timezone", "Mars/Olympus"), "not a time zone"),
        (("timezone", "Prague"), "Did you mean Europe/Prague"),
        (("retention_days", "-3"), "between 1 and 365"),
        (("default_profile", "Nobody"), "no profile called"),
        (("colour", "blue"), "no setting called"),
    ],
)
def test_bad_settings_exit_2_and_write_nothing(data_dir, args, message) -> None:
    before = version(data_dir)
    result = cli(data_dir, "setting", "set", *args)
    assert result.exit_code == 2 and message in result.output
    assert version(data_dir) == before


def test_bedtime_through_the_spring_forward_night_with_check_at(mia) -> None:
    added = cli(
        mia, "schedule", "add", "Mia", "--days", "daily", "--from", "20:30", "--until", "07:00"
    )
    assert added.exit_code == 0 and "past midnight" in added.output
    assert check_at(mia, "2026-03-29T06:59")["reason"] == "schedule"
    assert check_at(mia, "2026-03-29T07:00")["reason"] == "not_blocked"
    assert check_at(mia, "2026-03-29T02:30")["source"] == "schedule: bedtime"  # the skipped hour
    assert check_at(mia, "2026-10-25T23:30")["action"] == "block"
    assert check_at(mia, "2026-10-25T20:29")["action"] == "allow"


def test_schedule_list_and_remove(mia) -> None:
    cli(mia, "schedule", "add", "Mia", "--days", "mon-fri", "--from", "20:30", "--until", "07:00")
    cli(
        mia,
        "schedule",
        "add",
        "Mia",
        "--days",
        "sat,sun",
        "--from",
        "19:00",
        "--until",
        "20:00",
        "--device",
        "Tablet",
        "--label",
        "tablet",
    )
    listed = cli(mia, "schedule", "list", "Mia").output.splitlines()
    assert [line.split("\t")[2:] for line in listed] == [
        ["-", "mon-fri", "20:30", "07:00", "bedtime"],
        ["Tablet", "sat,sun", "19:00", "20:00", "tablet"],
    ]
    first = listed[0].split("\t")[0]
    assert cli(mia, "schedule", "remove", "Mia", first).exit_code == 0
    assert len(cli(mia, "schedule", "list", "Mia").output.splitlines()) == 1
    assert cli(mia, "schedule", "remove", "Mia", first).exit_code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--days", "mon-fri", "--from", "25:00", "--until", "07:00"), "hours go to 23"),
        (
            ("--days", "mon-fri", "--from", "09:00", "--until", "08:00"),
            "Did you mean 08:00 until 09:00",
        ),
        (("--days", "mon-fri", "--from", "09:00", "--until", "09:00"), "empty"),
        (("--days", "funday", "--from", "09:00", "--until", "10:00"), "not a set of days"),
        (("--days", "tue", "--from", "06:00", "--until", "08:00"), "overlaps"),
        (
            ("--days", "sat", "--from", "10:00", "--until", "11:00", "--device", "Fridge"),
            "no device",
        ),
    ],
)
def test_bad_windows_exit_2_and_write_nothing(mia, args, message) -> None:
    cli(mia, "schedule", "add", "Mia", "--days", "mon", "--from", "22:00", "--until", "07:00")
    before = version(mia)
    result = cli(mia, "schedule", "add", "Mia", *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert version(mia) == before


def test_a_holiday_lifts_bedtime(mia) -> None:
    cli(mia, "schedule", "add", "Mia", "--days", "mon-fri", "--from", "20:30", "--until", "07:00")
    assert check_at(mia, "2026-12-24T22:00")["reason"] == "schedule"
    added = cli(
        mia,
        "schedule",
        "holiday",
        "--from",
        "2026-12-24",
        "--kind",
        "no-bedtime",
        "--profile",
        "Mia",
    )
    assert added.exit_code == 0
    assert check_at(mia, "2026-12-24T22:00")["reason"] == "not_blocked"
    assert check_at(mia, "2026-12-25T06:00")["reason"] == "not_blocked"  # the same night
    bad = cli(mia, "schedule", "holiday", "--from", "2026-12-24", "--until", "2026-12-01")
    assert bad.exit_code == 2 and "before its first" in bad.output


def test_budgets_and_bonus(mia) -> None:
    assert cli(mia, "budget", "Mia", "games", "0", "--weekdays").exit_code == 0
    assert cli(mia, "budget", "Mia", "games", "120", "--weekend").exit_code == 0
    assert check_at(mia, "2026-11-18T16:00", "roblox.com")["reason"] == "time_budget"
    assert check_at(mia, "2026-11-21T16:00", "roblox.com")["reason"] == "not_blocked"
    result = cli(mia, "bonus", "Mia", "games", "30")
    assert result.exit_code == 0 and "+30 minutes of games today" in result.output
    store = PolicyStore(mia.policy_db)
    try:
        assert [(b.group, b.minutes) for b in store.profile("Mia").bonuses] == [("games", 30)]
        actions = [e["action"] for e in store.audit_log(3)]
    finally:
        store.close()
    assert actions == ["bonus.add", "budget.set", "budget.set"]
    assert cli(mia, "budget", "Mia", "games", "off").exit_code == 0
    assert check_at(mia, "2026-11-18T16:00", "roblox.com")["reason"] == "not_blocked"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("budget", "Mia", "games", "-10"), "negative"),
        (("budget", "Mia", "games", "1500"), "at most"),
        (("budget", "Mia", "gaming", "30"), "not a group of sites"),
        (("budget", "Nobody", "games", "30"), "no profile called"),
        (("bonus", "Mia", "games", "15"), "no games budget"),
        (("bonus", "Mia", "games", "-5"), "negative"),
    ],
)
def test_bad_budgets_exit_2_and_write_nothing(mia, args, message) -> None:
    before = version(mia)
    result = cli(mia, *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert version(mia) == before


def test_pause_and_resume_a_child_and_a_device(mia) -> None:
    result = cli(mia, "pause", "Mia", "--for", "30m")
    assert result.exit_code == 0 and "Mia is paused until" in result.output
    store = PolicyStore(mia.policy_db)
    try:
        until = store.profile("Mia").paused_until
        assert until is not None
        left = until - datetime.now(ZoneInfo("Europe/Prague"))
        assert 29 * 60 < left.total_seconds() <= 30 * 60
        assert cli(mia, "pause", "--device", "tablet", "--until", "morning").exit_code == 0
        device_until = store.device("Tablet").paused_until
        assert device_until is not None
        assert device_until.astimezone(ZoneInfo("Europe/Prague")).strftime("%H:%M") == "07:00"
        assert cli(mia, "resume", "Mia").exit_code == 0
        assert cli(mia, "resume", "--device", "Tablet").exit_code == 0
        assert store.profile("Mia").paused_until is None
        assert store.device("Tablet").paused_until is None
    finally:
        store.close()


@pytest.mark.parametrize(
    "args",
    [
        ("pause", "Mia"),
        ("pause", "Mia", "--for", "5 days"),
        ("pause", "Mia", "--until", "25:00"),
        ("pause", "Mia", "--device", "Tablet", "--for", "1h"),
        ("pause", "--device", "Fridge", "--for", "1h"),
        ("check", "--at", "tomorrow", "example.org"),
    ],
)
def test_bad_pauses_and_times_exit_2_and_write_nothing(mia, args) -> None:
    before = version(mia)
    result = cli(mia, *args)
    assert result.exit_code == 2, result.output
    assert version(mia) == before
