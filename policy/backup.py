"""Backup and restore of the whole household as one archive (``hearthguard backup|restore``).

The archive (a gzip-compressed tar file) holds ``manifest.json`` first, then: policy.db (taken
with SQLite's online backup API, so it is consistent while the proxy runs), the CA certificate
and its private key, the secrets, the configuration files of the lists the household added
(hotline lists, phrase lists), WireGuard keys, models retrained for the household, and, when
asked for, activity.db. The big downloaded list files and the compiled index are not in it: the
lists the household uses are recorded in policy.db, and restoring compiles the index again.

The manifest names the format version, the Hearthguard version, when it was made, and the
SHA-256 and size of every member. A restore reads the whole archive into a new folder beside
the data directory, checks every digest, refuses an archive from a newer format, a damaged or
truncated one and any member it does not expect, and only then swaps the new folder in (one
atomic exchange where the system has it); the old data directory is kept beside it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath

from policy.activity import ActivityStore
from policy.datadir import DataDir
from policy.engine import hotline_dir
from policy.lists import ListError, ListLibrary
from policy.phraselists import phrases_file
from policy.store import PolicyStore
from policy.validate import InputError
from policy.wireguard import wireguard_dir

__all__ = [
    "FORMAT",
    "BackupError",
    "BackupReport",
    "Member",
    "RestoreReport",
    "backup_household",
    "read_manifest",
    "restore_household",
]

#: The archive format this Hearthguard writes and the newest it can restore.
FORMAT = 1
MANIFEST = "manifest.json"
_REQUIRED = ("policy.db", "ca/mitmproxy-ca.pem", "secret.key")
_CHUNK = 1 << 20


class BackupError(InputError):
    """A backup cannot be made or restored as asked; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__("backup", message)


@dataclass(frozen=True)
class Member:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class BackupReport:
    path: Path
    members: tuple[Member, ...]
    with_activity: bool


@dataclass(frozen=True)
class RestoreReport:
    data: DataDir
    previous: Path | None
    manifest: dict[str, object]
    #: (name, source) of each list in use whose files are not here
    lists_without_files: tuple[tuple[str, str], ...]


def _version() -> str:
    try:
        return metadata.version("hearthguard")
    except metadata.PackageNotFoundError:
        return "unknown"


def _digest(path: Path) -> Member:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return Member("", h.hexdigest(), size)


def _snapshot_db(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _household_files(data: DataDir) -> Iterator[tuple[str, Path]]:
    """(name in the archive, file) for every plain file a backup takes besides the databases:
    single files, and every regular file directly inside a folder. Each name is the file's
    path relative to the data directory, so a restore puts it back where it was."""
    for path in (data.secret_key, data.ca_trust, phrases_file(data)):
        if path.is_file():
            yield path.relative_to(data.root).as_posix(), path
    for folder in (data.ca_dir, data.models_dir, hotline_dir(data), wireguard_dir(data.root)):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    yield path.relative_to(data.root).as_posix(), path


def _check_target(data: DataDir, target: Path) -> Path:
    target = target.expanduser().absolute()
    if target.exists() or target.is_symlink():
        raise BackupError(f"{target} already exists; choose a new name (nothing was written).")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist (nothing was written).")
    root = data.root.resolve()
    if target.parent.resolve() == root or root in target.parent.resolve().parents:
        raise BackupError(
            f"{target} is inside the data directory {root}; keep backups elsewhere "
            "(nothing was written)."
        )
    return target


def backup_household(data: DataDir, target: Path, *, with_activity: bool = False) -> BackupReport:
    """Write the household at ``data`` to the new archive ``target`` (mode 0600).

    Raises `BackupError` for a target that exists, sits inside the data directory or in a
    folder that does not exist, and `StoreError` for an unreadable policy.db; in every case
    nothing is written.
    """
    target = _check_target(data, target)
    PolicyStore(data.policy_db).close()  # refuses a damaged policy.db before anything is made
    # the databases are staged inside the data directory: nothing leaves it unencrypted but
    # the archive the parent asked for
    staging = Path(tempfile.mkdtemp(prefix=".backup-", dir=data.root))
    partial = target.with_name(f".{target.name}.partial")
    try:
        members: list[tuple[str, Path]] = []
        _snapshot_db(data.policy_db, staging / "policy.db")
        members.append(("policy.db", staging / "policy.db"))
        if with_activity and data.activity_db.exists():
            _snapshot_db(data.activity_db, staging / "activity.db")
            members.append(("activity.db", staging / "activity.db"))
        for name, path in _household_files(data):
            copy = staging / name.replace("/", "__")
            shutil.copyfile(path, copy)  # read once: the digest and the archive agree
            members.append((name, copy))
        digests = tuple(
            Member(name, found.sha256, found.size)
            for name, path in members
            for found in (_digest(path),)
        )
        manifest = {
            "format": FORMAT,
            "hearthguard": _version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "with_activity": with_activity and data.activity_db.exists(),
            "members": [{"name": m.name, "sha256": m.sha256, "size": m.size} for m in digests],
        }
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as archive:
                body = json.dumps(manifest, indent=1).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(body), 0o600, int(time.time())
                archive.addfile(info, io.BytesIO(body))
                for name, path in members:
                    info = archive.gettarinfo(str(path), arcname=name)
                    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                    with path.open("rb") as f:
                        archive.addfile(info, f)
            raw.flush()
            os.fsync(raw.fileno())
        os.link(partial, target)  # fails, rather than replaces, if the name was taken meanwhile
    except FileExistsError:
        raise BackupError(f"{target} already exists; choose a new name.") from None
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    return BackupReport(target, digests, bool(manifest["with_activity"]))


# -- restoring ---------------------------------------------------------------------------------


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return (
        bool(parts)
        and not name.startswith("/")
        and ".." not in parts
        and len(parts) <= 2
        and all(p not in ("", ".") for p in parts)
    )


def _damaged(path: Path, why: str) -> BackupError:
    return BackupError(f"{path} is not a usable Hearthguard backup ({why}); nothing was changed.")


def _parse_manifest(path: Path, body: bytes) -> dict[str, object]:
    try:
        manifest = json.loads(body)
    except ValueError:
        raise _damaged(path, "its manifest is not JSON") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("format"), int):
        raise _damaged(path, "its manifest names no format version")
    if manifest["format"] > FORMAT:
        raise BackupError(
            f"{path} was made by a newer Hearthguard ({manifest.get('hearthguard')}, backup "
            f"format {manifest['format']}; this one reads up to {FORMAT}). Upgrade Hearthguard "
            "first; nothing was changed."
        )
    members = manifest.get("members")
    if not isinstance(members, list) or not all(
        isinstance(m, dict)
        and isinstance(m.get("name"), str)
        and isinstance(m.get("sha256"), str)
        and isinstance(m.get("size"), int)
        and _safe_name(m["name"])
        and m["name"] != MANIFEST
        for m in members
    ):
        raise _damaged(path, "its manifest lists members it should not")
    names = [m["name"] for m in members]
    if len(set(names)) != len(names):
        raise _damaged(path, "its manifest names a member twice")
    missing = [name for name in _REQUIRED if name not in names]
    if missing:
        raise _damaged(path, f"it has no {', '.join(missing)}")
    return manifest


def read_manifest(path: Path) -> dict[str, object]:
    """The manifest of the archive at ``path`` (checked, but the members are not read)."""
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            first = archive.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise _damaged(path, "it does not start with a manifest")
            handle = archive.extractfile(first)
            assert handle is not None
            return _parse_manifest(path, handle.read(1 << 20))
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise _damaged(path, f"{type(exc).__name__}: {exc}") from None


def _unpack(path: Path, into: Path) -> dict[str, object]:
    """Extract every member into ``into`` while checking it against the manifest."""
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            first = archive.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise _damaged(path, "it does not start with a manifest")
            handle = archive.extractfile(first)
            assert handle is not None
            manifest = _parse_manifest(path, handle.read(1 << 20))
            expected = {m["name"]: m for m in manifest["members"]}  # type: ignore[attr-defined]
            seen: set[str] = set()
            for info in archive:  # from the first member again
                if info.offset == first.offset:
                    continue
                name = info.name
                if name not in expected or name in seen or not info.isfile():
                    raise _damaged(path, f"unexpected member {name!r}")
                seen.add(name)
                source = archive.extractfile(info)
                assert source is not None
                target = into / name
                target.parent.mkdir(mode=0o700, exist_ok=True)
                h = hashlib.sha256()
                size = 0
                want = expected[name]
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    while chunk := source.read(_CHUNK):
                        h.update(chunk)
                        size += len(chunk)
                        if size > want["size"]:
                            raise _damaged(path, f"{name} is longer than the manifest says")
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                if h.hexdigest() != want["sha256"] or size != want["size"]:
                    raise _damaged(path, f"{name} does not match its SHA-256 in the manifest")
            absent = sorted(set(expected) - seen)
            if absent:
                raise _damaged(path, f"members missing: {', '.join(absent)}")
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise _damaged(path, f"damaged or truncated: {exc}") from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EACCES, errno.EROFS):
            raise BackupError(f"Cannot restore into {into.parent}: {exc}") from None
        raise _damaged(path, f"damaged or truncated: {exc}") from None
    return manifest


def _carry_lists(previous: DataDir | None, new: DataDir) -> None:
    """Bring the downloaded list files over from the data directory being replaced (hard
    links: no copy, and a list update replaces files rather than rewriting them)."""
    if previous is None or not previous.lists_dir.is_dir():
        return

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(
        previous.lists_dir,
        new.lists_dir,
        copy_function=link_or_copy,
        ignore=shutil.ignore_patterns(".lock", ".incoming-*", ".old-*"),
    )


def _bundled_elsewhere(source: str) -> bool:
    """True for a bundled default list recorded under another installation's path."""
    from classifier.lists.bundle import BUNDLE_DIR, default_sources

    if source.startswith(("http://", "https://")) or Path(source).exists():
        return False
    tails = {p.resolve().relative_to(BUNDLE_DIR).as_posix() for p in default_sources()}
    return any(source.endswith(f"/{BUNDLE_DIR.name}/{tail}") for tail in tails)


def _compile_lists(new: DataDir) -> tuple[tuple[str, str], ...]:
    """Compile the index for the restored policy. The bundled default lists are imported from
    this installation when no list files came along or the backup names them at another
    installation's path. Returns the lists in use whose files are not here."""
    from classifier.lists.bundle import default_sources

    store = PolicyStore(new.policy_db)
    try:
        library = ListLibrary(new, store)
        on_disk = {stored.source for stored in library.sources()}
        in_use = [r for r in store.lists() if r.enabled]
        try:
            if not on_disk or any(
                r.source not in on_disk and _bundled_elsewhere(r.source) for r in in_use
            ):
                library.import_defaults(default_sources())
            else:
                library.rebuild_index()
        except ListError as exc:
            raise BackupError(
                f"The lists could not be compiled ({exc}); nothing was changed."
            ) from None
        on_disk = {stored.source for stored in library.sources()}
        return tuple(
            sorted(
                (r.name, r.source) for r in store.lists() if r.enabled and r.source not in on_disk
            )
        )
    finally:
        store.close()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2 RENAME_EXCHANGE); False when the
    system cannot."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(a))


def _own_like(tree: Path, model: Path) -> None:
    """Give ``tree`` the owner of ``model`` (a restore run as root for the service's user)."""
    st = model.stat()
    if os.geteuid() != 0 or (st.st_uid, st.st_gid) == (0, 0):
        return
    for folder, dirs, files in os.walk(tree):
        for name in (folder, *(os.path.join(folder, n) for n in (*dirs, *files))):
            os.lchown(name, st.st_uid, st.st_gid)


def restore_household(source: Path, root: Path, *, now: datetime | None = None) -> RestoreReport:
    """Replace the household at ``root`` with the one in the archive ``source``.

    Everything is checked and prepared in a new folder beside ``root`` first; only a complete,
    verified household is swapped in. The data directory it replaces (if any) is kept as
    ``<root>.before-restore-<time>``. Raises `BackupError` (or `StoreError` for a policy.db
    from a newer Hearthguard) with nothing changed.
    """
    source = source.expanduser().absolute()
    root = root.absolute()
    if not source.is_file():
        raise BackupError(f"{source} is not a file; nothing was changed.")
    if root.exists() and not root.is_dir():
        raise BackupError(f"{root} is not a folder; nothing was changed.")
    root.parent.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    work = Path(tempfile.mkdtemp(prefix=f".{root.name}.restoring-", dir=root.parent))
    try:
        os.chmod(work, 0o700)
        manifest = _unpack(source, work)
        new = DataDir(work)
        PolicyStore(new.policy_db).close()  # a newer schema or a damaged database stops here
        os.chmod(new.ca_dir, 0o700)
        previous = DataDir(root) if root.is_dir() else None
        _carry_lists(previous, new)
        if previous is not None and previous.activity_db.exists() and not new.activity_db.exists():
            _snapshot_db(previous.activity_db, new.activity_db)  # the backup had no activity
        if not new.activity_db.exists():
            ActivityStore(new.activity_db).close()
        missing = _compile_lists(new)
        kept: Path | None = None
        if previous is None:
            os.rename(work, root)
            return RestoreReport(DataDir(root), None, manifest, missing)
        _own_like(work, root)
        kept = root.with_name(f"{root.name}.before-restore-{stamp}")
        if kept.exists():
            raise BackupError(f"{kept} already exists; nothing was changed.")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    # from here on ``work`` may hold the old household: it is renamed, never removed
    if _exchange(work, root):
        os.rename(work, kept)
    else:
        os.rename(root, kept)
        os.rename(work, root)
    return RestoreReport(DataDir(root), kept, manifest, missing)
