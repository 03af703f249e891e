"""The faster text extraction and page scoring give exactly what the plain versions give, on
real pages read at run time from the shared data (never copied into the project)."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.models import page as page_module
from classifier.models import text as text_module
from classifier.models.loading import load_models
from classifier.models.page import PageModel, page_phrase_text
from classifier.models.text import _clean, html_to_text
from classifier.models.verdicts import verdicts_of
from classifier.training.sources import read_page_source

_SOURCES = ("recipes", "bbc_news", "medquad")
# whitespace the pages and their markup really carry, ASCII and not
_SPACES = ["\n", "\t", "\r\n", "  ", "\x0b", "\x0c", "\x1c", "\x1f", "\xa0", "\u2003", "\u3000"]


def _plain_clean(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _plain_phrase_text(text: str) -> str:
    data = text.lower().encode("utf-8", "replace").translate(page_module._WORD_EDGES)
    return " " + data.decode("latin-1") + " "


def _plain_matches(model: PageModel, text: str) -> set[int]:
    return {index for _end, index in model._automaton.iter(_plain_phrase_text(text))}


def _plain_matched_phrases(model: PageModel, text: str) -> np.ndarray:
    found = _plain_matches(model, text) if text else set()
    return np.fromiter(found, dtype=np.int64, count=len(found))


@pytest.fixture(scope="module")
def real_texts(shared_data: Path) -> list[str]:
    """Up to 150 real pages of each source, some with their spaces made into other
    whitespace (newlines, tabs, no-break and ideographic spaces) as markup has them."""
    rng = random.Random(11)
    texts: list[str] = []
    for source in _SOURCES:
        for example in read_page_source(source, shared_data)[:150]:
            words = example.text.split(" ")
            texts.append(example.text)
            texts.append("".join(w + rng.choice(_SPACES + [" "] * 8) for w in words))
    assert len(texts) > 600
    return texts


def test_clean_is_split_and_join_on_real_pages(real_texts: list[str]) -> None:
    ascii_pages = 0
    for text in real_texts:
        assert _clean(text) == _plain_clean(text)
        ascii_pages += text.isascii()
    assert ascii_pages > 50  # the fast path was really taken


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [" ", "a", "Z", ".", "é", "\x00", "\x1d", "\x85", "\ud800", "\U0001f600", *_SPACES]
        ),
        max_size=40,
    )
)
def test_clean_is_split_and_join_on_any_whitespace(parts: list[str]) -> None:
    text = "".join(parts)
    assert _clean(text) == _plain_clean(text)
    ascii_only = text.encode("ascii", "ignore").decode()
    assert _clean(ascii_only) == _plain_clean(ascii_only)
    assert page_phrase_text(text) == _plain_phrase_text(text)
    assert page_phrase_text(ascii_only) == _plain_phrase_text(ascii_only)


def test_html_to_text_is_unchanged_on_real_pages_in_markup(
    real_texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = [
        (
            f"<html><head><title>Page {i}</title>\n<meta name=description content='{t[:80]}'>"
            f"</head>\n<body>\n<nav>\n  <a href=/>Home</a>\n</nav>\n<p>{t}</p>\n</body></html>"
        ).encode()
        for i, t in enumerate(real_texts[:200])
    ]
    fast = [html_to_text(page) for page in pages]
    monkeypatch.setattr(text_module, "_clean", _plain_clean)
    assert fast == [html_to_text(page) for page in pages]


def test_page_model_matches_and_verdicts_are_unchanged(real_texts: list[str]) -> None:
    models = load_models(names=["page"])
    model = models.page
    assert model is not None, models.errors
    pages = [" ".join(real_texts[i : i + 6])[: 64 * 1024] for i in range(0, 300, 6)]
    for page in pages:
        found = model.matched_phrases(page)
        assert set(found.tolist()) == _plain_matches(model, page)
        assert len(found) == len(set(found.tolist()))
    verdicts = model.predict(pages)
    for page, verdict in zip(pages, verdicts, strict=True):
        (alone,) = model.predict([page])
        assert alone == verdict


def _plain_strong(model: PageModel, text: str) -> set[int]:
    """The strong phrases in ``text`` by a plain search for each, leading space and all."""
    strong = model._strong_phrases
    assert strong is not None
    haystack = _plain_phrase_text(text)
    return {i for i in strong._indexes.tolist() if model.phrases[i] in haystack}


def test_strong_phrases_are_found_as_a_plain_search_finds_them(real_texts: list[str]) -> None:
    # The DFA holds the strong phrases without their leading space and keeps only matches
    # after a space: exactly the phrases a plain search finds, never one inside a word.
    model = load_models(names=["page"]).page
    assert model is not None and model._strong_phrases is not None
    strong_phrases = [model.phrases[i].strip() for i in model._strong_phrases._indexes.tolist()]
    # each phrase inside words, then (for the one-word ones) also after a space
    inside = "".join(f"x{p}x {p}s b{p} " for p in strong_phrases[:40])
    texts = [*real_texts[:150], inside, " ".join(strong_phrases[:60]), "", "Ünïcode casino"]
    any_found = 0
    for text in texts:
        found = model._strong_phrases.found(page_module.page_phrase_bytes(text)).tolist()
        assert sorted(found) == sorted(_plain_strong(model, text)) and len(found) == len(set(found))
        any_found += bool(found)
    assert any_found >= 3  # real pages and the list itself hold strong phrases


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["porn", "casino", "xxx", "a", "s", " ", ".", "é", "\n"]), max_size=30)
)
def test_strong_phrases_agree_with_a_plain_search_on_any_text(parts: list[str]) -> None:
    model = _page_model()
    text = "".join(parts)
    found = model._strong_phrases.found(page_module.page_phrase_bytes(text)).tolist()
    assert sorted(found) == sorted(_plain_strong(model, text))


_MODEL: list[PageModel] = []


def _page_model() -> PageModel:
    if not _MODEL:
        model = load_models(names=["page"]).page
        assert model is not None and model._strong_phrases is not None
        _MODEL.append(model)
    return _MODEL[0]


def test_page_scores_equal_the_plain_path_on_real_pages_in_markup(
    real_texts: list[str], shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 64 KB HTML pages of real text: HTML -> text -> probabilities through the fast path and
    # through the plain one (split-and-join whitespace, lower() then translate, a set
    # comprehension over the automaton's matches) agree to 1e-9, category for category.
    models = load_models(names=["page"])
    model = models.page
    assert model is not None, models.errors
    gambling = [e.text for e in read_page_source("gambling_affiliate", shared_data)[:60]]
    pages = []
    for i in range(0, 240, 8):
        # real benign pages, and real casino pages on their own (beside a few pages of
        # ordinary text, the benign words keep a casino page's scores at zero)
        texts = real_texts[i : i + 8] if i % 16 else gambling[i // 4 : i // 4 + 2]
        body = "".join(f"<p>{t}</p>\n<div> <a href=/x>{t[:40]}</a> </div>\n" for t in texts)
        pages.append(
            f"<html><head><title>Page {i}</title></head><body>{body}".encode()[: 64 * 1024]
        )
    fast = np.vstack([model.predict_proba([html_to_text(page)]) for page in pages])
    monkeypatch.setattr(text_module, "_clean", _plain_clean)
    monkeypatch.setattr(PageModel, "matched_phrases", _plain_matched_phrases)
    plain = np.vstack([model.predict_proba([html_to_text(page)]) for page in pages])
    assert np.abs(fast - plain).max() <= 1e-9
    assert (fast.argmax(axis=1) == plain.argmax(axis=1)).all()
    benign = model.classes.index("benign")
    assert (np.delete(plain, benign, axis=1).max(axis=1) > 0.01).sum() >= 3  # real evidence


def test_pages_without_enough_strong_phrases_skip_the_context_scan_with_the_same_scores(
    real_texts: list[str], shared_data: Path
) -> None:
    # The first, small scan of strong phrases decides whether any category is possible; the
    # probabilities equal those of the full evidence scan on real benign and harmful pages.
    model = load_models(names=["page"]).page
    assert model is not None and model._strong_phrases is not None
    full = dataclasses.replace(model, _strong_phrases=None)
    harmful = [
        e.text
        for name in ("gambling_affiliate", "agora_drugs")
        for e in read_page_source(name, shared_data)[:150]
    ]
    explicit = "free porn xxx hardcore videos, busty pornstar fetish clips"
    pages = [*real_texts[:200], *harmful, explicit, f"{real_texts[0]} {explicit}", "", "x"]
    fast, plain = model.predict_proba(pages), full.predict_proba(pages)
    assert np.abs(fast - plain).max() <= 1e-12
    # verdicts skip the arrays for pages with no possible category: the same verdicts
    assert model.predict(pages) == verdicts_of(plain, model.classes)
    benign = model.classes.index("benign")
    assert (np.delete(plain, benign, axis=1).max(axis=1) > 0.5).sum() >= 10  # real evidence
