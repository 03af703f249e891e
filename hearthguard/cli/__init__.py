"""The ``hearthguard`` command: set up, run, and manage the household's policy.

Only ``init`` creates a household; every other command pointed at a folder without one says so
and exits with code 2. Bad input (unknown names, invalid
domains or addresses) prints a clear message and exits with code 2, writing nothing.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import click

from hearthguard.cli.common import data_dir_option

__all__ = ["main"]

# Hearthguard's models never multiply matrices large enough for OpenBLAS to share the work,
# but its thread pool starts with numpy and spins: about 70 ms of a second core at every
# start of the proxy, a check or a retraining, on a box whose cores are already shared. The
# processes these commands start (the dashboard, scan workers) inherit it. A value set by
# the caller wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

#: Every command: its name, and the module and attribute that define it. A command's module is
#: imported when that command is run or listed, so ``hearthguard check`` does not pay for
#: importing what ``run`` or ``backup`` need.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("run", "init"),
    "run": ("run", "run"),
    "router-rules": ("run", "router_rules_command"),
    "check": ("check", "check"),
    "classify": ("check", "classify"),
    "profile": ("profiles", "profile"),
    "parent": ("profiles", "parent"),
    "device": ("profiles", "device"),
    "rule": ("profiles", "rule"),
    "lists": ("lists", "lists"),
    "alerts": ("alerts", "alerts"),
    "classifier": ("models", "classifier"),
    "setting": ("settings", "setting"),
    "schedule": ("timerules", "schedule"),
    "budget": ("timerules", "budget"),
    "bonus": ("timerules", "bonus"),
    "pause": ("timerules", "pause"),
    "resume": ("timerules", "resume"),
    "backup": ("backup", "backup"),
    "restore": ("backup", "restore"),
}


class _LazyGroup(click.Group):
    """A group whose commands (``COMMANDS``) are imported the first time they are asked for;
    it lists, resolves and documents them exactly as a group holding them all would."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attr = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"hearthguard.cli.{module}"), attr)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hearthguard")
@data_dir_option
def main(data_dir: Path | None) -> None:
    """Hearthguard: a household parental-control filtering proxy."""
