"""Configuration imports of generated damaged files (bounded): a clear refusal that changes
nothing, or a whole valid import — never another exception and never half an import."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from policy.config_io import export_configuration, import_configuration, parse_configuration
from policy.store import PolicyStore
from policy.validate import InputError
from policy.values import Action

NOW = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
LANGS = ("en", "de", "fr", "cs")

_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["", "adult", "child", "12:00", "25:99", "2026-01-01", "1.2.3.4", "Mia"])
)
_JSON = st.recursive(
    _SCALAR,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _slots(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document where a value sits."""
    places = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            places += _slots(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            places += _slots(item, (*path, i))
    return places


def damage(doc: dict[str, Any], draw: st.DrawFn) -> Any:
    for _ in range(draw(st.integers(0, 3))):  # none: the file as exported
        places = _slots(doc)
        path = draw(st.sampled_from(places))
        replacement = draw(_JSON)
        if not path:
            return replacement
        parent: Any = doc
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = replacement
    return doc


@pytest.fixture
def household(data_dir) -> Path:
    """A policy.db with a second profile, a rule and a device; copied for each example."""
    store = PolicyStore(data_dir.policy_db)
    store.add_profile("Mia", "teen")
    store.add_rule("Mia", Action.BLOCK, "tiktok.com")
    store.add_device("Mia's phone", profile="Mia", ip="192.168.1.23", mac="aa:bb:cc:00:11:22")
    store.close()
    return data_dir.policy_db


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_damaged_configuration_is_refused_whole_or_imported_whole(household, data) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "policy.db"
        shutil.copyfile(household, db)
        store = PolicyStore(db)
        try:
            _import_damaged(store, data)
        finally:
            store.close()


def _import_damaged(store: PolicyStore, data: st.DataObject) -> None:
    doc = damage(export_configuration(store, NOW), data.draw)
    text = json.dumps(doc, allow_nan=True)
    before, version = export_configuration(store, NOW), store.version()
    try:
        profiles, devices = import_configuration(
            store, text, languages=LANGS, actor="fuzz"
        )
    except InputError as exc:
        event("refused")
        assert exc.field == "file" and exc.message and len(exc.message) < 2000
        assert store.version() == version
        assert export_configuration(store, NOW) == before
        return
    event("imported")
    after = export_configuration(store, NOW)
    assert (len(after["profiles"]), len(after["devices"])) == (profiles, devices)
    # what was imported is itself a valid configuration
    parse_configuration(json.dumps(after), languages=LANGS)


@settings(max_examples=150, deadline=None)
@given(raw=st.one_of(st.binary(max_size=300), _JSON.map(lambda v: json.dumps(v).encode())))
def test_any_file_is_refused_with_a_reason_or_parsed(raw: bytes) -> None:
    try:
        parse_configuration(raw, languages=LANGS)
    except InputError as exc:
        assert exc.field == "file" and exc.message
