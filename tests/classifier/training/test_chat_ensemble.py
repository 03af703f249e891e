"""The chat model combined with alt-profanity-check: the two combinations, the weight chosen
on pooled scores and the ship rule, on small synthetic inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier.training.chat_ensemble import (
    SHIP_MARGIN,
    choose_weight,
    combine_logits,
    combine_ranks,
    compare_combinations,
    main,
    ship_verdict,
)
from classifier.training.evaluation import roc_auc


def test_logit_mean_is_each_scorer_at_the_ends_and_between_them_inside() -> None:
    ours, theirs = np.array([0.9, 0.2]), np.array([0.3, 0.6])
    assert combine_logits(ours, theirs, 1.0) == pytest.approx(ours)
    assert combine_logits(ours, theirs, 0.0) == pytest.approx(theirs)
    half = combine_logits(ours, theirs, 0.5)
    # logit(0.9) = 2.197, logit(0.3) = -0.847: mean 0.675 -> 0.6626
    assert half[0] == pytest.approx(1 / (1 + np.exp(-0.5 * (np.log(9) + np.log(3 / 7)))))
    assert 0.2 < half[1] < 0.6
    # a scorer certain of 0 or 1 is clipped, never an infinite logit
    assert np.isfinite(combine_logits(np.array([0.0, 1.0]), np.array([1.0, 0.0]), 0.5)).all()


def test_rank_mean_uses_the_reference_distribution_not_the_scored_rows() -> None:
    reference = np.arange(10) / 10  # 0.0 .. 0.9
    # 0.45 lies above 5 of 10 reference scores; 0.3 ties one and lies above 3: 3.5 / 10
    got = combine_ranks(np.array([0.45]), np.array([0.3]), 0.5, reference, reference)
    assert got[0] == pytest.approx(0.5 * 0.5 + 0.5 * 0.35)
    # the same message gets the same score whatever else is scored with it
    alone = combine_ranks(np.array([0.45]), np.array([0.3]), 0.5, reference, reference)
    many = combine_ranks(np.array([0.45, 0.99]), np.array([0.3, 0.0]), 0.5, reference, reference)
    assert many[0] == alone[0]
    with pytest.raises(ValueError):
        combine_ranks(np.array([0.1]), np.array([0.1]), 0.5, np.empty(0), reference)


def test_weight_is_chosen_on_the_pooled_rows_only() -> None:
    rng = np.random.default_rng(3)
    labels = np.r_[np.zeros(200, dtype=np.int64), np.ones(200, dtype=np.int64)]
    good = labels + rng.normal(0, 0.5, 400)  # informative
    noise = rng.normal(0, 1, 400)  # uninformative
    pool = np.ones(400, dtype=bool)
    w, aucs = choose_weight(labels, lambda w: w * good + (1 - w) * noise, pool)
    assert w == max(aucs)  # the most weight on the informative scorer wins
    assert aucs[w] == pytest.approx(roc_auc(labels, w * good + (1 - w) * noise), abs=1e-5)
    # rows outside the pool do not count: there the other scorer is the informative one
    outside = np.arange(400) % 4 != 0  # three rows in four
    a = np.where(outside, noise, good)
    b = np.where(outside, good * 3, noise)
    w_pool, _ = choose_weight(labels, lambda w: w * a + (1 - w) * b, ~outside)
    w_all, _ = choose_weight(labels, lambda w: w * a + (1 - w) * b, pool)
    assert w_pool == 0.7
    assert w_all < 0.5


def _report(by_source: dict[str, float]) -> dict[str, object]:
    unseen = [v for s, v in by_source.items() if s != "davidson"]
    return {
        "by_source": {s: {"roc_auc": v} for s, v in by_source.items()},
        "mean_over_baseline_unseen_sources": {"roc_auc": float(np.mean(unseen))},
    }


def test_ship_rule_needs_the_margin_and_no_source_much_worse() -> None:
    ours = _report({"davidson": 0.85, "a": 0.70, "b": 0.70})
    gain = _report({"davidson": 0.85, "a": 0.70 + 2 * SHIP_MARGIN + 0.01, "b": 0.70})
    assert ship_verdict(ours, gain)["ships"]
    small = _report({"davidson": 0.85, "a": 0.71, "b": 0.71})  # +0.01 mean
    assert not ship_verdict(ours, small)["ships"]
    # a big mean gain that costs one source (the baseline's own one counts too) 0.02
    costly = _report({"davidson": 0.83, "a": 0.80, "b": 0.80})
    verdict = ship_verdict(ours, costly)
    assert verdict["largest_drop_of_a_source"] == pytest.approx(0.02)
    assert not verdict["ships"]


def test_comparison_reports_every_design_and_source() -> None:
    rng = np.random.default_rng(5)
    sources = np.repeat(["davidson", "cyberbullying", "hatexplain", "conda_dota2_game_chat"], 100)
    labels = np.tile(np.r_[np.zeros(50), np.ones(50)].astype(np.int64), 4)
    ours = 1 / (1 + np.exp(-(labels + rng.normal(0, 1, 400))))
    theirs = 1 / (1 + np.exp(-(labels + rng.normal(0, 1, 400))))
    results = compare_combinations(
        {
            "ours": ours,
            "theirs": theirs,
            "labels": labels,
            "sources": sources,
            "kinds": np.where(labels == 1, "abuse", "ok"),
        }
    )
    designs = results["designs"]
    assert list(designs)[:2] == ["chat model", "alt-profanity-check"]
    combined = [name for name in designs if name.startswith("mean of")]
    assert len(combined) == 2
    for name in combined:
        assert 0.3 <= designs[name]["weight_of_chat_model"] <= 0.7
        assert set(designs[name]["by_source"]) == set(sources.tolist())
    # the weight is never chosen on davidson (the baseline trained on it) or on game chat
    assert "davidson" not in results["weight_rule"]
    assert "conda" not in results["weight_rule"]
    # two independent noisy scorers average to a better one
    logits = next(n for n in combined if n.startswith("mean of logits"))
    assert (
        designs[logits]["mean_over_baseline_unseen_sources"]["roc_auc"]
        > designs["chat model"]["mean_over_baseline_unseen_sources"]["roc_auc"]
    )


def test_bad_data_dir_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "missing"), "--cache", str(tmp_path / "c")]) == 2
    assert "error" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()
