"""The Alerts page, its badge, the guidance pages and the notification settings section."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from policy.activity import ActivityStore
from policy.activitydb.records import AlertRecord
from policy.alerts import AlertKind
from policy.store import PolicyStore
from tests.dashboard.conftest import csrf_token, page_text


def add_alert(data_dir, kind: str = "bullying_received", excerpt: str = "you are a loser") -> int:
    store = ActivityStore(data_dir.activity_db)
    try:
        return store.add_alerts(
            [
                AlertRecord(
                    at=datetime.now(UTC) - timedelta(minutes=5),
                    device="Tablet",
                    ip="192.168.1.20",
                    profile="Household",
                    host="chat.example",
                    conversation="chat.example · sam",
                    kind=kind,
                    score=0.93,
                    excerpt=excerpt,
                )
            ]
        )[0]
    finally:
        store.close()


def test_the_badge_counts_new_alerts_and_opening_the_page_clears_it(client, parent, data_dir):
    add_alert(data_dir)
    add_alert(data_dir, "grooming_signs", "")
    home = page_text(client.get("/"))
    assert 'aria-label="2 new"' in home
    page = page_text(client.get("/alerts/"))
    assert "Possible bullying received" in page and "Signs of grooming" in page
    assert "“you are a loser”" in page and "category only" in page
    assert "chat.example · sam" in page
    assert 'aria-label="2 new"' not in page_text(client.get("/"))


def test_alerts_need_a_parent(client, auth, data_dir):
    add_alert(data_dir)
    response = client.get("/alerts/")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("kind", [k.value for k in AlertKind])
def test_every_alert_kind_has_guidance_with_the_household_helplines(client, parent, store, kind):
    store.set_setting("country", "DE")
    page = page_text(client.get(f"/alerts/guide/{kind}"))
    assert "Nummer gegen Kummer" in page or "116 111" in page
    assert "Where to get help" in page


def test_an_unknown_guidance_page_is_not_found(client, parent):
    assert client.get("/alerts/guide/nonsense").status_code == 404


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("content-length", "0"))
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []
    handler = type("Hook", (_Hook,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


def _save(client, data: dict) -> object:
    token = csrf_token(page_text(client.get("/settings/")))
    return client.post("/alerts/settings", data={**data, "csrf_token": token})


def test_settings_save_addresses_kinds_quiet_hours_and_chat_watch(
    client, parent, data_dir, webhook
):
    url, received = webhook
    response = _save(
        client,
        {
            "notify_urls": url,
            "notify_kinds": ["ask", "chat"],
            "quiet_hours": "22:00 - 7:00",
            "watch-Household": "category",
        },
    )
    assert response.status_code == 302
    store = PolicyStore(data_dir.policy_db)
    try:
        assert store.get_setting("notify_urls") == url
        assert store.get_setting("notify_kinds") == "ask,chat"
        assert store.get_setting("quiet_hours") == "22:00-07:00"
        assert "Household=category" in store.get_setting("chat_watch")
    finally:
        store.close()
    page = page_text(client.get("/settings/"))
    assert f'value="{url}"' in page and 'value="22:00-07:00"' in page
    token = csrf_token(page)
    tested = client.post("/alerts/test", data={"csrf_token": token})
    assert "tested=ok" in tested.headers["Location"]
    assert received and received[0]["title"] == "Hearthguard: test"
    assert "The test notification was sent." in page_text(client.get("/settings/?tested=ok"))


def test_a_bad_address_is_refused_and_nothing_is_saved(client, parent, data_dir):
    response = _save(client, {"notify_urls": "nonsense://x", "watch-Household": "excerpt"})
    assert response.status_code == 400
    assert "not a notification address" in page_text(response)
    store = PolicyStore(data_dir.policy_db)
    try:
        assert "notify_urls" not in store.stored_settings()
        assert "chat_watch" not in store.stored_settings()
    finally:
        store.close()


def test_a_test_to_a_dead_endpoint_says_it_failed(client, parent, store):
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    store.set_setting("notify_urls", f"json://127.0.0.1:{port}/hook")
    token = csrf_token(page_text(client.get("/settings/")))
    tested = client.post("/alerts/test", data={"csrf_token": token})
    assert "tested=failed" in tested.headers["Location"]
