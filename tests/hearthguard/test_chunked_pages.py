"""Pages sent without a Content-Length, through a real ``hearthguard run`` on loopback.

mitmproxy holds such a page for the content scan, but streams it on by itself once it passes
``stream_large_bodies`` (1 MB), with no hook in between. Hearthguard holds them from their
first byte instead: a harmful page of any size is replaced by the block page, a harmless one
arrives byte for byte, over HTTP/1.1 and HTTP/2, and the verdict is remembered.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import random
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import pytest

from policy.datadir import DataDir
from policy.store import PolicyStore
from tests.support.hostile_origin import ADULT_HEAD, PLAIN_HEAD
from tests.support.origin import TlsServer
from tests.support.processes import REPO, running_hearthguard
from tests.support.tls import origin_certificate

pytestmark = pytest.mark.process

TABLET = "127.0.0.2"  # trusts the household CA: its HTTPS is inspected
STOPPED = b"This page was stopped"
CHUNK = 16 * 1024


def page(kind: str, size: int, *, gz: bool = False) -> bytes:
    """An HTML page of about ``size`` bytes on the wire; gzip-encoded with ``gz`` (then its
    filler is a script that does not compress, so the wire size holds)."""
    head = ADULT_HEAD if kind == "adult" else PLAIN_HEAD
    if not gz:
        filler = b"<p>" + b"garden river school " * (size // 20) + b"</p>"
        return head + filler + b"</body></html>"
    noise = base64.b64encode(random.Random(size).randbytes(size))
    return gzip.compress(head + b"<script>//" + noise + b"</script></body></html>")


@dataclass
class ChunkedOrigin:
    port: int
    sent: dict[str, bytes] = field(default_factory=dict)  # path -> body as sent
    flipped: set[str] = field(default_factory=set)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        """``/page/<adult|plain>/<KiB>[/gzip]``; ``/flip/<name>``: harmful the first time,
        harmless after. Always chunked, in 16 KiB chunks."""
        origin = self.server.origin
        parts = self.path.split("?")[0].strip("/").split("/")
        encoding = ""
        if parts[0] == "flip":
            kind = "plain" if self.path in origin.flipped else "adult"
            origin.flipped.add(self.path)
            body = page(kind, 4096)
        else:
            gz = parts[3:] == ["gzip"]
            body = page(parts[1], int(parts[2]) * 1024, gz=gz)
            encoding = "gzip" if gz else ""
        origin.sent[self.path] = body
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for start in range(0, len(body), CHUNK):
                piece = body[start : start + CHUNK]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the proxy stopped reading: it blocked the page


class _Server(TlsServer):
    origin: ChunkedOrigin


@dataclass
class Proxy:
    port: int
    origin: ChunkedOrigin
    data: DataDir


def _serve(tls_cert: Path | None = None) -> _Server:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.origin = ChunkedOrigin(server.server_address[1])
    if tls_cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls_cert)
        server.tls = context
    return server


@pytest.fixture(scope="module")
def proxy(data_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    import shutil
    import threading

    tmp = tmp_path_factory.mktemp("chunked")
    root = tmp / "data"
    shutil.copytree(data_template, root)
    data = DataDir(root)
    store = PolicyStore(data.policy_db)
    store.add_device("Tablet", profile="Household", ip=TABLET)
    store.update_device("Tablet", ca_trusted=True)
    store.close()
    plain, tls = _serve(), _serve(origin_certificate(tmp, "pages.test"))
    tls.origin = plain.origin  # one record of what was sent, whichever way it went
    threads = [
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        for s in (plain, tls)
    ]
    for thread in threads:
        thread.start()
    env = {
        "HG_TEST_ORIGIN_PORT": str(plain.server_address[1]),
        "HG_TEST_TLS_ORIGIN_PORT": str(tls.server_address[1]),
    }
    script = REPO / "tests" / "support" / "route_test_hosts.py"
    try:
        # verdicts are remembered as in a household (hearthguard_scan_cache at its default)
        with running_hearthguard(
            root, "--set", f"scripts={script}", "--set", "ssl_insecure=true", env=env
        ) as (port, _, process):
            yield Proxy(port, plain.origin, data)
            assert process.poll() is None, "the proxy died"
    finally:
        for s in (plain, tls):
            s.shutdown()
            s.server_close()
    log = (root / "run.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


def get(proxy: Proxy, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=60)
    try:
        conn.request("GET", f"http://pages.test{path}", headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        return response.status, response.read()  # chunks joined; gzip left as sent
    finally:
        conn.close()


@pytest.mark.parametrize("kib", [600, 3 * 1024], ids=["600KB", "3MB"])
def test_a_harmful_chunked_page_is_blocked_at_any_size(proxy: Proxy, kib: int) -> None:
    status, body = get(proxy, f"/page/adult/{kib}")
    assert STOPPED in body and b"porn" not in body and len(body) < 100_000, (status, len(body))


def test_a_harmless_3_mb_chunked_page_arrives_byte_for_byte(proxy: Proxy) -> None:
    path = "/page/plain/3072"
    status, body = get(proxy, path)
    assert status == 200 and body == proxy.origin.sent[path]


@pytest.mark.parametrize("kib", [200, 1536], ids=["200KB", "1.5MB"])
def test_a_gzip_chunked_page_is_judged_as_it_came(proxy: Proxy, kib: int) -> None:
    status, body = get(proxy, f"/page/adult/{kib}/gzip")
    shown = gzip.decompress(body) if body.startswith(b"\x1f\x8b") else body  # what is shown
    assert STOPPED in shown and b"porn" not in shown
    path = f"/page/plain/{kib}/gzip"
    status, body = get(proxy, path)
    assert status == 200 and body == proxy.origin.sent[path]
    assert len(body) > kib * 1000  # as large on the wire as announced


def test_the_verdict_is_remembered_for_the_next_request(proxy: Proxy) -> None:
    assert STOPPED in get(proxy, "/flip/clip?id=1")[1]
    # the origin now sends a harmless page there: still blocked, without a new scan
    status, body = get(proxy, "/flip/clip?id=1")
    assert proxy.origin.sent["/flip/clip?id=1"].startswith(PLAIN_HEAD)
    assert STOPPED in body, (status, body[:200])


def h2_get(proxy: Proxy, path: str) -> bytes:
    """GET ``https://pages.test<path>`` over HTTP/2 from the tablet; the body received."""
    sock = socket.create_connection(
        ("127.0.0.1", proxy.port), timeout=20, source_address=(TABLET, 0)
    )
    sock.sendall(b"CONNECT pages.test:443 HTTP/1.1\r\nHost: pages.test:443\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096) or b"\r\n\r\n"
    assert head.startswith(b"HTTP/1.1 200"), head
    context = ssl.create_default_context(cafile=str(proxy.data.ca_cert))
    context.set_alpn_protocols(["h2"])
    tls = context.wrap_socket(sock, server_hostname="pages.test")
    assert tls.selected_alpn_protocol() == "h2"
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.increment_flow_control_window(1 << 30)
    request = [
        (":method", "GET"),
        (":path", path),
        (":authority", "pages.test"),
        (":scheme", "https"),
    ]
    conn.send_headers(1, request, end_stream=True)
    tls.sendall(conn.data_to_send())
    body, deadline = bytearray(), time.monotonic() + 30
    with tls:
        while time.monotonic() < deadline:
            data = tls.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.DataReceived):
                    body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, 1)
                elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                    return bytes(body)
            tls.sendall(conn.data_to_send())
    raise AssertionError(f"no end of stream after {len(body)} bytes")


def test_over_http2_a_harmful_page_is_blocked_and_a_harmless_one_arrives_whole(
    proxy: Proxy,
) -> None:
    body = h2_get(proxy, "/page/adult/3072?h2")
    assert STOPPED in body and b"porn" not in body
    path = "/page/plain/3072?h2"
    assert h2_get(proxy, path) == proxy.origin.sent[path]
