"""The dashboard app on a real data directory, with an HTTPS test client and a parent login."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app
from policy.accounts import create_parent
from policy.store import PolicyStore

PASSWORD = "correct horse battery"


class HttpsClient(FlaskClient):
    """Sends every request over https://, as browsers reach the dashboard."""

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        base = kwargs.setdefault("base_url", "https://hearthguard.lan")
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Referer", base + "/")  # browsers send it on same-origin forms
        return super().open(*args, headers=headers, **kwargs)


@pytest.fixture
def app(data_dir) -> Flask:
    app = create_app({"DATA_DIR": str(data_dir.root), "TESTING": True})
    app.test_client_class = HttpsClient
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "the page has no CSRF token"
    return match.group(1)


class Auth:
    def __init__(self, client: FlaskClient, data_dir) -> None:
        self.client = client
        self.data_dir = data_dir

    def create(self, username: str = "mum", password: str = PASSWORD) -> None:
        store = PolicyStore(self.data_dir.policy_db)
        create_parent(store, username, password, actor="test")
        store.close()

    def login(self, username: str = "mum", password: str = PASSWORD):
        page = self.client.get("/login").get_data(as_text=True)
        return self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_token(page)},
        )

    def post(self, url: str, data: dict[str, str], *, form_page: str | None = None):
        """POST a form with the CSRF token taken from the page that shows it."""
        page = self.client.get(form_page or url).get_data(as_text=True)
        return self.client.post(url, data={**data, "csrf_token": csrf_token(page)})


@pytest.fixture
def auth(client: FlaskClient, data_dir) -> Iterator[Auth]:
    helper = Auth(client, data_dir)
    helper.create()
    yield helper


@pytest.fixture
def parent(auth: Auth) -> Auth:
    """A logged-in parent."""
    assert auth.login().status_code == 302
    return auth


def page_text(response) -> str:
    return response.get_data(as_text=True)
