"""``hearthguard classifier``: the page classifier's household learning (retraining on the
household's examples, an imported weighted phrase list)."""

from __future__ import annotations

from pathlib import Path

import click

from hearthguard.cli.common import data_dir_option, fail, friendly_errors, household_data

__all__ = ["classifier"]


@click.group()
def classifier() -> None:
    """The page classifier's household learning."""


@classifier.command("retrain")
@data_dir_option
@friendly_errors
def classifier_retrain(data_dir: Path | None) -> None:
    """Retrain the page classifier with this household's examples (kept in the data
    directory: pages of list-categorised sites and parents' answers in the dashboard).

    The running proxy switches to the new model within seconds.
    """
    from collections import Counter

    from classifier.training.household import retrain_page_model
    from policy.learning import Learning

    data = household_data(data_dir)
    examples = Learning(data.learning_dir).examples()
    if not examples:
        click.echo("No household examples yet: the shipped page classifier stays in use.")
        return
    counts = Counter(e.category for e in examples)
    click.echo(
        f"Retraining with {len(examples)} household examples: "
        + ", ".join(f"{c} {n}" for c, n in counts.most_common())
    )
    metadata = retrain_page_model([(e.text, e.category) for e in examples], data.models_dir)
    click.echo(
        f"New page classifier written to {data.models_dir} "
        f"({metadata.get('phrases', '?')} phrases)."
    )


@classifier.command("phrases")
@data_dir_option
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--remove", is_flag=True, help="Stop using the imported phrase list.")
@friendly_errors
def classifier_phrases(data_dir: Path | None, path: Path | None, remove: bool) -> None:
    """Import your e2guardian/DansGuardian weightedphraselist (with its includes) as a second
    signal for the content scan; without PATH, show what is imported."""
    from policy.phraselists import (
        PHRASE_LIMITS,
        import_phrase_list,
        load_phrase_scorer,
        remove_phrase_list,
    )

    data = household_data(data_dir)
    if remove:
        gone = remove_phrase_list(data)
        click.echo("Phrase list removed." if gone else "No phrase list was imported.")
        return
    if path is not None:
        parsed = import_phrase_list(data, path)
        click.echo(
            f"Imported {len(parsed.phrases)} weighted phrases from {len(parsed.files)} files."
        )
        for line in parsed.bad_lines[:20]:
            click.echo(f"  skipped {line}", err=True)
        if len(parsed.bad_lines) > 20:
            click.echo(f"  … and {len(parsed.bad_lines) - 20} more skipped lines", err=True)
        for missing in parsed.missing_includes:
            click.echo(f"  include not found: {missing}", err=True)
    _, info, problem = load_phrase_scorer(data)
    if problem:
        fail(problem)
    if info is None:
        click.echo("No phrase list is imported.")
        return
    limits = ", ".join(f"{name} {limit}" for name, limit in PHRASE_LIMITS.items())
    click.echo(
        f"In use: {info.phrases} phrases from {info.source} (imported "
        f"{info.imported_at}); naughtiness limits by preset: {limits}."
    )
