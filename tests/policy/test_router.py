"""The generated gateway rules, read as text (the namespace test loads them for real)."""

from __future__ import annotations

import re

import pytest

from policy.router import RouterPorts, clean_interface, router_rules
from policy.validate import InputError


def rule_lines(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_nft_rules_send_web_and_dns_to_hearthguard_and_drop_quic_and_dot() -> None:
    rules = rule_lines(router_rules("br-lan", "nft", RouterPorts(transparent=8082, dns=5353)))
    assert 'iifname "br-lan" tcp dport { 80, 443 } redirect to :8082' in rules
    assert 'iifname "br-lan" udp dport 53 redirect to :5353' in rules
    assert 'iifname "br-lan" tcp dport 53 redirect to :5353' in rules
    assert 'iifname "br-lan" udp dport { 443, 853 } drop' in rules
    assert 'iifname "br-lan" tcp dport 853 drop' in rules


def test_nft_rules_keep_the_box_itself_out_of_the_loop() -> None:
    text = router_rules("eth0")
    rules = rule_lines(text)
    # only packets arriving on the LAN are redirected: no output hook, the proxy's own
    # connections leave untouched
    assert "hook output" not in text
    assert all(r.startswith('iifname "eth0"') for r in rules if "redirect" in r or "drop" in r)
    # the box's own services come before any redirect, DNS to the box excepted
    local = rules.index('iifname "eth0" fib daddr type local tcp dport != 53 return')
    assert local < min(i for i, r in enumerate(rules) if "redirect" in r)


def test_nft_rules_replace_only_hearthguards_own_table() -> None:
    text = router_rules("eth0")
    tables = set(re.findall(r"table (\w+ \w+)", text))
    assert tables == {"inet hearthguard"}
    assert "flush ruleset" not in text


def test_iptables_rules_cover_ipv4_and_ipv6() -> None:
    text = router_rules("wlan0", "iptables", RouterPorts(8082, 53))
    for tool in ("iptables", "ip6tables"):
        assert (
            f"{tool} -t nat -A HEARTHGUARD -p tcp -m multiport --dports 80,443"
            " -j REDIRECT --to-ports 8082" in text
        )
        assert f"{tool} -t nat -A HEARTHGUARD -p udp --dport 53 -j REDIRECT --to-ports 53" in text
        assert f"{tool} -A HEARTHGUARD_DROP -p udp -m multiport --dports 443,853 -j DROP" in text
        assert f"{tool} -I FORWARD -i wlan0 -j HEARTHGUARD_DROP" in text
    assert "OUTPUT" not in text


@pytest.mark.parametrize(
    "name", ["", "eth0; flush ruleset", 'eth0" accept', "a" * 16, "..", "eth 0", "eth0}\n"]
)
def test_an_interface_name_cannot_inject_rules(name) -> None:
    with pytest.raises(InputError):
        clean_interface(name)
    with pytest.raises(InputError):
        router_rules(name)


def test_bad_ports_and_formats_are_refused() -> None:
    with pytest.raises(InputError):
        RouterPorts(transparent=0)
    with pytest.raises(InputError):
        router_rules("eth0", "pf")
