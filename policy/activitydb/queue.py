"""The proxy's in-memory queue of activity: decisions and device sightings wait here, on the
event loop, until the writer thread takes a batch for activity.db (``ActivityStore.write_batch``).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

from policy.activitydb.records import MAX_USER_AGENT, DecisionEvent, DeviceSighting

__all__ = ["MAX_QUEUE", "ActivityLog"]

MAX_QUEUE = 50_000


class ActivityLog:
    """The proxy's in-memory queue of events; ``take`` hands a batch to the writer thread.

    Bounded: past ``MAX_QUEUE`` queued decisions the oldest are dropped and counted, so a
    stalled disk can never grow the proxy's memory without limit.
    """

    def __init__(self, repeat_window: timedelta = timedelta(seconds=60)) -> None:
        self._decisions: list[DecisionEvent] = []
        self._sightings: dict[str, DeviceSighting] = {}
        self._hotline = 0
        # (device, host, action) -> when last queued, oldest first: what is older than the
        # window can no longer fold a repeat and is forgotten as new decisions come
        self._last: OrderedDict[tuple[str | None, str, str], datetime] = OrderedDict()
        self.repeat_window = repeat_window
        self.dropped = 0
        self._agents_known: set[str] = set()

    def decision(self, event: DecisionEvent) -> None:
        """Queue a decision; the same device, host and action within the window count once."""
        key = (event.ip, event.host, event.action)
        last = self._last.get(key)
        if last is not None and event.at - last < self.repeat_window:
            return
        self._last[key] = event.at
        self._last.move_to_end(key)
        horizon = event.at - self.repeat_window
        while self._last and (
            len(self._last) > MAX_QUEUE or next(iter(self._last.values())) <= horizon
        ):
            self._last.popitem(last=False)
        if len(self._decisions) >= MAX_QUEUE:
            del self._decisions[: MAX_QUEUE // 10]
            self.dropped += MAX_QUEUE // 10
        self._decisions.append(event)

    @property
    def remembered(self) -> int:
        """How many (device, host, action) keys are kept to fold repeats."""
        return len(self._last)

    def hotline_block(self) -> None:
        self._hotline += 1

    def sighting(self, sighting: DeviceSighting) -> None:
        old = self._sightings.get(sighting.ip)
        if old is not None:
            sighting = DeviceSighting(
                sighting.at,
                sighting.ip,
                sighting.mac or old.mac,
                sighting.user_agent or old.user_agent,
                old.tls_ok + sighting.tls_ok,
                old.tls_failed + sighting.tls_failed,
            )
        self._sightings[sighting.ip] = sighting

    def user_agent(self, ip: str, user_agent: str | None, at: datetime) -> None:
        """Record a device's browser the first time it is seen (cheap on every later request)."""
        if not user_agent or ip in self._agents_known:
            return
        if len(self._agents_known) >= MAX_QUEUE:
            self._agents_known.clear()
        self._agents_known.add(ip)
        self.sighting(DeviceSighting(at, ip, user_agent=user_agent[:MAX_USER_AGENT]))

    def take(self) -> tuple[list[DecisionEvent], list[DeviceSighting], int]:
        batch = (self._decisions, list(self._sightings.values()), self._hotline)
        self._decisions, self._sightings, self._hotline = [], {}, 0
        return batch

    def put_back(self, batch: tuple[list[DecisionEvent], list[DeviceSighting], int]) -> None:
        """Queue a batch the database could not take yet ahead of newer events, within the
        same bound (the oldest go first, counted)."""
        decisions, sightings, hotline = batch
        self._decisions = decisions + self._decisions
        excess = len(self._decisions) - MAX_QUEUE
        if excess > 0:
            del self._decisions[:excess]
            self.dropped += excess
        newer = self._sightings
        self._sightings = {}
        for sighting in [*sightings, *newer.values()]:
            self.sighting(sighting)
        self._hotline += hotline

    def __bool__(self) -> bool:
        return bool(self._decisions or self._sightings or self._hotline)
