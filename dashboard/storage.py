"""Per-request access to policy.db and activity.db."""

from __future__ import annotations

from flask import Flask, current_app, g

from policy.activity import ActivityStore
from policy.store import PolicyStore

__all__ = ["activity", "init_app", "policy"]


def policy() -> PolicyStore:
    """policy.db for this request (opened on first use, closed when the request ends)."""
    if "policy" not in g:
        g.policy = PolicyStore(current_app.config["DATA"].policy_db)
    return g.policy  # type: ignore[no-any-return]


def activity() -> ActivityStore:
    if "activity" not in g:
        g.activity = ActivityStore(current_app.config["DATA"].activity_db)
    return g.activity  # type: ignore[no-any-return]


def _close(_exc: BaseException | None) -> None:
    for name in ("policy", "activity"):
        store = g.pop(name, None)
        if store is not None:
            store.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)
