"""The one normaliser for what a client names: host names, IP addresses and paths.

The proxy, ``hearthguard check`` and the dashboard all turn what they are given into a
``Target`` here before any lookup, so that an odd byte, an internationalised name, a
percent-encoded letter, a trailing dot or an IPv4 address written in hex can neither raise
inside a decision nor slip past a list:

- host names become lower-case ASCII (IDNA 2008 with the UTS #46 mapping, so ``BÜCHER.example.``
  and ``xn--bcher-kva.example`` are one name); percent-escapes in a host are decoded first;
- IP addresses become their canonical text, including the forms the C library also accepts
  (``2130706433``, ``0x7f.1``, ``017700000001`` are all 127.0.0.1);
- paths become printable ASCII: bytes that are not UTF-8 and every non-ASCII or control
  character are percent-encoded, escapes of unreserved characters are decoded
  (``/%70orn`` is ``/porn``), dot segments are resolved, and the length is capped.

Nothing here raises on any input: a host that is none of the above has kind ``INVALID``, which
every decision blocks.
"""

from __future__ import annotations

import enum
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

import idna

from classifier.lists.hosts import is_public_suffix

__all__ = [
    "HostKind",
    "Target",
    "is_loopback_name",
    "normalise_host",
    "normalise_path",
    "parse_ip",
    "registrable_domain",
    "same_site",
    "target",
]

MAX_HOST = 253
MAX_PATH = 4096
_NAME = re.compile(
    r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
    r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)"
)
_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD_PORT = re.compile(rf"({_OCTET}(?:\.{_OCTET}){{3}})(?::[0-9]{{1,5}})?")
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/?\[\]|^`{}]*")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Printable ASCII that may stay as it is in a path (RFC 3986 pchar, "/" and "?" and the
# characters browsers send unescaped); everything else is percent-encoded.
_PATH_SAFE = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?[]|^`{}"
)


class HostKind(enum.StrEnum):
    NAME = "name"
    IP = "ip"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Target:
    """A normalised host and path. ``host`` is "" when ``kind`` is ``INVALID``."""

    host: str
    kind: HostKind
    path: str = "/"

    @property
    def is_ip(self) -> bool:
        return self.kind is HostKind.IP


def _text(raw: str | bytes) -> str | None:
    """``raw`` as text, or None when it holds bytes that are not UTF-8."""
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: undecodable bytes carried in a str
        return None
    return raw


def parse_ip(text: str) -> str | None:
    """The canonical text of an IP address written in ``text``, or None.

    Besides the usual forms this accepts what ``inet_aton`` accepts (decimal, octal and hex
    parts, fewer than four parts), because that is what the proxy's own connection would reach.
    """
    candidate = text.strip("[]")
    if "%" in candidate:  # an IPv6 zone: the address is what matters
        candidate = candidate.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        if not _NUMERIC_HOST.fullmatch(candidate) or not candidate[:1].isdigit():
            return None
        try:
            packed = socket.inet_aton(candidate)
        except OSError:
            return None
        return str(ipaddress.IPv4Address(packed))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def normalise_host(raw: str | bytes) -> tuple[str, HostKind]:
    """``raw`` as ``(canonical host, kind)``; ``("", INVALID)`` when it is no host at all.

    A ``:port`` and surrounding brackets, spaces and trailing dots are dropped.
    """
    if (
        isinstance(raw, str)
        and raw[-1:].isalpha()
        and raw.isascii()
        and len(raw) <= MAX_HOST
        and _NAME.fullmatch(raw)
    ):
        return raw, HostKind.NAME  # already canonical: the common case, no parsing
    if isinstance(raw, str) and raw[:1].isdigit():
        quad = _DOTTED_QUAD_PORT.fullmatch(raw)
        if quad is not None:
            return quad.group(1), HostKind.IP  # a canonical IPv4 address, maybe with a port
    text = _text(raw)
    if text is None or len(text) > 4 * MAX_HOST:
        return "", HostKind.INVALID
    text = text.strip()
    if "%" in text and not text.startswith("["):
        decoded = _text(unquote_to_bytes(text))
        if decoded is None:
            return "", HostKind.INVALID
        text = decoded
    if text.startswith("["):
        inside, _, rest = text[1:].partition("]")
        if rest and not (rest.startswith(":") and rest[1:].isdigit()):
            return "", HostKind.INVALID
        address = parse_ip(inside)
        return (address, HostKind.IP) if address and ":" in address else ("", HostKind.INVALID)
    if text.count(":") == 1:
        text, _, port = text.partition(":")
        if not port.isdigit():
            return "", HostKind.INVALID
    elif ":" in text:
        address = parse_ip(text)
        return (address, HostKind.IP) if address else ("", HostKind.INVALID)
    text = text.rstrip(".")
    if not text:
        return "", HostKind.INVALID
    address = parse_ip(text)
    if address is not None:
        return address, HostKind.IP
    if not text.isascii():
        try:
            mapped = idna.uts46_remap(text, std3_rules=False, transitional=False)
            text = ".".join(
                label if label.isascii() else idna.alabel(label).decode("ascii")
                for label in mapped.rstrip(".").split(".")
            )
        except (idna.IDNAError, UnicodeError, ValueError):
            return "", HostKind.INVALID
    text = text.lower()
    last = text.rpartition(".")[2]
    if len(text) > MAX_HOST or not _NAME.fullmatch(text) or last.isdigit():
        # a name whose last label is a number is an address the C library would not read
        return "", HostKind.INVALID
    return text, HostKind.NAME


def _remove_dot_segments(path: str) -> str:
    if "/." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if segment == ".":
            if i == len(segments) - 1:
                out.append("")
            continue
        if segment == "..":
            if len(out) > 1:
                out.pop()
            if i == len(segments) - 1:
                out.append("")
            continue
        out.append(segment)
    return "/".join(out) or "/"


def _hex_pair(pair: bytes) -> int:
    try:
        return int(pair, 16) if pair.isalnum() else -1
    except ValueError:
        return -1


def normalise_path(raw: str | bytes) -> str:
    """``raw`` (a request target's path and query) as a printable ASCII path starting with
    ``/``; see the module's promise. Never raises."""
    if isinstance(raw, str):
        if len(raw) <= MAX_PATH and _PLAIN_PATH.fullmatch(raw) and "/." not in raw:
            return raw  # already canonical: the common case
        data = raw.encode("utf-8", "surrogateescape")
    else:
        data = bytes(raw)
    data = data[: MAX_PATH * 3]
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        byte = data[i]
        if byte == 0x25 and i + 2 < n:
            value = _hex_pair(data[i + 1 : i + 3])
            if value >= 0:
                if value in _UNRESERVED:
                    out.append(value)
                else:
                    out += b"%%%02X" % value
                i += 3
                continue
        if byte in _PATH_SAFE:
            out.append(byte)
        else:
            out += b"%%%02X" % byte
        i += 1
    text = out.decode("ascii")
    if not text.startswith("/"):
        text = "/" + text
    path, question, query = text.partition("?")
    path = _remove_dot_segments(path)
    text = path + question + query
    return text[:MAX_PATH]


def target(host: str | bytes, path: str | bytes = "/") -> Target:
    """A host and path, normalised together."""
    name, kind = normalise_host(host)
    return Target(name, kind, normalise_path(path))


def is_loopback_name(host: str) -> bool:
    """Names that always mean this machine (RFC 6761): ``localhost`` and its sub-domains."""
    return host == "localhost" or host.endswith(".localhost")


def registrable_domain(host: str) -> str:
    """The part of a normalised host name that one party registered: ``www.bbc.co.uk`` ->
    ``bbc.co.uk`` (public suffix list). An IP address or a suffix is returned unchanged."""
    if not host or host[-1:].isdigit() or ":" in host:
        return host
    labels = host.split(".")
    for i in range(len(labels) - 1):
        parent = ".".join(labels[i + 1 :])
        if is_public_suffix(parent):
            return ".".join(labels[i:])
    return host


def same_site(a: str, b: str) -> bool:
    """True when two normalised hosts belong to the same registrable domain."""
    return a == b or registrable_domain(a) == registrable_domain(b)
