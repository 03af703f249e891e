"""The URL model's scikit-learn pipeline and its training set's augmentation.

``augment_urls`` adds generic paths and synthetic benign host names (hand-written words,
training side only); ``train_url_model`` fits character n-grams and tokens with a
multinomial logistic regression. ``classifier.training.url`` runs it and evaluates it.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from classifier.categories import BENIGN
from classifier.models.url import url_model_input
from classifier.training.hand_written import (
    GENERIC_PATH_WORDS,
    PROTECTED_SUFFIXES,
    PROTECTED_WORDS,
)
from classifier.training.splits import SEED, Example

__all__ = ["URL_PATH_AUGMENT_SHARE", "augment_urls", "train_url_model"]

#: Share of examples that also get a generic path, so "has a path" says nothing by itself.
URL_PATH_AUGMENT_SHARE = 0.35


def augment_urls(examples: Sequence[Example], rng: random.Random) -> list[Example]:
    """Add a generic path to a share of host-only examples of every category, and add
    synthetic benign host names built from protected-topic words (training side only)."""
    out = list(examples)
    for example in examples:
        host = example.text[1:-1]
        if "/" in host or rng.random() >= URL_PATH_AUGMENT_SHARE:
            continue
        depth = rng.randint(1, 3)
        path = "/".join(rng.choice(GENERIC_PATH_WORDS) for _ in range(depth))
        out.append(
            Example(
                url_model_input(f"{host}/{path}"),
                example.label,
                example.group,
                example.source + "+path",
            )
        )
    benign_groups = max(1, sum(1 for e in examples if e.label == BENIGN) // 25)
    for i in range(benign_groups):
        words = rng.sample(PROTECTED_WORDS, rng.randint(1, 3))
        joiner = rng.choice(("", "", "-"))
        host = joiner.join(words) + "." + rng.choice(PROTECTED_SUFFIXES)
        if rng.random() < 0.3:
            host = rng.choice(("www", "en", "info", "m", "shop", "blog", "news")) + "." + host
        path = ""
        if rng.random() < 0.5:
            path = "/" + "/".join(rng.sample(PROTECTED_WORDS + GENERIC_PATH_WORDS, 2))
        out.append(Example(url_model_input(host + path), BENIGN, f"synthetic-{i}", "hand-written"))
    return out


def train_url_model(
    train: Sequence[Example],
    *,
    seed: int = SEED,
    max_features: int = 60_000,
    c: float = 0.3,
    max_iter: int = 300,
) -> Any:
    """Fit the URL pipeline: character 3-5-grams and word tokens (binary), the
    ``max_features`` most informative by chi-squared, multinomial logistic regression.

    The result is a plain ``Pipeline(features, LogisticRegression)`` whose vectorizers keep
    only the selected vocabulary (small to store, fast to run). Benign weighs as much as all
    harmful categories together: an unknown host is more likely ordinary than not.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.feature_selection import SelectKBest, chi2
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    texts = [e.text for e in train]
    labels = [e.label for e in train]

    def make_union(char_vocab: Any = None, word_vocab: Any = None) -> FeatureUnion:
        return FeatureUnion(
            [
                (
                    "chars",
                    CountVectorizer(
                        analyzer="char",
                        ngram_range=(3, 5),
                        binary=True,
                        lowercase=False,
                        min_df=1 if char_vocab else 3,
                        vocabulary=char_vocab,
                        dtype=np.float32,
                    ),
                ),
                (
                    "tokens",
                    CountVectorizer(
                        token_pattern=r"[a-z0-9]{2,}",
                        binary=True,
                        lowercase=False,
                        min_df=1 if word_vocab else 3,
                        vocabulary=word_vocab,
                        dtype=np.float32,
                    ),
                ),
            ]
        )

    union = make_union()
    matrix = union.fit_transform(texts)
    k = min(max_features, matrix.shape[1])
    selector = SelectKBest(chi2, k=k).fit(matrix, labels)
    names = union.get_feature_names_out()[selector.get_support()]
    char_vocab = sorted(n.split("__", 1)[1] for n in names if n.startswith("chars__"))
    word_vocab = sorted(n.split("__", 1)[1] for n in names if n.startswith("tokens__"))
    compact = make_union(char_vocab, word_vocab)
    reduced = compact.fit_transform(texts)
    weights = _balanced_benign_weights(labels)
    model = LogisticRegression(C=c, max_iter=max_iter, tol=1e-4, random_state=seed)
    model.fit(reduced, labels, sample_weight=weights)
    model.coef_ = model.coef_.astype(np.float32)
    return Pipeline([("features", compact), ("model", model)])


def _balanced_benign_weights(labels: Sequence[str]) -> np.ndarray:
    counts = Counter(labels)
    harmful = sum(v for k, v in counts.items() if k != BENIGN)
    benign_weight = harmful / counts[BENIGN] if counts.get(BENIGN) else 1.0
    return np.array([benign_weight if y == BENIGN else 1.0 for y in labels])
