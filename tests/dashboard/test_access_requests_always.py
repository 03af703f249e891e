"""On Requests, "always" sits apart from the temporary answers and asks before it is saved."""

from __future__ import annotations

from policy.store import PolicyStore
from tests.dashboard.conftest import csrf_token, page_text
from tests.dashboard.test_access_requests import ask, status_of


def test_always_asks_first_and_looks_different(client, parent, data_dir) -> None:
    request_id = ask(data_dir, "games.example")
    html = page_text(client.get("/requests/"))
    article = html.split(f'data-request-id="{request_id}"', 1)[1].split("</article>", 1)[0]
    temporary, permanent = article.split('class="actions permanent"', 1)
    assert 'value="1h"' in temporary and 'value="always"' not in temporary
    assert 'value="always"' in permanent
    url = f"/requests/{request_id}/answer"
    form = {"decision": "approve", "duration": "always", "csrf_token": csrf_token(html)}
    asked = client.post(url, data=form)
    assert asked.status_code == 200
    assert "Always allow games.example for Household?" in page_text(asked)
    assert status_of(data_dir, request_id).status == "pending"
    assert PolicyStore(data_dir.policy_db).profile("Household").rules == ()
    done = client.post(url, data={**form, "confirm": "yes"})
    assert done.status_code == 302
    (rule,) = PolicyStore(data_dir.policy_db).profile("Household").rules
    assert rule.domain == "games.example" and rule.expires_at is None
