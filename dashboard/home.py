"""The dashboard's front page: what needs attention, today at a glance, the common tasks."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from dashboard.forms import QuickRuleForm, show_error
from dashboard.profiles import profile_page
from dashboard.storage import activity, local_now, policy
from policy.access_requests import approval_end
from policy.report import activity_report, period_for
from policy.rightnow import ChildNow, child_now
from policy.sites import rule_sites
from policy.status import read_status
from policy.validate import InputError
from policy.values import Action, Device, Profile, Usage

bp = Blueprint("home", __name__)

#: a device not seen through the filter for this long gets a warning on the front page
QUIET = timedelta(hours=24)


def _usage(day: date, profile: str) -> Usage:
    minutes: dict[str, set[int]] = defaultdict(set)
    for _profile, group, minute in activity().usage_on(day, profile):
        minutes[group].add(minute)
    return Usage(day, {g: frozenset(m) for g, m in minutes.items()})


def _right_now(profiles: list[Profile], now: datetime) -> dict[str, ChildNow]:
    holidays = tuple(policy().holidays())
    zone = now.tzinfo
    assert zone is not None, "local_now() is zone-aware"
    return {p.name: child_now(p, _usage(now.date(), p.name), now, zone, holidays) for p in profiles}


def _device_lines(devices: list[Device], now: datetime) -> dict[str, tuple[datetime | None, bool]]:
    """Per device name: when the proxy last saw it, and whether that is too long ago."""
    seen = {s.ip: s.last_seen for s in activity().seen_devices()}
    lines: dict[str, tuple[datetime | None, bool]] = {}
    for d in devices:
        last = seen.get(d.ip) if d.ip else None
        lines[d.name] = (last, last is None or now - last > QUIET)
    return lines


def _first_steps(
    profiles: list[Profile], devices: list[Device], seen: dict
) -> list[tuple[str, bool, str]]:
    """(step, done, where to do it): add a child, put a device on a profile, see it filtered."""
    default = policy().get_setting("default_profile")
    children = [p for p in profiles if p.name != default]
    on_child = [d for d in devices if d.profile != default]
    filtered = [d for d in devices if seen.get(d.name, (None, True))[0] is not None]
    return [
        ("child", bool(children), url_for("profiles.new")),
        ("device", bool(on_child), url_for("devices.index")),
        ("filtered", bool(filtered), url_for("onboarding.index")),
    ]


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
    devices = store.devices()
    profiles = [p for p, _report in children]
    seen = _device_lines(devices, now)
    page = render_template(
        "home.html",
        children=children,
        right_now=_right_now(profiles, now),
        device_lines=seen,
        first_steps=_first_steps(profiles, devices, seen),
        devices=devices,
        default=store.get_setting("default_profile"),
        new_devices=[s for s in activity().seen_devices() if s.ip not in known],
        pending=activity().pending_requests(limit=5),
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
            until = approval_end(form.duration.data or "1h", local_now())
            for site in rule_sites(form.domain.data or ""):
                policy().add_rule(
                    form.profile.data or "", action, site, expires_at=until, actor=session["parent"]
                )
        except InputError as exc:
            show_error(form, exc, "domain")
        else:
            return redirect(profile_page(form.profile.data, "rules"))
    return _page(form)
