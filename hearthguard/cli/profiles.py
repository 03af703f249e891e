"""``hearthguard profile``, ``parent``, ``device`` and ``rule``: children's profiles, parents'
passwords, devices and a profile's own allow/deny rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from hearthguard.cli.common import data_dir_option, friendly_errors, policy_store
from policy.presets import PRESETS
from policy.validate import InputError
from policy.values import Action

__all__ = ["device", "parent", "profile", "rule"]


@click.group()
def profile() -> None:
    """Children's profiles."""


@profile.command("add")
@data_dir_option
@click.argument("name")
@click.option("--preset", "preset_name", required=True, metavar="|".join(PRESETS))
@friendly_errors
def profile_add(data_dir: Path | None, name: str, preset_name: str) -> None:
    """Add a profile from an age preset (checked as everywhere, by policy.profile_fields)."""
    with policy_store(data_dir) as store:
        p = store.add_profile(name, preset_name, actor="cli")
    click.echo(f"Added profile “{p.name}” ({p.preset}): blocks {', '.join(sorted(p.blocked))}.")


@profile.command("list")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per profile.")
@friendly_errors
def profile_list(data_dir: Path | None, as_json: bool) -> None:
    """List profiles."""
    with policy_store(data_dir) as store:
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
    with policy_store(data_dir) as store:
        store.delete_profile(store.profile(name).name, actor="cli")
    click.echo(f"Removed profile “{name}”.")


@click.group()
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
    with policy_store(data_dir) as store:
        token = new_reset_token(store, name, datetime.now(UTC))
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    click.echo(f"Open this link once, within {minutes} minutes, to choose a new password:")
    click.echo(f"{base}/reset-password?token={token}")


@click.group()
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
    with policy_store(data_dir) as store:
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
    with policy_store(data_dir) as store:
        store.delete_device(store.device(name).name, actor="cli")
    click.echo(f"Removed device “{name}”; it now uses the profile for new devices.")


@device.command("move")
@data_dir_option
@click.argument("name")
@click.option("--profile", "profile_name", required=True)
@friendly_errors
def device_move(data_dir: Path | None, name: str, profile_name: str) -> None:
    """Put a device on another profile."""
    with policy_store(data_dir) as store:
        d = store.update_device(store.device(name).name, profile=profile_name, actor="cli")
    click.echo(f"Device “{d.name}” is now on profile “{d.profile}”.")


@device.command("list")
@data_dir_option
@friendly_errors
def device_list(data_dir: Path | None) -> None:
    """List devices."""
    with policy_store(data_dir) as store:
        for d in store.devices():
            ca = "CA installed" if d.ca_trusted else "no CA"
            click.echo(f"{d.name}\t{d.ip or '-'}\t{d.profile}\t{ca}")


@click.command()
@data_dir_option
@click.argument("action", type=click.Choice(["allow", "deny", "remove"]))
@click.argument("domain")
@click.option("--profile", "profile_name", required=True)
@friendly_errors
def rule(data_dir: Path | None, action: str, domain: str, profile_name: str) -> None:
    """Always allow or always deny a domain (and its sub-domains), or one IP address, for a
    profile; ``remove`` takes the profile's rules for that domain away."""
    if action == "remove":
        with policy_store(data_dir) as store:
            if not store.remove_rule(profile_name, domain, actor="cli"):
                raise InputError("domain", f"“{profile_name}” has no rule for {domain}.")
        click.echo(f"Removed the rules for {domain} from “{profile_name}”.")
        return
    with policy_store(data_dir) as store:
        r = store.add_rule(
            profile_name, Action.ALLOW if action == "allow" else Action.BLOCK, domain, actor="cli"
        )
    verb = "allows" if action == "allow" else "blocks"
    scope = "" if r.domain[-1:].isdigit() or ":" in r.domain else " and its sub-domains"
    click.echo(f"Profile “{profile_name}” now always {verb} {r.domain}{scope}.")
