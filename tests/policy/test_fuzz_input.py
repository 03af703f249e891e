"""Hostile input to the pure parts, generated (bounded): chat capture and address spellings.

The never-raises properties of the normaliser itself live in test_address.py; here: every
spelling of a denied site is still denied, normalising is stable, and no chat body or frame
makes the capture raise (one bad frame used to cost the whole batch its alerts).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.models.chattext import chat_features
from policy.address import HostKind, normalise_host, normalise_path
from policy.alerts_capture import MAX_TEXT, MAX_TEXTS, from_body, from_websocket
from policy.decide import decide
from policy.network import Network
from policy.snapshot import Snapshot
from policy.values import Action, Profile, Reason, Request, Rule

FUZZ = settings(max_examples=150, deadline=None)
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)

_LABEL = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["message", "text", "to", "content", "password", "x"])
            | st.text(max_size=5),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)
_CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/x-www-form-urlencoded",
        "application/activity+json",
        "text/plain",
        "",
    ]
)


def _check(captured) -> None:  # type: ignore[no-untyped-def]
    if captured is None:
        return
    assert 1 <= len(captured.texts) <= MAX_TEXTS
    assert all(0 < len(t) <= MAX_TEXT for t in captured.texts)
    assert len(captured.peer) <= 80


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=600),
        _JSON.map(lambda v: json.dumps(v).encode()),
        st.integers(0, 3000).map(lambda n: b"[" * n + b"]" * n),
        st.integers(150, 400).map(lambda n: "&".join(f"f{i}=x" for i in range(n)).encode()),
    ),
    content_type=_CONTENT_TYPES,
    path=st.sampled_from(["/chat", "/api/v9/channels/123/messages", "/api/comment", "/x"]),
)
def test_no_chat_body_makes_the_capture_raise(body: bytes, content_type: str, path: str) -> None:
    _check(from_body("discord.com", path, content_type, body))


@FUZZ
@given(
    frame=st.one_of(
        st.text(max_size=400),
        _JSON.map(json.dumps),
        st.integers(0, 20_000).map(lambda n: "42" + "[" * n),
        st.integers(0, 20_000).map(lambda n: "{" + '"a":{' * n),
        st.text(max_size=50).map(lambda t: f":nick!u@h PRIVMSG #room :{t}\r\n" * 30),
    )
)
def test_no_websocket_frame_makes_the_capture_raise(frame: str) -> None:
    _check(from_websocket("chat.example", frame))
    chat_features(frame[:2000])


def test_padding_does_not_hide_a_message() -> None:
    """Deep nesting beside it, or hundreds of form fields after it, leave the message read."""
    form = "message=meet+me+alone&" + "&".join(f"f{i}=x" for i in range(500))
    captured = from_body(
        "chat.example", "/chat", "application/x-www-form-urlencoded", form.encode()
    )
    assert captured is not None and captured.texts == ("meet me alone",)
    assert from_websocket("chat.example", "[" * 5000) is None  # refused, not raised


def _spell(host: str, draw: st.DrawFn) -> str:
    """One of the many ways a client can write ``host``."""
    out = []
    for ch in host:
        way = draw(st.integers(0, 3))
        if way == 1:
            out.append(ch.upper())
        elif way == 2 and ch != ".":
            out.append(f"%{ord(ch):02x}")
        elif way == 3 and ch.isalnum():
            out.append(chr(ord(ch) + 0xFEE0))  # full-width form, mapped back by UTS #46
        else:
            out.append(ch)
    text = "".join(out)
    if draw(st.booleans()):
        text += "."
    if draw(st.booleans()):
        text += f":{draw(st.integers(1, 65535))}"
    return text


@st.composite
def _spellings(draw: st.DrawFn) -> tuple[str, str, str]:
    site = f"{draw(_LABEL)}.{draw(st.sampled_from(['com', 'net', 'example']))}"
    sub = draw(st.sampled_from(["", "www.", "a.b."]))
    return site, sub + site, _spell(sub + site, draw)


@FUZZ
@given(spelled=_spellings())
def test_every_spelling_of_a_denied_site_is_denied(spelled: tuple[str, str, str]) -> None:
    site, host, spelling = spelled
    if "%" in spelling and any(ord(c) > 0xFF for c in spelling):
        # a percent-escape beside a full-width letter: not a host any client sends
        return
    child = Profile("Mia", "child", frozenset({"adult"}), rules=(Rule(Action.BLOCK, site),))
    snapshot = Snapshot(1, {"Mia": child}, "Mia", network=Network())
    assert normalise_host(spelling) == (host, HostKind.NAME), spelling
    decision = decide(Request(spelling, "/"), child, snapshot, NOW)
    assert (decision.action, decision.reason) == (Action.BLOCK, Reason.PARENT_DENIED), spelling


@FUZZ
@given(path=st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_normalising_a_path_twice_changes_nothing(path: str | bytes) -> None:
    once = normalise_path(path)
    assert normalise_path(once) == once
    assert normalise_path(once.encode()) == once
