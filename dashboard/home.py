"""The dashboard's front page."""

from __future__ import annotations

from flask import Blueprint, render_template

from dashboard.storage import activity, policy

bp = Blueprint("home", __name__)


@bp.route("/")
def index() -> str:
    store = policy()
    return render_template(
        "home.html",
        profiles=store.profiles(),
        devices=store.devices(),
        default=store.get_setting("default_profile"),
        recent=activity().recent_decisions(20),
    )
