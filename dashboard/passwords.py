"""Password work in the dashboard: throttled checks, at most two argon2 runs at a time, and the
"known browser" cookie that keeps a parent's own browser out of other people's throttling.

Each argon2 check or hash takes 64 MiB for a moment, so the number running at once is capped
(``ARGON2_CONCURRENCY``, 2); a request that cannot get a turn within ``ARGON2_WAIT`` seconds is
answered "busy, try again" without touching a password. ``dashboard.throttle`` explains which
attempts are checked at all.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from dashboard.storage import policy
from dashboard.throttle import Key, LoginThrottle, ThrottleLimits, attempt_keys
from policy.accounts import check_password

__all__ = [
    "BROWSER_COOKIE",
    "PasswordBusy",
    "Verdict",
    "argon2_slot",
    "check_login",
    "check_password_throttled",
    "init_app",
    "remember_browser",
]

BROWSER_COOKIE = "__Host-hearthguard_browser"
_BROWSER_SALT = "hearthguard.known-browser"
_BROWSER_MAX_AGE = 400 * 24 * 3600


class PasswordBusy(Exception):
    """No argon2 turn came free in time; nothing was checked or changed."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """``ok`` when the password was checked and right; ``wait`` > 0 when it was not checked
    (throttled, or the server was busy) and the person should try again after that long."""

    ok: bool
    wait: int = 0
    busy: bool = False


@contextmanager
def argon2_slot() -> Iterator[None]:
    """Hold one of the few argon2 turns; raises ``PasswordBusy`` after a short wait."""
    slots: threading.BoundedSemaphore = current_app.extensions["hearthguard.argon2"]
    if not slots.acquire(timeout=current_app.config["ARGON2_WAIT"]):
        raise PasswordBusy
    try:
        yield
    finally:
        slots.release()


def _throttle() -> LoginThrottle:
    return current_app.extensions["hearthguard.throttle"]  # type: ignore[no-any-return]


def failures_remembered(app: Flask) -> bool:
    """Whether the login throttle of ``app`` still counts a failed login (it lives in memory
    only, so the dashboard must not stop while it does)."""
    throttle: LoginThrottle = app.extensions["hearthguard.throttle"]
    return throttle.remembers_failures()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_BROWSER_SALT)  # type: ignore[arg-type]


def _account(username: str) -> str:
    return " ".join(username.split()).casefold()[:64]


def known_browser(username: str) -> str | None:
    """The id of this browser if its cookie says it has logged in to ``username`` before."""
    raw = request.cookies.get(BROWSER_COOKIE)
    if not raw or len(raw) > 512:
        return None
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(value, list) or len(value) != 2 or value[0] != _account(username):
        return None
    return str(value[1])[:64]


def remember_browser(response: Response, username: str) -> None:
    """Mark this browser as one that has logged in to ``username`` (a signed, HttpOnly,
    Secure cookie sent only to the login page)."""
    browser = known_browser(username) or secrets.token_urlsafe(12)
    response.set_cookie(
        BROWSER_COOKIE,
        _serializer().dumps([_account(username), browser]),
        max_age=_BROWSER_MAX_AGE,
        secure=True,
        httponly=True,
        samesite="Strict",
        path="/",
    )


def _checked(keys: tuple[Key, ...], username: str, password: str) -> Verdict:
    throttle = _throttle()
    attempt = throttle.admit(keys)
    if not attempt.allowed:
        return Verdict(False, wait=int(attempt.wait) + 1)
    try:
        with argon2_slot():
            right = check_password(policy(), username, password)
    except PasswordBusy:
        throttle.not_checked(attempt)
        return Verdict(False, wait=2, busy=True)
    except BaseException:
        throttle.not_checked(attempt)
        raise
    if right:
        throttle.succeeded(attempt)
    return Verdict(right)


def check_login(username: str, password: str) -> Verdict:
    """Check a login, throttled by this browser (when known for the account), else by
    account and address."""
    keys = attempt_keys(username, request.remote_addr or "?", known_browser(username))
    return _checked(keys, username, password)


def check_password_throttled(username: str, password: str, session_key: str) -> Verdict:
    """Check a logged-in parent's current password (before a change), throttled per session."""
    return _checked((("session", _account(username), session_key),), username, password)


def init_app(app: Flask) -> None:
    limits = ThrottleLimits(
        per_pair=app.config["LOGIN_ATTEMPTS"],
        per_account=2 * app.config["LOGIN_ATTEMPTS"],
        per_address=4 * app.config["LOGIN_ATTEMPTS"],
        per_browser=app.config["LOGIN_ATTEMPTS"],
        delay=app.config["LOGIN_DELAY"],
        max_delay=app.config["LOGIN_MAX_DELAY"],
        window=app.config["LOGIN_WINDOW"],
    )
    app.extensions["hearthguard.throttle"] = LoginThrottle(limits, app.config["LOGIN_CLOCK"])
    app.extensions["hearthguard.argon2"] = threading.BoundedSemaphore(
        app.config["ARGON2_CONCURRENCY"]
    )
