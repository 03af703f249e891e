"""The household's category lists: import, update and compile them into the domain index.

Each imported source (a file, a folder, an archive or a URL) is kept as fetched in
``<data>/lists/<id>/`` with a ``source.json`` describing it. Every change rebuilds the one
compiled index (``categories.idx``) from all sources, atomically, so a running proxy switches
to it without a gap. A failed fetch, a damaged archive or a list that shrank by more than half
never replaces the last good copy: the error is recorded and reported instead.

Which source owns a list name is recorded in policy.db (``lists`` table); when two sources
produce the same name (the bundled ``ut1/adult`` and a downloaded full UT1, say), the one
imported last owns it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from classifier.lists.fetch import FetchError, ProgressCallback, fetch, shrink_problem
from classifier.lists.formats import parse_path
from classifier.lists.index import IndexStats, build_index
from classifier.lists.parsed import ListFormatError, ParsedList, Rejection
from policy.datadir import DataDir
from policy.policydb.lists import ListRecord
from policy.store import PolicyStore

__all__ = [
    "ImportReport",
    "ListError",
    "ListLibrary",
    "ListSummary",
    "StoredSource",
    "UpdateOutcome",
]

_META = "source.json"


class ListError(Exception):
    """A list could not be imported or updated; the previous copy is untouched."""


@dataclass(frozen=True)
class StoredSource:
    """One imported source as kept on disk."""

    folder: Path
    source: str
    format: str
    category: str | None
    name: str | None
    parse_path: str
    fetched_at: str

    @property
    def is_url(self) -> bool:
        return self.source.startswith(("http://", "https://"))

    def parse(self) -> list[ParsedList]:
        return parse_path(
            self.folder / "content" / self.parse_path,
            format=self.format,
            category=self.category,
            name=self.name,
        )


@dataclass(frozen=True)
class ListSummary:
    """What an import says of one list it produced: its name, category, how many entries it
    has and which lines it rejected (the entries themselves are not kept: a list of millions
    of domains must not stay in memory while the index is built)."""

    name: str
    category: str
    entries: int
    rejected_total: int
    rejected: tuple[Rejection, ...]

    @classmethod
    def of(cls, parsed: ParsedList) -> ListSummary:
        return cls(
            parsed.name, parsed.category, parsed.entries, parsed.rejected_total, parsed.rejected
        )


@dataclass(frozen=True)
class ImportReport:
    """What an import did: the lists it produced, what was refused, the rebuilt index."""

    source: str
    lists: tuple[ListSummary, ...]
    refused_members: int
    index: IndexStats
    content_root: Path
    replaced: tuple[str, ...] = ()

    def rejection_lines(self, per_list: int = 5) -> list[str]:
        """Human-readable rejected lines: ``file:line: reason (excerpt)``, a few per list."""
        out = []
        for parsed in self.lists:
            if not parsed.rejected_total:
                continue
            out.append(f"{parsed.name}: {parsed.rejected_total} lines rejected")
            for r in parsed.rejected[:per_list]:
                out.append(f"  {_relative(r, self.content_root)}: {r.reason} ({r.excerpt})")
        return out


@dataclass(frozen=True)
class UpdateOutcome:
    source: str
    report: ImportReport | None = None
    error: str | None = None


def _relative(rejection: Rejection, root: Path) -> str:
    path = Path(rejection.path)
    try:
        shown = path.relative_to(root)
    except ValueError:
        shown = Path(path.name)
    return f"{shown}:{rejection.line_no}" if rejection.line_no else str(shown)


def _source_id(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _normal_source(source: str | Path) -> str:
    text = str(source)
    if text.startswith(("http://", "https://")):
        return text
    return str(Path(text).expanduser().resolve())


class ListLibrary:
    """Imports, updates and compiles the household's lists (one writer at a time)."""

    def __init__(self, data: DataDir, store: PolicyStore) -> None:
        self.data = data
        self.store = store
        self.root = data.lists_dir

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One import or update at a time, across processes (CLI, scheduled updater)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- reading ------------------------------------------------------------------------

    def sources(self) -> list[StoredSource]:
        """Every stored source, oldest import first (then by source)."""
        found: list[StoredSource] = []
        if not self.root.is_dir():
            return found
        for folder in sorted(self.root.iterdir()):
            meta = folder / _META
            if folder.name.startswith(".") or not meta.is_file():
                continue
            info = json.loads(meta.read_text())
            found.append(
                StoredSource(
                    folder,
                    info["source"],
                    info["format"],
                    info.get("category"),
                    info.get("name"),
                    info["parse_path"],
                    info["fetched_at"],
                )
            )
        # ties (a first start imports every bundled list within one second) go by source,
        # never by the folder's random name: the same lists give the same index everywhere
        return sorted(found, key=lambda s: (s.fetched_at, s.source))

    # -- importing ----------------------------------------------------------------------

    def import_source(
        self,
        source: str | Path,
        *,
        format: str = "auto",
        category: str | None = None,
        name: str | None = None,
        progress: ProgressCallback | None = None,
        force: bool = False,
        actor: str = "cli",
    ) -> ImportReport:
        """Fetch, check and keep ``source``, then rebuild the index. Raises `ListError`.

        Without ``force``, a list that has less than half the entries of the copy it would
        replace is refused, and nothing changes.
        """
        with self._exclusive():
            return self._import(
                text=_normal_source(source),
                format=format,
                category=category,
                name=name,
                progress=progress,
                force=force,
                actor=actor,
            )

    def _import(
        self,
        *,
        text: str,
        format: str,
        category: str | None,
        name: str | None,
        progress: ProgressCallback | None,
        force: bool,
        actor: str,
        rebuild: bool = True,
    ) -> ImportReport:
        incoming = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.root))
        try:
            try:
                result = fetch(text, incoming / "content", progress=progress)
            except (FetchError, OSError) as exc:
                raise ListError(str(exc)) from None
            try:
                parsed = parse_path(result.path, format=format, category=category, name=name)
            except (ListFormatError, OSError) as exc:
                # name the source the parent gave, not the temporary copy
                raise ListError(str(exc).replace(str(result.path), text)) from None
            if not parsed or not any(p.entries for p in parsed):
                raise ListError(f"{text}: no usable entries were found; nothing was changed")
            if not force:
                self._check_shrink(parsed)
            folder = self.root / _source_id(text)
            meta = {
                "source": text,
                "format": format,
                "category": category,
                "name": name,
                "parse_path": str(result.path.relative_to(incoming / "content")),
                "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            (incoming / _META).write_text(json.dumps(meta, indent=1))
            self._swap_in(incoming, folder)
        finally:
            shutil.rmtree(incoming, ignore_errors=True)
        replaced = self._record(text, format, category, parsed, actor)
        summaries = tuple(ListSummary.of(p) for p in parsed)
        del parsed  # the index is built from the stored copy, one source at a time
        stats = self._rebuild_index() if rebuild else IndexStats(0, 0, 0, 0, 0.0)
        self._forget_orphans()
        return ImportReport(
            text, summaries, result.refused_total, stats, folder / "content", replaced
        )

    def _check_shrink(self, parsed: Iterable[ParsedList]) -> None:
        records = {r.name: r for r in self.store.lists()}
        problems = []
        for p in parsed:
            old = records.get(p.name)
            if old is not None:
                problem = shrink_problem(old.entries, p.entries)
                if problem:
                    problems.append(f"{p.name}: {problem}")
        if problems:
            raise ListError(
                "refused: " + "; ".join(problems) + " (use --force to accept it anyway)"
            )

    @staticmethod
    def _swap_in(incoming: Path, folder: Path) -> None:
        old = folder.with_name(f".old-{folder.name}")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        incoming.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    def _record(
        self,
        source: str,
        format: str,
        category: str | None,
        parsed: list[ParsedList],
        actor: str,
    ) -> tuple[str, ...]:
        now = datetime.now(UTC)
        before = {r.name: r for r in self.store.lists()}
        taken_over = tuple(
            p.name for p in parsed if p.name in before and before[p.name].source != source
        )
        for p in parsed:
            self.store.upsert_list(
                ListRecord(
                    name=p.name,
                    source=source,
                    format=p.format if format == "auto" else format,
                    category=p.category,
                    enabled=before[p.name].enabled if p.name in before else True,
                    entries=p.entries,
                    rejected=p.rejected_total,
                    updated_at=now,
                    last_error=None,
                ),
                actor=actor,
            )
        names = {p.name for p in parsed}
        for record in before.values():
            if record.source == source and record.name not in names:
                self.store.delete_list(record.name, actor=actor)
        return taken_over

    def _forget_orphans(self) -> None:
        """Remove stored sources that no longer own any list."""
        owners = {r.source for r in self.store.lists()}
        for stored in self.sources():
            if stored.source not in owners:
                shutil.rmtree(stored.folder, ignore_errors=True)

    def import_defaults(self, sources: Iterable[Path]) -> IndexStats:
        """Import the bundled default lists (offline), then compile the index once."""
        with self._exclusive():
            for path in sources:
                self._import(
                    text=_normal_source(path),
                    format="auto",
                    category=None,
                    name=None,
                    progress=None,
                    force=True,
                    actor="init",
                    rebuild=False,
                )
            return self._rebuild_index()

    # -- compiling ----------------------------------------------------------------------

    def rebuild_index(self) -> IndexStats:
        """Compile every enabled list into ``categories.idx`` (atomically replaced)."""
        with self._exclusive():
            return self._rebuild_index()

    def _rebuild_index(self) -> IndexStats:
        return build_index(self._enabled_lists(), self.data.index)

    def _enabled_lists(self) -> Iterator[ParsedList]:
        """The enabled lists, parsed from their stored copies one source at a time (so only
        one source's entries are in memory while the index takes their keys)."""
        owners = {r.name: r for r in self.store.lists()}
        for stored in self.sources():
            for parsed in stored.parse():
                record = owners.get(parsed.name)
                if record is not None and record.source == stored.source and record.enabled:
                    yield parsed

    # -- updating -----------------------------------------------------------------------

    def _list_named(self, name: str) -> ListRecord:
        for record in self.store.lists():
            if record.name == name:
                return record
        raise ListError(
            f"There is no list called “{name}” (`hearthguard lists status` names them)."
        )

    def remove(self, name: str, *, actor: str = "system") -> IndexStats:
        """Forget the list ``name`` (and its files when no other list shares them), then
        compile the index without it."""
        with self._exclusive():
            self._list_named(name)
            self.store.delete_list(name, actor=actor)
            self._forget_orphans()
            return self._rebuild_index()

    def set_enabled(self, name: str, enabled: bool, *, actor: str = "system") -> IndexStats:
        """Use (or stop using) the list ``name`` without forgetting it; recompiles the index."""
        with self._exclusive():
            record = self._list_named(name)
            self.store.upsert_list(replace(record, enabled=enabled), actor=actor)
            return self._rebuild_index()

    def update(
        self,
        progress_for: Callable[[str], ProgressCallback | None] | None = None,
        *,
        force: bool = False,
    ) -> list[UpdateOutcome]:
        """Re-fetch every source that has a URL; on any error keep its last good copy.
        ``force`` accepts a list that shrank by more than half."""
        outcomes = []
        for stored in self.sources():
            if not stored.is_url:
                continue
            try:
                with self._exclusive():
                    report = self._import(
                        text=stored.source,
                        format=stored.format,
                        category=stored.category,
                        name=stored.name,
                        progress=progress_for(stored.source) if progress_for else None,
                        force=force,
                        actor="updater",
                    )
            except ListError as exc:
                for record in self.store.lists():
                    if record.source == stored.source:
                        self.store.set_list_error(record.name, str(exc))
                outcomes.append(UpdateOutcome(stored.source, error=str(exc)))
            else:
                outcomes.append(UpdateOutcome(stored.source, report=report))
        return outcomes
