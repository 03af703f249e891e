"""Tells parents what needs them: new ask-a-parent requests, chat alerts, a child's report,
lists that stopped updating, devices trying ways around the filter or online without it —
through the household's Apprise URLs, off the event loop.

A task polls activity.db and policy.db every few seconds in its own single worker thread
(so a notification service that hangs can hold up only other notifications, never the
proxy's own database work), builds notices (``policy.notify``) and sends them with a time
limit (``policy.notify_send``). In quiet hours notices wait and go out as one digest when
the hours end. Only what happens while the proxy runs is notified; nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from policy.activity import ActivityStore
from policy.datadir import DataDir
from policy.notify import (
    Notice,
    NotifySettings,
    digest,
    notice_for_alert,
    notice_for_bypass,
    notice_for_lists,
    notice_for_request,
    notice_for_unprotected,
)
from policy.notify_send import send
from policy.store import PolicyStore, StoreError
from proxy_addons.state import ProxyState

__all__ = ["Notifier"]

log = logging.getLogger(__name__)
_LIST_STALE = timedelta(days=7)
_LIST_CHECK_EVERY = timedelta(hours=1)
_NETWORK_EVERY = timedelta(minutes=5)
_MAX_WAITING = 200


class Notifier:
    def __init__(self, state: ProxyState) -> None:
        self.state = state
        self._store: PolicyStore | None = None
        self._alert_cursor = 0
        self._request_cursor = 0
        self._waiting: list[Notice] = []
        self._lists_told: set[str] = set()
        self._lists_checked: datetime | None = None
        self._network_checked: datetime | None = None
        self._told: set[tuple[str, str, str]] = set()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hg-notify")
        self._task: asyncio.Task[None] | None = None
        self.sent: list[Notice] = []  # the last few sent (tests, the log)

    def configure(self, updated: set[str]) -> None:
        if "hearthguard_data_dir" not in updated or not self.state.options.data_dir:
            return
        data = DataDir(Path(self.state.options.data_dir))
        try:
            self._store = PolicyStore(data.policy_db)
        except StoreError as exc:
            log.error("Notifications are off: %s", exc)
            self._store = None

    def _local(self, moment: datetime) -> datetime:
        snapshot = self.state.snapshot
        return moment.astimezone(snapshot.zone) if snapshot is not None else moment

    def _start_cursors(self) -> None:
        activity = self.state.activity
        if activity is not None:
            self._alert_cursor = activity.latest_alert_id()
            self._request_cursor = activity.latest_request_id()

    def _collect(self, now: datetime) -> list[Notice]:
        activity = self.state.activity
        found: list[Notice] = []
        if activity is None:
            return found
        for alert in activity.alerts_after(self._alert_cursor):
            self._alert_cursor = max(self._alert_cursor, alert.alert_id or 0)
            found.append(notice_for_alert(alert, self._local))
        for request in activity.requests_after(self._request_cursor):
            self._request_cursor = max(self._request_cursor, request.request_id)
            found.append(notice_for_request(request, self._local))
        found += self._network(activity, now)
        if self._store is not None and (
            self._lists_checked is None or now - self._lists_checked >= _LIST_CHECK_EVERY
        ):
            self._lists_checked = now
            stale = [
                record.name
                for record in self._store.lists()
                if record.last_error
                and record.updated_at is not None
                and now - record.updated_at >= _LIST_STALE
                and record.name not in self._lists_told
            ]
            if stale:
                self._lists_told.update(stale)
                found.append(notice_for_lists(stale))
        return found

    def _network(self, activity: ActivityStore, now: datetime) -> list[Notice]:
        """Devices trying ways around the filter, or online without it: once a day each
        (when this Hearthguard's activity log records them)."""
        if self._network_checked is not None and now - self._network_checked < _NETWORK_EVERY:
            return []
        self._network_checked = now
        day = now.date().isoformat()
        found: list[Notice] = []
        bypass_tries = getattr(activity, "bypass_tries", None)
        if callable(bypass_tries):
            for device, ip, tries, hosts in bypass_tries(now - timedelta(hours=1)):
                if (day, "bypass", ip) not in self._told:
                    self._told.add((day, "bypass", ip))
                    found.append(notice_for_bypass(device, ip, tries, hosts))
        unprotected = getattr(activity, "unprotected", None)
        if callable(unprotected):
            for ip, _last_dns, _last_proxy in unprotected(now):
                if (day, "unprotected", ip) not in self._told:
                    self._told.add((day, "unprotected", ip))
                    found.append(notice_for_unprotected(ip))
        if len(self._told) > 10_000:
            self._told = {t for t in self._told if t[0] == day}
        return found

    def poll_once(self, now: datetime | None = None) -> list[Notice]:
        """One round (in the notifier's worker thread): collect, then send or hold; returns
        what was sent. ``now`` (UTC) is for tests."""
        if self._store is None:
            return []
        now = now or datetime.now(UTC)
        settings = NotifySettings.from_settings(self._store.get_setting)
        fresh = [n for n in self._collect(now) if settings.wants(n.kind)]
        self._waiting = (self._waiting + fresh)[-_MAX_WAITING:]
        if not self._waiting or settings.quiet_now(self._local(now)):
            return []
        waiting, self._waiting = self._waiting, []
        notices = waiting if len(waiting) <= 3 else [digest(waiting)]
        timeout = float(max(1, self.state.options.notify_timeout))
        sent = []
        for notice in notices:
            if send(settings.urls, notice, timeout=timeout):
                sent.append(notice)
        self.sent = (self.sent + sent)[-20:]
        return sent

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._start_cursors)
        while True:
            await asyncio.sleep(max(50, self.state.options.notify_poll_ms) / 1000)
            try:
                await loop.run_in_executor(self._executor, self.poll_once)
            except Exception as exc:  # notifications must never stop the proxy
                log.error("Notifying parents failed (%s: %s).", type(exc).__name__, exc)

    def running(self) -> None:
        self._task = asyncio.create_task(self._run())

    def done(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._store is not None:
            self._store.close()
