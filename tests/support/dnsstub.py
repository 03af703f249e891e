"""A tiny upstream DNS server on a loopback address, port 53, for DNS-mode tests.

It stands in for the household's real resolver (so no query ever leaves the machine), answers
A questions from a table (NXDOMAIN otherwise) and records every name it was asked, so a test
can show that a blocked name never reached upstream. Port 53 needs root; mitmproxy's resolver
only takes addresses, not ports.
"""

from __future__ import annotations

import ipaddress
import os
import random
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from mitmproxy import dns
from mitmproxy.net.dns import https_records

#: an ECH configuration as HTTPS records carry it (the bytes only need to be there)
ECH_CONFIG = b"\x00\x08hg-test!"


@dataclass
class UpstreamDns:
    address: str
    asked: list[str] = field(default_factory=list)


def can_bind_port_53() -> str:
    """Why a stub cannot listen on port 53 here ("" when it can)."""
    return "" if os.geteuid() == 0 else "an upstream stand-in on port 53 needs root"


@contextmanager
def upstream_dns(answers: dict[str, str], address: str = "") -> Iterator[UpstreamDns]:
    """Serve ``answers`` (name -> IPv4 address) on ``address``:53 (default: a free
    127.x.y.z) until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(1 if address else 20):
        candidate = address or (
            f"127.{random.randint(60, 250)}.{random.randint(1, 250)}.{random.randint(2, 250)}"
        )
        try:
            sock.bind((candidate, 53))
            address = candidate
            break
        except OSError:
            continue
    else:
        sock.close()
        raise RuntimeError("no free address for an upstream DNS stand-in")
    sock.settimeout(0.2)
    stub = UpstreamDns(address)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except OSError:
                continue
            try:
                query = dns.Message.unpack(data)
            except Exception:  # noqa: BLE001 - a stand-in ignores what it cannot read
                continue
            question = query.question
            if question is None:
                continue
            name = question.name.rstrip(".").lower()
            stub.asked.append(name)
            if name in answers and question.type == dns.types.A:
                record = dns.ResourceRecord.A(
                    question.name, ipaddress.IPv4Address(answers[name]), ttl=60
                )
                reply = query.succeed([record])
            elif name in answers and question.type == dns.types.HTTPS:
                # what a CDN publishes: HTTP/3 and an Encrypted ClientHello configuration
                record = https_records.HTTPSRecord(1, "", {1: b"\x02h2\x02h3", 5: ECH_CONFIG})
                reply = query.succeed([dns.ResourceRecord.HTTPS(question.name, record, ttl=60)])
            elif name in answers:
                reply = query.succeed([])
            else:
                reply = query.fail(dns.response_codes.NXDOMAIN)
            sock.sendto(reply.packed, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()
