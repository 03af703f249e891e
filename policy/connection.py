"""Decisions about connections, beside ``decide()`` for requests: where a tunnel may go, what
the TLS gate does with a handshake, and whether raw TCP may pass.

Pure, like ``decide()``: the proxy gathers the inputs (who connects, the target it named, the
SNI, what it learned about the device's CA) and applies the result.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime

from classifier.categories import SENSITIVE
from policy.address import HostKind, is_loopback_name, normalise_host, same_site
from policy.decide import decide
from policy.network import Network, is_loopback
from policy.snapshot import CategoryIndex, Snapshot
from policy.values import NO_USAGE, Action, Decision, Device, Profile, Reason, Request, Usage

__all__ = [
    "TlsAction",
    "connect_by_name",
    "decide_raw_tcp",
    "decide_reach",
    "decide_tls",
    "decide_names",
    "decide_tunnel",
]


log = logging.getLogger(__name__)
_SENSITIVE = frozenset(SENSITIVE)


class TlsAction(enum.StrEnum):
    PASS = "pass"  # pass through untouched
    INTERCEPT = "intercept"  # decrypt (block page, SafeSearch, content scan)
    REFUSE = "refuse"  # close before the server is contacted


def _refused(source: str) -> Decision:
    return Decision(Action.BLOCK, Reason.CONNECTION_REFUSED, None, source)


def _parent_allows_address(profile: Profile, ip: str, now: datetime) -> bool:
    return any(r.action is Action.ALLOW and r.active(now) and r.domain == ip for r in profile.rules)


def decide_reach(
    profile: Profile,
    host: str,
    *,
    from_self: bool,
    own_addresses: frozenset[str],
    network: Network,
    now: datetime,
) -> Decision | None:
    """A block when the proxy must not open a connection to ``host`` for this client, else
    None. Clients other than this machine never reach this machine's own services (loopback,
    its addresses, ``localhost`` names), nor other addresses of the home network unless a
    parent allowed that address."""
    if from_self:
        return None
    name, kind = normalise_host(host)
    if kind is HostKind.INVALID:
        return _refused("unreadable address")
    if kind is HostKind.NAME:
        return _refused("this box's own services") if is_loopback_name(name) else None
    if is_loopback(name) or name in own_addresses or name in ("0.0.0.0", "::"):
        return _refused("this box's own services")
    if network.is_lan(name) and not _parent_allows_address(profile, name, now):
        return _refused("an address on the home network")
    return None


def decide_tunnel(
    profile: Profile,
    host: str,
    port: int,
    *,
    from_self: bool,
    own_addresses: frozenset[str],
    network: Network,
    now: datetime,
) -> Decision | None:
    """A block for a CONNECT (or SOCKS) target the proxy must refuse before answering, else
    None: the reach rule, then ports other than the household's tunnel ports for profiles that
    filter anything."""
    refused = decide_reach(
        profile, host, from_self=from_self, own_addresses=own_addresses, network=network, now=now
    )
    if refused is not None:
        return refused
    if profile.blocked and port not in network.connect_ports:
        return _refused(f"port {port}")
    return None


def decide_names(
    names: tuple[str, ...],
    snapshot: Snapshot,
    profile: Profile,
    device: Device | None,
    now: datetime,
    *,
    path: str = "/",
    scheme: str = "https",
    usage: Usage = NO_USAGE,
) -> Decision:
    """Decide every name a connection or request goes by (the target it named, its SNI, its
    Host header): the first block wins, else the first name's decision. Two names of
    different sites are refused outright: a tunnel to one site must not claim to be another
    (an address and a name are each decided on their own). Empty names are skipped; none at
    all is an unreadable address."""
    canonical = [normalise_host(name) for name in names if name]
    if not canonical:
        return decide(Request("", path, device, scheme, usage), profile, snapshot, now)
    first, first_kind = canonical[0]
    for host, kind in canonical[1:]:
        if first_kind is kind is HostKind.NAME and not same_site(host, first):
            return _refused("names of two different sites")
    decisions = [
        decide(Request(host, path, device, scheme, usage), profile, snapshot, now)
        for host in dict.fromkeys(host for host, _ in canonical)
    ]
    return next((d for d in decisions if d.blocked), decisions[0])


def _inspects(profile: Profile) -> bool:
    """True when the profile looks inside allowed pages (content scan, SafeSearch, YouTube's
    restricted mode): only then is an allowed site worth decrypting."""
    return profile.content_scan or profile.safesearch or profile.youtube != "off"


def _is_sensitive(site: str, index: CategoryIndex) -> bool:
    """True when a list puts ``site`` in a category never decrypted (banking, health,
    government, software updates)."""
    return any(m.category in _SENSITIVE for m in index.lookup(site))


def decide_tls(
    decision: Decision,
    profile: Profile,
    site: str,
    index: CategoryIndex,
    *,
    trusted: bool,
    pinned: bool,
) -> TlsAction:
    """What the TLS gate does with a handshake to ``site`` whose names were decided as
    ``decision`` for ``profile``; ``trusted`` and ``pinned`` are what the proxy learned about
    the device's CA and the site's app.

    Blocked: intercept when the device trusts the CA (the child sees the block page), else
    refuse before the server is contacted. Allowed: pass through when the device lacks the CA,
    its app pins its certificate, the profile inspects nothing, or a list puts the site in a
    category never decrypted (banking, health, government, software updates); intercept
    otherwise. Fails closed: an error reading the lists is a refusal and one log line.
    """
    if decision.blocked:
        if decision.reason is Reason.CONNECTION_REFUSED:
            return TlsAction.REFUSE
        return TlsAction.INTERCEPT if trusted else TlsAction.REFUSE
    if not trusted or pinned or not _inspects(profile):
        return TlsAction.PASS
    try:
        sensitive = _is_sensitive(site, index)
    except Exception as exc:  # noqa: BLE001 - any failure must refuse, whatever it is
        # no host here: the system journal must not become a browsing history
        log.error("Deciding a TLS handshake failed (%s); it is refused.", type(exc).__name__)
        return TlsAction.REFUSE
    return TlsAction.PASS if sensitive else TlsAction.INTERCEPT


def decide_raw_tcp(profile: Profile) -> Decision | None:
    """Bytes after CONNECT that are neither TLS nor HTTP (VPNs over the proxy, SSH, ...): a
    block for any profile that filters something, since nothing in them can be decided."""
    if profile.blocked:
        return _refused("neither web nor encrypted web traffic")
    return None


def connect_by_name(name: str, address: tuple[str, int] | None) -> tuple[str, int] | None:
    """Where a connection that only has an address (transparent and WireGuard modes) goes
    once its name (SNI or Host header) was decided: to that name, resolved by the box, never
    to the address the device chose, so an allowed name sent to a blocked site's address
    reaches the allowed site. None when there is no host name to go by (the address stays).
    """
    host, kind = normalise_host(name)
    if kind is not HostKind.NAME or address is None:
        return None
    if host == normalise_host(address[0])[0]:
        return None
    return host, address[1]
