"""Network namespaces for the tests that need more than one host: made, joined by veth pairs
and removed again, with only 198.51.100.0/24 and 203.0.113.0/24 inside them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import REPO, stop

__all__ = ["exec_in", "hearthguard_in", "link", "missing", "namespaces", "run", "stop"]


def run(*args: str, timeout: float = 20, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=check)


def missing(*tools: str, tun: bool = False, nft: bool = False) -> str:
    """Why these tests cannot run here ("" when they can): root, the tools, /dev/net/tun when
    ``tun``, and a namespace that can really be made (and hold an nftables table when ``nft``)."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", *tools):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (./install.sh --test installs it)"
    if tun and not Path("/dev/net/tun").exists():
        return "no /dev/net/tun: no tunnel interface can be made here"
    probe = f"hgprobe{os.getpid()}"
    made = run("ip", "netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"this machine cannot create network namespaces: {made.stderr[:200]}"
    try:
        if nft:
            table = run("ip", "netns", "exec", probe, "nft", "add", "table", "inet", "probe",
                        check=False)  # fmt: skip
            if table.returncode != 0:
                return f"nftables does not work in a namespace here: {table.stderr[:200]}"
    finally:
        run("ip", "netns", "del", probe, check=False)
    return ""


@contextmanager
def namespaces(*names: str) -> Iterator[None]:
    """Make the namespaces (loopback up) and remove them, and their /etc/netns files, after."""
    try:
        for name in names:
            run("ip", "netns", "add", name)
            run("ip", "-n", name, "link", "set", "lo", "up")
        yield
    finally:
        for name in names:
            run("ip", "netns", "del", name, check=False)
            shutil.rmtree(Path("/etc/netns") / name, ignore_errors=True)


def link(a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
    """Join two namespaces with a veth pair; each end is (namespace, device, address in /24)."""
    (ns_a, dev_a, _), (ns_b, dev_b, _) = a, b
    run("ip", "link", "add", dev_a, "netns", ns_a, "type", "veth", "peer", "name", dev_b,
        "netns", ns_b)  # fmt: skip
    for ns, dev, address in (a, b):
        run("ip", "-n", ns, "addr", "add", f"{address}/24", "dev", dev)
        run("ip", "-n", ns, "link", "set", dev, "up")


def exec_in(ns: str, *args: str, **popen: object) -> subprocess.Popen[bytes]:
    """Start a program inside a namespace."""
    return subprocess.Popen(["ip", "netns", "exec", ns, *args], **popen)  # type: ignore[call-overload,no-any-return]


def hearthguard_in(
    ns: str, data_dir: Path, listen: str, log: Path, *extra: str
) -> subprocess.Popen[bytes]:
    """``hearthguard run`` inside a namespace, listening on ``listen``, its output in ``log``."""
    with open(log, "wb") as out:
        return exec_in(
            ns, sys.executable, "-m", "hearthguard", "run", "--data-dir", str(data_dir),
            "--listen-host", listen, *extra,
            stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
