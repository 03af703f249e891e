"""The domain index's marisa-trie, built from a file of keys (one a line).

`build_trie` is the one place the trie's parameters are chosen. Run as a script
(``python -I triebuild.py KEYS OUT``), it builds the trie and saves it to ``OUT``:
`classifier.lists.index.build_index` does that in a child process for large indexes, so
marisa's build memory (about 100 bytes a key) is not added to the importing process's heap and
is all given back when the child exits. It imports nothing but the standard library and
marisa_trie, so the child starts small.
"""

from __future__ import annotations

import sys

import marisa_trie

__all__ = ["build_trie", "main"]


def build_trie(keys_path: str) -> marisa_trie.Trie:
    """The trie of the keys in ``keys_path`` (UTF-8, each key followed by a newline).

    One trie with a large cache: the fastest prefix walks measured (benchmarks/lists_bench.py).
    The same keys give the same trie whatever their order."""
    with open(keys_path, encoding="utf-8", newline="\n") as handle:
        return marisa_trie.Trie(
            (line[:-1] for line in handle),
            num_tries=1,
            cache_size=marisa_trie.HUGE_CACHE,
        )


def main(argv: list[str]) -> int:
    """Build the trie of the keys file ``argv[0]`` and save it to ``argv[1]``; exit 2 on bad
    arguments."""
    if len(argv) != 2:
        print("usage: triebuild.py KEYS OUT", file=sys.stderr)
        return 2
    build_trie(argv[0]).save(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
