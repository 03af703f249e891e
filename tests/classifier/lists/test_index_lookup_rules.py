"""Every lookup answers as the index's matching rules say, checked against a plain reading
of those rules over many hosts and paths: one list or several naming a host or a parent,
allow entries, and URL entries under ``www``/``web``/``ftp`` names or none."""

from __future__ import annotations

import random
import re
from pathlib import Path

from classifier.lists.index import DomainIndex
from tests.support.lists import make_index, parsed

_WWW = re.compile(r"(?:www|web|ftp)[0-9]*\.")

LISTS = [
    parsed("a/adult", "adult", ["porn.example", "tube.example", "shared.example"]),
    parsed("b/adult", "adult", ["shared.example", "x.porn.example"]),
    parsed("c/gambling", "gambling", ["bets.example"], urls=["www.sport.example/bets"]),
    parsed("d/allow", "adult", [], allow=["safe.porn.example"]),
    parsed(
        "e/urls",
        "adult",
        [],
        urls=["web2.pages.example/adult", "pages.example/adult/deep", "ftp.files.example/x"],
    ),
]


def _oracle(host: str, path: str) -> list[tuple[str, str, str, bool]]:
    """The documented rules, read plainly: URL prefixes (longest first), then the host and
    its parents (most specific first); each key's lists in the order they were built."""
    site = _WWW.sub("", host, count=1) if _WWW.match(host) else host
    url_hits, host_hits = [], []
    for parsed_list in LISTS:
        for allow, domains, urls in (
            (False, parsed_list.domains, parsed_list.url_prefixes),
            (True, parsed_list.allow_domains, parsed_list.allow_url_prefixes),
        ):
            for domain in domains:
                if host == domain or host.endswith("." + domain):
                    host_hits.append(
                        (domain, (parsed_list.category, parsed_list.name, domain, allow))
                    )
            for url in urls:
                entry_host, _, entry_path = url.partition("/")
                match = _WWW.match(entry_host)
                if match and match.end() < len(entry_host):
                    entry_host = entry_host[match.end() :]
                prefix = entry_host + "/" + entry_path.lower()
                if path and (site + path.lower()).startswith(prefix):
                    url_hits.append(
                        (prefix, (parsed_list.category, parsed_list.name, prefix, allow))
                    )
    url_hits.sort(key=lambda hit: -len(hit[0]))
    host_hits.sort(key=lambda hit: -hit[0].count("."))
    return [match for _key, match in url_hits + host_hits]


def test_lookups_follow_the_rules(tmp_path: Path) -> None:
    index = make_index(tmp_path / "i.idx", LISTS)
    rng = random.Random(5)
    names = ["porn.example", "tube.example", "shared.example", "bets.example", "sport.example"]
    names += [
        "pages.example",
        "files.example",
        "safe.porn.example",
        "x.porn.example",
        "other.example",
    ]
    prefixes = ["", "www.", "www7.", "web.", "web2.", "ftp.", "m.", "a.b.", "wwwx."]
    paths = ["", "/", "/bets", "/BETS/today", "/adult", "/adult/deep/more", "/x", "/y", "/adult/d"]
    checked = 0
    for _ in range(3000):
        host = rng.choice(prefixes) + rng.choice(names)
        path = rng.choice(paths)
        found = [(m.category, m.list_name, m.matched, m.allow) for m in index.lookup(host, path)]
        expected = _oracle(host, path)
        # lists of one key keep their build order; keys are ordered as the oracle orders them
        assert sorted(found) == sorted(expected), (host, path)
        assert [m[2] for m in found] == [m[2] for m in expected], (host, path)
        checked += bool(found)
    assert checked > 1000  # most lookups found something


def test_one_key_named_by_two_lists_answers_both(tmp_path: Path) -> None:
    index = make_index(tmp_path / "i.idx", LISTS)
    assert {m.list_name for m in index.lookup("www.shared.example", "/a")} == {"a/adult", "b/adult"}
    only = index.lookup("tube.example")
    assert [(m.list_name, m.matched) for m in only] == [("a/adult", "tube.example")]
    assert isinstance(only, tuple) and index.lookup("nothing.example", "/") == ()


def test_an_empty_index_and_a_closed_one_miss(tmp_path: Path) -> None:
    assert DomainIndex.empty().lookup("porn.example", "/") == ()
    index = make_index(tmp_path / "i.idx", LISTS)
    index.close()
    assert index.lookup("porn.example", "/") == ()
