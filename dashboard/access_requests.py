"""Access requests: children ask from a block page; parents approve for a while or decline."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from dashboard.storage import activity, local_now, policy
from policy.access_requests import DURATIONS, answer
from policy.validate import InputError

bp = Blueprint("access_requests", __name__, url_prefix="/requests")


def _render(
    errors: dict[int, InputError] | None = None, status: int = 200, confirm: int | None = None
) -> tuple[str, int]:
    store = activity()
    pending = sorted(store.pending_requests(), key=lambda r: r.request_id)
    answered = store.answered_requests(limit=30)
    return (
        render_template(
            "requests/index.html",
            pending=pending,
            answered=answered,
            durations=list(DURATIONS),
            errors=errors or {},
            confirm=confirm,
        ),
        status,
    )


@bp.route("/")
def index() -> tuple[str, int]:
    """The queue: pending requests first (oldest first), then the latest answers."""
    return _render()


@bp.route("/<int:request_id>/answer", methods=["POST"])
def answer_request(request_id: int) -> Response | tuple[str, int]:
    decision = request.form.get("decision", "")
    if (
        decision == "approve"
        and request.form.get("duration") == "always"
        and request.form.get("confirm") != "yes"
    ):
        return _render(confirm=request_id)  # "always" lasts until removed: ask first
    try:
        if decision not in ("approve", "decline"):
            raise InputError("decision", _("Choose to approve or decline."))
        answered = answer(
            policy(),
            activity(),
            request_id,
            approve=decision == "approve",
            duration=request.form.get("duration", "1h"),
            note=request.form.get("note", "").strip(),
            actor=session["parent"],
            now=local_now(),
        )
    except InputError as exc:
        return _render({request_id: exc})
    policy().record_change(
        session["parent"],
        f"request.{decision}",
        f"{answered.profile}: {answered.host} (request {request_id})",
    )
    return redirect(url_for("access_requests.index"))
