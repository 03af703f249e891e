"""First-run setup, login and logout for parents."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from dashboard.forms import LoginForm, SetupForm, show_error
from dashboard.storage import policy
from policy.accounts import check_password, create_parent, setup_token_matches
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
def setup() -> str | Response:
    token = request.values.get("token", "")
    if not setup_token_matches(policy(), token):
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        try:
            create_parent(
                policy(), form.username.data or "", form.password.data or "", actor="setup"
            )
        except InputError as exc:
            show_error(form, exc, "username")
        else:
            session.clear()
            session["parent"] = form.username.data
            session.permanent = True
            return redirect(url_for("home.index"))
    return render_template("auth/setup.html", form=form, token=token)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    form = LoginForm()
    throttle = current_app.extensions["hearthguard.throttle"]
    key = request.remote_addr or "?"
    wait = throttle.blocked_for(key)
    if wait:
        return render_template("auth/login.html", form=form, wait=int(wait) + 1), 429
    if form.validate_on_submit():
        username = form.username.data or ""
        if check_password(policy(), username, form.password.data or ""):
            throttle.succeeded(key)
            session.clear()
            session["parent"] = username
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
        throttle.failed(key)
        form.password.errors = ["That name and password do not match."]
    return render_template("auth/login.html", form=form, wait=0)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    session.clear()
    return redirect(url_for("auth.login"))
