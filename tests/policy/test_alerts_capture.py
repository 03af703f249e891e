"""Capturing chat text: JSON and form bodies, WebSocket frames, known endpoints, caps."""

from __future__ import annotations

import json

import pytest

from policy.alerts_capture import (
    MAX_BODY,
    MAX_TEXT,
    from_body,
    from_websocket,
    is_chat_post,
)


def test_json_message_fields_and_the_peer_are_found() -> None:
    body = json.dumps({"message": {"text": "you are so dumb"}, "to": "sam", "id": 4}).encode()
    captured = from_body("chat.example", "/api/messages", "application/json", body)
    assert captured is not None
    assert captured.texts == ("you are so dumb",) and captured.peer == "sam"


def test_form_bodies_are_read_and_secrets_are_skipped() -> None:
    body = b"comment=hello+there&csrf_token=abc&password_text=x&thread_id=77"
    captured = from_body(
        "forum.example", "/comments/new", "application/x-www-form-urlencoded; charset=utf-8", body
    )
    assert captured is not None
    assert captured.texts == ("hello there",) and captured.peer == "77"


@pytest.mark.parametrize(
    ("host", "path", "body", "text", "peer"),
    [
        (
            "discord.com",
            "/api/v9/channels/1234/messages",
            {"content": "hi", "nonce": "1"},
            "hi",
            "1234",
        ),
        ("slack.com", "/api/chat.postMessage", {"text": "yo", "channel": "C1"}, "yo", "C1"),
        (
            "social.example",
            "/api/v1/statuses",
            {"status": "toot", "visibility": "public"},
            "toot",
            "",
        ),
    ],
)
def test_known_endpoints(host, path, body, text, peer) -> None:
    assert is_chat_post(host, path)
    captured = from_body(host, path, "application/json", json.dumps(body).encode())
    assert captured is not None and captured.texts == (text,) and captured.peer == peer


@pytest.mark.parametrize("path", ["/login", "/search", "/api/v1/cart", "/upload"])
def test_ordinary_posts_are_not_chat(path: str) -> None:
    assert not is_chat_post("shop.example", path)


def test_other_content_types_and_oversized_bodies_are_ignored() -> None:
    assert from_body("c.example", "/chat", "text/plain", b"message=hi") is None
    big = json.dumps({"message": "x" * (MAX_BODY + 1)}).encode()
    assert from_body("c.example", "/chat", "application/json", big) is None
    assert from_body("c.example", "/chat", "application/json", b"\xff\xfe") is None
    assert from_body("c.example", "/chat", "application/json", b"{not json") is None


def test_each_text_is_capped() -> None:
    body = json.dumps({"text": "a " * MAX_TEXT}).encode()
    captured = from_body("c.example", "/chat", "application/json", body)
    assert captured is not None and len(captured.texts[0]) <= MAX_TEXT


def test_deeply_nested_json_is_bounded() -> None:
    deep: object = {"text": "found"}
    for _ in range(50):
        deep = {"x": deep}
    assert from_body("c.example", "/chat", "application/json", json.dumps(deep).encode()) is None


def test_websocket_json_socket_io_irc_and_plain_frames() -> None:
    assert from_websocket("c.example", '{"type":"msg","body":"hello you","room":"r1"}').texts == (
        "hello you",
    )
    io = from_websocket("c.example", '42["message",{"text":"hey there","to":"kim"}]')
    assert io is not None and io.texts == ("hey there",) and io.peer == "kim"
    irc = from_websocket("irc-ws.chat.twitch.tv", ":a!a@a.tmi PRIVMSG #games :gg you noob")
    assert irc is not None and irc.texts == ("gg you noob",) and irc.peer == "#games"
    assert from_websocket("c.example", "hello there friend").texts == ("hello there friend",)


@pytest.mark.parametrize("frame", ["", "   ", "2", "ping", '{"type":"typing"}', "\x00\x01 binary"])
def test_frames_without_chat_text_give_nothing(frame: str) -> None:
    assert from_websocket("c.example", frame) is None
