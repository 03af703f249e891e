"""PathWatch: DNS queries and proxied connections noted per device, written in batches."""

from __future__ import annotations

from mitmproxy.proxy import mode_specs
from mitmproxy.test import tflow

from proxy_addons.identity import Identity
from proxy_addons.protection import PathWatch


def client(ip: str, mode: str):
    c = tflow.tclient_conn()
    c.peername = (ip, 40000)
    c.proxy_mode = mode_specs.ProxyMode.parse(mode)
    return c


def test_dns_only_devices_show_as_not_protected(chain) -> None:
    watch = chain.addon(PathWatch)
    for c in (
        client("192.168.1.23", "dns@53"),
        client("192.168.1.24", "dns@53"),
        client("192.168.1.24", "transparent"),
    ):
        watch.client_connected(c)
    watch.write(watch.take())
    assert watch.seen == {}
    now = chain.state.now()
    assert [ip for ip, _, _ in chain.state.activity.unprotected(now)] == ["192.168.1.23"]
    watch.client_connected(client("192.168.1.23", "regular"))
    watch.write(watch.take())
    assert chain.state.activity.unprotected(now) == []


def test_refused_clients_are_not_counted(chain) -> None:
    outsider = client("100.64.0.7", "dns@53")
    chain.addon(Identity).client_connected(outsider)
    chain.addon(PathWatch).client_connected(outsider)
    assert chain.addon(PathWatch).seen == {}
