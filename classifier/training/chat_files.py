"""Build the shipped chat model: evaluate it leave-one-source-out against
alt-profanity-check, train it on every training source and write ``chat.skops`` and
``chat.json``."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from classifier.models.chat import CHAT_MAX_CHARS
from classifier.models.chattext import CHAR_GRAM_RANGE
from classifier.training.artefacts import common_metadata, write_json, write_skops
from classifier.training.chat import DEFAULT_APC_PYTHON, SHIPPED_CONFIG, ChatConfig, chat_table
from classifier.training.chat_data import (
    EVALUATION_SOURCES,
    HAND_WRITTEN,
    LABEL_MAPPING,
    TRAIN_SOURCES,
    ChatItem,
)
from classifier.training.chat_evaluation import beats_baseline, evaluate_chat
from classifier.training.evaluation import (
    rates_at_threshold,
)

__all__ = ["DESIGN_COMPARISON", "LICENCES", "build_chat", "chat_model_files"]


def build_chat(data_dir: Path, out_dir: Path, log: Any) -> dict[str, Any]:
    """Evaluate the chat model leave-one-source-out against alt-profanity-check (run by
    ``HEARTHGUARD_APC_PYTHON``, default ``/tmp/apc-venv/bin/python``, when it exists), train
    it on every training source and write ``chat.skops`` and ``chat.json``."""
    apc_python = Path(os.environ.get("HEARTHGUARD_APC_PYTHON", str(DEFAULT_APC_PYTHON)))
    table, details = chat_model_files(data_dir, log, apc_python=apc_python)
    metadata = {**common_metadata("chat", data_dir), **details}
    write_skops(table, out_dir / "chat.skops")
    write_json(metadata, out_dir / "chat.json")
    return metadata


#: Designs compared leave-one-source-out in one run of ``classifier.training.chat_variants``
#: (threshold at 10 % false alarms), with alt-profanity-check on the same messages.
DESIGN_COMPARISON: dict[str, Any] = {
    "measured": "2026-11-29, one run on one machine, leave-one-source-out over the eight "
    "training sources (Gab Hate Corpus and HateCheck added); CONDA game chat scored by the "
    "model trained on all eight. 'unseen' is the mean over the sources alt-profanity-check "
    "was never trained on (all but Davidson and the Jigsaw sample): cyberbullying, "
    "HateXplain, Toxic Spans, Reddit misogyny, ETHOS, Gab Hate Corpus, HateCheck, CONDA",
    "mean_roc_auc_unseen": {
        "alt-profanity-check": 0.7039,
        "shipped design (lexicon branch, scale 3, C=0.3, balance 0.5)": 0.7214,
        "full source balancing (balance 1)": 0.7221,
        "features seen in >= 3 sources": 0.7213,
        "C=0.1": 0.7166,
    },
    "mean_roc_auc_eight_left_out_training_sources": {
        "alt-profanity-check": 0.729,
        "shipped design (lexicon branch, scale 3, C=0.3, balance 0.5)": 0.7339,
        "full source balancing (balance 1)": 0.7346,
        "features seen in >= 3 sources": 0.7342,
        "C=0.1": 0.73,
    },
    "earlier": "with the six earlier training sources (no Gab Hate Corpus or HateCheck), the "
    "same design had 0.730 over six left-out sources against alt-profanity-check's 0.752, "
    "and normalisation without the lexicon 0.716, raw text 0.723",
    "finding": "the two new sources, not a design change, moved the model past "
    "alt-profanity-check on the sources it never saw; the design variants differ by less "
    "than 0.001 in the unseen mean (full source balancing +0.0007, within run-to-run "
    "noise, and lower recall at the shared threshold: 30.9 % against 31.8 %), so the "
    "design is unchanged",
    "chosen": "shipped design (lexicon branch, scale 3, C=0.3, balance 0.5)",
    "combined_with_alt_profanity_check": {
        "measured": "2026-11-29, one run of python -m classifier.training.chat_ensemble: the "
        "shipped design's left-out scores over the nine training sources (the same figures as "
        "leave_one_source_out here, threshold 0.686848) and alt-profanity-check's scores of "
        "the same messages, combined as the weighted mean of their logits or of their ranks "
        "(each score's share of that scorer's pooled left-out scores below it); the weight of "
        "this model chosen in 0.3..0.7 once, on the pooled left-out scores of the eight "
        "training sources neither model trained on, never per source",
        "ship_rule": "at least 0.02 higher mean ROC AUC where neither model trained, and no "
        "source more than 0.01 lower than this model alone",
        "roc_auc_by_left_out_source": {
            "columns": [
                "this model",
                "alt-profanity-check",
                "mean of logits (w=0.65)",
                "mean of ranks (w=0.45)",
            ],
            "davidson": [0.8667, 0.9879, 0.9795, 0.974],
            "cyberbullying": [0.8198, 0.7902, 0.8296, 0.8335],
            "hatexplain": [0.689, 0.655, 0.68, 0.6836],
            "toxic_spans_civil_comments": [0.5756, 0.6353, 0.6303, 0.6261],
            "reddit_misogyny_guest2021": [0.7862, 0.7307, 0.7805, 0.785],
            "ethos_hate": [0.7749, 0.7117, 0.7607, 0.7661],
            "gab_hate_corpus": [0.8511, 0.8075, 0.8588, 0.8613],
            "hatecheck": [0.5559, 0.5141, 0.541, 0.5418],
            "convabuse": [0.9054, 0.92, 0.9375, 0.9367],
            "conda_dota2_game_chat": [0.7658, 0.7869, 0.7998, 0.8029],
            "jigsaw-sample": [0.9563, 0.9764, 0.9816, 0.9816],
        },
        "mean_where_neither_trained": {
            "this model": {"roc_auc": 0.7471, "recall_at_own_10pct_false_alarms": 0.4305},
            "alt-profanity-check": {"roc_auc": 0.7279, "recall_at_own_10pct_false_alarms": 0.408},
            "mean of logits (w=0.65)": {
                "roc_auc": 0.7576,
                "recall_at_own_10pct_false_alarms": 0.4385,
            },
            "mean of ranks (w=0.45)": {
                "roc_auc": 0.7597,
                "recall_at_own_10pct_false_alarms": 0.4455,
            },
        },
        "finding": "not shipped: the combinations gain 0.011 (logits) and 0.013 (ranks) mean "
        "ROC AUC where neither model trained, short of 0.02, and lose 0.015 and 0.014 on "
        "HateCheck (ETHOS 0.014 and 0.009); they gain most where alt-profanity-check is "
        "stronger (Toxic Spans +0.05, ConvAbuse +0.03, Dota 2 game chat +0.03 to 0.04). "
        "Another weight does not change this: with the weight of this model anywhere in "
        "0.3..0.95 the logit mean gains at most 0.013 (at 0.8), and below 0.75 ETHOS or "
        "HateCheck lose more than 0.01",
    },
}

#: Licences of the sources the shipped chat model is trained on or measured with.
LICENCES = {
    "davidson": "MIT",
    "cyberbullying": "CC BY 4.0 (as reported)",
    "hatexplain": "MIT (posts: Twitter and Gab terms)",
    "toxic_spans_civil_comments": "CC0 1.0",
    "reddit_misogyny_guest2021": "MIT (posts: Reddit terms)",
    "ethos_hate": "GPL-3.0",
    "gab_hate_corpus": "CC BY 4.0 (Gab Hate Corpus, Kennedy et al. 2022, as stated at "
    "osf.io/edua3; copy from an MIT-licensed repository; posts: Gab terms)",
    "hatecheck": "CC BY 4.0 (HateCheck, Röttger et al. 2021)",
    "convabuse": "CC BY 4.0 (ConvAbuse, Cercas Curry et al. 2021, github.com/amandacurry/"
    "convabuse)",
    "jigsaw-sample": "CC0 (evaluation only)",
    "conda_dota2_game_chat": "none stated (evaluation and tuning only; not trained on, not copied)",
    HAND_WRITTEN: "Hearthguard's own",
}

#: Reported thresholds besides the shipped one (what each would mean on left-out sources).
REPORTED_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def _macro_at(items: Sequence[ChatItem], scores: np.ndarray, threshold: float) -> dict[str, Any]:
    rows = []
    for source in TRAIN_SOURCES:
        index = [i for i, item in enumerate(items) if item.source == source]
        if index:
            labels = np.array([items[i].label for i in index])
            rows.append(rates_at_threshold(labels, scores[index], threshold))

    def mean(key: str) -> float | None:
        values = [float(v) for r in rows if (v := r[key]) is not None]
        return round(float(np.mean(values)), 4) if values else None

    return {"recall": mean("caught"), "false_alarm_rate": mean("false_alarms")}


def chat_model_files(
    data_dir: Path,
    log: Callable[[str], None] = print,
    *,
    config: ChatConfig = SHIPPED_CONFIG,
    apc_python: Path | None = DEFAULT_APC_PYTHON,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Evaluate ``config`` leave-one-source-out, train the model to ship on every training
    source and return ``(table, metadata)`` for ``chat.skops`` / ``chat.json`` (the caller
    adds the common fields: format, versions, date)."""
    report, fitted, features, train_items = evaluate_chat(
        data_dir, config, apc_python=apc_python, log=log
    )
    table = chat_table(features, fitted, config)
    model = report["model"]
    baseline = report["baseline_alt_profanity_check"]
    threshold = float(model["threshold"])
    ours = model["mean_over_left_out_sources"]
    theirs = baseline["mean_over_left_out_sources"] if isinstance(baseline, dict) else None
    fair = model["mean_over_baseline_unseen_sources"]
    fair_theirs = (
        baseline["mean_over_baseline_unseen_sources"] if isinstance(baseline, dict) else None
    )
    verdict = beats_baseline(model, baseline)
    scores = report.pop("_scores")
    scored_items = report.pop("_items")
    at = {f"{t:.2f}": _macro_at(scored_items, scores, t) for t in (threshold, *REPORTED_THRESHOLDS)}
    _log_summary(log, threshold, ours, theirs, fair, fair_theirs, verdict["ships"])
    metadata: dict[str, Any] = {
        "input": "one chat message, raw; the first "
        f"{CHAT_MAX_CHARS} characters are cleaned (chat_model_input) and normalised "
        "(classifier.models.chattext.normalise_chat) as in training",
        "features": "binary TF-IDF, L2-normalised per branch: words, word pairs and lexicon "
        f"features ({len(fitted.words.columns):,} kept), character {CHAR_GRAM_RANGE[0]}-"
        f"{CHAR_GRAM_RANGE[1]}-grams within words ({len(fitted.chars.columns):,} kept)",
        "estimator": f"LogisticRegression (L2, C={config.c}, liblinear), weights: annotator "
        f"agreement x (source, label) cell size ** -{config.balance}, labels balanced",
        "runtime": "numpy, a dict and one Aho-Corasick automaton; no scikit-learn",
        "classes": ["abusive", "ok"],
        "default_threshold": round(threshold, 6),
        "default_threshold_rule": report["threshold_rule"],
        "config": asdict(config),
        "label_mapping": LABEL_MAPPING,
        "sources": {
            "training": [s for s in TRAIN_SOURCES if s in report["data_report"]["rows"]],
            "evaluation_only": list(EVALUATION_SOURCES),
            "hand_written": HAND_WRITTEN,
        },
        "licences": LICENCES,
        "data_report": report["data_report"],
        "class_counts": dict(Counter(f"{i.source}:{i.label}" for i in train_items)),
        "evaluation": {
            "method": report["method"],
            "items": sum(int(r["items"]) for r in model["by_source"].values()),
            "roc_auc": ours["roc_auc"],
            "thresholds": at,
        },
        "leave_one_source_out": model,
        "baseline_alt_profanity_check": baseline,
        "beats_baseline": verdict,
        "design_comparison": DESIGN_COMPARISON,
        "thresholds": {
            key: f"flag when P(abusive) >= {key}: on left-out sources (mean over sources) "
            f"{figures['recall']:.0%} of abusive messages flagged, "
            f"{figures['false_alarm_rate']:.0%} of ok ones"
            for key, figures in (
                (f"{t:.1f}", _macro_at(scored_items, scores, t)) for t in REPORTED_THRESHOLDS
            )
        },
        "seconds": report["seconds"],
    }
    return table, metadata


def _log_summary(
    log: Callable[[str], None],
    threshold: float,
    ours: dict[str, Any],
    theirs: dict[str, Any] | None,
    fair: dict[str, Any],
    fair_theirs: dict[str, Any] | None,
    ships: bool,
) -> None:
    """Two log lines: the mean over left-out sources (with alt-profanity-check's when it ran)
    and the mean over the sources alt-profanity-check never saw."""
    log(
        f"chat: threshold {threshold:.3f}; mean over left-out sources ROC AUC "
        f"{ours['roc_auc']}, recall {ours['recall']}, false alarms {ours['false_alarm_rate']}"
        + (
            f"; alt-profanity-check ROC AUC {theirs['roc_auc']}, recall {theirs['recall']}"
            if theirs
            else "; alt-profanity-check not run"
        )
    )
    log(
        f"chat: mean over sources alt-profanity-check never saw ({', '.join(fair['sources'])}): "
        f"ROC AUC {fair['roc_auc']}"
        + (f" against {fair_theirs['roc_auc']}" if fair_theirs else "")
        + f"; ships: {ships}"
    )
