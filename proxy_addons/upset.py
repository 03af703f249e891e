"""A child's own way to report, and the transparency page that says what chat watch reads.

On every site (like ask-a-parent, so it works over HTTPS on devices that trust the CA):

``GET /.hearthguard/upset``
    "Something online upset me": a short optional message for a parent, and the helpline and
    hotline straight away. The form carries a token bound to the device's address and time,
    so another site cannot send reports in the child's name.
``POST /.hearthguard/upset``
    stores a ``child_report`` alert (the parent is notified) and thanks the child; a few per
    device per hour.
``GET /.hearthguard/about``
    what Hearthguard does on this device, now including whether chat is read and what
    parents see of it (a teen's page says chat watch is off unless a parent turned it on).

Must come before ``AskParent`` in the addon list. Database work runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from pathlib import Path

from mitmproxy import http

from policy.activitydb.records import AlertRecord
from policy.alerts import AlertKind
from policy.datadir import DataDir
from policy.snapshot import Snapshot
from proxy_addons.askparent import MAX_MESSAGE, AskLimits, RateLimit, clean_message
from proxy_addons.blockpage import BlockPages, age_group
from proxy_addons.chatwatch import ChatWatch
from proxy_addons.httpfilter import flow_host
from proxy_addons.state import ProxyState, client_ip

__all__ = ["ChildReport"]

log = logging.getLogger(__name__)
_UPSET = "/.hearthguard/upset"
_ABOUT = "/.hearthguard/about"
_METADATA_KEY = "hearthguard_upset"
_TOKEN_AGE = 2 * 3600
_PURPOSE = b"hearthguard upset report v1"
_MAX_BODY = 16 * 1024


class ChildReport:
    def __init__(self, state: ProxyState, pages: BlockPages, chat: ChatWatch) -> None:
        self.state = state
        self.pages = pages
        self.chat = chat
        self.rate = RateLimit(AskLimits(per_device=3, window=3600.0))
        self._secret = b""

    def configure(self, updated: set[str]) -> None:
        if "hearthguard_data_dir" not in updated or not self.state.options.data_dir:
            return
        key_file = DataDir(Path(self.state.options.data_dir)).secret_key
        try:
            secret = key_file.read_bytes().strip()
        except OSError as exc:
            log.error("Cannot read %s (%s): children can only call the helpline.", key_file, exc)
            return
        self._secret = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()

    # -- tokens ---------------------------------------------------------------------------

    def _mac(self, ip: str, stamp: int) -> str:
        return hmac.new(self._secret, f"{ip}|{stamp}".encode(), hashlib.sha256).hexdigest()[:32]

    def token(self, ip: str, now: int) -> str:
        """A form token for ``ip``, valid for two hours ("" when no secret is loaded)."""
        return f"{now}.{self._mac(ip, now)}" if self._secret else ""

    def token_ok(self, token: str, ip: str, now: int) -> bool:
        stamp_text, _, mac = token.partition(".")
        if not self._secret or not stamp_text.isdigit() or len(stamp_text) > 12:
            return False
        stamp = int(stamp_text)
        if not 0 <= now - stamp <= _TOKEN_AGE:
            return False
        return hmac.compare_digest(mac, self._mac(ip, stamp))

    # -- hooks ----------------------------------------------------------------------------

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if flow.response or flow.error or not flow.live:
            return
        path = flow.request.path.partition("?")[0]
        if path not in (_UPSET, _ABOUT):
            return
        length = flow.request.headers.get("content-length", "0")
        # the form is never compressed: a compressed body could inflate to gigabytes
        encoded = flow.request.headers.get("content-encoding", "identity").strip().lower()
        too_big = not length.isdigit() or int(length) > _MAX_BODY
        if flow.request.stream or too_big or encoded not in ("", "identity"):
            flow.kill()
            return
        flow.metadata[_METADATA_KEY] = True
        flow.response = self.pages.problem(flow, self.state.snapshot, "unavailable", 503)

    async def request(self, flow: http.HTTPFlow) -> None:
        if not flow.metadata.get(_METADATA_KEY) or not flow.live:
            return
        snapshot = self.state.snapshot
        if snapshot is None:
            return
        path = flow.request.path.partition("?")[0]
        method = flow.request.method.upper()
        try:
            if path == _ABOUT and method in ("GET", "HEAD"):
                flow.response = self._about(flow, snapshot)
            elif path == _UPSET and method in ("GET", "HEAD"):
                flow.response = self._form(flow, snapshot)
            elif path == _UPSET and method == "POST":
                flow.response = await self._report(flow, snapshot)
            else:
                flow.response = self.pages.problem(flow, snapshot, "not_found", 404)
        except Exception:  # the placeholder answer stays; the helpline is on it
            log.exception("Answering %s failed.", path)

    # -- pages ----------------------------------------------------------------------------

    def _form(
        self, flow: http.HTTPFlow, snapshot: Snapshot, message: str = "", error: str = ""
    ) -> http.Response:
        ip = client_ip(flow.client_conn)
        profile, _ = snapshot.profile_for(ip)
        body = self.pages.render(
            "block/upset.html",
            self.pages.language_of(flow, snapshot),
            snapshot,
            state="form",
            token=self.token(ip, int(self.state.now().timestamp())),
            message=message,
            error=error,
            age=age_group(profile),
        )
        return self.pages.response(400 if error else 200, body)

    def _about(self, flow: http.HTTPFlow, snapshot: Snapshot) -> http.Response:
        ip = client_ip(flow.client_conn)
        profile, _ = snapshot.profile_for(ip)
        body = self.pages.render(
            "block/about.html",
            self.pages.language_of(flow, snapshot),
            snapshot,
            logging=profile.logging,
            content_scan=profile.content_scan,
            safesearch=profile.safesearch,
            days=snapshot.retention_days,
            chat_watch=self.chat.mode_for(ip),
            age=age_group(profile),
        )
        return self.pages.response(200, body)

    async def _report(self, flow: http.HTTPFlow, snapshot: Snapshot) -> http.Response:
        ip = client_ip(flow.client_conn)
        now = self.state.now()
        form = flow.request.urlencoded_form
        if not self.token_ok(form.get("token", ""), ip, int(now.timestamp())):
            return self.pages.problem(flow, snapshot, "stale", 400)
        message = clean_message(form.get("message", ""))
        if message is None:
            return self._form(flow, snapshot, form.get("message", "")[: MAX_MESSAGE * 4], "long")
        if not self.rate.allows(ip, now.timestamp()):
            return self.pages.problem(flow, snapshot, "rate", 429)
        self.rate.record(ip, now.timestamp())
        profile, device = snapshot.profile_for(ip)
        alert = AlertRecord(
            at=now,
            device=device.name if device else None,
            ip=ip,
            profile=profile.name,
            host=flow_host(flow),
            conversation="",
            kind=AlertKind.CHILD_REPORT.value,
            score=1.0,
            excerpt=message,
            detail="the child's own report",
        )
        store = self.state.activity
        if store is None:
            return self.pages.problem(flow, snapshot, "unavailable", 503)
        await asyncio.to_thread(store.add_alerts, [alert])
        body = self.pages.render(
            "block/upset.html",
            self.pages.language_of(flow, snapshot),
            snapshot,
            state="sent",
            token="",
            message="",
            error="",
            age=age_group(profile),
        )
        return self.pages.response(200, body)
