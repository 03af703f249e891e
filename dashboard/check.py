"""Test a site: type an address, pick a profile, see the decision and why.

The lists and models a check needs (numpy with them) are imported at the first check, so a
dashboard that is only used to set rules never loads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, current_app, render_template, request

from dashboard.forms import CheckForm, show_error
from dashboard.storage import local_now, policy
from policy.sites import rule_sites
from policy.validate import InputError

if TYPE_CHECKING:
    from policy.check import CheckEngine

bp = Blueprint("check", __name__, url_prefix="/check")


def _site(host: str) -> str:
    """The whole site a rule for ``host`` would cover ("" when no rule could name it)."""
    try:
        return rule_sites(host)[0]
    except InputError:
        return ""


def _engine() -> CheckEngine:
    """The app's lists and models for checks, loaded on the first check and again only when
    their files change."""
    from policy.check import CheckEngine

    engine = current_app.extensions.get("hearthguard_check")
    if engine is None:
        engine = current_app.extensions["hearthguard_check"] = CheckEngine(
            current_app.config["DATA"]
        )
    return engine


@bp.route("/", methods=["GET", "POST"])
def index() -> str | tuple[str, int]:
    form = CheckForm()
    form.profile.choices = [(n, n) for n in policy().profile_names()]  # type: ignore[assignment]
    if request.method == "GET":
        form.profile.data = request.args.get("profile") or policy().get_setting("default_profile")
        form.url.data = request.args.get("url", "")[:2000]
    result = None
    site, profile_id, checked_for = "", None, ""
    if form.validate_on_submit():
        from policy.check import check_url

        try:
            profile = policy().profile(form.profile.data or "")
            result = check_url(
                current_app.config["DATA"],
                policy(),
                profile,
                form.url.data or "",
                local_now(),
                _engine(),
            )
        except InputError as exc:
            show_error(form, exc, "url")
        else:
            site, profile_id, checked_for = _site(result[0].host), profile.profile_id, profile.name
    page = render_template(
        "check/index.html",
        form=form,
        result=result,
        site=site,
        profile_id=profile_id,
        checked_for=checked_for,
    )
    return page
