"""The access-request queue: the markup others rely on, approving, declining, bad answers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from policy.activity import ActivityStore
from policy.decide import decide
from policy.store import PolicyStore, load_snapshot
from policy.values import Request
from tests.dashboard.conftest import csrf_token, page_text


def ask(data_dir, host: str, *, message: str = "", minutes_ago: int = 0) -> int:
    activity = ActivityStore(data_dir.activity_db)
    try:
        return activity.add_request(
            device="Tablet",
            ip="192.168.1.20",
            profile="Household",
            host=host,
            url=f"http://{host}/page?q=1",
            category="gambling",
            reason="category_blocked",
            message=message,
            now=datetime.now(UTC) - timedelta(minutes=minutes_ago),
        )
    finally:
        activity.close()


def status_of(data_dir, request_id: int):
    activity = ActivityStore(data_dir.activity_db)
    try:
        return activity.request(request_id)
    finally:
        activity.close()


def test_queue_lists_pending_requests_oldest_first_with_the_agreed_markup(
    client, parent, data_dir
) -> None:
    older = ask(data_dir, "older.example", minutes_ago=10)
    newer = ask(data_dir, "newer.example", message="for homework")
    html = page_text(client.get("/requests/"))
    ids = [int(i) for i in re.findall(r'<article class="request" data-request-id="(\d+)"', html)]
    assert ids == [older, newer]
    article = html.split(f'data-request-id="{newer}"', 1)[1].split("</article>", 1)[0]
    for duration in ("15m", "1h", "today", "always"):
        assert f'<button type="submit" name="duration" value="{duration}">' in article
    approve = article.split('class="approve"', 1)[1].split("</form>", 1)[0]
    assert 'name="decision" value="approve"' in approve and 'name="csrf_token"' in approve
    decline = article.split('class="decline"', 1)[1].split("</form>", 1)[0]
    assert 'name="decision" value="decline"' in decline and 'name="note"' in decline
    assert f'action="/requests/{newer}/answer" class="approve"' in article
    assert "for homework" in article and "newer.example" in article
    assert 'aria-label="2 waiting">2</span>' in page_text(client.get("/"))  # nav badge


def test_approving_for_an_hour_allows_the_site_until_then(client, parent, data_dir) -> None:
    rid = ask(data_dir, "casino.example")
    response = parent.post(
        f"/requests/{rid}/answer", {"decision": "approve", "duration": "1h"}, form_page="/requests/"
    )
    assert response.status_code == 302 and response.location.endswith("/requests/")
    answered = status_of(data_dir, rid)
    assert answered.status == "approved" and answered.until is not None
    now = datetime.now().astimezone()
    assert timedelta(minutes=58) < answered.until - now <= timedelta(hours=1)
    store = PolicyStore(data_dir.policy_db)
    snapshot = load_snapshot(store)
    request, household = Request("www.casino.example", "/"), snapshot.profiles["Household"]
    assert decide(request, household, snapshot, now).reason.value == "parent_allowed"
    later = decide(request, household, snapshot, now + timedelta(hours=2))
    assert later.reason.value != "parent_allowed"
    assert store.audit_log(1)[0]["actor"] == "mum"
    store.close()
    html = page_text(client.get("/requests/"))
    assert f'data-request-id="{rid}"' not in html and "approved" in html


def test_declining_keeps_the_block_and_stores_the_note_for_the_child(
    client, parent, data_dir
) -> None:
    rid = ask(data_dir, "casino.example")
    before = PolicyStore(data_dir.policy_db).version()
    response = parent.post(
        f"/requests/{rid}/answer",
        {"decision": "decline", "note": "Not on a school night <3"},
        form_page="/requests/",
    )
    assert response.status_code == 302
    answered = status_of(data_dir, rid)
    assert (answered.status, answered.note) == ("declined", "Not on a school night <3")
    store = PolicyStore(data_dir.policy_db)
    assert store.version() == before  # no rule written, but the answer is in the changes log
    assert store.audit_log(1)[0] == {
        "at": store.audit_log(1)[0]["at"],
        "actor": "mum",
        "action": "request.decline",
        "detail": f"Household: casino.example (request {rid})",
    }
    store.close()
    assert "Not on a school night &lt;3" in page_text(client.get("/requests/"))


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"decision": "maybe"}, "approve or decline"),
        ({"decision": "approve", "duration": "forever"}, "Choose one of"),
        ({"decision": "decline", "note": "x" * 501}, "under 500 characters"),
    ],
)
def test_bad_answers_are_shown_by_the_request_and_change_nothing(
    client, parent, data_dir, form, message
) -> None:
    rid = ask(data_dir, "casino.example")
    response = parent.post(f"/requests/{rid}/answer", form, form_page="/requests/")
    html = page_text(response)
    assert response.status_code == 200 and message in html
    assert f'id="note-{rid}-error"' in html
    assert status_of(data_dir, rid).status == "pending"


def test_answering_twice_or_an_unknown_request_is_refused_politely(
    client, parent, data_dir
) -> None:
    rid = ask(data_dir, "casino.example")
    parent.post(f"/requests/{rid}/answer", {"decision": "decline"}, form_page="/requests/")
    again = parent.post(
        f"/requests/{rid}/answer", {"decision": "approve", "duration": "1h"}, form_page="/requests/"
    )
    assert again.status_code == 200 and "already declined" in page_text(again)
    missing = parent.post("/requests/9999/answer", {"decision": "decline"}, form_page="/requests/")
    assert missing.status_code == 200 and "no longer exists" in page_text(missing)


def test_answers_need_a_login_and_a_csrf_token(client, auth, data_dir) -> None:
    rid = ask(data_dir, "casino.example")
    response = client.post(f"/requests/{rid}/answer", data={"decision": "approve"})
    assert response.status_code in (302, 400)  # no token and no login: refused either way
    assert client.get("/requests/").status_code == 302  # the queue itself needs the login
    auth.login()
    token_page = page_text(client.get("/requests/"))
    assert csrf_token(token_page)
    response = client.post(f"/requests/{rid}/answer", data={"decision": "approve"})
    assert response.status_code == 400
    assert status_of(data_dir, rid).status == "pending"


def test_child_text_in_requests_is_escaped(client, parent, data_dir) -> None:
    activity = ActivityStore(data_dir.activity_db)
    activity.add_request(
        device="<b>Tab</b>",
        ip="192.168.1.20",
        profile="Household",
        host="evil.example",
        url='http://evil.example/"><script>alert(1)</script>',
        category=None,
        reason="parent_denied",
        message="<img src=x onerror=alert(1)>",
        now=datetime.now(UTC),
    )
    activity.close()
    html = page_text(client.get("/requests/"))
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;b&gt;Tab&lt;/b&gt;" in html
