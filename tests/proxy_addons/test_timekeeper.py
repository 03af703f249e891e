"""The time keeper in the real addon chain: minutes counted from the proxy's own decisions, a
spent budget blocking with the time-budget page, the banner, the child's time page, devices
without the CA counted by host name, a device that changes address, and a restart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mitmproxy.test import tflow

from policy.values import Decision, Reason
from proxy_addons.httpfilter import HttpFilter
from proxy_addons.timekeeper import TimeKeeper, TimePage, banner_minutes, insert_banner
from proxy_addons.tlsgate import TlsGate
from tests.proxy_addons.conftest import request_flow
from tests.proxy_addons.test_tlsgate import hello_data

PAGE = (
    b"<!DOCTYPE html><html><head><title>x</title></head><body class='a'><p>game</p></body></html>"
)


def browse(chain, host: str, ip: str = "192.168.1.20", *, page: bytes = PAGE):
    """One request through the filter, the counter and (when allowed) the answer's hooks."""
    flow = request_flow(host, client_ip=ip)
    chain.addon(TimePage).requestheaders(flow)
    if flow.response is None:
        chain.addon(HttpFilter).requestheaders(flow)
    keeper = chain.addon(TimeKeeper)
    keeper.request(flow)
    if flow.response is None:
        flow.response = tflow.tresp(content=page)
        flow.response.headers["content-type"] = "text/html; charset=utf-8"
        keeper.responseheaders(flow)
        keeper.response(flow)
    return flow


def used(chain, profile: str, group: str) -> int:
    now = chain.state.now()
    return chain.state.usage.usage(profile, now).used(group, now.date())


@pytest.fixture
def mia(chain, store):
    store.add_profile("Mia", "child")
    store.add_device("Tablet", profile="Mia", ip="192.168.1.20")
    store.set_budget("Mia", "games", 1)
    chain.refresh()
    return chain


def test_a_spent_budget_blocks_games_with_the_time_budget_page_while_others_load(mia) -> None:
    first = browse(mia, "roblox.com")
    assert first.response.status_code == 200 and b"hearthguard-time" in first.response.content
    assert used(mia, "Mia", "games") == 1 and used(mia, "Mia", "everything") == 1
    # the minute that spent the budget is paid for: the rest of it may be used
    assert browse(mia, "www.roblox.com").response.status_code == 200
    # next minute: pretend the counted minute was the one before
    counter = mia.state.usage
    minute = int(mia.state.now().timestamp() // 60)
    counter._minutes["Mia"]["games"] = {minute - 1}
    counter._frozen.clear()
    blocked = browse(mia, "minecraft.net")
    assert blocked.response.status_code == 403
    decision: Decision = blocked.metadata["hearthguard"]
    assert (decision.reason, decision.category, decision.source) == (
        Reason.TIME_BUDGET,
        "games",
        "time budget: games 1 min",
    )
    assert b"If you need more time" in blocked.response.content
    other = browse(mia, "example.org")
    assert other.response.status_code == 200 and b"hearthguard-time" not in other.response.content


def test_minutes_of_different_groups_count_once_each(mia, store) -> None:
    store.set_budget("Mia", "video", 60)
    mia.refresh()
    browse(mia, "roblox.com")
    browse(mia, "vimeo.com")
    browse(mia, "example.org")
    assert (used(mia, "Mia", "games"), used(mia, "Mia", "video")) == (1, 1)
    assert used(mia, "Mia", "everything") == 1


def test_a_device_that_changes_address_keeps_its_childs_minutes(mia, store) -> None:
    browse(mia, "roblox.com", ip="192.168.1.20")
    store.db.execute("UPDATE devices SET ip = '192.168.1.77' WHERE name = 'Tablet'")
    store.db.conn.commit()
    mia.refresh()
    browse(mia, "poki.com", ip="192.168.1.77")  # the same minute, now from the new address
    assert used(mia, "Mia", "games") == 1
    assert mia.state.snapshot.profile_for("192.168.1.77")[0].name == "Mia"


def test_only_this_minutes_hosts_are_remembered(mia, monkeypatch) -> None:
    """Which hosts were counted is needed for the current minute only: a new minute lets
    the earlier minute's hosts go, so a long day of browsing holds one minute of hosts."""
    start = mia.state.now().replace(hour=12, minute=0, second=5, microsecond=0)
    monkeypatch.setattr(mia.state, "now", lambda: start)
    for i in range(50):
        browse(mia, f"site{i}.example")
    keeper = mia.addon(TimeKeeper)
    assert len(keeper._seen) == 50
    monkeypatch.setattr(mia.state, "now", lambda: start + timedelta(minutes=1))
    browse(mia, "site0.example")
    browse(mia, "roblox.com")
    assert len(keeper._seen) == 2
    assert used(mia, "Mia", "everything") == 2  # both minutes counted


def test_blocked_requests_count_no_minutes(mia, store) -> None:
    store.set_budget("Mia", "games", 0)
    mia.refresh()
    assert browse(mia, "roblox.com").response.status_code == 403
    assert used(mia, "Mia", "games") == 0


def test_minutes_are_written_in_batches_and_come_back_after_a_restart(mia, data_dir) -> None:
    browse(mia, "roblox.com")
    keeper = mia.addon(TimeKeeper)
    keeper.flush()
    today = mia.state.now().date()
    rows = mia.state.activity.usage_on(today)
    assert {(p, g) for p, g, _ in rows} == {("Mia", "games"), ("Mia", "everything")}
    # a fresh proxy on the same data directory starts from those minutes
    from proxy_addons.state import ProxyState

    mia.state.usage.__init__()
    assert used(mia, "Mia", "games") == 0
    keeper._restored_for = None
    keeper.configure({"hearthguard_data_dir"})
    assert used(mia, "Mia", "games") == 1
    assert isinstance(mia.state, ProxyState)


def test_the_childs_time_page(mia, store) -> None:
    from datetime import time

    from policy.values import Schedule

    store.add_schedule("Mia", Schedule(frozenset(range(1, 8)), time(23, 58), time(23, 59), "late"))
    mia.refresh()
    flow = request_flow("anything.example", "/.hearthguard/time", client_ip="192.168.1.20")
    mia.addon(TimePage).requestheaders(flow)
    body = flow.response.content.decode()
    assert flow.response.status_code == 200
    assert "Your time today" in body and "Games" in body and "1 of 1 minutes left" in body
    assert "Next offline time" in body or "offline time now" in body


def test_the_time_page_never_reaches_the_site_and_refuses_posts(mia) -> None:
    flow = request_flow("anything.example", "/.hearthguard/time", client_ip="192.168.1.20")
    flow.request.method = "POST"
    mia.addon(TimePage).requestheaders(flow)
    assert flow.response is None and flow.error is not None  # killed, never forwarded


def test_allowed_tls_passed_through_is_counted_and_logged_by_host(mia, store) -> None:
    """A device without the CA: its allowed HTTPS is never decrypted, yet it is counted."""
    data = hello_data(mia, "roblox.com", "192.168.1.20")
    mia.addon(TlsGate).tls_clienthello(data)
    assert data.ignore_connection  # passed through untouched (no CA on the tablet)
    mia.addon(TimeKeeper).tls_clienthello(data)
    assert used(mia, "Mia", "games") == 1
    decisions, _, _ = mia.state.log.take()[:3]
    assert [(d.host, d.action, d.source) for d in decisions][-1] == (
        "roblox.com",
        "allow",
        "tls passthrough",
    )


@pytest.mark.parametrize(
    ("used_minutes", "banner"),
    [(49, None), (50, ("games", 10)), (58, ("games", 2)), (60, ("games", 0))],
)
def test_the_banner_appears_at_ten_minutes_left(used_minutes: int, banner) -> None:
    from policy.values import Profile

    profile = Profile("Mia", "child", frozenset())
    assert banner_minutes(profile, frozenset({"games"}), {"games": (used_minutes, 60)}) == banner


def test_the_banner_goes_right_after_the_body_tag() -> None:
    assert insert_banner(b"<html><BODY id=x><p>", b"<div/>") == b"<html><BODY id=x><div/><p>"
    assert insert_banner(b"<p>no body", b"<div/>") == b"<div/><p>no body"


def test_a_warning_page_is_urgent_at_two_minutes(mia, store) -> None:
    store.set_budget("Mia", "games", 3)
    mia.refresh()
    counter = mia.state.usage
    minute = int(mia.state.now().timestamp() // 60)
    counter.record("Mia", ["games"], mia.state.now())
    counter._minutes["Mia"]["games"] |= {minute - 1}
    counter._frozen.clear()
    body = browse(mia, "roblox.com").response.content
    assert b"Games: 1 minutes left today." in body and b"#a33a1f" in body


def test_the_banner_goes_into_a_compressed_page_and_it_stays_compressed(mia) -> None:
    flow = request_flow("roblox.com", client_ip="192.168.1.20")
    mia.addon(HttpFilter).requestheaders(flow)
    keeper = mia.addon(TimeKeeper)
    keeper.request(flow)
    flow.response = tflow.tresp(content=b"")
    flow.response.headers["content-type"] = "text/html"
    flow.response.headers["content-encoding"] = "gzip"
    flow.response.content = PAGE  # encoded with gzip by mitmproxy
    keeper.responseheaders(flow)
    keeper.response(flow)
    assert flow.response.headers["content-encoding"] == "gzip"
    assert flow.response.raw_content[:2] == b"\x1f\x8b"
    assert b"<body class='a'><div id=\"hearthguard-time\"" in flow.response.content


def test_names_looked_up_in_dns_mode_count_minutes_and_blocked_ones_do_not(mia, store) -> None:
    from tests.proxy_addons.test_dnsfilter import answer, query

    keeper = mia.addon(TimeKeeper)
    blocked = answer(mia, query("pornhub.com"))
    assert blocked.metadata["hearthguard"].blocked
    keeper.dns_request(blocked)
    assert used(mia, "Mia", "everything") == 0
    allowed = answer(mia, query("roblox.com"))
    keeper.dns_request(allowed)
    # a device that uses only Hearthguard's DNS counts towards budgets too
    assert (used(mia, "Mia", "games"), used(mia, "Mia", "everything")) == (1, 1)
