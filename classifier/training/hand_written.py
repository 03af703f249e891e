"""Hearthguard's own hand-written training text, read from ``classifier/data/corpora/hand_written``.

Each file is plain UTF-8 text, one item per line, kept in the order training draws from it
(random choices index into these tuples, so the order is part of reproducing the models):

- ``generic_path_words.txt``: path pieces that appear on sites of every kind;
- ``protected_words.txt``: words organisations, health services, rights groups and newsrooms
  are named with, used to build synthetic benign host names;
- ``protected_suffixes.txt``: the suffixes those host names end in (repeats weigh a suffix);
- ``protected_sentences.txt``: sentences about health, sex education, LGBT topics, rights
  and news, as benign page text;
- ``protected_context_words.txt``: words of news, health, rights and education writing that
  are rare on the shops, casinos and porn sites the lists name;
- ``web_boilerplate.txt``: the furniture every website has (cookie banners, menus, shop and
  account links, app downloads, ads), as benign page text;
- ``supplement_<category>.txt``: the promotional language of casino, drug-shop, porn and
  hook-up sites (generic wording, no brand), which listed site names only hint at;
- ``chat_abusive_lines.txt``, ``chat_ok_lines.txt``, ``identity_terms.txt`` and
  ``identity_templates.txt``: chat lines and identity statements for the chat model.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "GENERIC_PATH_WORDS",
    "HAND_WRITTEN_DIR",
    "PROTECTED_CONTEXT_WORDS",
    "PROTECTED_SENTENCES",
    "PROTECTED_SUFFIXES",
    "PROTECTED_WORDS",
    "read_items",
]

HAND_WRITTEN_DIR = Path(__file__).resolve().parents[1] / "data" / "corpora" / "hand_written"


def read_items(name: str, folder: Path = HAND_WRITTEN_DIR) -> tuple[str, ...]:
    """The non-blank lines of ``folder/name``, stripped, in file order."""
    text = (folder / name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


GENERIC_PATH_WORDS = read_items("generic_path_words.txt")
PROTECTED_WORDS = read_items("protected_words.txt")
PROTECTED_SUFFIXES = read_items("protected_suffixes.txt")
PROTECTED_SENTENCES = read_items("protected_sentences.txt")
PROTECTED_CONTEXT_WORDS = read_items("protected_context_words.txt")
