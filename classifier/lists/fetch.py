"""Bring a list in from a local path, a ``.tar.gz`` archive or an http(s) URL, safely.

`fetch` writes only inside the destination folder it is given, which should be a fresh
temporary folder: the caller parses what arrived and, if it is good, swaps it for the
previous copy. Nothing here touches the previous copy, so a failed fetch loses nothing.

Archives are unpacked member by member: absolute paths, ``..`` components, links that point
outside the folder, hard links to anything but an already unpacked file, devices and other
special files are refused (counted and reported in `FetchResult.refused`), the rest is
unpacked. A 404, a server error, an HTML page served instead of a list, a download over the
size cap, a truncated or damaged archive all raise `FetchError` with a clear message.
"""

from __future__ import annotations

import gzip
import os
import posixpath
import re
import shutil
import tarfile
import time
import urllib.parse
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from classifier.lists.parsed import looks_like_html

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_UNPACKED_BYTES",
    "FetchError",
    "FetchResult",
    "ProgressCallback",
    "Refusal",
    "extract_archive",
    "fetch",
    "shrink_problem",
]

#: ``progress(done_bytes, total_bytes_or_None)``, called as bytes arrive.
ProgressCallback = Callable[[int, "int | None"], None]

#: Largest download or copied file accepted.
DEFAULT_MAX_BYTES = 512 * 2**20
#: Largest total size an archive may unpack to.
DEFAULT_MAX_UNPACKED_BYTES = 2 * 2**30
#: Most members an archive may hold.
MAX_MEMBERS = 200_000
_MAX_REFUSAL_EXAMPLES = 100
_CHUNK = 64 * 1024
_USER_AGENT = "Hearthguard list updater"


class FetchError(Exception):
    """The source could not be fetched, or what arrived is not a list or a sound archive."""


@dataclass(frozen=True)
class Refusal:
    """An archive member that was not unpacked, and why."""

    member: str
    reason: str


@dataclass(frozen=True)
class FetchResult:
    """What `fetch` produced inside the destination folder.

    ``path`` is what to hand to `classifier.lists.formats.parse_path`: the copied or downloaded
    list file, or the folder an archive was unpacked into. ``bytes`` counts bytes read from
    the source; ``files`` the files written. ``refused`` holds up to 100 refused archive
    members; ``refused_total`` counts them all.
    """

    path: Path
    source: str
    bytes: int
    files: int
    refused: tuple[Refusal, ...] = ()
    refused_total: int = 0


def shrink_problem(old_entries: int, new_entries: int) -> str | None:
    """Return why an update from ``old_entries`` to ``new_entries`` must be refused, or None.

    A list that lost more than half of its entries (or came back empty) is far more likely a
    broken download or a changed format than a real clean-up; the previous copy is kept.
    """
    if new_entries <= 0:
        return "the new copy has no entries; keeping the previous copy"
    if old_entries > 0 and new_entries * 2 < old_entries:
        return (
            f"the new copy has {new_entries} entries, less than half of the previous "
            f"{old_entries}; keeping the previous copy"
        )
    return None


def _safe_name(name: str, default: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name).strip("._")
    return cleaned[:100] or default


def _prepare_dest(dest_dir: Path) -> Path:
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    if any(dest_dir.iterdir()):
        raise FetchError(f"{dest_dir}: the destination folder must be empty")
    return dest_dir.resolve()


def fetch(
    source: str | Path,
    dest_dir: Path,
    *,
    timeout: float = 30.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES,
    max_seconds: float = 900.0,
    progress: ProgressCallback | None = None,
) -> FetchResult:
    """Fetch ``source`` (a local file or folder, an archive, or an http(s) URL) into ``dest_dir``.

    ``dest_dir`` must be empty or missing; nothing is written outside it. A plain list lands
    in ``dest_dir/<label>/<file name>`` (``label`` is the source's folder name or the URL's
    host), so parsing it names the list ``<label>/<stem>``. A ``.tar.gz``/``.tgz``/``.tar``
    archive is unpacked into ``dest_dir/unpacked``. A local folder is copied (links inside it
    are kept as links). ``timeout`` bounds each network operation, ``max_seconds`` the whole
    download, ``max_bytes`` its size. Raises `FetchError` on any failure.
    """
    dest = _prepare_dest(dest_dir)
    text = str(source)
    scheme = urllib.parse.urlsplit(text).scheme.lower() if "://" in text else ""
    if scheme in ("http", "https"):
        return _fetch_url(text, dest, timeout, max_bytes, max_unpacked_bytes, max_seconds, progress)
    if scheme:
        raise FetchError(f"{text}: unsupported URL scheme {scheme!r} (use http or https)")
    path = Path(source)
    if path.is_dir():
        return _copy_folder(path, dest, max_unpacked_bytes, progress)
    if not path.is_file():
        raise FetchError(f"{path}: no such file or folder")
    label = _safe_name(path.resolve().parent.name, "list")
    target = dest / label / _safe_name(path.name, "list")
    target.parent.mkdir()
    with open(path, "rb") as source_file:
        size = _copy_stream(
            source_file, target, path.stat().st_size, max_bytes, 1e18, progress, text
        )
    return _finish_file(target, dest, text, size, max_unpacked_bytes)


def _fetch_url(
    url: str,
    dest: Path,
    timeout: float,
    max_bytes: int,
    max_unpacked_bytes: int,
    max_seconds: float,
    progress: ProgressCallback | None,
) -> FetchResult:
    # HTTP and TLS are imported where a list is downloaded: every command that reads the
    # lists imports this module, and most never download (about 20 ms of start-up)
    import urllib.error
    import urllib.request
    from http.client import HTTPException

    parts = urllib.parse.urlsplit(url)
    label = _safe_name(parts.hostname or "download", "download")
    file_name = _safe_name(posixpath.basename(parts.path), "list")
    target = dest / label / file_name
    target.parent.mkdir()
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > max_bytes:
                raise FetchError(f"{url}: {total} bytes, more than the limit of {max_bytes}")
            size = _copy_stream(response, target, total, max_bytes, max_seconds, progress, url)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: the server answered HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise FetchError(f"{url}: cannot download ({exc.reason})") from exc
    except (HTTPException, OSError) as exc:
        raise FetchError(f"{url}: download failed or was cut short ({exc!r})") from exc
    return _finish_file(target, dest, url, size, max_unpacked_bytes)


def _copy_stream(
    stream: BinaryIO,
    target: Path,
    total: int | None,
    max_bytes: int,
    max_seconds: float,
    progress: ProgressCallback | None,
    what: str,
) -> int:
    deadline = time.monotonic() + max_seconds
    done = 0
    with open(target, "xb") as out:
        while chunk := stream.read(_CHUNK):
            done += len(chunk)
            if done > max_bytes:
                raise FetchError(f"{what}: more than the limit of {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise FetchError(f"{what}: took longer than {max_seconds:.0f} s")
            out.write(chunk)
            if progress is not None:
                progress(done, total)
    if total is not None and done < total:
        raise FetchError(f"{what}: cut short ({done} of {total} bytes)")
    return done


def _archive_kind(path: Path) -> str | None:
    """``"tar.gz"``, ``"tar"`` or None (not an archive: a list, maybe gzip-compressed)."""
    with open(path, "rb") as handle:
        head = handle.read(1024)
    if head[:2] == b"\x1f\x8b":
        try:
            inner = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 600)
        except zlib.error as exc:
            raise FetchError(f"{path.name}: damaged gzip data ({exc})") from exc
        return "tar.gz" if inner[257:262] == b"ustar" else None
    return "tar" if head[257:262] == b"ustar" else None


def _finish_file(
    target: Path, dest: Path, source: str, size: int, max_unpacked_bytes: int
) -> FetchResult:
    kind = _archive_kind(target)
    if kind is None:
        with open(target, "rb") as handle:
            head = handle.read(2048)
        if not head.strip():
            raise FetchError(f"{source}: the file is empty")
        if looks_like_html(head):
            raise FetchError(
                f"{source}: an HTML page arrived instead of a list (an error or login page?)"
            )
        return FetchResult(path=target, source=source, bytes=size, files=1)
    unpacked = dest / "unpacked"
    files, refused, refused_total = extract_archive(target, unpacked, max_unpacked_bytes)
    target.unlink()
    target.parent.rmdir()
    return FetchResult(unpacked, source, size, files, refused, refused_total)


def _within(root: str, candidate: str) -> bool:
    return candidate == root or candidate.startswith(root + os.sep)


def _member_problem(name: str) -> str | None:
    if not name or name in (".", "./"):
        return "empty name"
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        return "absolute path"
    if ".." in re.split(r"[/\\]", name):
        return "path traversal (..)"
    return None


def extract_archive(
    archive: Path,
    dest_dir: Path,
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES,
) -> tuple[int, tuple[Refusal, ...], int]:
    """Unpack the tar (optionally gzip) ``archive`` into ``dest_dir``; nothing goes elsewhere.

    Returns ``(files written, refusal examples, refusals in total)``. Unsafe members are
    refused and the rest unpacked; file modes are not taken from the archive. Raises
    `FetchError` if the archive is truncated or damaged, unpacks to more than
    ``max_unpacked_bytes`` or holds more than `MAX_MEMBERS` members.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    root = os.path.realpath(dest_dir)
    refused: list[Refusal] = []
    refused_total = 0
    files = 0
    unpacked = 0

    def charge(size: int) -> None:
        nonlocal unpacked
        unpacked += size
        if unpacked > max_unpacked_bytes:
            raise FetchError(f"{archive.name}: unpacks to more than {max_unpacked_bytes} bytes")

    try:
        _check_gzip_complete(archive)
        with tarfile.open(archive, "r:*") as tar:
            for count, member in enumerate(tar, 1):
                if count > MAX_MEMBERS:
                    raise FetchError(f"{archive.name}: more than {MAX_MEMBERS} members")
                problem = _unpack_member(tar, member, root, charge)
                if problem is None:
                    if member.isfile() or member.islnk():
                        files += 1
                    continue
                refused_total += 1
                if len(refused) < _MAX_REFUSAL_EXAMPLES:
                    refused.append(Refusal(member.name, problem))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise FetchError(f"{archive.name}: the archive is truncated or damaged ({exc})") from exc
    return files, tuple(refused), refused_total


def _unpack_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, root: str, charge: Callable[[int], None]
) -> str | None:
    """Write one archive member under the real folder ``root``; return why it was refused, or
    None once it is written (a folder, a file, a link inside ``root``). A regular file's size
    is passed to ``charge`` before it is written (which raises when the cap is passed)."""
    name = member.name
    problem = _member_problem(name)
    if problem:
        return problem
    target = os.path.join(root, os.path.normpath(name))
    parent = os.path.realpath(os.path.dirname(target))
    if not _within(root, parent) or os.path.islink(target):
        return "would be written through a link"
    if member.isdir():
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif member.isfile():
        charge(member.size)
        os.makedirs(parent, mode=0o755, exist_ok=True)
        source = tar.extractfile(member)
        if source is None:
            return "unreadable member"
        with source, open(target, "wb") as out:
            shutil.copyfileobj(source, out, _CHUNK)
    elif member.issym():
        link = member.linkname
        resolved = os.path.realpath(os.path.join(parent, link))
        if os.path.isabs(link) or not _within(root, resolved):
            return f"link pointing outside the folder ({link})"
        os.makedirs(parent, mode=0o755, exist_ok=True)
        os.symlink(link, target)
    elif member.islnk():
        link = member.linkname
        linked = os.path.realpath(os.path.join(root, os.path.normpath(link)))
        if (
            _member_problem(link)
            or not _within(root, linked)
            or not os.path.isfile(linked)
            or os.path.islink(linked)
        ):
            return f"hard link to something outside or missing ({link})"
        os.makedirs(parent, mode=0o755, exist_ok=True)
        shutil.copyfile(linked, target)
    else:
        return "device or other special file"
    return None


def _check_gzip_complete(path: Path) -> None:
    """Read a gzip file to its end so a missing tail (a cut download) is noticed."""
    with open(path, "rb") as handle:
        if handle.read(2) != b"\x1f\x8b":
            return
    with gzip.open(path, "rb") as unzipped:
        while unzipped.read(1 << 20):
            pass


def _copy_folder(
    folder: Path, dest: Path, max_bytes: int, progress: ProgressCallback | None
) -> FetchResult:
    target = dest / _safe_name(folder.resolve().name, "lists")
    copied = 0
    files = 0

    def copy(src: str, dst: str) -> str:
        nonlocal copied, files
        copied += os.path.getsize(src)
        if copied > max_bytes:
            raise FetchError(f"{folder}: more than {max_bytes} bytes")
        files += 1
        if progress is not None:
            progress(copied, None)
        return shutil.copy2(src, dst)

    try:
        shutil.copytree(folder, target, symlinks=True, copy_function=copy)
    except shutil.Error as exc:
        raise FetchError(f"{folder}: could not copy ({exc})") from exc
    return FetchResult(path=target, source=str(folder), bytes=copied, files=files)
