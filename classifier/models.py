"""Load and run Hearthguard's three text models: URL, page text and chat.

Every model is a skops file of plain tables plus a metadata JSON file of the same name.
Files are read by ``classifier.modelfile``, which rebuilds only dicts, lists, plain values
and numpy arrays and refuses anything else (never pickle, never a named class), once, at
start-up; predictions are pure functions of the loaded, immutable model.

- URL model (``url.skops``): a multinomial logistic regression over binary character
  n-grams and tokens of host + path -> a canonical category or ``benign``. Trained as a
  scikit-learn ``Pipeline``; the file holds its vocabularies and weights as arrays (a
  vocabulary stored as a skops dict is ~70 MB of JSON). At run time it is an Aho-Corasick
  automaton, a token index and a weight matrix (numpy only); ``pipeline_from_table``
  rebuilds the stock pipeline, which gives the same probabilities.
- Page model (``page.skops``): a table of weighted word n-grams learned by an L1 logistic
  regression, compiled at load time into one Aho-Corasick automaton, so a 64 KB page is
  scored at C speed.
- Chat model (``chat.skops``): word and character-n-gram TF-IDF of normalised text
  (``classifier.chattext``) and a logistic regression -> ``abusive`` or ``ok``, stored as
  vocabularies and weights and run with a dict, an Aho-Corasick automaton and numpy.

Scores are the models' probabilities; ``metadata["thresholds"]`` records what a threshold
of 0.5 to 0.9 (in steps of 0.1) meant on the held-out split.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import ahocorasick
import numpy as np

from classifier.categories import BENIGN
from classifier.chattext import CHAR_GRAM_RANGE, chat_features
from classifier.lists.hosts import is_public_suffix
from classifier.modelfile import read_model_file

__all__ = [
    "ABUSIVE",
    "BUNDLED_MODEL_DIR",
    "MODEL_FORMAT",
    "MODEL_NAMES",
    "OK",
    "ChatModel",
    "ChatVerdict",
    "LoadedModels",
    "PageModel",
    "UrlModel",
    "Verdict",
    "CHAT_MAX_CHARS",
    "build_chat_model",
    "pack_words",
    "unpack_words",
    "build_page_model",
    "build_url_model",
    "chat_model_features",
    "chat_model_input",
    "load_models",
    "page_ngrams",
    "page_phrase_text",
    "pipeline_from_table",
    "pipeline_to_table",
    "repair_mojibake",
    "registered_domain",
    "shared_platform",
    "url_model_input",
]

#: Where the shipped models live.
BUNDLED_MODEL_DIR = Path(__file__).resolve().parent / "data" / "models"

ABUSIVE = "abusive"
OK = "ok"

#: Bump when the on-disk layout changes; older files are refused with a plain reason.
MODEL_FORMAT = 1

#: Every model ``load_models`` knows, in loading order.
MODEL_NAMES: tuple[str, ...] = ("url", "page", "chat")

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
_SPACES = re.compile(r"\s+")
_WHITESPACE_RUNS = re.compile(r"\s\s+")
_SMALL_BATCH = 8
# Page text: everything that is not an ASCII letter or digit becomes a word edge; bytes of
# non-ASCII letters (UTF-8, >= 0x80) stay part of words.
_WORD_EDGES = bytes(c if (48 <= c <= 57 or 97 <= c <= 122 or c >= 128) else 32 for c in range(256))
# The same for ASCII text that is not lower-cased yet: A-Z become a-z in the same pass.
_ASCII_WORD_EDGES = bytes(c + 32 if 65 <= c <= 90 else _WORD_EDGES[c] for c in range(256))
_SECOND = itemgetter(1)


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


# --------------------------------------------------------------------------- inputs


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
    word features and its normalised text (``classifier.chattext``), taken from
    ``chat_model_input`` of the first ``CHAT_MAX_CHARS`` characters."""
    return chat_features(chat_model_input(text[:CHAT_MAX_CHARS]), lexicon=lexicon)


def page_phrase_text(text: str) -> str:
    """Normalise page text for phrase matching: lower-cased, every ASCII non-alphanumeric
    character turned into a space, padded with one space at each end.

    The result is UTF-8 bytes seen as Latin-1 characters (so it stays a ``str`` while the
    translation runs at byte speed); phrases are stored in the same form.
    """
    if text.isascii():  # most pages: lower-casing is part of the one translation
        data = text.encode("ascii").translate(_ASCII_WORD_EDGES)
    else:
        data = text.lower().encode("utf-8", "replace").translate(_WORD_EDGES)
    return " " + data.decode("latin-1") + " "


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


def _char_ngram_text(text: str) -> str:
    """What the URL model's character n-grams are taken from: ``text`` with every run of
    two or more whitespace characters made one space (as scikit-learn's ``char`` analyzer,
    which the model was trained through, does)."""
    return _WHITESPACE_RUNS.sub(" ", text)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------- models


@dataclass(frozen=True)
class UrlModel:
    """Host + path -> ``Verdict``.

    A multinomial logistic regression over binary features of ``url_model_input``: the
    character 3-5-grams and the word tokens of its vocabulary. The character n-grams of a
    whole batch are found with one pass of an Aho-Corasick automaton, tokens with one
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
    _chars: ahocorasick.Automaton = field(repr=False)
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
            return _softmax(np.vstack([self._logits_one(text) for text in texts]))
        return _softmax(self._logits_batch(texts))

    def _token_columns(self, text: str) -> list[int]:
        # ``findall`` yields the pattern's group when it has one, as scikit-learn reads it.
        found = [self._token_index.get(token) for token in self._token_pattern.findall(text)]
        return [index for index in found if index is not None]

    def _columns(self, text: str) -> np.ndarray:
        """The distinct feature columns present in one model input, sorted."""
        columns = {index for _end, index in self._chars.iter(_char_ngram_text(text))}
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
        grams = np.fromiter(chain.from_iterable(self._chars.iter(joined)), dtype=np.int64)
        grams = grams.reshape(-1, 2)  # (end offset, column)
        token_rows: list[int] = []
        token_columns: list[int] = []
        for row, text in enumerate(texts):
            found = self._token_columns(text)
            token_rows.extend([row] * len(found))
            token_columns.extend(found)
        rows = np.concatenate(
            [np.searchsorted(starts, grams[:, 0], side="right") - 1, token_rows]
        ).astype(np.int64)
        columns = np.concatenate([grams[:, 1], token_columns]).astype(np.int64)
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
        verdicts = _verdicts(probabilities, self.class_names)
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
        target, benign = _target_and_benign(logits, self.class_names)
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


@dataclass(frozen=True)
class PageModel:
    """Page text -> ``Verdict`` by learned weighted phrases (word 1- and 2-grams).

    A page's class scores are the intercepts plus the weights of every distinct phrase
    present (presence, not counts, so filler length does not dilute a page's worst lines).

    Two kinds of table:

    - calibrated evidence model (``calibration`` set; what ``python -m classifier.train``
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

    @property
    def classes(self) -> tuple[str, ...]:
        return self.class_names

    def matched_phrases(self, text: str) -> np.ndarray:
        """Indexes of the distinct model phrases present in ``text``."""
        return self._matches(self._automaton, text)

    def _matches(self, automaton: ahocorasick.Automaton, text: str) -> np.ndarray:
        if not self.phrases or not text:
            return np.empty(0, dtype=np.int64)
        found = set(map(_SECOND, automaton.iter(page_phrase_text(text))))
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
        automaton = self._evidence_automaton
        if automaton is not None and len(automaton):
            found = self._matches(automaton, text)
        else:
            found = self.matched_phrases(text)
        score, count = self._evidence(found)
        p = 1.0 / (1.0 + np.exp(-np.clip(calibration[:, 0] * score + calibration[:, 1], -500, 500)))
        p = np.where(count >= self.min_phrases, p, 0.0)
        if BENIGN in self.class_names:
            benign = self.class_names.index(BENIGN)
            p[benign] = 0.0
            p[benign] = 1.0 - p.max()
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
        return _softmax(np.vstack([self.logits(t) for t in texts]))

    def predict(self, texts: Sequence[str]) -> list[Verdict]:
        """One verdict per text, in order."""
        return _verdicts(self.predict_proba(texts), self.class_names)

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
        target, benign = _target_and_benign(scores, self.class_names)
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


@dataclass(frozen=True)
class ChatModel:
    """Chat text -> ``ChatVerdict`` (``abusive`` / ``ok``), with numpy and pyahocorasick only.

    A logistic regression over two TF-IDF branches of binary features of
    ``chat_model_features``: word unigrams, bigrams and lexicon features (looked up in a
    dict), and character n-grams within words (found by one Aho-Corasick automaton). Each
    branch is L2-normalised over the features of its vocabulary that are present, as in
    training. Optionally the lexicon features form a third, unnormalised branch, and one
    more feature says whether a word annotators often marked as the abuse is present.
    ``threshold`` is the shipped threshold chosen on left-out sources (metadata
    ``default_threshold``). Built by ``build_chat_model``.
    """

    word_names: tuple[str, ...]  # the same str objects as the keys of the word index
    char_names: np.ndarray  # a str array (short n-grams pack tightly)
    lexicon_names: tuple[str, ...]  # lexicon features with a branch of their own, if any
    # per feature: idf * weight (what it adds to the score) and idf ** 2 (its share of the
    # branch's norm); word features first, then character n-grams, then lexicon features
    # (which add scale * weight and are not normalised)
    contribution: np.ndarray
    norm_share: np.ndarray
    intercept: float
    metadata: MappingProxyType[str, Any]
    threshold: float
    _word_index: dict[str, int] = field(repr=False)
    _chars: ahocorasick.Automaton = field(repr=False)
    _lexicon: bool = True
    # words annotators often marked as the abuse: present at all -> ``marked_contribution``
    marked_words: frozenset[str] = frozenset()
    marked_contribution: float = 0.0

    def _columns(self, text: str) -> tuple[tuple[list[int], list[int], list[int]], bool]:
        """The word, character and own-branch lexicon feature columns present in ``text``
        (indexes into ``contribution``), and whether a marked word is present."""
        words, normalised = chat_model_features(text, lexicon=self._lexicon)
        found = [i for i in (self._word_index.get(w) for w in words) if i is not None]
        lexicon_start = len(self.word_names) + len(self.char_names)
        word_columns = [i for i in found if i < lexicon_start]
        lexicon_columns = [i for i in found if i >= lexicon_start]
        char_columns = {i for _end, i in self._chars.iter(" " + normalised + " ")}
        marked = bool(self.marked_words) and not self.marked_words.isdisjoint(words)
        return (word_columns, sorted(char_columns), lexicon_columns), marked

    def _name(self, column: int) -> str:
        words, chars = len(self.word_names), len(self.char_names)
        if column < words:
            return self.word_names[column]
        if column < words + chars:
            return str(self.char_names[column - words])
        return self.lexicon_names[column - words - chars]

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


def _target_and_benign(scores: np.ndarray, classes: tuple[str, ...]) -> tuple[int, int | None]:
    benign = classes.index(BENIGN) if BENIGN in classes else None
    harmful = [i for i in range(len(classes)) if i != benign]
    target = max(harmful, key=lambda i: scores[i]) if harmful else 0
    return target, benign


def _verdicts(probabilities: np.ndarray, classes: tuple[str, ...]) -> list[Verdict]:
    best = probabilities.argmax(axis=1)
    return [
        Verdict(classes[i], round(float(row[i]), 4))
        for i, row in zip(best, probabilities, strict=True)
    ]


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
        vocabulary = unpack_words(branch["vocabulary"], len(idf))
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError(f"chat model {name}: vocabulary has duplicates")
        branches.append((vocabulary, idf, coef))
    (word_list, word_idf, word_coef), (char_list, char_idf, char_coef) = branches
    words = word_list
    chars = np.asarray(char_list, dtype=str) if char_list else np.empty(0, dtype="<U1")
    low, high = (int(n) for n in table["char_range"])
    if (low, high) != CHAR_GRAM_RANGE:
        raise ValueError(f"chat model character n-grams {low}-{high} are not {CHAR_GRAM_RANGE}")
    lengths = np.char.str_len(chars) if len(chars) else np.array([low])
    inner_space = bool(len(chars)) and bool(
        (np.char.find(np.char.strip(chars, " "), " ") >= 0).any()
    )
    if lengths.min() < low or lengths.max() > high or inner_space:
        raise ValueError("chat model character n-grams do not match their n-gram range")
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
    offset = len(words)
    automaton = ahocorasick.Automaton()
    for index, gram in enumerate(chars):
        automaton.add_word(gram, offset + index)
    if len(chars):
        automaton.make_automaton()
    for array in (contribution, norm_share):
        array.setflags(write=False)
    # One str object per word, shared by the names and the index (a str array of word
    # pairs would be as wide as the longest pair, ~20 MB).
    word_names = tuple(words)
    lexicon_names = tuple(str(name) for name in lexicon)
    lookup = {word: i for i, word in enumerate(word_names)}
    start = len(words) + len(chars)
    lookup.update({name: start + i for i, name in enumerate(lexicon_names)})
    chars.setflags(write=False)
    return ChatModel(
        word_names,
        chars,
        lexicon_names,
        contribution,
        norm_share,
        float(np.asarray(table["intercept"], dtype=np.float64).reshape(-1)[0]),
        MappingProxyType(dict(metadata)),
        float(metadata.get("default_threshold", 0.5)),
        lookup,
        automaton,
        bool(table["lexicon"]),
        frozenset(np.asarray(marked.get("words", [])).astype(str).tolist()),
        float(marked.get("contribution", 0.0)),
    )


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
    automaton = ahocorasick.Automaton()
    for index, phrase in enumerate(phrases):
        automaton.add_word(phrase, index)
    if phrases:
        automaton.make_automaton()
    evidence_automaton = None
    floor = float(table.get("evidence_floor", 0.0))
    if calibration is not None and phrases:
        evidence_automaton = ahocorasick.Automaton()
        for index in np.flatnonzero(((weights < 0) | (weights >= floor)).any(axis=1)).tolist():
            evidence_automaton.add_word(phrases[index], index)
        if len(evidence_automaton):
            evidence_automaton.make_automaton()
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
    )


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
    if lengths.min() < low or lengths.max() > high or "\n" in "".join(char_grams.tolist()):
        raise ValueError("URL model n-grams do not match their n-gram range")
    pattern = re.compile(str(tokens["token_pattern"]))
    if pattern.groups > 1:
        raise ValueError("URL model token pattern has more than one group")
    automaton = ahocorasick.Automaton()
    for index, gram in enumerate(char_grams.tolist()):
        automaton.add_word(gram, index)
    automaton.make_automaton()
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


# --------------------------------------------------------------------------- tables

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


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class LoadedModels:
    """The models that could be loaded; ``errors`` says in plain words why others are not."""

    url: UrlModel | None
    page: PageModel | None
    chat: ChatModel | None
    errors: dict[str, str]
    sources: dict[str, str] = field(default_factory=dict)  # model name -> directory used


def load_models(
    model_dir: Path | None = None,
    *,
    local_dir: Path | None = None,
    names: Iterable[str] = MODEL_NAMES,
) -> LoadedModels:
    """Load the models named in ``names`` (any of ``url``, ``page``, ``chat``); the others
    are ``None`` and not reported as errors.

    ``model_dir`` defaults to the bundled ``classifier/data/models``. When ``local_dir`` is
    given and holds a model (e.g. a page model retrained from household examples), that copy
    is preferred; if it cannot be loaded the bundled one is used and the reason is still
    reported. A missing, corrupt or untrusted file never raises: the model is ``None`` and
    ``errors[name]`` explains why. Files are read with ``classifier.modelfile`` (plain
    tables only); no model needs scikit-learn or SciPy. Raises ``ValueError`` for
    a name that is not a model.
    """
    wanted = tuple(names)
    unknown = sorted(set(wanted) - set(MODEL_NAMES))
    if unknown:
        raise ValueError(f"unknown model names {unknown}; known: {list(MODEL_NAMES)}")
    base = Path(model_dir) if model_dir is not None else BUNDLED_MODEL_DIR
    errors: dict[str, str] = {}
    sources: dict[str, str] = {}
    loaded: dict[str, Any] = {}
    for name in MODEL_NAMES:
        if name not in wanted:
            continue
        candidates = [base]
        if local_dir is not None and (Path(local_dir) / f"{name}.skops").exists():
            candidates.insert(0, Path(local_dir))
        problems: list[str] = []
        for directory in candidates:
            try:
                loaded[name] = _load_one(name, directory)
            except Exception as error:  # noqa: BLE001 - any failure makes the model unavailable
                problems.append(f"{directory / (name + '.skops')}: {error}")
                continue
            sources[name] = str(directory)
            break
        if problems:
            errors[name] = "; ".join(problems)
    return LoadedModels(
        url=loaded.get("url"),
        page=loaded.get("page"),
        chat=loaded.get("chat"),
        errors=errors,
        sources=sources,
    )


def _load_one(name: str, directory: Path) -> UrlModel | PageModel | ChatModel:
    model_path = directory / f"{name}.skops"
    meta_path = directory / f"{name}.json"
    if not model_path.is_file():
        raise FileNotFoundError("model file is missing")
    if not meta_path.is_file():
        raise FileNotFoundError(f"metadata file {meta_path.name} is missing")
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"metadata {meta_path.name} is not valid JSON ({error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != MODEL_FORMAT:
        raise ValueError(f"metadata {meta_path.name} is not format {MODEL_FORMAT}")
    table = read_model_file(model_path)
    if not isinstance(table, dict):
        raise ValueError("model file does not hold a model table")
    try:
        if name == "url":
            return build_url_model(table, metadata)
        if name == "page":
            return build_page_model(table, metadata)
        return build_chat_model(table, metadata)
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"model table is incomplete ({type(error).__name__}: {error})") from None
