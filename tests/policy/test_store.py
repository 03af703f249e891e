"""policy.db: migrations, changes and their version bumps, refusals that write nothing."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from policy.store import PolicyStore, StoreError, load_snapshot
from policy.validate import InputError
from policy.values import Action


def test_init_created_default_profile_and_settings(store: PolicyStore) -> None:
    snapshot = load_snapshot(store)
    assert snapshot.default_profile == "Household"
    assert snapshot.profiles["Household"].preset == "child"
    assert store.get_setting("retention_days") == 30


def test_migrations_are_safe_to_apply_twice(data_dir) -> None:
    first = PolicyStore(data_dir.policy_db)
    first.add_profile("Mia", "teen")
    first.close()
    again = PolicyStore(data_dir.policy_db)
    assert "Mia" in again.profile_names()
    again.close()


def test_every_change_bumps_the_version(store: PolicyStore) -> None:
    v0 = store.version()
    store.add_profile("Mia", "teen")
    v1 = store.version()
    store.add_rule("Mia", Action.BLOCK, "example.com")
    v2 = store.version()
    store.add_device("Tablet", profile="Mia", ip="192.168.1.20")
    v3 = store.version()
    store.update_profile("Mia", safesearch=False)
    v4 = store.version()
    assert v0 < v1 < v2 < v3 < v4


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.add_profile("", "child"), "name"),
        (lambda s: s.add_profile("Household", "child"), "name"),
        (lambda s: s.add_profile("Zed", "toddler"), "preset"),
        (lambda s: s.add_profile("x" * 65, "child"), "name"),
        (lambda s: s.add_device("Phone", profile="Nobody", ip="192.168.1.5"), "profile"),
        (lambda s: s.add_device("Phone", profile="Household", ip="192.168.1.999"), "ip"),
        (lambda s: s.add_device("Phone", profile="Household", ip="10.0.0.2", mac="zz"), "mac"),
        (lambda s: s.add_rule("Household", Action.BLOCK, "not a domain"), "domain"),
        (lambda s: s.add_rule("Household", Action.BLOCK, "co.uk"), "domain"),
        (lambda s: s.add_rule("Household", Action.BLOCK, "10.0.0.999"), "domain"),
        (lambda s: s.add_rule("Nobody", Action.BLOCK, "example.com"), "profile"),
        (lambda s: s.update_profile("Household", blocked=["adult", "news"]), "blocked"),
        (lambda s: s.update_profile("Household", url_threshold=1.5), "url_threshold"),
        (lambda s: s.update_profile("Household", youtube="loud"), "youtube"),
        (lambda s: s.delete_profile("Household"), "profile"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(store: PolicyStore, call, field) -> None:
    before = (store.version(), store.profiles(), store.devices())
    with pytest.raises(InputError) as excinfo:
        call(store)
    assert excinfo.value.field == field
    assert excinfo.value.message
    assert (store.version(), store.profiles(), store.devices()) == before


def test_duplicate_device_ip_is_refused(store: PolicyStore) -> None:
    store.add_device("Tablet", profile="Household", ip="192.168.1.20")
    with pytest.raises(InputError, match="already belongs"):
        store.add_device("Phone", profile="Household", ip="192.168.1.20")


def test_lasting_rules_replace_earlier_ones_and_timed_ones_sit_beside(store: PolicyStore) -> None:
    store.add_rule("Household", Action.BLOCK, "https://www.Example.com/page")
    later = datetime.now(UTC) + timedelta(hours=1)
    store.add_rule("Household", Action.ALLOW, "www.example.com", expires_at=later)
    rules = store.profile("Household").rules
    assert sorted((r.action.value, r.domain, r.expires_at is None) for r in rules) == [
        ("allow", "www.example.com", False),
        ("block", "www.example.com", True),
    ]
    store.add_rule("Household", Action.ALLOW, "www.example.com")
    rules = store.profile("Household").rules
    assert [(r.action, r.domain, r.expires_at) for r in rules] == [
        (Action.ALLOW, "www.example.com", None)
    ]


def test_renaming_the_default_profile_keeps_it_default(store: PolicyStore) -> None:
    store.update_profile("Household", new_name="Everyone")
    assert load_snapshot(store).default_profile == "Everyone"


def test_delete_profile_refused_while_devices_use_it(store: PolicyStore) -> None:
    store.add_profile("Mia", "teen")
    store.add_device("Tablet", profile="Mia", ip="192.168.1.20")
    with pytest.raises(InputError, match="Tablet"):
        store.delete_profile("Mia")
    store.update_device("Tablet", profile="Household")
    store.delete_profile("Mia")
    assert "Mia" not in store.profile_names()


def test_changes_are_audited(store: PolicyStore) -> None:
    store.add_rule("Household", Action.BLOCK, "example.com", actor="mum")
    entry = store.audit_log(1)[0]
    assert (entry["actor"], entry["action"]) == ("mum", "rule.block")
    assert "example.com" in entry["detail"]


def test_corrupt_database_is_refused_not_recreated(tmp_path) -> None:
    path = tmp_path / "policy.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a readable"):
        PolicyStore(path)
    assert path.read_bytes() == b"this is not sqlite" * 100


def test_foreign_database_is_refused(tmp_path) -> None:
    path = tmp_path / "policy.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO photos (id) VALUES (1)")
    with pytest.raises(StoreError, match="not a Hearthguard policy database"):
        PolicyStore(path)


def test_newer_schema_is_refused(data_dir) -> None:
    conn = sqlite3.connect(data_dir.policy_db)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('hearthguard.policy', 'm999_from_the_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer version"):
        PolicyStore(data_dir.policy_db)


def test_missing_database_is_not_created_without_init(tmp_path) -> None:
    with pytest.raises(StoreError, match="hearthguard init"):
        PolicyStore(tmp_path / "policy.db")
    assert not (tmp_path / "policy.db").exists()
