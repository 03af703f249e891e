from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from policy.access_requests import answer, approval_end
from policy.activity import ActivityStore
from policy.decide import decide
from policy.store import load_snapshot
from policy.validate import InputError
from policy.values import Action, Request

LOCAL = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 18, 20, 30, tzinfo=LOCAL)


def ask(activity: ActivityStore, host: str = "casino.example") -> int:
    return activity.add_request(
        device="Tablet",
        ip="192.168.1.20",
        profile="Household",
        host=host,
        url=f"http://{host}/",
        category="gambling",
        reason="category_blocked",
        message="homework",
        now=NOW,
    )


def test_approval_ends() -> None:
    assert approval_end("15m", NOW) == NOW + timedelta(minutes=15)
    assert approval_end("1h", NOW) == NOW + timedelta(hours=1)
    assert approval_end("today", NOW) == datetime(2026, 11, 19, 0, 0, tzinfo=LOCAL)
    assert approval_end("always", NOW) is None
    with pytest.raises(InputError):
        approval_end("forever-ish", NOW)


def test_approving_allows_the_site_until_the_end(store, data_dir) -> None:
    store.add_rule("Household", Action.BLOCK, "casino.example")
    activity = ActivityStore(data_dir.activity_db)
    rid = ask(activity)
    done = answer(
        store, activity, rid, approve=True, duration="15m", note="just today", actor="mum", now=NOW
    )
    assert (done.status, done.note, done.until) == (
        "approved",
        "just today",
        NOW + timedelta(minutes=15),
    )
    snapshot = load_snapshot(store)
    request, household = Request("casino.example", "/"), snapshot.profiles["Household"]
    assert not decide(request, household, snapshot, NOW + timedelta(minutes=14)).blocked
    assert decide(request, household, snapshot, NOW + timedelta(minutes=16)).blocked  # deny back
    with pytest.raises(InputError, match="already approved"):
        answer(store, activity, rid, approve=False, actor="mum", now=NOW)
    activity.close()


def test_declining_writes_no_rule(store, data_dir) -> None:
    activity = ActivityStore(data_dir.activity_db)
    rid = ask(activity)
    before = store.version()
    done = answer(
        store, activity, rid, approve=False, note="not on school nights", actor="dad", now=NOW
    )
    assert (done.status, done.until) == ("declined", None)
    assert store.version() == before
    with pytest.raises(InputError, match="no longer exists"):
        answer(store, activity, 9999, approve=True, actor="dad", now=NOW)
    activity.close()
