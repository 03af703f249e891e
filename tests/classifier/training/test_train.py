"""Training helpers: list reading, splits, chat data cleaning, tiny reproducible models,
household retraining (``classifier.training``)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from classifier.categories import BENIGN
from classifier.models.chat import repair_mojibake
from classifier.models.loading import load_models
from classifier.models.url import registered_domain
from classifier.models.verdicts import ABUSIVE, OK
from classifier.training.chat_pipeline import chat_examples, train_chat_model
from classifier.training.conversion import pipeline_from_table, pipeline_to_table
from classifier.training.household import retrain_page_model
from classifier.training.list_sources import read_list_file
from classifier.training.page import train_page_model
from classifier.training.splits import Example, group_split
from classifier.training.url_pipeline import train_url_model


def test_read_list_file_counts_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_text(
        "# comment\n\n0.0.0.0 Porn.Example.com\n127.0.0.1 casino.example\n"
        "plain.example.org\nexample.net/some/path\n"
        "two words here\n0.0.0.0 0.0.0.0\nbad<host>.com\n",
        encoding="utf-8",
    )
    entries, bad = read_list_file(path)
    assert entries == [
        "porn.example.com",
        "casino.example",
        "plain.example.org",
        "example.net/some/path",
    ]
    assert bad == 3


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("a.b.example.com", "example.com"),
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("example.co.uk/path", "example.co.uk"),
        ("192.168.1.20", "192.168.1.20"),
        ("localhost", "localhost"),
        ("x.example.de:8080", "example.de"),
    ],
)
def test_registered_domain(host: str, expected: str) -> None:
    assert registered_domain(host) == expected


def test_group_split_is_deterministic_and_never_splits_a_group() -> None:
    examples = [Example(f"t{i}", "x", f"g{i % 97}", "s") for i in range(2000)]
    train, test = group_split(examples)
    assert (train, test) == group_split(examples)
    assert {e.group for e in train}.isdisjoint({e.group for e in test})
    assert 0.1 < len(test) / len(examples) < 0.3
    _, other_test = group_split(examples, seed=7)
    assert {e.group for e in other_test} != {e.group for e in test}


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("We\u00e2\u0080\u0099ve won", "We\u2019ve won"),  # UTF-8 read as Latin-1
        ("We\u00e2\u20ac\u2122ve won", "We\u2019ve won"),  # UTF-8 read as cp1252
        ("caf\u00c3\u00a9 &amp; bar", "caf\u00e9 & bar"),
        ("plain caf\u00e9 stays", "plain caf\u00e9 stays"),
        ("\u00e2 alone", "\u00e2 alone"),
    ],
)
def test_repair_mojibake(broken: str, fixed: str) -> None:
    assert repair_mojibake(broken) == fixed


def write_text_sets(root: Path) -> None:
    """A tiny data folder in the real sets' layouts."""
    text = root / "text"
    (text / "davidson").mkdir(parents=True)
    (text / "cyberbullying").mkdir()
    (text / "jigsaw-sample").mkdir()
    with (text / "davidson" / "labeled_data.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["", "count", "hate_speech", "offensive_language", "neither", "class", "tweet"]
        )
        writer.writerow([0, 3, 0, 3, 0, 1, "RT @bob: you stupid idiot"])
        writer.writerow([1, 3, 0, 0, 3, 2, "Lovely weather at the park today"])
        writer.writerow([2, 3, 0, 0, 3, 2, "shared text that both sets contain"])
        writer.writerow([3, 3, 0, 2, 1, 1, "conflicting text"])
        writer.writerow([4, 3, 0, 0, 3, 9, "unknown class"])
    with (text / "cyberbullying" / "sample.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["tweet_text", "cyberbullying_type"])
        writer.writerow(["Shared text that BOTH sets contain!!", "not_cyberbullying"])
        writer.writerow(["Conflicting   text", "not_cyberbullying"])
        writer.writerow(["We\u00e2\u0080\u0099re going to the match", "not_cyberbullying"])
        writer.writerow(["i was bullied in high school", "age"])
        writer.writerow(["lovely weather at the park today", "not_cyberbullying"])
        writer.writerow(["odd row", "no_such_class"])
    with (text / "jigsaw-sample" / "test_examples.csv").open(
        "w", newline="", encoding="utf-8"
    ) as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "comment_text",
                "toxic",
                "severe_toxic",
                "obscene",
                "threat",
                "insult",
                "identity_hate",
            ]
        )
        writer.writerow(["a thoughtful comment", 0, 0, 0, 0, 0, 0])
        writer.writerow(["you idiot", 1, 0, 0, 0, 1, 0])


def test_chat_examples_deduplicate_across_sets_and_drop_conflicts(tmp_path: Path) -> None:
    write_text_sets(tmp_path)
    examples, check, report = chat_examples(tmp_path)
    from classifier.training.chat_data import CORPUS_SOURCES  # the project's own corpora

    own = ("hand-written", *CORPUS_SOURCES)
    from_data = [e for e in examples if e.source.split(":")[0] not in own]
    texts = sorted(e.text for e in from_data)
    assert texts == [
        "Lovely weather at the park today",
        "We\u2019re going to the match",
        "shared text that both sets contain",
        "you stupid idiot",
    ]
    labels = {e.text: e.label for e in from_data}
    assert labels["you stupid idiot"] == ABUSIVE
    assert labels["shared text that both sets contain"] == OK
    assert labels["Lovely weather at the park today"] == OK
    # the project's own corpora hold texts judged differently in different conversations
    # (ConvAbuse: "yes" after a question and after an insult); the files above add one
    from classifier.training.chat_data import read_chat_corpus

    _, _, own_report = read_chat_corpus(tmp_path / "no-such-dir")
    assert report["conflicting_texts_dropped"] == own_report["conflicting_texts_dropped"] + 1
    assert report["duplicates_removed"] >= 1
    assert report["bad_rows"] == 2
    assert [e.label for e in check] == [OK, ABUSIVE]
    # no text on both sides of a split, whatever the seed
    for seed in range(5):
        train, test = group_split(examples, seed=seed)
        assert {e.group for e in train}.isdisjoint({e.group for e in test})


URLS = [
    ("^freepornvideos.com$", "adult"), ("^hotsexcams.net$", "adult"),
    ("^xxxtube.org$", "adult"), ("^pornhubfree.biz$", "adult"),
    ("^bestcasino.com$", "gambling"), ("^pokerroom.net$", "gambling"),
    ("^slotsbonus.org$", "gambling"), ("^casinowin.biz$", "gambling"),
    ("^citynews.com$", "benign"), ("^gardenshop.net$", "benign"),
    ("^schoolbooks.org$", "benign"), ("^weatherdaily.biz$", "benign"),
]  # fmt: skip


def test_tiny_url_model_is_deterministic_and_round_trips() -> None:
    train = [Example(u, y, u, "t") for u, y in URLS * 3]
    first = train_url_model(train, max_features=300, max_iter=200)
    second = train_url_model(train, max_features=300, max_iter=200)
    np.testing.assert_array_equal(first[-1].coef_, second[-1].coef_)
    table = pipeline_to_table(first)
    rebuilt = pipeline_from_table(table)
    probe = ["^freecasinoporn.com$", "^news.org$"]
    np.testing.assert_allclose(rebuilt.predict_proba(probe), first.predict_proba(probe), rtol=1e-5)
    assert rebuilt.predict(["^pornvideos.net$"])[0] == "adult"


def test_tiny_chat_model_is_deterministic() -> None:
    texts = [("you are a stupid idiot", ABUSIVE), ("shut up loser", ABUSIVE),
             ("see you at practice", OK), ("lovely weather today", OK)] * 5  # fmt: skip
    train = [Example(t, y, f"{t}{i}", "t:1.0") for i, (t, y) in enumerate(texts)]
    first = train_chat_model(train)
    second = train_chat_model(train)
    np.testing.assert_array_equal(first[-1].coef_, second[-1].coef_)
    column = list(first.classes_).index(ABUSIVE)
    scores = first.predict_proba(["stupid loser", "practice today"])[:, column]
    assert scores[0] > 0.5 > scores[1]


PAGES = [
    ("free porn videos hot sex xxx", "adult"), ("xxx porn tube hardcore", "adult"),
    ("online casino slots bonus", "gambling"), ("poker betting casino jackpot", "gambling"),
    ("local news weather and sport", BENIGN), ("school library opening hours", BENIGN),
    ("garden centre plants and tools", BENIGN), ("recipes for family dinners", BENIGN),
]  # fmt: skip


def tiny_pages() -> list[Example]:
    return [Example(t, y, f"{i}", "t") for i, (t, y) in enumerate(PAGES * 4)]


def test_tiny_page_model_is_deterministic() -> None:
    first = train_page_model(tiny_pages(), c=5.0, max_iter=200)
    second = train_page_model(tiny_pages(), c=5.0, max_iter=200)
    assert list(first["phrases"]) == list(second["phrases"])
    np.testing.assert_array_equal(first["weights"], second["weights"])
    assert " porn " in list(first["phrases"])


def write_corpus(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with gzip.open(directory / "page_corpus.jsonl.gz", "wt", encoding="utf-8") as handle:
        for e in tiny_pages():
            handle.write(json.dumps({"text": e.text, "label": e.label, "source": "t"}) + "\n")
    (directory / "page.json").write_text(
        json.dumps({"format": 1, "model": "page"}), encoding="utf-8"
    )


def test_retrain_page_model_learns_household_examples(tmp_path: Path) -> None:
    corpus = tmp_path / "shipped"
    write_corpus(corpus)
    out = tmp_path / "local"
    household = [("zorblatt zorblatt exclusive members gallery", "adult")] * 20 + [
        ("free sexual health clinic condoms testing", "sex_education")
    ] * 20
    metadata = retrain_page_model(household, out, corpus_dir=corpus)
    assert metadata["household_examples"] == {"adult": 20, BENIGN: 20}
    assert (out / "page.skops").is_file() and (out / "page.json").is_file()
    models = load_models(corpus, local_dir=out)
    assert models.sources["page"] == str(out)
    page = models.page
    assert page is not None
    # The household's word became evidence of adult pages; one evidence phrase alone never
    # blocks (the evidence rule), so a page needs more than the new word.
    adult = page.classes.index("adult")
    score, count = page.evidence("zorblatt exclusive members gallery")
    assert score[adult] > 0 and count[adult] >= 1
    explained = [phrase for phrase, _ in page.explain("zorblatt exclusive members gallery")]
    assert any(phrase.startswith("zorblatt") for phrase in explained)
    assert page.predict(["zorblatt gallery"])[0].category == BENIGN
    # deterministic: the same inputs give the same file contents
    again = tmp_path / "again"
    retrain_page_model(household, again, corpus_dir=corpus)
    assert load_models(corpus, local_dir=again).page.phrases == page.phrases  # type: ignore[union-attr]


def test_retrain_without_shipped_corpus_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        retrain_page_model([("text", "adult")], tmp_path / "out", corpus_dir=tmp_path)


def test_retrain_skips_harmful_categories_the_page_model_lacks(tmp_path: Path) -> None:
    corpus = tmp_path / "shipped"
    write_corpus(corpus)
    examples = [
        ("graphic fight videos", "violence"),
        ("cheap headphones", "shopping"),
        ("", "adult"),
        ("casino", "gambling"),
    ]
    metadata = retrain_page_model(examples, tmp_path / "out", corpus_dir=corpus)
    assert metadata["household_examples"] == {BENIGN: 1, "gambling": 1}
    assert metadata["household_examples_skipped"] == 2


def test_the_shipped_attribution_is_what_training_writes() -> None:
    """The next training run rewrites ATTRIBUTION.md from the table in the code: a row added
    only to the file (a new corpus) would be lost then."""
    from classifier.models.loading import BUNDLED_MODEL_DIR
    from classifier.training.attribution import attribution_markdown

    shipped = (BUNDLED_MODEL_DIR / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert shipped == attribution_markdown()
