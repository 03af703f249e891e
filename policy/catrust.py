"""What the filter believes about each device's trust in Hearthguard's CA, and which sites its
apps pin, learned from TLS handshakes.

- One completed handshake through Hearthguard proves the device trusts the CA.
- A device is believed to lack the CA only when handshakes failed for at least
  ``UNTRUSTED_AFTER_SITES`` different sites and none ever completed: one app that refuses
  (Android apps ignore user CAs) cannot flip a whole device; a browser without the CA fails on
  every site and soon does.
- A site is treated as pinned for a device (passed through untouched from then on) only after
  ``PINNED_AFTER_FAILURES`` failed handshakes for it and no completed one, and never for search
  engines and YouTube, whose SafeSearch and restriction must not silently vanish.

Pure state and rules, no I/O; ``snapshot()`` gives the JSON the dashboard shows parents.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from classifier.files import atomic_write_text
from policy.address import registrable_domain
from policy.safesearch import keeps_restrictions
from policy.values import Device

__all__ = [
    "CaTrust",
    "PINNED_AFTER_FAILURES",
    "UNTRUSTED_AFTER_SITES",
    "read_view",
    "write_view",
]

PINNED_AFTER_FAILURES = 3
UNTRUSTED_AFTER_SITES = 3
_MAX_DEVICES = 10_000
_MAX_SITES = 1_000


@dataclass
class _DeviceTrust:
    proven_at: str = ""  # ISO time of the first completed handshake
    completed: set[str] = field(default_factory=set)  # sites with a completed handshake
    failures: dict[str, int] = field(default_factory=dict)  # site -> failed handshakes


@dataclass
class CaTrust:
    """Per client address: CA trust and pinned sites (see the module's promise)."""

    devices: dict[str, _DeviceTrust] = field(default_factory=dict)
    changed: bool = False

    def _device(self, ip: str) -> _DeviceTrust:
        found = self.devices.get(ip)
        if found is None:
            if len(self.devices) >= _MAX_DEVICES:
                self.devices.clear()
            found = self.devices[ip] = _DeviceTrust()
        return found

    def trusts(self, ip: str, device: Device | None) -> bool:
        """Whether to intercept for this device (a completed handshake beats a parent's
        flag; enough failures on different sites with none completed beat it too)."""
        state = self.devices.get(ip)
        if state is not None:
            if state.proven_at:
                return True
            if len(state.failures) >= UNTRUSTED_AFTER_SITES:
                return False
        return device is not None and device.ca_trusted

    def pinned(self, ip: str, host: str) -> bool:
        """True when this device's apps refuse Hearthguard's certificate for this site."""
        state = self.devices.get(ip)
        if state is None or not state.failures:
            return False
        site = registrable_domain(host)
        if keeps_restrictions(host) or site in state.completed:
            return False
        return state.failures.get(site, 0) >= PINNED_AFTER_FAILURES

    def success(self, ip: str, host: str, now: datetime) -> None:
        state = self._device(ip)
        site = registrable_domain(host) if host else ""
        if not state.proven_at:
            state.proven_at = now.isoformat(timespec="seconds")
            self.changed = True
        if site and site not in state.completed and len(state.completed) < _MAX_SITES:
            state.completed.add(site)
            state.failures.pop(site, None)
            self.changed = True

    def failure(self, ip: str, host: str) -> None:
        state = self._device(ip)
        site = registrable_domain(host) if host else "(no name)"
        if site in state.completed:
            return  # the device trusts the CA for this site: a failure is a network error
        if site in state.failures or len(state.failures) < _MAX_SITES:
            state.failures[site] = state.failures.get(site, 0) + 1
            self.changed = True

    def snapshot(self, devices_by_ip: dict[str, Device]) -> dict[str, Any]:
        """What the filter believes, per address, for parents (JSON-ready)."""
        out: dict[str, Any] = {}
        for ip, state in self.devices.items():
            device = devices_by_ip.get(ip)
            if state.proven_at:
                belief = "trusted"
            elif len(state.failures) >= UNTRUSTED_AFTER_SITES:
                belief = "missing"
            else:
                belief = "unknown"
            out[ip] = {
                "belief": belief,
                "proven_at": state.proven_at,
                "parent_says_installed": bool(device and device.ca_trusted),
                "pinned": sorted(s for s in state.failures if self.pinned(ip, s)),
                "failed_sites": len(state.failures),
            }
        return out


def write_view(path: Path, view: dict[str, Any]) -> None:
    """Write what the proxy believes (``CaTrust.snapshot``) for the dashboard, atomically."""
    atomic_write_text(path, json.dumps(view, sort_keys=True))


def read_view(path: Path) -> dict[str, Any]:
    """The last view the proxy wrote; empty when there is none or it cannot be read."""
    try:
        view = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return view if isinstance(view, dict) else {}
