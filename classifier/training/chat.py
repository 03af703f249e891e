"""Train and evaluate the chat model leave-one-source-out, against alt-profanity-check.

The chat model is a logistic regression over two TF-IDF branches of binary features of
``classifier.models.chat_model_features`` (words, word pairs and lexicon features; character
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

import json
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from classifier.chattext import CHAR_GRAM_RANGE, chat_char_grams, normalise_chat
from classifier.models import CHAT_MAX_CHARS, chat_model_features, pack_words
from classifier.training.chat_data import (
    BASELINE_SEEN,
    CHAT_CORPUS_DIR,
    EVALUATION_SOURCES,
    HAND_WRITTEN,
    LABEL_MAPPING,
    TRAIN_SOURCES,
    ChatItem,
    read_chat_corpus,
)
from classifier.training.evaluation import (
    leave_one_source_out,
    rates_at_threshold,
    roc_auc,
    threshold_at_false_alarm_rate,
)

__all__ = [
    "DEFAULT_APC_PYTHON",
    "FALSE_ALARM_RATE",
    "ChatConfig",
    "ChatFeatures",
    "FittedChat",
    "Vocabulary",
    "baseline_scores",
    "baseline_unseen_mean",
    "beats_baseline",
    "chat_pipeline",
    "chat_pipeline_from_table",
    "chat_table",
    "evaluate_chat",
    "featurise",
    "fit_chat",
    "fit_vocabulary",
    "macro_false_alarm_threshold",
    "marked_word_columns",
    "score_chat",
    "source_weights",
]

#: Seed of the solver's shuffling (the same data and versions give the same model).
SEED = 20240917

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
    """The plain table a chat model file stores (what ``classifier.models.build_chat_model``
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


# --------------------------------------------------------------------------- evaluation


def macro_false_alarm_threshold(
    negative_scores_by_source: dict[str, np.ndarray], rate: float
) -> float:
    """The lowest negative score that, as a threshold, keeps the mean over sources of the
    share of each source's negatives scoring ``>=`` it at most ``rate`` (every source weighs
    the same, whatever its size); just above the highest score when none does. Raises
    ``ValueError`` without negatives."""
    groups = [np.sort(np.asarray(s, dtype=np.float64)) for s in negative_scores_by_source.values()]
    groups = [g for g in groups if g.size]
    if not groups:
        raise ValueError("no negative scores to choose a threshold on")
    candidates = np.unique(np.concatenate(groups))
    # share of each source's negatives >= candidate, averaged over sources
    shares = np.mean(
        [1.0 - np.searchsorted(g, candidates, side="left") / g.size for g in groups], axis=0
    )
    allowed = np.flatnonzero(shares <= rate + 1e-12)
    if allowed.size == 0:
        return float(np.nextafter(candidates[-1], np.inf))
    return float(candidates[allowed[0]])


def _recall_at_rate(labels: np.ndarray, scores: np.ndarray, rate: float) -> float | None:
    if not (labels == 1).any() or not (labels == 0).any():
        return None
    threshold = threshold_at_false_alarm_rate(scores[labels == 0], rate)
    return round(float((scores[labels == 1] >= threshold).mean()), 4)


def _source_row(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, Any]:
    auc = roc_auc(labels, scores)
    at = rates_at_threshold(labels, scores, threshold)
    negatives = int((labels == 0).sum())
    return {
        "items": int(labels.size),
        "abusive": int(labels.sum()),
        "roc_auc": None if auc is None else round(auc, 4),
        "recall": at["caught"],
        "false_alarm_rate": at["false_alarms"],
        "precision": at["precision"],
        "false_alerts_per_1000_ok": None
        if not negatives
        else round(1000 * float((scores[labels == 0] >= threshold).mean()), 1),
        "recall_at_10pct_false_alarms_own_threshold": _recall_at_rate(labels, scores, 0.10),
    }


def baseline_scores(texts: Sequence[str], apc_python: Path | None) -> np.ndarray | None:
    """alt-profanity-check's P(profane) for ``texts``, run by ``apc_python`` (a throwaway
    venv that has it: it is never a dependency nor imported here); ``None`` when that
    python is missing."""
    if apc_python is None or not Path(apc_python).is_file():
        return None
    script = (
        "import json, sys\nfrom profanity_check import predict_prob\n"
        "texts = json.load(sys.stdin)\n"
        "json.dump([float(p) for p in predict_prob(texts)], sys.stdout)\n"
    )
    done = subprocess.run(
        [str(apc_python), "-c", script],
        input=json.dumps(list(texts)),
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return np.asarray(json.loads(done.stdout), dtype=np.float64)


#: Figures averaged over sources (each weighs the same) in the per-source tables.
_MEAN_KEYS = (
    "roc_auc",
    "recall",
    "false_alarm_rate",
    "precision",
    "recall_at_10pct_false_alarms_own_threshold",
)


def baseline_unseen_mean(
    by_source: dict[str, dict[str, Any]], seen: Sequence[str] = BASELINE_SEEN
) -> dict[str, Any]:
    """The mean over the sources of ``by_source`` that are not in ``seen`` (every source
    weighs the same; the hand-written lines, never a test source, never count) of each
    figure in ``_MEAN_KEYS``, and the sources it is over: the comparison with
    alt-profanity-check that is cross-source for both models."""
    sources = sorted(s for s in by_source if s not in {*seen, HAND_WRITTEN})
    means: dict[str, Any] = {"sources": sources}
    for key in _MEAN_KEYS:
        values = [float(v) for s in sources if (v := by_source[s].get(key)) is not None]
        means[key] = round(float(np.mean(values)), 4) if values else None
    return means


def beats_baseline(model: dict[str, Any], baseline: dict[str, Any] | str) -> dict[str, Any]:
    """Whether the model beats alt-profanity-check on the fair comparison (the mean over
    sources the baseline never saw, ``mean_over_baseline_unseen_sources`` of both reports):
    ``ships`` is true only when its mean ROC AUC is higher. The recall at each source's own
    10 % false-alarm threshold and the means over every left-out training source are
    reported beside it; a baseline that did not run (``str``) means no ship."""
    if not isinstance(baseline, dict):
        return {"ships": False, "why": f"alt-profanity-check was not run: {baseline}"}
    ours = model["mean_over_baseline_unseen_sources"]
    theirs = baseline["mean_over_baseline_unseen_sources"]
    recall_key = "recall_at_10pct_false_alarms_own_threshold"
    ships = bool(ours["roc_auc"] is not None and ours["roc_auc"] > (theirs["roc_auc"] or 0.0))
    return {
        "rule": "ships only when its mean ROC AUC over the sources alt-profanity-check was "
        f"never trained on ({', '.join(ours['sources'])}) is higher than "
        "alt-profanity-check's over the same sources in the same run; alt-profanity-check "
        f"was trained on {' and '.join(BASELINE_SEEN)} (its README), so figures there are "
        "reported but decide nothing",
        "baseline_seen_sources": list(BASELINE_SEEN),
        "ships": ships,
        "mean_roc_auc_baseline_unseen": ours["roc_auc"] > (theirs["roc_auc"] or 0.0),
        "mean_recall_at_10pct_false_alarms_baseline_unseen": (ours[recall_key] or 0.0)
        > (theirs[recall_key] or 0.0),
        "mean_roc_auc": model["mean_over_left_out_sources"]["roc_auc"]
        > baseline["mean_over_left_out_sources"]["roc_auc"],
        "mean_recall_at_threshold": model["mean_over_left_out_sources"]["recall"]
        > baseline["mean_over_left_out_sources"]["recall"],
    }


def _evaluate_scores(
    items: Sequence[ChatItem], scores: np.ndarray, tuning_sources: Sequence[str]
) -> dict[str, Any]:
    """Threshold chosen on ``tuning_sources``' ok items, then per-source and per-kind
    figures of ``scores`` at it."""
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        by_source[item.source].append(i)
    labels = np.array([item.label for item in items])
    negatives = {s: scores[[i for i in by_source[s] if labels[i] == 0]] for s in tuning_sources}
    threshold = macro_false_alarm_threshold(negatives, FALSE_ALARM_RATE)
    rows = {
        s: _source_row(labels[by_source[s]], scores[by_source[s]], threshold)
        for s in [*tuning_sources, *sorted(set(by_source) - set(tuning_sources))]
        if s in by_source
    }
    tuned = [rows[s] for s in tuning_sources if s in rows]
    kinds: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        if item.label == 1:
            kinds[f"{item.source}:{item.kind}"].append(i)
    return {
        "threshold": round(threshold, 6),
        "by_source": rows,
        "mean_over_left_out_sources": {
            key: round(float(np.mean([r[key] for r in tuned if r[key] is not None])), 4)
            for key in ("roc_auc", "recall", "false_alarm_rate", "precision")
        },
        "mean_over_baseline_unseen_sources": baseline_unseen_mean(rows),
        "recall_by_kind": {
            kind: {
                "items": len(index),
                "recall": round(float((scores[index] >= threshold).mean()), 4),
            }
            for kind, index in sorted(kinds.items())
        },
    }


def evaluate_chat(
    data_dir: Path,
    config: ChatConfig,
    *,
    apc_python: Path | None = DEFAULT_APC_PYTHON,
    analyser: Callable[[str], tuple[list[str], str]] | None = None,
    log: Callable[[str], None] = print,
    corpus_dir: Path = CHAT_CORPUS_DIR,
) -> tuple[dict[str, Any], FittedChat, ChatFeatures, list[ChatItem]]:
    """Leave-one-source-out evaluation of ``config``, then the model trained on every
    training source (the one to ship) scoring the evaluation-only sources.

    Returns ``(report, shipped model, features, items)``: the report holds the threshold
    (chosen on the left-out scores of the training sources only), per-source and per-kind
    figures for this model and for alt-profanity-check in the same run, and timings."""
    started = time.monotonic()
    train_items, check_items, data_report = read_chat_corpus(
        data_dir,
        identity_classes=config.identity_classes,
        hand_written=config.hand_written,
        corpus_dir=corpus_dir,
    )
    items = train_items + check_items
    features = featurise([i.text for i in items], lexicon=config.lexicon, analyser=analyser)
    log(
        f"chat: {len(train_items)} training and {len(check_items)} evaluation-only messages, "
        f"{len(features.word_names)} word and {len(features.char_names)} character features "
        f"({time.monotonic() - started:.0f} s)"
    )
    n_train = len(train_items)
    sources = [i.source for i in train_items]
    oof = np.full(len(items), np.nan)
    for source, train_rows, test_rows in leave_one_source_out(sources):
        if source == HAND_WRITTEN:
            continue
        fitted = fit_chat(features, items, train_rows, config)
        oof[test_rows] = score_chat(features, test_rows, fitted)
        auc = roc_auc([items[i].label for i in test_rows], oof[test_rows])
        log(f"  left out {source}: ROC AUC {auc if auc is None else round(auc, 3)}")
    shipped = fit_chat(features, items, np.arange(n_train), config)
    check_rows = np.arange(n_train, len(items))
    if check_rows.size:
        oof[check_rows] = score_chat(features, check_rows, shipped)
    scored = [i for i in range(len(items)) if not np.isnan(oof[i])]
    scored_items = [items[i] for i in scored]
    tuning = [s for s in TRAIN_SOURCES if any(i.source == s for i in train_items)]
    report: dict[str, Any] = {
        "method": "leave-one-source-out: for each training source, a model trained on all "
        "the others (and the hand-written lines) scores it; the evaluation-only sources are "
        "scored by the shipped model (trained on every training source), which never saw "
        "them",
        "threshold_rule": f"lowest threshold at which at most {FALSE_ALARM_RATE:.0%} of ok "
        "messages are flagged, averaged over the left-out training sources (each weighs the "
        "same); evaluation-only sources play no part in choosing it",
        "config": asdict(config),
        "data_report": data_report,
        "model": _evaluate_scores(scored_items, oof[scored], tuning),
    }
    baseline = baseline_scores([items[i].text for i in scored], apc_python)
    if baseline is not None:
        report["baseline_alt_profanity_check"] = _evaluate_scores(scored_items, baseline, tuning)
    else:
        report["baseline_alt_profanity_check"] = "not run: no python with alt-profanity-check"
    report["seconds"] = round(time.monotonic() - started, 1)
    report["_scores"] = oof[scored]  # popped by chat_model_files, never written
    report["_items"] = scored_items
    report["max_chars"] = CHAT_MAX_CHARS
    report["label_mapping"] = LABEL_MAPPING
    report["evaluation_sources"] = list(EVALUATION_SOURCES)
    return report, shipped, features, train_items


# --------------------------------------------------------------------------- shipping

#: The design that won leave-one-source-out (see ``DESIGN_COMPARISON``).
SHIPPED_CONFIG = ChatConfig(identity_classes=True, c=0.3, lexicon_scale=3.0)

#: Designs compared leave-one-source-out in one run of ``classifier.training.chat_variants``
#: (threshold at 10 % false alarms), with alt-profanity-check on the same messages.
DESIGN_COMPARISON: dict[str, Any] = {
    "measured": "2026-11-29, one run on one machine, leave-one-source-out over the eight "
    "training sources (Gab Hate Corpus and HateCheck added); CONDA game chat scored by the "
    "model trained on all eight. 'unseen' is the mean over the sources alt-profanity-check "
    "was never trained on (all but Davidson and the Jigsaw sample): cyberbullying, "
    "HateXplain, Toxic Spans, Reddit misogyny, ETHOS, Gab Hate Corpus, HateCheck, CONDA",
    "mean_roc_auc_unseen": {
        "alt-profanity-check": 0.7039,
        "shipped design (lexicon branch, scale 3, C=0.3, balance 0.5)": 0.7214,
        "full source balancing (balance 1)": 0.7221,
        "features seen in >= 3 sources": 0.7213,
        "C=0.1": 0.7166,
    },
    "mean_roc_auc_eight_left_out_training_sources": {
        "alt-profanity-check": 0.729,
        "shipped design (lexicon branch, scale 3, C=0.3, balance 0.5)": 0.7339,
        "full source balancing (balance 1)": 0.7346,
        "features seen in >= 3 sources": 0.7342,
        "C=0.1": 0.73,
    },
    "earlier": "with the six earlier training sources (no Gab Hate Corpus or HateCheck), the "
    "same design had 0.730 over six left-out sources against alt-profanity-check's 0.752, "
    "and normalisation without the lexicon 0.716, raw text 0.723",
    "finding": "the two new sources, not a design change, moved the model past "
    "alt-profanity-check on the sources it never saw; the design variants differ by less "
    "than 0.001 in the unseen mean (full source balancing +0.0007, within run-to-run "
    "noise, and lower recall at the shared threshold: 30.9 % against 31.8 %), so the "
    "design is unchanged",
    "chosen": "shipped design (lexicon branch, scale 3, C=0.3, balance 0.5)",
}

#: Licences of the sources the shipped chat model is trained on or measured with.
LICENCES = {
    "davidson": "MIT",
    "cyberbullying": "CC BY 4.0 (as reported)",
    "hatexplain": "MIT (posts: Twitter and Gab terms)",
    "toxic_spans_civil_comments": "CC0 1.0",
    "reddit_misogyny_guest2021": "MIT (posts: Reddit terms)",
    "ethos_hate": "GPL-3.0",
    "gab_hate_corpus": "CC BY 4.0 (Gab Hate Corpus, Kennedy et al. 2022, as stated at "
    "osf.io/edua3; copy from an MIT-licensed repository; posts: Gab terms)",
    "hatecheck": "CC BY 4.0 (HateCheck, Röttger et al. 2021)",
    "jigsaw-sample": "CC0 (evaluation only)",
    "conda_dota2_game_chat": "none stated (evaluation and tuning only; not trained on, not copied)",
    HAND_WRITTEN: "Hearthguard's own",
}

#: Reported thresholds besides the shipped one (what each would mean on left-out sources).
REPORTED_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def _macro_at(items: Sequence[ChatItem], scores: np.ndarray, threshold: float) -> dict[str, Any]:
    rows = []
    for source in TRAIN_SOURCES:
        index = [i for i, item in enumerate(items) if item.source == source]
        if index:
            labels = np.array([items[i].label for i in index])
            rows.append(rates_at_threshold(labels, scores[index], threshold))

    def mean(key: str) -> float | None:
        values = [float(v) for r in rows if (v := r[key]) is not None]
        return round(float(np.mean(values)), 4) if values else None

    return {"recall": mean("caught"), "false_alarm_rate": mean("false_alarms")}


def chat_model_files(
    data_dir: Path,
    log: Callable[[str], None] = print,
    *,
    config: ChatConfig = SHIPPED_CONFIG,
    apc_python: Path | None = DEFAULT_APC_PYTHON,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Evaluate ``config`` leave-one-source-out, train the model to ship on every training
    source and return ``(table, metadata)`` for ``chat.skops`` / ``chat.json`` (the caller
    adds the common fields: format, versions, date)."""
    report, fitted, features, train_items = evaluate_chat(
        data_dir, config, apc_python=apc_python, log=log
    )
    table = chat_table(features, fitted, config)
    model = report["model"]
    baseline = report["baseline_alt_profanity_check"]
    threshold = float(model["threshold"])
    ours = model["mean_over_left_out_sources"]
    theirs = baseline["mean_over_left_out_sources"] if isinstance(baseline, dict) else None
    fair = model["mean_over_baseline_unseen_sources"]
    fair_theirs = (
        baseline["mean_over_baseline_unseen_sources"] if isinstance(baseline, dict) else None
    )
    verdict = beats_baseline(model, baseline)
    scores = report.pop("_scores")
    scored_items = report.pop("_items")
    at = {f"{t:.2f}": _macro_at(scored_items, scores, t) for t in (threshold, *REPORTED_THRESHOLDS)}
    log(
        f"chat: threshold {threshold:.3f}; mean over left-out sources ROC AUC "
        f"{ours['roc_auc']}, recall {ours['recall']}, false alarms {ours['false_alarm_rate']}"
        + (
            f"; alt-profanity-check ROC AUC {theirs['roc_auc']}, recall {theirs['recall']}"
            if theirs
            else "; alt-profanity-check not run"
        )
    )
    log(
        f"chat: mean over sources alt-profanity-check never saw ({', '.join(fair['sources'])}): "
        f"ROC AUC {fair['roc_auc']}"
        + (f" against {fair_theirs['roc_auc']}" if fair_theirs else "")
        + f"; ships: {verdict['ships']}"
    )
    metadata: dict[str, Any] = {
        "input": "one chat message, raw; the first "
        f"{CHAT_MAX_CHARS} characters are cleaned (chat_model_input) and normalised "
        "(classifier.chattext.normalise_chat) as in training",
        "features": "binary TF-IDF, L2-normalised per branch: words, word pairs and lexicon "
        f"features ({len(fitted.words.columns):,} kept), character {CHAR_GRAM_RANGE[0]}-"
        f"{CHAR_GRAM_RANGE[1]}-grams within words ({len(fitted.chars.columns):,} kept)",
        "estimator": f"LogisticRegression (L2, C={config.c}, liblinear), weights: annotator "
        f"agreement x (source, label) cell size ** -{config.balance}, labels balanced",
        "runtime": "numpy, a dict and one Aho-Corasick automaton; no scikit-learn",
        "classes": ["abusive", "ok"],
        "default_threshold": round(threshold, 6),
        "default_threshold_rule": report["threshold_rule"],
        "config": asdict(config),
        "label_mapping": LABEL_MAPPING,
        "sources": {
            "training": [s for s in TRAIN_SOURCES if s in report["data_report"]["rows"]],
            "evaluation_only": list(EVALUATION_SOURCES),
            "hand_written": HAND_WRITTEN,
        },
        "licences": LICENCES,
        "data_report": report["data_report"],
        "class_counts": dict(Counter(f"{i.source}:{i.label}" for i in train_items)),
        "evaluation": {
            "method": report["method"],
            "items": sum(int(r["items"]) for r in model["by_source"].values()),
            "roc_auc": ours["roc_auc"],
            "thresholds": at,
        },
        "leave_one_source_out": model,
        "baseline_alt_profanity_check": baseline,
        "beats_baseline": verdict,
        "design_comparison": DESIGN_COMPARISON,
        "thresholds": {
            key: f"flag when P(abusive) >= {key}: on left-out sources (mean over sources) "
            f"{figures['recall']:.0%} of abusive messages flagged, "
            f"{figures['false_alarm_rate']:.0%} of ok ones"
            for key, figures in (
                (f"{t:.1f}", _macro_at(scored_items, scores, t)) for t in REPORTED_THRESHOLDS
            )
        },
        "seconds": report["seconds"],
    }
    return table, metadata


# --------------------------------------------------------------------------- reference


def _word_analyser(lexicon: bool) -> Callable[[str], list[str]]:
    return lambda text: chat_model_features(text, lexicon=lexicon)[0]


def _char_analyser(text: str) -> list[str]:
    return chat_char_grams(chat_model_features(text, lexicon=False)[1], CHAR_GRAM_RANGE)


def chat_pipeline(config: ChatConfig) -> Any:
    """The chat model as a stock scikit-learn ``Pipeline`` (binary TF-IDF of the word and
    character features, logistic regression), for reference: ``fit_chat`` fits the same
    model from features extracted once (a test checks that both agree). Per-source
    vocabulary limits (``min_sources``) have no stock equivalent and are not applied."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    branches = [
        (
            "words",
            TfidfVectorizer(
                analyzer=_word_analyser(config.lexicon),
                binary=True,
                min_df=config.word_min_df,
                max_features=config.word_max_features,
            ),
        )
    ]
    if config.chars:
        branches.append(
            (
                "chars",
                TfidfVectorizer(
                    analyzer=_char_analyser,
                    binary=True,
                    min_df=config.char_min_df,
                    max_features=config.char_max_features,
                ),
            )
        )
    model = LogisticRegression(C=config.c, solver="liblinear", max_iter=1000, random_state=SEED)
    return Pipeline([("features", FeatureUnion(branches)), ("model", model)])


def chat_pipeline_from_table(table: dict[str, Any]) -> Any:
    """The stock scikit-learn pipeline that computes what a chat model table computes
    (fixed vocabularies and IDF, the lexicon branch as counts whose scale is folded into the
    weights), for speed comparisons. Raises ``ValueError`` for a table with marked words,
    which have no stock equivalent."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    from classifier.models import unpack_words

    if len(np.asarray(table.get("marked_words", {}).get("words", []))):
        raise ValueError("a table with marked words has no stock pipeline")
    words_analyser = _word_analyser(bool(table["lexicon"]))
    branches: list[tuple[str, Any]] = []
    coefs = []
    for name, analyser in (("words", words_analyser), ("chars", _char_analyser)):
        branch = table[name]
        vectorizer = TfidfVectorizer(
            analyzer=analyser, binary=True, vocabulary=unpack_words(branch["vocabulary"])
        )
        vectorizer.idf_ = np.asarray(branch["idf"], dtype=np.float64)
        branches.append((name, vectorizer))
        coefs.append(np.asarray(branch["coef"], dtype=np.float64))
    own = table.get("lexicon_branch") or {}
    lexicon = unpack_words(own.get("vocabulary", np.empty(0, dtype="<U1")))
    if lexicon:
        branches.append(
            ("lexicon", CountVectorizer(analyzer=words_analyser, binary=True, vocabulary=lexicon))
        )
        coefs.append(np.asarray(own["scale"]) * np.asarray(own["coef"], dtype=np.float64))
    model = LogisticRegression()
    model.classes_ = np.array([0, 1])
    model.coef_ = np.concatenate(coefs)[None, :]
    model.intercept_ = np.asarray(table["intercept"], dtype=np.float64).reshape(1)
    model.n_features_in_ = model.coef_.shape[1]
    return Pipeline([("features", FeatureUnion(branches)), ("model", model)])
