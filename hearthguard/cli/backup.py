"""``hearthguard backup FILE`` and ``hearthguard restore FILE``: the whole household, CA
included (the work is done in ``policy.backup``).
"""

from __future__ import annotations

from pathlib import Path

import click

from hearthguard.cli.common import data_dir_option, friendly_errors, where
from hearthguard.init_data import require_household

__all__ = ["backup", "restore"]


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"


@click.command()
@data_dir_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--with-activity", is_flag=True, help="Also keep the activity log (activity.db).")
@friendly_errors
def backup(data_dir: Path | None, file: Path, with_activity: bool) -> None:
    """Write the whole household to FILE (a new file, readable by its owner only).

    It holds policy.db, the CA certificate AND ITS PRIVATE KEY, the secrets, the household's
    hotline and phrase lists, WireGuard keys and retrained models; the activity log only
    with --with-activity. Keep it as safe as a password.
    """
    from policy.backup import backup_household

    data = require_household(*where(data_dir))
    report = backup_household(data, file, with_activity=with_activity)
    click.echo(
        f"Backed up the household in {data.root} to {report.path} "
        f"({len(report.members)} files, {_size(report.path.stat().st_size)}"
        f"{', activity included' if report.with_activity else ''})."
    )
    click.echo(
        "It holds the household's CA private key: keep it as safe as a password, "
        "and never on a device a child uses."
    )


@click.command()
@data_dir_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@friendly_errors
def restore(data_dir: Path | None, file: Path) -> None:
    """Replace the household with the one in FILE (made by `hearthguard backup`).

    The archive is checked whole first; the current data directory is kept beside it as
    <data>.before-restore-<time>. Stop Hearthguard first, and start it again afterwards.
    """
    from policy.backup import restore_household

    root, _how = where(data_dir)
    report = restore_household(file, root)
    manifest = report.manifest
    click.echo(
        f"Restored the household in {report.data.root} from {file} (made "
        f"{manifest.get('created_at')} by Hearthguard {manifest.get('hearthguard')})."
    )
    if report.previous is not None:
        click.echo(f"The data directory it replaced is kept as {report.previous}.")
    for name, source in report.lists_without_files:
        click.echo(
            f"The list {name} has no files here; import it again from {source} "
            "(`hearthguard lists import`).",
            err=True,
        )
    click.echo(
        "Start Hearthguard again (sudo systemctl restart hearthguard) so it uses the "
        "restored household."
    )
