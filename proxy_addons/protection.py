"""Which way each device's traffic goes: DNS queries only, or through the filter.

A device that asks Hearthguard's DNS but sends nothing through the proxy (explicit,
transparent or WireGuard) is on the network without being filtered beyond its names: the
proxy setting was switched off, or its apps ignore it. ``PathWatch`` notes, per client address,
the last DNS query and the last proxied connection, and writes them to activity.db every
``hearthguard_flush`` * 30 seconds, off the event loop; the dashboard shows such devices as
"not protected" (``ActivityStore.unprotected``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from mitmproxy import connection
from mitmproxy.proxy import mode_specs

from proxy_addons.state import ProxyState, client_ip

__all__ = ["PathWatch"]

log = logging.getLogger(__name__)
_MAX_DEVICES = 10_000
_WRITES_EVERY = 30  # flush intervals


class PathWatch:
    def __init__(self, state: ProxyState) -> None:
        self.state = state
        self.seen: dict[str, tuple[datetime | None, datetime | None]] = {}
        self._task: asyncio.Task[None] | None = None

    def client_connected(self, client: connection.Client) -> None:
        if client.error:  # refused (not on the LAN): it is not using Hearthguard at all
            return
        ip = client_ip(client)
        now = self.state.now()
        last_dns, last_proxy = self.seen.get(ip, (None, None))
        if isinstance(client.proxy_mode, mode_specs.DnsMode):
            last_dns = now
        else:
            last_proxy = now
        if ip not in self.seen and len(self.seen) >= _MAX_DEVICES:
            return  # bounded; written and emptied every half minute
        self.seen[ip] = (last_dns, last_proxy)

    def take(self) -> list[tuple[str, datetime | None, datetime | None]]:
        """What was seen since the last call (on the event loop), and forget it."""
        taken, self.seen = self.seen, {}
        return [(ip, d, p) for ip, (d, p) in taken.items()]

    def write(self, rows: list[tuple[str, datetime | None, datetime | None]]) -> None:
        """Write ``rows`` to activity.db (off the event loop); an error is logged, never raised."""
        store = self.state.activity
        if store is None or not rows:
            return
        try:
            store.record_paths(rows)
        except Exception as exc:  # noqa: BLE001 - a full disk must not stop the proxy
            log.error("Recording which devices use the filter failed: %s", exc)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.state.options.flush * _WRITES_EVERY)
            if self.seen:
                await asyncio.to_thread(self.write, self.take())

    def running(self) -> None:
        self._task = asyncio.create_task(self._run())

    def done(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.write(self.take())
