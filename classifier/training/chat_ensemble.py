"""Would the chat model combined with alt-profanity-check generalise better? Measured in one run.

    python -m classifier.training.chat_ensemble [DATA_DIR] [--cache DIR] [--json FILE]

The shipped chat design's left-out scores (each training source scored by a model trained on
the others, the evaluation-only sources by the model trained on all of them: exactly what
``python -m classifier.training --only chat`` measures) and alt-profanity-check's scores of
the same messages (run in its own interpreter, ``baseline_scores``) are combined two ways:

- the weighted mean of their logits, ``w * logit(ours) + (1 - w) * logit(apc)``;
- the weighted mean of their ranks, each score replaced by its share of the pooled reference
  scores below it (the empirical distribution of that scorer's left-out scores over the
  training sources), which a model file could hold as a table.

The weight ``w`` (of our model, 0.3 to 0.7) is chosen once, on the pooled left-out scores of
the training sources neither model was trained on (``BASELINE_SEEN`` are out: alt-profanity-
check's scores there are not left-out scores), for the highest pooled ROC AUC; never per
source. Every design is then measured by ``evaluate_scores`` like the chat model itself.

A combination is worth shipping (``SHIP_RULE``) only when its mean ROC AUC over the sources
neither model trained on beats our model's by at least ``SHIP_MARGIN`` and no source's ROC AUC
is lower than ours by more than ``SHIP_WORST_DROP``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.training.chat import DEFAULT_APC_PYTHON, SHIPPED_CONFIG
from classifier.training.chat_data import BASELINE_SEEN, TRAIN_SOURCES, ChatItem
from classifier.training.chat_evaluation import baseline_scores, evaluate_chat, evaluate_scores
from classifier.training.evaluation import roc_auc
from classifier.training.splits import DEFAULT_DATA_DIR

__all__ = [
    "SHIP_MARGIN",
    "SHIP_WORST_DROP",
    "WEIGHTS",
    "choose_weight",
    "combine_logits",
    "combine_ranks",
    "compare_combinations",
    "ship_verdict",
]

#: Weights of our model tried (the rest is alt-profanity-check's).
WEIGHTS = tuple(round(w, 2) for w in np.arange(0.30, 0.7001, 0.05))
SHIP_MARGIN = 0.02
SHIP_WORST_DROP = 0.01
_EPS = 1e-7


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(q) - np.log1p(-q)


def combine_logits(ours: np.ndarray, theirs: np.ndarray, w: float) -> np.ndarray:
    """``w * logit(ours) + (1 - w) * logit(theirs)`` (probabilities clipped to 1e-7 from 0
    and 1), as a probability."""
    z = w * _logit(ours) + (1.0 - w) * _logit(theirs)
    return 1.0 / (1.0 + np.exp(-z))


def _ecdf(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    ref = np.sort(np.asarray(reference, dtype=np.float64))
    below = np.searchsorted(ref, values, side="left")
    equal = np.searchsorted(ref, values, side="right") - below
    return (below + 0.5 * equal) / ref.size


def combine_ranks(
    ours: np.ndarray,
    theirs: np.ndarray,
    w: float,
    ours_reference: np.ndarray,
    theirs_reference: np.ndarray,
) -> np.ndarray:
    """``w * F(ours) + (1 - w) * G(theirs)``, where ``F`` and ``G`` are the empirical
    distribution functions of the reference scores (ties count half). Raises ``ValueError``
    on an empty reference."""
    if not np.asarray(ours_reference).size or not np.asarray(theirs_reference).size:
        raise ValueError("a rank combination needs reference scores")
    return w * _ecdf(ours_reference, ours) + (1.0 - w) * _ecdf(theirs_reference, theirs)


def choose_weight(
    labels: np.ndarray,
    combine: Callable[[float], np.ndarray],
    pool: np.ndarray,
    weights: Sequence[float] = WEIGHTS,
) -> tuple[float, dict[float, float]]:
    """The weight in ``weights`` whose combined scores have the highest ROC AUC over the
    rows ``pool`` (a boolean mask) taken together (the lowest weight on ties), and every
    weight's pooled ROC AUC."""
    aucs: dict[float, float] = {}
    for w in weights:
        auc = roc_auc(labels[pool], combine(w)[pool])
        aucs[float(w)] = -1.0 if auc is None else round(float(auc), 5)
    best = max(aucs, key=lambda w: (aucs[w], -w))
    return best, aucs


def ship_verdict(ours: dict[str, Any], combined: dict[str, Any]) -> dict[str, Any]:
    """Whether ``combined`` (an ``evaluate_scores`` report) beats ``ours`` by the margin the
    ship rule asks: mean ROC AUC over the sources neither model trained on at least
    ``SHIP_MARGIN`` higher, and no source lower by more than ``SHIP_WORST_DROP``."""
    gain = (
        combined["mean_over_baseline_unseen_sources"]["roc_auc"]
        - ours["mean_over_baseline_unseen_sources"]["roc_auc"]
    )
    drops = {
        s: round(row["roc_auc"] - combined["by_source"][s]["roc_auc"], 4)
        for s, row in ours["by_source"].items()
        if row.get("roc_auc") is not None and combined["by_source"].get(s, {}).get("roc_auc")
    }
    worst = max(drops.values()) if drops else 0.0
    return {
        "gain_mean_roc_auc_neither_trained": round(gain, 4),
        "largest_drop_of_a_source": round(worst, 4),
        "ships": bool(gain >= SHIP_MARGIN and worst <= SHIP_WORST_DROP),
    }


def _scores(data_dir: Path, cache: Path | None, apc_python: Path, log: Any) -> dict[str, Any]:
    if cache is not None and (cache / "ensemble_scores.npz").is_file():
        saved = np.load(cache / "ensemble_scores.npz")
        log(f"scores read from {cache / 'ensemble_scores.npz'}")
        return {k: saved[k] for k in saved.files}
    report, _shipped, _features, _train = evaluate_chat(
        data_dir, SHIPPED_CONFIG, apc_python=None, log=log
    )
    items = report["_items"]
    texts = [i.text for i in items]
    theirs = baseline_scores(texts, apc_python)
    if theirs is None:
        raise FileNotFoundError(f"no python with alt-profanity-check at {apc_python}")
    found = {
        "ours": np.asarray(report["_scores"], dtype=np.float64),
        "theirs": theirs,
        "labels": np.array([i.label for i in items], dtype=np.int64),
        "sources": np.array([i.source for i in items]),
        "kinds": np.array([i.kind for i in items]),
    }
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache / "ensemble_scores.npz", allow_pickle=False, **found)
    return found


def compare_combinations(scores: dict[str, Any]) -> dict[str, Any]:
    """Per-source figures of our model, alt-profanity-check and their combinations (weight
    chosen on the pooled left-out scores of the training sources neither trained on), with
    the ship verdict of each combination."""
    ours, theirs = scores["ours"], scores["theirs"]
    labels, sources = scores["labels"], scores["sources"]
    items = [
        ChatItem("", int(y), str(s), 1.0, str(k), "")
        for s, y, k in zip(sources, labels, scores["kinds"], strict=True)
    ]
    tuning = [s for s in TRAIN_SOURCES if (sources == s).any()]
    training = np.isin(sources, tuning)
    pool = training & ~np.isin(sources, list(BASELINE_SEEN))
    pooled = ", ".join(sorted(set(sources[pool].tolist())))
    results: dict[str, Any] = {
        "weight_rule": "weight of our model chosen in "
        f"{WEIGHTS[0]}..{WEIGHTS[-1]} for the highest ROC AUC over the pooled left-out scores "
        f"of the training sources neither model trained on ({pooled})",
        "ship_rule": f"mean ROC AUC where neither trained at least {SHIP_MARGIN} above ours, "
        f"no source more than {SHIP_WORST_DROP} below",
        "designs": {},
    }
    designs = results["designs"]
    designs["chat model"] = evaluate_scores(items, ours, tuning)
    designs["alt-profanity-check"] = evaluate_scores(items, theirs, tuning)
    ref_ours, ref_theirs = ours[training], theirs[training]
    makers: dict[str, Callable[[float], np.ndarray]] = {
        "mean of logits": lambda w: combine_logits(ours, theirs, w),
        "mean of ranks": lambda w: combine_ranks(ours, theirs, w, ref_ours, ref_theirs),
    }
    for name, make in makers.items():
        w, aucs = choose_weight(labels, make, pool)
        report = evaluate_scores(items, make(w), tuning)
        report["weight_of_chat_model"] = w
        report["pooled_roc_auc_by_weight"] = aucs
        report["ship"] = ship_verdict(designs["chat model"], report)
        designs[f"{name} (w={w})"] = report
    return results


def markdown(results: dict[str, Any]) -> str:
    """Per-source ROC AUC and recall at each source's own 10 % false alarms, as a table."""
    designs = results["designs"]
    first = next(iter(designs.values()))
    sources = list(first["by_source"])
    header = ["left out", *designs]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    key = "recall_at_10pct_false_alarms_own_threshold"
    for source in sources:
        cells = [source]
        for report in designs.values():
            row = report["by_source"][source]
            cells.append(f"{row['roc_auc']:.3f}, {row[key]:.0%}" if row[key] is not None else "—")
        lines.append("| " + " | ".join(cells) + " |")
    cells = ["**mean where neither trained**"]
    for report in designs.values():
        mean = report["mean_over_baseline_unseen_sources"]
        cells.append(f"**{mean['roc_auc']:.3f}**, {mean[key]:.0%}")
    lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the comparison (and write it as JSON with ``--json``)."""
    parser = argparse.ArgumentParser(prog="python -m classifier.training.chat_ensemble")
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--cache", type=Path, default=None, help="keep the scores here")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--apc-python", type=Path, default=DEFAULT_APC_PYTHON)
    args = parser.parse_args(argv)
    if not (args.data_dir / "text").is_dir():
        print(f"error: no {args.data_dir}/text", file=sys.stderr)
        return 2
    if not args.apc_python.is_file():
        print(f"error: no python with alt-profanity-check at {args.apc_python}", file=sys.stderr)
        return 2
    results = compare_combinations(_scores(args.data_dir, args.cache, args.apc_python, print))
    print(markdown(results))
    for name, report in results["designs"].items():
        if "ship" in report:
            print(f"{name}: {json.dumps(report['ship'])}")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
