"""Loads the policy at start-up and swaps in a new snapshot whenever policy.db changes."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from mitmproxy import ctx, exceptions
from mitmproxy.addonmanager import Loader

from classifier.domains import DomainIndex, IndexFormatError
from policy.activity import ActivityStore
from policy.datadir import DataDir
from policy.engine import hotline_dir, load_illegal
from policy.snapshot import IllegalList, Snapshot
from policy.store import PolicyStore, StoreError, load_snapshot
from proxy_addons.state import ProxyState

__all__ = ["PolicyReload"]

log = logging.getLogger(__name__)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def _folder_stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Changes whenever a hotline list file is added, removed or rewritten."""
    try:
        entries = [(p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.txt")]
    except OSError:
        return ()
    return tuple(sorted(entries))


class PolicyReload:
    """Owns the policy connection; polls its version and swaps ``state.snapshot`` whole."""

    def __init__(self, state: ProxyState) -> None:
        self.state = state
        self.store: PolicyStore | None = None
        self.data: DataDir | None = None
        self.index: DomainIndex = DomainIndex.empty()
        self._index_stamp: tuple[int, int] | None = None
        self.illegal: tuple[IllegalList, ...] = ()
        self._hotline_stamp: tuple[tuple[str, int, int], ...] | None = None
        self._task: asyncio.Task[None] | None = None

    def load(self, loader: Loader) -> None:
        loader.add_option(
            "hearthguard_data_dir",
            str,
            os.environ.get("HEARTHGUARD_DATA_DIR", ""),
            "Hearthguard's data directory (policy.db, activity.db, CA, category index).",
        )
        loader.add_option(
            "hearthguard_poll", float, 1.0, "Seconds between checks of policy.db for changes."
        )
        loader.add_option(
            "hearthguard_dashboard", str, "", "The dashboard's address, linked from block pages."
        )

    def configure(self, updated: set[str]) -> None:
        if "hearthguard_dashboard" in updated:
            self.state.dashboard_url = ctx.options.hearthguard_dashboard
        if "hearthguard_data_dir" not in updated:
            return
        if not ctx.options.hearthguard_data_dir:
            log.error("hearthguard_data_dir is not set: every request is refused until it is.")
            return
        data = DataDir(Path(ctx.options.hearthguard_data_dir))
        try:
            store = PolicyStore(data.policy_db)
        except StoreError as exc:
            raise exceptions.OptionsError(str(exc)) from None
        if self.store is not None:
            self.store.close()
        self.store, self.data = store, data
        self.state.activity = ActivityStore(data.activity_db)
        self._open_index()
        self._open_hotlines()
        self.state.snapshot = self._load()

    def _open_index(self) -> None:
        assert self.data is not None
        stamp = _stamp(self.data.index)
        if stamp is None:
            self.index = DomainIndex.empty()
        else:
            try:
                self.index = DomainIndex.open(self.data.index)
            except (IndexFormatError, OSError) as exc:
                log.error(
                    "Category index %s unusable (%s); keeping the previous one.",
                    self.data.index,
                    exc,
                )
                return
        self._index_stamp = stamp

    def _open_hotlines(self) -> None:
        assert self.data is not None
        self._hotline_stamp = _folder_stamp(hotline_dir(self.data))
        self.illegal, problems = load_illegal(self.data)
        for problem in problems:
            log.error("%s", problem)

    def _load(self) -> Snapshot:
        assert self.store is not None
        return load_snapshot(self.store, index=self.index, illegal=self.illegal)

    def _poll_once(self) -> Snapshot | None:
        """Return a new snapshot when policy.db or the index changed, else None."""
        assert self.store is not None and self.data is not None
        index_changed = _stamp(self.data.index) != self._index_stamp
        if index_changed:
            self._open_index()
        hotlines_changed = _folder_stamp(hotline_dir(self.data)) != self._hotline_stamp
        if hotlines_changed:
            self._open_hotlines()
        current = self.state.snapshot
        unchanged = not (index_changed or hotlines_changed)
        if unchanged and current is not None and self.store.version() == current.version:
            return None
        return self._load()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(ctx.options.hearthguard_poll)
            try:
                snapshot = await asyncio.to_thread(self._poll_once)
            except Exception as exc:  # keep filtering with the last good snapshot
                log.error("Reloading the policy failed (%s); keeping the previous one.", exc)
                continue
            if snapshot is not None:
                self.state.snapshot = snapshot
                log.info("Policy reloaded (version %s).", snapshot.version)

    def running(self) -> None:
        self._task = asyncio.create_task(self._poll())

    def done(self) -> None:
        if self._task is not None:
            self._task.cancel()
