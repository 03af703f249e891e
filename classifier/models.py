"""Load and run Hearthguard's three text models: URL, page text and chat.

Every model is a skops file plus a metadata JSON file of the same name. Files are loaded
with skops' trusted-types check against an explicit allow-list (never pickle), once, at
start-up; predictions are pure functions of the loaded, immutable model.

- URL model (``url.skops``): a scikit-learn ``Pipeline`` (character n-grams and tokens of
  host + path, multinomial logistic regression) -> a canonical category or ``benign``.
  The file holds the pipeline's vocabularies and weights as arrays (a vocabulary stored as
  a skops dict is ~70 MB of JSON); ``pipeline_from_table`` rebuilds the stock pipeline.
- Page model (``page.skops``): a table of weighted word n-grams learned by an L1 logistic
  regression, compiled at load time into one Aho-Corasick automaton, so a 64 KB page is
  scored at C speed.
- Chat model (``chat.skops``): a ``Pipeline`` (word and character TF-IDF, logistic
  regression) -> ``abusive`` or ``ok``.

Scores are the models' probabilities; ``metadata["thresholds"]`` records what a threshold
of 0.5 to 0.9 (in steps of 0.1) meant on the held-out split.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import ahocorasick
import numpy as np

from classifier.categories import BENIGN

__all__ = [
    "ABUSIVE",
    "BUNDLED_MODEL_DIR",
    "MODEL_FORMAT",
    "OK",
    "TRUSTED_TYPES",
    "ChatModel",
    "ChatVerdict",
    "LoadedModels",
    "PageModel",
    "UrlModel",
    "Verdict",
    "build_page_model",
    "chat_model_input",
    "load_models",
    "page_ngrams",
    "page_phrase_text",
    "pipeline_from_table",
    "pipeline_to_table",
    "repair_mojibake",
    "url_model_input",
]

#: Where the shipped models live.
BUNDLED_MODEL_DIR = Path(__file__).resolve().parent / "data" / "models"

ABUSIVE = "abusive"
OK = "ok"

#: Bump when the on-disk layout changes; older files are refused with a plain reason.
MODEL_FORMAT = 1

#: Every type a model file may contain; anything else is refused before loading. Model
#: files hold plain tables (vocabularies, weights) and the scikit-learn objects are rebuilt
#: from them at load time, so nothing in a file can name code to run. (skops' own default
#: trust list admits scikit-learn estimators; this list is stricter.)
TRUSTED_TYPES: tuple[str, ...] = (
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.NoneType",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
)

_MODEL_NAMES = ("url", "page", "chat")
_URL_MAX_CHARS = 200
_WWW = re.compile(r"^www\d*\.")
_SPACES = re.compile(r"\s+")
_SMALL_BATCH = 8
# Page text: everything that is not an ASCII letter or digit becomes a word edge; bytes of
# non-ASCII letters (UTF-8, >= 0x80) stay part of words.
_WORD_EDGES = bytes(c if (48 <= c <= 57 or 97 <= c <= 122 or c >= 128) else 32 for c in range(256))


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


def url_model_input(url: str) -> str:
    """The string the URL model reads: lower-cased ``host/path?query`` between ``^`` and ``$``.

    Scheme, user info, port and fragment are dropped, a leading ``www.`` (``www2.``...) is
    removed and the result is cut at 200 characters. Accepts bare hosts and full URLs.
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
    host = _WWW.sub("", host.lower())
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


def page_phrase_text(text: str) -> str:
    """Normalise page text for phrase matching: lower-cased, every ASCII non-alphanumeric
    character turned into a space, padded with one space at each end.

    The result is UTF-8 bytes seen as Latin-1 characters (so it stays a ``str`` while the
    translation runs at byte speed); phrases are stored in the same form.
    """
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


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------- models


@dataclass(frozen=True)
class UrlModel:
    """Host + path -> ``Verdict``.

    Wraps a fitted scikit-learn pipeline (binary character n-gram and token counts,
    multinomial logistic regression). ``predict`` computes exactly what the pipeline's
    ``predict_proba`` would, but finds the character n-grams of a whole batch with one pass
    of an Aho-Corasick automaton over the vocabulary, which is several times faster.
    """

    pipeline: Any
    metadata: MappingProxyType[str, Any]
    _chars: ahocorasick.Automaton = field(repr=False)
    _tokens: dict[str, int] = field(repr=False)
    _token_pattern: re.Pattern[str] = field(repr=False)
    _weights: np.ndarray = field(repr=False)  # (n_features, n_classes)
    _intercept: np.ndarray = field(repr=False)

    @classmethod
    def from_pipeline(cls, pipeline: Any, metadata: MappingProxyType[str, Any]) -> UrlModel:
        """Compile a fitted pipeline; raises ``ValueError`` when it is not the expected
        ``FeatureUnion(chars=char n-grams, tokens=word tokens)`` of binary counts."""
        branches = dict(pipeline[0].transformer_list)
        chars, tokens = branches.get("chars"), branches.get("tokens")
        if (
            chars is None
            or tokens is None
            or chars.analyzer != "char"
            or tokens.analyzer != "word"
            or not (chars.binary and tokens.binary)
            or chars.lowercase
            or tokens.lowercase
            or len(pipeline[-1].classes_) < 3
        ):
            raise ValueError("URL model pipeline is not char n-grams + tokens, multinomial")
        automaton = ahocorasick.Automaton()
        char_vocabulary = _vocabulary(chars)
        for gram, index in char_vocabulary.items():
            automaton.add_word(gram, index)
        automaton.make_automaton()
        offset = len(char_vocabulary)
        token_index = {tok: offset + i for tok, i in _vocabulary(tokens).items()}
        model = pipeline[-1]
        weights = np.ascontiguousarray(np.asarray(model.coef_, dtype=np.float32).T)
        return cls(
            pipeline,
            metadata,
            automaton,
            token_index,
            re.compile(tokens.token_pattern),
            weights,
            np.asarray(model.intercept_, dtype=np.float64),
        )

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.pipeline.classes_)

    def predict_proba(self, urls: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per URL, columns in ``classes`` order."""
        from scipy.sparse import csr_matrix

        texts = [url_model_input(u) for u in urls]
        if len(texts) <= _SMALL_BATCH:
            # A sparse matrix costs more than it saves for a handful of URLs.
            logits = np.vstack([self._logits_one(text) for text in texts])
            return _softmax(logits)
        joined = "\n".join(texts)
        starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
        found = list(self._chars.iter(joined))
        for match in self._token_pattern.finditer(joined):
            index = self._tokens.get(match.group())
            if index is not None:
                found.append((match.start(), index))
        pairs = np.array(found, dtype=np.int64).reshape(-1, 2)
        rows = np.searchsorted(starts, pairs[:, 0], side="right") - 1
        matrix = csr_matrix(
            (np.ones(len(pairs), dtype=np.float32), (rows, pairs[:, 1])),
            shape=(len(texts), self._weights.shape[0]),
        )
        matrix.sum_duplicates()
        matrix.data[:] = 1.0  # binary features: presence, not counts
        return _softmax(matrix @ self._weights + self._intercept)

    def _logits_one(self, text: str) -> np.ndarray:
        columns = {index for _end, index in self._chars.iter(text)}
        for match in self._token_pattern.finditer(text):
            index = self._tokens.get(match.group())
            if index is not None:
                columns.add(index)
        if not columns:
            return self._intercept.copy()
        picked = np.fromiter(columns, dtype=np.int64, count=len(columns))
        return self._intercept + self._weights[picked].sum(axis=0, dtype=np.float64)

    def predict(self, urls: Sequence[str]) -> list[Verdict]:
        """One verdict per URL, in order (batch for speed)."""
        if not urls:
            return []
        return _verdicts(self.predict_proba(urls), self.classes)

    def explain(self, url: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` features (n-grams, tokens) that pushed ``url`` hardest towards its most
        likely harmful category, relative to benign, with their weights."""
        features, model = self.pipeline[0], self.pipeline[-1]
        row = features.transform([url_model_input(url)]).tocsr()
        names = features.get_feature_names_out()
        return _explain_multiclass(row, names, model.coef_, self.classes, k)


@dataclass(frozen=True)
class PageModel:
    """Page text -> ``Verdict`` by learned weighted phrases (word 1- and 2-grams).

    A page's class scores are the intercepts plus the weights of every distinct phrase
    present (presence, not counts, so filler length does not dilute a page's worst lines);
    a softmax turns them into probabilities.
    """

    phrases: tuple[str, ...]
    weights: np.ndarray  # (n_phrases, n_classes)
    intercept: np.ndarray  # (n_classes,)
    class_names: tuple[str, ...]
    metadata: MappingProxyType[str, Any]
    _automaton: ahocorasick.Automaton = field(repr=False)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.class_names

    def matched_phrases(self, text: str) -> np.ndarray:
        """Indexes of the distinct model phrases present in ``text``."""
        if not self.phrases or not text:
            return np.empty(0, dtype=np.int64)
        found = {index for _end, index in self._automaton.iter(page_phrase_text(text))}
        return np.fromiter(found, dtype=np.int64, count=len(found))

    def logits(self, text: str) -> np.ndarray:
        """Class scores before the softmax."""
        found = self.matched_phrases(text)
        if found.size == 0:
            return self.intercept.astype(np.float64)
        return self.intercept + self.weights[found].sum(axis=0, dtype=np.float64)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per text, columns in ``classes`` order."""
        if not texts:
            return np.empty((0, len(self.class_names)))
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
        target, benign = _target_and_benign(self.logits(text), self.class_names)
        weights = self.weights[found, target] - (
            self.weights[found, benign] if benign is not None else 0.0
        )
        order = np.argsort(-weights)[:k]
        return [
            (_readable_phrase(self.phrases[found[i]]), round(float(weights[i]), 4))
            for i in order
            if weights[i] > 0
        ]


@dataclass(frozen=True)
class ChatModel:
    """Chat text -> ``ChatVerdict`` (``abusive`` / ``ok``)."""

    pipeline: Any
    metadata: MappingProxyType[str, Any]
    threshold: float = 0.5

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(abusive) per text."""
        if not texts:
            return np.empty(0)
        column = list(self.pipeline.classes_).index(ABUSIVE)
        return self.pipeline.predict_proba([chat_model_input(t) for t in texts])[:, column]

    def predict(self, texts: Sequence[str]) -> list[ChatVerdict]:
        """One verdict per text; ``label`` is ``abusive`` when P(abusive) >= the model's
        default threshold (metadata ``default_threshold``)."""
        return [
            ChatVerdict(ABUSIVE if p >= self.threshold else OK, round(float(p), 4))
            for p in self.predict_proba(texts)
        ]

    def explain(self, text: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` n-grams of ``text`` that added most to P(abusive), with their weights."""
        features, model = self.pipeline[0], self.pipeline[-1]
        row = features.transform([chat_model_input(text)]).tocsr()
        names = features.get_feature_names_out()
        sign = 1.0 if str(model.classes_[1]) == ABUSIVE else -1.0
        contributions = row.data * model.coef_[0, row.indices] * sign
        order = np.argsort(-contributions)[:k]
        return [
            (str(names[row.indices[i]]).split("__", 1)[-1], round(float(contributions[i]), 4))
            for i in order
            if contributions[i] > 0
        ]


def _vocabulary(vectorizer: Any) -> dict[str, int]:
    """Term -> column of a vectorizer, fitted or built with a fixed vocabulary."""
    fitted = getattr(vectorizer, "vocabulary_", None)
    if fitted is not None:
        return dict(fitted)
    return {str(term): index for index, term in enumerate(vectorizer.vocabulary)}


def _target_and_benign(scores: np.ndarray, classes: tuple[str, ...]) -> tuple[int, int | None]:
    benign = classes.index(BENIGN) if BENIGN in classes else None
    harmful = [i for i in range(len(classes)) if i != benign]
    target = max(harmful, key=lambda i: scores[i]) if harmful else 0
    return target, benign


def _explain_multiclass(
    row: Any, names: np.ndarray, coef: np.ndarray, classes: tuple[str, ...], k: int
) -> list[tuple[str, float]]:
    if row.nnz == 0:
        return []
    logits = row @ coef.T
    target, benign = _target_and_benign(np.asarray(logits).ravel(), classes)
    weights = coef[target, row.indices] - (coef[benign, row.indices] if benign is not None else 0)
    contributions = row.data * weights
    order = np.argsort(-contributions)[:k]
    return [
        (str(names[row.indices[i]]).split("__", 1)[-1], round(float(contributions[i]), 4))
        for i in order
        if contributions[i] > 0
    ]


def _verdicts(probabilities: np.ndarray, classes: tuple[str, ...]) -> list[Verdict]:
    best = probabilities.argmax(axis=1)
    return [
        Verdict(classes[i], round(float(row[i]), 4))
        for i, row in zip(best, probabilities, strict=True)
    ]


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
    automaton = ahocorasick.Automaton()
    for index, phrase in enumerate(phrases):
        automaton.add_word(phrase, index)
    if phrases:
        automaton.make_automaton()
    weights.setflags(write=False)
    return PageModel(
        phrases, weights, intercept, classes, MappingProxyType(dict(metadata)), automaton
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


def load_models(model_dir: Path | None = None, *, local_dir: Path | None = None) -> LoadedModels:
    """Load the URL, page and chat models.

    ``model_dir`` defaults to the bundled ``classifier/data/models``. When ``local_dir`` is
    given and holds a model (e.g. a page model retrained from household examples), that copy
    is preferred; if it cannot be loaded the bundled one is used and the reason is still
    reported. A missing, corrupt or untrusted file never raises: the model is ``None`` and
    ``errors[name]`` explains why.
    """
    base = Path(model_dir) if model_dir is not None else BUNDLED_MODEL_DIR
    errors: dict[str, str] = {}
    sources: dict[str, str] = {}
    loaded: dict[str, Any] = {}
    for name in _MODEL_NAMES:
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
    table = _load_skops(model_path)
    if not isinstance(table, dict):
        raise ValueError("model file does not hold a model table")
    frozen = MappingProxyType(metadata)
    try:
        if name == "page":
            return build_page_model(table, metadata)
        pipeline = pipeline_from_table(table)
    except (KeyError, TypeError) as error:
        raise ValueError(f"model table is incomplete ({error})") from None
    if name == "url":
        return UrlModel.from_pipeline(pipeline, frozen)
    if ABUSIVE not in [str(c) for c in pipeline.classes_]:
        raise ValueError("chat model has no 'abusive' class")
    threshold = float(metadata.get("default_threshold", 0.5))
    return ChatModel(pipeline, frozen, threshold)


def _load_skops(path: Path) -> Any:
    import skops.io as sio

    try:
        declared = _types_in_archive(path)
        untrusted = set(sio.get_untrusted_types(file=path))
    except Exception as error:  # noqa: BLE001 - a damaged archive
        raise ValueError(f"not a readable skops file ({type(error).__name__}: {error})") from None
    refused = sorted((declared | untrusted) - set(TRUSTED_TYPES))
    if refused:
        raise ValueError("refused untrusted types: " + ", ".join(refused))
    try:
        return sio.load(path, trusted=sorted(untrusted))
    except Exception as error:  # noqa: BLE001
        raise ValueError(f"not a readable skops file ({type(error).__name__}: {error})") from None


def _types_in_archive(path: Path) -> set[str]:
    """Every ``module.class`` named anywhere in a skops archive's schema."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        schema = json.loads(archive.read("schema.json"))
    found: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node:
                found.add(f"{node.get('__module__', '')}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found
