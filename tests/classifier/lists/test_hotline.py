"""Hotline lists: normalisation, parsing with bad lines counted, host and URL matching."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from classifier.lists.hotline import (
    MAX_BAD_LINE_NUMBERS,
    HotlineError,
    HotlineLists,
    digest_host,
    digest_url,
    load_hotlines,
    normalise_hotline_host,
    normalise_hotline_url,
    parse_hotline,
)


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("http://example.org/a/b", "example.org/a/b"),
        ("HTTPS://User:pw@WWW.Example.ORG:8443/a/", "example.org/a"),
        ("example.org", "example.org/"),
        ("example.org/", "example.org/"),
        ("example.org?", "example.org/"),
        ("example.org/a/./b/../c", "example.org/a/c"),
        ("example.org/a/..", "example.org/"),
        ("example.org/../../x", "example.org/x"),
        ("example.org/p?b=2&a=1#top", "example.org/p?b=2&a=1"),
        ("example.org/%7euser/%2f%41?q=%7e", "example.org/~user/%2FA?q=~"),
        ("example.org/Case/Kept", "example.org/Case/Kept"),
        ("http://bücher.example/straße", "xn--bcher-kva.example/stra%C3%9Fe"),
        ("http://example.org./a", "example.org/a"),
        ("www.org/x", "www.org/x"),
        ("http://[2001:DB8::1]:8080/x", "2001:db8::1/x"),
        ("10.0.0.1:80/x", "10.0.0.1/x"),
        ("  example.org/a  ", "example.org/a"),
    ],
)
def test_url_normalisation(url: str, normalised: str) -> None:
    assert normalise_hotline_url(url) == normalised
    assert normalise_hotline_url(normalised) == normalised  # idempotent


@pytest.mark.parametrize(
    ("host", "normalised"),
    [
        ("WWW.Example.org", "example.org"),
        ("example.org.", "example.org"),
        ("example.org:443", "example.org"),
        ("Bücher.example", "xn--bcher-kva.example"),
        ("[::FFFF:10.0.0.1]", "::ffff:a00:1"),
        ("www.www.example.org", "www.example.org"),
    ],
)
def test_host_normalisation(host: str, normalised: str) -> None:
    assert normalise_hotline_host(host) == normalised


def test_digests_are_sha256_of_the_normalised_text() -> None:
    assert digest_url("http://www.example.org/a/") == hashlib.sha256(b"example.org/a").hexdigest()
    assert digest_host("WWW.example.org") == hashlib.sha256(b"example.org").hexdigest()
    # a host entry and the root URL are different entries
    assert digest_host("example.org") != digest_url("example.org/")


def write_list(path: Path, *entries: str) -> Path:
    path.write_text("\n".join(entries) + "\n")
    return path


@pytest.fixture
def hotline(tmp_path: Path) -> HotlineLists:
    folder = tmp_path / "hotline"
    folder.mkdir()
    write_list(
        folder / "test-hotline.txt",
        "# harmless stand-ins for a hotline list",
        digest_host("whole-site.test"),
        digest_url("http://pages.test/gallery/"),
        digest_url("https://pages.test/view.php?id=7"),
        digest_url("http://root-url.test/"),
    )
    lists, problems = load_hotlines(folder)
    assert problems == ()
    return lists


@pytest.mark.parametrize(
    ("host", "path", "listed"),
    [
        ("whole-site.test", "/", True),
        ("whole-site.test", "/any/page?x=1", True),
        ("cdn.whole-site.test", "/img.png", True),
        ("www.whole-site.test", "/", True),
        ("other-whole-site.test", "/", False),  # not a parent domain, only a suffix
        ("pages.test", "/gallery", True),
        ("pages.test", "/gallery/", True),
        ("pages.test", "/gallery/2024/photo.jpg", True),
        ("pages.test", "/gallery?page=3", True),
        ("pages.test", "/galleryx", False),
        ("pages.test", "/Gallery", False),
        ("pages.test", "/", False),
        ("sub.pages.test", "/gallery", False),  # URL entries are for their exact host
        ("pages.test", "/view.php?id=7", True),
        ("pages.test", "/view.php?id=7#comments", True),
        ("pages.test", "/view.php?id=8", False),
        ("pages.test", "/view.php", False),
        ("pages.test", "/x/../gallery/a", True),
        ("pages.test", "/%67allery/a", True),  # %67 is "g"
        ("root-url.test", "/", True),
        ("root-url.test", "/deep/page", True),
        ("sub.root-url.test", "/", False),
        ("harmless.test", "/gallery", False),
    ],
)
def test_matching(hotline: HotlineLists, host: str, path: str, listed: bool) -> None:
    assert (hotline.match(host, path) == "test-hotline") is listed


def test_bad_lines_are_counted_and_skipped(tmp_path: Path) -> None:
    good = digest_url("http://listed.test/a")
    path = write_list(
        tmp_path / "mixed.txt",
        "# comment",
        "",
        good.upper(),
        "not a digest",
        good[:-1],
        good + "0",
        "http://listed.test/a",
        f"  {digest_host('host.test')}  ",
    )
    parsed = parse_hotline(path)
    assert parsed.name == "mixed"
    assert parsed.lines_total == 8
    assert (parsed.bad_lines_total, parsed.bad_line_numbers) == (4, (4, 5, 6, 7))
    assert len(parsed.digests) == 2
    assert parsed.match("listed.test", "/a/b") == "mixed"
    assert parsed.match("host.test") == "mixed"


def test_bad_line_numbers_are_capped_but_all_counted(tmp_path: Path) -> None:
    path = write_list(tmp_path / "junk.txt", *(["zz"] * (MAX_BAD_LINE_NUMBERS + 5)))
    parsed = parse_hotline(path)
    assert parsed.bad_lines_total == MAX_BAD_LINE_NUMBERS + 5
    assert len(parsed.bad_line_numbers) == MAX_BAD_LINE_NUMBERS
    assert parsed.match("anything.test") is None


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(HotlineError, match="cannot be read"):
        parse_hotline(tmp_path / "missing.txt")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(HotlineError, match="not a text file"):
        parse_hotline(binary)


def test_loading_a_folder_merges_lists_and_reports_problems(tmp_path: Path) -> None:
    folder = tmp_path / "hotline"
    folder.mkdir()
    write_list(folder / "a.txt", digest_host("a.test"))
    write_list(folder / "b.txt", digest_host("b.test"), digest_host("a.test"), "oops")
    (folder / "c.txt").write_bytes(b"\x80\x81")
    write_list(folder / "ignored.csv", digest_host("c.test"))
    lists, problems = load_hotlines(folder)
    assert [hl.name for hl in lists.lists] == ["a", "b"]
    assert len(lists) == 2  # a.test is in both lists, counted once
    assert lists.match("a.test") == "a" and lists.match("x.b.test") == "b"
    assert lists.match("c.test") is None
    assert len(problems) == 2
    assert "b.txt: 1 line(s)" in problems[0] and "line 3" in problems[0]
    assert "c.txt" in problems[1]


def test_a_missing_folder_means_no_lists(tmp_path: Path) -> None:
    lists, problems = load_hotlines(tmp_path / "nowhere")
    assert (len(lists), problems, lists.match("example.org")) == (0, (), None)


def test_padding_a_path_with_segments_does_not_hide_a_listed_folder(
    hotline: HotlineLists,
) -> None:
    assert hotline.match("pages.test", "/gallery" + "/a" * 5000) == "test-hotline"
    assert hotline.match("pages.test", "/other" + "/a" * 5000) is None
