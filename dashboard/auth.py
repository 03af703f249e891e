"""First-run setup, login and logout for parents."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from dashboard.forms import LoginForm, SetupForm, show_error
from dashboard.passwords import PasswordBusy, argon2_slot, check_login, remember_browser
from dashboard.sessions import current_parent, end_all_sessions, start_session
from dashboard.storage import policy
from policy.accounts import create_parent, setup_token_matches
from policy.validate import InputError

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths; anything else goes to the home page."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> str | Response | tuple[str, int]:
    token = request.values.get("token", "")
    if not setup_token_matches(policy(), token):
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        username = form.username.data or ""
        try:
            with argon2_slot():
                create_parent(policy(), username, form.password.data or "", actor="setup")
        except PasswordBusy:
            return render_template("auth/setup.html", form=form, token=token, busy=True), 429
        except InputError as exc:
            show_error(form, exc, "username")
        else:
            start_session(username)
            response = redirect(url_for("home.index"))
            remember_browser(response, username)
            return response
    return render_template("auth/setup.html", form=form, token=token)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """Log a parent in. Which attempts are checked, and how a child's guesses are kept from
    locking a parent out, is ``dashboard.throttle``'s job; a wrong or throttled attempt
    never says whether the name exists."""
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data or ""
        verdict = check_login(username, form.password.data or "")
        if verdict.wait:
            page = render_template(
                "auth/login.html", form=form, wait=verdict.wait, busy=verdict.busy
            )
            return page, 429
        if verdict.ok and start_session(username):
            response = redirect(_safe_next(request.args.get("next")))
            remember_browser(response, username)
            return response
        form.password.errors = [_("That name and password do not match.")]
    return render_template("auth/login.html", form=form, wait=0)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out everywhere: every session of this parent ends, on every device."""
    parent = current_parent()
    if parent:
        end_all_sessions(parent)
    return redirect(url_for("auth.login"))
