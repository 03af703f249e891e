"""A child's time on the profile page: budget bars from the proxy's minutes, bonus time in one
tap, pauses, budgets, holidays, the week view, device offline times, "more time" requests;
bad values write nothing and every change is in the audit log."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from policy.activity import ActivityStore
from policy.store import PolicyStore
from tests.dashboard.conftest import page_text

PRAGUE = ZoneInfo("Europe/Prague")


@pytest.fixture
def mia(data_dir):
    store = PolicyStore(data_dir.policy_db)
    store.add_profile("Mia", "child")
    store.add_device("Tablet", profile="Mia", ip="192.168.1.23")
    store.set_setting("timezone", "Europe/Prague")
    store.set_budget("Mia", "games", 60)
    store.close()
    return data_dir


def stored(data_dir):
    store = PolicyStore(data_dir.policy_db)
    try:
        return store.profile("Mia"), store.audit_log(1)[0], store.version()
    finally:
        store.close()


def used_minutes(data_dir, group: str, minutes: int) -> None:
    """What the proxy writes: ``minutes`` counted for ``group`` today (household's day)."""
    now = datetime.now(PRAGUE)
    first = int(now.timestamp() // 60) - minutes
    rows = [("Mia", group, first + n) for n in range(minutes)]
    rows += [("Mia", "everything", first + n) for n in range(minutes)]
    activity = ActivityStore(data_dir.activity_db)
    activity.add_usage(now.date(), rows)
    activity.close()


def test_todays_use_against_each_budget(client, parent, mia) -> None:
    used_minutes(mia, "games", 42)
    html = page_text(client.get("/profiles/Mia"))
    section = html.split('id="time"', 1)[1].split("</section>", 1)[0]
    assert "Games: 42 of 60 min used" in section
    assert re.search(r'<progress id="bar-games" max="60" value="42">', section)
    week = section.split('class="week"', 1)[1]
    assert "42 min" in week  # today's row of the week view


def test_bonus_time_in_one_tap(client, parent, mia) -> None:
    response = parent.post(
        "/profiles/Mia/bonus", {"group": "games", "minutes": "15"}, form_page="/profiles/Mia"
    )
    assert response.status_code == 302
    profile, audit, _ = stored(mia)
    today = datetime.now(PRAGUE).date()
    assert [(b.group, b.day, b.minutes) for b in profile.bonuses] == [("games", today, 15)]
    assert (audit["actor"], audit["action"]) == ("mum", "bonus.add")
    assert "Games: 0 of 75 min used" in page_text(client.get("/profiles/Mia"))


def test_budgets_are_set_for_weekdays_and_removed(client, parent, mia) -> None:
    parent.post(
        "/profiles/Mia/budget",
        {"group": "video", "minutes": "90", "days": "weekend"},
        form_page="/profiles/Mia",
    )
    profile, audit, _ = stored(mia)
    assert ("video", "weekend", 90) in [(b.group, b.days, b.minutes) for b in profile.budgets]
    assert audit["action"] == "budget.set"
    parent.post(
        "/profiles/Mia/budget",
        {"group": "games", "minutes": "off", "days": "all"},
        form_page="/profiles/Mia",
    )
    assert [b.group for b in stored(mia)[0].budgets] == ["video"]


@pytest.mark.parametrize(
    ("url", "form", "message"),
    [
        ("budget", {"group": "games", "minutes": "-5", "days": "all"}, "negative"),
        ("budget", {"group": "games", "minutes": "1500", "days": "all"}, "at most"),
        ("budget", {"group": "gaming", "minutes": "30", "days": "all"}, "not a group of sites"),
        ("budget", {"group": "games", "minutes": "30", "days": "someday"}, "weekdays"),
        ("bonus", {"group": "video", "minutes": "15"}, "no video budget"),
        ("pause", {"duration": "until", "until": "25:00"}, "hours go to 23"),
        ("holidays", {"from": "2026-12-24", "until": "2026-12-01", "kind": "weekend"}, "before"),
        ("holidays", {"from": "Christmas", "kind": "weekend"}, "not a date"),
    ],
)
def test_bad_values_show_a_message_and_write_nothing(client, parent, mia, url, form, message):
    before = stored(mia)[2]
    response = parent.post(f"/profiles/Mia/{url}", form, form_page="/profiles/Mia")
    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    assert message in page.split('id="time-error"', 1)[1].split("</p>", 1)[0]
    assert stored(mia)[2] == before


def test_pause_all_devices_and_resume(client, parent, mia) -> None:
    parent.post("/profiles/Mia/pause", {"duration": "1h"}, form_page="/profiles/Mia")
    profile, audit, _ = stored(mia)
    assert profile.paused_until is not None
    left = profile.paused_until - datetime.now(PRAGUE)
    assert timedelta(minutes=59) < left <= timedelta(hours=1)
    assert audit["action"] == "profile.pause"
    assert "are paused until" in page_text(client.get("/profiles/Mia"))
    parent.post("/profiles/Mia/pause", {"resume": "1"}, form_page="/profiles/Mia")
    assert stored(mia)[0].paused_until is None
    parent.post("/profiles/Mia/pause", {"duration": "morning"}, form_page="/profiles/Mia")
    until = stored(mia)[0].paused_until
    assert until is not None and until.astimezone(PRAGUE).strftime("%H:%M") == "07:00"


def test_holidays_and_a_device_offline_time_in_the_week_view(client, parent, mia) -> None:
    today = datetime.now(PRAGUE).date()
    parent.post(
        "/profiles/Mia/schedules",
        {
            "label": "tablet",
            "days": ["1", "2", "3", "4", "5", "6", "7"],
            "start": "19:00",
            "end": "20:00",
            "device": "Tablet",
        },
        form_page="/profiles/Mia",
    )
    store = PolicyStore(mia.policy_db)
    try:
        assert [s.device for s in store.device("Tablet").schedules] == ["Tablet"]
    finally:
        store.close()
    html = page_text(client.get("/profiles/Mia"))
    assert html.count("<title>tablet (Tablet): 19:00 (60 min)</title>") == 7
    parent.post(
        "/profiles/Mia/holidays",
        {"from": today.isoformat(), "kind": "no_bedtime", "label": "party"},
        form_page="/profiles/Mia",
    )
    html = page_text(client.get("/profiles/Mia"))
    assert "party" in html and "no bedtime" in html
    assert html.count("<title>tablet (Tablet): 19:00 (60 min)</title>") == 6  # not tonight
    delete = re.search(r"/profiles/\d+/holidays/\d+/delete", html).group(0)
    parent.post(delete, {}, form_page="/profiles/Mia")
    assert "party" not in page_text(client.get("/profiles/Mia"))


def test_more_time_asked_from_the_block_page_is_approved_as_bonus_minutes(client, parent, mia):
    activity = ActivityStore(mia.activity_db)
    request_id = activity.add_request(
        device="Tablet",
        ip="192.168.1.23",
        profile="Mia",
        host="roblox.com",
        url="http://roblox.com/",
        category="games",
        reason="time_budget",
        message="one more level",
        now=datetime.now(PRAGUE),
    )
    activity.close()
    response = parent.post(
        f"/requests/{request_id}/answer",
        {"decision": "approve", "duration": "15m"},
        form_page="/requests/",
    )
    assert response.status_code == 302
    profile, _, _ = stored(mia)
    assert [(b.group, b.minutes) for b in profile.bonuses] == [("games", 15)]
    assert profile.rules == ()  # more time, not a lasting allow rule for the site


def test_bonus_time_in_one_tap_from_the_childs_card_on_the_front_page(client, parent, mia):
    html = page_text(client.get("/"))
    card = html.split("<strong>Mia</strong>", 1)[1]  # Mia's card and what follows it
    action = re.search(r'action="(/profiles/\d+/bonus)"', card).group(1)
    assert 'name="group" value="games"' in card and "+15 min of games" in card
    parent.post(action, {"group": "games", "minutes": "15"}, form_page="/")
    assert [(b.group, b.minutes) for b in stored(mia)[0].bonuses] == [("games", 15)]
