"""``<data>/status.json``: what the running proxy could not load, for the dashboard to show.

The proxy keeps filtering with whatever it has (lists without classifiers, say); this file
is how parents learn about it without reading logs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from classifier.files import atomic_write_text
from policy.datadir import DataDir

__all__ = ["read_status", "write_status"]


def write_status(data: DataDir, *, problems: tuple[str, ...], models: dict[str, str]) -> None:
    atomic_write_text(
        data.root / "status.json",
        json.dumps(
            {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "problems": list(problems),
                "models": models,
            }
        ),
    )


def read_status(data: DataDir) -> dict[str, Any]:
    """The last status the proxy wrote (empty when it has not run or the file is damaged)."""
    try:
        status = json.loads((data.root / "status.json").read_text())
    except (OSError, ValueError):
        return {}
    return status if isinstance(status, dict) else {}
