"""``policy.sqlitedb``: statements commit themselves, schema steps are applied once and
recorded where earlier versions recorded them, on real SQLite files."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from policy.sqlitedb import Database, Migrations

#: ``_sqlite_migrations`` as households made before this module wrote it (sqlite-utils).
_EARLIER_STEPS_TABLE = """CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
)"""


def _open(path: Path) -> Database:
    return Database(sqlite3.connect(path, timeout=10, check_same_thread=False))


def _other_reader(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_a_change_is_committed_at_once_and_a_read_opens_no_transaction(tmp_path) -> None:
    path = tmp_path / "a.db"
    db = _open(path)
    db.execute("CREATE TABLE t (x INTEGER)")
    db.execute("INSERT INTO t (x) VALUES (?)", [1])
    assert not db.conn.in_transaction
    assert _other_reader(path, "SELECT x FROM t") == [(1,)]
    assert db.execute("SELECT x FROM t WHERE x = :x", {"x": 1}).fetchall() == [(1,)]
    assert not db.conn.in_transaction


def test_a_failed_statement_leaves_no_transaction_open(tmp_path) -> None:
    path = tmp_path / "a.db"
    db = _open(path)
    db.execute("CREATE TABLE t (x INTEGER CHECK (x > 0))")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO t (x) VALUES (0)")
    assert not db.conn.in_transaction
    db.execute("INSERT INTO t (x) VALUES (2)")
    assert _other_reader(path, "SELECT x FROM t") == [(2,)]


def test_inside_a_transaction_statements_wait_for_it(tmp_path) -> None:
    path = tmp_path / "a.db"
    db = _open(path)
    db.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(RuntimeError), db.atomic():
        db.execute("INSERT INTO t (x) VALUES (1)")
        assert _other_reader(path, "SELECT count(*) FROM t") == [(0,)]
        raise RuntimeError("half-way")
    assert not db.conn.in_transaction
    assert _other_reader(path, "SELECT count(*) FROM t") == [(0,)]
    with db.atomic():
        db.execute("INSERT INTO t (x) VALUES (3)")
    assert _other_reader(path, "SELECT x FROM t") == [(3,)]


def test_a_replace_fires_the_delete_triggers_too(tmp_path) -> None:
    """policy.db counts its versions with triggers; a REPLACE must count as a change."""
    db = _open(tmp_path / "a.db")
    db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
    db.execute("CREATE TABLE seen (what TEXT)")
    db.execute("CREATE TRIGGER d AFTER DELETE ON t BEGIN INSERT INTO seen VALUES ('d'); END")
    db.execute("INSERT INTO t VALUES ('a', '1')")
    db.execute("INSERT OR REPLACE INTO t VALUES ('a', '2')")
    assert db.execute("SELECT what FROM seen").fetchall() == [("d",)]


def test_table_and_column_names(tmp_path) -> None:
    db = _open(tmp_path / "a.db")
    db.execute('CREATE TABLE "odd ""name""" (a TEXT, b INTEGER)')
    assert db.table_names() == ['odd "name"']
    assert db.column_names('odd "name"') == {"a", "b"}
    assert db.column_names("missing") == set()


def _steps(ran: list[str]) -> Migrations:
    steps = Migrations("test.set")

    @steps()
    def m001_first(db: Database) -> None:
        ran.append("m001_first")
        db.execute("CREATE TABLE first (x INTEGER)")

    @steps()
    def m002_second(db: Database) -> None:
        ran.append("m002_second")
        db.execute("ALTER TABLE first ADD COLUMN y TEXT")

    return steps


def test_steps_are_applied_once_in_order_and_recorded(tmp_path) -> None:
    path = tmp_path / "a.db"
    ran: list[str] = []
    steps = _steps(ran)
    db = _open(path)
    assert steps.applied(db) == []
    assert steps.apply(db) == ["m001_first", "m002_second"]
    assert steps.apply(_open(path)) == []
    assert ran == ["m001_first", "m002_second"]
    assert steps.applied(db) == ["m001_first", "m002_second"]
    assert db.column_names("first") == {"x", "y"}
    rows = _other_reader(path, "SELECT migration_set, name, applied_at FROM _sqlite_migrations")
    assert [r[:2] for r in rows] == [("test.set", "m001_first"), ("test.set", "m002_second")]
    assert all(str(r[2]).endswith("+00:00") for r in rows)
    # another set's steps in the same file are its own
    assert Migrations("other.set").applied(db) == []


def test_a_household_recorded_by_earlier_versions_opens_unchanged(tmp_path) -> None:
    path = tmp_path / "a.db"
    with sqlite3.connect(path) as conn:
        conn.execute(_EARLIER_STEPS_TABLE)
        conn.execute(
            'CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name" '
            'ON "_sqlite_migrations" ("migration_set", "name")'
        )
        conn.execute("CREATE TABLE first (x INTEGER)")
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES "
            "('test.set', 'm001_first', '2026-01-01 10:00:00.000000+00:00')"
        )
    ran: list[str] = []
    db = _open(path)
    assert _steps(ran).apply(db) == ["m002_second"]
    assert ran == ["m002_second"]
    indexes = _other_reader(path, "SELECT name FROM sqlite_master WHERE type = 'index'")
    assert indexes == [("idx__sqlite_migrations_migration_set_name",)]


def test_a_failing_step_changes_nothing_and_stays_pending(tmp_path) -> None:
    path = tmp_path / "a.db"
    steps = Migrations("test.set")

    @steps()
    def m001_breaks(db: Database) -> None:
        db.execute("CREATE TABLE half (x INTEGER)")
        raise RuntimeError("disk trouble")

    db = _open(path)
    with pytest.raises(RuntimeError):
        steps.apply(db)
    assert not db.conn.in_transaction
    assert "half" not in db.table_names()
    assert steps.applied(db) == []


def test_two_processes_opening_at_once_apply_a_step_once(tmp_path) -> None:
    path = tmp_path / "a.db"
    _open(path).execute("CREATE TABLE counter (n INTEGER)")
    steps = Migrations("test.set")

    @steps()
    def m001_slow(db: Database) -> None:
        db.execute("INSERT INTO counter VALUES (1)")
        time.sleep(0.3)

    errors: list[BaseException] = []

    def open_and_apply() -> None:
        try:
            steps.apply(_open(path))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_and_apply) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert _other_reader(path, "SELECT count(*) FROM counter") == [(1,)]


def test_a_step_declared_twice_is_refused() -> None:
    steps = Migrations("test.set")

    def m001(db: Database) -> None:
        return None

    steps()(m001)
    with pytest.raises(ValueError, match="twice"):
        steps()(m001)
