"""Category list files: read them, check every line, and say what was wrong.

Formats understood (auto-detected, or forced with ``format=``):

``ut1``
    a UT1 / squidGuard tree: one folder per category holding ``domains`` and ``urls`` files
    (optionally gzip-compressed). ``expressions`` (regular expressions) and ``usage`` are not
    imported. Folders that are symlinks to another category (UT1 ships ``porn -> adult``) and
    files whose bytes equal an already read file (UT1's three ``*redirector/domains``) are read
    once; the skipped copy is named in ``ParsedList.notes``.
``hosts``
    hosts files: ``0.0.0.0 example.com``, ``127.0.0.1 a.example b.example``, ``:: example.com``.
    The usual boilerplate names (``localhost``, ``broadcasthost``, ...) are skipped.
``domains``
    one domain per line; ``*.example.com`` and ``.example.com`` mean the same as
    ``example.com``; a line with a path (``example.com/some/page`` or a full ``http(s)://`` URL)
    is a URL-prefix entry.
``adblock``
    AdBlock-style rules: ``||example.com^`` blocks, ``@@||example.com^`` allows. Every other
    rule (cosmetic ``##``, paths, regular expressions, rules with options that narrow them) is
    counted in ``skipped_total``.
``e2guardian``
    e2guardian / DansGuardian site and URL lists. ``*ip``, ``*ips``, ``**``, ``**s`` and
    ``.Include<...>`` lines are counted as skipped (includes are not followed: import the
    included file itself). A file whose name contains ``exception`` or ``grey`` holds allow
    entries; ``#listcategory: "..."`` names the list's category.

The hosts and domains formats share one line reader, so a plain domain inside a hosts file (or
a hosts line inside a plain list) is still understood.

Every entry is normalised (IDNA, lower case, no trailing dot, no port). Comments and blank
lines are fine; every other bad line becomes a `Rejection` naming the file and line: malformed
domains, IP addresses, public suffixes (an entry such as ``com`` or ``co.uk`` would block every
site under it), binary junk, over-long lines and lines that are not UTF-8. A whole file that is
empty, an HTML page (an error page served instead of a list) or binary raises
`ListFormatError` when parsed on its own; inside a UT1 tree it becomes a rejection with line
number 0, and the rest of the tree still loads.

The public suffix list is the copy bundled in the ``publicsuffixlist`` wheel (Mozilla's list,
MPL-2.0), both its ICANN and its private sections; nothing is downloaded at run time.

Readers live beside this module: ``lineformats`` (hosts, domains, AdBlock, e2guardian),
``ut1`` (trees), ``parsed`` (the shared reading and `ParsedList`), ``hosts`` (normalisation).
"""

from __future__ import annotations

from pathlib import Path

from classifier.lists.lineformats import file_format, parse_list_file
from classifier.lists.parsed import ListFormatError, ParsedList
from classifier.lists.ut1 import is_ut1_tree, parse_tree, tree_root

__all__ = ["FORMATS", "detect_format", "parse_path"]

#: Format names accepted by `parse_path` (besides ``"auto"``).
FORMATS: tuple[str, ...] = ("ut1", "hosts", "domains", "adblock", "e2guardian")


def detect_format(path: Path) -> str:
    """Return the format of the list at ``path``: one of `FORMATS`.

    A directory is a UT1 tree (or the folder holding one); a file named like an e2guardian
    list (``bannedsitelist``, ``exceptionurllist``, ...) is ``e2guardian``; otherwise its first
    lines decide. Raises `ListFormatError` if ``path`` is a directory that holds no category
    folders, or `OSError` if it cannot be read.
    """
    path = Path(path)
    if path.is_dir():
        if is_ut1_tree(tree_root(path)):
            return "ut1"
        raise ListFormatError(f"{path}: a folder, but not a UT1/squidGuard tree of categories")
    return file_format(path)


def parse_path(
    path: Path,
    *,
    format: str = "auto",
    category: str | None = None,
    name: str | None = None,
) -> list[ParsedList]:
    """Parse the list file or UT1 tree at ``path`` into one `ParsedList` per list.

    ``format`` is ``"auto"`` (see `detect_format`) or one of `FORMATS`. ``category`` overrides
    the list's own category (it is passed through `canonical`); ``name`` overrides the list
    name (for a UT1 tree it replaces the ``ut1`` prefix of ``ut1/<category>``). Gzip-compressed
    files are read transparently. A single file yields one list named ``<folder>/<stem>``;
    a UT1 tree yields one list per category folder.

    Bad lines never stop the parse: they are counted in ``rejected_total`` (with examples in
    ``rejected``) and the good lines are kept. Raises `ListFormatError` if the file as a whole
    is not a list (empty, HTML, binary, damaged gzip) or ``format`` is unknown.
    """
    path = Path(path)
    fmt = detect_format(path) if format == "auto" else format
    if fmt not in FORMATS:
        raise ListFormatError(f"unknown list format {format!r}; expected one of {FORMATS}")
    if fmt == "ut1":
        if not path.is_dir():
            return [parse_list_file(path, "domains", category, name)]
        return parse_tree(path, category, name)
    if path.is_dir():
        raise ListFormatError(f"{path}: a folder; format {fmt!r} needs a file")
    return [parse_list_file(path, fmt, category, name)]
