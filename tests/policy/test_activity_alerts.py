"""activity.db's chat-safety alerts: the named migration, named queries, retention."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from policy.activity import ActivityStore
from policy.activitydb.records import AlertRecord

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def record(
    minutes_ago: float, kind: str = "bullying_received", excerpt: str = "loser"
) -> AlertRecord:
    return AlertRecord(
        NOW - timedelta(minutes=minutes_ago),
        "Tablet",
        "192.168.1.20",
        "Anna",
        "chat.example",
        "chat.example · sam",
        kind,
        0.9,
        excerpt,
    )


def test_the_migration_adds_columns_to_an_old_alerts_table_and_is_safe_twice(tmp_path) -> None:
    path = tmp_path / "activity.db"
    ActivityStore(path).close()
    ActivityStore(path).close()
    columns = {r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(alerts)")}
    assert {"profile", "conversation", "detail", "excerpt", "seen"} <= columns


def test_alerts_newest_first_after_a_cursor_and_seen(tmp_path) -> None:
    store = ActivityStore(tmp_path / "activity.db")
    ids = store.add_alerts([record(30), record(20, "grooming_signs"), record(10, "sexual_content")])
    assert [a.kind for a in store.alerts()] == [
        "sexual_content",
        "grooming_signs",
        "bullying_received",
    ]
    assert [a.alert_id for a in store.alerts_after(ids[0])] == ids[1:]
    assert store.unseen_alert_count() == 3 and store.latest_alert_id() == ids[-1]
    store.mark_alerts_seen(ids[1])
    assert store.unseen_alert_count() == 1
    assert store.alerts(1)[0].as_json()["seen"] is False


def test_texts_are_made_safe_and_capped(tmp_path) -> None:
    store = ActivityStore(tmp_path / "activity.db")
    store.add_alerts([record(1, excerpt="bad\x00bytes \udc80 " + "x" * 2000)])
    kept = store.alerts()[0].excerpt
    assert "\x00" not in kept and "\\x80" in kept and len(kept) <= 500


def test_alerts_and_their_excerpts_go_with_the_retention_period(tmp_path) -> None:
    store = ActivityStore(tmp_path / "activity.db")
    store.add_alerts([record(60 * 24 * 40, excerpt="old words"), record(5, excerpt="new words")])
    store.prune(NOW - timedelta(days=30))
    assert [a.excerpt for a in store.alerts()] == ["new words"]
    raw = sqlite3.connect(tmp_path / "activity.db").execute(
        "SELECT group_concat(excerpt) FROM alerts"
    )
    assert "old words" not in raw.fetchone()[0]
