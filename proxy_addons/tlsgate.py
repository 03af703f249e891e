"""Every tunnel decided: CONNECT targets, TLS handshakes, raw TCP and the server each one reaches.

Needs ``connection_strategy=lazy``: with the eager default mitmproxy has already connected
upstream at CONNECT time, and a refused connection would silently let the site through.

The hooks gather what the client named (the CONNECT target, the SNI, the original destination
in transparent mode), ask ``policy.connection`` and apply the answer:

- ``http_connect``: the target's reach (never this machine's own services or the home network
  for other clients) and port (80 and 443 for filtered profiles) before anything is answered;
- ``tls_clienthello``: the CONNECT target and the SNI are both decided, and names of two
  different sites are refused; then pass through, intercept or refuse;
- ``tcp_start``: bytes that are neither TLS nor HTTP are closed for filtered profiles;
- ``server_connect``: refused connections never reach their server, and the reach rule is
  checked once more on the addresses the name resolves to;
- ``server_connected``: and once more on the address really connected to (a rebinding
  resolver can answer differently a moment later); a refused one is reset before use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

from mitmproxy import http, tcp, tls
from mitmproxy.proxy import server_hooks

from policy.activitydb.records import DeviceSighting
from policy.address import HostKind, is_loopback_name, normalise_host
from policy.catrust import write_view
from policy.connection import (
    TlsAction,
    connect_by_name,
    decide_names,
    decide_raw_tcp,
    decide_reach,
    decide_tls,
    decide_tunnel,
)
from policy.values import Profile
from proxy_addons.httpfilter import log_decision
from proxy_addons.reset import abort_server_connection
from proxy_addons.state import ProxyState, client_ip, names_its_target, own_addresses

__all__ = ["TlsGate"]

log = logging.getLogger(__name__)
_MAX_REFUSED = 10_000
_ADDRESSES_EVERY = 60.0
_TRUST_EVERY = 5.0
_RESOLVE_TIMEOUT = 10.0
_REFUSED_BODY = b"Hearthguard does not allow this connection.\n"


class TlsGate:
    def __init__(self, state: ProxyState) -> None:
        self.state = state
        self._task: asyncio.Task[None] | None = None

    # -- this machine's addresses ---------------------------------------------------------

    def running(self) -> None:
        self.state.own_addresses = own_addresses()
        self._task = asyncio.create_task(self._refresh())

    async def _refresh(self) -> None:
        """Every few seconds: what the gate believes about devices' CA, for parents; every
        minute: this machine's addresses."""
        since = 0.0
        while True:
            await asyncio.sleep(_TRUST_EVERY)
            since += _TRUST_EVERY
            trust, path, snapshot = self.state.trust, self.state.trust_file, self.state.snapshot
            if trust.changed and path is not None and snapshot is not None:
                trust.changed = False
                view = trust.snapshot(dict(snapshot.devices_by_ip))
                try:
                    await asyncio.to_thread(write_view, path, view)
                except OSError as exc:
                    log.warning("Could not write %s: %s", path.name, exc)
            if since >= _ADDRESSES_EVERY:
                since = 0.0
                with contextlib.suppress(Exception):
                    self.state.own_addresses = await asyncio.to_thread(own_addresses)

    def done(self) -> None:
        if self._task is not None:
            self._task.cancel()

    # -- CONNECT ------------------------------------------------------------------------

    def http_connect(self, flow: http.HTTPFlow) -> None:
        snapshot = self.state.snapshot
        if snapshot is None:  # fail closed: no policy, no tunnels
            flow.response = http.Response.make(503, _REFUSED_BODY)
            return
        ip = client_ip(flow.client_conn)
        profile, device = snapshot.profile_for(ip)
        refused = decide_tunnel(
            profile,
            flow.request.host,
            flow.request.port,
            from_self=self.state.from_self(ip),
            own_addresses=self.state.own_addresses,
            network=snapshot.network,
            now=self.state.now(),
        )
        if refused is not None:
            host = normalise_host(flow.request.host)[0] or "(unreadable)"
            log_decision(self.state, refused, ip=ip, host=host, profile=profile, device=device)
            flow.response = http.Response.make(403, _REFUSED_BODY)

    # -- TLS ------------------------------------------------------------------------------

    def _refuse(self, server_id: str) -> None:
        if len(self.state.refused_servers) > _MAX_REFUSED:
            self.state.refused_servers.clear()
        self.state.refused_servers.add(server_id)

    def tls_clienthello(self, data: tls.ClientHelloData) -> None:
        snapshot = self.state.snapshot
        server, client = data.context.server, data.context.client
        if snapshot is None:  # fail closed
            data.ignore_connection = True
            self._refuse(server.id)
            return
        if data.ignore_connection:
            return
        sni = data.client_hello.sni or ""
        address = server.address[0] if server.address else ""
        if names_its_target(client):
            names = (address, sni) if sni else (address,)
        else:  # transparent: the SNI names the site, the address is where it resolved
            names = (sni,) if sni else (address,)
        ip = client_ip(client)
        profile, device = snapshot.profile_for(ip)
        now = self.state.now()
        decision = decide_names(
            names, snapshot, profile, device, now, usage=self.state.usage.usage(profile.name, now)
        )
        site = normalise_host(sni or address)[0]
        trust = self.state.trust
        action = decide_tls(
            decision,
            profile,
            site,
            snapshot.index,
            trusted=trust.trusts(ip, device),
            pinned=trust.pinned(ip, site),
        )
        if action is not TlsAction.REFUSE and sni and not names_its_target(client):
            target = connect_by_name(sni, server.address)
            if target is not None:  # never the address a blocked site's name resolved to
                server.address = target
        if action is TlsAction.INTERCEPT:
            return  # the HTTP filter answers blocked requests with the block page over TLS
        data.ignore_connection = True
        if action is TlsAction.REFUSE:
            self._refuse(server.id)
            log_decision(self.state, decision, ip=ip, host=site, profile=profile, device=device)

    def tls_established_client(self, data: tls.TlsData) -> None:
        ip = client_ip(data.context.client)
        self.state.trust.success(ip, data.context.client.sni or "", self.state.now())
        self.state.log.sighting(DeviceSighting(self.state.now(), ip, tls_ok=1))

    def tls_failed_client(self, data: tls.TlsData) -> None:
        ip = client_ip(data.context.client)
        self.state.trust.failure(ip, normalise_host(data.context.client.sni or "")[0])
        self.state.log.sighting(DeviceSighting(self.state.now(), ip, tls_failed=1))
        # no host name here: the system journal must not become a browsing history
        log.info("Device %s rejected Hearthguard's certificate.", ip)

    # -- raw TCP and the server connection ------------------------------------------------

    def tcp_start(self, flow: tcp.TCPFlow) -> None:
        snapshot = self.state.snapshot
        ip = client_ip(flow.client_conn)
        if snapshot is None:
            self._refuse(flow.server_conn.id)
            flow.kill()
            return
        profile, device = snapshot.profile_for(ip)
        refused = decide_raw_tcp(profile)
        if refused is not None:
            address = flow.server_conn.address
            host = normalise_host(address[0])[0] if address else ""
            log_decision(
                self.state, refused, ip=ip, host=host or "(unknown)", profile=profile, device=device
            )
            self._refuse(flow.server_conn.id)  # mitmproxy connects after this hook
            flow.kill()

    async def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        if data.server.id in self.state.refused_servers:
            self.state.refused_servers.discard(data.server.id)
            data.server.error = "Blocked by Hearthguard before connecting."
            return
        snapshot = self.state.snapshot
        if snapshot is None or not data.server.address:
            data.server.error = "Hearthguard has no policy loaded yet."
            return
        ip = client_ip(data.client)
        if self.state.from_self(ip):
            return
        profile, _ = snapshot.profile_for(ip)
        host, port = data.server.address[0], data.server.address[1]
        addresses = [host]
        if normalise_host(host)[1] is HostKind.NAME and not is_loopback_name(host):
            # a name may resolve to this machine or the home network (127.0.0.1.nip.io and
            # friends): check what it resolves to before mitmproxy connects to it
            try:
                infos = await asyncio.wait_for(
                    asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM),
                    _RESOLVE_TIMEOUT,
                )
            except (OSError, TimeoutError, UnicodeError):
                return  # mitmproxy's own connection attempt fails the same way
            addresses += [str(info[4][0]) for info in infos]
        if self._out_of_reach(profile, addresses):
            data.server.error = "Hearthguard does not reach this address for this device."

    def server_connected(self, data: server_hooks.ServerConnectionHookData) -> None:
        """The address really connected to is checked too: a name can resolve to a public
        address for the check above and to this machine a moment later (DNS rebinding). Such
        a connection is reset before a byte is sent."""
        snapshot, peer = self.state.snapshot, data.server.peername
        ip = client_ip(data.client)
        if peer is None or self.state.from_self(ip):
            return
        if snapshot is None or self._out_of_reach(snapshot.profile_for(ip)[0], [str(peer[0])]):
            log.warning("Reset a connection that resolved to a refused address (%s).", peer[0])
            data.server.error = "Hearthguard does not reach this address for this device."
            if not abort_server_connection(data.client, data.server):
                raise RuntimeError("a connection to a refused address could not be reset")

    def _out_of_reach(self, profile: Profile, addresses: list[str]) -> bool:
        snapshot = self.state.snapshot
        if snapshot is None:
            return True
        now = self.state.now()
        return any(
            decide_reach(
                profile,
                address,
                from_self=False,
                own_addresses=self.state.own_addresses,
                network=snapshot.network,
                now=now,
            )
            is not None
            for address in addresses
        )

    def server_disconnected(self, data: server_hooks.ServerConnectionHookData) -> None:
        self.state.refused_servers.discard(data.server.id)
