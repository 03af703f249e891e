"""Measure the grooming signal (``policy.grooming``) on PAN 2012 predator-identification segments.

Research use only: the data are read at run time from ``../shared/data/research-only`` and
nothing of them is written anywhere. Each segment is one conversation flattened to a single
string (no speaker tags, no message boundaries), so every segment is scored as one window.
Prints recall on predatory segments and false alarms on the others for several thresholds,
and how often each cue family fires in each class.

    .venv/bin/python benchmarks/grooming_pan12.py [--data DIR]
"""

from __future__ import annotations

import argparse
import ast
import csv
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

from policy.grooming import CUES, GroomingRules, cues_in

DEFAULT = Path(__file__).resolve().parents[2] / "shared/data/research-only/pan12_grooming_vtpan_val"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    args = parser.parse_args()
    path = args.data / "val_seg_english.csv"
    if not path.is_file():
        print(f"no {path}", file=sys.stderr)
        return 2
    csv.field_size_limit(10**8)
    with path.open(encoding="utf-8", newline="") as f:
        rows = [(r["segment"], r["label"] == "1") for r in csv.DictReader(f)]
    found = [(cues_in(text), positive) for text, positive in rows]
    positives = sum(p for _c, p in found)
    negatives = len(found) - positives
    print(f"segments: {len(found)} ({positives} predatory, {negatives} other)")
    print("family        predatory  other")
    for family in CUES:
        pos = sum(1 for c, p in found if p and family in c)
        neg = sum(1 for c, p in found if not p and family in c)
        print(f"{family:12s}  {pos / positives:8.1%}  {neg / negatives:6.1%}")
    base = GroomingRules()
    for families in range(2, 7):
        rules = replace(base, families=families)
        tp = sum(1 for c, p in found if p and rules.raised(c))
        fp = sum(1 for c, p in found if not p and rules.raised(c))
        mark = "  <- shipped" if families == base.families else ""
        print(
            f"families >= {families}: recall {tp / positives:6.1%} ({tp}/{positives}), "
            f"false alarms {fp / negatives:6.1%} ({fp}/{negatives}){mark}"
        )
    sizes = Counter(len(c) for c, p in found if p)
    print("families per predatory segment:", dict(sorted(sizes.items())))
    german = args.data / "val_german_machine_translated.csv"
    if german.is_file():
        with german.open(encoding="utf-8", newline="") as f:
            rows_de = [
                (" ".join(ast.literal_eval(r["messages_de"])), r["label"] == "1")
                for r in csv.DictReader(f)
            ]
        found_de = [(cues_in(text), positive) for text, positive in rows_de]
        pos_de = sum(p for _c, p in found_de)
        neg_de = len(found_de) - pos_de
        tp = sum(1 for c, p in found_de if p and base.raised(c))
        fp = sum(1 for c, p in found_de if not p and base.raised(c))
        print(
            f"German (machine-translated) segments: {len(found_de)} ({pos_de} predatory): "
            f"recall {tp / pos_de:6.1%} ({tp}/{pos_de}), false alarms {fp / neg_de:6.1%} "
            f"({fp}/{neg_de}) at the shipped threshold"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
