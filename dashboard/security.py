"""One place for every permission check: parent login, HTTPS, headers, login throttling."""

from __future__ import annotations

import threading
import time
from collections import deque

from flask import Flask, Response, redirect, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

__all__ = ["ANONYMOUS_ENDPOINTS", "LoginThrottle", "PUBLIC_ENDPOINTS", "init_app"]

#: Reachable without a parent login (and over plain HTTP, for devices not yet set up).
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "public.welcome",
        "public.ca_certificate",
        "public.proxy_pac",
        "public.wpad",
        "onboarding.index",
        "onboarding.guide",
        "onboarding.no_certificate",
    }
)
#: Reachable without a login, but only over HTTPS.
ANONYMOUS_ENDPOINTS = frozenset({"auth.login", "auth.setup", "onboarding.trust_check"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class LoginThrottle:
    """At most ``attempts`` failed logins per client address in ``window`` seconds."""

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] > self.window:
            failures.popleft()
        return failures

    def blocked_for(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 when it may try now)."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent(key, now)
            if len(failures) < self.attempts:
                return 0.0
            return self.window - (now - failures[0])

    def failed(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > 10_000:
                self._failures.clear()
            self._recent(key, now).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def _guard() -> BaseResponse | None:
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    if not request.is_secure:
        return redirect(request.url.replace("http://", "https://", 1), code=301)
    if endpoint in ANONYMOUS_ENDPOINTS or session.get("parent"):
        return None
    return redirect(
        url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    )


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint not in PUBLIC_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.extensions["hearthguard.throttle"] = LoginThrottle(
        app.config["LOGIN_ATTEMPTS"], app.config["LOGIN_WINDOW"]
    )
    app.before_request(_guard)
    app.after_request(_headers)
