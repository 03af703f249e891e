"""Is the compiled category index sound? The one answer for the proxy, ``lists status`` and
``lists rebuild``.

A damaged ``categories.idx`` (truncated, zero bytes, garbage, another version) must never turn
into "no list names this site": while it is unusable the proxy decides with an
`UnavailableIndex`, whose every lookup raises, so ``decide`` blocks with the "could not check"
page (reason ``filter_error``) until the index is rebuilt from the list files on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from classifier.lists.index import DomainIndex, IndexFormatError
from policy.datadir import DataDir
from policy.snapshot import CategoryIndex, ListMatchLike
from policy.store import PolicyStore

__all__ = [
    "IndexHealth",
    "IndexUnavailable",
    "UnavailableIndex",
    "check_index",
    "lists_missing_from",
    "open_category_index",
]


class IndexUnavailable(RuntimeError):
    """The category index cannot be read; a decision that needs the lists must block."""


class UnavailableIndex:
    """Stands in for a damaged index: every lookup raises `IndexUnavailable`."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def lookup(self, host: str, path: str = "") -> tuple[ListMatchLike, ...]:
        raise IndexUnavailable(self.reason)


@dataclass(frozen=True)
class IndexHealth:
    """What `check_index` found: ``problem`` is None when the index is sound."""

    path: Path
    problem: str | None
    keys: int = 0
    lists: int = 0

    @property
    def sound(self) -> bool:
        return self.problem is None


def _expects_lists(store: PolicyStore | None) -> bool:
    return store is not None and any(record.enabled for record in store.lists())


def open_category_index(
    data: DataDir, store: PolicyStore | None
) -> tuple[CategoryIndex, str | None]:
    """The household's index, or an `UnavailableIndex` and the problem in words.

    A missing file is a problem only when policy.db names lists in use (a household with no
    lists has nothing to look up); a file that does not open as an index always is.
    """
    path = data.index
    if not path.exists():
        if not _expects_lists(store):
            return DomainIndex.empty(), None
        problem = f"The category index {path} is missing."
        return UnavailableIndex(problem), problem
    try:
        return DomainIndex.open(path), None
    except (IndexFormatError, OSError) as exc:
        problem = f"The category index {path} is unusable ({exc})."
        return UnavailableIndex(problem), problem


def check_index(data: DataDir, store: PolicyStore | None) -> IndexHealth:
    """Open the index once to see whether it is sound (it is closed again before returning)."""
    index, problem = open_category_index(data, store)
    if not isinstance(index, DomainIndex):
        return IndexHealth(data.index, problem)
    with index:
        return IndexHealth(data.index, None, len(index), len(index.lists()))


def lists_missing_from(data: DataDir, store: PolicyStore) -> list[str]:
    """Lists policy.db has in use that the index does not hold (their files are gone, say)."""
    try:
        with DomainIndex.open(data.index) as index:
            compiled = {name for name, _category, _entries in index.lists()}
    except (IndexFormatError, OSError):
        compiled = set()
    return sorted(r.name for r in store.lists() if r.enabled and r.name not in compiled)
