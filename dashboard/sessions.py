"""Parent sessions: a random token in the signed cookie, its record in policy.db.

The cookie alone never logs anyone in: every request looks the token up (by its SHA-256
digest) in ``parent_sessions``. Logging out ends every session of that parent; a new password
ends all the others; removing a parent ends theirs; a session also ends ``SESSION_IDLE`` after
its last use and ``PERMANENT_SESSION_LIFETIME`` after the login, whichever comes first.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app, g, session

from dashboard.storage import policy

__all__ = ["current_digest", "current_parent", "end_all_sessions", "start_session"]

_TOKEN = "sid"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _lifetime() -> timedelta:
    value = current_app.config["PERMANENT_SESSION_LIFETIME"]
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def start_session(username: str) -> bool:
    """Log ``username`` in on this browser with a fresh token (any earlier cookie content is
    dropped); False when there is no such parent."""
    token = secrets.token_urlsafe(32)
    name = policy().start_session(username, _digest(token), now=_now(), lifetime=_lifetime())
    session.clear()
    if name is None:
        return False
    session[_TOKEN] = token
    session["parent"] = name
    session.permanent = True
    g.parent = name
    return True


def current_digest() -> str | None:
    """The digest of this browser's session token (None when it has none)."""
    token = session.get(_TOKEN)
    return _digest(token) if isinstance(token, str) else None


def current_parent() -> str | None:
    """The parent logged in on this request, checked against policy.db once per request; a
    cookie whose session has ended is emptied."""
    if "parent" in g:
        return g.parent  # type: ignore[no-any-return]
    name = None
    digest = current_digest()
    if digest is not None:
        idle = timedelta(seconds=current_app.config["SESSION_IDLE"])
        name = policy().session_parent(digest, now=_now(), idle=idle)
    if name is None:
        if _TOKEN in session or "parent" in session:
            session.clear()  # an ended session: nothing of it stays in the cookie
    elif session.get("parent") != name:
        session["parent"] = name
    g.parent = name
    return name


def end_all_sessions(username: str) -> None:
    """End every session of ``username``, this one included (logout)."""
    policy().end_parent_sessions(username)
    session.clear()
    g.parent = None
