"""Error pages look like the dashboard and say where to go; a used set-up link says to log in."""

from __future__ import annotations

from flask import Flask

from tests.dashboard.conftest import page_text


def test_a_missing_page_is_styled_and_leads_home(client, parent) -> None:
    response = client.get("/profiles/9999")
    html = page_text(response)
    assert response.status_code == 404
    assert "Page not found" in html and 'href="/"' in html and "hearthguard.css" in html
    assert "Not Found</h1>" not in html  # not werkzeug's bare page


def test_a_bad_form_says_it_expired(client, parent) -> None:
    response = client.post("/profiles/Household/services", data={"service": "roblox"})
    assert response.status_code == 400
    assert "The form had expired" in page_text(response)


def test_a_wrong_method_is_styled(client, parent) -> None:
    response = client.get("/profiles/Household/services")
    assert response.status_code == 405 and "hearthguard.css" in page_text(response)


def test_a_used_setup_link_says_log_in(client, parent) -> None:
    response = client.get("/setup?token=whatever-was-in-the-journal")
    html = page_text(response)
    assert response.status_code == 404
    assert "already set up" in html and 'href="/login"' in html


def test_an_unknown_setup_link_before_any_parent_is_a_plain_404(client) -> None:
    html = page_text(client.get("/setup?token=wrong"))
    assert "Page not found" in html and "already set up" not in html


def test_a_failing_page_is_a_styled_500_and_logged(app: Flask, caplog) -> None:
    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("disk on fire")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    from dashboard import security

    security.PUBLIC_ENDPOINTS = security.PUBLIC_ENDPOINTS | {"boom"}
    try:
        response = app.test_client().get("/boom")
    finally:
        security.PUBLIC_ENDPOINTS = security.PUBLIC_ENDPOINTS - {"boom"}
    assert response.status_code == 500
    assert "Something went wrong" in page_text(response)
    assert "disk on fire" not in page_text(response)
    assert "disk on fire" in caplog.text
