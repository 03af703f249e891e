"""DNS mode that filters: every query decided per device, like a request (``policy.dns``).

``dns_request`` decides each query by the device's profile (found by the client's address,
or by its WireGuard instance): a blocked name gets NXDOMAIN (or 0.0.0.0 / :: when the
``hearthguard_dns_blocked`` option is ``null``), a search engine or YouTube host gets the
CNAME of its safe address (with that address's records, so a stub resolver needs nothing
more), and the DoH canary and iCloud Private Relay get NXDOMAIN. Allowed names are left to
mitmproxy's resolver, which must run after this addon (``resolve_after_filter``): in
mitmproxy 11 it runs first and would ask upstream for names Hearthguard then blocks. Every
query is logged like a request. An upstream answer whose alias (CNAME) is a blocked name is
NXDOMAIN too. Queries that are not one plain question are refused, and an error anywhere is
SERVFAIL (``FailClosed``), never an answer from upstream.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from dataclasses import replace
from typing import Any

import mitmproxy_rs
from mitmproxy import dns

from policy.address import normalise_host
from policy.dns import DnsAnswer, DnsVerdict, decide_dns
from proxy_addons.httpfilter import METADATA_KEY, log_decision
from proxy_addons.state import ProxyState, client_ip, own_addresses

__all__ = ["DnsFilter", "resolve_after_filter"]

log = logging.getLogger(__name__)
_TTL = 300
_LOOKUP_TIMEOUT = 2.0
_FAILED_LOOKUP_TTL = 60.0
_MAX_CACHED = 64
ANSWERED_KEY = "hearthguard_dns_answered"


def resolve_after_filter(addons: Any) -> None:
    """Move mitmproxy's built-in resolver behind every other addon, so that a query is
    decided before anything is asked upstream (mitmproxy 11 runs it first; 12 already
    runs script addons before it). ``addons`` is the master's addon manager."""
    resolver = addons.get("dnsresolver")
    if resolver is not None and resolver in addons.chain:
        addons.chain.remove(resolver)
        addons.chain.append(resolver)


class SafeAddresses:
    """The addresses of the few SafeSearch targets, cached; looked up off the event loop
    with a time limit (a failed lookup is remembered for a minute, then tried again)."""

    def __init__(self, state: ProxyState) -> None:
        self.state = state
        self._cache: dict[tuple[str, int], tuple[float, list[str]]] = {}
        self._resolver: Any = None

    def _make_resolver(self) -> Any:
        servers = list(self.state.options.dns_name_servers)
        if not servers:
            try:
                servers = mitmproxy_rs.dns.get_system_dns_servers()
            except RuntimeError:
                servers = []
        return mitmproxy_rs.dns.DnsResolver(
            name_servers=servers or ["127.0.0.1"],
            use_hosts_file=self.state.options.dns_use_hosts_file,
        )

    async def lookup(self, name: str, qtype: int) -> list[str]:
        """IPv4 (``qtype`` A) or IPv6 (AAAA) addresses of ``name``; [] when unknown."""
        key = (name, qtype)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        if self._resolver is None:
            self._resolver = self._make_resolver()
        lookup = self._resolver.lookup_ipv4 if qtype == dns.types.A else self._resolver.lookup_ipv6
        try:
            found = [str(a) for a in await asyncio.wait_for(lookup(name), _LOOKUP_TIMEOUT)]
            expires = time.monotonic() + _TTL
        except Exception:  # noqa: BLE001 - unknown, offline or slow: answer the alias alone
            found, expires = [], time.monotonic() + _FAILED_LOOKUP_TTL
        if len(self._cache) >= _MAX_CACHED:
            self._cache.clear()
        self._cache[key] = (expires, found)
        return found

    def clear(self) -> None:
        self._cache.clear()
        self._resolver = None


class DnsFilter:
    def __init__(self, state: ProxyState) -> None:
        self.state = state
        self.safe_addresses = SafeAddresses(state)

    def running(self) -> None:
        """Warn when the resolver behind DNS mode is this machine itself: a box that got its
        own address as DNS server (from the DHCP settings that point the home at it) would
        ask itself for every allowed name."""
        if not any(str(m).startswith("dns") for m in self.state.options.mode):
            return
        servers = list(self.state.options.dns_name_servers)
        if not servers:
            try:
                servers = mitmproxy_rs.dns.get_system_dns_servers()
            except RuntimeError:
                servers = []
        looping = sorted(set(servers) & own_addresses())
        if looping:
            log.error(
                "DNS mode would ask this machine itself (%s) for allowed names. Set the real "
                "resolver, e.g. --set dns_name_servers=192.168.1.1 (your router).",
                ", ".join(looping),
            )

    def configure(self, updated: set[str]) -> None:
        if updated & {"dns_name_servers", "dns_use_hosts_file"}:
            self.safe_addresses.clear()

    async def dns_request(self, flow: dns.DNSFlow) -> None:
        # Decided even when an earlier addon answered: an answer from upstream must never
        # stand for a name Hearthguard blocks.
        if not flow.live or flow.error:
            return
        request = flow.request
        question = request.question
        if not request.query or request.op_code != dns.op_codes.QUERY or question is None:
            flow.response = request.fail(dns.response_codes.REFUSED)
            return
        snapshot = self.state.snapshot
        if snapshot is None:  # fail closed: no policy, no names
            flow.response = request.fail(dns.response_codes.SERVFAIL)
            return
        ip = client_ip(flow.client_conn)
        profile, device = snapshot.profile_for(ip)
        now = self.state.now()
        verdict = decide_dns(
            question.name,
            snapshot,
            profile,
            device,
            now,
            usage=self.state.usage.usage(profile.name, now),
            null_answers=self.state.options.dns_blocked == "null",
        )
        flow.metadata[METADATA_KEY] = verdict.decision
        log_decision(
            self.state,
            verdict.decision,
            ip=ip,
            host=verdict.name or "(unreadable)",
            profile=profile,
            device=device,
        )
        if verdict.answer is not DnsAnswer.RESOLVE:
            response = await self._answer(request, question, verdict)
            response.recursion_available = True  # a resolver's answer, like the others
            flow.metadata[ANSWERED_KEY] = True
            flow.response = response

    def dns_response(self, flow: dns.DNSFlow) -> None:
        """An upstream answer that aliases a blocked name (``allowed.example CNAME
        blocked.example``) is NXDOMAIN: a name of one's own pointed at a blocked site does
        not open it."""
        response = flow.response
        snapshot = self.state.snapshot
        if response is None or flow.metadata.get(ANSWERED_KEY) or not flow.live:
            return
        if snapshot is None:
            flow.response = flow.request.fail(dns.response_codes.SERVFAIL)
            return
        aliases = [r.domain_name for r in response.answers if r.type == dns.types.CNAME]
        if not aliases:
            return
        ip = client_ip(flow.client_conn)
        profile, device = snapshot.profile_for(ip)
        now = self.state.now()
        for alias in dict.fromkeys(aliases):
            verdict = decide_dns(alias, snapshot, profile, device, now, null_answers=False)
            if verdict.decision.blocked:
                decision = replace(verdict.decision, source=f"dns alias of {verdict.name}")
                question = flow.request.question
                asked = normalise_host(question.name)[0] if question else ""
                log_decision(
                    self.state,
                    decision,
                    ip=ip,
                    host=asked or "(unreadable)",
                    profile=profile,
                    device=device,
                )
                flow.response = flow.request.fail(dns.response_codes.NXDOMAIN)
                return

    async def _answer(
        self, request: dns.Message, question: dns.Question, verdict: DnsVerdict
    ) -> dns.Message:
        if verdict.answer is DnsAnswer.NXDOMAIN:
            return request.fail(dns.response_codes.NXDOMAIN)
        if verdict.answer is DnsAnswer.NULL:
            if question.type == dns.types.A:
                return request.succeed(
                    [dns.ResourceRecord.A(question.name, ipaddress.IPv4Address(0), ttl=60)]
                )
            if question.type == dns.types.AAAA:
                return request.succeed(
                    [dns.ResourceRecord.AAAA(question.name, ipaddress.IPv6Address(0), ttl=60)]
                )
            return request.succeed([])
        # CNAME: the alias, then the target's own addresses for an address question
        records = [dns.ResourceRecord.CNAME(question.name, verdict.target, ttl=_TTL)]
        if question.type == dns.types.A:
            for address in await self.safe_addresses.lookup(verdict.target, dns.types.A):
                records.append(
                    dns.ResourceRecord.A(verdict.target, ipaddress.IPv4Address(address), ttl=_TTL)
                )
        elif question.type == dns.types.AAAA:
            for address in await self.safe_addresses.lookup(verdict.target, dns.types.AAAA):
                records.append(
                    dns.ResourceRecord.AAAA(
                        verdict.target, ipaddress.IPv6Address(address), ttl=_TTL
                    )
                )
        return request.succeed(records)
