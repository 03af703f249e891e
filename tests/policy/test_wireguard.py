"""WireGuard instances as devices: key files, identities, client configurations."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from policy.validate import InputError
from policy.values import Device
from policy.wireguard import (
    client_config,
    device_slug,
    identity_address,
    in_identity_network,
    instance_address,
    key_file,
    public_key,
    read_keys,
    write_keys,
)

DEVICES = [
    Device("Mia's phone", "Mia", "192.168.1.23"),
    Device("Dad", "Dad", "192.168.1.40"),
    Device("Odd", "Mia", "127.0.0.1"),
]


def test_an_instance_is_the_device_its_key_file_names() -> None:
    assert instance_address("/data/wireguard/mia-s-phone.json", 51820, DEVICES) == "192.168.1.23"
    assert instance_address("dad.json", 51821, DEVICES) == "192.168.1.40"


def test_an_instance_for_no_known_device_has_an_address_of_its_own() -> None:
    unknown = instance_address("guest.json", 51822, DEVICES)
    assert unknown == identity_address(51822) != identity_address(51823)
    assert in_identity_network(unknown)
    assert not in_identity_network("192.168.1.23") and not in_identity_network("not an ip")


def test_an_instance_is_never_treated_as_this_machine() -> None:
    assert instance_address("odd.json", 51824, DEVICES) == identity_address(51824)
    own = frozenset({"192.168.1.40"})  # a device registered with the box's own address
    assert instance_address("dad.json", 51821, DEVICES, own) == identity_address(51821)


def test_key_files_live_in_the_data_directory_under_the_device_slug(tmp_path: Path) -> None:
    assert device_slug("Mia's phone") == "mia-s-phone"
    assert key_file(tmp_path, "Mia's phone.json") == tmp_path / "mia-s-phone.json"
    assert key_file(tmp_path, "../../etc/passwd") == Path("../../etc/passwd")  # explicit path
    with pytest.raises(InputError):
        key_file(tmp_path, "..")
    with pytest.raises(InputError):
        device_slug("''")


def test_keys_are_made_once_private_and_readable_by_mitmproxy(tmp_path: Path) -> None:
    path = tmp_path / "wireguard" / "mia.json"
    keys = write_keys(path, 51820)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = json.loads(path.read_text())
    assert raw["server_key"] == keys.server_key and raw["client_key"] == keys.client_key
    assert len(base64.b64decode(keys.server_key)) == 32
    again = write_keys(path, 51821)  # a new port keeps the keys
    assert (again.server_key, again.client_key, again.port) == (
        keys.server_key,
        keys.client_key,
        51821,
    )
    assert read_keys(path).port == 51821


def test_a_damaged_key_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"server_key": "not base64!", "client_key": "x"}')
    with pytest.raises(InputError):
        read_keys(path)
    path.write_text("[]")
    with pytest.raises(InputError):
        read_keys(path)


def test_the_client_configuration_sends_everything_into_the_tunnel(tmp_path: Path) -> None:
    keys = write_keys(tmp_path / "mia.json", 51820)
    conf = client_config(keys, "home.example.net")
    assert f"PrivateKey = {keys.client_key}" in conf
    assert f"PublicKey = {public_key(keys.server_key)}" in conf
    assert "AllowedIPs = 0.0.0.0/0, ::/0" in conf  # IPv6 cannot leave beside the filter
    assert "DNS = 10.0.0.53" in conf
    assert "Endpoint = home.example.net:51820" in conf
    assert "Endpoint = [2001:db8::1]:51820" in client_config(keys, "2001:db8::1")
    for bad in ("home.example.net\nPostUp = rm -rf /", "a b", ""):
        with pytest.raises(InputError):
            client_config(keys, bad)


def test_public_keys_match_wireguards_own_derivation() -> None:
    # RFC 7748 section 6.1: Alice's private key and public key
    private = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    public = bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    assert public_key(base64.b64encode(private).decode()) == base64.b64encode(public).decode()
