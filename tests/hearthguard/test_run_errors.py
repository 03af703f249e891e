"""``hearthguard run`` when it cannot start: one clear line and exit code 2, no traceback."""

from __future__ import annotations

import socket

import pytest

from tests.support.processes import hearthguard

pytestmark = pytest.mark.process


def test_a_busy_proxy_port_is_one_clear_line(data_dir) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = hearthguard(
            "run",
            "--listen-host",
            "127.0.0.1",
            "--proxy-port",
            str(port),
            "--dashboard-port",
            "0",
            data_dir=data_dir.root,
            check=False,
        )
    assert result.returncode == 2
    assert f"port {port} (proxy) is already in use" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("hearthguard_flush=soon", "hearthguard_flush takes a number"),
        ("hearthguard_dns_blocked=allow", "hearthguard_dns_blocked must be nxdomain or null"),
        ("hearthguard_no_such_thing=1", "hearthguard_no_such_thing"),
    ],
)
def test_a_bad_setting_is_one_clear_line(data_dir, setting: str, message: str) -> None:
    result = hearthguard(
        "run",
        "--listen-host",
        "127.0.0.1",
        "--proxy-port",
        "0",
        "--dashboard-port",
        "0",
        "--set",
        setting,
        data_dir=data_dir.root,
        check=False,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
