"""A loopback origin that answers like a hostile or broken server, for real-process tests.

Paths (every answer is bounded; nothing leaves 127.0.0.1):

- ``/bomb/<gzip2|gzip|br|zstd>/<adult|plain>``: an HTML page whose body is a compression bomb
  (a page's beginning, then about a gibibyte of zeros once inflated);
- ``/huge/<adult|plain>/<length|chunked>``: a 100 MB HTML page on one line, generated while it
  is sent, with a Content-Length or chunked;
- ``/ws-bomb``: a WebSocket handshake claiming compression, then one compressed message that
  inflates to 256 MiB;
- ``/page/<adult|plain>``: a small page, harmful or not;
- ``/badbytes``: invalid UTF-8 and Latin-1 bytes in a header and in the body;
- ``/reset``: the connection is reset (RST) before any answer;
- ``/close``: the connection is closed after half the announced body;
- ``/slow``: headers, then nothing for ``slow_seconds``;
- anything else: a small page.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.bombs import (
    brotli_bomb,
    double_gzip_bomb,
    gzip_bomb,
    websocket_deflate_bomb,
    zstd_bomb,
)

FILLER = " ".join(["the garden library river weather school museum"] * 40)
ADULT_HEAD = (
    "<html><head><title>Videos</title></head><body><p>" + FILLER + "</p>"
    "<p>free porn xxx hardcore porn sex videos pussy cock hardcore sex free porn videos</p>"
).encode()
PLAIN_HEAD = (
    "<html><head><title>Garden</title></head><body><p>" + FILLER + "</p>"
    "<p>our school garden grows beans, peas and sunflowers every spring</p>"
).encode()
HUGE_BYTES = 100 * 1000 * 1000
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
GIB_MIB = 1024


def bomb_body(kind: str, head: bytes) -> tuple[bytes, str]:
    """The body and its Content-Encoding."""
    if kind == "gzip2":
        return double_gzip_bomb(head, 2 * GIB_MIB), "gzip, gzip"
    if kind == "gzip":
        return gzip_bomb(head, 900), "gzip"  # ~0.9 MB on the wire: under the 1 MB stream limit
    if kind == "br":
        return brotli_bomb(head, GIB_MIB), "br"
    return zstd_bomb(head, GIB_MIB), "zstd"


@dataclass
class HostileOrigin:
    port: int
    slow_seconds: float = 30.0
    hits: list[str] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)  # path -> body bytes written


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        origin = self.server.origin
        origin.hits.append(self.path)
        parts = self.path.split("?")[0].strip("/").split("/")
        try:
            if parts[0] == "bomb":
                body, encoding = bomb_body(
                    parts[1], ADULT_HEAD if parts[2] == "adult" else PLAIN_HEAD
                )
                self._answer(body, {"Content-Encoding": encoding})
            elif parts[0] == "ws-bomb":
                key = self.headers.get("Sec-WebSocket-Key", "")
                accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest())
                self.send_response(101)
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.send_header("Sec-WebSocket-Accept", accept.decode())
                # claimed whether or not the client offered it: a hostile server
                self.send_header("Sec-WebSocket-Extensions", "permessage-deflate")
                self.end_headers()
                self.wfile.write(websocket_deflate_bomb(256))
                self.wfile.flush()
                time.sleep(1)
                self.close_connection = True
            elif parts[0] == "page":
                head = ADULT_HEAD if parts[1:2] == ["adult"] else PLAIN_HEAD
                self._answer(head + b"</body></html>", {})
            elif parts[0] == "huge":
                self._huge(ADULT_HEAD if parts[1] == "adult" else PLAIN_HEAD, parts[2] == "chunked")
            elif parts[0] == "badbytes":
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self._raw_header(b"X-Odd", b"caf\xe9 \xff\xfe \xc3\x28")
                body = (
                    b"<html><body><p>caf\xe9 \xff\xfe\xc3\x28 hello from origin</p></body></html>"
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif parts[0] == "reset":
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                self.close_connection = True
            elif parts[0] == "close":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", "10000")
                self.end_headers()
                self.wfile.write(b"<p>" + b"x" * 4997)
                self.wfile.flush()
                self.close_connection = True
            elif parts[0] == "slow":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.flush()
                time.sleep(origin.slow_seconds)
                self.close_connection = True
            else:
                self._answer(b"<html><body><p>hello from origin</p></body></html>", {})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _raw_header(self, name: bytes, value: bytes) -> None:
        self._headers_buffer.append(name + b": " + value + b"\r\n")  # type: ignore[attr-defined]

    def _answer(self, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.server.origin.sent[self.path] = len(body)  # before the client can have read it
        self.wfile.write(body)

    def _huge(self, head: bytes, chunked: bool) -> None:
        """``head`` then words on one line, up to exactly ``HUGE_BYTES``, written as it goes."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(HUGE_BYTES))
        self.end_headers()
        line = (b"garden river school " * 52429)[: 1 << 20]
        written = 0
        piece = head
        while written < HUGE_BYTES:
            piece = piece[: HUGE_BYTES - written]
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self.wfile.write(piece)
            written += len(piece)
            piece = line
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.server.origin.sent[self.path] = written


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    origin: HostileOrigin


@contextmanager
def serve_hostile_origin(slow_seconds: float = 30.0) -> Iterator[HostileOrigin]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.origin = HostileOrigin(server.server_address[1], slow_seconds)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    try:
        yield server.origin
    finally:
        server.shutdown()
        server.server_close()
