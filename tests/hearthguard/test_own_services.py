"""A child's device must never reach the Hearthguard machine's own services through the proxy.

This needs a client that is not the machine itself, so the test builds two network namespaces
joined by a veth pair (198.51.100.1 for the Hearthguard box, 198.51.100.2 for the child's
device), runs a real ``hearthguard run`` in the first and a local-only service beside it, and
tries from the second every way to name the box: loopback, its own address, ``localhost``, an
address written as one number, and a name that a rebinding resolver turns into loopback
between Hearthguard's check and the connection. The namespaces are removed afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from policy.datadir import DataDir
from policy.store import PolicyStore
from tests.support import netns
from tests.support.processes import REPO, free_port

pytestmark = pytest.mark.process

BOX, CHILD = "198.51.100.1", "198.51.100.2"
REBINDER = "127.0.0.53"  # the box's resolver in the test; "rebind.example" alternates


@pytest.fixture
def namespaces() -> Iterator[tuple[str, str]]:
    why = netns.missing()
    if why:
        pytest.skip(why)
    box, child = f"hgbox{os.getpid()}", f"hgkid{os.getpid()}"
    veth = f"hgv{os.getpid() % 100000}"
    with netns.namespaces(box, child):
        netns.link((box, veth + "a", BOX), (child, veth + "b", CHILD))
        # `ip netns exec` shows /etc/netns/<name>/hosts as /etc/hosts inside the namespace:
        # a name that resolves to the box itself, as 127.0.0.1.nip.io would
        hosts = Path("/etc/netns") / box
        hosts.mkdir(parents=True, exist_ok=True)
        (hosts / "hosts").write_text("127.0.0.1 localhost\n127.0.0.1 sneaky.example\n")
        # and a resolver on the box that rebinds a name (tests.support.rebinddns)
        (hosts / "resolv.conf").write_text(f"nameserver {REBINDER}\n")
        yield box, child


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
    code = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    out[f"{len(out)} {kind} {target}"] = code
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
        service = netns.exec_in(
            box, sys.executable, "-m", "http.server", str(service_port), "--bind", "127.0.0.1",
            stdout=log, stderr=subprocess.STDOUT, cwd=data_dir.root,
        )  # fmt: skip
    rebinder = netns.exec_in(
        box, sys.executable, "-m", "tests.support.rebinddns", REBINDER, "rebind.example",
        "203.0.113.50", "127.0.0.1", str(data_dir.root / "rebind.log"),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO,
    )  # fmt: skip
    assert rebinder.stdout is not None and rebinder.stdout.readline().strip() == b"ready"
    proxy = netns.hearthguard_in(
        box, data_dir.root, BOX, data_dir.root / "run.log",
        "--proxy-port", str(proxy_port), "--dashboard-port", str(dashboard_port),
    )  # fmt: skip
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
        # DNS rebinding: the name is public when Hearthguard checks it and the box's own
        # loopback when the connection is made
        *[("get", f"rebind.example:{service_port}")] * 6,
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
        netns.stop(proxy)
        netns.stop(service)
        netns.stop(rebinder)
    answers = json.loads(result.stdout or "{}")
    assert "error" not in answers, (data_dir.root / "run.log").read_text()[-2000:]
    assert len(answers) == len(targets)
    for attempt, status in answers.items():
        assert status in (0, 403, 502), (attempt, status)  # refused, never forwarded
    time.sleep(0.2)
    # the trick was played: a public answer was followed by the box's own address
    assert "203.0.113.50\n127.0.0.1" in (data_dir.root / "rebind.log").read_text()
    assert b"GET" not in Path(service_log).read_bytes()  # the local service never saw a request
