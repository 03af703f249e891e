"""An error never means "allow": what the proxy does when one of its hooks raises.

mitmproxy's own answer to an exception in an addon is to log "Addon error" and carry on with
the flow, which for a filter means letting the request through. ``FailClosed`` is given every
such exception instead (``AddonGroup(on_error=...)``) and closes what the event was about: a
request gets the "could not check" block page, a response that cannot be checked is replaced
by it, a tunnel or raw TCP flow is killed, a TLS handshake is refused before the server is
contacted, a DNS query fails. One error line is logged, without the host (the system journal
must not become a browsing history).
"""

from __future__ import annotations

import logging
from typing import Any

from mitmproxy import connection, dns, http, tcp, tls, udp, websocket  # noqa: F401
from mitmproxy.proxy import server_hooks

from policy.values import Action, Decision, Reason
from proxy_addons.blockpage import BlockPages
from proxy_addons.reset import abort_server_connection
from proxy_addons.state import ProxyState, client_ip

__all__ = ["FailClosed"]

log = logging.getLogger(__name__)
_PLAIN = b"Hearthguard could not check this page, so it stays closed for now.\n"
_REQUEST_EVENTS = frozenset({"http_connect", "requestheaders", "request"})


class FailClosed:
    def __init__(self, state: ProxyState, pages: BlockPages) -> None:
        self.state = state
        self.pages = pages

    def __call__(self, event: str, args: tuple[Any, ...], exc: BaseException) -> None:
        log.error(
            "Hearthguard's %s handler failed (%s: %s); closed.",
            event,
            type(exc).__name__,
            str(exc)[:200],
        )
        subject = args[0] if args else None
        try:
            self._close(event, subject, exc)
        except Exception as second:  # closing must not fail open either
            log.error("Closing after that failure failed too (%s).", type(second).__name__)
            if isinstance(subject, http.HTTPFlow | tcp.TCPFlow | udp.UDPFlow):
                subject.kill()

    def _close(self, event: str, subject: Any, exc: BaseException) -> None:
        if isinstance(subject, http.HTTPFlow):
            self._close_http(event, subject, exc)
        elif isinstance(subject, tcp.TCPFlow | udp.UDPFlow):
            subject.kill()
        elif isinstance(subject, dns.DNSFlow):
            subject.response = subject.request.fail(dns.response_codes.SERVFAIL)
        elif isinstance(subject, tls.ClientHelloData):
            subject.ignore_connection = True
            self.state.refused_servers.add(subject.context.server.id)
        elif isinstance(subject, server_hooks.ServerConnectionHookData):
            if event == "server_connect":
                subject.server.error = "Hearthguard could not check this connection."
            elif event == "server_connected":
                subject.server.error = "Hearthguard could not check this connection."
                if not abort_server_connection(subject.client, subject.server):
                    log.error("A connection that could not be checked could not be reset.")
        elif isinstance(subject, connection.Client) and event == "client_connected":
            subject.error = "Hearthguard could not check this connection."

    def _close_http(self, event: str, flow: http.HTTPFlow, exc: BaseException) -> None:
        if flow.websocket is not None and event.startswith("websocket"):
            flow.kill()
            return
        if event == "http_connect":
            flow.response = http.Response.make(403, _PLAIN)
            return
        response = flow.response
        if event not in _REQUEST_EVENTS and response is not None and response.stream:
            flow.kill()  # the headers of a streamed response are gone already
            return
        flow.response = self._page(flow, exc)

    def _page(self, flow: http.HTTPFlow, exc: BaseException) -> http.Response:
        snapshot = self.state.snapshot
        if snapshot is None:
            return http.Response.make(503, _PLAIN, {"Content-Type": "text/plain"})
        ip = client_ip(flow.client_conn)
        profile, _ = snapshot.profile_for(ip)
        decision = Decision(Action.BLOCK, Reason.FILTER_ERROR, None, f"error: {type(exc).__name__}")
        try:
            return self.pages.for_flow(
                flow,
                decision,
                host="",
                ip=ip,
                profile=profile,
                snapshot=snapshot,
                now=self.state.now(),
                dashboard=self.state.options.dashboard,
            )
        except Exception:
            return http.Response.make(503, _PLAIN, {"Content-Type": "text/plain"})
