"""The ``hearthguard`` command: set up, run, and manage the household's policy.

Only ``init`` creates a household; every other command pointed at a folder without one says so
and exits with code 2. Bad input (unknown names, invalid
domains or addresses) prints a clear message and exits with code 2, writing nothing.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from policy.check import CheckedLines, batch_url_verdicts, check_lines
from policy.datadir import DataDir, default_data_dir, find_data_dir
from policy.presets import PRESETS, preset
from policy.store import PolicyStore, StoreError, load_snapshot
from policy.timerules import at_local
from policy.validate import InputError
from policy.values import Action, Profile

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])
EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    click.echo(f"hearthguard: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def friendly_errors(func: F) -> F:
    """Turn Hearthguard's own errors into a message and exit code 2 (no traceback)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            _fail(exc.message)
        except StoreError as exc:
            _fail(str(exc))
        except sqlite3.OperationalError as exc:
            if not any(word in str(exc) for word in ("locked", "busy", "full")):
                raise
            # another program holds the database past the busy timeout, or the disk is full
            _fail(f"the household's database could not be changed ({exc}); try again later.")

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


def _where(data_dir: Path | None) -> tuple[Path, str]:
    """The data directory a command works on, and how it was found."""
    if data_dir is not None:
        return data_dir.absolute(), "given with --data-dir"
    return find_data_dir()


def _data(data_dir: Path | None) -> DataDir:
    """The household a command works on; exits 2 when there is none (only `init` makes one)."""
    from hearthguard.init_data import open_household

    return open_household(*_where(data_dir))


@contextmanager
def _store(data_dir: Path | None) -> Iterator[PolicyStore]:
    store = PolicyStore(_data(data_dir).policy_db)
    try:
        yield store
    finally:
        store.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hearthguard")
@data_dir_option
def main(data_dir: Path | None) -> None:
    """Hearthguard: a household parental-control filtering proxy."""


@main.command()
@data_dir_option
@friendly_errors
def init(data_dir: Path | None) -> None:
    """Create the data directory: databases, CA certificate, secrets (idempotent)."""
    from hearthguard.init_data import init_data_dir

    result = init_data_dir((data_dir or default_data_dir()).absolute())
    for path in result.created:
        click.echo(f"created {path}")
    click.echo(f"Hearthguard data directory ready: {result.data.root}")


@main.command()
@data_dir_option
@click.option(
    "--listen-host",
    default="0.0.0.0",
    show_default=True,
    help="Address the proxy and dashboard listen on.",
)
@click.option("--proxy-port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option(
    "--dashboard-port",
    type=click.IntRange(0, 65535),
    default=8081,
    show_default=True,
    help="0 disables the dashboard.",
)
@click.option(
    "--mode",
    "modes",
    multiple=True,
    help="mitmproxy mode spec, repeatable (regular, transparent, wireguard:..., dns@53).",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="OPTION=VALUE",
    help="Set a mitmproxy option, e.g. ssl_insecure=true (repeatable).",
)
@friendly_errors
def run(
    data_dir: Path | None,
    listen_host: str,
    proxy_port: int,
    dashboard_port: int,
    modes: tuple[str, ...],
    settings: tuple[str, ...],
) -> None:
    """Start the filtering proxy and the parent dashboard (in the foreground)."""
    from hearthguard.init_data import ca_problem, require_household
    from hearthguard.runner import RunConfig, run_hearthguard
    from proxy_addons.wireguard import check_modes, prepare_modes

    check_modes(modes)  # bad modes stop here, before anything is written
    for setting in settings:
        if "=" not in setting:
            _fail(f"--set needs OPTION=VALUE, got “{setting}”.")
    root = require_household(*_where(data_dir)).root
    # Bringing the household up to date (parsing lists a newer Hearthguard brings) runs in a
    # child process, so the long-running proxy never carries the memory that parsing needed.
    setup = subprocess.run(
        [sys.executable, "-m", "hearthguard", "init", "--data-dir", str(root)],
        capture_output=True,
        text=True,
    )
    if setup.returncode:
        click.echo(setup.stderr.strip() or setup.stdout.strip(), err=True)
        sys.exit(setup.returncode)
    data = DataDir(root)
    problem = ca_problem(data)
    if problem:
        _fail(problem)
    if f"created {data.ca_dir}" in setup.stdout.splitlines():
        click.echo(
            f"hearthguard: warning: the household CA was missing, so a new one was made in "
            f"{data.ca_dir}; every device must trust the new certificate (or stop Hearthguard "
            "and restore the old one with `hearthguard restore BACKUP`).",
            err=True,
        )
    config = RunConfig(
        data=data,
        listen_host=listen_host,
        proxy_port=proxy_port,
        dashboard_port=dashboard_port,
        modes=prepare_modes(modes or ("regular",), root),
        settings=settings,
    )
    sys.exit(run_hearthguard(config))


def _lines(urls: Iterable[str]) -> Iterator[str]:
    for line in urls:
        if line.strip() and not line.lstrip().startswith("#"):
            yield line.strip()


@main.command()
@data_dir_option
@click.option(
    "--profile", "profile_name", help="Decide as this profile (default: the household's)."
)
@click.option(
    "--preset",
    "preset_name",
    type=click.Choice(list(PRESETS)),
    help="Decide as a fresh profile of this age preset.",
)
@click.option(
    "--at",
    "at",
    metavar="YYYY-MM-DDTHH:MM",
    help="Decide as at this local time in the household's zone (schedules, pauses, budgets).",
)
@click.argument("urls", nargs=-1)
@friendly_errors
def check(
    data_dir: Path | None,
    profile_name: str | None,
    preset_name: str | None,
    at: str | None,
    urls: tuple[str, ...],
) -> None:
    """Show what Hearthguard decides for each URL (one JSON object per line).

    URLs come from the arguments, or one per line on standard input. With ``--at`` the
    decision is the one for that local time (no minutes of any budget used yet).
    """
    from policy.engine import load_files

    when = _parse_local(at) if at else None
    data = _data(data_dir)
    with _store(data.root) as store:
        loaded = load_files(data)
        snapshot = load_snapshot(
            store,
            index=loaded.index,
            url_model=batch_url_verdicts(loaded.url_model),
            illegal=loaded.illegal,
        )
        if profile_name:
            profile = store.profile(profile_name)
        elif preset_name:
            p = preset(preset_name)
            profile = Profile(
                f"preset:{p.name}",
                p.name,
                p.blocked,
                p.url_threshold,
                p.page_threshold,
                p.content_scan,
                p.safesearch,
                p.youtube,
                services=p.services,
            )
        else:
            profile = snapshot.profiles[snapshot.default_profile]
    now = at_local(when.date(), when.time(), snapshot.zone) if when else datetime.now(snapshot.zone)
    counts = CheckedLines()
    batch: list[str] = []
    for line in check_lines(_lines(urls or sys.stdin), profile, snapshot, now, counts):
        batch.append(line)
        if len(batch) >= 1000:
            sys.stdout.write("\n".join(batch) + "\n")
            batch.clear()
    if batch:
        sys.stdout.write("\n".join(batch) + "\n")
    sys.stdout.flush()
    if counts.bad:
        sys.exit(EXIT_BAD_INPUT)


# -- profiles, devices, rules ---------------------------------------------------------------


@main.group()
def profile() -> None:
    """Children's profiles."""


@profile.command("add")
@data_dir_option
@click.argument("name")
@click.option("--preset", "preset_name", required=True, metavar="|".join(PRESETS))
@friendly_errors
def profile_add(data_dir: Path | None, name: str, preset_name: str) -> None:
    """Add a profile from an age preset (checked as everywhere, by policy.profile_fields)."""
    with _store(data_dir) as store:
        p = store.add_profile(name, preset_name, actor="cli")
    click.echo(f"Added profile “{p.name}” ({p.preset}): blocks {', '.join(sorted(p.blocked))}.")


@profile.command("list")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per profile.")
@friendly_errors
def profile_list(data_dir: Path | None, as_json: bool) -> None:
    """List profiles."""
    with _store(data_dir) as store:
        default = store.get_setting("default_profile")
        for p in store.profiles().values():
            if as_json:
                click.echo(
                    json.dumps(
                        {
                            "name": p.name,
                            "preset": p.preset,
                            "blocked": sorted(p.blocked),
                            "default": p.name == default,
                            "rules": [
                                {"action": r.action.value, "domain": r.domain} for r in p.rules
                            ],
                        }
                    )
                )
            else:
                mark = " (default)" if p.name == default else ""
                click.echo(f"{p.name}{mark}\t{p.preset}\tblocks: {', '.join(sorted(p.blocked))}")


@profile.command("remove")
@data_dir_option
@click.argument("name")
@friendly_errors
def profile_remove(data_dir: Path | None, name: str) -> None:
    """Delete a profile with its rules and offline times (not the default, nor one in use)."""
    with _store(data_dir) as store:
        store.delete_profile(store.profile(name).name, actor="cli")
    click.echo(f"Removed profile “{name}”.")


@main.group()
def parent() -> None:
    """Parent accounts of the dashboard."""


@parent.command("reset-password")
@data_dir_option
@click.argument("name")
@click.option(
    "--dashboard-url",
    metavar="URL",
    help="The dashboard's address (default: https://THIS-BOX:8081).",
)
@friendly_errors
def parent_reset_password(data_dir: Path | None, name: str, dashboard_url: str | None) -> None:
    """Print a one-time link (valid for an hour) that sets a new password for NAME."""
    from hearthguard.runner import _public_host
    from policy.resets import RESET_LIFETIME, new_reset_token

    base = (dashboard_url or f"https://{_public_host('')}:8081").rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise click.BadParameter("must start with https://", param_hint="--dashboard-url")
    with _store(data_dir) as store:
        token = new_reset_token(store, name, datetime.now(UTC))
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    click.echo(f"Open this link once, within {minutes} minutes, to choose a new password:")
    click.echo(f"{base}/reset-password?token={token}")


@main.group()
def device() -> None:
    """Devices and the profiles they use."""


@device.command("add")
@data_dir_option
@click.argument("name")
@click.option("--ip", required=True, help="The device's IP address on the home network.")
@click.option("--profile", "profile_name", required=True)
@click.option("--mac", default=None, help="The device's MAC address (optional).")
@click.option("--ca-installed", is_flag=True, help="The device trusts Hearthguard's CA.")
@friendly_errors
def device_add(
    data_dir: Path | None,
    name: str,
    ip: str,
    profile_name: str,
    mac: str | None,
    ca_installed: bool,
) -> None:
    """Put a device on a profile."""
    with _store(data_dir) as store:
        d = store.add_device(name, profile=profile_name, ip=ip, mac=mac, actor="cli")
        if ca_installed:
            d = store.update_device(d.name, ca_trusted=True, actor="cli")
    click.echo(f"Added device “{d.name}” ({d.ip}) on profile “{d.profile}”.")


@device.command("remove")
@data_dir_option
@click.argument("name")
@friendly_errors
def device_remove(data_dir: Path | None, name: str) -> None:
    """Forget a device (it then gets the household's default profile when it is seen)."""
    with _store(data_dir) as store:
        store.delete_device(store.device(name).name, actor="cli")
    click.echo(f"Removed device “{name}”; it now uses the profile for new devices.")


@device.command("move")
@data_dir_option
@click.argument("name")
@click.option("--profile", "profile_name", required=True)
@friendly_errors
def device_move(data_dir: Path | None, name: str, profile_name: str) -> None:
    """Put a device on another profile."""
    with _store(data_dir) as store:
        d = store.update_device(store.device(name).name, profile=profile_name, actor="cli")
    click.echo(f"Device “{d.name}” is now on profile “{d.profile}”.")


@device.command("list")
@data_dir_option
@friendly_errors
def device_list(data_dir: Path | None) -> None:
    """List devices."""
    with _store(data_dir) as store:
        for d in store.devices():
            ca = "CA installed" if d.ca_trusted else "no CA"
            click.echo(f"{d.name}\t{d.ip or '-'}\t{d.profile}\t{ca}")


@main.command()
@data_dir_option
@click.argument("action", type=click.Choice(["allow", "deny", "remove"]))
@click.argument("domain")
@click.option("--profile", "profile_name", required=True)
@friendly_errors
def rule(data_dir: Path | None, action: str, domain: str, profile_name: str) -> None:
    """Always allow or always deny a domain (and its sub-domains), or one IP address, for a
    profile; ``remove`` takes the profile's rules for that domain away."""
    if action == "remove":
        with _store(data_dir) as store:
            if not store.remove_rule(profile_name, domain, actor="cli"):
                raise InputError("domain", f"“{profile_name}” has no rule for {domain}.")
        click.echo(f"Removed the rules for {domain} from “{profile_name}”.")
        return
    with _store(data_dir) as store:
        r = store.add_rule(
            profile_name, Action.ALLOW if action == "allow" else Action.BLOCK, domain, actor="cli"
        )
    verb = "allows" if action == "allow" else "blocks"
    scope = "" if r.domain[-1:].isdigit() or ":" in r.domain else " and its sub-domains"
    click.echo(f"Profile “{profile_name}” now always {verb} {r.domain}{scope}.")


# -- lists ----------------------------------------------------------------------------------


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


@main.group()
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

    data = _data(data_dir)
    progress = _Progress("fetching")
    with _store(data.root) as store:
        try:
            report = ListLibrary(data, store).import_source(
                source, format=fmt, category=category, name=name, progress=progress, force=force
            )
        except ListError as exc:
            _fail(str(exc))
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
    with _store(data_dir) as store:
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
    _echo_index_health(_where(data_dir)[0], as_json)


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

    data = require_household(*_where(data_dir))
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

    data = _data(data_dir)
    with _store(data.root) as store:
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

    data = _data(data_dir)
    bars: list[_Progress] = []

    def progress_for(source: str) -> _Progress:
        bars.append(_Progress(source[:60]))
        return bars[-1]

    with _store(data.root) as store:
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


# -- classifiers ------------------------------------------------------------------------------


def _batches(lines: Iterable[str], size: int = 512) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        batch.append(line.rstrip("\n"))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@main.command()
@data_dir_option
@click.argument("kind", type=click.Choice(["url", "page", "chat"]))
@friendly_errors
def classify(data_dir: Path | None, kind: str) -> None:
    """Classify one input per line of standard input; JSON lines out.

    url and page: {"category", "score"}; chat: {"label": "abusive"|"ok", "score"}.
    A page line may be plain text or HTML.
    """
    from classifier.text import html_to_text
    from policy.engine import load_household_models

    models, problems = load_household_models(_data(data_dir), names=(kind,))
    model = getattr(models, kind)
    if model is None:
        _fail(
            next(
                (p for p in problems if f"{kind} classifier" in p),
                f"the {kind} classifier is unavailable",
            )
        )
    for batch in _batches(sys.stdin):
        texts = batch
        if kind == "page":
            texts = [html_to_text(t) if "<" in t and ">" in t else t for t in batch]
        for verdict in model.predict(texts):
            if kind == "chat":
                out = {"label": verdict.label, "score": round(verdict.score, 4)}
            else:
                out = {"category": verdict.category, "score": round(verdict.score, 4)}
            click.echo(json.dumps(out))


@main.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per alert.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=200, show_default=True)
@friendly_errors
def alerts(data_dir: Path | None, as_json: bool, limit: int) -> None:
    """Chat-safety alerts and children's own reports, newest first."""
    from policy.activity import ActivityStore
    from policy.settings import household_zone

    with _store(data_dir) as policy:
        zone = household_zone(policy.get_setting("timezone"))
    store = ActivityStore(_data(data_dir).activity_db)
    try:
        found = store.alerts(limit)
    finally:
        store.close()
    for alert in found:
        if as_json:
            click.echo(json.dumps(alert.as_json(), ensure_ascii=False))
        else:
            who = alert.device or alert.ip or "?"
            said = f"\t“{alert.excerpt}”" if alert.excerpt else ""
            click.echo(
                f"{alert.at.astimezone(zone):%Y-%m-%d %H:%M}\t{alert.kind}\t{alert.profile}\t"
                f"{who}\t{alert.conversation or alert.host}{said}"
            )


@main.group()
def classifier() -> None:
    """The page classifier's household learning."""


@classifier.command("retrain")
@data_dir_option
@friendly_errors
def classifier_retrain(data_dir: Path | None) -> None:
    """Retrain the page classifier with this household's examples (kept in the data
    directory: pages of list-categorised sites and parents' answers in the dashboard).

    The running proxy switches to the new model within seconds.
    """
    from collections import Counter

    from classifier.training.household import retrain_page_model
    from policy.learning import Learning

    data = _data(data_dir)
    examples = Learning(data.learning_dir).examples()
    if not examples:
        click.echo("No household examples yet: the shipped page classifier stays in use.")
        return
    counts = Counter(e.category for e in examples)
    click.echo(
        f"Retraining with {len(examples)} household examples: "
        + ", ".join(f"{c} {n}" for c, n in counts.most_common())
    )
    metadata = retrain_page_model([(e.text, e.category) for e in examples], data.models_dir)
    click.echo(
        f"New page classifier written to {data.models_dir} "
        f"({metadata.get('phrases', '?')} phrases)."
    )


@classifier.command("phrases")
@data_dir_option
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--remove", is_flag=True, help="Stop using the imported phrase list.")
@friendly_errors
def classifier_phrases(data_dir: Path | None, path: Path | None, remove: bool) -> None:
    """Import your e2guardian/DansGuardian weightedphraselist (with its includes) as a second
    signal for the content scan; without PATH, show what is imported."""
    from policy.phraselists import (
        PHRASE_LIMITS,
        import_phrase_list,
        load_phrase_scorer,
        remove_phrase_list,
    )

    data = _data(data_dir)
    if remove:
        gone = remove_phrase_list(data)
        click.echo("Phrase list removed." if gone else "No phrase list was imported.")
        return
    if path is not None:
        parsed = import_phrase_list(data, path)
        click.echo(
            f"Imported {len(parsed.phrases)} weighted phrases from {len(parsed.files)} files."
        )
        for line in parsed.bad_lines[:20]:
            click.echo(f"  skipped {line}", err=True)
        if len(parsed.bad_lines) > 20:
            click.echo(f"  … and {len(parsed.bad_lines) - 20} more skipped lines", err=True)
        for missing in parsed.missing_includes:
            click.echo(f"  include not found: {missing}", err=True)
    _, info, problem = load_phrase_scorer(data)
    if problem:
        _fail(problem)
    if info is None:
        click.echo("No phrase list is imported.")
        return
    limits = ", ".join(f"{name} {limit}" for name, limit in PHRASE_LIMITS.items())
    click.echo(
        f"In use: {info.phrases} phrases from {info.source} (imported "
        f"{info.imported_at}); naughtiness limits by preset: {limits}."
    )


# -- time rules: settings, schedules, budgets, bonus time, pauses ------------------------------


def _parse_local(text: str) -> datetime:
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


def _household_now(store: PolicyStore) -> datetime:
    from policy.settings import household_zone

    return datetime.now(household_zone(store.get_setting("timezone")))


@main.group()
def setting() -> None:
    """Household settings (timezone, country, language, ...)."""


@setting.command("set", context_settings={"ignore_unknown_options": True})
@data_dir_option
@click.argument("name")
@click.argument("value")
@friendly_errors
def setting_set(data_dir: Path | None, name: str, value: str) -> None:
    """Set a household setting; `hearthguard setting list` shows them all."""
    from ui.i18n import LANGUAGES

    with _store(data_dir) as store:
        cleaned = store.set_setting(name, value, actor="cli", languages=LANGUAGES)
    click.echo(f"{name} = {cleaned}")


@setting.command("list")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per setting.")
@friendly_errors
def setting_list(data_dir: Path | None, as_json: bool) -> None:
    """Every household setting: its value (or default) and what it does."""
    from policy.settings import SETTINGS, system_zone_name

    with _store(data_dir) as store:
        stored = store.stored_settings()
    for name, spec in SETTINGS.items():
        value = stored.get(name)
        shown = spec.default if value is None else value
        if name == "timezone" and not shown:
            shown = f"{system_zone_name()} (the system's)"
        if as_json:
            click.echo(json.dumps({"name": name, "value": value, "default": spec.default}))
        else:
            mark = "" if value is not None else " (default)"
            click.echo(f"{name}\t{shown}{mark}\t{spec.help}")


@main.group()
def schedule() -> None:
    """Offline times (bedtime, school time) per child or per device."""


@schedule.command("add")
@data_dir_option
@click.argument("profile_name", metavar="PROFILE")
@click.option("--days", required=True, help="mon-fri, sat,sun, fri-mon, weekdays, weekend, daily")
@click.option("--from", "start", required=True, metavar="HH:MM")
@click.option(
    "--until", "end", required=True, metavar="HH:MM", help="Before --from: past midnight."
)
@click.option("--device", "device_name", help="Only for this device of the child.")
@click.option("--label", default="bedtime", show_default=True)
@friendly_errors
def schedule_add(
    data_dir: Path | None,
    profile_name: str,
    days: str,
    start: str,
    end: str,
    device_name: str | None,
    label: str,
) -> None:
    """Add an offline window; one ending before it starts runs past midnight."""
    from policy.timerules import format_days, parse_clock, parse_days
    from policy.values import Schedule

    window = Schedule(
        parse_days(days),
        parse_clock(start, "from"),
        parse_clock(end, "until"),
        label,
        device=device_name,
    )
    with _store(data_dir) as store:
        schedule_id = store.add_schedule(profile_name, window, actor="cli")
    who = f" on {device_name}" if device_name else ""
    night = " (past midnight)" if window.crosses_midnight else ""
    click.echo(
        f"Added offline time {schedule_id} for {profile_name}{who}: {format_days(window.days)} "
        f"{window.start:%H:%M}-{window.end:%H:%M}{night}."
    )


@schedule.command("list")
@data_dir_option
@click.argument("profile_name", metavar="[PROFILE]", required=False)
@friendly_errors
def schedule_list(data_dir: Path | None, profile_name: str | None) -> None:
    """Offline times (id, profile, device, days, from, until, label) and holidays."""
    from policy.timerules import format_days

    with _store(data_dir) as store:
        names = [store.profile(profile_name).name] if profile_name else store.profile_names()
        for name in names:
            for sid, s in store.schedules_with_ids(name):
                click.echo(
                    f"{sid}\t{name}\t{s.device or '-'}\t{format_days(s.days)}"
                    f"\t{s.start:%H:%M}\t{s.end:%H:%M}\t{s.label}"
                )
        for h in store.holidays():
            if profile_name is None or h.profile in (None, names[0]):
                click.echo(
                    f"holiday {h.holiday_id}\t{h.profile or 'everyone'}\t{h.kind}"
                    f"\t{h.start}\t{h.end}\t{h.label}"
                )


@schedule.command("remove")
@data_dir_option
@click.argument("profile_name", metavar="PROFILE")
@click.argument("schedule_id", type=int)
@friendly_errors
def schedule_remove(data_dir: Path | None, profile_name: str, schedule_id: int) -> None:
    """Remove an offline time by the id `schedule list` shows."""
    with _store(data_dir) as store:
        if not store.remove_schedule(profile_name, schedule_id, actor="cli"):
            raise InputError("id", f"{profile_name} has no offline time {schedule_id}.")
    click.echo(f"Removed offline time {schedule_id}.")


@schedule.command("holiday")
@data_dir_option
@click.option("--from", "first", required=True, metavar="YYYY-MM-DD")
@click.option("--until", "last", metavar="YYYY-MM-DD", help="The last day (default: --from).")
@click.option(
    "--kind",
    type=click.Choice(["weekend", "no-bedtime"]),
    default="weekend",
    show_default=True,
    help="weekend: the weekend's times and budgets; no-bedtime: no offline time starts then.",
)
@click.option("--profile", "profile_name", help="Only for this child (default: everyone).")
@click.option("--label", default="holiday", show_default=True)
@click.option("--remove", "remove_id", type=int, help="Remove the holiday with this id instead.")
@friendly_errors
def schedule_holiday(
    data_dir: Path | None,
    first: str,
    last: str | None,
    kind: str,
    profile_name: str | None,
    label: str,
    remove_id: int | None,
) -> None:
    """A holiday override: treat days as weekend, or no bedtime on those nights."""
    from policy.timerules import parse_date
    from policy.values import Holiday

    with _store(data_dir) as store:
        if remove_id is not None:
            if not store.remove_holiday(remove_id, actor="cli"):
                raise InputError("remove", f"There is no holiday {remove_id}.")
            click.echo(f"Removed holiday {remove_id}.")
            return
        start = parse_date(first, "from")
        end = parse_date(last, "until") if last else start
        holiday = Holiday(start, end, kind.replace("-", "_"), label, profile_name)
        holiday_id = store.add_holiday(holiday, actor="cli")
    click.echo(f"Added holiday {holiday_id}: {kind} from {start} to {end}.")


@main.command(context_settings={"ignore_unknown_options": True})
@data_dir_option
@click.argument("profile_name", metavar="PROFILE")
@click.argument("group")
@click.argument("minutes")
@click.option("--weekend", "only", flag_value="weekend", help="Only Saturdays and Sundays.")
@click.option("--weekdays", "only", flag_value="weekdays", help="Only Monday to Friday.")
@friendly_errors
def budget(
    data_dir: Path | None, profile_name: str, group: str, minutes: str, only: str | None
) -> None:
    """A daily allowance of MINUTES (0 = none that day; `off` removes it) for a GROUP of
    sites: games, video, social, shopping or everything."""
    from policy.budgets import BUDGET_DAYS, clean_group, clean_minutes

    group = clean_group(group)
    amount = None if minutes.strip().lower() == "off" else clean_minutes(minutes)
    days = [only] if only else list(BUDGET_DAYS)
    with _store(data_dir) as store:
        store.set_budget(profile_name, group, amount, days=days, actor="cli")
    when = only or "every day"
    what = "no limit" if amount is None else f"{amount} minutes a day"
    click.echo(f"{profile_name}: {group} {what} ({when}).")


@main.command(context_settings={"ignore_unknown_options": True})
@data_dir_option
@click.argument("profile_name", metavar="PROFILE")
@click.argument("group")
@click.argument("minutes")
@friendly_errors
def bonus(data_dir: Path | None, profile_name: str, group: str, minutes: str) -> None:
    """Give MINUTES more of GROUP for today (the household's today)."""
    from policy.budgets import clean_minutes

    amount = clean_minutes(minutes)
    with _store(data_dir) as store:
        total = store.add_bonus(
            profile_name, group, amount, _household_now(store).date(), actor="cli"
        )
    click.echo(f"{profile_name}: +{amount} minutes of {group} today ({total} bonus minutes today).")


def _pause_target(profile_name: str | None, device_name: str | None) -> None:
    if (profile_name is None) == (device_name is None):
        raise InputError("profile", "Name a child (PROFILE) or a device (--device NAME).")


@main.command()
@data_dir_option
@click.argument("profile_name", metavar="PROFILE", required=False)
@click.option("--device", "device_name", help="Pause this device only.")
@click.option("--for", "length", metavar="30m|1h", help="How long the pause lasts.")
@click.option("--until", "until", metavar="HH:MM|morning", help="When the pause ends.")
@friendly_errors
def pause(
    data_dir: Path | None,
    profile_name: str | None,
    device_name: str | None,
    length: str | None,
    until: str | None,
) -> None:
    """Pause the internet for a child (all their devices) or one device."""
    from policy.timerules import pause_end

    _pause_target(profile_name, device_name)
    with _store(data_dir) as store:
        now = _household_now(store)
        ends = pause_end(now, length=length, until=until)
        if device_name is not None:
            name = store.update_device(
                store.device(device_name).name, paused_until=ends, actor="cli"
            ).name
        else:
            name = store.pause_profile(
                store.profile(profile_name or "").name, ends, actor="cli"
            ).name
    click.echo(f"{name} is paused until {ends:%Y-%m-%d %H:%M} ({ends.tzinfo}).")


@main.command()
@data_dir_option
@click.argument("profile_name", metavar="PROFILE", required=False)
@click.option("--device", "device_name", help="Resume this device.")
@friendly_errors
def resume(data_dir: Path | None, profile_name: str | None, device_name: str | None) -> None:
    """End a pause now."""
    _pause_target(profile_name, device_name)
    with _store(data_dir) as store:
        if device_name is not None:
            name = store.update_device(
                store.device(device_name).name, paused_until=None, actor="cli"
            ).name
        else:
            name = store.pause_profile(
                store.profile(profile_name or "").name, None, actor="cli"
            ).name
    click.echo(f"{name} is no longer paused.")


def _default_lan() -> str:
    """The interface of this machine's default IPv4 route (``eth0`` when there is none)."""
    try:
        with open("/proc/net/route", encoding="ascii") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if len(fields) > 2 and fields[1] == "00000000":
                    return fields[0]
    except OSError:
        pass
    return "eth0"


@main.command("router-rules")
@click.option(
    "--lan", "lan", metavar="IFACE", help="The LAN interface (default: the default route's)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["nft", "iptables"]), default="nft", show_default=True
)
@click.option(
    "--transparent-port",
    type=click.IntRange(1, 65535),
    default=8082,
    show_default=True,
    help="Port of `hearthguard run --mode transparent@PORT`.",
)
@click.option(
    "--dns-port",
    type=click.IntRange(1, 65535),
    default=53,
    show_default=True,
    help="Port of `hearthguard run --mode dns@PORT`.",
)
@friendly_errors
def router_rules_command(lan: str | None, fmt: str, transparent_port: int, dns_port: int) -> None:
    """Print the firewall rules that make this box the network's filter (nothing is changed)."""
    from policy.router import RouterPorts, router_rules

    click.echo(
        router_rules(lan or _default_lan(), fmt, RouterPorts(transparent_port, dns_port)), nl=False
    )


# registered last: they use the helpers above
from hearthguard.cli_backup import backup, restore  # noqa: E402

main.add_command(backup)
main.add_command(restore)
