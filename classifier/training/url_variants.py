"""Compare URL model designs in one run: the same data, seed and evaluation for each.

    python -m classifier.training.url_variants [DATA_DIR] [--out FILE] [--no-folds]

Each design (``DESIGNS``) is trained by ``url_training_run`` and measured the same way: the
leave-one-provider-out catches against the lists alone, the infrastructure and
rights-sensitive hosts the model alone blocks, and the held-out real benign names
(``benign_names/heldout.txt``) it blocks, at the child preset. The table is printed, and
written as JSON with ``--out``. Nothing is shipped from here: ``python -m
classifier.training --only url`` builds the shipped design.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifier.training.splits import DEFAULT_DATA_DIR
from classifier.training.url import SHIPPED_DESIGN, UrlDesign, url_training_run

__all__ = ["DESIGNS", "main", "summary_row"]

#: Designs compared, by name: before (benign names from UT1's ordinary categories only), and
#: the shipped design (real benign site names and video sites added to the benign side).
DESIGNS: dict[str, UrlDesign] = {
    "before": UrlDesign(real_benign_names=False, video_benign=False),
    "shipped": SHIPPED_DESIGN,
}


def summary_row(report: dict[str, Any]) -> dict[str, Any]:
    """The figures a design is judged by, at the child preset, from a training report."""
    rights = report["rights_sensitive"].values()
    hosts = sum(row["hosts"] for row in rights)
    blocked = sum(row["model_blocked"]["child"] * row["hosts"] for row in rights)
    names = report["benign_names"]
    row: dict[str, Any] = {
        "block_floor": report["block_floor"],
        "held_out_split_caught": report["held_out_split"]["harmful_caught_right_category"]["child"],
        "infrastructure_blocked": report["infrastructure"]["model_blocked"]["child"],
        "rights_sensitive_blocked": round(blocked / hosts, 4) if hosts else 0.0,
        "benign_names_blocked": names["model_blocked"]["child"],
        "benign_names_blocked_by_piece": {
            piece: f"{v['blocked_at_child']}/{v['names']}" for piece, v in names["by_piece"].items()
        },
    }
    for provider, fold in report.get("leave_one_provider_out", {}).items():
        row[f"{provider}: lists alone / lists + model"] = (
            f"{fold['lists_alone_caught']:.1%} / {fold['lists_and_model_caught']['child']:.1%}"
        )
    return row


def main(argv: Sequence[str] | None = None) -> int:
    """Train and measure every design; print one JSON row each; exit 2 on bad input."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, help="write every design's full report here")
    parser.add_argument("--no-folds", action="store_true", help="skip leave-one-provider-out")
    parser.add_argument("--only", choices=sorted(DESIGNS), action="append")
    args = parser.parse_args(argv)
    if not (args.data_dir / "lists").is_dir():
        print(f"error: {args.data_dir} has no lists/ folder", file=sys.stderr)
        return 2
    reports: dict[str, Any] = {}
    for name in args.only or DESIGNS:
        started = time.monotonic()
        _, report = url_training_run(
            args.data_dir, lambda _m: None, design=DESIGNS[name], folds=not args.no_folds
        )
        reports[name] = report
        row = {"design": name, "seconds": round(time.monotonic() - started), **summary_row(report)}
        print(json.dumps(row), flush=True)
    if args.out:
        args.out.write_text(json.dumps(reports, indent=1, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
