"""Rebuilding a damaged category index in a child process, once per damaged file.

The child runs ``hearthguard lists rebuild``; its memory is returned when it exits, and a
rebuild that works shows as a new index file (which the reload addon then opens).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

from policy.engine import FileStamp

__all__ = ["IndexRepair"]


class IndexRepair:
    """At most one rebuild at a time, and one per damaged file (by its stamp)."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None
        self._stamp: FileStamp | str = "never"

    def start(self, data_root: Path, stamp: FileStamp) -> bool:
        """Start rebuilding the index of ``data_root`` unless this file was tried already
        or a rebuild is running; True when one was started."""
        if stamp == self._stamp or (self._child is not None and self._child.poll() is None):
            return False
        self._stamp = stamp
        self._output = tempfile.TemporaryFile()  # noqa: SIM115 - closed in failure()
        self._child = subprocess.Popen(
            [sys.executable, "-m", "hearthguard", "lists", "rebuild"]
            + ["--data-dir", str(data_root)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._output,
        )
        return True

    def failure(self) -> str | None:
        """Once a rebuild has ended: why it failed, in words (None while it runs, when none
        ran, and when it worked)."""
        if self._child is None or self._child.poll() is None:
            return None
        code, self._child = self._child.returncode, None
        output = b""
        if self._output is not None:
            self._output.seek(0)
            output = self._output.read()[-2000:]
            self._output.close()
            self._output = None
        if code == 0:
            return None
        why = output.decode("utf-8", "replace").strip().splitlines()
        return (
            f"Rebuilding the category index failed ({why[-1] if why else f'exit code {code}'}). "
            "Run `hearthguard lists rebuild`, or import the lists again."
        )
