"""Every child-facing message is translated in every catalog, compiled, and actually used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from hearthguard import TEMPLATES, TRANSLATIONS
from hearthguard.i18n import LANGUAGES, translations
from policy.model import Action, Decision, Profile
from policy.snapshot import Snapshot
from proxy_addons.blockpage import REASON_TEMPLATES, BlockPages

TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def child_facing_msgids() -> list[str]:
    """Every message in the child-facing templates, as the extractor sees them."""
    found = extract_from_dir(
        str(TEMPLATES / "block"),
        method_map=[("**.html", "jinja2")],
        options_map={"**.html": {}},
    )
    ids: list[str] = []
    for _, _, message, _, _ in found:
        for one in message if isinstance(message, tuple) else (message,):
            if one and one not in ids:
                ids.append(one)
    return ids


def catalog(language: str):
    path = Path(TRANSLATIONS) / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        return read_po(f, locale=language)


def test_the_templates_have_messages_to_translate() -> None:
    assert len(child_facing_msgids()) > 80
    assert "Ask a parent" in child_facing_msgids()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_child_facing_message_is_translated(language: str) -> None:
    po = catalog(language)
    problems = []
    for msgid in child_facing_msgids():
        entry = po.get(msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
        elif not entry.string or entry.fuzzy:
            problems.append(f"untranslated or fuzzy: {msgid!r}")
        elif sorted(_PLACEHOLDER.findall(msgid)) != sorted(_PLACEHOLDER.findall(entry.string)):
            problems.append(f"placeholders differ: {msgid!r}")
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalogs_match_their_sources(language: str) -> None:
    po = catalog(language)
    compiled = translations(language)
    stale = [m for m in child_facing_msgids() if compiled.gettext(m) != po.get(m).string]
    assert stale == [], "run: .venv/bin/pybabel compile -d hearthguard/translations"


def _every_page(pages: BlockPages, language: str) -> list[str]:
    profile = Profile("Kid", "child", frozenset())
    snapshot = Snapshot(1, {"Kid": profile}, "Kid", language=language)
    from datetime import datetime

    now = datetime(2026, 3, 4, 12, 0).astimezone()
    out = []
    for reason in REASON_TEMPLATES:
        for preset in ("young", "child", "teen"):
            for category in ("", "self_harm", "games"):
                out.append(
                    pages.blocked(
                        Decision(Action.BLOCK, reason, category or None),
                        host="site.example",
                        url="http://site.example/",
                        ip="192.168.1.2",
                        profile=Profile("Kid", preset, frozenset()),
                        snapshot=snapshot,
                        now=now,
                        message="hi",
                        error="too_long" if category else "",
                        dashboard="https://hearthguard.lan:8081",
                    ).decode()
                )
    for state in ("waiting", "opening", "approved", "expired", "declined"):
        out.append(
            pages.render(
                "block/request.html",
                language,
                snapshot,
                state=state,
                host="site.example",
                url="http://site.example/",
                message="hi",
                note="later",
                until="18:00" if state != "approved" else "",
            ).decode()
        )
    for problem in ("rate", "not_found", "unavailable", "stale"):
        out.append(pages.render("block/problem.html", language, snapshot, problem=problem).decode())
    for logging in (True, False):
        out.append(
            pages.render(
                "block/about.html",
                language,
                snapshot,
                logging=logging,
                content_scan=True,
                safesearch=True,
                days=30,
            ).decode()
        )
    return out


@pytest.mark.parametrize("language", TRANSLATED)
def test_rendered_pages_contain_no_english_sentences(language: str) -> None:
    pages = BlockPages.load()
    pages.tickets.set_secret(b"a test secret of enough length")
    english = [m.replace("'", "&#39;") for m in child_facing_msgids() if len(m) > 12]
    leftovers = set()
    for page in _every_page(pages, language):
        assert f'lang="{language}"' in page
        leftovers.update(m for m in english if m in page)
    assert leftovers == set()
