"""The whole filter as a family runs it: a real ``hearthguard run`` between clients and origins."""

from __future__ import annotations

import http.client
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from policy.store import PolicyStore
from policy.values import Action
from tests.support.origin import Origin, serve_origin
from tests.support.processes import REPO, hearthguard, running_hearthguard
from tests.support.tls import origin_certificate

pytestmark = pytest.mark.process

WITHOUT_CA = "127.0.0.1"  # unknown device: the household's default profile, no CA
WITH_CA = "127.0.0.2"  # "Tablet": trusts Hearthguard's CA


@dataclass
class Setup:
    proxy_port: int
    http_origin: Origin
    tls_origin: Origin
    data_dir: object


@pytest.fixture
def running(data_dir, tmp_path) -> Iterator[Setup]:
    store = PolicyStore(data_dir.policy_db)
    store.add_device("Tablet", profile="Household", ip=WITH_CA)
    store.update_device("Tablet", ca_trusted=True)
    store.add_rule("Household", Action.BLOCK, "blocked.test")
    store.close()
    pem = origin_certificate(tmp_path, "allowed.test", "blocked.test", "later.test")
    with serve_origin() as http_origin, serve_origin(tls_cert=pem) as tls_origin:
        env = {
            "HG_TEST_ORIGIN_PORT": str(http_origin.port),
            "HG_TEST_TLS_ORIGIN_PORT": str(tls_origin.port),
        }
        script = REPO / "tests" / "support" / "route_test_hosts.py"
        with running_hearthguard(
            data_dir.root, "--set", f"scripts={script}", "--set", "ssl_insecure=true", env=env
        ) as (port, _, _):
            yield Setup(port, http_origin, tls_origin, data_dir)


def get_http(port: int, url: str, source: str = WITHOUT_CA) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", url)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def get_https(port: int, host: str, ca_file, source: str) -> tuple[int, bytes]:
    context = ssl.create_default_context(cafile=str(ca_file))
    conn = http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=10, context=context, source_address=(source, 0)
    )
    conn.set_tunnel(host, 443)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_http_allowed_and_denied(running: Setup) -> None:
    status, body = get_http(running.proxy_port, "http://allowed.test/")
    assert (status, b"hello from origin" in body) == (200, True)
    status, body = get_http(running.proxy_port, "http://blocked.test/page")
    assert status == 403 and b"This page is blocked" in body and b"blocked.test" in body
    assert running.http_origin.hosts() == {"allowed.test"}


def test_https_denied_without_ca_is_refused_and_origin_never_contacted(running: Setup) -> None:
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        get_https(running.proxy_port, "blocked.test", running.data_dir.ca_cert, WITHOUT_CA)
    assert (running.tls_origin.connections, running.tls_origin.hits) == (0, [])
    # the process's own log (the system journal for the service) names no destination (the
    # test router has rewritten blocked.test to the origin's address by then)
    time.sleep(0.5)
    log = (running.data_dir.root / "run.log").read_text()
    assert "blocked.test" not in log and f":{running.tls_origin.port}" not in log


def test_https_denied_with_ca_shows_the_block_page_over_tls(running: Setup) -> None:
    status, body = get_https(running.proxy_port, "blocked.test", running.data_dir.ca_cert, WITH_CA)
    assert status == 403 and b"This page is blocked" in body
    assert running.tls_origin.connections == 0
    status, body = get_https(running.proxy_port, "allowed.test", running.data_dir.ca_cert, WITH_CA)
    assert (status, b"hello from origin" in body) == (200, True)
    assert running.tls_origin.hosts() == {"allowed.test"}


def test_a_rule_changed_with_the_cli_applies_within_two_seconds(running: Setup) -> None:
    assert get_http(running.proxy_port, "http://later.test/")[0] == 200
    hearthguard(
        "rule", "deny", "later.test", "--profile", "Household", data_dir=running.data_dir.root
    )
    changed = time.monotonic()
    while time.monotonic() - changed < 5:
        if get_http(running.proxy_port, "http://later.test/")[0] == 403:
            break
        time.sleep(0.1)
    took = time.monotonic() - changed
    assert took < 2.5, f"the new rule took {took:.1f} s to apply"
    hits_after = [h for h, _ in running.http_origin.hits if h.startswith("later.test")]
    assert len(hits_after) >= 1  # only the request before the rule reached the origin


def test_activity_is_written_to_the_database(running: Setup) -> None:
    get_http(running.proxy_port, "http://blocked.test/")
    from policy.activity import ActivityStore

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        store = ActivityStore(running.data_dir.activity_db)
        found = [e for e in store.recent_decisions() if e.host == "blocked.test"]
        seen = store.sightings()
        store.close()
        if found:
            break
        time.sleep(0.2)
    assert found and found[0].reason == "parent_denied"
    assert WITHOUT_CA in {s.ip for s in seen}


def test_a_list_imported_while_running_applies_without_restart(running: Setup, tmp_path) -> None:
    assert get_http(running.proxy_port, "http://www.listed.test/")[0] == 200
    source = tmp_path / "family.hosts"
    source.write_text("0.0.0.0 listed.test\n")
    hearthguard(
        "lists",
        "import",
        str(source),
        "--category",
        "adult",
        "--name",
        "family/adult",
        data_dir=running.data_dir.root,
    )
    imported = time.monotonic()
    status, body = 0, b""
    while time.monotonic() - imported < 5:
        status, body = get_http(running.proxy_port, "http://www.listed.test/")
        if status == 403:
            break
        time.sleep(0.1)
    assert status == 403, "the proxy did not switch to the rebuilt index"
    assert time.monotonic() - imported < 2.5
    assert b"family/adult" not in body  # list names are for parents, not on the block page
