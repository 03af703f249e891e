"""What counting minutes costs the proxy: the per-request and per-TLS-connection hooks with
and without the time keeper, in one run, on a real data directory with the bundled lists.

    .venv/bin/python benchmarks/time_bench.py [--requests 20000] [--template DATA_DIR]

Prints microseconds per request for the HTTP filter alone and with the time keeper's
counting hook, per passed-through TLS connection for the TLS gate alone and with the time
keeper (which also logs the connection by host name), and the ratios. Best of five passes;
the machine is shared, so only the ratios of one run mean anything.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mitmproxy import tls
from mitmproxy.proxy import context
from mitmproxy.test import taddons, tflow

from hearthguard.init_data import init_data_dir
from policy.store import PolicyStore
from proxy_addons.httpfilter import HttpFilter
from proxy_addons.main import make_addons
from proxy_addons.reload import PolicyReload
from proxy_addons.timekeeper import TimeKeeper
from proxy_addons.tlsgate import TlsGate

HOSTS = ("roblox.com", "vimeo.com", "example.org", "www.wikipedia.org", "poki.com")


def best_of(passes: int, run: Callable[[], int]) -> float:
    """Microseconds per item, best of ``passes``."""
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        items = run()
        best = min(best, (time.perf_counter() - start) / items * 1e6)
    return best


def client_hello(sni: str) -> tls.ClientHello:
    import ssl

    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    ctx = ssl.create_default_context()
    conn = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    with contextlib.suppress(ssl.SSLWantReadError):
        conn.do_handshake()
    record = outgoing.read()
    return tls.ClientHello(record[9:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument(
        "--template", type=Path, help="Copy this initialised data directory instead of a new one."
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp()) / "data"
    if args.template:
        shutil.copytree(args.template, root)
    else:
        init_data_dir(root)
    store = PolicyStore(root / "policy.db")
    store.add_profile("Mia", "child")
    store.add_device("Tablet", profile="Mia", ip="192.168.1.20")
    store.set_budget("Mia", "games", 600)
    store.set_budget("Mia", "everything", 1440)
    store.close()
    addons = make_addons()
    with taddons.context(*addons) as tctx:
        reload = next(a for a in addons if isinstance(a, PolicyReload))
        tctx.configure(reload, hearthguard_models=False, hearthguard_data_dir=str(root))
        http_filter = next(a for a in addons if isinstance(a, HttpFilter))
        gate = next(a for a in addons if isinstance(a, TlsGate))
        keeper = next(a for a in addons if isinstance(a, TimeKeeper))
        flows = []
        for n in range(args.requests):
            flow = tflow.tflow()
            flow.request.host = HOSTS[n % len(HOSTS)]
            flow.request.headers["Host"] = flow.request.host
            flow.client_conn.peername = ("192.168.1.20", 50000)
            flows.append(flow)

        def http_only() -> int:
            for flow in flows:
                flow.response = None
                http_filter.requestheaders(flow)
            return len(flows)

        def http_counted() -> int:
            for flow in flows:
                flow.response = None
                http_filter.requestheaders(flow)
                keeper.request(flow)
            return len(flows)

        hellos = []
        for n in range(min(args.requests, 5000)):
            client = tflow.tclient_conn()
            client.peername = ("192.168.1.20", 50000)
            client.sni = HOSTS[n % len(HOSTS)]  # as mitmproxy sets it before the hook
            ctx = context.Context(client, tctx.options)
            ctx.server.address = (HOSTS[n % len(HOSTS)], 443)
            hellos.append((ctx, client_hello(HOSTS[n % len(HOSTS)])))

        def tls_only() -> int:
            for ctx, hello in hellos:
                gate.tls_clienthello(tls.ClientHelloData(ctx, hello))
            return len(hellos)

        def tls_counted() -> int:
            for ctx, hello in hellos:
                data = tls.ClientHelloData(ctx, hello)
                gate.tls_clienthello(data)
                keeper.tls_clienthello(data)
            reload.state.log.take()  # the writer thread's job; keep the queue from growing
            return len(hellos)

        rows = []
        for name, base, counted in (
            ("HTTP request", http_only, http_counted),
            ("TLS connection passed through", tls_only, tls_counted),
        ):
            alone = best_of(5, base)
            both = best_of(5, counted)
            rows.append((name, alone, both, both / alone))
        print(f"{'hook':32} {'alone µs':>9} {'counted µs':>11} {'ratio':>6}")
        for name, alone, both, ratio in rows:
            print(f"{name:32} {alone:9.1f} {both:11.1f} {ratio:6.2f}")


if __name__ == "__main__":
    main()
