"""A parent's first evening with Hearthguard, in a real Chromium against a real ``hearthguard run``.

One browser context is the parent's phone (straight to the dashboard over HTTPS); another is the
child's device, whose traffic goes through the proxy (the proxy sees it as 127.0.0.1). ``*.test``
sites are routed to a loopback origin by ``tests/support/route_test_hosts.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from policy.activity import ActivityStore
from tests.support.origin import serve_origin
from tests.support.processes import REPO, running_hearthguard

pytestmark = [pytest.mark.browser, pytest.mark.process]

PASSWORD = "correct horse battery"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def eventually(check: Callable[[], bool], timeout: float = 10.0, every: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return False


def setup_link(log_path) -> str:
    found: list[str] = []

    def printed() -> bool:
        match = re.search(r"(https://\S+/setup\?token=\S+)", log_path.read_text(errors="replace"))
        if match:
            found.append(match.group(1))
        return bool(match)

    assert eventually(printed), "hearthguard run printed no set-up link"
    return found[0]


def origin_page_or_block(page: Page, url: str) -> tuple[int, str]:
    response = page.goto(url)
    assert response is not None
    return response.status, page.content()


def test_parent_sets_up_filters_a_device_and_answers_a_request(browser, data_dir, tmp_path):
    script = REPO / "tests" / "support" / "route_test_hosts.py"
    with serve_origin() as origin:
        env = {"HG_TEST_ORIGIN_PORT": str(origin.port)}
        with running_hearthguard(
            data_dir.root, "--set", f"scripts={script}", dashboard=True, env=env
        ) as (proxy_port, dashboard_port, _):
            dashboard = f"https://127.0.0.1:{dashboard_port}"
            parent = browser.new_context(ignore_https_errors=True).new_page()
            child = browser.new_context(
                proxy={"server": f"http://127.0.0.1:{proxy_port}"}
            ).new_page()

            # First-run set-up, with the link `hearthguard run` printed.
            link = setup_link(data_dir.root / "run.log")
            assert link.startswith(dashboard)
            parent.goto(link)
            parent.get_by_label("Your name (to log in)").fill("mum")
            parent.get_by_label("Parent password").fill(PASSWORD)
            parent.get_by_label("Password again").fill(PASSWORD)
            parent.get_by_role("button", name="Save and continue").click()
            parent.get_by_role("heading", name="Your household").wait_for()

            # Add a child from an age preset.
            parent.get_by_role("link", name="Add a child").first.click()
            parent.get_by_label("Child's name").fill("Mia")
            parent.get_by_label("Age").select_option("teen")
            parent.get_by_role("button", name="Create profile").click()
            parent.get_by_role("heading", name="Mia").wait_for()

            # The child's device browses; the dashboard's inbox shows it, named from its browser.
            status, body = origin_page_or_block(child, "http://site.test/")
            assert status == 200 and "hello from origin" in body

            entry = parent.locator('li.new-device[data-ip="127.0.0.1"]')

            def in_inbox_with_its_browser() -> bool:
                parent.goto(f"{dashboard}/devices/")
                return entry.count() == 1 and "Linux" in entry.get_by_label("Name").input_value()

            # named from the user agent (headless Chromium on Linux)
            assert eventually(in_inbox_with_its_browser), "the device never reached the inbox"
            entry.get_by_label("Name").fill("Mia's laptop")
            entry.get_by_label("Profile").select_option("Mia")
            entry.get_by_role("button", name="Assign").click()
            parent.locator('li.device[data-device="Mia\'s laptop"]').wait_for()
            assert parent.locator('li.new-device[data-ip="127.0.0.1"]').count() == 0

            # A deny rule: the running proxy blocks the site for this device within its poll.
            parent.goto(f"{dashboard}/profiles/Mia")
            parent.get_by_label("Site", exact=True).fill("site.test")
            parent.get_by_label("Rule").select_option("deny")
            parent.get_by_role("button", name="Add rule").click()
            assert "site.test" in parent.locator("#rules").inner_text()
            assert eventually(lambda: origin_page_or_block(child, "http://site.test/")[0] == 403)
            hits_before = len(origin.hits)
            assert origin_page_or_block(child, "http://site.test/x")[0] == 403
            assert len(origin.hits) == hits_before  # the origin is never contacted

            # The child asks (the block page's own button is another part's test; here the
            # request is created the way the proxy creates it), and the parent approves.
            activity = ActivityStore(data_dir.activity_db)
            request_id = activity.add_request(
                device="Mia's laptop",
                ip="127.0.0.1",
                profile="Mia",
                host="site.test",
                url="http://site.test/",
                category=None,
                reason="parent_denied",
                message="It's for my project",
                now=datetime.now(UTC),
            )
            activity.close()
            parent.get_by_role("link", name=re.compile("Requests")).click()
            article = parent.locator(f'article.request[data-request-id="{request_id}"]')
            assert "It's for my project" in article.inner_text()
            article.locator('button[name="duration"][value="1h"]').click()
            assert parent.locator(f'article[data-request-id="{request_id}"]').count() == 0
            assert eventually(lambda: origin_page_or_block(child, "http://site.test/")[0] == 200)
            assert "hello from origin" in child.content()

            # Activity in pictures: the charts have bars with data.
            def charts_have_data() -> bool:
                parent.goto(f"{dashboard}/activity/?profile=Mia")
                online = parent.locator('svg[data-chart="online"] rect.bar')
                blocked = parent.locator('svg[data-chart="blocked"] rect.bar')
                values = [int(v) for v in online.evaluate_all("r => r.map(b => b.dataset.value)")]
                return sum(values) > 0 and blocked.count() > 0

            assert eventually(charts_have_data), "the activity charts never showed data"
            shot = tmp_path / "activity.png"
            parent.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000 and shot.read_bytes()[:4] == b"\x89PNG"
            blocked_label = parent.locator('svg[data-chart="blocked"]').text_content() or ""
            assert "You blocked this site" in blocked_label
            box = parent.locator('svg[data-chart="online"]').bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 50

            # Test a site: the same engine as `hearthguard check`.
            parent.get_by_role("link", name="Test a site").click()
            parent.get_by_label("Web address").fill("http://site.test/page")
            parent.get_by_label("Profile").select_option("Mia")
            parent.get_by_role("button", name="Test").click()
            assert parent.locator("#decision").get_attribute("data-action") == "allow"
            assert "You allowed this site" in parent.locator("#decision").inner_text()
