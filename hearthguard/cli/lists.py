"""``hearthguard lists``: import, update, enable, disable and remove category lists, and show
their status and the domain index's health."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from hearthguard.cli.common import (
    data_dir_option,
    fail,
    friendly_errors,
    household_data,
    policy_store,
    where,
)
from policy.datadir import DataDir
from policy.store import PolicyStore
from policy.validate import InputError

__all__ = ["lists"]


class _Progress:
    """A terminal progress bar for a download whose size may be unknown."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.shown = 0

    def __call__(self, done: int, total: int | None) -> None:
        if total:
            if self.bar is None:
                self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
                self.bar.__enter__()
            self.bar.update(done - self.shown)
            self.shown = done
        elif done - self.shown >= 1 << 20:
            click.echo(f"{self.label}: {done >> 20} MB", err=True)
            self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _age(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "-"
    seconds = (now - when).total_seconds()
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


def _print_report(report: Any) -> None:
    for parsed in report.lists:
        click.echo(
            f"  {parsed.name}\t{parsed.category}\t{parsed.entries} entries"
            f"\t{parsed.rejected_total} rejected"
        )
    for line in report.rejection_lines():
        click.echo(line, err=True)
    if report.refused_members:
        click.echo(
            f"{report.refused_members} archive members were refused (unsafe paths or "
            "links) and not unpacked.",
            err=True,
        )
    if report.replaced:
        click.echo(f"These lists now come from this source: {', '.join(report.replaced)}")
    click.echo(
        f"Index rebuilt: {report.index.domains} domains, {report.index.url_prefixes} "
        f"URL prefixes from {report.index.lists} lists."
    )


@click.group()
def lists() -> None:
    """Category lists (UT1, hosts files, AdBlock and e2guardian lists)."""


@lists.command("import")
@data_dir_option
@click.argument("source")
@click.option("--category", help="Canonical category for every entry (overrides the list's own).")
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "ut1", "hosts", "domains", "adblock", "e2guardian"]),
)
@click.option("--name", help="Name the list(s) this way instead of after the file or folder.")
@click.option("--force", is_flag=True, help="Accept a list that shrank by more than half.")
@friendly_errors
def lists_import(
    data_dir: Path | None,
    source: str,
    category: str | None,
    fmt: str,
    name: str | None,
    force: bool,
) -> None:
    """Import a list from a file, folder, .tar.gz archive or http(s) URL."""
    from policy.lists import ListError, ListLibrary

    data = household_data(data_dir)
    progress = _Progress("fetching")
    with policy_store(data.root) as store:
        try:
            report = ListLibrary(data, store).import_source(
                source, format=fmt, category=category, name=name, progress=progress, force=force
            )
        except ListError as exc:
            fail(str(exc))
        finally:
            progress.close()
    click.echo(f"Imported {report.source}:")
    _print_report(report)


@lists.command("status")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per list.")
@friendly_errors
def lists_status(data_dir: Path | None, as_json: bool) -> None:
    """Show every list: category, entries, rejected lines, last update, age, errors."""
    from classifier.lists.bundle import BUNDLE_DIR

    now = datetime.now().astimezone()
    with policy_store(data_dir) as store:
        records = store.lists()
    bundled = str(BUNDLE_DIR.resolve())
    if not as_json:
        click.echo("list\tcategory\tentries\trejected\tupdated\tage\tsource")
    for r in records:
        source = "bundled default" if r.source.startswith(bundled) else r.source
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "name": r.name,
                        "category": r.category,
                        "entries": r.entries,
                        "rejected": r.rejected,
                        "enabled": r.enabled,
                        "source": source,
                        "updated_at": r.updated_at.isoformat() if r.updated_at else None,
                        "error": r.last_error,
                    }
                )
            )
            continue
        updated = r.updated_at.astimezone().strftime("%Y-%m-%d %H:%M") if r.updated_at else "-"
        off = "" if r.enabled else " (disabled)"
        click.echo(
            f"{r.name}{off}\t{r.category}\t{r.entries}\t{r.rejected}\t{updated}"
            f"\t{_age(r.updated_at, now)}\t{source}"
        )
        if r.last_error:
            click.echo(f"  last update failed: {r.last_error}")
    _echo_index_health(where(data_dir)[0], as_json)


def _echo_index_health(root: Path, as_json: bool) -> None:
    """The compiled index's state, and what the running proxy could not load."""
    from policy.indexhealth import check_index
    from policy.status import read_status

    data = DataDir(root)
    store = PolicyStore(data.policy_db)
    try:
        health = check_index(data, store)
    finally:
        store.close()
    problems = read_status(data).get("problems", [])
    if health.problem is not None:
        click.echo(
            f"category index: UNUSABLE. {health.problem} Hearthguard blocks what it cannot "
            "check until `hearthguard lists rebuild` compiles it again.",
            err=as_json,
        )
    elif not as_json:
        click.echo(f"category index: sound, {health.keys} entries from {health.lists} lists")
    for problem in problems if isinstance(problems, list) else []:
        click.echo(f"the running proxy reports: {problem}", err=as_json)


@lists.command("rebuild")
@data_dir_option
@friendly_errors
def lists_rebuild(data_dir: Path | None) -> None:
    """Compile the category index again from the list files on disk (after damage)."""
    from hearthguard.init_data import require_household
    from policy.indexhealth import lists_missing_from
    from policy.lists import ListLibrary

    data = require_household(*where(data_dir))
    store = PolicyStore(data.policy_db)  # no set-up first: it would compile a missing index
    try:
        stats = ListLibrary(data, store).rebuild_index()
        missing = lists_missing_from(data, store)
    finally:
        store.close()
    click.echo(
        f"Rebuilt {data.index}: {stats.domains} domains and {stats.url_prefixes} URL prefixes "
        f"from {stats.lists} lists in {stats.build_seconds:.1f} s."
    )
    for name in missing:
        click.echo(
            f"The list {name} is in use but its files are gone; import it again "
            "(`hearthguard lists import …`) or remove it (`hearthguard lists remove`).",
            err=True,
        )


@lists.command("remove")
@data_dir_option
@click.argument("name")
@friendly_errors
def lists_remove(data_dir: Path | None, name: str) -> None:
    """Forget a list (as ``lists status`` names it) and stop using it."""
    _change_list(data_dir, lambda library: library.remove(name, actor="cli"))
    click.echo(f"Removed the list {name}.")


def _change_list(data_dir: Path | None, change: Callable[[Any], None]) -> None:
    """Apply ``change`` to the household's list library; a refused change is bad input."""
    from policy.lists import ListError, ListLibrary

    data = household_data(data_dir)
    with policy_store(data.root) as store:
        try:
            change(ListLibrary(data, store))
        except ListError as exc:
            raise InputError("list", str(exc)) from None


@lists.command("disable")
@data_dir_option
@click.argument("name")
@friendly_errors
def lists_disable(data_dir: Path | None, name: str) -> None:
    """Stop using a list but keep it (``lists enable`` uses it again)."""
    _change_list(data_dir, lambda library: library.set_enabled(name, False, actor="cli"))
    click.echo(f"The list {name} is no longer used; `hearthguard lists enable {name}` undoes it.")


@lists.command("enable")
@data_dir_option
@click.argument("name")
@friendly_errors
def lists_enable(data_dir: Path | None, name: str) -> None:
    """Use a disabled list again."""
    _change_list(data_dir, lambda library: library.set_enabled(name, True, actor="cli"))
    click.echo(f"The list {name} is used again.")


@lists.command("update")
@data_dir_option
@click.option("--force", is_flag=True, help="Accept a list that shrank by more than half.")
@friendly_errors
def lists_update(data_dir: Path | None, force: bool) -> None:
    """Re-fetch every list that has a URL; on any error keep the last good copy."""
    from policy.lists import ListLibrary

    data = household_data(data_dir)
    bars: list[_Progress] = []

    def progress_for(source: str) -> _Progress:
        bars.append(_Progress(source[:60]))
        return bars[-1]

    with policy_store(data.root) as store:
        try:
            outcomes = ListLibrary(data, store).update(progress_for, force=force)
        finally:
            for bar in bars:
                bar.close()
    if not outcomes:
        click.echo("No list has a URL to update from (bundled and local lists stay as they are).")
    failed = 0
    for outcome in outcomes:
        if outcome.error:
            failed += 1
            click.echo(f"Not updated, the last good copy is kept: {outcome.error}", err=True)
        else:
            click.echo(f"Updated {outcome.source}:")
            _print_report(outcome.report)
    if failed:
        sys.exit(1)
