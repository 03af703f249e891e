"""Soak: a real ``hearthguard run`` under moderate, mixed load for a bounded time, on loopback.

Every request names a host of its own, so the activity log must hold one row per request
(allowed pages, blocked hosts, DNS questions): nothing is folded by the log's repeat window
and a lost row shows. Sampled every ``--every`` seconds: the resident memory of the process
tree, its open file descriptors and threads, and error lines in its log. The load:

- HTTP pages of 20-60 KB (every page unique, so each is scanned), gzip'd pages, 256 KB images;
- hosts blocked by a parent's rule (the block page);
- HTTPS tunnels passed through to a TLS origin;
- DNS questions to DNS mode (allowed names answered by a loopback resolver, blocked names not).

Everything listens on 127.0.0.0/8; ``*.test`` hosts are sent to the loopback origins by
``tests/support/route_test_hosts.py``. Run as root (the DNS stand-in listens on port 53):

    .venv/bin/python benchmarks/soak.py --minutes 30            # the figures in RESULTS.md
    .venv/bin/python benchmarks/soak.py --minutes 2 --rate 5    # a quick look
    .venv/bin/python benchmarks/soak.py --minutes 20 --tracemalloc   # where Python memory grows

With ``--tracemalloc`` the proxy traces its allocations (``benchmarks/soaktrace``) and the
result adds the sites that grew most after the warm-up; it runs slower, so its memory figures
are not the soak's.

Prints one JSON object: samples, growth, counts and any error lines.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mitmproxy import dns  # noqa: E402

from tests.support.dnsstub import upstream_dns  # noqa: E402
from tests.support.origin import TlsServer  # noqa: E402
from tests.support.processes import free_port, wait_for_port  # noqa: E402
from tests.support.tls import origin_certificate  # noqa: E402

WORDS = tuple(
    [
        "river",
        "school",
        "garden",
        "library",
        "music",
        "football",
        "recipe",
        "bread",
        "science",
        "planet",
        "history",
        "museum",
        "bicycle",
        "homework",
        "friend",
        "holiday",
        "weather",
        "mountain",
        "ocean",
        "painting",
        "theatre",
        "story",
        "chapter",
        "animal",
        "forest",
        "village",
        "market",
    ]
)
ERROR_MARKS = ("Traceback", "Addon error", "Error logged", "failed")


def page(seed: int, size: int) -> bytes:
    rng = random.Random(seed)
    words = " ".join(rng.choice(WORDS) for _ in range(size // 7))
    return (
        f"<html><head><title>Page {seed}</title></head><body><p>{words}</p></body></html>".encode()
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        kind, _, number = self.path.strip("/").partition("/")
        seed = int(number) if number.isdigit() else 0
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if kind == "gz":
            body = gzip.compress(page(seed, 40_000))
            headers["Content-Encoding"] = "gzip"
        elif kind == "img":
            body = random.Random(seed).randbytes(256 * 1024)
            headers["Content-Type"] = "image/png"
        else:
            body = page(seed, 20_000 + seed % 40_000)
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _origin(tls: ssl.SSLContext | None = None) -> TlsServer:
    server = TlsServer(("127.0.0.1", 0), _Handler)
    server.tls = tls
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _tree(pid: int) -> list[int]:
    """The process and its descendants."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    try:
        for child in children.read_text().split():
            found += _tree(int(child))
    except OSError:
        pass
    return found


def _sample(pid: int, log: Path, started: float) -> dict[str, float]:
    rss = 0
    for member in _tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
        except OSError:
            continue
    text = log.read_text(errors="replace") if log.exists() else ""
    return {
        "minute": round((time.monotonic() - started) / 60, 2),
        "rss_mib": round(rss / 1024, 1),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": len(os.listdir(f"/proc/{pid}/task")),
        "error_lines": sum(text.count(mark) for mark in ERROR_MARKS),
    }


def _http(proxy: int, host: str, path: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", proxy), timeout=30) as sock:
        sock.sendall(
            f"GET http://{host}{path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data


def _https(proxy: int, host: str) -> int:
    with socket.create_connection(("127.0.0.1", proxy), timeout=30) as sock:
        sock.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head and (chunk := sock.recv(4096)):
            head += chunk
        if not head.startswith(b"HTTP/1.1 200"):
            return 0
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with context.wrap_socket(sock, server_hostname=host) as tls:
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0


def _dns(port: int, name: str) -> int:
    query = dns.Message(
        timestamp=0, id=random.randint(1, 65535), query=True, op_code=dns.op_codes.QUERY,
        authoritative_answer=False, truncation=False, recursion_desired=True,
        recursion_available=False, reserved=0, response_code=dns.response_codes.NOERROR,
        questions=[dns.Question(name, dns.types.A, dns.classes.IN)], answers=[],
        authorities=[], additionals=[],
    )  # fmt: skip
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(query.packed, ("127.0.0.1", port))
        reply = dns.Message.unpack(sock.recv(4096))
    return reply.response_code


def _one(i: int, proxy: int, dns_port: int) -> tuple[str, str | None, bool]:
    """Request number ``i``: (kind, host the activity log must name or None, answered well)."""
    kind = ("page", "page", "gz", "blocked", "img", "https", "dns", "dns_blocked")[i % 8]
    try:
        if kind in ("page", "gz", "img"):
            host = f"s{i}.allowed.test"
            status, body = _http(proxy, host, f"/{kind}/{i}")
            return kind, host, status == 200
        if kind == "blocked":
            host = f"s{i}.blocked.test"
            status, body = _http(proxy, host, "/")
            return kind, host, status == 403 and b"data-hearthguard-page=" in body
        if kind == "https":
            return kind, None, _https(proxy, f"s{i}.allowed.test") == 200
        if kind == "dns":
            host = f"d{i}.allowed.test"
            return kind, host, _dns(dns_port, host) == dns.response_codes.NOERROR
        host = f"d{i}.pornhub.com"
        return kind, host, _dns(dns_port, host) == dns.response_codes.NXDOMAIN
    except (OSError, ValueError) as exc:
        print(f"request {i} ({kind}) failed: {exc}", file=sys.stderr)
        return kind, None, False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="report where the proxy's Python memory grows"
    )
    args = parser.parse_args()
    if not (0 < args.minutes <= 240 and 0 < args.rate <= 500):
        parser.error("--minutes must be in (0, 240] and --rate in (0, 500]")
    work = Path(tempfile.mkdtemp(prefix="hg-soak-"))
    data = work / "data"
    hg = [sys.executable, "-m", "hearthguard"]
    subprocess.run([*hg, "init", "--data-dir", str(data)], check=True, cwd=REPO,
                   capture_output=True)  # fmt: skip
    deny = [*hg, "rule", "deny", "blocked.test", "--profile", "Household", "--data-dir", str(data)]
    subprocess.run(deny, check=True, cwd=REPO, capture_output=True)
    cert = origin_certificate(work, "allowed.test", "*.allowed.test")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert)
    http_origin, tls_origin = _origin(), _origin(tls)
    proxy, dns_port = free_port(), free_port()
    log = work / "run.log"
    growth = work / "python-growth.txt"
    trace_env = {}
    if args.tracemalloc:
        paths = [str(REPO / "benchmarks/soaktrace"), os.environ.get("PYTHONPATH", "")]
        trace_env = {
            "PYTHONPATH": os.pathsep.join(p for p in paths if p),
            "HG_SOAK_TRACE": str(growth),
        }
    answers = {f"d{i}.allowed.test": "203.0.113.80" for i in range(100_000) if i % 8 == 6}
    with upstream_dns(answers) as upstream, open(log, "wb") as out:
        process = subprocess.Popen(
            [*hg, "run", "--data-dir", str(data), "--listen-host", "127.0.0.1",
             "--proxy-port", str(proxy), "--dashboard-port", str(free_port()),
             "--mode", "regular", "--mode", f"dns@127.0.0.1:{dns_port}",
             "--set", f"dns_name_servers={upstream.address}", "--set", "dns_use_hosts_file=false",
             "--set", f"scripts={REPO / 'tests/support/route_test_hosts.py'}",
             "--set", "ssl_insecure=true"],
            stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1",
                 "HG_TEST_ORIGIN_PORT": str(http_origin.server_address[1]),
                 "HG_TEST_TLS_ORIGIN_PORT": str(tls_origin.server_address[1]), **trace_env},
        )  # fmt: skip
        try:
            wait_for_port(proxy, process, timeout=60)
            result = _soak(args, process, proxy, dns_port, log)
        finally:
            process.terminate()
            process.wait(timeout=30)
    result["activity"] = _activity(data / "activity.db", result.pop("expected"))
    result["error_excerpt"] = [
        line for line in log.read_text(errors="replace").splitlines()
        if any(mark in line for mark in ERROR_MARKS)
    ][:20]  # fmt: skip
    if args.tracemalloc:
        result["python_growth"] = (
            growth.read_text().splitlines()[:200] if growth.exists() else ["(no report yet)"]
        )
    print(json.dumps(result, indent=1))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _soak(args: argparse.Namespace, process: subprocess.Popen[bytes], proxy: int,
          dns_port: int, log: Path) -> dict:  # fmt: skip
    started = time.monotonic()
    end = started + args.minutes * 60
    samples = [_sample(process.pid, log, started)]
    next_sample = started + args.every
    counts: dict[str, list[int]] = {}
    expected: list[str] = []
    i = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        pending = []
        while time.monotonic() < end and process.poll() is None:
            pending.append(pool.submit(_one, i, proxy, dns_port))
            i += 1
            time.sleep(1 / args.rate)
            if time.monotonic() >= next_sample:
                samples.append(_sample(process.pid, log, started))
                next_sample += args.every
            done = [f for f in pending if f.done()]
            for future in done:
                kind, host, ok = future.result()
                counts.setdefault(kind, [0, 0])[0 if ok else 1] += 1
                if host and ok:
                    expected.append(host)
            pending = [f for f in pending if not f.done()]
        for future in pending:
            kind, host, ok = future.result()
            counts.setdefault(kind, [0, 0])[0 if ok else 1] += 1
            if host and ok:
                expected.append(host)
    time.sleep(5)  # the activity writer flushes every second
    samples.append(_sample(process.pid, log, started))
    steady = samples[min(2, len(samples) - 1)]  # after warm-up
    return {
        "minutes": args.minutes,
        "requests": i,
        "alive": process.poll() is None,
        "by_kind": {k: {"ok": v[0], "failed": v[1]} for k, v in sorted(counts.items())},
        "samples": samples,
        "rss_growth_after_warmup": round(samples[-1]["rss_mib"] / steady["rss_mib"] - 1, 3),
        "fds_first_last": [steady["fds"], samples[-1]["fds"]],
        "expected": expected,
    }


def _activity(path: Path, expected: list[str]) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        logged = {row[0] for row in conn.execute("SELECT host FROM decisions")}
    finally:
        conn.close()
    missing = [h for h in expected if h not in logged]
    return {"expected_rows": len(expected), "missing_rows": len(missing)}


if __name__ == "__main__":
    sys.exit(main())
