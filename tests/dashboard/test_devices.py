"""Devices: the new-devices inbox with naming hints, one-tap assignment, moves, certificate
status from the proxy's TLS results, pauses."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from dashboard import create_app
from policy.activity import ActivityStore
from policy.activitydb.records import DecisionEvent, DeviceSighting
from policy.decide import decide
from policy.store import PolicyStore, load_snapshot
from policy.values import Reason, Request
from tests.dashboard.conftest import HttpsClient, page_text

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15"
OUI = "F0-18-98   (hex)\t\tApple, Inc.\nF01898     (base 16)\t\tApple, Inc.\n"


@pytest.fixture
def app(data_dir, tmp_path) -> Flask:
    oui = tmp_path / "oui.txt"
    oui.write_text(OUI)
    app = create_app({"DATA_DIR": str(data_dir.root), "TESTING": True, "OUI_FILE": str(oui)})
    app.test_client_class = HttpsClient
    return app


def seen(data_dir, *sightings: DeviceSighting) -> None:
    activity = ActivityStore(data_dir.activity_db)
    activity.write_batch([], list(sightings))
    activity.close()


def test_inbox_shows_what_the_proxy_saw_and_suggests_a_name(client, parent, data_dir) -> None:
    first = datetime.now(UTC) - timedelta(days=2)
    seen(data_dir, DeviceSighting(first, "192.168.1.44", "f0:18:98:01:02:03", IPHONE))
    seen(data_dir, DeviceSighting(datetime.now(UTC), "192.168.1.44", tls_ok=1))
    html = page_text(client.get("/devices/"))
    entry = html.split('data-ip="192.168.1.44"', 1)[1].split("</li>", 1)[0]
    assert "<strong>iPhone</strong>" in entry and "f0:18:98:01:02:03 (Apple, Inc.)" in entry
    assert "first seen" in entry and "certificate detected" in entry
    assert 'name="name" value="iPhone"' in entry
    assert 'name="mac" value="f0:18:98:01:02:03"' in entry
    assert '<option value="Household" selected>' in entry  # the default profile


def test_assigning_from_the_inbox_in_one_tap(client, parent, data_dir) -> None:
    seen(data_dir, DeviceSighting(datetime.now(UTC), "192.168.1.44", "f0:18:98:01:02:03", IPHONE))
    parent.post("/profiles/new", {"name": "Mia", "preset": "teen"})
    response = parent.post(
        "/devices/new",
        {
            "name": "Mia's iPhone",
            "ip": "192.168.1.44",
            "mac": "f0:18:98:01:02:03",
            "profile": "Mia",
        },
        form_page="/devices/",
    )
    assert response.status_code == 302
    device = PolicyStore(data_dir.policy_db).device("Mia's iPhone")
    assert (device.ip, device.mac, device.profile) == ("192.168.1.44", "f0:18:98:01:02:03", "Mia")
    html = page_text(client.get("/devices/"))
    assert 'data-ip="192.168.1.44"' not in html and "Mia&#39;s iPhone" in html


def test_the_add_form_is_prefilled_from_the_inbox_link(client, parent) -> None:
    html = page_text(client.get("/devices/new?ip=192.168.1.9&mac=aa:bb:cc:dd:ee:ff&name=iPad"))
    assert 'value="192.168.1.9"' in html and 'value="aa:bb:cc:dd:ee:ff"' in html
    assert 'id="name" maxlength="64" name="name" required type="text" value="iPad"' in html or (
        'value="iPad"' in html
    )


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": "Tab", "ip": "300.1.1.1", "profile": "Household"}, "ip", "not an IP address"),
        ({"name": "Tab", "ip": "192.168.1.5", "mac": "zz", "profile": "Household"}, "mac", "MAC"),
        ({"name": "Tab", "ip": "192.168.1.5", "profile": "Nobody"}, "profile", "valid choice"),
        ({"name": "", "ip": "192.168.1.5", "profile": "Household"}, "name", "required"),
        ({"name": "T" * 65, "ip": "192.168.1.5", "profile": "Household"}, "name", "longer"),
        ({"name": "old", "ip": "192.168.1.5", "profile": "Household"}, "name", "already exists"),
        ({"name": "New", "ip": "192.168.1.2", "profile": "Household"}, "ip", "already belongs"),
    ],
)
def test_bad_devices_are_refused_by_the_field(client, parent, data_dir, form, field, message):
    store = PolicyStore(data_dir.policy_db)
    store.add_device("Old", profile="Household", ip="192.168.1.2")
    version = store.version()
    store.close()
    page = parent.post("/devices/new", form)
    html = page_text(page)
    assert page.status_code == 200 and f'id="{field}-error"' in html and message in html
    assert PolicyStore(data_dir.policy_db).version() == version


def test_move_mark_the_certificate_and_forget(client, parent, data_dir) -> None:
    store = PolicyStore(data_dir.policy_db)
    store.add_profile("Mia", "teen")
    store.add_device("Tab", profile="Household", ip="192.168.1.5")
    store.close()
    parent.post("/devices/Tab/profile", {"profile": "Mia"}, form_page="/devices/")
    assert PolicyStore(data_dir.policy_db).device("Tab").profile == "Mia"
    bad = parent.post("/devices/Tab/profile", {"profile": "Nobody"}, form_page="/devices/")
    assert bad.status_code == 400
    parent.post("/devices/Tab", {"profile": "Mia", "ca_trusted": "y"})
    assert PolicyStore(data_dir.policy_db).device("Tab").ca_trusted
    assert "installed (you said so)" in page_text(client.get("/devices/"))
    parent.post("/devices/Tab/delete", {}, form_page="/devices/Tab")
    assert PolicyStore(data_dir.policy_db).devices() == []
    assert client.get("/devices/Tab").status_code == 404


def test_certificate_status_comes_from_the_proxys_handshakes(client, parent, data_dir) -> None:
    store = PolicyStore(data_dir.policy_db)
    store.add_device("Good", profile="Household", ip="192.168.1.5")
    store.add_device("Bad", profile="Household", ip="192.168.1.6")
    store.close()
    now = datetime.now(UTC)
    seen(
        data_dir,
        DeviceSighting(now, "192.168.1.5", tls_ok=3),
        DeviceSighting(now, "192.168.1.6", tls_failed=2),
    )
    html = page_text(client.get("/devices/"))
    good = html.split('data-device="Good"', 1)[1].split("</li>", 1)[0]
    bad = html.split('data-device="Bad"', 1)[1].split("</li>", 1)[0]
    assert "detected" in good and "secure sites fail" in bad
    assert "connection error" in page_text(client.get("/devices/Bad"))


def test_the_device_page_shows_what_the_proxy_believes_and_what_it_passes_through(
    client, parent, data_dir
) -> None:
    from policy.catrust import CaTrust, write_view
    from policy.values import Device

    store = PolicyStore(data_dir.policy_db)
    store.add_device("Tab", profile="Household", ip="192.168.1.5")
    store.add_device("Old", profile="Household", ip="192.168.1.6")
    store.close()
    trust = CaTrust()
    trust.success("192.168.1.5", "example.org", datetime.now(UTC))
    for _ in range(3):
        trust.failure("192.168.1.5", "api.bank-app.example")
    for site in ("a.example", "b.example", "c.example"):
        trust.failure("192.168.1.6", site)
    devices = {"192.168.1.5": Device("Tab", "Household", "192.168.1.5")}
    write_view(data_dir.ca_trust, trust.snapshot(devices))
    tab = page_text(client.get("/devices/Tab"))
    assert "the certificate is installed" in tab and "<code>bank-app.example</code>" in tab
    old = page_text(client.get("/devices/Old"))
    assert "the certificate is missing" in old and "3 sites failed" in old


def test_pause_blocks_the_device_until_resumed(client, parent, data_dir) -> None:
    store = PolicyStore(data_dir.policy_db)
    store.add_device("Tab", profile="Household", ip="192.168.1.5")
    store.close()
    parent.post("/devices/Tab/pause", {"duration": "1h"}, form_page="/devices/")
    store = PolicyStore(data_dir.policy_db)
    device = store.device("Tab")
    now = datetime.now().astimezone()
    assert device.paused(now) and not device.paused(now + timedelta(hours=1, minutes=1))
    snapshot = load_snapshot(store)
    household = snapshot.profiles["Household"]
    decision = decide(Request("example.org", "/", device), household, snapshot, now)
    assert decision.reason is Reason.PAUSED
    store.close()
    html = page_text(client.get("/devices/"))
    assert "Paused until" in html and 'name="resume"' in html
    response = parent.post(
        "/devices/Tab/pause", {"resume": "1", "back": "edit"}, form_page="/devices/"
    )
    assert response.location.endswith(f"/devices/{device.device_id}")
    assert PolicyStore(data_dir.policy_db).device("Tab").paused_until is None
    bad = parent.post("/devices/Tab/pause", {"duration": "forever"}, form_page="/devices/")
    assert bad.status_code == 400


def test_the_inbox_link_from_the_device_page_and_guides(client, parent, data_dir) -> None:
    store = PolicyStore(data_dir.policy_db)
    store.add_device("Phone", profile="Household", ip="192.168.1.5")
    store.close()
    seen(data_dir, DeviceSighting(datetime.now(UTC), "192.168.1.5", user_agent=IPHONE))
    activity = ActivityStore(data_dir.activity_db)
    activity.write_batch(
        [
            DecisionEvent(
                datetime.now(UTC),
                "Phone",
                "192.168.1.5",
                "Household",
                "a.example",
                "block",
                "parent_denied",
                None,
                "deny rule: a.example",
                None,
            )
        ],
        [],
    )
    activity.close()
    html = page_text(client.get("/devices/Phone"))
    assert "a.example" in html and "You blocked this site" in html
    assert "Looks like: iPhone" in html and "/setup-device/ios" in html
    link = re.search(r'href="(/activity/log\?[^"]+)"', html)
    assert link and parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query) == {
        "device": ["Phone"]
    }


def test_a_device_named_with_a_slash_is_reached_by_its_links(client, parent, data_dir) -> None:
    """Device pages are addressed by id: any name a parent types works, ``/`` included."""
    store = PolicyStore(data_dir.policy_db)
    store.add_profile("Mia", "teen")
    store.add_device("Mia's tablet / school", profile="Household", ip="192.168.1.5")
    store.close()
    listing = client.get("/devices/").get_data(as_text=True)
    link = re.search(r'href="(/devices/\d+)"><strong>Mia&#39;s tablet / school<', listing)
    assert link, listing
    page = link.group(1)
    assert "Mia&#39;s tablet / school" in client.get(page).get_data(as_text=True)
    assert f'action="{page}/profile"' in listing
    parent.post(f"{page}/profile", {"profile": "Mia"}, form_page="/devices/")
    assert PolicyStore(data_dir.policy_db).device("Mia's tablet / school").profile == "Mia"
    parent.post(f"{page}/pause", {"duration": "1h"}, form_page=page)
    assert PolicyStore(data_dir.policy_db).device("Mia's tablet / school").paused_until
    parent.post(f"{page}/delete", {}, form_page=page)
    assert PolicyStore(data_dir.policy_db).devices() == []
    assert client.get(page).status_code == 404
