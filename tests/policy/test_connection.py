"""Connection decisions: where tunnels may go, the TLS gate's choice, raw TCP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from policy.catrust import CaTrust
from policy.connection import (
    TlsAction,
    connect_by_name,
    decide_names,
    decide_raw_tcp,
    decide_tls,
    decide_tunnel,
)
from policy.network import Network
from policy.snapshot import CategoryIndex, Snapshot
from policy.values import Action, Decision, Device, Profile, Reason, Rule
from tests.support.lists import make_index, parsed

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
CHILD = Profile("Mia", "child", frozenset({"adult"}))
OPEN = Profile("Dad", "adult", frozenset())
OWN = frozenset({"192.168.1.2"})


def tunnel(profile: Profile, host: str, port: int = 443, from_self: bool = False):
    return decide_tunnel(
        profile, host, port, from_self=from_self, own_addresses=OWN, network=Network(), now=NOW
    )


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "2130706433", "localhost", "app.localhost", "192.168.1.2", "[::1]", "0.0.0.0"],
)
def test_other_clients_never_reach_this_machines_own_services(host) -> None:
    for profile in (CHILD, OPEN):
        refused = tunnel(profile, host, 8081)
        assert refused is not None and refused.reason is Reason.CONNECTION_REFUSED
    assert tunnel(OPEN, host, 8081, from_self=True) is None


def test_home_network_addresses_need_a_parents_allow() -> None:
    assert tunnel(CHILD, "192.168.1.50") is not None
    printer = Profile(
        "Mia", "child", frozenset({"adult"}), rules=(Rule(Action.ALLOW, "192.168.1.50"),)
    )
    assert tunnel(printer, "192.168.1.50") is None


def test_filtered_profiles_tunnel_only_to_the_household_ports() -> None:
    assert tunnel(CHILD, "example.com", 443) is None
    assert tunnel(CHILD, "example.com", 22) is not None
    assert tunnel(OPEN, "example.com", 22) is None
    wider = Network(connect_ports=frozenset({443, 993}))
    assert (
        decide_tunnel(
            CHILD, "mail.example", 993, from_self=False, own_addresses=OWN, network=wider, now=NOW
        )
        is None
    )


def test_raw_tcp_is_closed_for_filtered_profiles_only() -> None:
    assert decide_raw_tcp(CHILD) is not None
    assert decide_raw_tcp(OPEN) is None


def test_names_of_two_sites_are_refused_and_same_site_names_decided_together() -> None:
    child = Profile(
        "Mia", "child", frozenset({"adult"}), rules=(Rule(Action.BLOCK, "bad.example"),)
    )
    snap = Snapshot(1, {"Mia": child}, "Mia")
    mixed = decide_names(("bad.example", "www.nhs.uk"), snap, child, None, NOW)
    assert mixed.reason is Reason.CONNECTION_REFUSED
    same = decide_names(("example.com", "bad.example"), snap, child, None, NOW)
    assert same.reason is Reason.CONNECTION_REFUSED
    sub = decide_names(("www.bad.example", "bad.example"), snap, child, None, NOW)
    assert sub.reason is Reason.PARENT_DENIED
    ip_and_name = decide_names(("203.0.113.9", "example.com"), snap, child, None, NOW)
    assert ip_and_name.reason is Reason.IP_ADDRESS


@pytest.fixture(scope="module")
def lists(tmp_path_factory: pytest.TempPathFactory) -> CategoryIndex:
    path = tmp_path_factory.mktemp("idx") / "categories.idx"
    return make_index(path, [parsed("ut1/bank", "bank", ["bank.example"])])


BLOCK = Decision(Action.BLOCK, Reason.PARENT_DENIED)
ALLOW = Decision(Action.ALLOW, Reason.NOT_BLOCKED)


@pytest.mark.parametrize(
    ("decision", "trusted", "sensitive", "pinned", "inspect", "action"),
    [
        (BLOCK, True, False, False, True, TlsAction.INTERCEPT),
        (BLOCK, False, False, False, True, TlsAction.REFUSE),
        (BLOCK, True, True, True, True, TlsAction.INTERCEPT),  # sensitive never shields a block
        (
            Decision(Action.BLOCK, Reason.CONNECTION_REFUSED),
            True,
            False,
            False,
            True,
            TlsAction.REFUSE,
        ),
        (ALLOW, True, False, False, True, TlsAction.INTERCEPT),
        (ALLOW, False, False, False, True, TlsAction.PASS),
        (ALLOW, True, True, False, True, TlsAction.PASS),
        (ALLOW, True, False, True, True, TlsAction.PASS),
        (ALLOW, True, False, False, False, TlsAction.PASS),
    ],
)
def test_the_tls_gate_table(lists, decision, trusted, sensitive, pinned, inspect, action) -> None:
    site = "www.bank.example" if sensitive else "shop.example"
    looks = {
        "content_scan": inspect,
        "safesearch": inspect,
        "youtube": "strict" if inspect else "off",
    }
    profile = Profile("Mia", "child", frozenset({"adult"}), **looks)  # type: ignore[arg-type]
    got = decide_tls(decision, profile, site, lists, trusted=trusted, pinned=pinned)
    assert got is action


@pytest.mark.parametrize(
    "looks", [{"content_scan": True}, {"safesearch": True}, {"youtube": "moderate"}]
)
def test_any_look_inside_is_a_reason_to_intercept(lists, looks) -> None:
    nothing = {"content_scan": False, "safesearch": False, "youtube": "off"}
    profile = Profile("Mia", "child", frozenset(), **{**nothing, **looks})  # type: ignore[arg-type]
    got = decide_tls(ALLOW, profile, "shop.example", lists, trusted=True, pinned=False)
    assert got is TlsAction.INTERCEPT


class _BrokenIndex:
    def lookup(self, host: str, path: str = ""):  # type: ignore[no-untyped-def]
        raise RuntimeError("damaged index")


def test_an_error_reading_the_lists_refuses_the_handshake() -> None:
    got = decide_tls(ALLOW, CHILD, "shop.example", _BrokenIndex(), trusted=True, pinned=False)
    assert got is TlsAction.REFUSE


def test_ca_trust_is_proven_by_a_handshake_and_not_undone_by_one_app() -> None:
    trust = CaTrust()
    tablet = Device("Tablet", "Mia", "192.168.1.20", ca_trusted=True)
    trust.failure("192.168.1.20", "api.app.example")
    trust.failure("192.168.1.20", "cdn.app.example")
    assert trust.trusts("192.168.1.20", tablet)
    for site in ("one.example", "two.example"):
        trust.failure("192.168.1.20", site)
    assert not trust.trusts("192.168.1.20", tablet)  # three sites, never a success
    trust.success("192.168.1.20", "example.org", NOW)
    assert trust.trusts("192.168.1.20", None)
    assert trust.pinned("192.168.1.20", "x.one.example") is False  # one failure only
    view = trust.snapshot({"192.168.1.20": tablet})["192.168.1.20"]
    assert view["belief"] == "trusted" and view["parent_says_installed"]


@pytest.mark.parametrize(
    "name, address, expected",
    [
        ("allowed.test", ("203.0.113.66", 443), ("allowed.test", 443)),
        ("Allowed.TEST.", ("203.0.113.66", 80), ("allowed.test", 80)),
        ("bücher.example", ("203.0.113.66", 443), ("xn--bcher-kva.example", 443)),
        ("allowed.test", ("allowed.test", 443), None),  # already going by the name
        ("203.0.113.66", ("203.0.113.66", 443), None),  # no name to go by
        ("198.51.100.9", ("203.0.113.66", 443), None),
        ("", ("203.0.113.66", 443), None),
        ("allowed.test", None, None),
    ],
)
def test_a_connection_with_only_an_address_goes_by_its_decided_name(name, address, expected):
    assert connect_by_name(name, address) == expected
