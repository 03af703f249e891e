"""The dashboard process runs only while it is used: ``hearthguard run`` holds its port, starts
it at the first connection and lets it rest after ``--dashboard-idle`` seconds without one; a
failed login it still counts keeps it up (the login throttle lives in its memory)."""

from __future__ import annotations

import http.client
import time
from pathlib import Path

import pytest

from policy.accounts import create_parent
from policy.store import PolicyStore
from tests.dashboard.test_login_process import PASSWORD, Browser
from tests.support.processes import hearthguard, running_hearthguard

pytestmark = pytest.mark.process

IDLE = 2.0


def dashboard_children(run_pid: int) -> list[int]:
    """The ``python -m dashboard.serve`` children of a ``hearthguard run`` process."""
    found = []
    for task in Path(f"/proc/{run_pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                if b"dashboard.serve" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(int(child))
            except OSError:
                continue
    return found


def wait_until(what: str, condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def fetch_pac(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/proxy.pac")
        response = connection.getresponse()
        assert b"PROXY" in response.read()
        return response.status
    finally:
        connection.close()


def test_the_dashboard_starts_when_visited_and_rests_when_idle(data_dir) -> None:
    with running_hearthguard(data_dir.root, "--dashboard-idle", str(IDLE), dashboard=True) as (
        _,
        port,
        process,
    ):
        assert fetch_pac(port) == 200  # answered although no dashboard ran before
        (first,) = dashboard_children(process.pid)
        wait_until("the idle dashboard never rested", lambda: not dashboard_children(process.pid))
        log = (data_dir.root / "run.log").read_text()
        assert "resting until the next one" in log and "Traceback" not in log
        assert fetch_pac(port) == 200  # and the next visit starts it again
        (second,) = dashboard_children(process.pid)
        assert second != first


def test_a_counted_failed_login_keeps_the_dashboard_up(data_dir) -> None:
    store = PolicyStore(data_dir.policy_db)
    create_parent(store, "mum", PASSWORD, actor="test")
    store.close()
    with running_hearthguard(data_dir.root, "--dashboard-idle", str(IDLE), dashboard=True) as (
        _,
        port,
        process,
    ):
        status, page = Browser(port).login("guess12345678")
        assert status == 200 and "mum" in page  # the login form again
        (pid,) = dashboard_children(process.pid)
        time.sleep(3 * IDLE + 2)  # well past the idle time and the watcher's period (IDLE / 4)
        assert dashboard_children(process.pid) == [pid]


def test_idle_zero_keeps_the_dashboard_running_from_the_start(data_dir) -> None:
    with running_hearthguard(data_dir.root, "--dashboard-idle", "0", dashboard=True) as (
        _,
        _port,
        process,
    ):
        wait_until("no dashboard was started", lambda: len(dashboard_children(process.pid)) == 1)


def test_a_bad_idle_time_is_refused_before_anything_starts(data_dir) -> None:
    result = hearthguard("run", "--dashboard-idle", "-5", data_dir=data_dir.root, check=False)
    assert result.returncode == 2
    assert "--dashboard-idle" in result.stderr


def test_a_dashboard_that_keeps_failing_is_given_up_and_its_port_closed(data_dir, caplog) -> None:
    """Each connection starts a dashboard again after a failure, a bounded number of times in
    a row; then the runner says so and closes the port (real child processes that exit 3)."""
    import asyncio
    import socket
    import sys

    from hearthguard.runner import _DASHBOARD_RESTARTS, Dashboard, RunConfig

    config = RunConfig(data_dir, "127.0.0.1", 0, 0, ("regular",), dashboard_idle=IDLE)
    dashboard = Dashboard(config, data_dir.root / "unused.pem")
    dashboard.command = [sys.executable, "-c", "import sys; sys.exit(3)"]
    port = dashboard.listener.getsockname()[1]

    async def scenario() -> None:
        dashboard.start()
        assert dashboard.process is None  # nothing runs before a connection
        visitor = socket.create_connection(("127.0.0.1", port))  # stays in the queue
        try:
            await asyncio.wait_for(dashboard.watch(), timeout=60)
        finally:
            visitor.close()

    with caplog.at_level("WARNING", logger="hearthguard"):
        asyncio.run(scenario())
    assert dashboard.failures == _DASHBOARD_RESTARTS + 1
    assert "keeps exiting (code 3); not starting it again" in caplog.text
    assert caplog.text.count("it starts again when used") == _DASHBOARD_RESTARTS
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # the port is closed
