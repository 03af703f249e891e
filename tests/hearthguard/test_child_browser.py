"""What the child sees, in a real Chromium through a real ``hearthguard run``, over HTTPS.

The child's browser context goes through the proxy (which sees it as 127.0.0.1, registered as a
device that trusts the household CA); ``blocked.test`` is denied by a parent rule and routed to
a loopback HTTPS origin by ``tests/support/route_test_hosts.py``.

How the browser trusts the CA: Chromium is started with ``--ignore-certificate-errors-spki-list``
naming the household CA's public key, so it accepts certificates that chain to that CA and no
others (a certificate from the origin's own throwaway CA would still fail) — the same effect as
installing the CA on a child's device, without a system trust store. The test also checks the
issuer of what was served. A second, direct context is the parent's phone on the dashboard
(whose certificate the same CA issued).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Browser, sync_playwright

from hearthguard.init_data import CA_COMMON_NAME
from policy.accounts import create_parent
from policy.activity import ActivityStore
from policy.store import PolicyStore
from policy.values import Action
from tests.support.origin import serve_origin
from tests.support.processes import REPO, running_hearthguard
from tests.support.tls import origin_certificate

pytestmark = [pytest.mark.browser, pytest.mark.process]

PASSWORD = "correct horse battery"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def trust_only(ca_pem: Path) -> str:
    """The Chromium switch that accepts certificates chaining to this CA (by its key's hash)."""
    ca = x509.load_pem_x509_certificate(ca_pem.read_bytes())
    spki = ca.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = base64.b64encode(hashlib.sha256(spki).digest()).decode()
    return f"--ignore-certificate-errors-spki-list={digest}"


@pytest.fixture(scope="module")
def browser(data_template: Path) -> Iterator[Browser]:
    """Chromium trusting the household CA every test data directory is copied with."""
    args = [*CHROMIUM_ARGS, trust_only(data_template / "ca" / "mitmproxy-ca-cert.pem")]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        yield browser
        browser.close()


def test_blocked_https_page_ask_a_parent_approve_and_reach_the_site(
    browser, data_dir, tmp_path
) -> None:
    store = PolicyStore(data_dir.policy_db)
    store.add_device("Tablet", profile="Household", ip="127.0.0.1")
    store.update_device("Tablet", ca_trusted=True)
    store.add_rule("Household", Action.BLOCK, "blocked.test")
    store.set_setting("country", "GB")
    create_parent(store, "mum", PASSWORD, actor="test")
    store.close()
    pem = origin_certificate(tmp_path, "blocked.test")
    script = REPO / "tests" / "support" / "route_test_hosts.py"
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

            # The block page, over TLS from the household CA; the origin is never contacted.
            response = child.goto("https://blocked.test/lesson?id=7")
            assert response is not None and response.status == 403
            assert (response.security_details() or {}).get("issuer") == CA_COMMON_NAME
            assert child.get_by_role("heading", name="This page is blocked").is_visible()
            assert child.get_by_text("Childline").is_visible()  # the household's country
            assert tls_origin.hits == []

            # Ask a parent, with a message; the status page waits and reloads itself.
            child.get_by_label("Message for your parent").fill("It's for my <b>homework</b>")
            child.get_by_role("button", name="Ask a parent").click()
            child.get_by_role("heading", name="Your request is on its way").wait_for()
            assert re.fullmatch(r"https://blocked\.test/\.hearthguard/request/\d+", child.url)
            assert child.get_by_text("It's for my <b>homework</b>").is_visible()  # as text
            assert child.locator('meta[http-equiv="refresh"]').get_attribute("content") == "10"
            activity = ActivityStore(data_dir.activity_db)
            [asked] = activity.requests()
            activity.close()
            assert (asked.host, asked.url, asked.device) == (
                "blocked.test",
                "https://blocked.test/lesson?id=7",
                "Tablet",
            )

            # The parent approves from the dashboard, on a direct connection.
            dashboard = f"https://127.0.0.1:{dashboard_port}"
            parent = browser.new_context().new_page()
            parent.goto(f"{dashboard}/login")
            parent.locator('input[name="username"]').fill("mum")
            parent.locator('input[name="password"]').fill(PASSWORD)
            parent.get_by_role("button", name="Log in").click()
            parent.goto(f"{dashboard}/requests/")
            request = parent.locator(f'article.request[data-request-id="{asked.request_id}"]')
            assert "It's for my <b>homework</b>" in request.inner_text()
            request.locator('button[name="duration"][value="1h"]').click()
            parent.wait_for_load_state()

            # Without anyone touching it, the child's status page reloads into the site.
            child.wait_for_url("https://blocked.test/lesson?id=7", timeout=25_000)
            assert "hello from origin" in child.content()
            assert ("blocked.test", "/lesson?id=7") in tls_origin.hits
            assert all(not path.startswith("/.hearthguard/") for _, path in tls_origin.hits)
