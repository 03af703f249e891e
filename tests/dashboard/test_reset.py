"""A forgotten password: ``hearthguard parent reset-password NAME`` prints a link that sets a
new password once, ends the parent's sessions, and then says it no longer works."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from hearthguard.cli import main
from policy.resets import RESET_LIFETIME, new_reset_token, reset_user
from policy.store import PolicyStore
from tests.dashboard.conftest import PASSWORD, csrf_token, page_text

NEW = "a much better password"


def _link(data_dir, name: str = "mum") -> str:
    result = CliRunner().invoke(
        main,
        [
            "parent",
            "reset-password",
            "--data-dir",
            str(data_dir.root),
            "--dashboard-url",
            "https://hearthguard.lan:8081/",
            name,
        ],
    )
    assert result.exit_code == 0, result.output
    (path,) = re.findall(
        r"https://hearthguard\.lan:8081(/reset-password\?token=\S+)", result.output
    )
    return path


def test_the_link_sets_a_new_password_once(client, parent, data_dir) -> None:
    assert client.get("/").status_code == 200  # logged in
    path = _link(data_dir)
    page = client.get(path)
    assert page.status_code == 200 and "A new password for mum" in page_text(page)
    token = path.split("token=")[1]
    short = client.post(
        "/reset-password",
        data={
            "token": token,
            "password": "short",
            "confirm": "short",
            "csrf_token": csrf_token(page_text(page)),
        },
    )
    assert "at least" in page_text(short)  # and the link still works
    done = client.post(
        "/reset-password",
        data={
            "token": token,
            "password": NEW,
            "confirm": NEW,
            "csrf_token": csrf_token(page_text(page)),
        },
    )
    assert done.status_code == 200 and "new password is saved" in page_text(done)
    # the session that was logged in is over, the old password is refused, the new one works
    assert client.get("/").status_code == 302
    assert parent.login("mum", PASSWORD).status_code != 302
    assert parent.login("mum", NEW).status_code == 302
    again = client.get(path)
    assert again.status_code == 410 and "no longer works" in page_text(again)
    replay = client.post(
        "/reset-password",
        data={
            "token": token,
            "password": "yet another password",
            "confirm": "yet another password",
            "csrf_token": csrf_token(page_text(client.get("/login"))),
        },
    )
    assert replay.status_code == 410
    assert parent.login("mum", NEW).status_code == 302


def test_a_link_expires_and_a_new_one_replaces_the_old(data_dir, auth) -> None:
    store = PolicyStore(data_dir.policy_db)
    now = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    first = new_reset_token(store, "MUM", now)
    assert reset_user(store, first, now) == "mum"
    assert reset_user(store, first, now + RESET_LIFETIME) is None
    second = new_reset_token(store, "mum", now)
    assert reset_user(store, first, now) is None and reset_user(store, second, now) == "mum"
    assert reset_user(store, "", now) is None and reset_user(store, "x" + second, now) is None
    assert reset_user(store, second, now - timedelta(seconds=1)) == "mum"
    store.close()


def test_an_unknown_parent_or_address_exits_2_and_writes_nothing(data_dir, auth) -> None:
    store = PolicyStore(data_dir.policy_db)
    version = store.version()
    store.close()
    for args in (["dad"], ["mum", "--dashboard-url", "ftp://box"]):
        result = CliRunner().invoke(
            main, ["parent", "reset-password", "--data-dir", str(data_dir.root), *args]
        )
        assert result.exit_code == 2, result.output
    store = PolicyStore(data_dir.policy_db)
    assert store.version() == version and store.get_record("password_reset") is None
    store.close()
