"""The ``hearthguard`` command: set up, run, and manage the household's policy.

Only ``init`` creates a household; every other command pointed at a folder without one says so
and exits with code 2. Bad input (unknown names, invalid
domains or addresses) prints a clear message and exits with code 2, writing nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from hearthguard.cli import (
    alerts,
    backup,
    check,
    lists,
    models,
    profiles,
    run,
    settings,
    timerules,
)
from hearthguard.cli.common import data_dir_option

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hearthguard")
@data_dir_option
def main(data_dir: Path | None) -> None:
    """Hearthguard: a household parental-control filtering proxy."""


for _command in (
    run.init,
    run.run,
    run.router_rules_command,
    check.check,
    check.classify,
    profiles.profile,
    profiles.parent,
    profiles.device,
    profiles.rule,
    lists.lists,
    alerts.alerts,
    models.classifier,
    settings.setting,
    timerules.schedule,
    timerules.budget,
    timerules.bonus,
    timerules.pause,
    timerules.resume,
    backup.backup,
    backup.restore,
):
    main.add_command(_command)
