"""Per-request access to policy.db and activity.db, and the dashboard's clock."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, g

from policy.activity import ActivityStore
from policy.settings import household_zone
from policy.store import PolicyStore

__all__ = ["activity", "init_app", "local_now", "policy"]


def policy() -> PolicyStore:
    """policy.db for this request (opened on first use, closed when the request ends)."""
    if "policy" not in g:
        g.policy = PolicyStore(current_app.config["DATA"].policy_db)
    return g.policy  # type: ignore[no-any-return]


def activity() -> ActivityStore:
    if "activity" not in g:
        g.activity = ActivityStore(current_app.config["DATA"].activity_db)
    return g.activity  # type: ignore[no-any-return]


def local_now() -> datetime:
    """The household's local time: the ``CLOCK`` setting (so tests can fix it), on the
    household's zone when the ``timezone`` setting names one."""
    now: datetime = current_app.config["CLOCK"]()
    zone = policy().get_setting("timezone")
    return now.astimezone(household_zone(zone)) if zone else now


def _system_clock() -> datetime:
    return datetime.now().astimezone()


def _close(_exc: BaseException | None) -> None:
    for name in ("policy", "activity"):
        store = g.pop(name, None)
        if store is not None:
            store.close()


def init_app(app: Flask) -> None:
    app.config.setdefault("CLOCK", _system_clock)
    app.teardown_appcontext(_close)
