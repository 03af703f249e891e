"""Real benign site names that share pieces with harmful ones, for the URL model.

Video platforms are called "*tube*" as many porn sites are; "bet" is in alphabet, "sex" in
essex, "cam" in cambridge. A model of names learns such pieces from the harmful lists alone
unless it also sees real benign names that hold them. This module builds two files under
``classifier/data/benign_names/`` from public, licensed host lists (source, commit and
licence in ``SOURCE.md`` beside them), by registered domain:

- ``train.txt``: benign names the URL model trains on;
- ``heldout.txt``: benign names it never trains on, to measure it (a hash of the registered
  domain decides the side, so the split is the same on every run).

Sources: the PeerTube instances that yt-dlp's PeerTube extractor names (taken from
instances.joinpeertube.org; Unlicense) and the non-infrastructure categories of
v2fly/domain-list-community (media, entertainment, education, scholarship, forums, social
media, shopping, finance, organisations, companies; MIT). Any list that the v2fly porn or
betting categories include, or whose name says adult, gambling or betting, is skipped, and so
is any name with an explicit word. ::

    python -m classifier.training.url_benign_names V2FLY_CHECKOUT YTDLP_PEERTUBE_PY
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

from classifier.models.url import registered_domain, shared_platform

__all__ = [
    "BENIGN_NAMES_DIR",
    "HELD_OUT_SHARE",
    "PINNED_HELD_OUT",
    "V2FLY_ROOTS",
    "benign_names",
    "held_out",
    "main",
    "peertube_hosts",
    "read_names",
    "site_name",
    "v2fly_hosts",
]

BENIGN_NAMES_DIR = Path(__file__).resolve().parents[1] / "data" / "benign_names"
#: Share of registered domains kept out of training, to measure the model with.
HELD_OUT_SHARE = 0.5
_SPLIT_SALT = "benign-names-1"
#: Site names that tests and the README quote: always on the held-out side, so what they
#: show is a model that never trained on them.
PINNED_HELD_OUT = frozenset({"youtube", "framatube", "peertube", "tubeclass"})
#: v2fly lists to start from (their ``include:`` lines are followed).
V2FLY_ROOTS = (
    "category-media", "category-media-ru", "category-media-cn", "category-tech-media",
    "category-entertainment", "category-entertainment-cn", "category-games",
    "category-forums", "category-social-media-!cn", "category-social-media-cn",
    "category-ecommerce", "category-education-cn", "category-education-ru",
    "category-mooc-cn", "category-scholar-!cn", "category-scholar-cn", "category-orgs",
    "category-companies", "category-finance", "category-wiki-cn", "category-novel",
    "category-food-cn", "category-hospital-cn", "category-medicine-ru", "category-travel-ru",
    "category-automobile-cn", "category-retail-ru", "category-blog-cn",
    "category-communication",
)  # fmt: skip
#: v2fly lists whose closure is never benign here.
_V2FLY_HARMFUL_ROOTS = ("category-porn", "category-betting-ru")
_HARMFUL_LIST_NAME = re.compile(r"porn|adult|sex|hentai|gambl|betting|casino|lotter|nsfw|xxx")
#: A name with one of these is no clear benign example, whatever list it came from.
_EXPLICIT = re.compile(
    r"porn|xxx|sex|nsfw|hentai|lewd|nude|erotic|fetish|lolicon|loli|shota|casino|gambl|"
    r"betting|poker|cannabis|weed|kink"
)
_HOST = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _includes_and_hosts(data: Path, name: str) -> tuple[list[str], list[str]]:
    """(included list names, hosts of ``domain:``/``full:``/bare rules) of one v2fly list;
    rules marked ``@ads`` are skipped."""
    includes: list[str] = []
    hosts: list[str] = []
    path = data / name
    if not path.is_file():
        return includes, hosts
    for raw in path.read_text(encoding="utf-8").splitlines():
        fields = raw.split("#", 1)[0].split()
        if not fields:
            continue
        rule = fields[0]
        if rule.startswith("include:"):
            includes.append(rule.split(":", 1)[1])
            continue
        if "@ads" in fields[1:]:
            continue
        kind, _, value = rule.rpartition(":")
        host = value.lower().strip(".")
        if kind in ("", "domain", "full") and _HOST.match(host):
            hosts.append(host)
    return includes, hosts


def _closure(data: Path, roots: tuple[str, ...]) -> list[str]:
    """Every list reachable from ``roots`` through ``include:``, roots first."""
    seen: list[str] = []
    stack = list(reversed(roots))
    while stack:
        name = stack.pop()
        if name in seen or not (data / name).is_file():
            continue
        seen.append(name)
        stack.extend(reversed(_includes_and_hosts(data, name)[0]))
    return seen


def v2fly_hosts(data: Path) -> dict[str, str]:
    """Host -> v2fly list (first seen) over ``V2FLY_ROOTS``, without any list that the porn
    or betting categories reach, or whose name says adult, gambling or betting."""
    harmful = set(_closure(data, _V2FLY_HARMFUL_ROOTS))
    hosts: dict[str, str] = {}
    for name in _closure(data, V2FLY_ROOTS):
        if name in harmful or _HARMFUL_LIST_NAME.search(name):
            continue
        for host in _includes_and_hosts(data, name)[1]:
            hosts.setdefault(host, name)
    return hosts


_INSTANCE = re.compile(r"^\s*((?:[a-z0-9-]+\\\.)+[a-z0-9-]+)\|?\s*$", re.MULTILINE)


def peertube_hosts(extractor_source: str) -> list[str]:
    """PeerTube instance hosts named in yt-dlp's ``peertube.py`` (its ``_INSTANCES_RE``,
    one escaped host a line)."""
    body = extractor_source.split("_INSTANCES_RE", 1)[-1].split("'''", 2)[1]
    hosts = [m.replace("\\.", ".").lower() for m in _INSTANCE.findall(body)]
    return sorted({h for h in hosts if _HOST.match(h)})


def held_out(domain: str) -> bool:
    """True when a registered domain's site name belongs to the held-out side (never trained
    on): the names ``PINNED_HELD_OUT`` and a hash-chosen ``HELD_OUT_SHARE`` of the others."""
    name = site_name(domain)
    if name in PINNED_HELD_OUT:
        return True
    digest = hashlib.sha256(f"{_SPLIT_SALT}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < HELD_OUT_SHARE


def _usable(host: str, domain: str) -> bool:
    return (
        "." in domain
        and not _EXPLICIT.search(host)
        and not shared_platform(domain)
        and not domain.replace(".", "").isdigit()
    )


def site_name(domain: str) -> str:
    """The name a registered domain was chosen for: its first label (``youtube.com.br`` ->
    ``youtube``). One brand registers its name under many suffixes; the benign sets hold each
    name once and split by it, so the held-out side never meets a name training saw."""
    return domain.split(".", 1)[0]


def benign_names(peertube: list[str], v2fly: dict[str, str]) -> dict[str, str]:
    """Registered domain -> source, one registered domain per site name (``.com`` when the
    name has one, else the shortest); PeerTube first; names with an explicit word, shared
    platforms and addresses left out (an explicit word anywhere in the host)."""
    found: dict[str, dict[str, str]] = {}
    sources = [(host, "peertube") for host in peertube]
    sources += [(host, f"v2fly:{name}") for host, name in sorted(v2fly.items())]
    for host, source in sources:
        domain = registered_domain(host)
        if _usable(host, domain):
            found.setdefault(site_name(domain), {}).setdefault(domain, source)
    out: dict[str, str] = {}
    for domains in found.values():
        best = min(domains, key=lambda d: (not d.endswith(".com"), len(d), d))
        out[best] = domains[best]
    return out


def read_names(path: Path) -> list[tuple[str, str]]:
    """(registered domain, source) per line of a ``train.txt``/``heldout.txt`` file."""
    out = []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        fields = raw.split("#", 1)[0].split()
        if fields:
            out.append((fields[0], fields[1] if len(fields) > 1 else ""))
    return out


def main(argv: list[str] | None = None) -> int:
    """Write ``train.txt`` and ``heldout.txt``; exit 2 on bad input, writing nothing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("v2fly", type=Path, help="a domain-list-community work tree")
    parser.add_argument("peertube_py", type=Path, help="yt-dlp's yt_dlp/extractor/peertube.py")
    parser.add_argument("--out", type=Path, default=BENIGN_NAMES_DIR)
    args = parser.parse_args(argv)
    data = args.v2fly / "data"
    if not (data / "category-media").is_file():
        print(f"{args.v2fly} is not a domain-list-community work tree", file=sys.stderr)
        return 2
    if not args.peertube_py.is_file() or "_INSTANCES_RE" not in args.peertube_py.read_text(
        encoding="utf-8"
    ):
        print(f"{args.peertube_py} is not yt-dlp's PeerTube extractor", file=sys.stderr)
        return 2
    names = benign_names(
        peertube_hosts(args.peertube_py.read_text(encoding="utf-8")), v2fly_hosts(data)
    )
    sides: dict[bool, list[str]] = {True: [], False: []}
    for domain, source in sorted(names.items()):
        sides[held_out(domain)].append(f"{domain} {source}")
    args.out.mkdir(parents=True, exist_ok=True)
    header = "# registered-domain source (see SOURCE.md)\n"
    for side, file in ((False, "train.txt"), (True, "heldout.txt")):
        (args.out / file).write_text(header + "\n".join(sides[side]) + "\n", encoding="utf-8")
    print(f"{len(sides[False])} training and {len(sides[True])} held-out names in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
