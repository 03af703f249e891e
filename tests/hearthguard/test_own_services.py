"""A child's device must never reach the Hearthguard machine's own services through the proxy.

This needs a client that is not the machine itself, so the test builds two network namespaces
joined by a veth pair (198.51.100.1 for the Hearthguard box, 198.51.100.2 for the child's
device), runs a real ``hearthguard run`` in the first and a local-only service beside it, and
tries from the second every way to name the box: loopback, its own address, ``localhost`` and
an address written as one number. The namespaces are removed afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from policy.datadir import DataDir
from policy.store import PolicyStore
from tests.support.processes import REPO, free_port

pytestmark = pytest.mark.process

BOX, CHILD = "198.51.100.1", "198.51.100.2"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


def _can_make_namespaces() -> str:
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"hgprobe{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, timeout=20)
    if made.returncode != 0:
        return f"this machine cannot create network namespaces: {made.stderr.decode()[:200]}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, timeout=20)
    return ""


@pytest.fixture
def namespaces() -> Iterator[tuple[str, str]]:
    why = _can_make_namespaces()
    if why:
        pytest.skip(why)
    box, child = f"hgbox{os.getpid()}", f"hgkid{os.getpid()}"
    veth = f"hgv{os.getpid() % 100000}"
    try:
        _ip("netns", "add", box)
        _ip("netns", "add", child)
        _ip(
            "link",
            "add",
            veth + "a",
            "netns",
            box,
            "type",
            "veth",
            "peer",
            "name",
            veth + "b",
            "netns",
            child,
        )
        for ns, dev, addr in ((box, veth + "a", BOX), (child, veth + "b", CHILD)):
            _ip("-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            _ip("-n", ns, "link", "set", dev, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
        # `ip netns exec` shows /etc/netns/<name>/hosts as /etc/hosts inside the namespace:
        # a name that resolves to the box itself, as 127.0.0.1.nip.io would
        hosts = Path("/etc/netns") / box
        hosts.mkdir(parents=True, exist_ok=True)
        (hosts / "hosts").write_text("127.0.0.1 localhost\n127.0.0.1 sneaky.example\n")
        yield box, child
    finally:
        for ns in (box, child):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)
        shutil.rmtree(Path("/etc/netns") / box, ignore_errors=True)


_ATTEMPTS = r"""
import json, socket, sys, time
proxy, targets = sys.argv[1], json.loads(sys.argv[2])
host, port = proxy.rsplit(":", 1)
deadline = time.monotonic() + 40
while True:
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        break
    except OSError:
        if time.monotonic() > deadline:
            print(json.dumps({"error": "proxy never listened"})); sys.exit(0)
        time.sleep(0.2)
out = {}
for kind, target in targets:
    s = socket.create_connection((host, int(port)), timeout=10)
    t = target.encode()
    if kind == "connect":
        s.sendall(b"CONNECT " + t + b" HTTP/1.1\r\nHost: " + t + b"\r\n\r\n")
    else:
        s.sendall(b"GET http://" + t + b"/ HTTP/1.1\r\nHost: " + t + b"\r\n\r\n")
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    s.close()
    out[kind + " " + target] = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
print(json.dumps(out))
"""


def test_the_box_own_services_are_out_of_reach_for_other_devices(
    namespaces: tuple[str, str], data_dir: DataDir
) -> None:
    box, child = namespaces
    resolved = subprocess.run(
        ["ip", "netns", "exec", box, "getent", "hosts", "sneaky.example"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert resolved.stdout.split()[:1] == ["127.0.0.1"]  # the name really means the box
    store = PolicyStore(data_dir.policy_db)
    store.set_setting("lan_ranges", "198.51.100.0/24, 127.0.0.0/8")
    store.close()
    proxy_port, dashboard_port, service_port = free_port(), free_port(), free_port()
    service_log = data_dir.root / "service.log"
    with open(service_log, "wb") as log:  # a service that listens on the box's loopback only
        service = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                box,
                sys.executable,
                "-m",
                "http.server",
                str(service_port),
                "--bind",
                "127.0.0.1",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=data_dir.root,
        )
    run_log = open(data_dir.root / "run.log", "wb")  # noqa: SIM115
    proxy = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            box,
            sys.executable,
            "-m",
            "hearthguard",
            "run",
            "--data-dir",
            str(data_dir.root),
            "--listen-host",
            BOX,
            "--proxy-port",
            str(proxy_port),
            "--dashboard-port",
            str(dashboard_port),
        ],
        stdout=run_log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    targets = [
        ("connect", f"127.0.0.1:{service_port}"),
        ("connect", f"2130706433:{service_port}"),
        ("connect", f"localhost:{service_port}"),
        ("connect", f"{BOX}:{dashboard_port}"),
        ("connect", f"{BOX}:443"),
        ("connect", f"[::ffff:127.0.0.1]:{service_port}"),
        ("connect", f"0x7f.1:{service_port}"),
        ("get", f"127.0.0.1:{service_port}"),
        ("get", f"localhost:{service_port}"),
        ("get", f"[::1]:{service_port}"),
        ("get", f"{BOX}:{dashboard_port}"),
        ("get", f"sneaky.example:{service_port}"),
        ("connect", f"sneaky.example:{dashboard_port}"),
    ]
    try:
        result = subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                child,
                sys.executable,
                "-c",
                _ATTEMPTS,
                f"{BOX}:{proxy_port}",
                json.dumps(targets),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        proxy.terminate()
        service.terminate()
        for process in (proxy, service):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        run_log.close()
    answers = json.loads(result.stdout or "{}")
    assert "error" not in answers, (data_dir.root / "run.log").read_text()[-2000:]
    assert len(answers) == len(targets)
    for attempt, status in answers.items():
        assert status in (0, 403, 502), (attempt, status)  # refused, never forwarded
    time.sleep(0.2)
    assert b"GET" not in Path(service_log).read_bytes()  # the local service never saw a request
