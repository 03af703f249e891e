"""The page model's phrase matrix: counted in bounded memory, the same as scikit-learn's."""

from __future__ import annotations

import gzip
import itertools
import json

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from classifier.models.loading import BUNDLED_MODEL_DIR
from classifier.models.page import page_ngrams
from classifier.training.page import PAGE_MIN_DF, frequent_ngrams, only_stop_words, phrase_matrix


def test_a_phrase_counts_once_per_document_and_needs_min_df_documents() -> None:
    texts = ["casino bonus casino bonus", "casino bonus", "casino", "bonus", "rare words"]
    found = frequent_ngrams(texts, min_df=3)
    assert found == [" bonus ", " casino "]  # " casino bonus " is in two documents only
    assert frequent_ngrams(texts, min_df=2) == [" bonus ", " casino ", " casino bonus "]
    assert frequent_ngrams([], min_df=3) == []


def test_the_matrix_is_what_count_vectorizer_with_min_df_gives_on_real_documents() -> None:
    with gzip.open(BUNDLED_MODEL_DIR / "page_corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in itertools.islice(f, 1500)]
    reference = CountVectorizer(
        analyzer=page_ngrams, binary=True, min_df=PAGE_MIN_DF, dtype=np.float64
    )
    expected = reference.fit_transform(texts)
    names = reference.get_feature_names_out()
    informative = np.array([not only_stop_words(n) for n in names], dtype=bool)
    matrix, columns = phrase_matrix(texts)
    assert list(columns) == list(names[informative])
    assert (matrix != expected[:, informative]).nnz == 0
    assert matrix.shape == (1500, int(informative.sum())) and matrix.nnz > 10_000
