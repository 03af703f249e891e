"""Profiles, rules and devices from the dashboard: created, validated, escaped."""

from __future__ import annotations

from policy.store import PolicyStore
from policy.values import Action


def test_create_profile_and_add_rules(client, auth, data_dir) -> None:
    auth.login()
    response = auth.post("/profiles/new", {"name": "Zoe", "preset": "young"})
    assert response.status_code == 302
    asked = auth.post("/profiles/Zoe", {"action": "deny", "domain": "https://games.example/x"})
    assert asked.status_code == 200 and "Block games.example and all its sites" in asked.get_data(
        as_text=True
    )
    response = auth.post(
        "/profiles/Zoe",
        {"action": "deny", "domain": "games.example", "confirm": "games.example"},
    )
    assert response.status_code == 302
    store = PolicyStore(data_dir.policy_db)
    zoe = store.profile("Zoe")
    assert zoe.preset == "young" and "social" in zoe.blocked
    assert [(r.action, r.domain) for r in zoe.rules] == [(Action.BLOCK, "games.example")]
    assert store.audit_log(1)[0]["actor"] == "mum"
    page = client.get("/profiles/Zoe").get_data(as_text=True)
    assert "games.example" in page


def test_invalid_fields_rerender_with_the_error_by_the_field(client, auth, data_dir) -> None:
    auth.login()
    before = PolicyStore(data_dir.policy_db).version()
    page = auth.post("/profiles/new", {"name": "Household", "preset": "child"})
    assert page.status_code == 200 and "already exists" in page.get_data(as_text=True)
    page = auth.post("/profiles/Household", {"action": "deny", "domain": "co.uk"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="domain-error"' in html
    page = auth.post("/devices/new", {"name": "Tab", "ip": "300.1.1.1", "profile": "Household"})
    assert page.status_code == 200 and 'id="ip-error"' in page.get_data(as_text=True)
    page = auth.post("/profiles/new", {"name": "x" * 500, "preset": "child"})
    assert page.status_code == 200
    assert PolicyStore(data_dir.policy_db).version() == before


def test_html_in_names_is_escaped(client, auth) -> None:
    auth.login()
    auth.post("/profiles/new", {"name": "<script>alert(1)</script>", "preset": "child"})
    page = client.get("/profiles/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_assign_a_new_device_seen_by_the_proxy(client, auth, data_dir) -> None:
    from datetime import UTC, datetime

    from policy.activity import ActivityStore
    from policy.activitydb.records import DeviceSighting

    activity = ActivityStore(data_dir.activity_db)
    activity.write_batch([], [DeviceSighting(datetime.now(UTC), "192.168.1.44")])
    activity.close()
    auth.login()
    page = client.get("/devices/").get_data(as_text=True)
    assert "192.168.1.44" in page and "New devices" in page
    response = auth.post(
        "/devices/new", {"name": "Zoe's tablet", "ip": "192.168.1.44", "profile": "Household"}
    )
    assert response.status_code == 302
    page = client.get("/devices/").get_data(as_text=True)
    assert "New devices" not in page and "Zoe&#39;s tablet" in page
