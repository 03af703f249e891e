"""Chat watch: chat text the proxy decrypts becomes alerts for parents — never a block.

The hooks only copy a size-capped piece of text into a bounded queue (a dictionary lookup
and a slice on the event loop); a worker thread extracts the messages
(``policy.alerts_capture``), scores them with the chat model in one batch, asks
``policy.alerts.ChatSafety`` which alerts they raise, and stores those in activity.db.
Messages always pass unchanged. Profiles whose chat watch is off (teen and adult by
default; the ``chat_watch`` setting) are not read at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mitmproxy import http

from classifier.models.chat import ChatModel
from classifier.models.text import decompress_capped
from policy.activitydb.records import AlertRecord
from policy.alerts import ChatMessage, ChatSafety, parse_chat_watch, watch_mode
from policy.alerts_capture import MAX_BODY, from_body, from_websocket, is_chat_post
from policy.bounded import BoundedCache
from policy.datadir import DataDir
from policy.engine import load_household_models
from policy.store import PolicyStore, StoreError
from proxy_addons.httpfilter import flow_host
from proxy_addons.state import ProxyState, client_ip

__all__ = ["ChatWatch", "MAX_QUEUE"]

log = logging.getLogger(__name__)
MAX_QUEUE = 2000
#: Text and bodies waiting for the worker, at most (the oldest are dropped past this).
MAX_QUEUE_BYTES = 4 * 1024 * 1024
#: What the hook copies of one WebSocket frame (characters).
_FRAME_CAP = 8 * 1024
#: Memory for the scores of messages seen lately (about 3,000 short messages).
_CACHE_BYTES = 1024 * 1024
_FORMS = ("application/json", "application/x-www-form-urlencoded")


@dataclass(frozen=True, slots=True)
class _Raw:
    """What a hook queued: one frame or body, not yet read."""

    at: datetime
    ip: str
    host: str
    path: str
    sent: bool
    frame: str | None = None
    body: bytes | None = None
    content_type: str = ""


class ChatWatch:
    def __init__(self, state: ProxyState, safety: ChatSafety | None = None) -> None:
        self.state = state
        self.safety = safety or ChatSafety()
        self.model: ChatModel | None = None
        self.threshold = 0.5
        self.dropped = 0
        self.scored = 0
        self._queue: deque[_Raw] = deque()
        self._queued_bytes = 0
        self._cache: BoundedCache[str, float] = BoundedCache(_CACHE_BYTES)
        self._store: PolicyStore | None = None
        self._model_data: DataDir | None = None  # set until the chat model is loaded
        self._overrides: dict[str, str] = {}
        self._overrides_version: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None

    def configure(self, updated: set[str]) -> None:
        if "hearthguard_data_dir" not in updated or not self.state.options.data_dir:
            return
        data = DataDir(Path(self.state.options.data_dir))
        try:
            self._store = PolicyStore(data.policy_db)
        except StoreError as exc:
            log.error("Chat watch cannot read the policy (%s); no chat alerts.", exc)
            self._store = None
        # the chat model is loaded when the first message is scored: a household whose
        # children never chat through the proxy does not carry it
        self._model_data = data
        self.model = None
        self._read_overrides()

    def _load_model(self) -> None:
        """Load the household's chat model once, at the first message to score (worker
        thread); a missing or damaged one is a warning and leaves scores at 0."""
        data, self._model_data = self._model_data, None
        if data is None or self.model is not None:
            return
        models, problems = load_household_models(data, names=("chat",))
        for problem in problems:
            # a warning: a missing chat model must never stop the filter
            log.warning("%s", problem)
        self.model = models.chat
        if self.model is not None:
            self.threshold = float(self.model.threshold)

    # -- hooks: copy and queue, nothing else -------------------------------------------

    def mode_for(self, ip: str) -> str:
        """The chat-watch mode of the device at ``ip`` (off, category or excerpt)."""
        snapshot = self.state.snapshot
        if snapshot is None or not self.state.options.chat_watch:
            return "off"
        profile, _device = snapshot.profile_for(ip)
        return watch_mode(profile.name, profile.preset, self._overrides)

    def _queue_raw(self, raw: _Raw) -> None:
        size = len(raw.frame or "") + len(raw.body or b"")
        while self._queue and (
            len(self._queue) >= MAX_QUEUE or self._queued_bytes + size > MAX_QUEUE_BYTES
        ):
            old = self._queue.popleft()
            self._queued_bytes -= len(old.frame or "") + len(old.body or b"")
            self.dropped += 1
        self._queue.append(raw)
        self._queued_bytes += size
        if self._wake is not None:
            self._wake.set()

    # An error here must not close the conversation (chat watch never blocks): it is logged
    # and the message goes on unread. No filtering decision is made in these hooks.

    def websocket_message(self, flow: http.HTTPFlow) -> None:
        try:
            self._copy_frame(flow)
        except Exception as exc:  # noqa: BLE001
            log.error("Chat watch could not copy a message (%s).", type(exc).__name__)

    def request(self, flow: http.HTTPFlow) -> None:
        try:
            self._copy_post(flow)
        except Exception as exc:  # noqa: BLE001
            log.error("Chat watch could not copy a form (%s).", type(exc).__name__)

    def _copy_frame(self, flow: http.HTTPFlow) -> None:
        if flow.websocket is None or not flow.websocket.messages:
            return
        message = flow.websocket.messages[-1]
        if not message.is_text:
            return
        ip = client_ip(flow.client_conn)
        if self.mode_for(ip) == "off":
            return
        frame = message.content[: _FRAME_CAP * 4].decode("utf-8", "replace")[:_FRAME_CAP]
        self._queue_raw(
            _Raw(
                self.state.now(),
                ip,
                flow_host(flow),
                flow.request.path,
                message.from_client,
                frame=frame,
            )
        )

    def _copy_post(self, flow: http.HTTPFlow) -> None:
        if flow.response or flow.error or not flow.live or flow.request.method != "POST":
            return
        request = flow.request
        content_type = request.headers.get("content-type", "")
        if content_type.partition(";")[0].strip().lower() not in _FORMS:
            return
        raw = request.raw_content
        if not raw or len(raw) > MAX_BODY:
            return
        host = flow_host(flow)
        if (
            not is_chat_post(host, request.path)
            or self.mode_for(client_ip(flow.client_conn)) == "off"
        ):
            return
        encoding = request.headers.get("content-encoding")
        # decoded with a cap: a compressed bomb posted to a chat path must not inflate here
        body = decompress_capped(raw, encoding, MAX_BODY) if encoding else raw
        self._queue_raw(
            _Raw(
                self.state.now(),
                client_ip(flow.client_conn),
                host,
                request.path,
                True,
                body=body[:MAX_BODY],
                content_type=content_type,
            )
        )

    # -- the worker ----------------------------------------------------------------------

    def _read_overrides(self) -> None:
        """The parents' per-profile choices (the ``chat_watch`` setting), re-read when the
        policy changes; a damaged value keeps the presets' defaults."""
        snapshot = self.state.snapshot
        version = snapshot.version if snapshot is not None else None
        if self._store is None or version == self._overrides_version:
            return
        try:
            self._overrides = parse_chat_watch(str(self._store.get_setting("chat_watch")))
        except Exception as exc:  # noqa: BLE001
            log.error("The chat_watch setting is unreadable (%s); using the presets.", exc)
            self._overrides = {}
        self._overrides_version = version

    def _messages(self, raw: _Raw) -> list[ChatMessage]:
        snapshot = self.state.snapshot
        if snapshot is None:
            return []
        if raw.frame is not None:
            captured = from_websocket(raw.host, raw.frame)
        else:
            captured = from_body(raw.host, raw.path, raw.content_type, raw.body or b"")
        if captured is None:
            return []
        profile, device = snapshot.profile_for(raw.ip)
        return [
            ChatMessage(
                raw.at,
                raw.ip,
                device.name if device else None,
                profile.name,
                raw.host,
                captured.peer,
                raw.sent,
                text,
            )
            for text in captured.texts
        ]

    def process(self, batch: list[_Raw]) -> list[AlertRecord]:
        """Read, score and judge queued frames and bodies; store and return the alerts.
        Runs in a worker thread."""
        self._read_overrides()
        snapshot = self.state.snapshot
        if snapshot is None:
            return []
        messages = [m for raw in batch for m in self._messages(raw)]
        if not messages:
            return []
        scores = self._scores([m.text for m in messages])
        alerts: list[AlertRecord] = []
        for message, score in zip(messages, scores, strict=True):
            profile, _ = snapshot.profile_for(message.ip)
            mode = watch_mode(profile.name, profile.preset, self._overrides)
            alerts += self.safety.assess(message, float(score), self.threshold, mode)
        self.scored += len(messages)
        store = self.state.activity
        if alerts and store is not None:
            store.add_alerts(alerts)
        return alerts

    def _scores(self, texts: list[str]) -> list[float]:
        """P(abusive) per text (0 without a chat model); texts seen lately (a server's echo,
        "lol", "gg") are not scored again."""
        self._load_model()
        if self.model is None:
            return [0.0] * len(texts)
        known = {t: s for t in texts if (s := self._cache.get(t)) is not None}
        new = list(dict.fromkeys(t for t in texts if t not in known))
        if new:
            for text, score in zip(new, self.model.predict_proba(new), strict=True):
                known[text] = float(score)
                self._cache.put(text, known[text])
        return [known[t] for t in texts]

    def _take(self) -> list[_Raw]:
        batch = list(self._queue)
        self._queue.clear()
        self._queued_bytes = 0
        return batch

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=2.0)
            self._wake.clear()
            snapshot = self.state.snapshot
            if snapshot is not None and snapshot.version != self._overrides_version:
                await asyncio.to_thread(self._read_overrides)
            await asyncio.sleep(0.05)  # let a burst of frames arrive, then read them together
            batch = self._take()
            if not batch:
                continue
            try:
                await asyncio.to_thread(self.process, batch)
            except Exception as exc:  # the conversation is never touched; the parent is not told
                log.error("Chat watch could not read %d messages (%s).", len(batch), exc)

    def running(self) -> None:
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    def done(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._store is not None:
            self._store.close()
