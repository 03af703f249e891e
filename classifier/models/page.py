"""The page model: a table of weighted word n-grams learned by an L1 logistic regression,
compiled at load time into one Aho-Corasick automaton, so a 64 KB page is scored at C speed.

``page_ngrams`` is the analyzer it is trained with and exactly what the automaton finds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from types import MappingProxyType
from typing import Any

import ahocorasick
import ahocorasick_rs
import numpy as np

from classifier.categories import BENIGN
from classifier.models.verdicts import Verdict, softmax, target_and_benign, verdicts_of

__all__ = [
    "PageModel",
    "build_page_model",
    "WordStartPhrases",
    "page_ngrams",
    "page_phrase_bytes",
    "page_phrase_text",
]


# Page text: everything that is not an ASCII letter or digit becomes a word edge; bytes of
# non-ASCII letters (UTF-8, >= 0x80) stay part of words.
_WORD_EDGES = bytes(c if (48 <= c <= 57 or 97 <= c <= 122 or c >= 128) else 32 for c in range(256))


# The same for ASCII text that is not lower-cased yet: A-Z become a-z in the same pass.
_ASCII_WORD_EDGES = bytes(c + 32 if 65 <= c <= 90 else _WORD_EDGES[c] for c in range(256))


_SECOND = itemgetter(1)


def page_phrase_bytes(text: str) -> bytes:
    """Normalise page text for phrase matching: lower-cased UTF-8, every ASCII
    non-alphanumeric character turned into a space, padded with one space at each end."""
    padded = f" {text} "  # one copy; a space stays a space
    if text.isascii():  # most pages: lower-casing is part of the one translation
        return padded.encode("ascii").translate(_ASCII_WORD_EDGES)
    return padded.lower().encode("utf-8", "replace").translate(_WORD_EDGES)


def page_phrase_text(text: str) -> str:
    """``page_phrase_bytes`` seen as Latin-1 characters (so it stays a ``str`` while the
    translation runs at byte speed); phrases are stored in the same form."""
    return page_phrase_bytes(text).decode("latin-1")


def page_ngrams(text: str, max_n: int = 2) -> list[str]:
    """The word n-grams (1..``max_n``) of ``text`` as phrase keys (``" w1 w2 "``).

    Words are runs of ASCII letters/digits or non-ASCII bytes; n-grams never cross
    punctuation (two word edges in a row). This is the analyzer the page model is trained
    with, and exactly what the Aho-Corasick matcher finds at prediction time.
    """
    grams: list[str] = []
    for run in page_phrase_text(text).split("  "):
        words = run.split()
        for n in range(1, max_n + 1):
            for i in range(len(words) - n + 1):
                grams.append(" " + " ".join(words[i : i + n]) + " ")
    return grams


def _readable_phrase(key: str) -> str:
    return key.strip().encode("latin-1").decode("utf-8", "replace")


class WordStartPhrases:
    """Which of a few phrases (``" w1 w2 "``, indexes into the model's table) a page holds.

    Every phrase starts with a space, so every word of a page would start a match in an
    automaton of the phrases as they are. This one (a DFA over bytes) holds them without
    that space and keeps a match only where a space comes before it: the same phrases are
    found, about four times as fast on a 60 KB page, which is what lets most pages (those
    with too few strong phrases for any category) be passed after one quick read.
    """

    def __init__(self, phrases: tuple[str, ...], indexes: Sequence[int]) -> None:
        self._indexes = np.asarray(indexes, dtype=np.int64)
        self._automaton = (
            ahocorasick_rs.BytesAhoCorasick(
                [phrases[i][1:].encode("latin-1") for i in self._indexes.tolist()],
                implementation=ahocorasick_rs.Implementation.DFA,
            )
            if len(self._indexes)
            else None
        )

    def found(self, data: bytes) -> np.ndarray:
        """Indexes of the distinct phrases in ``data`` (``page_phrase_bytes`` of a page)."""
        if self._automaton is None:
            return np.empty(0, dtype=np.int64)
        matches = self._automaton.find_matches_as_indexes(data, overlapping=True)
        hits = {pattern for pattern, start, _end in matches if data[start - 1] == 32}
        return self._indexes[sorted(hits)]


@dataclass(frozen=True)
class PageModel:
    """Page text -> ``Verdict`` by learned weighted phrases (word 1- and 2-grams).

    A page's class scores are the intercepts plus the weights of every distinct phrase
    present (presence, not counts, so filler length does not dilute a page's worst lines).

    Two kinds of table:

    - calibrated evidence model (``calibration`` set; what ``python -m classifier.training``
      ships): one score per harmful category. Only *evidence* counts for a category: a
      phrase whose weight for it is at least ``evidence_floor``; weakly positive phrases
      (shop, price, best...) are ignored, negative ones (benign context) always count. A
      category is possible only when at least ``min_phrases`` distinct evidence phrases
      are on the page (phrases sharing a ``stems`` id, such as a word and its plural, count
      once, by the strongest); its probability is then the Platt-calibrated score
      ``1 / (1 + exp(-(a * score + b)))``, else 0. ``benign`` is one minus the largest.
    - plain softmax model (no ``calibration``): a softmax over the class scores.
    """

    phrases: tuple[str, ...]
    weights: np.ndarray  # (n_phrases, n_classes)
    intercept: np.ndarray  # (n_classes,)
    class_names: tuple[str, ...]
    metadata: MappingProxyType[str, Any]
    _automaton: ahocorasick.Automaton = field(repr=False)
    calibration: np.ndarray | None = None  # (n_classes, 2): Platt (a, b) per class
    evidence_floor: float = 0.0
    min_phrases: int = 0
    stems: np.ndarray | None = None  # (n_phrases,): phrases with one id are one piece of evidence
    context_cap: np.ndarray | None = None  # (n_classes,): most the benign context may subtract
    # a calibrated model's evidence phrases only (negative or >= evidence_floor in a column):
    # the others add nothing to a verdict, and a smaller automaton scans a page faster
    _evidence_automaton: ahocorasick.Automaton | None = field(default=None, repr=False)
    # ... and of those, the strong phrases only (weight >= evidence_floor in some column):
    # they alone decide whether any category is possible on a page
    _strong_phrases: WordStartPhrases | None = field(default=None, repr=False)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.class_names

    def table(self) -> dict[str, Any]:
        """The phrase table this model was built from: ``build_page_model(model.table(),
        dict(model.metadata))`` is a model giving the same results (plain tuples, numbers and
        numpy arrays, so it can be sent to another process)."""
        return {
            "phrases": self.phrases,
            "weights": self.weights,
            "intercept": self.intercept,
            "classes": self.class_names,
            "stems": self.stems,
            "context_cap": self.context_cap,
            "calibration": self.calibration,
            "evidence_floor": self.evidence_floor,
            "min_phrases": self.min_phrases,
        }

    def matched_phrases(self, text: str) -> np.ndarray:
        """Indexes of the distinct model phrases present in ``text``."""
        return self._matches(self._automaton, text)

    def _matches(self, automaton: ahocorasick.Automaton, text: str) -> np.ndarray:
        if not self.phrases or not text:
            return np.empty(0, dtype=np.int64)
        return self._matches_in(automaton, page_phrase_text(text))

    @staticmethod
    def _matches_in(automaton: ahocorasick.Automaton, phrase_text: str) -> np.ndarray:
        found = set(map(_SECOND, automaton.iter(phrase_text)))
        return np.fromiter(found, dtype=np.int64, count=len(found))

    def logits(self, text: str) -> np.ndarray:
        """Class scores before the softmax."""
        found = self.matched_phrases(text)
        if found.size == 0:
            return self.intercept.astype(np.float64)
        return self.intercept + self.weights[found].sum(axis=0, dtype=np.float64)

    def evidence(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Per class: the evidence score (intercept, every negative weight, and the weights
        of at least ``evidence_floor``) and the number of distinct evidence phrases."""
        return self._evidence(self.matched_phrases(text))

    def _evidence(self, found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if found.size == 0:
            return self.intercept.astype(np.float64), np.zeros(len(self.class_names), np.int64)
        weights = self.weights[found].astype(np.float64)
        strong = weights >= self.evidence_floor
        if self.stems is None:
            counted = np.where((weights < 0) | strong, weights, 0.0)
            return self.intercept + counted.sum(axis=0), strong.sum(axis=0)
        # Phrases of one stem ("casino", "casinos") are one piece of evidence: the strongest
        # of them counts, once. Benign context subtracts at most ``context_cap``.
        context = np.where(weights < 0, weights, 0.0).sum(axis=0)
        if self.context_cap is not None:
            context = np.maximum(context, -self.context_cap)
        score = self.intercept + context
        count = np.zeros(len(self.class_names), dtype=np.int64)
        stems = self.stems[found]
        for column in np.flatnonzero(strong.any(axis=0)):
            rows = np.flatnonzero(strong[:, column])
            order = np.lexsort((-weights[rows, column], stems[rows]))
            ordered = stems[rows][order]
            first = np.r_[True, ordered[1:] != ordered[:-1]]
            score[column] += weights[rows, column][order][first].sum()
            count[column] = int(first.sum())
        return score, count

    def _calibrated(self, text: str, calibration: np.ndarray) -> np.ndarray:
        p = self._calibrated_or_none(text, calibration)
        return self._nothing_found() if p is None else p

    def _calibrated_or_none(self, text: str, calibration: np.ndarray) -> np.ndarray | None:
        """``_calibrated``, or None for a page with no possible category (most pages)."""
        if not self.phrases or not text:
            found = np.empty(0, dtype=np.int64)
            return self._probabilities(found, calibration)
        data = page_phrase_bytes(text)
        strong = self._strong_phrases
        if strong is not None:
            # Counts depend on the strong phrases alone: when no category has enough of
            # them, every category is 0 whatever else the page says (most pages), and the
            # larger automaton of benign context need not read it.
            found = strong.found(data)
            if found.size < self.min_phrases:
                return None  # too few in all, so too few in any category
            _score, count = self._evidence(found)
            if not (count >= self.min_phrases).any():
                return None
        automaton = self._evidence_automaton
        if automaton is None or not len(automaton):
            automaton = self._automaton
        return self._probabilities(self._matches_in(automaton, data.decode("latin-1")), calibration)

    def _probabilities(self, found: np.ndarray, calibration: np.ndarray) -> np.ndarray:
        """A calibrated model's probabilities for a page holding the phrases ``found``."""
        score, count = self._evidence(found)
        p = 1.0 / (1.0 + np.exp(-np.clip(calibration[:, 0] * score + calibration[:, 1], -500, 500)))
        p = np.where(count >= self.min_phrases, p, 0.0)
        if BENIGN in self.class_names:
            benign = self.class_names.index(BENIGN)
            p[benign] = 0.0
            p[benign] = 1.0 - p.max()
        return p

    def _nothing_found(self) -> np.ndarray:
        """A calibrated model's probabilities for a page with no possible category."""
        p = np.zeros(len(self.class_names))
        if BENIGN in self.class_names:
            p[self.class_names.index(BENIGN)] = 1.0
        return p

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per text, columns in ``classes`` order (for a
        calibrated evidence model: each harmful category's own calibrated probability, and
        benign one minus the largest)."""
        if not texts:
            return np.empty((0, len(self.class_names)))
        if self.calibration is not None:
            calibration = self.calibration
            return np.vstack([self._calibrated(t, calibration) for t in texts])
        return softmax(np.vstack([self.logits(t) for t in texts]))

    def predict(self, texts: Sequence[str]) -> list[Verdict]:
        """One verdict per text, in order."""
        calibration = self.calibration
        if calibration is None:
            return verdicts_of(self.predict_proba(texts), self.class_names)
        verdicts = []
        for text in texts:
            p = self._calibrated_or_none(text, calibration)
            if p is None:
                verdicts.append(self._nothing_verdict)
            else:
                verdicts.extend(verdicts_of(p[np.newaxis, :], self.class_names))
        return verdicts

    @cached_property
    def _nothing_verdict(self) -> Verdict:
        """The verdict on a page with no possible category, made once."""
        (verdict,) = verdicts_of(self._nothing_found()[np.newaxis, :], self.class_names)
        return verdict

    def explain(self, text: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` phrases present in ``text`` that pushed it hardest towards its most likely
        harmful category, relative to benign, with their weights."""
        found = self.matched_phrases(text)
        if found.size == 0:
            return []
        if self.calibration is not None:
            scores = self._calibrated(text, self.calibration)
        else:
            scores = self.logits(text)
        target, benign = target_and_benign(scores, self.class_names)
        weights = self.weights[found, target] - (
            self.weights[found, benign] if benign is not None else 0.0
        )
        if self.calibration is not None:
            # Only evidence phrases explain a calibrated model's verdict.
            weights = np.where(self.weights[found, target] >= self.evidence_floor, weights, 0.0)
        order = np.argsort(-weights)[:k]
        return [
            (_readable_phrase(self.phrases[found[i]]), round(float(weights[i]), 4))
            for i in order
            if weights[i] > 0
        ]


def build_page_model(table: dict[str, Any], metadata: dict[str, Any]) -> PageModel:
    """Compile a phrase table (``phrases``, ``weights``, ``intercept``, ``classes``) into a
    ``PageModel``. Raises ``ValueError`` when the table is inconsistent."""
    phrases = tuple(str(p) for p in table["phrases"])
    weights = np.asarray(table["weights"], dtype=np.float32)
    intercept = np.asarray(table["intercept"], dtype=np.float64)
    classes = tuple(str(c) for c in table["classes"])
    if weights.shape != (len(phrases), len(classes)) or intercept.shape != (len(classes),):
        raise ValueError(
            f"phrase table shapes disagree: {len(phrases)} phrases, {len(classes)} classes, "
            f"weights {weights.shape}, intercept {intercept.shape}"
        )
    if len(set(phrases)) != len(phrases):
        raise ValueError("phrase table has duplicate phrases")
    stems = None
    if table.get("stems") is not None:
        stems = np.asarray(table["stems"], dtype=np.int64)
        if stems.shape != (len(phrases),):
            raise ValueError(f"stems {stems.shape} do not fit {len(phrases)} phrases")
        stems.setflags(write=False)
    context_cap = None
    if table.get("context_cap") is not None:
        context_cap = np.asarray(table["context_cap"], dtype=np.float64)
        if context_cap.shape != (len(classes),):
            raise ValueError(f"context cap {context_cap.shape} does not fit {len(classes)} classes")
        context_cap.setflags(write=False)
    calibration = None
    if table.get("calibration") is not None:
        calibration = np.asarray(table["calibration"], dtype=np.float64)
        if calibration.shape != (len(classes), 2) or not np.isfinite(calibration).all():
            raise ValueError(f"calibration {calibration.shape} does not fit {len(classes)} classes")
        calibration.setflags(write=False)
    automaton = _automaton_of(phrases, np.ones((len(phrases), 1), dtype=bool))
    evidence_automaton = strong_phrases = None
    floor = float(table.get("evidence_floor", 0.0))
    if calibration is not None and phrases:
        evidence_automaton = _automaton_of(phrases, (weights < 0) | (weights >= floor))
        strong_phrases = WordStartPhrases(
            phrases, np.flatnonzero((weights >= floor).any(axis=1)).tolist()
        )
    weights.setflags(write=False)
    return PageModel(
        phrases,
        weights,
        intercept,
        classes,
        MappingProxyType(dict(metadata)),
        automaton,
        calibration,
        floor,
        int(table.get("min_phrases", 0)),
        stems,
        context_cap,
        evidence_automaton,
        strong_phrases,
    )


def _automaton_of(phrases: tuple[str, ...], chosen: np.ndarray) -> ahocorasick.Automaton:
    """An automaton of the phrases with ``chosen`` true in any column, by their index."""
    automaton = ahocorasick.Automaton()
    for index in np.flatnonzero(chosen.any(axis=1)).tolist():
        automaton.add_word(phrases[index], index)
    if len(automaton):
        automaton.make_automaton()
    return automaton
