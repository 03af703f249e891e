"""``hearthguard alerts``: chat-safety alerts and children's own reports, newest first."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hearthguard.cli.common import data_dir_option, friendly_errors, household_data, policy_store

__all__ = ["alerts"]


@click.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per alert.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=200, show_default=True)
@friendly_errors
def alerts(data_dir: Path | None, as_json: bool, limit: int) -> None:
    """Chat-safety alerts and children's own reports, newest first."""
    from policy.activity import ActivityStore
    from policy.settings import household_zone

    with policy_store(data_dir) as policy:
        zone = household_zone(policy.get_setting("timezone"))
    store = ActivityStore(household_data(data_dir).activity_db)
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
