"""First-run setup, login, logout, revocable sessions, and the guards around every page.

The login throttle and the argon2 limit have their own file, test_login_throttle.py."""

from __future__ import annotations

from dashboard.passwords import BROWSER_COOKIE
from policy.accounts import new_setup_token
from policy.store import PolicyStore
from tests.dashboard.conftest import PASSWORD, csrf_token

SESSION_COOKIE = "__Host-hearthguard_session"
HOST = "hearthguard.lan"  # the test client's host (tests/dashboard/conftest.py)


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
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    session = cookies[SESSION_COOKIE]
    assert SESSION_COOKIE.startswith("__Host-")  # only ever set over HTTPS, for this host
    assert "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session
    assert "Path=/" in session and "Domain=" not in session and "Expires=" in session
    browser = cookies[BROWSER_COOKIE]
    assert "Secure" in browser and "HttpOnly" in browser and "SameSite=Strict" in browser
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


NEW_PASSWORD = "a brand new passphrase"


def login(client, username: str = "mum", password: str = PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(page)},
    )


def post_form(client, url: str, data: dict[str, str], form_page: str = "/settings/"):
    page = client.get(form_page).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token(page)})


def logged_in(client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_logout_ends_the_parents_sessions_on_every_device(app, client, auth) -> None:
    laptop, phone = client, app.test_client()
    assert login(laptop).status_code == 302 and login(phone).status_code == 302
    assert logged_in(laptop) and logged_in(phone)
    assert post_form(phone, "/logout", {}, form_page="/").status_code == 302
    assert not logged_in(phone) and not logged_in(laptop)
    assert PolicyStore(auth.data_dir.policy_db).parent_session_count("mum") == 0


def test_a_copied_session_cookie_is_useless_after_logout(app, client, auth) -> None:
    assert login(client).status_code == 302
    cookie = client.get_cookie(SESSION_COOKIE, domain=HOST)
    assert cookie is not None
    post_form(client, "/logout", {}, form_page="/")
    replay = app.test_client()
    replay.set_cookie(SESSION_COOKIE, cookie.value, domain=HOST)
    assert not logged_in(replay)


def test_the_cookie_alone_never_logs_anyone_in(app, client, auth) -> None:
    """Even a cookie signed with the household's key that names a parent is not a login:
    only a session recorded in policy.db is."""
    forged = app.session_interface.get_signing_serializer(app).dumps({"parent": "mum"})
    client.set_cookie(SESSION_COOKIE, forged, domain=HOST)
    assert not logged_in(client)
    assert client.get_cookie(SESSION_COOKIE, domain=HOST) is None  # the stale cookie is emptied


def test_a_new_password_ends_the_other_sessions_but_not_this_one(app, client, auth) -> None:
    phone = app.test_client()
    assert login(client).status_code == 302 and login(phone).status_code == 302
    response = post_form(
        client,
        "/settings/password",
        {"mine-current": PASSWORD, "mine-password": NEW_PASSWORD, "mine-confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302 and "saved=password" in response.location
    assert logged_in(client) and not logged_in(phone)
    assert login(phone).status_code == 200  # the old password is gone
    assert login(phone, password=NEW_PASSWORD).status_code == 302


def test_a_wrong_current_password_changes_nothing(app, client, auth) -> None:
    phone = app.test_client()
    assert login(client).status_code == 302 and login(phone).status_code == 302
    response = post_form(
        client,
        "/settings/password",
        {
            "mine-current": "not it at all",
            "mine-password": NEW_PASSWORD,
            "mine-confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200 and "not your current password" in response.get_data(
        as_text=True
    )
    assert logged_in(client) and logged_in(phone)


def test_removing_a_parent_ends_their_sessions(app, client, auth) -> None:
    auth.create("dad", NEW_PASSWORD)
    dad = app.test_client()
    assert login(dad, "dad", NEW_PASSWORD).status_code == 302 and logged_in(dad)
    assert login(client).status_code == 302
    response = post_form(client, "/settings/parents/dad/delete", {"confirm": "yes"})
    assert response.status_code == 302
    assert not logged_in(dad) and logged_in(client)
    assert PolicyStore(auth.data_dir.policy_db).parent_names() == ["mum"]


def test_a_password_set_from_another_account_ends_that_parents_sessions(
    app, client, auth, data_dir
) -> None:
    """A parent's password reset outside their own session (the command line or a restore
    script) ends every session they had."""
    phone = app.test_client()
    assert login(phone).status_code == 302
    auth.create("mum", NEW_PASSWORD)
    assert not logged_in(phone)
