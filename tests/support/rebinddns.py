"""A DNS server that rebinds one name: its A answers alternate between a public address and
the box's own loopback, with a TTL of 0, as the public rebinding services do. Every answer is
logged (one address per line) so a test can show the trick was really tried.

Run inside a test's network namespace: ``python -m tests.support.rebinddns ADDRESS NAME PUBLIC
LOCAL LOG``; it prints "ready" once it listens on ADDRESS:53 and runs until terminated. Other
names get NXDOMAIN, other question types an empty answer.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from pathlib import Path

from mitmproxy import dns


def serve(address: str, name: str, answers: tuple[str, str], log: Path) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, 53))
    print("ready", flush=True)
    count = 0
    while True:
        data, peer = sock.recvfrom(4096)
        try:
            query = dns.Message.unpack(data)
        except Exception:  # noqa: BLE001 - what it cannot read it ignores
            continue
        question = query.question
        if question is None:
            continue
        if question.name.rstrip(".").lower() != name:
            reply = query.fail(dns.response_codes.NXDOMAIN)
        elif question.type == dns.types.A:
            answer = answers[count % 2]
            count += 1
            with log.open("a") as f:
                f.write(answer + "\n")
            address_ = ipaddress.IPv4Address(answer)
            reply = query.succeed([dns.ResourceRecord.A(question.name, address_, ttl=0)])
        else:
            reply = query.succeed([])
        sock.sendto(reply.packed, peer)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2], (sys.argv[3], sys.argv[4]), Path(sys.argv[5]))
