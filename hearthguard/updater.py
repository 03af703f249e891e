"""Keeps downloaded lists fresh while Hearthguard runs: ``hearthguard lists update``, daily.

The update runs as a separate process, so parsing millions of domains never touches the
proxy's event loop; the proxy notices the rebuilt index file and switches to it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import UTC, datetime, timedelta

from policy.datadir import DataDir
from policy.store import PolicyStore

__all__ = ["keep_lists_fresh", "update_due"]

log = logging.getLogger("hearthguard.lists")
_CHECK_EVERY = 600.0
_RUN_TIMEOUT = 3600.0


def update_due(data: DataDir, last_attempt: datetime | None, now: datetime) -> bool:
    """True when some URL list is older than the update interval and no attempt is recent.

    The interval is the setting ``list_update_hours`` (0 turns updates off).
    """
    store = PolicyStore(data.policy_db)
    try:
        hours = store.get_setting("list_update_hours")
        from_urls = [r for r in store.lists() if r.source.startswith(("http://", "https://"))]
    finally:
        store.close()
    if not hours or not from_urls:
        return False
    every = timedelta(hours=float(hours))
    if last_attempt is not None and now - last_attempt < every:
        return False
    oldest = min((r.updated_at for r in from_urls if r.updated_at), default=None)
    return oldest is None or now - oldest >= every


async def keep_lists_fresh(data: DataDir, check_every: float = _CHECK_EVERY) -> None:
    """Run ``hearthguard lists update`` whenever it is due; never raises."""
    last_attempt: datetime | None = None
    while True:
        await asyncio.sleep(check_every)
        now = datetime.now(UTC)
        try:
            due = await asyncio.to_thread(update_due, data, last_attempt, now)
        except Exception as exc:
            log.error("Could not check whether lists need updating: %s", exc)
            continue
        if not due:
            continue
        last_attempt = now
        log.info("Updating category lists.")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hearthguard",
            "lists",
            "update",
            "--data-dir",
            str(data.root),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            _, err = await asyncio.wait_for(process.communicate(), _RUN_TIMEOUT)
        except TimeoutError:
            process.kill()
            log.error("The list update took over an hour and was stopped.")
            continue
        if process.returncode:
            log.warning("List update: %s", err.decode(errors="replace").strip()[-500:])
        else:
            log.info("Category lists updated.")
