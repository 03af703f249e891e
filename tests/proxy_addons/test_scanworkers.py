"""Content-scan worker processes (``hearthguard_scan_workers``), real processes throughout:
the same verdicts and text as the scan in the proxy on real pages, and a worker that dies,
hangs or fails is a blocked page, a log line and a new worker."""

from __future__ import annotations

import asyncio
import gzip
import html
import logging
import os
import signal
from pathlib import Path

import pytest
from mitmproxy import exceptions
from mitmproxy.test import taddons

from classifier.lists.phrases import load_weighted_phrases
from classifier.models.page import PageModel, build_page_model
from classifier.pagescan import scan_page
from classifier.training.sources import read_page_source
from proxy_addons import scanworkers
from proxy_addons.options import OptionsParser
from proxy_addons.scanworkers import ScanWorkerError, ScanWorkers
from proxy_addons.state import ProxyState
from tests.classifier.conftest import shared_data  # noqa: F401 - the shared data fixture


def _html(text: str, title: str) -> bytes:
    return (
        f"<html><head><title>{html.escape(title)}</title></head><body>"
        f"<nav>Home | About</nav><p>{html.escape(text)}</p></body></html>"
    ).encode()


@pytest.fixture(scope="module")
def real_pages(shared_data: Path) -> list[tuple[bytes, str | None]]:  # noqa: F811
    """About 2,000 real pages as bodies (some gzip-encoded) with their Content-Encoding."""
    docs = (
        read_page_source("gambling_affiliate", shared_data)
        + read_page_source("medquad", shared_data)[:900]
        + read_page_source("recipes", shared_data)[:500]
        + read_page_source("bbc_news", shared_data)[:300]
    )
    pages: list[tuple[bytes, str | None]] = []
    for i, doc in enumerate(docs):
        body = _html(doc.text, doc.group)
        pages.append((gzip.compress(body), "gzip") if i % 3 == 0 else (body, None))
    return pages


async def _ready(workers: ScanWorkers, model: PageModel | None, phrases=None) -> list[int]:
    """Wait (boundedly) until a worker has started and loaded; its pid."""
    page = _html("garden", "t")
    for _ in range(600):
        if await workers.scan(model, page, None, "text/html", phrases) is not None:
            return workers.pids()
        await asyncio.sleep(0.05)
    raise TimeoutError("no scan worker became ready within 30 s")


def test_workers_answer_what_the_proxy_scan_answers_on_real_pages(
    models,
    real_pages: list[tuple[bytes, str | None]],
    shared_data: Path,  # noqa: F811
) -> None:
    # e2guardian's own weighted phrase lists, as a household imports them
    phrases, _ = load_weighted_phrases(shared_data / "lists" / "e2guardian" / "weightedphraselist")
    assert len(phrases.phrases) > 1000

    async def main() -> tuple[int, int]:
        workers = ScanWorkers(2)
        try:
            await _ready(workers, models.page, phrases)
            found = await asyncio.gather(
                *(
                    workers.scan(models.page, body, encoding, "text/html", phrases)
                    for body, encoding in real_pages
                )
            )
        finally:
            workers.close()
            await workers.wait_closed()
        harmful = phrased = 0
        for (body, encoding), got in zip(real_pages, found, strict=True):
            expected = scan_page(models.page, body, encoding, "text/html", phrases)
            assert got == expected, (got, expected)
            harmful += expected[0].category != "benign"
            phrased += expected[0].phrase_total != 0
        return len(found), harmful, phrased

    scanned, harmful, phrased = asyncio.run(main())
    assert scanned > 1800
    # verdicts with explanations and phrase totals, not only benign ones
    assert harmful > 50 and phrased > 200


def test_a_worker_killed_mid_page_blocks_that_page_and_is_replaced(models, caplog) -> None:
    caplog.set_level(logging.INFO, logger="proxy_addons.scanworkers")
    page = _html("casino bonus slots poker " * 2000, "casino")

    async def main() -> None:
        workers = ScanWorkers(1)
        try:
            (first,) = await _ready(workers, models.page)
            os.kill(first, signal.SIGSTOP)  # mid-page: it reads the page and never answers
            scanning = asyncio.ensure_future(workers.scan(models.page, page, None, "text/html"))
            await asyncio.sleep(0.3)
            os.kill(first, signal.SIGKILL)
            with pytest.raises(ScanWorkerError, match="ended"):
                await asyncio.wait_for(scanning, 10)
            (second,) = await _ready(workers, models.page)
            assert second != first
            verdict, _ = await workers.scan(models.page, page, None, "text/html")
            assert (verdict, _) == scan_page(models.page, page, None, "text/html")
        finally:
            workers.close()
            await workers.wait_closed()

    asyncio.run(main())
    assert (
        "content-scan worker" in caplog.text and "the page it was reading is blocked" in caplog.text
    )


def test_a_hung_worker_times_out_blocks_the_page_and_is_replaced(models, caplog) -> None:
    page = _html("a page about the weather", "weather")

    async def main() -> None:
        workers = ScanWorkers(1, scan_timeout=1.0)
        try:
            (first,) = await _ready(workers, models.page)
            os.kill(first, signal.SIGSTOP)
            with pytest.raises(ScanWorkerError, match="did not answer in time"):
                await workers.scan(models.page, page, None, "text/html")
            with pytest.raises(ProcessLookupError):  # killed, not left stopped
                for _ in range(100):
                    os.kill(first, 0)
                    await asyncio.sleep(0.05)
            (second,) = await _ready(workers, models.page)
            assert second != first
        finally:
            workers.close()
            await workers.wait_closed()

    asyncio.run(main())
    assert "did not answer in time" in caplog.text


def test_a_worker_dead_between_pages_is_replaced_and_the_page_scanned_in_the_proxy(
    models,
) -> None:
    async def main() -> None:
        workers = ScanWorkers(1)
        try:
            (first,) = await _ready(workers, models.page)
            os.kill(first, signal.SIGKILL)
            for _ in range(100):  # until the proxy side has seen it end
                if workers._loaded.workers[0].process.returncode is not None:  # type: ignore[union-attr]
                    break
                await asyncio.sleep(0.05)
            assert await workers.scan(models.page, _html("x", "y"), None, "text/html") is None
            (second,) = await _ready(workers, models.page)
            assert second != first
        finally:
            workers.close()
            await workers.wait_closed()

    asyncio.run(main())


def test_a_scan_that_fails_in_the_worker_is_an_error_and_the_worker_stays(models) -> None:
    async def main() -> None:
        workers = ScanWorkers(1)
        try:
            (first,) = await _ready(workers, models.page)
            with pytest.raises(ScanWorkerError, match="scan failed in the worker"):
                # a Content-Type that is not text fails inside scan_page, as in the proxy
                await workers.scan(models.page, b"<p>x</p>", None, 7)  # type: ignore[arg-type]
            assert workers.pids() == [first]
            assert await workers.scan(models.page, _html("x", "y"), None, "text/html") is not None
        finally:
            workers.close()
            await workers.wait_closed()

    asyncio.run(main())


def test_a_reloaded_model_gets_new_workers_and_the_old_ones_end(models) -> None:
    reloaded = build_page_model(models.page.table(), dict(models.page.metadata))

    async def main() -> None:
        workers = ScanWorkers(1)
        try:
            (first,) = await _ready(workers, models.page)
            (second,) = await _ready(workers, reloaded)
            assert second != first
            for _ in range(100):
                try:
                    os.kill(first, 0)
                except ProcessLookupError:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the worker of the old model still runs")
        finally:
            workers.close()
            await workers.wait_closed()

    asyncio.run(main())


def test_workers_that_keep_failing_are_no_longer_restarted(models, monkeypatch, caplog) -> None:
    monkeypatch.setattr(scanworkers, "MAX_RESTARTS", 2)

    async def main() -> None:
        workers = ScanWorkers(1, scan_timeout=0.5)
        try:
            for _ in range(2):
                (pid,) = await _ready(workers, models.page)
                os.kill(pid, signal.SIGSTOP)
                with pytest.raises(ScanWorkerError, match="did not answer in time"):
                    await workers.scan(models.page, _html("x", "y"), None, "text/html")
            for _ in range(20):  # every page scanned in the proxy, no worker started
                assert await workers.scan(models.page, _html("x", "y"), None, "text/html") is None
                assert workers.pids() == []
        finally:
            workers.close()
            await workers.wait_closed()

    asyncio.run(main())
    assert "failed 2 times" in caplog.text


def test_a_cancelled_page_replaces_its_worker_without_counting_a_failure(
    models, monkeypatch
) -> None:
    monkeypatch.setattr(scanworkers, "MAX_RESTARTS", 1)

    async def main() -> None:
        workers = ScanWorkers(1)
        try:
            seen = []
            for _ in range(3):
                (pid,) = await _ready(workers, models.page)
                seen.append(pid)
                os.kill(pid, signal.SIGSTOP)  # the page stays in it until the hook is cancelled
                page = asyncio.ensure_future(
                    workers.scan(models.page, _html("x", "y"), None, "text/html")
                )
                await asyncio.sleep(0.2)
                page.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await page
            assert len(set(seen)) == 3  # replaced each time, never given up on
        finally:
            workers.close()
            await workers.wait_closed()

    asyncio.run(main())


def test_the_option_is_refused_out_of_range() -> None:
    parser = OptionsParser(ProxyState())
    with taddons.context(parser) as tctx:
        tctx.configure(parser, hearthguard_scan_workers=2)
        assert parser.state.options.scan_workers == 2
        for bad in (-1, 9):
            with pytest.raises(exceptions.OptionsError):
                tctx.configure(parser, hearthguard_scan_workers=bad)
        assert parser.state.options.scan_workers == 2
