"""The immutable policy snapshot the proxy decides with, and what it needs from classifiers.

A snapshot is built once from policy.db (``policy.store.load_snapshot``) and swapped whole when
the database version changes; nothing in it is mutated afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Protocol

from policy.network import Network
from policy.services import ServiceTable, shipped_services
from policy.settings import SETTINGS
from policy.values import Device, Holiday, Profile

__all__ = ["CategoryIndex", "IllegalList", "ListMatchLike", "Snapshot", "UrlVerdictSource"]


class ListMatchLike(Protocol):
    @property
    def category(self) -> str: ...
    @property
    def list_name(self) -> str: ...
    @property
    def matched(self) -> str: ...
    @property
    def allow(self) -> bool: ...


class CategoryIndex(Protocol):
    def lookup(self, host: str, path: str = "") -> tuple[ListMatchLike, ...]: ...


class UrlVerdictSource(Protocol):
    """Classifies a host no list knows: returns ``(category, score)``; ``explain`` names the
    ``k`` strongest features of that verdict, with their weights."""

    def classify(self, host: str, path: str) -> tuple[str, float]: ...

    def explain(self, host: str, k: int = 3) -> list[tuple[str, float]]: ...


class IllegalList(Protocol):
    """A hotline list: returns the list's name when the URL is on it, else None."""

    def match(self, host: str, path: str) -> str | None: ...


class _NoIndex:
    def lookup(self, host: str, path: str = "") -> tuple[ListMatchLike, ...]:
        return ()


@dataclass(frozen=True)
class Snapshot:
    version: int
    profiles: Mapping[str, Profile]
    default_profile: str
    devices_by_ip: Mapping[str, Device] = field(default_factory=dict)
    index: CategoryIndex = field(default_factory=_NoIndex)
    url_model: UrlVerdictSource | None = None
    illegal: tuple[IllegalList, ...] = ()
    country: str = SETTINGS["country"].default
    language: str = SETTINGS["language"].default
    retention_days: int = SETTINGS["retention_days"].default
    learning: bool = SETTINGS["learning"].default
    #: the household's time zone (the ``timezone`` setting); every time rule uses its clock
    zone: tzinfo = UTC
    holidays: tuple[Holiday, ...] = ()
    #: the services a profile can switch off (``Profile.services`` holds their ids)
    services: ServiceTable = field(default_factory=shipped_services)
    network: Network = field(default_factory=Network)

    def profile_for(self, ip: str | None) -> tuple[Profile, Device | None]:
        """The profile and device for a client address; unknown devices get the default."""
        device = self.devices_by_ip.get(ip) if ip else None
        if device is not None:
            profile = self.profiles.get(device.profile)
            if profile is not None:
                return profile, device
        return self.profiles[self.default_profile], device
