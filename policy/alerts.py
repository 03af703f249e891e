"""Chat safety: which chat messages become alerts for a parent, per profile and conversation.

Pure decisions, no I/O. ``ChatSafety.assess`` takes one captured message, the chat model's
P(abusive) for it and the profile's watch mode, and returns the alerts to store:

- bullying received / sent: the chat model's score at or above its shipped threshold (or an
  unmistakable phrase such as "kill yourself"), by direction;
- sexual content: explicit sexual words, either direction;
- self-harm words: the child writes about hurting or killing themselves;
- grooming signs: the conversation's grooming signal (``policy.grooming``) is raised.

Alerts are deduplicated per conversation and kind (one per ``dedup`` period) and
rate-limited per device, so a flood of messages gives the parent one line, not a hundred.
Nothing here blocks anything: chat watch only ever tells a parent.
"""

from __future__ import annotations

import enum
import re
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from policy.activitydb.records import AlertRecord
from policy.grooming import GroomingRules, GroomingWindow, cues_in
from policy.validate import InputError

__all__ = [
    "AlertKind",
    "AlertRules",
    "ChatMessage",
    "ChatSafety",
    "WATCH_MODES",
    "clean_chat_watch",
    "parse_chat_watch",
    "watch_mode",
]


class AlertKind(enum.StrEnum):
    BULLYING_RECEIVED = "bullying_received"
    BULLYING_SENT = "bullying_sent"
    SEXUAL_CONTENT = "sexual_content"
    GROOMING_SIGNS = "grooming_signs"
    SELF_HARM_WORDS = "self_harm_words"
    CHILD_REPORT = "child_report"  # "Something online upset me", from the child


#: off: chat is not read at all; category: alerts say what and where, no words;
#: excerpt: alerts also keep a short excerpt of the message.
WATCH_MODES = ("off", "category", "excerpt")
#: Chat watch by age preset: on for young and child, off for teen and adult.
DEFAULT_WATCH = {"young": "excerpt", "child": "excerpt", "teen": "off", "adult": "off"}

_SELF_HARM = re.compile(
    r"\b(?:(?:kill|hurt|cut|harm|hang|starve) (?:my ?self|myself)|"
    r"(?:want|wanna|going|gonna) (?:to )?die|(?:end|ending) (?:it all|my life)|"
    r"suicid\w*|self[- ]?harm\w*|don'?t want to (?:live|be alive|exist)|"
    r"(?:better off|better) (?:dead|without me)|no reason to live|take my (?:own )?life|"
    # German, French, Czech: the household languages of the child-facing pages
    r"(?:ich will|ich möchte|will) (?:nicht mehr leben|sterben)|"
    r"ich (?:will|werde|möchte) mich umbringen|"
    r"mir das leben nehmen|selbstmord\w*|ich ritze mich|"
    r"je veux (?:mourir|en finir)|me suicider|je (?:vais|veux) me tuer|je me scarifie|"
    r"envie de mourir|"
    r"chci umřít|nechci (?:už )?žít|zabiju se|sebevražd\w*|řežu se)\b"
)
_TELL_TO_DIE = re.compile(
    r"\b(?:kys|kill (?:your ?self|yourself|urself|ur self)|go (?:and )?die|"
    r"(?:hope|wish) (?:you|u) (?:die|were dead)|nobody (?:likes|wants) (?:you|u)|"
    r"bring dich um|töte dich|niemand mag dich|va te (?:tuer|pendre)|suicide-toi|"
    r"personne ne t'aime|zabij se|chcípni|nikdo tě nemá rád)\b"
)
_SEXUAL = re.compile(
    r"\b(?:nudes?|send (?:me )?(?:a )?naked|horny|cock|dick ?pic|penis|pussy|blow ?job|cum|"
    r"cumming|masturbat\w*|jerk(?:ing)? off|porn\w*|send (?:me )?(?:your )?(?:boobs|tits)|"
    r"boobs|tits|have sex|wanna fuck|want to fuck)\b"
)
_SPACES = re.compile(r"\s+")


def _lowered(text: str) -> str:
    return _SPACES.sub(" ", text.lower().replace("’", "'"))


def parse_chat_watch(raw: str) -> dict[str, str]:
    """``"Ben=off, Anna=category"`` -> ``{"ben": "off", "anna": "category"}`` (profile names
    lower-cased); raises ``InputError`` naming what is wrong."""
    found: dict[str, str] = {}
    for part in (raw or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, mode = part.rpartition("=")
        name, mode = " ".join(name.split()), mode.strip().lower()
        if not sep or not name or len(name) > 64 or mode not in WATCH_MODES:
            raise InputError(
                "chat_watch",
                f"“{part[:80]}” is not PROFILE=off, PROFILE=category or PROFILE=excerpt.",
            )
        found[name.lower()] = mode
    return found


def clean_chat_watch(raw: str) -> str:
    """The ``chat_watch`` setting as stored: ``Name=mode`` pairs separated by commas."""
    text = ", ".join(p.strip() for p in (raw or "").split(",") if p.strip())
    parse_chat_watch(text)
    return text


def watch_mode(profile: str, preset: str, overrides: Mapping[str, str]) -> str:
    """The chat-watch mode of a profile: the parents' choice, else its preset's default."""
    return overrides.get(profile.lower()) or DEFAULT_WATCH.get(preset, "off")


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One captured chat message. ``sent`` is True when the child's device wrote it;
    ``peer`` is who the child talks with (a user, channel or room) where the site shows it."""

    at: datetime
    ip: str
    device: str | None
    profile: str
    site: str
    peer: str
    sent: bool
    text: str

    @property
    def conversation(self) -> str:
        return f"{self.site} · {self.peer}" if self.peer else self.site


@dataclass(frozen=True, slots=True)
class AlertRules:
    """Thresholds and limits of chat alerts."""

    #: one alert per conversation and kind in this period
    dedup: timedelta = timedelta(hours=12)
    #: at most this many alerts per device per hour
    per_device_hour: int = 6
    excerpt_chars: int = 120
    #: a received copy of what the child sent within this time is the server's echo
    echo_window: timedelta = timedelta(minutes=2)
    #: conversations remembered at once (the least recently active are forgotten)
    max_conversations: int = 5000
    grooming: GroomingRules = field(default_factory=GroomingRules)


def excerpt(text: str, limit: int) -> str:
    """A short, one-line excerpt of a message (at most ``limit`` characters)."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def message_kinds(
    message: ChatMessage, abusive: float, threshold: float
) -> list[tuple[AlertKind, float, str]]:
    """What one message shows on its own: (kind, score, detail) for each alert kind."""
    text = _lowered(message.text)
    found: list[tuple[AlertKind, float, str]] = []
    told_to_die = _TELL_TO_DIE.search(text)
    if abusive >= threshold or told_to_die:
        kind = AlertKind.BULLYING_SENT if message.sent else AlertKind.BULLYING_RECEIVED
        detail = "chat model" if abusive >= threshold else "phrase"
        found.append((kind, max(abusive, 1.0 if told_to_die else 0.0), detail))
    if _SEXUAL.search(text):
        found.append((AlertKind.SEXUAL_CONTENT, 1.0, "words"))
    if message.sent and _SELF_HARM.search(text):
        found.append((AlertKind.SELF_HARM_WORDS, 1.0, "words"))
    return found


class ChatSafety:
    """Per-conversation memory: grooming windows, the last alert per kind, alerts per device.

    Not thread-safe: the proxy calls it from its one chat worker thread. Memory is bounded by
    ``AlertRules.max_conversations``.
    """

    def __init__(self, rules: AlertRules | None = None) -> None:
        self.rules = rules or AlertRules()
        self._windows: OrderedDict[tuple[str, str], GroomingWindow] = OrderedDict()
        self._last: OrderedDict[tuple[str, str, str], datetime] = OrderedDict()
        self._per_device: dict[str, deque[datetime]] = {}
        self.suppressed = 0
        self._sent: OrderedDict[tuple[str, str], deque[tuple[datetime, str]]] = OrderedDict()

    def _echo(self, who: str, message: ChatMessage) -> bool:
        """True for a received message that repeats what the child sent on the same site
        moments ago: many chat servers send a user's own messages back to them, and the
        child's words must not come back as "bullying received"."""
        key = (who, message.site)
        recent = self._sent.get(key)
        if recent is not None:
            while recent and message.at - recent[0][0] > self.rules.echo_window:
                recent.popleft()
        text = " ".join(message.text.split())
        if message.sent:
            if recent is None:
                recent = self._sent[key] = deque(maxlen=50)
                while len(self._sent) > self.rules.max_conversations:
                    self._sent.popitem(last=False)
            recent.append((message.at, text))
            return False
        return recent is not None and any(t == text for _at, t in recent)

    def _window(self, key: tuple[str, str]) -> GroomingWindow:
        window = self._windows.pop(key, None)
        if window is None:
            window = GroomingWindow(self.rules.grooming)
            while len(self._windows) >= self.rules.max_conversations:
                self._windows.popitem(last=False)
        self._windows[key] = window
        return window

    def assess(
        self, message: ChatMessage, abusive: float, threshold: float, mode: str
    ) -> list[AlertRecord]:
        """The alerts ``message`` raises for a profile watched in ``mode`` (none when off)."""
        if mode not in ("category", "excerpt"):
            return []
        who = message.device or message.ip
        if self._echo(who, message):
            return []
        found = message_kinds(message, abusive, threshold)
        # Grooming is what the other side does: count the peer's messages only.
        window = self._window((who, message.conversation))
        seen = window.add(message.at, () if message.sent else cues_in(message.text))
        if not message.sent and window.raised():
            found.append((AlertKind.GROOMING_SIGNS, len(seen) / 10, ", ".join(sorted(seen))))
        alerts = []
        for kind, score, detail in found:
            if not self._admit(who, message.conversation, kind, message.at):
                continue
            alerts.append(
                AlertRecord(
                    at=message.at,
                    device=message.device,
                    ip=message.ip,
                    profile=message.profile,
                    host=message.site,
                    conversation=message.conversation,
                    kind=kind.value,
                    score=round(float(score), 4),
                    excerpt=excerpt(message.text, self.rules.excerpt_chars)
                    if mode == "excerpt"
                    else "",
                    detail=detail,
                )
            )
        return alerts

    def _admit(self, who: str, conversation: str, kind: AlertKind, at: datetime) -> bool:
        """True when this alert is neither a repeat in its conversation nor over the
        device's hourly limit (and then counts it)."""
        key = (who, conversation, kind.value)
        last = self._last.get(key)
        if last is not None and at - last < self.rules.dedup:
            return False
        times = self._per_device.setdefault(who, deque())
        while times and at - times[0] >= timedelta(hours=1):
            times.popleft()
        if len(times) >= self.rules.per_device_hour:
            self.suppressed += 1
            return False
        times.append(at)
        self._last.pop(key, None)
        self._last[key] = at
        while len(self._last) > self.rules.max_conversations * 4:
            self._last.popitem(last=False)
        if len(self._per_device) > self.rules.max_conversations:
            self._per_device = {who: times}
        return True
