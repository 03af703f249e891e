"""The "Internet" of the gateway tests: run inside its own network namespace, it serves and
records what reaches it, one JSON line per event in the log file:

- HTTP on port 80 and HTTPS on 443 (``{"kind": "http"|"https", "host", "path"}``; a TLS
  connection is logged as ``{"kind": "tls"}`` as soon as it is accepted);
- UDP datagrams on 443 (QUIC) and 4433 (a control port that no rule drops): ``{"kind": "udp",
  "port"}``; TCP connections on 853 (DNS over TLS): ``{"kind": "dot"}``;
- DNS on 53 (``{"kind": "dns", "name"}``), answering A questions from ``--answers``.

Started as ``python -m tests.support.netorigin ADDRESS CERT LOG ANSWERS_JSON``; it prints
"ready" once every socket listens and runs until it is terminated.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.support.dnsstub import upstream_dns
from tests.support.origin import TlsServer

_lock = threading.Lock()


def record(log: Path, **event: object) -> None:
    with _lock, log.open("a", encoding="utf-8") as f:
        f.write(json.dumps(event) + "\n")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802
        record(
            self.server.log,
            kind=self.server.kind,
            host=self.headers.get("Host", ""),
            path=self.path,
        )
        body = b"<html><body><p>hello from origin</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(TlsServer):
    log: Path
    kind: str

    def tls_accepted(self) -> None:
        record(self.log, kind="tls")


def _web(address: str, port: int, log: Path, kind: str, tls: ssl.SSLContext | None) -> None:
    server = _Server((address, port), _Handler)
    server.log, server.kind, server.tls = log, kind, tls
    threading.Thread(target=server.serve_forever, daemon=True).start()


def _udp(address: str, port: int, log: Path) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, port))

    def serve() -> None:
        while True:
            sock.recvfrom(2048)
            record(log, kind="udp", port=port)

    threading.Thread(target=serve, daemon=True).start()


def _dot(address: str, log: Path) -> None:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, 853))
    sock.listen(8)

    def serve() -> None:
        while True:
            conn, _ = sock.accept()
            record(log, kind="dot")
            conn.close()

    threading.Thread(target=serve, daemon=True).start()


def main() -> None:
    address, cert, log_name, answers = sys.argv[1:5]
    log = Path(log_name)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert)
    _web(address, 80, log, "http", None)
    _web(address, 443, log, "https", context)
    for port in (443, 4433):
        _udp(address, port, log)
    _dot(address, log)
    with upstream_dns(json.loads(answers), address) as dns:
        print("ready", flush=True)
        seen = 0
        stop = threading.Event()
        while not stop.wait(0.1):
            for name in dns.asked[seen:]:
                record(log, kind="dns", name=name)
            seen = len(dns.asked)


if __name__ == "__main__":
    main()
