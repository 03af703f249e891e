"""Every dashboard and block-page message is translated in every shipped language, compiled,
extracted fresh and actually used; the dashboard speaks the household's or the browser's
language."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from gettext import GNUTranslations, c2py
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app
from policy.accounts import create_parent
from policy.datadir import DataDir
from policy.services import shipped_services
from policy.settings import clean_setting
from policy.snapshot import Snapshot
from policy.store import PolicyStore
from policy.validate import InputError, clean_domain
from policy.values import Action, Decision, Profile
from proxy_addons.blockpage import REASON_TEMPLATES, BlockPages
from ui import TEMPLATES, TRANSLATIONS
from ui.i18n import (
    LANGUAGES,
    best_language,
    country_name,
    format_moment,
    sort_key,
    translations,
)

REPO = Path(__file__).resolve().parents[1]
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]
#: The plural forms each shipped language has (its .po header says the same; checked below).
PLURAL_FORMS = {"de": 2, "fr": 2, "cs": 3}
#: %(name)s in gettext messages, {name} in str.format ones; both must survive translation.
_PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sd]|\{[A-Za-z_]\w*\}")
#: What the README and install docs tell a maintainer to run; _l is Flask-Babel's lazy_gettext.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}
REFRESH = (
    "the catalog is stale; run:\n"
    "  .venv/bin/pybabel extract -F babel.cfg -k _l -o ui/translations/messages.pot .\n"
    "  .venv/bin/pybabel update --no-fuzzy-matching -i ui/translations/messages.pot"
    " -d ui/translations\n"
    "then translate the new messages and run: .venv/bin/pybabel compile -d"
    " ui/translations"
)

MsgId = str | tuple[str, str]


def _key(message: str | tuple[str, ...]) -> MsgId:
    if isinstance(message, tuple):
        return (message[0], message[1])
    return message


@cache
def fresh_messages() -> dict[MsgId, set[str]]:
    """Every message a fresh extraction (babel.cfg, as the README says) finds, with its files."""
    with (REPO / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[MsgId, set[str]] = {}
    for filename, _, message, _, _ in extract_from_dir(
        str(REPO), method_map, options_map, keywords=KEYWORDS
    ):
        if isinstance(message, tuple) and not message[0]:
            continue
        if message:
            found.setdefault(_key(message), set()).add(filename)
    return found


@cache
def child_facing_msgids() -> tuple[str, ...]:
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
    return tuple(ids)


def dashboard_msgids() -> list[str]:
    """The singular messages found in the dashboard's own templates."""
    return [
        m
        for m, files in fresh_messages().items()
        if isinstance(m, str) and any(f.startswith("dashboard/templates/") for f in files)
    ]


@cache
def catalog(language: str) -> Catalog:
    path = Path(TRANSLATIONS) / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        return read_po(f, locale=language)


def template_ids() -> set[MsgId]:
    with (Path(TRANSLATIONS) / "messages.pot").open("rb") as f:
        return {_key(m.id) for m in read_po(f) if m.id}


def problems_with(message: Message | None, msgid: MsgId, language: str) -> list[str]:
    """What is wrong with one catalog entry: missing, fuzzy, empty, or placeholders changed."""
    if message is None:
        return [f"missing: {msgid!r}"]
    if message.fuzzy:
        return [f"fuzzy: {msgid!r}"]
    if isinstance(msgid, tuple):
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if len(forms) != PLURAL_FORMS[language] or not all(forms):
            return [f"plural forms missing: {msgid!r}"]
        wanted = set(_PLACEHOLDER.findall(msgid[1]))
        return [
            f"placeholders differ: {msgid!r}"
            for f in forms
            if set(_PLACEHOLDER.findall(f)) != wanted
        ]
    if not message.string:
        return [f"untranslated: {msgid!r}"]
    if sorted(_PLACEHOLDER.findall(msgid)) != sorted(_PLACEHOLDER.findall(str(message.string))):
        return [f"placeholders differ: {msgid!r} -> {message.string!r}"]
    return []


# -- the catalog itself ----------------------------------------------------------------------


def test_the_templates_have_messages_to_translate() -> None:
    assert len(child_facing_msgids()) > 80
    assert "Ask a parent" in child_facing_msgids()
    assert len(dashboard_msgids()) > 300
    assert "Your household" in dashboard_msgids()


def test_lazy_and_plural_messages_are_extracted() -> None:
    messages = fresh_messages()
    assert "Profile for new devices" in messages  # _l(...) in dashboard/forms.py
    assert "That name and password do not match." in messages  # _(...) in dashboard/auth.py
    assert ("%(num)s rule", "%(num)s rules") in messages  # ngettext in a template
    assert not any(f.startswith(("tests/", "benchmarks/")) for fs in messages.values() for f in fs)


def test_words_from_data_files_shown_through_gettext_are_extracted() -> None:
    """The profile page shows the service groups' names from services.json through gettext."""
    labels = shipped_services().group_labels.values()
    assert labels and [label for label in labels if label not in fresh_messages()] == []


def test_the_catalog_template_matches_a_fresh_extraction() -> None:
    fresh, shipped = set(fresh_messages()), template_ids()
    assert sorted(map(str, fresh - shipped)) == [], REFRESH
    assert sorted(map(str, shipped - fresh)) == [], REFRESH


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    po = catalog(language)
    problems = [
        p for msgid in fresh_messages() for p in problems_with(po.get(msgid), msgid, language)
    ]
    assert problems == [], REFRESH


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalog_has_the_languages_plural_rule(language: str) -> None:
    assert catalog(language).num_plurals == PLURAL_FORMS[language]


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalogs_match_their_sources(language: str) -> None:
    po = catalog(language)
    compiled = translations(language)
    assert isinstance(compiled, GNUTranslations), "run: .venv/bin/pybabel compile -d ..."
    plural = c2py(po.plural_expr)
    stale = []
    for message in po:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            for n in (1, 2, 5, 22):
                want = message.string[plural(n)]
                if compiled.ngettext(message.id[0], message.id[1], n) != want:
                    stale.append(message.id)
        elif compiled.gettext(message.id) != message.string:
            stale.append(message.id)
    assert stale == [], "run: .venv/bin/pybabel compile -d ui/translations"


@pytest.mark.parametrize("language", TRANSLATED)
def test_dashboard_pages_address_parents_formally(language: str) -> None:
    """Parents are "Sie", "vous" and "vy": no informal address in a dashboard message."""
    informal = {
        "de": re.compile(r"\b(du|dich|dir|dein\w*)\b", re.I),
        "fr": re.compile(r"\b(tu|toi|ton|ta|tes)\b", re.I),
        "cs": re.compile(r"\b(tebe|tobě|tvůj|tvoje|tvá|tvé|tvých|tvým)\b", re.I),
    }[language]
    quoted = re.compile(r"„[^“]*“|“[^”]*”|«[^»]*»")  # words quoted from others may say "du"
    po = catalog(language)
    offenders = [
        (m, po.get(m).string)
        for m in dashboard_msgids()
        if m not in child_facing_msgids() and informal.search(quoted.sub("", str(po.get(m).string)))
    ]
    assert offenders == []


def test_a_broken_translation_is_caught() -> None:
    """The checks above fail on the faults they exist for (placeholders, plurals, fuzzy)."""
    ok = Message("Paused until %(time)s", "Pausiert bis %(time)s")
    assert problems_with(ok, ok.id, "de") == []
    lost = Message("Paused until %(time)s", "Pausiert bis")
    assert problems_with(lost, lost.id, "de") != []
    renamed = Message("Hello {name}", "Hallo {nom}")
    assert problems_with(renamed, renamed.id, "de") != []
    fuzzy = Message("Paused", "Pausiert", flags=["fuzzy"])
    assert problems_with(fuzzy, fuzzy.id, "de") != []
    plural = ("%(num)s rule", "%(num)s rules")
    two_forms = Message(plural, ("%(num)s pravidlo", "%(num)s pravidla"))
    assert problems_with(two_forms, plural, "cs") != []
    assert problems_with(None, "Paused", "cs") != []


# -- block pages (child-facing) ---------------------------------------------------------------


def _every_page(pages: BlockPages, language: str) -> list[str]:
    profile = Profile("Kid", "child", frozenset())
    snapshot = Snapshot(1, {"Kid": profile}, "Kid", language=language)
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


# -- the dashboard's language -----------------------------------------------------------------

PASSWORD = "correct horse battery"


class _Https(FlaskClient):
    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        kwargs.setdefault("base_url", "https://hearthguard.lan")
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Referer", "https://hearthguard.lan/")
        return super().open(*args, headers=headers, **kwargs)


def _dashboard(data_dir: DataDir, language: str | None) -> Flask:
    store = PolicyStore(data_dir.policy_db)
    if language is not None:
        store.set_setting("language", language)
    store.close()
    app = create_app({"DATA_DIR": str(data_dir.root), "TESTING": True})
    app.test_client_class = _Https
    return app


def _csrf(page: str) -> str:
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert token, "the page has no CSRF token"
    return token.group(1)


def _login(client: FlaskClient, data_dir: DataDir, headers: dict[str, str]) -> None:
    store = PolicyStore(data_dir.policy_db)
    create_parent(store, "mum", PASSWORD, actor="test")
    store.close()
    page = client.get("/login", headers=headers).get_data(as_text=True)
    answer = client.post(
        "/login",
        data={"username": "mum", "password": PASSWORD, "csrf_token": _csrf(page)},
        headers=headers,
    )
    assert answer.status_code == 302


@pytest.mark.parametrize(
    ("household", "browser", "expected", "heading"),
    [
        (None, "cs-CZ,cs;q=0.9,en;q=0.8", "cs", "Přihlášení rodičů"),
        ("", "fr-FR,fr;q=0.9", "fr", "Connexion des parents"),
        ("", "en-GB,de;q=0.5", "en", "Parent login"),
        ("", "fr;q=0,de;q=0.4", "de", "Anmeldung für Eltern"),
        ("de", "fr-FR,fr;q=0.9", "de", "Anmeldung für Eltern"),
        ("cs", "", "cs", "Přihlášení rodičů"),
        ("", "", "en", "Parent login"),
    ],
)
def test_the_dashboard_follows_the_household_setting_then_the_browser(
    data_dir: DataDir, household: str | None, browser: str, expected: str, heading: str
) -> None:
    client = _dashboard(data_dir, household).test_client()
    page = client.get("/login", headers={"Accept-Language": browser}).get_data(as_text=True)
    assert f'<html lang="{expected}"' in page
    assert heading in page


@pytest.mark.parametrize("language", TRANSLATED)
def test_dashboard_pages_contain_no_english_sentences(data_dir: DataDir, language: str) -> None:
    """A logged-in parent's pages, in the household's language, show no English message."""
    app = _dashboard(data_dir, language)
    store = PolicyStore(data_dir.policy_db)
    store.add_profile("Anna", "child")
    store.close()
    client = app.test_client()
    _login(client, data_dir, {})
    po = catalog(language)
    english = [
        m for m in dashboard_msgids() if len(m) > 12 and "%(" not in m and po.get(m).string != m
    ]
    leftovers: set[str] = set()
    pages = ["/", "/profiles/", "/profiles/new", "/devices/", "/devices/new", "/activity/"]
    pages += ["/activity/log", "/alerts/", "/check/", "/settings/", "/requests/", "/learning/"]
    pages += ["/setup-device/", "/setup-device/no-certificate", "/no/such/page"]
    listing = client.get("/profiles/").get_data(as_text=True)
    pages += sorted(set(re.findall(r'href="(/profiles/\d+)"', listing)))
    assert len(pages) == 17  # both profiles' own pages are among them
    for url in pages:
        page = client.get(url).get_data(as_text=True)
        assert f'<html lang="{language}"' in page, url
        leftovers.update(f"{url}: {m}" for m in english if m.replace("'", "&#39;") in page)
    assert leftovers == set()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("cs", "„bad..name“ není platný název domény, například example.com."),
        ("de", "„bad..name“ ist kein gültiger Domainname, etwa example.com."),
        ("en", "“bad..name” is not a valid domain name, like example.com."),
    ],
)
def test_policy_errors_reach_the_parent_in_their_language(
    data_dir: DataDir, language: str, expected: str
) -> None:
    client = _dashboard(data_dir, language).test_client()
    _login(client, data_dir, {})
    form = {"domain": "bad..name", "profile": "Household", "action": "allow", "duration": "1h"}
    form["csrf_token"] = _csrf(client.get("/").get_data(as_text=True))
    page = client.post("/allow", data=form).get_data(as_text=True)
    assert expected in page


def test_policy_errors_keep_their_english_text_and_values() -> None:
    """The CLI prints ``message``; the dashboard translates ``template`` with ``params``."""
    with pytest.raises(InputError) as caught:
        clean_domain("bad..name")
    error = caught.value
    assert (
        error.message == str(error) == "“bad..name” is not a valid domain name, like example.com."
    )
    assert error.template == "“%(value)s” is not a valid domain name, like example.com."
    assert error.params == {"value": "bad..name"} and error.template in fresh_messages()
    plain = InputError("name", "100% sure")  # no values: the text is left as it is
    assert plain.message == plain.template == "100% sure"


# -- the helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("household", "browser", "expected"),
    [
        ("de", "fr", "de"),
        ("", "de-AT,de;q=0.8", "de"),
        (None, "es, fr;q=0.3", "fr"),
        ("auto", "cs", "cs"),
        ("xx", "", "en"),
        ("", "fr;q=0", "en"),
        ("", "fr;q=zero, cs;q=0.2", "cs"),
        ("", "*", "en"),
        ("", "de;q=0.5, fr;q=0.5", "de"),
        ("", ",".join(["es"] * 40 + ["fr"]), "en"),
    ],
)
def test_best_language(household: str | None, browser: str, expected: str) -> None:
    assert best_language(household, browser) == expected


def test_the_language_setting_takes_a_catalog_or_auto() -> None:
    assert clean_setting("language", "auto", languages=LANGUAGES) == ""  # each browser's
    assert clean_setting("language", "", languages=LANGUAGES) == ""
    assert clean_setting("language", " CS ", languages=LANGUAGES) == "cs"
    with pytest.raises(InputError):
        clean_setting("language", "pl", languages=LANGUAGES)  # no catalog (yet)


def test_dates_follow_the_language_and_english_is_unchanged() -> None:
    moment = datetime(2026, 11, 29, 6, 54)
    assert format_moment(moment, "%d %b %H:%M", "en") == moment.strftime("%d %b %H:%M")
    assert format_moment(moment, "%a %d %b %Y", "en") == "Sun 29 Nov 2026"
    assert format_moment(moment, "%a %d %b %Y", "de") == "So., 29. Nov. 2026"
    assert format_moment(moment, "%d %b %H:%M", "fr") == "29 nov. 06:54"
    assert format_moment(moment, "%a %d %b %Y", "cs") == "ne 29. 11. 2026"
    assert format_moment(date(2026, 1, 5), "%a %d", "cs") == "po 5."
    assert format_moment(moment, "%A %B", "fr") == "dimanche novembre"
    assert format_moment(moment.time(), "%H:%M", "cs") == "06:54"
    assert format_moment(moment, "%a %d", "xx") == "Sun 29"


def test_country_names_follow_the_language() -> None:
    assert country_name("DE", "cs", "Germany") == "Německo"
    assert country_name("gb", "fr", "United Kingdom") == "Royaume-Uni"
    assert country_name("ZZZ", "de", "Elsewhere") == "Elsewhere"


def test_names_sort_with_accents_beside_their_letters() -> None:
    names = ["Polen", "Österreich", "Zypern", "Dänemark", "Deutschland", "Estland"]
    assert sorted(names, key=sort_key) == [
        "Dänemark",
        "Deutschland",
        "Estland",
        "Österreich",
        "Polen",
        "Zypern",
    ]
