"""Testing a web address from the dashboard decides exactly as the proxy does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from policy.check import check_url, url_request
from policy.validate import InputError
from policy.values import Action, Reason
from tests.support.lists import make_index, parsed

NOW = datetime(2026, 6, 10, 12, tzinfo=timezone(timedelta(hours=2)))


def test_rules_lists_and_protected_categories_decide(store, data_dir) -> None:
    make_index(
        data_dir.index,
        [
            parsed("ut1/gambling", "gambling", ["casino.example"]),
            parsed("ut1/health", "health", ["clinic.example"]),
        ],
    )
    store.add_rule("Household", Action.BLOCK, "games.example")
    _, decision, problems = check_url(
        data_dir, store, store.profile("Household"), "casino.example/x", NOW
    )
    assert (decision.reason, decision.category, decision.source) == (
        Reason.CATEGORY_BLOCKED,
        "gambling",
        "ut1/gambling",
    )
    assert problems == ()
    request, decision, _ = check_url(
        data_dir, store, store.profile("household"), "https://m.games.example", NOW
    )
    assert decision.reason is Reason.PARENT_DENIED and request.scheme == "https"
    _, decision, _ = check_url(data_dir, store, store.profile("Household"), "clinic.example", NOW)
    assert decision.reason is Reason.PROTECTED_CATEGORY and not decision.blocked


def test_a_missing_index_is_reported(store, data_dir) -> None:
    data_dir.index.unlink(missing_ok=True)
    _, decision, problems = check_url(
        data_dir, store, store.profile("Household"), "casino.example", NOW
    )
    # no list can decide now; only the URL classifier still judges unknown hosts
    assert decision.reason.value != "category_blocked" and problems and "lists" in problems[0]


@pytest.mark.parametrize("url", ["", "ftp://example.com", "http://", "x" * 3000, "http://a b/"])
def test_what_is_not_a_web_address_is_refused(store, url) -> None:
    with pytest.raises(InputError) as error:
        url_request(url)
    assert error.value.field == "url"


def test_unknown_profiles_are_refused(store, data_dir) -> None:
    with pytest.raises(InputError, match="no profile"):
        check_url(data_dir, store, store.profile("Nobody"), "example.com", NOW)
