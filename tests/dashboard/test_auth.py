"""First-run setup, login, logout, throttling, and the guards around every page."""

from __future__ import annotations

from policy.accounts import new_setup_token
from policy.store import PolicyStore
from tests.dashboard.conftest import PASSWORD, csrf_token


def setup_token(data_dir) -> str:
    store = PolicyStore(data_dir.policy_db)
    token = new_setup_token(store)
    store.close()
    assert token
    return token


def test_first_run_setup_sets_the_parent_password_once(client, data_dir) -> None:
    token = setup_token(data_dir)
    assert client.get("/setup?token=wrong").status_code == 404
    page = client.get(f"/setup?token={token}")
    assert page.status_code == 200
    response = client.post(
        "/setup",
        data={
            "token": token,
            "username": "mum",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302 and response.location.endswith("/")
    assert client.get("/").status_code == 200  # logged in
    stored = PolicyStore(data_dir.policy_db).parent_hash("mum")
    assert stored and stored.startswith("$argon2") and PASSWORD not in stored
    assert client.get(f"/setup?token={token}").status_code == 404  # one time only


def test_setup_rejects_short_and_mismatched_passwords(client, data_dir) -> None:
    token = setup_token(data_dir)
    html = client.get(f"/setup?token={token}").get_data(as_text=True)
    for password, confirm, message in (
        ("short", "short", "at least 10"),
        (PASSWORD, PASSWORD + "x", "The passwords differ."),
    ):
        page = client.post(
            "/setup",
            data={
                "token": token,
                "username": "mum",
                "password": password,
                "confirm": confirm,
                "csrf_token": csrf_token(html),
            },
        )
        assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert PolicyStore(data_dir.policy_db).parent_names() == []


def test_pages_need_a_login(client, auth) -> None:
    for url in ("/", "/profiles/", "/devices/", "/profiles/Household"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location
    assert auth.login().status_code == 302
    assert client.get("/profiles/").status_code == 200


def test_wrong_password_and_throttling(client, auth, app) -> None:
    for _ in range(app.config["LOGIN_ATTEMPTS"]):
        page = auth.login(password="wrong password")
        assert page.status_code == 200 and "do not match" in page.get_data(as_text=True)
    assert auth.login().status_code == 429  # even the right password waits now


def test_post_without_csrf_token_is_refused(client, auth) -> None:
    auth.login()
    response = client.post("/profiles/new", data={"name": "Zoe", "preset": "child"})
    assert response.status_code == 400
    response = client.post("/login", data={"username": "mum", "password": PASSWORD})
    assert response.status_code == 400


def test_logout_ends_the_session(client, auth) -> None:
    auth.login()
    auth.post("/logout", {}, form_page="/")
    assert client.get("/").status_code == 302


def test_login_redirects_only_to_local_paths(client, auth) -> None:
    page = client.get("/login?next=https://evil.example/").get_data(as_text=True)
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "mum", "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.location == "/"


def test_session_cookie_flags_and_security_headers(client, auth) -> None:
    response = auth.login()
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_plain_http_is_redirected_except_public_pages(client) -> None:
    response = client.get("/login", base_url="http://hearthguard.lan")
    assert response.status_code == 301 and response.location.startswith("https://")
    assert client.get("/proxy.pac", base_url="http://hearthguard.lan").status_code == 200
    ca = client.get("/ca.pem", base_url="http://hearthguard.lan")
    assert ca.status_code == 200 and b"BEGIN CERTIFICATE" in ca.data
    assert b"PRIVATE KEY" not in ca.data
