"""The content scan's call thread: results and errors come back to the awaiting hook, in order."""

from __future__ import annotations

import asyncio
import threading

from proxy_addons.scanthread import CallThread


def test_calls_run_off_the_loop_in_order_and_errors_reach_the_caller() -> None:
    worker = CallThread("test-calls")
    ran: list[tuple[int, bool]] = []

    def record(i: int) -> int:
        ran.append((i, threading.current_thread() is threading.main_thread()))
        if i == 3:
            raise ValueError("page three")
        return i * 10

    async def main() -> list[object]:
        futures = [worker.run(record, i) for i in range(6)]
        return await asyncio.gather(*futures, return_exceptions=True)

    results = asyncio.run(main())
    assert results[:3] == [0, 10, 20] and results[4:] == [40, 50]
    assert isinstance(results[3], ValueError)
    assert ran == [(i, False) for i in range(6)]
    worker.stop()


def test_a_stopped_thread_is_started_again_and_each_loop_gets_its_own_results() -> None:
    worker = CallThread("test-restart")
    assert asyncio.run(_call(worker, 1)) == 2
    worker.stop()
    assert asyncio.run(_call(worker, 5)) == 6  # a new loop, a new thread
    worker.stop()


def test_a_cancelled_caller_does_not_break_the_thread() -> None:
    worker = CallThread("test-cancel")
    gate = threading.Event()

    async def main() -> int:
        slow = worker.run(gate.wait, 5)
        slow.cancel()
        gate.set()
        return await worker.run(lambda: 7)

    assert asyncio.run(main()) == 7
    worker.stop()


async def _call(worker: CallThread, value: int) -> int:
    return await worker.run(lambda v: v + 1, value)


def test_stop_before_any_call_is_harmless() -> None:
    CallThread("unused").stop()
