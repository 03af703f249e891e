"""Notices for parents: no browsing URL ever, settings checks, quiet hours, sending with a limit."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from policy.activitydb.records import AccessRequest, AlertRecord
from policy.notify import (
    Notice,
    NotifySettings,
    clean_notify_kinds,
    clean_notify_urls,
    clean_quiet_hours,
    digest,
    notice_for_alert,
    notice_for_request,
    strip_urls,
)
from policy.notify_send import send
from policy.validate import InputError

AT = datetime(2026, 11, 1, 18, 5, tzinfo=UTC)


def local(moment: datetime) -> datetime:
    return moment


def test_urls_are_cut_to_their_host() -> None:
    text = "look at https://videos.example/watch?v=123&t=4 and www.pics.example/a/b"
    assert strip_urls(text) == "look at videos.example and www.pics.example"


def test_a_request_notice_names_the_host_never_the_url() -> None:
    request = AccessRequest(
        1,
        AT,
        "Tablet",
        "192.168.1.20",
        "Anna",
        "games.example",
        "https://games.example/level/7?session=secret",
        "games",
        "category_blocked",
        "please, it's for https://games.example/level/7?session=secret",
        "pending",
        None,
        None,
        "",
    )
    notice = notice_for_request(request, local)
    assert notice.kind == "ask"
    assert "games.example" in notice.title + notice.body
    assert "level/7" not in notice.title + notice.body and "session" not in notice.body
    assert "Anna on Tablet" in notice.body and "18:05" in notice.body


def alert(kind: str, excerpt: str = "you are a loser") -> AlertRecord:
    return AlertRecord(
        AT,
        "Tablet",
        "192.168.1.20",
        "Anna",
        "chat.example",
        "chat.example · sam",
        kind,
        0.9,
        excerpt,
    )


def test_a_chat_alert_notice_carries_no_chat_text() -> None:
    notice = notice_for_alert(alert("bullying_received"), local)
    assert notice.kind == "chat"
    assert "loser" not in notice.body and "chat.example" in notice.body
    assert notice.title == "Hearthguard: Possible bullying received"


def test_a_childs_report_carries_their_own_words_without_urls() -> None:
    notice = notice_for_alert(alert("child_report", "someone sent me https://x.example/p/1"), local)
    assert notice.kind == "upset"
    assert "someone sent me x.example" in notice.body and "/p/1" not in notice.body


def test_settings_checks() -> None:
    assert clean_notify_urls("json://127.0.0.1:9/hook, ntfy://ntfy.sh/fam") == (
        "json://127.0.0.1:9/hook ntfy://ntfy.sh/fam"
    )
    assert clean_notify_urls("") == ""
    for bad in ("nonsense://x", "not a url", "http//x"):
        with pytest.raises(InputError):
            clean_notify_urls(bad)
    assert clean_notify_kinds("chat, ASK") == "ask,chat"
    with pytest.raises(InputError):
        clean_notify_kinds("chat,everything")
    assert clean_quiet_hours(" 7:30 - 22:00 ") == "07:30-22:00"
    assert clean_quiet_hours("") == ""
    for bad in ("25:00-07:00", "22:00", "07:00-07:00"):
        with pytest.raises(InputError):
            clean_quiet_hours(bad)


@pytest.mark.parametrize(
    ("window", "hour", "quiet"),
    [
        ("22:00-07:00", 23, True),
        ("22:00-07:00", 3, True),
        ("22:00-07:00", 7, False),
        ("22:00-07:00", 12, False),
        ("13:00-14:00", 13, True),
        ("13:00-14:00", 14, False),
    ],
)
def test_quiet_hours(window: str, hour: int, quiet: bool) -> None:
    settings = NotifySettings.from_settings({"notify_urls": "json://x", "quiet_hours": window}.get)
    now = datetime(2026, 11, 1, hour, 0, tzinfo=UTC)
    assert settings.quiet_now(now) is quiet
    if quiet:
        assert settings.quiet_ends(now) > now


def test_kinds_and_damaged_settings() -> None:
    settings = NotifySettings.from_settings(
        {"notify_urls": "json://x", "notify_kinds": "ask", "quiet_hours": "garbage"}.get
    )
    assert settings.wants("ask") and not settings.wants("chat") and settings.quiet is None
    assert not NotifySettings.from_settings({}.get).wants("ask")  # no address: nothing


def test_a_digest_sums_up_many_notices() -> None:
    notices = [Notice("chat", f"Hearthguard: t{i}", f"b{i}") for i in range(25)]
    summary = digest(notices)
    assert "25 things" in summary.title and "and 5 more" in summary.body
    assert digest(notices[:1]) is notices[0]


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


def test_send_reaches_a_webhook(webhook) -> None:
    url, received = webhook
    assert send([url], Notice("chat", "T", "B"))
    assert received == [
        {"version": "1.0", "title": "T", "message": "B", "attachments": [], "type": "info"}
    ]


def test_an_endpoint_that_never_answers_costs_at_most_the_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections, never answers
        url = f"json://127.0.0.1:{silent.getsockname()[1]}/hook"
        started = time.monotonic()
        result = send([url], Notice("chat", "T", "B"), timeout=2.0)
        assert not result.ok
        assert time.monotonic() - started < 3.0


def test_no_address_is_a_failure_not_an_exception() -> None:
    result = send([], Notice("chat", "T", "B"))
    assert not result and "no notification address" in result.error
