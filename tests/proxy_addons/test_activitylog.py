"""The activity writer: batches reach activity.db; pruning follows the household's setting."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from policy.activity import ActivityStore
from policy.activitydb.records import DecisionEvent
from proxy_addons.activitylog import ActivityWriter


def event(at, host: str) -> DecisionEvent:
    return DecisionEvent(
        at, None, "192.168.1.20", "Household", host, "allow", "not_blocked", None, None, None
    )


def test_flush_writes_the_queue_and_prune_follows_retention_setting(chain, store, data_dir):
    writer = chain.addon(ActivityWriter)
    now = chain.state.now()
    chain.state.log.decision(event(now - timedelta(days=3), "old.example"))
    chain.state.log.decision(event(now, "new.example"))
    writer.flush()
    activity = ActivityStore(data_dir.activity_db)
    assert {e.host for e in activity.recent_decisions()} == {"old.example", "new.example"}

    writer.prune()  # the default 30 days keeps both
    assert len(activity.recent_decisions()) == 2
    store.set_setting("retention_days", 2)
    chain.refresh()
    writer.prune()
    assert [e.host for e in activity.recent_decisions()] == ["new.example"]
    activity.close()


def test_a_batch_the_locked_database_refuses_waits_for_the_next_write(chain, data_dir):
    """A reader or the dashboard holding activity.db must not cost the log its events."""
    writer = chain.addon(ActivityWriter)
    chain.state.activity.db.execute("PRAGMA busy_timeout = 50")  # the 10 s wait, shortened
    now = chain.state.now()
    chain.state.log.decision(event(now, "first.example"))
    holder = sqlite3.connect(data_dir.activity_db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        writer.flush()
        chain.state.log.decision(event(now, "second.example"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert chain.state.log.dropped == 0
    writer.flush()
    activity = ActivityStore(data_dir.activity_db)
    hosts = [e.host for e in activity.recent_decisions()]
    activity.close()
    assert hosts == ["second.example", "first.example"]  # newest first, the older kept first
