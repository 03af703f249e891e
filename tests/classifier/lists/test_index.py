"""The compiled domain index: matching rules, corrupt files, atomic rebuilds, real lists."""

from __future__ import annotations

import io
import itertools
import os
import subprocess
import sys
from pathlib import Path

import marisa_trie
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from classifier.lists import index as index_module
from classifier.lists.bundle import default_sources
from classifier.lists.formats import parse_path
from classifier.lists.hosts import is_public_suffix
from classifier.lists.index import DomainIndex, IndexFormatError, ListMatch, build_index
from classifier.lists.parsed import ParsedList


def plist(
    name: str,
    category: str,
    domains: tuple[str, ...] = (),
    urls: tuple[str, ...] = (),
    allow: tuple[str, ...] = (),
) -> ParsedList:
    return ParsedList(
        name=name,
        category=category,
        source_category=category,
        format="domains",
        domains=domains,
        url_prefixes=urls,
        allow_domains=allow,
        rejected=(),
        rejected_total=0,
        lines_total=len(domains) + len(urls) + len(allow),
    )


LISTS = [
    plist(
        "ut1/adult", "adult", ("example-adult.com", "deep.sub.example.net"), ("020sextoy.com/sk",)
    ),
    plist("sinfonietta/pornography-hosts", "adult", ("example-adult.com", "www.example-adult.com")),
    plist("ut1/press", "news", ("lemonde.fr", "example.net")),
    plist("family/allow", "allow", (), (), ("help.example-adult.com",)),
    plist("noisy/list", "adult", ("com", "co.uk", "github.io", "not a domain", "ok.example.org")),
]


@pytest.fixture
def index(tmp_path: Path) -> DomainIndex:
    build_index(LISTS, tmp_path / "lists.idx")
    opened = DomainIndex.open(tmp_path / "lists.idx")
    yield opened
    opened.close()


def names(matches: tuple[ListMatch, ...]) -> list[tuple[str, str]]:
    return [(m.list_name, m.matched) for m in matches]


def test_exact_host_and_parents_most_specific_first(index: DomainIndex) -> None:
    assert names(index.lookup("www.example-adult.com")) == [
        ("sinfonietta/pornography-hosts", "www.example-adult.com"),
        ("ut1/adult", "example-adult.com"),
        ("sinfonietta/pornography-hosts", "example-adult.com"),
    ]
    assert names(index.lookup("a.b.c.lemonde.fr")) == [("ut1/press", "lemonde.fr")]
    match = index.lookup("lemonde.fr")[0]
    assert match == ListMatch("news", "ut1/press", "lemonde.fr", False)


def test_siblings_and_parents_of_entries_do_not_match(index: DomainIndex) -> None:
    assert index.lookup("badexample-adult.com") == ()
    assert index.lookup("example-adult.co") == ()
    assert index.lookup("sub.example.net") == (
        ListMatch("news", "ut1/press", "example.net"),
    )  # deep.sub.example.net is listed, sub.example.net is only its parent
    assert names(index.lookup("x.deep.sub.example.net")) == [
        ("ut1/adult", "deep.sub.example.net"),
        ("ut1/press", "example.net"),
    ]


def test_public_suffixes_and_invalid_entries_never_enter(index: DomainIndex) -> None:
    assert index.lookup("anything.com") == ()
    assert index.lookup("bbc.co.uk") == ()
    assert index.lookup("someone.github.io") == ()
    assert names(index.lookup("ok.example.org")) == [("noisy/list", "ok.example.org")]


def test_allow_entries_are_flagged(index: DomainIndex) -> None:
    matches = index.lookup("help.example-adult.com")
    assert matches[0] == ListMatch("allow", "family/allow", "help.example-adult.com", True)
    assert all(not m.allow for m in matches[1:])


def test_url_prefixes(index: DomainIndex) -> None:
    url_match = ListMatch("adult", "ut1/adult", "020sextoy.com/sk")
    assert index.lookup("020sextoy.com", "/sk/toys?id=1") == (url_match,)
    assert index.lookup("www.020sextoy.com", "/SK") == (url_match,)  # www and case ignored
    assert index.lookup("www2.020sextoy.com", "sk") == (url_match,)
    assert index.lookup("shop.020sextoy.com", "/sk") == ()  # other sub-domains: no
    assert index.lookup("020sextoy.com", "/") == ()
    assert index.lookup("020sextoy.com") == ()
    # URL matches come before domain matches
    both = ListMatch("adult", "ut1/adult", "example-adult.com")
    assert index.lookup("example-adult.com", "/") == (
        both,
        ListMatch("adult", "sinfonietta/pornography-hosts", "example-adult.com"),
    )


@pytest.mark.parametrize(
    "host",
    ["LEMONDE.FR", "lemonde.fr.", "www.LeMonde.fr.", "lemonde.fr:443"],
)
def test_hosts_are_normalised(index: DomainIndex, host: str) -> None:
    assert names(index.lookup(host)) == [("ut1/press", "lemonde.fr")]


def test_idn_hosts(tmp_path: Path) -> None:
    build_index([plist("l/idn", "shopping", ("xn--bcher-kva.de",))], tmp_path / "i.idx")
    with DomainIndex.open(tmp_path / "i.idx") as index:
        assert names(index.lookup("www.Bücher.de")) == [("l/idn", "xn--bcher-kva.de")]
        assert names(index.lookup("xn--bcher-kva.de")) == [("l/idn", "xn--bcher-kva.de")]


def test_a_miss_returns_the_shared_empty_tuple(index: DomainIndex) -> None:
    first = index.lookup("nothing.example.invalid")
    assert first == () and index.lookup("other.example.invalid", "/x") is first
    assert index.lookup("") is first
    assert index.lookup("not a host!") is first


def test_lists_and_stats(tmp_path: Path) -> None:
    stats = build_index(LISTS, tmp_path / "lists.idx")
    assert (stats.domains, stats.url_prefixes, stats.lists) == (7, 1, 5)
    assert stats.bytes == (tmp_path / "lists.idx").stat().st_size
    with DomainIndex.open(tmp_path / "lists.idx") as index:
        assert index.lists() == (
            ("ut1/adult", "adult", 3),
            ("sinfonietta/pornography-hosts", "adult", 2),
            ("ut1/press", "news", 2),
            ("family/allow", "allow", 1),
            ("noisy/list", "adult", 1),
        )


def test_empty_index() -> None:
    index = DomainIndex.empty()
    assert index.lookup("example.com", "/x") == () and index.lists() == ()


def test_build_of_no_lists(tmp_path: Path) -> None:
    build_index([], tmp_path / "none.idx")
    with DomainIndex.open(tmp_path / "none.idx") as index:
        assert index.lookup("example.com") == () and index.lists() == ()


def test_corrupt_and_foreign_files_are_refused(tmp_path: Path) -> None:
    good = tmp_path / "lists.idx"
    build_index(LISTS, good)
    data = good.read_bytes()
    cases = {
        "empty": b"",
        "foreign": b"0.0.0.0 example.com\n" * 100,
        "truncated": data[: len(data) // 2],
        "header only": data[:64],
        "flipped": data[:200] + bytes([data[200] ^ 0xFF]) + data[201:],
        "flipped late": data[:-3] + bytes([data[-3] ^ 0x01]) + data[-2:],
    }
    for label, content in cases.items():
        path = tmp_path / f"{label}.idx"
        path.write_bytes(content)
        with pytest.raises(IndexFormatError):
            DomainIndex.open(path)
    with pytest.raises(FileNotFoundError):
        DomainIndex.open(tmp_path / "missing.idx")


def test_atomic_rebuild_keeps_old_readers_working(tmp_path: Path) -> None:
    path = tmp_path / "lists.idx"
    build_index([plist("v1/list", "adult", ("old.example.com",))], path)
    old = DomainIndex.open(path)
    build_index([plist("v2/list", "gambling", ("new.example.com",))], path)
    new = DomainIndex.open(path)
    try:
        assert names(old.lookup("www.old.example.com")) == [("v1/list", "old.example.com")]
        assert old.lookup("new.example.com") == ()
        assert names(new.lookup("new.example.com")) == [("v2/list", "new.example.com")]
        assert new.lookup("old.example.com") == ()
        assert sorted(os.listdir(tmp_path)) == ["lists.idx"]  # no temporary file left behind
    finally:
        old.close()
        new.close()


def test_failed_build_leaves_previous_index(tmp_path: Path) -> None:
    path = tmp_path / "lists.idx"
    build_index([plist("v1/list", "adult", ("old.example.com",))], path)
    before = path.read_bytes()

    def broken() -> list[ParsedList]:
        yield plist("v2/list", "adult", ("new.example.com",))
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        build_index(broken(), path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["lists.idx"]


# --- properties ---------------------------------------------------------------------------

_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_TLD = st.sampled_from(["com", "org", "net", "fr", "co.uk", "de"])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    listed=st.lists(_LABEL, min_size=1, max_size=3),
    tld=_TLD,
    extra=st.lists(_LABEL, max_size=3),
    sibling=_LABEL,
)
def test_every_parent_of_a_listed_domain_matches_and_siblings_never(
    tmp_path: Path, listed: list[str], tld: str, extra: list[str], sibling: str
) -> None:
    domain = ".".join([*listed, tld])
    assume(not is_public_suffix(domain))  # e.g. my.de is a suffix: refusing it is right
    path = tmp_path / "prop.idx"
    build_index([plist("p/list", "adult", (domain, tld))], path)
    with DomainIndex.open(path) as index:
        host = ".".join([*extra, domain])
        assert [m.matched for m in index.lookup(host)] == [domain]
        assert index.lookup(tld) == ()  # a public suffix never enters the index
        if sibling != listed[0]:
            sibling_host = ".".join([sibling, *listed[1:], tld])
            assert index.lookup(sibling_host) == ()
        if len(listed) > 1:
            assert index.lookup(".".join([*listed[1:], tld])) == ()  # parents of entries: no


# --- real lists ---------------------------------------------------------------------------


def test_real_ut1_index_knows_known_domains(ut1_index: DomainIndex) -> None:
    def categories(host: str, path: str = "") -> set[str]:
        return {m.category for m in ut1_index.lookup(host, path)}

    assert "news" in categories("www.lemonde.fr")
    assert "gambling" in categories("bet365-casino-bonus.com")
    assert "anonymizer" in categories("www.hidemyass.com")
    assert "adult" in categories("020sextoy.com", "/sk")
    assert ut1_index.lookup("example-that-is-not-listed.org") == ()
    names_ = {name for name, _, _ in ut1_index.lists()}
    assert {"ut1/press", "ut1/adult", "ut1/redirector"} <= names_


def test_bundled_defaults_build_and_match(tmp_path: Path) -> None:
    lists = [p for source in default_sources() for p in parse_path(source)]
    stats = build_index(lists, tmp_path / "defaults.idx")
    assert stats.domains > 500_000
    with DomainIndex.open(tmp_path / "defaults.idx") as index:
        adult = {m.list_name for m in index.lookup("www.pornhub.com")}
        assert "ut1-adult-popular/adult" in adult
        assert {m.category for m in index.lookup("lemonde.fr")} >= {"news"}
        assert index.lookup("wikipedia.org") == ()


def test_every_real_url_entry_is_found_under_its_site(
    ut1_index: DomainIndex, ut1_lists: list[ParsedList], monkeypatch: pytest.MonkeyPatch
) -> None:
    # lookups walk the URL entries only for sites that have some: they must find what
    # walking them for every site finds
    requests = [
        (variant, "/" + path.upper() + "/more?x=1")
        for p in ut1_lists
        for host, _, path in (url.partition("/") for url in p.url_prefixes)
        for variant in (host, "www." + host.removeprefix("www."), "shop." + host, host.upper())
    ]
    found = [ut1_index.lookup(host, path) for host, path in requests]
    assert sum(1 for matches in found if any("/" in m.matched for m in matches)) > 30_000
    monkeypatch.setattr(ut1_index, "_url_sites", None)
    assert [ut1_index.lookup(host, path) for host, path in requests] == found


def test_keys_are_written_in_blocks_and_a_generator_of_lists_gives_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The index writes each list's keys to its key file a few at a time and may be given
    # the lists one by one as they are parsed: the file is byte for byte the one built from
    # a list of parsed lists with every key at once.
    build_index(LISTS, tmp_path / "whole.idx")
    monkeypatch.setattr(index_module, "_KEY_BLOCK", 2)
    build_index((p for p in LISTS), tmp_path / "streamed.idx")
    assert (tmp_path / "streamed.idx").read_bytes() == (tmp_path / "whole.idx").read_bytes()
    written = io.StringIO()
    count = index_module._write_keys(
        ("a.example", "b.example", "com"), ("c.example/x", "d.example/a\nb"), written
    )
    assert count == 3 and written.getvalue() == "".join(
        key + "\n"
        for key in (
            index_module._domain_key("a.example"),
            index_module._domain_key("b.example"),
            index_module._url_key("c.example/x"),
        )
    )


def _trie_section(path: Path) -> bytes:
    data = path.read_bytes()
    _magic, _version, _n_keys, trie_offset, trie_length, *_rest = index_module._HEADER.unpack_from(
        data, 0
    )
    return data[trie_offset : trie_offset + trie_length]


def test_a_trie_built_by_a_child_process_gives_the_index_built_in_one_process(
    ut1_lists: list[ParsedList], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large indexes have their trie built by a child process from the key file: the file is
    # byte for byte the one built here, and its trie the one built in one call from every key
    # held in memory (as the index was built before), on the real UT1 lists.
    monkeypatch.setattr(index_module, "_CHILD_TRIE_KEYS", 0)
    build_index(ut1_lists, tmp_path / "child.idx")
    monkeypatch.setattr(index_module, "_CHILD_TRIE_KEYS", 1 << 40)
    build_index(ut1_lists, tmp_path / "here.idx")
    assert (tmp_path / "child.idx").read_bytes() == (tmp_path / "here.idx").read_bytes()
    keys = [
        key
        for p in ut1_lists
        for domains, urls in ((p.domains, p.url_prefixes), (p.allow_domains, p.allow_url_prefixes))
        for key in itertools.chain(
            (index_module._domain_key(d) for d in domains if index_module._indexable(d)),
            (index_module._url_key(u) for u in urls if index_module._indexable(u.split("/")[0])),
        )
    ]
    assert len(keys) > 200_000
    in_memory = marisa_trie.Trie(keys, num_tries=1, cache_size=marisa_trie.HUGE_CACHE)
    assert _trie_section(tmp_path / "child.idx") == in_memory.tobytes()


@pytest.mark.parametrize("how", ["fails", "is killed"])
def test_a_failed_trie_child_leaves_the_previous_index(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "lists.idx"
    build_index(LISTS, path)
    before = path.read_bytes()
    monkeypatch.setattr(index_module, "_CHILD_TRIE_KEYS", 0)
    if how == "fails":
        monkeypatch.setattr(index_module.sys, "executable", "/bin/false")
    else:
        monkeypatch.setattr(index_module, "_CHILD_TRIE_TIMEOUT", 0.01)
    with pytest.raises(RuntimeError, match="trie"):
        build_index([plist("v2/list", "adult", ("new.example.com",))], path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["lists.idx"]


def test_a_killed_build_s_key_file_is_removed_by_the_next_build(tmp_path: Path) -> None:
    # A build killed before its temporary folder was removed leaves its key file beside
    # the index; the next build removes it, but never the folder of a build still running.
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f"{index_module._BUILD_PREFIX}{gone.pid}-abc"
    dead.mkdir()
    (dead / "keys").write_text("moc.elpmaxe.\n")
    running = tmp_path / f"{index_module._BUILD_PREFIX}{os.getpid()}-abc"
    running.mkdir()
    build_index(LISTS, tmp_path / "lists.idx")
    assert sorted(os.listdir(tmp_path)) == [running.name, "lists.idx"]


def test_the_trie_builder_refuses_bad_arguments(tmp_path: Path) -> None:
    script = Path(index_module.triebuild.__file__)
    done = subprocess.run(
        [sys.executable, "-I", str(script), str(tmp_path / "keys")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "usage" in done.stderr
    assert os.listdir(tmp_path) == []
