"""What a parsed category list is, and the reading and collecting every list format shares.

A list file is read whole (gzip transparently, at most `MAX_FILE_BYTES`), refused as a whole if
it is empty, an HTML page or binary, then split into lines; a `Collector` gathers the entries a
format's line reader finds, validating every host (see ``classifier.lists.hosts``) and keeping
a `Rejection` for every bad line, and `finish_list` freezes it into a `ParsedList`.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from classifier.lists.hosts import (
    canonical_ip,
    is_listed_suffix_label,
    is_public_suffix,
    is_valid_domain,
    listable_ip,
    looks_like_ip,
    normalise_host,
)

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LINE_CHARS",
    "MAX_REJECTION_EXAMPLES",
    "Collector",
    "Line",
    "ListFormatError",
    "ParsedList",
    "Rejection",
    "check_whole_file",
    "finish_list",
    "is_blank",
    "list_stem",
    "looks_like_html",
    "read_list_bytes",
    "split_lines",
]

#: Lines longer than this are rejected without being looked at further.
MAX_LINE_CHARS = 2048

#: A list file (after gzip decompression) larger than this is refused.
MAX_FILE_BYTES = 1 << 30

#: At most this many `Rejection` examples are kept per list; all are counted.
MAX_REJECTION_EXAMPLES = 100

_EXCERPT_CHARS = 80

REASON_MALFORMED = "malformed domain"
REASON_IP = "IP address, not a domain"
REASON_SUFFIX = "public suffix: would block every site under it"
REASON_TOO_LONG = f"line longer than {MAX_LINE_CHARS} characters"
REASON_ENCODING = "not UTF-8 text"
REASON_BINARY = "binary data (control characters)"
REASON_URL = "malformed URL entry"
REASON_SINGLE_LABEL = "malformed domain (a single label)"


class ListFormatError(ValueError):
    """A whole list file or tree cannot be read (empty, an HTML page, binary, unknown format)."""


@dataclass(frozen=True)
class Rejection:
    """One bad line: where it is (``line_no`` 0 means the whole file), why, and what it said."""

    path: str
    line_no: int
    reason: str
    excerpt: str


@dataclass(frozen=True)
class ParsedList:
    """One list's entries, normalised and de-duplicated, with what was refused and skipped.

    ``domains`` match the domain and every sub-domain; ``url_prefixes`` are ``host/path``
    strings; ``allow_*`` hold allow (exception) entries. ``rejected`` keeps at most
    `MAX_REJECTION_EXAMPLES` examples; ``rejected_total`` counts every rejected line.
    ``skipped_total`` counts lines that are valid in their format but not imported (cosmetic
    AdBlock rules, e2guardian directives, hosts boilerplate). ``lines_total`` counts every line
    read, comments included.
    """

    name: str
    category: str
    source_category: str
    format: str
    domains: tuple[str, ...]
    url_prefixes: tuple[str, ...]
    allow_domains: tuple[str, ...]
    rejected: tuple[Rejection, ...]
    rejected_total: int
    lines_total: int
    allow_url_prefixes: tuple[str, ...] = ()
    skipped_total: int = 0
    source_paths: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def entries(self) -> int:
        """Number of entries of every kind in the list."""
        return (
            len(self.domains)
            + len(self.url_prefixes)
            + len(self.allow_domains)
            + len(self.allow_url_prefixes)
        )


def looks_like_html(head: bytes | bytearray) -> bool:
    """Return True if ``head`` (the first bytes of a file) looks like an HTML document."""
    sample = head[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sample.startswith((b"<!doctype html", b"<html", b"<?xml")):
        return True
    return sample.startswith(b"<") and any(
        tag in sample for tag in (b"<head", b"<body", b"<title", b"<html")
    )


# --------------------------------------------------------------------------------------------
# Reading files


# One line of a file: (1-based number, decoded text or None if it is not UTF-8, raw bytes
# kept only for undecodable lines). A plain tuple: millions are made per large list.
Line = tuple[int, "str | None", bytes]


def _excerpt(text: str) -> str:
    cut = text[:_EXCERPT_CHARS]
    return cut.encode("unicode_escape").decode("ascii") if not cut.isprintable() else cut


def read_list_bytes(path: Path) -> bytearray:
    """The bytes of the list file at ``path`` (gzip decompressed), read a block at a time into
    one buffer (never a second copy of the whole file). `split_lines` empties the buffer as
    it goes. Raises `ListFormatError` if it is damaged gzip or larger than `MAX_FILE_BYTES`."""
    with open(path, "rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    data = bytearray()
    try:
        with gzip.open(path, "rb") if compressed else open(path, "rb") as handle:
            while block := handle.read(_READ_BLOCK):
                data += block
                if len(data) > MAX_FILE_BYTES:
                    raise ListFormatError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    except (OSError, EOFError, zlib.error) as exc:
        if not compressed:
            raise
        raise ListFormatError(f"{path}: damaged gzip file ({exc})") from exc
    return data


def is_blank(data: bytes | bytearray) -> bool:
    """True if ``data`` is empty or only ASCII white space (as ``not data.strip()``, without
    a copy)."""
    return not data or data.isspace()


def check_whole_file(path: Path, data: bytes | bytearray) -> None:
    """Raise ListFormatError if the file as a whole is not a list."""
    if is_blank(data):
        raise ListFormatError(f"{path}: the file is empty")
    if looks_like_html(data[:2048]):
        raise ListFormatError(
            f"{path}: this is an HTML page, not a list (an error or login page served "
            "instead of the list?)"
        )
    head = data[:8192]
    control = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    if control * 10 > len(head):
        raise ListFormatError(f"{path}: binary data, not a text list")


#: Bytes of a list file read at a time.
_READ_BLOCK = 1 << 20

#: Bytes of a list decoded and split into lines at a time.
_SPLIT_BLOCK = 1 << 20


def split_lines(data: bytes | bytearray) -> Iterator[Line]:
    """Yield the file's lines (1-based), decoded; undecodable lines carry ``text=None``.

    A file that is valid UTF-8 as a whole is decoded a block of about ``_SPLIT_BLOCK`` bytes
    at a time (cut at a line end), so its text is never held whole beside its bytes; a
    ``bytearray`` (`read_list_bytes`) is emptied from the front as its blocks are read, so
    the file's bytes go as its entries come."""
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        if not data.isascii():
            data[start:].decode("utf-8")  # only to know it is valid: dropped at once
    except UnicodeDecodeError:
        for number, raw in enumerate(bytes(data[start:]).split(b"\n"), 1):
            try:
                decoded: str | None = raw.decode("utf-8").rstrip("\r")
            except UnicodeDecodeError:
                decoded = None
            yield number, decoded, raw
        return
    # the lines of ``text.split("\n")``: a newline byte is never part of another UTF-8
    # character, so blocks cut after one decode alone; never a list of every line
    number = 0
    while True:
        end = data.find(b"\n", start + _SPLIT_BLOCK) if start + _SPLIT_BLOCK < len(data) else -1
        stop = len(data) if end < 0 else end
        block = data[start:stop].decode("utf-8")
        if isinstance(data, bytearray):
            del data[: stop + 1]  # the block and its line end
            stop = -1
        for line in block.split("\n"):
            number += 1
            yield number, line, b""
        if end < 0:
            return
        start = stop + 1


# --------------------------------------------------------------------------------------------
# Collecting entries


@dataclass
class Collector:
    """Mutable accumulator used only while one list is being parsed."""

    path: str
    domains: dict[str, None] = field(default_factory=dict)
    urls: dict[str, None] = field(default_factory=dict)
    allow_domains: dict[str, None] = field(default_factory=dict)
    allow_urls: dict[str, None] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    rejected_total: int = 0
    skipped_total: int = 0
    lines_total: int = 0
    _last_rejected: tuple[str, int] | None = None

    def reject(self, line_no: int, reason: str, excerpt: str, path: str | None = None) -> None:
        """Count line ``line_no`` as rejected, once however many of its parts are bad (a
        hosts line may name several hosts): the first reason is the one kept."""
        where = (path or self.path, line_no)
        if where == self._last_rejected:
            return
        self._last_rejected = where
        self.rejected_total += 1
        if len(self.rejected) < MAX_REJECTION_EXAMPLES:
            self.rejected.append(Rejection(path or self.path, line_no, reason, _excerpt(excerpt)))

    def add_domain(self, line_no: int, candidate: str, original: str, allow: bool) -> None:
        """Validate ``candidate`` as a domain (or an IP address) and add it, or record why
        not. Addresses are kept: lists name DNS-over-HTTPS resolvers and proxies by address."""
        host = candidate if is_valid_domain(candidate) else normalise_host(candidate)
        if host is None:
            host = listable_ip(candidate)
            if host is not None:
                (self.allow_domains if allow else self.domains)[host] = None
                return
        if host is None:
            self.reject(line_no, _why_not_a_host(candidate), original)
        elif is_public_suffix(host):
            self.reject(line_no, REASON_SUFFIX, original)
        else:
            (self.allow_domains if allow else self.domains)[host] = None

    def add_url(self, line_no: int, candidate: str, original: str, allow: bool) -> None:
        """Validate ``host/path`` (scheme optional) and add it as a URL prefix."""
        parsed = _split_url(candidate)
        if parsed is None:
            self.reject(line_no, REASON_URL, original)
            return
        host_text, path = parsed
        host = normalise_host(host_text) or listable_ip(host_text)
        if host is None:
            reason = REASON_IP if canonical_ip(host_text) else REASON_URL
            self.reject(line_no, reason, original)
        elif path == "/":
            if is_public_suffix(host):
                self.reject(line_no, REASON_SUFFIX, original)
            else:
                (self.allow_domains if allow else self.domains)[host] = None
        else:
            (self.allow_urls if allow else self.urls)[host + path] = None

    def check_line(self, line: Line) -> str | None:
        """Return the line's stripped text if it may be parsed, else record why not."""
        number, text, raw = line
        if text is None:
            self.reject(number, REASON_ENCODING, raw[:_EXCERPT_CHARS].decode("latin-1"))
            return None
        if len(text) > MAX_LINE_CHARS:
            self.reject(number, REASON_TOO_LONG, text)
            return None
        if _has_control(text):
            self.reject(number, REASON_BINARY, text.strip())
            return None
        return text.strip()


def _why_not_a_host(candidate: str) -> str:
    if looks_like_ip(candidate):
        return REASON_IP
    label = candidate.strip().rstrip(".").lower()
    if label and "." not in label and label.isascii():
        if is_listed_suffix_label(label):
            return REASON_SUFFIX
        return REASON_SINGLE_LABEL
    return REASON_MALFORMED


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _has_control(text: str) -> bool:
    return _CONTROL_RE.search(text) is not None


_SCHEME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")


def _split_url(text: str) -> tuple[str, str] | None:
    """Split ``[scheme://]host[:port][/path]`` into (host, lower-cased path starting with /)."""
    match = _SCHEME_RE.match(text)
    if match:
        text = text[match.end() :]
    if not text or any(ch.isspace() for ch in text):
        return None
    host, slash, rest = text.partition("/")
    if "@" in host or not host:
        return None
    path = (slash + rest).split("#", 1)[0].lower() or "/"
    return host, path


# --------------------------------------------------------------------------------------------
# Naming

_STEM_SUFFIXES = (".gz", ".txt", ".list", ".lst", ".hosts", ".conf")
_DATE_SUFFIX_RE = re.compile(r"[._-]\d{4}-\d{2}-\d{2}$")


def list_stem(path: Path) -> str:
    name = path.name
    changed = True
    while changed:
        changed = False
        for suffix in _STEM_SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                changed = True
    return _DATE_SUFFIX_RE.sub("", name)


def finish_list(
    out: Collector,
    *,
    name: str,
    category: str,
    source_category: str,
    fmt: str,
    sources: tuple[str, ...],
    notes: tuple[str, ...] = (),
) -> ParsedList:
    return ParsedList(
        name=name,
        category=category,
        source_category=source_category,
        format=fmt,
        domains=tuple(out.domains),
        url_prefixes=tuple(out.urls),
        allow_domains=tuple(out.allow_domains),
        rejected=tuple(out.rejected),
        rejected_total=out.rejected_total,
        lines_total=out.lines_total,
        allow_url_prefixes=tuple(out.allow_urls),
        skipped_total=out.skipped_total,
        source_paths=sources,
        notes=notes,
    )
