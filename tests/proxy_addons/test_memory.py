import asyncio
import ctypes.util

import pytest

from proxy_addons import memory
from proxy_addons.memory import MemoryTrim, malloc_trim


def test_malloc_trim_runs_on_this_c_library() -> None:
    # glibc (Debian, Raspberry Pi OS) has malloc_trim; the call must succeed and return True
    assert malloc_trim() is True


def test_the_trim_task_starts_and_stops() -> None:
    async def scenario() -> bool:
        trim = MemoryTrim()
        trim.running()
        await asyncio.sleep(0)
        running = trim._task is not None and not trim._task.done()
        trim.done()
        await asyncio.sleep(0)
        return running and trim._task.cancelled()

    assert asyncio.run(scenario())


def test_the_c_library_is_looked_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # find_library forks a child (ldconfig -p): not every 15 seconds for the proxy's life
    memory._find_trim.cache_clear()
    looked: list[str] = []
    real = ctypes.util.find_library

    def counting(name: str) -> str | None:
        looked.append(name)
        return real(name)

    monkeypatch.setattr(ctypes.util, "find_library", counting)
    assert malloc_trim() and malloc_trim() and malloc_trim()
    assert looked == ["c"]
