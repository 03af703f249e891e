"""The DNS filter hook: answers applied to DNS flows, failing closed, WireGuard identities."""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path

import pytest
from mitmproxy import connection, dns
from mitmproxy.proxy import mode_specs
from mitmproxy.test import tflow, tutils

from policy.store import PolicyStore
from policy.validate import InputError
from policy.values import Action
from policy.wireguard import identity_address
from proxy_addons.blockpage import BlockPages
from proxy_addons.chain import AddonGroup
from proxy_addons.dnsfilter import DnsFilter, resolve_after_filter
from proxy_addons.failclosed import FailClosed
from proxy_addons.identity import Identity
from proxy_addons.wireguard import WireGuardIdentity, prepare_modes


def query(name: str, qtype: int = dns.types.A, ip: str = "192.168.1.20") -> dns.DNSFlow:
    flow = tflow.tdnsflow(req=tutils.tdnsreq(questions=[dns.Question(name, qtype, dns.classes.IN)]))
    flow.client_conn.peername = (ip, 5353)
    return flow


def answer(chain, flow: dns.DNSFlow) -> dns.DNSFlow:
    asyncio.run(chain.addon(DnsFilter).dns_request(flow))
    return flow


class Addresses:
    """The SafeSearch targets' addresses, as the resolver would give them."""

    async def lookup(self, name: str, qtype: int) -> list[str]:
        return {"forcesafesearch.google.com": ["216.239.38.120"]}.get(name, [])


@pytest.fixture
def dnsfilter(chain):
    chain.addon(DnsFilter).safe_addresses = Addresses()
    return chain


def test_a_blocked_name_gets_nxdomain_and_a_log_entry(dnsfilter) -> None:
    flow = answer(dnsfilter, query("pornhub.com", dns.types.AAAA))
    assert flow.response.response_code == dns.response_codes.NXDOMAIN
    assert flow.response.recursion_available
    events, _, _ = dnsfilter.state.log.take()
    assert [(e.host, e.action, e.category) for e in events] == [("pornhub.com", "block", "adult")]


def test_an_upstream_answer_never_stands_for_a_blocked_name(dnsfilter) -> None:
    flow = query("pornhub.com")
    flow.response = flow.request.succeed(
        [dns.ResourceRecord.A("pornhub.com", ipaddress.IPv4Address("203.0.113.66"))]
    )  # as mitmproxy 11's resolver leaves it when it runs first
    assert answer(dnsfilter, flow).response.response_code == dns.response_codes.NXDOMAIN


def test_null_answers_when_the_household_prefers_them(dnsfilter) -> None:
    dnsfilter.tctx.configure(dnsfilter.addon(DnsFilter), hearthguard_dns_blocked="null")
    a = answer(dnsfilter, query("pornhub.com")).response
    aaaa = answer(dnsfilter, query("pornhub.com", dns.types.AAAA)).response
    txt = answer(dnsfilter, query("pornhub.com", dns.types.TXT)).response
    assert [str(r.ipv4_address) for r in a.answers] == ["0.0.0.0"]
    assert [str(r.ipv6_address) for r in aaaa.answers] == ["::"]
    assert txt.response_code == dns.response_codes.NOERROR and txt.answers == []


def test_a_bad_option_fails_at_configure_time(dnsfilter) -> None:
    from mitmproxy.exceptions import OptionsError

    with pytest.raises(OptionsError):
        dnsfilter.tctx.configure(dnsfilter.addon(DnsFilter), hearthguard_dns_blocked="allow")


def test_google_gets_the_safesearch_alias_with_its_address(dnsfilter) -> None:
    response = answer(dnsfilter, query("www.google.co.uk")).response
    assert [(r.name, r.type) for r in response.answers] == [
        ("www.google.co.uk", dns.types.CNAME),
        ("forcesafesearch.google.com", dns.types.A),
    ]
    assert response.answers[0].domain_name == "forcesafesearch.google.com"
    assert str(response.answers[1].ipv4_address) == "216.239.38.120"


def test_allowed_names_are_left_to_the_resolver(dnsfilter) -> None:
    flow = answer(dnsfilter, query("www.bbc.co.uk"))
    assert flow.response is None and flow.error is None


def test_anything_but_one_plain_question_is_refused(dnsfilter) -> None:
    two = tflow.tdnsflow(
        req=tutils.tdnsreq(
            questions=[
                dns.Question("www.bbc.co.uk", dns.types.A, dns.classes.IN),
                dns.Question("pornhub.com", dns.types.A, dns.classes.IN),
            ]
        )
    )
    assert answer(dnsfilter, two).response.response_code == dns.response_codes.REFUSED
    update = tflow.tdnsflow(req=tutils.tdnsreq(op_code=dns.op_codes.UPDATE))
    assert answer(dnsfilter, update).response.response_code == dns.response_codes.REFUSED


def test_no_policy_means_no_names(dnsfilter) -> None:
    dnsfilter.state.snapshot = None
    flow = answer(dnsfilter, query("www.bbc.co.uk"))
    assert flow.response.response_code == dns.response_codes.SERVFAIL


def test_an_error_in_the_hook_is_servfail_never_an_upstream_answer(dnsfilter) -> None:
    state = dnsfilter.state
    group = AddonGroup([dnsfilter.addon(DnsFilter)], on_error=FailClosed(state, BlockPages.load()))

    class Broken:
        def profile_for(self, ip):
            raise RuntimeError("snapshot damaged")

    state.snapshot = Broken()  # type: ignore[assignment]
    flow = query("pornhub.com")
    asyncio.run(group.dns_request(flow))
    assert flow.response.response_code == dns.response_codes.SERVFAIL


def test_the_devices_profile_decides(dnsfilter, data_dir) -> None:
    store = PolicyStore(data_dir.policy_db)
    store.add_profile("Dad", "adult")
    store.add_device("Laptop", profile="Dad", ip="192.168.1.40")
    store.add_rule("Dad", Action.BLOCK, "example.org")
    store.close()
    dnsfilter.refresh()
    assert answer(dnsfilter, query("pornhub.com", ip="192.168.1.40")).response is None
    laptop = answer(dnsfilter, query("www.example.org", ip="192.168.1.40")).response
    assert laptop.response_code == dns.response_codes.NXDOMAIN
    assert answer(dnsfilter, query("www.example.org")).response is None


class FakeManager:
    def __init__(self, chain: list[object]) -> None:
        self.chain = chain

    def get(self, name: str) -> object | None:
        return next((a for a in self.chain if type(a).__name__.lower() == name), None)


def test_the_builtin_resolver_runs_after_the_filter() -> None:
    class DnsResolver:
        pass

    resolver, ours, other = DnsResolver(), object(), object()
    manager = FakeManager([resolver, other, ours])
    resolve_after_filter(manager)
    assert manager.chain == [other, ours, resolver]


# -- WireGuard identity -----------------------------------------------------------------------


def wireguard_client(spec: str) -> connection.Client:
    client = tflow.tclient_conn()
    client.proxy_mode = mode_specs.ProxyMode.parse(spec)
    client.peername = ("10.0.0.1", 40000)
    return client


def test_a_wireguard_instance_is_its_device(chain, data_dir) -> None:
    store = PolicyStore(data_dir.policy_db)
    store.add_device("Mia's phone", profile="Household", ip="192.168.1.23")
    store.close()
    chain.refresh()
    identity = chain.addon(WireGuardIdentity)
    mia = wireguard_client("wireguard:/data/wireguard/mia-s-phone.json@51820")
    identity.client_connected(mia)
    assert mia.peername == ("192.168.1.23", 40000) and mia.error is None
    guest = wireguard_client("wireguard:/data/wireguard/guest.json@51822")
    identity.client_connected(guest)
    assert guest.peername[0] == identity_address(51822)
    chain.addon(Identity).client_connected(guest)  # the LAN check lets instances in
    assert guest.error is None


def test_a_lan_device_cannot_pass_itself_off_as_a_wireguard_instance(chain) -> None:
    client = tflow.tclient_conn()
    client.proxy_mode = mode_specs.ProxyMode.parse("regular")
    client.peername = (identity_address(51820), 50000)
    chain.addon(WireGuardIdentity).client_connected(client)
    assert client.error


def test_wireguard_modes_get_key_files_in_the_data_directory(tmp_path: Path) -> None:
    modes = prepare_modes(
        ("regular", "wireguard:Mia.json@51820", "wireguard:dad@127.0.0.1:51821", "dns@53"),
        tmp_path,
    )
    assert modes[0] == "regular" and modes[3] == "dns@53"
    assert modes[1] == f"wireguard:{tmp_path / 'wireguard' / 'mia.json'}@51820"
    assert modes[2] == f"wireguard:{tmp_path / 'wireguard' / 'dad.json'}@127.0.0.1:51821"
    assert (tmp_path / "wireguard" / "mia.json").exists()


@pytest.mark.parametrize(
    "modes",
    [
        ("wireguard@51820",),  # no device named
        ("wireguard:a.json@51820", "wireguard:b.json@51820"),  # one port, two devices
        ("nonsense:mode",),
    ],
)
def test_bad_wireguard_modes_are_input_errors(tmp_path: Path, modes) -> None:
    with pytest.raises(InputError):
        prepare_modes(modes, tmp_path)


def upstream_alias(name: str, target: str) -> dns.DNSFlow:
    flow = query(name, dns.types.HTTPS)
    flow.response = flow.request.succeed(
        [
            dns.ResourceRecord.CNAME(name, target),
            dns.ResourceRecord.A(target, ipaddress.IPv4Address("203.0.113.66")),
        ]
    )
    return flow


def test_a_name_of_ones_own_pointed_at_a_blocked_site_does_not_resolve(dnsfilter) -> None:
    flow = upstream_alias("my-own.example", "www.pornhub.com")
    dnsfilter.addon(DnsFilter).dns_response(flow)
    assert flow.response.response_code == dns.response_codes.NXDOMAIN
    events, _, _ = dnsfilter.state.log.take()
    assert ("my-own.example", "block", "dns alias of www.pornhub.com") in {
        (e.host, e.action, e.source) for e in events
    }
    fine = upstream_alias("cdn.example", "www.bbc.co.uk")
    dnsfilter.addon(DnsFilter).dns_response(fine)
    assert fine.response.response_code == dns.response_codes.NOERROR and fine.response.answers


def test_hearthguards_own_aliases_are_not_checked_again(dnsfilter) -> None:
    flow = answer(dnsfilter, query("www.google.com"))
    dnsfilter.addon(DnsFilter).dns_response(flow)
    assert flow.response.answers[0].domain_name == "forcesafesearch.google.com"


def test_a_box_asking_itself_for_names_is_told(dnsfilter, caplog) -> None:
    from mitmproxy.addons.dns_resolver import DnsResolver

    dnsfilter.tctx.master.addons.add(DnsResolver())  # owns the dns_name_servers option
    addon = dnsfilter.addon(DnsFilter)
    dnsfilter.tctx.options.update(mode=["regular", "dns@53"], dns_name_servers=["127.0.0.1"])
    with caplog.at_level("ERROR"):
        addon.running()
    assert "would ask this machine itself (127.0.0.1)" in caplog.text
    caplog.clear()
    dnsfilter.tctx.options.update(dns_name_servers=["192.0.2.1"])
    addon.running()
    assert "itself" not in caplog.text
