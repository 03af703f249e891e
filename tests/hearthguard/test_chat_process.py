"""Chat safety through a real ``hearthguard run``: a WebSocket chat over TLS (CA trusted),
alerts in ``hearthguard alerts --json`` and the dashboard, notifications to a local webhook,
a silent endpoint that never slows the proxy, and retention."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from websockets.sync.client import connect
from websockets.sync.server import ServerConnection, serve

from dashboard import create_app
from policy.activity import ActivityStore
from policy.activitydb.records import AlertRecord
from policy.store import PolicyStore
from tests.dashboard.conftest import Auth, HttpsClient
from tests.support.origin import serve_origin
from tests.support.processes import REPO, hearthguard, running_hearthguard
from tests.support.tls import origin_certificate

pytestmark = pytest.mark.process

CHILD = "127.0.0.2"  # "Tablet", Anna's (preset child: chat watch on), trusts the CA
TEEN = "127.0.0.3"  # "Phone", Ben's (preset teen: chat watch off)

SCRIPTS = {
    "bully": [
        {"from": "bully", "text": "you are a worthless loser, just kill yourself"},
        {"from": "bully", "text": "nobody likes you, kill yourself already"},
        {"from": "bully", "text": "seriously kill yourself loser"},
    ],
    "friend": [
        {"from": "sam", "text": "see you at practice tomorrow"},
        {"from": "sam", "text": "did you finish the maths homework?"},
        {"from": "sam", "text": "my mum says we can go to the cinema on saturday"},
    ],
    "stranger": [
        {"from": "stranger", "text": "hey ur so pretty"},
        {"from": "stranger", "text": "how old are u?"},
        {"from": "stranger", "text": "dont tell your mom we talk ok"},
        {"from": "stranger", "text": "add me on snap"},
        {"from": "stranger", "text": "we should meet up"},
    ],
}


def chat_origin(connection: ServerConnection) -> None:
    """A tiny chat server: each message from the client names a script the server replies with."""
    for raw in connection:
        message = json.loads(raw)
        for reply in SCRIPTS.get(message.get("to", ""), []):
            connection.send(json.dumps(reply))
        connection.send(json.dumps({"type": "done"}))


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"json://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


@dataclass
class Setup:
    proxy_port: int
    data_dir: object
    received: list[dict]


@pytest.fixture
def running(data_dir, tmp_path, webhook) -> Iterator[Setup]:
    hook_url, received = webhook
    silent = socket.socket()  # accepts connections and never answers: a dead notification service
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    store = PolicyStore(data_dir.policy_db)
    store.add_profile("Anna", "child")
    store.add_profile("Ben", "teen")
    store.add_device("Tablet", profile="Anna", ip=CHILD)
    store.update_device("Tablet", ca_trusted=True)
    store.add_device("Phone", profile="Ben", ip=TEEN)
    store.update_device("Phone", ca_trusted=True)
    silent_url = f"json://127.0.0.1:{silent.getsockname()[1]}/hook"
    store.set_setting("notify_urls", f"{silent_url} {hook_url}")
    store.close()
    old = ActivityStore(data_dir.activity_db)  # an alert from before the retention period
    old.add_alerts(
        [
            AlertRecord(
                datetime.now(UTC) - timedelta(days=40),
                "Tablet",
                CHILD,
                "Anna",
                "chat.test",
                "chat.test · old",
                "bullying_received",
                0.9,
                "words from long ago",
            )
        ]
    )
    old.close()
    pem = origin_certificate(tmp_path, "chat.test", "allowed.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    with serve(chat_origin, "127.0.0.1", 0, ssl=context) as ws_server, serve_origin() as origin:
        threading.Thread(target=ws_server.serve_forever, daemon=True).start()
        env = {
            "HG_TEST_ORIGIN_PORT": str(origin.port),
            "HG_TEST_TLS_ORIGIN_PORT": str(ws_server.socket.getsockname()[1]),
        }
        script = REPO / "tests" / "support" / "route_test_hosts.py"
        with running_hearthguard(
            data_dir.root,
            "--set",
            f"scripts={script}",
            "--set",
            "ssl_insecure=true",
            "--set",
            "hearthguard_notify_poll_ms=300",
            "--set",
            "hearthguard_notify_timeout=8",
            env=env,
        ) as (port, _, _):
            yield Setup(port, data_dir, received)
        ws_server.shutdown()
    silent.close()


def chat(setup: Setup, source: str, to: str, texts: list[str]) -> list[dict]:
    """Open wss://chat.test/ws through the proxy from ``source``, send ``texts`` to ``to`` and
    return what the server sent back."""
    raw = socket.create_connection(
        ("127.0.0.1", setup.proxy_port), timeout=10, source_address=(source, 0)
    )
    raw.sendall(b"CONNECT chat.test:443 HTTP/1.1\r\nHost: chat.test:443\r\n\r\n")
    assert raw.recv(4096).startswith(b"HTTP/1.1 200")
    context = ssl.create_default_context(cafile=str(setup.data_dir.ca_cert))
    replies: list[dict] = []
    with connect(
        "wss://chat.test/ws", sock=raw, ssl=context, server_hostname="chat.test", open_timeout=10
    ) as ws:
        for text in texts:
            ws.send(json.dumps({"to": to, "text": text}))
            while True:
                reply = json.loads(ws.recv(timeout=10))
                if reply.get("type") == "done":
                    break
                replies.append(reply)
    return replies


def alerts_json(setup: Setup) -> list[dict]:
    out = hearthguard("alerts", "--json", data_dir=setup.data_dir.root).stdout
    return [json.loads(line) for line in out.splitlines()]


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def fetch_time(setup: Setup) -> float:
    started = time.monotonic()
    conn = http.client.HTTPConnection(
        "127.0.0.1", setup.proxy_port, timeout=10, source_address=(CHILD, 0)
    )
    conn.request("GET", "http://allowed.test/")
    assert conn.getresponse().status == 200
    conn.close()
    return time.monotonic() - started


def test_chat_safety_through_a_running_proxy(running: Setup) -> None:
    # Excerpts older than the retention period are gone once the proxy has pruned.
    assert wait_for(
        lambda: all(a["conversation"] != "chat.test · old" for a in alerts_json(running))
    )

    # Benign talk: messages pass unchanged, no alert.
    replies = chat(running, CHILD, "friend", ["hi sam", "what time is practice?"])
    assert replies[:3] == SCRIPTS["friend"]
    time.sleep(1.0)
    assert alerts_json(running) == []

    # Three abusive messages, twice over: exactly one deduplicated alert, passed unchanged.
    replies = chat(running, CHILD, "bully", ["why", "stop it"])
    assert replies[:3] == SCRIPTS["bully"] and len(replies) == 6
    assert wait_for(lambda: len(alerts_json(running)) >= 1)
    time.sleep(1.0)
    found = alerts_json(running)
    assert [a["kind"] for a in found] == ["bullying_received"]
    assert found[0]["conversation"] == "chat.test · bully"
    assert found[0]["device"] == "Tablet" and found[0]["profile"] == "Anna"
    assert "kill yourself" in found[0]["excerpt"]

    # The same bully writing to the teen, whose chat watch is off by default: nothing.
    chat(running, TEEN, "bully", ["why"])
    time.sleep(1.0)
    assert len(alerts_json(running)) == 1

    # A grooming-pattern conversation raises a grooming alert.
    chat(running, CHILD, "stranger", ["hi"])
    assert wait_for(lambda: any(a["kind"] == "grooming_signs" for a in alerts_json(running)))
    grooming = [a for a in alerts_json(running) if a["kind"] == "grooming_signs"]
    assert len(grooming) == 1 and grooming[0]["conversation"] == "chat.test · stranger"
    newest_first = [a["id"] for a in alerts_json(running)]
    assert newest_first == sorted(newest_first, reverse=True)

    # The notifications reach the webhook although the first address never answers, and
    # meanwhile the proxy answers at once.
    slowest = max(fetch_time(running) for _ in range(10))
    assert slowest < 1.0, f"a request took {slowest:.2f} s while a notification was stuck"
    assert wait_for(lambda: len(running.received) >= 1, timeout=40)
    text = json.dumps(running.received)
    assert "bullying" in text.lower() or "grooming" in text.lower()
    assert "kill yourself" not in text and "/ws" not in text  # no chat text, no URL

    # The alerts are on the dashboard, with a badge.
    app = create_app({"DATA_DIR": str(running.data_dir.root), "TESTING": True})
    app.test_client_class = HttpsClient
    client = app.test_client()
    auth = Auth(client, running.data_dir)
    auth.create()
    assert auth.login().status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert 'aria-label="2 new"' in home
    page = client.get("/alerts/").get_data(as_text=True)
    assert "Possible bullying received" in page and "Signs of grooming" in page
    assert "chat.test · stranger" in page
