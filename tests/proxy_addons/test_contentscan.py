"""Content scan: harmful pages become block pages; other answers stream; bombs are capped."""

from __future__ import annotations

import asyncio
import gzip
import zlib

import pytest
from mitmproxy.test import tutils

from policy.values import Reason
from proxy_addons.contentscan import ContentScan, scan_page
from proxy_addons.httpfilter import HttpFilter
from tests.proxy_addons.conftest import request_flow

FILLER = "<p>" + " ".join(["the garden library river weather school museum"] * 40) + "</p>"
ADULT = (
    f"<html><head><title>Videos</title></head><body>{FILLER}"
    "<p>free porn xxx hardcore porn sex videos pussy cock hardcore sex free porn videos</p>"
    "</body></html>"
)
SEX_ED = (
    "<html><head><title>Growing up: puberty and consent</title></head><body>"
    "<p>Puberty brings changes to your body. Sex education helps young people understand "
    "consent, contraception, periods and how to stay safe and healthy. Talk to a trusted "
    "adult, a school nurse or a doctor if you have questions about sexual health.</p>"
    f"{FILLER}</body></html>"
)


@pytest.fixture
def scanning(chain, models):
    chain.state.page_model = models.page
    return chain


def answered(
    chain, host: str, body: bytes, *, headers: dict[str, str] | None = None, path: str = "/"
):
    flow = request_flow(host, path)
    chain.addon(HttpFilter).requestheaders(flow)
    flow.response = tutils.tresp(content=b"")
    flow.response.headers.clear()
    flow.response.headers["content-type"] = "text/html; charset=utf-8"
    # framed as an origin frames a page it sends whole (a page without a length: see
    # test_contentscan_chunked.py)
    flow.response.headers["content-length"] = str(len(body))
    for name, value in (headers or {}).items():
        flow.response.headers[name] = value
    flow.response.raw_content = body
    return flow


def run(chain, flow):
    """The response hooks as mitmproxy calls them (the scan awaits a worker thread)."""
    scan = chain.addon(ContentScan)
    scan.responseheaders(flow)
    if not flow.response.stream:
        asyncio.run(scan.response(flow))
    return flow


def test_an_adult_page_becomes_the_block_page(scanning) -> None:
    flow = run(scanning, answered(scanning, "videos.example", ADULT.encode()))
    assert flow.response.status_code == 403
    decision = flow.metadata["hearthguard"]
    assert (decision.reason, decision.category) == (Reason.CONTENT_BLOCKED, "adult")
    assert decision.source.startswith("page model: ") and "porn" in decision.source
    assert b"porn" not in flow.response.content  # phrases are for parents only
    decisions, _, _ = scanning.state.log.take()
    assert ("videos.example", "block", "content_blocked") in {
        (e.host, e.action, e.reason) for e in decisions
    }


def test_sex_education_and_ordinary_pages_pass(scanning) -> None:
    for host, html in (("health.example", SEX_ED), ("garden.example", f"<p>{FILLER}</p>")):
        flow = run(scanning, answered(scanning, host, html.encode()))
        assert flow.response.status_code == 200, host


def test_gzip_bomb_is_cut_and_still_judged(scanning) -> None:
    bomb = ADULT.encode() + b" " * (50 * 1024 * 1024)
    body = gzip.compress(bomb, 9)
    assert len(body) < 200_000
    flow = answered(scanning, "bomb.example", body, headers={"content-encoding": "gzip"})
    flow = run(scanning, flow)
    assert flow.response.status_code == 403


def test_deflate_and_a_wrong_charset_are_handled(scanning) -> None:
    body = zlib.compress(ADULT.encode("utf-16"))
    flow = answered(
        scanning,
        "odd.example",
        body,
        headers={"content-encoding": "deflate", "content-type": "text/html; charset=klingon"},
    )
    flow = run(scanning, flow)  # must not raise, whatever the verdict
    assert flow.response.status_code in (200, 403)


def test_profiles_without_scanning_and_non_html_stream(scanning, store) -> None:
    flow = answered(scanning, "img.example", b"\x89PNG....", headers={"content-type": "image/png"})
    run(scanning, flow)
    assert flow.response.stream is True
    store.update_profile("Household", content_scan=False)
    scanning.refresh()
    flow = run(scanning, answered(scanning, "videos.example", ADULT.encode()))
    assert flow.response.stream is True and flow.response.status_code == 200


def test_verdicts_are_remembered_per_page(scanning) -> None:
    scan = scanning.addon(ContentScan)
    run(scanning, answered(scanning, "videos.example", ADULT.encode(), path="/a?x=1"))
    # the same page again, now with harmless content: the remembered verdict still applies
    flow = run(scanning, answered(scanning, "videos.example", b"<p>hello</p>", path="/a?x=1"))
    assert flow.response.status_code == 403
    scanning.tctx.configure(scan, hearthguard_scan_cache=0)
    scan._remembered.clear()
    flow = run(scanning, answered(scanning, "videos.example", b"<p>hello</p>", path="/a"))
    assert flow.response.status_code == 200


def test_a_page_that_passed_does_not_open_the_same_path_with_another_query(scanning) -> None:
    """``/viewtopic?t=1`` passing must not let ``/viewtopic?t=2`` through unread: sites serve
    whole different pages by their query."""
    ok = run(scanning, answered(scanning, "forum.example", FILLER.encode(), path="/t?id=1"))
    assert ok.response.status_code == 200
    flow = run(scanning, answered(scanning, "forum.example", ADULT.encode(), path="/t?id=2"))
    assert flow.response.status_code == 403
    # the parents' review queue names the page without its query (search words stay private)
    assert [r["url"] for r in scanning.state.pending_reviews] == ["forum.example/t"]


def test_scan_page_never_raises_on_junk(models) -> None:
    for raw, enc in (
        (b"", None),
        (b"\x00\xff" * 1000, None),
        (b"not gzip", "gzip"),
        (b"<script>" * 10000, None),
    ):
        verdict, _ = scan_page(models.page, raw, enc, "text/html")
        assert 0.0 <= verdict.score <= 1.0


def test_blocked_pages_await_review_and_listed_hosts_become_examples(scanning, store, tmp_path):
    from classifier.lists.index import DomainIndex
    from proxy_addons.activitylog import ActivityWriter
    from tests.support.lists import make_index, parsed

    index = make_index(tmp_path / "idx", [parsed("ut1/press", "news", ["paper.example"])])
    scanning.reload.index = index
    scanning.state.snapshot = scanning.reload._load()
    run(scanning, answered(scanning, "videos.example", ADULT.encode(), path="/clip?id=3"))
    run(scanning, answered(scanning, "paper.example", f"<p>{FILLER}</p>".encode()))
    run(scanning, answered(scanning, "paper.example", f"<p>{FILLER} more</p>".encode(), path="/b"))
    scanning.addon(ActivityWriter).flush()
    learning = scanning.state.learning
    (item,) = learning.review_items()
    assert (item.kind, item.host, item.url, item.category) == (
        "blocked",
        "videos.example",
        "videos.example/clip",
        "adult",
    )
    assert "porn" in item.text
    examples = learning.examples()
    assert [(e.category, e.source) for e in examples] == [("news", "list:news")]  # once a day
    assert isinstance(index, DomainIndex)


def test_nothing_is_kept_when_the_household_turned_learning_off(scanning, store) -> None:
    from proxy_addons.activitylog import ActivityWriter

    store.set_setting("learning", False)
    scanning.refresh()
    run(scanning, answered(scanning, "videos.example", ADULT.encode()))
    scanning.addon(ActivityWriter).flush()
    assert scanning.state.learning.review_items() == []


def test_imported_phrase_lists_block_even_without_the_page_model(chain, data_dir, tmp_path):
    import shutil
    from pathlib import Path

    from policy.phraselists import import_phrase_list, load_phrase_scorer

    e2g = Path(__file__).resolve().parents[3] / "shared" / "data" / "lists" / "e2guardian"
    shutil.copytree(e2g, tmp_path / "lists")
    import_phrase_list(data_dir, tmp_path / "lists" / "weightedphraselist")
    chain.state.phrase_scorer = load_phrase_scorer(data_dir)[0]
    assert chain.state.page_model is None
    flow = run(chain, answered(chain, "videos.example", ADULT.encode()))
    assert flow.response.status_code == 403
    decision = flow.metadata["hearthguard"]
    assert decision.source.startswith("phrase list: ") and decision.category == "adult"
    flow = run(chain, answered(chain, "garden.example", f"<p>{FILLER}</p>".encode()))
    assert flow.response.status_code == 200
