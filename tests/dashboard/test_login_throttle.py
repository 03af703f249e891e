"""The login throttle through the dashboard: parallel guesses are checked at most five times,
a child's guesses never lock out a parent, the right password gets in after the delay, and
argon2 checks wait for one of two turns."""

from __future__ import annotations

import threading

import pytest
from flask import Flask

from dashboard import create_app
from tests.dashboard.conftest import PASSWORD, HttpsClient, csrf_token, page_text

CHILD = "192.168.1.50"
PARENT_PHONE = "192.168.1.20"


class Clock:
    """The throttle's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(data_dir, clock: Clock) -> Flask:
    app = create_app({"DATA_DIR": str(data_dir.root), "TESTING": True, "LOGIN_CLOCK": clock})
    app.test_client_class = HttpsClient
    return app


def browser(app: Flask, address: str = CHILD) -> HttpsClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client  # type: ignore[return-value]


def login(client, password: str, username: str = "mum"):
    token = csrf_token(page_text(client.get("/login")))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def checked_and_wrong(response) -> bool:
    return response.status_code == 200 and "do not match" in page_text(response)


def test_sixteen_parallel_guesses_are_checked_five_times(app, auth) -> None:
    """Check and record are one step: parallel guesses see each other."""
    clients = [browser(app) for _ in range(16)]
    tokens = [csrf_token(page_text(c.get("/login"))) for c in clients]
    start = threading.Barrier(16)
    results: list[int] = []
    texts: list[str] = []

    def guess(client, token: str) -> None:
        start.wait(timeout=30)
        response = client.post(
            "/login", data={"username": "mum", "password": "guess123456", "csrf_token": token}
        )
        results.append(response.status_code)
        texts.append(page_text(response))

    threads = [
        threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    checked = sum("do not match" in t for t in texts)
    busy = sum("busy" in t for t in texts)  # only on a heavily loaded machine
    assert len(results) == 16 and set(results) <= {200, 429}
    assert results.count(200) == checked <= 5
    assert sum("Please wait" in t for t in texts) == 16 - checked - busy
    assert checked == 5 or busy > 0  # fewer only when some found both argon2 turns taken


def test_a_childs_guesses_never_lock_out_the_parents_own_browser(app, auth) -> None:
    """The parent's laptop browses through the proxy, so the dashboard sees the same address
    for it as for the child; it has logged in before, which the child's browser has not."""
    laptop = browser(app, CHILD)
    assert login(laptop, PASSWORD).status_code == 302
    laptop.post("/logout", data={"csrf_token": csrf_token(page_text(laptop.get("/")))})
    child = browser(app, CHILD)
    outcomes = [login(child, f"guess {n:04d}xyz").status_code for n in range(40)]
    assert outcomes[:5] == [200] * 5 and set(outcomes[5:]) == {429}
    assert login(laptop, PASSWORD).status_code == 302  # at once, from the same address
    assert login(browser(app, PARENT_PHONE), PASSWORD).status_code == 302  # another device


def test_the_right_password_gets_in_after_the_delay_from_a_new_browser(app, auth, clock) -> None:
    child = browser(app, CHILD)
    for _ in range(5):
        assert checked_and_wrong(login(child, "guess123456"))
    newcomer = browser(app, CHILD)  # the parent on a borrowed computer, same address
    waiting = login(newcomer, PASSWORD)
    assert waiting.status_code == 429 and "wait 11 seconds" in page_text(waiting)
    clock.advance(10)
    assert login(newcomer, PASSWORD).status_code == 302


def test_each_further_guess_waits_twice_as_long(app, auth, clock) -> None:
    child = browser(app, CHILD)
    for _ in range(5):
        assert checked_and_wrong(login(child, "guess123456"))
    waits = []
    for _ in range(4):
        elapsed = 0
        while login(child, "guess123456").status_code == 429:
            clock.advance(1)
            elapsed += 1
            assert elapsed < 1000
        waits.append(elapsed)
    assert waits == [10, 20, 40, 80]


def test_trying_other_names_does_not_give_more_guesses(app, auth) -> None:
    child = browser(app, CHILD)
    checked = sum(
        checked_and_wrong(login(child, "guess123456", username=f"name{n}")) for n in range(30)
    )
    assert checked == 20  # the address's own allowance, whatever the names
    assert login(browser(app, PARENT_PHONE), PASSWORD).status_code == 302


def test_guessing_from_several_addresses_is_limited_per_account(app, auth) -> None:
    checked = 0
    for n in range(6):
        device = browser(app, f"192.168.1.{100 + n}")
        checked += sum(checked_and_wrong(login(device, "guess123456")) for _ in range(5))
    assert checked == 10
    laptop = browser(app, CHILD)
    assert login(laptop, PASSWORD).status_code == 429  # a new browser waits too ...


def test_busy_password_checks_say_try_again_and_count_nothing(app, auth) -> None:
    slots = app.extensions["hearthguard.argon2"]
    app.config["ARGON2_WAIT"] = 0.05
    assert slots.acquire(timeout=1) and slots.acquire(timeout=1)  # both turns taken
    try:
        child = browser(app, CHILD)
        for _ in range(8):
            busy = login(child, "guess123456")
            assert busy.status_code == 429 and "busy" in page_text(busy)
    finally:
        slots.release()
        slots.release()
    assert login(browser(app, CHILD), PASSWORD).status_code == 302  # nothing was counted


def test_guessing_the_current_password_on_the_settings_page_is_throttled(app, auth) -> None:
    laptop = browser(app, PARENT_PHONE)
    assert login(laptop, PASSWORD).status_code == 302
    new = "a brand new passphrase"
    answers = []
    for _ in range(7):
        token = csrf_token(page_text(laptop.get("/settings/")))
        response = laptop.post(
            "/settings/password",
            data={
                "mine-current": "guess123456",
                "mine-password": new,
                "mine-confirm": new,
                "csrf_token": token,
            },
        )
        answers.append("Too many attempts" in page_text(response))
    assert answers == [False] * 5 + [True] * 2


def test_a_password_change_while_argon2_is_busy_changes_nothing(app, auth) -> None:
    laptop = browser(app, PARENT_PHONE)
    assert login(laptop, PASSWORD).status_code == 302
    slots = app.extensions["hearthguard.argon2"]
    app.config["ARGON2_WAIT"] = 0.05
    assert slots.acquire(timeout=1) and slots.acquire(timeout=1)
    try:
        token = csrf_token(page_text(laptop.get("/settings/")))
        new = "a brand new passphrase"
        response = laptop.post(
            "/settings/password",
            data={"mine-current": PASSWORD, "mine-password": new, "mine-confirm": new},
        )
        assert response.status_code == 400  # no CSRF token: refused before any work
        response = laptop.post(
            "/settings/password",
            data={
                "mine-current": PASSWORD,
                "mine-password": new,
                "mine-confirm": new,
                "csrf_token": token,
            },
        )
        assert response.status_code == 200 and "busy" in page_text(response)
    finally:
        slots.release()
        slots.release()
    assert login(browser(app, CHILD), PASSWORD).status_code == 302  # the password is unchanged


def test_the_dashboard_may_rest_only_once_failures_are_forgotten(app, auth, clock) -> None:
    """The counters live in memory: while one holds a failure, the dashboard must not stop."""
    from dashboard.background import jobs_running
    from dashboard.passwords import failures_remembered

    assert not failures_remembered(app) and not jobs_running(app)
    assert checked_and_wrong(login(browser(app), "guess12345678"))
    assert failures_remembered(app)
    clock.advance(app.config["LOGIN_WINDOW"] - 1)
    assert failures_remembered(app)
    clock.advance(2)
    assert not failures_remembered(app)


def test_a_right_password_leaves_nothing_that_keeps_the_dashboard_up(app, auth) -> None:
    from dashboard.passwords import failures_remembered

    assert login(browser(app, PARENT_PHONE), PASSWORD).status_code == 302
    assert not failures_remembered(app)
