"""The faster text extraction and page scoring give exactly what the plain versions give, on
real pages read at run time from the shared data (never copied into the project)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import text as text_module
from classifier.models import PageModel, load_models, page_phrase_text
from classifier.text import _clean, html_to_text
from classifier.training.sources import read_page_source

_SOURCES = ("recipes", "bbc_news", "medquad")
# whitespace the pages and their markup really carry, ASCII and not
_SPACES = ["\n", "\t", "\r\n", "  ", "\x0b", "\x0c", "\x1c", "\x1f", "\xa0", "\u2003", "\u3000"]


def _plain_clean(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _plain_matches(model: PageModel, text: str) -> set[int]:
    return {index for _end, index in model._automaton.iter(page_phrase_text(text))}


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
    st.lists(st.sampled_from([" ", "a", ".", "é", "\x00", "\x1d", "\x85", *_SPACES]), max_size=40)
)
def test_clean_is_split_and_join_on_any_whitespace(parts: list[str]) -> None:
    text = "".join(parts)
    assert _clean(text) == _plain_clean(text)
    ascii_only = text.encode("ascii", "ignore").decode()
    assert _clean(ascii_only) == _plain_clean(ascii_only)


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
