"""Train and evaluate the chat model leave-one-source-out, against alt-profanity-check.

The chat model is a logistic regression over two TF-IDF branches of binary features of
``classifier.models.chat.chat_model_features`` (words, word pairs and lexicon features; character
n-grams within words). Every source in ``chat_data.TRAIN_SOURCES`` is left out in turn: a
model is trained on all the others (and the hand-written lines) and scores the one left out,
so each figure is a model's judgement of a platform it has never seen. The shipped threshold
is chosen on those left-out scores alone, for at most ``FALSE_ALARM_RATE`` of ok messages
flagged (sources weighing the same), and the evaluation-only sources (CONDA game chat, the
Jigsaw sample) are scored by the shipped model, which never saw them.

Features are extracted once for every message; each fold then keeps the vocabulary that its
training rows alone would give (document frequency in those rows) and computes IDF from
them, which is what fitting a vectoriser on the training rows does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from classifier.models.chat import chat_model_features, pack_words
from classifier.models.chattext import CHAR_GRAM_RANGE, chat_char_grams, normalise_chat
from classifier.training.chat_data import (
    ChatItem,
)
from classifier.training.splits import SEED

__all__ = [
    "DEFAULT_APC_PYTHON",
    "FALSE_ALARM_RATE",
    "ChatConfig",
    "ChatFeatures",
    "FittedChat",
    "SHIPPED_CONFIG",
    "Vocabulary",
    "chat_table",
    "featurise",
    "fit_chat",
    "fit_vocabulary",
    "marked_word_columns",
    "score_chat",
    "source_weights",
]


#: The share of ok messages the shipped threshold may flag on left-out sources.
FALSE_ALARM_RATE = 0.10
#: The python of a throwaway venv with alt-profanity-check (never a dependency).
DEFAULT_APC_PYTHON = Path("/tmp/apc-venv/bin/python")


@dataclass(frozen=True)
class ChatConfig:
    """One design of the chat model (the variants compared leave-one-source-out)."""

    lexicon: bool = True
    chars: bool = True
    word_min_df: int = 2
    word_max_features: int = 60_000
    char_min_df: int = 3
    char_max_features: int = 120_000
    c: float = 1.0
    balance: float = 0.5  # 0: items count alike; 1: every (source, label) cell weighs the same
    min_sources: int = 1  # a feature must occur in this many training sources
    lexicon_scale: float = 0.0  # > 0: lexicon features form their own unnormalised branch
    # > 0: one more feature, "a word annotators often mark as the abuse is present"; the
    # words come from the training rows' marked spans and rationales (HateXplain, Toxic Spans)
    marked_scale: float = 0.0
    marked_min_items: int = 3
    marked_min_share: float = 0.2
    identity_classes: bool = False  # cyberbullying's keyword-collected classes as abusive
    hand_written: bool = True


@dataclass(frozen=True)
class ChatFeatures:
    """Binary feature matrices of a list of messages, and the names of their columns."""

    words: sparse.csr_matrix
    word_names: list[str]
    chars: sparse.csr_matrix
    char_names: list[str]


@dataclass(frozen=True)
class Vocabulary:
    """The columns of a feature matrix a model keeps, with their IDF."""

    columns: np.ndarray
    idf: np.ndarray


_EMPTY = Vocabulary(np.empty(0, dtype=np.int64), np.empty(0))


@dataclass(frozen=True)
class FittedChat:
    """A trained chat model: vocabularies, IDF and weights of both branches."""

    words: Vocabulary
    chars: Vocabulary
    word_coef: np.ndarray
    char_coef: np.ndarray
    intercept: float
    # lexicon features in their own branch: binary values times ``lexicon.idf`` (the
    # scale), neither IDF-weighted nor normalised; empty when they are ordinary words
    lexicon: Vocabulary = field(default_factory=lambda: _EMPTY)
    lexicon_coef: np.ndarray = field(default_factory=lambda: np.empty(0))
    # word columns of the marked-word lexicon, its feature's value and weight
    marked_columns: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    marked_scale: float = 0.0
    marked_coef: float = 0.0


class _BinaryRows:
    """Builds a binary CSR matrix row by row, naming columns as they first appear."""

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.parts: list[np.ndarray] = []

    def add(self, names: Sequence[str]) -> None:
        vocabulary = self.vocabulary
        columns = np.fromiter(
            (vocabulary.setdefault(n, len(vocabulary)) for n in names),
            dtype=np.int32,
            count=len(names),
        )
        self.parts.append(np.unique(columns))

    def matrix(self) -> sparse.csr_matrix:
        indptr = np.zeros(len(self.parts) + 1, dtype=np.int64)
        np.cumsum([p.size for p in self.parts], out=indptr[1:])
        indices = np.concatenate(self.parts) if self.parts else np.empty(0, dtype=np.int32)
        data = np.ones(indices.size, dtype=np.float32)
        shape = (len(self.parts), len(self.vocabulary))
        return sparse.csr_matrix((data, indices, indptr), shape=shape)

    def names(self) -> list[str]:
        return sorted(self.vocabulary, key=self.vocabulary.__getitem__)


def featurise(
    texts: Sequence[str],
    *,
    lexicon: bool = True,
    analyser: Callable[[str], tuple[list[str], str]] | None = None,
) -> ChatFeatures:
    """Binary word and character-n-gram matrices of ``texts`` as the chat model reads them
    (``chat_model_features``, or ``analyser`` for a design variant), over the vocabulary of
    all of them. Which columns a model keeps is decided per fold (``fit_vocabulary``)."""
    read = analyser or (lambda t: chat_model_features(t, lexicon=lexicon))
    words, chars = _BinaryRows(), _BinaryRows()
    for text in texts:
        word_features, normalised = read(text)
        words.add(word_features)
        chars.add(chat_char_grams(normalised, CHAR_GRAM_RANGE))
    return ChatFeatures(words.matrix(), words.names(), chars.matrix(), chars.names())


def fit_vocabulary(
    matrix: sparse.csr_matrix,
    rows: np.ndarray,
    min_df: int,
    max_features: int,
    *,
    row_sources: Sequence[str] | None = None,
    min_sources: int = 1,
) -> Vocabulary:
    """The columns present in at least ``min_df`` of ``rows`` (the ``max_features`` most
    frequent, ties by column), with smoothed IDF over ``rows``: ``ln((1 + n) / (1 + df)) + 1``
    (what a TF-IDF vectoriser fitted on those rows keeps and computes).

    With ``row_sources`` (the source of each of ``rows``) a column must also occur in at
    least ``min_sources`` different sources: words that only one platform uses (its
    hashtags, its placeholders, its topics) are left out."""
    rows = np.asarray(rows)
    lengths = np.diff(matrix.indptr)

    def document_frequency(chosen: np.ndarray) -> np.ndarray:
        # count the columns of the chosen rows without copying them out
        in_rows = np.zeros(matrix.shape[0], dtype=bool)
        in_rows[chosen] = True
        return np.bincount(matrix.indices[np.repeat(in_rows, lengths)], minlength=matrix.shape[1])

    df = document_frequency(rows)
    keep_mask = df >= min_df
    if row_sources is not None and min_sources > 1:
        names = np.asarray(row_sources)
        seen_in = np.zeros(matrix.shape[1], dtype=np.int32)
        for source in np.unique(names):
            seen_in += document_frequency(rows[names == source]) > 0
        keep_mask &= seen_in >= min_sources
    keep = np.flatnonzero(keep_mask)
    if keep.size > max_features:
        keep = np.sort(keep[np.argsort(-df[keep], kind="stable")[:max_features]])
    idf = np.log((1.0 + len(rows)) / (1.0 + df[keep])) + 1.0
    return Vocabulary(keep, idf)


def _tfidf(matrix: sparse.csr_matrix, rows: np.ndarray, vocabulary: Vocabulary) -> Any:
    """Rows of a binary matrix as L2-normalised TF-IDF over ``vocabulary`` (IDF applied and
    rows normalised in place, so a fold holds one copy of its block)."""
    block = matrix[rows][:, vocabulary.columns].tocsr()
    block = block.astype(np.float64, copy=False)
    block.data = vocabulary.idf[block.indices]  # binary: the value is the IDF itself
    lengths = np.diff(block.indptr)
    squares = np.zeros(block.shape[0])
    present = lengths > 0
    squares[present] = np.add.reduceat(block.data**2, block.indptr[:-1][present])
    norms = np.sqrt(squares)
    norms[norms == 0] = 1.0
    block.data /= np.repeat(norms, lengths)
    return block


def _design(features: ChatFeatures, rows: np.ndarray, fitted: FittedChat, chars: bool) -> Any:
    blocks = [_tfidf(features.words, rows, fitted.words)]
    if chars:
        blocks.append(_tfidf(features.chars, rows, fitted.chars))
    if fitted.lexicon.columns.size:
        raw = features.words[rows][:, fitted.lexicon.columns].tocsr().astype(np.float64)
        blocks.append(raw @ sparse.diags(fitted.lexicon.idf))
    if fitted.marked_scale > 0:
        present = features.words[rows][:, fitted.marked_columns].getnnz(axis=1) > 0
        blocks.append(sparse.csr_matrix(present.astype(np.float64)[:, None] * fitted.marked_scale))
    return sparse.hstack(blocks, format="csr")


def marked_word_columns(
    features: ChatFeatures, items: Sequence[ChatItem], rows: np.ndarray, config: ChatConfig
) -> np.ndarray:
    """Word columns of the words that annotators of ``rows`` marked as the abusive part in
    at least ``marked_min_items`` messages and in at least ``marked_min_share`` of the
    messages of ``rows`` that hold them (placeholders and one-letter words never)."""
    counts: Counter[str] = Counter()
    for r in rows:
        parts = items[r].marked
        if parts:
            counts.update({w for part in parts for w in normalise_chat(part).split()})
    candidates = {
        w: n
        for w, n in counts.items()
        if n >= config.marked_min_items and len(w) > 1 and w not in ("xuser", "xurl", "xnum")
    }
    if not candidates:
        return np.empty(0, dtype=np.int64)
    column_of = {name: i for i, name in enumerate(features.word_names) if name in candidates}
    columns = np.array(sorted(column_of.values()), dtype=np.int64)
    df = features.words[rows][:, columns].getnnz(axis=0)
    names = [features.word_names[c] for c in columns]
    keep = [
        c
        for c, name, d in zip(columns, names, df, strict=True)
        if d and candidates[name] / d >= config.marked_min_share
    ]
    return np.asarray(keep, dtype=np.int64)


def source_weights(
    sources: Sequence[str], labels: Sequence[int], agreement: Sequence[float], balance: float
) -> np.ndarray:
    """Training weights: annotator agreement times ``n_cell ** -balance`` for the item's
    (source, label) cell, rescaled so both labels weigh the same in total and the mean
    weight is 1. ``balance`` 0 lets big sources dominate; 1 gives every cell equal weight."""
    y = np.asarray(labels)
    cells = Counter(zip(sources, labels, strict=True))
    w = np.asarray(agreement, dtype=np.float64) * np.array(
        [cells[(s, label)] ** -balance for s, label in zip(sources, labels, strict=True)]
    )
    for label in (0, 1):
        total = w[y == label].sum()
        if total > 0:
            w[y == label] /= total
    return w * (len(w) / w.sum())


def fit_chat(
    features: ChatFeatures, items: Sequence[ChatItem], rows: np.ndarray, config: ChatConfig
) -> FittedChat:
    """Fit the chat model on ``rows`` of ``features`` (``items`` give labels and weights)."""
    from sklearn.linear_model import LogisticRegression

    row_sources = [items[i].source for i in rows]
    words = fit_vocabulary(
        features.words,
        rows,
        config.word_min_df,
        config.word_max_features,
        row_sources=row_sources,
        min_sources=config.min_sources,
    )
    chars = fit_vocabulary(
        features.chars,
        rows,
        config.char_min_df,
        config.char_max_features,
        row_sources=row_sources,
        min_sources=config.min_sources,
    )
    if not config.chars:
        chars = _EMPTY
    lexicon = _EMPTY
    if config.lexicon_scale > 0:
        is_lexicon = np.array([n.startswith("lex:") for n in features.word_names])
        plain = ~is_lexicon[words.columns]
        words = Vocabulary(words.columns[plain], words.idf[plain])
        columns = np.flatnonzero(is_lexicon)
        lexicon = Vocabulary(columns, np.full(columns.size, config.lexicon_scale))
    marked = np.empty(0, dtype=np.int64)
    if config.marked_scale > 0:
        marked = marked_word_columns(features, items, rows, config)
    shell = FittedChat(
        words,
        chars,
        np.empty(0),
        np.empty(0),
        0.0,
        lexicon,
        np.empty(0),
        marked,
        config.marked_scale if marked.size else 0.0,
    )
    design = _design(features, rows, shell, config.chars)
    chosen = [items[i] for i in rows]
    labels = np.array([i.label for i in chosen])
    weights = source_weights(
        [i.source for i in chosen], labels.tolist(), [i.weight for i in chosen], config.balance
    )
    model = LogisticRegression(C=config.c, solver="liblinear", max_iter=1000, random_state=SEED)
    model.fit(design, labels, sample_weight=weights)
    coef = model.coef_[0]
    width, chars_end = len(words.columns), len(words.columns) + len(chars.columns)
    lexicon_end = chars_end + len(lexicon.columns)
    return FittedChat(
        words,
        chars,
        coef[:width].copy(),
        coef[width:chars_end].copy(),
        float(model.intercept_[0]),
        lexicon,
        coef[chars_end:lexicon_end].copy(),
        marked,
        shell.marked_scale,
        float(coef[lexicon_end]) if shell.marked_scale > 0 else 0.0,
    )


def score_chat(features: ChatFeatures, rows: np.ndarray, fitted: FittedChat) -> np.ndarray:
    """P(abusive) for ``rows`` of ``features`` under ``fitted``."""
    design = _design(features, rows, fitted, len(fitted.chars.columns) > 0)
    coef = np.concatenate([fitted.word_coef, fitted.char_coef, fitted.lexicon_coef])
    if fitted.marked_scale > 0:
        coef = np.append(coef, fitted.marked_coef)
    logits = design @ coef + fitted.intercept
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -500, 500)))


def chat_table(features: ChatFeatures, fitted: FittedChat, config: ChatConfig) -> dict[str, Any]:
    """The plain table a chat model file stores (what ``classifier.models.chat.build_chat_model``
    compiles)."""

    def branch(names: list[str], vocabulary: Vocabulary, coef: np.ndarray) -> dict[str, Any]:
        return {
            "vocabulary": pack_words([names[c] for c in vocabulary.columns]),
            "idf": vocabulary.idf.astype(np.float64),
            "coef": coef.astype(np.float64),
        }

    return {
        "kind": "chat-tfidf",
        "words": branch(features.word_names, fitted.words, fitted.word_coef),
        "chars": branch(features.char_names, fitted.chars, fitted.char_coef),
        "intercept": np.asarray([fitted.intercept], dtype=np.float64),
        "char_range": list(CHAR_GRAM_RANGE),
        "lexicon": config.lexicon,
        "lexicon_branch": {
            "vocabulary": np.asarray(
                [features.word_names[c] for c in fitted.lexicon.columns]
            ).astype(str),
            "scale": fitted.lexicon.idf.astype(np.float64),
            "coef": fitted.lexicon_coef.astype(np.float64),
        },
        "marked_words": {
            "words": np.asarray([features.word_names[c] for c in fitted.marked_columns]).astype(
                str
            ),
            "contribution": float(fitted.marked_scale * fitted.marked_coef),
        },
    }


#: The design that won leave-one-source-out (see ``DESIGN_COMPARISON``).
SHIPPED_CONFIG = ChatConfig(identity_classes=True, c=0.3, lexicon_scale=3.0)
