"""Parent accounts: argon2 password hashes and the one-time first-run setup token."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from policy.messages import N_
from policy.store import PolicyStore
from policy.validate import InputError

__all__ = [
    "MIN_PASSWORD",
    "check_password",
    "create_parent",
    "new_setup_token",
    "setup_token_matches",
]

MIN_PASSWORD = 10
_hasher = PasswordHasher()


def create_parent(
    store: PolicyStore,
    username: str,
    password: str,
    *,
    actor: str,
    keep_session: str | None = None,
) -> None:
    """Create a parent account, or set a new password for an existing one (which ends every
    session of that parent but ``keep_session``, the digest of the one making the change)."""
    if len(password) < MIN_PASSWORD:
        raise InputError("password", N_("Use at least %(n)s characters."), n=MIN_PASSWORD)
    if len(password) > 1024:
        raise InputError("password", N_("That password is too long."))
    store.set_parent(username, _hasher.hash(password), actor=actor, keep_session=keep_session)
    store.set_record("setup_token", "", actor=actor)


def check_password(store: PolicyStore, username: str, password: str) -> bool:
    """True when the password is right; spends the same effort for unknown usernames."""
    stored = store.parent_hash(username)
    try:
        if stored is None:
            _hasher.verify(_dummy_hash(), password)
            return False
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown names (made on first use: it costs 64 MiB)."""
    return _hasher.hash("not a real password")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_setup_token(store: PolicyStore) -> str | None:
    """A fresh one-time setup token while no parent account exists (else None)."""
    if store.parent_names():
        return None
    token = secrets.token_urlsafe(24)
    store.set_record("setup_token", _digest(token))
    return token


def setup_token_matches(store: PolicyStore, token: str) -> bool:
    """True while no parent exists and ``token`` is the latest setup token."""
    expected = store.get_record("setup_token")
    if not expected or store.parent_names():
        return False
    return secrets.compare_digest(expected, _digest(token or ""))
