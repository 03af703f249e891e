"""What Hearthguard would decide for a web address: the engine ``hearthguard check`` and the
dashboard's "Test a site" use.

``check_url`` decides one address (the dashboard); given a ``CheckEngine`` it reuses the
lists and models it loaded before until one of their files changes. ``check_lines`` decides
a stream of addresses (``hearthguard check``): in chunks, looking each chunk's hosts up in
the lists first and asking the URL model about those no list knows in one batch before
deciding, and writing each distinct decision's JSON once.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from json.encoder import encode_basestring
from urllib.parse import urlsplit

from classifier.categories import BENIGN
from policy.datadir import DataDir
from policy.decide import decide
from policy.engine import LoadedFiles, Stamps, load_files, stamps
from policy.messages import N_
from policy.snapshot import CategoryIndex, ListMatchLike, Snapshot, UrlVerdictSource
from policy.store import PolicyStore, load_snapshot
from policy.validate import InputError
from policy.values import Decision, Profile, Request

__all__ = [
    "BatchUrlVerdicts",
    "CheckEngine",
    "CheckedLines",
    "check_chunks",
    "check_lines",
    "chunk_checker",
    "chunked",
    "check_url",
    "url_request",
]

MAX_URL = 2000
#: Addresses decided together: the URL model judges the unknown hosts of one chunk at once.
CHUNK = 2000
_MAX_REMEMBERED = 50_000


#: Plain addresses (letters, digits, dots and dashes in the name; no user, no brackets, no
#: spaces or control characters) that ``urlsplit`` would split the same way, without its cost.
_PLAIN_URL = re.compile(r"(https?)://([A-Za-z0-9.-]+)(?::[0-9]*)?(/[^?#]*)?(?:\?([^#]*))?(?:#.*)?")


def url_request(url: str) -> Request:
    """The request a browser would make for ``url`` (the scheme defaults to http)."""
    raw = (url or "").strip()
    if len(raw) > MAX_URL:
        raise InputError(
            "url", N_("Web addresses can be at most %(n)s characters long."), n=MAX_URL
        )
    plain = _PLAIN_URL.fullmatch(raw if "://" in raw else f"http://{raw}")
    if plain is not None and raw.isprintable():
        scheme, name, path, query = plain.groups()
        host = name.lower().rstrip(".")
        if host:
            path = (path or "/") + (f"?{query}" if query else "")
            return Request(host, path, None, scheme)
    return _split_request(raw)


def _split_request(raw: str) -> Request:
    """``url_request`` for every address, through ``urlsplit``."""
    try:
        parts = urlsplit(raw if "://" in raw else f"http://{raw}")
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        host, parts = "", None
    if not host or parts is None or parts.scheme not in ("http", "https") or " " in host:
        raise InputError(
            "url", N_("“%(value)s” is not a web address, like example.com/page."), value=raw[:200]
        )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Request(host, path, None, parts.scheme)


class CheckEngine:
    """The lists and models ``check_url`` decides with, loaded once and loaded again only when
    one of their files (the category index, retrained models, hotline lists) is replaced,
    grown or touched. Safe to share between threads."""

    def __init__(self, data: DataDir) -> None:
        self.data = data
        self._lock = threading.Lock()
        self._stamps: Stamps | None = None
        self._loaded: LoadedFiles | None = None

    def current(self) -> LoadedFiles:
        """The lists and models as their files are now."""
        now = stamps(self.data)
        with self._lock:
            if self._loaded is None or self._stamps is None or _files_changed(self._stamps, now):
                self._loaded = load_files(self.data)
                self._stamps = now
            return self._loaded


def _files_changed(before: Stamps, now: Stamps) -> bool:
    # the phrase lists are not used by checks
    return (before.index, before.hotlines, before.models) != (now.index, now.hotlines, now.models)


def check_url(
    data: DataDir,
    store: PolicyStore,
    profile: Profile,
    url: str,
    now: datetime,
    engine: CheckEngine | None = None,
) -> tuple[Request, Decision, tuple[str, ...]]:
    """Decide ``url`` for ``profile`` with the installed lists and models, as the proxy would
    (for a device that is not paused). Returns the request, the decision, and any problems
    loading the lists (an empty index decides less). With ``engine`` the lists and models
    are those it holds (reloaded when their files change); without, they are loaded now."""
    request = url_request(url)
    loaded = engine.current() if engine is not None else load_files(data)
    snapshot = load_snapshot(
        store, index=loaded.index, url_model=loaded.url_model, illegal=loaded.illegal
    )
    return request, decide(request, profile, snapshot, now), loaded.problems


@dataclass
class BatchUrlVerdicts:
    """The URL model as ``check_lines`` asks it: hosts it has not judged yet are collected
    (and answered "benign" for now), judged together by ``judge_asked``, and remembered (at
    most 50,000). Decisions taken while a host was waiting must be taken again."""

    model: UrlVerdictSource
    #: what has the model's own ``predict(list)``; None: ``model.model``, asked for only when
    #: a host is judged (a `UrlModelWhenUsed` is loaded then, not before)
    batch: object = None
    asked: dict[str, None] = field(default_factory=dict)
    provisional: int = 0  # answers given while the host was waiting
    _verdicts: dict[str, tuple[str, float]] = field(default_factory=dict)
    _explained: dict[tuple[str, int], list[tuple[str, float]]] = field(default_factory=dict)

    def classify(self, host: str, path: str) -> tuple[str, float]:
        verdict = self._verdicts.get(host)
        if verdict is None:
            self.asked[host] = None
            self.provisional += 1
            return BENIGN, 0.0
        return verdict

    def ask(self, host: str) -> None:
        """Have ``host`` judged at the next ``judge_asked`` unless it is judged already."""
        if host not in self._verdicts:
            self.asked[host] = None

    def explain(self, host: str, k: int = 3) -> list[tuple[str, float]]:
        key = (host, k)
        found = self._explained.get(key)
        if found is None:
            found = self.model.explain(host, k=k)
            if len(self._explained) >= _MAX_REMEMBERED:
                self._explained.clear()
            self._explained[key] = found
        return found

    def judge_asked(self) -> None:
        """Judge every host asked about since the last call."""
        hosts = list(self.asked)
        self.asked.clear()
        if len(self._verdicts) + len(hosts) > _MAX_REMEMBERED:
            self._verdicts.clear()
        batch = self.batch if self.batch is not None else getattr(self.model, "model", None)
        predict = getattr(batch, "predict", None)
        if predict is not None and len(hosts) > 1:
            for host, verdict in zip(hosts, predict(hosts), strict=True):
                self._verdicts[host] = (verdict.category, verdict.score)
        else:
            for host in hosts:
                self._verdicts[host] = self.model.classify(host, "/")


def batch_url_verdicts(source: UrlVerdictSource | None) -> BatchUrlVerdicts | None:
    """``source`` (the engine's URL model) wrapped for ``check_lines``; its model is asked
    for at the first host judged."""
    if source is None:
        return None
    return BatchUrlVerdicts(source)


@dataclass
class CheckedLines:
    """How many of the addresses ``check_lines`` read were not web addresses."""

    bad: int = 0


def check_lines(
    urls: Iterable[str],
    profile: Profile,
    snapshot: Snapshot,
    now: datetime,
    counts: CheckedLines,
) -> Iterator[str]:
    """One JSON line per address, in order: ``{"url", **decision.as_dict()}``, or
    ``{"url", "error"}`` for what is not a web address (counted in ``counts.bad``).

    The lines of `check_chunks`, one at a time.
    """
    for lines in check_chunks(urls, profile, snapshot, now, counts):
        yield from lines


def check_chunks(
    urls: Iterable[str],
    profile: Profile,
    snapshot: Snapshot,
    now: datetime,
    counts: CheckedLines,
) -> Iterator[list[str]]:
    """The lines of `check_lines` (without newlines), ``CHUNK`` addresses' worth at a time.

    When ``snapshot.url_model`` is a ``BatchUrlVerdicts`` each chunk's new addresses are
    looked up in the lists first, together (``decide`` is then answered from those lookups),
    and the hosts no list names are judged by the URL model together before any is decided;
    a decision that still had to wait for the model is taken again after it. An address
    seen before (same host, path and scheme) is not decided again: ``decide`` is pure and
    every address is decided for one profile at one time. The lines are the same as
    deciding one address at a time.
    """
    decide_chunk = chunk_checker(profile, snapshot, now, counts)
    for chunk in chunked(urls):
        yield decide_chunk(chunk)


def chunked(urls: Iterable[str]) -> Iterator[list[str]]:
    """``urls`` in lists of ``CHUNK`` (the last one shorter), read as they are needed."""
    it = iter(urls)
    while chunk := list(itertools.islice(it, CHUNK)):
        yield chunk


def chunk_checker(
    profile: Profile, snapshot: Snapshot, now: datetime, counts: CheckedLines
) -> Callable[[list[str]], list[str]]:
    """What `check_chunks` does with each chunk: a function from addresses to their lines,
    remembering decisions between the chunks it is given (bad addresses counted in
    ``counts``). The lines of a chunk never depend on the chunks given before it."""
    looked_up: _LookedUp | None = None
    if isinstance(snapshot.url_model, BatchUrlVerdicts):
        looked_up = _LookedUp(snapshot.index)
        snapshot = replace(snapshot, index=looked_up)
    return _Run(profile, snapshot, now, counts, looked_up).chunk


class _LookedUp:
    """The category index, answering the lookups of the chunk being decided from what
    ``look_up`` found for it (any other lookup goes to the index)."""

    def __init__(self, index: CategoryIndex) -> None:
        self.index = index
        self.found: dict[tuple[str, str], tuple[ListMatchLike, ...]] = {}

    def lookup(self, host: str, path: str = "") -> tuple[ListMatchLike, ...]:
        found = self.found.get((host, path))
        return self.index.lookup(host, path) if found is None else found

    def forget(self) -> None:
        self.found.clear()


#: An address as ``check_chunks`` remembers its decision: host, path and scheme.
_Key = tuple[str, str, str]


@dataclass
class _Run:
    """What one ``check_chunks`` call remembers between chunks."""

    profile: Profile
    snapshot: Snapshot
    now: datetime
    counts: CheckedLines
    looked_up: _LookedUp | None = None
    decided: dict[_Key, Decision] = field(default_factory=dict)
    tails: dict[Decision, str] = field(default_factory=dict)

    def chunk(self, chunk: list[str]) -> list[str]:
        """The lines of ``chunk``'s addresses, in order."""
        profile, snapshot, now = self.profile, self.snapshot, self.now
        url_model = snapshot.url_model
        batched = url_model if isinstance(url_model, BatchUrlVerdicts) else None
        if len(self.decided) > _MAX_REMEMBERED:
            self.decided.clear()
        if len(self.tails) > _MAX_REMEMBERED:
            self.tails.clear()
        decided = self.decided
        # each address's request and key, or its error line
        requests: list[tuple[Request, _Key] | str] = []
        for url in chunk:
            try:
                request = url_request(url)
            except InputError as exc:
                self.counts.bad += 1
                requests.append(json.dumps({"url": url, "error": exc.message}))
                continue
            requests.append((request, (request.host, request.path, request.scheme)))
        if batched is not None and self.looked_up is not None:
            self._judge_unlisted(requests, batched, self.looked_up)
        results: list[Decision | str] = []
        waiting: list[tuple[int, Request, _Key]] = []
        for item in requests:
            if isinstance(item, str):
                results.append(item)
                continue
            request, key = item
            known = decided.get(key)
            if known is not None:
                results.append(known)
            elif batched is None:
                known = decided[key] = decide(request, profile, snapshot, now)
                results.append(known)
            else:
                provisional = batched.provisional
                known = decide(request, profile, snapshot, now)
                if batched.provisional != provisional:
                    waiting.append((len(results), request, key))
                else:
                    decided[key] = known
                results.append(known)
        if batched is not None and batched.asked:
            batched.judge_asked()
            for position, request, key in waiting:
                known = decided[key] = decide(request, profile, snapshot, now)
                results[position] = known
        if self.looked_up is not None:
            self.looked_up.forget()
        return self._lines(chunk, results)

    def _judge_unlisted(
        self,
        requests: list[tuple[Request, _Key] | str],
        batched: BatchUrlVerdicts,
        looked_up: _LookedUp,
    ) -> None:
        """Look the chunk's new addresses up in the lists, one after another (the index's
        pages stay warm), and have the URL model judge the hosts no list names, all at once,
        before any of them is decided."""
        decided, found, lookup = self.decided, looked_up.found, looked_up.index.lookup
        asked = batched.ask
        for item in requests:
            if isinstance(item, str):
                continue
            request, key = item
            if key in decided:
                continue
            host, path = request.host, request.path
            try:
                listed = found[(host, path)] = lookup(host, path)
            except Exception:  # noqa: BLE001 - decide meets the same failure and blocks
                continue
            if not listed:
                asked(host)
        if batched.asked:
            batched.judge_asked()

    def _lines(self, chunk: list[str], results: list[Decision | str]) -> list[str]:
        tails = self.tails
        lines: list[str] = []
        for url, result in zip(chunk, results, strict=True):
            if isinstance(result, str):
                lines.append(result)
                continue
            tail = tails.get(result)
            if tail is None:
                # json.dumps of {"url": u, **d} is '{"url": <u>, ' followed by the rest of d's
                tail = tails[result] = json.dumps(result.as_dict(), ensure_ascii=False)[1:]
            # what json.dumps(url, ensure_ascii=False) writes
            lines.append('{"url": ' + encode_basestring(url) + ", " + tail)
        return lines
