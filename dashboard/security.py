"""One place for every permission check: parent login (a live server-side session), HTTPS,
headers. Login throttling and argon2 limits are in ``dashboard.passwords``."""

from __future__ import annotations

from flask import Flask, Response, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from dashboard import passwords
from dashboard.sessions import current_parent

__all__ = ["ANONYMOUS_ENDPOINTS", "PUBLIC_ENDPOINTS", "init_app"]

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
ANONYMOUS_ENDPOINTS = frozenset(
    {"auth.login", "auth.setup", "onboarding.trust_check", "reset.reset_password"}
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _guard() -> BaseResponse | None:
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    if not request.is_secure:
        return redirect(request.url.replace("http://", "https://", 1), code=301)
    if endpoint in ANONYMOUS_ENDPOINTS or current_parent():
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
    passwords.init_app(app)
    app.before_request(_guard)
    app.after_request(_headers)
