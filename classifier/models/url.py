"""The URL model: what it reads of a URL, and how it scores it (numpy only).

A multinomial logistic regression over binary character n-grams and tokens of the registered
domain + path -> a canonical category or ``benign``. Trained as a scikit-learn ``Pipeline``
(``classifier.training``); the file holds its vocabularies and weights as arrays. At run time
it is a table of character n-grams (``classifier.models.grams``), a token index and a weight
matrix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from classifier.categories import BENIGN
from classifier.lists.hosts import is_public_suffix
from classifier.models.grams import GramTable
from classifier.models.verdicts import Verdict, softmax, target_and_benign, verdicts_of

__all__ = [
    "UrlModel",
    "build_url_model",
    "registered_domain",
    "shared_platform",
    "url_model_input",
]


_URL_MAX_CHARS = 200


#: Registered domains of shared platforms (cloud APIs, content delivery, hosting): their
#: host names say who runs the infrastructure, not what a site is, so the URL model never
#: judges them (``content-autofill.googleapis.com`` is Chrome, not a casino). Written for
#: Hearthguard; lists and the page scan still apply to these hosts.
_SHARED_PLATFORMS = frozenset(
    """
    googleapis.com gstatic.com googleusercontent.com googlevideo.com ggpht.com gvt1.com
    gvt2.com doubleclick.net googlesyndication.com googletagmanager.com google-analytics.com
    googleadservices.com app-measurement.com firebaseio.com appspot.com cloudfunctions.net
    amazonaws.com cloudfront.net awsstatic.com akamaihd.net akamaized.net akamaiedge.net
    akadns.net edgekey.net edgesuite.net azureedge.net azurewebsites.net windows.net
    msedge.net trafficmanager.net fastly.net fastlylb.net cloudflare.com cloudflare.net
    cdn77.org jsdelivr.net unpkg.com cdnjs.com fbcdn.net facebook.net twimg.com ytimg.com
    apple-cloudkit.com icloud-content.com aaplimg.com mzstatic.com digicert.com
    letsencrypt.org herokuapp.com netlify.app vercel.app github.io gitlab.io
    """.split()  # noqa: SIM905 - a block of names reads better than a list of strings
)


_WWW = re.compile(r"^www\d*\.")
#: A bare host name (the most common input): ``urlsplit`` would return it whole as the host.
_BARE_HOST = re.compile(r"[A-Za-z0-9.-]+")


def shared_platform(url: str) -> bool:
    """True when the host of ``url`` belongs to a shared platform: its registered domain is
    itself a public suffix (``blogspot.com``, ``github.io``, ``cloudfront.net``: unrelated
    parties have sites under it, so its name says nothing about any one of them), or it is
    one of ``_SHARED_PLATFORMS``."""
    site = url_model_input(url)[1:-1].split("/", 1)[0]
    if "." in site and is_public_suffix(site):
        return True
    return any(site == d or site.endswith("." + d) for d in _SHARED_PLATFORMS)


_GENERIC_SLD = frozenset(
    """
    co com net org gov edu ac or ne go gob mil nic ltd plc sch nhs police gouv asso info
    biz web nom gv
    """.split()  # noqa: SIM905 - a block of names reads better than a list of strings
)


_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def registered_domain(host_or_url: str) -> str:
    """The registered domain of a host (``a.b.example.co.uk`` -> ``example.co.uk``).

    A cheap rule: the last two labels, or three when the second-level label is a generic
    one under a two-letter country code (``co.uk``, ``com.au``...). IP addresses are their
    own. It is what the URL model judges of a host (``url_model_input``) and what keeps
    related hosts on one side of a training split. Hosting platforms count as the site
    (``someblog.blogspot.com`` -> ``blogspot.com``): the lists judge their users' sites.
    """
    host = host_or_url.split("/", 1)[0].split(":", 1)[0].strip(".").lower()
    if _IPV4.match(host):
        return host
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _GENERIC_SLD:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def url_model_input(url: str) -> str:
    """The string the URL model reads: lower-cased ``site/path?query`` between ``^`` and
    ``$``, where ``site`` is the registered domain of the host (``registered_domain``).

    The labels below the registrable domain are dropped: they are chosen by whoever runs the
    servers (``img1``, ``static``, ``api``, ``cdn-7``), not by the site, and a model of
    names read them as anything (``img1.static.site419511968.example-unlisted.org`` as
    gambling). Scheme, user info, port and fragment are dropped too, and the result is cut
    at 200 characters. Accepts bare hosts and full URLs.
    """
    raw = (url or "").strip()
    if _BARE_HOST.fullmatch(raw):  # what urlsplit would give, without its cost
        name = raw.lower().rstrip(".")
        return ("^" + registered_domain(_WWW.sub("", name)))[:_URL_MAX_CHARS] + "$"
    if "://" not in raw[:16]:
        raw = "http://" + raw
    try:
        parts = urlsplit(raw)
        host = (parts.hostname or "").rstrip(".")
        rest = parts.path or ""
        if parts.query:
            rest += "?" + parts.query
    except ValueError:
        return "^$"
    host = host.lower()
    if ":" not in host:  # an IPv6 address is kept whole
        host = registered_domain(_WWW.sub("", host))
    rest = _SPACES.sub("", rest.lower())
    if rest == "/":
        rest = ""
    return ("^" + host + rest)[:_URL_MAX_CHARS] + "$"


@dataclass(frozen=True)
class UrlModel:
    """Host + path -> ``Verdict``.

    A multinomial logistic regression over binary features of ``url_model_input``: the
    character 3-5-grams and the word tokens of its vocabulary. The character n-grams of a
    whole batch are found with one lookup in a ``GramTable``, tokens with one
    regular expression; the rest is numpy. The probabilities are those of the scikit-learn
    pipeline the table was flattened from (``pipeline_from_table`` rebuilds it), without
    scikit-learn or SciPy at run time. Built by ``build_url_model``.
    """

    class_names: tuple[str, ...]
    char_grams: np.ndarray  # feature names of columns 0 .. len(char_grams) - 1
    tokens: np.ndarray  # feature names of the columns after them
    weights: np.ndarray  # (n_features, n_classes), read-only
    intercept: np.ndarray  # (n_classes,), read-only
    metadata: MappingProxyType[str, Any]
    _chars: GramTable = field(repr=False)
    _token_index: dict[str, int] = field(repr=False)
    _token_pattern: re.Pattern[str] = field(repr=False)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.class_names

    def predict_proba(self, urls: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per URL, columns in ``classes`` order."""
        texts = [url_model_input(u) for u in urls]
        if not texts:
            return np.empty((0, len(self.class_names)))
        if len(texts) <= _SMALL_BATCH:
            return softmax(np.vstack([self._logits_one(text) for text in texts]))
        return softmax(self._logits_batch(texts))

    def _token_columns(self, text: str) -> list[int]:
        # ``findall`` yields the pattern's group when it has one, as scikit-learn reads it.
        found = [self._token_index.get(token) for token in self._token_pattern.findall(text)]
        return [index for index in found if index is not None]

    def _columns(self, text: str) -> np.ndarray:
        """The distinct feature columns present in one model input, sorted."""
        columns = set(self._chars.find(_char_ngram_text(text))[1].tolist())
        columns.update(self._token_columns(text))
        return np.array(sorted(columns), dtype=np.int64)

    def _logits_one(self, text: str) -> np.ndarray:
        columns = self._columns(text)
        return self.intercept + self.weights[columns].sum(axis=0, dtype=np.float64)

    def _logits_batch(self, texts: list[str]) -> np.ndarray:
        char_texts = [_char_ngram_text(text) for text in texts]
        # No n-gram holds a newline (checked at load), so none matches across two inputs.
        joined = "\n".join(char_texts)
        starts = np.cumsum([0] + [len(t) + 1 for t in char_texts[:-1]])
        gram_starts, gram_columns = self._chars.find(joined)
        token_rows: list[int] = []
        token_columns: list[int] = []
        for row, text in enumerate(texts):
            found = self._token_columns(text)
            token_rows.extend([row] * len(found))
            token_columns.extend(found)
        rows = np.concatenate(
            [np.searchsorted(starts, gram_starts, side="right") - 1, token_rows]
        ).astype(np.int64)
        columns = np.concatenate([gram_columns, token_columns]).astype(np.int64)
        logits = np.tile(self.intercept, (len(texts), 1))
        if rows.size == 0:
            return logits
        width = self.weights.shape[0]
        # Binary features: a (row, column) pair counts once however often it matches.
        rows, columns = np.divmod(np.unique(rows * width + columns), width)
        first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        logits[rows[first]] += np.add.reduceat(
            self.weights[columns], first, axis=0, dtype=np.float64
        )
        return logits

    def predict(self, urls: Sequence[str]) -> list[Verdict]:
        """One verdict per URL, in order (batch for speed).

        A harmful category scoring below the model's block floor (metadata
        ``block_floor``, chosen in training so that few ordinary hosts reach it), or for a
        host of a shared platform (``shared_platform``), is not a verdict: the URL is
        ``benign`` with the benign probability as its score."""
        if not urls:
            return []
        probabilities = self.predict_proba(urls)
        verdicts = verdicts_of(probabilities, self.class_names)
        floor = float(self.metadata.get("block_floor", 0.0))
        if floor <= 0.0 or BENIGN not in self.class_names:
            return verdicts
        benign = self.class_names.index(BENIGN)
        return [
            verdict
            if verdict.category == BENIGN or (verdict.score >= floor and not shared_platform(url))
            else Verdict(BENIGN, round(float(row[benign]), 4))
            for url, verdict, row in zip(urls, verdicts, probabilities, strict=True)
        ]

    def explain(self, url: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` features (n-grams, tokens) that pushed ``url`` hardest towards its most
        likely harmful category, relative to benign, with their weights."""
        columns = self._columns(url_model_input(url))
        if columns.size == 0:
            return []
        logits = self.intercept + self.weights[columns].sum(axis=0, dtype=np.float64)
        target, benign = target_and_benign(logits, self.class_names)
        weights = self.weights[columns, target] - (
            self.weights[columns, benign] if benign is not None else 0.0
        )
        order = np.argsort(-weights, kind="stable")[:k]
        return [
            (self._feature_name(int(columns[i])), round(float(weights[i]), 4))
            for i in order
            if weights[i] > 0
        ]

    def _feature_name(self, column: int) -> str:
        grams = len(self.char_grams)
        return str(self.char_grams[column] if column < grams else self.tokens[column - grams])


def build_url_model(table: dict[str, Any], metadata: dict[str, Any]) -> UrlModel:
    """Compile a URL model table (what ``pipeline_to_table`` writes for the URL pipeline:
    a ``chars`` branch of binary character n-grams and a ``tokens`` branch of binary word
    tokens, both case-kept, then multinomial weights) into a ``UrlModel``.

    Raises ``ValueError`` when the table is anything else or its shapes disagree.
    """
    if table.get("kind") != "linear-text":
        raise ValueError("model file does not hold a linear text model table")
    branches = {str(branch["name"]): branch for branch in table["branches"]}
    chars, tokens = branches.get("chars"), branches.get("tokens")
    if (
        len(branches) != 2
        or chars is None
        or tokens is None
        or (chars["type"], tokens["type"]) != ("count", "count")
        or (chars["analyzer"], tokens["analyzer"]) != ("char", "word")
        or not (chars["binary"] and tokens["binary"])
        or chars["lowercase"]
        or tokens["lowercase"]
        or [int(n) for n in tokens["ngram_range"]] != [1, 1]
    ):
        raise ValueError("URL model table is not binary char n-grams + tokens")
    char_grams = np.asarray(chars["vocabulary"]).astype(str)
    token_names = np.asarray(tokens["vocabulary"]).astype(str)
    classes = tuple(str(c) for c in table["classes"])
    weights = np.ascontiguousarray(np.asarray(table["coef"], dtype=np.float32).T)
    intercept = np.asarray(table["intercept"], dtype=np.float64)
    width = len(char_grams) + len(token_names)
    if len(classes) < 3 or weights.shape != (width, len(classes)):
        raise ValueError(
            f"weights {weights.shape[::-1]} do not fit {width} features, "
            f"{len(classes)} classes (multinomial, at least 3)"
        )
    if intercept.shape != (len(classes),):
        raise ValueError(f"intercept {intercept.shape} does not fit {len(classes)} classes")
    low, high = (int(n) for n in chars["ngram_range"])
    lengths = np.char.str_len(char_grams) if len(char_grams) else np.array([low])
    newline = bool(len(char_grams)) and bool((char_grams.view(np.uint32) == 10).any())
    if lengths.min() < low or lengths.max() > high or newline:
        raise ValueError("URL model n-grams do not match their n-gram range")
    pattern = re.compile(str(tokens["token_pattern"]))
    if pattern.groups > 1:
        raise ValueError("URL model token pattern has more than one group")
    automaton = GramTable(char_grams, range(len(char_grams)), low, high)
    offset = len(char_grams)
    token_index = {token: offset + i for i, token in enumerate(token_names.tolist())}
    if len(token_index) != len(token_names) or len(automaton) != len(char_grams):
        raise ValueError("URL model vocabulary has duplicate features")
    for array in (char_grams, token_names, weights, intercept):
        array.setflags(write=False)
    return UrlModel(
        classes,
        char_grams,
        token_names,
        weights,
        intercept,
        MappingProxyType(dict(metadata)),
        automaton,
        token_index,
        pattern,
    )


def _char_ngram_text(text: str) -> str:
    """What the URL model's character n-grams are taken from: ``text`` with every run of
    two or more whitespace characters made one space (as scikit-learn's ``char`` analyzer,
    which the model was trained through, does)."""
    return _WHITESPACE_RUNS.sub(" ", text)


_SPACES = re.compile(r"\s+")


_WHITESPACE_RUNS = re.compile(r"\s\s+")


_SMALL_BATCH = 8
