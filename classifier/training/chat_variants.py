"""Compare chat model designs leave-one-source-out, in one run.

    python -m classifier.training.chat_variants [DATA_DIR] [--designs NAME,...] [--cache DIR]

Each design is trained on all training sources but one and scores the one left out, for
every source; the table gives the mean over left-out sources of ROC AUC, and recall and
false alarms at the threshold chosen for 10 % false alarms on the left-out ok messages, plus
each source's ROC AUC and the never-trained CONDA game chat. Features are extracted once per
feature set and may be kept in ``--cache`` between runs (a run of all designs takes about
half an hour on two shared cores). The winner becomes ``SHIPPED_CONFIG`` in
``classifier.training.chat``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from classifier.models.chat import CHAT_MAX_CHARS, chat_model_input
from classifier.training.chat import (
    DEFAULT_APC_PYTHON,
    SHIPPED_CONFIG,
    ChatConfig,
    ChatFeatures,
    featurise,
    fit_chat,
    score_chat,
)
from classifier.training.chat_data import HAND_WRITTEN, TRAIN_SOURCES, ChatItem, read_chat_corpus
from classifier.training.chat_evaluation import baseline_scores, evaluate_scores
from classifier.training.splits import DEFAULT_DATA_DIR

__all__ = ["DESIGNS", "compare_designs", "main"]

_BASE = ChatConfig(identity_classes=True, c=0.3)

#: name -> (feature set, config). Feature sets: "normalised" (``chat_model_features``),
#: "raw" (lower-cased words of two or more letters and character n-grams within
#: whitespace-separated tokens, as the chat model read text before normalisation).
DESIGNS: dict[str, tuple[str, ChatConfig]] = {
    "raw text (no normalisation or lexicon)": ("raw", replace(_BASE, lexicon=False)),
    "normalised without lexicon": ("normalised", replace(_BASE, lexicon=False)),
    "normalised + lexicon": ("normalised", _BASE),
    "C=1": ("normalised", replace(_BASE, c=1.0)),
    "C=0.1": ("normalised", replace(_BASE, c=0.1)),
    "no source balancing (balance 0)": ("normalised", replace(_BASE, balance=0.0)),
    "full source balancing (balance 1)": ("normalised", replace(_BASE, balance=1.0)),
    "features seen in >= 3 sources": ("normalised", replace(_BASE, min_sources=3)),
    "words only (no character n-grams)": ("normalised", replace(_BASE, chars=False)),
    "without cyberbullying's identity classes": (
        "normalised",
        replace(_BASE, identity_classes=False),
    ),
    "without hand-written lines": ("normalised", replace(_BASE, hand_written=False)),
    "lexicon as its own branch (scale 1)": ("normalised", replace(_BASE, lexicon_scale=1.0)),
    "lexicon as its own branch (scale 3)": ("normalised", replace(_BASE, lexicon_scale=3.0)),
    "words annotators marked as abuse (scale 3)": (
        "normalised",
        replace(_BASE, marked_scale=3.0),
    ),
    "own lexicon branch + marked words (scale 3)": (
        "normalised",
        replace(_BASE, lexicon_scale=3.0, marked_scale=3.0),
    ),
    "shipped": ("normalised", SHIPPED_CONFIG),
    "shipped + full source balancing": ("normalised", replace(SHIPPED_CONFIG, balance=1.0)),
    "shipped + features seen in >= 3 sources": (
        "normalised",
        replace(SHIPPED_CONFIG, min_sources=3),
    ),
    "shipped + C=0.1": ("normalised", replace(SHIPPED_CONFIG, c=0.1)),
}

_RAW_WORD = re.compile(r"(?u)\b\w\w+\b")


def _raw_analyser(text: str) -> tuple[list[str], str]:
    lowered = chat_model_input(text[:CHAT_MAX_CHARS]).lower()
    words = _RAW_WORD.findall(lowered)
    features = dict.fromkeys(words)
    features.update(dict.fromkeys(f"{a} {b}" for a, b in zip(words, words[1:], strict=False)))
    return list(features), " ".join(lowered.split())


def _cached_features(
    name: str, items: Sequence[ChatItem], cache: Path | None, log: Any
) -> ChatFeatures:
    if cache is not None and (cache / f"{name}.json").is_file():
        names = json.loads((cache / f"{name}.json").read_text(encoding="utf-8"))
        if names["items"] == len(items):
            return ChatFeatures(
                sparse.load_npz(cache / f"{name}-words.npz").tocsr(),
                names["words"],
                sparse.load_npz(cache / f"{name}-chars.npz").tocsr(),
                names["chars"],
            )
    started = time.monotonic()
    analyser = _raw_analyser if name == "raw" else None
    features = featurise([i.text for i in items], analyser=analyser)
    log(f"{name} features: {time.monotonic() - started:.0f} s")
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        sparse.save_npz(cache / f"{name}-words.npz", features.words)
        sparse.save_npz(cache / f"{name}-chars.npz", features.chars)
        (cache / f"{name}.json").write_text(
            json.dumps(
                {"items": len(items), "words": features.word_names, "chars": features.char_names}
            ),
            encoding="utf-8",
        )
    return features


def _without_lexicon(features: ChatFeatures) -> ChatFeatures:
    keep = [i for i, n in enumerate(features.word_names) if not n.startswith("lex:")]
    return replace(
        features,
        words=features.words[:, keep].tocsr(),
        word_names=[features.word_names[i] for i in keep],
    )


def compare_designs(
    data_dir: Path,
    names: Sequence[str],
    cache: Path | None,
    log: Any = print,
    apc_python: Path | None = None,
) -> dict[str, Any]:
    """Leave-one-source-out figures of each design in ``names`` (keys of ``DESIGNS``), and
    of alt-profanity-check on the same messages when ``apc_python`` runs it."""
    train, check, _report = read_chat_corpus(data_dir, identity_classes=True)
    items = train + check
    n_train = len(train)
    sources = np.array([i.source for i in train])
    results: dict[str, Any] = {}
    tested = [i for i in items if i.source != HAND_WRITTEN]  # never a test source
    baseline = baseline_scores([i.text for i in tested], apc_python)
    if baseline is not None:
        results["alt-profanity-check"] = evaluate_scores(tested, baseline, list(TRAIN_SOURCES))
        log(f"alt-profanity-check: {json.dumps(_means(results['alt-profanity-check']))}")
    loaded: dict[str, ChatFeatures] = {}
    for name in names:
        feature_set, config = DESIGNS[name]
        if feature_set not in loaded:
            loaded[feature_set] = _cached_features(feature_set, items, cache, log)
        features = loaded[feature_set]
        if not config.lexicon:
            features = _without_lexicon(features)
        started = time.monotonic()
        usable = np.array(
            [
                (config.identity_classes or not i.kind.startswith("bullying_"))
                and (config.hand_written or i.source != HAND_WRITTEN)
                for i in train
            ]
        )
        scores = np.full(len(items), np.nan)
        for source in TRAIN_SOURCES:
            rows = np.flatnonzero(usable & (sources != source))
            test = np.flatnonzero(usable & (sources == source))
            if test.size:
                scores[test] = score_chat(features, test, fit_chat(features, items, rows, config))
        shipped = fit_chat(features, items, np.flatnonzero(usable), config)
        check_rows = np.arange(n_train, len(items))
        scores[check_rows] = score_chat(features, check_rows, shipped)
        index = np.flatnonzero(~np.isnan(scores))
        report = evaluate_scores([items[i] for i in index], scores[index], list(TRAIN_SOURCES))
        report["seconds"] = round(time.monotonic() - started, 1)
        results[name] = report
        log(f"{name}: {json.dumps(_means(report))} ({report['seconds']} s)")
    return results


def _means(report: dict[str, Any]) -> dict[str, Any]:
    unseen = report["mean_over_baseline_unseen_sources"]
    return {
        **report["mean_over_left_out_sources"],
        "baseline_unseen_roc_auc": unseen["roc_auc"],
        "baseline_unseen_recall_at_10pct": unseen["recall_at_10pct_false_alarms_own_threshold"],
    }


def markdown(results: dict[str, Any]) -> str:
    """The comparison as a Markdown table."""
    sources = [*TRAIN_SOURCES, "conda_dota2_game_chat"]
    header = ["design", "mean AUC", "mean recall", "mean false alarms", "unseen AUC", *sources]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, report in results.items():
        mean = report["mean_over_left_out_sources"]
        cells = [name, f"{mean['roc_auc']:.3f}", f"{mean['recall']:.1%}"]
        cells.append(f"{mean['false_alarm_rate']:.1%}")
        cells.append(f"{report['mean_over_baseline_unseen_sources']['roc_auc']:.3f}")
        for source in sources:
            auc = report["by_source"].get(source, {}).get("roc_auc")
            cells.append("—" if auc is None else f"{auc:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison and print it as a table (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(prog="python -m classifier.training.chat_variants")
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--designs", default=",".join(DESIGNS))
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--apc-python",
        type=Path,
        default=DEFAULT_APC_PYTHON,
        help="python with alt-profanity-check, for its row (skipped when missing)",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.designs.split(",") if n.strip()]
    unknown = [n for n in names if n not in DESIGNS]
    if unknown or not (args.data_dir / "text").is_dir():
        print(
            f"error: unknown designs {unknown}" if unknown else f"error: no {args.data_dir}/text",
            file=sys.stderr,
        )
        return 2
    results = compare_designs(args.data_dir, names, args.cache, apc_python=args.apc_python)
    print(markdown(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
