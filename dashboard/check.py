"""Test a site: type an address, pick a profile, see the decision and why."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from dashboard.forms import CheckForm, show_error
from dashboard.storage import local_now, policy
from policy.check import check_url
from policy.validate import InputError

bp = Blueprint("check", __name__, url_prefix="/check")


@bp.route("/", methods=["GET", "POST"])
def index() -> str | tuple[str, int]:
    form = CheckForm()
    form.profile.choices = [(n, n) for n in policy().profile_names()]  # type: ignore[assignment]
    if request.method == "GET":
        form.profile.data = request.args.get("profile") or policy().get_setting("default_profile")
        form.url.data = request.args.get("url", "")[:2000]
    result = None
    if form.validate_on_submit():
        try:
            result = check_url(
                current_app.config["DATA"],
                policy(),
                form.profile.data or "",
                form.url.data or "",
                local_now(),
            )
        except InputError as exc:
            show_error(form, exc, "url")
    page = render_template("check/index.html", form=form, result=result)
    return page
