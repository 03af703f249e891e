"""The TLS gate by SNI: pass through, intercept, or refuse before connecting."""

from __future__ import annotations

import asyncio
import ssl

import pytest
from mitmproxy import tls
from mitmproxy.proxy import context, server_hooks
from mitmproxy.test import tflow

from policy.values import Action
from proxy_addons.tlsgate import TlsGate


def client_hello(sni: str) -> tls.ClientHello:
    """A real ClientHello as Python's TLS stack writes it."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    conn = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname=sni)
    with pytest.raises(ssl.SSLWantReadError):
        conn.do_handshake()
    record = outgoing.read()
    return tls.ClientHello(record[9:])  # past the record and handshake headers


def hello_data(chain, sni: str, ip: str = "192.168.1.20") -> tls.ClientHelloData:
    client = tflow.tclient_conn()
    client.peername = (ip, 50000)
    client.sni = sni
    ctx = context.Context(client, chain.tctx.options)
    ctx.server.address = (sni, 443)
    return tls.ClientHelloData(ctx, client_hello(sni))


def gate(chain) -> TlsGate:
    return chain.addon(TlsGate)


@pytest.fixture
def denied(chain, store):
    store.add_rule("Household", Action.BLOCK, "blocked.example")
    chain.refresh()
    return chain


def test_blocked_host_without_ca_is_refused_before_connecting(denied) -> None:
    data = hello_data(denied, "blocked.example")
    gate(denied).tls_clienthello(data)
    assert data.ignore_connection
    hook = server_hooks.ServerConnectionHookData(data.context.server, data.context.client)
    asyncio.run(gate(denied).server_connect(hook))
    assert hook.server.error and "Hearthguard" in hook.server.error
    decisions, _, _ = denied.state.log.take()
    assert [(e.host, e.action) for e in decisions] == [("blocked.example", "block")]


def test_blocked_host_with_ca_is_intercepted_for_the_block_page(denied, store) -> None:
    store.add_device("Tablet", profile="Household", ip="192.168.1.20")
    store.update_device("Tablet", ca_trusted=True)
    denied.refresh()
    data = hello_data(denied, "blocked.example")
    gate(denied).tls_clienthello(data)
    assert not data.ignore_connection
    hook = server_hooks.ServerConnectionHookData(data.context.server, data.context.client)
    asyncio.run(gate(denied).server_connect(hook))
    assert hook.server.error is None


def test_allowed_host_passes_through_for_devices_without_ca(chain) -> None:
    data = hello_data(chain, "example.org")
    gate(chain).tls_clienthello(data)
    assert data.ignore_connection
    hook = server_hooks.ServerConnectionHookData(data.context.server, data.context.client)
    asyncio.run(gate(chain).server_connect(hook))
    assert hook.server.error is None


def test_allowed_host_is_inspected_for_trusting_devices(chain, store) -> None:
    store.add_device("Tablet", profile="Household", ip="192.168.1.20")
    store.update_device("Tablet", ca_trusted=True)
    chain.refresh()
    data = hello_data(chain, "example.org")
    gate(chain).tls_clienthello(data)
    assert not data.ignore_connection


def fail(chain, sni: str) -> None:
    data = hello_data(chain, sni)
    gate(chain).tls_failed_client(tls.TlsData(data.context.client, data.context))


def intercepts(chain, sni: str) -> bool:
    data = hello_data(chain, sni)
    gate(chain).tls_clienthello(data)
    return not data.ignore_connection


@pytest.fixture
def tablet(chain, store):
    store.add_device("Tablet", profile="Household", ip="192.168.1.20")
    store.update_device("Tablet", ca_trusted=True)
    chain.refresh()
    return chain


def test_one_app_failing_does_not_mark_the_whole_device_as_lacking_the_ca(tablet) -> None:
    fail(tablet, "app.example")
    fail(tablet, "app.example")
    assert intercepts(tablet, "other.example")  # the parent's "CA installed" still holds
    _, sightings, _ = tablet.state.log.take()
    assert sum(s.tls_failed for s in sightings) == 2


def test_failures_on_many_sites_and_no_success_mean_the_ca_is_missing(tablet) -> None:
    for site in ("one.example", "two.example", "three.example"):
        fail(tablet, site)
    assert not intercepts(tablet, "other.example")


def test_a_site_is_pinned_only_after_repeated_failures(tablet) -> None:
    ok = hello_data(tablet, "example.org")
    gate(tablet).tls_established_client(tls.TlsData(ok.context.client, ok.context))
    fail(tablet, "api.pinned.example")
    assert intercepts(tablet, "api.pinned.example")  # one failure is not pinning
    fail(tablet, "api.pinned.example")
    fail(tablet, "cdn.pinned.example")  # the same site, another host
    assert not intercepts(tablet, "api.pinned.example")
    assert intercepts(tablet, "example.org")
    assert tablet.state.trust.trusts("192.168.1.20", None)  # proven by the handshake


@pytest.mark.parametrize("host", ["www.google.com", "www.youtube.com", "www.bing.com"])
def test_search_engines_and_youtube_are_never_given_up(tablet, host) -> None:
    ok = hello_data(tablet, "example.org")
    gate(tablet).tls_established_client(tls.TlsData(ok.context.client, ok.context))
    for _ in range(5):
        fail(tablet, host)
    assert intercepts(tablet, host)  # SafeSearch and the YouTube restriction stay on
