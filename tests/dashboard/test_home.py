"""The front page says what is happening right now: per child paused / offline / browsing with
one-tap pause and resume, running temporary allows, each device's last sighting, and a
first-steps checklist that ticks itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from policy.activity import ActivityStore
from policy.activitydb.records import DeviceSighting
from policy.store import PolicyStore
from policy.values import Action
from tests.dashboard.conftest import csrf_token, page_text


def _section(html: str, marker: str) -> str:
    return html.split(marker, 1)[1] if marker in html else ""


def test_first_steps_tick_themselves_and_then_go(client, parent, data_dir) -> None:
    html = page_text(client.get("/"))
    steps = _section(html, 'id="first-steps"')
    assert steps and '<a href="/profiles/new">Add a child</a>' in steps
    store = PolicyStore(data_dir.policy_db)
    store.add_profile("Mia", "child")
    store.add_device("Mia's tablet", profile="Mia", ip="192.168.1.40")
    store.close()
    steps = _section(page_text(client.get("/")), 'id="first-steps"')
    assert "✓</span> Add a child" in steps and "✓</span> Put a device" in steps
    assert "Check that it is filtered" in steps and "not seen through the filter yet" in steps
    activity = ActivityStore(data_dir.activity_db)
    now = datetime.now(UTC)
    activity.write_batch([], [DeviceSighting(now, "192.168.1.40", None, "Firefox", 1, 0)])
    activity.close()
    html = page_text(client.get("/"))
    assert 'id="first-steps"' not in html
    assert "Mia's tablet: last seen through the filter" in html.replace("&#39;", "'")


def test_pause_and_resume_in_one_tap_and_running_allows(client, parent, data_dir) -> None:
    store = PolicyStore(data_dir.policy_db)
    household = store.profile("Household").profile_id
    store.add_rule(
        "Household",
        Action.ALLOW,
        "minecraft.net",
        expires_at=datetime.now(UTC) + timedelta(minutes=30),
    )
    store.close()
    html = page_text(client.get("/"))
    child = _section(html, f'id="child-{household}"')
    assert "Browsing" in child and "Allowed for now:" in child and "minecraft.net" in child
    paused = client.post(
        f"/profiles/{household}/pause", data={"duration": "1h", "csrf_token": csrf_token(html)}
    )
    assert paused.status_code == 302
    html = page_text(client.get("/"))
    child = _section(html, f'id="child-{household}"')
    assert "Paused until" in child and ">Resume</button>" in child
    client.post(
        f"/profiles/{household}/pause", data={"resume": "1", "csrf_token": csrf_token(html)}
    )
    assert "Browsing" in _section(page_text(client.get("/")), f'id="child-{household}"')


def test_allow_a_site_for_a_while_covers_the_whole_site(client, parent, data_dir) -> None:
    store = PolicyStore(data_dir.policy_db)
    store.add_profile("Tom/Jerry", "child")
    pid = store.profile("Tom/Jerry").profile_id
    store.close()
    html = page_text(client.get("/"))
    response = client.post(
        "/allow",
        data={
            "domain": "https://www.minecraft.net/en-us, scratch.mit.edu",
            "profile": "Tom/Jerry",
            "action": "allow",
            "duration": "1h",
            "csrf_token": csrf_token(html),
        },
    )
    assert response.status_code == 302 and response.location.endswith(f"/profiles/{pid}#rules")
    rules = PolicyStore(data_dir.policy_db).profile("Tom/Jerry").rules
    assert sorted(r.domain for r in rules) == ["minecraft.net", "mit.edu"]
    assert all(r.expires_at is not None for r in rules)
