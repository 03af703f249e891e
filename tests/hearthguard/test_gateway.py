"""The box as the network's filter: a child's device with no proxy setting at all, behind a
gateway running ``hearthguard run --mode transparent@… --mode dns@53`` and the rules that
``hearthguard router-rules`` prints, loaded with nft.

Three network namespaces made by the test and removed afterwards:

    kid 198.51.100.2  --veth--  198.51.100.1 gateway 203.0.113.1  --veth--  203.0.113.2 net

"net" plays the Internet (``tests.support.netorigin``: web, HTTPS, UDP, DNS over TLS and a DNS
server, each recording what reaches it). The kid's only configuration is its default route;
nothing leaves the machine. Skipped, with the reason, where namespaces, nft or dig are missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from policy.datadir import DataDir
from policy.store import PolicyStore
from policy.values import Action
from tests.support import netns
from tests.support.processes import REPO
from tests.support.tls import origin_certificate

pytestmark = pytest.mark.process

KID, GATEWAY_LAN, GATEWAY_WAN, NET = "198.51.100.2", "198.51.100.1", "203.0.113.1", "203.0.113.2"
DECOY = "203.0.113.3"  # "a blocked site's address": anything that reaches it is recorded
_DECOY = r"""
import socket, sys, threading
log = sys.argv[1]
def serve(port):
    listener = socket.create_server((sys.argv[2], port))
    while True:
        conn, _ = listener.accept()
        with open(log, "a") as f:
            f.write(f"{port}\n")
        conn.close()
for port in (80, 443):
    threading.Thread(target=serve, args=(port,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""
TRANSPARENT_PORT = 8082
UPSTREAM = {
    "allowed.test": NET,
    "blocked.test": NET,
    "pornhub.com": NET,
    "forcesafesearch.google.com": "203.0.113.120",
}


@dataclass
class Gateway:
    kid: str
    gateway: str
    lan: str
    log: Path
    data: DataDir

    def decoy_reached(self) -> list[str]:
        path = self.log.with_name("decoy.log")
        return path.read_text().split() if path.exists() else []

    def in_kid(self, *args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        return netns.run("ip", "netns", "exec", self.kid, *args, timeout=timeout, check=False)

    def events(self, kind: str) -> list[dict[str, object]]:
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        return [e for e in map(json.loads, lines) if e["kind"] == kind]

    def dig(self, server: str, name: str, *extra: str) -> str:
        return self.in_kid("dig", "+time=3", "+tries=1", f"@{server}", name, *extra).stdout

    def curl(self, url: str, name: str, port: int, address: str = NET) -> tuple[int, str]:
        out = self.in_kid(
            "curl",
            "-sk",
            "--max-time",
            "10",
            "--resolve",
            f"{name}:{port}:{address}",
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
            url,
            timeout=30,
        ).stdout
        body, _, code = out.rpartition("\n")
        return int(code or 0), body


def _network(kid: str, gateway: str, net: str, lan: str, wan: str) -> None:
    netns.link((gateway, lan, GATEWAY_LAN), (kid, "eth0", KID))
    netns.link((gateway, wan, GATEWAY_WAN), (net, "eth0", NET))
    netns.run("ip", "-n", kid, "route", "add", "default", "via", GATEWAY_LAN)
    netns.run("ip", "-n", net, "route", "add", "198.51.100.0/24", "via", GATEWAY_WAN)
    netns.run("ip", "netns", "exec", gateway, "sysctl", "-qw", "net.ipv4.ip_forward=1")


@pytest.fixture(scope="module")
def gateway(data_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    why = netns.missing("nft", "dig", "curl", nft=True)
    if why:
        pytest.skip(why)
    work = tmp_path_factory.mktemp("gateway")
    data = DataDir(work / "data")
    shutil.copytree(data_template, data.root)
    store = PolicyStore(data.policy_db)
    store.set_setting("lan_ranges", "198.51.100.0/24")
    store.add_rule("Household", Action.BLOCK, "blocked.test")
    store.close()
    cert = origin_certificate(work, "allowed.test", "blocked.test")
    log = work / "net.log"
    tag = str(os.getpid() % 100000)
    kid, gw, net, lan, wan = f"hgk{tag}", f"hgg{tag}", f"hgn{tag}", f"hgl{tag}", f"hgw{tag}"
    processes: list[subprocess.Popen[bytes]] = []
    with netns.namespaces(kid, gw, net):
        try:
            _network(kid, gw, net, lan, wan)
            netns.run("ip", "-n", net, "addr", "add", f"{DECOY}/24", "dev", "eth0")
            # the box resolves names with the household's resolver, as a real gateway does
            resolver = Path("/etc/netns") / gw
            resolver.mkdir(parents=True, exist_ok=True)
            (resolver / "resolv.conf").write_text(f"nameserver {NET}\n")
            decoy = netns.exec_in(
                net, sys.executable, "-c", _DECOY, str(work / "decoy.log"), DECOY,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            processes.append(decoy)
            assert decoy.stdout is not None and decoy.stdout.readline().strip() == b"ready"
            origin = netns.exec_in(
                net, sys.executable, "-m", "tests.support.netorigin", NET, str(cert), str(log),
                json.dumps(UPSTREAM), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO,
            )  # fmt: skip
            processes.append(origin)
            assert origin.stdout is not None and origin.stdout.readline().strip() == b"ready"
            rules = netns.run(
                sys.executable, "-m", "hearthguard", "router-rules", "--lan", lan,
                "--transparent-port", str(TRANSPARENT_PORT), "--dns-port", "53",
            )  # fmt: skip
            loaded = subprocess.run(
                ["ip", "netns", "exec", gw, "nft", "-f", "-"],
                input=rules.stdout,
                capture_output=True,
                text=True,
                timeout=20,
            )
            assert loaded.returncode == 0, loaded.stderr
            processes.append(
                netns.hearthguard_in(
                    gw,
                    data.root,
                    GATEWAY_LAN,
                    work / "run.log",
                    "--proxy-port",
                    "8080",
                    "--dashboard-port",
                    "0",
                    "--mode",
                    "regular",
                    "--mode",
                    f"transparent@{TRANSPARENT_PORT}",
                    "--mode",
                    "dns@53",
                    "--set",
                    "hearthguard_models=false",
                    "--set",
                    f"dns_name_servers={NET}",
                    "--set",
                    "dns_use_hosts_file=false",
                )  # fmt: skip
            )
            result = Gateway(kid, gw, lan, log, data)
            deadline = time.monotonic() + 60
            while "status: NOERROR" not in result.dig(NET, "allowed.test"):
                assert time.monotonic() < deadline, (work / "run.log").read_text()[-2000:]
                assert processes[-1].poll() is None, (work / "run.log").read_text()[-2000:]
                time.sleep(0.5)
            yield result
        finally:
            for process in reversed(processes):
                netns.stop(process)


def test_web_traffic_is_filtered_without_any_proxy_setting(gateway: Gateway) -> None:
    status, body = gateway.curl("http://allowed.test/", "allowed.test", 80)
    assert (status, "hello from origin" in body) == (200, True)
    status, body = gateway.curl("http://blocked.test/", "blocked.test", 80)
    assert status != 200 and "hello from origin" not in body
    status, body = gateway.curl("http://pornhub.com/", "pornhub.com", 80)
    assert status != 200 and "hello from origin" not in body
    hosts = {e["host"] for e in gateway.events("http")}
    assert "allowed.test" in hosts
    assert "blocked.test" not in hosts and "pornhub.com" not in hosts


def test_https_is_decided_by_its_name_and_blocked_sites_never_reached(gateway: Gateway) -> None:
    status, body = gateway.curl("https://allowed.test/", "allowed.test", 443)
    assert (status, "hello from origin" in body) == (200, True)  # passed through untouched
    before = len(gateway.events("tls"))
    status, _ = gateway.curl("https://blocked.test/", "blocked.test", 443)
    assert status == 0  # refused: this device has no Hearthguard certificate
    time.sleep(0.5)
    assert len(gateway.events("tls")) == before  # the origin never saw a connection


@pytest.mark.parametrize("scheme, port", [("http", 80), ("https", 443)])
def test_an_allowed_name_sent_to_another_address_reaches_only_the_named_site(
    gateway: Gateway, scheme: str, port: int
) -> None:
    """A device that sends "allowed.test" (Host header or SNI) to a blocked site's address
    gets allowed.test, fetched by the box; the address it chose is never contacted."""
    status, body = gateway.curl(f"{scheme}://allowed.test/", "allowed.test", port, DECOY)
    assert (status, "hello from origin" in body) == (200, True)
    time.sleep(0.3)
    assert gateway.decoy_reached() == []


def test_dns_answers_come_from_hearthguard_whatever_server_is_named(gateway: Gateway) -> None:
    # "net" runs a real DNS server that would answer these; Hearthguard answers first
    for server in (NET, "192.0.2.53"):
        assert "status: NXDOMAIN" in gateway.dig(server, "pornhub.com")
        assert "status: NXDOMAIN" in gateway.dig(server, "blocked.test", "+tcp")
        assert "forcesafesearch.google.com." in gateway.dig(server, "www.google.com")
        assert "status: NXDOMAIN" in gateway.dig(server, "use-application-dns.net")
    asked = {e["name"] for e in gateway.events("dns")}
    assert asked.isdisjoint({"pornhub.com", "blocked.test", "www.google.com"})
    allowed = gateway.dig(NET, "allowed.test")
    assert "status: NOERROR" in allowed and NET in allowed


def test_quic_and_dns_over_tls_are_dropped_at_the_gateway(gateway: Gateway) -> None:
    sender = (
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        f"for port in (443, 4433):\n    s.sendto(b'q' * 1200, ('{NET}', port))\n"
        "t = socket.socket()\nt.settimeout(2)\n"
        f"try:\n    t.connect(('{NET}', 853)); print('dot open')\n"
        "except OSError:\n    print('dot closed')\n"
    )
    out = gateway.in_kid(sys.executable, "-c", sender).stdout
    deadline = time.monotonic() + 5
    while not gateway.events("udp") and time.monotonic() < deadline:
        time.sleep(0.2)
    ports = {e["port"] for e in gateway.events("udp")}
    assert 4433 in ports  # the control: other UDP is forwarded
    assert 443 not in ports  # QUIC never arrives
    assert out.strip() == "dot closed" and not gateway.events("dot")


def test_the_box_itself_stays_reachable_and_filters_as_an_explicit_proxy(
    gateway: Gateway,
) -> None:
    # traffic for the box's own address is not redirected: its proxy port answers, and
    # filters like the transparent mode does
    out = gateway.in_kid(
        "curl",
        "-s",
        "--max-time",
        "10",
        "-x",
        f"http://{GATEWAY_LAN}:8080",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "http://blocked.test/",
    ).stdout
    assert out == "403"
