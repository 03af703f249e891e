"""The line formats of single list files: hosts / plain domains, AdBlock and e2guardian.

Each reader feeds a file's lines into a `Collector`; `file_format` tells the three apart by the
file's name and first lines, and `parse_list_file` reads one file into a `ParsedList`. The
hosts and domains formats share one line reader, so a plain domain inside a hosts file (or a
hosts line inside a plain list) is still understood.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from classifier.categories import ALL, canonical
from classifier.lists.hosts import HOST_RE, is_public_suffix, looks_like_ip
from classifier.lists.parsed import (
    REASON_MALFORMED,
    REASON_SUFFIX,
    Collector,
    Line,
    ParsedList,
    check_whole_file,
    finish_list,
    list_stem,
    read_list_bytes,
    split_lines,
)

__all__ = ["file_format", "parse_list_file", "read_hosts_or_domains"]


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


def read_hosts_or_domains(lines: Iterator[Line], out: Collector) -> None:
    host_match = HOST_RE.fullmatch
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
        if len(fields) > 1 and looks_like_ip(fields[0]):
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


def _read_adblock(lines: Iterator[Line], out: Collector) -> None:
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


def _read_e2guardian(lines: Iterator[Line], out: Collector, allow: bool) -> str | None:
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


_E2G_NAME_RE = re.compile(r"(?:site|url)(?:ip)?list$")
_HOSTS_LINE_RE = re.compile(r"(?:0\.0\.0\.0|127\.0\.0\.1|0|::1?|[0-9a-f:.]+)\s+\S")
_ADBLOCK_LINE_RE = re.compile(r"@@|\|\||##|#@#|#\?#|\[adblock", re.IGNORECASE)


def _sniff(data: bytes | bytearray) -> str:
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


def file_format(path: Path) -> str:
    """The format of the list file at ``path``: ``e2guardian`` if it is named like an e2guardian
    list (``bannedsitelist``, ``exceptionurllist``, ...), otherwise what its first lines look
    like (``adblock``, ``hosts`` or ``domains``). Raises `OSError` if it cannot be read."""
    if _E2G_NAME_RE.search(path.name.removesuffix(".gz")):
        return "e2guardian"
    return _sniff(read_list_bytes(path))


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


def parse_list_file(path: Path, fmt: str, category: str | None, name: str | None) -> ParsedList:
    data = read_list_bytes(path)
    check_whole_file(path, data)
    out = Collector(str(path))
    stem = list_stem(path)
    if stem in ("domains", "urls") and path.parent.name:
        source_category = path.parent.name
        default_name = f"{path.parent.parent.name or 'list'}/{source_category}"
    else:
        source_category = _guess_source_category(stem)
        default_name = f"{path.parent.name}/{stem}" if path.parent.name else stem
    lines = split_lines(data)
    if fmt == "adblock":
        _read_adblock(lines, out)
    elif fmt == "e2guardian":
        lowered = path.name.lower()
        allow = "exception" in lowered or "grey" in lowered
        list_category = _read_e2guardian(lines, out, allow)
        if list_category:
            source_category = list_category
    else:
        read_hosts_or_domains(lines, out)
    return finish_list(
        out,
        name=name or default_name,
        category=canonical(category) if category else canonical(source_category),
        source_category=source_category,
        fmt=fmt,
        sources=(str(path),),
    )
