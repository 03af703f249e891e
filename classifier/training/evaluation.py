"""Honest evaluation helpers shared by every model: leave-one-source-out splits,
calibration (Platt scaling, reliability curves) and thresholds chosen at a false-alarm rate.

Numpy only, so the helpers are cheap to test on small synthetic inputs. A "source" is where
an item came from (a corpus, a list, a platform); a random split within one source is not an
estimate of how a model does on data from elsewhere, a left-out source is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "apply_platt",
    "binary_figures",
    "expected_calibration_error",
    "fit_platt",
    "leave_one_source_out",
    "markdown_table",
    "rates_at_threshold",
    "reliability_curve",
    "roc_auc",
    "threshold_at_false_alarm_rate",
]


def leave_one_source_out(
    sources: Sequence[str],
) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """For every distinct source (sorted), ``(source, train_indexes, test_indexes)``: the test
    indexes are exactly the items of that source, the train indexes all the others.

    Raises ``ValueError`` when there are fewer than two sources (nothing to leave out)."""
    names = np.asarray([str(s) for s in sources])
    distinct = sorted(set(names.tolist()))
    if len(distinct) < 2:
        raise ValueError(f"leave-one-source-out needs at least two sources, got {distinct}")
    for name in distinct:
        mask = names == name
        yield name, np.flatnonzero(~mask), np.flatnonzero(mask)


def _arrays(
    labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError(f"labels {y.shape} and scores {s.shape} must be two equal 1-D arrays")
    if y.size and not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    return y, s


def roc_auc(
    labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray
) -> float | None:
    """Area under the ROC curve (ties count half); ``None`` when only one class is present."""
    y, s = _arrays(labels, scores)
    positives = int(y.sum())
    negatives = int(y.size - positives)
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(s.size, dtype=np.float64)
    sorted_scores = s[order]
    # Average ranks over ties.
    boundaries = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1], True])
    for start, end in zip(boundaries[:-1], boundaries[1:], strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    rank_sum = float(ranks[y == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def rates_at_threshold(
    labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, threshold: float
) -> dict[str, float | int | None]:
    """What flagging ``score >= threshold`` does: ``caught`` (share of positives flagged),
    ``false_alarms`` (share of negatives flagged), ``precision`` (None when nothing is
    flagged) and the counts behind them."""
    y, s = _arrays(labels, scores)
    flagged = s >= threshold
    pos = y == 1
    tp = int((flagged & pos).sum())
    fp = int((flagged & ~pos).sum())
    return {
        "positives": int(pos.sum()),
        "negatives": int((~pos).sum()),
        "caught": round(tp / int(pos.sum()), 4) if pos.any() else None,
        "false_alarms": round(fp / int((~pos).sum()), 4) if (~pos).any() else None,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
    }


def threshold_at_false_alarm_rate(
    negative_scores: Sequence[float] | np.ndarray, rate: float
) -> float:
    """The lowest threshold ``t`` such that at most ``rate`` of ``negative_scores`` are
    ``>= t``. With no negatives, or a rate of 1, any score passes (``-inf``); ``rate`` 0 gives
    a threshold just above the highest negative."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be within [0, 1], got {rate}")
    s = np.sort(np.asarray(negative_scores, dtype=np.float64))[::-1]
    allowed = int(np.floor(rate * s.size + 1e-9))
    if s.size == 0 or allowed >= s.size:
        return float("-inf")
    # Everything strictly above s[allowed] may be flagged; s[allowed] itself may not.
    return float(np.nextafter(s[allowed], np.inf))


def binary_figures(
    labels: Sequence[int] | np.ndarray,
    scores: Sequence[float] | np.ndarray,
    thresholds: Sequence[float],
) -> dict[str, Any]:
    """ROC AUC and ``rates_at_threshold`` at each threshold (keys formatted ``"0.70"``)."""
    auc = roc_auc(labels, scores)
    return {
        "items": int(len(labels)),
        "roc_auc": None if auc is None else round(auc, 4),
        "thresholds": {f"{t:.2f}": rates_at_threshold(labels, scores, t) for t in thresholds},
    }


def fit_platt(
    scores: Sequence[float] | np.ndarray,
    labels: Sequence[int] | np.ndarray,
    *,
    weights: Sequence[float] | np.ndarray | None = None,
    iterations: int = 200,
) -> tuple[float, float]:
    """Platt scaling: ``(a, b)`` such that ``1 / (1 + exp(-(a * score + b)))`` is the
    calibrated probability, fitted by Newton's method on the (weighted) log loss with
    Platt's smoothed targets. Raises ``ValueError`` unless both classes are present."""
    y, s = _arrays(labels, scores)
    w = np.ones_like(s) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != s.shape:
        raise ValueError("weights must match scores")
    pos_weight, neg_weight = float(w[y == 1].sum()), float(w[y == 0].sum())
    if pos_weight <= 0 or neg_weight <= 0:
        raise ValueError("Platt scaling needs positive and negative examples")
    target = np.where(y == 1, (pos_weight + 1) / (pos_weight + 2), 1 / (neg_weight + 2))
    a, b = 0.0, float(np.log((neg_weight + 1) / (pos_weight + 1)) * -1.0)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(a * s + b)))
        g = w * (p - target)
        h = w * p * (1 - p) + 1e-12
        grad = np.array([float((g * s).sum()), float(g.sum())])
        hess = np.array(
            [
                [float((h * s * s).sum()), float((h * s).sum())],
                [float((h * s).sum()), float(h.sum())],
            ]
        )
        hess += np.eye(2) * 1e-9
        step = np.linalg.solve(hess, grad)
        before = _platt_loss(s, target, w, a, b)
        scale = 1.0
        while (
            scale > 1e-6
            and _platt_loss(s, target, w, a - scale * step[0], b - scale * step[1]) > before
        ):
            scale /= 2  # backtrack: a full Newton step may overshoot on near-separable data
        a, b = a - scale * float(step[0]), b - scale * float(step[1])
        if np.abs(scale * step).max() < 1e-10:
            break
    return a, b


def _platt_loss(s: np.ndarray, target: np.ndarray, w: np.ndarray, a: float, b: float) -> float:
    z = a * s + b
    # log(1 + exp(z)) - target * z, computed stably.
    return float((w * (np.logaddexp(0.0, z) - target * z)).sum())


def apply_platt(scores: Sequence[float] | np.ndarray, params: tuple[float, float]) -> np.ndarray:
    """Calibrated probabilities for ``scores`` under Platt parameters ``(a, b)``."""
    a, b = params
    z = a * np.asarray(scores, dtype=np.float64) + b
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def reliability_curve(
    labels: Sequence[int] | np.ndarray,
    probabilities: Sequence[float] | np.ndarray,
    bins: int = 10,
) -> list[dict[str, float | int]]:
    """The reliability curve: for each of ``bins`` equal-width probability bins that holds
    items, ``{"low", "high", "items", "mean_predicted", "observed"}`` (observed = share of
    positives). A calibrated model has ``observed`` close to ``mean_predicted``."""
    y, p = _arrays(labels, probabilities)
    if bins < 1:
        raise ValueError("bins must be at least 1")
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    curve: list[dict[str, float | int]] = []
    for i in range(bins):
        mask = which == i
        if not mask.any():
            continue
        curve.append(
            {
                "low": round(float(edges[i]), 4),
                "high": round(float(edges[i + 1]), 4),
                "items": int(mask.sum()),
                "mean_predicted": round(float(p[mask].mean()), 4),
                "observed": round(float(y[mask].mean()), 4),
            }
        )
    return curve


def expected_calibration_error(
    labels: Sequence[int] | np.ndarray,
    probabilities: Sequence[float] | np.ndarray,
    bins: int = 10,
) -> float:
    """The item-weighted mean gap between predicted and observed rates over the bins of
    ``reliability_curve`` (0 for a perfectly calibrated model)."""
    curve = reliability_curve(labels, probabilities, bins)
    total = sum(int(row["items"]) for row in curve)
    if total == 0:
        return 0.0
    gap = sum(
        int(row["items"]) * abs(float(row["mean_predicted"]) - float(row["observed"]))
        for row in curve
    )
    return round(gap / total, 4)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (for reports and notes); floats in [0, 1] print as percentages."""

    def cell(value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, float):
            return f"{value:.1%}" if 0.0 <= value <= 1.0 else f"{value:.3g}"
        return str(value)

    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(cell(v) for v in row) + " |" for row in rows),
    ]
    return "\n".join(lines)
