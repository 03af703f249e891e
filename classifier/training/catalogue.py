"""Real benign listings (software, apps, web services, cooking questions) as pages for the
page model.

The page model's other real benign pages are health pages and encyclopaedia articles; the
words of developer sites, app stores and online services (API, SDK, analytics, sync,
tracking, HD video, streaming, cams) appear there rarely, and the harmful lists name many
advertising and tracking servers, so without such pages those words read as evidence.
Two permissively licensed catalogues are grouped into catalogue-like pages: the public-apis
list (MIT; one page per category, long categories cut in pieces) and the descriptions of
the Scoop "Extras" application bucket (Unlicense; pages of ``APPS_PER_PAGE`` apps in file
order). Recipe and cooking words (dates, herbs, extra virgin olive oil, Granny Smith) come
from the question titles of Cooking Stack Exchange (CC BY-SA 3.0; one page per tag, as a
forum lists them). ``classifier/data/corpora/SOURCE.md`` records the commits.

    python -m classifier.training.catalogue PUBLIC_APIS_README SCOOP_BUCKET_DIR OUT.jsonl.gz
    python -m classifier.training.catalogue --cooking COOKING_STACKEXCHANGE_TXT OUT.jsonl.gz
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

__all__ = [
    "APPS_PER_PAGE",
    "CATALOGUE_FILE",
    "COOKING_FILE",
    "QUESTIONS_PER_PAGE",
    "build_catalogue_corpus",
    "cooking_pages",
    "public_apis_pages",
    "scoop_pages",
    "write_pages",
]

CATALOGUE_FILE = "software_catalogue.jsonl.gz"
COOKING_FILE = "cooking_questions.jsonl.gz"
#: Question titles per forum page.
QUESTIONS_PER_PAGE = 40
#: Entries per catalogue page (an app store or API directory page lists a few dozen).
APPS_PER_PAGE = 25

_ROW = re.compile(r"^\|\s*\[([^\]]+)\]\([^)]*\)\s*\|\s*([^|]+?)\s*\|")
_HEADING = re.compile(r"^###\s+(.+?)\s*$")


def public_apis_pages(readme: str) -> list[tuple[str, str]]:
    """``(group, text)`` pages of the public-apis README: each category's rows (``name:
    description``) under the category's title, ``APPS_PER_PAGE`` rows a page."""
    rows: dict[str, list[str]] = {}
    category = ""
    for line in readme.splitlines():
        heading = _HEADING.match(line)
        if heading:
            category = heading.group(1)
            continue
        row = _ROW.match(line)
        if row and category:
            rows.setdefault(category, []).append(f"{row.group(1)}: {row.group(2)}")
    return _paged("apis", rows)


def scoop_pages(bucket: Path) -> list[tuple[str, str]]:
    """``(group, text)`` pages of a Scoop bucket's manifests (``name: description``), in
    file-name order, ``APPS_PER_PAGE`` apps a page; manifests that are not JSON objects
    with a description are skipped."""
    entries: list[str] = []
    for path in sorted(Path(bucket).glob("*.json")):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        description = manifest.get("description") if isinstance(manifest, dict) else None
        if isinstance(description, str) and description.strip():
            entries.append(f"{path.stem}: {' '.join(description.split())}")
    return _paged("apps", {"Applications": entries})


def cooking_pages(text: str) -> list[tuple[str, str]]:
    """``(group, text)`` pages of Cooking Stack Exchange question titles in the fastText
    layout (``__label__tag ... title`` a line): the titles under each first tag,
    ``QUESTIONS_PER_PAGE`` a page, headed by the tag; lines without a title are skipped."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        words = line.split()
        tags = [w.removeprefix("__label__") for w in words if w.startswith("__label__")]
        title = " ".join(w for w in words if not w.startswith("__label__"))
        if tags and title:
            rows.setdefault(tags[0].replace("-", " "), []).append(title)
    return _paged("cooking", rows, QUESTIONS_PER_PAGE)


def _paged(
    kind: str, rows: dict[str, list[str]], size: int = APPS_PER_PAGE
) -> list[tuple[str, str]]:
    pages: list[tuple[str, str]] = []
    for title, items in rows.items():
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            pages.append((f"{kind}:{title}:{start // size}", "\n".join([title, *chunk])))
    return pages


def write_pages(pages: list[tuple[str, str]], out: Path) -> int:
    """Write ``(group, text)`` pages as JSON lines, gzipped byte-identically between runs
    (no file name or time in the header); return how many were written."""
    with (
        out.open("wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as handle,
    ):
        for group, text in pages:
            line = json.dumps({"group": group, "text": text}, ensure_ascii=False)
            handle.write((line + "\n").encode("utf-8"))
    return len(pages)


def build_catalogue_corpus(readme: str, bucket: Path, out: Path) -> int:
    """Write the software catalogue pages (``write_pages``); return how many."""
    return write_pages(public_apis_pages(readme) + scoop_pages(bucket), out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "--cooking":
        source, out = Path(args[1]), Path(args[2])
        if not source.is_file():
            print(f"error: {source} is not a file", file=sys.stderr)
            return 2
        count = write_pages(cooking_pages(source.read_text(encoding="utf-8")), out)
        print(f"{count} pages written to {out}")
        return 0
    if len(args) != 3:
        usage = __doc__.strip().splitlines()[-2:]
        print("\n".join(line.strip() for line in usage), file=sys.stderr)
        return 2
    readme, bucket, out = Path(args[0]), Path(args[1]), Path(args[2])
    if not readme.is_file() or not bucket.is_dir():
        print(f"error: {readme} must be a file and {bucket} a folder", file=sys.stderr)
        return 2
    count = build_catalogue_corpus(readme.read_text(encoding="utf-8"), bucket, out)
    print(f"{count} pages written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
