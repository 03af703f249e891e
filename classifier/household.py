"""The household example store: labelled page texts the page model may be retrained on.

The store is ``<data>/learning/examples.jsonl``, one ``{"text", "category", "source"}`` JSON
object per line. ``source`` says where the label came from: ``list:<category>`` for a page of
a host a category list names, ``parent:<verdict>:<parent>`` for a parent's answer in the
dashboard. This module owns the line format and the caps: `policy.learning` appends rows made
by `example_row` as the proxy and the dashboard produce them, and everything that reads the
store (the dashboard, ``hearthguard classifier retrain``) reads it through `read_examples`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from classifier.categories import canonical

__all__ = [
    "MAX_EXAMPLES",
    "MAX_TEXT_CHARS",
    "Example",
    "example_row",
    "read_examples",
]

#: Texts are cut to this many characters when stored (and again when read).
MAX_TEXT_CHARS = 4000
#: The store keeps (and readers see) at most this many examples, the newest.
MAX_EXAMPLES = 5000


@dataclass(frozen=True, slots=True)
class Example:
    """One household example: a page text, its canonical category and where the label came
    from."""

    text: str
    category: str
    source: str


def example_row(example: Example) -> dict[str, str] | None:
    """The stored form of ``example``: the text cut at `MAX_TEXT_CHARS`, the category made
    canonical; None for a blank text, which is never stored."""
    if not example.text.strip():
        return None
    return {
        "text": example.text[:MAX_TEXT_CHARS],
        "category": canonical(example.category),
        "source": example.source,
    }


def _parse_row(line: str) -> Example | None:
    try:
        row = json.loads(line)
    except ValueError:
        return None
    if not isinstance(row, dict):
        return None
    text, category = row.get("text"), row.get("category")
    if not isinstance(text, str) or not isinstance(category, str) or not text.strip():
        return None
    return Example(text[:MAX_TEXT_CHARS], canonical(category), str(row.get("source", "")))


def read_examples(path: Path, limit: int | None = None) -> tuple[list[Example], int]:
    """The newest ``limit`` (default `MAX_EXAMPLES`) examples of the store at ``path``, oldest
    first, and the number of bad lines skipped (torn, not JSON, or without a text and a
    category). A missing store is empty."""
    limit = MAX_EXAMPLES if limit is None else limit
    examples: list[Example] = []
    bad = 0
    path = Path(path)
    if not path.is_file():
        return examples, bad
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                continue
            example = _parse_row(line)
            if example is None:
                bad += 1
            else:
                examples.append(example)
    return (examples[-limit:] if limit > 0 else []), bad
