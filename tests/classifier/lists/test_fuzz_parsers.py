"""Hostile list files, phrase lists, hotline lists and page bodies, generated (bounded).

Every parser reads files a parent downloads from anywhere. Whatever the bytes, each either
refuses the whole file with its own error or returns entries that are all well formed: no
public suffix, no control character and no upper case can reach the category index, and a
clean line of a list is never lost among junk lines.
"""

from __future__ import annotations

import gzip
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from classifier.lists.formats import FORMATS, parse_path
from classifier.lists.hosts import is_public_suffix, is_valid_domain
from classifier.lists.hotline import HotlineError, digest_host, parse_hotline
from classifier.lists.parsed import ListFormatError
from classifier.lists.phrases import compile_phrases, parse_weighted_phrase_list
from classifier.models.text import MAX_TEXT_CHARS, decompress_capped, html_to_text

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_LABEL = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
_DOMAIN = st.builds(lambda a, b: f"{a}.{b}", _LABEL, st.sampled_from(["com", "org", "co.uk"]))
#: Pieces list files are made of, well formed or not.
_LINE = st.one_of(
    _DOMAIN,
    st.builds(lambda d: f"0.0.0.0 {d}", _DOMAIN),
    st.builds(lambda d: f"||{d}^", _DOMAIN),
    st.builds(lambda d: f"@@||{d}^$document", _DOMAIN),
    st.builds(lambda d, p: f"{d}/{p}", _DOMAIN, st.text(max_size=12)),
    st.builds(lambda d: f"*.{d}", _DOMAIN),
    st.sampled_from(
        [
            "com",
            "co.uk",
            "github.io",
            "localhost",
            "127.0.0.1",
            "::1",
            "#comment",
            "!x",
            ".Include</no/such/list>",
            "[Adblock Plus 2.0]",
            "<html><body>",
            "ex\u00e4mple.de",
            "a..b.com",
            "-bad-.com",
            "x" * 3000,
            "\x00\x01\x02",
            "\ufeffbom.example",
            "EXAMPLE.ORG.",
            "http://user@host.example/",
            "\u202egnp.example",
        ]
    ),
    st.text(max_size=40),
)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def _write(folder: Path, name: str, lines: list[str], raw_tail: bytes, gz: bool) -> Path:
    data = "\n".join(lines).encode("utf-8", "surrogatepass") + raw_tail
    path = folder / (name + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@FUZZ
@given(
    lines=st.lists(_LINE, max_size=30),
    raw_tail=st.binary(max_size=64),
    fmt=st.sampled_from(("auto", *FORMATS)),
    gz=st.booleans(),
)
def test_any_list_file_is_refused_whole_or_yields_only_well_formed_entries(
    lines: list[str], raw_tail: bytes, fmt: str, gz: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), "adult.txt", lines, raw_tail, gz)
        try:
            parsed = parse_path(path, format=fmt)
        except ListFormatError as exc:
            assert str(exc)
            return
    for one in parsed:
        assert 0 <= one.rejected_total <= one.lines_total + 1
        for domain in (*one.domains, *one.allow_domains):
            assert is_valid_domain(domain), domain
            assert domain == domain.lower() and not is_public_suffix(domain), domain
        for prefix in (*one.url_prefixes, *one.allow_url_prefixes):
            assert not _CONTROL.search(prefix), prefix
            host = prefix.split("/", 1)[0]
            assert is_valid_domain(host) and not is_public_suffix(host), prefix


@FUZZ
@given(good=_DOMAIN, junk=st.lists(_LINE, max_size=20), raw_tail=st.binary(max_size=32))
def test_a_clean_line_among_junk_is_kept(good: str, junk: list[str], raw_tail: bytes) -> None:
    """Bad lines never cost the good ones (a list is not lost because of one line)."""
    assume(not is_public_suffix(good))  # e.g. x0.com is on the public suffix list
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), "adult.txt", [good, *junk], b"\n" + raw_tail, False)
        try:
            (parsed,) = parse_path(path, format="domains")
        except ListFormatError:
            return  # e.g. the junk made the whole file binary: refused whole, said why
    assert good in parsed.domains or any(good.endswith("." + d) for d in parsed.domains)


@FUZZ
@given(
    lines=st.lists(
        st.one_of(
            st.text(max_size=30),
            st.builds(lambda d: f"<{d}><50>", _DOMAIN),
            st.builds(lambda w, n: f"<{w}><{n}>", st.text(max_size=12), st.integers(-999, 999)),
            st.builds(lambda a, b: f"<{a}>,<{b}><40>", st.text(max_size=8), st.text(max_size=8)),
            st.sampled_from([".Include<../../../../no/such/list>", ".Include<missing>", "#c"]),
        ),
        max_size=25,
    ),
    raw=st.binary(max_size=64),
)
def test_any_weighted_phrase_list_parses_and_compiles(lines: list[str], raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "weightedphraselist"
        path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + raw)
        parsed = parse_weighted_phrase_list(path)
        scorer = compile_phrases(parsed.phrases)
    assert all(p.parts and all(part for part in p.parts) for p in parsed.phrases)
    found = scorer.score(" ".join(lines)[:2000])
    assert isinstance(found.total, int)


@FUZZ
@given(
    entries=st.lists(
        st.one_of(
            st.builds(digest_host, _DOMAIN),
            st.text(max_size=70),
            st.sampled_from(["#x", "", "0" * 63, "G" * 64, "\u0660" * 64]),
        ),
        max_size=20,
    ),
    raw=st.binary(max_size=32),
)
def test_any_hotline_file_is_refused_whole_or_counts_its_bad_lines(
    entries: list[str], raw: bytes
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "iwf.txt"
        path.write_bytes("\n".join(entries).encode("utf-8", "surrogatepass") + raw)
        try:
            hotline = parse_hotline(path)
        except HotlineError as exc:
            assert "iwf.txt" in str(exc)
            return
    assert all(len(d) == 32 for d in hotline.digests)
    assert hotline.bad_lines_total <= hotline.lines_total


_TAGS = st.sampled_from(
    [
        "<script>",
        "</script>",
        "<style>",
        "</style>",
        "<p>",
        "</p>",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<svg>",
        "<title>",
        "</title>",
        "<meta charset='utf-7'>",
        '<meta charset="klingon">',
        "&amp;",
        "&#0;",
        "&#xD800;",
        "&#99999999;",
        "<",
        ">",
        "\x00",
        "\ufeff",
        "<noscript>",
        "<template>",
        "<iframe>",
    ]
)


@FUZZ
@given(
    parts=st.lists(st.one_of(_TAGS, st.text(max_size=20)), max_size=60),
    content_type=st.one_of(
        st.none(), st.sampled_from(["text/html; charset=utf-16", "text/html; charset=x"])
    ),
)
def test_html_soup_becomes_bounded_text_without_script(
    parts: list[str], content_type: str | None
) -> None:
    secret = "zqxscriptonly"
    html = f"<p>hi<script>var {secret} = 1;</script>" + "".join(parts)
    text = html_to_text(html.encode("utf-8", "surrogatepass"), content_type)
    assert isinstance(text, str) and len(text) <= MAX_TEXT_CHARS
    if content_type is None:
        assert secret not in text


@FUZZ
@given(
    body=st.binary(max_size=2048),
    encoding=st.sampled_from(["gzip", "deflate", "br", "zstd", "gzip, br", "x-unknown", ""]),
    cap=st.integers(0, 4096),
)
def test_any_body_under_any_encoding_decodes_within_the_cap(
    body: bytes, encoding: str, cap: int
) -> None:
    assert len(decompress_capped(body, encoding, cap)) <= cap


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_truncated_compressed_page_still_gives_its_beginning(encoding: str) -> None:
    """What a server cut short (or a scan of only the first bytes) is still read. (zstd
    decodes whole blocks of up to 128 KB, so half a one-block page gives nothing.)"""
    import zlib

    import brotli

    words = [f"word{(i * 7919) % 4999}" for i in range(8000)]
    page = b"<html><body><p>beginning of the page " + " ".join(words).encode() + b"</p>"
    packed = {
        "gzip": lambda b: gzip.compress(b),
        "deflate": zlib.compress,
        "br": brotli.compress,
    }[encoding](page)
    out = decompress_capped(packed[: len(packed) // 2], encoding, 1 << 20)
    assert out.startswith(b"<html><body><p>beginning of the page")


@pytest.mark.parametrize(
    "padding", [b"\0" * 60_000, bytes(range(32)) * 2000, b"\x89PNG" * 9000], ids=repr
)
@pytest.mark.parametrize("opening", [b"<!DOCTYPE html>", b"\n <html lang=en>", b"<!-- x -->"])
def test_a_page_that_opens_as_html_is_read_whatever_follows(opening: bytes, padding: bytes) -> None:
    """Zero bytes or junk after the page must not make it look like a binary file (the scan
    would then look away)."""
    page = opening + b"<head><title>Casino bonus</title></head><body><p>spin and win</p>"
    assert "spin and win" in html_to_text(page + padding, "text/html")
