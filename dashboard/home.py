"""The dashboard's front page: what needs attention, today at a glance, the common tasks."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from dashboard.forms import QuickRuleForm, show_error
from dashboard.storage import activity, local_now, policy
from policy.model import Action
from policy.report import activity_report, period_for
from policy.requests import approval_end
from policy.status import read_status
from policy.validate import InputError

bp = Blueprint("home", __name__)


def _page(form: QuickRuleForm | None = None) -> str | tuple[str, int]:
    store = policy()
    form = form or QuickRuleForm(formdata=None, data={"duration": "1h"})
    form.profile.choices = [(n, n) for n in store.profile_names()]  # type: ignore[assignment]
    now = local_now()
    period = period_for("day", now.date(), now.tzinfo)
    children = [
        (p, activity_report(activity(), period, profile=p.name)) for p in store.profiles().values()
    ]
    known = {d.ip for d in store.devices()}
    page = render_template(
        "home.html",
        children=children,
        devices=store.devices(),
        default=store.get_setting("default_profile"),
        new_devices=[s for s in activity().seen_devices() if s.ip not in known],
        pending=activity().requests(where="status = 'pending'", limit=5),
        problems=read_status(current_app.config["DATA"]).get("problems", []),
        form=form,
        now=now,
    )
    return page


@bp.route("/")
def index() -> str | tuple[str, int]:
    return _page()


@bp.route("/allow", methods=["POST"])
def quick_rule() -> str | tuple[str, int] | Response:
    """Allow (or block) a site for a child for a while, from the front page."""
    form = QuickRuleForm()
    form.profile.choices = [(n, n) for n in policy().profile_names()]  # type: ignore[assignment]
    if form.validate_on_submit():
        action = Action.BLOCK if form.action.data == "deny" else Action.ALLOW
        try:
            policy().add_rule(
                form.profile.data or "",
                action,
                form.domain.data or "",
                expires_at=approval_end(form.duration.data or "1h", local_now()),
                actor=session["parent"],
            )
        except InputError as exc:
            show_error(form, exc, "domain")
        else:
            return redirect(url_for("profiles.edit", name=form.profile.data, _anchor="rules"))
    return _page(form)
