"""The guards around every page: login everywhere but the set-up pages, HTTPS for parents,
headers, no inline script or style, huge inputs, and concurrent edits."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

import pytest

from dashboard.security import ANONYMOUS_ENDPOINTS, PUBLIC_ENDPOINTS
from policy.store import PolicyStore
from tests.dashboard.conftest import HttpsClient, csrf_token, page_text

TEMPLATES = Path(__file__).resolve().parents[2] / "dashboard" / "templates"
SAMPLE = {
    "name": "Household",
    "pid": "1",
    "did": "1",
    "domain": "example.com",
    "request_id": "1",
    "schedule_id": "1",
    "holiday_id": "1",
    "username": "mum",
    "kind": "ios",
    "filename": "hearthguard.css",
    "item_id": "0123456789abcdef",
}


def routes(app) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        for arg in rule.arguments:
            path = re.sub(rf"<(?:\w+:)?{arg}>", SAMPLE[arg], path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, path))
    return found


def test_every_admin_endpoint_needs_the_parent_login(app, client, auth) -> None:
    version = PolicyStore(auth.data_dir.policy_db).version()
    checked = 0
    for endpoint, method, path in routes(app):
        if endpoint in PUBLIC_ENDPOINTS or endpoint in ANONYMOUS_ENDPOINTS:
            continue
        checked += 1
        response = client.open(path, method=method)
        if method == "GET":
            assert response.status_code == 302, (endpoint, response.status_code)
            assert "/login" in response.location, endpoint
        else:  # refused for the missing CSRF token or the missing login, never carried out
            assert response.status_code in (302, 400), (endpoint, response.status_code)
        plain = client.open(path, method=method, base_url="http://hearthguard.lan")
        assert plain.status_code in (301, 400), endpoint  # never served over plain HTTP
    assert checked >= 25
    assert PolicyStore(auth.data_dir.policy_db).version() == version  # nothing changed


def test_a_childs_device_gets_nothing_from_admin_pages_even_with_a_token(app, auth) -> None:
    """A device that fetched a CSRF token from a public page still cannot change anything."""
    child = app.test_client()
    page = page_text(child.get("/login"))
    token = csrf_token(page)
    version = PolicyStore(auth.data_dir.policy_db).version()
    for path, form in (
        ("/profiles/Household", {"action": "allow", "domain": "casino.example"}),
        ("/devices/new", {"name": "x", "ip": "192.168.1.9", "profile": "Household"}),
        ("/settings/household", {"retention_days": "1"}),
        ("/profiles/Household/delete", {}),
    ):
        response = child.post(path, data={**form, "csrf_token": token})
        assert response.status_code == 302 and "/login" in response.location
    assert PolicyStore(auth.data_dir.policy_db).version() == version


def test_public_pages_work_without_login_over_plain_http(app, client) -> None:
    for endpoint, method, path in routes(app):
        if endpoint in PUBLIC_ENDPOINTS and method == "GET":
            path = "/static/hearthguard.css" if endpoint == "static" else path
            response = client.get(path, base_url="http://hearthguard.lan")
            assert response.status_code == 200, endpoint


def test_headers_on_every_page(client, parent) -> None:
    for path in ("/", "/requests/", "/activity/", "/settings/", "/setup-device/", "/login"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/settings/").headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert "<script" not in text and "<style" not in text, template
        assert not re.search(r"\sstyle=", text), template
        assert not re.search(r"\son[a-z]+=", text), template
        assert "|safe" not in text, template  # nothing bypasses escaping


def test_every_form_that_posts_carries_a_csrf_token() -> None:
    forms = 0
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for form in re.findall(r"<form\b[^>]*method=\"post\".*?</form>", text, re.S | re.I):
            forms += 1
            has_token = any(t in form for t in ("hidden_tag()", "csrf()", "csrf_token()"))
            assert has_token, (template.name, form[:120])
    assert forms >= 25


def test_huge_inputs_are_refused_without_an_error(client, parent) -> None:
    token = csrf_token(page_text(client.get("/profiles/new")))
    big = client.post("/profiles/new", data={"name": "x" * (2 * 1024 * 1024), "csrf_token": token})
    assert big.status_code == 413
    long = parent.post("/profiles/new", {"name": "x" * 100_000, "preset": "child"})
    assert long.status_code == 200 and 'id="name-error"' in page_text(long)
    search = client.get("/activity/log?q=" + "y" * 50_000)
    assert search.status_code in (200, 414)


def test_concurrent_edits_keep_policy_db_whole(app, parent, data_dir) -> None:
    session_cookie = parent.client.get_cookie(
        "__Host-hearthguard_session", domain="hearthguard.lan"
    )
    assert session_cookie is not None
    errors: list[str] = []

    def work(index: int) -> None:
        c = HttpsClient(app, use_cookies=True)
        c.set_cookie("__Host-hearthguard_session", session_cookie.value, domain="hearthguard.lan")
        for n in range(8):
            token = csrf_token(page_text(c.get("/profiles/Household")))
            response = c.post(
                "/profiles/Household",
                data={"action": "deny", "domain": f"site{index}-{n}.example", "csrf_token": token},
            )
            if response.status_code != 302:
                errors.append(f"{index}/{n}: {response.status_code}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    store = PolicyStore(data_dir.policy_db)
    domains = {r.domain for r in store.profile("Household").rules}
    assert domains == {f"site{i}-{n}.example" for i in range(6) for n in range(8)}
    assert len([a for a in store.audit_log(500) if a["action"] == "rule.block"]) == 48
    store.close()
    with sqlite3.connect(data_dir.policy_db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("path", ["/login?next=//evil.example", "/login?next=https://evil.example"])
def test_login_never_redirects_elsewhere(client, auth, path) -> None:
    page = page_text(client.get(path))
    response = client.post(
        path,
        data={
            "username": "mum",
            "password": "correct horse battery",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.location == "/"
