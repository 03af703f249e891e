"""Teach the filter: reviewing scanned pages, the collection switch, retraining, problems."""

from __future__ import annotations

from datetime import UTC, datetime

from policy.learning import Learning
from policy.status import write_status
from policy.store import PolicyStore


def queued(data_dir, url: str = "clinic.example/advice", category: str = "adult") -> str:
    store = Learning(data_dir.learning_dir)
    store.add_review(
        at=datetime.now(UTC),
        kind="blocked",
        host=url.split("/")[0],
        url=url,
        category=category,
        score=0.91,
        text="<b>Advice</b> about sexual health",
        device="Tablet",
    )
    return store.review_items()[0].item_id


def test_a_parent_judges_a_blocked_page(client, auth, data_dir) -> None:
    item_id = queued(data_dir)
    auth.login()
    page = client.get("/learning/").get_data(as_text=True)
    assert f'data-item-id="{item_id}"' in page and "clinic.example/advice" in page
    assert "<b>Advice</b>" not in page and "&lt;b&gt;Advice&lt;/b&gt;" in page
    response = auth.post(
        f"/learning/review/{item_id}", {"verdict": "benign"}, form_page="/learning/"
    )
    assert response.status_code == 302
    learning = Learning(data_dir.learning_dir)
    assert learning.review_items() == []
    (example,) = learning.examples()
    assert (example.category, example.source) == ("benign", "parent:wrong:mum")
    assert PolicyStore(data_dir.policy_db).audit_log(1)[0]["action"] == "learning.review"


def test_bad_verdicts_and_unknown_items_are_refused(client, auth, data_dir) -> None:
    item_id = queued(data_dir)
    auth.login()
    assert (
        auth.post(
            f"/learning/review/{item_id}", {"verdict": "<script>"}, form_page="/learning/"
        ).status_code
        == 400
    )
    assert (
        auth.post("/learning/review/nope", {"verdict": "adult"}, form_page="/learning/").status_code
        == 404
    )
    assert client.post(f"/learning/review/{item_id}", data={"verdict": "adult"}).status_code == 400
    assert len(Learning(data_dir.learning_dir).review_items()) == 1


def test_the_collection_switch_is_a_household_setting(client, auth, data_dir) -> None:
    auth.login()
    auth.post("/learning/collect", {}, form_page="/learning/")
    assert PolicyStore(data_dir.policy_db).get_setting("learning") is False
    auth.post("/learning/collect", {"enabled": "on"}, form_page="/learning/")
    assert PolicyStore(data_dir.policy_db).get_setting("learning") is True


def test_proxy_problems_show_on_the_front_page(client, auth, data_dir) -> None:
    auth.login()
    assert 'id="problems"' not in client.get("/").get_data(as_text=True)
    write_status(
        data_dir, problems=("The page classifier is unavailable (damaged file).",), models={}
    )
    page = client.get("/").get_data(as_text=True)
    assert 'id="problems"' in page and "page classifier is unavailable" in page


def test_learning_pages_need_the_parent_login(client) -> None:
    assert client.get("/learning/").status_code == 302
    assert client.post("/learning/retrain").status_code in (302, 400)


def test_retraining_starts_in_the_background_and_logs(client, auth, data_dir) -> None:
    import time

    auth.login()
    response = auth.post("/learning/retrain", {}, form_page="/learning/")
    assert response.status_code == 302
    log = data_dir.root / "retrain.log"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "No household examples" not in (
        log.read_text() if log.exists() else ""
    ):
        time.sleep(0.2)
    assert "No household examples yet" in log.read_text()
    assert PolicyStore(data_dir.policy_db).audit_log(1)[0]["action"] == "learning.retrain"
