"""Minutes of use per child and group, the child's time page, and the "time is nearly up" banner.

``TimePage`` (before the ask-a-parent addon) answers ``/.hearthguard/time`` on any site: the
child's day in plain words. ``TimeKeeper`` (after the content scan) counts a minute for each
group of an allowed request and of an allowed TLS connection passed through untouched (devices
without the household CA are counted by host name, from the SNI), logs those connections at
host level, writes the new minutes to activity.db in batches off the event loop, and puts a
banner at the top of HTML pages when a budget has 10 minutes or less left.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date, datetime, timedelta

from mitmproxy import dns, http, tls

from classifier.models.text import decompress_capped
from policy.address import normalise_host
from policy.bounded import BoundedCache
from policy.budgets import WARN_AT, groups_for, minute_of
from policy.snapshot import Snapshot
from policy.timelimits import time_left
from policy.values import Action, Decision, Profile, Reason
from proxy_addons.blockpage import BlockPages, age_group
from proxy_addons.headers import header, is_html
from proxy_addons.httpfilter import METADATA_KEY, flow_host, log_decision
from proxy_addons.localtime import format_until
from proxy_addons.state import ProxyState, client_ip

__all__ = ["TIME_PATH", "TimeKeeper", "TimePage", "banner_minutes", "insert_banner"]

log = logging.getLogger(__name__)

TIME_PATH = "/.hearthguard/time"
#: HTML larger than this is streamed as it is, never held back for a banner.
BANNER_LIMIT = 2 * 1024 * 1024
_BODY = re.compile(rb"<body[^>]*>", re.IGNORECASE)
#: Memory for the budget groups of hosts seen lately (about 200 bytes a host: some 5,000
#: hosts), and at most for the hosts counted this minute.
_GROUPS_BYTES = 1024 * 1024
_SEEN_BYTES = 1024 * 1024
_PRUNE_EVERY = timedelta(hours=6)
_PASSED = Decision(Action.ALLOW, Reason.NOT_BLOCKED, None, "tls passthrough")


def banner_minutes(
    profile: Profile, groups: frozenset[str], used: dict[str, tuple[int, int]]
) -> tuple[str, int] | None:
    """The group with the fewest minutes left among ``groups`` when that is at most the first
    warning (10 minutes); ``used`` maps group -> (used, allowed). None: no banner."""
    nearest: tuple[str, int] | None = None
    for group in groups:
        if group not in used:
            continue
        spent, allowed = used[group]
        left = max(0, allowed - spent)
        if left <= WARN_AT[0] and (nearest is None or left < nearest[1]):
            nearest = (group, left)
    return nearest


def insert_banner(page: bytes, banner: bytes) -> bytes:
    """``page`` with ``banner`` right after its ``<body>`` tag (or at the very start)."""
    found = _BODY.search(page, 0, 64 * 1024)
    at = found.end() if found else 0
    return page[:at] + banner + page[at:]


def _shared(groups: frozenset[str]) -> int:
    """What a remembered set of groups adds: nothing, it is shared."""
    return 0


class _GroupsByHost:
    """The budget groups of a host, from the category lists, remembered per policy version."""

    def __init__(self) -> None:
        self._version: int | None = None
        # the sets of groups are shared (``groups_for``): an entry costs its host
        self._groups: BoundedCache[str, frozenset[str]] = BoundedCache(_GROUPS_BYTES, _shared)

    def of(self, snapshot: Snapshot, host: str) -> frozenset[str]:
        if snapshot.version != self._version:
            self._version = snapshot.version
            self._groups.clear()
        found = self._groups.get(host)
        if found is None:
            found = groups_for(m.category for m in snapshot.index.lookup(host) if not m.allow)
            self._groups.put(host, found)
        return found


class TimePage:
    """Answers ``/.hearthguard/time`` on every site; must come before ``AskParent``."""

    def __init__(self, state: ProxyState, pages: BlockPages) -> None:
        self.state = state
        self.pages = pages

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if flow.response or flow.error or not flow.live:
            return
        if flow.request.path.partition("?")[0] != TIME_PATH:
            return
        snapshot = self.state.snapshot
        if snapshot is None or flow.request.method.upper() not in ("GET", "HEAD"):
            flow.kill()
            return
        flow.response = self.pages.response(200, self.render(flow, snapshot))

    def render(self, flow: http.HTTPFlow, snapshot: Snapshot) -> bytes:
        """The child's day: minutes left per group, a pause, the current and next offline time."""
        profile, device = snapshot.profile_for(client_ip(flow.client_conn))
        now = self.state.now()
        language = self.pages.language(snapshot, flow.request.headers.get("accept-language", ""))
        usage = self.state.usage.usage(profile.name, now)
        view = time_left(profile, device, usage, now, snapshot.zone, snapshot.holidays)

        def when(moment: datetime | None) -> str:
            return format_until(moment, now, language) if moment is not None else ""

        return self.pages.render(
            "block/time.html",
            language,
            snapshot,
            age=age_group(profile),
            groups=view.groups,
            paused_until=when(view.paused_until),
            offline_until=when(view.offline_now[0] if view.offline_now else None),
            next_start=when(view.next_offline[0] if view.next_offline else None),
            next_end=when(view.next_offline[1] if view.next_offline else None),
        )


class TimeKeeper:
    """Counts minutes of use and warns before a budget runs out; after ``ContentScan``."""

    def __init__(self, state: ProxyState, pages: BlockPages) -> None:
        self.state = state
        self.pages = pages
        self.groups = _GroupsByHost()
        self._new: list[tuple[str, str, int]] = []
        self._new_day: date | None = None
        self._task: asyncio.Task[None] | None = None
        self._restored_for: str | None = None
        self._seen: BoundedCache[tuple[str, str], int] = BoundedCache(_SEEN_BYTES)

    # -- start-up: take back today's minutes --------------------------------------------

    def configure(self, updated: set[str]) -> None:
        """After a (re)start, today's minutes already counted come back from activity.db."""
        store, snapshot = self.state.activity, self.state.snapshot
        if store is None or snapshot is None or self._restored_for == str(store.path):
            return
        self._restored_for = str(store.path)
        today = self.state.now().date()
        try:
            self.state.usage.restore(today, store.usage_on(today))
        except Exception as exc:  # counting starts afresh; filtering goes on
            log.error("Reading today's minutes of use failed: %s", exc)

    # -- counting -----------------------------------------------------------------------

    def _count(self, profile: Profile, groups: frozenset[str], now: datetime) -> None:
        if not groups or not (profile.logging or profile.budgets):
            return
        added = self.state.usage.record(profile.name, groups, now)
        if added:
            if self._new_day != now.date():
                self._flush_later()
                self._new_day = now.date()
            if len(self._new) < 100_000:
                self._new.extend(added)

    def _first_this_minute(self, profile: str, host: str, now: datetime) -> bool:
        """True once per child, host and minute: the rest of that minute costs one lookup.
        Only this minute's are kept (the oldest first, so earlier minutes go as one comes)."""
        key, minute = (profile, host), minute_of(now)
        if self._seen.get(key) == minute:
            return False
        self._seen.drop_oldest_while(lambda seen: seen != minute)
        self._seen.put(key, minute)
        return True

    def request(self, flow: http.HTTPFlow) -> None:
        decision = flow.metadata.get(METADATA_KEY)
        snapshot = self.state.snapshot
        if flow.response or snapshot is None or not isinstance(decision, Decision):
            return
        if decision.blocked:
            return
        profile, _ = snapshot.profile_for(client_ip(flow.client_conn))
        now = self.state.now()
        if self._first_this_minute(profile.name, flow.request.host, now):
            self._count(profile, self.groups.of(snapshot, flow_host(flow)), now)

    def tls_clienthello(self, data: tls.ClientHelloData) -> None:
        """A connection the TLS gate let through untouched: count it and log it by host name
        (once a minute per child and host, like the activity log's repeat window)."""
        snapshot = self.state.snapshot
        server = data.context.server
        if snapshot is None or not data.ignore_connection:
            return
        if server.id in self.state.refused_servers:
            return
        # mitmproxy has put the ClientHello's server name on the client before this hook
        host = normalise_host(data.context.client.sni or "")[0]
        if not host:
            return
        ip = client_ip(data.context.client)
        profile, device = snapshot.profile_for(ip)
        now = self.state.now()
        if not self._first_this_minute(profile.name, host, now):
            return
        self._count(profile, self.groups.of(snapshot, host), now)
        log_decision(self.state, _PASSED, ip=ip, host=host, profile=profile, device=device)

    def dns_request(self, flow: dns.DNSFlow) -> None:
        """A name a device on DNS mode looked up and was not refused: a minute for its groups,
        so devices that reach the web without the proxy count towards budgets too (the query
        itself is logged by the DNS filter)."""
        decision = flow.metadata.get(METADATA_KEY)
        snapshot, question = self.state.snapshot, flow.request.question
        if snapshot is None or question is None or not isinstance(decision, Decision):
            return
        if decision.blocked:
            return
        host = normalise_host(question.name)[0]
        profile, _ = snapshot.profile_for(client_ip(flow.client_conn))
        now = self.state.now()
        if host and self._first_this_minute(profile.name, host, now):
            self._count(profile, self.groups.of(snapshot, host), now)

    # -- the banner -----------------------------------------------------------------------

    def _banner_for(self, flow: http.HTTPFlow) -> tuple[str, int] | None:
        snapshot = self.state.snapshot
        decision = flow.metadata.get(METADATA_KEY)
        if snapshot is None or not isinstance(decision, Decision) or decision.blocked:
            return None
        profile, _ = snapshot.profile_for(client_ip(flow.client_conn))
        if not profile.budgets:
            return None
        now = self.state.now()
        view = time_left(
            profile, None, self.state.usage.usage(profile.name, now), now, snapshot.zone
        )
        used = {g: (u, a) for g, u, a in view.groups}
        return banner_minutes(profile, self.groups.of(snapshot, flow_host(flow)), used)

    @staticmethod
    def _is_page(response: http.Response) -> bool:
        return response.status_code == 200 and is_html(response)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        """Hold back an HTML page (under the limit) that will carry the banner."""
        response = flow.response
        if response is None or flow.error or not self._is_page(response):
            return
        length = header(response, b"content-length")
        if length.isdigit() and int(length) > BANNER_LIMIT:
            return
        if self._banner_for(flow) is not None:
            response.stream = False

    def response(self, flow: http.HTTPFlow) -> None:
        """Put the banner on a page whose group is nearly used up. A page the banner cannot be
        put on is left as it is (the banner is a courtesy, not a decision)."""
        response = flow.response
        if response is None or flow.error or response.stream or not self._is_page(response):
            return
        try:
            self._add_banner(flow, response)
        except Exception as exc:
            log.error("The time banner could not be added (%s).", type(exc).__name__)

    def _add_banner(self, flow: http.HTTPFlow, response: http.Response) -> None:
        due = self._banner_for(flow)
        snapshot = self.state.snapshot
        if due is None or snapshot is None:
            return
        group, minutes = due
        language = self.pages.language(snapshot, flow.request.headers.get("accept-language", ""))
        banner = self.pages.render(
            "block/_banner.html", language, snapshot, group=group, minutes=minutes
        )
        # measured with a cap first: a compression bomb must never be inflated on the event loop
        encoding = response.headers.get("content-encoding")
        raw = response.raw_content or b""
        if encoding and len(decompress_capped(raw, encoding, BANNER_LIMIT + 1)) > BANNER_LIMIT:
            return
        body = response.get_content(strict=False)
        if body is None or len(body) > BANNER_LIMIT:
            return
        response.set_content(insert_banner(body, banner))

    # -- writing ----------------------------------------------------------------------------

    def _take(self) -> tuple[date | None, list[tuple[str, str, int]]]:
        taken = (self._new_day, self._new)
        self._new = []
        return taken

    def _write(self, day: date | None, minutes: list[tuple[str, str, int]]) -> None:
        store = self.state.activity
        if store is None or day is None or not minutes:
            return
        try:
            store.add_usage(day, minutes)
        except Exception as exc:  # the proxy's own count stays right; only a restart forgets
            log.error("Writing %d minutes of use failed: %s", len(minutes), exc)

    def _flush_later(self) -> None:
        """Write the minutes of the day that just ended (on the writer's next turn)."""
        if self._new:
            day, minutes = self._take()
            self._pending_old = (day, minutes)

    _pending_old: tuple[date | None, list[tuple[str, str, int]]] | None = None

    def flush(self) -> None:
        """Write what is queued now (at shutdown)."""
        if self._pending_old is not None:
            self._write(*self._pending_old)
            self._pending_old = None
        self._write(*self._take())

    def prune(self) -> None:
        """Forget minutes older than the household keeps its activity log."""
        store, snapshot = self.state.activity, self.state.snapshot
        if store is not None and snapshot is not None:
            today = self.state.now().date()
            store.prune_usage(today - timedelta(days=snapshot.retention_days))

    async def _run(self) -> None:
        since_prune = _PRUNE_EVERY
        while True:
            await asyncio.sleep(self.state.options.flush)
            if self._pending_old is not None:
                old, self._pending_old = self._pending_old, None
                await asyncio.to_thread(self._write, *old)
            if self._new:
                await asyncio.to_thread(self._write, *self._take())
            since_prune += timedelta(seconds=self.state.options.flush)
            if since_prune >= _PRUNE_EVERY:
                since_prune = timedelta(0)
                try:
                    await asyncio.to_thread(self.prune)
                except Exception as exc:
                    log.error("Pruning minutes of use failed: %s", exc)

    def running(self) -> None:
        self._task = asyncio.create_task(self._run())

    def done(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.flush()
