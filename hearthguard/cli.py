"""The ``hearthguard`` command: set up, run, and manage the household's policy.

Every command initialises the data directory on first use. Bad input (unknown names, invalid
domains or addresses) prints a clear message and exits with code 2, writing nothing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click

from policy.datadir import DataDir, default_data_dir
from policy.decide import decide
from policy.model import Action, Profile, Request
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

    data = _data(data_dir)
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


def _url_request(url: str, profile: Profile) -> Request:
    raw = url.strip()
    parts = urlsplit(raw if "://" in raw else f"http://{raw}")
    host = (parts.hostname or "").rstrip(".")
    if not host or parts.scheme not in ("http", "https"):
        raise InputError("url", f"“{raw[:200]}” is not a web address.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Request(host, path, profile.name, None, parts.scheme)


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
            request = _url_request(url, profile)
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
