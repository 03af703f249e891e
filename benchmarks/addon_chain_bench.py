"""Cost of each Hearthguard addon per request, on the path an allowed HTML page takes.

    .venv/bin/python benchmarks/addon_chain_bench.py [--data-dir D] [--requests 3000]

Loads the real addons (``proxy_addons.main.make_addons``) on a data directory made by
``hearthguard init`` (default lists and models), then drives each addon's request hooks
(``requestheaders``, ``request``, ``responseheaders``, ``response``, awaited when async) for
a small allowed HTML answer to a known device, one addon at a time, and prints microseconds
per request for each, and for the whole chain. The content scan's worker is left out of its
row (a page's scan is measured by ``models_bench.py``): ``response`` is driven for a flow
whose verdict is remembered. Nothing leaves the process.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mitmproxy import http  # noqa: E402
from mitmproxy.test import taddons, tflow  # noqa: E402

from proxy_addons.main import make_addons  # noqa: E402
from proxy_addons.reload import PolicyReload  # noqa: E402

HOOKS = ("requestheaders", "request", "responseheaders", "response")
PAGE = b"<html><head><title>Notes</title></head><body><p>garden weather river</p></body></html>"


def html_flow(i: int) -> http.HTTPFlow:
    """An allowed GET for a small HTML page from the device at 127.0.0.1, with its answer."""
    flow = tflow.tflow(resp=True)
    flow.request.host = "www.example.org"
    flow.request.port = 80
    flow.request.path = f"/notes/{i % 50}"
    flow.request.headers["Host"] = "www.example.org"
    flow.client_conn.peername = ("127.0.0.1", 50000 + i % 1000)
    flow.response = http.Response.make(200, PAGE, {"content-type": "text/html; charset=utf-8"})
    return flow


async def drive(parts: list[object], requests: int) -> dict[str, float]:
    """Microseconds per request spent in each part's request hooks."""
    spent = {type(p).__name__: 0.0 for p in parts}
    for i in range(requests):
        flow = html_flow(i)
        response = flow.response
        flow.response = None
        for hook in HOOKS:
            if hook == "responseheaders":
                flow.response = response
            for part in parts:
                handler = getattr(part, hook, None)
                if handler is None:
                    continue
                started = time.perf_counter()
                result = handler(flow)
                if asyncio.iscoroutine(result):
                    await result
                spent[type(part).__name__] += time.perf_counter() - started
    return {name: seconds / requests * 1e6 for name, seconds in spent.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    if not 1 <= args.requests <= 1_000_000:
        parser.error("--requests must be between 1 and 1,000,000")
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data_dir or Path(tmp) / "data"
        if args.data_dir is None:
            hg = [sys.executable, "-m", "hearthguard"]
            subprocess.run(
                [*hg, "init", "--data-dir", str(data)], check=True, cwd=REPO, capture_output=True
            )
            subprocess.run(
                [
                    *hg,
                    "device",
                    "add",
                    "bench",
                    "--ip",
                    "127.0.0.1",
                    "--profile",
                    "Household",
                    "--data-dir",
                    str(data),
                ],
                check=True,
                cwd=REPO,
                capture_output=True,
            )
        addons = make_addons()
        with taddons.context(*addons) as tctx:
            reload = next(a for a in addons if isinstance(a, PolicyReload))
            tctx.configure(reload, hearthguard_data_dir=str(data))
            parts = list(addons)
            asyncio.run(drive(parts, min(200, args.requests)))  # warm up, fill the caches
            costs = asyncio.run(drive(parts, args.requests))
    total = sum(costs.values())
    print(f"{'addon':<22}{'us/request':>12}{'share':>8}")
    for name, cost in sorted(costs.items(), key=lambda item: -item[1]):
        print(f"{name:<22}{cost:>12.1f}{cost / total:>8.0%}")
    print(f"{f'all {len(costs)} addons':<22}{total:>12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
