"""Ask a parent, and the transparency page: the proxy answers ``/.hearthguard/*`` itself.

On any site, so it works over HTTPS on devices that trust the household CA without any
cross-site form, these paths never reach the origin:

``POST /.hearthguard/ask``
    creates an access request from a block page's signed ticket and an optional message, then
    redirects to the request's status page. The device is the connection's address, never a
    form field; each device may create a few requests per window and has at most one pending
    request per site. Illegal content can never be asked about.
``GET /.hearthguard/request/<id>``
    the request's status: waiting (the page reloads itself every 10 s), declined (with the
    parent's note), or approved — then a 303 back to the page once the proxy lets it through.
(``/.hearthguard/about`` and ``/.hearthguard/upset`` are the child's report addon's.)

Database work runs in a worker thread, off the proxy's event loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from mitmproxy import http

from policy.activitydb.records import AccessRequest
from policy.datadir import DataDir
from policy.decide import decide
from policy.snapshot import Snapshot
from policy.values import Decision, Device, Profile, Reason, Request
from proxy_addons.blockpage import BlockPages, Ticket, age_group
from proxy_addons.httpfilter import flow_host
from proxy_addons.localtime import format_until
from proxy_addons.state import ProxyState, client_ip

__all__ = [
    "AskLimits",
    "AskParent",
    "METADATA_KEY",
    "RESERVED_PREFIX",
    "RateLimit",
    "clean_message",
]

log = logging.getLogger(__name__)

RESERVED_PREFIX = "/.hearthguard/"
#: Set on flows this addon answers (other addons leave them alone).
METADATA_KEY = "hearthguard_ask"
MAX_MESSAGE = 500
_MAX_BODY = 64 * 1024
_STATUS_RE = re.compile(r"/\.hearthguard/request/([0-9]{1,12})")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
#: After an approval, how long the status page keeps reloading while the proxy catches up.
_CATCH_UP = timedelta(seconds=30)


@dataclass(frozen=True)
class AskLimits:
    """How many requests one device may create in ``window`` seconds."""

    per_device: int = 5
    window: float = 600.0


class RateLimit:
    """Requests created per device address in a sliding window (bounded memory)."""

    def __init__(self, limits: AskLimits, max_devices: int = 10_000) -> None:
        self.limits = limits
        self.max_devices = max_devices
        self._times: dict[str, deque[float]] = {}

    def allows(self, ip: str, now: float) -> bool:
        times = self._times.get(ip)
        if times is None:
            return True
        while times and times[0] <= now - self.limits.window:
            times.popleft()
        return len(times) < self.limits.per_device

    def record(self, ip: str, now: float) -> None:
        if ip not in self._times and len(self._times) >= self.max_devices:
            self._times.clear()
        self._times.setdefault(ip, deque(maxlen=self.limits.per_device)).append(now)


def clean_message(text: str) -> str | None:
    """The child's message without control or direction-changing characters, trimmed;
    None when it is longer than ``MAX_MESSAGE`` characters."""
    cleaned = _CONTROL_RE.sub("", text.replace("\r\n", "\n")).strip()
    return cleaned if len(cleaned) <= MAX_MESSAGE else None


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _same_site(url: str, host: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "") == host
    except ValueError:
        return False


def _redirect(location: str) -> http.Response:
    return http.Response.make(
        303,
        b"",
        {"Location": location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


class AskParent:
    """Answers the reserved paths on every site; must come before ``HttpFilter``."""

    def __init__(self, state: ProxyState, pages: BlockPages, limits: AskLimits | None = None):
        self.state = state
        self.pages = pages
        self.rate = RateLimit(limits or AskLimits())

    def configure(self, updated: set[str]) -> None:
        if "hearthguard_data_dir" not in updated or not self.state.options.data_dir:
            return
        key_file = DataDir(Path(self.state.options.data_dir)).secret_key
        try:
            secret = key_file.read_bytes().strip()
        except OSError as exc:
            log.error("Cannot read %s (%s): block pages offer no “ask a parent”.", key_file, exc)
            return
        if len(secret) < 16:
            log.error("%s is too short: block pages offer no “ask a parent”.", key_file)
            return
        self.pages.tickets.set_secret(secret)

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if flow.response or flow.error or not flow.live:
            return
        if not flow.request.path.startswith(RESERVED_PREFIX):
            return
        length = flow.request.headers.get("content-length", "0")
        chunked = "chunked" in flow.request.headers.get("transfer-encoding", "").lower()
        # a block page's form is never compressed: a compressed body could inflate to gigabytes
        encoded = flow.request.headers.get("content-encoding", "identity").strip().lower()
        too_big = not length.isdigit() or int(length) > _MAX_BODY
        if flow.request.stream or chunked or too_big or encoded not in ("", "identity"):
            flow.kill()  # nothing a block page sends; never let it stream to the origin
            return
        flow.metadata[METADATA_KEY] = True
        # A placeholder until ``request`` answers: whatever happens, the origin is never asked.
        flow.response = self.pages.problem(flow, self.state.snapshot, "unavailable", 503)

    async def request(self, flow: http.HTTPFlow) -> None:
        if not flow.metadata.get(METADATA_KEY) or not flow.live:
            return
        try:
            flow.response = await self._answer(flow)
        except Exception:  # the placeholder answer stays; the child sees "try again"
            log.exception("Answering %s failed.", flow.request.path)

    # -- routing ----------------------------------------------------------------------

    async def _answer(self, flow: http.HTTPFlow) -> http.Response:
        snapshot = self.state.snapshot
        if snapshot is None:
            return self.pages.problem(flow, None, "unavailable", 503)
        path = flow.request.path.partition("?")[0]
        method = flow.request.method.upper()
        if path == "/.hearthguard/ask" and method == "POST":
            return await self._ask(flow, snapshot)
        status = _STATUS_RE.fullmatch(path)
        if status is not None and method in ("GET", "HEAD"):
            return await self._status(flow, snapshot, int(status.group(1)))
        return self.pages.problem(flow, snapshot, "not_found", 404)

    # -- pages ------------------------------------------------------------------------

    # -- asking -----------------------------------------------------------------------

    async def _ask(self, flow: http.HTTPFlow, snapshot: Snapshot) -> http.Response:
        ip = client_ip(flow.client_conn)
        host = flow_host(flow)
        profile, device = snapshot.profile_for(ip)
        now = self.state.now()
        form = flow.request.urlencoded_form
        ticket = self.pages.tickets.open(form.get("token", ""), ip, int(now.timestamp()))
        if ticket is None or ticket.host != host or ticket.profile != profile.name:
            return self.pages.problem(flow, snapshot, "stale", 400)
        if ticket.reason == Reason.ILLEGAL_CONTENT.value:
            return self._illegal(flow, snapshot)
        current = self._decide(ticket.url, host, profile, device, snapshot, now)
        if current.reason is Reason.ILLEGAL_CONTENT:
            return self._illegal(flow, snapshot)
        if not current.blocked:
            return _redirect(ticket.url)
        message = clean_message(form.get("message", ""))
        if message is None:
            return self._form_again(flow, snapshot, ticket, current, profile, now, ip)
        if not self.rate.allows(ip, now.timestamp()):
            return self.pages.problem(flow, snapshot, "rate", 429)
        request_id, created = await asyncio.to_thread(
            self._create, ticket, ip, device, profile, message, now
        )
        if created:
            self.rate.record(ip, now.timestamp())
        if request_id is None:
            return self.pages.problem(flow, snapshot, "unavailable", 503)
        return _redirect(f"/.hearthguard/request/{request_id}")

    def _create(
        self,
        ticket: Ticket,
        ip: str,
        device: Device | None,
        profile: Profile,
        message: str,
        now: datetime,
    ) -> tuple[int | None, bool]:
        """Runs in a worker thread: the pending request for this site, else a new one."""
        store = self.state.activity
        if store is None:
            return None, False
        pending = store.pending_request_for(ip, ticket.host)
        if pending is not None:
            return pending.request_id, False
        request_id = store.add_request(
            device=device.name if device else None,
            ip=ip,
            profile=profile.name,
            host=ticket.host,
            url=ticket.url,
            category=ticket.category or None,
            reason=ticket.reason,
            message=message,
            now=now,
        )
        return request_id, True

    def _form_again(
        self,
        flow: http.HTTPFlow,
        snapshot: Snapshot,
        ticket: Ticket,
        decision: Decision,
        profile: Profile,
        now: datetime,
        ip: str,
    ) -> http.Response:
        """The block page again, with the message kept and the error beside the field."""
        message = flow.request.urlencoded_form.get("message", "")
        body = self.pages.blocked(
            decision,
            host=ticket.host,
            url=ticket.url,
            ip=ip,
            profile=profile,
            snapshot=snapshot,
            accept_language=flow.request.headers.get("accept-language", ""),
            now=now,
            dashboard=self.state.options.dashboard,
            message=message[: MAX_MESSAGE * 4],
            error="too_long",
        )
        return self.pages.response(400, body)

    def _illegal(self, flow: http.HTTPFlow, snapshot: Snapshot) -> http.Response:
        """The neutral page; asking about illegal content is only ever counted."""
        self.state.log.hotline_block()
        body = self.pages.render(
            "block/illegal.html", self.pages.language_of(flow, snapshot), snapshot
        )
        return self.pages.response(403, body)

    def _decide(
        self,
        url: str,
        host: str,
        profile: Profile,
        device: Device | None,
        snapshot: Snapshot,
        now: datetime,
    ) -> Decision:
        scheme = urlsplit(url).scheme or "http"
        usage = self.state.usage.usage(profile.name, now)
        request = Request(host, _path_of(url), device, scheme, usage)
        return decide(request, profile, snapshot, now)

    # -- status -----------------------------------------------------------------------

    async def _status(
        self, flow: http.HTTPFlow, snapshot: Snapshot, request_id: int
    ) -> http.Response:
        ip = client_ip(flow.client_conn)
        host = flow_host(flow)
        found = await asyncio.to_thread(self._find, request_id)
        if found is None or found.ip != ip or found.host != host:
            return self.pages.problem(flow, snapshot, "not_found", 404)
        profile, device = snapshot.profile_for(ip)
        now = self.state.now()
        language = self.pages.language_of(flow, snapshot)
        url = found.url if _same_site(found.url, host) else f"{flow.request.scheme}://{host}/"
        state = found.status
        if found.status == "approved":
            if not self._decide(url, host, profile, device, snapshot, now).blocked:
                return _redirect(url)
            if found.until is not None and found.until <= now:
                state = "expired"
            elif found.decided_at is not None and now - found.decided_at < _CATCH_UP:
                state = "opening"
        elif found.status != "declined":
            state = "waiting"
        body = self.pages.render(
            "block/request.html",
            language,
            snapshot,
            state=state,
            host=host,
            url=url,
            message=found.message,
            note=found.note,
            until=format_until(found.until, now, language) if found.until else "",
            age=age_group(profile),
        )
        return self.pages.response(200, body)

    def _find(self, request_id: int) -> AccessRequest | None:
        store = self.state.activity
        if store is None:
            return None
        try:
            return store.request(request_id)
        except KeyError:
            return None
