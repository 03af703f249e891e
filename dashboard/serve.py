"""Serves the dashboard: HTTPS for parents and plain HTTP for set-up pages, on one port.

Each connection's first byte tells them apart (a TLS handshake starts with 0x16), so a device
that does not trust Hearthguard's CA yet can still fetch the certificate and the PAC file, while
every page behind the parent login is only ever sent over TLS with Secure cookies.

The server's size is fixed: a pool of ``WORKERS`` threads serves connections, one request each
(HTTP/1.0, so an idle browser never keeps a thread), every read waits at most ``IO_TIMEOUT``
seconds, and while all workers are busy new connections wait in the listening queue. Together
with the cap on argon2 checks (``dashboard.passwords``) this bounds the dashboard's memory
whatever a device on the network sends it. One address is served on at most ``PER_CLIENT``
workers at once; its further connections wait their turn (at most ``_MAX_WAITING`` of them),
so a device that opens many slow connections cannot keep a parent's phone from the dashboard.

The dashboard runs only while it is used. ``hearthguard run`` holds its listening socket and
starts this process, handing it the socket (``--fd``), when the first connection arrives; after
``--idle-exit`` seconds without a connection the process exits with code 0 and the runner waits
for the next one. It stays up while a job it started (a list update, retraining) runs or the
login throttle, which lives in memory only, still counts a failed login: stopping then would
forget it and give a guesser fresh attempts.

    python -m dashboard.serve --data-dir D --tls PEM (--fd N | --host H --port P)
        [--idle-exit SECONDS] [--proxy-port 8080]
"""

from __future__ import annotations

import argparse
import logging
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

__all__ = ["IO_TIMEOUT", "PER_CLIENT", "WORKERS", "DashboardServer", "main", "sleep_when_idle"]

log = logging.getLogger(__name__)
WORKERS = 8
PER_CLIENT = 4
IO_TIMEOUT = 10.0
_QUEUE_WAIT = 10.0  # a connection waits this long for a worker, then is closed
_MAX_WAITING = 32  # connections of one address waiting for its turn (more are closed)
_MAX_WAITING_ALL = 256


class _Handler(WSGIRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: no idle keep-alive threads

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        environ["wsgi.url_scheme"] = (
            "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        )
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # the proxy keeps the activity log; the dashboard does not log each page view


class DashboardServer(BaseWSGIServer):
    """A WSGI server that speaks TLS or plain HTTP per connection, with at most ``workers``
    connections served at once by a fixed pool of threads."""

    multithread = True
    request_queue_size = 128

    def __init__(
        self,
        host: str,
        port: int,
        app: Any,
        tls: ssl.SSLContext,
        *,
        workers: int = WORKERS,
        per_client: int = PER_CLIENT,
        fd: int | None = None,
    ) -> None:
        super().__init__(host, port, app, handler=_Handler, fd=fd)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dashboard")
        self._last_seen = time.monotonic()
        self.tls = tls
        self.workers = workers
        self.per_client = per_client
        self._free = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._active: dict[str, int] = {}
        self._waiting: dict[str, deque[tuple[Any, Any]]] = {}
        self._waiting_all = 0

    @staticmethod
    def _address(client_address: Any) -> str:
        return str(client_address[0] if isinstance(client_address, tuple) else client_address)

    def process_request(self, request: Any, client_address: Any) -> None:  # accept thread
        """Hand the connection to a free worker (waiting, boundedly, when all are busy), or
        queue it behind its own address's connections when that address has its share."""
        address = self._address(client_address)
        with self._lock:
            self._last_seen = time.monotonic()
            share_used = self._active.get(address, 0) >= self.per_client
            if share_used:
                queue = self._waiting.setdefault(address, deque())
                if len(queue) < _MAX_WAITING and self._waiting_all < _MAX_WAITING_ALL:
                    queue.append((request, client_address))
                    self._waiting_all += 1
                    return
            else:
                self._active[address] = self._active.get(address, 0) + 1
        if share_used:  # too many of this address's connections are waiting already
            self.shutdown_request(request)
            return
        if not self._free.acquire(timeout=_QUEUE_WAIT):
            log.warning("All %d dashboard workers stayed busy; closed a connection.", self.workers)
            self._finished(address)
            self.shutdown_request(request)
            return
        try:
            self._pool.submit(self._serve, request, client_address)
        except RuntimeError:  # the pool is shut down: the server is closing
            self._free.release()
            self._finished(address)
            self.shutdown_request(request)

    def idle_for(self) -> float:
        """Seconds since the last connection ended (0 while any is served or waiting)."""
        with self._lock:
            if self._active or self._waiting:
                return 0.0
            return time.monotonic() - self._last_seen

    def _finished(self, address: str) -> tuple[Any, Any] | None:
        """One connection of ``address`` is done: its next waiting connection, if any, takes
        over the same worker; otherwise the address's share shrinks by one."""
        with self._lock:
            self._last_seen = time.monotonic()
            queue = self._waiting.get(address)
            if queue:
                self._waiting_all -= 1
                following = queue.popleft()
                if not queue:
                    del self._waiting[address]
                return following
            self._waiting.pop(address, None)
            left = self._active.get(address, 1) - 1
            if left > 0:
                self._active[address] = left
            else:
                self._active.pop(address, None)
            return None

    def _serve(self, request: Any, client_address: Any) -> None:  # worker thread
        address = self._address(client_address)
        following: tuple[Any, Any] | None = (request, client_address)
        while following is not None:
            request, client_address = following
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)
                following = self._finished(address)
        self._free.release()

    def drain(self) -> None:
        """Wait until every connection already handed to a worker has been served."""
        self._pool.shutdown(wait=True)

    def server_close(self) -> None:
        super().server_close()
        # also called by the server's own set-up (before the pool exists) when it is handed
        # a socket
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def finish_request(self, request: Any, client_address: Any) -> None:  # worker thread
        request.settimeout(IO_TIMEOUT)
        try:
            first = request.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first != b"\x16":
            super().finish_request(request, client_address)
            return
        try:
            wrapped = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("TLS handshake with %s failed: %s", client_address, exc)
            return
        try:
            super().finish_request(wrapped, client_address)
        finally:
            wrapped.close()


def tls_context(pem: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(pem)
    return context


def sleep_when_idle(
    server: DashboardServer, idle_exit: float, may_stop: Callable[[], bool]
) -> threading.Thread:
    """Stop ``server`` once it has had no connection for ``idle_exit`` seconds and
    ``may_stop()`` says nothing would be lost; returns the watching thread (a daemon)."""

    def watch() -> None:
        while True:
            time.sleep(min(5.0, idle_exit / 4))
            if server.idle_for() >= idle_exit and may_stop():
                log.info("no request for %.0f s; resting until the next one", idle_exit)
                server.shutdown()
                server.drain()  # a connection accepted in the meantime is still answered
                return

    thread = threading.Thread(target=watch, name="dashboard-idle", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dashboard.serve")
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--fd", type=int, help="a listening socket to serve (from the runner)")
    parser.add_argument("--idle-exit", type=float, default=0.0, help="0: never")
    parser.add_argument("--tls", required=True, type=Path)
    parser.add_argument("--proxy-port", type=int, default=8080)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="dashboard: %(message)s")

    from dashboard import create_app
    from dashboard.background import jobs_running
    from dashboard.passwords import failures_remembered

    app = create_app({"DATA_DIR": str(args.data_dir), "PROXY_PORT": args.proxy_port})
    server = DashboardServer(args.host, args.port, app, tls_context(args.tls), fd=args.fd)
    log.info("listening on %s:%s", args.host, server.server_address[1])
    if args.idle_exit > 0:
        sleep_when_idle(
            server,
            args.idle_exit,
            lambda: not jobs_running(app) and not failures_remembered(app),
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
