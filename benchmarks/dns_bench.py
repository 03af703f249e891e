"""DNS mode: Hearthguard's filtering resolver against bare mitmdump's DNS mode, in one run.

Both run on loopback with the same upstream stand-in (``tests.support.dnsstub``, port 53 on a
127.x address, so this needs root) and are sent the same queries by one client with a fixed
number in flight:

- "allowed": names no list knows (each is decided — lists, then the URL model — and then
  resolved upstream by both);
- "blocked": a listed adult name (Hearthguard answers NXDOMAIN itself; bare mitmdump resolves it).

Printed: answers per second and CPU milliseconds per answer of each server process, and
Hearthguard's ratio to bare mitmdump. Nothing leaves the machine. Every loop is bounded.

    sudo .venv/bin/python benchmarks/dns_bench.py [--queries 3000] [--in-flight 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mitmproxy import dns  # noqa: E402

from tests.support.dnsstub import upstream_dns  # noqa: E402

NAMES = [f"site{i}.bench-example.net" for i in range(500)]
BLOCKED = "pornhub.com"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[int]] = {}

    def datagram_received(self, data: bytes, addr: object) -> None:
        try:
            reply = dns.Message.unpack(data)
        except Exception:  # noqa: BLE001
            return
        future = self.waiting.pop(reply.id, None)
        if future is not None and not future.done():
            future.set_result(reply.response_code)


async def _send(port: int, names: list[str], in_flight: int) -> tuple[float, int]:
    """Send ``names`` from ``in_flight`` sockets (a source port each, as resolvers do: mitmproxy
    handles one client address's datagrams in order), one query at a time per socket."""
    loop = asyncio.get_running_loop()
    endpoints = [
        await loop.create_datagram_endpoint(_Client, remote_addr=("127.0.0.1", port))
        for _ in range(in_flight)
    ]
    answered = 0
    queue = list(enumerate(names))

    async def worker(transport: asyncio.DatagramTransport, client: _Client) -> None:
        nonlocal answered
        while queue:
            i, name = queue.pop()
            qid = i % 65536
            future: asyncio.Future[int] = loop.create_future()
            client.waiting[qid] = future
            query = dns.Message(
                timestamp=0,
                id=qid,
                query=True,
                op_code=dns.op_codes.QUERY,
                authoritative_answer=False,
                truncation=False,
                recursion_desired=True,
                recursion_available=False,
                reserved=0,
                response_code=0,
                questions=[dns.Question(name, dns.types.A, dns.classes.IN)],
                answers=[],
                authorities=[],
                additionals=[],
            )
            transport.sendto(query.packed)
            try:
                await asyncio.wait_for(future, 3)
                answered += 1
            except TimeoutError:
                client.waiting.pop(qid, None)

    started = time.perf_counter()
    await asyncio.gather(*(worker(t, c) for t, c in endpoints))
    elapsed = time.perf_counter() - started
    for transport, _ in endpoints:
        transport.close()
    return elapsed, answered


def _wait_dns(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        _, answered = asyncio.run(_send(port, ["warmup.bench-example.net"], 1))
        if answered:
            return
        time.sleep(0.5)
    raise TimeoutError("DNS mode never answered")


def _measure(cmd: list[str], port: int, workloads: dict[str, list[str]], in_flight: int):
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    try:
        _wait_dns(port, process)
        results = {}
        for label, names in workloads.items():
            cpu = _cpu_seconds(process.pid)
            elapsed, answered = asyncio.run(_send(port, names, in_flight))
            cpu = _cpu_seconds(process.pid) - cpu
            results[label] = (
                answered / elapsed,
                cpu / max(answered, 1) * 1000,
                answered,
            )  # ms each
        return results
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--in-flight", type=int, default=32)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("dns_bench needs root (the upstream stand-in listens on port 53)")
    if not 100 <= args.queries <= 100_000 or not 1 <= args.in_flight <= 256:
        sys.exit("--queries 100..100000, --in-flight 1..256")
    rng = random.Random(7)
    workloads = {
        "allowed": [rng.choice(NAMES) for _ in range(args.queries)],
        "blocked": [BLOCKED] * args.queries,
    }
    answers = {name: "203.0.113.80" for name in [*NAMES, BLOCKED, "warmup.bench-example.net"]}
    work = Path(tempfile.mkdtemp(prefix="hg-dns-bench-"))
    try:
        venv = Path(sys.executable).parent
        subprocess.run(
            [venv / "hearthguard", "init", "--data-dir", work / "data"],
            check=True,
            capture_output=True,
            timeout=600,
        )
        with upstream_dns(answers) as upstream:
            common = [
                "--set",
                f"dns_name_servers={upstream.address}",
                "--set",
                "dns_use_hosts_file=false",
            ]
            hg_port, bare_port = _free_port(), _free_port()
            bare = _measure(
                [str(venv / "mitmdump"), "-q", "--mode", f"dns@127.0.0.1:{bare_port}", *common],
                bare_port,
                workloads,
                args.in_flight,
            )
            hearthguard = _measure(
                [
                    str(venv / "hearthguard"),
                    "run",
                    "--data-dir",
                    str(work / "data"),
                    "--listen-host",
                    "127.0.0.1",
                    "--proxy-port",
                    str(_free_port()),
                    "--dashboard-port",
                    "0",
                    "--mode",
                    "regular",
                    "--mode",
                    f"dns@127.0.0.1:{hg_port}",
                    *common,
                ],
                hg_port,
                workloads,
                args.in_flight,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.queries} queries per workload, {args.in_flight} in flight, one run\n")
    print(f"{'workload':10} {'server':12} {'answers/s':>10} {'CPU ms/answer':>14} {'answered':>9}")
    for label in workloads:
        for server, results in (("mitmdump", bare), ("hearthguard", hearthguard)):
            rate, cpu, answered = results[label]
            print(f"{label:10} {server:12} {rate:10.0f} {cpu:14.2f} {answered:9d}")
        ratio = hearthguard[label][0] / bare[label][0]
        cpu_ratio = hearthguard[label][1] / bare[label][1]
        print(f"{label:10} {'ratio':12} {ratio:9.2f}x {cpu_ratio:13.2f}x\n")


if __name__ == "__main__":
    main()
