"""Build small, real category indexes for tests."""

from __future__ import annotations

from pathlib import Path

from classifier.lists.index import DomainIndex, build_index
from classifier.lists.parsed import ParsedList


def parsed(
    name: str,
    category: str,
    domains: list[str] = (),
    urls: list[str] = (),  # type: ignore[assignment]
    allow: list[str] = (),
) -> ParsedList:  # type: ignore[assignment]
    return ParsedList(
        name=name,
        category=category,
        source_category=category,
        format="domains",
        domains=tuple(domains),
        url_prefixes=tuple(urls),
        allow_domains=tuple(allow),
        rejected=(),
        rejected_total=0,
        lines_total=len(domains) + len(urls) + len(allow),
    )


def make_index(path: Path, lists: list[ParsedList]) -> DomainIndex:
    build_index(lists, path)
    return DomainIndex.open(path)
