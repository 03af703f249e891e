"""HTML -> visible text, and capped decompression."""

from __future__ import annotations

import gzip
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.models.text import (
    MAX_HTML_BYTES,
    MAX_TEXT_CHARS,
    decode_html,
    decompress_capped,
    extract_page,
    html_to_text,
)

PAGE = (
    "<!DOCTYPE html><html><head><title>Caf\u00e9 &amp; garden</title>"
    '<meta name="Description" content="Opening  hours and menu">'
    "<style>body{color:red}</style><script>var secret = 'script text';</script></head>"
    "<body><!-- a comment --><h1>Welcome</h1><p>Fresh   bread\n\nevery day.</p>"
    "<template><p>template text</p></template><noscript>noscript text</noscript>"
    "<p>Na\u00efve r\u00e9sum\u00e9</p></body></html>"
)


def test_keeps_title_description_and_body_text_only() -> None:
    page = extract_page(PAGE.encode("utf-8"), "text/html; charset=utf-8")
    assert page.title == "Caf\u00e9 & garden"
    assert page.description == "Opening hours and menu"
    assert page.body == "Welcome Fresh bread every day. Na\u00efve r\u00e9sum\u00e9"
    text = page.text
    for hidden in ("script text", "color:red", "a comment", "template text", "noscript"):
        assert hidden not in text
    assert text.startswith("Caf\u00e9 & garden Opening hours and menu Welcome")


@pytest.mark.parametrize(
    ("content_type", "encoding"),
    [
        ("text/html; charset=iso-8859-1", "latin-1"),
        ('text/html; charset="windows-1252"', "cp1252"),
        ("text/html;charset=UTF-8", "utf-8"),
        ("text/html; charset=koi8-r", "koi8-r"),
    ],
)
def test_charset_from_content_type(content_type: str, encoding: str) -> None:
    words = "\u041f\u0440\u0438\u0432\u0435\u0442" if encoding == "koi8-r" else "d\u00e9j\u00e0 vu"
    body = f"<html><body><p>{words}</p></body></html>".encode(encoding)
    assert html_to_text(body, content_type) == words


def test_charset_from_meta_when_header_has_none() -> None:
    body = '<html><head><meta charset="windows-1251"></head><body>\u043c\u0438\u0440</body>'
    assert html_to_text(body.encode("cp1251"), "text/html") == "\u043c\u0438\u0440"
    http_equiv = (
        '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-15"><p>\u20ac 5</p>'
    )
    assert html_to_text(http_equiv.encode("iso-8859-15")) == "\u20ac 5"


def test_wrong_declared_charset_falls_back() -> None:
    # Declared UTF-8 but sent as Latin-1: the declaration cannot decode it.
    body = (
        '<meta charset="utf-8"><p>Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e and other '
        "desserts for the whole family</p>"
    ).encode("latin-1")
    assert (
        html_to_text(body)
        == "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e and other desserts for the whole family"
    )


def test_absent_charset_detects_utf8_and_cyrillic() -> None:
    assert html_to_text("<p>\u00fcber stra\u00dfe</p>".encode()) == "\u00fcber stra\u00dfe"
    russian = (
        "<p>Сегодня в городе прошла ярмарка местных фермеров. Жители покупали мёд, сыр, "
        "овощи и свежий хлеб. Вечером в парке играл оркестр, а дети катались на "
        "каруселях до самой темноты.</p>"
    )
    text, codec = decode_html(russian.encode("cp1251"))
    assert codec == "cp1251"
    assert "ярмарка местных фермеров" in text


def test_byte_order_mark_wins_over_declaration() -> None:
    body = '<meta charset="iso-8859-1"><p>\u00e9t\u00e9</p>'.encode()
    assert html_to_text(b"\xef\xbb\xbf" + body) == "\u00e9t\u00e9"


def test_script_heavy_page_yields_only_visible_text() -> None:
    script = "<script>" + "var x = 'hidden';" * 1000 + "</script>"
    body = f"<html><head>{script}</head><body>{script}<p>Visible words</p>{script}</body>"
    assert html_to_text(body.encode()) == "Visible words"


def test_only_the_first_64kb_of_html_is_read() -> None:
    head = "<p>" + "early " * (MAX_HTML_BYTES // 6) + "</p>"
    body = (head + "<p>LATE MARKER</p>").encode()
    assert len(body) > MAX_HTML_BYTES
    text = html_to_text(body)
    assert "early" in text
    assert "LATE MARKER" not in text
    assert len(text) <= MAX_TEXT_CHARS


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20,
        bytes(range(256)) * 300,
        b"\xff\xfe\x00\x00garbage",
        b"<<<>>><<</////>>>",
        b"\x00" * 5000,
    ],
)
def test_empty_and_binary_input_never_raise(body: bytes) -> None:
    text = html_to_text(body, "text/html; charset=nonsense-charset")
    assert isinstance(text, str)
    assert "\x00" not in text


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096), st.one_of(st.none(), st.text(max_size=60)))
def test_arbitrary_bytes_never_raise(body: bytes, content_type: str | None) -> None:
    assert isinstance(html_to_text(body, content_type), str)


def test_gzip_bomb_is_cut_at_the_cap() -> None:
    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
    assert len(bomb) < 100_000
    out = decompress_capped(bomb, "gzip", 1 << 20)
    assert len(out) == 1 << 20


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd", "identity", None])
def test_each_encoding_round_trips_and_caps(encoding: str | None) -> None:
    payload = b"<p>hello world</p>" * 5000
    if encoding == "gzip":
        body = gzip.compress(payload)
    elif encoding == "deflate":
        body = zlib.compress(payload)
    elif encoding == "br":
        brotli = pytest.importorskip("brotli")
        body = brotli.compress(payload)
    elif encoding == "zstd":
        zstandard = pytest.importorskip("zstandard")
        body = zstandard.ZstdCompressor().compress(payload)
    else:
        body = payload
    assert decompress_capped(body, encoding, 10**7) == payload
    assert decompress_capped(body, encoding, 1000) == payload[:1000]


def test_brotli_and_zstd_bombs_are_cut() -> None:
    brotli = pytest.importorskip("brotli")
    zstandard = pytest.importorskip("zstandard")
    zeros = b"\0" * (128 << 20)
    assert len(decompress_capped(brotli.compress(zeros), "br", 1 << 20)) == 1 << 20
    assert len(decompress_capped(zstandard.ZstdCompressor().compress(zeros), "zstd", 1 << 20)) == (
        1 << 20
    )


def test_raw_deflate_and_stacked_encodings() -> None:
    payload = b"abc" * 1000
    raw = zlib.compressobj(wbits=-15)
    raw_body = raw.compress(payload) + raw.flush()
    assert decompress_capped(raw_body, "deflate", 10**6) == payload
    stacked = gzip.compress(zlib.compress(payload))  # deflate first, then gzip
    assert decompress_capped(stacked, "deflate, gzip", 10**6) == payload


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        (b"not gzip at all", "gzip"),
        (gzip.compress(b"x" * 1000)[:20], "gzip"),
        (b"\x00\x01\x02", "br"),
        (b"junk", "zstd"),
        (b"data", "compress"),
        (b"", "gzip"),
    ],
)
def test_corrupt_or_unknown_encodings_return_bytes(body: bytes, encoding: str) -> None:
    out = decompress_capped(body, encoding, 1000)
    assert isinstance(out, bytes)
    assert len(out) <= 1000


def test_truncated_gzip_keeps_what_was_decodable() -> None:
    payload = " ".join(f"word{i * 7919 % 10007}" for i in range(5000)).encode()
    body = gzip.compress(payload)
    out = decompress_capped(body[: len(body) // 2], "gzip", 10**6)
    assert payload.startswith(out)
    assert len(out) > 0


def test_random_bytes_served_as_html_are_never_read_as_text() -> None:
    # A server that labels a binary file text/html must not have its bytes scored as words.
    import random

    rng = random.Random(20261122)
    for _ in range(300):
        assert html_to_text(rng.randbytes(64 * 1024), "text/html") == ""
