"""Who is connecting: local-network clients only, each recorded as seen by the dashboard."""

from __future__ import annotations

import ipaddress
import logging

from mitmproxy import connection

from policy.activity import DeviceSighting
from proxy_addons.state import ProxyState, client_ip

__all__ = ["Identity", "is_lan_client"]

log = logging.getLogger(__name__)


def is_lan_client(ip: str) -> bool:
    """True for loopback, private (RFC 1918 / ULA), link-local and CGNAT addresses."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if addr.is_loopback or addr.is_private or addr.is_link_local:
        return True
    return isinstance(addr, ipaddress.IPv4Address) and addr in ipaddress.IPv4Network(
        "100.64.0.0/10"
    )


class Identity:
    """Refuses clients from beyond the LAN (never an open proxy) and records every device seen."""

    def __init__(self, state: ProxyState) -> None:
        self.state = state

    def client_connected(self, client: connection.Client) -> None:
        ip = client_ip(client)
        if not is_lan_client(ip):
            client.error = "Hearthguard only serves devices on the local network."
            log.warning("Refused a connection from %s: not a local-network address.", ip)
            return
        self.state.log.sighting(DeviceSighting(self.state.now(), ip))
