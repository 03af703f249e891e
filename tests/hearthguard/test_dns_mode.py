"""DNS mode against a real ``hearthguard run --mode regular --mode dns@…``, asked with ``dig``.

Devices are told apart by their loopback source address (``dig -b``). The household's
resolver is a stand-in on a loopback address (``tests.support.dnsstub``) that records every
name it is asked: nothing leaves the machine, and a blocked name is shown never to have been
asked upstream at all.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mitmproxy import dns

from policy.activity import ActivityStore
from policy.datadir import DataDir
from policy.store import PolicyStore
from tests.support.dnsstub import UpstreamDns, can_bind_port_53, upstream_dns
from tests.support.processes import free_port, running_hearthguard

pytestmark = pytest.mark.process

TABLET = "127.0.0.2"  # Mia's tablet, on the household's child profile
LAPTOP = "127.0.0.3"  # Dad's laptop, on an adult profile
BLOCKED = "pornhub.com"  # in the bundled adult lists
UPSTREAM = {
    "forcesafesearch.google.com": "216.239.38.120",
    "restrict.youtube.com": "216.239.38.119",
    "www.bbc.co.uk": "203.0.113.80",
    BLOCKED: "203.0.113.66",
}


@dataclass
class Answer:
    status: str
    records: list[tuple[str, str, str]]  # (name, type, data)

    def of(self, kind: str) -> list[str]:
        return [data for _, t, data in self.records if t == kind]


def dig(port: int, name: str, qtype: str = "A", *, source: str = TABLET, tcp: bool = False):
    args = ["dig", "+time=3", "+tries=1", "-b", source, "-p", str(port), "@127.0.0.1"]
    args += ["+tcp"] if tcp else []
    out = subprocess.run([*args, name, qtype], capture_output=True, text=True, timeout=20).stdout
    status = next(
        (
            line.split("status: ")[1].split(",")[0]
            for line in out.splitlines()
            if "status: " in line
        ),
        "no answer",
    )
    records, section = [], False
    for line in out.splitlines():
        if line.startswith(";; ANSWER SECTION"):
            section = True
        elif section and line.strip() and not line.startswith(";"):
            fields = line.split()
            records.append((fields[0].rstrip("."), fields[3], fields[4].rstrip(".")))
        elif section and not line.strip():
            section = False
    return Answer(status, records)


@dataclass
class DnsMode:
    port: int
    upstream: UpstreamDns
    data: DataDir


@pytest.fixture(scope="module")
def running(data_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsMode]:
    """One Hearthguard with DNS mode for the whole module (each start takes seconds)."""
    if shutil.which("dig") is None:
        pytest.skip("dig is not installed (Debian: dnsutils; ./install.sh --test installs it)")
    why = can_bind_port_53()
    if why:
        pytest.skip(why)
    data_dir = DataDir(tmp_path_factory.mktemp("dnsmode") / "data")
    shutil.copytree(data_template, data_dir.root)
    store = PolicyStore(data_dir.policy_db)
    store.add_profile("Dad", "adult")
    store.update_profile("Dad", logging=True)
    store.add_device("Tablet", profile="Household", ip=TABLET)
    store.add_device("Laptop", profile="Dad", ip=LAPTOP)
    store.close()
    dns_port = free_port()
    with (
        upstream_dns(UPSTREAM) as upstream,
        running_hearthguard(
            data_dir.root,
            "--mode",
            "regular",
            "--mode",
            f"dns@127.0.0.1:{dns_port}",
            "--set",
            f"dns_name_servers={upstream.address}",
            "--set",
            "dns_use_hosts_file=false",
            "--set",
            "hearthguard_flush=0.5",  # a number with a fraction, as a parent may write it
        ),
    ):
        deadline = time.monotonic() + 30
        while dig(dns_port, "www.bbc.co.uk").status != "NOERROR":
            assert time.monotonic() < deadline, "DNS mode never answered"
            time.sleep(0.3)
        yield DnsMode(dns_port, upstream, data_dir)


@pytest.fixture
def hg(running: DnsMode) -> DnsMode:
    running.upstream.asked.clear()  # each test sees only the names it made Hearthguard ask
    return running


def test_a_blocked_category_does_not_exist_and_is_never_asked_upstream(hg: DnsMode) -> None:
    for qtype in ("A", "AAAA", "HTTPS", "TXT"):
        assert dig(hg.port, BLOCKED, qtype).status == "NXDOMAIN", qtype
    assert dig(hg.port, "www." + BLOCKED, tcp=True).status == "NXDOMAIN"
    assert dig(hg.port, "PornHub.COM.").status == "NXDOMAIN"
    assert BLOCKED not in hg.upstream.asked and "www." + BLOCKED not in hg.upstream.asked


def test_allowed_names_are_resolved_by_the_households_resolver(hg: DnsMode) -> None:
    answer = dig(hg.port, "www.bbc.co.uk")
    assert (answer.status, answer.of("A")) == ("NOERROR", ["203.0.113.80"])


@pytest.mark.parametrize("name", ["www.google.com", "www.google.co.uk", "google.de"])
def test_google_search_is_the_safesearch_address(hg: DnsMode, name: str) -> None:
    answer = dig(hg.port, name)
    assert answer.status == "NOERROR"
    assert answer.of("CNAME") == ["forcesafesearch.google.com"]
    assert answer.of("A") == ["216.239.38.120"]  # a stub resolver needs nothing more
    assert name not in hg.upstream.asked


def test_youtube_is_restricted(hg: DnsMode) -> None:
    assert dig(hg.port, "www.youtube.com").of("CNAME") == ["restrict.youtube.com"]


@pytest.mark.parametrize(
    "name", ["use-application-dns.net", "mask.icloud.com", "mask-h2.icloud.com"]
)
def test_the_doh_canary_and_private_relay_do_not_exist(hg: DnsMode, name: str) -> None:
    for source in (TABLET, LAPTOP):
        assert dig(hg.port, name, source=source).status == "NXDOMAIN"
    assert name not in hg.upstream.asked


def test_each_device_gets_its_own_profile(hg: DnsMode) -> None:
    assert dig(hg.port, BLOCKED, source=TABLET).status == "NXDOMAIN"
    laptop = dig(hg.port, BLOCKED, source=LAPTOP)
    assert (laptop.status, laptop.of("A")) == ("NOERROR", ["203.0.113.66"])
    # the adult profile has no SafeSearch: Google is asked upstream as it is
    assert dig(hg.port, "www.google.com", source=LAPTOP).of("CNAME") == []
    assert "www.google.com" in hg.upstream.asked


def test_every_query_is_logged_like_a_request(hg: DnsMode) -> None:
    # names no other test asks, so these rows can only come from these queries; each is
    # asked until answered, as a device's resolver retries a question lost on the way
    for name, status in (("m." + BLOCKED, "NXDOMAIN"), ("www.google.fr", "NOERROR")):
        answers = []
        while status not in answers and len(answers) < 3:
            answers.append(dig(hg.port, name).status)
        assert answers[-1] == status, (name, answers)
    wanted = {
        ("Tablet", "m." + BLOCKED, "block", "adult", "sinfonietta/pornography-hosts"),
        ("Tablet", "www.google.fr", "allow", None, "dns: forcesafesearch.google.com"),
    }
    store = ActivityStore(hg.data.activity_db)
    try:
        deadline = time.monotonic() + 30
        while True:
            rows = {
                (e.device, e.host, e.action, e.category, e.source)
                for e in store.recent_decisions(200)
            }
            if wanted <= rows:
                break
            log = (hg.data.root / "run.log").read_text(errors="replace")[-3000:]
            seen = {row for row in rows if row[1] in {w[1] for w in wanted}}
            assert time.monotonic() < deadline, (wanted - rows, seen, log)
            time.sleep(0.3)
    finally:
        store.close()


def test_a_query_that_is_not_one_plain_question_is_refused(hg: DnsMode) -> None:
    query = dns.Message(
        timestamp=0,
        id=7,
        query=True,
        op_code=dns.op_codes.QUERY,
        authoritative_answer=False,
        truncation=False,
        recursion_desired=True,
        recursion_available=False,
        reserved=0,
        response_code=dns.response_codes.NOERROR,
        questions=[
            dns.Question("www.bbc.co.uk", dns.types.A, dns.classes.IN),
            dns.Question(BLOCKED, dns.types.A, dns.classes.IN),
        ],
        answers=[],
        authorities=[],
        additionals=[],
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((TABLET, 0))
        sock.settimeout(5)
        sock.sendto(query.packed, ("127.0.0.1", hg.port))
        reply = dns.Message.unpack(sock.recv(4096))
    assert reply.response_code == dns.response_codes.REFUSED and not reply.answers
    assert BLOCKED not in hg.upstream.asked


def test_https_records_lose_their_ech_and_http3_so_the_site_name_stays_visible(
    hg: DnsMode,
) -> None:
    # with Encrypted ClientHello a browser would hide the site's name from the gateway
    out = subprocess.run(
        [
            "dig",
            "+time=3",
            "+tries=1",
            "-b",
            TABLET,
            "-p",
            str(hg.port),
            "@127.0.0.1",
            "www.bbc.co.uk",
            "HTTPS",
        ],
        capture_output=True,
        text=True,
        timeout=20,
    ).stdout
    record = next(
        line for line in out.splitlines() if line.split()[3:4] == ["HTTPS"]
    )  # name, ttl, class, type, data
    assert 'alpn="h2"' in record
    assert "ech=" not in record and "h3" not in record
    assert "www.bbc.co.uk" in hg.upstream.asked  # the real record, cleaned on its way back


def test_a_device_asking_again_from_the_same_port_after_a_pause_is_answered(
    hg: DnsMode,
) -> None:
    """A resolver that keeps its source port (many routers and embedded devices do) and pauses
    for longer than an idle UDP connection lives must still be answered, not silently dropped
    for as long as it keeps asking."""
    port = free_port()  # a free local port to ask from, twice
    source = f"{TABLET}#{port}"
    assert dig(hg.port, "www.bbc.co.uk", source=source).status == "NOERROR"
    time.sleep(22)  # past mitmproxy's 20 s idle timeout for a UDP client connection
    answers = [dig(hg.port, "www.bbc.co.uk", source=source).status for _ in range(2)]
    assert answers == ["NOERROR", "NOERROR"]
