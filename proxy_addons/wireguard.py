"""WireGuard per device: each instance is one device (``policy.wireguard``).

``prepare_modes`` turns ``wireguard:<device>.json@<port>`` into a key file in the data
directory (made on first use) before mitmproxy starts. ``WireGuardIdentity`` runs first in
``client_connected``: a connection through an instance is given the address of the device that
instance belongs to, so every later hook (the LAN check, the profile, the log) sees that
device; a client that is *not* WireGuard but comes from the addresses reserved for WireGuard
instances is refused, so no device on the LAN can pass itself off as one.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mitmproxy import connection
from mitmproxy.proxy import mode_specs

from policy.validate import InputError
from policy.wireguard import (
    identity_address,
    in_identity_network,
    instance_address,
    key_file,
    wireguard_dir,
    write_keys,
)
from proxy_addons.state import ProxyState, client_ip

__all__ = ["WireGuardIdentity", "check_modes", "prepare_modes"]

log = logging.getLogger(__name__)
DEFAULT_PORT = 51820


def check_modes(modes: tuple[str, ...]) -> list[mode_specs.ProxyMode]:
    """The parsed mode specs; a bad spec, a WireGuard instance without a device or two
    instances on one port is an ``InputError`` (nothing is written)."""
    parsed: list[mode_specs.ProxyMode] = []
    ports: set[int] = set()
    for spec in modes:
        try:
            mode = mode_specs.ProxyMode.parse(spec)
        except ValueError as exc:
            raise InputError("mode", f"“{spec[:60]}” is not a mode: {exc}") from None
        parsed.append(mode)
        if not isinstance(mode, mode_specs.WireGuardMode):
            continue
        port = mode.custom_listen_port or DEFAULT_PORT
        if port in ports:
            raise InputError("mode", f"two WireGuard instances use port {port}")
        ports.add(port)
        if not mode.data:
            raise InputError(
                "mode", "name the device of each WireGuard instance: wireguard:DEVICE.json@PORT"
            )
        key_file(Path("."), mode.data)  # a name that makes no file name is refused here
    return parsed


def prepare_modes(modes: tuple[str, ...], data_root: Path) -> tuple[str, ...]:
    """The mode specs with every WireGuard instance's key file in ``<data>/wireguard``
    (``wireguard:mia.json@51820`` -> ``wireguard:/…/wireguard/mia.json@51820``), the files
    made when missing. Bad specs are an ``InputError`` (``check_modes``)."""
    prepared: list[str] = []
    for spec, mode in zip(modes, check_modes(modes), strict=True):
        if not isinstance(mode, mode_specs.WireGuardMode):
            prepared.append(spec)
            continue
        port = mode.custom_listen_port or DEFAULT_PORT
        path = key_file(wireguard_dir(data_root), mode.data)
        write_keys(path, port)
        host = mode.custom_listen_host or ""
        host = f"[{host}]:" if ":" in host else f"{host}:" if host else ""
        prepared.append(f"wireguard:{path}@{host}{port}")
    return tuple(prepared)


class WireGuardIdentity:
    def __init__(self, state: ProxyState) -> None:
        self.state = state

    def client_connected(self, client: connection.Client) -> None:
        mode = client.proxy_mode
        if isinstance(mode, mode_specs.WireGuardMode):
            port = mode.custom_listen_port or DEFAULT_PORT
            snapshot = self.state.snapshot
            address = (
                instance_address(mode.data, port, snapshot.devices_by_ip, self.state.own_addresses)
                if snapshot is not None
                else identity_address(port)
            )
            peer_port = client.peername[1] if client.peername else 0
            client.peername = (address, peer_port)
            return
        if in_identity_network(client_ip(client)):
            client.error = "This address is reserved for Hearthguard's WireGuard devices."
            log.warning("Refused a client using an address reserved for WireGuard devices.")
