"""The activity pages: charts drawn from the log, filters checked, the searchable log."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask

from dashboard import create_app
from policy.activity import ActivityStore
from policy.activitydb.records import DecisionEvent
from tests.dashboard.conftest import HttpsClient, page_text

LOCAL = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 18, 21, 0, tzinfo=LOCAL)


@pytest.fixture
def app(data_dir) -> Flask:
    app = create_app({"DATA_DIR": str(data_dir.root), "TESTING": True, "CLOCK": lambda: NOW})
    app.test_client_class = HttpsClient
    return app


def event(when, host, action="allow", reason="not_blocked", category=None, source=None):
    return DecisionEvent(
        when, "Tab", "192.168.1.5", "Household", host, action, reason, category, source, None
    )


@pytest.fixture
def logged(data_dir):
    activity = ActivityStore(data_dir.activity_db)
    events = [event(NOW.replace(hour=19, minute=m), "video.example") for m in range(30)]
    events += [event(NOW.replace(hour=20, minute=m), "wiki.example") for m in range(10)]
    events += [
        event(
            NOW.replace(hour=20, minute=m),
            "casino.example",
            "block",
            "category_blocked",
            "gambling",
            "ut1/gambling",
        )
        for m in range(4)
    ]
    events.append(event(NOW - timedelta(days=3), "older.example"))
    activity.write_batch(events, [])
    activity.close()


def bars(html: str, chart: str) -> list[int]:
    svg = html.split(f'data-chart="{chart}"', 1)[1].split("</svg>", 1)[0]
    return [int(v) for v in re.findall(r'data-value="(\d+)"', svg)]


def test_charts_show_the_day_with_accessible_text(client, parent, logged) -> None:
    html = page_text(client.get("/activity/"))
    online = bars(html, "online")
    assert len(online) == 24 and online[19] == 30 and online[20] == 10 and sum(online) == 40
    assert bars(html, "sites") == [30, 10]
    assert bars(html, "blocked") == [4]
    assert "About 0 h 40 min online" in html and "4 blocked attempts" in html
    assert re.search(r'role="img"\s+aria-labelledby="chart-online-title chart-online-desc"', html)
    assert '<desc id="chart-online-desc">Estimated minutes online: 40 in total.</desc>' in html
    assert "<td>Gambling</td><td>4</td>" in html  # the table fallback
    assert "Nothing in this period." in html  # no requests yet


def test_week_view_and_moving_between_periods(client, parent, logged) -> None:
    html = page_text(client.get("/activity/?view=week"))
    assert bars(html, "online") == [0, 0, 40, 0, 0, 0, 0]  # 18 Nov 2026 is a Wednesday
    assert "Week of 16 Nov 2026" in html
    earlier = page_text(client.get("/activity/?view=week&day=2026-11-09"))
    assert "Week of 09 Nov 2026" in earlier and "online" not in earlier.split("Top sites")[0][-200:]
    html = page_text(client.get("/activity/?day=2026-11-15"))
    assert bars(html, "online")[21] == 1  # the older visit, three days before


def test_filters_are_checked_and_errors_shown_by_the_field(client, parent, logged) -> None:
    html = page_text(client.get("/activity/?profile=Nobody&day=yesterday&view=month"))
    assert 'id="f-profile-error"' in html and 'id="f-day-error"' in html
    assert 'id="f-view-error"' in html
    assert bars(html, "online")[19] == 30  # shown for today, everyone, instead
    html = page_text(client.get("/activity/?device=Nope"))
    assert 'id="f-device-error"' in html


def test_the_log_search_shows_each_decisions_reason_and_list(client, parent, logged) -> None:
    html = page_text(client.get("/activity/log?q=casino&action=block"))
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert rows.count("<tr>") == 4 and "casino.example" in rows
    assert "A kind of site you block · Gambling" in rows and "ut1/gambling" in rows
    # each row offers the opposite rule for the child, asked before it is saved
    assert 'name="action" value="allow" class="link">Allow for' in rows
    assert 'name="ask" value="1"' in rows and 'name="domain" value="casino.example"' in rows
    html = page_text(client.get("/activity/log?day=2026-11-15"))
    assert "older.example" in html and "casino.example" not in html
    html = page_text(client.get("/activity/log?action=sideways"))
    assert 'id="f-action-error"' in html


def test_the_log_pages_through_many_rows(client, parent, data_dir) -> None:
    activity = ActivityStore(data_dir.activity_db)
    activity.write_batch(
        [event(NOW - timedelta(minutes=i), f"s{i}.example") for i in range(150)], []
    )
    activity.close()
    first = page_text(client.get("/activity/log?q=example"))
    assert first.count("<tr><td") == 100 and "page=2" in first and "s0.example" in first
    second = page_text(client.get("/activity/log?q=example&page=2"))
    assert second.count("<tr><td") == 50 and "s149.example" in second
    assert "page=3" not in second
    assert client.get("/activity/log?page=-4&_external=1").status_code == 200
