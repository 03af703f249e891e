"""Training items and how they are split: one seed, held-out shares by group.

An `Example` is one labelled item; items sharing a ``group`` (a registered domain, a tweet, a
normalised chat text) always land on the same side of a split, so a held-out figure never
measures an item the model saw in another form.
"""

from __future__ import annotations

import hashlib
import re
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
    "registered_domain",
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


_GENERIC_SLD = frozenset({
    "co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "mil", "nic", "ltd",
    "plc", "sch", "nhs", "police", "gouv", "asso", "info", "biz", "web", "nom", "gv",
})  # fmt: skip
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def registered_domain(host_or_url: str) -> str:
    """The registered domain of a host (``a.b.example.co.uk`` -> ``example.co.uk``).

    A cheap rule, good enough to keep related hosts on one side of a split: the last two
    labels, or three when the second-level label is a generic one under a two-letter
    country code (``co.uk``, ``com.au``...). IP addresses are their own group.
    """
    host = host_or_url.split("/", 1)[0].split(":", 1)[0].strip(".").lower()
    if _IPV4.match(host):
        return host
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _GENERIC_SLD:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])
