"""A household's own e2guardian / DansGuardian weighted phrase lists, as a second signal for
the content scan.

Parents who ran e2guardian import their ``weightedphraselist`` once; its phrases (with every
included file) are kept, already parsed, in ``<data>/phrases.json`` — the lists themselves
are GPL and never ship with Hearthguard. The content scan then adds up a page's phrase
weights as e2guardian does and blocks above the profile's naughtiness limit, using
e2guardian's usual limits: 50 for young children, 100 for older children, 160 for teens.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from classifier.files import atomic_write_text
from classifier.lists.phrases import (
    ParsedPhraseList,
    PhraseScorer,
    WeightedPhrase,
    compile_phrases,
    parse_weighted_phrase_list,
)
from policy.datadir import DataDir
from policy.validate import InputError

__all__ = [
    "PHRASE_LIMITS",
    "PhraseListInfo",
    "import_phrase_list",
    "load_phrase_scorer",
    "phrase_limit",
    "phrases_file",
    "remove_phrase_list",
]

#: e2guardian's customary naughtiness limits, by Hearthguard preset.
PHRASE_LIMITS = {"young": 50, "child": 100, "teen": 160, "adult": 160}
#: ``%`` weights are resolved against this limit when the list is imported.
_PERCENT_BASE = 100


@dataclass(frozen=True)
class PhraseListInfo:
    source: str
    imported_at: str
    phrases: int


def phrase_limit(preset: str) -> int:
    return PHRASE_LIMITS.get(preset, PHRASE_LIMITS["child"])


def phrases_file(data: DataDir) -> Path:
    return data.root / "phrases.json"


def import_phrase_list(data: DataDir, source: Path) -> ParsedPhraseList:
    """Parse ``source`` (and its includes) and keep its phrases; refuses a list with none.

    Bad lines and missing includes are reported in the result, never fatal.
    """
    try:
        parsed = parse_weighted_phrase_list(Path(source), naughtyness_limit=_PERCENT_BASE)
    except FileNotFoundError as exc:
        raise InputError("path", str(exc)) from None
    if not parsed.phrases:
        raise InputError("path", f"{source} holds no weighted phrases; nothing was changed.")
    document = {
        "source": str(Path(source).resolve()),
        "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "phrases": [[list(p.parts), p.weight, p.category] for p in parsed.phrases],
    }
    atomic_write_text(phrases_file(data), json.dumps(document, ensure_ascii=False))
    return parsed


def remove_phrase_list(data: DataDir) -> bool:
    try:
        phrases_file(data).unlink()
    except FileNotFoundError:
        return False
    return True


def load_phrase_scorer(
    data: DataDir,
) -> tuple[PhraseScorer | None, PhraseListInfo | None, str | None]:
    """The imported phrases compiled for scoring, what they are, or why they cannot be used."""
    path = phrases_file(data)
    if not path.exists():
        return None, None, None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        phrases = [
            WeightedPhrase(tuple(str(part) for part in parts), int(weight), str(category), "")
            for parts, weight, category in document["phrases"]
        ]
        info = PhraseListInfo(str(document["source"]), str(document["imported_at"]), len(phrases))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return (
            None,
            None,
            (f"The imported phrase list {path} is unreadable ({exc}); import it again."),
        )
    return compile_phrases(phrases), info, None
