"""e2guardian / DansGuardian weighted phrase lists: parse, compile, score.

Households that ran e2guardian or DansGuardian already have these lists; Hearthguard reads
them from the user's own files at run time (they are GPL and are not shipped).

The format, one entry per line::

    #listcategory: "Pornography"          category of the entries that follow in this file
    < sex ><10>                            a phrase and its weight (spaces are literal: word edges)
    <breast>,<medical><-30>                a combination: counted when every part is on the page
    < slut ><10%>                          a weight relative to the naughtyness limit
    .Include</etc/e2guardian/lists/phraselists/pornography/weighted>   another file
    #.Include<...>                         disabled (a comment)

Scoring follows e2guardian: the text is lower-cased and its whitespace collapsed; every
phrase found adds its weight (``weightedphrasemode = 2``, the default: each phrase or
combination once per page; ``mode=1``: single phrases once per occurrence); a page whose
total exceeds the naughtyness limit is blocked, reported under the category that
contributed most.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import ahocorasick

from classifier.categories import BENIGN, canonical

__all__ = [
    "DEFAULT_NAUGHTYNESS_LIMIT",
    "ParsedPhraseList",
    "PhraseScore",
    "PhraseScorer",
    "WeightedPhrase",
    "compile_phrases",
    "load_weighted_phrases",
    "parse_weighted_phrase_list",
]

#: e2guardian's limit for young children (its example filter group uses 50; 100 for older
#: children, 160 for adults).
DEFAULT_NAUGHTYNESS_LIMIT = 50

_ENTRY = re.compile(r"^((?:<[^<>]*>\s*,\s*)*<[^<>]*>)\s*<\s*(-?\d+)\s*(%?)\s*>\s*(?:#.*)?$")
_PART = re.compile(r"<([^<>]*)>")
_INCLUDE = re.compile(r"^\.include\s*<([^<>]+)>", re.I)
_CATEGORY = re.compile(r'^#\s*listcategory\s*:\s*["\']?([^"\']*)', re.I)
_LANGUAGE_SUFFIX = re.compile(r"\s*\([^)]*\)\s*$")
_WHITESPACE = re.compile(r"\s+")
_MAX_INCLUDE_DEPTH = 16
_MAX_FILE_BYTES = 16 * 1024 * 1024
_LEGACY_CODECS = (("koi8", "koi8-r"), ("1251", "cp1251"), ("big5", "big5"), ("gb2312", "gb2312"))


@dataclass(frozen=True, slots=True)
class WeightedPhrase:
    """One weighted entry: all ``parts`` must occur; ``weight`` may be negative."""

    parts: tuple[str, ...]
    weight: int
    category: str
    source: str


@dataclass(frozen=True, slots=True)
class ParsedPhraseList:
    """What a phrase list and its includes contained, and what could not be read."""

    phrases: tuple[WeightedPhrase, ...]
    files: tuple[str, ...]
    bad_lines: tuple[str, ...]  # "file:line: text"
    missing_includes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PhraseScore:
    """The outcome of scoring one text."""

    total: int
    by_category: Mapping[str, int]
    matched: tuple[tuple[str, int], ...]  # (phrase as written, weight), in list order

    def category(self, limit: int = DEFAULT_NAUGHTYNESS_LIMIT) -> str:
        """The category that contributed most, if ``total`` exceeds ``limit``; else benign."""
        if self.total <= limit:
            return BENIGN
        positive = [(weight, name) for name, weight in self.by_category.items() if weight > 0]
        return max(positive)[1] if positive else BENIGN

    def blocked(self, limit: int = DEFAULT_NAUGHTYNESS_LIMIT) -> bool:
        """True when e2guardian would block the page at this naughtyness limit."""
        return self.total > limit


@dataclass(frozen=True)
class PhraseScorer:
    """Weighted phrases compiled into one Aho-Corasick automaton; immutable once built."""

    phrases: tuple[WeightedPhrase, ...]
    _automaton: ahocorasick.Automaton = field(repr=False)
    # part index -> indexes of phrases that use it
    _users: tuple[tuple[int, ...], ...] = field(repr=False)

    def score(self, text: str, *, mode: int = 2) -> PhraseScore:
        """Score ``text`` as e2guardian would (see the module docstring for ``mode``)."""
        if not self.phrases or not text:
            return PhraseScore(0, MappingProxyType({}), ())
        normalised = " " + _WHITESPACE.sub(" ", text.lower()) + " "
        counts: dict[int, int] = {}
        for _end, part in self._automaton.iter(normalised):
            counts[part] = counts.get(part, 0) + 1
        candidates = sorted({p for part in counts for p in self._users[part]})
        total = 0
        by_category: dict[str, int] = {}
        matched: list[tuple[str, int]] = []
        for index in candidates:
            phrase = self.phrases[index]
            part_ids = [self._part_id(part) for part in phrase.parts]
            if not all(pid in counts for pid in part_ids):
                continue
            times = counts[part_ids[0]] if mode == 1 and len(part_ids) == 1 else 1
            gained = phrase.weight * times
            total += gained
            by_category[phrase.category] = by_category.get(phrase.category, 0) + gained
            matched.append((",".join(f"<{p}>" for p in phrase.parts), phrase.weight))
        return PhraseScore(total, MappingProxyType(by_category), tuple(matched))

    def _part_id(self, part: str) -> int:
        return self._automaton.get(part)


def compile_phrases(phrases: Iterable[WeightedPhrase]) -> PhraseScorer:
    """Compile phrases into a ``PhraseScorer`` (duplicates are kept, as e2guardian sums them)."""
    phrase_tuple = tuple(phrases)
    automaton = ahocorasick.Automaton()
    part_ids: dict[str, int] = {}
    users: list[list[int]] = []
    for index, phrase in enumerate(phrase_tuple):
        for part in phrase.parts:
            if part not in part_ids:
                part_ids[part] = len(part_ids)
                users.append([])
                automaton.add_word(part, part_ids[part])
            users[part_ids[part]].append(index)
    if part_ids:
        automaton.make_automaton()
    return PhraseScorer(phrase_tuple, automaton, tuple(tuple(u) for u in users))


def parse_weighted_phrase_list(
    path: Path, *, naughtyness_limit: int = DEFAULT_NAUGHTYNESS_LIMIT
) -> ParsedPhraseList:
    """Read a weighted phrase list and every file it ``.Include``s, recursively.

    An include path is looked up inside the directory tree of ``path`` first (the part after
    ``/lists/``, so a copied ``/etc/e2guardian/lists`` works anywhere), then as written.
    Unreadable includes and malformed lines are reported, never fatal; a missing top-level
    file raises ``FileNotFoundError``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no weighted phrase list at {path}")
    state = _ParseState(root=path.parent, limit=naughtyness_limit)
    state.read(path, depth=0)
    return ParsedPhraseList(
        tuple(state.phrases),
        tuple(state.files),
        tuple(state.bad_lines),
        tuple(state.missing),
    )


def load_weighted_phrases(
    path: Path, *, naughtyness_limit: int = DEFAULT_NAUGHTYNESS_LIMIT
) -> tuple[PhraseScorer, ParsedPhraseList]:
    """Parse ``path`` (with its includes) and compile it; return the scorer and the report."""
    parsed = parse_weighted_phrase_list(path, naughtyness_limit=naughtyness_limit)
    return compile_phrases(parsed.phrases), parsed


def _category_name(raw: str) -> str:
    name = _LANGUAGE_SUFFIX.sub("", raw.strip().lstrip("\ufeff")).strip()
    return canonical(name) if name else "weighted phrases"


def _decode_list(data: bytes, path: Path) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        lowered = str(path).lower()
        for hint, codec in _LEGACY_CODECS:
            if hint in lowered:
                return data.decode(codec, "replace")
        return data.decode("latin-1")


@dataclass
class _ParseState:
    """Accumulates one parse; private and short-lived (one call of the parser)."""

    root: Path
    limit: int
    phrases: list[WeightedPhrase] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    bad_lines: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)

    def resolve(self, include: str) -> Path | None:
        include = include.strip()
        candidates: list[Path] = []
        marker = "/lists/"
        if marker in include:
            candidates.append(self.root / include.rsplit(marker, 1)[1])
        candidates += [self.root / include.lstrip("/"), Path(include)]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        return None

    def read(self, path: Path, depth: int) -> None:
        resolved = path.resolve()
        if resolved in self.seen or depth > _MAX_INCLUDE_DEPTH:
            return
        self.seen.add(resolved)
        try:
            with path.open("rb") as handle:
                data = handle.read(_MAX_FILE_BYTES + 1)
        except OSError as error:
            self.missing.append(f"{path}: {error.strerror or error}")
            return
        if len(data) > _MAX_FILE_BYTES:
            self.bad_lines.append(f"{path}: larger than {_MAX_FILE_BYTES} bytes, rest ignored")
            data = data[:_MAX_FILE_BYTES]
        self.files.append(str(path))
        category = _category_name(path.parent.name)
        for number, raw in enumerate(_decode_list(data, path).splitlines(), start=1):
            line = raw.strip().lstrip("\ufeff")
            if not line:
                continue
            if line.startswith("#"):
                found = _CATEGORY.match(line)
                if found:
                    category = _category_name(found.group(1))
                continue
            include = _INCLUDE.match(line)
            if include:
                target = self.resolve(include.group(1))
                if target is None:
                    self.missing.append(f"{path}:{number}: {include.group(1)}")
                else:
                    self.read(target, depth + 1)
                continue
            entry = self.parse_entry(line, category, f"{path.name}:{number}")
            if entry is None:
                self.bad_lines.append(f"{path}:{number}: {line[:120]}")
            else:
                self.phrases.append(entry)

    def parse_entry(self, line: str, category: str, source: str) -> WeightedPhrase | None:
        found = _ENTRY.match(line)
        if not found:
            return None
        parts = tuple(_WHITESPACE.sub(" ", p.lower()) for p in _PART.findall(found.group(1)))
        if not parts or any(not part.strip() for part in parts):
            return None
        weight = int(found.group(2))
        if found.group(3):
            weight = weight * self.limit // 100
        return WeightedPhrase(parts, weight, category, source)
