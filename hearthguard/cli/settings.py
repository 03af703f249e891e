"""``hearthguard setting``: set and list the household's settings."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hearthguard.cli.common import data_dir_option, friendly_errors, policy_store

__all__ = ["setting"]


@click.group()
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

    with policy_store(data_dir) as store:
        cleaned = store.set_setting(name, value, actor="cli", languages=LANGUAGES)
    click.echo(f"{name} = {cleaned}")


@setting.command("list")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per setting.")
@friendly_errors
def setting_list(data_dir: Path | None, as_json: bool) -> None:
    """Every household setting: its value (or default) and what it does."""
    from policy.settings import SETTINGS, system_zone_name

    with policy_store(data_dir) as store:
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
