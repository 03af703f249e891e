"""Parallel wrong logins against a real dashboard process: memory, threads, password checks.

    .venv/bin/python benchmarks/login_flood.py [--source DIR] [--parallel 16] [--rounds 1]

Starts ``python -m dashboard.serve`` from the source tree ``DIR`` (default: this checkout) on
a fresh data directory, sends ``--parallel`` wrong passwords for one account at the same
moment from one address (a child's tablet, or anyone browsing through the proxy), ``--rounds``
times, then tries the right password from a browser that has logged in before and from a new
one. Prints one line of JSON: how many guesses had their password checked, the dashboard's
RSS before and its peak (VmHWM, reset before the flood), the most threads it had, and what
the parent's logins got. To compare with an older Hearthguard, unpack it and point
``--source`` at it: ``git archive COMMIT | tar -x -C /tmp/base``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
_SETUP = """
import sys
from pathlib import Path
from hearthguard.init_data import init_data_dir
from hearthguard.runner import dashboard_certificate
from policy.accounts import create_parent
from policy.datadir import DataDir
from policy.store import PolicyStore
root = Path(sys.argv[1])
init_data_dir(root)
data = DataDir(root)
store = PolicyStore(data.policy_db)
create_parent(store, "mum", sys.argv[2], actor="bench")
store.close()
print(dashboard_certificate(data, ["127.0.0.1"]))
"""


def _status(pid: int, name: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{name}:\s+(\d+)", text, re.M)
    return int(match.group(1)) if match else 0


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        context = ssl._create_unverified_context()
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=120, context=context)
        headers = {"Referer": f"https://127.0.0.1:{self.port}/login"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as exc:
            return 0, str(exc)
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return response.status, text

    def token(self) -> str:
        _, page = self.request("GET", "/login")
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        return match.group(1) if match else ""

    def login(self, password: str, token: str | None = None) -> tuple[int, str]:
        form = {"username": "mum", "password": password, "csrf_token": token or self.token()}
        return self.request("POST", "/login", form)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flood(source: Path, parallel: int, rounds: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(source)}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        pem = subprocess.run(
            [sys.executable, "-c", _SETUP, str(root), PASSWORD],
            cwd=source,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        ).stdout.strip()
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "dashboard.serve", "--data-dir", str(root)]
            + ["--host", "127.0.0.1", "--port", str(port), "--tls", pem],
            cwd=source,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.1)
            laptop = Client(port)
            first = laptop.login(PASSWORD)[0]
            before = _status(server.pid, "VmRSS")
            Path(f"/proc/{server.pid}/clear_refs").write_text("5")
            threads = [_status(server.pid, "Threads")]
            answers: list[tuple[int, str]] = []
            done = threading.Event()

            def watch() -> None:
                while not done.is_set():
                    threads.append(_status(server.pid, "Threads"))
                    time.sleep(0.02)

            watcher = threading.Thread(target=watch)
            watcher.start()
            began = time.monotonic()
            for _ in range(rounds):
                clients = [Client(port) for _ in range(parallel)]
                tokens = [c.token() for c in clients]
                barrier = threading.Barrier(parallel)

                def guess(client: Client, token: str, barrier: threading.Barrier = barrier) -> None:
                    barrier.wait(timeout=60)
                    answers.append(client.login("guess12345678", token))

                workers = [
                    threading.Thread(target=guess, args=pair)
                    for pair in zip(clients, tokens, strict=True)
                ]
                for t in workers:
                    t.start()
                for t in workers:
                    t.join(timeout=600)
            elapsed = time.monotonic() - began
            done.set()
            watcher.join(timeout=10)
            peak = _status(server.pid, "VmHWM")
            known = laptop.login(PASSWORD)
            new = Client(port).login(PASSWORD)
            wait = re.search(r"wait (\d+) seconds", new[1])
            return {
                "source": str(source),
                "guesses": parallel * rounds,
                "checked": sum("do not match" in page for _, page in answers),
                "told_to_wait": sum(status == 429 for status, _ in answers),
                "failed_connections": sum(status == 0 for status, _ in answers),
                "seconds": round(elapsed, 2),
                "rss_before_mib": before // 1024,
                "peak_rss_mib": peak // 1024,
                "peak_growth_mib": (peak - before) // 1024,
                "max_threads": max(threads),
                "first_login": first,
                "known_browser_login": known[0],
                "new_browser_login": new[0],
                "new_browser_wait_s": int(wait.group(1)) if wait else 0,
            }
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=REPO)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if not 1 <= args.parallel <= 256 or not 1 <= args.rounds <= 20:
        parser.error("--parallel must be 1-256 and --rounds 1-20")
    print(json.dumps(flood(args.source.resolve(), args.parallel, args.rounds)))


if __name__ == "__main__":
    main()
