"""Train and evaluate Hearthguard's URL, page-text and chat models, reproducibly.

    python -m classifier.training [DATA_DIR] [--out DIR] [--only url|page|chat ...]

``DATA_DIR`` defaults to ``../shared/data`` next to the repository (UT1, Sinfonietta, The
Block List Project, UT1 popular-adult lists; Davidson, cyberbullying and Jigsaw text sets).
Every random choice uses one fixed seed, so the same data and library versions give the
same files. Each model is written as ``<name>.skops`` with ``<name>.json`` (data sources,
licences, class counts, held-out scores, thresholds, library versions) and an
``ATTRIBUTION.md`` for the directory.

Held-out splits never share a registered domain (URLs, page documents) or a normalised
text (chat) with training data.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from classifier.models.loading import BUNDLED_MODEL_DIR
from classifier.training.artefacts import TRAINING_COMMAND
from classifier.training.attribution import attribution_markdown
from classifier.training.chat_files import build_chat
from classifier.training.page_files import build_page
from classifier.training.splits import DEFAULT_DATA_DIR
from classifier.training.url_files import build_url

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Train, evaluate and write all three models; print a short summary."""
    parser = argparse.ArgumentParser(
        prog=TRAINING_COMMAND,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=BUNDLED_MODEL_DIR)
    parser.add_argument("--only", choices=("url", "page", "chat"), action="append")
    args = parser.parse_args(argv)
    if not (args.data_dir / "lists").is_dir() or not (args.data_dir / "text").is_dir():
        print(f"error: {args.data_dir} has no lists/ and text/ folders", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(message, flush=True)

    builders = {"url": build_url, "page": build_page, "chat": build_chat}
    for name in args.only or builders:
        metadata = builders[name](args.data_dir, args.out, log)
        if "evaluation" not in metadata:
            continue  # the model's own builder reported its left-out figures
        evaluation = metadata["evaluation"]
        figures = evaluation["thresholds"]
        log(
            f"{name}: "
            + json.dumps(
                {k: v for k, v in evaluation.items() if k in ("accuracy", "roc_auc", "items")}
            )
        )
        for t, row in figures.items():
            log(f"  threshold {t}: {json.dumps(row)}")
    (args.out / "ATTRIBUTION.md").write_text(attribution_markdown(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
