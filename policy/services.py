"""Popular services (TikTok, YouTube, Roblox, Discord, ...) that a parent switches off per child.

The table lives in ``policy/data/services.json`` with the sources its domains were checked
against. It is read and checked once (``shipped_services``) into an immutable ``ServiceTable``;
per request only a dictionary lookup over the host and its parent domains is done. Every domain
is normalised with ``policy.address.normalise_host`` when the table is loaded, so the table and
the requests speak the same spelling.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from classifier.lists.hosts import is_public_suffix
from policy.address import HostKind, normalise_host

__all__ = [
    "GROUPS",
    "SERVICES_FILE",
    "Service",
    "ServiceError",
    "ServiceTable",
    "load_services",
    "shipped_services",
]

SERVICES_FILE = Path(__file__).with_name("data") / "services.json"
#: the groups a service belongs to, in the order parents see them; each is also a category
GROUPS = ("social", "video", "games", "chat")


class ServiceError(ValueError):
    """The services table is not usable as it is; the message names the entry."""


@dataclass(frozen=True, slots=True)
class Service:
    """One service: a stable id, the name parents read, its group and every domain it uses."""

    id: str
    name: str
    group: str
    domains: tuple[str, ...]
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceTable:
    """The services by id, in display order, and each domain's service."""

    services: tuple[Service, ...] = ()
    group_labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    _by_domain: Mapping[str, Service] = field(default_factory=lambda: MappingProxyType({}))
    #: every right-hand part of every domain ("uk", "co.uk", "youtube.co.uk"): a host whose
    #: ending is not among them is no service's, which most hosts show after one or two looks
    _endings: frozenset[str] = frozenset()

    @classmethod
    def build(cls, services: Iterable[Service], group_labels: Mapping[str, str]) -> ServiceTable:
        """A table of ``services``; raises ``ServiceError`` when an id or a domain repeats."""
        listed = tuple(services)
        by_domain: dict[str, Service] = {}
        ids: set[str] = set()
        for service in listed:
            if service.id in ids:
                raise ServiceError(f"service {service.id!r} appears twice")
            ids.add(service.id)
            for domain in service.domains:
                other = by_domain.get(domain)
                if other is not None:
                    raise ServiceError(
                        f"{domain} is listed for both {other.id!r} and {service.id!r}"
                    )
                by_domain[domain] = service
        endings = {d[i + 1 :] for d in by_domain for i, c in enumerate(d) if c == "."}
        endings.update(by_domain)
        return cls(
            listed,
            MappingProxyType(dict(group_labels)),
            MappingProxyType(by_domain),
            frozenset(endings),
        )

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(s.id for s in self.services)

    def get(self, service_id: str) -> Service | None:
        for service in self.services:
            if service.id == service_id:
                return service
        return None

    def by_group(self) -> list[tuple[str, str, tuple[Service, ...]]]:
        """``(group, label, services)`` for each group in ``GROUPS`` order."""
        return [
            (g, self.group_labels.get(g, g), tuple(s for s in self.services if s.group == g))
            for g in GROUPS
        ]

    def service_of(self, host: str) -> Service | None:
        """The service a normalised host belongs to (the host or one of its parents), or None."""
        by_domain, endings = self._by_domain, self._endings
        found = None
        dot = host.rfind(".")
        while True:  # from the top-level label leftwards, while the ending is a known one
            ending = host[dot + 1 :]
            if ending not in endings:
                return found
            found = by_domain.get(ending, found)  # the longest matching domain wins
            if dot < 0:
                return found
            dot = host.rfind(".", 0, dot)

    def blocking(self, host: str, blocked: frozenset[str]) -> Service | None:
        """The service among ``blocked`` (ids) that ``host`` belongs to, or None."""
        if not blocked:
            return None
        service = self.service_of(host)
        return service if service is not None and service.id in blocked else None


def _service(raw: object, groups: Mapping[str, str]) -> Service:
    if not isinstance(raw, dict):
        raise ServiceError("every service must be an object")
    sid, name, group = raw.get("id"), raw.get("name"), raw.get("group")
    if not isinstance(sid, str) or not sid.replace("_", "").isalnum() or sid != sid.lower():
        raise ServiceError(f"service id {sid!r} must be lower-case letters, digits and _")
    if not isinstance(name, str) or not name.strip():
        raise ServiceError(f"service {sid!r} needs a name")
    if group not in groups:
        raise ServiceError(f"service {sid!r}: group {group!r} is not one of {', '.join(groups)}")
    raw_domains = raw.get("domains")
    if not isinstance(raw_domains, list) or not raw_domains:
        raise ServiceError(f"service {sid!r} lists no domains")
    domains: list[str] = []
    for entry in raw_domains:
        host, kind = normalise_host(entry) if isinstance(entry, str) else ("", HostKind.INVALID)
        if kind is not HostKind.NAME or host != entry or "." not in host or is_public_suffix(host):
            raise ServiceError(f"service {sid!r}: {entry!r} is not a normalised domain name")
        domains.append(host)
    sources = raw.get("sources", [])
    if not isinstance(sources, list) or not sources:
        raise ServiceError(f"service {sid!r} names no source for its domains")
    return Service(sid, name.strip(), str(group), tuple(domains), tuple(map(str, sources)))


def load_services(path: Path = SERVICES_FILE) -> ServiceTable:
    """Read and check a services file; raises ``ServiceError`` (or ``OSError``) when it is
    unusable, naming the entry."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ServiceError(f"{path.name} is not JSON: {exc}") from None
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(groups, dict) or set(groups) != set(GROUPS):
        raise ServiceError(f"{path.name} must name the groups {', '.join(GROUPS)}")
    raw_services = doc.get("services")
    if not isinstance(raw_services, list):
        raise ServiceError(f"{path.name} has no list of services")
    return ServiceTable.build((_service(s, groups) for s in raw_services), groups)


@functools.cache
def shipped_services() -> ServiceTable:
    """The table shipped with Hearthguard, read once per process (it never changes at run
    time)."""
    return load_services()
