"""Giving freed memory back to the system."""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = ["return_freed_memory"]


def return_freed_memory() -> None:
    """Give the process's freed heap back to the system where the C library can (glibc's
    ``malloc_trim``). Loading a model or building the domain index frees much more than it
    keeps, in pieces the process would otherwise hold for good. Does nothing elsewhere."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to give back this way
