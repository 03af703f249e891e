"""The chat model: what it reads of a message, and how it scores it (numpy only).

Word and character-n-gram TF-IDF of normalised text (``classifier.models.chattext``) and a
logistic regression -> ``abusive`` or ``ok``, stored as vocabularies and weights and run with
compact numpy tables (``classifier.models.grams``). Word lists are stored packed (`pack_words`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, cast

import numpy as np

from classifier.models.chattext import CHAR_GRAM_RANGE, chat_features
from classifier.models.grams import GramTable, WordTable, packed_words_array
from classifier.models.verdicts import ABUSIVE, OK, ChatVerdict

__all__ = [
    "CHAT_MAX_CHARS",
    "ChatModel",
    "build_chat_model",
    "chat_model_features",
    "chat_model_input",
    "pack_words",
    "repair_mojibake",
    "unpack_words",
]


_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
    "\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]{1,3}"
)


def _mojibake_bytes(text: str) -> bytes | None:
    out = bytearray()
    for ch in text:
        code = ord(ch)
        if code < 256:
            out.append(code)
            continue
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            return None
    return bytes(out)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as cp1252/Latin-1 (``Weâ€™ve`` -> ``We’ve``).

    Only sequences that decode as valid UTF-8 are replaced, so correct text is unchanged.
    HTML entities left by Twitter exports (``&amp;``) are unescaped too.
    """

    def fix(match: re.Match[str]) -> str:
        raw = _mojibake_bytes(match.group(0))
        if raw is None:
            return match.group(0)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return match.group(0)

    repaired = _MOJIBAKE.sub(fix, text)
    return html.unescape(repaired)


_MENTION = re.compile(r"@\w+")


_LINK = re.compile(r"https?://\S+|www\.\S+")


_RETWEET = re.compile(r"^\s*(rt\s+)?(@\w+:?\s*)+", re.I)


def chat_model_input(text: str) -> str:
    """The text the chat model reads (in training and prediction alike): mojibake repaired,
    links replaced by ``URL``, @mentions by ``@user``, a leading ``RT @name:`` removed,
    whitespace collapsed."""
    text = repair_mojibake(text)
    text = _RETWEET.sub("", text)
    text = _LINK.sub(" URL ", text)
    text = _MENTION.sub("@user", text)
    return " ".join(text.split())


#: The chat model reads at most this many characters of a message.
CHAT_MAX_CHARS = 1000


def chat_model_features(text: str, *, lexicon: bool = True) -> tuple[list[str], str]:
    """What the chat model reads of one message, in training and prediction alike: its
    word features and its normalised text (``classifier.models.chattext``), taken from
    ``chat_model_input`` of the first ``CHAT_MAX_CHARS`` characters."""
    return chat_features(chat_model_input(text[:CHAT_MAX_CHARS]), lexicon=lexicon)


@dataclass(frozen=True)
class ChatModel:
    """Chat text -> ``ChatVerdict`` (``abusive`` / ``ok``), with numpy only.

    A logistic regression over two TF-IDF branches of binary features of
    ``chat_model_features``: word unigrams, bigrams and lexicon features (looked up in a
    ``WordTable``), and character n-grams within words (found with a ``GramTable``). Each
    branch is L2-normalised over the features of its vocabulary that are present, as in
    training. Optionally the lexicon features form a third, unnormalised branch, and one
    more feature says whether a word annotators often marked as the abuse is present.
    ``threshold`` is the shipped threshold chosen on left-out sources (metadata
    ``default_threshold``). Built by ``build_chat_model``.
    """

    n_words: int  # word features: columns 0 .. n_words - 1
    n_chars: int  # character n-grams: the next n_chars columns
    lexicon_names: tuple[str, ...]  # lexicon features with a branch of their own, if any
    # per feature: idf * weight (what it adds to the score) and idf ** 2 (its share of the
    # branch's norm); word features first, then character n-grams, then lexicon features
    # (which add scale * weight and are not normalised)
    contribution: np.ndarray
    norm_share: np.ndarray
    intercept: float
    metadata: MappingProxyType[str, Any]
    threshold: float
    _words: WordTable = field(repr=False)  # words and own-branch lexicon features -> column
    _chars: GramTable = field(repr=False)  # character n-grams -> column
    _lexicon: bool = True
    # words annotators often marked as the abuse: present at all -> ``marked_contribution``
    marked_words: frozenset[str] = frozenset()
    marked_contribution: float = 0.0

    def _columns(self, text: str) -> tuple[tuple[list[int], list[int], list[int]], bool]:
        """The word, character and own-branch lexicon feature columns present in ``text``
        (indexes into ``contribution``), and whether a marked word is present."""
        words, normalised = chat_model_features(text, lexicon=self._lexicon)
        found = [i for i in self._words.columns_of(words) if i is not None]
        lexicon_start = self.n_words + self.n_chars
        word_columns = [i for i in found if i < lexicon_start]
        lexicon_columns = [i for i in found if i >= lexicon_start]
        char_columns = self._chars.columns(" " + normalised + " ").tolist()
        marked = bool(self.marked_words) and not self.marked_words.isdisjoint(words)
        return (word_columns, char_columns, lexicon_columns), marked

    def _name(self, column: int) -> str:
        if column < self.n_words:
            return self._words.word(column)
        if column < self.n_words + self.n_chars:
            return self._chars.gram(column)
        return self.lexicon_names[column - self.n_words - self.n_chars]

    def _norms(self, columns: list[int], normalised: bool) -> tuple[np.ndarray, float]:
        index = np.asarray(columns, dtype=np.int64)
        if not normalised:
            return index, 1.0
        return index, float(np.sqrt(self.norm_share[index].sum(dtype=np.float64)))

    def _logit(self, text: str) -> float:
        branches, marked = self._columns(text)
        logit = self.intercept + (self.marked_contribution if marked else 0.0)
        for branch, columns in enumerate(branches):
            if columns:
                index, norm = self._norms(columns, branch < 2)
                logit += float(self.contribution[index].sum(dtype=np.float64)) / norm
        return logit

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(abusive) per text."""
        if not texts:
            return np.empty(0)
        logits = np.fromiter((self._logit(t) for t in texts), dtype=np.float64, count=len(texts))
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -500, 500)))

    def predict(self, texts: Sequence[str]) -> list[ChatVerdict]:
        """One verdict per text; ``label`` is ``abusive`` when P(abusive) >= ``threshold``."""
        return [
            ChatVerdict(ABUSIVE if p >= self.threshold else OK, round(float(p), 4))
            for p in self.predict_proba(texts)
        ]

    def explain(self, text: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` features of ``text`` (words, word pairs, lexicon features, character
        n-grams) that added most to its score, with what each added."""
        found: list[tuple[str, float]] = []
        branches, marked = self._columns(text)
        for branch, columns in enumerate(branches):
            if not columns:
                continue
            index, norm = self._norms(columns, branch < 2)
            found += [(self._name(int(i)), float(self.contribution[i]) / norm) for i in index]
        if marked:
            found.append(("(a word often marked as abuse)", self.marked_contribution))
        found.sort(key=lambda item: -item[1])
        return [(name.strip(), round(value, 4)) for name, value in found[:k] if value > 0]


def build_chat_model(table: dict[str, Any], metadata: dict[str, Any]) -> ChatModel:
    """Compile a chat model table (``kind`` ``"chat-tfidf"``: ``words`` and ``chars``
    vocabularies with their ``idf`` and ``coef``, an ``intercept``, the ``char_range`` and
    whether ``lexicon`` features are used) into a ``ChatModel``; the threshold is metadata
    ``default_threshold``. Raises ``ValueError`` when the table is anything else or its
    shapes disagree."""
    if table.get("kind") != "chat-tfidf":
        raise ValueError("model file does not hold a chat model table")
    branches = []
    for name in ("words", "chars"):
        branch = table[name]
        idf = np.asarray(branch["idf"], dtype=np.float64)
        coef = np.asarray(branch["coef"], dtype=np.float64)
        if idf.shape != coef.shape or idf.ndim != 1:
            raise ValueError(f"chat model {name}: idf and weights disagree")
        # duplicates are refused by the tables built below; character n-grams are read
        # into one str array (100,000 of them as Python strings take 6 MiB while loading)
        if name == "words":
            vocabulary: list[str] | np.ndarray = unpack_words(branch["vocabulary"], len(idf))
        else:
            vocabulary = _words_array(branch["vocabulary"], len(idf))
        branches.append((vocabulary, idf, coef))
    (word_list, word_idf, word_coef), (char_array, char_idf, char_coef) = branches
    words, chars = cast(list[str], word_list), cast(np.ndarray, char_array)
    low, high = (int(n) for n in table["char_range"])
    if (low, high) != CHAR_GRAM_RANGE:
        raise ValueError(f"chat model character n-grams {low}-{high} are not {CHAR_GRAM_RANGE}")
    lengths = np.char.str_len(chars) if len(chars) else np.array([low])
    points = chars.view(np.uint32).reshape(len(chars), -1) if len(chars) else np.empty((0, 1))
    inside = np.arange(1, points.shape[1])  # a space only as an n-gram's first or last
    inner_space = bool(((points[:, 1:] == 32) & (inside < lengths[:, None] - 1)).any())
    if lengths.min() < low or lengths.max() > high or inner_space:
        raise ValueError("chat model character n-grams do not match their n-gram range")
    del points
    own = table.get("lexicon_branch") or {"vocabulary": [], "scale": [], "coef": []}
    marked = table.get("marked_words") or {}
    lexicon = np.asarray(unpack_words(own["vocabulary"]), dtype=str)
    scale = np.asarray(own["scale"], dtype=np.float64)
    lexicon_coef = np.asarray(own["coef"], dtype=np.float64)
    if not (lexicon.shape == scale.shape == lexicon_coef.shape) or set(lexicon.tolist()) & set(
        words
    ):
        raise ValueError("chat model lexicon branch disagrees with itself or the words")
    idf = np.concatenate([word_idf, char_idf, np.zeros(len(lexicon))])
    contribution = np.concatenate(
        [word_idf * word_coef, char_idf * char_coef, scale * lexicon_coef]
    )
    norm_share = idf * idf
    for array in (contribution, norm_share):
        array.setflags(write=False)
    char_table = GramTable(chars, range(len(words), len(words) + len(chars)), low, high)
    lexicon_names = tuple(str(name) for name in lexicon)
    start = len(words) + len(chars)
    word_table = WordTable(
        [*words, *lexicon_names], [*range(len(words)), *range(start, start + len(lexicon_names))]
    )
    return ChatModel(
        len(words),
        len(chars),
        lexicon_names,
        contribution,
        norm_share,
        float(np.asarray(table["intercept"], dtype=np.float64).reshape(-1)[0]),
        MappingProxyType(dict(metadata)),
        float(metadata.get("default_threshold", 0.5)),
        word_table,
        char_table,
        bool(table["lexicon"]),
        frozenset(np.asarray(marked.get("words", [])).astype(str).tolist()),
        float(marked.get("contribution", 0.0)),
    )


def _words_array(stored: Any, count: int) -> np.ndarray:
    """The words ``pack_words`` stored (or a str array) as a numpy str array; there must be
    ``count`` of them. Raises ``ValueError`` otherwise."""
    array = np.asarray(stored)
    if array.dtype == np.uint8 and array.ndim == 1:
        array = packed_words_array(array.tobytes())
    elif array.dtype.kind != "U" or array.ndim != 1:
        raise ValueError(f"words stored as {array.dtype} {array.shape}")
    if len(array) != count:
        raise ValueError(f"{len(array)} words stored where {count} are expected")
    return array


def pack_words(words: Sequence[str]) -> np.ndarray:
    """Words stored compactly: their UTF-8 bytes joined by newlines, as a ``uint8`` array (a
    numpy str array is as wide as its longest word). Words must not hold a newline."""
    if any("\n" in word for word in words):
        raise ValueError("a word to pack holds a newline")
    return np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8).copy()


def unpack_words(stored: Any, count: int | None = None) -> list[str]:
    """The words ``pack_words`` stored (a str array is accepted as it is); ``count``, when
    given, is how many there must be. Raises ``ValueError`` otherwise."""
    array = np.asarray(stored)
    if array.dtype.kind == "U":
        words = [str(word) for word in array.tolist()]
    elif array.dtype == np.uint8 and array.ndim == 1:
        words = array.tobytes().decode("utf-8").split("\n") if array.size else []
    else:
        raise ValueError(f"words stored as {array.dtype} {array.shape}")
    if count is not None and len(words) != count:
        raise ValueError(f"{len(words)} words stored where {count} are expected")
    return words
