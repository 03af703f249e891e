"""The command line undoes what it does: profile remove, device remove|move, rule remove, lists
remove|disable|enable, lists update --force; a device's address must be on the home network.
Bad input exits 2 and writes nothing."""

from __future__ import annotations

import json

from tests.hearthguard.test_cli import cli, version


def test_profile_and_device_undo(data_dir) -> None:
    assert cli(data_dir, "profile", "add", "Tom/Jerry", "--preset", "child").exit_code == 0
    added = cli(data_dir, "device", "add", "Tab", "--ip", "192.168.1.30", "--profile", "Tom/Jerry")
    assert added.exit_code == 0, added.output
    # a profile in use cannot go; nothing changes
    before = version(data_dir)
    busy = cli(data_dir, "profile", "remove", "Tom/Jerry")
    assert busy.exit_code == 2 and "Move these devices" in busy.output
    assert version(data_dir) == before
    moved = cli(data_dir, "device", "move", "tab", "--profile", "Household")
    assert moved.exit_code == 0 and "now on profile “Household”" in moved.output
    assert cli(data_dir, "profile", "remove", "Tom/Jerry").exit_code == 0
    listed = cli(data_dir, "profile", "list", "--json").output
    assert [json.loads(line)["name"] for line in listed.splitlines()] == ["Household"]
    assert cli(data_dir, "device", "remove", "Tab").exit_code == 0
    assert cli(data_dir, "device", "list").output == ""
    before = version(data_dir)
    for args, message in (
        (("profile", "remove", "Household"), "default profile"),
        (("profile", "remove", "Nobody"), "no profile called"),
        (("device", "remove", "Nothing"), "no device called"),
        (("device", "move", "Nothing", "--profile", "Household"), "no device called"),
    ):
        result = cli(data_dir, *args)
        assert result.exit_code == 2 and message in result.output, args
    assert version(data_dir) == before


def test_a_device_address_must_be_on_the_home_network(data_dir) -> None:
    before = version(data_dir)
    for ip in ("8.8.8.8", "100.64.0.7", "2001:db8::1"):
        result = cli(data_dir, "device", "add", "Tab", "--ip", ip, "--profile", "Household")
        assert result.exit_code == 2 and "not an address on the home network" in result.output
    assert version(data_dir) == before
    assert cli(data_dir, "setting", "set", "lan_ranges", "100.64.0.0/24").exit_code == 0
    ok = cli(data_dir, "device", "add", "Tab", "--ip", "100.64.0.7", "--profile", "Household")
    assert ok.exit_code == 0, ok.output


def test_rule_remove(data_dir) -> None:
    assert cli(data_dir, "rule", "deny", "roblox.com", "--profile", "Household").exit_code == 0
    blocked = json.loads(cli(data_dir, "check", "https://www.roblox.com/").output)
    assert blocked["reason"] == "parent_denied"
    removed = cli(data_dir, "rule", "remove", "roblox.com", "--profile", "Household")
    assert removed.exit_code == 0
    assert json.loads(cli(data_dir, "check", "https://www.roblox.com/").output)["action"] == "allow"
    before = version(data_dir)
    again = cli(data_dir, "rule", "remove", "roblox.com", "--profile", "Household")
    assert again.exit_code == 2 and "no rule for roblox.com" in again.output
    assert version(data_dir) == before


def test_lists_disable_enable_remove_and_update_force(data_dir, tmp_path) -> None:
    extra = tmp_path / "extra.hosts"
    extra.write_text("0.0.0.0 casino.example\n")
    imported = cli(
        data_dir, "lists", "import", str(extra), "--category", "gambling", "--name", "family/extra"
    )
    assert imported.exit_code == 0, imported.output

    def source() -> str | None:
        return json.loads(cli(data_dir, "check", "casino.example").output)["source"]

    assert source() == "family/extra"
    assert cli(data_dir, "lists", "disable", "family/extra").exit_code == 0
    assert source() != "family/extra"
    assert cli(data_dir, "lists", "enable", "family/extra").exit_code == 0
    assert source() == "family/extra"
    assert cli(data_dir, "lists", "remove", "family/extra").exit_code == 0
    assert source() != "family/extra"
    status = cli(data_dir, "lists", "status", "--json").output
    assert "family/extra" not in status
    before = version(data_dir)
    for verb in ("remove", "disable", "enable"):
        result = cli(data_dir, "lists", verb, "family/nothing")
        assert result.exit_code == 2 and "no list called" in result.output, verb
    assert version(data_dir) == before
    forced = cli(data_dir, "lists", "update", "--force")
    assert forced.exit_code == 0 and "No list has a URL" in forced.output
