"""The chat corpus as training examples, and the chat model as a stock scikit-learn pipeline.

The shipped chat model is fitted by ``classifier.training.chat.fit_chat`` from features
extracted once; ``train_chat_model`` fits the same model as a plain pipeline (for tests and
comparisons).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.models.chat import chat_model_features, unpack_words
from classifier.models.chattext import CHAR_GRAM_RANGE, chat_char_grams
from classifier.models.verdicts import ABUSIVE, OK
from classifier.training.chat import SHIPPED_CONFIG, ChatConfig, source_weights
from classifier.training.chat_data import read_chat_corpus
from classifier.training.splits import SEED, Example

__all__ = ["chat_examples", "chat_pipeline", "chat_pipeline_from_table", "train_chat_model"]


def chat_examples(data_dir: Path) -> tuple[list[Example], list[Example], dict[str, Any]]:
    """The chat corpus as ``Example`` values: ``(training examples, evaluation-only
    examples, report)``.

    ``classifier.training.chat_data.read_chat_corpus`` reads every source, maps its labels
    (``LABEL_MAPPING``), cleans texts and de-duplicates them across all sources before any
    split (a text with conflicting labels is dropped). ``Example.group`` is the
    de-duplication key; ``Example.source`` is ``name:weight`` (annotator agreement).
    """
    train, check, report = read_chat_corpus(
        data_dir, identity_classes=SHIPPED_CONFIG.identity_classes
    )

    def example(item: Any) -> Example:
        label = ABUSIVE if item.label else OK
        return Example(item.text, label, item.key, f"{item.source}:{item.weight:.3f}")

    return [example(i) for i in train], [example(i) for i in check], report


def train_chat_model(train: Sequence[Example], *, config: Any = None) -> Any:
    """Fit the chat model as a stock scikit-learn pipeline (``classifier.training.chat.
    chat_pipeline``: binary TF-IDF of normalised words and character n-grams, logistic
    regression), examples weighted by annotator agreement and balanced per source and label.
    The shipped model is fitted by ``classifier.training.chat.fit_chat``, the same model
    computed once per fold from features extracted once."""
    config = config or SHIPPED_CONFIG
    sources = [e.source.rsplit(":", 1)[0] for e in train]
    labels = [int(e.label == ABUSIVE) for e in train]
    agreement = []
    for e in train:
        try:
            agreement.append(float(e.source.rsplit(":", 1)[1]))
        except (IndexError, ValueError):
            agreement.append(1.0)
    weights = source_weights(sources, labels, agreement, config.balance)
    pipeline = chat_pipeline(config)
    pipeline.fit([e.text for e in train], [e.label for e in train], model__sample_weight=weights)
    return pipeline


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
