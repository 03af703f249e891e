"""The decisions lists give are made once per kind, category and list and shared (they are
immutable): equal to a fresh one, the same object for the same list, and the number kept is
bounded however many lists an index names over time."""

from __future__ import annotations

from datetime import UTC, datetime

from policy import decide as decide_module
from policy.decide import decide
from policy.presets import preset
from policy.snapshot import Snapshot
from policy.values import Action, Decision, Profile, Reason, Request
from tests.support.lists import make_index, parsed

NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)


def _child() -> Profile:
    p = preset("child")
    return Profile("Kid", p.name, p.blocked, p.url_threshold, p.page_threshold)


def test_list_decisions_are_shared_equal_and_bounded(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(decide_module, "_MAX_BY_LISTS", 8)
    decide_module._BY_LISTS.clear()
    lists = [parsed(f"l{i}/adult", "adult", [f"site{i}.example"]) for i in range(20)]
    lists += [
        parsed("h/health", "health", ["clinic.example"]),
        parsed("w/adult", "adult", [], allow=["ok.site0.example"]),
    ]
    index = make_index(tmp_path / "i.idx", lists)
    snapshot = Snapshot(1, {"Kid": _child()}, "Kid", index=index)
    profile = snapshot.profiles["Kid"]
    for round_ in range(2):
        for i in range(20):
            got = decide(Request(f"www.site{i}.example", f"/{round_}"), profile, snapshot, NOW)
            assert got == Decision(Action.BLOCK, Reason.CATEGORY_BLOCKED, "adult", f"l{i}/adult")
            assert len(decide_module._BY_LISTS) <= 8
    first = decide(Request("site3.example"), profile, snapshot, NOW)
    assert decide(Request("a.site3.example", "/x"), profile, snapshot, NOW) is first
    assert decide(Request("clinic.example"), profile, snapshot, NOW) == Decision(
        Action.ALLOW, Reason.PROTECTED_CATEGORY, "health", "h/health"
    )
    assert decide(Request("ok.site0.example"), profile, snapshot, NOW) == Decision(
        Action.ALLOW, Reason.LIST_ALLOWED, "adult", "w/adult"
    )
