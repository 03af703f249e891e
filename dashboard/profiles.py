"""Children's profiles: list, create from an age preset, allow and deny rules."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from classifier.categories import BLOCKABLE, PROTECTED
from dashboard.forms import ProfileForm, RuleForm, show_error
from dashboard.storage import policy
from policy.model import Action, Profile
from policy.validate import InputError

bp = Blueprint("profiles", __name__, url_prefix="/profiles")


def _profile(name: str) -> Profile:
    try:
        return policy().profile(name)
    except InputError:
        abort(404)


@bp.route("/")
def index() -> str:
    return render_template(
        "profiles/index.html",
        profiles=policy().profiles(),
        default=policy().get_setting("default_profile"),
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> str | Response:
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            created = policy().add_profile(
                form.name.data or "", form.preset.data or "", actor=session["parent"]
            )
        except InputError as exc:
            show_error(form, exc)
        else:
            return redirect(url_for("profiles.edit", name=created.name))
    return render_template("profiles/new.html", form=form)


@bp.route("/<name>", methods=["GET", "POST"])
def edit(name: str) -> str | Response:
    profile = _profile(name)
    form = RuleForm()
    if form.validate_on_submit():
        action = Action.ALLOW if form.action.data == "allow" else Action.BLOCK
        try:
            policy().add_rule(profile.name, action, form.domain.data or "", actor=session["parent"])
        except InputError as exc:
            show_error(form, exc, "domain")
        else:
            return redirect(url_for("profiles.edit", name=profile.name))
    return render_template(
        "profiles/edit.html", profile=profile, form=form, blockable=BLOCKABLE, protected=PROTECTED
    )


@bp.route("/<name>/rules/<domain>/delete", methods=["POST"])
def delete_rule(name: str, domain: str) -> Response:
    profile = _profile(name)
    try:
        policy().remove_rule(profile.name, domain, actor=session["parent"])
    except InputError:
        abort(404)
    return redirect(url_for("profiles.edit", name=profile.name))
