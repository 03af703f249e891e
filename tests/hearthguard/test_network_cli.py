"""``hearthguard router-rules`` and the WireGuard modes of ``hearthguard run``: output, and bad
input that exits 2 and writes nothing."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from hearthguard.cli import main
from policy.router import RouterPorts, router_rules


def test_router_rules_prints_the_rules_for_the_lan() -> None:
    result = CliRunner().invoke(
        main,
        ["router-rules", "--lan", "br-lan", "--transparent-port", "8443", "--dns-port", "5353"],
    )
    assert result.exit_code == 0
    assert result.output == router_rules("br-lan", "nft", RouterPorts(8443, 5353))


def test_router_rules_in_iptables_form() -> None:
    result = CliRunner().invoke(main, ["router-rules", "--lan", "eth1", "--format", "iptables"])
    assert result.exit_code == 0 and result.output.startswith("#!/bin/sh")
    assert "-i eth1" in result.output


def test_router_rules_refuses_bad_input_with_exit_code_2() -> None:
    for args in (
        ["--lan", "eth0; flush ruleset"],
        ["--format", "pf"],
        ["--transparent-port", "0"],
        ["--dns-port", "70000"],
    ):
        result = CliRunner().invoke(main, ["router-rules", *args])
        assert result.exit_code == 2, args
        assert "flush" not in result.stdout


def test_run_refuses_bad_wireguard_modes_before_writing_anything(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for modes in (
        ["--mode", "wireguard@51820"],
        ["--mode", "wireguard:a.json@51820", "--mode", "wireguard:b.json@51820"],
        ["--mode", "wireguard:...json@51820"],
        ["--mode", "nonsense:spec"],
    ):
        result = CliRunner().invoke(main, ["run", "--data-dir", str(data), *modes])
        assert result.exit_code == 2, (modes, result.output)
        assert not data.exists()
