"""Loads the policy at start-up and swaps in a new snapshot whenever policy.db or a file it
decides with changes.

How each file is loaded is ``policy.engine``'s (and ``policy.phraselists``' for the phrase
lists); this addon decides when (a part's stamp changed), keeps filtering with what it has
when a part cannot be loaded, and says why in status.json for the dashboard.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from mitmproxy import exceptions

from classifier.lists.index import DomainIndex
from policy.activity import ActivityStore
from policy.datadir import DataDir
from policy.engine import CachedUrlModel, Stamps, load_classifiers, load_illegal, stamps
from policy.indexhealth import UnavailableIndex, open_category_index
from policy.learning import Learning
from policy.phraselists import load_phrase_scorer
from policy.snapshot import CategoryIndex, IllegalList, Snapshot
from policy.status import write_status
from policy.store import PolicyStore, StoreError, load_snapshot
from proxy_addons.indexrepair import IndexRepair
from proxy_addons.state import ProxyState

__all__ = ["PolicyReload"]

log = logging.getLogger(__name__)

#: Before anything is loaded: every part differs from what is on disk.
_NOTHING = Stamps(index=None, hotlines=(), models=(), phrases=None)


class PolicyReload:
    """Owns the policy connection; polls its version and swaps ``state.snapshot`` whole."""

    def __init__(self, state: ProxyState) -> None:
        self.state = state
        self.store: PolicyStore | None = None
        self.data: DataDir | None = None
        self.index: CategoryIndex = DomainIndex.empty()
        self.illegal: tuple[IllegalList, ...] = ()
        self.url_model: CachedUrlModel | None = None
        #: the stamps of the files each part was last loaded from
        self._loaded = _NOTHING
        #: what could not be loaded, by part ("index", "models", ...), for status.json
        self._problems: dict[str, tuple[str, ...]] = {}
        self._model_sources: dict[str, str] = {}
        self._repair = IndexRepair()
        self._task: asyncio.Task[None] | None = None

    def configure(self, updated: set[str]) -> None:
        if "hearthguard_models" in updated and "hearthguard_data_dir" not in updated:
            if self.data is not None:
                self._open_models(stamps(self.data))
                self.state.snapshot = self._load()
            return
        if "hearthguard_data_dir" not in updated:
            return
        if not self.state.options.data_dir:
            log.error("hearthguard_data_dir is not set: every request is refused until it is.")
            return
        data = DataDir(Path(self.state.options.data_dir))
        try:
            store = PolicyStore(data.policy_db)
        except StoreError as exc:
            raise exceptions.OptionsError(str(exc)) from None
        if self.store is not None:
            self.store.close()
        self.store, self.data = store, data
        self.state.activity = self._open_activity()
        self.state.trust_file = data.ca_trust
        self.state.learning = Learning(data.learning_dir)
        now = stamps(data)
        self._open_index(now)
        self._open_hotlines(now)
        self._open_models(now)
        self._open_phrases(now)
        self.state.snapshot = self._load()
        # Everything loaded so far lives as long as the process: keep the garbage collector
        # from walking the lists and models again and again under load.
        gc.collect()
        gc.freeze()

    # -- the parts ----------------------------------------------------------------------

    def _open_index(self, now: Stamps) -> None:
        """Open the category index; a damaged or missing one is reported and rebuilt from the
        list files on disk in a child process. Meanwhile a sound index mapped before (from
        another file) stays in use; otherwise every lookup fails and requests are blocked
        with the "could not check" page, never let through as "no list names it"."""
        assert self.data is not None
        previous = self._loaded.index
        self._loaded = replace(self._loaded, index=now.index)
        index, problem = open_category_index(self.data, self.store)
        if problem is None:
            self.index = index
            self._report("index", ())
            return
        rewritten_in_place = (
            now.index is not None and previous is not None and now.index[0] == previous[0]
        )
        if isinstance(self.index, DomainIndex) and len(self.index) and not rewritten_in_place:
            # the old file is still mapped and sound (a rebuild replaces the file, never
            # rewrites it), so it keeps deciding until the rebuilt index arrives
            message = f"{problem} The previous index is used until it is rebuilt."
        else:
            self.index = UnavailableIndex(problem)
            message = (
                f"{problem} Until it is rebuilt, requests the category lists would judge are "
                "blocked with the “could not check” page."
            )
        # a warning, not an error: mitmproxy stops at start-up on any logged error
        log.warning("%s", message)
        self._report("index", (message,))
        if self.state.options.index_repair and self._repair.start(self.data.root, now.index):
            log.warning("Rebuilding the category index from the list files on disk.")

    def _check_repair(self) -> None:
        """Report a rebuild that failed; a rebuild that worked shows as a new index file."""
        message = self._repair.failure()
        if message is not None:
            log.error("%s", message)
            self._report("index", (*self._problems.get("index", ()), message))

    def _open_hotlines(self, now: Stamps) -> None:
        assert self.data is not None
        self._loaded = replace(self._loaded, hotlines=now.hotlines)
        self.illegal, problems = load_illegal(self.data)
        self._warn_each("hotlines", problems)

    def _open_models(self, now: Stamps) -> None:
        """(Re)load the classifiers, preferring models retrained in ``<data>/models``."""
        assert self.data is not None
        self._loaded = replace(self._loaded, models=now.models)
        if not self.state.options.models:
            self.url_model, self.state.page_model = None, None
            return
        classifiers = load_classifiers(self.data)
        self.url_model, self.state.page_model = classifiers.url_model, classifiers.page_model
        self._model_sources = dict(classifiers.sources)
        self._warn_each("models", classifiers.problems)

    def _open_phrases(self, now: Stamps) -> None:
        """The household's imported e2guardian phrase lists, if any."""
        assert self.data is not None
        self._loaded = replace(self._loaded, phrases=now.phrases)
        self.state.phrase_scorer, info, problem = load_phrase_scorer(self.data)
        self._report("phrases", (problem,) if problem else ())
        if problem:
            log.warning("%s", problem)
        elif info is not None:
            log.info("Weighted phrase list: %d phrases from %s.", info.phrases, info.source)

    def _open_activity(self) -> ActivityStore | None:
        """activity.db for the log. A damaged one is moved aside (kept, and reported) and a
        new one started; one that cannot be opened now (locked, disk full) leaves the proxy
        filtering without a log until a later poll opens it."""
        assert self.data is not None
        path = self.data.activity_db
        try:
            store = ActivityStore(path)
        except sqlite3.OperationalError as exc:
            self._warn(
                "activity",
                f"The activity log {path} cannot be opened now ({exc}); filtering goes on, "
                "and logging starts when it can.",
            )
            return None
        except sqlite3.DatabaseError as exc:
            kept = path.with_name(f"{path.name}.damaged-{datetime.now(UTC):%Y%m%d-%H%M%S}")
            try:
                for suffix in ("", "-wal", "-shm"):
                    old = path.with_name(path.name + suffix)
                    if old.exists():
                        os.replace(old, kept.with_name(kept.name + suffix))
                store = ActivityStore(path)
            except (OSError, sqlite3.DatabaseError) as again:
                self._warn(
                    "activity",
                    f"The activity log {path} is damaged ({exc}) and no new one could be "
                    f"started ({again}); filtering goes on without a log.",
                )
                return None
            self._warn(
                "activity",
                f"The activity log {path} was damaged ({exc}); it is kept as {kept.name} and "
                "a new log was started.",
            )
            return store
        if self._problems.get("activity") and "was damaged" not in self._problems["activity"][0]:
            self._report("activity", ())
        return store

    # -- what could not be loaded --------------------------------------------------------

    def _report(self, part: str, problems: tuple[str, ...]) -> None:
        """Record what ``part`` could not load and rewrite status.json for the dashboard."""
        assert self.data is not None
        self._problems[part] = problems
        everything = tuple(p for found in self._problems.values() for p in found)
        try:
            write_status(self.data, problems=everything, models=self._model_sources)
        except OSError as exc:
            log.warning("Could not write %s/status.json (%s).", self.data.root, exc)

    def _warn(self, part: str, message: str) -> None:
        """Log and report a problem of ``part`` once (not again on every poll)."""
        if self._problems.get(part) != (message,):
            # a warning, not an error: mitmproxy stops at start-up on any logged error
            log.warning("%s", message)
            self._report(part, (message,))

    def _warn_each(self, part: str, problems: tuple[str, ...]) -> None:
        """Log each problem of a part just loaded and report them (none clears the part)."""
        for problem in problems:
            # a warning, not an error: mitmproxy stops at start-up on any logged error, and a
            # damaged model or list line must degrade the filter, never stop it
            log.warning("%s", problem)
        self._report(part, problems)

    # -- the snapshot ---------------------------------------------------------------------

    def _load(self) -> Snapshot:
        assert self.store is not None
        return load_snapshot(
            self.store, index=self.index, illegal=self.illegal, url_model=self.url_model
        )

    def _poll_once(self) -> Snapshot | None:
        """Return a new snapshot when policy.db or a file it decides with changed, else None."""
        assert self.store is not None and self.data is not None
        self._check_repair()
        if self.state.activity is None:
            self.state.activity = self._open_activity()
        now, loaded = stamps(self.data), self._loaded
        if now.index != loaded.index:
            self._open_index(now)
        if now.hotlines != loaded.hotlines:
            self._open_hotlines(now)
        if now.models != loaded.models:
            self._open_models(now)
        if now.phrases != loaded.phrases:
            self._open_phrases(now)
        current = self.state.snapshot
        files_changed = (now.index, now.hotlines, now.models) != (
            loaded.index,
            loaded.hotlines,
            loaded.models,
        )
        if not files_changed and current is not None and self.store.version() == current.version:
            return None
        return self._load()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.state.options.poll)
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
