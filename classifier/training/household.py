"""Retrain the page model on this household's examples plus the shipped corpus.

The examples come from the household store (``classifier.household``) through the caller;
this module only turns them into weighted training documents and writes the new model.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from classifier.categories import BENIGN, PROTECTED, canonical
from classifier.household import MAX_TEXT_CHARS
from classifier.models.loading import BUNDLED_MODEL_DIR, MODEL_FORMAT
from classifier.training.artefacts import (
    PAGE_CORPUS_FILE,
    library_versions,
    read_corpus,
    read_json,
    write_json,
    write_skops,
)
from classifier.training.page import train_page_model
from classifier.training.page_corpus import PAGE_LIST_CATEGORIES
from classifier.training.page_evaluation import document_weights
from classifier.training.splits import SEED, Example

__all__ = ["HOUSEHOLD_SHARE", "HOUSEHOLD_WEIGHT_BOUNDS", "retrain_page_model"]

#: In retraining, household examples together weigh this share of the shipped corpus, each
#: between the two bounds (a few examples must be able to move the model; many must not
#: drown the shipped data).
HOUSEHOLD_SHARE = 0.1
HOUSEHOLD_WEIGHT_BOUNDS = (5.0, 100.0)

#: Ordinary categories a household may label pages with; for the page model they are benign.
_ORDINARY = frozenset({BENIGN, "shopping", "games", "video", "social", "chat", "bank"})


def _page_label(category: str) -> str | None:
    """The page-model class for a household category: its own class when the model has it,
    benign for protected and ordinary categories, ``None`` (example not used) for harmful
    categories the page model cannot learn (violence, weapons...)."""
    name = canonical(category)
    if name in (*PAGE_LIST_CATEGORIES, "hate"):
        return name
    if name in PROTECTED or name in _ORDINARY:
        return BENIGN
    return None


def retrain_page_model(
    examples: Iterable[tuple[str, str]],
    out_dir: Path,
    *,
    corpus_dir: Path | None = None,
    seed: int = SEED,
) -> dict[str, Any]:
    """Retrain the page model from the shipped corpus plus household ``(text, category)``
    examples; write ``page.skops`` and ``page.json`` into ``out_dir``; return the metadata.

    Household examples together weigh ``HOUSEHOLD_SHARE`` of the shipped corpus (each
    between ``HOUSEHOLD_WEIGHT_BOUNDS`` shipped documents). Protected and
    ordinary categories (news, health, shopping, games...) count as benign; harmful
    categories the page model has no class for are skipped (and counted in the metadata).
    A parent's "wrongly blocked" page is an example labelled ``benign``; a "wrongly
    allowed" one is labelled with the category it should have been blocked under.
    ``load_models(..., local_dir=out_dir)`` then prefers this model. Raises
    ``FileNotFoundError`` when the shipped corpus is missing. Retraining takes minutes
    (about six on the development machine, far more on a Raspberry Pi): run it in the
    background, never in a request.
    """
    corpus_path = Path(corpus_dir or BUNDLED_MODEL_DIR) / PAGE_CORPUS_FILE
    if not corpus_path.is_file():
        raise FileNotFoundError(f"the shipped page corpus {corpus_path} is missing")
    shipped = read_corpus(corpus_path)
    household: list[Example] = []
    skipped = 0
    for i, (text, category) in enumerate(examples):
        label = _page_label(category) if isinstance(category, str) else None
        if not isinstance(text, str) or not text.strip() or label is None:
            skipped += 1
            continue
        household.append(Example(text[:MAX_TEXT_CHARS], label, f"household-{i}", "household"))
    train = shipped + household
    low, high = HOUSEHOLD_WEIGHT_BOUNDS
    each = min(high, max(low, HOUSEHOLD_SHARE * len(shipped) / max(1, len(household))))
    weights = np.where([e.source == "household" for e in train], each, 1.0) * document_weights(
        train
    )
    table = train_page_model(train, seed=seed, weights=weights)
    base_meta = read_json(Path(corpus_dir or BUNDLED_MODEL_DIR) / "page.json")
    metadata = {
        **{k: v for k, v in base_meta.items() if k not in ("evaluation", "thresholds")},
        "format": MODEL_FORMAT,
        "model": "page",
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "household_examples": dict(Counter(e.label for e in household)),
        "household_examples_skipped": skipped,
        "household_example_weight": round(each, 3),
        "training_documents": dict(Counter(e.label for e in train)),
        "phrases": len(table["phrases"]),
        "note": "Retrained on this household's examples plus the shipped corpus; the "
        "held-out figures of the shipped model no longer apply.",
        "libraries": library_versions(),
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_skops(table, out_dir / "page.skops")
    write_json(metadata, out_dir / "page.json")
    return metadata
