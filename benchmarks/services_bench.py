"""Cost of blocked services in decide(): decisions per second for one profile with the child
preset's services switched off, against the same profile and hosts with no services table.

    .venv/bin/python benchmarks/services_bench.py [N] [DATA_DIR]

With DATA_DIR (a data directory, e.g. one `hearthguard init` made), the installed category
lists are loaded too, as the proxy decides.

Hosts are a fixed mix: 10% service domains (blocked), 90% other names (allowed), so nearly
every request walks the whole service lookup (host and every parent domain). No network.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from policy.decide import decide
from policy.presets import preset
from policy.services import ServiceTable, shipped_services
from policy.snapshot import Snapshot
from policy.values import Profile, Request

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def hosts(n: int) -> list[str]:
    table = shipped_services()
    service_domains = [d for s in table.services for d in s.domains]
    out = []
    for i in range(n):
        if i % 10 == 0:
            out.append(f"cdn{i % 7}.{service_domains[i % len(service_domains)]}")
        else:
            out.append(f"www.site{i % 5000}.example{i % 3}.co.uk")
    return out


def rate(profile: Profile, snapshot: Snapshot, requests: list[Request]) -> float:
    start = time.perf_counter()
    for r in requests:
        decide(r, profile, snapshot, NOW)
    return len(requests) / (time.perf_counter() - start)


def main(n: int = 100_000, data_dir: str | None = None) -> None:
    p = preset("child")
    profile = Profile("Mia", "child", p.blocked, services=p.services)
    requests = [Request(h, "/") for h in hosts(n)]
    extra: dict[str, object] = {}
    if data_dir:
        from pathlib import Path

        from policy.datadir import DataDir
        from policy.engine import load_files

        extra["index"] = load_files(DataDir(Path(data_dir))).index
    with_services = Snapshot(1, {"Mia": profile}, "Mia", **extra)  # type: ignore[arg-type]
    without = Snapshot(1, {"Mia": profile}, "Mia", services=ServiceTable(), **extra)  # type: ignore[arg-type]
    rate(profile, with_services, requests[:5000])  # warm up
    # alternate the two, best of three each: the machine is shared, so load comes and goes
    base = svc = 0.0
    for _ in range(3):
        base = max(base, rate(profile, without, requests))
        svc = max(svc, rate(profile, with_services, requests))
    blocked = sum(decide(r, profile, with_services, NOW).blocked for r in requests)
    print(f"decisions/s without services table: {base:,.0f}")
    print(f"decisions/s with the child preset's services: {svc:,.0f} ({svc / base:.2f}x)")
    print(f"blocked by a service: {blocked} of {n}")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
        sys.argv[2] if len(sys.argv) > 2 else None,
    )
