"""Memory of a real ``hearthguard run`` (proxy and dashboard), idle and under 1 MB downloads,
and what each part of the proxy costs; checkouts compared in one run, alternating.

For every checkout given (``--tree``, default this one), in turn, ``--rounds`` times:

- a fresh data directory (``hearthguard init``: the bundled lists and models), the load
  generator registered as a device; ``hearthguard run`` started on loopback ports;
- idle: ``--settle`` seconds after the proxy listens, the resident memory of the proxy and of
  any dashboard child (``/proc/PID/smaps_rollup``: RSS, PSS). The dashboard's port is not
  touched: since the dashboard rests until it is used, there is none then (a checkout whose
  dashboard always runs has one);
- start-up peak: the highest resident memory (VmHWM) of each process until then;
- peak under load: the peak counter reset (``/proc/PID/clear_refs``), ``hey`` fetches a
  1 MiB image from a loopback origin through the proxy (``--requests`` at concurrency
  ``--concurrency``; every answer must be a 200), then the peak of each process;
- in use (``used_*``): the dashboard's login page (TLS) and set-up page fetched, then after
  ``--settle`` seconds the same idle figures with the dashboard awake.

``--household D`` starts each run from a copy of the data directory ``D`` (for instance one
with the 2.27M-domain list imported: ``benchmarks/check_bench.py --data-dir`` keeps one)
instead of a fresh one.

``--breakdown`` instead loads, in a fresh interpreter of each checkout, what the proxy loads
in the order it loads it (numpy, mitmproxy's core, the lean master and its addons, Hearthguard's
addons, the category index, the URL and page models, the chat model) and prints what each
step adds to VmRSS, the Python objects traced by ``tracemalloc`` (``--tracemalloc``; it slows
loading and its own book-keeping adds to RSS) and the largest allocation sites.

    .venv/bin/python benchmarks/memory_bench.py                       # this checkout
    .venv/bin/python benchmarks/memory_bench.py --tree /tmp/old --tree .   # old against new
    .venv/bin/python benchmarks/memory_bench.py --breakdown --tree /tmp/old --tree .

Everything listens on 127.0.0.1; nothing leaves the machine. Needs ``hey`` for the peak
(skipped without it). Prints tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = REPO / ".venv" / "bin" / "python"
_IMAGE = os.urandom(1024 * 1024)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _rollup(pid: int) -> dict[str, int]:
    """RSS, PSS and anonymous memory (KiB) of one process, and its peak RSS (VmHWM)."""
    found: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("Rss", "Pss", "Anonymous"):
                found[key] = int(value.split()[0])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                found["HWM"] = int(line.split()[1])
    except OSError:
        pass
    return found


def _idle(pid: int, prefix: str) -> dict[str, float]:
    """RSS and PSS (MiB) of the proxy and of its dashboard child (0 while it rests)."""
    dashboards = _children(pid)
    proxy = _rollup(pid)
    dash = [_rollup(p) for p in dashboards]
    figures = {
        "proxy_rss": proxy.get("Rss", 0) / 1024,
        "proxy_pss": proxy.get("Pss", 0) / 1024,
        "dash_rss": sum(d.get("Rss", 0) for d in dash) / 1024,
        "dash_pss": sum(d.get("Pss", 0) for d in dash) / 1024,
    }
    figures["total_rss"] = figures["proxy_rss"] + figures["dash_rss"]
    figures["total_pss"] = figures["proxy_pss"] + figures["dash_pss"]
    return {prefix + key: value for key, value in figures.items()}


def _peak_under_load(
    pid: int, proxy_port: int, origin_port: int, args: argparse.Namespace
) -> dict[str, float]:
    """Peak RSS (MiB) of the proxy and of the whole tree while ``hey`` fetches 1 MiB images."""
    processes = (pid, *_children(pid))
    for each in processes:
        Path(f"/proc/{each}/clear_refs").write_text("5")
    url = f"http://127.0.0.1:{origin_port}/img1m.jpg"
    done = subprocess.run(
        ["hey", "-n", str(args.requests), "-c", str(args.concurrency)]
        + ["-x", f"http://127.0.0.1:{proxy_port}", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if f"[200]\t{args.requests} responses" not in done.stdout:
        raise RuntimeError(f"not every download was answered 200:\n{done.stdout}")
    peak_proxy = _rollup(pid).get("HWM", 0) / 1024
    peak_rest = sum(_rollup(p).get("HWM", 0) for p in processes[1:]) / 1024
    return {"peak_proxy": peak_proxy, "peak_total": peak_proxy + peak_rest}


def _visit(port: int) -> None:
    """Fetch the dashboard's login page (TLS) and set-up page (plain HTTP), as a phone would."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    visits: list[tuple[http.client.HTTPConnection, str]] = [
        (http.client.HTTPSConnection("127.0.0.1", port, timeout=60, context=context), "/login"),
        (http.client.HTTPConnection("127.0.0.1", port, timeout=60), "/setup"),
    ]
    for connection, path in visits:
        try:
            connection.request("GET", path)
            connection.getresponse().read()
        finally:
            connection.close()


class _Origin(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(_IMAGE)))
        self.end_headers()
        self.wfile.write(_IMAGE)

    def log_message(self, *args: object) -> None:
        pass


def _run_one(tree: Path, args: argparse.Namespace, origin_port: int) -> dict[str, float]:
    """One start of ``hearthguard run`` from ``tree``: idle and peak figures in MiB."""
    data = Path(tempfile.mkdtemp(prefix="hg-mem-"))
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    cli = [str(PYTHON), "-m", "hearthguard"]
    if args.household is not None:  # e.g. one with the 2.27M-domain list imported
        shutil.copytree(args.household, data, dirs_exist_ok=True)
    try:
        subprocess.run(
            [*cli, "init", "--data-dir", str(data)],
            cwd=tree,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        subprocess.run(
            [
                *cli,
                "device",
                "add",
                "load-generator",
                "--ip",
                "127.0.0.1",
                "--profile",
                "Household",
                "--data-dir",
                str(data),
            ],
            cwd=tree,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        proxy_port, dashboard_port = _free_port(), _free_port()
        log = (data / "run.log").open("wb")
        proc = subprocess.Popen(
            [
                *cli,
                "run",
                "--data-dir",
                str(data),
                "--listen-host",
                "127.0.0.1",
                "--proxy-port",
                str(proxy_port),
                "--dashboard-port",
                str(dashboard_port),
            ],
            cwd=tree,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            # only the proxy's port is probed: a connection to the dashboard's port would
            # start a dashboard that rests until it is used
            while not _listening(proxy_port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"hearthguard run from {tree} did not start")
                time.sleep(0.2)
            time.sleep(args.settle)
            figures = _idle(proc.pid, "")
            figures["start_peak"] = (
                _rollup(proc.pid).get("HWM", 0)
                + sum(_rollup(d).get("HWM", 0) for d in _children(proc.pid))
            ) / 1024
            if args.requests and shutil.which("hey"):
                figures.update(_peak_under_load(proc.pid, proxy_port, origin_port, args))
            # a parent opens the dashboard: the login page over TLS, then the set-up page
            _visit(dashboard_port)
            time.sleep(args.settle)
            figures.update(_idle(proc.pid, "used_"))
            return figures
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            log.close()
    finally:
        shutil.rmtree(data, ignore_errors=True)


_STEPS = r"""
import gc, json, os, sys, tempfile, tracemalloc
from pathlib import Path
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
trace = bool(int(sys.argv[1])); data_dir = sys.argv[2]
if trace:
    tracemalloc.start(1)
steps = []
def step(name, fn):
    gc.collect(); before = rss(); traced = tracemalloc.get_traced_memory()[0] if trace else 0
    keep = fn(); gc.collect()
    steps.append([name, rss() - before,
                  (tracemalloc.get_traced_memory()[0] - traced) / 2**20 if trace else None])
    return keep
def lean():
    import asyncio
    from mitmproxy import options
    from hearthguard.master import lean_master
    async def build():
        return lean_master(options.Options(), with_termlog=False)
    return asyncio.run(build())
def index():
    from policy.datadir import DataDir
    from policy.indexhealth import open_category_index
    found, problem = open_category_index(DataDir(Path(data_dir)), None)
    found.lookup("example.com") if hasattr(found, "lookup") else None
    return found
def models(names):
    from classifier.models.loading import load_models
    loaded = load_models(names=names)
    assert not loaded.errors, loaded.errors
    return loaded
kept = [step("python", lambda: None)]
kept.append(step("numpy", lambda: __import__("numpy")))
kept.append(step("mitmproxy core (options, http, certs)",
                 lambda: __import__("mitmproxy.http") and __import__("mitmproxy.certs")))
kept.append(step("lean master and its addons", lean))
kept.append(step("Hearthguard's addons (proxy_addons.main)",
                 lambda: __import__("proxy_addons.main") and __import__("hearthguard.runner")))
kept.append(step("category index (bundled lists)", index))
kept.append(step("URL model", lambda: models(("url",))))
kept.append(step("page model", lambda: models(("page",))))
kept.append(step("chat model", lambda: models(("chat",))))
top = []
if trace:
    snapshot = tracemalloc.take_snapshot()
    for stat in snapshot.statistics("filename")[:12]:
        top.append([stat.traceback[0].filename.split("site-packages/")[-1].split("/work/")[-1],
                    stat.size / 2**20])
print(json.dumps({"steps": steps, "total": rss(), "top": top}))
"""


def _breakdown(tree: Path, trace: bool) -> dict[str, object]:
    data = Path(tempfile.mkdtemp(prefix="hg-mem-"))
    try:
        subprocess.run(
            [str(PYTHON), "-m", "hearthguard", "init", "--data-dir", str(data)],
            cwd=tree,
            check=True,
            capture_output=True,
            timeout=300,
        )
        out = subprocess.run(
            [str(PYTHON), "-c", _STEPS, "1" if trace else "0", str(data)],
            cwd=tree,
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", type=Path, help="a checkout (repeatable)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--settle", type=float, default=10.0, help="idle seconds before reading")
    parser.add_argument("--requests", type=int, default=320, help="1 MiB downloads (0: none)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--household",
        type=Path,
        help="a data directory to copy for each start (default: a fresh one, bundled lists)",
    )
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    trees = [t.resolve() for t in (args.tree or [REPO])]
    for tree in trees:
        if not (tree / "hearthguard" / "__main__.py").is_file():
            parser.error(f"{tree} is not a Hearthguard checkout")
    if not 1 <= args.rounds <= 20 or not 0 <= args.requests <= 10_000:
        parser.error("--rounds must be 1-20 and --requests 0-10000")
    print(f"load average at start: {_load()}")
    if args.breakdown:
        for _round in range(args.rounds):
            for tree in trees:
                found = _breakdown(tree, args.tracemalloc)
                print(f"\n{tree} (load {_load()}): total {found['total']:.1f} MiB")
                for name, added, traced in found["steps"]:  # type: ignore[attr-defined]
                    extra = f"  traced {traced:+.1f}" if traced is not None else ""
                    print(f"  {name:44s} {added:+7.1f} MiB{extra}")
                for name, size in found["top"]:  # type: ignore[attr-defined]
                    print(f"    {size:6.1f} MiB  {name}")
        return 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    results: dict[Path, list[dict[str, float]]] = {tree: [] for tree in trees}
    try:
        for round_ in range(args.rounds):
            for tree in trees:
                figures = _run_one(tree, args, int(server.server_address[1]))
                results[tree].append(figures)
                print(
                    f"round {round_ + 1} {tree} (load {_load()}): "
                    + ", ".join(f"{k} {v:.1f}" for k, v in figures.items())
                )
    finally:
        server.shutdown()
    keys = list(next(iter(results.values()))[0])
    print("\nmedian MiB over rounds (min-max)")
    print(
        "figure".ljust(12)
        + "".join(str(t)[-28:].rjust(30) for t in trees)
        + ("   ratio last/first" if len(trees) > 1 else "")
    )
    for key in keys:
        medians = [statistics.median(r[key] for r in results[t]) for t in trees]
        cells = "".join(
            f"{m:8.1f} ({min(r[key] for r in results[t]):.0f}-"
            f"{max(r[key] for r in results[t]):.0f})".rjust(30)
            for m, t in zip(medians, trees, strict=True)
        )
        ratio = f"   {medians[-1] / medians[0]:.2f}x" if len(trees) > 1 and medians[0] else ""
        print(key.ljust(12) + cells + ratio)
    print(f"load average at end: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
