"""Loads the policy at start-up and swaps in a new snapshot whenever policy.db changes."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from pathlib import Path

from mitmproxy import ctx, exceptions
from mitmproxy.addonmanager import Loader

from classifier.domains import DomainIndex, IndexFormatError
from policy.activity import ActivityStore
from policy.datadir import DataDir
from policy.engine import CachedUrlModel, hotline_dir, load_household_models, load_illegal
from policy.learning import Learning
from policy.phraselists import load_phrase_scorer, phrases_file
from policy.snapshot import IllegalList, Snapshot
from policy.status import write_status
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


def _folder_stamp(folder: Path, pattern: str = "*.txt") -> tuple[tuple[str, int, int], ...]:
    """Changes whenever a matching file in ``folder`` is added, removed or rewritten
    (hotline lists; models retrained for the household)."""
    try:
        entries = [(p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob(pattern)]
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
        self.url_model: CachedUrlModel | None = None
        self._models_stamp: tuple[tuple[str, int, int], ...] | None = None
        self._phrases_stamp: tuple[int, int] | None = None
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
        loader.add_option(
            "hearthguard_models",
            bool,
            True,
            "Use the URL and page classifiers (off: category lists only, less memory).",
        )

    def configure(self, updated: set[str]) -> None:
        if "hearthguard_dashboard" in updated:
            self.state.dashboard_url = ctx.options.hearthguard_dashboard
        if "hearthguard_models" in updated and "hearthguard_data_dir" not in updated:
            if self.data is not None:
                self._open_models()
                self.state.snapshot = self._load()
            return
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
        self.state.trust_file = data.ca_trust
        self.state.learning = Learning(data.learning_dir)
        self._open_index()
        self._open_hotlines()
        self._open_models()
        self._open_phrases()
        self.state.snapshot = self._load()
        # Everything loaded so far lives as long as the process: keep the garbage collector
        # from walking the lists and models again and again under load.
        gc.collect()
        gc.freeze()

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
            # a warning, not an error: mitmproxy stops at start-up on any logged error, and a
            # damaged model or list line must degrade the filter, never stop it
            log.warning("%s", problem)

    def _open_models(self) -> None:
        """(Re)load the classifiers, preferring models retrained in ``<data>/models``."""
        assert self.data is not None
        self._models_stamp = _folder_stamp(self.data.models_dir, "*")
        if not ctx.options.hearthguard_models:
            self.url_model, self.state.page_model = None, None
            return
        models, problems = load_household_models(self.data, names=("url", "page"))
        for problem in problems:
            # a warning, not an error: mitmproxy stops at start-up on any logged error, and a
            # damaged model or list line must degrade the filter, never stop it
            log.warning("%s", problem)
        self.url_model = CachedUrlModel(models.url) if models.url is not None else None
        self.state.page_model = models.page
        write_status(self.data, problems=problems, models=models.sources)

    def _open_phrases(self) -> None:
        """The household's imported e2guardian phrase lists, if any."""
        assert self.data is not None
        self._phrases_stamp = _stamp(phrases_file(self.data))
        self.state.phrase_scorer, info, problem = load_phrase_scorer(self.data)
        if problem:
            log.warning("%s", problem)
        elif info is not None:
            log.info("Weighted phrase list: %d phrases from %s.", info.phrases, info.source)

    def _load(self) -> Snapshot:
        assert self.store is not None
        return load_snapshot(
            self.store, index=self.index, illegal=self.illegal, url_model=self.url_model
        )

    def _poll_once(self) -> Snapshot | None:
        """Return a new snapshot when policy.db or the index changed, else None."""
        assert self.store is not None and self.data is not None
        index_changed = _stamp(self.data.index) != self._index_stamp
        if index_changed:
            self._open_index()
        hotlines_changed = _folder_stamp(hotline_dir(self.data)) != self._hotline_stamp
        if hotlines_changed:
            self._open_hotlines()
        models_changed = _folder_stamp(self.data.models_dir, "*") != self._models_stamp
        if models_changed:
            self._open_models()
        if _stamp(phrases_file(self.data)) != self._phrases_stamp:
            self._open_phrases()
        current = self.state.snapshot
        unchanged = not (index_changed or hotlines_changed or models_changed)
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
