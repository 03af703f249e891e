"""Logins against a real ``hearthguard run``: a flood of parallel wrong passwords is rejected
with the dashboard's memory and threads bounded, the parent still gets in, and logging out on
one device ends the session on the other."""

from __future__ import annotations

import http.client
import re
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from dashboard.serve import WORKERS
from policy.accounts import create_parent
from policy.store import PolicyStore
from tests.support.processes import running_hearthguard

pytestmark = pytest.mark.process

PASSWORD = "correct horse battery"
ARGON2_MIB = 64
FLOOD = 16


def dashboard_pid(run_pid: int) -> int:
    """The ``python -m dashboard.serve`` child of a ``hearthguard run`` process."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for task in Path(f"/proc/{run_pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
                if b"dashboard.serve" in cmdline:
                    return int(child)
        time.sleep(0.2)
    raise AssertionError("hearthguard run started no dashboard process")


def status_kib(pid: int, field_name: str) -> int:
    match = re.search(rf"^{field_name}:\s+(\d+)", Path(f"/proc/{pid}/status").read_text(), re.M)
    assert match, field_name
    return int(match.group(1))


@dataclass
class Browser:
    """A minimal HTTPS client with a cookie jar, as a browser on the network would be."""

    port: int
    source: str = "127.0.0.1"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.port, timeout=60, context=context, source_address=(self.source, 0)
        )
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
            text = response.read().decode()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            if "Max-Age=0" in header or "Expires=Thu, 01 Jan 1970" in header:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, text

    def token(self, path: str = "/login") -> str:
        status, page = self.request("GET", path)
        assert status == 200, (path, status)
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        assert match, "no CSRF token"
        return match.group(1)

    def login(self, password: str, token: str | None = None) -> tuple[int, str]:
        form = {"username": "mum", "password": password, "csrf_token": token or self.token()}
        return self.request("POST", "/login", form)

    def logged_in(self) -> bool:
        status, _ = self.request("GET", "/")
        assert status in (200, 302)
        return status == 200


@pytest.fixture
def dashboard(data_dir) -> Iterator[tuple[int, int]]:
    store = PolicyStore(data_dir.policy_db)
    create_parent(store, "mum", PASSWORD, actor="test")
    store.close()
    with running_hearthguard(data_dir.root, dashboard=True) as (_, port, process):
        yield port, dashboard_pid(process.pid)


def test_logging_out_on_one_device_ends_the_session_on_the_other(dashboard) -> None:
    port, _ = dashboard
    laptop, phone = Browser(port), Browser(port, "127.0.0.2")
    assert laptop.login(PASSWORD)[0] == 302 and phone.login(PASSWORD)[0] == 302
    assert laptop.logged_in() and phone.logged_in()
    assert phone.request("POST", "/logout", {"csrf_token": phone.token("/")})[0] == 302
    assert not laptop.logged_in() and not phone.logged_in()


def test_a_flood_of_parallel_guesses_is_rejected_with_bounded_memory(dashboard) -> None:
    port, pid = dashboard
    laptop = Browser(port)  # the parent's laptop: has logged in here before
    assert laptop.login(PASSWORD)[0] == 302
    laptop.request("POST", "/logout", {"csrf_token": laptop.token("/")})

    children = [Browser(port) for _ in range(FLOOD)]
    tokens = [c.token() for c in children]
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # peak RSS starts again from here
    before = status_kib(pid, "VmRSS")
    start = threading.Barrier(FLOOD)
    answers: list[tuple[int, str]] = []
    threads_seen: list[int] = []
    flooding = threading.Event()

    def guess(child: Browser, token: str) -> None:
        start.wait(timeout=30)
        answers.append(child.login("guess12345678", token))

    def watch_threads() -> None:
        while not flooding.is_set():
            threads_seen.append(status_kib(pid, "Threads"))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch_threads)
    watcher.start()
    workers = [threading.Thread(target=guess, args=p) for p in zip(children, tokens, strict=True)]
    began = time.monotonic()
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=120)
    elapsed = time.monotonic() - began
    flooding.set()
    watcher.join(timeout=10)
    peak = status_kib(pid, "VmHWM")

    statuses = sorted(status for status, _ in answers)
    checked = sum("do not match" in page for _, page in answers)
    print(
        f"\n{FLOOD} parallel wrong logins: {statuses.count(200)} checked, "
        f"{statuses.count(429)} told to wait, {elapsed:.2f} s; dashboard RSS {before // 1024} MiB "
        f"before, peak {peak // 1024} MiB (+{(peak - before) // 1024} MiB); "
        f"at most {max(threads_seen)} threads"
    )
    assert len(answers) == FLOOD and set(statuses) <= {200, 429}  # every guess rejected
    # five are checked; on a loaded machine a few may be told "busy" instead (not counted)
    assert 1 <= checked <= 5 and statuses.count(429) == FLOOD - checked
    assert peak - before < 3 * ARGON2_MIB * 1024  # two argon2 checks at once, not sixteen
    # the accept loop, the worker pool, and argon2's own lane threads for two checks at once
    assert max(threads_seen) <= 1 + WORKERS + 2 * PasswordHasher().parallelism + 2

    # The 17th attempt, with the right password:
    assert laptop.login(PASSWORD)[0] == 302  # the parent's own browser: at once
    assert Browser(port, "127.0.0.2").login(PASSWORD)[0] == 302  # another device: at once
    newcomer = Browser(port)  # a new browser at the child's address waits the delay
    status, page = newcomer.login(PASSWORD)
    if checked == 5:
        assert status == 429 and "Please wait" in page
    waited = 0
    while status == 429 and waited <= 15:  # as the page says: wait, then try again
        match = re.search(r"wait (\d+) seconds", page)
        pause = int(match.group(1)) if match else 2  # or "busy": a few seconds
        assert pause <= 11
        time.sleep(pause)
        waited += pause
        status, page = newcomer.login(PASSWORD)
    assert status == 302
