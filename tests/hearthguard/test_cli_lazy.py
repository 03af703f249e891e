"""The ``hearthguard`` group imports a command's module only when that command is run or
listed, and still lists, resolves and documents every command as before."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
from click.testing import CliRunner

from hearthguard.cli import COMMANDS, main


def test_every_command_resolves_to_its_modules_own_object() -> None:
    ctx = click.Context(main)
    assert main.list_commands(ctx) == sorted(COMMANDS)
    for name, (module, attr) in COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is getattr(importlib.import_module(f"hearthguard.cli.{module}"), attr)
        assert command.name == name
    assert main.get_command(ctx, "no-such-command") is None


def test_help_lists_every_command_and_an_unknown_one_exits_2() -> None:
    runner = CliRunner()
    shown = runner.invoke(main, ["--help"])
    assert shown.exit_code == 0
    listed = shown.output.split("Commands:", 1)[1].split()
    for name in COMMANDS:
        assert name in listed
    unknown = runner.invoke(main, ["no-such-command"])
    assert unknown.exit_code == 2
    assert "No such command" in unknown.output


def test_check_does_not_import_the_other_commands() -> None:
    probe = (
        "import sys\n"
        "from hearthguard.cli import main\n"
        "try:\n"
        "    main(['check', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('hearthguard.cli.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = done.stdout.strip().splitlines()[-1]
    assert "hearthguard.cli.check" in loaded
    for other in ("run", "backup", "lists", "profiles", "alerts", "timerules"):
        assert f"hearthguard.cli.{other}'" not in loaded
