"""What a device probably is, from what the proxy saw: its browser's user agent and MAC address.

Only hints for naming a new device in the dashboard; nothing is decided from them.
MAC vendors come from the IEEE registry file Debian ships as ``ieee-data``
(``/usr/share/ieee-data/oui.txt``); without it, no vendor is shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from policy.messages import N_

__all__ = [
    "DEVICE_KINDS",
    "DeviceHint",
    "OuiTable",
    "describe_user_agent",
    "is_private_mac",
    "kind_label",
    "parse_oui",
    "suggest_name",
]

#: Onboarding guides exist for these kinds, in this order.
DEVICE_KINDS: tuple[str, ...] = ("ios", "android", "windows", "macos", "chromeos", "linux")
_KIND_LABELS = {
    "ios": N_("iPhone or iPad"),
    "android": "Android",
    "windows": "Windows",
    "macos": "Mac",
    "chromeos": "Chromebook",
    "linux": "Linux",
}
_OUI_LINE = re.compile(r"^([0-9A-Fa-f]{2})-([0-9A-Fa-f]{2})-([0-9A-Fa-f]{2})\s+\(hex\)\s+(.+)$")


@dataclass(frozen=True, slots=True)
class DeviceHint:
    """A device kind (one of ``DEVICE_KINDS``, or None when unknown) and a short description."""

    kind: str | None
    label: str


def describe_user_agent(user_agent: str | None) -> DeviceHint:
    """Guess the kind of device from a browser's User-Agent header."""
    ua = user_agent or ""
    if not ua:
        return DeviceHint(None, "")
    if "iPad" in ua:
        return DeviceHint("ios", "iPad")
    if "iPhone" in ua or "iPod" in ua:
        return DeviceHint("ios", "iPhone")
    if "Android" in ua:
        model = re.search(r"Android [\d.]+; ([^;)]+?)(?: Build/[^;)]*)?[;)]", ua)
        name = model.group(1).strip() if model else ""
        if name and name not in ("K", "wv") and len(name) <= 40:
            return DeviceHint("android", f"Android ({name})")
        return DeviceHint("android", "Android phone or tablet")
    if "CrOS" in ua:
        return DeviceHint("chromeos", "Chromebook")
    if "Windows" in ua:
        return DeviceHint("windows", "Windows PC")
    if "Macintosh" in ua or "Mac OS X" in ua:
        return DeviceHint("macos", "Mac")
    if "Linux" in ua or "X11" in ua:
        return DeviceHint("linux", "Linux PC")
    return DeviceHint(None, ua.split("/")[0][:40])


def kind_label(kind: str) -> str:
    return _KIND_LABELS.get(kind, kind)


def is_private_mac(mac: str) -> bool:
    """True for a locally administered (randomised, "private Wi-Fi") MAC address."""
    try:
        return bool(int(mac[:2], 16) & 0x02)
    except ValueError:
        return False


def parse_oui(lines: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``AA:BB:CC`` prefix -> organisation, from the lines of an IEEE ``oui.txt``."""
    table = {}
    for line in lines:
        match = _OUI_LINE.match(line.strip())
        if match:
            prefix = ":".join(g.lower() for g in match.groups()[:3])
            table[prefix] = match.group(4).strip()[:80]
    return table


class OuiTable:
    """MAC prefix -> vendor, read from ``path`` on first use; empty when the file is missing."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @cached_property
    def table(self) -> Mapping[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return {}
        return parse_oui(text.splitlines())

    def vendor(self, mac: str | None) -> str | None:
        """The organisation that registered ``mac``'s prefix, if known (never for private MACs)."""
        if not mac or is_private_mac(mac):
            return None
        return self.table.get(mac.lower().replace("-", ":")[:8])


def suggest_name(hint: DeviceHint, vendor: str | None, existing: set[str]) -> str:
    """A name a parent can keep or change, unique among ``existing`` (compared case-blind)."""
    base = hint.label or (vendor.split(",")[0].split(" ")[0] + " device" if vendor else "Device")
    taken = {n.lower() for n in existing}
    name, n = base[:56], 2
    while name.lower() in taken and n < 1000:
        name, n = f"{base[:56]} {n}", n + 1
    return name
