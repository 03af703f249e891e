"""Pages sent without a Content-Length (chunked, or until the connection closes): mitmproxy
would hold them, then stream the rest on by itself past ``stream_large_bodies``, unread. They
are held from their first byte instead and judged exactly as a page held whole."""

from __future__ import annotations

import base64
import gzip
import html
import logging
import random

import pytest
from mitmproxy.net import encoding

from proxy_addons import contentscan
from proxy_addons.contentscan import STREAM_SCAN_BYTES, ContentScan
from tests.proxy_addons.test_contentscan import (  # noqa: F401
    ADULT,
    FILLER,
    SEX_ED,
    answered,
    run,
    scanning,
)
from tests.proxy_addons.test_contentscan_stream import PADDING, send

STOPPED = b"This page was stopped"


def chunked(  # type: ignore[no-untyped-def]
    chain,
    host: str,
    *,
    path: str = "/",
    headers: dict[str, str] | None = None,
    http_version: str = "HTTP/1.1",
    hook: bool = True,
):
    """The answer's headers as they arrive, chunked, before any of its body (and, with
    ``hook``, after the scan's ``responseheaders`` hook)."""
    flow = answered(chain, host, b"", headers=headers, path=path)
    flow.request.http_version = http_version
    del flow.response.headers["content-length"]
    if http_version == "HTTP/1.1":
        flow.response.headers["transfer-encoding"] = "chunked"
    if hook:
        chain.addon(ContentScan).responseheaders(flow)
    return flow


def decided(flow) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    decision = flow.metadata["hearthguard"]
    return (decision.action, decision.reason, decision.category, decision.source)


def test_a_page_without_a_length_is_held_from_its_first_byte(scanning) -> None:  # noqa: F811
    flow = chunked(scanning, "videos.example")
    assert callable(flow.response.stream)  # never left for mitmproxy to stream on unread
    assert flow.response.headers["transfer-encoding"] == "chunked"
    assert flow.response.headers["cache-control"] == "no-store"  # it may become the block page
    assert flow.response.stream(ADULT.encode()[:1000]) == []  # held, not sent


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("page", ["adult", "sex-ed", "garden"])
def test_the_verdict_is_the_one_a_page_held_whole_gets(scanning, page: str, gz: bool) -> None:  # noqa: F811
    html_page = {"adult": ADULT, "sex-ed": SEX_ED, "garden": f"<p>{FILLER}</p>"}[page].encode()
    body = gzip.compress(html_page) if gz else html_page
    headers = {"content-encoding": "gzip"} if gz else {}
    whole = run(scanning, answered(scanning, "a.example", body, headers=headers))
    flow = chunked(scanning, "b.example", headers=headers)
    out = send(flow, body, step=700)
    assert decided(flow) == decided(whole)
    if page == "adult":
        assert whole.response.status_code == 403
        shown = encoding.decode(out, "gzip") if gz else out
        assert STOPPED in shown and b"porn" not in shown
    else:
        assert whole.response.status_code == 200 and out == body  # byte for byte


def test_a_harmful_page_over_a_megabyte_is_replaced_before_its_first_byte_is_sent(
    scanning,  # noqa: F811
) -> None:
    body = ADULT.encode() + PADDING
    flow = chunked(scanning, "videos.example")
    step = 16 * 1024
    sent = [flow.response.stream(body[i : i + step]) for i in range(0, STREAM_SCAN_BYTES, step)]
    assert sent[:-1] == [[]] * (len(sent) - 1)  # nothing out until the beginning is judged
    assert STOPPED in b"".join(sent[-1])
    rest = send(flow, body[STREAM_SCAN_BYTES:], step=64 * 1024)
    assert rest == b""  # the rest of the page never reaches the child
    assert flow.metadata["hearthguard"].blocked


def test_a_harmless_3_mb_page_arrives_byte_for_byte(scanning) -> None:  # noqa: F811
    body = SEX_ED.encode() + PADDING + PADDING[: 1024 * 1024]
    assert len(body) > 3_000_000
    flow = chunked(scanning, "health.example")
    assert send(flow, body, step=32 * 1024) == body


def test_a_gzip_page_over_a_megabyte_gets_a_gzip_block_page_or_passes_whole(
    scanning,  # noqa: F811
) -> None:
    # a script that does not compress: over a megabyte on the wire as well
    noise = b"<script>//" + base64.b64encode(random.Random(7).randbytes(1_200_000)) + b"</script>"
    harmful = gzip.compress(ADULT.encode() + noise)
    assert len(harmful) > 1024 * 1024
    flow = chunked(scanning, "videos.example", headers={"content-encoding": "gzip"})
    shown = encoding.decode(send(flow, harmful), "gzip")
    assert STOPPED in shown and b"porn" not in shown
    harmless = gzip.compress(SEX_ED.encode() + noise)
    flow = chunked(scanning, "health.example", headers={"content-encoding": "gzip"})
    assert send(flow, harmless) == harmless


def test_the_verdict_is_remembered_for_the_next_request_either_way(scanning) -> None:  # noqa: F811
    first = chunked(scanning, "videos.example", path="/clip?id=1")
    assert STOPPED in send(first, ADULT.encode())
    # the same page again, now harmless: blocked at its first byte, as a page held whole is
    again = chunked(scanning, "videos.example", path="/clip?id=1")
    assert STOPPED in b"".join(again.response.stream(b"<p>hi"))
    whole = run(scanning, answered(scanning, "videos.example", b"<p>hi</p>", path="/clip?id=1"))
    assert whole.response.status_code == 403
    # a page that passed is not held again: it streams on as it comes, headers untouched
    run(scanning, answered(scanning, "garden.example", f"<p>{FILLER}</p>".encode(), path="/p"))
    passed = chunked(scanning, "garden.example", path="/p")
    assert passed.response.stream is True and "cache-control" not in passed.response.headers


def test_a_blocked_page_awaits_review_as_a_page_held_whole_does(scanning) -> None:  # noqa: F811
    reviews = scanning.state.pending_reviews
    run(scanning, answered(scanning, "whole.example", ADULT.encode(), path="/clip?id=3"))
    send(chunked(scanning, "held.example", path="/clip?id=3"), ADULT.encode())
    assert len(reviews) == 2
    whole, held = reviews
    assert (held["kind"], held["url"], held["category"]) == (
        "blocked",
        "held.example/clip",
        "adult",
    )
    for field in ("kind", "category", "score", "text", "device"):
        assert whole[field] == held[field], field


def test_a_block_page_in_another_charset_is_written_in_it(scanning) -> None:  # noqa: F811
    flow = chunked(
        scanning, "videos.example", headers={"content-type": "text/html; charset=cp1252"}
    )
    flow.request.headers["accept-language"] = "cs"
    out = send(flow, ADULT.encode("cp1252"))
    text = html.unescape(out.decode("cp1252"))  # what a browser shows for that charset
    assert "Hearthguard" in text and "č" in text  # Czech letters cp1252 lacks, as references
    assert "č".encode() not in out


def test_answers_without_a_body_and_pages_not_scanned_are_not_held(scanning, store) -> None:  # noqa: F811
    head = answered(scanning, "a.example", b"")
    head.request.method = "HEAD"
    del head.response.headers["content-length"]
    scanning.addon(ContentScan).responseheaders(head)
    assert not head.response.stream  # nothing to judge: mitmproxy answers as it is
    image = chunked(scanning, "b.example", headers={"content-type": "image/png"})
    assert image.response.stream is True
    store.update_profile("Household", content_scan=False)
    scanning.refresh()
    assert chunked(scanning, "videos.example").response.stream is True


def test_an_http2_answer_ends_with_its_stream(scanning) -> None:  # noqa: F811
    flow = chunked(scanning, "videos.example", http_version="HTTP/2.0")
    assert "transfer-encoding" not in flow.response.headers
    assert STOPPED in send(flow, ADULT.encode() + PADDING)


def test_an_empty_frame_before_the_page_does_not_let_it_through(scanning) -> None:  # noqa: F811
    """An HTTP/2 origin may send an empty DATA frame mid-body: it looks like the end."""
    flow = chunked(scanning, "videos.example", http_version="HTTP/2.0")
    first = b"<html><body><p>garden</p>"
    assert flow.response.stream(first) == []
    assert flow.response.stream(b"") == [first]  # judged on what there was: harmless
    rest = ADULT.encode() + PADDING
    out = send(flow, rest)
    assert b"porn" not in out and out == b""  # judged again with what came: cut
    assert flow.metadata["hearthguard"].blocked


def test_a_failing_judge_cuts_the_page_and_logs_one_line(
    scanning,  # noqa: F811
    monkeypatch,
    caplog,
) -> None:
    def broken(*args):  # type: ignore[no-untyped-def]
        raise RuntimeError("model table damaged")

    monkeypatch.setattr(contentscan, "scan_page", broken)
    flow = chunked(scanning, "videos.example")
    with caplog.at_level(logging.ERROR, logger=contentscan.__name__):
        out = send(flow, SEX_ED.encode() + PADDING)
    assert out == b""
    lines = [r for r in caplog.records if r.name == contentscan.__name__]
    assert [r.getMessage() for r in lines] == [
        "A page could not be checked (RuntimeError); it was cut."
    ]


@pytest.mark.parametrize("failing", ["_scanning_profile", "_recall"])
def test_an_error_before_the_page_is_held_never_lets_it_stream_on(
    scanning,  # noqa: F811
    monkeypatch,
    failing: str,
) -> None:
    from proxy_addons.failclosed import FailClosed

    def broken(*args):  # type: ignore[no-untyped-def]
        raise RuntimeError("damaged")

    monkeypatch.setattr(ContentScan, failing, broken)
    scan = scanning.addon(ContentScan)
    flow = chunked(scanning, "videos.example", hook=False)
    with pytest.raises(RuntimeError) as raised:
        scan.responseheaders(flow)
    assert flow.response.stream(ADULT.encode()) == []  # nothing streams on meanwhile
    # as mitmproxy hands the error to the fail-closed handler
    FailClosed(scanning.state, scan.pages)("responseheaders", (flow,), raised.value)
    assert not flow.live and flow.error is not None  # killed: the page never reaches the child


def test_a_page_in_a_protocol_it_cannot_frame_is_cut(scanning, caplog) -> None:  # noqa: F811
    with caplog.at_level(logging.ERROR, logger=contentscan.__name__):
        flow = chunked(scanning, "videos.example", http_version="SPDY/3")
    assert flow.response.stream(SEX_ED.encode()) == [] and flow.error is not None
    assert len([r for r in caplog.records if r.name == contentscan.__name__]) == 1
