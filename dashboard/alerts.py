"""Alerts: chat-safety alerts and children's reports, guidance for parents, notifications.

``/alerts/`` lists alerts newest first (opening it marks them seen, which clears the badge);
``/alerts/guide/<kind>`` is a short page on talking with the child, with the household's
national helplines; the notification and chat-watch settings live in a section of the
Settings page whose forms post here (``/alerts/settings``, ``/alerts/test``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from dashboard.storage import activity, policy
from policy.alerts import DEFAULT_WATCH, WATCH_MODES, AlertKind, parse_chat_watch, watch_mode
from policy.helplines import help_for
from policy.notify import (
    KIND_LABELS,
    NOTIFY_KINDS,
    Notice,
    NotifySettings,
    clean_notify_kinds,
    clean_notify_urls,
    clean_quiet_hours,
)
from policy.notify_send import send
from policy.validate import InputError

bp = Blueprint("alerts", __name__, url_prefix="/alerts")

_TEST_TIMEOUT = 10.0


def kind_label(kind: str) -> str:
    """The words parents read for an alert kind."""
    return {
        AlertKind.BULLYING_RECEIVED: _("Possible bullying received"),
        AlertKind.BULLYING_SENT: _("Possible bullying sent"),
        AlertKind.SEXUAL_CONTENT: _("Sexual content"),
        AlertKind.GROOMING_SIGNS: _("Signs of grooming"),
        AlertKind.SELF_HARM_WORDS: _("Words about self-harm"),
        AlertKind.CHILD_REPORT: _("Your child says something upset them"),
    }.get(kind, kind)  # type: ignore[call-overload]


@bp.route("/")
def index() -> str:
    store = activity()
    found = store.alerts(200)
    page = render_template("alerts/index.html", alerts=found, kinds=list(AlertKind))
    if found and not all(a.seen for a in found):
        store.mark_alerts_seen(max(a.alert_id or 0 for a in found))
    return page


@bp.route("/guide/<kind>")
def guide(kind: str) -> str:
    if kind not in {k.value for k in AlertKind}:
        abort(404)
    country = policy().get_setting("country") or ""
    return render_template("alerts/guide.html", kind=kind, help=help_for(country))


def notify_section(**extra: Any) -> dict[str, Any]:
    """What the Settings page's notification and chat-watch section shows."""
    store = policy()
    settings = NotifySettings.from_settings(store.get_setting)
    try:
        overrides = parse_chat_watch(str(store.get_setting("chat_watch") or ""))
    except InputError:
        overrides = {}
    profiles = store.profiles()
    watch = [
        (name, p.preset, watch_mode(name, p.preset, overrides), DEFAULT_WATCH.get(p.preset, "off"))
        for name, p in sorted(profiles.items())
    ]
    quiet = "" if settings.quiet is None else f"{settings.quiet[0]:%H:%M}-{settings.quiet[1]:%H:%M}"
    section = {
        "urls": " ".join(settings.urls),
        "kinds": settings.kinds,
        "quiet": quiet,
        "all_kinds": [(k, KIND_LABELS[k]) for k in NOTIFY_KINDS],
        "watch": watch,
        "modes": WATCH_MODES,
        "error": g.get("notify_error"),
        "tested": request.args.get("tested"),
    }
    section.update(extra)
    return section


@bp.app_context_processor
def _alert_context() -> dict[str, Any]:
    def unseen_alerts() -> int:
        from dashboard.sessions import current_parent

        if not (request.is_secure and current_parent()):
            return 0
        return activity().unseen_alert_count()

    return {"unseen_alerts": unseen_alerts, "notify_section": notify_section}


def _settings_error(error: InputError) -> tuple[str, int]:
    from dashboard.settings import _page

    g.notify_error = error
    page = _page(status=400)
    return page if isinstance(page, tuple) else (page, 400)


@bp.route("/settings", methods=["POST"])
def save_settings() -> Response | tuple[str, int]:
    """Save notification addresses, kinds, quiet hours and each profile's chat watch."""
    store, actor = policy(), session["parent"]
    form = request.form
    try:
        values = {
            "notify_urls": clean_notify_urls(form.get("notify_urls", "")),
            "notify_kinds": clean_notify_kinds(",".join(form.getlist("notify_kinds"))),
            "quiet_hours": clean_quiet_hours(form.get("quiet_hours", "")),
        }
        choices = []
        for name, profile in sorted(store.profiles().items()):
            mode = form.get(f"watch-{name}", "")
            if mode not in WATCH_MODES:
                raise InputError("chat_watch", _("Choose off, category or excerpt."))
            if mode != DEFAULT_WATCH.get(profile.preset, "off"):
                choices.append(f"{name}={mode}")
        values["chat_watch"] = ", ".join(choices)
    except InputError as exc:
        return _settings_error(exc)
    store.set_settings(values, actor=actor)
    return redirect(url_for("settings.index", saved="notifications", _anchor="notifications"))


@bp.route("/test", methods=["POST"])
def send_test() -> Response | tuple[str, int]:
    """Send a test notice to the saved addresses; the page says whether it arrived."""
    settings = NotifySettings.from_settings(policy().get_setting)
    if not settings.urls:
        return _settings_error(InputError("notify_urls", _("Save a notification address first.")))
    result = send(
        settings.urls,
        Notice("test", "Hearthguard: test", "Notifications from Hearthguard reach you here."),
        timeout=_TEST_TIMEOUT,
    )
    outcome = "ok" if result.ok else "failed"
    return redirect(url_for("settings.index", tested=outcome, _anchor="notifications"))
