"""The ``hearthguard`` command: set up, run, and manage the household's policy.

Every command initialises the data directory on first use. Bad input (unknown names, invalid
domains or addresses) prints a clear message and exits with code 2, writing nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from policy.check import url_request
from policy.datadir import DataDir, default_data_dir
from policy.decide import decide
from policy.model import Action, Profile
from policy.presets import PRESETS, preset
from policy.store import PolicyStore, StoreError, load_snapshot
from policy.validate import InputError

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

    return wrapper  # type: ignore[return-value]


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data directory (default: $HEARTHGUARD_DATA_DIR, else ./data).",
)


def _data(data_dir: Path | None) -> DataDir:
    from hearthguard.init_data import init_data_dir

    return init_data_dir((data_dir or default_data_dir()).absolute()).data


@contextmanager
def _store(data_dir: Path | None) -> Iterator[PolicyStore]:
    store = PolicyStore(_data(data_dir).policy_db)
    try:
        yield store
    finally:
        store.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hearthguard")
def main() -> None:
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
    from hearthguard.runner import RunConfig, run_hearthguard

    # First-time set-up (parsing the bundled lists) runs in a child process, so the
    # long-running proxy never carries the memory that parsing needed.
    root = (data_dir or default_data_dir()).absolute()
    setup = subprocess.run(
        [sys.executable, "-m", "hearthguard", "init", "--data-dir", str(root)],
        capture_output=True,
        text=True,
    )
    if setup.returncode:
        click.echo(setup.stderr.strip() or setup.stdout.strip(), err=True)
        sys.exit(setup.returncode)
    data = DataDir(root)
    for setting in settings:
        if "=" not in setting:
            _fail(f"--set needs OPTION=VALUE, got “{setting}”.")
    config = RunConfig(
        data=data,
        listen_host=listen_host,
        proxy_port=proxy_port,
        dashboard_port=dashboard_port,
        modes=modes or ("regular",),
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
@click.argument("urls", nargs=-1)
@friendly_errors
def check(
    data_dir: Path | None, profile_name: str | None, preset_name: str | None, urls: tuple[str, ...]
) -> None:
    """Show what Hearthguard decides for each URL (one JSON object per line).

    URLs come from the arguments, or one per line on standard input.
    """
    from policy.engine import load_engine

    data = _data(data_dir)
    with _store(data.root) as store:
        engine = load_engine(data)
        snapshot = load_snapshot(
            store, index=engine.index, url_model=engine.url_model, illegal=engine.illegal
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
            )
            snapshot = snapshot.with_profile(profile)
        else:
            profile = snapshot.profiles[snapshot.default_profile]
    now = datetime.now().astimezone()
    bad = 0
    for url in _lines(urls or sys.stdin):
        try:
            request = url_request(url, profile)
        except InputError as exc:
            bad += 1
            click.echo(json.dumps({"url": url, "error": exc.message}))
            continue
        decision = decide(request, snapshot, now)
        out = {"url": url, **decision.as_dict()}
        click.echo(json.dumps(out, ensure_ascii=False))
    if bad:
        sys.exit(EXIT_BAD_INPUT)


# -- profiles, devices, rules ---------------------------------------------------------------


@main.group()
def profile() -> None:
    """Children's profiles."""


@profile.command("add")
@data_dir_option
@click.argument("name")
@click.option("--preset", "preset_name", required=True, type=click.Choice(list(PRESETS)))
@friendly_errors
def profile_add(data_dir: Path | None, name: str, preset_name: str) -> None:
    """Add a profile from an age preset."""
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
@click.argument("action", type=click.Choice(["allow", "deny"]))
@click.argument("domain")
@click.option("--profile", "profile_name", required=True)
@friendly_errors
def rule(data_dir: Path | None, action: str, domain: str, profile_name: str) -> None:
    """Always allow or always deny a domain (and its sub-domains) for a profile."""
    with _store(data_dir) as store:
        r = store.add_rule(
            profile_name, Action.ALLOW if action == "allow" else Action.BLOCK, domain, actor="cli"
        )
    verb = "allows" if action == "allow" else "blocks"
    click.echo(f"Profile “{profile_name}” now always {verb} {r.domain} and its sub-domains.")


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
    from classifier.bundle import BUNDLE_DIR

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


@lists.command("update")
@data_dir_option
@friendly_errors
def lists_update(data_dir: Path | None) -> None:
    """Re-fetch every list that has a URL; on any error keep the last good copy."""
    from policy.lists import ListLibrary

    data = _data(data_dir)
    bars: list[_Progress] = []

    def progress_for(source: str) -> _Progress:
        bars.append(_Progress(source[:60]))
        return bars[-1]

    with _store(data.root) as store:
        try:
            outcomes = ListLibrary(data, store).update(progress_for)
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

    from classifier.train import retrain_page_model
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
