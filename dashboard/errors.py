"""Error pages in the dashboard's own look: every 400, 403, 404, 405 and 500 says what happened
and where to go next, and a used set-up link says that Hearthguard is already set up."""

from __future__ import annotations

import logging

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

bp = Blueprint("errors", __name__)
log = logging.getLogger(__name__)

#: (heading, explanation) per status; anything else is shown as the nearest of these
_TEXTS = {
    400: (
        _l("That did not work"),
        _l(
            "The page sent something Hearthguard could not use. "
            "Go back, reload the page and try again."
        ),
    ),
    403: (_l("Not allowed"), _l("This page is not open to you.")),
    404: (
        _l("Page not found"),
        _l("There is no page at this address: it may have been renamed or deleted."),
    ),
    405: (
        _l("That did not work"),
        _l("This page cannot be used like that. Go back and use its buttons."),
    ),
    500: (
        _l("Something went wrong"),
        _l(
            "Hearthguard could not show this page. Nothing you did caused it; try again in a "
            "moment. Filtering goes on as before."
        ),
    ),
}


def _page(status: int, *, heading: str | None = None, text: str | None = None) -> tuple[str, int]:
    default_heading, default_text = _TEXTS.get(status, _TEXTS[400 if status < 500 else 500])
    page = render_template(
        "errors/error.html",
        status=status,
        heading=heading or default_heading,
        text=text or default_text,
        setup_used=False,
    )
    return page, status


def _used_setup_link() -> tuple[str, int]:
    page = render_template(
        "errors/error.html",
        status=404,
        heading=_("Hearthguard is already set up"),
        text=_("This set-up link has been used: a parent account exists. Log in with it."),
        setup_used=True,
    )
    return page, 404


@bp.app_errorhandler(CSRFError)
def csrf_expired(error: CSRFError) -> tuple[str, int]:
    return _page(
        400,
        heading=_("The form had expired"),
        text=_(
            "Forms stay valid while you are logged in. Go back, reload the page and send it again."
        ),
    )


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
    status = error.code or 500
    if status < 400 or status in (401, 413, 429):
        return error  # redirects, and the pages that handle their own statuses
    if status == 404 and request.endpoint == "auth.setup":
        from dashboard.storage import policy

        if policy().parent_names():
            return _used_setup_link()
    return _page(status)


@bp.app_errorhandler(InternalServerError)
def server_error(error: InternalServerError) -> tuple[str, int]:
    original = getattr(error, "original_exception", None)
    if original is not None:
        log.error("Dashboard page failed: %s: %s", type(original).__name__, original)
    try:
        return _page(500)
    except Exception:  # noqa: BLE001 - the error page must not fail in turn
        return "Something went wrong. Try again in a moment.", 500
