"""What Hearthguard's DNS mode answers for one query: the same ``decide()`` as for requests.

Pure, like ``decide()``: the DNS addon gives the name asked for, the device's profile and the
snapshot; it gets back a ``DnsVerdict`` to apply. In order:

1. names that switch a device's resolver away from Hearthguard get NXDOMAIN for every profile:
   the DNS-over-HTTPS canary ``use-application-dns.net`` (Firefox then keeps using the
   network's DNS), iCloud Private Relay (``mask.icloud.com``, ``mask-h2.icloud.com``) and the
   discovery of an encrypted resolver (``_dns.resolver.arpa``, RFC 9462);
2. for profiles with SafeSearch, Google's search domains (``google.com``, ``www.google.co.uk``,
   ...), Bing and DuckDuckGo become CNAMEs of their safe addresses; YouTube's hosts follow the
   profile's YouTube restriction (``restrict.youtube.com`` or ``restrictmoderate.youtube.com``);
3. every other name is decided by ``decide()``: a block is NXDOMAIN (or the null address, if
   the household chose that), an allow is resolved normally.

An unreadable name is blocked (``decide`` fails closed), and so is any error here.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime

from policy.address import HostKind, normalise_host
from policy.decide import decide
from policy.safesearch import YOUTUBE_HOSTS
from policy.snapshot import Snapshot
from policy.values import NO_USAGE, Action, Decision, Device, Profile, Reason, Request, Usage

__all__ = [
    "BYPASS_NAMES",
    "DnsAnswer",
    "DnsVerdict",
    "decide_dns",
    "is_bypass_canary",
    "safe_search_target",
]

log = logging.getLogger(__name__)

#: Names whose only purpose is to move a device's DNS beyond this resolver.
BYPASS_NAMES = frozenset(
    {
        "use-application-dns.net",  # Firefox's canary: NXDOMAIN keeps DoH off
        "mask.icloud.com",  # iCloud Private Relay
        "mask-h2.icloud.com",
        "_dns.resolver.arpa",  # RFC 9462 discovery of the resolver's DoH/DoT address
    }
)
#: The source a bypass answer carries in the log (the dashboard leaves these out of the
#: bypass tries it flags: browsers and phones ask for them by themselves).
BYPASS_SOURCE = "dns: bypass canary"

GOOGLE_SAFE = "forcesafesearch.google.com"
BING_SAFE = "strict.bing.com"
DUCKDUCKGO_SAFE = "safe.duckduckgo.com"
YOUTUBE_STRICT = "restrict.youtube.com"
YOUTUBE_MODERATE = "restrictmoderate.youtube.com"
_BING = frozenset({"bing.com", "www.bing.com"})
_DUCKDUCKGO = frozenset({"duckduckgo.com", "www.duckduckgo.com", "start.duckduckgo.com"})


class DnsAnswer(enum.StrEnum):
    RESOLVE = "resolve"  # answer normally (the resolver behind Hearthguard)
    NXDOMAIN = "nxdomain"  # the name does not exist
    NULL = "null"  # 0.0.0.0 / :: for addresses, no data for other types
    CNAME = "cname"  # an alias of ``target`` (SafeSearch)


@dataclass(frozen=True, slots=True)
class DnsVerdict:
    """What to answer, the decision behind it (for the log) and the normalised name."""

    answer: DnsAnswer
    decision: Decision
    name: str
    target: str = ""


def _is_google_search(host: str) -> bool:
    """``google.<tld>`` and ``www.google.<tld>`` for Google's search domains: ``.com``, a
    two-letter country (``google.de``) or ``co.``/``com.`` + country (``google.co.uk``,
    ``google.com.au``). Other Google hosts (mail, maps, APIs) are never aliased."""
    labels = host.split(".")
    if labels[0] == "www":
        labels = labels[1:]
    if len(labels) < 2 or labels[0] != "google":
        return False
    suffix = labels[1:]
    if len(suffix) == 1:
        return suffix[0] == "com" or (len(suffix[0]) == 2 and suffix[0].isalpha())
    return (
        len(suffix) == 2
        and suffix[0] in ("co", "com")
        and len(suffix[1]) == 2
        and suffix[1].isalpha()
    )


def safe_search_target(host: str, profile: Profile) -> str | None:
    """The safe alias for ``host`` under ``profile`` (SafeSearch, YouTube restriction), if any."""
    if profile.safesearch:
        if _is_google_search(host):
            return GOOGLE_SAFE
        if host in _BING:
            return BING_SAFE
        if host in _DUCKDUCKGO:
            return DUCKDUCKGO_SAFE
    if host in YOUTUBE_HOSTS and profile.youtube in ("strict", "moderate"):
        return YOUTUBE_STRICT if profile.youtube == "strict" else YOUTUBE_MODERATE
    return None


def is_bypass_canary(host: str) -> bool:
    """True for the names that would move a device's DNS away from Hearthguard."""
    return host in BYPASS_NAMES


def decide_dns(
    qname: str,
    snapshot: Snapshot,
    profile: Profile,
    device: Device | None,
    now: datetime,
    *,
    usage: Usage = NO_USAGE,
    null_answers: bool = False,
) -> DnsVerdict:
    """The answer to a query for ``qname`` from a device on ``profile``.

    Never raises: any error is a block with the reason ``filter_error``.
    """
    try:
        return _decide_dns(qname, snapshot, profile, device, now, usage, null_answers)
    except Exception as exc:  # noqa: BLE001 - any failure must block, whatever it is
        log.error("Deciding a DNS query failed (%s: %s); it is blocked.", type(exc).__name__, exc)
        failed = Decision(Action.BLOCK, Reason.FILTER_ERROR, None, f"error: {type(exc).__name__}")
        return DnsVerdict(DnsAnswer.NXDOMAIN, failed, "")


def _decide_dns(
    qname: str,
    snapshot: Snapshot,
    profile: Profile,
    device: Device | None,
    now: datetime,
    usage: Usage,
    null_answers: bool,
) -> DnsVerdict:
    host, kind = normalise_host(qname.rstrip(".") if qname != "." else qname)
    if kind is HostKind.INVALID:
        unreadable = Decision(Action.BLOCK, Reason.FILTER_ERROR, None, "unreadable name")
        return DnsVerdict(DnsAnswer.NXDOMAIN, unreadable, "")
    if is_bypass_canary(host):
        closed = Decision(Action.BLOCK, Reason.CATEGORY_BLOCKED, "anonymizer", BYPASS_SOURCE)
        return DnsVerdict(DnsAnswer.NXDOMAIN, closed, host)
    decision = decide(Request(host, "/", device, "https", usage), profile, snapshot, now)
    if decision.blocked:
        blocked = DnsAnswer.NULL if null_answers else DnsAnswer.NXDOMAIN
        return DnsVerdict(blocked, decision, host)
    target = safe_search_target(host, profile)
    if target is not None:
        aliased = Decision(Action.ALLOW, decision.reason, decision.category, f"dns: {target}")
        return DnsVerdict(DnsAnswer.CNAME, aliased, host, target)
    return DnsVerdict(DnsAnswer.RESOLVE, decision, host)
