"""Pages too large to hold: their beginning is judged before any of it is sent."""

from __future__ import annotations

import gzip

from mitmproxy.net import encoding

from proxy_addons.contentscan import STREAM_SCAN_BYTES, ContentScan
from tests.proxy_addons.test_contentscan import ADULT, SEX_ED, answered, scanning  # noqa: F401

PADDING = b"<p>" + b"garden river school " * 100_000 + b"</p>"  # 2 MB of ordinary words


def streamed(chain, page: bytes, *, http_version: str = "HTTP/1.1", gz: bool = False):  # type: ignore[no-untyped-def]
    body = gzip.compress(page) if gz else page
    headers = {"content-length": str(3 * 1024 * 1024)}  # announced as too large to hold
    if gz:
        headers["content-encoding"] = "gzip"
    flow = answered(chain, "big.example", b"", headers=headers)
    flow.request.http_version = http_version
    chain.addon(ContentScan).responseheaders(flow)
    return flow, body


def send(flow, body: bytes, step: int = 16 * 1024) -> bytes:  # type: ignore[no-untyped-def]
    """Feed the body to the stream in chunks, as mitmproxy does, then the end (b"")."""
    out = b""
    for start in range(0, len(body), step):
        chunks = flow.response.stream(body[start : start + step])
        assert b"" not in chunks  # an empty chunk would end a chunked answer early
        out += b"".join(chunks)
    return out + b"".join(flow.response.stream(b""))


def test_a_large_harmful_page_is_replaced_by_the_block_page(scanning) -> None:  # noqa: F811
    flow, body = streamed(scanning, ADULT.encode() + PADDING)
    assert callable(flow.response.stream)
    assert "content-length" not in flow.response.headers
    assert flow.response.headers["transfer-encoding"] == "chunked"
    assert flow.response.headers["cache-control"] == "no-store"
    out = send(flow, body)
    assert b"porn" not in out and b"This page was stopped" in out
    assert flow.metadata["hearthguard"].blocked


def test_a_large_harmless_page_flows_on_whole(scanning) -> None:  # noqa: F811
    page = SEX_ED.encode() + PADDING
    flow, body = streamed(scanning, page)
    assert flow.response.stream(body[: STREAM_SCAN_BYTES // 2]) == []  # held until judged
    # what was held comes out first, once judged: nothing lost, nothing added
    assert send(flow, body[STREAM_SCAN_BYTES // 2 :]) == page


def test_a_compressed_large_harmful_page_gets_a_compressed_block_page(scanning) -> None:  # noqa: F811
    flow, body = streamed(scanning, ADULT.encode() + PADDING, http_version="HTTP/2.0", gz=True)
    assert "content-length" not in flow.response.headers
    assert "transfer-encoding" not in flow.response.headers  # HTTP/2 frames end the body
    out = encoding.decode(send(flow, body), "gzip")
    assert b"This page was stopped" in out and b"porn" not in out


def test_a_small_large_page_is_judged_at_its_end(scanning) -> None:  # noqa: F811
    """Announced as large but shorter than what is held: judged when the body ends."""
    flow, body = streamed(scanning, ADULT.encode())
    out = send(flow, body)
    assert b"This page was stopped" in out


def test_an_http_1_0_client_is_answered_until_the_connection_closes(scanning) -> None:  # noqa: F811
    flow, body = streamed(scanning, ADULT.encode() + PADDING, http_version="HTTP/1.0")
    assert "content-length" not in flow.response.headers
    assert "transfer-encoding" not in flow.response.headers
    assert b"This page was stopped" in send(flow, body)
