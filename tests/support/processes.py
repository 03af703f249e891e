"""Start real Hearthguard processes on free loopback ports, and wait for them, boundedly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


def hearthguard(
    *args: str, data_dir: Path, check: bool = True, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``hearthguard`` command line once."""
    return subprocess.run(
        [sys.executable, "-m", "hearthguard", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
        input=input,
        cwd=REPO,
    )


@contextmanager
def running_hearthguard(
    data_dir: Path, *extra: str, env: dict[str, str] | None = None, dashboard: bool = False
) -> Iterator[tuple[int, int, subprocess.Popen[bytes]]]:
    """``hearthguard run`` on free loopback ports; yields (proxy port, dashboard port, process)."""
    proxy_port = free_port()
    dashboard_port = free_port() if dashboard else 0
    log = open(data_dir / "run.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hearthguard",
            "run",
            "--data-dir",
            str(data_dir),
            "--listen-host",
            "127.0.0.1",
            "--proxy-port",
            str(proxy_port),
            "--dashboard-port",
            str(dashboard_port),
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    try:
        wait_for_port(proxy_port, process)
        if dashboard:
            wait_for_port(dashboard_port, process)
        yield proxy_port, dashboard_port, process
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process, then kill it if it has not ended within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
