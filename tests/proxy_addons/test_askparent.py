"""Ask a parent through the real addon chain and a real activity.db: tickets, limits, status."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import timedelta

import pytest

from classifier.lists.hotline import digest_host
from policy.access_requests import answer
from policy.activity import ActivityStore
from policy.values import Action
from proxy_addons.askparent import AskParent, RateLimit, clean_message
from proxy_addons.blockpage import Ticket
from tests.proxy_addons.conftest import request_flow

CHILD = "192.168.1.20"
SIBLING = "192.168.1.21"


def run(chain, flow):
    """Every addon's requestheaders then request hook, in chain order, as mitmproxy does."""
    for addon in chain.addons:
        hook = getattr(addon, "requestheaders", None)
        if hook is not None and flow.response is None and flow.live:
            hook(flow)
    for addon in chain.addons:
        hook = getattr(addon, "request", None)
        if hook is not None and flow.live:
            result = hook(flow)
            if asyncio.iscoroutine(result):
                asyncio.run(result)
    return flow


def page(chain, host, path="/", *, ip=CHILD, scheme="http", headers=None):
    flow = request_flow(host, path, client_ip=ip, scheme=scheme)
    for name, value in (headers or {}).items():
        flow.request.headers[name] = value
    return run(chain, flow)


def post(chain, host, fields, *, ip=CHILD, path="/.hearthguard/ask", scheme="http"):
    flow = request_flow(host, path, client_ip=ip, scheme=scheme)
    flow.request.method = "POST"
    flow.request.urlencoded_form = fields
    assert flow.request.headers["content-length"].isdigit()
    return run(chain, flow)


def token_of(flow) -> str:
    match = re.search(r'name="token" value="([^"]+)"', flow.response.get_text())
    assert match, "the block page has no ask form"
    return html.unescape(match.group(1))


def ask(chain, host, message="", *, path="/", ip=CHILD, scheme="http"):
    blocked = page(chain, host, path, ip=ip, scheme=scheme)
    return post(chain, host, {"token": token_of(blocked), "message": message}, ip=ip)


def request_id(flow) -> int:
    assert flow.response.status_code == 303, flow.response.get_text()
    match = re.fullmatch(r"/\.hearthguard/request/(\d+)", flow.response.headers["location"])
    assert match
    return int(match.group(1))


@pytest.fixture
def blocked(chain, store):
    store.add_rule("Household", Action.BLOCK, "blocked.example")
    store.add_rule("Household", Action.BLOCK, "other.example")
    store.add_device("Tablet", profile="Household", ip=CHILD)
    chain.refresh()
    return chain


@pytest.fixture
def activity(data_dir):
    store = ActivityStore(data_dir.activity_db)
    yield store
    store.close()


def test_asking_creates_a_request_bound_to_the_device(blocked, activity) -> None:
    flow = ask(blocked, "blocked.example", "for my homework", path="/lesson?id=4")
    rid = request_id(flow)
    made = activity.request(rid)
    assert (made.device, made.ip, made.profile, made.host) == (
        "Tablet",
        CHILD,
        "Household",
        "blocked.example",
    )
    assert made.url == "http://blocked.example/lesson?id=4"
    assert (made.reason, made.message, made.status) == (
        "parent_denied",
        "for my homework",
        "pending",
    )
    assert flow.response.headers["cache-control"] == "no-store"


def test_reserved_paths_never_reach_the_origin_even_on_allowed_sites(blocked) -> None:
    for path in ("/.hearthguard/about", "/.hearthguard/ask", "/.hearthguard/nothing"):
        flow = request_flow("allowed.example", path)
        for addon in blocked.addons:  # only the header hooks: the answer must already be set
            hook = getattr(addon, "requestheaders", None)
            if hook is not None and flow.response is None:
                hook(flow)
        assert flow.response is not None, path
    assert page(blocked, "allowed.example", "/.hearthguard/nothing").response.status_code == 404
    assert page(blocked, "allowed.example", "/.hearthguard/ask").response.status_code == 404


def test_status_page_waits_then_redirects_once_approved(blocked, activity, store) -> None:
    rid = request_id(ask(blocked, "blocked.example", path="/lesson"))
    status = page(blocked, "blocked.example", f"/.hearthguard/request/{rid}")
    body = status.response.get_text()
    assert status.response.status_code == 200
    assert 'data-hearthguard-page="request-waiting"' in body
    assert '<meta http-equiv="refresh" content="10">' in body

    now = blocked.state.now()
    answer(store, activity, rid, approve=True, duration="1h", actor="mum", now=now)
    # the proxy has not reloaded the policy yet: the page says yes and keeps reloading
    opening = page(blocked, "blocked.example", f"/.hearthguard/request/{rid}").response
    assert 'data-hearthguard-page="request-opening"' in opening.get_text()
    assert '<meta http-equiv="refresh" content="2">' in opening.get_text()
    blocked.refresh()
    done = page(blocked, "blocked.example", f"/.hearthguard/request/{rid}").response
    assert done.status_code == 303
    assert done.headers["location"] == "http://blocked.example/lesson"
    assert page(blocked, "blocked.example", "/lesson").response is None  # through to the site


def test_declined_request_shows_the_parents_note_escaped(blocked, activity, store) -> None:
    rid = request_id(ask(blocked, "blocked.example"))
    note = "Not tonight <script>alert('x')</script> & ask me tomorrow"
    answer(store, activity, rid, approve=False, note=note, actor="mum", now=blocked.state.now())
    body = page(blocked, "blocked.example", f"/.hearthguard/request/{rid}").response.get_text()
    assert 'data-hearthguard-page="request-declined"' in body
    assert "<script>alert" not in body
    assert "Not tonight &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; ask me" in body
    assert "http-equiv" not in body  # no more reloading


def test_an_expired_approval_says_so(blocked, activity, store) -> None:
    rid = request_id(ask(blocked, "blocked.example"))
    past = blocked.state.now() - timedelta(hours=3)
    answer(store, activity, rid, approve=True, duration="15m", actor="mum", now=past)
    blocked.refresh()
    body = page(blocked, "blocked.example", f"/.hearthguard/request/{rid}").response.get_text()
    assert 'data-hearthguard-page="request-expired"' in body


def test_the_childs_message_is_escaped_on_the_status_page(blocked) -> None:
    message = '"><img src=x onerror=alert(1)> please'
    rid = request_id(ask(blocked, "blocked.example", message))
    body = page(blocked, "blocked.example", f"/.hearthguard/request/{rid}").response.get_text()
    assert "<img" not in body
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt; please" in body


def test_a_status_page_is_only_for_the_device_and_site_that_asked(blocked) -> None:
    rid = request_id(ask(blocked, "blocked.example"))
    other_device = page(blocked, "blocked.example", f"/.hearthguard/request/{rid}", ip=SIBLING)
    other_site = page(blocked, "other.example", f"/.hearthguard/request/{rid}")
    missing = page(blocked, "blocked.example", "/.hearthguard/request/999999")
    for flow in (other_device, other_site, missing):
        assert flow.response.status_code == 404
        assert 'data-hearthguard-page="problem-not_found"' in flow.response.get_text()


@pytest.mark.parametrize("tamper", ["payload", "mac", "garbage", "empty"])
def test_forged_tickets_are_refused_politely(blocked, activity, tamper: str) -> None:
    token = token_of(page(blocked, "blocked.example"))
    payload, mac = token.split(".")
    forged = {
        "payload": payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac,
        "mac": payload + "." + mac[::-1],
        "garbage": "not-a-ticket",
        "empty": "",
    }[tamper]
    flow = post(blocked, "blocked.example", {"token": forged, "message": "hi"})
    assert flow.response.status_code == 400
    assert 'data-hearthguard-page="problem-stale"' in flow.response.get_text()
    assert activity.requests() == []


def test_a_ticket_only_works_for_its_device_site_and_time(blocked, activity) -> None:
    token = token_of(page(blocked, "blocked.example"))
    assert (
        post(blocked, "blocked.example", {"token": token}, ip=SIBLING).response.status_code == 400
    )
    assert post(blocked, "other.example", {"token": token}).response.status_code == 400
    tickets = blocked.addon(AskParent).pages.tickets
    old = int((blocked.state.now() - timedelta(hours=3)).timestamp())
    stale = tickets.sign(
        Ticket("Household", "blocked.example", "http://blocked.example/", "", "parent_denied", old),
        CHILD,
    )
    assert post(blocked, "blocked.example", {"token": stale}).response.status_code == 400
    assert activity.requests() == []


def test_a_ticket_for_another_profile_is_refused(blocked, store, activity) -> None:
    token = token_of(page(blocked, "blocked.example"))
    store.add_profile("Teen", "teen")
    store.add_rule("Teen", Action.BLOCK, "blocked.example")
    store.update_device("Tablet", profile="Teen")
    blocked.refresh()
    assert post(blocked, "blocked.example", {"token": token}).response.status_code == 400
    assert activity.requests() == []


def test_one_pending_request_per_site(blocked, activity) -> None:
    first = request_id(ask(blocked, "blocked.example", "please"))
    second = request_id(ask(blocked, "blocked.example", "pretty please"))
    assert first == second
    assert [r.message for r in activity.requests()] == ["please"]


def test_requests_are_rate_limited_per_device(blocked, store, activity) -> None:
    hosts = [f"site{i}.example" for i in range(6)]
    for host in hosts:
        store.add_rule("Household", Action.BLOCK, host)
    blocked.refresh()
    for host in hosts[:5]:
        request_id(ask(blocked, host))
    limited = ask(blocked, hosts[5])
    assert limited.response.status_code == 429
    assert 'data-hearthguard-page="problem-rate"' in limited.response.get_text()
    assert len(activity.requests()) == 5
    # another device is not affected
    assert request_id(ask(blocked, hosts[5], ip=SIBLING))


def test_rate_limit_window_slides() -> None:
    from proxy_addons.askparent import AskLimits

    limit = RateLimit(AskLimits(per_device=2, window=60))
    limit.record("a", 0)
    limit.record("a", 10)
    assert not limit.allows("a", 59)
    assert limit.allows("a", 61)
    assert limit.allows("b", 59)


def test_a_too_long_message_shows_the_form_again_with_the_error(blocked, activity) -> None:
    token = token_of(page(blocked, "blocked.example"))
    flow = post(blocked, "blocked.example", {"token": token, "message": "<b>" + "x" * 600})
    body = flow.response.get_text()
    assert flow.response.status_code == 400
    assert 'id="hg-message-error"' in body and 'aria-invalid="true"' in body
    assert "&lt;b&gt;xxx" in body and "<b>xxx" not in body
    assert activity.requests() == []
    assert token_of(flow)  # the form can be sent again


def test_messages_lose_control_and_direction_characters() -> None:
    assert clean_message("  hi\u202ethere\x00\r\nok  ") == "hithere\nok"
    assert clean_message("x" * 500) == "x" * 500
    assert clean_message("x" * 501) is None


def test_an_already_allowed_site_just_opens(blocked, store) -> None:
    token = token_of(page(blocked, "blocked.example", "/a"))
    store.add_rule("Household", Action.ALLOW, "blocked.example")
    blocked.refresh()
    flow = post(blocked, "blocked.example", {"token": token})
    assert flow.response.status_code == 303
    assert flow.response.headers["location"] == "http://blocked.example/a"


def test_illegal_content_can_never_be_asked_about(blocked, data_dir, activity) -> None:
    token = token_of(page(blocked, "blocked.example"))
    blocked.state.log.take()  # the parent_denied block before the site was on a hotline list
    (data_dir.root / "hotline").mkdir()
    (data_dir.root / "hotline" / "test.txt").write_text(digest_host("blocked.example") + "\n")
    blocked.refresh()
    assert 'name="token"' not in page(blocked, "blocked.example").response.get_text()
    flow = post(blocked, "blocked.example", {"token": token, "message": "please"})
    assert flow.response.status_code == 403
    assert 'data-hearthguard-page="illegal_content"' in flow.response.get_text()
    tickets = blocked.addon(AskParent).pages.tickets
    now = int(blocked.state.now().timestamp())
    signed = tickets.sign(
        Ticket(
            "Household", "blocked.example", "http://blocked.example/", "", "illegal_content", now
        ),
        CHILD,
    )
    assert post(blocked, "blocked.example", {"token": signed}).response.status_code == 403
    assert activity.requests() == []
    decisions, _, hotline_blocks = blocked.state.log.take()
    assert hotline_blocks >= 2 and all(e.host != "blocked.example" for e in decisions)


def test_oversized_or_chunked_bodies_are_cut_off(blocked) -> None:
    flow = request_flow("blocked.example", "/.hearthguard/ask")
    flow.request.method = "POST"
    flow.request.headers["content-length"] = str(10 * 1024 * 1024)
    blocked.addon(AskParent).requestheaders(flow)
    assert flow.error is not None and flow.response is None  # killed, never streamed upstream
    flow = request_flow("blocked.example", "/.hearthguard/ask")
    flow.request.method = "POST"
    flow.request.headers["transfer-encoding"] = "chunked"
    blocked.addon(AskParent).requestheaders(flow)
    assert flow.error is not None


def test_the_about_page_is_served_on_any_site(blocked, store) -> None:
    flow = page(blocked, "news.example", "/.hearthguard/about")
    body = flow.response.get_text()
    assert flow.response.status_code == 200
    assert 'data-hearthguard-page="about"' in body
    assert "These records are deleted after 30 days." in body
    assert "SafeSearch" not in body and "safe search for Google" in body
    store.update_profile("Household", logging=False, safesearch=False, youtube="off")
    blocked.refresh()
    body = page(blocked, "news.example", "/.hearthguard/about").response.get_text()
    assert "are not recorded" in body and "safe search for Google" not in body


def test_the_about_page_follows_the_language(blocked, store) -> None:
    flow = page(blocked, "a.example", "/.hearthguard/about", headers={"Accept-Language": "cs"})
    assert 'lang="cs"' in flow.response.get_text()
    assert "Co Hearthguard dělá na tomhle zařízení" in flow.response.get_text()
    store.set_setting("language", "fr")
    blocked.refresh()
    flow = page(blocked, "a.example", "/.hearthguard/about", headers={"Accept-Language": "cs"})
    assert 'lang="fr"' in flow.response.get_text()


def test_asking_works_over_https_too(blocked, activity) -> None:
    rid = request_id(ask(blocked, "blocked.example", path="/secure", scheme="https"))
    assert activity.request(rid).url == "https://blocked.example/secure"
