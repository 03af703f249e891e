"""What the page classifier learns from this household, kept in ``<data>/learning/``.

- ``examples.jsonl``: labelled page texts for ``hearthguard classifier retrain``, one
  ``{"text", "category", "source"}`` object per line (``classifier.household`` owns the format,
  the text cut and the cap; this module appends to the store and reads it through there).
  ``source`` is ``list:<category>`` for a page of a host a category list names (distant
  supervision) or ``parent:<verdict>`` for a parent's answer in the dashboard.
- ``review.jsonl``: pages the content scan blocked or nearly blocked, waiting for a parent to
  say whether the classifier was right. Answering one turns it into an example.

Texts are cut to ``classifier.household.MAX_TEXT_CHARS`` characters and both files are
capped; parents can turn the collection off (setting ``learning``), and review entries older
than the retention period are dropped. Appends are cheap (the proxy's writer thread adds
lines); the caps are enforced by rewriting the file atomically once it holds twice its cap.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from classifier import household
from classifier.categories import BENIGN, canonical
from classifier.files import atomic_file
from classifier.household import Example, example_row

__all__ = [
    "Learning",
    "MAX_REVIEW",
    "ReviewItem",
]

MAX_REVIEW = 300


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A scanned page for a parent to judge: ``blocked`` (by the scan) or ``uncertain``."""

    item_id: str
    at: str
    kind: str
    host: str
    url: str
    category: str
    score: float
    text: str
    device: str | None = None


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return rows
    with handle:
        for line in handle:
            try:
                row = json.loads(line)
            except ValueError:
                continue  # a torn or damaged line is skipped, never fatal
            if isinstance(row, dict):
                rows.append(row)
    return rows


def _rewrite(path: Path, rows: Iterable[dict[str, object]]) -> None:
    with atomic_file(path, "w") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


class Learning:
    """The household's example store and review queue (thread-safe within one process)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.examples_path = self.folder / "examples.jsonl"
        self.review_path = self.folder / "review.jsonl"
        self._lock = threading.Lock()

    def _append(self, path: Path, rows: list[dict[str, object]], cap: int) -> None:
        if not rows:
            return
        with self._lock:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            if path.stat().st_size > 2 * cap * 400:  # cheap check before counting lines
                kept = _read_jsonl(path)
                if len(kept) > 2 * cap:
                    _rewrite(path, kept[-cap:])

    def add_examples(self, examples: Iterable[Example]) -> None:
        """Append ``examples`` to the store in ``classifier.household``'s format (blank texts
        are dropped); the store keeps ``classifier.household.MAX_EXAMPLES``, the newest."""
        rows: list[dict[str, object]] = []
        for example in examples:
            row = example_row(example)
            if row is not None:
                rows.append(dict(row))
        self._append(self.examples_path, rows, household.MAX_EXAMPLES)

    def examples(self) -> list[Example]:
        """The newest ``classifier.household.MAX_EXAMPLES`` examples (damaged lines skipped)."""
        return household.read_examples(self.examples_path)[0]

    def add_review(
        self,
        *,
        at: datetime,
        kind: str,
        host: str,
        url: str,
        category: str,
        score: float,
        text: str,
        device: str | None,
    ) -> None:
        stamp = at.astimezone(UTC).isoformat(timespec="seconds")
        item = ReviewItem(
            secrets.token_hex(8),
            stamp,
            kind,
            host,
            url[:500],
            category,
            round(score, 4),
            text[: household.MAX_TEXT_CHARS],
            device,
        )
        self._append(self.review_path, [asdict(item)], MAX_REVIEW)

    def review_items(self) -> list[ReviewItem]:
        """Pages waiting for a parent, newest first (one per page address)."""
        seen: set[str] = set()
        items = []
        for row in reversed(_read_jsonl(self.review_path)[-MAX_REVIEW:]):
            try:
                item = ReviewItem(**row)  # type: ignore[arg-type]
            except TypeError:
                continue
            if item.url not in seen:
                seen.add(item.url)
                items.append(item)
        return items

    def answer_review(self, item_id: str, category: str, *, parent: str) -> ReviewItem | None:
        """Record a parent's verdict on a reviewed page (``benign`` or a category) as an
        example, and take the page (every entry with its address) off the queue."""
        with self._lock:
            rows = _read_jsonl(self.review_path)
            item = next((ReviewItem(**r) for r in rows if r.get("item_id") == item_id), None)  # type: ignore[arg-type]
            if item is None:
                return None
            _rewrite(self.review_path, [r for r in rows if r.get("url") != item.url])
        verdict = "right" if canonical(category) == item.category else "wrong"
        label = BENIGN if category == BENIGN else canonical(category)
        self.add_examples([Example(item.text, label, f"parent:{verdict}:{parent}")])
        return item

    def prune_review(self, older_than: datetime) -> None:
        cutoff = older_than.astimezone(UTC).isoformat(timespec="seconds")
        with self._lock:
            rows = _read_jsonl(self.review_path)
            kept = [r for r in rows if str(r.get("at", "")) >= cutoff]
            if len(kept) != len(rows):
                _rewrite(self.review_path, kept)
