"""SQLite as Hearthguard's stores use it: a connection whose single statements commit
themselves, and the named schema steps (migrations) of policy.db and activity.db.

The only module that defines how a statement is committed or how a schema step is recorded.
Each applied step is a row of ``_sqlite_migrations`` (``id``, ``migration_set``, ``name``,
``applied_at``; one row per set and name), the table earlier Hearthguard versions wrote
through sqlite-utils, so their households open unchanged. Only the standard library is
imported: opening a store costs no start-up beyond ``sqlite3``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

__all__ = ["Database", "Migrations"]

#: Statements that open or close a transaction themselves: never committed behind them.
_TRANSACTION_WORDS = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})
_STEPS_TABLE = "_sqlite_migrations"


def _first_word(sql: str) -> str:
    words = sql.lstrip().split(None, 1)
    return words[0].rstrip(";").upper() if words else ""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Database:
    """One connection to a store's file.

    ``execute`` runs one statement. Outside a transaction a statement that changes the file is
    committed at once, and one that fails leaves no transaction open behind it. Inside a
    transaction (``atomic``, or the caller's own ``BEGIN``) it joins that transaction.
    Triggers fire for the rows a ``REPLACE`` removes as well (``recursive_triggers``), so
    every change is seen by the triggers that count policy versions.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute("PRAGMA recursive_triggers = on")

    def execute(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()
    ) -> sqlite3.Cursor:
        """Run ``sql`` with ``parameters``; see the class for when it is committed."""
        conn = self.conn
        was_open = conn.in_transaction
        try:
            cursor = conn.execute(sql, parameters)
        except BaseException:
            if not was_open and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if (
            not was_open
            and conn.in_transaction
            and cursor.description is None
            and _first_word(sql) not in _TRANSACTION_WORDS
        ):
            conn.execute("COMMIT")
        return cursor

    @contextmanager
    def atomic(self, begin: str = "BEGIN") -> Iterator[Database]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        conn = self.conn
        conn.execute(begin)
        try:
            yield self
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def table_names(self) -> list[str]:
        """The names of the file's tables."""
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return [r[0] for r in rows]

    def column_names(self, table: str) -> set[str]:
        """The names of ``table``'s columns (none for a table that does not exist)."""
        return {r[1] for r in self.conn.execute(f"PRAGMA table_info({_quoted(table)})")}


Step = TypeVar("Step", bound=Callable[[Database], None])


class Migrations:
    """The named schema steps of one store, applied in the order they are declared, each once.

    Declare a step with ``@migrations()`` on a function taking the ``Database``; its name is
    the function's name and never changes once released.
    """

    def __init__(self, migration_set: str) -> None:
        self.migration_set = migration_set
        self._steps: list[tuple[str, Callable[[Database], None]]] = []

    def __call__(self) -> Callable[[Step], Step]:
        def declare(step: Step) -> Step:
            name = step.__name__
            if name in self.names:
                raise ValueError(f"schema step {name} is declared twice in {self.migration_set}")
            self._steps.append((name, step))
            return step

        return declare

    @property
    def names(self) -> tuple[str, ...]:
        """Every declared step's name, in order."""
        return tuple(name for name, _step in self._steps)

    def applied(self, db: Database) -> list[str]:
        """The names of this set's steps recorded in ``db``, in the order they were applied
        (a name this version does not declare included). Reads only."""
        if _STEPS_TABLE not in db.table_names():
            return []
        return [
            r[0]
            for r in db.conn.execute(
                f"SELECT name FROM {_STEPS_TABLE} WHERE migration_set = ? ORDER BY id",
                [self.migration_set],
            )
        ]

    def apply(self, db: Database) -> list[str]:
        """Apply the steps ``db`` has not recorded, each in one transaction with its record;
        returns their names. Another process applying the same step at the same moment is
        waited for (``BEGIN IMMEDIATE``), and a step it applied is not applied again."""
        done = set(self.applied(db))
        pending = [(name, step) for name, step in self._steps if name not in done]
        if not pending:
            return []
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {_STEPS_TABLE} (id INTEGER PRIMARY KEY, "
            "migration_set TEXT, name TEXT, applied_at TEXT)"
        )
        db.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS idx_{_STEPS_TABLE}_migration_set_name "
            f"ON {_STEPS_TABLE} (migration_set, name)"
        )
        ran: list[str] = []
        for name, step in pending:
            with db.atomic("BEGIN IMMEDIATE"):
                recorded = db.conn.execute(
                    f"SELECT 1 FROM {_STEPS_TABLE} WHERE migration_set = ? AND name = ?",
                    [self.migration_set, name],
                ).fetchone()
                if recorded is not None:
                    continue
                step(db)
                db.conn.execute(
                    f"INSERT INTO {_STEPS_TABLE} (migration_set, name, applied_at) "
                    "VALUES (?, ?, ?)",
                    [self.migration_set, name, str(datetime.now(UTC))],
                )
            ran.append(name)
        return ran
