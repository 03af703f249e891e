"""Times shown to children: on the household's clock, in the child's language."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime, format_time

__all__ = ["format_until"]


def format_until(until: datetime, now: datetime, language: str) -> str:
    """``until`` on the clock of ``now``'s zone, in ``language`` (the date only if not today)."""
    local = until.astimezone(now.tzinfo)
    if local.date() == now.date():
        return format_time(local, "short", tzinfo=now.tzinfo, locale=language)
    return format_datetime(local, "short", tzinfo=now.tzinfo, locale=language)
