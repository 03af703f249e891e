"""The pages a child sees: block pages, "ask a parent" status, and what Hearthguard does.

Every page is rendered from ``ui/templates/block/`` in the household's language (then
the browser's), self-contained (inline CSS, no script, nothing fetched), never cached, and shows
nothing meant for parents: no list names, matched phrases or scores. A block page that allows
asking carries a signed ticket (`AskTickets`) naming the device's address, profile, site, URL,
category, reason and time; ``proxy_addons.askparent`` checks it before creating a request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2
from mitmproxy import http

from policy.address import normalise_path
from policy.helplines import help_for
from policy.snapshot import Snapshot
from policy.timelimits import access_returns
from policy.values import Decision, Profile, Reason
from proxy_addons.localtime import format_until
from ui import TEMPLATES
from ui.i18n import LANGUAGES, best_language, translations

__all__ = [
    "AskTickets",
    "BlockPages",
    "HEADERS",
    "REASON_TEMPLATES",
    "Ticket",
    "age_group",
    "block_url",
]

#: No caching (a parent may allow the site a minute later), no scripts, nothing embedded.
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
}

#: One page per reason; reasons not listed here never block.
REASON_TEMPLATES: Mapping[Reason, str] = {
    Reason.CATEGORY_BLOCKED: "block/category.html",
    Reason.MODEL_BLOCKED: "block/category.html",
    Reason.CONTENT_BLOCKED: "block/content.html",
    Reason.PARENT_DENIED: "block/parent.html",
    Reason.SCHEDULE: "block/schedule.html",
    Reason.TIME_BUDGET: "block/time_budget.html",
    Reason.PAUSED: "block/paused.html",
    Reason.ILLEGAL_CONTENT: "block/illegal.html",
    Reason.IP_ADDRESS: "block/address.html",
    Reason.CONNECTION_REFUSED: "block/error.html",
    Reason.FILTER_ERROR: "block/error.html",
}
_OTHER_PAGES = ("block/request.html", "block/problem.html", "block/about.html")

_AGE_GROUP = {"young": "young", "child": "child", "teen": "teen", "adult": "teen"}
_MAX_TICKET_URL = 2000
_TICKET_PURPOSE = b"hearthguard ask-a-parent ticket v1"


def age_group(profile: Profile) -> str:
    """``young``, ``child`` or ``teen``: which wording a profile's pages use."""
    return _AGE_GROUP.get(profile.preset, "child")


def block_url(flow: http.HTTPFlow, host: str) -> str:
    """The address the child tried to open, on the site the filter decided on.

    Built from ``host`` (the connection's target) rather than the Host header, so an approval
    can only ever send the child back to the site that was asked about.
    """
    scheme = flow.request.scheme
    port = flow.request.port
    default = (scheme == "https" and port == 443) or (scheme == "http" and port == 80)
    authority = host if default or not port else f"{host}:{port}"
    url = f"{scheme}://{authority}{normalise_path(flow.request.data.path)}"
    return url if len(url) <= _MAX_TICKET_URL else f"{scheme}://{authority}/"


@dataclass(frozen=True, slots=True)
class Ticket:
    """What a block page lets a device ask about; the device's address is bound by the MAC."""

    profile: str
    host: str
    url: str
    category: str
    reason: str
    issued: int  # Unix time


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AskTickets:
    """Signs and checks "ask a parent" tickets with a key derived from the data dir's secret.

    Without a key (no data directory configured) nothing is signed and block pages offer no
    "ask" button.
    """

    def __init__(self, max_age: int = 2 * 3600) -> None:
        self.max_age = max_age
        self._key: bytes | None = None

    @property
    def ready(self) -> bool:
        return self._key is not None

    def set_secret(self, secret: bytes) -> None:
        self._key = hmac.new(secret, _TICKET_PURPOSE, hashlib.sha256).digest()

    def _mac(self, ip: str, payload: str) -> str:
        assert self._key is not None
        message = f"{ip}\n{payload}".encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def sign(self, ticket: Ticket, ip: str) -> str:
        """A token for the block page's form; only ``ip`` can redeem it."""
        fields = [ticket.profile, ticket.host, ticket.url, ticket.category, ticket.reason]
        payload = _b64(json.dumps([*fields, ticket.issued], ensure_ascii=False).encode())
        return f"{payload}.{self._mac(ip, payload)}"

    def open(self, token: str, ip: str, now: int) -> Ticket | None:
        """The ticket, if ``token`` was signed by us for ``ip`` and is neither stale nor
        from the future; otherwise None (forged, altered, another device, too old)."""
        if not self.ready or len(token) > 8192 or token.count(".") != 1:
            return None
        payload, mac = token.split(".")
        if not hmac.compare_digest(mac.encode(), self._mac(ip, payload).encode()):
            return None
        try:
            fields = json.loads(_unb64(payload))
        except (ValueError, UnicodeDecodeError):
            return None
        if (
            not isinstance(fields, list)
            or len(fields) != 6
            or not all(isinstance(f, str) for f in fields[:5])
            or not isinstance(fields[5], int)
        ):
            return None
        ticket = Ticket(*fields)
        if not (now - self.max_age <= ticket.issued <= now + 60):
            return None
        return ticket


def _comes_back(
    decision: Decision,
    profile: Profile,
    ip: str,
    snapshot: Snapshot | None,
    now: datetime,
    language: str,
) -> str:
    """When a pause or an offline time ends, on the household's clock, for the block page."""
    if snapshot is None or decision.reason not in (Reason.PAUSED, Reason.SCHEDULE):
        return ""
    device = snapshot.devices_by_ip.get(ip)
    returns = access_returns(decision, profile, device, now, snapshot.zone, snapshot.holidays)
    if returns is None:
        return ""
    return format_until(returns, now.astimezone(snapshot.zone), language)


class BlockPages:
    """Renders the child-facing pages in every language with a catalog."""

    def __init__(self, environments: Mapping[str, jinja2.Environment], tickets: AskTickets):
        self.environments = environments
        self.tickets = tickets

    @classmethod
    def load(cls) -> BlockPages:
        """Load catalogs and compile every template now, so a broken one fails at start-up."""
        environments = {}
        for language in LANGUAGES:
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
            for name in (*REASON_TEMPLATES.values(), *_OTHER_PAGES):
                env.get_template(name)
            environments[language] = env
        return cls(environments, AskTickets())

    def language(self, snapshot: Snapshot | None, accept_language: str | None) -> str:
        """The household's language if set, else the browser's best match, else English."""
        return best_language(snapshot.language if snapshot else "", accept_language)

    def render(
        self, template: str, language: str, snapshot: Snapshot | None, **context: Any
    ) -> bytes:
        """Any child-facing page, with what every page shows (help, language) filled in."""
        env = self.environments.get(language) or self.environments["en"]
        page = env.get_template(template).render(
            lang=language if language in self.environments else "en",
            help=help_for(snapshot.country if snapshot else ""),
            **context,
        )
        return page.encode("utf-8")

    def blocked(
        self,
        decision: Decision,
        *,
        host: str,
        url: str,
        ip: str,
        profile: Profile,
        snapshot: Snapshot | None,
        accept_language: str = "",
        now: datetime,
        dashboard: str = "",
        message: str = "",
        error: str = "",
    ) -> bytes:
        """The block page for ``decision``: its reason's page in the child's age group.

        Illegal content gets a neutral page (no site name, no asking). Every other page offers
        "ask a parent" with a ticket bound to ``ip`` when tickets can be signed. ``message``
        and ``error`` refill the form after a rejected attempt.
        """
        illegal = decision.reason is Reason.ILLEGAL_CONTENT
        template = REASON_TEMPLATES.get(decision.reason, "block/parent.html")
        language = self.language(snapshot, accept_language)
        token = ""
        if not illegal and self.tickets.ready:
            ticket = Ticket(
                profile.name,
                host,
                url,
                decision.category or "",
                decision.reason.value,
                int(now.timestamp()),
            )
            token = self.tickets.sign(ticket, ip)
        return self.render(
            template,
            language,
            snapshot,
            reason=decision.reason.value,
            category="" if illegal else decision.category or "",
            host="" if illegal else host,
            age=age_group(profile),
            token=token,
            message=message,
            error=error,
            dashboard=dashboard,
            until=_comes_back(decision, profile, ip, snapshot, now, language),
        )

    @staticmethod
    def response(status: int, body: bytes) -> http.Response:
        """An HTTP response for a child-facing page (never cached, no scripts)."""
        return http.Response.make(status, body, HEADERS)

    def language_of(self, flow: http.HTTPFlow, snapshot: Snapshot | None) -> str:
        """The language of a page answering ``flow``."""
        return self.language(snapshot, flow.request.headers.get("accept-language", ""))

    def problem(
        self, flow: http.HTTPFlow, snapshot: Snapshot | None, problem: str, status: int
    ) -> http.Response:
        """The friendly "something is wrong" page (``problem`` names what), with help on it."""
        body = self.render(
            "block/problem.html", self.language_of(flow, snapshot), snapshot, problem=problem
        )
        return self.response(status, body)

    def for_flow(
        self,
        flow: http.HTTPFlow,
        decision: Decision,
        *,
        host: str,
        ip: str,
        profile: Profile,
        snapshot: Snapshot,
        now: datetime,
        dashboard: str = "",
    ) -> http.Response:
        """The 403 block page answering ``flow`` (for the HTTP filter and the content scan)."""
        body = self.blocked(
            decision,
            host=host,
            url=block_url(flow, host),
            ip=ip,
            profile=profile,
            snapshot=snapshot,
            accept_language=flow.request.headers.get("accept-language", ""),
            now=now,
            dashboard=dashboard,
        )
        return self.response(403, body)
