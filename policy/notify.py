"""Notifications for parents: what is sent, to whom, and when — never a child's browsing.

Parents give one or more Apprise URLs (email, ntfy, Matrix, Telegram, Signal, a webhook, ...)
in the ``notify_urls`` setting, choose the kinds they want (``notify_kinds``) and may set quiet
hours (``quiet_hours``, like ``22:00-07:00``: notices wait and are sent together when they
end). This module turns events into short ``Notice`` values; ``policy.notify_send`` sends them.

Privacy: a notice names the child's profile and device, the kind of event and the site's host
name. It never carries a full URL, a chat excerpt or anything a child typed into a chat; a
child's own message to a parent (ask-a-parent, "something upset me") is included with any
web addresses in it cut down to their host names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from policy.activitydb.records import AccessRequest, AlertRecord
from policy.messages import N_
from policy.validate import InputError

__all__ = [
    "KIND_LABELS",
    "NOTIFY_KINDS",
    "Notice",
    "NotifySettings",
    "clean_notify_kinds",
    "clean_notify_urls",
    "clean_quiet_hours",
    "digest",
    "notice_for_alert",
    "notice_for_bypass",
    "notice_for_lists",
    "notice_for_request",
    "notice_for_unprotected",
    "strip_urls",
]

#: What parents can be told about, and the words the dashboard shows for each.
KIND_LABELS = {
    "ask": N_("A child asks to open a blocked site"),
    "chat": N_("Chat-safety alerts"),
    "upset": N_("A child says something online upset them"),
    "lists": N_("A block list has failed to update for a week"),
    "bypass": N_("A device tries to get around the filter, or is online without it"),
}
NOTIFY_KINDS = tuple(KIND_LABELS)
ALERT_TITLES = {
    "bullying_received": "Possible bullying received",
    "bullying_sent": "Possible bullying sent",
    "sexual_content": "Sexual content in a chat",
    "grooming_signs": "Signs of grooming in a chat",
    "self_harm_words": "Words about self-harm in a chat",
    "child_report": "Something online upset your child",
}
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.I)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]{1,30}://\S+$", re.I)
_QUIET = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)$")
_MAX_URLS = 8


def strip_urls(text: str) -> str:
    """``text`` with every web address cut down to its host name."""

    def host(match: re.Match[str]) -> str:
        raw = match.group(0)
        try:
            parsed = urlsplit(raw if "://" in raw else "http://" + raw)
            return parsed.hostname or "a web address"
        except ValueError:
            return "a web address"

    return _URL.sub(host, text)


def clean_notify_urls(raw: str) -> str:
    """Apprise URLs separated by spaces or commas, as stored; ``InputError`` for one that
    is not a URL Apprise knows."""
    from policy.notify_send import apprise_accepts

    urls = [u for u in re.split(r"[\s,]+", raw or "") if u]
    if len(urls) > _MAX_URLS:
        raise InputError("notify_urls", N_("At most %(n)s notification addresses."), n=_MAX_URLS)
    for url in urls:
        if len(url) > 2000 or not _SCHEME.match(url) or not apprise_accepts(url):
            shown = url.split("://", 1)[0][:20]
            raise InputError(
                "notify_urls",
                N_(
                    "“%(value)s://…” is not a notification address Hearthguard can send to "
                    "(see the Apprise URL list: ntfy://, mailto://, tgram://, json://, ...)."
                ),
                value=shown,
            )
    return " ".join(urls)


def clean_notify_kinds(raw: str) -> str:
    """Notification kinds separated by commas (any of ``NOTIFY_KINDS``), as stored."""
    kinds = [k.strip().lower() for k in (raw or "").split(",") if k.strip()]
    unknown = [k for k in kinds if k not in NOTIFY_KINDS]
    if unknown:
        raise InputError(
            "notify_kinds",
            f"“{unknown[0][:20]}” is not a kind of notification ({', '.join(NOTIFY_KINDS)}).",
        )
    return ",".join(k for k in NOTIFY_KINDS if k in kinds)


def _quiet_window(raw: str) -> tuple[time, time] | None:
    text = (raw or "").strip()
    if not text:
        return None
    match = _QUIET.match(text)
    if match is None:
        raise InputError(
            "quiet_hours", N_("“%(value)s” is not like 22:00-07:00 (or empty)."), value=text[:20]
        )
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if (h1, m1) == (h2, m2):
        raise InputError("quiet_hours", N_("Quiet hours must start and end at different times."))
    return time(h1, m1), time(h2, m2)


def clean_quiet_hours(raw: str) -> str:
    """Quiet hours as stored: ``HH:MM-HH:MM`` in the household's time, or empty for none."""
    window = _quiet_window(raw)
    return "" if window is None else f"{window[0]:%H:%M}-{window[1]:%H:%M}"


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """Where notices go, which kinds, and when they wait."""

    urls: tuple[str, ...] = ()
    kinds: frozenset[str] = frozenset(NOTIFY_KINDS)
    quiet: tuple[time, time] | None = None

    @classmethod
    def from_settings(cls, get: Callable[[str], Any]) -> NotifySettings:
        """From stored settings (``PolicyStore.get_setting``, which has each one's default);
        a damaged value counts as unset rather than stopping notifications."""
        urls = tuple(u for u in str(get("notify_urls") or "").split() if u)
        try:
            kinds = frozenset(
                k for k in clean_notify_kinds(str(get("notify_kinds"))).split(",") if k
            )
        except InputError:
            kinds = frozenset(NOTIFY_KINDS)
        try:
            quiet = _quiet_window(str(get("quiet_hours") or ""))
        except InputError:
            quiet = None
        return cls(urls, kinds, quiet)

    def wants(self, kind: str) -> bool:
        return bool(self.urls) and kind in self.kinds

    def quiet_now(self, now: datetime) -> bool:
        """True inside quiet hours (``now`` on the household's clock)."""
        if self.quiet is None:
            return False
        start, end = self.quiet
        t = now.time()
        return start <= t < end if start < end else (t >= start or t < end)

    def quiet_ends(self, now: datetime) -> datetime:
        """When the current quiet hours end (``now`` when they are not on)."""
        if self.quiet is None or not self.quiet_now(now):
            return now
        end = now.replace(hour=self.quiet[1].hour, minute=self.quiet[1].minute, second=0)
        return end if end > now else end + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Notice:
    """One message for parents: its kind (one of ``NOTIFY_KINDS``), a title and a body."""

    kind: str
    title: str
    body: str


def _who(device: str | None, ip: str | None, profile: str) -> str:
    name = device or (f"an unnamed device ({ip})" if ip else "a device")
    return f"{profile} on {name}" if profile else name


def notice_for_alert(alert: AlertRecord, local: Callable[[datetime], datetime]) -> Notice:
    """A chat-safety alert (or a child's own report) as a notice: kind, time, device, site."""
    at = local(alert.at).strftime("%H:%M")
    who = _who(alert.device, alert.ip, alert.profile)
    title = "Hearthguard: " + ALERT_TITLES.get(alert.kind, alert.kind.replace("_", " "))
    if alert.kind == "child_report":
        message = strip_urls(alert.excerpt)
        said = f' They wrote: "{message}"' if message else ""
        body = (
            f"{who} pressed “Something online upset me” at {at}.{said} "
            "Open the Alerts page of the dashboard for ideas on how to talk about it."
        )
        return Notice("upset", title, body)
    site = alert.host or "a site"
    body = (
        f"{who}, {site}, at {at}. Open the Alerts page of the dashboard to see what was "
        "found and how to talk with your child about it."
    )
    return Notice("chat", title, body)


def notice_for_request(request: AccessRequest, local: Callable[[datetime], datetime]) -> Notice:
    """A new ask-a-parent request: who, which site (host only), and the child's message."""
    at = local(request.at).strftime("%H:%M")
    who = _who(request.device, request.ip, request.profile)
    message = strip_urls(request.message)
    said = f' Message: "{message}"' if message else ""
    return Notice(
        "ask",
        f"Hearthguard: {request.profile or 'a child'} asks to open {request.host}",
        f"{who} asks to open {request.host} ({at}).{said} Answer on the Requests page "
        "of the dashboard.",
    )


def notice_for_bypass(device: str | None, ip: str, tries: int, hosts: list[str]) -> Notice:
    """A device that keeps trying ways around the filter (host names only)."""
    example = f" (for example {hosts[0]})" if hosts else ""
    return Notice(
        "bypass",
        "Hearthguard: a device tries to get around the filter",
        f"{_who(device, ip, '')} tried {tries} blocked ways around the filter in the last "
        f"hour{example}. The Devices page of the dashboard shows more.",
    )


def notice_for_unprotected(ip: str) -> Notice:
    """A device that uses Hearthguard's DNS but sends nothing through the filter."""
    return Notice(
        "bypass",
        "Hearthguard: a device is online without the filter",
        f"The device at {ip} asks Hearthguard for names but its traffic does not go through "
        "the filter (its proxy setting may be off). The Devices page of the dashboard shows it.",
    )


def notice_for_lists(names: Iterable[str]) -> Notice:
    listed = ", ".join(sorted(names))
    return Notice(
        "lists",
        "Hearthguard: block lists are out of date",
        f"These lists have not updated for a week: {listed}. Settings → Lists shows why.",
    )


def digest(notices: list[Notice]) -> Notice:
    """Several waiting notices (after quiet hours) as one."""
    if len(notices) == 1:
        return notices[0]
    lines = [f"- {n.title.removeprefix('Hearthguard: ')}: {n.body}" for n in notices[:20]]
    if len(notices) > 20:
        lines.append(f"- and {len(notices) - 20} more in the dashboard")
    return Notice("digest", f"Hearthguard: {len(notices)} things happened", "\n".join(lines))
