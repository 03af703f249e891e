"""The chat model measured leave-one-source-out, against alt-profanity-check.

Every source in ``chat_data.TRAIN_SOURCES`` is left out in turn: a model is trained on all the
others (and the hand-written lines) and scores the one left out, so each figure is a model's
judgement of a platform it has never seen. The shipped threshold is chosen on those left-out
scores alone, for at most ``FALSE_ALARM_RATE`` of ok messages flagged (sources weighing the
same), and the evaluation-only sources (CONDA game chat, the Jigsaw sample) are scored by the
shipped model, which never saw them. alt-profanity-check runs in its own interpreter
(``baseline_scores``); it is never a dependency.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from classifier.models.chat import CHAT_MAX_CHARS
from classifier.training.chat import (
    DEFAULT_APC_PYTHON,
    FALSE_ALARM_RATE,
    ChatConfig,
    ChatFeatures,
    FittedChat,
    featurise,
    fit_chat,
    score_chat,
)
from classifier.training.chat_data import (
    BASELINE_SEEN,
    CHAT_CORPUS_DIR,
    EVALUATION_SOURCES,
    HAND_WRITTEN,
    LABEL_MAPPING,
    TRAIN_SOURCES,
    ChatItem,
    read_chat_corpus,
)
from classifier.training.evaluation import (
    leave_one_source_out,
    rates_at_threshold,
    roc_auc,
    threshold_at_false_alarm_rate,
)

__all__ = [
    "baseline_scores",
    "baseline_unseen_mean",
    "beats_baseline",
    "evaluate_chat",
    "evaluate_scores",
    "macro_false_alarm_threshold",
]


def macro_false_alarm_threshold(
    negative_scores_by_source: dict[str, np.ndarray], rate: float
) -> float:
    """The lowest negative score that, as a threshold, keeps the mean over sources of the
    share of each source's negatives scoring ``>=`` it at most ``rate`` (every source weighs
    the same, whatever its size); just above the highest score when none does. Raises
    ``ValueError`` without negatives."""
    groups = [np.sort(np.asarray(s, dtype=np.float64)) for s in negative_scores_by_source.values()]
    groups = [g for g in groups if g.size]
    if not groups:
        raise ValueError("no negative scores to choose a threshold on")
    candidates = np.unique(np.concatenate(groups))
    # share of each source's negatives >= candidate, averaged over sources
    shares = np.mean(
        [1.0 - np.searchsorted(g, candidates, side="left") / g.size for g in groups], axis=0
    )
    allowed = np.flatnonzero(shares <= rate + 1e-12)
    if allowed.size == 0:
        return float(np.nextafter(candidates[-1], np.inf))
    return float(candidates[allowed[0]])


def _recall_at_rate(labels: np.ndarray, scores: np.ndarray, rate: float) -> float | None:
    if not (labels == 1).any() or not (labels == 0).any():
        return None
    threshold = threshold_at_false_alarm_rate(scores[labels == 0], rate)
    return round(float((scores[labels == 1] >= threshold).mean()), 4)


def _source_row(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, Any]:
    auc = roc_auc(labels, scores)
    at = rates_at_threshold(labels, scores, threshold)
    negatives = int((labels == 0).sum())
    return {
        "items": int(labels.size),
        "abusive": int(labels.sum()),
        "roc_auc": None if auc is None else round(auc, 4),
        "recall": at["caught"],
        "false_alarm_rate": at["false_alarms"],
        "precision": at["precision"],
        "false_alerts_per_1000_ok": None
        if not negatives
        else round(1000 * float((scores[labels == 0] >= threshold).mean()), 1),
        "recall_at_10pct_false_alarms_own_threshold": _recall_at_rate(labels, scores, 0.10),
    }


def baseline_scores(texts: Sequence[str], apc_python: Path | None) -> np.ndarray | None:
    """alt-profanity-check's P(profane) for ``texts``, run by ``apc_python`` (a throwaway
    venv that has it: it is never a dependency nor imported here); ``None`` when that
    python is missing."""
    if apc_python is None or not Path(apc_python).is_file():
        return None
    script = (
        "import json, sys\nfrom profanity_check import predict_prob\n"
        "texts = json.load(sys.stdin)\n"
        "json.dump([float(p) for p in predict_prob(texts)], sys.stdout)\n"
    )
    done = subprocess.run(
        [str(apc_python), "-c", script],
        input=json.dumps(list(texts)),
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return np.asarray(json.loads(done.stdout), dtype=np.float64)


#: Figures averaged over sources (each weighs the same) in the per-source tables.
_MEAN_KEYS = (
    "roc_auc",
    "recall",
    "false_alarm_rate",
    "precision",
    "recall_at_10pct_false_alarms_own_threshold",
)


def baseline_unseen_mean(
    by_source: dict[str, dict[str, Any]], seen: Sequence[str] = BASELINE_SEEN
) -> dict[str, Any]:
    """The mean over the sources of ``by_source`` that are not in ``seen`` (every source
    weighs the same; the hand-written lines, never a test source, never count) of each
    figure in ``_MEAN_KEYS``, and the sources it is over: the comparison with
    alt-profanity-check that is cross-source for both models."""
    sources = sorted(s for s in by_source if s not in {*seen, HAND_WRITTEN})
    means: dict[str, Any] = {"sources": sources}
    for key in _MEAN_KEYS:
        values = [float(v) for s in sources if (v := by_source[s].get(key)) is not None]
        means[key] = round(float(np.mean(values)), 4) if values else None
    return means


def beats_baseline(model: dict[str, Any], baseline: dict[str, Any] | str) -> dict[str, Any]:
    """Whether the model beats alt-profanity-check on the fair comparison (the mean over
    sources the baseline never saw, ``mean_over_baseline_unseen_sources`` of both reports):
    ``ships`` is true only when its mean ROC AUC is higher. The recall at each source's own
    10 % false-alarm threshold and the means over every left-out training source are
    reported beside it; a baseline that did not run (``str``) means no ship."""
    if not isinstance(baseline, dict):
        return {"ships": False, "why": f"alt-profanity-check was not run: {baseline}"}
    ours = model["mean_over_baseline_unseen_sources"]
    theirs = baseline["mean_over_baseline_unseen_sources"]
    recall_key = "recall_at_10pct_false_alarms_own_threshold"
    ships = bool(ours["roc_auc"] is not None and ours["roc_auc"] > (theirs["roc_auc"] or 0.0))
    return {
        "rule": "ships only when its mean ROC AUC over the sources alt-profanity-check was "
        f"never trained on ({', '.join(ours['sources'])}) is higher than "
        "alt-profanity-check's over the same sources in the same run; alt-profanity-check "
        f"was trained on {' and '.join(BASELINE_SEEN)} (its README), so figures there are "
        "reported but decide nothing",
        "baseline_seen_sources": list(BASELINE_SEEN),
        "ships": ships,
        "mean_roc_auc_baseline_unseen": ours["roc_auc"] > (theirs["roc_auc"] or 0.0),
        "mean_recall_at_10pct_false_alarms_baseline_unseen": (ours[recall_key] or 0.0)
        > (theirs[recall_key] or 0.0),
        "mean_roc_auc": model["mean_over_left_out_sources"]["roc_auc"]
        > baseline["mean_over_left_out_sources"]["roc_auc"],
        "mean_recall_at_threshold": model["mean_over_left_out_sources"]["recall"]
        > baseline["mean_over_left_out_sources"]["recall"],
    }


def evaluate_scores(
    items: Sequence[ChatItem], scores: np.ndarray, tuning_sources: Sequence[str]
) -> dict[str, Any]:
    """Threshold chosen on ``tuning_sources``' ok items, then per-source and per-kind
    figures of ``scores`` at it."""
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        by_source[item.source].append(i)
    labels = np.array([item.label for item in items])
    negatives = {s: scores[[i for i in by_source[s] if labels[i] == 0]] for s in tuning_sources}
    threshold = macro_false_alarm_threshold(negatives, FALSE_ALARM_RATE)
    rows = {
        s: _source_row(labels[by_source[s]], scores[by_source[s]], threshold)
        for s in [*tuning_sources, *sorted(set(by_source) - set(tuning_sources))]
        if s in by_source
    }
    tuned = [rows[s] for s in tuning_sources if s in rows]
    kinds: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        if item.label == 1:
            kinds[f"{item.source}:{item.kind}"].append(i)
    return {
        "threshold": round(threshold, 6),
        "by_source": rows,
        "mean_over_left_out_sources": {
            key: round(float(np.mean([r[key] for r in tuned if r[key] is not None])), 4)
            for key in ("roc_auc", "recall", "false_alarm_rate", "precision")
        },
        "mean_over_baseline_unseen_sources": baseline_unseen_mean(rows),
        "recall_by_kind": {
            kind: {
                "items": len(index),
                "recall": round(float((scores[index] >= threshold).mean()), 4),
            }
            for kind, index in sorted(kinds.items())
        },
    }


def evaluate_chat(
    data_dir: Path,
    config: ChatConfig,
    *,
    apc_python: Path | None = DEFAULT_APC_PYTHON,
    analyser: Callable[[str], tuple[list[str], str]] | None = None,
    log: Callable[[str], None] = print,
    corpus_dir: Path = CHAT_CORPUS_DIR,
) -> tuple[dict[str, Any], FittedChat, ChatFeatures, list[ChatItem]]:
    """Leave-one-source-out evaluation of ``config``, then the model trained on every
    training source (the one to ship) scoring the evaluation-only sources.

    Returns ``(report, shipped model, features, items)``: the report holds the threshold
    (chosen on the left-out scores of the training sources only), per-source and per-kind
    figures for this model and for alt-profanity-check in the same run, and timings."""
    started = time.monotonic()
    train_items, check_items, data_report = read_chat_corpus(
        data_dir,
        identity_classes=config.identity_classes,
        hand_written=config.hand_written,
        corpus_dir=corpus_dir,
    )
    items = train_items + check_items
    features = featurise([i.text for i in items], lexicon=config.lexicon, analyser=analyser)
    log(
        f"chat: {len(train_items)} training and {len(check_items)} evaluation-only messages, "
        f"{len(features.word_names)} word and {len(features.char_names)} character features "
        f"({time.monotonic() - started:.0f} s)"
    )
    n_train = len(train_items)
    sources = [i.source for i in train_items]
    oof = np.full(len(items), np.nan)
    for source, train_rows, test_rows in leave_one_source_out(sources):
        if source == HAND_WRITTEN:
            continue
        fitted = fit_chat(features, items, train_rows, config)
        oof[test_rows] = score_chat(features, test_rows, fitted)
        auc = roc_auc([items[i].label for i in test_rows], oof[test_rows])
        log(f"  left out {source}: ROC AUC {auc if auc is None else round(auc, 3)}")
    shipped = fit_chat(features, items, np.arange(n_train), config)
    check_rows = np.arange(n_train, len(items))
    if check_rows.size:
        oof[check_rows] = score_chat(features, check_rows, shipped)
    scored = [i for i in range(len(items)) if not np.isnan(oof[i])]
    scored_items = [items[i] for i in scored]
    tuning = [s for s in TRAIN_SOURCES if any(i.source == s for i in train_items)]
    report: dict[str, Any] = {
        "method": "leave-one-source-out: for each training source, a model trained on all "
        "the others (and the hand-written lines) scores it; the evaluation-only sources are "
        "scored by the shipped model (trained on every training source), which never saw "
        "them",
        "threshold_rule": f"lowest threshold at which at most {FALSE_ALARM_RATE:.0%} of ok "
        "messages are flagged, averaged over the left-out training sources (each weighs the "
        "same); evaluation-only sources play no part in choosing it",
        "config": asdict(config),
        "data_report": data_report,
        "model": evaluate_scores(scored_items, oof[scored], tuning),
    }
    baseline = baseline_scores([items[i].text for i in scored], apc_python)
    if baseline is not None:
        report["baseline_alt_profanity_check"] = evaluate_scores(scored_items, baseline, tuning)
    else:
        report["baseline_alt_profanity_check"] = "not run: no python with alt-profanity-check"
    report["seconds"] = round(time.monotonic() - started, 1)
    report["_scores"] = oof[scored]  # popped by chat_model_files, never written
    report["_items"] = scored_items
    report["max_chars"] = CHAT_MAX_CHARS
    report["label_mapping"] = LABEL_MAPPING
    report["evaluation_sources"] = list(EVALUATION_SOURCES)
    return report, shipped, features, train_items
