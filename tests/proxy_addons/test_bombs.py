"""Compression bombs in the hooks that decode bodies besides the content scan: the time
banner and chat watch decode with a cap, so a gigabyte of zeros is never inflated in memory."""

from __future__ import annotations

import gzip
import json
import tracemalloc

import pytest
from mitmproxy.test import tflow

from proxy_addons.chatwatch import ChatWatch
from proxy_addons.httpfilter import HttpFilter
from proxy_addons.timekeeper import TimeKeeper
from tests.proxy_addons.conftest import request_flow
from tests.proxy_addons.test_askparent import run
from tests.proxy_addons.test_chatwatch import CHILD, setup_household
from tests.proxy_addons.test_timekeeper import mia  # noqa: F401  (fixture)
from tests.support.bombs import brotli_bomb, gzip_bomb

#: Far below the gibibyte a bomb inflates to, far above what a capped decode needs.
PEAK_LIMIT = 64 << 20


def _peak(func) -> int:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_bomb_page_gets_no_banner_and_is_never_inflated(mia) -> None:  # noqa: F811
    bomb = gzip_bomb(b"<html><body class='a'><p>hello</p>", 1000)  # 1,000 MiB in ~1 MB
    flow = request_flow("roblox.com", client_ip="192.168.1.20")
    mia.addon(HttpFilter).requestheaders(flow)
    keeper = mia.addon(TimeKeeper)
    keeper.request(flow)
    flow.response = tflow.tresp(content=b"")
    flow.response.headers["content-type"] = "text/html"
    flow.response.headers["content-encoding"] = "gzip"
    flow.response.raw_content = bomb
    keeper.responseheaders(flow)
    assert _peak(lambda: keeper.response(flow)) < PEAK_LIMIT
    assert flow.response.raw_content == bomb  # passed on as it came, without a banner


def test_a_compressed_page_under_the_limit_still_gets_its_banner(mia) -> None:  # noqa: F811
    flow = request_flow("roblox.com", client_ip="192.168.1.20")
    mia.addon(HttpFilter).requestheaders(flow)
    keeper = mia.addon(TimeKeeper)
    keeper.request(flow)
    flow.response = tflow.tresp(content=b"")
    flow.response.headers["content-type"] = "text/html"
    flow.response.headers["content-encoding"] = "gzip"
    flow.response.raw_content = gzip.compress(b"<html><body class='a'><p>hello</p></body></html>")
    keeper.responseheaders(flow)
    keeper.response(flow)
    assert b'<div id="hearthguard-time"' in flow.response.content


def _chat_post(body: bytes, encoding: str | None):  # type: ignore[no-untyped-def]
    flow = request_flow("forum.example", "/api/comments", client_ip=CHILD)
    flow.request.method = "POST"
    flow.request.headers["content-type"] = "application/json"
    if encoding:
        flow.request.headers["content-encoding"] = encoding
    flow.request.raw_content = body
    return flow


def test_a_bomb_posted_to_a_chat_path_is_never_inflated(chain) -> None:
    setup_household(chain)
    watch = chain.addon(ChatWatch)
    bomb = gzip_bomb(b'{"comment": "hello", "pad": "', 60)  # 60 MiB in ~64 KB: under the cap
    flow = _chat_post(bomb, "gzip")
    assert len(bomb) < 64 * 1024
    assert _peak(lambda: watch.request(flow)) < 8 << 20
    assert watch.process(watch._take()) == []  # cut at 64 KB: not JSON, not read, no error


def test_a_compressed_chat_message_is_still_read(chain) -> None:
    setup_household(chain)
    watch = chain.addon(ChatWatch)
    message = json.dumps({"comment": "i want to die", "thread_id": 5}).encode()
    watch.request(_chat_post(gzip.compress(message), "gzip"))
    alerts = watch.process(watch._take())
    assert [a.kind for a in alerts] == ["self_harm_words"]


@pytest.mark.parametrize(
    ("path", "mebibytes"), [("/.hearthguard/ask", 256), ("/.hearthguard/upset", 64)]
)
def test_a_compressed_form_posted_to_the_proxys_own_pages_is_refused(chain, path, mebibytes):
    """A few KB of brotli that inflate to hundreds of MiB, posted to the ask-a-parent or the
    something-upset-me page (any device can reach them): refused unread, never inflated."""
    bomb = brotli_bomb(b"message=hello&token=", mebibytes)
    flow = request_flow("blocked.example", path, client_ip=CHILD)
    flow.request.method = "POST"
    flow.request.headers["content-type"] = "application/x-www-form-urlencoded"
    flow.request.headers["content-encoding"] = "br"
    flow.request.raw_content = bomb
    assert len(bomb) < 64 * 1024
    assert _peak(lambda: run(chain, flow)) < PEAK_LIMIT
    assert not flow.live or flow.response.status_code >= 400
