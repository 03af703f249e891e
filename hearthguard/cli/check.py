"""``hearthguard check`` and ``hearthguard classify``: what Hearthguard decides for URLs, and
what its classifiers say about lines of standard input (JSON lines out)."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import click

from hearthguard.cli.common import (
    EXIT_BAD_INPUT,
    data_dir_option,
    fail,
    friendly_errors,
    household_data,
    parse_local,
    policy_store,
)
from policy.check import CheckedLines, batch_url_verdicts
from policy.presets import PRESETS, preset
from policy.store import load_snapshot
from policy.timerules import at_local
from policy.values import Profile

__all__ = ["check", "classify"]


def _lines(urls: Iterable[str]) -> Iterator[str]:
    for line in urls:
        url = line.strip()
        if url and url[0] != "#":
            yield url


@click.command()
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
@click.option(
    "--at",
    "at",
    metavar="YYYY-MM-DDTHH:MM",
    help="Decide as at this local time in the household's zone (schedules, pauses, budgets).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1, max=64),
    default=None,
    help="Processes deciding a long list at once (default: one per core, at most 4).",
)
@click.argument("urls", nargs=-1)
@friendly_errors
def check(
    data_dir: Path | None,
    profile_name: str | None,
    preset_name: str | None,
    at: str | None,
    jobs: int | None,
    urls: tuple[str, ...],
) -> None:
    """Show what Hearthguard decides for each URL (one JSON object per line).

    URLs come from the arguments, or one per line on standard input. With ``--at`` the
    decision is the one for that local time (no minutes of any budget used yet). A list of
    more than 2,000 addresses is decided by several processes; the lines come in the order
    of the addresses either way.
    """
    from hearthguard.checkpool import check_in_parallel, default_jobs
    from policy.engine import load_files

    when = parse_local(at) if at else None
    data = household_data(data_dir)
    with policy_store(data.root) as store:
        # the URL model (and numpy) only if an address reaches it: no list names its host
        loaded = load_files(data, url_model_when_used=True)
        snapshot = load_snapshot(
            store,
            index=loaded.index,
            url_model=batch_url_verdicts(loaded.url_model),
            illegal=loaded.illegal,
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
                services=p.services,
            )
        else:
            profile = snapshot.profiles[snapshot.default_profile]
    now = at_local(when.date(), when.time(), snapshot.zone) if when else datetime.now(snapshot.zone)
    counts = CheckedLines()
    write = sys.stdout.write
    # Deciding makes many small objects and no reference cycles (what it remembers is
    # bounded): without the cycle collector walking everything loaded at start-up again and
    # again, a long list is decided about 10% faster, in the same memory.
    gc.freeze()
    gc.disable()
    try:
        for lines in check_in_parallel(
            _lines(urls or sys.stdin),
            profile,
            snapshot,
            now,
            counts,
            jobs if jobs is not None else default_jobs(),
        ):
            write("\n".join(lines) + "\n")
    finally:
        gc.enable()
    sys.stdout.flush()
    if counts.bad:
        sys.exit(EXIT_BAD_INPUT)


def _batches(lines: Iterable[str], size: int = 512) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        batch.append(line.rstrip("\n"))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@click.command()
@data_dir_option
@click.argument("kind", type=click.Choice(["url", "page", "chat"]))
@friendly_errors
def classify(data_dir: Path | None, kind: str) -> None:
    """Classify one input per line of standard input; JSON lines out.

    url and page: {"category", "score"}; chat: {"label": "abusive"|"ok", "score"}.
    A page line may be plain text or HTML.
    """
    from classifier.models.text import html_to_text
    from policy.engine import load_household_models

    models, problems = load_household_models(household_data(data_dir), names=(kind,))
    model = getattr(models, kind)
    if model is None:
        fail(
            next(
                (p for p in problems if f"{kind} classifier" in p),
                f"the {kind} classifier is unavailable",
            )
        )
    for batch in _batches(sys.stdin):
        texts = batch
        if kind == "page":
            texts = [html_to_text(t) if "<" in t and ">" in t else t for t in batch]
        for verdict in model.predict(texts):
            if kind == "chat":
                out = {"label": verdict.label, "score": round(verdict.score, 4)}
            else:
                out = {"category": verdict.category, "score": round(verdict.score, 4)}
            click.echo(json.dumps(out))
