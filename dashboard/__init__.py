"""The parent dashboard: a small Flask app, one blueprint per area."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from flask import Flask, request
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFProtect

from policy.datadir import DataDir, default_data_dir
from ui import TEMPLATES, TRANSLATIONS
from ui.i18n import best_language, format_moment

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the dashboard for the data directory in ``DATA_DIR`` (config or environment)."""
    app = Flask(__name__)
    _configure(app, test_config)
    app.jinja_loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
            jinja2.FileSystemLoader(str(TEMPLATES)),
        ]
    )

    CSRFProtect(app)
    Babel(app, locale_selector=_locale, default_translation_directories=str(TRANSLATIONS))
    _register_areas(app)
    _add_template_helpers(app)
    return app


def _configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Set the dashboard's defaults, then ``test_config`` over them, then the data directory
    (``DATA``) and, unless ``test_config`` gives one, the secret key stored in it."""
    app.config.from_mapping(
        DATA_DIR=str(default_data_dir()),
        PROXY_PORT=8080,
        # __Host-: only ever set over HTTPS for this host and path /, so a page on the plain
        # HTTP side (or another host on the network) cannot plant or overwrite it.
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="__Host-hearthguard_session",
        PERMANENT_SESSION_LIFETIME=12 * 3600,  # a login lasts at most this long
        SESSION_IDLE=2 * 3600,  # ... and ends after this long unused
        MAX_CONTENT_LENGTH=1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        LOGIN_ATTEMPTS=5,  # free failures per account and address (dashboard.throttle)
        LOGIN_DELAY=10.0,  # then one attempt after this many seconds, doubling ...
        LOGIN_MAX_DELAY=300.0,  # ... up to this
        LOGIN_WINDOW=3600.0,  # failures are forgotten after this long without one
        LOGIN_CLOCK=time.monotonic,
        ARGON2_CONCURRENCY=2,  # argon2 checks at once (64 MiB each)
        ARGON2_WAIT=5.0,  # seconds a login waits for a turn before "busy, try again"
        OUI_FILE="/usr/share/ieee-data/oui.txt",
    )
    if test_config:
        app.config.from_mapping(test_config)
    data = DataDir(Path(app.config["DATA_DIR"]))
    app.config["DATA"] = data
    if "SECRET_KEY" not in (test_config or {}):
        app.config["SECRET_KEY"] = data.secret_key.read_text().strip()


def _register_areas(app: Flask) -> None:
    """Hook up the per-request databases and clock, the login guard and security headers,
    then register one blueprint per area."""
    from dashboard import (
        access_requests,
        activity,
        alerts,
        auth,
        check,
        devices,
        errors,
        home,
        learning,
        onboarding,
        profiles,
        public,
        reset,
        security,
        settings,
        storage,
        timerules,
    )

    storage.init_app(app)
    security.init_app(app)
    for module in (
        errors,
        auth,
        home,
        profiles,
        timerules,
        devices,
        access_requests,
        activity,
        alerts,
        check,
        learning,
        settings,
        onboarding,
        public,
        reset,
    ):
        app.register_blueprint(module.bp)


def _add_template_helpers(app: Flask) -> None:
    """The filters, globals and page context every dashboard template can use."""
    from dashboard.alerts import kind_label
    from dashboard.labels import category_label, preset_label, reason_label

    app.jinja_env.filters["category"] = category_label
    app.jinja_env.filters["reason"] = reason_label
    app.jinja_env.filters["preset"] = preset_label
    app.jinja_env.globals["alert_kind"] = kind_label
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["moment"] = _moment
    app.context_processor(_page_context)


def _locale() -> str:
    from dashboard.storage import policy

    return best_language(policy().get_setting("language"), request.headers.get("Accept-Language"))


def _when(value: datetime | str | None, fmt: str = "%d %b %H:%M") -> str:
    """A stored time (or its ISO text) in the household's local time."""
    from dashboard.storage import local_now

    if not value:
        return ""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    return _moment(moment.astimezone(local_now().tzinfo), fmt)


def _moment(value: date, fmt: str) -> str:
    """A date or time as ``fmt`` (strftime codes), in the page's language."""
    return format_moment(value, fmt, str(get_locale() or "en"))


def _page_context() -> dict[str, Any]:
    from dashboard.sessions import current_parent
    from dashboard.storage import activity

    pending = 0
    if request.is_secure and current_parent():
        pending = activity().pending_request_count(cap=100)
    return {"lang": str(get_locale() or "en"), "pending_requests": pending}
