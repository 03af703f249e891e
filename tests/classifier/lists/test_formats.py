"""List parsers: every format with real snippets, bad input, UT1 trees, normalisation."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifier.lists import parsed as parsed_module
from classifier.lists.bundle import default_sources
from classifier.lists.formats import detect_format, parse_path
from classifier.lists.hosts import is_public_suffix, normalise_host
from classifier.lists.parsed import (
    MAX_LINE_CHARS,
    MAX_REJECTION_EXAMPLES,
    REASON_BINARY,
    REASON_ENCODING,
    REASON_IP,
    REASON_MALFORMED,
    REASON_SINGLE_LABEL,
    REASON_SUFFIX,
    REASON_TOO_LONG,
    ListFormatError,
    ParsedList,
    is_blank,
    split_lines,
)
from tests.support.processes import REPO

# --- real snippets -------------------------------------------------------------------------

SINFONIETTA = b"""0.0.0.0 rahaporn.commanhwax.top
0.0.0.0 www.rahaporn.com
0.0.0.0 007angels.com
0.0.0.0 www.007angels.com
"""
SINFONIETTA_SNUFF = b"""127.0.0.1 bitcheese.net
127.0.0.1 bestgore.com
"""
BLOCKLISTPROJECT = b"""# Title: Drugs Block List
# Description: Drug-related domains
# Format: hosts
#

0.0.0.0 000host.totaocimall.com
0.0.0.0 001kanpou.com
"""
HOSTS_BOILERPLATE = b"""127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
255.255.255.255 broadcasthost
0.0.0.0 0.0.0.0
0.0.0.0 ads.example.com tracker.example.net # two names and a comment
:: v6-sinkhole.example.org
"""
UT1_DOMAINS = b"""lemonde.fr
www.liberation.fr
"""
UT1_URLS = b"""020sextoy.com/sk
101soundboards.com/boards/231587-bbw-bdsm-erotic-audio-clips
"""
ADULT_POPULAR = b"""livejasmin.com
pornhub.com
"""
ADBLOCK = b"""[Adblock Plus 2.0]
! Title: Family list
||casino.example.com^
||poker.example.org^$important
@@||help.casino.example.com^
example.com##.ad-banner
||ads.example.net^$third-party
/banner/*/img^
||bad..name^
"""
E2G_BANNED = b"""#domains in banned list
#Don't bother with the www. or the http://
#.Include</etc/e2guardian/anotherbannedurllist>
#listcategory: "Banned Sites"
.Include</etc/e2guardian/lists/blacklists/adult/domains>
*ip
**s
badboys.com
.gambling.example
"""
E2G_EXCEPTION = b"""#domains in exception list
windowsupdate.microsoft.com
"""
E2G_URLS = b"""#URLs in banned list
members.home.net/uporn
"""


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def only(parsed: list[ParsedList]) -> ParsedList:
    assert len(parsed) == 1
    return parsed[0]


# --- normalisation and public suffixes ------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Example.COM.", "example.com"),
        ("  www.example.com  ", "www.example.com"),
        ("example.com:8080", "example.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("BÜCHER.de.", "xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("under_score.example.com", "under_score.example.com"),
        ("192.168.0.1", None),
        ("[::1]", None),
        ("::1", None),
        ("com", None),
        ("", None),
        ("a..b.com", None),
        ("-bad.example.com", None),
        ("x" * 64 + ".com", None),
        ("example.com:http", None),
        ("exa mple.com", None),
    ],
)
def test_normalise_host(raw: str, expected: str | None) -> None:
    assert normalise_host(raw) == expected


@pytest.mark.parametrize(
    ("domain", "public"),
    [
        ("com", True),
        ("co.uk", True),
        ("github.io", True),
        ("foo.kawasaki.jp", True),  # wildcard rule *.kawasaki.jp
        ("city.kawasaki.jp", False),  # exception rule !city.kawasaki.jp
        ("example.com", False),
        ("bbc.co.uk", False),
        ("user.github.io", False),
    ],
)
def test_is_public_suffix(domain: str, public: bool) -> None:
    assert is_public_suffix(domain) is public


def test_internationalised_suffixes_are_read_only_for_internationalised_names() -> None:
    """The rules written in other scripts are converted (half the list's reading time) only
    when a name with an ``xn--`` label is asked about, and then answer as the list says."""
    probe = (
        "from classifier.lists import hosts\n"
        "answers = [hosts.is_public_suffix(d) for d in ('co.uk', 'example.com')]\n"
        "read_before = hosts._all_rules.cache_info().currsize\n"
        "answers += [hosts.is_public_suffix(d) for d in ("
        "'xn--p1ai', 'xn--80aswg.xn--p1ai', 'xn--55qx5d.cn', 'xn--aroport-bya.ci')]\n"
        "print(answers, read_before, hosts.is_listed_suffix_label('xn--p1ai'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    # рф is a suffix and сайт.рф, a name registered under it, is not; 公司.cn and
    # aéroport.ci are rules of their own under ASCII endings
    assert done.stdout.split() == [
        "[True,",
        "False,",
        "True,",
        "False,",
        "True,",
        "True]",
        "0",
        "True",
    ]


_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_HOSTS = st.lists(_LABEL, min_size=1, max_size=4).map(lambda labels: ".".join([*labels, "org"]))
_UNICODE_LABEL = st.sampled_from(["bücher", "münchen", "пример", "例え", "straße-x", "café"])


@given(st.text(max_size=40))
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise_host(text)
    if once is not None:
        assert normalise_host(once) == once


@given(_HOSTS, st.booleans(), st.booleans())
def test_normalise_ignores_case_and_trailing_dot(host: str, upper: bool, dot: bool) -> None:
    variant = (host.upper() if upper else host) + ("." if dot else "")
    assert normalise_host(variant) == host


@given(_UNICODE_LABEL, _HOSTS)
def test_normalise_treats_unicode_and_punycode_alike(label: str, rest: str) -> None:
    unicode_form = f"{label}.{rest}"
    ascii_form = normalise_host(unicode_form)
    assert ascii_form is not None and ascii_form.isascii()
    assert normalise_host(ascii_form) == ascii_form
    if unicode_form.upper().lower() == unicode_form:  # "ß".upper() is "SS": another name
        assert normalise_host(unicode_form.upper()) == ascii_form


# --- formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("sinfonietta/pornography-hosts", SINFONIETTA, "hosts"),
        ("blocklistproject/drugs.txt", BLOCKLISTPROJECT, "hosts"),
        ("ut1-adult-popular/pi_blocklist_porn_top1m.list", ADULT_POPULAR, "domains"),
        ("ut1/press/domains", UT1_DOMAINS, "domains"),
        ("lists/family.txt", ADBLOCK, "adblock"),
        ("e2guardian/bannedsitelist", E2G_BANNED, "e2guardian"),
        ("e2guardian/exceptionsitelist", E2G_EXCEPTION, "e2guardian"),
        ("mine/blocked.txt", b'#listcategory: "Mine"\nexample.com\n', "e2guardian"),
    ],
)
def test_detect_format(tmp_path: Path, name: str, data: bytes, expected: str) -> None:
    assert detect_format(write(tmp_path, name, data)) == expected


def test_detect_format_reads_gzip(tmp_path: Path) -> None:
    path = write(tmp_path, "sinfonietta/pornography-hosts.gz", gzip.compress(SINFONIETTA))
    assert detect_format(path) == "hosts"
    assert only(parse_path(path)).domains[:2] == ("rahaporn.commanhwax.top", "www.rahaporn.com")


def test_hosts_file_real_snippet(tmp_path: Path) -> None:
    parsed = only(parse_path(write(tmp_path, "sinfonietta/pornography-hosts", SINFONIETTA)))
    assert parsed.name == "sinfonietta/pornography-hosts"
    assert parsed.category == "adult" and parsed.source_category == "pornography"
    assert parsed.format == "hosts"
    # the glued line is a syntactically valid domain: kept (lists are noisy, not fixable here)
    assert parsed.domains == (
        "rahaporn.commanhwax.top",
        "www.rahaporn.com",
        "007angels.com",
        "www.007angels.com",
    )
    assert parsed.rejected_total == 0 and parsed.lines_total == 5


def test_hosts_with_loopback_address(tmp_path: Path) -> None:
    parsed = only(parse_path(write(tmp_path, "sinfonietta/snuff-hosts", SINFONIETTA_SNUFF)))
    assert parsed.domains == ("bitcheese.net", "bestgore.com")
    assert parsed.category == "violence"


def test_hosts_boilerplate_is_skipped_and_multiple_names_read(tmp_path: Path) -> None:
    parsed = only(parse_path(write(tmp_path, "x/hosts", HOSTS_BOILERPLATE), format="hosts"))
    assert parsed.domains == ("ads.example.com", "tracker.example.net", "v6-sinkhole.example.org")
    assert parsed.skipped_total == 6  # one per boilerplate name
    assert parsed.rejected_total == 0


def test_a_hosts_line_with_several_bad_names_is_one_rejected_line(tmp_path: Path) -> None:
    text = b"0.0.0.0 ok.example bad_ com !\n... ! ! ! ! !\n1..2.3 x.example\nfine.example"
    parsed = only(parse_path(write(tmp_path, "x/hosts", text), format="domains"))
    assert parsed.domains == ("ok.example", "fine.example")
    assert parsed.lines_total == 4
    assert parsed.rejected_total == 3  # the first three lines, once each
    assert [r.line_no for r in parsed.rejected] == [1, 2, 3]


def test_blocklistproject_header_is_comments(tmp_path: Path) -> None:
    parsed = only(parse_path(write(tmp_path, "blocklistproject/drugs.txt", BLOCKLISTPROJECT)))
    assert parsed.name == "blocklistproject/drugs"
    assert parsed.category == "drugs"
    assert parsed.domains == ("000host.totaocimall.com", "001kanpou.com")


def test_plain_list_category_from_a_word_in_its_name(tmp_path: Path) -> None:
    path = write(tmp_path, "ut1-adult-popular/pi_blocklist_porn_top1m.list", ADULT_POPULAR)
    parsed = only(parse_path(path))
    assert parsed.category == "adult" and parsed.source_category == "porn"
    assert parsed.domains == ("livejasmin.com", "pornhub.com")


def test_plain_list_accepts_wildcards_urls_and_comments(tmp_path: Path) -> None:
    data = b"*.example.com\n.example.org\nhttps://Example.NET/Some/Page?x=1#frag\nex.io/ # ok\n"
    parsed = only(parse_path(write(tmp_path, "l/list.txt", data)))
    assert parsed.domains == ("example.com", "example.org", "ex.io")
    assert parsed.url_prefixes == ("example.net/some/page?x=1",)


def test_category_and_name_can_be_forced(tmp_path: Path) -> None:
    path = write(tmp_path, "l/list.txt", UT1_DOMAINS)
    parsed = only(parse_path(path, format="domains", category="press", name="family/news"))
    assert (parsed.name, parsed.category, parsed.source_category) == ("family/news", "news", "list")


def test_adblock_rules(tmp_path: Path) -> None:
    parsed = only(parse_path(write(tmp_path, "l/family.txt", ADBLOCK)))
    assert parsed.format == "adblock"
    assert parsed.domains == ("casino.example.com", "poker.example.org")
    assert parsed.allow_domains == ("help.casino.example.com",)
    assert parsed.skipped_total == 3  # cosmetic, $third-party, path pattern
    assert [(r.line_no, r.reason) for r in parsed.rejected] == [(9, REASON_MALFORMED)]


def test_e2guardian_site_list(tmp_path: Path) -> None:
    parsed = only(parse_path(write(tmp_path, "e2guardian/bannedsitelist", E2G_BANNED)))
    assert parsed.format == "e2guardian"
    assert parsed.source_category == "Banned Sites"
    assert parsed.domains == ("badboys.com", "gambling.example")
    assert parsed.skipped_total == 3  # .Include, *ip, **s
    assert parsed.rejected_total == 0


def test_e2guardian_exception_list_is_allow(tmp_path: Path) -> None:
    parsed = only(parse_path(write(tmp_path, "e2guardian/exceptionsitelist", E2G_EXCEPTION)))
    assert parsed.allow_domains == ("windowsupdate.microsoft.com",)
    assert parsed.domains == ()


def test_e2guardian_url_list(tmp_path: Path) -> None:
    parsed = only(parse_path(write(tmp_path, "e2guardian/bannedurllist", E2G_URLS)))
    assert parsed.url_prefixes == ("members.home.net/uporn",)


def test_e2guardian_real_files_parse(shared_data: Path) -> None:
    folder = shared_data / "lists" / "e2guardian"
    exceptions = only(parse_path(folder / "exceptionsitelist"))
    assert exceptions.allow_domains == ("windowsupdate.microsoft.com",)
    banned = only(parse_path(folder / "bannedsitelist"))
    assert banned.entries == 0 and banned.rejected_total == 0


# --- bad input ----------------------------------------------------------------------------


def test_bad_lines_are_counted_with_file_and_line_and_good_lines_kept(tmp_path: Path) -> None:
    lines = [
        b"good.example.com",  # 1
        b"bad..example.com",  # 2 malformed
        b"\x00\x01\x02junk\x7f",  # 3 binary junk
        b"a" * (MAX_LINE_CHARS + 1),  # 4 huge
        b"caf\xe9.example.com",  # 5 latin-1, not UTF-8
        b"203.0.113.7",  # 6 IP
        b"co.uk",  # 7 public suffix
        b"com",  # 8 public suffix (a TLD)
        b"",  # 9 blank
        b"# comment",  # 10
        b"also-good.example.org",  # 11
    ]
    path = write(tmp_path, "l/mixed.txt", b"\n".join(lines) + b"\n")
    parsed = only(parse_path(path))
    assert parsed.domains == ("good.example.com", "also-good.example.org")
    assert [(r.line_no, r.reason) for r in parsed.rejected] == [
        (2, REASON_MALFORMED),
        (3, REASON_BINARY),
        (4, REASON_TOO_LONG),
        (5, REASON_ENCODING),
        (6, REASON_IP),
        (7, REASON_SUFFIX),
        (8, REASON_SUFFIX),
    ]
    assert parsed.rejected_total == 7
    assert all(r.path == str(path) for r in parsed.rejected)
    assert all(len(r.excerpt) <= 80 * 4 and r.excerpt.isprintable() for r in parsed.rejected)
    assert parsed.lines_total == 12  # the final newline opens an empty 12th line


def test_rejection_examples_are_capped_but_all_counted(tmp_path: Path) -> None:
    data = b"".join(b"10.0.0.%d\n" % i for i in range(150)) + b"ok.example.com\n"
    parsed = only(parse_path(write(tmp_path, "l/ips.txt", data)))
    assert parsed.rejected_total == 150
    assert len(parsed.rejected) == MAX_REJECTION_EXAMPLES
    assert parsed.domains == ("ok.example.com",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head></html>", "HTML"),
        (b"\n  <html>\n<body>Error</body></html>", "HTML"),
        (bytes(range(256)) * 8, "binary"),
        (b"\x1f\x8b\x08\x00garbage", "gzip"),
    ],
)
def test_whole_file_problems_raise_clear_errors(tmp_path: Path, data: bytes, message: str) -> None:
    path = write(tmp_path, "l/list.txt", data)
    with pytest.raises(ListFormatError, match=message) as excinfo:
        parse_path(path)
    assert str(path) in str(excinfo.value)


def test_unknown_format_and_non_tree_folder(tmp_path: Path) -> None:
    path = write(tmp_path, "l/list.txt", UT1_DOMAINS)
    with pytest.raises(ListFormatError, match="unknown list format"):
        parse_path(path, format="csv")
    with pytest.raises(ListFormatError, match="not a UT1"):
        parse_path(tmp_path / "l")


# --- UT1 trees ----------------------------------------------------------------------------


def make_tree(root: Path) -> Path:
    write(root, "blacklists/press/domains", UT1_DOMAINS)
    write(root, "blacklists/press/urls", b"")
    write(root, "blacklists/press/usage", b"black\npress\n")
    write(root, "blacklists/adult/urls", UT1_URLS)
    write(root, "blacklists/adult/domains", b"007angels.com\n")
    write(root, "blacklists/adult/expressions", b"(porn|xxx)\n")
    write(root, "blacklists/redirector/domains", b"proxy.example.com\n")
    write(root, "blacklists/strict_redirector/domains", b"proxy.example.com\n")
    write(root, "blacklists/README", b"not a category\n")
    os.symlink("adult", root / "blacklists" / "porn")
    return root


def test_ut1_tree_reads_each_file_once(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree")
    assert detect_format(root) == "ut1"
    lists = {p.name: p for p in parse_path(root)}  # the folder above blacklists/ is accepted
    assert sorted(lists) == ["ut1/adult", "ut1/press", "ut1/redirector", "ut1/strict_redirector"]
    adult = lists["ut1/adult"]
    assert adult.category == "adult" and adult.format == "ut1"
    assert adult.domains == ("007angels.com",)
    assert adult.url_prefixes == (
        "020sextoy.com/sk",
        "101soundboards.com/boards/231587-bbw-bdsm-erotic-audio-clips",
    )
    assert any("porn: alias of adult" in note for note in adult.notes)
    assert any("expressions" in note for note in adult.notes)
    assert lists["ut1/press"].category == "news"
    assert lists["ut1/redirector"].domains == ("proxy.example.com",)
    strict = lists["ut1/strict_redirector"]
    assert strict.domains == () and any("same file as redirector" in n for n in strict.notes)


def test_ut1_tree_bad_file_is_reported_and_rest_loads(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "tree")
    html = b"<!doctype html><html><body>Not Found</body></html>"
    write(root, "blacklists/gambling/domains", html)
    lists = {p.name: p for p in parse_path(root / "blacklists", name="school")}
    gambling = lists["school/gambling"]
    assert gambling.domains == () and gambling.rejected_total == 1
    (rejection,) = gambling.rejected
    assert rejection.line_no == 0 and "HTML" in rejection.reason
    assert rejection.path.endswith("gambling/domains")
    assert lists["school/press"].domains == ("lemonde.fr", "www.liberation.fr")


def test_real_ut1_tree(ut1_lists: list[ParsedList]) -> None:
    lists = {p.name: p for p in ut1_lists}
    assert len(lists) > 60
    assert lists["ut1/press"].category == "news"
    assert "lemonde.fr" in lists["ut1/press"].domains
    assert lists["ut1/drogue"].category == "drugs"
    assert lists["ut1/redirector"].category == "anonymizer"
    assert len(lists["ut1/redirector"].domains) > 100_000
    assert lists["ut1/strict_redirector"].domains == ()  # same file as redirector: read once
    assert "020sextoy.com/sk" in lists["ut1/adult"].url_prefixes
    # UT1 lists public IP addresses (DNS-over-HTTPS resolvers, proxies): they are imported
    agressif = lists["ut1/agressif"]
    assert "118.123.4.224" in agressif.domains
    every = [d for p in ut1_lists for d in p.domains]
    assert not any(is_public_suffix(d) for d in every)


def test_real_hosts_files(shared_data: Path) -> None:
    porn = only(parse_path(shared_data / "lists" / "sinfonietta" / "pornography-hosts"))
    assert porn.category == "adult" and len(porn.domains) > 60_000
    assert "www.007angels.com" in porn.domains
    assert {r.reason for r in porn.rejected} == {REASON_SINGLE_LABEL}
    assert "85.17.187.83" in porn.domains  # public addresses are entries too
    # "0.0.0.0 xxxhindi.to en": the first name is kept, the stray word is reported
    assert "xxxhindi.to" in porn.domains
    assert any(r.excerpt == "0.0.0.0 xxxhindi.to en" for r in porn.rejected)


def test_bundled_defaults_parse_cleanly() -> None:
    sources = default_sources()
    assert sources[0].name == "ut1" and sources[0].is_dir()
    lists = {p.name: p for source in sources for p in parse_path(source)}
    expected = {
        "adult", "provocative", "gambling", "drugs", "violence", "weapons", "dating",
        "anonymizer", "malware", "phishing", "piracy", "social", "chat", "games", "video",
        "shopping", "news", "sex_education", "education", "bank", "update",
    }  # fmt: skip
    assert expected <= {p.category for p in lists.values()}
    assert all(p.rejected_total == 0 for p in lists.values())
    assert "sinfonietta/pornography-hosts" in lists
    assert "pornhub.com" in lists["ut1-adult-popular/adult"].domains
    assert "lemonde.fr" in lists["ut1/press"].domains
    total = sum(path.stat().st_size for path in sources[0].parent.rglob("*.gz"))
    assert total < 10 * 2**20


def test_a_file_named_after_a_canonical_category_keeps_it(tmp_path) -> None:
    for stem, category in (
        ("sex_education", "sex_education"),
        ("self_harm", "self_harm"),
        ("drogue", "drugs"),
    ):
        path = tmp_path / f"{stem}.txt"
        path.write_text("example.org\n")
        (parsed,) = parse_path(path)
        assert parsed.category == category, stem


@given(st.text(alphabet="ab\n\r \u2028\x0b\x1c\xe9\U0001f600", max_size=40), st.booleans())
def test_lines_are_split_a_block_at_a_time_as_one_split_would(text: str, bom: bool) -> None:
    # A large list is decoded and split a block of bytes at a time (never its whole text,
    # never a list of every line); the lines and their numbers are those of one split, a
    # last empty line included, whatever multi-byte characters a block cut meets.
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    want = list(enumerate(text.split("\n"), 1))
    saved = parsed_module._SPLIT_BLOCK
    try:
        for block in (1, 2, 3, 5, 1 << 20):
            parsed_module._SPLIT_BLOCK = block
            assert [(n, line) for n, line, _raw in split_lines(data)] == want
            # a read file's buffer gives the same lines and is emptied as they are read
            buffer = bytearray(data)
            assert [(n, line) for n, line, _raw in split_lines(buffer)] == want
            assert buffer == b""
    finally:
        parsed_module._SPLIT_BLOCK = saved


@pytest.mark.parametrize(
    "data", [b"", b" ", b"\n\r\n\t \x0b\x0c", b"a", b" \n x \n", b"\xa0", b"\x00"]
)
def test_a_blank_file_is_what_strip_leaves_empty(data: bytes) -> None:
    assert is_blank(data) is is_blank(bytearray(data)) is (not data.strip())
