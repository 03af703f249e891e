"""Leave-one-source-out splits, calibration and thresholds, on small synthetic inputs."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.training.evaluation import (
    apply_platt,
    binary_figures,
    expected_calibration_error,
    fit_platt,
    leave_one_source_out,
    markdown_table,
    rates_at_threshold,
    reliability_curve,
    roc_auc,
    threshold_at_false_alarm_rate,
)


def test_each_source_is_left_out_exactly_once_and_never_trained_on() -> None:
    sources = ["b", "a", "c", "a", "b", "b"]
    folds = list(leave_one_source_out(sources))
    assert [name for name, _, _ in folds] == ["a", "b", "c"]
    for name, train, test in folds:
        assert sorted(train.tolist() + test.tolist()) == list(range(len(sources)))
        assert {sources[i] for i in test} == {name}
        assert name not in {sources[i] for i in train}


def test_one_source_cannot_be_left_out() -> None:
    with pytest.raises(ValueError, match="at least two sources"):
        list(leave_one_source_out(["only", "only"]))


def test_roc_auc_orders_and_ties() -> None:
    assert roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]) == 0.0
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert roc_auc([1, 1], [0.1, 0.2]) is None


def test_rates_at_threshold_counts_flags() -> None:
    rates = rates_at_threshold([1, 1, 1, 0, 0, 0, 0], [0.9, 0.7, 0.2, 0.8, 0.1, 0.1, 0.0], 0.5)
    assert rates["caught"] == round(2 / 3, 4)
    assert rates["false_alarms"] == 0.25
    assert rates["precision"] == round(2 / 3, 4)
    nothing = rates_at_threshold([1, 0], [0.1, 0.2], 0.9)
    assert nothing["precision"] is None and nothing["caught"] == 0.0


def test_threshold_at_false_alarm_rate_keeps_the_rate() -> None:
    rng = np.random.default_rng(7)
    negatives = rng.random(1000)
    for rate in (0.0, 0.01, 0.1, 0.5):
        t = threshold_at_false_alarm_rate(negatives, rate)
        assert (negatives >= t).mean() <= rate
        # and it is the lowest such threshold: one more negative would break the rate
        below = negatives[negatives < t].max()
        assert (negatives >= below).mean() > rate
    assert threshold_at_false_alarm_rate([], 0.01) == float("-inf")
    ties = threshold_at_false_alarm_rate([0.5, 0.5, 0.5, 0.1], 0.5)
    assert ties > 0.5  # two of three tied scores may not pass: none of them does
    with pytest.raises(ValueError):
        threshold_at_false_alarm_rate([0.1], 1.5)


def test_platt_scaling_recovers_a_known_calibration() -> None:
    rng = np.random.default_rng(3)
    scores = rng.normal(0.0, 2.0, 20000)
    true_p = 1 / (1 + np.exp(-(0.5 * scores - 1.0)))
    labels = (rng.random(scores.size) < true_p).astype(int)
    a, b = fit_platt(scores, labels)
    assert a == pytest.approx(0.5, abs=0.05)
    assert b == pytest.approx(-1.0, abs=0.08)
    calibrated = apply_platt(scores, (a, b))
    assert expected_calibration_error(labels, calibrated) < 0.02
    # the raw scores squashed with a wrong slope are badly calibrated
    assert expected_calibration_error(labels, 1 / (1 + np.exp(-3 * scores))) > 0.1


def test_platt_scaling_survives_separable_data_and_needs_both_classes() -> None:
    a, b = fit_platt([-3, -2, -1, 1, 2, 3], [0, 0, 0, 1, 1, 1])
    p = apply_platt([-3, 3], (a, b))
    assert p[0] < 0.5 < p[1] and np.isfinite([a, b]).all()
    with pytest.raises(ValueError):
        fit_platt([1, 2], [1, 1])


def test_reliability_curve_bins_and_observed_rates() -> None:
    curve = reliability_curve([0, 0, 1, 1, 1], [0.05, 0.15, 0.95, 0.92, 1.0], bins=10)
    assert [row["items"] for row in curve] == [1, 1, 3]
    assert curve[-1]["observed"] == 1.0 and curve[0]["observed"] == 0.0
    assert curve[-1]["low"] == 0.9 and curve[-1]["high"] == 1.0


def test_binary_figures_and_table() -> None:
    figures = binary_figures([0, 1, 1], [0.2, 0.6, 0.9], (0.5, 0.8))
    assert figures["roc_auc"] == 1.0
    assert figures["thresholds"]["0.80"]["caught"] == 0.5
    table = markdown_table(["source", "blocked"], [["recipes", 0.0123], ["x", None]])
    assert "| recipes | 1.2% |" in table and "| x | — |" in table
