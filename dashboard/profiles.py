"""Children's profiles: presets, kinds of sites, allow and deny lists, SafeSearch, schedules."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from classifier.categories import BLOCKABLE, PROTECTED
from dashboard.forms import (
    ProfileForm,
    ProfileSettingsForm,
    RenameForm,
    RuleForm,
    ScheduleForm,
    show_error,
)
from dashboard.labels import THEMES
from dashboard.storage import local_now, policy
from dashboard.timerules import time_view
from policy.model import Action, Profile, Schedule
from policy.presets import PRESETS
from policy.requests import approval_end
from policy.validate import InputError, clean_clock

bp = Blueprint("profiles", __name__, url_prefix="/profiles")

Page = str | tuple[str, int]


def _profile(name: str) -> Profile:
    try:
        return policy().profile(name)
    except InputError:
        abort(404)


def _strictness(profile: Profile) -> str:
    if not profile.content_scan:
        return "off"
    return f"{profile.page_threshold:g}"


def _settings_form(profile: Profile, formdata: bool = False) -> ProfileSettingsForm:
    form = ProfileSettingsForm() if formdata else ProfileSettingsForm(formdata=None)
    level = _strictness(profile)
    if level not in {value for value, _ in form.strictness.choices}:  # type: ignore[union-attr]
        form.strictness.choices = [  # type: ignore[union-attr]
            *form.strictness.choices,  # type: ignore[union-attr]
            (level, _("Custom (%(level)s)", level=level)),
        ]
    if not formdata:
        form.blocked.data = sorted(profile.blocked)
        form.strictness.data = level
        form.safesearch.data = profile.safesearch
        form.youtube.data = profile.youtube
        form.logging.data = profile.logging
    return form


def _edit_page(
    profile: Profile,
    *,
    rule_form: RuleForm | None = None,
    settings_form: ProfileSettingsForm | None = None,
    schedule_form: ScheduleForm | None = None,
    rename_form: RenameForm | None = None,
    delete_error: str | None = None,
) -> Page:
    preset = PRESETS.get(profile.preset)
    extra = sorted(profile.blocked - set(BLOCKABLE))  # categories only an imported list knows
    page = render_template(
        "profiles/edit.html",
        profile=profile,
        form=rule_form or RuleForm(formdata=None),
        settings=settings_form or _settings_form(profile),
        schedule_form=schedule_form or ScheduleForm(formdata=None),
        rename_form=rename_form or RenameForm(formdata=None, data={"name": profile.name}),
        schedules=policy().schedules_with_ids(profile.name),
        themes=THEMES,
        extra_categories=extra,
        preset_blocked=preset.blocked if preset else frozenset(),
        protected=PROTECTED,
        is_default=policy().get_setting("default_profile") == profile.name,
        devices=[d for d in policy().devices() if d.profile == profile.name],
        delete_error=delete_error,
        now=local_now(),
        timeview=time_view(profile),
        time_error=request.args.get("time_error"),
    )
    return page


@bp.route("/")
def index() -> str:
    return render_template(
        "profiles/index.html",
        profiles=policy().profiles(),
        default=policy().get_setting("default_profile"),
        devices=policy().devices(),
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
    return render_template("profiles/new.html", form=form, presets=PRESETS)


@bp.route("/<name>", methods=["GET", "POST"])
def edit(name: str) -> Page | Response:
    """The profile page; a POST here adds an allow or deny rule."""
    profile = _profile(name)
    if request.method == "GET":
        return _edit_page(profile)
    form = RuleForm()
    if form.validate_on_submit():
        action = Action.ALLOW if form.action.data == "allow" else Action.BLOCK
        try:
            until = approval_end(form.duration.data or "always", local_now())
            policy().add_rule(
                profile.name,
                action,
                form.domain.data or "",
                expires_at=until,
                actor=session["parent"],
            )
        except InputError as exc:
            show_error(form, exc, "domain")
        else:
            return redirect(url_for("profiles.edit", name=profile.name, _anchor="rules"))
    return _edit_page(profile, rule_form=form)


@bp.route("/<name>/settings", methods=["POST"])
def save_settings(name: str) -> Page | Response:
    profile = _profile(name)
    form = _settings_form(profile, formdata=True)
    if form.validate_on_submit():
        chosen = set(form.blocked.data or [])
        allowed = set(BLOCKABLE) | set(profile.blocked) | set(PROTECTED)
        strictness = form.strictness.data or "off"
        try:
            unknown = chosen - allowed
            if unknown:
                raise InputError(
                    "blocked", f"Unknown kinds of sites: {', '.join(sorted(unknown))}."
                )
            threshold = None if strictness == "off" else float(strictness)
            policy().update_profile(
                profile.name,
                blocked=chosen,
                content_scan=threshold is not None,
                page_threshold=threshold,
                safesearch=bool(form.safesearch.data),
                youtube=form.youtube.data,
                logging=bool(form.logging.data),
                actor=session["parent"],
            )
        except InputError as exc:
            show_error(form, exc, "blocked")
        else:
            return redirect(url_for("profiles.edit", name=profile.name, saved="settings"))
    return _edit_page(profile, settings_form=form)


@bp.route("/<name>/reset", methods=["POST"])
def reset(name: str) -> Response:
    """Block exactly the kinds of sites the profile's preset blocks."""
    profile = _profile(name)
    preset = PRESETS.get(profile.preset)
    if preset is None:
        abort(404)
    policy().update_profile(profile.name, blocked=preset.blocked, actor=session["parent"])
    return redirect(url_for("profiles.edit", name=profile.name, saved="settings"))


@bp.route("/<name>/rename", methods=["POST"])
def rename(name: str) -> Page | Response:
    profile = _profile(name)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            renamed = policy().update_profile(
                profile.name, new_name=form.name.data or "", actor=session["parent"]
            )
        except InputError as exc:
            show_error(form, exc)
        else:
            return redirect(url_for("profiles.edit", name=renamed.name))
    return _edit_page(profile, rename_form=form)


@bp.route("/<name>/delete", methods=["POST"])
def delete(name: str) -> Page | Response:
    profile = _profile(name)
    try:
        policy().delete_profile(profile.name, actor=session["parent"])
    except InputError as exc:
        return _edit_page(profile, delete_error=exc.message)
    return redirect(url_for("profiles.index"))


@bp.route("/<name>/rules/<domain>/delete", methods=["POST"])
def delete_rule(name: str, domain: str) -> Response:
    profile = _profile(name)
    try:
        policy().remove_rule(profile.name, domain, actor=session["parent"])
    except InputError:
        abort(404)
    return redirect(url_for("profiles.edit", name=profile.name, _anchor="rules"))


@bp.route("/<name>/schedules", methods=["POST"])
def add_schedule(name: str) -> Page | Response:
    profile = _profile(name)
    form = ScheduleForm()
    if form.validate_on_submit():
        try:
            days = {int(d) for d in form.days.data or [] if d.isdigit()}
            schedule = Schedule(
                frozenset(days),
                clean_clock(form.start.data or "", "start"),
                clean_clock(form.end.data or "", "end"),
                form.label.data or "",
                device=request.form.get("device") or None,
            )
            policy().add_schedule(profile.name, schedule, actor=session["parent"])
        except InputError as exc:
            show_error(form, exc, "label")
        else:
            return redirect(url_for("profiles.edit", name=profile.name, _anchor="schedules"))
    return _edit_page(profile, schedule_form=form)


@bp.route("/<name>/schedules/<int:schedule_id>/delete", methods=["POST"])
def delete_schedule(name: str, schedule_id: int) -> Response:
    profile = _profile(name)
    if not policy().remove_schedule(profile.name, schedule_id, actor=session["parent"]):
        abort(404)
    return redirect(url_for("profiles.edit", name=profile.name, _anchor="schedules"))
