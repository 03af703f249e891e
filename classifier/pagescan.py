"""Reading one HTML page for the content scan: its visible text, the page model's verdict and
the household's phrase-list score (``scan_page``).

Used by the proxy's content scan in its own process and by the scan worker process
(``classifier.scanworker``), so it imports only the page model, the phrase lists and the
HTML-to-text code.
"""

from __future__ import annotations

from dataclasses import dataclass

from classifier.categories import BENIGN
from classifier.lists.phrases import PhraseScorer
from classifier.models.page import PageModel
from classifier.models.text import MAX_HTML_BYTES, decompress_capped, html_to_text

__all__ = ["PageVerdict", "scan_page"]


@dataclass(frozen=True, slots=True)
class PageVerdict:
    """The page model's verdict and, when the household imported phrase lists, the page's
    phrase total and the category that contributed most to it."""

    category: str
    score: float
    explanation: str = ""
    phrase_total: int = 0
    phrase_category: str = BENIGN


def scan_page(
    model: PageModel | None,
    raw: bytes,
    content_encoding: str | None,
    content_type: str | None,
    phrases: PhraseScorer | None = None,
) -> tuple[PageVerdict, str]:
    """Score the first 64 KB of an HTML body; returns the verdict (naming the strongest
    phrases when harmful) and the page's visible text."""
    html = decompress_capped(raw, content_encoding, MAX_HTML_BYTES)
    text = html_to_text(html, content_type)
    if not text:
        return PageVerdict(BENIGN, 1.0), ""
    category, score, explanation = BENIGN, 1.0, ""
    if model is not None:
        (verdict,) = model.predict([text])
        category, score = verdict.category, verdict.score
        if category != BENIGN:
            explanation = ", ".join(phrase for phrase, _ in model.explain(text, k=3))
    total, strongest = 0, BENIGN
    if phrases is not None:
        found = phrases.score(text)
        positive = [(w, name) for name, w in found.by_category.items() if w > 0]
        total, strongest = found.total, (max(positive)[1] if positive else BENIGN)
    return PageVerdict(category, score, explanation, total, strongest), text
