"""Loads what decisions need besides policy.db: the category index, models, hotline lists.

Nothing here raises for a missing or damaged file: Hearthguard keeps filtering with what it
has and records the problem in plain words for the dashboard.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.lists.hotline import load_hotlines
from classifier.lists.index import DomainIndex
from classifier.models import MODEL_NAMES, LoadedModels, PageModel, UrlModel, load_models
from policy.datadir import DataDir
from policy.indexhealth import open_category_index
from policy.snapshot import CategoryIndex, IllegalList, UrlVerdictSource

__all__ = [
    "CachedUrlModel",
    "Engine",
    "hotline_dir",
    "load_engine",
    "load_illegal",
    "load_index",
    "load_household_models",
]

_MAX_CACHED_HOSTS = 50_000


class CachedUrlModel:
    """The URL model as ``decide`` uses it: one verdict per host, remembered.

    The model judges a host no list knows by its name; the verdict of a host does not
    change between requests, so each host is classified once (at most 50,000 are kept).
    """

    def __init__(self, model: UrlModel) -> None:
        self.model = model
        self._verdicts: dict[str, tuple[str, float]] = {}

    def classify(self, host: str, path: str) -> tuple[str, float]:
        verdict = self._verdicts.get(host)
        if verdict is None:
            (found,) = self.model.predict([host])
            verdict = (found.category, found.score)
            if len(self._verdicts) >= _MAX_CACHED_HOSTS:
                self._verdicts.clear()
            self._verdicts[host] = verdict
        return verdict

    def explain(self, host: str, k: int = 3) -> list[tuple[str, float]]:
        """The model's strongest features for ``host`` (only asked for blocks: not cached)."""
        return self.model.explain(host, k=k)


@dataclass(frozen=True)
class Engine:
    index: CategoryIndex
    url_model: UrlVerdictSource | None = None
    illegal: tuple[IllegalList, ...] = ()
    problems: tuple[str, ...] = ()
    page_model: PageModel | None = None
    models: LoadedModels | None = None


def load_household_models(
    data: DataDir, names: Iterable[str] = MODEL_NAMES
) -> tuple[LoadedModels, tuple[str, ...]]:
    """The bundled models named in ``names`` (default: all), preferring any retrained in
    ``<data>/models``; problems in words. Models not named are ``None``."""
    models = load_models(local_dir=data.models_dir, names=names)
    problems = []
    for name, why in sorted(models.errors.items()):
        if getattr(models, name) is None:
            problems.append(
                f"The {name} classifier is unavailable ({why}); Hearthguard keeps filtering "
                "with its lists."
            )
        else:
            problems.append(
                f"The {name} classifier retrained here could not be loaded ({why}); the one "
                "that came with Hearthguard is used instead."
            )
    return models, tuple(problems)


def load_index(data: DataDir) -> tuple[CategoryIndex, str | None]:
    """The compiled category index and None; an empty one when no lists are imported yet; a
    damaged one is an ``UnavailableIndex`` (decisions that need the lists block as "could not
    check", as in the proxy). The second value says what is wrong."""
    if not data.index.exists():
        return DomainIndex.empty(), "No category lists are imported yet."
    return open_category_index(data, None)


def hotline_dir(data: DataDir) -> Path:
    """Where hotline lists live: ``<data dir>/hotline/*.txt`` (see ``classifier.lists.hotline``)."""
    return data.root / "hotline"


def load_illegal(data: DataDir) -> tuple[tuple[IllegalList, ...], tuple[str, ...]]:
    """Every hotline list, merged into one matcher (none when there are no lists), and problems."""
    lists, problems = load_hotlines(hotline_dir(data))
    return ((lists,) if len(lists) else ()), problems


def load_engine(data: DataDir, *, models: bool = True) -> Engine:
    """Everything decisions need; ``models=False`` skips the classifiers (lists only)."""
    index, problem = load_index(data)
    illegal, illegal_problems = load_illegal(data)
    problems = ((problem,) if problem else ()) + illegal_problems
    loaded: Any = None
    if models:
        loaded, model_problems = load_household_models(data, names=("url", "page"))
        problems += model_problems
    return Engine(
        index=index,
        url_model=CachedUrlModel(loaded.url) if loaded is not None and loaded.url else None,
        illegal=illegal,
        problems=problems,
        page_model=loaded.page if loaded is not None else None,
        models=loaded,
    )
