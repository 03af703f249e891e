"""Opening the category index checks every byte of it, but leaves only what lookups touch in
the process's memory (the file stays in the page cache, shared and reclaimable)."""

from __future__ import annotations

from pathlib import Path

from classifier.lists.index import DomainIndex


def mapped_rss_kib(path: Path) -> int:
    """Resident KiB of this process's mappings of ``path`` (from /proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and len(fields) >= 5:  # a mapping's first line
            inside = len(fields) >= 6 and fields[5] == str(path)
        elif inside and line.startswith("Rss:"):
            total += int(fields[1])
    return total


def test_an_opened_index_is_not_held_whole_in_memory(data_dir) -> None:
    path = data_dir.index.resolve()
    size_kib = path.stat().st_size // 1024
    assert size_kib > 4096, "the bundled lists make an index of several MiB"
    with DomainIndex.open(path) as index:
        assert mapped_rss_kib(path) < size_kib // 4
        assert index.lookup("www.pornhub.com")  # and it still answers
        assert not index.lookup("example.org")
        assert mapped_rss_kib(path) < size_kib // 2
