"""Between scikit-learn pipelines and the plain tables the URL model files hold.

``pipeline_to_table`` stores a trained URL pipeline as arrays (a vocabulary stored as a skops
dict is ~70 MB of JSON); ``pipeline_from_table`` rebuilds the stock pipeline, which gives the
same probabilities as ``classifier.models.url.UrlModel`` (tests and benchmarks compare them).
scikit-learn is imported here, never by the run-time models.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "pipeline_from_table",
    "pipeline_to_table",
]


_BRANCH_PARAMS = ("analyzer", "token_pattern", "lowercase", "binary")


def pipeline_to_table(pipeline: Any) -> dict[str, Any]:
    """Flatten a fitted ``Pipeline(FeatureUnion(vectorizers...), LogisticRegression)`` into
    plain values and arrays (what a model file stores).

    Vectorizers must be ``CountVectorizer`` or ``TfidfVectorizer`` with string analyzers.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    union, model = pipeline[0], pipeline[-1]
    branches = []
    for name, vectorizer in union.transformer_list:
        vocabulary = vectorizer.vocabulary_
        ordered = np.empty(len(vocabulary), dtype=object)
        for term, index in vocabulary.items():
            ordered[index] = term
        tfidf = isinstance(vectorizer, TfidfVectorizer)
        branches.append(
            {
                "name": name,
                "type": "tfidf" if tfidf else "count",
                **{key: getattr(vectorizer, key) for key in _BRANCH_PARAMS},
                "ngram_range": list(vectorizer.ngram_range),
                "sublinear_tf": bool(getattr(vectorizer, "sublinear_tf", False)),
                "norm": getattr(vectorizer, "norm", None),
                "vocabulary": ordered.astype(str),
                "idf": np.asarray(vectorizer.idf_, dtype=np.float64) if tfidf else None,
            }
        )
    return {
        "kind": "linear-text",
        "branches": branches,
        "coef": np.asarray(model.coef_, dtype=np.float32),
        "intercept": np.asarray(model.intercept_, dtype=np.float64),
        "classes": np.asarray([str(c) for c in model.classes_]).astype(str),
    }


def pipeline_from_table(table: dict[str, Any]) -> Any:
    """Rebuild the stock scikit-learn pipeline that ``pipeline_to_table`` flattened.

    Raises ``ValueError`` when the table is inconsistent."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    if table.get("kind") != "linear-text":
        raise ValueError("model file does not hold a linear text model table")
    branches = []
    width = 0
    for branch in table["branches"]:
        vocabulary = [str(term) for term in branch["vocabulary"]]
        params = {key: branch[key] for key in _BRANCH_PARAMS}
        params["ngram_range"] = tuple(int(n) for n in branch["ngram_range"])
        if branch["type"] == "tfidf":
            vectorizer = TfidfVectorizer(
                vocabulary=vocabulary,
                sublinear_tf=branch["sublinear_tf"],
                norm=branch["norm"],
                dtype=np.float32,
                **params,
            )
            vectorizer.idf_ = np.asarray(branch["idf"], dtype=np.float64)
        elif branch["type"] == "count":
            vectorizer = CountVectorizer(vocabulary=vocabulary, dtype=np.float32, **params)
        else:
            raise ValueError(f"unknown vectorizer type {branch['type']!r}")
        branches.append((str(branch["name"]), vectorizer))
        width += len(vocabulary)
    coef = np.asarray(table["coef"], dtype=np.float32)
    intercept = np.asarray(table["intercept"], dtype=np.float64)
    classes = np.asarray([str(c) for c in table["classes"]])
    rows = 1 if len(classes) == 2 else len(classes)
    if coef.shape != (rows, width) or intercept.shape != (rows,):
        raise ValueError(
            f"weights {coef.shape} do not fit {width} features, {len(classes)} classes"
        )
    model = LogisticRegression()
    model.classes_, model.coef_, model.intercept_ = classes, coef, intercept
    model.n_features_in_ = width
    return Pipeline([("features", FeatureUnion(branches)), ("model", model)])
