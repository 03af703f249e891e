"""DNS answers: the same decisions as requests, SafeSearch aliases, bypass names closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy.dns import (
    BING_SAFE,
    DUCKDUCKGO_SAFE,
    GOOGLE_SAFE,
    YOUTUBE_MODERATE,
    YOUTUBE_STRICT,
    DnsAnswer,
    decide_dns,
    safe_search_target,
)
from policy.snapshot import Snapshot
from policy.values import Action, Device, Profile, Reason, Rule
from tests.support.lists import make_index, parsed

NOW = datetime(2026, 11, 29, 15, tzinfo=UTC)
CHILD = Profile("Mia", "child", frozenset({"adult", "anonymizer"}), youtube="strict")
TEEN = Profile("Sam", "teen", frozenset({"adult"}), youtube="moderate")
OPEN = Profile("Dad", "adult", frozenset(), safesearch=False, youtube="off")


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    path: Path = tmp_path_factory.mktemp("dnsidx") / "categories.idx"
    index = make_index(
        path,
        [
            parsed("ut1/adult", "adult", ["porn.example"], urls=["video.example/adult"]),
            parsed("ut1/doh", "anonymizer", ["doh.example"]),
            parsed("ut1/press", "news", ["paper.example"]),
        ],
    )
    return Snapshot(
        version=1,
        profiles={p.name: p for p in (CHILD, TEEN, OPEN)},
        default_profile="Mia",
        index=index,
    )


def ask(snapshot: Snapshot, name: str, profile: Profile = CHILD, **kw):
    return decide_dns(name, snapshot, profile, None, NOW, **kw)


def test_a_name_in_a_blocked_category_does_not_exist(snapshot) -> None:
    verdict = ask(snapshot, "www.porn.example")
    assert verdict.answer is DnsAnswer.NXDOMAIN
    assert verdict.decision.reason is Reason.CATEGORY_BLOCKED
    assert verdict.decision.source == "ut1/adult"
    assert ask(snapshot, "www.porn.example", OPEN).answer is DnsAnswer.RESOLVE


def test_the_household_may_choose_null_addresses_instead(snapshot) -> None:
    assert ask(snapshot, "porn.example", null_answers=True).answer is DnsAnswer.NULL


def test_a_url_entry_never_blocks_its_whole_host(snapshot) -> None:
    # "video.example/adult" is one page: the site's other pages must keep resolving
    assert ask(snapshot, "video.example").answer is DnsAnswer.RESOLVE


@pytest.mark.parametrize(
    "name",
    ["PORN.example.", "porn.example.", "\uff50\uff4f\uff52\uff4e.example", "\udcffporn.example"],
)
def test_odd_spellings_never_resolve_a_blocked_name(snapshot, name) -> None:
    assert ask(snapshot, name).answer is DnsAnswer.NXDOMAIN


@pytest.mark.parametrize(
    "name",
    ["use-application-dns.net", "mask.icloud.com", "mask-h2.icloud.com", "_dns.resolver.arpa"],
)
def test_names_that_move_dns_elsewhere_do_not_exist_for_anyone(snapshot, name) -> None:
    for profile in (CHILD, OPEN):
        verdict = ask(snapshot, name, profile)
        assert verdict.answer is DnsAnswer.NXDOMAIN
        assert verdict.decision.source == "dns: bypass canary"


def test_known_doh_servers_are_blocked_with_their_category(snapshot) -> None:
    verdict = ask(snapshot, "doh.example")
    assert verdict.answer is DnsAnswer.NXDOMAIN and verdict.decision.category == "anonymizer"


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("www.google.com", GOOGLE_SAFE),
        ("google.com", GOOGLE_SAFE),
        ("www.google.co.uk", GOOGLE_SAFE),
        ("www.google.de", GOOGLE_SAFE),
        ("www.google.com.au", GOOGLE_SAFE),
        ("www.bing.com", BING_SAFE),
        ("duckduckgo.com", DUCKDUCKGO_SAFE),
        ("www.youtube.com", YOUTUBE_STRICT),
        ("m.youtube.com", YOUTUBE_STRICT),
        ("youtubei.googleapis.com", YOUTUBE_STRICT),
    ],
)
def test_search_engines_and_youtube_become_their_safe_addresses(snapshot, name, target) -> None:
    verdict = ask(snapshot, name)
    assert (verdict.answer, verdict.target) == (DnsAnswer.CNAME, target)
    assert verdict.decision.action is Action.ALLOW


@pytest.mark.parametrize(
    "name",
    [
        "mail.google.com",
        "maps.google.com",
        "google.org",
        "googleusercontent.com",
        "google.evil.com",
    ],
)
def test_other_google_hosts_are_never_aliased(snapshot, name) -> None:
    assert ask(snapshot, name).answer is DnsAnswer.RESOLVE


def test_aliases_follow_each_profile(snapshot) -> None:
    assert safe_search_target("www.youtube.com", TEEN) == YOUTUBE_MODERATE
    assert ask(snapshot, "www.google.com", OPEN).answer is DnsAnswer.RESOLVE
    assert ask(snapshot, "www.youtube.com", OPEN).answer is DnsAnswer.RESOLVE


def test_a_parents_deny_rule_beats_the_alias(snapshot) -> None:
    denied = Profile("Mia", "child", frozenset(), rules=(Rule(Action.BLOCK, "google.com"),))
    assert ask(snapshot, "www.google.com", denied).answer is DnsAnswer.NXDOMAIN


def test_a_paused_device_resolves_nothing(snapshot) -> None:
    tablet = Device("Tablet", "Mia", "192.168.1.23", paused_until=NOW + timedelta(hours=1))
    verdict = decide_dns("paper.example", snapshot, CHILD, tablet, NOW)
    assert verdict.answer is DnsAnswer.NXDOMAIN


def test_an_error_while_deciding_blocks(snapshot) -> None:
    class Broken:
        def lookup(self, host: str, path: str = ""):
            raise RuntimeError("index gone")

    broken = Snapshot(1, snapshot.profiles, "Mia", index=Broken())  # type: ignore[arg-type]
    verdict = ask(broken, "paper.example")
    assert verdict.answer is DnsAnswer.NXDOMAIN
    assert verdict.decision.reason is Reason.FILTER_ERROR


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_no_name_makes_the_dns_decision_raise_or_allow_an_unreadable_name(snapshot, name) -> None:
    verdict = ask(snapshot, name)
    assert verdict.answer in DnsAnswer
    if not verdict.name:
        assert verdict.answer is DnsAnswer.NXDOMAIN
