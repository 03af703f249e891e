"""Parent sessions in policy.db: live until logout, a new password, removal, idle time or the
end of their lifetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from policy.policydb.schema import migrations
from policy.store import PolicyStore

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
LIFETIME = timedelta(hours=12)
IDLE = timedelta(hours=2)


def parent(store: PolicyStore, name: str = "mum") -> None:
    store.set_parent(name, "$argon2id$placeholder", actor="test")


def test_a_session_lives_while_used_and_ends_after_idle_time(store: PolicyStore) -> None:
    parent(store)
    assert store.start_session("MUM", "a", now=T0, lifetime=LIFETIME) == "mum"
    assert store.session_parent("a", now=T0 + timedelta(minutes=90), idle=IDLE) == "mum"
    # used at 90 minutes, so still live at 3 hours
    assert store.session_parent("a", now=T0 + timedelta(hours=3), idle=IDLE) == "mum"
    assert store.session_parent("a", now=T0 + timedelta(hours=5, minutes=1), idle=IDLE) is None
    assert store.session_parent("unknown", now=T0, idle=IDLE) is None


def test_a_session_ends_at_the_end_of_its_lifetime_even_when_used(store: PolicyStore) -> None:
    parent(store)
    store.start_session("mum", "a", now=T0, lifetime=LIFETIME)
    for hour in range(1, 12):
        assert store.session_parent("a", now=T0 + timedelta(hours=hour), idle=IDLE) == "mum"
    assert store.session_parent("a", now=T0 + LIFETIME, idle=IDLE) is None


def test_no_session_for_a_parent_that_does_not_exist(store: PolicyStore) -> None:
    assert store.start_session("nobody", "a", now=T0, lifetime=LIFETIME) is None
    assert store.session_parent("a", now=T0, idle=IDLE) is None


def test_logout_password_and_removal_end_sessions(store: PolicyStore) -> None:
    parent(store, "mum")
    parent(store, "dad")
    for digest in ("m1", "m2", "m3"):
        store.start_session("mum", digest, now=T0, lifetime=LIFETIME)
    store.start_session("dad", "d1", now=T0, lifetime=LIFETIME)
    store.set_parent("mum", "$argon2id$new", actor="mum", keep_session="m2")
    live = {d: store.session_parent(d, now=T0, idle=IDLE) for d in ("m1", "m2", "m3", "d1")}
    assert live == {"m1": None, "m2": "mum", "m3": None, "d1": "dad"}
    assert store.end_parent_sessions("mum") == 1
    assert store.session_parent("m2", now=T0, idle=IDLE) is None
    store.delete_parent("dad", actor="mum")
    assert store.session_parent("d1", now=T0, idle=IDLE) is None
    assert store.db.execute("SELECT count(*) FROM parent_sessions").fetchone()[0] == 0


def test_expired_sessions_are_cleaned_up_at_the_next_login(store: PolicyStore) -> None:
    parent(store)
    store.start_session("mum", "old", now=T0, lifetime=LIFETIME)
    store.start_session("mum", "new", now=T0 + timedelta(days=1), lifetime=LIFETIME)
    assert store.parent_session_count("mum") == 1


def test_the_session_table_migration_applies_to_an_existing_database(data_dir) -> None:
    first = PolicyStore(data_dir.policy_db)
    first.close()
    again = PolicyStore(data_dir.policy_db)  # migrations run again: nothing breaks
    names = set(migrations.applied(again.db))
    assert "m002_parent_sessions" in names
    assert "parent_sessions" in again.db.table_names()
    again.close()
