"""Host names as lists and requests use them: normalisation and the public suffix list.

`normalise_host` turns any spelling of a host (upper case, trailing dot, port, Unicode) into the
one canonical ASCII form every list entry and every request is compared in; `is_public_suffix`
says whether a name is one under which unrelated parties register sites (``com``, ``co.uk``,
``github.io``), so that no list entry can block all of them.

The public suffix list is the copy bundled in the ``publicsuffixlist`` wheel (Mozilla's list,
MPL-2.0), both its ICANN and its private sections; nothing is downloaded at run time.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import cache

import idna
import publicsuffixlist

__all__ = [
    "HOST_RE",
    "canonical_ip",
    "is_listed_suffix_label",
    "is_public_suffix",
    "is_valid_domain",
    "listable_ip",
    "looks_like_ip",
    "normalise_host",
]


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


def _read_rules(*, idn: bool) -> _SuffixRules:
    """The bundled public suffix list's rules in ASCII; with ``idn`` also the rules written
    in other scripts, converted to their ``xn--`` form (half the time of reading it)."""
    exact: set[str] = set()
    wild: set[str] = set()
    exceptions: set[str] = set()
    with open(publicsuffixlist.PSLFILE, encoding="utf-8") as psl:
        for raw in psl:
            rule = raw.strip()
            if not rule or rule.startswith("//") or not (idn or rule.isascii()):
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


@cache
def _ascii_rules() -> _SuffixRules:
    """The rules a name without an ``xn--`` label can meet, read at the first such question."""
    return _read_rules(idn=False)


@cache
def _all_rules() -> _SuffixRules:
    """Every rule, read at the first question about an internationalised name."""
    return _read_rules(idn=True)


def _suffix_rules(name: str) -> _SuffixRules:
    """The rules to judge ``name`` (normalised) with: a rule written in another script is
    ``xn--`` in every label it converts, so only a name with such a label can meet one."""
    return _all_rules() if "xn--" in name else _ascii_rules()


HOST_RE = re.compile(
    r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+"
    r"(?:[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)"
)
_PORT_RE = re.compile(r"[0-9]{1,5}")
#: Four dotted groups of digits: an IPv4 address, or what only an address would look like
_IPV4_LIKE_RE = re.compile(r"[0-9]+(?:\.[0-9]+){3}")


def is_public_suffix(domain: str) -> bool:
    """Return True if ``domain`` (normalised, as `normalise_host` returns it) is a public suffix.

    A public suffix is a name under which unrelated parties register sites: ``com``,
    ``co.uk``, ``github.io``. Any single-label name counts as one. Rules come from the bundled
    public suffix list (ICANN and private sections).
    """
    if "." not in domain:
        return True
    rules = _suffix_rules(domain)
    if domain in rules.exceptions:
        return False
    if domain in rules.exact:
        return True
    return domain.partition(".")[2] in rules.wildcard_parents


def looks_like_ip(text: str) -> bool:
    candidate = text.strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return bool(_IPV4_LIKE_RE.fullmatch(candidate))
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


def listable_ip(text: str) -> str | None:
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
    return len(name) <= 253 and HOST_RE.fullmatch(name) is not None


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
    return text if is_valid_domain(text) else None


def is_listed_suffix_label(label: str) -> bool:
    """Return True if the single lower-case ``label`` is itself a rule of the public suffix list."""
    return label in _suffix_rules(label).exact
