"""Marks English words from ``policy`` that people read translated.

``N_(text)`` returns ``text`` unchanged. The message extractor (``babel.cfg``; ``N_`` is one of
its default keywords) finds the marked text, so the dashboard can show it in the reader's
language with ``gettext(text)`` while ``policy`` stays free of Flask and of catalogs.
"""

from __future__ import annotations

__all__ = ["N_"]


def N_(message: str) -> str:  # noqa: N802 - the name gettext's tools look for
    """``message`` itself: marked for extraction, translated where it is shown."""
    return message
