"""The compiled domain index: which lists name a host, its parent domains or a URL prefix.

`build_index` compiles parsed lists into ONE file; `DomainIndex.open` maps it read-only, so
start-up parses no text and the pages are shared with the page cache.

Matching rules
--------------
* A domain entry ``example.com`` matches ``example.com`` and every sub-domain
  (``a.b.example.com``), never a sibling (``badexample.com``) or a parent (``com``).
* A URL entry ``example.com/path`` matches requests to that host whose path starts with
  ``/path`` (plain prefix, compared in lower case, query string included). As in squidGuard, a
  leading ``www``, ``web`` or ``ftp`` label (optionally followed by digits) is ignored on both
  sides, and other sub-domains do NOT match: URL entries name pages of one site, and the
  domain entries already cover whole sites.
* Allow entries (AdBlock ``@@``, e2guardian exception lists) come back with ``allow=True``;
  what to do with them is the policy's decision.

File layout (little-endian)
---------------------------
``header`` (`_HEADER`): magic, version, section offsets and lengths, CRC-32 of everything
after the header. Then, each section 8-byte aligned: a marisa-trie of keys; one ``uint32`` per
key id (a slot id, or with the high bit set an offset into the multi section); the multi
section (``count, slot, slot, ...``); and a small JSON document naming the lists and slots.
Domain keys are the reversed name plus a dot (``moc.elpmaxe.``), so one ``prefixes()`` call
on the reversed host yields the host and every listed parent; URL keys start with ``/``
(``/example.com/path``) so the two kinds never meet.

Rebuilding replaces the file atomically (``classifier.files.atomic_file``): a
reader that opened the old file keeps its own mapping and keeps answering; opening the path
again gives the new index. Large indexes have their trie built by a child process
(``triebuild.py``) from a key file; the file written is the same byte for byte.
"""

from __future__ import annotations

import itertools
import json
import mmap
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

import marisa_trie

from classifier.files import atomic_file
from classifier.heap import return_freed_memory
from classifier.lists import triebuild
from classifier.lists.hosts import canonical_ip, is_public_suffix, is_valid_domain, normalise_host
from classifier.lists.parsed import ParsedList
from classifier.lists.triebuild import build_trie

if TYPE_CHECKING:  # numpy is imported by a build only: looking hosts up never needs it
    import numpy as np

__all__ = [
    "DomainIndex",
    "IndexFormatError",
    "IndexStats",
    "ListMatch",
    "build_index",
]

_MAGIC = b"HGDOMIDX"
_VERSION = 1
# magic, version, n_keys, trie (off, len), values (off, len), multi (off, len),
# meta (off, len), crc32 of bytes [header_size:]
_HEADER = struct.Struct("<8sII" + "QQ" * 4 + "I4x")
_MULTI_FLAG = 0x8000_0000
_WWW_RE = re.compile(r"(?:www|web|ftp)[0-9]*\.")
#: What a name ``_WWW_RE`` can match begins with (most names do not: no regex for them).
_WWW_STARTS = frozenset(("www", "web", "ftp"))
_NO_MATCHES: tuple[ListMatch, ...] = ()
#: One bit per hash of a site that has URL entries: a lookup walks the URL keys only for
#: those sites (another site's bit is set now and then: its walk finds nothing). Made at the
#: first lookup with a path.
_SITE_BITS = 1 << 20
_SITES_NOT_MADE = bytearray()
#: Keys of a list written to the build's key file at a time.
_KEY_BLOCK = 1 << 16
#: Indexes of at least this many keys have their trie built by a child process
#: (``triebuild.py``): marisa needs about 100 bytes a key while it builds, and the child's
#: heap is given back whole when it exits. Smaller ones are built here (no process start).
_CHILD_TRIE_KEYS = 200_000
#: A child building the trie is killed after this many seconds (the build fails, the last
#: good index stays).
_CHILD_TRIE_TIMEOUT = 3600
#: A build's folder beside the index (its key file and trie), named with the building
#: process's id so that one left by a killed build can be told from a running one.
_BUILD_PREFIX = ".index-build-"


class IndexFormatError(ValueError):
    """The file is not a Hearthguard domain index, or it is damaged or truncated."""


class ListMatch(NamedTuple):
    """One list that names the request: its category, its name and the entry that matched.

    ``matched`` is the listed domain (``example.com``) or URL prefix (``example.com/path``).
    Immutable; a named tuple rather than a frozen dataclass because every lookup that finds
    something makes one, and a tuple is made in less than half the time.
    """

    category: str
    list_name: str
    matched: str
    allow: bool = False


@dataclass(frozen=True)
class IndexStats:
    """What `build_index` wrote: distinct keys, lists, file size and time taken."""

    domains: int
    url_prefixes: int
    lists: int
    bytes: int
    build_seconds: float


@dataclass(frozen=True, slots=True)
class _Slot:
    list_name: str
    category: str
    allow: bool


def _domain_key(domain: str) -> str:
    return domain[::-1] + "."


def _url_key(prefix: str) -> str:
    host, slash, path = prefix.partition("/")
    match = _WWW_RE.match(host)
    if match and match.end() < len(host):
        host = host[match.end() :]
    return "/" + host + slash + path.lower()


def _url_sites(trie: marisa_trie.Trie) -> bytearray | None:
    """The bits of the sites of every URL key (``/site/path``), or None when a key has no
    ``/`` after its site (it would match sites that only begin with it)."""
    keys = trie.keys("/")
    if any(key.find("/", 1) < 0 for key in keys):
        return None
    bits = bytearray(_SITE_BITS // 8)
    for site in {key[1 : key.find("/", 1)] for key in keys}:
        bit = hash(site) & (_SITE_BITS - 1)
        bits[bit >> 3] |= 1 << (bit & 7)
    return bits


def _align(offset: int) -> int:
    return (offset + 7) & ~7


def build_index(lists: Iterable[ParsedList], out_path: Path) -> IndexStats:
    """Compile ``lists`` into the index file ``out_path``, replacing it atomically.

    Entries that are public suffixes or not valid domains are left out (the parsers already
    reject them; this guards lists built by other means). A domain named by several lists
    answers with all of them. The file is replaced atomically (``atomic_file``), so readers
    see either the old or the new index, never a partial one; a build that fails (its trie's
    child process included) raises and leaves the previous file.

    Memory: each list's keys are written to a key file in a temporary folder beside
    ``out_path`` (about 25 bytes a key on disk) as soon as the list is parsed, so only one
    list's entries are held at a time; from `_CHILD_TRIE_KEYS` keys the trie is built by a
    child process, so marisa's build memory (about 100 bytes a key) is never this process's.
    """
    started = time.perf_counter()
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    return_freed_memory()  # what the caller freed (an import's parse) before lists are parsed
    _remove_stale_builds(out_path.parent)
    with tempfile.TemporaryDirectory(
        prefix=f"{_BUILD_PREFIX}{os.getpid()}-", dir=out_path.parent
    ) as spill:
        keys_path = Path(spill) / "keys"
        slots, list_rows, slot_counts = _spill_keys(lists, keys_path)
        return_freed_memory()  # the parsed lists' strings, before the trie takes its share
        total = sum(count for _slot, count in slot_counts)
        if total >= _CHILD_TRIE_KEYS:
            trie = _trie_in_child(keys_path, Path(spill) / "trie")
        else:
            trie = build_trie(str(keys_path))
        return_freed_memory()  # what marisa used while building
        import numpy as np  # only now: not in this process while the trie's child runs

        pairs = np.empty(total, dtype=np.uint64)
        position = 0
        key_id = trie.key_id
        with open(keys_path, encoding="utf-8", newline="\n") as handle:
            for slot, count in slot_counts:
                ids = np.fromiter(
                    (key_id(line[:-1]) for line in itertools.islice(handle, count)),
                    dtype=np.uint64,
                    count=count,
                )
                pairs[position : position + count] = (ids << np.uint64(32)) | np.uint64(slot)
                position += count
    pairs.sort()  # by key id, then slot
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    values, multi = _values_for(pairs, len(trie))

    domain_keys = sum(1 for key in trie.iterkeys() if not key.startswith("/"))
    meta = json.dumps(
        {
            "slots": [[s.list_name, s.category, s.allow] for s in slots],
            "lists": list_rows,
            "domains": domain_keys,
            "url_prefixes": len(trie) - domain_keys,
        },
        ensure_ascii=False,
    ).encode("utf-8")
    size = _write_atomically(out_path, trie.tobytes(), values, multi, meta, len(trie))
    return IndexStats(
        domains=domain_keys,
        url_prefixes=len(trie) - domain_keys,
        lists=len(list_rows),
        bytes=size,
        build_seconds=time.perf_counter() - started,
    )


def _spill_keys(
    lists: Iterable[ParsedList], keys_path: Path
) -> tuple[list[_Slot], list[tuple[str, str, int]], list[tuple[int, int]]]:
    """Write every list's index keys to ``keys_path`` (each followed by a newline), one list
    at a time, so no list's entries are kept once its keys are written. Returns the slots,
    the ``(name, category, entries)`` row of each list and ``(slot id, key count)`` in the
    order the keys were written."""
    slots: list[_Slot] = []
    list_rows: list[tuple[str, str, int]] = []
    slot_counts: list[tuple[int, int]] = []
    with open(keys_path, "w", encoding="utf-8", newline="\n") as handle:
        for parsed in lists:
            entries = 0
            for allow, domains, urls in (
                (False, parsed.domains, parsed.url_prefixes),
                (True, parsed.allow_domains, parsed.allow_url_prefixes),
            ):
                count = _write_keys(domains, urls, handle)
                if count:
                    slot_counts.append((len(slots), count))
                    slots.append(_Slot(parsed.name, parsed.category, allow))
                    entries += count
            list_rows.append((parsed.name, parsed.category, entries))
            del parsed
    if len(slots) >= _MULTI_FLAG:
        raise ValueError("too many lists for one index")
    return slots, list_rows, slot_counts


def _write_keys(domains: Iterable[str], urls: Iterable[str], handle: TextIO) -> int:
    """Write the index keys of a list's domains and URL prefixes to ``handle``, each
    followed by a newline, ``_KEY_BLOCK`` keys at a time; return how many."""
    keys = itertools.chain(
        (_domain_key(d) for d in domains if _indexable(d)),
        (_url_key(u) for u in urls if "\n" not in u and _indexable(u.partition("/")[0])),
    )
    count = 0
    while block := list(itertools.islice(keys, _KEY_BLOCK)):
        handle.write("\n".join(block) + "\n")
        count += len(block)
    return count


def _remove_stale_builds(folder: Path) -> None:
    """Remove the build folders (key file, trie) that builds left in ``folder`` when their
    process was killed: those whose process id no longer runs. A running build's stays."""
    for entry in folder.glob(f"{_BUILD_PREFIX}*-*"):
        pid = entry.name[len(_BUILD_PREFIX) :].partition("-")[0]
        if pid.isdigit() and not _runs(int(pid)) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _runs(pid: int) -> bool:
    """True if a process ``pid`` exists (perhaps another user's)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    return True


def _trie_in_child(keys_path: Path, trie_path: Path) -> marisa_trie.Trie:
    """The trie of ``keys_path``, built by a child Python process that imports nothing but
    marisa_trie (``triebuild.py``) and loaded here. Raises `RuntimeError` if the child fails
    or takes longer than `_CHILD_TRIE_TIMEOUT` seconds (it is killed then)."""
    try:
        done = subprocess.run(
            [sys.executable, "-I", str(Path(triebuild.__file__)), str(keys_path), str(trie_path)],
            capture_output=True,
            text=True,
            timeout=_CHILD_TRIE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"building the index's trie took longer than {_CHILD_TRIE_TIMEOUT} s"
        ) from None
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise RuntimeError(f"building the index's trie failed: {detail[0]}")
    return marisa_trie.Trie().load(str(trie_path))


def _indexable(domain: str) -> bool:
    return is_valid_domain(domain) and not is_public_suffix(domain)


def _values_for(pairs: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Per key id: its one slot, or a flagged offset into the multi array of slot runs."""
    import numpy as np

    if not len(pairs):
        return np.zeros(n_keys, dtype=np.uint32), np.zeros(0, dtype=np.uint32)
    key_ids = (pairs >> np.uint64(32)).astype(np.int64)
    slot_ids = (pairs & np.uint64(0xFFFF_FFFF)).astype(np.uint32)
    starts = np.flatnonzero(np.r_[True, key_ids[1:] != key_ids[:-1]])
    counts = np.diff(np.r_[starts, len(key_ids)])
    values = np.zeros(n_keys, dtype=np.uint32)
    single = counts == 1
    values[key_ids[starts[single]]] = slot_ids[starts[single]]
    multi_parts: list[int] = []
    for start, count in zip(starts[~single], counts[~single], strict=True):
        if len(multi_parts) >= _MULTI_FLAG:
            raise ValueError("too many shared entries for one index")
        values[key_ids[start]] = _MULTI_FLAG | len(multi_parts)
        multi_parts.append(int(count))
        multi_parts.extend(int(s) for s in slot_ids[start : start + count])
    return values, np.asarray(multi_parts, dtype=np.uint32)


def _write_atomically(
    out_path: Path,
    trie_bytes: bytes,
    values: np.ndarray,
    multi: np.ndarray,
    meta: bytes,
    n_keys: int,
) -> int:
    sections = [trie_bytes, values.astype("<u4").tobytes(), multi.astype("<u4").tobytes(), meta]
    offsets: list[tuple[int, int]] = []
    offset = _align(_HEADER.size)
    for section in sections:
        offsets.append((offset, len(section)))
        offset = _align(offset + len(section))
    body = bytearray(offset - _HEADER.size)
    for (start, length), section in zip(offsets, sections, strict=True):
        body[start - _HEADER.size : start - _HEADER.size + length] = section
    header = _HEADER.pack(
        _MAGIC,
        _VERSION,
        n_keys,
        *(number for pair in offsets for number in pair),
        zlib.crc32(body),
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out_path, "wb", perms=0o644) as handle:
        handle.write(header)
        handle.write(body)
    return len(header) + len(body)


class DomainIndex:
    """A read-only, memory-mapped view of one compiled index file.

    Safe to share between threads for lookups. `close` must not race with lookups; a proxy
    that swaps indexes can simply drop its reference to the old one.
    """

    __slots__ = (
        "_trie",
        "_values",
        "_multi",
        "_slots",
        "_lists",
        "_mmap",
        "_views",
        "_has_urls",
        "_url_sites",
    )

    def __init__(
        self,
        trie: marisa_trie.Trie,
        values: memoryview | tuple[int, ...],
        multi: memoryview | tuple[int, ...],
        slots: tuple[_Slot, ...],
        lists: tuple[tuple[str, str, int], ...],
        mapping: mmap.mmap | None = None,
        views: tuple[memoryview, ...] = (),
        has_urls: bool = False,
    ) -> None:
        """Use `open` or `empty`; the constructor is internal."""
        self._trie = trie
        self._values = values
        self._multi = multi
        self._slots = slots
        self._lists = lists
        self._mmap = mapping
        self._views = views
        self._has_urls = has_urls
        self._url_sites: bytearray | None = _SITES_NOT_MADE

    @classmethod
    def empty(cls) -> DomainIndex:
        """An index with no lists: every lookup misses."""
        return cls(marisa_trie.Trie(), (), (), (), ())

    @classmethod
    def open(cls, path: Path) -> DomainIndex:
        """Map the index file at ``path``; fast (checks a CRC, parses no list text).

        Raises `IndexFormatError` if the file is not an index, is damaged or truncated, and
        `OSError` if it cannot be read.
        """
        with open(path, "rb") as handle:
            try:
                mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError as exc:  # empty file
                raise IndexFormatError(f"{path}: empty file, not a domain index") from exc
        try:
            return cls._from_mapping(path, mapping)
        except BaseException:
            mapping.close()
            raise

    @classmethod
    def _from_mapping(cls, path: Path, mapping: mmap.mmap) -> DomainIndex:
        if len(mapping) < _HEADER.size or mapping[:8] != _MAGIC:
            raise IndexFormatError(f"{path}: not a Hearthguard domain index")
        magic, version, n_keys, *numbers, crc = _HEADER.unpack_from(mapping, 0)
        if version != _VERSION:
            raise IndexFormatError(f"{path}: index version {version}, expected {_VERSION}")
        sections = list(zip(numbers[0::2], numbers[1::2], strict=True))
        if any(off < _HEADER.size or off + size > len(mapping) for off, size in sections):
            raise IndexFormatError(f"{path}: truncated domain index")
        whole = memoryview(mapping)
        try:
            if zlib.crc32(whole[_HEADER.size :]) != crc:
                raise IndexFormatError(f"{path}: damaged domain index (checksum mismatch)")
            # the checksum read every page of the file into this process; let them go (they
            # stay in the page cache), so only the pages lookups touch count as its memory
            mapping.madvise(mmap.MADV_DONTNEED)
            (trie_off, trie_len), (val_off, val_len), (mul_off, mul_len), (meta_off, meta_len) = (
                sections
            )
            if val_len != 4 * n_keys:
                raise IndexFormatError(f"{path}: inconsistent domain index")
            meta = json.loads(bytes(whole[meta_off : meta_off + meta_len]).decode("utf-8"))
            trie_view = whole[trie_off : trie_off + trie_len]
            trie = marisa_trie.Trie()
            trie.map(trie_view)
            if len(trie) != n_keys:
                raise IndexFormatError(f"{path}: inconsistent domain index")
            values = whole[val_off : val_off + val_len].cast("I")
            multi = whole[mul_off : mul_off + mul_len].cast("I")
            slots = tuple(_Slot(str(n), str(c), bool(a)) for n, c, a in meta["slots"])
            lists = tuple((str(n), str(c), int(e)) for n, c, e in meta["lists"])
            has_urls = int(meta["url_prefixes"]) > 0
        except IndexFormatError:
            whole.release()
            raise
        except (RuntimeError, ValueError, KeyError, TypeError) as exc:
            whole.release()
            raise IndexFormatError(f"{path}: damaged domain index ({exc})") from exc
        return cls(
            trie,
            values,
            multi,
            slots,
            lists,
            mapping,
            (values, multi, trie_view, whole),
            has_urls,
        )

    def lookup(self, host: str, path: str = "") -> tuple[ListMatch, ...]:
        """Every list that names this request, most specific first.

        URL-prefix matches come first (longest prefix first), then the exact host, then each
        parent domain up to the shortest listed one. ``host`` may be upper-case, end in a
        dot, carry a ``:port`` or be an internationalised name. A miss returns the same empty
        tuple every time (nothing is allocated).
        """
        if host.isascii() and ":" not in host:
            name = host.lower()
            if name.endswith("."):
                name = name[:-1]
        else:
            name = normalise_host(host) or canonical_ip(host) or ""
        trie = self._trie
        hits = list(trie.iter_prefixes_with_ids(name[::-1] + "."))
        if path and self._has_urls:
            site = name
            if name[:3] in _WWW_STARTS:
                match = _WWW_RE.match(name)
                if match:
                    site = name[match.end() :]
            if path[0] != "/":
                path = "/" + path
            bit = hash(site) & (_SITE_BITS - 1)
            sites = self._url_sites
            if sites is _SITES_NOT_MADE:
                sites = self._url_sites = _url_sites(trie)
            if sites is None or sites[bit >> 3] >> (bit & 7) & 1:
                url_hits = list(trie.iter_prefixes_with_ids("/" + site + path.lower()))
            else:
                url_hits = []  # no URL entry names this site
            if url_hits:
                found: list[ListMatch] = []
                for key, key_id in reversed(url_hits):
                    self._collect(key_id, key[1:], found)
                for key, key_id in reversed(hits):
                    self._collect(key_id, key[-2::-1], found)
                return tuple(found)
        if not hits:
            return _NO_MATCHES
        values, slots = self._values, self._slots
        if len(hits) == 1:  # the host or one parent named by one list: the common case
            key, key_id = hits[0]
            value = values[key_id]
            if not value & _MULTI_FLAG:
                slot = slots[value]
                return (ListMatch(slot.category, slot.list_name, key[-2::-1], slot.allow),)
        found = []
        for key, key_id in reversed(hits):
            value = values[key_id]
            if value & _MULTI_FLAG:
                self._collect(key_id, key[-2::-1], found)
            else:
                slot = slots[value]
                found.append(ListMatch(slot.category, slot.list_name, key[-2::-1], slot.allow))
        return tuple(found)

    def _collect(self, key_id: int, matched: str, found: list[ListMatch]) -> None:
        value = self._values[key_id]
        if value & _MULTI_FLAG:
            start = value & ~_MULTI_FLAG
            slot_ids = self._multi[start + 1 : start + 1 + self._multi[start]]
        else:
            slot_ids = (value,)
        slots = self._slots
        for slot_id in slot_ids:
            slot = slots[slot_id]
            found.append(ListMatch(slot.category, slot.list_name, matched, slot.allow))

    def lists(self) -> tuple[tuple[str, str, int], ...]:
        """``(list_name, category, entries)`` for every list compiled into the index."""
        return self._lists

    def __len__(self) -> int:
        """Number of distinct keys (domains and URL prefixes)."""
        return len(self._trie)

    def close(self) -> None:
        """Release the mapping. Lookups after `close` (or racing with it) are not allowed."""
        self._trie = marisa_trie.Trie()
        self._values = self._multi = ()
        self._has_urls = False
        for view in self._views:
            view.release()
        self._views = ()
        if self._mmap is not None:
            self._mmap.close()
            self._mmap = None

    def __enter__(self) -> DomainIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
