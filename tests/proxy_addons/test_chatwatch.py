"""Chat watch, the child's report and the notifier through the real addon chain and databases."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from mitmproxy import http, websocket
from mitmproxy.test import tflow
from wsproto.frame_protocol import Opcode

from policy.activity import ActivityStore
from policy.store import PolicyStore
from policy.values import Action
from proxy_addons.chatwatch import MAX_QUEUE, MAX_QUEUE_BYTES, ChatWatch
from proxy_addons.notify import Notifier
from tests.proxy_addons.conftest import request_flow
from tests.proxy_addons.test_askparent import page, post, run

CHILD = "192.168.1.20"  # Anna's tablet (preset child: watched)
TEEN = "192.168.1.30"  # Ben's phone (preset teen: not watched)


def setup_household(chain) -> None:
    store = PolicyStore(chain.state.activity.path.parent / "policy.db")
    store.add_profile("Anna", "child")
    store.add_profile("Ben", "teen")
    store.add_device("Tablet", profile="Anna", ip=CHILD)
    store.add_device("Phone", profile="Ben", ip=TEEN)
    store.close()
    chain.refresh()


def ws_flow(ip: str):
    """A WebSocket flow to chat.example from ``ip``, with no messages yet."""
    flow = tflow.twebsocketflow(messages=False)
    flow.client_conn.peername = (ip, 50000)
    flow.request.host = "chat.example"
    flow.request.headers["Host"] = "chat.example"
    return flow


def send_frames(watch: ChatWatch, ip: str, frames: list[tuple[bool, str]]) -> None:
    flow = ws_flow(ip)
    for from_client, text in frames:
        flow.websocket.messages.append(
            websocket.WebSocketMessage(Opcode.TEXT, from_client, text.encode())
        )
        before = flow.websocket.messages[-1].content
        watch.websocket_message(flow)
        assert flow.websocket.messages[-1].content == before  # passed unchanged
        assert not flow.websocket.messages[-1].dropped


def test_received_abuse_becomes_one_alert_and_the_frames_pass_unchanged(chain) -> None:
    setup_household(chain)
    watch = chain.addon(ChatWatch)
    frames = [(False, json.dumps({"from": "bully", "text": "kill yourself loser"}))] * 5
    send_frames(watch, CHILD, frames)
    alerts = watch.process(watch._take())
    assert [a.kind for a in alerts] == ["bullying_received"]
    stored = chain.state.activity.alerts()
    assert len(stored) == 1 and stored[0].conversation == "chat.example · bully"
    assert stored[0].device == "Tablet" and stored[0].excerpt == "kill yourself loser"


def test_a_teens_chat_is_not_even_queued(chain) -> None:
    setup_household(chain)
    watch = chain.addon(ChatWatch)
    send_frames(watch, TEEN, [(False, json.dumps({"text": "kill yourself"}))])
    assert watch._take() == []


def test_parents_can_turn_it_on_for_a_teen_with_category_only(chain) -> None:
    setup_household(chain)
    store = PolicyStore(chain.state.activity.path.parent / "policy.db")
    store.set_setting("chat_watch", "Ben=category")
    store.close()
    chain.refresh()
    watch = chain.addon(ChatWatch)
    watch._read_overrides()
    send_frames(watch, TEEN, [(False, json.dumps({"text": "kill yourself"}))])
    alerts = watch.process(watch._take())
    assert [a.kind for a in alerts] == ["bullying_received"] and alerts[0].excerpt == ""


def test_binary_frames_are_ignored(chain) -> None:
    setup_household(chain)
    watch = chain.addon(ChatWatch)
    flow = ws_flow(CHILD)
    flow.websocket.messages.append(websocket.WebSocketMessage(Opcode.BINARY, False, b"\x00kys"))
    watch.websocket_message(flow)
    assert watch._take() == []


def test_the_queue_is_bounded(chain) -> None:
    setup_household(chain)
    watch = chain.addon(ChatWatch)
    send_frames(watch, CHILD, [(False, "hello there")] * (MAX_QUEUE + 10))
    assert len(watch._queue) == MAX_QUEUE and watch.dropped == 10


def test_the_queue_is_bounded_in_bytes_too(chain) -> None:
    setup_household(chain)
    watch = chain.addon(ChatWatch)
    big = "word " * 2000  # 10,000 characters, cut to the frame cap
    send_frames(watch, CHILD, [(False, big)] * 1000)
    queued = sum(len(raw.frame or "") for raw in watch._queue)
    assert queued <= MAX_QUEUE_BYTES and watch.dropped > 0
    assert watch._queued_bytes == queued


def test_an_error_while_copying_never_closes_the_conversation(chain) -> None:
    setup_household(chain)
    watch = chain.addon(ChatWatch)
    flow = ws_flow(CHILD)
    flow.websocket.messages.append(websocket.WebSocketMessage(Opcode.TEXT, False, b"hi there"))
    flow.client_conn.peername = ("192.168.1.99", 5000)  # unknown: the default profile ...
    chain.state.snapshot = dataclasses.replace(chain.state.snapshot, default_profile="gone")
    with pytest.raises(KeyError):  # ... which a damaged snapshot does not have
        watch.mode_for("192.168.1.99")
    watch.websocket_message(flow)
    assert flow.live and not flow.websocket.messages[-1].dropped
    assert watch._take() == []


def test_a_chat_post_is_read_after_the_filter_and_never_changed(chain) -> None:
    setup_household(chain)
    watch = chain.addon(ChatWatch)
    flow = request_flow("forum.example", "/api/comments", client_ip=CHILD)
    flow.request.method = "POST"
    flow.request.headers["content-type"] = "application/json"
    flow.request.content = json.dumps({"comment": "i want to die", "thread_id": 5}).encode()
    run(chain, flow)
    assert flow.response is None  # went on to the origin
    alerts = watch.process(watch._take())
    assert [a.kind for a in alerts] == ["self_harm_words"]
    assert alerts[0].conversation == "forum.example · 5"


def test_a_login_post_is_not_read(chain) -> None:
    setup_household(chain)
    watch = chain.addon(ChatWatch)
    flow = request_flow("forum.example", "/login", client_ip=CHILD)
    flow.request.method = "POST"
    flow.request.urlencoded_form = {"text": "kill yourself", "password": "x"}
    run(chain, flow)
    assert watch._take() == []


def _token(response: http.Response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.get_text())
    assert match, "the page has no form"
    return html.unescape(match.group(1))


def test_something_upset_me_reaches_the_parent(chain) -> None:
    setup_household(chain)
    form = page(chain, "any.example", "/.hearthguard/upset")
    assert form.response.status_code == 200
    body = form.response.get_text()
    assert "Something online upset me" in body and "116" in body  # a helpline straight away
    sent = post(
        chain,
        "any.example",
        {"token": _token(form.response), "message": "someone asked for photos"},
        path="/.hearthguard/upset",
    )
    assert (
        sent.response.status_code == 200 and "Your parent has been told" in sent.response.get_text()
    )
    stored = chain.state.activity.alerts()
    assert [(a.kind, a.excerpt, a.device) for a in stored] == [
        ("child_report", "someone asked for photos", "Tablet")
    ]


def test_a_report_needs_the_devices_own_token_and_is_rate_limited(chain) -> None:
    setup_household(chain)
    forged = post(chain, "any.example", {"token": "123.abc"}, path="/.hearthguard/upset")
    assert forged.response.status_code == 400
    other = _token(page(chain, "any.example", "/.hearthguard/upset", ip=TEEN).response)
    stolen = post(chain, "any.example", {"token": other}, path="/.hearthguard/upset")
    assert stolen.response.status_code == 400
    token = _token(page(chain, "any.example", "/.hearthguard/upset").response)
    codes = [
        post(
            chain, "any.example", {"token": token}, path="/.hearthguard/upset"
        ).response.status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    assert len(chain.state.activity.alerts()) == 3


def test_every_block_page_links_to_the_report(chain) -> None:
    store = PolicyStore(chain.state.activity.path.parent / "policy.db")
    store.add_rule("Household", Action.BLOCK, "blocked.example")
    store.close()
    chain.refresh()
    blocked = page(chain, "blocked.example")
    assert blocked.response.status_code == 403
    assert 'href="/.hearthguard/upset"' in blocked.response.get_text()


def test_the_transparency_page_says_whether_chat_is_read(chain) -> None:
    setup_household(chain)
    child = page(chain, "any.example", "/.hearthguard/about").response.get_text()
    teen = page(chain, "any.example", "/.hearthguard/about", ip=TEEN).response.get_text()
    assert "It reads chat messages on websites" in child and "a short piece" in child
    assert "Your chat messages are not read" in teen


def test_a_refused_notification_is_not_retried_and_never_raises(chain) -> None:
    setup_household(chain)
    notifier = chain.addon(Notifier)
    store = PolicyStore(chain.state.activity.path.parent / "policy.db")
    store.set_setting("notify_urls", "json://127.0.0.1:9/never")  # discard port: refused at once
    store.close()
    notifier._start_cursors()
    activity: ActivityStore = chain.state.activity
    activity.add_request(
        device="Tablet",
        ip=CHILD,
        profile="Anna",
        host="games.example",
        url="https://games.example/x?y=1",
        category="games",
        reason="category_blocked",
        message="pls",
        now=chain.state.now(),
    )
    started = time.monotonic()
    assert notifier.poll_once() == []  # nothing listens: not sent, and no exception
    assert time.monotonic() - started < 12
    assert notifier._waiting == [] and notifier.poll_once() == []  # never sent twice


def test_notices_reach_a_webhook_wait_in_quiet_hours_and_never_carry_a_url(chain) -> None:
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
    try:
        setup_household(chain)
        store = PolicyStore(chain.state.activity.path.parent / "policy.db")
        store.set_setting("notify_urls", f"json://127.0.0.1:{server.server_port}/hook")
        store.set_setting("quiet_hours", "22:00-07:00")
        store.set_setting("timezone", "UTC")
        store.close()
        chain.refresh()
        notifier = chain.addon(Notifier)
        notifier._start_cursors()
        chain.state.activity.add_request(
            device="Tablet", ip=CHILD, profile="Anna", host="games.example",
            url="https://games.example/level/7?session=abc", category="games",
            reason="category_blocked", message="see https://games.example/level/7",
            now=chain.state.now(),
        )  # fmt: skip
        send_frames(chain.addon(ChatWatch), CHILD, [(False, '{"text": "kill yourself"}')])
        chain.addon(ChatWatch).process(chain.addon(ChatWatch)._take())
        night = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
        assert notifier.poll_once(night) == [] and received == []  # quiet hours: they wait
        morning = datetime(2026, 11, 3, 7, 5, tzinfo=UTC)
        sent = notifier.poll_once(morning)
        assert sorted(n.kind for n in sent) == ["ask", "chat"]
        assert len(received) == 2
        text = json.dumps(received)
        assert "games.example" in text and "level/7" not in text and "session" not in text
        assert "kill yourself" not in text
        assert notifier.poll_once(morning) == []  # nothing twice
    finally:
        server.shutdown()
        server.server_close()


def test_a_device_trying_ways_around_the_filter_is_notified_once_a_day(chain) -> None:
    if not hasattr(ActivityStore, "bypass_tries"):
        pytest.skip("this activity.db does not record bypass tries")
    from policy.activitydb.records import DecisionEvent

    setup_household(chain)
    store = PolicyStore(chain.state.activity.path.parent / "policy.db")
    store.set_setting("notify_urls", "json://127.0.0.1:9/never")
    store.close()
    notifier = chain.addon(Notifier)
    notifier._start_cursors()
    now = datetime.now(UTC)
    events = [
        DecisionEvent(now, "Tablet", CHILD, "Anna", f"vpn{i}.example", "block",
                      "category_blocked", "anonymizer", "list", None)
        for i in range(4)
    ]  # fmt: skip
    chain.state.activity.write_batch(events, [])
    found = notifier._network(chain.state.activity, now)
    assert [n.kind for n in found] == ["bypass"]
    assert "Tablet" in found[0].body and "vpn0.example" in found[0].body
    later = now + timedelta(minutes=10)
    assert notifier._network(chain.state.activity, later) == []  # told once today


def test_scores_are_the_models_and_repeats_are_scored_once(chain) -> None:
    from classifier.models.loading import load_models

    model = load_models(names=("chat",)).chat
    if model is None:
        pytest.skip("no chat model can be loaded here")
    watch = chain.addon(ChatWatch)
    watch.model = model
    texts = ["you are a stupid loser", "see you at practice", "you are a stupid loser"]
    scores = watch._scores(texts)
    expected = [float(p) for p in model.predict_proba(texts)]
    assert scores == pytest.approx(expected)
    assert len(watch._cache) == 2
    assert watch._scores(["see you at practice"]) == pytest.approx([expected[1]])


def test_the_chat_model_is_loaded_at_the_first_message_scored(chain) -> None:
    watch = chain.addon(ChatWatch)
    assert watch.model is None  # configured, but nothing chatted yet: not in memory
    texts = ["you are a stupid loser", "see you at practice"]
    scores = watch._scores(texts)
    if watch.model is None:
        pytest.skip("no chat model can be loaded here")
    assert scores == pytest.approx([float(p) for p in watch.model.predict_proba(texts)])
    assert scores[0] > scores[1]
    assert watch.threshold == float(watch.model.threshold)


def test_no_chat_model_leaves_scores_at_zero_with_a_warning(
    chain, monkeypatch, tmp_path, caplog
) -> None:
    import classifier.models.loading

    monkeypatch.setattr(classifier.models.loading, "BUNDLED_MODEL_DIR", tmp_path / "none")
    watch = chain.addon(ChatWatch)
    with caplog.at_level("WARNING"):
        assert watch._scores(["you are a stupid loser"]) == [0.0]
    assert watch.model is None
    assert "chat classifier is unavailable" in caplog.text
    caplog.clear()
    assert watch._scores(["again"]) == [0.0]
    assert "chat classifier" not in caplog.text  # tried once, not at every message
