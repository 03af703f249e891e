"""Backup and restore: what an export holds, a faithful round trip, all-or-nothing imports."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, time, timedelta

import pytest

from policy.accounts import create_parent
from policy.config_io import export_configuration, import_configuration, parse_configuration
from policy.store import PolicyStore
from policy.validate import InputError
from policy.values import Action, Schedule

NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
LANGS = ("en", "de", "fr", "cs")


def configured(store: PolicyStore) -> None:
    store.add_profile("Mia", "teen")
    store.update_profile("Mia", blocked={"adult", "gambling", "chat"}, youtube="strict")
    store.add_rule("Mia", Action.ALLOW, "wikipedia.org")
    store.add_rule("Mia", Action.BLOCK, "tiktok.com")
    store.add_rule("Mia", Action.ALLOW, "games.example", expires_at=NOW + timedelta(hours=1))
    store.add_rule("Mia", Action.ALLOW, "old.example", expires_at=NOW - timedelta(hours=1))
    store.add_schedule("Mia", Schedule(frozenset({1, 2, 3, 4, 7}), time(20, 30), time(7), "bed"))
    store.add_device("Mia's phone", profile="Mia", ip="192.168.1.23", mac="AA:BB:CC:00:11:22")
    store.update_device("Mia's phone", ca_trusted=True, paused_until=NOW + timedelta(minutes=30))
    store.set_setting("country", "DE")
    store.set_setting("language", "de")
    create_parent(store, "mum", "correct horse battery", actor="test")


def load(document: dict, store: PolicyStore) -> tuple[int, int]:
    return import_configuration(
        store, json.dumps(document), languages=LANGS, actor="dad"
    )


def test_export_holds_the_configuration_and_no_secrets(store) -> None:
    configured(store)
    doc = export_configuration(store, NOW)
    text = json.dumps(doc)
    assert doc["format"] == "hearthguard-configuration" and doc["version"] == 1
    assert "argon2" not in text and "password" not in text and "setup_token" not in text
    assert "PRIVATE KEY" not in text
    mia = next(p for p in doc["profiles"] if p["name"] == "Mia")
    assert mia["blocked"] == ["adult", "chat", "gambling"] and mia["youtube"] == "strict"
    domains = {(r["action"], r["domain"]) for r in mia["rules"]}
    assert domains == {
        ("allow", "wikipedia.org"),
        ("deny", "tiktok.com"),
        ("allow", "games.example"),
    }  # the rule that already ended is left out
    assert mia["schedules"] == [
        {"label": "bed", "days": [1, 2, 3, 4, 7], "start": "20:30", "end": "07:00"}
    ]
    assert doc["devices"][0]["mac"] == "aa:bb:cc:00:11:22" and doc["devices"][0]["ca_trusted"]
    assert doc["settings"] == {  # every exported setting, its default when none was set
        "timezone": "",
        "default_profile": "Household",
        "retention_days": 30,
        "language": "de",
        "country": "DE",
    }


def test_import_restores_an_export_exactly(store, data_template, tmp_path) -> None:
    configured(store)
    doc = export_configuration(store, NOW)
    shutil.copytree(data_template, tmp_path / "fresh")
    fresh = PolicyStore(tmp_path / "fresh" / "policy.db")
    fresh.add_profile("Someone else", "adult")
    assert load(doc, fresh) == (2, 1)
    assert export_configuration(fresh, NOW) == doc
    assert fresh.profile_names() == ["Household", "Mia"]
    assert fresh.parent_names() == []  # accounts never travel with the file
    assert fresh.audit_log(1)[0]["actor"] == "dad"
    fresh.close()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda d: d["profiles"][1]["rules"].append({"action": "deny", "domain": "co.uk"}),
            "co.uk",
        ),
        (lambda d: d["profiles"][1]["blocked"].append("health"), "cannot be blocked"),
        (lambda d: d["profiles"][1].update(preset="baby"), "preset"),
        (lambda d: d["profiles"][1].update(url_threshold=7), "url_threshold"),
        (lambda d: d["profiles"][1].update(safesearch="yes"), "safesearch"),
        (lambda d: d["profiles"][1].update(name="<b>" * 40), "at most 64"),
        (lambda d: d["profiles"].append(dict(d["profiles"][1])), "appears twice"),
        (lambda d: d["profiles"][1]["schedules"][0].update(days=[0, 9]), "days"),
        (lambda d: d["profiles"][1]["schedules"][0].update(start="25:99"), "time of day"),
        (lambda d: d["devices"][0].update(profile="Nobody"), "must name a profile"),
        (lambda d: d["devices"][0].update(ip="300.1.1.1"), "not an IP address"),
        (lambda d: d["devices"][0].update(mac="nope"), "not a MAC address"),
        (lambda d: d["devices"].append(dict(d["devices"][0], name="Other")), "two devices"),
        (lambda d: d["settings"].update(country="XX"), "country"),
        (lambda d: d["settings"].update(language="tlh"), "language"),
        (lambda d: d["settings"].update(retention_days=0), "between 1 and 365"),
        (lambda d: d["settings"].update(setup_token="x"), "not a setting"),
        (lambda d: d.update(profiles=[]), "at least one profile"),
        (lambda d: d.update(devices={"a": 1}), "must be a list"),
    ],
)
def test_an_invalid_part_changes_nothing(store, change, problem) -> None:
    configured(store)
    doc = export_configuration(store, NOW)
    change(doc)
    version = store.version()
    before = export_configuration(store, NOW)
    with pytest.raises(InputError) as error:
        load(doc, store)
    assert error.value.field == "file" and problem in error.value.message
    assert "Nothing was changed" in error.value.message
    assert store.version() == version and export_configuration(store, NOW) == before


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a Hearthguard configuration"),
        ('{"format": "something-else"}', "not a Hearthguard configuration"),
        ('{"format": "hearthguard-configuration", "version": 99}', "version 99"),
        (" " * (1024 * 1024 + 1), "too large"),
        (b"\xff\xfe\x00", "not JSON"),
    ],
)
def test_files_that_are_not_configurations_are_refused(text, problem) -> None:
    with pytest.raises(InputError, match=problem):
        parse_configuration(text, languages=LANGS)


def test_problems_are_listed_by_where_they_are_and_capped(store) -> None:
    doc = export_configuration(store, NOW)
    doc["devices"] = [{"name": "", "profile": "Household", "ip": "bad"} for _ in range(20)]
    with pytest.raises(InputError) as error:
        parse_configuration(json.dumps(doc), languages=LANGS)
    message = error.value.message
    assert "devices[0].name: Please enter a name" in message and "devices[0].ip" in message
    assert "more)" in message and len(message) < 2000


def test_a_database_failure_during_the_import_rolls_everything_back(store) -> None:
    configured(store)
    doc = export_configuration(store, NOW)
    before = export_configuration(store, NOW)
    profiles, devices, settings = parse_configuration(
        json.dumps(doc), languages=LANGS
    )
    from policy.values import Device

    clash = [*devices, Device("Twin", "Mia", ip=devices[0].ip)]  # violates UNIQUE(ip)
    with pytest.raises(Exception, match="UNIQUE"):
        store.replace_configuration(profiles, clash, settings, actor="test")
    assert export_configuration(store, NOW) == before
