"""The dashboard's server: a fixed number of worker threads, and no device can take them all."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from dashboard import create_app
from dashboard.serve import DashboardServer, tls_context
from hearthguard.runner import dashboard_certificate

WORKERS, PER_CLIENT = 4, 2
GREEDY = "127.0.0.3"


@pytest.fixture
def server(data_dir) -> Iterator[int]:
    app = create_app({"DATA_DIR": str(data_dir.root)})
    pem = dashboard_certificate(data_dir, ["127.0.0.1"])
    httpd = DashboardServer(
        "127.0.0.1", 0, app, tls_context(pem), workers=WORKERS, per_client=PER_CLIENT
    )
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd.server_port
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=15)


def get_pac(port: int, source: str = "127.0.0.1") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request("GET", "/proxy.pac")
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_idle_connections_from_one_device_never_keep_others_out(server: int) -> None:
    """A device opens many connections and sends nothing: it gets its share of the workers,
    the rest of its connections wait behind it, and a parent's phone is served at once."""
    before = threading.active_count()
    idle = [socket.create_connection(("127.0.0.1", server), source_address=(GREEDY, 0))]
    idle += [
        socket.create_connection(("127.0.0.1", server), source_address=(GREEDY, 0))
        for _ in range(3 * WORKERS - 1)
    ]
    try:
        time.sleep(0.3)
        started = time.monotonic()
        assert get_pac(server, "127.0.0.1") == 200
        assert get_pac(server, "127.0.0.2") == 200
        assert time.monotonic() - started < 3  # not after the idle connections' 10 s timeout
        assert threading.active_count() <= before + WORKERS
    finally:
        for s in idle:
            s.close()


def test_many_parallel_requests_from_one_device_are_all_answered(server: int) -> None:
    results: list[int] = []

    def fetch() -> None:
        results.append(get_pac(server, GREEDY))

    threads = [threading.Thread(target=fetch) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [200] * 12


def test_a_dashboard_going_to_rest_answers_the_connection_it_already_took(data_dir) -> None:
    """The idle watcher stops the server and then drains it: a request a worker is serving at
    that moment still gets its whole answer (a slow one here: 1 s)."""
    started, finished = threading.Event(), threading.Event()

    def slow_app(environ, start_response):
        started.set()
        time.sleep(1.0)
        start_response("200 OK", [("Content-Type", "text/plain")])
        finished.set()
        return [b"answered"]

    pem = dashboard_certificate(data_dir, ["127.0.0.1"])
    httpd = DashboardServer("127.0.0.1", 0, slow_app, tls_context(pem))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    answers: list[bytes] = []

    def visit() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", httpd.server_port, timeout=30)
        try:
            conn.request("GET", "/")
            answers.append(conn.getresponse().read())
        finally:
            conn.close()

    visitor = threading.Thread(target=visit)
    visitor.start()
    try:
        assert started.wait(timeout=15)
        httpd.shutdown()
        httpd.drain()
        assert finished.is_set()  # drain returned only once the request was served
        visitor.join(timeout=15)
        assert answers == [b"answered"]
    finally:
        httpd.server_close()
        thread.join(timeout=15)
