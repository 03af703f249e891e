"""The bundled default category lists, and how to rebuild them.

A real install downloads the full UT1 collection from `UT1_URL`. Without a network (or
before the first download) Hearthguard imports the compact default set shipped in
``classifier/data/lists/``: gzip-compressed, normalised, sorted entries per list, taken from
sources whose licences allow shipping them (see ``SOURCES.md`` there). `default_sources`
lists what to import.

Rebuild it, reproducibly (same input, same bytes), with::

    python -m classifier.lists.bundle /path/to/shared/data [--out classifier/data/lists]
"""

from __future__ import annotations

import argparse
import gzip
import io
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from classifier.lists.formats import parse_path
from classifier.lists.parsed import ParsedList

__all__ = [
    "BUNDLE_DIR",
    "UT1_URL",
    "BundledList",
    "build_bundle",
    "default_sources",
    "main",
]

#: The official UT1 blacklist tarball (CC BY-SA 4.0, Université Toulouse Capitole).
UT1_URL = "http://dsi.ut-capitole.fr/blacklists/download/blacklists.tar.gz"

#: Where the bundled default set lives (package data).
BUNDLE_DIR = Path(__file__).resolve().parent.parent / "data" / "lists"


@dataclass(frozen=True)
class _Origin:
    title: str
    where: str
    licence: str
    attribution: str


_UT1 = _Origin(
    title="UT1 blacklists",
    where="olbat/ut1-blacklists (a daily mirror of UT1) at commit "
    "804da92a9177149204d9a3d0c4ab5bd1cafe120d; malware/domains from c6387984350c, "
    "phishing/domains from 10d4b89bd6e9",
    licence="CC BY-SA 4.0",
    attribution="UT1 blacklists by Fabrice Prigent, Université Toulouse Capitole, "
    "CC BY-SA 4.0 (https://dsi.ut-capitole.fr/blacklists/). Changed by Hearthguard: "
    "entries normalised, invalid lines, IP addresses and public suffixes removed.",
)
_SINFONIETTA = _Origin(
    title="Sinfonietta hostfiles",
    where="Sinfonietta/hostfiles at commit 62631ce2ee373595bbc187623aa5bb7f7a1ad534",
    licence="MIT",
    attribution="Copyright (c) 2016 Sinfonietta. MIT License: the above copyright notice "
    "and this permission notice shall be included in all copies or substantial portions.",
)
_BLOCKLISTPROJECT = _Origin(
    title="The Block List Project",
    where="blocklistproject/Lists at commit ee3bdbaddf49c756cf3340bb2e6a9dee5282d1c6",
    licence="Unlicense (repository LICENSE); the files' own headers say MIT",
    attribution="Lists maintained by The Block List Project "
    "(https://github.com/blocklistproject/Lists). Released under the Unlicense; as the "
    "file headers name the MIT License, the project's name is credited here as well.",
)
_ADULT_POPULAR = _Origin(
    title="UT1 adult domains that were also popular sites (2020)",
    where="chadmayfield/my-pihole-blocklists at commit "
    "d6cd540b730a6e5d78790e45e6c96cd99f30e623, lists/pi_blocklist_porn_top1m.list",
    licence="data CC BY-SA 4.0 (UT1); compilation GPL-3.0",
    attribution="Derived from the UT1 blacklists by Fabrice Prigent, Université Toulouse "
    "Capitole (CC BY-SA 4.0), compiled by Chad Mayfield (GPL-3.0). Known noise: a few "
    "popular non-adult sites (for example urbandictionary.com, 4chan.org).",
)

#: UT1 categories bundled: the ones families block plus the protected and sensitive ones
#: decisions rely on. strict_/strong_redirector are the same domains as redirector.
_UT1_CATEGORIES: tuple[str, ...] = (
    "adult",
    "mixed_adult",
    "lingerie",
    "gambling",
    "arjel",
    "drogue",
    "agressif",
    "dangerous_material",
    "dating",
    "vpn",
    "redirector",
    "residential-proxies",
    "doh",
    "malware",
    "cryptojacking",
    "stalkerware",
    "ddos",
    "phishing",
    "warez",
    "social_networks",
    "chat",
    "games",
    "audio-video",
    "shopping",
    "sexual_education",
    "press",
    "educational_games",
    "bank",
    "update",
)

# (source file under lists/, bundled file under data/lists/, origin)
_FILES: tuple[tuple[str, str, _Origin], ...] = (
    ("sinfonietta/pornography-hosts", "sinfonietta/pornography-hosts.gz", _SINFONIETTA),
    ("sinfonietta/gambling-hosts", "sinfonietta/gambling-hosts.gz", _SINFONIETTA),
    ("sinfonietta/social-hosts", "sinfonietta/social-hosts.gz", _SINFONIETTA),
    ("sinfonietta/snuff-hosts", "sinfonietta/snuff-hosts.gz", _SINFONIETTA),
    ("blocklistproject/drugs.txt", "blocklistproject/drugs.gz", _BLOCKLISTPROJECT),
    ("blocklistproject/vaping.txt", "blocklistproject/vaping.gz", _BLOCKLISTPROJECT),
    ("blocklistproject/piracy.txt", "blocklistproject/piracy.gz", _BLOCKLISTPROJECT),
    ("blocklistproject/torrent.txt", "blocklistproject/torrent.gz", _BLOCKLISTPROJECT),
    ("blocklistproject/scam.txt", "blocklistproject/scam.gz", _BLOCKLISTPROJECT),
    ("blocklistproject/crypto.txt", "blocklistproject/crypto.gz", _BLOCKLISTPROJECT),
    ("blocklistproject/tiktok.txt", "blocklistproject/tiktok.gz", _BLOCKLISTPROJECT),
    ("blocklistproject/fortnite.txt", "blocklistproject/fortnite.gz", _BLOCKLISTPROJECT),
    (
        "ut1-adult-popular/pi_blocklist_porn_top1m.list",
        "ut1-adult-popular/adult.gz",
        _ADULT_POPULAR,
    ),
)


@dataclass(frozen=True)
class BundledList:
    """One list written into the bundle: its name, category, counts and file."""

    name: str
    category: str
    entries: int
    rejected: int
    file: str
    origin: str
    licence: str


def default_sources() -> list[Path]:
    """The bundled default lists, in import order: the UT1 tree folder, then single files.

    Each path can be handed to `classifier.lists.formats.parse_path` as it is (the UT1 tree
    yields one list per category, named ``ut1/<category>``; the others are named
    ``<folder>/<stem>``, e.g. ``sinfonietta/pornography-hosts``).
    """
    sources: list[Path] = []
    if (BUNDLE_DIR / "ut1").is_dir():
        sources.append(BUNDLE_DIR / "ut1")
    for folder in sorted(BUNDLE_DIR.iterdir()) if BUNDLE_DIR.is_dir() else ():
        if folder.is_dir() and folder.name != "ut1":
            # gzipped lists built from public sources; plain-text lists curated by hand
            sources.extend(sorted(folder.glob("*.gz")) + sorted(folder.glob("*.txt")))
    return sources


def _gzip_lines(path: Path, header: Sequence[str], entries: Sequence[str]) -> None:
    """Write ``header`` (as comments) and sorted ``entries`` gzip-compressed, byte-reproducibly."""
    text = "".join(f"# {line}\n" for line in header) + "".join(f"{e}\n" for e in sorted(entries))
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as out:
        out.write(text.encode("utf-8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _header(name: str, category: str, origin: _Origin) -> list[str]:
    return [
        f"Hearthguard default list {name} (category: {category})",
        f"Source: {origin.title}, {origin.where}",
        f"Licence: {origin.licence}",
        f"Attribution: {origin.attribution}",
    ]


def build_bundle(data_root: Path, out_dir: Path = BUNDLE_DIR) -> list[BundledList]:
    """Rebuild the bundled default set in ``out_dir`` from the source data at ``data_root``.

    ``data_root`` is the folder holding ``lists/ut1``, ``lists/sinfonietta``, ... The previous
    bundle's list files are replaced; ``SOURCES.md`` is rewritten. The output depends only on
    the input files, so running it twice gives identical bytes.
    """
    lists_root = Path(data_root) / "lists"
    out_dir = Path(out_dir)
    written: list[BundledList] = []
    for stale in ("ut1", "sinfonietta", "blocklistproject", "ut1-adult-popular"):
        shutil.rmtree(out_dir / stale, ignore_errors=True)

    for parsed in parse_path(lists_root / "ut1"):
        if parsed.source_category not in _UT1_CATEGORIES:
            continue
        for kind, entries in (("domains", parsed.domains), ("urls", parsed.url_prefixes)):
            if entries:
                _gzip_lines(
                    out_dir / "ut1" / parsed.source_category / f"{kind}.gz",
                    _header(parsed.name, parsed.category, _UT1),
                    entries,
                )
        written.append(_record(parsed, f"ut1/{parsed.source_category}/", _UT1))

    for source, target, origin in _FILES:
        (parsed,) = parse_path(lists_root / source)
        name = target.removesuffix(".gz")
        if parsed.url_prefixes or parsed.allow_domains:
            raise ValueError(f"{source}: only plain domain lists can be bundled as files")
        _gzip_lines(out_dir / target, _header(name, parsed.category, origin), parsed.domains)
        written.append(_record(parsed, target, origin, name=name))

    (out_dir / "SOURCES.md").write_text(_sources_markdown(written), encoding="utf-8")
    return written


def _record(parsed: ParsedList, file: str, origin: _Origin, name: str | None = None) -> BundledList:
    return BundledList(
        name=name or parsed.name,
        category=parsed.category,
        entries=len(parsed.domains) + len(parsed.url_prefixes),
        rejected=parsed.rejected_total,
        file=file,
        origin=origin.title,
        licence=origin.licence,
    )


def _sources_markdown(written: Sequence[BundledList]) -> str:
    origins = (_UT1, _SINFONIETTA, _BLOCKLISTPROJECT, _ADULT_POPULAR)
    lines = [
        "# Bundled default category lists: sources, licences, attribution",
        "",
        "Generated by `python -m classifier.lists.bundle <shared data folder>`; do not edit by"
        " hand.",
        "Entries are normalised (lower case, IDNA), de-duplicated and sorted; lines that were",
        "not valid domains, IP addresses and public suffixes were dropped (counted below).",
        "A real install replaces the UT1 part with the full, current UT1 download.",
        "",
        "Not bundled: the e2guardian lists (GPL-2+, imported from a user's own files at run",
        "time), the 2.27M-domain benchmark list (licence does not allow shipping), UT1's",
        "`adult/domains` (not in the source snapshot: the bundle's UT1 adult list holds only",
        "UT1's adult URLs; adult domains come from Sinfonietta and the UT1 popular-adult",
        "list), and The Block List Project's 2020 gambling file (its header calls it a",
        "phishing list and it mixes in trackers).",
        "",
        "## Sources",
        "",
    ]
    for origin in origins:
        lines += [
            f"### {origin.title}",
            "",
            f"- Origin: {origin.where}",
            f"- Licence: {origin.licence}",
            f"- Attribution: {origin.attribution}",
            "",
        ]
    lines += [
        "UT1-derived files (`ut1/`, `ut1-adult-popular/`) are shared under CC BY-SA 4.0, as",
        "the licence requires (https://creativecommons.org/licenses/by-sa/4.0/).",
        "",
        "Public suffix checks use Mozilla's Public Suffix List as shipped inside the",
        "`publicsuffixlist` package (MPL-2.0); Hearthguard does not copy it, and nothing is",
        "downloaded at run time. Both its ICANN and private sections count.",
        "",
        "## Lists",
        "",
        "| list | category | entries | dropped lines | file | source | licence |",
        "|---|---|---:|---:|---|---|---|",
    ]
    for item in written:
        lines.append(
            f"| {item.name} | {item.category} | {item.entries} | {item.rejected} | "
            f"`{item.file}` | {item.origin} | {item.licence} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: rebuild the bundle and print one line per list."""
    parser = argparse.ArgumentParser(
        prog="python -m classifier.lists.bundle", description="Rebuild the bundled default lists."
    )
    parser.add_argument("data_root", type=Path, help="folder holding lists/ut1, lists/... ")
    parser.add_argument("--out", type=Path, default=BUNDLE_DIR, help="bundle folder to write")
    args = parser.parse_args(argv)
    written = build_bundle(args.data_root, args.out)
    total = 0
    for item in written:
        print(
            f"{item.name:40} {item.category:14} {item.entries:>8} entries"
            f" {item.rejected:>6} dropped"
        )
    for file in sorted(args.out.rglob("*.gz")):
        total += file.stat().st_size
    print(f"{len(written)} lists, {total / 2**20:.1f} MiB compressed in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
