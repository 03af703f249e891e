"""The one normaliser: every spelling of a host or path means one thing, and nothing raises."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policy.decide
from policy.address import (
    HostKind,
    normalise_host,
    normalise_path,
    registrable_domain,
    same_site,
)
from policy.decide import decide
from policy.network import Network
from policy.snapshot import Snapshot
from policy.values import Action, Profile, Reason, Request, Rule

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "host", "kind"),
    [
        ("BÜCHER.example.", "xn--bcher-kva.example", HostKind.NAME),
        ("xn--bcher-kva.example", "xn--bcher-kva.example", HostKind.NAME),
        ("porn%68ub.com", "pornhub.com", HostKind.NAME),
        ("example.com:443", "example.com", HostKind.NAME),
        ("2130706433", "127.0.0.1", HostKind.IP),  # what the C library connects to
        ("0x7f.1", "127.0.0.1", HostKind.IP),
        ("017700000001", "127.0.0.1", HostKind.IP),
        ("[::1]:8081", "::1", HostKind.IP),
        ("::ffff:1.2.3.4", "1.2.3.4", HostKind.IP),
        (b"bad\xff.example", "", HostKind.INVALID),
        ("bad\udcff.example", "", HostKind.INVALID),  # undecodable bytes carried in a str
        ("site.1.2.3.4", "", HostKind.INVALID),
        ("exa mple.com", "", HostKind.INVALID),
        ("", "", HostKind.INVALID),
        ("x" * 300, "", HostKind.INVALID),
    ],
)
def test_hosts_are_normalised(raw, host, kind) -> None:
    assert normalise_host(raw) == (host, kind)


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ("/%70orn/", "/porn/"),
        (b"/a\xff\xfe", "/a%FF%FE"),
        ("/a\udcff", "/a%FF"),
        ("/x/../porn", "/porn"),
        ("/x/./y?q=%2f", "/x/y?q=%2F"),
        ("/a%zz", "/a%25zz"),
        ("relative", "/relative"),
        ("/plain/path?q=1", "/plain/path?q=1"),
    ],
)
def test_paths_are_normalised(raw, path) -> None:
    assert normalise_path(raw) == path


def test_registrable_domains_follow_the_public_suffix_list() -> None:
    assert registrable_domain("www.bbc.co.uk") == "bbc.co.uk"
    assert same_site("api.example.com", "www.example.com")
    assert not same_site("www.nhs.uk", "pornhub.com")
    assert not same_site("alice.github.io", "bob.github.io")


def snapshot(*rules: Rule) -> Snapshot:
    child = Profile("Mia", "child", frozenset({"adult", "gambling"}), rules=rules)
    return Snapshot(1, {"Mia": child}, "Mia", network=Network())


def test_a_deny_rule_in_punycode_matches_the_unicode_host() -> None:
    denying = snapshot(Rule(Action.BLOCK, "xn--bcher-kva.example"))
    decision = decide(Request("Bücher.Example.", "/"), denying.profiles["Mia"], denying, NOW)
    assert decision.reason is Reason.PARENT_DENIED


def test_bare_addresses_are_blocked_but_home_network_and_allowed_ones_are_not() -> None:
    plain = snapshot()
    mia = plain.profiles["Mia"]
    assert decide(Request("1.1.1.1"), mia, plain, NOW).reason is Reason.IP_ADDRESS
    assert decide(Request("2130706433"), mia, plain, NOW).reason is Reason.NOT_BLOCKED  # LAN
    allowed = snapshot(Rule(Action.ALLOW, "1.1.1.1"))
    assert (
        decide(Request("1.1.1.1"), allowed.profiles["Mia"], allowed, NOW).reason
        is Reason.PARENT_ALLOWED
    )


def test_an_unreadable_host_is_blocked() -> None:
    plain = snapshot()
    decision = decide(Request("bad\udcff.example"), plain.profiles["Mia"], plain, NOW)
    assert (decision.action, decision.reason) == (Action.BLOCK, Reason.FILTER_ERROR)


class _BrokenIndex:
    def lookup(self, host: str, path: str = ""):  # type: ignore[no-untyped-def]
        raise RuntimeError("damaged index")


def test_an_error_while_deciding_blocks(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(policy.decide, "_logged", {})  # no line of an earlier test counts
    broken = Snapshot(1, snapshot().profiles, "Mia", index=_BrokenIndex())
    with caplog.at_level(logging.ERROR, logger="policy.decide"):
        mia = broken.profiles["Mia"]
        decisions = [decide(Request(f"site{i}.example"), mia, broken, NOW) for i in range(50)]
    assert {(d.action, d.reason) for d in decisions} == {(Action.BLOCK, Reason.FILTER_ERROR)}
    # every failure blocks, but the journal gets one line a minute, without a host
    lines = [r.getMessage() for r in caplog.records if "Deciding a request failed" in r.message]
    assert len(lines) == 1 and "site" not in lines[0]


_TEXT = st.one_of(st.text(max_size=300), st.binary(max_size=300))


@settings(max_examples=400, deadline=None)
@given(host=_TEXT, path=_TEXT)
def test_no_input_makes_the_normaliser_or_decide_raise(host, path) -> None:
    name, kind = normalise_host(host)
    assert (name == "") == (kind is HostKind.INVALID)
    assert normalise_host(name) == (name, kind) or kind is HostKind.INVALID
    clean = normalise_path(path)
    assert clean.startswith("/") and clean.isascii() and clean.isprintable()
    text = host.decode("utf-8", "surrogateescape") if isinstance(host, bytes) else host
    p = path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else path
    plain = snapshot()
    decision = decide(Request(text, p), plain.profiles["Mia"], plain, NOW)
    assert decision.reason is not Reason.FILTER_ERROR or decision.blocked
