"""Test a site: the decision and why, as `hearthguard check` and the proxy decide."""

from __future__ import annotations

import json
import subprocess
import sys

from policy.model import Action
from policy.store import PolicyStore
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
    assert "Blocked category" in html and "Gambling" in html and "ut1/gambling" in html


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
