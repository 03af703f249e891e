"""Content-scan worker processes: pages scanned on another CPU core than the proxy's.

The proxy is one core bound by the GIL; reading and scoring a 60 KB page costs about as much
CPU as all of mitmproxy's own work on the request. With the option
``hearthguard_scan_workers`` above 0, ``ScanWorkers`` keeps that many worker processes
(``python -m classifier.scanworker``, started fresh with ``subprocess``, never forked from the
proxy) loaded with the proxy's own page model and phrase lists, and sends each page's body and
the two headers the scan reads to an idle one. The answer is the same ``PageVerdict`` and text
as ``scan_page`` gives in the proxy.

Failing closed: a worker that dies, answers out of turn or takes longer than ``SCAN_TIMEOUT``
raises ``ScanWorkerError`` for the page it was scanning (the content scan lets it reach the
fail-closed handler: the "could not check" page and one log line) and is killed; a new one is
started, at most ``MAX_RESTARTS`` times in ``RESTART_WINDOW``. While no worker is ready (one is
starting, or they keep failing), ``scan`` returns None and the page is scanned in the proxy as
with the option off: the same verdict, only on the proxy's core.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import sys
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import classifier
from classifier.lists.phrases import PhraseScorer
from classifier.models.page import PageModel
from classifier.models.text import MAX_HTML_BYTES
from classifier.pagescan import PageVerdict
from classifier.scanworker import HEADER, MAX_FRAME

__all__ = ["MAX_WORKERS", "ScanWorkerError", "ScanWorkers"]

log = logging.getLogger(__name__)

#: Most workers the option may ask for.
MAX_WORKERS = 8
#: Seconds a worker may take to answer one page (a 64 KB page takes milliseconds).
SCAN_TIMEOUT = 5.0
#: Seconds a new worker may take to load the page model and say it is ready.
START_TIMEOUT = 120.0
#: Workers started again after a failure: at most this many in this many seconds.
MAX_RESTARTS = 5
RESTART_WINDOW = 600.0


class ScanWorkerError(Exception):
    """A scan worker died, hung or answered out of turn while scanning a page."""


@dataclass(eq=False)
class _Worker:
    """One worker process: starting (``process`` None or not ready yet), ready, busy with a
    page, or dropped (stopped, or to be stopped as soon as it has started)."""

    generation: int
    process: asyncio.subprocess.Process | None = None
    ready: bool = False
    busy: bool = False
    dropped: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else 0


@dataclass(eq=False)
class _Loaded:
    """What the workers of one generation were loaded with (weakly: a replaced model is freed)."""

    model: weakref.ref[PageModel] | None
    phrases: weakref.ref[PhraseScorer] | None
    loop: asyncio.AbstractEventLoop
    generation: int
    workers: list[_Worker] = field(default_factory=list)

    def holds(
        self, model: PageModel | None, phrases: PhraseScorer | None, loop: asyncio.AbstractEventLoop
    ) -> bool:
        return loop is self.loop and _deref(self.model) is model and _deref(self.phrases) is phrases


class ScanWorkers:
    """Up to ``count`` scan worker processes (0: none, every page scanned in the proxy)."""

    def __init__(
        self,
        count: int = 0,
        *,
        scan_timeout: float = SCAN_TIMEOUT,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.count = count
        self.scan_timeout = scan_timeout
        self.start_timeout = start_timeout
        self._loaded: _Loaded | None = None
        self._generation = 0
        self._failures: deque[float] = deque()
        self._waiters: list[asyncio.Future[None]] = []
        self._gave_up_logged = False
        self._ending: list[asyncio.subprocess.Process] = []
        self._starting: set[asyncio.Task[None]] = set()

    # -- what the content scan calls ------------------------------------------------------

    def resize(self, count: int) -> None:
        """Keep ``count`` workers from now on; the running ones are stopped (new ones start
        on the next page)."""
        if count != self.count:
            self._retire()
            self.count = count

    def pids(self) -> list[int]:
        """The process ids of the workers started and not yet stopped."""
        workers = self._loaded.workers if self._loaded is not None else []
        return [w.pid for w in workers if w.process is not None]

    async def scan(
        self,
        model: PageModel | None,
        raw: bytes,
        content_encoding: str | None,
        content_type: str | None,
        phrases: PhraseScorer | None = None,
    ) -> tuple[PageVerdict, str] | None:
        """``scan_page``'s answer for these arguments from a worker, or None when no worker
        is ready (the caller scans the page itself). Raises ``ScanWorkerError`` when the
        worker fails on this page."""
        if self.count <= 0:
            return None
        loaded = self._current(model, phrases)
        self._start_missing(loaded)
        worker = await self._take(loaded)
        if worker is None:
            return None
        process = worker.process
        if process is None or process.returncode is not None:  # died between pages
            self._fail(loaded, worker, "ended between pages", reading=False)
            return None
        if _is_identity(content_encoding):
            raw = raw[:MAX_HTML_BYTES]  # all the scan reads of an uncompressed page
        try:
            reply = await self._exchange(
                worker, ("scan", raw, content_encoding, content_type), self.scan_timeout
            )
            kind = reply[0]
            found = (PageVerdict(*reply[1]), str(reply[2])) if kind == "ok" else None
        except asyncio.CancelledError:
            # the page's hook was cancelled (the proxy is ending): the worker is mid-message,
            # so it is replaced, but it did not fail
            self._drop(loaded, worker)
            raise
        except BaseException as exc:
            why = _why(exc)
            self._fail(loaded, worker, why)
            raise ScanWorkerError(f"the scan worker {why}") from exc
        if found is not None:
            self._release(loaded, worker)
            return found
        if kind == "error":  # the scan itself failed, as it may in the proxy: blocked
            self._release(loaded, worker)
            raise ScanWorkerError(f"the page's scan failed in the worker ({reply[1]})")
        self._fail(loaded, worker, f"answered {kind!r}")
        raise ScanWorkerError(f"the scan worker answered {kind!r}")

    def close(self) -> None:
        """Stop every worker now, busy or not (the proxy is ending)."""
        loaded, self._loaded = self._loaded, None
        if loaded is not None:
            for worker in loaded.workers:
                self._stop(worker)
            loaded.workers.clear()
        self._wake_all()

    async def wait_closed(self, timeout: float = 5.0) -> None:
        """Wait (at most ``timeout`` seconds) until the workers ``close`` stopped have ended."""
        ending, self._ending = self._ending, []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                for process in ending:
                    await process.wait()

    def _retire(self) -> None:
        """Stop the idle and starting workers now and the busy ones once their page is
        answered (the option changed, or the proxy reloaded its model or phrase lists)."""
        loaded, self._loaded = self._loaded, None
        if loaded is not None:
            for worker in loaded.workers:
                if not worker.busy:
                    self._stop(worker)
        self._wake_all()

    # -- inside ---------------------------------------------------------------------------

    def _current(self, model: PageModel | None, phrases: PhraseScorer | None) -> _Loaded:
        """The generation of workers for this model and these phrases on this loop; a new one
        (the old workers stopped) when the proxy reloaded either."""
        loop = asyncio.get_running_loop()
        if self._loaded is not None and self._loaded.holds(model, phrases, loop):
            return self._loaded
        self._retire()
        self._generation += 1
        self._loaded = _Loaded(
            weakref.ref(model) if model is not None else None,
            weakref.ref(phrases) if phrases is not None else None,
            loop,
            self._generation,
        )
        return self._loaded

    def _start_missing(self, loaded: _Loaded) -> None:
        missing = self.count - len(loaded.workers)
        if missing <= 0:
            return
        now = time.monotonic()
        while self._failures and self._failures[0] < now - RESTART_WINDOW:
            self._failures.popleft()
        if len(self._failures) >= MAX_RESTARTS:
            if not self._gave_up_logged:
                self._gave_up_logged = True
                log.error(
                    "The content-scan workers failed %d times in %d minutes; pages are scanned "
                    "in the proxy itself until that is no longer so.",
                    MAX_RESTARTS,
                    RESTART_WINDOW // 60,
                )
            return
        self._gave_up_logged = False
        model, phrases = _deref(loaded.model), _deref(loaded.phrases)
        load = (
            "load",
            model.table() if model is not None else None,
            dict(model.metadata) if model is not None else None,
            phrases.phrases if phrases is not None else None,
        )
        message = pickle.dumps(load, protocol=5)
        for _ in range(missing):
            worker = _Worker(loaded.generation)
            loaded.workers.append(worker)
            task = asyncio.get_running_loop().create_task(self._start(loaded, worker, message))
            self._starting.add(task)  # a task nothing refers to may be collected mid-start
            task.add_done_callback(self._starting.discard)

    async def _start(self, loaded: _Loaded, worker: _Worker, message: bytes) -> None:
        """Start ``worker``'s process and load it; it takes pages once it says it is ready."""
        try:
            worker.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "classifier.scanworker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=_worker_environment(),
            )
            if worker.dropped:
                raise ScanWorkerError("it was no longer wanted")
            reply = await self._exchange_raw(worker, message, self.start_timeout)
            if reply[0] != "ready":
                raise ScanWorkerError(f"the scan worker answered {reply[0]!r}")
        except BaseException as exc:
            dropped = worker.dropped
            self._stop(worker)
            if worker in loaded.workers:
                loaded.workers.remove(worker)
            if not dropped:
                self._failures.append(time.monotonic())
                log.error("A content-scan worker could not be started (%s).", _why(exc))
            self._wake_all()
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        if worker.dropped or worker not in loaded.workers:
            self._stop(worker)
            return
        worker.ready = True
        log.info("Content-scan worker %d is ready.", worker.pid)
        self._wake_one()

    async def _take(self, loaded: _Loaded) -> _Worker | None:
        """An idle ready worker (marked busy), waiting while every ready one is busy; None
        when none is ready."""
        while True:
            ready = [w for w in loaded.workers if w.ready]
            for worker in ready:
                if not worker.busy:
                    worker.busy = True
                    return worker
            if not ready or loaded is not self._loaded:
                return None
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _release(self, loaded: _Loaded, worker: _Worker) -> None:
        worker.busy = False
        if loaded is not self._loaded:  # the model changed meanwhile
            self._stop(worker)
            return
        self._wake_one()

    def _drop(self, loaded: _Loaded, worker: _Worker) -> None:
        """Stop ``worker`` and forget it; a new one starts with the next page."""
        worker.busy = False
        self._stop(worker)
        if worker in loaded.workers:
            loaded.workers.remove(worker)
        self._wake_all()

    def _fail(self, loaded: _Loaded, worker: _Worker, why: str, *, reading: bool = True) -> None:
        """Kill a worker that failed (``reading``: on a page, which its caller blocks) and
        count the failure; a new one starts with the next page."""
        self._drop(loaded, worker)
        self._failures.append(time.monotonic())
        log.error(
            "The content-scan worker %d %s; %sa new worker is started.",
            worker.pid,
            why,
            "the page it was reading is blocked and " if reading else "",
        )

    async def _exchange(self, worker: _Worker, message: Any, timeout: float) -> Any:
        return await self._exchange_raw(worker, pickle.dumps(message, protocol=5), timeout)

    async def _exchange_raw(self, worker: _Worker, data: bytes, timeout: float) -> Any:
        process = worker.process
        assert process is not None and process.stdin is not None and process.stdout is not None
        async with asyncio.timeout(timeout):
            process.stdin.writelines((HEADER.pack(len(data)), data))
            await process.stdin.drain()
            (size,) = HEADER.unpack(await process.stdout.readexactly(HEADER.size))
            if size > MAX_FRAME:
                raise ScanWorkerError(f"the scan worker sent a frame of {size} bytes")
            return pickle.loads(await process.stdout.readexactly(size))

    def _stop(self, worker: _Worker) -> None:
        """Kill ``worker`` (see ``_kill``); ``wait_closed`` waits for its end."""
        _kill(worker)
        self._ending = [p for p in self._ending if p.returncode is None]
        if worker.process is not None:
            self._ending.append(worker.process)

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return

    def _wake_all(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


def _kill(worker: _Worker) -> None:
    """Stop ``worker`` (or keep it from starting) and close our end of its input."""
    worker.dropped, worker.ready = True, False
    process = worker.process
    if process is None:
        return
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    if process.stdin is not None:
        process.stdin.close()


def _deref(ref: weakref.ref[Any] | None) -> Any:
    return ref() if ref is not None else None


def _is_identity(content_encoding: str | None) -> bool:
    encodings = {e.strip().lower() for e in (content_encoding or "").split(",")}
    return encodings <= {"", "identity", "none"}


def _why(exc: BaseException) -> str:
    """What happened to a worker, in words for the log."""
    if isinstance(exc, TimeoutError):
        return "did not answer in time"
    if isinstance(exc, asyncio.IncompleteReadError | BrokenPipeError | ConnectionResetError):
        return "ended"
    return f"failed ({type(exc).__name__}: {str(exc)[:200]})"


def _worker_environment() -> dict[str, str]:
    """The proxy's environment, with this copy of Hearthguard's code first on the path."""
    env = dict(os.environ)
    root = str(Path(classifier.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env
