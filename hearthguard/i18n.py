"""Languages: the catalogs shared by the dashboard and the proxy's block pages."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

from hearthguard import TRANSLATIONS

__all__ = ["LANGUAGES", "best_language", "translations"]

#: Languages with a catalog (English is the source language).
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "cs")


def best_language(household: str | None, accept_language: str | None) -> str:
    """The household's setting when it names a catalog, else the browser's best match."""
    if household in LANGUAGES:
        return household
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        try:
            language = Locale.parse(tag.strip().replace("-", "_")).language
        except (ValueError, UnknownLocaleError):
            continue
        if language in LANGUAGES:
            ranked.append((quality, language))
    return max(ranked, key=lambda r: r[0])[1] if ranked else "en"


def translations(language: str) -> NullTranslations:
    """The catalog for ``language`` (English falls through to the source strings)."""
    return Translations.load(str(TRANSLATIONS), [language], domain="messages")
