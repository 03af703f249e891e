"""Files replaced whole, atomically: the one writer every package uses for that.

``atomic_file`` writes to a new file beside the target, flushes and fsyncs it, then
``os.replace``\\ s it over the target and fsyncs the folder: a reader, a crash or a power cut
sees the old file or the new one, never a part of either. On any error (or an interrupt)
inside the ``with`` block the temporary file is removed and the old file is left as it was.

Permissions: ``perms`` sets the new file's mode (it is set before any byte is written, so a
secret is never readable by others, even for a moment); without it the file keeps the mode of
the file it replaces, or, for a new file, gets the usual mode of a new file (0o666 less the
umask). Replacing whole folders (list downloads, backup restore) is a different job and is
done where it happens.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_file", "atomic_write_bytes", "atomic_write_text"]

_TRIES = 20


def _create_beside(path: Path, perms: int | None) -> tuple[int, Path]:
    """A new, empty, exclusively created file in ``path``'s folder, named after it."""
    first_mode = 0o600 if perms is not None else 0o666  # the kernel takes the umask off
    for _ in range(_TRIES):
        tmp = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, first_mode)
        except FileExistsError:
            continue
        return fd, tmp
    raise FileExistsError(f"no free temporary name beside {path}")


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # a folder that cannot be opened for reading: the rename stands, not yet synced
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the data itself is synced
    finally:
        os.close(fd)


@contextmanager
def atomic_file(
    path: Path | str,
    mode: str = "wb",
    *,
    perms: int | None = None,
    encoding: str = "utf-8",
) -> Iterator[IO[Any]]:
    """A file to write ``path``'s new content into ("wb" bytes or "w" text); when the block
    ends without error it replaces ``path`` atomically and durably, else ``path`` is left as
    it was and nothing stays behind. The folder must exist."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_file writes a whole file: mode 'wb' or 'w', not {mode!r}")
    path = Path(path)
    if perms is None:
        try:
            perms_now: int | None = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            perms_now = None
    else:
        perms_now = perms
    fd, tmp = _create_beside(path, perms)
    try:
        try:
            if perms_now is not None:
                os.fchmod(fd, perms_now)
            handle: IO[Any] = os.fdopen(fd, mode, encoding=None if mode == "wb" else encoding)
        except BaseException:
            os.close(fd)
            raise
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def atomic_write_bytes(path: Path | str, data: bytes, *, perms: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically (see ``atomic_file``)."""
    with atomic_file(path, "wb", perms=perms) as handle:
        handle.write(data)


def atomic_write_text(
    path: Path | str, text: str, *, perms: int | None = None, encoding: str = "utf-8"
) -> None:
    """Replace ``path`` with ``text`` atomically (see ``atomic_file``)."""
    with atomic_file(path, "w", perms=perms, encoding=encoding) as handle:
        handle.write(text)
