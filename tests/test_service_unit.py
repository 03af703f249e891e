"""The systemd unit install.sh writes: hardened, and with exactly the rights its modes need.

Listening below port 1024 (DNS mode on 53, a proxy on 80) needs CAP_NET_BIND_SERVICE; nothing
else does (transparent mode reads SO_ORIGINAL_DST and WireGuard runs in user space), so a unit
for the default ports keeps no capability at all. ``systemd-analyze verify`` must accept every
variant without a warning.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UNIT = "etc/systemd/system/hearthguard.service"
HARDENING = (
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ReadWritePaths=/var/lib/hearthguard",
    "PrivateTmp=yes",
    "ProtectHome=yes",
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectControlGroups=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
    "RestrictNamespaces=yes",
    "RestrictSUIDSGID=yes",
    "User=hearthguard",
    "UMask=0077",
)


def install(root: Path, *modes: str) -> subprocess.CompletedProcess[str]:
    args = [a for mode in modes for a in ("--mode", mode)]
    return subprocess.run(
        [str(REPO / "install.sh"), "--service", "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def directives(unit: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith(key + "=")]


@pytest.mark.parametrize(
    ("modes", "capabilities"),
    [
        ((), ""),
        (("regular",), ""),
        (("regular", "transparent@8082"), ""),
        (("wireguard:/var/lib/hearthguard/wireguard/tablet.json@51821",), ""),
        (("wireguard",), ""),
        (("regular", "transparent@8082", "dns@53"), "CAP_NET_BIND_SERVICE"),
        (("dns",), "CAP_NET_BIND_SERVICE"),
        (("transparent@0.0.0.0:80",), "CAP_NET_BIND_SERVICE"),
        (("dns@5353",), ""),
    ],
)
def test_each_mode_gets_exactly_the_capabilities_it_needs(
    tmp_path: Path, modes: tuple[str, ...], capabilities: str
) -> None:
    result = install(tmp_path, *modes)
    assert result.returncode == 0, result.stderr
    unit = (tmp_path / UNIT).read_text()
    assert directives(unit, "CapabilityBoundingSet") == [capabilities]
    assert directives(unit, "AmbientCapabilities") == ([capabilities] if capabilities else [])
    (start,) = directives(unit, "ExecStart")
    assert start.split()[2:] == [
        "--data-dir",
        "/var/lib/hearthguard",
        *[part for mode in modes for part in ("--mode", mode)],
    ]
    for line in HARDENING:
        assert line in unit.splitlines(), line


def test_re_running_without_modes_keeps_them(tmp_path: Path) -> None:
    assert install(tmp_path, "regular", "dns@53").returncode == 0
    assert install(tmp_path).returncode == 0
    unit = (tmp_path / UNIT).read_text()
    assert directives(unit, "ExecStart")[0].endswith("--mode regular --mode dns@53")
    assert directives(unit, "CapabilityBoundingSet") == ["CAP_NET_BIND_SERVICE"]


@pytest.mark.parametrize("mode", ["dns@53; rm -rf /", "regular\nUser=root", "", "dns@port"])
def test_a_bad_mode_exits_2_and_writes_nothing(tmp_path: Path, mode: str) -> None:
    result = install(tmp_path, mode)
    assert result.returncode == 2 and "--mode needs" in result.stderr
    assert not (tmp_path / "etc").exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
@pytest.mark.parametrize("modes", [(), ("regular", "transparent@8082", "dns@53")])
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path, modes: tuple[str, ...]) -> None:
    assert install(tmp_path / "root", *modes).returncode == 0
    unit = (tmp_path / "root" / UNIT).read_text()
    # verify checks that ExecStart's program exists: point it at a stand-in, nothing else changes
    stand_in = tmp_path / "hearthguard"
    stand_in.write_text("#!/bin/sh\n")
    stand_in.chmod(0o755)
    checked = tmp_path / "hearthguard.service"
    checked.write_text(unit.replace("/opt/hearthguard/venv/bin/hearthguard", str(stand_in)))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(checked)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
