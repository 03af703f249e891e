"""What happened: time online, top sites, blocked attempts and requests as charts; the log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from dashboard.charts import Chart, column_chart, row_chart
from dashboard.labels import REASONS, category_label, reason_label
from dashboard.storage import activity, local_now, policy
from policy.report import ActivityReport, LogQuery, activity_report, period_for, search_log
from ui.i18n import format_moment

bp = Blueprint("activity", __name__, url_prefix="/activity")

PAGE_SIZE = 100


@dataclass
class Filters:
    """The filter fields of the activity pages, checked; ``errors`` sit by their field."""

    profile: str = ""
    device: str = ""
    view: str = "day"
    day: date = field(default_factory=date.today)
    text: str = ""
    action: str = ""
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)


def _filters() -> Filters:
    args = request.args
    today = local_now().date()
    f = Filters(day=today)
    profiles = policy().profile_names()
    devices = [d.name for d in policy().devices()]
    f.profile = args.get("profile", "")
    if f.profile and f.profile not in profiles:
        f.errors["profile"] = _("There is no such profile.")
        f.profile = ""
    f.device = args.get("device", "")
    if f.device and f.device not in devices:
        f.errors["device"] = _("There is no such device.")
        f.device = ""
    f.view = args.get("view", "day")
    if f.view not in ("day", "week"):
        f.errors["view"] = _("Choose a day or a week.")
        f.view = "day"
    raw_day = args.get("day", "")
    if raw_day:
        try:
            f.day = date.fromisoformat(raw_day[:10])
        except ValueError:
            f.errors["day"] = _("Enter a date like %(example)s.", example=today.isoformat())
    f.text = args.get("q", "")[:200]
    f.action = args.get("action", "")
    if f.action not in ("", "allow", "block"):
        f.errors["action"] = _("Choose allowed or blocked.")
        f.action = ""
    page = args.get("page", "1")
    f.page = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    return f


def _charts(report: ActivityReport) -> list[Chart]:
    if report.period.view == "day":
        online = [(b.strftime("%H"), m) for b, m in report.online]
        every = 3
    else:
        online = [(format_moment(b, "%a %d", str(get_locale())), m) for b, m in report.online]
        every = 1
    minutes = _("minutes")
    blocked = [
        (reason_label(k) if k in REASONS else category_label(k), n) for k, n in report.blocked
    ]
    asked = [
        (_("waiting"), report.requests.get("pending", 0)),
        (_("approved"), report.requests.get("approved", 0)),
        (_("declined"), report.requests.get("declined", 0)),
    ]
    return [
        column_chart(
            "online",
            _("Time online"),
            _("Estimated minutes online: %(total)s in total.", total=report.minutes_online),
            online,
            unit=minutes,
            label_every=every,
        ),
        row_chart(
            "sites",
            _("Top sites"),
            _("The sites with the most minutes of use."),
            report.top_sites,
            unit=minutes,
            css="allow",
            keep_end=True,
        ),
        row_chart(
            "blocked",
            _("Blocked attempts"),
            _("%(total)s blocked attempts, by kind of site or reason.", total=report.blocked_total),
            blocked,
            unit=_("attempts"),
            css="block",
        ),
        row_chart(
            "requests",
            _("Requests to open a site"),
            _("Requests asked in this period, by answer."),
            asked if any(n for _, n in asked) else [],
            unit=_("requests"),
        ),
    ]


@bp.route("/")
def index() -> tuple[str, int] | str:
    f = _filters()
    period = period_for(f.view, f.day, local_now().tzinfo)
    report = activity_report(activity(), period, profile=f.profile or None, device=f.device or None)
    step = timedelta(days=7 if f.view == "week" else 1)
    page = render_template(
        "activity/index.html",
        f=f,
        report=report,
        charts=_charts(report),
        profiles=policy().profile_names(),
        devices=[d.name for d in policy().devices()],
        previous=(f.day - step).isoformat(),
        following=(f.day + step).isoformat(),
        hours=report.minutes_online // 60,
        minutes=report.minutes_online % 60,
    )
    return page


@bp.route("/log")
def log() -> tuple[str, int] | str:
    f = _filters()
    start = end = None
    if request.args.get("day") and "day" not in f.errors:
        tz = local_now().tzinfo
        start = datetime.combine(f.day, datetime.min.time(), tzinfo=tz)
        end = start + timedelta(days=1)
    query = LogQuery(
        text=f.text.strip(),
        profile=f.profile or None,
        device=f.device or None,
        action=f.action or None,
        start=start,
        end=end,
    )
    events = search_log(activity(), query, limit=PAGE_SIZE + 1, offset=(f.page - 1) * PAGE_SIZE)
    args = {
        k: v for k, v in request.args.items() if k in ("q", "profile", "device", "action", "day")
    }
    page = render_template(
        "activity/log.html",
        f=f,
        events=events[:PAGE_SIZE],
        more=len(events) > PAGE_SIZE,
        args=args,
        profiles=policy().profile_names(),
        devices=[d.name for d in policy().devices()],
    )
    return page
