"""Category list files: read them, check every line, and say what was wrong.

Formats understood (auto-detected, or forced with ``format=``):

``ut1``
    a UT1 / squidGuard tree: one folder per category holding ``domains`` and ``urls`` files
    (optionally gzip-compressed). ``expressions`` (regular expressions) and ``usage`` are not
    imported. Folders that are symlinks to another category (UT1 ships ``porn -> adult``) and
    files whose bytes equal an already read file (UT1's three ``*redirector/domains``) are read
    once; the skipped copy is named in ``ParsedList.notes``.
``hosts``
    hosts files: ``0.0.0.0 example.com``, ``127.0.0.1 a.example b.example``, ``:: example.com``.
    The usual boilerplate names (``localhost``, ``broadcasthost``, ...) are skipped.
``domains``
    one domain per line; ``*.example.com`` and ``.example.com`` mean the same as
    ``example.com``; a line with a path (``example.com/some/page`` or a full ``http(s)://`` URL)
    is a URL-prefix entry.
``adblock``
    AdBlock-style rules: ``||example.com^`` blocks, ``@@||example.com^`` allows. Every other
    rule (cosmetic ``##``, paths, regular expressions, rules with options that narrow them) is
    counted in ``skipped_total``.
``e2guardian``
    e2guardian / DansGuardian site and URL lists. ``*ip``, ``*ips``, ``**``, ``**s`` and
    ``.Include<...>`` lines are counted as skipped (includes are not followed: import the
    included file itself). A file whose name contains ``exception`` or ``grey`` holds allow
    entries; ``#listcategory: "..."`` names the list's category.

The hosts and domains formats share one line reader, so a plain domain inside a hosts file (or
a hosts line inside a plain list) is still understood.

Every entry is normalised (IDNA, lower case, no trailing dot, no port). Comments and blank
lines are fine; every other bad line becomes a `Rejection` naming the file and line: malformed
domains, IP addresses, public suffixes (an entry such as ``com`` or ``co.uk`` would block every
site under it), binary junk, over-long lines and lines that are not UTF-8. A whole file that is
empty, an HTML page (an error page served instead of a list) or binary raises
`ListFormatError` when parsed on its own; inside a UT1 tree it becomes a rejection with line
number 0, and the rest of the tree still loads.

The public suffix list is the copy bundled in the ``publicsuffixlist`` wheel (Mozilla's list,
MPL-2.0), both its ICANN and its private sections; nothing is downloaded at run time.
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import idna
import publicsuffixlist

from classifier.categories import ALL, canonical

__all__ = [
    "FORMATS",
    "MAX_FILE_BYTES",
    "MAX_LINE_CHARS",
    "MAX_REJECTION_EXAMPLES",
    "ListFormatError",
    "ParsedList",
    "Rejection",
    "detect_format",
    "is_public_suffix",
    "is_valid_domain",
    "looks_like_html",
    "canonical_ip",
    "normalise_host",
    "parse_path",
]

#: Format names accepted by `parse_path` (besides ``"auto"``).
FORMATS: tuple[str, ...] = ("ut1", "hosts", "domains", "adblock", "e2guardian")

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


# --------------------------------------------------------------------------------------------
# Host names and the public suffix list


@dataclass(frozen=True)
class _SuffixRules:
    exact: frozenset[str]
    wildcard_parents: frozenset[str]
    exceptions: frozenset[str]


def _to_ascii_rule(rule: str) -> str | None:
    if rule.isascii():
        return rule.lower()
    try:
        return ".".join(
            label if label.isascii() or label == "*" else idna.alabel(label).decode("ascii")
            for label in rule.split(".")
        )
    except idna.IDNAError:
        return None


def _load_suffix_rules() -> _SuffixRules:
    exact: set[str] = set()
    wild: set[str] = set()
    exceptions: set[str] = set()
    with open(publicsuffixlist.PSLFILE, encoding="utf-8") as psl:
        for raw in psl:
            rule = raw.strip()
            if not rule or rule.startswith("//"):
                continue
            rule = rule.split()[0]
            target = exact
            if rule.startswith("!"):
                target, rule = exceptions, rule[1:]
            elif rule.startswith("*."):
                target, rule = wild, rule[2:]
            ascii_rule = _to_ascii_rule(rule)
            if ascii_rule:
                target.add(ascii_rule)
    return _SuffixRules(frozenset(exact), frozenset(wild), frozenset(exceptions))


_SUFFIXES = _load_suffix_rules()

_HOST_RE = re.compile(
    r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+"
    r"(?:[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)"
)
_PORT_RE = re.compile(r"[0-9]{1,5}")
_IPV4_LIKE_RE = re.compile(r"[0-9.]+")


def is_public_suffix(domain: str) -> bool:
    """Return True if ``domain`` (normalised, as `normalise_host` returns it) is a public suffix.

    A public suffix is a name under which unrelated parties register sites: ``com``,
    ``co.uk``, ``github.io``. Any single-label name counts as one. Rules come from the bundled
    public suffix list (ICANN and private sections).
    """
    if "." not in domain:
        return True
    if domain in _SUFFIXES.exceptions:
        return False
    if domain in _SUFFIXES.exact:
        return True
    return domain.partition(".")[2] in _SUFFIXES.wildcard_parents


def _is_ip(text: str) -> bool:
    candidate = text.strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return bool(_IPV4_LIKE_RE.fullmatch(candidate)) and candidate.count(".") == 3
    return True


def canonical_ip(text: str) -> str | None:
    """The canonical text of the IP address ``text`` names (brackets and a port allowed), or
    None. IPv4-mapped IPv6 addresses become IPv4."""
    candidate = text.strip()
    if candidate.startswith("["):
        candidate = candidate[1:].partition("]")[0]
    elif candidate.count(":") == 1:
        candidate = candidate.partition(":")[0]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _listable_ip(text: str) -> str | None:
    """A public address a list may name; private, loopback and reserved addresses (hosts-file
    boilerplate, placeholders) are not entries."""
    address = canonical_ip(text)
    if address is None or not ipaddress.ip_address(address).is_global:
        return None
    return address


def is_valid_domain(name: str) -> bool:
    """Return True if ``name`` is already a normalised domain (`normalise_host` keeps it).

    A fast check for code that receives names which should already be normalised.
    """
    return len(name) <= 253 and _HOST_RE.fullmatch(name) is not None


_valid_ascii_host = is_valid_domain


def normalise_host(host: str) -> str | None:
    """Return ``host`` as a canonical domain name, or None if it is not a valid one.

    Strips surrounding whitespace, one trailing dot and a ``:port``; lower-cases; converts
    internationalised names to their ASCII (``xn--``) form (UTS #46 mapping, IDNA 2008).
    The result is a dotted name of at least two labels whose last label starts with a letter,
    so IP addresses, single labels and empty strings give None. Idempotent: a returned name
    normalises to itself.
    """
    text = host.strip()
    if not text or text.startswith("["):
        return None
    if ":" in text:
        text, _, port = text.rpartition(":")
        if ":" in text or not _PORT_RE.fullmatch(port):
            return None
    if text.endswith("."):
        text = text[:-1]
    if text.isascii():
        text = text.lower()
    else:
        try:
            mapped = idna.uts46_remap(text, std3_rules=False, transitional=False)
            text = ".".join(
                label if label.isascii() else idna.alabel(label).decode("ascii")
                for label in mapped.split(".")
            )
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
        text = text.lower()
        if text.endswith("."):
            text = text[:-1]
    return text if _valid_ascii_host(text) else None


def looks_like_html(head: bytes) -> bool:
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
_Line = tuple[int, "str | None", bytes]


def _excerpt(text: str) -> str:
    cut = text[:_EXCERPT_CHARS]
    return cut.encode("unicode_escape").decode("ascii") if not cut.isprintable() else cut


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    try:
        with gzip.open(path, "rb") if compressed else open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        if not compressed:
            raise
        raise ListFormatError(f"{path}: damaged gzip file ({exc})") from exc
    if len(data) > MAX_FILE_BYTES:
        raise ListFormatError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    return data


def _check_whole_file(path: Path, data: bytes) -> None:
    """Raise ListFormatError if the file as a whole is not a list."""
    if not data.strip():
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


def _lines(data: bytes) -> Iterator[_Line]:
    """Yield the file's lines (1-based), decoded; undecodable lines carry ``text=None``."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        for number, raw in enumerate(data.split(b"\n"), 1):
            try:
                decoded: str | None = raw.decode("utf-8").rstrip("\r")
            except UnicodeDecodeError:
                decoded = None
            yield number, decoded, raw
        return
    for number, line in enumerate(text.split("\n"), 1):
        yield number, line, b""


# --------------------------------------------------------------------------------------------
# Collecting entries


@dataclass
class _Collector:
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

    def reject(self, line_no: int, reason: str, excerpt: str, path: str | None = None) -> None:
        self.rejected_total += 1
        if len(self.rejected) < MAX_REJECTION_EXAMPLES:
            self.rejected.append(Rejection(path or self.path, line_no, reason, _excerpt(excerpt)))

    def add_domain(self, line_no: int, candidate: str, original: str, allow: bool) -> None:
        """Validate ``candidate`` as a domain (or an IP address) and add it, or record why
        not. Addresses are kept: lists name DNS-over-HTTPS resolvers and proxies by address."""
        host = candidate if _valid_ascii_host(candidate) else normalise_host(candidate)
        if host is None:
            host = _listable_ip(candidate)
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
        host = normalise_host(host_text) or _listable_ip(host_text)
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

    def check_line(self, line: _Line) -> str | None:
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
    if _is_ip(candidate):
        return REASON_IP
    label = candidate.strip().rstrip(".").lower()
    if label and "." not in label and label.isascii():
        if label in _SUFFIXES.exact:
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
# Line readers, one per format family

_HOSTS_BOILERPLATE = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "local",
        "broadcasthost",
        "ip6-localhost",
        "ip6-loopback",
        "ip6-localnet",
        "ip6-mcastprefix",
        "ip6-allnodes",
        "ip6-allrouters",
        "ip6-allhosts",
        "0.0.0.0",
    }
)


def _read_hosts_or_domains(lines: Iterator[_Line], out: _Collector) -> None:
    host_match = _HOST_RE.fullmatch
    domains = out.domains
    for line in lines:
        out.lines_total += 1
        text = line[1]
        if text is not None:
            text = text.strip()
            # fast path: a clean lower-case domain on its own line
            if len(text) <= 253 and host_match(text):
                if is_public_suffix(text):
                    out.reject(line[0], REASON_SUFFIX, text)
                else:
                    domains[text] = None
                continue
        text = out.check_line(line)
        if not text or text[0] in "#!;":
            continue
        if "#" in text:
            text = text.split("#", 1)[0].strip()
            if not text:
                continue
        number = line[0]
        fields = text.split()
        if len(fields) > 1 and _is_ip(fields[0]):
            for name in fields[1:]:
                if name.lower() in _HOSTS_BOILERPLATE:
                    out.skipped_total += 1
                else:
                    out.add_domain(number, name, text, allow=False)
            continue
        if len(fields) == 1 and fields[0].lower() in _HOSTS_BOILERPLATE:
            out.skipped_total += 1
            continue
        if len(fields) > 1:
            out.reject(number, REASON_MALFORMED, text)
            continue
        entry = text
        if "/" in entry:
            out.add_url(number, entry, text, allow=False)
            continue
        if entry.startswith("*."):
            entry = entry[2:]
        elif entry.startswith("."):
            entry = entry[1:]
        out.add_domain(number, entry, text, allow=False)


_ADBLOCK_DOMAIN_RE = re.compile(r"(@@)?\|\|([^/^$|*]+)\^(?:\$(.*))?|(@@)?\|\|([^/^$|*]+)\|?")
_ADBLOCK_WHOLE_SITE_OPTIONS = frozenset({"", "important", "all", "document", "doc"})


def _read_adblock(lines: Iterator[_Line], out: _Collector) -> None:
    for line in lines:
        out.lines_total += 1
        text = out.check_line(line)
        if not text or text[0] == "!" or (text[0] == "[" and text.endswith("]")):
            continue
        match = _ADBLOCK_DOMAIN_RE.fullmatch(text)
        if match is None:
            out.skipped_total += 1  # cosmetic, path, regex and other rules
            continue
        allow = bool(match.group(1) or match.group(4))
        host = match.group(2) or match.group(5)
        options = {opt.strip().lower() for opt in (match.group(3) or "").split(",")}
        if not options <= _ADBLOCK_WHOLE_SITE_OPTIONS:
            out.skipped_total += 1  # narrowed to some requests only: not a whole-site rule
            continue
        out.add_domain(line[0], host, text, allow=allow)


_E2G_SKIPPED = frozenset({"*ip", "*ips", "**", "**s"})
_E2G_LISTCATEGORY_RE = re.compile(r'#\s*listcategory:\s*"?([^"]*)"?', re.IGNORECASE)


def _read_e2guardian(lines: Iterator[_Line], out: _Collector, allow: bool) -> str | None:
    """Read an e2guardian site or URL list; return its ``#listcategory`` if it names one."""
    list_category: str | None = None
    for line in lines:
        out.lines_total += 1
        text = out.check_line(line)
        if not text:
            continue
        if text[0] == "#":
            match = _E2G_LISTCATEGORY_RE.match(text)
            if match and match.group(1).strip():
                list_category = match.group(1).strip()
            continue
        if text.startswith(".Include<") or text in _E2G_SKIPPED or text.startswith("#time:"):
            out.skipped_total += 1
            continue
        if " #" in text or "\t#" in text:
            text = re.split(r"\s#", text, maxsplit=1)[0].strip()
        if "/" in text:
            out.add_url(line[0], text, text, allow=allow)
        else:
            out.add_domain(line[0], text.lstrip("*").lstrip("."), text, allow=allow)
    return list_category


# --------------------------------------------------------------------------------------------
# Format detection

_E2G_NAME_RE = re.compile(r"(?:site|url)(?:ip)?list$")
_HOSTS_LINE_RE = re.compile(r"(?:0\.0\.0\.0|127\.0\.0\.1|0|::1?|[0-9a-f:.]+)\s+\S")
_ADBLOCK_LINE_RE = re.compile(r"@@|\|\||##|#@#|#\?#|\[adblock", re.IGNORECASE)


def _is_ut1_tree(path: Path) -> bool:
    return any(_category_dirs(path))


def _category_dirs(root: Path) -> Iterator[Path]:
    for child in sorted(root.iterdir()):
        if child.is_dir() and any(
            (child / name).is_file() for name in ("domains", "urls", "domains.gz", "urls.gz")
        ):
            yield child


def _tree_root(path: Path) -> Path:
    """UT1 tarballs unpack into ``blacklists/``: accept the folder above it too."""
    if _is_ut1_tree(path):
        return path
    children = [child for child in path.iterdir() if child.is_dir()]
    if len(children) == 1 and _is_ut1_tree(children[0]):
        return children[0]
    return path


def _sniff(data: bytes) -> str:
    sample: list[str] = []
    for raw in data[:65536].split(b"\n")[:2000]:
        text = raw.decode("utf-8", "replace").strip()
        if text.lower().startswith("[adblock"):
            return "adblock"
        if text.startswith((".Include<", "#listcategory:")) or text in _E2G_SKIPPED:
            return "e2guardian"
        if text and text[0] not in "#!":
            sample.append(text)
    if not sample:
        return "domains"
    adblock = sum(1 for text in sample if _ADBLOCK_LINE_RE.search(text))
    hosts = sum(1 for text in sample if _HOSTS_LINE_RE.match(text))
    if adblock * 2 >= len(sample):
        return "adblock"
    if hosts * 2 >= len(sample):
        return "hosts"
    return "domains"


def detect_format(path: Path) -> str:
    """Return the format of the list at ``path``: one of `FORMATS`.

    A directory is a UT1 tree (or the folder holding one); a file named like an e2guardian
    list (``bannedsitelist``, ``exceptionurllist``, ...) is ``e2guardian``; otherwise its first
    lines decide. Raises `ListFormatError` if ``path`` is a directory that holds no category
    folders, or `OSError` if it cannot be read.
    """
    path = Path(path)
    if path.is_dir():
        if _is_ut1_tree(_tree_root(path)):
            return "ut1"
        raise ListFormatError(f"{path}: a folder, but not a UT1/squidGuard tree of categories")
    if _E2G_NAME_RE.search(path.name.removesuffix(".gz")):
        return "e2guardian"
    return _sniff(_read_bytes(path))


# --------------------------------------------------------------------------------------------
# Naming

_STEM_SUFFIXES = (".gz", ".txt", ".list", ".lst", ".hosts", ".conf")
_DATE_SUFFIX_RE = re.compile(r"[._-]\d{4}-\d{2}-\d{2}$")


def _stem(path: Path) -> str:
    name = path.name
    changed = True
    while changed:
        changed = False
        for suffix in _STEM_SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                changed = True
    return _DATE_SUFFIX_RE.sub("", name)


def _guess_source_category(stem: str) -> str:
    """A list's own category name from its file stem: the stem, or a known word inside it."""
    if canonical(stem) != stem.strip().lower() or stem.strip().lower() in ALL:
        return stem
    for token in re.split(r"[-_.\s]+", stem):
        if token and canonical(token) != token.lower():
            return token
    for token in re.split(r"[-_.\s]+", stem):
        if token.lower() not in {"hosts", "host", "domains", "list", "blocklist", "pi"}:
            return token
    return stem


def _finish(
    out: _Collector,
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


# --------------------------------------------------------------------------------------------
# Parsing


def _parse_file(path: Path, fmt: str, category: str | None, name: str | None) -> ParsedList:
    data = _read_bytes(path)
    _check_whole_file(path, data)
    out = _Collector(str(path))
    stem = _stem(path)
    if stem in ("domains", "urls") and path.parent.name:
        source_category = path.parent.name
        default_name = f"{path.parent.parent.name or 'list'}/{source_category}"
    else:
        source_category = _guess_source_category(stem)
        default_name = f"{path.parent.name}/{stem}" if path.parent.name else stem
    lines = _lines(data)
    if fmt == "adblock":
        _read_adblock(lines, out)
    elif fmt == "e2guardian":
        lowered = path.name.lower()
        allow = "exception" in lowered or "grey" in lowered
        list_category = _read_e2guardian(lines, out, allow)
        if list_category:
            source_category = list_category
    else:
        _read_hosts_or_domains(lines, out)
    return _finish(
        out,
        name=name or default_name,
        category=canonical(category) if category else canonical(source_category),
        source_category=source_category,
        fmt=fmt,
        sources=(str(path),),
    )


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _parse_tree(root: Path, category: str | None, name: str | None) -> list[ParsedList]:
    root = _tree_root(root)
    prefix = name or "ut1"
    seen_files: dict[str, str] = {}  # real path or content digest -> "category/file"
    seen_dirs: dict[Path, str] = {}
    results: list[ParsedList] = []
    folders = list(_category_dirs(root))
    aliases = [folder for folder in folders if folder.is_symlink()]
    for folder in folders:
        real = folder.resolve()
        if folder.is_symlink() or real in seen_dirs:
            if not folder.is_symlink():
                aliases.append(folder)
            continue
        seen_dirs[real] = folder.name
        out = _Collector(str(folder))
        notes: list[str] = []
        sources: list[str] = []
        for file in sorted(folder.iterdir()):
            kind = _stem(file).split(".")[0]
            if kind not in ("domains", "urls") or not file.is_file():
                if kind in ("expressions", "very_restrictive_expression") and file.stat().st_size:
                    notes.append(f"{file.name}: regular expressions are not imported")
                continue
            where = f"{folder.name}/{file.name}"
            real_file = str(file.resolve())
            digest = _digest(file) if file.stat().st_size else real_file
            if real_file in seen_files or digest in seen_files:
                earlier = seen_files.get(real_file) or seen_files[digest]
                notes.append(f"{file.name}: same file as {earlier}, read once")
                continue
            seen_files[real_file] = seen_files[digest] = where
            sources.append(str(file))
            try:
                data = _read_bytes(file)
            except ListFormatError as exc:
                out.reject(0, str(exc), file.name, path=str(file))
                continue
            if not data.strip():
                continue  # UT1 ships empty files; nothing to import
            try:
                _check_whole_file(file, data)
            except ListFormatError as exc:
                out.reject(0, str(exc), file.name, path=str(file))
                continue
            out.path = str(file)
            _read_hosts_or_domains(_lines(data), out)
        results.append(
            _finish(
                out,
                name=f"{prefix}/{folder.name}",
                category=canonical(category) if category else canonical(folder.name),
                source_category=folder.name,
                fmt="ut1",
                sources=tuple(sources),
                notes=tuple(notes),
            )
        )
    if not results:
        raise ListFormatError(f"{root}: no category folders with domains or urls files")
    for alias in aliases:
        target = seen_dirs.get(alias.resolve())
        for index, parsed in enumerate(results):
            if parsed.source_category == target:
                note = f"{alias.name}: alias of {target}, read once"
                results[index] = replace(parsed, notes=(*parsed.notes, note))
    return results


def parse_path(
    path: Path,
    *,
    format: str = "auto",
    category: str | None = None,
    name: str | None = None,
) -> list[ParsedList]:
    """Parse the list file or UT1 tree at ``path`` into one `ParsedList` per list.

    ``format`` is ``"auto"`` (see `detect_format`) or one of `FORMATS`. ``category`` overrides
    the list's own category (it is passed through `canonical`); ``name`` overrides the list
    name (for a UT1 tree it replaces the ``ut1`` prefix of ``ut1/<category>``). Gzip-compressed
    files are read transparently. A single file yields one list named ``<folder>/<stem>``;
    a UT1 tree yields one list per category folder.

    Bad lines never stop the parse: they are counted in ``rejected_total`` (with examples in
    ``rejected``) and the good lines are kept. Raises `ListFormatError` if the file as a whole
    is not a list (empty, HTML, binary, damaged gzip) or ``format`` is unknown.
    """
    path = Path(path)
    fmt = detect_format(path) if format == "auto" else format
    if fmt not in FORMATS:
        raise ListFormatError(f"unknown list format {format!r}; expected one of {FORMATS}")
    if fmt == "ut1":
        if not path.is_dir():
            return [_parse_file(path, "domains", category, name)]
        return _parse_tree(path, category, name)
    if path.is_dir():
        raise ListFormatError(f"{path}: a folder; format {fmt!r} needs a file")
    return [_parse_file(path, fmt, category, name)]
