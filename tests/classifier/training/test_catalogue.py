"""The software-catalogue and cooking pages: parsed from real formats, paged, shipped."""

from __future__ import annotations

import json

from classifier.categories import BENIGN
from classifier.training.catalogue import (
    APPS_PER_PAGE,
    QUESTIONS_PER_PAGE,
    build_catalogue_corpus,
    cooking_pages,
    main,
    public_apis_pages,
    scoop_pages,
)
from classifier.training.sources import read_page_source

README = """# Public APIs
### Animals
API | Description | Auth | HTTPS | CORS
|:---|:---|:---|:---|:---|
| [Cat Facts](https://catfact.ninja/) | Random cat facts | No | Yes | Yes |
| [Dogs](https://dog.ceo/dog-api/) | Based on the Stanford Dogs Dataset | No | Yes | Yes |
### Video
| [Vimeo](https://developer.vimeo.com/) | Vimeo Developer API | `OAuth` | Yes | Unknown |
not a row
"""


def test_public_apis_rows_become_one_page_per_category() -> None:
    pages = dict(public_apis_pages(README))
    assert pages == {
        "apis:Animals:0": "Animals\nCat Facts: Random cat facts\n"
        "Dogs: Based on the Stanford Dogs Dataset",
        "apis:Video:0": "Video\nVimeo: Vimeo Developer API",
    }


def test_scoop_manifests_are_paged_and_broken_ones_skipped(tmp_path) -> None:
    for i in range(APPS_PER_PAGE + 2):
        (tmp_path / f"app{i:03}.json").write_text(json.dumps({"description": f"Tool  number {i}"}))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "nodesc.json").write_text(json.dumps({"version": "1"}))
    (tmp_path / "list.json").write_text("[1, 2]")
    pages = scoop_pages(tmp_path)
    assert [group for group, _ in pages] == ["apps:Applications:0", "apps:Applications:1"]
    assert pages[0][1].splitlines()[1] == "app000: Tool number 0"
    assert len(pages[1][1].splitlines()) == 3  # the title and the last two apps


def test_the_corpus_is_written_byte_identically(tmp_path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.json").write_text(json.dumps({"description": "Video player"}))
    first, second = tmp_path / "1.jsonl.gz", tmp_path / "2.jsonl.gz"
    assert build_catalogue_corpus(README, tmp_path / "b", first) == 3
    build_catalogue_corpus(README, tmp_path / "b", second)
    assert first.read_bytes() == second.read_bytes()


def test_bad_arguments_exit_2_and_write_nothing(tmp_path, capsys) -> None:
    out = tmp_path / "out.jsonl.gz"
    assert main([str(tmp_path / "missing.md"), str(tmp_path), str(out)]) == 2
    assert main([]) == 2
    assert not out.exists()
    assert "error" in capsys.readouterr().err


def test_the_shipped_catalogue_is_a_trainable_benign_source(tmp_path) -> None:
    pages = read_page_source("software", tmp_path)
    assert len(pages) > 150
    assert {e.label for e in pages} == {BENIGN} and {e.source for e in pages} == {"software"}
    text = " ".join(e.text for e in pages).lower()
    for word in ("api", "sdk", "analytics", "sync", "video"):
        assert f" {word} " in f" {text} "


def test_cooking_questions_become_pages_per_first_tag() -> None:
    text = (
        "__label__sauce __label__cheese How much does potato starch affect a cheese sauce?\n"
        "__label__olive-oil Is extra virgin olive oil good for frying?\n"
        "__label__sauce Why did my sauce split?\n"
        "__label__baking\n"
        "no tag at all\n"
    )
    assert cooking_pages(text) == [
        (
            "cooking:sauce:0",
            "sauce\nHow much does potato starch affect a cheese sauce?\nWhy did my sauce split?",
        ),
        ("cooking:olive oil:0", "olive oil\nIs extra virgin olive oil good for frying?"),
    ]


def test_the_shipped_cooking_questions_are_a_trainable_benign_source(tmp_path) -> None:
    pages = read_page_source("cooking", tmp_path)
    assert len(pages) > 500 and {e.source for e in pages} == {"cooking"}
    assert max(len(e.text.splitlines()) for e in pages) == QUESTIONS_PER_PAGE + 1
    text = " ".join(e.text for e in pages).lower()
    assert "extra virgin olive oil" in text and "granny smith" in text
