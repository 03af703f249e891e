"""What the proxy's addons share: the current snapshot, the activity queue, learned CA trust."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mitmproxy import connection
from mitmproxy.proxy import mode_specs

from classifier.household import Example
from classifier.lists.phrases import PhraseScorer
from classifier.models.page import PageModel
from policy.activity import ActivityStore
from policy.activitydb.queue import ActivityLog
from policy.budgets import UsageCounter
from policy.catrust import CaTrust
from policy.learning import Learning
from policy.network import is_loopback
from policy.snapshot import Snapshot
from proxy_addons.options import ProxyOptions

__all__ = ["ProxyState", "client_ip", "names_its_target", "own_addresses"]


def client_ip(client: connection.Client) -> str:
    """The client's IP address as text, with IPv4-mapped IPv6 addresses unwrapped."""
    host = client.peername[0] if client.peername else ""
    if host.startswith("::ffff:"):
        try:
            mapped = ipaddress.IPv6Address(host).ipv4_mapped
        except ValueError:
            mapped = None
        if mapped is not None:
            return str(mapped)
    return host


def names_its_target(client: connection.Client) -> bool:
    """True in the modes where the client names where it goes (an explicit proxy, SOCKS);
    False where the proxy only sees the address it was sent to (transparent, WireGuard)."""
    return isinstance(
        client.proxy_mode, mode_specs.RegularMode | mode_specs.UpstreamMode | mode_specs.Socks5Mode
    )


@dataclass
class ProxyState:
    """Filled in by the reload addon at configure time; read by every other addon."""

    snapshot: Snapshot | None = None
    #: the proxy's options, parsed by ``OptionsParser`` whenever one changes
    options: ProxyOptions = field(default_factory=ProxyOptions)
    log: ActivityLog = field(default_factory=ActivityLog)
    activity: ActivityStore | None = None
    trust: CaTrust = field(default_factory=CaTrust)
    refused_servers: set[str] = field(default_factory=set)
    page_model: PageModel | None = None
    phrase_scorer: PhraseScorer | None = None
    learning: Learning | None = None
    #: examples and review entries waiting for the writer thread (bounded by the scan)
    pending_examples: list[Example] = field(default_factory=list)
    pending_reviews: list[dict[str, Any]] = field(default_factory=list)
    #: where the TLS gate writes what it believes about devices' CA (for the dashboard)
    trust_file: Path | None = None
    #: this machine's own addresses (refreshed by the tunnel gate): clients there are the box
    own_addresses: frozenset[str] = frozenset()

    def from_self(self, ip: str) -> bool:
        """True when the client is this machine itself (loopback or one of its addresses)."""
        return is_loopback(ip) or ip in self.own_addresses

    #: minutes of use per child and group today (daily budgets), kept by the time keeper
    usage: UsageCounter = field(default_factory=UsageCounter)

    def now(self) -> datetime:
        """The time on the household's clock (its ``timezone`` setting, an IANA zone, so
        daylight-saving changes happen at the right instant); the system's before a policy
        is loaded."""
        snapshot = self.snapshot
        if snapshot is None:
            return datetime.now().astimezone()
        return datetime.now(snapshot.zone)


def own_addresses() -> frozenset[str]:
    """This machine's IPv4 and IPv6 addresses, read from /proc (empty where unreadable)."""
    found: set[str] = set()
    try:
        with open("/proc/net/fib_trie", encoding="ascii") as f:
            previous = ""
            for line in f:
                if "/32 host LOCAL" in line:
                    found.add(previous.strip().lstrip("|-").strip())
                previous = line
    except OSError:
        pass
    try:
        with open("/proc/net/if_inet6", encoding="ascii") as f:
            for line in f:
                raw = line.split()[0]
                found.add(str(ipaddress.IPv6Address(int(raw, 16))))
    except (OSError, ValueError, IndexError):
        pass
    return frozenset(a for a in found if a)
