"""Teach the filter: parents judge pages the content scan blocked or nearly blocked, and
retrain the page classifier with the household's examples."""

from __future__ import annotations

import json
from collections import Counter

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from dashboard.background import job_running, start_job
from dashboard.labels import CATEGORY_LABELS
from dashboard.storage import policy
from policy.learning import Learning
from policy.status import read_status

bp = Blueprint("learning", __name__, url_prefix="/learning")

#: What a parent can say a reviewed page is: fine, or one of the page classifier's categories.
VERDICTS = ("benign", "adult", "gambling", "drugs", "dating", "hate")


def _learning() -> Learning:
    return Learning(current_app.config["DATA"].learning_dir)


def _page_model_info() -> dict[str, object]:
    data = current_app.config["DATA"]
    local = data.models_dir / "page.json"
    if not local.is_file():
        return {"retrained": False}
    try:
        meta = json.loads(local.read_text())
    except (OSError, ValueError):
        return {"retrained": True}
    return {
        "retrained": True,
        "at": meta.get("trained_at"),
        "examples": meta.get("household_examples"),
    }


@bp.route("/")
def index() -> str:
    store = _learning()
    examples = store.examples()
    return render_template(
        "learning/index.html",
        items=store.review_items()[:50],
        verdicts=VERDICTS,
        labels=CATEGORY_LABELS,
        counts=Counter(e.category for e in examples),
        total=len(examples),
        enabled=bool(policy().get_setting("learning")),
        retraining=job_running("retrain"),
        model=_page_model_info(),
        status=read_status(current_app.config["DATA"]),
    )


@bp.route("/review/<item_id>", methods=["POST"])
def review(item_id: str) -> Response:
    verdict = request.form.get("verdict", "")
    if verdict not in VERDICTS:
        abort(400)
    if _learning().answer_review(item_id, verdict, parent=session["parent"]) is None:
        abort(404)
    policy().record_change(session["parent"], "learning.review", f"{verdict} ({item_id})")
    return redirect(url_for("learning.index"))


@bp.route("/collect", methods=["POST"])
def collect() -> Response:
    enabled = request.form.get("enabled") == "on"
    policy().set_setting("learning", enabled, actor=session["parent"])
    return redirect(url_for("learning.index"))


@bp.route("/retrain", methods=["POST"])
def retrain() -> Response:
    """Start ``hearthguard classifier retrain`` in the background (it takes minutes)."""
    if start_job("retrain", "classifier", "retrain"):
        policy().record_change(session["parent"], "learning.retrain", "started")
    return redirect(url_for("learning.index"))
