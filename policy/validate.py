"""Checks for what parents type: names, domains, IP and MAC addresses, times.

Each function returns the cleaned value or raises ``InputError`` naming the field, so the CLI
can exit with code 2 and the dashboard can show the message next to the field.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from datetime import time

from classifier.lists.hosts import is_public_suffix, normalise_host
from policy.messages import N_

__all__ = [
    "InputError",
    "clean_clock",
    "clean_domain",
    "clean_ip",
    "clean_mac",
    "clean_name",
]

MAX_NAME = 64
_MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$")


class InputError(ValueError):
    """A value a parent typed that Hearthguard cannot accept; ``field`` names where.

    ``message`` may hold ``%(name)s`` placeholders filled from ``params``. ``message`` is then
    the text with them filled in, ``template`` the text as written (marked with ``N_`` for
    translation) and ``params`` the values, so the dashboard can show it in the reader's
    language and the CLI as it is.
    """

    def __init__(self, field: str, message: str, **params: object) -> None:
        text = message % params if params else message
        super().__init__(text)
        self.field = field
        self.message = text
        self.template = message
        self.params = params


def clean_name(value: str, field: str = "name") -> str:
    """A display name: 1-64 printable characters, surrounding space removed."""
    name = " ".join((value or "").split())
    if not name:
        raise InputError(field, N_("Please enter a name."))
    if len(name) > MAX_NAME:
        raise InputError(field, N_("Names can be at most %(n)s characters long."), n=MAX_NAME)
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InputError(field, N_("Names cannot contain control characters."))
    return name


def clean_domain(value: str, field: str = "domain") -> str:
    """A domain a rule applies to (with its sub-domains), or an IP address (that address
    only); URLs are reduced to their host."""
    raw = (value or "").strip()
    if "://" in raw:
        raw = raw.split("://", 1)[1]
    raw = raw.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if raw.startswith("*."):
        raw = raw[2:]
    if raw.startswith("["):
        raw = raw[1:].partition("]")[0]
    elif raw.count(":") == 1:
        raw = raw.partition(":")[0]
    address = _address(raw)
    if address is not None:
        return address  # a parent may allow an address (a printer, a game console)
    host = normalise_host(raw) if raw else None
    if host is None:
        raise InputError(
            field, N_("“%(value)s” is not a valid domain name, like example.com."), value=value[:80]
        )
    if is_public_suffix(host):
        raise InputError(
            field, N_("“%(value)s” is a whole top-level domain; name a site instead."), value=host
        )
    return host


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def clean_ip(value: str, field: str = "ip") -> str:
    """An IPv4 or IPv6 address in its canonical text form."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        raise InputError(
            field, N_("“%(value)s” is not an IP address, like 192.168.1.23."), value=value[:80]
        ) from None


def clean_mac(value: str, field: str = "mac") -> str:
    """A MAC address as lower-case ``aa:bb:cc:dd:ee:ff``."""
    mac = (value or "").strip().lower()
    if not _MAC.match(mac):
        raise InputError(
            field, N_("“%(value)s” is not a MAC address, like aa:bb:cc:dd:ee:ff."), value=value[:80]
        )
    return mac.replace("-", ":")


def clean_clock(value: str, field: str = "time") -> time:
    """A time of day written ``HH:MM``."""
    try:
        hours, minutes = (value or "").strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise InputError(
            field, N_("“%(value)s” is not a time of day, like 20:30."), value=value[:20]
        ) from None
