"""Settings: household values, parents and passwords, lists, backup and restore."""

from __future__ import annotations

import io
import time

import pytest

from policy.accounts import check_password
from policy.helplines import COUNTRIES
from policy.store import PolicyStore
from tests.dashboard.conftest import PASSWORD, csrf_token, page_text


def setting(data_dir, key):
    store = PolicyStore(data_dir.policy_db)
    try:
        return store.get_setting(key)
    finally:
        store.close()


def test_household_settings_are_saved_and_checked(client, parent, data_dir) -> None:
    html = page_text(client.get("/settings/"))
    assert 'value="GB"' in html and 'value="DE"' in html and 'value="cs"' in html
    form = {
        "default_profile": "Household",
        "retention_days": "14",
        "language": "de",
        "country": "DE",
    }
    assert parent.post("/settings/household", form, form_page="/settings/").status_code == 302
    assert [setting(data_dir, k) for k in ("retention_days", "language", "country")] == [
        14,
        "de",
        "DE",
    ]
    assert setting(data_dir, "country") in COUNTRIES
    html = page_text(client.get("/settings/"))
    assert '<html lang="de">' in html  # Flask-Babel follows the household's language
    for bad, field in (
        ({**form, "retention_days": "0"}, "retention_days"),
        ({**form, "retention_days": "lots"}, "retention_days"),
        ({**form, "country": "XX"}, "country"),
        ({**form, "language": "tlh"}, "language"),
        ({**form, "default_profile": "Nobody"}, "default_profile"),
    ):
        page = parent.post("/settings/household", bad, form_page="/settings/")
        assert page.status_code == 200 and f'id="{field}-error"' in page_text(page), bad
    assert setting(data_dir, "retention_days") == 14


def test_a_second_parent_and_password_changes(client, parent, data_dir) -> None:
    add = {
        "parent-username": "dad",
        "parent-password": "another long secret",
        "parent-confirm": "another long secret",
    }
    assert parent.post("/settings/parents", add, form_page="/settings/").status_code == 302
    again = parent.post(
        "/settings/parents", {**add, "parent-username": "DAD"}, form_page="/settings/"
    )
    assert 'id="parent-username-error"' in page_text(again) and "taken" in page_text(again)
    short = parent.post(
        "/settings/parents",
        {**add, "parent-username": "gran", "parent-password": "short", "parent-confirm": "short"},
        form_page="/settings/",
    )
    assert 'id="parent-password-error"' in page_text(short)
    store = PolicyStore(data_dir.policy_db)
    assert store.parent_names() == ["dad", "mum"]
    assert check_password(store, "dad", "another long secret")
    store.close()

    wrong = parent.post(
        "/settings/password",
        {
            "mine-current": "not it",
            "mine-password": "a new long password",
            "mine-confirm": "a new long password",
        },
        form_page="/settings/",
    )
    assert 'id="mine-current-error"' in page_text(wrong)
    ok = parent.post(
        "/settings/password",
        {
            "mine-current": PASSWORD,
            "mine-password": "a new long password",
            "mine-confirm": "a new long password",
        },
        form_page="/settings/",
    )
    assert ok.status_code == 302
    store = PolicyStore(data_dir.policy_db)
    assert check_password(store, "mum", "a new long password")
    assert not check_password(store, "mum", PASSWORD)
    assert {a["action"] for a in store.audit_log(5)} >= {"parent.password"}
    store.close()

    own = parent.post("/settings/parents/mum/delete", {}, form_page="/settings/")
    assert 'id="parents-error"' in page_text(own)
    asked = parent.post("/settings/parents/dad/delete", {}, form_page="/settings/")
    assert asked.status_code == 200 and "Remove dad? They can no longer log in" in page_text(asked)
    assert "dad" in PolicyStore(data_dir.policy_db).parent_names()
    gone = parent.post("/settings/parents/dad/delete", {"confirm": "yes"}, form_page="/settings/")
    assert gone.status_code == 302
    assert PolicyStore(data_dir.policy_db).parent_names() == ["mum"]


def test_export_then_import_restores_the_configuration(client, parent, data_dir) -> None:
    parent.post("/profiles/new", {"name": "Mia", "preset": "teen"})
    parent.post("/profiles/Mia", {"action": "deny", "domain": "tiktok.com"})
    export = client.get("/settings/export")
    assert export.mimetype == "application/json"
    assert "attachment; filename=hearthguard-" in export.headers["Content-Disposition"]
    document = export.get_data(as_text=True)
    assert "argon2" not in document and "PRIVATE" not in document
    parent.post("/profiles/Mia/delete", {"confirm": "yes"}, form_page="/profiles/Mia")
    assert "Mia" not in PolicyStore(data_dir.policy_db).profile_names()
    token = csrf_token(page_text(client.get("/settings/")))
    response = client.post(
        "/settings/import",
        data={"csrf_token": token, "file": (io.BytesIO(document.encode()), "backup.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    mia = PolicyStore(data_dir.policy_db).profile("Mia")
    assert [r.domain for r in mia.rules] == ["tiktok.com"]


@pytest.mark.parametrize(
    "content",
    [b"not json", b'{"format": "hearthguard-configuration", "version": 1, "profiles": []}'],
)
def test_a_bad_import_changes_nothing_and_says_why(client, parent, data_dir, content) -> None:
    version = PolicyStore(data_dir.policy_db).version()
    token = csrf_token(page_text(client.get("/settings/")))
    page = client.post(
        "/settings/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), "x.json")},
        content_type="multipart/form-data",
    )
    html = page_text(page)
    assert page.status_code == 200 and 'id="file-error"' in html
    assert PolicyStore(data_dir.policy_db).version() == version
    missing = client.post(
        "/settings/import", data={"csrf_token": token}, content_type="multipart/form-data"
    )
    assert 'id="file-error"' in page_text(missing)


def test_uploads_over_a_megabyte_are_refused(client, parent) -> None:
    token = csrf_token(page_text(client.get("/settings/")))
    response = client.post(
        "/settings/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "big.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


def test_list_status_and_a_background_update(client, parent, data_dir) -> None:
    html = page_text(client.get("/settings/"))
    assert "hearthguard lists update" in html
    started = time.monotonic()
    response = parent.post("/settings/lists/update", {}, form_page="/settings/")
    assert response.status_code == 302 and time.monotonic() - started < 5
    log = data_dir.root / "lists-update.log"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "lists" not in log.read_text(errors="replace"):
        time.sleep(0.2)
    assert log.read_text(errors="replace").strip()  # the command ran and reported


def test_the_changes_log_shows_who_did_what(client, parent) -> None:
    parent.post("/profiles/new", {"name": "Mia", "preset": "teen"})
    settings = page_text(client.get("/settings/"))
    assert 'href="/settings/changes"' in settings and "profile.add" not in settings
    html = page_text(client.get("/settings/changes")).split('id="audit"', 1)[1]
    assert "mum" in html and "profile.add: Mia (teen)" in html


def test_the_lists_are_summed_up_and_detailed_on_their_own_page(client, parent) -> None:
    settings = page_text(client.get("/settings/"))
    section = settings.split('id="lists"', 1)[1].split("</section>", 1)[0]
    assert "lists in use" in section and 'href="/settings/lists"' in section
    assert "<table" not in section
    details = page_text(client.get("/settings/lists"))
    assert details.count("<tr>") > 10 and "ut1/gambling" in details


def test_a_refused_household_value_shows_its_check_message_and_saves_nothing(
    client, parent, data_dir
) -> None:
    from tests.policy.test_settings import refusal

    before = PolicyStore(data_dir.policy_db).version()
    form = {"default_profile": "Household", "retention_days": "400", "language": "de"}
    page = parent.post("/settings/household", {**form, "country": "DE"}, form_page="/settings/")
    assert page.status_code == 200 and 'id="retention_days-error"' in page_text(page)
    assert refusal("retention_days", "400") in page_text(page)
    assert PolicyStore(data_dir.policy_db).version() == before
    assert setting(data_dir, "language") == "" and setting(data_dir, "country") == ""
