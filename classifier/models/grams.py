"""Compact exact lookup tables for the models' vocabularies, built at load time from the same
model files: short character n-grams as sorted integer keys (``GramTable``) and words as sorted
hashes over one packed byte string (``WordTable``).

A Python dict or an Aho-Corasick automaton of a 100,000-entry vocabulary holds one object (or
trie node) per entry and takes 4 to 8 MiB; these tables take about 12 bytes an entry and find
exactly the same entries.
"""

from __future__ import annotations

from collections.abc import Sequence

import ahocorasick
import numpy as np

__all__ = ["GramTable", "WordTable", "packed_words_array"]


def _code_points(text: str) -> np.ndarray:
    """The code points of ``text`` (lone surrogates included) as ``uint32``."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _str_array(words: Sequence[str] | np.ndarray) -> np.ndarray:
    """``words`` as a numpy str array (as it is when it is one)."""
    if isinstance(words, np.ndarray) and words.dtype.kind == "U":
        return words
    return np.asarray(list(words), dtype=str) if len(words) else np.empty(0, dtype="<U1")


def _str_points(array: np.ndarray) -> np.ndarray:
    """The code points of a numpy str array: one row per string, padded with zeros."""
    width = max(1, array.dtype.itemsize // 4)
    return np.ascontiguousarray(array).view(np.uint32).reshape(len(array), width)


def packed_words_array(packed: bytes) -> np.ndarray:
    """Words joined by newlines (UTF-8) as a numpy str array, without one Python string per
    word (a vocabulary of 100,000 n-grams as strings takes about 6 MiB while it exists)."""
    if not packed:
        return np.empty(0, dtype="<U1")
    points = _code_points(packed.decode("utf-8", "surrogatepass"))
    breaks = np.flatnonzero(points == 10)
    starts = np.concatenate([[0], breaks + 1])
    lengths = np.concatenate([breaks, [len(points)]]) - starts
    matrix = np.zeros((len(starts), max(1, int(lengths.max()))), dtype=np.uint32)
    for k in range(matrix.shape[1]):  # the k-th character of every word that has one
        longer = np.flatnonzero(lengths > k)
        matrix[longer, k] = points[starts[longer] + k]
    return matrix.view(f"<U{matrix.shape[1]}").reshape(len(starts))


def _columns(columns: Sequence[int]) -> np.ndarray:
    """Column numbers as ``int32`` (half the memory of ``int64``). Raises ``ValueError``
    for one out of that range."""
    found = np.asarray(columns, dtype=np.int64)
    if found.size and (found.min() < 0 or found.max() >= 2**31):
        raise ValueError("a column number is out of range")
    return found.astype(np.int32)


class GramTable:
    """Every occurrence in a text of a vocabulary of character n-grams (lengths ``low`` to
    ``high``), each n-gram with its column: what an Aho-Corasick automaton of the n-grams
    reports, as numpy arrays.

    An n-gram is a number: its characters, each replaced by its rank (from 1) in the
    vocabulary's alphabet, are its digits in base ``2 ** bits`` (no digit is 0, so n-grams of
    different lengths never share a number). Every character outside the alphabet is one
    more digit that no n-gram has, so a window holding one matches nothing. The keys are
    sorted, and the windows of every length of a text are looked up with one
    ``searchsorted``. When the digits of the longest n-gram do not fit 63 bits (an alphabet
    of about ``2 ** (63 // high)`` characters or more), the table falls back to an
    automaton.
    """

    def __init__(
        self, grams: Sequence[str] | np.ndarray, columns: Sequence[int], low: int, high: int
    ) -> None:
        """``grams[i]`` is reported as ``columns[i]``; every n-gram is ``low`` to ``high``
        characters long. ``grams`` may be a numpy str array (read without making a Python
        string of each n-gram). Raises ``ValueError`` for a duplicate n-gram or a bad length."""
        array = _str_array(grams)
        if len(array) != len(columns):
            raise ValueError("n-grams and columns disagree")
        lengths = np.char.str_len(array) if len(array) else np.empty(0, np.int64)
        if lengths.size and (lengths.min() < low or lengths.max() > high):
            raise ValueError(f"an n-gram is not {low} to {high} characters long")
        self.low, self.high = low, high
        self.size = len(array)
        points = _str_points(array)
        present = np.arange(points.shape[1]) < lengths[:, None]  # characters, not padding
        alphabet = np.unique(points[present]).astype(np.uint32)
        # digits 1..len(alphabet) for its characters, one more for every other character
        self._foreign = len(alphabet) + 1
        self.bits = int(self._foreign).bit_length()
        self._automaton: ahocorasick.Automaton | None = None
        self.alphabet = alphabet
        if self.bits * high > 63:
            self._automaton = ahocorasick.Automaton()
            for gram, column in zip(array.tolist(), columns, strict=True):
                self._automaton.add_word(gram, (int(column), len(gram)))
            if len(self._automaton) != self.size:
                raise ValueError("the n-grams have duplicates")
            if self.size:
                self._automaton.make_automaton()
            self.keys = np.empty(0, np.uint64)
            self.values = np.empty(0, np.int32)
            return
        keys = np.zeros(self.size, dtype=np.uint64)
        for k in range(min(high, points.shape[1])):  # the k-th character of every n-gram
            longer = np.flatnonzero(lengths > k)
            digits = np.searchsorted(alphabet, points[longer, k]).astype(np.uint64) + 1
            keys[longer] = (keys[longer] << np.uint64(self.bits)) | digits
        del points, present
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        if len(self.keys) and (self.keys[1:] == self.keys[:-1]).any():
            raise ValueError("the n-grams have duplicates")
        self.values = _columns(columns)[order]
        # the digit of every character below U+10000 (128 KiB), for one lookup per text
        small = np.uint16 if self._foreign < 2**16 else np.uint32
        self._digit_of = np.full(0x10000, self._foreign, dtype=small)
        basic = alphabet[alphabet < 0x10000]
        self._digit_of[basic] = np.arange(1, len(basic) + 1, dtype=small)
        self._bits = np.uint64(self.bits)
        for array_ in (self.alphabet, self.keys, self.values, self._digit_of):
            array_.setflags(write=False)

    def __len__(self) -> int:
        return self.size

    def find(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Every occurrence of a vocabulary n-gram in ``text``: its start offsets and its
        columns (two ``int64`` arrays of one length, in no particular order)."""
        if self._automaton is not None:
            if not self.size or not text:
                return np.empty(0, np.int64), np.empty(0, np.int64)
            found = [
                (end - length + 1, column) for end, (column, length) in self._automaton.iter(text)
            ]
            pairs = np.array(found, dtype=np.int64).reshape(-1, 2)
            return pairs[:, 0], pairs[:, 1]
        points = _code_points(text)
        length = len(points)
        if not self.size or length < self.low:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        if points.max() < len(self._digit_of):  # most texts: one table lookup
            digits = self._digit_of[points].astype(np.uint64)
        else:
            ranks = self.alphabet.searchsorted(points)
            ranks[ranks == len(self.alphabet)] = 0
            # a character outside the alphabet is the one digit no n-gram has
            digits = np.where(self.alphabet[ranks] == points, ranks + 1, self._foreign)
            digits = digits.astype(np.uint64)
        # one row per n-gram length, windows by start offset; 0 (no n-gram) past the end
        wanted = np.zeros((self.high - self.low + 1, length), dtype=np.uint64)
        if self.low == 1:
            wanted[0] = digits
        key = digits
        for n in range(2, min(self.high, length) + 1):
            key = (key[:-1] << self._bits) | digits[n - 1 :]
            if n >= self.low:
                wanted[n - self.low, : len(key)] = key
        flat = wanted.ravel()
        at = self.keys.searchsorted(flat)
        np.minimum(at, len(self.keys) - 1, out=at)
        match = np.flatnonzero(self.keys[at] == flat)
        return match % length, self.values[at[match]]

    def gram(self, column: int) -> str:
        """The n-gram reported as ``column``. Raises ``KeyError`` when none is."""
        if self._automaton is not None:
            for gram, (found, _length) in self._automaton.items():
                if found == column:
                    return str(gram)
            raise KeyError(column)
        slots = np.flatnonzero(self.values == column)  # only explanations ask: no index kept
        if not slots.size:
            raise KeyError(column)
        key, digits = int(self.keys[slots[0]]), []
        mask = (1 << self.bits) - 1
        while key:
            digits.append(key & mask)
            key >>= self.bits
        return "".join(chr(int(self.alphabet[d - 1])) for d in reversed(digits))

    def columns(self, text: str) -> np.ndarray:
        """The distinct columns of the vocabulary n-grams present in ``text``, sorted."""
        return np.unique(self.find(text)[1])


class WordTable:
    """Words -> columns, exactly as a dict of them, without one Python object per word: the
    words packed in one UTF-8 byte string in the order of their sorted 64-bit hashes.

    Python's ``hash`` of a ``str`` is fixed for the life of a process (and cached on each
    string), so a table built at load time is valid for that process; a hash that matches is
    confirmed by comparing the bytes, so two words with one hash never mix.
    """

    def __init__(self, words: Sequence[str], columns: Sequence[int]) -> None:
        """``words[i]`` is looked up as ``columns[i]``. Raises ``ValueError`` for a duplicate
        word or lengths that disagree."""
        if len(words) != len(columns):
            raise ValueError("words and columns disagree")
        hashes = np.fromiter((hash(w) for w in words), dtype=np.int64, count=len(words))
        order = np.argsort(hashes, kind="stable").tolist()
        self.hashes = hashes[order]
        self.offsets = np.zeros(len(words) + 1, dtype=np.int32)
        if words:  # one word encoded at a time: no list of them
            sizes = (len(words[i].encode("utf-8", "surrogatepass")) for i in order)
            np.cumsum(np.fromiter(sizes, dtype=np.int64, count=len(words)), out=self.offsets[1:])
        self.packed = "".join([words[i] for i in order]).encode("utf-8", "surrogatepass")
        self.values = _columns(columns)[order]
        for array in (self.hashes, self.offsets, self.values):
            array.setflags(write=False)
        seen = self.hashes[1:] == self.hashes[:-1]
        for slot in np.flatnonzero(seen).tolist():  # words sharing a hash must differ
            for other in range(slot, -1, -1):
                if self.hashes[other] != self.hashes[slot + 1]:
                    break
                if self._bytes(other) == self._bytes(slot + 1):
                    raise ValueError(f"duplicate word {self._bytes(other)!r}")

    def __len__(self) -> int:
        return len(self.values)

    def _bytes(self, slot: int) -> bytes:
        return self.packed[int(self.offsets[slot]) : int(self.offsets[slot + 1])]

    def get(self, word: str) -> int | None:
        """The column of ``word``, or None."""
        return self.columns_of([word])[0]

    def columns_of(self, words: Sequence[str]) -> list[int | None]:
        """The column of each word (None for a word not in the table), in order."""
        if not words or not len(self.values):
            return [None] * len(words)
        wanted = np.fromiter((hash(w) for w in words), dtype=np.int64, count=len(words))
        at = np.searchsorted(self.hashes, wanted)
        found: list[int | None] = []
        size = len(self.hashes)
        for word, h, slot in zip(words, wanted.tolist(), at.tolist(), strict=True):
            column = None
            encoded: bytes | None = None
            while slot < size and self.hashes[slot] == h:
                if encoded is None:
                    encoded = word.encode("utf-8", "surrogatepass")
                if self._bytes(slot) == encoded:
                    column = int(self.values[slot])
                    break
                slot += 1
            found.append(column)
        return found

    def word(self, column: int) -> str:
        """The word looked up as ``column``. Raises ``KeyError`` when no word has it."""
        slots = np.flatnonzero(self.values == column)  # only explanations ask: no index kept
        if not slots.size:
            raise KeyError(column)
        return self._bytes(int(slots[0])).decode("utf-8", "surrogatepass")
