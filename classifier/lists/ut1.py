"""UT1 / squidGuard trees: one folder per category holding ``domains`` and ``urls`` files.

``expressions`` (regular expressions) and ``usage`` are not imported. Folders that are symlinks
to another category (UT1 ships ``porn -> adult``) and files whose bytes equal an already read
file (UT1's three ``*redirector/domains``) are read once; the skipped copy is named in
``ParsedList.notes``. A file that cannot be read becomes a rejection with line number 0, and the
rest of the tree still loads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from classifier.categories import canonical
from classifier.lists.lineformats import read_hosts_or_domains
from classifier.lists.parsed import (
    Collector,
    ListFormatError,
    ParsedList,
    check_whole_file,
    finish_list,
    is_blank,
    list_stem,
    read_list_bytes,
    split_lines,
)

__all__ = ["is_ut1_tree", "parse_tree", "tree_root"]


def is_ut1_tree(path: Path) -> bool:
    return any(_category_dirs(path))


def _category_dirs(root: Path) -> Iterator[Path]:
    for child in sorted(root.iterdir()):
        if child.is_dir() and any(
            (child / name).is_file() for name in ("domains", "urls", "domains.gz", "urls.gz")
        ):
            yield child


def tree_root(path: Path) -> Path:
    """UT1 tarballs unpack into ``blacklists/``: accept the folder above it too."""
    if is_ut1_tree(path):
        return path
    children = [child for child in path.iterdir() if child.is_dir()]
    if len(children) == 1 and is_ut1_tree(children[0]):
        return children[0]
    return path


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def parse_tree(root: Path, category: str | None, name: str | None) -> list[ParsedList]:
    root = tree_root(root)
    prefix = name or "ut1"
    seen_files: dict[str, str] = {}  # real path or content digest -> "category/file"
    seen_dirs: dict[Path, str] = {}
    results: list[ParsedList] = []
    folders = list(_category_dirs(root))
    aliases = [folder for folder in folders if folder.is_symlink()]
    for folder in folders:
        real = folder.resolve()
        if folder.is_symlink() or real in seen_dirs:
            if not folder.is_symlink():
                aliases.append(folder)
            continue
        seen_dirs[real] = folder.name
        out = Collector(str(folder))
        notes: list[str] = []
        sources: list[str] = []
        for file in sorted(folder.iterdir()):
            kind = list_stem(file).split(".")[0]
            if kind not in ("domains", "urls") or not file.is_file():
                if kind in ("expressions", "very_restrictive_expression") and file.stat().st_size:
                    notes.append(f"{file.name}: regular expressions are not imported")
                continue
            where = f"{folder.name}/{file.name}"
            real_file = str(file.resolve())
            digest = _digest(file) if file.stat().st_size else real_file
            if real_file in seen_files or digest in seen_files:
                earlier = seen_files.get(real_file) or seen_files[digest]
                notes.append(f"{file.name}: same file as {earlier}, read once")
                continue
            seen_files[real_file] = seen_files[digest] = where
            sources.append(str(file))
            try:
                data = read_list_bytes(file)
            except ListFormatError as exc:
                out.reject(0, str(exc), file.name, path=str(file))
                continue
            if is_blank(data):
                continue  # UT1 ships empty files; nothing to import
            try:
                check_whole_file(file, data)
            except ListFormatError as exc:
                out.reject(0, str(exc), file.name, path=str(file))
                continue
            out.path = str(file)
            read_hosts_or_domains(split_lines(data), out)
        results.append(
            finish_list(
                out,
                name=f"{prefix}/{folder.name}",
                category=canonical(category) if category else canonical(folder.name),
                source_category=folder.name,
                fmt="ut1",
                sources=tuple(sources),
                notes=tuple(notes),
            )
        )
    if not results:
        raise ListFormatError(f"{root}: no category folders with domains or urls files")
    for alias in aliases:
        target = seen_dirs.get(alias.resolve())
        for index, parsed in enumerate(results):
            if parsed.source_category == target:
                note = f"{alias.name}: alias of {target}, read once"
                results[index] = replace(parsed, notes=(*parsed.notes, note))
    return results
