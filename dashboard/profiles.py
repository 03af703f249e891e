"""Children's profiles: presets, kinds of sites, allow and deny lists, SafeSearch, schedules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from classifier.categories import BLOCKABLE, PROTECTED
from dashboard.forms import (
    ProfileForm,
    ProfileSettingsForm,
    RenameForm,
    RuleForm,
    ScheduleForm,
    error_text,
    show_error,
)
from dashboard.labels import THEMES
from dashboard.storage import local_now, policy
from dashboard.timerules import time_view
from policy.access_requests import approval_end
from policy.presets import PRESETS
from policy.services import shipped_services
from policy.sites import rule_sites
from policy.validate import InputError, clean_clock
from policy.values import Action, Profile, Schedule

bp = Blueprint("profiles", __name__, url_prefix="/profiles")

Page = str | tuple[str, int]


def _route(suffix: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view under the profile's id (``/profiles/7...``: any name works, ``/`` and
    ``<`` included) and, for older links, under its name."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.route(f"/<int:pid>{suffix}", **options)(view)
        bp.route(f"/<name>{suffix}", **options)(view)
        return view

    return register


def _profile(pid: int | None = None, name: str | None = None) -> Profile:
    """The profile with this id (or, for older links, this name); 404 when there is none."""
    if pid is not None:
        for profile in policy().profiles().values():
            if profile.profile_id == pid:
                return profile
        abort(404)
    try:
        return policy().profile(name or "")
    except InputError:
        abort(404)


def profile_url(profile: Profile, endpoint: str = "profiles.edit", **values: Any) -> str:
    """The address of a profile's page (or one of its forms), by id."""
    return url_for(endpoint, pid=profile.profile_id, **values)


@bp.app_template_global("profile_page")
def profile_page(name: str | None, anchor: str | None = None) -> str:
    """The address of the profile called ``name`` (the list of profiles when there is none),
    for pages that know a profile only by its name, such as log rows."""
    for profile in policy().profiles().values():
        if profile.name == name:
            return profile_url(profile, _anchor=anchor)
    return url_for("profiles.index")


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
    services_error: str | None = None,
    confirm_sites: list[str] | None = None,
) -> str:
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
        service_groups=shipped_services().by_group(),
        preset_services=preset.services if preset else frozenset(),
        protected=PROTECTED,
        is_default=policy().get_setting("default_profile") == profile.name,
        devices=[d for d in policy().devices() if d.profile == profile.name],
        delete_error=delete_error,
        services_error=services_error,
        confirm_sites=confirm_sites,
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
            return redirect(profile_url(created, "profiles.edit"))
    return render_template("profiles/new.html", form=form, presets=PRESETS)


@_route("", methods=["GET", "POST"])
def edit(pid: int | None = None, name: str | None = None) -> Page | Response:
    """The profile page; a POST here adds an allow or deny rule."""
    profile = _profile(pid, name)
    if request.method == "GET":
        return _edit_page(profile)
    form = RuleForm()
    if form.validate_on_submit():
        action = Action.ALLOW if form.action.data == "allow" else Action.BLOCK
        try:
            sites = rule_sites(form.domain.data or "")
            until = approval_end(form.duration.data or "always", local_now())
            typed = (form.domain.data or "").strip().lower()
            unsure = [typed] != sites or request.form.get("ask") == "1"
            if unsure and request.form.get("confirm") != ", ".join(sites):
                # show what the rule will cover ("roblox.com and all its sites") and ask
                return _edit_page(profile, rule_form=form, confirm_sites=sites)
            for site in sites:
                policy().add_rule(
                    profile.name, action, site, expires_at=until, actor=session["parent"]
                )
        except InputError as exc:
            show_error(form, exc, "domain")
        else:
            flash(_rule_message(profile.name, action, sites, until), "rules")
            return redirect(profile_url(profile, "profiles.edit", _anchor="rules"))
    return _edit_page(profile, rule_form=form)


def _rule_message(name: str, action: Action, sites: list[str], until: datetime | None) -> str:
    listed = ", ".join(sites)
    if action is Action.ALLOW:
        text = _(
            "Saved: %(name)s may now open %(sites)s and all their sites", name=name, sites=listed
        )
    else:
        text = _(
            "Saved: %(sites)s and all their sites are now blocked for %(name)s",
            name=name,
            sites=listed,
        )
    if until is not None:
        text += " " + _(
            "until %(when)s", when=until.astimezone(local_now().tzinfo).strftime("%H:%M")
        )
    return text + "."


@_route("/settings", methods=["POST"])
def save_settings(pid: int | None = None, name: str | None = None) -> Page | Response:
    profile = _profile(pid, name)
    form = _settings_form(profile, formdata=True)
    if form.validate_on_submit():
        chosen = set(form.blocked.data or [])
        allowed = set(BLOCKABLE) | set(profile.blocked) | set(PROTECTED)
        strictness = form.strictness.data or "off"
        try:
            unknown = chosen - allowed
            if unknown:
                raise InputError(
                    "blocked",
                    _("Unknown kinds of sites: %(kinds)s.", kinds=", ".join(sorted(unknown))),
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
            flash(_("Saved: what %(name)s’s profile blocks.", name=profile.name), "settings")
            return redirect(profile_url(profile, "profiles.edit", _anchor="settings"))
    return _edit_page(profile, settings_form=form)


@_route("/services", methods=["POST"])
def save_services(pid: int | None = None, name: str | None = None) -> Page | Response:
    """Switch services off (the ticked ones) and on (the others) for the profile."""
    profile = _profile(pid, name)
    chosen = request.form.getlist("service")
    try:
        saved = policy().update_profile(profile.name, services=chosen, actor=session["parent"])
    except InputError as exc:
        return _edit_page(profile, services_error=error_text(exc)), 400
    table = shipped_services()
    names = [s.name for s in table.services if s.id in saved.services]
    flash(
        _("Saved: %(services)s switched off.", services=", ".join(names))
        if names
        else _("Saved: no service is switched off."),
        "services",
    )
    return redirect(profile_url(saved, "profiles.edit", _anchor="services"))


@_route("/reset", methods=["POST"])
def reset(pid: int | None = None, name: str | None = None) -> Response:
    """Block exactly the kinds of sites the profile's preset blocks."""
    profile = _profile(pid, name)
    preset = PRESETS.get(profile.preset)
    if preset is None:
        abort(404)
    policy().update_profile(profile.name, blocked=preset.blocked, actor=session["parent"])
    flash(_("Kinds of sites reset to the “%(preset)s” preset.", preset=_(preset.label)), "settings")
    return redirect(profile_url(profile, "profiles.edit", _anchor="settings"))


@_route("/rename", methods=["POST"])
def rename(pid: int | None = None, name: str | None = None) -> Page | Response:
    profile = _profile(pid, name)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            renamed = policy().update_profile(
                profile.name, new_name=form.name.data or "", actor=session["parent"]
            )
        except InputError as exc:
            show_error(form, exc)
        else:
            flash(_("Saved: the profile is now called “%(name)s”.", name=renamed.name), "manage")
            return redirect(profile_url(renamed, "profiles.edit", _anchor="manage"))
    return _edit_page(profile, rename_form=form)


@_route("/delete", methods=["GET", "POST"])
def delete(pid: int | None = None, name: str | None = None) -> Page | Response:
    """Ask first (a page that says what goes); delete only when that page's button is used."""
    profile = _profile(pid, name)
    if request.method == "GET" or request.form.get("confirm") != "yes":
        devices = [d.name for d in policy().devices() if d.profile == profile.name]
        return render_template("profiles/delete.html", profile=profile, devices=devices)
    try:
        policy().delete_profile(profile.name, actor=session["parent"])
    except InputError as exc:
        return _edit_page(profile, delete_error=error_text(exc))
    flash(_("The profile “%(name)s” was deleted.", name=profile.name), "profiles")
    return redirect(url_for("profiles.index"))


@_route("/rules/<domain>/delete", methods=["POST"])
def delete_rule(pid: int | None = None, name: str | None = None, domain: str = "") -> Response:
    profile = _profile(pid, name)
    try:
        policy().remove_rule(profile.name, domain, actor=session["parent"])
    except InputError:
        abort(404)
    return redirect(profile_url(profile, "profiles.edit", _anchor="rules"))


@_route("/schedules", methods=["POST"])
def add_schedule(pid: int | None = None, name: str | None = None) -> Page | Response:
    profile = _profile(pid, name)
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
            flash(_("Offline time saved: %(window)s.", window=_window_text(schedule)), "schedules")
            return redirect(profile_url(profile, "profiles.edit", _anchor="schedules"))
    return _edit_page(profile, schedule_form=form)


_DAY_NAMES = ("", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _window_text(schedule: Schedule) -> str:
    """``bedtime Mon, Tue 20:30–07:00`` (``Mon–Fri`` for a run of days)."""
    days = sorted(schedule.days)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        named = f"{_(_DAY_NAMES[days[0]])}–{_(_DAY_NAMES[days[-1]])}"
    else:
        named = ", ".join(_(_DAY_NAMES[d]) for d in days)
    clock = f"{schedule.start:%H:%M}–{schedule.end:%H:%M}"
    return f"{schedule.label} {named} {clock}"


@_route("/schedules/<int:schedule_id>/delete", methods=["POST"])
def delete_schedule(
    pid: int | None = None, name: str | None = None, schedule_id: int = 0
) -> Response:
    profile = _profile(pid, name)
    if not policy().remove_schedule(profile.name, schedule_id, actor=session["parent"]):
        abort(404)
    return redirect(profile_url(profile, "profiles.edit", _anchor="schedules"))
