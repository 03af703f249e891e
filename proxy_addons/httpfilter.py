"""Per request: decide, answer blocked requests with the block page, force SafeSearch."""

from __future__ import annotations

from mitmproxy import http

from policy.activitydb.records import DecisionEvent
from policy.address import normalise_host, normalise_path
from policy.connection import connect_by_name, decide_names
from policy.safesearch import forced_query, youtube_restrict_header
from policy.values import Decision, Device, Profile, Reason
from proxy_addons.blockpage import BlockPages
from proxy_addons.headers import header
from proxy_addons.state import ProxyState, client_ip, names_its_target

__all__ = ["HttpFilter", "flow_host", "flow_names", "log_decision"]

METADATA_KEY = "hearthguard"
#: The request's names and host as first read (see `flow_names`), kept on the flow.
_NAMES_KEY = "hearthguard.names"


def flow_names(flow: http.HTTPFlow) -> tuple[str, ...]:
    """Every name the request goes by, the one that decides first.

    Where the client names its target (an explicit proxy), the target decides first, so a
    spoofed Host header cannot slip a blocked site past the filter; the Host header and the
    TLS SNI are decided too. In transparent mode the target is only an address, so the Host
    header (then the SNI) names the site, and the address decides only when nothing names it.

    Read once per flow, at its first question (the request's headers), and kept: every addon
    then judges, counts and logs the request under the names it was decided by, even after
    the proxy pointed a transparent request at the site it names.
    """
    return _names_and_host(flow)[0]


def flow_host(flow: http.HTTPFlow) -> str:
    """The normalised host the request is decided and logged under ("" when unreadable)."""
    return _names_and_host(flow)[1]


def _names_and_host(flow: http.HTTPFlow) -> tuple[tuple[str, ...], str]:
    known: tuple[tuple[str, ...], str] | None = flow.metadata.get(_NAMES_KEY)
    if known is not None:
        return known
    request = flow.request
    target = request.host
    host_header = request.host_header or ""
    sni = (flow.client_conn.sni or "") if flow.client_conn.tls else ""
    names = (
        (target, host_header, sni)
        if names_its_target(flow.client_conn)
        else (host_header or sni or target, sni)
    )
    known = (names, normalise_host(next((n for n in names if n), ""))[0])
    flow.metadata[_NAMES_KEY] = known
    return known


def log_decision(
    state: ProxyState,
    decision: Decision,
    *,
    ip: str,
    host: str,
    profile: Profile,
    device: Device | None,
) -> None:
    """Queue a decision for activity.db; hotline blocks are only counted, never named."""
    if decision.reason is Reason.ILLEGAL_CONTENT:
        state.log.hotline_block()
        return
    if not profile.logging:
        return
    state.log.decision(
        DecisionEvent(
            at=state.now(),
            device=device.name if device else None,
            ip=ip,
            profile=profile.name,
            host=host,
            action=decision.action.value,
            reason=decision.reason.value,
            category=decision.category,
            source=decision.source,
            score=decision.score,
        )
    )


class HttpFilter:
    def __init__(self, state: ProxyState, pages: BlockPages) -> None:
        self.state = state
        self.pages = pages

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if flow.response or flow.error or not flow.live:
            return
        snapshot = self.state.snapshot
        if snapshot is None:  # fail closed: no policy, no browsing
            flow.response = http.Response.make(
                503, b"Hearthguard has no policy loaded yet.", {"Content-Type": "text/plain"}
            )
            return
        ip = client_ip(flow.client_conn)
        profile, device = snapshot.profile_for(ip)
        names, host = _names_and_host(flow)
        host = host or "(unreadable)"
        now = self.state.now()
        decision = decide_names(
            names,
            snapshot,
            profile,
            device,
            now,
            path=normalise_path(flow.request.data.path),
            scheme=flow.request.scheme,
            usage=self.state.usage.usage(profile.name, now),
        )
        flow.metadata[METADATA_KEY] = decision
        log_decision(self.state, decision, ip=ip, host=host, profile=profile, device=device)
        self.state.log.user_agent(ip, header(flow.request, b"user-agent") or None, now)
        if decision.blocked:
            flow.response = self.pages.for_flow(
                flow,
                decision,
                host=host,
                ip=ip,
                profile=profile,
                snapshot=snapshot,
                now=now,
                dashboard=self.state.options.dashboard,
            )
            return
        if not names_its_target(flow.client_conn):
            # transparent: fetch the site the request names, not the address it was sent to
            target = connect_by_name(names[0], (flow.request.host, flow.request.port))
            if target is not None:
                flow.request.host = target[0]
        if profile.safesearch:
            forced = forced_query(host, flow.request.path)
            if forced is not None:
                flow.request.query[forced[0]] = forced[1]
        restrict = youtube_restrict_header(host, profile.youtube)
        if restrict is not None:
            flow.request.headers["YouTube-Restrict"] = restrict
