"""The page model measured honestly: trained with every real page source left out in turn and
scored on the pages it never saw, next to e2guardian's default weighted phrase lists.

MedQuAD and Wikipedia (the real benign pages that may be trained on) are each left out of one
training run; recipes, news, gambling-affiliate and Agora pages are never trained on. The
e2guardian lists are read at run time from the shared data (the baseline, never vendored).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.categories import BENIGN
from classifier.models.page import build_page_model
from classifier.training.evaluation import expected_calibration_error, reliability_curve
from classifier.training.page import (
    apply_bars,
    boilerplate_documents,
    calibrate_table,
    fit_page_table,
    phrase_matrix,
    supplement_documents,
)
from classifier.training.sources import EVALUATION_ONLY, TRAINABLE, page_sources
from classifier.training.splits import SEED, Example, group_split

__all__ = [
    "E2GUARDIAN_LIMITS",
    "PAGE_CONTRAST_WEIGHT",
    "PRESET_THRESHOLDS",
    "document_weights",
    "e2guardian_scores",
    "evaluate_page_sources",
    "page_training_run",
    "training_documents",
]

#: The page thresholds of the presets (young, child, teen, adult).
PRESET_THRESHOLDS = {"young": 0.6, "child": 0.7, "teen": 0.8, "adult": 0.95}
#: e2guardian naughtiness limits Hearthguard uses for the same presets.
E2GUARDIAN_LIMITS = {"young": 50, "child": 100, "teen": 160}
#: Weight of the contrast documents (topic words in reporting and care writing, benign).
PAGE_CONTRAST_WEIGHT = 4.0
#: The topics pages are most often about rather than of (news on gambling, health pages on
#: drugs): their contrast documents weigh ``PAGE_CONTRAST_WEIGHT``. Adult and dating keep
#: weight 1, so ordinary words around explicit ones do not cancel them.
_ABOUT_TOPICS = ("contrast-gambling-", "contrast-drugs-")
#: Real trainable pages held out for calibration (by group).
CALIBRATION_SHARE = 0.2


def e2guardian_scores(data_dir: Path, texts: Sequence[str]) -> tuple[list[int], list[str]]:
    """Totals and strongest categories of e2guardian's default weighted phrase lists
    (``lists/e2guardian/weightedphraselist`` in the shared data, read at run time)."""
    from classifier.lists.phrases import load_weighted_phrases

    scorer, _report = load_weighted_phrases(
        Path(data_dir) / "lists" / "e2guardian" / "weightedphraselist"
    )
    totals: list[int] = []
    strongest: list[str] = []
    for text in texts:
        found = scorer.score(text)
        totals.append(found.total)
        positive = [(w, name) for name, w in found.by_category.items() if w > 0]
        strongest.append(max(positive)[1] if positive else BENIGN)
    return totals, strongest


def _page_category(name: str) -> str:
    return "drugs" if name in ("illegaldrugs", "drugadvocacy") else name


def evaluate_page_sources(
    probabilities: np.ndarray, classes: Sequence[str], docs: Sequence[Example]
) -> dict[str, Any]:
    """For one source's documents: at each preset threshold, the share blocked (benign
    sources) or caught under the right category (harmful ones), with the categories blocked."""
    classes = list(classes)
    benign = classes.index(BENIGN)
    harmful_p = probabilities.copy()
    harmful_p[:, benign] = -1.0
    best = harmful_p.argmax(axis=1)
    top = harmful_p[np.arange(len(best)), best]
    labels = [e.label for e in docs]
    out: dict[str, Any] = {"pages": len(docs), "label": Counter(labels).most_common(1)[0][0]}
    for preset, t in PRESET_THRESHOLDS.items():
        blocked = top >= t
        right = np.array([classes[b] == y for b, y in zip(best, labels, strict=True)])
        out[preset] = {
            "blocked": round(float(blocked.mean()), 4) if len(docs) else 0.0,
            "caught_right_category": round(float((blocked & right).mean()), 4),
            "categories": dict(Counter(classes[b] for b in best[blocked]).most_common()),
        }
    return out


def _baseline(
    totals: Sequence[int], strongest: Sequence[str], docs: Sequence[Example]
) -> dict[str, Any]:
    out: dict[str, Any] = {"pages": len(docs)}
    for preset, limit in E2GUARDIAN_LIMITS.items():
        blocked = np.asarray(totals) > limit
        right = np.array(
            [_page_category(s) == e.label for s, e in zip(strongest, docs, strict=True)]
        )
        out[preset] = {
            "limit": limit,
            "blocked": round(float(blocked.mean()), 4) if len(docs) else 0.0,
            "caught_right_category": round(float((blocked & right).mean()), 4),
        }
    return out


def page_training_run(
    data_dir: Path,
    synthetic_train: Sequence[Example],
    synthetic_test: Sequence[Example],
    log: Callable[[str], None],
    *,
    seed: int = SEED,
) -> tuple[dict[str, Any], dict[str, Any], list[Example]]:
    """Train the shipped page table, the leave-one-source-out tables, calibrate them and
    score every real page source with a model that never trained on it, and the e2guardian
    baseline on the same pages. Returns ``(table, report, training_documents)``."""
    real, missing = page_sources(data_dir)
    trainable = {name: real[name] for name in TRAINABLE if name in real}
    docs, real_calibration = training_documents(synthetic_train, trainable, seed=seed)
    sources = [e.source if e.source in TRAINABLE else "synthetic" for e in docs]
    log(f"page: vectorising {len(docs)} training documents")
    matrix, names = phrase_matrix([e.text for e in docs])
    labels = [e.label for e in docs]
    doc_weights = document_weights(docs)
    synthetic_calibration = list(synthetic_test)
    barred: dict[str, list[str]] = {}

    def fit(without: str | None) -> dict[str, Any]:
        rows = np.flatnonzero(np.asarray(sources) != without) if without else np.arange(len(docs))
        table = fit_page_table(
            matrix[rows], names, [labels[i] for i in rows], weights=doc_weights[rows], seed=seed
        )
        real_rows = [i for i in rows if sources[i] in TRAINABLE]
        table, barred[without or "shipped"] = apply_bars(
            table, matrix[real_rows], names, [sources[i] for i in real_rows]
        )
        held = synthetic_calibration + [e for e in real_calibration if e.source != without]
        return calibrate_table(table, held)

    log("page: training the shipped table")
    shipped = fit(None)
    tables: dict[str | None, dict[str, Any]] = {None: shipped}
    for name in trainable:
        log(f"page: training without {name}")
        tables[name] = fit(name)
    report: dict[str, Any] = {
        "missing_sources": missing,
        "barred_by_real_benign_pages": barred["shipped"],
    }
    report.update(_score_real_sources(data_dir, real, tables, log))
    report["synthetic_held_out"] = _score_synthetic(shipped, synthetic_test)
    report["ships"], report["ship_rule"] = _beats_baseline(report)
    return shipped, report, docs


def training_documents(
    synthetic_train: Sequence[Example],
    trainable: dict[str, list[Example]],
    *,
    seed: int = SEED,
) -> tuple[list[Example], list[Example]]:
    """The page model's training documents, in training order (synthetic documents, web
    boilerplate, the hand-written supplement, then the trainable real pages without their
    calibration share), and the real pages held out for calibration."""
    real_train: dict[str, list[Example]] = {}
    real_calibration: list[Example] = []
    for name, docs in trainable.items():
        train, held = group_split(docs, CALIBRATION_SHARE, seed=seed)
        real_train[name] = train
        real_calibration.extend(held)
    docs = (
        list(synthetic_train)
        + boilerplate_documents(seed=seed)
        + supplement_documents(seed=seed)
        + [e for d in real_train.values() for e in d]
    )
    return docs, real_calibration


def document_weights(docs: Sequence[Example]) -> np.ndarray:
    """Pages about a topic: the contrast documents of gambling and drugs (their words among
    the words of news, health, rights and education writing, labelled benign) weigh
    ``PAGE_CONTRAST_WEIGHT``, so that the words of reporting and care count against a block;
    every other document weighs 1."""
    return np.array(
        [
            PAGE_CONTRAST_WEIGHT
            if e.source == "lists+hand-written" and e.group.startswith(_ABOUT_TOPICS)
            else 1.0
            for e in docs
        ]
    )


def _score_real_sources(
    data_dir: Path,
    real: dict[str, list[Example]],
    tables: dict[str | None, dict[str, Any]],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Score every real page source with the table that never trained on it (the shipped
    table for evaluation-only sources) and with e2guardian's lists; pool the left-out scores
    into a reliability curve."""
    shipped = tables[None]
    out: dict[str, Any] = {"sources": {}, "baseline": {}}
    pooled_y: list[int] = []
    pooled_p: list[float] = []
    for name, pages in real.items():
        model = build_page_model(tables.get(name, shipped), {})
        probabilities = model.predict_proba([e.text for e in pages])
        out["sources"][name] = {
            "left_out": "never trained on" if name in EVALUATION_ONLY else "left out",
            **evaluate_page_sources(probabilities, model.classes, pages),
        }
        benign = list(model.classes).index(BENIGN)
        top = np.delete(probabilities, benign, axis=1).max(axis=1)
        pooled_y.extend(int(e.label != BENIGN) for e in pages)
        pooled_p.extend(top.tolist())
        totals, strongest = e2guardian_scores(data_dir, [e.text for e in pages])
        out["baseline"][name] = _baseline(totals, strongest, pages)
        log(
            f"page: {name}: child blocked {out['sources'][name]['child']['blocked']:.2%} "
            f"(e2guardian {out['baseline'][name]['child']['blocked']:.2%})"
        )
    out["reliability_left_out_real_pages"] = {
        "curve": reliability_curve(pooled_y, pooled_p),
        "expected_calibration_error": expected_calibration_error(pooled_y, pooled_p),
    }
    return out


def _score_synthetic(table: dict[str, Any], synthetic_test: Sequence[Example]) -> dict[str, Any]:
    """The shipped table's figures on the held-out synthetic documents, per label."""
    model = build_page_model(table, {})
    probabilities = model.predict_proba([e.text for e in synthetic_test])
    return {
        label: evaluate_page_sources(
            probabilities[[i for i, e in enumerate(synthetic_test) if e.label == label]],
            model.classes,
            [e for e in synthetic_test if e.label == label],
        )
        for label in sorted({e.label for e in synthetic_test})
    }


def _beats_baseline(report: dict[str, Any]) -> tuple[bool, str]:
    rule = (
        "ships when, at the child preset, it blocks at most 1% of every left-out real benign "
        "source and catches at least as many real harmful pages (gambling affiliate + Agora, "
        "right category) as e2guardian's default phrase lists at the child limit"
    )
    ok = True
    caught = base = 0.0
    for name, figures in report["sources"].items():
        if figures["label"] == BENIGN:
            ok = ok and figures["child"]["blocked"] <= 0.01
        else:
            caught += figures["child"]["caught_right_category"] * figures["pages"]
            base += report["baseline"][name]["child"]["caught_right_category"] * figures["pages"]
    return bool(ok and caught >= base), rule
