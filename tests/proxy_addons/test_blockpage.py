"""Block pages: one per reason and age, in every language, escaped, never leaking; hotline lists."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from classifier.categories import BLOCKABLE
from classifier.lists.hotline import digest_host, digest_url
from hearthguard.cli import main
from policy.activity import ActivityStore
from policy.snapshot import Snapshot
from policy.values import Action, Decision, Device, Profile, Reason
from proxy_addons.activitylog import ActivityWriter
from proxy_addons.blockpage import (
    HEADERS,
    REASON_TEMPLATES,
    AskTickets,
    BlockPages,
    Ticket,
    block_url,
)
from proxy_addons.httpfilter import HttpFilter
from tests.proxy_addons.conftest import request_flow
from ui.i18n import LANGUAGES, translations

NOW = datetime(2026, 3, 4, 15, 30).astimezone()
IP = "192.168.1.20"

#: The heading each reason's page shows, per age group (English msgids).
HEADINGS = {
    Reason.CATEGORY_BLOCKED: ("Oops! This page is not for you", "This page is blocked"),
    Reason.MODEL_BLOCKED: ("Oops! This page is not for you", "This page is blocked"),
    Reason.CONTENT_BLOCKED: ("Oops! This page is not for you", "This page was stopped"),
    Reason.PARENT_DENIED: ("This website is closed for you", "This page is blocked"),
    Reason.SCHEDULE: ("Time for a break", "It's offline time"),
    Reason.TIME_BUDGET: ("Internet time is over for today", "Your time online is used up"),
    Reason.PAUSED: ("The internet is taking a break", "The internet is paused"),
    Reason.ILLEGAL_CONTENT: ("This page is not available", "This page is not available"),
    Reason.IP_ADDRESS: ("This website is closed for you", "This address is blocked"),
    Reason.CONNECTION_REFUSED: ("This page is closed for now", "This page could not be checked"),
    Reason.FILTER_ERROR: ("This page is closed for now", "This page could not be checked"),
}


@pytest.fixture(scope="module")
def pages() -> BlockPages:
    pages = BlockPages.load()
    pages.tickets.set_secret(b"a test secret of enough length")
    return pages


def snapshot(language: str = "", country: str = "") -> Snapshot:
    profile = Profile("Household", "child", frozenset())
    return Snapshot(1, {"Household": profile}, "Household", language=language, country=country)


def render(pages, decision, *, preset="child", language="en", country="", host="site.example"):
    return pages.blocked(
        decision,
        host=host,
        url=f"http://{host}/page",
        ip=IP,
        profile=Profile("Kid", preset, frozenset()),
        snapshot=snapshot(language, country),
        now=NOW,
    ).decode()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("preset", ["young", "child", "teen", "adult"])
@pytest.mark.parametrize("reason", sorted(REASON_TEMPLATES, key=str))
def test_every_reason_has_its_page_per_age_and_language(
    pages, reason: Reason, preset: str, language: str
) -> None:
    decision = Decision(Action.BLOCK, reason, "gambling", "ut1/gambling", 0.97)
    page = render(pages, decision, preset=preset, language=language)
    heading = HEADINGS[reason][0 if preset == "young" else 1]
    assert translations(language).gettext(heading) in page
    assert f'<html lang="{language}">' in page
    assert f'data-hearthguard-page="{reason.value}"' in page
    assert 'href="tel:116111"' in page and 'href="/.hearthguard/about"' in page
    assert "ut1" not in page and "0.97" not in page  # list names and scores are for parents
    if reason is Reason.ILLEGAL_CONTENT:
        assert "site.example" not in page and "<form" not in page and "token" not in page
    else:
        assert '<p class="site">site.example</p>' in page
        assert '<form class="ask" method="post" action="/.hearthguard/ask">' in page


@pytest.mark.parametrize("category", BLOCKABLE)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_blockable_category_is_explained_in_plain_words(
    pages, category: str, language: str
) -> None:
    plain = render(pages, Decision(Action.BLOCK, Reason.CATEGORY_BLOCKED), language=language)
    page = render(
        pages, Decision(Action.BLOCK, Reason.CATEGORY_BLOCKED, category), language=language
    )
    added = set(re.findall(r"<p>([^<]+)</p>", page)) - set(re.findall(r"<p>([^<]+)</p>", plain))
    assert added, f"no sentence explains {category!r}"
    assert "_" not in " ".join(added)  # words for children, not identifiers like self_harm


def test_self_harm_pages_point_gently_to_help(pages) -> None:
    page = render(pages, Decision(Action.BLOCK, Reason.CATEGORY_BLOCKED, "self_harm"))
    assert "you don't have to deal with it alone" in page.replace("&#39;", "'")
    other = render(pages, Decision(Action.BLOCK, Reason.CATEGORY_BLOCKED, "gambling"))
    assert "deal with it alone" not in other


def test_wording_differs_by_age(pages) -> None:
    decision = Decision(Action.BLOCK, Reason.CATEGORY_BLOCKED, "adult")
    young = text(render(pages, decision, preset="young"))
    child = text(render(pages, decision, preset="child"))
    teen = text(render(pages, decision, preset="teen"))
    assert "Oops!" in young and "meant for adults" not in young
    assert "meant for adults" in child and "rules keep sites like this away" in child
    assert "meant for adults" in teen and "Filters sometimes get it wrong" in teen


@pytest.mark.parametrize(
    ("country", "present", "absent"),
    [
        ("GB", ["tel:08001111", "Childline", "https://report.iwf.org.uk"], ["tel:116111"]),
        ("US", ["tel:18004224453", "NCMEC CyberTipline"], ["tel:116111"]),
        ("DE", ["tel:116111", "Nummer gegen Kummer", "internet-beschwerdestelle.de"], []),
        ("", ["tel:116111", "https://www.inhope.org/EN"], ["Childline"]),
        ("ZZ", ["tel:116111", "https://www.inhope.org/EN"], []),
    ],
)
def test_help_follows_the_households_country(pages, country, present, absent) -> None:
    page = render(pages, Decision(Action.BLOCK, Reason.PARENT_DENIED), country=country)
    for needle in present:
        assert needle in page
    for needle in absent:
        assert needle not in page


def test_language_is_the_households_then_the_browsers(pages) -> None:
    assert pages.language(snapshot("de"), "fr-CH, fr;q=0.9") == "de"
    assert pages.language(snapshot(""), "fr-CH, fr;q=0.9, en;q=0.5") == "fr"
    assert pages.language(snapshot(""), "cs;q=0.2, ja") == "cs"
    assert pages.language(snapshot(""), "ja, zh") == "en"
    assert pages.language(None, "") == "en"


def test_everything_shown_is_escaped(pages) -> None:
    page = pages.blocked(
        Decision(Action.BLOCK, Reason.PARENT_DENIED),
        host='evil.example"><script>alert(1)</script>',
        url="http://evil.example/",
        ip=IP,
        profile=Profile("Kid", "child", frozenset()),
        snapshot=snapshot(),
        now=NOW,
        message="</textarea><script>alert(2)</script>",
        error="too_long",
    ).decode()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)" in page and "&lt;/textarea&gt;&lt;script&gt;alert(2)" in page


def test_hostile_urls_through_the_filter_are_escaped(chain, store) -> None:
    store.add_rule("Household", Action.BLOCK, "blocked.example")
    chain.refresh()
    flow = request_flow("blocked.example", '/"><script>alert(1)</script>?q=<img src=x>')
    chain.addon(HttpFilter).requestheaders(flow)
    body = flow.response.get_text()
    assert flow.response.status_code == 403
    assert "<script>" not in body and "<img" not in body


def test_pages_are_self_contained_and_never_cached(pages) -> None:
    page = render(pages, Decision(Action.BLOCK, Reason.CATEGORY_BLOCKED, "games"))
    assert not re.search(r"<script|<link|<img|<iframe|\ssrc=|@import|url\(", page)
    csp = HEADERS["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
    assert HEADERS["Cache-Control"] == "no-store"


def test_without_a_key_there_is_no_ask_form() -> None:
    page = render(BlockPages.load(), Decision(Action.BLOCK, Reason.PARENT_DENIED))
    assert "<form" not in page and "talk to a parent" in page


def test_tickets_are_bound_to_the_device_and_expire() -> None:
    tickets = AskTickets(max_age=3600)
    tickets.set_secret(b"0123456789abcdef0123456789abcdef")
    now = int(NOW.timestamp())
    ticket = Ticket(
        "Mia", "site.example", "http://site.example/ä?x=1", "games", "parent_denied", now
    )
    token = tickets.sign(ticket, IP)
    assert tickets.open(token, IP, now + 60) == ticket
    assert tickets.open(token, "192.168.1.99", now) is None
    assert tickets.open(token, IP, now + 3601) is None
    assert tickets.open(token, IP, now - 3600) is None  # issued in the future
    payload, mac = token.split(".")
    assert tickets.open(payload + "x." + mac, IP, now) is None
    other = AskTickets()
    other.set_secret(b"another secret, another household")
    assert other.open(token, IP, now) is None


def test_block_url_names_the_decided_site() -> None:
    flow = request_flow("site.example", "/a?b=c")
    flow.request.headers["Host"] = "elsewhere.example"
    assert block_url(flow, "site.example") == "http://site.example/a?b=c"
    flow = request_flow("site.example", "/", scheme="https")
    assert block_url(flow, "site.example") == "https://site.example/"
    flow.request.port = 8443
    assert block_url(flow, "site.example") == "https://site.example:8443/"
    flow = request_flow("site.example", "/" + "x" * 3000)
    assert block_url(flow, "site.example") == "http://site.example/"


# -- illegal content: hotline lists -------------------------------------------------------


@pytest.fixture
def hotline(data_dir):
    folder = data_dir.root / "hotline"
    folder.mkdir()
    (folder / "test-hotline.txt").write_text(
        "# harmless test addresses standing in for a hotline list\n"
        f"{digest_host('listed-host.example')}\n"
        f"{digest_url('http://mixed.example/hidden/')}\n"
    )
    return folder


def test_hotline_lists_block_for_every_profile_and_cannot_be_overridden(
    hotline, chain, store
) -> None:
    for name, preset in (("Little", "young"), ("Teen", "teen"), ("Grown-up", "adult")):
        store.add_profile(name, preset)
        store.add_rule(name, Action.ALLOW, "listed-host.example")
        store.add_rule(name, Action.ALLOW, "mixed.example")
    store.add_rule("Household", Action.ALLOW, "listed-host.example")
    ips = {"Household": "192.168.1.20", "Little": "192.168.1.31"}
    ips.update({"Teen": "192.168.1.32", "Grown-up": "192.168.1.33"})
    for name, ip in ips.items():
        if name != "Household":
            store.add_device(f"{name}'s device", profile=name, ip=ip)
    chain.refresh()
    for ip in ips.values():
        for host, path in (("listed-host.example", "/"), ("cdn.listed-host.example", "/x")):
            flow = request_flow(host, path, client_ip=ip)
            chain.addon(HttpFilter).requestheaders(flow)
            body = flow.response.get_text()
            assert flow.response.status_code == 403
            assert 'data-hearthguard-page="illegal_content"' in body
            assert "listed-host" not in body and "<form" not in body
            assert "test-hotline" not in body
        flow = request_flow("mixed.example", "/hidden/page.html", client_ip=ip)
        chain.addon(HttpFilter).requestheaders(flow)
        assert flow.metadata["hearthguard"].reason is Reason.ILLEGAL_CONTENT
        flow = request_flow("mixed.example", "/public", client_ip=ip)
        chain.addon(HttpFilter).requestheaders(flow)
        assert flow.response is None  # the rest of that site is not on the list


def test_hotline_blocks_leave_no_address_in_the_log(hotline, chain, data_dir) -> None:
    for path in ("/", "/secret/page?id=3"):
        flow = request_flow("listed-host.example", path)
        chain.addon(HttpFilter).requestheaders(flow)
        assert flow.response.status_code == 403
    flow = request_flow("ordinary.example", "/")
    chain.addon(HttpFilter).requestheaders(flow)
    chain.addon(ActivityWriter).flush()
    raw = data_dir.activity_db.read_bytes()
    for suffix in ("-wal", "-shm"):
        extra = data_dir.activity_db.with_name(data_dir.activity_db.name + suffix)
        if extra.exists():
            raw += extra.read_bytes()
    assert b"listed-host" not in raw and b"secret/page" not in raw
    assert b"ordinary.example" in raw  # the log itself works
    store = ActivityStore(data_dir.activity_db)
    try:
        count = store.db.execute("SELECT sum(blocks) FROM hotline_counts").fetchone()[0]
    finally:
        store.close()
    assert count == 2


def test_a_new_hotline_list_applies_without_a_restart(chain, data_dir) -> None:
    flow = request_flow("later.example")
    chain.addon(HttpFilter).requestheaders(flow)
    assert flow.response is None
    folder = data_dir.root / "hotline"
    folder.mkdir()
    (folder / "new.txt").write_text(digest_host("later.example") + "\n")
    chain.refresh()
    flow = request_flow("later.example")
    chain.addon(HttpFilter).requestheaders(flow)
    assert flow.metadata["hearthguard"].reason is Reason.ILLEGAL_CONTENT


def test_hearthguard_check_uses_hotline_lists_for_every_profile(hotline, data_dir) -> None:
    runner = CliRunner()
    for preset in ("young", "child", "teen", "adult"):
        out = runner.invoke(
            main,
            [
                "check",
                "--preset",
                preset,
                "http://listed-host.example/a",
                "--data-dir",
                str(data_dir.root),
            ],
        )
        result = json.loads(out.output.splitlines()[0])
        assert (result["action"], result["reason"]) == ("block", "illegal_content")


def test_a_paused_device_sees_its_own_page(chain, store) -> None:
    until = datetime.now().astimezone() + timedelta(hours=1)
    store.add_device("Tablet", profile="Household", ip=IP)
    store.update_device("Tablet", paused_until=until)
    chain.refresh()
    flow = request_flow("example.org", client_ip=IP)
    chain.addon(HttpFilter).requestheaders(flow)
    assert 'data-hearthguard-page="paused"' in flow.response.get_text()
    assert isinstance(chain.state.snapshot.devices_by_ip[IP], Device)
