"""The fast header reads give what mitmproxy's own ``Headers`` give, for any header fields."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from mitmproxy import http

from proxy_addons.headers import has_header, header, is_html

_NAMES = [
    b"Content-Type",
    b"content-type",
    b"CONTENT-TYPE",
    b"Content-Length",
    b"User-Agent",
    b"X-Other",
]
_VALUES = st.binary(max_size=12) | st.sampled_from(
    [b"text/html; charset=utf-8", b"TEXT/HTML", b"application/xhtml+xml", b"image/png", b"\xff\xfe"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_NAMES), _VALUES), max_size=6))
def test_reads_equal_mitmproxys_headers(fields: list[tuple[bytes, bytes]]) -> None:
    response = http.Response.make(200, b"", {})
    response.headers = http.Headers(fields)
    for name in ("content-type", "content-length", "user-agent", "x-missing"):
        assert header(response, name.encode()) == response.headers.get(name, "")
        assert has_header(response, name.encode()) == (name in response.headers)
    kind = response.headers.get("content-type", "").lower()
    assert is_html(response) == kind.startswith(("text/html", "application/xhtml"))


def test_repeated_fields_are_joined_and_an_empty_one_is_present() -> None:
    request = http.Request.make("GET", "http://example.org/")
    request.headers = http.Headers(
        [(b"Accept", b"a"), (b"ACCEPT", b"b"), (b"Sec-WebSocket-Extensions", b"")]
    )
    assert header(request, b"accept") == "a, b"
    assert has_header(request, b"sec-websocket-extensions")
    assert header(request, b"sec-websocket-extensions") == ""
    assert not has_header(request, b"content-type")
