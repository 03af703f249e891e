"""Real benign text about software, apps and web services, as pages for the page model.

The page model's other real benign pages are health pages and encyclopaedia articles; the
words of developer sites, app stores and online services (API, SDK, analytics, sync,
tracking, HD video, streaming, cams) appear there rarely, and the harmful lists name many
advertising and tracking servers, so without such pages those words read as evidence.
Two permissively licensed catalogues are grouped into catalogue-like pages: the public-apis
list (MIT; one page per category, long categories cut in pieces) and the descriptions of
the Scoop "Extras" application bucket (Unlicense; pages of ``APPS_PER_PAGE`` apps in file
order). ``classifier/data/corpora/SOURCE.md`` records the commits.

    python -m classifier.training.catalogue PUBLIC_APIS_README SCOOP_BUCKET_DIR OUT.jsonl.gz
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
    "build_catalogue_corpus",
    "public_apis_pages",
    "scoop_pages",
]

CATALOGUE_FILE = "software_catalogue.jsonl.gz"
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


def _paged(kind: str, rows: dict[str, list[str]]) -> list[tuple[str, str]]:
    pages: list[tuple[str, str]] = []
    for title, items in rows.items():
        for start in range(0, len(items), APPS_PER_PAGE):
            chunk = items[start : start + APPS_PER_PAGE]
            group = f"{kind}:{title}:{start // APPS_PER_PAGE}"
            pages.append((group, "\n".join([title, *chunk])))
    return pages


def build_catalogue_corpus(readme: str, bucket: Path, out: Path) -> int:
    """Write the catalogue pages as JSON lines (``group``, ``text``), gzipped
    byte-identically between runs; return how many were written."""
    pages = public_apis_pages(readme) + scoop_pages(bucket)
    with (
        out.open("wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as handle,
    ):
        for group, text in pages:
            line = json.dumps({"group": group, "text": text}, ensure_ascii=False)
            handle.write((line + "\n").encode("utf-8"))
    return len(pages)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
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
