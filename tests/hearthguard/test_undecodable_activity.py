"""One request with bytes that are not UTF-8 in its User-Agent or Host never costs the other
devices their activity: a real ``hearthguard run`` writing a real activity.db."""

from __future__ import annotations

import http.client
import socket
import time

import pytest

from policy.activity import ActivityStore
from tests.support.origin import serve_origin
from tests.support.processes import REPO, running_hearthguard

pytestmark = pytest.mark.process

ODD = "127.0.0.3"  # the device that sends undecodable bytes
OTHERS = ("127.0.0.1", "127.0.0.2")


def get(port: int, url: str, source: str, user_agent: bytes) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        conn.putrequest("GET", url, skip_accept_encoding=True)
        conn.putheader("User-Agent", user_agent)
        conn.endheaders()
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def raw_get(port: int, request: bytes, source: str) -> bytes:
    """Send bytes http.client would refuse to write (an undecodable Host header)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0)) as s:
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
            if len(answer) > 1_000_000:
                break
    return answer


def test_an_undecodable_user_agent_or_host_never_drops_other_devices_activity(
    data_dir,
) -> None:
    script = REPO / "tests" / "support" / "route_test_hosts.py"
    with serve_origin() as origin:
        env = {"HG_TEST_ORIGIN_PORT": str(origin.port)}
        with running_hearthguard(data_dir.root, "--set", f"scripts={script}", env=env) as (
            port,
            _,
            _,
        ):
            # within one flush interval: the odd device's requests and everyone else's
            assert get(port, "http://odd.test/", ODD, b"Mozilla/5.0 \xff\xfe\x80 odd") == 200
            raw_get(
                port,
                b"GET http://odd-host.test/ HTTP/1.1\r\nHost: odd-host\xff.test\r\n"
                b"User-Agent: plain\r\nConnection: close\r\n\r\n",
                ODD,
            )
            for n, source in enumerate(OTHERS):
                assert get(port, f"http://site{n}.test/", source, b"Browser/1.0") == 200
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                store = ActivityStore(data_dir.activity_db)
                hosts = {(e.ip, e.host) for e in store.recent_decisions(200)}
                agents = {s.ip: s.user_agent for s in store.sightings()}
                store.close()
                if {("127.0.0.1", "site0.test"), ("127.0.0.2", "site1.test")} <= hosts and (
                    ODD in agents
                ):
                    break
                time.sleep(0.3)
    assert ("127.0.0.1", "site0.test") in hosts and ("127.0.0.2", "site1.test") in hosts
    assert (ODD, "odd.test") in hosts
    assert agents[ODD] == "Mozilla/5.0 \\xff\\xfe\\x80 odd"
    assert agents["127.0.0.1"] == agents["127.0.0.2"] == "Browser/1.0"
    log = (data_dir.root / "run.log").read_text(errors="replace")
    assert "activity events failed" not in log
