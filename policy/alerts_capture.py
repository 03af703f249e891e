"""Chat text out of what the proxy sees: WebSocket messages and POST bodies of chat endpoints.

Pure functions over bytes the proxy hands over (already size-capped). Text only: binary
frames, files and anything that is not a message field are ignored. Field names follow
what web chats use (``message``, ``text``, ``body``, ``content``, ``comment``); a small table
of known endpoints adds the ones with their own field names, taken from each service's
published API documentation:

- Discord: ``POST /api/v*/channels/{id}/messages``, JSON ``content`` (the channel is the peer);
- Slack: ``POST /api/chat.postMessage``, ``text`` and ``channel``;
- Reddit: ``POST /api/comment``, form ``text`` and ``thing_id``;
- Mastodon and other ActivityPub servers: ``POST /api/v1/statuses``, ``status``;
- Twitch chat over WebSocket (``irc-ws.chat.twitch.tv``): IRC ``PRIVMSG #channel :text``.

End-to-end encrypted apps (WhatsApp, Signal, Messenger's E2EE chats) send no readable text
through the proxy, and pinned apps are never decrypted: nothing here can see them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl

__all__ = [
    "KNOWN_ENDPOINTS",
    "MAX_BODY",
    "MAX_TEXT",
    "Captured",
    "Endpoint",
    "from_body",
    "from_websocket",
    "is_chat_post",
]

MAX_BODY = 64 * 1024
MAX_TEXT = 1000
MAX_TEXTS = 8
_MAX_DEPTH = 6

TEXT_FIELDS = ("message", "text", "body", "content", "comment", "msg")
PEER_FIELDS = (
    "to",
    "recipient",
    "recipient_id",
    "receiver",
    "channel",
    "channel_id",
    "room",
    "room_id",
    "chat_id",
    "conversation_id",
    "thread_id",
    "peer",
    "target",
    "thing_id",
    "from",
    "sender",
    "author",
    "username",
)
#: Path words that mark a POST as chat-like when no known endpoint matches.
_CHATTY_PATH = re.compile(
    r"(?:^|[/_.-])(?:chat|messages?|msg|comments?|conversations?|dm|inbox|reply|replies|"
    r"threads?|send_?message|post_?message)(?:$|[/_.?-])",
    re.I,
)
_NOT_TEXT_KEYS = re.compile(r"pass|token|secret|csrf|captcha|nonce|key|auth|card|iban", re.I)
_SOCKET_IO = re.compile(r"^\d{1,3}(?=[\[{])")
_IRC_PRIVMSG = re.compile(r"^(?:@\S+ )?(?::\S+ )?PRIVMSG (#?\S+) :(.*)$")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A known web chat endpoint: host suffix, path pattern, its text and peer fields."""

    site: str
    host: str
    path: re.Pattern[str]
    text_fields: tuple[str, ...]
    peer_fields: tuple[str, ...] = ()
    peer_from_path: bool = False


KNOWN_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "Discord",
        "discord.com",
        re.compile(r"^/api/v\d+/channels/(\d{1,24})/messages$"),
        ("content",),
        peer_from_path=True,
    ),
    Endpoint(
        "Slack", "slack.com", re.compile(r"^/api/chat\.postMessage$"), ("text",), ("channel",)
    ),
    Endpoint("Reddit", "reddit.com", re.compile(r"^/api/comment$"), ("text",), ("thing_id",)),
    Endpoint("Mastodon", "", re.compile(r"^/api/v1/statuses$"), ("status",), ()),
)


@dataclass(frozen=True, slots=True)
class Captured:
    """The message texts found in one body or frame, and the peer where one was named."""

    texts: tuple[str, ...]
    peer: str = ""


def _host_matches(host: str, suffix: str) -> bool:
    return not suffix or host == suffix or host.endswith("." + suffix)


def known_endpoint(host: str, path: str) -> tuple[Endpoint, str] | None:
    """The known endpoint ``host`` and ``path`` are, with the peer its path names."""
    bare = path.partition("?")[0]
    for endpoint in KNOWN_ENDPOINTS:
        if _host_matches(host, endpoint.host):
            match = endpoint.path.match(bare)
            if match:
                return endpoint, (match.group(1) if endpoint.peer_from_path else "")
    return None


def is_chat_post(host: str, path: str) -> bool:
    """Cheap test (on the proxy's event loop): might a POST to ``path`` carry chat text?"""
    return known_endpoint(host, path) is not None or bool(_CHATTY_PATH.search(path[:300]))


def _text_key(key: str, fields: tuple[str, ...]) -> bool:
    lowered = key.lower()
    if _NOT_TEXT_KEYS.search(lowered):
        return False
    return lowered in fields or any(
        lowered.endswith(f) or lowered.startswith(f + "_") for f in fields
    )


def _walk(
    value: object, text_fields: tuple[str, ...], peer_fields: tuple[str, ...], depth: int = 0
) -> Iterator[tuple[str, str]]:
    """("text"|"peer", value) for every string under a matching key, depth-first, bounded."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, dict):
        for key, item in list(value.items())[:200]:
            if not isinstance(key, str):
                continue
            if isinstance(item, str):
                if _text_key(key, text_fields):
                    yield "text", item
                elif key.lower() in peer_fields:
                    yield "peer", item
            elif isinstance(item, int | float) and key.lower() in peer_fields:
                yield "peer", str(item)
            else:
                yield from _walk(item, text_fields, peer_fields, depth + 1)
    elif isinstance(value, list):
        for item in value[:200]:
            yield from _walk(item, text_fields, peer_fields, depth + 1)


def _collect(pairs: Iterator[tuple[str, str]], peer: str = "") -> Captured | None:
    texts: list[str] = []
    for kind, value in pairs:
        value = value.strip()
        if not value:
            continue
        if kind == "peer":
            peer = peer or value[:80]
        elif len(texts) < MAX_TEXTS:
            texts.append(value[:MAX_TEXT])
    return Captured(tuple(texts), peer) if texts else None


def from_body(host: str, path: str, content_type: str, body: bytes) -> Captured | None:
    """The chat text in a POST body (JSON or form), or None when it has none."""
    if len(body) > MAX_BODY:
        return None
    known = known_endpoint(host, path)
    text_fields = TEXT_FIELDS + (known[0].text_fields if known else ())
    peer_fields = PEER_FIELDS + (known[0].peer_fields if known else ())
    peer = known[1] if known else ""
    kind = content_type.partition(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if kind == "application/json" or kind.endswith("+json"):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested past the stack
            return None
        return _collect(_walk(data, text_fields, peer_fields), peer)
    if kind == "application/x-www-form-urlencoded":
        # the first 200 fields only: padding a form with more must not hide its message
        first = "&".join(text.split("&", 200)[:200])
        form = parse_qsl(first, keep_blank_values=False, max_num_fields=200)
        return _collect(_walk(dict(form), text_fields, peer_fields), peer)
    return None


def from_websocket(host: str, content: str) -> Captured | None:
    """The chat text in one WebSocket text frame: JSON fields, an IRC ``PRIVMSG`` line, or
    the frame itself when it is plain short text."""
    content = content[: MAX_BODY // 4]
    stripped = content.strip()
    if not stripped:
        return None
    socket_io = _SOCKET_IO.match(stripped)  # socket.io frames: "42[\"event\", {...}]"
    if socket_io:
        stripped = stripped[socket_io.end() :]
    if stripped[0] in "{[":
        try:
            data = json.loads(stripped)
        except (ValueError, RecursionError):
            return None
        return _collect(_walk(data, TEXT_FIELDS, PEER_FIELDS))
    texts, peer = [], ""
    for line in stripped.splitlines()[:20]:
        match = _IRC_PRIVMSG.match(line.strip())
        if match and match.group(2).strip():
            peer = peer or match.group(1)[:80]
            texts.append(match.group(2).strip()[:MAX_TEXT])
    if texts:
        return Captured(tuple(texts[:MAX_TEXTS]), peer)
    if len(stripped) <= MAX_TEXT and stripped.isprintable() and " " in stripped:
        return Captured((stripped,))
    return None
