"""Resetting a server connection mitmproxy has just opened, before a byte is sent on it.

mitmproxy has no hook result for "refuse this connection after all" once it is open, so this
reaches its proxy server's live connection table (``Proxyserver.connections``, keyed by the
client connection's id, each handler holding the transports of its server connections) and
aborts the transport: the peer gets a reset and nothing the client sent.
"""

from __future__ import annotations

import logging

from mitmproxy import connection, ctx

__all__ = ["abort_server_connection"]

log = logging.getLogger(__name__)


def abort_server_connection(client: connection.Client, server: connection.Server) -> bool:
    """Abort ``server``'s transport; False when it cannot be found (the caller fails closed)."""
    try:
        proxyserver = ctx.master.addons.get("proxyserver")
        handler = proxyserver.connections.get(client.id) if proxyserver else None
        io = handler.transports.get(server) if handler is not None else None
        writer = io.writer if io is not None else None
        transport = getattr(writer, "transport", None)
    except (AttributeError, KeyError, TypeError) as exc:
        log.error("The proxy's connection table was not where expected: %s", exc)
        return False
    if transport is None:
        return False
    transport.abort()
    return True
