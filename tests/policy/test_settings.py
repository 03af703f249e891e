"""Household settings: one table owns each default and check; the store reads and writes
through it, and no caller repeats a default."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from policy.config_io import export_configuration, parse_configuration
from policy.settings import RECORDS, SETTINGS, clean_setting
from policy.store import PolicyStore, load_snapshot
from policy.validate import InputError
from tests.policy.test_config_io import NOW

REPO = Path(__file__).resolve().parents[2]

#: a good value for every setting, as a parent might type it
GOOD = {
    "timezone": " Europe/Prague",
    "default_profile": " Household ",
    "country": "de",
    "language": "AUTO",
    "retention_days": "14",
    "list_update_hours": "0",
    "learning": "off",
    "lan_ranges": "192.168.1.0/24; 10.0.0.0/8",
    "connect_ports": "443 80 443",
    "chat_watch": "Household=category ,",
    "notify_urls": "json://127.0.0.1:9/hook",
    "notify_kinds": "chat, ask",
    "quiet_hours": "22:00 - 7:00",
}
#: a bad value for every setting
BAD = {
    "timezone": "Mars/Olympus",
    "default_profile": "",
    "country": "XX",
    "language": "tlh",
    "retention_days": "0",
    "list_update_hours": "-1",
    "learning": "maybe",
    "lan_ranges": "",
    "connect_ports": "99999",
    "chat_watch": "Household=loud",
    "notify_urls": "nonsense://x",
    "notify_kinds": "fireworks",
    "quiet_hours": "25:00-07:00",
}


def refusal(name: str, value: object) -> str:
    with pytest.raises(InputError) as error:
        clean_setting(name, value)
    return error.value.message


def test_the_examples_cover_every_setting() -> None:
    assert set(GOOD) == set(SETTINGS) == set(BAD)
    assert not RECORDS & set(SETTINGS)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_default_passes_its_own_check_unchanged(name) -> None:
    setting = SETTINGS[name]
    assert clean_setting(name, setting.default) == setting.default
    assert setting.help.strip().endswith(")") or setting.help.strip().endswith(".")


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_a_cleaned_value_cleans_to_itself_and_a_bad_one_is_refused(name) -> None:
    cleaned = clean_setting(name, GOOD[name])
    assert clean_setting(name, cleaned) == cleaned
    assert refusal(name, BAD[name])


def test_values_of_the_wrong_type_are_refused() -> None:
    assert clean_setting("retention_days", 14) == 14 and clean_setting("learning", False) is False
    for name, value in (("retention_days", [14]), ("country", None), ("retention_days", 1.5)):
        assert refusal(name, value)


def test_a_fresh_store_answers_every_default_and_has_none_stored(tmp_path) -> None:
    store = PolicyStore(tmp_path / "policy.db", create=True)
    assert {name: store.get_setting(name) for name in SETTINGS} == {
        name: s.default for name, s in SETTINGS.items()
    }
    assert store.stored_settings() == {}
    with pytest.raises(KeyError):
        store.get_setting("colour")


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_the_store_refuses_a_bad_value_and_writes_nothing(tmp_path, name) -> None:
    store = PolicyStore(tmp_path / "policy.db", create=True)
    store.add_profile("Household", "child")
    version = store.version()
    with pytest.raises(InputError) as error:
        store.set_setting(name, BAD[name])
    assert error.value.message == refusal(name, BAD[name])
    assert store.version() == version and store.stored_settings() == {}
    assert store.set_setting(name, GOOD[name]) == clean_setting(name, GOOD[name])
    assert store.get_setting(name) == clean_setting(name, GOOD[name])


def test_one_refused_value_among_several_writes_none(tmp_path) -> None:
    store = PolicyStore(tmp_path / "policy.db", create=True)
    version = store.version()
    with pytest.raises(InputError, match="between 1 and 365"):
        store.set_settings({"country": "DE", "retention_days": "400"})
    assert store.version() == version and store.get_setting("country") == ""
    with pytest.raises(InputError, match="no setting called"):
        store.set_setting("colour", "blue")
    with pytest.raises(InputError, match="no catalog"):
        store.set_setting("language", "pl", languages=("en", "de"))
    with pytest.raises(InputError, match="no profile called"):
        store.set_setting("default_profile", "Nobody")
    assert store.version() == version


def test_internal_records_are_not_settings(tmp_path) -> None:
    store = PolicyStore(tmp_path / "policy.db", create=True)
    store.set_record("setup_token", "abc")
    assert store.get_record("setup_token") == "abc" and store.stored_settings() == {}
    with pytest.raises(KeyError):
        store.set_record("country", "DE")
    with pytest.raises(InputError):
        store.set_setting("setup_token", "abc")


def test_a_damaged_stored_value_gives_the_snapshot_the_default(tmp_path) -> None:
    store = PolicyStore(tmp_path / "policy.db", create=True)
    store.add_profile("Household", "child")
    with store.transaction() as conn:
        for key, value in (("retention_days", "lots"), ("learning", [1]), ("country", "XX")):
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)", [key, json.dumps(value)]
            )
    snapshot = load_snapshot(store)
    assert snapshot.retention_days == SETTINGS["retention_days"].default
    assert snapshot.learning is SETTINGS["learning"].default
    assert snapshot.country == SETTINGS["country"].default


def test_a_configuration_file_refuses_a_setting_as_its_check_does(tmp_path) -> None:
    store = PolicyStore(tmp_path / "policy.db", create=True)
    store.add_profile("Household", "child")
    for name in ("timezone", "country", "retention_days"):
        doc = export_configuration(store, NOW)
        doc["settings"][name] = BAD[name]
        with pytest.raises(InputError) as error:
            parse_configuration(json.dumps(doc), languages=("en",))
        assert f"settings.{name}: {refusal(name, BAD[name])}" in error.value.message


_CALL = re.compile(r"""(get_setting|set_setting|checked_setting)\(\s*["']([a-z_]+)["']\s*(,?)""")


def test_no_caller_repeats_a_default_and_every_name_is_a_setting() -> None:
    """``get_setting("x", <default>)`` anywhere would be a second owner of x's default."""
    found: dict[str, list[str]] = {}
    for package in ("policy", "proxy_addons", "dashboard", "hearthguard", "ui", "classifier"):
        for path in sorted((REPO / package).rglob("*.py")):
            for call, name, comma in _CALL.findall(path.read_text()):
                where = str(path.relative_to(REPO))
                assert name in SETTINGS, f"{where}: {call}({name!r}) is not a setting"
                assert not (call != "set_setting" and comma), f"{where}: {call}({name!r}, ...)"
                found.setdefault(name, []).append(where)
    assert "timezone" in found and "retention_days" in found  # the scan sees the callers
