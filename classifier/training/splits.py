"""Training items and how they are split: one seed, held-out shares by group.

An `Example` is one labelled item; items sharing a ``group`` (a registered domain, a tweet, a
normalised chat text) always land on the same side of a split, so a held-out figure never
measures an item the model saw in another form.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_DATA_DIR",
    "SEED",
    "TEST_SHARE",
    "Example",
    "group_split",
    "in_test_share",
]

SEED = 20240917
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"
TEST_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class Example:
    """One training or evaluation item."""

    text: str
    label: str
    group: str  # items sharing a group never straddle the train/test split
    source: str


def group_split(
    examples: Sequence[Example], test_share: float = TEST_SHARE, *, seed: int = SEED
) -> tuple[list[Example], list[Example]]:
    """Split by ``group``: every group lands wholly in train or wholly in test.

    Deterministic: a group's side depends only on a hash of (seed, group).
    """
    train: list[Example] = []
    test: list[Example] = []
    for example in examples:
        digest = hashlib.sha256(f"{seed}:{example.group}".encode()).digest()
        side = int.from_bytes(digest[:8], "big") / 2**64
        (test if side < test_share else train).append(example)
    return train, test


def in_test_share(group: str, seed: int) -> bool:
    """True when ``group`` falls in the test share (same rule as ``group_split``)."""
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < TEST_SHARE
