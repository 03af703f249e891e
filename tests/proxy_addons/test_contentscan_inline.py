"""Without scan worker processes every page is scanned on the event loop: small, large and
compressed pages get the same verdicts, and a failing scan still reaches the fail-closed
handler."""

from __future__ import annotations

import asyncio
import gzip
import threading

import pytest

from proxy_addons import contentscan
from proxy_addons.contentscan import INLINE_SCAN, ContentScan
from tests.proxy_addons.test_contentscan import ADULT, FILLER, answered, run


@pytest.fixture
def scanning(chain, models):
    chain.state.page_model = models.page
    return chain


def test_small_large_and_compressed_pages_get_the_same_verdict(scanning) -> None:
    small = ADULT.encode()
    large = ADULT.replace("</body>", FILLER * 8 + "</body>").encode()
    assert len(small) <= INLINE_SCAN < len(large)
    verdicts = []
    for i, (body, headers) in enumerate(
        [(small, {}), (large, {}), (gzip.compress(small), {"content-encoding": "gzip"})]
    ):
        flow = run(scanning, answered(scanning, f"videos{i}.example", body, headers=headers))
        decision = flow.metadata["hearthguard"]
        verdicts.append((flow.response.status_code, decision.reason, decision.category))
    assert verdicts[0] == verdicts[1] == verdicts[2]
    assert verdicts[0][0] == 403


def test_every_page_is_scanned_on_the_event_loop_without_workers(scanning, monkeypatch) -> None:
    """A thread of this process would not scan beside the loop (the scan holds the GIL), and
    handing pages to one cost more CPU than it saved."""
    on_loop: list[bool] = []
    real = contentscan.scan_page

    def recording(*args):
        on_loop.append(threading.current_thread() is threading.main_thread())
        return real(*args)

    monkeypatch.setattr(contentscan, "scan_page", recording)
    small = ADULT.encode()
    run(scanning, answered(scanning, "a.example", small))
    compressed = gzip.compress(small)
    run(scanning, answered(scanning, "b.example", compressed, headers={"content-encoding": "gzip"}))
    run(scanning, answered(scanning, "c.example", small + b" " * INLINE_SCAN))
    assert on_loop == [True, True, True]
    assert [t.name for t in threading.enumerate() if t.name == "content-scan"] == []


def test_a_failing_inline_scan_raises_to_the_fail_closed_handler(scanning, monkeypatch) -> None:
    def broken(*args):
        raise RuntimeError("model table damaged")

    monkeypatch.setattr(contentscan, "scan_page", broken)
    flow = answered(scanning, "d.example", ADULT.encode())
    scan = scanning.addon(ContentScan)
    scan.responseheaders(flow)
    with pytest.raises(RuntimeError):
        asyncio.run(scan.response(flow))
