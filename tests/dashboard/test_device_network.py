"""The device page's network part: "not protected", bypass tries, WireGuard set-up with QR."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from policy.activity import ActivityStore
from policy.activitydb.records import DecisionEvent
from policy.store import PolicyStore
from policy.wireguard import read_keys, wireguard_dir, write_keys
from tests.dashboard.conftest import page_text


def add_tablet(data_dir) -> None:
    store = PolicyStore(data_dir.policy_db)
    store.add_device("Mia's tablet", profile="Household", ip="192.168.1.23")
    store.close()


def test_a_device_using_only_dns_is_shown_as_not_protected(client, parent, data_dir) -> None:
    add_tablet(data_dir)
    now = datetime.now(UTC)
    activity = ActivityStore(data_dir.activity_db)
    activity.record_paths([("192.168.1.23", now - timedelta(minutes=3), None)])
    activity.close()
    page = page_text(client.get("/devices/Mia's tablet"))
    assert "Not protected" in page
    activity = ActivityStore(data_dir.activity_db)
    activity.record_paths([("192.168.1.23", None, now)])
    activity.close()
    assert "Not protected" not in page_text(client.get("/devices/Mia's tablet"))


def test_repeated_bypass_tries_are_flagged(client, parent, data_dir) -> None:
    add_tablet(data_dir)
    at = datetime.now(UTC) - timedelta(minutes=5)
    activity = ActivityStore(data_dir.activity_db)
    activity.write_batch(
        [
            DecisionEvent(
                at,
                "Mia's tablet",
                "192.168.1.23",
                "Household",
                host,
                "block",
                "category_blocked",
                "anonymizer",
                "ut1/vpn",
                None,
            )
            for host in ("nordvpn.com", "protonvpn.com", "dns.google")
        ],
        [],
    )
    activity.close()
    page = page_text(client.get("/devices/Mia's tablet"))
    assert "Tried to get around the filter 3 times" in page and "nordvpn.com" in page


def test_the_wireguard_configuration_and_its_qr_code(client, parent, data_dir) -> None:
    add_tablet(data_dir)
    page = page_text(client.get("/devices/Mia's tablet"))
    assert "--mode wireguard:mia-s-tablet.json@51820" in page  # not set up yet: how to
    write_keys(wireguard_dir(data_dir.root) / "mia-s-tablet.json", 51820)
    keys = read_keys(wireguard_dir(data_dir.root) / "mia-s-tablet.json")
    page = html.unescape(page_text(client.get("/devices/Mia's tablet?endpoint=home.example.net")))
    assert f"PrivateKey = {keys.client_key}" in page
    assert "Endpoint = home.example.net:51820" in page
    assert "<svg" in page and "WireGuard configuration for Mia's tablet" in page
    assert keys.client_key not in page.split("<pre>")[0]  # the QR's label never holds the key
    bad = page_text(client.get("/devices/Mia's tablet?endpoint=evil%0APostUp%3Drm"))
    assert "<pre>" not in bad and "not a host name" in html.unescape(bad)  # no config at all


def test_the_wireguard_part_needs_a_parent(client, data_dir) -> None:
    add_tablet(data_dir)
    write_keys(wireguard_dir(data_dir.root) / "mia-s-tablet.json", 51820)
    keys = read_keys(wireguard_dir(data_dir.root) / "mia-s-tablet.json")
    response = client.get("/devices/Mia's tablet")
    assert response.status_code in (302, 401, 403)
    assert keys.client_key not in page_text(response)
