"""Loads what decisions need besides policy.db: the category index, models, hotline lists.

Nothing here raises for a missing or damaged file: Hearthguard keeps filtering with what it
has and records the problem in plain words for the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from classifier.domains import DomainIndex, IndexFormatError
from classifier.hotline import load_hotlines
from policy.datadir import DataDir
from policy.snapshot import IllegalList, UrlVerdictSource

__all__ = ["Engine", "hotline_dir", "load_engine", "load_illegal", "load_index"]


@dataclass(frozen=True)
class Engine:
    index: DomainIndex
    url_model: UrlVerdictSource | None = None
    illegal: tuple[IllegalList, ...] = ()
    problems: tuple[str, ...] = ()


def load_index(data: DataDir) -> tuple[DomainIndex, str | None]:
    """The compiled category index, or an empty one and the reason it could not be opened."""
    if not data.index.exists():
        return DomainIndex.empty(), "No category lists are imported yet."
    try:
        return DomainIndex.open(data.index), None
    except (IndexFormatError, OSError) as exc:
        return DomainIndex.empty(), f"The category index {data.index} is unusable ({exc})."


def hotline_dir(data: DataDir) -> Path:
    """Where hotline lists live: ``<data dir>/hotline/*.txt`` (see ``classifier.hotline``)."""
    return data.root / "hotline"


def load_illegal(data: DataDir) -> tuple[tuple[IllegalList, ...], tuple[str, ...]]:
    """Every hotline list, merged into one matcher (none when there are no lists), and problems."""
    lists, problems = load_hotlines(hotline_dir(data))
    return ((lists,) if len(lists) else ()), problems


def load_engine(data: DataDir) -> Engine:
    index, problem = load_index(data)
    illegal, illegal_problems = load_illegal(data)
    return Engine(
        index=index,
        illegal=illegal,
        problems=((problem,) if problem else ()) + illegal_problems,
    )
