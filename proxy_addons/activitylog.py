"""Writes the proxy's queued activity to activity.db in batches, off the event loop."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import timedelta
from typing import Any

from classifier.household import Example
from policy.activitydb.records import DecisionEvent, DeviceSighting
from proxy_addons.state import ProxyState

__all__ = ["ActivityWriter"]

log = logging.getLogger(__name__)
_PRUNE_EVERY = timedelta(hours=6)
_Batch = tuple[list[DecisionEvent], list[DeviceSighting], int]


class ActivityWriter:
    def __init__(self, state: ProxyState) -> None:
        self.state = state
        self._task: asyncio.Task[None] | None = None

    def _write(self, batch: _Batch) -> bool:
        """Write one batch (in a worker thread); False when the database is busy, locked or
        full and the batch should be queued again. Any other error drops it, counted."""
        store = self.state.activity
        if store is None:
            return True
        try:
            store.write_batch(*batch)
        except sqlite3.OperationalError as exc:
            log.warning("Writing %d activity events waits: %s", len(batch[0]), exc)
            return False
        except Exception as exc:
            self.state.log.dropped += len(batch[0])
            log.error("Writing %d activity events failed: %s", len(batch[0]), exc)
        return True

    def flush(self) -> None:
        """Write whatever is queued, now (at shutdown; a batch the database refuses for being
        busy stays queued)."""
        if self.state.log:
            batch = self.state.log.take()
            if not self._write(batch):
                self.state.log.put_back(batch)
        self._write_learning(*self._take_learning())

    def _take_learning(self) -> tuple[list[Example], list[dict[str, Any]]]:
        taken = (self.state.pending_examples, self.state.pending_reviews)
        self.state.pending_examples, self.state.pending_reviews = [], []
        return taken

    def _write_learning(self, examples: list[Example], reviews: list[dict[str, Any]]) -> None:
        learning = self.state.learning
        if learning is None or not (examples or reviews):
            return
        try:
            learning.add_examples(examples)
            for review in reviews:
                learning.add_review(**review)
        except OSError as exc:
            log.error("Keeping pages for the classifier to learn from failed: %s", exc)

    def prune(self) -> None:
        """Delete activity older than the household's retention setting (policy.db)."""
        store, snapshot = self.state.activity, self.state.snapshot
        if store is not None and snapshot is not None:
            cutoff = self.state.now() - timedelta(days=snapshot.retention_days)
            store.prune(cutoff)
            if self.state.learning is not None:
                self.state.learning.prune_review(cutoff)

    async def _run(self) -> None:
        since_prune = _PRUNE_EVERY
        while True:
            await asyncio.sleep(self.state.options.flush)
            if self.state.log:
                # take the batch on the event loop, write it in a worker thread, and queue it
                # again on the event loop when the database could not take it yet
                batch = self.state.log.take()
                if not await asyncio.to_thread(self._write, batch):
                    self.state.log.put_back(batch)
            if self.state.pending_examples or self.state.pending_reviews:
                await asyncio.to_thread(self._write_learning, *self._take_learning())
            since_prune += timedelta(seconds=self.state.options.flush)
            if since_prune >= _PRUNE_EVERY:
                since_prune = timedelta(0)
                await asyncio.to_thread(self.prune)

    def running(self) -> None:
        self._task = asyncio.create_task(self._run())

    def done(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.flush()
