"""Table tests for the precedence: illegal, allow, deny, pause/schedule, lists, model."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from policy.decide import decide, domain_matches
from policy.presets import preset
from policy.snapshot import Snapshot
from policy.values import Action, Device, Profile, Reason, Request, Rule, Schedule
from tests.support.lists import make_index, parsed

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # a Wednesday afternoon


class FakeHotline:
    """A hotline list holding exactly one URL (the real hashed format is tested on its own)."""

    def match(self, host: str, path: str) -> str | None:
        return "test-hotline" if (host, path) == ("bad.example", "/illegal") else None


class StubUrlModel:
    """Deterministic stand-in scoring by a table, to test how decide uses model scores."""

    def __init__(self, table: dict[str, tuple[str, float]]) -> None:
        self.table = table

    def classify(self, host: str, path: str) -> tuple[str, float]:
        return self.table.get(host, ("benign", 0.99))

    def explain(self, host: str, k: int = 3) -> list[tuple[str, float]]:
        return []


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    path: Path = tmp_path_factory.mktemp("idx") / "categories.idx"
    return make_index(
        path,
        [
            parsed(
                "ut1/adult",
                "adult",
                ["porn.example", "mixed.example"],
                urls=["video.example/adult"],
            ),
            parsed("ut1/press", "news", ["news.mixed.example", "paper.example"]),
            parsed("ut1/gambling", "gambling", ["casino.example"]),
            parsed("ut1/social_networks", "social", ["social.example"]),
            parsed("hotline/test", "illegal", ["csam.example"]),
            parsed("adblock/exceptions", "adult", [], allow=["safe.porn.example"]),
            parsed("ut1/sexual_education", "sex_education", ["sexed.example"]),
            parsed("ut1/adult-sexed", "adult", ["sexed.example"]),
        ],
    )


def profile(name: str = "Kid", preset_name: str = "child", **kw) -> Profile:
    p = preset(preset_name)
    base = dict(name=name, preset=p.name, blocked=p.blocked, url_threshold=p.url_threshold)
    base.update(kw)
    return Profile(**base)


def snap(index, *profiles: Profile, model=None) -> Snapshot:
    profiles = profiles or (profile(),)
    return Snapshot(
        version=1,
        profiles={p.name: p for p in profiles},
        default_profile=profiles[0].name,
        index=index,
        url_model=model,
        illegal=(FakeHotline(),),
    )


CASES = [
    # host, path, expected action, reason, category, source
    ("porn.example", "/", "block", Reason.CATEGORY_BLOCKED, "adult", "ut1/adult"),
    ("www.porn.example", "/x", "block", Reason.CATEGORY_BLOCKED, "adult", "ut1/adult"),
    ("porn.example.org", "/", "allow", Reason.NOT_BLOCKED, None, None),
    ("notporn.example", "/", "allow", Reason.NOT_BLOCKED, None, None),
    ("news.mixed.example", "/", "allow", Reason.PROTECTED_CATEGORY, "news", "ut1/press"),
    ("a.news.mixed.example", "/", "allow", Reason.PROTECTED_CATEGORY, "news", "ut1/press"),
    ("other.mixed.example", "/", "block", Reason.CATEGORY_BLOCKED, "adult", "ut1/adult"),
    (
        "sexed.example",
        "/",
        "allow",
        Reason.PROTECTED_CATEGORY,
        "sex_education",
        "ut1/sexual_education",
    ),
    ("safe.porn.example", "/", "allow", Reason.LIST_ALLOWED, "adult", "adblock/exceptions"),
    ("video.example", "/adult/clip", "block", Reason.CATEGORY_BLOCKED, "adult", "ut1/adult"),
    ("video.example", "/kids", "allow", Reason.NOT_BLOCKED, None, None),
    ("social.example", "/", "allow", Reason.NOT_BLOCKED, "social", "ut1/social_networks"),
    ("casino.example", "/", "block", Reason.CATEGORY_BLOCKED, "gambling", "ut1/gambling"),
    ("csam.example", "/", "block", Reason.ILLEGAL_CONTENT, "illegal", "hotline/test"),
    ("bad.example", "/illegal", "block", Reason.ILLEGAL_CONTENT, "illegal", "test-hotline"),
    ("bad.example", "/fine", "allow", Reason.NOT_BLOCKED, None, None),
]


@pytest.mark.parametrize(("host", "path", "action", "reason", "category", "source"), CASES)
def test_lists_decide_for_child(index, host, path, action, reason, category, source) -> None:
    d = decide(Request(host, path), profile(), snap(index), NOW)
    assert (d.action.value, d.reason, d.category, d.source) == (action, reason, category, source)


def test_profile_choices_change_list_outcome(index) -> None:
    young = profile("Young", "young")
    adult = profile("Grown", "adult")
    s = snap(index, young, adult)
    assert decide(Request("social.example", "/"), s.profiles["Young"], s, NOW).blocked
    assert not decide(Request("social.example", "/"), s.profiles["Grown"], s, NOW).blocked
    assert not decide(Request("casino.example", "/"), s.profiles["Grown"], s, NOW).blocked


def test_a_device_of_an_unknown_profile_is_decided_with_the_default(index) -> None:
    tablet = Device("tablet", "Nobody", "192.168.1.30")
    s = replace(snap(index), devices_by_ip={"192.168.1.30": tablet})
    chosen, device = s.profile_for("192.168.1.30")
    assert chosen.name == "Kid" and device is tablet
    d = decide(Request("porn.example", "/", device), chosen, s, NOW)
    assert d.blocked and d.reason is Reason.CATEGORY_BLOCKED


def test_parent_allow_beats_lists_but_not_illegal(index) -> None:
    p = profile(rules=(Rule(Action.ALLOW, "porn.example"), Rule(Action.ALLOW, "csam.example")))
    s = snap(index, p)
    kid = s.profiles["Kid"]
    d = decide(Request("www.porn.example", "/"), kid, s, NOW)
    assert (d.action, d.reason, d.source) == (
        Action.ALLOW,
        Reason.PARENT_ALLOWED,
        "allow rule: porn.example",
    )
    assert decide(Request("csam.example", "/"), kid, s, NOW).reason is Reason.ILLEGAL_CONTENT


def test_parent_deny_blocks_listed_news_and_unknown_sites(index) -> None:
    p = profile(rules=(Rule(Action.BLOCK, "paper.example"), Rule(Action.BLOCK, "games.example")))
    s = snap(index, p)
    kid = s.profiles["Kid"]
    for host in ("paper.example", "www.games.example"):
        d = decide(Request(host, "/"), kid, s, NOW)
        assert (d.action, d.reason) == (Action.BLOCK, Reason.PARENT_DENIED)
    assert not decide(Request("notgames.example", "/"), kid, s, NOW).blocked


def test_expired_rules_are_ignored(index) -> None:
    p = profile(rules=(Rule(Action.ALLOW, "porn.example", expires_at=NOW - timedelta(minutes=1)),))
    assert decide(Request("porn.example", "/"), p, snap(index, p), NOW).blocked
    p = profile(rules=(Rule(Action.ALLOW, "porn.example", expires_at=NOW + timedelta(minutes=1)),))
    assert not decide(Request("porn.example", "/"), p, snap(index, p), NOW).blocked


def test_pause_and_schedule_block_everything_but_parent_allows(index) -> None:
    bedtime = Schedule(frozenset({3}), time(14, 0), time(16, 0), "homework")
    p = profile(schedules=(bedtime,), rules=(Rule(Action.ALLOW, "paper.example"),))
    s = snap(index, p)
    kid = s.profiles["Kid"]
    d = decide(Request("wiki.example", "/"), kid, s, NOW)
    assert (d.action, d.reason, d.source) == (Action.BLOCK, Reason.SCHEDULE, "schedule: homework")
    assert not decide(Request("paper.example", "/"), kid, s, NOW).blocked
    assert not decide(Request("wiki.example", "/"), kid, s, NOW + timedelta(hours=2)).blocked

    paused = Device("tablet", "Kid", paused_until=NOW + timedelta(minutes=30))
    d = decide(Request("wiki.example", "/", paused), profile(), snap(index), NOW)
    assert d.reason is Reason.PAUSED
    assert not decide(
        Request("wiki.example", "/", paused), profile(), snap(index), NOW + timedelta(hours=1)
    ).blocked


def test_url_model_only_for_unlisted_hosts_above_threshold(index) -> None:
    model = StubUrlModel(
        {
            "freecasino.example": ("gambling", 0.95),
            "maybecasino.example": ("gambling", 0.5),
            "porn.example": ("benign", 0.99),
            "clinic.example": ("health", 0.99),
            "chatty.example": ("chat", 0.99),
        }
    )
    s = snap(index, profile(url_threshold=0.8), model=model)
    kid = s.profiles["Kid"]
    d = decide(Request("freecasino.example", "/"), kid, s, NOW)
    assert (d.action, d.reason, d.category, d.source) == (
        Action.BLOCK,
        Reason.MODEL_BLOCKED,
        "gambling",
        "url model",
    )
    assert d.score == pytest.approx(0.95)
    assert not decide(Request("maybecasino.example", "/"), kid, s, NOW).blocked
    # the list decides for listed hosts even when the model disagrees
    assert decide(Request("porn.example", "/"), kid, s, NOW).reason is Reason.CATEGORY_BLOCKED
    assert not decide(Request("clinic.example", "/"), kid, s, NOW).blocked  # protected
    assert not decide(Request("chatty.example", "/"), kid, s, NOW).blocked  # not blocked by child
    assert not decide(Request("127.0.0.1", "/"), kid, s, NOW).blocked  # never for addresses


def test_schedule_wraps_past_midnight() -> None:
    night = Schedule(frozenset({5}), time(21, 0), time(7, 0))  # Friday night
    friday_late = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
    saturday_early = datetime(2026, 11, 21, 6, 59, tzinfo=UTC)
    saturday_late = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
    friday_evening = datetime(2026, 11, 20, 20, 59, tzinfo=UTC)
    assert night.contains(friday_late) and night.contains(saturday_early)
    assert not night.contains(saturday_late) and not night.contains(friday_evening)


def test_a_rule_matches_its_domain_and_subdomains_only() -> None:
    assert domain_matches("www.example.com", "example.com")
    assert not domain_matches("badexample.com", "example.com")


def test_decide_page_uses_the_profile_strictness_and_never_blocks_protected() -> None:
    from policy.decide import decide_page

    child = profile(page_threshold=0.7)
    blocked = decide_page(child, "adult", 0.91, "porn, xxx")
    assert blocked is not None
    assert (blocked.action, blocked.reason, blocked.category, blocked.source) == (
        Action.BLOCK,
        Reason.CONTENT_BLOCKED,
        "adult",
        "page model: porn, xxx",
    )
    assert decide_page(child, "adult", 0.69) is None
    assert decide_page(child, "benign", 0.99) is None
    assert decide_page(child, "sex_education", 0.99) is None
    assert decide_page(profile("Grown", "adult"), "gambling", 0.99) is None


@pytest.mark.parametrize(
    "host",
    [
        "begambleaware.org",
        "gayteenhelp.org",
        "quitgambling.example",
        "drug-addiction-recovery.example",
    ],
)
def test_the_url_model_never_blocks_hosts_named_for_help(index, host) -> None:
    model = StubUrlModel({host: ("gambling", 0.99)})
    d = decide(Request(host, "/"), profile(), snap(index, profile(), model=model), NOW)
    assert not d.blocked
