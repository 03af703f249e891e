"""Test a site: the decision and why, as `hearthguard check` and the proxy decide."""

from __future__ import annotations

import json
import subprocess
import sys

from policy.store import PolicyStore
from policy.values import Action
from tests.dashboard.conftest import page_text
from tests.support.lists import make_index, parsed
from tests.support.processes import REPO


def test_the_page_shows_the_same_decision_as_hearthguard_check(client, parent, data_dir) -> None:
    make_index(data_dir.index, [parsed("ut1/gambling", "gambling", ["casino.example"])])
    store = PolicyStore(data_dir.policy_db)
    store.add_profile("Mia", "teen")
    store.add_rule("Mia", Action.ALLOW, "games.example")
    store.close()
    for url, profile in (
        ("casino.example/poker", "Household"),
        ("http://www.games.example/", "Mia"),
        ("news.example", "Mia"),
    ):
        html = page_text(parent.post("/check/", {"url": url, "profile": profile}))
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "hearthguard",
                "check",
                "--data-dir",
                str(data_dir.root),
                "--profile",
                profile,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            check=True,
        )
        expected = json.loads(cli.stdout)
        assert f'data-action="{expected["action"]}"' in html, url
        if expected["source"]:
            assert f"<code>{expected['source']}</code>" in html
    html = page_text(parent.post("/check/", {"url": "casino.example", "profile": "Household"}))
    assert "A kind of site you block" in html and "Gambling" in html
    # the list's name is behind "Details"
    assert "<summary>Details</summary>" in html.split("ut1/gambling")[0]


def test_an_answer_offers_allow_or_block_for_the_child(client, parent, data_dir) -> None:
    from tests.dashboard.conftest import csrf_token

    make_index(data_dir.index, [parsed("ut1/gambling", "gambling", ["casino.example"])])
    html = page_text(
        parent.post("/check/", {"url": "https://www.casino.example/poker", "profile": "Household"})
    )
    assert "Allow casino.example for Household</button>" in html
    household = PolicyStore(data_dir.policy_db).profile("Household").profile_id
    asked = client.post(
        f"/profiles/{household}",
        data={
            "action": "allow",
            "domain": "casino.example",
            "duration": "always",
            "ask": "1",
            "csrf_token": csrf_token(html),
        },
    )
    assert "Allow casino.example and all its sites for Household?" in page_text(asked)
    assert PolicyStore(data_dir.policy_db).profile("Household").rules == ()
    saved = client.post(
        f"/profiles/{household}",
        data={
            "action": "allow",
            "domain": "casino.example",
            "duration": "always",
            "csrf_token": csrf_token(html),
        },
    )
    assert saved.status_code == 302
    rules = PolicyStore(data_dir.policy_db).profile("Household").rules
    assert [(r.action, r.domain) for r in rules] == [(Action.ALLOW, "casino.example")]
    html = page_text(
        parent.post("/check/", {"url": "https://www.casino.example/poker", "profile": "Household"})
    )
    assert "Block casino.example for Household</button>" in html


def test_bad_addresses_and_profiles_are_shown_by_their_field(client, parent) -> None:
    for form, field in (
        ({"url": "ftp://x.example", "profile": "Household"}, "url"),
        ({"url": "", "profile": "Household"}, "url"),
        ({"url": "x" * 2500, "profile": "Household"}, "url"),
        ({"url": "example.com", "profile": "Nobody"}, "profile"),
    ):
        page = parent.post("/check/", form)
        assert page.status_code == 200 and f'id="{field}-error"' in page_text(page), form
        assert 'id="decision"' not in page_text(page)


def test_the_address_is_escaped(client, parent) -> None:
    html = page_text(
        parent.post(
            "/check/", {"url": "http://x.example/<script>alert(1)</script>", "profile": "Household"}
        )
    )
    assert "<script>alert(1)</script>" not in html
    html = page_text(client.get("/check/?url=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"))
    assert "<script>alert(1)" not in html
