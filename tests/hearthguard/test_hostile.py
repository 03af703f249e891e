"""Hostile answers and requests through a real ``hearthguard run`` on loopback.

Compression bombs, a 100 MB page on one line, bytes that are not UTF-8, line breaks smuggled
into addresses, absurd URLs: the proxy's memory stays bounded, the child gets a page or a
block page (never harmful content the scan should have judged), and the proxy keeps answering.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from policy.datadir import DataDir
from policy.store import PolicyStore
from policy.values import Action
from tests.support.hostile_origin import HUGE_BYTES, HostileOrigin, serve_hostile_origin
from tests.support.processes import REPO, running_hearthguard

pytestmark = pytest.mark.process

#: The proxy idles at about 180 MiB with the models loaded; inflating one bomb or holding the
#: 100 MB page would add far more than this.
RSS_GROWTH_LIMIT_MIB = 120


@dataclass
class Proxy:
    port: int
    pid: int
    origin: HostileOrigin
    data: DataDir
    idle_rss_mib: float


def memory_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} for {pid}")


@pytest.fixture(scope="module")
def proxy(data_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    root = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(data_template, root)
    data = DataDir(root)
    store = PolicyStore(data.policy_db)
    store.add_rule("Household", Action.BLOCK, "blocked.test")
    store.close()
    script = REPO / "tests" / "support" / "route_test_hosts.py"
    with serve_hostile_origin(slow_seconds=3) as origin:
        env = {"HG_TEST_ORIGIN_PORT": str(origin.port)}
        with running_hearthguard(
            root, "--set", f"scripts={script}", "--set", "hearthguard_scan_cache=0", env=env
        ) as (port, _, process):
            assert get(port, "http://warmup.test/")[0] == 200
            yield Proxy(port, process.pid, origin, data, memory_mib(process.pid, "VmRSS"))
            assert process.poll() is None, "the proxy died"
    log = (root / "run.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


def get(port: int, url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", url, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def raw_request(port: int, request: bytes, limit: int = 1 << 20) -> bytes:
    """Send bytes as they are; return what comes back (bounded) until the proxy closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(request)
        received = b""
        while len(received) < limit:
            try:
                chunk = s.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            received += chunk
            if b"\r\n\r\n" in received and _complete(received):
                break
    return received


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def still_filtering(proxy: Proxy) -> None:
    assert get(proxy.port, "http://fine.test/")[0] == 200
    assert get(proxy.port, "http://blocked.test/")[0] == 403


def assert_memory_bounded(proxy: Proxy) -> None:
    peak = memory_mib(proxy.pid, "VmHWM")
    assert peak - proxy.idle_rss_mib < RSS_GROWTH_LIMIT_MIB, (proxy.idle_rss_mib, peak)


@pytest.mark.parametrize("kind", ["gzip2", "gzip", "br", "zstd"])
def test_a_harmful_page_in_a_compression_bomb_is_blocked(proxy: Proxy, kind: str) -> None:
    status, body = get(proxy.port, f"http://bombs.test/bomb/{kind}/adult")
    assert status == 403 and b"porn" not in body
    assert_memory_bounded(proxy)


@pytest.mark.parametrize("kind", ["gzip2", "gzip", "br", "zstd"])
def test_a_harmless_compression_bomb_is_passed_on_as_it_came(proxy: Proxy, kind: str) -> None:
    path = f"/bomb/{kind}/plain"
    status, body = get(proxy.port, f"http://bombs.test{path}", {"Accept-Encoding": "identity"})
    assert status == 200 and len(body) == proxy.origin.sent[path]  # never inflated by the proxy
    assert_memory_bounded(proxy)
    still_filtering(proxy)


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_100_mb_page_on_one_line_streams_through(proxy: Proxy, framing: str) -> None:
    started = time.monotonic()
    status, body = get(proxy.port, f"http://huge.test/huge/plain/{framing}")
    assert status == 200 and len(body) == HUGE_BYTES
    assert time.monotonic() - started < 60
    del body
    assert_memory_bounded(proxy)


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_harmful_100_mb_page_is_never_shown_unscanned(proxy: Proxy, framing: str) -> None:
    """Too large to hold (or of unknown length: mitmproxy would stream it on by itself past
    1 MB): its beginning is judged before any of it is sent, and the block page takes its
    place."""
    status, body = get(proxy.port, f"http://huge.test/huge/adult/{framing}")
    assert b"free porn xxx" not in body, (status, len(body))
    assert b"This page was stopped" in body and len(body) < 100_000
    assert_memory_bounded(proxy)
    still_filtering(proxy)


def test_bytes_that_are_not_utf8_pass_or_block_and_never_break_the_proxy(proxy: Proxy) -> None:
    status, body = get(proxy.port, "http://odd.test/badbytes")
    assert status == 200 and b"hello from origin" in body
    for request in (
        b"GET http://odd.test/caf\xe9/\xff\xfe?q=\xc3\x28 HTTP/1.1\r\nHost: odd.test\r\n\r\n",
        b"GET http://blocked.test/\xff HTTP/1.1\r\nHost: blocked.test\r\n"
        b"User-Agent: \xff\xfe\x80 bot\r\nAccept-Language: \xe9\xe9\r\n\r\n",
        b"GET http://bl\xffocked.test/ HTTP/1.1\r\nHost: bl\xffocked.test\r\n\r\n",
    ):
        answer = raw_request(proxy.port, request)
        status_line = answer.split(b"\r\n", 1)[0]
        assert status_line.startswith(b"HTTP/1.1 "), answer[:200]
        if b"blocked.test" in request or b"bl\xff" in request:
            assert not status_line.startswith(b"HTTP/1.1 2"), status_line  # fail closed
    still_filtering(proxy)


def test_line_breaks_smuggled_into_an_address_reach_no_header_and_no_log_line(
    proxy: Proxy,
) -> None:
    smuggled = "/x%0d%0aSet-Cookie:%20zq=1%0d%0a%0d%0a<zq1>?a=%0aInjected-Line%0d"
    answer = raw_request(
        proxy.port,
        f"GET http://blocked.test{smuggled} HTTP/1.1\r\nHost: blocked.test\r\n"
        "User-Agent: a\rInjected: b\r\n\r\n".encode(),
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 4"), head[:200]
    assert b"zq=1" not in head and b"Injected" not in head
    assert b"<zq1>" not in body
    time.sleep(0.5)
    log = (proxy.data.root / "run.log").read_bytes()
    assert not any(
        line.lstrip().startswith((b"Set-Cookie", b"Injected")) for line in log.splitlines()
    )
    still_filtering(proxy)


@pytest.mark.parametrize(
    ("host", "target"),
    [
        ("blocked.test", "/" + "a" * 65536),
        ("fine.test", "/" + "a" * 65536),
        ("blocked.test", "/?" + "&".join(f"p{i}=v" for i in range(10_000))),
        ("fine.test", "/?" + "&".join(f"p{i}=v" for i in range(10_000))),
    ],
    ids=["64k-path-blocked", "64k-path-allowed", "10k-params-blocked", "10k-params-allowed"],
)
def test_absurd_urls_are_answered_and_never_let_a_blocked_site_through(
    proxy: Proxy, host: str, target: str
) -> None:
    answer = raw_request(
        proxy.port, f"GET http://{host}{target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    )
    status_line = answer.split(b"\r\n", 1)[0]
    if host == "blocked.test":
        # refused one way or another: the block page, or the connection closed unanswered
        assert not status_line.startswith(b"HTTP/1.1 2"), status_line
    else:
        assert status_line.startswith(b"HTTP/1.1 ") or answer == b"", answer[:200]
    still_filtering(proxy)


def test_a_compressed_websocket_message_is_never_inflated(proxy: Proxy) -> None:
    """A server claims WebSocket compression and sends one message that would inflate to
    256 MiB: the claim never reaches the client, the frame closes the connection unread."""
    answer = raw_request(
        proxy.port,
        b"GET http://ws.test/ws-bomb HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
    )
    head = answer.partition(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 101") and b"sec-websocket-extensions" not in head
    assert len(answer) < 1 << 20  # no inflated message came through
    assert_memory_bounded(proxy)
    still_filtering(proxy)
