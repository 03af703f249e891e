"""``hearthguard check`` on several cores: a long list of addresses is cut into chunks that
worker processes decide, and their lines are written in the order the addresses came.

The workers are forked once the lists and policy are loaded, so they share the category
index (a read-only mapping) and every decision's inputs; each remembers its own decisions and
loads the URL model only if one of its addresses reaches it. Deciding is pure, so the lines
are byte for byte those one process writes. At most ``jobs * _AHEAD`` chunks are in flight:
memory stays bounded whatever the length of the input. A worker that fails ends the command
with its error; nothing is written for the chunks after it.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from multiprocessing.pool import AsyncResult

from policy.check import CheckedLines, chunk_checker, chunked
from policy.snapshot import Snapshot
from policy.values import Profile

__all__ = ["MAX_JOBS", "check_in_parallel", "default_jobs"]

#: Most worker processes a check starts by itself (``--jobs`` may ask for more).
MAX_JOBS = 4
#: Chunks each worker may have waiting for it.
_AHEAD = 2

# What the workers decide with: set in the parent just before they are forked.
_work: tuple[Profile, Snapshot, datetime] | None = None
# In a worker: its checker and the count of bad addresses it has met.
_checker: Callable[[list[str]], list[str]] | None = None
_counts = CheckedLines()


def default_jobs() -> int:
    """One process per core this process may run on, at most ``MAX_JOBS``."""
    return max(1, min(MAX_JOBS, len(os.sched_getaffinity(0))))


def _decide_in_worker(chunk: list[str]) -> tuple[list[str], int]:
    global _checker
    if _checker is None:
        if _work is None:  # pragma: no cover - a worker is always forked with its work
            raise RuntimeError("check worker started without its work")
        _checker = chunk_checker(*_work, _counts)
    bad = _counts.bad
    lines = _checker(chunk)
    return lines, _counts.bad - bad


def check_in_parallel(
    urls: Iterable[str],
    profile: Profile,
    snapshot: Snapshot,
    now: datetime,
    counts: CheckedLines,
    jobs: int,
) -> Iterator[list[str]]:
    """The lines of `policy.check.check_chunks`, a chunk at a time, decided by ``jobs``
    forked processes; in this process when ``jobs`` is 1 or the addresses fit in one chunk
    (starting workers would cost more than it saves)."""
    global _work
    chunks = chunked(urls)
    first = list(itertools.islice(chunks, 2))
    if jobs <= 1 or len(first) < 2:
        decide_chunk = chunk_checker(profile, snapshot, now, counts)
        for chunk in itertools.chain(first, chunks):
            yield decide_chunk(chunk)
        return
    _work = (profile, snapshot, now)
    pool = multiprocessing.get_context("fork").Pool(jobs)
    try:
        waiting: deque[AsyncResult[tuple[list[str], int]]] = deque()
        for chunk in itertools.chain(first, chunks):
            waiting.append(pool.apply_async(_decide_in_worker, (chunk,)))
            if len(waiting) >= jobs * _AHEAD:
                lines, bad = waiting.popleft().get()
                counts.bad += bad
                yield lines
        while waiting:
            lines, bad = waiting.popleft().get()
            counts.bad += bad
            yield lines
        pool.close()
        pool.join()  # the workers' time is then the command's own (CPU figures include it)
    finally:
        pool.terminate()
        _work = None
