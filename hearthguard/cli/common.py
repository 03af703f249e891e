"""What every ``hearthguard`` command shares: ``--data-dir`` (before or after the command),
finding the household, and turning Hearthguard's own errors into one line and exit code 2."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from policy.datadir import DataDir, find_data_dir
from policy.store import PolicyStore, StoreError
from policy.validate import InputError

__all__ = [
    "EXIT_BAD_INPUT",
    "data_dir_option",
    "fail",
    "friendly_errors",
    "household_data",
    "parse_local",
    "policy_store",
    "where",
]


_F = TypeVar("_F", bound=Callable[..., Any])
EXIT_BAD_INPUT = 2


def fail(message: str) -> None:
    """Print ``message`` as one line on standard error and exit with code 2."""
    click.echo(f"hearthguard: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def friendly_errors(func: _F) -> _F:
    """Turn Hearthguard's own errors into a message and exit code 2 (no traceback)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            fail(exc.message)
        except StoreError as exc:
            fail(str(exc))
        except sqlite3.OperationalError as exc:
            if not any(word in str(exc) for word in ("locked", "busy", "full")):
                raise
            # another program holds the database past the busy timeout, or the disk is full
            fail(f"the household's database could not be changed ({exc}); try again later.")

    return wrapper  # type: ignore[return-value]


def _inherit_data_dir(ctx: click.Context, _param: click.Parameter, value: Path | None) -> Any:
    """``--data-dir`` after the subcommand wins; else the one given before it, if any."""
    if value is not None or ctx.parent is None:
        return value
    return ctx.find_root().params.get("data_dir")


data_dir_option: Callable[[Any], Any] = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    callback=_inherit_data_dir,
    help="Data directory (default: $HEARTHGUARD_DATA_DIR, else the one recorded at install "
    "time, else ./data). Accepted before or after the command.",
)


def where(data_dir: Path | None) -> tuple[Path, str]:
    """The data directory a command works on, and how it was found."""
    if data_dir is not None:
        return data_dir.absolute(), "given with --data-dir"
    return find_data_dir()


def household_data(data_dir: Path | None) -> DataDir:
    """The household a command works on; exits 2 when there is none (only `init` makes one)."""
    from hearthguard.init_data import open_household

    return open_household(*where(data_dir))


@contextmanager
def policy_store(data_dir: Path | None) -> Iterator[PolicyStore]:
    """The household's policy store, closed when the block ends (exits 2 without one)."""
    store = PolicyStore(household_data(data_dir).policy_db)
    try:
        yield store
    finally:
        store.close()


def parse_local(text: str) -> datetime:
    """A local date and time typed ``2026-10-25T23:30`` (no zone: the household's is used)."""
    try:
        value = datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        raise InputError(
            "at", f"“{text[:40]}” is not a local time, like 2026-10-25T23:30."
        ) from None
    if value.tzinfo is not None:
        raise InputError("at", "Give the time without a zone; the household's zone is used.")
    return value
