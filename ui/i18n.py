"""Languages: the catalogs shared by the dashboard and the proxy's block pages.

The language of a page is the household's ``language`` setting when it names a catalog, else
the best match in the browser's Accept-Language, else English (the source language). Dates
shown to a reader use that language's day and month names.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from babel.support import NullTranslations, Translations

from ui import TRANSLATIONS

__all__ = [
    "LANGUAGES",
    "best_language",
    "country_name",
    "format_moment",
    "sort_key",
    "translations",
]

#: Languages with a catalog (English is the source language).
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "cs")

_MAX_RANGES = 20  # Accept-Language ranges looked at; the rest of a long header is ignored
_NAMES = re.compile(r"%[aAbB]")


def best_language(household: str | None, accept_language: str | None) -> str:
    """The household's setting when it names a catalog, else the browser's best match.

    Ranges with ``q=0`` (the browser refuses that language) or an unreadable quality are
    skipped; among equal qualities the first listed wins; nothing acceptable gives "en".
    """
    if household in LANGUAGES:
        return household
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(",")[:_MAX_RANGES]:
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if not 0 < quality <= 1:
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


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language if language in LANGUAGES else "en")
    except (ValueError, UnknownLocaleError):  # pragma: no cover - LANGUAGES are all known
        return Locale.parse("en")


#: strftime formats the dashboard uses -> CLDR skeletons (date part, time part)
_SKELETONS: dict[str, tuple[str, str]] = {
    "%H:%M": ("", "Hm"),
    "%d %b %H:%M": ("MMMd", "Hm"),
    "%a %d %b %Y": ("yMMMEd", ""),
    "%d %b %Y": ("yMMMd", ""),
    "%a %d": ("Ed", ""),
}


def format_moment(moment: date | datetime | time, fmt: str, language: str) -> str:
    """``moment`` written as ``fmt`` (strftime codes) in ``language``'s own conventions.

    English is exactly ``moment.strftime(fmt)``. In other languages the formats the dashboard
    uses follow the language's date patterns ("29. Nov., 06:54", "ne 29. 11. 2026"); any other
    format keeps its layout with day and month names (%a, %A, %b, %B) in the language.
    """
    if language not in LANGUAGES or language == "en" or not isinstance(moment, date):
        return moment.strftime(fmt)  # English, or a time of day without a date
    locale = _locale(language)
    if fmt in _SKELETONS:
        date_part, time_part = _SKELETONS[fmt]
        day = format_skeleton(date_part, moment, locale=locale) if date_part else ""
        clock = (
            format_skeleton(time_part, moment, locale=locale)
            if time_part and isinstance(moment, datetime)
            else ""
        )
        if day and clock:
            return str(locale.datetime_formats["short"]).format(clock, day)
        return day or clock
    names = {
        "%a": locale.days["format"]["abbreviated"][moment.weekday()],
        "%A": locale.days["format"]["wide"][moment.weekday()],
        "%b": locale.months["format"]["abbreviated"][moment.month],
        "%B": locale.months["format"]["wide"][moment.month],
    }
    parts = _NAMES.split(fmt)
    out = [moment.strftime(parts[0])]
    for code, part in zip(_NAMES.findall(fmt), parts[1:], strict=True):
        out += [names[code], moment.strftime(part)]
    return "".join(out)


def country_name(code: str, language: str, fallback: str) -> str:
    """The name of the country with ISO code ``code`` in ``language``, else ``fallback``."""
    return _locale(language).territories.get(code.upper(), fallback)


def sort_key(text: str) -> tuple[str, str]:
    """A key that puts letters with accents beside their plain letter ("Österreich" among the
    O names, not after "Z"); case is ignored. Not a full collation (Czech "ch" sorts as c+h)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return plain.casefold(), text
