"""Real origin servers on 127.0.0.1 that record every request they receive."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGE = (
    b"<!DOCTYPE html><html><head><title>Origin</title></head>"
    b"<body><p>hello from origin</p></body></html>"
)


@dataclass
class Origin:
    port: int
    hits: list[tuple[str, str]] = field(default_factory=list)  # (Host header, path)
    connections: int = 0  # TCP connections accepted, whether or not a request followed

    def hosts(self) -> set[str]:
        return {h.split(":")[0] for h, _ in self.hits}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802
        self.server.origin.hits.append((self.headers.get("Host", ""), self.path))
        body = self.server.pages.get(self.path.split("?")[0], PAGE)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class TlsServer(ThreadingHTTPServer):
    """A threaded HTTP server that speaks TLS on each connection when ``tls`` is set (a
    handshake that fails ends that connection only)."""

    daemon_threads = True
    tls: ssl.SSLContext | None = None

    def finish_request(self, request, client_address):  # type: ignore[no-untyped-def]
        if self.tls is not None:
            self.tls_accepted()
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)

    def tls_accepted(self) -> None:
        """Called for each connection before its TLS handshake."""


class _Server(TlsServer):
    origin: Origin
    pages: dict[str, bytes]

    def process_request(self, request, client_address):  # type: ignore[no-untyped-def]
        self.origin.connections += 1
        super().process_request(request, client_address)


@contextmanager
def serve_origin(
    *, tls_cert: Path | None = None, pages: dict[str, bytes] | None = None
) -> Iterator[Origin]:
    """An HTTP (or, with ``tls_cert``, HTTPS) origin on a free loopback port."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.origin = Origin(server.server_address[1])
    server.pages = pages or {}
    if tls_cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls_cert)
        server.tls = context
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    try:
        yield server.origin
    finally:
        server.shutdown()
        server.server_close()
