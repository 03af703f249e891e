"""How the files beside policy.db become what decisions use: the category index, the hotline
lists and the URL and page classifiers (``load_files``), and which files each part is read
from (``stamps``: a part is loaded again when its stamp changes).

The one owner of loading them: the proxy's reload addon loads part by part as files change,
``hearthguard check`` and the dashboard's "Test a site" load everything at once. Nothing here
raises for a missing or damaged file: Hearthguard keeps filtering with what it has and
records the problem in plain words for the dashboard.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from classifier.categories import BENIGN
from classifier.lists.hotline import load_hotlines
from policy.bounded import BoundedCache
from policy.datadir import DataDir
from policy.indexhealth import open_category_index
from policy.phraselists import phrases_file
from policy.snapshot import CategoryIndex, IllegalList, UrlVerdictSource

if TYPE_CHECKING:  # the models (and numpy) are imported where one is loaded
    from classifier.models.loading import LoadedModels
    from classifier.models.page import PageModel
    from classifier.models.url import UrlModel

__all__ = [
    "CachedUrlModel",
    "Classifiers",
    "LoadedFiles",
    "Stamps",
    "UrlModelWhenUsed",
    "hotline_dir",
    "load_classifiers",
    "load_files",
    "load_household_models",
    "load_illegal",
    "stamps",
]

#: Memory for remembered URL-model verdicts, one per host (about 250 bytes a host: some
#: 4,000 hosts; judging a host again costs about 0.13 ms).
_VERDICTS_BYTES = 1024 * 1024

#: A file's inode, size and modification time (None when it is missing).
FileStamp = tuple[int, int, int] | None
#: The name, inode, size and modification time of every file of a folder.
FolderStamp = tuple[tuple[str, int, int, int], ...]


def _verdict_bytes(verdict: tuple[str, float]) -> int:
    # the category names are shared strings: the pair and its score are what a verdict adds
    return sys.getsizeof(verdict) + sys.getsizeof(verdict[1])


class CachedUrlModel:
    """The URL model as ``decide`` uses it: one verdict per host, remembered.

    The model judges a host no list knows by its name; the verdict of a host does not
    change between requests, so each host is classified once and remembered while the
    memory kept for verdicts allows (the hosts judged longest ago go first). Safe to
    share between threads.
    """

    def __init__(self, model: UrlModel) -> None:
        self.model = model
        self._lock = threading.Lock()
        self._verdicts: BoundedCache[str, tuple[str, float]] = BoundedCache(
            _VERDICTS_BYTES, _verdict_bytes
        )

    def classify(self, host: str, path: str) -> tuple[str, float]:
        with self._lock:
            verdict = self._verdicts.get(host)
        if verdict is None:
            (found,) = self.model.predict([host])
            verdict = (found.category, found.score)
            with self._lock:
                self._verdicts.put(host, verdict)
        return verdict

    def explain(self, host: str, k: int = 3) -> list[tuple[str, float]]:
        """The model's strongest features for ``host`` (only asked for blocks: not cached)."""
        return self.model.explain(host, k=k)


# -- which files ------------------------------------------------------------------------------


def hotline_dir(data: DataDir) -> Path:
    """Where hotline lists live: ``<data dir>/hotline/*.txt`` (see ``classifier.lists.hotline``)."""
    return data.root / "hotline"


def _file_stamp(path: Path) -> FileStamp:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _folder_stamp(folder: Path, pattern: str) -> FolderStamp:
    found = []
    try:
        for path in folder.glob(pattern):
            st = path.stat()
            found.append((path.name, st.st_ino, st.st_size, st.st_mtime_ns))
    except OSError:
        return ()
    return tuple(sorted(found))


@dataclass(frozen=True)
class Stamps:
    """What the files of each part look like now: equal stamps, same files (a file replaced,
    rewritten, grown or touched changes its part's stamp)."""

    index: FileStamp
    hotlines: FolderStamp
    models: FolderStamp
    phrases: FileStamp


def stamps(data: DataDir) -> Stamps:
    """The stamps of the category index, the hotline lists, the household's retrained
    models and its phrase lists."""
    return Stamps(
        index=_file_stamp(data.index),
        hotlines=_folder_stamp(hotline_dir(data), "*.txt"),
        models=_folder_stamp(data.models_dir, "*"),
        phrases=_file_stamp(phrases_file(data)),
    )


# -- loading each part ------------------------------------------------------------------------


def load_illegal(data: DataDir) -> tuple[tuple[IllegalList, ...], tuple[str, ...]]:
    """Every hotline list, merged into one matcher (none when there are no lists), and problems."""
    lists, problems = load_hotlines(hotline_dir(data))
    return ((lists,) if len(lists) else ()), problems


def load_household_models(
    data: DataDir, names: Iterable[str] | None = None
) -> tuple[LoadedModels, tuple[str, ...]]:
    """The bundled models named in ``names`` (default: all), preferring any retrained in
    ``<data>/models``; problems in words. Models not named are ``None``."""
    from classifier.models.loading import MODEL_NAMES, load_models

    models = load_models(local_dir=data.models_dir, names=MODEL_NAMES if names is None else names)
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


@dataclass(frozen=True)
class Classifiers:
    """The URL and page classifiers as filtering uses them, the folder each came from, and
    what could not be loaded."""

    url_model: CachedUrlModel | None = None
    page_model: PageModel | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def load_classifiers(data: DataDir, names: Iterable[str] = ("url", "page")) -> Classifiers:
    """The URL and page classifiers (those in ``names``), preferring any retrained in
    ``<data>/models``."""
    models, problems = load_household_models(data, names=names)
    return Classifiers(
        url_model=CachedUrlModel(models.url) if models.url is not None else None,
        page_model=models.page,
        sources=dict(models.sources),
        problems=problems,
    )


class UrlModelWhenUsed:
    """The household's URL classifier (as `load_classifiers` gives it), loaded when the first
    host is asked about: a check of addresses every list names never loads it, nor numpy.

    Answers as the loaded model does. When it cannot be loaded, ``model`` is None and every
    host is "benign" at 0.0, so ``decide`` allows what no list names exactly as with no URL
    model at all (``url_model=None``); ``problems`` then says why, as `load_files` would.
    Safe to share between threads (the model is loaded once).
    """

    def __init__(self, data: DataDir) -> None:
        self.data = data
        self._lock = threading.Lock()
        self._loaded: Classifiers | None = None

    def _classifiers(self) -> Classifiers:
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = load_classifiers(self.data, names=("url",))
                loaded = self._loaded
        return loaded

    @property
    def loaded(self) -> bool:
        """Whether the model was asked for (and loaded, or found missing) yet."""
        return self._loaded is not None

    @property
    def model(self) -> UrlModel | None:
        """The URL model itself (loaded now if it is not yet), or None if it cannot be."""
        cached = self._classifiers().url_model
        return cached.model if cached is not None else None

    @property
    def problems(self) -> tuple[str, ...]:
        """Why the model could not be loaded (empty until it was asked for)."""
        return self._loaded.problems if self._loaded is not None else ()

    def classify(self, host: str, path: str) -> tuple[str, float]:
        cached = self._classifiers().url_model
        return cached.classify(host, path) if cached is not None else (BENIGN, 0.0)

    def explain(self, host: str, k: int = 3) -> list[tuple[str, float]]:
        cached = self._classifiers().url_model
        return cached.explain(host, k=k) if cached is not None else []


# -- everything at once -----------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedFiles:
    """The category index, URL classifier and hotline lists a decision uses besides
    policy.db, and what could not be loaded."""

    index: CategoryIndex
    url_model: UrlVerdictSource | None = None
    illegal: tuple[IllegalList, ...] = ()
    problems: tuple[str, ...] = ()


def load_files(data: DataDir, *, url_model_when_used: bool = False) -> LoadedFiles:
    """Everything a check decides with. A missing index is an empty one, noted as "No
    category lists are imported yet".

    With ``url_model_when_used`` the URL model is a `UrlModelWhenUsed`, loaded at the first
    host no list names (the same decisions; its problems are its own, not in ``problems``).
    """
    index, problem = open_category_index(data, None)
    if problem is None and not data.index.exists():
        problem = "No category lists are imported yet."
    illegal, illegal_problems = load_illegal(data)
    url_model: UrlVerdictSource | None
    model_problems: tuple[str, ...]
    if url_model_when_used:
        url_model, model_problems = UrlModelWhenUsed(data), ()
    else:
        classifiers = load_classifiers(data, names=("url",))  # a check reads no page
        url_model, model_problems = classifiers.url_model, classifiers.problems
    return LoadedFiles(
        index=index,
        url_model=url_model,
        illegal=illegal,
        problems=((problem,) if problem else ()) + illegal_problems + model_problems,
    )
