"""``hearthguard alerts``: newest first, one JSON object per line, local times, bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from hearthguard.cli import main
from policy.activity import ActivityStore
from policy.activitydb.records import AlertRecord
from policy.store import PolicyStore


def cli(data_dir, *args: str):
    return CliRunner().invoke(main, [*args, "--data-dir", str(data_dir.root)])


def add(data_dir, kind: str, minutes_ago: int, excerpt: str = "") -> None:
    store = ActivityStore(data_dir.activity_db)
    try:
        store.add_alerts(
            [
                AlertRecord(
                    datetime(2026, 11, 20, 12, 0, tzinfo=UTC) - timedelta(minutes=minutes_ago),
                    "Tablet", "192.168.1.20", "Anna", "chat.example", "chat.example · sam",
                    kind, 0.9, excerpt,
                )
            ]
        )  # fmt: skip
    finally:
        store.close()


def test_json_lines_newest_first(data_dir) -> None:
    add(data_dir, "bullying_received", 30, "you are a loser")
    add(data_dir, "grooming_signs", 10)
    result = cli(data_dir, "alerts", "--json")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["kind"] for r in rows] == ["grooming_signs", "bullying_received"]
    assert rows[1]["excerpt"] == "you are a loser" and rows[0]["excerpt"] == ""
    assert rows[0]["at"] == "2026-11-20T11:50:00+00:00"
    assert set(rows[0]) >= {"id", "at", "kind", "profile", "device", "site", "conversation"}


def test_text_lines_use_the_households_clock(data_dir) -> None:
    store = PolicyStore(data_dir.policy_db)
    store.set_setting("timezone", "Europe/Prague")
    store.close()
    add(data_dir, "bullying_sent", 0, "loser")
    result = cli(data_dir, "alerts")
    assert result.exit_code == 0
    assert result.output.startswith("2026-11-20 13:00\tbullying_sent\tAnna\tTablet")
    assert "“loser”" in result.output


def test_no_alerts_prints_nothing_and_a_bad_limit_exits_2(data_dir) -> None:
    assert cli(data_dir, "alerts", "--json").output == ""
    bad = cli(data_dir, "alerts", "--limit", "0")
    assert bad.exit_code == 2
