"""Firewall rules that make the Hearthguard box the home network's filter (a gateway or router).

Pure text generation, printed by ``hearthguard router-rules``. The rules, for traffic that
arrives on the LAN interface and is not addressed to the box itself:

- TCP ports 80 and 443 go to the transparent proxy (``--mode transparent@PORT``);
- DNS (port 53, UDP and TCP) goes to Hearthguard's DNS mode, whatever resolver a device names;
- QUIC (UDP 443) and DNS over TLS or QUIC (853, TCP and UDP) are dropped, so browsers fall back
  to TCP that the proxy sees, and no app resolves names past the filter.

The box itself stays out of the loop: only packets *arriving* on the LAN interface are
redirected (the proxy's own connections leave through the output path, which no rule touches),
and packets for the box's own addresses (the dashboard, SSH, the proxy port) are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policy.validate import InputError

__all__ = ["FORMATS", "RouterPorts", "clean_interface", "router_rules"]

FORMATS = ("nft", "iptables")
TABLE = "hearthguard"
#: Linux interface names: at most 15 characters, no spaces, quotes or rule syntax.
_INTERFACE = re.compile(r"[A-Za-z0-9_.@-]{1,15}")


@dataclass(frozen=True, slots=True)
class RouterPorts:
    """Where the box listens: the transparent proxy and the DNS mode."""

    transparent: int = 8082
    dns: int = 53

    def __post_init__(self) -> None:
        for name in ("transparent", "dns"):
            port = getattr(self, name)
            if not isinstance(port, int) or not 1 <= port <= 65535:
                raise InputError(name, f"“{port}” is not a port number (1-65535).")


def clean_interface(name: str) -> str:
    """A network interface name safe to put in a rule (``eth0``, ``br-lan``, ``wlan0``)."""
    if not _INTERFACE.fullmatch(name or "") or name in (".", ".."):
        raise InputError(
            "lan", f"“{(name or '')[:40]}” is not a network interface name, like eth0 or br-lan."
        )
    return name


def router_rules(lan: str, fmt: str = "nft", ports: RouterPorts | None = None) -> str:
    """The rules for LAN interface ``lan`` in ``fmt`` ("nft": one ``nft -f`` file that
    replaces Hearthguard's own table and nothing else; "iptables": shell commands for
    iptables and ip6tables)."""
    lan = clean_interface(lan)
    ports = ports or RouterPorts()
    if fmt == "nft":
        return _nft(lan, ports)
    if fmt == "iptables":
        return _iptables(lan, ports)
    raise InputError("format", f"“{fmt[:20]}” is not a rule format: nft or iptables.")


def _nft(lan: str, ports: RouterPorts) -> str:
    return f"""\
#!/usr/sbin/nft -f
# Hearthguard: make this box the network's filter (LAN interface {lan}).
# Load with: sudo nft -f FILE   (replaces only the table "inet {TABLE}")
table inet {TABLE}
delete table inet {TABLE}
table inet {TABLE} {{
\tchain prerouting {{
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\t# the box's own services (dashboard, SSH, the proxy itself) are reached as they are
\t\tiifname "{lan}" fib daddr type local tcp dport != 53 return
\t\t# web traffic to the transparent proxy, DNS to Hearthguard's DNS mode
\t\tiifname "{lan}" tcp dport {{ 80, 443 }} redirect to :{ports.transparent}
\t\tiifname "{lan}" udp dport 53 redirect to :{ports.dns}
\t\tiifname "{lan}" tcp dport 53 redirect to :{ports.dns}
\t}}
\tchain forward {{
\t\ttype filter hook forward priority filter; policy accept;
\t\t# QUIC (HTTP/3) and DNS over TLS/QUIC would pass beside the filter
\t\tiifname "{lan}" udp dport {{ 443, 853 }} drop
\t\tiifname "{lan}" tcp dport 853 drop
\t}}
}}
"""


def _iptables(lan: str, ports: RouterPorts) -> str:
    lines = [
        "#!/bin/sh",
        f"# Hearthguard: make this box the network's filter (LAN interface {lan}).",
        "# Run once as root; the chains are recreated, other rules are left alone.",
        "set -e",
    ]
    for tool in ("iptables", "ip6tables"):
        lines += [
            f"{tool} -t nat -N HEARTHGUARD 2>/dev/null || {tool} -t nat -F HEARTHGUARD",
            f"{tool} -t nat -D PREROUTING -i {lan} -j HEARTHGUARD 2>/dev/null || true",
            f"{tool} -t nat -A PREROUTING -i {lan} -j HEARTHGUARD",
            f"{tool} -t nat -A HEARTHGUARD -p tcp ! --dport 53 -m addrtype --dst-type LOCAL"
            " -j RETURN",
            f"{tool} -t nat -A HEARTHGUARD -p tcp -m multiport --dports 80,443"
            f" -j REDIRECT --to-ports {ports.transparent}",
            f"{tool} -t nat -A HEARTHGUARD -p udp --dport 53 -j REDIRECT --to-ports {ports.dns}",
            f"{tool} -t nat -A HEARTHGUARD -p tcp --dport 53 -j REDIRECT --to-ports {ports.dns}",
            f"{tool} -N HEARTHGUARD_DROP 2>/dev/null || {tool} -F HEARTHGUARD_DROP",
            f"{tool} -A HEARTHGUARD_DROP -p udp -m multiport --dports 443,853 -j DROP",
            f"{tool} -A HEARTHGUARD_DROP -p tcp --dport 853 -j DROP",
        ]
        lines += [
            f"{tool} -D FORWARD -i {lan} -j HEARTHGUARD_DROP 2>/dev/null || true",
            f"{tool} -I FORWARD -i {lan} -j HEARTHGUARD_DROP",
        ]
    return "\n".join(lines) + "\n"
