"""A daily budget spent through a real ``hearthguard run``, and the warning banner in Chromium.

``arcade.test`` is put in the games category with a list imported the way a parent would; the
child's device is 127.0.0.1 on the profile "Mia" with a games budget of 1 minute. The first
games page loads (that minute is counted, and paid for), carries the banner, and once the
minute is over the next games request gets the time-budget page without reaching the origin,
while other sites still load.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from policy.store import PolicyStore
from tests.support.origin import Origin, serve_origin
from tests.support.processes import REPO, hearthguard, running_hearthguard

pytestmark = pytest.mark.process

CHILD = "127.0.0.1"


@dataclass
class Running:
    proxy_port: int
    origin: Origin


@pytest.fixture
def running(data_dir, tmp_path) -> Iterator[Running]:
    games = tmp_path / "arcade-games.txt"
    games.write_text("arcade.test\n")
    hearthguard(
        "lists",
        "import",
        str(games),
        "--category",
        "games",
        "--name",
        "test/games",
        data_dir=data_dir.root,
    )
    store = PolicyStore(data_dir.policy_db)
    store.add_profile("Mia", "child")
    store.add_device("Tablet", profile="Mia", ip=CHILD)
    store.set_budget("Mia", "games", 1)
    store.close()
    with serve_origin() as origin:
        env = {"HG_TEST_ORIGIN_PORT": str(origin.port)}
        script = REPO / "tests" / "support" / "route_test_hosts.py"
        with running_hearthguard(data_dir.root, "--set", f"scripts={script}", env=env) as (
            port,
            _,
            _,
        ):
            yield Running(port, origin)


def get(port: int, url: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(CHILD, 0))
    try:
        conn.request("GET", url, headers={"Accept-Language": "en"})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def wait_for_next_minute() -> None:
    """Sleep past the start of the next minute (at most 61 seconds)."""
    time.sleep(60.5 - time.time() % 60)


def test_a_one_minute_games_budget_is_spent_through_the_proxy(running: Running) -> None:
    status, body = get(running.proxy_port, "http://arcade.test/level-1")
    assert status == 200 and "hello from origin" in body
    assert 'id="hearthguard-time"' in body and "Games: 0 minutes left today." in body
    status, body = get(running.proxy_port, "http://arcade.test/.hearthguard/time")
    assert status == 200 and "Games:" in body and "used up for today" in body

    wait_for_next_minute()
    before = list(running.origin.hits)
    status, body = get(running.proxy_port, "http://arcade.test/level-2")
    assert status == 403
    assert 'data-hearthguard-page="time_budget"' in body
    assert "Ask a parent" in body and "If you need more time" in body
    assert running.origin.hits == before  # the origin never saw the blocked request

    status, body = get(running.proxy_port, "http://library.test/books")
    assert status == 200 and "hello from origin" in body and "hearthguard-time" not in body


@pytest.mark.browser
def test_the_banner_shows_in_a_real_chromium_page(running: Running) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_context(
                proxy={"server": f"http://127.0.0.1:{running.proxy_port}"}, locale="en-GB"
            ).new_page()
            page.goto("http://arcade.test/")
            banner = page.locator("#hearthguard-time")
            assert banner.is_visible()
            assert banner.inner_text().startswith("Games: 0 minutes left today.")
            text = page.get_by_text("hello from origin")
            assert text.is_visible()  # the page itself still shows, below the banner
            top, below = banner.bounding_box(), text.bounding_box()
            assert top is not None and below is not None and top["y"] < below["y"]
            banner.get_by_role("link", name="Your time today").click()
            page.get_by_role("heading", name="Your time today").wait_for()
            assert page.get_by_text("used up for today").is_visible()
        finally:
            browser.close()
