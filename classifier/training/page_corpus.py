"""Synthetic page documents for the page model, built from the lists and tweets.

There is no labelled page corpus that may be trained on; ``page_corpus`` imitates pages from
what the data does have (see its docstring). Word segmentation (``segment_words``) splits
host names such as ``freeporntube`` into words by the cheapest sequence of known words.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from classifier.categories import BENIGN
from classifier.models.chat import chat_model_input
from classifier.models.url import registered_domain
from classifier.training.chat_data import csv_rows
from classifier.training.hand_written import (
    GENERIC_PATH_WORDS,
    PROTECTED_CONTEXT_WORDS,
    PROTECTED_SENTENCES,
    PROTECTED_WORDS,
)
from classifier.training.list_sources import url_examples
from classifier.training.splits import SEED, TEST_SHARE, Example, in_test_share
from classifier.training.url import listed_only_by_servers

__all__ = [
    "EXPLICIT_ADULT_WORDS",
    "PAGE_BENIGN_DOCS",
    "PAGE_CONTRAST_SHARE",
    "PAGE_DOCS_PER_CATEGORY",
    "PAGE_LIST_CATEGORIES",
    "page_corpus",
    "segment_words",
]

#: Page-model classes: categories with enough distinctive vocabulary in the data.
PAGE_LIST_CATEGORIES = ("adult", "gambling", "drugs", "dating")
PAGE_DOCS_PER_CATEGORY = 6000
PAGE_BENIGN_DOCS = 14000

#: Explicit words of UT1's adult expressions (``ut1/adult/very_restrictive_expression`` and
#: ``expressions``, CC BY-SA), which squidGuard matches in the URLs of adult sites. Left out:
#: the words of health, sex education, LGBT topics, art and history in the same expressions
#: (adult, breast, sex, teen, mature, gay, lesb, naked, orgasm, clit, masturbat, pedophil,
#: lolit, bondage, cum, tit, hooter, playmate, showgirl, centerfold, obscene) and word stems.
#: Listed site names hold these words only now and then; adult documents get up to two, so
#: the model learns the vocabulary of explicit pages and not only of adult site names.
EXPLICIT_ADULT_WORDS = (
    "blowjob",
    "busty",
    "cumshot",
    "fetish",
    "hardcore",
    "nude",
    "porn",
    "porno",
    "pornstar",
    "pussy",
    "softcore",
    "striptease",
    "topless",
    "xxx",
)

#: Contrast documents per harmful category, as a share of that category's documents.
PAGE_CONTRAST_SHARE = 0.35


def _word_costs(
    examples_by_label: dict[str, list[Example]], tweets: Sequence[str]
) -> dict[str, float]:
    counts: Counter[str] = Counter()
    for text in tweets:
        counts.update(w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 1)
    for examples in examples_by_label.values():
        for example in examples:
            body = example.text[1:-1]
            counts.update(w for w in re.split(r"[^a-z]+", body) if 2 <= len(w) <= 15)
    for sentence in list(PROTECTED_SENTENCES):
        counts.update(re.findall(r"[a-z]+", sentence.lower()))
    for word in PROTECTED_WORDS + GENERIC_PATH_WORDS:
        counts[word] += 3
    total = sum(counts.values())
    return {w: -math.log(n / total) for w, n in counts.items() if n >= 2}


def segment_words(label: str, costs: dict[str, float], max_word: int = 15) -> list[str]:
    """Split a run of letters into likely words (``freeporntube`` -> ``free porn tube``)
    by the cheapest sequence of known words; unknown letters are expensive single words."""
    n = len(label)
    if n == 0:
        return []
    unknown = max(costs.values(), default=20.0) + 6.0
    best = [0.0] + [math.inf] * n
    back = [0] * (n + 1)
    for end in range(1, n + 1):
        for start in range(max(0, end - max_word), end):
            word = label[start:end]
            cost = costs.get(word, unknown * len(word) if len(word) > 1 else unknown)
            total = best[start] + cost
            if total < best[end]:
                best[end], back[end] = total, start
    words: list[str] = []
    end = n
    while end > 0:
        words.append(label[back[end] : end])
        end = back[end]
    return words[::-1]


def _url_words(url_key: str, costs: dict[str, float]) -> list[str]:
    body = url_key.strip("^$")
    host, _, path = body.partition("/")
    labels = host.split(".")
    if len(labels) > 1:
        labels = labels[:-1]  # the TLD says little about page text
    words: list[str] = []
    for piece in re.split(r"[^a-z]+", " ".join(labels) + " " + path):
        if len(piece) > 40:
            continue
        words.extend(w for w in segment_words(piece, costs) if len(w) > 1)
    return words


def _neutral_tweets(data_dir: Path) -> list[str]:
    out: list[str] = []
    report: dict[str, Any] = {"bad_rows": 0}
    for row in csv_rows(Path(data_dir) / "text" / "davidson" / "labeled_data.csv", report):
        if row.get("class") == "2":
            out.append(chat_model_input(row.get("tweet", "")).replace("@user", ""))
    for path in sorted((Path(data_dir) / "text" / "cyberbullying").glob("*.csv")):
        for row in csv_rows(path, report):
            if row.get("cyberbullying_type") == "not_cyberbullying":
                out.append(chat_model_input(row.get("tweet_text", "")).replace("@user", ""))
    return sorted(set(out))


def _hate_tweets(data_dir: Path) -> list[str]:
    report: dict[str, Any] = {"bad_rows": 0}
    return sorted(
        {
            chat_model_input(row.get("tweet", "")).replace("@user", "")
            for row in csv_rows(Path(data_dir) / "text" / "davidson" / "labeled_data.csv", report)
            if row.get("class") == "0"
        }
    )


def page_corpus(
    data_dir: Path, *, seed: int = SEED
) -> tuple[list[Example], list[Example], dict[str, Any]]:
    """Synthetic page documents for the page model (train, test, report).

    There is no labelled page corpus; each document imitates a page from what the data
    does have: the words of several listed URLs of one category (host names split into
    words, path words) mixed with filler taken from ordinary tweets. ``hate`` documents are
    Davidson hate-speech tweets with filler. Benign documents: words of benign-list URLs,
    ordinary tweets, and hand-written sentences about protected topics (health, sex
    education, LGBT, rights, news). Filler goes into every class, so common words carry no
    weight. The split is by registered domain (URL words) and by tweet.
    """
    rng = random.Random(seed)
    urls, report = url_examples(data_dir, seed=seed)
    # Advertising and tracking networks the harmful lists name are not pages of their
    # category: their names would teach that "ads", "analytics" or "stats" mean gambling.
    servers_only = listed_only_by_servers(data_dir)
    by_label: dict[str, list[Example]] = defaultdict(list)
    skipped = 0
    for example in urls:
        if example.label != BENIGN and registered_domain(example.text[1:-1]) in servers_only:
            skipped += 1
        elif example.label in PAGE_LIST_CATEGORIES or example.label == BENIGN:
            by_label[example.label].append(example)
    report["listed_only_by_servers_skipped"] = skipped
    neutral = _neutral_tweets(data_dir)
    hate = _hate_tweets(data_dir)
    maker = _DocumentMaker(rng, _word_costs(by_label, neutral))

    def tweet_side(text: str) -> str:
        return "test" if in_test_share(f"tweet:{text}", seed) else "train"

    filler_by_side = {s: [t for t in neutral if tweet_side(t) == s] for s in ("train", "test")}
    hate_by_side = {s: [t for t in hate if tweet_side(t) == s] for s in ("train", "test")}
    docs: dict[str, list[Example]] = {"train": [], "test": []}
    for side in ("train", "test"):
        scale = 1.0 if side == "train" else TEST_SHARE / (1 - TEST_SHARE)
        maker.filler = filler_by_side[side]
        for label in (*PAGE_LIST_CATEGORIES, BENIGN):
            pool = [e for e in by_label[label] if in_test_share(e.group, seed) == (side == "test")]
            if pool:
                docs[side] += maker.list_documents(label, pool, side, scale)
        docs[side] += maker.hate_documents(hate_by_side[side], side, scale)
        docs[side] += maker.filler_documents(side, scale)
    docs["train"] += maker.protected_documents(filler_by_side["train"])
    report["documents"] = {s: dict(Counter(e.label for e in d)) for s, d in docs.items()}
    return docs["train"], docs["test"], report


class _DocumentMaker:
    """Makes the synthetic documents of one corpus from one random generator; the order of
    the calls fixes the documents, so ``page_corpus`` makes them in one fixed order."""

    def __init__(self, rng: random.Random, costs: dict[str, float]) -> None:
        self.rng = rng
        self.costs = costs
        self.filler: list[str] = []
        self._segmented: dict[str, list[str]] = {}

    def url_words(self, key: str) -> list[str]:
        """The words of a URL key; documents sample the same URLs many times, so each is
        segmented once."""
        words = self._segmented.get(key)
        if words is None:
            words = self._segmented[key] = _url_words(key, self.costs)
        return words

    def add_filler(self, words: list[str], most: int) -> list[str]:
        """Append up to ``most`` filler tweets (of the current side) to ``words``."""
        for _ in range(self.rng.randint(0, most)):
            words.extend(self.rng.choice(self.filler).split())
        return words

    def list_documents(
        self, label: str, pool: Sequence[Example], side: str, scale: float
    ) -> list[Example]:
        """Documents of ``label`` from the words of listed URLs, then (for a harmful label)
        its contrast documents: the same topic words in the company of the words that news,
        health, rights and education pages use, labelled benign. A page that talks about
        gambling or drugs is not a casino or a shop."""
        rng = self.rng
        out: list[Example] = []
        wanted = PAGE_BENIGN_DOCS if label == BENIGN else PAGE_DOCS_PER_CATEGORY
        for i in range(int(wanted * scale)):
            picked = rng.sample(pool, min(len(pool), rng.randint(2, 10)))
            words: list[str] = []
            for example in picked:
                words.extend(self.url_words(example.text))
            if label == "adult":
                words.extend(rng.sample(EXPLICIT_ADULT_WORDS, rng.randint(0, 2)))
            self.add_filler(words, 6)
            rng.shuffle(words)
            out.append(Example(" ".join(words), label, f"{label}-{side}-{i}", "lists+tweets"))
        if label == BENIGN:
            return out
        for i in range(int(wanted * PAGE_CONTRAST_SHARE * scale)):
            picked = rng.sample(pool, min(len(pool), rng.randint(2, 6)))
            topic = [w for e in picked for w in self.url_words(e.text)]
            words = rng.sample(topic, min(len(topic), rng.randint(3, 10)))
            words += rng.choices(PROTECTED_CONTEXT_WORDS, k=rng.randint(6, 20))
            self.add_filler(words, 4)
            rng.shuffle(words)
            group = f"contrast-{label}-{side}-{i}"
            out.append(Example(" ".join(words), BENIGN, group, "lists+hand-written"))
        return out

    def hate_documents(self, hate_pool: Sequence[str], side: str, scale: float) -> list[Example]:
        """``hate`` documents: one to three hate-speech tweets with filler."""
        out: list[Example] = []
        for i in range(int(PAGE_DOCS_PER_CATEGORY * 0.5 * scale)):
            words: list[str] = []
            for text in self.rng.sample(hate_pool, min(len(hate_pool), self.rng.randint(1, 3))):
                words.extend(text.split())
            self.add_filler(words, 4)
            out.append(Example(" ".join(words), "hate", f"hate-{side}-{i}", "davidson"))
        return out

    def filler_documents(self, side: str, scale: float) -> list[Example]:
        """Benign documents of ordinary tweets only."""
        out: list[Example] = []
        for i in range(int(PAGE_BENIGN_DOCS * 0.3 * scale)):
            words = self.add_filler([], 8)
            if words:
                out.append(Example(" ".join(words), BENIGN, f"filler-{side}-{i}", "tweets"))
        return out

    def protected_documents(self, train_filler: Sequence[str]) -> list[Example]:
        """Benign training documents of hand-written protected-topic sentences with filler."""
        rng = self.rng
        protected = list(PROTECTED_SENTENCES)
        out: list[Example] = []
        for i in range(len(protected) * 12):
            sentences = rng.sample(protected, rng.randint(1, 4))
            words = " ".join(sentences).split()
            for _ in range(rng.randint(0, 4)):
                words.extend(rng.choice(train_filler).split())
            out.append(Example(" ".join(words), BENIGN, f"protected-{i}", "hand-written"))
        return out
