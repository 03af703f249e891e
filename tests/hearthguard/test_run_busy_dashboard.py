"""``hearthguard run`` when the dashboard's port is taken: one clear line and exit code 2, no
traceback, and the proxy does not stay up without it."""

from __future__ import annotations

import socket

import pytest

from tests.support.processes import free_port, hearthguard

pytestmark = pytest.mark.process


def test_a_busy_dashboard_port_is_one_clear_line(data_dir) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proxy_port = free_port()
        result = hearthguard(
            "run",
            "--listen-host",
            "127.0.0.1",
            "--proxy-port",
            str(proxy_port),
            "--dashboard-port",
            str(port),
            data_dir=data_dir.root,
            check=False,
        )
    assert result.returncode == 2
    assert f"port {port} (dashboard) is already in use" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    with socket.socket() as probe:  # nothing left listening on the proxy's port
        assert probe.connect_ex(("127.0.0.1", proxy_port)) != 0
