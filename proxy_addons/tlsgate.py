"""Per TLS connection, by SNI: pass through, intercept, or refuse before the server is contacted.

Needs ``connection_strategy=lazy``: with the eager default mitmproxy has already connected
upstream at CONNECT time, and a refused connection would silently let the site through.
"""

from __future__ import annotations

import logging

from mitmproxy import tls
from mitmproxy.proxy import server_hooks

from classifier.categories import SENSITIVE
from policy.activity import DeviceSighting
from policy.decide import decide
from policy.model import Request
from proxy_addons.httpfilter import log_decision
from proxy_addons.state import ProxyState, client_ip

__all__ = ["TlsGate"]

log = logging.getLogger(__name__)
_SENSITIVE = frozenset(SENSITIVE)
_MAX_REFUSED = 10_000


class TlsGate:
    def __init__(self, state: ProxyState) -> None:
        self.state = state

    def tls_clienthello(self, data: tls.ClientHelloData) -> None:
        snapshot = self.state.snapshot
        server = data.context.server
        if snapshot is None:  # fail closed
            data.ignore_connection = True
            self.state.refused_servers.add(server.id)
            return
        if data.ignore_connection:
            return
        host = data.client_hello.sni or (server.address[0] if server.address else "")
        host = host.lower().rstrip(".")
        if not host:
            data.ignore_connection = True
            return
        ip = client_ip(data.context.client)
        profile, device = snapshot.profile_for(ip)
        decision = decide(
            Request(host, "/", profile.name, device, "https"), snapshot, self.state.now()
        )
        trusted = self.state.trust.trusts(ip, host, device)
        if decision.blocked:
            if trusted:
                return  # intercept: the HTTP filter answers with the block page over TLS
            data.ignore_connection = True
            if len(self.state.refused_servers) > _MAX_REFUSED:
                self.state.refused_servers.clear()
            self.state.refused_servers.add(server.id)
            log_decision(self.state, decision, ip=ip, host=host, profile=profile, device=device)
            return
        sensitive = any(m.category in _SENSITIVE for m in snapshot.index.lookup(host))
        wants_inspection = profile.content_scan or profile.safesearch or profile.youtube != "off"
        if not trusted or sensitive or not wants_inspection:
            data.ignore_connection = True

    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        if data.server.id in self.state.refused_servers:
            self.state.refused_servers.discard(data.server.id)
            data.server.error = "Blocked by Hearthguard before connecting."

    def server_disconnected(self, data: server_hooks.ServerConnectionHookData) -> None:
        self.state.refused_servers.discard(data.server.id)

    def tls_established_client(self, data: tls.TlsData) -> None:
        ip = client_ip(data.context.client)
        self.state.trust.success(ip)
        self.state.log.sighting(DeviceSighting(self.state.now(), ip, tls_ok=1))

    def tls_failed_client(self, data: tls.TlsData) -> None:
        ip = client_ip(data.context.client)
        host = (data.context.client.sni or "").lower()
        self.state.trust.failure(ip, host)
        self.state.log.sighting(DeviceSighting(self.state.now(), ip, tls_failed=1))
        # no host name here: the system journal must not become a browsing history
        log.info("Device %s rejected Hearthguard's certificate.", ip)
