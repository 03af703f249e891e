"""activity.db: which devices use only Hearthguard's DNS, and which keep trying bypasses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from policy.activity import ActivityStore
from policy.activitydb.records import DecisionEvent
from policy.dns import BYPASS_SOURCE

NOW = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path):
    s = ActivityStore(tmp_path / "activity.db")
    yield s
    s.close()


def test_a_device_using_only_dns_is_not_protected(store: ActivityStore) -> None:
    store.record_paths(
        [
            ("192.168.1.23", NOW - timedelta(minutes=5), None),  # DNS only
            ("192.168.1.24", NOW - timedelta(minutes=5), NOW - timedelta(minutes=2)),  # both
            ("192.168.1.25", NOW - timedelta(hours=3), None),  # gone home long ago
        ]
    )
    assert [ip for ip, _, _ in store.unprotected(NOW)] == ["192.168.1.23"]


def test_later_sightings_move_forward_and_none_keeps_what_was_known(store: ActivityStore) -> None:
    early, late = NOW - timedelta(hours=2), NOW - timedelta(minutes=1)
    store.record_paths([("192.168.1.23", late, early)])
    store.record_paths([("192.168.1.23", early, None)])  # an older DNS time never wins
    (row,) = store.unprotected(NOW)
    assert row == ("192.168.1.23", late, early)
    store.record_paths([("192.168.1.23", None, NOW)])
    assert store.unprotected(NOW) == []


def event(ip: str, host: str, source: str | None, at: datetime, category: str = "anonymizer"):
    return DecisionEvent(
        at, "Tablet", ip, "Mia", host, "block", "category_blocked", category, source, None
    )


def test_repeated_bypass_tries_are_flagged_per_device(store: ActivityStore) -> None:
    at = NOW - timedelta(minutes=10)
    store.write_batch(
        [
            event("192.168.1.23", "nordvpn.com", "ut1/vpn", at),
            event("192.168.1.23", "dns.google", "ut1/doh", at),
            event("192.168.1.23", "hide.me", "ut1/vpn", at),
            event("192.168.1.23", "use-application-dns.net", BYPASS_SOURCE, at),
            event("192.168.1.24", "nordvpn.com", "ut1/vpn", at),  # once is not a pattern
            event("192.168.1.24", "porn.example", "x", at, "adult"),
            event("192.168.1.25", "use-application-dns.net", BYPASS_SOURCE, at),
            event("192.168.1.25", "mask.icloud.com", BYPASS_SOURCE, at),
            event("192.168.1.25", "mask-h2.icloud.com", BYPASS_SOURCE, at),
        ],
        [],
    )
    flagged = store.bypass_tries(NOW - timedelta(days=1))
    assert flagged == [("Tablet", "192.168.1.23", 3, ["dns.google", "hide.me", "nordvpn.com"])]
    assert store.bypass_tries(NOW - timedelta(minutes=5)) == []
    assert store.bypass_tries(NOW - timedelta(days=1), ip="192.168.1.24") == []
