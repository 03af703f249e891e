"""The category lists the URL and page models learn from, read into labelled examples.

``URL_SOURCES`` names the list files (under ``DATA_DIR/lists``) per canonical category; UT1's
ordinary categories are the benign side. ``url_examples`` reads them, resolves URLs listed
under several categories, and caps what one category or one registered domain contributes.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from classifier.categories import BENIGN
from classifier.models.url import registered_domain, url_model_input
from classifier.training.splits import SEED, Example

__all__ = [
    "BENIGN_UT1",
    "LICENCES",
    "URL_SOURCES",
    "read_list_file",
    "url_examples",
]

#: Canonical category -> list files (relative to ``DATA_DIR/lists``) used by the URL model.
URL_SOURCES: dict[str, tuple[str, ...]] = {
    "adult": (
        "ut1/adult/urls",
        "ut1/mixed_adult/domains",
        "ut1/mixed_adult/urls",
        "sinfonietta/pornography-hosts",
        "ut1-adult-popular/pi_blocklist_porn_top1m.list",
    ),
    "provocative": ("ut1/lingerie/domains", "ut1/lingerie/urls"),
    "gambling": (
        "ut1/gambling/domains",
        "ut1/arjel/domains",
        "sinfonietta/gambling-hosts",
        "blocklistproject/gambling.2020-06-15.txt",
    ),
    "drugs": (
        "ut1/drogue/domains",
        "ut1/drogue/urls",
        "blocklistproject/drugs.txt",
        "blocklistproject/vaping.txt",
    ),
    "violence": ("ut1/agressif/domains", "ut1/agressif/urls", "sinfonietta/snuff-hosts"),
    "dating": ("ut1/dating/domains", "ut1/dating/urls"),
    "anonymizer": (
        "ut1/vpn/domains",
        "ut1/redirector/domains",
        "ut1/redirector/urls",
        "ut1/residential-proxies/domains",
        "ut1/doh/domains",
    ),
    "malware": (
        "ut1/malware/domains",
        "ut1/malware/urls",
        "ut1/cryptojacking/domains",
        "ut1/stalkerware/domains",
        "ut1/ddos/domains",
        "blocklistproject/crypto.txt",
    ),
    "phishing": ("ut1/phishing/domains", "ut1/phishing/urls", "blocklistproject/scam.txt"),
    "piracy": (
        "ut1/warez/domains",
        "ut1/warez/urls",
        "blocklistproject/piracy.txt",
        "blocklistproject/torrent.txt",
    ),
    "social": (
        "ut1/social_networks/domains",
        "sinfonietta/social-hosts",
        "blocklistproject/tiktok.txt",
    ),
    "chat": ("ut1/chat/domains", "ut1/chat/urls"),
    "games": ("ut1/games/domains", "ut1/games/urls", "blocklistproject/fortnite.txt"),
    "video": ("ut1/audio-video/domains", "ut1/audio-video/urls"),
}

#: UT1 categories whose sites are ordinary or protected: the URL model's negatives.
BENIGN_UT1 = (
    "press",
    "sexual_education",
    "educational_games",
    "child",
    "liste_bu",
    "bank",
    "financial",
    "jobsearch",
    "shopping",
    "sports",
    "cooking",
    "radio",
    "blog",
    "forums",
    "webmail",
    "translation",
    "celebrity",
    "update",
    "cleaning",
    "mobile-phone",
    "astrology",
)
URL_SOURCES[BENIGN] = tuple(f"ut1/{c}/{f}" for c in BENIGN_UT1 for f in ("domains", "urls"))

#: Labels may not be more specific than the data: a URL listed under two harmful
#: categories keeps the first of this order.
_PRIORITY = (
    "adult", "gambling", "drugs", "violence", "dating", "provocative", "phishing", "malware",
    "piracy", "anonymizer", "chat", "social", "video", "games",
)  # fmt: skip

#: Per-category caps, so that the huge malware/redirector lists do not drown the rest.
URL_CAP_PER_CATEGORY = 24_000
URL_CAP_BENIGN = 60_000
URL_PER_DOMAIN = 3
URL_MIN_GROUPS = 120

LICENCES = {
    "ut1": "CC BY-SA 4.0 (Université Toulouse Capitole, Fabrice Prigent)",
    "sinfonietta": "MIT (Sinfonietta/hostfiles)",
    "blocklistproject": "Unlicense (The Block List Project)",
    "ut1-adult-popular": "data CC BY-SA 4.0 (UT1); compilation GPL-3.0 (chadmayfield)",
    "davidson": "MIT (Davidson et al., ICWSM 2017)",
    "cyberbullying": "CC BY 4.0 as reported (Wang et al. 2020)",
    "jigsaw-sample": "CC0 (Jigsaw / Conversation AI sample via IBM MAX)",
    "hand-written": "Hearthguard (project's own text)",
}


def read_list_file(path: Path) -> tuple[list[str], int]:
    """Read a plain domain/URL list or hosts file; return (entries, number of bad lines).

    Comments and blank lines are skipped; ``0.0.0.0 host`` / ``127.0.0.1 host`` lines give
    the host; anything else with spaces, or with characters no host or path has, is bad.
    Entries are lower-cased, ``www.`` is kept (``url_model_input`` removes it).
    """
    entries: list[str] = []
    bad = 0
    with Path(path).open(encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            line = raw.strip()
            if not line or line.startswith(("#", "!")):
                continue
            fields = line.split()
            if len(fields) >= 2 and fields[0] in ("0.0.0.0", "127.0.0.1", "::", "::1"):
                line = fields[1]
            elif len(fields) != 1:
                bad += 1
                continue
            line = line.lower()
            if not _LIST_ENTRY.match(line) or line in ("localhost", "0.0.0.0"):
                bad += 1
                continue
            entries.append(line)
    return entries, bad


_LIST_ENTRY = re.compile(r"^[a-z0-9_*-][a-z0-9_.*:-]*(/\S*)?$")


def _source_name(relative: str) -> str:
    return relative.split("/", 1)[0]


def url_examples(data_dir: Path, *, seed: int = SEED) -> tuple[list[Example], dict[str, Any]]:
    """Labelled URLs from the category lists, de-duplicated and capped per category.

    A URL listed both as harmful and benign is dropped (lists disagree); one listed under
    two harmful categories keeps the first in ``_PRIORITY``. At most ``URL_PER_DOMAIN``
    URLs per registered domain are kept so big hosting domains do not dominate.
    Returns the examples and a report (files read, bad lines, conflicts).
    """
    lists_dir = Path(data_dir) / "lists"
    labels: dict[str, set[str]] = defaultdict(set)
    sources: dict[str, str] = {}
    report: dict[str, Any] = {"files": {}, "bad_lines": 0, "missing_files": []}
    for category, files in URL_SOURCES.items():
        for relative in files:
            path = lists_dir / relative
            if not path.is_file():
                report["missing_files"].append(relative)
                continue
            entries, bad = read_list_file(path)
            report["files"][relative] = {"entries": len(entries), "bad_lines": bad}
            report["bad_lines"] += bad
            for entry in entries:
                key = url_model_input(entry)
                labels[key].add(category)
                sources.setdefault(key, _source_name(relative))
    by_label: dict[str, list[str]] = defaultdict(list)
    conflicts = 0
    for key in sorted(labels):
        names = labels[key]
        if len(names) > 1:
            if BENIGN in names:
                conflicts += 1
                continue
            label = next(c for c in _PRIORITY if c in names)
        else:
            (label,) = names
        by_label[label].append(key)
    report["conflicts_dropped"] = conflicts
    rng = random.Random(seed)
    examples: list[Example] = []
    for label in sorted(by_label):
        keys = by_label[label]
        rng.shuffle(keys)
        cap = URL_CAP_BENIGN if label == BENIGN else URL_CAP_PER_CATEGORY
        per_domain: Counter[str] = Counter()
        kept = 0
        for key in keys:
            group = registered_domain(key[1:-1])
            if per_domain[group] >= URL_PER_DOMAIN:
                continue
            per_domain[group] += 1
            examples.append(Example(key, label, group, sources[key]))
            kept += 1
            if kept >= cap:
                break
        if len(per_domain) < URL_MIN_GROUPS:
            # Too few independent sites to learn a category from names: fold into nothing.
            examples = [e for e in examples if e.label != label]
            report.setdefault("categories_too_small", []).append(label)
    return examples, report
