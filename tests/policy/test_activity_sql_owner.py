"""Only ``policy.activity`` and ``policy.activitydb`` write SQL for activity.db; others ask."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policy.activity import ActivityStore

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("classifier", "policy", "proxy_addons", "dashboard", "hearthguard")
TABLES = (
    "decisions",
    "seen_devices",
    "access_requests",
    "alerts",
    "hotline_counts",
    "usage_minutes",
    "network_paths",
)
SQL_ON_ACTIVITY = re.compile(
    rf"\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+({'|'.join(TABLES)})\b", re.IGNORECASE
)


def _sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_no_module_outside_the_activity_modules_writes_sql_for_activity_db() -> None:
    package = ROOT / "policy" / "activitydb"
    owners = {ROOT / "policy" / "activity.py", *package.glob("*.py")}
    assert package / "schema.py" in owners and all(p.exists() for p in owners)
    found = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in _sources()
        if p not in owners
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if SQL_ON_ACTIVITY.search(line)
    ]
    assert found == []


@pytest.mark.parametrize("name", ["select", "execute", "query"])
def test_the_store_takes_no_sql_from_its_callers(name: str) -> None:
    assert not hasattr(ActivityStore, name)


def test_the_pattern_sees_sql_on_activity_tables() -> None:
    assert SQL_ON_ACTIVITY.search('"SELECT host FROM decisions WHERE at > ?"')
    assert SQL_ON_ACTIVITY.search("update access_requests set status = ?")
    assert not SQL_ON_ACTIVITY.search("decisions made from the profile")
