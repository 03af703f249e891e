"""Profile pages: kinds of sites by theme, protected categories, SafeSearch, rules, schedules,
renaming and deleting — every change validated, audited and escaped."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from policy.store import PolicyStore
from policy.values import Action
from tests.dashboard.conftest import page_text


def stored(data_dir, name: str = "Household"):
    store = PolicyStore(data_dir.policy_db)
    try:
        return store.profile(name)
    finally:
        store.close()


def test_categories_are_grouped_with_preset_defaults_and_protected_marked(client, parent):
    html = page_text(client.get("/profiles/Household"))
    for theme in ("Sexual content", "Risky and harmful", "Safety and security", "Social"):
        assert f"<legend>{theme}" in html
    checked = set(re.findall(r'value="(\w+)" id="cat-\w+" checked', html))
    assert checked == set(stored(parent.data_dir).blocked)
    gambling = html.split('id="cat-gambling"', 1)[1].split("</li>", 1)[0]
    assert "preset" in gambling  # the child preset blocks gambling
    games = html.split('id="cat-games"', 1)[1].split("</li>", 1)[0]
    assert "preset" not in games
    for protected in ("Sex education", "Health", "Helplines", "News", "Education"):
        assert f"{protected} · always reachable" in html
    assert 'value="health"' not in html  # no switch to block a protected category


def test_saving_the_switches(client, parent, data_dir) -> None:
    response = parent.post(
        "/profiles/Household/settings",
        {
            "blocked": ["adult", "games"],
            "strictness": "0.6",
            "youtube": "strict",
            "safesearch": "",
        },
        form_page="/profiles/Household",
    )
    assert response.status_code == 302
    profile = stored(data_dir)
    assert profile.blocked == {"adult", "games"}
    assert (profile.page_threshold, profile.content_scan, profile.youtube) == (0.6, True, "strict")
    assert not profile.safesearch and not profile.logging  # unticked boxes are off
    parent.post(
        "/profiles/Household/settings",
        {"blocked": ["adult"], "strictness": "off", "youtube": "off", "safesearch": "y"},
        form_page="/profiles/Household",
    )
    profile = stored(data_dir)
    assert not profile.content_scan and profile.safesearch and profile.youtube == "off"
    html = page_text(client.get("/profiles/Household"))
    assert '<option selected value="off">' in html


def test_protected_or_unknown_categories_and_bad_choices_are_refused(client, parent, data_dir):
    before = PolicyStore(data_dir.policy_db).version()
    for form, message in (
        ({"blocked": ["adult", "health"], "strictness": "0.8", "youtube": "off"}, "reachable"),
        ({"blocked": ["nonsense"], "strictness": "0.8", "youtube": "off"}, "Unknown kinds"),
        ({"blocked": ["adult"], "strictness": "0.1", "youtube": "off"}, "Not a valid choice"),
        ({"blocked": ["adult"], "strictness": "0.8", "youtube": "max"}, "YouTube mode must be"),
    ):
        page = parent.post("/profiles/Household/settings", form, form_page="/profiles/Household")
        assert page.status_code == 200 and message in page_text(page), form
    assert PolicyStore(data_dir.policy_db).version() == before


def test_reset_to_the_preset(client, parent, data_dir) -> None:
    parent.post(
        "/profiles/Household/settings",
        {"blocked": ["games"], "strictness": "0.8", "youtube": "off"},
        form_page="/profiles/Household",
    )
    parent.post("/profiles/Household/reset", {}, form_page="/profiles/Household")
    from policy.presets import PRESETS

    assert stored(data_dir).blocked == PRESETS["child"].blocked


def test_a_site_allowed_for_an_hour_then_removed(client, parent, data_dir) -> None:
    form = {"action": "allow", "domain": "https://www.minecraft.net/en-us", "duration": "1h"}
    asked = parent.post("/profiles/Household", form)
    # a pasted address is shown as the whole site it becomes, and nothing is saved yet
    assert asked.status_code == 200
    assert "Allow minecraft.net and all its sites for Household?" in page_text(asked)
    assert stored(data_dir).rules == ()
    response = parent.post(
        "/profiles/Household", {**form, "domain": "minecraft.net", "confirm": "minecraft.net"}
    )
    assert response.status_code == 302
    (rule,) = stored(data_dir).rules
    assert (rule.action, rule.domain) == (Action.ALLOW, "minecraft.net")
    assert "may now open minecraft.net" in page_text(client.get("/profiles/Household"))
    assert rule.expires_at is not None
    left = rule.expires_at - datetime.now().astimezone()
    assert timedelta(minutes=58) < left <= timedelta(hours=1)
    assert "until" in page_text(client.get("/profiles/Household")).split('id="rules"')[1]
    parent.post(
        "/profiles/Household/rules/minecraft.net/delete", {}, form_page="/profiles/Household"
    )
    assert stored(data_dir).rules == ()


def test_bad_rules_show_the_error_by_the_site_field(client, parent, data_dir) -> None:
    for domain, message in (
        ("co.uk", "top-level domain"),
        ("intranet", "not a valid domain"),
        ("example.org, not a domain!", "“not” is not a valid domain"),
        ("good.example bad!.example", "not a valid domain"),
        ("x" * 300, "Field cannot be longer"),
    ):
        page = parent.post("/profiles/Household", {"action": "deny", "domain": domain})
        html = page_text(page)
        assert page.status_code == 200 and 'id="domain-error"' in html and message in html
    page = parent.post(
        "/profiles/Household", {"action": "deny", "domain": "a.example", "duration": "1y"}
    )
    assert 'id="duration-error"' in page_text(page)
    assert stored(data_dir).rules == ()


def test_offline_times(client, parent, data_dir) -> None:
    response = parent.post(
        "/profiles/Household/schedules",
        {
            "label": "school nights",
            "days": ["1", "2", "3", "4", "7"],
            "start": "20:30",
            "end": "07:00",
        },
        form_page="/profiles/Household",
    )
    assert response.status_code == 302
    (schedule,) = stored(data_dir).schedules
    assert schedule.days == {1, 2, 3, 4, 7} and schedule.label == "school nights"
    html = page_text(client.get("/profiles/Household"))
    assert "school nights: 20:30–07:00" in html
    for form, field, message in (
        ({"label": "x", "days": [], "start": "20:00", "end": "21:00"}, "days", "at least one day"),
        ({"label": "x", "days": ["1"], "start": "25:00", "end": "21:00"}, "start", "not a time"),
        ({"label": "x", "days": ["1"], "start": "20:00", "end": "20:00"}, "end", "must differ"),
    ):
        page = parent.post("/profiles/Household/schedules", form, form_page="/profiles/Household")
        text = page_text(page)
        assert f'id="{field}-error"' in text and message in text, form
    assert "Offline time saved: school nights Mon, Tue, Wed, Thu, Sun 20:30–07:00." in html
    (path,) = re.findall(r"/profiles/\d+/schedules/\d+/delete", html)
    parent.post(path, {}, form_page="/profiles/Household")
    assert stored(data_dir).schedules == ()
    missing = parent.post("/profiles/Household/schedules/999/delete", {}, form_page="/profiles/")
    assert missing.status_code == 404


def _profile_id(data_dir, name: str) -> int:
    profile_id = stored(data_dir, name).profile_id
    assert profile_id is not None
    return profile_id


def test_rename_and_delete_ask_first_and_use_the_profiles_id(client, parent, data_dir) -> None:
    parent.post("/profiles/new", {"name": "Leo", "preset": "young"})
    leo = f"/profiles/{_profile_id(data_dir, 'Leo')}"
    page = parent.post(f"{leo}/rename", {"name": "household"}, form_page=leo)
    assert page.status_code == 200 and "already exists" in page_text(page)
    response = parent.post(f"{leo}/rename", {"name": "Leon"}, form_page=leo)
    assert response.status_code == 302 and response.location.endswith(f"{leo}#manage")
    assert "now called “Leon”" in page_text(client.get(leo))
    store = PolicyStore(data_dir.policy_db)
    store.add_device("Leon's tablet", profile="Leon", ip="192.168.1.77")
    store.close()
    asked = client.get(f"{leo}/delete")
    assert asked.status_code == 200 and "Delete Leon?" in page_text(asked)
    assert "move them to another profile first" in page_text(asked)
    page = parent.post(f"{leo}/delete", {"confirm": "yes"}, form_page=leo)
    assert page.status_code == 200 and "Move these devices" in page_text(page)
    page = parent.post("/profiles/Household/delete", {"confirm": "yes"}, form_page="/profiles/")
    assert "default profile cannot be deleted" in page_text(page)
    store = PolicyStore(data_dir.policy_db)
    store.delete_device("Leon's tablet")
    store.close()
    # without the confirmation page's answer nothing is deleted
    unconfirmed = parent.post(f"{leo}/delete", {}, form_page=leo)
    assert unconfirmed.status_code == 200 and "Yes, delete Leon" in page_text(unconfirmed)
    assert "Leon" in PolicyStore(data_dir.policy_db).profile_names()
    response = parent.post(f"{leo}/delete", {"confirm": "yes"}, form_page=leo)
    assert response.status_code == 302
    assert "“Leon” was deleted" in page_text(client.get(response.location))
    assert client.get(leo).status_code == 404
    assert PolicyStore(data_dir.policy_db).profile_names() == ["Household"]


def test_any_characters_in_a_name_work_by_id(client, parent, data_dir) -> None:
    odd = "Tom/Jerry <b>"
    created = parent.post("/profiles/new", {"name": odd, "preset": "child"})
    url = f"/profiles/{_profile_id(data_dir, odd)}"
    assert created.status_code == 302 and created.location.endswith(url)
    html = page_text(client.get(url))
    assert "Tom/Jerry &lt;b&gt;" in html and "<b>" not in html
    assert f'href="{url}"' in page_text(client.get("/profiles/"))
    renamed = parent.post(f"{url}/rename", {"name": "Tom/Jerry 2"}, form_page=url)
    assert renamed.status_code == 302
    assert parent.post(f"{url}/delete", {"confirm": "yes"}, form_page=url).status_code == 302
    assert PolicyStore(data_dir.policy_db).profile_names() == ["Household"]


def test_several_sites_at_once_are_split_and_confirmed(client, parent, data_dir) -> None:
    form = {"action": "deny", "domain": "https://web.roblox.com/games/1, minecraft.net"}
    asked = parent.post("/profiles/Household", form)
    assert "Block roblox.com, minecraft.net and all their sites" in page_text(asked)
    assert stored(data_dir).rules == ()
    done = parent.post(
        "/profiles/Household",
        {
            "action": "deny",
            "domain": "roblox.com, minecraft.net",
            "confirm": "roblox.com, minecraft.net",
        },
    )
    assert done.status_code == 302
    assert {r.domain for r in stored(data_dir).rules} == {"roblox.com", "minecraft.net"}
    # a plain site is saved at once
    parent.post("/profiles/Household", {"action": "deny", "domain": "Example.org"})
    assert "example.org" in {r.domain for r in stored(data_dir).rules}


def test_service_switches(client, parent, data_dir) -> None:
    from policy.presets import PRESETS

    html = page_text(client.get("/profiles/Household"))
    assert 'id="svc-tiktok"' in html and "Social networks" in html and "Games" in html
    response = parent.post(
        "/profiles/Household/services", {"service": ["roblox", "youtube"]}, form_page="/profiles/"
    )
    assert response.status_code == 302 and response.location.endswith("#services")
    assert stored(data_dir).services == {"roblox", "youtube"}
    assert "Saved: YouTube, Roblox switched off." in page_text(client.get(response.location))
    bad = parent.post(
        "/profiles/Household/services", {"service": ["roblox", "myspace"]}, form_page="/profiles/"
    )
    assert bad.status_code == 400 and "myspace" in page_text(bad)
    assert stored(data_dir).services == {"roblox", "youtube"}
    parent.post("/profiles/new", {"name": "Mia", "preset": "child"})
    assert stored(data_dir, "Mia").services == PRESETS["child"].services


def test_new_profile_from_each_preset_and_bad_input(client, parent, data_dir) -> None:
    for name, preset in (("A", "young"), ("B", "child"), ("C", "teen"), ("D", "adult")):
        assert parent.post("/profiles/new", {"name": name, "preset": preset}).status_code == 302
        assert stored(data_dir, name).preset == preset
    for form, message in (
        ({"name": "a", "preset": "toddler"}, "is not an age preset"),
        ({"name": "", "preset": "child"}, "This field is required"),
        ({"name": "b", "preset": "child"}, "already exists"),
        ({"name": "x\u0007y", "preset": "child"}, "control characters"),
    ):
        page = parent.post("/profiles/new", form)
        assert page.status_code == 200 and message in page_text(page), form


def test_html_in_a_profile_name_is_escaped_on_every_page(client, parent, data_dir) -> None:
    evil = '<img src=x onerror=alert(1)>"'
    parent.post("/profiles/new", {"name": evil, "preset": "child"})
    store = PolicyStore(data_dir.policy_db)
    store.add_device("<script>x</script>", profile=evil, ip="192.168.1.50")
    store.close()
    for url in ("/", "/profiles/", "/devices/", "/activity/", "/check/", "/settings/"):
        html = page_text(client.get(url))
        assert "<img src=x" not in html and "<script>x</script>" not in html, url
    assert "&lt;img src=x onerror=alert(1)&gt;" in page_text(client.get("/profiles/"))


def test_every_presets_strictness_has_a_name(client, parent, data_dir) -> None:
    from policy.presets import PRESETS

    for name in PRESETS:
        parent.post("/profiles/new", {"name": f"P-{name}", "preset": name})
        html = page_text(client.get(f"/profiles/{_profile_id(data_dir, f'P-{name}')}"))
        assert "Custom (" not in html, name
        assert re.search(r'<option selected value="[^"]+">', html) or re.search(
            r'<option value="[^"]+" selected>', html
        ), name


def test_a_bad_profile_is_refused_with_the_message_every_entry_point_gives(
    client, parent, data_dir
) -> None:
    from tests.policy.test_profile_fields import BAD, refusal

    for form, field in (
        ({"name": BAD["name"], "preset": "child"}, "name"),
        ({"name": "Zed", "preset": BAD["preset"]}, "preset"),
    ):
        page = parent.post("/profiles/new", form)
        assert page.status_code == 200 and refusal(field) in page_text(page), form
    before = PolicyStore(data_dir.policy_db).version()
    for form, field in (
        ({"blocked": BAD["blocked"], "strictness": "0.8", "youtube": "off"}, "blocked"),
        ({"blocked": ["adult"], "strictness": "0.8", "youtube": BAD["youtube"]}, "youtube"),
    ):
        page = parent.post("/profiles/Household/settings", form, form_page="/profiles/Household")
        assert page.status_code == 200 and refusal(field) in page_text(page), form
    page = parent.post(
        "/profiles/Household/rename", {"name": BAD["name"]}, form_page="/profiles/Household"
    )
    assert page.status_code == 200 and refusal("name") in page_text(page)
    assert PolicyStore(data_dir.policy_db).version() == before
    assert PolicyStore(data_dir.policy_db).profile_names() == ["Household"]
