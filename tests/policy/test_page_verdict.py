"""The content scan's chain on a page: the page model first, then the household's phrase
lists against the preset's naughtiness limit; pure, with no proxy involved."""

from __future__ import annotations

import pytest

from policy.decide import decide_page_verdict
from policy.phraselists import PHRASE_LIMITS
from policy.presets import preset
from policy.values import Action, Profile, Reason


def profile(preset_name: str = "child", **kw: object) -> Profile:
    p = preset(preset_name)
    base: dict[str, object] = dict(
        name="Kid", preset=p.name, blocked=p.blocked, url_threshold=p.url_threshold
    )
    base.update(kw)
    return Profile(**base)  # type: ignore[arg-type]


def test_the_page_model_wins_when_both_would_block() -> None:
    decision = decide_page_verdict(
        profile(page_threshold=0.7),
        "adult",
        0.9,
        "porn, xxx",
        phrase_category="gambling",
        phrase_total=900,
    )
    assert decision is not None
    assert (decision.action, decision.reason, decision.category, decision.source) == (
        Action.BLOCK,
        Reason.CONTENT_BLOCKED,
        "adult",
        "page model: porn, xxx",
    )
    assert decision.score == 0.9


def test_the_phrase_lists_decide_when_the_page_model_lets_the_page_pass() -> None:
    child = profile(page_threshold=0.7)
    over = PHRASE_LIMITS["child"] + 1
    for category, score in (("adult", 0.5), ("benign", 0.99)):  # under strictness, or benign
        decision = decide_page_verdict(
            child, category, score, phrase_category="adult", phrase_total=over
        )
        assert decision is not None
        assert (decision.reason, decision.category, decision.source) == (
            Reason.CONTENT_BLOCKED,
            "adult",
            f"phrase list: {over} over {PHRASE_LIMITS['child']}",
        )


@pytest.mark.parametrize(
    ("preset_name", "total", "blocked"),
    [("young", 51, True), ("child", 51, False), ("child", 101, True), ("teen", 101, False)],
)
def test_the_naughtiness_limit_follows_the_preset(
    preset_name: str, total: int, blocked: bool
) -> None:
    decision = decide_page_verdict(
        profile(preset_name), "benign", 1.0, phrase_category="adult", phrase_total=total
    )
    assert (decision is not None) is blocked


def test_neither_signal_blocks_an_ordinary_or_protected_page() -> None:
    child = profile(page_threshold=0.7)
    assert decide_page_verdict(child, "benign", 1.0) is None
    assert (
        decide_page_verdict(child, "adult", 0.69, phrase_category="adult", phrase_total=100) is None
    )
    # protected topics never blocked by either signal, however strong
    assert (
        decide_page_verdict(
            child, "sex_education", 0.99, phrase_category="sex_education", phrase_total=10_000
        )
        is None
    )
    # a category the profile does not block
    grown = profile("adult")
    assert (
        decide_page_verdict(grown, "gambling", 0.99, phrase_category="gambling", phrase_total=999)
        is None
    )
