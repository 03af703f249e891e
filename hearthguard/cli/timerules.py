"""``hearthguard schedule``, ``budget``, ``bonus``, ``pause`` and ``resume``: offline times,
holidays, daily time budgets, bonus minutes and pauses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from hearthguard.cli.common import data_dir_option, friendly_errors, policy_store
from policy.store import PolicyStore
from policy.validate import InputError

__all__ = ["bonus", "budget", "pause", "resume", "schedule"]


def _household_now(store: PolicyStore) -> datetime:
    from policy.settings import household_zone

    return datetime.now(household_zone(store.get_setting("timezone")))


@click.group()
def schedule() -> None:
    """Offline times (bedtime, school time) per child or per device."""


@schedule.command("add")
@data_dir_option
@click.argument("profile_name", metavar="PROFILE")
@click.option("--days", required=True, help="mon-fri, sat,sun, fri-mon, weekdays, weekend, daily")
@click.option("--from", "start", required=True, metavar="HH:MM")
@click.option(
    "--until", "end", required=True, metavar="HH:MM", help="Before --from: past midnight."
)
@click.option("--device", "device_name", help="Only for this device of the child.")
@click.option("--label", default="bedtime", show_default=True)
@friendly_errors
def schedule_add(
    data_dir: Path | None,
    profile_name: str,
    days: str,
    start: str,
    end: str,
    device_name: str | None,
    label: str,
) -> None:
    """Add an offline window; one ending before it starts runs past midnight."""
    from policy.timerules import format_days, parse_clock, parse_days
    from policy.values import Schedule

    window = Schedule(
        parse_days(days),
        parse_clock(start, "from"),
        parse_clock(end, "until"),
        label,
        device=device_name,
    )
    with policy_store(data_dir) as store:
        schedule_id = store.add_schedule(profile_name, window, actor="cli")
    who = f" on {device_name}" if device_name else ""
    night = " (past midnight)" if window.crosses_midnight else ""
    click.echo(
        f"Added offline time {schedule_id} for {profile_name}{who}: {format_days(window.days)} "
        f"{window.start:%H:%M}-{window.end:%H:%M}{night}."
    )


@schedule.command("list")
@data_dir_option
@click.argument("profile_name", metavar="[PROFILE]", required=False)
@friendly_errors
def schedule_list(data_dir: Path | None, profile_name: str | None) -> None:
    """Offline times (id, profile, device, days, from, until, label) and holidays."""
    from policy.timerules import format_days

    with policy_store(data_dir) as store:
        names = [store.profile(profile_name).name] if profile_name else store.profile_names()
        for name in names:
            for sid, s in store.schedules_with_ids(name):
                click.echo(
                    f"{sid}\t{name}\t{s.device or '-'}\t{format_days(s.days)}"
                    f"\t{s.start:%H:%M}\t{s.end:%H:%M}\t{s.label}"
                )
        for h in store.holidays():
            if profile_name is None or h.profile in (None, names[0]):
                click.echo(
                    f"holiday {h.holiday_id}\t{h.profile or 'everyone'}\t{h.kind}"
                    f"\t{h.start}\t{h.end}\t{h.label}"
                )


@schedule.command("remove")
@data_dir_option
@click.argument("profile_name", metavar="PROFILE")
@click.argument("schedule_id", type=int)
@friendly_errors
def schedule_remove(data_dir: Path | None, profile_name: str, schedule_id: int) -> None:
    """Remove an offline time by the id `schedule list` shows."""
    with policy_store(data_dir) as store:
        if not store.remove_schedule(profile_name, schedule_id, actor="cli"):
            raise InputError("id", f"{profile_name} has no offline time {schedule_id}.")
    click.echo(f"Removed offline time {schedule_id}.")


@schedule.command("holiday")
@data_dir_option
@click.option("--from", "first", required=True, metavar="YYYY-MM-DD")
@click.option("--until", "last", metavar="YYYY-MM-DD", help="The last day (default: --from).")
@click.option(
    "--kind",
    type=click.Choice(["weekend", "no-bedtime"]),
    default="weekend",
    show_default=True,
    help="weekend: the weekend's times and budgets; no-bedtime: no offline time starts then.",
)
@click.option("--profile", "profile_name", help="Only for this child (default: everyone).")
@click.option("--label", default="holiday", show_default=True)
@click.option("--remove", "remove_id", type=int, help="Remove the holiday with this id instead.")
@friendly_errors
def schedule_holiday(
    data_dir: Path | None,
    first: str,
    last: str | None,
    kind: str,
    profile_name: str | None,
    label: str,
    remove_id: int | None,
) -> None:
    """A holiday override: treat days as weekend, or no bedtime on those nights."""
    from policy.timerules import parse_date
    from policy.values import Holiday

    with policy_store(data_dir) as store:
        if remove_id is not None:
            if not store.remove_holiday(remove_id, actor="cli"):
                raise InputError("remove", f"There is no holiday {remove_id}.")
            click.echo(f"Removed holiday {remove_id}.")
            return
        start = parse_date(first, "from")
        end = parse_date(last, "until") if last else start
        holiday = Holiday(start, end, kind.replace("-", "_"), label, profile_name)
        holiday_id = store.add_holiday(holiday, actor="cli")
    click.echo(f"Added holiday {holiday_id}: {kind} from {start} to {end}.")


@click.command(context_settings={"ignore_unknown_options": True})
@data_dir_option
@click.argument("profile_name", metavar="PROFILE")
@click.argument("group")
@click.argument("minutes")
@click.option("--weekend", "only", flag_value="weekend", help="Only Saturdays and Sundays.")
@click.option("--weekdays", "only", flag_value="weekdays", help="Only Monday to Friday.")
@friendly_errors
def budget(
    data_dir: Path | None, profile_name: str, group: str, minutes: str, only: str | None
) -> None:
    """A daily allowance of MINUTES (0 = none that day; `off` removes it) for a GROUP of
    sites: games, video, social, shopping or everything."""
    from policy.budgets import BUDGET_DAYS, clean_group, clean_minutes

    group = clean_group(group)
    amount = None if minutes.strip().lower() == "off" else clean_minutes(minutes)
    days = [only] if only else list(BUDGET_DAYS)
    with policy_store(data_dir) as store:
        store.set_budget(profile_name, group, amount, days=days, actor="cli")
    when = only or "every day"
    what = "no limit" if amount is None else f"{amount} minutes a day"
    click.echo(f"{profile_name}: {group} {what} ({when}).")


@click.command(context_settings={"ignore_unknown_options": True})
@data_dir_option
@click.argument("profile_name", metavar="PROFILE")
@click.argument("group")
@click.argument("minutes")
@friendly_errors
def bonus(data_dir: Path | None, profile_name: str, group: str, minutes: str) -> None:
    """Give MINUTES more of GROUP for today (the household's today)."""
    from policy.budgets import clean_minutes

    amount = clean_minutes(minutes)
    with policy_store(data_dir) as store:
        total = store.add_bonus(
            profile_name, group, amount, _household_now(store).date(), actor="cli"
        )
    click.echo(f"{profile_name}: +{amount} minutes of {group} today ({total} bonus minutes today).")


def _pause_target(profile_name: str | None, device_name: str | None) -> None:
    if (profile_name is None) == (device_name is None):
        raise InputError("profile", "Name a child (PROFILE) or a device (--device NAME).")


@click.command()
@data_dir_option
@click.argument("profile_name", metavar="PROFILE", required=False)
@click.option("--device", "device_name", help="Pause this device only.")
@click.option("--for", "length", metavar="30m|1h", help="How long the pause lasts.")
@click.option("--until", "until", metavar="HH:MM|morning", help="When the pause ends.")
@friendly_errors
def pause(
    data_dir: Path | None,
    profile_name: str | None,
    device_name: str | None,
    length: str | None,
    until: str | None,
) -> None:
    """Pause the internet for a child (all their devices) or one device."""
    from policy.timerules import pause_end

    _pause_target(profile_name, device_name)
    with policy_store(data_dir) as store:
        now = _household_now(store)
        ends = pause_end(now, length=length, until=until)
        if device_name is not None:
            name = store.update_device(
                store.device(device_name).name, paused_until=ends, actor="cli"
            ).name
        else:
            name = store.pause_profile(
                store.profile(profile_name or "").name, ends, actor="cli"
            ).name
    click.echo(f"{name} is paused until {ends:%Y-%m-%d %H:%M} ({ends.tzinfo}).")


@click.command()
@data_dir_option
@click.argument("profile_name", metavar="PROFILE", required=False)
@click.option("--device", "device_name", help="Resume this device.")
@friendly_errors
def resume(data_dir: Path | None, profile_name: str | None, device_name: str | None) -> None:
    """End a pause now."""
    _pause_target(profile_name, device_name)
    with policy_store(data_dir) as store:
        if device_name is not None:
            name = store.update_device(
                store.device(device_name).name, paused_until=None, actor="cli"
            ).name
        else:
            name = store.pause_profile(
                store.profile(profile_name or "").name, None, actor="cli"
            ).name
    click.echo(f"{name} is no longer paused.")
