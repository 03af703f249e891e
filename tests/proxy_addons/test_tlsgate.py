"""The TLS gate by SNI: pass through, intercept, or refuse before connecting."""

from __future__ import annotations

import ssl

import pytest
from mitmproxy import tls
from mitmproxy.proxy import context, server_hooks
from mitmproxy.test import tflow

from policy.model import Action
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
    gate(denied).server_connect(hook)
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
    gate(denied).server_connect(hook)
    assert hook.server.error is None


def test_allowed_host_passes_through_for_devices_without_ca(chain) -> None:
    data = hello_data(chain, "example.org")
    gate(chain).tls_clienthello(data)
    assert data.ignore_connection
    hook = server_hooks.ServerConnectionHookData(data.context.server, data.context.client)
    gate(chain).server_connect(hook)
    assert hook.server.error is None


def test_allowed_host_is_inspected_for_trusting_devices(chain, store) -> None:
    store.add_device("Tablet", profile="Household", ip="192.168.1.20")
    store.update_device("Tablet", ca_trusted=True)
    chain.refresh()
    data = hello_data(chain, "example.org")
    gate(chain).tls_clienthello(data)
    assert not data.ignore_connection


def test_a_failed_handshake_teaches_the_gate_to_stop_intercepting(chain, store) -> None:
    store.add_device("Tablet", profile="Household", ip="192.168.1.20")
    store.update_device("Tablet", ca_trusted=True)
    chain.refresh()
    failed = hello_data(chain, "pinned.example")
    gate(chain).tls_failed_client(tls.TlsData(failed.context.client, failed.context))
    data = hello_data(chain, "other.example")
    gate(chain).tls_clienthello(data)
    assert data.ignore_connection  # no success ever seen: the CA is not really installed
    _, sightings, _ = chain.state.log.take()
    assert sightings[0].tls_failed == 1


def test_a_pinned_app_is_passed_through_on_a_trusting_device(chain, store) -> None:
    store.add_device("Tablet", profile="Household", ip="192.168.1.20")
    store.update_device("Tablet", ca_trusted=True)
    chain.refresh()
    ok = hello_data(chain, "example.org")
    gate(chain).tls_established_client(tls.TlsData(ok.context.client, ok.context))
    pinned = hello_data(chain, "pinned.example")
    gate(chain).tls_failed_client(tls.TlsData(pinned.context.client, pinned.context))
    again = hello_data(chain, "pinned.example")
    gate(chain).tls_clienthello(again)
    assert again.ignore_connection
    other = hello_data(chain, "example.org")
    gate(chain).tls_clienthello(other)
    assert not other.ignore_connection
