"""Real page corpora for training and honest evaluation of the page model.

Each reader returns ``Example`` items (text, label, group, source). ``TRAINABLE`` says which
sources a shipped model may learn from (``../shared/data/README.md``, "may ship a model
trained on it"); the others are read at run time for evaluation and threshold tuning only,
and none of their text is copied into the project.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

from classifier.categories import BENIGN
from classifier.training.catalogue import CATALOGUE_FILE, COOKING_FILE
from classifier.training.splits import Example

__all__ = [
    "CORPUS_DIR",
    "EVALUATION_ONLY",
    "TRAINABLE",
    "WIKITEXT_FILE",
    "build_wikitext_corpus",
    "page_sources",
    "read_page_source",
    "wikitext_articles",
]

#: Where Hearthguard's own copies of permissively licensed text live (each with a SOURCE note).
CORPUS_DIR = Path(__file__).resolve().parents[1] / "data" / "corpora"
WIKITEXT_FILE = "wikitext2_articles.jsonl.gz"

#: Real page sources a shipped model may be trained on, with their label.
TRAINABLE: dict[str, str] = {
    "medquad": BENIGN,
    "wikipedia": BENIGN,
    "software": BENIGN,
    "cooking": BENIGN,
}
#: Real page sources read at run time to measure the model and tune its thresholds only.
EVALUATION_ONLY: dict[str, str] = {
    "recipes": BENIGN,
    "bbc_news": BENIGN,
    "ag_news": BENIGN,
    "gambling_affiliate": "gambling",
    "agora_drugs": "drugs",
}

#: Characters of a page the model reads (the proxy classifies the first 64 KB of HTML).
_MAX_TEXT = 64_000


def _rows(path: Path) -> Iterator[dict[str, str]]:
    csv.field_size_limit(1 << 26)
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        yield from csv.DictReader(handle)


def read_page_source(name: str, data_dir: Path, corpus_dir: Path = CORPUS_DIR) -> list[Example]:
    """The pages of one named source (a key of ``TRAINABLE`` or ``EVALUATION_ONLY``).

    Groups keep near-duplicates together: a recipe site, a gambling repository, an Agora
    vendor, a MedQuAD collection topic. Raises ``KeyError`` for an unknown name and
    ``FileNotFoundError`` when the source's file is missing."""
    pages = Path(data_dir) / "pages"
    label = {**TRAINABLE, **EVALUATION_ONLY}[name]
    out: list[Example] = []
    if name == "medquad":
        for row in _rows(pages / "medquad_nih_health" / "medquad_documents.csv"):
            out.append(Example(row["text"][:_MAX_TEXT], label, f"medquad:{row['focus']}", name))
    elif name == "wikipedia":
        path = Path(corpus_dir) / WIKITEXT_FILE
        if not path.is_file():
            raise FileNotFoundError(path)
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                item = json.loads(line)
                out.append(Example(item["text"], label, f"wiki:{item['title']}", name))
    elif name == "software":
        out.extend(_corpus_pages(Path(corpus_dir) / CATALOGUE_FILE, "software", label))
    elif name == "cooking":
        out.extend(_corpus_pages(Path(corpus_dir) / COOKING_FILE, "cooking", label))
    elif name == "recipes":
        for row in _rows(pages / "recipe_scrapers_pages" / "recipe_pages_visible_text.csv"):
            text = f"{row['page_title']}\n{row['visible_text']}"
            out.append(Example(text[:_MAX_TEXT], label, f"site:{row['site']}", name))
    elif name == "bbc_news":
        for row in _rows(pages / "bbc_news_fulltext" / "bbc_news_fulltext.csv"):
            out.append(Example(row["text"][:_MAX_TEXT], label, f"bbc:{row['file']}", name))
    elif name == "ag_news":
        path = pages / "ag_news_test" / "test.csv"
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for i, fields in enumerate(csv.reader(handle)):
                if len(fields) != 3:
                    continue
                text = f"{fields[1]}\n{fields[2]}".replace("\\n", "\n").replace("\\", " ")
                out.append(Example(text, label, f"ag:{i}", name))
    elif name == "gambling_affiliate":
        for row in _rows(pages / "gambling_affiliate_pages" / "gambling_pages.csv"):
            text = f"{row['page_title']}\n{row['text']}"
            out.append(Example(text[:_MAX_TEXT], label, f"repo:{row['repo']}", name))
    elif name == "agora_drugs":
        path = pages / "agora_darknet_drug_listings_2014" / "agora_2014_drug_listings_unique.csv"
        for row in _rows(path):
            text = (
                f"{row['product_title']}\nShips from {row['ships_from']} to {row['ships_to']}\n"
                f"{row['feedback_text_first_seen']}"
            )
            out.append(Example(text, label, f"vendor:{row['vendor']}", name))
    return out


def _corpus_pages(path: Path, name: str, label: str) -> list[Example]:
    """The pages of one of Hearthguard's own corpus files (JSON lines with ``group`` and
    ``text``); raises ``FileNotFoundError`` when it is missing."""
    if not path.is_file():
        raise FileNotFoundError(path)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    return [Example(row["text"], label, f"{name}:{row['group']}", name) for row in rows]


def page_sources(
    data_dir: Path, corpus_dir: Path = CORPUS_DIR
) -> tuple[dict[str, list[Example]], dict[str, str]]:
    """Every real page source that can be read: ``{name: pages}`` and ``{name: why not}``
    for the ones that cannot (missing files are reported, not fatal)."""
    found: dict[str, list[Example]] = {}
    missing: dict[str, str] = {}
    for name in (*TRAINABLE, *EVALUATION_ONLY):
        try:
            found[name] = read_page_source(name, data_dir, corpus_dir)
        except (OSError, KeyError) as error:
            missing[name] = f"{type(error).__name__}: {error}"
    return found, missing


# --------------------------------------------------------------------------- WikiText

_HEADING = re.compile(r"^ = ([^=].*?) = $")
_UNKNOWN = re.compile(r"\s*<unk>\s*")
_JOINERS = ((" @-@ ", "-"), (" @,@ ", ","), (" @.@ ", "."), (" , ", ", "), (" . ", ". "))


def wikitext_articles(raw: str, chunk_chars: int = 4000) -> list[tuple[str, str]]:
    """Split WikiText-2 text into ``(title, text)`` pieces of about ``chunk_chars``
    characters, cut at paragraph ends: ``<unk>`` placeholders dropped, ``@-@`` joiners and
    spaced punctuation undone."""
    articles: list[tuple[str, list[str]]] = []
    for line in raw.splitlines():
        heading = _HEADING.match(line)
        if heading:
            articles.append((heading.group(1).replace("<unk>", "").strip(), []))
            continue
        text = line.strip()
        if not text or not articles:
            continue
        text = _UNKNOWN.sub(" ", f" {text} ")
        for old, new in _JOINERS:
            text = text.replace(old, new)
        text = re.sub(r"^\s*=+\s*(.*?)\s*=+\s*$", r"\1", text)  # section headings
        articles[-1][1].append(" ".join(text.split()))
    pieces: list[tuple[str, str]] = []
    for title, paragraphs in articles:
        current: list[str] = []
        for paragraph in paragraphs:
            current.append(paragraph)
            if sum(len(p) for p in current) >= chunk_chars:
                pieces.append((title, "\n".join(current)))
                current = []
        if current:
            pieces.append((title, "\n".join(current)))
    return pieces


def build_wikitext_corpus(files: list[Path], out: Path) -> int:
    """Write the WikiText pieces of ``files`` as JSON lines (``title``, ``text``), gzipped
    byte-identically between runs; return how many were written."""
    count = 0
    with out.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        for path in files:
            for title, text in wikitext_articles(path.read_text(encoding="utf-8")):
                line = json.dumps({"title": title, "text": text}, ensure_ascii=False)
                handle.write((line + "\n").encode("utf-8"))
                count += 1
    return count
