"""A benign set of real infrastructure host names, kept out of URL-model training.

Content delivery, asset, image, API, telemetry, update and certificate hosts are what a
device asks for most, and their names say who runs the servers, not what a site is
(``img1.static.example.org``, ``content-autofill.googleapis.com``). The URL model must read
them as nothing. This module builds ``classifier/data/benign_infra/hosts.txt`` from a local
copy of v2fly/domain-list-community (MIT; source, commit and licence in ``SOURCE.md`` beside
the file) and reads it back for evaluation and tests::

    python -m classifier.training.infra_hosts /path/to/domain-list-community [--commit SHA]

Only the lists of infrastructure (content delivery, developer services, browsers,
certificate authorities, anti-virus, app and game downloads) and of large technology
companies are followed; ``keyword:`` and ``regexp:`` rules are skipped, and so is any list
whose name says adult, gambling, betting or piracy.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from classifier.models.url import registered_domain

__all__ = ["INFRA_DIR", "INFRA_ROOTS", "collect_hosts", "infra_hosts", "main"]

INFRA_DIR = Path(__file__).resolve().parents[1] / "data" / "benign_infra"
#: v2fly lists to start from (their ``include:`` lines are followed).
INFRA_ROOTS = (
    "category-cdn-!cn", "category-cdn-cn", "category-dev", "category-container",
    "category-browser-!cn", "category-antivirus", "category-consent-management",
    "category-ip-geo-detect", "category-httpdns-cn", "category-android-app-download",
    "category-game-platforms-download", "category-cas", "google", "apple", "apple-update",
    "microsoft", "amazon", "aws", "azure", "akamai", "cloudflare", "fastly", "mozilla",
    "github", "adobe", "facebook", "twitter", "samsung", "xiaomi", "huawei", "oracle",
    "alibabacloud", "tencent", "steam", "epicgames", "unity", "nvidia", "intel", "amd",
    "dropbox", "zoom", "slack", "atlassian", "jetbrains", "docker", "npmjs", "python",
)  # fmt: skip
_NOT_INFRA = re.compile(r"porn|adult|gambl|betting|casino|warez|piracy|torrent|metart|unlocked")
_HOST = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _rules(data: Path, name: str, seen: set[str]) -> list[tuple[str, str]]:
    """(host, list name) for every ``domain:``/``full:`` rule of list ``name`` and of the
    lists it includes (each list once)."""
    if name in seen or _NOT_INFRA.search(name) or not (data / name).is_file():
        return []
    seen.add(name)
    out: list[tuple[str, str]] = []
    for raw in (data / name).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        rule = line.split()[0]
        if rule.startswith("include:"):
            out += _rules(data, rule.split(":", 1)[1], seen)
            continue
        kind, _, value = rule.rpartition(":")
        if kind not in ("", "domain", "full"):
            continue
        host = value.lower().strip(".")
        if _HOST.match(host):
            out.append((host, name))
    return out


def collect_hosts(data: Path) -> dict[str, str]:
    """Host -> the v2fly list it came from (first seen), over ``INFRA_ROOTS``: only hosts
    with a label below their registered domain (other than a bare ``www.``), since a
    registered domain alone (``beatsbydre.com``) is a brand's site, not a server."""
    seen: set[str] = set()
    hosts: dict[str, str] = {}
    for root in INFRA_ROOTS:
        for host, name in _rules(data, root, seen):
            site = registered_domain(host)
            if host != site and host != "www." + site:
                hosts.setdefault(host, name)
    return hosts


def infra_hosts(path: Path | None = None) -> list[str]:
    """The benign infrastructure host names in ``hosts.txt`` (one per line, ``#`` comments;
    the v2fly list name after a space is dropped)."""
    target = Path(path) if path is not None else INFRA_DIR / "hosts.txt"
    out = []
    for raw in target.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].split()
        if line:
            out.append(line[0])
    return out


def main(argv: list[str] | None = None) -> int:
    """Write ``hosts.txt`` from a domain-list-community checkout; exit 2 on bad input."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="a domain-list-community work tree")
    parser.add_argument("--out", type=Path, default=INFRA_DIR / "hosts.txt")
    args = parser.parse_args(argv)
    data = args.checkout / "data"
    if not (data / "google").is_file():
        print(f"{args.checkout} is not a domain-list-community work tree", file=sys.stderr)
        return 2
    hosts = collect_hosts(data)
    lines = [f"{host} {name}" for host, name in sorted(hosts.items())]
    header = "# host v2fly-list (see SOURCE.md)\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} hosts written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
