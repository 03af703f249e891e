"""Who is connecting: clients on the household's LAN ranges only, each recorded as seen."""

from __future__ import annotations

import logging

from mitmproxy import connection

from policy.activitydb.records import DeviceSighting
from policy.network import Network
from proxy_addons.state import ProxyState, client_ip

__all__ = ["Identity"]

log = logging.getLogger(__name__)


class Identity:
    """Refuses clients from beyond the LAN (never an open proxy) and records every device seen."""

    def __init__(self, state: ProxyState) -> None:
        self.state = state

    def client_connected(self, client: connection.Client) -> None:
        ip = client_ip(client)
        snapshot = self.state.snapshot
        network = snapshot.network if snapshot is not None else Network()
        if not network.is_lan(ip):
            client.error = "Hearthguard only serves devices on the local network."
            log.warning("Refused a connection from %s: not a local-network address.", ip)
            return
        self.state.log.sighting(DeviceSighting(self.state.now(), ip))
