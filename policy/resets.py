"""One-time links for a parent who forgot the password (``hearthguard parent reset-password``).

Only someone at the box's command line can make one. The link carries a random token; policy.db
keeps its SHA-256 digest, the parent's name and an end time. Using it once sets the new password
(which ends every session of that parent) and forgets the token, so the same link never works
twice; making a new link replaces the old one.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from policy.accounts import create_parent
from policy.store import PolicyStore
from policy.validate import InputError

__all__ = ["RESET_LIFETIME", "finish_reset", "new_reset_token", "reset_user"]

RESET_LIFETIME = timedelta(hours=1)
_KEY = "password_reset"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_reset_token(store: PolicyStore, username: str, now: datetime) -> str:
    """A fresh one-time token for ``username``'s new password, valid for ``RESET_LIFETIME``;
    raises ``InputError`` when there is no such parent."""
    names = store.parent_names()
    match = next((n for n in names if n.lower() == username.strip().lower()), None)
    if match is None:
        known = ", ".join(names) or "none yet"
        raise InputError("name", f"There is no parent called “{username}” (parents: {known}).")
    token = secrets.token_urlsafe(24)
    record = {"user": match, "digest": _digest(token), "until": (now + RESET_LIFETIME).isoformat()}
    store.set_record(_KEY, record, actor="cli")
    return token


def reset_user(store: PolicyStore, token: str, now: datetime) -> str | None:
    """The parent ``token`` may set a new password for, or None (unknown, used or expired)."""
    record = store.get_record(_KEY)
    if not isinstance(record, dict) or not token:
        return None
    try:
        until = datetime.fromisoformat(str(record.get("until")))
    except ValueError:
        return None
    if now >= until or not secrets.compare_digest(str(record.get("digest", "")), _digest(token)):
        return None
    user = record.get("user")
    return user if isinstance(user, str) and user in store.parent_names() else None


def finish_reset(store: PolicyStore, token: str, password: str, now: datetime) -> str:
    """Set the new password with a valid token and forget the token; returns the parent's
    name. Raises ``InputError`` ("token") for a used, unknown or expired link, or ("password")
    for a password that is too short — then the link still works."""
    user = reset_user(store, token, now)
    if user is None:
        raise InputError("token", "This link has been used or has expired.")
    create_parent(store, user, password, actor="password reset")
    store.set_record(_KEY, {}, actor="password reset")
    return user
