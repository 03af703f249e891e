"""Per request: decide, answer blocked requests with the block page, force SafeSearch."""

from __future__ import annotations

from mitmproxy import http

from policy.activity import DecisionEvent
from policy.decide import decide
from policy.model import Decision, Device, Profile, Reason, Request
from policy.safesearch import forced_query, youtube_restrict_header
from proxy_addons.blockpage import BlockPages
from proxy_addons.state import ProxyState, client_ip

__all__ = ["HttpFilter", "flow_host", "log_decision"]

METADATA_KEY = "hearthguard"


def flow_host(flow: http.HTTPFlow) -> str:
    """The host the request really goes to, lower-case, without a trailing dot.

    The connection's target decides, not the Host header, so a spoofed header cannot slip a
    blocked site past the filter; only when the target is an address (transparent mode) does
    the Host header name the site.
    """
    host = flow.request.host
    if host.replace(".", "").isdigit() or ":" in host:
        host = flow.request.pretty_host
    return host.lower().rstrip(".")


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
        host = flow_host(flow)
        request = Request(host, flow.request.path, profile.name, device, flow.request.scheme)
        now = self.state.now()
        decision = decide(request, snapshot, now)
        flow.metadata[METADATA_KEY] = decision
        log_decision(self.state, decision, ip=ip, host=host, profile=profile, device=device)
        self.state.log.user_agent(ip, flow.request.headers.get("user-agent"), now)
        if decision.blocked:
            flow.response = self.pages.for_flow(
                flow,
                decision,
                host=host,
                ip=ip,
                profile=profile,
                snapshot=snapshot,
                now=now,
                dashboard=self.state.dashboard_url,
            )
            return
        if profile.safesearch:
            forced = forced_query(host, flow.request.path)
            if forced is not None:
                flow.request.query[forced[0]] = forced[1]
        header = youtube_restrict_header(host, profile.youtube)
        if header is not None:
            flow.request.headers["YouTube-Restrict"] = header
