"""Hotline lists: hashed addresses of illegal content, as child-protection hotlines share them.

A hotline list file holds one hex SHA-256 digest per line (upper or lower case). A digest is
either the hash of a normalised *host* or of a normalised *URL*; the file does not say which,
and does not need to: a request is checked against both kinds. Blank lines and lines starting
with ``#`` are ignored; every other line that is not a 64-digit hex digest is a bad line, counted
(with the first line numbers kept) and skipped. The list's name is the file name without
``.txt``. Hearthguard loads every ``<data dir>/hotline/*.txt``; ``parse_hotline(path)`` reads one
file, ``load_hotlines(folder)`` all of them, and ``digest_url`` / ``digest_host`` make the
digests (for tests, or to convert a list that was hashed differently).

Normalisation (what is hashed; the same rules apply to list entries and to requests):

* **Host**: surrounding whitespace, the scheme (``http://``, ``https://``, any ``x://``), user
  information (``user:pass@``), the port and one trailing dot are removed; the name is
  lower-cased and internationalised names are converted to their ASCII ``xn--`` form (IDNA
  2008, UTS #46 mapping). One leading ``www.`` is removed (``www.example.org`` and
  ``example.org`` are the same site; ``www.org`` keeps it). IP addresses are written in their
  canonical form (``[2001:DB8::1]`` -> ``2001:db8::1``).
* **Path**: an empty path is ``/``; ``.`` and ``..`` segments are resolved; percent-escapes of
  unreserved characters (letters, digits, ``-._~``) are decoded and other escapes upper-cased
  (``%7e`` -> ``~``, ``%2f`` -> ``%2F``); other non-ASCII characters are percent-encoded as
  UTF-8. A trailing slash is removed (``/gallery/`` and ``/gallery`` are the same), except for
  the root ``/``. Case is kept: paths are case-sensitive.
* **Query**: kept as sent, with the same escape normalisation, in its original order; an empty
  query (a lone ``?``) is dropped. **Fragment** (``#...``): dropped; browsers never send it.
* A normalised URL is ``host + path [+ "?" + query]``, e.g. ``example.org/a/b?id=1``; a
  normalised host contains no ``/``, so the two kinds can never collide.

Matching: a request is on the list when

* its host, or any parent domain of it, is listed as a host (``example.org`` covers
  ``cdn.example.org``); or
* its URL is listed; or the same URL without its query is listed (an entry without a query
  covers every query string); or any ancestor path is listed (``example.org/gallery`` covers
  ``example.org/gallery/1.jpg``; ``example.org/`` covers the whole host, but not other hosts;
  folders are checked from the root down, 64 levels deep).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from classifier.lists.hosts import normalise_host

__all__ = [
    "HotlineError",
    "HotlineList",
    "HotlineLists",
    "MAX_BAD_LINE_NUMBERS",
    "digest_host",
    "digest_url",
    "load_hotlines",
    "normalise_hotline_host",
    "normalise_hotline_url",
    "parse_hotline",
]

#: At most this many bad line numbers are kept per file; all bad lines are counted.
MAX_BAD_LINE_NUMBERS = 20
#: Ancestor paths checked per request, from the root down (entries deeper than this many
#: segments match only their exact URL).
_MAX_ANCESTORS = 64
_MAX_FILE_BYTES = 256 * 1024 * 1024

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_DIGEST_RE = re.compile(r"[0-9A-Fa-f]{64}")
_ESCAPE_RE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


class HotlineError(ValueError):
    """A hotline list file cannot be read at all (missing, unreadable, too large, not text)."""


def normalise_hotline_host(host: str) -> str:
    """The host as it is hashed (see the module docstring); ``""`` when nothing is left."""
    text = host.strip()
    if text.startswith("["):  # IPv6 literal, maybe with a port
        inner, _, _ = text[1:].partition("]")
        try:
            return str(ipaddress.ip_address(inner))
        except ValueError:
            return inner.lower()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    name = normalise_host(text)
    if name is None:  # single labels, odd names: still hash something deterministic
        name = text.rpartition(":")[0] if text.count(":") == 1 else text
        name = name.lower().rstrip(".")
        try:
            return str(ipaddress.ip_address(name))
        except ValueError:
            pass
    if name.startswith("www.") and "." in name[4:]:
        name = name[4:]
    return name


def _normalise_escapes(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        byte = int(match.group(1), 16)
        return chr(byte) if byte in _UNRESERVED else "%" + match.group(1).upper()

    text = _ESCAPE_RE.sub(fix, text)
    if text.isascii():
        return text
    return "".join(
        c if c.isascii() else "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in text
    )


def _resolve_dots(path: str) -> str:
    out: list[str] = []
    segments = path.split("/")[1:]
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == ".":
            if last:
                out.append("")
        elif segment == "..":
            if out:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)


def _normalise_path(path: str) -> tuple[str, str]:
    """``(path, query)`` of a request target, normalised."""
    path, _, _fragment = path.partition("#")
    path, has_query, query = path.partition("?")
    path = _normalise_escapes(path or "/")
    if not path.startswith("/"):
        path = "/" + path
    path = _resolve_dots(path)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path, _normalise_escapes(query) if has_query else ""


def normalise_hotline_url(url: str) -> str:
    """The URL as it is hashed: ``host + path [+ "?" + query]`` (see the module docstring)."""
    text = _SCHEME_RE.sub("", url.strip(), count=1)
    cut = min((i for i in (text.find("/"), text.find("?"), text.find("#")) if i >= 0), default=-1)
    authority, target = (text, "/") if cut < 0 else (text[:cut], text[cut:])
    host = normalise_hotline_host(authority.rpartition("@")[2])
    path, query = _normalise_path(target)
    return host + path + ("?" + query if query else "")


def _sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def digest_host(host: str) -> str:
    """The hex digest a hotline list holds for a whole host (and its sub-domains)."""
    return _sha256(normalise_hotline_host(host)).hex()


def digest_url(url: str) -> str:
    """The hex digest a hotline list holds for a URL (and every page below it)."""
    return _sha256(normalise_hotline_url(url)).hex()


def _candidates(host: str, path: str) -> list[bytes]:
    """Digests to look up for one request: host and parents, the URL and its ancestors."""
    name = normalise_hotline_host(host)
    digests = []
    labels = name.split(".")
    is_ip = ":" in name or name.replace(".", "").isdigit()
    for i in range(1 if is_ip else max(len(labels) - 1, 1)):
        digests.append(_sha256(".".join(labels[i:])))
    clean, query = _normalise_path(path)
    if query:
        digests.append(_sha256(f"{name}{clean}?{query}"))
    digests.append(_sha256(name + clean))
    # ancestors from the root down: padding a path with extra segments cannot hide it
    segments = clean.split("/")[1:-1]
    digests.append(_sha256(name + "/"))
    for depth in range(1, min(len(segments), _MAX_ANCESTORS) + 1):
        digests.append(_sha256(name + "/" + "/".join(segments[:depth])))
    return digests


@dataclass(frozen=True)
class HotlineList:
    """One parsed hotline list file."""

    name: str
    digests: frozenset[bytes]
    lines_total: int = 0
    bad_lines_total: int = 0
    bad_line_numbers: tuple[int, ...] = ()

    def match(self, host: str, path: str = "/") -> str | None:
        """This list's name when ``host`` + ``path`` is on it (module docstring), else None."""
        if not self.digests:
            return None
        return self.name if any(d in self.digests for d in _candidates(host, path)) else None


def parse_hotline(path: Path) -> HotlineList:
    """Read one hotline list file; bad lines are counted, never fatal.

    Raises `HotlineError` only when the file as a whole cannot be read.
    """
    path = Path(path)
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise HotlineError(f"{path} is larger than {_MAX_FILE_BYTES // 2**20} MB.")
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HotlineError(f"{path} is not a text file of hex digests.") from None
    except OSError as exc:
        raise HotlineError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    digests: set[bytes] = set()
    bad: list[int] = []
    bad_total = 0
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if _DIGEST_RE.fullmatch(entry):
            digests.add(bytes.fromhex(entry))
            continue
        bad_total += 1
        if len(bad) < MAX_BAD_LINE_NUMBERS:
            bad.append(number)
    name = path.name[: -len(".txt")] if path.name.endswith(".txt") else path.name
    return HotlineList(name, frozenset(digests), len(lines), bad_total, tuple(bad))


@dataclass(frozen=True)
class HotlineLists:
    """Several hotline lists merged into one lookup: each request is hashed once, not per list."""

    lists: tuple[HotlineList, ...] = ()
    _owner: Mapping[bytes, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def merge(cls, lists: Iterable[HotlineList]) -> HotlineLists:
        lists = tuple(lists)
        owner: dict[bytes, str] = {}
        for hotline in lists:
            for digest in hotline.digests:
                owner.setdefault(digest, hotline.name)
        return cls(lists, MappingProxyType(owner))

    def __len__(self) -> int:
        return len(self._owner)

    def match(self, host: str, path: str = "/") -> str | None:
        """The name of the first list holding ``host`` + ``path``, else None."""
        if not self._owner:
            return None
        for digest in _candidates(host, path):
            name = self._owner.get(digest)
            if name is not None:
                return name
        return None


def load_hotlines(folder: Path) -> tuple[HotlineLists, tuple[str, ...]]:
    """Every ``*.txt`` list in ``folder`` merged, and a plain-words problem per unusable file.

    A missing folder is no problem (no lists); a file that cannot be read is skipped and
    reported, as are bad lines.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return HotlineLists(), ()
    lists: list[HotlineList] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.txt")):
        try:
            hotline = parse_hotline(path)
        except HotlineError as exc:
            problems.append(f"Hotline list skipped: {exc}")
            continue
        if hotline.bad_lines_total:
            shown = ", ".join(map(str, hotline.bad_line_numbers))
            problems.append(
                f"Hotline list {path.name}: {hotline.bad_lines_total} line(s) are not SHA-256 "
                f"digests and were skipped (line {shown})."
            )
        lists.append(hotline)
    return HotlineLists.merge(lists), tuple(problems)
