"""The household example store's format and caps (``classifier.household``), which the proxy
writes through ``policy.learning`` and household retraining reads."""

from __future__ import annotations

import json
from pathlib import Path

from classifier.household import MAX_TEXT_CHARS, Example, example_row, read_examples


def write_rows(store: Path, examples: list[Example]) -> None:
    store.parent.mkdir(parents=True, exist_ok=True)
    with store.open("a", encoding="utf-8") as handle:
        for example in examples:
            row = example_row(example)
            if row is not None:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def test_rows_are_cut_canonical_and_blank_texts_never_stored() -> None:
    row = example_row(Example("x" * 50_000, "press", "parent:wrong:mum"))
    assert row == {"text": "x" * MAX_TEXT_CHARS, "category": "news", "source": "parent:wrong:mum"}
    assert example_row(Example("   ", "adult", "list:adult")) is None


def test_the_newest_examples_are_read_and_bad_lines_counted(tmp_path: Path) -> None:
    store = tmp_path / "learning" / "examples.jsonl"
    write_rows(store, [Example(f"page {i}", "porn", "list:adult") for i in range(8)])
    with store.open("a", encoding="utf-8") as handle:
        handle.write("not json\n")
        handle.write(json.dumps({"text": "", "category": "adult"}) + "\n")
        handle.write(json.dumps({"category": "adult"}) + "\n")
        handle.write('{"text": "torn\n')
        handle.write("[1, 2]\n")
    examples, bad = read_examples(store, limit=5)
    assert bad == 5
    assert [e.text for e in examples] == [f"page {i}" for i in range(3, 8)]
    assert {e.category for e in examples} == {"adult"}  # made canonical
    assert {e.source for e in examples} == {"list:adult"}


def test_rows_written_by_hand_are_cut_and_made_canonical_when_read(tmp_path: Path) -> None:
    store = tmp_path / "examples.jsonl"
    store.write_text(
        json.dumps({"text": "y" * 9000, "category": "drogue"}) + "\n", encoding="utf-8"
    )
    (example,), bad = read_examples(store)
    assert bad == 0
    assert (len(example.text), example.category, example.source) == (MAX_TEXT_CHARS, "drugs", "")


def test_a_missing_store_is_empty(tmp_path: Path) -> None:
    assert read_examples(tmp_path / "absent.jsonl") == ([], 0)
