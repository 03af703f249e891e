"""A determined child against a real ``hearthguard run``: every way around the filter that was
found, tried for real through the proxy on loopback.

Each test names the hole it closes. Test sites are ``*.test`` names (and documentation
addresses) that a routing script sends to origins on 127.0.0.1, so nothing leaves the machine
even when the filter fails. "The origin was never contacted" is checked on the origin itself.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import pytest

from policy.activity import ActivityStore
from policy.catrust import read_view
from policy.datadir import DataDir
from policy.store import PolicyStore
from policy.values import Action
from tests.support.origin import Origin, serve_origin
from tests.support.processes import REPO, running_hearthguard
from tests.support.tls import origin_certificate

pytestmark = pytest.mark.process

UNKNOWN = "127.0.0.1"  # no device: the household default profile, no CA
TABLET = "127.0.0.2"  # a child's tablet that trusts Hearthguard's CA


@dataclass
class Filter:
    port: int
    http_origin: Origin
    tls_origin: Origin
    data: DataDir

    def origins_contacted(self) -> int:
        return self.http_origin.connections + self.tls_origin.connections


@pytest.fixture
def hg(data_dir: DataDir, tmp_path: Path) -> Iterator[Filter]:
    store = PolicyStore(data_dir.policy_db)
    store.add_device("Tablet", profile="Household", ip=TABLET)
    store.update_device("Tablet", ca_trusted=True)
    store.add_rule("Household", Action.BLOCK, "blocked.test")
    store.add_rule("Household", Action.BLOCK, "bücher.test")
    store.close()
    names = ("allowed.test", "blocked.test", "xn--bcher-kva.test", "203.0.113.7", "1.1.1.1")
    pem = origin_certificate(tmp_path, *names)
    with serve_origin() as http_origin, serve_origin(tls_cert=pem) as tls_origin:
        env = {
            "HG_TEST_ORIGIN_PORT": str(http_origin.port),
            "HG_TEST_TLS_ORIGIN_PORT": str(tls_origin.port),
        }
        script = REPO / "tests" / "support" / "route_test_hosts.py"
        with running_hearthguard(
            data_dir.root, "--set", f"scripts={script}", "--set", "ssl_insecure=true", env=env
        ) as (port, _, _):
            yield Filter(port, http_origin, tls_origin, data_dir)


# -- a small client that can say what browsers will not --------------------------------------


def tunnel(hg: Filter, target: bytes, source: str) -> tuple[int, socket.socket]:
    """Send ``CONNECT target``; the proxy's status and the open socket."""
    sock = socket.create_connection(("127.0.0.1", hg.port), timeout=10, source_address=(source, 0))
    sock.sendall(b"CONNECT " + target + b" HTTP/1.1\r\nHost: " + target + b"\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, sock


def tls_over(
    sock: socket.socket, hg: Filter, sni: str | None, *, alpn: str | None = None
) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(hg.data.ca_cert))
    if sni is None:
        context.check_hostname = False
    if alpn:
        context.set_alpn_protocols([alpn])
    return context.wrap_socket(sock, server_hostname=sni)


def http_get(sock: socket.socket, host: bytes, path: bytes = b"/") -> tuple[int, bytes]:
    sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ssl.SSLError, OSError):
            break
        if not chunk:
            break
        data += chunk
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data


def plain(hg: Filter, request_line: bytes, host: bytes, source: str = UNKNOWN) -> tuple[int, bytes]:
    """A plain HTTP request to the proxy, written byte for byte."""
    sock = socket.create_connection(("127.0.0.1", hg.port), timeout=10, source_address=(source, 0))
    with sock:
        sock.sendall(request_line + b"\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data


def refused_or_closed(action) -> bool:  # type: ignore[no-untyped-def]
    """True when ``action`` fails the way a refused connection fails."""
    try:
        action()
    except (ssl.SSLError, ConnectionError, OSError):
        return True
    return False


# -- 1. errors fail closed ---------------------------------------------------------------------


def h2_get(hg: Filter, host: str, path: bytes, source: str) -> int:
    """An HTTP/2 request whose ``:path`` is exactly ``path`` (browsers never send such bytes)."""
    status, sock = tunnel(hg, f"{host}:443".encode(), source)
    assert status == 200
    tls = tls_over(sock, hg, host, alpn="h2")
    assert tls.selected_alpn_protocol() == "h2"
    config = h2.config.H2Configuration(
        client_side=True, validate_outbound_headers=False, normalize_outbound_headers=False
    )
    conn = h2.connection.H2Connection(config=config)
    conn.initiate_connection()
    conn.send_headers(
        1,
        [
            (b":method", b"GET"),
            (b":path", path),
            (b":authority", host.encode()),
            (b":scheme", b"https"),
        ],
        end_stream=True,
    )
    tls.sendall(conn.data_to_send())
    deadline = time.monotonic() + 10
    with tls:
        while time.monotonic() < deadline:
            data = tls.recv(65536)
            if not data:
                return 0
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    return int(dict(event.headers)[b":status"])
            tls.sendall(conn.data_to_send())
    return 0


def test_an_undecodable_http2_path_is_blocked_not_forwarded(hg: Filter) -> None:
    status = h2_get(hg, "blocked.test", b"/\xff\xfe/page", TABLET)
    assert status == 403
    assert hg.tls_origin.connections == 0


def test_an_undecodable_path_on_an_allowed_site_still_reaches_it(hg: Filter) -> None:
    assert h2_get(hg, "allowed.test", b"/caf\xe9", TABLET) == 200
    assert hg.tls_origin.hosts() == {"allowed.test"}


# -- 2. the TLS gate must not trust the SNI alone ------------------------------------------------


@pytest.mark.parametrize("source", [UNKNOWN, TABLET])
@pytest.mark.parametrize("sni", ["allowed.test", "www.nhs.uk"])
def test_connect_to_a_blocked_site_with_an_innocent_sni_is_refused(
    hg: Filter, source: str, sni: str
) -> None:
    # curl --connect-to www.nhs.uk:443:blocked.test:443 -H 'Host: blocked.test' https://www.nhs.uk/
    def attempt() -> None:
        status, sock = tunnel(hg, b"blocked.test:443", source)
        if status != 200:
            raise ConnectionError(status)
        tls = tls_over(sock, hg, sni)
        got, _ = http_get(tls, b"blocked.test")
        if got != 403:  # a block page is a refusal too
            assert got == 0, got
            raise ConnectionError("closed")
        raise ConnectionError("block page")

    assert refused_or_closed(attempt)
    assert hg.tls_origin.connections == 0


def test_an_intercepted_request_must_name_the_site_of_its_sni(hg: Filter) -> None:
    status, sock = tunnel(hg, b"allowed.test:443", TABLET)
    assert status == 200
    tls = tls_over(sock, hg, "allowed.test")
    got, body = http_get(tls, b"blocked.test")  # domain fronting inside an allowed tunnel
    assert got == 403
    assert hg.tls_origin.hits == []


def test_connect_to_an_address_without_sni_is_refused(hg: Filter) -> None:
    def attempt() -> None:
        status, sock = tunnel(hg, b"203.0.113.7:443", UNKNOWN)
        if status != 200:
            raise ConnectionError(status)
        tls = tls_over(sock, hg, None)
        http_get(tls, b"203.0.113.7")

    assert refused_or_closed(attempt)
    assert hg.tls_origin.connections == 0


# -- 3. raw tunnels ------------------------------------------------------------------------------


def test_bytes_that_are_neither_tls_nor_http_are_closed(hg: Filter) -> None:
    status, sock = tunnel(hg, b"allowed.test:443", UNKNOWN)
    assert status == 200
    with sock:
        sock.sendall(b"SSH-2.0-OpenSSH_9.2p1\r\n" + b"\x00" * 64)
        sock.settimeout(5)
        try:
            answer = sock.recv(4096)
        except OSError:
            answer = b""
    assert answer == b""
    assert hg.origins_contacted() == 0


@pytest.mark.parametrize("port", [22, 1194, 8081, 53])
def test_tunnels_to_other_ports_are_refused(hg: Filter, port: int) -> None:
    status, sock = tunnel(hg, f"allowed.test:{port}".encode(), UNKNOWN)
    sock.close()
    assert status == 403
    assert hg.origins_contacted() == 0


# -- 4. internationalised names ------------------------------------------------------------------


def test_a_deny_rule_for_an_idn_name_applies_to_the_unicode_and_punycode_forms(hg: Filter) -> None:
    for host in ("bücher.test".encode(), b"xn--bcher-kva.test", "BÜCHER.test.".encode()):
        status, body = plain(hg, b"GET http://" + host + b"/ HTTP/1.1", host)
        assert status in (400, 403), (host, status)
    assert hg.http_origin.hits == []


@pytest.mark.parametrize(
    ("request_line", "host"),
    [
        (b"GET http://allowed.test/ HTTP/1.1", b"blocked.test"),  # Host says another site
        (b"GET http://BLOCKED.TEST./ HTTP/1.1", b"BLOCKED.TEST."),  # capitals, trailing dot
        (b"GET http://blocked%2Etest/ HTTP/1.1", b"blocked%2Etest"),  # an escaped dot
    ],
)
def test_other_spellings_and_a_lying_host_header_are_caught(
    hg: Filter, request_line: bytes, host: bytes
) -> None:
    status, _ = plain(hg, request_line, host)
    assert status in (400, 403, 502)
    assert hg.http_origin.hits == []


# -- 5. bare addresses and DNS over HTTPS ----------------------------------------------------------


def test_browsing_by_bare_address_is_blocked_with_its_own_reason(hg: Filter) -> None:
    status, body = plain(hg, b"GET http://203.0.113.7/ HTTP/1.1", b"allowed.test")
    assert status == 403 and b"This address is blocked" in body
    assert hg.http_origin.hits == []
    deadline = time.monotonic() + 5
    reasons: set[str] = set()
    while time.monotonic() < deadline and "ip_address" not in reasons:
        time.sleep(0.3)
        store = ActivityStore(hg.data.activity_db)
        reasons = {e.reason for e in store.recent_decisions() if e.host == "203.0.113.7"}
        store.close()
    assert reasons == {"ip_address"}


_DOH_QUERY = b"/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB"


def test_dns_over_https_by_address_is_closed(hg: Filter) -> None:
    def attempt(source: str) -> int:
        """The status a DoH query by address gets; 0 when the connection is refused."""
        try:
            status, sock = tunnel(hg, b"1.1.1.1:443", source)
            if status != 200:
                return 0
            got, _ = http_get(tls_over(sock, hg, None), b"1.1.1.1", _DOH_QUERY)
            return got
        except (ssl.SSLError, ConnectionError, OSError):
            return 0

    assert attempt(UNKNOWN) == 0  # no CA: refused before any server is contacted
    assert attempt(TABLET) in (0, 403)  # with the CA: refused, or the block page says why
    assert hg.tls_origin.hits == []


# -- 6. one failed handshake must not switch interception off ------------------------------------


def test_one_app_refusing_the_certificate_changes_nothing_for_the_browser(hg: Filter) -> None:
    status, sock = tunnel(hg, b"allowed.test:443", TABLET)
    assert status == 200
    app = ssl.create_default_context()  # an app that does not trust the household CA
    with pytest.raises(ssl.SSLError):
        app.wrap_socket(sock, server_hostname="allowed.test")
    sock.close()
    status, sock = tunnel(hg, b"blocked.test:443", TABLET)
    assert status == 200
    got, body = http_get(tls_over(sock, hg, "blocked.test"), b"blocked.test")
    assert got == 403 and b"This page is blocked" in body  # a block page, not a dead connection
    status, sock = tunnel(hg, b"allowed.test:443", TABLET)
    got, body = http_get(tls_over(sock, hg, "allowed.test"), b"allowed.test", b"/?q=1")
    assert got == 200  # and the site the app refused is still intercepted for the browser
    deadline = time.monotonic() + 10  # what the proxy believes reaches the dashboard's file
    view: dict = {}
    while time.monotonic() < deadline and view.get(TABLET, {}).get("belief") != "trusted":
        time.sleep(0.5)
        view = read_view(hg.data.ca_trust)
    assert view[TABLET]["belief"] == "trusted" and view[TABLET]["pinned"] == []
