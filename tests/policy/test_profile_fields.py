"""Profile validity has one owner: the store, configuration import (and, in their own tests,
the dashboard and the CLI) refuse the same bad profile with the same message."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from policy.config_io import export_configuration, parse_configuration
from policy.presets import PRESETS
from policy.profile_fields import (
    clean_blocked,
    clean_flag,
    clean_preset,
    clean_profile_name,
    clean_services,
    clean_threshold,
    clean_youtube,
)
from policy.services import shipped_services
from policy.store import PolicyStore
from policy.validate import InputError
from tests.policy.test_config_io import NOW

#: one bad value per profile field, as the dashboard, the CLI and a configuration file give it
BAD: dict[str, Any] = {
    "name": "x" * 65,
    "preset": "toddler",
    "blocked": ["adult", "health"],
    "url_threshold": 1.5,
    "page_threshold": 0,
    "youtube": "loud",
    "services": ["tiktok", "no-such-service"],
    "safesearch": "yes",
}


def refusal(field: str, value: Any = None) -> str:
    """The message ``policy.profile_fields`` refuses ``value`` (default: ``BAD[field]``) with."""
    value = BAD[field] if value is None else value
    checks: dict[str, Callable[[], object]] = {
        "name": lambda: clean_profile_name(value),
        "preset": lambda: clean_preset(value),
        "blocked": lambda: clean_blocked(value),
        "url_threshold": lambda: clean_threshold(value, field),
        "page_threshold": lambda: clean_threshold(value, field),
        "youtube": lambda: clean_youtube(value),
        "services": lambda: clean_services(value, shipped_services().ids),
        "safesearch": lambda: clean_flag(value, field),
    }
    with pytest.raises(InputError) as error:
        checks[field]()
    return error.value.message


def test_each_bad_value_is_refused_with_a_message_that_names_it() -> None:
    assert "64" in refusal("name")
    assert "toddler" in refusal("preset") and "young" in refusal("preset")
    assert refusal("blocked") == "health must stay reachable and cannot be blocked."
    assert refusal("url_threshold") == refusal("page_threshold")
    assert "off, moderate, strict" in refusal("youtube")
    assert refusal("services") == "Unknown services: no-such-service."
    assert refusal("name", 7) == "Please enter a name."


def test_cleaned_values_are_normalised() -> None:
    assert clean_blocked([" Adult ", "gambling", "adult"]) == {"adult", "gambling"}
    assert clean_threshold("0.7") == 0.7 and clean_threshold(1) == 1.0
    assert clean_preset("teen") is PRESETS["teen"]
    for bad in (True, None, "", "a lot", float("nan"), -0.1):
        with pytest.raises(InputError):
            clean_threshold(bad)
    for bad in ("adult", None, [None], [""], ["x" * 65]):
        with pytest.raises(InputError):
            clean_blocked(bad)


@pytest.mark.parametrize("field", ["name", "preset"])
def test_adding_a_profile_refuses_as_the_field_check_does(tmp_path, field) -> None:
    store = PolicyStore(tmp_path / "policy.db", create=True)
    args = {"name": "Mia", "preset": "teen", field: BAD[field]}
    with pytest.raises(InputError) as error:
        store.add_profile(args["name"], args["preset"])
    assert error.value.message == refusal(field) and error.value.field == field
    assert store.profile_names() == []


@pytest.mark.parametrize("field", sorted(set(BAD) - {"name", "preset"}))
def test_changing_a_profile_refuses_as_the_field_check_does(tmp_path, field) -> None:
    store = PolicyStore(tmp_path / "policy.db", create=True)
    before = store.add_profile("Mia", "child")
    version = store.version()
    with pytest.raises(InputError) as error:
        store.update_profile("Mia", **{field: BAD[field]})
    assert error.value.message == refusal(field)
    assert store.version() == version and store.profile("Mia") == before


def test_renaming_refuses_as_the_name_check_does(tmp_path) -> None:
    store = PolicyStore(tmp_path / "policy.db", create=True)
    store.add_profile("Mia", "child")
    with pytest.raises(InputError) as error:
        store.update_profile("Mia", new_name=BAD["name"])
    assert error.value.message == refusal("name")


@pytest.mark.parametrize("field", sorted(BAD))
def test_a_configuration_file_refuses_as_the_field_check_does(tmp_path, field) -> None:
    store = PolicyStore(tmp_path / "policy.db", create=True)
    store.add_profile("Mia", "child")
    store.set_setting("default_profile", "Mia")
    doc = export_configuration(store, NOW)
    doc["profiles"][0][field] = BAD[field]
    with pytest.raises(InputError) as error:
        parse_configuration(json.dumps(doc), languages=("en",))
    assert f"profiles[0].{field}: {refusal(field)}" in error.value.message
