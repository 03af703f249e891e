"""The profile pages on a 360 px phone in a real Chromium: a child named with ``/`` and ``<b>``
is created, opened, renamed and deleted (after a question); an error in the offline-time form
and a successful save are on screen after the page reloads; a pasted address is shown as the
whole site the rule will cover before anything is saved."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright

from dashboard import create_app
from dashboard.serve import DashboardServer, tls_context
from hearthguard.runner import dashboard_certificate
from policy.accounts import create_parent
from policy.datadir import DataDir
from policy.store import PolicyStore

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
PHONE = {"width": 360, "height": 740}
ODD = "Tom/Jerry <b>bold</b>"


@pytest.fixture
def server(data_template: Path, tmp_path: Path) -> Iterator[tuple[str, DataDir]]:
    root = tmp_path / "data"
    shutil.copytree(data_template, root)
    data = DataDir(root)
    store = PolicyStore(data.policy_db)
    create_parent(store, "mum", PASSWORD, actor="test")
    store.close()
    app = create_app({"DATA_DIR": str(root), "PROXY_PORT": 8080})
    pem = dashboard_certificate(data, ["127.0.0.1"])
    httpd = DashboardServer("127.0.0.1", 0, app, tls_context(pem))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_port}", data
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def phone(browser: Browser, base: str) -> Page:
    page = browser.new_context(viewport=PHONE, ignore_https_errors=True, is_mobile=True).new_page()
    page.goto(f"{base}/login")
    page.locator('input[name="username"]').fill("mum")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return page


def on_screen(locator: Locator) -> bool:
    """True when the element is visible inside the 360x740 viewport right now."""
    if not locator.is_visible():
        return False
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def test_a_name_with_slash_and_markup_is_created_opened_renamed_and_deleted(
    browser, server
) -> None:
    base, data = server
    page = phone(browser, base)
    page.goto(f"{base}/profiles/new")
    page.get_by_label("Child's name").fill(ODD)
    page.get_by_role("button", name="Create profile").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=ODD, level=1).is_visible()  # as text, not markup
    assert page.locator("h1 b").count() == 0
    url = page.url
    assert url.split("/profiles/")[1].isdigit()

    page.goto(f"{base}/profiles/")
    page.get_by_role("link", name=ODD).click()
    assert page.url == url

    page.locator("#manage").get_by_label("New name").fill("Tom/Jerry <i>2</i>")
    page.get_by_role("button", name="Rename").click()
    saved = page.locator("#manage-saved")
    assert on_screen(saved) and "Tom/Jerry <i>2</i>" in saved.inner_text()

    page.get_by_role("link", name="Delete this profile…").click()
    assert page.get_by_role("heading", name="Delete Tom/Jerry <i>2</i>?").is_visible()
    page.get_by_role("link", name="No, keep it").click()
    assert page.url == url
    page.get_by_role("link", name="Delete this profile…").click()
    page.get_by_role("button", name="Yes, delete Tom/Jerry <i>2</i>").click()
    assert page.get_by_text("“Tom/Jerry <i>2</i>” was deleted").is_visible()
    store = PolicyStore(data.policy_db)
    assert store.profile_names() == ["Household"]
    store.close()


def test_offline_time_error_and_success_are_on_screen_after_submit(browser, server) -> None:
    base, data = server
    page = phone(browser, base)
    page.goto(f"{base}/profiles/Household")
    form = page.locator("#schedules")
    form.get_by_label("Name", exact=True).fill("school nights")
    form.get_by_label("Mon", exact=True).check()
    form.get_by_label("Offline from").fill("25:00")
    form.get_by_label("Until").fill("07:00")
    form.get_by_role("button", name="Add offline time").click()
    page.wait_for_load_state()
    error = page.locator("#start-error")
    assert on_screen(error), "the error is not where the parent is looking"
    assert page.evaluate("window.scrollY") > 1000  # the form is far down the page

    form = page.locator("#schedules")
    form.get_by_label("Offline from").fill("20:30")
    form.get_by_role("button", name="Add offline time").click()
    page.wait_for_load_state()
    saved = page.locator("#schedules-saved")
    assert on_screen(saved)
    assert "Offline time saved: school nights Mon 20:30–07:00." in saved.inner_text()


def test_a_pasted_address_is_confirmed_as_its_whole_site(browser, server) -> None:
    base, data = server
    page = phone(browser, base)
    page.goto(f"{base}/profiles/Household")
    rules = page.locator("#rules")
    rules.get_by_label("Site").fill("https://www.roblox.com/games/123")
    rules.get_by_role("button", name="Add rule").click()
    question = page.locator("#rule-confirm")
    assert on_screen(question)
    assert "Block roblox.com and all its sites for Household?" in question.inner_text()
    store = PolicyStore(data.policy_db)
    assert store.profile("Household").rules == ()
    store.close()
    question.get_by_role("button", name="Yes, block").click()
    saved = page.locator("#rules-saved")
    assert on_screen(saved) and "roblox.com" in saved.inner_text()
    store = PolicyStore(data.policy_db)
    assert [r.domain for r in store.profile("Household").rules] == ["roblox.com"]
    store.close()
