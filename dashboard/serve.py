"""Serves the dashboard: HTTPS for parents and plain HTTP for set-up pages, on one port.

Each connection's first byte tells them apart (a TLS handshake starts with 0x16), so a device
that does not trust Hearthguard's CA yet can still fetch the certificate and the PAC file, while
every page behind the parent login is only ever sent over TLS with Secure cookies.

    python -m dashboard.serve --data-dir D --host H --port P --tls PEM [--proxy-port 8080]
"""

from __future__ import annotations

import argparse
import logging
import socket
import ssl
from pathlib import Path
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

__all__ = ["DashboardServer", "main"]

log = logging.getLogger(__name__)
_HANDSHAKE_TIMEOUT = 10.0


class _Handler(WSGIRequestHandler):
    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        environ["wsgi.url_scheme"] = (
            "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        )
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # the proxy keeps the activity log; the dashboard does not log each page view


class DashboardServer(ThreadedWSGIServer):
    """A threaded WSGI server that speaks TLS or plain HTTP per connection."""

    def __init__(self, host: str, port: int, app: Any, tls: ssl.SSLContext) -> None:
        super().__init__(host, port, app, handler=_Handler)
        self.tls = tls

    def finish_request(self, request: Any, client_address: Any) -> None:  # worker thread
        request.settimeout(_HANDSHAKE_TIMEOUT)
        try:
            first = request.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first != b"\x16":
            request.settimeout(60)
            super().finish_request(request, client_address)
            return
        try:
            wrapped = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("TLS handshake with %s failed: %s", client_address, exc)
            return
        wrapped.settimeout(60)
        try:
            super().finish_request(wrapped, client_address)
        finally:
            wrapped.close()


def tls_context(pem: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(pem)
    return context


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dashboard.serve")
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--tls", required=True, type=Path)
    parser.add_argument("--proxy-port", type=int, default=8080)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="dashboard: %(message)s")

    from dashboard import create_app

    app = create_app({"DATA_DIR": str(args.data_dir), "PROXY_PORT": args.proxy_port})
    server = DashboardServer(args.host, args.port, app, tls_context(args.tls))
    log.info("listening on %s:%s", args.host, server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
