"""What the models answer: a `Verdict` (category and probability) for URLs and pages, a
`ChatVerdict` for chat messages, and the helpers that turn scores into them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classifier.categories import BENIGN

__all__ = [
    "ABUSIVE",
    "ChatVerdict",
    "OK",
    "Verdict",
    "softmax",
    "target_and_benign",
    "verdicts_of",
]


#: The chat model's two labels.
ABUSIVE = "abusive"
OK = "ok"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A URL or page judgement: ``category`` is ``benign`` when nothing harmful is recognised;
    ``score`` is the model's probability for ``category``."""

    category: str
    score: float


@dataclass(frozen=True, slots=True)
class ChatVerdict:
    """A chat judgement: ``label`` is ``abusive`` or ``ok``; ``score`` is P(abusive)."""

    label: str
    score: float


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise probabilities of ``logits`` (shifted by each row's maximum, so no overflow)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def target_and_benign(scores: np.ndarray, classes: tuple[str, ...]) -> tuple[int, int | None]:
    """The index of the highest-scoring harmful class and of ``benign`` (None without one)."""
    benign = classes.index(BENIGN) if BENIGN in classes else None
    harmful = [i for i in range(len(classes)) if i != benign]
    target = max(harmful, key=lambda i: scores[i]) if harmful else 0
    return target, benign


def verdicts_of(probabilities: np.ndarray, classes: tuple[str, ...]) -> list[Verdict]:
    """One `Verdict` per row of ``probabilities``: its most likely class and probability."""
    best = probabilities.argmax(axis=1)
    return [
        Verdict(classes[i], round(float(row[i]), 4))
        for i, row in zip(best, probabilities, strict=True)
    ]
