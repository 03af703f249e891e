"""Writing what training makes: model files, metadata, the shipped page corpus.

Model tables are written with ``skops.io`` (zip, deflate level 9) through a temporary file;
metadata JSON keeps key order; the page corpus is gzip with ``mtime=0`` so the same
documents give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import platform
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifier.files import atomic_file
from classifier.models.loading import MODEL_FORMAT
from classifier.training.splits import SEED, Example

__all__ = [
    "PAGE_CORPUS_FILE",
    "TRAINING_COMMAND",
    "common_metadata",
    "library_versions",
    "read_corpus",
    "read_json",
    "write_corpus",
    "write_json",
    "write_skops",
]

PAGE_CORPUS_FILE = "page_corpus.jsonl.gz"
#: The command that rebuilds the shipped models, recorded in their metadata.
TRAINING_COMMAND = "python -m classifier.training"


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for package in ("scikit-learn", "skops", "numpy", "scipy", "pyahocorasick", "selectolax"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def write_skops(obj: Any, path: Path) -> None:
    import skops.io as sio

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, "wb") as handle:
        sio.dump(obj, handle, compression=zipfile.ZIP_DEFLATED, compresslevel=9)


def write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
    )


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def common_metadata(name: str, data_dir: Path) -> dict[str, Any]:
    return {
        "format": MODEL_FORMAT,
        "model": name,
        "trained_at": dt.date.today().isoformat(),
        "seed": SEED,
        "data_dir": str(data_dir),
        "command": TRAINING_COMMAND,
        "libraries": library_versions(),
    }


def read_corpus(path: Path) -> list[Example]:
    out: list[Example] = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            item = json.loads(line)
            group = item.get("group") or f"corpus-{i}"
            out.append(Example(item["text"], item["label"], group, item["source"]))
    return out


def write_corpus(examples: Sequence[Example], path: Path) -> None:
    # mtime=0 keeps the file byte-identical between runs.
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        for e in examples:
            line = json.dumps(
                {"text": e.text, "label": e.label, "source": e.source, "group": e.group},
                ensure_ascii=False,
            )
            handle.write((line + "\n").encode("utf-8"))
