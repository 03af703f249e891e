"""A parent switches a service off on a 360 px phone, and the child's real Chromium, through a
real ``hearthguard run``, gets the block page on every one of the service's domains.

Every connection the proxy makes goes to a loopback origin (``tests/support/route_all_hosts``),
so a request the filter wrongly lets through shows up as a hit there and never leaves the
machine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from policy.accounts import create_parent
from policy.services import shipped_services
from policy.store import PolicyStore
from tests.hearthguard.test_child_browser import CHROMIUM_ARGS, trust_only
from tests.support.origin import serve_origin
from tests.support.processes import REPO, running_hearthguard
from tests.support.tls import origin_certificate

pytestmark = [pytest.mark.browser, pytest.mark.process]

PASSWORD = "correct horse battery"
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def browser(data_template: Path) -> Iterator[Browser]:
    args = [*CHROMIUM_ARGS, trust_only(data_template / "ca" / "mitmproxy-ca-cert.pem")]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        yield browser
        browser.close()


def test_the_roblox_switch_blocks_every_roblox_domain_for_the_child(
    browser, data_dir, tmp_path
) -> None:
    roblox = shipped_services().get("roblox")
    assert (
        roblox is not None
        and "roblox" not in PolicyStore(data_dir.policy_db).profile("Household").services
    )
    store = PolicyStore(data_dir.policy_db)
    store.add_device("Tablet", profile="Household", ip="127.0.0.1")
    store.update_device("Tablet", ca_trusted=True)
    create_parent(store, "mum", PASSWORD, actor="test")
    household_id = store.profile("Household").profile_id
    store.close()
    pem = origin_certificate(tmp_path, "www.roblox.com")
    script = REPO / "tests" / "support" / "route_all_hosts.py"
    with serve_origin() as http_origin, serve_origin(tls_cert=pem) as tls_origin:
        env = {
            "HG_TEST_ORIGIN_PORT": str(http_origin.port),
            "HG_TEST_TLS_ORIGIN_PORT": str(tls_origin.port),
        }
        with running_hearthguard(
            data_dir.root,
            "--set",
            f"scripts={script}",
            "--set",
            "ssl_insecure=true",
            dashboard=True,
            env=env,
        ) as (proxy_port, dashboard_port, _):
            child = browser.new_context(
                proxy={"server": f"http://127.0.0.1:{proxy_port}"}, locale="en-GB"
            ).new_page()
            # Before: Roblox opens (the child preset leaves games to parents).
            before = child.goto("http://www.roblox.com/games/123")
            assert before is not None and before.status == 200
            # (Chromium upgrades preloaded HSTS names such as roblox.com to HTTPS by itself)
            assert ("www.roblox.com", "/games/123") in http_origin.hits + tls_origin.hits

            # The parent switches Roblox off on a phone.
            dashboard = f"https://127.0.0.1:{dashboard_port}"
            parent = browser.new_context(viewport=PHONE).new_page()
            parent.goto(f"{dashboard}/login")
            parent.locator('input[name="username"]').fill("mum")
            parent.locator('input[name="password"]').fill(PASSWORD)
            parent.get_by_role("button", name="Log in").click()
            parent.goto(f"{dashboard}/profiles/{household_id}")
            parent.get_by_role("link", name="Apps").click()
            switch = parent.get_by_label("Block Roblox")
            assert switch.is_visible() and not switch.is_checked()
            switch.check()
            parent.get_by_role("button", name="Save services").click()
            saved = parent.locator("#services-saved")
            assert "Roblox" in saved.inner_text() and saved.is_visible()
            box = saved.bounding_box() or {"y": -1}
            assert 0 <= box["y"] <= PHONE["height"]  # the message is on screen, not far below

            # After the proxy's next look at policy.db: every Roblox domain is blocked.
            deadline = time.monotonic() + 15
            while True:
                response = child.goto("http://roblox.com/")
                if response is not None and response.status == 403:
                    break
                assert time.monotonic() < deadline, "the switch never reached the proxy"
                time.sleep(0.5)
            http_origin.hits.clear()
            tls_origin.hits.clear()
            for domain in roblox.domains:
                for host in (domain, f"www.{domain}"):
                    response = child.goto(f"https://{host}/play")
                    assert response is not None and response.status == 403, host
                    heading = child.get_by_role("heading", name="This page is blocked")
                    assert heading.is_visible(), host
            secure = child.goto("https://www.roblox.com/home")
            assert secure is not None and secure.status == 403
            assert child.get_by_role("heading", name="This page is blocked").is_visible()
            # (Chromium's own background requests, such as content-autofill.googleapis.com, may
            # reach the loopback origin; no Roblox request may)
            leaked = [
                host
                for host, _path in http_origin.hits + tls_origin.hits
                if shipped_services().service_of(host.split(":")[0]) is roblox
            ]
            assert leaked == []
            # other services stay open
            assert child.goto("http://minecraft.net/").status == 200  # type: ignore[union-attr]
