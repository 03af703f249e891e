"""The household's learning store: capped examples, the review queue, parents' answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from classifier import household
from classifier.household import Example
from policy.learning import Learning

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def review(store: Learning, url: str, *, at=NOW, kind="blocked", category="adult") -> None:
    store.add_review(
        at=at,
        kind=kind,
        host=url.split("/")[0],
        url=url,
        category=category,
        score=0.93,
        text=f"text of {url}",
        device="Tablet",
    )


def test_examples_are_appended_cut_and_canonical(tmp_path) -> None:
    store = Learning(tmp_path / "learning")
    store.add_examples([Example("x" * 10_000, "drogue", "list:drugs"), Example("   ", "adult", "")])
    (only,) = store.examples()
    assert (len(only.text), only.category, only.source) == (
        household.MAX_TEXT_CHARS,
        "drugs",
        "list:drugs",
    )


def test_the_store_is_capped(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(household, "MAX_EXAMPLES", 10)
    store = Learning(tmp_path / "learning")
    for i in range(35):
        store.add_examples([Example(f"page {i} " + "words " * 200, "news", "list:news")])
    kept = store.examples()
    assert len(kept) == 10 and kept[-1].text.startswith("page 34 ")
    lines = store.examples_path.read_text().splitlines()
    assert len(lines) <= 20


def test_damaged_lines_are_skipped(tmp_path) -> None:
    store = Learning(tmp_path / "learning")
    store.add_examples([Example("a page", "news", "list:news")])
    with store.examples_path.open("a") as f:
        f.write('{"text": "torn\n[1, 2]\n')
    store.add_examples([Example("another page", "adult", "parent:right:mum")])
    assert [e.text for e in store.examples()] == ["a page", "another page"]


def test_answering_a_review_makes_an_example_and_clears_the_page(tmp_path) -> None:
    store = Learning(tmp_path / "learning")
    review(store, "clinic.example/advice")
    review(store, "clinic.example/advice")  # the same page twice counts once
    review(store, "videos.example/x", kind="uncertain")
    items = store.review_items()
    assert [i.url for i in items] == ["videos.example/x", "clinic.example/advice"]
    answered = store.answer_review(items[1].item_id, "benign", parent="mum")
    assert answered is not None and answered.url == "clinic.example/advice"
    assert [i.url for i in store.review_items()] == ["videos.example/x"]
    (example,) = store.examples()
    assert (example.category, example.source) == ("benign", "parent:wrong:mum")
    assert store.answer_review("no-such-id", "adult", parent="mum") is None


def test_old_reviews_are_pruned(tmp_path) -> None:
    store = Learning(tmp_path / "learning")
    review(store, "old.example/", at=NOW - timedelta(days=40))
    review(store, "new.example/", at=NOW)
    store.prune_review(NOW - timedelta(days=30))
    assert [i.url for i in store.review_items()] == ["new.example/"]
