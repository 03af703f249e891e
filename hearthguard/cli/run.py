"""``hearthguard init``, ``hearthguard run`` and ``hearthguard router-rules``: set the
household up, start the proxy and the dashboard, and print the firewall rules for a gateway."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from hearthguard.cli.common import data_dir_option, fail, friendly_errors, where
from policy.datadir import DataDir, default_data_dir

__all__ = ["init", "router_rules_command", "run"]


@click.command()
@data_dir_option
@friendly_errors
def init(data_dir: Path | None) -> None:
    """Create the data directory: databases, CA certificate, secrets (idempotent)."""
    from hearthguard.init_data import init_data_dir

    result = init_data_dir((data_dir or default_data_dir()).absolute())
    for path in result.created:
        click.echo(f"created {path}")
    click.echo(f"Hearthguard data directory ready: {result.data.root}")


@click.command()
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
    "--dashboard-idle",
    type=click.FloatRange(0, 86400),
    default=600,
    show_default=True,
    help="Seconds without a request after which the dashboard process rests (frees its "
    "memory) until it is next opened; 0 keeps it running.",
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
    dashboard_idle: float,
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
            fail(f"--set needs OPTION=VALUE, got “{setting}”.")
    root = require_household(*where(data_dir)).root
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
        fail(problem)
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
        dashboard_idle=dashboard_idle,
    )
    sys.exit(run_hearthguard(config))


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


@click.command("router-rules")
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
