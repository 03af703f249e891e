"""Gives memory the proxy no longer uses back to the system, every 15 seconds.

After bursts (eight pages scanned at once, say) glibc keeps freed memory for reuse; on a
Raspberry Pi that memory is better returned. ``malloc_trim`` does that; where the C library
has no such call (not glibc), this addon does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import logging
from collections.abc import Callable

__all__ = ["MemoryTrim", "malloc_trim"]

log = logging.getLogger(__name__)
_EVERY = 15.0


@functools.cache
def _find_trim() -> Callable[[int], int] | None:
    # once: find_library runs ``ldconfig -p`` in a child process, a fork of the whole proxy
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc.malloc_trim if libc is not None else None  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def malloc_trim() -> bool:
    """Release free heap memory to the system; False where the C library cannot."""
    trim = _find_trim()
    if trim is None:
        return False
    trim(0)
    return True


class MemoryTrim:
    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(_EVERY)
            if not await asyncio.to_thread(malloc_trim):
                log.debug("This C library cannot release free memory; stopping.")
                return

    def running(self) -> None:
        self._task = asyncio.create_task(self._run())

    def done(self) -> None:
        if self._task is not None:
            self._task.cancel()
