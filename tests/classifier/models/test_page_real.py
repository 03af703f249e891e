"""The shipped page model on real pages of each kind it used to get wrong, read at run time
from the shared data (never copied into the project), and the evidence rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier.categories import BENIGN
from classifier.models.loading import load_models
from classifier.models.page import PageModel, build_page_model
from classifier.training.sources import read_page_source
from classifier.training.splits import Example

CHILD = 0.7  # the child preset's page threshold


@pytest.fixture(scope="module")
def page() -> PageModel:
    models = load_models(names=["page"])
    assert models.page is not None, models.errors
    return models.page


def blocked(page: PageModel, docs: list[Example], threshold: float = CHILD) -> list[str]:
    """The groups of the documents the model blocks at ``threshold``."""
    verdicts = page.predict([e.text for e in docs])
    return [
        e.group
        for e, v in zip(docs, verdicts, strict=True)
        if v.category != BENIGN and v.score >= threshold
    ]


def pages_with(shared_data: Path, source: str, *words: str) -> list[Example]:
    docs = read_page_source(source, shared_data)
    found = [e for e in docs if any(w in e.text.lower() for w in words)]
    assert found, f"no {source} page mentions {words}"
    return found


def test_recipe_pages_with_wine_are_not_blocked(page: PageModel, shared_data: Path) -> None:
    recipes = pages_with(shared_data, "recipes", " wine")
    assert len(recipes) > 100
    assert blocked(page, recipes) == []


def test_all_real_recipe_pages_stay_open(page: PageModel, shared_data: Path) -> None:
    # Before: 202 of 1,110 blocked at the child preset, 197 of them as "drugs".
    recipes = read_page_source("recipes", shared_data)
    assert len(blocked(page, recipes)) <= len(recipes) // 100


def test_news_articles_about_casinos_are_not_blocked(page: PageModel, shared_data: Path) -> None:
    news = pages_with(shared_data, "bbc_news", "casino")
    assert blocked(page, news, threshold=0.6) == []


@pytest.mark.parametrize(
    "focus",
    [
        "Medication Errors",  # pharmacists, prescriptions, medicines
        "Medicines and Children",
        "Gay, Lesbian, Bisexual and Transgender Health",
        "Birth Control",  # sex education: condoms, contraception
        "Chlamydia Infections",
    ],
)
def test_health_pharmacy_lgbt_and_sex_education_pages_are_not_blocked(
    page: PageModel, shared_data: Path, focus: str
) -> None:
    docs = [e for e in read_page_source("medquad", shared_data) if e.group == f"medquad:{focus}"]
    assert docs
    assert blocked(page, docs, threshold=0.6) == []


def test_news_of_game_shops_are_not_blocked(page: PageModel, shared_data: Path) -> None:
    docs = [
        e
        for e in pages_with(shared_data, "ag_news", "game")
        if any(w in e.text.lower() for w in ("store", "shop", "sales", "buy"))
    ]
    assert len(docs) > 10
    assert blocked(page, docs, threshold=0.6) == []


def test_a_social_network_home_page_is_not_blocked(page: PageModel) -> None:
    # The words of a social network's signed-out home page.
    home = (
        "Connect with friends and the world around you. Log in. Email or phone number. "
        "Password. Forgotten password? Create new account. Sign up. It's quick and easy. "
        "Create a Page for a celebrity, brand or business. Messenger. Marketplace. Groups. "
        "Photos. Videos. Privacy Policy. Terms. Cookies. Ad choices. Help. Meet new people."
    )
    (verdict,) = page.predict([home])
    assert verdict.category == BENIGN


def test_a_developer_home_page_is_not_blocked(page: PageModel) -> None:
    # The advertising and tracking servers the gambling lists name once taught the model
    # that these words meant gambling (a page like this was blocked at 1.0).
    home = (
        "Developer platform: analytics SDK and REST API, real-time metrics, data sync, ad "
        "tracking, stats dashboard and banner ads for your apps. Read the docs. Pricing."
    )
    (verdict,) = page.predict([home])
    assert verdict.category == BENIGN


def test_words_of_protected_topics_are_no_evidence(page: PageModel) -> None:
    text = "Teen health: a guide for teens, their parents and schools on puberty and consent."
    assert page.explain(text) == []
    (verdict,) = page.predict([text])
    assert verdict.category == BENIGN


def test_an_explicit_passage_on_an_ordinary_page_is_blocked(
    page: PageModel, shared_data: Path
) -> None:
    # One line of explicit words in 4 KB of ordinary encyclopaedic text, as in the shared
    # proxy bench's adult page, which an earlier model let through (0.696 at the child 0.7).
    ordinary = " ".join(e.text for e in read_page_source("wikipedia", shared_data)[:2])[:4000]
    line = "free porn xxx hardcore porn sex videos pussy cock hardcore sex free porn videos"
    (verdict,) = page.predict([f"{ordinary[:2000]}\n{line}\n{ordinary[2000:]}"])
    assert verdict.category == "adult" and verdict.score >= CHILD


def test_real_gambling_pages_are_caught_as_gambling(page: PageModel, shared_data: Path) -> None:
    pages = read_page_source("gambling_affiliate", shared_data)
    verdicts = page.predict([e.text for e in pages])
    caught = [v for v in verdicts if v.category != BENIGN and v.score >= CHILD]
    assert len(caught) >= 15  # e2guardian's default lists catch 25 at the child limit
    assert {v.category for v in caught} == {"gambling"}


def test_explicit_adult_pages_are_blocked_and_explained(page: PageModel) -> None:
    text = "Free porn videos: the hottest xxx sex movies, nude amateur and hentai porn tube."
    (verdict,) = page.predict([text])
    assert verdict.category == "adult" and verdict.score >= CHILD
    assert any("porn" in phrase for phrase, _ in page.explain(text))


def test_shop_words_alone_never_block(page: PageModel) -> None:
    # Words a drug-shop list shares with every shop: weak, so never evidence.
    text = " ".join(["buy now best price sale fast delivery store online order trust deal"] * 20)
    (verdict,) = page.predict([text])
    assert verdict.category == BENIGN


# --------------------------------------------------------------------------- the rule


def _table(weights: dict[str, float], floor: float = 1.5, minimum: int = 2) -> PageModel:
    phrases = sorted(weights)
    return build_page_model(
        {
            "phrases": [f" {p} " for p in phrases],
            "weights": np.array([[weights[p], 0.0] for p in phrases], dtype=np.float32),
            "intercept": np.array([-1.0, 0.0]),
            "classes": ["adult", BENIGN],
            "calibration": np.array([[1.0, 0.0], [1.0, 0.0]]),
            "evidence_floor": floor,
            "min_phrases": minimum,
        },
        {},
    )


def test_one_explicit_phrase_alone_never_blocks() -> None:
    model = _table({"xxx": 9.0, "porn": 9.0, "gallery": 1.0, "clinic": -3.0})
    assert model.predict(["xxx gallery"])[0].category == BENIGN
    verdict = model.predict(["xxx porn gallery"])[0]
    assert verdict.category == "adult" and verdict.score > 0.99


def test_weak_phrases_add_nothing_and_benign_context_counts() -> None:
    model = _table({"xxx": 2.0, "porn": 2.0, "gallery": 1.4, "clinic": -4.0})
    score, count = model.evidence("xxx porn gallery")
    assert count[0] == 2 and score[0] == pytest.approx(-1.0 + 4.0)  # gallery (1.4) ignored
    with_context = model.evidence("xxx porn clinic")[0][0]
    assert with_context == pytest.approx(-1.0 + 4.0 - 4.0)
    assert model.predict(["xxx porn clinic"])[0].category == BENIGN
