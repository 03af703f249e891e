"""WireGuard away from home, with a real WireGuard client (wireguard-go) in its own namespace.

``hearthguard run`` serves two instances, ``wireguard:mia.json@…`` and ``wireguard:dad.json@…``;
the client in namespace "away" (198.51.100.2) connects to the box (198.51.100.1) with the
configuration Hearthguard generates for each device (the one the dashboard shows). Through
Mia's instance she is Mia — her profile, her log — and through Dad's he is Dad, although
every peer looks like 10.0.0.1 inside the tunnel. A key Hearthguard did not issue gets nothing.
Skipped, with the reason, where namespaces, /dev/net/tun or the WireGuard tools are missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from policy.activity import ActivityStore
from policy.datadir import DataDir
from policy.store import PolicyStore
from policy.wireguard import client_config, read_keys, wireguard_dir
from tests.support import netns

pytestmark = pytest.mark.process

BOX, AWAY = "198.51.100.1", "198.51.100.2"
MIA_PORT, DAD_PORT = 51820, 51821


@dataclass
class Away:
    ns: str
    data: DataDir
    conf_dir: Path

    def use(self, device_file: str, port: int) -> None:
        """Configure the client with the device's configuration (as the dashboard shows it)."""
        keys = read_keys(wireguard_dir(self.data.root) / device_file)
        conf = client_config(keys, BOX, port)
        # wg setconf takes the [Interface] private key and the peer; Address and DNS are
        # applied by the test as wg-quick would
        plain = "\n".join(
            line for line in conf.splitlines() if not line.startswith(("Address", "DNS"))
        )
        path = self.conf_dir / f"{device_file}.conf"
        path.write_text(plain + "\n")
        netns.run("ip", "netns", "exec", self.ns, "wg", "setconf", "wg0", str(path))

    def dig(self, name: str, server: str = "10.0.0.53") -> str:
        return netns.run(
            "ip",
            "netns",
            "exec",
            self.ns,
            "dig",
            "+time=3",
            "+tries=1",
            f"@{server}",
            name,
            check=False,
            timeout=30,
        ).stdout


@pytest.fixture(scope="module")
def away(data_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Away]:
    why = netns.missing("wg", "wireguard-go", "dig", tun=True)
    if why:
        pytest.skip(why)
    work = tmp_path_factory.mktemp("wireguard")
    data = DataDir(work / "data")
    shutil.copytree(data_template, data.root)
    store = PolicyStore(data.policy_db)
    store.add_profile("Dad", "adult")
    store.update_profile("Dad", logging=True)
    store.add_device("Mia", profile="Household", ip="192.168.1.23")
    store.add_device("Dad", profile="Dad", ip="192.168.1.40")
    store.close()
    tag = str(os.getpid() % 100000)
    box, ns = f"hgwb{tag}", f"hgwa{tag}"
    processes: list[subprocess.Popen[bytes]] = []
    with netns.namespaces(box, ns):
        try:
            netns.link((box, "eth0", BOX), (ns, "eth0", AWAY))
            processes.append(
                netns.hearthguard_in(
                    box,
                    data.root,
                    BOX,
                    work / "run.log",
                    "--proxy-port",
                    "8080",
                    "--dashboard-port",
                    "0",
                    "--mode",
                    "regular",
                    "--mode",
                    f"wireguard:mia.json@{MIA_PORT}",
                    "--mode",
                    f"wireguard:dad.json@{DAD_PORT}",
                    "--set",
                    "hearthguard_models=false",
                    # no route there: allowed names fail fast
                    "--set",
                    "dns_name_servers=192.0.2.1",
                    "--set",
                    "dns_use_hosts_file=false",
                )  # fmt: skip
            )
            processes.append(
                netns.exec_in(
                    ns,
                    "wireguard-go",
                    "-f",
                    "wg0",
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )  # fmt: skip
            )
            deadline = time.monotonic() + 60
            while (
                not (wireguard_dir(data.root) / "dad.json").exists()
                or netns.run("ip", "-n", ns, "link", "show", "wg0", check=False).returncode
            ):
                assert time.monotonic() < deadline, (work / "run.log").read_text()[-2000:]
                time.sleep(0.3)
            netns.run("ip", "-n", ns, "addr", "add", "10.0.0.1/32", "dev", "wg0")
            netns.run("ip", "-n", ns, "link", "set", "wg0", "up")
            netns.run("ip", "-n", ns, "route", "add", "default", "dev", "wg0")
            result = Away(ns, data, work)
            result.use("mia.json", MIA_PORT)
            while "status: NXDOMAIN" not in result.dig("pornhub.com"):
                assert time.monotonic() < deadline, (work / "run.log").read_text()[-2000:]
                assert processes[0].poll() is None, (work / "run.log").read_text()[-2000:]
                time.sleep(0.5)
            yield result
        finally:
            for process in reversed(processes):
                netns.stop(process)


def test_each_device_gets_its_own_key_file_private_to_hearthguard(away: Away) -> None:
    folder = wireguard_dir(away.data.root)
    mia, dad = read_keys(folder / "mia.json"), read_keys(folder / "dad.json")
    assert (mia.port, dad.port) == (MIA_PORT, DAD_PORT)
    assert len({mia.client_key, mia.server_key, dad.client_key, dad.server_key}) == 4
    assert (folder / "mia.json").stat().st_mode & 0o077 == 0
    assert "PrivateKey" not in (away.conf_dir / "run.log").read_text()  # not in the journal


def test_through_her_instance_mia_is_filtered_as_mia(away: Away) -> None:
    away.use("mia.json", MIA_PORT)
    assert "status: NXDOMAIN" in away.dig("pornhub.com")
    assert "forcesafesearch.google.com." in away.dig("www.google.com")
    # a resolver named by an app is Hearthguard too: DNS inside the tunnel is decided
    assert "status: NXDOMAIN" in away.dig("pornhub.com", server="8.8.8.8")
    store = ActivityStore(away.data.activity_db)
    try:
        deadline = time.monotonic() + 15
        while True:
            rows = {(e.device, e.ip, e.host, e.action) for e in store.recent_decisions(200)}
            if ("Mia", "192.168.1.23", "pornhub.com", "block") in rows:
                break
            assert time.monotonic() < deadline, rows
            time.sleep(0.3)
    finally:
        store.close()


def test_through_his_instance_dad_has_his_own_profile(away: Away) -> None:
    away.use("dad.json", DAD_PORT)
    try:
        answer = away.dig("pornhub.com")
        assert "status: NXDOMAIN" not in answer and "status:" in answer  # asked upstream
        assert "forcesafesearch" not in away.dig("www.google.com")
    finally:
        away.use("mia.json", MIA_PORT)


def test_a_key_hearthguard_did_not_issue_gets_nothing(away: Away) -> None:
    stranger = away.conf_dir / "stranger.key"
    stranger.write_text(netns.run("wg", "genkey").stdout)
    netns.run("ip", "netns", "exec", away.ns, "wg", "set", "wg0", "private-key", str(stranger))
    try:
        assert "status:" not in away.dig("www.google.com")  # no handshake, no answer
    finally:
        away.use("mia.json", MIA_PORT)
