"""What the proxy's addons share: the current snapshot, the activity queue, learned CA trust."""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from mitmproxy import connection

from classifier.models import PageModel
from classifier.phrases import PhraseScorer
from policy.activity import ActivityLog, ActivityStore
from policy.learning import Example, Learning
from policy.model import Device, Profile
from policy.snapshot import Snapshot

__all__ = ["CaTrust", "ProxyState", "client_ip"]

_MAX_TRACKED = 10_000


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


@dataclass
class CaTrust:
    """Which devices trust Hearthguard's CA, learned from TLS handshakes.

    A parent's "CA installed" flag is the starting point; a handshake the client completes
    proves trust, a failure with no success ever seen disproves it. Hosts a device refused
    (pinned apps) are never intercepted for it again.
    """

    learned: dict[str, bool] = field(default_factory=dict)
    refused_hosts: dict[str, set[str]] = field(default_factory=dict)

    def trusts(self, ip: str, host: str, device: Device | None) -> bool:
        if host in self.refused_hosts.get(ip, ()):
            return False
        if ip in self.learned:
            return self.learned[ip]
        return device is not None and device.ca_trusted

    def success(self, ip: str) -> None:
        self._bound()
        self.learned[ip] = True

    def failure(self, ip: str, host: str) -> None:
        self._bound()
        hosts = self.refused_hosts.setdefault(ip, set())
        if len(hosts) < 1000:
            hosts.add(host)
        if not self.learned.get(ip, False):
            self.learned[ip] = False

    def _bound(self) -> None:
        if len(self.learned) > _MAX_TRACKED:
            self.learned.clear()
            self.refused_hosts.clear()


@dataclass
class ProxyState:
    """Filled in by the reload addon at configure time; read by every other addon."""

    snapshot: Snapshot | None = None
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
    dashboard_url: str = ""

    def identify(self, ip: str) -> tuple[Profile, Device | None]:
        assert self.snapshot is not None, "the reload addon configures the snapshot first"
        return self.snapshot.profile_for(ip)

    _zone: tzinfo | None = None
    _zone_checked: float = 0.0

    def now(self) -> datetime:
        """Local, timezone-aware time (the zone is looked up once a minute, for DST)."""
        clock = time.monotonic()
        if self._zone is None or clock - self._zone_checked > 60:
            self._zone = datetime.now().astimezone().tzinfo
            self._zone_checked = clock
        return datetime.now(self._zone)
