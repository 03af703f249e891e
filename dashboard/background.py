"""Long jobs the dashboard starts but never waits for (list updates, retraining).

Each job is a ``hearthguard`` subcommand run as a child process with its output in a log file
in the data directory; at most one of each kind runs at a time.
"""

from __future__ import annotations

import subprocess
import sys

from flask import Flask, current_app

__all__ = ["job_running", "jobs_running", "start_job"]


def _key(kind: str) -> str:
    return f"hearthguard.job.{kind}"


def jobs_running(app: Flask) -> bool:
    """Whether any job this dashboard started is still running."""
    return any(
        process.poll() is None
        for key, process in list(app.extensions.items())
        if key.startswith(_key(""))
    )


def job_running(kind: str) -> bool:
    process = current_app.extensions.get(_key(kind))
    return process is not None and process.poll() is None


def start_job(kind: str, *command: str) -> bool:
    """Start ``hearthguard COMMAND... --data-dir D`` unless one of ``kind`` is running;
    returns whether it was started. Output goes to ``<data>/<kind>.log``."""
    if job_running(kind):
        return False
    data = current_app.config["DATA"]
    log = open(data.root / f"{kind}.log", "wb")  # noqa: SIM115 (the child owns it)
    try:
        current_app.extensions[_key(kind)] = subprocess.Popen(
            [sys.executable, "-m", "hearthguard", *command, "--data-dir", str(data.root)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        log.close()
    return True
