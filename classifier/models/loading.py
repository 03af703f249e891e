"""Load Hearthguard's three models (URL, page text, chat) once, at start-up.

Every model is a skops file of plain tables plus a metadata JSON file of the same name, read
by ``classifier.models.modelfile`` (never pickle, never a named class); a model that cannot be
loaded is ``None`` with the reason in plain words, never an exception.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifier.heap import return_freed_memory

if TYPE_CHECKING:
    from classifier.models.chat import ChatModel
    from classifier.models.page import PageModel
    from classifier.models.url import UrlModel

__all__ = [
    "BUNDLED_MODEL_DIR",
    "LoadedModels",
    "MODEL_FORMAT",
    "MODEL_NAMES",
    "load_models",
]


#: Where the shipped models live.
BUNDLED_MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "models"


#: Bump when the on-disk layout changes; older files are refused with a plain reason.
MODEL_FORMAT = 1


#: Every model ``load_models`` knows, in loading order.
MODEL_NAMES: tuple[str, ...] = ("url", "page", "chat")


@dataclass(frozen=True)
class LoadedModels:
    """The models that could be loaded; ``errors`` says in plain words why others are not."""

    url: UrlModel | None
    page: PageModel | None
    chat: ChatModel | None
    errors: dict[str, str]
    sources: dict[str, str] = field(default_factory=dict)  # model name -> directory used


def load_models(
    model_dir: Path | None = None,
    *,
    local_dir: Path | None = None,
    names: Iterable[str] = MODEL_NAMES,
) -> LoadedModels:
    """Load the models named in ``names`` (any of ``url``, ``page``, ``chat``); the others
    are ``None`` and not reported as errors.

    ``model_dir`` defaults to the bundled ``classifier/data/models``. When ``local_dir`` is
    given and holds a model (e.g. a page model retrained from household examples), that copy
    is preferred; if it cannot be loaded the bundled one is used and the reason is still
    reported. A missing, corrupt or untrusted file never raises: the model is ``None`` and
    ``errors[name]`` explains why. Files are read with ``classifier.models.modelfile`` (plain
    tables only); no model needs scikit-learn or SciPy. Raises ``ValueError`` for
    a name that is not a model.
    """
    wanted = tuple(names)
    unknown = sorted(set(wanted) - set(MODEL_NAMES))
    if unknown:
        raise ValueError(f"unknown model names {unknown}; known: {list(MODEL_NAMES)}")
    base = Path(model_dir) if model_dir is not None else BUNDLED_MODEL_DIR
    errors: dict[str, str] = {}
    sources: dict[str, str] = {}
    loaded: dict[str, Any] = {}
    for name in MODEL_NAMES:
        if name not in wanted:
            continue
        candidates = [base]
        if local_dir is not None and (Path(local_dir) / f"{name}.skops").exists():
            candidates.insert(0, Path(local_dir))
        problems: list[str] = []
        for directory in candidates:
            try:
                loaded[name] = _load_one(name, directory)
            except Exception as error:  # noqa: BLE001 - any failure makes the model unavailable
                problems.append(f"{directory / (name + '.skops')}: {error}")
                continue
            sources[name] = str(directory)
            break
        if problems:
            errors[name] = "; ".join(problems)
    if loaded:
        return_freed_memory()
    return LoadedModels(
        url=loaded.get("url"),
        page=loaded.get("page"),
        chat=loaded.get("chat"),
        errors=errors,
        sources=sources,
    )


def _load_one(name: str, directory: Path) -> UrlModel | PageModel | ChatModel:
    model_path = directory / f"{name}.skops"
    meta_path = directory / f"{name}.json"
    if not model_path.is_file():
        raise FileNotFoundError("model file is missing")
    if not meta_path.is_file():
        raise FileNotFoundError(f"metadata file {meta_path.name} is missing")
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"metadata {meta_path.name} is not valid JSON ({error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != MODEL_FORMAT:
        raise ValueError(f"metadata {meta_path.name} is not format {MODEL_FORMAT}")
    # each model's code (and numpy) is imported when that model is loaded, not before: a
    # command that needs only the URL model does not import the page and chat models' code
    from classifier.models.modelfile import read_model_file

    table = read_model_file(model_path)
    if not isinstance(table, dict):
        raise ValueError("model file does not hold a model table")
    try:
        if name == "url":
            from classifier.models.url import build_url_model

            return build_url_model(table, metadata)
        if name == "page":
            from classifier.models.page import build_page_model

            return build_page_model(table, metadata)
        from classifier.models.chat import build_chat_model

        return build_chat_model(table, metadata)
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"model table is incomplete ({type(error).__name__}: {error})") from None
