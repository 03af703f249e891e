"""The household's network: which addresses are the local network, which ports tunnels may use.

Two household settings own these facts (``policy.settings``): ``lan_ranges`` (who may use the
proxy, and which addresses the proxy never reaches for a child unless a parent allows them) and
``connect_ports`` (the ports a filtered profile may open tunnels to).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from policy.validate import InputError

__all__ = [
    "DEFAULT_CONNECT_PORTS",
    "DEFAULT_LAN_RANGES",
    "Network",
    "clean_connect_ports",
    "clean_lan_ranges",
    "is_loopback",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: RFC 1918, loopback, link-local and unique-local addresses. CGNAT (100.64/10) and Teredo
#: (2001::/32) are not a household's own network: a provider's customers share them.
DEFAULT_LAN_RANGES = (
    "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 127.0.0.0/8, 169.254.0.0/16, "
    "::1/128, fc00::/7, fe80::/10"
)
DEFAULT_CONNECT_PORTS = "80, 443"
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def _networks(text: str, field: str) -> tuple[IPNetwork, ...]:
    found: list[IPNetwork] = []
    for part in text.replace(";", ",").replace(" ", ",").split(","):
        if not part:
            continue
        try:
            found.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise InputError(
                field, f"“{part[:60]}” is not an address range, like 192.168.0.0/16."
            ) from None
    return tuple(found)


def clean_lan_ranges(raw: str) -> str:
    """Address ranges separated by commas, as they will be stored; at least one."""
    networks = _networks(raw or "", "lan_ranges")
    if not networks:
        raise InputError("lan_ranges", "Name at least one address range, like 192.168.0.0/16.")
    return ", ".join(str(n) for n in networks)


def clean_connect_ports(raw: str) -> str:
    """Port numbers separated by commas, as they will be stored; at least one."""
    ports: list[int] = []
    for part in (raw or "").replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 65535:
            raise InputError("connect_ports", f"“{part[:20]}” is not a port number (1-65535).")
        if int(part) not in ports:
            ports.append(int(part))
    if not ports:
        raise InputError("connect_ports", "Name at least one port, like 443.")
    return ", ".join(str(p) for p in sorted(ports))


def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(ip.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_loopback(ip: str) -> bool:
    """True for 127.0.0.0/8 and ::1 (and their IPv4-mapped forms)."""
    address = _address(ip)
    return address is not None and any(
        address in n for n in _LOOPBACK if n.version == address.version
    )


@dataclass(frozen=True, slots=True)
class Network:
    """The household network settings as values: LAN ranges and the tunnel ports."""

    lan: tuple[IPNetwork, ...] = _networks(DEFAULT_LAN_RANGES, "lan_ranges")
    connect_ports: frozenset[int] = frozenset((80, 443))

    @classmethod
    def from_settings(cls, lan_ranges: object, connect_ports: object) -> Network:
        """From stored setting values; a damaged value falls back to the default (a bad
        setting must not stop the proxy) — defaults are the narrower choice."""
        try:
            lan = _networks(clean_lan_ranges(str(lan_ranges or DEFAULT_LAN_RANGES)), "lan")
        except InputError:
            lan = _networks(DEFAULT_LAN_RANGES, "lan_ranges")
        try:
            ports = frozenset(
                int(p) for p in clean_connect_ports(str(connect_ports or "")).split(", ")
            )
        except InputError:
            ports = frozenset((80, 443))
        return cls(lan, ports)

    _seen: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def is_lan(self, ip: str) -> bool:
        """True when ``ip`` is in one of the household's LAN ranges."""
        # remembered: the same few client and target addresses are asked about again and again
        known = self._seen.get(ip)
        if known is None:
            if len(self._seen) >= 4096:
                self._seen.clear()
            known = self._seen[ip] = _in_ranges(self.lan, ip)
        return known


def _in_ranges(ranges: tuple[IPNetwork, ...], ip: str) -> bool:
    address = _address(ip)
    return address is not None and any(
        address in n for n in ranges if n.version == address.version
    )
